//! The five-colour assessment and the report, computed off the UI thread.
//!
//! The UI asks for a [`RiskView`] (period, categories); [`AssessmentService`] runs the scoring and the report on a
//! worker thread over the history plus the live events and hands back a [`ReportData`]. Until it arrives the last
//! result stays on screen, so switching period or level never stalls a frame.
//!
//! ## The five-colour map and the report
//!
//! `AppState::tick` hands `AssessmentService::poll` the current `RiskView` (period, categories) and the live events;
//! when either changed it sends the history plus the live events (as compact `EventRecord`s) to a worker thread, which
//! runs `assess` for this period and the previous one, `unit_figures` (every unit's seven domains), `monthly_trend` and
//! `league_table` and sends back one `ReportData`. The UI keeps drawing the previous result until the new one arrives, so no frame waits. The 2D
//! overlay paints units by `grade`, the 3D view writes the same grades into the renderer's unit-colour buffer, the
//! dashboard draws `ReportData`, and `export` writes it to files. A click on open ground runs `explain` for that unit
//! (a few ms) and shows it in the right panel (`panels::rollup`: children, categories, heaviest events, each line a
//! `Command::SelectUnit` one level down or a drill — `Drill::Unit`, `Drill::Record` — to its events). The dashboard's
//! scope (`panels::dashboard_scope`) is the selected unit: its tiles are that unit's `UnitFigures` (drilling with
//! `Drill::UnitDomain`), its league `league_within` it.

use crate::i18n::{Lang, Named};
use chrono::NaiveDate;
use pingan_core::assess::{Assessment, CategorySet, EventRecord, Period, PeriodKind, RiskConfig, assess};
use pingan_core::report::{self, Domain, DomainFigures, LeagueRow};
use pingan_core::{District, EventCategory, Timestamp};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Which level the five-colour fill shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LevelChoice {
    /// Follow the zoom: towns far out, communities closer, grids close up.
    #[default]
    Auto,
    /// Towns/streets.
    Town,
    /// Villages/communities.
    Community,
    /// Grids.
    Grid,
}

impl LevelChoice {
    /// Every choice.
    pub const ALL: [LevelChoice; 4] = [Self::Auto, Self::Town, Self::Community, Self::Grid];

    /// Label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Auto => lang.tr("层级：随缩放", "Level: by zoom"),
            Self::Town => lang.tr("镇街", "Towns"),
            Self::Community => lang.tr("村社", "Communities"),
            Self::Grid => lang.tr("网格", "Grids"),
        }
    }
}

/// What the five-colour map and the dashboard show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RiskView {
    /// Period kind (the period containing now).
    pub period: PeriodKind,
    /// One category, or `None` for the nine key categories.
    pub category: Option<EventCategory>,
    /// Fill level.
    pub level: LevelChoice,
}

impl Default for RiskView {
    fn default() -> Self {
        Self { period: PeriodKind::Month, category: None, level: LevelChoice::Auto }
    }
}

impl RiskView {
    /// The category set.
    pub fn categories(&self) -> CategorySet {
        self.category.map_or_else(CategorySet::key, |c| CategorySet::of(&[c]))
    }

    /// Label of the period kind.
    pub fn period_label(kind: PeriodKind, lang: Lang) -> &'static str {
        match kind {
            PeriodKind::Day => lang.tr("本日", "Today"),
            PeriodKind::Month => lang.tr("本月", "This month"),
            PeriodKind::Quarter => lang.tr("本季度", "This quarter"),
            PeriodKind::Year => lang.tr("本年", "This year"),
        }
    }

    /// Label of the category choice.
    pub fn category_label(category: Option<EventCategory>, lang: Lang) -> &'static str {
        category.map_or(lang.tr("九类重点事件", "Nine key categories"), |c| c.name_in(lang))
    }
}

/// Everything the five-colour map and the dashboard show, computed together.
#[derive(Clone, Debug)]
pub struct ReportData {
    /// What it was computed for.
    pub view: RiskView,
    /// When.
    pub now: Timestamp,
    /// The period.
    pub period: Period,
    /// Scores of every unit this period.
    pub assessment: Assessment,
    /// Scores the period before (for rank changes).
    pub previous: Assessment,
    /// The seven domains, for the district.
    pub figures: Vec<DomainFigures>,
    /// The seven domains for the district and every town, community and grid (the dashboard's unit selector).
    pub units: report::UnitFigures,
    /// Monthly counts per domain for 24 months: (first day of month, count).
    pub trends: Vec<(Domain, Vec<(NaiveDate, u32)>)>,
    /// This period's events per key category.
    pub category_counts: Vec<(EventCategory, u32)>,
    /// The league of towns.
    pub league: Vec<LeagueRow>,
    /// This period's events per domain for every town (the report's values at town level).
    pub town_domains: Vec<[u32; 7]>,
    /// How the command loop went this period (on time, overdue, escalations, time to close), by level and town,
    /// over the live events (the history has no lifecycle steps).
    pub loops: pingan_core::routing::LoopFigures,
    /// Patrol task books issued this period, by town (index): issued, closed, on time, overdue, checks.
    pub patrol: Vec<pingan_core::patrol::Completion>,
    /// How long the computation took, ms.
    pub compute_ms: f64,
}

