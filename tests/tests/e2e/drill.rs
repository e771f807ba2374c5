//! Drill-through (issue 16, item 4): every number on the screen lists and maps exactly the events behind it. Each
//! number is clicked (the key-category bars, inside a plot, by their command), and the drilled feed's count must be
//! the number shown; the breadcrumb tells the drill and its count, and one click on it brings the normal feed back.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::UnitRef;
use pingan_core::assess::EventRecord;
use pingan_core::report::Span;
use pingan_core::routing::{Level, LoopFigure};
use pingan_core::situation::HeadlineCount;
use pingan_desktop::state::{AppState, Drill, DrillMatch, LoopScope, on_map};
use pingan_desktop::{Command, FeedTab, Lang, MapMode, PinganApp};
use pingan_tests::test_options;

fn harness() -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

/// The app on the dashboard with its report computed.
fn dashboard() -> Harness<'static, PinganApp> {
    let mut h = harness();
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    h.state_mut().apply(Command::SetMapMode(MapMode::Dashboard));
    h.state_mut().state.assessment.wait();
    h.run();
    assert!(h.state().state.assessment.latest.is_some(), "the report is there");
    h
}

/// The ids the normal feed lists.
fn feed_ids(h: &Harness<'static, PinganApp>) -> Vec<pingan_core::EventId> {
    h.state().state.feed().iter().map(|e| e.id).collect()
}

/// After a drill to `expected` events: the state holds it, the events tab shows, the drilled feed counts exactly
/// `expected`, the breadcrumb says so, the maps draw exactly the drilled live events; then the breadcrumb's clear
/// brings `normal` back.
fn check_and_clear(h: &mut Harness<'static, PinganApp>, what: &str, expected: usize, normal: &[pingan_core::EventId]) {
    {
        let s = &h.state().state;
        let drill = s.drill.unwrap_or_else(|| panic!("{what}: a click drills through"));
        assert_eq!(s.feed_tab, FeedTab::Events, "{what}: the events tab shows");
        let drilled = s.drilled().expect("a drill");
        assert_eq!(drilled.total(), expected, "{what}: the drilled feed's count is the number shown");
        let m = s.drill_match().expect("a drill");
        let mut ids: Vec<_> = drilled.live.iter().map(|e| e.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), drilled.live.len(), "{what}: no event listed twice");
        match plain_count(s, &m) {
            Some(n) => assert_eq!(
                (drilled.live.len(), drilled.history.len()),
                n,
                "{what}: the drilled list holds what a plain count of the data finds"
            ),
            None => assert!(drilled.live.iter().all(|e| in_loop(s, &m, e)), "{what}: only events of the loop's scope"),
        }
        let mapped = s.situation.events.iter().filter(|e| on_map(Some(&m), e, s.selected)).count();
        assert_eq!(mapped, drilled.live.len(), "{what}: the map draws the drilled live events");
        let crumb = format!("筛选：{} ({expected})", drill.label(&s.district, Lang::Zh));
        h.get_by_label(&crumb);
    }
    h.get_by_role_and_label(Role::Button, "× 清除").click();
    h.run();
    assert!(h.state().state.drill.is_none(), "{what}: one click clears the drill");
    assert_eq!(feed_ids(h), normal, "{what}: the normal feed is back");
    assert!(h.query_all_by_label_contains("筛选：").next().is_none(), "{what}: no breadcrumb");
}

/// Click the number whose accessible name is `name`, and check the drill it starts.
fn click_number(h: &mut Harness<'static, PinganApp>, name: &str, expected: usize, normal: &[pingan_core::EventId]) {
    // Scrolled into view first (the loop table sits below the league), then clicked where it is drawn.
    h.get_by_label(name).scroll_to_me();
    h.run();
    h.get_by_label(name).click();
    h.run();
    check_and_clear(h, name, expected, normal);
}

/// Whether a record is in `unit`, by its own town, community, grid and building.
fn in_unit(unit: UnitRef, r: &EventRecord) -> bool {
    match unit {
        UnitRef::District => true,
        UnitRef::Town(t) => r.town == t,
        UnitRef::Community(c) => r.community == c,
        UnitRef::Grid(g) => r.grid == g,
        UnitRef::Building(b) => r.building == Some(b),
    }
}

/// A loop figure's event is of its scope and reported within its window.
fn in_loop(s: &AppState, m: &DrillMatch, e: &pingan_core::Event) -> bool {
    let DrillMatch::Loop { scope, from, to, .. } = *m else { return false };
    let within = match scope {
        LoopScope::District => true,
        LoopScope::Level(l) => e.level == l,
        LoopScope::Town(t) => e.town == t,
    };
    within && e.reported_at >= from && e.reported_at < to && s.situation.event(e.id).is_some()
}

/// How many live events and history records a drill takes, counted straight from the situation and the history by
/// their own fields (report time, category, state, deadline, unit) — written out here, not asked of the matcher
/// that built the drilled list. `None` for the command loop's lifecycle figures other than 上报 (their rules are
/// pingan-core's alone; [`in_loop`] checks their scope).
fn plain_count(s: &AppState, m: &DrillMatch) -> Option<(usize, usize)> {
    let live = |take: &dyn Fn(&pingan_core::Event) -> bool| s.situation.events.iter().filter(|e| take(e)).count();
    match *m {
        DrillMatch::Records(t) => {
            let takes = |r: &EventRecord| {
                r.at >= t.from && r.at < t.to && t.categories.contains(r.category) && in_unit(t.unit, r)
            };
            Some((live(&|e| takes(&EventRecord::from(e))), s.history.iter().filter(|r| takes(r)).count()))
        }
        DrillMatch::Headline(count, now) => {
            let open = |e: &pingan_core::Event| e.state != pingan_core::EventState::Closed;
            // Today in China Standard Time (UTC+8) began at its midnight.
            let midnight = (now + chrono::Duration::hours(8)).date_naive().and_hms_opt(0, 0, 0)?.and_utc()
                - chrono::Duration::hours(8);
            let n = match count {
                HeadlineCount::Open => live(&|e| open(e)),
                HeadlineCount::Overdue => live(&|e| open(e) && e.deadline < now),
                HeadlineCount::Today => live(&|e| e.reported_at >= midnight),
            };
            Some((n, 0))
        }
        DrillMatch::Loop { figure: LoopFigure::Reported, .. } => Some((live(&|e| in_loop(s, m, e)), 0)),
        DrillMatch::Loop { .. } => None,
    }
}

