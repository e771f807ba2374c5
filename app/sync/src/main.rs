//! `pingan-sync`: serve (optionally with the live demo), and manage users and tokens.

use clap::{Parser, Subcommand};
use pingan_core::WorkerId;
use pingan_core::coverage::WatchConfig;
use pingan_core::import::{Crs, ImportAs};
use pingan_core::routing::RoutingConfig;
use pingan_core::sync::Role;
use pingan_sync::{ServeConfig, conn::ConnLimits, db::Db, demo::DemoConfig, http::Limits, reference, tokens};
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
    /// Install the demo district (when the database holds none) and stream simulated events and worker movements.
    /// Its deadlines are those of --routing, or the shipped ones divided by the demo's speed-up (4).
    #[arg(long)]
    demo: bool,
    /// Install the demo district of --seed/--small with its workers and history when the database holds no district
    /// (without the live simulation).
    #[arg(long)]
    demo_district: bool,
    /// Demo: new events per hour (the desktop's built-in history assumes 24; pass the same to both).
    #[arg(long, default_value_t = 24.0)]
    events_per_hour: f64,
    /// Demo: worker position updates per second.
    #[arg(long, default_value_t = 50.0)]
    worker_moves: f64,
    /// Demo: a well-known token for the supervisor `demo-operator` (only for demos on a laptop).
    #[arg(long)]
    demo_token: Option<String>,
    /// Routing rules and deadlines: a TOML file in the shape of assets/config/routing.toml (default: that file, as
    /// shipped). A file that does not parse or does not make sense stops the start.
    #[arg(long, env = "PINGAN_SYNC_ROUTING")]
    routing: Option<std::path::PathBuf>,
    /// Seconds between two looks of the SLA sweeper for overdue events (fractions allowed; 0: no automatic
    /// escalation).
    #[arg(long, default_value_t = pingan_sync::sla::DEFAULT_EVERY.as_secs_f64())]
    sla_every: f64,
    /// Seconds between two looks of the patrol sweeper, which issues task books (巡查任务书) for the units the
    /// month's five-colour assessment grades red (fractions allowed; 0: no automatic task books). The first look
    /// comes 5 s after the start.
    #[arg(long, default_value_t = pingan_sync::patrol::DEFAULT_EVERY.as_secs_f64())]
    patrol_every: f64,
    /// Patrol rules: a TOML file in the shape of assets/config/patrol.toml (default: that file, as shipped). A file
    /// that does not parse or does not make sense stops the start.
    #[arg(long, env = "PINGAN_SYNC_PATROL")]
    patrol: Option<std::path::PathBuf>,
    /// Watch thresholds handed to the desks (coverage voids, stale positions, 数据中断): a TOML file in the shape of
    /// assets/config/watch.toml (default: that file, as shipped). A file that does not parse or has a value out of
    /// its range stops the start.
    #[arg(long, env = "PINGAN_SYNC_WATCH")]
    watch: Option<std::path::PathBuf>,
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
    /// Unknown tokens a minute from one client address; past that, the address gets 429 for every request until
    /// the minute has room again (guessing).
    #[arg(long, default_value_t = Limits::default().failed_logins)]
    failed_logins: u32,
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
    /// Days the audit trail is kept (older rows are pruned at start and daily; 0: kept forever).
    #[arg(long, default_value_t = pingan_sync::audit::DEFAULT_DAYS)]
    audit_days: u32,
    /// Serve HTTPS with this certificate chain (PEM, leaf first; with --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Serve HTTPS with a self-signed certificate kept in DIR (cert.pem, key.pem; made on the first start for the
    /// listen address, localhost and this machine's name). Its SHA-256 fingerprint is printed at every start: give it
    /// to the desks (`pingan --pin`).
    #[arg(long, value_name = "DIR")]
    tls_self_signed: Option<std::path::PathBuf>,
    /// Serve plain HTTP on an address that is not loopback (refused without it; e.g. behind a TLS proxy). Warned
    /// about in the log.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_self_signed"])]
    insecure_http: bool,
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
    /// The district (GeoJSON import).
    #[command(subcommand)]
    District(DistrictCommand),
    /// The roster of grid workers (CSV import).
    #[command(subcommand)]
    Workers(WorkersCommand),
    /// The event history (CSV or JSON Lines import).
    #[command(subcommand)]
    Events(EventsCommand),
    /// The sensor registry (CSV import).
    #[command(subcommand)]
    Sensors(SensorsCommand),
    /// Print the audit trail (admin commands, logins, bulk reads of personal data), oldest first.
    Audit(pingan_sync::audit::Query),
}

