//! `pingan-sync`: the thin backend the command-room clients talk to.
//!
//! - [`db`]: SQLite or PostgreSQL through one SQL layer (sqlx `Any`), same migrations.
//! - [`writer`]: the single writer — batches commands, checks each with `pingan-core`, appends the change log.
//! - [`hub`]: live fan-out of committed changes (and LISTEN/NOTIFY between instances on PostgreSQL).
//! - [`conn`]: the accept loop: connection cap, header/body/keep-alive/write timeouts.
//! - [`http`]: the API (axum): auth, roles, limits, snapshot, paged changes, Server-Sent Events, commands.
//! - [`demo`]: `--demo`, a live simulated district streamed through the same path as real clients.

pub mod conn;
pub mod db;
pub mod demo;
pub mod http;
pub mod hub;
pub mod writer;

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
    /// Seed of the demo district the server validates against and announces.
    pub seed: u64,
    /// Use the small demo district (tests).
    pub small: bool,
    /// Run the live demo.
    pub demo: Option<demo::DemoConfig>,
    /// With the demo: a well-known token for a supervisor `demo-operator` (for a laptop demo).
    pub demo_token: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            db: "pingan-sync.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            limits: http::Limits::default(),
            seed: 2026,
            small: false,
            demo: None,
            demo_token: None,
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
    let district = Arc::new(district(config.seed, config.small));
    let hub = Arc::new(hub::Hub::new());
    let writer = writer::Writer::spawn(db.clone(), hub.clone(), district.clone());
    if db.backend == db::Backend::Postgres {
        tokio::spawn(hub::listen_postgres(db.url.clone(), hub.clone()));
    }
    if let Some(demo) = config.demo {
        if let Some(token) = &config.demo_token {
            let user = match db.user("demo-operator").await? {
                Some(u) => u,
                None => db.add_user("demo-operator", pingan_core::sync::Role::Supervisor).await?,
            };
            db.add_token(&user, token).await?;
        }
        let (db, writer, district) = (db.clone(), writer.clone(), district.clone());
        tokio::spawn(async move {
            if let Err(e) = demo::run(db, writer, district, config.seed, demo).await {
                tracing::error!("demo stopped: {e:#}");
            }
        });
    }
    let state =
        Arc::new(http::AppState::new(db.clone(), hub, writer, config.limits, config.seed, district.name.clone()));
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = http::router(state);
    let task = tokio::spawn(conn::serve(listener, app, config.limits.conn));
    Ok(Running { addr, db, task })
}
