//! The local cache: one SQLite file per server, holding the last known situation (events and workers as JSON rows),
//! the seq it reflects, the outbox of commands not yet accepted by the server, and the commands it refused.
//!
//! The situation rows and the seq are written in one transaction per page of changes, so after a crash the cache is
//! always a consistent picture of some point of the server's log, and sync resumes from exactly there.

use pingan_core::sync::{Change, ClientCommand, Seq, Snapshot};
use pingan_core::{EventId, Situation, WorkerId};
use rusqlite::{Connection, OptionalExtension as _, params};
use std::collections::BTreeSet;
use std::path::Path;

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// SQLite said no.
    #[error("cache database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A row did not parse (a damaged or foreign file).
    #[error("cache row is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The operating system refused (no thread, no directory).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A command the server refused, kept for the operator to see.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    /// The command.
    pub command: ClientCommand,
    /// The server's reason.
    pub reason: String,
}

/// What the cache held at start.
#[derive(Clone, Debug, Default)]
pub struct Cached {
    /// The last change the cached situation reflects (0: nothing cached).
    pub seq: Seq,
    /// The situation as of `seq`.
    pub situation: Situation,
}

/// One connection to the cache file.
pub struct Cache {
    conn: Connection,
}

impl Cache {
    /// Open (creating if needed) the cache at `path`.
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS workers (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
                                                body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL,
                                                 reason TEXT NOT NULL);",
        )?;
        Ok(Cache { conn })
    }

    /// The cached situation and its seq.
    pub fn load(&self) -> Result<Cached, CacheError> {
        let seq = self.seq()?;
        let mut situation = Situation::default();
        let mut stmt = self.conn.prepare("SELECT body FROM events ORDER BY id")?;
        for body in stmt.query_map([], |r| r.get::<_, String>(0))? {
            situation.events.push(serde_json::from_str(&body?)?);
        }
        let mut stmt = self.conn.prepare("SELECT body FROM workers ORDER BY id")?;
        for body in stmt.query_map([], |r| r.get::<_, String>(0))? {
            situation.workers.push(serde_json::from_str(&body?)?);
        }
        Ok(Cached { seq, situation })
    }

    /// The seq the cached situation reflects.
    pub fn seq(&self) -> Result<Seq, CacheError> {
        let v: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE name = 'seq'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Replace everything with a snapshot.
    pub fn replace(&mut self, snapshot: &Snapshot) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM events", [])?;
        tx.execute("DELETE FROM workers", [])?;
        {
            let mut ins = tx.prepare("INSERT INTO events (id, body) VALUES (?1, ?2)")?;
            for e in &snapshot.situation.events {
                ins.execute(params![e.id.0 as i64, serde_json::to_string(e)?])?;
            }
            let mut ins = tx.prepare("INSERT INTO workers (id, body) VALUES (?1, ?2)")?;
            for w in &snapshot.situation.workers {
                ins.execute(params![w.id.0 as i64, serde_json::to_string(w)?])?;
            }
        }
        set_seq(&tx, snapshot.seq)?;
        tx.commit()?;
        Ok(())
    }

    /// Apply a page of changes to `situation` (the cached state, in memory) and store the rows they touched and the
    /// new seq, in one transaction. Changes at or below the cached seq are skipped.
    pub fn apply(&mut self, situation: &mut Situation, changes: &[Change]) -> Result<Seq, CacheError> {
        let mut seq = self.seq()?;
        let mut events = BTreeSet::new();
        let mut workers = BTreeSet::new();
        for c in changes {
            if c.seq <= seq {
                continue;
            }
            seq = c.seq;
            if situation.apply_logged(&c.body) {
                use pingan_core::sync::ChangeBody as B;
                match &c.body {
                    B::EventReported { event } => {
                        events.insert(event.id);
                    }
                    B::EventActed { event, .. } => {
                        events.insert(*event);
                    }
                    B::WorkerMoved { worker, .. } => {
                        workers.insert(*worker);
                    }
                    B::WorkerJoined { worker } => {
                        workers.insert(worker.id);
                    }
                }
            }
        }
        let tx = self.conn.transaction()?;
        {
            let mut up = tx.prepare(
                "INSERT INTO events (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in events {
                if let Some(e) = situation.event(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(e)?])?;
                }
            }
            let mut up = tx.prepare(
                "INSERT INTO workers (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in workers {
                if let Some(w) = situation.worker(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(w)?])?;
                }
            }
        }
        set_seq(&tx, seq)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Replace one event's row (after fetching its authoritative record).
    pub fn put_event(&mut self, situation: &Situation, id: EventId) -> Result<(), CacheError> {
        if let Some(e) = situation.event(id) {
            self.conn.execute(
                "INSERT INTO events (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![id.0 as i64, serde_json::to_string(e)?],
            )?;
        }
        Ok(())
    }

    /// Append a command to the outbox (durable when this returns: the cache runs with `synchronous = FULL`).
    pub fn push_outbox(&self, cmd: &ClientCommand) -> Result<(), CacheError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO outbox (key, body) VALUES (?1, ?2)",
            params![cmd.key, serde_json::to_string(cmd)?],
        )?;
        Ok(())
    }

    /// The oldest `limit` outbox entries, in the order they were made.
    pub fn outbox(&self, limit: usize) -> Result<Vec<ClientCommand>, CacheError> {
        let mut stmt = self.conn.prepare("SELECT body FROM outbox ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?)?);
        }
        Ok(out)
    }

    /// How many commands wait in the outbox.
    pub fn outbox_len(&self) -> Result<usize, CacheError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// Remove commands the server answered; the refused ones go to the refused list, in one transaction.
    pub fn settle(&mut self, done: &[String], refused: &[Refused]) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx.prepare("DELETE FROM outbox WHERE key = ?1")?;
            for k in done {
                del.execute([k])?;
            }
            let mut ins = tx.prepare("INSERT INTO refused (body, reason) VALUES (?1, ?2)")?;
            for r in refused {
                del.execute([&r.command.key])?;
                ins.execute(params![serde_json::to_string(&r.command)?, r.reason])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every refused command, oldest first.
    pub fn refused(&self) -> Result<Vec<Refused>, CacheError> {
        let mut stmt = self.conn.prepare("SELECT body, reason FROM refused ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for r in rows {
            let (body, reason) = r?;
            out.push(Refused { command: serde_json::from_str(&body)?, reason });
        }
        Ok(out)
    }

    /// A worker's cached record (tests).
    pub fn worker_row(&self, id: WorkerId) -> Result<Option<String>, CacheError> {
        Ok(self.conn.query_row("SELECT body FROM workers WHERE id = ?1", [id.0 as i64], |r| r.get(0)).optional()?)
    }
}

fn set_seq(tx: &rusqlite::Transaction<'_>, seq: Seq) -> Result<(), CacheError> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES ('seq', ?1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [seq.to_string()],
    )?;
    Ok(())
}