#[derive(Subcommand, Debug)]
enum SensorsCommand {
    /// Register sensors from a CSV (id,kind,address[,elderly_alone]; kinds: water_meter, smoke_detector,
    /// ebike_charger, fire_camera, helmet_counter, crowd_counter). Every bad line is listed; with any, nothing is
    /// stored (exit code 2).
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum DistrictCommand {
    /// Import a GeoJSON file as the district (replacing the current one). Features with problems are listed; with
    /// any, nothing is stored (exit code 2) unless --accept-problems.
    Import {
        /// The GeoJSON file.
        file: std::path::PathBuf,
        /// Datum of its coordinates: wgs84 or gcj02.
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// What its features are: town, community, grid, building or auto.
        #[arg(long = "as", default_value = "auto")]
        as_: String,
        /// The district's name when the file has no district outline naming it (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// Store it although some features have problems (those are left out).
        #[arg(long)]
        accept_problems: bool,
        /// Store it although stored workers, events or history do not fit it (history that does not fit is deleted).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
enum WorkersCommand {
    /// Import a roster CSV (header: name,grid,phone,kind). Every bad row is listed; with any, nothing is stored
    /// (exit code 2).
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum EventsCommand {
    /// Import past events: CSV (header: at,category,severity and grid, or lon,lat, or address) or JSON Lines with
    /// the same keys. Every bad line is listed; with any, nothing is stored (exit code 2).
    Import {
        /// The file (.csv, or .jsonl / .ndjson).
        file: std::path::PathBuf,
        /// csv or jsonl (default: by the file's extension).
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user and print a first token for them (it ends after the role's lifetime: admin 30d, operator and
    /// supervisor 90d, grid_worker 180d, sensor_gateway 365d; see `token new --ttl`).
    Add {
        /// Login name.
        name: String,
        /// operator, supervisor, grid_worker, sensor_gateway or admin.
        #[arg(long)]
        role: String,
        /// For a grid_worker (required): the worker id their token acts as.
        #[arg(long)]
        worker: Option<u32>,
        /// For an operator or supervisor: the room they sit in — a town or community of the stored district, by its
        /// address code or exact name (default: the district's room).
        #[arg(long)]
        unit: Option<String>,
    },
    /// Make a one-time code (good for 24 hours) that enrols a grid worker's phone without typing a token: printed
    /// with the link the phone opens, as a QR code in the terminal and, with --png, as a PNG file.
    Enrol {
        /// Login name (a grid_worker bound to a worker).
        name: String,
        /// The server's address as phones reach it (https://…), put in the link and the QR code.
        #[arg(long, default_value = "https://127.0.0.1:7878")]
        url: String,
        /// Also write the QR code to this PNG file.
        #[arg(long)]
        png: Option<std::path::PathBuf>,
    },
    /// Move an operator or supervisor to another room.
    Unit {
        /// Login name.
        name: String,
        /// A town or community by address code or exact name, or `district`.
        #[arg(long)]
        unit: String,
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
    /// Disable a user: every token of theirs answers 401 "disabled" (within 10 s) until `user enable`.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled user again (their tokens that have not expired work again).
    Enable {
        /// Login name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Print a new token for a user. It ends after --ttl, by default after the role's lifetime: admin 30d,
    /// operator and supervisor 90d, grid_worker 180d, sensor_gateway 365d.
    New {
        /// Login name.
        name: String,
        /// How long it lives: a whole number of days or hours, 1h to 3650d (`90d`, `12h`), or `never` (for a
        /// sensor_gateway only). Default: the role's lifetime.
        #[arg(long)]
        ttl: Option<String>,
    },
    /// List a user's tokens: id (the first 12 hex digits of its hash, never the token), created, last used (to the
    /// minute), expires, state.
    List {
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
    let mut cli = Cli::parse();
    let command = cli.command.take();
    // What the audit records of a command that succeeds (see `pingan_sync::audit::cli_action`).
    let audited = command.as_ref().map(|c| format!("{c:?}"));
    let db = cli.db.clone();
    let done = match command {
        Some(Command::Audit(q)) => {
            let db = Db::open(&cli.db).await?;
            pingan_sync::audit::print(&db, &q, &mut std::io::stdout()).await.map(|_| ()).map_err(Into::into)
        }
        Some(Command::User(c)) => user(&cli.db, c).await,
        Some(Command::Token(c)) => token(&cli.db, c).await,
        Some(Command::District(c)) => district(&cli.db, c).await,
        Some(Command::Workers(c)) => workers(&cli.db, c).await,
        Some(Command::Sensors(c)) => sensors(&cli.db, c).await,
        Some(Command::Events(c)) => events(&cli.db, c).await,
        None => serve(cli).await,
    };
    if done.is_ok()
        && let Some(what) = audited
    {
        pingan_sync::audit::record_cli(&db, &what).await;
    }
    done
}

/// `user add | unit | bind | list | disable | enable`.
async fn user(db: &str, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role, worker, unit } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role {role:?}: use operator, supervisor, grid_worker, sensor_gateway or admin")
            })?;
            let db = Db::open(db).await?;
            let (code, room) = match &unit {
                Some(q) => find_unit(&db, q).await?,
                None => (None, "the district's room".to_string()),
            };
            let user = db.add_user_in(&name, role, worker.map(WorkerId), code.as_ref()).await?;
            println!("{}", tokens::issue(&db, &user, tokens::default_ttl(role)).await?);
            eprintln!(
                "created {} ({}, {room}); the line above is their token: it is shown only once",
                user.name,
                role.name()
            );
        }
        UserCommand::Enrol { name, url, png } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            let code = pingan_sync::enrol::new_code(&db, &user, chrono::Utc::now()).await?;
            let link = pingan_sync::enrol::link(&url, &code.code);
            println!("{}", code.code);
            eprintln!("{}", pingan_sync::enrol::qr_text(&link)?);
            eprintln!("{link}\nenrolment code for {name}: single use, good until {}", code.expires_at.to_rfc3339());
            if let Some(path) = png {
                let bytes = pingan_sync::enrol::qr_png(&link).map_err(|e| anyhow::anyhow!("the QR code: {e}"))?;
                std::fs::write(&path, bytes)?;
                eprintln!("QR code written to {}", path.display());
            }
        }
        UserCommand::Unit { name, unit } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            let (code, room) = find_unit(&db, &unit).await?;
            db.set_unit(&user, code.as_ref()).await?;
            eprintln!("{name} now sits in {room}");
        }
        UserCommand::Bind { name, worker } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            db.bind_worker(&user, WorkerId(worker)).await?;
            eprintln!("{name} now acts as worker {worker}");
        }
        UserCommand::List => {
            for u in Db::open(db).await?.users().await? {
                let worker = u.worker.map_or(String::new(), |w| format!("\tworker {}", w.0));
                let unit = u.unit.as_ref().map_or(String::new(), |c| format!("\tunit {c}"));
                println!("{}\t{}\t{}{worker}{unit}", u.id, u.name, u.role.name());
            }
        }
        UserCommand::Disable { name } => disable(db, &name, true).await?,
        UserCommand::Enable { name } => disable(db, &name, false).await?,
    }
    Ok(())
}

/// `user disable | enable NAME`.
async fn disable(db: &str, name: &str, disable: bool) -> anyhow::Result<()> {
    let db = Db::open(db).await?;
    let user = db.user(name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
    tokens::set_disabled(&db, &user, disable).await?;
    eprintln!("{name} is {}", if disable { "disabled: their tokens are refused" } else { "enabled" });
    Ok(())
}

/// `token new | list | revoke`.
async fn token(db: &str, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::New { name, ttl } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            let ttl = match &ttl {
                Some(t) => tokens::parse_ttl(t, user.role).map_err(anyhow::Error::msg)?,
                None => tokens::default_ttl(user.role),
            };
            println!("{}", tokens::issue(&db, &user, ttl).await?);
        }
        TokenCommand::List { name } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            let now = chrono::Utc::now();
            let disabled = tokens::is_disabled(&db, &user).await?;
            println!("token\tcreated\tlast_used\texpires\tstate");
            for t in tokens::list(&db, &user).await? {
                let ended = t.expires_at.as_deref().and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok());
                let state = if t.revoked {
                    "revoked"
                } else if ended.is_some_and(|e| e <= now) {
                    "expired"
                } else if disabled {
                    "disabled"
                } else {
                    "active"
                };
                let last = t.last_used_at.as_deref().unwrap_or("never");
                let expires = t.expires_at.as_deref().unwrap_or("never");
                println!("{}\t{}\t{last}\t{expires}\t{state}", t.id, t.created_at);
            }
        }
        TokenCommand::Revoke { name } => {
            let db = Db::open(db).await?;
            let user = db.user(&name).await?.ok_or_else(|| anyhow::anyhow!("no user {name:?}"))?;
            eprintln!("revoked {} token(s) of {name}", db.revoke_tokens(&user).await?);
        }
    }
    Ok(())
}

