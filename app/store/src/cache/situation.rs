//! The cached situation: the `events`, `workers` and `task_books` tables (one JSON row each) and the seq they
//! reflect, replaced by a snapshot or moved on by a page of changes, always in one transaction.

use super::{Cache, CacheError, get_meta, set_meta};
use pingan_core::scope::Item;
use pingan_core::sync::{Change, Seq, Snapshot};
use pingan_core::{District, Situation};
use rusqlite::params;
use std::collections::BTreeSet;

/// What the cache held at start.
#[derive(Clone, Debug, Default)]
pub struct Cached {
    /// The last change the cached situation reflects (0: nothing cached, or a cache to be refreshed from a
    /// snapshot).
    pub seq: Seq,
    /// The situation as of `seq`.
    pub situation: Situation,
    /// Cached records left out, and why: rows that did not parse (the seq is then 0, so the link takes a fresh
    /// snapshot), and — when the link knows the district — records that do not fit it.
    pub skipped: Vec<String>,
    /// The server the cached situation came from, when it was another one than the link's: that situation was set
    /// aside (the outbox is kept) and `situation` is empty until the first snapshot.
    pub other_server: Option<String>,
    /// The server's district package as last downloaded and kept in the cache, decoded (`None`: none kept, or the
    /// kept one did not read — then `package_error` says why and the link downloads it again).
    pub package: Option<Box<pingan_package::Package>>,
    /// Why the kept package could not be read.
    pub package_error: Option<String>,
    /// The workers' kept track points (the server's thinned `worker_moved` changes) within the link's
    /// [`crate::LinkConfig::track_days`], by seq.
    pub tracks: Vec<Change>,
}

/// What [`Cache::apply_checked`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The seq the cache is at now (skipped changes count as consumed).
    pub seq: Seq,
    /// Changes that did not fit the district or the situation and were skipped, with the reason.
    pub skipped: Vec<(Seq, String)>,
}

impl Cache {
    /// The cached situation and its seq. A row that does not parse (a damaged file) is left out and named in
    /// [`Cached::skipped`], and the seq is then 0, so that the link replaces the situation with a fresh snapshot.
    pub fn load(&self) -> Result<Cached, CacheError> {
        let mut seq = self.seq()?;
        let mut situation = Situation::default();
        let mut skipped = Vec::new();
        let mut stmt = self.conn.prepare("SELECT id, body FROM events ORDER BY id")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, body) = row?;
            match serde_json::from_str(&body) {
                Ok(e) => situation.events.push(e),
                Err(e) => skipped.push(format!("cached event {id} does not parse: {e}")),
            }
        }
        let mut stmt = self.conn.prepare("SELECT id, body FROM workers ORDER BY id")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, body) = row?;
            match serde_json::from_str(&body) {
                Ok(w) => situation.workers.push(w),
                Err(e) => skipped.push(format!("cached worker {id} does not parse: {e}")),
            }
        }
        let mut stmt = self.conn.prepare("SELECT id, body FROM task_books ORDER BY id")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, body) = row?;
            match serde_json::from_str(&body) {
                Ok(b) => situation.task_books.push(b),
                Err(e) => skipped.push(format!("cached task book {id} does not parse: {e}")),
            }
        }
        if !skipped.is_empty() {
            seq = 0;
        }
        Ok(Cached { seq, situation, skipped, ..Cached::default() })
    }

    /// The seq the cached situation reflects.
    pub fn seq(&self) -> Result<Seq, CacheError> {
        Ok(get_meta(&self.conn, "seq")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Replace everything with a snapshot.
    pub fn replace(&mut self, snapshot: &Snapshot) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        // A snapshot starts another history (a first sync, a restored server, a new district): its seqs are not the
        // kept tracks' seqs.
        tx.execute("DELETE FROM tracks", [])?;
        tx.execute("DELETE FROM meta WHERE name = 'tracks_after'", [])?;
        tx.execute("DELETE FROM events", [])?;
        tx.execute("DELETE FROM workers", [])?;
        tx.execute("DELETE FROM task_books", [])?;
        {
            let mut ins = tx.prepare("INSERT INTO events (id, body) VALUES (?1, ?2)")?;
            for e in &snapshot.situation.events {
                ins.execute(params![e.id.0 as i64, serde_json::to_string(e)?])?;
            }
            let mut ins = tx.prepare("INSERT INTO workers (id, body) VALUES (?1, ?2)")?;
            for w in &snapshot.situation.workers {
                ins.execute(params![w.id.0 as i64, serde_json::to_string(w)?])?;
            }
            let mut ins = tx.prepare("INSERT INTO task_books (id, body) VALUES (?1, ?2)")?;
            for b in &snapshot.situation.task_books {
                ins.execute(params![b.id.0 as i64, serde_json::to_string(b)?])?;
            }
        }
        set_seq(&tx, snapshot.seq)?;
        tx.commit()?;
        Ok(())
    }

    /// Apply a page of changes to `situation` (the cached state, in memory) and store the rows they touched and the
    /// new seq, in one transaction. Changes at or below the cached seq are skipped. When `district` is given, each
    /// change is checked first ([`pingan_core::validate::check_change`]): a change that does not fit the district or
    /// the situation (a step on an unknown event, an unknown assignee, a report naming a grid that does not exist, …)
    /// is skipped whole and returned with its reason; the seq moves past it all the same.
    pub fn apply_checked(
        &mut self,
        situation: &mut Situation,
        changes: &[Change],
        district: Option<&District>,
    ) -> Result<Applied, CacheError> {
        let mut seq = self.seq()?;
        let mut skipped = Vec::new();
        let mut touched = Touched::default();
        for c in changes {
            if c.seq <= seq {
                continue;
            }
            seq = c.seq;
            if let Some(d) = district
                && let Err(why) = pingan_core::validate::check_change(&c.body, d, situation)
            {
                tracing::warn!("change {} skipped: {why}", c.seq);
                skipped.push((c.seq, why.to_string()));
                continue;
            }
            use pingan_core::sync::ChangeBody as B;
            // The worker rule may change the statuses of the event's assignee before and after the step.
            let assignee = |s: &Situation| match &c.body {
                B::EventActed { event, .. } => s.event(*event).and_then(|e| e.assignee),
                B::EventShown { event } => s.event(event.id).and_then(|e| e.assignee),
                _ => None,
            };
            let before = assignee(situation);
            // An event withdrawn from view sends whoever was handling it back to patrolling: their rows change too.
            if let B::Withdrawn { items } = &c.body {
                let handling = |w: &pingan_core::GridWorker| {
                    items
                        .iter()
                        .any(|i| matches!(*i, Item::Event(e) if w.status == pingan_core::WorkerStatus::Handling(e)))
                };
                touched.workers.extend(situation.workers.iter().filter(|w| handling(w)).map(|w| w.id));
            }
            if situation.apply_logged(&c.body) {
                let after = assignee(situation);
                touched.note(&c.body, before, after);
            }
        }
        let Touched { events, workers, books } = touched;
        let tx = self.conn.transaction()?;
        {
            let mut up = tx.prepare(
                "INSERT INTO events (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in events {
                if let Some(e) = situation.event(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(e)?])?;
                } else {
                    tx.execute("DELETE FROM events WHERE id = ?1", params![id.0 as i64])?;
                }
            }
            let mut up = tx.prepare(
                "INSERT INTO workers (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in workers {
                if let Some(w) = situation.worker(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(w)?])?;
                } else {
                    tx.execute("DELETE FROM workers WHERE id = ?1", params![id.0 as i64])?;
                }
            }
            let mut up = tx.prepare(
                "INSERT INTO task_books (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in books {
                if let Some(b) = situation.task_book(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(b)?])?;
                } else {
                    tx.execute("DELETE FROM task_books WHERE id = ?1", params![id.0 as i64])?;
                }
            }
        }
        set_seq(&tx, seq)?;
        tx.commit()?;
        Ok(Applied { seq, skipped })
    }

    /// Set the cached situation aside (it belongs to another server): events, workers and the seq go; the outbox and
    /// the refused commands stay.
    pub fn forget_situation(&mut self) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM events", [])?;
        tx.execute("DELETE FROM workers", [])?;
        tx.execute("DELETE FROM task_books", [])?;
        tx.execute("DELETE FROM tracks", [])?;
        tx.execute("DELETE FROM meta WHERE name = 'tracks_after'", [])?;
        set_seq(&tx, 0)?;
        tx.commit()?;
        Ok(())
    }
}

