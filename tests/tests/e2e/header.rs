//! The header bar lays out without overlap: at the desk's sizes (zoom 1.0) and the wall's (1920×1080 px at zoom
//! 1.6, 1200 points wide), linked to a real `pingan-sync` or not, replaying or live, in either language, every
//! widget in it has its own room inside it; on the wall no text in it is under 15 points.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use pingan_desktop::wall::WallLayout;
use pingan_desktop::{Command, Lang, PinganApp, ReplayCommand, ServerOptions};
use pingan_tests::test_options;
use std::time::{Duration, Instant};

/// The header's height in points (the desk's and the wall's `exact_size`).
const HEADER_H: f32 = 84.0;

fn harness(options: pingan_desktop::AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options))
}

/// A one-screen wall (the map with the header, as the centre screen) read from far: font scale 1.6.
fn wall_layout() -> WallLayout {
    WallLayout::from_toml("font_scale = 1.6\n[[screen]]\nmonitor = 0\npanels = [\"map\"]\n").expect("valid layout")
}

/// A node's accessible name: a label's text, else its label.
fn name_of(n: &egui_kittest::Node<'_>) -> Option<String> {
    let a = n.accesskit_node();
    let name = if a.role() == Role::Label { a.value() } else { a.label() };
    name.filter(|t| !t.trim().is_empty())
}

/// What is wrong with the header as laid out now (empty: nothing): widgets that overlap (one inside the other in
/// the accessibility tree is fine), widgets outside the header, text under 15 points at a zoom of 1.5 or more.
fn header_problems(h: &Harness<'static, PinganApp>, case: &str) -> Vec<String> {
    let width = h.ctx.content_rect().width();
    let band = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(width, HEADER_H));
    // The header: the panel (pane) the title is in; its widgets, wherever they went: what has a name (labels,
    // counts, buttons) and the search box, not the layout's containers.
    let title = pingan_desktop::format::title(&h.state().state.district.name, h.state().state.lang);
    let title = h.get_by_label(&title);
    let mut pane = title.accesskit_node();
    while pane.role() != Role::Pane {
        pane = pane.parent().expect("the header is a panel");
    }
    let nodes: Vec<_> = h
        .root()
        .children_recursive()
        .filter(|n| {
            let a = n.accesskit_node();
            a.is_descendant_of(&pane)
                && a.bounding_box().is_some()
                && (name_of(n).is_some() || a.role() == Role::TextInput)
        })
        .collect();
    assert!(nodes.len() >= 10, "{case}: the header's widgets: {nodes:?}");
    let mut problems = Vec::new();
    // A widget as the problems name it: role, accessible name, rect.
    let say = |n: &egui_kittest::Node<'_>| {
        format!("{:?} {:?} at {:?}", n.accesskit_node().role(), name_of(n).unwrap_or_default(), n.rect())
    };
    for (i, a) in nodes.iter().enumerate() {
        if !band.expand(0.5).contains_rect(a.rect()) {
            problems.push(format!("{case}: {} is not inside the header {band:?}", say(a)));
        }
        for b in &nodes[i + 1..] {
            let (ka, kb) = (a.accesskit_node(), b.accesskit_node());
            if ka.is_descendant_of(&kb) || kb.is_descendant_of(&ka) {
                continue;
            }
            let common = a.rect().intersect(b.rect());
            if common.width() > 0.5 && common.height() > 0.5 {
                problems.push(format!("{case}: {} overlaps {}", say(a), say(b)));
            }
        }
    }
    if h.ctx.zoom_factor() >= 1.5 {
        for text in header_texts(h, band) {
            if text.1 < 15.0 {
                problems.push(format!("{case}: {:?} is {} points", text.0, text.1));
            }
        }
    }
    problems
}

