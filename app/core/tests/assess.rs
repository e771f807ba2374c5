//! The five-colour assessment and the report against examples computed by hand (see each comment).

use chrono::{DateTime, TimeZone, Utc};
use pingan_core::assess::{CategorySet, EventRecord, Grade, Period, PeriodKind, RiskConfig, assess, explain};
use pingan_core::report::{Domain, Level, domain_counts, domain_figures, league_table, monthly_trend};
use pingan_core::*;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    china_offset().with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn stats(population: u32, floating_population: u32, enterprises: u32, houses: u32) -> UnitStats {
    UnitStats { population, floating_population, enterprises, houses }
}

/// Town 0 (communities X = grids A, B; Y = grid C) and town 1 (community Z = grid D). Building 0 stands in grid A.
fn district() -> District {
    let county = AddressCode::county(330110).unwrap();
    let sq =
        Polygon::from_exterior(vec![LonLat::new(120.0, 30.0), LonLat::new(120.01, 30.0), LonLat::new(120.01, 30.01)]);
    let grid_stats =
        [stats(4000, 1000, 40, 1500), stats(0, 0, 0, 0), stats(20000, 5000, 200, 8000), stats(1000, 0, 0, 0)];
    let grid_comm = [0u32, 0, 1, 2];
    let comm_town = [0u16, 0, 1];
    let mut d = District {
        name: "测试区".into(),
        code: county,
        outline: sq.clone(),
        stats: UnitStats::default(),
        towns: vec![],
        communities: vec![],
        grids: vec![],
        buildings: vec![],
        roads: vec![],
        water: vec![],
    };
    for t in 0..2u16 {
        d.towns.push(Town {
            id: TownId(t),
            name: format!("镇{t}"),
            code: county.child(t as u32 + 1).unwrap(),
            outline: sq.clone(),
            label_at: LonLat::default(),
            stats: UnitStats::default(),
            communities: vec![],
        });
    }
    for (c, t) in comm_town.iter().enumerate() {
        d.towns[*t as usize].communities.push(CommunityId(c as u32));
        d.communities.push(Community {
            id: CommunityId(c as u32),
            town: TownId(*t),
            name: format!("社区{c}"),
            kind: CommunityKind::Community,
            code: d.towns[*t as usize].code.child(c as u32 + 1).unwrap(),
            outline: sq.clone(),
            label_at: LonLat::default(),
            stats: UnitStats::default(),
            grids: vec![],
        });
    }
    for (g, c) in grid_comm.iter().enumerate() {
        let town = d.communities[*c as usize].town;
        d.communities[*c as usize].grids.push(GridId(g as u32));
        d.communities[*c as usize].stats += grid_stats[g];
        d.towns[town.index()].stats += grid_stats[g];
        d.stats += grid_stats[g];
        d.grids.push(Grid {
            id: GridId(g as u32),
            community: CommunityId(*c),
            town,
            name: format!("网格{g}"),
            code: d.communities[*c as usize].code.child(1).unwrap(),
            outline: sq.clone(),
            label_at: LonLat::default(),
            stats: grid_stats[g],
            buildings: vec![],
        });
    }
    d.grids[0].buildings.push(BuildingId(0));
    d.buildings.push(Building {
        id: BuildingId(0),
        grid: GridId(0),
        name: "1幢".into(),
        code: d.grids[0].code.child(1).unwrap(),
        kind: BuildingKind::MidRise,
        footprint: sq,
        height_m: 18.0,
        floors: 6,
        households: 100,
        population: 300,
    });
    d
}

fn rec(d: &District, t: DateTime<Utc>, c: EventCategory, s: Severity, grid: u32, building: Option<u32>) -> EventRecord {
    let g = d.grid(GridId(grid));
    EventRecord {
        at: t.timestamp(),
        category: c,
        severity: s,
        town: g.town,
        community: g.community,
        grid: g.id,
        building: building.map(BuildingId),
    }
}

