//! Where the desktop's district, its history and its live situation come from — one place, so that panels never
//! care which: the built-in demo generator, an imported scenario, a `pingan-sync` server through the local cache
//! (its district, roster and history from the server's district package), or a district package file.
//!
//! A [`Source`] is *loaded* (off the UI thread when it is slow) into a [`Loaded`]: the district with its spatial
//! index and history, the situation to show at once, and the [`Live`] feed that keeps that situation current.
//! `AppState` holds the `Live` feed and asks it, each frame, to [`Live::advance`].

use crate::i18n::Lang;
use pingan_core::assess::EventRecord;
use pingan_core::replay::Tracks;
use pingan_core::search::HistoryText;
use pingan_core::{District, Situation, SpatialIndex, Timestamp};
use pingan_demo::{DemoSpec, HistorySpec, SimConfig, Simulator};
use std::sync::Arc;

/// Residents of the built-in demo district, for which the configured event rate is meant.
const DEMO_POPULATION: f64 = 1_991_251.0;

/// Where to sync from.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Base URL, e.g. `http://127.0.0.1:7878`.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// The cache file (`None`: one per server under the platform data dir).
    pub cache: Option<std::path::PathBuf>,
    /// Which certificates an `https://` server may present: the system's roots, `--ca FILE` or `--pin SHA256`.
    pub trust: pingan_store::Trust,
}

/// Re-apply the operator's queued actions on top of the server's state, so that what they did offline stays visible
/// until the server answers (a step that no longer applies, or on an event that is gone, is left out).
pub fn apply_pending(
    situation: &mut Situation,
    pending: &[pingan_core::sync::ClientCommand],
    routing: &pingan_core::routing::RoutingConfig,
) {
    for cmd in pending {
        if let pingan_core::sync::CommandBody::Act { event, action } = &cmd.body {
            situation.act(*event, action.clone(), cmd.at, routing).ok();
        }
    }
}

/// Where a district comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The built-in demo district (generated from its recipe), simulated locally.
    Demo(DemoSpec),
    /// A district built from an imported file (`pingan_core::scenario`), simulated locally at an event rate scaled
    /// to its population. `notes` are what did not fit when it was built.
    Imported {
        /// The district.
        district: Box<District>,
        /// What was left out or estimated while building it.
        notes: Vec<String>,
    },
    /// A `pingan-sync` server, through the local cache. Nothing is generated: the district, its roster and its
    /// history are the server's district package, kept in the cache (so a later start works with the server down);
    /// until the first one arrives the district is empty and the app says it is waiting.
    Server(ServerOptions),
    /// A district package file (`pingan --package FILE`): its district, roster and history, with no network and no
    /// simulation.
    Package(Box<pingan_package::Package>),
}

/// The inputs every source needs besides itself.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Seed for the simulated workers, events and history.
    pub seed: u64,
    /// Simulator settings (the demo's rate; an imported district scales it).
    pub sim: SimConfig,
    /// Now.
    pub now: Timestamp,
    /// Language of the messages for the operator.
    pub lang: Lang,
    /// Called when something loaded in the background has news (the app passes egui's `request_repaint`, so that
    /// it repaints on change rather than every frame; `None`: the owner polls).
    pub waker: Option<pingan_store::Waker>,
    /// How many days of the workers' tracks to keep for the timeline (0: none — a package made from the demo).
    pub replay_days: u32,
}

/// What keeps the situation current.
pub enum Live {
    /// The local simulator (demo or imported district).
    Simulated(Box<Simulator>, Box<crate::services::demo_sensors::DemoSensors>),
    /// The sync server: the link brings the situation, and the operator's actions go through its outbox.
    Server(pingan_store::Link),
    /// Nothing: a district package opened offline shows what it holds.
    Fixed,
}

impl Live {
    /// The link, when the situation comes from a server.
    pub fn link(&self) -> Option<&pingan_store::Link> {
        match self {
            Self::Server(l) => Some(l),
            Self::Simulated(..) | Self::Fixed => None,
        }
    }

