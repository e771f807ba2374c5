//! The live simulator: determinism, plausible history, lifecycle consistency, worker movement.

use chrono::{DateTime, Duration, Utc};
use pingan_core::{EventState, Situation, WorkerStatus};
use pingan_demo::{DemoSpec, SimChange, SimConfig, Simulator, generate};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().with_timezone(&Utc)
}

fn run(seed: u64) -> (Situation, Vec<SimChange>) {
    let d = generate(&DemoSpec::small(3));
    let (mut s, mut sim) = Simulator::start(&d, seed, SimConfig::default(), t0());
    let mut changes = Vec::new();
    for i in 1..=30 {
        changes.extend(sim.step(&d, &mut s, t0() + Duration::minutes(i)));
    }
    (s, changes)
}

#[test]
fn same_seed_same_situation() {
    let (a, ca) = run(11);
    let (b, cb) = run(11);
    assert!(a == b);
    assert_eq!(ca, cb);
    let (c, _) = run(12);
    assert!(a != c);
}

#[test]
fn history_is_plausible_and_consistent() {
    let d = generate(&DemoSpec::small(3));
    let cfg = SimConfig::default();
    let (s, _) = Simulator::start(&d, 5, cfg, t0());
    let expected = cfg.events_per_hour * cfg.history_hours;
    let n = s.events.len() as f64;
    assert!((n - expected).abs() < 5.0 * expected.sqrt(), "{n} events, expected about {expected}");
    // Old events are mostly closed, recent ones mostly open, some overdue, every state appears.
    let h = s.headline(t0());
    assert!(h.open > 20 && h.open < s.events.len() / 2, "open {}", h.open);
    assert!(h.overdue > 0, "some events are overdue");
    assert!(h.on_duty > s.workers.len() / 2);
    for state in [EventState::Reported, EventState::Assigned, EventState::InDisposal, EventState::Closed] {
        assert!(s.events.iter().any(|e| e.state == state), "no event in {state:?}");
    }
    for e in &s.events {
        // The recorded history replays through the state machine to the current state.
        let mut state = EventState::Reported;
        let mut at = e.reported_at;
        for c in &e.history {
            assert_eq!(c.from, state);
            state = state.apply(&c.action).expect("history holds only legal transitions");
            assert_eq!(state, c.to);
            assert!(c.at >= at, "history in time order");
            at = c.at;
        }
        assert_eq!(state, e.state);
        assert!(e.reported_at <= t0());
        assert!(d.grid(e.grid).outline.bbox().unwrap().contains(e.position));
        assert!(e.address.is_within(&d.grid(e.grid).code));
    }
    // Workers handling something handle an open event assigned to them.
    for w in &s.workers {
        if let WorkerStatus::Handling(id) = w.status {
            let e = s.event(id).unwrap();
            assert_eq!(e.assignee, Some(w.id));
        }
    }
}

#[test]
fn stepping_reports_events_and_moves_workers() {
    let d = generate(&DemoSpec::small(3));
    let cfg = SimConfig { events_per_hour: 120.0, ..SimConfig::default() };
    let (mut s, mut sim) = Simulator::start(&d, 9, cfg, t0());
    let before: Vec<_> = s.workers.iter().map(|w| w.position).collect();
    let n0 = s.events.len();
    let changes = sim.step(&d, &mut s, t0() + Duration::minutes(30));
    let reported = changes.iter().filter(|c| matches!(c, SimChange::Reported(_))).count();
    assert_eq!(s.events.len(), n0 + reported);
    assert!(reported > 30, "{reported} new events in 30 min at 120/h");
    let moved = s.workers.iter().zip(&before).filter(|(w, p)| w.status.on_duty() && w.position != **p).count();
    assert!(moved > s.workers.len() / 2, "{moved} workers moved");
    // Time never runs backwards.
    assert!(sim.step(&d, &mut s, t0()).is_empty());
}

