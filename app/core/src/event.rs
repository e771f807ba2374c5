//! Events: what happened, where, how bad, and where it stands in its closed loop.
//!
//! The lifecycle is an explicit state machine ([`EventState::apply`]):
//!
//! ```text
//! Reported ─accept→ Accepted ─assign→ Assigned ─start→ InDisposal ─feedback→ Feedback ─close→ Closed
//!                      │                 │  ↺ assign      │   ↑                  │            │
//!                      └──escalate──→ Escalated ←─────────┘   └──── rework ──────┘         reopen
//!                                        └─assign→ Assigned              Reopened ←──────────┘
//!                                                                        ├─accept→ Accepted
//!                                                                        └─assign→ Assigned
//! ```
//!
//! Besides: `escalate` is legal from every open state (it hands the event one level up — community → town →
//! district, see [`crate::routing`] — and leaves it `Escalated` for the new level's room to dispatch), and
//! `reroute` (a room above sends it to another level) from every open state, leaving the state as it is.
//!
//! Anything else is illegal and returns [`TransitionError`].

pub use crate::ids::EventId;
use crate::ids::{RuleKind, SensorId, WorkerId};
use crate::level::Level;
use crate::units::{BuildingId, CommunityId, TownId};
use crate::{AddressCode, GridId, LonLat, Timestamp};
use serde::{Deserialize, Serialize};

/// What kind of event this is. The first nine are the key categories of the five-colour assessment;
/// the sensor-born alerts come from IoT devices; `Other` is everything else a grid worker reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventCategory {
    /// 访源 — source of a petition (people likely to petition upwards).
    PetitionSource,
    /// 黄赌毒 — prostitution, gambling, drugs.
    Vice,
    /// 偷盗 — theft.
    Theft,
    /// 纠纷 — civil dispute.
    Dispute,
    /// 电信诈骗 — telecom/online fraud.
    TelecomFraud,
    /// 火警 — fire alarm.
    FireAlarm,
    /// 交通亡人 — fatal traffic accident.
    TrafficDeath,
    /// 命案 — homicide.
    Homicide,
    /// 欠薪 — wage arrears.
    WageArrears,
    /// 安全生产事故 — work-safety accident (factory, construction site).
    WorkSafety,
    /// 非正常死亡 — unnatural death other than homicide and traffic (drowning, fall, suicide).
    UnnaturalDeath,
    /// Sensor: smoke detector alarm (烟感报警).
    SmokeDetector,
    /// Sensor: water meter with no flow for days — a lone elderly resident may need help (水表无流量).
    WaterMeterNoFlow,
    /// Sensor: camera detected straw burning (秸秆焚烧).
    StrawBurning,
    /// Sensor: crowd gathering detected (人员聚集).
    CrowdGathering,
    /// Sensor: checkpoint camera helmet-wearing rate below threshold (头盔佩戴率).
    HelmetRate,
    /// Anything else reported on patrol (其他).
    Other,
}

impl EventCategory {
    /// Every category, key ones first.
    pub const ALL: [EventCategory; 17] = [
        Self::PetitionSource,
        Self::Vice,
        Self::Theft,
        Self::Dispute,
        Self::TelecomFraud,
        Self::FireAlarm,
        Self::TrafficDeath,
        Self::Homicide,
        Self::WageArrears,
        Self::WorkSafety,
        Self::UnnaturalDeath,
        Self::SmokeDetector,
        Self::WaterMeterNoFlow,
        Self::StrawBurning,
        Self::CrowdGathering,
        Self::HelmetRate,
        Self::Other,
    ];

    /// The nine key categories of the five-colour assessment.
    pub const KEY: [EventCategory; 9] = [
        Self::PetitionSource,
        Self::Vice,
        Self::Theft,
        Self::Dispute,
        Self::TelecomFraud,
        Self::FireAlarm,
        Self::TrafficDeath,
        Self::Homicide,
        Self::WageArrears,
    ];

    /// Whether this is one of the nine key categories.
    pub fn is_key(self) -> bool {
        Self::KEY.contains(&self)
    }

