//! The real-time safety report (平安法治实时报表): counts per domain for a day, month and year, month-on-month
//! (环比) and year-on-year (同比) change, values per town, monthly trends, and the league table (平安赛马榜).

use crate::assess::{Assessment, CategorySet, EventRecord, Grade, Period, PeriodKind, UnitScore, in_unit};
use crate::{District, EventCategory, Timestamp, TownId, UnitRef};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The seven domains of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Domain {
    /// 刑事案件.
    Criminal,
    /// 信访事项.
    Petition,
    /// 诉讼案件 (civil disputes and wage claims that go to court).
    Lawsuit,
    /// 交通事故.
    Traffic,
    /// 消防事故.
    Fire,
    /// 安全事故 (work safety).
    WorkSafety,
    /// 非正常死亡.
    UnnaturalDeath,
}

impl Domain {
    /// All seven, in report order.
    pub const ALL: [Domain; 7] = [
        Self::Criminal,
        Self::Petition,
        Self::Lawsuit,
        Self::Traffic,
        Self::Fire,
        Self::WorkSafety,
        Self::UnnaturalDeath,
    ];

    /// Which event categories count towards the domain (a homicide counts as criminal and as an unnatural death).
    pub fn categories(self) -> &'static [EventCategory] {
        use EventCategory as C;
        match self {
            Self::Criminal => &[C::Theft, C::Vice, C::TelecomFraud, C::Homicide],
            Self::Petition => &[C::PetitionSource, C::CrowdGathering],
            Self::Lawsuit => &[C::Dispute, C::WageArrears],
            Self::Traffic => &[C::TrafficDeath],
            Self::Fire => &[C::FireAlarm, C::SmokeDetector, C::StrawBurning],
            Self::WorkSafety => &[C::WorkSafety],
            Self::UnnaturalDeath => &[C::UnnaturalDeath, C::Homicide, C::TrafficDeath],
        }
    }

    /// Category set of the domain.
    pub fn set(self) -> CategorySet {
        CategorySet::of(self.categories())
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        ["刑事案件", "信访事项", "诉讼案件", "交通事故", "消防事故", "安全事故", "非正常死亡"][self as usize]
    }

    /// English name.
    pub fn en(self) -> &'static str {
        [
            "Criminal cases",
            "Petitions",
            "Lawsuits",
            "Traffic accidents",
            "Fire accidents",
            "Work-safety accidents",
            "Unnatural deaths",
        ][self as usize]
    }
}

/// Relative change from `before` to `now`, or `None` when there was nothing before.
pub fn change(now: u32, before: u32) -> Option<f64> {
    (before > 0).then(|| (now as f64 - before as f64) / before as f64)
}

/// A domain's figures at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DomainFigures {
    /// Which domain.
    pub domain: Domain,
    /// Today so far.
    pub day: u32,
    /// This month so far.
    pub month: u32,
    /// This year so far.
    pub year: u32,
    /// The previous month over the same days (1st … today's day).
    pub month_before: u32,
    /// This month's days a year ago.
    pub month_year_ago: u32,
    /// This year so far, a year ago.
    pub year_before: u32,
    /// 环比: month vs the previous month over the same days.
    pub mom: Option<f64>,
    /// 同比: month vs the same days a year ago.
    pub yoy: Option<f64>,
    /// 同比 for the year to date.
    pub ytd_yoy: Option<f64>,
}

/// Unix seconds of midnight (UTC+8) starting `d`.
pub(crate) fn midnight(d: NaiveDate) -> i64 {
    use chrono::TimeZone;
    crate::china_offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or(0, |t| t.timestamp())
}

/// `d` moved by `months` calendar months (the day kept, or the month's last day when it has fewer).
pub(crate) fn shift_months(d: NaiveDate, months: i32) -> NaiveDate {
    let m0 = d.year() * 12 + d.month0() as i32 + months;
    let (y, m) = (m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1);
    let mut day = d.day();
    loop {
        if let Some(x) = NaiveDate::from_ymd_opt(y, m, day) {
            return x;
        }
        day -= 1;
    }
}

