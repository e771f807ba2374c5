//! The single writer: every command goes through here, in batches, one transaction per batch (group commit).
//!
//! Per batch it reads what it needs (earlier answers for the keys, the events and workers the commands touch),
//! applies the commands in order in memory — each lifecycle step checked by `pingan-core`'s state machine — and
//! writes the new changes, the answers and the updated projection with a few multi-row statements. On PostgreSQL the
//! transaction first takes an advisory lock, so several `pingan-sync` instances sharing one database still hand out
//! gap-free, ordered seqs, and it `NOTIFY`s the others on commit.

use crate::db::{Backend, Db, User, placeholders};
use crate::hub::{Hub, LiveChange};
use pingan_core::patrol::{self, CheckResult, TaskBook, TaskBookId};
use pingan_core::replay::{self, TrackPoint};
use pingan_core::routing::{Actor, RoutingConfig};
use pingan_core::sync::{self, ChangeBody, ClientCommand, CommandBody, CommandResult, Outcome, Role, Seq};
use pingan_core::worker::status_after_step;
use pingan_core::{
    District, Event, EventAction, EventId, EventSource, EventState, GridWorker, Timestamp, WorkerStatus, validate,
};
use sqlx::Row as _;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most commands committed in one transaction.
pub const MAX_BATCH: usize = 4000;

/// Rows per multi-row statement. SQLite looks bound parameters up by a linear walk, so very long statements
/// cost quadratic time; 32 rows keeps a statement's parameters in the hundreds.
const ROWS_PER_STATEMENT: usize = 32;

/// Advisory lock id that serialises writers across instances on PostgreSQL.
const PG_WRITER_LOCK: i64 = 0x7069_6e67_616e; // "pingan"

/// A request to the writer: one user's commands, and where to send the answers.
pub struct Job {
    /// Who sends them (already authorised for every command).
    pub user: User,
    /// The commands, in order.
    pub commands: Vec<ClientCommand>,
    /// Where the answers go (one per command, same order), or why none of them was applied.
    pub reply: oneshot::Sender<Result<Vec<CommandResult>, SubmitError>>,
}

/// Why a whole request was refused or failed (nothing of it applied).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// A command reuses a key this user already sent, with a different time or body.
    #[error(
        "command {index}: the key {key:?} was already used for a different command; a retry must resend the same          command, a new command needs a new key"
    )]
    KeyReused {
        /// Position of the command in the request.
        index: usize,
        /// The key.
        key: String,
    },
    /// The database failed, or the writer stopped.
    #[error("{0}")]
    Storage(String),
    /// The server holds no district yet, so nothing can be checked against one.
    #[error("{NO_DISTRICT}")]
    NoDistrict,
}

/// What the server answers while it holds no district.
pub const NO_DISTRICT: &str = "no district imported yet: run pingan-sync district import FILE, or start with --demo";

/// The district commands are checked against: `None` until one is imported; replaced when an import bumps the
/// reference version (see [`crate::reference`]).
pub type DistrictRx = tokio::sync::watch::Receiver<Option<Arc<District>>>;

/// Handle for sending jobs to the writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Start the writer task; `routing` routes reports at intake and moves events on escalations and re-routes.
    pub fn spawn(db: Db, hub: Arc<Hub>, district: DistrictRx, routing: Arc<RoutingConfig>) -> Writer {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(run(db, hub, district, routing, rx));
        Writer { tx }
    }

    /// Apply `commands` for `user`; waits for the commit.
    pub async fn submit(&self, user: User, commands: Vec<ClientCommand>) -> Result<Vec<CommandResult>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        let stopped = || SubmitError::Storage("the writer has stopped".to_string());
        self.tx.send(Job { user, commands, reply }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

async fn run(db: Db, hub: Arc<Hub>, district: DistrictRx, routing: Arc<RoutingConfig>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].commands.len();
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    n += job.commands.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        // The district as of this batch: an import swapped in meanwhile applies from the next batch on.
        let Some(district) = district.borrow().clone() else {
            for job in jobs {
                job.reply.send(Err(SubmitError::NoDistrict)).ok();
            }
            continue;
        };
        let mut attempt = 0;
        let mut retried = false;
        let outcome = loop {
            match write_batch(&db, &district, &routing, &jobs).await {
                Ok(x) => break Ok(x),
                // SQLite "database is locked" or a PostgreSQL serialisation hiccup: try again a few times.
                Err(e) if attempt < 3 => {
                    tracing::warn!("batch of {n} commands failed, retrying: {e}");
                    attempt += 1;
                    retried = true;
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                Err(e) => break Err(e),
            }
        };
        match outcome {
            Ok((results, live)) => {
                if !live.is_empty() {
                    hub.publish(live);
                }
                if retried {
                    // A failed try may have committed after all (a connection lost at COMMIT): streams re-read the log.
                    hub.wake(0);
                }
                for (job, r) in jobs.into_iter().zip(results) {
                    job.reply.send(r).ok();
                }
            }
            Err(e) => {
                tracing::error!("could not store a batch of {n} commands: {e}");
                for job in jobs {
                    job.reply.send(Err(SubmitError::Storage(format!("storage error: {e}")))).ok();
                }
            }
        }
    }
}

