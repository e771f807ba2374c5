//! The real-time safety report (平安法治实时报表): counts per domain for a day, month and year, month-on-month
//! (环比) and year-on-year (同比) change, values per town, monthly trends, and the league table (平安赛马榜).

use crate::assess::{Assessment, CategorySet, EventRecord, Grade, Period, PeriodKind};
use crate::{EventCategory, Timestamp, TownId};
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

fn midnight(d: NaiveDate) -> i64 {
    use chrono::TimeZone;
    crate::china_offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or(0, |t| t.timestamp())
}

fn shift_months(d: NaiveDate, months: i32) -> NaiveDate {
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

/// Which records one of the report's numbers counts: of `categories`, reported in `[from, to)`, in `town` when set.
/// The report counts with it and a drill-through filters with it, so the number and the list behind it agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Window start, Unix seconds (inclusive).
    pub from: i64,
    /// Window end, Unix seconds (exclusive).
    pub to: i64,
    /// The categories counted.
    pub categories: CategorySet,
    /// Only this town's records (`None`: the whole district).
    pub town: Option<TownId>,
}

impl Tally {
    /// A domain tile's figure for `span` at `now` ([`DomainFigures::day`], `month`, `year`).
    pub fn domain(domain: Domain, span: Span, now: Timestamp) -> Self {
        let (from, to) = span.window(now);
        Self { from, to, categories: domain.set(), town: None }
    }

    /// A figure of `period` as of `as_of` for `categories` (the window [`crate::assess::assess`], [`domain_counts`]
    /// and [`category_counts`] use): the league's events per town, a key category's bar.
    pub fn period(period: Period, as_of: i64, categories: CategorySet) -> Self {
        let (from, to) = period.window(as_of);
        Self { from, to, categories, town: None }
    }

    /// The same, for one town only.
    pub fn in_town(self, town: TownId) -> Self {
        Self { town: Some(town), ..self }
    }

    /// Whether the figure counts `r`.
    pub fn matches(&self, r: &EventRecord) -> bool {
        r.at >= self.from
            && r.at < self.to
            && self.categories.contains(r.category)
            && self.town.is_none_or(|t| t == r.town)
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

/// The report's figures for every domain at time `now`, counting `records`.
pub fn domain_figures(records: &[EventRecord], now: Timestamp) -> Vec<DomainFigures> {
    let today = now.with_timezone(&crate::china_offset()).date_naive();
    let t = now.timestamp();
    let month0 = midnight(today.with_day(1).unwrap_or(today));
    let year0 = midnight(NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    // Same span one month and one year back: from the 1st to the same time of day on the same day.
    let since_month = t - month0;
    let prev_m = midnight(shift_months(today.with_day(1).unwrap_or(today), -1));
    let year_ago_m = midnight(shift_months(today.with_day(1).unwrap_or(today), -12));
    let year_ago_y = midnight(NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today));
    let since_year = t - year0;
    Domain::ALL
        .iter()
        .map(|d| {
            let categories = d.set();
            let count = |from: i64, to: i64| Tally { from, to, categories, town: None }.count(records);
            let [day, month, year] = Span::ALL.map(|span| Tally::domain(*d, span, now).count(records));
            let month_before = count(prev_m, prev_m + since_month);
            let month_year_ago = count(year_ago_m, year_ago_m + since_month);
            let year_before = count(year_ago_y, year_ago_y + since_year);
            DomainFigures {
                domain: *d,
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
        })
        .collect()
}

/// Events per calendar month for the `months` months ending with the one containing `now`: (first day, count).
pub fn monthly_trend(records: &[EventRecord], set: CategorySet, now: Timestamp, months: u32) -> Vec<(NaiveDate, u32)> {
    let this = Period::containing(PeriodKind::Month, now).start;
    let starts: Vec<NaiveDate> = (0..months as i32).rev().map(|k| shift_months(this, -k)).collect();
    let bounds: Vec<i64> =
        starts.iter().map(|d| midnight(*d)).chain(std::iter::once(midnight(shift_months(this, 1)))).collect();
    let mut counts = vec![0u32; starts.len()];
    for r in records.iter().filter(|r| set.contains(r.category)) {
        let i = bounds.partition_point(|b| *b <= r.at);
        if i >= 1 && i <= counts.len() {
            counts[i - 1] += 1;
        }
    }
    starts.into_iter().zip(counts).collect()
}

/// One row of the league table.
#[derive(Clone, Debug, PartialEq)]
pub struct LeagueRow {
    /// Index of the town (or community) in the district.
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
pub fn league_table(
    district: &crate::District,
    now: &Assessment,
    before: &Assessment,
    communities: bool,
) -> Vec<LeagueRow> {
    let (names, cur, prev): (Vec<&str>, &[crate::assess::UnitScore], &[crate::assess::UnitScore]) = if communities {
        (district.communities.iter().map(|c| c.name.as_str()).collect(), &now.communities, &before.communities)
    } else {
        (district.towns.iter().map(|t| t.name.as_str()).collect(), &now.towns, &before.towns)
    };
    let r_now = ranks(&cur.iter().map(|s| s.normalised).collect::<Vec<_>>());
    let r_before = ranks(&prev.iter().map(|s| s.normalised).collect::<Vec<_>>());
    let mut rows: Vec<LeagueRow> = (0..cur.len())
        .map(|i| LeagueRow {
            unit: i,
            name: names[i].to_string(),
            score: cur[i].normalised,
            events: cur[i].events,
            grade: cur[i].grade,
            rank: r_now[i],
            previous_rank: r_before[i],
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
    district: &crate::District,
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
