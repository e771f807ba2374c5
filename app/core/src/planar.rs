//! Plane geometry on plain corner lists: the one point-in-ring test and the one convexity test, for lonlat rings
//! (the 2D map's fills) and local-metre rings (the 3D roofs and picking) alike. A leaf module. Whole polygons with
//! holes, areas and centroids in lonlat are geo's, through [`crate::geom`].

/// A corner in some plane (lonlat degrees, local metres): what the tests here read of it.
pub trait PlanePoint: Copy {
    /// The corner as `[x, y]`.
    fn xy(self) -> [f64; 2];
}

impl PlanePoint for [f64; 2] {
    fn xy(self) -> [f64; 2] {
        self
    }
}

impl PlanePoint for [f32; 2] {
    fn xy(self) -> [f64; 2] {
        [f64::from(self[0]), f64::from(self[1])]
    }
}

/// The corners of a ring without a closing corner equal to the first (rings come open and closed).
fn open<P: PlanePoint>(ring: &[P]) -> &[P] {
    match ring {
        [first, .., last] if first.xy() == last.xy() => &ring[..ring.len() - 1],
        _ => ring,
    }
}

/// Whether a ring (open or closed) turns one way only at every corner (collinear corners allowed) and encloses some
/// area: then a fan of triangles from any corner covers it exactly, and egui fills it as it is.
pub fn is_convex<P: PlanePoint>(ring: &[P]) -> bool {
    let ring = open(ring);
    let n = ring.len();
    let (mut pos, mut neg) = (false, false);
    for i in 0..n {
        let (a, b, c) = (ring[i].xy(), ring[(i + 1) % n].xy(), ring[(i + 2) % n].xy());
        let cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
        pos |= cross > 0.0;
        neg |= cross < 0.0;
        if pos && neg {
            return false;
        }
    }
    pos || neg
}

/// Whether `p` lies inside `rings` taken together by the even–odd rule (an outline and its courtyards: a point in a
/// courtyard is outside). Rings may be open or closed; points exactly on an edge may fall either way.
pub fn inside_even_odd<'a, P: PlanePoint + 'a>(rings: impl IntoIterator<Item = &'a [P]>, p: [f64; 2]) -> bool {
    let mut inside = false;
    for ring in rings {
        let ring = open(ring);
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i].xy(), ring[(i + 1) % n].xy());
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether `p` lies inside one ring ([`inside_even_odd`] of that ring alone).
pub fn ring_contains<P: PlanePoint>(ring: &[P], p: [f64; 2]) -> bool {
    inside_even_odd([ring], p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: [[f64; 2]; 4] = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
    const L: [[f64; 2]; 6] = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0]];

    #[test]
    fn a_box_is_convex_an_l_is_not() {
        assert!(is_convex(&SQUARE));
        assert!(
            is_convex(&[[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]),
            "collinear corner"
        );
        assert!(!is_convex(&L));
        assert!(is_convex(&[[0.0f32, 0.0], [1.0, 0.0], [0.0, 1.0]]), "a triangle, in f32");
        assert!(!is_convex(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), "no area");
        assert!(!is_convex::<[f64; 2]>(&[]), "nothing");
    }

    #[test]
    fn even_odd_leaves_a_courtyard_out() {
        let yard = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]];
        let rings: [&[[f64; 2]]; 2] = [&SQUARE, &yard];
        assert!(inside_even_odd(rings, [2.0, 2.0]));
        assert!(!inside_even_odd(rings, [5.0, 5.0]), "in the courtyard");
        assert!(!inside_even_odd(rings, [12.0, 5.0]), "beside the building");
        assert!(ring_contains(&L, [0.5, 1.5]) && !ring_contains(&L, [1.5, 1.5]), "the L's notch is outside");
    }
}