    /// The simulator, when the situation is simulated locally.
    pub fn simulator(&self) -> Option<&Simulator> {
        match self {
            Self::Simulated(s, _) => Some(s.as_ref()),
            Self::Server(_) | Self::Fixed => None,
        }
    }

    /// Run the simulator up to `now` (workers walk, events arrive and move on, the demo's sensors read and warn); a
    /// server's updates are taken by `AppState::poll_link` instead. Returns whether the situation was advanced.
    pub fn advance(&mut self, district: &District, situation: &mut Situation, now: Timestamp) -> bool {
        match self {
            Self::Simulated(sim, sensors) => {
                sim.step(district, situation, now);
                // The demo fleet's warnings, routed by the simulator's rules.
                sensors.advance(district, situation, sim.routing(), now);
                true
            }
            Self::Server(_) | Self::Fixed => false,
        }
    }
}

/// A loaded source: everything the app shows, ready to put in place.
pub struct Loaded {
    /// The district.
    pub district: Arc<District>,
    /// Its spatial index.
    pub index: SpatialIndex,
    /// Event history before the live situation (for the five-colour view and reports).
    pub history: Arc<Vec<EventRecord>>,
    /// The history's case numbers and titles (empty when it has none), for the search.
    pub history_text: Arc<HistoryText>,
    /// The situation to show at once (the simulator's start, or what the cache holds).
    pub situation: Situation,
    /// What keeps it current.
    pub live: Live,
    /// The district tessellated for the 3D view, when it was loaded off the UI thread (`None`: the 3D view
    /// tessellates it itself).
    pub scene: Option<Arc<pingan_render::Scene>>,
    /// Notes for the operator (what did not fit, the scaled event rate, cache problems).
    pub notes: Vec<String>,
    /// Records of the cache skipped because they do not fit the district.
    pub skipped: usize,
    /// The workers' tracks known at the start (the demo's walk over its simulated past; empty elsewhere).
    pub tracks: Tracks,
    /// The package's offline basemap (a PMTiles archive), when it carries one.
    pub tiles: Option<Vec<u8>>,
}

/// Progress reported while loading (0..1).
pub type Progress<'a> = &'a dyn Fn(f32);

