//! One feature read the slow way, from a `serde_json::Value`: its properties (name, level, code, height, floors) and
//! its geometry, checked, and kept as a unit, a building, points of interest or a road.

use super::error::{FeatureError, MeasureProblem};
use super::geometry::{line, point, rings};
use super::{
    Crs, DEFAULT_HEIGHT, ImportAs, Imported, ImportedBuilding, ImportedPoi, ImportedRoad, ImportedUnit, MAX_FLOORS,
    MAX_HEIGHT_M, Rings, UnitLevel,
};
use crate::geom::LonLat;
use serde_json::Value;

/// The first of `keys` that holds text (trimmed, not blank) or a number, as text.
pub(super) fn prop_str(props: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The first of `keys` that holds a number (or text that reads as one, metres suffix allowed).
fn prop_f64(props: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('m').trim().parse().ok(),
        _ => None,
    })
}

const HEIGHT_KEYS: &[&str] = &["height", "高度", "HEIGHT", "building:height"];
const FLOOR_KEYS: &[&str] = &["floors", "levels", "building:levels", "层数", "楼层"];

/// Whether `props` has a value (not null, not blank) under one of `keys`.
fn has_prop(props: &Value, keys: &[&str]) -> bool {
    keys.iter().any(|k| match props.get(*k) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    })
}

/// A positive measure under the first of `keys` that has a value (null and blank count as absent): `Ok(None)` when
/// none has one; an error naming the key when the value is not a number, not positive, or over `max`. A number may
/// come as text with `suffix` (`"38.5m"`, `"12层"`).
fn prop_measure(
    props: &Value,
    keys: &[&str],
    what: &str,
    suffix: &[char],
    max: f64,
) -> Result<Option<f64>, FeatureError> {
    for k in keys {
        let v = match props.get(*k) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(v) => v,
        };
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().trim_end_matches(suffix).trim().parse::<f64>().ok(),
            _ => None,
        };
        let refused = |problem| {
            let label = if *k == what { what.to_string() } else { format!("{what} ({k})") };
            let text = v.to_string();
            let value = if text.chars().count() > 40 {
                format!("{}…", text.chars().take(40).collect::<String>())
            } else {
                text
            };
            Err(FeatureError::Measure { label, value, problem })
        };
        return match n {
            None => refused(MeasureProblem::NotANumber),
            Some(n) if n.is_nan() => refused(MeasureProblem::NotANumber),
            Some(n) if n <= 0.0 => refused(MeasureProblem::NotPositive),
            Some(n) if n > max => refused(MeasureProblem::Absurd(max)),
            Some(n) => Ok(Some(n)),
        };
    }
    Ok(None)
}

/// The properties a feature's name may be under, in order of preference.
pub(super) const NAME_KEYS: &[&str] = &["name", "名称", "NAME", "Name", "nameZh", "name_zh", "label", "标注"];

/// Feature `i` of the file, checked and added to `out` (nothing is added when it has a problem).
pub(super) fn feature(out: &mut Imported, i: usize, f: &Value, crs: Crs, as_: ImportAs) -> Result<(), FeatureError> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(FeatureError::NotAFeature);
    }
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let geometry = f.get("geometry").filter(|g| !g.is_null()).ok_or(FeatureError::NoGeometry)?;
    let kind = geometry.get("type").and_then(Value::as_str).ok_or(FeatureError::NoGeometryType)?;
    let coords = geometry.get("coordinates").ok_or(FeatureError::NoCoordinates)?;
    let name = prop_str(&props, NAME_KEYS).unwrap_or_default();
    match kind {
        "Polygon" | "MultiPolygon" => {
            let polys = if kind == "Polygon" {
                vec![rings(coords, crs)?]
            } else {
                coords
                    .as_array()
                    .ok_or(FeatureError::CoordinatesNotAnArray("MultiPolygon"))?
                    .iter()
                    .enumerate()
                    .map(|(index, p)| rings(p, crs).map_err(|e| FeatureError::InPolygon { index, source: Box::new(e) }))
                    .collect::<Result<_, _>>()?
            };
            polygon_feature(out, i, name, &props, polys, as_)?;
        }
        "Point" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Pois) {
                return Err(FeatureError::CannotImportAs { kind: "Point", as_ });
            }
            out.pois.push(ImportedPoi { feature: i, name, position: point(coords, crs)? });
        }
        "MultiPoint" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Pois) {
                return Err(FeatureError::CannotImportAs { kind: "MultiPoint", as_ });
            }
            // Every point checked before any is kept: a feature with a problem is left out whole.
            let points: Vec<LonLat> = coords
                .as_array()
                .ok_or(FeatureError::CoordinatesNotAnArray("MultiPoint"))?
                .iter()
                .map(|p| point(p, crs))
                .collect::<Result<_, _>>()?;
            if points.is_empty() {
                return Err(FeatureError::Empty("MultiPoint", "points"));
            }
            out.pois.extend(points.into_iter().map(|position| ImportedPoi {
                feature: i,
                name: name.clone(),
                position,
            }));
        }
        "LineString" | "MultiLineString" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Roads) {
                let kind = if kind == "LineString" { "LineString" } else { "MultiLineString" };
                return Err(FeatureError::CannotImportAs { kind, as_ });
            }
            let lines = if kind == "LineString" {
                vec![line(coords, crs)?]
            } else {
                coords
                    .as_array()
                    .ok_or(FeatureError::CoordinatesNotAnArray("MultiLineString"))?
                    .iter()
                    .map(|l| line(l, crs))
                    .collect::<Result<_, _>>()?
            };
            if lines.is_empty() {
                return Err(FeatureError::Empty("MultiLineString", "lines"));
            }
            out.roads.push(ImportedRoad { feature: i, name, lines });
        }
        other => return Err(FeatureError::Unsupported(other.to_string())),
    }
    Ok(())
}

