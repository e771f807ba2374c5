//! `pingan-sync`: serve (optionally with the live demo), and manage users and tokens.

use clap::{Parser, Subcommand};
use pingan_core::WorkerId;
use pingan_core::sync::Role;
use pingan_sync::{ServeConfig, conn::ConnLimits, db::Db, demo::DemoConfig, http::Limits};
use std::io::Write as _;

/// Pingan sync server: change log, live stream, idempotent commands, auth.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Database: a SQLite file path (created on first start) or a postgres:// URL.
    #[arg(long, env = "PINGAN_SYNC_DB", default_value = "pingan-sync.db", global = true)]
    db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: std::net::SocketAddr,
    /// Seed of the demo district (the one the clients show).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Use the small demo district (tests, quick demos).
    #[arg(long)]
    small: bool,
    /// Seed the demo district and stream simulated events and worker movements.
    #[arg(long)]
    demo: bool,
    /// Demo: new events per hour (the desktop's built-in history assumes 24; pass the same to both).
    #[arg(long, default_value_t = 24.0)]
    events_per_hour: f64,
    /// Demo: worker position updates per second.
    #[arg(long, default_value_t = 50.0)]
    worker_moves: f64,
    /// Demo: a well-known token for the supervisor `demo-operator` (only for demos on a laptop).
    #[arg(long)]
    demo_token: Option<String>,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = Limits::default().max_body)]
    max_body: usize,
    /// Most changes per page.
    #[arg(long, default_value_t = Limits::default().max_page)]
    max_page: i64,
    /// Sustained requests per second per token.
    #[arg(long, default_value_t = Limits::default().rate_per_sec)]
    rate: f64,
    /// Burst of requests per token.
    #[arg(long, default_value_t = Limits::default().burst)]
    burst: f64,
    /// Most open connections; at the cap the longest-idle one is closed to make room.
    #[arg(long, default_value_t = ConnLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds allowed for a request head (from its first byte, or from connecting).
    #[arg(long, default_value_t = ConnLimits::default().header_timeout.as_secs_f64())]
    header_timeout: f64,
    /// Seconds allowed for a whole request body.
    #[arg(long, default_value_t = ConnLimits::default().body_timeout.as_secs_f64())]
    body_timeout: f64,
    /// Seconds a keep-alive connection may sit idle between requests.
    #[arg(long, default_value_t = ConnLimits::default().keep_alive_timeout.as_secs_f64())]
    keep_alive_timeout: f64,
    /// Seconds a response or live stream may wait for a client that reads nothing, before the connection is closed.
    #[arg(long, default_value_t = ConnLimits::default().write_timeout.as_secs_f64())]
    write_timeout: f64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user and print a first token for them.
    Add {
        /// Login name.
        name: String,
        /// operator, supervisor, grid_worker, sensor_gateway or admin.
        #[arg(long)]
        role: String,
        /// For a grid_worker (required): the worker id their token acts as.
        #[arg(long)]
        worker: Option<u32>,
    },
    /// Bind a grid_worker user to a worker.
    Bind {
        /// Login name.
        name: String,
        /// The worker id.
        #[arg(long)]
        worker: u32,
    },
    /// List users.
    List,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Print a new token for a user.
    New {
        /// Login name.
        name: String,
    },
    /// Revoke every token of a user.
    Revoke {
        /// Login name.
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::User(UserCommand::Add { name, role, worker })) => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role {role:?}: use operator, supervisor, grid_worker, sensor_gateway or admin")
            })?;
            let db = Db::open(&cli.db).await?;
            let user = db.add_user_bound(&name, role, worker.map(WorkerId)).await?;
            println!("{}", db.new_token(&user).await?);
            eprintln!("created {} ({}); the line above is their token: it is shown only once", user.name, role.name());
        }
        Some(Command::User(UserCommand::Bind { name, worker })) => {
            let db = Db::open(&cli.db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            db.bind_worker(&user, WorkerId(worker)).await?;
            eprintln!("{name} now acts as worker {worker}");
        }
        Some(Command::User(UserCommand::List)) => {
            for u in Db::open(&cli.db).await?.users().await? {
                let worker = u.worker.map_or(String::new(), |w| format!("\tworker {}", w.0));
                println!("{}\t{}\t{}{worker}", u.id, u.name, u.role.name());
            }
        }
        Some(Command::Token(TokenCommand::New { name })) => {
            let db = Db::open(&cli.db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            println!("{}", db.new_token(&user).await?);
        }
        Some(Command::Token(TokenCommand::Revoke { name })) => {
            let db = Db::open(&cli.db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            eprintln!("revoked {} token(s) of {name}", db.revoke_tokens(&user).await?);
        }
        None => {
            let config = ServeConfig {
                db: cli.db,
                listen: cli.listen,
                limits: Limits {
                    max_body: cli.max_body,
                    max_page: cli.max_page,
                    rate_per_sec: cli.rate,
                    burst: cli.burst,
                    conn: ConnLimits {
                        max_connections: cli.max_connections.max(1),
                        header_timeout: secs(cli.header_timeout)?,
                        body_timeout: secs(cli.body_timeout)?,
                        keep_alive_timeout: secs(cli.keep_alive_timeout)?,
                        write_timeout: secs(cli.write_timeout)?,
                    },
                    ..Limits::default()
                },
                seed: cli.seed,
                small: cli.small,
                demo: cli.demo.then_some(DemoConfig {
                    events_per_hour: cli.events_per_hour,
                    worker_moves_per_sec: cli.worker_moves,
                    ..DemoConfig::default()
                }),
                demo_token: cli.demo_token,
            };
            let running = pingan_sync::start(config).await?;
            // Tests and scripts read this line to learn the port.
            println!("pingan-sync listening on http://{}", running.addr);
            std::io::stdout().flush().ok();
            tokio::select! {
                r = running.task => r??,
                _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
            }
        }
    }
    Ok(())
}

/// A timeout given in seconds on the command line.
fn secs(s: f64) -> anyhow::Result<std::time::Duration> {
    if !(0.1..=86_400.0).contains(&s) {
        anyhow::bail!("timeouts are between 0.1 s and one day, got {s}");
    }
    Ok(std::time::Duration::from_secs_f64(s))
}
