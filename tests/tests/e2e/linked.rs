//! The desktop with a sync server configured: what the cache holds shows at once, the header shows the link, an
//! operator's action made with no server goes to the persistent outbox, and with a real `pingan-sync` (in-process,
//! on a SQLite file, over loopback HTTP) the feed follows the server and an action reaches it.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
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
    // New reports have the most time left: far down the feed, so select it as a search would.
    h.state_mut().apply(pingan_desktop::Command::SelectEvent(id));
    h.run();
    h.get_by_label(&number);
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
    let mut c = pingan_store::Cache::open(&cache).unwrap();
    c.replace(&snap).unwrap();
    // An earlier sync kept the server's district package (the test district) beside the situation.
    let options = test_options();
    let district = pingan_demo::generate(&options.spec);
    let package = pingan_package::Package::new(1, test_now(), district, snap.situation.workers.clone(), Vec::new());
    let bytes = pingan_package::encode(&package).expect("encode");
    c.set_package(&pingan_package::etag(&bytes), &bytes).unwrap();
    drop(c);
    // Port 9 (discard): nothing listens, connections are refused.
    let server = ServerOptions {
        url: "http://127.0.0.1:9".into(),
        token: "t".into(),
        cache: Some(cache.clone()),
        trust: Default::default(),
    };
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

/// A real `pingan-sync` on a SQLite file in `dir`, seeded with the test district's workers and events.
struct Seeded {
    running: pingan_sync::Running,
    url: String,
    api: pingan_store::Api,
    snap: Snapshot,
}

