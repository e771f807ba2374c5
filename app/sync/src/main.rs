//! `pingan-sync`: serve (optionally with the live demo), and manage users and tokens.

use clap::{Parser, Subcommand};
use pingan_core::sync::Role;
use pingan_sync::{ServeConfig, db::Db, demo::DemoConfig, http::Limits};
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
        Some(Command::User(UserCommand::Add { name, role })) => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role {role:?}: use operator, supervisor, grid_worker, sensor_gateway or admin")
            })?;
            let db = Db::open(&cli.db).await?;
            let user = db.add_user(&name, role).await?;
            println!("{}", db.new_token(&user).await?);
            eprintln!("created {} ({}); the line above is their token: it is shown only once", user.name, role.name());
        }
        Some(Command::User(UserCommand::List)) => {
            for u in Db::open(&cli.db).await?.users().await? {
                println!("{}\t{}\t{}", u.id, u.name, u.role.name());
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
