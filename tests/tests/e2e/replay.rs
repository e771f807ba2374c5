//! Time-travel replay (issue 16 item 6): the timeline under the map shows any moment of the last days as it stood —
//! events in their state then, workers where they were, the header's counts — and "回到实时" returns.
//!
//! The oracle is the desk itself: the live situation is copied at a moment T while the clock runs past it, then the
//! replay of T must give back exactly that copy.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_desktop::{Clock, Command, PinganApp, ReplayCommand};
use pingan_tests::test_options;

fn harness() -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

/// Run the clock on in steps of the tracks' thinning (so every observation is kept) for `steps` steps.
fn run_on(h: &mut Harness<'static, PinganApp>, steps: i64) {
    for _ in 0..steps {
        let next = h.state().state.live_now() + chrono::Duration::seconds(pingan_desktop::TRACK_STEP_S);
        h.state_mut().state.clock = Clock::Fixed(next);
        h.run();
    }
}

#[test]
fn a_replayed_moment_is_the_situation_as_it_stood_then() {
    let mut h = harness();
    h.run();
    let start = h.state().state.now;
    // Half an hour of live time, then the moment T is copied as the desk shows it, then ninety minutes more.
    run_on(&mut h, 6);
    let t = h.state().state.now;
    assert_eq!(t, start + chrono::Duration::minutes(30));
    let then = h.state().state.situation.clone();
    let headline_then = then.headline(t);
    run_on(&mut h, 18);
    let live = h.state().state.situation.clone();
    let live_now = h.state().state.now;
    let moved =
        live.events.iter().filter(|e| then.event(e.id).is_some_and(|old| old.history.len() < e.history.len())).count();
    assert!(moved > 0, "some events moved on after T (else the test shows nothing)");
    assert!(live.events.len() > then.events.len(), "new events were reported after T");

    // Clicking the timeline enters the replay near where it was clicked (a pixel is minutes of a week).
    let (from, to) = h.state().state.replay_window();
    assert_eq!(to, live_now);
    let bar = h.get_by_label(pingan_desktop::panels::timeline::bar_label(pingan_desktop::Lang::Zh)).rect();
    let share = (t - from).num_seconds() as f32 / (to - from).num_seconds() as f32;
    let pos = egui::pos2(bar.left() + share * bar.width(), bar.center().y);
    h.hover_at(pos);
    h.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    h.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    h.run();
    let clicked = h.state().state.replay().expect("a click on the timeline starts a replay").at;
    let per_px = (to - from) / bar.width() as i32;
    assert!((clicked - t).abs() <= per_px * 2, "clicked {clicked}, meant {t} ({per_px} a pixel)");
    h.get_by_label("回放");

    // The exact moment: the situation shown is the copy taken at T.
    h.state_mut().apply(Command::Replay(ReplayCommand::At(t)));
    h.run();
    let s = &h.state().state;
    assert_eq!(s.now, t, "the clock shows the moment replayed");
    assert_eq!(s.situation.events.len(), then.events.len(), "exactly the events reported by T");
    for e in &then.events {
        assert_eq!(s.situation.event(e.id), Some(e), "event {} as it stood at T", e.number);
    }
    for w in &then.workers {
        let r = &s.situation.workers[w.id.index()];
        assert_eq!((r.position, r.status, r.seen_at), (w.position, w.status, w.seen_at), "worker {}", w.name);
    }
    assert_eq!(s.situation.task_books, then.task_books);
    assert_eq!(s.situation.headline(s.now), headline_then);
    // The header shows T's counts (its numbers are named "未办结事件 N" …), not live's.
    assert_ne!(headline_then.open + headline_then.today, live.headline(live_now).open + live.headline(live_now).today);
    h.get_by_label(&format!("未办结事件 {}", headline_then.open));
    h.get_by_label(&format!("今日上报 {}", headline_then.today));
    h.get_by_label(&format!("逾期 {}", headline_then.overdue));

    // Acting on the past is refused and changes nothing.
    let id = then.events.iter().find(|e| e.state != pingan_core::EventState::Closed).unwrap().id;
    h.state_mut().apply(Command::SelectEvent(id));
    h.state_mut().apply(Command::Act(id, pingan_core::EventAction::Close { note: "x".into(), outcome: None }));
    h.run();
    assert_eq!(h.state().state.situation.event(id), then.event(id));

    // Back to live: the live situation, untouched by the replay.
    h.get_by_role_and_label(Role::Button, "回到实时").click();
    h.run();
    let s = &h.state().state;
    assert!(s.replay().is_none());
    assert_eq!((s.now, s.situation.events.len()), (live_now, live.events.len()));
    assert_eq!(s.situation.events, live.events);
}

#[test]
fn a_replay_plays_forward_at_its_speed_and_stops_at_live() {
    let mut h = harness();
    h.run();
    run_on(&mut h, 12);
    let live_now = h.state().state.now;
    let back = live_now - chrono::Duration::minutes(50);
    h.state_mut().apply(Command::Replay(ReplayCommand::At(back)));
    h.state_mut().apply(Command::Replay(ReplayCommand::Speed(600)));
    h.state_mut().apply(Command::Replay(ReplayCommand::Play));
    h.run();
    assert!(h.state().state.replay().unwrap().playing);
    // Two seconds of clock at 600×: twenty minutes of replay; the live clock moves on two seconds underneath.
    let clock = live_now + chrono::Duration::seconds(2);
    h.state_mut().state.clock = Clock::Fixed(clock);
    h.run();
    let r = h.state().state.replay().unwrap();
    assert_eq!(r.at, back + chrono::Duration::minutes(20));
    assert_eq!(h.state().state.live_now(), clock);
    // Ten more seconds would pass the live end: it holds there, paused.
    h.state_mut().state.clock = Clock::Fixed(clock + chrono::Duration::seconds(10));
    h.run();
    let s = &h.state().state;
    let r = s.replay().unwrap();
    assert_eq!(r.at, s.live_now());
    assert!(!r.playing);
}
