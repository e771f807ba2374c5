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
//! What it is not for: domain rules (they live in `pingan-core`), data generation (`pingan-demo`).
//!
//! ## Layout
//!
//! ```text
//! app/desktop/src/
//!   app.rs            the eframe shell: lays the panels out, applies commands, keeps the 3D scene in step with the
//!                     district, decides when the next frame is needed
//!   state/            mod.rs (AppState, tick), command.rs (Command, filters, MapMode), apply.rs (AppState::apply),
//!                     link.rs (the server's updates, checked), import.rs (putting an import in place), options.rs,
//!                     drafts.rs (report form, step being prepared), patrol.rs (task books, split merges),
//!                     attention.rs (unacknowledged list, banner), drill.rs (drill-through filters),
//!                     search.rs (the search box, the search in force, the record opened from it),
//!                     view.rs (ViewState: 2D map memory + fly-to + fills, 3D camera + flight + card; no domain data)
//!   services/         source.rs (Source → Loaded + Live), assessment.rs (scoring thread), import_job.rs (read, check,
//!                     build off the UI thread; keep the file), export.rs (PNG/SVG/CSV), pdf.rs (the report as one PDF),
//!                     fills.rs (earcut triangulations: units, and the buildings egui cannot fill as convex —
//!                     courtyards, L and U shapes), search.rs (the search index: built off the UI thread,
//!                     following the live events), search_export.rs (matches as CSV and GeoJSON),
//!                     demo_sensors.rs (the offline demo's sensors through the warning rules), package.rs, basemap.rs
//!   panels/           header, toolbar, feed, books (task books), coverage (voids, stale workers), attention, drill, detail, rollup (a unit's 构成),
//!                     actions, report, dashboard, dashboard_scope (its unit), import (文件 menu, dialogs), status, labels,
//!                     search (the box, results with charts, a record's card),
//!                     map2d/{mod, draw, books}, map3d/{mod, gpu, card}
//!   wall.rs           the wall layout (plain data from TOML); tour.rs the auto-tour (stops, pure stepping)
//!   format.rs i18n.rs theme.rs    leaves: text formatting, 中文/English, colours, fonts, animation rate
//! ```
//!
//! Modules depend only downwards — `app` → `panels` → `state` → `services` → `format` → `i18n`/`theme` — and never in
//! a circle; the workspace's structure test (`tests/tests/structure`) reads the sources and fails on an upward path, a
//! circle, a file over 800 lines or a function over 120.
//!
//! **One way to change state.** Every panel takes `&AppState` and pushes `Command`s; `AppState::apply` carries them
//! out and is the only code that changes `AppState` (besides `tick`, which takes what the clock, the simulator and
//! background work bring). The cameras are kept apart in `ViewState`, which holds no event, worker or score: the maps'
//! input handling moves them (drag, zoom), and `ViewState::follow(&Command, &AppState)` moves them for the commands
//! that ask (select an event, fly to, whole district, 2D ⇄ 3D, a 3D pick). `PinganApp::apply` calls `follow` then
//! `apply`; `app/desktop/tests/commands.rs` drives every command that way without a screen.
//!
//! **Drill-through.** Every count on screen is a `state::Drill` (a header count, a domain tile's day/month/year — the
//! district's or a unit's —, a key-category bar, a league row, a command-loop figure, a category or event line of a
//! unit's breakdown). A click pushes `Command::Drill`, which also shows the events
//! tab. `Drill::at(now)` is a predicate over live events and history records, built from the same rule the number was
//! counted by: `report::Tally` (window, categories, unit — `assess::in_unit`, as `explain` counts) for the report, `situation::HeadlineCount` for the header,
//! `routing::LoopFigure` for the loop — so a count and its list cannot disagree. While a drill is on,
//! `AppState::feed` and both maps show only its live events; the feed lists the matching history records after them,
//! compact, and the breadcrumb shows the total and clears the drill with one click.
//!
//! **Domain rules once, in `pingan-core`.** A worker's status after a lifecycle step is `worker::status_after_step`
//! (applied by `Situation::act` and `Situation::apply_change`, so the server's projection, the simulator and the
//! desktop agree); a lifecycle step on a situation is `Situation::act`; who a dispatch (派遣) goes to is
//! `worker::dispatch_choice`: among the workers who serve the event's grid, a patrolling one before one busy with
//! another event before one off duty, the nearest first (great-circle distance of the last position), ties to the
//! lower id. The 派遣 button shows that worker's name; the simulator dispatches the same way; the server takes the
//! worker a client names and checks it exists and serves the grid.
//!
//! **One source of a district.** `services::source::Source` is the only way the desktop gets a district: `Demo(spec)`
//! (the generator), `Imported { district }` (an import that replaces the district; its event rate scaled to its
//! population), `Server(options)` (the sync server through the local cache: the district, roster and history are the
//! server's package kept there; with none kept the district is empty — the map area shows the download — until the link
//! sends `Update::District`), `Package(package)` (a package file: nothing moves, `Live::Fixed`). `Source::load` returns a `Loaded` — district, spatial
//! index, history, the situation to show at once, and the `Live` feed that keeps it current (`Simulated(Simulator)` or
//! `Server(Link)`). The app loads at start, the import job loads off the UI thread, the demo rebuild too; the panels
//! never know which. A new package from the server goes through the same `AppState::replace_district` as an import.
//!
//! **Libraries over hand-rolled code.** Whole polygons go through `geo` (containment with holes, planar and geodesic
//! areas, centroids, convex hulls, haversine distance); the one hand-written point-in-ring and convexity tests are
//! `pingan_core::planar`'s, shared with the 3D map. Shapes queried many times are converted once (the spatial index,
//! grid matching on import), so a point lookup allocates nothing. Polygon triangulation for drawing is `earcutr`. The
//! server's per-user request rate is `governor`'s keyed GCRA limiter. The live stream's `SseParser` stays hand-written
//! on purpose: `eventsource-stream` buffers an unfinished line and an event's data without a settable limit, so a
//! hostile server could grow the client's memory without bound; ours caps both at `MAX_SSE_EVENT` (16 MiB) and is
//! fuzzed on its own.
//!
//! **Repaint on change.** egui repaints by itself on input. Beyond that the app asks for a frame only when the clock
//! shown turns to the next second (a live clock), when background work has news (the link, the assessment and import
//! threads call a `pingan_store::Waker` that is egui's `request_repaint`), while a camera flies, and at most
//! `theme::ANIMATION_FPS` (20) times a second while something on screen animates — never every vsync. An overdue
//! marker pulses for its first 30 s overdue (`panels::PULSE_FOR`), then keeps a steady red ring; the dashboard's ticker
//! turns a page every 5 s on the frame the clock brings anyway. The 2D map's static layers (land, roads, five-colour
//! fills, boundaries, buildings) are tessellated once per camera, district and assessment into one mesh
//! (`Map2dView::static_layer`); a frame that only ticks the clock or moves a worker reuses it. `packaging/cpu-use.sh` measures what that costs (README).
//!
//! ## Data flow (offline demo)
//!
//! ```text
//! Source::load (demo generator, import, server cache) ──► District (static: units, buildings, roads, water) + index
//!         │
//!         └──────────────────────────► Situation (events + workers) ◄── Live::advance(now) each frame (live: 1/s)
//!                                      │                                   ▲
//!                               AppState (+ filter, selection)              │ Command::Act (operator's lifecycle step,
//!                                      │                                    │   validated by EventState::apply)
//!             header_ui / event_feed_ui / event_detail_ui / map_ui ────────┘
//!                                      │
//!    2D: egui shapes (overlay through walkers' Projector: lonlat → ui points)
//!    3D: view3d builds a FrameInput (camera, unit colours, markers for open events and on-duty workers)
//!        → egui_wgpu paint callback: prepare() = SceneRenderer::render into its own offscreen colour/depth/MSAA
//!          targets (static Scene uploaded once; per frame one uniform write + one instance-buffer write),
//!          paint() = composite.wgsl draws that texture into egui's pass; egui draws labels and cards on top
//!                                      │
//!                      eframe → egui-wgpu → wgpu (Vulkan / GL; lavapipe without a GPU) → pixels
//! ```
//!
//! ## Import (GeoJSON → the app)
//!
//! ```text
//! File → Import… (rfd) / pingan --import FILE --crs --as [--overlay]
//!       │ ImportRequest
//!       ▼
//! services::import_job::ImportJob (thread) — read in 4 MiB chunks (size checked first: >512 MiB refused unread) ──► progress
//!       │ pingan_core::import::parse_with_progress → Imported {units, buildings, pois, roads, problems, warnings}
//!       │ replace: pingan_core::scenario::district_from_import → District → history + simulator (prepare)
//!       │ stage file + meta as pending.* in the scenario folder
//!       ▼
//! AppState::poll_import — problems? → the problems window (accept: apply; reject: discard pending.*)
//!       │ apply: swap District/index/history/situation (one frame), commit pending.* → scenario.* by rename
//!       ▼
//! map2d (services::fills re-triangulated for the new district; overlay and POIs drawn from Imported) · View3d rebuilt
//! (the app notices the new District by its Arc address) · next start: scenario.json + scenario.geojson reloaded
//! ```

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
