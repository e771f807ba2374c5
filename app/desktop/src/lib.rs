//! `pingan-desktop`: the command-room client (binary `pingan`).
//!
//! What it is for: the egui/eframe UI — header, live event feed, event detail, the 2D map with Pingan's vector
//! overlay — over the domain (`pingan-core`) and the demo district (`pingan-demo`). Panels read [`state::AppState`]
//! and emit [`state::Command`]s; nothing in a panel does I/O.
//!
//! What it is not for: domain rules (they live in `pingan-core`), data generation (`pingan-demo`).

pub mod app;
pub mod assessment;
pub mod dashboard;
pub mod detail;
pub mod export;
pub mod feed;
pub mod format;
pub mod header;
pub mod i18n;
pub mod import_ui;
pub mod map_view;
pub mod scenario;
pub mod state;
pub mod theme;
pub mod view3d;

pub use app::PinganApp;
pub use i18n::Lang;
pub use state::{AppOptions, AppState, Clock, Command, MapMode, ServerOptions};

/// Where online map tiles are cached: the platform cache dir (`~/.cache/pingan/tiles` on Linux), if there is one.
pub fn tile_cache_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("org", "pingan", "Pingan").map(|d| d.cache_dir().join("tiles"))
}
