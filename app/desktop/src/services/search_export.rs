//! Export of a search's matches — every one, not only the listed — as `search.csv` (UTF-8 with a byte-order mark,
//! so that a spreadsheet opens the Chinese text right) and `search.geojson` (points, WGS-84 lon/lat, for a GIS).

use crate::i18n::{Lang, Named};
use crate::services::export::{ExportError, csv_field, write};
use pingan_core::assess::EventRecord;
use pingan_core::search::{HistoryText, Matches};
use pingan_core::{District, Event, LonLat};
use std::path::{Path, PathBuf};

/// One exported row.
struct Row {
    source: &'static str,
    number: String,
    at: i64,
    record: EventRecord,
    title: String,
    address: String,
    position: Option<LonLat>,
}

fn place_of(district: &District, r: &EventRecord) -> (String, Option<LonLat>) {
    match r.building.and_then(|b| district.buildings.get(b.index())) {
        Some(b) => (b.code.to_string(), Some(b.footprint.centroid())),
        None => {
            district.grids.get(r.grid.index()).map_or((String::new(), None), |g| (g.code.to_string(), Some(g.label_at)))
        }
    }
}

fn rows(
    matches: &Matches,
    district: &District,
    history: &[EventRecord],
    text: &HistoryText,
    events: &[Event],
) -> Vec<Row> {
    let mut out = Vec::with_capacity(matches.total());
    let by_id: std::collections::HashMap<_, _> = events.iter().map(|e| (e.id, e)).collect();
    for id in &matches.live {
        let Some(e) = by_id.get(id) else { continue };
        out.push(Row {
            source: "live",
            number: e.number.clone(),
            at: e.reported_at.timestamp(),
            record: EventRecord::from(*e),
            title: e.title.clone(),
            address: e.address.to_string(),
            position: Some(e.position),
        });
    }
    for &i in &matches.history {
        let Some(r) = history.get(i as usize) else { continue };
        let (address, position) = place_of(district, r);
        out.push(Row {
            source: "history",
            number: text.number(i as usize).to_string(),
            at: r.at,
            record: *r,
            title: text.title(i as usize).to_string(),
            address,
            position,
        });
    }
    out
}

/// A text cell made safe for a spreadsheet: a title typed in the field that starts with `=`, `+`, `-` or `@` would
/// be taken as a formula, so it gets a leading apostrophe (shown as text, not computed).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() }
}

fn local(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&pingan_core::china_offset()).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Write `search.csv` and `search.geojson` of every match into `dir`; returns the files written.
pub fn export_search(
    dir: &Path,
    matches: &Matches,
    district: &District,
    history: &[EventRecord],
    text: &HistoryText,
    events: &[Event],
    lang: Lang,
) -> Result<Vec<PathBuf>, ExportError> {
    let rows = rows(matches, district, history, text, events);
    let name = |v: Option<&str>| v.unwrap_or("").to_string();
    let units = |r: &EventRecord| {
        (
            name(district.towns.get(r.town.index()).map(|u| u.name.as_str())),
            name(district.communities.get(r.community.index()).map(|u| u.name.as_str())),
            name(district.grids.get(r.grid.index()).map(|u| u.name.as_str())),
        )
    };
    let mut csv = String::from("\u{feff}");
    csv.push_str(lang.tr(
        "来源,编号,时间,类别,等级,标题,镇街,村社,网格,地址码,经度,纬度\n",
        "source,number,time,category,severity,title,town,community,grid,address code,lon,lat\n",
    ));
    let mut features = Vec::with_capacity(rows.len());
    for r in &rows {
        let (town, community, grid) = units(&r.record);
        let (lon, lat) =
            r.position.map_or((String::new(), String::new()), |p| (format!("{:.6}", p.lon), format!("{:.6}", p.lat)));
        let fields = [
            r.source.to_string(),
            r.number.clone(),
            local(r.at),
            r.record.category.name_in(lang).to_string(),
            r.record.severity.name_in(lang).to_string(),
            r.title.clone(),
            town.clone(),
            community.clone(),
            grid.clone(),
            r.address.clone(),
            lon,
            lat,
        ];
        csv.push_str(&fields.iter().map(|f| csv_field(&cell(f))).collect::<Vec<_>>().join(","));
        csv.push('\n');
        let geometry = match r.position {
            Some(p) => serde_json::json!({"type": "Point", "coordinates": [p.lon, p.lat]}),
            None => serde_json::Value::Null,
        };
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "source": r.source,
                "number": r.number,
                "time": local(r.at),
                "category": r.record.category.name_in(lang),
                "severity": r.record.severity.name_in(lang),
                "title": r.title,
                "town": town,
                "community": community,
                "grid": grid,
                "address": r.address,
            }
        }));
    }
    let geojson = serde_json::json!({
        "type": "FeatureCollection",
        "name": format!("search {}", matches.words.join(" ")),
        "features": features,
    });
    let geojson = serde_json::to_string(&geojson).unwrap_or_default();
    Ok(vec![write(dir.join("search.csv"), csv)?, write(dir.join("search.geojson"), geojson)?])
}
