//! The live situation: events and grid workers, which change all the time, over a static [`District`].

use crate::limits::Invalid;
use crate::patrol::{TaskBook, TaskBookId};
use crate::{District, Event, EventId, EventState, GridWorker, Timestamp, WorkerId};
use serde::{Deserialize, Serialize};

/// Everything that moves: events (open and closed) and workers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Situation {
    /// Events, in report order (oldest first).
    pub events: Vec<Event>,
    /// Grid workers.
    pub workers: Vec<GridWorker>,
    /// Patrol task books, by id (oldest first).
    #[serde(default)]
    pub task_books: Vec<TaskBook>,
}

/// Headline counts for the header bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headline {
    /// Events not closed.
    pub open: usize,
    /// Open events past their deadline.
    pub overdue: usize,
    /// Workers on duty.
    pub on_duty: usize,
    /// Events reported since the start of today (UTC+8).
    pub today: usize,
}

/// One of the header's counts of events: which events it counts is [`HeadlineCount::counts`], and
/// [`Situation::headline`] counts with it, so a drill-through lists exactly the events behind the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeadlineCount {
    /// Not closed ([`Headline::open`]).
    Open,
    /// Open and past the deadline ([`Headline::overdue`]).
    Overdue,
    /// Reported since the start of today, UTC+8 ([`Headline::today`]).
    Today,
}

impl HeadlineCount {
    /// All three, in header order.
    pub const ALL: [HeadlineCount; 3] = [Self::Open, Self::Overdue, Self::Today];

    /// Whether the count at `now` includes `e`.
    pub fn counts(self, e: &Event, now: Timestamp) -> bool {
        match self {
            Self::Open => e.state != EventState::Closed,
            Self::Overdue => e.state != EventState::Closed && e.is_overdue(now),
            Self::Today => today_start(now).is_some_and(|m| e.reported_at >= m),
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        ["未办结事件", "逾期", "今日上报"][self as usize]
    }

    /// English name.
    pub fn en(self) -> &'static str {
        ["Open events", "Overdue", "Reported today"][self as usize]
    }
}

/// The start of `now`'s day in China Standard Time.
fn today_start(now: Timestamp) -> Option<Timestamp> {
    now.with_timezone(&crate::china_offset())
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t - chrono::Duration::hours(8))
        .map(|t| t.and_utc())
}

impl Situation {
    /// An event by id.
    pub fn event(&self, id: EventId) -> Option<&Event> {
        // Ids are handed out in increasing order, so events are sorted by id.
        self.events.binary_search_by_key(&id, |e| e.id).ok().map(|i| &self.events[i])
    }

    /// A mutable event by id.
    pub fn event_mut(&mut self, id: EventId) -> Option<&mut Event> {
        self.events.binary_search_by_key(&id, |e| e.id).ok().map(|i| &mut self.events[i])
    }

    /// A task book by id.
    pub fn task_book(&self, id: TaskBookId) -> Option<&TaskBook> {
        self.task_books.binary_search_by_key(&id, |b| b.id).ok().map(|i| &self.task_books[i])
    }

    /// A mutable task book by id.
    pub fn task_book_mut(&mut self, id: TaskBookId) -> Option<&mut TaskBook> {
        self.task_books.binary_search_by_key(&id, |b| b.id).ok().map(|i| &mut self.task_books[i])
    }

    /// A worker by id.
    pub fn worker(&self, id: WorkerId) -> Option<&GridWorker> {
        self.worker_index(id).map(|i| &self.workers[i])
    }

    /// Where worker `id` is in `workers`: at its id when the list is dense (the server's and an unscoped copy),
    /// else found by its id (a reader's scoped copy holds only the workers they may see, in id order).
    pub fn worker_index(&self, id: WorkerId) -> Option<usize> {
        match self.workers.get(id.index()) {
            Some(w) if w.id == id => Some(id.index()),
            _ => self.workers.binary_search_by_key(&id, |w| w.id).ok(),
        }
    }

    /// Counts for the header at time `now`.
    pub fn headline(&self, now: Timestamp) -> Headline {
        let count = |c: HeadlineCount| self.events.iter().filter(|e| c.counts(e, now)).count();
        Headline {
            open: count(HeadlineCount::Open),
            overdue: count(HeadlineCount::Overdue),
            today: count(HeadlineCount::Today),
            on_duty: self.workers.iter().filter(|w| w.status.on_duty()).count(),
        }
    }

    /// Check that every reference points into `district` (used after loading data from elsewhere).
    pub fn check_against(&self, district: &District) -> Result<(), crate::limits::Invalid> {
        for e in &self.events {
            if e.grid.index() >= district.grids.len() {
                return Err(Invalid::Unknown(format!("event {} refers to missing grid {}", e.number, e.grid.0)));
            }
        }
        for w in &self.workers {
            if let Some(g) = w.grids.iter().find(|g| g.index() >= district.grids.len()) {
                return Err(Invalid::Unknown(format!("worker {} refers to missing grid {}", w.name, g.0)));
            }
        }
        for b in &self.task_books {
            crate::patrol::check_book(b, district).map_err(|e| e.within(format!("task book {}", b.number)))?;
        }
        Ok(())
    }
}
impl Situation {
    /// Apply [`crate::worker::status_after_step`] to the workers an event's step concerns (its assignee before and after).
    pub fn apply_worker_rule(&mut self, event: EventId, assignee_before: Option<WorkerId>) {
        let Some(e) = self.event(event) else { return };
        let (after, state) = (e.assignee, e.state);
        for id in [assignee_before, after].into_iter().flatten() {
            if let Some(w) = self.worker_index(id).map(|i| &mut self.workers[i]) {
                w.status = crate::worker::status_after_step(id, w.status, event, after, state);
            }
        }
    }
}

impl Situation {
    /// The worker a dispatch of `event` goes to, by [`crate::worker::dispatch_choice`] (`None`: no such event, or nobody serves its
    /// grid).
    pub fn dispatch_choice(&self, event: EventId) -> Option<WorkerId> {
        let e = self.event(event)?;
        crate::worker::dispatch_choice(&self.workers, e.grid, e.position)
    }
}
