//! Benchmarks of the sync path (not tests): run with
//! `cargo run --release -p pingan-sync --example bench_sync -- [ingest|fanout|catchup|all]`.
//!
//! Everything is real: an in-process `pingan-sync` on a SQLite file in a temp dir, clients over loopback HTTP.
//! - ingest: commands per second through `POST /v1/commands` (4 clients, 500 commands per request).
//! - fanout: 100 clients on the live stream; changes delivered per second and the lag of the last one.
//! - catchup: a client whose cache is behind by 1,000,000 changes pulls them into its SQLite cache.

use pingan_core::sync::{ClientCommand, CommandBody, Role};
use pingan_core::{EventAction, EventId, LonLat, WorkerStatus};
use pingan_store::{Api, Link, LinkConfig, LinkState};
use std::time::{Duration, Instant};

struct Setup {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    url: String,
    token: String,
    workers: Vec<pingan_core::GridWorker>,
    events: Vec<pingan_core::Event>,
}

async fn setup() -> anyhow::Result<Setup> {
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
        // No automatic task books in the middle of a measurement.
        patrol_every: None,
        ..Default::default()
    };
    let running = pingan_sync::start(config).await?;
    let admin = running.db.add_user("bench", Role::Admin).await?;
    let token = running.db.new_token(&admin).await?;
    let url = format!("http://{}", running.addr);
    let district = pingan_sync::district(2026, false);
    let now = chrono::Utc::now();
    let config = pingan_demo::SimConfig { history_hours: 2.0, ..Default::default() };
    let (situation, _) = pingan_demo::Simulator::start(&district, 2026, config, now);
    let api = Api::new(&url, &token)?;
    let joins: Vec<ClientCommand> = situation
        .workers
        .iter()
        .map(|w| command(CommandBody::WorkerJoin { worker: pingan_sync::demo::joining(w) }))
        .collect();
    for chunk in joins.chunks(2000) {
        api.send(chunk).await?;
    }
    std::mem::forget(running); // serve until the process ends
    Ok(Setup {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        url,
        token,
        workers: situation.workers,
        events: situation.events,
    })
}

fn command(body: CommandBody) -> ClientCommand {
    ClientCommand { key: pingan_store::link::new_key(), at: chrono::Utc::now(), body }
}

/// A batch of `n` commands: mostly worker moves, some reports, and accepts of earlier reports.
fn batch(s: &Setup, n: usize, round: usize, to_accept: &mut Vec<EventId>) -> Vec<ClientCommand> {
    let mut v = Vec::with_capacity(n);
    for id in to_accept.drain(..) {
        v.push(command(CommandBody::Act { event: id, action: EventAction::Accept }));
    }
    let reports = n / 20;
    for i in 0..reports {
        let e = &s.events[(round * reports + i) % s.events.len()];
        v.push(command(CommandBody::Report { event: Box::new(e.clone()) }));
    }
    let mut i = 0;
    while v.len() < n {
        let w = &s.workers[(round * n + i) % s.workers.len()];
        let p = LonLat { lon: w.position.lon + 1e-6 * (round % 100) as f64, lat: w.position.lat };
        v.push(command(CommandBody::WorkerPosition { worker: w.id, position: p, status: WorkerStatus::Patrolling }));
        i += 1;
    }
    v
}

/// Send `total` commands from `clients` concurrent clients; returns commands per second.
async fn ingest(s: &Setup, total: usize, clients: usize, per_request: usize) -> anyhow::Result<f64> {
    let rounds = total / per_request / clients;
    // Build the requests first: the benchmark measures the server, not the client's JSON building.
    let mut plans = Vec::new();
    for c in 0..clients {
        let mut accept = Vec::new();
        let mut reqs = Vec::new();
        for r in 0..rounds {
            let b = batch(s, per_request, c * rounds + r, &mut accept);
            reqs.push(b);
        }
        // Serialised up front too: the clients only send bytes.
        let bodies: Vec<Vec<u8>> =
            reqs.iter().map(|r| serde_json::to_vec(&serde_json::json!({ "commands": r }))).collect::<Result<_, _>>()?;
        plans.push(bodies);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for bodies in plans {
        let http = reqwest::Client::new();
        let (url, token) = (format!("{}/v1/commands", s.url), s.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut applied = 0usize;
            for body in bodies {
                let resp = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?
                    .error_for_status()?;
                let answer: serde_json::Value = serde_json::from_slice(&resp.bytes().await?)?;
                applied += answer["results"]
                    .as_array()
                    .map_or(0, |r| r.iter().filter(|r| r["outcome"]["outcome"] == "applied").count());
            }
            anyhow::Ok(applied)
        }));
    }
    let mut applied = 0;
    for t in tasks {
        applied += t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let sent = rounds * clients * per_request;
    eprintln!("ingest: {sent} commands ({applied} applied) from {clients} clients in {secs:.2} s");
    Ok(sent as f64 / secs)
}

