//! The single writer: every command goes through here, in batches, one transaction per batch (group commit).
//!
//! Per batch it reads what it needs (earlier answers for the keys, the events and workers the commands touch),
//! applies the commands in order in memory — each lifecycle step checked by `pingan-core`'s state machine — and
//! writes the new changes, the answers and the updated projection with a few multi-row statements. On PostgreSQL the
//! transaction first takes an advisory lock, so several `pingan-sync` instances sharing one database still hand out
//! gap-free, ordered seqs, and it `NOTIFY`s the others on commit.

use crate::db::{Backend, Db, User, placeholders};
use crate::hub::{Hub, LiveChange};
use pingan_core::sync::{self, ChangeBody, ClientCommand, CommandBody, CommandResult, Outcome, Seq};
use pingan_core::{District, Event, EventId, EventState, GridWorker};
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
    /// Where the answers go (one per command, same order), or a storage error.
    pub reply: oneshot::Sender<Result<Vec<CommandResult>, String>>,
}

/// Handle for sending jobs to the writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Start the writer task.
    pub fn spawn(db: Db, hub: Arc<Hub>, district: Arc<District>) -> Writer {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(run(db, hub, district, rx));
        Writer { tx }
    }

    /// Apply `commands` for `user`; waits for the commit.
    pub async fn submit(&self, user: User, commands: Vec<ClientCommand>) -> Result<Vec<CommandResult>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job { user, commands, reply }).await.map_err(|_| "the writer has stopped".to_string())?;
        rx.await.map_err(|_| "the writer has stopped".to_string())?
    }
}

async fn run(db: Db, hub: Arc<Hub>, district: Arc<District>, mut rx: mpsc::Receiver<Job>) {
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
        let mut attempt = 0;
        let mut retried = false;
        let outcome = loop {
            match write_batch(&db, &district, &jobs).await {
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
                    job.reply.send(Ok(r)).ok();
                }
            }
            Err(e) => {
                tracing::error!("could not store a batch of {n} commands: {e}");
                for job in jobs {
                    job.reply.send(Err(format!("storage error: {e}"))).ok();
                }
            }
        }
    }
}

type BatchOutput = (Vec<Vec<CommandResult>>, Vec<LiveChange>);

/// A row of the change log, ready to insert.
struct NewChange {
    seq: Seq,
    kind: &'static str,
    event: Option<i64>,
    worker: Option<i64>,
    user: i64,
    body: String,
}

