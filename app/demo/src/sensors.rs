//! A demo sensor fleet and its readings (感知设备): water meters at elderly residents living alone, smoke detectors,
//! e-bike chargers, straw-fire cameras over the fields, helmet counters at junctions and crowd counters — placed in
//! real buildings and grids of a [`District`] — and a deterministic stream of their readings: ordinary values that
//! never trip a warning rule of [`pingan_core::sensors`], and now and then an anomaly that does (a meter silent for
//! more than 20 hours, a smoke or charger alarm, a fire point, a junction whose helmet rate drifts below 90 %, a crowd
//! that keeps growing past 300).
//!
//! Pure: no clock, no I/O. The same district, seed and start give the same readings, whatever the steps in which
//! [`SensorStream::readings`] is asked for them (every value is a hash of the seed, the sensor and the reading's
//! number; anomalies are planned in time order).

use pingan_core::sensors::{Reading, RuleKind, Sensor, SensorId, Value};
use pingan_core::{BuildingKind, District, SensorKind, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// How many sensors of each kind a fleet has at most (fewer where the district lacks the places).
pub const FLEET: [(SensorKind, usize); 6] = [
    (SensorKind::WaterMeter, 120),
    (SensorKind::SmokeDetector, 80),
    (SensorKind::EbikeCharger, 40),
    (SensorKind::StrawBurningCamera, 20),
    (SensorKind::CheckpointCamera, 20),
    (SensorKind::CrowdCamera, 20),
];

/// Seconds between two readings of a sensor of `kind`.
pub fn interval(kind: SensorKind) -> i64 {
    match kind {
        SensorKind::WaterMeter | SensorKind::CheckpointCamera => 3600,
        SensorKind::SmokeDetector | SensorKind::EbikeCharger => 1800,
        SensorKind::StrawBurningCamera => 600,
        SensorKind::CrowdCamera => 300,
    }
}

/// The sensor kind a rule watches.
pub fn kind_of_rule(rule: RuleKind) -> SensorKind {
    match rule {
        RuleKind::WaterSilent => SensorKind::WaterMeter,
        RuleKind::Smoke => SensorKind::SmokeDetector,
        RuleKind::Charger => SensorKind::EbikeCharger,
        RuleKind::FirePoint => SensorKind::StrawBurningCamera,
        RuleKind::HelmetRate => SensorKind::CheckpointCamera,
        RuleKind::Crowd => SensorKind::CrowdCamera,
    }
}

/// The order anomalies take turns in (the helmet drift, slow to show and slow to clear, less often).
const TURNS: [RuleKind; 11] = [
    RuleKind::WaterSilent,
    RuleKind::Smoke,
    RuleKind::Crowd,
    RuleKind::FirePoint,
    RuleKind::Charger,
    RuleKind::HelmetRate,
    RuleKind::Smoke,
    RuleKind::WaterSilent,
    RuleKind::Charger,
    RuleKind::FirePoint,
    RuleKind::Crowd,
];

/// How long before a warning is due its anomaly starts to show, at most (a silent meter's 20 h and a margin).
const LOOKAHEAD_H: i64 = 21;

/// The demo fleet of `district`: ids from 1, in the order of [`FLEET`]; every address a room, building or grid code
/// of the district, every position that place's.
pub fn fleet(district: &District, seed: u64) -> Vec<Sensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e45_0125);
    let mut out: Vec<Sensor> = Vec::new();
    let residential: Vec<usize> = district
        .buildings
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b.kind, BuildingKind::HighRise | BuildingKind::MidRise | BuildingKind::VillageHouse))
        .map(|(i, _)| i)
        .collect();
    let public: Vec<usize> = district
        .buildings
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b.kind, BuildingKind::Public | BuildingKind::Industrial))
        .map(|(i, _)| i)
        .collect();
    // Village grids (mostly village houses, or no buildings at all) for the straw-fire cameras.
    let rural: Vec<usize> = district
        .grids
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let village =
                g.buildings.iter().filter(|b| district.building(**b).kind == BuildingKind::VillageHouse).count();
            village * 2 > g.buildings.len() || g.buildings.is_empty()
        })
        .map(|(i, _)| i)
        .collect();
    let every_grid: Vec<usize> = (0..district.grids.len()).collect();
    let mut push = |kind: SensorKind, address: pingan_core::AddressCode, position, elderly_alone, view| {
        let id = SensorId(out.len() as u32 + 1);
        out.push(Sensor { id, kind, address, position, elderly_alone, view });
    };
    for (kind, n) in FLEET {
        let pool: &[usize] = match kind {
            SensorKind::WaterMeter | SensorKind::SmokeDetector | SensorKind::EbikeCharger => &residential,
            SensorKind::StrawBurningCamera => {
                if rural.is_empty() {
                    &every_grid
                } else {
                    &rural
                }
            }
            SensorKind::CheckpointCamera => &every_grid,
            SensorKind::CrowdCamera => {
                if public.is_empty() {
                    &residential
                } else {
                    &public
                }
            }
        };
        if pool.is_empty() {
            continue;
        }
        let mut picked = std::collections::BTreeSet::new();
        for _ in 0..n {
            // Distinct places while there are enough of them.
            let mut i = pool[rng.random_range(0..pool.len())];
            for _ in 0..8 {
                if !picked.contains(&i) {
                    break;
                }
                i = pool[rng.random_range(0..pool.len())];
            }
            picked.insert(i);
            match kind {
                SensorKind::StrawBurningCamera | SensorKind::CheckpointCamera => {
                    let g = &district.grids[i];
                    let view = (kind == SensorKind::StrawBurningCamera)
                        .then(|| (rng.random_range(0.0f32..360.0), rng.random_range(40.0f32..90.0)));
                    push(kind, g.code, g.label_at, false, view);
                }
                _ => {
                    let b = &district.buildings[i];
                    let address = match kind {
                        // Meters and detectors sit in a flat.
                        SensorKind::WaterMeter | SensorKind::SmokeDetector => b
                            .code
                            .room(
                                rng.random_range(1..=2),
                                rng.random_range(1..=u32::from(b.floors.clamp(1, 30))),
                                rng.random_range(1..=4),
                            )
                            .unwrap_or(b.code),
                        _ => b.code,
                    };
                    let view = (kind == SensorKind::CrowdCamera).then(|| (rng.random_range(0.0f32..360.0), 90.0));
                    push(kind, address, b.footprint.centroid(), kind == SensorKind::WaterMeter, view);
                }
            }
        }
    }
    out
}

