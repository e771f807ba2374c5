//! Patrol task books (巡查任务书): the five-colour assessment turned into work. A red unit (or, by configuration,
//! an orange one) yields one book per grid — what to check (the items of the unit's dominant categories), which
//! buildings (the grid's hot spots), by when. Grid workers report each check done or "problem found" (which files a
//! new event linked to the book); a book closes when every check is reported and is overdue, like an event, once
//! past its deadline.
//!
//! The rules are configurable in TOML (`assets/config/patrol.toml`, compiled in as [`PatrolConfig::default`]). The
//! server issues books (by hand through an operator's command, or by itself for red units: [`due_units`]), the
//! simulator does the same, and the desktop shows them; all three use the functions here.

use crate::assess::{Assessment, EventRecord, Grade, Period};
use crate::limits::Invalid::{self, Rule, Unknown};
use crate::role::{Actor, Denied, Role};
use crate::{BuildingId, District, EventCategory, EventId, GridId, Timestamp, TownId, UnitRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// The shipped patrol rules (documented in the file).
pub const DEFAULT_PATROL_TOML: &str = include_str!("../../../../assets/config/patrol.toml");

/// The most checks one book may hold.
pub const MAX_CHECKS: usize = 64;
/// The most items (what to check) one book may hold.
pub const MAX_ITEMS: usize = 16;
/// The longest a book may run, days from issue to deadline (the config's `due_hours` allows 90).
pub const MAX_DUE_DAYS: i64 = 90;

pub use crate::ids::TaskBookId;

/// One thing to check on the walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// The category it answers.
    pub category: EventCategory,
    /// What to do, in Chinese.
    pub zh: String,
    /// What to do, in English.
    pub en: String,
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Checked, nothing wrong (已查无异常).
    Done,
    /// A problem found: a new event was filed, linked to the book (发现问题).
    Problem,
}

impl CheckOutcome {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Done => "已查无异常",
            Self::Problem => "发现问题",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Done => "Checked, fine",
            Self::Problem => "Problem found",
        }
    }
}

/// A reported check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// When it was checked.
    pub at: Timestamp,
    /// Who reported it (user name).
    pub by: String,
    /// What was found.
    pub outcome: CheckOutcome,
    /// What the worker wrote (may be empty for `Done`).
    pub note: String,
    /// The event filed for a problem.
    pub event: Option<EventId>,
}

/// One stop of the walk: a building (or the whole grid), checked against every item of the book.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Where (`None`: the grid as a whole).
    pub building: Option<BuildingId>,
    /// The report, once made.
    pub result: Option<CheckResult>,
}

/// A patrol task book for one grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskBook {
    /// Its id (the server's; a client's proposal is replaced).
    pub id: TaskBookId,
    /// Its number, as printed (e.g. `XC-20261201-000012`; the server fills it in when empty).
    pub number: String,
    /// The unit whose grade called for it.
    pub unit: UnitRef,
    /// That unit's grade when it was issued.
    pub grade: Grade,
    /// The grid it is for.
    pub grid: GridId,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// By when every check is due.
    pub due: Timestamp,
    /// Who issued it (user name; the server's own user for automatic books).
    pub issued_by: String,
    /// Issued by the server on its own (the unit turned red) rather than by an operator.
    pub automatic: bool,
    /// What to check at every stop.
    pub items: Vec<CheckItem>,
    /// The stops.
    pub checks: Vec<Check>,
}

/// Where a book stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BookState {
    /// Checks outstanding, in time.
    Open,
    /// Checks outstanding, past its deadline.
    Overdue,
    /// Every check reported.
    Closed,
}

impl BookState {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Open => "执行中",
            Self::Overdue => "已超期",
            Self::Closed => "已完成",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Overdue => "Overdue",
            Self::Closed => "Done",
        }
    }
}

impl TaskBook {
    /// Checks reported.
    pub fn done(&self) -> usize {
        self.checks.iter().filter(|c| c.result.is_some()).count()
    }

    /// Checks that found a problem.
    pub fn problems(&self) -> usize {
        self.checks.iter().filter(|c| c.result.as_ref().is_some_and(|r| r.outcome == CheckOutcome::Problem)).count()
    }

    /// Whether every check is reported (a book with no checks is closed).
    pub fn is_closed(&self) -> bool {
        self.checks.iter().all(|c| c.result.is_some())
    }

