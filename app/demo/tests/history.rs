//! Generated history: deterministic, two years long, with the seasonality, rhythm, hot spots and trends it claims.

use chrono::{DateTime, Datelike, Utc};
use pingan_core::EventCategory;
use pingan_core::assess::EventRecord;
use pingan_demo::{DemoSpec, HistorySpec, generate, generate_history};

fn end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().with_timezone(&Utc)
}

fn month_of(r: &EventRecord) -> u32 {
    DateTime::from_timestamp(r.at, 0).unwrap().with_timezone(&pingan_core::china_offset()).month()
}

#[test]
fn two_years_of_plausible_history() {
    let d = generate(&DemoSpec::small(5));
    let spec = HistorySpec::default();
    let h = generate_history(&d, &spec, end());
    assert_eq!(h, generate_history(&d, &spec, end()), "deterministic");
    let n = h.len() as f64;
    let expected = spec.per_day * spec.days as f64;
    assert!((n / expected - 1.0).abs() < 0.15, "{n} records, about {expected} expected");
    assert!(h.windows(2).all(|w| w[0].at <= w[1].at), "ordered by time");
    let first = DateTime::from_timestamp(h[0].at, 0).unwrap();
    assert!((end() - first).num_days() >= 730, "at least two years");
    assert!(h.iter().all(|r| r.at < end().timestamp()));
    // Seasonality: wage arrears peak in January, fire alarms in winter.
    let count = |c: EventCategory, months: &[u32]| {
        h.iter().filter(|r| r.category == c && months.contains(&month_of(r))).count()
    };
    assert!(count(EventCategory::WageArrears, &[1]) > 2 * count(EventCategory::WageArrears, &[5]));
    assert!(count(EventCategory::FireAlarm, &[12, 1, 2]) > count(EventCategory::FireAlarm, &[6, 7, 8]));
    // Trend: telecom fraud grows, theft falls (first year vs last year).
    let split = end().timestamp() - 365 * 86400;
    let start = h[0].at + 365 * 86400;
    let yr = |c: EventCategory, late: bool| {
        h.iter().filter(|r| r.category == c && if late { r.at >= split } else { r.at < start }).count()
    };
    assert!(yr(EventCategory::TelecomFraud, true) as f64 > 1.2 * yr(EventCategory::TelecomFraud, false) as f64);
    assert!((yr(EventCategory::Theft, true) as f64) < 0.95 * yr(EventCategory::Theft, false) as f64);
    // Hot spots: straw burning happens in village grids, wage arrears where the factories are.
    let industrial: Vec<bool> = d
        .grids
        .iter()
        .map(|g| g.buildings.iter().any(|b| d.building(*b).kind == pingan_core::BuildingKind::Industrial))
        .collect();
    let wage = h.iter().filter(|r| r.category == EventCategory::WageArrears);
    let (ind, all) = wage.fold((0, 0), |(i, a), r| (i + industrial[r.grid.index()] as u32, a + 1));
    let others = h.iter().filter(|r| r.category == EventCategory::Dispute);
    let (oi, oa) = others.fold((0, 0), |(i, a), r| (i + industrial[r.grid.index()] as u32, a + 1));
    let (wage_share, dispute_share) = (ind as f64 / all as f64, oi as f64 / oa as f64);
    assert!(
        wage_share > dispute_share + 0.05,
        "wage arrears {wage_share:.2} vs disputes {dispute_share:.2} in industrial grids"
    );
}
