//! `pingan-sync`: the thin backend the command-room clients talk to.
//!
//! - [`db`]: SQLite or PostgreSQL through one SQL layer (sqlx `Any`), same migrations.
//! - [`writer`]: the single writer — batches commands, checks each with `pingan-core`, appends the change log.
//! - [`hub`]: live fan-out of committed changes (and LISTEN/NOTIFY between instances on PostgreSQL).
//! - [`conn`]: the accept loop: connection cap, header/body/keep-alive/write timeouts.
//! - [`http`]: the API (axum): auth, roles, limits, snapshot, paged changes, Server-Sent Events, commands.
//! - [`demo`]: `--demo`, a live simulated district streamed through the same path as real clients.
//! - [`reference`]: the district, roster and history the server holds, their imports, and the district package.
//! - [`units`]: the room (district, town or community) each user sits in, resolved against the district.
//! - [`sla`]: the SLA sweeper — overdue events escalated one level up, once per breach across instances.
//! - [`patrol`]: the patrol sweeper — task books issued by the server for red units, once per grid and day.

pub mod conn;
pub mod db;
pub mod demo;
pub mod http;
pub mod hub;
pub mod patrol;
pub mod reference;
pub mod sensors;
pub mod sla;
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
        }
    }
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
pub async fn start(config: ServeConfig) -> anyhow::Result<Running> {
    let db = db::Db::open(&config.db).await?;
    if (config.demo_district || config.demo.is_some()) && reference::load_current(&db, None).await?.district.is_none() {
        let per_hour = config.demo.map_or(demo::DemoConfig::default().events_per_hour, |d| d.events_per_hour);
        let stored = reference::install_demo(&db, config.seed, config.small, per_hour)
            .await
            .map_err(|e| anyhow::anyhow!("installing the demo district: {e}"))?;
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
        None => tracing::warn!("{}", writer::NO_DISTRICT),
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
    state.sensors = Arc::new(sensors::Sensors::load(&db, chrono::Utc::now()).await?);
    if let Some(demo) = config.demo {
        let Some(district) = district else { anyhow::bail!("--demo needs a district: {}", writer::NO_DISTRICT) };
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
                tracing::error!("demo stopped: {e:#}");
                status.set(format!("stopped: {e:#}"));
            }
        });
    }
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = http::router(state);
    let task = tokio::spawn(conn::serve(listener, app, config.limits.conn));
    Ok(Running { addr, db, task })
}