fn records(d: &District) -> Vec<EventRecord> {
    use EventCategory as C;
    use Severity as S;
    let mut r = vec![
        // Grid A, November: 2 thefts (2 × weight 2 × factor 1 = 4) and a major homicide in building 0 (10 × 5 = 50).
        rec(d, at(2026, 11, 3, 10), C::Theft, S::General, 0, None),
        rec(d, at(2026, 11, 5, 22), C::Theft, S::General, 0, None),
        rec(d, at(2026, 11, 9, 3), C::Homicide, S::Major, 0, Some(0)),
        // Grid A, October: one theft (2).
        rec(d, at(2026, 10, 15, 12), C::Theft, S::General, 0, None),
        // Grid D (town 1), October: one vice case (4).
        rec(d, at(2026, 10, 20, 23), C::Vice, S::General, 3, None),
        // Grid C, November: a significant fire alarm (3 × 2 = 6) and "Other" (weight 0, not a key category).
        rec(d, at(2026, 11, 12, 14), C::FireAlarm, S::Significant, 2, None),
        rec(d, at(2026, 11, 12, 15), C::Other, S::General, 2, None),
    ];
    // Grid C, November: ten general disputes (10 × 1 = 10).
    for day in 1..=10 {
        r.push(rec(d, at(2026, 11, day, 9), C::Dispute, S::General, 2, None));
    }
    r
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[test]
fn shipped_config_parses_and_bad_configs_are_refused() {
    let c = RiskConfig::default();
    assert_eq!(c.category_weight.len(), 9);
    assert!(RiskConfig::from_toml("not toml [").is_err());
    let reversed = pingan_core::assess::DEFAULT_CONFIG_TOML.replace("red = 75.0", "red = 1.0");
    let e = RiskConfig::from_toml(&reversed).unwrap_err();
    assert!(e.to_string().contains("thresholds must fall"), "{e}");
    let negative = pingan_core::assess::DEFAULT_CONFIG_TOML.replace("Theft = 2.0", "Theft = -2.0");
    assert!(RiskConfig::from_toml(&negative).is_err());
}

#[test]
fn november_scores_by_hand() {
    let d = district();
    let r = records(&d);
    let cfg = RiskConfig::default();
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    assert_eq!(nov.label(), "2026-11");
    let a = assess(&d, &r, nov, i64::MAX, CategorySet::key(), &cfg);
    // Grid A: complexity (4000 + 1.6·1000 + 25·40 + 0.5·1500) / 10000 = 0.735; weighted 54; 54 / 0.735 = 73.47
    // → orange (64 ≤ x < 75).
    let g = a.grids[0];
    assert!(close(g.complexity, 0.735) && close(g.weighted, 54.0) && close(g.normalised, 54.0 / 0.735));
    assert_eq!((g.grade, g.events), (Grade::Orange, 3));
    // Grid B: empty, zero population: complexity is the floor 0.05, score 0 → green.
    let g = a.grids[1];
    assert!(close(g.complexity, 0.05) && g.weighted == 0.0 && g.normalised == 0.0);
    assert_eq!(g.grade, Grade::Green);
    // Grid C: complexity (20000 + 8000 + 5000 + 4000) / 10000 = 3.7; weighted 10 + 6 = 16; 4.324 → green (< 42).
    // "Other" is not a key category and is not counted.
    let g = a.grids[2];
    assert!(close(g.complexity, 3.7) && close(g.weighted, 16.0) && close(g.normalised, 16.0 / 3.7));
    assert_eq!((g.grade, g.events), (Grade::Green, 11));
    // Roll-up: community X = A + B (same stats as A) → orange; community Y = C → green.
    assert_eq!(a.communities[0].grade, Grade::Orange);
    assert!(close(a.communities[0].weighted, 54.0));
    assert_eq!(a.communities[1].grade, Grade::Green);
    // Town 0: complexity (24000 + 1.6·6000 + 25·240 + 0.5·9500) / 10000 = 4.435; 70 / 4.435 = 15.78 → green.
    let t = a.towns[0];
    assert!(close(t.complexity, 4.435) && close(t.weighted, 70.0));
    assert_eq!(t.grade, Grade::Green);
    // Town 1: nothing in November → green. District = both towns: (70) / 4.535 = 15.44 → green.
    assert_eq!(a.towns[1].grade, Grade::Green);
    assert!(close(a.district.complexity, 4.535) && close(a.district.weighted, 70.0));
    assert_eq!(a.district.grade, Grade::Green);
    // Building 0: 300 residents, 100 households → (300 + 50) / 10000 = 0.035 → floor 0.05; 50 / 0.05 = 1000 → red.
    let b = a.buildings[0];
    assert!(close(b.complexity, 0.05) && close(b.normalised, 1000.0));
    assert_eq!(b.grade, Grade::Red);
}

#[test]
fn longer_periods_divide_by_their_months() {
    let d = district();
    let r = records(&d);
    let cfg = RiskConfig::default();
    // Q4 2026 adds October's theft in grid A (2): town 0 = 72 / 4.435 / 3 = 5.41 → green; grid A =
    // 56 / 0.735 / 3 = 25.4 → green too: the quarter dilutes November's homicide.
    let q4 = Period::containing(PeriodKind::Quarter, at(2026, 11, 23, 9));
    assert_eq!(q4.label(), "2026 Q4");
    let a = assess(&d, &r, q4, i64::MAX, CategorySet::key(), &cfg);
    assert!(close(a.towns[0].normalised, 72.0 / 4.435 / 3.0));
    assert_eq!(a.towns[0].grade, Grade::Green);
    assert!(close(a.grids[0].normalised, 56.0 / 0.735 / 3.0));
    assert_eq!(a.grids[0].grade, Grade::Green);
    // The year: 72 / 4.435 / 12 = 1.35 → green.
    let y = Period::containing(PeriodKind::Year, at(2026, 11, 23, 9));
    assert_eq!(assess(&d, &r, y, i64::MAX, CategorySet::key(), &cfg).towns[0].grade, Grade::Green);
    // A single category: only thefts in November → grid A 4 / 0.735 = 5.44 → green (the homicide made it red).
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    let thefts = assess(&d, &r, nov, i64::MAX, CategorySet::of(&[EventCategory::Theft]), &cfg);
    assert!(close(thefts.grids[0].weighted, 4.0));
    assert_eq!(thefts.grids[0].grade, Grade::Green);
    assert_eq!(nov.previous().label(), "2026-10");
    assert_eq!(nov.year_before().label(), "2025-11");
    assert_eq!(q4.previous().label(), "2026 Q3");
    // As of 16 November, half of November has passed: the same events weigh twice as much per month.
    let mid = at(2026, 11, 16, 0).timestamp();
    assert!(close(nov.months_until(mid), 0.5));
    let half = assess(&d, &r, nov, mid, CategorySet::key(), &cfg);
    assert!(close(half.grids[0].normalised, 2.0 * 54.0 / 0.735), "{}", half.grids[0].normalised);
    assert_eq!(half.grids[0].grade, Grade::Red, "146.9 per month at mid-month → red");
    // Events after `as_of` do not count: on 6 November only the two thefts had happened.
    let early = assess(&d, &r, nov, at(2026, 11, 6, 0).timestamp(), CategorySet::key(), &cfg);
    assert!(close(early.grids[0].weighted, 4.0));
}

#[test]
fn explanation_names_categories_and_events() {
    let d = district();
    let r = records(&d);
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    let e = explain(&d, &r, UnitRef::Grid(GridId(0)), nov, i64::MAX, CategorySet::key(), &RiskConfig::default());
    assert_eq!(e.score.grade, Grade::Orange);
    assert_eq!(e.by_category.len(), 2);
    assert_eq!(e.by_category[0].category, EventCategory::Homicide);
    assert!(close(e.by_category[0].weighted, 50.0) && close(e.by_category[0].share, 50.0 / 54.0));
    assert_eq!((e.by_category[1].category, e.by_category[1].events), (EventCategory::Theft, 2));
    assert_eq!(e.top_events[0], (2, 50.0), "the homicide (record 2) weighs most");
    assert_eq!(e.top_events.len(), 3);
    // Same numbers as the assessment.
    let a = assess(&d, &r, nov, i64::MAX, CategorySet::key(), &RiskConfig::default());
    assert_eq!(e.score, a.grids[0]);
}

#[test]
fn report_counts_changes_and_league() {
    let d = district();
    let mut r = records(&d);
    use EventCategory as C;
    // A theft a year ago within the same span (1st–23rd of November 2025), and a dispute today.
    r.push(rec(&d, at(2025, 11, 12, 10), C::Theft, Severity::General, 0, None));
    r.push(rec(&d, at(2026, 11, 23, 8), C::Dispute, Severity::General, 2, None));
    // A theft on 28 October: after the 23rd, so not part of the month-on-month span.
    r.push(rec(&d, at(2026, 10, 28, 8), C::Theft, Severity::General, 0, None));
    let now = at(2026, 11, 23, 9);
    let f = domain_figures(&r, now);
    let criminal = f.iter().find(|x| x.domain == Domain::Criminal).unwrap();
    // Criminal = thefts, vice, fraud, homicide: November 3 (2 thefts + homicide), October 1–23: 2 (theft on the
    // 15th, vice on the 20th; the theft on the 28th is outside the span), November 2025: 1.
    assert_eq!((criminal.day, criminal.month, criminal.month_before, criminal.month_year_ago), (0, 3, 2, 1));
    assert!(close(criminal.mom.unwrap(), 0.5) && close(criminal.yoy.unwrap(), 2.0));
    // The homicide is also an unnatural death.
    assert_eq!(f.iter().find(|x| x.domain == Domain::UnnaturalDeath).unwrap().month, 1);
    let lawsuits = f.iter().find(|x| x.domain == Domain::Lawsuit).unwrap();
    assert_eq!((lawsuits.day, lawsuits.month), (1, 11));
    assert_eq!(lawsuits.mom, None, "nothing the month before: no ratio");
    // Monthly trend of key categories, last 3 months: Sep 0, Oct 3 (2 thefts + vice), Nov 15 (3 + 11 + dispute today).
    let trend = monthly_trend(&r, CategorySet::key(), now, 3);
    assert_eq!(trend.iter().map(|x| x.1).collect::<Vec<_>>(), vec![0, 3, 15]);
    // League: in October town 0 (thefts 2+2=4 / 4.435) was safer than town 1 (vice 4 / 0.1); in November town 1
    // has nothing and overtakes.
    let cfg = RiskConfig::default();
    let nov = Period::containing(PeriodKind::Month, now);
    let a_now = assess(&d, &r, nov, i64::MAX, CategorySet::key(), &cfg);
    let a_before = assess(&d, &r, nov.previous(), i64::MAX, CategorySet::key(), &cfg);
    let table = league_table(&d, &a_now, &a_before, false);
    assert_eq!(table[0].name, "镇1");
    assert_eq!((table[0].rank, table[0].previous_rank, table[0].rank_change()), (1, 2, 1));
    assert_eq!((table[1].rank, table[1].rank_change()), (2, -1));
}

#[test]
fn domain_values_at_each_level() {
    let d = district();
    let r = records(&d);
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    let towns = domain_counts(&d, &r, nov, i64::MAX, Level::Town);
    let k = |dom: Domain| Domain::ALL.iter().position(|x| *x == dom).unwrap();
    // Town 0 in November: criminal = 2 thefts + homicide; lawsuits = 10 disputes; fire = 1 alarm;
    // unnatural deaths = the homicide. Town 1: nothing in November.
    assert_eq!(towns[0][k(Domain::Criminal)], 3);
    assert_eq!(towns[0][k(Domain::Lawsuit)], 10);
    assert_eq!(towns[0][k(Domain::Fire)], 1);
    assert_eq!(towns[0][k(Domain::UnnaturalDeath)], 1);
    assert_eq!(towns[1], [0; 7]);
    let grids = domain_counts(&d, &r, nov, i64::MAX, Level::Grid);
    assert_eq!(grids[0][k(Domain::Criminal)], 3);
    assert_eq!(grids[2][k(Domain::Lawsuit)], 10);
    // The levels add up.
    let comms = domain_counts(&d, &r, nov, i64::MAX, Level::Community);
    for dom in 0..7 {
        assert_eq!(comms.iter().map(|c| c[dom]).sum::<u32>(), towns.iter().map(|t| t[dom]).sum::<u32>());
        assert_eq!(grids.iter().map(|c| c[dom]).sum::<u32>(), towns.iter().map(|t| t[dom]).sum::<u32>());
    }
    // October: town 1's vice case is criminal.
    let oct = nov.previous();
    assert_eq!(domain_counts(&d, &r, oct, i64::MAX, Level::Town)[1][k(Domain::Criminal)], 1);
}
