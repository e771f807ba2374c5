//! The watch thresholds (`assets/config/watch.toml`) on the desk: a desk linked to a real `pingan-sync` (in-process,
//! SQLite, loopback) takes the server's void, stale and no-data minutes from `/v1/info` and keeps them for a start
//! with the server down; a desk on its own uses its options'. And 数据中断: a linked desk that has heard nothing from
//! its server — no change, no keep-alive — for the no-data minutes says since when; data, or a keep-alive of the live
//! stream, ends it; the demo never stops.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::coverage::{CoverageConfig, WatchConfig};
use pingan_core::sync::{ClientCommand, CommandBody, Outcome};
use pingan_desktop::{AppOptions, Clock, PinganApp, ServerOptions};
use pingan_tests::{test_now, test_options};
use std::time::{Duration, Instant};

fn harness(options: AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options))
}

/// A desk's own thresholds, unlike the shipped ones and the server's.
const OWN: WatchConfig =
    WatchConfig { no_data_minutes: 7, coverage: CoverageConfig { void_minutes: 20, stale_minutes: 5 } };

/// A real server with the test district and `watch`, and a supervisor's token.
fn server(rt: &tokio::runtime::Runtime, dir: &std::path::Path, watch: WatchConfig) -> (pingan_sync::Running, String) {
    let config = pingan_sync::ServeConfig {
        db: dir.join("sync.db").display().to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 7,
        small: true,
        // Nothing changes behind the test's back.
        sla_every: None,
        patrol_every: None,
        watch,
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).unwrap();
    let token = rt.block_on(async {
        let op = running.db.add_user("op", pingan_core::sync::Role::Supervisor).await.unwrap();
        running.db.new_token(&op).await.unwrap()
    });
    (running, token)
}

fn linked(url: String, token: String, dir: &std::path::Path) -> Harness<'static, PinganApp> {
    let server = ServerOptions { url, token, cache: Some(dir.join("cache.sqlite")), trust: Default::default() };
    harness(AppOptions { server: Some(server), watch: OWN, ..test_options() })
}

/// Run the app until `f` holds.
fn run_until(h: &mut Harness<'static, PinganApp>, secs: u64, what: &str, f: impl Fn(&PinganApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
}

#[test]
fn a_linked_desk_takes_the_servers_thresholds_and_keeps_them_with_the_server_down() {
    // On its own: its options'.
    let mut h = harness(AppOptions { watch: OWN, ..test_options() });
    h.run();
    assert_eq!(h.state().state.watch, OWN);
    drop(h);
    let served = WatchConfig { no_data_minutes: 3, coverage: CoverageConfig { void_minutes: 45, stale_minutes: 12 } };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (running, token) = server(&rt, dir.path(), served);
    let url = format!("http://{}", running.addr);
    let mut h = linked(url.clone(), token.clone(), dir.path());
    run_until(&mut h, 30, "the server's thresholds", |a| a.state.watch == served);
    // The coverage tab says them.
    h.state_mut().apply(pingan_desktop::Command::SetFeedTab(pingan_desktop::FeedTab::Coverage));
    h.run();
    h.get_by_label_contains("网格无人超过 45 分钟");
    drop(h);
    // The server goes away; the desk starts again on its cache and still has the server's thresholds.
    drop(running);
    drop(rt);
    let mut h = linked(url, token, dir.path());
    h.run();
    assert_eq!(h.state().state.watch, served, "kept from the server's last answer");
}

/// A report for the test district, as the server's simulator would make it.
fn report(n: u64) -> ClientCommand {
    let options = test_options();
    let district = pingan_demo::generate(&options.spec);
    let (situation, _) = pingan_demo::Simulator::start(&district, options.spec.seed, options.sim, test_now());
    let mut event = situation.events[0].clone();
    event.history.clear();
    ClientCommand { key: format!("watch-{n}"), at: test_now(), body: CommandBody::Report { event: Box::new(event) } }
}

#[test]
fn a_linked_desk_that_hears_nothing_for_the_no_data_minutes_says_data_is_interrupted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (running, token) = server(&rt, dir.path(), WatchConfig::default());
    let url = format!("http://{}", running.addr);
    let api = pingan_store::Api::new(&url, &token).unwrap();
    let mut h = linked(url, token, dir.path());
    let online = |a: &PinganApp| {
        a.state.link().is_some_and(|l| l.status().state == pingan_store::LinkState::Online) && a.state.rights.is_some()
    };
    run_until(&mut h, 30, "online", online);
    h.get_by_label("在线");
    assert_eq!(h.state().state.watch, WatchConfig::default());
    assert_eq!(h.state().state.data_interrupted(), None);
    // Two minutes on by the desk's clock with nothing from the server: not yet. Past them: since the last word. (A
    // keep-alive of the live stream may land in between and restart the count: then once more.)
    let mut interrupted = None;
    for attempt in 0..3 {
        let heard = h.state().state.now;
        h.state_mut().state.clock = Clock::Fixed(heard + chrono::Duration::minutes(2));
        h.run();
        if attempt == 0 {
            assert_eq!(h.state().state.data_interrupted(), None, "two minutes are not more than two");
        }
        h.state_mut().state.clock = Clock::Fixed(heard + chrono::Duration::minutes(3));
        h.run();
        interrupted = h.state().state.data_interrupted();
        if let Some(since) = interrupted {
            assert!(since >= heard - chrono::Duration::minutes(2) && since <= heard, "since the last word: {since}");
            break;
        }
    }
    assert!(interrupted.is_some(), "数据中断 after the no-data minutes");
    // A change from the server ends it.
    let n = h.state().state.situation.events.len();
    let sent = rt.block_on(api.send(&[report(1)])).unwrap();
    assert!(matches!(sent[0].outcome, Outcome::Applied { .. }), "{sent:?}");
    run_until(&mut h, 30, "the new report", |a| a.state.situation.events.len() > n);
    assert_eq!(h.state().state.data_interrupted(), None, "data flows again");
    // Quiet again; a keep-alive of the live stream (every 15 s) alone proves the link alive.
    let quiet_at = h.state().state.now + chrono::Duration::minutes(5);
    h.state_mut().state.clock = Clock::Fixed(quiet_at);
    let seq = h.state().state.link().unwrap().status().seq;
    h.run();
    if h.state().state.data_interrupted().is_none() {
        eprintln!("a keep-alive landed in the very frame the clock moved");
    }
    run_until(&mut h, 40, "a keep-alive", |a| a.state.data_interrupted().is_none());
    assert_eq!(h.state().state.link().unwrap().status().seq, seq, "no change came: a keep-alive did it");
    assert_eq!(h.state().state.situation.events.len(), n + 1);
    drop(h);
    drop(running);
}

#[test]
fn the_demo_never_says_data_is_interrupted() {
    let mut h = harness(test_options());
    h.run();
    h.state_mut().state.clock = Clock::Fixed(test_now() + chrono::Duration::hours(3));
    h.run();
    assert_eq!(h.state().state.data_interrupted(), None);
}