/// Which running span a domain tile's figure covers: today, this month or this year so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Span {
    /// Today so far (本日).
    Day,
    /// This month so far (本月).
    Month,
    /// This year so far (本年).
    Year,
}

impl Span {
    /// All three, shortest first.
    pub const ALL: [Span; 3] = [Self::Day, Self::Month, Self::Year];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        ["今日", "本月", "本年"][self as usize]
    }

    /// English name.
    pub fn en(self) -> &'static str {
        ["today", "this month", "this year"][self as usize]
    }

    /// The Unix-second window `[from, to)` the span covers at `now`: from its first midnight (UTC+8) to `now`.
    pub fn window(self, now: Timestamp) -> (i64, i64) {
        let today = now.with_timezone(&crate::china_offset()).date_naive();
        let start = match self {
            Self::Day => today,
            Self::Month => today.with_day(1).unwrap_or(today),
            Self::Year => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        };
        (midnight(start), now.timestamp())
    }
}

/// Which records one of the report's numbers counts: of `categories`, reported in `[from, to)`, in `unit`.
/// The report counts with it and a drill-through filters with it, so the number and the list behind it agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Window start, Unix seconds (inclusive).
    pub from: i64,
    /// Window end, Unix seconds (exclusive).
    pub to: i64,
    /// The categories counted.
    pub categories: CategorySet,
    /// Only this unit's records ([`UnitRef::District`]: all), by [`in_unit`].
    pub unit: UnitRef,
}

impl Tally {
    /// A domain tile's figure for `span` at `now` ([`DomainFigures::day`], `month`, `year`).
    pub fn domain(domain: Domain, span: Span, now: Timestamp) -> Self {
        let (from, to) = span.window(now);
        Self { from, to, categories: domain.set(), unit: UnitRef::District }
    }

    /// A figure of `period` as of `as_of` for `categories` (the window [`crate::assess::assess`], [`domain_counts`]
    /// and [`category_counts`] use): the league's events per town, a key category's bar.
    pub fn period(period: Period, as_of: i64, categories: CategorySet) -> Self {
        let (from, to) = period.window(as_of);
        Self { from, to, categories, unit: UnitRef::District }
    }

    /// The same, for one town only.
    pub fn in_town(self, town: TownId) -> Self {
        self.within(UnitRef::Town(town))
    }

    /// The same, for one unit only (any level).
    pub fn within(self, unit: UnitRef) -> Self {
        Self { unit, ..self }
    }

    /// Whether the figure counts `r`.
    pub fn matches(&self, r: &EventRecord) -> bool {
        r.at >= self.from && r.at < self.to && self.categories.contains(r.category) && in_unit(self.unit, r)
    }

    /// The figure: how many of `records` it counts.
    pub fn count(&self, records: &[EventRecord]) -> u32 {
        records.iter().filter(|r| self.matches(r)).count() as u32
    }
}

/// This period's events per key category as of `as_of` (the report's key-category bars), in
/// [`EventCategory::KEY`] order; each bar is [`Tally::period`] of its one category.
pub fn category_counts(records: &[EventRecord], period: Period, as_of: i64) -> Vec<(EventCategory, u32)> {
    let window = Tally::period(period, as_of, CategorySet::key());
    let mut counts = vec![0u32; EventCategory::KEY.len()];
    for r in records.iter().filter(|r| window.matches(r)) {
        if let Some(i) = EventCategory::KEY.iter().position(|c| *c == r.category) {
            counts[i] += 1;
        }
    }
    EventCategory::KEY.iter().copied().zip(counts).collect()
}

