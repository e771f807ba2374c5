//! Decluttered map labels, shared by the 2D map and the 3D view.

use egui::{Color32, FontId, Painter, Pos2, Rect, vec2};

/// Screen rectangles already taken by labels (decluttering: a label that would overlap is skipped).
/// Shared by the 2D map and the 3D view.
#[derive(Default)]
pub struct Labels {
    /// Rectangles already used (or reserved for buttons and legends).
    pub taken: Vec<Rect>,
}

impl Labels {
    /// Place text centred at `at` unless it would overlap an earlier label; returns whether it was drawn.
    pub fn place(&mut self, painter: &Painter, at: Pos2, text: &str, font: FontId, color: Color32, halo: bool) -> bool {
        let galley = painter.layout_no_wrap(text.to_string(), font, color);
        let r = Rect::from_center_size(at, galley.size()).expand(2.0);
        if !painter.clip_rect().intersects(r) || self.taken.iter().any(|t| t.intersects(r)) {
            return false;
        }
        self.taken.push(r);
        if halo {
            painter.rect_filled(r, 4.0, Color32::from_black_alpha(140));
        }
        painter.galley(r.min + vec2(2.0, 2.0), galley, color);
        true
    }
}
