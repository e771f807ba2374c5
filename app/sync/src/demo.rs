//! `pingan-sync --demo`: seeds the demo district's workers and events, then drives the simulator live, sending its
//! reports, lifecycle steps and worker movements through the same writer (and the same checks) as any client.
//!
//! It also registers a demo sensor fleet ([`pingan_demo::sensors`]) and posts its readings — the last 21 hours at
//! once, then as they come — through the same intake as `POST /v1/readings`, so warnings (a silent meter, an alarm, a
//! fire point, a junction's helmet rate, a growing crowd) arrive every few minutes with their evidence. The patrol
//! sweeper issues task books for red units; the simulator is fed the open books and its grid workers carry them out,
//! their reports sent as `ReportCheck` (a problem files its event with the check).
//!
//! The server routes every report at intake and its SLA sweeper escalates what falls late (the simulator's own SLA
//! escalation is off). So that the loop is seen at every level, late items included: the deadlines are divided by
//! the simulator's handling speed-up (unless `--routing` is given), and one seeded event in [`STALLED_EVERY`] is left
//! waiting after its first steps — those fall late and go up the chain, community → town → district.

use crate::db::{Db, DbError};
use crate::error::Chain;
use crate::sensors::SensorsError;
use crate::writer::{SubmitError, Writer};
use pingan_core::patrol::TaskBook;
use pingan_core::routing::RoutingConfig;
use pingan_core::sync::{ChangeBody, ClientCommand, CommandBody, CommandResult, Outcome, Role};
use pingan_core::{District, EventId, Situation, Timestamp, WorkerStatus};
use pingan_demo::{SimChange, SimConfig, Simulator};
use sqlx::Row as _;
use std::collections::HashMap;
use std::sync::Arc;

/// A worker as they join: the events they handle in the simulator are not on the server yet, so they join
/// patrolling (their next position names the event by its server id).
pub use crate::reference::joining;

/// How lively the demo is.
#[derive(Clone, Copy, Debug)]
pub struct DemoConfig {
    /// New events per hour.
    pub events_per_hour: f64,
    /// Worker position updates sent per second (workers take turns).
    pub worker_moves_per_sec: f64,
    /// Lifecycle speed-up (process minutes per clock minute), so loops close while you watch.
    pub handling_speedup: f64,
    /// Divide the routing's deadlines by the speed-up (the CLI sets it unless `--routing` is given).
    pub scale_deadlines: bool,
    /// Sensor anomalies (hence warnings) per hour of the demo fleet (0: the fleet reads only ordinary values).
    pub sensor_warnings_per_hour: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            events_per_hour: 24.0,
            worker_moves_per_sec: 50.0,
            handling_speedup: 4.0,
            scale_deadlines: true,
            sensor_warnings_per_hour: 12.0,
        }
    }
}

/// One seeded event in this many is left waiting after its first two steps (accepted, dispatched): it falls late and
/// the SLA sweeper takes it up the chain.
pub const STALLED_EVERY: u64 = 30;

/// Steps of a stalled event that are sent.
const STALLED_STEPS: usize = 2;

fn stalled(sim_id: EventId) -> bool {
    sim_id.0 % STALLED_EVERY == STALLED_EVERY / 2
}

/// `routing` with every deadline divided by `speedup` (the demo's process runs that much faster than the clock).
pub fn scaled(routing: &RoutingConfig, speedup: f64) -> RoutingConfig {
    let mut r = routing.clone();
    if speedup.is_finite() && speedup > 1.0 {
        for hours in r.deadline_hours.values_mut() {
            for h in hours.values_mut() {
                *h /= speedup;
            }
        }
    }
    r
}

/// What the demo simulator is doing (`/v1/info` shows it): `off`, `running`, or `stopped: why`.
#[derive(Debug)]
pub struct Status(std::sync::Mutex<String>);

impl Default for Status {
    fn default() -> Self {
        Self(std::sync::Mutex::new("off".into()))
    }
}

