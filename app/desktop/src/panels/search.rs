//! The one-key search (一键搜) on screen: the box in the header (Ctrl+K focuses it, Enter searches), the results in
//! the left panel — counts, the charts of the matches by month, category and town, the units and workers named,
//! the ranked list (a click flies to the event or record and opens it), export — and a history record's card.
//! The heat of the matches over the grids is drawn by the 2D map.

use crate::i18n::{Lang, Named};
use crate::services::search::SearchError;
use crate::state::{AppState, Command};
use crate::theme;
use egui::{Color32, RichText};
use pingan_core::search::{Doc, Hit, Matches, QueryError};
use pingan_core::{UnitRef, china_offset};

/// Height of one result row in points.
const ROW_HEIGHT: f32 = 52.0;

/// The search box's accessible name (tests type into it by this).
pub fn box_label(lang: Lang) -> &'static str {
    lang.tr("一键搜", "Search")
}

/// The search box for the header: Ctrl+K focuses it, Enter searches, Escape clears.
pub fn search_box_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let mut text = state.search.text.clone();
    // A narrow header (a laptop) leaves the box little room: a short hint then.
    let hint = if ui.available_width() < 520.0 {
        lang.tr("一键搜 Ctrl+K", "Search Ctrl+K")
    } else {
        lang.tr("一键搜：关键词、编号、地址码、姓名 (Ctrl+K)", "Search: words, numbers, codes, names (Ctrl+K)")
    };
    let edit = egui::TextEdit::singleline(&mut text)
        .hint_text(hint)
        .desired_width(300.0)
        .font(egui::FontId::proportional(18.0));
    // The header lays this out right to left: the button first puts it to the right of the box.
    let go = ui.button(RichText::new(lang.tr("搜索", "Go")).size(18.0)).clicked();
    let r = ui.add(edit);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, box_label(lang)));
    if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::K)) {
        r.request_focus();
    }
    if r.changed() {
        commands.push(Command::EditSearch(text.clone()));
    }
    // Escape in the box (egui takes the focus away as it is pressed) clears it and ends the search.
    if (r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        commands.push(Command::ClearSearch);
        return;
    }
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if enter || go {
        commands.push(Command::Search(text));
    }
}

/// The results, in the left panel's search tab.
pub fn results_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    crate::panels::books::tabs_ui(ui, state, commands);
    let Some(run) = &state.search.result else {
        ui.label(
            RichText::new(lang.tr("在顶部输入关键词后回车", "Type in the box at the top and press Enter"))
                .color(theme::DIM),
        );
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("「{}」", run.query)).font(theme::bold(20.0)).color(theme::ACCENT));
        if ui.button(lang.tr("× 清除", "× Clear")).clicked() {
            commands.push(Command::ClearSearch);
        }
        if run.matches().is_some_and(|m| m.total() > 0)
            && ui.button(lang.tr("导出 CSV/GeoJSON", "Export CSV/GeoJSON")).clicked()
        {
            commands.push(Command::ExportSearch);
        }
    });
    let m = match &run.answer {
        Ok(m) => m,
        Err(e) => {
            let msg = match e {
                SearchError::Building => lang.tr("正在建立搜索索引，请稍候…", "Building the search index…").to_string(),
                SearchError::Query(QueryError::Empty) => {
                    lang.tr("请输入要搜索的内容", "Type something to search for").into()
                }
                SearchError::Query(QueryError::TooMany) => {
                    format!("{} {}", lang.tr("词太多：最多", "Too many words: at most"), pingan_core::search::MAX_WORDS)
                }
                SearchError::Query(QueryError::TooShort(w)) => format!(
                    "{}「{w}」{}",
                    lang.tr("", "\""),
                    lang.tr("太短：每个词至少两个字", "\" is too short: at least two characters per word")
                ),
            };
            ui.label(RichText::new(msg).color(theme::WARN));
            return;
        }
    };
    ui.label(
        RichText::new(format!(
            "{} {} · {} {} · {} {} · {:.1} ms",
            m.total(),
            lang.tr("条", "matches"),
            lang.tr("实时", "live"),
            m.live.len(),
            lang.tr("历史", "history"),
            m.history.len(),
            run.took_ms
        ))
        .strong(),
    );
    if m.total() > 0 {
        charts_ui(ui, state, m);
    }
    named_ui(ui, state, m, commands);
    ui.separator();
    if m.top.is_empty() {
        ui.label(RichText::new(lang.tr("没有找到", "Nothing found")).color(theme::DIM));
        return;
    }
    if m.total() > m.top.len() {
        ui.label(
            RichText::new(format!("{} {}", lang.tr("列出最相关的", "Listing the best"), m.top.len())).color(theme::DIM),
        );
    }
    egui::ScrollArea::vertical().id_salt("search-hits").auto_shrink([false, false]).show_rows(
        ui,
        ROW_HEIGHT,
        m.top.len(),
        |ui, range| {
            for h in &m.top[range] {
                hit_ui(ui, state, h, commands);
            }
        },
    );
}