async fn write_batch(db: &Db, district: &District, jobs: &[Job]) -> anyhow::Result<BatchOutput> {
    let mut tx = db.pool.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PG_WRITER_LOCK).execute(&mut *tx).await?;
    }
    let mut head: Seq =
        sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM changes").fetch_one(&mut *tx).await?.try_get(0)?;

    // Earlier answers for these keys (by the primary key: user, then key).
    let mut answered: HashMap<(i64, String), Outcome> = HashMap::new();
    let mut keys_by_user: HashMap<i64, Vec<&str>> = HashMap::new();
    for j in jobs {
        keys_by_user.entry(j.user.id).or_default().extend(j.commands.iter().map(|c| c.key.as_str()));
    }
    for (user, keys) in &keys_by_user {
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT key, result FROM applied WHERE user_id = $1 AND key IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(*user);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&mut *tx).await? {
                let (key, result): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                answered.insert((*user, key), serde_json::from_str(&result)?);
            }
        }
    }

    // The events and workers the commands touch.
    let mut event_ids: HashSet<i64> = HashSet::new();
    let mut worker_ids: HashSet<i64> = HashSet::new();
    let mut reports = false;
    for c in jobs.iter().flat_map(|j| &j.commands) {
        match &c.body {
            CommandBody::Act { event, .. } => {
                event_ids.insert(event.0 as i64);
            }
            CommandBody::WorkerPosition { worker, .. } => {
                worker_ids.insert(worker.0 as i64);
            }
            CommandBody::Report { .. } => reports = true,
            CommandBody::WorkerJoin { .. } => {}
        }
    }
    let mut events: HashMap<i64, Event> = HashMap::new();
    for (id, body) in fetch_bodies(&mut tx, "events", &event_ids).await? {
        events.insert(id, serde_json::from_str(&body)?);
    }
    let mut workers: HashMap<i64, GridWorker> = HashMap::new();
    for (id, body) in fetch_bodies(&mut tx, "workers", &worker_ids).await? {
        workers.insert(id, serde_json::from_str(&body)?);
    }
    let joins = jobs.iter().flat_map(|j| &j.commands).any(|c| matches!(c.body, CommandBody::WorkerJoin { .. }));
    let mut next_worker_id: i64 = if joins {
        sqlx::query("SELECT COALESCE(MAX(id), -1) + 1 FROM workers").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };
    let mut next_event_id: i64 = if reports {
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetch_one(&mut *tx).await?.try_get(0)?
    } else {
        0
    };

    // Apply in order.
    let mut results = Vec::with_capacity(jobs.len());
    let mut new_changes: Vec<NewChange> = Vec::new();
    let mut new_answers: Vec<(i64, String, String)> = Vec::new();
    let mut dirty_events: HashSet<i64> = HashSet::new();
    let mut dirty_workers: HashSet<i64> = HashSet::new();
    for job in jobs {
        let mut out = Vec::with_capacity(job.commands.len());
        for cmd in &job.commands {
            let k = (job.user.id, cmd.key.clone());
            if let Some(outcome) = answered.get(&k) {
                out.push(CommandResult { key: cmd.key.clone(), outcome: outcome.clone(), duplicate: true });
                continue;
            }
            let applied =
                apply(cmd, &job.user, district, &mut events, &mut workers, &mut next_event_id, &mut next_worker_id);
            let outcome = match applied {
                Ok((body, event, worker)) => {
                    head += 1;
                    if let Some(e) = event {
                        dirty_events.insert(e);
                    }
                    if let Some(w) = worker {
                        dirty_workers.insert(w);
                    }
                    new_changes.push(NewChange {
                        seq: head,
                        kind: kind_of(&body),
                        event,
                        worker,
                        user: job.user.id,
                        body: serde_json::to_string(&body)?,
                    });
                    Outcome::Applied { seq: head, event: event.map(|e| EventId(e as u64)) }
                }
                Err(reason) => Outcome::Rejected { reason },
            };
            new_answers.push((job.user.id, cmd.key.clone(), serde_json::to_string(&outcome)?));
            answered.insert(k, outcome.clone());
            out.push(CommandResult { key: cmd.key.clone(), outcome, duplicate: false });
        }
        results.push(out);
    }

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
    for chunk in new_answers.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO applied (user_id, key, result) VALUES {}", tuples(chunk.len(), 3));
        let mut q = sqlx::query(&sql);
        for (user, key, result) in chunk {
            q = q.bind(*user).bind(key.as_str()).bind(result.as_str());
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
    if db.backend == Backend::Postgres && !new_changes.is_empty() {
        // Delivered to the other instances when (and only if) the transaction commits.
        sqlx::query("SELECT pg_notify('pingan_changes', $1)")
            .bind(format!("{}:{head}", crate::hub::instance_id()))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let live = new_changes.into_iter().map(|c| LiveChange { seq: c.seq, body: c.body.into() }).collect();
    Ok((results, live))
}

/// `($1,$2,$3),($4,$5,$6),…`
fn tuples(rows: usize, cols: usize) -> String {
    (0..rows).map(|i| format!("({})", placeholders(i * cols + 1, cols))).collect::<Vec<_>>().join(",")
}

async fn fetch_bodies(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
        for row in q.fetch_all(&mut **tx).await? {
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

type Applied = (ChangeBody, Option<i64>, Option<i64>);

/// One command against the in-memory working set: the change it makes, and the event/worker it touched.
fn apply(
    cmd: &ClientCommand,
    user: &User,
    district: &District,
    events: &mut HashMap<i64, Event>,
    workers: &mut HashMap<i64, GridWorker>,
    next_event_id: &mut i64,
    next_worker_id: &mut i64,
) -> Result<Applied, String> {
    match &cmd.body {
        CommandBody::Report { event } => {
            let mut e = (**event).clone();
            validate_report(&e, district)?;
            e.id = EventId(*next_event_id as u64);
            *next_event_id += 1;
            e.state = EventState::Reported;
            e.assignee = None;
            e.history.clear();
            if e.number.trim().is_empty() {
                e.number = format!("YH-{}-{:06}", e.reported_at.format("%Y%m%d"), e.id.0);
            }
            let id = e.id.0 as i64;
            let body = ChangeBody::EventReported { event: Box::new(e.clone()) };
            events.insert(id, e);
            Ok((body, Some(id), None))
        }
        CommandBody::Act { event, action } => {
            let id = event.0 as i64;
            let e = events.get_mut(&id).ok_or_else(|| format!("there is no event {}", event.0))?;
            if let pingan_core::EventAction::Assign { worker } = action
                && !workers_known(workers, *worker, district)
            {
                // Workers are checked loosely: an unknown id is refused only when it is far out of range.
                return Err(format!("there is no worker {}", worker.0));
            }
            let body = sync::act(e, action.clone(), cmd.at, &user.name)?;
            Ok((body, Some(id), None))
        }
        CommandBody::WorkerPosition { worker, position, status } => {
            let id = worker.0 as i64;
            let w = workers.get_mut(&id).ok_or_else(|| format!("there is no worker {}", worker.0))?;
            pingan_core::LonLat::try_new(position.lon, position.lat).map_err(|e| format!("worker position: {e}"))?;
            if cmd.at < w.seen_at {
                // Every client keeps the newest position; an older one (a late retry, a slow clock) is refused so
                // that the log and every cache agree.
                return Err(format!("worker {}: a newer position is already known", worker.0));
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
            if worker.grids.iter().any(|g| g.index() >= district.grids.len()) {
                return Err(format!("worker {} serves a grid that does not exist", worker.name));
            }
            let id = worker.id.0 as i64;
            // Worker ids are dense (clients index workers by id): a new one must be the next id.
            if id > *next_worker_id {
                return Err(format!("worker id {id} is not the next free id ({next_worker_id})"));
            }
            *next_worker_id = (*next_worker_id).max(id + 1);
            workers.insert(id, worker.clone());
            Ok((ChangeBody::WorkerJoined { worker: worker.clone() }, None, Some(id)))
        }
    }
}

fn workers_known(_workers: &HashMap<i64, GridWorker>, worker: pingan_core::WorkerId, district: &District) -> bool {
    // At most a few workers per grid: anything beyond that is a made-up id.
    (worker.0 as usize) < district.grids.len() * 4
}

fn validate_report(e: &Event, district: &District) -> Result<(), String> {
    pingan_core::LonLat::try_new(e.position.lon, e.position.lat).map_err(|err| format!("report position: {err}"))?;
    if e.town.index() >= district.towns.len()
        || e.community.index() >= district.communities.len()
        || e.grid.index() >= district.grids.len()
    {
        return Err(format!("report {:?}: its town, community or grid is not in {}", e.title, district.name));
    }
    if e.title.chars().count() > 500 || e.place.chars().count() > 500 {
        return Err("report: title and place must be at most 500 characters".into());
    }
    if e.deadline < e.reported_at {
        return Err("report: the deadline is before the report time".into());
    }
    Ok(())
}
