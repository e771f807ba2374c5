//! The replay timeline under the map: the last days as a bar — events reported per hour drawn in it, a mark at
//! each midnight, the moment shown —; click or drag anywhere on it to see that moment, play it at 1×…3600×, and
//! one click back to live.

use crate::state::{AppState, Command, REPLAY_SPEEDS, ReplayCommand};
use crate::{format, theme};
use egui::{Color32, RichText, Sense, Stroke, pos2, vec2};
use pingan_core::Timestamp;

/// The strip's height, points.
pub const HEIGHT: f32 = 58.0;

/// The bar's accessible label (tests find it by this).
pub fn bar_label(lang: crate::i18n::Lang) -> &'static str {
    lang.tr("回放时间轴", "Replay timeline")
}

/// Draw the timeline; pushes [`Command::Replay`].
pub fn timeline_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let (from, to) = state.replay_window();
    let replay = state.replay();
    ui.horizontal_centered(|ui| {
        let playing = replay.is_some_and(|r| r.playing);
        let play = if playing { lang.tr("暂停", "Pause") } else { lang.tr("▶ 回放", "▶ Replay") };
        if ui.button(RichText::new(play).size(17.0)).clicked() {
            commands.push(Command::Replay(if playing { ReplayCommand::Pause } else { ReplayCommand::Play }));
        }
        let speed = replay.map_or(REPLAY_SPEEDS[2], |r| r.speed);
        egui::ComboBox::new("replay-speed", lang.tr("倍速", "Speed"))
            .width(76.0)
            .selected_text(RichText::new(format!("{speed}×")).size(16.0))
            .show_ui(ui, |ui| {
                for s in REPLAY_SPEEDS {
                    if ui.selectable_label(s == speed, format!("{s}×")).clicked() {
                        commands.push(Command::Replay(ReplayCommand::Speed(s)));
                    }
                }
            });
        let live = egui::Button::new(
            RichText::new(lang.tr("回到实时", "Back to live")).size(17.0).color(if replay.is_some() {
                Color32::BLACK
            } else {
                theme::DIM
            }),
        )
        .fill(if replay.is_some() { theme::AMBER } else { theme::CARD });
        if ui.add_enabled(replay.is_some(), live).clicked() {
            commands.push(Command::Replay(ReplayCommand::Live));
        }
        ui.add_space(8.0);
        let label_w = 230.0;
        let w = (ui.available_width() - label_w).max(120.0);
        let (rect, response) = ui.allocate_exact_size(vec2(w, HEIGHT - 16.0), Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, bar_label(lang)));
        let span = (to - from).num_seconds().max(1) as f32;
        let x_of = |t: Timestamp| rect.left() + (t - from).num_seconds() as f32 / span * rect.width();
        if (response.clicked() || response.dragged())
            && let Some(p) = response.interact_pointer_pos()
        {
            let share = ((p.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
            let t = from + chrono::Duration::seconds((share * span) as i64);
            commands.push(Command::Replay(ReplayCommand::At(t)));
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::CARD);
        // Events reported per hour: where a busy night shows.
        let (counted_from, counts) = state.replay_counts();
        let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
        let bw = rect.width() * 3600.0 / span;
        for (i, &n) in counts.iter().enumerate() {
            let x = x_of(counted_from + chrono::Duration::hours(i as i64));
            if n == 0 || x < rect.left() || x > rect.right() {
                continue;
            }
            let h = (n as f32 / max) * (rect.height() - 16.0);
            let bar =
                egui::Rect::from_min_max(pos2(x, rect.bottom() - 2.0 - h), pos2(x + bw.max(1.0), rect.bottom() - 2.0));
            painter.rect_filled(bar, 0.0, theme::ACCENT.gamma_multiply(0.55));
        }
        // Midnights (China time), labelled with the day.
        let offset = pingan_core::china_offset();
        let mut day = from.with_timezone(&offset).date_naive().succ_opt();
        while let Some(d) = day {
            let Some(midnight) = d.and_hms_opt(0, 0, 0).and_then(|m| m.and_local_timezone(offset).single()) else {
                break;
            };
            let t = midnight.with_timezone(&chrono::Utc);
            if t >= to {
                break;
            }
            let x = x_of(t);
            painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], Stroke::new(1.0, theme::DIM));
            // The label only where it fits (not cut at the live end).
            if x + 44.0 > rect.right() {
                day = d.succ_opt();
                continue;
            }
            painter.text(
                pos2(x + 4.0, rect.top() + 2.0),
                egui::Align2::LEFT_TOP,
                d.format("%m-%d").to_string(),
                egui::FontId::proportional(15.0),
                theme::DIM,
            );
            day = d.succ_opt();
        }
        // The moment shown: amber during a replay, the live end otherwise.
        let (at, colour) = match replay {
            Some(r) => (r.at, theme::AMBER),
            None => (to, theme::WORKER),
        };
        let x = x_of(at).clamp(rect.left() + 1.5, rect.right() - 1.5);
        painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], Stroke::new(3.0, colour));
        ui.add_space(8.0);
        let text = match replay {
            Some(r) => format!("{} {}", lang.tr("回放", "Replay"), format::full_time(r.at)),
            None => lang.tr("实时", "Live").to_string(),
        };
        ui.label(RichText::new(text).font(theme::bold(18.0)).color(colour));
    });
}
