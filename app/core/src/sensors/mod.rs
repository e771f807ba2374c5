//! Sensors and the warning rules that turn their readings into work before anyone complains (感知预警): a water
//! meter silent for hours at an elderly resident's flat, a smoke or charger alarm, a camera's fire point, a junction's
//! helmet rate below the standard over a week, a crowd above a threshold and growing. Also the duplicate-merging rule
//! (a second report of the same thing near the same place joins the open event).
//!
//! Pure: [`RuleEngine::ingest`] takes one reading at a time (time comes with the reading), checks it (unknown order,
//! out of range) and says whether a rule fired, with the readings behind it as evidence. A rule fires once when its
//! condition starts to hold and not again for that sensor until the condition has cleared. The thresholds are in
//! `assets/config/sensors.toml` ([`SensorRules::default`]).

pub use crate::ids::{RuleKind, SensorId};
use crate::{AddressCode, Event, EventCategory, EventId, LonLat, SensorKind, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// The shipped rules (documented in the file).
pub const DEFAULT_SENSORS_TOML: &str = include_str!("../../../../assets/config/sensors.toml");

/// Readings kept per sensor as evidence.
pub const EVIDENCE: usize = 48;

/// A registered sensor: what it is, where (down to the room), and what matters about the place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    /// Identifier.
    pub id: SensorId,
    /// Kind.
    pub kind: SensorKind,
    /// Where it is, as a unified address code (a room for meters and detectors).
    pub address: AddressCode,
    /// Where it is drawn.
    pub position: LonLat,
    /// The flat's resident is elderly and lives alone (water meters).
    #[serde(default)]
    pub elderly_alone: bool,
    /// A camera's field of view: bearing and width, degrees (cameras).
    #[serde(default)]
    pub view: Option<(f32, f32)>,
}

/// One reading, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Value {
    /// Water used since the last reading, litres.
    Flow {
        /// Litres.
        litres: f64,
    },
    /// A detector's or charger's alarm state.
    Alarm {
        /// Alarming.
        on: bool,
    },
    /// A camera's fire-point detection.
    FirePoint {
        /// Detected.
        detected: bool,
        /// Confidence 0..1.
        confidence: f64,
    },
    /// Riders counted at a junction since the last reading, and how many wore helmets.
    Helmets {
        /// Riders.
        riders: u32,
        /// Of them, with helmets.
        helmeted: u32,
    },
    /// People counted in view.
    Crowd {
        /// People.
        people: u32,
    },
}

/// A reading of a sensor at a time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The sensor.
    pub sensor: SensorId,
    /// When it was taken.
    pub at: Timestamp,
    /// What it read.
    pub value: Value,
}

/// Largest flow one reading may report (litres).
pub const MAX_LITRES: f64 = 100_000.0;
/// Largest count one reading may report (riders, people).
pub const MAX_COUNT: u32 = 1_000_000;

impl RuleKind {
    /// The event category a warning of this rule is reported as.
    pub fn category(self) -> EventCategory {
        match self {
            Self::WaterSilent => EventCategory::WaterMeterNoFlow,
            Self::Smoke => EventCategory::SmokeDetector,
            Self::Charger => EventCategory::FireAlarm,
            Self::FirePoint => EventCategory::StrawBurning,
            Self::HelmetRate => EventCategory::HelmetRate,
            Self::Crowd => EventCategory::CrowdGathering,
        }
    }

    /// How serious a warning of this rule is.
    pub fn severity(self) -> Severity {
        match self {
            Self::Smoke | Self::Charger | Self::FirePoint => Severity::Significant,
            Self::WaterSilent | Self::Crowd => Severity::Significant,
            Self::HelmetRate => Severity::General,
        }
    }
}

/// A rule that fired: what, for which sensor, when, and the readings behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The sensor.
    pub sensor: SensorId,
    /// The rule.
    pub rule: RuleKind,
    /// When it fired (the reading's time).
    pub at: Timestamp,
    /// One line for the event's title.
    pub summary: String,
    /// The series behind it (time, value: litres, 1/0, confidence, daily helmet rate, people), oldest first.
    pub evidence: Vec<(Timestamp, f64)>,
}