/// An anomaly planned for one sensor: its readings in `[from, to)` are abnormal; the rule should fire about `fire`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anomaly {
    /// The sensor.
    pub sensor: SensorId,
    /// The rule it should trip.
    pub rule: RuleKind,
    /// First abnormal time.
    pub from: Timestamp,
    /// When the warning is due, about.
    pub fire: Timestamp,
    /// End of the abnormal readings.
    pub to: Timestamp,
}

/// The readings of a fleet over time, with anomalies now and then.
pub struct SensorStream {
    sensors: Vec<Sensor>,
    seed: u64,
    /// Per sensor: the next reading's time and number.
    next: Vec<(Timestamp, u64)>,
    /// Per sensor: its planned anomalies, oldest first (past ones are dropped as readings pass them).
    windows: Vec<VecDeque<Anomaly>>,
    /// Per sensor: not chosen for another anomaly before this.
    busy_until: Vec<Option<Timestamp>>,
    rng: ChaCha8Rng,
    next_anomaly: Timestamp,
    per_hour: f64,
    turn: usize,
    /// Every anomaly planned so far.
    planned: Vec<Anomaly>,
}

impl SensorStream {
    /// The readings of `sensors` from `start` on; anomalies from `anomalies_from` on (the first one due then),
    /// `per_hour` of them an hour on average (0: none). A silent meter's anomaly starts 20.5 h before its warning is
    /// due, so give `anomalies_from` at least that much after `start` for its warning to come on time.
    pub fn new(sensors: Vec<Sensor>, seed: u64, start: Timestamp, anomalies_from: Timestamp, per_hour: f64) -> Self {
        let next = sensors
            .iter()
            .map(|s| {
                let phase = (hash(seed, s.id.0, 0, 7) % interval(s.kind) as u64) as i64;
                (start + chrono::Duration::seconds(phase), 0)
            })
            .collect();
        let n = sensors.len();
        SensorStream {
            sensors,
            seed,
            next,
            windows: vec![VecDeque::new(); n],
            busy_until: vec![None; n],
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xa110_3a1e),
            next_anomaly: anomalies_from,
            per_hour: per_hour.max(0.0),
            turn: 0,
            planned: Vec::new(),
        }
    }

    /// The fleet.
    pub fn sensors(&self) -> &[Sensor] {
        &self.sensors
    }

    /// Every anomaly planned so far (some may lie ahead of the readings given out).
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.planned
    }

    /// Every reading after the last call up to `until` (inclusive), ordered by time, then sensor.
    pub fn readings(&mut self, until: Timestamp) -> Vec<Reading> {
        self.plan(until + chrono::Duration::hours(LOOKAHEAD_H));
        let mut out = Vec::new();
        for i in 0..self.sensors.len() {
            let step = chrono::Duration::seconds(interval(self.sensors[i].kind));
            while self.next[i].0 <= until {
                let (at, n) = self.next[i];
                while self.windows[i].front().is_some_and(|a| a.to <= at) {
                    self.windows[i].pop_front();
                }
                let anomaly = self.windows[i].front().filter(|a| a.from <= at).copied();
                let value = self.value(i, at, n, anomaly);
                out.push(Reading { sensor: self.sensors[i].id, at, value });
                self.next[i] = (at + step, n + 1);
            }
        }
        out.sort_by_key(|r| (r.at, r.sensor));
        out
    }

    /// Plan anomalies due up to `until`.
    fn plan(&mut self, until: Timestamp) {
        if self.per_hour <= 0.0 {
            return;
        }
        while self.next_anomaly <= until {
            let fire = self.next_anomaly;
            for _ in 0..TURNS.len() {
                let rule = TURNS[self.turn % TURNS.len()];
                self.turn += 1;
                if self.plan_one(rule, fire) {
                    break;
                }
            }
            let gap = -(1.0 - self.rng.random::<f64>()).ln() / (self.per_hour / 3600.0);
            self.next_anomaly = fire + chrono::Duration::seconds((gap as i64).max(1));
        }
    }

    /// Plan one anomaly of `rule` due at `fire` on a free sensor of its kind; false when none is free.
    fn plan_one(&mut self, rule: RuleKind, fire: Timestamp) -> bool {
        let kind = kind_of_rule(rule);
        let candidates: Vec<usize> = (0..self.sensors.len()).filter(|i| self.sensors[*i].kind == kind).collect();
        if candidates.is_empty() {
            return false;
        }
        let h = chrono::Duration::hours;
        let m = chrono::Duration::minutes;
        let step = chrono::Duration::seconds(interval(kind));
        let (from, to, rest) = match rule {
            RuleKind::WaterSilent => (fire - m(20 * 60 + 30), fire + h(2), h(1)),
            RuleKind::Smoke | RuleKind::Charger => (fire, fire + step, step * 2),
            RuleKind::FirePoint => (fire, fire + step * 2, step * 2),
            // Drifts for half a day; the week's rate stays low for days after, so the counter rests a week.
            RuleKind::HelmetRate => (fire - h(3), fire + h(12), chrono::Duration::days(8)),
            RuleKind::Crowd => (fire - step * 3, fire + step * 3, step * 2),
        };
        let start = self.rng.random_range(0..candidates.len());
        for k in 0..candidates.len() {
            let i = candidates[(start + k) % candidates.len()];
            if self.busy_until[i].is_some_and(|b| b > from) {
                continue;
            }
            let a = Anomaly { sensor: self.sensors[i].id, rule, from, fire, to };
            self.windows[i].push_back(a);
            self.busy_until[i] = Some(to + rest);
            self.planned.push(a);
            return true;
        }
        false
    }

    /// The value sensor `i` reads at `at` (its `n`-th reading), abnormal within `anomaly`.
    fn value(&self, i: usize, at: Timestamp, n: u64, anomaly: Option<Anomaly>) -> Value {
        let s = &self.sensors[i];
        let u = |salt: u64| unit(hash(self.seed, s.id.0, n, salt));
        let hour = {
            use chrono::Timelike;
            at.with_timezone(&pingan_core::china_offset()).hour()
        };
        match s.kind {
            SensorKind::WaterMeter => {
                if anomaly.is_some() {
                    return Value::Flow { litres: 0.0 };
                }
                // Nights are often dry; days never are for long.
                let dry = (1..=5).contains(&hour) && u(1) < 0.6;
                let litres = if dry { 0.0 } else { ((0.5 + 40.0 * u(2) * u(3)) * 10.0).round() / 10.0 };
                Value::Flow { litres }
            }
            SensorKind::SmokeDetector | SensorKind::EbikeCharger => Value::Alarm { on: anomaly.is_some() },
            SensorKind::StrawBurningCamera => match anomaly {
                Some(_) => Value::FirePoint { detected: true, confidence: 0.7 + 0.25 * u(4) },
                // Now and then a weak detection (a sunlit roof, a barbecue), below the rule's confidence.
                None if u(5) < 0.03 => Value::FirePoint { detected: true, confidence: 0.2 + 0.3 * u(6) },
                None => Value::FirePoint { detected: false, confidence: 0.0 },
            },
            SensorKind::CheckpointCamera => {
                let (riders, rate) = match anomaly {
                    Some(_) => (80 + (60.0 * u(7)) as u32, 0.25 + 0.15 * u(8)),
                    None if (6..=21).contains(&hour) => (40 + (80.0 * u(7)) as u32, 0.93 + 0.06 * u(8)),
                    None => ((10.0 * u(7)) as u32, 0.93 + 0.06 * u(8)),
                };
                let helmeted = ((f64::from(riders) * rate).ceil() as u32).min(riders);
                Value::Helmets { riders, helmeted }
            }
            SensorKind::CrowdCamera => match anomaly {
                Some(a) => {
                    let k = ((at - a.from).num_seconds() / interval(s.kind)).max(0) as u32;
                    Value::Crowd { people: 180 + 55 * k + (10.0 * u(9)) as u32 }
                }
                None => Value::Crowd { people: 20 + (180.0 * u(9)) as u32 },
            },
        }
    }
}

