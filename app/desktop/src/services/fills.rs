//! Polygons triangulated for the 2D map, once per district (or per imported overlay), off the paint path: real
//! boundaries are concave, and egui fills only convex polygons by itself. Pure data in lonlat (no egui): the map
//! panel projects the points each time the camera moves.
//!
//! Triangulation is `earcutr` (ear clipping with holes), the same library the 3D scene uses.

use pingan_core::planar::is_convex;
use pingan_core::{District, LonLat, Polygon, geom::BBox};

/// Triangulations of the district's outline and every unit, made once per district: real boundaries are concave,
/// and egui fills only convex polygons by itself.
#[derive(Default)]
pub struct Fills {
    key: usize,
    /// The district's outline.
    pub outline: Tri,
    /// Each town, by index.
    pub towns: Vec<Tri>,
    /// Each community, by index.
    pub communities: Vec<Tri>,
    /// Each grid, by index.
    pub grids: Vec<Tri>,
    /// The buildings that egui cannot fill as a convex polygon (a courtyard, or a concave outline such as an L or a
    /// U), by building index; every other footprint is convex and drawn as it is.
    pub buildings: std::collections::HashMap<u32, Tri>,
}

/// A polygon's points (exterior, then holes; lonlat) and triangles.
#[derive(Default)]
pub struct Tri {
    /// Exterior points, then each hole's (lonlat, rings left open).
    pub points: Vec<LonLat>,
    /// Triangles, three indices into `points` each.
    pub indices: Vec<u32>,
    /// How many of `points` are the exterior (the rest are holes).
    pub outer: usize,
}

impl Tri {
    /// Triangulate `poly` (a degenerate polygon gets no triangles).
    pub fn of(poly: &Polygon) -> Self {
        let open = |r: &[LonLat]| -> Vec<LonLat> {
            let mut r = r.to_vec();
            if r.len() > 1 && r.first() == r.last() {
                r.pop();
            }
            r
        };
        let mut points = open(&poly.exterior);
        let outer = points.len();
        let mut holes = Vec::new();
        for h in &poly.holes {
            holes.push(points.len());
            points.extend(open(h));
        }
        let o = points.first().copied().unwrap_or_default();
        let flat: Vec<f64> = points.iter().flat_map(|p| [p.lon - o.lon, p.lat - o.lat]).collect();
        let indices = earcutr::earcut(&flat, &holes, 2).unwrap_or_default().into_iter().map(|i| i as u32).collect();
        Self { points, indices, outer }
    }
}

impl Fills {
    /// Make sure the triangulations are of `district`.
    pub fn update(&mut self, district: &std::sync::Arc<District>) {
        let key = std::sync::Arc::as_ptr(district) as usize;
        if self.key == key {
            return;
        }
        let started = std::time::Instant::now();
        *self = Self {
            key,
            outline: Tri::of(&district.outline),
            towns: district.towns.iter().map(|t| Tri::of(&t.outline)).collect(),
            communities: district.communities.iter().map(|c| Tri::of(&c.outline)).collect(),
            grids: district.grids.iter().map(|g| Tri::of(&g.outline)).collect(),
            buildings: district
                .buildings
                .iter()
                .enumerate()
                .filter(|(_, b)| !b.footprint.holes.is_empty() || !is_convex(&b.footprint.exterior))
                .map(|(i, b)| (i as u32, Tri::of(&b.footprint)))
                .collect(),
        };
        tracing::debug!("unit fills triangulated in {} ms", started.elapsed().as_millis());
    }
}

/// An overlaid scenario's building footprints, triangulated once (on the import thread) with their boxes.
#[derive(Default)]
pub struct OverlayFills {
    /// Each footprint polygon: its box, its triangles, the building's height (m).
    pub buildings: Vec<(BBox, Tri, f32)>,
}

impl std::fmt::Debug for OverlayFills {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OverlayFills({} footprints)", self.buildings.len())
    }
}

impl OverlayFills {
    /// Triangulate every building polygon of `imported`.
    pub fn of(imported: &pingan_core::import::Imported) -> Self {
        let buildings = imported
            .buildings
            .iter()
            .flat_map(|b| {
                b.polygons.iter().filter_map(move |p| {
                    let poly = Polygon { exterior: p[0].clone(), holes: p[1..].to_vec() };
                    Some((poly.bbox()?, Tri::of(&poly), b.height as f32))
                })
            })
            .collect();
        Self { buildings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(pts: &[(f64, f64)]) -> Vec<LonLat> {
        pts.iter().map(|&(lon, lat)| LonLat { lon, lat }).collect()
    }

    #[test]
    fn a_box_is_convex_an_l_is_not() {
        assert!(is_convex(&ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)])));
        assert!(is_convex(&ring(&[(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])), "collinear corner");
        assert!(!is_convex(&ring(&[(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0)])));
    }

    #[test]
    fn a_courtyard_is_left_out_of_the_triangles() {
        let poly = Polygon {
            exterior: ring(&[(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0)]),
            holes: vec![ring(&[(1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (2.0, 1.0)])],
        };
        let t = Tri::of(&poly);
        let area: f64 = t
            .indices
            .chunks(3)
            .map(|k| {
                let [a, b, c] = [0, 1, 2].map(|j| t.points[k[j] as usize]);
                ((b.lon - a.lon) * (c.lat - a.lat) - (c.lon - a.lon) * (b.lat - a.lat)).abs() / 2.0
            })
            .sum();
        assert!((area - 8.0).abs() < 1e-9, "9 m² less the 1 m² courtyard: {area}");
    }
}
