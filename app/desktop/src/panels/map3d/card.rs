//! The card in the 3D view's corner: what was picked (a building, a grid, a worker) and its events.

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Picked};
use crate::theme;
use egui::{Color32, FontId, Rect, Stroke, pos2, vec2};

/// Draw the card for `picked` in the top-right corner of `rect`.
pub fn card_ui(painter: &egui::Painter, rect: Rect, state: &AppState, picked: Picked, lang: Lang) {
    let d = &state.district;
    let events_where = |f: &dyn Fn(&pingan_core::Event) -> bool| {
        let all: Vec<_> = state.situation.events.iter().filter(|e| f(e)).collect();
        let open = all.iter().filter(|e| e.state.is_open()).count();
        (
            format!("{} {} · {} {}", lang.tr("历史事件", "events"), all.len(), lang.tr("未办结", "open"), open),
            if open > 0 { theme::OVERDUE } else { theme::DIM },
            16.0,
        )
    };
    let lines: Vec<(String, Color32, f32)> = match picked {
        Picked::Building(id) => {
            let Some(b) = d.buildings.get(id.index()) else { return };
            vec![
                (format!("{} · {}", b.name, b.kind.name_in(lang)), theme::TEXT, 20.0),
                (b.code.segmented(), theme::ACCENT, 16.0),
                (crate::format::grid_place(d, b.grid), theme::DIM, 16.0),
                (
                    format!(
                        "{} {} · {:.0} m · {} {} · {} {}",
                        b.floors,
                        lang.tr("层", "floors"),
                        b.height_m,
                        b.households,
                        lang.tr("户", "households"),
                        b.population,
                        lang.tr("人", "people")
                    ),
                    theme::TEXT,
                    16.0,
                ),
                events_where(&|e| e.building == Some(id)),
            ]
        }
        Picked::Grid(id) => {
            let Some(g) = d.grids.get(id.index()) else { return };
            vec![
                (crate::format::grid_place(d, id), theme::TEXT, 20.0),
                (g.code.segmented(), theme::ACCENT, 16.0),
                (crate::format::unit_stats(g.stats, lang), theme::TEXT, 16.0),
                (
                    format!(
                        "{} {} · {} {}",
                        g.buildings.len(),
                        lang.tr("幢楼", "buildings"),
                        g.stats.houses,
                        lang.tr("户", "dwellings")
                    ),
                    theme::DIM,
                    16.0,
                ),
                events_where(&|e| e.grid == id),
            ]
        }
        Picked::Worker(id) => {
            let Some(w) = state.situation.worker(id) else { return };
            vec![
                (
                    format!("{} · {}{}", w.name, w.kind.name_in(lang), lang.tr("网格员", " grid worker")),
                    theme::WORKER,
                    20.0,
                ),
                (w.status.name_in(lang).to_string(), theme::TEXT, 16.0),
                (crate::format::worker_place(d, w), theme::DIM, 16.0),
                (
                    format!("{} {}", lang.tr("定位时间", "seen at"), crate::format::full_time(w.seen_at)),
                    theme::DIM,
                    16.0,
                ),
                events_where(&|e| e.assignee == Some(id)),
            ]
        }
    };
    let card = Rect::from_min_size(rect.right_top() + vec2(-470.0, 60.0), vec2(460.0, 156.0));
    painter.rect(
        card,
        6.0,
        theme::PANEL.gamma_multiply(0.95),
        Stroke::new(1.0, theme::ACCENT),
        egui::StrokeKind::Inside,
    );
    let mut y = card.top() + 10.0;
    for (text, color, size) in lines {
        painter.text(pos2(card.left() + 12.0, y), egui::Align2::LEFT_TOP, text, FontId::proportional(size), color);
        y += size + 9.0;
    }
}
