//! GeoJSON in: FeatureCollections of governance units, buildings, points of interest and roads, in WGS84 or GCJ-02,
//! checked feature by feature. No I/O: the caller reads the bytes (and owns progress and threads).
//!
//! Every problem names the feature index and what is wrong. A feature with a problem is left out; the rest is
//! returned, so the user can decide to import what is fine.

use crate::geom::LonLat;
use geo::GeodesicArea;
use geo::line_intersection::{LineIntersection, line_intersection};
use serde_json::Value;

mod fast;

/// The datum the coordinates are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Crs {
    /// WGS84 (GPS, OpenStreetMap, most GIS exports).
    #[default]
    Wgs84,
    /// GCJ-02, the obfuscated datum of Amap / DataV exports (~500 m off WGS84 in Hangzhou); converted on import.
    Gcj02,
}

impl Crs {
    /// Parse `wgs84` / `gcj02` (case-insensitive, `-` and `_` ignored).
    pub fn parse(s: &str) -> Option<Crs> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "wgs84" | "epsg4326" | "crs84" => Some(Self::Wgs84),
            "gcj02" => Some(Self::Gcj02),
            _ => None,
        }
    }

    /// Every choice, in menu order.
    pub const ALL: [Crs; 2] = [Self::Wgs84, Self::Gcj02];

    /// The command-line word.
    pub fn word(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Gcj02 => "gcj02",
        }
    }
}

/// What the features are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ImportAs {
    /// From each feature's properties (`level`, `adcode`, `height`/`floors`, geometry type).
    #[default]
    Auto,
    /// Districts (区县).
    Districts,
    /// Towns / streets (镇街).
    Towns,
    /// Communities / villages (村社).
    Communities,
    /// Grids (网格).
    Grids,
    /// Buildings (楼幢).
    Buildings,
    /// Points of interest.
    Pois,
    /// Roads.
    Roads,
}

impl ImportAs {
    /// Parse a command-line word: `towns`, `buildings`, … (English or Chinese).
    pub fn parse(s: &str) -> Option<ImportAs> {
        Some(match s.to_ascii_lowercase().as_str() {
            "auto" => Self::Auto,
            "districts" | "district" | "区县" => Self::Districts,
            "towns" | "town" | "镇街" | "streets" => Self::Towns,
            "communities" | "community" | "村社" | "villages" => Self::Communities,
            "grids" | "grid" | "网格" => Self::Grids,
            "buildings" | "building" | "楼幢" => Self::Buildings,
            "pois" | "poi" | "points" => Self::Pois,
            "roads" | "road" | "道路" => Self::Roads,
            _ => return None,
        })
    }

    /// Every choice, in menu order.
    pub const ALL: [ImportAs; 8] = [
        Self::Auto,
        Self::Districts,
        Self::Towns,
        Self::Communities,
        Self::Grids,
        Self::Buildings,
        Self::Pois,
        Self::Roads,
    ];

    /// Chinese and English labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Auto => ("自动识别", "Detect"),
            Self::Districts => ("区县", "Districts"),
            Self::Towns => ("镇街", "Towns"),
            Self::Communities => ("村社", "Communities"),
            Self::Grids => ("网格", "Grids"),
            Self::Buildings => ("楼幢", "Buildings"),
            Self::Pois => ("兴趣点", "Points of interest"),
            Self::Roads => ("道路", "Roads"),
        }
    }
}

/// Check a file's size before reading it: a file over [`MAX_BYTES`] is refused without being read.
pub fn check_size(size: u64) -> Result<(), ImportError> {
    if size > MAX_BYTES as u64 {
        return Err(ImportError::TooLarge { size: size as usize, limit: MAX_BYTES });
    }
    Ok(())
}

/// A governance level of an imported unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitLevel {
    /// 区县.
    District,
    /// 镇街.
    Town,
    /// 村社.
    Community,
    /// 网格.
    Grid,
}

/// A polygon: outer ring then holes, each closed (first point repeated at the end), in WGS84.
pub type Rings = Vec<Vec<LonLat>>;

/// An imported governance unit.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedUnit {
    /// Feature index in the file.
    pub feature: usize,
    /// Label.
    pub name: String,
    /// Level.
    pub level: UnitLevel,
    /// Administrative code, when the file has one (`adcode`, `code`, …).
    pub code: Option<String>,
    /// Resident population, when the file has it (`population`, `人口`, `常住人口`).
    pub population: Option<f64>,
    /// Its polygons (a MultiPolygon has several).
    pub polygons: Vec<Rings>,
}

