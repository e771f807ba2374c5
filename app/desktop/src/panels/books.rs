//! Patrol task books (巡查任务书): the list in the left panel (beside the live events), a book's detail on the right —
//! why it was issued, what to check, the stops with their reports — and the buttons that report a stop. Steps the
//! rules would refuse are greyed out with the reason.

use crate::i18n::{Lang, Named};
use crate::state::{AppState, Command, FeedTab};
use crate::{format, theme};
use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat};
use pingan_core::Timestamp;
use pingan_core::patrol::{BookState, CheckOutcome, TaskBook};

/// Height of one list row in points.
const ROW_HEIGHT: f32 = 62.0;

/// The switch between the live events, the task books and coverage, at the top of the left panel.
pub fn tabs_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let open = state.situation.task_books.iter().filter(|b| !b.is_closed()).count();
    let voids = state.voids().len();
    ui.horizontal_wrapped(|ui| {
        for (tab, label) in [
            (FeedTab::Events, lang.tr("实时事件", "Live events").to_string()),
            (FeedTab::TaskBooks, format!("{} ({open})", lang.tr("任务书", "Books"))),
            (FeedTab::Coverage, format!("{} ({voids})", lang.tr("盲区", "Voids"))),
            (
                FeedTab::Attention,
                format!("{} ({})", lang.tr("待确认", "To acknowledge"), state.attention.unacked.len()),
            ),
        ]
        .into_iter()
        .chain(state.search.result.as_ref().map(|r| {
            let n = r.matches().map_or(0, |m| m.total());
            (FeedTab::Search, format!("{} ({n})", lang.tr("搜索", "Search")))
        })) {
            let text = RichText::new(label).font(theme::bold(20.0));
            if ui.selectable_label(state.feed_tab == tab, text).clicked() && state.feed_tab != tab {
                commands.push(Command::SetFeedTab(tab));
            }
        }
    });
}

/// The colour of a book's state.
pub fn state_color(s: BookState) -> Color32 {
    match s {
        BookState::Open => theme::ACCENT,
        BookState::Overdue => theme::OVERDUE,
        BookState::Closed => theme::DIM,
    }
}

/// Task books: open ones by deadline (overdue first), then closed ones, newest first.
pub fn books_in_order(state: &AppState) -> Vec<&TaskBook> {
    let mut books: Vec<&TaskBook> = state.situation.task_books.iter().collect();
    books.sort_by(|a, b| match (a.is_closed(), b.is_closed()) {
        (false, false) => a.due.cmp(&b.due),
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (true, true) => b.issued_at.cmp(&a.issued_at),
    });
    books
}

/// The list of task books.
pub fn book_list_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    tabs_ui(ui, state, commands);
    let books = books_in_order(state);
    let overdue = books.iter().filter(|b| b.state(state.now) == BookState::Overdue).count();
    let open = books.iter().filter(|b| !b.is_closed()).count();
    ui.label(
        RichText::new(format!(
            "{} {open} · {} {overdue} · {} {}",
            lang.tr("执行中", "open"),
            lang.tr("已超期", "overdue"),
            lang.tr("共", "all"),
            books.len()
        ))
        .color(theme::DIM),
    );
    ui.separator();
    if books.is_empty() {
        ui.label(
            RichText::new(lang.tr(
                "暂无巡查任务书：红色单元会自动下发，也可在风险研判中手动下发",
                "No task books yet: red units get them automatically, or issue one from a unit's risk assessment",
            ))
            .color(theme::DIM),
        );
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(ui, ROW_HEIGHT, books.len(), |ui, range| {
        for b in &books[range] {
            let selected = state.selected_book == Some(b.id);
            let job = row_text(b, state, lang);
            let button =
                egui::Button::selectable(selected, job).min_size(egui::vec2(ui.available_width(), ROW_HEIGHT - 8.0));
            if ui.add(button).clicked() {
                commands.push(Command::SelectBook(b.id));
            }
        }
    });
}

