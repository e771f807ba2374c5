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
    h.get_by_role_and_label(Role::Button, &format!("盲区 ({n})")).click();
    h.run();
    assert_eq!(h.state().state.feed_tab, FeedTab::Coverage);
    h.get_by_label_contains(&format!("无人网格 ({n})"));
}

#[test]
fn a_new_serious_event_raises_a_banner_flies_there_and_waits_for_an_acknowledgement() {
    let mut h = harness();
    h.run();
    let before = h.state().state.attention.unacked.len();
    assert!(h.state().state.attention.banner.is_none(), "what was there at the start raises no banner");
    h.get_by_label(&before.to_string());
    // A critical event arrives.
    let id = new_critical_event(&mut h, 1, "化工厂仓库起火，浓烟扩散");
    let e = h.state().state.situation.event(id).unwrap().clone();
    let s = &h.state().state;
    assert_eq!(s.attention.banner.map(|b| b.0), Some(e.id), "a banner for it");
    assert_eq!(s.attention.unacked.len(), before + 1);
    assert_eq!(s.attention.unacked[0], e.id, "newest first");
    h.get_by_label("▲ 重大事件");
    assert!(h.query_all_by_label_contains("化工厂仓库起火，浓烟扩散").count() >= 2, "on the banner and in the feed");
    // The map flew there (the flight has landed by now).
    let home = h.state().state.district.bbox().centre();
    let centre = h.state().view.map2d.centre(home);
    assert!(centre.distance_m(e.position) < 50.0, "the map is at the event: {} m off", centre.distance_m(e.position));
    // Acknowledged from the banner: gone from the list, the banner down, recorded.
    h.get_all_by_role_and_label(Role::Button, "确认").next().unwrap().click();
    h.run();
    let s = &h.state().state;
    assert!(s.attention.banner.is_none());
    assert_eq!(s.attention.unacked.len(), before);
    assert_eq!(s.situation.event(e.id).unwrap().acknowledged.as_ref().unwrap().level, e.level);
    // Acknowledging again changes nothing.
    h.state_mut().apply(Command::Acknowledge(e.id));
    assert_eq!(h.state().state.attention.unacked.len(), before);
    // The list: what waits, with its own 确认.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Attention));
    h.run();
    h.get_by_label_contains(&format!("待确认 ({before})"));
}

/// A new critical event arriving in the situation, as the link or the simulator would bring it.
fn new_critical_event(h: &mut Harness<'static, PinganApp>, n: u64, title: &str) -> pingan_core::EventId {
    let e = {
        let s = &h.state().state;
        let mut e = s.situation.events.iter().find(|e| e.state.is_open()).unwrap().clone();
        e.id = pingan_core::EventId(s.situation.events.iter().map(|e| e.id.0).max().unwrap() + 1);
        e.number = format!("YH-TEST-{n:05}");
        e.severity = pingan_core::Severity::Critical;
        e.title = title.into();
        e.history.clear();
        e.acknowledged = None;
        e.reported_at = s.now;
        e.deadline = s.now + chrono::Duration::hours(2);
        e
    };
    let change = pingan_core::sync::ChangeBody::EventReported { event: Box::new(e.clone()) };
    h.state_mut().state.situation.apply_change(&change);
    h.state_mut().state.version += 1;
    h.run();
    e.id
}

#[test]
fn the_chime_is_off_by_default_and_sounds_once_per_new_banner_when_switched_on() {
    let mut h = harness();
    h.run();
    assert!(!h.state().state.sound, "off by default");
    let first = new_critical_event(&mut h, 1, "仓库起火");
    assert_eq!(h.state().state.attention.banner.map(|b| b.0), Some(first));
    assert_eq!(h.state().sound.asked(), 0, "a banner, no chime while the sound is off");
    // Switched on from the 待确认 tab.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Attention));
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "提示音").click();
    h.run();
    assert!(h.state().state.sound);
    let second = new_critical_event(&mut h, 2, "厂房起火");
    assert_eq!(h.state().state.attention.banner.map(|b| b.0), Some(second));
    h.run();
    assert_eq!(h.state().sound.asked(), 1, "one chime for the new banner, not one per frame");
    // With no audio device (CI), the status bar says so once; nothing fails.
    for _ in 0..50 {
        if h.state().sound.problem().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h.run();
    if let Some(why) = h.state().sound.problem() {
        h.get_by_label_contains("提示音无法播放");
        eprintln!("no chime heard here: {why}");
    }
}

#[test]
fn the_wall_puts_each_panel_on_its_screen() {
    let options = pingan_desktop::AppOptions {
        wall: Some((pingan_desktop::wall::WallLayout::default(), None)),
        ..test_options()
    };
    // Each screen is its own viewport; kittest draws the others inside the main one.
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options.clone()));
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    assert!(h.state().wall.is_some());
    // Left: the report and the tables; centre: the map with its toolbar; right: feed and detail.
    h.get_by_label_contains("平安法治实时报表");
    h.get_by_label_contains("平安赛马榜");
    h.get_by_label("五色研判");
    h.get_by_role_and_label(Role::Button, "实时事件");
    h.get_by_label_contains("点选事件、任务书或地图上的单元查看详情");
    // Three headers, one per screen.
    assert_eq!(h.query_all_by_label("平安余杭").count(), 3);
    // The default layout tours the towns: nobody touched anything, so it began with the first.
    let tour = h.state().tour.clone().expect("the default layout tours");
    assert_eq!((tour.index, tour.paused), (Some(0), false));
    let home = h.state().state.district.bbox().centre();
    let first = h.state().state.district.towns[0].label_at;
    assert!(h.state().view.map2d.centre(home).distance_m(first) < 100.0, "the map is at the first town");
    // A layout that is wrong: told, the default used.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("wall.toml");
    std::fs::write(&bad, "font_scale = 1\n[[screen]]\nmonitor = 0\npanels = [\"feed\"]\n").unwrap();
    let (layout, why) = pingan_desktop::wall::WallLayout::load(&bad);
    assert_eq!(layout, pingan_desktop::wall::WallLayout::default());
    let options = pingan_desktop::AppOptions { wall: Some((layout, why)), ..test_options() };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options.clone()));
    h.run();
    assert!(h.state().state.messages.iter().any(|(_, m)| m.contains("no screen shows the map")));
}
