//! Application state: [`AppState`] (everything the app shows), the [`Command`]s the UI emits, and the view state
//! of the maps.
//!
//! Panels read [`AppState`] and push [`Command`]s; [`AppState::apply`] is the only place that changes it. That
//! keeps panels free of side effects and makes every user action testable without a screen. The cameras and
//! drawing caches live apart, in [`view::ViewState`], which holds no domain data.
//!
//! Where the district, its history and the live situation come from is [`crate::services::source`]'s business;
//! this module only puts what it loads in place.

mod apply;
mod attention;
mod command;
mod drafts;
mod drill;
mod import;
mod link;
mod options;
mod patrol;
mod replay;
mod search;
pub mod view;

pub use attention::{AttentionItem, AttentionState, BANNER_FOR_S};
pub use command::{Command, FeedFilter, FeedTab, MapMode, StatusFilter};
pub use drafts::{ActionDraft, ActionKind, FormProblem, PhoneIn, ReportDraft};
pub use drill::{Drill, DrillMatch, Drilled, LoopScope, on_map};
pub use options::{AppOptions, Clock};
pub use replay::{Replay, ReplayCommand, SPEEDS as REPLAY_SPEEDS};
pub use search::{REFRESH_EVERY_S, SearchRun, SearchState};
pub use view::{FlyTo, Picked, ViewState};

use crate::i18n::Lang;
use crate::services::assessment::{AssessmentService, RiskView};
use crate::services::import_job::ImportRequest;
use crate::services::import_job::{Finished, ImportJob, Scenario};
pub use crate::services::source::ServerOptions;
use crate::services::source::{Live, LoadSpec, Source};
use pingan_core::assess::{EventRecord, Explanation, Period, RiskConfig};
use pingan_core::{District, Event, EventId, Situation, SpatialIndex, Timestamp, UnitRef};
use pingan_demo::{DemoSpec, SimConfig};
use std::collections::VecDeque;
use std::sync::Arc;

/// How often the workers' positions are folded into the coverage record, seconds of clock time.
pub const COVERAGE_EVERY_S: i64 = 10;

/// The tracks' thinning step in seconds ([`pingan_core::replay::TRACK_STEP`]).
pub const TRACK_STEP_S: i64 = pingan_core::replay::TRACK_STEP.num_seconds();

/// A unit's score breakdown, computed when it is selected.
#[derive(Clone, Debug)]
pub struct UnitDetail {
    /// The unit.
    pub unit: UnitRef,
    /// The period it was explained for.
    pub period: Period,
    /// Why it has its colour.
    pub explanation: Explanation,
    /// Normalised score for each of the last 12 months (first day, score).
    pub trend: Vec<(chrono::NaiveDate, f64)>,
    /// This period's events per report domain (in `Domain::ALL` order).
    pub domains: [u32; 7],
    /// The heaviest events of the explanation, resolved when it was computed (the record indices would not stay
    /// valid as live events come and go).
    pub top_events: Vec<TopEvent>,
}

/// One of a unit's heaviest events: the record, the live event it is (`None`: a history record), its weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopEvent {
    /// What the assessment counted.
    pub record: EventRecord,
    /// The live event, when it is one (it opens); a history record drills the feed to it instead.
    pub event: Option<EventId>,
    /// Its weight in the score.
    pub weight: f64,
}

