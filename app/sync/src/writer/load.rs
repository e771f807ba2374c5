//! Reading what a batch needs before it is applied: the log's head, earlier answers for its keys, the events,
//! workers and task books its commands name (and the open events a live report may merge into), the workers' last
//! kept track points, and the next free ids.

use super::apply::is_live;
use super::write::state_name;
use super::{Answered, Batch, ROWS_PER_STATEMENT, WriteError};
use crate::db::placeholders;
use pingan_core::patrol::TaskBook;
use pingan_core::replay::{self, TrackPoint};
use pingan_core::sync::{CommandBody, Seq};
use pingan_core::{Event, EventAction, EventState, GridWorker, Timestamp, WorkerStatus};
use sqlx::AnyConnection;
use sqlx::Row as _;
use std::collections::{HashMap, HashSet};

/// What the commands read and change, as stored when the batch began.
pub(super) struct Stored {
    /// The server's clock when the batch began.
    pub now: Timestamp,
    pub events: HashMap<i64, Event>,
    pub workers: HashMap<i64, GridWorker>,
    /// Task books reported on, and the open books of grids that new books are for.
    pub books: HashMap<i64, TaskBook>,
    pub next_event_id: i64,
    pub next_worker_id: i64,
    pub next_book_id: i64,
    /// The last kept track point of each worker moving in this batch.
    pub last_kept: HashMap<i64, TrackPoint>,
}

/// What [`load`] read.
pub(super) struct Loaded {
    /// The last seq in the log.
    pub head: Seq,
    /// Earlier answers for the batch's keys.
    pub answered: Answered,
    /// The working set.
    pub set: Stored,
}

/// The ids a batch's commands name, and whether it reports or issues books.
#[derive(Default)]
struct Named {
    /// Events acted on, or handled according to a worker's status.
    events: HashSet<i64>,
    /// Whether a new event may be taken in (the next event id is needed).
    reports: bool,
    /// Task books reported on.
    books: HashSet<i64>,
    /// Grids that new books are for.
    book_grids: HashSet<i64>,
    /// Whether a book is issued (the next book id is needed).
    new_books: bool,
}

impl Named {
    fn of(batch: Batch<'_, '_>) -> Named {
        let mut n = Named::default();
        for c in batch.iter().flat_map(|(_, commands)| commands.iter()) {
            match &c.body {
                CommandBody::Act { event, .. } => {
                    n.events.insert(event.0 as i64);
                }
                CommandBody::WorkerPosition { status: WorkerStatus::Handling(e), .. } => {
                    n.events.insert(e.0 as i64);
                }
                CommandBody::WorkerJoin { worker } => {
                    if let WorkerStatus::Handling(e) = worker.status {
                        n.events.insert(e.0 as i64);
                    }
                }
                CommandBody::Report { .. } => n.reports = true,
                CommandBody::ReportCheck { book, event, .. } => {
                    n.books.insert(book.0 as i64);
                    n.reports |= event.is_some();
                }
                CommandBody::SplitReport { event, .. } => {
                    n.events.insert(event.0 as i64);
                    n.reports = true;
                }
                CommandBody::Acknowledge { event } => {
                    n.events.insert(event.0 as i64);
                }
                CommandBody::IssueTaskBook { book } => {
                    n.new_books = true;
                    n.book_grids.insert(book.grid.0 as i64);
                }
                CommandBody::WorkerPosition { .. } => {}
            }
        }
        n
    }
}

/// Read everything `batch` needs, in the transaction that will apply it.
pub(super) async fn load(tx: &mut AnyConnection, batch: Batch<'_, '_>) -> Result<Loaded, WriteError> {
    let head: Seq = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes").fetch_one(&mut *tx).await?.try_get(0)?;
    let answered = answered(&mut *tx, batch).await?;
    let named = Named::of(batch);
    let mut events: HashMap<i64, Event> = bodies(&mut *tx, "events", &named.events).await?;
    let now = chrono::Utc::now();
    merge_candidates(&mut *tx, batch, now, &mut events).await?;
    let workers = workers(&mut *tx, batch, &events).await?;
    let last_kept = last_kept(&mut *tx, batch).await?;
    let joins = batch
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .any(|c| matches!(c.body, CommandBody::WorkerJoin { .. }));
    let next_worker_id: i64 = if joins {
        sqlx::query("SELECT COALESCE(MAX(id), -1) + 1 FROM workers").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let next_event_id: i64 = if named.reports {
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let books = books(&mut *tx, &named).await?;
    let next_book_id: i64 = if named.new_books {
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM task_books").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let set = Stored { now, events, workers, books, next_event_id, next_worker_id, next_book_id, last_kept };
    Ok(Loaded { head, answered, set })
}

/// Earlier answers for the batch's keys (by the primary key: user, then key), with what the key was sent with.
async fn answered(tx: &mut AnyConnection, batch: Batch<'_, '_>) -> Result<Answered, WriteError> {
    let mut answered: Answered = HashMap::new();
    let mut keys_by_user: HashMap<i64, Vec<&str>> = HashMap::new();
    for (user, commands) in batch {
        keys_by_user.entry(user.id).or_default().extend(commands.iter().map(|c| c.key.as_str()));
    }
    for (user, keys) in &keys_by_user {
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT key, result, body_hash FROM applied WHERE user_id = $1 AND key IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(*user);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&mut *tx).await? {
                let (key, result, hash): (String, String, Option<String>) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                answered.insert((*user, key), (serde_json::from_str(&result)?, hash));
            }
        }
    }
    Ok(answered)
}

/// Live reports may duplicate an open event of their category: load those (duplicate merging).
async fn merge_candidates(
    tx: &mut AnyConnection,
    batch: Batch<'_, '_>,
    now: Timestamp,
    events: &mut HashMap<i64, Event>,
) -> Result<(), WriteError> {
    let mut categories: Vec<String> = batch
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .filter_map(|c| match &c.body {
            CommandBody::Report { event } if is_live(event, now) => serde_json::to_string(&event.category).ok(),
            _ => None,
        })
        .collect();
    categories.sort();
    categories.dedup();
    for category in categories {
        let rows = sqlx::query("SELECT id, body FROM events WHERE state <> $1 AND body LIKE $2")
            .bind(state_name(EventState::Closed))
            .bind(format!("%\"category\":{category}%"))
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            let id: i64 = row.try_get(0)?;
            if let std::collections::hash_map::Entry::Vacant(v) = events.entry(id) {
                let body: String = row.try_get(1)?;
                v.insert(serde_json::from_str(&body)?);
            }
        }
    }
    Ok(())
}

