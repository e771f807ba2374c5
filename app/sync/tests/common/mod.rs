//! A real `pingan-sync` process on loopback, on a real database: a SQLite file in a temporary directory, and — when
//! `PINGAN_TEST_POSTGRES` names a PostgreSQL server (CI sets it) — a fresh PostgreSQL database too.

#![allow(dead_code)]

use pingan_core::sync::{ClientCommand, CommandBody, Outcome};
use pingan_core::{Event, EventId, GridWorker, Situation};
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where a test's server keeps its data.
pub struct Target {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// What to pass as `--db`.
    pub db: String,
    _dir: Option<tempfile::TempDir>,
}

/// The databases to run each test against: SQLite always, PostgreSQL when configured.
pub async fn targets() -> Vec<Target> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out =
        vec![Target { name: "sqlite", db: dir.path().join("sync.db").display().to_string(), _dir: Some(dir) }];
    if let Ok(admin) = std::env::var("PINGAN_TEST_POSTGRES") {
        use sqlx::Connection as _;
        let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.expect("PINGAN_TEST_POSTGRES: connect");
        let name = format!("pingan_test_{}", &pingan_store::link::new_key()[20..]);
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        out.push(Target { name: "postgres", db: format!("{base}/{name}"), _dir: None });
    } else if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        // Under CI a suite that cannot reach PostgreSQL fails rather than passing on SQLite alone.
        panic!("PINGAN_TEST_POSTGRES is not set under CI: the PostgreSQL half cannot run (.ci/run sets it)");
    } else {
        // Straight to stderr, past the test harness's capture, so that it shows although the test passes.
        let skipped = "SKIPPED: the PostgreSQL half (PINGAN_TEST_POSTGRES not set); running on SQLite only\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), skipped.as_bytes());
    }
    out
}

/// A running server process.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its port (kept across restarts).
    pub port: u16,
    db: String,
    args: Vec<String>,
}

/// The server binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pingan-sync")
}

impl Server {
    /// Start on a free port with `args` added, installing the small demo district when the database holds none.
    pub fn start(db: &str, args: &[&str]) -> Server {
        let mut all = vec!["--demo-district"];
        all.extend_from_slice(args);
        Self::start_bare(db, &all)
    }

