//! The command loop's rules: which level handles an event (routing), by when (deadlines), when it goes up a level
//! (SLA escalation), who may act on it (authority by role and unit), and who to send (dispatch candidates).
//!
//! Levels follow the Yuhang pyramid: community (村社) → town (镇街) → district (区级). An event's owning unit is
//! its community, its town or the district, by its level. The rules and deadlines are configurable in TOML
//! (`assets/config/routing.toml`, compiled in as [`RoutingConfig::default`]); the server applies them at intake and
//! on every step, and records the outcome (level, deadline) in the step, so clients replay the log without the
//! server's configuration.

pub use crate::role::Actor;
use crate::role::{Denied, Role};
use crate::{
    Event, EventAction, EventCategory, EventId, EventSource, Severity, Situation, Timestamp, UnitRef, WorkerId,
};
use crate::{TownId, WorkerStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shipped routing rules and deadlines (documented in the file).
pub const DEFAULT_ROUTING_TOML: &str = include_str!("../../../../assets/config/routing.toml");

pub use crate::level::Level;

impl Level {
    /// The level of a unit a room belongs to (`None` for grids and buildings, which have no room).
    pub fn of_unit(unit: UnitRef) -> Option<Level> {
        match unit {
            UnitRef::District => Some(Self::District),
            UnitRef::Town(_) => Some(Self::Town),
            UnitRef::Community(_) => Some(Self::Community),
            UnitRef::Grid(_) | UnitRef::Building(_) => None,
        }
    }
}

/// Who raised an event, as a routing rule names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A grid worker on patrol.
    GridWorker,
    /// A sensor.
    Sensor,
    /// The 12345 hotline (and reports typed in by an operator from a phone call).
    Hotline,
    /// Police referral.
    Police,
}

impl SourceKind {
    /// The kind of `source`.
    pub fn of(source: &EventSource) -> SourceKind {
        match source {
            EventSource::GridWorker(_) => Self::GridWorker,
            EventSource::Sensor(_) => Self::Sensor,
            EventSource::Hotline => Self::Hotline,
            EventSource::Police => Self::Police,
        }
    }
}

/// One routing rule: when all its conditions hold, the event goes to `level`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The event's category is one of these (empty: any).
    #[serde(default)]
    pub categories: Vec<EventCategory>,
    /// The event is at least this serious.
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// Who raised it (empty: anyone).
    #[serde(default)]
    pub sources: Vec<SourceKind>,
    /// Where it goes.
    pub level: Level,
}

impl Rule {
    fn matches(&self, e: &Event) -> bool {
        (self.categories.is_empty() || self.categories.contains(&e.category))
            && self.min_severity.is_none_or(|s| e.severity >= s)
            && (self.sources.is_empty() || self.sources.contains(&SourceKind::of(&e.source)))
    }
}

/// Routing rules and deadlines (the shape of `assets/config/routing.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Where an event goes when no rule matches.
    pub default_level: Level,
    /// Minutes past the deadline before an automatic escalation.
    pub grace_minutes: u32,
    /// An open event with less than this share of its time limit left is near its deadline.
    pub warn_share: f64,
    /// Hours to close, by level and severity.
    pub deadline_hours: BTreeMap<Level, BTreeMap<Severity, f64>>,
    /// The rules, first match wins.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// A routing configuration that does not parse or does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// Not TOML of the right shape.
    #[error("routing config: {0}")]
    Parse(#[from] toml::de::Error),
    /// Parsed, but wrong.
    #[error("routing config: {0}")]
    Invalid(String),
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self::from_toml(DEFAULT_ROUTING_TOML).expect("the shipped routing.toml is valid (tested)")
    }
}

/// How close an open event is to its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    /// Closed, or plenty of time left.
    Calm,
    /// Less than the configured share of its time limit left (amber timer ring).
    Near,
    /// Past its deadline (red, pulsing).
    Overdue,
}

