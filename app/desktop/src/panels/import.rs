//! The import UI: the 文件 (File) menu, the import dialog (datum, what the features are, replace or overlay), the
//! progress of a running import, the list of problems to accept or reject, and the scenario chip in the toolbar.
//! Everything here only reads [`AppState`] and pushes [`Command`]s.

use crate::services::import_job::{ImportMode, ImportRequest, Phase};
use crate::state::{AppState, Command};
use crate::theme;
use egui::RichText;
use pingan_core::import::{Crs, ImportAs};

/// The 文件 menu: import, change the datum of the current scenario, remove it, export the report.
pub fn file_menu_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    ui.menu_button(RichText::new(lang.tr("文件", "File")).size(18.0), |ui| {
        if ui.button(RichText::new(lang.tr("导入 GeoJSON…", "Import GeoJSON…")).size(17.0)).clicked() {
            commands.push(Command::OpenImport);
            ui.close();
        }
        if let Some(s) = &state.scenario {
            ui.separator();
            ui.label(RichText::new(format!("{}: {}", lang.tr("当前场景", "Scenario"), s.meta.name)).color(theme::DIM));
            let other = match s.meta.crs {
                Crs::Wgs84 => Crs::Gcj02,
                Crs::Gcj02 => Crs::Wgs84,
            };
            let text = format!("{} {}", lang.tr("按此坐标系重新导入：", "Re-import as"), crs_label(other, lang));
            if ui.button(RichText::new(text).size(17.0)).clicked() {
                if let Some(dir) = &state.scenario_dir {
                    let path = dir.join("scenario.geojson");
                    commands.push(Command::Import(ImportRequest {
                        path,
                        crs: other,
                        as_: s.meta.as_,
                        mode: s.meta.mode,
                    }));
                } else {
                    commands.push(Command::Import(ImportRequest {
                        path: s.meta.source.clone(),
                        crs: other,
                        as_: s.meta.as_,
                        mode: s.meta.mode,
                    }));
                }
                ui.close();
            }
            if ui.button(RichText::new(lang.tr("移除导入的场景", "Remove the imported scenario")).size(17.0)).clicked()
            {
                commands.push(Command::RemoveScenario);
                ui.close();
            }
        }
        ui.separator();
        if ui.button(RichText::new(lang.tr("导出报表…", "Export report…")).size(17.0)).clicked() {
            commands.push(Command::ExportReport);
            ui.close();
        }
    });
}

/// The chip saying which scenario is shown and in which datum it was read, with a button to remove it.
pub fn scenario_chip_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(s) = &state.scenario else { return };
    let mode = match s.meta.mode {
        ImportMode::Replace => lang.tr("替换", "replacing"),
        ImportMode::Overlay => lang.tr("叠加", "overlay"),
    };
    egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(egui::Margin::symmetric(8, 2)).show(
        ui,
        |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "{} {} · {} · {mode}",
                        lang.tr("场景", "Scenario"),
                        s.meta.name,
                        crs_label(s.meta.crs, lang)
                    ))
                    .size(16.0)
                    .color(theme::ACCENT),
                )
                .on_hover_text(s.meta.source.display().to_string());
                if ui
                    .small_button(lang.tr("移除", "Remove"))
                    .on_hover_text(lang.tr("移除导入的场景", "Remove the imported scenario"))
                    .clicked()
                {
                    commands.push(Command::RemoveScenario);
                }
            });
        },
    );
}

/// The label of a datum.
pub fn crs_label(crs: Crs, lang: crate::Lang) -> &'static str {
    match crs {
        Crs::Wgs84 => "WGS84",
        Crs::Gcj02 => lang.tr("GCJ-02（火星坐标）", "GCJ-02"),
    }
}

/// The floating windows: the dialog, the progress, the problems.
pub fn import_windows(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    dialog_window_ui(ctx, state, commands);
    progress_window_ui(ctx, state);
    problems_window_ui(ctx, state, commands);
}