#[test]
fn the_header_counts_drill_through_to_their_live_events() {
    let mut h = harness();
    h.run();
    let normal = feed_ids(&h);
    let headline = {
        let s = &h.state().state;
        s.situation.headline(s.now)
    };
    assert!(headline.open > 0 && headline.today > 0, "{headline:?}");
    for (count, n) in [
        (HeadlineCount::Open, headline.open),
        (HeadlineCount::Overdue, headline.overdue),
        (HeadlineCount::Today, headline.today),
    ] {
        click_number(&mut h, &format!("{} {n}", count.zh()), n, &normal);
    }
    // From another tab, a click on a count brings the events tab back with the drill.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::TaskBooks));
    h.run();
    click_number(&mut h, &format!("未办结事件 {}", headline.open), headline.open, &normal);
}

#[test]
fn every_domain_tile_drills_through_to_its_history_and_live_events() {
    let mut h = dashboard();
    let normal = feed_ids(&h);
    let figures = h.state().state.assessment.latest.as_ref().unwrap().figures.clone();
    assert_eq!(figures.len(), 7);
    assert!(figures.iter().any(|f| f.month > 0), "the demo's history fills the month");
    for f in &figures {
        for (span, n) in [(Span::Month, f.month), (Span::Day, f.day), (Span::Year, f.year)] {
            click_number(&mut h, &format!("{} {} {n}", f.domain.zh(), span.zh()), n as usize, &normal);
        }
    }
    // A year's drill reaches into the history: its records are listed after the live events.
    let criminal = figures[0];
    h.get_by_label(&format!("刑事案件 本年 {}", criminal.year)).click();
    h.run();
    let (live, history) = {
        let d = h.state().state.drilled().unwrap();
        (d.live.len(), d.history.len())
    };
    assert!(history > 0, "history records behind the year's figure");
    h.get_by_label(&format!("{} 条 · 实时 {live} · 历史 {history}", criminal.year));
    check_and_clear(&mut h, "刑事案件 本年", criminal.year as usize, &normal);
}

#[test]
fn league_rows_loop_figures_and_category_bars_drill_through() {
    let mut h = dashboard();
    let normal = feed_ids(&h);
    let data = h.state().state.assessment.latest.clone().unwrap();
    // The league's first row: its events, its on-time and overdue figures.
    let row = data.league.iter().find(|r| r.rank == 1).unwrap().clone();
    assert!(row.events > 0, "{row:?}");
    click_number(&mut h, &format!("{} 事件 {}", row.name, row.events), row.events as usize, &normal);
    let loops = data.loops.towns[row.unit].clone();
    click_number(&mut h, &format!("{} 按时办结 {}", row.name, loops.on_time), loops.on_time as usize, &normal);
    click_number(&mut h, &format!("{} 逾期 {}", row.name, loops.overdue), loops.overdue as usize, &normal);
    click_number(&mut h, &format!("{} 升级 {}", row.name, loops.escalations), loops.escalations as usize, &normal);
    // The command loop's table: every level and the district.
    let scopes = Level::ALL
        .iter()
        .zip(&data.loops.levels)
        .map(|(l, s)| (l.zh(), s.clone()))
        .chain(std::iter::once(("全区", data.loops.district.clone())));
    for (zh, s) in scopes {
        for (figure, n) in [
            (LoopFigure::Reported, s.reported),
            (LoopFigure::Closed, s.closed),
            (LoopFigure::OnTime, s.on_time),
            (LoopFigure::Overdue, s.overdue),
            (LoopFigure::Escalated, s.escalations),
        ] {
            click_number(&mut h, &format!("{zh} {} {n}", figure.zh()), n as usize, &normal);
        }
        // The median time to close lists the closed events it is the median of.
        click_number(&mut h, &format!("{zh} 办结中位时长 {}", s.closed), s.closed as usize, &normal);
    }
    assert!(data.loops.district.escalations > 0, "some events were escalated this period");
    assert!(data.loops.district.reported > 0, "the loop has live events");
    // The key categories' bars (a plot: their command, as a click on a bar's column pushes it).
    assert!(data.category_counts.iter().any(|(_, n)| *n > 0));
    for (category, n) in &data.category_counts {
        h.state_mut().apply(Command::Drill(Drill::Category { category: *category, period: data.period }));
        h.run();
        check_and_clear(&mut h, category.zh(), *n as usize, &normal);
    }
    // A town's drill by command names the town in the breadcrumb.
    let town = pingan_core::TownId(row.unit as u16);
    let drill = Drill::Loop { scope: LoopScope::Town(town), figure: LoopFigure::Reported, period: data.period };
    h.state_mut().apply(Command::Drill(drill));
    h.run();
    h.get_by_label_contains(&format!("筛选：{} · 上报", row.name));
    check_and_clear(&mut h, "town reported", loops.reported as usize, &normal);
}
