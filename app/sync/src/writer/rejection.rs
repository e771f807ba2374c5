//! Why the writer refused one command: each a reason the sender can act on, sent back in words as
//! `Outcome::Rejected { reason }`.

use crate::units::RoomGone;
use pingan_core::Timestamp;

/// Why one command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A check of `pingan-core` (the command's fields, the role and room, the lifecycle, a task book's rules).
    #[error("{0}")]
    Checked(String),
    /// The sender's room is not in the district held now.
    #[error(transparent)]
    Room(#[from] RoomGone),
    /// A grid worker user whose token is bound to no worker.
    #[error("{0} is a grid worker not bound to a worker: an administrator binds them with --worker")]
    Unbound(String),
    /// The worker a grid worker user is bound to is not registered.
    #[error("worker {0} is not registered")]
    NotRegistered(u32),
    /// A grid worker reports under another source than themself.
    #[error("a grid worker reports as themself: the source must be worker {0}")]
    NotThemself(u32),
    /// The event named is not stored.
    #[error("there is no event {0}")]
    NoEvent(u64),
    /// The worker named is not stored.
    #[error("there is no worker {0}")]
    NoWorker(u32),
    /// The task book named is not stored.
    #[error("there is no task book {0}")]
    NoBook(u64),
    /// A step timed before its event was reported.
    #[error("event {number}: the step's time {} is before the event was reported ({})", .at.to_rfc3339(), .reported.to_rfc3339())]
    StepBeforeReport {
        /// The event's case number.
        number: String,
        /// The step's time.
        at: Timestamp,
        /// When the event was reported.
        reported: Timestamp,
    },
    /// A grid worker acts on an event neither in their grids nor assigned to them.
    #[error("event {number} is neither in a grid of worker {worker} nor assigned to them")]
    NotTheirs {
        /// The event's case number.
        number: String,
        /// The worker.
        worker: u32,
    },
    /// A grid worker reports another worker's position.
    #[error("a grid worker reports only their own position (worker {0})")]
    OthersPosition(u32),
    /// A worker handles an event that is not stored (the worker by id or, joining, by name).
    #[error("worker {worker}: handling event {event}, which does not exist")]
    HandlingNothing {
        /// The worker's id or name.
        worker: String,
        /// The event.
        event: u64,
    },
    /// A position older than the one known.
    #[error("worker {0}: a newer position is already known")]
    Stale(u32),
    /// A worker joins last seen in the future.
    #[error("worker {0}: last seen in the future")]
    SeenInFuture(String),
    /// A joining worker's id is not the next free one.
    #[error("worker id {id} is not the next free id ({next})")]
    NotNextId {
        /// The id sent.
        id: i64,
        /// The next free id.
        next: i64,
    },
    /// A grid has an open task book already.
    #[error("grid {grid} already has an open task book ({book})")]
    OpenBook {
        /// The grid's name.
        grid: String,
        /// The open book's number.
        book: String,
    },
    /// A check reported before its book was issued.
    #[error("task book {0}: the check's time is before the book was issued")]
    CheckBeforeIssue(String),
    /// A check's problem lies outside the book's grid.
    #[error("task book {0}: the problem must lie in the book's grid")]
    ProblemElsewhere(String),
    /// An acknowledgement outside the sender's unit.
    #[error("event {0} is outside this user's unit: a room acknowledges its own area")]
    AckOutside(String),
    /// An acknowledgement of an event that calls for none.
    #[error("event {0} calls for no attention (closed, or neither serious nor a warning nor escalated)")]
    NoAttention(String),
    /// An acknowledgement of an event acknowledged already.
    #[error("event {number} was already acknowledged by {by} at {}", .at.to_rfc3339())]
    Acknowledged {
        /// The event's case number.
        number: String,
        /// Who acknowledged it.
        by: String,
        /// When.
        at: Timestamp,
    },
    /// An acknowledgement timed before the event was reported.
    #[error("event {0}: acknowledged before it was reported")]
    AckBeforeReport(String),
    /// A split outside the sender's unit.
    #[error("event {0} is outside this user's unit")]
    SplitOutside(String),
    /// A split of a report the event has not linked.
    #[error("event {0}: no linked report matches the one to split off")]
    NotLinked(String),
    /// A split report with another category.
    #[error("event {0}: a split report keeps its category")]
    OtherCategory(String),
}

impl Rejection {
    /// A refusal by one of `pingan-core`'s checks, in its words.
    pub fn checked(reason: impl std::fmt::Display) -> Rejection {
        Rejection::Checked(reason.to_string())
    }
}
