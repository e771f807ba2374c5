//! Planar geometry in `local` metres for the generator: clipped Voronoi cells, Lloyd relaxation, value noise.
//!
//! Every cell here is convex (the district outline is a convex hull, and clipping a convex polygon by half-planes
//! keeps it convex), which makes containment exact and cheap.
//!
//! Hull, area, centroid and point–segment distance are `geo`'s. What stays hand-written is what geo has no
//! counterpart for: clipping a convex polygon by a half-plane (the Voronoi cells; geo's boolean operations would do
//! it far slower and not bit for bit the same), the signed distance to a convex cell's edges, and the noise.

use geo::{Area, Centroid, ConvexHull, Distance, Euclidean};

/// A point in local metres (east, north).
pub type P = [f64; 2];

/// Clip a convex polygon (counter-clockwise) to the half-plane `dot(n, x) <= c`.
pub fn clip_half_plane(poly: &[P], n: P, c: f64) -> Vec<P> {
    let mut out = Vec::with_capacity(poly.len() + 1);
    let len = poly.len();
    for i in 0..len {
        let a = poly[i];
        let b = poly[(i + 1) % len];
        let da = n[0] * a[0] + n[1] * a[1] - c;
        let db = n[0] * b[0] + n[1] * b[1] - c;
        if da <= 0.0 {
            out.push(a);
        }
        if (da <= 0.0) != (db <= 0.0) {
            let t = da / (da - db);
            out.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }
    dedup_ring(out)
}

fn dedup_ring(mut ring: Vec<P>) -> Vec<P> {
    ring.dedup_by(|a, b| (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6);
    while ring.len() > 1 {
        let (f, l) = (ring[0], ring[ring.len() - 1]);
        if (f[0] - l[0]).abs() < 1e-6 && (f[1] - l[1]).abs() < 1e-6 {
            ring.pop();
        } else {
            break;
        }
    }
    ring
}

/// The Voronoi cell of `seeds[i]` inside the convex polygon `parent`.
pub fn voronoi_cell(parent: &[P], seeds: &[P], i: usize) -> Vec<P> {
    let s = seeds[i];
    let mut cell = parent.to_vec();
    for (j, t) in seeds.iter().enumerate() {
        if j == i || cell.len() < 3 {
            continue;
        }
        // |x - s|² <= |x - t|²  ⇔  2 (t - s)·x <= |t|² - |s|²
        let n = [2.0 * (t[0] - s[0]), 2.0 * (t[1] - s[1])];
        let c = t[0] * t[0] + t[1] * t[1] - s[0] * s[0] - s[1] * s[1];
        cell = clip_half_plane(&cell, n, c);
    }
    cell
}

/// All Voronoi cells of `seeds` inside `parent`, after `iterations` rounds of Lloyd relaxation
/// (seeds move to their cell's centroid, which evens out cell sizes and makes them look less random).
pub fn relaxed_cells(parent: &[P], seeds: &mut [P], iterations: usize, weights: Option<&[f64]>) -> Vec<Vec<P>> {
    for _ in 0..iterations {
        for i in 0..seeds.len() {
            let cell = voronoi_cell(parent, seeds, i);
            if cell.len() >= 3 {
                let c = centroid(&cell);
                // Weighted relaxation: heavy seeds move less, so dense areas keep small cells.
                let w = weights.map_or(1.0, |w| w[i]);
                seeds[i] = [seeds[i][0] + (c[0] - seeds[i][0]) * w, seeds[i][1] + (c[1] - seeds[i][1]) * w];
            }
        }
    }
    (0..seeds.len()).map(|i| voronoi_cell(parent, seeds, i)).collect()
}

/// A ring in local metres as geo's polygon (closed, no holes).
fn to_geo(poly: &[P]) -> geo::Polygon<f64> {
    geo::Polygon::new(poly.iter().map(|p| geo::Coord::from(*p)).collect(), Vec::new())
}

/// Signed area (positive counter-clockwise), geo's `Area`.
pub fn area(poly: &[P]) -> f64 {
    to_geo(poly).signed_area()
}

/// Area centroid (geo's `Centroid`; a ring of (next to) no area gives its first point, as the generator always had).
pub fn centroid(poly: &[P]) -> P {
    let g = to_geo(poly);
    if g.signed_area().abs() < 5e-10 {
        return poly[0];
    }
    g.centroid().map_or(poly[0], |c| [c.x(), c.y()])
}

/// Smallest signed distance from `p` to the edges of a convex counter-clockwise polygon: positive inside.
pub fn inset_distance(poly: &[P], p: P) -> f64 {
    let n = poly.len();
    let mut d = f64::INFINITY;
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
        let len = (ex * ex + ey * ey).sqrt();
        if len < 1e-9 {
            continue;
        }
        // Left of a→b is inside for a counter-clockwise ring.
        let s = (ex * (p[1] - a[1]) - ey * (p[0] - a[0])) / len;
        d = d.min(s);
    }
    d
}

/// Distance from `p` to segment `a`–`b` (geo's `Euclidean` distance).
pub fn segment_distance(p: P, a: P, b: P) -> f64 {
    Euclidean.distance(&geo::Point::from(p), &geo::Line::new(a, b))
}

/// Convex hull (geo's `ConvexHull`), counter-clockwise, open, starting at the point of least x (then least y).
/// Fewer than three distinct points come back sorted that way.
pub fn convex_hull(mut pts: Vec<P>) -> Vec<P> {
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let hull = geo::MultiPoint::from(pts).convex_hull();
    let mut ring: Vec<P> = hull.exterior().coords().map(|c| [c.x, c.y]).collect();
    ring.pop(); // geo's rings are closed
    // Start where the generator's hull always started, so that the district stays the same seed for seed.
    let first =
        (0..ring.len()).min_by(|i, j| ring[*i][0].total_cmp(&ring[*j][0]).then(ring[*i][1].total_cmp(&ring[*j][1])));
    ring.rotate_left(first.unwrap_or(0));
    ring
}

/// Deterministic 2D value noise in [0, 1], smooth at scale `cell` metres.
pub fn value_noise(seed: u64, p: P, cell: f64) -> f64 {
    let (x, y) = (p[0] / cell, p[1] / cell);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let h = |i: f64, j: f64| hash01(seed, i as i64, j as i64);
    let a = h(x0, y0) + (h(x0 + 1.0, y0) - h(x0, y0)) * sx;
    let b = h(x0, y0 + 1.0) + (h(x0 + 1.0, y0 + 1.0) - h(x0, y0 + 1.0)) * sx;
    a + (b - a) * sy
}

/// Two octaves of value noise.
pub fn fbm(seed: u64, p: P, cell: f64) -> f64 {
    (value_noise(seed, p, cell) * 2.0 + value_noise(seed ^ 0x9e37, p, cell / 2.5)) / 3.0
}

fn hash01(seed: u64, i: i64, j: i64) -> f64 {
    let mut h = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A rectangle of size `w`×`h` centred on `c`, rotated by `angle` radians, counter-clockwise.
pub fn rect(c: P, w: f64, h: f64, angle: f64) -> [P; 4] {
    let (s, co) = angle.sin_cos();
    let (hw, hh) = (w / 2.0, h / 2.0);
    [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(|[x, y]| [c[0] + x * co - y * s, c[1] + x * s + y * co])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voronoi_cells_tile_the_parent() {
        let parent = vec![[0.0, 0.0], [100.0, 0.0], [100.0, 80.0], [0.0, 80.0]];
        let mut seeds = vec![[10.0, 10.0], [80.0, 20.0], [50.0, 60.0], [20.0, 70.0], [90.0, 70.0]];
        let cells = relaxed_cells(&parent, &mut seeds, 2, None);
        let total: f64 = cells.iter().map(|c| area(c)).sum();
        assert!((total - 8000.0).abs() < 1e-6, "{total}");
        for (c, s) in cells.iter().zip(&seeds) {
            assert!(inset_distance(c, *s) > 0.0);
        }
    }

    #[test]
    fn hull_and_noise() {
        let h = convex_hull(vec![[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [1.0, 0.2], [1.0, -1.0]]);
        assert_eq!(h.len(), 4);
        assert!(area(&h) > 0.0);
        let v = value_noise(1, [123.0, 456.0], 100.0);
        assert!((0.0..=1.0).contains(&v));
        assert_eq!(v, value_noise(1, [123.0, 456.0], 100.0));
    }
}
