//! Every user action is a `Command`: each one tested here without a screen, on the state (`AppState::apply`) and
//! on the view state (`ViewState::follow`), which are the only two places they change anything.

use pingan_core::{EventAction, EventState, UnitRef, WorkerStatus};
use pingan_demo::{DemoSpec, SimConfig};
use pingan_desktop::services::assessment::RiskView;
use pingan_desktop::services::import_job::{ImportMode, ImportRequest};
use pingan_desktop::state::view::{Map2dView, View3d};
use pingan_desktop::state::{FeedFilter, Picked, StatusFilter, ViewState};
use pingan_desktop::{AppOptions, AppState, Clock, Command, Lang, MapMode};
use std::sync::Arc;

fn options() -> AppOptions {
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-14T09:30:00+08:00").unwrap().to_utc();
    AppOptions {
        spec: DemoSpec::small(7),
        sim: SimConfig { events_per_hour: 24.0, ..SimConfig::default() },
        clock: Clock::Fixed(at),
        ..AppOptions::default()
    }
}

fn setup() -> (AppState, ViewState) {
    let state = AppState::new(&options());
    let scene = Arc::new(pingan_render::Scene::from_district(&state.district));
    let view =
        ViewState { map2d: Map2dView::new(&state.district, None), map3d: View3d::new(scene, &state.district, false) };
    (state, view)
}

/// What the app does with a command: the cameras follow it, then the state carries it out.
fn apply(state: &mut AppState, view: &mut ViewState, cmd: Command) {
    view.follow(&cmd, state);
    state.apply(cmd);
}

#[test]
fn selecting_an_event_selects_it_and_flies_there_and_unknown_ids_change_nothing() {
    let (mut s, mut v) = setup();
    let e = s.situation.events.last().expect("the demo has events").clone();
    let version = s.version;
    apply(&mut s, &mut v, Command::SelectEvent(e.id));
    assert_eq!(s.selected, Some(e.id));
    assert!(s.version > version, "a command bumps the version (the app repaints)");
    let fly = v.map2d.fly_to.expect("the 2D map flies to the event");
    assert_eq!((fly.target, fly.zoom), (e.position, 16.0));
    assert!(v.map3d.flight.is_none(), "the 3D camera stays while the 2D map is shown");
    apply(&mut s, &mut v, Command::ClearSelection);
    assert_eq!(s.selected, None);
    v.map2d.fly_to = None;
    apply(&mut s, &mut v, Command::SelectEvent(pingan_core::EventId(u64::MAX)));
    assert_eq!(s.selected, None);
    assert!(v.map2d.fly_to.is_none());
    // In 3D the 3D camera flies too.
    apply(&mut s, &mut v, Command::SetMapMode(MapMode::Map3d));
    apply(&mut s, &mut v, Command::SelectEvent(e.id));
    assert!(v.map3d.flight.is_some());
}

#[test]
fn filters_language_and_risk_view() {
    let (mut s, mut v) = setup();
    let open = s.feed().len();
    apply(&mut s, &mut v, Command::SetFilter(FeedFilter { status: StatusFilter::All, ..FeedFilter::default() }));
    assert_eq!(s.filter.status, StatusFilter::All);
    assert!(s.feed().len() >= open);
    assert!(s.feed().len() == s.situation.events.len());
    let town = s.district.towns[0].id;
    let filter = FeedFilter { town: Some(town), ..s.filter };
    apply(&mut s, &mut v, Command::SetFilter(filter));
    assert!(s.feed().iter().all(|e| e.town == town));
    apply(&mut s, &mut v, Command::SetLang(Lang::En));
    assert_eq!(s.lang, Lang::En);
    let view = RiskView { period: pingan_core::assess::PeriodKind::Year, ..RiskView::default() };
    apply(&mut s, &mut v, Command::SetRiskView(view));
    assert_eq!(s.risk_view, view);
}

#[test]
fn selecting_a_unit_explains_it_and_a_unit_that_does_not_exist_is_ignored() {
    let (mut s, mut v) = setup();
    let g = s.district.grids[3].id;
    apply(&mut s, &mut v, Command::SelectUnit(UnitRef::Grid(g)));
    let d = s.unit_detail.as_ref().expect("a breakdown");
    assert_eq!(d.unit, UnitRef::Grid(g));
    assert_eq!(d.trend.len(), 12);
    // A new period explains it again, for that period.
    let year = RiskView { period: pingan_core::assess::PeriodKind::Year, ..s.risk_view };
    apply(&mut s, &mut v, Command::SetRiskView(year));
    assert_eq!(s.unit_detail.as_ref().map(|d| d.period.kind), Some(pingan_core::assess::PeriodKind::Year));
    apply(&mut s, &mut v, Command::SelectUnit(UnitRef::Grid(pingan_core::GridId(999_999))));
    assert_eq!(s.unit_detail.as_ref().map(|d| d.unit), Some(UnitRef::Grid(g)), "unchanged");
    apply(&mut s, &mut v, Command::ClearSelection);
    assert!(s.unit_detail.is_none());
}

