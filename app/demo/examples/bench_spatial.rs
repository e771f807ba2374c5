//! Benchmark of the spatial index's point queries (`grid_at`, `building_at`) and of `Polygon::contains` over the
//! full demo district: 200,000 points spread over the district's bounding box, best of 5.
//!
//! `cargo run --release -p pingan-demo --example bench_spatial`

use pingan_core::{LonLat, SpatialIndex};
use pingan_demo::{DemoSpec, generate};
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let d = generate(&DemoSpec::default());
    println!("setup: {} buildings, {} grids in {:.1} s", d.buildings.len(), d.grids.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let index = SpatialIndex::new(&d);
    println!("index built in {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    let b = d.outline.bbox().expect("the district has an outline");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points: Vec<LonLat> = (0..200_000)
        .map(|_| LonLat::new(rng.random_range(b.min.lon..=b.max.lon), rng.random_range(b.min.lat..=b.max.lat)))
        .collect();
    let best = |name: &str, f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        let mut hits = 0;
        for _ in 0..5 {
            let t = Instant::now();
            hits = std::hint::black_box(f());
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{name}: {:.1} ns per query, {hits} hits (best of 5)", best * 1e9 / points.len() as f64);
    };
    best("grid_at", &|| points.iter().filter(|p| index.grid_at(&d, **p).is_some()).count());
    best("building_at", &|| points.iter().filter(|p| index.building_at(&d, **p).is_some()).count());
    best("district outline contains", &|| points.iter().filter(|p| d.outline.contains(**p)).count());
}
