//! Grid workers (网格员): the people who walk the grids.

use crate::{EventId, GridId, LonLat, Timestamp};
use serde::{Deserialize, Serialize};

/// Stable identifier of a grid worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkerId(pub u32);

impl WorkerId {
    /// The index into [`crate::Situation::workers`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Employment of a grid worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkerKind {
    /// 专职网格员 — full-time.
    FullTime,
    /// 兼职网格员 — part-time (often a village cadre or volunteer).
    PartTime,
}

impl WorkerKind {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::FullTime => "专职",
            Self::PartTime => "兼职",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::FullTime => "Full-time",
            Self::PartTime => "Part-time",
        }
    }
}

/// What a worker is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerStatus {
    /// On duty, patrolling the grid.
    Patrolling,
    /// On duty, handling an event.
    Handling(EventId),
    /// Off duty.
    OffDuty,
}

impl WorkerStatus {
    /// Whether the worker is on duty.
    pub fn on_duty(self) -> bool {
        !matches!(self, Self::OffDuty)
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Patrolling => "巡查中",
            Self::Handling(_) => "处置中",
            Self::OffDuty => "下班",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Patrolling => "Patrolling",
            Self::Handling(_) => "Handling",
            Self::OffDuty => "Off duty",
        }
    }
}

/// A grid worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridWorker {
    /// Identifier.
    pub id: WorkerId,
    /// Full name.
    pub name: String,
    /// Full-time or part-time.
    pub kind: WorkerKind,
    /// Grids served; the first is the home grid.
    pub grids: Vec<GridId>,
    /// Current activity.
    pub status: WorkerStatus,
    /// Last reported position.
    pub position: LonLat,
    /// When the position was reported.
    pub seen_at: Timestamp,
}
