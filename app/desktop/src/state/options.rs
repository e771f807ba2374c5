//! How the app starts: [`AppOptions`] (what the binary's flags and the tests set) and the [`Clock`].

use crate::i18n::Lang;
use crate::services::import_job::ImportRequest;
use crate::services::source::ServerOptions;
use crate::state::MapMode;
use pingan_core::{LonLat, Timestamp};
use pingan_demo::{DemoSpec, SimConfig};

/// Where "now" comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clock {
    /// Wall-clock time; the simulator runs live.
    Live,
    /// A frozen instant (tests, screenshots): nothing moves unless the test moves it.
    Fixed(Timestamp),
}

impl Clock {
    /// The current time by this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Self::Live => chrono::Utc::now(),
            Self::Fixed(t) => *t,
        }
    }
}

/// How the app starts.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// The demo district to generate.
    pub spec: DemoSpec,
    /// Simulator settings.
    pub sim: SimConfig,
    /// Clock.
    pub clock: Clock,
    /// UI language.
    pub lang: Lang,
    /// Load online raster tiles under the vector overlay (cached on disk); off by default — offline is normal.
    pub online_tiles: bool,
    /// Where the tile cache lives (`None`: the platform cache dir, or no cache if there is none).
    pub cache_dir: Option<std::path::PathBuf>,
    /// Start the map here (lonlat, zoom) instead of fitting the whole district.
    pub initial_view: Option<(LonLat, f64)>,
    /// Start in 2D or 3D.
    pub map_mode: MapMode,
    /// Sync with a `pingan-sync` server instead of simulating locally (`None`: the built-in demo, as always).
    pub server: Option<ServerOptions>,
    /// Where an imported scenario is kept between runs (`None`: nothing is kept; the binary passes the platform's
    /// data dir, tests a temporary one).
    pub scenario_dir: Option<std::path::PathBuf>,
    /// A file to import at start (`pingan --import FILE`).
    pub import: Option<ImportRequest>,
    /// A district package to open instead of the demo or a server (`pingan --package FILE`, read and checked
    /// before the window opens).
    pub package: Option<Box<pingan_package::Package>>,
    /// Kiosk mode on the wall: the layout, and why a layout file was not used (told in the status bar).
    pub wall: Option<(crate::wall::WallLayout, Option<String>)>,
    /// How many days back the replay timeline reaches (the demo simulates that far back when its simulator's
    /// `history_hours` does; the workers' tracks are kept that long).
    pub replay_days: u32,
    /// Play the attention chime when a new item raises the banner (`--sound`; off by default).
    pub sound: bool,
    /// Start with this one-key search in force (`--search 欠薪`: a wall that keeps a standing search on screen).
    pub search: Option<String>,
    /// The watch thresholds (coverage voids, stale positions, 数据中断) of a desk on its own (`--watch FILE`; the
    /// shipped `assets/config/watch.toml` by default). A desk linked to a server uses the server's once it has said.
    pub watch: pingan_core::coverage::WatchConfig,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            spec: DemoSpec::default(),
            sim: SimConfig { events_per_hour: 24.0, ..SimConfig::default() },
            clock: Clock::Live,
            lang: Lang::Zh,
            online_tiles: false,
            cache_dir: None,
            initial_view: None,
            map_mode: MapMode::Map2d,
            server: None,
            scenario_dir: None,
            import: None,
            package: None,
            wall: None,
            replay_days: 7,
            sound: false,
            search: None,
            watch: pingan_core::coverage::WatchConfig::default(),
        }
    }
}