/// `district import FILE`.
async fn district(db: &str, command: DistrictCommand) -> anyhow::Result<()> {
    let DistrictCommand::Import { file, crs, as_, name, accept_problems, force } = command;
    let crs = Crs::parse(&crs).ok_or_else(|| anyhow::anyhow!("unknown --crs {crs:?}: wgs84 or gcj02"))?;
    let as_ = ImportAs::parse(&as_)
        .ok_or_else(|| anyhow::anyhow!("unknown --as {as_:?}: town, community, grid, building or auto"))?;
    let size = std::fs::metadata(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?.len();
    pingan_core::import::check_size(size).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let name = name
        .unwrap_or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "导入".into()));
    let db = Db::open(db).await?;
    let opts = reference::DistrictOptions { crs, as_, name, accept_problems, force };
    match reference::import_district(&db, bytes, opts).await {
        Ok(r) => {
            for p in &r.problems {
                println!("left out: {p}");
            }
            for w in r.warnings.iter().chain(&r.notes) {
                println!("note: {w}");
            }
            let [t, c, g, b] = r.units;
            println!(
                "stored district {} as version {}: {t} towns, {c} communities, {g} grids, {b} buildings; \
                 read in {} ms; package {} bytes (built in {} ms)",
                r.stored.name, r.stored.version, r.build_ms, r.stored.package_bytes, r.stored.package_ms
            );
            if r.stored.history_dropped > 0 {
                println!("deleted {} history records that do not fit it", r.stored.history_dropped);
            }
        }
        Err(e) => refused(&file, e),
    }
    Ok(())
}

