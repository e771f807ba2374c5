//! End to end: a real `pingan-sync` process on loopback with a real database, and the real client link
//! (`pingan-store`) with its SQLite cache. Each test runs on SQLite, and on PostgreSQL when `PINGAN_TEST_POSTGRES`
//! is set (CI sets it).

mod common;

use common::*;
use pingan_core::sync::{ChangeBody, CommandBody, Outcome, Role};
use pingan_core::{EventAction, EventId, EventState, LonLat, Situation, WorkerId, WorkerStatus};
use pingan_store::{Link, LinkConfig, LinkState};
use std::time::Duration;

fn link(server: &Server, token: &str, cache: &std::path::Path) -> (Link, pingan_store::Cached) {
    Link::start(LinkConfig::new(&server.url, token, cache.to_path_buf())).expect("link")
}

async fn snapshot(server: &Server, token: &str) -> pingan_core::sync::Snapshot {
    loop {
        match server.api(token).snapshot().await {
            Err(pingan_store::ApiError::RateLimited(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
            r => return r.expect("snapshot"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_syncs_a_snapshot_then_live_changes() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 30).await;
        let op = server.user("op", "operator");
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache.sqlite");
        let (link, cached) = link(&server, &op, &cache);
        assert_eq!(cached.seq, 0, "a new cache starts empty");
        let mut mine = Situation::default();
        let mut seqs = Vec::new();
        wait_until(30, "online", || link.status().state == LinkState::Online);
        drain(&link, &mut mine, &mut seqs);
        assert_eq!(mine.events.len(), 30);
        assert_eq!(mine.workers.len(), demo.workers.len());

        // Live: an operator accepts, a worker moves.
        let api = server.api(&admin);
        // A step inside the worker's grids (a position far outside them is refused).
        let moved = LonLat { lon: demo.workers[2].position.lon + 0.001, lat: demo.workers[2].position.lat };
        let r = api
            .send(&[
                cmd(CommandBody::Act { event: EventId(3), action: EventAction::Accept }),
                cmd(CommandBody::WorkerPosition {
                    worker: WorkerId(2),
                    position: moved,
                    status: WorkerStatus::Patrolling,
                }),
            ])
            .await
            .unwrap();
        let head = match r[1].outcome {
            Outcome::Applied { seq, .. } => seq,
            ref o => panic!("{o:?}"),
        };
        wait_until(30, "the live changes", || link.status().seq == head);
        drain(&link, &mut mine, &mut seqs);
        assert_eq!(event(&mine, 3).state, EventState::Accepted);
        assert_eq!(mine.workers[2].position, moved);
        assert_eq!(mine, snapshot(&server, &op).await.situation, "client and server agree");

        // The cache holds it: a restart of the client shows it at once, before any network.
        drop(link);
        let cached = pingan_store::Cache::open(&cache).unwrap().load().unwrap();
        assert_eq!(cached.seq, head);
        assert_eq!(cached.situation, mine);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_stream_and_restarted_client_resumes_without_gap_or_duplicate() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let mut server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 10).await;
        let op = server.user("op", "operator");
        let dir = tempfile::tempdir().unwrap();
        let (link, _) = link(&server, &op, &dir.path().join("cache.sqlite"));
        let mut mine = Situation::default();
        let mut seqs = Vec::new();
        wait_until(30, "online", || link.status().state == LinkState::Online);
        drain(&link, &mut mine, &mut seqs);
        let start_seq = link.status().seq;

        // A producer keeps moving workers: 40 rounds of 10 moves, with a kill and restart in the middle.
        let mut sent = 0;
        for round in 0..40 {
            if round == 15 {
                server.kill();
                tokio::time::sleep(Duration::from_millis(300)).await;
                server.restart();
            }
            let cmds: Vec<_> = (0..10)
                .map(|i| {
                    let w = &demo.workers[(round * 10 + i) % demo.workers.len()];
                    let p = LonLat { lon: w.position.lon + 1e-5 * round as f64, lat: w.position.lat };
                    cmd(CommandBody::WorkerPosition { worker: w.id, position: p, status: WorkerStatus::Patrolling })
                })
                .collect();
            // Retry like a real client would (same keys), until the server answers.
            let api = server.api(&admin);
            loop {
                match api.send(&cmds).await {
                    Ok(_) => break,
                    Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(e) => panic!("{e}"),
                }
            }
            sent += cmds.len() as i64;
            drain(&link, &mut mine, &mut seqs);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let head = start_seq + sent;
        wait_until(60, "the client to catch up after the restart", || link.status().seq == head);
        drain(&link, &mut mine, &mut seqs);
        let expected: Vec<i64> = (start_seq + 1..=head).collect();
        let live: Vec<i64> = seqs.iter().copied().filter(|s| *s > start_seq).collect();
        assert_eq!(live, expected, "every seq once, in order: no gap, no duplicate");
        assert_eq!(mine, snapshot(&server, &op).await.situation);
    }
}

/// 1,000 lifecycle steps made offline (250 events × accept, assign, start, feedback), replayed when the server comes
/// back; the server is killed in the middle of the replay and started again. Each step must be applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_offline_actions_are_applied_exactly_once_even_if_the_replay_is_cut() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        // A slow server (rate limit) so that the replay takes a while and the kill lands in its middle.
        let mut server = Server::start(&target.db, &["--rate", "25", "--burst", "5"]);
        let admin = server.user("admin", "admin");
        let demo = demo_situation();
        let events: Vec<_> = demo.events.iter().cycle().take(250).cloned().collect();
        for chunk in seed_commands(&demo.workers, &events).chunks(500) {
            server.api(&admin).send(chunk).await.unwrap();
        }
        let sup = server.user("sup", "supervisor");
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache.sqlite");
        let mut config = LinkConfig::new(&server.url, &sup, cache.clone());
        config.batch = 10;
        let (link, _) = Link::start(config.clone()).unwrap();
        wait_until(30, "online", || link.status().state == LinkState::Online);
        let base = link.status().seq;
        let mut mine = Situation::default();
        let mut seqs = Vec::new();
        drain(&link, &mut mine, &mut seqs);

        server.kill();
        wait_until(30, "the link to notice", || link.status().state != LinkState::Online);
        let worker = demo.workers[0].id;
        let steps = [
            EventAction::Accept,
            EventAction::Assign { worker },
            EventAction::StartDisposal,
            EventAction::SubmitFeedback { note: "已处置".into() },
        ];
        let t0 = chrono::Utc::now();
        for (k, action) in steps.iter().enumerate() {
            for e in &mine.events {
                let at = t0 + chrono::Duration::milliseconds(k as i64);
                link.submit(CommandBody::Act { event: e.id, action: action.clone() }, at).unwrap();
            }
        }
        assert_eq!(link.status().outbox, 1000);
        // The outbox survives a restart of the client too.
        drop(link);
        let (link, _) = Link::start(config).unwrap();
        assert_eq!(link.pending().len(), 1000);

        server.restart();
        let probe = server.api(&admin);
        wait_until(60, "the replay to start", || {
            futures_executor_block(probe.changes(base, 1)).is_ok_and(|p| p.head > base + 100)
        });
        server.kill();
        let applied_before_cut = link.pending().len();
        assert!(applied_before_cut > 0 && applied_before_cut < 1000, "cut mid-replay ({applied_before_cut} left)");
        server.restart();
        wait_until(120, "the outbox to drain", || link.status().outbox == 0 && link.pending().is_empty());
        assert!(link.refused().is_empty(), "nothing refused: {:?}", link.refused());

        // Exactly 1,000 new changes, each event with its four steps once.
        let snap = snapshot(&server, &sup).await;
        assert_eq!(snap.seq, base + 1000, "exactly one change per action");
        for e in &snap.situation.events {
            assert_eq!(e.history.len(), 4, "event {} has {} steps", e.id.0, e.history.len());
            assert_eq!(e.state, EventState::Feedback);
        }
        wait_until(60, "the client to see it all", || link.status().seq == snap.seq);
        drain(&link, &mut mine, &mut seqs);
        assert_eq!(mine, snap.situation);
    }
}

fn futures_executor_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_refused_on_replay_is_shown_not_dropped() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let mut server = Server::start(&target.db, &[]);
        let (admin, _) = seeded(&server, 3).await;
        let api = server.api(&admin);
        // Event 1 waits for the centre's check.
        for a in [
            EventAction::Accept,
            EventAction::Assign { worker: WorkerId(0) },
            EventAction::StartDisposal,
            EventAction::SubmitFeedback { note: "ok".into() },
        ] {
            api.send(&[cmd(CommandBody::Act { event: EventId(1), action: a })]).await.unwrap();
        }
        let op = server.user("op", "operator");
        let dir = tempfile::tempdir().unwrap();
        let (link, _) = link(&server, &op, &dir.path().join("c.sqlite"));
        wait_until(30, "online", || link.status().state == LinkState::Online);
        server.kill();
        wait_until(30, "offline", || link.status().state != LinkState::Online);
        // Offline, our operator sends it back for rework …
        link.submit(
            CommandBody::Act { event: EventId(1), action: EventAction::Rework { note: "补充照片".into() } },
            chrono::Utc::now(),
        )
        .unwrap();
        // … while a supervisor, still connected elsewhere, closes it.
        server.restart();
        let results = server
            .api(&admin)
            .send(&[cmd(CommandBody::Act {
                event: EventId(1),
                action: EventAction::Close { note: "已核实".into(), outcome: None },
            })])
            .await;
        // The link may have replayed first; then the close is what is refused. Either way one of them is refused.
        let close_applied = matches!(results.as_ref().map(|r| &r[0].outcome), Ok(Outcome::Applied { .. }));
        wait_until(30, "the outbox to drain", || link.status().outbox == 0);
        if close_applied {
            let refused = link.refused();
            assert_eq!(refused.len(), 1, "the rework is kept as refused");
            assert!(refused[0].reason.contains("Closed"), "reason names the state: {}", refused[0].reason);
            let mut got_refused = false;
            for _ in 0..100 {
                for u in link.poll() {
                    got_refused |= matches!(u, pingan_store::Update::Refused(_));
                }
                if got_refused {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(got_refused, "the UI is told");
        } else {
            assert!(link.refused().is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_rules_are_enforced_by_the_server() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 3).await;
        let worker = server.user_bound("w", 1);
        let sensor = server.user("s", "sensor_gateway");
        let op = server.user("op", "operator");
        let http = reqwest::Client::new();
        // No token, bad token: 401.
        let r = http.get(format!("{}/v1/snapshot", server.url)).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = http.get(format!("{}/v1/snapshot", server.url)).bearer_auth("pa_nonsense").send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("unknown or revoked token"));
        // A grid worker may start disposal but not close; an operator may not reopen.
        let w = server.api(&worker);
        let close =
            cmd(CommandBody::Act { event: EventId(1), action: EventAction::Close { note: "x".into(), outcome: None } });
        assert!(
            matches!(w.send(&[close]).await, Err(pingan_store::ApiError::Forbidden(m)) if m.contains("grid_worker"))
        );
        let reopen = cmd(CommandBody::Act { event: EventId(1), action: EventAction::Reopen { reason: "x".into() } });
        assert!(matches!(server.api(&op).send(&[reopen]).await, Err(pingan_store::ApiError::Forbidden(_))));
        let pos = cmd(CommandBody::WorkerPosition {
            worker: WorkerId(1),
            position: demo.workers[1].position,
            status: WorkerStatus::Patrolling,
        });
        assert!(w.send(&[pos]).await.is_ok());
        // A sensor gateway can only report: not read, not act.
        let s = server.api(&sensor);
        assert!(matches!(s.snapshot().await, Err(pingan_store::ApiError::Forbidden(_))));
        assert!(matches!(
            s.send(&[cmd(CommandBody::Act { event: EventId(1), action: EventAction::Accept })]).await,
            Err(pingan_store::ApiError::Forbidden(_))
        ));
        let report = cmd(CommandBody::Report { event: Box::new(demo.events[5].clone()) });
        let r = s.send(&[report]).await.unwrap();
        assert!(matches!(r[0].outcome, Outcome::Applied { event: Some(EventId(4)), .. }), "{r:?}");
        // Every role's rules, as the server applies them, match the table in pingan-core.
        assert!(
            Role::Supervisor
                .may(&CommandBody::Act { event: EventId(1), action: EventAction::Reopen { reason: String::new() } })
        );
        // Revoked tokens stop working (after the 10 s token cache, or at once on a fresh server).
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-sync"))
            .args(["--db", &target.db, "token", "revoke", "op"])
            .output()
            .unwrap();
        assert!(out.status.success());
        drop(server);
        let server = Server::start(&target.db, &[]);
        assert!(matches!(server.api(&op).snapshot().await, Err(pingan_store::ApiError::Unauthorized(_))));
        assert!(server.api(&admin).snapshot().await.is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_and_the_server_keeps_serving() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &["--max-body", "20000", "--max-page", "500"]);
        let (admin, demo) = seeded(&server, 3).await;
        let head_before = server.api(&admin).changes(0, 1).await.unwrap().head;
        let http = reqwest::Client::new();
        let post =
            |body: String| http.post(format!("{}/v1/commands", server.url)).bearer_auth(&admin).body(body).send();
        let check = |status: u16, want: u16, text: &str, needle: &str| {
            assert_eq!(status, want, "{text}");
            assert!(text.contains(needle), "{needle:?} not in {text}");
            assert!(text.starts_with("{\"error\":"), "JSON error body: {text}");
        };
        let r = post("{not json".into()).await.unwrap();
        check(r.status().as_u16(), 400, &r.text().await.unwrap(), "malformed JSON");
        let r = post(r#"{"commands":[{"key":"a","at":"2026-11-23T00:00:00Z","body":{"type":"teleport"}}]}"#.into())
            .await
            .unwrap();
        check(r.status().as_u16(), 400, &r.text().await.unwrap(), "unknown command \\\"teleport\\\"");
        let r = post(r#"{"commands":[{"key":"","at":"2026-11-23T00:00:00Z","body":{"type":"act","event":1,"action":"Accept"}}]}"#.into())
            .await
            .unwrap();
        check(r.status().as_u16(), 400, &r.text().await.unwrap(), "idempotency key");
        let big = format!("{{\"commands\":[],\"pad\":\"{}\"}}", "x".repeat(30_000));
        let r = post(big).await.unwrap();
        check(r.status().as_u16(), 413, &r.text().await.unwrap(), "over the limit of 20000 bytes");
        // The server closes a connection whose body it refused unread; a pooled client could pick that one again.
        let http = reqwest::Client::new();
        let r = http
            .get(format!("{}/v1/changes?after=0&limit=100000", server.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        check(r.status().as_u16(), 400, &r.text().await.unwrap(), "limit must be between 1 and 500");
        let r = http.get(format!("{}/v1/changes?after=banana", server.url)).bearer_auth(&admin).send().await.unwrap();
        check(r.status().as_u16(), 400, &r.text().await.unwrap(), "bad query string");
        let r = http.get(format!("{}/v1/nowhere", server.url)).send().await.unwrap();
        check(r.status().as_u16(), 404, &r.text().await.unwrap(), "no such endpoint");
        // A command the state machine refuses: 200 with a per-command rejection, nothing logged.
        let bad =
            cmd(CommandBody::Act { event: EventId(1), action: EventAction::Close { note: "x".into(), outcome: None } });
        let r = server.api(&admin).send(std::slice::from_ref(&bad)).await.unwrap();
        assert!(matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("cannot close")), "{r:?}");
        // A retry gets the same answer, marked duplicate.
        let r2 = server.api(&admin).send(&[bad]).await.unwrap();
        assert_eq!(r2[0].outcome, r[0].outcome);
        assert!(r2[0].duplicate);
        // Unknown event, bad coordinates.
        let r = server
            .api(&admin)
            .send(&[cmd(CommandBody::Act { event: EventId(999), action: EventAction::Accept })])
            .await
            .unwrap();
        assert!(matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("no event 999")));
        let mut e = demo.events[0].clone();
        e.position = LonLat { lon: f64::NAN, lat: 30.0 };
        // NaN is not JSON: serde_json writes null, which the server refuses as malformed.
        let r = server.api(&admin).send(&[cmd(CommandBody::Report { event: Box::new(e) })]).await;
        assert!(matches!(r, Err(pingan_store::ApiError::Rejected(400, _))), "{r:?}");
        // A worker id far beyond the others (clients index workers by id) and a position older than the known one.
        let mut w = demo.workers[0].clone();
        w.id = WorkerId(4_000_000_000);
        let r = server.api(&admin).send(&[cmd(CommandBody::WorkerJoin { worker: w })]).await.unwrap();
        assert!(matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("next free id")), "{r:?}");
        let mut old = cmd(CommandBody::WorkerPosition {
            worker: WorkerId(0),
            position: demo.workers[0].position,
            status: WorkerStatus::Patrolling,
        });
        old.at = demo.workers[0].seen_at - chrono::Duration::hours(1);
        let r = server.api(&admin).send(&[old]).await.unwrap();
        assert!(matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("newer position")), "{r:?}");
        // Still serving, nothing lost, nothing added.
        let page = server.api(&admin).changes(0, 500).await.unwrap();
        assert_eq!(page.head, head_before);
        assert_eq!(page.changes.len() as i64, head_before);
        assert!(page.changes.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        assert!(matches!(page.changes.last().unwrap().body, ChangeBody::EventReported { .. }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_commands_are_applied_once_and_the_rate_limit_answers_429() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &["--rate", "5", "--burst", "8"]);
        let (admin, _) = seeded(&server, 3).await;
        // Let the bucket refill after seeding.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let api = server.api(&admin);
        let batch = vec![
            cmd(CommandBody::Act { event: EventId(2), action: EventAction::Accept }),
            cmd(CommandBody::Act { event: EventId(3), action: EventAction::Accept }),
        ];
        let first = api.send(&batch).await.unwrap();
        let again = api.send(&batch).await.unwrap();
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(a.outcome, b.outcome, "same answer");
            assert!(!a.duplicate && b.duplicate);
        }
        let snap = api.snapshot().await.unwrap();
        assert_eq!(event(&snap.situation, 2).history.len(), 1, "accepted once");
        let mut limited = None;
        for _ in 0..30 {
            if let Err(e) = api.info().await {
                limited = Some(e);
                break;
            }
        }
        assert!(
            matches!(limited, Some(pingan_store::ApiError::RateLimited(ref m)) if m.contains("per second")),
            "{limited:?}"
        );
    }
}

/// Several instances on one PostgreSQL: a client streaming from instance A sees commands sent to instance B, in
/// order, through LISTEN/NOTIFY. (SQLite is one file for one server: this runs only on PostgreSQL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_share_the_log_and_the_live_stream() {
    for target in targets().await.into_iter().filter(|t| t.name == "postgres") {
        let a = Server::start(&target.db, &[]);
        let b = Server::start(&target.db, &[]);
        let (admin, _) = seeded(&a, 5).await;
        let op = a.user("op", "operator");
        let dir = tempfile::tempdir().unwrap();
        let (link, _) = link(&a, &op, &dir.path().join("c.sqlite"));
        wait_until(30, "online", || link.status().state == LinkState::Online);
        let mut mine = Situation::default();
        let mut seqs = Vec::new();
        drain(&link, &mut mine, &mut seqs);
        let start = link.status().seq;
        // Both instances take commands at the same time.
        let (api_a, api_b) = (a.api(&admin), b.api(&admin));
        let (ca, cb) = (
            [cmd(CommandBody::Act { event: EventId(1), action: EventAction::Accept })],
            [cmd(CommandBody::Act { event: EventId(2), action: EventAction::Accept })],
        );
        let (ra, rb) = tokio::join!(api_a.send(&ca), api_b.send(&cb));
        assert!(ra.is_ok() && rb.is_ok());
        let rb = b.api(&admin).send(&[cmd(CommandBody::Act { event: EventId(3), action: EventAction::Accept })]).await;
        assert!(matches!(rb.unwrap()[0].outcome, Outcome::Applied { seq, .. } if seq == start + 3), "one gap-free log");
        wait_until(30, "instance B's changes on instance A's stream", || link.status().seq == start + 3);
        drain(&link, &mut mine, &mut seqs);
        assert_eq!(
            seqs.iter().filter(|s| **s > start).copied().collect::<Vec<_>>(),
            vec![start + 1, start + 2, start + 3]
        );
        for id in 1..=3 {
            assert_eq!(event(&mine, id).state, EventState::Accepted);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_thinned_tracks_and_serves_them_for_replays() {
    use pingan_core::replay::{TrackPoint, keeps, point_of};
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &["--max-page", "500"]);
        let (admin, demo) = seeded(&server, 3).await;
        let w = demo.workers.iter().find(|w| w.status == WorkerStatus::Patrolling).expect("a worker on patrol");
        let token = server.user_bound(&format!("walker-{}", target.name), w.id.0);
        // Forty reports, 50 s to 3 min apart, one stretch off duty: what the rule keeps, worked out here.
        // From a slot's start, so that which reports share a slot does not depend on the time the test runs.
        let three_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(3)).timestamp();
        let start = chrono::DateTime::from_timestamp(three_hours_ago - three_hours_ago.rem_euclid(300), 0).unwrap();
        let mut at = start;
        let mut last: Option<TrackPoint> = None;
        let mut expected = Vec::new();
        for k in 0..40i64 {
            at += chrono::Duration::seconds(50 + (k * 37) % 130);
            let status = if (15..18).contains(&k) { WorkerStatus::OffDuty } else { WorkerStatus::Patrolling };
            let next = TrackPoint { at, seen_at: at, position: w.position, status };
            if keeps(last.as_ref(), &next, pingan_sync::writer::TRACK_STEP) {
                expected.push(at);
                last = Some(next);
            }
            let mut c = cmd(CommandBody::WorkerPosition { worker: w.id, position: w.position, status });
            c.at = at;
            let r = server.api(&token).send(&[c]).await.expect("send");
            assert!(matches!(r[0].outcome, Outcome::Applied { .. }), "{:?}", r[0].outcome);
        }
        assert!(expected.len() > 5 && expected.len() < 30, "{} of 40 kept", expected.len());
        // An event assigned to the worker changes their status by a step (no report); their next report, in the same
        // slot as the last kept point, says so and is kept (it is the last kept point it is compared with).
        for action in [EventAction::Accept, EventAction::Assign { worker: w.id }] {
            let r = send(&server, &admin, CommandBody::Act { event: EventId(1), action }).await;
            assert!(matches!(r, Outcome::Applied { .. }), "{r:?}");
        }
        let slot = pingan_sync::writer::TRACK_STEP.num_milliseconds();
        let last_kept = *expected.last().unwrap();
        at += chrono::Duration::seconds(1);
        assert_eq!(at.timestamp_millis().div_euclid(slot), last_kept.timestamp_millis().div_euclid(slot), "same slot");
        let mut c = cmd(CommandBody::WorkerPosition {
            worker: w.id,
            position: w.position,
            status: WorkerStatus::Handling(EventId(1)),
        });
        c.at = at;
        let r = server.api(&token).send(&[c]).await.expect("send");
        assert!(matches!(r[0].outcome, Outcome::Applied { .. }), "{:?}", r[0].outcome);
        expected.push(at);
        let api = server.api(&admin);
        let mine = |changes: &[pingan_core::sync::Change]| -> Vec<chrono::DateTime<chrono::Utc>> {
            changes.iter().filter_map(|c| point_of(&c.body)).filter(|(id, _)| *id == w.id).map(|(_, p)| p.at).collect()
        };
        let all = api.tracks(start, 0, 500).await.expect("tracks");
        assert_eq!(mine(&all.changes), expected, "the server kept exactly what the rule keeps");
        // Paged: the same points.
        let (mut after, mut paged) = (0, Vec::new());
        loop {
            let page = api.tracks(start, after, 3).await.expect("page");
            paged.extend(mine(&page.changes));
            let Some(last) = page.changes.last() else { break };
            after = last.seq;
        }
        assert_eq!(paged, expected);
        // `since` cuts by report time.
        let later = api.tracks(expected[5], 0, 500).await.expect("tracks since");
        assert_eq!(mine(&later.changes), expected[5..]);
        // A desk's link keeps them in its cache and hands them on, and a second start reads them from the cache.
        let dir = tempfile::tempdir().unwrap();
        let config = || LinkConfig::new(&server.url, &admin, dir.path().join("cache.db")).with_tracks(1);
        let (link, _) = Link::start(config()).expect("link");
        let mut got = Vec::new();
        wait_until(30, "the tracks", || {
            for u in link.poll() {
                if let pingan_store::Update::Tracks(cs) = u {
                    got.extend(mine(&cs));
                }
            }
            got.len() >= expected.len()
        });
        assert_eq!(got, expected);
        drop(link);
        let (_link, cached) = Link::start(config()).expect("link again");
        assert_eq!(mine(&cached.tracks), expected, "kept in the cache");
        // Refused clearly.
        let http = reqwest::Client::new();
        for (query, needle) in [
            ("", "since is required"),
            ("since=yesterday", "not an RFC 3339 time"),
            ("since=2020-01-01T00:00:00Z", "at most 32 days"),
            (&format!("since={}&limit=0", start.format("%Y-%m-%dT%H:%M:%SZ")), "limit must be between 1 and 500"),
            (&format!("since={}&after=-1", start.format("%Y-%m-%dT%H:%M:%SZ")), "after must be 0 or more"),
        ] {
            let r = http.get(format!("{}/v1/tracks?{query}", server.url)).bearer_auth(&admin).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 400, "{query}");
            let text = r.text().await.unwrap();
            assert!(text.starts_with("{\"error\":") && text.contains(needle), "{query}: {text}");
        }
        let r = http.get(format!("{}/v1/tracks?since=2026-01-01T00:00:00Z", server.url)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "no token");
    }
}
