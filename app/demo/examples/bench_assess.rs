//! Benchmark of the five-colour assessment: one year of 1,000,000 events over the full demo district, every unit
//! at every level (building, grid, community, town, district), for a year, a quarter and a month.

use pingan_core::assess::{CategorySet, Period, PeriodKind, RiskConfig, assess};
use pingan_demo::{DemoSpec, HistorySpec, generate, generate_history};
use std::time::Instant;

fn main() {
    let end = chrono::DateTime::parse_from_rfc3339("2026-12-31T23:59:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let t = Instant::now();
    let d = generate(&DemoSpec::default());
    let records = generate_history(&d, &HistorySpec { seed: 1, days: 365, per_day: 1_000_000.0 / 365.0 }, end);
    println!(
        "setup: {} buildings, {} grids, {} records in {:.1} s",
        d.buildings.len(),
        d.grids.len(),
        records.len(),
        t.elapsed().as_secs_f64()
    );
    let cfg = RiskConfig::default();
    for (kind, name) in [(PeriodKind::Year, "year"), (PeriodKind::Quarter, "quarter"), (PeriodKind::Month, "month")] {
        let p = Period::containing(kind, end);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let a = assess(&d, &records, p, end.timestamp(), CategorySet::key(), &cfg);
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(a);
        }
        println!("assess every unit at every level, {name} {}: {best:.1} ms (best of 5)", p.label());
    }
}
