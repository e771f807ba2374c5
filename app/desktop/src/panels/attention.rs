//! Attention on the wall: the banner over the map for a new serious event, sensor warning or escalation (查看 flies
//! there and opens it, 确认 acknowledges it), and the list of items waiting for an acknowledgement (a tab of the
//! left panel; its count is in the header).

use crate::i18n::Named;
use crate::state::{AppState, Command};
use crate::{format, theme};
use egui::{Color32, RichText};
use pingan_core::Attention;

/// The colour of a reason.
fn color(a: Attention) -> Color32 {
    match a {
        Attention::Serious => theme::OVERDUE,
        Attention::Warning => theme::AMBER,
        Attention::Escalated => Color32::from_rgb(255, 110, 60),
    }
}

/// The banner for the newest unacknowledged item, at the top of the map area (nothing when there is none).
pub fn banner_ui(ctx: &egui::Context, rect: egui::Rect, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some((id, _)) = state.attention.banner else { return };
    let Some(e) = state.situation.event(id) else { return };
    let Some(reason) = e.attention() else { return };
    egui::Area::new(egui::Id::unique("attention-banner"))
        .fixed_pos(rect.center_top() + egui::vec2(-rect.width().min(1100.0) / 2.0, 10.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(Color32::from_rgb(60, 10, 14))
                .stroke(egui::Stroke::new(3.0, color(reason)))
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(16, 10))
                .show(ui, |ui| {
                    ui.set_width(rect.width().min(1100.0) - 32.0);
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(format!("▲ {}", lang.tr(reason.zh(), reason.en())))
                                .font(theme::bold(26.0))
                                .color(color(reason)),
                        );
                        ui.label(
                            RichText::new(format!(
                                "[{}] {} · {}",
                                e.severity.name_in(lang),
                                e.category.name_in(lang),
                                e.title
                            ))
                            .font(theme::bold(24.0))
                            .color(theme::TEXT),
                        );
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if ui
                                .button(RichText::new("×").size(22.0))
                                .on_hover_text(lang.tr("收起", "Dismiss"))
                                .clicked()
                            {
                                commands.push(Command::DismissBanner);
                            }
                            if ui.button(RichText::new(lang.tr("确认", "Acknowledge")).size(22.0)).clicked() {
                                commands.push(Command::Acknowledge(id));
                            }
                            if ui.button(RichText::new(lang.tr("查看", "Show")).size(22.0)).clicked() {
                                commands.push(Command::SelectEvent(id));
                            }
                        });
                    });
                    ui.label(
                        RichText::new(format!("{}  {}  {}", format::short_time(e.reported_at), e.number, e.place))
                            .size(18.0)
                            .color(theme::DIM),
                    );
                });
        });
}

/// The list of items waiting for an acknowledgement.
pub fn attention_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    crate::panels::books::tabs_ui(ui, state, commands);
    ui.label(
        RichText::new(lang.tr(
            "重大事件、感知预警、超时升级：确认后从待确认中移除（记录确认人和时间）",
            "Serious events, sensor warnings, escalations: acknowledging records who and when",
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
        for id in &state.attention.unacked {
            let Some(e) = state.situation.event(*id) else { continue };
            let Some(reason) = e.attention() else { continue };
            egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(6).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(lang.tr(reason.zh(), reason.en())).strong().color(color(reason)));
                    let title = format!("{} · {}", e.category.name_in(lang), e.title);
                    if ui.add(egui::Button::new(RichText::new(title).size(18.0)).frame(false)).clicked() {
                        commands.push(Command::SelectEvent(e.id));
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.button(RichText::new(lang.tr("确认", "Acknowledge")).size(17.0)).clicked() {
                            commands.push(Command::Acknowledge(e.id));
                        }
                    });
                });
                ui.label(
                    RichText::new(format!("{}  {}  {}", format::short_time(e.updated_at()), e.number, e.place))
                        .size(15.0)
                        .color(theme::DIM),
                );
            });
        }
    });
}