    /// When the last check was reported (`None` while open).
    pub fn closed_at(&self) -> Option<Timestamp> {
        if !self.is_closed() {
            return None;
        }
        Some(self.checks.iter().filter_map(|c| c.result.as_ref().map(|r| r.at)).max().unwrap_or(self.issued_at))
    }

    /// Where it stands at `now`.
    pub fn state(&self, now: Timestamp) -> BookState {
        if self.is_closed() {
            BookState::Closed
        } else if now > self.due {
            BookState::Overdue
        } else {
            BookState::Open
        }
    }

    /// Whether it was closed by its deadline.
    pub fn closed_on_time(&self) -> bool {
        self.closed_at().is_some_and(|t| t <= self.due)
    }

    /// The town it belongs to.
    pub fn town(&self, district: &District) -> Option<TownId> {
        district.grids.get(self.grid.index()).map(|g| g.town)
    }

    /// Record a check's result (a change from the log). Idempotent: the same result again changes nothing; a
    /// check already reported keeps its first result. Returns whether anything changed.
    pub fn record(&mut self, check: usize, result: &CheckResult) -> bool {
        match self.checks.get_mut(check) {
            Some(c) if c.result.is_none() => {
                c.result = Some(result.clone());
                true
            }
            _ => false,
        }
    }
}

/// Why a book or a check report is not acceptable, in words for the operator. Checks what needs only the book and
/// the district: the grid and buildings exist and belong together, the deadline follows the issue, the sizes and
/// texts are within their limits.
pub fn check_book(book: &TaskBook, district: &District) -> Result<(), Invalid> {
    use crate::limits::{MAX_NAME, MAX_NOTE, MAX_NUMBER, check_text};
    let grid = district
        .grids
        .get(book.grid.index())
        .ok_or_else(|| Unknown(format!("task book: there is no grid {}", book.grid.0)))?;
    check_text("the task book's number", &book.number, MAX_NUMBER)?;
    check_text("the task book's issuer", &book.issued_by, MAX_NAME)?;
    let unit_ok = match book.unit {
        UnitRef::District => true,
        UnitRef::Town(t) => t == grid.town,
        UnitRef::Community(c) => c == grid.community,
        UnitRef::Grid(g) => g == grid.id,
        UnitRef::Building(_) => false,
    };
    if !unit_ok {
        return Err(Rule(format!("task book for grid {}: its unit does not contain the grid", grid.name)));
    }
    if book.due <= book.issued_at {
        return Err(Rule(format!("task book for grid {}: the deadline must come after the issue", grid.name)));
    }
    if book.due - book.issued_at > chrono::Duration::days(MAX_DUE_DAYS) {
        return Err(Rule(format!(
            "task book for grid {}: the deadline is at most {MAX_DUE_DAYS} days after the issue",
            grid.name
        )));
    }
    if book.items.is_empty() || book.items.len() > MAX_ITEMS {
        return Err(Rule(format!("a task book lists 1 to {MAX_ITEMS} things to check, got {}", book.items.len())));
    }
    for item in &book.items {
        check_text("a check item", &item.zh, MAX_NOTE)?;
        check_text("a check item", &item.en, MAX_NOTE)?;
    }
    if book.checks.is_empty() || book.checks.len() > MAX_CHECKS {
        return Err(Rule(format!("a task book has 1 to {MAX_CHECKS} stops, got {}", book.checks.len())));
    }
    for (i, c) in book.checks.iter().enumerate() {
        if let Some(b) = c.building {
            let Some(building) = district.buildings.get(b.index()) else {
                return Err(Unknown(format!("task book stop {}: there is no building {}", i + 1, b.0)));
            };
            if building.grid != grid.id {
                return Err(Rule(format!(
                    "task book stop {}: building {} is not in grid {}",
                    i + 1,
                    building.name,
                    grid.name
                )));
            }
            if book.checks[..i].iter().any(|o| o.building == Some(b)) {
                return Err(Rule(format!("task book stop {}: building {} is listed twice", i + 1, building.name)));
            }
        }
        if let Some(r) = &c.result {
            check_result(r)?;
        }
    }
    Ok(())
}

