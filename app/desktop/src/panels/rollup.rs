//! The roll-up of a selected unit's grade (构成): where it sits (全区 › 镇街 › 村社 › 网格, each a link up), each
//! child unit's share of its weighted score, each category's, and its heaviest events
//! ([`pingan_core::assess::Explanation`]). Every line opens the next level down: a child selects that unit, a
//! category drills the feed to the unit's events of it, an event opens (a live one) or drills the feed to it (a
//! history record) — down to the list of events.

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command, Drill, TopEvent, UnitDetail};
use crate::theme;
use egui::{Color32, FontId, RichText};
use pingan_core::{District, UnitRef};

/// Children listed one by one; the rest are summed in one line.
const MAX_CHILDREN: usize = 30;

/// The accessible name of a child's line: its name and its share, e.g. `东村社区 35%`.
pub fn child_label(name: &str, share: f64) -> String {
    format!("{name} {:.0}%", share * 100.0)
}

/// The accessible name of a category's line: e.g. `盗窃 12起 40%`.
pub fn category_label(category: &str, events: u32, share: f64) -> String {
    format!("{category} {events}起 {:.0}%", share * 100.0)
}

/// A unit's own name, without its parents (a grid's name, not its place).
pub fn short_name(d: &District, unit: UnitRef) -> String {
    let name = match unit {
        UnitRef::District => Some(&d.name),
        UnitRef::Town(id) => d.towns.get(id.index()).map(|u| &u.name),
        UnitRef::Community(id) => d.communities.get(id.index()).map(|u| &u.name),
        UnitRef::Grid(id) => d.grids.get(id.index()).map(|u| &u.name),
        UnitRef::Building(id) => d.buildings.get(id.index()).map(|u| &u.name),
    };
    name.cloned().unwrap_or_else(|| "?".into())
}

/// The unit and its parents, the district first.
pub fn path(d: &District, unit: UnitRef) -> Vec<UnitRef> {
    let building = match unit {
        UnitRef::Building(b) => d.buildings.get(b.index()),
        _ => None,
    };
    let grid = match unit {
        UnitRef::Grid(g) => d.grids.get(g.index()),
        _ => building.and_then(|b| d.grids.get(b.grid.index())),
    };
    let community = match unit {
        UnitRef::Community(c) => d.communities.get(c.index()),
        _ => grid.and_then(|g| d.communities.get(g.community.index())),
    };
    let town = match unit {
        UnitRef::Town(t) => d.towns.get(t.index()),
        _ => community.and_then(|c| d.towns.get(c.town.index())),
    };
    let mut out = vec![UnitRef::District];
    out.extend(town.map(|t| UnitRef::Town(t.id)));
    out.extend(community.map(|c| UnitRef::Community(c.id)));
    out.extend(grid.map(|g| UnitRef::Grid(g.id)));
    out.extend(building.map(|b| UnitRef::Building(b.id)));
    out
}

/// What the children of `unit` are called.
fn children_title(unit: UnitRef, lang: Lang) -> Option<&'static str> {
    match unit {
        UnitRef::District => Some(lang.tr("镇街构成", "By town")),
        UnitRef::Town(_) => Some(lang.tr("村社构成", "By community")),
        UnitRef::Community(_) => Some(lang.tr("网格构成", "By grid")),
        UnitRef::Grid(_) => Some(lang.tr("楼栋构成", "By building")),
        UnitRef::Building(_) => None,
    }
}

/// The parents of the selected unit, each a link that selects it: `全区 › 余杭街道 › 东村 ›` (nothing for the
/// district).
pub fn path_ui(ui: &mut egui::Ui, state: &AppState, unit: UnitRef, commands: &mut Vec<Command>) {
    let d = &state.district;
    let mut parents = path(d, unit);
    parents.pop();
    if parents.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for u in parents {
            let name = match u {
                UnitRef::District => state.lang.tr("全区", "District").to_string(),
                _ => short_name(d, u),
            };
            if ui.link(name).on_hover_text(state.lang.tr("上一级", "Up")).clicked() {
                commands.push(Command::SelectUnit(u));
            }
            ui.label(RichText::new("›").color(theme::DIM));
        }
    });
}

