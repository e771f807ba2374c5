//! The wall (issue 16): coverage voids and stale positions, …

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_desktop::state::AttentionItem;
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
    let cfg = s.watch.coverage;
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
    assert_eq!(s.attention.banner.map(|b| b.0), Some(AttentionItem::Event(e.id)), "a banner for it");
    assert_eq!(s.attention.unacked.len(), before + 1);
    assert_eq!(s.attention.unacked[0], AttentionItem::Event(e.id), "newest first");
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

#[test]
fn a_grid_without_cover_past_the_threshold_calls_for_attention_once_until_acknowledged() {
    let mut h = harness();
    h.run();
    let start = h.state().state.now;
    let events = h.state().state.attention.unacked.len();
    // Nothing moves by itself (no simulator): the workers stand where they stood at the start.
    h.state_mut().state.live = pingan_desktop::services::source::Live::Fixed;
    h.state_mut().state.clock = Clock::Fixed(start + chrono::Duration::minutes(29));
    h.run();
    assert!(h.state().state.voids().is_empty() && h.state().state.attention.banner.is_none(), "not yet 30 minutes");
    // 31 minutes on nobody has covered any grid since the start: each is a void since then, and calls for attention.
    h.state_mut().state.clock = Clock::Fixed(start + chrono::Duration::minutes(31));
    h.run();
    let s = &h.state().state;
    let grids = s.district.grids.len();
    assert_eq!(s.voids().len(), grids);
    assert_eq!(s.attention.unacked.len(), events + grids, "every void waits in 待确认");
    let Some((AttentionItem::Void(grid, since), _)) = s.attention.banner else {
        panic!("a banner for a void: {:?}", s.attention.banner)
    };
    assert_eq!(since, start);
    assert_eq!(s.attention.unacked[0], AttentionItem::Void(grid, since), "the newest first");
    let g = s.district.grids[grid.index()].clone();
    let place = pingan_desktop::format::grid_place(&s.district, grid);
    assert!(place.contains(&g.name), "{place}");
    assert_eq!(s.banner_place(), Some(g.label_at));
    // The banner names the grid with its town and community, and how long it has been empty.
    h.get_by_label("▲ 覆盖盲区");
    h.get_by_label_contains(&format!("{place} · 已无人 31分钟"));
    // The map flew there.
    let home = h.state().state.district.bbox().centre();
    let centre = h.state().view.map2d.centre(home);
    assert!(centre.distance_m(g.label_at) < 50.0, "the map is at the grid: {} m off", centre.distance_m(g.label_at));
    // Once per void: the next looks raise no other banner for the same voids.
    h.state_mut().apply(Command::DismissBanner);
    h.state_mut().state.clock = Clock::Fixed(start + chrono::Duration::minutes(32));
    h.run();
    assert!(h.state().state.attention.banner.is_none(), "no banner again for what was seen");
    assert_eq!(h.state().state.attention.unacked.len(), events + grids, "still waiting");
    // Acknowledged (from the 待确认 list): gone from it, and stays gone while the void lasts.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Attention));
    h.run();
    h.get_by_label_contains(&format!("待确认 ({})", events + grids));
    h.state_mut().apply(Command::AcknowledgeVoid(grid));
    h.run();
    let gone = |h: &Harness<'static, PinganApp>| {
        !h.state().state.attention.unacked.contains(&AttentionItem::Void(grid, since))
    };
    assert!(gone(&h));
    assert_eq!(h.state().state.attention.unacked.len(), events + grids - 1);
    h.state_mut().state.clock = Clock::Fixed(start + chrono::Duration::minutes(33));
    h.run();
    assert!(gone(&h) && h.state().state.attention.banner.is_none());
    h.get_by_label_contains(&format!("待确认 ({})", events + grids - 1));
    // A worker reports from inside it: covered, no longer a void.
    let covered_at = start + chrono::Duration::minutes(33);
    {
        let s = &mut h.state_mut().state;
        let w = s.situation.workers.iter_mut().find(|w| w.status.on_duty()).expect("an on-duty worker");
        w.position = g.label_at;
        w.seen_at = covered_at;
        s.version += 1;
    }
    h.state_mut().state.clock = Clock::Fixed(covered_at + chrono::Duration::seconds(20));
    h.run();
    assert!(h.state().state.voids().iter().all(|v| v.grid != grid), "covered");
    // Nobody there again for longer than the threshold: a new void, and it calls for attention again.
    h.state_mut().state.clock = Clock::Fixed(covered_at + chrono::Duration::minutes(31));
    h.run();
    let s = &h.state().state;
    let again = AttentionItem::Void(grid, covered_at);
    assert_eq!(s.attention.banner.map(|b| b.0), Some(again), "back, with a banner");
    assert_eq!(s.attention.unacked[0], again);
    // Acknowledged from the banner.
    h.get_all_by_role_and_label(Role::Button, "确认").next().unwrap().click();
    h.run();
    assert!(h.state().state.attention.banner.is_none());
    assert!(!h.state().state.attention.unacked.contains(&again));
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
    assert_eq!(h.state().state.attention.banner.map(|b| b.0), Some(AttentionItem::Event(first)));
    assert_eq!(h.state().sound.asked(), 0, "a banner, no chime while the sound is off");
    // Switched on from the 待确认 tab.
    h.state_mut().apply(Command::SetFeedTab(FeedTab::Attention));
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "提示音").click();
    h.run();
    assert!(h.state().state.sound);
    let second = new_critical_event(&mut h, 2, "厂房起火");
    assert_eq!(h.state().state.attention.banner.map(|b| b.0), Some(AttentionItem::Event(second)));
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
    // Left: the report and the detail; centre: the map with its toolbar; right: the tables and the feed.
    h.get_by_label_contains("平安法治实时报表");
    // Nothing selected: no empty detail, the report has the screen's height.
    assert!(h.query_by_label_contains("点选事件、任务书或地图上的单元查看详情").is_none());
    h.get_by_label("五色研判");
    h.get_by_label_contains("平安赛马榜");
    h.get_by_role_and_label(Role::Button, "实时事件");
    // One header, on the map's screen (the others give their height to the panels).
    assert_eq!(h.query_all_by_label("平安余杭").count(), 1);
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

