//! The command loop at the desk, driven through the accessibility tree like an operator: a phone-in typed into the
//! report form (Chinese text, a typed address code) and routed to its level; dispatch by choice from the grid's
//! workers; a reason typed for an escalation (and required); the map's timer rings and level badges; the feed by
//! time left and "my level".

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pingan_core::routing::{Level, Urgency};
use pingan_core::{EventAction, EventState, Severity};
use pingan_desktop::{Command, PinganApp};
use pingan_tests::test_options;

fn harness() -> Harness<'static, PinganApp> {
    Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(|cc| PinganApp::new(cc, test_options()))
}

#[test]
fn a_phone_in_is_typed_routed_and_reported() {
    let mut h = harness();
    h.run();
    // A building of the district, by its code.
    let (building, code, town) = {
        let d = &h.state().state.district;
        let b = &d.buildings[d.buildings.len() / 3];
        (b.id, b.code, d.grid(b.grid).town)
    };
    let before = h.state().state.situation.events.len();
    h.get_by_role_and_label(Role::Button, "上报事件").click();
    h.run();
    assert!(h.state().state.report.is_some(), "the form opened");
    // Nothing to send yet: the form says what is missing.
    h.get_by_label_contains("请在地图上点选位置或输入地址编码");
    h.get_by_role_and_label(Role::Button, "重大").click();
    h.run();
    let description = h.get_by_role(Role::MultilineTextInput);
    description.focus();
    h.run();
    h.get_by_role(Role::MultilineTextInput).type_text("小区门口两车相撞，有人受伤");
    h.run();
    let code_box = h.get_by_role_and_label(Role::TextInput, "地址编码");
    code_box.focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "地址编码").type_text(&code.segmented());
    h.run();
    // Before sending: the place found and the level it goes to (a major dispute: the town).
    h.get_by_label_contains("分派至 镇街");
    h.get_by_role_and_label(Role::Button, "提交上报").click();
    h.run();
    let s = &h.state().state;
    assert!(s.report.is_none(), "the form closed once the report was taken");
    assert_eq!(s.situation.events.len(), before + 1);
    let e = s.situation.events.last().unwrap();
    assert_eq!(e.title, "小区门口两车相撞，有人受伤");
    assert_eq!((e.severity, e.level, e.building, e.town), (Severity::Major, Level::Town, Some(building), town));
    assert_eq!(e.address, code);
    assert_eq!(e.deadline, e.reported_at + s.routing.time_limit(Level::Town, Severity::Major));
    assert_eq!(s.selected, Some(e.id), "the new event is selected");
    let number = e.number.clone();
    h.get_by_label_contains(&format!("已上报 {number}"));
}

#[test]
fn a_map_click_places_the_report_and_a_click_outside_is_refused() {
    let mut h = harness();
    h.run();
    h.state_mut().apply(Command::OpenReport);
    let mut d = h.state().state.report.clone().unwrap();
    d.description = "噪音扰民".into();
    d.picking = true;
    h.state_mut().apply(Command::EditReport(d));
    // Outside every grid: refused with the reason, the form stays.
    h.state_mut().apply(Command::ReportPlace(pingan_core::LonLat::new(100.0, 20.0)));
    h.state_mut().apply(Command::SubmitReport);
    assert!(h.state().state.report.is_some());
    assert!(h.state().state.messages.back().unwrap().1.contains("不在任何网格内"));
    // Inside a grid (at its label): reported there.
    let (grid, at) = {
        let g = &h.state().state.district.grids[5];
        (g.id, g.label_at)
    };
    h.state_mut().apply(Command::ReportPlace(at));
    h.state_mut().apply(Command::SubmitReport);
    let e = h.state().state.situation.events.last().unwrap();
    assert_eq!((e.grid, e.title.as_str(), e.level), (grid, "噪音扰民", Level::Community));
}

