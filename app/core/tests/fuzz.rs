//! Fuzz tests (proptest) of everything in `pingan-core` that reads data from outside: the GeoJSON importer, the
//! command decoder and validator, and changes from the log applied to a [`Situation`]. Random and mutated input
//! (bit flips, truncations, inserted garbage, random JSON, mutations of valid documents, random typed values): no
//! input may panic, and every refusal is a typed error, a [`Problem`](pingan_core::import::Problem) or a reason.
//!
//! CI runs 256 cases per property (`PROPTEST_CASES` overrides that). A long run loops every property over fresh
//! random seeds until its share of `PINGAN_FUZZ_SECS` has passed (the budget is divided evenly between the six
//! properties of this file, which then run one after another) and prints the cases each ran. The ten-minute run
//! of all the fuzz tests (this file, then `app/store/tests/fuzz_sse.rs`; about 67 s per property):
//!
//! ```text
//! PINGAN_FUZZ_SECS=400 cargo test --release -p pingan-core --test fuzz -- --test-threads=1 --nocapture
//! PINGAN_FUZZ_SECS=200 cargo test --release -p pingan-store --test fuzz_sse -- --test-threads=1 --nocapture
//! ```
//!
//! A failure prints the smallest input proptest found; `PROPTEST_RNG_SEED=N` replays a run.

use pingan_core::import::{Crs, ImportAs, ImportError, MAX_HEIGHT_M, parse_with_progress};
use pingan_core::sync::{ChangeBody, ClientCommand, CommandBody};
use pingan_core::validate::{
    MAX_NAME, MAX_NOTE, MAX_PLACE, MAX_REASON, MAX_TITLE, MAX_WORKER_GRIDS, check_change, check_command, check_event,
    check_worker, retain_fitting,
};
use pingan_core::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------------------------
// The harness: a bounded run in CI, a timed loop over fresh seeds with PINGAN_FUZZ_SECS.

/// How many properties share `PINGAN_FUZZ_SECS` (the `fuzz(…)` calls in this file).
const PROPERTIES: u32 = 6;

fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config { failure_persistence: None, ..Config::default() };
    let share = std::env::var("PINGAN_FUZZ_SECS").ok().map(|s| {
        let secs: f64 = s.trim().parse().expect("PINGAN_FUZZ_SECS: a number of seconds");
        Duration::from_secs_f64(secs.max(0.0) / f64::from(PROPERTIES))
    });
    let (start, cases, mut runs) = (Instant::now(), Cell::new(0u64), 0u32);
    loop {
        runs += 1;
        let mut runner = TestRunner::new(config.clone());
        let outcome = runner.run(&strategy, |v| {
            cases.set(cases.get() + 1);
            test(v)
        });
        if let Err(e) = outcome {
            panic!("{name}: {e}");
        }
        if share.is_none_or(|s| start.elapsed() >= s) {
            break;
        }
    }
    eprintln!("FUZZ {name}: {} cases in {runs} runs, {:.1} s", cases.get(), start.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------------------------
// Byte mutations.

#[derive(Clone, Debug)]
enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Cut the text short.
    Truncate(Index),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
    /// Remove up to n bytes.
    Delete(Index, usize),
    /// Copy a piece of the text elsewhere.
    Splice(Index, Index, usize),
    /// Overwrite one byte.
    Set(Index, u8),
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"-",
    b"1e999",
    b"-0",
    b"NaN",
    b"\\u0000",
    b"\\ud800",
    b"\xEF\xBB\xBF",
    b"\xff",
    b"\xe4\xb8",
    b"\n",
    b"\r\n",
    b"0.",
    b"123456789012345678901234567890",
    b"true",
    b"\"type\":\"Feature\"",
    b"\"coordinates\":",
    b"[[[",
    b"]]]",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let garbage =
        prop_oneof![prop::collection::vec(any::<u8>(), 1..8), prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec),];
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), garbage).prop_map(|(i, g)| Mutation::Insert(i, g)),
        2 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), any::<Index>(), 1usize..64).prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let n = bytes.len();
        match m {
            Mutation::Flip(i, b) if n > 0 => bytes[i.index(n)] ^= 1 << b,
            Mutation::Truncate(i) if n > 0 => bytes.truncate(i.index(n)),
            Mutation::Insert(i, g) => {
                let at = i.index(n + 1);
                bytes.splice(at..at, g.iter().copied());
            }
            Mutation::Delete(i, k) if n > 0 => {
                let at = i.index(n);
                bytes.drain(at..(at + k).min(n));
            }
            Mutation::Splice(a, b, k) if n > 0 => {
                let from = a.index(n);
                let piece = bytes[from..(from + k).min(n)].to_vec();
                let to = b.index(n + 1);
                bytes.splice(to..to, piece);
            }
            Mutation::Set(i, b) if n > 0 => bytes[i.index(n)] = *b,
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Random JSON.

const WORDS: &[&str] = &[
    "",
    " ",
    "Feature",
    "FeatureCollection",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Topology",
    "town",
    "building",
    "grid",
    "community",
    "district",
    "楼幢",
    "NaN",
    "inf",
    "-inf",
    "-3",
    "0",
    "12层",
    "38.5m",
    "1e400",
    "abc",
    "330110",
    "330110001",
    "330110001001",
    "330110001001001000000000000",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "gcj02",
    "report",
    "act",
    "worker_position",
    "worker_join",
    "Accept",
    "Patrolling",
    "OffDuty",
    "Reported",
    "Closed",
    "2026-11-23T01:00:00Z",
    "+262142-12-31T23:59:59Z",
    "\u{0}",
    "\u{202e}",
    "中文",
];

const KEYS: &[&str] = &[
    "type",
    "features",
    "geometry",
    "properties",
    "coordinates",
    "crs",
    "name",
    "level",
    "adcode",
    "code",
    "height",
    "高度",
    "floors",
    "层数",
    "levels",
    "population",
    "人口",
    "key",
    "at",
    "body",
    "event",
    "action",
    "worker",
    "position",
    "status",
    "lon",
    "lat",
    "id",
    "grids",
    "commands",
    "seq",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![0.0, -1.0, 1.0, 120.1, 30.3, 180.0, -90.0, 1e308, -1e-308, 999.9, 1000.1])
            .prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        prop::collection::vec(any::<char>(), 0..12).prop_map(|c| Value::String(c.into_iter().collect())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------------------------
// GeoJSON-shaped documents.

fn coord() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => (119.99..120.02f64, 29.99..30.02f64).prop_map(|(a, b)| json!([a, b])),
        1 => (any::<f64>(), any::<f64>()).prop_map(|(a, b)| json!([a, b])),
        1 => (-1e7..1e7f64, -1e7..1e7f64, any::<f64>()).prop_map(|(a, b, c)| json!([a, b, c])),
        1 => json_value(),
    ]
}

