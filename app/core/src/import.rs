//! GeoJSON in: FeatureCollections of governance units, buildings, points of interest and roads, in WGS84 or GCJ-02,
//! checked feature by feature. No I/O: the caller reads the bytes (and owns progress and threads).
//!
//! Every problem names the feature index and what is wrong. A feature with a problem is left out; the rest is
//! returned, so the user can decide to import what is fine.

use crate::geom::LonLat;
use serde_json::Value;

mod buildings;
mod error;
mod fast;
mod feature;
mod gcj;
mod geometry;

pub use buildings::{district_from_buildings, district_of_buildings};
pub use gcj::{gcj02_to_wgs84, wgs84_to_gcj02};
pub use geometry::{polygon_area_m2, ring_area_m2, self_intersection};

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
        if let Err(e) = feature::feature(&mut out, i, f, crs, as_) {
            out.problems.push(Problem { feature: i, message: e.to_string() });
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

/// The largest building height believed, metres: a taller value is a problem, not a building.
pub const MAX_HEIGHT_M: f64 = 1000.0;

/// The largest floor count believed: a larger value is a problem, not a building.
pub const MAX_FLOORS: f64 = 300.0;
