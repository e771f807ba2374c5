//! `pingan-desktop`: the command-room client (binary `pingan`).
//!
//! What it is for: the egui/eframe UI over the domain (`pingan-core`), laid out by what the operator sees:
//!
//! - [`state`]: [`AppState`] (everything shown), [`Command`] (everything the user can ask for) and
//!   [`AppState::apply`], the only place the state changes; the maps' cameras apart in [`state::ViewState`].
//! - [`services`]: work that is not drawing — where the district comes from ([`services::source`]), the
//!   assessment thread, the import job, report export, the 2D fills.
//! - [`panels`]: one module per thing on screen (header, toolbar, feed, detail, dashboard, 2D map, 3D map, import
//!   dialogs, status bar). Panels read `&AppState` and push `Command`s; nothing in a panel does I/O.
//! - [`app`]: the eframe shell that lays the panels out, applies their commands and decides when to repaint.
//!
//! Modules depend only downwards: `app` → `panels` → `state` → `services` → (`format`, `i18n`, `theme`); the test
//! `layers` checks it.
//!
//! What it is not for: domain rules (they live in `pingan-core`), data generation (`pingan-demo`).

pub mod app;
pub mod format;
pub mod i18n;
pub mod panels;
pub mod services;
pub mod state;
pub mod theme;
pub mod tour;
pub mod wall;

pub use app::PinganApp;
pub use i18n::Lang;
pub use state::{AppOptions, AppState, Clock, Command, FeedTab, MapMode, ReplayCommand, ServerOptions, TRACK_STEP_S};

/// Where online map tiles are cached: the platform cache dir (`~/.cache/pingan/tiles` on Linux), if there is one.
pub fn tile_cache_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("org", "pingan", "Pingan").map(|d| d.cache_dir().join("tiles"))
}