fn ring() -> impl Strategy<Value = Value> {
    prop_oneof![
        // A square, closed.
        3 => (119.99..120.02f64, 29.99..30.02f64, 1e-6..0.01f64).prop_map(|(x, y, d)| {
            json!([[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]])
        }),
        // Random points, closed or not.
        2 => (prop::collection::vec(coord(), 0..8), any::<bool>()).prop_map(|(mut pts, close)| {
            if close && let Some(first) = pts.first().cloned() {
                pts.push(first);
            }
            Value::Array(pts)
        }),
        1 => json_value(),
    ]
}

fn geometry() -> impl Strategy<Value = Value> {
    let polygon = || prop::collection::vec(ring(), 0..3).prop_map(Value::Array);
    prop_oneof![
        2 => coord().prop_map(|c| json!({"type": "Point", "coordinates": c})),
        1 => prop::collection::vec(coord(), 0..4).prop_map(|c| json!({"type": "MultiPoint", "coordinates": c})),
        1 => prop::collection::vec(coord(), 0..5).prop_map(|c| json!({"type": "LineString", "coordinates": c})),
        1 => prop::collection::vec(prop::collection::vec(coord(), 0..4), 0..3)
            .prop_map(|c| json!({"type": "MultiLineString", "coordinates": c})),
        4 => polygon().prop_map(|c| json!({"type": "Polygon", "coordinates": c})),
        2 => prop::collection::vec(polygon(), 0..3).prop_map(|c| json!({"type": "MultiPolygon", "coordinates": c})),
        1 => (prop::sample::select(WORDS), json_value()).prop_map(|(t, c)| json!({"type": t, "coordinates": c})),
        1 => json_value(),
    ]
}

fn property_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(Value::from),
        3 => prop::sample::select(vec![-5.0, -0.0, 0.0, 0.5, 3.0, 12.0, 38.5, 299.0, 300.0, 301.0, 999.0, 1000.0,
            1000.5, 1e12, 1e308])
            .prop_map(Value::from),
        1 => json_leaf(),
    ]
}

fn properties() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::collection::vec((prop::sample::select(KEYS), property_value()), 0..5)
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        1 => Just(Value::Null),
        1 => json_value(),
    ]
}

fn feature() -> impl Strategy<Value = Value> {
    prop_oneof![
        10 => (properties(), geometry()).prop_map(|(p, g)| json!({"type": "Feature", "properties": p, "geometry": g})),
        1 => json_value(),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (prop::collection::vec(feature(), 0..10), prop::option::of(prop::sample::select(WORDS))).prop_map(
            |(f, crs)| match crs {
                Some(name) => json!({"type": "FeatureCollection", "crs": {"properties": {"name": name}}, "features": f}),
                None => json!({"type": "FeatureCollection", "features": f}),
            }
        ),
        1 => feature(),
        1 => json_value(),
    ]
}

fn crs_and_kind() -> impl Strategy<Value = (Crs, ImportAs)> {
    (prop::sample::select(Crs::ALL.to_vec()), prop::sample::select(ImportAs::ALL.to_vec()))
}

fn valid(p: &LonLat) -> bool {
    LonLat::try_new(p.lon, p.lat).is_ok()
}