impl RoutingConfig {
    /// Parse and check a configuration.
    pub fn from_toml(text: &str) -> Result<Self, RoutingError> {
        let c: RoutingConfig = toml::from_str(text)?;
        for level in Level::ALL {
            let Some(hours) = c.deadline_hours.get(&level) else {
                return Err(RoutingError::Invalid(format!("deadline_hours.{} is missing", level.name())));
            };
            for s in Severity::ALL {
                match hours.get(&s) {
                    Some(h) if h.is_finite() && *h > 0.0 && *h <= 24.0 * 365.0 => {}
                    Some(h) => {
                        return Err(RoutingError::Invalid(format!(
                            "deadline_hours.{}.{s:?} = {h}: give hours between 0 and a year",
                            level.name()
                        )));
                    }
                    None => {
                        return Err(RoutingError::Invalid(format!("deadline_hours.{}.{s:?} is missing", level.name())));
                    }
                }
            }
        }
        if !(c.warn_share > 0.0 && c.warn_share < 1.0) {
            return Err(RoutingError::Invalid(format!("warn_share = {}: give a share between 0 and 1", c.warn_share)));
        }
        if c.grace_minutes > 7 * 24 * 60 {
            return Err(RoutingError::Invalid(format!("grace_minutes = {}: at most a week", c.grace_minutes)));
        }
        Ok(c)
    }

    /// The level a new event goes to.
    pub fn route(&self, e: &Event) -> Level {
        self.rules.iter().find(|r| r.matches(e)).map_or(self.default_level, |r| r.level)
    }

    /// Time allowed at `level` for an event of `severity`.
    pub fn time_limit(&self, level: Level, severity: Severity) -> chrono::Duration {
        let hours = self.deadline_hours.get(&level).and_then(|h| h.get(&severity)).copied().unwrap_or(24.0);
        chrono::Duration::seconds((hours * 3600.0).round() as i64)
    }

    /// The grace after a deadline before an automatic escalation.
    pub fn grace(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.grace_minutes))
    }

    /// Route a new event: its level, and its deadline counted from its report.
    pub fn intake(&self, e: &mut Event) {
        e.level = self.route(e);
        e.deadline = e.reported_at + self.time_limit(e.level, e.severity);
    }

    /// Where `action` taken at `at` leaves the event's level and deadline, when it moves them: an escalation goes
    /// one level up, a re-route to the level it names, each with a fresh deadline there; other actions (and an
    /// escalation at the district) leave both.
    pub fn moves(&self, e: &Event, action: &EventAction, at: Timestamp) -> Option<(Level, Timestamp)> {
        let level = match action {
            EventAction::Escalate { .. } => e.level.up()?,
            EventAction::Reroute { level, .. } => *level,
            _ => return None,
        };
        Some((level, at + self.time_limit(level, e.severity)))
    }

    /// How close `e` is to its deadline at `now`.
    pub fn urgency(&self, e: &Event, now: Timestamp) -> Urgency {
        if !e.state.is_open() {
            return Urgency::Calm;
        }
        if now > e.deadline {
            return Urgency::Overdue;
        }
        let limit = self.time_limit(e.level, e.severity).num_seconds() as f64;
        let left = (e.deadline - now).num_seconds() as f64;
        if left < limit * self.warn_share { Urgency::Near } else { Urgency::Calm }
    }

    /// When an open event's breach falls due: its deadline plus the grace, and never before its last step. An
    /// automatic escalation is recorded at this moment (by the server's sweeper and the desktop's own demo alike), so
    /// the outcome does not depend on how often anyone looks.
    pub fn breach_at(&self, e: &Event) -> Timestamp {
        (e.deadline + self.grace()).max(e.updated_at())
    }

    /// The automatic escalation due for `e` at `now`: it is open, past its deadline by more than the grace, and
    /// there is a level above. Returns the idempotency key that names this breach — one per event and deadline, so
    /// the same breach is escalated once however many servers notice it — and the reason to record.
    pub fn sla_due(&self, e: &Event, now: Timestamp) -> Option<(String, String)> {
        let up = e.level.up()?;
        if !e.state.is_open() || now <= e.deadline + self.grace() {
            return None;
        }
        let key = format!("sla-{}-{}", e.id.0, e.deadline.timestamp());
        let reason = format!(
            "超时未办结，自动上报{}（期限 {}，宽限 {} 分钟） · overdue: escalated to {} automatically",
            up.zh(),
            e.deadline.with_timezone(&crate::china_offset()).format("%m-%d %H:%M"),
            self.grace_minutes,
            up.en().to_lowercase()
        );
        Some((key, reason))
    }
}

