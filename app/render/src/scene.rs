//! Scene data: the district tessellated once into GPU-ready vertex and index arrays (CPU only, no GPU here),
//! plus what exact picking needs.
//!
//! Everything is in `local` metres around the district's centre (f32 on the GPU is good to millimetres over a
//! 50 km district). Unit fills and outlines carry a *unit slot* instead of a colour, so recolouring the five-colour
//! overlay writes one small storage buffer and never touches geometry.

use bytemuck::{Pod, Zeroable};
use glam::DVec3;
use pingan_core::{BuildingId, BuildingKind, District, LocalFrame, LonLat, RoadClass};

/// No unit: the vertex's own colour is used.
pub const NO_UNIT: u32 = u32::MAX;

/// One vertex of the static scene (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct Vertex {
    /// Position in local metres.
    pub position: [f32; 3],
    /// Surface normal.
    pub normal: [f32; 3],
    /// sRGB colour and alpha.
    pub color: [u8; 4],
    /// Building id + 1, or 0.
    pub pick: u32,
    /// Unit slot or [`NO_UNIT`].
    pub unit: u32,
}

/// Which governance level the translucent five-colour fill shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FillLevel {
    /// Towns/streets.
    Town,
    /// Villages/communities.
    Community,
    /// Grids.
    Grid,
}

/// A vertex/index mesh.
#[derive(Clone, Debug, Default)]
pub struct Mesh {
    /// Vertices.
    pub vertices: Vec<Vertex>,
    /// Triangle list indices.
    pub indices: Vec<u32>,
}

impl Mesh {
    fn push_triangles(&mut self, verts: impl IntoIterator<Item = Vertex>, tris: impl IntoIterator<Item = u32>) {
        let base = self.vertices.len() as u32;
        self.vertices.extend(verts);
        self.indices.extend(tris.into_iter().map(|i| base + i));
    }

    /// A flat convex or concave polygon at height `z` (triangulated with earcut).
    fn push_polygon(&mut self, ring: &[[f64; 2]], z: f32, color: [u8; 4], pick: u32, unit: u32) {
        if ring.len() < 3 {
            return;
        }
        let flat: Vec<f64> = ring.iter().flat_map(|p| [p[0], p[1]]).collect();
        let Ok(tris) = earcutr::earcut(&flat, &[], 2) else { return };
        let verts = ring.iter().map(|p| Vertex {
            position: [p[0] as f32, p[1] as f32, z],
            normal: [0.0, 0.0, 1.0],
            color,
            pick,
            unit,
        });
        self.push_triangles(verts, tris.into_iter().map(|i| i as u32));
    }

    /// A flat ribbon of `width` metres along a polyline at height `z`.
    fn push_ribbon(&mut self, line: &[[f64; 2]], width: f64, z: f32, color: [u8; 4], unit: u32) {
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = (dx * dx + dy * dy).sqrt();
            if len < 1e-6 {
                continue;
            }
            // Extend each segment by half a width so consecutive segments overlap at joints.
            let (ux, uy) = (dx / len, dy / len);
            let (nx, ny) = (-uy * width / 2.0, ux * width / 2.0);
            let (ex, ey) = (ux * width / 2.0, uy * width / 2.0);
            let pts = [
                [a[0] - ex + nx, a[1] - ey + ny],
                [a[0] - ex - nx, a[1] - ey - ny],
                [b[0] + ex - nx, b[1] + ey - ny],
                [b[0] + ex + nx, b[1] + ey + ny],
            ];
            let verts = pts.iter().map(|p| Vertex {
                position: [p[0] as f32, p[1] as f32, z],
                normal: [0.0, 0.0, 1.0],
                color,
                pick: 0,
                unit,
            });
            self.push_triangles(verts, [0, 1, 2, 0, 2, 3]);
        }
    }
}

/// Heights of the flat layers above the ground, in metres, so they never fight for depth.
mod layer {
    pub const WATER: f32 = 0.4;
    pub const ROAD: f32 = 0.8;
    pub const FILL: f32 = 1.2;
    pub const OUTLINE: f32 = 1.6;
}