/// Import `bytes` and check what came out: every feature either imported or a problem, never both; everything
/// imported within its rules.
fn check_import(bytes: &[u8], crs: Crs, as_: ImportAs) -> Result<(), TestCaseError> {
    let mut calls = Vec::new();
    let got = match parse_with_progress(bytes, crs, as_, &mut |done, total| calls.push((done, total))) {
        Ok(got) => got,
        Err(e) => {
            prop_assert!(matches!(e, ImportError::NotJson(_) | ImportError::NotGeoJson(_)), "{e:?}");
            prop_assert!(!e.to_string().is_empty());
            return Ok(());
        }
    };
    prop_assert_eq!(calls.first(), Some(&(0, got.features)));
    let mut imported = BTreeSet::new();
    for u in &got.units {
        imported.insert(u.feature);
        prop_assert!(!u.polygons.is_empty(), "unit {} without polygons", u.feature);
        for rings in &u.polygons {
            prop_assert!(!rings.is_empty());
            for r in rings {
                prop_assert!(r.len() >= 4 && r.first() == r.last() && r.iter().all(valid), "ring {r:?}");
            }
        }
        prop_assert!(u.population.is_none_or(|p| p.is_finite() && p >= 0.0));
    }
    for b in &got.buildings {
        imported.insert(b.feature);
        prop_assert!(b.height.is_finite() && b.height > 0.0 && b.height <= MAX_HEIGHT_M, "height {}", b.height);
        prop_assert!(!b.polygons.is_empty(), "building {} without polygons", b.feature);
        prop_assert!(b.polygons.iter().flatten().all(|r| r.len() >= 4 && r.iter().all(valid)));
    }
    for p in &got.pois {
        imported.insert(p.feature);
        prop_assert!(valid(&p.position), "{p:?}");
    }
    for r in &got.roads {
        imported.insert(r.feature);
        prop_assert!(!r.lines.is_empty(), "road {} without lines", r.feature);
        prop_assert!(r.lines.iter().all(|l| l.len() >= 2 && l.iter().all(valid)));
    }
    let problems: BTreeSet<usize> = got.problems.iter().map(|p| p.feature).collect();
    prop_assert_eq!(problems.len(), got.problems.len(), "one problem per feature");
    prop_assert!(imported.is_disjoint(&problems), "imported and refused: {:?}", imported.intersection(&problems));
    let all: BTreeSet<usize> = imported.union(&problems).copied().collect();
    prop_assert_eq!(all, (0..got.features).collect::<BTreeSet<_>>(), "every feature imported or a problem");
    for p in &got.problems {
        let prefix = format!("feature {}: ", p.feature);
        prop_assert!(p.to_string().starts_with(&prefix) && !p.message.is_empty(), "{p:?}");
    }
    Ok(())
}

#[test]
fn the_importer_survives_mutated_documents() {
    let strategy = (document(), prop::collection::vec(mutation(), 0..6), crs_and_kind(), any::<bool>());
    fuzz("importer, mutated bytes", strategy, |(doc, mutations, (crs, as_), bom)| {
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        bytes.extend(serde_json::to_vec(&doc).unwrap());
        mutate(&mut bytes, &mutations);
        check_import(&bytes, crs, as_)
    });
}

#[test]
fn the_importer_reads_random_geojson_and_random_json() {
    let strategy = (document(), crs_and_kind(), any::<bool>());
    fuzz("importer, random documents", strategy, |(doc, (crs, as_), pretty)| {
        let bytes = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
        check_import(&bytes, crs, as_)?;
        // Without a mark it reads exactly as with one.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&bytes);
        let (a, b) = (
            pingan_core::import::parse(&bytes, crs, as_).map_err(|e| e.to_string()),
            pingan_core::import::parse(&bom, crs, as_).map_err(|e| e.to_string()),
        );
        prop_assert_eq!(a, b);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------------------------
// A small district by hand (pingan-demo is not a dependency of pingan-core): two towns, three communities, four
// grids with distinct codes, two buildings. The map is 120.00–120.01 E, 30.00–30.01 N.

fn district() -> &'static District {
    static D: std::sync::OnceLock<District> = std::sync::OnceLock::new();
    D.get_or_init(|| {
        let county = AddressCode::county(330110).unwrap();
        let sq = Polygon::from_exterior(vec![
            LonLat::new(120.0, 30.0),
            LonLat::new(120.01, 30.0),
            LonLat::new(120.01, 30.01),
            LonLat::new(120.0, 30.01),
            LonLat::new(120.0, 30.0),
        ]);
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
                code: county.child(u32::from(t) + 1).unwrap(),
                outline: sq.clone(),
                label_at: LonLat::new(120.005, 30.005),
                stats: UnitStats::default(),
                communities: vec![],
            });
        }
        for (c, t) in [0u16, 0, 1].into_iter().enumerate() {
            d.towns[usize::from(t)].communities.push(CommunityId(c as u32));
            let code = d.towns[usize::from(t)].code.child(c as u32 + 1).unwrap();
            d.communities.push(Community {
                id: CommunityId(c as u32),
                town: TownId(t),
                name: format!("社区{c}"),
                kind: CommunityKind::Community,
                code,
                outline: sq.clone(),
                label_at: LonLat::new(120.005, 30.005),
                stats: UnitStats::default(),
                grids: vec![],
            });
        }
        for (g, c) in [0u32, 0, 1, 2].into_iter().enumerate() {
            let comm = &mut d.communities[c as usize];
            comm.grids.push(GridId(g as u32));
            let code = comm.code.child(g as u32 + 1).unwrap();
            let town = comm.town;
            d.grids.push(Grid {
                id: GridId(g as u32),
                community: CommunityId(c),
                town,
                name: format!("网格{g}"),
                code,
                outline: sq.clone(),
                label_at: LonLat::new(120.005, 30.005),
                stats: UnitStats::default(),
                buildings: vec![],
            });
        }
        for (b, g) in [0u32, 2].into_iter().enumerate() {
            d.grids[g as usize].buildings.push(BuildingId(b as u32));
            let code = d.grids[g as usize].code.child(b as u32 + 1).unwrap();
            d.buildings.push(Building {
                id: BuildingId(b as u32),
                grid: GridId(g),
                name: format!("{}幢", b + 1),
                code,
                kind: BuildingKind::MidRise,
                footprint: sq.clone(),
                height_m: 18.0,
                floors: 6,
                households: 100,
                population: 300,
            });
        }
        d
    })
}

