//! Patrol task books at the desk (issue 15), driven through the accessibility tree: the local demo issues books for
//! its red communities by itself (as the server does), an operator issues one by hand from a unit's risk
//! assessment, stops are reported fine or with a problem (typed into the report form, which files a linked event),
//! the book closes, and the dashboard counts it. Also: a wrongly merged report split back into an event of its own.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::assess::{CategorySet, Grade, Period, PeriodKind, RiskConfig, assess};
use pingan_core::patrol::{BookState, CheckOutcome};
use pingan_core::{CommunityId, GridId, UnitRef};
use pingan_desktop::{Command, FeedTab, PinganApp};
use pingan_tests::test_options;
use std::collections::BTreeSet;

fn harness() -> Harness<'static, PinganApp> {
    // A wall's height, so that a book's stops are on screen below its check items.
    Harness::builder()
        .with_size(egui::vec2(1920.0, 1200.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

/// Start, and let the first assessment arrive (the local demo issues its automatic books then).
fn started() -> Harness<'static, PinganApp> {
    let mut h = harness();
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    h
}

/// The communities graded red this month over the key categories, reddest first, worked out here from the records.
fn red_communities(h: &Harness<'static, PinganApp>) -> Vec<CommunityId> {
    let s = &h.state().state;
    let records = s.records();
    let a = assess(
        &s.district,
        &records,
        Period::containing(PeriodKind::Month, s.now),
        s.now.timestamp(),
        CategorySet::key(),
        &RiskConfig::default(),
    );
    let mut red: Vec<CommunityId> = s
        .district
        .communities
        .iter()
        .filter(|c| a.communities[c.id.index()].grade == Grade::Red)
        .map(|c| c.id)
        .collect();
    red.sort_by(|x, y| a.communities[y.index()].normalised.total_cmp(&a.communities[x.index()].normalised));
    red
}

/// The grids of the communities graded red.
fn red_grids(h: &Harness<'static, PinganApp>) -> BTreeSet<GridId> {
    let d = &h.state().state.district;
    red_communities(h).into_iter().flat_map(|c| d.communities[c.index()].grids.iter().copied()).collect()
}

#[test]
fn red_communities_get_books_whose_stops_are_reported_until_they_close() {
    let mut h = started();
    let red = red_communities(&h);
    let load = h.state().state.patrol.max_open_units;
    assert!(red.len() > load, "the demo has more red communities this month than the open load");
    // The reddest communities within the load, every grid of each.
    let d = &h.state().state.district;
    let expected: BTreeSet<GridId> =
        red[..load].iter().flat_map(|c| d.communities[c.index()].grids.iter().copied()).collect();
    let s = &h.state().state;
    let auto: BTreeSet<GridId> = s.situation.task_books.iter().filter(|b| b.automatic).map(|b| b.grid).collect();
    assert_eq!(auto, expected, "one automatic book per grid of the reddest communities, and no other");
    let units: BTreeSet<String> = s.situation.task_books.iter().map(|b| format!("{:?}", b.unit)).collect();
    assert_eq!(units.len(), load);
    assert!(s.situation.task_books.iter().all(|b| b.grade == Grade::Red && b.state(s.now) == BookState::Open));
    // The list: the tab shows how many are open.
    let open = s.situation.task_books.len();
    h.get_by_role_and_label(Role::Button, &format!("任务书 ({open})")).click();
    h.run();
    assert_eq!(h.state().state.feed_tab, FeedTab::TaskBooks);
    // Of the rows on screen, the book with the most stops.
    let (id, number, stops) = {
        let books = pingan_desktop::panels::books::books_in_order(&h.state().state);
        let b = books.iter().take(8).max_by_key(|b| b.checks.len()).unwrap();
        (b.id, b.number.clone(), b.checks.len())
    };
    assert!(stops >= 2, "a red grid has hot-spot buildings");
    h.get_by_label_contains(&number).click();
    h.run();
    assert_eq!(h.state().state.selected_book, Some(id));
    h.get_by_label_contains("检查事项");
    // Stop 1: fine.
    h.get_all_by_role_and_label(Role::Button, "无异常").next().unwrap().click();
    h.run();
    let b = h.state().state.situation.task_book(id).unwrap();
    assert_eq!(b.checks[0].result.as_ref().map(|r| r.outcome), Some(CheckOutcome::Done));
    // Stop 2: a problem, typed into the report form (placed at the stop's building).
    let events = h.state().state.situation.events.len();
    h.get_all_by_role_and_label(Role::Button, "发现问题…").next().unwrap().click();
    h.run();
    assert!(h.state().state.report.is_some(), "{:?}", h.state().state.messages);
    h.get_by_label_contains("巡查发现问题");
    let description = h.get_by_role(Role::MultilineTextInput);
    description.focus();
    h.run();
    h.get_by_role(Role::MultilineTextInput).type_text("三楼楼道堆放杂物，堵塞消防通道");
    h.run();
    h.get_by_role_and_label(Role::Button, "提交上报").click();
    h.run();
    let s = &h.state().state;
    assert!(s.report.is_none(), "the form closed");
    assert_eq!(s.situation.events.len(), events + 1, "the problem became an event");
    let b = s.situation.task_book(id).unwrap();
    let r = b.checks[1].result.as_ref().expect("stop 2 reported");
    assert_eq!(r.outcome, CheckOutcome::Problem);
    let e = s.situation.event(r.event.expect("linked to its event")).unwrap();
    assert_eq!(e.title, "三楼楼道堆放杂物，堵塞消防通道");
    assert_eq!(e.building, b.checks[1].building, "at the stop's building");
    assert_eq!(e.grid, b.grid);
    // The rest: the book closes, on time.
    for i in 2..stops {
        h.state_mut().apply(Command::CheckDone(id, i as u16));
    }
    let s = &h.state().state;
    let b = s.situation.task_book(id).unwrap().clone();
    assert_eq!(b.state(s.now), BookState::Closed);
    assert!(b.closed_on_time());
    // A closed book's stop is not reported again.
    h.state_mut().apply(Command::CheckDone(id, 0));
    assert!(h.state().state.messages.back().unwrap().1.contains("already reported"));
    // The dashboard counts it for its town.
    h.state_mut().state.assessment.wait();
    h.run();
    h.state_mut().state.assessment.wait();
    let s = &h.state().state;
    let town = b.town(&s.district).unwrap();
    let data = s.assessment.latest.clone().unwrap();
    let c = data.patrol[town.index()];
    assert!(c.issued >= 1 && c.closed >= 1 && c.problems >= 1, "{c:?}");
    h.state_mut().apply(Command::SetMapMode(pingan_desktop::MapMode::Dashboard));
    h.run();
    h.get_by_label_contains("巡查任务书 · 镇街完成情况");
}

#[test]
fn an_operator_issues_books_for_a_quiet_community_by_hand() {
    let mut h = started();
    let red = red_grids(&h);
    let (community, grids) = {
        let d = &h.state().state.district;
        let c = d.communities.iter().find(|c| c.grids.iter().all(|g| !red.contains(g))).unwrap();
        (c.id, c.grids.clone())
    };
    let before = h.state().state.situation.task_books.len();
    h.state_mut().apply(Command::SelectUnit(UnitRef::Community(community)));
    h.run();
    h.get_by_role_and_label(Role::Button, "下发巡查任务书").click();
    h.run();
    let s = &h.state().state;
    assert_eq!(s.situation.task_books.len(), before + grids.len(), "one book per grid");
    let new: Vec<_> = s.situation.task_books[before..].iter().collect();
    assert!(new.iter().all(|b| !b.automatic && b.unit == UnitRef::Community(community)));
    assert_eq!(new.iter().map(|b| b.grid).collect::<Vec<_>>(), grids);
    for b in &new {
        pingan_core::patrol::check_book(b, &s.district).unwrap();
        assert!(b.number.starts_with("XC-"));
    }
    // Again: every grid already holds an open book, nothing more is issued.
    h.state_mut().apply(Command::IssueTaskBooks(UnitRef::Community(community)));
    assert_eq!(h.state().state.situation.task_books.len(), before + grids.len());
    assert!(h.state().state.messages.back().unwrap().1.contains("已有进行中的任务书"));
    // The map draws the selected book (the badge is clickable: selecting it flies there).
    let id = h.state().state.situation.task_books[before].id;
    h.state_mut().apply(Command::SelectBook(id));
    h.run();
    assert!(h.state().view.map2d.fly_to.is_some() || h.state().state.selected_book == Some(id));
}

#[test]
fn a_wrongly_merged_report_is_split_into_an_event_of_its_own() {
    let mut h = started();
    let (id, at, position) = {
        let e = h.state().state.situation.events.iter().find(|e| e.state.is_open()).unwrap();
        (e.id, e.reported_at, e.position)
    };
    let report = pingan_core::LinkedReport {
        at: at + chrono::Duration::minutes(5),
        source: pingan_core::EventSource::Hotline,
        title: "隔壁小区另有一起噪音投诉".into(),
        position,
    };
    let change = pingan_core::sync::ChangeBody::ReportLinked { event: id, report };
    assert!(h.state_mut().state.situation.apply_change(&change));
    h.state_mut().apply(Command::SelectEvent(id));
    h.run();
    let before = h.state().state.situation.events.len();
    h.get_by_role_and_label(Role::Button, "拆分").click();
    h.run();
    let s = &h.state().state;
    assert!(s.situation.event(id).unwrap().linked.is_empty(), "taken out");
    assert_eq!(s.situation.events.len(), before + 1);
    let own = s.situation.events.iter().max_by_key(|e| e.id).unwrap();
    assert_eq!(own.title, "隔壁小区另有一起噪音投诉");
    assert_eq!(own.category, s.situation.event(id).unwrap().category);
    assert_eq!(own.reported_at, at + chrono::Duration::minutes(5));
}
