//! The wall's tables panel as a board (大屏): the league table on the left and the command loop on the right, side
//! by side in compact rows of 15–16 points, each table as many rows as its room holds. A league longer than that
//! turns its pages by itself, like the ticker (every [`PAGE_S`] seconds, on the frames the live clock already
//! brings: no animation frames of its own). Under the loop, task books by town and warning precision take turns
//! (every [`TURN_S`] seconds), and the major-event ticker closes the column.

use super::{LeagueSort, Rows, league_ui, loops_ui, patrol_ui, precision_ui, ticker_ui};
use crate::panels::drill::Numbers;
use crate::services::assessment::ReportData;
use crate::state::AppState;
use crate::theme;
use egui::{RichText, TextStyle};

/// The narrowest tables panel (points) drawn as a board; a narrower one lists the tables one under the other.
pub(super) const MIN_WIDTH: f32 = 900.0;

/// Seconds each page of a table longer than its room stays.
const PAGE_S: i64 = 8;

/// Seconds the task books and the warning precision each stay under the loop.
const TURN_S: i64 = 16;

/// The text sizes tried, the larger first: the largest that shows the whole league (or the most of it).
const SIZES: [f32; 2] = [16.0, 15.0];

/// Room between the rows, points.
const ROW_GAP: f32 = 2.0;

/// The ticker's strip, points.
const TICKER_H: f32 = 40.0;

/// The board: league left, loop right; fills the `ui`.
pub(super) fn board_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    data: &ReportData,
    sort: &mut LeagueSort,
    nums: &mut Numbers<'_>,
) {
    let full = ui.available_rect_before_wrap();
    let gap = 16.0;
    let left_w = ((full.width() - gap) * 0.56).floor();
    let left = egui::Rect::from_min_size(full.min, egui::vec2(left_w, full.height()));
    let right = egui::Rect::from_min_max(egui::pos2(left.right() + gap, full.top()), full.max);
    let size = league_size(ui, left.height(), data.league.len());
    let mut l = column(ui, left, "board-league", size);
    league_board_ui(&mut l, state, data, sort, nums, size);
    let mut r = column(ui, right, "board-loop", size);
    side_ui(&mut r, state, data, nums, size);
    ui.advance_cursor_after_rect(full);
}

/// A column of the board in `rect`, clipped to it, its text `size` points and its rows compact.
fn column(ui: &mut egui::Ui, rect: egui::Rect, salt: &str, size: f32) -> egui::Ui {
    let mut c = ui.new_child(egui::UiBuilder::new().max_rect(rect).id_salt(salt));
    c.set_clip_rect(rect.intersect(ui.clip_rect()));
    let h = row_height(ui, size);
    let style = c.style_mut();
    style.text_styles.insert(TextStyle::Body, egui::FontId::proportional(size));
    style.text_styles.insert(TextStyle::Button, egui::FontId::proportional(size));
    style.text_styles.insert(TextStyle::Monospace, egui::FontId::monospace(size));
    style.spacing.item_spacing.y = 4.0;
    style.spacing.button_padding.y = 0.0;
    style.spacing.interact_size.y = h;
    c
}

/// The height of a row of text `size` points (the CJK font, bold, the marks ■▲▼ and figures), points.
fn row_height(ui: &egui::Ui, size: f32) -> f32 {
    ["平安镇街 0.87", "■ 红 ▲3 ▼2 — 12%"]
        .iter()
        .flat_map(|t| {
            [theme::bold(size), egui::FontId::proportional(size), egui::FontId::monospace(size)]
                .map(|f| ui.painter().layout_no_wrap(t.to_string(), f, theme::TEXT).size().y)
        })
        .fold(0.0, f32::max)
}

/// The title's height at `size`, with the room under it.
fn title_height(ui: &egui::Ui, size: f32) -> f32 {
    ui.painter().layout_no_wrap("平安赛马榜 (1/2)".into(), theme::bold(size + 2.0), theme::TEXT).size().y + 4.0
}

/// How many data rows of a table (with its title and header row) fit `height` at `size`.
fn rows_fitting(ui: &egui::Ui, height: f32, size: f32) -> usize {
    let row = row_height(ui, size);
    ((height - title_height(ui, size) - row) / (row + ROW_GAP)).floor().max(1.0) as usize
}