/// The server's clock in these tests.
fn now() -> Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z").unwrap().to_utc()
}

/// Every address code worth trying: the district's own, its units', one of another county, rooms below buildings.
fn codes() -> Vec<AddressCode> {
    let d = district();
    let mut out = vec![d.code, AddressCode::county(330106).unwrap()];
    out.extend(d.towns.iter().map(|t| t.code));
    out.extend(d.communities.iter().map(|c| c.code));
    out.extend(d.grids.iter().map(|g| g.code));
    out.extend(d.buildings.iter().map(|b| b.code));
    out.push(AddressCode::from_parts([330110, 1, 1, 1, 1, 1, 2, 3]).unwrap());
    out.push(AddressCode::from_parts([330106, 1, 1, 1, 1, 0, 0, 0]).unwrap());
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Typed random values.

fn time() -> impl Strategy<Value = Timestamp> {
    let t0 = now();
    prop_oneof![
        6 => (-30 * 86_400i64..86_400).prop_map(move |s| t0 + chrono::Duration::seconds(s)),
        2 => (0i64..900).prop_map(move |s| t0 + chrono::Duration::seconds(s)),
        1 => (0i64..4_102_444_800, 0u32..1_000_000_000)
            .prop_map(|(s, n)| chrono::DateTime::from_timestamp(s, n).unwrap()),
        1 => prop::sample::select(vec![chrono::DateTime::<chrono::Utc>::MIN_UTC, chrono::DateTime::<chrono::Utc>::MAX_UTC]),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z 0-9]{0,12}",
        2 => prop::collection::vec(any::<char>(), 0..16).prop_map(String::from_iter),
        1 => prop::sample::select(vec![0usize, 1, 40, 41, 64, 65, 200, 201, 1000, 1001, 2000, 2001])
            .prop_map(|n| "字".repeat(n)),
        1 => prop::sample::select(vec!["a\nb\tc", "\u{7}", "\r", "\u{0}", "\u{202e}", " "]).prop_map(String::from),
    ]
}

/// A position: mostly on the map, sometimes beside it, sometimes anywhere or not a number at all.
fn position(finite: bool) -> impl Strategy<Value = LonLat> {
    let any_f = if finite { (-1e6..1e6f64).boxed() } else { any::<f64>().boxed() };
    prop_oneof![
        6 => (119.99..120.02f64, 29.99..30.02f64).prop_map(|(lon, lat)| LonLat { lon, lat }),
        1 => (119.0..121.0f64, 29.0..31.0f64).prop_map(|(lon, lat)| LonLat { lon, lat }),
        1 => (any_f.clone(), any_f).prop_map(|(lon, lat)| LonLat { lon, lat }),
    ]
}

/// An id: mostly small (in or just past the district's ranges), sometimes anything.
fn small_or_any<T: Arbitrary + From<u8> + std::fmt::Debug + Clone + 'static>() -> impl Strategy<Value = T> {
    prop_oneof![6 => (0u8..8).prop_map(T::from), 1 => any::<T>()]
}

fn worker_id() -> impl Strategy<Value = WorkerId> {
    small_or_any::<u32>().prop_map(WorkerId)
}

fn event_id() -> impl Strategy<Value = EventId> {
    small_or_any::<u64>().prop_map(EventId)
}

fn action() -> impl Strategy<Value = EventAction> {
    prop_oneof![
        Just(EventAction::Accept),
        worker_id().prop_map(|worker| EventAction::Assign { worker }),
        Just(EventAction::StartDisposal),
        text().prop_map(|note| EventAction::SubmitFeedback { note }),
        text().prop_map(|note| EventAction::Close { note, outcome: None }),
        text().prop_map(|note| EventAction::Rework { note }),
        text().prop_map(|reason| EventAction::Escalate { reason }),
        text().prop_map(|reason| EventAction::Reopen { reason }),
    ]
}

fn state() -> impl Strategy<Value = EventState> {
    prop::sample::select(EventState::ALL.to_vec())
}

fn status_change() -> impl Strategy<Value = StatusChange> {
    (time(), state(), state(), action()).prop_map(|(at, from, to, action)| StatusChange {
        at,
        from,
        to,
        action,
        level: None,
        deadline: None,
        prior: None,
    })
}

