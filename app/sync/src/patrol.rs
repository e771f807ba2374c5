//! Automatic patrol task books (巡查任务书): every `--patrol-every` the server grades the district for the month
//! [`PatrolConfig::period`] names (this calendar month, or the previous one in a month's first `settle_days`; the
//! five-colour assessment of the key categories over the stored history and the live events), finds the units that
//! call for books ([`patrol::due_units`]: red by the shipped `assets/config/patrol.toml` or `--patrol`, no open book
//! in their grids, none issued automatically within the cooldown, the reddest first while at most `max_open_units`
//! hold open automatic books) and issues one book per grid
//! ([`patrol::plan`]) — an `IssueTaskBook` through the same writer and checks as an operator's, sent as the system
//! user [`PATROL_USER`].
//!
//! Once per grid and day, also with several instances on one PostgreSQL database: the key is
//! [`patrol::auto_key`] (grid and day), so a second instance's book for the same grid is answered as a duplicate
//! (or refused because the grid already has an open book) — never a second book.
//!
//! The history of a large district is hundreds of thousands of rows: the month's records are read once per
//! reference version (every import bumps it) and month, and kept in memory between sweeps.

use crate::db::{Db, DbError, User};
use crate::error::Chain;
use crate::reference::Shared;
use crate::writer::{SubmitError, Writer};
use pingan_core::assess::{self, CategorySet, EventRecord, RiskConfig};
use pingan_core::patrol::{self, PatrolConfig, TaskBook};
use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Role};
use pingan_core::{BuildingId, CommunityId, District, Event, GridId, Timestamp, TownId, UnitRef};
use sqlx::Row as _;
use std::sync::Arc;
use std::time::Duration;

/// The user automatic task books are issued by (an admin without tokens, created at start).
pub const PATROL_USER: &str = "patrol";

/// The default sweep interval.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(300);

/// The first sweep comes this soon after the start (or after one interval, when that is shorter).
pub const FIRST_AFTER: Duration = Duration::from_secs(5);

/// Why the sweeper cannot start or sweep.
#[derive(Debug, thiserror::Error)]
pub enum PatrolError {
    /// The users table failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Reading the history, the events or the books failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A stored history row names a category or severity the server does not know.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A stored history row's town id is out of range.
    #[error(transparent)]
    Range(#[from] std::num::TryFromIntError),
    /// A stored history row's id is out of range.
    #[error("history: id {0} out of range")]
    IdOutOfRange(i64),
    /// Grading and planning stopped.
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
    /// The user `patrol` exists with another role.
    #[error(
        "the patrol sweeper acts as the user {PATROL_USER:?}, but that user is a {0}: rename that user (or start \
         with --patrol-every 0 to turn automatic task books off)"
    )]
    NotAdmin(&'static str),
}

/// The system user the sweeper acts as: created as an admin when missing; an existing `patrol` user of another role
/// stops the start.
pub async fn user(db: &Db) -> Result<User, PatrolError> {
    let user = db.system_user(PATROL_USER, Role::Admin).await?;
    if user.role != Role::Admin {
        return Err(PatrolError::NotAdmin(user.role.name()));
    }
    Ok(user)
}

/// Why a patrol configuration file (`--patrol FILE`) cannot be used: which file and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It cannot be read.
    #[error("--patrol {}: cannot read it: {reason}", .file.display())]
    Unreadable {
        /// The file.
        file: std::path::PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// It does not parse or does not make sense.
    #[error("--patrol {}: {reason}", .file.display())]
    Invalid {
        /// The file.
        file: std::path::PathBuf,
        /// Why.
        reason: pingan_core::patrol::PatrolConfigError,
    },
}

/// A patrol configuration file (`--patrol FILE`): read and checked, or an error that says which file and why.
pub fn load_config(file: &std::path::Path) -> Result<PatrolConfig, ConfigError> {
    let text =
        std::fs::read_to_string(file).map_err(|reason| ConfigError::Unreadable { file: file.to_path_buf(), reason })?;
    PatrolConfig::from_toml(&text).map_err(|reason| ConfigError::Invalid { file: file.to_path_buf(), reason })
}