fn seeded(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> Seeded {
    let config = pingan_sync::ServeConfig {
        db: dir.join("sync.db").display().to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 7,
        small: true,
        // The seeded events are long overdue: no automatic escalations behind the test's back; no automatic task books
        // either.
        sla_every: None,
        patrol_every: None,
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).unwrap();
    let url = format!("http://{}", running.addr);
    let admin = rt.block_on(async {
        let db = &running.db;
        let admin = db.add_user("admin", pingan_core::sync::Role::Admin).await.unwrap();
        db.new_token(&admin).await.unwrap()
    });
    // The server installed the test district with the demo's workers; seed the demo's events.
    let snap = demo_snapshot(0);
    let api = pingan_store::Api::new(&url, &admin).unwrap();
    let key = |i: usize| format!("seed-{i}");
    let mut cmds: Vec<ClientCommand> = Vec::new();
    let joined = rt.block_on(api.snapshot()).unwrap().situation.workers.len();
    for w in snap.situation.workers.iter().skip(joined) {
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
        let refused: Vec<_> = r.iter().filter(|r| !matches!(r.outcome, Outcome::Applied { .. })).take(3).collect();
        assert!(refused.is_empty(), "seeding refused: {refused:?}");
    }
    Seeded { running, url, api, snap }
}

/// A seeded server, its supervisor `op`, and the desk signed in as them, synced.
fn supervisor_desk(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> (Seeded, Harness<'static, PinganApp>) {
    let seeded = seeded(rt, dir);
    let token = rt.block_on(async {
        let op = seeded.running.db.add_user("op", pingan_core::sync::Role::Supervisor).await.unwrap();
        seeded.running.db.new_token(&op).await.unwrap()
    });
    let url = seeded.url.clone();
    let mut h = harness(ServerOptions { url, token, cache: Some(dir.join("cache.sqlite")), trust: Default::default() });
    wait_synced(&mut h, seeded.snap.situation.events.len());
    (seeded, h)
}

/// Run the app until it has every seeded event and says it is online.
fn wait_synced(h: &mut Harness<'static, PinganApp>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.situation.events.len() < n || h.query_by_label("在线").is_none() {
        assert!(Instant::now() < deadline, "the app synced from the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
}

#[test]
fn the_feed_follows_a_real_server_and_an_operator_action_reaches_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Seeded { running, url, api, snap } = seeded(&rt, dir.path());
    let op = rt.block_on(async {
        let op = running.db.add_user("op", pingan_core::sync::Role::Supervisor).await.unwrap();
        running.db.new_token(&op).await.unwrap()
    });
    let server = ServerOptions {
        url: url.clone(),
        token: op,
        cache: Some(dir.path().join("cache.sqlite")),
        trust: Default::default(),
    };
    let mut h = harness(server);
    wait_synced(&mut h, snap.situation.events.len());
    // Every event reported on the server is in the feed's data, as reported; all of it fits the district.
    assert!(h.state().state.situation.events.iter().all(|e| e.state == EventState::Reported));
    assert_eq!(h.state().state.skipped, 0);
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

#[test]
fn queued_actions_go_out_only_as_their_own_user() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Seeded { running, url, api, snap } = seeded(&rt, dir.path());
    let (wang, wang_again, li) = rt.block_on(async {
        let db = &running.db;
        let wang = db.add_user("wang", pingan_core::sync::Role::Supervisor).await.unwrap();
        let li = db.add_user("li", pingan_core::sync::Role::Supervisor).await.unwrap();
        (db.new_token(&wang).await.unwrap(), db.new_token(&wang).await.unwrap(), db.new_token(&li).await.unwrap())
    });
    let target = snap.situation.events.iter().find(|e| e.state == EventState::Reported).unwrap().id;
    // Wang accepted an event offline with his first token (an earlier run learned whose token it is).
    let cache = dir.path().join("cache.sqlite");
    {
        let mut c = pingan_store::Cache::open(&cache).unwrap();
        let me = pingan_store::Identity { user: Some("wang".into()), ..pingan_store::Identity::new(&url, &wang) };
        c.set_origin(&me).unwrap();
        let cmd = ClientCommand {
            key: pingan_store::link::new_key(),
            at: test_now(),
            body: CommandBody::Act { event: target, action: pingan_core::EventAction::Accept },
        };
        c.push_outbox(&cmd, &me).unwrap();
    }
    // Li opens the app on that cache: it syncs, tells that wang's action is held, and does not send it as li.
    let mut h =
        harness(ServerOptions { url: url.clone(), token: li, cache: Some(cache.clone()), trust: Default::default() });
    wait_synced(&mut h, snap.situation.events.len());
    h.get_by_label_contains(&format!("1 条待发操作属于 wang@{url}，未以当前身份发送"));
    h.get_by_label_contains("待发送 0 · 他人待发 1");
    assert_eq!(h.state().state.situation.event(target).unwrap().state, EventState::Reported, "not shown as done");
    std::thread::sleep(Duration::from_millis(500));
    h.run();
    assert_eq!(rt.block_on(api.event(target)).unwrap().state, EventState::Reported, "not sent as li");
    drop(h);
    // Wang's other token sends it.
    let mut h =
        harness(ServerOptions { url: url.clone(), token: wang_again, cache: Some(cache), trust: Default::default() });
    let deadline = Instant::now() + Duration::from_secs(30);
    while rt.block_on(api.event(target)).unwrap().state != EventState::Accepted {
        assert!(Instant::now() < deadline, "wang's queued action reached the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.query_by_label_contains("待发送 0").is_none() || h.query_by_label_contains("他人待发").is_some() {
        assert!(Instant::now() < deadline, "nothing left queued or held");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
}

/// A community room's operator, signed in to a real server: the desktop learns the role and unit from `/v1/info`,
/// offers 受理 on its own community's reports and greys it out on another community's, by the server's own rule.
#[test]
fn a_community_operator_sees_their_community_and_what_the_server_would_refuse_greyed_out() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Seeded { running, url, snap, .. } = seeded(&rt, dir.path());
    // Two reported community-level events of different communities.
    let routing = pingan_core::routing::RoutingConfig::default();
    let reported: Vec<&pingan_core::Event> = snap
        .situation
        .events
        .iter()
        .filter(|e| e.state == EventState::Reported && routing.route(e) == pingan_core::routing::Level::Community)
        .collect();
    let mine = reported[0];
    let other = reported.iter().find(|e| e.community != mine.community).expect("another community's report");
    let district = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let code = district.community(mine.community).code;
    let token = rt.block_on(async {
        let db = &running.db;
        let op = db.add_user("cun", pingan_core::sync::Role::Operator).await.unwrap();
        db.set_unit(&op, Some(&code)).await.unwrap();
        db.new_token(&op).await.unwrap()
    });
    // The server hands this room its community only (the read rule): the desk works on that scoped copy as is.
    let theirs = rt.block_on(pingan_store::Api::new(&url, &token).unwrap().snapshot()).unwrap().situation;
    assert!(!theirs.events.is_empty() && theirs.events.len() < snap.situation.events.len());
    let server = ServerOptions { url, token, cache: Some(dir.path().join("cache.sqlite")), trust: Default::default() };
    let mut h = harness(server.clone());
    wait_synced(&mut h, theirs.events.len());
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.rights.is_none() {
        assert!(Instant::now() < deadline, "the desktop learned its rights");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    assert_eq!(h.state().state.rights.as_ref().unwrap().unit, pingan_core::UnitRef::Community(mine.community));
    let situation = &h.state().state.situation;
    assert!(situation.events.iter().all(|e| e.community == mine.community), "only its community's events");
    assert!(situation.event(other.id).is_none(), "another community's report is not handed out at all");
    assert!(!situation.workers.is_empty(), "its community's workers");
    assert!(situation.workers.iter().all(|w| w.grids.iter().any(|g| district.grid(*g).community == mine.community)));
    assert_eq!(h.state().state.skipped, 0, "the scoped log fits the desk's copy");
    let accept = |h: &mut Harness<'static, PinganApp>, id| {
        h.state_mut().apply(pingan_desktop::Command::SelectEvent(id));
        h.run();
        h.get_by_role_and_label(Role::Button, "受理").accesskit_node().is_disabled()
    };
    assert!(!accept(&mut h, mine.id), "its own community's report can be accepted");
    // Forced anyway on another community's event (as a stale screen might), the desktop queues nothing.
    h.state_mut().apply(pingan_desktop::Command::Act(other.id, pingan_core::EventAction::Accept));
    assert_eq!(h.state().state.link().unwrap().status().outbox, 0);
    // With the server gone, a fresh start still knows the room and its community from the cache.
    drop(h);
    running.task.abort();
    let mut h = harness(server);
    h.run();
    assert_eq!(h.state().state.rights.as_ref().map(|r| r.unit), Some(pingan_core::UnitRef::Community(mine.community)));
    assert!(h.state().state.situation.events.iter().all(|e| e.community == mine.community));
    assert!(!accept(&mut h, mine.id));
}

/// A report typed at the desk goes through the outbox to a real server, which numbers, routes and times it; the
/// feed shows it once the server has it.
#[test]
fn a_report_from_the_desk_reaches_the_server_routed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seeded, mut h) = supervisor_desk(&rt, dir.path());
    let (api, snap) = (&seeded.api, &seeded.snap);
    let code = h.state().state.district.buildings[120].code;
    h.state_mut().apply(pingan_desktop::Command::OpenReport);
    let mut d = h.state().state.report.clone().unwrap();
    d.code = code.segmented();
    d.description = "楼道堆放杂物".into();
    d.category = pingan_core::EventCategory::FireAlarm;
    h.state_mut().apply(pingan_desktop::Command::EditReport(d));
    h.state_mut().apply(pingan_desktop::Command::SubmitReport);
    assert!(h.state().state.report.is_none());
    let before = snap.situation.events.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.situation.events.len() <= before {
        assert!(Instant::now() < deadline, "the report came back from the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    let e = h.state().state.situation.events.iter().find(|e| e.title == "楼道堆放杂物").expect("the report").clone();
    assert!(e.number.starts_with("YH-"), "numbered by the server: {}", e.number);
    assert_eq!(e.level, pingan_core::routing::Level::Town, "fire goes to the town");
    assert_eq!(e.address, code);
    let on_server = rt.block_on(api.event(e.id)).unwrap();
    assert_eq!(on_server.title, "楼道堆放杂物");
}

#[test]
fn a_task_book_issued_and_checked_at_the_desk_is_the_servers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seeded, mut h) = supervisor_desk(&rt, dir.path());
    let api = &seeded.api;
    // No local books with a server: the server's sweeper is off here, so none at all.
    assert!(h.state().state.situation.task_books.is_empty());
    let community = h.state().state.district.communities[3].id;
    let grids = h.state().state.district.communities[3].grids.len();
    h.state_mut().apply(pingan_desktop::Command::IssueTaskBooks(pingan_core::UnitRef::Community(community)));
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.situation.task_books.len() < grids {
        assert!(Instant::now() < deadline, "the books came back from the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    let book = h.state().state.situation.task_books[0].clone();
    assert!(book.number.starts_with("XC-"), "numbered by the server: {}", book.number);
    assert_eq!(book.issued_by, "op", "the server names who issued it");
    // A problem at stop 1, typed into the form, goes to the server as the stop's report with its event.
    h.state_mut().apply(pingan_desktop::Command::CheckProblem(book.id, 0));
    let mut d = h.state().state.report.clone().expect("the form opened at the stop");
    d.description = "消防通道被占用".into();
    h.state_mut().apply(pingan_desktop::Command::EditReport(d));
    h.state_mut().apply(pingan_desktop::Command::SubmitReport);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let b = h.state().state.situation.task_book(book.id).unwrap().clone();
        if let Some(r) = &b.checks[0].result {
            assert_eq!(r.outcome, pingan_core::patrol::CheckOutcome::Problem);
            let id = r.event.expect("the problem's event");
            let on_server = rt.block_on(api.event(id)).unwrap();
            assert_eq!(on_server.title, "消防通道被占用");
            assert_eq!(on_server.grid, book.grid);
            assert!(h.state().state.situation.event(id).is_some(), "and it came back to the desk");
            break;
        }
        assert!(Instant::now() < deadline, "the stop's report came back from the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    // The snapshot a new client would get carries the book as the desk shows it.
    let snapshot = rt.block_on(api.snapshot()).unwrap();
    assert_eq!(snapshot.situation.task_book(book.id), h.state().state.situation.task_book(book.id));
}

#[test]
fn an_acknowledgement_at_the_desk_reaches_the_server_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seeded, mut h) = supervisor_desk(&rt, dir.path());
    let api = &seeded.api;
    let Some(&pingan_desktop::state::AttentionItem::Event(id)) = h.state().state.attention.unacked.first() else {
        panic!("the seeded events hold serious ones")
    };
    h.state_mut().apply(pingan_desktop::Command::Acknowledge(id));
    // Shown at once; sent once even when pressed again.
    assert!(!h.state().state.situation.event(id).unwrap().unacknowledged());
    h.state_mut().apply(pingan_desktop::Command::Acknowledge(id));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let e = rt.block_on(api.event(id)).unwrap();
        if let Some(ack) = e.acknowledged {
            assert_eq!(ack.by, "op", "the server names who");
            break;
        }
        assert!(Instant::now() < deadline, "the acknowledgement reached the server");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    // Once in the log.
    let (mut acks, mut after) = (0, 0);
    loop {
        let page = rt.block_on(api.changes(after, 10_000)).unwrap();
        let Some(last) = page.changes.last() else { break };
        after = last.seq;
        acks += page
            .changes
            .iter()
            .filter(|c| matches!(c.body, pingan_core::sync::ChangeBody::Acknowledged { event, .. } if event == id))
            .count();
    }
    assert_eq!(acks, 1);
    // And the server's record comes back to the desk.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.state().state.situation.event(id).unwrap().acknowledged.as_ref().is_none_or(|a| a.by != "op") {
        assert!(Instant::now() < deadline, "the server's acknowledgement came back");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
}

// ---- TLS (issue 29, point 3): a desk linked over https to a pilot's self-signed server, pinned by fingerprint ----

#[test]
fn a_desk_pinned_to_a_self_signed_server_syncs_over_tls_and_a_wrong_pin_is_told() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let listen: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let identity = pingan_sync::tls::self_signed(&dir.path().join("tls"), listen).unwrap();
    let config = pingan_sync::ServeConfig {
        db: dir.path().join("sync.db").display().to_string(),
        listen,
        seed: 7,
        small: true,
        sla_every: None,
        patrol_every: None,
        tls: Some(pingan_sync::tls::server_config(&identity).unwrap()),
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).unwrap();
    let url = format!("https://{}", running.addr);
    let token = rt.block_on(async {
        let op = running.db.add_user("op", pingan_core::sync::Role::Supervisor).await.unwrap();
        running.db.new_token(&op).await.unwrap()
    });
    let desk = |trust, cache: &str| ServerOptions {
        url: url.clone(),
        token: token.clone(),
        cache: Some(dir.path().join(cache)),
        trust,
    };

    // Pinned to the server's fingerprint: the district arrives and the header says 在线.
    let mut h = harness(desk(pingan_store::Trust::Pin(identity.fingerprint()), "cache.sqlite"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().state.situation.workers.is_empty() || h.query_by_label("在线").is_none() {
        assert!(Instant::now() < deadline, "the pinned desk synced over TLS");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    drop(h);

    // Pinned to another certificate: nothing is fetched, and the desk says why in words.
    let mut h = harness(desk(pingan_store::Trust::Pin("AB".repeat(32)), "wrong.sqlite"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.query_by_label_contains(pingan_store::tls::PIN_MISMATCH).is_none() {
        assert!(Instant::now() < deadline, "the desk tells the wrong pin (证书指纹不符)");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    assert!(h.state().state.situation.workers.is_empty(), "nothing came from a server the pin refuses");
    drop(h);
    running.task.abort();
}

// ---- end TLS ----