impl Source {
    /// Build the district and everything derived from it. Slow for big districts: call it off the UI thread when
    /// the UI is already showing something. `tessellate`: also prepare the 3D scene here.
    pub fn load(self, spec: LoadSpec, tessellate: bool, progress: Progress<'_>) -> Loaded {
        let (district, notes, sim) = match self {
            Self::Demo(demo) => (pingan_demo::generate(&demo), Vec::new(), spec.sim),
            Self::Imported { district, mut notes } => {
                // The demo's event rate is for its ~2 million people: an imported district gets a rate in proportion
                // to its (given or estimated) population, so a compound of 34 buildings does not report a
                // district's worth of incidents.
                let mut sim = spec.sim;
                let f = (district.stats.population as f64 / DEMO_POPULATION).clamp(0.01, 10.0);
                sim.events_per_hour *= f;
                notes.push(format!(
                    "simulated events: {:.1} per hour for {} residents (the demo's rate scaled by population)",
                    sim.events_per_hour, district.stats.population
                ));
                (*district, notes, sim)
            }
            Self::Server(server) => return finish(connect(&server, &spec), tessellate, progress),
            Self::Package(package) => return finish(from_package(*package, spec.lang), tessellate, progress),
        };
        let district = Arc::new(district);
        let index = SpatialIndex::new(&district);
        progress(0.1);
        let started = std::time::Instant::now();
        let history_end = spec.now - chrono::Duration::seconds((sim.history_hours * 3600.0) as i64);
        let history = Arc::new(pingan_demo::generate_history(
            &district,
            // The same daily volume as the live simulation, so trends and month-on-month figures are continuous.
            &HistorySpec { seed: spec.seed, per_day: sim.events_per_hour * 24.0, ..HistorySpec::default() },
            history_end,
        ));
        let history_text = Arc::new(pingan_demo::history_text(&history, spec.seed));
        tracing::info!("event history: {} records in {} ms", history.len(), started.elapsed().as_millis());
        progress(0.4);
        let (situation, simulator) = Simulator::start(&district, spec.seed, sim, spec.now);
        let tracks = match spec.replay_days {
            0 => no_tracks(0),
            days => {
                let started = std::time::Instant::now();
                let from = history_end.max(spec.now - chrono::Duration::days(i64::from(days)));
                let step = pingan_core::replay::TRACK_STEP;
                let keep = chrono::Duration::days(i64::from(days));
                let tracks = pingan_demo::past_tracks(&district, &situation, spec.seed, &sim, from, step, keep);
                tracing::info!(
                    "worker tracks: {} points ({} MB) in {} ms",
                    tracks.len(),
                    tracks.bytes() >> 20,
                    started.elapsed().as_millis()
                );
                tracks
            }
        };
        let sensors = crate::services::demo_sensors::DemoSensors::new(&district, spec.seed, spec.now);
        progress(0.6);
        let loaded = Loaded {
            district,
            index,
            history,
            history_text,
            situation,
            live: Live::Simulated(Box::new(simulator), Box::new(sensors)),
            scene: None,
            notes,
            skipped: 0,
            tracks,
            tiles: None,
        };
        finish(loaded, tessellate, progress)
    }
}

/// Empty tracks keeping `days` days (filled as the situation moves).
fn no_tracks(days: u32) -> Tracks {
    Tracks::new(pingan_core::replay::TRACK_STEP, chrono::Duration::days(i64::from(days)))
}

/// The last step of every load: the 3D scene when asked for, and progress at 100 %.
fn finish(mut loaded: Loaded, tessellate: bool, progress: Progress<'_>) -> Loaded {
    if tessellate {
        loaded.scene = Some(Arc::new(pingan_render::Scene::from_district(&loaded.district)));
    }
    progress(1.0);
    loaded
}

/// A district with nothing in it: what a desktop linked to a server shows until the server's district package
/// arrives (the panels show a waiting screen instead of maps while it has no towns).
pub fn empty_district() -> District {
    District {
        name: String::new(),
        code: pingan_core::AddressCode::NONE,
        outline: pingan_core::Polygon::default(),
        stats: pingan_core::UnitStats::default(),
        towns: Vec::new(),
        communities: Vec::new(),
        grids: Vec::new(),
        buildings: Vec::new(),
        roads: Vec::new(),
        water: Vec::new(),
    }
}

/// A package opened offline: its district, history and roster; nothing moves.
fn from_package(p: pingan_package::Package, lang: Lang) -> Loaded {
    let district = Arc::new(p.district);
    let mut situation = Situation { events: Vec::new(), workers: p.workers, task_books: Vec::new() };
    let skipped = pingan_core::validate::retain_fitting(&mut situation, &district);
    let mut notes = vec![format!(
        "{} {} · {} {} · {} {} · {} {}",
        lang.tr("已打开辖区包", "Opened the district package"),
        district.name,
        lang.tr("版本", "version"),
        p.meta.version,
        district.buildings.len(),
        lang.tr("楼幢", "buildings"),
        p.history.len(),
        lang.tr("条历史事件", "past events")
    )];
    if !skipped.is_empty() {
        notes.push(crate::format::skipped_message(lang, &skipped));
    }
    Loaded {
        index: SpatialIndex::new(&district),
        district,
        history: Arc::new(p.history),
        history_text: Arc::new(p.history_text),
        situation,
        live: Live::Fixed,
        scene: None,
        notes,
        skipped: skipped.len(),
        tracks: no_tracks(0),
        tiles: p.tiles,
    }
}

