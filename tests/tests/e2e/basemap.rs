//! The offline basemap of a district package: an MBTiles file of raster tiles goes into a package (converted to
//! PMTiles), the package opens with no network, and the 2D map draws those tiles under the district — rendered for
//! real through wgpu (lavapipe in CI). The same package without tiles draws none of them, so the check can fail.

use egui_kittest::Harness;
use pingan_core::geom::BBox;
use pingan_desktop::services::{basemap, package};
use pingan_desktop::{AppOptions, PinganApp};
use pingan_tests::test_options;
use std::path::Path;
use std::time::{Duration, Instant};

/// The basemap's colour: nothing else on the map is this magenta.
const MAGENTA: [u8; 3] = [255, 0, 255];

fn harness(options: AppOptions) -> Harness<'static, PinganApp> {
    Harness::builder().with_size(egui::vec2(1400.0, 800.0)).wgpu().build_eframe(move |cc| PinganApp::new(cc, options))
}

/// Slippy-map tile column and row of a point.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// An MBTiles file (rows in TMS order) of one-colour 256-px PNG tiles over `bbox`, zoom 8 to 15.
fn write_mbtiles(path: &Path, bbox: BBox) -> usize {
    let img = image::RgbImage::from_pixel(256, 256, image::Rgb(MAGENTA));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
    )
    .unwrap();
    let bounds = format!("{},{},{},{}", bbox.min.lon, bbox.min.lat, bbox.max.lon, bbox.max.lat);
    for (k, v) in [("name", "test basemap"), ("format", "png"), ("bounds", bounds.as_str())] {
        db.execute("INSERT INTO metadata VALUES (?1, ?2)", [k, v]).unwrap();
    }
    let mut n = 0;
    for z in 8u8..=15 {
        let (x0, y0) = tile_of(bbox.min.lon, bbox.max.lat, z);
        let (x1, y1) = tile_of(bbox.max.lon, bbox.min.lat, z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let tms = (1u32 << z) - 1 - y;
                db.execute("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", rusqlite::params![z, x, tms, png]).unwrap();
                n += 1;
            }
        }
    }
    n
}

/// Share of the map area's pixels that show the basemap's colour (units' fills over it tint it, so "close to").
fn magenta_share(img: &image::RgbaImage, area: egui::Rect) -> f64 {
    let (mut hit, mut all) = (0u32, 0u32);
    for y in (area.min.y as u32..area.max.y as u32).step_by(4) {
        for x in (area.min.x as u32..area.max.x as u32).step_by(4) {
            let p = img.get_pixel(x, y).0;
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            all += 1;
            if r > g + 40 && b > g + 40 {
                hit += 1;
            }
        }
    }
    f64::from(hit) / f64::from(all.max(1))
}

