//! The live event feed: open events by time left (the nearest deadline first), then closed ones; coloured by
//! severity; filterable by category, state, town and "my level". While a number is drilled through, the drill's
//! breadcrumb and its events instead ([`crate::panels::drill`]).

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command, Drilled, FeedFilter, StatusFilter};
use crate::{format, theme};
use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat};
use pingan_core::assess::EventRecord;
use pingan_core::{Event, EventCategory, Timestamp};

/// Height of one feed row in points.
const ROW_HEIGHT: f32 = 62.0;
/// Height of a history record's row in points.
const RECORD_HEIGHT: f32 = 24.0;
/// Height of the line between the live events and the history records.
const SECTION_HEIGHT: f32 = 30.0;

/// Draw the feed with its filters.
pub fn event_feed_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    crate::panels::books::tabs_ui(ui, state, commands);
    if let Some(drilled) = state.drilled() {
        crate::panels::drill::breadcrumb_ui(ui, state, &drilled, commands);
        ui.separator();
        drilled_feed_ui(ui, state, &drilled, commands);
        return;
    }
    let feed = state.feed();
    ui.label(RichText::new(format!("{} {}", feed.len(), lang.tr("条", "shown"))).color(theme::DIM));
    filters_ui(ui, state, commands);
    ui.separator();
    if feed.is_empty() {
        ui.label(RichText::new(lang.tr("没有符合条件的事件", "No events match the filters")).color(theme::DIM));
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(ui, ROW_HEIGHT, feed.len(), |ui, range| {
        for e in &feed[range] {
            let selected = state.selected == Some(e.id);
            let job = row_text(e, state.now, lang);
            let button =
                egui::Button::selectable(selected, job).min_size(egui::vec2(ui.available_width(), ROW_HEIGHT - 8.0));
            if ui.add(button).clicked() {
                commands.push(Command::SelectEvent(e.id));
            }
        }
    });
}

/// The drilled feed: live events (full rows; a click selects one), then the history records, compact.
fn drilled_feed_ui(ui: &mut egui::Ui, state: &AppState, drilled: &Drilled<'_>, commands: &mut Vec<Command>) {
    let lang = state.lang;
    if drilled.total() == 0 {
        ui.label(RichText::new(lang.tr("没有事件", "No events")).color(theme::DIM));
        return;
    }
    let row_h = ROW_HEIGHT;
    let live_h = drilled.live.len() as f32 * row_h;
    let section = if drilled.history.is_empty() { 0.0 } else { SECTION_HEIGHT };
    let total = live_h + section + drilled.history.len() as f32 * RECORD_HEIGHT;
    egui::ScrollArea::vertical().id_salt("drilled-feed").auto_shrink([false, false]).show_viewport(ui, |ui, vp| {
        ui.set_height(total);
        let origin = ui.min_rect().min;
        let w = ui.available_width();
        let rows = |top: f32, h: f32, n: usize| {
            let first = (((vp.min.y - top) / h).floor().max(0.0) as usize).min(n);
            let last = ((((vp.max.y - top) / h).ceil().max(0.0)) as usize).min(n);
            first..last
        };
        for i in rows(0.0, row_h, drilled.live.len()) {
            let e = drilled.live[i];
            let rect =
                egui::Rect::from_min_size(origin + egui::vec2(0.0, i as f32 * row_h), egui::vec2(w, row_h - 8.0));
            let job = row_text(e, state.now, lang);
            if ui.put(rect, egui::Button::selectable(state.selected == Some(e.id), job)).clicked() {
                commands.push(Command::SelectEvent(e.id));
            }
        }
        if section > 0.0 && vp.min.y <= live_h + section && vp.max.y >= live_h {
            let rect = egui::Rect::from_min_size(origin + egui::vec2(0.0, live_h), egui::vec2(w, section));
            let text = format!(
                "{} ({})",
                lang.tr("历史记录（不在地图上）", "History records (not on the map)"),
                drilled.history.len()
            );
            ui.put(rect, egui::Label::new(RichText::new(text).strong().color(theme::DIM)));
        }
        let top = live_h + section;
        for i in rows(top, RECORD_HEIGHT, drilled.history.len()) {
            let rect = egui::Rect::from_min_size(
                origin + egui::vec2(0.0, top + i as f32 * RECORD_HEIGHT),
                egui::vec2(w, RECORD_HEIGHT),
            );
            let text = record_text(drilled.history[i], state, lang);
            ui.put(rect, egui::Label::new(RichText::new(text).size(15.0).color(Color32::from_gray(190))).truncate());
        }
    });
}

