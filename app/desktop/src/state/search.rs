//! The one-key search (一键搜) in the state: the box's text, the last query's matches, the history record opened
//! from them; [`AppState::run_search`] runs a query on the index ([`crate::services::search`]) and
//! [`AppState::record_place`] says where a history record is on the map.

use super::{AppState, FeedTab};
use crate::services::search::SearchError;
use pingan_core::search::Matches;
use pingan_core::{LonLat, Timestamp};

/// What the search shows.
#[derive(Clone, Debug, Default)]
pub struct SearchState {
    /// The search box's text.
    pub text: String,
    /// The query last run, its answer and when it ran (`None`: no search in force; the maps and the feed are
    /// their usual selves).
    pub result: Option<SearchRun>,
    /// A history record opened from the results (shown in the detail when no event is selected).
    pub record: Option<u32>,
    /// How many times a query has run (the heat map redraws when it changes).
    pub runs: u64,
    /// The live events changed since the search in force ran (it runs again at most every
    /// [`REFRESH_EVERY_S`] of clock).
    pub stale: bool,
}

/// The search in force follows the live events at most this often, seconds of clock: a query over a million
/// records takes up to tens of milliseconds, and the live events change every second.
pub const REFRESH_EVERY_S: i64 = 5;

/// One query's run.
#[derive(Clone, Debug)]
pub struct SearchRun {
    /// The query as typed.
    pub query: String,
    /// What it found, or why it found nothing.
    pub answer: Result<Matches, SearchError>,
    /// How long it took, milliseconds.
    pub took_ms: f64,
    /// The clock when it ran.
    pub at: Timestamp,
}

impl SearchRun {
    /// The matches, when the query ran.
    pub fn matches(&self) -> Option<&Matches> {
        self.answer.as_ref().ok()
    }
}

impl AppState {
    /// Run `query` now over the history and the live events; the left panel shows the results.
    pub(super) fn run_search(&mut self, query: String) {
        self.search.text = query.clone();
        self.search.result = Some(self.answer(query));
        self.search.record = None;
        self.feed_tab = FeedTab::Search;
    }

    fn answer(&mut self, query: String) -> SearchRun {
        let started = std::time::Instant::now();
        let answer = self.search_index.query(&self.district, &self.situation.workers, &query, self.now);
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(m) = &answer {
            tracing::info!("search {query:?}: {} matches in {took_ms:.1} ms", m.total());
        }
        self.search.runs += 1;
        self.search.stale = false;
        SearchRun { query, answer, took_ms, at: self.now }
    }

    /// End the search: the feed and the maps show their usual selves.
    pub(super) fn clear_search(&mut self) {
        self.search = SearchState::default();
        if self.feed_tab == FeedTab::Search {
            self.feed_tab = FeedTab::Events;
        }
    }

    /// Re-run the search in force (after the index arrives or the live events changed): only its answer changes —
    /// the box's text (the operator may be typing the next query), the tab shown and the record opened stay.
    pub(super) fn refresh_search(&mut self) {
        let Some(run) = &self.search.result else { return };
        let query = run.query.clone();
        self.search.result = Some(self.answer(query));
    }

    /// After a new district or history: the search in force waits for the new index (and is answered by it).
    pub(super) fn search_on_new_history(&mut self) {
        if let Some(run) = &mut self.search.result {
            run.answer = Err(SearchError::Building);
        }
        self.search.record = None;
        self.search.runs += 1;
    }

    /// Where history record `i` happened: its building's middle, else its grid's label.
    pub fn record_place(&self, i: u32) -> Option<LonLat> {
        let r = self.history.get(i as usize)?;
        match r.building.and_then(|b| self.district.buildings.get(b.index())) {
            Some(b) => Some(b.footprint.centroid()),
            None => self.district.grids.get(r.grid.index()).map(|g| g.label_at),
        }
    }

    /// The search in force's matches (`None`: no search, or it found nothing to show).
    pub fn search_matches(&self) -> Option<&Matches> {
        self.search.result.as_ref().and_then(|r| r.matches())
    }
}
