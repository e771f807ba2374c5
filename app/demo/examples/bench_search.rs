//! How fast the one-key search answers over a million history records.
//!
//! `cargo run --release -p pingan-demo --example bench_search [-- RECORDS]` (default 1,000,000): the full demo
//! district, a history of about RECORDS records with their numbers and titles over the demo's 760 days, the
//! simulator's live events and workers; then each query of a typical supervisor's list, 30 times, median and max.

use pingan_core::search::SearchIndex;
use pingan_demo::{DemoSpec, HistorySpec, SimConfig, Simulator};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let target: f64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000.0);
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00+08:00").map(|t| t.to_utc()).unwrap();
    let district = pingan_demo::generate(&DemoSpec::default());
    let spec = HistorySpec { per_day: target / HistorySpec::default().days as f64, ..HistorySpec::default() };
    let t = Instant::now();
    let history = pingan_demo::generate_history(&district, &spec, now - chrono::Duration::days(1));
    let text = pingan_demo::history_text(&history, spec.seed);
    println!(
        "history: {} records, text {} MB, made in {} ms",
        history.len(),
        text.bytes() >> 20,
        t.elapsed().as_millis()
    );
    let (situation, _) = Simulator::start(&district, 7, SimConfig::default(), now);
    let t = Instant::now();
    let mut index = SearchIndex::build(&district, Arc::new(history), Arc::new(text));
    let built = t.elapsed();
    let t = Instant::now();
    index.update_live(&situation.events, &situation.workers);
    let live = t.elapsed();
    let t = Instant::now();
    let unchanged = index.update_live(&situation.events, &situation.workers);
    println!(
        "index: {} MB, built in {} ms; {} live events indexed in {:.1} ms, checked again (unchanged: {}) in {:.2} ms",
        index.bytes() >> 20,
        built.as_millis(),
        situation.events.len(),
        live.as_secs_f64() * 1e3,
        !unchanged,
        t.elapsed().as_secs_f64() * 1e3
    );
    let worker = situation.workers[42].name.clone();
    let town = district.towns[3].name.clone();
    let community = district.communities[40].code.segmented();
    let town_code = district.towns[3].code.to_string()[..9].to_string();
    let county_code = district.code.to_string()[..6].to_string();
    let number = index.text().number(index.history_len() / 2).to_string();
    let queries = [
        "家暴".to_string(),
        "欠薪".into(),
        "租房纠纷".into(),
        "纠纷".into(),
        "电动车 起火".into(),
        format!("{town} 家暴"),
        town,
        community,
        town_code,
        county_code,
        number,
        "2026".into(),
        worker,
    ];
    println!("{:<34} {:>9} {:>8} {:>10} {:>9}", "query", "events", "workers", "median ms", "max ms");
    let mut worst: f64 = 0.0;
    for q in &queries {
        let mut times = Vec::new();
        let (mut n, mut w) = (0, 0);
        for _ in 0..30 {
            let t = Instant::now();
            let m = index.query(&district, &situation.workers, q, now).expect("query");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            (n, w) = (m.total(), m.workers.len());
        }
        times.sort_by(f64::total_cmp);
        worst = worst.max(times[times.len() - 1]);
        println!("{q:<34} {n:>9} {w:>8} {:>10.1} {:>9.1}", times[times.len() / 2], times[times.len() - 1]);
    }
    println!("slowest single query: {worst:.1} ms");
}