impl Warning {
    /// The warning as a report (not yet routed or numbered): at the sensor's place in `district` (its address code's
    /// building or grid) and position, of its rule's category and severity, raised by the sensor, with the readings
    /// as evidence. `None` when the sensor's address is not in the district.
    pub fn event(&self, district: &crate::District, sensor: &Sensor) -> Option<Event> {
        let place = district.place_of_code(&sensor.address)?;
        let title = self.summary.chars().take(crate::limits::MAX_TITLE).collect();
        let source = crate::EventSource::Sensor(sensor.kind);
        let mut e = place.report(EventId(0), self.rule.category(), self.rule.severity(), title, source, self.at);
        e.position = sensor.position;
        e.evidence =
            Some(Box::new(crate::Evidence { rule: self.rule, sensor: self.sensor, series: self.evidence.clone() }));
        Some(e)
    }
}

/// A reading that cannot be taken.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ReadingError {
    /// Not of this sensor's kind.
    #[error("sensor {sensor}: a {kind:?} sensor does not read {value}")]
    WrongKind {
        /// The sensor.
        sensor: u32,
        /// Its kind.
        kind: SensorKind,
        /// The value's kind.
        value: &'static str,
    },
    /// Not after the sensor's last reading.
    #[error("sensor {sensor}: reading at {at} is not after its last reading at {last}")]
    OutOfOrder {
        /// The sensor.
        sensor: u32,
        /// The reading's time.
        at: Timestamp,
        /// The last one taken.
        last: Timestamp,
    },
    /// A value outside what the sensor can read.
    #[error("sensor {sensor}: {why}")]
    OutOfRange {
        /// The sensor.
        sensor: u32,
        /// What is wrong.
        why: String,
    },
}

/// The rules' thresholds (the shape of `assets/config/sensors.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorRules {
    /// Water meters.
    pub water: WaterRule,
    /// Fire cameras.
    pub fire_camera: FireCameraRule,
    /// Helmet counters.
    pub helmet: HelmetRule,
    /// Crowd counters.
    pub crowd: CrowdRule,
    /// Duplicate merging.
    pub merge: MergeRule,
}

/// Water meters: no flow for at least `silent_hours`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterRule {
    /// Hours without flow.
    pub silent_hours: f64,
    /// Only meters of elderly residents living alone.
    pub elderly_only: bool,
}

/// Fire cameras: a fire point with at least `min_confidence`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FireCameraRule {
    /// Confidence 0..1.
    pub min_confidence: f64,
}

/// Helmet counters: the rate over a rolling window below the standard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmetRule {
    /// The standard, 0..1.
    pub standard: f64,
    /// Days in the window.
    pub window_days: u32,
    /// Riders needed in the window before the rate counts.
    pub min_riders: u32,
}

/// Crowd counters: at least `threshold` people and growing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdRule {
    /// People.
    pub threshold: u32,
    /// Readings that must each be higher than the one before.
    pub growing_readings: u32,
}

/// Duplicate merging: same category, this close, this soon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRule {
    /// Metres.
    pub distance_m: f64,
    /// Minutes after the open event's report.
    pub window_minutes: u32,
}

/// A configuration that does not parse or make sense.
#[derive(Debug, thiserror::Error)]
pub enum SensorRulesError {
    /// Not TOML of the right shape.
    #[error("sensor rules: {0}")]
    Parse(#[from] toml::de::Error),
    /// Parsed, but wrong.
    #[error("sensor rules: {0}")]
    Invalid(String),
}

impl Default for SensorRules {
    fn default() -> Self {
        Self::from_toml(DEFAULT_SENSORS_TOML).expect("the shipped sensors.toml is valid (tested)")
    }
}

impl SensorRules {
    /// Parse and check.
    pub fn from_toml(text: &str) -> Result<Self, SensorRulesError> {
        let c: SensorRules = toml::from_str(text)?;
        let bad = |why: String| Err(SensorRulesError::Invalid(why));
        if !(c.water.silent_hours > 0.0 && c.water.silent_hours <= 24.0 * 30.0) {
            return bad(format!("water.silent_hours = {}: give hours between 0 and 30 days", c.water.silent_hours));
        }
        if !(0.0..=1.0).contains(&c.fire_camera.min_confidence) {
            return bad("fire_camera.min_confidence must lie between 0 and 1".into());
        }
        let standard_ok = c.helmet.standard > 0.0 && c.helmet.standard <= 1.0;
        if !standard_ok || !(1..=90).contains(&c.helmet.window_days) {
            return bad("helmet.standard must lie in (0, 1] and helmet.window_days in 1..=90".into());
        }
        if c.crowd.threshold == 0 || !(1..=100).contains(&c.crowd.growing_readings) {
            return bad("crowd.threshold must be positive and crowd.growing_readings in 1..=100".into());
        }
        if !(c.merge.distance_m > 0.0 && c.merge.distance_m <= 10_000.0) || c.merge.window_minutes > 7 * 24 * 60 {
            return bad("merge.distance_m must lie in (0, 10 km] and merge.window_minutes within a week".into());
        }
        Ok(c)
    }

