//! The live situation: events and grid workers, which change all the time, over a static [`District`].

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
        self.workers.get(id.0 as usize).filter(|w| w.id == id)
    }

    /// Counts for the header at time `now`.
    pub fn headline(&self, now: Timestamp) -> Headline {
        let local_midnight = now
            .with_timezone(&crate::china_offset())
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t - chrono::Duration::hours(8))
            .map(|t| t.and_utc());
        let mut h =
            Headline { on_duty: self.workers.iter().filter(|w| w.status.on_duty()).count(), ..Default::default() };
        for e in &self.events {
            if e.state != EventState::Closed {
                h.open += 1;
                if e.is_overdue(now) {
                    h.overdue += 1;
                }
            }
            if local_midnight.is_some_and(|m| e.reported_at >= m) {
                h.today += 1;
            }
        }
        h
    }

    /// Check that every reference points into `district` (used after loading data from elsewhere).
    pub fn check_against(&self, district: &District) -> Result<(), String> {
        for e in &self.events {
            if e.grid.index() >= district.grids.len() {
                return Err(format!("event {} refers to missing grid {}", e.number, e.grid.0));
            }
        }
        for w in &self.workers {
            if let Some(g) = w.grids.iter().find(|g| g.index() >= district.grids.len()) {
                return Err(format!("worker {} refers to missing grid {}", w.name, g.0));
            }
        }
        for b in &self.task_books {
            crate::patrol::check_book(b, district).map_err(|e| format!("task book {}: {e}", b.number))?;
        }
        Ok(())
    }
}
