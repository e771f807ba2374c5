//! Patrol task books on the 2D map: a badge (巡) over the grid of every open book, blue in time and red overdue —
//! from the communities' zoom in, or at every zoom while the task books tab is open —; the selected book's stops as numbered squares on their buildings — white to do, green checked, amber with a
//! problem found.

use super::View;
use super::draw::{outline_ui, to_ui, view_bbox};
use crate::theme;
use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Stroke, vec2};
use pingan_core::patrol::{BookState, CheckOutcome, TaskBookId};
use walkers::Projector;

/// Draw the books; returns the badges on screen (centre, book) for clicks.
pub(super) fn draw_books(
    painter: &Painter,
    view: &View<'_>,
    projector: &Projector,
    rect: Rect,
    zoom: f64,
) -> Vec<(Pos2, TaskBookId)> {
    let bbox = view_bbox(projector, rect);
    let badges = view.books_tab || zoom >= super::COMMUNITIES_ZOOM;
    let mut hits = Vec::new();
    for b in &view.situation.task_books {
        let selected = view.selected_book == Some(b.id);
        let state = b.state(view.now);
        if (state == BookState::Closed || !badges) && !selected {
            continue;
        }
        let Some(grid) = view.district.grids.get(b.grid.index()) else { continue };
        if selected {
            draw_stops(painter, view, projector, b);
        }
        if !bbox.contains(grid.label_at) {
            continue;
        }
        // Above the grid's name, clear of it.
        let p = to_ui(projector, grid.label_at) + vec2(0.0, -26.0);
        let fill = crate::panels::books::state_color(state);
        let badge = Rect::from_center_size(p, vec2(24.0, 22.0));
        painter.rect_filled(badge, 5.0, fill);
        if selected {
            painter.rect_stroke(badge.expand(3.0), 6.0, Stroke::new(2.5, Color32::WHITE), egui::StrokeKind::Outside);
        }
        painter.text(p, Align2::CENTER_CENTER, view.lang.tr("巡", "P"), theme::bold(15.0), Color32::WHITE);
        let progress = format!("{}/{}", b.done(), b.checks.len());
        painter.text(p + vec2(15.0, 0.0), Align2::LEFT_CENTER, progress, FontId::proportional(15.0), fill);
        hits.push((p, b.id));
    }
    hits
}

/// The selected book's stops: each building outlined, with its number in a square coloured by its report.
fn draw_stops(painter: &Painter, view: &View<'_>, projector: &Projector, b: &pingan_core::patrol::TaskBook) {
    for (i, c) in b.checks.iter().enumerate() {
        let color = match c.result.as_ref().map(|r| r.outcome) {
            None => Color32::WHITE,
            Some(CheckOutcome::Done) => theme::RISK[4],
            Some(CheckOutcome::Problem) => theme::AMBER,
        };
        let at = match c.building.and_then(|id| view.district.buildings.get(id.index())) {
            Some(building) => {
                let ring = outline_ui(projector, &building.footprint.exterior);
                if ring.len() >= 3 {
                    painter.add(egui::Shape::closed_line(ring, Stroke::new(2.5, color)));
                }
                building.footprint.centroid()
            }
            None => match view.district.grids.get(b.grid.index()) {
                Some(g) => g.label_at,
                None => continue,
            },
        };
        let p = to_ui(projector, at);
        let square = Rect::from_center_size(p, vec2(20.0, 20.0));
        painter.rect_filled(square, 3.0, color);
        painter.text(p, Align2::CENTER_CENTER, format!("{}", i + 1), theme::bold(14.0), Color32::from_rgb(10, 20, 40));
    }
}