/// A Polygon or MultiPolygon feature, its rings checked: kept as a unit or a building by what it is taken for.
pub(super) fn polygon_feature(
    out: &mut Imported,
    i: usize,
    name: String,
    props: &Value,
    polys: Vec<Rings>,
    as_: ImportAs,
) -> Result<(), FeatureError> {
    if polys.is_empty() {
        return Err(FeatureError::Empty("MultiPolygon", "polygons"));
    }
    match polygon_role(props, as_) {
        PolygonRole::Unit(level) => {
            let code = prop_str(props, &["adcode", "code", "编码", "行政区划代码", "town_code_stats2023"]);
            let population = prop_f64(props, &["population", "人口", "常住人口", "户籍人口", "pop"])
                .filter(|p| p.is_finite() && *p >= 0.0);
            out.units.push(ImportedUnit { feature: i, name, level, code, population, polygons: polys });
        }
        PolygonRole::Building => {
            let height = prop_measure(props, HEIGHT_KEYS, "height", &['m', '米'], MAX_HEIGHT_M)?;
            let floors = prop_measure(props, FLOOR_KEYS, "floor count", &['层', 'F'], MAX_FLOORS)?;
            let height = height.or(floors.map(|n| n * 3.0)).unwrap_or(DEFAULT_HEIGHT);
            out.buildings.push(ImportedBuilding { feature: i, name, height, polygons: polys });
        }
        PolygonRole::Refused(why) => return Err(why),
    }
    Ok(())
}

/// What a polygon feature is taken for.
enum PolygonRole {
    /// A governance unit of this level.
    Unit(UnitLevel),
    /// A building.
    Building,
    /// Nothing it may be imported as.
    Refused(FeatureError),
}

/// What a polygon with `props` is, imported as `as_`.
fn polygon_role(props: &Value, as_: ImportAs) -> PolygonRole {
    match as_ {
        ImportAs::Districts => PolygonRole::Unit(UnitLevel::District),
        ImportAs::Towns => PolygonRole::Unit(UnitLevel::Town),
        ImportAs::Communities => PolygonRole::Unit(UnitLevel::Community),
        ImportAs::Grids => PolygonRole::Unit(UnitLevel::Grid),
        ImportAs::Buildings => PolygonRole::Building,
        ImportAs::Pois | ImportAs::Roads => PolygonRole::Refused(FeatureError::CannotImportAs { kind: "polygon", as_ }),
        ImportAs::Auto => {
            if let Some(level) = prop_str(props, &["level", "级别", "层级"]) {
                return match level.as_str() {
                    "district" | "county" | "区县" | "区" => PolygonRole::Unit(UnitLevel::District),
                    "street" | "town" | "township" | "镇街" | "街道" | "乡镇" => {
                        PolygonRole::Unit(UnitLevel::Town)
                    }
                    "community" | "village" | "村社" | "社区" => PolygonRole::Unit(UnitLevel::Community),
                    "grid" | "网格" => PolygonRole::Unit(UnitLevel::Grid),
                    "building" | "楼幢" => PolygonRole::Building,
                    other => PolygonRole::Refused(FeatureError::UnknownLevel(other.to_string())),
                };
            }
            if has_prop(props, HEIGHT_KEYS) || has_prop(props, FLOOR_KEYS) {
                return PolygonRole::Building;
            }
            // A 6-digit adcode is a county/district, 9 or 12 digits a town or below.
            match prop_str(props, &["adcode", "code", "town_code_stats2023"]).map(|c| c.len()) {
                Some(6) => PolygonRole::Unit(UnitLevel::District),
                Some(9) => PolygonRole::Unit(UnitLevel::Town),
                Some(12) => PolygonRole::Unit(UnitLevel::Community),
                _ => PolygonRole::Refused(FeatureError::Unrecognised),
            }
        }
    }
}