/// The six windows a domain tile counts at `now`: today, this month and this year so far, the previous month over
/// the same days, this month's days a year ago, and this year so far a year ago.
fn windows(now: Timestamp) -> [(i64, i64); 6] {
    let today = now.with_timezone(&crate::china_offset()).date_naive();
    let t = now.timestamp();
    let first = today.with_day(1).unwrap_or(today);
    let month0 = midnight(first);
    let year0 = midnight(NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    // Same span one month and one year back: from the 1st to the same time of day on the same day.
    let since_month = t - month0;
    let prev_m = midnight(shift_months(first, -1));
    let year_ago_m = midnight(shift_months(first, -12));
    let year_ago_y = midnight(NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today));
    let since_year = t - year0;
    [
        Span::Day.window(now),
        Span::Month.window(now),
        Span::Year.window(now),
        (prev_m, prev_m + since_month),
        (year_ago_m, year_ago_m + since_month),
        (year_ago_y, year_ago_y + since_year),
    ]
}

impl DomainFigures {
    /// The figures from the counts of the six windows (today, month, year, month before, month a year ago, year
    /// before).
    fn from_counts(domain: Domain, [day, month, year, month_before, month_year_ago, year_before]: [u32; 6]) -> Self {
        DomainFigures {
            domain,
            day,
            month,
            year,
            month_before,
            month_year_ago,
            year_before,
            mom: change(month, month_before),
            yoy: change(month, month_year_ago),
            ytd_yoy: change(year, year_before),
        }
    }
}

/// The report's figures for every domain at time `now`, counting `records` of the whole district.
pub fn domain_figures(records: &[EventRecord], now: Timestamp) -> Vec<DomainFigures> {
    domain_figures_in(records, now, UnitRef::District)
}

/// The report's figures for every domain at time `now`, counting the `records` in `unit` (any level): each figure
/// is a [`Tally`] (the day, month and year ones are [`Tally::domain`] within the unit).
pub fn domain_figures_in(records: &[EventRecord], now: Timestamp, unit: UnitRef) -> Vec<DomainFigures> {
    let windows = windows(now);
    Domain::ALL
        .iter()
        .map(|d| {
            let categories = d.set();
            let counts = windows.map(|(from, to)| Tally { from, to, categories, unit }.count(records));
            DomainFigures::from_counts(*d, counts)
        })
        .collect()
}

/// Counts of the six windows per domain, in [`Domain::ALL`] order.
type Counts = [[u32; 6]; 7];

/// The seven domains' figures for the district and every town, community and grid at one moment, counted in one
/// pass over the records with the district's [`Tally`]s, each counted record added to its own town, community and
/// grid (the fields [`in_unit`] reads) — so a unit's figures equal [`domain_figures_in`] for it, and the towns' figures add up to the district's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitFigures {
    district: Counts,
    towns: Vec<Counts>,
    communities: Vec<Counts>,
    grids: Vec<Counts>,
}

impl UnitFigures {
    /// The figures of `unit`, in [`Domain::ALL`] order (`None`: a building, or a unit the district does not have).
    pub fn unit(&self, unit: UnitRef) -> Option<Vec<DomainFigures>> {
        let counts = match unit {
            UnitRef::District => &self.district,
            UnitRef::Town(t) => self.towns.get(t.index())?,
            UnitRef::Community(c) => self.communities.get(c.index())?,
            UnitRef::Grid(g) => self.grids.get(g.index())?,
            UnitRef::Building(_) => return None,
        };
        Some(Domain::ALL.iter().zip(counts).map(|(d, c)| DomainFigures::from_counts(*d, *c)).collect())
    }
}