/// The workers the batch names: moved, assigned, registered again, bound to the sender, or handling a touched event.
async fn workers(
    tx: &mut AnyConnection,
    batch: Batch<'_, '_>,
    events: &HashMap<i64, Event>,
) -> Result<HashMap<i64, GridWorker>, WriteError> {
    let mut worker_ids: HashSet<i64> = HashSet::new();
    for (user, commands) in batch {
        if let Some(w) = user.worker {
            worker_ids.insert(w.0 as i64);
        }
        for c in commands.iter() {
            match &c.body {
                CommandBody::WorkerPosition { worker, .. } => {
                    worker_ids.insert(worker.0 as i64);
                }
                CommandBody::Act { action: EventAction::Assign { worker }, .. } => {
                    worker_ids.insert(worker.0 as i64);
                }
                // A worker registered again: the change's audience compares their grids before and after.
                CommandBody::WorkerJoin { worker } => {
                    worker_ids.insert(worker.id.0 as i64);
                }
                _ => {}
            }
        }
    }
    worker_ids.extend(events.values().filter_map(|e| e.assignee).map(|w| w.0 as i64));
    bodies(tx, "workers", &worker_ids).await
}

/// The last kept track point of each worker who reports a position: what the report is thinned against.
async fn last_kept(tx: &mut AnyConnection, batch: Batch<'_, '_>) -> Result<HashMap<i64, TrackPoint>, WriteError> {
    let moving: Vec<i64> = batch
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .filter_map(|c| match &c.body {
            CommandBody::WorkerPosition { worker, .. } => Some(worker.0 as i64),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut last_kept: HashMap<i64, TrackPoint> = HashMap::new();
    for chunk in moving.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT worker_id, body FROM tracks WHERE seq IN \
             (SELECT MAX(seq) FROM tracks WHERE worker_id IN ({}) GROUP BY worker_id)",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for w in chunk {
            q = q.bind(*w);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let body: String = row.try_get(1)?;
            if let Some((_, p)) = replay::point_of(&serde_json::from_str(&body)?) {
                last_kept.insert(row.try_get(0)?, p);
            }
        }
    }
    Ok(last_kept)
}

/// The task books reported on, and the open books of the grids new books are for (one open book per grid).
async fn books(tx: &mut AnyConnection, named: &Named) -> Result<HashMap<i64, TaskBook>, WriteError> {
    let mut books: HashMap<i64, TaskBook> = bodies(&mut *tx, "task_books", &named.books).await?;
    let grids: Vec<i64> = named.book_grids.iter().copied().collect();
    for chunk in grids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, body FROM task_books WHERE state = 'open' AND grid_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for g in chunk {
            q = q.bind(*g);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let id: i64 = row.try_get(0)?;
            let body: String = row.try_get(1)?;
            books.entry(id).or_insert(serde_json::from_str(&body)?);
        }
    }
    Ok(books)
}

/// The records of `table` with these ids, parsed from their JSON bodies.
async fn bodies<T: serde::de::DeserializeOwned>(
    tx: &mut AnyConnection,
    table: &str,
    ids: &HashSet<i64>,
) -> Result<HashMap<i64, T>, WriteError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("SELECT id, body FROM {table} WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let (id, body): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            rows.push((id, body));
        }
    }
    let mut out = HashMap::with_capacity(rows.len());
    for (id, body) in rows {
        out.insert(id, serde_json::from_str(&body)?);
    }
    Ok(out)
}
