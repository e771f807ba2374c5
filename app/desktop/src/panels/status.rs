//! The status bar at the bottom of the window.

use crate::services::import_job::ImportMode;
use crate::state::AppState;
use crate::theme;
use egui::RichText;

/// The status bar: where the situation comes from (a server's change number, or the offline demo and its event
/// rate), actions held for another identity, and the latest message for the operator.
pub fn status_ui(ui: &mut egui::Ui, state: &AppState) {
    let lang = state.lang;
    ui.horizontal_centered(|ui| {
        let source = match state.link() {
            Some(link) => {
                let s = link.status();
                format!(
                    "{} · {} {} · {} {}",
                    lang.tr("同步服务器", "Sync server"),
                    lang.tr("变更序号", "change"),
                    s.seq,
                    lang.tr("被拒操作", "refused actions"),
                    s.refused
                )
            }
            None => format!(
                "{} · {} {:.0} {}",
                match &state.scenario {
                    Some(s) if s.meta.mode == ImportMode::Replace => {
                        format!(
                            "{}: {}",
                            lang.tr("离线演示：导入的辖区", "Offline demo: imported district"),
                            s.meta.name
                        )
                    }
                    _ => lang.tr("离线演示：内置余杭演示区", "Offline demo: built-in Yuhang district").to_string(),
                },
                lang.tr("模拟", "simulating"),
                state.live.simulator().map_or(0.0, |s| s.config().events_per_hour),
                lang.tr("起/小时", "events/h")
            ),
        };
        ui.label(RichText::new(source).size(15.0).color(theme::DIM));
        if let Some(held) = state.link().and_then(|l| crate::panels::header::held_text(&l.status().held, lang)) {
            ui.separator();
            ui.label(RichText::new(held).size(15.0).color(theme::WARN));
        }
        if let Some((at, msg)) = state.messages.back() {
            ui.separator();
            ui.label(
                RichText::new(format!("{} {msg}", crate::format::short_time(*at))).size(15.0).color(theme::OVERDUE),
            );
        }
    });
}