/// `workers import FILE`.
async fn workers(db: &str, command: WorkersCommand) -> anyhow::Result<()> {
    let WorkersCommand::Import { file } = command;
    let text = read_text(&file)?;
    let db = Db::open(db).await?;
    match reference::import_roster(&db, &text).await {
        Ok(s) => {
            println!("joined {} workers; reference version {}; package {} bytes", s.workers, s.version, s.package_bytes)
        }
        Err(e) => refused(&file, e),
    }
    Ok(())
}

/// `sensors import FILE`.
async fn sensors(db: &str, command: SensorsCommand) -> anyhow::Result<()> {
    let SensorsCommand::Import { file } = command;
    let text = read_text(&file)?;
    let db = Db::open(db).await?;
    let Some(district) = reference::load_current(&db, None).await?.district else {
        anyhow::bail!("{}", pingan_sync::error::NO_DISTRICT);
    };
    match pingan_sync::sensors::import(&db, &district, &text).await? {
        Ok(n) => println!("registered {n} sensors"),
        Err(problems) => {
            for p in problems.iter().take(reference::files::MAX_LISTED) {
                eprintln!("{}: {p}", file.display());
            }
            eprintln!("{}: {} problem(s); nothing was stored", file.display(), problems.len());
            std::process::exit(2);
        }
    }
    Ok(())
}

