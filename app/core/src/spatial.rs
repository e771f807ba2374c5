//! A spatial index over the district (R*-tree from `rstar`): which buildings and grids are at or near a place.
//! Used by the map to draw only what is on screen and to pick what is under the cursor.
//!
//! The index keeps each shape as geo's polygon, converted once when the index is built, so that a point query
//! (`grid_at`, `building_at`, hot while the cursor moves) runs geo's point-in-polygon test without allocating.

use crate::geom::{BBox, Polygon};
use crate::{BuildingId, District, GridId, LonLat};
use geo::Intersects;
use rstar::{AABB, RTree, RTreeObject};

/// An entry: a bounding box in lonlat, what it belongs to, and where its shape is in its [`Layer`]'s shapes (kept
/// outside the tree, which keeps the tree small and quick to walk).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry<T> {
    env: AABB<[f64; 2]>,
    item: T,
    shape: u32,
}

impl<T> RTreeObject for Entry<T> {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

fn aabb(b: BBox) -> AABB<[f64; 2]> {
    AABB::from_corners([b.min.lon, b.min.lat], [b.max.lon, b.max.lat])
}

/// Shapes as geo's polygons in lonlat (converted once, here), and the tree over their boxes.
struct Layer<T: Copy> {
    tree: RTree<Entry<T>>,
    shapes: Vec<geo::Polygon<f64>>,
}

impl<T: Copy> Layer<T> {
    fn new<'a>(items: impl Iterator<Item = (&'a Polygon, T)>) -> Self {
        let (mut entries, mut shapes) = (Vec::new(), Vec::new());
        for (polygon, item) in items {
            if let Some(bb) = polygon.bbox() {
                entries.push(Entry { env: aabb(bb), item, shape: shapes.len() as u32 });
                // Fewer than 3 points hold nothing (an empty geo polygon holds no point and allocates nothing).
                let shape = if polygon.exterior.len() >= 3 {
                    polygon.to_geo()
                } else {
                    geo::Polygon::new(geo::LineString::new(Vec::new()), Vec::new())
                };
                shapes.push(shape);
            }
        }
        Layer { tree: RTree::bulk_load(entries), shapes }
    }

    /// The first item whose shape holds `p` (inside or on its boundary; geo's point-in-polygon).
    fn at(&self, p: LonLat) -> Option<T> {
        let c = geo::Coord::from(p);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([p.lon, p.lat]))
            .find(|e| self.shapes[e.shape as usize].intersects(&c))
            .map(|e| e.item)
    }
}

/// Bounding-box index of buildings and grids, with their shapes, built once per district.
pub struct SpatialIndex {
    buildings: Layer<BuildingId>,
    grids: Layer<GridId>,
}

impl SpatialIndex {
    /// Build the index (bulk-loaded; about 50 ms for the 76,000 buildings of the demo district in release).
    pub fn new(district: &District) -> Self {
        Self {
            buildings: Layer::new(district.buildings.iter().map(|b| (&b.footprint, b.id))),
            grids: Layer::new(district.grids.iter().map(|g| (&g.outline, g.id))),
        }
    }

    /// Buildings whose bounding box meets `view`.
    pub fn buildings_in(&self, view: BBox) -> impl Iterator<Item = BuildingId> + '_ {
        self.buildings.tree.locate_in_envelope_intersecting(&aabb(view)).map(|e| e.item)
    }

    /// The building whose footprint contains `p` (inside or on its boundary), if any. The index holds the
    /// footprints of the district it was built from; `_district` is that district.
    pub fn building_at(&self, _district: &District, p: LonLat) -> Option<BuildingId> {
        self.buildings.at(p)
    }

    /// The grid whose outline contains `p` (inside or on its boundary), if any. The index holds the outlines of the
    /// district it was built from; `_district` is that district.
    pub fn grid_at(&self, _district: &District, p: LonLat) -> Option<GridId> {
        self.grids.at(p)
    }
}
