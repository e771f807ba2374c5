//! Soak and stall benchmarks of a real `pingan-sync` process (not tests). Build both first, then run:
//!
//! ```sh
//! cargo build --release -p pingan-sync --bin pingan-sync --example soak
//! target/release/examples/soak soak 600      # 100 live streams + 4 writers for 600 s
//! target/release/examples/soak stalled [100] # 100 live streams that never read, then 300,000 changes
//! target/release/examples/soak stalled 0     # the same without streams: the baseline
//! ```
//!
//! The server runs as its own process (the `pingan-sync` binary next to this example's folder) on a SQLite file in a
//! temp dir, so its resident memory and open descriptors are read from `/proc/PID` alone, every 10 s:
//! `t_s rss_mib fds p50_ms p99_ms commands_per_s` (latency of one `POST /v1/commands` of 50 commands, as seen by
//! the writers).

use pingan_core::sync::{ClientCommand, CommandBody};
use pingan_core::{LonLat, WorkerStatus};
use pingan_store::Api;
use std::io::{BufRead as _, Read as _, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn server_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(|p| p.parent()).expect("target dir").join("pingan-sync")
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

struct Server {
    child: std::process::Child,
    url: String,
    token: String,
    _dir: tempfile::TempDir,
}

fn start_server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("soak.db").display().to_string();
    let bin = server_binary();
    let out = Command::new(&bin)
        .args(["--db", &db, "user", "add", "soak", "--role", "admin"])
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e} (build it with --bin pingan-sync first)", bin.display()));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut child = Command::new(&bin)
        .args(["--db", &db, "--listen", "127.0.0.1:0", "--rate", "100000", "--burst", "100000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start pingan-sync");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
    let url = line.trim().trim_start_matches("pingan-sync listening on ").to_string();
    Server { child, url, token, _dir: dir }
}

fn command(body: CommandBody) -> ClientCommand {
    ClientCommand { key: pingan_store::link::new_key(), at: chrono::Utc::now(), body }
}

async fn seed(api: &Api) -> Vec<pingan_core::GridWorker> {
    let district = pingan_sync::district(2026, false);
    let config = pingan_demo::SimConfig { history_hours: 1.0, ..Default::default() };
    let (situation, _) = pingan_demo::Simulator::start(&district, 2026, config, chrono::Utc::now());
    let joins: Vec<ClientCommand> = situation
        .workers
        .iter()
        .map(|w| command(CommandBody::WorkerJoin { worker: pingan_sync::demo::joining(w) }))
        .collect();
    for chunk in joins.chunks(1000) {
        api.send(chunk).await.expect("seed workers");
    }
    situation.workers
}

fn moves(workers: &[pingan_core::GridWorker], n: usize, round: usize) -> Vec<ClientCommand> {
    (0..n)
        .map(|i| {
            let w = &workers[(round * n + i) % workers.len()];
            let p = LonLat { lon: w.position.lon + 1e-6 * (round % 100) as f64, lat: w.position.lat };
            command(CommandBody::WorkerPosition { worker: w.id, position: p, status: WorkerStatus::Patrolling })
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn soak(secs: u64) {
    let server = start_server();
    let pid = server.child.id();
    let api = Api::new(&server.url, &server.token).expect("client");
    let workers = Arc::new(seed(&api).await);
    println!("# soak: 100 live streams + 4 writers (50 commands per request) for {secs} s; server pid {pid}");
    println!("t_s\trss_mib\tfds\tp50_ms\tp99_ms\tcommands_per_s\tdelivered_per_s");
    let stop = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (url, token, stop, delivered) = (server.url.clone(), server.token.clone(), stop.clone(), delivered.clone());
        tasks.push(tokio::spawn(async move {
            let api = Api::new(&url, &token).expect("client");
            let mut after = 0;
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut s) = api.stream(after).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                while let Ok(Ok(Some(c))) = tokio::time::timeout(Duration::from_secs(1), s.next()).await {
                    after = c.seq;
                    delivered.fetch_add(1, Ordering::Relaxed);
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
            }
        }));
    }
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let sent = Arc::new(AtomicU64::new(0));
    for wi in 0..4 {
        let (url, token, stop, workers, latencies, sent) =
            (server.url.clone(), server.token.clone(), stop.clone(), workers.clone(), latencies.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let api = Api::new(&url, &token).expect("client");
            let mut round = wi * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                let cmds = moves(&workers, 50, round);
                round += 1;
                let t = Instant::now();
                if api.send(&cmds).await.is_ok() {
                    latencies.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                    sent.fetch_add(50, Ordering::Relaxed);
                }
                // About 100 requests per second per writer: a busy street, not a flood.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    let start = Instant::now();
    let (mut last_sent, mut last_delivered) = (0, 0);
    while start.elapsed().as_secs() < secs {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let mut l = std::mem::take(&mut *latencies.lock().unwrap());
        l.sort_by(f64::total_cmp);
        let (s, d) = (sent.load(Ordering::Relaxed), delivered.load(Ordering::Relaxed));
        println!(
            "{}\t{:.1}\t{}\t{:.1}\t{:.1}\t{}\t{}",
            start.elapsed().as_secs(),
            rss_mib(pid),
            fds(pid),
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            (s - last_sent) / 10,
            (d - last_delivered) / 10
        );
        (last_sent, last_delivered) = (s, d);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    let mut child = server.child;
    child.kill().ok();
}

async fn stalled(n: usize) {
    let server = start_server();
    let pid = server.child.id();
    let api = Api::new(&server.url, &server.token).expect("client");
    let workers = seed(&api).await;
    println!("# stalled: {n} live streams that never read; server pid {pid}");
    println!("phase\trss_mib\tfds");
    println!("idle\t{:.1}\t{}", rss_mib(pid), fds(pid));
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        write!(s, "GET /v1/stream?after=0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\r\n", server.token)
            .expect("request");
        streams.push(s);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("{n} stalled streams open\t{:.1}\t{}", rss_mib(pid), fds(pid));
    let mut peak = 0.0f64;
    for round in 0..300 {
        api.send(&moves(&workers, 1000, round)).await.expect("send");
        if round % 30 == 29 {
            let r = rss_mib(pid);
            peak = peak.max(r);
            println!("after {} changes\t{r:.1}\t{}", (round + 1) * 1000, fds(pid));
        }
    }
    for t in 0..8 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let r = rss_mib(pid);
        peak = peak.max(r);
        println!("{} s later\t{r:.1}\t{}", (t + 1) * 5, fds(pid));
    }
    // How many of the stalled streams the server has closed (it reads EOF after the kernel's buffer).
    let mut closed = 0;
    for s in &mut streams {
        s.set_read_timeout(Some(Duration::from_millis(500))).ok();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match s.read(&mut buf) {
                Ok(0) => {
                    closed += 1;
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
    }
    println!("# peak server RSS {peak:.1} MiB; {closed} of {n} stalled streams closed by the server");
    let mut child = server.child;
    child.kill().ok();
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("soak") => soak(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(600)).await,
        Some("stalled") => stalled(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100)).await,
        _ => eprintln!("usage: soak soak [SECONDS] | soak stalled [STREAMS]"),
    }
}