impl Event {
    /// The unit whose room owns this event at its level.
    pub fn owner(&self) -> UnitRef {
        match self.level {
            Level::Community => UnitRef::Community(self.community),
            Level::Town => UnitRef::Town(self.town),
            Level::District => UnitRef::District,
        }
    }

    /// Whether `unit` is this event's place or above it (the district, its town, its community, its grid).
    pub fn within(&self, unit: UnitRef) -> bool {
        match unit {
            UnitRef::District => true,
            UnitRef::Town(t) => t == self.town,
            UnitRef::Community(c) => c == self.community,
            UnitRef::Grid(g) => g == self.grid,
            UnitRef::Building(b) => self.building == Some(b),
        }
    }

    /// Whether this event escalated to its current level (rather than being routed there).
    pub fn escalated(&self) -> bool {
        self.history
            .iter()
            .rev()
            .find(|h| h.level.is_some())
            .is_some_and(|h| matches!(h.action, EventAction::Escalate { .. }))
    }
}

impl Role {
    /// Whether this role may take `action` at all (whose event it is, is [`Actor::may_act`]'s question): a grid
    /// worker starts, reports back and escalates; an operator does all but reopen; a supervisor and an
    /// administrator everything; a sensor gateway nothing.
    pub fn may_take(self, action: &EventAction) -> bool {
        use EventAction as A;
        match self {
            Self::Admin | Self::Supervisor => true,
            Self::Operator => !matches!(action, A::Reopen { .. }),
            Self::GridWorker => matches!(action, A::StartDisposal | A::SubmitFeedback { .. } | A::Escalate { .. }),
            Self::SensorGateway => false,
        }
    }
}

impl Actor {
    /// Whether `e` lies in this actor's area: an administrator's is everything, anyone else's is their room's
    /// unit (the event's place is that unit or below it).
    pub fn covers(&self, e: &Event) -> bool {
        self.role == Role::Admin || e.within(self.unit)
    }

    /// Whether this actor may take a wrongly merged report out of `e` again: a command-room role, over `e`'s area.
    pub fn may_split(&self, e: &Event) -> bool {
        self.role.in_command_room() && self.covers(e)
    }

    /// Whether this user may take `action` on `e` (already known to exist) now — their role allows it, the
    /// lifecycle allows it from the event's state, and the event is theirs — and if not, why, in words for the
    /// operator. The server refuses what this refuses; the desktop greys it out with the reason.
    pub fn may_act(&self, e: &Event, action: &EventAction) -> Result<(), Denied> {
        if !self.role.may_take(action) {
            return Err(Denied(format!("a {} may not {}", self.role.name(), action.name())));
        }
        e.state.apply(action).map_err(|err| Denied(format!("event {}: {err}", e.number)))?;
        if let EventAction::Close { outcome: None, .. } = action
            && e.evidence.is_some()
        {
            return Err(Denied(format!(
                "event {} is a sensor warning: closing it records what it turned out to be (confirmed, hidden risk \
                 found, or false alarm)",
                e.number
            )));
        }
        if let EventAction::Escalate { .. } = action
            && e.level.up().is_none()
        {
            return Err(Denied(format!(
                "event {} is already at the district level: there is no level above",
                e.number
            )));
        }
        match self.role {
            Role::Admin => Ok(()),
            Role::GridWorker => match self.worker {
                Some(w) if e.assignee == Some(w) => Ok(()),
                _ => Err(Denied(format!("event {} is not assigned to this grid worker", e.number))),
            },
            Role::SensorGateway => Err(Denied("a sensor gateway only reports".into())),
            Role::Operator | Role::Supervisor => {
                let mine = self.unit_name();
                if let EventAction::Reroute { level, .. } = action {
                    let Some(own) = Level::of_unit(self.unit) else {
                        return Err(Denied(format!("{mine} is not a room's unit")));
                    };
                    if !e.within(self.unit) || own < e.level {
                        return Err(Denied(format!(
                            "only a room at or above event {}'s owner may re-route it ({mine} is not)",
                            e.number
                        )));
                    }
                    if *level > own {
                        return Err(Denied(format!(
                            "a {} room cannot route to the {} level",
                            own.name(),
                            level.name()
                        )));
                    }
                    if *level == e.level {
                        return Err(Denied(format!("event {} is already at the {} level", e.number, level.name())));
                    }
                    return Ok(());
                }
                if e.owner() == self.unit {
                    return Ok(());
                }
                // A supervisor oversees everything in their unit (督办), the levels below included.
                if self.role == Role::Supervisor && e.within(self.unit) {
                    return Ok(());
                }
                Err(Denied(format!(
                    "event {} belongs to the {} level ({}); {mine} acts on its own unit's events and those escalated to it",
                    e.number,
                    e.level.name(),
                    unit_label(e.owner())
                )))
            }
        }
    }

