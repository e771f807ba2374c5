//! The five-colour risk assessment (五色图): complexity index, weighted event score, normalised score, colour
//! grade and an explanation, for every governance unit at every level, over a period and a set of categories.
//!
//! Pure and deterministic: it reads a [`District`], a slice of [`EventRecord`]s and a [`RiskConfig`]; the formula
//! and the defaults are documented in `assets/config/risk.toml`, which is compiled in as [`RiskConfig::default`].
//! One pass over the records fills every level (building → grid → community → town → district).

use crate::{
    BuildingId, CommunityId, District, Event, EventCategory, GridId, Severity, Timestamp, TownId, UnitRef, UnitStats,
};
use chrono::{Datelike, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default configuration file, as shipped.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../../assets/config/risk.toml");

/// Weights of the complexity index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplexityWeights {
    /// Per resident.
    pub resident: f64,
    /// Per floating resident.
    pub floating: f64,
    /// Per enterprise.
    pub enterprise: f64,
    /// Per dwelling.
    pub house: f64,
    /// Size of one complexity unit.
    pub per: f64,
    /// Smallest complexity.
    pub floor: f64,
}

/// Factors by severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct SeverityFactors {
    /// 一般.
    pub General: f64,
    /// 较大.
    pub Significant: f64,
    /// 重大.
    pub Major: f64,
    /// 特别重大.
    pub Critical: f64,
}

/// Grade thresholds on the normalised score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: red.
    pub red: f64,
    /// At or above: orange.
    pub orange: f64,
    /// At or above: yellow.
    pub yellow: f64,
    /// At or above: blue; below: green.
    pub blue: f64,
}

/// Weights and thresholds of the assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskConfig {
    /// Complexity index.
    pub complexity: ComplexityWeights,
    /// Severity factors.
    pub severity_factor: SeverityFactors,
    /// Category weights (missing: 0).
    pub category_weight: BTreeMap<EventCategory, f64>,
    /// Grade thresholds.
    pub thresholds: Thresholds,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML or not the expected shape.
    #[error("risk config is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// A number that makes no sense.
    #[error("risk config: {0}")]
    Invalid(String),
}

impl RiskConfig {
    /// Parse and check a configuration (TOML, the shape of `assets/config/risk.toml`).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let c: RiskConfig = toml::from_str(text)?;
        let t = &c.thresholds;
        let nums = [c.complexity.resident, c.complexity.floating, c.complexity.enterprise, c.complexity.house];
        if nums.iter().chain(c.category_weight.values()).any(|v| !v.is_finite() || *v < 0.0) {
            return Err(ConfigError::Invalid("weights must be finite and not negative".into()));
        }
        if !(c.complexity.per > 0.0 && c.complexity.floor > 0.0) {
            return Err(ConfigError::Invalid("complexity.per and complexity.floor must be positive".into()));
        }
        if !(t.red > t.orange && t.orange > t.yellow && t.yellow > t.blue && t.blue > 0.0) {
            return Err(ConfigError::Invalid("thresholds must fall strictly: red > orange > yellow > blue > 0".into()));
        }
        Ok(c)
    }

    fn severity(&self, s: Severity) -> f64 {
        match s {
            Severity::General => self.severity_factor.General,
            Severity::Significant => self.severity_factor.Significant,
            Severity::Major => self.severity_factor.Major,
            Severity::Critical => self.severity_factor.Critical,
        }
    }

    /// Weight of one event of `category` and `severity`.
    pub fn event_weight(&self, category: EventCategory, severity: Severity) -> f64 {
        self.category_weight.get(&category).copied().unwrap_or(0.0) * self.severity(severity)
    }

    /// Complexity index of a unit with these statistics.
    pub fn complexity(&self, s: UnitStats) -> f64 {
        let w = &self.complexity;
        let raw = (w.resident * s.population as f64
            + w.floating * s.floating_population as f64
            + w.enterprise * s.enterprises as f64
            + w.house * s.houses as f64)
            / w.per;
        raw.max(w.floor)
    }

    /// Grade of a normalised score.
    pub fn grade(&self, normalised: f64) -> Grade {
        let t = &self.thresholds;
        if normalised >= t.red {
            Grade::Red
        } else if normalised >= t.orange {
            Grade::Orange
        } else if normalised >= t.yellow {
            Grade::Yellow
        } else if normalised >= t.blue {
            Grade::Blue
        } else {
            Grade::Green
        }
    }
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self::from_toml(DEFAULT_CONFIG_TOML).expect("the shipped risk.toml is valid (tested)")
    }
}

