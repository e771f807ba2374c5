//! Patrol task books (巡查任务书) and warnings that act, on a real `pingan-sync` process: an operator issues a book
//! for a grid of their unit, the grid's worker reports its stops (a problem files a routed, numbered event), the book
//! closes, and the refusals say why; the server's patrol sweeper issues books by itself for a red unit, and not
//! twice; a wrong merge is split; and `--demo` shows the whole loop — sensor warnings with evidence, automatic books,
//! checks reported. Each test runs on SQLite, and on PostgreSQL when `PINGAN_TEST_POSTGRES` is set (CI sets it; under
//! CI without it the suite fails).

mod common;

use common::*;
use pingan_core::patrol::{Check, CheckOutcome, PatrolConfig, TaskBook, TaskBookId};
use pingan_core::sync::{ChangeBody, CommandBody, Outcome};
use pingan_core::{EventCategory, EventSource, GridId, Severity, UnitRef};
use std::process::Command;
use std::time::Duration;

#[track_caller]
fn refused(o: &Outcome, needle: &str) {
    match o {
        Outcome::Rejected { reason } => {
            assert!(reason.contains(needle), "the reason {reason:?} does not say {needle:?}")
        }
        o => panic!("expected a refusal saying {needle:?}, got {o:?}"),
    }
}

