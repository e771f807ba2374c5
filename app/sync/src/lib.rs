//! `pingan-sync`: the thin backend the command-room clients talk to.
//!
//! - [`db`]: SQLite or PostgreSQL through one SQL layer (sqlx `Any`), same migrations.
//! - [`writer`]: the single writer — batches commands, checks each with `pingan-core`, appends the change log.
//! - [`hub`]: live fan-out of committed changes (and LISTEN/NOTIFY between instances on PostgreSQL).
//! - [`conn`]: the accept loop: connection cap, header/body/keep-alive/write timeouts.
//! - [`tls`]: HTTPS (`--tls-cert`/`--tls-key`, or a kept self-signed `--tls-self-signed DIR`), and plain HTTP kept to
//!   loopback unless `--insecure-http`.
//! - [`http`]: the API (axum): auth, roles, limits, snapshot, paged changes, Server-Sent Events, commands.
//! - [`demo`]: `--demo`, a live simulated district streamed through the same path as real clients.
//! - [`reference`]: the district, roster and history the server holds, their imports, and the district package.
//! - [`units`]: the room (district, town or community) each user sits in, resolved against the district.
//! - [`sla`]: the SLA sweeper — overdue events escalated one level up, once per breach across instances.
//! - [`patrol`]: the patrol sweeper — task books issued by the server for red units, once per grid and day.
//! - [`sensors`]: the sensor registry, the readings gateways post, and the warnings their rules raise.
//! - [`error`]: what the modules share about failing (the answer while no district is held).
//!
//! ## Data flow
//!
//! ```text
//!  field / sensors / operators                          pingan-sync (one or more instances)
//!  POST /v1/commands {key, at, body} ──► http: token → user → role check (403) ──► writer (one task):
//!                                           batch ≤ 4,000 commands ─ one transaction:
//!                                             [PostgreSQL: pg_advisory_xact_lock] head = MAX(seq)
//!                                             earlier answers for the keys (a retry gets the stored outcome)
//!                                             events/workers touched → Actor::may_act / may_report (role, room's
//!                                               unit, lifecycle) → RoutingConfig::intake for reports →
//!                                               pingan_core::sync::act (state machine, level moves)
//!  SLA sweeper (every --sla-every) ──► Escalate as user `sla`, key sla-<event>-<deadline> ──► the same writer
//!                                             INSERT changes (seq = head+1…), applied (key → outcome),
//!                                             UPSERT events / workers (the projection for snapshots)
//!                                             [PostgreSQL: pg_notify('pingan_changes', instance:head)]
//!                                           COMMIT ──► hub.publish ──► every SSE stream
//!  GET /v1/snapshot  ◄── events + workers + seq, read in one transaction
//!  GET /v1/changes?after=N&limit=M ◄── the log, in seq order
//!  GET /v1/stream?after=N  ◄── log pages while behind, then the broadcast; back to the log on any gap
//!
//!  pingan-desktop                                pingan-store::Link (its own thread)
//!  AppState::new ◄── Cache::load (seq, events, workers) — shown at once, before any network
//!  Command::Act ──► event.apply (optimistic) ──► Link::submit ──► outbox row (durable) ──► POST (batches of 500)
//!                                                     applied → row removed; refused → `refused` table + Update::Refused
//!  AppState::tick ◄── Link::poll: Snapshot | Changes | Event | Refused ◄── snapshot / pages / stream
//!                                                     (each page: Cache::apply_checked = projection rows + seq, one transaction)
//!  header_ui ◄── Link::status: online / reconnecting / offline, last sync, outbox length
//! ```
//!
//! Guarantees and where they come from:
//!
//! - **No gap, no duplicate.** The writer hands out seqs under a lock (the single writer task; on PostgreSQL also the
//!   advisory lock, so several instances never interleave), and commits them in order. A client applies change `n+1`
//!   only right after `n`; anything at or below its seq is skipped, anything beyond `n+1` ends the session and the gap
//!   is pulled with `/v1/changes`. The cache stores the projection and the seq in one transaction per page.
//! - **Exactly once.** Every command carries a client-made key (time-ordered: the server's key index grows at its end).
//!   The answer (applied as seq N, or refused with a reason) is stored with the change in the same transaction, so a
//!   retry after a lost response, a killed server or a dropped link gets the first answer, marked `duplicate`.
//! - **Nothing lost offline.** An operator's action is in the cache's `outbox` table before the UI shows it; the link
//!   sends the outbox oldest first whenever it is up. A refused command moves to `refused` and is told to the operator
//!   (status bar), and the event's authoritative record is fetched to replace the optimistic copy.
//! - **Slow and hostile clients cost bounded resources.** `conn` serves each connection with hyper directly (axum's
//!   `serve` has no timeouts): a socket wrapper records reads and blocked writes, a response-body guard counts requests
//!   in flight, and a per-connection watchdog sleeps until the next deadline — no request within `--header-timeout`
//!   (10 s) of connecting or of a head's first byte, `--keep-alive-timeout` (30 s) between requests, no byte accepted by
//!   the socket for `--write-timeout` (30 s) while a response or live stream waits; the commands handler reads the body
//!   within `--body-timeout` (30 s) or answers 408. At `--max-connections` (2,048; lowered to fit the open-file limit,
//!   whose soft value is raised to the hard one at start) the longest-idle connection is closed to make room, and only
//!   when all are busy is the newcomer answered 503. A live stream's memory is bounded: hyper buffers at most 128 KiB
//!   per connection, a stream reads the log 256 changes at a time, the broadcast ring holds 128 messages and a batch over
//!   256 KiB goes out as a wake-up instead of data; a stream that lags the ring is closed and resumes from its seq.
//! - **Nothing stored names what does not exist.** Every command passes `pingan_core::validate::check_command` (text
//!   limits, references into the district, positions, no time further ahead than `pingan_core::time::max_future`) and the writer's state checks
//!   (the event and the assignee exist, a step is not before its event's report, a worker's `Handling` names an event
//!   that exists, dense worker ids, a grid worker acts only as their bound worker on events assigned to them, an operator
//!   or supervisor only by their room's unit). A key reused with another body (the SHA-256 of time and body is stored beside the answer) refuses the
//!   whole request with 409 before any of it applies.
//! - **One escalation per breach.** The sweeper's command for a breach is the same on every instance (key from event and
//!   deadline, time from the event), and keys are looked up under the writer's lock, so the instance that comes second
//!   gets a duplicate answer; an escalation moves the deadline, so the next breach has a new key. Every automatic step is
//!   an ordinary `event_acted` change with its reason and `by: "sla"`.
//! - **A whole city on PostgreSQL.** Run any number of `pingan-sync` instances behind a load balancer, all with the same
//!   `--db postgres://…`. Writes serialise on the advisory lock (one log, one seq order); each instance LISTENs on
//!   `pingan_changes` and, on a NOTIFY from another instance, wakes its streams, which read what they missed from the
//!   log — so a client on instance A sees a command sent to B, in order (tested). Readers scale with instances; the log
//!   is the single point of order. SQLite is for one instance (a street's server, or a laptop).

