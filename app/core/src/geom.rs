//! Geometry in the spaces the domain uses.
//!
//! * `lonlat` — WGS84 degrees, what GeoJSON, GPS and the slippy map use. Everything stored is in this space.
//! * `local` — metres east/north of a [`LocalFrame`]'s origin (an equirectangular tangent approximation, good to
//!   well under a metre across a district of 50 km). Generators and renderers work here.
//!
//! The algorithms are `geo`'s (point in polygon, areas, centroids, haversine distance); this module only converts
//! between the domain's types and geo's. Callers that ask many questions of one shape convert it once
//! ([`Polygon::to_geo`]) and keep geo's polygon, as [`crate::SpatialIndex`] does.
//!
//! ## Coordinate spaces
//!
//! `lonlat` (WGS84 degrees) is what the domain stores. `local` (metres east/north of a `LocalFrame` origin at the
//! district's centre) is what the generator works in and what the 3D renderer sends to the GPU as f32 (±25 km in f32
//! is good to a few millimetres). The camera goes `local → view → clip` (`clip_from_local`), then `px`. `ui` are egui points; walkers' `Projector`
//! maps `lonlat → ui` (Web Mercator at the current zoom).

use geo::{Area, Centroid, Distance, HaversineMeasure, Intersects};
use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (the sphere web maps use).
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// A WGS84 position in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct LonLat {
    /// Longitude in degrees, east positive.
    pub lon: f64,
    /// Latitude in degrees, north positive.
    pub lat: f64,
}

/// Why a pair of numbers is not a WGS84 position.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum LonLatError {
    /// A coordinate is NaN or infinite.
    #[error("coordinate is not a finite number (lon {lon}, lat {lat})")]
    NotFinite {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A coordinate is outside [-180, 180] × [-90, 90].
    #[error("coordinate out of range (lon {lon} must be within ±180, lat {lat} within ±90)")]
    OutOfRange {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
}

impl LonLat {
    /// A position from trusted numbers (generated data); use [`LonLat::try_new`] at input edges.
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// A position from untrusted numbers: finite and within range, or an error saying which.
    pub fn try_new(lon: f64, lat: f64) -> Result<Self, LonLatError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(LonLatError::NotFinite { lon, lat });
        }
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(LonLatError::OutOfRange { lon, lat });
        }
        Ok(Self { lon, lat })
    }

    /// Great-circle distance in metres (geo's haversine on the sphere of radius [`EARTH_RADIUS_M`], the one
    /// [`LocalFrame`] uses, so the two agree).
    pub fn distance_m(self, other: LonLat) -> f64 {
        HaversineMeasure::new(EARTH_RADIUS_M).distance(geo::Point::from(self), geo::Point::from(other))
    }
}

impl crate::planar::PlanePoint for LonLat {
    fn xy(self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

impl From<LonLat> for geo::Coord<f64> {
    fn from(p: LonLat) -> Self {
        geo::Coord { x: p.lon, y: p.lat }
    }
}

impl From<LonLat> for geo::Point<f64> {
    fn from(p: LonLat) -> Self {
        geo::Point::new(p.lon, p.lat)
    }
}

impl From<geo::Coord<f64>> for LonLat {
    fn from(c: geo::Coord<f64>) -> Self {
        LonLat::new(c.x, c.y)
    }
}

/// A ring (open or closed) as geo's closed ring, in lonlat (`x` = lon, `y` = lat).
pub fn ring_to_geo(ring: &[LonLat]) -> geo::LineString<f64> {
    let mut ls: geo::LineString<f64> = ring.iter().map(|p| geo::Coord::from(*p)).collect();
    ls.close();
    ls
}

/// A ring in `frame`'s local metres as geo's closed ring.
fn local_ring(ring: &[LonLat], frame: &LocalFrame) -> geo::LineString<f64> {
    let mut ls: geo::LineString<f64> = ring.iter().map(|p| geo::Coord::from(frame.local_from_lonlat(*p))).collect();
    ls.close();
    ls
}

/// A local metric frame: metres east (`x`) and north (`y`) of `origin`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalFrame {
    /// The point at local (0, 0).
    pub origin: LonLat,
    metres_per_deg_lon: f64,
    metres_per_deg_lat: f64,
}

impl LocalFrame {
    /// A frame centred on `origin`.
    pub fn new(origin: LonLat) -> Self {
        let metres_per_deg_lat = EARTH_RADIUS_M.to_radians();
        Self { origin, metres_per_deg_lat, metres_per_deg_lon: metres_per_deg_lat * origin.lat.to_radians().cos() }
    }

    /// `local_from_lonlat`: metres east/north of the origin.
    pub fn local_from_lonlat(&self, p: LonLat) -> [f64; 2] {
        [(p.lon - self.origin.lon) * self.metres_per_deg_lon, (p.lat - self.origin.lat) * self.metres_per_deg_lat]
    }

    /// `lonlat_from_local`: the inverse of [`LocalFrame::local_from_lonlat`].
    pub fn lonlat_from_local(&self, p: [f64; 2]) -> LonLat {
        LonLat::new(self.origin.lon + p[0] / self.metres_per_deg_lon, self.origin.lat + p[1] / self.metres_per_deg_lat)
    }
}

/// A polygon in lonlat: one exterior ring and any holes. Rings are stored open (first point not repeated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Polygon {
    /// The outer boundary, counter-clockwise seen from above (east right, north up).
    pub exterior: Vec<LonLat>,
    /// Holes, if any.
    #[serde(default)]
    pub holes: Vec<Vec<LonLat>>,
}