/// Every unit's domain figures at `now` ([`UnitFigures`]), in one pass over `records`.
pub fn unit_figures(district: &District, records: &[EventRecord], now: Timestamp) -> UnitFigures {
    let windows = windows(now);
    let tallies: Vec<[Tally; 6]> = Domain::ALL
        .iter()
        .map(|d| windows.map(|(from, to)| Tally { from, to, categories: d.set(), unit: UnitRef::District }))
        .collect();
    let earliest = windows.iter().map(|w| w.0).min().unwrap_or(i64::MIN);
    let mut out = UnitFigures {
        district: Counts::default(),
        towns: vec![Counts::default(); district.towns.len()],
        communities: vec![Counts::default(); district.communities.len()],
        grids: vec![Counts::default(); district.grids.len()],
    };
    for r in records.iter().filter(|r| r.at >= earliest) {
        for (d, row) in tallies.iter().enumerate() {
            for (w, tally) in row.iter().enumerate() {
                if !tally.matches(r) {
                    continue;
                }
                out.district[d][w] += 1;
                if let Some(c) = out.towns.get_mut(r.town.index()) {
                    c[d][w] += 1;
                }
                if let Some(c) = out.communities.get_mut(r.community.index()) {
                    c[d][w] += 1;
                }
                if let Some(c) = out.grids.get_mut(r.grid.index()) {
                    c[d][w] += 1;
                }
            }
        }
    }
    out
}

/// Events per calendar month for the `months` months ending with the one containing `now`: (first day, count).
pub fn monthly_trend(records: &[EventRecord], set: CategorySet, now: Timestamp, months: u32) -> Vec<(NaiveDate, u32)> {
    let (starts, bounds) = month_bounds(now, months as usize);
    let mut counts = vec![0u32; starts.len()];
    for r in records.iter().filter(|r| set.contains(r.category)) {
        let i = bounds.partition_point(|b| *b <= r.at);
        if i >= 1 && i <= counts.len() {
            counts[i - 1] += 1;
        }
    }
    starts.into_iter().zip(counts).collect()
}

/// The first days of the `months` calendar months ending with the one containing `now`, and their bounds in Unix
/// seconds (one more than the months: the last is the end of the current month). A record at `at` is in month
/// `bounds.partition_point(|b| *b <= at) - 1` when that lies in `0..months`.
pub(crate) fn month_bounds(now: Timestamp, months: usize) -> (Vec<NaiveDate>, Vec<i64>) {
    let this = Period::containing(PeriodKind::Month, now).start;
    let starts: Vec<NaiveDate> = (0..months as i32).rev().map(|k| shift_months(this, -k)).collect();
    let bounds = starts.iter().map(|d| midnight(*d)).chain(std::iter::once(midnight(shift_months(this, 1)))).collect();
    (starts, bounds)
}

/// One row of the league table.
#[derive(Clone, Debug, PartialEq)]
pub struct LeagueRow {
    /// Index of the town (or community, or grid) in the district.
    pub unit: usize,
    /// Its name.
    pub name: String,
    /// Normalised score this period.
    pub score: f64,
    /// Events counted.
    pub events: u32,
    /// Colour.
    pub grade: Grade,
    /// Rank this period (1 = safest).
    pub rank: usize,
    /// Rank the period before.
    pub previous_rank: usize,
}

impl LeagueRow {
    /// Places gained since the previous period (positive: moved up).
    pub fn rank_change(&self) -> i64 {
        self.previous_rank as i64 - self.rank as i64
    }
}

fn ranks(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]).then(a.cmp(b)));
    let mut rank = vec![0; scores.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r + 1;
    }
    rank
}

/// The league table (平安赛马榜) of towns — or of communities when `communities` is true — for `now` and the
/// period before, safest (lowest normalised score) first.
pub fn league_table(district: &District, now: &Assessment, before: &Assessment, communities: bool) -> Vec<LeagueRow> {
    let (names, cur, prev): (Vec<&str>, &[UnitScore], &[UnitScore]) = if communities {
        (district.communities.iter().map(|c| c.name.as_str()).collect(), &now.communities, &before.communities)
    } else {
        (district.towns.iter().map(|t| t.name.as_str()).collect(), &now.towns, &before.towns)
    };
    league_of(&names, cur, prev, &(0..cur.len()).collect::<Vec<_>>())
}

