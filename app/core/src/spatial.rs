//! A spatial index over the district (R*-tree from `rstar`): which buildings and grids are at or near a place.
//! Used by the map to draw only what is on screen and to pick what is under the cursor.

use crate::geom::BBox;
use crate::{BuildingId, District, GridId, LonLat};
use rstar::{AABB, RTree, RTreeObject};

/// An entry: a bounding box in lonlat and what it belongs to.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry<T> {
    env: AABB<[f64; 2]>,
    item: T,
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

/// Bounding-box index of buildings and grids, built once per district.
pub struct SpatialIndex {
    buildings: RTree<Entry<BuildingId>>,
    grids: RTree<Entry<GridId>>,
}

impl SpatialIndex {
    /// Build the index (bulk-loaded; about 50 ms for 50,000 buildings in release).
    pub fn new(district: &District) -> Self {
        let buildings = district
            .buildings
            .iter()
            .filter_map(|b| b.footprint.bbox().map(|bb| Entry { env: aabb(bb), item: b.id }))
            .collect();
        let grids = district
            .grids
            .iter()
            .filter_map(|g| g.outline.bbox().map(|bb| Entry { env: aabb(bb), item: g.id }))
            .collect();
        Self { buildings: RTree::bulk_load(buildings), grids: RTree::bulk_load(grids) }
    }

    /// Buildings whose bounding box meets `view`.
    pub fn buildings_in(&self, view: BBox) -> impl Iterator<Item = BuildingId> + '_ {
        self.buildings.locate_in_envelope_intersecting(&aabb(view)).map(|e| e.item)
    }

    /// The building whose footprint contains `p`, if any.
    pub fn building_at(&self, district: &District, p: LonLat) -> Option<BuildingId> {
        self.buildings
            .locate_in_envelope_intersecting(&AABB::from_point([p.lon, p.lat]))
            .map(|e| e.item)
            .find(|id| district.building(*id).footprint.contains(p))
    }

    /// The grid whose outline contains `p`, if any.
    pub fn grid_at(&self, district: &District, p: LonLat) -> Option<GridId> {
        self.grids
            .locate_in_envelope_intersecting(&AABB::from_point([p.lon, p.lat]))
            .map(|e| e.item)
            .find(|id| district.grid(*id).outline.contains(p))
    }
}