/// An axis-aligned box in lonlat.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// South-west corner.
    pub min: LonLat,
    /// North-east corner.
    pub max: LonLat,
}

impl BBox {
    /// The smallest box around `points`, or `None` when there are none.
    pub fn of(points: impl IntoIterator<Item = LonLat>) -> Option<Self> {
        let mut it = points.into_iter();
        let first = it.next()?;
        let mut b = BBox { min: first, max: first };
        for p in it {
            b.min.lon = b.min.lon.min(p.lon);
            b.min.lat = b.min.lat.min(p.lat);
            b.max.lon = b.max.lon.max(p.lon);
            b.max.lat = b.max.lat.max(p.lat);
        }
        Some(b)
    }

    /// Centre of the box.
    pub fn centre(&self) -> LonLat {
        LonLat::new((self.min.lon + self.max.lon) / 2.0, (self.min.lat + self.max.lat) / 2.0)
    }

    /// Whether `p` lies inside or on the box.
    pub fn contains(&self, p: LonLat) -> bool {
        (self.min.lon..=self.max.lon).contains(&p.lon) && (self.min.lat..=self.max.lat).contains(&p.lat)
    }
}

impl Polygon {
    /// A polygon with no holes.
    pub fn from_exterior(exterior: Vec<LonLat>) -> Self {
        Self { exterior, holes: Vec::new() }
    }

    /// Bounding box of the exterior.
    pub fn bbox(&self) -> Option<BBox> {
        BBox::of(self.exterior.iter().copied())
    }

    /// The polygon as geo's, in lonlat (`x` = lon, `y` = lat), rings closed. Convert once and keep it when asking
    /// many questions of one polygon: each call here copies the rings.
    pub fn to_geo(&self) -> geo::Polygon<f64> {
        geo::Polygon::new(ring_to_geo(&self.exterior), self.holes.iter().map(|h| ring_to_geo(h)).collect())
    }

    /// Whether `p` is inside the polygon or on its boundary, holes excluded (geo's `Intersects`, a robust winding
    /// number test). Copies the polygon into geo's form; for repeated queries keep [`Polygon::to_geo`]'s result.
    pub fn contains(&self, p: LonLat) -> bool {
        self.exterior.len() >= 3 && self.to_geo().intersects(&geo::Coord::from(p))
    }

    /// Area in square metres, holes subtracted, measured in the given local frame (geo's planar `Area`).
    pub fn area_m2(&self, frame: &LocalFrame) -> f64 {
        let holes = self.holes.iter().map(|h| local_ring(h, frame)).collect();
        geo::Polygon::new(local_ring(&self.exterior, frame), holes).unsigned_area()
    }

    /// Area-weighted centroid of the exterior ring (geo's `Centroid`; a ring of no area gives the centroid of its
    /// edges, an empty one the default position).
    pub fn centroid(&self) -> LonLat {
        geo::Polygon::new(ring_to_geo(&self.exterior), Vec::new())
            .centroid()
            .map_or_else(LonLat::default, |c| LonLat::from(c.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lonlat_rejects_bad_numbers() {
        assert!(LonLat::try_new(120.3, 30.4).is_ok());
        assert!(matches!(LonLat::try_new(f64::NAN, 30.0), Err(LonLatError::NotFinite { .. })));
        assert!(matches!(LonLat::try_new(200.0, 30.0), Err(LonLatError::OutOfRange { .. })));
        assert!(matches!(LonLat::try_new(120.0, -91.0), Err(LonLatError::OutOfRange { .. })));
    }

    #[test]
    fn local_frame_round_trips_and_measures_metres() {
        let f = LocalFrame::new(LonLat::new(120.3, 30.42));
        let p = LonLat::new(120.35, 30.40);
        let q = f.lonlat_from_local(f.local_from_lonlat(p));
        assert!((p.lon - q.lon).abs() < 1e-12 && (p.lat - q.lat).abs() < 1e-12);
        let l = f.local_from_lonlat(p);
        let d = (l[0] * l[0] + l[1] * l[1]).sqrt();
        let h = f.origin.distance_m(p);
        assert!((d - h).abs() / h < 1e-3, "local {d} vs haversine {h}");
    }

    #[test]
    fn square_area_centroid_and_containment() {
        let f = LocalFrame::new(LonLat::new(120.0, 30.0));
        let sq: Vec<LonLat> = [[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0], [0.0, 1000.0]]
            .iter()
            .map(|p| f.lonlat_from_local(*p))
            .collect();
        let hole: Vec<LonLat> = [[400.0, 400.0], [600.0, 400.0], [600.0, 600.0], [400.0, 600.0]]
            .iter()
            .map(|p| f.lonlat_from_local(*p))
            .collect();
        let poly = Polygon { exterior: sq, holes: vec![hole] };
        assert!((poly.area_m2(&f) - (1_000_000.0 - 40_000.0)).abs() < 1.0);
        let c = f.local_from_lonlat(poly.centroid());
        assert!((c[0] - 500.0).abs() < 0.01 && (c[1] - 500.0).abs() < 0.01);
        assert!(poly.contains(f.lonlat_from_local([100.0, 100.0])));
        assert!(!poly.contains(f.lonlat_from_local([500.0, 500.0])), "inside the hole");
        assert!(!poly.contains(f.lonlat_from_local([1500.0, 500.0])));
    }
}
