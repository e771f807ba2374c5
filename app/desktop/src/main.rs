//! `pingan`: the command-room client. With no arguments it opens on the built-in demo district, offline.

use anyhow::Context as _;
use clap::Parser;
use pingan_desktop::{AppOptions, Lang, PinganApp};

/// Pingan (平安) command-room client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Seed of the built-in demo district (same seed, same district).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// UI language: zh or en.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// Simulated events per hour.
    #[arg(long, default_value_t = 24.0)]
    events_per_hour: f64,
    /// Days the replay timeline reaches back (the demo simulates its events' closed loops and its workers' walks
    /// over them; with a server, the tracks kept since this desk first synced).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=31))]
    replay_days: u32,
    /// Show online OpenStreetMap tiles under the overlay (cached on disk). Off by default: offline is normal.
    #[arg(long)]
    online_tiles: bool,
    /// Play a chime when a new serious event, sensor warning or escalation raises the banner (off by default; also
    /// 提示音 in the 待确认 tab).
    #[arg(long)]
    sound: bool,
    /// Start with this one-key search in force (e.g. `--search 欠薪`; answered once the index is built).
    #[arg(long, value_name = "QUERY")]
    search: Option<String>,
    /// Start the map at LON,LAT,ZOOM instead of the whole district, e.g. 120.36,30.38,15.5.
    #[arg(long)]
    view: Option<String>,
    /// Start in the 3D street map instead of the 2D map.
    #[arg(long = "3d")]
    three_d: bool,
    /// Start on the dashboard (report, trends, league table).
    #[arg(long)]
    dashboard: bool,
    /// Freeze the clock at the start: nothing moves by itself (screenshots, and measuring what the app costs when
    /// nothing changes).
    #[arg(long)]
    freeze: bool,
    /// Open in a window of this size instead of maximised, e.g. 1920x1080.
    #[arg(long)]
    size: Option<String>,
    /// Kiosk mode for the command room's wall: one borderless fullscreen window per screen, the panels on each
    /// screen as LAYOUT.toml says (default: the shipped three-screen layout, assets/config/wall.toml). A layout file
    /// that is wrong is told and the default used.
    #[arg(long, value_name = "LAYOUT.toml", num_args = 0..=1)]
    wall: Option<Option<std::path::PathBuf>>,
    /// The watch thresholds (coverage void and stale minutes, 数据中断 after no data): a file of the shape of
    /// assets/config/watch.toml (that file, compiled in, is the default). Linked to a server, the server's own file
    /// (its `--watch`, told in /v1/info) is used instead, so every desk of a room agrees.
    #[arg(long, value_name = "WATCH.toml")]
    watch: Option<std::path::PathBuf>,
    /// Sync with this pingan-sync server (e.g. http://127.0.0.1:7878) instead of simulating locally.
    #[arg(long)]
    server: Option<String>,
    /// Bearer token for --server.
    #[arg(long, env = "PINGAN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Cache file for --server (default: one per server under the platform data dir).
    #[arg(long)]
    cache: Option<std::path::PathBuf>,
    /// An https --server's certificate is checked against the system's roots and this PEM file's certificates (a
    /// private CA, or the server's own certificate).
    #[arg(long, value_name = "FILE", requires = "server", conflicts_with = "pin")]
    ca: Option<std::path::PathBuf>,
    /// Accept exactly the https --server certificate with this SHA-256 fingerprint (a pilot's self-signed server:
    /// `pingan-sync --tls-self-signed` prints it, AB:CD:…); any other is refused (证书指纹不符).
    #[arg(long, value_name = "SHA256", requires = "server")]
    pin: Option<String>,
    /// Open a district package file (district, roster, history; from `pingan package export` or a server), with
    /// no network and no simulation. A file that is not a good package is refused before the window opens.
    #[arg(long, conflicts_with = "server")]
    package: Option<std::path::PathBuf>,
    /// Import a GeoJSON file at start (checked off the UI thread; features with problems are listed for you to
    /// accept or reject). It is kept in the data dir and shown again at the next start until removed.
    #[arg(long)]
    import: Option<std::path::PathBuf>,
    /// The datum of --import: wgs84, or gcj02 (Amap / DataV exports), converted to WGS84.
    #[arg(long, default_value = "wgs84")]
    crs: String,
    /// What --import's features are: auto, districts, towns, communities, grids, buildings, pois, roads.
    #[arg(long = "as", default_value = "auto")]
    as_: String,
    /// Draw --import over the demo district instead of replacing it.
    #[arg(long)]
    overlay: bool,
    /// Where the imported scenario is kept (default: the platform data dir, e.g. ~/.local/share/pingan/scenario).
    #[arg(long)]
    scenario_dir: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(clap::Subcommand, Debug)]
