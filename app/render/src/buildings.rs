//! Compact building geometry: what grows with the number of buildings, kept small on the GPU.
//!
//! - **8-byte vertices** ([`BuildingVertex`]): the position as three 16-bit integers relative to the vertex's chunk
//!   (5 cm steps across, 10 cm up: ±1.6 km around the chunk's middle, 3.2 km high) and the building's index inside
//!   its chunk. No normal is stored: buildings are flat-shaded, so the fragment shader takes the face's normal from
//!   the derivatives of the position, and a roof corner and the top of the walls below it share one vertex. A
//!   footprint of `n` corners is `2n` vertices — the ring at the ground and at the roof.
//! - **16-bit indices**, local to their chunk (a chunk is split before it passes 65,535 vertices).
//! - **Per-building attributes** ([`BuildingAttr`]: colour and pick id, 8 bytes) in a storage buffer, read once
//!   per vertex by the building's index instead of being repeated in every vertex.
//!
//! A box-shaped building is 8 vertices (64 bytes), 30 indices (60 bytes) and its attributes (8 bytes).

use bytemuck::{Pod, Zeroable};
use pingan_core::planar::is_convex;

/// Horizontal step of a quantised position, metres.
pub const XY_STEP_M: f64 = 0.05;
/// Vertical step of a quantised position, metres.
pub const Z_STEP_M: f64 = 0.1;
/// Level-of-detail classes: a chunk's buildings are stored largest first, and `Chunk::lod[k]` is where the
/// indices of the buildings at least `LOD_SIZES_M[k]` metres across (the larger side of the footprint's box) end.
/// Drawing a prefix of a chunk's indices therefore draws exactly its buildings above a size; the renderer picks the
/// size from the chunk's distance, so a building smaller than about a pixel and a half is not drawn, and the big
/// ones never leave (no pop).
pub const LOD_SIZES_M: [f32; 8] = [160.0, 80.0, 40.0, 20.0, 10.0, 5.0, 2.5, 0.0];

/// Most vertices in one chunk (16-bit indices).
const MAX_CHUNK_VERTICES: usize = u16::MAX as usize;

/// One building vertex (8 bytes): x, y, z quantised around the chunk's origin, and the building's index in the
/// chunk (read as `Sint16x4`; the fourth value is reinterpreted as unsigned by the shader).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct BuildingVertex {
    /// x and y in [`XY_STEP_M`] steps from the chunk's origin, z in [`Z_STEP_M`] steps above the ground.
    pub pos: [i16; 3],
    /// The building's index inside its chunk.
    pub local: u16,
}

/// What a building's vertices share (8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct BuildingAttr {
    /// sRGB colour and alpha.
    pub color: [u8; 4],
    /// Building id + 1 (what the highlight compares with).
    pub pick: u32,
}

/// A square of buildings drawn (or culled) together.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Lower corner of its bounding box (local metres, z = 0).
    pub min: [f32; 3],
    /// Upper corner (z = tallest roof).
    pub max: [f32; 3],
    /// Where its quantised positions are measured from (local metres).
    pub origin: [f32; 2],
    /// Its vertices in [`Buildings::vertices`].
    pub vertices: std::ops::Range<u32>,
    /// Its indices in [`Buildings::indices`] (relative to its first vertex).
    pub indices: std::ops::Range<u32>,
    /// Its buildings in [`Buildings::attrs`].
    pub buildings: std::ops::Range<u32>,
    /// For each of [`LOD_SIZES_M`], where the indices of its buildings at least that size end.
    pub lod: [u32; LOD_SIZES_M.len()],
}

impl Chunk {
    /// The indices to draw when buildings smaller than `min_size_m` need not be: every building at least that big
    /// (and a few smaller ones of the same size class).
    pub fn indices_at_least(&self, min_size_m: f32) -> std::ops::Range<u32> {
        let k = LOD_SIZES_M.iter().position(|s| *s <= min_size_m).unwrap_or(LOD_SIZES_M.len() - 1);
        self.indices.start..self.lod[k].max(self.indices.start)
    }
}

/// A footprint's size for the level of detail: the larger side of its bounding box, metres.
pub fn footprint_size(ring: &[[f64; 2]]) -> f32 {
    let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in ring {
        min = [min[0].min(p[0]), min[1].min(p[1])];
        max = [max[0].max(p[0]), max[1].max(p[1])];
    }
    ((max[0] - min[0]).max(max[1] - min[1])).max(0.0) as f32
}