/// The five colours, highest risk first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// 红.
    Red,
    /// 橙.
    Orange,
    /// 黄.
    Yellow,
    /// 蓝.
    Blue,
    /// 绿.
    Green,
}

impl Grade {
    /// All grades, red first.
    pub const ALL: [Grade; 5] = [Grade::Red, Grade::Orange, Grade::Yellow, Grade::Blue, Grade::Green];

    /// Index 0 (red) … 4 (green).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        ["红", "橙", "黄", "蓝", "绿"][self.index()]
    }

    /// English name.
    pub fn en(self) -> &'static str {
        ["Red", "Orange", "Yellow", "Blue", "Green"][self.index()]
    }
}

/// What the assessment needs of an event: compact (about 32 bytes), so years of history stay small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Report time, Unix seconds.
    pub at: i64,
    /// Category.
    pub category: EventCategory,
    /// Severity.
    pub severity: Severity,
    /// Town.
    pub town: TownId,
    /// Community.
    pub community: CommunityId,
    /// Grid.
    pub grid: GridId,
    /// Building, if known.
    pub building: Option<BuildingId>,
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        Self {
            at: e.reported_at.timestamp(),
            category: e.category,
            severity: e.severity,
            town: e.town,
            community: e.community,
            grid: e.grid,
            building: e.building,
        }
    }
}

/// A set of categories as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CategorySet(u32);

impl CategorySet {
    /// The nine key categories.
    pub fn key() -> Self {
        Self::of(&EventCategory::KEY)
    }

    /// Every category.
    pub fn all() -> Self {
        Self::of(&EventCategory::ALL)
    }

    /// A set of the given categories.
    pub fn of(cs: &[EventCategory]) -> Self {
        Self(cs.iter().fold(0, |m, c| m | 1 << *c as u32))
    }

    /// Whether `c` is in the set.
    pub fn contains(self, c: EventCategory) -> bool {
        self.0 & (1 << c as u32) != 0
    }
}

/// Kinds of period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeriodKind {
    /// A calendar day.
    Day,
    /// A calendar month.
    Month,
    /// A quarter.
    Quarter,
    /// A year.
    Year,
}

/// A calendar period in China Standard Time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// Kind.
    pub kind: PeriodKind,
    /// First day.
    pub start: NaiveDate,
}