type BatchOutput = (Vec<Result<Vec<CommandResult>, SubmitError>>, Vec<LiveChange>);

/// A row of the change log, ready to insert.
struct NewChange {
    seq: Seq,
    kind: &'static str,
    event: Option<i64>,
    worker: Option<i64>,
    user: i64,
    body: String,
    /// The worker's report this move made, when the tracks keep it ([`pingan_core::replay::keeps`]): Unix ms.
    track: Option<i64>,
}

/// The slot of the server's thinned worker tracks (`tracks` table): the desk's own ([`replay::TRACK_STEP`]).
pub const TRACK_STEP: chrono::Duration = replay::TRACK_STEP;

async fn write_batch(
    db: &Db,
    district: &District,
    routing: &RoutingConfig,
    jobs: &[Job],
) -> anyhow::Result<BatchOutput> {
    let mut tx = db.pool.begin().await?;
    lock(&mut tx, db.backend).await?;
    let batch: Vec<(&User, &[ClientCommand])> = jobs.iter().map(|j| (&j.user, j.commands.as_slice())).collect();
    let (results, new_changes) = apply_in_tx(&mut tx, db.backend, district, routing, &batch).await?;
    tx.commit().await?;
    let live = new_changes.into_iter().map(|c| LiveChange { seq: c.seq, body: c.body.into() }).collect();
    Ok((results, live))
}