/// Compute the report synchronously (the worker calls this; tests may too).
pub fn compute(
    district: &District,
    records: &[EventRecord],
    view: RiskView,
    now: Timestamp,
    config: &RiskConfig,
) -> ReportData {
    let started = std::time::Instant::now();
    let period = Period::containing(view.period, now);
    let set = view.categories();
    let assessment = assess(district, records, period, now.timestamp(), set, config);
    let previous = assess(district, records, period.previous(), now.timestamp(), set, config);
    let league = report::league_table(district, &assessment, &previous, false);
    let town_domains = report::domain_counts(district, records, period, now.timestamp(), report::Level::Town);
    let units = report::unit_figures(district, records, now);
    let figures = units.unit(pingan_core::UnitRef::District).unwrap_or_else(|| report::domain_figures(records, now));
    let trends = Domain::ALL.iter().map(|d| (*d, report::monthly_trend(records, d.set(), now, 24))).collect();
    ReportData {
        view,
        now,
        period,
        assessment,
        previous,
        figures,
        units,
        trends,
        category_counts: report::category_counts(records, period, now.timestamp()),
        league,
        town_domains,
        loops: Default::default(),
        patrol: Vec::new(),
        compute_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// [`compute`], plus the command loop's figures over the live events (`live`, with their histories) and the
/// completion of the task books issued in the period.
pub fn compute_with_loops(
    district: &District,
    records: &[EventRecord],
    live: &[pingan_core::Event],
    books: &[pingan_core::patrol::TaskBook],
    view: RiskView,
    now: Timestamp,
    config: &RiskConfig,
) -> ReportData {
    let mut data = compute(district, records, view, now, config);
    let (from, to) = data.period.range();
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or(now);
    data.loops = pingan_core::routing::loop_figures(live, district.towns.len(), at(from), at(to), now);
    data.patrol = pingan_core::patrol::completion_by_town(district, books, at(from), at(to), now);
    data
}

struct Job {
    district: Arc<District>,
    records: Vec<EventRecord>,
    live: Vec<pingan_core::Event>,
    books: Vec<pingan_core::patrol::TaskBook>,
    view: RiskView,
    now: Timestamp,
}

/// Runs [`compute`] on a worker thread; the UI polls for results.
pub struct AssessmentService {
    config: Arc<RiskConfig>,
    jobs: Sender<Job>,
    results: Receiver<ReportData>,
    /// The latest result.
    pub latest: Option<Arc<ReportData>>,
    /// How many results have arrived (a cache of something drawn from `latest` keys on it).
    pub generation: u64,
    /// Key of the last request: view, the number of live events it saw, and the task books' count and reported
    /// stops.
    requested: Option<(RiskView, usize, usize, usize, Option<i64>)>,
    in_flight: bool,
    waker: Arc<std::sync::Mutex<Option<pingan_store::Waker>>>,
}

impl AssessmentService {
    /// Start the worker.
    pub fn new(config: RiskConfig) -> Self {
        let config = Arc::new(config);
        let (jobs, job_rx) = channel::<Job>();
        let (result_tx, results) = channel();
        let cfg = config.clone();
        let waker: Arc<std::sync::Mutex<Option<pingan_store::Waker>>> = Arc::default();
        let wake = waker.clone();
        std::thread::Builder::new()
            .name("pingan-assess".into())
            .spawn(move || {
                while let Ok(mut job) = job_rx.recv() {
                    // Only the newest request matters.
                    while let Ok(newer) = job_rx.try_recv() {
                        job = newer;
                    }
                    let data =
                        compute_with_loops(&job.district, &job.records, &job.live, &job.books, job.view, job.now, &cfg);
                    if result_tx.send(data).is_err() {
                        break;
                    }
                    if let Ok(w) = wake.lock() {
                        pingan_store::wake(&w);
                    }
                }
            })
            .map_err(|e| tracing::error!("could not start the assessment worker: {e}"))
            .ok();
        Self { config, jobs, results, latest: None, generation: 0, requested: None, in_flight: false, waker }
    }

    /// The configuration in use.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// Ask for `view` if it (the live event count, the books, or `moment` — a replay's ten-minute slot) changed since
    /// the last request; collect finished results. Returns true when a new result arrived.
    pub fn poll(
        &mut self,
        district: &Arc<District>,
        history: &[EventRecord],
        live: &[pingan_core::Event],
        books: &[pingan_core::patrol::TaskBook],
        (view, moment): (RiskView, Option<i64>),
        now: Timestamp,
    ) -> bool {
        let mut arrived = false;
        while let Ok(data) = self.results.try_recv() {
            tracing::debug!("assessment {} in {:.1} ms", data.period.label(), data.compute_ms);
            self.latest = Some(Arc::new(data));
            self.generation += 1;
            self.in_flight = false;
            arrived = true;
        }
        let done: usize = books.iter().map(|b| b.done()).sum();
        let key = (RiskView { level: LevelChoice::Auto, ..view }, live.len(), books.len(), done, moment);
        if self.requested != Some(key) && !self.in_flight {
            let mut records = Vec::with_capacity(history.len() + live.len());
            records.extend_from_slice(history);
            records.extend(live.iter().map(EventRecord::from));
            let job =
                Job { district: district.clone(), records, live: live.to_vec(), books: books.to_vec(), view, now };
            if self.jobs.send(job).is_ok() {
                self.requested = Some(key);
                self.in_flight = true;
            }
        }
        arrived
    }

    /// Call `waker` whenever a result is ready (the app passes `request_repaint`, so that it repaints when a result
    /// arrives instead of polling every frame).
    pub fn set_waker(&mut self, waker: Option<pingan_store::Waker>) {
        self.waker.lock().map(|mut w| *w = waker).ok();
    }

    /// Block until the current request is done (tests and screenshots).
    pub fn wait(&mut self) {
        if self.in_flight
            && let Ok(data) = self.results.recv_timeout(std::time::Duration::from_secs(30))
        {
            self.latest = Some(Arc::new(data));
            self.generation += 1;
            self.in_flight = false;
        }
    }
}