/// `events import FILE`.
async fn events(db: &str, command: EventsCommand) -> anyhow::Result<()> {
    let EventsCommand::Import { file, format } = command;
    let jsonl = match format.as_deref() {
        Some("csv") => false,
        Some("jsonl" | "ndjson") => true,
        Some(f) => anyhow::bail!("unknown --format {f:?}: csv or jsonl"),
        None => file.extension().is_some_and(|e| e == "jsonl" || e == "ndjson" || e == "json"),
    };
    let text = read_text(&file)?;
    let db = Db::open(db).await?;
    match reference::import_history(&db, &text, jsonl).await {
        Ok(s) => println!(
            "added {} past events; reference version {}; package {} bytes",
            s.history, s.version, s.package_bytes
        ),
        Err(e) => refused(&file, e),
    }
    Ok(())
}

/// No subcommand: serve until stopped.
async fn serve(cli: Cli) -> anyhow::Result<()> {
    let tls = tls_config(&cli)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let routing = match &cli.routing {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("--routing {}: cannot read it: {e}", file.display()))?;
            RoutingConfig::from_toml(&text).map_err(|e| anyhow::anyhow!("--routing {}: {e}", file.display()))?
        }
        None => RoutingConfig::default(),
    };
    if !(cli.sla_every == 0.0 || (0.001..=86_400.0).contains(&cli.sla_every)) {
        anyhow::bail!("--sla-every is 0 (off) or between 0.001 s and one day, got {}", cli.sla_every);
    }
    if !(cli.patrol_every == 0.0 || (0.001..=86_400.0).contains(&cli.patrol_every)) {
        anyhow::bail!("--patrol-every is 0 (off) or between 0.001 s and one day, got {}", cli.patrol_every);
    }
    let patrol = match &cli.patrol {
        Some(file) => pingan_sync::patrol::load_config(file)?,
        None => pingan_core::patrol::PatrolConfig::default(),
    };
    let watch = match &cli.watch {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("--watch {}: cannot read it: {e}", file.display()))?;
            WatchConfig::from_toml(&text).map_err(|e| anyhow::anyhow!("--watch {}: {e}", file.display()))?
        }
        None => WatchConfig::default(),
    };
    let config = ServeConfig {
        db: cli.db,
        listen: cli.listen,
        limits: Limits {
            max_body: cli.max_body,
            max_page: cli.max_page,
            rate_per_sec: cli.rate,
            burst: cli.burst,
            failed_logins: cli.failed_logins.max(1),
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
        demo_district: cli.demo || cli.demo_district,
        demo: cli.demo.then_some(DemoConfig {
            events_per_hour: cli.events_per_hour,
            worker_moves_per_sec: cli.worker_moves,
            scale_deadlines: cli.routing.is_none(),
            ..DemoConfig::default()
        }),
        demo_token: cli.demo_token,
        routing,
        sla_every: (cli.sla_every > 0.0).then(|| std::time::Duration::from_secs_f64(cli.sla_every)),
        patrol_every: (cli.patrol_every > 0.0).then(|| std::time::Duration::from_secs_f64(cli.patrol_every)),
        patrol,
        watch,
        audit_days: (cli.audit_days > 0).then_some(cli.audit_days),
        tls,
    };
    let running = pingan_sync::start(config).await?;
    // Tests and scripts read this line to learn the port.
    println!("pingan-sync listening on {scheme}://{}", running.addr);
    std::io::stdout().flush().ok();
    tokio::select! {
        r = running.task => r??,
        _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
    }
    Ok(())
}