/// Everything the app shows.
pub struct AppState {
    /// The static district.
    pub district: Arc<District>,
    /// Spatial index over it.
    pub index: SpatialIndex,
    /// Events and workers.
    pub situation: Situation,
    /// What keeps the situation current: the local simulator, or the sync server's link (then the server, not
    /// the simulator, drives the situation, and the operator's actions go through the outbox).
    pub live: Live,
    /// Clock.
    pub clock: Clock,
    /// Time of the current frame.
    pub now: Timestamp,
    /// UI language.
    pub lang: Lang,
    /// Feed filter.
    pub filter: FeedFilter,
    /// Selected event.
    pub selected: Option<EventId>,
    /// 2D or 3D map, or the dashboard.
    pub map_mode: MapMode,
    /// Event history before the live simulation (years, for the assessment and the report).
    pub history: Arc<Vec<EventRecord>>,
    /// The history's case numbers and titles (empty when it came without), for the search and the record card.
    pub history_text: Arc<pingan_core::search::HistoryText>,
    /// The one-key search's index (built off the UI thread, following the live events).
    pub search_index: crate::services::search::SearchService,
    /// The search box, the search in force and the record opened from it.
    pub search: SearchState,
    /// The [`AppState::version`] the search index last followed the situation at.
    search_observed: u64,
    /// What the five-colour map shows.
    pub risk_view: RiskView,
    /// The assessment, computed off the UI thread.
    pub assessment: AssessmentService,
    /// The selected unit's breakdown (shown when no event is selected).
    pub unit_detail: Option<UnitDetail>,
    /// Recent messages for the operator (errors, refused actions), newest last.
    pub messages: VecDeque<(Timestamp, String)>,
    /// The imported scenario in use, if any.
    pub scenario: Option<Scenario>,
    /// An import (or a demo rebuild) running off the UI thread.
    pub import_job: Option<ImportJob>,
    /// A finished import with problems, waiting for the user to accept the features that are fine.
    pub pending_import: Option<Finished>,
    /// The import dialog's choices, while it is open.
    pub import_dialog: Option<ImportRequest>,
    /// Where the scenario is kept (`None`: not kept).
    pub scenario_dir: Option<std::path::PathBuf>,
    /// The demo district's recipe (to rebuild it when a scenario is removed).
    pub demo_spec: DemoSpec,
    /// The simulator settings as configured (an imported district scales the event rate from these).
    pub sim_config: SimConfig,
    /// Called when background work (the link, the assessment, an import) has news: the app passes egui's
    /// `request_repaint`, so that it repaints on change instead of every frame.
    pub waker: Option<pingan_store::Waker>,
    /// Bumped whenever something shown changes (the situation, the assessment, the district, a message, a
    /// command): a cheap "did anything change" for tests and for caches of what is drawn from the state.
    pub version: u64,
    /// The 3D scene an import job tessellated, with the address of the district it is of (taken by the 3D view).
    pub scene: Option<(usize, Arc<pingan_render::Scene>)>,
    /// Records from the server or the cache skipped because they do not fit the district (events naming a grid it
    /// does not have, workers with no grid, steps on unknown events, …), since the start. Each batch is also told in
    /// the status bar and logged.
    pub skipped: usize,
    /// The district's offline basemap (a PMTiles file kept from its package), drawn under the 2D map.
    pub basemap: Option<std::path::PathBuf>,
    /// Where a package's basemap is kept as a file.
    pub basemap_dir: std::path::PathBuf,
    /// Routing rules and deadlines: which level an event goes to, when it is near its deadline, what an
    /// escalation or re-route does (the shipped rules; a server's rules arrive with its info).
    pub routing: pingan_core::routing::RoutingConfig,
    /// What the server said this user may do (role, room unit, its routing), once known.
    pub rights: Option<pingan_store::Rights>,
    /// The report form, while it is open.
    pub report: Option<ReportDraft>,
    /// A lifecycle step being prepared in the event detail (its note, its worker).
    pub action: Option<ActionDraft>,
    /// What the left panel lists: events or task books.
    pub feed_tab: FeedTab,
    /// The task book whose detail is shown (when no event is selected).
    pub selected_book: Option<pingan_core::patrol::TaskBookId>,
    /// The patrol rules: which units get task books, what to check, by when (the shipped rules).
    pub patrol: pingan_core::patrol::PatrolConfig,
    /// When the local demo last looked for units due a task book.
    books_checked: Option<Timestamp>,
    /// When each grid was last covered by a fresh on-duty worker (for the coverage voids).
    pub coverage: pingan_core::coverage::Coverage,
    /// The watch thresholds: the coverage voids', the stale positions' and 数据中断's (the desk's own — the shipped
    /// file or `AppOptions::watch` —, or, linked, the server's once it has said).
    pub watch: pingan_core::coverage::WatchConfig,
    /// Linked to a server: when the link last brought anything (a change, a keep-alive of the live stream, …), by
    /// [`AppState::now`]; the start until it has (see [`AppState::data_interrupted`]).
    link_heard: Option<Timestamp>,
    /// When the workers were last folded into `coverage`.
    coverage_seen: Option<Timestamp>,
    /// The coverage voids found then.
    voids: Vec<pingan_core::coverage::Void>,
    /// The unacknowledged items and the banner.
    pub attention: AttentionState,
    /// The number drilled through: the feed and the maps show exactly its events (`None`: the feed's filters).
    pub drill: Option<Drill>,
    /// Whether a new banner plays the attention chime (the app shell plays it).
    pub sound: bool,
    /// The time-travel replay in progress (`None`: live).
    replay: Option<Replay>,
    /// How many days back the timeline reaches.
    pub replay_days: u32,
    /// Every worker's observations over the last `replay_days` (what a replay puts them at).
    tracks: pingan_core::replay::Tracks,
    /// Bumped when a tick brought live changes (a replay rebuilds what it shows then).
    live_version: u64,
    /// When the tracks were last pruned.
    tracks_pruned: Option<Timestamp>,
    /// The [`AppState::version`] the tracks last observed the situation at.
    tracks_observed: u64,
    /// The timeline's bars: the live version they were counted at, the hour they start at, events reported per hour.
    replay_counts: (Option<u64>, Timestamp, Vec<u32>),
    /// The earliest moment anything is known for (the first event reported, the first track point), as of the last
    /// count: the timeline starts no earlier.
    replay_known_from: Option<Timestamp>,
}

