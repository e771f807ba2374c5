//! A city-scale scene: several demo districts side by side, for the 3D map at a million buildings.
//!
//! Each district is the ordinary demo district (its own seed, so no two look alike), moved east and north to its
//! place in a grid of columns, so the districts tile the plane around [`crate::district_gen::ORIGIN`] without
//! overlapping — fourteen of them cover about 16,800 km² and hold about a million buildings, the size of Hangzhou.

use crate::district_gen::{DemoSpec, ORIGIN, generate};
use pingan_core::{District, LonLat, Polygon};

/// What city to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct CitySpec {
    /// Seed of the first district; district `k` uses `seed + k`.
    pub seed: u64,
    /// How many districts.
    pub districts: usize,
    /// Scales the buildings of every district (see [`DemoSpec::building_density`]).
    pub building_density: f64,
}

impl Default for CitySpec {
    /// Fourteen full demo districts: a little over a million buildings.
    fn default() -> Self {
        Self { seed: 2026, districts: 14, building_density: 1.0 }
    }
}

/// Distance between district centres, metres east–west and north–south (each district is at most 46.8 × 36.4 km).
const PITCH_M: [f64; 2] = [47_000.0, 36_500.0];

/// Where district `k` of `n` sits: its offset from [`ORIGIN`] in degrees (east, north), in a grid of
/// ⌈√n⌉ columns centred on the origin.
pub fn district_offset(k: usize, n: usize) -> (f64, f64) {
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    let rows = n.div_ceil(cols);
    let (col, row) = (k % cols, k / cols);
    let east = (col as f64 - (cols - 1) as f64 / 2.0) * PITCH_M[0];
    let north = ((rows - 1) as f64 / 2.0 - row as f64) * PITCH_M[1];
    let lat_m = 111_320.0;
    let lon_m = lat_m * ORIGIN.lat.to_radians().cos();
    (east / lon_m, north / lat_m)
}

/// Generate the city: `spec.districts` districts, each moved to its place (two threads where there are two cores).
pub fn generate_city(spec: &CitySpec) -> Vec<District> {
    let n = spec.districts;
    let one = |k: usize| {
        let demo =
            DemoSpec { seed: spec.seed + k as u64, building_density: spec.building_density, ..DemoSpec::default() };
        let mut d = generate(&demo);
        let (dlon, dlat) = district_offset(k, n);
        shift(&mut d, dlon, dlat);
        d.name = format!("{}{}", d.name, k + 1);
        d
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, n.max(1));
    let mut out: Vec<Option<District>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        for (t, slots) in out.chunks_mut(n.div_ceil(threads).max(1)).enumerate() {
            let first = t * n.div_ceil(threads).max(1);
            s.spawn(move || {
                for (i, slot) in slots.iter_mut().enumerate() {
                    *slot = Some(one(first + i));
                }
            });
        }
    });
    out.into_iter().flatten().collect()
}

fn shift(d: &mut District, dlon: f64, dlat: f64) {
    let p = |q: &mut LonLat| {
        q.lon += dlon;
        q.lat += dlat;
    };
    let poly = |g: &mut Polygon| {
        g.exterior.iter_mut().for_each(p);
        g.holes.iter_mut().flatten().for_each(p);
    };
    poly(&mut d.outline);
    for t in &mut d.towns {
        poly(&mut t.outline);
        p(&mut t.label_at);
    }
    for c in &mut d.communities {
        poly(&mut c.outline);
        p(&mut c.label_at);
    }
    for g in &mut d.grids {
        poly(&mut g.outline);
        p(&mut g.label_at);
    }
    for b in &mut d.buildings {
        poly(&mut b.footprint);
    }
    for r in &mut d.roads {
        r.line.iter_mut().for_each(p);
    }
    for w in &mut d.water {
        poly(&mut w.area);
        w.centreline.iter_mut().for_each(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_tile_without_overlap() {
        let spec = CitySpec { seed: 7, districts: 3, building_density: 0.05 };
        let city = generate_city(&spec);
        assert_eq!(city.len(), 3);
        let boxes: Vec<_> = city
            .iter()
            .map(|d| pingan_core::geom::BBox::of(d.buildings.iter().flat_map(|b| b.footprint.exterior.iter().copied())))
            .map(Option::unwrap)
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart =
                    a.max.lon < b.min.lon || b.max.lon < a.min.lon || a.max.lat < b.min.lat || b.max.lat < a.min.lat;
                assert!(apart, "districts overlap: {a:?} {b:?}");
            }
        }
        // Different seeds: no two districts are the same district moved.
        assert_ne!(city[0].buildings.len(), city[1].buildings.len());
        // The same spec gives the same city.
        assert_eq!(generate_city(&spec)[2].buildings[0].footprint, city[2].buildings[0].footprint);
    }
}
