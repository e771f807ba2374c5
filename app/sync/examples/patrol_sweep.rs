//! Time the patrol sweeper's work on a database that holds a district and its history (e.g. one `pingan-sync
//! --demo` installed): reading one month of history (cold, then from the cache), and grading the district and
//! planning the books for it. `cargo run --release -p pingan-sync --example patrol_sweep -- DB [YYYY-MM-DD]` (the
//! day to sweep as of, noon China time; default: today).

use pingan_core::patrol::PatrolConfig;
use pingan_sync::patrol::{HistoryCache, due_books};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let db = args.next().ok_or_else(|| anyhow::anyhow!("usage: patrol_sweep DB [YYYY-MM-DD]"))?;
    let now = match args.next() {
        Some(d) => chrono::DateTime::parse_from_rfc3339(&format!("{d}T12:00:00+08:00"))?.to_utc(),
        None => chrono::Utc::now(),
    };
    let db = pingan_sync::db::Db::open(&db).await?;
    let current = pingan_sync::reference::load_current(&db, None).await?;
    let district = current.district.ok_or_else(|| anyhow::anyhow!("no district stored"))?;
    let (from, to) = PatrolConfig::default().period(now).range();
    let mut cache = HistoryCache::default();
    let t = Instant::now();
    let records = cache.month(&db, current.version, from, to).await?;
    let cold = t.elapsed();
    let t = Instant::now();
    cache.month(&db, current.version, from, to).await?;
    let warm = t.elapsed();
    let t = Instant::now();
    let due = due_books(&district, &records, &[], &PatrolConfig::default(), now);
    let plan = t.elapsed();
    let books: usize = due.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{}: {} records in the period; read {:.0} ms cold, {:.3} ms cached; graded and planned in {:.0} ms: {} units \
         due, {books} books",
        district.name,
        records.len(),
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3,
        plan.as_secs_f64() * 1e3,
        due.len()
    );
    Ok(())
}
