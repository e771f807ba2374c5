//! Data from the network or the cache that does not fit the district never panics the desktop: a snapshot with an
//! event naming a grid the district does not have and a worker who serves no grid, changes acting on an unknown
//! event, assigning an unknown worker, reporting off the map or moving an unknown worker — each bad record is
//! skipped whole, the rest applied, and the status bar says how many were skipped. Fed to `AppState` directly, shown
//! on screen, and end to end through the link from a fake server, which also shows that queued actions of another
//! user are held, not sent.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::sync::{Change, ChangeBody, ChangePage, ClientCommand, CommandBody, Seq, Snapshot};
use pingan_core::{EventAction, EventId, EventState, GridId, GridWorker, Situation, WorkerId, WorkerStatus};
use pingan_desktop::{AppState, Lang, PinganApp, ServerOptions};
use pingan_store::Update;
use pingan_tests::{test_now, test_options};
use std::io::{Read as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The test district's first situation.
fn demo_situation() -> Situation {
    let options = test_options();
    let district = pingan_demo::generate(&options.spec);
    pingan_demo::Simulator::start(&district, options.spec.seed, options.sim, test_now()).0
}

/// A snapshot at `seq` with two records that do not fit: an event naming grid 999999, and a worker (added last, so
/// ids stay dense) who serves no grid. Returns it with the bad event's id.
fn bad_snapshot(seq: Seq) -> (Snapshot, EventId) {
    let mut situation = demo_situation();
    let mut off_map = situation.events[0].clone();
    off_map.id = EventId(situation.events.last().unwrap().id.0 + 1);
    off_map.grid = GridId(999_999);
    off_map.assignee = None;
    let id = off_map.id;
    situation.events.push(off_map);
    let mut idle: GridWorker = situation.workers[0].clone();
    idle.id = WorkerId(situation.workers.len() as u32);
    idle.grids.clear();
    situation.workers.push(idle);
    (Snapshot { seq, situation }, id)
}

/// Changes after `after`: a step on an unknown event, a good acceptance of `target`, the assignment of `target` to
/// an unknown worker, a report naming grid 999999, a position of an unknown worker. Four of five do not fit.
fn bad_changes(situation: &Situation, after: Seq) -> (Vec<Change>, EventId) {
    let target = situation.events.iter().find(|e| e.state == EventState::Reported).expect("a reported event");
    let mut e = target.clone();
    let accept = pingan_core::sync::act(
        &mut e,
        EventAction::Accept,
        test_now(),
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap();
    let assign_ghost = pingan_core::sync::act(
        &mut e,
        EventAction::Assign { worker: WorkerId(999_999) },
        test_now(),
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap();
    let mut unknown = accept.clone();
    if let ChangeBody::EventActed { event, .. } = &mut unknown {
        *event = EventId(999_999);
    }
    let mut off_map = target.clone();
    off_map.id = EventId(situation.events.last().unwrap().id.0 + 100);
    off_map.grid = GridId(999_999);
    let ghost_moves = ChangeBody::WorkerMoved {
        worker: WorkerId(999_999),
        position: target.position,
        status: WorkerStatus::Patrolling,
        at: test_now(),
    };
    let bodies = [unknown, accept, assign_ghost, ChangeBody::EventReported { event: Box::new(off_map) }, ghost_moves];
    let changes = bodies.into_iter().zip(after + 1..).map(|(body, seq)| Change::new(seq, body)).collect();
    (changes, target.id)
}

fn last_message(state: &AppState) -> &str {
    state.messages.back().map_or("", |(_, m)| m.as_str())
}

#[test]
fn a_snapshot_and_changes_that_do_not_fit_are_skipped_whole_and_told() {
    let mut state = AppState::new(&test_options());
    let (snap, bad_event) = bad_snapshot(42);
    let workers = snap.situation.workers.len();
    state.apply_link_updates(vec![Update::Snapshot(Box::new(snap.clone()))], Vec::new());
    assert!(state.situation.event(bad_event).is_none(), "the event off the district is left out");
    assert_eq!(state.situation.workers.len(), workers - 1, "the worker with no grid is left out");
    assert_eq!(state.situation.events.len(), snap.situation.events.len() - 1, "everything else is kept");
    assert_eq!(state.skipped, 2);
    assert!(last_message(&state).starts_with("跳过 2 条与辖区不符的数据"), "{}", last_message(&state));

    let (changes, target) = bad_changes(&state.situation, 42);
    let before = state.situation.clone();
    state.apply_link_updates(vec![Update::Changes(changes)], Vec::new());
    assert_eq!(state.skipped, 6);
    assert!(last_message(&state).starts_with("跳过 4 条与辖区不符的数据"), "{}", last_message(&state));
    let e = state.situation.event(target).unwrap();
    assert_eq!((e.state, e.assignee, e.history.len()), (EventState::Accepted, None, 1), "only the good step");
    assert_eq!(state.situation.events.len(), before.events.len());
    assert_eq!(state.situation.workers, before.workers);

    // An event record naming an unknown assignee (as fetched after a refusal) does not replace the good one.
    let mut ghost = e.clone();
    ghost.assignee = Some(WorkerId(999_999));
    state.apply_link_updates(vec![Update::Event(Box::new(ghost.clone())), Update::Events(vec![ghost])], Vec::new());
    assert_eq!(state.situation.event(target).unwrap().assignee, None);
    assert_eq!(state.skipped, 8);

    // The reasons the link thread already skipped for are counted and told too; English when the UI is.
    state.lang = Lang::En;
    state.apply_link_updates(Vec::new(), vec!["change 99: a step on event 5, which is not known".into()]);
    assert_eq!(state.skipped, 9);
    assert!(last_message(&state).starts_with("Skipped 1 records that do not fit the district: change 99"));

    // The operator's own step goes through the one state machine and worker rule: an assignment makes the worker
    // busy with the event.
    let worker = state.situation.workers.iter().find(|w| w.status == WorkerStatus::Patrolling).unwrap().id;
    state.apply(pingan_desktop::Command::Act(target, EventAction::Assign { worker }));
    assert_eq!(state.situation.event(target).unwrap().state, EventState::Assigned);
    assert_eq!(state.situation.worker(worker).unwrap().status, WorkerStatus::Handling(target));
    state.tick();
}

#[test]
fn the_status_bar_tells_what_was_skipped_and_the_screen_keeps_drawing() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()));
    h.run();
    let (snap, _) = bad_snapshot(42);
    let (changes, target) = bad_changes(&snap.situation, 42);
    h.state_mut().state.apply_link_updates(
        vec![Update::Snapshot(Box::new(snap)), Update::Changes(changes)],
        vec!["snapshot: worker 7 serves grid 123456, which does not exist".into()],
    );
    h.run();
    h.get_by_label_contains("跳过 7 条与辖区不符的数据");
    // The event the good change touched shows in the detail panel.
    h.state_mut().state.apply(pingan_desktop::Command::SelectEvent(target));
    h.run();
    assert_eq!(h.state().state.selected_event().unwrap().state, EventState::Accepted);
}