    /// Whether this user may report `e` (a new event): rooms report in their own area.
    pub fn may_report(&self, e: &Event) -> Result<(), Denied> {
        match self.role {
            Role::Operator | Role::Supervisor if !e.within(self.unit) => Err(Denied(format!(
                "the place of {} is outside {}: a room reports in its own area",
                if e.number.trim().is_empty() { "the new report".to_string() } else { format!("report {}", e.number) },
                self.unit_name()
            ))),
            _ => Ok(()),
        }
    }

    fn unit_name(&self) -> String {
        format!("this user's unit ({})", unit_label(self.unit))
    }
}

fn unit_label(u: UnitRef) -> String {
    match u {
        UnitRef::District => "the district".into(),
        UnitRef::Town(t) => format!("town #{}", t.0),
        UnitRef::Community(c) => format!("community #{}", c.0),
        UnitRef::Grid(g) => format!("grid #{}", g.0),
        UnitRef::Building(b) => format!("building #{}", b.0),
    }
}

/// A worker who could be sent to an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The worker.
    pub worker: WorkerId,
    /// Straight-line distance to the event, metres.
    pub distance_m: f64,
    /// What they are doing.
    pub status: WorkerStatus,
    /// Open events assigned to them.
    pub load: usize,
    /// On duty and not handling anything.
    pub free: bool,
    /// One of the event's grid's workers (others are from its town, listed after).
    pub own_grid: bool,
}

/// The workers to offer for dispatching `e`: the grid's own workers by distance, then (when the grid has fewer than
/// `min` on duty) the nearest on-duty workers of the same town. Off-duty workers are listed last. Which one to
/// preselect is [`crate::Situation::dispatch_choice`]'s rule (the nearest free worker of the grid), the one rule the
/// simulator and the desktop's dispatch share.
pub fn dispatch_candidates(
    situation: &Situation,
    e: &Event,
    town_of_grid: impl Fn(crate::GridId) -> Option<TownId>,
    min: usize,
) -> Vec<Candidate> {
    let mut load = vec![0usize; situation.workers.len()];
    for ev in &situation.events {
        if let (true, Some(w)) = (ev.state.is_open(), ev.assignee)
            && let Some(l) = load.get_mut(w.index())
        {
            *l += 1;
        }
    }
    let make = |w: &crate::GridWorker, own_grid: bool| Candidate {
        worker: w.id,
        distance_m: w.position.distance_m(e.position),
        status: w.status,
        load: load.get(w.id.index()).copied().unwrap_or(0),
        free: w.status == WorkerStatus::Patrolling,
        own_grid,
    };
    let mut own: Vec<Candidate> =
        situation.workers.iter().filter(|w| w.grids.contains(&e.grid)).map(|w| make(w, true)).collect();
    let on_duty = own.iter().filter(|c| c.status.on_duty()).count();
    let mut more = Vec::new();
    if on_duty < min {
        more = situation
            .workers
            .iter()
            .filter(|w| !w.grids.contains(&e.grid) && w.status.on_duty())
            .filter(|w| w.grids.iter().any(|g| town_of_grid(*g) == Some(e.town)))
            .map(|w| make(w, false))
            .collect();
        more.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        more.truncate(min - on_duty);
    }
    own.sort_by(|a, b| (!a.status.on_duty()).cmp(&!b.status.on_duty()).then(a.distance_m.total_cmp(&b.distance_m)));
    let split = own.iter().position(|c| !c.status.on_duty()).unwrap_or(own.len());
    let off = own.split_off(split);
    own.extend(more);
    own.extend(off);
    own
}

