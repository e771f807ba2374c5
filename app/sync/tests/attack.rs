//! The attack suite: a real `pingan-sync` process on loopback, tried as an attacker and as a careless integrator
//! would — idle and slow connections, a live stream nobody reads, oversized fields, commands that name things that do
//! not exist, times in the future, a key reused for another command, and a grid worker acting outside their grids.
//! Connection tests run on SQLite (they do not touch storage); the rule tests run on every configured database.

mod common;

use common::*;
use pingan_core::sync::{ClientCommand, CommandBody, Outcome};
use pingan_core::validate;
use pingan_core::{
    AddressCode, BuildingId, Event, EventAction, EventId, EventSource, GridId, LonLat, WorkerId, WorkerStatus,
};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Raw HTTP: `GET /v1/info` with `token` on a fresh connection; returns the status code and how long it took.
fn raw_info(url: &str, token: &str) -> (u16, Duration) {
    let addr = url.trim_start_matches("http://");
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET /v1/info HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read the answer");
    let text = String::from_utf8_lossy(&buf);
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, start.elapsed())
}

/// Whether the server has closed `s` (reads EOF or a reset within `within`).
fn closed_by_server(s: &TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut s = s;
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + within;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {
                if Instant::now() > deadline {
                    return false;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn idle_and_slow_loris_connections_do_not_lock_out_a_real_client_and_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &["--header-timeout", "2", "--keep-alive-timeout", "2"]);
    let op = server.user("op", "operator");

    // 500 connections that never send a byte, 100 that send a request head one byte a second.
    let addr = server.url.trim_start_matches("http://").to_string();
    let idle: Vec<TcpStream> = (0..500).map(|_| TcpStream::connect(&addr).expect("idle connect")).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loris: Vec<_> = (0..100)
        .map(|_| {
            let (addr, stop) = (addr.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).expect("slow connect");
                let head = b"POST /v1/commands HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nx-slow: ";
                let mut sent = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let byte = head.get(sent).copied().unwrap_or(b'a');
                    if s.write_all(&[byte]).is_err() {
                        return sent; // closed by the server
                    }
                    sent += 1;
                    std::thread::sleep(Duration::from_millis(1000));
                }
                usize::MAX
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    // A real client is served while they hang on.
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let (code, took) = raw_info(&server.url, &op);
        assert_eq!(code, 200, "an authenticated request is answered under attack");
        worst = worst.max(took);
    }
    eprintln!("worst of 20 authenticated requests under 500 idle + 100 slow-loris connections: {worst:?}");

    // The header timeout closes every one of them.
    let closed = idle.iter().filter(|s| closed_by_server(s, Duration::from_secs(6))).count();
    assert_eq!(closed, 500, "idle connections are closed after the header timeout");
    let cut: Vec<usize> = loris.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(cut.iter().all(|&n| n < 20), "slow-loris heads are cut off after the header timeout: {cut:?}");
}

#[test]
fn at_the_connection_cap_the_longest_idle_connection_makes_room() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &["--max-connections", "50"]);
    let op = server.user("op", "operator");
    let addr = server.url.trim_start_matches("http://").to_string();
    let idle: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(&addr).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        assert_eq!(raw_info(&server.url, &op).0, 200, "a real client gets a slot at the cap");
    }
    // Idle ones were closed to make room — at least all but the cap — and the oldest first (ties within a
    // millisecond by accept order). Under load a few of the first hundred may still be reading their first bytes when
    // the burst ends, which is not idle, so "the oldest first" is checked as "nearly all of the first hundred".
    let closed: Vec<bool> = idle.iter().map(|s| closed_by_server(s, Duration::from_millis(200))).collect();
    let total = closed.iter().filter(|c| **c).count();
    let first = closed.iter().take(100).filter(|c| **c).count();
    assert!(total >= 150, "at a cap of 50, at least 150 of 200 idle connections were evicted: {total}");
    assert!(first >= 90, "the longest idle go first: {first} of the first 100 were evicted");
}

