use super::*;
use crate::{CommunityId, EventSource, EventState, GridId, TownId};

fn t(h: f64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap() + chrono::Duration::seconds((h * 3600.0) as i64)
}

fn sensor(id: u32, kind: SensorKind) -> Sensor {
    Sensor {
        id: SensorId(id),
        kind,
        address: AddressCode::parse("330110001002003000400000000").unwrap(),
        position: LonLat::new(120.3, 30.4),
        elderly_alone: true,
        view: None,
    }
}

fn read(e: &mut RuleEngine, s: &Sensor, h: f64, value: Value) -> Option<Warning> {
    e.ingest(s, &Reading { sensor: s.id, at: t(h), value }).unwrap()
}

#[test]
fn a_silent_water_meter_fires_once_and_again_only_after_water_flowed() {
    let mut e = RuleEngine::new(SensorRules::default());
    let m = sensor(1, SensorKind::WaterMeter);
    assert!(read(&mut e, &m, 0.0, Value::Flow { litres: 12.0 }).is_none());
    for h in 1..20 {
        assert!(read(&mut e, &m, f64::from(h), Value::Flow { litres: 0.0 }).is_none(), "hour {h}");
    }
    let w = read(&mut e, &m, 20.0, Value::Flow { litres: 0.0 }).expect("20 hours silent");
    assert_eq!((w.rule, w.rule.category()), (RuleKind::WaterSilent, EventCategory::WaterMeterNoFlow));
    assert!(w.summary.contains("20 小时无用水"), "{}", w.summary);
    assert_eq!(w.evidence.len(), 21);
    assert_eq!(w.evidence[0], (t(0.0), 12.0));
    // Still silent: no second warning for the same condition.
    assert!(read(&mut e, &m, 21.0, Value::Flow { litres: 0.0 }).is_none());
    // Water flows (cleared), then 20 silent hours again: a new warning.
    assert!(read(&mut e, &m, 22.0, Value::Flow { litres: 3.0 }).is_none());
    let again = (23..=42).filter_map(|h| read(&mut e, &m, f64::from(h), Value::Flow { litres: 0.0 })).count();
    assert_eq!(again, 1);
    // A meter of someone not living alone is not watched (by default).
    let mut other = sensor(2, SensorKind::WaterMeter);
    other.elderly_alone = false;
    assert!((0..48).all(|h| read(&mut e, &other, f64::from(h), Value::Flow { litres: 0.0 }).is_none()));
}

#[test]
fn alarms_and_fire_points_fire_on_the_edge() {
    let mut e = RuleEngine::new(SensorRules::default());
    let smoke = sensor(1, SensorKind::SmokeDetector);
    let charger = sensor(2, SensorKind::EbikeCharger);
    let cam = sensor(3, SensorKind::StrawBurningCamera);
    assert!(read(&mut e, &smoke, 0.0, Value::Alarm { on: false }).is_none());
    assert_eq!(read(&mut e, &smoke, 1.0, Value::Alarm { on: true }).unwrap().rule, RuleKind::Smoke);
    assert!(read(&mut e, &smoke, 2.0, Value::Alarm { on: true }).is_none());
    assert!(read(&mut e, &smoke, 3.0, Value::Alarm { on: false }).is_none());
    assert!(read(&mut e, &smoke, 4.0, Value::Alarm { on: true }).is_some());
    let w = read(&mut e, &charger, 0.0, Value::Alarm { on: true }).unwrap();
    assert_eq!((w.rule, w.rule.category()), (RuleKind::Charger, EventCategory::FireAlarm));
    assert!(read(&mut e, &cam, 0.0, Value::FirePoint { detected: true, confidence: 0.4 }).is_none(), "too unsure");
    let w = read(&mut e, &cam, 1.0, Value::FirePoint { detected: true, confidence: 0.8 }).unwrap();
    assert_eq!(w.rule.category(), EventCategory::StrawBurning);
}

#[test]
fn the_helmet_rate_over_a_rolling_week_and_a_growing_crowd() {
    let mut e = RuleEngine::new(SensorRules::default());
    let junction = sensor(1, SensorKind::CheckpointCamera);
    // 100 riders a day: 95 % for three days, then 80 %: the weekly rate crosses 90 % on day 5.
    let mut fired = Vec::new();
    for day in 0..7 {
        let helmeted = if day < 3 { 95 } else { 80 };
        if let Some(w) = read(&mut e, &junction, f64::from(day) * 24.0, Value::Helmets { riders: 100, helmeted }) {
            fired.push((day, w));
        }
    }
    assert_eq!(fired.len(), 1);
    let (day, w) = &fired[0];
    // Day 4: (285 + 160) / 500 = 89 % < 90 %, with ≥ 200 riders.
    assert_eq!(*day, 4);
    assert!(w.summary.contains("89.0%") && w.summary.contains("445/500"), "{}", w.summary);
    assert_eq!(w.evidence.len(), 5, "one rate per day");
    // A crowd: over the threshold but not growing does not fire; growing three readings in a row does.
    let crowd = sensor(2, SensorKind::CrowdCamera);
    let mut at = 0.0;
    let mut fires = Vec::new();
    for people in [400, 380, 390, 420, 450, 470, 460, 480, 500, 520] {
        at += 0.1;
        fires.push(read(&mut e, &crowd, at, Value::Crowd { people }).is_some());
    }
    assert_eq!(fires, [false, false, false, false, true, false, false, false, false, true]);
}

