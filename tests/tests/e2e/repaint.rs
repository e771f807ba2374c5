//! Cheap when nothing happens: the app asks for a frame only when something changes. Read from egui's own output
//! (the delay until the next frame the app asked for), frame by frame, through egui_kittest.

use egui_kittest::Harness;
use pingan_desktop::{AppOptions, Clock, MapMode, PinganApp};
use pingan_tests::{test_now, test_options};
use std::time::Duration;

fn harness(options: AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder().with_size(egui::vec2(1400.0, 800.0)).build_eframe(move |cc| PinganApp::new(cc, options))
}

/// The delay until the next frame the app asked for after the last step (`Duration::MAX`: none).
fn next_frame(h: &Harness<'_, PinganApp>) -> Duration {
    let d = h.output().viewport_output.get(&egui::ViewportId::ROOT).map_or(Duration::MAX, |v| v.repaint_delay);
    if d == Duration::ZERO {
        // Who asked, for a failure's message (egui records the call sites).
        eprintln!("repaint asked by: {:?}", h.ctx.repaint_causes());
    }
    d
}

/// The delay the app settles on: a zero delay is stepped past (at most ten times) when it is a one-off — a background
/// result's wake-up landing in the steps, or egui's own second pass —, so what is checked is what the app keeps
/// asking for. An app that asks for frames all the time still gives zero.
fn settled_frame(h: &mut Harness<'_, PinganApp>) -> Duration {
    for _ in 0..10 {
        let d = next_frame(h);
        if d != Duration::ZERO {
            return d;
        }
        h.step();
    }
    next_frame(h)
}

/// Settle: the first assessment in, the layout done, the camera fitted.
fn settle(h: &mut Harness<'_, PinganApp>) {
    h.run_steps(3);
    h.state_mut().state.assessment.wait();
    h.run_steps(4);
}

#[test]
fn a_frozen_map_with_nothing_animating_asks_for_no_frame() {
    for mode in [MapMode::Map2d, MapMode::Dashboard] {
        let mut h = harness(AppOptions { map_mode: mode, ..test_options() });
        settle(&mut h);
        // Overdue markers that have been overdue for a while keep a steady ring; none turned overdue a moment ago
        // (those pulse for half a minute): the app has no reason to draw again.
        let now = test_now();
        assert!(h.state().state.situation.events.iter().any(|e| e.is_overdue(now)), "the demo has overdue events");
        h.state_mut().state.situation.events.retain(|e| !pingan_desktop::panels::pulsing(e, now));
        h.run_steps(3);
        assert_eq!(settled_frame(&mut h), Duration::MAX, "{mode:?}: no frame asked for while nothing changes");
        let frames = h.state().frames;
        h.run_steps(1);
        assert_eq!(h.state().frames, frames + 1, "the harness still draws when asked (the counter counts)");
    }
}

#[test]
fn an_overdue_marker_on_screen_animates_at_the_capped_rate_not_every_vsync() {
    let mut h = harness(AppOptions { map_mode: MapMode::Map2d, ..test_options() });
    settle(&mut h);
    // An open event turns overdue ten seconds ago: its marker pulses for half a minute.
    let now = test_now();
    let e = h.state_mut().state.situation.events.iter_mut().rev().find(|e| e.state.is_open()).expect("an open event");
    e.deadline = now - chrono::Duration::seconds(10);
    h.run_steps(2);
    let delay = settled_frame(&mut h);
    // 50 ms from the frame that asked (less by what the harness's step took under load; never every frame).
    let frame = pingan_desktop::theme::ANIMATION_FRAME;
    assert!(delay > Duration::ZERO && delay <= frame, "the pulse asks for frames at 20 fps, not {delay:?}");
    // Half a minute later (the clock is frozen: move the deadline instead) it keeps a steady ring and asks for nothing.
    let e = h.state_mut().state.situation.events.iter_mut().rev().find(|e| e.state.is_open()).expect("an open event");
    e.deadline = now - chrono::Duration::seconds(31);
    h.run_steps(2);
    assert_eq!(settled_frame(&mut h), Duration::MAX);
}

#[test]
fn a_live_clock_asks_for_a_frame_when_its_second_turns_and_news_wakes_the_app() {
    let mut h = harness(AppOptions { clock: Clock::Live, map_mode: MapMode::Map2d, ..test_options() });
    settle(&mut h);
    h.run_steps(2);
    let delay = settled_frame(&mut h);
    assert!(delay > Duration::ZERO && delay <= Duration::from_secs(1), "next frame when the clock turns: {delay:?}");
    // A selection flies the camera: frames every display refresh until it lands, then quiet again.
    let id = h.state().state.situation.events.last().expect("events").id;
    h.state_mut().apply(pingan_desktop::Command::SelectEvent(id));
    h.step();
    assert_eq!(next_frame(&h), Duration::ZERO, "a flying camera asks for the next frame at once");
}

#[test]
fn a_playing_replay_asks_for_frames_at_ten_a_second_and_a_held_one_for_none() {
    use pingan_desktop::{Command, ReplayCommand};
    let mut h = harness(AppOptions { map_mode: MapMode::Map2d, ..test_options() });
    settle(&mut h);
    let now = test_now();
    h.state_mut().apply(Command::Replay(ReplayCommand::At(now - chrono::Duration::hours(5))));
    settle(&mut h);
    // Nothing pulses at the moment replayed (no marker turned overdue seconds before it).
    let at = h.state().state.now;
    h.state_mut().state.situation.events.retain(|e| !pingan_desktop::panels::pulsing(e, at));
    h.run_steps(3);
    assert_eq!(settled_frame(&mut h), Duration::MAX, "a held replay on a frozen clock asks for nothing");
    h.state_mut().apply(Command::Replay(ReplayCommand::Speed(600)));
    h.state_mut().apply(Command::Replay(ReplayCommand::Play));
    h.run_steps(2);
    // 100 ms from the frame that asked (less by the time the harness's steps took).
    let delay = settled_frame(&mut h);
    assert!(delay <= Duration::from_millis(100), "playing: 10 frames a second, not {delay:?}");
}