impl AppState {
    /// Load the source the options name (the demo district, or a server through its cache) and start.
    pub fn new(options: &AppOptions) -> Self {
        Self::with_waker(options, None)
    }

    /// The same, with a callback for background work that has news (see [`AppState::waker`]).
    pub fn with_waker(options: &AppOptions, waker: Option<pingan_store::Waker>) -> Self {
        let now = options.clock.now();
        let source = match (&options.package, &options.server) {
            (Some(package), _) => Source::Package(package.clone()),
            (None, Some(server)) => Source::Server(server.clone()),
            (None, None) => Source::Demo(options.spec.clone()),
        };
        let spec = LoadSpec {
            seed: options.spec.seed,
            sim: options.sim,
            now,
            lang: options.lang,
            waker: waker.clone(),
            replay_days: options.replay_days,
        };
        let loaded = source.load(spec, false, &|_| {});
        let mut assessment = AssessmentService::new(RiskConfig::default());
        assessment.set_waker(waker.clone());
        let loaded_district = loaded.district.clone();
        let mut state = Self {
            district: loaded.district,
            index: loaded.index,
            situation: loaded.situation,
            live: loaded.live,
            clock: options.clock,
            now,
            lang: options.lang,
            filter: FeedFilter::default(),
            selected: None,
            map_mode: options.map_mode,
            history: loaded.history,
            history_text: loaded.history_text,
            search_index: crate::services::search::SearchService::new(waker.clone()),
            search: SearchState::default(),
            search_observed: u64::MAX,
            risk_view: RiskView::default(),
            assessment,
            unit_detail: None,
            messages: VecDeque::new(),
            scenario: None,
            import_job: None,
            pending_import: None,
            import_dialog: None,
            scenario_dir: options.scenario_dir.clone(),
            demo_spec: options.spec.clone(),
            sim_config: options.sim,
            scene: None,
            skipped: loaded.skipped,
            waker,
            version: 0,
            basemap: None,
            routing: pingan_core::routing::RoutingConfig::default(),
            rights: None,
            report: None,
            action: None,
            feed_tab: FeedTab::default(),
            selected_book: None,
            patrol: pingan_core::patrol::PatrolConfig::default(),
            books_checked: None,
            coverage: pingan_core::coverage::Coverage::new(&loaded_district, now),
            watch: options.watch,
            link_heard: None,
            coverage_seen: None,
            voids: Vec::new(),
            attention: AttentionState::default(),
            drill: None,
            sound: options.sound,
            replay: None,
            replay_days: options.replay_days,
            tracks: loaded.tracks,
            live_version: 0,
            tracks_pruned: None,
            tracks_observed: u64::MAX,
            replay_counts: (None, now, Vec::new()),
            replay_known_from: None,
            basemap_dir: crate::services::basemap::dir(
                options.cache_dir.clone().or_else(crate::tile_cache_dir).as_deref(),
            ),
        };
        for n in loaded.notes {
            state.tell(n);
        }
        if state.link().is_some() {
            state.link_heard = Some(now);
        }
        state.keep_basemap(loaded.tiles);
        if let Some(q) = options.search.clone().filter(|q| !q.trim().is_empty()) {
            // Answered by the first tick after the index arrives (the search in force is run again then).
            state.run_search(q);
        }
        state.start_import(options.import.clone());
        state
    }