    /// The sensor that raises this category, if it is sensor-born.
    pub fn sensor(self) -> Option<SensorKind> {
        match self {
            Self::SmokeDetector => Some(SensorKind::SmokeDetector),
            Self::WaterMeterNoFlow => Some(SensorKind::WaterMeter),
            Self::StrawBurning => Some(SensorKind::StrawBurningCamera),
            Self::CrowdGathering => Some(SensorKind::CrowdCamera),
            Self::HelmetRate => Some(SensorKind::CheckpointCamera),
            _ => None,
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::PetitionSource => "访源",
            Self::Vice => "黄赌毒",
            Self::Theft => "偷盗",
            Self::Dispute => "纠纷",
            Self::TelecomFraud => "电信诈骗",
            Self::FireAlarm => "火警",
            Self::TrafficDeath => "交通亡人",
            Self::Homicide => "命案",
            Self::WageArrears => "欠薪",
            Self::WorkSafety => "安全生产事故",
            Self::UnnaturalDeath => "非正常死亡",
            Self::SmokeDetector => "烟感报警",
            Self::WaterMeterNoFlow => "水表无流量",
            Self::StrawBurning => "秸秆焚烧",
            Self::CrowdGathering => "人员聚集",
            Self::HelmetRate => "头盔佩戴率低",
            Self::Other => "其他",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::PetitionSource => "Petition source",
            Self::Vice => "Vice",
            Self::Theft => "Theft",
            Self::Dispute => "Dispute",
            Self::TelecomFraud => "Telecom fraud",
            Self::FireAlarm => "Fire alarm",
            Self::TrafficDeath => "Traffic death",
            Self::Homicide => "Homicide",
            Self::WageArrears => "Wage arrears",
            Self::WorkSafety => "Work-safety accident",
            Self::UnnaturalDeath => "Unnatural death",
            Self::SmokeDetector => "Smoke detector",
            Self::WaterMeterNoFlow => "Water meter: no flow",
            Self::StrawBurning => "Straw burning",
            Self::CrowdGathering => "Crowd gathering",
            Self::HelmetRate => "Low helmet rate",
            Self::Other => "Other",
        }
    }
}

/// Kinds of IoT sensors that raise events by themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SensorKind {
    /// Smoke detector in a home or shop.
    SmokeDetector,
    /// Smart water meter.
    WaterMeter,
    /// Field camera watching for straw burning.
    StrawBurningCamera,
    /// Camera counting people in public space.
    CrowdCamera,
    /// Traffic checkpoint camera counting helmets on e-bikes.
    CheckpointCamera,
    /// E-bike charging point (overheating, over-current alarms).
    EbikeCharger,
}

impl SensorKind {
    /// Every kind.
    pub const ALL: [SensorKind; 6] = [
        Self::WaterMeter,
        Self::SmokeDetector,
        Self::EbikeCharger,
        Self::StrawBurningCamera,
        Self::CheckpointCamera,
        Self::CrowdCamera,
    ];
}

/// How serious an event is, after the four national emergency levels (IV lowest … I highest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// IV 一般 — general.
    General,
    /// III 较大 — significant.
    Significant,
    /// II 重大 — major.
    Major,
    /// I 特别重大 — critical.
    Critical,
}

impl Severity {
    /// All levels, lowest first.
    pub const ALL: [Severity; 4] = [Self::General, Self::Significant, Self::Major, Self::Critical];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::General => "一般",
            Self::Significant => "较大",
            Self::Major => "重大",
            Self::Critical => "特别重大",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::General => "General",
            Self::Significant => "Significant",
            Self::Major => "Major",
            Self::Critical => "Critical",
        }
    }
}

/// Where an event is in its closed loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventState {
    /// 上报 — reported, waiting to be accepted.
    Reported,
    /// 受理 — accepted by the command centre.
    Accepted,
    /// 派遣 — assigned to a worker or department.
    Assigned,
    /// 处置中 — being handled on site.
    InDisposal,
    /// 反馈 — the handler has reported back; waiting for the centre to check.
    Feedback,
    /// 办结 — closed.
    Closed,
    /// 上报升级 — escalated to a higher level.
    Escalated,
    /// 重启 — reopened after closing.
    Reopened,
}

impl EventState {
    /// Every state, in lifecycle order.
    pub const ALL: [EventState; 8] = [
        Self::Reported,
        Self::Accepted,
        Self::Assigned,
        Self::InDisposal,
        Self::Feedback,
        Self::Closed,
        Self::Escalated,
        Self::Reopened,
    ];

