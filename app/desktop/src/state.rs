//! Application state and the intents the UI emits.
//!
//! Panels read [`AppState`] and push [`Command`]s; [`AppState::apply`] is the only place that changes it. That
//! keeps panels free of side effects and makes every user action testable without a screen.

use crate::assessment::{AssessmentService, RiskView};
use crate::i18n::Lang;
use crate::scenario::{Finished, ImportJob, ImportMode, ImportRequest, PrepareSpec, Scenario};
use pingan_core::assess::{EventRecord, Explanation, Period, RiskConfig};
use pingan_core::{
    District, Event, EventAction, EventCategory, EventId, LonLat, Situation, SpatialIndex, Timestamp, TownId, UnitRef,
};
use pingan_demo::{DemoSpec, HistorySpec, SimConfig, Simulator};
use std::collections::VecDeque;
use std::sync::Arc;

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
}

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
        }
    }
}

/// Which events the feed shows, by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Everything.
    All,
    /// Not closed (the default: what needs attention).
    #[default]
    Open,
    /// Open and past deadline.
    Overdue,
    /// Closed.
    Closed,
}

impl StatusFilter {
    /// Every choice, in menu order.
    pub const ALL: [StatusFilter; 4] = [Self::Open, Self::Overdue, Self::Closed, Self::All];

    /// Label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::All => lang.tr("全部状态", "All states"),
            Self::Open => lang.tr("未办结", "Open"),
            Self::Overdue => lang.tr("已逾期", "Overdue"),
            Self::Closed => lang.tr("已办结", "Closed"),
        }
    }
}

/// The feed's filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Only this category.
    pub category: Option<EventCategory>,
    /// By state.
    pub status: StatusFilter,
    /// Only this town.
    pub town: Option<TownId>,
}

impl FeedFilter {
    /// Whether `e` passes at time `now`.
    pub fn accepts(&self, e: &Event, now: Timestamp) -> bool {
        self.category.is_none_or(|c| c == e.category)
            && self.town.is_none_or(|t| t == e.town)
            && match self.status {
                StatusFilter::All => true,
                StatusFilter::Open => e.state.is_open(),
                StatusFilter::Overdue => e.is_overdue(now),
                StatusFilter::Closed => !e.state.is_open(),
            }
    }
}

/// Which map the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MapMode {
    /// The 2D slippy map (walkers).
    #[default]
    Map2d,
    /// The GPU 3D street map.
    Map3d,
    /// The dashboard: report, trends, league table.
    Dashboard,
}

/// Something the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Select an event: show its detail and fly the map to it.
    SelectEvent(EventId),
    /// Close the detail panel.
    ClearSelection,
    /// Change the feed filter.
    SetFilter(FeedFilter),
    /// Switch language.
    SetLang(Lang),
    /// Move the map to a place at a zoom level.
    FlyTo(LonLat, f64),
    /// Fit the whole district in the map.
    ShowWholeDistrict,
    /// Take a lifecycle step on an event.
    Act(EventId, EventAction),
    /// Switch between the 2D and 3D map (they keep the same centre and zoom) and the dashboard.
    SetMapMode(MapMode),
    /// Change the five-colour view (period, categories, level).
    SetRiskView(RiskView),
    /// Show a unit's score breakdown and trend.
    SelectUnit(UnitRef),
    /// Export the current report (asks for a folder).
    ExportReport,
    /// Open the import dialog (asks for a file first: handled by the app).
    OpenImport,
    /// Open the import dialog on this file.
    ImportDialog(ImportRequest),
    /// Close the import dialog.
    CloseImportDialog,
    /// Read and check a file off the UI thread; apply it when it is fine (or when the user agrees).
    Import(ImportRequest),
    /// Apply the import waiting for agreement, leaving out the features with problems.
    AcceptImport,
    /// Drop the import waiting for agreement (nothing changes).
    RejectImport,
    /// Forget the imported scenario and go back to the built-in demo district.
    RemoveScenario,
}

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
}

/// A fly-to in progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlyTo {
    /// Where to.
    pub target: LonLat,
    /// Final zoom.
    pub zoom: f64,
}