/// The import dialog (when open): the datum, what the features are, replace or overlay, and the buttons.
fn dialog_window_ui(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(r) = &state.import_dialog else { return };
    let mut r = r.clone();
    let before = r.clone();
    let mut open = true;
    egui::Window::new(RichText::new(lang.tr("导入 GeoJSON", "Import GeoJSON")).size(20.0))
        .id(egui::Id::unique("import-dialog"))
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            ui.label(RichText::new(r.path.display().to_string()).size(16.0).color(theme::DIM));
            ui.add_space(6.0);
            ui.label(RichText::new(lang.tr("坐标系（假定）", "Coordinate system (assumed)")).size(17.0));
            ui.horizontal(|ui| {
                for c in Crs::ALL {
                    ui.radio_value(&mut r.crs, c, RichText::new(crs_label(c, lang)).size(17.0));
                }
            });
            ui.label(
                RichText::new(lang.tr(
                    "高德 / DataV 导出的数据为 GCJ-02，在杭州与 WGS84 相差约 500 米；导入时转换为 WGS84。",
                    "Amap / DataV exports are GCJ-02 (~500 m off WGS84 in Hangzhou); converted to WGS84 on import.",
                ))
                .size(14.0)
                .color(theme::DIM),
            );
            ui.add_space(6.0);
            egui::ComboBox::new("import-as", lang.tr("要素类型", "Features are"))
                .selected_text(as_label(r.as_, lang))
                .show_ui(ui, |ui| {
                    for a in ImportAs::ALL {
                        ui.selectable_value(&mut r.as_, a, as_label(a, lang));
                    }
                });
            ui.add_space(6.0);
            let linked = state.link().is_some();
            ui.horizontal(|ui| {
                ui.add_enabled_ui(!linked, |ui| {
                    ui.radio_value(
                        &mut r.mode,
                        ImportMode::Replace,
                        RichText::new(lang.tr("替换演示区", "Replace the demo district")).size(17.0),
                    )
                    .on_disabled_hover_text(
                        lang.tr("连接同步服务器时只能叠加", "With a sync server an import can only be overlaid"),
                    );
                });
                ui.radio_value(
                    &mut r.mode,
                    ImportMode::Overlay,
                    RichText::new(lang.tr("叠加到当前地图", "Overlay on the current map")).size(17.0),
                );
            });
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                let busy = state.import_job.is_some() || state.pending_import.is_some();
                if ui
                    .add_enabled(!busy, egui::Button::new(RichText::new(lang.tr("开始导入", "Import")).size(18.0)))
                    .clicked()
                {
                    commands.push(Command::Import(r.clone()));
                }
                if ui.button(RichText::new(lang.tr("取消", "Cancel")).size(18.0)).clicked() {
                    commands.push(Command::CloseImportDialog);
                }
            });
        });
    if !open {
        commands.push(Command::CloseImportDialog);
    } else if r != before {
        commands.push(Command::ImportDialog(r));
    }
}

/// The running import's progress (or the demo district's restoring).
fn progress_window_ui(ctx: &egui::Context, state: &AppState) {
    let lang = state.lang;
    let Some(job) = &state.import_job else { return };
    let (phase, f) = job.progress();
    let what = match phase {
        Phase::Reading => lang.tr("读取文件", "Reading the file"),
        Phase::Checking => lang.tr("检查要素", "Checking features"),
        Phase::Building => lang.tr("生成辖区与模拟数据", "Building the district"),
    };
    let title = match &job.request {
        Some(r) => format!(
            "{} {}",
            lang.tr("正在导入", "Importing"),
            r.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ),
        None => lang.tr("正在恢复内置演示区", "Restoring the built-in demo district").to_string(),
    };
    egui::Window::new(RichText::new(title).size(18.0))
        .id(egui::Id::unique("import-progress"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -60.0])
        .show(ctx, |ui| {
            ui.add(
                egui::ProgressBar::new(f)
                    .desired_width(520.0)
                    .text(RichText::new(format!("{what} {:.0}%", f * 100.0)).size(16.0))
                    .animate(true),
            );
        });
    ctx.request_repaint_after(std::time::Duration::from_millis(100));
}

/// The problems of an import waiting for agreement, with the buttons that accept the rest or abandon it.
fn problems_window_ui(ctx: &egui::Context, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(p) = &state.pending_import else { return };
    let Some(s) = &p.scenario else { return };
    let i = &s.imported;
    let usable = i.units.len() + i.buildings.len() + i.pois.len() + i.roads.len();
    egui::Window::new(RichText::new(lang.tr("部分要素有问题", "Some features have problems")).size(20.0))
        .id(egui::Id::unique("import-problems"))
        .collapsible(false)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .default_width(760.0)
        .show(ctx, |ui| {
            ui.label(
                RichText::new(format!(
                    "{}: {} {}, {} {}",
                    s.meta.name,
                    p.problems.len(),
                    lang.tr("个要素有问题，将不导入", "features have problems and will be left out"),
                    usable,
                    lang.tr("个要素可以导入", "can be imported"),
                ))
                .size(17.0),
            );
            for w in &p.warnings {
                ui.label(RichText::new(format!("{} {w}", lang.tr("注意：", "Note:"))).size(15.0).color(theme::WARN));
            }
            egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
                for pr in p.problems.iter().take(200) {
                    ui.label(
                        RichText::new(format!("{} {}: {}", lang.tr("要素", "feature"), pr.feature, pr.message))
                            .size(15.0)
                            .color(theme::OVERDUE),
                    );
                }
                if p.problems.len() > 200 {
                    ui.label(format!("… {}", p.problems.len() - 200));
                }
            });
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let accept =
                    format!("{} {} {}", lang.tr("导入其余", "Import the other"), usable, lang.tr("个要素", "features"));
                if ui.button(RichText::new(accept).size(18.0)).clicked() {
                    commands.push(Command::AcceptImport);
                }
                if ui.button(RichText::new(lang.tr("放弃导入", "Abandon the import")).size(18.0)).clicked() {
                    commands.push(Command::RejectImport);
                }
            });
        });
}

fn as_label(a: ImportAs, lang: crate::Lang) -> &'static str {
    let (zh, en) = a.labels();
    lang.tr(zh, en)
}
