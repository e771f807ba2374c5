//! The dashboard's scope (范围): which unit its domain tiles and its league show — the district, a town, a
//! community or a grid. It follows the selected unit ([`crate::state::AppState::unit_detail`], a building counting
//! as its grid), so a unit picked on the map is the one reported on; the selector's combo boxes pick one by pushing
//! [`Command::SelectUnit`], which also shows its roll-up in the detail panel. The tiles come from
//! [`pingan_core::report::UnitFigures`] (every unit's, computed with the report), the league from
//! [`pingan_core::report::league_within`].

use crate::i18n::Named;
use crate::panels::drill::Numbers;
use crate::panels::rollup::{path, short_name};
use crate::services::assessment::ReportData;
use crate::state::{AppState, Command, Drill};
use crate::theme;
use egui::RichText;
use pingan_core::UnitRef;
use pingan_core::report::{Domain, DomainFigures, Level, Span, league_within};

/// The unit the dashboard reports on: the selected unit (a building's grid), else the district.
pub fn scope(state: &AppState) -> UnitRef {
    match state.unit_detail.as_ref().map(|u| u.unit) {
        Some(UnitRef::Building(b)) => {
            state.district.buildings.get(b.index()).map_or(UnitRef::District, |b| UnitRef::Grid(b.grid))
        }
        Some(u) => u,
        None => UnitRef::District,
    }
}

/// The scope's name: `全区`, or the unit's own name.
pub fn scope_name(state: &AppState, unit: UnitRef) -> String {
    match unit {
        UnitRef::District => state.lang.tr("全区", "District").to_string(),
        _ => short_name(&state.district, unit),
    }
}

/// The seven domains' figures of `unit` (the district's when the report has none for it).
pub fn figures_of(data: &ReportData, unit: UnitRef) -> Vec<DomainFigures> {
    data.units.unit(unit).unwrap_or_else(|| data.figures.clone())
}

/// The accessible name of a domain tile's figure: `刑事案件 本月 52` for the district, `东湖街道 刑事案件 本月 7` for
/// a unit (the tests look the numbers up by it).
pub fn tile_name(unit_name: Option<&str>, domain: Domain, span: Span, n: u32) -> String {
    match unit_name {
        Some(u) => format!("{u} {} {} {n}", domain.zh(), span.zh()),
        None => format!("{} {} {n}", domain.zh(), span.zh()),
    }
}

/// The drill-through of a domain tile's figure of `unit`.
pub fn tile_drill(unit: UnitRef, domain: Domain, span: Span) -> Drill {
    match unit {
        UnitRef::District => Drill::Domain { domain, span },
        _ => Drill::UnitDomain { unit, domain, span },
    }
}

/// The selector: a town, then one of its communities, then one of its grids; the first entry of each goes back up.
pub fn selector_ui(ui: &mut egui::Ui, state: &AppState, scope: UnitRef, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let d = &state.district;
    let chain = path(d, scope);
    let at = |k: usize| chain.get(k).copied();
    ui.horizontal(|ui| {
        ui.label(RichText::new(lang.tr("范围", "Scope")).color(theme::DIM).size(18.0));
        // (label, the parent the first entry goes back to, its name, the children, the chosen one)
        let town_choices: Vec<UnitRef> = d.towns.iter().map(|t| UnitRef::Town(t.id)).collect();
        let mut levels =
            vec![(lang.tr("镇街", "Town"), UnitRef::District, lang.tr("全区", "District"), town_choices, at(1))];
        if let Some(UnitRef::Town(t)) = at(1) {
            let children = d
                .towns
                .get(t.index())
                .map_or(Vec::new(), |t| t.communities.iter().map(|c| UnitRef::Community(*c)).collect());
            levels.push((
                lang.tr("村社", "Community"),
                UnitRef::Town(t),
                lang.tr("全镇街", "Whole town"),
                children,
                at(2),
            ));
        }
        if let Some(UnitRef::Community(c)) = at(2) {
            let children = d
                .communities
                .get(c.index())
                .map_or(Vec::new(), |c| c.grids.iter().map(|g| UnitRef::Grid(*g)).collect());
            levels.push((
                lang.tr("网格", "Grid"),
                UnitRef::Community(c),
                lang.tr("全村社", "Whole community"),
                children,
                at(3),
            ));
        }
        for (label, parent, all, children, chosen) in levels {
            let shown = chosen.map_or_else(|| all.to_string(), |u| short_name(d, u));
            // The level's name after its box, as the toolbar's (and the box's accessible name).
            egui::ComboBox::new(("dashboard-scope", label), label)
                .selected_text(RichText::new(shown).size(18.0))
                .show_ui(ui, |ui| {
                    if ui.selectable_label(chosen.is_none(), all).clicked() {
                        commands.push(Command::SelectUnit(parent));
                    }
                    for u in children {
                        if ui.selectable_label(chosen == Some(u), short_name(d, u)).clicked() {
                            commands.push(Command::SelectUnit(u));
                        }
                    }
                });
        }
        if scope != UnitRef::District
            && ui
                .button(lang.tr("回到全区", "Whole district"))
                .on_hover_text(lang.tr("清除所选单元", "Clear the selected unit"))
                .clicked()
        {
            commands.push(Command::ClearSelection);
        }
    });
}