    /// Whether the loop is still open (anything but closed).
    pub fn is_open(self) -> bool {
        self != Self::Closed
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Reported => "已上报",
            Self::Accepted => "已受理",
            Self::Assigned => "已派遣",
            Self::InDisposal => "处置中",
            Self::Feedback => "待核查",
            Self::Closed => "已办结",
            Self::Escalated => "已升级",
            Self::Reopened => "已重启",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Reported => "Reported",
            Self::Accepted => "Accepted",
            Self::Assigned => "Assigned",
            Self::InDisposal => "In disposal",
            Self::Feedback => "Feedback",
            Self::Closed => "Closed",
            Self::Escalated => "Escalated",
            Self::Reopened => "Reopened",
        }
    }

    /// The state after `action`, or why `action` is not allowed now.
    pub fn apply(self, action: &EventAction) -> Result<EventState, TransitionError> {
        use EventAction as A;
        use EventState as S;
        let next = match (self, action) {
            (S::Reported | S::Reopened, A::Accept) => S::Accepted,
            (S::Accepted | S::Assigned | S::Escalated | S::Reopened, A::Assign { .. }) => S::Assigned,
            (S::Assigned, A::StartDisposal) => S::InDisposal,
            (S::InDisposal, A::SubmitFeedback { .. }) => S::Feedback,
            (S::Feedback, A::Close { .. }) => S::Closed,
            (S::Feedback, A::Rework { .. }) => S::InDisposal,
            (from, A::Escalate { .. }) if from.is_open() => S::Escalated,
            (from, A::Reroute { .. }) if from.is_open() => from,
            (S::Closed, A::Reopen { .. }) => S::Reopened,
            (from, action) => {
                return Err(TransitionError { from, action: action.name() });
            }
        };
        Ok(next)
    }
}

/// Something a person (or the system) does to an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventAction {
    /// The centre accepts a report.
    Accept,
    /// Dispatch to a grid worker.
    Assign {
        /// Who is to handle it.
        worker: WorkerId,
    },
    /// The worker starts handling it on site.
    StartDisposal,
    /// The worker reports back what was done.
    SubmitFeedback {
        /// What was done.
        note: String,
    },
    /// The centre checks the feedback and closes the loop.
    Close {
        /// Closing remark.
        note: String,
        /// For a sensor warning: what it turned out to be (the warning rules' precision is measured on it).
        #[serde(default)]
        outcome: Option<WarningOutcome>,
    },
    /// The centre is not satisfied with the feedback and sends it back.
    Rework {
        /// What is still missing.
        note: String,
    },
    /// Hand it up a level (beyond the street's power, or overdue).
    Escalate {
        /// Why.
        reason: String,
    },
    /// Open a closed event again.
    Reopen {
        /// Why.
        reason: String,
    },
    /// A room at or above the owner sends the event to another level (state unchanged, fresh deadline there).
    Reroute {
        /// The level to handle it.
        level: Level,
        /// Why.
        reason: String,
    },
}

impl EventAction {
    /// A short stable name for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Assign { .. } => "assign",
            Self::StartDisposal => "start_disposal",
            Self::SubmitFeedback { .. } => "submit_feedback",
            Self::Close { .. } => "close",
            Self::Rework { .. } => "rework",
            Self::Escalate { .. } => "escalate",
            Self::Reopen { .. } => "reopen",
            Self::Reroute { .. } => "reroute",
        }
    }

    /// Chinese name of the action, for status histories.
    pub fn zh(&self) -> &'static str {
        match self {
            Self::Accept => "受理",
            Self::Assign { .. } => "派遣",
            Self::StartDisposal => "开始处置",
            Self::SubmitFeedback { .. } => "提交反馈",
            Self::Close { .. } => "办结",
            Self::Rework { .. } => "退回重办",
            Self::Escalate { .. } => "上报升级",
            Self::Reopen { .. } => "重启",
            Self::Reroute { .. } => "改派层级",
        }
    }

    /// English name of the action.
    pub fn en(&self) -> &'static str {
        match self {
            Self::Accept => "Accept",
            Self::Assign { .. } => "Assign",
            Self::StartDisposal => "Start disposal",
            Self::SubmitFeedback { .. } => "Feedback",
            Self::Close { .. } => "Close",
            Self::Rework { .. } => "Rework",
            Self::Escalate { .. } => "Escalate",
            Self::Reopen { .. } => "Reopen",
            Self::Reroute { .. } => "Re-route",
        }
    }
}