/// Start the link to `server` and show at once what the cache holds: the district package kept from the last sync
/// (district, history) and the situation as of the last change (what fits the district). With nothing kept the
/// district stays empty until the link brings the server's package.
fn connect(server: &ServerOptions, spec: &LoadSpec) -> Loaded {
    let lang = spec.lang;
    let mut loaded = Loaded {
        district: Arc::new(empty_district()),
        index: SpatialIndex::new(&empty_district()),
        history: Arc::new(Vec::new()),
        history_text: Arc::new(HistoryText::new()),
        situation: Situation::default(),
        live: Live::Fixed,
        scene: None,
        notes: Vec::new(),
        skipped: 0,
        tracks: no_tracks(spec.replay_days),
        tiles: None,
    };
    let Some(cache) = server.cache.clone().or_else(|| pingan_store::default_cache_path(&server.url)) else {
        let msg = lang.tr("没有缓存目录，无法连接服务器", "No data dir for the cache: cannot sync with the server");
        loaded.notes.push(msg.into());
        return loaded;
    };
    let mut config = pingan_store::LinkConfig::new(&server.url, &server.token, cache.clone())
        .fetching_district()
        .with_tracks(spec.replay_days)
        .with_trust(server.trust.clone());
    config.waker = spec.waker.clone();
    match pingan_store::Link::start(config) {
        Ok((link, cached)) => {
            tracing::info!(
                "cache {}: {} events as of change {}, district package {}",
                cache.display(),
                cached.situation.events.len(),
                cached.seq,
                cached.package.as_ref().map_or("none".to_string(), |p| format!("version {}", p.meta.version))
            );
            if let Some(other) = &cached.other_server {
                loaded.notes.push(format!(
                    "{} {other}{}",
                    lang.tr("本地缓存来自另一服务器", "The local cache was synced from another server,"),
                    lang.tr(
                        "，其态势不作本服务器显示，正在重新同步（待发操作保留）",
                        ": its situation is not shown as this server's; syncing afresh (queued actions kept)"
                    )
                ));
            }
            if let Some(e) = &cached.package_error {
                loaded.notes.push(format!(
                    "{}: {e}",
                    lang.tr(
                        "缓存的辖区包无法读取，将重新下载",
                        "The kept district package does not read; downloading it again"
                    )
                ));
            }
            let mut situation = cached.situation;
            let mut left_out = cached.skipped;
            // The tracks kept from earlier syncs (checked when they came; the link pulls what is newer), of workers the
            // cached situation knows (a damaged file cannot name a worker id the size of memory).
            let known = |w: pingan_core::WorkerId| situation.worker(w).is_some();
            let points = cached.tracks.iter().filter_map(|c| pingan_core::replay::point_of(&c.body));
            loaded.tracks.merge(points.filter(|(w, _)| known(*w)));
            if let Some(p) = cached.package {
                loaded.district = Arc::new(p.district);
                loaded.index = SpatialIndex::new(&loaded.district);
                loaded.history = Arc::new(p.history);
                loaded.history_text = Arc::new(p.history_text);
                loaded.tiles = p.tiles;
                left_out.extend(pingan_core::validate::retain_fitting(&mut situation, &loaded.district));
            } else {
                // Nothing can be checked, so nothing is shown, until the district arrives (a snapshot follows it).
                situation = Situation::default();
            }
            if !left_out.is_empty() {
                loaded.notes.push(crate::format::skipped_message(lang, &left_out));
                loaded.skipped += left_out.len();
            }
            apply_pending(&mut situation, &link.pending(), &pingan_core::routing::RoutingConfig::default());
            loaded.situation = situation;
            loaded.live = Live::Server(link);
        }
        Err(e) => {
            loaded.notes.push(format!("{} {}: {e}", lang.tr("无法打开缓存", "Cannot open the cache"), cache.display()));
        }
    }
    loaded
}