#[test]
fn dispatch_lists_the_grids_workers_and_sends_the_chosen_one() {
    let mut h = harness();
    h.run();
    // An accepted event whose grid has at least two workers.
    let (id, preselected, other) = {
        let s = &h.state().state;
        s.situation
            .events
            .iter()
            .filter(|e| e.state == EventState::Accepted)
            .find_map(|e| {
                let pre = s.situation.dispatch_choice(e.id)?;
                let other = s.situation.workers.iter().find(|w| w.grids.contains(&e.grid) && w.id != pre)?;
                Some((e.id, pre, other.id))
            })
            .expect("an accepted event in a grid with two workers")
    };
    h.state_mut().apply(Command::SelectEvent(id));
    h.run();
    h.get_by_role_and_label(Role::Button, "派遣").click();
    h.run();
    let name = |h: &Harness<'_, PinganApp>, w| h.state().state.situation.worker(w).unwrap().name.clone();
    // The nearest free worker is preselected: the send button names them.
    h.get_by_label(&format!("派遣 → {}", name(&h, preselected)));
    h.get_by_label(&name(&h, other)).click();
    h.run();
    h.get_by_label(&format!("派遣 → {}", name(&h, other))).click();
    h.run();
    let e = h.state().state.situation.event(id).unwrap();
    assert_eq!((e.state, e.assignee), (EventState::Assigned, Some(other)));
    assert!(h.state().state.action.is_none(), "the form closed");
}

#[test]
fn an_escalation_needs_a_typed_reason_and_goes_one_level_up() {
    let mut h = harness();
    h.run();
    let id = {
        let s = &h.state().state;
        s.situation
            .events
            .iter()
            .find(|e| e.state == EventState::InDisposal && e.level == Level::Community)
            .expect("a community item in disposal")
            .id
    };
    h.state_mut().apply(Command::SelectEvent(id));
    h.run();
    h.get_by_role_and_label(Role::Button, "上报升级").click();
    h.run();
    // No reason yet: the submit button does nothing.
    h.get_by_role_and_label(Role::Button, "确认提交").click();
    h.run();
    assert_eq!(h.state().state.situation.event(id).unwrap().state, EventState::InDisposal);
    h.get_by_role(Role::MultilineTextInput).focus();
    h.run();
    h.get_by_role(Role::MultilineTextInput).type_text("涉及多个村社，需镇街协调");
    h.run();
    h.get_by_role_and_label(Role::Button, "确认提交").click();
    h.run();
    let e = h.state().state.situation.event(id).unwrap();
    assert_eq!((e.state, e.level), (EventState::Escalated, Level::Town));
    let last = e.history.last().unwrap();
    assert_eq!(last.action, EventAction::Escalate { reason: "涉及多个村社，需镇街协调".into() });
    assert_eq!(last.level, Some(Level::Town));
    assert!(e.escalated());
    h.get_by_label_contains("（升级）");
}

#[test]
fn the_map_marks_events_near_their_deadline_overdue_and_escalated() {
    let mut h = harness();
    h.run();
    h.run();
    let (near, overdue, escalated) = {
        let s = &h.state().state;
        let open = s.situation.events.iter().filter(|e| e.state.is_open());
        let (mut n, mut o, mut x) = (0, 0, 0);
        for e in open {
            match s.routing.urgency(e, s.now) {
                Urgency::Near => n += 1,
                Urgency::Overdue => o += 1,
                Urgency::Calm => {}
            }
            x += e.escalated() as usize;
        }
        (n, o, x)
    };
    assert!(
        near > 0 && overdue > 0 && escalated > 0,
        "the demo has each: {near} near, {overdue} overdue, {escalated} escalated"
    );
    let marks = h.state().view.map2d.marks;
    assert_eq!((marks.near, marks.overdue, marks.escalated), (near, overdue, escalated));
    // The feed: open events by time left, the most urgent first.
    let feed = h.state().state.feed();
    assert!(feed.windows(2).all(|w| w[0].deadline <= w[1].deadline), "by time left");
}

#[test]
fn my_level_shows_the_rooms_own_items_and_what_went_above_it() {
    let mut h = harness();
    h.run();
    let all = h.state().state.feed().len();
    // The local demo's room is the district's: "my level" keeps the district's own items.
    h.get_by_label_contains("本级事项").click();
    h.run();
    let s = &h.state().state;
    let mine = s.feed();
    assert!(mine.len() < all && !mine.is_empty(), "{} of {all}", mine.len());
    assert!(mine.iter().all(|e| e.level == Level::District));
    // A town's room: its town's items, and what went to the district from it.
    let t = s.district.towns[0].id;
    let mut f = s.filter;
    f.mine = Some(pingan_core::UnitRef::Town(t));
    h.state_mut().apply(Command::SetFilter(f));
    let s = &h.state().state;
    assert!(s.feed().iter().all(|e| e.town == t && e.level >= Level::Town));
}