/// How the command loop went for a set of events: closed on time, overdue, escalated, time to close.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopStats {
    /// Events reported in the period.
    pub reported: u32,
    /// Of those, closed.
    pub closed: u32,
    /// Of the closed, closed by their deadline (the one in force when they were closed).
    pub on_time: u32,
    /// Still open and past their deadline now.
    pub overdue: u32,
    /// Of those reported, escalated at least once within the period ([`LoopFigure::Escalated`]).
    pub escalations: u32,
    /// Median minutes from report to closing, over the closed ones.
    pub median_close_min: Option<f64>,
}

impl LoopStats {
    /// Share of the closed events closed on time (`None`: none closed).
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.closed > 0).then(|| f64::from(self.on_time) / f64::from(self.closed))
    }
}

/// [`LoopStats`] for the whole district, per level (community, town, district — where each event is now) and per
/// town (in `TownId` order), over the events reported in `[from, to)`, as of `now`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopFigures {
    /// All events.
    pub district: LoopStats,
    /// By the level each event is at now.
    pub levels: [LoopStats; 3],
    /// By town.
    pub towns: Vec<LoopStats>,
    /// Sensor warnings closed in the period with a recorded outcome, by rule: (rule, useful — confirmed or a hidden
    /// risk found —, false alarms).
    pub precision: Vec<(crate::sensors::RuleKind, u32, u32)>,
}

impl LoopFigures {
    /// Precision of a rule's warnings (useful / closed with an outcome), `None` with none closed.
    pub fn precision_of(&self, rule: crate::sensors::RuleKind) -> Option<f64> {
        let (_, useful, false_alarms) = self.precision.iter().find(|p| p.0 == rule)?;
        let n = useful + false_alarms;
        (n > 0).then(|| f64::from(*useful) / f64::from(n))
    }
}

/// One of the command loop's counts of events (the loop table's 上报, 办结, 按时, 逾期): which events it counts is
/// [`LoopFigure::counts`], the rule [`loop_figures`] counts by, so a drill-through lists exactly the events behind a
/// figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopFigure {
    /// Reported in the period ([`LoopStats::reported`]).
    Reported,
    /// Of those, closed ([`LoopStats::closed`]).
    Closed,
    /// Of the closed, closed by their deadline ([`LoopStats::on_time`]).
    OnTime,
    /// Of those reported, open and past the deadline now ([`LoopStats::overdue`]).
    Overdue,
    /// Of those reported, escalated within the period ([`LoopStats::escalations`]).
    Escalated,
}

impl LoopFigure {
    /// Whether the figure for events reported in `[from, to)`, as of `now`, counts `e`.
    pub fn counts(self, e: &Event, from: Timestamp, to: Timestamp, now: Timestamp) -> bool {
        if e.reported_at < from || e.reported_at >= to {
            return false;
        }
        match self {
            Self::Reported => true,
            Self::Closed => closing(e).is_some(),
            Self::OnTime => closing(e).is_some_and(|c| c.at <= e.deadline),
            Self::Overdue => e.is_overdue(now),
            Self::Escalated => escalated_within(e, from, to),
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        ["上报", "办结", "按时办结", "逾期", "升级"][self as usize]
    }

    /// English name.
    pub fn en(self) -> &'static str {
        ["reported", "closed", "closed on time", "overdue", "escalated"][self as usize]
    }
}

/// Whether `e` was escalated (an `Escalate` step) within `[from, to)`.
fn escalated_within(e: &Event, from: Timestamp, to: Timestamp) -> bool {
    e.history.iter().any(|h| matches!(h.action, EventAction::Escalate { .. }) && h.at >= from && h.at < to)
}