impl Status {
    /// The current state.
    pub fn get(&self) -> String {
        self.0.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Change it.
    pub fn set(&self, what: String) {
        match self.0.lock() {
            Ok(mut s) => *s = what,
            Err(p) => *p.into_inner() = what,
        }
    }
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The users table failed (the demo user).
    #[error(transparent)]
    Db(#[from] DbError),
    /// The database failed.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A stored record is not the JSON it should be.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The simulator's start (or the fleet's) stopped.
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
    /// The writer refused or failed a seeding request.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The demo fleet could not be registered.
    #[error(transparent)]
    Sensors(#[from] SensorsError),
}

/// Run the demo until the process ends, or until another district is imported: the simulator only knows the
/// district (and the workers) it started on, so it stops rather than report events into a district that is not its
/// own.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: Db,
    writer: Writer,
    shared: Arc<crate::reference::Shared>,
    district: Arc<District>,
    seed: u64,
    config: DemoConfig,
    status: Arc<Status>,
    sensors: Arc<crate::sensors::Sensors>,
) -> Result<(), DemoError> {
    let started_on = shared.current().district_version;
    let user = db.system_user("demo", Role::Admin).await?;
    // The server's SLA sweeper escalates overdue events (as user `sla`), not the simulator.
    let sim_config = SimConfig {
        events_per_hour: config.events_per_hour,
        handling_speedup: config.handling_speedup,
        sla_escalation: false,
        ..SimConfig::default()
    };
    let now = chrono::Utc::now();
    let d = district.clone();
    let (situation, sim) = tokio::task::spawn_blocking(move || Simulator::start(&d, seed, sim_config, now)).await?;
    let mut live = Live { situation, sim, ids: HashMap::new(), keys: Keys::new(), next_worker: 0, budget: 0.0 };
    // The workers come with the demo district (installed through the import path); an older database without them
    // gets them here. Events are seeded once, on a log without any.
    let (workers, events) = (count(&db, "workers").await?, count(&db, "events").await?);
    if events == 0 {
        seed_log(&writer, &user, &live.situation, &mut live.ids, &mut live.keys, now, workers == 0).await?;
        tracing::info!("demo: seeded {} events (workers: {workers} stored)", live.situation.events.len());
    } else {
        tracing::info!("demo: the log is not empty; continuing it with new events only");
    }
    {
        let (db, writer, shared, district) = (db.clone(), writer.clone(), shared.clone(), district.clone());
        tokio::spawn(async move {
            let fed = feed_sensors(&db, &writer, &shared, &district, seed, config, &sensors, started_on).await;
            if let Err(e) = fed {
                tracing::warn!("demo: the sensor feed stopped: {}", Chain(&e));
            }
        });
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    status.set("running".into());
    loop {
        tick.tick().await;
        let current = shared.current();
        if current.district_version != started_on {
            let name = current.district.as_ref().map_or("none", |d| d.name.as_str());
            let why =
                format!("stopped: the district changed (version {started_on} → {}, {name})", current.district_version);
            tracing::info!("demo {why}");
            status.set(why);
            return Ok(());
        }
        let now = chrono::Utc::now();
        // The open task books, as the server holds them (its ids): the simulator's workers carry them out.
        match open_books(&db).await {
            Ok(books) => {
                for book in books {
                    live.situation.apply_change(&ChangeBody::TaskBookIssued { book: Box::new(book) });
                }
            }
            Err(e) => tracing::warn!("demo: could not read the open task books: {}", Chain(&e)),
        }
        let (cmds, reported) = live.step(&district, now, config.worker_moves_per_sec);
        if cmds.is_empty() {
            continue;
        }
        match writer.submit(user.clone(), cmds.clone()).await {
            Ok(results) => live.record(&cmds, results, reported),
            Err(e) => tracing::warn!("demo: could not store a step: {e}"),
        }
    }
}

/// Rows in `table`.
async fn count(db: &Db, table: &'static str) -> Result<i64, sqlx::Error> {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db.pool).await?.try_get(0)
}

/// The demo's idempotency keys: `demo-<instance>-<n>`.
struct Keys {
    run_id: String,
    counter: u64,
}

impl Keys {
    fn new() -> Keys {
        Keys { run_id: crate::hub::instance_id().to_string(), counter: 0 }
    }

    fn next(&mut self) -> String {
        self.counter += 1;
        format!("demo-{}-{}", self.run_id, self.counter)
    }
}

/// The live simulation, and what the demo keeps about it from one tick to the next.
struct Live {
    situation: Situation,
    sim: Simulator,
    /// The simulator's event ids → the server's.
    ids: HashMap<EventId, EventId>,
    keys: Keys,
    /// The worker whose position goes out next (workers take turns).
    next_worker: usize,
    /// Position updates owed (`worker_moves_per_sec` a tick).
    budget: f64,
}

impl Live {
    /// Advance the simulator to `now`: the commands it calls for (reports, checks, steps, then worker positions),
    /// and the simulator's event each report (or problem-finding check) files, in the order of the commands.
    fn step(
        &mut self,
        district: &District,
        now: Timestamp,
        moves_per_sec: f64,
    ) -> (Vec<ClientCommand>, Vec<Option<EventId>>) {
        let changes = self.sim.step(district, &mut self.situation, now);
        let mut cmds = Vec::new();
        let mut reported = Vec::new();
        for ch in changes {
            match ch {
                SimChange::Checked { book, check } => {
                    let situation = &self.situation;
                    let Some(result) = situation.task_book(book).and_then(|b| b.checks.get(check)?.result.clone())
                    else {
                        continue;
                    };
                    let event = result.event.and_then(|id| situation.event(id)).cloned();
                    reported.push(result.event);
                    cmds.push(ClientCommand {
                        key: self.keys.next(),
                        at: result.at,
                        body: CommandBody::ReportCheck {
                            book,
                            check: check as u16,
                            outcome: result.outcome,
                            note: result.note.clone(),
                            event: event.map(Box::new),
                        },
                    });
                }
                SimChange::Reported(id) => {
                    if let Some(e) = self.situation.event(id) {
                        reported.push(Some(id));
                        cmds.push(ClientCommand {
                            key: self.keys.next(),
                            at: now,
                            body: CommandBody::Report { event: Box::new(e.clone()) },
                        });
                    }
                }
                SimChange::Transition(id, _) => {
                    // Events reported before a restart are not ours any more: leave them to the operators.
                    let (Some(server_id), Some(e)) = (self.ids.get(&id), self.situation.event(id)) else { continue };
                    if let Some(step) = e.history.last() {
                        cmds.push(ClientCommand {
                            key: self.keys.next(),
                            at: step.at,
                            body: CommandBody::Act { event: *server_id, action: step.action.clone() },
                        });
                    }
                }
            }
        }
        self.moves(moves_per_sec, &mut cmds);
        (cmds, reported)
    }

    /// The worker positions owed this tick, the workers taking turns.
    fn moves(&mut self, moves_per_sec: f64, cmds: &mut Vec<ClientCommand>) {
        self.budget += moves_per_sec;
        let n = self.situation.workers.len();
        while self.budget >= 1.0 && n > 0 {
            self.budget -= 1.0;
            let w = &self.situation.workers[self.next_worker % n];
            self.next_worker += 1;
            // The simulator's event ids are its own: name the server's.
            let status = match w.status {
                WorkerStatus::Handling(e) => {
                    self.ids.get(&e).map_or(WorkerStatus::Patrolling, |s| WorkerStatus::Handling(*s))
                }
                s => s,
            };
            cmds.push(ClientCommand {
                key: self.keys.next(),
                at: w.seen_at,
                body: CommandBody::WorkerPosition { worker: w.id, position: w.position, status },
            });
        }
    }

    /// Learn the server's ids of the events the reports filed; log the refusals.
    fn record(&mut self, cmds: &[ClientCommand], results: Vec<CommandResult>, reported: Vec<Option<EventId>>) {
        let mut r = reported.into_iter();
        for (cmd, res) in cmds.iter().zip(results) {
            match (&cmd.body, res.outcome) {
                (
                    CommandBody::Report { .. } | CommandBody::ReportCheck { .. },
                    Outcome::Applied { event: Some(server), .. },
                ) => {
                    if let Some(Some(sim_id)) = r.next() {
                        self.ids.insert(sim_id, server);
                    }
                }
                (CommandBody::Report { .. } | CommandBody::ReportCheck { .. }, outcome) => {
                    r.next();
                    if let Outcome::Rejected { reason } = outcome {
                        tracing::debug!("demo: {} refused: {reason}", cmd.body.name());
                    }
                }
                (_, Outcome::Rejected { reason }) => {
                    tracing::debug!("demo: {} refused: {reason}", cmd.body.name())
                }
                _ => {}
            }
        }
    }
}

/// First start: every worker (when `join`), then every event as reported followed by its history so far.
async fn seed_log(
    writer: &Writer,
    user: &crate::db::User,
    situation: &Situation,
    ids: &mut HashMap<EventId, EventId>,
    keys: &mut Keys,
    now: Timestamp,
    join: bool,
) -> Result<(), DemoError> {
    let joins: Vec<ClientCommand> = if join {
        situation
            .workers
            .iter()
            .map(|w| ClientCommand { key: keys.next(), at: now, body: CommandBody::WorkerJoin { worker: joining(w) } })
            .collect()
    } else {
        Vec::new()
    };
    for chunk in joins.chunks(1000) {
        writer.submit(user.clone(), chunk.to_vec()).await?;
    }
    for chunk in situation.events.chunks(500) {
        let reports: Vec<ClientCommand> = chunk
            .iter()
            .map(|e| ClientCommand {
                key: keys.next(),
                at: e.reported_at,
                body: CommandBody::Report { event: Box::new(e.clone()) },
            })
            .collect();
        let results = writer.submit(user.clone(), reports).await?;
        let mut steps = Vec::new();
        for (e, r) in chunk.iter().zip(results) {
            if let Outcome::Applied { event: Some(server), .. } = r.outcome {
                ids.insert(e.id, server);
                let keep = if stalled(e.id) { STALLED_STEPS } else { e.history.len() };
                for h in e.history.iter().take(keep) {
                    steps.push(ClientCommand {
                        key: keys.next(),
                        at: h.at,
                        body: CommandBody::Act { event: server, action: h.action.clone() },
                    });
                }
            }
        }
        writer.submit(user.clone(), steps).await?;
    }
    // The stalled ones are not the simulator's any more: it does not send their later steps.
    ids.retain(|sim, _| !stalled(*sim));
    Ok(())
}

/// The open task books the server holds.
async fn open_books(db: &Db) -> Result<Vec<TaskBook>, DemoError> {
    let rows = sqlx::query("SELECT body FROM task_books WHERE state = 'open'").fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let body: String = r.try_get(0)?;
        out.push(serde_json::from_str(&body)?);
    }
    Ok(out)
}

/// Readings are posted in batches of at most this many (the HTTP limit per request).
const READINGS_PER_BATCH: usize = 2_000;

/// What the sensor feed has done so far (for the log).
#[derive(Debug, Default)]
struct Fed {
    readings: usize,
    warnings: usize,
    refused: usize,
}

/// Register the demo fleet, then post its readings through the same intake as `POST /v1/readings`: the last
/// 21 hours (after any reading already stored) at once, then every few seconds what has come since; anomalies from
/// now on. Stops with the demo, when another district is imported.
#[allow(clippy::too_many_arguments)]
async fn feed_sensors(
    db: &Db,
    writer: &Writer,
    shared: &crate::reference::Shared,
    district: &Arc<District>,
    seed: u64,
    config: DemoConfig,
    sensors: &crate::sensors::Sensors,
    started_on: i64,
) -> Result<(), DemoError> {
    let d = district.clone();
    let fleet = tokio::task::spawn_blocking(move || pingan_demo::sensors::fleet(&d, seed)).await?;
    let n = crate::sensors::register(db, &fleet).await?;
    let now = chrono::Utc::now();
    // After the newest stored reading, so that a restarted demo never posts a reading out of order.
    let last: Option<String> = sqlx::query("SELECT MAX(at) FROM readings").fetch_one(&db.pool).await?.try_get(0)?;
    let last = last.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.to_utc());
    let mut start = now - chrono::Duration::hours(21);
    if let Some(last) = last {
        start = start.max(last + chrono::Duration::seconds(1));
    }
    let mut stream = pingan_demo::SensorStream::new(
        fleet,
        seed,
        start,
        now + chrono::Duration::seconds(2),
        config.sensor_warnings_per_hour,
    );
    tracing::info!("demo: {n} sensors registered; readings from {start}");
    let mut fed = Fed::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        if shared.current().district_version != started_on {
            return Ok(());
        }
        let now = chrono::Utc::now();
        let readings = stream.readings(now);
        for batch in readings.chunks(READINGS_PER_BATCH) {
            match sensors.take(db, writer, district, batch, now).await {
                Ok(taken) => {
                    fed.readings += taken.stored;
                    fed.warnings += taken.warnings.iter().filter(|w| w.event.is_some()).count();
                    fed.refused += taken.refused.len();
                    for w in &taken.warnings {
                        tracing::info!(
                            "demo: sensor {} raised {:?} (event {:?})",
                            w.sensor.0,
                            w.rule,
                            w.event.map(|e| e.0)
                        );
                    }
                    for why in &taken.refused {
                        tracing::debug!("demo: a sensor warning was refused: {why}");
                    }
                }
                Err(crate::sensors::Refusal::Bad(why)) => tracing::warn!("demo: readings refused: {why}"),
                Err(crate::sensors::Refusal::Storage(why)) => tracing::warn!("demo: readings not stored: {why}"),
            }
        }
        tracing::debug!("demo: sensor feed so far: {fed:?}");
    }
}
