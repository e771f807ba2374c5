//! Coverage (覆盖盲区): the grids no fresh on-duty worker has stood in for the configured minutes, and the on-duty
//! workers whose position is stale — listed longest first; a click flies the map there. The map marks both (a
//! dashed magenta outline, a grey worker dot).

use crate::state::{AppState, Command};
use crate::{format, theme};
use egui::{Color32, RichText};

/// The colour of a coverage void.
pub const VOID: Color32 = Color32::from_rgb(230, 80, 230);

/// The colour of a stale worker's dot.
pub const STALE: Color32 = Color32::from_rgb(150, 150, 150);

/// The coverage list.
pub fn coverage_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    crate::panels::books::tabs_ui(ui, state, commands);
    let voids = state.voids();
    let stale = state.stale_workers();
    let cfg = state.watch.coverage;
    ui.label(
        RichText::new(format!(
            "{} {} {} · {} {} {}",
            lang.tr("网格无人超过", "Grids unvisited over"),
            cfg.void_minutes,
            lang.tr("分钟", "min"),
            lang.tr("位置超过", "positions older than"),
            cfg.stale_minutes,
            lang.tr("分钟未更新", "min")
        ))
        .color(theme::DIM),
    );
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.label(
            RichText::new(format!("{} ({})", lang.tr("无人网格", "Grids without a worker"), voids.len()))
                .font(theme::bold(20.0))
                .color(VOID),
        );
        if voids.is_empty() {
            ui.label(
                RichText::new(lang.tr("每个网格都有在岗网格员", "Every grid has a worker on duty")).color(theme::DIM),
            );
        }
        for v in voids.iter().take(200) {
            let Some(g) = state.district.grids.get(v.grid.index()) else { continue };
            let text = format!(
                "{}  ·  {} {}",
                format::grid_place(&state.district, v.grid),
                lang.tr("已无人", "uncovered for"),
                format::duration(state.now - v.since, lang)
            );
            if ui.add(egui::Button::new(RichText::new(text).size(17.0)).frame(false)).clicked() {
                commands.push(Command::FlyTo(g.label_at, 15.5));
            }
        }
        if voids.len() > 200 {
            ui.label(RichText::new(format!("… {}", voids.len() - 200)).color(theme::DIM));
        }
        ui.add_space(10.0);
        ui.label(
            RichText::new(format!(
                "{} ({})",
                lang.tr("位置过期的网格员", "Workers with a stale position"),
                stale.len()
            ))
            .font(theme::bold(20.0))
            .color(STALE),
        );
        if stale.is_empty() {
            ui.label(
                RichText::new(lang.tr("在岗网格员位置均为最新", "Every on-duty worker's position is fresh"))
                    .color(theme::DIM),
            );
        }
        for id in stale.iter().take(200) {
            let Some(w) = state.situation.worker(*id) else { continue };
            let text = format!(
                "{}  ·  {}  ·  {} {}",
                w.name,
                format::worker_place(&state.district, w),
                lang.tr("最后位置", "last seen"),
                format::duration(state.now - w.seen_at, lang)
            );
            if ui.add(egui::Button::new(RichText::new(text).size(17.0)).frame(false)).clicked() {
                commands.push(Command::FlyTo(w.position, 16.0));
            }
        }
    });
}