/// Take the write lock at the start of a transaction that appends to the log or changes reference data: on
/// PostgreSQL the advisory lock every instance's writer takes; on SQLite a write as the first statement, so that the
/// transaction waits (busy timeout) for another process's write rather than failing when it upgrades from reading.
pub async fn lock(tx: &mut sqlx::Transaction<'_, sqlx::Any>, backend: Backend) -> sqlx::Result<()> {
    match backend {
        Backend::Postgres => {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PG_WRITER_LOCK).execute(&mut **tx).await?;
        }
        Backend::Sqlite => {
            sqlx::query("UPDATE meta SET value = value WHERE name = 'district_version'").execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// A change appended by [`apply_in_tx`].
pub struct AppendedChange {
    /// Its seq.
    pub seq: Seq,
    /// Its body as JSON.
    pub body: String,
}

/// Apply each user's commands in order inside `tx` (which holds the [`lock`]): check them against `district` and the
/// stored state — each user acting in their room's unit ([`Actor::may_act`], [`Actor::may_report`]), reports routed
/// by `routing` at intake — append the changes, store the answers and the projection. Does not commit. Returns the answers (one
/// list per entry of `batch`, or why none of that entry applied) and the changes appended. The reference importers
/// call this too, so a roster joins through exactly the path `WorkerJoin` commands take.
pub async fn apply_in_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    district: &District,
    routing: &RoutingConfig,
    batch: &[(&User, &[ClientCommand])],
) -> anyhow::Result<(Vec<Result<Vec<CommandResult>, SubmitError>>, Vec<AppendedChange>)> {
    let tx = &mut **tx;
    let mut head: Seq =
        sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes").fetch_one(&mut *tx).await?.try_get(0)?;

    // Earlier answers for these keys (by the primary key: user, then key), with what the key was sent with.
    let mut answered: HashMap<(i64, String), (Outcome, Option<String>)> = HashMap::new();
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

    // The events the commands name (acted on, or handled according to a worker's status).
    let mut event_ids: HashSet<i64> = HashSet::new();
    let mut reports = false;
    let mut book_ids: HashSet<i64> = HashSet::new();
    let mut book_ids_by_grid: HashSet<i64> = HashSet::new();
    let mut new_books = false;
    for c in batch.iter().flat_map(|(_, commands)| commands.iter()) {
        match &c.body {
            CommandBody::Act { event, .. } => {
                event_ids.insert(event.0 as i64);
            }
            CommandBody::WorkerPosition { status: WorkerStatus::Handling(e), .. } => {
                event_ids.insert(e.0 as i64);
            }
            CommandBody::WorkerJoin { worker } => {
                if let WorkerStatus::Handling(e) = worker.status {
                    event_ids.insert(e.0 as i64);
                }
            }
            CommandBody::Report { .. } => reports = true,
            CommandBody::ReportCheck { book, event, .. } => {
                book_ids.insert(book.0 as i64);
                reports |= event.is_some();
            }
            CommandBody::SplitReport { event, .. } => {
                event_ids.insert(event.0 as i64);
                reports = true;
            }
            CommandBody::Acknowledge { event } => {
                event_ids.insert(event.0 as i64);
            }
            CommandBody::IssueTaskBook { book } => {
                new_books = true;
                book_ids_by_grid.insert(book.grid.0 as i64);
            }
            CommandBody::WorkerPosition { .. } => {}
        }
    }
    let mut events: HashMap<i64, Event> = HashMap::new();
    for (id, body) in fetch_bodies(&mut *tx, "events", &event_ids).await? {
        events.insert(id, serde_json::from_str(&body)?);
    }
    // Live reports may duplicate an open event of their category: load those (duplicate merging).
    let now = chrono::Utc::now();
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
    // The workers they name: moved, assigned, bound to the sender, or handling a touched event.
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
                _ => {}
            }
        }
    }
    worker_ids.extend(events.values().filter_map(|e| e.assignee).map(|w| w.0 as i64));
    let mut workers: HashMap<i64, GridWorker> = HashMap::new();
    for (id, body) in fetch_bodies(&mut *tx, "workers", &worker_ids).await? {
        workers.insert(id, serde_json::from_str(&body)?);
    }
    // The last kept track point of each worker who reports a position: what the report is thinned against.
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
    let joins = batch
        .iter()
        .flat_map(|(_, commands)| commands.iter())
        .any(|c| matches!(c.body, CommandBody::WorkerJoin { .. }));
    let next_worker_id: i64 = if joins {
        sqlx::query("SELECT COALESCE(MAX(id), -1) + 1 FROM workers").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let next_event_id: i64 = if reports {
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    // The task books reported on, and the open books of the grids new books are for (one open book per grid).
    let mut books: HashMap<i64, TaskBook> = HashMap::new();
    for (id, body) in fetch_bodies(&mut *tx, "task_books", &book_ids).await? {
        books.insert(id, serde_json::from_str(&body)?);
    }
    let grids: Vec<i64> = book_ids_by_grid.into_iter().collect();
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
    let next_book_id: i64 = if new_books {
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM task_books").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let mut ctx = Ctx {
        district,
        routing,
        now,
        events,
        workers,
        books,
        next_event_id,
        next_worker_id,
        next_book_id,
        dirty_workers: HashSet::new(),
        dirty_books: HashSet::new(),
        also_dirty: HashSet::new(),
        track: None,
        last_kept,
    };

    // Apply in order.
    let mut results = Vec::with_capacity(batch.len());
    let mut new_changes: Vec<NewChange> = Vec::new();
    let mut new_answers: Vec<(i64, String, String, String)> = Vec::new();
    let mut dirty_events: HashSet<i64> = HashSet::new();
    'jobs: for (user, commands) in batch {
        // Who they act as: their room's unit in the district of this batch (or why they cannot act).
        let actor = crate::units::actor(district, user);
        // A key reused for another command refuses the whole request before any of it applies.
        let hashes: Vec<String> = commands.iter().map(command_hash).collect();
        for (index, (cmd, hash)) in commands.iter().zip(&hashes).enumerate() {
            if let Some((_, Some(stored))) = answered.get(&(user.id, cmd.key.clone()))
                && stored != hash
            {
                results.push(Err(SubmitError::KeyReused { index, key: cmd.key.clone() }));
                continue 'jobs;
            }
            if commands[..index].iter().zip(&hashes).any(|(c, h)| c.key == cmd.key && h != hash) {
                results.push(Err(SubmitError::KeyReused { index, key: cmd.key.clone() }));
                continue 'jobs;
            }
        }
        let mut out = Vec::with_capacity(commands.len());
        for (cmd, hash) in commands.iter().zip(hashes) {
            let k = (user.id, cmd.key.clone());
            if let Some((outcome, _)) = answered.get(&k) {
                out.push(CommandResult { key: cmd.key.clone(), outcome: outcome.clone(), duplicate: true });
                continue;
            }
            let outcome = match apply(cmd, user, &actor, &mut ctx) {
                Ok((body, event, worker)) => {
                    head += 1;
                    if let Some(e) = event {
                        dirty_events.insert(e);
                    }
                    if let Some(w) = worker {
                        ctx.dirty_workers.insert(w);
                    }
                    new_changes.push(NewChange {
                        seq: head,
                        kind: kind_of(&body),
                        event,
                        worker,
                        user: user.id,
                        body: serde_json::to_string(&body)?,
                        track: ctx.track.take(),
                    });
                    Outcome::Applied { seq: head, event: event.map(|e| EventId(e as u64)) }
                }
                Err(reason) => Outcome::Rejected { reason },
            };
            new_answers.push((user.id, cmd.key.clone(), serde_json::to_string(&outcome)?, hash.clone()));
            answered.insert(k, (outcome.clone(), Some(hash)));
            out.push(CommandResult { key: cmd.key.clone(), outcome, duplicate: false });
        }
        results.push(Ok(out));
    }
    let Ctx { events, workers, dirty_workers, books, dirty_books, also_dirty, .. } = ctx;
    dirty_events.extend(also_dirty);

    // Write.
    for chunk in new_changes.chunks(ROWS_PER_STATEMENT) {
        let mut sql =
            String::from("INSERT INTO changes (seq, kind, event_id, worker_id, user_id, body, created_at) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&placeholders(i * 7 + 1, 7));
            sql.push(')');
        }
        let now = chrono::Utc::now().to_rfc3339();
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c.seq).bind(c.kind).bind(c.event).bind(c.worker).bind(c.user).bind(&c.body).bind(now.clone());
        }
        q.execute(&mut *tx).await?;
    }
    let tracks: Vec<&NewChange> = new_changes.iter().filter(|c| c.track.is_some()).collect();
    for chunk in tracks.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO tracks (seq, worker_id, at_ms, body) VALUES {}", tuples(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(c.seq).bind(c.worker).bind(c.track).bind(&c.body);
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in new_answers.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO applied (user_id, key, result, body_hash) VALUES {}", tuples(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for (user, key, result, hash) in chunk {
            q = q.bind(*user).bind(key.as_str()).bind(result.as_str()).bind(hash.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    let dirty_events: Vec<(i64, String, String)> = dirty_events
        .into_iter()
        .filter_map(|id| events.get(&id).map(|e| (id, e)))
        .map(|(id, e)| Ok((id, state_name(e.state).to_string(), serde_json::to_string(e)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty_events.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO events (id, state, body) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            tuples(chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (id, state, body) in chunk {
            q = q.bind(*id).bind(state.as_str()).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    let dirty_workers: Vec<(i64, String)> = dirty_workers
        .into_iter()
        .filter_map(|id| workers.get(&id).map(|w| (id, w)))
        .map(|(id, w)| Ok((id, serde_json::to_string(w)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty_workers.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO workers (id, body) VALUES {} ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            tuples(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, body) in chunk {
            q = q.bind(*id).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    let dirty_books: Vec<(i64, &'static str, i64, String, String)> = dirty_books
        .into_iter()
        .filter_map(|id| books.get(&id).map(|b| (id, b)))
        .map(|(id, b)| {
            let state = if b.is_closed() { "closed" } else { "open" };
            Ok((id, state, b.grid.0 as i64, b.issued_at.to_rfc3339(), serde_json::to_string(b)?))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    for chunk in dirty_books.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO task_books (id, state, grid_id, issued_at, body) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            tuples(chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (id, state, grid, issued, body) in chunk {
            q = q.bind(*id).bind(*state).bind(*grid).bind(issued.as_str()).bind(body.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    if backend == Backend::Postgres && !new_changes.is_empty() {
        // Delivered to the other instances when (and only if) the transaction commits.
        sqlx::query("SELECT pg_notify('pingan_changes', $1)")
            .bind(format!("{}:{head}", crate::hub::instance_id()))
            .execute(&mut *tx)
            .await?;
    }
    Ok((results, new_changes.into_iter().map(|c| AppendedChange { seq: c.seq, body: c.body }).collect()))
}

/// `($1,$2,$3),($4,$5,$6),…`
fn tuples(rows: usize, cols: usize) -> String {
    (0..rows).map(|i| format!("({})", placeholders(i * cols + 1, cols))).collect::<Vec<_>>().join(",")
}

async fn fetch_bodies(
    tx: &mut sqlx::AnyConnection,
    table: &str,
    ids: &HashSet<i64>,
) -> anyhow::Result<Vec<(i64, String)>> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("SELECT id, body FROM {table} WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *tx).await? {
            out.push((row.try_get(0)?, row.try_get(1)?));
        }
    }
    Ok(out)
}

fn kind_of(body: &ChangeBody) -> &'static str {
    match body {
        ChangeBody::EventReported { .. } => "event_reported",
        ChangeBody::EventActed { .. } => "event_acted",
        ChangeBody::WorkerMoved { .. } => "worker_moved",
        ChangeBody::WorkerJoined { .. } => "worker_joined",
        ChangeBody::ReportLinked { .. } => "report_linked",
        ChangeBody::TaskBookIssued { .. } => "task_book_issued",
        ChangeBody::CheckReported { .. } => "check_reported",
        ChangeBody::ReportSplit { .. } => "report_split",
        ChangeBody::Acknowledged { .. } => "acknowledged",
    }
}

fn state_name(s: EventState) -> &'static str {
    match s {
        EventState::Reported => "reported",
        EventState::Accepted => "accepted",
        EventState::Assigned => "assigned",
        EventState::InDisposal => "in_disposal",
        EventState::Feedback => "feedback",
        EventState::Closed => "closed",
        EventState::Escalated => "escalated",
        EventState::Reopened => "reopened",
    }
}

/// What a key stands for: the hex SHA-256 of the command's time and body as JSON.
fn command_hash(cmd: &ClientCommand) -> String {
    use sha2::Digest as _;
    let text = serde_json::to_string(&(&cmd.at, &cmd.body)).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The working set of one batch: what the commands read and change.
struct Ctx<'a> {
    district: &'a District,
    /// Routing rules and deadlines.
    routing: &'a RoutingConfig,
    /// The server's clock when the batch began.
    now: Timestamp,
    events: HashMap<i64, Event>,
    workers: HashMap<i64, GridWorker>,
    /// Task books reported on, and the open books of grids that new books are for.
    books: HashMap<i64, TaskBook>,
    next_event_id: i64,
    next_worker_id: i64,
    next_book_id: i64,
    /// Workers whose record changed (moved, joined, or status changed by an event's step).
    dirty_workers: HashSet<i64>,
    /// Task books issued or reported on.
    dirty_books: HashSet<i64>,
    /// Events changed besides the one a change names (the event a split report left).
    also_dirty: HashSet<i64>,
    /// Set by a worker's move that the tracks keep: the report's time, Unix ms.
    track: Option<i64>,
    /// The last kept track point of each worker moving in this batch (from the `tracks` table, then as kept).
    last_kept: HashMap<i64, TrackPoint>,
}

impl Ctx<'_> {
    /// A new report taken in: the next id, reported, no steps, numbered if it has no number, routed at intake (the
    /// server, not the client, decides the level and the deadline).
    fn intake(&mut self, event: &Event) -> Event {
        let mut e = event.clone();
        e.id = EventId(self.next_event_id as u64);
        self.next_event_id += 1;
        e.state = EventState::Reported;
        e.assignee = None;
        e.history.clear();
        e.linked.clear();
        if e.number.trim().is_empty() {
            e.number = format!("YH-{}-{:06}", e.reported_at.format("%Y%m%d"), e.id.0);
        }
        self.routing.intake(&mut e);
        e
    }
}

type Applied = (ChangeBody, Option<i64>, Option<i64>);

/// One command against the in-memory working set: the change it makes, and the event/worker it is about. Every
/// refusal is a reason the sender can act on.
fn apply(
    cmd: &ClientCommand,
    user: &User,
    actor: &Result<Actor, String>,
    ctx: &mut Ctx<'_>,
) -> Result<Applied, String> {
    validate::check_command(cmd, ctx.district, ctx.now)?;
    // A grid worker acts as the one worker their token is bound to.
    let me = if user.role == Role::GridWorker {
        let id = user.worker.ok_or_else(|| {
            format!("{} is a grid worker not bound to a worker: an administrator binds them with --worker", user.name)
        })?;
        Some(ctx.workers.get(&(id.0 as i64)).cloned().ok_or_else(|| format!("worker {} is not registered", id.0))?)
    } else {
        None
    };
    match &cmd.body {
        CommandBody::Report { event } => {
            let mut e = (**event).clone();
            if let Some(me) = &me
                && e.source != EventSource::GridWorker(me.id)
            {
                return Err(format!("a grid worker reports as themself: the source must be worker {}", me.id.0));
            }
            // A room reports in its own area.
            let actor = actor.as_ref().map_err(Clone::clone)?;
            actor.may_report(&e)?;
            // The same thing reported again near the same place soon after joins the open event (any source).
            e.id = EventId(u64::MAX);
            if is_live(&e, ctx.now)
                && let Some(dup) = SENSOR_RULES.duplicate_of(ctx.events.values(), &e)
                && let Some(target) = ctx.events.get_mut(&(dup.0 as i64))
            {
                let report = pingan_core::LinkedReport {
                    at: e.reported_at,
                    source: e.source,
                    title: e.title.clone(),
                    position: e.position,
                };
                if target.linked.len() < pingan_core::validate::MAX_LINKED {
                    target.linked.push(report.clone());
                    return Ok((ChangeBody::ReportLinked { event: dup, report }, Some(dup.0 as i64), None));
                }
            }
            let e = ctx.intake(&e);
            let id = e.id.0 as i64;
            let body = ChangeBody::EventReported { event: Box::new(e.clone()) };
            ctx.events.insert(id, e);
            Ok((body, Some(id), None))
        }
        CommandBody::Act { event, action } => {
            let id = event.0 as i64;
            let e = ctx.events.get_mut(&id).ok_or_else(|| format!("there is no event {}", event.0))?;
            if cmd.at < e.reported_at {
                return Err(format!(
                    "event {}: the step's time {} is before the event was reported ({})",
                    e.number,
                    cmd.at.to_rfc3339(),
                    e.reported_at.to_rfc3339()
                ));
            }
            if let Some(me) = &me
                && !me.grids.contains(&e.grid)
                && e.assignee != Some(me.id)
            {
                return Err(format!(
                    "event {} is neither in a grid of worker {} nor assigned to them",
                    e.number, me.id.0
                ));
            }
            if let EventAction::Assign { worker } = action
                && !ctx.workers.contains_key(&(worker.0 as i64))
            {
                return Err(format!("there is no worker {}", worker.0));
            }
            // Their role, the lifecycle, and their room: their unit's events and those escalated to it.
            actor.as_ref().map_err(Clone::clone)?.may_act(e, action)?;
            let before = e.assignee;
            let body = sync::act(e, action.clone(), cmd.at, &user.name, ctx.routing)?;
            let (after, state) = (e.assignee, e.state);
            // Keep the projection's worker statuses as every client derives them from the log.
            for w in [before, after].into_iter().flatten() {
                if let Some(rec) = ctx.workers.get_mut(&(w.0 as i64)) {
                    let status = status_after_step(w, rec.status, *event, after, state);
                    if status != rec.status {
                        rec.status = status;
                        ctx.dirty_workers.insert(w.0 as i64);
                    }
                }
            }
            Ok((body, Some(id), None))
        }
        CommandBody::WorkerPosition { worker, position, status } => {
            if let Some(me) = &me
                && me.id != *worker
            {
                return Err(format!("a grid worker reports only their own position (worker {})", me.id.0));
            }
            if let WorkerStatus::Handling(e) = status
                && !ctx.events.contains_key(&(e.0 as i64))
            {
                return Err(format!("worker {}: handling event {}, which does not exist", worker.0, e.0));
            }
            let id = worker.0 as i64;
            let w = ctx.workers.get_mut(&id).ok_or_else(|| format!("there is no worker {}", worker.0))?;
            validate::check_worker_position(
                &format!("the position of worker {}", worker.0),
                &w.grids,
                *position,
                ctx.district,
            )?;
            if cmd.at < w.seen_at {
                // Every client keeps the newest position; an older one (a late retry, a slow clock) is refused so
                // that the log and every cache agree.
                return Err(format!("worker {}: a newer position is already known", worker.0));
            }
            // Thinned against the worker's last kept point, as the desk thins (not against the worker's record, whose
            // status an event's step may have changed without a report).
            let next = TrackPoint { at: cmd.at, seen_at: cmd.at, position: *position, status: *status };
            if replay::keeps(ctx.last_kept.get(&id), &next, TRACK_STEP) {
                ctx.track = Some(cmd.at.timestamp_millis());
                ctx.last_kept.insert(id, next);
            }
            w.position = *position;
            w.status = *status;
            w.seen_at = cmd.at;
            Ok((
                ChangeBody::WorkerMoved { worker: *worker, position: *position, status: *status, at: cmd.at },
                None,
                Some(id),
            ))
        }
        CommandBody::WorkerJoin { worker } => {
            if let WorkerStatus::Handling(e) = worker.status
                && !ctx.events.contains_key(&(e.0 as i64))
            {
                return Err(format!("worker {}: handling event {}, which does not exist", worker.name, e.0));
            }
            if worker.seen_at > ctx.now + validate::max_future() {
                return Err(format!("worker {}: last seen in the future", worker.name));
            }
            let id = worker.id.0 as i64;
            // Worker ids are dense (clients index workers by id): a new one must be the next id.
            if id > ctx.next_worker_id {
                return Err(format!("worker id {id} is not the next free id ({})", ctx.next_worker_id));
            }
            ctx.next_worker_id = ctx.next_worker_id.max(id + 1);
            ctx.workers.insert(id, worker.clone());
            Ok((ChangeBody::WorkerJoined { worker: worker.clone() }, None, Some(id)))
        }
        CommandBody::IssueTaskBook { book } => {
            let actor = actor.as_ref().map_err(Clone::clone)?;
            patrol::may_issue(actor, book, ctx.district)?;
            if let Some(open) = ctx.books.values().find(|b| b.grid == book.grid && !b.is_closed()) {
                let grid = &ctx.district.grids[book.grid.index()];
                return Err(format!("grid {} already has an open task book ({})", grid.name, open.number));
            }
            let mut b = (**book).clone();
            let id = ctx.next_book_id;
            ctx.next_book_id += 1;
            b.id = TaskBookId(id as u64);
            if b.number.trim().is_empty() {
                b.number = format!(
                    "XC-{}-{:06}",
                    b.issued_at.with_timezone(&pingan_core::china_offset()).format("%Y%m%d"),
                    id
                );
            }
            b.issued_by = user.name.clone();
            ctx.books.insert(id, b.clone());
            ctx.dirty_books.insert(id);
            Ok((ChangeBody::TaskBookIssued { book: Box::new(b) }, None, None))
        }
        CommandBody::ReportCheck { book, check, outcome, note, event } => {
            let id = book.0 as i64;
            let b = ctx.books.get(&id).ok_or_else(|| format!("there is no task book {}", book.0))?;
            let actor = actor.as_ref().map_err(Clone::clone)?;
            let grids = me.as_ref().map(|w| w.grids.clone()).unwrap_or_default();
            patrol::may_report_check(actor, &grids, b, usize::from(*check), ctx.district)?;
            if cmd.at < b.issued_at {
                return Err(format!("task book {}: the check's time is before the book was issued", b.number));
            }
            let number = b.number.clone();
            let grid = b.grid;
            let filed = match event {
                Some(e) => {
                    if e.grid != grid {
                        return Err(format!("task book {number}: the problem must lie in the book's grid"));
                    }
                    if let Some(me) = &me
                        && e.source != EventSource::GridWorker(me.id)
                    {
                        return Err(format!(
                            "a grid worker reports as themself: the source must be worker {}",
                            me.id.0
                        ));
                    }
                    let e = ctx.intake(e);
                    ctx.events.insert(e.id.0 as i64, e.clone());
                    Some(e)
                }
                None => None,
            };
            let result = CheckResult {
                at: cmd.at,
                by: user.name.clone(),
                outcome: *outcome,
                note: note.clone(),
                event: filed.as_ref().map(|e| e.id),
            };
            if let Some(b) = ctx.books.get_mut(&id) {
                b.record(usize::from(*check), &result);
            }
            ctx.dirty_books.insert(id);
            let event_id = filed.as_ref().map(|e| e.id.0 as i64);
            Ok((
                ChangeBody::CheckReported { book: *book, check: *check, result, event: filed.map(Box::new) },
                event_id,
                None,
            ))
        }
        CommandBody::Acknowledge { event } => {
            let id = event.0 as i64;
            let e = ctx.events.get_mut(&id).ok_or_else(|| format!("there is no event {}", event.0))?;
            let actor = actor.as_ref().map_err(Clone::clone)?;
            if actor.role != Role::Admin && !e.within(actor.unit) {
                return Err(format!(
                    "event {} is outside this user's unit: a room acknowledges its own area",
                    e.number
                ));
            }
            if e.attention().is_none() {
                return Err(format!(
                    "event {} calls for no attention (closed, or neither serious nor a warning nor escalated)",
                    e.number
                ));
            }
            if !e.unacknowledged()
                && let Some(a) = &e.acknowledged
            {
                return Err(format!(
                    "event {} was already acknowledged by {} at {}",
                    e.number,
                    a.by,
                    a.at.to_rfc3339()
                ));
            }
            if cmd.at < e.reported_at {
                return Err(format!("event {}: acknowledged before it was reported", e.number));
            }
            let ack = pingan_core::Ack { by: user.name.clone(), at: cmd.at, level: e.level };
            e.acknowledged = Some(ack.clone());
            Ok((ChangeBody::Acknowledged { event: *event, ack }, Some(id), None))
        }
        CommandBody::SplitReport { event, report } => {
            let id = event.0 as i64;
            let e = ctx.events.get(&id).ok_or_else(|| format!("there is no event {}", event.0))?;
            let actor = actor.as_ref().map_err(Clone::clone)?;
            if actor.role != Role::Admin && !e.within(actor.unit) {
                return Err(format!("event {} is outside this user's unit", e.number));
            }
            let linked = pingan_core::LinkedReport {
                at: report.reported_at,
                source: report.source,
                title: report.title.clone(),
                position: report.position,
            };
            let Some(i) = e.linked.iter().position(|r| *r == linked) else {
                return Err(format!("event {}: no linked report matches the one to split off", e.number));
            };
            if report.category != e.category {
                return Err(format!("event {}: a split report keeps its category", e.number));
            }
            let new_event = ctx.intake(report);
            if let Some(e) = ctx.events.get_mut(&id) {
                e.linked.remove(i);
            }
            ctx.events.insert(new_event.id.0 as i64, new_event.clone());
            let new_id = new_event.id.0 as i64;
            // The new event is this change's; the one the report left is stored too.
            ctx.also_dirty.insert(id);
            Ok((
                ChangeBody::ReportSplit { event: *event, report: linked, new_event: Box::new(new_event) },
                Some(new_id),
                None,
            ))
        }
    }
}

/// The sensor rules' duplicate-merging window and distance (the shipped `assets/config/sensors.toml`).
static SENSOR_RULES: std::sync::LazyLock<pingan_core::sensors::SensorRules> =
    std::sync::LazyLock::new(pingan_core::sensors::SensorRules::default);

/// Whether a report is live (reported within the merging window of `now`): only live reports are merged, so a log
/// replayed or seeded from the past keeps every event it names.
fn is_live(e: &Event, now: Timestamp) -> bool {
    let window = chrono::Duration::minutes(i64::from(SENSOR_RULES.merge.window_minutes));
    e.reported_at <= now + chrono::Duration::minutes(5) && now - e.reported_at <= window
}
