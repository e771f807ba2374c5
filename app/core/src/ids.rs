//! The identifiers of the things the domain tracks over time: events, grid workers, task books and sensors. A leaf
//! module: it imports nothing of the crate, so every other module may name these without pulling in the types
//! they identify. (The units' ids — towns, communities, grids, buildings — live with the units in [`crate::units`].)

use serde::{Deserialize, Serialize};

/// Stable identifier of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub u64);

/// Stable identifier of a grid worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkerId(pub u32);

impl WorkerId {
    /// The index into [`crate::Situation::workers`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Stable identifier of a task book (handed out by the server, increasing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskBookId(pub u64);

/// Stable identifier of a registered sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SensorId(pub u32);

/// Which rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// No water flow for hours.
    WaterSilent,
    /// Smoke alarm.
    Smoke,
    /// E-bike charger alarm.
    Charger,
    /// Camera fire point.
    FirePoint,
    /// Helmet rate below the standard.
    HelmetRate,
    /// Crowd above the threshold and growing.
    Crowd,
}

impl RuleKind {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::WaterSilent => "水表长时间无流量",
            Self::Smoke => "烟感报警",
            Self::Charger => "电动车充电桩报警",
            Self::FirePoint => "秸秆焚烧火点",
            Self::HelmetRate => "头盔佩戴率低于标准",
            Self::Crowd => "人员聚集超阈值且持续增加",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::WaterSilent => "Water meter silent",
            Self::Smoke => "Smoke alarm",
            Self::Charger => "E-bike charger alarm",
            Self::FirePoint => "Straw fire point",
            Self::HelmetRate => "Helmet rate below standard",
            Self::Crowd => "Crowd large and growing",
        }
    }
}