impl Period {
    /// The period of `kind` that contains `at`.
    pub fn containing(kind: PeriodKind, at: Timestamp) -> Self {
        let d = at.with_timezone(&crate::china_offset()).date_naive();
        let start = match kind {
            PeriodKind::Day => d,
            PeriodKind::Month => d.with_day(1).unwrap_or(d),
            PeriodKind::Quarter => NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d),
            PeriodKind::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
        };
        Self { kind, start }
    }

    /// The first day after the period.
    pub fn end(&self) -> NaiveDate {
        let add_months = |n: u32| {
            let m0 = self.start.month0() + n;
            NaiveDate::from_ymd_opt(self.start.year() + (m0 / 12) as i32, m0 % 12 + 1, 1).unwrap_or(self.start)
        };
        match self.kind {
            PeriodKind::Day => self.start.succ_opt().unwrap_or(self.start),
            PeriodKind::Month => add_months(1),
            PeriodKind::Quarter => add_months(3),
            PeriodKind::Year => add_months(12),
        }
    }

    /// Start and end as Unix seconds (CST midnights).
    pub fn range(&self) -> (i64, i64) {
        let midnight = |d: NaiveDate| {
            crate::china_offset()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .single()
                .map_or(0, |t| t.timestamp())
        };
        (midnight(self.start), midnight(self.end()))
    }

    /// The Unix-second window `[from, to)` a figure of this period counts as of `as_of`: the period, cut at `as_of`
    /// while it runs (what [`assess`] and the report's per-period counts use).
    pub fn window(&self, as_of: i64) -> (i64, i64) {
        let (from, to) = self.range();
        (from, to.min(as_of.max(from)))
    }

    /// Months of the period that have passed by `as_of` (Unix seconds): the full length once it is over, the
    /// elapsed part while it runs (so the current month is not judged as if it were complete).
    pub fn months_until(&self, as_of: i64) -> f64 {
        let (from, to) = self.range();
        if as_of >= to {
            return self.months();
        }
        let elapsed = (as_of - from).max(3600) as f64;
        (elapsed / (to - from) as f64 * self.months()).min(self.months())
    }

    /// Length in months (a day counts 1/30.4).
    pub fn months(&self) -> f64 {
        match self.kind {
            PeriodKind::Day => 1.0 / 30.4,
            PeriodKind::Month => 1.0,
            PeriodKind::Quarter => 3.0,
            PeriodKind::Year => 12.0,
        }
    }

    /// The period just before this one.
    pub fn previous(&self) -> Self {
        let before = self.start.pred_opt().unwrap_or(self.start);
        let at = crate::china_offset()
            .from_local_datetime(&before.and_hms_opt(12, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        Self::containing(self.kind, at)
    }

    /// The same period a year earlier.
    pub fn year_before(&self) -> Self {
        Self { kind: self.kind, start: self.start.with_year(self.start.year() - 1).unwrap_or(self.start) }
    }

    /// A short label: `2026-11`, `2026 Q4`, `2026`, `2026-11-23`.
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Day => self.start.format("%Y-%m-%d").to_string(),
            PeriodKind::Month => self.start.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{} Q{}", self.start.year(), self.start.month0() / 3 + 1),
            PeriodKind::Year => self.start.year().to_string(),
        }
    }
}

/// A unit's score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    /// Complexity index.
    pub complexity: f64,
    /// Weighted event score.
    pub weighted: f64,
    /// Weighted per complexity unit per month.
    pub normalised: f64,
    /// Colour.
    pub grade: Grade,
    /// Events counted.
    pub events: u32,
}

/// Scores of every unit at every level.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// The period.
    pub period: Period,
    /// The categories.
    pub categories: CategorySet,
    /// The whole district.
    pub district: UnitScore,
    /// Towns, by index.
    pub towns: Vec<UnitScore>,
    /// Communities, by index.
    pub communities: Vec<UnitScore>,
    /// Grids, by index.
    pub grids: Vec<UnitScore>,
    /// Buildings, by index.
    pub buildings: Vec<UnitScore>,
}

impl Assessment {
    /// Score of any unit.
    pub fn unit(&self, u: UnitRef) -> &UnitScore {
        match u {
            UnitRef::District => &self.district,
            UnitRef::Town(id) => &self.towns[id.index()],
            UnitRef::Community(id) => &self.communities[id.index()],
            UnitRef::Grid(id) => &self.grids[id.index()],
            UnitRef::Building(id) => &self.buildings[id.index()],
        }
    }
}

fn building_stats(b: &crate::Building) -> UnitStats {
    UnitStats { population: b.population, floating_population: 0, enterprises: 0, houses: b.households }
}

