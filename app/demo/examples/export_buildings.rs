//! Write the demo district's buildings as a GeoJSON FeatureCollection (WGS84, `height` in metres, `name`), for
//! `pingan bench-render` and for comparing renderers on the same file.
//!
//! `cargo run --release -p pingan-demo --example export_buildings -- --buildings 50000 out.geojson`
//! Beyond the ~76,000 buildings the default district has, shifted copies of its buildings fill up to N.

use pingan_demo::{DemoSpec, generate};
use std::io::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize =
        args.iter().position(|a| a == "--buildings").and_then(|i| args.get(i + 1)).map_or(Ok(10_000), |s| s.parse())?;
    let out = args
        .last()
        .filter(|a| a.ends_with(".geojson") || a.ends_with(".json"))
        .ok_or("give an output path *.geojson")?;
    let district = generate(&DemoSpec::default());
    let base = &district.buildings;
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    write!(f, "{{\"type\":\"FeatureCollection\",\"features\":[")?;
    for i in 0..n {
        let b = &base[i % base.len()];
        let copy = (i / base.len()) as f64;
        if i > 0 {
            write!(f, ",")?;
        }
        write!(f, "{{\"type\":\"Feature\",\"properties\":{{\"name\":\"{}\",\"height\":{:.1}}},", b.name, b.height_m)?;
        write!(f, "\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[")?;
        // GeoJSON rings are closed: the first position again at the end (the generator keeps them open).
        let mut ring = b.footprint.exterior.clone();
        if ring.first() != ring.last() {
            ring.push(ring[0]);
        }
        for (k, p) in ring.iter().enumerate() {
            if k > 0 {
                write!(f, ",")?;
            }
            write!(f, "[{:.7},{:.7}]", p.lon + 0.0019 * copy, p.lat + 0.0016 * copy)?;
        }
        write!(f, "]]}}}}")?;
    }
    writeln!(f, "]}}")?;
    eprintln!("wrote {n} buildings to {out}");
    Ok(())
}