/// A building footprint for picking: its rings in [`Footprints`], its box and height, in local metres.
#[derive(Clone, Debug)]
struct Footprint {
    id: BuildingId,
    height: f32,
    /// Its box's corners.
    min: [f32; 2],
    max: [f32; 2],
    /// Its first corner in [`Footprints::points`].
    first_point: u32,
    /// Its rings (outline, then courtyards) in [`Footprints::ring_ends`].
    rings: std::ops::Range<u32>,
}

/// Every building's footprint for picking, in three flat arrays (no allocation per building: at a million
/// buildings, 80 bytes each instead of about 250 as geo polygons). Corners are f32 local metres — millimetres
/// across a whole city.
#[derive(Clone, Debug, Default)]
struct Footprints {
    items: Vec<Footprint>,
    /// Every ring's corners (open rings).
    points: Vec<[f32; 2]>,
    /// Where each ring's corners end in `points`.
    ring_ends: Vec<u32>,
}

impl Footprints {
    fn push(&mut self, id: BuildingId, height: f32, rings: &[Vec<[f64; 2]>]) {
        let first_point = self.points.len() as u32;
        let r0 = self.ring_ends.len() as u32;
        let (mut min, mut max) = ([f32::MAX; 2], [f32::MIN; 2]);
        for ring in rings {
            for p in ring {
                let q = [p[0] as f32, p[1] as f32];
                min = [min[0].min(q[0]), min[1].min(q[1])];
                max = [max[0].max(q[0]), max[1].max(q[1])];
                self.points.push(q);
            }
            self.ring_ends.push(self.points.len() as u32);
        }
        let rings = r0..self.ring_ends.len() as u32;
        self.items.push(Footprint { id, height, min, max, first_point, rings });
    }

    /// Add `other`'s footprints after these.
    fn append(&mut self, other: Footprints) {
        let (p, r) = (self.points.len() as u32, self.ring_ends.len() as u32);
        self.items.extend(other.items.into_iter().map(|mut f| {
            f.first_point += p;
            f.rings = f.rings.start + r..f.rings.end + r;
            f
        }));
        self.points.extend(other.points);
        self.ring_ends.extend(other.ring_ends.into_iter().map(|e| e + p));
    }

    /// The rings of `f` (outline first).
    fn rings<'a>(&'a self, f: &'a Footprint) -> impl Iterator<Item = &'a [[f32; 2]]> + Clone + 'a {
        (f.rings.start..f.rings.end).map(move |k| {
            let start = if k == f.rings.start { f.first_point } else { self.ring_ends[k as usize - 1] };
            &self.points[start as usize..self.ring_ends[k as usize] as usize]
        })
    }
}

/// Index ranges of each fill level inside [`Scene::fills`].
#[derive(Clone, Debug, Default)]
pub struct FillRanges {
    /// Towns.
    pub town: std::ops::Range<u32>,
    /// Communities.
    pub community: std::ops::Range<u32>,
    /// Grids.
    pub grid: std::ops::Range<u32>,
}

/// Side of a building chunk in metres: the unit of frustum culling.
pub const CHUNK_M: f64 = 1500.0;

pub use crate::buildings::{BuildingAttr, BuildingVertex, Buildings, Chunk};

/// The tessellated district.
pub struct Scene {
    /// The local frame the scene is in.
    pub frame: LocalFrame,
    /// Ground, water, roads and outlines (opaque).
    pub opaque: Mesh,
    /// Index range of grid outlines in `opaque` (drawn only when grids are filled; the rest is always drawn).
    pub grid_outlines: std::ops::Range<u32>,
    /// Extruded buildings (opaque), packed and grouped by chunk (see [`crate::buildings`]).
    pub buildings_geo: Buildings,
    /// Translucent unit fills, all three levels; see [`Scene::fill_ranges`].
    pub fills: Mesh,
    /// Which indices of `fills` belong to which level.
    pub fill_ranges: FillRanges,
    /// Unit slots: towns first, then communities, then grids.
    pub unit_slots: usize,
    /// Number of buildings.
    pub buildings: usize,
    /// Bounding box of the district in local metres.
    pub bounds: ([f64; 2], [f64; 2]),
    /// One per building of `buildings_geo`, in the same order (so a chunk's building range is its footprints).
    footprints: Footprints,
    max_height: f64,
}