/// Everything the app shows.
pub struct AppState {
    /// The static district.
    pub district: Arc<District>,
    /// Spatial index over it.
    pub index: SpatialIndex,
    /// Events and workers.
    pub situation: Situation,
    /// The simulator feeding the situation.
    pub sim: Simulator,
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
    /// Map position and zoom (walkers).
    pub map_memory: walkers::MapMemory,
    /// Pending map movement.
    pub fly_to: Option<FlyTo>,
    /// Whether the map should be fitted to the district on the next frame.
    pub fit_pending: bool,
    /// 2D or 3D map, or the dashboard.
    pub map_mode: MapMode,
    /// Event history before the live simulation (years, for the assessment and the report).
    pub history: Arc<Vec<EventRecord>>,
    /// What the five-colour map shows.
    pub risk_view: RiskView,
    /// The assessment, computed off the UI thread.
    pub assessment: AssessmentService,
    /// The selected unit's breakdown (shown when no event is selected).
    pub unit_detail: Option<UnitDetail>,
    /// Recent messages for the operator (errors, refused actions), newest last.
    pub messages: VecDeque<(Timestamp, String)>,
    /// The link to the sync server, when one is configured (then the server, not the simulator, drives the
    /// situation, and the operator's actions go through the outbox).
    pub link: Option<pingan_store::Link>,
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
    /// The 3D scene an import job tessellated, with the address of the district it is of (taken by the 3D view).
    pub scene: Option<(usize, Arc<pingan_render::Scene>)>,
    /// The 2D map's triangulated unit fills (rebuilt when the district changes).
    pub map_fills: crate::map_view::Fills,
    /// Records from the server or the cache skipped because they do not fit the district (events naming a grid it
    /// does not have, workers with no grid, steps on unknown events, …), since the start. Each batch is also told in
    /// the status bar and logged.
    pub skipped: usize,
}

impl AppState {
    /// Generate the demo district and start the simulator.
    pub fn new(options: &AppOptions) -> Self {
        let district = Arc::new(pingan_demo::generate(&options.spec));
        let index = SpatialIndex::new(&district);
        let now = options.clock.now();
        let (mut situation, sim) = Simulator::start(&district, options.spec.seed, options.sim, now);
        let mut messages = VecDeque::new();
        let lang = options.lang;
        let mut skipped = 0;
        let link = options.server.as_ref().and_then(|server| {
            let cache = server.cache.clone().or_else(|| pingan_store::default_cache_path(&server.url))?;
            let config = pingan_store::LinkConfig::new(&server.url, &server.token, cache.clone())
                .with_district(district.clone());
            match pingan_store::Link::start(config) {
                Ok((link, cached)) => {
                    tracing::info!(
                        "cache {}: {} events as of change {}",
                        cache.display(),
                        cached.situation.events.len(),
                        cached.seq
                    );
                    if let Some(other) = &cached.other_server {
                        let msg = format!(
                            "{} {other}{}",
                            lang.tr("本地缓存来自另一服务器", "The local cache was synced from another server,"),
                            lang.tr(
                                "，其态势不作本服务器显示，正在重新同步（待发操作保留）",
                                ": its situation is not shown as this server's; syncing afresh (queued actions kept)"
                            )
                        );
                        tracing::warn!("{msg}");
                        messages.push_back((now, msg));
                    }
                    // Show what the cache holds at once (what fits the district); the link brings it up to date.
                    let mut cached_situation = cached.situation;
                    let mut left_out = cached.skipped;
                    left_out.extend(pingan_core::validate::retain_fitting(&mut cached_situation, &district));
                    if !left_out.is_empty() {
                        let msg = skipped_message(lang, &left_out);
                        tracing::warn!("{msg}");
                        messages.push_back((now, msg));
                        skipped += left_out.len();
                    }
                    situation = cached_situation;
                    let pending = link.pending();
                    apply_pending(&mut situation, &pending);
                    Some(link)
                }
                Err(e) => {
                    let msg = format!("cannot open the cache {}: {e}; running on the built-in demo", cache.display());
                    tracing::error!("{msg}");
                    messages.push_back((now, msg));
                    None
                }
            }
        });
        let started = std::time::Instant::now();
        let history_end = now - chrono::Duration::seconds((options.sim.history_hours * 3600.0) as i64);
        let history = Arc::new(pingan_demo::generate_history(
            &district,
            // The same daily volume as the live simulation, so trends and month-on-month figures are continuous.
            &HistorySpec {
                seed: options.spec.seed,
                per_day: options.sim.events_per_hour * 24.0,
                ..HistorySpec::default()
            },
            history_end,
        ));
        tracing::info!("event history: {} records in {} ms", history.len(), started.elapsed().as_millis());
        let mut map_memory = walkers::MapMemory::default();
        let c = district.bbox().centre();
        map_memory.center_at(walkers::lon_lat(c.lon, c.lat));
        map_memory.set_zoom(11.0).ok();
        if let Some((at, zoom)) = options.initial_view {
            map_memory.center_at(walkers::lon_lat(at.lon, at.lat));
            map_memory.set_zoom(zoom).ok();
        }
        Self {
            district,
            index,
            situation,
            sim,
            clock: options.clock,
            now,
            lang: options.lang,
            filter: FeedFilter::default(),
            selected: None,
            map_memory,
            fly_to: None,
            fit_pending: options.initial_view.is_none(),
            map_mode: options.map_mode,
            history,
            risk_view: RiskView::default(),
            assessment: AssessmentService::new(RiskConfig::default()),
            unit_detail: None,
            messages,
            link,
            scenario: None,
            import_job: None,
            pending_import: None,
            import_dialog: None,
            scenario_dir: options.scenario_dir.clone(),
            demo_spec: options.spec.clone(),
            sim_config: options.sim,
            map_fills: Default::default(),
            scene: None,
            skipped,
        }
        .with_start_import(options.import.clone())
    }