fn when(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A hit's title and number (a live event's own, a record's from the history's text).
pub fn hit_text(state: &AppState, doc: Doc) -> (&str, &str) {
    match doc {
        Doc::Live(id) => state.situation.event(id).map_or(("", ""), |e| (e.title.as_str(), e.number.as_str())),
        Doc::History(i) => {
            let (n, t) = state.history_text.get(i as usize).unwrap_or_default();
            (t, n)
        }
    }
}

fn hit_ui(ui: &mut egui::Ui, state: &AppState, h: &Hit, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let (title, number) = hit_text(state, h.doc);
    let r = &h.record;
    let town = state.district.towns.get(r.town.index()).map_or("", |t| t.name.as_str());
    let community = state.district.communities.get(r.community.index()).map_or("", |c| c.name.as_str());
    let (tag, selected) = match h.doc {
        Doc::Live(id) => (lang.tr("实时", "live"), state.selected == Some(id)),
        Doc::History(i) => (lang.tr("历史", "past"), state.search.record == Some(i)),
    };
    let title = if title.is_empty() { r.category.name_in(lang) } else { title };
    let mut job = egui::text::LayoutJob::default();
    let fmt = |size: f32, color: Color32| egui::TextFormat {
        font_id: egui::FontId::proportional(size),
        color,
        ..Default::default()
    };
    job.append(
        &format!("{tag} "),
        0.0,
        fmt(15.0, if matches!(h.doc, Doc::Live(_)) { theme::WORKER } else { theme::DIM }),
    );
    job.append(title, 0.0, fmt(18.0, theme::TEXT));
    job.append(&format!("  {}\n", r.category.name_in(lang)), 0.0, fmt(15.0, theme::severity_color(r.severity)));
    job.append(&format!("{}  {town} · {community}  {number}", when(r.at)), 0.0, fmt(14.0, theme::DIM));
    let button = egui::Button::selectable(selected, job).min_size(egui::vec2(ui.available_width(), ROW_HEIGHT - 6.0));
    if ui.add(button).clicked() {
        commands.push(match h.doc {
            Doc::Live(id) => Command::SelectEvent(id),
            Doc::History(i) => Command::SelectRecord(i),
        });
    }
}

/// Small bar charts of the matches: the last 24 months, the top categories, the top towns.
fn charts_ui(ui: &mut egui::Ui, state: &AppState, m: &Matches) {
    let lang = state.lang;
    ui.label(RichText::new(lang.tr("按月（近24个月）", "By month (24 months)")).color(theme::DIM));
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 56.0), egui::Sense::hover());
    let p = ui.painter_at(rect);
    let max = m.by_month.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f32;
    let w = rect.width() / m.by_month.len().max(1) as f32;
    for (i, (month, n)) in m.by_month.iter().enumerate() {
        let h = (rect.height() - 14.0) * *n as f32 / max;
        let x = rect.left() + i as f32 * w;
        p.rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(x + 1.0, rect.bottom() - 14.0 - h),
                egui::pos2(x + w - 1.0, rect.bottom() - 14.0),
            ),
            1.0,
            theme::ACCENT,
        );
        if chrono::Datelike::month(month) == 1 || i == 0 {
            p.text(
                egui::pos2(x, rect.bottom()),
                egui::Align2::LEFT_BOTTOM,
                month.format("%y-%m").to_string(),
                egui::FontId::proportional(11.0),
                theme::DIM,
            );
        }
    }
    let bars = |ui: &mut egui::Ui, title: &str, rows: Vec<(String, u32, Color32)>| {
        ui.label(RichText::new(title).color(theme::DIM));
        let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f32;
        for (label, n, color) in rows {
            ui.horizontal(|ui| {
                ui.add_sized([110.0, 18.0], egui::Label::new(RichText::new(label).size(14.0)).truncate());
                let (r, _) = ui.allocate_exact_size(
                    egui::vec2((ui.available_width() - 60.0).max(20.0), 14.0),
                    egui::Sense::hover(),
                );
                ui.painter().rect_filled(
                    egui::Rect::from_min_size(r.min, egui::vec2(r.width() * n as f32 / max, r.height())),
                    2.0,
                    color,
                );
                ui.label(RichText::new(n.to_string()).size(14.0));
            });
        }
    };
    ui.columns(2, |cols| {
        let cats = m.by_category.iter().take(6).map(|(c, n)| (c.name_in(lang).to_string(), *n, theme::AMBER)).collect();
        bars(&mut cols[0], lang.tr("按类别", "By category"), cats);
        let mut towns: Vec<(usize, u32)> = m.by_town.iter().copied().enumerate().filter(|(_, n)| *n > 0).collect();
        towns.sort_by_key(|t| std::cmp::Reverse(t.1));
        let towns = towns
            .into_iter()
            .take(6)
            .map(|(i, n)| (state.district.towns.get(i).map_or("?", |t| t.name.as_str()).to_string(), n, theme::ACCENT))
            .collect();
        bars(&mut cols[1], lang.tr("按镇街", "By town"), towns);
    });
}

