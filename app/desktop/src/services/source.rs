//! Where the desktop's district, its history and its live situation come from — one place, so that panels never
//! care which: the built-in demo generator, an imported scenario, or a `pingan-sync` server through the local cache
//! (and, later, a district package file).
//!
//! A [`Source`] is *loaded* (off the UI thread when it is slow) into a [`Loaded`]: the district with its spatial
//! index and history, the situation to show at once, and the [`Live`] feed that keeps that situation current.
//! `AppState` holds the `Live` feed and asks it, each frame, to [`Live::advance`].

use crate::i18n::Lang;
use pingan_core::assess::EventRecord;
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
}

/// Re-apply the operator's queued actions on top of the server's state, so that what they did offline stays visible
/// until the server answers (a step that no longer applies, or on an event that is gone, is left out).
pub fn apply_pending(situation: &mut Situation, pending: &[pingan_core::sync::ClientCommand]) {
    for cmd in pending {
        if let pingan_core::sync::CommandBody::Act { event, action } = &cmd.body {
            situation.act(*event, action.clone(), cmd.at).ok();
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
    /// A `pingan-sync` server, through the local cache. Until the server hands out its district, the district is
    /// the demo recipe the server was started with (same seed, same district).
    Server {
        /// The district's recipe.
        spec: DemoSpec,
        /// Where to sync from.
        server: ServerOptions,
    },
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
}

/// What keeps the situation current.
pub enum Live {
    /// The local simulator (demo or imported district).
    Simulated(Box<Simulator>),
    /// The sync server: the link brings the situation, and the operator's actions go through its outbox.
    Server(pingan_store::Link),
}

impl Live {
    /// The link, when the situation comes from a server.
    pub fn link(&self) -> Option<&pingan_store::Link> {
        match self {
            Self::Server(l) => Some(l),
            Self::Simulated(_) => None,
        }
    }

    /// The simulator, when the situation is simulated locally.
    pub fn simulator(&self) -> Option<&Simulator> {
        match self {
            Self::Simulated(s) => Some(s.as_ref()),
            Self::Server(_) => None,
        }
    }

    /// Run the simulator up to `now` (workers walk, events arrive and move on); a server's updates are taken by
    /// `AppState::poll_link` instead. Returns whether the situation was advanced.
    pub fn advance(&mut self, district: &District, situation: &mut Situation, now: Timestamp) -> bool {
        match self {
            Self::Simulated(sim) => {
                sim.step(district, situation, now);
                true
            }
            Self::Server(_) => false,
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
}

/// Progress reported while loading (0..1).
pub type Progress<'a> = &'a dyn Fn(f32);

impl Source {
    /// Build the district and everything derived from it. Slow for big districts: call it off the UI thread when
    /// the UI is already showing something. `tessellate`: also prepare the 3D scene here.
    pub fn load(self, spec: LoadSpec, tessellate: bool, progress: Progress<'_>) -> Loaded {
        let (district, notes, server, sim) = match self {
            Self::Demo(demo) => (pingan_demo::generate(&demo), Vec::new(), None, spec.sim),
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
                (*district, notes, None, sim)
            }
            Self::Server { spec: demo, server } => (pingan_demo::generate(&demo), Vec::new(), Some(server), spec.sim),
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
        tracing::info!("event history: {} records in {} ms", history.len(), started.elapsed().as_millis());
        progress(0.4);
        let (situation, simulator) = Simulator::start(&district, spec.seed, sim, spec.now);
        progress(0.6);
        let mut loaded = Loaded {
            district,
            index,
            history,
            situation,
            live: Live::Simulated(Box::new(simulator)),
            scene: None,
            notes,
            skipped: 0,
        };
        if let Some(server) = server {
            connect(&mut loaded, &server, &spec);
        }
        if tessellate {
            loaded.scene = Some(Arc::new(pingan_render::Scene::from_district(&loaded.district)));
        }
        progress(1.0);
        loaded
    }
}

/// Start the link to `server` and show what the cache holds (what fits the district) at once; with no usable cache
/// the demo simulation stays (and a note says why).
fn connect(loaded: &mut Loaded, server: &ServerOptions, spec: &LoadSpec) {
    let lang = spec.lang;
    let Some(cache) = server.cache.clone().or_else(|| pingan_store::default_cache_path(&server.url)) else {
        let msg = lang.tr("没有缓存目录，使用内置演示区", "No data dir for the cache; running on the built-in demo");
        loaded.notes.push(msg.into());
        return;
    };
    let mut config =
        pingan_store::LinkConfig::new(&server.url, &server.token, cache.clone()).with_district(loaded.district.clone());
    config.waker = spec.waker.clone();
    match pingan_store::Link::start(config) {
        Ok((link, cached)) => {
            tracing::info!(
                "cache {}: {} events as of change {}",
                cache.display(),
                cached.situation.events.len(),
                cached.seq
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
            let mut situation = cached.situation;
            let mut left_out = cached.skipped;
            left_out.extend(pingan_core::validate::retain_fitting(&mut situation, &loaded.district));
            if !left_out.is_empty() {
                loaded.notes.push(crate::format::skipped_message(lang, &left_out));
                loaded.skipped += left_out.len();
            }
            apply_pending(&mut situation, &link.pending());
            loaded.situation = situation;
            loaded.live = Live::Server(link);
        }
        Err(e) => {
            loaded.notes.push(format!("cannot open the cache {}: {e}; running on the built-in demo", cache.display()));
        }
    }
}