    /// Advance to the clock's time (run the simulator), and take what background work brought: the link's
    /// updates, a finished import, a finished assessment. Cheap when nothing is new.
    ///
    /// During a replay the live situation is put back in place for this work and set aside again after it, so the
    /// simulator or the link goes on underneath; the assessment is asked for the moment shown.
    pub fn tick(&mut self) {
        self.replay_swap_in();
        let before = self.version;
        let now = self.clock.now();
        if now > self.now {
            if self.live.advance(&self.district, &mut self.situation, now) {
                self.version += 1;
            }
            self.now = now;
        }
        self.poll_link();
        self.poll_import();
        // The local demo issues the books the patrol rules call for (every few minutes of its clock), before the
        // assessment is asked for, so that it counts them.
        self.issue_due_books();
        self.observe_coverage();
        self.refresh_attention();
        // Positions and statuses change only with the situation (a live change or a command): not every frame.
        if self.version != self.tracks_observed {
            self.observe_tracks();
            self.tracks_observed = self.version;
        }
        // The search follows the live events when they changed (and builds its index when the history is new, and
        // takes it when built); the search in force runs again then — at once when the index arrived, else at most
        // every REFRESH_EVERY_S of clock.
        let mut arrived = false;
        if self.version != self.search_observed || self.search_index.index().is_none() {
            let had = self.search_index.index().is_some();
            if self.search_index.poll(&self.district, &self.history, &self.history_text, &self.situation) {
                arrived = !had && self.search_index.index().is_some();
                self.search.stale = true;
            }
        }
        self.search_observed = self.version;
        let due = self.search.result.as_ref().is_some_and(|r| {
            arrived || self.now - r.at >= chrono::Duration::seconds(search::REFRESH_EVERY_S) || r.at > self.now
        });
        if self.search.stale && due {
            self.refresh_search();
            self.version += 1;
        }
        if self.version != before {
            self.live_version += 1;
        }
        if self.replay_counts.0 != Some(self.live_version) {
            let first_event = self.situation.events.iter().map(|e| e.reported_at).min();
            self.replay_known_from = match (first_event, self.tracks.first()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let (from, to) = self.replay_window();
            let counts =
                pingan_core::replay::reported_per(&self.situation.events, from, to, chrono::Duration::hours(1));
            self.replay_counts = (Some(self.live_version), from, counts);
        }
        self.replay_swap_out();
        // The assessment of the moment shown: a replay asks again every ten minutes of replayed time.
        let moment = self.replay.as_ref().map(|r| r.at.timestamp().div_euclid(600));
        if self.assessment.poll(
            &self.district,
            &self.history,
            &self.situation.events,
            &self.situation.task_books,
            (self.risk_view, moment),
            self.now,
        ) {
            self.version += 1;
        }
    }

    /// Events reported per hour (the timeline's bars) as of the last change, and the moment the first hour starts.
    pub fn replay_counts(&self) -> (Timestamp, &[u32]) {
        (self.replay_counts.1, &self.replay_counts.2)
    }

    /// Keep the workers' latest observations in their tracks (thinned there), and forget what is older than the
    /// timeline reaches, once an hour of clock.
    fn observe_tracks(&mut self) {
        self.tracks.observe(&self.situation, self.now);
        if self.tracks_pruned.is_none_or(|t| self.now - t > chrono::Duration::hours(1)) {
            self.tracks_pruned = Some(self.now);
            self.tracks.prune(self.now);
        }
    }

    /// The link to the sync server, when the situation comes from one.
    pub fn link(&self) -> Option<&pingan_store::Link> {
        self.live.link()
    }

    /// All events as assessment records: the history, then the live ones.
    pub fn records(&self) -> Vec<EventRecord> {
        let mut r = Vec::with_capacity(self.history.len() + self.situation.events.len());
        r.extend_from_slice(&self.history);
        r.extend(self.situation.events.iter().map(EventRecord::from));
        r
    }

    /// Compute the breakdown of `unit` for the current view.
    fn explain_unit(&self, unit: UnitRef) -> UnitDetail {
        let records = self.records();
        let cfg = self.assessment.config();
        let set = self.risk_view.categories();
        let period = Period::containing(self.risk_view.period, self.now);
        let as_of = self.now.timestamp();
        let explanation = pingan_core::assess::explain(&self.district, &records, unit, period, as_of, set, cfg);
        let mut month = Period::containing(pingan_core::assess::PeriodKind::Month, self.now);
        let mut trend = Vec::with_capacity(12);
        for _ in 0..12 {
            let e = pingan_core::assess::explain(&self.district, &records, unit, month, as_of, set, cfg);
            trend.push((month.start, e.score.normalised));
            month = month.previous();
        }
        trend.reverse();
        use pingan_core::report::{Level, domain_counts};
        let counts =
            |level: Level, i: usize| domain_counts(&self.district, &records, period, as_of, level).get(i).copied();
        let domains = match unit {
            UnitRef::Town(t) => counts(Level::Town, t.index()),
            UnitRef::Community(c) => counts(Level::Community, c.index()),
            UnitRef::Grid(g) => counts(Level::Grid, g.index()),
            UnitRef::District | UnitRef::Building(_) => None,
        }
        .unwrap_or_default();
        let live_from = self.history.len();
        let top_events = explanation
            .top_events
            .iter()
            .filter_map(|&(i, weight)| {
                let event = i.checked_sub(live_from).and_then(|k| self.situation.events.get(k)).map(|e| e.id);
                Some(TopEvent { record: *records.get(i)?, event, weight })
            })
            .collect();
        UnitDetail { unit, period, explanation, trend, domains, top_events }
    }

    /// The drill in force, at the current time (`None`: no drill).
    pub fn drill_match(&self) -> Option<DrillMatch> {
        self.drill.map(|d| d.at(self.now))
    }

    /// The events behind the drilled number: the live ones as the feed lists them, then the history records, newest
    /// first (`None`: no drill).
    pub fn drilled(&self) -> Option<Drilled<'_>> {
        let m = self.drill_match()?;
        let mut history: Vec<&EventRecord> =
            if m.counts_history() { self.history.iter().rev().filter(|r| m.record(r)).collect() } else { Vec::new() };
        history.sort_by_key(|r| std::cmp::Reverse(r.at));
        Some(Drilled { live: self.feed(), history })
    }