/// The units and workers whose names hold a query word: a click selects the unit (or flies to the worker).
fn named_ui(ui: &mut egui::Ui, state: &AppState, m: &Matches, commands: &mut Vec<Command>) {
    if m.units.is_empty() && m.workers.is_empty() {
        return;
    }
    let lang = state.lang;
    let d = &state.district;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(lang.tr("地点/人员：", "Places/people: ")).color(theme::DIM));
        for u in m.units.iter().take(12) {
            let name = match *u {
                UnitRef::Town(t) => d.towns.get(t.index()).map(|x| x.name.clone()),
                UnitRef::Community(c) => d.communities.get(c.index()).map(|x| x.name.clone()),
                UnitRef::Grid(g) => d.grids.get(g.index()).map(|g| d.grid_place(g.id)),
                _ => None,
            };
            if let Some(name) = name
                && ui.link(name).clicked()
            {
                commands.push(Command::SelectUnit(*u));
            }
        }
        for w in m.workers.iter().take(12) {
            if let Some(w) = state.situation.worker(*w)
                && ui
                    .link(RichText::new(format!("{} ({})", w.name, lang.tr("网格员", "worker"))).color(theme::WORKER))
                    .clicked()
            {
                commands.push(Command::FlyTo(w.position, 17.0));
            }
        }
    });
}

/// A history record's card (opened from the search results).
pub fn record_card_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(i) = state.search.record else { return };
    let Some(r) = state.history.get(i as usize) else { return };
    let (number, title) = state.history_text.get(i as usize).unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label(RichText::new(lang.tr("历史事件", "Past event")).font(theme::bold(24.0)).color(theme::ACCENT));
        if ui.button("×").on_hover_text(lang.tr("关闭", "Close")).clicked() {
            commands.push(Command::ClearSelection);
        }
    });
    ui.label(RichText::new(if title.is_empty() { r.category.name_in(lang) } else { title }).font(theme::bold(22.0)));
    let d = &state.district;
    let place = match r.building.and_then(|b| d.buildings.get(b.index())) {
        Some(b) => format!("{} {}", d.grid_place(r.grid), b.name),
        None => d.grids.get(r.grid.index()).map_or(String::new(), |_| d.grid_place(r.grid)),
    };
    let code = match r.building.and_then(|b| d.buildings.get(b.index())) {
        Some(b) => b.code.segmented(),
        None => d.grids.get(r.grid.index()).map_or(String::new(), |g| g.code.segmented()),
    };
    egui::Grid::new("record-card").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        for (k, v) in [
            (lang.tr("编号", "Number"), number.to_string()),
            (lang.tr("时间", "Time"), when(r.at)),
            (lang.tr("类别", "Category"), r.category.name_in(lang).to_string()),
            (lang.tr("等级", "Severity"), r.severity.name_in(lang).to_string()),
            (lang.tr("地点", "Place"), place),
            (lang.tr("地址码", "Address code"), code),
        ] {
            ui.label(RichText::new(k).color(theme::DIM));
            ui.label(v);
            ui.end_row();
        }
    });
    ui.label(
        RichText::new(
            lang.tr("已办结的历史记录：只读，不在实时地图上", "A closed past record: read only, not on the live map"),
        )
        .color(theme::DIM),
    );
}