/// An action that the lifecycle does not allow from the current state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an event that is {from:?}")]
pub struct TransitionError {
    /// The state the event was in.
    pub from: EventState,
    /// The action tried ([`EventAction::name`]).
    pub action: &'static str,
}

/// Who or what raised the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventSource {
    /// A grid worker on patrol.
    GridWorker(WorkerId),
    /// An IoT sensor.
    Sensor(SensorKind),
    /// The 12345 citizen hotline.
    Hotline,
    /// Police referral (110 联动).
    Police,
}

/// One step in an event's status history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When it happened.
    pub at: Timestamp,
    /// State before.
    pub from: EventState,
    /// State after.
    pub to: EventState,
    /// What was done.
    pub action: EventAction,
    /// The event's handling level after this step, when the step moved it (an escalation, a re-route).
    #[serde(default)]
    pub level: Option<Level>,
    /// The event's deadline after this step, when the step moved it.
    #[serde(default)]
    pub deadline: Option<Timestamp>,
    /// The level and deadline this step moved the event away from (set with `level`/`deadline`): what a replay
    /// needs to show the event as it was before its first move. `None` on steps that moved nothing, and on steps
    /// logged before this was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<(Level, Timestamp)>,
}

impl StatusChange {
    /// The note typed with this step (feedback, closing remark, rework, escalation, reopen or re-route reason).
    pub fn note(&self) -> Option<&str> {
        self.action.note()
    }
}

impl EventAction {
    /// The text this action carries, if any.
    pub fn note(&self) -> Option<&str> {
        match self {
            Self::SubmitFeedback { note } | Self::Close { note, .. } | Self::Rework { note } => Some(note),
            Self::Escalate { reason } | Self::Reopen { reason } | Self::Reroute { reason, .. } => Some(reason),
            Self::Accept | Self::Assign { .. } | Self::StartDisposal => None,
        }
    }
}

/// An incident in the district and its closed loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Identifier.
    pub id: EventId,
    /// Human case number, e.g. `YH-20261123-00042`.
    pub number: String,
    /// Kind of event.
    pub category: EventCategory,
    /// How serious.
    pub severity: Severity,
    /// One-line description.
    pub title: String,
    /// Where, in lonlat.
    pub position: LonLat,
    /// Where, as a unified address code (building or room level when known, else grid).
    pub address: AddressCode,
    /// Human-readable place.
    pub place: String,
    /// Town it happened in.
    pub town: TownId,
    /// Community it happened in.
    pub community: CommunityId,
    /// Grid it happened in.
    pub grid: GridId,
    /// Building, when known.
    pub building: Option<BuildingId>,
    /// Who raised it.
    pub source: EventSource,
    /// When it was reported.
    pub reported_at: Timestamp,
    /// When it must be closed by (at its current level).
    pub deadline: Timestamp,
    /// The level handling it (routed at intake, moved by escalations and re-routes).
    #[serde(default)]
    pub level: Level,
    /// Current state.
    pub state: EventState,
    /// Worker handling it, if assigned.
    pub assignee: Option<WorkerId>,
    /// Every state change, oldest first.
    pub history: Vec<StatusChange>,
    /// A sensor warning's evidence: the rule, the sensor and the readings behind it (`None`: not a warning).
    #[serde(default)]
    pub evidence: Option<Box<Evidence>>,
    /// Later reports of the same thing, merged into this event instead of making new ones (oldest first).
    #[serde(default)]
    pub linked: Vec<LinkedReport>,
    /// Who acknowledged it on the wall, when, at which level (`None`: not yet; see [`Event::attention`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Ack>,
}

/// An operator's acknowledgement of an item that called for attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Who (user name).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The event's level then: an escalation above it calls for attention again.
    pub level: Level,
}

/// Why an event calls for the wall's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attention {
    /// 特别重大 or 重大.
    Serious,
    /// A sensor warning.
    Warning,
    /// Escalated (by the SLA sweeper or by hand) to a higher level.
    Escalated,
}

impl Attention {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Serious => "重大事件",
            Self::Warning => "感知预警",
            Self::Escalated => "超时升级",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Serious => "Serious event",
            Self::Warning => "Sensor warning",
            Self::Escalated => "Escalated",
        }
    }
}

