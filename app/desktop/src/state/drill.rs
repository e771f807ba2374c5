//! Drill-through (钻取): every number on the screen names the events behind it as a [`Drill`]; clicking it pushes
//! [`crate::state::Command::Drill`], and the feed and the map then show exactly those events until it is cleared.
//!
//! A drill holds what the number is (which header count, which domain tile and span, which category bar, which
//! league row, which loop figure), not a copy of its events; [`Drill::at`] turns it into a [`DrillMatch`] — a
//! predicate over live [`Event`]s and history [`EventRecord`]s — with the very rule the number was counted by:
//! [`Tally`] for the report's figures, [`HeadlineCount`] for the header, [`LoopFigure`] for the command loop, all in
//! `pingan-core`. So the count on the tile and the length of the list cannot disagree.

use crate::i18n::{Lang, Named};
use crate::services::assessment::RiskView;
use pingan_core::assess::{CategorySet, EventRecord, Period};
use pingan_core::report::{Domain, Span, Tally};
use pingan_core::routing::{Level, LoopFigure};
use pingan_core::situation::HeadlineCount;
use pingan_core::{District, Event, EventCategory, EventId, GridId, Timestamp, TownId, UnitRef};

/// Which events of the command loop's table a loop figure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopScope {
    /// The whole district (全区).
    District,
    /// The events at a level now.
    Level(Level),
    /// One town's events (the league's 按时率 and 逾期 columns).
    Town(TownId),
}

/// A number on the screen, as the set of events behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Drill {
    /// A header count: open, overdue, reported today (live events).
    Headline(HeadlineCount),
    /// A domain tile's figure for today, this month or this year (history and live events).
    Domain {
        /// The report domain.
        domain: Domain,
        /// Which of its figures.
        span: Span,
    },
    /// A key category's bar for the report's period.
    Category {
        /// The category.
        category: EventCategory,
        /// The report's period.
        period: Period,
    },
    /// A league row's events: one town, the report's period and categories.
    Town {
        /// The town.
        town: TownId,
        /// The report's period.
        period: Period,
        /// The report's category (`None`: the nine key categories), as in [`RiskView::category`].
        category: Option<EventCategory>,
    },
    /// A unit's events in the report's period: a line of a unit's breakdown (a category's), a row of a league
    /// below the towns. Counted by [`Tally::period`] within the unit — the rule of [`pingan_core::assess::explain`].
    Unit {
        /// The unit (any level).
        unit: UnitRef,
        /// The period.
        period: Period,
        /// The categories the breakdown counts (the risk view's).
        categories: CategorySet,
        /// Only this one of them (`None`: all of them).
        category: Option<EventCategory>,
    },
    /// A domain tile's figure of one unit for today, this month or this year.
    UnitDomain {
        /// The unit (any level).
        unit: UnitRef,
        /// The report domain.
        domain: Domain,
        /// Which of its figures.
        span: Span,
    },
    /// One event of a unit's heaviest: reported at `at` (Unix seconds) in `grid`, of `category`.
    Record {
        /// Report time, Unix seconds.
        at: i64,
        /// Its grid.
        grid: GridId,
        /// Its category.
        category: EventCategory,
    },
    /// A figure of the command loop's table (live events reported in the period).
    Loop {
        /// Whose events.
        scope: LoopScope,
        /// Which figure.
        figure: LoopFigure,
        /// The report's period.
        period: Period,
    },
}

/// A [`Drill`] at a moment: which live events and which history records it takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DrillMatch {
    /// A report figure: live events and history records alike, by the report's own [`Tally`].
    Records(Tally),
    /// A header count at a time (live events only).
    Headline(HeadlineCount, Timestamp),
    /// A command-loop figure (live events only: the history has no lifecycle).
    Loop {
        /// Whose events.
        scope: LoopScope,
        /// Which figure.
        figure: LoopFigure,
        /// Reported from.
        from: Timestamp,
        /// Reported before.
        to: Timestamp,
        /// As of.
        now: Timestamp,
    },
}

impl DrillMatch {
    /// Whether the number counts the live event `e`.
    pub fn event(&self, e: &Event) -> bool {
        match *self {
            Self::Records(t) => t.matches(&EventRecord::from(e)),
            Self::Headline(c, now) => c.counts(e, now),
            Self::Loop { scope, figure, from, to, now } => {
                let within = match scope {
                    LoopScope::District => true,
                    LoopScope::Level(l) => e.level == l,
                    LoopScope::Town(t) => e.town == t,
                };
                within && figure.counts(e, from, to, now)
            }
        }
    }

    /// Whether the number counts the history record `r` (never, for the numbers of live events only).
    pub fn record(&self, r: &EventRecord) -> bool {
        match self {
            Self::Records(t) => t.matches(r),
            Self::Headline(..) | Self::Loop { .. } => false,
        }
    }

    /// Whether the number counts history records at all.
    pub fn counts_history(&self) -> bool {
        matches!(self, Self::Records(_))
    }
}