    /// The open event a new report `e` duplicates — same category, within `merge.distance_m` of it, reported no
    /// more than `merge.window_minutes` before it — the nearest if several; `None` when it is new.
    pub fn duplicate_of<'a>(&self, open: impl IntoIterator<Item = &'a Event>, e: &Event) -> Option<EventId> {
        let window = chrono::Duration::minutes(i64::from(self.merge.window_minutes));
        open.into_iter()
            .filter(|o| o.id != e.id && o.state.is_open() && o.category == e.category)
            .filter(|o| o.reported_at <= e.reported_at && e.reported_at - o.reported_at <= window)
            .map(|o| (o.position.distance_m(e.position), o.id))
            .filter(|(d, _)| *d <= self.merge.distance_m)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id)
    }
}

/// What the engine remembers of one sensor.
#[derive(Clone, Debug, Default)]
struct State {
    last: Option<Timestamp>,
    /// The rule's condition held at the last reading (fired, not yet cleared).
    firing: bool,
    /// Water: when water last flowed (or the first reading).
    flowed_at: Option<Timestamp>,
    /// Helmets: (day number, riders, helmeted), oldest first.
    days: VecDeque<(i64, u64, u64)>,
    /// The last readings, as numbers, oldest first.
    series: VecDeque<(Timestamp, f64)>,
}

/// The rules applied to a stream of readings (one state per sensor).
#[derive(Clone, Debug, Default)]
pub struct RuleEngine {
    rules: SensorRules,
    state: HashMap<SensorId, State>,
}

impl RuleEngine {
    /// An engine with `rules` and no history.
    pub fn new(rules: SensorRules) -> Self {
        Self { rules, state: HashMap::new() }
    }

    /// The rules in use.
    pub fn rules(&self) -> &SensorRules {
        &self.rules
    }

    /// Check `r` against `sensor` (its kind, its order, its range) without taking it.
    pub fn check(&self, sensor: &Sensor, r: &Reading) -> Result<(), ReadingError> {
        let id = sensor.id.0;
        let wrong = |value| ReadingError::WrongKind { sensor: id, kind: sensor.kind, value };
        let range = |why: String| Err(ReadingError::OutOfRange { sensor: id, why });
        match (sensor.kind, r.value) {
            (SensorKind::WaterMeter, Value::Flow { litres }) => {
                if !(litres.is_finite() && (0.0..=MAX_LITRES).contains(&litres)) {
                    return range(format!("flow {litres} l is outside 0..{MAX_LITRES}"));
                }
            }
            (SensorKind::SmokeDetector | SensorKind::EbikeCharger, Value::Alarm { .. }) => {}
            (SensorKind::StrawBurningCamera, Value::FirePoint { confidence, .. }) => {
                if !(0.0..=1.0).contains(&confidence) {
                    return range(format!("confidence {confidence} is outside 0..1"));
                }
            }
            (SensorKind::CheckpointCamera, Value::Helmets { riders, helmeted }) => {
                if riders > MAX_COUNT || helmeted > riders {
                    return range(format!("{helmeted} helmeted of {riders} riders"));
                }
            }
            (SensorKind::CrowdCamera, Value::Crowd { people }) => {
                if people > MAX_COUNT {
                    return range(format!("{people} people is more than {MAX_COUNT}"));
                }
            }
            (_, v) => return Err(wrong(value_name(&v))),
        }
        if let Some(last) = self.state.get(&sensor.id).and_then(|s| s.last)
            && r.at <= last
        {
            return Err(ReadingError::OutOfOrder { sensor: id, at: r.at, last });
        }
        Ok(())
    }