/// Why a check's result is not acceptable (text limits; a problem names its event, a clear check none).
pub fn check_result(r: &CheckResult) -> Result<(), Invalid> {
    use crate::limits::{MAX_NAME, MAX_NOTE, check_text};
    check_text("the check's reporter", &r.by, MAX_NAME)?;
    check_text("the check's note", &r.note, MAX_NOTE)?;
    match (r.outcome, r.event) {
        (CheckOutcome::Problem, None) => Err(Rule("a check that found a problem files an event".into())),
        (CheckOutcome::Done, Some(_)) => Err(Rule("a check without a problem files no event".into())),
        _ => Ok(()),
    }
}

/// Whether `actor` may issue `book`: operators, supervisors and administrators, for grids in their room's unit.
pub fn may_issue(actor: &Actor, book: &TaskBook, district: &District) -> Result<(), Denied> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::Operator | Role::Supervisor => {
            let Some(grid) = district.grids.get(book.grid.index()) else {
                return Err(Denied(format!("there is no grid {}", book.grid.0)));
            };
            let inside = match actor.unit {
                UnitRef::District => true,
                UnitRef::Town(t) => grid.town == t,
                UnitRef::Community(c) => grid.community == c,
                UnitRef::Grid(g) => grid.id == g,
                UnitRef::Building(_) => false,
            };
            if inside {
                Ok(())
            } else {
                Err(Denied(format!(
                    "grid {} is outside this user's unit: a room issues task books in its own area",
                    grid.name
                )))
            }
        }
        Role::GridWorker | Role::SensorGateway => {
            Err(Denied(format!("a {} may not issue task books", actor.role.name())))
        }
    }
}

/// Whether `actor` may report check `check` of `book` now: the check exists and is not yet reported; a grid worker
/// reports only for a grid they serve (`worker_grids`), a room only in its unit; a sensor gateway never.
pub fn may_report_check(
    actor: &Actor,
    worker_grids: &[GridId],
    book: &TaskBook,
    check: usize,
    district: &District,
) -> Result<(), Denied> {
    let Some(c) = book.checks.get(check) else {
        return Err(Denied(format!("task book {} has no stop {}", book.number, check + 1)));
    };
    if c.result.is_some() {
        return Err(Denied(format!("stop {} of task book {} is already reported", check + 1, book.number)));
    }
    match actor.role {
        Role::Admin => Ok(()),
        Role::GridWorker => {
            if worker_grids.contains(&book.grid) {
                Ok(())
            } else {
                Err(Denied(format!("task book {} is for a grid this grid worker does not serve", book.number)))
            }
        }
        Role::Operator | Role::Supervisor => may_issue(actor, book, district),
        Role::SensorGateway => Err(Denied("a sensor gateway only reports readings".into())),
    }
}

/// The patrol rules (the shape of `assets/config/patrol.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolConfig {
    /// The level whose grade is read: town, community or grid.
    pub level: PatrolLevel,
    /// Grades that call for task books.
    pub grades: Vec<Grade>,
    /// How many of the unit's heaviest categories make up the items.
    pub dominant: usize,
    /// Hot-spot buildings per grid.
    pub hot_spots: usize,
    /// Hours from issue to deadline.
    pub due_hours: u32,
    /// Days before a grid gets another automatic book.
    pub cooldown_days: u32,
    /// Days into a month during which the previous month's grades are read.
    pub settle_days: u32,
    /// Most units holding open automatic books at once (the reddest first).
    pub max_open_units: usize,
    /// The item for a category without its own.
    pub general: ItemText,
    /// Items by category.
    pub items: BTreeMap<EventCategory, ItemText>,
}

/// An item's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemText {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// The level of unit whose grade calls for task books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolLevel {
    /// Towns (every grid of a red town gets a book).
    Town,
    /// Communities.
    Community,
    /// Grids.
    Grid,
}

/// A patrol configuration that does not parse or does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum PatrolConfigError {
    /// Not TOML of the right shape.
    #[error("patrol config: {0}")]
    Parse(#[from] toml::de::Error),
    /// Parsed, but wrong.
    #[error("patrol config: {0}")]
    Invalid(String),
}

impl Default for PatrolConfig {
    fn default() -> Self {
        Self::from_toml(DEFAULT_PATROL_TOML).expect("the shipped patrol.toml is valid (tested)")
    }
}