/// A history record's row: `2026-03-02 14:05  盗窃 · 一般  城关街道 · 东门社区`.
fn record_text(r: &EventRecord, state: &AppState, lang: Lang) -> String {
    let at = chrono::DateTime::from_timestamp(r.at, 0)
        .map(|t| t.with_timezone(&pingan_core::china_offset()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let d = &state.district;
    let town = d.towns.get(r.town.index()).map_or("?", |t| t.name.as_str());
    let community = d.communities.get(r.community.index()).map_or("?", |c| c.name.as_str());
    format!("{at}  {} · {}  {town} · {community}", r.category.name_in(lang), r.severity.name_in(lang))
}

fn filters_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let mut f: FeedFilter = state.filter;
    ui.horizontal_wrapped(|ui| {
        let all_cat = lang.tr("全部类别", "All categories");
        egui::ComboBox::new("feed-category", lang.tr("类别", "Category"))
            .selected_text(f.category.map_or(all_cat, |c| c.name_in(lang)))
            .height(600.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.category, None, all_cat);
                for c in EventCategory::ALL {
                    ui.selectable_value(&mut f.category, Some(c), c.name_in(lang));
                }
            });
        egui::ComboBox::new("feed-status", lang.tr("状态", "State")).selected_text(f.status.label(lang)).show_ui(
            ui,
            |ui| {
                for s in StatusFilter::ALL {
                    ui.selectable_value(&mut f.status, s, s.label(lang));
                }
            },
        );
        let all_towns = lang.tr("全部镇街", "All towns");
        egui::ComboBox::new("feed-town", lang.tr("镇街", "Town"))
            .selected_text(
                f.town.and_then(|t| state.district.towns.get(t.index())).map_or(all_towns, |t| t.name.as_str()),
            )
            .height(600.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.town, None, all_towns);
                for t in &state.district.towns {
                    ui.selectable_value(&mut f.town, Some(t.id), t.name.as_str());
                }
            });
        // "My level": what this room owns, and what went above it from its area.
        if let Some(actor) = state.actor() {
            let mut mine = f.mine.is_some();
            let label = format!(
                "{} · {}",
                lang.tr("本级事项", "My level"),
                crate::format::unit_name(&state.district, actor.unit)
            );
            if ui.toggle_value(&mut mine, label).changed() {
                f.mine = mine.then_some(actor.unit);
            }
        }
    });
    if f != state.filter {
        commands.push(Command::SetFilter(f));
    }
}

/// The two-line text of a feed row; its plain text is also the row's accessible name.
fn row_text(e: &Event, now: Timestamp, lang: Lang) -> LayoutJob {
    let mut job = LayoutJob::default();
    let fmt =
        |size: f32, color: Color32| TextFormat { font_id: FontId::proportional(size), color, ..Default::default() };
    let sev = theme::severity_color(e.severity);
    job.append("■ ", 0.0, fmt(19.0, sev));
    job.append(&format!("[{}] ", e.severity.name_in(lang)), 0.0, fmt(17.0, sev));
    job.append(
        e.category.name_in(lang),
        0.0,
        TextFormat { font_id: theme::bold(19.0), color: theme::TEXT, ..Default::default() },
    );
    job.append(&format!(" · {}", e.title), 0.0, fmt(19.0, theme::TEXT));
    let overdue = e.is_overdue(now);
    let state_color = if overdue {
        theme::OVERDUE
    } else if e.state.is_open() {
        theme::ACCENT
    } else {
        theme::DIM
    };
    let level = lang.tr(e.level.zh(), e.level.en());
    let state_text = if overdue {
        format!(
            "{} · {level} · {} {}",
            e.state.name_in(lang),
            lang.tr("逾期", "OVERDUE"),
            format::duration(now - e.deadline, lang)
        )
    } else if e.state.is_open() {
        format!(
            "{} · {level} · {}{}",
            e.state.name_in(lang),
            lang.tr("剩余", "left "),
            format::duration(e.deadline - now, lang)
        )
    } else {
        e.state.name_in(lang).to_string()
    };
    let place = e.place.split(' ').take(2).collect::<Vec<_>>().join(" ");
    job.append(
        &format!("\n{}  {}  {}  ", format::short_time(e.reported_at), e.number, place),
        0.0,
        fmt(15.0, theme::DIM),
    );
    job.append(&state_text, 0.0, fmt(15.0, state_color));
    job
}