    /// Take reading `r` of `sensor`: checked first (nothing is taken when it is refused); returns the warning when
    /// a rule starts to hold.
    pub fn ingest(&mut self, sensor: &Sensor, r: &Reading) -> Result<Option<Warning>, ReadingError> {
        self.check(sensor, r)?;
        let rules = &self.rules;
        let s = self.state.entry(sensor.id).or_default();
        s.last = Some(r.at);
        let number = match r.value {
            Value::Flow { litres } => litres,
            Value::Alarm { on } => f64::from(u8::from(on)),
            Value::FirePoint { detected, confidence } => {
                if detected {
                    confidence
                } else {
                    0.0
                }
            }
            Value::Helmets { riders, helmeted } => {
                if riders == 0 {
                    1.0
                } else {
                    f64::from(helmeted) / f64::from(riders)
                }
            }
            Value::Crowd { people } => f64::from(people),
        };
        s.series.push_back((r.at, number));
        while s.series.len() > EVIDENCE {
            s.series.pop_front();
        }
        let (rule, holds, summary) = match r.value {
            Value::Flow { litres } => {
                if litres > 0.0 || s.flowed_at.is_none() {
                    s.flowed_at = Some(r.at);
                }
                let silent = (r.at - s.flowed_at.unwrap_or(r.at)).num_seconds() as f64 / 3600.0;
                let watched = sensor.elderly_alone || !rules.water.elderly_only;
                let holds = watched && litres == 0.0 && silent >= rules.water.silent_hours;
                (RuleKind::WaterSilent, holds, format!("{:.0} 小时无用水", silent))
            }
            Value::Alarm { on } => {
                let rule = if sensor.kind == SensorKind::EbikeCharger { RuleKind::Charger } else { RuleKind::Smoke };
                (rule, on, rule.zh().to_string())
            }
            Value::FirePoint { detected, confidence } => (
                RuleKind::FirePoint,
                detected && confidence >= rules.fire_camera.min_confidence,
                format!("火点置信度 {:.0}%", confidence * 100.0),
            ),
            Value::Helmets { riders, helmeted } => {
                let day = r.at.with_timezone(&crate::china_offset()).date_naive().num_days_from_ce_i64();
                match s.days.back_mut() {
                    Some(d) if d.0 == day => {
                        d.1 += u64::from(riders);
                        d.2 += u64::from(helmeted);
                    }
                    _ => s.days.push_back((day, u64::from(riders), u64::from(helmeted))),
                }
                let first = day - i64::from(rules.helmet.window_days) + 1;
                while s.days.front().is_some_and(|d| d.0 < first) {
                    s.days.pop_front();
                }
                let (n, h) = s.days.iter().fold((0u64, 0u64), |(n, h), d| (n + d.1, h + d.2));
                let rate = if n == 0 { 1.0 } else { h as f64 / n as f64 };
                let holds = n >= u64::from(rules.helmet.min_riders) && rate < rules.helmet.standard;
                let summary = format!(
                    "近{}天头盔佩戴率 {:.1}%（{h}/{n}），低于标准 {:.0}%",
                    rules.helmet.window_days,
                    rate * 100.0,
                    rules.helmet.standard * 100.0
                );
                (RuleKind::HelmetRate, holds, summary)
            }
            Value::Crowd { people } => {
                let k = rules.crowd.growing_readings as usize;
                let tail: Vec<f64> = s.series.iter().rev().take(k + 1).map(|x| x.1).collect();
                let growing = tail.len() > k && tail.windows(2).all(|w| w[0] > w[1]);
                (RuleKind::Crowd, people >= rules.crowd.threshold && growing, format!("{people} 人且持续增加"))
            }
        };
        let fired = holds && !s.firing;
        s.firing = holds;
        Ok(fired.then(|| Warning {
            sensor: sensor.id,
            rule,
            at: r.at,
            summary: format!("{} · {summary}", rule.zh()),
            evidence: match rule {
                RuleKind::HelmetRate => s
                    .days
                    .iter()
                    .map(|d| (day_start(d.0), if d.1 == 0 { 1.0 } else { d.2 as f64 / d.1 as f64 }))
                    .collect(),
                _ => s.series.iter().copied().collect(),
            },
        }))
    }
}

fn value_name(v: &Value) -> &'static str {
    match v {
        Value::Flow { .. } => "flow",
        Value::Alarm { .. } => "alarms",
        Value::FirePoint { .. } => "fire points",
        Value::Helmets { .. } => "helmet counts",
        Value::Crowd { .. } => "crowd counts",
    }
}

/// Midnight (China Standard Time) of day number `d` (days from the common era), as a timestamp.
fn day_start(d: i64) -> Timestamp {
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(d as i32).unwrap_or_default();
    let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(local - chrono::Duration::hours(8), chrono::Utc)
}

/// Days from the common era, as i64.
trait DaysFromCe {
    fn num_days_from_ce_i64(&self) -> i64;
}

impl DaysFromCe for chrono::NaiveDate {
    fn num_days_from_ce_i64(&self) -> i64 {
        use chrono::Datelike;
        i64::from(self.num_days_from_ce())
    }
}

#[cfg(test)]
mod tests;