    /// Events passing the filter — or, with a drill, exactly the drilled live events — by time left: open ones with
    /// the nearest (or longest-passed) deadline first, then closed ones, newest first.
    pub fn feed(&self) -> Vec<&Event> {
        let drill = self.drill_match();
        let mut feed: Vec<&Event> = self
            .situation
            .events
            .iter()
            .rev()
            .filter(|e| match &drill {
                Some(m) => m.event(e),
                None => self.filter.accepts(e, self.now),
            })
            .collect();
        feed.sort_by(|a, b| match (a.state.is_open(), b.state.is_open()) {
            (true, true) => a.deadline.cmp(&b.deadline),
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => std::cmp::Ordering::Equal,
        });
        feed
    }

    /// The selected event.
    pub fn selected_event(&self) -> Option<&Event> {
        self.selected.and_then(|id| self.situation.event(id))
    }

    /// Fold the workers' positions into the coverage record, at most every [`COVERAGE_EVERY_S`] of clock time (and
    /// at the start): a few thousand point lookups, not per frame.
    fn observe_coverage(&mut self) {
        if self.coverage_seen.is_some_and(|t| self.now < t + chrono::Duration::seconds(COVERAGE_EVERY_S)) {
            return;
        }
        self.coverage_seen = Some(self.now);
        self.coverage.observe(&self.district, &self.index, &self.situation, &self.watch.coverage, self.now);
        // Kept with the observation: the map, the tab's count and its list read it every frame; a change is
        // something shown (and may call for attention).
        let voids = self.coverage.voids(&self.watch.coverage, self.now);
        if voids != self.voids {
            self.voids = voids;
            self.version += 1;
        }
    }