fn source() -> impl Strategy<Value = EventSource> {
    prop_oneof![
        worker_id().prop_map(EventSource::GridWorker),
        Just(EventSource::Sensor(SensorKind::SmokeDetector)),
        Just(EventSource::Hotline),
        Just(EventSource::Police),
    ]
}

/// An event: half of them close to one that fits the district (so that the validator's yes is tested too), the
/// other half anything.
fn event(finite: bool) -> impl Strategy<Value = Event> {
    prop_oneof![near_fitting_event(finite), random_event(finite)]
}

/// One field of an event set to something random.
#[derive(Clone, Debug)]
enum Tweak {
    Town(u16),
    Community(u32),
    Grid(u32),
    Building(Option<u32>),
    Address(AddressCode),
    Position(LonLat),
    Reported(Timestamp),
    Deadline(Timestamp),
    Number(String),
    Title(String),
    Place(String),
    Assignee(Option<WorkerId>),
    State(EventState),
    History(Vec<StatusChange>),
}

fn tweak(finite: bool) -> impl Strategy<Value = Tweak> {
    prop_oneof![
        small_or_any::<u16>().prop_map(Tweak::Town),
        small_or_any::<u32>().prop_map(Tweak::Community),
        small_or_any::<u32>().prop_map(Tweak::Grid),
        prop::option::of(small_or_any::<u32>()).prop_map(Tweak::Building),
        prop::sample::select(codes()).prop_map(Tweak::Address),
        position(finite).prop_map(Tweak::Position),
        time().prop_map(Tweak::Reported),
        time().prop_map(Tweak::Deadline),
        text().prop_map(Tweak::Number),
        text().prop_map(Tweak::Title),
        text().prop_map(Tweak::Place),
        prop::option::of(worker_id()).prop_map(Tweak::Assignee),
        state().prop_map(Tweak::State),
        prop::collection::vec(status_change(), 0..3).prop_map(Tweak::History),
    ]
}

/// A fitting event (in any grid, at its building or not) with up to two fields set to something random.
fn near_fitting_event(finite: bool) -> impl Strategy<Value = Event> {
    (event_id(), 0..4usize, any::<bool>(), prop::collection::vec(tweak(finite), 0..3)).prop_map(
        |(id, g, at_building, tweaks)| {
            let d = district();
            let mut e = fitting_event(id.0, g);
            if at_building && let Some(b) = d.buildings.iter().find(|b| b.grid.index() == g) {
                e.building = Some(b.id);
                e.address = b.code;
            }
            for t in tweaks {
                match t {
                    Tweak::Town(v) => e.town = TownId(v),
                    Tweak::Community(v) => e.community = CommunityId(v),
                    Tweak::Grid(v) => e.grid = GridId(v),
                    Tweak::Building(v) => e.building = v.map(BuildingId),
                    Tweak::Address(v) => e.address = v,
                    Tweak::Position(v) => e.position = v,
                    Tweak::Reported(v) => e.reported_at = v,
                    Tweak::Deadline(v) => e.deadline = v,
                    Tweak::Number(v) => e.number = v,
                    Tweak::Title(v) => e.title = v,
                    Tweak::Place(v) => e.place = v,
                    Tweak::Assignee(v) => e.assignee = v,
                    Tweak::State(v) => e.state = v,
                    Tweak::History(v) => e.history = v,
                }
            }
            e
        },
    )
}

fn random_event(finite: bool) -> impl Strategy<Value = Event> {
    let ids = (event_id(), small_or_any::<u16>(), small_or_any::<u32>(), small_or_any::<u32>());
    let refs = (prop::option::of(small_or_any::<u32>()), prop::sample::select(codes()), source());
    let texts = (text(), text(), text());
    let kind = (prop::sample::select(EventCategory::ALL.to_vec()), prop::sample::select(Severity::ALL.to_vec()));
    let times = (time(), time(), state(), prop::option::of(worker_id()));
    let history = prop::collection::vec(status_change(), 0..3);
    (ids, refs, texts, kind, position(finite), times, history).prop_map(
        |(
            (id, town, community, grid),
            (building, address, source),
            (number, title, place),
            (category, severity),
            position,
            (reported_at, deadline, state, assignee),
            history,
        )| Event {
            id,
            number,
            category,
            severity,
            title,
            position,
            address,
            place,
            town: TownId(town),
            community: CommunityId(community),
            grid: GridId(grid),
            building: building.map(BuildingId),
            source,
            reported_at,
            deadline,
            level: Default::default(),
            state,
            assignee,
            history,
            evidence: None,
            linked: Vec::new(),
            acknowledged: None,
        },
    )
}