/// An imported building.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedBuilding {
    /// Feature index in the file.
    pub feature: usize,
    /// Label (may be empty).
    pub name: String,
    /// Height in metres: `height`, or floors × 3 m, or the default; never more than [`MAX_HEIGHT_M`].
    pub height: f64,
    /// Footprint polygons.
    pub polygons: Vec<Rings>,
}

/// An imported point of interest.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedPoi {
    /// Feature index.
    pub feature: usize,
    /// Label.
    pub name: String,
    /// Where.
    pub position: LonLat,
}

/// An imported road or line.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedRoad {
    /// Feature index.
    pub feature: usize,
    /// Label.
    pub name: String,
    /// Its parts.
    pub lines: Vec<Vec<LonLat>>,
}

/// A feature that was left out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Feature index in the file (0-based).
    pub feature: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "feature {}: {}", self.feature, self.message)
    }
}

/// Everything read from one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    /// Governance units.
    pub units: Vec<ImportedUnit>,
    /// Buildings.
    pub buildings: Vec<ImportedBuilding>,
    /// Points of interest.
    pub pois: Vec<ImportedPoi>,
    /// Roads.
    pub roads: Vec<ImportedRoad>,
    /// Features left out.
    pub problems: Vec<Problem>,
    /// Warnings about the file as a whole (e.g. it declares another CRS than the one assumed).
    pub warnings: Vec<String>,
    /// Features in the file.
    pub features: usize,
}

/// Why a file could not be read at all.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// Larger than the limit.
    #[error("the file is {size} bytes; at most {limit} bytes can be imported")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a GeoJSON FeatureCollection / Feature / geometry.
    #[error("not GeoJSON: {0}")]
    NotGeoJson(String),
}

/// The largest file accepted (the whole file is parsed in memory).
pub const MAX_BYTES: usize = 512 << 20;

/// The county code given to imported units when the file names none (余杭区, the demo's district).
pub const FALLBACK_COUNTY: u32 = 330110;

/// Default building height when a feature says nothing, metres.
pub const DEFAULT_HEIGHT: f64 = 12.0;

/// Read a GeoJSON text. `crs` is the datum assumed for the coordinates; `as_` what the features are.
pub fn parse(bytes: &[u8], crs: Crs, as_: ImportAs) -> Result<Imported, ImportError> {
    parse_with_progress(bytes, crs, as_, &mut |_, _| {})
}

/// [`parse`], calling `progress(done, total)` every 1,000 features (after the JSON itself is read).
pub fn parse_with_progress(
    bytes: &[u8],
    crs: Crs,
    as_: ImportAs,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Imported, ImportError> {
    check_size(bytes.len() as u64)?;
    // Some Windows tools (Notepad, Excel, ArcGIS exports) start UTF-8 text with a byte-order mark, which JSON forbids.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(top) = serde_json::from_slice::<fast::Collection>(bytes)
        && top.kind.as_deref() == Some("FeatureCollection")
        && let Some(features) = top.features
    {
        let mut out = fast::features(&features, crs, as_, progress);
        out.warnings.extend(crs_warning(top.crs.as_ref(), crs));
        return Ok(out);
    }
    // Anything else (one Feature, a file that is not a FeatureCollection, not JSON): read whole, for its message.
    let root: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let mut out = Imported::default();
    let features: Vec<&Value> = match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => root
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| ImportError::NotGeoJson("a FeatureCollection without a \"features\" array".into()))?
            .iter()
            .collect(),
        Some("Feature") => vec![&root],
        Some(t) => return Err(ImportError::NotGeoJson(format!("type {t:?}: expected a FeatureCollection"))),
        None => return Err(ImportError::NotGeoJson("no \"type\" member: expected a FeatureCollection".into())),
    };
    out.warnings.extend(crs_warning(root.get("crs"), crs));
    out.features = features.len();
    progress(0, out.features);
    for (i, f) in features.into_iter().enumerate() {
        if i % 1000 == 999 {
            progress(i + 1, out.features);
        }
        if let Err(message) = feature(&mut out, i, f, crs, as_) {
            out.problems.push(Problem { feature: i, message });
        }
    }
    Ok(out)
}

