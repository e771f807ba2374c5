//! The toolbar under the header: the 文件 menu and the five-colour view's choices (period, categories, level) on
//! the left; the scenario chip, the view switch (2D, 3D, dashboard) and 全区 on the right.
//!
//! On the wall it is compact: a wall is watched, not typed at, so the 文件 menu, 上报事件, the assessment's timing,
//! and 驾驶舱 (the report has screens of its own there) are left out, and what stays fits a
//! 1920-px screen at the wall's text size.

use crate::services::assessment::{LevelChoice, RiskView};
use crate::state::{AppState, Command, MapMode};
use crate::theme;
use egui::RichText;
use pingan_core::EventCategory;
use pingan_core::assess::PeriodKind;

/// The toolbar: the five-colour view (period, categories, level) on the left, the views on the right; `wall`: the
/// wall's compact form.
pub fn toolbar_ui(ui: &mut egui::Ui, state: &AppState, wall: bool, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let mut v = state.risk_view;
    ui.horizontal_centered(|ui| {
        if !wall {
            crate::panels::import::file_menu_ui(ui, state, commands);
            let report =
                egui::Button::selectable(state.report.is_some(), RichText::new(lang.tr("上报事件", "Report")).strong());
            if ui.add(report).clicked() {
                commands.push(if state.report.is_some() { Command::CloseReport } else { Command::OpenReport });
            }
            ui.separator();
        }
        ui.label(RichText::new(lang.tr("五色研判", "Five-colour map")).font(theme::bold(20.0)).color(theme::ACCENT));
        egui::ComboBox::new("risk-period", lang.tr("周期", "Period"))
            .selected_text(RiskView::period_label(v.period, lang))
            .show_ui(ui, |ui| {
                for k in [PeriodKind::Day, PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
                    ui.selectable_value(&mut v.period, k, RiskView::period_label(k, lang));
                }
            });
        egui::ComboBox::new("risk-category", lang.tr("研判类别", "Categories"))
            .selected_text(RiskView::category_label(v.category, lang))
            .height(520.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.category, None, RiskView::category_label(None, lang));
                for c in EventCategory::KEY {
                    ui.selectable_value(&mut v.category, Some(c), RiskView::category_label(Some(c), lang));
                }
            });
        egui::ComboBox::new("risk-level", lang.tr("层级", "Level")).selected_text(v.level.label(lang)).show_ui(
            ui,
            |ui| {
                for l in LevelChoice::ALL {
                    ui.selectable_value(&mut v.level, l, l.label(lang));
                }
            },
        );
        if let Some(d) = state.assessment.latest.as_ref().filter(|_| !wall) {
            ui.label(
                RichText::new(format!("{} · {:.0} ms", d.period.label(), d.compute_ms)).color(theme::DIM).size(15.0),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(RichText::new(lang.tr("全区", "Whole district")).size(18.0)).clicked() {
                commands.push(Command::ShowWholeDistrict);
            }
            let modes = [
                (MapMode::Dashboard, lang.tr("驾驶舱", "Dashboard")),
                (MapMode::Map3d, lang.tr("3D 实景", "3D")),
                (MapMode::Map2d, lang.tr("2D 地图", "2D map")),
            ];
            for (mode, label) in modes.into_iter().skip(usize::from(wall)) {
                if ui.add(egui::Button::selectable(state.map_mode == mode, RichText::new(label).size(18.0))).clicked() {
                    commands.push(Command::SetMapMode(mode));
                }
            }
            crate::panels::import::scenario_chip_ui(ui, state, commands);
        });
    });
    if v != state.risk_view {
        commands.push(Command::SetRiskView(v));
    }
}
