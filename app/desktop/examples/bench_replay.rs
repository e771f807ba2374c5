//! Benchmark of the time-travel replay: the full demo district with a week of simulated closed loops and worker
//! walks (what `pingan` starts with), then jumps to random moments of the last 7 days, timing
//!
//! - the jump: `Command::Replay(At(t))` — the situation as of `t` (events, workers, books) and the coverage voids;
//! - the five-colour report of that moment (the assessment the background thread computes after a jump: month and
//!   previous month over two years of history, league, trends, the command loop's figures).
//!
//! `cargo run --release -p pingan-desktop --example bench_replay [JUMPS]`

use pingan_desktop::state::{AppOptions, AppState, Clock, Command, ReplayCommand};
use std::time::Instant;

fn main() {
    let jumps: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(40);
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().to_utc();
    let mut options = AppOptions { clock: Clock::Fixed(now), replay_days: 7, ..AppOptions::default() };
    options.sim.history_hours = 7.0 * 24.0;
    let t = Instant::now();
    let mut state = AppState::new(&options);
    println!(
        "set-up: {} grids, {} workers, {} live events, {} track points ({} MB) in {:.1} s",
        state.district.grids.len(),
        state.situation.workers.len(),
        state.situation.events.len(),
        state.tracks().len(),
        state.tracks().bytes() >> 20,
        t.elapsed().as_secs_f64()
    );
    let (from, to) = state.replay_window();
    let span = (to - from).num_seconds();
    // A fixed pseudo-random order of moments (an LCG), so runs compare.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut jump_ms, mut report_ms) = (Vec::new(), Vec::new());
    for _ in 0..jumps {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let at = from + chrono::Duration::seconds((x >> 33) as i64 % span);
        let t = Instant::now();
        state.apply(Command::Replay(ReplayCommand::At(at)));
        jump_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let data = pingan_desktop::services::assessment::compute_with_loops(
            &state.district,
            &records(&state),
            &state.situation.events,
            &state.situation.task_books,
            state.risk_view,
            state.now,
            &pingan_core::assess::RiskConfig::default(),
        );
        std::hint::black_box(data);
        report_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let total: Vec<f64> = jump_ms.iter().zip(&report_ms).map(|(a, b)| a + b).collect();
    for (name, v) in [("jump (situation + voids)", jump_ms), ("five-colour report", report_ms), ("both", total)] {
        let mut v = v;
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        println!("{name}: median {:.1} ms, p95 {:.1} ms, max {:.1} ms over {jumps} jumps", q(0.5), q(0.95), q(1.0));
    }
}

/// What the assessment thread is handed: the history and the situation shown, as records.
fn records(state: &AppState) -> Vec<pingan_core::assess::EventRecord> {
    let mut r = Vec::with_capacity(state.history.len() + state.situation.events.len());
    r.extend_from_slice(&state.history);
    r.extend(state.situation.events.iter().map(pingan_core::assess::EventRecord::from));
    r
}