/// A warning when the file's `crs` member declares another datum than the one assumed.
fn crs_warning(member: Option<&Value>, crs: Crs) -> Option<String> {
    let declared = declared_crs(member?)?;
    (declared != crs).then(|| {
        format!("the file declares {declared:?} but {crs:?} is assumed: check the coordinate system before importing")
    })
}

fn declared_crs(member: &Value) -> Option<Crs> {
    let name = member.get("properties")?.get("name")?.as_str()?;
    if name.contains("CRS84") || name.contains("4326") {
        Some(Crs::Wgs84)
    } else if name.to_ascii_lowercase().contains("gcj") {
        Some(Crs::Gcj02)
    } else {
        None
    }
}

fn prop_str(props: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn prop_f64(props: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('m').trim().parse().ok(),
        _ => None,
    })
}

/// The largest building height believed, metres: a taller value is a problem, not a building.
pub const MAX_HEIGHT_M: f64 = 1000.0;

/// The largest floor count believed: a larger value is a problem, not a building.
pub const MAX_FLOORS: f64 = 300.0;

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
fn prop_measure(props: &Value, keys: &[&str], what: &str, suffix: &[char], max: f64) -> Result<Option<f64>, String> {
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
        let shown = || {
            let label = if *k == what { what.to_string() } else { format!("{what} ({k})") };
            let text = v.to_string();
            let text = if text.chars().count() > 40 {
                format!("{}…", text.chars().take(40).collect::<String>())
            } else {
                text
            };
            format!("{label} {text}")
        };
        return match n {
            None => Err(format!("{} is not a number", shown())),
            Some(n) if n.is_nan() => Err(format!("{} is not a number", shown())),
            Some(n) if n <= 0.0 => Err(format!("{} is not positive", shown())),
            Some(n) if n > max => Err(format!("{} is absurd: at most {max} is believed", shown())),
            Some(n) => Ok(Some(n)),
        };
    }
    Ok(None)
}

const NAME_KEYS: &[&str] = &["name", "名称", "NAME", "Name", "nameZh", "name_zh", "label", "标注"];

fn feature(out: &mut Imported, i: usize, f: &Value, crs: Crs, as_: ImportAs) -> Result<(), String> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let geometry = f.get("geometry").filter(|g| !g.is_null()).ok_or("no geometry")?;
    let kind = geometry.get("type").and_then(Value::as_str).ok_or("geometry without a type")?;
    let coords = geometry.get("coordinates").ok_or("geometry without coordinates")?;
    let name = prop_str(&props, NAME_KEYS).unwrap_or_default();
    match kind {
        "Polygon" | "MultiPolygon" => {
            let polys = if kind == "Polygon" {
                vec![rings(coords, crs)?]
            } else {
                coords
                    .as_array()
                    .ok_or("MultiPolygon coordinates are not an array")?
                    .iter()
                    .enumerate()
                    .map(|(k, p)| rings(p, crs).map_err(|e| format!("polygon {k}: {e}")))
                    .collect::<Result<_, _>>()?
            };
            polygon_feature(out, i, name, &props, polys, as_)?;
        }
        "Point" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Pois) {
                return Err(format!("a Point cannot be imported as {as_:?}"));
            }
            out.pois.push(ImportedPoi { feature: i, name, position: point(coords, crs)? });
        }
        "MultiPoint" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Pois) {
                return Err(format!("a MultiPoint cannot be imported as {as_:?}"));
            }
            // Every point checked before any is kept: a feature with a problem is left out whole.
            let points: Vec<LonLat> = coords
                .as_array()
                .ok_or("MultiPoint coordinates are not an array")?
                .iter()
                .map(|p| point(p, crs))
                .collect::<Result<_, _>>()?;
            if points.is_empty() {
                return Err("a MultiPoint without points".into());
            }
            out.pois.extend(points.into_iter().map(|position| ImportedPoi {
                feature: i,
                name: name.clone(),
                position,
            }));
        }
        "LineString" | "MultiLineString" => {
            if !matches!(as_, ImportAs::Auto | ImportAs::Roads) {
                return Err(format!("a {kind} cannot be imported as {as_:?}"));
            }
            let lines = if kind == "LineString" {
                vec![line(coords, crs)?]
            } else {
                coords
                    .as_array()
                    .ok_or("MultiLineString coordinates are not an array")?
                    .iter()
                    .map(|l| line(l, crs))
                    .collect::<Result<_, _>>()?
            };
            if lines.is_empty() {
                return Err("a MultiLineString without lines".into());
            }
            out.roads.push(ImportedRoad { feature: i, name, lines });
        }
        other => return Err(format!("geometry type {other:?} is not supported")),
    }
    Ok(())
}

