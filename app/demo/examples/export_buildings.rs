//! Write demo buildings as a GeoJSON FeatureCollection (WGS84, `height` in metres, `name`, courtyards as holes),
//! for `pingan bench-render`, `pingan --import … --as buildings` and for comparing renderers on the same file.
//!
//! `cargo run --release -p pingan-demo --example export_buildings -- --buildings 50000 out.geojson`: the default
//! district's buildings; beyond the ~76,000 it has, copies of them shifted by ~250 m fill up to N (the benchmark
//! files of issue 18, kept as they were so that figures stay comparable).
//!
//! `cargo run --release -p pingan-demo --example export_buildings -- --city 14 city.geojson`: a city-scale scene,
//! every building of 14 different districts side by side (about a million; see `pingan_demo::city`).

use pingan_core::{Building, LonLat};
use pingan_demo::{CitySpec, DemoSpec, generate, generate_city};
use std::io::Write as _;

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args.get(i + 1).and_then(|s| s.parse().ok()).map(Some).ok_or(format!("{name} needs a number")),
    }
}

fn ring(f: &mut impl std::io::Write, ring: &[LonLat], d: (f64, f64)) -> std::io::Result<()> {
    write!(f, "[")?;
    // GeoJSON rings are closed: the first position again at the end (the generator keeps them open).
    let closed = ring.first() != ring.last();
    for (k, p) in ring.iter().chain(ring.first().filter(|_| closed)).enumerate() {
        if k > 0 {
            write!(f, ",")?;
        }
        write!(f, "[{:.7},{:.7}]", p.lon + d.0, p.lat + d.1)?;
    }
    write!(f, "]")
}

fn feature(f: &mut impl std::io::Write, b: &Building, d: (f64, f64), first: bool) -> std::io::Result<()> {
    if !first {
        write!(f, ",")?;
    }
    write!(f, "{{\"type\":\"Feature\",\"properties\":{{\"name\":\"{}\",\"height\":{:.1}}},", b.name, b.height_m)?;
    write!(f, "\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[")?;
    ring(f, &b.footprint.exterior, d)?;
    for h in &b.footprint.holes {
        write!(f, ",")?;
        ring(f, h, d)?;
    }
    write!(f, "]}}}}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .last()
        .filter(|a| a.ends_with(".geojson") || a.ends_with(".json"))
        .ok_or("give an output path *.geojson")?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    write!(f, "{{\"type\":\"FeatureCollection\",\"features\":[")?;
    let written = if let Some(districts) = arg::<usize>(&args, "--city")? {
        let city = generate_city(&CitySpec { districts, ..CitySpec::default() });
        let mut n = 0;
        for b in city.iter().flat_map(|d| &d.buildings) {
            feature(&mut f, b, (0.0, 0.0), n == 0)?;
            n += 1;
        }
        n
    } else {
        let n = arg::<usize>(&args, "--buildings")?.unwrap_or(10_000);
        let district = generate(&DemoSpec::default());
        let base = &district.buildings;
        for i in 0..n {
            let copy = (i / base.len()) as f64;
            feature(&mut f, &base[i % base.len()], (0.0019 * copy, 0.0016 * copy), i == 0)?;
        }
        n
    };
    writeln!(f, "]}}")?;
    f.flush()?;
    eprintln!("wrote {written} buildings to {out}");
    Ok(())
}
