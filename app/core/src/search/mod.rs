//! One-key search (一键搜): Chinese keywords of two characters or more (家暴, 欠薪, 租房纠纷), case numbers,
//! unified address codes, worker names, place and unit names — over the whole history and the live events at once.
//!
//! # How it finds things
//! - **Chinese words: a bigram index.** Every pair of adjacent Chinese characters of a record's title is a key
//!   with the ascending list of records holding it. A query word's bigrams are intersected and, when the word is
//!   longer than one bigram, each candidate's title is checked to hold the word itself, so 租房纠纷 never matches
//!   "租房…房纠…纠纷" scattered. Why not SQLite FTS5: its `trigram` tokenizer cannot match a two-character word
//!   (家暴), and its `unicode61` tokenizer takes a run of Chinese characters as one token; why not tantivy: a
//!   segment store with a writer thread and a large dependency tree for one short title per record, where a few
//!   hundred lines answer in milliseconds (see the README's figure) and follow the live events without commits.
//! - **Units and categories by name.** A word that is part of a town, community or grid name (仓前, 第3网格) or of a
//!   category's name (纠纷, 火警) takes every record of those units or that category: per-unit and per-category
//!   lists, one entry per record.
//! - **Case numbers** by prefix (`YH-20261123-00042`, `20261123-00042` or `20261123`): the records sorted by
//!   number, letters before the first digit and separators ignored; a binary search.
//! - **Address codes** (six digits or more): every unit whose code begins so (the top-most of them, so a town's
//!   communities are not counted twice), or the building a room code lies in.
//! - **Worker names** match the roster (the result lists them) and the live events they handle.
//!
//! Words separated by spaces must all match (余杭 家暴). The live events (thousands, changing every second) are kept
//! apart from the history (millions, fixed) and checked one by one — the [`SearchIndex::update_live`] call that
//! follows the situation touches only the events that changed.
//!
//! Results are ranked (words found in the text before words found only in a unit's or category's name, then live
//! before history, then newest first) and counted by month, category, town and grid for the charts and the heat
//! map, over every match, not only the listed ones.

mod sets;
mod text;

pub use sets::{Csr, intersect, union};
pub use text::{EntryError, HistoryText, MAX_NUMBER, MAX_TITLE, TextError, check_entry};

use crate::assess::EventRecord;
use crate::{District, Event, EventCategory, EventId, GridWorker, Timestamp, UnitRef, WorkerId};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::Arc;

/// The fewest characters a query word needs (a single Chinese character matches too much to be useful).
pub const MIN_CHARS: usize = 2;
/// The most words a query may have (each is a pass over its lists).
pub const MAX_WORDS: usize = 8;
/// How many ranked hits a query lists (the charts, counts and exports cover every match).
pub const TOP: usize = 200;
/// Months the by-month chart spans, ending with the month of the query's `now`.
pub const MONTHS: usize = 24;

/// A document the search can find.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Doc {
    /// A history record, by index into the history.
    History(u32),
    /// A live event.
    Live(EventId),
}

/// A ranked hit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Which document.
    pub doc: Doc,
    /// Its record (time, category, severity, units).
    pub record: EventRecord,
    /// How many of the query's words it holds in its own text (not only through a unit's or category's name).
    pub in_text: u8,
}

/// Why a query was not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to look for.
    #[error("empty query")]
    Empty,
    /// A word too short to look up (one Chinese character or one letter).
    #[error("\"{0}\" is too short: at least two characters")]
    TooShort(String),
    /// More than [`MAX_WORDS`] different words.
    #[error("too many words: at most {MAX_WORDS}")]
    TooMany,
}

/// What a query found.
#[derive(Clone, Debug, PartialEq)]
pub struct Matches {
    /// The words looked for (lower-cased).
    pub words: Vec<String>,
    /// Every matching history record, ascending.
    pub history: Vec<u32>,
    /// Every matching live event, in the situation's order.
    pub live: Vec<EventId>,
    /// The best [`TOP`] hits, best first.
    pub top: Vec<Hit>,
    /// Matches per month for the [`MONTHS`] months ending with the query's month: (first day, count).
    pub by_month: Vec<(NaiveDate, u32)>,
    /// Matches per category, most first (categories with none left out).
    pub by_category: Vec<(EventCategory, u32)>,
    /// Matches per town, by town index.
    pub by_town: Vec<u32>,
    /// Matches per grid, by grid index (the heat map).
    pub by_grid: Vec<u32>,
    /// Units whose name holds a query word (to fly to), towns first.
    pub units: Vec<UnitRef>,
    /// Workers whose name holds a query word.
    pub workers: Vec<WorkerId>,
}

