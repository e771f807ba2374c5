//! The story behind every colour (issue 17, items 2 and 3): a selected unit lists what drives its grade — its
//! children's shares, its categories', its heaviest events — and each line opens the next level down, to the list of
//! events; the dashboard reports on the district, a town, a community or a grid, its tiles the core's figures.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::UnitRef;
use pingan_core::report::{Span, domain_figures_in};
use pingan_desktop::panels::{dashboard_scope, rollup};
use pingan_desktop::{Command, MapMode, PinganApp};
use pingan_tests::test_options;

/// The app with its report computed.
fn ready() -> Harness<'static, PinganApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()));
    h.run();
    h.state_mut().state.assessment.wait();
    h.run();
    assert!(h.state().state.assessment.latest.is_some(), "the report is there");
    h
}

/// Click the widget named `label`, scrolled into view first.
fn click(h: &mut Harness<'static, PinganApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

/// The town whose score this period is heaviest, among those with at least two communities.
fn busiest_town(h: &Harness<'static, PinganApp>) -> pingan_core::TownId {
    let s = &h.state().state;
    let data = s.assessment.latest.clone().expect("a report");
    let town = s
        .district
        .towns
        .iter()
        .filter(|t| t.communities.len() >= 2)
        .max_by(|a, b| {
            data.assessment.towns[a.id.index()].weighted.total_cmp(&data.assessment.towns[b.id.index()].weighted)
        })
        .expect("a town with communities");
    town.id
}

#[test]
fn a_town_shows_what_drives_it_and_each_line_opens_the_next_level() {
    let mut h = ready();
    let town = busiest_town(&h);
    h.state_mut().apply(Command::SelectUnit(UnitRef::Town(town)));
    h.run();
    let d = h.state().state.district.clone();
    let data = h.state().state.assessment.latest.clone().unwrap();
    let detail = h.state().state.unit_detail.clone().expect("the town is explained");
    let e = &detail.explanation;
    assert!(e.score.weighted > 0.0 && e.by_child.len() >= 2, "the busiest town has scored communities");
    // Its communities' shares: each is the community's own score, and together they make 100 %.
    let total: f64 = e.by_child.iter().map(|c| c.share).sum::<f64>() + e.unplaced.map_or(0.0, |u| u.share);
    assert!((total - 1.0).abs() < 1e-9, "the shares sum to {total}");
    h.get_by_label("村社构成");
    for c in &e.by_child {
        assert!(matches!(c.unit, UnitRef::Community(_)), "{:?}: a town's children are communities", c.unit);
        let own = data.assessment.unit(c.unit);
        assert!((c.weighted - own.weighted).abs() < 1e-9 && c.grade == own.grade, "{:?}", c.unit);
        h.get_by_label(&rollup::child_label(&rollup::short_name(&d, c.unit), c.share));
    }
    // A community's line opens that community, which shows its grids.
    let child = e.by_child[1];
    click(&mut h, &rollup::child_label(&rollup::short_name(&d, child.unit), child.share));
    let detail = h.state().state.unit_detail.clone().expect("a unit");
    assert_eq!(detail.unit, child.unit, "the community line selects the community");
    h.get_by_label("网格构成");
    assert!(detail.explanation.by_child.iter().all(|c| matches!(c.unit, UnitRef::Grid(_))));
    // Its heaviest category's line lists exactly the events it counted.
    let cat = detail.explanation.by_category[0];
    click(&mut h, &rollup::category_label(cat.category.zh(), cat.events, cat.share));
    let drilled = h.state().state.drilled().expect("the category line drills through");
    assert_eq!(drilled.total(), cat.events as usize, "the list behind the category line");
    // The heaviest events are listed; a history record's line drills the feed to it.
    let history = detail.top_events.iter().find(|t| t.event.is_none()).copied();
    if let Some(t) = history {
        click(&mut h, &rollup::event_label(&t));
        let drilled = h.state().state.drilled().expect("the event line drills through");
        assert!(drilled.history.iter().any(|r| **r == t.record), "the record is listed");
    }
    // The path leads back up: the town's link.
    let up = rollup::short_name(&d, UnitRef::Town(town));
    h.get_by_role_and_label(Role::Link, &up).scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Link, &up).click();
    h.run();
    assert_eq!(h.state().state.unit_detail.as_ref().map(|u| u.unit), Some(UnitRef::Town(town)));
}

#[test]
fn the_dashboard_reports_on_the_town_chosen_in_its_selector() {
    let mut h = ready();
    h.state_mut().apply(Command::SetMapMode(MapMode::Dashboard));
    h.state_mut().state.assessment.wait();
    h.run();
    let town = busiest_town(&h);
    let name = rollup::short_name(&h.state().state.district, UnitRef::Town(town));
    // The selector starts at the district; its town box lists the towns.
    h.get_by(|n| n.role() == Role::ComboBox && n.value().as_deref() == Some("全区")).click();
    h.run();
    // The box scrolls: the town's entry into view, then clicked.
    h.get_by_role_and_label(Role::Button, &name).scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, &name).click();
    h.run();
    let s = &h.state().state;
    assert_eq!(dashboard_scope::scope(s), UnitRef::Town(town), "the dashboard reports on the town");
    // Its tiles are the core's figures for the town, 环比 and 同比 included.
    let figures = domain_figures_in(&s.records(), s.now, UnitRef::Town(town));
    let data = s.assessment.latest.clone().unwrap();
    assert_eq!(dashboard_scope::figures_of(&data, UnitRef::Town(town)), figures);
    let district = dashboard_scope::figures_of(&data, UnitRef::District);
    assert!(figures.iter().zip(&district).all(|(t, d)| t.year <= d.year), "a town is part of the district");
    for f in &figures {
        for (span, n) in [(Span::Day, f.day), (Span::Month, f.month), (Span::Year, f.year)] {
            h.get_by_label(&dashboard_scope::tile_name(Some(&name), f.domain, span, n));
        }
    }
    // The league within the town: its communities.
    let (level, rows) =
        pingan_core::report::league_within(&s.district, &data.assessment, &data.previous, UnitRef::Town(town));
    assert_eq!(level, pingan_core::report::Level::Community);
    assert_eq!(rows.len(), s.district.towns[town.index()].communities.len());
    h.get_by_label(&dashboard_scope::league_title(s, UnitRef::Town(town), level));
    // A tile's figure drills to exactly the town's events behind it.
    let f = *figures.iter().max_by_key(|f| f.year).unwrap();
    click(&mut h, &dashboard_scope::tile_name(Some(&name), f.domain, Span::Year, f.year));
    let drilled = h.state().state.drilled().expect("the tile drills through");
    assert_eq!(drilled.total(), f.year as usize, "the list behind the town's tile");
    assert!(drilled.history.iter().all(|r| r.town == town) && drilled.live.iter().all(|e| e.town == town));
}