#[test]
fn acting_on_an_event_follows_the_lifecycle_and_the_dispatch_rule() {
    let (mut s, mut v) = setup();
    let e = s
        .situation
        .events
        .iter()
        .find(|e| matches!(e.state, EventState::Accepted))
        .or_else(|| s.situation.events.iter().find(|e| e.state == EventState::Reported))
        .expect("an event to dispatch")
        .clone();
    if e.state == EventState::Reported {
        apply(&mut s, &mut v, Command::Act(e.id, EventAction::Accept));
        assert_eq!(s.situation.event(e.id).map(|e| e.state), Some(EventState::Accepted));
    }
    let worker = s.situation.dispatch_choice(e.id).expect("someone serves the grid");
    apply(&mut s, &mut v, Command::Act(e.id, EventAction::Assign { worker }));
    let after = s.situation.event(e.id).expect("still there");
    assert_eq!((after.state, after.assignee), (EventState::Assigned, Some(worker)));
    assert_eq!(s.situation.worker(worker).map(|w| w.status), Some(WorkerStatus::Handling(e.id)));
    // A step the lifecycle does not allow is refused with a message, and nothing changes.
    let messages = s.messages.len();
    apply(&mut s, &mut v, Command::Act(e.id, EventAction::Accept));
    assert_eq!(s.situation.event(e.id).map(|e| e.state), Some(EventState::Assigned));
    assert_eq!(s.messages.len(), messages + 1, "the operator is told");
    // Disposal, feedback, closing: closing frees the worker (the one status rule in pingan-core).
    apply(&mut s, &mut v, Command::Act(e.id, EventAction::StartDisposal));
    apply(&mut s, &mut v, Command::Act(e.id, EventAction::SubmitFeedback { note: "done".into() }));
    assert_eq!(s.situation.worker(worker).map(|w| w.status), Some(WorkerStatus::Handling(e.id)));
    apply(&mut s, &mut v, Command::Act(e.id, EventAction::Close { note: "ok".into(), outcome: None }));
    assert_eq!(s.situation.event(e.id).map(|e| e.state), Some(EventState::Closed));
    assert_eq!(s.situation.worker(worker).map(|w| w.status), Some(WorkerStatus::Patrolling));
}

#[test]
fn camera_commands_move_only_the_view() {
    let (mut s, mut v) = setup();
    let version = s.version;
    let at = s.district.towns[1].label_at;
    apply(&mut s, &mut v, Command::FlyTo(at, 14.0));
    assert_eq!(v.map2d.fly_to.map(|f| (f.target, f.zoom)), Some((at, 14.0)));
    apply(&mut s, &mut v, Command::ShowWholeDistrict);
    assert!(v.map2d.fit_pending && v.map2d.fly_to.is_none());
    assert_eq!(s.selected, None);
    assert!(s.version > version);
    // 2D → 3D → 2D keeps the place.
    v.map2d.fit_pending = false;
    v.map2d.memory.center_at(walkers::lon_lat(at.lon, at.lat));
    v.map2d.memory.set_zoom(14.0).ok();
    apply(&mut s, &mut v, Command::SetMapMode(MapMode::Map3d));
    assert_eq!(s.map_mode, MapMode::Map3d);
    let (c, zoom) = v.map3d.to_2d(v.map3d.last_size.y);
    assert!(c.distance_m(at) < 5.0 && (zoom - 14.0).abs() < 0.05, "3D took the 2D place: {c:?} {zoom}");
    v.map3d.camera.target[0] += 500.0;
    apply(&mut s, &mut v, Command::SetMapMode(MapMode::Map2d));
    let back = v.map2d.centre(at);
    assert!((back.distance_m(at) - 500.0).abs() < 10.0, "2D took the moved 3D place");
    apply(&mut s, &mut v, Command::SetMapMode(MapMode::Dashboard));
    assert_eq!(s.map_mode, MapMode::Dashboard);
}