pub mod answer;
pub mod audit;
pub mod conn;
pub mod db;
pub mod demo;
pub mod enrol;
pub mod error;
pub mod framing;
pub mod guard;
pub mod http;
pub mod hub;
pub mod patrol;
pub mod reference;
pub mod scoped;
pub mod sensors;
pub mod sla;
pub mod stream;
pub mod tls;
pub mod tokens;
pub mod units;
pub mod writer;

use pingan_core::routing::RoutingConfig;
use std::net::SocketAddr;
use std::sync::Arc;

/// How to run a server.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Database path or URL (`postgres://…` for PostgreSQL).
    pub db: String,
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Limits.
    pub limits: http::Limits,
    /// Seed of the demo district installed by `demo_district` (and of the live demo).
    pub seed: u64,
    /// Use the small demo district (tests).
    pub small: bool,
    /// When the database holds no district: install the demo district of `seed`/`small` with its workers and
    /// history, through the same path as the import commands. The CLI sets it only with `--demo` or
    /// `--demo-district`; without it (and without an import) the server starts with no district.
    pub demo_district: bool,
    /// Run the live demo.
    pub demo: Option<demo::DemoConfig>,
    /// With the demo: a well-known token for a supervisor `demo-operator` (for a laptop demo).
    pub demo_token: Option<String>,
    /// Routing rules and deadlines (`--routing FILE`; the shipped `assets/config/routing.toml` by default).
    pub routing: RoutingConfig,
    /// How often the SLA sweeper looks for overdue events (`None`: never — no automatic escalation).
    pub sla_every: Option<std::time::Duration>,
    /// How often the patrol sweeper issues task books for the units that call for them (`None`: never). The first
    /// sweep comes [`patrol::FIRST_AFTER`] after the start, or after one interval when that is shorter.
    pub patrol_every: Option<std::time::Duration>,
    /// The patrol rules (`--patrol FILE`; the shipped `assets/config/patrol.toml` by default).
    pub patrol: pingan_core::patrol::PatrolConfig,
    /// The watch thresholds handed to the desks in `/v1/info` (`--watch FILE`; the shipped
    /// `assets/config/watch.toml` by default).
    pub watch: pingan_core::coverage::WatchConfig,
    /// Serve HTTPS with this configuration (`--tls-cert`/`--tls-key` or `--tls-self-signed`, see [`tls`]); `None`:
    /// plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Keep audit rows this many days (`--audit-days`; `None`: forever). Older ones are pruned at start and daily.
    pub audit_days: Option<u32>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            db: "pingan-sync.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            limits: http::Limits::default(),
            seed: 2026,
            small: false,
            demo_district: true,
            demo: None,
            demo_token: None,
            routing: RoutingConfig::default(),
            sla_every: Some(sla::DEFAULT_EVERY),
            patrol_every: Some(patrol::DEFAULT_EVERY),
            patrol: pingan_core::patrol::PatrolConfig::default(),
            watch: pingan_core::coverage::WatchConfig::default(),
            tls: None,
            audit_days: Some(audit::DEFAULT_DAYS),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened (or a system user read or created).
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The reference data could not be read.
    #[error(transparent)]
    Reference(#[from] reference::RefError),
    /// The demo district could not be installed.
    #[error("installing the demo district: {0}")]
    InstallDemo(reference::RefError),
    /// The SLA sweeper's user is unusable.
    #[error(transparent)]
    Sla(#[from] sla::SlaError),
    /// The patrol sweeper's user is unusable.
    #[error(transparent)]
    Patrol(#[from] patrol::PatrolError),
    /// The sensor registry could not be read.
    #[error(transparent)]
    Sensors(#[from] sensors::SensorsError),
    /// `--demo` without a district.
    #[error("--demo needs a district: {}", error::NO_DISTRICT)]
    DemoWithoutDistrict,
    /// The address could not be bound.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A running server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The database.
    pub db: db::Db,
    /// Serves until the process ends or this is aborted.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The district a seed stands for.
pub fn district(seed: u64, small: bool) -> pingan_core::District {
    let spec =
        if small { pingan_demo::DemoSpec::small(seed) } else { pingan_demo::DemoSpec { seed, ..Default::default() } };
    pingan_demo::generate(&spec)
}

/// Open the database, bind, and start serving (and the demo, when asked).
pub async fn start(config: ServeConfig) -> Result<Running, StartError> {
    let db = db::Db::open(&config.db).await?;
    if let Some(days) = config.audit_days {
        // Pruned once before serving (so the start is the moment it happened), then daily.
        if let Err(e) = audit::prune(&db, days).await {
            tracing::error!("audit: could not prune: {e}");
        }
        tokio::spawn(audit::prune_daily(db.clone(), days));
    }
    if (config.demo_district || config.demo.is_some()) && reference::load_current(&db, None).await?.district.is_none() {
        let per_hour = config.demo.map_or(demo::DemoConfig::default().events_per_hour, |d| d.events_per_hour);
        let stored =
            reference::install_demo(&db, config.seed, config.small, per_hour).await.map_err(StartError::InstallDemo)?;
        tracing::info!(
            "installed the demo district {} (version {}): {} workers, {} history records, package {} bytes built in \
             {} ms, {} ms in all",
            stored.name,
            stored.version,
            stored.workers,
            stored.history,
            stored.package_bytes,
            stored.package_ms,
            stored.total_ms
        );
    }
    let current = reference::load_current(&db, None).await?;
    match &current.district {
        Some(d) => tracing::info!("district {} (reference version {})", d.name, current.version),
        None => tracing::warn!("{}", error::NO_DISTRICT),
    }
    let district = current.district.clone();
    let (shared, district_rx) = reference::Shared::new(current);
    let hub = Arc::new(hub::Hub::new());
    let routing = Arc::new(match config.demo {
        Some(d) if d.scale_deadlines => demo::scaled(&config.routing, d.handling_speedup),
        _ => config.routing.clone(),
    });
    let writer = writer::Writer::spawn(db.clone(), hub.clone(), district_rx, routing.clone());
    if let Some(every) = config.sla_every {
        let user = sla::user(&db).await?;
        tokio::spawn(sla::run(db.clone(), writer.clone(), user, routing.clone(), every));
    }
    if let Some(every) = config.patrol_every {
        let user = patrol::user(&db).await?;
        let first = every.min(patrol::FIRST_AFTER);
        let rules = Arc::new(config.patrol.clone());
        tokio::spawn(patrol::run(db.clone(), writer.clone(), user, shared.clone(), rules, every, first));
    }
    if db.backend == db::Backend::Postgres {
        tokio::spawn(hub::listen_postgres(db.url.clone(), hub.clone()));
    }
    tokio::spawn(reference::watch(db.clone(), shared.clone(), hub.clone()));
    let mut state = http::AppState::new(db.clone(), hub, writer.clone(), config.limits, config.seed, shared.clone());
    state.routing = routing;
    state.watch = config.watch;
    state.sensors = Arc::new(sensors::Sensors::load(&db, chrono::Utc::now()).await?);
    if let Some(demo) = config.demo {
        let Some(district) = district else { return Err(StartError::DemoWithoutDistrict) };
        if let Some(token) = &config.demo_token {
            let user = db.system_user("demo-operator", pingan_core::sync::Role::Supervisor).await?;
            db.add_token(&user, token).await?;
        }
        let status = Arc::new(demo::Status::default());
        state.demo = status.clone();
        let db = db.clone();
        let sensors = state.sensors.clone();
        tokio::spawn(async move {
            let ran = demo::run(db, writer, shared, district, config.seed, demo, status.clone(), sensors).await;
            if let Err(e) = ran {
                let e = error::Chain(&e);
                tracing::error!("demo stopped: {e}");
                status.set(format!("stopped: {e}"));
            }
        });
    }
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = http::router(state);
    let task = tokio::spawn(conn::serve_with(listener, app, config.limits.conn, config.tls.clone()));
    Ok(Running { addr, db, task })
}