    /// Start on a free port with `args` added and nothing installed: without an import it holds no district.
    pub fn start_bare(db: &str, args: &[&str]) -> Server {
        let mut s = Server {
            child: None,
            url: String::new(),
            port: 0,
            db: db.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        // No automatic escalation unless a test asks for it: the seeded demo events are long overdue, and a sweep
        // in the middle of a test would add changes it does not expect.
        let sla: &[&str] =
            if self.args.iter().any(|a| a.starts_with("--sla-every")) { &[] } else { &["--sla-every", "0"] };
        // Likewise no automatic task books unless asked for: a red unit in the seeded history would get some.
        let patrol: &[&str] =
            if self.args.iter().any(|a| a.starts_with("--patrol-every")) { &[] } else { &["--patrol-every", "0"] };
        let mut child = Command::new(bin())
            .args(["--db", &self.db, "--small", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(sla)
            .args(patrol)
            .args(&self.args)
            .env("RUST_LOG", std::env::var("PINGAN_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pingan-sync");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let url =
            line.trim().strip_prefix("pingan-sync listening on ").unwrap_or_else(|| panic!("odd first line {line:?}"));
        self.url = url.to_string();
        self.port = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        self.child = Some(child);
    }

    /// Kill the process (SIGKILL: no clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// Start again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Create a user with `role` and return their token.
    pub fn user(&self, name: &str, role: &str) -> String {
        user(&self.db, name, role)
    }

    /// Create a grid worker bound to `worker` and return their token.
    pub fn user_bound(&self, name: &str, worker: u32) -> String {
        user_bound(&self.db, name, worker)
    }

    /// An API client with `token`.
    pub fn api(&self, token: &str) -> pingan_store::Api {
        pingan_store::Api::new(&self.url, token).expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `pingan-sync user add NAME --role ROLE`; returns the token.
pub fn user(db: &str, name: &str, role: &str) -> String {
    let out = Command::new(bin()).args(["--db", db, "user", "add", name, "--role", role]).output().expect("user add");
    assert!(out.status.success(), "user add failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_string()
}

/// `pingan-sync user add NAME --role ROLE --unit UNIT`; returns the token.
pub fn user_in(db: &str, name: &str, role: &str, unit: &str) -> String {
    let out = Command::new(bin())
        .args(["--db", db, "user", "add", name, "--role", role, "--unit", unit])
        .output()
        .expect("user add");
    assert!(out.status.success(), "user add --unit {unit} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_string()
}

/// Send one command (retrying a rate limit) and return its outcome.
pub async fn send(server: &Server, token: &str, body: CommandBody) -> Outcome {
    let c = cmd(body);
    loop {
        match server.api(token).send(std::slice::from_ref(&c)).await {
            Err(pingan_store::ApiError::RateLimited(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
            r => return r.expect("send").remove(0).outcome,
        }
    }
}

/// `pingan-sync user add NAME --role grid_worker --worker ID`; returns the token.
pub fn user_bound(db: &str, name: &str, worker: u32) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingan-sync"))
        .args(["--db", db, "user", "add", name, "--role", "grid_worker", "--worker", &worker.to_string()])
        .output()
        .expect("user add");
    assert!(out.status.success(), "user add failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_string()
}

/// The small demo district's initial situation (workers and a few days of events), to seed a server with.
pub fn demo_situation() -> Situation {
    let district = pingan_sync::district(2026, true);
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:30:00Z").expect("time").to_utc();
    let config = pingan_demo::SimConfig { events_per_hour: 4.0, history_hours: 24.0, ..Default::default() };
    pingan_demo::Simulator::start(&district, 2026, config, now).0
}

/// A command with a fresh key.
pub fn cmd(body: CommandBody) -> ClientCommand {
    ClientCommand { key: pingan_store::link::new_key(), at: chrono::Utc::now(), body }
}

/// Commands that register `workers` and report `events` (as new, without their history).
pub fn seed_commands(workers: &[GridWorker], events: &[Event]) -> Vec<ClientCommand> {
    let mut v: Vec<ClientCommand> =
        workers.iter().map(|w| cmd(CommandBody::WorkerJoin { worker: pingan_sync::demo::joining(w) })).collect();
    v.extend(events.iter().map(|e| cmd(CommandBody::Report { event: Box::new(e.clone()) })));
    v
}

/// Poll `f` every 20 ms until it is true or `secs` pass; panics with `what` on timeout.
pub fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed().as_secs() < secs, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Apply a link's updates to a situation as the desktop does; returns the seqs seen.
pub fn drain(link: &pingan_store::Link, situation: &mut Situation, seqs: &mut Vec<i64>) {
    for u in link.poll() {
        match u {
            pingan_store::Update::Snapshot(s) => {
                *situation = s.situation;
                seqs.clear();
            }
            pingan_store::Update::Changes(cs) => {
                for c in cs {
                    seqs.push(c.seq);
                    situation.apply_change(&c.body);
                }
            }
            pingan_store::Update::Event(e) => {
                if let Some(x) = situation.event_mut(e.id) {
                    *x = *e;
                }
            }
            pingan_store::Update::Events(events) => {
                for e in events {
                    if let Some(x) = situation.event_mut(e.id) {
                        *x = e;
                    }
                }
            }
            pingan_store::Update::Refused(_)
            | pingan_store::Update::District(_)
            | pingan_store::Update::Tracks(_)
            | pingan_store::Update::Alive => {}
        }
    }
}

/// Events by id.
pub fn event(s: &Situation, id: u64) -> &Event {
    s.event(EventId(id)).expect("event")
}

/// Seed a server with the demo's workers and `n` events; returns the admin token.
pub async fn seeded(server: &Server, n: usize) -> (String, Situation) {
    let admin = server.user("admin", "admin");
    let demo = demo_situation();
    let cmds = seed_commands(&demo.workers, &demo.events[..n]);
    let mut results = Vec::new();
    for chunk in cmds.chunks(10) {
        loop {
            match server.api(&admin).send(chunk).await {
                Err(pingan_store::ApiError::RateLimited(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
                r => {
                    results.extend(r.expect("seed"));
                    break;
                }
            }
        }
    }
    assert!(results.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })), "seed refused: {results:?}");
    (admin, demo)
}
