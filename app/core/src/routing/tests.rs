use super::*;
use crate::sync::{ChangeBody, act};
use crate::{AddressCode, CommunityId, EventId, EventState, GridId, GridWorker, LonLat, WorkerKind};

fn t0() -> Timestamp {
    chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn event(category: EventCategory, severity: Severity) -> Event {
    Event {
        id: EventId(9),
        number: "YH-9".into(),
        category,
        severity,
        title: "x".into(),
        position: LonLat::new(120.3, 30.4),
        address: AddressCode::parse("330110001002003000400000000").unwrap(),
        place: "x".into(),
        town: TownId(1),
        community: CommunityId(4),
        grid: GridId(17),
        building: None,
        source: EventSource::Hotline,
        reported_at: t0(),
        deadline: t0(),
        level: Level::Community,
        state: EventState::Reported,
        assignee: None,
        history: vec![],
        evidence: None,
        linked: Vec::new(),
        acknowledged: None,
    }
}

#[test]
fn the_shipped_rules_route_by_category_and_severity() {
    let c = RoutingConfig::default();
    assert_eq!(c.route(&event(EventCategory::Dispute, Severity::General)), Level::Community);
    assert_eq!(c.route(&event(EventCategory::Theft, Severity::Significant)), Level::Community);
    assert_eq!(c.route(&event(EventCategory::WageArrears, Severity::General)), Level::Town);
    assert_eq!(c.route(&event(EventCategory::Dispute, Severity::Major)), Level::Town);
    assert_eq!(c.route(&event(EventCategory::Dispute, Severity::Critical)), Level::District);
    assert_eq!(c.route(&event(EventCategory::Homicide, Severity::General)), Level::District);
    let mut e = event(EventCategory::FireAlarm, Severity::Major);
    c.intake(&mut e);
    assert_eq!((e.level, e.deadline), (Level::Town, t0() + chrono::Duration::hours(12)));
    assert_eq!(e.owner(), UnitRef::Town(TownId(1)));
}

#[test]
fn a_config_names_its_mistakes() {
    let bad = DEFAULT_ROUTING_TOML.replace("warn_share = 0.25", "warn_share = 2");
    assert!(RoutingConfig::from_toml(&bad).unwrap_err().to_string().contains("warn_share"));
    let bad = DEFAULT_ROUTING_TOML.replace("Critical = 8", "Critical = -1");
    assert!(RoutingConfig::from_toml(&bad).unwrap_err().to_string().contains("deadline_hours.district.Critical"));
    let bad = DEFAULT_ROUTING_TOML.replace("level = \"town\"", "level = \"province\"");
    assert!(RoutingConfig::from_toml(&bad).is_err());
    let bad = DEFAULT_ROUTING_TOML.replace("[deadline_hours.town]", "[deadline_hours.towns]");
    assert!(RoutingConfig::from_toml(&bad).is_err());
    // A custom rule: sensors' warnings of any kind to the town.
    let custom = format!("{DEFAULT_ROUTING_TOML}\n[[rule]]\nsources = [\"sensor\"]\nlevel = \"town\"\n");
    let c = RoutingConfig::from_toml(&custom).unwrap();
    let mut e = event(EventCategory::WaterMeterNoFlow, Severity::General);
    e.source = EventSource::Sensor(crate::SensorKind::WaterMeter);
    assert_eq!(c.route(&e), Level::Town);
    assert_eq!(RoutingConfig::default().route(&e), Level::Community);
}

#[test]
fn sla_escalates_once_per_breach_up_to_the_district() {
    let c = RoutingConfig::default();
    let mut e = event(EventCategory::Dispute, Severity::Significant);
    c.intake(&mut e);
    let limit = chrono::Duration::hours(24);
    assert_eq!(c.urgency(&e, t0()), Urgency::Calm);
    assert_eq!(c.urgency(&e, t0() + limit - chrono::Duration::hours(5)), Urgency::Near);
    assert_eq!(c.urgency(&e, t0() + limit + chrono::Duration::minutes(1)), Urgency::Overdue);
    // Overdue, but within the grace: nothing yet.
    assert!(c.sla_due(&e, t0() + limit + chrono::Duration::minutes(30)).is_none());
    let now = t0() + limit + chrono::Duration::minutes(31);
    let (key, reason) = c.sla_due(&e, now).unwrap();
    assert_eq!(key, format!("sla-9-{}", (t0() + limit).timestamp()));
    assert!(reason.contains("镇街"), "{reason}");
    let ChangeBody::EventActed { change, .. } =
        act(&mut e, EventAction::Escalate { reason }, now, "system", &c).unwrap()
    else {
        panic!()
    };
    assert_eq!((change.level, change.deadline), (Some(Level::Town), Some(now + chrono::Duration::hours(36))));
    assert_eq!((e.level, e.state, e.owner()), (Level::Town, EventState::Escalated, UnitRef::Town(TownId(1))));
    assert!(e.escalated());
    // The same breach is gone (a fresh deadline); a second one at the town goes to the district, with another key.
    assert!(c.sla_due(&e, now + chrono::Duration::hours(1)).is_none());
    let later = e.deadline + chrono::Duration::hours(1);
    let (key2, reason) = c.sla_due(&e, later).unwrap();
    assert_ne!(key, key2);
    act(&mut e, EventAction::Escalate { reason }, later, "system", &c).unwrap();
    assert_eq!(e.level, Level::District);
    // At the district there is no level above: overdue stays overdue.
    assert!(c.sla_due(&e, e.deadline + chrono::Duration::days(3)).is_none());
    let err = act(&mut e, EventAction::Escalate { reason: "x".into() }, later, "op", &c).unwrap_err();
    assert!(err.to_string().contains("no level above"), "{err}");
    // A closed event is never due.
    let mut closed = event(EventCategory::Dispute, Severity::General);
    closed.state = EventState::Closed;
    assert!(c.sla_due(&closed, t0() + chrono::Duration::days(30)).is_none());
}

#[test]
fn a_logged_step_replays_level_and_deadline_without_the_config() {
    let c = RoutingConfig::default();
    let mut server = event(EventCategory::Dispute, Severity::General);
    c.intake(&mut server);
    let mut client = Situation { events: vec![server.clone()], workers: vec![], task_books: Vec::new() };
    let at = t0() + chrono::Duration::hours(1);
    let body =
        act(&mut server, EventAction::Reroute { level: Level::District, reason: "涉众".into() }, at, "op", &c).unwrap();
    assert!(client.apply_change(&body));
    assert_eq!(client.events[0], server);
    assert_eq!(client.events[0].state, EventState::Reported, "a re-route keeps the state");
    assert_eq!(client.events[0].level, Level::District);
    assert!(!client.events[0].escalated());
}

#[test]
fn rooms_act_on_their_own_units_events_and_what_was_escalated_to_them() {
    let c = RoutingConfig::default();
    let mut e = event(EventCategory::Dispute, Severity::General);
    c.intake(&mut e);
    let close = EventAction::Accept;
    let op = |unit| Actor { role: Role::Operator, unit, worker: None };
    assert!(op(UnitRef::Community(CommunityId(4))).may_act(&e, &close).is_ok());
    let other = op(UnitRef::Community(CommunityId(5))).may_act(&e, &close).unwrap_err();
    assert!(other.to_string().contains("community level"), "{other}");
    assert!(op(UnitRef::Town(TownId(1))).may_act(&e, &close).is_err(), "a town's operator leaves community items");
    // A supervisor of the town oversees it; one of another town does not.
    let sup = |unit| Actor { role: Role::Supervisor, unit, worker: None };
    assert!(sup(UnitRef::Town(TownId(1))).may_act(&e, &close).is_ok());
    assert!(sup(UnitRef::Town(TownId(2))).may_act(&e, &close).is_err());
    // Escalated to the town: now the town's, no longer the community's.
    act(&mut e, EventAction::Escalate { reason: "超出权限".into() }, t0(), "op", &c).unwrap();
    assert!(op(UnitRef::Town(TownId(1))).may_act(&e, &EventAction::Accept).is_err(), "not from Escalated");
    let assign = EventAction::Assign { worker: WorkerId(3) };
    assert!(op(UnitRef::Town(TownId(1))).may_act(&e, &assign).is_ok());
    assert!(op(UnitRef::Community(CommunityId(4))).may_act(&e, &assign).is_err());
    // Re-routing: only a room at or above the owner, and not above its own level.
    let down = EventAction::Reroute { level: Level::Community, reason: "退回村社".into() };
    assert!(op(UnitRef::Town(TownId(1))).may_act(&e, &down).is_ok());
    assert!(op(UnitRef::Community(CommunityId(4))).may_act(&e, &down).is_err());
    let up = EventAction::Reroute { level: Level::District, reason: "x".into() };
    let said = op(UnitRef::Town(TownId(1))).may_act(&e, &up).unwrap_err();
    assert!(said.to_string().contains("cannot route to the district"), "{said}");
    assert!(op(UnitRef::District).may_act(&e, &up).is_ok());
    // Grid workers act on their own assignments only; a gateway never acts.
    let mut mine = e.clone();
    mine.assignee = Some(WorkerId(3));
    mine.state = EventState::InDisposal;
    let gw = |w| Actor { role: Role::GridWorker, unit: UnitRef::District, worker: Some(WorkerId(w)) };
    let feedback = EventAction::SubmitFeedback { note: "ok".into() };
    assert!(gw(3).may_act(&mine, &feedback).is_ok());
    assert!(gw(4).may_act(&mine, &feedback).is_err());
    // Reports: in the room's own area.
    assert!(op(UnitRef::Town(TownId(1))).may_report(&e).is_ok());
    assert!(op(UnitRef::Town(TownId(2))).may_report(&e).is_err());
}

fn worker(id: u32, grid: u32, lon: f64, status: WorkerStatus) -> GridWorker {
    GridWorker {
        id: WorkerId(id),
        name: format!("w{id}"),
        kind: WorkerKind::FullTime,
        phone: String::new(),
        grids: vec![GridId(grid)],
        status,
        position: LonLat::new(lon, 30.4),
        seen_at: t0(),
    }
}

#[test]
fn dispatch_lists_the_grids_workers_by_distance_then_the_towns_when_short() {
    let e = event(EventCategory::Dispute, Severity::General);
    let busy = WorkerStatus::Handling(EventId(1));
    let workers = vec![
        worker(0, 17, 120.301, busy),                      // nearest, busy
        worker(1, 17, 120.31, WorkerStatus::Patrolling),   // farther, free
        worker(2, 17, 120.3001, WorkerStatus::OffDuty),    // nearest of all, off duty: last
        worker(3, 18, 120.3002, WorkerStatus::Patrolling), // another grid of the same town
        worker(4, 99, 120.3003, WorkerStatus::Patrolling), // another town
    ];
    let mut assigned = event(EventCategory::Theft, Severity::General);
    assigned.id = EventId(1);
    assigned.assignee = Some(WorkerId(0));
    let situation = Situation { events: vec![assigned, e.clone()], workers, task_books: Vec::new() };
    let town = |g: GridId| Some(if g.0 == 99 { TownId(7) } else { TownId(1) });
    let c = dispatch_candidates(&situation, &e, town, 0);
    let order: Vec<u32> = c.iter().map(|c| c.worker.0).collect();
    assert_eq!(order, vec![0, 1, 2]);
    assert_eq!((c[0].load, c[0].free), (1, false));
    assert_eq!(situation.dispatch_choice(EventId(9)), Some(WorkerId(1)), "the nearest free one is preselected");
    // A grid short of hands borrows the nearest on-duty workers of its town (never of another town).
    let c = dispatch_candidates(&situation, &e, town, 4);
    let order: Vec<u32> = c.iter().map(|c| c.worker.0).collect();
    assert_eq!(order, vec![0, 1, 3, 2]);
}

#[test]
fn loop_figures_count_on_time_overdue_escalations_and_the_median_time_to_close() {
    let c = RoutingConfig::default();
    let h = chrono::Duration::hours;
    let mut events = Vec::new();
    // Closed after 2 h (on time), closed after 30 h (late: 24 h limit), escalated and still open past its new
    // deadline, and one reported before the period (left out).
    for (i, close_after) in [(1u64, Some(2)), (2, Some(30)), (3, None), (4, Some(1))] {
        let mut e = event(EventCategory::Dispute, Severity::Significant);
        e.id = EventId(i);
        e.town = TownId((i % 2) as u16);
        if i == 4 {
            e.reported_at = t0() - h(48);
        }
        c.intake(&mut e);
        let at = e.reported_at;
        e.apply(EventAction::Accept, at).unwrap();
        match close_after {
            Some(k) => {
                e.apply(EventAction::Assign { worker: WorkerId(1) }, at).unwrap();
                e.apply(EventAction::StartDisposal, at).unwrap();
                e.apply(EventAction::SubmitFeedback { note: "ok".into() }, at + h(k)).unwrap();
                e.apply(EventAction::Close { note: "ok".into(), outcome: None }, at + h(k)).unwrap();
            }
            None => {
                act(&mut e, EventAction::Escalate { reason: "x".into() }, at + h(1), "op", &c).unwrap();
            }
        }
        events.push(e);
    }
    let now = t0() + h(100);
    let f = loop_figures(&events, 2, t0(), t0() + h(24 * 30), now);
    assert_eq!((f.district.reported, f.district.closed, f.district.on_time), (3, 2, 1));
    assert_eq!((f.district.overdue, f.district.escalations), (1, 1));
    assert_eq!(f.district.on_time_rate(), Some(0.5));
    assert_eq!(f.district.median_close_min, Some(16.0 * 60.0));
    assert_eq!(f.levels[1].escalations, 1, "counted at the town, where it is now");
    let drilled = |fig: LoopFigure| events.iter().filter(|e| fig.counts(e, t0(), t0() + h(24 * 30), now)).count();
    assert_eq!(drilled(LoopFigure::Escalated), 1, "the drill's rule counts what the figure counts");
    assert_eq!((f.levels[0].reported, f.levels[1].reported), (2, 1));
    assert_eq!(f.towns[1].reported + f.towns[0].reported, 3, "the towns sum to the district");
}

#[test]
fn warning_precision_counts_the_outcomes_recorded_on_closing() {
    use crate::sensors::{RuleKind, SensorId};
    use crate::{Evidence, WarningOutcome as O};
    let c = RoutingConfig::default();
    let mut events = Vec::new();
    // Four water-meter warnings closed as confirmed, hidden risk, false alarm, false alarm; one smoke warning
    // confirmed; one water warning still open (not counted).
    let cases = [
        (RuleKind::WaterSilent, Some(O::Confirmed)),
        (RuleKind::WaterSilent, Some(O::HiddenRisk)),
        (RuleKind::WaterSilent, Some(O::FalseAlarm)),
        (RuleKind::WaterSilent, Some(O::FalseAlarm)),
        (RuleKind::Smoke, Some(O::Confirmed)),
        (RuleKind::WaterSilent, None),
    ];
    for (i, (rule, outcome)) in cases.into_iter().enumerate() {
        let mut e = event(rule.category(), Severity::Significant);
        e.id = EventId(i as u64 + 1);
        e.evidence = Some(Box::new(Evidence { rule, sensor: SensorId(1), series: vec![] }));
        c.intake(&mut e);
        let at = e.reported_at;
        let op = Actor { role: Role::Operator, unit: UnitRef::Community(e.community), worker: None };
        e.apply(EventAction::Accept, at).unwrap();
        e.apply(EventAction::Assign { worker: WorkerId(1) }, at).unwrap();
        e.apply(EventAction::StartDisposal, at).unwrap();
        e.apply(EventAction::SubmitFeedback { note: "已上门".into() }, at).unwrap();
        // Closing a warning without its outcome is refused, with the reason.
        let bare = EventAction::Close { note: "ok".into(), outcome: None };
        assert!(op.may_act(&e, &bare).unwrap_err().to_string().contains("sensor warning"));
        if let Some(o) = outcome {
            let close = EventAction::Close { note: "ok".into(), outcome: Some(o) };
            op.may_act(&e, &close).unwrap();
            e.apply(close, at + chrono::Duration::hours(1)).unwrap();
        }
        events.push(e);
    }
    let f = loop_figures(&events, 2, t0(), t0() + chrono::Duration::days(30), t0() + chrono::Duration::days(2));
    assert_eq!(f.precision_of(RuleKind::WaterSilent), Some(0.5), "2 useful of 4");
    assert_eq!(f.precision_of(RuleKind::Smoke), Some(1.0));
    assert_eq!(f.precision_of(RuleKind::Crowd), None);
}