    /// Grids without cover as of the last observation (at most [`COVERAGE_EVERY_S`] old), longest first; during a
    /// replay, those of the moment shown.
    pub fn voids(&self) -> &[pingan_core::coverage::Void] {
        match &self.replay {
            Some(r) => &r.voids,
            None => &self.voids,
        }
    }

    /// On-duty workers whose position is stale now, oldest first.
    pub fn stale_workers(&self) -> Vec<pingan_core::WorkerId> {
        pingan_core::coverage::stale_workers(&self.situation, &self.watch.coverage, self.now)
    }

    /// Who the operator is, for greying out what would be refused: with a server, the role and unit it named
    /// (`None` until it has: then the server alone decides); the local demo's operator may do everything, at the
    /// district level.
    pub fn actor(&self) -> Option<pingan_core::routing::Actor> {
        use pingan_core::routing::Actor;
        match self.link() {
            Some(_) => self.rights.as_ref().map(|r| Actor { role: r.role, unit: r.unit, worker: None }),
            None => Some(Actor { role: pingan_core::sync::Role::Admin, unit: UnitRef::District, worker: None }),
        }
    }

    /// Keep a package's offline basemap as a file and draw it (`None`: no basemap). A basemap that cannot be kept or
    /// read is told to the operator; the map is drawn without it.
    pub(crate) fn keep_basemap(&mut self, tiles: Option<Vec<u8>>) {
        self.basemap = None;
        let Some(tiles) = tiles else { return };
        match crate::services::basemap::keep(&tiles, &self.basemap_dir) {
            Ok(path) => {
                tracing::info!("offline basemap {} ({} bytes)", path.display(), tiles.len());
                self.basemap = Some(path);
            }
            Err(e) => {
                self.tell(format!("{}: {e}", self.lang.tr("离线底图无法使用", "The offline basemap cannot be used")))
            }
        }
        self.version += 1;
    }

    /// Record a message for the operator (shown in the status bar) and log it.
    pub fn tell(&mut self, msg: String) {
        tracing::warn!("{msg}");
        self.note(msg);
    }

    /// Record a message for the operator without logging it as a warning (e.g. an export that went well).
    pub fn note(&mut self, msg: String) {
        self.version += 1;
        self.messages.push_back((self.now, msg));
        while self.messages.len() > 20 {
            self.messages.pop_front();
        }
    }
}