// ---- The wall's tables screen as a board (league and loop side by side, ≥ 12 league rows at 1.6) ----

/// The shipped layout's tables screen alone (the status bar under it, as on the main window: less room than on the
/// wall), at the far wall's zoom of 1.6 on 1920×1080 px: 1200×675 points.
fn tables_screen() -> Harness<'static, PinganApp> {
    let mut layout =
        pingan_desktop::wall::WallLayout { font_scale: 1.6, tour: None, ..pingan_desktop::wall::WallLayout::default() };
    let tables = layout
        .screens
        .iter()
        .find(|s| s.panels.contains(&pingan_desktop::wall::WallPanel::Tables))
        .expect("the shipped layout shows the tables")
        .clone();
    layout.screens = vec![tables];
    let options = pingan_desktop::AppOptions { wall: Some((layout, None)), ..test_options() };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options.clone()));
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    h
}

/// The texts drawn whole inside their clip rect (what is seen), with their rects and smallest font size.
fn seen_texts(h: &Harness<'static, PinganApp>) -> Vec<(String, egui::Rect, f32)> {
    fn walk(shape: &egui::Shape, clip: egui::Rect, out: &mut Vec<(String, egui::Rect, f32)>) {
        match shape {
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, clip, out)),
            egui::Shape::Text(t) => {
                let rect = t.galley.rect.translate(t.pos.to_vec2());
                if clip.expand(0.5).contains_rect(rect) {
                    let size =
                        t.galley.job.sections.iter().map(|s| s.format.font_id.size).fold(f32::INFINITY, f32::min);
                    out.push((t.galley.text().to_string(), rect, size));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for c in &h.output().shapes {
        walk(&c.shape, c.clip_rect, &mut out);
    }
    out
}

#[test]
fn the_wall_tables_show_the_league_and_the_loop_side_by_side_with_every_town() {
    let h = tables_screen();
    assert!((h.ctx.zoom_factor() - 1.6).abs() < 0.01, "zoom {}", h.ctx.zoom_factor());
    assert!((h.ctx.content_rect().width() - 1200.0).abs() < 1.0, "{:?}", h.ctx.content_rect());
    let texts = seen_texts(&h);
    let towns: Vec<String> = h.state().state.district.towns.iter().map(|t| t.name.clone()).collect();
    assert!(towns.len() >= 12, "the test district has {} towns", towns.len());
    let title = |label: &str| texts.iter().find(|(t, _, _)| t.starts_with(label)).map(|(_, r, _)| *r);
    let league = title("平安赛马榜").expect("the league's title seen");
    let loops = title("闭环考核").expect("the loop's title seen");
    // Each town's row in the league (left of the loop): its name seen whole, its events a number that drills
    // through (by its accessible name).
    let mut rows: Vec<egui::Rect> = Vec::new();
    for town in &towns {
        let Some((_, rect, size)) = texts.iter().find(|(t, r, _)| t == town && r.right() < loops.left()) else {
            continue;
        };
        assert!(*size >= 15.0, "{town} is {size} points");
        let name = format!("{town} 事件 ");
        let events = h.query_all_by_label_contains(&name).next();
        assert!(
            events.is_some_and(|n| (n.rect().center().y - rect.center().y).abs() < 4.0),
            "{town}'s events: {:?} vs {rect:?}",
            events.map(|n| n.rect())
        );
        rows.push(*rect);
    }
    assert!(rows.len() >= 12, "{} league rows seen of {}: {:?}", rows.len(), towns.len(), rows);
    // The loop table beside the league, not under it: its title level with the league's, to its right.
    let league_right = rows.iter().map(|r| r.right()).fold(0.0, f32::max);
    assert!((league.top() - loops.top()).abs() < 2.0 && loops.left() > league_right, "{league:?} {loops:?}");
    // The loop's rows are seen whole too, beside the league's.
    for level in ["村社", "镇街", "区级", "全区"] {
        let beside = texts.iter().any(|(t, r, size)| t == level && r.left() > league_right && *size >= 15.0);
        assert!(beside, "{level} in the loop table, right of the league");
    }
    // Every text on the board at least 15 points (24 px).
    let board =
        egui::Rect::from_min_max(league.min, egui::pos2(1200.0, rows.iter().map(|r| r.bottom()).fold(0.0, f32::max)));
    let small: Vec<_> = texts.iter().filter(|(_, r, s)| board.contains(r.center()) && *s < 15.0).collect();
    assert!(small.is_empty(), "under 15 points: {small:?}");
}

// ---- end of the tables-board block ----