/// The league table within `unit`: the district's towns, a town's communities, a community's grids; a grid (or a
/// building) is ranked among its community's grids. Ranks are among those units only. Returns the level the rows'
/// [`LeagueRow::unit`] indexes.
pub fn league_within(
    district: &District,
    now: &Assessment,
    before: &Assessment,
    unit: UnitRef,
) -> (Level, Vec<LeagueRow>) {
    let grids_of = |c: crate::CommunityId| {
        let rows =
            district.communities.get(c.index()).map_or(Vec::new(), |c| c.grids.iter().map(|g| g.index()).collect());
        let names: Vec<&str> = district.grids.iter().map(|g| g.name.as_str()).collect();
        (Level::Grid, league_of(&names, &now.grids, &before.grids, &rows))
    };
    let community_of_grid = |g: crate::GridId| district.grids.get(g.index()).map(|g| g.community);
    match unit {
        UnitRef::District => (Level::Town, league_table(district, now, before, false)),
        UnitRef::Town(t) => {
            let rows =
                district.towns.get(t.index()).map_or(Vec::new(), |t| t.communities.iter().map(|c| c.index()).collect());
            let names: Vec<&str> = district.communities.iter().map(|c| c.name.as_str()).collect();
            (Level::Community, league_of(&names, &now.communities, &before.communities, &rows))
        }
        UnitRef::Community(c) => grids_of(c),
        UnitRef::Grid(g) => community_of_grid(g).map_or((Level::Grid, Vec::new()), grids_of),
        UnitRef::Building(b) => district
            .buildings
            .get(b.index())
            .and_then(|b| community_of_grid(b.grid))
            .map_or((Level::Grid, Vec::new()), grids_of),
    }
}

/// The league of the units at `indices` of one level (`names`, scores now and before, indexed like the district's
/// vector of that level), ranked among themselves, safest first.
fn league_of(names: &[&str], cur: &[UnitScore], prev: &[UnitScore], indices: &[usize]) -> Vec<LeagueRow> {
    let indices: Vec<usize> = indices.iter().copied().filter(|i| *i < cur.len() && *i < prev.len()).collect();
    let r_now = ranks(&indices.iter().map(|i| cur[*i].normalised).collect::<Vec<_>>());
    let r_before = ranks(&indices.iter().map(|i| prev[*i].normalised).collect::<Vec<_>>());
    let mut rows: Vec<LeagueRow> = indices
        .iter()
        .enumerate()
        .map(|(k, &i)| LeagueRow {
            unit: i,
            name: names.get(i).copied().unwrap_or("?").to_string(),
            score: cur[i].normalised,
            events: cur[i].events,
            grade: cur[i].grade,
            rank: r_now[k],
            previous_rank: r_before[k],
        })
        .collect();
    rows.sort_by_key(|r| r.rank);
    rows
}

/// The levels a report can break down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Towns/streets.
    Town,
    /// Villages/communities.
    Community,
    /// Grids.
    Grid,
}

/// Events per domain (in [`Domain::ALL`] order) for every unit of `level` in `period` up to `as_of`, indexed like
/// the district's vector of that level: the report's values at each level.
pub fn domain_counts(
    district: &District,
    records: &[EventRecord],
    period: Period,
    as_of: i64,
    level: Level,
) -> Vec<[u32; 7]> {
    let n = match level {
        Level::Town => district.towns.len(),
        Level::Community => district.communities.len(),
        Level::Grid => district.grids.len(),
    };
    let sets: Vec<CategorySet> = Domain::ALL.iter().map(|d| d.set()).collect();
    let window = Tally::period(period, as_of, CategorySet::all());
    let mut out = vec![[0u32; 7]; n];
    for r in records.iter().filter(|r| window.matches(r)) {
        let i = match level {
            Level::Town => r.town.index(),
            Level::Community => r.community.index(),
            Level::Grid => r.grid.index(),
        };
        let Some(row) = out.get_mut(i) else { continue };
        for (k, set) in sets.iter().enumerate() {
            if set.contains(r.category) {
                row[k] += 1;
            }
        }
    }
    out
}
