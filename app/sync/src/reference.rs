//! Reference data: the district, the roster and the event history the server holds as the source of truth, and the
//! district package built from them.
//!
//! Every import — a district ([`import_district`]), a roster ([`import_roster`]), a history
//! ([`import_history`]), or the generated demo ([`install_demo`]) — goes through [`store`]: one transaction that takes
//! the writer's lock, stores what is new (a roster joins through the writer's own path, so the workers are in the
//! change log and in snapshots), bumps `district_version` in `meta`, and stores the package for that version
//! (`pingan_package::encode`; the newest two are kept). A running server polls the version ([`watch`]) and swaps
//! its district and package when it changes, also when another process imported.

pub mod files;

use crate::db::{Backend, Db, DbError, User};
use crate::error::Chain;
use crate::writer::{self, DistrictRx, SubmitError};
use axum::body::Bytes;
use pingan_core::assess::EventRecord;
use pingan_core::import::{Crs, ImportAs};
use pingan_core::search::HistoryText;
use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Role};
use pingan_core::{BuildingId, CommunityId, District, GridId, GridWorker, TownId, WorkerId, WorkerStatus, validate};
use sqlx::Row as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How often a running server looks for a new reference version.
pub const POLL: Duration = Duration::from_secs(2);
/// Packages kept (the newest).
pub const KEEP_PACKAGES: i64 = 2;
/// History rows per INSERT statement (8 parameters each).
const HISTORY_ROWS_PER_STATEMENT: usize = 64;

/// What the importers' joins are checked with: they neither report nor act, so no event is routed or moved.
static ROUTING: std::sync::LazyLock<pingan_core::routing::RoutingConfig> =
    std::sync::LazyLock::new(pingan_core::routing::RoutingConfig::default);