/// SplitMix64 of the seed, the sensor, the reading's number and a salt.
fn hash(seed: u64, sensor: u32, n: u64, salt: u64) -> u64 {
    let mut z = seed
        ^ u64::from(sensor).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ n.wrapping_mul(0xbf58_476d_1ce4_e5b9)
        ^ salt.wrapping_mul(0x94d0_49bb_1331_11eb);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash as a number in [0, 1).
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_core::sensors::{RuleEngine, SensorRules};
    use std::collections::{BTreeMap, HashMap, HashSet};

    fn t0() -> Timestamp {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z").unwrap().to_utc()
    }

    fn district() -> District {
        crate::generate(&crate::DemoSpec::small(2026))
    }

    #[test]
    fn the_fleet_sits_in_real_places_of_every_kind() {
        let d = district();
        let fleet = fleet(&d, 7);
        assert!((200..=400).contains(&fleet.len()), "{} sensors", fleet.len());
        for kind in SensorKind::ALL {
            assert!(fleet.iter().any(|s| s.kind == kind), "no {kind:?}");
        }
        for s in &fleet {
            let place = d.place_of_code(&s.address).unwrap_or_else(|| panic!("sensor {} at {}", s.id.0, s.address));
            assert!(s.position.distance_m(place.position) < 1.0, "sensor {} drawn off its place", s.id.0);
            if s.kind == SensorKind::WaterMeter {
                assert!(s.elderly_alone);
                let b = d.building(place.building.expect("a meter in a building"));
                assert!(matches!(b.kind, BuildingKind::HighRise | BuildingKind::MidRise | BuildingKind::VillageHouse));
            }
            if s.kind == SensorKind::StrawBurningCamera {
                assert_eq!(place.building, None, "a fire camera watches a grid");
            }
        }
        assert_eq!(fleet, super::fleet(&d, 7), "same seed, same fleet");
    }

    #[test]
    fn a_day_of_readings_fires_every_rule_and_normal_sensors_never() {
        let d = district();
        let sensors = fleet(&d, 7);
        let mut stream = SensorStream::new(sensors.clone(), 7, t0(), t0() + chrono::Duration::hours(21), 12.0);
        let mut engine = RuleEngine::new(SensorRules::default());
        let by_id: BTreeMap<SensorId, &Sensor> = sensors.iter().map(|s| (s.id, s)).collect();
        let mut fired: HashMap<RuleKind, usize> = HashMap::new();
        let mut firing_sensors = HashSet::new();
        let mut n = 0;
        // In uneven steps, as a server posts them.
        let mut t = t0();
        for step_min in [7, 180, 1, 600, 33, 500, 119].iter().cycle() {
            t += chrono::Duration::minutes(*step_min);
            let end = t0() + chrono::Duration::days(1);
            for r in stream.readings(t.min(end)) {
                n += 1;
                if let Some(w) = engine.ingest(by_id[&r.sensor], &r).expect("a reading the rules accept") {
                    *fired.entry(w.rule).or_default() += 1;
                    firing_sensors.insert((w.sensor, w.rule));
                    assert!(w.at >= t0() + chrono::Duration::hours(15), "{w:?} fired before any anomaly");
                }
            }
            if t >= end {
                break;
            }
        }
        assert!(n > 10_000, "{n} readings in a day");
        let anomalous: HashSet<(SensorId, RuleKind)> = stream.anomalies().iter().map(|a| (a.sensor, a.rule)).collect();
        for (s, rule) in &firing_sensors {
            assert!(anomalous.contains(&(*s, *rule)), "sensor {} fired {rule:?} without an anomaly", s.0);
        }
        for rule in [
            RuleKind::WaterSilent,
            RuleKind::Smoke,
            RuleKind::Charger,
            RuleKind::FirePoint,
            RuleKind::HelmetRate,
            RuleKind::Crowd,
        ] {
            assert!(fired.get(&rule).copied().unwrap_or(0) >= 1, "{rule:?} never fired: {fired:?}");
        }
        // About one warning every five minutes once anomalies start (three hours of them here).
        let total: usize = fired.values().sum();
        assert!((15..=60).contains(&total), "{total} warnings: {fired:?}");
    }

    #[test]
    fn the_stream_does_not_depend_on_how_it_is_asked() {
        let d = district();
        let sensors = fleet(&d, 3);
        let start = t0();
        let from = start + chrono::Duration::hours(21);
        let mut a = SensorStream::new(sensors.clone(), 3, start, from, 12.0);
        let mut b = SensorStream::new(sensors, 3, start, from, 12.0);
        let end = start + chrono::Duration::hours(26);
        let whole = a.readings(end);
        let mut parts = Vec::new();
        let mut t = start;
        while t < end {
            t += chrono::Duration::minutes(47);
            parts.extend(b.readings(t.min(end)));
        }
        assert_eq!(whole, parts);
    }
}