impl Matches {
    /// How many events matched in all.
    pub fn total(&self) -> usize {
        self.history.len() + self.live.len()
    }
}

/// A live event as the search sees it.
#[derive(Clone, Debug)]
struct LiveDoc {
    id: EventId,
    record: EventRecord,
    /// Lower-cased title, place and the handling worker's name, separated by a control character (the number is
    /// matched by its key, from its start, as the history's are).
    text: String,
    /// The number's search key (see [`number_key`]).
    number: String,
    /// The event's own address code (room level where known).
    address: String,
    /// What the text was made from, to see a change without rebuilding it.
    sig: u64,
}

/// The search index over a district's history (built once, off the UI thread: about a second for a million
/// records) and its live events (kept current by [`SearchIndex::update_live`]).
pub struct SearchIndex {
    history: Arc<Vec<EventRecord>>,
    text: Arc<HistoryText>,
    /// Chinese bigram → ascending history records whose title holds it.
    grams: HashMap<u64, Vec<u32>>,
    /// History records in the order of their number keys.
    numbers: Vec<u32>,
    by_town: Csr,
    by_community: Csr,
    by_grid: Csr,
    by_building: Csr,
    by_category: Csr,
    /// Every unit's significant address digits and the unit, sorted by the digits.
    codes: Vec<(String, UnitRef)>,
    live: Vec<LiveDoc>,
    live_at: HashMap<EventId, usize>,
}

/// Whether `c` is a Chinese character (CJK unified ideographs and their extension A, compatibility ideographs).
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

fn gram(a: char, b: char) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Every bigram of adjacent Chinese characters in `s`, in order (repeats kept).
fn grams(s: &str) -> impl Iterator<Item = u64> + '_ {
    let mut prev: Option<char> = None;
    s.chars().filter_map(move |c| {
        let g = match (prev, is_cjk(c)) {
            (Some(p), true) => Some(gram(p, c)),
            _ => None,
        };
        prev = is_cjk(c).then_some(c);
        g
    })
}

/// A case number's search key: letters and digits, lower-cased, from the first digit on (so `YH-20261123-00042`,
/// `20261123-00042` and `2026112300042` are the same key).
fn number_key(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).skip_while(|c| !c.is_ascii_digit())
}

/// Significant digits of an address code at its level (a town's code without its trailing zeros of lower levels).
fn significant(code: &crate::AddressCode) -> String {
    let widths = [6usize, 3, 3, 3, 4, 2, 3, 3];
    let depth = match code.level() {
        crate::AddressLevel::County => 1,
        crate::AddressLevel::Town => 2,
        crate::AddressLevel::Community => 3,
        crate::AddressLevel::Grid => 4,
        crate::AddressLevel::Building => 5,
        crate::AddressLevel::Room => 8,
    };
    let full = code.to_string();
    full[..widths[..depth].iter().sum::<usize>()].to_string()
}

fn sig_of(e: &Event, worker: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&e.number, &e.title, &e.place, worker, e.address).hash(&mut h);
    let r = EventRecord::from(e);
    (r.at, r.category, r.severity as u8, r.town, r.community, r.grid, r.building).hash(&mut h);
    h.finish()
}