#[test]
fn bad_readings_are_refused_and_change_nothing() {
    let mut e = RuleEngine::new(SensorRules::default());
    let m = sensor(1, SensorKind::WaterMeter);
    let reading = |h: f64, value| Reading { sensor: m.id, at: t(h), value };
    e.ingest(&m, &reading(5.0, Value::Flow { litres: 1.0 })).unwrap();
    let err = e.ingest(&m, &reading(5.0, Value::Flow { litres: 1.0 })).unwrap_err();
    assert!(matches!(err, ReadingError::OutOfOrder { .. }), "{err}");
    let err = e.ingest(&m, &reading(6.0, Value::Flow { litres: -1.0 })).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    assert!(e.ingest(&m, &reading(6.0, Value::Flow { litres: f64::NAN })).is_err());
    let err = e.ingest(&m, &reading(6.0, Value::Alarm { on: true })).unwrap_err();
    assert!(err.to_string().contains("does not read alarms"), "{err}");
    let j = sensor(2, SensorKind::CheckpointCamera);
    let err = e.ingest(&j, &Reading { sensor: j.id, at: t(1.0), value: Value::Helmets { riders: 5, helmeted: 6 } });
    assert!(err.is_err());
    // The refused readings left no trace: the next good reading is taken.
    e.ingest(&m, &reading(6.0, Value::Flow { litres: 0.0 })).unwrap();
}

#[test]
fn a_config_names_its_mistakes() {
    let bad = DEFAULT_SENSORS_TOML.replace("standard = 0.90", "standard = 1.5");
    assert!(SensorRules::from_toml(&bad).unwrap_err().to_string().contains("helmet.standard"));
    let bad = DEFAULT_SENSORS_TOML.replace("silent_hours = 20.0", "silent_hours = -3");
    assert!(SensorRules::from_toml(&bad).unwrap_err().to_string().contains("silent_hours"));
    assert!(SensorRules::from_toml(&DEFAULT_SENSORS_TOML.replace("[crowd]", "[crowds]")).is_err());
}

fn event(id: u64, category: EventCategory, lon: f64, minutes: i64) -> Event {
    Event {
        id: EventId(id),
        number: format!("YH-{id}"),
        category,
        severity: Severity::General,
        title: "x".into(),
        position: LonLat::new(lon, 30.4),
        address: AddressCode::parse("330110001002003000400000000").unwrap(),
        place: "x".into(),
        town: TownId(0),
        community: CommunityId(0),
        grid: GridId(0),
        building: None,
        source: EventSource::Hotline,
        reported_at: t(0.0) + chrono::Duration::minutes(minutes),
        deadline: t(48.0),
        level: Default::default(),
        state: EventState::Reported,
        assignee: None,
        history: vec![],
        evidence: None,
        linked: Vec::new(),
        acknowledged: None,
    }
}

#[test]
fn a_report_of_the_same_thing_nearby_soon_after_is_a_duplicate() {
    let rules = SensorRules::default();
    // 0.001° of longitude here is about 96 m.
    let open = [
        event(1, EventCategory::FireAlarm, 120.300, 0),
        event(2, EventCategory::FireAlarm, 120.302, 10),
        event(3, EventCategory::Theft, 120.3001, 0),
    ];
    let new = event(9, EventCategory::FireAlarm, 120.3015, 30);
    assert_eq!(rules.duplicate_of(&open, &new), Some(EventId(2)), "the nearest open one of the category");
    assert_eq!(rules.duplicate_of(&open, &event(9, EventCategory::FireAlarm, 120.31, 30)), None, "too far");
    assert_eq!(rules.duplicate_of(&open, &event(9, EventCategory::FireAlarm, 120.3, 75)), None, "too late");
    assert_eq!(rules.duplicate_of(&open, &event(9, EventCategory::Dispute, 120.3, 5)), None, "another category");
    let mut closed = open.clone();
    closed[0].state = EventState::Closed;
    closed[1].state = EventState::Closed;
    assert_eq!(rules.duplicate_of(&closed, &new), None, "closed events take no more reports");
}