    /// Start the import asked for on the command line, or reload the kept scenario.
    fn with_start_import(mut self, import: Option<ImportRequest>) -> Self {
        if let Some(r) = import {
            self.apply(Command::Import(r));
        } else if let Some(mut r) = self.scenario_dir.as_deref().and_then(crate::scenario::saved_request) {
            if self.link.is_some() {
                r.mode = ImportMode::Overlay;
            }
            tracing::info!("reloading the kept scenario {} ({:?})", r.path.display(), r.mode);
            self.import_job = Some(ImportJob::start(r, self.scenario_dir.clone(), self.prepare_spec(), true));
        }
        self
    }

    fn prepare_spec(&self) -> PrepareSpec {
        PrepareSpec { seed: self.demo_spec.seed, sim: self.sim_config, now: self.now }
    }

    /// Take a finished import: ask about problems, or apply it.
    fn poll_import(&mut self) {
        let Some(job) = &self.import_job else { return };
        let Some(result) = job.poll() else { return };
        self.import_job = None;
        match result {
            Ok(f) if !f.problems.is_empty() && !f.from_saved => self.pending_import = Some(f),
            Ok(f) => self.apply_import(f),
            Err(e) => {
                if let Some(dir) = &self.scenario_dir {
                    crate::scenario::discard(dir);
                }
                let msg =
                    format!("{}: {e}", self.lang.tr("导入失败，现有数据未改动", "Import failed, nothing changed"));
                self.tell(msg);
            }
        }
    }

