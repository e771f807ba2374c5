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

/// The one rule for a worker's status when an event takes a lifecycle step (used by the server's projection, the
/// simulator and the desktop alike, so every copy of the situation agrees):
///
/// - assigned or in disposal: the event's assignee is handling it;
/// - closed, escalated, or handed to someone else: a worker who was handling it goes back to patrolling;
/// - any other step (feedback, rework of a worker already on it, accept, reopen) leaves statuses as they are.
///
/// `status` is the worker's status before the step, `assignee_after` the event's assignee after it, `new_state` the
/// event's state after it. Returns the worker's status after the step.
pub fn status_after_step(
    worker: WorkerId,
    status: WorkerStatus,
    event: EventId,
    assignee_after: Option<WorkerId>,
    new_state: crate::EventState,
) -> WorkerStatus {
    use crate::EventState as S;
    match new_state {
        S::Assigned | S::InDisposal if assignee_after == Some(worker) => WorkerStatus::Handling(event),
        // Reached for a worker who is not (or no longer) the assignee, or for a closed/escalated event.
        S::Assigned | S::InDisposal | S::Closed | S::Escalated if status == WorkerStatus::Handling(event) => {
            WorkerStatus::Patrolling
        }
        _ => status,
    }
}

impl crate::Situation {
    /// Apply [`status_after_step`] to the workers an event's step concerns (its assignee before and after).
    pub fn apply_worker_rule(&mut self, event: EventId, assignee_before: Option<WorkerId>) {
        let Some(e) = self.event(event) else { return };
        let (after, state) = (e.assignee, e.state);
        for id in [assignee_before, after].into_iter().flatten() {
            if let Some(w) = self.workers.get_mut(id.index()).filter(|w| w.id == id) {
                w.status = status_after_step(id, w.status, event, after, state);
            }
        }
    }
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
}

impl crate::Situation {
    /// Apply one lifecycle step to an event and keep its workers' statuses in step ([`status_after_step`]): the one
    /// way the simulator and the desktop change an event. On error nothing changes.
    pub fn act(
        &mut self,
        event: EventId,
        action: crate::EventAction,
        at: crate::Timestamp,
    ) -> Result<crate::EventState, StepError> {
        let e = self.event_mut(event).ok_or(StepError::NoEvent(event))?;
        let before = e.assignee;
        let state = e.apply(action, at)?;
        self.apply_worker_rule(event, before);
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventState as S;

    #[test]
    fn worker_status_follows_the_event() {
        let (a, b, ev) = (WorkerId(1), WorkerId(2), EventId(9));
        let p = WorkerStatus::Patrolling;
        let h = WorkerStatus::Handling(ev);
        assert_eq!(status_after_step(a, p, ev, Some(a), S::Assigned), h);
        assert_eq!(status_after_step(a, h, ev, Some(a), S::InDisposal), h);
        assert_eq!(status_after_step(a, h, ev, Some(a), S::Feedback), h, "feedback keeps the worker on it");
        assert_eq!(status_after_step(a, h, ev, Some(a), S::Closed), p);
        assert_eq!(status_after_step(a, h, ev, Some(a), S::Escalated), p);
        // Handed over to b: a is free again, b handles it.
        assert_eq!(status_after_step(a, h, ev, Some(b), S::Assigned), p);
        assert_eq!(status_after_step(b, p, ev, Some(b), S::Assigned), h);
        // A worker busy with another event keeps that.
        let other = WorkerStatus::Handling(EventId(3));
        assert_eq!(status_after_step(a, other, ev, Some(b), S::Closed), other);
        assert_eq!(status_after_step(a, WorkerStatus::OffDuty, ev, None, S::Closed), WorkerStatus::OffDuty);
    }
}
