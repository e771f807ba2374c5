//! Geometry in the spaces the domain uses.
//!
//! * `lonlat` — WGS84 degrees, what GeoJSON, GPS and the slippy map use. Everything stored is in this space.
//! * `local` — metres east/north of a [`LocalFrame`]'s origin (an equirectangular tangent approximation, good to
//!   well under a metre across a district of 50 km). Generators and renderers work here.

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

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: LonLat) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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

    /// Whether `p` is inside the polygon (even-odd rule, holes excluded). Points exactly on an edge may go either way.
    pub fn contains(&self, p: LonLat) -> bool {
        ring_contains(&self.exterior, p) && !self.holes.iter().any(|h| ring_contains(h, p))
    }

    /// Area in square metres, holes subtracted, measured in the given local frame.
    pub fn area_m2(&self, frame: &LocalFrame) -> f64 {
        ring_signed_area_m2(&self.exterior, frame).abs()
            - self.holes.iter().map(|h| ring_signed_area_m2(h, frame).abs()).sum::<f64>()
    }

    /// Area-weighted centroid of the exterior ring (falls back to the vertex mean for degenerate rings).
    pub fn centroid(&self) -> LonLat {
        let n = self.exterior.len();
        if n == 0 {
            return LonLat::default();
        }
        let o = self.exterior[0];
        let (mut a2, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let p = self.exterior[i];
            let q = self.exterior[(i + 1) % n];
            let (x0, y0, x1, y1) = (p.lon - o.lon, p.lat - o.lat, q.lon - o.lon, q.lat - o.lat);
            let cross = x0 * y1 - x1 * y0;
            a2 += cross;
            cx += (x0 + x1) * cross;
            cy += (y0 + y1) * cross;
        }
        if a2.abs() < 1e-18 {
            let (sx, sy) = self.exterior.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p.lon, sy + p.lat));
            return LonLat::new(sx / n as f64, sy / n as f64);
        }
        LonLat::new(o.lon + cx / (3.0 * a2), o.lat + cy / (3.0 * a2))
    }
}

/// Even-odd point-in-ring test in lonlat.
pub fn ring_contains(ring: &[LonLat], p: LonLat) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let x = (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon;
            if p.lon < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Signed area of a ring in square metres (positive when counter-clockwise).
pub fn ring_signed_area_m2(ring: &[LonLat], frame: &LocalFrame) -> f64 {
    let n = ring.len();
    let mut s = 0.0;
    for i in 0..n {
        let a = frame.local_from_lonlat(ring[i]);
        let b = frame.local_from_lonlat(ring[(i + 1) % n]);
        s += a[0] * b[1] - b[0] * a[1];
    }
    s / 2.0
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