    /// Put a finished import (or demo rebuild) in place.
    fn apply_import(&mut self, f: Finished) {
        let lang = self.lang;
        let was_replacing = self.scenario.as_ref().is_some_and(|s| s.meta.mode == ImportMode::Replace);
        if let Some(p) = f.prepared {
            self.scene = Some((Arc::as_ptr(&p.district) as usize, p.scene));
            self.district = p.district;
            self.index = p.index;
            self.history = p.history;
            if self.link.is_none() {
                (self.situation, self.sim) = p.live;
            }
            self.assessment = AssessmentService::new(self.assessment.config().clone());
            self.selected = None;
            self.unit_detail = None;
            self.filter = FeedFilter::default();
            self.fly_to = None;
            self.fit_pending = true;
            for n in p.notes {
                self.tell(n);
            }
        }
        let Some(scenario) = f.scenario else {
            tracing::info!("back on the built-in demo district {}", self.district.name);
            return;
        };
        if !f.from_saved
            && let Some(dir) = &self.scenario_dir
            && let Err(e) = crate::scenario::commit(dir)
        {
            self.tell(format!("{}: {e}", lang.tr("导入的场景未能保存", "The import could not be kept")));
        }
        let i = &scenario.imported;
        let m = &scenario.meta;
        let crs = match m.crs {
            pingan_core::import::Crs::Wgs84 => "WGS84",
            pingan_core::import::Crs::Gcj02 => lang.tr("GCJ-02 已转 WGS84", "GCJ-02 converted to WGS84"),
        };
        let msg = format!(
            "{} {}: {} {} · {} {} · {} {} · {} {} · {crs}{}",
            lang.tr("已导入", "Imported"),
            m.name,
            i.units.len(),
            lang.tr("区划", "units"),
            i.buildings.len(),
            lang.tr("楼幢", "buildings"),
            i.pois.len(),
            lang.tr("兴趣点", "POIs"),
            i.roads.len(),
            lang.tr("道路", "roads"),
            if m.problems > 0 {
                format!(" · {} {}", m.problems, lang.tr("个要素有问题未导入", "features left out"))
            } else {
                String::new()
            }
        );
        tracing::info!("{msg}");
        self.messages.push_back((self.now, msg));
        let overlay_now = m.mode == ImportMode::Overlay;
        self.scenario = Some(scenario);
        if overlay_now && was_replacing {
            // One scenario at a time: an overlay goes over the built-in demo, which comes back.
            self.import_job = Some(ImportJob::demo(self.demo_spec.clone(), self.prepare_spec()));
        }
    }