impl Drill {
    /// The events behind the number at `now`.
    pub fn at(&self, now: Timestamp) -> DrillMatch {
        let as_of = now.timestamp();
        match *self {
            Self::Headline(c) => DrillMatch::Headline(c, now),
            Self::Domain { domain, span } => DrillMatch::Records(Tally::domain(domain, span, now)),
            Self::Category { category, period } => {
                DrillMatch::Records(Tally::period(period, as_of, CategorySet::of(&[category])))
            }
            Self::Town { town, period, category } => {
                let set = RiskView { category, ..RiskView::default() }.categories();
                DrillMatch::Records(Tally::period(period, as_of, set).in_town(town))
            }
            Self::Unit { unit, period, categories, category } => {
                let set = match category {
                    Some(c) if categories.contains(c) => CategorySet::of(&[c]),
                    Some(_) => CategorySet::of(&[]),
                    None => categories,
                };
                DrillMatch::Records(Tally::period(period, as_of, set).within(unit))
            }
            Self::UnitDomain { unit, domain, span } => {
                DrillMatch::Records(Tally::domain(domain, span, now).within(unit))
            }
            Self::Record { at, grid, category } => DrillMatch::Records(Tally {
                from: at,
                to: at.saturating_add(1),
                categories: CategorySet::of(&[category]),
                unit: UnitRef::Grid(grid),
            }),
            Self::Loop { scope, figure, period } => {
                let (from, to) = period.range();
                let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or(now);
                DrillMatch::Loop { scope, figure, from: at(from), to: at(to), now }
            }
        }
    }

    /// What the number is, for the breadcrumb: e.g. `刑事案件 · 本月`.
    pub fn label(&self, district: &District, lang: Lang) -> String {
        let town = |t: TownId| district.towns.get(t.index()).map_or("?", |t| t.name.as_str()).to_string();
        match *self {
            Self::Headline(c) => lang.tr(c.zh(), c.en()).to_string(),
            Self::Domain { domain, span } => format!("{} · {}", domain.name_in(lang), lang.tr(span.zh(), span.en())),
            Self::Category { category, period } => format!("{} · {}", category.name_in(lang), period.label()),
            Self::Town { town: t, period, category } => {
                format!("{} · {} · {}", town(t), RiskView::category_label(category, lang), period.label())
            }
            Self::Unit { unit, period, categories, category } => {
                let what = match category {
                    Some(c) => c.name_in(lang).to_string(),
                    None => categories_label(categories, lang),
                };
                format!("{} · {what} · {}", crate::format::unit_name(district, unit), period.label())
            }
            Self::UnitDomain { unit, domain, span } => format!(
                "{} · {} · {}",
                crate::format::unit_name(district, unit),
                domain.name_in(lang),
                lang.tr(span.zh(), span.en())
            ),
            Self::Record { at, grid, category } => {
                let when = chrono::DateTime::from_timestamp(at, 0).map_or_else(String::new, crate::format::short_time);
                format!(
                    "{} · {when} · {}",
                    crate::format::unit_name(district, UnitRef::Grid(grid)),
                    category.name_in(lang)
                )
            }
            Self::Loop { scope, figure, period } => {
                let whose = match scope {
                    LoopScope::District => lang.tr("全区", "District").to_string(),
                    LoopScope::Level(l) => lang.tr(l.zh(), l.en()).to_string(),
                    LoopScope::Town(t) => town(t),
                };
                format!("{whose} · {} · {}", lang.tr(figure.zh(), figure.en()), period.label())
            }
        }
    }
}

/// A set of categories in words: the nine key categories, one category's name, or how many.
fn categories_label(set: CategorySet, lang: Lang) -> String {
    if set == CategorySet::key() {
        return RiskView::category_label(None, lang).to_string();
    }
    let named: Vec<EventCategory> = EventCategory::ALL.iter().copied().filter(|c| set.contains(*c)).collect();
    match named.as_slice() {
        [one] => one.name_in(lang).to_string(),
        many => format!("{} {}", many.len(), lang.tr("类", "categories")),
    }
}

/// The events behind a drilled number: the live ones (full events) and the history records (compact).
#[derive(Clone, Debug, Default)]
pub struct Drilled<'a> {
    /// Live events, in the feed's order.
    pub live: Vec<&'a Event>,
    /// History records, newest first.
    pub history: Vec<&'a EventRecord>,
}

impl Drilled<'_> {
    /// How many events in all: the number clicked.
    pub fn total(&self) -> usize {
        self.live.len() + self.history.len()
    }
}

/// Whether a map draws the live event `e`: with a drill, exactly the drilled events (open or closed); without, the
/// open ones; the selected event always.
pub fn on_map(drill: Option<&DrillMatch>, e: &Event, selected: Option<EventId>) -> bool {
    selected == Some(e.id)
        || match drill {
            Some(m) => m.event(e),
            None => e.state.is_open(),
        }
}
