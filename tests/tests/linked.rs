//! The desktop with a sync server configured: what the cache holds shows at once, the header shows the link, an
//! operator's action made with no server goes to the persistent outbox, and with a real `pingan-sync` (in-process,
//! on a SQLite file, over loopback HTTP) the feed follows the server and an action reaches it.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::EventState;
use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Snapshot};
use pingan_desktop::{PinganApp, ServerOptions};
use pingan_tests::{test_now, test_options};
use std::time::{Duration, Instant};

/// The same situation the test district's simulator starts with.
fn demo_snapshot(seq: i64) -> Snapshot {
    let options = test_options();
    let district = pingan_demo::generate(&options.spec);
    let (situation, _) = pingan_demo::Simulator::start(&district, options.spec.seed, options.sim, test_now());
    Snapshot { seq, situation }
}

fn harness(server: ServerOptions) -> Harness<'static, PinganApp> {
    let mut options = test_options();
    options.server = Some(server);
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options))
}

fn accept_first_reported(h: &mut Harness<'static, PinganApp>) -> pingan_core::EventId {
    let (id, number) = h
        .state()
        .state
        .feed()
        .iter()
        .find(|e| e.state == EventState::Reported)
        .map(|e| (e.id, e.number.clone()))
        .expect("a reported event waits");
    h.get_by_label_contains(&number).click();
    h.run();
    h.get_by_role_and_label(Role::Button, "受理").click();
    h.run();
    assert_eq!(h.state().state.situation.event(id).unwrap().state, EventState::Accepted);
    id
}

#[test]
fn with_no_server_reachable_the_cache_shows_at_once_and_actions_wait_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let snap = demo_snapshot(42);
    pingan_store::Cache::open(&cache).unwrap().replace(&snap).unwrap();
    // Port 9 (discard): nothing listens, connections are refused.
    let server = ServerOptions { url: "http://127.0.0.1:9".into(), token: "t".into(), cache: Some(cache.clone()) };
    let mut h = harness(server.clone());
    h.run();
    assert!(h.state().state.situation == snap.situation, "the cached situation, before any network");
    let id = accept_first_reported(&mut h);
    // The header shows the link and the queued action.
    h.get_by_label_contains("待发送 1");
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_by_label("重连中").is_none() && h.query_by_label("离线").is_none() {
        assert!(Instant::now() < deadline, "the header says the server is not reachable");
        std::thread::sleep(Duration::from_millis(100));
        h.run();
    }
    drop(h);
    // The outbox is on disk; a restarted app shows the action still applied, still waiting.
    let pending = pingan_store::Cache::open(&cache).unwrap().outbox(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert!(matches!(&pending[0].body, CommandBody::Act { event, .. } if *event == id));
    let mut h = harness(server);
    h.run();
    assert_eq!(h.state().state.situation.event(id).unwrap().state, EventState::Accepted);
    h.get_by_label_contains("待发送 1");
}

#[test]
fn the_feed_follows_a_real_server_and_an_operator_action_reaches_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = pingan_sync::ServeConfig {
        db: dir.path().join("sync.db").display().to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 7,
        small: true,
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).unwrap();
    let url = format!("http://{}", running.addr);
    let (admin, op) = rt.block_on(async {
        let db = &running.db;
        let admin = db.add_user("admin", pingan_core::sync::Role::Admin).await.unwrap();
        let op = db.add_user("op", pingan_core::sync::Role::Operator).await.unwrap();
        (db.new_token(&admin).await.unwrap(), db.new_token(&op).await.unwrap())
    });
    // Seed the server with the demo's workers and events.
    let snap = demo_snapshot(0);
    let api = pingan_store::Api::new(&url, &admin).unwrap();
    let key = |i: usize| format!("seed-{i}");
    let mut cmds: Vec<ClientCommand> = Vec::new();
    for w in &snap.situation.workers {
        cmds.push(ClientCommand {
            key: key(cmds.len()),
            at: test_now(),
            body: CommandBody::WorkerJoin { worker: pingan_sync::demo::joining(w) },
        });
    }
    for e in &snap.situation.events {
        cmds.push(ClientCommand {
            key: key(cmds.len()),
            at: e.reported_at,
            body: CommandBody::Report { event: Box::new(e.clone()) },
        });
    }
    for chunk in cmds.chunks(500) {
        let r = rt.block_on(api.send(chunk)).unwrap();
        assert!(r.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })));
    }
    let server = ServerOptions { url: url.clone(), token: op, cache: Some(dir.path().join("cache.sqlite")) };
    let mut h = harness(server);
    let n = snap.situation.events.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.situation.events.len() < n || h.query_by_label("在线").is_none() {
        assert!(Instant::now() < deadline, "the app synced from the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    // Every event reported on the server is in the feed's data, as reported.
    assert!(h.state().state.situation.events.iter().all(|e| e.state == EventState::Reported));
    let id = accept_first_reported(&mut h);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let e = rt.block_on(api.event(id)).unwrap();
        if e.state == EventState::Accepted {
            assert_eq!(e.history.len(), 1);
            break;
        }
        assert!(Instant::now() < deadline, "the operator's action reached the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    // And the server's own change comes back without doubling the local one.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.query_by_label_contains("待发送 0").is_none() {
        assert!(Instant::now() < deadline, "outbox drained");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    h.run();
    assert_eq!(h.state().state.situation.event(id).unwrap().history.len(), 1);
}