/// Open `package` the way `pingan --package` does, with its basemap kept under `cache`; render until `done` holds
/// for the map's magenta share (or 30 s pass) and return the last share.
fn shown(package: &Path, cache: &Path, done: impl Fn(f64) -> bool) -> (f64, Option<std::path::PathBuf>) {
    let p = pingan_package::read_file(package).unwrap();
    let options = AppOptions { package: Some(Box::new(p)), cache_dir: Some(cache.to_path_buf()), ..test_options() };
    let mut h = harness(options);
    h.state_mut().state.assessment.wait();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut share;
    loop {
        h.run_steps(2);
        // The map's middle, clear of the feed on the left and the legend and buttons in its corners.
        let img = h.render().expect("lavapipe renders");
        let area = egui::Rect::from_min_max(egui::pos2(650.0, 260.0), egui::pos2(1150.0, 620.0));
        share = magenta_share(&img, area);
        if done(share) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (share, h.state().state.basemap.clone())
}

#[test]
fn a_package_basemap_from_mbtiles_is_drawn_under_the_2d_map_offline() {
    let dir = tempfile::tempdir().unwrap();
    let options = test_options();
    let p = package::from_demo(&options.spec, options.sim, pingan_tests::test_now());
    let bbox = p.district.bbox();
    let plain = dir.path().join("plain.pingan");
    pingan_package::write_file(&plain, &pingan_package::encode(&p).expect("encode")).unwrap();
    let with_tiles = dir.path().join("tiles.pingan");
    std::fs::copy(&plain, &with_tiles).unwrap();

    // MBTiles in, PMTiles in the package.
    let mbtiles = dir.path().join("basemap.mbtiles");
    let n = write_mbtiles(&mbtiles, bbox);
    let meta = package::set_tiles(&with_tiles, Some(&mbtiles)).unwrap();
    assert!(meta.tiles > 0);
    let kept = pingan_package::read_file(&with_tiles).unwrap();
    let tiles = kept.tiles.expect("the package carries the basemap");
    assert!(tiles.starts_with(b"PMTiles"), "stored as a PMTiles archive");
    let pm = dir.path().join("basemap.pmtiles");
    std::fs::write(&pm, &tiles).unwrap();
    let info = basemap::inspect(&pm).unwrap();
    assert_eq!((info.format, info.zooms, info.tiles), ("png", (8, 15), Some(n as u64)));

    // A PMTiles archive goes in as it is.
    let again = dir.path().join("again.pingan");
    std::fs::copy(&plain, &again).unwrap();
    assert_eq!(package::set_tiles(&again, Some(&pm)).unwrap().tiles, tiles.len());

    // Drawn: the map's middle shows the basemap through the units' fills.
    let cache = dir.path().join("cache");
    let (share, path) = shown(&with_tiles, &cache, |s| s > 0.3);
    let path = path.expect("the app keeps the basemap as a file");
    assert!(path.starts_with(cache.join("basemaps")) && path.is_file(), "{}", path.display());
    assert!(share > 0.3, "the basemap shows in {:.0} % of the map's middle", share * 100.0);
    // Without it, nothing of that colour.
    let (share, path) = shown(&plain, &cache, |_| true);
    assert!(path.is_none());
    assert!(share < 0.01, "no basemap, yet {:.0} % of the map is its colour", share * 100.0);
}

#[test]
fn bad_basemaps_are_refused_and_leave_the_package_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let options = AppOptions { spec: pingan_demo::DemoSpec::small(3), ..test_options() };
    let p = package::from_demo(&options.spec, options.sim, pingan_tests::test_now());
    let file = dir.path().join("d.pingan");
    let bytes = pingan_package::encode(&p).expect("encode");
    pingan_package::write_file(&file, &bytes).unwrap();
    let refused = |name: &str, content: &[u8], why: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, content).unwrap();
        let e = package::set_tiles(&file, Some(&f)).unwrap_err().to_string();
        assert!(e.contains(why), "{name}: {e}");
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{name} changed the package");
    };
    refused("tiles.png", b"\x89PNG....", "neither a PMTiles archive nor an MBTiles file");
    refused("cut.pmtiles", b"PMTiles\x03 and not the rest of an archive", "not a readable PMTiles archive");
    // An MBTiles file with vector tiles, one with no tiles, and one far from the district.
    let mb = |name: &str, format: &str, bounds: Option<BBox>| {
        let f = dir.path().join(name);
        let db = rusqlite::Connection::open(&f).unwrap();
        match bounds {
            Some(b) => {
                write_mbtiles(&f, b);
            }
            None => db
                .execute_batch(
                    "CREATE TABLE metadata (name TEXT, value TEXT);
                     CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
                )
                .unwrap(),
        }
        db.execute("DELETE FROM metadata WHERE name = 'format'", []).unwrap();
        db.execute("INSERT INTO metadata VALUES ('format', ?1)", [format]).unwrap();
        f
    };
    let e = package::set_tiles(&file, Some(&mb("vector.mbtiles", "pbf", None))).unwrap_err().to_string();
    assert!(e.contains("must be raster tiles"), "{e}");
    let e = package::set_tiles(&file, Some(&mb("empty.mbtiles", "png", None))).unwrap_err().to_string();
    assert!(e.contains("holds no tiles"), "{e}");
    let far = BBox {
        min: pingan_core::LonLat { lon: 116.30, lat: 39.90 },
        max: pingan_core::LonLat { lon: 116.32, lat: 39.92 },
    };
    let e = package::set_tiles(&file, Some(&mb("beijing.mbtiles", "png", Some(far)))).unwrap_err().to_string();
    assert!(e.contains("does not cover the district"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    // A package whose basemap does not read opens without it, and says so.
    let mut p = p;
    p.set_tiles(Some(b"PMTiles\x03 broken".to_vec()));
    let options = AppOptions { package: Some(Box::new(p)), cache_dir: Some(dir.path().join("cache")), ..options };
    let state = pingan_desktop::AppState::new(&options);
    assert!(state.basemap.is_none());
    assert!(state.messages.iter().any(|(_, m)| m.contains("离线底图无法使用")), "{:?}", state.messages);
}
