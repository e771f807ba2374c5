//! The single writer: every command goes through here, in batches, one transaction per batch (group commit).
//!
//! Per batch it reads what it needs (earlier answers for the keys, the events and workers the commands touch:
//! `load`), applies the commands in order in memory — each lifecycle step checked by `pingan-core`'s state machine
//! (`apply`, its refusals in `rejection`) — and writes the new changes, the answers and the updated projection with a
//! few multi-row statements (`write`). On PostgreSQL the transaction first takes an advisory lock, so several `pingan-sync` instances
//! sharing one database still hand out gap-free, ordered seqs, and it `NOTIFY`s the others on commit.

mod apply;
mod load;
mod rejection;
mod write;

use crate::db::{Backend, Db, User, placeholders};
use crate::hub::{Hub, LiveChange};
use pingan_core::District;
use pingan_core::replay;
use pingan_core::routing::RoutingConfig;
use pingan_core::sync::{ClientCommand, CommandResult, Outcome, Seq};
use std::collections::HashMap;
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
    /// The database failed, or the writer stopped: logged under the incident's id.
    #[error("{0}")]
    Storage(crate::error::Incident),
    /// The server holds no district yet, so nothing can be checked against one.
    #[error("{}", crate::error::NO_DISTRICT)]
    NoDistrict,
}

/// Why a batch could not be stored: the database failed, or a stored record does not read back.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A stored record (or an answer) is not the JSON it should be.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

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
        let stopped =
            || SubmitError::Storage(crate::error::Incident::record("submit", &"the writer has stopped", true));
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
                let what = format!("could not store a batch of {n} commands");
                let incident = match &e {
                    WriteError::Sql(sql) => crate::error::Incident::log(&what, sql),
                    other => crate::error::Incident::log(&what, other),
                };
                for job in jobs {
                    job.reply.send(Err(SubmitError::Storage(incident.clone()))).ok();
                }
            }
        }
    }
}

/// Each entry's answers (or why none of that entry applied).
type Answers = Vec<Result<Vec<CommandResult>, SubmitError>>;

type BatchOutput = (Answers, Vec<LiveChange>);

/// Earlier answers by (user, key), with the hash of what the key was sent with.
type Answered = HashMap<(i64, String), (Outcome, Option<String>)>;

/// A batch: each user's commands, in order.
type Batch<'a, 'b> = &'a [(&'b User, &'b [ClientCommand])];

/// A row of the change log, ready to insert.
struct NewChange {
    seq: Seq,
    kind: &'static str,
    event: Option<i64>,
    worker: Option<i64>,
    user: i64,
    body: String,
    /// Who may see it ([`pingan_core::scope::Audience`]).
    audience: Arc<pingan_core::scope::Audience>,
    /// The same as JSON, as stored.
    audience_json: String,
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
) -> Result<BatchOutput, WriteError> {
    let mut tx = db.pool.begin().await?;
    lock(&mut tx, db.backend).await?;
    let batch: Vec<(&User, &[ClientCommand])> = jobs.iter().map(|j| (&j.user, j.commands.as_slice())).collect();
    let (results, new_changes) = apply_in_tx(&mut tx, db.backend, district, routing, &batch).await?;
    tx.commit().await?;
    let live = new_changes
        .into_iter()
        .map(|c| LiveChange { seq: c.seq, body: c.body.into(), audience: Some(c.audience) })
        .collect();
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
    /// Who may see it.
    pub audience: Arc<pingan_core::scope::Audience>,
}

/// Apply each user's commands in order inside `tx` (which holds the [`lock`]): check them against `district` and the
/// stored state — each user acting in their room's unit ([`pingan_core::routing::Actor::may_act`],
/// [`pingan_core::routing::Actor::may_report`]), reports routed by `routing` at intake — append the changes, store
/// the answers and the projection. Does not commit. Returns the answers (one list per entry of `batch`, or why none
/// of that entry applied) and the changes appended. The reference importers call this too, so a roster joins through
/// exactly the path `WorkerJoin` commands take.
pub async fn apply_in_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    district: &District,
    routing: &RoutingConfig,
    batch: &[(&User, &[ClientCommand])],
) -> Result<(Answers, Vec<AppendedChange>), WriteError> {
    let tx = &mut **tx;
    let loaded = load::load(&mut *tx, batch).await?;
    let mut ctx = apply::Ctx::new(district, routing, loaded.set);
    let mut applying = apply::Applying::new(loaded.head, loaded.answered);
    for (user, commands) in batch {
        applying.job(user, commands, &mut ctx)?;
    }
    write::write(&mut *tx, backend, &applying, ctx).await?;
    let appended = applying
        .changes
        .into_iter()
        .map(|c| AppendedChange { seq: c.seq, body: c.body, audience: c.audience })
        .collect();
    Ok((applying.results, appended))
}

/// `($1,$2,$3),($4,$5,$6),…`
fn tuples(rows: usize, cols: usize) -> String {
    (0..rows).map(|i| format!("({})", placeholders(i * cols + 1, cols))).collect::<Vec<_>>().join(",")
}
