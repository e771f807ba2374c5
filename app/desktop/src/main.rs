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
    /// Show online OpenStreetMap tiles under the overlay (cached on disk). Off by default: offline is normal.
    #[arg(long)]
    online_tiles: bool,
    /// Start the map at LON,LAT,ZOOM instead of the whole district, e.g. 120.36,30.38,15.5.
    #[arg(long)]
    view: Option<String>,
    /// Start in the 3D street map instead of the 2D map.
    #[arg(long = "3d")]
    three_d: bool,
    /// Start on the dashboard (report, trends, league table).
    #[arg(long)]
    dashboard: bool,
    /// Open in a window of this size instead of maximised, e.g. 1920x1080.
    #[arg(long)]
    size: Option<String>,
    /// Sync with this pingan-sync server (e.g. http://127.0.0.1:7878) instead of simulating locally.
    #[arg(long)]
    server: Option<String>,
    /// Bearer token for --server.
    #[arg(long, env = "PINGAN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Cache file for --server (default: one per server under the platform data dir).
    #[arg(long)]
    cache: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,wgpu=warn,naga=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let lang = Lang::parse(&cli.lang).with_context(|| format!("unknown language {:?}: use zh or en", cli.lang))?;
    let mut options = AppOptions { lang, online_tiles: cli.online_tiles, ..AppOptions::default() };
    options.spec.seed = cli.seed;
    options.sim.events_per_hour = cli.events_per_hour;
    if let Some(url) = cli.server {
        let token = cli.token.context("--server needs a token: --token or PINGAN_TOKEN")?;
        options.server = Some(pingan_desktop::ServerOptions { url, token, cache: cli.cache });
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
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("平安 · 余杭区社会治理指挥中心")
        .with_min_inner_size([1024.0, 640.0]);
    viewport = match cli.size.as_deref() {
        Some(s) => {
            let (w, h) = s.split_once('x').with_context(|| format!("--size {s:?}: expected WIDTHxHEIGHT"))?;
            let (w, h): (f32, f32) = (w.parse().context("--size width")?, h.parse().context("--size height")?);
            viewport.with_inner_size([w, h])
        }
        None => viewport.with_inner_size([1600.0, 900.0]).with_maximized(true),
    };
    let native = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Wgpu, ..Default::default() };
    eframe::run_native("pingan", native, Box::new(move |cc| Ok(Box::new(PinganApp::new(cc, options)))))
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
