//! The wall (issue 16): coverage voids and stale positions, …

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_desktop::{Clock, Command, FeedTab, PinganApp};
use pingan_tests::test_options;
use std::collections::BTreeSet;

fn harness() -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

#[test]
fn grids_no_fresh_worker_stood_in_are_voids_and_stale_workers_are_listed() {
    let mut h = harness();
    h.run();
    let start = h.state().state.now;
    assert!(h.state().state.voids().is_empty(), "nothing is a void the moment watching begins");
    // Two workers stop reporting (a phone off): stale after 10 minutes.
    let quiet: Vec<pingan_core::WorkerId> = {
        let s = &mut h.state_mut().state;
        let ids: Vec<_> = s.situation.workers.iter().filter(|w| w.status.on_duty()).take(2).map(|w| w.id).collect();
        for id in &ids {
            s.situation.workers[id.index()].seen_at = start - chrono::Duration::minutes(11);
        }
        ids
    };
    assert_eq!(h.state().state.stale_workers(), quiet);
    // Listed by name in the coverage tab, and greyed on the map.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Coverage));
    h.run();
    h.get_by_label_contains("位置过期的网格员 (2)");
    let name = h.state().state.situation.workers[quiet[0].index()].name.clone();
    assert!(h.query_all_by_label_contains(&name).next().is_some(), "{name} listed");
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Events));
    h.run();
    // 31 minutes on (the simulator walks the others meanwhile).
    h.state_mut().state.clock = Clock::Fixed(start + chrono::Duration::minutes(31));
    h.run();
    let s = &h.state().state;
    let cfg = s.coverage_config;
    // Worked out here: the grids where a fresh on-duty worker stands now (the start's cover is 31 minutes old).
    let covered: BTreeSet<u32> = s
        .situation
        .workers
        .iter()
        .filter(|w| w.status.on_duty() && s.now - w.seen_at <= cfg.stale_after())
        .filter_map(|w| s.index.grid_at(&s.district, w.position))
        .map(|g| g.0)
        .collect();
    let voids: BTreeSet<u32> = s.voids().iter().map(|v| v.grid.0).collect();
    let expected: BTreeSet<u32> = (0..s.district.grids.len() as u32).filter(|g| !covered.contains(g)).collect();
    assert_eq!(voids, expected);
    assert!(!voids.is_empty() && voids.len() < s.district.grids.len(), "{} of {}", voids.len(), s.district.grids.len());
    // The tab counts them; the list names them.
    let n = voids.len();
    h.get_by_role_and_label(Role::Button, &format!("覆盖盲区 ({n})")).click();
    h.run();
    assert_eq!(h.state().state.feed_tab, FeedTab::Coverage);
    h.get_by_label_contains(&format!("无人网格 ({n})"));
}