/// What a sensor warning turned out to be, recorded when it is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningOutcome {
    /// 属实 — what it warned of was so.
    Confirmed,
    /// 发现隐患 — not what it said, but a hidden risk was found there.
    HiddenRisk,
    /// 误报 — a false alarm.
    FalseAlarm,
}

impl WarningOutcome {
    /// All, in menu order.
    pub const ALL: [WarningOutcome; 3] = [Self::Confirmed, Self::HiddenRisk, Self::FalseAlarm];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Confirmed => "预警属实",
            Self::HiddenRisk => "发现隐患",
            Self::FalseAlarm => "误报",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Confirmed => "Confirmed",
            Self::HiddenRisk => "Hidden risk found",
            Self::FalseAlarm => "False alarm",
        }
    }

    /// Whether the warning was worth sending someone (confirmed, or a hidden risk found).
    pub fn useful(self) -> bool {
        self != Self::FalseAlarm
    }
}

/// A report merged into an open event as a duplicate: who reported what, when and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedReport {
    /// When it was reported.
    pub at: Timestamp,
    /// Who raised it.
    pub source: EventSource,
    /// What they said.
    pub title: String,
    /// Where they placed it.
    pub position: LonLat,
}

/// Why a sensor warning was raised: the rule that fired, the sensor, and the readings (time, value) behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rule.
    pub rule: RuleKind,
    /// The sensor.
    pub sensor: SensorId,
    /// The series, oldest first (litres, alarm 1/0, confidence, daily helmet rate, people).
    pub series: Vec<(Timestamp, f64)>,
}

impl Event {
    /// Apply `action` at time `at`: checks the lifecycle, updates state and assignee, and records history.
    /// On error nothing changes.
    pub fn apply(&mut self, action: EventAction, at: Timestamp) -> Result<EventState, TransitionError> {
        self.apply_moving(action, at, None)
    }

    /// [`Event::apply`], also moving the event to another level and deadline (what
    /// [`crate::routing::RoutingConfig::moves`] says an escalation or a re-route does); recorded in the step.
    pub fn apply_moving(
        &mut self,
        action: EventAction,
        at: Timestamp,
        moved: Option<(Level, Timestamp)>,
    ) -> Result<EventState, TransitionError> {
        let to = self.state.apply(&action)?;
        if let EventAction::Assign { worker } = &action {
            self.assignee = Some(*worker);
        }
        let (level, deadline) = moved.map_or((None, None), |(l, d)| (Some(l), Some(d)));
        let prior = moved.map(|_| (self.level, self.deadline));
        self.history.push(StatusChange { at, from: self.state, to, action, level, deadline, prior });
        self.take_step_routing();
        self.state = to;
        Ok(to)
    }

    /// Take the level and deadline the last step recorded (replaying a logged step).
    pub fn take_step_routing(&mut self) {
        if let Some(h) = self.history.last() {
            if let Some(l) = h.level {
                self.level = l;
            }
            if let Some(d) = h.deadline {
                self.deadline = d;
            }
        }
    }

    /// Why this event calls for the wall's attention, if it does: an open 特别重大/重大 event, an open sensor warning,
    /// or an open event escalated above its intake level — most pressing reason first. `None` when closed or none
    /// applies.
    pub fn attention(&self) -> Option<Attention> {
        if !self.state.is_open() {
            return None;
        }
        if self.severity >= Severity::Major {
            Some(Attention::Serious)
        } else if self.evidence.is_some() {
            Some(Attention::Warning)
        } else if self.history.iter().any(|h| matches!(h.action, EventAction::Escalate { .. })) {
            Some(Attention::Escalated)
        } else {
            None
        }
    }

    /// Whether it calls for attention and nobody acknowledged it at its current level (an escalation past an
    /// acknowledgement calls again).
    pub fn unacknowledged(&self) -> bool {
        self.attention().is_some() && self.acknowledged.as_ref().is_none_or(|a| self.level > a.level)
    }

    /// Whether the event is still open after its deadline.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state.is_open() && now > self.deadline
    }

    /// Time of the last change (or of the report).
    pub fn updated_at(&self) -> Timestamp {
        self.history.last().map_or(self.reported_at, |c| c.at)
    }
}

#[cfg(test)]
mod tests;