/// A book's state in words with its time: time left, time overdue, or when it closed.
fn state_text(b: &TaskBook, now: Timestamp, lang: Lang) -> String {
    let s = b.state(now);
    let name = lang.tr(s.zh(), s.en());
    match s {
        BookState::Open => format!("{name} · {}{}", lang.tr("剩余", "left "), format::duration(b.due - now, lang)),
        BookState::Overdue => format!("{name} {}", format::duration(now - b.due, lang)),
        BookState::Closed => {
            let on_time = if b.closed_on_time() { lang.tr("按时", "on time") } else { lang.tr("超期", "late") };
            format!("{name} · {on_time}")
        }
    }
}

fn row_text(b: &TaskBook, state: &AppState, lang: Lang) -> LayoutJob {
    let mut job = LayoutJob::default();
    let fmt =
        |size: f32, color: Color32| TextFormat { font_id: FontId::proportional(size), color, ..Default::default() };
    let grade = theme::RISK[b.grade.index()];
    let s = b.state(state.now);
    job.append("■ ", 0.0, fmt(19.0, grade));
    let grid = state.district.grids.get(b.grid.index()).map_or("?", |g| g.name.as_str());
    job.append(grid, 0.0, TextFormat { font_id: theme::bold(19.0), color: theme::TEXT, ..Default::default() });
    job.append(&format!("  {}/{}", b.done(), b.checks.len()), 0.0, fmt(19.0, state_color(s)));
    let what: Vec<&str> = b.items.iter().map(|i| i.category.name_in(lang)).collect();
    job.append(&format!("  {}", what.join("、")), 0.0, fmt(16.0, theme::DIM));
    job.append(
        &format!("\n{}  {}  ", b.number, format::unit_name(&state.district, b.unit)),
        0.0,
        fmt(15.0, theme::DIM),
    );
    job.append(&state_text(b, state.now, lang), 0.0, fmt(15.0, state_color(s)));
    job
}

/// The selected book's detail: why, what, where, and the stops' reports.
pub fn book_detail_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let Some(b) = state.selected_book.and_then(|id| state.situation.task_book(id)) else { return };
    ui.horizontal(|ui| {
        ui.heading(lang.tr("巡查任务书", "Patrol task book"));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(lang.tr("关闭详情", "Close detail")).clicked() {
                commands.push(Command::ClearSelection);
            }
        });
    });
    ui.separator();
    book_facts_ui(ui, state, b);
    ui.add_space(8.0);
    ui.label(RichText::new(lang.tr("检查事项", "What to check")).font(theme::bold(20.0)));
    for (i, item) in b.items.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{}. {}", i + 1, item.category.name_in(lang))).strong());
            ui.label(if lang == Lang::Zh { item.zh.as_str() } else { item.en.as_str() });
        });
    }
    ui.add_space(8.0);
    ui.label(RichText::new(lang.tr("巡查点位", "Stops")).font(theme::bold(20.0)));
    egui::ScrollArea::vertical().id_salt("book-stops").show(ui, |ui| {
        for i in 0..b.checks.len() {
            stop_ui(ui, state, b, i, commands);
        }
    });
}

