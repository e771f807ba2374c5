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

/// Every unit of the fixture above buildings, district first.
fn units(d: &District) -> Vec<UnitRef> {
    let towns = d.towns.iter().map(|t| UnitRef::Town(t.id));
    let communities = d.communities.iter().map(|c| UnitRef::Community(c.id));
    let grids = d.grids.iter().map(|g| UnitRef::Grid(g.id));
    std::iter::once(UnitRef::District).chain(towns).chain(communities).chain(grids).collect()
}

#[test]
fn explanation_rolls_up_to_the_children_scores() {
    let d = district();
    let mut r = records(&d);
    // An event naming a town the district does not have counts for the district, at no child.
    let mut stray = rec(&d, at(2026, 11, 20, 9), EventCategory::Theft, Severity::General, 3, None);
    stray.town = TownId(9);
    r.push(stray);
    let cfg = RiskConfig::default();
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    let a = assess(&d, &r, nov, i64::MAX, CategorySet::key(), &cfg);
    for unit in units(&d) {
        let e = explain(&d, &r, unit, nov, i64::MAX, CategorySet::key(), &cfg);
        assert_eq!(e.score, *a.unit(unit), "{unit:?}: the same score as the assessment");
        // Each child's part is the child's own score, and every child with an event is there.
        for c in &e.by_child {
            let own = a.unit(c.unit);
            assert!(close(c.weighted, own.weighted) && c.events == own.events, "{unit:?} → {:?}", c.unit);
            assert!(close(c.normalised, own.normalised) && c.grade == own.grade, "{unit:?} → {:?}", c.unit);
            assert!(close(c.share, c.weighted / e.score.weighted), "{unit:?} → {:?}", c.unit);
        }
        assert!(e.by_child.windows(2).all(|w| w[0].weighted >= w[1].weighted), "{unit:?}: largest first");
        let placed: u32 = e.by_child.iter().map(|c| c.events).sum();
        assert_eq!(placed + e.unplaced.map_or(0, |u| u.events), e.score.events, "{unit:?}: every event once");
        // The shares sum to 100 %.
        if e.score.weighted > 0.0 {
            let total: f64 = e.by_child.iter().map(|c| c.share).sum::<f64>() + e.unplaced.map_or(0.0, |u| u.share);
            assert!(close(total, 1.0), "{unit:?}: shares sum to {total}");
        }
    }
    // The district: town 0 (70) and the stray theft (2) → 70/72 and 2/72; town 1 had nothing in November.
    let e = explain(&d, &r, UnitRef::District, nov, i64::MAX, CategorySet::key(), &cfg);
    assert_eq!(e.by_child.len(), 1);
    assert_eq!(e.by_child[0].unit, UnitRef::Town(TownId(0)));
    assert!(close(e.by_child[0].share, 70.0 / 72.0));
    assert!(e.unplaced.is_some_and(|u| u.events == 1 && close(u.share, 2.0 / 72.0)));
    // Town 0 = community X (54) + community Y (16): shares add up to exactly 1 with nothing unplaced.
    let e = explain(&d, &r, UnitRef::Town(TownId(0)), nov, i64::MAX, CategorySet::key(), &cfg);
    let units: Vec<UnitRef> = e.by_child.iter().map(|c| c.unit).collect();
    assert_eq!(units, vec![UnitRef::Community(CommunityId(0)), UnitRef::Community(CommunityId(1))]);
    assert!(close(e.by_child[0].share, 54.0 / 70.0) && close(e.by_child[1].share, 16.0 / 70.0));
    assert!(e.unplaced.is_none());
    assert_eq!((e.by_child[0].grade, e.by_child[1].grade), (Grade::Orange, Grade::Green));
    // Grid A: the homicide in building 0 (50, red) and the two thefts at no building (4).
    let e = explain(&d, &r, UnitRef::Grid(GridId(0)), nov, i64::MAX, CategorySet::key(), &cfg);
    assert_eq!(e.by_child.len(), 1);
    assert_eq!((e.by_child[0].unit, e.by_child[0].grade), (UnitRef::Building(BuildingId(0)), Grade::Red));
    assert!(close(e.by_child[0].share, 50.0 / 54.0));
    assert!(e.unplaced.is_some_and(|u| u.events == 2 && close(u.weighted, 4.0)));
    // A building has no children.
    let e = explain(&d, &r, UnitRef::Building(BuildingId(0)), nov, i64::MAX, CategorySet::key(), &cfg);
    assert!(e.by_child.is_empty() && e.unplaced.is_none() && close(e.score.weighted, 50.0));
}