async fn fanout(s: &Setup, clients: usize, changes: usize) -> anyhow::Result<()> {
    let api = Api::new(&s.url, &s.token)?;
    let head = api.changes(0, 1).await?.head;
    let target = head + changes as i64;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let api = Api::new(&s.url, &s.token)?;
        let mut stream = api.stream(head).await?;
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while let Some(c) = stream.next().await? {
                n += 1;
                if c.seq >= target {
                    break;
                }
            }
            anyhow::Ok((n, Instant::now()))
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let per = 500;
    let mut accept = Vec::new();
    let mut sent_done = started;
    for r in 0..changes / per {
        let b = batch(s, per, 10_000 + r, &mut accept);
        let res = api.send(&b).await?;
        accept.clear();
        let _ = res;
        sent_done = Instant::now();
    }
    let mut delivered = 0;
    let mut last = started;
    for t in tasks {
        let (n, at) = t.await??;
        delivered += n;
        last = last.max(at);
    }
    let secs = (last - started).as_secs_f64();
    eprintln!(
        "fanout: {changes} changes to {clients} streams: {delivered} deliveries in {secs:.2} s = {:.0} deliveries/s; \
         last client done {:.0} ms after the last commit",
        delivered as f64 / secs,
        (last - sent_done).as_secs_f64() * 1000.0
    );
    println!(
        "{{\"bench\":\"fanout\",\"clients\":{clients},\"changes\":{changes},\"deliveries_per_sec\":{:.0},\"tail_ms\":{:.0}}}",
        delivered as f64 / secs,
        (last - sent_done).as_secs_f64() * 1000.0
    );
    Ok(())
}

async fn catchup(s: &Setup, n: usize) -> anyhow::Result<()> {
    let cache = s.dir.join("client-cache.sqlite");
    // A client syncs now (snapshot), then goes away while `n` changes happen.
    {
        let (link, _) = Link::start(LinkConfig::new(&s.url, &s.token, cache.clone()))?;
        let t = Instant::now();
        while link.status().state != LinkState::Online {
            anyhow::ensure!(t.elapsed() < Duration::from_secs(60), "client never came online");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let t = Instant::now();
    let rate = ingest(s, n, 2, 5000).await?;
    eprintln!("catchup: wrote {n} changes in {:.1} s ({rate:.0}/s)", t.elapsed().as_secs_f64());
    let head = Api::new(&s.url, &s.token)?.changes(0, 1).await?.head;
    let started = Instant::now();
    let (link, cached) = Link::start(LinkConfig::new(&s.url, &s.token, cache.clone()))?;
    let behind = head - cached.seq;
    while link.status().seq < head {
        link.poll();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("catchup: {behind} changes into the cache in {secs:.2} s ({:.0}/s)", behind as f64 / secs);
    println!("{{\"bench\":\"catchup\",\"changes\":{behind},\"seconds\":{secs:.2}}}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let s = setup().await?;
    if what == "ingest" || what == "all" {
        let rate = ingest(&s, 200_000, 4, 500).await?;
        println!("{{\"bench\":\"ingest\",\"commands_per_sec\":{rate:.0}}}");
    }
    if what == "fanout" || what == "all" {
        fanout(&s, 100, 20_000).await?;
    }
    if what == "catchup" || what == "all" {
        catchup(&s, 1_000_000).await?;
    }
    Ok(())
}