/// One line: the name at the left, a share bar, the figures at the right; clickable when `click` is set. Painted
/// in one piece, so that its only accessible node is the line itself, named `a11y`.
fn share_row(
    ui: &mut egui::Ui,
    name: &str,
    figures: &str,
    share: f64,
    color: Color32,
    a11y: &str,
    click: bool,
) -> egui::Response {
    let w = ui.available_width().max(200.0);
    let sense = if click { egui::Sense::click() } else { egui::Sense::hover() };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(w, 24.0), sense);
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        if click && response.hovered() {
            painter.rect_filled(rect, 4.0, theme::CARD);
        }
        let font = FontId::proportional(16.0);
        let name_w = (w * 0.42).floor();
        let name_rect = egui::Rect::from_min_size(rect.min, egui::vec2(name_w - 6.0, rect.height()));
        painter.with_clip_rect(name_rect.intersect(painter.clip_rect())).text(
            name_rect.left_center() + egui::vec2(4.0, 0.0),
            egui::Align2::LEFT_CENTER,
            name,
            font.clone(),
            if click { theme::TEXT } else { theme::DIM },
        );
        let bar = egui::Rect::from_center_size(
            egui::pos2(rect.left() + name_w + w * 0.14, rect.center().y),
            egui::vec2(w * 0.28, 12.0),
        );
        painter.rect_filled(bar, 2.0, theme::CARD);
        let mut fill = bar;
        fill.set_width(bar.width() * share.clamp(0.0, 1.0) as f32);
        painter.rect_filled(fill, 2.0, color);
        painter.text(
            rect.right_center() - egui::vec2(4.0, 0.0),
            egui::Align2::RIGHT_CENTER,
            figures,
            font,
            theme::TEXT,
        );
    }
    let role = if click { egui::Role::Button } else { egui::Role::Label };
    response.widget_info(|| egui::WidgetInfo::labeled(role, true, a11y));
    if click { response.on_hover_cursor(egui::CursorIcon::PointingHand) } else { response }
}

/// A section's title.
fn title_ui(ui: &mut egui::Ui, title: &str, hint: &str) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new(title).font(theme::bold(19.0)));
        ui.label(RichText::new(hint).color(theme::DIM).size(14.0));
    });
}

/// Each child unit's share of the weighted score, largest first, in its own colour; a click selects the child.
pub fn children_ui(ui: &mut egui::Ui, state: &AppState, u: &UnitDetail, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(title) = children_title(u.unit, lang) else { return };
    title_ui(ui, title, lang.tr("点击进入下一级", "click to open"));
    let e = &u.explanation;
    let events = lang.tr("起", "ev.");
    for c in e.by_child.iter().take(MAX_CHILDREN) {
        let name = short_name(&state.district, c.unit);
        let figures = format!("{:.0}% · {} {events} · {}", c.share * 100.0, c.events, c.grade.name_in(lang));
        let label = child_label(&name, c.share);
        let r = share_row(ui, &name, &figures, c.share, theme::RISK[c.grade.index()], &label, true);
        if r.on_hover_text(lang.tr("查看其构成", "See what drives it")).clicked() {
            commands.push(Command::SelectUnit(c.unit));
        }
    }
    let rest = e.by_child.get(MAX_CHILDREN..).unwrap_or_default();
    if !rest.is_empty() {
        let share: f64 = rest.iter().map(|c| c.share).sum();
        let n: u32 = rest.iter().map(|c| c.events).sum();
        let name = format!("{} {} {}", lang.tr("其余", "Other"), rest.len(), lang.tr("个", "units"));
        let figures = format!("{:.0}% · {n} {events}", share * 100.0);
        share_row(ui, &name, &figures, share, theme::DIM, &child_label(&name, share), false);
    }
    if let Some(p) = e.unplaced {
        let name = lang.tr("未落到下一级", "Not placed below").to_string();
        let figures = format!("{:.0}% · {} {events}", p.share * 100.0, p.events);
        share_row(ui, &name, &figures, p.share, theme::DIM, &child_label(&name, p.share), false);
    }
    if e.by_child.is_empty() && e.unplaced.is_none() {
        ui.label(RichText::new(lang.tr("本期无计分事件", "No scored events this period")).color(theme::DIM));
    }
}