/// Every building, tessellated and packed; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Buildings {
    /// Vertices, chunk after chunk.
    pub vertices: Vec<BuildingVertex>,
    /// Triangle indices, each chunk's relative to its first vertex.
    pub indices: Vec<u16>,
    /// Per-building attributes, chunk after chunk.
    pub attrs: Vec<BuildingAttr>,
    /// The chunks, for culling and drawing.
    pub chunks: Vec<Chunk>,
}

fn quantise(v: f64, step: f64) -> i16 {
    (v / step).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
}

impl Buildings {
    /// Start a new chunk around `origin` (local metres).
    pub fn start_chunk(&mut self, origin: [f64; 2]) {
        let (v, i, b) = (self.vertices.len() as u32, self.indices.len() as u32, self.attrs.len() as u32);
        self.chunks.push(Chunk {
            min: [f32::MAX, f32::MAX, 0.0],
            max: [f32::MIN, f32::MIN, 0.0],
            origin: [origin[0] as f32, origin[1] as f32],
            vertices: v..v,
            indices: i..i,
            buildings: b..b,
            lod: [i; LOD_SIZES_M.len()],
        });
    }

    /// Add a building: `rings[0]` its outline, the rest its courtyards (open rings, local metres), extruded to
    /// `height` metres. Starts a new chunk at the same origin when this one would pass 65,535 vertices. Returns
    /// whether it was added (a degenerate footprint, or one of more than 32,767 corners, is not). Within a chunk,
    /// add the buildings largest first ([`footprint_size`]) for the level of detail to hold.
    pub fn push(&mut self, rings: &[Vec<[f64; 2]>], height: f32, color: [u8; 4], pick: u32) -> bool {
        let Some(outer) = rings.first().filter(|r| r.len() >= 3) else { return false };
        let rings: Vec<&Vec<[f64; 2]>> =
            std::iter::once(outer).chain(rings[1..].iter().filter(|r| r.len() >= 3)).collect();
        let corners: usize = rings.iter().map(|r| r.len()).sum();
        if 2 * corners > MAX_CHUNK_VERTICES {
            return false;
        }
        if self.chunks.is_empty() {
            self.start_chunk([0.0, 0.0]);
        }
        let Some(mut chunk) = self.chunks.last().cloned() else { return false };
        let in_chunk = (chunk.vertices.end - chunk.vertices.start) as usize;
        if in_chunk + 2 * corners > MAX_CHUNK_VERTICES || chunk.buildings.len() >= u16::MAX as usize {
            self.start_chunk([f64::from(chunk.origin[0]), f64::from(chunk.origin[1])]);
            chunk = self.chunks.last().cloned().unwrap_or(chunk);
        }
        // Roof first, on the top ring's vertices: a convex outline without courtyards (most buildings) is a fan;
        // anything else goes through earcut with the courtyards as holes.
        let roof: Vec<usize> = if rings.len() == 1 && is_convex(outer) {
            (1..outer.len() - 1).flat_map(|i| [0, i, i + 1]).collect()
        } else {
            let mut flat = Vec::with_capacity(corners * 2);
            let mut holes = Vec::new();
            for (k, r) in rings.iter().enumerate() {
                if k > 0 {
                    holes.push(flat.len() / 2);
                }
                flat.extend(r.iter().flat_map(|p| [p[0], p[1]]));
            }
            let Ok(roof) = earcutr::earcut(&flat, &holes, 2) else { return false };
            roof
        };
        let base = (self.vertices.len() as u32 - chunk.vertices.start) as usize;
        let local = (self.attrs.len() as u32 - chunk.buildings.start) as u16;
        let origin = [f64::from(chunk.origin[0]), f64::from(chunk.origin[1])];
        let z_top = quantise(f64::from(height), Z_STEP_M);
        // Vertices: for each corner, bottom then top.
        for r in &rings {
            for p in r.iter() {
                let (x, y) = (quantise(p[0] - origin[0], XY_STEP_M), quantise(p[1] - origin[1], XY_STEP_M));
                self.vertices.push(BuildingVertex { pos: [x, y, 0], local });
                self.vertices.push(BuildingVertex { pos: [x, y, z_top], local });
            }
        }
        let top = |i: usize| (base + 2 * i + 1) as u16;
        self.indices.extend(roof.iter().map(|i| top(*i)));
        // Walls: a quad per edge of every ring, bottom a → bottom c → top c, bottom a → top c → top a.
        let mut start = 0;
        for r in &rings {
            let n = r.len();
            for i in 0..n {
                let (a, c) = (start + i, start + (i + 1) % n);
                let (a0, a1, c0, c1) = (
                    (base + 2 * a) as u16,
                    (base + 2 * a + 1) as u16,
                    (base + 2 * c) as u16,
                    (base + 2 * c + 1) as u16,
                );
                self.indices.extend([a0, c0, c1, a0, c1, a1]);
            }
            start += n;
        }
        self.attrs.push(BuildingAttr { color, pick });
        let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in rings[0].iter() {
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
        if let Some(ch) = self.chunks.last_mut() {
            ch.min = [ch.min[0].min(min[0] as f32), ch.min[1].min(min[1] as f32), 0.0];
            ch.max = [ch.max[0].max(max[0] as f32), ch.max[1].max(max[1] as f32), ch.max[2].max(height)];
            ch.vertices.end = self.vertices.len() as u32;
            ch.indices.end = self.indices.len() as u32;
            ch.buildings.end = self.attrs.len() as u32;
            let size = footprint_size(rings[0]);
            for (k, s) in LOD_SIZES_M.iter().enumerate() {
                if size >= *s {
                    ch.lod[k] = ch.indices.end;
                }
            }
        }
        true
    }

    /// Add `other`'s chunks after this one's (each chunk's indices stay relative to its own first vertex).
    pub fn append(&mut self, mut other: Buildings) {
        let (v, i, b) = (self.vertices.len() as u32, self.indices.len() as u32, self.attrs.len() as u32);
        for c in &mut other.chunks {
            c.vertices = c.vertices.start + v..c.vertices.end + v;
            c.indices = c.indices.start + i..c.indices.end + i;
            c.buildings = c.buildings.start + b..c.buildings.end + b;
            c.lod.iter_mut().for_each(|l| *l += i);
        }
        self.vertices.append(&mut other.vertices);
        self.indices.append(&mut other.indices);
        self.attrs.append(&mut other.attrs);
        self.chunks.append(&mut other.chunks);
    }

    /// Drop chunks that got no building.
    pub fn finish(&mut self) {
        self.chunks.retain(|c| !c.indices.is_empty());
        // Kept for the scene's lifetime: without a growing vector's slack.
        self.vertices.shrink_to_fit();
        self.indices.shrink_to_fit();
        self.attrs.shrink_to_fit();
    }

    /// Triangles.
    pub fn triangles(&self) -> usize {
        self.indices.len() / 3
    }

    /// Bytes of the vertex, index and attribute arrays (what the GPU holds of them, chunk uniforms aside).
    pub fn bytes(&self) -> usize {
        self.vertices.len() * std::mem::size_of::<BuildingVertex>()
            + self.indices.len() * 2
            + self.attrs.len() * std::mem::size_of::<BuildingAttr>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_is_eight_vertices_and_thirty_indices_and_a_courtyard_adds_its_ring() {
        let mut b = Buildings::default();
        b.start_chunk([100.0, 100.0]);
        let square = |h: f64| {
            vec![[100.0 - h, 100.0 - h], [100.0 + h, 100.0 - h], [100.0 + h, 100.0 + h], [100.0 - h, 100.0 + h]]
        };
        assert!(b.push(&[square(10.0)], 20.0, [1, 2, 3, 255], 7));
        assert_eq!((b.vertices.len(), b.indices.len(), b.attrs.len()), (8, 30, 1));
        assert_eq!(b.vertices[1].pos, [-200, -200, 200], "5 cm and 10 cm steps from the chunk's origin");
        assert!(b.push(&[square(30.0), square(15.0).into_iter().rev().collect()], 30.0, [9, 9, 9, 255], 8));
        // 8 corners: 16 vertices; roof 8 triangles around the hole, walls 8 quads.
        assert_eq!(b.vertices.len() - 8, 16);
        assert_eq!(b.indices.len() - 30, 8 * 3 + 8 * 6);
        assert!(b.vertices[8..].iter().all(|v| v.local == 1));
        assert_eq!(b.chunks[0].buildings, 0..2);
        assert!(!b.push(&[vec![[0.0, 0.0], [1.0, 1.0]]], 5.0, [0; 4], 9), "degenerate");
        assert!(b.bytes() < 2 * 400);
    }

    #[test]
    fn a_full_chunk_is_split_at_the_same_origin() {
        let mut b = Buildings::default();
        b.start_chunk([0.0, 0.0]);
        let sq = vec![[0.0, 0.0], [5.0, 0.0], [5.0, 5.0], [0.0, 5.0]];
        for _ in 0..9000 {
            assert!(b.push(std::slice::from_ref(&sq), 10.0, [0; 4], 1));
        }
        assert_eq!(b.chunks.len(), 2, "72,000 vertices: two chunks");
        assert!(b.chunks.iter().all(|c| (c.vertices.end - c.vertices.start) as usize <= MAX_CHUNK_VERTICES));
        assert_eq!(b.chunks[1].origin, b.chunks[0].origin);
        assert!(
            b.indices[b.chunks[1].indices.start as usize..]
                .iter()
                .all(|i| (*i as u32) < b.chunks[1].vertices.end - b.chunks[1].vertices.start)
        );
    }

    #[test]
    fn runs_tessellated_apart_and_appended_equal_one_run() {
        let square = |x: f64, s: f64| vec![[x, 0.0], [x + s, 0.0], [x + s, s], [x, s]];
        let fill = |b: &mut Buildings, origin: f64| {
            b.start_chunk([origin, 0.0]);
            for k in 0..40 {
                let yard = vec![[origin + 2.0, 2.0], [origin + 2.0, 4.0], [origin + 4.0, 4.0], [origin + 4.0, 2.0]];
                let rings = if k % 7 == 0 {
                    vec![square(origin, 30.0 - k as f64 * 0.5), yard]
                } else {
                    vec![square(origin + k as f64, 9.0 - k as f64 * 0.2)]
                };
                assert!(b.push(&rings, 10.0 + k as f32, [1, 2, 3, 255], k + 1));
            }
        };
        let mut one = Buildings::default();
        fill(&mut one, 0.0);
        fill(&mut one, 1500.0);
        let (mut a, mut b) = (Buildings::default(), Buildings::default());
        fill(&mut a, 0.0);
        fill(&mut b, 1500.0);
        a.append(b);
        assert_eq!(format!("{:?}", a), format!("{:?}", one));
        assert_eq!(a.chunks.len(), 2);
        assert!(a.chunks[1].lod.iter().all(|l| *l >= a.chunks[1].indices.start && *l <= a.chunks[1].indices.end));
    }

    #[test]
    fn a_convex_roof_is_a_fan_and_a_concave_one_is_cut_by_earcut() {
        let roof_area = |ring: Vec<[f64; 2]>| {
            let mut b = Buildings::default();
            b.start_chunk([0.0, 0.0]);
            assert!(b.push(std::slice::from_ref(&ring), 10.0, [0; 4], 1));
            // The roof's triangles come first: n - 2 of them for n corners.
            let n = ring.len();
            let at = |i: u16| b.vertices[i as usize].pos.map(|v| f64::from(v) * XY_STEP_M);
            let tris = &b.indices[..3 * (n - 2)];
            tris.chunks(3)
                .map(|t| {
                    let [p, q, r] = [at(t[0]), at(t[1]), at(t[2])];
                    ((q[0] - p[0]) * (r[1] - p[1]) - (r[0] - p[0]) * (q[1] - p[1])).abs() / 2.0
                })
                .sum::<f64>()
        };
        assert!(is_convex(&[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]));
        assert!((roof_area(vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]) - 100.0).abs() < 1e-6);
        // An L: 20 × 20 less a 10 × 10 corner. A fan from its first corner would cover the missing corner too.
        let l = vec![[0.0, 0.0], [20.0, 0.0], [20.0, 10.0], [10.0, 10.0], [10.0, 20.0], [0.0, 20.0]];
        assert!(!is_convex(&l));
        assert!((roof_area(l) - 300.0).abs() < 1e-6);
    }
}