/// A hand-made book for `grid` of `unit` (red), its first two buildings as stops.
fn book(district: &pingan_core::District, unit: UnitRef, grid: GridId) -> TaskBook {
    let now = chrono::Utc::now();
    let g = district.grid(grid);
    TaskBook {
        id: TaskBookId(0),
        number: String::new(),
        unit,
        grade: pingan_core::assess::Grade::Red,
        grid,
        issued_at: now,
        due: now + chrono::Duration::hours(72),
        issued_by: "whoever".into(),
        automatic: false,
        items: vec![PatrolConfig::default().item(EventCategory::Theft)],
        checks: g.buildings[..2].iter().map(|b| Check { building: Some(*b), result: None }).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_issues_a_book_and_the_grid_worker_carries_it_out() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let server = Server::start(db, &[]);
        let (_admin, demo) = seeded(&server, 0).await;
        let district = pingan_sync::district(2026, true);
        // A grid with two buildings or more, its community, and the grid's own worker.
        let grid = district.grids.iter().find(|g| g.buildings.len() >= 2).expect("a grid with buildings");
        let community = district.community(grid.community);
        let worker = demo.workers.iter().find(|w| w.grids[0] == grid.id).expect("the grid's worker");
        let stranger = demo.workers.iter().find(|w| !w.grids.contains(&grid.id)).expect("another grid's worker");
        let other = district.communities.iter().find(|c| c.id != community.id).expect("another community");
        let op = user_in(db, "op", "operator", &community.code.to_string());
        let op_elsewhere = user_in(db, "op2", "operator", &other.code.to_string());
        let me = server.user_bound("walker", worker.id.0);
        let them = server.user_bound("stranger", stranger.id.0);
        let unit = UnitRef::Community(community.id);

        // Outside their unit: refused, with the reason.
        let o =
            send(&server, &op_elsewhere, CommandBody::IssueTaskBook { book: Box::new(book(&district, unit, grid.id)) })
                .await;
        refused(&o, "outside this user's unit");
        // A grid worker may not issue at all (the role check answers 403).
        let c = cmd(CommandBody::IssueTaskBook { book: Box::new(book(&district, unit, grid.id)) });
        assert!(server.api(&me).send(&[c]).await.is_err(), "a grid worker issued a book");

        let o = send(&server, &op, CommandBody::IssueTaskBook { book: Box::new(book(&district, unit, grid.id)) }).await;
        assert!(matches!(o, Outcome::Applied { .. }), "{o:?}");
        let snap = server.api(&op).snapshot().await.expect("snapshot");
        assert_eq!(snap.situation.task_books.len(), 1);
        let b = snap.situation.task_books[0].clone();
        assert!(b.number.starts_with("XC-"), "{}", b.number);
        assert_eq!((b.issued_by.as_str(), b.automatic, b.grid), ("op", false, grid.id));
        // One open book per grid.
        let o = send(&server, &op, CommandBody::IssueTaskBook { book: Box::new(book(&district, unit, grid.id)) }).await;
        refused(&o, "already has an open task book");

        // Another grid's worker may not report its stops; the grid's own worker may.
        let done = |check: u16| CommandBody::ReportCheck {
            book: b.id,
            check,
            outcome: CheckOutcome::Done,
            note: String::new(),
            event: None,
        };
        refused(&send(&server, &them, done(0)).await, "does not serve");
        refused(&send(&server, &op_elsewhere, done(0)).await, "outside this user's unit");
        assert!(matches!(send(&server, &me, done(0)).await, Outcome::Applied { .. }));
        refused(&send(&server, &me, done(0)).await, "already reported");

        // A problem at the second stop files a new event there, routed and numbered like any report.
        let building = district.building(b.checks[1].building.expect("a building stop"));
        let place = district.place_of_code(&building.code).expect("the building's place");
        let problem = place.report(
            pingan_core::EventId(0),
            EventCategory::Theft,
            Severity::General,
            "车棚门禁损坏".into(),
            EventSource::GridWorker(worker.id),
            chrono::Utc::now(),
        );
        let o = send(
            &server,
            &me,
            CommandBody::ReportCheck {
                book: b.id,
                check: 1,
                outcome: CheckOutcome::Problem,
                note: "门禁坏了".into(),
                event: Some(Box::new(problem)),
            },
        )
        .await;
        let Outcome::Applied { event: Some(filed), .. } = o else { panic!("the problem was not filed: {o:?}") };
        let snap = server.api(&op).snapshot().await.expect("snapshot");
        let e = snap.situation.event(filed).expect("the problem's event in the snapshot");
        assert!(e.number.starts_with("YH-"), "{}", e.number);
        assert_eq!((e.grid, e.building, e.category), (grid.id, Some(building.id), EventCategory::Theft));
        assert!(e.deadline > e.reported_at, "routed at intake: a deadline");
        let b = snap.situation.task_book(b.id).expect("the book");
        assert!(b.is_closed(), "every stop reported: the book closes");
        assert_eq!(b.problems(), 1);
        let r = b.checks[1].result.as_ref().expect("reported");
        assert_eq!((r.by.as_str(), r.event, r.note.as_str()), ("walker", Some(filed), "门禁坏了"));
        // Closed: the grid may have a new one.
        let o = send(&server, &op, CommandBody::IssueTaskBook { book: Box::new(book(&district, unit, grid.id)) }).await;
        assert!(matches!(o, Outcome::Applied { .. }), "{o:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_issues_books_for_a_red_unit_once() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let district = pingan_sync::district(2026, true);
        // The district first, with no sweeper.
        drop(Server::start(db, &[]));
        // A hundred and fifty serious thefts in one community in the month the sweeper grades (this one, or the
        // last in a month's first days): among the reddest units whatever the rest of the month holds.
        let community = &district.communities[3];
        let now = chrono::Utc::now();
        let (from, to) = PatrolConfig::default().period(now).range();
        let start = (now.timestamp().min(to) - 1800).max(from + 1);
        let mut csv = String::from("at,category,severity,grid\n");
        for i in 0..150 {
            let g = district.grid(community.grids[i % community.grids.len()]);
            let at = chrono::DateTime::from_timestamp(start + i as i64 * 5, 0).expect("time").min(now);
            csv.push_str(&format!("{},Theft,Major,{}\n", at.to_rfc3339(), g.code));
        }
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("history.csv");
        std::fs::write(&file, csv).expect("write");
        let out = Command::new(bin())
            .args(["--db", db, "events", "import", file.to_str().expect("path")])
            .output()
            .expect("events import");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let server = Server::start(db, &["--patrol-every", "1"]);
        let admin = server.user("admin", "admin");
        let books_for = |snap: &pingan_core::sync::Snapshot| -> Vec<TaskBook> {
            snap.situation.task_books.iter().filter(|b| b.unit == UnitRef::Community(community.id)).cloned().collect()
        };
        let mut snap = server.api(&admin).snapshot().await.expect("snapshot");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while books_for(&snap).len() < community.grids.len() {
            assert!(std::time::Instant::now() < deadline, "no automatic books: {:?}", snap.situation.task_books);
            tokio::time::sleep(Duration::from_millis(300)).await;
            snap = server.api(&admin).snapshot().await.expect("snapshot");
        }
        let mine = books_for(&snap);
        for b in &mine {
            assert!(b.automatic && b.issued_by == "patrol", "{b:?}");
            assert!(b.items.iter().any(|i| i.category == EventCategory::Theft), "its dominant category is checked");
            assert!(!b.checks.is_empty() && b.due > b.issued_at);
        }
        let mut grids: Vec<GridId> = mine.iter().map(|b| b.grid).collect();
        grids.sort();
        grids.dedup();
        assert_eq!(grids.len(), community.grids.len(), "one book per grid");
        // Three more sweeps: nothing new (the grids hold open books; the keys name grid and day).
        let before = snap.situation.task_books.len();
        tokio::time::sleep(Duration::from_secs(4)).await;
        let after = server.api(&admin).snapshot().await.expect("snapshot");
        assert_eq!(after.situation.task_books.len(), before, "books issued twice");
        let mut per_grid = std::collections::HashMap::new();
        for b in &after.situation.task_books {
            *per_grid.entry(b.grid).or_insert(0) += 1;
        }
        assert!(per_grid.values().all(|n| *n == 1), "a grid with two automatic books");
        eprintln!("{}: {} automatic books, {} for the red community", target.name, before, mine.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_merge_is_split_into_its_own_event() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let server = Server::start(db, &[]);
        let (_admin, _) = seeded(&server, 0).await;
        let district = pingan_sync::district(2026, true);
        let sup = server.user("sup", "supervisor");
        let op = server.user("op", "operator");
        let b = &district.buildings[100];
        let place = district.place_of_code(&b.code).expect("place");
        let now = chrono::Utc::now();
        let report = |title: &str, at| {
            place.clone().report(
                pingan_core::EventId(0),
                EventCategory::Dispute,
                Severity::General,
                title.into(),
                EventSource::Hotline,
                at,
            )
        };
        let first = report("邻里噪音纠纷", now - chrono::Duration::minutes(5));
        let Outcome::Applied { event: Some(a), .. } =
            send(&server, &op, CommandBody::Report { event: Box::new(first) }).await
        else {
            panic!("the first report was refused")
        };
        // Same category, same place, soon after: merged into the first.
        let second = report("楼上漏水引发纠纷", now);
        let o = send(&server, &op, CommandBody::Report { event: Box::new(second.clone()) }).await;
        assert!(matches!(o, Outcome::Applied { event: Some(e), .. } if e == a), "{o:?}");
        let e = server.api(&op).event(a).await.expect("event");
        assert_eq!(e.linked.len(), 1, "merged as a linked report");
        let log = server.api(&op).changes(0, 10_000).await.expect("changes").changes;
        assert!(log.iter().any(|c| matches!(&c.body, ChangeBody::ReportLinked { event, .. } if *event == a)));

        // Not the same thing after all: a supervisor splits it off.
        let mut wrong = second.clone();
        wrong.title = "另一件事".into();
        refused(
            &send(&server, &sup, CommandBody::SplitReport { event: a, report: Box::new(wrong) }).await,
            "no linked report matches",
        );
        // Who may split, and what: a room of another town, a grid worker, another category, an unknown event.
        let other_town = district.towns.iter().find(|t| t.id != place.town).expect("another town");
        let far = user_in(db, "far", "operator", &other_town.code.to_string());
        refused(
            &send(&server, &far, CommandBody::SplitReport { event: a, report: Box::new(second.clone()) }).await,
            "outside this user's unit",
        );
        let worker = server.user_bound("w0", 0);
        let by_worker = server
            .api(&worker)
            .send(&[cmd(CommandBody::SplitReport { event: a, report: Box::new(second.clone()) })])
            .await;
        assert!(matches!(&by_worker, Err(pingan_store::ApiError::Forbidden(_))), "{by_worker:?}");
        let mut recategorised = second.clone();
        recategorised.category = EventCategory::Theft;
        refused(
            &send(&server, &sup, CommandBody::SplitReport { event: a, report: Box::new(recategorised) }).await,
            "keeps its category",
        );
        refused(
            &send(
                &server,
                &sup,
                CommandBody::SplitReport { event: pingan_core::EventId(999_999), report: Box::new(second.clone()) },
            )
            .await,
            "there is no event",
        );
        let o = send(&server, &sup, CommandBody::SplitReport { event: a, report: Box::new(second.clone()) }).await;
        let Outcome::Applied { event: Some(new), .. } = o else { panic!("the split was refused: {o:?}") };
        assert_ne!(new, a);
        let snap = server.api(&sup).snapshot().await.expect("snapshot");
        assert!(snap.situation.event(a).expect("the first").linked.is_empty());
        let n = snap.situation.event(new).expect("the split-off event");
        assert_eq!(
            (n.title.as_str(), n.source, n.reported_at),
            ("楼上漏水引发纠纷", EventSource::Hotline, second.reported_at)
        );
        assert!(n.number.starts_with("YH-") && n.deadline > n.reported_at, "numbered and routed");
        // Splitting it again: nothing left to split.
        refused(
            &send(&server, &sup, CommandBody::SplitReport { event: a, report: Box::new(second) }).await,
            "no linked report matches",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_warnings_books_and_checks() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let started = std::time::Instant::now();
        // The user first: the demo's start writes for seconds (history, 21 h of readings), and a second process
        // waiting on SQLite's lock then can time out on a loaded machine.
        let admin = common::user(db, "admin", "admin");
        let server = Server::start(db, &["--demo", "--patrol-every", "300"]);
        let (mut warnings, mut auto_books, mut checks) = (0, 0, 0);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let Ok(snap) = server.api(&admin).snapshot().await else { continue };
            let s = &snap.situation;
            warnings = s
                .events
                .iter()
                .filter(|e| {
                    matches!(e.source, EventSource::Sensor(_))
                        && e.evidence.as_ref().is_some_and(|x| !x.series.is_empty())
                })
                .count();
            auto_books = s.task_books.iter().filter(|b| b.automatic && b.issued_by == "patrol").count();
            checks = s.task_books.iter().map(|b| b.done()).sum::<usize>();
            if warnings >= 1 && auto_books >= 1 && checks >= 1 {
                break;
            }
        }
        eprintln!(
            "{}: after {:.0} s: {warnings} sensor warnings with evidence, {auto_books} automatic task books, {checks} \
             checks reported",
            target.name,
            started.elapsed().as_secs_f64()
        );
        assert!(warnings >= 1, "no sensor warning with evidence");
        assert!(auto_books >= 1, "no automatic task book");
        assert!(checks >= 1, "no check reported");
        // The checks came through the log as the server's ReportCheck, on the server's book ids.
        let snap = server.api(&admin).snapshot().await.expect("snapshot");
        for b in snap.situation.task_books.iter().filter(|b| b.done() > 0) {
            for r in b.checks.iter().filter_map(|c| c.result.as_ref()) {
                assert_eq!(r.by, "demo");
                if let Some(e) = r.event {
                    let e = snap.situation.event(e).expect("the problem's event");
                    assert_eq!(e.grid, b.grid);
                }
            }
        }
    }
}

/// A patrol file that does not parse or make sense stops the start, naming the file and what is wrong.
#[test]
fn a_bad_patrol_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("patrol.toml");
    let text = pingan_core::patrol::DEFAULT_PATROL_TOML.replace("due_hours = 72", "due_hours = 0");
    std::fs::write(&file, text).expect("write");
    let db = dir.path().join("sync.db");
    let out = Command::new(bin())
        .args(["--db", db.to_str().expect("path"), "--listen", "127.0.0.1:0", "--patrol", file.to_str().expect("path")])
        .output()
        .expect("run pingan-sync");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started with a bad patrol file");
    assert!(said.contains("--patrol") && said.contains("patrol.toml") && said.contains("due_hours"), "{said}");
    let missing = dir.path().join("nowhere.toml");
    let out = Command::new(bin())
        .args([
            "--db",
            db.to_str().expect("path"),
            "--listen",
            "127.0.0.1:0",
            "--patrol",
            missing.to_str().expect("path"),
        ])
        .output()
        .expect("run pingan-sync");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read it"));
}