/// An event that fits the district (what a fitting situation starts from), in grid `g`.
fn fitting_event(id: u64, g: usize) -> Event {
    let d = district();
    let grid = &d.grids[g];
    Event {
        id: EventId(id),
        number: format!("YH-{id}"),
        category: EventCategory::Dispute,
        severity: Severity::General,
        title: "纠纷".into(),
        position: LonLat::new(120.005, 30.005),
        address: grid.code,
        place: "x".into(),
        town: grid.town,
        community: grid.community,
        grid: grid.id,
        building: None,
        source: EventSource::Hotline,
        reported_at: now() - chrono::Duration::hours(2),
        deadline: now() + chrono::Duration::hours(46),
        level: Default::default(),
        state: EventState::Reported,
        assignee: None,
        history: Vec::new(),
        evidence: None,
        linked: Vec::new(),
        acknowledged: None,
    }
}

fn fitting_worker(id: u32) -> GridWorker {
    GridWorker {
        id: WorkerId(id),
        name: format!("网格员{id}"),
        kind: WorkerKind::FullTime,
        phone: "13800000000".into(),
        grids: vec![GridId(id % 4)],
        status: WorkerStatus::Patrolling,
        position: LonLat::new(120.004, 30.004),
        seen_at: now() - chrono::Duration::minutes(10),
    }
}

fn fitting_situation() -> Situation {
    Situation {
        events: vec![fitting_event(1, 0), fitting_event(2, 2)],
        workers: vec![fitting_worker(0), fitting_worker(1)],
        task_books: Vec::new(),
    }
}

fn worker_status() -> impl Strategy<Value = WorkerStatus> {
    prop_oneof![
        Just(WorkerStatus::Patrolling),
        Just(WorkerStatus::OffDuty),
        event_id().prop_map(WorkerStatus::Handling),
    ]
}

/// A worker, half of them fitting the district; `max_id` bounds the id (see [`change`] for why).
fn worker(finite: bool, max_id: u32) -> impl Strategy<Value = GridWorker> {
    let fitting = (0..=max_id.min(12), prop::collection::vec(0u32..4, 1..3), worker_status(), time()).prop_map(
        |(id, grids, status, seen_at)| GridWorker {
            grids: grids.into_iter().map(GridId).collect(),
            status,
            seen_at,
            ..fitting_worker(id)
        },
    );
    prop_oneof![fitting, random_worker(finite, max_id)]
}

fn random_worker(finite: bool, max_id: u32) -> impl Strategy<Value = GridWorker> {
    let grids = prop_oneof![
        8 => prop::collection::vec(small_or_any::<u32>().prop_map(GridId), 0..4),
        1 => prop::sample::select(vec![MAX_WORKER_GRIDS, MAX_WORKER_GRIDS + 1])
            .prop_map(|n| (0..n).map(|i| GridId(i as u32 % 4)).collect()),
    ];
    let kind = prop::sample::select(vec![WorkerKind::FullTime, WorkerKind::PartTime]);
    (0..=max_id, text(), kind, grids, worker_status(), position(finite), time()).prop_map(
        |(id, name, kind, grids, status, position, seen_at)| GridWorker {
            id: WorkerId(id),
            phone: name.chars().rev().collect(),
            name,
            kind,
            grids,
            status,
            position,
            seen_at,
        },
    )
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9-]{1,40}",
        1 => Just(String::new()),
        1 => Just("k".repeat(101)),
        1 => text(),
    ]
}

fn command(finite: bool) -> impl Strategy<Value = ClientCommand> {
    let body = prop_oneof![
        event(finite).prop_map(|e| CommandBody::Report { event: Box::new(e) }),
        (event_id(), action()).prop_map(|(event, action)| CommandBody::Act { event, action }),
        (worker_id(), position(finite), worker_status())
            .prop_map(|(worker, position, status)| CommandBody::WorkerPosition { worker, position, status }),
        worker(finite, u32::MAX).prop_map(|worker| CommandBody::WorkerJoin { worker }),
    ];
    (key(), time(), body).prop_map(|(key, at, body)| ClientCommand { key, at, body })
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

/// Run the validator on a decoded command and check that what it lets through keeps its promises.
fn check_validated(cmd: &ClientCommand) -> Result<(), TestCaseError> {
    let d = district();
    if let Err(why) = check_command(cmd, d, now()) {
        prop_assert!(!why.to_string().is_empty(), "a refusal says why");
        return Ok(());
    }
    prop_assert!(cmd.at <= now() + chrono::Duration::minutes(5));
    prop_assert!(pingan_core::sync::check_key(&cmd.key).is_ok());
    let chars = |s: &str| s.chars().count();
    match &cmd.body {
        CommandBody::Report { event: e } => {
            let grid = d.grids.get(e.grid.index());
            prop_assert!(grid.is_some_and(|g| g.town == e.town && g.community == e.community), "{e:?}");
            prop_assert!(e.town.index() < d.towns.len() && e.community.index() < d.communities.len());
            prop_assert!(e.building.is_none_or(|b| d.buildings.get(b.index()).is_some_and(|b| b.grid == e.grid)));
            prop_assert!(valid(&e.position) && e.address.is_within(&d.code));
            prop_assert!(
                chars(&e.title) <= MAX_TITLE
                    && chars(&e.place) <= MAX_PLACE
                    && e.history.len() <= pingan_core::validate::MAX_HISTORY
            );
            prop_assert!(e.deadline >= e.reported_at);
        }
        CommandBody::Act { action, .. } => match action {
            EventAction::SubmitFeedback { note } | EventAction::Close { note, .. } | EventAction::Rework { note } => {
                prop_assert!(chars(note) <= MAX_NOTE)
            }
            EventAction::Escalate { reason } | EventAction::Reopen { reason } => {
                prop_assert!(chars(reason) <= MAX_REASON)
            }
            _ => {}
        },
        CommandBody::IssueTaskBook { book } => prop_assert!(book.checks.iter().all(|c| c.result.is_none())),
        CommandBody::ReportCheck { note, .. } => prop_assert!(chars(note) <= MAX_NOTE),
        CommandBody::SplitReport { report, .. } => prop_assert!(chars(&report.title) <= MAX_TITLE),
        CommandBody::Acknowledge { .. } => {}
        CommandBody::WorkerPosition { position, .. } => prop_assert!(valid(position)),
        CommandBody::WorkerJoin { worker: w } => {
            prop_assert!(!w.grids.is_empty() && w.grids.len() <= MAX_WORKER_GRIDS);
            prop_assert!(w.grids.iter().all(|g| g.index() < d.grids.len()));
            prop_assert!(!w.name.trim().is_empty() && chars(&w.name) <= MAX_NAME && valid(&w.position));
        }
    }
    Ok(())
}

/// The body of `POST /v1/commands`, decoded as the server decodes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandsBody {
    commands: Vec<Value>,
}

