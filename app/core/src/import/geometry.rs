//! Positions, lines and rings read from GeoJSON coordinates and checked (finite, in range, rings closed and not
//! crossing themselves), brought to WGS84; and the areas of the rings kept.

use super::error::{FeatureError, Ring};
use super::{Crs, Rings, gcj02_to_wgs84};
use crate::geom::LonLat;
use geo::GeodesicArea;
use geo::line_intersection::{LineIntersection, line_intersection};
use serde_json::Value;

/// A GeoJSON position (`[lon, lat, …]`) checked and brought to WGS84.
pub(super) fn point(v: &Value, crs: Crs) -> Result<LonLat, FeatureError> {
    let a = v.as_array().ok_or(FeatureError::NotAnArray("a position"))?;
    if a.len() < 2 {
        return Err(FeatureError::ShortPosition);
    }
    let (Some(lon), Some(lat)) = (a[0].as_f64(), a[1].as_f64()) else {
        return Err(FeatureError::NotNumbers(v.to_string()));
    };
    position(lon, lat, crs)
}

/// A position's two numbers checked (finite, in range) and brought to WGS84.
pub(super) fn position(lon: f64, lat: f64, crs: Crs) -> Result<LonLat, FeatureError> {
    if !lon.is_finite() || !lat.is_finite() {
        return Err(FeatureError::NotFinite);
    }
    if lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(FeatureError::OutOfRange { lon, lat });
    }
    let p = LonLat { lon, lat };
    Ok(match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => gcj02_to_wgs84(p),
    })
}

/// A LineString's positions, checked: at least two.
pub(super) fn line(v: &Value, crs: Crs) -> Result<Vec<LonLat>, FeatureError> {
    let pts: Vec<LonLat> = v
        .as_array()
        .ok_or(FeatureError::NotAnArray("a line"))?
        .iter()
        .map(|p| point(p, crs))
        .collect::<Result<_, _>>()?;
    if pts.len() < 2 {
        return Err(FeatureError::ShortLine);
    }
    Ok(pts)
}

/// A Polygon's rings, each checked ([`ring_checked`]).
pub(super) fn rings(v: &Value, crs: Crs) -> Result<Rings, FeatureError> {
    let arr = v.as_array().ok_or(FeatureError::CoordinatesNotAnArray("polygon"))?;
    if arr.is_empty() {
        return Err(FeatureError::Empty("polygon", "rings"));
    }
    let mut out = Vec::with_capacity(arr.len());
    for (k, r) in arr.iter().enumerate() {
        let ring = Ring(k);
        let pts: Vec<LonLat> = r
            .as_array()
            .ok_or(FeatureError::RingNotAnArray(ring))?
            .iter()
            .map(|p| point(p, crs))
            .collect::<Result<_, _>>()
            .map_err(|e| FeatureError::InRing { ring, source: Box::new(e) })?;
        out.push(ring_checked(pts, k)?);
    }
    Ok(out)
}

/// Ring `k` of a polygon (0 the outer ring), its positions already checked: at least four, closed, not crossing
/// itself.
pub(super) fn ring_checked(pts: Vec<LonLat>, k: usize) -> Result<Vec<LonLat>, FeatureError> {
    let ring = Ring(k);
    if pts.len() < 4 {
        return Err(FeatureError::ShortRing { ring, positions: pts.len() });
    }
    if pts.first() != pts.last() {
        return Err(FeatureError::OpenRing(ring));
    }
    if let Some((a, b)) = self_intersection(&pts) {
        return Err(FeatureError::SelfCrossing { ring, a, b });
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