/// The book's number, grid, grade and why it was issued, its facts (state, issue, due, progress) and a progress
/// bar.
fn book_facts_ui(ui: &mut egui::Ui, state: &AppState, b: &TaskBook) {
    let lang = state.lang;
    let d = &state.district;
    let s = b.state(state.now);
    ui.label(RichText::new(&b.number).font(theme::bold(22.0)));
    ui.label(RichText::new(format::grid_place(d, b.grid)).font(theme::bold(19.0)));
    ui.label(
        RichText::new(format!(
            "■ {} {} · {}",
            format::unit_name(d, b.unit),
            b.grade.name_in(lang),
            if b.automatic {
                lang.tr("红色预警自动下发", "issued automatically")
            } else {
                lang.tr("人工下发", "issued by hand")
            }
        ))
        .color(theme::RISK[b.grade.index()]),
    );
    egui::Grid::new("book-facts").num_columns(2).spacing([14.0, 4.0]).show(ui, |ui| {
        let mut row = |k: &str, v: RichText| {
            ui.label(RichText::new(k).color(theme::DIM));
            ui.label(v);
            ui.end_row();
        };
        row(lang.tr("状态", "State"), RichText::new(state_text(b, state.now, lang)).strong().color(state_color(s)));
        row(lang.tr("下发", "Issued"), RichText::new(format!("{} · {}", format::short_time(b.issued_at), b.issued_by)));
        row(lang.tr("期限", "Due"), RichText::new(format::short_time(b.due)));
        row(
            lang.tr("进度", "Progress"),
            RichText::new(format!(
                "{}/{} {} · {} {}",
                b.done(),
                b.checks.len(),
                lang.tr("点位", "stops"),
                b.problems(),
                lang.tr("处发现问题", "with problems")
            )),
        );
    });
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 3.0, theme::CARD);
    let mut fill = rect;
    fill.set_width(rect.width() * b.done() as f32 / b.checks.len().max(1) as f32);
    ui.painter().rect_filled(fill, 3.0, state_color(s));
}

/// The book's stop `i`: where, the events there, and its report or the buttons that report it.
fn stop_ui(ui: &mut egui::Ui, state: &AppState, b: &TaskBook, i: usize, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let d = &state.district;
    let c = &b.checks[i];
    let place = match c.building {
        Some(id) => d.buildings.get(id.index()).map_or_else(|| format!("#{}", id.0), |x| x.name.clone()),
        None => lang.tr("全网格巡查", "The whole grid").to_string(),
    };
    egui::Frame::new().fill(theme::CARD).corner_radius(6.0).inner_margin(6).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{}. {place}", i + 1)).strong());
            let heat = c
                .building
                .and_then(|id| state.assessment.latest.as_ref().and_then(|a| a.assessment.buildings.get(id.index())));
            if let Some(h) = heat.filter(|h| h.events > 0) {
                ui.label(RichText::new(format!("{} {}", h.events, lang.tr("起事件", "events"))).color(theme::DIM));
            }
        });
        match &c.result {
            Some(r) => {
                let color = match r.outcome {
                    CheckOutcome::Done => theme::RISK[4],
                    CheckOutcome::Problem => theme::AMBER,
                };
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("● {}", lang.tr(r.outcome.zh(), r.outcome.en()))).color(color));
                    ui.label(RichText::new(format!("{} · {}", format::short_time(r.at), r.by)).color(theme::DIM));
                    if let Some(e) = r.event.and_then(|id| state.situation.event(id))
                        && ui.link(&e.number).clicked()
                    {
                        commands.push(Command::SelectEvent(e.id));
                    }
                    if !r.note.is_empty() {
                        ui.label(&r.note);
                    }
                });
            }
            None => report_stop_ui(ui, state, b, i, commands),
        }
    });
}

/// The buttons that report stop `i` (无异常, 发现问题…), greyed out with the reason when the rules refuse it.
fn report_stop_ui(ui: &mut egui::Ui, state: &AppState, b: &TaskBook, i: usize, commands: &mut Vec<Command>) {
    let lang = state.lang;
    let check = i as u16;
    let refused = state
        .actor()
        .and_then(|a| pingan_core::patrol::may_report_check(&a, &[], b, i, &state.district).err())
        .map(|why| why.to_string());
    ui.horizontal(|ui| {
        ui.add_enabled_ui(refused.is_none(), |ui| {
            let done = ui.button(RichText::new(lang.tr("无异常", "All fine")).size(17.0));
            let problem = ui.button(RichText::new(lang.tr("发现问题…", "Problem found…")).size(17.0));
            if let Some(why) = &refused {
                done.on_disabled_hover_text(why);
                problem.on_disabled_hover_text(why);
            } else {
                if done.clicked() {
                    commands.push(Command::CheckDone(b.id, check));
                }
                if problem.clicked() {
                    commands.push(Command::CheckProblem(b.id, check));
                }
            }
        });
        if let Some(why) = &refused {
            ui.label(RichText::new(why).color(theme::DIM).size(14.0));
        }
    });
}