    /// Advance to the clock's time: run the simulator.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        if now > self.now {
            if self.link.is_none() {
                self.sim.step(&self.district, &mut self.situation, now);
            }
            self.now = now;
        }
        self.poll_link();
        self.poll_import();
        self.assessment.poll(&self.district, &self.history, &self.situation.events, self.risk_view, self.now);
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
        UnitDetail { unit, period, explanation, trend, domains }
    }

    /// Take what the link brought: the server's changes, and commands it refused.
    fn poll_link(&mut self) {
        let Some(link) = &self.link else { return };
        let updates = link.poll();
        // What the link thread already skipped (it checks against the same district).
        let skipped = link.take_skipped();
        self.apply_link_updates(updates, skipped);
    }

    /// Apply updates from the link (what [`AppState::tick`] does each frame; public so that tests can feed any data
    /// without a server). Everything is checked against the district first (`pingan_core::validate`): a snapshot
    /// record, a change or an event record that does not fit is skipped whole and logged, never applied half-way;
    /// the status bar tells how many were skipped, these and `skipped` (reasons the link thread already skipped for).
    pub fn apply_link_updates(&mut self, updates: Vec<pingan_store::Update>, mut skipped: Vec<String>) {
        if updates.is_empty() && skipped.is_empty() {
            return;
        }
        let from_link = skipped.len(); // logged by the link already
        let link = self.link.as_ref();
        let pending = || link.map(|l| l.pending()).unwrap_or_default();
        let district = self.district.clone();
        let mut refused = Vec::new();
        for u in updates {
            match u {
                pingan_store::Update::Snapshot(s) => {
                    let mut situation = s.situation;
                    let dropped = pingan_core::validate::retain_fitting(&mut situation, &district);
                    skipped.extend(dropped.into_iter().map(|why| format!("snapshot: {why}")));
                    self.situation = situation;
                    apply_pending(&mut self.situation, &pending());
                }
                pingan_store::Update::Changes(changes) => {
                    for c in &changes {
                        match pingan_core::validate::check_change(&c.body, &district, &self.situation) {
                            Ok(()) => {
                                self.situation.apply_change(&c.body);
                            }
                            Err(why) => skipped.push(format!("change {}: {why}", c.seq)),
                        }
                    }
                }
                pingan_store::Update::Event(e) => match event_fits(&e, &district, &self.situation) {
                    Ok(()) => {
                        if let Some(x) = self.situation.event_mut(e.id) {
                            *x = *e;
                        }
                    }
                    Err(why) => skipped.push(why),
                },
                pingan_store::Update::Events(events) => {
                    // The server's record wins; our own steps still in the outbox go back on top.
                    let pending = pending();
                    for e in events {
                        let id = e.id;
                        if let Err(why) = event_fits(&e, &district, &self.situation) {
                            skipped.push(why);
                            continue;
                        }
                        if let Some(x) = self.situation.event_mut(id) {
                            *x = e;
                        }
                        let mine: Vec<_> = pending
                            .iter()
                            .filter(|c| matches!(&c.body, pingan_core::sync::CommandBody::Act { event, .. } if *event == id))
                            .cloned()
                            .collect();
                        apply_pending(&mut self.situation, &mine);
                    }
                }
                pingan_store::Update::Refused(r) => refused.push(r),
            }
        }
        if !skipped.is_empty() {
            for why in &skipped[from_link..] {
                tracing::warn!("skipped: {why}");
            }
            self.skipped += skipped.len();
            self.tell(skipped_message(self.lang, &skipped));
        }
        for r in refused {
            let what = match &r.command.body {
                pingan_core::sync::CommandBody::Act { event, action } => {
                    let number = self.situation.event(*event).map_or(format!("#{}", event.0), |e| e.number.clone());
                    format!("{number} {}", self.lang.tr(action.zh(), action.en()))
                }
                other => other.name().to_string(),
            };
            let msg = format!("{}: {what} — {}", self.lang.tr("服务器拒绝", "Refused by the server"), r.reason);
            self.tell(msg);
        }
    }

    /// Events passing the filter, newest first.
    pub fn feed(&self) -> Vec<&Event> {
        self.situation.events.iter().rev().filter(|e| self.filter.accepts(e, self.now)).collect()
    }

    /// The selected event.
    pub fn selected_event(&self) -> Option<&Event> {
        self.selected.and_then(|id| self.situation.event(id))
    }

    /// Record a message for the operator (shown in the status bar) and log it.
    pub fn tell(&mut self, msg: String) {
        tracing::warn!("{msg}");
        self.messages.push_back((self.now, msg));
        while self.messages.len() > 20 {
            self.messages.pop_front();
        }
    }

    /// Apply a command.
    pub fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::SelectEvent(id) => {
                if let Some(e) = self.situation.event(id) {
                    self.fly_to = Some(FlyTo { target: e.position, zoom: 16.0 });
                    self.selected = Some(id);
                }
            }
            Command::ClearSelection => {
                self.selected = None;
                self.unit_detail = None;
            }
            Command::SetFilter(f) => self.filter = f,
            Command::SetLang(l) => self.lang = l,
            Command::SetMapMode(m) => self.map_mode = m,
            Command::SetRiskView(v) => {
                self.risk_view = v;
                if let Some(d) = &self.unit_detail {
                    self.unit_detail = Some(self.explain_unit(d.unit));
                }
            }
            Command::SelectUnit(u) => {
                if !unit_exists(&self.district, u) {
                    return;
                }
                self.selected = None;
                self.unit_detail = Some(self.explain_unit(u));
            }
            // Need a dialog: handled by the app.
            Command::ExportReport | Command::OpenImport => {}
            Command::ImportDialog(r) => self.import_dialog = Some(r),
            Command::CloseImportDialog => self.import_dialog = None,
            Command::Import(r) => {
                if self.import_job.is_some() || self.pending_import.is_some() {
                    self.tell(self.lang.tr("另一个导入尚未完成", "Another import is still in progress").into());
                    return;
                }
                if r.mode == ImportMode::Replace && self.link.is_some() {
                    self.tell(
                        self.lang
                            .tr(
                                "连接同步服务器时，导入只能叠加显示（服务器的事件属于它的辖区）",
                                "With a sync server an import can only be overlaid (the server's events belong to its district)",
                            )
                            .into(),
                    );
                    return;
                }
                self.import_dialog = None;
                tracing::info!("importing {} as {:?}, {:?}, {:?}", r.path.display(), r.as_, r.crs, r.mode);
                self.import_job = Some(ImportJob::start(r, self.scenario_dir.clone(), self.prepare_spec(), false));
            }
            Command::AcceptImport => {
                if let Some(f) = self.pending_import.take() {
                    self.apply_import(f);
                }
            }
            Command::RejectImport => {
                if self.pending_import.take().is_some() {
                    if let Some(dir) = &self.scenario_dir {
                        crate::scenario::discard(dir);
                    }
                    self.tell(self.lang.tr("已放弃导入，现有数据未改动", "Import abandoned, nothing changed").into());
                }
            }
            Command::RemoveScenario => {
                if self.import_job.is_some() {
                    self.tell(
                        self.lang.tr("导入尚未完成，请稍后再移除", "An import is running; remove it afterwards").into(),
                    );
                    return;
                }
                let Some(s) = self.scenario.take() else { return };
                if let Some(dir) = &self.scenario_dir
                    && let Err(e) = crate::scenario::remove(dir)
                {
                    self.tell(format!(
                        "{}: {e}",
                        self.lang.tr("无法删除保存的场景", "Could not delete the kept scenario")
                    ));
                }
                if s.meta.mode == ImportMode::Replace {
                    self.import_job = Some(ImportJob::demo(self.demo_spec.clone(), self.prepare_spec()));
                }
                let msg =
                    format!("{} {}", self.lang.tr("已移除导入的场景", "Removed the imported scenario"), s.meta.name);
                self.messages.push_back((self.now, msg));
            }
            Command::FlyTo(target, zoom) => self.fly_to = Some(FlyTo { target, zoom }),
            Command::ShowWholeDistrict => {
                self.fly_to = None;
                self.fit_pending = true;
            }
            Command::Act(id, action) => {
                let now = self.now;
                let Some(number) = self.situation.event(id).map(|e| e.number.clone()) else { return };
                let name = action.name();
                // Checked and shown at once (optimistically), workers' statuses by the one rule in pingan-core;
                // with a server it also goes to the outbox.
                if let Err(err) = self.situation.act(id, action.clone(), now) {
                    self.tell(format!("{number}: {err}"));
                } else {
                    tracing::info!("event {number} {name}");
                    if let Some(link) = &self.link
                        && let Err(err) = link.submit(pingan_core::sync::CommandBody::Act { event: id, action }, now)
                    {
                        let msg = self.lang.tr("操作未能加入待发队列", "could not queue the action");
                        self.tell(format!("{number}: {msg}: {err}"));
                    }
                }
            }
        }
    }
}

