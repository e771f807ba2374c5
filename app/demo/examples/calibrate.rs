//! Prints the spread of normalised scores and grades over the full demo district (for tuning risk.toml).
use pingan_core::assess::{CategorySet, Grade, Period, PeriodKind, RiskConfig, assess};
use pingan_demo::{DemoSpec, HistorySpec, generate, generate_history};

fn main() {
    let end = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let d = generate(&DemoSpec::default());
    let h = generate_history(&d, &HistorySpec::default(), end);
    let cfg = RiskConfig::default();
    for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
        let a = assess(&d, &h, Period::containing(kind, end), end.timestamp(), CategorySet::key(), &cfg);
        for (name, s) in [("towns", &a.towns), ("communities", &a.communities), ("grids", &a.grids)] {
            let mut v: Vec<f64> = s.iter().map(|x| x.normalised).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            let q = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
            let grades: Vec<usize> = Grade::ALL.iter().map(|g| s.iter().filter(|x| x.grade == *g).count()).collect();
            println!(
                "{kind:?} {name}: p10 {:.2} p50 {:.2} p70 {:.2} p85 {:.2} p95 {:.2} max {:.2}  grades R/O/Y/B/G {grades:?}",
                q(0.1),
                q(0.5),
                q(0.7),
                q(0.85),
                q(0.95),
                q(1.0)
            );
        }
    }
}
