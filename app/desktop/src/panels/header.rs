//! The header bar: district, headline counts (the event counts drill through), clock, language switch.

use crate::i18n::Lang;
use crate::state::{AppState, Command, Drill};
use crate::{format, theme};
use egui::{Color32, RichText};
use pingan_core::situation::HeadlineCount;

/// Draw the header; pushes commands for the language switch.
pub fn header_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let h = state.situation.headline(state.now);
    // Below ~1500 points the counts and the clock need the room of the subtitle.
    let narrow = ui.available_width() < 1500.0;
    ui.horizontal_centered(|ui| {
        ui.add_space(8.0);
        let title = format::title(&state.district.name, lang);
        ui.label(RichText::new(title).font(theme::bold(34.0)).color(theme::ACCENT));
        if !narrow {
            ui.vertical(|ui| {
                ui.label(
                    RichText::new(lang.tr("社会治理指挥中心", "Social Governance Command Centre"))
                        .font(theme::bold(20.0)),
                );
                ui.label(
                    RichText::new(format!(
                        "{} · {} {} · {} {}",
                        state.district.name,
                        state.district.towns.len(),
                        lang.tr("镇街", "towns"),
                        state.district.grids.len(),
                        lang.tr("网格", "grids")
                    ))
                    .color(theme::DIM),
                );
            });
        }
        ui.add_space(if narrow { 12.0 } else { 24.0 });
        // The event counts drill through: a click lists (and maps) exactly the events counted.
        for (count, value, color) in [
            (HeadlineCount::Open, h.open, theme::TEXT),
            (HeadlineCount::Overdue, h.overdue, if h.overdue > 0 { theme::OVERDUE } else { theme::TEXT }),
            (HeadlineCount::Today, h.today, theme::TEXT),
        ] {
            let label = lang.tr(count.zh(), count.en());
            let r = kpi_ui(ui, label, value, color).interact(egui::Sense::click());
            crate::panels::drill::clickable(r, format!("{label} {value}"), Drill::Headline(count), lang, commands);
        }
        kpi_ui(ui, lang.tr("在岗网格员", "Workers on duty"), h.on_duty, theme::WORKER);
        let unacked = state.attention.unacked.len();
        let r = kpi_ui(
            ui,
            lang.tr("待确认", "To acknowledge"),
            unacked,
            if unacked > 0 { theme::AMBER } else { theme::TEXT },
        );
        if r.interact(egui::Sense::click()).on_hover_text(lang.tr("查看待确认事项", "Show what waits")).clicked()
        {
            commands.push(Command::SetFeedTab(crate::state::FeedTab::Attention));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(8.0);
            let (label, next) = match lang {
                Lang::Zh => ("English", Lang::En),
                Lang::En => ("中文", Lang::Zh),
            };
            if ui.button(RichText::new(label).size(18.0)).on_hover_text("切换语言 / Switch language").clicked() {
                commands.push(Command::SetLang(next));
            }
            ui.add_space(12.0);
            // During a replay the clock is the moment shown, in amber, and says so.
            let clock = RichText::new(format::clock(state.now, lang)).font(theme::bold(26.0)).monospace();
            if state.replay().is_some() {
                ui.label(clock.color(theme::AMBER));
                ui.label(RichText::new(lang.tr("回放", "REPLAY")).font(theme::bold(22.0)).color(theme::AMBER));
            } else {
                ui.label(clock);
            }
            ui.add_space(12.0);
            link_ui(ui, state);
            ui.add_space(12.0);
            crate::panels::search::search_box_ui(ui, state, commands);
        });
    });
}

fn kpi_ui(ui: &mut egui::Ui, label: &str, value: usize, color: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(theme::CARD)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(14, 4))
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new(label).color(theme::DIM).size(16.0));
                ui.label(RichText::new(value.to_string()).font(theme::bold(32.0)).color(color));
            });
        })
        .response
}

/// The sync link: online / reconnecting / offline, last sync, outbox length. Without a server: "local demo".
fn link_ui(ui: &mut egui::Ui, state: &AppState) {
    use pingan_store::LinkState;
    let lang = state.lang;
    let Some(link) = state.link() else {
        ui.label(RichText::new(lang.tr("本地演示", "Local demo")).size(18.0).color(theme::DIM))
            .on_hover_text(lang.tr("未连接同步服务器：内置演示数据", "No sync server: built-in demo data"));
        return;
    };
    let s = link.status();
    let (dot, text) = match s.state {
        LinkState::Online => (theme::WORKER, lang.tr("在线", "Online")),
        LinkState::Connecting => (theme::WARN, lang.tr("连接中", "Connecting")),
        LinkState::Reconnecting => (theme::WARN, lang.tr("重连中", "Reconnecting")),
        LinkState::Offline => (theme::OVERDUE, lang.tr("离线", "Offline")),
    };
    let synced = match s.last_sync {
        Some(t) => format!("{} {}", lang.tr("同步于", "synced"), format::time_of_day(t)),
        None => lang.tr("未同步", "never synced").to_string(),
    };
    let held: usize = s.held.iter().map(|h| h.count).sum();
    let mut outbox = format!("{} {}", lang.tr("待发送", "outbox"), s.outbox);
    if held > 0 {
        outbox.push_str(&format!(" · {} {held}", lang.tr("他人待发", "held")));
    }
    egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(egui::Margin::symmetric(10, 4)).show(
        ui,
        |ui| {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("●").size(18.0).color(dot));
                    ui.label(RichText::new(text).font(theme::bold(18.0)).color(dot));
                });
                let r = ui.label(
                    RichText::new(format!("{synced} · {outbox}")).size(15.0).color(if s.outbox > 0 || held > 0 {
                        theme::WARN
                    } else {
                        theme::DIM
                    }),
                );
                let tip: Vec<String> = held_text(&s.held, lang).into_iter().chain(s.last_error.clone()).collect();
                if !tip.is_empty() {
                    r.on_hover_text(tip.join("\n"));
                }
            });
        },
    );
}

/// What the operator is told about queued actions kept for another server or identity, e.g.
/// `3 条待发操作属于 wang@http://10.0.0.5:7878，未以当前身份发送` (`None` when there are none).
pub fn held_text(held: &[pingan_store::Held], lang: Lang) -> Option<String> {
    if held.is_empty() {
        return None;
    }
    let parts: Vec<String> = held
        .iter()
        .map(|h| {
            let who = match (&h.user, h.token_prefix.is_empty()) {
                (Some(u), _) => u.clone(),
                (None, false) => format!("{} {}…", lang.tr("令牌", "token"), h.token_prefix),
                (None, true) => lang.tr("未知身份", "unknown identity").to_string(),
            };
            let server =
                if h.server.is_empty() { lang.tr("未记录的服务器", "an unrecorded server") } else { &h.server };
            format!("{} {} {who}@{server}", h.count, lang.tr("条待发操作属于", "queued actions belong to"))
        })
        .collect();
    Some(format!(
        "{}{}",
        parts.join(lang.tr("；", "; ")),
        lang.tr("，未以当前身份发送", ", not sent as the current identity")
    ))
}