/// The colour of a building: by kind, a little lighter the taller it is.
pub fn building_color(kind: BuildingKind, height_m: f32) -> [u8; 4] {
    let t = (height_m / 110.0).clamp(0.0, 1.0);
    let base: [f32; 3] = match kind {
        BuildingKind::HighRise | BuildingKind::MidRise => [120.0, 150.0, 190.0],
        BuildingKind::VillageHouse => [150.0, 145.0, 150.0],
        BuildingKind::Industrial => [140.0, 130.0, 170.0],
        BuildingKind::Public => [110.0, 170.0, 175.0],
    };
    let c = base.map(|v| (v + (255.0 - v) * t * 0.4) as u8);
    [c[0], c[1], c[2], 255]
}

/// Ground colour (sRGB).
pub const GROUND: [u8; 4] = [22, 36, 56, 255];
/// Water colour.
pub const WATER: [u8; 4] = [24, 70, 125, 255];

/// `ring` in `frame`'s local metres.
fn local_ring(frame: &LocalFrame, ring: &[LonLat]) -> Vec<[f64; 2]> {
    ring.iter().map(|p| frame.local_from_lonlat(*p)).collect()
}

/// A building's place in the tessellation order: its chunk, then largest first, then its index.
type Slot = (i32, i32, std::cmp::Reverse<u32>, usize);

