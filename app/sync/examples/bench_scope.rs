//! What the read rule costs on the live path (not a test): run with
//! `cargo run --release -p pingan-sync --example bench_scope -- [scoped|unscoped|both] [SECONDS]`.
//!
//! An in-process `pingan-sync` on a SQLite file with the demo district (its 1,700 grid workers), ten desks on the
//! live stream over loopback HTTP, and one sender posting worker positions at 1,250 a second (the seeds' 37,590 grid
//! workers of Yuhang, one report each per 30 s) in requests of 125 every 100 ms. `scoped`: the ten desks are the
//! district's room, an admin, three town rooms, two community rooms and three grid workers, each on their own
//! token; `unscoped`: ten admins. Reported: for every change a desk may see, the time from the sender's request
//! (an upper bound of "accepted": it includes the request's way in and the commit) to the desk reading it — p50,
//! p99, max — the deliveries, and the process's CPU time during the run and its resident memory before and at peak
//! (server, desks and sender share the process; the desks' parsing is most of the client side).

use pingan_core::sync::{ClientCommand, CommandBody, Outcome, Role, Seq};
use pingan_core::{LonLat, WorkerStatus};
use pingan_store::Api;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Positions a second.
const RATE: usize = 1250;
/// Requests a second.
const TICKS: usize = 10;

fn command(body: CommandBody) -> ClientCommand {
    ClientCommand { key: pingan_store::link::new_key(), at: chrono::Utc::now(), body }
}

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, MiB.
fn peak_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory figure of this process from `/proc/self/status`, MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn run(scoped: bool, seconds: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let limits = pingan_sync::http::Limits {
        rate_per_sec: 1e9,
        burst: 1e9,
        max_body: 64 << 20,
        max_commands: 10_000,
        ..Default::default()
    };
    let config = pingan_sync::ServeConfig {
        db: dir.path().join("bench.db").display().to_string(),
        listen: "127.0.0.1:0".parse()?,
        limits,
        patrol_every: None,
        sla_every: None,
        ..Default::default()
    };
    let running = pingan_sync::start(config).await?;
    let db = running.db.clone();
    let url = format!("http://{}", running.addr);
    let district = pingan_sync::district(2026, false);
    let now = chrono::Utc::now();
    let sim = pingan_demo::SimConfig { history_hours: 1.0, ..Default::default() };
    let (situation, _) = pingan_demo::Simulator::start(&district, 2026, sim, now);
    let workers = situation.workers;
    let admin = db.add_user("bench", Role::Admin).await?;
    let sender = Api::new(&url, &db.new_token(&admin).await?)?;

    // The desks: name, token.
    let mut desks = Vec::new();
    for i in 0..10usize {
        let (name, user) = if !scoped {
            (format!("admin-{i}"), db.add_user(&format!("admin-{i}"), Role::Admin).await?)
        } else {
            match i {
                0 => ("district room".into(), db.add_user("district-op", Role::Operator).await?),
                1 => ("admin".into(), db.add_user("admin-1", Role::Admin).await?),
                2..=4 => {
                    let t = &district.towns[(i - 2) * 3 % district.towns.len()];
                    let u = db.add_user_in(&format!("town-{i}"), Role::Operator, None, Some(&t.code)).await?;
                    (format!("town {}", t.name), u)
                }
                5 | 6 => {
                    let c = &district.communities[(i * 7) % district.communities.len()];
                    let u = db.add_user_in(&format!("community-{i}"), Role::Supervisor, None, Some(&c.code)).await?;
                    (format!("community {}", c.name), u)
                }
                _ => {
                    let w = &workers[(i * 97) % workers.len()];
                    let u = db.add_user_bound(&format!("gw-{i}"), Role::GridWorker, Some(w.id)).await?;
                    (format!("grid worker {}", w.name), u)
                }
            }
        };
        desks.push((name, db.new_token(&user).await?));
    }

    let head = sender.changes(0, 1).await?.head;
    let mut tasks = Vec::new();
    for (_, token) in &desks {
        let mut stream = Api::new(&url, token)?.stream(head).await?;
        tasks.push(tokio::spawn(async move {
            let mut got: Vec<(Seq, Instant)> = Vec::new();
            while let Ok(Ok(Some(c))) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
                if !matches!(&c.body, pingan_core::sync::ChangeBody::Withdrawn { items } if items.is_empty()) {
                    got.push((c.seq, Instant::now()));
                }
            }
            got
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The sender: RATE positions a second, TICKS requests a second, each worker in turn.
    let per = RATE / TICKS;
    let mut accepted: HashMap<Seq, Instant> = HashMap::new();
    let started = Instant::now();
    let cpu0 = cpu_seconds();
    let rss0 = status_mib("VmRSS:");
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / TICKS as u64));
    let mut next = 0usize;
    let mut round = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        round += 1;
        let cmds: Vec<ClientCommand> = (0..per)
            .map(|_| {
                let w = &workers[next % workers.len()];
                next += 1;
                let p = LonLat { lon: w.position.lon + 1e-7 * (round % 50) as f64, lat: w.position.lat };
                command(CommandBody::WorkerPosition { worker: w.id, position: p, status: WorkerStatus::Patrolling })
            })
            .collect();
        // Timed from the request: an upper bound of "accepted → desk" that includes the request's own way in.
        let at = Instant::now();
        let results = sender.send(&cmds).await?;
        for r in results {
            if let Outcome::Applied { seq, .. } = r.outcome {
                accepted.insert(seq, at);
            }
        }
    }
    let sent_secs = started.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for ((name, _), t) in desks.iter().zip(tasks) {
        let got = t.await?;
        let mut lat: Vec<f64> = got
            .iter()
            .filter_map(|(seq, at)| accepted.get(seq).map(|a| at.saturating_duration_since(*a).as_secs_f64() * 1000.0))
            .collect();
        lat.sort_by(f64::total_cmp);
        let q = |p: f64| lat.get(((lat.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
        eprintln!("  {name:<28} {:>7} changes  p50 {:>6.1} ms  p99 {:>6.1} ms", lat.len(), q(0.5), q(0.99));
        all.extend(lat);
    }
    all.sort_by(f64::total_cmp);
    let q = |p: f64| all.get(((all.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    let cpu = cpu_seconds() - cpu0;
    let mode = if scoped { "scoped" } else { "unscoped" };
    eprintln!(
        "{mode}: {} positions accepted in {sent_secs:.1} s ({:.0}/s); {} deliveries to 10 desks; latency p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms; CPU {:.1} s ({:.0} % of one core); RSS {:.0} MiB before, peak {:.0} MiB",
        accepted.len(),
        accepted.len() as f64 / sent_secs,
        all.len(),
        q(0.5),
        q(0.99),
        all.last().copied().unwrap_or(0.0),
        cpu,
        100.0 * cpu / sent_secs,
        rss0,
        peak_mib()
    );
    println!(
        "{{\"bench\":\"scope\",\"mode\":\"{mode}\",\"accepted\":{},\"deliveries\":{},\"p50_ms\":{:.1},\"p99_ms\":{:.1},\
         \"cpu_s\":{cpu:.1},\"peak_mib\":{:.0}}}",
        accepted.len(),
        all.len(),
        q(0.5),
        q(0.99),
        peak_mib()
    );
    std::mem::forget(running);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "both".into());
    let seconds = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(30);
    if what == "unscoped" || what == "both" {
        run(false, seconds).await?;
    }
    if what == "scoped" || what == "both" {
        run(true, seconds).await?;
    }
    Ok(())
}