enum PackageCmd {
    /// Write a district package file: from a server (--server, --token), from a synced cache (--cache), or the
    /// built-in demo (--demo, with --seed).
    Export {
        /// The file to write (written whole or not at all).
        file: std::path::PathBuf,
        /// Download the package of this pingan-sync server.
        #[arg(long, conflicts_with_all = ["from_cache", "demo"])]
        server: Option<String>,
        /// Bearer token for --server.
        #[arg(long, env = "PINGAN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Make it from this synced cache file (the server's package kept there, with the cached workers and events).
        #[arg(long = "cache", conflicts_with = "demo")]
        from_cache: Option<std::path::PathBuf>,
        /// Make it from the built-in demo district (its workers and two years of history).
        #[arg(long)]
        demo: bool,
    },
    /// Put an offline basemap (raster tiles over the district: PMTiles, or MBTiles converted) into a package file.
    AddTiles {
        /// The package file (rewritten whole).
        package: std::path::PathBuf,
        /// The basemap: a PMTiles archive, or an MBTiles file (converted to PMTiles).
        tiles: std::path::PathBuf,
    },
    /// Check a package file and print its header as JSON.
    Info {
        /// The package file.
        file: std::path::PathBuf,
    },
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// District package files: export, add a basemap, inspect.
    #[command(subcommand)]
    Package(PackageCmd),
    /// Render a buildings GeoJSON offscreen (no window), camera fitted to its bounds, pitch 45°, bearing 20°,
    /// redrawing every frame; print one line of JSON.
    BenchRender {
        /// A GeoJSON FeatureCollection of building polygons (height from `height`, or `floors` × 3 m).
        file: std::path::PathBuf,
        /// Frame size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080")]
        size: String,
        /// Seconds of redrawing.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Coordinate system of the file: wgs84 or gcj02.
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// Camera pitch, degrees.
        #[arg(long, default_value_t = 45.0)]
        pitch: f64,
        /// Camera bearing, degrees.
        #[arg(long, default_value_t = 20.0)]
        bearing: f64,
        /// Camera distance as a share of the fitted one: 0.25 looks at the middle quarter (a district of a city).
        #[arg(long, default_value_t = 1.0)]
        zoom: f64,
        /// Level of detail: buildings under this many pixels are not drawn (the app's 1.5; 0 draws every one).
        #[arg(long, default_value_t = pingan_render::gpu::DEFAULT_MIN_BUILDING_PX)]
        lod_px: f32,
    },
}

fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s.split_once('x').with_context(|| format!("size {s:?}: expected WIDTHxHEIGHT"))?;
    Ok((w.parse().context("width")?, h.parse().context("height")?))
}

