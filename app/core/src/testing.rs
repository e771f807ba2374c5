//! A small district for unit tests: two communities side by side (东村, 西村), one grid each, three buildings each.

use crate::District;
use crate::import::{Crs, ImportAs, parse};

fn square(lon: f64, lat: f64, size: f64) -> String {
    format!(
        "[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]",
        lon + size,
        lon + size,
        lat + size,
        lat + size
    )
}

/// Two communities side by side, each with three buildings.
pub(crate) fn district() -> District {
    let feature = |props: &str, geom: String| {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":{geom}}}}}"#)
    };
    let units = [
        feature(r#"{"name":"东村","population":3000}"#, square(120.00, 30.00, 0.01)),
        feature(r#"{"name":"西村","population":3000}"#, square(120.01, 30.00, 0.01)),
    ];
    let mut buildings = Vec::new();
    for c in 0..2 {
        for i in 0..3 {
            let lon = 120.001 + 0.01 * f64::from(c) + 0.002 * f64::from(i);
            buildings.push(feature(&format!(r#"{{"name":"{c}-{i}号楼","height":20}}"#), square(lon, 30.004, 0.0005)));
        }
    }
    let fc = |fs: &[String]| format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","));
    let mut got = parse(fc(&units).as_bytes(), Crs::Wgs84, ImportAs::Communities).unwrap();
    got.buildings = parse(fc(&buildings).as_bytes(), Crs::Wgs84, ImportAs::Buildings).unwrap().buildings;
    let d = crate::scenario::district_from_import("测试", &got).unwrap().district;
    assert_eq!((d.communities.len(), d.grids.len(), d.buildings.len()), (2, 2, 6));
    d
}

/// A reported hotline event (a fire alarm) in grid `g` (0: 东村's, 1: 西村's), reported on 2026-09-21.
pub(crate) fn event(d: &District, id: u64, g: usize) -> crate::Event {
    let g = &d.grids[g];
    // 2026-09-21, a month well under way.
    let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time");
    crate::Event {
        id: crate::EventId(id),
        number: format!("YH-{id}"),
        category: crate::EventCategory::FireAlarm,
        severity: crate::Severity::General,
        title: "楼道堆物".into(),
        position: g.label_at,
        address: g.code,
        place: g.name.clone(),
        town: g.town,
        community: g.community,
        grid: g.id,
        building: None,
        source: crate::EventSource::Hotline,
        reported_at: at,
        deadline: at + chrono::Duration::hours(48),
        level: Default::default(),
        state: crate::EventState::Reported,
        assignee: None,
        history: vec![],
        evidence: None,
        linked: Vec::new(),
        acknowledged: None,
    }
}