#[test]
fn domain_figures_at_every_level_add_up() {
    use pingan_core::report::{Span, Tally, domain_figures_in, unit_figures};
    let d = district();
    let mut r = records(&d);
    use EventCategory as C;
    r.push(rec(&d, at(2025, 11, 12, 10), C::Theft, Severity::General, 0, None));
    r.push(rec(&d, at(2025, 3, 2, 10), C::Vice, Severity::General, 3, None));
    r.push(rec(&d, at(2026, 11, 23, 8), C::Dispute, Severity::General, 2, None));
    r.push(rec(&d, at(2026, 10, 28, 8), C::Theft, Severity::General, 1, None));
    let now = at(2026, 11, 23, 9);
    let table = unit_figures(&d, &r, now);
    // One pass agrees with the tally of each unit, and the district's with the district-only figures.
    for unit in units(&d) {
        assert_eq!(table.unit(unit), Some(domain_figures_in(&r, now, unit)), "{unit:?}");
    }
    assert_eq!(table.unit(UnitRef::District), Some(domain_figures(&r, now)));
    assert_eq!(table.unit(UnitRef::Building(BuildingId(0))), None);
    assert_eq!(table.unit(UnitRef::Town(TownId(7))), None);
    // Every figure of every domain: the towns add up to the district, a town's communities to the town, a
    // community's grids to the community.
    let fields = |f: &pingan_core::report::DomainFigures| {
        [f.day, f.month, f.year, f.month_before, f.month_year_ago, f.year_before]
    };
    let sum = |parts: Vec<UnitRef>| -> Vec<[u32; 6]> {
        let mut total = vec![[0u32; 6]; 7];
        for u in parts {
            for (k, f) in table.unit(u).unwrap().iter().enumerate() {
                for (x, y) in total[k].iter_mut().zip(fields(f)) {
                    *x += y;
                }
            }
        }
        total
    };
    let of = |u: UnitRef| table.unit(u).unwrap().iter().map(fields).collect::<Vec<_>>();
    assert_eq!(sum(d.towns.iter().map(|t| UnitRef::Town(t.id)).collect()), of(UnitRef::District));
    for t in &d.towns {
        assert_eq!(sum(t.communities.iter().map(|c| UnitRef::Community(*c)).collect()), of(UnitRef::Town(t.id)));
    }
    for c in &d.communities {
        assert_eq!(sum(c.grids.iter().map(|g| UnitRef::Grid(*g)).collect()), of(UnitRef::Community(c.id)));
    }
    // By hand: town 0's criminal cases — November: 2 thefts + the homicide (grid A); 1–23 October: the theft on
    // the 15th (the one on the 28th is past the span); November 2025: one theft.
    let town0 = domain_figures_in(&r, now, UnitRef::Town(TownId(0)));
    let c = town0.iter().find(|f| f.domain == Domain::Criminal).unwrap();
    assert_eq!((c.day, c.month, c.month_before, c.month_year_ago), (0, 3, 1, 1));
    assert!(close(c.mom.unwrap(), 2.0) && close(c.yoy.unwrap(), 2.0));
    // Town 1's vice case in March 2025 is last year's year to date; this year it has October's vice case only.
    let town1 = domain_figures_in(&r, now, UnitRef::Town(TownId(1)));
    let c = town1.iter().find(|f| f.domain == Domain::Criminal).unwrap();
    assert_eq!((c.month, c.year, c.year_before, c.ytd_yoy), (0, 1, 1, Some(0.0)));
    // A tile's figure is a tally within the unit.
    let tally = Tally::domain(Domain::Lawsuit, Span::Day, now).within(UnitRef::Community(CommunityId(1)));
    let y = domain_figures_in(&r, now, UnitRef::Community(CommunityId(1)));
    assert_eq!(tally.count(&r), y.iter().find(|f| f.domain == Domain::Lawsuit).unwrap().day);
    assert_eq!(tally.count(&r), 1, "today's dispute in grid C");
}

#[test]
fn league_within_a_town_ranks_its_communities() {
    use pingan_core::report::league_within;
    let d = district();
    let r = records(&d);
    let cfg = RiskConfig::default();
    let nov = Period::containing(PeriodKind::Month, at(2026, 11, 23, 9));
    let a_now = assess(&d, &r, nov, i64::MAX, CategorySet::key(), &cfg);
    let a_before = assess(&d, &r, nov.previous(), i64::MAX, CategorySet::key(), &cfg);
    assert_eq!(
        league_within(&d, &a_now, &a_before, UnitRef::District),
        (Level::Town, league_table(&d, &a_now, &a_before, false))
    );
    // Town 0: community Y (16 / 3.7 = 4.3) is safer than X (73.5) this month; in October X had a theft, Y nothing.
    let (level, rows) = league_within(&d, &a_now, &a_before, UnitRef::Town(TownId(0)));
    assert_eq!(level, Level::Community);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["社区1", "社区0"]);
    assert_eq!((rows[0].unit, rows[0].rank, rows[0].previous_rank), (1, 1, 1));
    assert_eq!((rows[1].unit, rows[1].rank, rows[1].events), (0, 2, 3));
    // Community X: its grids A and B, B safest; a grid is ranked among its community's grids.
    let (level, rows) = league_within(&d, &a_now, &a_before, UnitRef::Community(CommunityId(0)));
    assert_eq!((level, rows.iter().map(|r| r.unit).collect::<Vec<_>>()), (Level::Grid, vec![1, 0]));
    assert_eq!(league_within(&d, &a_now, &a_before, UnitRef::Grid(GridId(0))).1, rows);
    assert_eq!(league_within(&d, &a_now, &a_before, UnitRef::Building(BuildingId(0))).1, rows);
}
