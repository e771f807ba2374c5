//! Years of plausible event history for charts, trends and the five-colour assessment: seasonality, a weekly
//! rhythm, hot spots around dense compounds and industrial parks, and a few long-term trends.
//!
//! Deterministic (same seed, same records). Produces compact [`EventRecord`]s, ordered by time.

use pingan_core::assess::EventRecord;
use pingan_core::{BuildingKind, District, EventCategory, Severity, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What history to make.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistorySpec {
    /// Seed.
    pub seed: u64,
    /// Days of history ending at `end` (exclusive).
    pub days: u32,
    /// Average events per day across the district, all categories.
    pub per_day: f64,
}

impl Default for HistorySpec {
    fn default() -> Self {
        Self { seed: 2026, days: 2 * 365 + 30, per_day: 576.0 }
    }
}

/// Month-of-year factor (index 0 = January).
fn season(c: EventCategory, month0: usize) -> f64 {
    use EventCategory as C;
    match c {
        // Winter heating and dry air: more fires; summer: more drownings.
        C::FireAlarm | C::SmokeDetector => [1.5, 1.4, 1.1, 0.9, 0.8, 0.7, 0.7, 0.7, 0.8, 1.0, 1.2, 1.4][month0],
        C::UnnaturalDeath => [0.7, 0.7, 0.8, 0.9, 1.1, 1.4, 1.6, 1.6, 1.2, 0.9, 0.8, 0.7][month0],
        // Wage claims peak before the Spring Festival.
        C::WageArrears => [2.6, 1.6, 0.7, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2, 2.0][month0],
        // Straw burning after the summer and autumn harvests.
        C::StrawBurning => [0.3, 0.2, 0.3, 0.5, 1.2, 2.8, 1.0, 0.4, 0.6, 2.6, 2.2, 0.6][month0],
        // Disputes around the holidays.
        C::Dispute => [1.3, 1.4, 1.0, 0.9, 0.9, 0.9, 1.0, 1.0, 0.9, 1.1, 1.0, 1.1][month0],
        C::Theft => [1.1, 1.2, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 1.0, 0.9, 1.1][month0],
        _ => 1.0,
    }
}

/// Relative level per year since the start of the history (long-term trends).
fn trend(c: EventCategory, years: f64) -> f64 {
    use EventCategory as C;
    let per_year = match c {
        C::TelecomFraud => 0.30,
        C::Theft => -0.15,
        C::Vice => -0.20,
        C::TrafficDeath => -0.10,
        C::HelmetRate => -0.25,
        C::SmokeDetector => 0.20,
        _ => 0.0,
    };
    (1.0 + per_year * years).max(0.2)
}

fn weekday(c: EventCategory, wd: usize) -> f64 {
    use EventCategory as C;
    match (c, wd) {
        (C::WorkSafety | C::WageArrears | C::HelmetRate, 5 | 6) => 0.5,
        (C::Dispute | C::Theft | C::CrowdGathering, 5 | 6) => 1.25,
        (_, 5) => 0.9,
        (_, 6) => 0.8,
        _ => 1.0,
    }
}

fn severity(c: EventCategory, rng: &mut ChaCha8Rng) -> Severity {
    let w = crate::catalog::severity_weights(c);
    let mut x = rng.random::<f64>();
    for (s, p) in Severity::ALL.iter().zip(w) {
        if x < p {
            return *s;
        }
        x -= p;
    }
    Severity::General
}

/// Poisson sample (Knuth for small means, normal approximation above 30).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        return (mean + z * mean.sqrt()).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0u32, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Generate `spec.days` days of history ending at `end`.
pub fn generate_history(district: &District, spec: &HistorySpec, end: Timestamp) -> Vec<EventRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x4849_5354);
    // Where events happen: people, floating population and enterprises, with category-specific hot spots.
    let kinds: Vec<(bool, bool)> = district
        .grids
        .iter()
        .map(|g| {
            let b: Vec<BuildingKind> = g.buildings.iter().map(|b| district.building(*b).kind).collect();
            let industrial = b.contains(&BuildingKind::Industrial);
            let village = b.iter().filter(|k| **k == BuildingKind::VillageHouse).count() * 2 > b.len();
            (industrial, village)
        })
        .collect();
    let cumulative = |f: &dyn Fn(usize) -> f64| -> Vec<f64> {
        let mut acc = 0.0;
        (0..district.grids.len())
            .map(|i| {
                acc += f(i);
                acc
            })
            .collect()
    };
    // Some places are simply more troubled than their size says: a persistent factor per town and per community
    // (log-normal), so the five-colour map has real differences to show.
    let mut lognormal = |sigma: f64| {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos() * sigma).exp()
    };
    let town_factor: Vec<f64> = district.towns.iter().map(|_| lognormal(0.4)).collect();
    let community_factor: Vec<f64> = district.communities.iter().map(|_| lognormal(0.5)).collect();
    let base = |i: usize| {
        let g = &district.grids[i];
        let s = g.stats;
        (10.0 + s.population as f64 + 1.5 * s.floating_population as f64 + 8.0 * s.enterprises as f64)
            * town_factor[g.town.index()]
            * community_factor[g.community.index()]
    };
    let weights: Vec<Vec<f64>> = EventCategory::ALL
        .iter()
        .map(|c| {
            use EventCategory as C;
            cumulative(&|i| {
                let (industrial, village) = kinds[i];
                base(i)
                    * match c {
                        C::WageArrears | C::WorkSafety if industrial => 6.0,
                        C::FireAlarm | C::SmokeDetector if industrial => 2.0,
                        C::StrawBurning if village => 15.0,
                        C::StrawBurning => 0.1,
                        C::WaterMeterNoFlow if village => 2.0,
                        C::TelecomFraud if village => 0.6,
                        _ => 1.0,
                    }
            })
        })
        .collect();
    let total_share: f64 = EventCategory::ALL.iter().map(|c| crate::catalog::base_share(*c)).sum();
    let end_day = end.with_timezone(&pingan_core::china_offset()).date_naive();
    let start_day = end_day - chrono::Duration::days(spec.days as i64);
    // About `per_day` a day: reserved up front, so the history does not carry a doubling's slack (at a city's
    // 4.5 million records that slack was 125 MB).
    let mut out = Vec::with_capacity((spec.per_day * f64::from(spec.days) * 1.05) as usize + 16);
    for d in 0..spec.days as i64 {
        let day = start_day + chrono::Duration::days(d);
        use chrono::Datelike;
        let (m0, wd) = (day.month0() as usize, day.weekday().num_days_from_monday() as usize);
        let years = d as f64 / 365.0;
        let Some(midnight) = pingan_core::china_offset()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.timestamp())
        else {
            continue;
        };
        for (ci, c) in EventCategory::ALL.iter().enumerate() {
            let mean = spec.per_day * crate::catalog::base_share(*c) / total_share
                * season(*c, m0)
                * trend(*c, years)
                * weekday(*c, wd);
            for _ in 0..poisson(&mut rng, mean) {
                let w = &weights[ci];
                let x = rng.random::<f64>() * w.last().copied().unwrap_or(1.0);
                let gi = w.partition_point(|v| *v < x).min(district.grids.len().saturating_sub(1));
                let grid = &district.grids[gi];
                let building = (!grid.buildings.is_empty() && rng.random_bool(0.7))
                    .then(|| grid.buildings[rng.random_range(0..grid.buildings.len())]);
                // Daytime peak: hours drawn around mid-afternoon, some at night.
                let hour = (rng.random::<f64>() * 0.6 + rng.random::<f64>() * 0.6).clamp(0.0, 0.999) * 24.0;
                let at = midnight + (hour * 3600.0) as i64;
                if at >= end.timestamp() {
                    continue;
                }
                out.push(EventRecord {
                    at,
                    category: *c,
                    severity: severity(*c, &mut rng),
                    town: grid.town,
                    community: grid.community,
                    grid: grid.id,
                    building,
                });
            }
        }
    }
    out.sort_by_key(|r| r.at);
    out.shrink_to_fit();
    out
}

use chrono::TimeZone;
use pingan_core::case_number::{CaseKind, case_number};

/// The case numbers and titles of `records` (as [`generate_history`] made them, ordered by time): a number per day
/// (`YH-20250311-H000042`, `H` for history, by [`case_number`], so it never equals a live event's) and a title of the record's category
/// drawn from [`crate::catalog::titles`] with its own seeded generator, so the records themselves stay as they were.
pub fn history_text(records: &[EventRecord], seed: u64) -> pingan_core::search::HistoryText {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5449_544c);
    let mut text = pingan_core::search::HistoryText::with_capacity(records.len(), 40);
    let (mut day, mut n) = (None, 0u32);
    let offset = pingan_core::china_offset();
    for r in records {
        let at = chrono::DateTime::from_timestamp(r.at, 0).unwrap_or_default();
        let local = at.with_timezone(&offset).date_naive();
        if day != Some(local) {
            (day, n) = (Some(local), 0);
        }
        n += 1;
        let titles = crate::catalog::titles(r.category);
        let title = titles[rng.random_range(0..titles.len())];
        text.push(&case_number(CaseKind::History, u64::from(n), at, offset), title);
    }
    text
}
