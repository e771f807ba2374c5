use super::*;
use crate::assess::{CategorySet, PeriodKind, RiskConfig, assess};
use crate::sync::{ChangeBody, CommandBody};
use crate::testing::district;
use crate::{CommunityId, Event, EventSource, LinkedReport, LonLat, Severity, Situation};

fn t0() -> Timestamp {
    // 2026-09-21 (a month well under way).
    chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn record(d: &District, building: usize, category: EventCategory, n: usize) -> Vec<EventRecord> {
    let b = &d.buildings[building];
    let g = &d.grids[b.grid.index()];
    (0..n)
        .map(|i| EventRecord {
            at: t0().timestamp() - 3600 * (i as i64 + 1),
            category,
            severity: Severity::Significant,
            town: g.town,
            community: g.community,
            grid: g.id,
            building: Some(b.id),
        })
        .collect()
}

fn scored(d: &District, records: &[EventRecord]) -> Assessment {
    let period = Period::containing(PeriodKind::Month, t0());
    assess(d, records, period, t0().timestamp(), CategorySet::all(), &RiskConfig::default())
}

/// A community made red by telecom fraud at building 0 and thefts at building 1; the other community quiet.
fn red_east() -> (District, Vec<EventRecord>, Assessment, CommunityId) {
    let d = district();
    let east = d.buildings[0].grid;
    let community = d.grids[east.index()].community;
    let mut records = record(&d, 0, EventCategory::TelecomFraud, 60);
    records.extend(record(&d, 1, EventCategory::Theft, 30));
    records.extend(record(&d, 2, EventCategory::FireAlarm, 5));
    let a = scored(&d, &records);
    assert_eq!(a.communities[community.index()].grade, Grade::Red, "{:?}", a.communities);
    let other = d.communities.iter().find(|c| c.id != community).unwrap().id;
    assert_eq!(a.communities[other.index()].grade, Grade::Green);
    (d, records, a, community)
}

fn planned(d: &District, records: &[EventRecord], a: &Assessment, unit: UnitRef) -> Vec<TaskBook> {
    plan(d, records, a, &RiskConfig::default(), &PatrolConfig::default(), unit, t0(), "值班员", false)
}

#[test]
fn the_shipped_config_parses_and_a_bad_one_names_its_mistake() {
    let c = PatrolConfig::default();
    assert_eq!(c.level, PatrolLevel::Community);
    assert_eq!(c.grades, vec![Grade::Red]);
    assert!(c.item(EventCategory::TelecomFraud).zh.contains("反诈"));
    assert!(c.item(EventCategory::FireAlarm).zh.contains("充电"));
    assert_eq!(c.item(EventCategory::Other).zh, c.general.zh);
    let orange = DEFAULT_PATROL_TOML.replace("grades = [\"Red\"]", "grades = [\"Red\", \"Orange\"]");
    assert!(PatrolConfig::from_toml(&orange).unwrap().triggers(Grade::Orange));
    let none = DEFAULT_PATROL_TOML.replace("grades = [\"Red\"]", "grades = []");
    assert!(PatrolConfig::from_toml(&none).unwrap_err().to_string().contains("grades"));
    let typo = DEFAULT_PATROL_TOML.replace("hot_spots", "hotspots");
    assert!(PatrolConfig::from_toml(&typo).is_err());
}

#[test]
fn a_red_community_gets_a_book_of_its_dominant_categories_at_its_hot_spots() {
    let (d, records, a, community) = red_east();
    let books = planned(&d, &records, &a, UnitRef::Community(community));
    assert_eq!(books.len(), 1, "one grid, one book");
    let b = &books[0];
    assert_eq!(b.grade, Grade::Red);
    assert_eq!(b.grid, d.buildings[0].grid);
    // What to check: the heaviest categories first (fraud, then theft, then fire).
    let cats: Vec<EventCategory> = b.items.iter().map(|i| i.category).collect();
    assert_eq!(cats, vec![EventCategory::TelecomFraud, EventCategory::Theft, EventCategory::FireAlarm]);
    assert!(b.items[0].zh.contains("入户走访"));
    // Where: the buildings by weight, heaviest first.
    let stops: Vec<Option<BuildingId>> = b.checks.iter().map(|c| c.building).collect();
    assert_eq!(stops, vec![Some(d.buildings[0].id), Some(d.buildings[1].id), Some(d.buildings[2].id)]);
    assert_eq!(b.due - b.issued_at, chrono::Duration::hours(72));
    check_book(b, &d).unwrap();
    // A quiet unit gets one whole-grid stop and the general item.
    let quiet = d.communities.iter().find(|c| c.id != community).unwrap().id;
    let q = &planned(&d, &records, &a, UnitRef::Community(quiet))[0];
    assert_eq!(q.checks.len(), 1);
    assert_eq!(q.checks[0].building, None);
    assert_eq!(q.items[0].zh, PatrolConfig::default().general.zh);
}

#[test]
fn only_red_units_without_an_open_or_recent_book_are_due() {
    let (d, records, a, community) = red_east();
    let config = PatrolConfig::default();
    assert_eq!(due_units(&d, &a, &[], &config, t0()), vec![UnitRef::Community(community)]);
    let mut book = planned(&d, &records, &a, UnitRef::Community(community)).remove(0);
    book.automatic = true;
    // An open book: not again.
    assert!(due_units(&d, &a, std::slice::from_ref(&book), &config, t0()).is_empty());
    // Closed, but issued automatically within the cooldown: not again.
    for i in 0..book.checks.len() {
        book.record(
            i,
            &CheckResult { at: t0(), by: "w".into(), outcome: CheckOutcome::Done, note: String::new(), event: None },
        );
    }
    assert!(book.is_closed());
    assert!(due_units(&d, &a, std::slice::from_ref(&book), &config, t0() + chrono::Duration::days(6)).is_empty());
    // After the cooldown: due again.
    let later = t0() + chrono::Duration::days(8);
    assert_eq!(due_units(&d, &a, std::slice::from_ref(&book), &config, later), vec![UnitRef::Community(community)]);
    // A closed book issued by hand does not hold the automatic one back.
    book.automatic = false;
    assert_eq!(due_units(&d, &a, &[book], &config, t0()), vec![UnitRef::Community(community)]);
}

fn done(at: Timestamp) -> CheckResult {
    CheckResult { at, by: "张三".into(), outcome: CheckOutcome::Done, note: String::new(), event: None }
}

#[test]
fn a_book_closes_when_every_stop_is_reported_and_turns_overdue_past_its_deadline() {
    let (d, records, a, community) = red_east();
    let mut b = planned(&d, &records, &a, UnitRef::Community(community)).remove(0);
    assert_eq!(b.state(t0()), BookState::Open);
    assert_eq!(b.state(b.due + chrono::Duration::seconds(1)), BookState::Overdue);
    assert!(b.record(0, &done(t0() + chrono::Duration::hours(1))));
    assert!(!b.record(0, &done(t0() + chrono::Duration::hours(2))), "the first report stands");
    assert!(!b.record(9, &done(t0())), "no such stop");
    let problem = CheckResult {
        outcome: CheckOutcome::Problem,
        event: Some(EventId(77)),
        ..done(t0() + chrono::Duration::hours(3))
    };
    assert!(b.record(1, &problem));
    assert_eq!((b.done(), b.problems()), (2, 1));
    assert!(!b.is_closed());
    assert!(b.record(2, &done(t0() + chrono::Duration::hours(80))));
    assert_eq!(b.state(t0() + chrono::Duration::days(9)), BookState::Closed);
    assert_eq!(b.closed_at(), Some(t0() + chrono::Duration::hours(80)));
    assert!(!b.closed_on_time(), "closed 8 h past its 72 h");
    // Completion by town, counted by hand: one book, closed late, 3 of 3 stops, 1 problem.
    let c =
        completion_by_town(&d, &[b.clone()], t0(), t0() + chrono::Duration::days(1), t0() + chrono::Duration::days(9));
    let town = b.town(&d).unwrap();
    assert_eq!(
        c[town.index()],
        Completion { issued: 1, closed: 1, on_time: 0, overdue: 0, checks_done: 3, checks: 3, problems: 1 }
    );
    assert_eq!(c[town.index()].rate(), Some(1.0));
}

#[test]
fn bad_books_and_reports_are_refused_with_the_reason() {
    let (d, records, a, community) = red_east();
    let good = planned(&d, &records, &a, UnitRef::Community(community)).remove(0);
    let other_grid_building = d.buildings.iter().find(|b| b.grid != good.grid).unwrap().id;
    let mut b = good.clone();
    b.checks[0].building = Some(other_grid_building);
    assert!(check_book(&b, &d).unwrap_err().to_string().contains("not in grid"));
    let mut b = good.clone();
    b.checks[1].building = b.checks[0].building;
    assert!(check_book(&b, &d).unwrap_err().to_string().contains("twice"));
    let mut b = good.clone();
    b.due = b.issued_at;
    assert!(check_book(&b, &d).unwrap_err().to_string().contains("deadline"));
    let mut b = good.clone();
    b.due = b.issued_at + chrono::Duration::days(MAX_DUE_DAYS + 1);
    assert!(check_book(&b, &d).unwrap_err().to_string().contains("at most 90 days"));
    let mut b = good.clone();
    b.grid = GridId(99);
    assert!(check_book(&b, &d).unwrap_err().to_string().contains("no grid"));
    let mut b = good.clone();
    b.checks = (0..MAX_CHECKS + 1).map(|_| Check { building: None, result: None }).collect();
    assert!(check_book(&b, &d).is_err());
    let mut b = good.clone();
    b.items.clear();
    assert!(check_book(&b, &d).is_err());
    assert!(check_result(&CheckResult { outcome: CheckOutcome::Problem, ..done(t0()) }).is_err());
    assert!(check_result(&CheckResult { event: Some(EventId(1)), ..done(t0()) }).is_err());
    assert!(check_result(&CheckResult { note: "字".repeat(2001), ..done(t0()) }).is_err());
    // Issued with a stop already reported: refused by the command check.
    let mut b = good.clone();
    b.checks[0].result = Some(done(t0()));
    let cmd = crate::sync::ClientCommand {
        key: "k".into(),
        at: t0(),
        body: CommandBody::IssueTaskBook { book: Box::new(b) },
    };
    assert!(crate::validate::check_command(&cmd, &d, t0()).unwrap_err().to_string().contains("no stop reported"));
    // Issued in the future: refused.
    let mut b = good.clone();
    b.issued_at = t0() + chrono::Duration::hours(1);
    b.due = b.issued_at + chrono::Duration::hours(72);
    let cmd = crate::sync::ClientCommand {
        key: "k".into(),
        at: t0(),
        body: CommandBody::IssueTaskBook { book: Box::new(b) },
    };
    assert!(crate::validate::check_command(&cmd, &d, t0()).unwrap_err().to_string().contains("in the future"));
    // A stop's report: a problem names its event, a fine stop none, a note within its limit.
    let check = |outcome, note: &str, event: Option<Event>| crate::sync::ClientCommand {
        key: "c".into(),
        at: t0(),
        body: CommandBody::ReportCheck {
            book: good.id,
            check: 0,
            outcome,
            note: note.into(),
            event: event.map(Box::new),
        },
    };
    let e = event(&d, 1);
    assert!(
        crate::validate::check_command(&check(CheckOutcome::Problem, "", None), &d, t0())
            .unwrap_err()
            .to_string()
            .contains("event is missing")
    );
    assert!(
        crate::validate::check_command(&check(CheckOutcome::Done, "", Some(e.clone())), &d, t0())
            .unwrap_err()
            .to_string()
            .contains("files no event")
    );
    assert!(crate::validate::check_command(&check(CheckOutcome::Done, &"字".repeat(2001), None), &d, t0()).is_err());
    let mut late = e.clone();
    late.reported_at = t0() + chrono::Duration::hours(2);
    assert!(
        crate::validate::check_command(&check(CheckOutcome::Problem, "", Some(late)), &d, t0())
            .unwrap_err()
            .to_string()
            .contains("future")
    );
    assert!(crate::validate::check_command(&check(CheckOutcome::Problem, "堆物", Some(e)), &d, t0()).is_ok());
}

#[test]
fn who_may_issue_and_report() {
    use crate::sync::Role;
    let (d, records, a, community) = red_east();
    let mut book = planned(&d, &records, &a, UnitRef::Community(community)).remove(0);
    let other = d.communities.iter().find(|c| c.id != community).unwrap().id;
    let actor = |role, unit| Actor { role, unit, worker: None };
    assert!(may_issue(&actor(Role::Operator, UnitRef::District), &book, &d).is_ok());
    assert!(may_issue(&actor(Role::Operator, UnitRef::Community(community)), &book, &d).is_ok());
    assert!(
        may_issue(&actor(Role::Operator, UnitRef::Community(other)), &book, &d)
            .unwrap_err()
            .to_string()
            .contains("outside")
    );
    assert!(may_issue(&actor(Role::GridWorker, UnitRef::District), &book, &d).is_err());
    let worker = actor(Role::GridWorker, UnitRef::District);
    assert!(may_report_check(&worker, &[book.grid], &book, 0, &d).is_ok());
    assert!(may_report_check(&worker, &[], &book, 0, &d).unwrap_err().to_string().contains("does not serve"));
    assert!(may_report_check(&worker, &[book.grid], &book, 9, &d).unwrap_err().to_string().contains("no stop"));
    book.record(0, &done(t0()));
    assert!(may_report_check(&worker, &[book.grid], &book, 0, &d).unwrap_err().to_string().contains("already"));
    assert!(may_report_check(&actor(Role::SensorGateway, UnitRef::District), &[], &book, 1, &d).is_err());
    assert!(Role::GridWorker.may(&CommandBody::ReportCheck {
        book: book.id,
        check: 1,
        outcome: CheckOutcome::Done,
        note: String::new(),
        event: None
    }));
    assert!(!Role::GridWorker.may(&CommandBody::IssueTaskBook { book: Box::new(book.clone()) }));
    assert!(!Role::SensorGateway.may(&CommandBody::IssueTaskBook { book: Box::new(book) }));
}

fn event(d: &District, id: u64) -> Event {
    crate::testing::event(d, id, 0)
}

#[test]
fn the_log_carries_books_checks_and_split_reports_idempotently() {
    let (d, records, a, community) = red_east();
    let mut book = planned(&d, &records, &a, UnitRef::Community(community)).remove(0);
    book.id = TaskBookId(5);
    let mut s = Situation::default();
    let issued = ChangeBody::TaskBookIssued { book: Box::new(book.clone()) };
    assert!(crate::validate::check_change(&issued, &d, &s).is_ok());
    assert!(s.apply_change(&issued));
    assert!(!s.apply_change(&issued), "twice is once");
    // A problem found files an event and marks the stop.
    let e = event(&d, 40);
    let result = CheckResult { outcome: CheckOutcome::Problem, event: Some(e.id), note: "堆物".into(), ..done(t0()) };
    let checked = ChangeBody::CheckReported { book: book.id, check: 1, result, event: Some(Box::new(e.clone())) };
    assert!(crate::validate::check_change(&checked, &d, &s).is_ok());
    assert!(s.apply_change(&checked));
    assert!(!s.apply_change(&checked));
    assert_eq!(s.task_book(book.id).unwrap().problems(), 1);
    assert!(s.event(e.id).is_some());
    // A check of an unknown book or stop is refused before it is applied.
    let stray = ChangeBody::CheckReported { book: TaskBookId(6), check: 0, result: done(t0()), event: None };
    assert!(crate::validate::check_change(&stray, &d, &s).is_err());
    let stray = ChangeBody::CheckReported { book: book.id, check: 30, result: done(t0()), event: None };
    assert!(crate::validate::check_change(&stray, &d, &s).is_err());
    // Split: the linked report leaves the event and becomes its own.
    let report = LinkedReport {
        at: t0(),
        source: EventSource::Hotline,
        title: "另一件事".into(),
        position: LonLat::new(120.005, 30.005),
    };
    s.event_mut(e.id).unwrap().linked.push(report.clone());
    let mut own = event(&d, 41);
    own.title = report.title.clone();
    let split = ChangeBody::ReportSplit { event: e.id, report: report.clone(), new_event: Box::new(own) };
    assert!(crate::validate::check_change(&split, &d, &s).is_ok());
    assert!(s.apply_change(&split));
    assert!(s.event(e.id).unwrap().linked.is_empty());
    assert_eq!(s.event(EventId(41)).unwrap().title, "另一件事");
    assert!(!s.apply_change(&split));
    assert!(crate::validate::check_change(&split, &d, &s).is_err(), "no longer linked");
    // Situations from before task books existed still read.
    let old: Situation = serde_json::from_str(r#"{"events":[],"workers":[]}"#).unwrap();
    assert!(old.task_books.is_empty());
}

#[test]
fn the_reddest_units_go_first_within_the_open_load_and_a_young_month_reads_the_last() {
    let d = district();
    // Both communities red, the west one more so.
    let west_building = d.buildings.iter().rposition(|_| true).unwrap();
    let mut records = record(&d, 0, EventCategory::TelecomFraud, 60);
    records.extend(record(&d, west_building, EventCategory::TelecomFraud, 90));
    let a = scored(&d, &records);
    let east = d.grids[d.buildings[0].grid.index()].community;
    let west = d.grids[d.buildings[west_building].grid.index()].community;
    assert!(a.communities.iter().all(|c| c.grade == Grade::Red));
    let mut config = PatrolConfig::default();
    assert_eq!(due_units(&d, &a, &[], &config, t0()), vec![UnitRef::Community(west), UnitRef::Community(east)]);
    config.max_open_units = 1;
    assert_eq!(due_units(&d, &a, &[], &config, t0()), vec![UnitRef::Community(west)], "the reddest first");
    let mut book = planned(&d, &records, &a, UnitRef::Community(west)).remove(0);
    book.automatic = true;
    assert!(due_units(&d, &a, std::slice::from_ref(&book), &config, t0()).is_empty(), "the load is full");
    // A book issued by hand does not count against the automatic load.
    book.automatic = false;
    book.grid = d.buildings[0].grid;
    book.unit = UnitRef::Community(east);
    assert_eq!(due_units(&d, &a, &[book], &config, t0()), vec![UnitRef::Community(west)]);
    // The first week of a month reads the month before.
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let p = |s: &str| config.period(at(s)).label();
    assert_eq!(
        p("2026-12-03T10:00:00+08:00"),
        Period::containing(PeriodKind::Month, at("2026-11-15T00:00:00+08:00")).label()
    );
    assert_eq!(
        p("2026-12-08T10:00:00+08:00"),
        Period::containing(PeriodKind::Month, at("2026-12-15T00:00:00+08:00")).label()
    );
    let bad = DEFAULT_PATROL_TOML.replace("max_open_units = 6", "max_open_units = 0");
    assert!(PatrolConfig::from_toml(&bad).unwrap_err().to_string().contains("max_open_units"));
}
