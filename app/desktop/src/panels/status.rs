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
            None if matches!(state.live, crate::services::source::Live::Fixed) => format!(
                "{}: {} · {} {}",
                lang.tr("离线辖区包", "Offline district package"),
                state.district.name,
                state.history.len(),
                lang.tr("条历史事件", "past events")
            ),
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
                    _ => lang.tr("离线演示：内置演示区", "Offline demo: built-in district").to_string(),
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

/// What the map area shows while there is no district yet (a desktop linked to a server that has not yet sent its
/// district package): the download's progress, or why it is not coming.
pub fn waiting_ui(ui: &mut egui::Ui, state: &AppState) {
    let lang = state.lang;
    let status = state.link().map(|l| l.status());
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.35);
        ui.label(
            RichText::new(lang.tr("正在等待服务器下发辖区数据", "Waiting for the district data from the server"))
                .font(theme::bold(30.0)),
        );
        ui.add_space(16.0);
        match status.as_ref().and_then(|s| s.download) {
            Some((got, total)) => {
                let text = match total {
                    Some(t) => format!("{:.1} / {:.1} MB", got as f64 / 1e6, t as f64 / 1e6),
                    None => format!("{:.1} MB", got as f64 / 1e6),
                };
                let fraction = total.map_or(0.0, |t| got as f32 / t.max(1) as f32);
                ui.add(egui::ProgressBar::new(fraction).text(text).desired_width(480.0));
            }
            None => {
                let why = match status.as_ref().and_then(|s| s.last_error.clone()) {
                    Some(e) => format!("{}: {e}", lang.tr("尚未取得", "Not yet")),
                    None if state.link().is_none() => lang
                        .tr("没有可用的缓存，无法连接服务器", "No usable cache: cannot sync with the server")
                        .to_string(),
                    None => lang.tr("正在连接服务器…", "Connecting to the server…").to_string(),
                };
                ui.label(RichText::new(why).size(18.0).color(theme::DIM));
            }
        }
        ui.add_space(12.0);
        ui.label(
            RichText::new(lang.tr(
                "首次同步后辖区数据保存在本机缓存中，服务器停机时也可离线启动；或用 pingan --package 文件 打开辖区包。",
                "After the first sync the district is kept in the local cache and the app starts offline; or open a \
                 district package with pingan --package FILE.",
            ))
            .size(15.0)
            .color(theme::DIM),
        );
    });
}