/// The stored history's records of one month, kept between sweeps.
#[derive(Default)]
pub struct HistoryCache {
    /// (reference version, the month's first second) the records are for.
    key: Option<(i64, i64)>,
    records: Arc<Vec<EventRecord>>,
}

impl HistoryCache {
    /// The stored history in `[from, to)` as of reference `version`: from memory when read before for the same
    /// version and month, else from the database.
    pub async fn month(
        &mut self,
        db: &Db,
        version: i64,
        from: i64,
        to: i64,
    ) -> Result<Arc<Vec<EventRecord>>, PatrolError> {
        if self.key == Some((version, from)) {
            return Ok(self.records.clone());
        }
        let rows = sqlx::query(
            "SELECT at, category, severity, town, community, grid, building FROM history WHERE at >= $1 AND at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&db.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let category: String = r.try_get(1)?;
            let severity: String = r.try_get(2)?;
            let id32 = |v: i64| u32::try_from(v).map_err(|_| PatrolError::IdOutOfRange(v));
            out.push(EventRecord {
                at: r.try_get(0)?,
                category: serde_json::from_value(serde_json::Value::String(category))?,
                severity: serde_json::from_value(serde_json::Value::String(severity))?,
                town: TownId(u16::try_from(r.try_get::<i64, _>(3)?)?),
                community: CommunityId(id32(r.try_get(4)?)?),
                grid: GridId(id32(r.try_get(5)?)?),
                building: r.try_get::<Option<i64>, _>(6)?.map(id32).transpose()?.map(BuildingId),
            });
        }
        self.key = Some((version, from));
        self.records = Arc::new(out);
        Ok(self.records.clone())
    }
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Units that called for books.
    pub units: usize,
    /// Books issued by this instance.
    pub issued: usize,
    /// Books another instance (or an earlier sweep) had already issued under the same key.
    pub duplicates: usize,
    /// Books refused (say why in the log).
    pub refused: usize,
    /// Records assessed (history of the month and live events).
    pub records: usize,
    /// Milliseconds the sweep took.
    pub ms: u128,
}

/// The books due at `now`: the assessment of [`PatrolConfig::period`] over `records`, the units [`patrol::due_units`] names, one
/// book per grid of each ([`patrol::plan`], automatic, issued by [`PATROL_USER`]).
pub fn due_books(
    district: &District,
    records: &[EventRecord],
    books: &[TaskBook],
    config: &PatrolConfig,
    now: Timestamp,
) -> Vec<(UnitRef, Vec<TaskBook>)> {
    let period = config.period(now);
    let risk = RiskConfig::default();
    let assessment = assess::assess(district, records, period, now.timestamp(), CategorySet::key(), &risk);
    patrol::due_units(district, &assessment, books, config, now)
        .into_iter()
        .map(|unit| (unit, patrol::plan(district, records, &assessment, &risk, config, unit, now, PATROL_USER, true)))
        .collect()
}

/// The name of a unit, for the log.
fn unit_name(district: &District, unit: UnitRef) -> String {
    match unit {
        UnitRef::District => district.name.clone(),
        UnitRef::Town(t) => district.towns.get(t.index()).map_or_else(|| format!("town {}", t.0), |t| t.name.clone()),
        UnitRef::Community(c) => {
            district.communities.get(c.index()).map_or_else(|| format!("community {}", c.0), |c| c.name.clone())
        }
        UnitRef::Grid(g) => district.grids.get(g.index()).map_or_else(|| format!("grid {}", g.0), |g| g.name.clone()),
        UnitRef::Building(b) => format!("building {}", b.0),
    }
}