/// A Polygon or MultiPolygon feature, its rings checked: kept as a unit or a building by what it is taken for.
fn polygon_feature(
    out: &mut Imported,
    i: usize,
    name: String,
    props: &Value,
    polys: Vec<Rings>,
    as_: ImportAs,
) -> Result<(), String> {
    if polys.is_empty() {
        return Err("a MultiPolygon without polygons".into());
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

enum PolygonRole {
    Unit(UnitLevel),
    Building,
    Refused(String),
}

fn polygon_role(props: &Value, as_: ImportAs) -> PolygonRole {
    match as_ {
        ImportAs::Districts => PolygonRole::Unit(UnitLevel::District),
        ImportAs::Towns => PolygonRole::Unit(UnitLevel::Town),
        ImportAs::Communities => PolygonRole::Unit(UnitLevel::Community),
        ImportAs::Grids => PolygonRole::Unit(UnitLevel::Grid),
        ImportAs::Buildings => PolygonRole::Building,
        ImportAs::Pois | ImportAs::Roads => PolygonRole::Refused(format!("a polygon cannot be imported as {as_:?}")),
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
                    other => PolygonRole::Refused(format!("unknown level {other:?}")),
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
                _ => PolygonRole::Refused(
                    "cannot tell what this polygon is (no level, adcode or height): choose a level".into(),
                ),
            }
        }
    }
}

fn point(v: &Value, crs: Crs) -> Result<LonLat, String> {
    let a = v.as_array().ok_or("a position is not an array")?;
    if a.len() < 2 {
        return Err("a position needs two numbers".into());
    }
    let (Some(lon), Some(lat)) = (a[0].as_f64(), a[1].as_f64()) else {
        return Err(format!("a position is not numbers: {v}"));
    };
    position(lon, lat, crs)
}

/// A position's two numbers checked (finite, in range) and brought to WGS84.
fn position(lon: f64, lat: f64, crs: Crs) -> Result<LonLat, String> {
    if !lon.is_finite() || !lat.is_finite() {
        return Err("a coordinate is not a finite number".into());
    }
    if lon.abs() > 180.0 || lat.abs() > 90.0 {
        let hint = if lon.abs() > 1000.0 || lat.abs() > 1000.0 {
            " (these look like projected metres, e.g. EPSG:3857; export in WGS84 or GCJ-02 degrees)"
        } else {
            ""
        };
        return Err(format!("coordinate out of range: lon {lon}, lat {lat}{hint}"));
    }
    let p = LonLat { lon, lat };
    Ok(match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => gcj02_to_wgs84(p),
    })
}

fn line(v: &Value, crs: Crs) -> Result<Vec<LonLat>, String> {
    let pts: Vec<LonLat> =
        v.as_array().ok_or("a line is not an array")?.iter().map(|p| point(p, crs)).collect::<Result<_, _>>()?;
    if pts.len() < 2 {
        return Err("a line needs at least two positions".into());
    }
    Ok(pts)
}

fn rings(v: &Value, crs: Crs) -> Result<Rings, String> {
    let arr = v.as_array().ok_or("polygon coordinates are not an array")?;
    if arr.is_empty() {
        return Err("a polygon without rings".into());
    }
    let mut out = Vec::with_capacity(arr.len());
    for (k, r) in arr.iter().enumerate() {
        let what = if k == 0 { "outer ring".to_string() } else { format!("hole {k}") };
        let pts: Vec<LonLat> = r
            .as_array()
            .ok_or_else(|| format!("{what} is not an array"))?
            .iter()
            .map(|p| point(p, crs))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{what}: {e}"))?;
        out.push(ring_checked(pts, k)?);
    }
    Ok(out)
}