/// Score every unit of `district` over `period` as of `as_of` (Unix seconds: events after it are ignored and a
/// running period counts only its elapsed months) for `categories`, in one pass over `records`.
pub fn assess(
    district: &District,
    records: &[EventRecord],
    period: Period,
    as_of: i64,
    categories: CategorySet,
    config: &RiskConfig,
) -> Assessment {
    let (from, to) = period.window(as_of);
    let mut w_b = vec![(0.0, 0u32); district.buildings.len()];
    let mut w_g = vec![(0.0, 0u32); district.grids.len()];
    let mut w_c = vec![(0.0, 0u32); district.communities.len()];
    let mut w_t = vec![(0.0, 0u32); district.towns.len()];
    let mut w_d = (0.0, 0u32);
    let weights: Vec<[f64; 4]> =
        EventCategory::ALL.iter().map(|c| Severity::ALL.map(|s| config.event_weight(*c, s))).collect();
    let cat_index = |c: EventCategory| EventCategory::ALL.iter().position(|x| *x == c).unwrap_or(0);
    for r in records {
        if r.at < from || r.at >= to || !categories.contains(r.category) {
            continue;
        }
        let w = weights[cat_index(r.category)][r.severity as usize];
        let add = |slot: &mut (f64, u32)| {
            slot.0 += w;
            slot.1 += 1;
        };
        if let Some(b) = r.building.and_then(|b| w_b.get_mut(b.index())) {
            add(b);
        }
        if let Some(g) = w_g.get_mut(r.grid.index()) {
            add(g);
        }
        if let Some(c) = w_c.get_mut(r.community.index()) {
            add(c);
        }
        if let Some(t) = w_t.get_mut(r.town.index()) {
            add(t);
        }
        add(&mut w_d);
    }
    let months = period.months_until(as_of);
    let score = |(weighted, events): (f64, u32), stats: UnitStats| {
        let complexity = config.complexity(stats);
        let normalised = weighted / complexity / months;
        UnitScore { complexity, weighted, normalised, grade: config.grade(normalised), events }
    };
    Assessment {
        period,
        categories,
        district: score(w_d, district.stats),
        towns: district.towns.iter().map(|u| score(w_t[u.id.index()], u.stats)).collect(),
        communities: district.communities.iter().map(|u| score(w_c[u.id.index()], u.stats)).collect(),
        grids: district.grids.iter().map(|u| score(w_g[u.id.index()], u.stats)).collect(),
        buildings: district.buildings.iter().map(|u| score(w_b[u.id.index()], building_stats(u))).collect(),
    }
}

/// One category's part in a unit's score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contribution {
    /// Category.
    pub category: EventCategory,
    /// Events of it.
    pub events: u32,
    /// Their weighted sum.
    pub weighted: f64,
    /// Share of the unit's weighted score (0..1).
    pub share: f64,
}

/// One child unit's part in its parent's score: a town of the district, a community of a town, a grid of a
/// community, a building of a grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChildShare {
    /// The child.
    pub unit: UnitRef,
    /// Its events counted (the same as its own [`UnitScore::events`]).
    pub events: u32,
    /// Their weighted sum (the same as its own [`UnitScore::weighted`]).
    pub weighted: f64,
    /// Share of the parent's weighted score (0..1).
    pub share: f64,
    /// The child's own normalised score.
    pub normalised: f64,
    /// The child's own colour.
    pub grade: Grade,
}

/// A unit's events placed at none of its children (a grid's events at no building, or naming a child the district
/// does not have).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Unplaced {
    /// Events.
    pub events: u32,
    /// Their weighted sum.
    pub weighted: f64,
    /// Share of the unit's weighted score (0..1).
    pub share: f64,
}

/// Why a unit has its colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The score.
    pub score: UnitScore,
    /// The unit's statistics that went into the complexity index.
    pub stats: UnitStats,
    /// By category, largest first.
    pub by_category: Vec<Contribution>,
    /// By child unit one level down (district → towns → communities → grids → buildings), largest first; children
    /// without a counted event are left out, a building has none. With [`Explanation::unplaced`] the shares sum to 1
    /// when the weighted score is above 0.
    pub by_child: Vec<ChildShare>,
    /// The events placed at no child (`None`: every event is at one).
    pub unplaced: Option<Unplaced>,
    /// The heaviest single events: index into the records, weight; at most 10, heaviest first.
    pub top_events: Vec<(usize, f64)>,
}

/// Whether the record `r` lies in `unit` — the one rule the explanation, the report's
/// [`crate::report::Tally`] and a drill-through use.
pub fn in_unit(unit: UnitRef, r: &EventRecord) -> bool {
    match unit {
        UnitRef::District => true,
        UnitRef::Town(t) => r.town == t,
        UnitRef::Community(c) => r.community == c,
        UnitRef::Grid(g) => r.grid == g,
        UnitRef::Building(b) => r.building == Some(b),
    }
}

