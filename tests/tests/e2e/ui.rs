//! The command-room shell driven like an operator would: through egui_kittest's accessibility tree.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use pingan_core::{EventCategory, EventState};
use pingan_desktop::PinganApp;
use pingan_tests::test_options;

fn harness() -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

fn feed_rows(h: &Harness<'_, PinganApp>) -> usize {
    h.query_all_by_label_contains("YH-").count()
}

#[test]
fn starts_on_the_demo_district_with_a_live_feed() {
    let mut h = harness();
    h.run();
    let app = h.state();
    assert_eq!(app.state.district.name, "余杭区");
    assert_eq!(app.state.district.towns.len(), 12);
    assert!(app.state.situation.workers.len() > 100);
    // Header: counts that match the data.
    h.get_by_label("未办结事件");
    h.get_by_label("在岗网格员");
    let open = app.state.situation.events.iter().filter(|e| e.state.is_open()).count();
    assert!(open > 0);
    h.get_by_label(&open.to_string());
    h.get_by_label_contains("余杭区 · 12 镇街");
    // The feed lists events, the nearest deadline first.
    assert!(feed_rows(&h) >= 8, "feed shows {} rows", feed_rows(&h));
    let feed = app.state.feed();
    assert!(feed.windows(2).all(|w| w[0].deadline <= w[1].deadline), "by time left");
    h.get_by_label_contains(&feed[0].number);
}

#[test]
fn clicking_an_event_opens_its_detail_and_centres_the_map() {
    let mut h = harness();
    h.run();
    let (id, number, address, position) = {
        let e = h.state().state.feed()[2];
        (e.id, e.number.clone(), e.address.segmented(), e.position)
    };
    assert!(h.query_by_label("事件详情").is_none(), "no detail before a click");
    h.get_by_label_contains(&number).click();
    h.run();
    assert_eq!(h.state().state.selected, Some(id));
    h.get_by_label("事件详情");
    h.get_by_label(&address);
    h.get_by_label("处置流程");
    // The map flew to the event.
    let centre = h.state().view.map2d.memory.detached().expect("map centred on the event");
    assert!((centre.x() - position.lon).abs() < 1e-4 && (centre.y() - position.lat).abs() < 1e-4, "{centre:?}");
    assert!((h.state().view.map2d.memory.zoom() - 16.0).abs() < 0.05);
    // And closes again.
    h.get_by_label("关闭详情").click();
    h.run();
    assert!(h.query_by_label("事件详情").is_none());
}

#[test]
fn category_filter_narrows_the_feed() {
    let mut h = harness();
    h.run();
    let before = h.state().state.feed().len();
    h.get_by_label("类别").click();
    h.run();
    h.get_by_label("纠纷").click();
    h.run();
    let app = h.state();
    assert_eq!(app.state.filter.category, Some(EventCategory::Dispute));
    let after = app.state.feed();
    assert!(!after.is_empty() && after.len() < before, "{} of {before}", after.len());
    assert!(after.iter().all(|e| e.category == EventCategory::Dispute && e.state.is_open()));
    // Every row on screen is a dispute.
    let rows: Vec<String> = h.query_all_by_label_contains("YH-").filter_map(|n| n.accesskit_node().label()).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("纠纷")), "{rows:?}");
}

#[test]
fn status_and_town_filters_narrow_the_feed() {
    let mut h = harness();
    h.run();
    h.get_by_label("状态").click();
    h.run();
    h.get_by_label("已逾期").click();
    h.run();
    let now = pingan_tests::test_now();
    let overdue = h.state().state.feed().len();
    assert!(overdue > 0);
    assert!(h.state().state.feed().iter().all(|e| e.is_overdue(now)));
    h.get_by_label("镇街").click();
    h.run();
    // The town list scrolls; bring the option into view as an operator would.
    h.get_by_label("五常街道").scroll_to_me();
    h.run();
    h.get_by_label("五常街道").click();
    h.run();
    let app = h.state();
    let town = app.state.district.towns.iter().find(|t| t.name == "五常街道").unwrap().id;
    assert_eq!(app.state.filter.town, Some(town));
    assert!(app.state.feed().iter().all(|e| e.town == town && e.is_overdue(now)));
    assert!(app.state.feed().len() <= overdue);
}

#[test]
fn operator_accepts_a_reported_event_from_the_detail() {
    let mut h = harness();
    h.run();
    let Some((id, number)) =
        h.state().state.feed().iter().find(|e| e.state == EventState::Reported).map(|e| (e.id, e.number.clone()))
    else {
        panic!("the demo has reported events waiting")
    };
    // New reports have the most time left: far down the feed, so select it as a search would.
    h.state_mut().apply(pingan_desktop::Command::SelectEvent(id));
    h.run();
    h.get_by_label(&number);
    h.get_by_role_and_label(Role::Button, "受理").click();
    h.run();
    let e = h.state().state.situation.event(id).unwrap();
    assert_eq!(e.state, EventState::Accepted);
    assert_eq!(e.history.last().unwrap().to, EventState::Accepted);
    // Now dispatch is offered, acceptance is not.
    assert!(h.query_by_role_and_label(Role::Button, "受理").is_none());
    h.get_by_role_and_label(Role::Button, "派遣");
}

#[test]
fn english_switch() {
    let mut h = harness();
    h.run();
    h.get_by_label("English").click();
    h.run();
    h.get_by_label("Open events");
    h.get_by_label("Live events");
    h.get_by_label("中文").click();
    h.run();
    h.get_by_label("未办结事件");
}