/// `pingan bench-render FILE`.
fn bench_render(
    file: &std::path::Path,
    size: &str,
    seconds: f64,
    crs: &str,
    camera: pingan_render::bench::BenchCamera,
    lod_px: f32,
) -> anyhow::Result<()> {
    use pingan_core::import;
    let t0 = std::time::Instant::now();
    // The GPU comes up, and draws a first frame, while the file is read (the app, too, has its device — long warm —
    // before a file is opened).
    let (w, h) = parse_size(size)?;
    let gpu = std::thread::spawn(move || {
        let gpu = pingan_render::gpu::Headless::new()?;
        pingan_render::bench::warm_up(&gpu, [w, h]);
        Ok::<_, pingan_render::RenderError>(gpu)
    });
    let crs = import::Crs::parse(crs).with_context(|| format!("--crs {crs:?}: use wgs84 or gcj02"))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let imported = import::parse(&bytes, crs, import::ImportAs::Buildings)
        .with_context(|| format!("{} is not a usable GeoJSON file", file.display()))?;
    for p in imported.problems.iter().take(5) {
        tracing::warn!("{}: {p} (left out)", file.display());
    }
    if imported.problems.len() > 5 {
        tracing::warn!("… and {} more features left out", imported.problems.len() - 5);
    }
    let parsed_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    drop(bytes);
    let district = import::district_of_buildings(&name, imported.buildings)
        .with_context(|| format!("{} has no building polygons", file.display()))?;
    let district_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let scene = pingan_render::Scene::from_district(&district);
    drop(district);
    tracing::info!(
        "bench-render load: read and parse {parsed_ms:.0} ms, district {:.0} ms, tessellate {:.0} ms",
        district_ms - parsed_ms,
        t0.elapsed().as_secs_f64() * 1000.0 - district_ms
    );
    let prep_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let options =
        pingan_render::bench::BenchOptions { size: [w, h], seconds, camera, markers: 0, min_building_px: lod_px };
    let gpu = gpu.join().map_err(|_| anyhow::anyhow!("the GPU set-up panicked"))??;
    let r = pingan_render::bench::run_on(gpu, &scene, options)?;
    // Keys in the documented order (serde_json's map would sort them).
    let json = format!(
        "{{\"buildings\":{},\"triangles\":{},\"load_ms\":{:.0},\"first_frame_ms\":{:.1},\"frames\":{},\"ms_per_frame\":{:.2},\"drawn_triangles\":{},\"scene_bytes\":{},\"scene_bytes_per_building\":{:.0},\"target_bytes\":{},\"gpu_bytes\":{},\"adapter\":{}}}",
        r.buildings,
        r.triangles,
        prep_ms + r.upload_ms,
        r.first_frame_ms,
        r.frames,
        r.ms_per_frame,
        r.drawn_triangles,
        r.scene_bytes,
        r.scene_bytes as f64 / r.buildings.max(1) as f64,
        r.target_bytes,
        r.gpu_bytes,
        serde_json::Value::String(r.adapter.clone()),
    );
    println!("{json}");
    Ok(())
}

/// `pingan package …`.
fn package_cmd(cmd: &PackageCmd, seed: u64, events_per_hour: f64) -> anyhow::Result<()> {
    use pingan_desktop::services::package;
    match cmd {
        PackageCmd::Export { file, server, token, from_cache, demo } => {
            let t0 = std::time::Instant::now();
            let bytes = match (server, from_cache, demo) {
                (Some(url), _, _) => {
                    let token = token.as_deref().context("--server needs a token: --token or PINGAN_TOKEN")?;
                    package::from_server(url, token).map_err(anyhow::Error::msg)?
                }
                (None, Some(cache), _) => {
                    pingan_package::encode(&package::from_cache(cache).map_err(anyhow::Error::msg)?)?
                }
                (None, None, true) => {
                    let spec = pingan_demo::DemoSpec { seed, ..Default::default() };
                    let sim = pingan_demo::SimConfig { events_per_hour, ..Default::default() };
                    pingan_package::encode(&package::from_demo(&spec, sim, chrono::Utc::now()))?
                }
                (None, None, false) => {
                    anyhow::bail!("say where the package comes from: --server URL, --cache FILE or --demo")
                }
            };
            pingan_package::write_file(file, &bytes).with_context(|| format!("cannot write {}", file.display()))?;
            let meta = pingan_package::peek(&bytes)?;
            eprintln!(
                "wrote {} ({} bytes, {} ms): {} version {}, {} buildings, {} workers, {} past events",
                file.display(),
                bytes.len(),
                t0.elapsed().as_millis(),
                meta.name,
                meta.version,
                meta.buildings,
                meta.workers,
                meta.history
            );
        }
        PackageCmd::AddTiles { package: file, tiles } => {
            let meta = package::set_tiles(file, Some(tiles)).map_err(anyhow::Error::msg)?;
            eprintln!("{}: basemap of {} bytes added", file.display(), meta.tiles);
        }
        PackageCmd::Info { file } => {
            let p = pingan_package::read_file(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&p.meta)?);
        }
    }
    Ok(())
}