/// Set the seq the cached situation reflects, inside `tx`.
fn set_seq(tx: &rusqlite::Transaction<'_>, seq: Seq) -> Result<(), CacheError> {
    set_meta(tx, "seq", &seq.to_string())
}

/// The rows a page of changes touched, to store once at its end.
#[derive(Default)]
struct Touched {
    events: BTreeSet<pingan_core::EventId>,
    workers: BTreeSet<pingan_core::WorkerId>,
    books: BTreeSet<pingan_core::patrol::TaskBookId>,
}

impl Touched {
    /// Note what `body` touched (applied, and changing something); `before`/`after`: an acted or shown event's
    /// assignee.
    fn note(
        &mut self,
        body: &pingan_core::sync::ChangeBody,
        before: Option<pingan_core::WorkerId>,
        after: Option<pingan_core::WorkerId>,
    ) {
        use pingan_core::sync::ChangeBody as B;
        match body {
            B::EventReported { event } => {
                self.events.insert(event.id);
            }
            B::EventActed { event, .. } => {
                self.events.insert(*event);
                self.workers.extend(before.into_iter().chain(after));
            }
            B::ReportLinked { event, .. } => {
                self.events.insert(*event);
            }
            B::WorkerMoved { worker, .. } => {
                self.workers.insert(*worker);
            }
            B::WorkerJoined { worker } => {
                self.workers.insert(worker.id);
            }
            B::TaskBookIssued { book } => {
                self.books.insert(book.id);
            }
            B::CheckReported { book, event, .. } => {
                self.books.insert(*book);
                self.events.extend(event.as_ref().map(|e| e.id));
            }
            B::Acknowledged { event, .. } => {
                self.events.insert(*event);
            }
            B::ReportSplit { event, new_event, .. } => {
                self.events.insert(*event);
                self.events.insert(new_event.id);
            }
            B::EventShown { event } => {
                self.events.insert(event.id);
                self.workers.extend(before.into_iter().chain(after));
            }
            // The link starts again from a snapshot before a `resync` reaches the cache.
            B::Resync => {}
            // Gone from the reader's view: their rows are deleted below.
            B::Withdrawn { items } => {
                for item in items {
                    match *item {
                        Item::Event(id) => self.events.insert(id),
                        Item::Worker(id) => self.workers.insert(id),
                        Item::Book(id) => self.books.insert(id),
                    };
                }
            }
        }
    }
}