/// Re-apply the operator's queued actions on top of the server's state, so that what they did offline stays visible
/// until the server answers (a step that no longer applies, or on an event that is gone, is left out).
fn apply_pending(situation: &mut Situation, pending: &[pingan_core::sync::ClientCommand]) {
    for cmd in pending {
        if let pingan_core::sync::CommandBody::Act { event, action } = &cmd.body {
            situation.act(*event, action.clone(), cmd.at).ok();
        }
    }
}

/// Whether an event record from the server fits the district and names only known workers (as its assignee).
fn event_fits(e: &Event, district: &District, situation: &Situation) -> Result<(), String> {
    pingan_core::validate::check_event(e, district)?;
    match e.assignee {
        Some(w) if situation.worker(w).is_none() => Err(format!("event {}: assignee {} is not known", e.number, w.0)),
        _ => Ok(()),
    }
}

/// Whether `unit` is one of `district`'s units.
fn unit_exists(district: &District, unit: UnitRef) -> bool {
    match unit {
        UnitRef::District => true,
        UnitRef::Town(id) => id.index() < district.towns.len(),
        UnitRef::Community(id) => id.index() < district.communities.len(),
        UnitRef::Grid(id) => id.index() < district.grids.len(),
        UnitRef::Building(id) => id.index() < district.buildings.len(),
    }
}

/// The status-bar line for records skipped because they do not fit the district: how many, and the first reason.
pub fn skipped_message(lang: Lang, reasons: &[String]) -> String {
    let first = reasons.first().map_or("", String::as_str);
    let more = if reasons.len() > 1 { lang.tr(" 等", " and others") } else { "" };
    format!(
        "{} {} {}{}{first}{more}",
        lang.tr("跳过", "Skipped"),
        reasons.len(),
        lang.tr("条与辖区不符的数据", "records that do not fit the district"),
        lang.tr("：", ": "),
    )
}
