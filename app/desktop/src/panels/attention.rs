//! Attention on the wall: the banner over the map for a new serious event, sensor warning, escalation or coverage
//! void (查看 flies there and opens it, 确认 acknowledges it), and the list of items waiting for an acknowledgement
//! (a tab of the left panel; its count is in the header).

use crate::i18n::Named;
use crate::panels::coverage::VOID;
use crate::state::{AppState, AttentionItem, Command};
use crate::{format, theme};
use egui::{Color32, RichText};
use pingan_core::{Attention, GridId, Timestamp};

/// The colour of a reason.
fn color(a: Attention) -> Color32 {
    match a {
        Attention::Serious => theme::OVERDUE,
        Attention::Warning => theme::AMBER,
        Attention::Escalated => Color32::from_rgb(255, 110, 60),
    }
}

/// What the banner and the list say of an item: the reason and its colour, the title, the line under it, and what
/// 确认 and 查看 do. `None` for an item the state shown does not have (an event a replay shows before it).
struct Shown {
    reason: String,
    color: Color32,
    title: String,
    detail: String,
    acknowledge: Command,
    show: Command,
}

fn shown(state: &AppState, item: AttentionItem) -> Option<Shown> {
    let lang = state.lang;
    match item {
        AttentionItem::Event(id) => {
            let e = state.situation.event(id)?;
            let reason = e.attention()?;
            Some(Shown {
                reason: lang.tr(reason.zh(), reason.en()).to_string(),
                color: color(reason),
                title: format!("[{}] {} · {}", e.severity.name_in(lang), e.category.name_in(lang), e.title),
                detail: format!("{}  {}  {}", format::short_time(e.updated_at()), e.number, e.place),
                acknowledge: Command::Acknowledge(id),
                show: Command::SelectEvent(id),
            })
        }
        AttentionItem::Void(grid, since) => void_shown(state, grid, since),
    }
}

/// A coverage void: its grid with town and community, how long it has been without a worker, since when.
fn void_shown(state: &AppState, grid: GridId, since: Timestamp) -> Option<Shown> {
    let lang = state.lang;
    let g = state.district.grids.get(grid.index())?;
    let empty_for = format::duration(state.live_now() - since, lang);
    Some(Shown {
        reason: lang.tr("覆盖盲区", "Coverage void").to_string(),
        color: VOID,
        title: format!(
            "{} · {} {empty_for}",
            format::grid_place(&state.district, grid),
            lang.tr("已无人", "uncovered for")
        ),
        detail: format!(
            "{} {}  ·  {} {} {}",
            lang.tr("最后有人", "last covered"),
            format::short_time(since),
            lang.tr("超过", "over"),
            state.watch.coverage.void_minutes,
            lang.tr("分钟无在岗网格员", "min without a worker on duty")
        ),
        acknowledge: Command::AcknowledgeVoid(grid),
        show: Command::FlyTo(g.label_at, 15.5),
    })
}

/// The banner for the newest unacknowledged item, at the top of the map area (nothing when there is none).
pub fn banner_ui(ctx: &egui::Context, rect: egui::Rect, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some((item, _)) = state.attention.banner else { return };
    let Some(s) = shown(state, item) else { return };
    egui::Area::new(egui::Id::unique("attention-banner"))
        .fixed_pos(rect.center_top() + egui::vec2(-rect.width().min(1100.0) / 2.0, 10.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(Color32::from_rgb(60, 10, 14))
                .stroke(egui::Stroke::new(3.0, s.color))
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(16, 10))
                .show(ui, |ui| {
                    ui.set_width(rect.width().min(1100.0) - 32.0);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(format!("▲ {}", s.reason)).font(theme::bold(26.0)).color(s.color));
                        ui.label(RichText::new(&s.title).font(theme::bold(24.0)).color(theme::TEXT));
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if ui
                                .button(RichText::new("×").size(22.0))
                                .on_hover_text(lang.tr("收起", "Dismiss"))
                                .clicked()
                            {
                                commands.push(Command::DismissBanner);
                            }
                            if ui.button(RichText::new(lang.tr("确认", "Acknowledge")).size(22.0)).clicked() {
                                commands.push(s.acknowledge.clone());
                            }
                            if ui.button(RichText::new(lang.tr("查看", "Show")).size(22.0)).clicked() {
                                commands.push(s.show.clone());
                            }
                        });
                    });
                    ui.label(RichText::new(&s.detail).size(18.0).color(theme::DIM));
                });
        });
}

/// The most items the list draws (a wall left alone for hours can gather hundreds of voids).
const MAX_LISTED: usize = 200;

/// The list of items waiting for an acknowledgement.
pub fn attention_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    crate::panels::books::tabs_ui(ui, state, commands);
    ui.label(
        RichText::new(lang.tr(
            "重大事件、感知预警、超时升级、覆盖盲区：确认后从待确认中移除（事件记录确认人和时间）",
            "Serious events, sensor warnings, escalations, coverage voids: acknowledging an event records who and when",
        ))
        .color(theme::DIM),
    );
    let mut sound = state.sound;
    if ui
        .checkbox(&mut sound, RichText::new(lang.tr("提示音", "Chime")).size(16.0))
        .on_hover_text(lang.tr("新的待确认事项弹出横幅时播放提示音", "Play a chime when a new item raises the banner"))
        .changed()
    {
        commands.push(Command::SetSound(sound));
    }
    ui.separator();
    if state.attention.unacked.is_empty() {
        ui.label(RichText::new(lang.tr("没有待确认的事项", "Nothing waits for an acknowledgement")).color(theme::DIM));
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        for item in state.attention.unacked.iter().take(MAX_LISTED) {
            let Some(s) = shown(state, *item) else { continue };
            egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(6).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&s.reason).strong().color(s.color));
                    if ui.add(egui::Button::new(RichText::new(&s.title).size(18.0)).frame(false)).clicked() {
                        commands.push(s.show.clone());
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.button(RichText::new(lang.tr("确认", "Acknowledge")).size(17.0)).clicked() {
                            commands.push(s.acknowledge.clone());
                        }
                    });
                });
                ui.label(RichText::new(&s.detail).size(15.0).color(theme::DIM));
            });
        }
        if state.attention.unacked.len() > MAX_LISTED {
            ui.label(RichText::new(format!("… {}", state.attention.unacked.len() - MAX_LISTED)).color(theme::DIM));
        }
    });
}