/// Decode `bytes` as one command and as a batch, and validate whatever decodes.
fn decode_and_check(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(cmd) = serde_json::from_slice::<ClientCommand>(bytes) {
        check_validated(&cmd)?;
    }
    if let Ok(batch) = serde_json::from_slice::<CommandsBody>(bytes) {
        for v in batch.commands {
            if let Ok(cmd) = serde_json::from_value::<ClientCommand>(v) {
                check_validated(&cmd)?;
            }
        }
    }
    Ok(())
}

#[test]
fn the_command_decoder_and_validator_survive_mutated_and_random_bodies() {
    let input = prop_oneof![
        // Valid commands, one or a batch, mutated.
        3 => (prop::collection::vec(command(true), 1..4), any::<bool>(), prop::collection::vec(mutation(), 0..5))
            .prop_map(|(cmds, batch, mutations)| {
                let mut bytes = if batch {
                    serde_json::to_vec(&json!({ "commands": cmds })).unwrap()
                } else {
                    serde_json::to_vec(&cmds[0]).unwrap()
                };
                mutate(&mut bytes, &mutations);
                bytes
            }),
        // Random JSON shaped like a command: a key, a time, a body of a known type with random members.
        2 => (json_leaf(), json_leaf(), prop::sample::select(WORDS), json_value(), any::<bool>()).prop_map(
            |(key, at, t, members, batch)| {
                let mut body = json!({ "type": t });
                if let (Value::Object(b), Value::Object(m)) = (&mut body, members) {
                    b.extend(m);
                }
                let cmd = json!({ "key": key, "at": at, "body": body });
                let v = if batch { json!({ "commands": [cmd] }) } else { cmd };
                serde_json::to_vec(&v).unwrap()
            }
        ),
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    fuzz("command decoder + validator, bytes", input, |bytes| decode_and_check(&bytes));
}

#[test]
fn the_validator_judges_any_typed_command_and_agrees_with_the_decoder() {
    fuzz("validator, typed commands", command(false), |cmd| {
        check_validated(&cmd)?;
        // What goes over the wire decodes to the same command, and is judged the same.
        let finite = |p: &LonLat| p.lon.is_finite() && p.lat.is_finite();
        let finite_cmd = match &cmd.body {
            CommandBody::Report { event } => finite(&event.position),
            CommandBody::WorkerPosition { position, .. } => finite(position),
            CommandBody::WorkerJoin { worker } => finite(&worker.position),
            CommandBody::Act { .. } | CommandBody::IssueTaskBook { .. } | CommandBody::Acknowledge { .. } => true,
            CommandBody::ReportCheck { event, .. } => event.as_ref().is_none_or(|e| finite(&e.position)),
            CommandBody::SplitReport { report, .. } => finite(&report.position),
        };
        if finite_cmd {
            let bytes = serde_json::to_vec(&cmd).unwrap();
            let back: ClientCommand = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
            prop_assert_eq!(&back, &cmd);
            prop_assert_eq!(
                check_command(&back, district(), now()).is_ok(),
                check_command(&cmd, district(), now()).is_ok()
            );
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Changes applied to a situation.

/// A change from the log. Worker ids of joins are mostly small, sometimes anywhere in `u32` (`apply_change` keeps
/// workers in id order, with holes where a scoped log leaves workers out).
fn change(finite: bool) -> impl Strategy<Value = ChangeBody> {
    prop_oneof![
        2 => event(finite).prop_map(|e| ChangeBody::EventReported { event: Box::new(e) }),
        3 => (event_id(), status_change(), text()).prop_map(|(event, change, by)| ChangeBody::EventActed {
            event,
            change,
            by
        }),
        2 => (worker_id(), position(finite), worker_status(), time())
            .prop_map(|(worker, position, status, at)| ChangeBody::WorkerMoved { worker, position, status, at }),
        1 => worker(finite, 63).prop_map(|worker| ChangeBody::WorkerJoined { worker }),
        1 => (worker(finite, 63), any::<u32>()).prop_map(|(mut worker, id)| {
            worker.id = pingan_core::WorkerId(id);
            ChangeBody::WorkerJoined { worker }
        }),
    ]
}

/// After [`retain_fitting`], everything left fits, and a second pass finds nothing.
fn check_retained(mut s: Situation) -> Result<(), TestCaseError> {
    let d = district();
    retain_fitting(&mut s, d);
    // In id order (dense in a whole copy; a reader's scoped copy has holes).
    prop_assert!(s.workers.is_sorted_by(|a, b| a.id < b.id), "workers in id order");
    for w in &s.workers {
        prop_assert!(check_worker(w, d).is_ok());
        prop_assert_eq!(s.worker(w.id), Some(w));
    }
    prop_assert!(s.events.is_sorted_by(|a, b| a.id < b.id), "sorted, no repeats");
    for e in &s.events {
        prop_assert!(check_event(e, d).is_ok());
        prop_assert!(s.event(e.id).is_some());
    }
    prop_assert!(s.check_against(d).is_ok());
    let again = retain_fitting(&mut s, d);
    prop_assert!(again.is_empty(), "a second pass drops {again:?}");
    Ok(())
}

#[test]
fn changes_apply_to_a_situation_without_panic() {
    let strategy = prop::collection::vec((change(true), any::<bool>()), 0..24);
    fuzz("apply_change / apply_logged + check_change", strategy, |changes| {
        let d = district();
        let mut s = fitting_situation();
        for (body, logged) in &changes {
            let _ = check_change(body, d, &s);
            if *logged {
                s.apply_logged(body);
            } else if s.apply_change(body) {
                // Idempotent: the same change again changes nothing.
                let before = s.clone();
                prop_assert!(!s.apply_change(body), "applied twice: {body:?}");
                prop_assert_eq!(&s, &before);
            }
            prop_assert!(s.events.is_sorted_by(|a, b| a.id < b.id), "events stay sorted by id");
        }
        check_retained(s)
    });
}

#[test]
fn retain_fitting_cleans_any_situation() {
    let input = prop_oneof![
        // Typed, with positions that may not be numbers.
        3 => (prop::collection::vec(event(false), 0..8), prop::collection::vec(worker(false, 12), 0..6))
            .prop_map(|(events, workers)| Ok(Situation { events, workers, task_books: Vec::new() })),
        // A snapshot as it comes over the wire, mutated.
        2 => (prop::collection::vec(event(true), 0..4), prop::collection::vec(worker(true, 6), 0..4),
            prop::collection::vec(mutation(), 0..4))
            .prop_map(|(events, workers, mutations)| {
                let snap = pingan_core::sync::Snapshot { seq: 7, situation: Situation { events, workers, task_books: Vec::new() } };
                let mut bytes = serde_json::to_vec(&snap).unwrap();
                mutate(&mut bytes, &mutations);
                Err(bytes)
            }),
    ];
    fuzz("retain_fitting, situations and snapshots", input, |input| match input {
        Ok(s) => check_retained(s),
        Err(bytes) => match serde_json::from_slice::<pingan_core::sync::Snapshot>(&bytes) {
            Ok(snap) => check_retained(snap.situation),
            Err(_) => Ok(()),
        },
    });
}

/// Consistency between the two checks: a change that [`check_change`] lets through, applied to a situation that
/// fits, leaves a situation that [`retain_fitting`] keeps whole.
#[test]
fn a_change_that_passes_check_change_keeps_the_situation_fitting() {
    let strategy = prop::collection::vec(change(true), 0..24);
    fuzz("check_change ⇒ still fitting", strategy, |changes| {
        let d = district();
        let mut s = fitting_situation();
        for body in &changes {
            if check_change(body, d, &s).is_ok() {
                s.apply_change(body);
                let mut kept = s.clone();
                let dropped = retain_fitting(&mut kept, d);
                prop_assert!(dropped.is_empty(), "{body:?} passed check_change, then {dropped:?}");
            }
        }
        Ok(())
    });
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    for depth in [127, 128, 129, 100_000] {
        let mut bytes = b"{\"type\":\"FeatureCollection\",\"features\":".to_vec();
        bytes.extend(std::iter::repeat_n(b'[', depth));
        bytes.extend(std::iter::repeat_n(b']', depth));
        bytes.push(b'}');
        check_import(&bytes, Crs::Wgs84, ImportAs::Auto).unwrap();
        let mut cmd =
            b"{\"key\":\"k\",\"at\":\"2026-11-23T01:00:00Z\",\"body\":{\"type\":\"act\",\"event\":1,\"action\":"
                .to_vec();
        cmd.extend(std::iter::repeat_n(b'{', depth));
        assert!(serde_json::from_slice::<ClientCommand>(&cmd).is_err());
        let mut batch = b"{\"commands\":".to_vec();
        batch.extend(std::iter::repeat_n(b'[', depth));
        batch.extend(std::iter::repeat_n(b']', depth));
        batch.push(b'}');
        decode_and_check(&batch).unwrap();
    }
}