/// Ring `k` of a polygon (0 the outer ring), its positions already checked: at least four, closed, not crossing
/// itself.
fn ring_checked(pts: Vec<LonLat>, k: usize) -> Result<Vec<LonLat>, String> {
    let what = || if k == 0 { "outer ring".to_string() } else { format!("hole {k}") };
    if pts.len() < 4 {
        return Err(format!("{} has {} positions; a ring needs at least 4", what(), pts.len()));
    }
    if pts.first() != pts.last() {
        return Err(format!("{} is not closed (its last position differs from its first)", what()));
    }
    if let Some((a, b)) = self_intersection(&pts) {
        return Err(format!("{} crosses itself (edges {a} and {b})", what()));
    }
    Ok(pts)
}

/// The first pair of non-adjacent edges of a closed ring that cross, if any. Uses a sweep over x so that rings
/// of thousands of points stay fast; whether two edges cross is geo's `line_intersection` (robust predicates): they
/// cross when they meet at one point inside both (touching at an end, or overlapping along a line, is not crossing).
pub fn self_intersection(ring: &[LonLat]) -> Option<(usize, usize)> {
    let n = ring.len().saturating_sub(1); // edges
    let edge = |i: usize| geo::Line::new(geo::Coord::from(ring[i]), geo::Coord::from(ring[i + 1]));
    let crossing = |i: usize, j: usize| {
        let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
        !adjacent
            && matches!(
                line_intersection(edge(i), edge(j)),
                Some(LineIntersection::SinglePoint { is_proper: true, .. })
            )
    };
    // Most footprints have a handful of corners: every pair, without the sweep's allocation and sort.
    if n <= 12 {
        return (0..n).flat_map(|i| (i + 2..n).map(move |j| (i, j))).find(|&(i, j)| crossing(i, j));
    }
    let mut edges: Vec<(f64, f64, usize)> = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[i + 1]);
            (a.lon.min(b.lon), a.lon.max(b.lon), i)
        })
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut active: Vec<(f64, usize)> = Vec::new();
    for &(x0, x1, i) in &edges {
        active.retain(|(end, _)| *end >= x0);
        for &(_, j) in &active {
            if crossing(i, j) {
                return Some((i.min(j), i.max(j)));
            }
        }
        active.push((x1, i));
    }
    None
}

/// Area of a ring in square metres, on the WGS84 ellipsoid (geo's `GeodesicArea`, Karney's method), whichever way
/// the ring turns.
pub fn ring_area_m2(ring: &[LonLat]) -> f64 {
    geo::Polygon::new(crate::geom::ring_to_geo(ring), Vec::new()).geodesic_area_signed().abs()
}

/// Area of a polygon with holes, m².
pub fn polygon_area_m2(rings: &Rings) -> f64 {
    let mut a = rings.first().map_or(0.0, |r| ring_area_m2(r));
    for h in rings.iter().skip(1) {
        a -= ring_area_m2(h);
    }
    a
}

// GCJ-02 (the published forward transform, as in every open implementation), and its inverse by fixed-point
// iteration: the forward offset varies slowly (~hundreds of metres over tens of km), so a few steps reach
// millimetres.

const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

