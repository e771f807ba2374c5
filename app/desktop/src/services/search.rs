//! The one-key search's index on the desktop: built from the history off the UI thread (about a second for a
//! million records; until then a query says the index is being built), kept current with the live events on every
//! change of the situation, and queried on the UI thread (milliseconds; see the README's figure).
//!
//! The index itself — tokenizer, lists, ranking, charts — is `pingan_core::search`, so the rule of what matches is
//! written once.
//!
//! ## One-key search
//!
//! ```text
//! history (Arc<Vec<EventRecord>>) + HistoryText (numbers, titles; from the demo, a package or the server's package)
//!    └─► services::search::SearchService::poll — a new history (by Arc identity) → SearchIndex::build on a thread
//!         (bigram lists, per-unit/category lists, numbers sorted, unit codes) ─► waker ─► taken by the next tick
//! situation changed (AppState::version) ─► SearchIndex::update_live (hash per event: only changed ones re-made)
//! Command::Search(q) ─► AppState::run_search ─► SearchIndex::query (UI thread, ms) ─► SearchRun in AppState::search
//!    ├─► panels::search::results_ui (counts, charts, hits) ─► Command::SelectEvent / SelectRecord ─► fly + detail
//!    ├─► map2d heat: Matches::by_grid as grid fills (static layer keyed by the run)
//!    └─► Command::ExportSearch ─► services::search_export (search.csv, search.geojson)
//! live changes ─► the search in force runs again at most every 5 s of clock (box, tab and open record untouched)
//! ```

use pingan_core::assess::EventRecord;
use pingan_core::search::{HistoryText, Matches, QueryError, SearchIndex};
use pingan_core::{District, GridWorker, Situation, Timestamp};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

/// The search index, or the thread building it.
#[derive(Default)]
pub struct SearchService {
    index: Option<SearchIndex>,
    building: Option<Receiver<SearchIndex>>,
    /// The district and history the index is of, or is being built for (compared by identity).
    of: Option<(Arc<District>, Arc<Vec<EventRecord>>)>,
    /// Called when a build finishes (egui's `request_repaint`).
    waker: Option<pingan_store::Waker>,
}

/// Why a query has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchError {
    /// The query itself (empty, a word too short).
    Query(QueryError),
    /// The index is still being built.
    Building,
}

impl SearchService {
    /// No index yet; `waker` is called when one is built.
    pub fn new(waker: Option<pingan_store::Waker>) -> Self {
        Self { waker, ..Self::default() }
    }

    /// Make sure the index is of `history` (build it off the UI thread when the history is new), take a finished
    /// build, and follow the live events. Returns whether what it finds changed (a build arrived, or a live event
    /// was added, changed or removed). Cheap when nothing changed: call it when the situation or the history did.
    pub fn poll(
        &mut self,
        district: &Arc<District>,
        history: &Arc<Vec<EventRecord>>,
        text: &Arc<HistoryText>,
        situation: &Situation,
    ) -> bool {
        let same = self.of.as_ref().is_some_and(|(d, h)| Arc::ptr_eq(d, district) && Arc::ptr_eq(h, history));
        if !same {
            self.of = Some((district.clone(), history.clone()));
            self.index = None;
            let (tx, rx) = std::sync::mpsc::channel();
            let (d, h, t, waker) = (district.clone(), history.clone(), text.clone(), self.waker.clone());
            let spawned = std::thread::Builder::new().name("search-index".into()).spawn(move || {
                let started = std::time::Instant::now();
                let index = SearchIndex::build(&d, h, t);
                tracing::info!(
                    "search index: {} records, {} MB, built in {} ms",
                    index.history_len(),
                    index.bytes() >> 20,
                    started.elapsed().as_millis()
                );
                let _ = tx.send(index);
                if let Some(w) = waker {
                    w.wake();
                }
            });
            match spawned {
                Ok(_) => self.building = Some(rx),
                Err(e) => {
                    tracing::warn!("cannot start the search index thread ({e}); building it here");
                    self.index = Some(SearchIndex::build(district, history.clone(), text.clone()));
                }
            }
        }
        let mut arrived = false;
        if let Some(rx) = &self.building {
            match rx.try_recv() {
                Ok(index) => {
                    self.index = Some(index);
                    self.building = None;
                    arrived = true;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.building = None,
            }
        }
        let live_changed = match &mut self.index {
            Some(index) => index.update_live(&situation.events, &situation.workers),
            None => false,
        };
        arrived || live_changed
    }

    /// Wait for a build in progress (tests and benchmarks).
    pub fn wait(&mut self) {
        if let Some(rx) = self.building.take()
            && let Ok(index) = rx.recv()
        {
            self.index = Some(index);
        }
    }

    /// The index, once built.
    pub fn index(&self) -> Option<&SearchIndex> {
        self.index.as_ref()
    }

    /// Run `query` as of `now`.
    pub fn query(
        &self,
        district: &District,
        workers: &[GridWorker],
        query: &str,
        now: Timestamp,
    ) -> Result<Matches, SearchError> {
        let index = self.index.as_ref().ok_or(SearchError::Building)?;
        index.query(district, workers, query, now).map_err(SearchError::Query)
    }
}