impl SearchIndex {
    /// Index `history` (with its numbers and titles in `text`; a shorter or empty `text` leaves the rest without
    /// text) in `district`.
    pub fn build(district: &District, history: Arc<Vec<EventRecord>>, text: Arc<HistoryText>) -> Self {
        let n = history.len().min(u32::MAX as usize);
        let recs = &history[..n];
        let mut grams_of: HashMap<u64, Vec<u32>> = HashMap::new();
        for i in 0..n.min(text.len()) {
            for g in grams(text.title(i)) {
                let list = grams_of.entry(g).or_default();
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
        for list in grams_of.values_mut() {
            list.shrink_to_fit();
        }
        let mut numbers: Vec<u32> =
            (0..n.min(text.len()) as u32).filter(|i| !text.number(*i as usize).is_empty()).collect();
        numbers.sort_by(|a, b| number_key(text.number(*a as usize)).cmp(number_key(text.number(*b as usize))));
        let cat = |c: EventCategory| EventCategory::ALL.iter().position(|x| *x == c);
        let mut codes: Vec<(String, UnitRef)> = Vec::new();
        codes.extend(district.towns.iter().map(|u| (significant(&u.code), UnitRef::Town(u.id))));
        codes.extend(district.communities.iter().map(|u| (significant(&u.code), UnitRef::Community(u.id))));
        codes.extend(district.grids.iter().map(|u| (significant(&u.code), UnitRef::Grid(u.id))));
        codes.extend(district.buildings.iter().map(|u| (significant(&u.code), UnitRef::Building(u.id))));
        codes.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            by_town: Csr::build(district.towns.len(), recs.iter().map(|r| Some(r.town.index()))),
            by_community: Csr::build(district.communities.len(), recs.iter().map(|r| Some(r.community.index()))),
            by_grid: Csr::build(district.grids.len(), recs.iter().map(|r| Some(r.grid.index()))),
            by_building: Csr::build(district.buildings.len(), recs.iter().map(|r| r.building.map(|b| b.index()))),
            by_category: Csr::build(EventCategory::ALL.len(), recs.iter().map(|r| cat(r.category))),
            grams: grams_of,
            numbers,
            codes,
            history,
            text,
            live: Vec::new(),
            live_at: HashMap::new(),
        }
    }

    /// How many history records it holds.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// How many live events it holds.
    pub fn live_len(&self) -> usize {
        self.live.len()
    }

    /// The history's numbers and titles.
    pub fn text(&self) -> &HistoryText {
        &self.text
    }

    /// The history records.
    pub fn history(&self) -> &[EventRecord] {
        &self.history
    }

    /// Bytes the index itself holds (not the history and text it shares).
    pub fn bytes(&self) -> usize {
        let grams: usize = self.grams.values().map(|l| l.capacity() * 4 + 40).sum();
        let live: usize = self.live.iter().map(|d| d.text.capacity() + d.number.capacity() + 120).sum();
        grams
            + self.numbers.capacity() * 4
            + [&self.by_town, &self.by_community, &self.by_grid, &self.by_building, &self.by_category]
                .iter()
                .map(|c| c.bytes())
                .sum::<usize>()
            + self.codes.iter().map(|(s, _)| s.capacity() + 40).sum::<usize>()
            + live
    }

    /// Follow the live events: index new ones, re-index those whose number, title, place, address or handling
    /// worker changed, forget those gone. Returns whether anything changed. Cheap when nothing did (a hash of four
    /// short strings per event).
    pub fn update_live(&mut self, events: &[Event], workers: &[GridWorker]) -> bool {
        let names: HashMap<WorkerId, &str> = workers.iter().map(|w| (w.id, w.name.as_str())).collect();
        let name = |w: Option<WorkerId>| -> &str { w.and_then(|w| names.get(&w).copied()).unwrap_or("") };
        let mut changed = false;
        let mut seen = vec![false; self.live.len()];
        for e in events {
            let worker = name(e.assignee);
            let sig = sig_of(e, worker);
            if let Some(&i) = self.live_at.get(&e.id) {
                seen[i] = true;
                if self.live[i].sig == sig {
                    continue;
                }
            }
            changed = true;
            let doc = LiveDoc {
                id: e.id,
                record: EventRecord::from(e),
                text: format!("{}\u{1f}{}\u{1f}{}", e.title, e.place, worker).to_lowercase(),
                number: number_key(&e.number).collect(),
                address: e.address.to_string(),
                sig,
            };
            match self.live_at.get(&e.id) {
                Some(&i) => self.live[i] = doc,
                None => {
                    self.live_at.insert(e.id, self.live.len());
                    self.live.push(doc);
                    seen.push(true);
                }
            }
        }
        if seen.iter().any(|s| !s) {
            changed = true;
            let mut k = 0;
            self.live.retain(|_| {
                k += 1;
                seen[k - 1]
            });
            self.live_at = self.live.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
        }
        changed
    }

    /// Run `query` over the history and the live events, as of `now` (for the by-month chart), with the names of
    /// `district` and `workers`.
    pub fn query(
        &self,
        district: &District,
        workers: &[GridWorker],
        query: &str,
        now: Timestamp,
    ) -> Result<Matches, QueryError> {
        let mut words: Vec<String> = Vec::new();
        for w in query.split_whitespace().map(|w| w.to_lowercase()) {
            if !words.contains(&w) {
                words.push(w);
            }
        }
        if words.is_empty() {
            return Err(QueryError::Empty);
        }
        if words.len() > MAX_WORDS {
            return Err(QueryError::TooMany);
        }
        let universe = self.history.len();
        let mut history: Option<Vec<u32>> = None;
        let mut text_sets: Vec<Vec<u32>> = Vec::new();
        let mut live_in_text: Vec<Vec<bool>> = Vec::new();
        let mut live_ok = vec![true; self.live.len()];
        let mut units = Vec::new();
        let mut found_workers = Vec::new();
        for w in &words {
            let term = Term::new(w)?;
            let named = term.units(district, &self.codes);
            let cats = term.categories();
            // History: the word in the text, or the record in a unit or category of that name.
            let in_text = self.text_matches(&term);
            let mut lists: Vec<&[u32]> = vec![&in_text];
            for u in &named.docs_of {
                lists.push(match *u {
                    UnitRef::Town(t) => self.by_town.get(t.index()),
                    UnitRef::Community(c) => self.by_community.get(c.index()),
                    UnitRef::Grid(g) => self.by_grid.get(g.index()),
                    UnitRef::Building(b) => self.by_building.get(b.index()),
                    UnitRef::District => &[],
                });
            }
            for c in &cats {
                if let Some(i) = EventCategory::ALL.iter().position(|x| x == c) {
                    lists.push(self.by_category.get(i));
                }
            }
            let all = union(&lists, universe);
            history = Some(match history {
                None => all,
                Some(h) => intersect(&h, &all),
            });
            // Live: the same rule, one event at a time.
            let mut flags = vec![false; self.live.len()];
            for (i, d) in self.live.iter().enumerate() {
                if !live_ok[i] {
                    continue;
                }
                let text = term.in_live_text(d);
                let unit = named.holds(&d.record) || cats.contains(&d.record.category);
                flags[i] = text;
                live_ok[i] = text || unit;
            }
            text_sets.push(in_text);
            live_in_text.push(flags);
            for u in named.by_name {
                if !units.contains(&u) {
                    units.push(u);
                }
            }
            if term.cjk {
                for x in workers.iter().filter(|x| x.name.contains(&term.word)) {
                    if !found_workers.contains(&x.id) {
                        found_workers.push(x.id);
                    }
                }
            }
        }
        let history = history.unwrap_or_default();
        let live: Vec<usize> = (0..self.live.len()).filter(|i| live_ok[*i]).collect();
        Ok(self.tally(district, words, history, live, &text_sets, &live_in_text, units, found_workers, now))
    }

    /// History records whose own text (title or number) holds the word.
    fn text_matches(&self, term: &Term) -> Vec<u32> {
        if term.cjk {
            let mut lists: Vec<&[u32]> =
                term.grams.iter().map(|g| self.grams.get(g).map_or(&[][..], |l| l.as_slice())).collect();
            lists.sort_by_key(|l| l.len());
            let Some((first, rest)) = lists.split_first() else { return Vec::new() };
            let mut out = first.to_vec();
            for l in rest {
                out = intersect(&out, l);
            }
            if !term.one_gram {
                out.retain(|i| {
                    let t = self.text.title(*i as usize);
                    t.contains(&term.word)
                        || (t.bytes().any(|b| b.is_ascii_uppercase()) && t.to_lowercase().contains(&term.word))
                });
            }
            out
        } else {
            if term.key.is_empty() {
                return Vec::new();
            }
            let key = |i: &u32| number_key(self.text.number(*i as usize));
            let from = self.numbers.partition_point(|i| key(i).lt(term.key.chars()));
            let mut out: Vec<u32> = self.numbers[from..]
                .iter()
                .take_while(|i| {
                    let mut k = key(i);
                    term.key.chars().all(|c| k.next() == Some(c))
                })
                .copied()
                .collect();
            out.sort_unstable();
            out
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tally(
        &self,
        district: &District,
        words: Vec<String>,
        history: Vec<u32>,
        live: Vec<usize>,
        text_sets: &[Vec<u32>],
        live_in_text: &[Vec<bool>],
        units: Vec<UnitRef>,
        workers: Vec<WorkerId>,
        now: Timestamp,
    ) -> Matches {
        let (starts, bounds) = crate::report::month_bounds(now, MONTHS);
        let mut by_month = vec![0u32; MONTHS];
        let mut by_category = vec![0u32; EventCategory::ALL.len()];
        let mut by_town = vec![0u32; district.towns.len()];
        let mut by_grid = vec![0u32; district.grids.len()];
        let mut count = |r: &EventRecord| {
            let m = bounds.partition_point(|b| *b <= r.at);
            if (1..=MONTHS).contains(&m) {
                by_month[m - 1] += 1;
            }
            if let Some(i) = EventCategory::ALL.iter().position(|c| *c == r.category) {
                by_category[i] += 1;
            }
            if let Some(t) = by_town.get_mut(r.town.index()) {
                *t += 1;
            }
            if let Some(g) = by_grid.get_mut(r.grid.index()) {
                *g += 1;
            }
        };
        let mut hits: Vec<Hit> = Vec::with_capacity(history.len() + live.len());
        // Cursors into each word's text list: the history is ascending, so one pass over each.
        let mut cursors = vec![0usize; text_sets.len()];
        for &i in &history {
            let Some(r) = self.history.get(i as usize) else { continue };
            count(r);
            let mut in_text = 0u8;
            for (set, c) in text_sets.iter().zip(cursors.iter_mut()) {
                *c += set[*c..].partition_point(|x| *x < i);
                if set.get(*c) == Some(&i) {
                    in_text = in_text.saturating_add(1);
                }
            }
            hits.push(Hit { doc: Doc::History(i), record: *r, in_text });
        }
        for &i in &live {
            let d = &self.live[i];
            count(&d.record);
            let in_text = live_in_text.iter().filter(|f| f[i]).count().min(u8::MAX as usize) as u8;
            hits.push(Hit { doc: Doc::Live(d.id), record: d.record, in_text });
        }
        let rank =
            |h: &Hit| (std::cmp::Reverse(h.in_text), !matches!(h.doc, Doc::Live(_)), std::cmp::Reverse(h.record.at));
        if hits.len() > TOP {
            hits.select_nth_unstable_by_key(TOP, rank);
            hits.truncate(TOP);
        }
        hits.sort_by_key(rank);
        let mut cats: Vec<(EventCategory, u32)> =
            EventCategory::ALL.iter().copied().zip(by_category).filter(|(_, n)| *n > 0).collect();
        cats.sort_by_key(|c| std::cmp::Reverse(c.1));
        Matches {
            words,
            live: live.iter().map(|i| self.live[*i].id).collect(),
            history,
            top: hits,
            by_month: starts.into_iter().zip(by_month).collect(),
            by_category: cats,
            by_town,
            by_grid,
            units,
            workers,
        }
    }
}

/// One query word, prepared.
struct Term {
    /// Lower-cased.
    word: String,
    /// Whether it holds Chinese characters (else: a number, a code or a Latin word).
    cjk: bool,
    /// Its bigrams (Chinese words).
    grams: Vec<u64>,
    /// Whether the word is exactly one bigram (its list is the answer, no check of the text needed).
    one_gram: bool,
    /// Its number key (other words).
    key: String,
}

/// Units a word names (by name or by address code).
struct Named {
    /// Whose records the word takes: the top-most units matched.
    docs_of: Vec<UnitRef>,
    /// Units whose name holds the word (listed to fly to).
    by_name: Vec<UnitRef>,
}

impl Named {
    fn holds(&self, r: &EventRecord) -> bool {
        self.docs_of.iter().any(|u| match *u {
            UnitRef::Town(t) => r.town == t,
            UnitRef::Community(c) => r.community == c,
            UnitRef::Grid(g) => r.grid == g,
            UnitRef::Building(b) => r.building == Some(b),
            UnitRef::District => false,
        })
    }
}

impl Term {
    fn new(word: &str) -> Result<Self, QueryError> {
        let cjk = word.chars().any(is_cjk);
        let grams: Vec<u64> = grams(word).collect();
        let key: String = number_key(word).collect();
        let alnum = word.chars().filter(|c| c.is_alphanumeric()).count();
        if (cjk && grams.is_empty()) || alnum < MIN_CHARS {
            return Err(QueryError::TooShort(word.to_string()));
        }
        let one_gram = grams.len() == 1 && word.chars().count() == 2;
        Ok(Self { word: word.to_string(), cjk, grams, one_gram, key })
    }

    fn categories(&self) -> Vec<EventCategory> {
        EventCategory::ALL
            .iter()
            .copied()
            .filter(|c| {
                if self.cjk {
                    c.zh().contains(&self.word)
                } else {
                    self.word.len() >= 3 && c.en().to_lowercase().contains(&self.word)
                }
            })
            .collect()
    }

    fn units(&self, district: &District, codes: &[(String, UnitRef)]) -> Named {
        let mut by_name = Vec::new();
        if self.cjk {
            by_name.extend(district.towns.iter().filter(|u| u.name.contains(&self.word)).map(|u| UnitRef::Town(u.id)));
            by_name.extend(
                district.communities.iter().filter(|u| u.name.contains(&self.word)).map(|u| UnitRef::Community(u.id)),
            );
            by_name.extend(district.grids.iter().filter(|u| u.name.contains(&self.word)).map(|u| UnitRef::Grid(u.id)));
            let docs_of = top_most_by_name(district, &by_name);
            return Named { docs_of, by_name };
        }
        let digits: String = self.word.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() < 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Named { docs_of: Vec::new(), by_name };
        }
        let from = codes.partition_point(|(s, _)| s.as_str() < digits.as_str());
        let within: Vec<(&str, UnitRef)> =
            codes[from..].iter().take_while(|(s, _)| s.starts_with(&digits)).map(|(s, u)| (s.as_str(), *u)).collect();
        let docs_of = if within.is_empty() {
            // A full 27-digit code: the unit it names — a room's, the building it lies in. A code that is no unit's
            // finds nothing (not its parent's records).
            match crate::AddressCode::parse(&digits) {
                Ok(code) => {
                    let sig = match code.level() {
                        crate::AddressLevel::Room => digits[..BUILDING_DIGITS].to_string(),
                        _ => significant(&code),
                    };
                    let at = codes.partition_point(|(s, _)| s.as_str() < sig.as_str());
                    codes.get(at).filter(|(s, _)| *s == sig).map(|(_, u)| *u).into_iter().collect()
                }
                Err(_) => Vec::new(),
            }
        } else {
            top_most(&within)
        };
        Named { docs_of, by_name }
    }

    fn in_live_text(&self, d: &LiveDoc) -> bool {
        if self.cjk {
            return d.text.contains(&self.word);
        }
        let digits: String = self.word.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        (!self.key.is_empty() && d.number.starts_with(&self.key))
            || (digits.len() >= 6 && d.address.starts_with(&digits))
            || d.text.contains(&self.word)
    }
}

/// How many digits of an address code name a building (county 6, town 3, community 3, grid 3, building 4).
const BUILDING_DIGITS: usize = 19;

/// The units of `within` — those whose code begins with the query's digits, in the order of their codes — not
/// inside another of them: a unit's code begins with its parent's, so one pass keeping the units that do not begin
/// with the last kept one's code is enough.
fn top_most(within: &[(&str, UnitRef)]) -> Vec<UnitRef> {
    let mut out = Vec::new();
    let mut last: Option<&str> = None;
    for (code, u) in within {
        if last.is_some_and(|l| code.starts_with(l)) {
            continue;
        }
        last = Some(code);
        out.push(*u);
    }
    out
}

/// The units of `units` (named by a word, a few at most) not inside another of them.
fn top_most_by_name(district: &District, units: &[UnitRef]) -> Vec<UnitRef> {
    let set: std::collections::HashSet<UnitRef> = units.iter().copied().collect();
    let has = |u: UnitRef| set.contains(&u);
    units
        .iter()
        .copied()
        .filter(|u| match *u {
            UnitRef::Community(c) => !has(UnitRef::Town(district.community(c).town)),
            UnitRef::Grid(g) => {
                let g = district.grid(g);
                !has(UnitRef::Town(g.town)) && !has(UnitRef::Community(g.community))
            }
            UnitRef::Building(b) => {
                let b = district.building(b);
                let g = district.grid(b.grid);
                !has(UnitRef::Grid(b.grid)) && !has(UnitRef::Community(g.community)) && !has(UnitRef::Town(g.town))
            }
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests;
