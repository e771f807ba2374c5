//! 数据中断: the band across the top of every screen (each wall screen, the desk's map) while a desk linked to a
//! server has had no live data for longer than the watch config's `no_data_minutes`. A wall runs unattended and
//! keeps showing its last picture when the uplink or the server is gone; this says so to a person across the room —
//! in red, in letters as big as the headline numbers, with the time of the last update — until data flows again.
//! The demo and a package file never go stale, and show nothing here.

use crate::format;
use crate::state::AppState;
use crate::theme;
use egui::{Color32, RichText};

/// The band's fill: a dark red that reads as an alarm from afar and keeps the white text legible.
const FILL: Color32 = Color32::from_rgb(150, 16, 24);

/// Draw the band over the top of `rect` (a screen's or a map's area), if the live data has stopped; `salt` keeps each
/// screen's band apart.
pub fn interrupted_ui(ctx: &egui::Context, rect: egui::Rect, salt: usize, state: &AppState) {
    let Some(last) = state.data_interrupted() else { return };
    let lang = state.lang;
    let since = format::duration(state.now - last, lang);
    let title = lang.tr("数据中断", "DATA INTERRUPTED");
    let detail = format!(
        "{} {} ({}{})  ·  {}",
        lang.tr("最后更新", "last update"),
        format::full_time(last),
        since,
        lang.tr("前", " ago"),
        lang.tr("画面不是实时的", "this picture is not live"),
    );
    egui::Area::new(egui::Id::unique(("data-interrupted", salt)))
        .fixed_pos(rect.left_top())
        .order(egui::Order::Foreground)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new().fill(FILL).inner_margin(egui::Margin::symmetric(24, 10)).show(ui, |ui| {
                ui.set_width(rect.width() - 48.0);
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("▲ {title}")).font(theme::bold(40.0)).color(Color32::WHITE));
                    ui.add_space(24.0);
                    ui.label(RichText::new(detail).font(theme::bold(24.0)).color(Color32::WHITE));
                });
            });
        });
}