/// One sweep at `now`: read the month's history (cached) and the live events, the open and recent books, and issue
/// the books that are due (one job per unit, so one odd refusal does not hold up the others).
pub async fn sweep(
    db: &Db,
    writer: &Writer,
    user: &User,
    shared: &Shared,
    config: &Arc<PatrolConfig>,
    cache: &mut HistoryCache,
    now: Timestamp,
) -> Result<Swept, PatrolError> {
    let started = std::time::Instant::now();
    let current = shared.current();
    let Some(district) = current.district.clone() else { return Ok(Swept::default()) };
    let (from, to) = config.period(now).range();
    let history = cache.month(db, current.version, from, to).await?;
    let rows = sqlx::query("SELECT body FROM events").fetch_all(&db.pool).await?;
    let mut live = Vec::new();
    for r in rows {
        let body: String = r.try_get(0)?;
        match serde_json::from_str::<Event>(&body) {
            Ok(e) => {
                let at = e.reported_at.timestamp();
                if at >= from && at < to {
                    live.push(EventRecord::from(&e));
                }
            }
            Err(err) => tracing::warn!("patrol: an event record does not parse: {err}"),
        }
    }
    let cooldown = chrono::Duration::days(i64::from(config.cooldown_days));
    let rows = sqlx::query("SELECT body FROM task_books WHERE state = 'open' OR issued_at >= $1")
        .bind((now - cooldown).to_rfc3339())
        .fetch_all(&db.pool)
        .await?;
    let mut books = Vec::with_capacity(rows.len());
    for r in rows {
        let body: String = r.try_get(0)?;
        match serde_json::from_str::<TaskBook>(&body) {
            Ok(b) => books.push(b),
            Err(err) => tracing::warn!("patrol: a task book record does not parse: {err}"),
        }
    }
    let config2 = config.clone();
    let d = district.clone();
    let (due, records) = tokio::task::spawn_blocking(move || {
        let mut records = Vec::with_capacity(history.len() + live.len());
        records.extend_from_slice(&history);
        records.extend(live);
        (due_books(&d, &records, &books, &config2, now), records.len())
    })
    .await?;
    let mut out = Swept { units: due.len(), records, ..Swept::default() };
    let sends = due.into_iter().map(|(unit, books)| {
        let grade = books.first().map(|b| b.grade);
        let cmds: Vec<ClientCommand> = books
            .into_iter()
            .map(|b| ClientCommand {
                key: patrol::auto_key(&b),
                at: now,
                body: CommandBody::IssueTaskBook { book: Box::new(b) },
            })
            .collect();
        async move { (unit, grade, cmds.len(), writer.submit(user.clone(), cmds).await) }
    });
    for (unit, grade, n, r) in futures_util::future::join_all(sends).await {
        let name = unit_name(&district, unit);
        match r {
            Ok(results) => {
                let mut issued = Vec::new();
                for res in results {
                    match res.outcome {
                        _ if res.duplicate => out.duplicates += 1,
                        Outcome::Applied { seq, .. } => {
                            out.issued += 1;
                            issued.push(seq);
                        }
                        Outcome::Rejected { reason } => {
                            out.refused += 1;
                            tracing::warn!("patrol: a task book for {name} was refused: {reason}");
                        }
                    }
                }
                if !issued.is_empty() {
                    tracing::info!(
                        "patrol: {name} is graded {}: issued {} of {n} task books (changes {:?})",
                        grade.map_or("?", |g| g.en()),
                        issued.len(),
                        issued
                    );
                }
            }
            // The same grid and day with another time or body: another instance issued it first.
            Err(SubmitError::KeyReused { .. }) => out.duplicates += n,
            Err(e) => tracing::warn!("patrol: could not issue the task books for {name}: {e}"),
        }
    }
    out.ms = started.elapsed().as_millis();
    Ok(out)
}

/// Sweep `first` after the start, then every `every`, until the process ends.
pub async fn run(
    db: Db,
    writer: Writer,
    user: User,
    shared: Arc<Shared>,
    config: Arc<PatrolConfig>,
    every: Duration,
    first: Duration,
) {
    tokio::time::sleep(first).await;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cache = HistoryCache::default();
    loop {
        tick.tick().await;
        match sweep(&db, &writer, &user, &shared, &config, &mut cache, chrono::Utc::now()).await {
            Ok(s) => tracing::info!(
                "patrol sweep: {} records assessed, {} unit(s) due, {} book(s) issued, {} duplicate(s), {} refused, \
                 {} ms",
                s.records,
                s.units,
                s.issued,
                s.duplicates,
                s.refused,
                s.ms
            ),
            Err(e) => tracing::warn!("patrol: sweep failed: {}", Chain(&e)),
        }
    }
}