#[test]
fn a_sensor_warnings_evidence_is_drawn_in_its_detail() {
    use pingan_core::sensors::{Reading, RuleEngine, Sensor, SensorId, SensorRules, Value};
    let mut h = harness();
    h.run();
    // A water meter at a flat of the district, silent for 20 hours: the core's rule fires with its readings.
    let (address, position) = {
        let b = &h.state().state.district.buildings[200];
        (b.code.room(1, 2, 1).unwrap(), b.footprint.centroid())
    };
    let meter = Sensor {
        id: SensorId(7),
        kind: pingan_core::SensorKind::WaterMeter,
        address,
        position,
        elderly_alone: true,
        view: None,
    };
    let mut engine = RuleEngine::new(SensorRules::default());
    let start = pingan_tests::test_now() - chrono::Duration::hours(21);
    let mut warning = None;
    for hour in 0..=20 {
        let value = Value::Flow { litres: if hour == 0 { 8.0 } else { 0.0 } };
        let r = Reading { sensor: meter.id, at: start + chrono::Duration::hours(hour), value };
        warning = engine.ingest(&meter, &r).unwrap().or(warning);
    }
    let w = warning.expect("the rule fired");
    // Reported as a warning event at the meter's flat (routed like any report), its evidence attached.
    h.state_mut().apply(Command::OpenReport);
    let mut d = h.state().state.report.clone().unwrap();
    d.code = address.segmented();
    d.description = w.summary.clone();
    d.category = w.rule.category();
    let mut e = d.event(&h.state().state).unwrap();
    e.source = pingan_core::EventSource::Sensor(meter.kind);
    e.evidence = Some(Box::new(pingan_core::Evidence { rule: w.rule, sensor: w.sensor, series: w.evidence.clone() }));
    pingan_core::validate::check_event(&e, &h.state().state.district).unwrap();
    let id = e.id;
    h.state_mut().state.situation.events.push(e);
    h.state_mut().apply(Command::CloseReport);
    h.state_mut().apply(Command::SelectEvent(id));
    h.run();
    h.get_by_label("感知证据");
    h.get_by_label_contains("水表长时间无流量 · 设备 #7");
    assert_eq!(w.evidence.len(), 21);
    // Checked on the spot; closing it asks what it turned out to be, and records it.
    let now = h.state().state.now;
    let worker = h.state().state.situation.dispatch_choice(id).expect("a worker for the grid");
    for a in [
        EventAction::Accept,
        EventAction::Assign { worker },
        EventAction::StartDisposal,
        EventAction::SubmitFeedback { note: "已上门，老人安好，外出探亲".into() },
    ] {
        h.state_mut().state.situation.act(id, a, now, &pingan_core::routing::RoutingConfig::default()).unwrap();
    }
    h.run();
    h.get_by_role_and_label(Role::Button, "办结").click();
    h.run();
    h.get_by_role(Role::MultilineTextInput).focus();
    h.run();
    h.get_by_role(Role::MultilineTextInput).type_text("核实无异常");
    h.run();
    // Without the outcome the close is not sent.
    h.get_by_role_and_label(Role::Button, "确认提交").click();
    h.run();
    assert_eq!(h.state().state.situation.event(id).unwrap().state, EventState::Feedback);
    h.get_by_label("误报").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "确认提交").click();
    h.run();
    let e = h.state().state.situation.event(id).unwrap();
    assert_eq!(e.state, EventState::Closed);
    assert_eq!(
        e.history.last().unwrap().action,
        EventAction::Close { note: "核实无异常".into(), outcome: Some(pingan_core::WarningOutcome::FalseAlarm) }
    );
}

#[test]
fn the_detail_lists_the_reports_merged_into_an_event() {
    let mut h = harness();
    h.run();
    let (id, at, position) = {
        let e = h.state().state.situation.events.iter().find(|e| e.state.is_open()).unwrap();
        (e.id, e.reported_at, e.position)
    };
    let report = pingan_core::LinkedReport {
        at: at + chrono::Duration::minutes(12),
        source: pingan_core::EventSource::Hotline,
        title: "又有群众来电反映同一情况".into(),
        position,
    };
    let change = pingan_core::sync::ChangeBody::ReportLinked { event: id, report };
    assert!(h.state_mut().state.situation.apply_change(&change));
    h.state_mut().apply(Command::SelectEvent(id));
    h.run();
    h.get_by_label("关联上报 (1)");
    h.get_by_label("又有群众来电反映同一情况");
}