/// The largest of [`SIZES`] that shows all `rows` in `height`, else the smallest.
fn league_size(ui: &egui::Ui, height: f32, rows: usize) -> f32 {
    SIZES.into_iter().find(|&s| rows_fitting(ui, height, s) >= rows).unwrap_or(SIZES[SIZES.len() - 1])
}

/// Which rows of `total` show now when `fit` fit, and the page's label (`None`: they all fit).
fn page(state: &AppState, total: usize, fit: usize, every_s: i64) -> (std::ops::Range<usize>, Option<String>) {
    if total <= fit {
        return (0..total, None);
    }
    let pages = total.div_ceil(fit);
    let k = (state.now.timestamp().max(0) / every_s) as usize % pages;
    (k * fit..((k + 1) * fit).min(total), Some(format!("({}/{pages})", k + 1)))
}

/// A table's title, with its page when it turns pages.
fn title_ui(ui: &mut egui::Ui, text: &str, page: Option<String>, size: f32) {
    let text = match page {
        Some(p) => format!("{text} {p}"),
        None => text.to_string(),
    };
    ui.label(RichText::new(text).font(theme::bold(size + 2.0)).color(theme::ACCENT));
}

/// The league table, as many rows as fit, turning pages when there are more.
fn league_board_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    data: &ReportData,
    sort: &mut LeagueSort,
    nums: &mut Numbers<'_>,
    size: f32,
) {
    let lang = state.lang;
    let fit = rows_fitting(ui, ui.available_height(), size);
    let (show, page) = page(state, data.league.len(), fit, PAGE_S);
    title_ui(ui, lang.tr("平安赛马榜 · 镇街", "League table · towns"), page, size);
    league_ui(ui, data, sort, nums, &Rows { size, gap: ROW_GAP, show });
}

/// The right column: the command loop, then task books or warning precision in turn, the ticker at the bottom.
fn side_ui(ui: &mut egui::Ui, state: &AppState, data: &ReportData, nums: &mut Numbers<'_>, size: f32) {
    let lang = state.lang;
    let full = ui.available_rect_before_wrap();
    title_ui(ui, lang.tr("闭环考核 · 分级", "Command loop · by level"), None, size);
    loops_ui(ui, data, nums, &Rows::all(size, ROW_GAP));
    ui.add_space(8.0);
    let ticker = egui::Rect::from_min_max(egui::pos2(full.left(), full.bottom() - TICKER_H), full.max);
    // What is left between the loop and the ticker.
    let room = egui::Rect::from_min_max(ui.cursor().min, egui::pos2(full.right(), ticker.top() - 6.0));
    let patrol_rows = data.patrol.iter().filter(|c| c.issued > 0).count();
    let mut turns: Vec<Turn> = Vec::new();
    if patrol_rows > 0 {
        turns.push(Turn::Patrol(patrol_rows + 1));
    }
    if !data.loops.precision.is_empty() {
        turns.push(Turn::Precision(data.loops.precision.len()));
    }
    let fit = rows_fitting(ui, room.height(), size);
    if !turns.is_empty() && room.height() >= title_height(ui, size) + 2.0 * row_height(ui, size) {
        let turn = turns[(state.now.timestamp().max(0) / TURN_S) as usize % turns.len()];
        let mut t = ui.new_child(egui::UiBuilder::new().max_rect(room).id_salt("board-turn"));
        t.set_clip_rect(room.intersect(ui.clip_rect()));
        match turn {
            Turn::Patrol(n) => {
                let (show, page) = page(state, n, fit, PAGE_S);
                title_ui(&mut t, lang.tr("巡查任务书 · 镇街完成情况", "Patrol task books · by town"), page, size);
                patrol_ui(&mut t, state, data, lang, &Rows { size, gap: ROW_GAP, show });
            }
            Turn::Precision(n) => {
                let (show, page) = page(state, n, fit, PAGE_S);
                title_ui(&mut t, lang.tr("预警精准率", "Warning precision"), page, size);
                precision_ui(&mut t, data, lang, &Rows { size, gap: ROW_GAP, show });
            }
        }
    }
    let mut strip = ui.new_child(egui::UiBuilder::new().max_rect(ticker).id_salt("board-ticker"));
    ticker_ui(&mut strip, state);
    ui.advance_cursor_after_rect(full);
}

/// What takes its turn under the loop, with its number of rows.
#[derive(Clone, Copy)]
enum Turn {
    Patrol(usize),
    Precision(usize),
}