impl PatrolConfig {
    /// Parse and check.
    pub fn from_toml(text: &str) -> Result<Self, PatrolConfigError> {
        let c: PatrolConfig = toml::from_str(text)?;
        let bad = |s: &str| Err(PatrolConfigError::Invalid(s.into()));
        if c.grades.is_empty() {
            return bad("grades: name at least one grade (e.g. [\"Red\"])");
        }
        if c.dominant == 0 || c.dominant > MAX_ITEMS {
            return bad(&format!("dominant must be 1 to {MAX_ITEMS}"));
        }
        if c.hot_spots == 0 || c.hot_spots > MAX_CHECKS {
            return bad(&format!("hot_spots must be 1 to {MAX_CHECKS}"));
        }
        if c.due_hours == 0 || c.due_hours > 24 * 90 {
            return bad("due_hours must be 1 to 2160");
        }
        if c.cooldown_days > 365 {
            return bad("cooldown_days must be at most 365");
        }
        if c.settle_days > 27 {
            return bad("settle_days must be at most 27");
        }
        if c.max_open_units == 0 {
            return bad("max_open_units must be at least 1");
        }
        Ok(c)
    }

    /// The item for a category.
    pub fn item(&self, category: EventCategory) -> CheckItem {
        let t = self.items.get(&category).unwrap_or(&self.general);
        CheckItem { category, zh: t.zh.clone(), en: t.en.clone() }
    }

    /// The period whose grades call for books at `now`: this calendar month (China time), or the previous one
    /// during the first `settle_days` days of a month.
    pub fn period(&self, now: Timestamp) -> Period {
        use chrono::Datelike as _;
        let month = Period::containing(crate::assess::PeriodKind::Month, now);
        let day = now.with_timezone(&crate::china_offset()).day();
        if day <= self.settle_days { month.previous() } else { month }
    }

    /// Whether `grade` calls for books.
    pub fn triggers(&self, grade: Grade) -> bool {
        self.grades.contains(&grade)
    }

    /// The units at the configured level.
    pub fn units(&self, district: &District) -> Vec<UnitRef> {
        match self.level {
            PatrolLevel::Town => district.towns.iter().map(|t| UnitRef::Town(t.id)).collect(),
            PatrolLevel::Community => district.communities.iter().map(|c| UnitRef::Community(c.id)).collect(),
            PatrolLevel::Grid => district.grids.iter().map(|g| UnitRef::Grid(g.id)).collect(),
        }
    }
}

/// The grids of a unit.
pub fn grids_of(district: &District, unit: UnitRef) -> Vec<GridId> {
    match unit {
        UnitRef::District => district.grids.iter().map(|g| g.id).collect(),
        UnitRef::Town(t) => district.grids.iter().filter(|g| g.town == t).map(|g| g.id).collect(),
        UnitRef::Community(c) => district.communities.get(c.index()).map(|c| c.grids.clone()).unwrap_or_default(),
        UnitRef::Grid(g) => vec![g],
        UnitRef::Building(b) => district.buildings.get(b.index()).map(|b| vec![b.grid]).unwrap_or_default(),
    }
}

/// The task books for `unit`, one per grid, as of `now`: the items of the unit's `dominant` heaviest categories in
/// the assessment's period (the general item when it has no events), the grid's `hot_spots` buildings by weighted
/// score (or the grid as a whole), due `due_hours` after `now`. Ids and numbers are left for the server.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    district: &District,
    records: &[EventRecord],
    assessment: &Assessment,
    risk: &crate::assess::RiskConfig,
    config: &PatrolConfig,
    unit: UnitRef,
    now: Timestamp,
    issued_by: &str,
    automatic: bool,
) -> Vec<TaskBook> {
    let period: Period = assessment.period;
    let explanation =
        crate::assess::explain(district, records, unit, period, now.timestamp(), assessment.categories, risk);
    let mut items: Vec<CheckItem> =
        explanation.by_category.iter().take(config.dominant).map(|c| config.item(c.category)).collect();
    if items.is_empty() {
        items.push(CheckItem {
            category: EventCategory::Other,
            zh: config.general.zh.clone(),
            en: config.general.en.clone(),
        });
    }
    let grade = assessment.unit(unit).grade;
    let due = now + chrono::Duration::hours(i64::from(config.due_hours));
    grids_of(district, unit)
        .into_iter()
        .filter_map(|g| district.grids.get(g.index()))
        .map(|grid| {
            let mut hot: Vec<BuildingId> = grid
                .buildings
                .iter()
                .copied()
                .filter(|b| assessment.buildings.get(b.index()).is_some_and(|s| s.weighted > 0.0))
                .collect();
            hot.sort_by(|a, b| {
                assessment.buildings[b.index()]
                    .weighted
                    .total_cmp(&assessment.buildings[a.index()].weighted)
                    .then(a.cmp(b))
            });
            hot.truncate(config.hot_spots);
            let checks: Vec<Check> = if hot.is_empty() {
                vec![Check { building: None, result: None }]
            } else {
                hot.into_iter().map(|b| Check { building: Some(b), result: None }).collect()
            };
            TaskBook {
                id: TaskBookId(0),
                number: String::new(),
                unit,
                grade,
                grid: grid.id,
                issued_at: now,
                due,
                issued_by: issued_by.to_string(),
                automatic,
                items: items.clone(),
                checks,
            }
        })
        .collect()
}