/// `--tls-cert`/`--tls-key` or `--tls-self-signed`, with the certificate's fingerprint told; without them plain HTTP,
/// on a loopback address only unless `--insecure-http`.
fn tls_config(cli: &Cli) -> anyhow::Result<Option<std::sync::Arc<rustls::ServerConfig>>> {
    use pingan_sync::tls;
    let identity = match (&cli.tls_cert, &cli.tls_key, &cli.tls_self_signed) {
        (Some(cert), Some(key), _) => tls::load(cert, key).map_err(|e| anyhow::anyhow!("--tls-cert/--tls-key: {e}"))?,
        (_, _, Some(dir)) => {
            let made = tls::self_signed(dir, cli.listen).map_err(|e| anyhow::anyhow!("--tls-self-signed: {e}"))?;
            if made.created {
                tracing::info!("made a self-signed certificate in {}", dir.display());
            }
            made
        }
        _ => {
            tls::check_plain(cli.listen, cli.insecure_http).map_err(anyhow::Error::msg)?;
            return Ok(None);
        }
    };
    let fingerprint = identity.fingerprint();
    eprintln!("{}{fingerprint}", tls::FINGERPRINT_LINE);
    tracing::info!("{}{fingerprint}", tls::FINGERPRINT_LINE);
    Ok(Some(tls::server_config(&identity)?))
}

/// Exit code of an import that stored nothing because of its input.
const REFUSED: i32 = 2;

/// Report why an import stored nothing and exit: the input's problems one per line and code 2; a failure with code 1.
fn refused(file: &std::path::Path, e: reference::RefError) -> ! {
    match e {
        reference::RefError::Rejected(problems) => {
            for p in problems.iter().take(reference::files::MAX_LISTED) {
                eprintln!("{}: {p}", file.display());
            }
            if problems.len() > reference::files::MAX_LISTED {
                eprintln!("… and {} more", problems.len() - reference::files::MAX_LISTED);
            }
            eprintln!(
                "{}: {} problem(s); nothing was stored (--accept-problems stores a district without the features \
                 listed)",
                file.display(),
                problems.len()
            );
            std::process::exit(REFUSED)
        }
        e @ (reference::RefError::Conflict(_) | reference::RefError::NoDistrict) => {
            eprintln!("{}: {e}", file.display());
            std::process::exit(REFUSED)
        }
        e => {
            eprintln!("{}: {:#}", file.display(), anyhow::Error::from(e));
            std::process::exit(1)
        }
    }
}

/// The room `query` names in the stored district, and how to say it; exit code 2 when there is none or several.
async fn find_unit(db: &Db, query: &str) -> anyhow::Result<(Option<pingan_core::AddressCode>, String)> {
    let current = reference::load_current(db, None).await?;
    let Some(district) = current.district else {
        eprintln!("--unit {query:?}: {}", pingan_sync::error::NO_DISTRICT);
        std::process::exit(REFUSED)
    };
    match pingan_sync::units::find(&district, query) {
        Ok(None) => Ok((None, format!("the district's room ({})", district.name))),
        Ok(Some(code)) => {
            let name = district
                .towns
                .iter()
                .find(|t| t.code == code)
                .map(|t| format!("the room of town {} ({code})", t.name))
                .or_else(|| {
                    district
                        .communities
                        .iter()
                        .find(|c| c.code == code)
                        .map(|c| format!("the room of community {} ({code})", c.name))
                })
                .unwrap_or_else(|| code.to_string());
            Ok((Some(code), name))
        }
        Err(e) => {
            eprintln!("--unit: {e}");
            std::process::exit(REFUSED)
        }
    }
}

/// A text file for an import, size checked before it is read.
fn read_text(file: &std::path::Path) -> anyhow::Result<String> {
    let size = std::fs::metadata(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?.len();
    if size > reference::files::MAX_FILE {
        anyhow::bail!("{} is {size} bytes; at most {} can be imported", file.display(), reference::files::MAX_FILE);
    }
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("{} is not UTF-8 text: {e}", file.display()))
}

/// A timeout given in seconds on the command line.
fn secs(s: f64) -> anyhow::Result<std::time::Duration> {
    if !(0.1..=86_400.0).contains(&s) {
        anyhow::bail!("timeouts are between 0.1 s and one day, got {s}");
    }
    Ok(std::time::Duration::from_secs_f64(s))
}