#[test]
fn a_request_body_trickled_in_is_cut_off_with_408() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &["--body-timeout", "1"]);
    let op = server.user("op", "operator");
    let mut s = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "POST /v1/commands HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {op}\r\ncontent-type: application/json\r\n\
         content-length: 100000\r\n\r\n{{\"commands\":["
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).expect("an answer before the body is complete");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"error\""), "the answer is JSON: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_nobody_reads_is_closed_and_the_server_keeps_streaming_to_others() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &["--write-timeout", "1"]);
    let (admin, demo) = seeded(&server, 5).await;
    let op = server.user("op", "operator");

    // A stream that is opened and never read.
    let mut stalled = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stalled.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stalled, "GET /v1/stream?after=0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {op}\r\n\r\n").unwrap();
    // A healthy reader.
    let mut healthy = server.api(&op).stream(0).await.expect("stream");

    // Enough changes to fill the socket buffers many times over.
    let api = server.api(&admin);
    let mut sent = 0;
    let mut last = 0;
    let start = Instant::now();
    for round in 0..60 {
        let cmds: Vec<ClientCommand> = (0..1000)
            .map(|i| {
                let w = &demo.workers[(round * 1000 + i) % demo.workers.len()];
                let p = LonLat { lon: w.position.lon + 1e-7 * i as f64, lat: w.position.lat };
                cmd(CommandBody::WorkerPosition { worker: w.id, position: p, status: WorkerStatus::Patrolling })
            })
            .collect();
        loop {
            match api.send(&cmds).await {
                Err(pingan_store::ApiError::RateLimited(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
                r => {
                    r.expect("send");
                    break;
                }
            }
        }
        sent += cmds.len();
        // Keep the healthy stream drained.
        while let Ok(Ok(Some(c))) = tokio::time::timeout(Duration::from_millis(1), healthy.next()).await {
            last = c.seq;
        }
    }
    eprintln!("sent {sent} changes in {:?}", start.elapsed());
    let head = api.info().await.unwrap()["head"].as_i64().unwrap();
    // The healthy reader gets everything.
    while last < head {
        match tokio::time::timeout(Duration::from_secs(20), healthy.next()).await {
            Ok(Ok(Some(c))) => last = c.seq,
            other => panic!("the healthy stream stopped at {last} of {head}: {other:?}"),
        }
    }
    // The stalled one was closed: reading now drains what the kernel buffered, then EOF.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stalled_closed =
        tokio::task::spawn_blocking(move || closed_by_server(&stalled, Duration::from_secs(30))).await.unwrap();
    assert!(stalled_closed, "a stream whose reader does not read is closed by the server");
}

/// A report of a real demo event, re-sent as new.
fn report_of(e: &Event) -> CommandBody {
    CommandBody::Report { event: Box::new(e.clone()) }
}

async fn send_one(server: &Server, token: &str, body: CommandBody) -> Outcome {
    send_at(server, token, body, chrono::Utc::now()).await
}

async fn send_at(server: &Server, token: &str, body: CommandBody, at: pingan_core::Timestamp) -> Outcome {
    let c = ClientCommand { key: pingan_store::link::new_key(), at, body };
    let r = server.api(token).send(&[c]).await.expect("answered");
    r[0].outcome.clone()
}

fn rejected(o: &Outcome, needle: &str) {
    match o {
        Outcome::Rejected { reason } => assert!(reason.contains(needle), "reason {reason:?} should mention {needle:?}"),
        other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
    }
}

fn applied(o: &Outcome) -> EventId {
    match o {
        Outcome::Applied { event, seq } => event.unwrap_or(EventId(*seq as u64)),
        other => panic!("expected applied, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_has_a_limit_and_every_reference_is_checked() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 5).await;
        let district = pingan_sync::district(2026, true);
        let base = demo.events[0].clone();
        let long = |n: usize| "长".repeat(n);

        // Free text: one character over each limit is refused, the limit itself is fine.
        let mut e = base.clone();
        e.title = long(validate::MAX_TITLE + 1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "at most 200");
        e.title = long(validate::MAX_TITLE);
        applied(&send_one(&server, &admin, report_of(&e)).await);
        let mut e = base.clone();
        e.place = long(validate::MAX_PLACE + 1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "place");
        let mut e = base.clone();
        e.number = "N".repeat(validate::MAX_NUMBER + 1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "case number");
        let mut e = base.clone();
        e.title = "a\u{0}b".into();
        rejected(&send_one(&server, &admin, report_of(&e)).await, "control character");
        // Notes and reasons: event 1 is reported; accept, assign, start, then an over-long feedback.
        let ev = EventId(1);
        for a in [EventAction::Accept, EventAction::Assign { worker: WorkerId(0) }, EventAction::StartDisposal] {
            applied(&send_one(&server, &admin, CommandBody::Act { event: ev, action: a }).await);
        }
        let note = long(validate::MAX_NOTE + 1);
        rejected(
            &send_one(&server, &admin, CommandBody::Act { event: ev, action: EventAction::SubmitFeedback { note } })
                .await,
            "at most 2000",
        );
        let reason = long(validate::MAX_REASON + 1);
        rejected(
            &send_one(&server, &admin, CommandBody::Act { event: ev, action: EventAction::Escalate { reason } }).await,
            "at most 1000",
        );
        let mut w = pingan_sync::demo::joining(&demo.workers[0]);
        w.id = WorkerId(demo.workers.len() as u32);
        w.name = long(validate::MAX_NAME + 1);
        rejected(&send_one(&server, &admin, CommandBody::WorkerJoin { worker: w.clone() }).await, "at most 64");

        // A joining worker: a position in range and at least one grid that exists.
        w.name = "新网格员".into();
        let mut bad = w.clone();
        bad.grids.clear();
        rejected(&send_one(&server, &admin, CommandBody::WorkerJoin { worker: bad }).await, "serves no grid");
        let mut bad = w.clone();
        bad.grids = vec![GridId(99_999)];
        rejected(&send_one(&server, &admin, CommandBody::WorkerJoin { worker: bad }).await, "does not exist");
        let mut bad = w.clone();
        bad.position = LonLat { lon: 116.4, lat: 39.9 }; // Beijing
        rejected(&send_one(&server, &admin, CommandBody::WorkerJoin { worker: bad }).await, "lies outside");
        let mut bad = w.clone();
        bad.position = LonLat { lon: f64::NAN, lat: 30.0 };
        // NaN does not survive JSON (it becomes null): the command does not even decode.
        let c = ClientCommand {
            key: pingan_store::link::new_key(),
            at: chrono::Utc::now(),
            body: CommandBody::WorkerJoin { worker: bad },
        };
        assert!(server.api(&admin).send(&[c]).await.is_err(), "a NaN position is refused");
        applied(&send_one(&server, &admin, CommandBody::WorkerJoin { worker: w.clone() }).await);

        // A report's building lies in its grid, its address code in the district (and in its grid).
        let mut e = base.clone();
        let other = district.buildings.iter().find(|b| b.grid != e.grid).expect("a building elsewhere");
        e.building = Some(other.id);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "lies in grid");
        let mut e = base.clone();
        e.building = Some(BuildingId(9_999_999));
        rejected(&send_one(&server, &admin, report_of(&e)).await, "no building");
        let mut e = base.clone();
        e.address = AddressCode::parse("110101001001001000100000000").unwrap(); // Beijing, Dongcheng
        rejected(&send_one(&server, &admin, report_of(&e)).await, "is not in");
        let mut e = base.clone();
        let other_grid = district.grids.iter().find(|g| g.id != e.grid).unwrap();
        e.address = other_grid.code;
        rejected(&send_one(&server, &admin, report_of(&e)).await, "not in its grid");
        let mut e = base.clone();
        e.grid = GridId(99_999);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "no grid");
        let mut e = base.clone();
        e.community = pingan_core::CommunityId(e.community.0 + 1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "belongs to community");

        // An assignee exists; a status names an event that exists.
        let ev2 = EventId(2);
        applied(&send_one(&server, &admin, CommandBody::Act { event: ev2, action: EventAction::Accept }).await);
        rejected(
            &send_one(
                &server,
                &admin,
                CommandBody::Act { event: ev2, action: EventAction::Assign { worker: WorkerId(50_000) } },
            )
            .await,
            "no worker 50000",
        );
        rejected(
            &send_one(&server, &admin, CommandBody::Act { event: EventId(77_777), action: EventAction::Accept }).await,
            "no event 77777",
        );
        let w0 = &demo.workers[1];
        rejected(
            &send_one(
                &server,
                &admin,
                CommandBody::WorkerPosition {
                    worker: w0.id,
                    position: w0.position,
                    status: WorkerStatus::Handling(EventId(88_888)),
                },
            )
            .await,
            "handling event 88888",
        );
        rejected(
            &send_one(
                &server,
                &admin,
                CommandBody::WorkerPosition {
                    worker: WorkerId(60_000),
                    position: w0.position,
                    status: WorkerStatus::Patrolling,
                },
            )
            .await,
            "no worker 60000",
        );

        // Timestamps: not more than a few minutes ahead, not before the event.
        let future = chrono::Utc::now() + chrono::Duration::minutes(30);
        rejected(
            &send_at(
                &server,
                &admin,
                CommandBody::Act { event: ev2, action: EventAction::Escalate { reason: "x".into() } },
                future,
            )
            .await,
            "in the future",
        );
        let reported = demo.events[1].reported_at;
        rejected(
            &send_at(
                &server,
                &admin,
                CommandBody::Act { event: ev2, action: EventAction::Escalate { reason: "x".into() } },
                reported - chrono::Duration::hours(1),
            )
            .await,
            "before the event was reported",
        );
        let mut e = base.clone();
        e.reported_at = future;
        e.deadline = future + chrono::Duration::hours(1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "in the future");
        let mut e = base.clone();
        e.deadline = e.reported_at - chrono::Duration::hours(1);
        rejected(&send_one(&server, &admin, report_of(&e)).await, "deadline");

        // Nothing refused reached the log: the snapshot has the events and workers that were accepted only.
        let snap = server.api(&admin).snapshot().await.unwrap();
        let mut check = snap.situation.clone();
        assert!(validate::retain_fitting(&mut check, &district).is_empty(), "everything stored fits the district");
        assert_eq!(snap.situation.events.len(), 6, "5 seeded + 1 report at the title limit");
        assert_eq!(snap.situation.workers.len(), demo.workers.len() + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_key_for_another_command_is_a_409_and_a_true_retry_a_duplicate() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, _) = seeded(&server, 3).await;
        let api = server.api(&admin);
        let first = cmd(CommandBody::Act { event: EventId(1), action: EventAction::Accept });
        let r = api.send(std::slice::from_ref(&first)).await.unwrap();
        assert!(matches!(r[0].outcome, Outcome::Applied { .. }) && !r[0].duplicate);
        let r = api.send(std::slice::from_ref(&first)).await.unwrap();
        assert!(r[0].duplicate, "the same command again is answered as a duplicate");
        // Same key, another body, alone or in the middle of a batch: 409, and nothing of that request applies.
        let mut other = first.clone();
        other.body = CommandBody::Act { event: EventId(2), action: EventAction::Accept };
        match api.send(&[other.clone()]).await {
            Err(pingan_store::ApiError::Rejected(409, msg)) => assert!(msg.contains("already used"), "{msg}"),
            r => panic!("expected 409, got {r:?}"),
        }
        let fresh = cmd(CommandBody::Act { event: EventId(3), action: EventAction::Accept });
        match api.send(&[fresh.clone(), other]).await {
            Err(pingan_store::ApiError::Rejected(409, msg)) => assert!(msg.contains("command 1"), "{msg}"),
            r => panic!("expected 409, got {r:?}"),
        }
        let e3 = api.event(EventId(3)).await.unwrap();
        assert_eq!(e3.state, pingan_core::EventState::Reported, "nothing of a refused request was applied");
        // Same key for two different commands in one request.
        let mut twin = fresh.clone();
        twin.body = CommandBody::Act { event: EventId(2), action: EventAction::Accept };
        match api.send(&[fresh.clone(), twin]).await {
            Err(pingan_store::ApiError::Rejected(409, _)) => {}
            r => panic!("expected 409, got {r:?}"),
        }
        // A different time is a different command too.
        let mut later = first.clone();
        later.at += chrono::Duration::seconds(1);
        assert!(matches!(api.send(&[later]).await, Err(pingan_store::ApiError::Rejected(409, _))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_workers_token_is_bound_to_one_worker() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 40).await;

        // A grid_worker user must name a worker that exists.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-sync"))
            .args(["--db", &target.db, "user", "add", "nobody", "--role", "grid_worker"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "a grid worker without --worker is refused");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--worker"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-sync"))
            .args(["--db", &target.db, "user", "add", "ghost", "--role", "grid_worker", "--worker", "999999"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "a grid worker bound to an unknown worker is refused");

        let me = &demo.workers[0];
        let token = server.user_bound("zhang", me.id.0);
        // Positions: only their own.
        let o = send_one(
            &server,
            &token,
            CommandBody::WorkerPosition { worker: me.id, position: me.position, status: WorkerStatus::Patrolling },
        )
        .await;
        applied(&o);
        let other = &demo.workers[1];
        rejected(
            &send_one(
                &server,
                &token,
                CommandBody::WorkerPosition {
                    worker: other.id,
                    position: other.position,
                    status: WorkerStatus::Patrolling,
                },
            )
            .await,
            "only their own position",
        );
        // Events: of their grids, or assigned to them.
        let mine = demo.events[..40].iter().position(|e| me.grids.contains(&e.grid));
        let foreign: Vec<usize> = (0..40).filter(|&i| !me.grids.contains(&demo.events[i].grid)).take(2).collect();
        let id = |i: usize| EventId(i as u64 + 1);
        for &i in &foreign {
            applied(&send_one(&server, &admin, CommandBody::Act { event: id(i), action: EventAction::Accept }).await);
        }
        rejected(
            &send_one(
                &server,
                &token,
                CommandBody::Act { event: id(foreign[0]), action: EventAction::Escalate { reason: "x".into() } },
            )
            .await,
            "neither in a grid",
        );
        // Assigned to them: allowed.
        applied(
            &send_one(
                &server,
                &admin,
                CommandBody::Act { event: id(foreign[1]), action: EventAction::Assign { worker: me.id } },
            )
            .await,
        );
        applied(
            &send_one(&server, &token, CommandBody::Act { event: id(foreign[1]), action: EventAction::StartDisposal })
                .await,
        );
        // The projection keeps the worker's status by the core rule: handling that event now.
        let snap = server.api(&admin).snapshot().await.unwrap();
        assert_eq!(snap.situation.workers[me.id.index()].status, WorkerStatus::Handling(id(foreign[1])));
        if let Some(i) = mine {
            applied(&send_one(&server, &admin, CommandBody::Act { event: id(i), action: EventAction::Accept }).await);
            applied(
                &send_one(
                    &server,
                    &token,
                    CommandBody::Act { event: id(i), action: EventAction::Escalate { reason: "超出权限".into() } },
                )
                .await,
            );
        }
        // Reports: as themself only.
        let mut e = demo.events[0].clone();
        e.source = EventSource::GridWorker(other.id);
        rejected(&send_one(&server, &token, report_of(&e)).await, "reports as themself");
        e.source = EventSource::GridWorker(me.id);
        applied(&send_one(&server, &token, report_of(&e)).await);
    }
}

// ---- Issue 29.6: no internal text leaks; broken framing is answered in JSON ----------------------------------------

/// A server whose log (its stderr) goes to a file, to find the incident ids it writes there.
struct Logged {
    child: std::process::Child,
    url: String,
    log: std::path::PathBuf,
}

impl Logged {
    fn start(db: &str, log: std::path::PathBuf) -> Logged {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(bin())
            .args(["--db", db, "--small", "--listen", "127.0.0.1:0", "--demo-district"])
            .args(["--sla-every", "0", "--patrol-every", "0"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start pingan-sync");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
        let url = line.trim().strip_prefix("pingan-sync listening on ").expect("listening line").to_string();
        Logged { child, url, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Raw HTTP: send `request` on a fresh connection and read until the server closes it; the status, head and body.
fn raw_exchange(url: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(url.trim_start_matches("http://")).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).expect("send");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf); // a reset after the answer is fine
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, head.to_string(), body.to_string())
}

/// The answer's `error` when it is a JSON error answer, or a panic saying what it was instead.
fn json_error(what: &str, head: &str, body: &str) -> String {
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{what}: not JSON: {head}");
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}: {body:?}"));
    v["error"].as_str().unwrap_or_else(|| panic!("{what}: no error in {body}")).to_string()
}

#[test]
fn broken_framing_is_answered_in_json_like_every_other_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &[]);
    let op = server.user("op", "operator");

    let long = format!("GET /v1/health?{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(20 * 1024));
    let (code, head, body) = raw_exchange(&server.url, long.as_bytes());
    assert_eq!(code, 414, "{head}");
    assert!(json_error("a 20 KB target", &head, &body).contains("too long"), "{body}");

    let mut big = String::from("GET /v1/health HTTP/1.1\r\nhost: x\r\n");
    for i in 0..64 {
        big.push_str(&format!("x-fill-{i}: {}\r\n", "v".repeat(1000)));
    }
    big.push_str("\r\n");
    let (code, head, body) = raw_exchange(&server.url, big.as_bytes());
    assert_eq!(code, 431, "{head}");
    assert!(json_error("64 KB of headers", &head, &body).contains("too large"), "{body}");

    // hyper's own answers (a head it cannot parse), rewritten on their way out.
    for (what, bad) in [
        ("a garbage request line", &b"this is not http\r\n\r\n"[..]),
        ("a header line without a colon", b"GET /v1/health HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n"),
        ("binary", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
    ] {
        let (code, head, body) = raw_exchange(&server.url, bad);
        assert_eq!(code, 400, "{what}: {head}");
        assert!(json_error(what, &head, &body).contains("malformed request"), "{what}: {body}");
        assert!(head.to_ascii_lowercase().contains("connection: close"), "{what}: {head}");
    }

    // Ordinary answers are untouched, on a connection of their own and after all that.
    assert_eq!(raw_info(&server.url, &op).0, 200);
    let (code, head, body) =
        raw_exchange(&server.url, b"GET /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert_eq!(code, 404, "{head}");
    assert!(json_error("an unknown path", &head, &body).contains("no such endpoint"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_failure_answers_an_incident_id_that_is_in_the_log_and_no_database_text() {
    use sqlx::Connection as _;
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let dir = tempfile::tempdir().unwrap();
        let server = Logged::start(&target.db, dir.path().join("server.log"));
        let op = user(&target.db, "op", "operator");
        // The table a request reads goes away underneath the server.
        let rename = "ALTER TABLE events RENAME TO events_gone";
        if target.name == "sqlite" {
            let mut c = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", target.db)).await.unwrap();
            sqlx::query(rename).execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::postgres::PgConnection::connect(&target.db).await.unwrap();
            sqlx::query(rename).execute(&mut c).await.unwrap();
        }
        let r =
            reqwest::Client::new().get(format!("{}/v1/events/1", server.url)).bearer_auth(&op).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 500);
        let text = r.text().await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"], "internal error", "{text}");
        let id = v["incident"].as_str().expect("an incident id").to_string();
        assert!(id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        for leak in ["events", "database", "table", "relation", "sqlite", "error returned"] {
            assert!(!text.to_lowercase().contains(leak), "{leak:?} leaked: {text}");
        }
        // The log has the id and what really happened.
        wait_until(10, "the incident in the log", || server.log().contains(&format!("incident {id}")));
        let log = server.log();
        let line = log.lines().find(|l| l.contains(&format!("incident {id}"))).unwrap();
        assert!(line.contains("events"), "the log says what failed: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_reading_is_a_422_that_names_it_and_stores_nothing() {
    use chrono::SubsecRound as _;
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let server = Server::start(db, &[]);
        let district = pingan_sync::district(2026, true);
        let room = district.buildings[300].code.room(1, 3, 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("sensors.csv");
        std::fs::write(&csv, format!("id,kind,address\n1,water_meter,{room}\n")).unwrap();
        let out = std::process::Command::new(bin())
            .args(["--db", db, "sensors", "import", csv.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let gateway = server.user("gateway", "sensor_gateway");
        let post = |readings: Vec<serde_json::Value>| {
            let (url, gateway) = (server.url.clone(), gateway.clone());
            async move {
                let r = reqwest::Client::new()
                    .post(format!("{url}/v1/readings"))
                    .bearer_auth(gateway)
                    .json(&serde_json::json!({ "readings": readings }))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let flow = |at: chrono::DateTime<chrono::Utc>| serde_json::json!({ "sensor": 1, "at": at, "value": { "type": "flow", "litres": 1.0 } });
        // Two readings within one millisecond pass the rules' order but are one stored reading.
        let t = (chrono::Utc::now() - chrono::Duration::hours(1)).trunc_subsecs(3);
        let (code, text) = post(vec![flow(t), flow(t + chrono::Duration::microseconds(300))]).await;
        assert_eq!(code, 422, "{text}");
        assert!(text.contains("reading 1") && text.contains("duplicate"), "{text}");
        assert!(!text.to_lowercase().contains("unique") && !text.contains("database"), "{text}");
        // Nothing of that batch was stored: the first reading alone is taken now.
        let (code, text) = post(vec![flow(t)]).await;
        assert_eq!((code, text.contains("\"stored\":1")), (200, true), "{text}");
    }
}