/// The league's title within `scope`: `平安赛马榜 · 东湖街道 · 村社`.
pub fn league_title(state: &AppState, scope: UnitRef, level: Level) -> String {
    let lang = state.lang;
    let what = match level {
        Level::Town => lang.tr("镇街", "towns"),
        Level::Community => lang.tr("村社", "communities"),
        Level::Grid => lang.tr("网格", "grids"),
    };
    let whose = match scope {
        UnitRef::Grid(_) | UnitRef::Building(_) => path(&state.district, scope).get(2).copied().unwrap_or(scope),
        _ => scope,
    };
    format!("{} · {} · {what}", lang.tr("平安赛马榜", "League table"), scope_name(state, whose))
}

/// The league below the towns: `scope`'s communities or grids ranked among themselves, the scope's own row marked;
/// a name selects that unit, an event count drills to its events.
pub fn league_within_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    data: &ReportData,
    scope: UnitRef,
    nums: &mut Numbers<'_>,
) {
    let lang = state.lang;
    let (level, rows) = league_within(&state.district, &data.assessment, &data.previous, scope);
    ui.label(RichText::new(league_title(state, scope, level)).font(theme::bold(20.0)));
    let unit_of = |i: usize| match level {
        Level::Town => UnitRef::Town(pingan_core::TownId(i as u16)),
        Level::Community => UnitRef::Community(pingan_core::CommunityId(i as u32)),
        Level::Grid => UnitRef::Grid(pingan_core::GridId(i as u32)),
    };
    egui::Grid::new("league-within").num_columns(6).striped(true).spacing([12.0, 8.0]).show(ui, |ui| {
        header_row(
            ui,
            &[
                lang.tr("名次", "Rank"),
                lang.tr("单元", "Unit"),
                lang.tr("得分", "Score"),
                lang.tr("事件", "Events"),
                lang.tr("等级", "Grade"),
                lang.tr("升降", "Change"),
            ],
        );
        for r in rows {
            let unit = unit_of(r.unit);
            ui.label(RichText::new(r.rank.to_string()).font(theme::bold(19.0)));
            let mut name = RichText::new(&r.name).size(19.0);
            if unit == scope {
                name = name.strong().color(theme::ACCENT);
            }
            if ui.link(name).on_hover_text(lang.tr("选中该单元", "Select this unit")).clicked() {
                nums.select(unit);
            }
            ui.label(RichText::new(format!("{:.2}", r.score)).monospace());
            let drill = Drill::Unit { unit, period: data.period, categories: data.view.categories(), category: None };
            nums.show(ui, RichText::new(r.events.to_string()), format!("{} 事件 {}", r.name, r.events), drill);
            let c = theme::RISK[r.grade.index()];
            ui.label(RichText::new(format!("■ {}", r.grade.name_in(lang))).color(c).strong());
            let (t, c) = match r.rank_change() {
                x if x > 0 => (format!("▲{x}"), theme::RISK[4]),
                x if x < 0 => (format!("▼{}", -x), theme::RISK[0]),
                _ => ("—".to_string(), theme::DIM),
            };
            ui.label(RichText::new(t).color(c).strong());
            ui.end_row();
        }
    });
}

/// One header row of a dashboard table: the column names, dim and strong, then the end of the row (the dashboard's
/// tables use it too, so it lives here, below them).
pub(super) fn header_row(ui: &mut egui::Ui, names: &[&str]) {
    for h in names {
        ui.label(RichText::new(*h).strong().color(theme::DIM));
    }
    ui.end_row();
}