fn out_of_china(p: LonLat) -> bool {
    !(72.004..=137.8347).contains(&p.lon) || !(0.8293..=55.8271).contains(&p.lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (identity outside China).
pub fn wgs84_to_gcj02(p: LonLat) -> LonLat {
    use std::f64::consts::PI;
    if out_of_china(p) {
        return p;
    }
    let dlat = transform_lat(p.lon - 105.0, p.lat - 35.0);
    let dlon = transform_lon(p.lon - 105.0, p.lat - 35.0);
    let radlat = p.lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * radlat.sin() * radlat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (GCJ_A / sqrt_magic * radlat.cos() * PI);
    LonLat { lon: p.lon + dlon, lat: p.lat + dlat }
}

/// GCJ-02 → WGS84, to ~1e-9° (millimetres).
pub fn gcj02_to_wgs84(p: LonLat) -> LonLat {
    let mut w = p;
    for _ in 0..10 {
        let g = wgs84_to_gcj02(w);
        let (dx, dy) = (g.lon - p.lon, g.lat - p.lat);
        w = LonLat { lon: w.lon - dx, lat: w.lat - dy };
        if dx.abs() < 1e-10 && dy.abs() < 1e-10 {
            break;
        }
    }
    w
}

/// A district holding just `buildings` (one town and community; grids of at most 9,999 buildings each, as the
/// address code allows), for rendering a building file on its own — the render benchmark, or a quick look at an
/// import. Its outline is the buildings' bounding box plus 100 m. `None` when there are no buildings.
pub fn district_from_buildings(name: &str, buildings: &[ImportedBuilding]) -> Option<crate::District> {
    district_of_buildings(name, buildings.to_vec())
}

/// [`district_from_buildings`] taking the buildings (their rings move into the district instead of being copied:
/// at a million buildings that is a few hundred megabytes less at the peak).
pub fn district_of_buildings(name: &str, buildings: Vec<ImportedBuilding>) -> Option<crate::District> {
    use crate::geom::{BBox, Polygon};
    use crate::units::*;
    let all = buildings.iter().flat_map(|b| b.polygons.iter().flat_map(|p| p.iter().take(1).flatten().copied()));
    let bb = BBox::of(all)?;
    let pad_lat = 100.0 / 111_320.0;
    let pad_lon = pad_lat / bb.centre().lat.to_radians().cos().max(0.1);
    let (w, s, e, n) = (bb.min.lon - pad_lon, bb.min.lat - pad_lat, bb.max.lon + pad_lon, bb.max.lat + pad_lat);
    let rect = Polygon {
        exterior: vec![
            LonLat { lon: w, lat: s },
            LonLat { lon: e, lat: s },
            LonLat { lon: e, lat: n },
            LonLat { lon: w, lat: n },
            LonLat { lon: w, lat: s },
        ],
        holes: Vec::new(),
    };
    let centre = bb.centre();
    let county = crate::AddressCode::county(crate::import::FALLBACK_COUNTY).ok()?;
    let town_code = county.child(1).ok()?;
    let comm_code = town_code.child(1).ok()?;
    let mut grids: Vec<Grid> = Vec::new();
    let mut out: Vec<Building> = Vec::with_capacity(buildings.iter().map(|b| b.polygons.len()).sum());
    for b in buildings {
        for mut poly in b.polygons {
            if poly.is_empty() {
                continue;
            }
            let i = out.len();
            let (g, k) = (i / 9_999, (i % 9_999) as u32 + 1);
            if g >= 999 {
                return None;
            }
            if g == grids.len() {
                grids.push(Grid {
                    id: GridId(g as u32),
                    community: CommunityId(0),
                    town: TownId(0),
                    name: format!("导入网格{}", g + 1),
                    code: comm_code.child(g as u32 + 1).ok()?,
                    outline: rect.clone(),
                    label_at: centre,
                    stats: UnitStats::default(),
                    buildings: Vec::new(),
                });
            }
            let floors = (b.height / 3.0).round().clamp(1.0, 200.0) as u16;
            grids[g].buildings.push(BuildingId(i as u32));
            out.push(Building {
                id: BuildingId(i as u32),
                grid: GridId(g as u32),
                name: b.name.clone(),
                code: grids[g].code.child(k).ok()?,
                kind: if floors >= 10 { BuildingKind::HighRise } else { BuildingKind::MidRise },
                // The parser's rings carry a growing vector's slack (8 places for a box's 5 positions).
                footprint: Polygon {
                    exterior: {
                        let mut r = poly.remove(0);
                        r.shrink_to_fit();
                        r
                    },
                    holes: poly,
                },
                height_m: b.height as f32,
                floors,
                households: 0,
                population: 0,
            });
        }
    }
    Some(crate::District {
        name: name.to_string(),
        code: county,
        outline: rect.clone(),
        stats: UnitStats::default(),
        towns: vec![Town {
            id: TownId(0),
            name: name.to_string(),
            code: town_code,
            outline: rect.clone(),
            label_at: centre,
            stats: UnitStats::default(),
            communities: vec![CommunityId(0)],
        }],
        communities: vec![Community {
            id: CommunityId(0),
            town: TownId(0),
            name: name.to_string(),
            kind: CommunityKind::Community,
            code: comm_code,
            outline: rect,
            label_at: centre,
            stats: UnitStats::default(),
            grids: grids.iter().map(|g| g.id).collect(),
        }],
        grids,
        buildings: out,
        roads: Vec::new(),
        water: Vec::new(),
    })
}
