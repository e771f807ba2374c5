//! The demo district generator: determinism, sizes, nesting of units, address codes.

use pingan_core::{District, LocalFrame, LonLat, planar::ring_contains};
use pingan_demo::{DemoSpec, generate};
use std::collections::HashSet;
use std::sync::OnceLock;

fn district() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(|| generate(&DemoSpec::default()))
}

fn frame() -> LocalFrame {
    LocalFrame::new(LonLat::new(120.30, 30.42))
}

/// `p` is inside the convex counter-clockwise ring or within `tol_m` metres of its boundary.
fn inside_or_on(ring: &[LonLat], p: LonLat, tol_m: f64) -> bool {
    let f = frame();
    let q = f.local_from_lonlat(p);
    let n = ring.len();
    (0..n).all(|i| {
        let a = f.local_from_lonlat(ring[i]);
        let b = f.local_from_lonlat(ring[(i + 1) % n]);
        let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
        let len = (ex * ex + ey * ey).sqrt().max(1e-12);
        (ex * (q[1] - a[1]) - ey * (q[0] - a[0])) / len >= -tol_m
    })
}

#[test]
fn same_seed_same_district_other_seed_other_district() {
    let spec = DemoSpec::default();
    let a = district();
    let b = generate(&spec);
    assert!(*a == b, "same seed must give an identical district");
    let c = generate(&DemoSpec { seed: spec.seed + 1, ..spec });
    assert!(*a != c);
    assert_ne!(a.buildings.len(), c.buildings.len());
}

#[test]
fn sizes_are_those_of_yuhang() {
    let d = district();
    let f = frame();
    assert_eq!(d.towns.len(), 12);
    assert!((270..=330).contains(&d.communities.len()), "{} communities", d.communities.len());
    assert!((1350..=1650).contains(&d.grids.len()), "{} grids", d.grids.len());
    assert!(d.buildings.len() >= 50_000, "{} buildings", d.buildings.len());
    let km2 = d.outline.area_m2(&f) / 1e6;
    assert!((1100.0..1300.0).contains(&km2), "{km2} km²");
    let c = d.bbox().centre();
    assert!((c.lon - 120.30).abs() < 0.05 && (c.lat - 30.42).abs() < 0.05, "{c:?}");
    assert!(d.towns.iter().any(|t| t.name == "良渚街道"));
    assert!(d.roads.iter().any(|r| r.class == pingan_core::RoadClass::Expressway));
    assert!(d.water.iter().any(|w| !w.centreline.is_empty()) && d.water.iter().any(|w| w.centreline.is_empty()));
    // Every unit has people or buildings where it should, and stats roll up exactly.
    let sum: u32 = d.towns.iter().map(|t| t.stats.population).sum();
    assert_eq!(sum, d.stats.population);
    for c in &d.communities {
        let s: u32 = c.grids.iter().map(|g| d.grid(*g).stats.population).sum();
        assert_eq!(s, c.stats.population, "{}", c.name);
    }
    for g in &d.grids {
        let s: u32 = g.buildings.iter().map(|b| d.building(*b).population).sum();
        assert_eq!(s, g.stats.population, "{}", g.name);
    }
    // A mix of building types, heights from the data.
    let tall = d.buildings.iter().filter(|b| b.height_m > 50.0).count();
    let low = d.buildings.iter().filter(|b| b.height_m < 15.0).count();
    assert!(tall > 1000 && low > 10_000, "tall {tall} low {low}");
}

#[test]
fn every_unit_inside_its_parent_and_children_tile_it() {
    let d = district();
    let f = frame();
    for t in &d.towns {
        for p in &t.outline.exterior {
            assert!(inside_or_on(&d.outline.exterior, *p, 0.5), "{} leaves the district", t.name);
        }
    }
    let towns_area: f64 = d.towns.iter().map(|t| t.outline.area_m2(&f)).sum();
    assert!((towns_area / d.outline.area_m2(&f) - 1.0).abs() < 1e-6, "towns tile the district");
    for t in &d.towns {
        let area: f64 = t.communities.iter().map(|c| d.community(*c).outline.area_m2(&f)).sum();
        assert!((area / t.outline.area_m2(&f) - 1.0).abs() < 1e-6, "communities tile {}", t.name);
        for c in &t.communities {
            let c = d.community(*c);
            assert_eq!(c.town, t.id);
            for p in &c.outline.exterior {
                assert!(inside_or_on(&t.outline.exterior, *p, 0.5), "{} leaves {}", c.name, t.name);
            }
        }
    }
    for c in &d.communities {
        let area: f64 = c.grids.iter().map(|g| d.grid(*g).outline.area_m2(&f)).sum();
        assert!((area / c.outline.area_m2(&f) - 1.0).abs() < 1e-6, "grids tile {}", c.name);
        for g in &c.grids {
            let g = d.grid(*g);
            assert_eq!(g.community, c.id);
            for p in &g.outline.exterior {
                assert!(inside_or_on(&c.outline.exterior, *p, 0.5), "{} leaves {}", g.name, c.name);
            }
        }
    }
    for b in &d.buildings {
        let g = d.grid(b.grid);
        assert!(g.buildings.contains(&b.id));
        for p in &b.footprint.exterior {
            assert!(ring_contains(&g.outline.exterior, [p.lon, p.lat]), "{} ({}) leaves {}", b.name, b.code, g.name);
        }
    }
}

#[test]
fn address_codes_are_unique_and_nested() {
    let d = district();
    let mut seen = HashSet::new();
    for t in &d.towns {
        assert!(t.code.is_within(&d.code));
        assert!(seen.insert(t.code));
    }
    for c in &d.communities {
        assert!(c.code.is_within(&d.town(c.town).code));
        assert!(seen.insert(c.code));
    }
    for g in &d.grids {
        assert!(g.code.is_within(&d.community(g.community).code));
        assert!(seen.insert(g.code));
    }
    for b in &d.buildings {
        assert_eq!(b.code.level(), pingan_core::AddressLevel::Building);
        assert!(b.code.is_within(&d.grid(b.grid).code));
        assert!(seen.insert(b.code), "duplicate {}", b.code);
    }
    let names: HashSet<&str> = d.communities.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), d.communities.len(), "community names are unique");
}

#[test]
fn small_spec_is_a_smaller_district_of_the_same_shape() {
    let d = generate(&DemoSpec::small(1));
    assert_eq!(d.towns.len(), 12);
    assert!(d.grids.len() < 300 && d.buildings.len() > 500 && d.buildings.len() < 20_000, "{}", d.buildings.len());
}