/// The child of `unit` that `r` lies in, as an index at the level below, if the district has it.
fn child_index(district: &District, unit: UnitRef, r: &EventRecord) -> Option<usize> {
    let (i, n) = match unit {
        UnitRef::District => (r.town.index(), district.towns.len()),
        UnitRef::Town(_) => (r.community.index(), district.communities.len()),
        UnitRef::Community(_) => (r.grid.index(), district.grids.len()),
        UnitRef::Grid(_) => (r.building?.index(), district.buildings.len()),
        UnitRef::Building(_) => return None,
    };
    (i < n).then_some(i)
}

/// The child of `unit` at index `i` of the level below, and its statistics.
fn child_at(district: &District, unit: UnitRef, i: usize) -> (UnitRef, UnitStats) {
    match unit {
        UnitRef::District => (UnitRef::Town(district.towns[i].id), district.towns[i].stats),
        UnitRef::Town(_) => (UnitRef::Community(district.communities[i].id), district.communities[i].stats),
        UnitRef::Community(_) => (UnitRef::Grid(district.grids[i].id), district.grids[i].stats),
        UnitRef::Grid(_) | UnitRef::Building(_) => {
            (UnitRef::Building(district.buildings[i].id), building_stats(&district.buildings[i]))
        }
    }
}

/// Explain one unit's score: which children, which categories and which events contributed how much, in one pass.
pub fn explain(
    district: &District,
    records: &[EventRecord],
    unit: UnitRef,
    period: Period,
    as_of: i64,
    categories: CategorySet,
    config: &RiskConfig,
) -> Explanation {
    let (from, to) = period.window(as_of);
    let stats = match unit {
        UnitRef::District => district.stats,
        UnitRef::Town(t) => district.town(t).stats,
        UnitRef::Community(c) => district.community(c).stats,
        UnitRef::Grid(g) => district.grid(g).stats,
        UnitRef::Building(b) => building_stats(district.building(b)),
    };
    let mut per_cat: BTreeMap<EventCategory, (u32, f64)> = BTreeMap::new();
    let mut per_child: BTreeMap<usize, (u32, f64)> = BTreeMap::new();
    let mut unplaced = (0u32, 0.0);
    let mut top: Vec<(usize, f64)> = Vec::new();
    let (mut weighted, mut events) = (0.0, 0u32);
    for (i, r) in records.iter().enumerate() {
        if r.at < from || r.at >= to || !categories.contains(r.category) || !in_unit(unit, r) {
            continue;
        }
        let w = config.event_weight(r.category, r.severity);
        let e = per_cat.entry(r.category).or_default();
        e.0 += 1;
        e.1 += w;
        if !matches!(unit, UnitRef::Building(_)) {
            let slot = match child_index(district, unit, r) {
                Some(c) => per_child.entry(c).or_default(),
                None => &mut unplaced,
            };
            slot.0 += 1;
            slot.1 += w;
        }
        weighted += w;
        events += 1;
        top.push((i, w));
    }
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let months = period.months_until(as_of);
    let complexity = config.complexity(stats);
    let normalised = weighted / complexity / months;
    let share = |w: f64| if weighted > 0.0 { w / weighted } else { 0.0 };
    let mut by_category: Vec<Contribution> = per_cat
        .into_iter()
        .map(|(category, (n, w))| Contribution { category, events: n, weighted: w, share: share(w) })
        .collect();
    by_category.sort_by(|a, b| b.weighted.total_cmp(&a.weighted));
    let mut by_child: Vec<ChildShare> = per_child
        .into_iter()
        .map(|(i, (n, w))| {
            let (child, child_stats) = child_at(district, unit, i);
            let normalised = w / config.complexity(child_stats) / months;
            ChildShare {
                unit: child,
                events: n,
                weighted: w,
                share: share(w),
                normalised,
                grade: config.grade(normalised),
            }
        })
        .collect();
    by_child.sort_by(|a, b| b.weighted.total_cmp(&a.weighted));
    Explanation {
        score: UnitScore { complexity, weighted, normalised, grade: config.grade(normalised), events },
        stats,
        by_category,
        by_child,
        unplaced: (unplaced.0 > 0).then_some(Unplaced {
            events: unplaced.0,
            weighted: unplaced.1,
            share: share(unplaced.1),
        }),
        top_events: top,
    }
}
