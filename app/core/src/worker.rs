//! Grid workers (网格员): the people who walk the grids.

pub use crate::ids::WorkerId;
use crate::{EventId, GridId, LonLat, Timestamp};
use serde::{Deserialize, Serialize};

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
    /// Work phone (from the roster; may be empty).
    #[serde(default)]
    pub phone: String,
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

/// The worker a dispatch (派遣) of an event in `grid` at `at` goes to — the one rule the desktop's 派遣 button, the
/// simulator and anything else that dispatches use:
///
/// 1. only workers who serve `grid` (home grid or a grid they cover);
/// 2. a patrolling worker before one handling another event, and either before one off duty (an off-duty worker is
///    still responsible for the grid: the task waits for the next shift rather than for nobody);
/// 3. among equals, the nearest to the event (great-circle distance of the last reported position);
/// 4. ties (same distance) by the lower worker id, so every copy of the situation picks the same person.
///
/// `None` when nobody serves the grid.
pub fn dispatch_choice(workers: &[GridWorker], grid: GridId, at: LonLat) -> Option<WorkerId> {
    let rank = |s: WorkerStatus| match s {
        WorkerStatus::Patrolling => 0u8,
        WorkerStatus::Handling(_) => 1,
        WorkerStatus::OffDuty => 2,
    };
    workers
        .iter()
        .filter(|w| w.grids.contains(&grid))
        .min_by(|a, b| {
            rank(a.status)
                .cmp(&rank(b.status))
                .then(a.position.distance_m(at).total_cmp(&b.position.distance_m(at)))
                .then(a.id.cmp(&b.id))
        })
        .map(|w| w.id)
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

    #[test]
    fn dispatch_goes_to_the_nearest_free_worker_of_the_grid() {
        let at = LonLat::new(120.0, 30.0);
        let worker = |id: u32, grid: u32, status: WorkerStatus, metres_east: f64| GridWorker {
            id: WorkerId(id),
            name: format!("w{id}"),
            kind: WorkerKind::FullTime,
            phone: String::new(),
            grids: vec![GridId(grid)],
            status,
            position: LonLat::new(120.0 + metres_east / 96_000.0, 30.0),
            seen_at: chrono::DateTime::UNIX_EPOCH,
        };
        let (p, h, off) = (WorkerStatus::Patrolling, WorkerStatus::Handling(EventId(5)), WorkerStatus::OffDuty);
        let g = GridId(7);
        // Nobody serves the grid.
        assert_eq!(dispatch_choice(&[worker(1, 8, p, 10.0)], g, at), None);
        // The nearest patrolling worker of the grid, not a nearer one of another grid or a nearer busy one.
        let ws = [worker(1, 8, p, 10.0), worker(2, 7, p, 900.0), worker(3, 7, p, 300.0), worker(4, 7, h, 5.0)];
        assert_eq!(dispatch_choice(&ws, g, at), Some(WorkerId(3)));
        // Nobody patrolling: someone busy before someone off duty, nearest first.
        let ws = [worker(1, 7, off, 1.0), worker(2, 7, h, 800.0), worker(3, 7, h, 200.0)];
        assert_eq!(dispatch_choice(&ws, g, at), Some(WorkerId(3)));
        assert_eq!(dispatch_choice(&[worker(1, 7, off, 50.0)], g, at), Some(WorkerId(1)));
        // A worker covering the grid besides a home grid counts; equal distance goes to the lower id.
        let mut cover = worker(9, 3, p, 100.0);
        cover.grids.push(g);
        assert_eq!(dispatch_choice(&[cover.clone(), worker(4, 7, p, 100.0)], g, at), Some(WorkerId(4)));
        assert_eq!(dispatch_choice(&[cover], g, at), Some(WorkerId(9)));
    }
}