/// Where the wall's screens go: each window is placed on its monitor by the app itself (a kiosk PC with no window
/// manager honours no fullscreen request); stderr says where each went.
fn place_wall(layout: &pingan_desktop::wall::WallLayout) -> pingan_desktop::wall::Placed {
    let monitors = pingan_desktop::services::monitors::probe();
    match &monitors {
        Ok(m) => tracing::info!("monitors: {m:?}"),
        Err(e) => tracing::info!("monitor geometry unknown ({e}): each screen asks for fullscreen"),
    }
    let p = layout.place(monitors.as_deref().ok());
    for note in &p.notes {
        eprintln!("pingan: wall: {note}");
    }
    p
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,wgpu=warn,naga=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Sub::BenchRender { file, size, seconds, crs, pitch, bearing, zoom, lod_px }) = &cli.command {
        let camera = pingan_render::bench::BenchCamera { pitch_deg: *pitch, bearing_deg: *bearing, zoom: *zoom };
        return bench_render(file, size, *seconds, crs, camera, *lod_px);
    }
    if let Some(Sub::Package(cmd)) = &cli.command {
        return package_cmd(cmd, cli.seed, cli.events_per_hour);
    }
    let lang = Lang::parse(&cli.lang).with_context(|| format!("unknown language {:?}: use zh or en", cli.lang))?;
    let mut options = AppOptions { lang, online_tiles: cli.online_tiles, ..AppOptions::default() };
    options.spec.seed = cli.seed;
    options.sim.events_per_hour = cli.events_per_hour;
    options.replay_days = cli.replay_days;
    options.sound = cli.sound;
    options.search = cli.search.clone();
    options.sim.history_hours = options.sim.history_hours.max(f64::from(cli.replay_days) * 24.0);
    options.scenario_dir = cli.scenario_dir.clone().or_else(pingan_desktop::services::import_job::default_dir);
    if let Some(path) = cli.import.clone() {
        use pingan_core::import::{Crs, ImportAs};
        let crs = Crs::parse(&cli.crs).with_context(|| format!("--crs {:?}: use wgs84 or gcj02", cli.crs))?;
        let as_ = ImportAs::parse(&cli.as_).with_context(|| {
            format!("--as {:?}: use auto, districts, towns, communities, grids, buildings, pois or roads", cli.as_)
        })?;
        let mode = if cli.overlay {
            pingan_desktop::services::import_job::ImportMode::Overlay
        } else {
            pingan_desktop::services::import_job::ImportMode::Replace
        };
        options.import = Some(pingan_desktop::services::import_job::ImportRequest { path, crs, as_, mode });
    }
    if let Some(file) = &cli.watch {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("--watch {}: cannot read it", file.display()))?;
        options.watch = pingan_core::coverage::WatchConfig::from_toml(&text)
            .map_err(|e| anyhow::anyhow!("--watch {}: {e}", file.display()))?;
    }
    if let Some(url) = cli.server {
        let token = cli.token.context("--server needs a token: --token or PINGAN_TOKEN")?;
        let trust = match (cli.ca, cli.pin) {
            (_, Some(pin)) => {
                pingan_store::tls::parse_pin(&pin).map_err(anyhow::Error::msg)?;
                pingan_store::Trust::Pin(pin)
            }
            (Some(ca), None) => pingan_store::Trust::Ca(ca),
            (None, None) => pingan_store::Trust::System,
        };
        options.server = Some(pingan_desktop::ServerOptions { url, token, cache: cli.cache, trust });
    }
    if let Some(path) = &cli.package {
        let p = pingan_package::read_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        options.package = Some(Box::new(p));
    }
    if cli.freeze {
        options.clock = pingan_desktop::Clock::Fixed(chrono::Utc::now());
    }
    if cli.dashboard {
        options.map_mode = pingan_desktop::MapMode::Dashboard;
    }
    if cli.three_d {
        options.map_mode = pingan_desktop::MapMode::Map3d;
    }
    if let Some(v) = cli.view.as_deref() {
        let parts: Vec<f64> = v
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("--view {v:?}: expected LON,LAT,ZOOM"))?;
        let [lon, lat, zoom] = parts[..] else { anyhow::bail!("--view {v:?}: expected three numbers LON,LAT,ZOOM") };
        let at = pingan_core::LonLat::try_new(lon, lat).with_context(|| format!("--view {v:?}"))?;
        options.initial_view = Some((at, zoom));
    }
    if let Some(path) = &cli.wall {
        let (layout, problem) = match path {
            None => (pingan_desktop::wall::WallLayout::default(), None),
            Some(path) => pingan_desktop::wall::WallLayout::load(path),
        };
        if let Some(p) = &problem {
            tracing::warn!("{p}");
            eprintln!("pingan: {p}");
        }
        options.wall = Some((layout, problem));
    }
    let mut viewport = egui::ViewportBuilder::default().with_title("平安 Pingan").with_min_inner_size([1024.0, 640.0]);
    let mut placed = None;
    if let Some((layout, _)) = &options.wall {
        let p = place_wall(layout);
        // The wall's first screen is the main window (created before any zoom is set).
        viewport = pingan_desktop::app::screen_viewport(&p.screens[0], 1.0, viewport);
        placed = Some(p);
    } else {
        viewport = match cli.size.as_deref() {
            Some(s) => {
                let (w, h) = s.split_once('x').with_context(|| format!("--size {s:?}: expected WIDTHxHEIGHT"))?;
                let (w, h): (f32, f32) = (w.parse().context("--size width")?, h.parse().context("--size height")?);
                viewport.with_inner_size([w, h])
            }
            None => viewport.with_inner_size([1600.0, 900.0]).with_maximized(true),
        };
    }
    let native = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Wgpu, ..Default::default() };
    eframe::run_native(
        "pingan",
        native,
        Box::new(move |cc| {
            let mut app = PinganApp::new(cc, options);
            if let Some(p) = placed {
                app.state.tell(p.summary(app.state.lang));
                app.placement = Some(p);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::Parser;
    use std::path::PathBuf;

    /// Every documented form of `--wall` through the real argument parser.
    #[test]
    fn every_form_of_wall_parses() {
        let cli = Cli::try_parse_from(["pingan", "--wall"]).expect("--wall alone");
        assert_eq!(cli.wall, Some(None), "the shipped layout");
        let cli = Cli::try_parse_from(["pingan", "--wall", "room.toml"]).expect("--wall FILE");
        assert_eq!(cli.wall, Some(Some(PathBuf::from("room.toml"))));
        let cli = Cli::try_parse_from(["pingan", "--wall", "--sound"]).expect("--wall then a flag");
        assert_eq!(cli.wall, Some(None));
        assert!(cli.sound);
        let cli = Cli::try_parse_from(["pingan", "--wall", "--server", "http://127.0.0.1:7878", "--token", "t"])
            .expect("--wall then an option with a value");
        assert_eq!(cli.wall, Some(None));
        assert_eq!(cli.server.as_deref(), Some("http://127.0.0.1:7878"));
        let cli = Cli::try_parse_from(["pingan", "--wall=room.toml", "--freeze"]).expect("--wall=FILE");
        assert_eq!(cli.wall, Some(Some(PathBuf::from("room.toml"))));
        assert!(cli.freeze);
        let cli = Cli::try_parse_from(["pingan"]).expect("no --wall");
        assert_eq!(cli.wall, None, "the desk");
    }

    /// `--ca` and `--pin` go with `--server`, one or the other.
    #[test]
    fn ca_and_pin_go_with_a_server() {
        let server = ["pingan", "--server", "https://10.0.0.2:7878", "--token", "t"];
        let cli = Cli::try_parse_from(server.iter().chain(&["--pin", "AB:CD"])).expect("--pin");
        assert_eq!(cli.pin.as_deref(), Some("AB:CD"));
        let cli = Cli::try_parse_from(server.iter().chain(&["--ca", "ca.pem"])).expect("--ca");
        assert_eq!(cli.ca, Some(PathBuf::from("ca.pem")));
        assert!(Cli::try_parse_from(server.iter().chain(&["--ca", "ca.pem", "--pin", "AB"])).is_err());
        assert!(Cli::try_parse_from(["pingan", "--pin", "AB"]).is_err(), "--pin without --server");
    }
}