/// The units that call for automatic books now: at the configured level, graded one of the configured grades (in
/// `assessment`, which should be of [`PatrolConfig::period`]), with no grid holding an open book and none that got
/// an automatic book within the cooldown; the reddest (highest normalised score) first, as many as keep the units
/// holding open automatic books within `max_open_units`.
pub fn due_units(
    district: &District,
    assessment: &Assessment,
    books: &[TaskBook],
    config: &PatrolConfig,
    now: Timestamp,
) -> Vec<UnitRef> {
    let cooldown = chrono::Duration::days(i64::from(config.cooldown_days));
    let mut busy = vec![false; district.grids.len()];
    for b in books {
        let recent_auto = b.automatic && now - b.issued_at < cooldown;
        if (!b.is_closed() || recent_auto)
            && let Some(slot) = busy.get_mut(b.grid.index())
        {
            *slot = true;
        }
    }
    let mut open_units: Vec<UnitRef> = books.iter().filter(|b| b.automatic && !b.is_closed()).map(|b| b.unit).collect();
    open_units.sort_by_key(|u| format!("{u:?}"));
    open_units.dedup();
    let room = config.max_open_units.saturating_sub(open_units.len());
    let mut due: Vec<UnitRef> = config
        .units(district)
        .into_iter()
        .filter(|u| config.triggers(assessment.unit(*u).grade))
        .filter(|u| {
            let grids = grids_of(district, *u);
            !grids.is_empty() && !grids.iter().any(|g| busy.get(g.index()).copied().unwrap_or(true))
        })
        .collect();
    // Reddest first; ties in district order.
    due.sort_by(|a, b| assessment.unit(*b).normalised.total_cmp(&assessment.unit(*a).normalised));
    due.truncate(room);
    due
}

/// The idempotency key of an automatic book: one per grid and day issued, so instances sharing a database issue it
/// once.
pub fn auto_key(book: &TaskBook) -> String {
    format!("patrol-{}-{}", book.grid.0, book.issued_at.with_timezone(&crate::china_offset()).format("%Y%m%d"))
}

/// Completion of task books by town, for the dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Books issued.
    pub issued: usize,
    /// Books closed.
    pub closed: usize,
    /// Books closed by their deadline.
    pub on_time: usize,
    /// Books open past their deadline.
    pub overdue: usize,
    /// Checks reported.
    pub checks_done: usize,
    /// Checks in all.
    pub checks: usize,
    /// Checks that found a problem.
    pub problems: usize,
}

impl Completion {
    /// Closed books as a share of issued ones (`None` with none issued).
    pub fn rate(&self) -> Option<f64> {
        (self.issued > 0).then(|| self.closed as f64 / self.issued as f64)
    }
}

/// Completion per town (by index) of the books issued in `[from, to)`, as of `now`.
pub fn completion_by_town(
    district: &District,
    books: &[TaskBook],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<Completion> {
    let mut out = vec![Completion::default(); district.towns.len()];
    for b in books.iter().filter(|b| b.issued_at >= from && b.issued_at < to) {
        let Some(c) = b.town(district).and_then(|t| out.get_mut(t.index())) else { continue };
        c.issued += 1;
        match b.state(now) {
            BookState::Closed => {
                c.closed += 1;
                if b.closed_on_time() {
                    c.on_time += 1;
                }
            }
            BookState::Overdue => c.overdue += 1,
            BookState::Open => {}
        }
        c.checks += b.checks.len();
        c.checks_done += b.done();
        c.problems += b.problems();
    }
    out
}