/// The user the imports act as in the change log.
pub const IMPORT_USER: &str = "import";

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum RefError {
    /// The file has problems (features, lines); each names where.
    #[error("{} problem(s); nothing was stored", .0.len())]
    Rejected(Vec<String>),
    /// What is stored already would no longer fit.
    #[error("{0}")]
    Conflict(String),
    /// Rosters and histories need a district first.
    #[error("{}", crate::error::NO_DISTRICT)]
    NoDistrict,
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The users table failed (the import user).
    #[error(transparent)]
    Db(#[from] DbError),
    /// The writer's path failed (a roster's joins).
    #[error(transparent)]
    Write(#[from] writer::WriteError),
    /// The writer refused a roster's joins as a whole.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// A stored record is not the JSON it should be (or one cannot be written as JSON).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The newest stored district does not decode.
    #[error(transparent)]
    Package(#[from] pingan_package::PackageError),
    /// The district or the package cannot be written.
    #[error(transparent)]
    Encode(#[from] pingan_package::EncodeError),
    /// The district stored before an import does not decode.
    #[error("the stored district: {0}")]
    StoredDistrict(pingan_package::PackageError),
    /// A category or severity that has no plain name.
    #[error("{0} has no plain name")]
    NoPlainName(serde_json::Value),
    /// A stored history row's town id is out of range.
    #[error(transparent)]
    Range(#[from] std::num::TryFromIntError),
    /// A stored history row's id is out of range.
    #[error("history: id {0} out of range")]
    IdOutOfRange(i64),
    /// Building or decoding in the background stopped.
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
}

/// The package a server hands out.
#[derive(Clone, Debug)]
pub struct Served {
    /// Reference version it was built for.
    pub version: i64,
    /// Its strong ETag (quoted).
    pub etag: String,
    /// The district's name.
    pub name: String,
    /// The bytes (shared by every response).
    pub bytes: Bytes,
}

/// What the server holds now.
#[derive(Clone, Debug, Default)]
pub struct Current {
    /// `district_version` from `meta` (bumped by every import).
    pub version: i64,
    /// Version of the newest stored district (0: none).
    pub district_version: i64,
    /// The district commands are checked against.
    pub district: Option<Arc<District>>,
    /// The newest package.
    pub package: Option<Arc<Served>>,
}

/// The current reference data, shared by the HTTP handlers (through [`Shared::current`]) and the writer (through
/// the watch channel [`Shared::new`] returns).
pub struct Shared {
    current: RwLock<Arc<Current>>,
    district: tokio::sync::watch::Sender<Option<Arc<District>>>,
}

impl Shared {
    /// Hold `current`; returns the receiver the writer checks commands with.
    pub fn new(current: Current) -> (Arc<Shared>, DistrictRx) {
        let (tx, rx) = tokio::sync::watch::channel(current.district.clone());
        (Arc::new(Shared { current: RwLock::new(Arc::new(current)), district: tx }), rx)
    }

    /// What the server holds now.
    pub fn current(&self) -> Arc<Current> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Put `current` in place (the writer checks the next batch against its district).
    pub fn set(&self, current: Current) {
        self.district.send_replace(current.district.clone());
        match self.current.write() {
            Ok(mut c) => *c = Arc::new(current),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(current),
        }
    }
}

/// The reference version in `meta`.
pub async fn version(db: &Db) -> Result<i64, RefError> {
    let v = db.meta("district_version").await?.unwrap_or_default();
    Ok(v.parse().unwrap_or(0))
}

/// Load the newest district and package. The district is decoded again only when a newer one was stored than in
/// `previous`.
pub async fn load_current(db: &Db, previous: Option<&Current>) -> Result<Current, RefError> {
    let version = version(db).await?;
    let district_version: i64 =
        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM districts").fetch_one(&db.pool).await?.try_get(0)?;
    let district = match previous {
        Some(p) if p.district_version == district_version => p.district.clone(),
        _ if district_version == 0 => None,
        _ => {
            let body: Vec<u8> = sqlx::query("SELECT body FROM districts WHERE version = $1")
                .bind(district_version)
                .fetch_one(&db.pool)
                .await?
                .try_get(0)?;
            let d = tokio::task::spawn_blocking(move || pingan_package::decode_district(&body)).await??;
            Some(Arc::new(d))
        }
    };
    let row = sqlx::query("SELECT version, etag, body FROM packages ORDER BY version DESC LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    let package = match (row, previous) {
        (Some(r), Some(p)) if p.package.as_ref().is_some_and(|s| Some(s.version) == r.try_get(0).ok()) => {
            p.package.clone()
        }
        (Some(r), _) => {
            let body: Vec<u8> = r.try_get(2)?;
            let name = district.as_ref().map(|d| d.name.clone()).unwrap_or_default();
            Some(Arc::new(Served { version: r.try_get(0)?, etag: r.try_get(1)?, name, bytes: Bytes::from(body) }))
        }
        (None, _) => None,
    };
    Ok(Current { version, district_version, district, package })
}

/// Poll the reference version every [`POLL`]; on a change load the new district and package and put them in place,
/// and wake the live streams (a roster joined by another process is in the log: streams read it from there).
pub async fn watch(db: Db, shared: Arc<Shared>, hub: Arc<crate::hub::Hub>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = shared.current();
        match version(&db).await {
            Ok(v) if v != now.version => match load_current(&db, Some(&now)).await {
                Ok(next) => {
                    tracing::info!(
                        "reference version {} → {}: district {:?}, package {} bytes",
                        now.version,
                        next.version,
                        next.district.as_ref().map(|d| d.name.as_str()).unwrap_or("none"),
                        next.package.as_ref().map_or(0, |p| p.bytes.len())
                    );
                    shared.set(next);
                    hub.wake(0);
                }
                Err(e) => tracing::warn!("could not load reference version {v}: {}", Chain(&e)),
            },
            Ok(_) => {}
            Err(e) => tracing::warn!("could not read the reference version: {}", Chain(&e)),
        }
    }
}

/// What to store in one import.
#[derive(Debug, Default)]
pub struct Data {
    /// A new district (replaces the current one).
    pub district: Option<District>,
    /// Workers to join, each with the line (or place) it came from; ids are given in the transaction.
    pub workers: Vec<(usize, GridWorker)>,
    /// Past events to add.
    pub history: Vec<EventRecord>,
    /// Their case numbers and titles (empty: none; else one per record).
    pub history_text: HistoryText,
    /// Store a district although stored workers, events or history do not fit it (misfitting history is deleted;
    /// workers and events stay in the log, and clients skip what does not fit).
    pub force: bool,
}

/// What one import stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// The new reference version.
    pub version: i64,
    /// The district's name.
    pub name: String,
    /// Workers joined.
    pub workers: usize,
    /// History records added.
    pub history: usize,
    /// History records deleted because they no longer fit (with `force`).
    pub history_dropped: usize,
    /// The package's size, bytes.
    pub package_bytes: usize,
    /// Its ETag.
    pub etag: String,
    /// Time to build and encode the package.
    pub package_ms: u128,
    /// Time for the whole transaction.
    pub total_ms: u128,
}

async fn import_user(db: &Db) -> Result<User, DbError> {
    match db.user(IMPORT_USER).await? {
        Some(u) => Ok(u),
        None => match db.add_user(IMPORT_USER, Role::Admin).await {
            Ok(u) => Ok(u),
            // Another process created it meanwhile.
            Err(e) => db.user(IMPORT_USER).await?.ok_or(e),
        },
    }
}

/// Store `data` in one transaction, bump the reference version and store the new package. Nothing is stored when
/// any part is refused.
pub async fn store(db: &Db, data: Data) -> Result<Stored, RefError> {
    let started = Instant::now();
    let user = import_user(db).await?;
    let mut tx = db.pool.begin().await?;
    writer::lock(&mut tx, db.backend).await?;
    let version: i64 = sqlx::query("SELECT value FROM meta WHERE name = 'district_version'")
        .fetch_optional(&mut *tx)
        .await?
        .and_then(|r| r.try_get::<String, _>(0).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let version = version + 1;
    let now = chrono::Utc::now();
    let mut history_dropped = 0;
    let district = match data.district {
        Some(d) => {
            history_dropped = fit_new_district(&mut tx, &d, data.force).await?;
            let body = pingan_package::encode_district(&d)?;
            sqlx::query("INSERT INTO districts (version, name, code, created_at, body) VALUES ($1, $2, $3, $4, $5)")
                .bind(version)
                .bind(&d.name)
                .bind(d.code.to_string())
                .bind(now.to_rfc3339())
                .bind(body)
                .execute(&mut *tx)
                .await?;
            d
        }
        None => {
            let row = sqlx::query("SELECT body FROM districts ORDER BY version DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(RefError::NoDistrict)?;
            let body: Vec<u8> = row.try_get(0)?;
            pingan_package::decode_district(&body).map_err(RefError::StoredDistrict)?
        }
    };
    let workers = data.workers.len();
    if workers > 0 {
        join_workers(&mut tx, db.backend, &district, &user, version, data.workers).await?;
    }
    insert_history(&mut tx, &district, &data.history, &data.history_text).await?;
    sqlx::query("UPDATE meta SET value = $1 WHERE name = 'district_version'")
        .bind(version.to_string())
        .execute(&mut *tx)
        .await?;
    // The package: the district, every worker as stored now, the whole history.
    let roster: Vec<GridWorker> = sqlx::query("SELECT body FROM workers ORDER BY id")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok(serde_json::from_str(r.try_get::<&str, _>(0)?)?))
        .collect::<Result<_, RefError>>()?;
    let (history, history_text) = read_history(&mut tx).await?;
    let package_started = Instant::now();
    let name = district.name.clone();
    let (bytes, etag, left_out) = tokio::task::spawn_blocking(move || {
        // A package holds only workers that fit its district (ids dense): after a forced district import the
        // workers that no longer fit stay in the log but not in the package, as clients skip them anyway.
        let mut fitting = pingan_core::Situation { events: Vec::new(), workers: roster, task_books: Vec::new() };
        let left_out = validate::retain_fitting(&mut fitting, &district);
        let mut p = pingan_package::Package::new(version as u64, now, district, fitting.workers, history)
            .with_history_text(history_text);
        p.meta.source = "pingan-sync".into();
        let bytes = pingan_package::encode(&p)?;
        let etag = pingan_package::etag(&bytes);
        Ok::<_, pingan_package::EncodeError>((bytes, etag, left_out))
    })
    .await??;
    if !left_out.is_empty() {
        tracing::warn!(
            "package {version}: {} stored worker record(s) left out, as they do not fit the district (first: {})",
            left_out.len(),
            left_out[0]
        );
    }
    let package_ms = package_started.elapsed().as_millis();
    let package_bytes = bytes.len();
    sqlx::query("INSERT INTO packages (version, etag, created_at, body) VALUES ($1, $2, $3, $4)")
        .bind(version)
        .bind(&etag)
        .bind(now.to_rfc3339())
        .bind(bytes)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM packages WHERE version <= $1").bind(version - KEEP_PACKAGES).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Stored {
        version,
        name,
        workers,
        history: data.history.len(),
        history_dropped,
        package_bytes,
        etag,
        package_ms,
        total_ms: started.elapsed().as_millis(),
    })
}

/// Whether the stored workers, events and history fit `district`. Refuses (without `force`) when any does not;
/// with `force` deletes the history that does not fit and returns how many rows.
async fn fit_new_district(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    district: &District,
    force: bool,
) -> Result<usize, RefError> {
    let mut misfits = Vec::new();
    let (mut bad_workers, mut bad_events) = (0usize, 0usize);
    for r in sqlx::query("SELECT body FROM workers ORDER BY id").fetch_all(&mut **tx).await? {
        let w: GridWorker = serde_json::from_str(r.try_get::<&str, _>(0)?)?;
        if let Err(e) = validate::check_worker(&w, district) {
            bad_workers += 1;
            if misfits.len() < 5 {
                misfits.push(e);
            }
        }
    }
    for r in sqlx::query("SELECT body FROM events WHERE state <> 'closed'").fetch_all(&mut **tx).await? {
        let e: pingan_core::Event = serde_json::from_str(r.try_get::<&str, _>(0)?)?;
        if let Err(err) = validate::check_event(&e, district) {
            bad_events += 1;
            if misfits.len() < 5 {
                misfits.push(err);
            }
        }
    }
    let rows = sqlx::query("SELECT id, town, community, grid, building FROM history").fetch_all(&mut **tx).await?;
    let mut bad_history = Vec::new();
    for r in &rows {
        let (town, community, grid, building): (i64, i64, i64, Option<i64>) =
            (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
        if !history_fits(district, town, community, grid, building) {
            bad_history.push(r.try_get::<i64, _>(0)?);
        }
    }
    if bad_workers + bad_events + bad_history.len() == 0 {
        return Ok(0);
    }
    if !force {
        return Err(RefError::Conflict(format!(
            "the new district does not fit what is stored: {bad_workers} worker(s), {bad_events} open event(s) and \
             {} history record(s) name grids, buildings or places it lacks (e.g. {}). Nothing was stored. Import the \
             matching district, or pass --force to store it anyway (history that does not fit is deleted; workers \
             and events stay, and clients skip what does not fit)",
            bad_history.len(),
            misfits.first().map_or_else(|| "history rows".to_string(), ToString::to_string)
        )));
    }
    for chunk in bad_history.chunks(256) {
        let sql = format!("DELETE FROM history WHERE id IN ({})", crate::db::placeholders(1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(bad_history.len())
}

fn history_fits(d: &District, town: i64, community: i64, grid: i64, building: Option<i64>) -> bool {
    let Some(g) = usize::try_from(grid).ok().and_then(|i| d.grids.get(i)) else { return false };
    g.town.0 as i64 == town
        && g.community.0 as i64 == community
        && building
            .is_none_or(|b| usize::try_from(b).ok().and_then(|i| d.buildings.get(i)).is_some_and(|b| b.grid == g.id))
}

/// Join `workers` through the writer's path (one `WorkerJoin` each, ids after the highest stored one). Refuses all
/// when one is refused or when a worker of the same name already serves the same home grid.
async fn join_workers(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    district: &District,
    user: &User,
    version: i64,
    workers: Vec<(usize, GridWorker)>,
) -> Result<(), RefError> {
    let mut existing = std::collections::HashSet::new();
    for r in sqlx::query("SELECT body FROM workers").fetch_all(&mut **tx).await? {
        let w: GridWorker = serde_json::from_str(r.try_get::<&str, _>(0)?)?;
        existing.insert((w.name.clone(), w.grids.first().copied()));
    }
    let mut problems = Vec::new();
    for (line, w) in &workers {
        if existing.contains(&(w.name.clone(), w.grids.first().copied())) {
            let grid = w.grids.first().and_then(|g| district.grids.get(g.index())).map_or("?", |g| g.name.as_str());
            problems.push(format!("line {line}: {} already serves grid {grid} on this server", w.name));
        }
    }
    if !problems.is_empty() {
        return Err(RefError::Rejected(problems));
    }
    let next: i64 =
        sqlx::query("SELECT COALESCE(MAX(id), -1) + 1 FROM workers").fetch_one(&mut **tx).await?.try_get(0)?;
    let now = chrono::Utc::now();
    let commands: Vec<ClientCommand> = workers
        .iter()
        .enumerate()
        .map(|(i, (_, w))| {
            let mut w = w.clone();
            w.id = WorkerId((next + i as i64) as u32);
            if matches!(w.status, WorkerStatus::Handling(_)) {
                w.status = WorkerStatus::Patrolling;
            }
            ClientCommand { key: format!("import-{version}-{i}"), at: now, body: CommandBody::WorkerJoin { worker: w } }
        })
        .collect();
    for (chunk_no, chunk) in commands.chunks(writer::MAX_BATCH).enumerate() {
        let (results, _) = writer::apply_in_tx(tx, backend, district, &ROUTING, &[(user, chunk)]).await?;
        for r in results {
            let r = r?;
            for (i, res) in r.iter().enumerate() {
                if let Outcome::Rejected { reason } = &res.outcome {
                    let line = workers[chunk_no * writer::MAX_BATCH + i].0;
                    problems.push(format!("line {line}: {reason}"));
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(RefError::Rejected(problems)) }
}

fn name_of<T: serde::Serialize>(v: &T) -> Result<String, RefError> {
    match serde_json::to_value(v)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(RefError::NoPlainName(other)),
    }
}

async fn insert_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    district: &District,
    history: &[EventRecord],
    text: &HistoryText,
) -> Result<(), RefError> {
    if history.is_empty() {
        return Ok(());
    }
    text.check(history.len()).map_err(|e| RefError::Rejected(vec![format!("history titles: {e}")]))?;
    if let Some((i, _)) = history.iter().enumerate().find(|(_, r)| {
        !history_fits(district, r.town.0 as i64, r.community.0 as i64, r.grid.0 as i64, r.building.map(|b| b.0 as i64))
    }) {
        return Err(RefError::Rejected(vec![format!("record {}: its grid or building is not in the district", i + 1)]));
    }
    let next: i64 =
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM history").fetch_one(&mut **tx).await?.try_get(0)?;
    for (c, chunk) in history.chunks(HISTORY_ROWS_PER_STATEMENT).enumerate() {
        let sql = format!(
            "INSERT INTO history (id, at, category, severity, town, community, grid, building, number, title) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("({})", crate::db::placeholders(i * 10 + 1, 10)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut q = sqlx::query(&sql);
        for (i, r) in chunk.iter().enumerate() {
            let k = c * HISTORY_ROWS_PER_STATEMENT + i;
            let (number, title) = text.get(k).unwrap_or_default();
            q = q
                .bind(next + k as i64)
                .bind(r.at)
                .bind(name_of(&r.category)?)
                .bind(name_of(&r.severity)?)
                .bind(r.town.0 as i64)
                .bind(r.community.0 as i64)
                .bind(r.grid.0 as i64)
                .bind(r.building.map(|b| b.0 as i64))
                .bind(number.to_string())
                .bind(title.to_string());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Every stored history record, oldest first, with its number and title.
async fn read_history(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(Vec<EventRecord>, HistoryText), RefError> {
    let rows = sqlx::query(
        "SELECT at, category, severity, town, community, grid, building, number, title FROM history ORDER BY at, id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut text = HistoryText::with_capacity(rows.len(), 40);
    let mut categories = std::collections::HashMap::new();
    let mut severities = std::collections::HashMap::new();
    for r in rows {
        let cat: String = r.try_get(1)?;
        let sev: String = r.try_get(2)?;
        let category = match categories.get(&cat) {
            Some(c) => *c,
            None => {
                let c = serde_json::from_value(serde_json::Value::String(cat.clone()))?;
                categories.insert(cat, c);
                c
            }
        };
        let severity = match severities.get(&sev) {
            Some(s) => *s,
            None => {
                let s = serde_json::from_value(serde_json::Value::String(sev.clone()))?;
                severities.insert(sev, s);
                s
            }
        };
        let id32 = |v: i64| u32::try_from(v).map_err(|_| RefError::IdOutOfRange(v));
        out.push(EventRecord {
            at: r.try_get(0)?,
            category,
            severity,
            town: TownId(u16::try_from(r.try_get::<i64, _>(3)?)?),
            community: CommunityId(id32(r.try_get(4)?)?),
            grid: GridId(id32(r.try_get(5)?)?),
            building: r.try_get::<Option<i64>, _>(6)?.map(id32).transpose()?.map(BuildingId),
        });
        text.push(r.try_get::<&str, _>(7)?, r.try_get::<&str, _>(8)?);
    }
    Ok((out, text))
}

/// How to read a district file.
#[derive(Clone, Debug)]
pub struct DistrictOptions {
    /// The datum of its coordinates.
    pub crs: Crs,
    /// What its features are.
    pub as_: ImportAs,
    /// The district's name when the file has no district outline with one.
    pub name: String,
    /// Store it although some features have problems (they are left out).
    pub accept_problems: bool,
    /// Store it although stored workers, events or history do not fit it.
    pub force: bool,
}

/// What a district import did.
#[derive(Clone, Debug)]
pub struct DistrictReport {
    /// Features left out, as the desktop words them (`feature N: reason`).
    pub problems: Vec<String>,
    /// Warnings about the whole file.
    pub warnings: Vec<String>,
    /// What was filled in or left out while building the district.
    pub notes: Vec<String>,
    /// Towns, communities, grids, buildings.
    pub units: [usize; 4],
    /// What was stored.
    pub stored: Stored,
    /// Time to parse and build the district.
    pub build_ms: u128,
}

/// Read a GeoJSON file's bytes as the desktop does (`pingan_core::import`, then
/// `pingan_core::scenario::district_from_import`) and store the district. Refused, with nothing stored, when a
/// feature has a problem (unless `accept_problems`), when nothing can be built, or when what is stored no longer fits
/// (unless `force`).
pub async fn import_district(db: &Db, bytes: Vec<u8>, opts: DistrictOptions) -> Result<DistrictReport, RefError> {
    let started = Instant::now();
    let (crs, as_, name) = (opts.crs, opts.as_, opts.name.clone());
    let built = tokio::task::spawn_blocking(move || -> Result<_, RefError> {
        pingan_core::import::check_size(bytes.len() as u64).map_err(|e| RefError::Rejected(vec![e.to_string()]))?;
        let imported =
            pingan_core::import::parse(&bytes, crs, as_).map_err(|e| RefError::Rejected(vec![e.to_string()]))?;
        let problems: Vec<String> = imported.problems.iter().map(|p| p.to_string()).collect();
        let built = pingan_core::scenario::district_from_import(&name, &imported);
        Ok((problems, imported.warnings, imported.features, built))
    })
    .await??;
    let (problems, warnings, features, built) = built;
    if !problems.is_empty() && !opts.accept_problems {
        return Err(RefError::Rejected(problems));
    }
    let Some(built) = built else {
        let mut p = problems;
        p.push(format!("none of its {features} features is a unit or building polygon, so it cannot be a district"));
        return Err(RefError::Rejected(p));
    };
    let d = built.district;
    let units = [d.towns.len(), d.communities.len(), d.grids.len(), d.buildings.len()];
    let build_ms = started.elapsed().as_millis();
    let stored = store(db, Data { district: Some(d), force: opts.force, ..Data::default() }).await?;
    Ok(DistrictReport { problems, warnings, notes: built.left_out, units, stored, build_ms })
}

/// The current district from the database (for checking a roster or a history before storing it).
pub async fn stored_district(db: &Db) -> Result<Arc<District>, RefError> {
    load_current(db, None).await?.district.ok_or(RefError::NoDistrict)
}

/// Read a roster CSV ([`files::parse_roster`]) and join its workers: each starts off duty at a point inside their
/// home grid ([`validate::point_in_grid`]) until they report.
pub async fn import_roster(db: &Db, text: &str) -> Result<Stored, RefError> {
    let district = stored_district(db).await?;
    let rows = files::parse_roster(text, &district).map_err(RefError::Rejected)?;
    let now = chrono::Utc::now();
    let workers = rows
        .into_iter()
        .map(|r| {
            let grid = &district.grids[r.grid.index()];
            let w = GridWorker {
                id: WorkerId(0),
                name: r.name,
                kind: r.kind,
                phone: r.phone,
                grids: vec![r.grid],
                status: WorkerStatus::OffDuty,
                position: validate::point_in_grid(grid),
                seen_at: now,
            };
            (r.line, w)
        })
        .collect();
    store(db, Data { workers, ..Data::default() }).await
}

/// Read a history (CSV, or JSON Lines when `jsonl`; [`files::parse_history`]) and add it.
pub async fn import_history(db: &Db, text: &str, jsonl: bool) -> Result<Stored, RefError> {
    let district = stored_district(db).await?;
    let (history, history_text) =
        files::parse_history(text, jsonl, &district, chrono::Utc::now()).map_err(RefError::Rejected)?;
    store(db, Data { history, history_text, ..Data::default() }).await
}

/// Install the generated demo as one data set, through [`store`]: the district of `seed` (`small`: the small one),
/// the simulator's workers, and the history the desktop generates for it (`per_day` = `events_per_hour` × 24, ending
/// where the simulator's live window starts), so the five-colour figures are the same as the desktop's own demo.
pub async fn install_demo(db: &Db, seed: u64, small: bool, events_per_hour: f64) -> Result<Stored, RefError> {
    let now = chrono::Utc::now();
    let (district, workers, history) = tokio::task::spawn_blocking(move || {
        let district = crate::district(seed, small);
        let sim = pingan_demo::SimConfig { events_per_hour, ..pingan_demo::SimConfig::default() };
        let history_end = now - chrono::Duration::seconds((sim.history_hours * 3600.0) as i64);
        let history = pingan_demo::generate_history(
            &district,
            &pingan_demo::HistorySpec { seed, per_day: events_per_hour * 24.0, ..Default::default() },
            history_end,
        );
        let (situation, _) = pingan_demo::Simulator::start(&district, seed, sim, now);
        // Last seen no later than the live window's start: the live demo (a simulator started a little later)
        // then never sends a position older than the stored one.
        let workers: Vec<(usize, GridWorker)> = situation
            .workers
            .iter()
            .map(|w| {
                let mut w = joining(w);
                w.seen_at = w.seen_at.min(history_end);
                (w.id.index() + 1, w)
            })
            .collect();
        (district, workers, history)
    })
    .await?;
    // A database from before the server held districts may have the demo's workers already: keep them.
    let stored_workers: i64 = sqlx::query("SELECT COUNT(*) FROM workers").fetch_one(&db.pool).await?.try_get(0)?;
    let workers = if stored_workers > 0 { Vec::new() } else { workers };
    let history_text = pingan_demo::history_text(&history, seed);
    store(db, Data { district: Some(district), workers, history, history_text, force: false }).await
}

/// A worker as they join: the events they handle elsewhere (in the simulator) are not on the server yet, so they join
/// patrolling (their next position names the event by its server id).
pub fn joining(w: &GridWorker) -> GridWorker {
    let mut w = w.clone();
    if matches!(w.status, WorkerStatus::Handling(_)) {
        w.status = WorkerStatus::Patrolling;
    }
    w
}