/// Each category's share, largest first; a click drills the feed to the unit's events of that category.
pub fn categories_ui(ui: &mut egui::Ui, state: &AppState, u: &UnitDetail, commands: &mut Vec<Command>) {
    let lang = state.lang;
    title_ui(ui, lang.tr("分类贡献", "By category"), lang.tr("点击列出事件", "click to list"));
    let e = &u.explanation;
    let color = theme::RISK[e.score.grade.index()];
    let categories = state.risk_view.categories();
    for c in &e.by_category {
        let name = c.category.name_in(lang);
        let figures = format!("{:.0}% · {} {}", c.share * 100.0, c.events, lang.tr("起", "ev."));
        let label = category_label(c.category.zh(), c.events, c.share);
        let drill = Drill::Unit { unit: u.unit, period: u.period, categories, category: Some(c.category) };
        let r = share_row(ui, name, &figures, c.share, color, &label, true);
        crate::panels::drill::clickable(r, label, drill, lang, commands);
    }
    if e.by_category.is_empty() {
        ui.label(RichText::new(lang.tr("本期无计分事件", "No scored events this period")).color(theme::DIM));
    }
}

/// The accessible name of one of the heaviest events' lines: time, category and weight, e.g. `11-09 03:00 命案 50`.
pub fn event_label(t: &TopEvent) -> String {
    let when = chrono::DateTime::from_timestamp(t.record.at, 0).map_or_else(String::new, crate::format::short_time);
    format!("{when} {} {:.0}", t.record.category.zh(), t.weight)
}

/// The heaviest events, heaviest first: a live one opens, a history record drills the feed to it.
pub fn top_events_ui(ui: &mut egui::Ui, state: &AppState, u: &UnitDetail, commands: &mut Vec<Command>) {
    let lang = state.lang;
    if u.top_events.is_empty() {
        return;
    }
    title_ui(ui, lang.tr("主要事件", "Heaviest events"), lang.tr("点击打开", "click to open"));
    let d = &state.district;
    let total = u.explanation.score.weighted;
    for t in &u.top_events {
        let r = &t.record;
        let when = chrono::DateTime::from_timestamp(r.at, 0).map_or_else(String::new, crate::format::short_time);
        let place = match r.building.filter(|b| b.index() < d.buildings.len()) {
            Some(b) => short_name(d, UnitRef::Building(b)),
            None => short_name(d, UnitRef::Grid(r.grid)),
        };
        let name = format!("{when} {} · {place}", r.category.name_in(lang));
        let share = if total > 0.0 { t.weight / total } else { 0.0 };
        let figures = format!("{} · {:.0}", r.severity.name_in(lang), t.weight);
        let label = event_label(t);
        let color = theme::RISK[u.explanation.score.grade.index()];
        let row = share_row(ui, &name, &figures, share, color, &label, true);
        match t.event {
            Some(id) => {
                if row.on_hover_text(lang.tr("打开事件", "Open the event")).clicked() {
                    commands.push(Command::SelectEvent(id));
                }
            }
            None => {
                let drill = Drill::Record { at: r.at, grid: r.grid, category: r.category };
                crate::panels::drill::clickable(row, label, drill, lang, commands);
            }
        }
    }
}