#[test]
fn picking_in_3d_shows_a_card_and_flies_to_a_worker() {
    let (mut s, mut v) = setup();
    let b = s.district.buildings[0].id;
    apply(&mut s, &mut v, Command::Pick(Picked::Building(b)));
    assert_eq!(v.map3d.card, Some(Picked::Building(b)));
    assert!(v.map3d.flight.is_none());
    let w = s.situation.workers[0].id;
    apply(&mut s, &mut v, Command::Pick(Picked::Worker(w)));
    assert_eq!(v.map3d.card, Some(Picked::Worker(w)));
    assert!(v.map3d.flight.is_some(), "flies to the worker");
    apply(&mut s, &mut v, Command::ClearPick);
    assert_eq!(v.map3d.card, None, "a click on nothing closes the card");
    apply(&mut s, &mut v, Command::Note("已导出 5 → /tmp/x".into()));
    assert_eq!(s.messages.back().map(|(_, m)| m.as_str()), Some("已导出 5 → /tmp/x"), "shown in the status bar");
}

#[test]
fn import_commands_without_an_import_change_nothing_and_a_second_import_waits() {
    let (mut s, mut v) = setup();
    let dir = tempfile::tempdir().unwrap();
    let request = ImportRequest {
        path: dir.path().join("nothing.geojson"),
        crs: pingan_core::import::Crs::Wgs84,
        as_: pingan_core::import::ImportAs::Auto,
        mode: ImportMode::Replace,
    };
    apply(&mut s, &mut v, Command::ImportDialog(request.clone()));
    assert_eq!(s.import_dialog.as_ref(), Some(&request));
    apply(&mut s, &mut v, Command::CloseImportDialog);
    assert!(s.import_dialog.is_none());
    for cmd in [Command::AcceptImport, Command::RejectImport, Command::RemoveScenario] {
        apply(&mut s, &mut v, cmd);
    }
    assert!(s.scenario.is_none() && s.import_job.is_none() && s.pending_import.is_none());
    // A missing file: the job fails off the UI thread and says so; nothing changes.
    let district = s.district.clone();
    apply(&mut s, &mut v, Command::Import(request.clone()));
    assert!(s.import_job.is_some());
    let messages = s.messages.len();
    apply(&mut s, &mut v, Command::Import(request));
    assert_eq!(s.messages.len(), messages + 1, "one import at a time: told");
    for _ in 0..500 {
        s.tick();
        if s.import_job.is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(s.import_job.is_none(), "the job finished");
    assert!(Arc::ptr_eq(&district, &s.district), "the district is unchanged");
    assert!(s.messages.back().is_some_and(|(_, m)| m.contains("nothing.geojson")), "{:?}", s.messages.back());
}

#[test]
fn the_local_demo_sensors_raise_routed_warnings_with_evidence() {
    use pingan_desktop::services::demo_sensors::DemoSensors;
    let (mut state, _) = setup();
    let start = state.now;
    let mut sensors = DemoSensors::new(&state.district, 7, start);
    let before = state.situation.events.len();
    let routing = pingan_core::routing::RoutingConfig::default();
    let mut fired = 0;
    // Twelve hours in ten-minute steps.
    for step in 1..=72 {
        let now = start + chrono::Duration::minutes(10 * step);
        fired += sensors.advance(&state.district, &mut state.situation, &routing, now);
    }
    assert!(fired >= 12, "about four warnings an hour: {fired}");
    let warnings: Vec<_> = state.situation.events[before..].iter().collect();
    let linked: usize = state.situation.events.iter().map(|e| e.linked.len()).sum();
    assert_eq!(warnings.len() + linked, fired, "each warning is a new event or a linked report");
    assert!(!warnings.is_empty());
    for e in &warnings {
        let ev = e.evidence.as_ref().expect("a warning carries its readings");
        assert!(!ev.series.is_empty());
        assert_eq!(e.category, ev.rule.category());
        assert!(matches!(e.source, pingan_core::EventSource::Sensor(_)));
        assert_eq!(e.deadline, e.reported_at + routing.time_limit(e.level, e.severity), "routed at intake");
        pingan_core::validate::check_event(e, &state.district).unwrap();
    }
    // Ids stay dense and sorted, so the simulator and the detail keep finding events.
    assert!(state.situation.events.windows(2).all(|w| w[0].id < w[1].id));
    let rules: std::collections::HashSet<_> = warnings.iter().map(|e| e.evidence.as_ref().unwrap().rule).collect();
    assert!(rules.len() >= 3, "several rules fire: {rules:?}");
}

// The wall layout (issue 16): parsed, checked, refused with the reason.

#[test]
fn the_shipped_layout_is_three_screens_map_in_the_middle() {
    let w = pingan_desktop::wall::WallLayout::default();
    assert_eq!(w.screens.len(), 3);
    assert_eq!(w.screens[1].panels, vec![pingan_desktop::wall::WallPanel::Map]);
    use pingan_desktop::wall::WallPanel::{Detail, Report};
    assert_eq!(w.screens[0].panels, vec![Report, Detail]);
    let all = |_| true;
    let s = pingan_desktop::wall::shares(&w.screens[0], all);
    assert!((s[0] - 0.62).abs() < 1e-6 && (s[1] - 0.38).abs() < 1e-6, "{s:?}");
    // Nothing selected: the detail gives its height to the report.
    assert_eq!(pingan_desktop::wall::shares(&w.screens[0], |p| p != Detail), vec![1.0, 0.0]);
    assert_eq!(pingan_desktop::wall::shares(&w.screens[1], all), vec![1.0]);
    // Sizes are made for 1080 px times the shipped font scale (1.6, the 5-m rule).
    assert!((w.zoom_for(1080.0) - 1.6).abs() < 1e-6);
    assert!((w.zoom_for(2160.0) - 3.2).abs() < 1e-6);
}

#[test]
fn a_bad_layout_says_what_is_wrong() {
    let bad = |t: &str, want: &str| {
        let e = pingan_desktop::wall::WallLayout::from_toml(t).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    };
    bad("font_scale = 9\n[[screen]]\nmonitor = 0\npanels = [\"map\"]", "font_scale");
    bad("[[screen]]\nmonitor = 0\npanels = [\"mapp\"]", "unknown variant");
    bad("[[screen]]\nmonitor = 0\npanels = []", "no panels");
    bad("[[screen]]\nmonitor = 0\npanels = [\"feed\"]", "no screen shows the map");
    bad("[[screen]]\nmonitor = 0\npanels = [\"map\", \"map\"]", "twice");
    bad("[[screen]]\nposition = [0, 0]\nsize = [11520, 2160]\npanels = [\"map\"]", "one screen per display");
    bad("[[screen]]\nmonitor = 0\nposition = [0, 0]\npanels = [\"map\"]", "either a monitor or a position");
    bad("[[screen]]\nmonitor = 0\npanels = [\"map\", \"feed\"]\nweights = [1]", "one positive weight");
    bad("screens = 3", "wall layout");
    // A file that does not read gives the default and the reason.
    let dir = std::env::temp_dir().join(format!("pingan-wall-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("wall.toml");
    std::fs::write(&p, "[[screen]]\nmonitor = 0\npanels = [\"dashboard\"]").unwrap();
    let (w, why) = pingan_desktop::wall::WallLayout::load(&p);
    assert_eq!(w, pingan_desktop::wall::WallLayout::default());
    assert!(why.unwrap().contains("using the default layout"));
    let (_, why) = pingan_desktop::wall::WallLayout::load(&dir.join("missing.toml"));
    assert!(why.unwrap().contains("missing.toml"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_tour_dwells_pauses_on_input_and_resumes_with_the_next_stop() {
    use pingan_desktop::tour::Tour;
    use pingan_desktop::wall::{TourConfig, TourKind, TourStops};
    let config = TourConfig { stops: TourStops::Kind(TourKind::Towns), dwell_s: 20.0, resume_after_s: 60.0 };
    let mut t = Tour::new(config.clone());
    let quiet = f64::INFINITY;
    assert_eq!(t.step(0.0, quiet, 3), Some(0), "starts at once");
    assert_eq!(t.step(10.0, quiet, 3), None, "dwells");
    assert_eq!(t.due_in(10.0), Some(10.0));
    assert_eq!(t.step(20.0, quiet, 3), Some(1));
    // The operator touches something at 25 s: paused, and stays paused for a minute of quiet.
    assert_eq!(t.step(25.0, 0.0, 3), None);
    assert!(t.paused);
    assert_eq!(t.step(80.0, 55.0, 3), None);
    assert!(t.paused);
    // Quiet for a minute: on with the next stop at once, then round again.
    assert_eq!(t.step(86.0, 61.0, 3), Some(2));
    assert!(!t.paused);
    assert_eq!(t.step(106.0, 81.0, 3), Some(0), "wraps around");
    assert_eq!(Tour::new(config).step(0.0, quiet, 0), None, "nothing to visit");
    // The stops: every town; named units; the red communities of the view.
    let (mut state, _) = setup();
    let towns = Tour::new(TourConfig { stops: TourStops::Kind(TourKind::Towns), dwell_s: 20.0, resume_after_s: 60.0 });
    let stops = towns.stops(&state);
    assert_eq!(stops.len(), state.district.towns.len());
    assert_eq!(stops[0].at, state.district.towns[0].label_at);
    let names = vec![
        state.district.communities[2].name.clone(),
        "不存在的镇".to_string(),
        state.district.towns[1].name.clone(),
    ];
    let named = Tour::new(TourConfig { stops: TourStops::Names(names), dwell_s: 20.0, resume_after_s: 60.0 });
    let stops = named.stops(&state);
    assert_eq!(stops.len(), 2, "an unknown name is left out");
    assert_eq!(stops[0].unit, UnitRef::Community(state.district.communities[2].id));
    assert_eq!(stops[1].unit, UnitRef::Town(state.district.towns[1].id));
    state.tick();
    state.assessment.wait();
    let red = Tour::new(TourConfig { stops: TourStops::Kind(TourKind::Red), dwell_s: 20.0, resume_after_s: 60.0 });
    let a = &state.assessment.latest.as_ref().unwrap().assessment;
    let n_red = a.communities.iter().filter(|c| c.grade == pingan_core::assess::Grade::Red).count();
    let stops = red.stops(&state);
    assert_eq!(stops.len(), n_red);
    assert!(
        stops.windows(2).all(|w| {
            let score = |s: &pingan_desktop::tour::Stop| match s.unit {
                UnitRef::Community(c) => a.communities[c.index()].normalised,
                _ => f64::NAN,
            };
            score(&w[0]) >= score(&w[1])
        }),
        "reddest first"
    );
    // A layout's tour settings are checked.
    let bad = "[tour]\nstops = \"towns\"\ndwell_s = 1\n[[screen]]\nmonitor = 0\npanels = [\"map\"]";
    assert!(pingan_desktop::wall::WallLayout::from_toml(bad).unwrap_err().to_string().contains("dwell_s"));
    let named = "[tour]\nstops = [\"良渚街道\"]\n[[screen]]\nmonitor = 0\npanels = [\"map\"]";
    let w = pingan_desktop::wall::WallLayout::from_toml(named).unwrap();
    assert_eq!(w.tour.unwrap().stops, TourStops::Names(vec!["良渚街道".into()]));
}

#[test]
fn drilling_through_a_number_lists_exactly_its_events_and_clearing_restores_the_feed() {
    use pingan_core::report::{Domain, Span, domain_figures};
    use pingan_core::situation::HeadlineCount;
    use pingan_desktop::state::Drill;
    let (mut s, mut v) = setup();
    let normal: Vec<_> = s.feed().iter().map(|e| e.id).collect();
    apply(&mut s, &mut v, Command::SetFeedTab(pingan_desktop::FeedTab::TaskBooks));
    let h = s.situation.headline(s.now);
    apply(&mut s, &mut v, Command::Drill(Drill::Headline(HeadlineCount::Open)));
    assert_eq!(s.feed_tab, pingan_desktop::FeedTab::Events, "a drill shows the events tab");
    assert_eq!(s.drilled().unwrap().total(), h.open);
    assert!(s.drilled().unwrap().history.is_empty(), "the header counts live events only");
    // A domain's figures count the history and the live events: the drill lists both.
    let figures = domain_figures(&s.records(), s.now);
    for (k, d) in Domain::ALL.iter().enumerate() {
        for (span, n) in [(Span::Day, figures[k].day), (Span::Month, figures[k].month), (Span::Year, figures[k].year)] {
            apply(&mut s, &mut v, Command::Drill(Drill::Domain { domain: *d, span }));
            let drilled = s.drilled().unwrap();
            assert_eq!(drilled.total(), n as usize, "{d:?} {span:?}");
            assert!(drilled.live.iter().all(|e| d.categories().contains(&e.category)));
        }
    }
    assert!(figures.iter().any(|f| f.year > 0));
    apply(&mut s, &mut v, Command::ClearDrill);
    assert!(s.drill.is_none() && s.drilled().is_none());
    assert_eq!(s.feed().iter().map(|e| e.id).collect::<Vec<_>>(), normal);
}