/// The texts drawn in the header band, with their smallest font size.
fn header_texts(h: &Harness<'static, PinganApp>, band: egui::Rect) -> Vec<(String, f32)> {
    fn walk(shape: &egui::Shape, clip: egui::Rect, band: egui::Rect, out: &mut Vec<(String, f32)>) {
        match shape {
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, clip, band, out)),
            egui::Shape::Text(t) => {
                let seen = t.visual_bounding_rect().intersect(clip);
                if seen.is_positive() && band.contains(seen.center()) && !t.galley.text().trim().is_empty() {
                    let size =
                        t.galley.job.sections.iter().map(|s| s.format.font_id.size).fold(f32::INFINITY, f32::min);
                    out.push((t.galley.text().to_string(), size));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for c in &h.output().shapes {
        walk(&c.shape, c.clip_rect, band, &mut out);
    }
    out
}

/// Lay the header out at each size and zoom (the desk's, then the wall's), failing with every problem found.
fn check_all_sizes(h: &mut Harness<'static, PinganApp>, what: &str) {
    let mut problems = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        h.state_mut().apply(Command::SetLang(lang));
        for (w, hgt) in [(1920.0, 1080.0), (1600.0, 900.0), (1366.0, 768.0)] {
            h.set_size(egui::vec2(w, hgt));
            h.run();
            problems.extend(header_problems(h, &format!("{what}, desk {w}×{hgt} {lang:?}")));
        }
        // The wall's zoom on the desk's shell: 1920×1080 px are 1200×675 points.
        h.set_size(egui::vec2(1920.0, 1080.0));
        h.run();
        h.ctx.set_zoom_factor(1.6);
        h.run();
        h.run();
        assert!((h.ctx.content_rect().width() - 1200.0).abs() < 1.0, "{}", h.ctx.content_rect().width());
        problems.extend(header_problems(h, &format!("{what}, desk at zoom 1.6 {lang:?}")));
        // The wall itself (it sets its zoom from the screen height and the font scale).
        h.state_mut().wall = Some(wall_layout());
        h.run();
        h.run();
        assert!((h.ctx.zoom_factor() - 1.6).abs() < 0.01, "{}", h.ctx.zoom_factor());
        problems.extend(header_problems(h, &format!("{what}, wall 1920×1080 px {lang:?}")));
        h.state_mut().wall = None;
        h.ctx.set_zoom_factor(1.0);
        h.run();
        h.run();
    }
    h.state_mut().apply(Command::SetLang(Lang::Zh));
    h.run();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_unlinked_header_fits_the_desk_and_the_wall() {
    let mut h = harness(test_options());
    h.run();
    h.get_by_label("本地演示");
    check_all_sizes(&mut h, "local demo");
    // The cards still click where they are compact: at the wall's zoom 待确认 opens the acknowledgements.
    h.state_mut().wall = Some(wall_layout());
    h.run();
    let n = h.state().state.attention.unacked.len();
    h.get_by_role_and_label(Role::Button, &format!("待确认 {n}")).click();
    h.run();
    assert_eq!(h.state().state.feed_tab, pingan_desktop::FeedTab::Attention);
    h.state_mut().wall = None;
    h.ctx.set_zoom_factor(1.0);
    h.run();
    // A replay adds its tag beside the clock.
    let t = h.state().state.now - chrono::Duration::hours(5);
    h.state_mut().apply(Command::Replay(ReplayCommand::At(t)));
    h.run();
    h.get_by_label("回放");
    check_all_sizes(&mut h, "local demo, replaying");
}

#[test]
fn the_header_linked_to_a_server_gives_the_link_its_own_room() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = pingan_sync::ServeConfig {
        db: dir.path().join("sync.db").display().to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 7,
        small: true,
        demo_district: true,
        patrol_every: None,
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).unwrap();
    let url = format!("http://{}", running.addr);
    let token = rt.block_on(async {
        let op = running.db.add_user("op", pingan_core::sync::Role::Operator).await.unwrap();
        running.db.new_token(&op).await.unwrap()
    });
    let mut options = test_options();
    options.server =
        Some(ServerOptions { url, token, cache: Some(dir.path().join("cache.sqlite")), trust: Default::default() });
    let mut h = harness(options);
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.query_by_label("在线").is_none() || h.query_by_label_contains("同步于").is_none() {
        assert!(Instant::now() < deadline, "the desk goes online");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    h.get_by_label_contains("待发送 0");
    check_all_sizes(&mut h, "online");
    drop(h);
    drop(running);
}