impl Scene {
    /// Tessellate `district` (about 1 s for 76,000 buildings in release).
    pub fn from_district(district: &District) -> Self {
        let frame = LocalFrame::new(district.bbox().centre());
        let outline = local_ring(&frame, &district.outline.exterior);
        let mut opaque = Mesh::default();
        opaque.push_polygon(&outline, 0.0, GROUND, 0, NO_UNIT);
        push_water_and_roads(&mut opaque, district, &frame);
        let (fills, ranges) = unit_fills(district, &frame);
        let grid_outlines = push_outlines(&mut opaque, district, &frame);
        let (geo_out, footprints, max_height) = tessellate_buildings(district, &frame);
        let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in &outline {
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
        Scene {
            frame,
            opaque,
            grid_outlines,
            buildings_geo: geo_out,
            fills,
            fill_ranges: ranges,
            unit_slots: district.towns.len() + district.communities.len() + district.grids.len(),
            buildings: footprints.items.len(),
            bounds: (min, max),
            footprints,
            max_height,
        }
    }

    /// Number of triangles in the scene.
    pub fn triangles(&self) -> usize {
        (self.opaque.indices.len() + self.fills.indices.len()) / 3 + self.buildings_geo.triangles()
    }

    /// The building hit first by a ray (origin, unit direction) in local metres: exact against roofs and walls,
    /// so a tall building in front wins over a lower one behind it. Returns the building and the hit point.
    pub fn pick_building(&self, origin: DVec3, dir: DVec3) -> Option<(BuildingId, DVec3)> {
        if dir.z >= 0.0 && origin.z > self.max_height {
            return None;
        }
        // The ray's stretch between the highest roof and the ground, projected on the ground.
        let t_top = if dir.z < 0.0 { ((origin.z - self.max_height) / -dir.z).max(0.0) } else { 0.0 };
        let t_ground = if dir.z < 0.0 { origin.z / -dir.z } else { 1e6 };
        let (a, b) = (origin + dir * t_top, origin + dir * t_ground);
        let (lo, hi) = ([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        let meets = |min: &[f32], max: &[f32]| {
            f64::from(min[0]) <= hi[0]
                && f64::from(max[0]) >= lo[0]
                && f64::from(min[1]) <= hi[1]
                && f64::from(max[1]) >= lo[1]
        };
        // The chunks are the index: their boxes first, then their buildings' boxes.
        let chunks = self.buildings_geo.chunks.iter().filter(|c| meets(&c.min, &c.max));
        let candidates = chunks
            .flat_map(|c| &self.footprints.items[c.buildings.start as usize..c.buildings.end as usize])
            .filter(|f| meets(&f.min, &f.max));
        let mut best: Option<(f64, BuildingId)> = None;
        for f in candidates {
            if let Some(t) = ray_prism(origin, dir, self.footprints.rings(f), f64::from(f.height))
                && best.is_none_or(|(bt, _)| t < bt)
            {
                best = Some((t, f.id));
            }
        }
        best.map(|(t, id)| (id, origin + dir * t))
    }

    /// Local position of a building's roof centre (its footprint's vertex mean at roof height).
    pub fn roof_centre(&self, id: BuildingId) -> Option<[f64; 3]> {
        let f = self.footprints.items.iter().find(|f| f.id == id)?;
        let outline = self.footprints.rings(f).next()?;
        let n = outline.len().max(1) as f64;
        let (sx, sy) = outline.iter().fold((0.0, 0.0), |(x, y), p| (x + f64::from(p[0]), y + f64::from(p[1])));
        Some([sx / n, sy / n, f64::from(f.height)])
    }
}

/// A ring without its closing point (a GeoJSON ring repeats its first point last).
fn open_ring(mut r: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    if r.len() > 1 && r.first() == r.last() {
        r.pop();
    }
    r
}

/// Smallest ray parameter where the ray meets the prism (footprint × [0, h]): roof (core's even–odd point in rings,
/// so a courtyard has no roof) or walls.
fn ray_prism<'a>(o: DVec3, d: DVec3, rings: impl Iterator<Item = &'a [[f32; 2]]> + Clone, h: f64) -> Option<f64> {
    let corner = |p: [f32; 2]| (f64::from(p[0]), f64::from(p[1]));
    let edges = rings.clone().flat_map(|r| (0..r.len()).map(move |i| (corner(r[i]), corner(r[(i + 1) % r.len()]))));
    let mut best = f64::INFINITY;
    if d.z.abs() > 1e-12 {
        let t = (h - o.z) / d.z;
        if t > 0.0 {
            let p = o + d * t;
            if pingan_core::planar::inside_even_odd(rings, [p.x, p.y]) {
                best = t;
            }
        }
    }
    for ((ax, ay), (bx, by)) in edges {
        // Solve o.xy + t d.xy = a + s (b - a) in 2D.
        let (ex, ey) = (bx - ax, by - ay);
        let den = d.x * ey - d.y * ex;
        if den.abs() < 1e-12 {
            continue;
        }
        let (wx, wy) = (ax - o.x, ay - o.y);
        let t = (wx * ey - wy * ex) / den;
        let s = (wx * d.y - wy * d.x) / den;
        if t > 0.0 && (0.0..=1.0).contains(&s) {
            let z = o.z + d.z * t;
            if (0.0..=h).contains(&z) && t < best {
                best = t;
            }
        }
    }
    best.is_finite().then_some(best)
}

/// Water (areas, or ribbons along their centrelines) and roads, by class, into `opaque`.
fn push_water_and_roads(opaque: &mut Mesh, district: &District, frame: &LocalFrame) {
    let local = |ring: &[LonLat]| local_ring(frame, ring);
    for w in &district.water {
        if w.centreline.is_empty() {
            opaque.push_polygon(&local(&w.area.exterior), layer::WATER, WATER, 0, NO_UNIT);
        } else {
            opaque.push_ribbon(&local(&w.centreline), w.width_m as f64, layer::WATER, WATER, NO_UNIT);
        }
    }
    for r in &district.roads {
        let color = match r.class {
            RoadClass::Expressway => [196, 146, 70, 255],
            RoadClass::Arterial => [104, 118, 140, 255],
            RoadClass::Secondary => [78, 92, 114, 255],
            RoadClass::Local => [60, 72, 92, 255],
        };
        opaque.push_ribbon(&local(&r.line), r.class.width_m() as f64, layer::ROAD, color, NO_UNIT);
    }
}

/// The translucent unit fills, each carrying its unit slot (towns, then communities, then grids), and each level's
/// index range.
fn unit_fills(district: &District, frame: &LocalFrame) -> (Mesh, FillRanges) {
    let local = |ring: &[LonLat]| local_ring(frame, ring);
    let n_towns = district.towns.len() as u32;
    let n_comms = district.communities.len() as u32;
    let mut fills = Mesh::default();
    let mut ranges = FillRanges::default();
    let fill_color = [255, 255, 255, 90];
    let start = fills.indices.len() as u32;
    for t in &district.towns {
        fills.push_polygon(&local(&t.outline.exterior), layer::FILL, fill_color, 0, t.id.0 as u32);
    }
    ranges.town = start..fills.indices.len() as u32;
    let start = fills.indices.len() as u32;
    for c in &district.communities {
        fills.push_polygon(&local(&c.outline.exterior), layer::FILL, fill_color, 0, n_towns + c.id.0);
    }
    ranges.community = start..fills.indices.len() as u32;
    let start = fills.indices.len() as u32;
    for g in &district.grids {
        fills.push_polygon(&local(&g.outline.exterior), layer::FILL, fill_color, 0, n_towns + n_comms + g.id.0);
    }
    ranges.grid = start..fills.indices.len() as u32;
    (fills, ranges)
}

/// Unit outlines into `opaque`: towns wide and bright, communities thinner, grids last and thinnest; returns the
/// grids' index range (drawn only when grids are filled).
fn push_outlines(opaque: &mut Mesh, district: &District, frame: &LocalFrame) -> std::ops::Range<u32> {
    let closed = |ring: &[LonLat]| {
        let mut ring = local_ring(frame, ring);
        ring.push(ring[0]);
        ring
    };
    for t in &district.towns {
        opaque.push_ribbon(&closed(&t.outline.exterior), 40.0, layer::OUTLINE, [46, 197, 255, 255], NO_UNIT);
    }
    for c in &district.communities {
        opaque.push_ribbon(&closed(&c.outline.exterior), 12.0, layer::OUTLINE - 0.1, [120, 150, 190, 255], NO_UNIT);
    }
    // Grid outlines last, so they are one index range that can be left out.
    let grid_start = opaque.indices.len() as u32;
    for g in &district.grids {
        opaque.push_ribbon(&closed(&g.outline.exterior), 5.0, layer::OUTLINE - 0.2, [92, 112, 140, 255], NO_UNIT);
    }
    grid_start..opaque.indices.len() as u32
}

/// The buildings, grouped by chunk (roof by earcut, walls as flat-shaded quads), tessellated on every core: the
/// order cut into one run of whole chunks per thread, the runs joined after. Returns the geometry, the footprints
/// in the same order, and the highest roof.
fn tessellate_buildings(district: &District, frame: &LocalFrame) -> (Buildings, Footprints, f64) {
    let order = building_order(district, frame);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(order.len() / 2_000 + 1);
    let mut cuts = vec![0];
    for t in 1..threads {
        let mut at = (order.len() * t / threads).max(*cuts.last().unwrap_or(&0));
        while at > 0 && at < order.len() && (order[at].0, order[at].1) == (order[at - 1].0, order[at - 1].1) {
            at += 1;
        }
        cuts.push(at.min(order.len()));
    }
    cuts.push(order.len());
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> =
            cuts.windows(2).map(|w| s.spawn(|| tessellate_run(district, frame, &order[w[0]..w[1]]))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut geo_out = Buildings::default();
    let mut footprints = Footprints::default();
    let mut max_height: f64 = 0.0;
    for (g, f, m) in runs {
        geo_out.append(g);
        footprints.append(f);
        max_height = max_height.max(m);
    }
    geo_out.finish();
    (geo_out, footprints, max_height)
}

/// Every building by chunk, and within a chunk largest first (the level of detail draws a prefix: see
/// [`crate::buildings`]).
fn building_order(district: &District, frame: &LocalFrame) -> Vec<Slot> {
    let chunk_of = |b: &pingan_core::Building| {
        let c = frame.local_from_lonlat(b.footprint.exterior.first().copied().unwrap_or_default());
        ((c[0] / CHUNK_M).floor() as i32, (c[1] / CHUNK_M).floor() as i32)
    };
    let mut order: Vec<Slot> = district
        .buildings
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (cx, cy) = chunk_of(b);
            // The footprint's size from its box's two corners (no second copy of its ring).
            let size = b.footprint.bbox().map_or(0.0, |bb| {
                let (lo, hi) = (frame.local_from_lonlat(bb.min), frame.local_from_lonlat(bb.max));
                crate::buildings::footprint_size(&[lo, hi])
            });
            (cx, cy, std::cmp::Reverse((size * 10.0) as u32), i)
        })
        .collect();
    order.sort_unstable();
    order
}

/// Tessellate one run of whole chunks: its geometry, its footprints and its highest roof.
fn tessellate_run(district: &District, frame: &LocalFrame, run: &[Slot]) -> (Buildings, Footprints, f64) {
    let local = |ring: &[LonLat]| local_ring(frame, ring);
    let mut geo_out = Buildings::default();
    let mut footprints = Footprints::default();
    let mut max_height: f64 = 0.0;
    let mut current: Option<(i32, i32)> = None;
    for &(cx, cy, _, bi) in run {
        let b = &district.buildings[bi];
        if current != Some((cx, cy)) {
            current = Some((cx, cy));
            geo_out.start_chunk([(f64::from(cx) + 0.5) * CHUNK_M, (f64::from(cy) + 0.5) * CHUNK_M]);
        }
        let ring = open_ring(local(&b.footprint.exterior));
        if ring.len() < 3 {
            continue;
        }
        // Courtyards: the footprint's holes are kept — the roof is triangulated around them and they get
        // walls of their own.
        let holes: Vec<Vec<[f64; 2]>> =
            b.footprint.holes.iter().map(|h| open_ring(local(h))).filter(|h| h.len() >= 3).collect();
        let h = b.height_m.max(1.0);
        let mut rings = holes;
        rings.insert(0, ring);
        if !geo_out.push(&rings, h, building_color(b.kind, h), b.id.0 + 1) {
            continue;
        }
        max_height = max_height.max(h as f64);
        footprints.push(b.id, h, &rings);
    }
    (geo_out, footprints, max_height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ray_hits_roof_and_walls() {
        let sq: &[[f32; 2]] = &[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        let one = || std::iter::once(sq);
        // Straight down onto the roof at 30 m from 100 m.
        let t = ray_prism(DVec3::new(5.0, 5.0, 100.0), DVec3::new(0.0, 0.0, -1.0), one(), 30.0).unwrap();
        assert!((t - 70.0).abs() < 1e-9);
        // Horizontally into the west wall at 10 m.
        let t = ray_prism(DVec3::new(-20.0, 5.0, 10.0), DVec3::new(1.0, 0.0, 0.0), one(), 30.0).unwrap();
        assert!((t - 20.0).abs() < 1e-9);
        // Over the top.
        assert!(ray_prism(DVec3::new(-20.0, 5.0, 40.0), DVec3::new(1.0, 0.0, 0.0), one(), 30.0).is_none());
        // A courtyard: straight down into it misses the roof and falls to the ground between its walls.
        let yard: &[[f32; 2]] = &[[4.0, 4.0], [4.0, 6.0], [6.0, 6.0], [6.0, 4.0]];
        let both = || [sq, yard].into_iter();
        assert!(ray_prism(DVec3::new(5.0, 5.0, 100.0), DVec3::new(0.0, 0.0, -1.0), both(), 30.0).is_none());
        let t = ray_prism(DVec3::new(2.0, 2.0, 100.0), DVec3::new(0.0, 0.0, -1.0), both(), 30.0).unwrap();
        assert!((t - 70.0).abs() < 1e-9, "the roof beside the courtyard");
        // Horizontally from inside the courtyard: its own wall at x = 6.
        let t = ray_prism(DVec3::new(5.0, 5.0, 10.0), DVec3::new(1.0, 0.0, 0.0), both(), 30.0).unwrap();
        assert!((t - 1.0).abs() < 1e-6);
    }

    #[test]
    fn footprints_appended_keep_their_rings() {
        let mut a = Footprints::default();
        a.push(BuildingId(1), 10.0, &[vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]]);
        let mut b = Footprints::default();
        b.push(
            BuildingId(2),
            20.0,
            &[vec![[5.0, 5.0], [9.0, 5.0], [9.0, 9.0], [5.0, 9.0]], vec![[6.0, 6.0], [6.0, 7.0], [7.0, 7.0]]],
        );
        b.push(BuildingId(3), 30.0, &[vec![[20.0, 0.0], [21.0, 0.0], [21.0, 1.0]]]);
        a.append(b);
        let rings = |k: usize| a.rings(&a.items[k]).map(|r| r.len()).collect::<Vec<_>>();
        assert_eq!((rings(0), rings(1), rings(2)), (vec![3], vec![4, 3], vec![3]));
        assert_eq!(a.rings(&a.items[2]).next().unwrap()[0], [20.0, 0.0]);
        assert_eq!((a.items[1].min, a.items[1].max), ([5.0, 5.0], [9.0, 9.0]));
    }
}
