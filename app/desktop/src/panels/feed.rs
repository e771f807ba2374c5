//! The live event feed: open events by time left (the nearest deadline first), then closed ones; coloured by
//! severity; filterable by category, state, town and "my level".

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command, FeedFilter, StatusFilter};
use crate::{format, theme};
use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat};
use pingan_core::{Event, EventCategory, Timestamp};

/// Height of one feed row in points.
const ROW_HEIGHT: f32 = 62.0;

/// Draw the feed with its filters.
pub fn event_feed_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let feed = state.feed();
    crate::panels::books::tabs_ui(ui, state, commands);
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