#[test]
fn every_simulated_event_and_worker_fits_the_district_by_the_servers_rules() {
    // The server refuses what does not fit (pingan_core::validate); the simulator feeds the server's demo, so
    // everything it makes must pass, on the small and on the full district.
    for d in [generate(&DemoSpec::small(3)), generate(&DemoSpec::default())] {
        let (mut s, mut sim) = Simulator::start(&d, 7, SimConfig::default(), t0());
        for i in 1..=60 {
            sim.step(&d, &mut s, t0() + Duration::minutes(i));
        }
        for e in &s.events {
            pingan_core::validate::check_event(e, &d).unwrap_or_else(|err| panic!("{err}"));
        }
        for w in &s.workers {
            pingan_core::validate::check_worker(w, &d).unwrap_or_else(|err| panic!("{err}"));
        }
        let before = (s.events.len(), s.workers.len());
        assert!(pingan_core::validate::retain_fitting(&mut s, &d).is_empty());
        assert_eq!((s.events.len(), s.workers.len()), before);
    }
}

/// Task books put in the situation are carried out: a worker of each book's grid reports every stop, one by one,
/// in time order; about 15 % find a problem, which files an event at that stop, in that grid, reported by that
/// worker, routed and handled like any other.
#[test]
fn open_task_books_are_carried_out_stop_by_stop() {
    use pingan_core::patrol::{CheckOutcome, TaskBookId};
    let d = generate(&DemoSpec::small(3));
    let config = SimConfig { handling_speedup: 4.0, ..SimConfig::default() };
    let (mut s, mut sim) = Simulator::start(&d, 9, config, t0());
    let records: Vec<pingan_core::assess::EventRecord> = s.events.iter().map(Into::into).collect();
    let period = pingan_core::assess::Period::containing(pingan_core::assess::PeriodKind::Month, t0());
    let risk = pingan_core::assess::RiskConfig::default();
    let categories = pingan_core::assess::CategorySet::all();
    let assessment = pingan_core::assess::assess(&d, &records, period, t0().timestamp(), categories, &risk);
    let patrol = pingan_core::patrol::PatrolConfig::default();
    // A book for every grid.
    for c in &d.communities {
        let unit = pingan_core::UnitRef::Community(c.id);
        for mut b in pingan_core::patrol::plan(&d, &records, &assessment, &risk, &patrol, unit, t0(), "op", false) {
            b.id = TaskBookId(s.task_books.len() as u64 + 1);
            s.task_books.push(b);
        }
    }
    let stops: usize = s.task_books.iter().map(|b| b.checks.len()).sum();
    assert!(s.task_books.len() >= 20 && stops >= 60, "{} books, {stops} stops", s.task_books.len());
    let mut checked = Vec::new();
    let mut first_check = None;
    for m in 1..=12 * 60 {
        let now = t0() + Duration::minutes(m);
        for c in sim.step(&d, &mut s, now) {
            if let SimChange::Checked { book, check } = c {
                first_check.get_or_insert(m);
                let b = s.task_book(book).expect("the book");
                let r = b.checks[check].result.as_ref().expect("recorded");
                assert!(r.at <= now && r.at >= b.issued_at);
                assert!(b.checks[..check].iter().all(|c| c.result.is_some()), "stops in order");
                checked.push((book, check));
            }
        }
    }
    assert!(first_check.is_some_and(|m| m <= 1), "the first stop soon after the issue: {first_check:?}");
    assert_eq!(checked.len(), stops, "every stop reported once");
    assert!(s.task_books.iter().all(|b| b.is_closed()));
    let mut problems = 0;
    for b in &s.task_books {
        let worker = s.workers.iter().find(|w| w.grids[0] == b.grid).expect("the grid's worker");
        for c in &b.checks {
            let r = c.result.as_ref().expect("reported");
            assert_eq!(r.by, worker.name);
            match (r.outcome, r.event) {
                (CheckOutcome::Problem, Some(id)) => {
                    problems += 1;
                    let e = s.event(id).expect("the problem's event");
                    assert_eq!((e.grid, e.building), (b.grid, c.building));
                    assert_eq!(e.source, pingan_core::EventSource::GridWorker(worker.id));
                    assert!(b.items.iter().any(|i| i.category == e.category));
                    assert!(e.reported_at == r.at && !e.number.is_empty());
                    assert!(e.state != EventState::Reported, "{} was never handled", e.number);
                }
                (CheckOutcome::Done, None) => {}
                other => panic!("odd result {other:?}"),
            }
        }
    }
    let share = problems as f64 / stops as f64;
    assert!((0.05..=0.3).contains(&share), "{problems} problems in {stops} stops");
}