/// The step that closed `e`, when it is closed now.
pub fn closing(e: &Event) -> Option<&crate::event::StatusChange> {
    e.history.iter().rev().find(|h| matches!(h.action, EventAction::Close { .. }) && !e.state.is_open())
}

/// Work out [`LoopFigures`] from `events` (with their histories).
pub fn loop_figures(events: &[Event], towns: usize, from: Timestamp, to: Timestamp, now: Timestamp) -> LoopFigures {
    let mut f = LoopFigures { towns: vec![LoopStats::default(); towns], ..Default::default() };
    let mut minutes: Vec<Vec<f64>> = vec![Vec::new(); 4 + towns];
    let level_index = |l: Level| Level::ALL.iter().position(|x| *x == l).unwrap_or(0);
    for e in events.iter().filter(|e| e.reported_at >= from && e.reported_at < to) {
        let li = level_index(e.level);
        let ti = e.town.index();
        let close = closing(e);
        let escalated = escalated_within(e, from, to);
        let mut add = |s: &mut LoopStats, slot: usize| {
            s.reported += 1;
            if let Some(c) = close {
                s.closed += 1;
                if c.at <= e.deadline {
                    s.on_time += 1;
                }
                minutes[slot].push((c.at - e.reported_at).num_seconds() as f64 / 60.0);
            }
            if e.is_overdue(now) {
                s.overdue += 1;
            }
            if escalated {
                s.escalations += 1;
            }
        };
        add(&mut f.district, 0);
        add(&mut f.levels[li], 1 + li);
        if let Some(t) = f.towns.get_mut(ti) {
            add(t, 4 + ti);
        }
    }
    // Precision: warnings closed in the period, by the outcome recorded on closing.
    for e in events {
        let Some(ev) = &e.evidence else { continue };
        let outcome = e.history.iter().rev().find_map(|h| match &h.action {
            EventAction::Close { outcome: Some(o), .. } if h.at >= from && h.at < to => Some(*o),
            _ => None,
        });
        let Some(o) = outcome else { continue };
        let i = match f.precision.iter().position(|p| p.0 == ev.rule) {
            Some(i) => i,
            None => {
                f.precision.push((ev.rule, 0, 0));
                f.precision.len() - 1
            }
        };
        if o.useful() {
            f.precision[i].1 += 1;
        } else {
            f.precision[i].2 += 1;
        }
    }
    f.precision.sort_by_key(|p| format!("{:?}", p.0));
    let median = |v: &mut Vec<f64>| -> Option<f64> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
    };
    f.district.median_close_min = median(&mut minutes[0]);
    for i in 0..3 {
        f.levels[i].median_close_min = median(&mut minutes[1 + i]);
    }
    for (i, t) in f.towns.iter_mut().enumerate() {
        t.median_close_min = median(&mut minutes[4 + i]);
    }
    f
}

/// Why a lifecycle step could not be applied to a [`crate::Situation`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// No event has this id.
    #[error("there is no event {}", .0.0)]
    NoEvent(EventId),
    /// The lifecycle does not allow the step.
    #[error(transparent)]
    Transition(#[from] crate::TransitionError),
    /// An escalation of an event already at the district level.
    #[error("event {0} is already at the district level: there is no level above")]
    NoLevelAbove(String),
}

impl Situation {
    /// Apply one lifecycle step to an event and keep its workers' statuses in step ([`crate::worker::status_after_step`]): the one
    /// way the simulator and the desktop change an event. An escalation or a re-route moves its level and deadline
    /// by `routing`. On error nothing changes.
    pub fn act(
        &mut self,
        event: EventId,
        action: crate::EventAction,
        at: crate::Timestamp,
        routing: &crate::routing::RoutingConfig,
    ) -> Result<crate::EventState, StepError> {
        let e = self.event_mut(event).ok_or(StepError::NoEvent(event))?;
        if matches!(action, crate::EventAction::Escalate { .. }) && e.level.up().is_none() {
            return Err(StepError::NoLevelAbove(e.number.clone()));
        }
        let before = e.assignee;
        let moved = routing.moves(e, &action, at);
        let state = e.apply_moving(action, at, moved)?;
        self.apply_worker_rule(event, before);
        Ok(state)
    }
}

#[cfg(test)]
mod tests;