/// A minimal HTTP/1.1 server on loopback answering GETs from `route` (status, JSON body) and recording each request
/// line; every connection is closed after one answer.
struct FakeServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeServer {
    fn start(route: impl Fn(&str) -> (u16, Vec<u8>) + Send + Sync + 'static) -> FakeServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let route = Arc::new(route);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (seen, route) = (seen.clone(), route.clone());
                std::thread::spawn(move || {
                    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head);
                    let line = head.lines().next().unwrap_or_default().to_string();
                    seen.lock().unwrap().push(line.clone());
                    let path = line.split(' ').nth(1).unwrap_or("/");
                    let (code, body) =
                        if line.starts_with("GET ") { route(path) } else { (405, br#"{"error":"GET only"}"#.to_vec()) };
                    let answer = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    conn.write_all(answer.as_bytes()).ok();
                    conn.write_all(&body).ok();
                });
            }
        });
        FakeServer { url, requests }
    }
}

#[test]
fn through_the_link_bad_records_are_skipped_and_another_users_queue_is_held() {
    let (snap, bad_event) = bad_snapshot(42);
    let (changes, target) = bad_changes(&snap.situation, 42);
    let head = 42 + changes.len() as Seq;
    let snapshot_json = serde_json::to_string(&snap).unwrap();
    let page_json = serde_json::to_string(&ChangePage { changes, head }).unwrap();
    let empty_json = serde_json::to_string(&ChangePage { changes: Vec::new(), head }).unwrap();
    // The fake server hands out the test district as its package, like a real one.
    let district = pingan_demo::generate(&test_options().spec);
    let package =
        pingan_package::encode(&pingan_package::Package::new(1, test_now(), district, Vec::new(), Vec::new()))
            .expect("encode");
    let server = FakeServer::start(move |path| match path.split('?').next().unwrap_or_default() {
        "/v1/info" => (200, format!(r#"{{"user":"op","role":"operator","head":{head}}}"#).into_bytes()),
        "/v1/district" => (200, package.clone()),
        "/v1/snapshot" => (200, snapshot_json.clone().into_bytes()),
        "/v1/changes" if path.contains("after=42&") => (200, page_json.clone().into_bytes()),
        "/v1/changes" => (200, empty_json.clone().into_bytes()),
        _ => (503, br#"{"error":"not here"}"#.to_vec()),
    });
    // Wang queued an action on this server with his own token, and it never went out.
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    {
        let mut c = pingan_store::Cache::open(&cache).unwrap();
        let wang = pingan_store::Identity {
            user: Some("wang".into()),
            ..pingan_store::Identity::new(&server.url, "wang-token")
        };
        c.set_origin(&wang).unwrap();
        let cmd = ClientCommand {
            key: "c-wang-1".into(),
            at: test_now(),
            body: CommandBody::Act { event: target, action: EventAction::Accept },
        };
        c.push_outbox(&cmd, &wang).unwrap();
    }
    let mut options = test_options();
    options.server = Some(ServerOptions {
        url: server.url.clone(),
        token: "op-token".into(),
        cache: Some(cache.clone()),
        trust: Default::default(),
    });
    let mut state = AppState::new(&options);
    let deadline = Instant::now() + Duration::from_secs(30);
    while state.skipped < 6 || state.situation.event(target).is_none_or(|e| e.state != EventState::Accepted) {
        assert!(Instant::now() < deadline, "synced from the fake server (skipped {})", state.skipped);
        std::thread::sleep(Duration::from_millis(50));
        state.tick();
    }
    assert_eq!(state.skipped, 6, "2 snapshot records and 4 changes, each counted once");
    assert!(state.messages.iter().any(|(_, m)| m.contains("条与辖区不符的数据")));
    assert!(state.situation.event(bad_event).is_none());
    assert_eq!(state.situation.workers.len(), snap.situation.workers.len() - 1);
    let link = state.link().unwrap();
    let status = link.status();
    assert_eq!((status.skipped, status.outbox, status.user.as_deref()), (6, 0, Some("op")));
    // Wang's action is held, reported for him, not re-applied as ours and never sent.
    let held = pingan_desktop::panels::header::held_text(&status.held, Lang::Zh).expect("held actions are told");
    assert_eq!(held, format!("1 条待发操作属于 wang@{}，未以当前身份发送", server.url));
    assert!(link.pending().is_empty());
    assert!(server.requests.lock().unwrap().iter().all(|r| !r.starts_with("POST")));
    drop(state);
    assert_eq!(pingan_store::Cache::open(&cache).unwrap().outbox(10).unwrap().len(), 1, "kept, not deleted");
}
