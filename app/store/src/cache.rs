//! The local cache: one SQLite file per server, holding the last known situation (events and workers as JSON rows),
//! the seq it reflects, the outbox of commands not yet accepted by the server, and the commands it refused.
//!
//! The situation rows and the seq are written in one transaction per page of changes, so after a crash the cache is
//! always a consistent picture of some point of the server's log, and sync resumes from exactly there.
//!
//! The cache belongs to one server and the outbox to the people who queued its commands: the `meta` table records
//! the server (and the user) the situation was synced from, and every outbox row records the server it is for and
//! the identity it was made under ([`Identity`]: the SHA-256 of the token, and the user name once the server has
//! said whose token it is). A command is sent only to its own server and only as the same token or the same user
//! ([`Cache::outbox_for`]); the others are kept, never deleted silently, and reported ([`Cache::held`]).

use pingan_core::sync::{Change, ChangeBody, ClientCommand, Seq, Snapshot};
use pingan_core::{District, EventId, Situation, Timestamp, WorkerId};
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

/// Who a queued command belongs to: the server it is for and the identity it was made under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The server's base URL, as [`normalize_server`] writes it.
    pub server: String,
    /// SHA-256 of the bearer token, lower-case hex (empty: not known, for rows queued before identities were kept).
    pub token_hash: String,
    /// The user the server says the token belongs to (`GET /v1/info`), once known.
    pub user: Option<String>,
}

impl Identity {
    /// The identity of `token` on `server`; the user is not known yet.
    pub fn new(server: &str, token: &str) -> Self {
        Self { server: normalize_server(server), token_hash: token_hash(token), user: None }
    }

    /// Whether a command queued under `owner` may be sent as `self`: the same server, and the same token or the
    /// same user (both known).
    pub fn may_send_for(&self, owner: &Identity) -> bool {
        self.server == owner.server
            && (self.token_hash == owner.token_hash || (self.user.is_some() && self.user == owner.user))
    }

    /// The first 8 hex digits of the token's hash: enough to tell tokens apart in a message, useless to an attacker.
    pub fn token_prefix(&self) -> &str {
        self.token_hash.get(..8).unwrap_or(&self.token_hash)
    }
}

/// A server URL as the cache compares it: surrounding blanks and trailing slashes removed, scheme and host in lower
/// case (`HTTP://Host:7878/` and `http://host:7878` are one server).
pub fn normalize_server(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!("{}://{}{path}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
        }
        None => url.to_string(),
    }
}

/// SHA-256 of a bearer token, lower-case hex (what the outbox stores instead of the token).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}

/// Outbox commands of another server or another identity: kept, not sent as the current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The server they are for (empty: not recorded, for rows queued before identities were kept).
    pub server: String,
    /// The user they were queued by, when known.
    pub user: Option<String>,
    /// The first 8 hex digits of the hash of the token they were queued with (empty: not recorded).
    pub token_prefix: String,
    /// How many.
    pub count: usize,
}

impl Held {
    /// Who, for a message: the user, else the token's hash prefix, else `?`.
    pub fn who(&self) -> String {
        match (&self.user, self.token_prefix.is_empty()) {
            (Some(u), _) => u.clone(),
            (None, false) => format!("token {}…", self.token_prefix),
            (None, true) => "?".into(),
        }
    }
}

/// What [`Cache::apply_checked`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The seq the cache is at now (skipped changes count as consumed).
    pub seq: Seq,
    /// Changes that did not fit the district or the situation and were skipped, with the reason.
    pub skipped: Vec<(Seq, String)>,
}

/// Outbox rows that may be sent as `?1` (server), `?2` (token hash), `?3` (user or NULL). Never NULL itself, so
/// `NOT (…)` selects exactly the others.
const SENDABLE: &str = "(server = ?1 AND (token_hash = ?2 OR COALESCE(user = ?3, 0)))";

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
             CREATE TABLE IF NOT EXISTS task_books (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
                                                body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL,
                                                 reason TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS package (id INTEGER PRIMARY KEY CHECK (id = 1), etag TEXT NOT NULL,
                                                 body BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS tracks (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, body TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS tracks_at ON tracks (at_ms);",
        )?;
        // Who each queued command belongs to (added to older files in place; their rows keep empty values and are
        // held, since nobody can say whose they were).
        let columns: Vec<String> =
            conn.prepare("PRAGMA table_info(outbox)")?.query_map([], |r| r.get(1))?.collect::<Result<_, _>>()?;
        for (name, ty) in
            [("server", "TEXT NOT NULL DEFAULT ''"), ("token_hash", "TEXT NOT NULL DEFAULT ''"), ("user", "TEXT")]
        {
            if !columns.iter().any(|c| c == name) {
                conn.execute_batch(&format!("ALTER TABLE outbox ADD COLUMN {name} {ty}"))?;
            }
        }
        Ok(Cache { conn })
    }

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

    /// The server, token hash and user the cached situation was last synced under (`None`: not recorded).
    pub fn origin(&self) -> Result<Option<Identity>, CacheError> {
        let get = |name: &str| -> Result<Option<String>, CacheError> {
            Ok(self.conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0)).optional()?)
        };
        let Some(server) = get("server")? else { return Ok(None) };
        Ok(Some(Identity { server, token_hash: get("token_hash")?.unwrap_or_default(), user: get("user")? }))
    }

    /// Record that the cached situation is synced from `me.server` under `me` (the user too when known).
    pub fn set_origin(&mut self, me: &Identity) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, "server", &me.server)?;
        set_meta(&tx, "token_hash", &me.token_hash)?;
        match &me.user {
            Some(u) => set_meta(&tx, "user", u)?,
            None => {
                tx.execute("DELETE FROM meta WHERE name = 'user'", [])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The server's last `/v1/info` answer for the token whose hash is `token_hash` (what that user may do), if one
    /// is kept: a start with the server down still knows the role and unit.
    pub fn info(&self, token_hash: &str) -> Result<Option<serde_json::Value>, CacheError> {
        let get = |name: &str| -> Result<Option<String>, CacheError> {
            Ok(self.conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0)).optional()?)
        };
        if get("info_token")?.as_deref() != Some(token_hash) {
            return Ok(None);
        }
        Ok(get("info")?.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Keep the server's `/v1/info` answer for the token whose hash is `token_hash`.
    pub fn set_info(&mut self, token_hash: &str, info: &serde_json::Value) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, "info_token", token_hash)?;
        set_meta(&tx, "info", &info.to_string())?;
        tx.commit()?;
        Ok(())
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

    /// Where the next `/v1/tracks` page starts: the last seq of the last page taken (0: none taken since the last
    /// snapshot). Kept apart from the points, since points that did not fit were left out.
    pub fn tracks_seq(&self) -> Result<Seq, CacheError> {
        let v: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE name = 'tracks_after'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Keep a page of the server's thinned tracks (its `worker_moved` changes; anything else is left out), move the
    /// page cursor to `after`, and forget points reported before `keep_from` (the replay reaches no further back), in
    /// one transaction.
    pub fn add_tracks(&mut self, changes: &[Change], after: Seq, keep_from: Timestamp) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, "tracks_after", &after.to_string())?;
        {
            let mut ins = tx.prepare("INSERT OR IGNORE INTO tracks (seq, at_ms, body) VALUES (?1, ?2, ?3)")?;
            for c in changes {
                if let ChangeBody::WorkerMoved { at, .. } = &c.body {
                    ins.execute(params![c.seq, at.timestamp_millis(), serde_json::to_string(&c.body)?])?;
                }
            }
        }
        tx.execute("DELETE FROM tracks WHERE at_ms < ?1", [keep_from.timestamp_millis()])?;
        tx.commit()?;
        Ok(())
    }

    /// The kept track points reported at or after `from`, by seq (a row that does not parse is left out).
    pub fn tracks(&self, from: Timestamp) -> Result<Vec<Change>, CacheError> {
        let mut stmt = self.conn.prepare("SELECT seq, body FROM tracks WHERE at_ms >= ?1 ORDER BY seq")?;
        let rows = stmt.query_map([from.timestamp_millis()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, body) = row?;
            match serde_json::from_str(&body) {
                Ok(body) => out.push(Change { seq, body }),
                Err(e) => tracing::warn!("cached track point {seq} does not parse: {e}"),
            }
        }
        Ok(out)
    }

    /// The server's district package as last downloaded, with its ETag (`None`: never downloaded).
    pub fn package(&self) -> Result<Option<(String, Vec<u8>)>, CacheError> {
        Ok(self
            .conn
            .query_row("SELECT etag, body FROM package WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Keep a downloaded district package (replacing the one before, in one transaction).
    pub fn set_package(&mut self, etag: &str, bytes: &[u8]) -> Result<(), CacheError> {
        self.conn.execute(
            "INSERT INTO package (id, etag, body) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET etag = excluded.etag, body = excluded.body",
            params![etag, bytes],
        )?;
        Ok(())
    }

    /// Drop the cached district package (it is another server's, or it does not read).
    pub fn forget_package(&mut self) -> Result<(), CacheError> {
        self.conn.execute("DELETE FROM package", [])?;
        Ok(())
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
    /// new seq, in one transaction. Changes at or below the cached seq are skipped.
    pub fn apply(&mut self, situation: &mut Situation, changes: &[Change]) -> Result<Seq, CacheError> {
        Ok(self.apply_checked(situation, changes, None)?.seq)
    }

    /// [`Cache::apply`], checking each change first when `district` is given
    /// ([`pingan_core::validate::check_change`]): a change that does not fit the district or the situation (a step on
    /// an unknown event, an unknown assignee, a report naming a grid that does not exist, …) is skipped whole and
    /// returned with its reason; the seq moves past it all the same.
    pub fn apply_checked(
        &mut self,
        situation: &mut Situation,
        changes: &[Change],
        district: Option<&District>,
    ) -> Result<Applied, CacheError> {
        let mut seq = self.seq()?;
        let mut skipped = Vec::new();
        let mut events = BTreeSet::new();
        let mut workers = BTreeSet::new();
        let mut books = BTreeSet::new();
        for c in changes {
            if c.seq <= seq {
                continue;
            }
            seq = c.seq;
            if let Some(d) = district
                && let Err(why) = pingan_core::validate::check_change(&c.body, d, situation)
            {
                tracing::warn!("change {} skipped: {why}", c.seq);
                skipped.push((c.seq, why));
                continue;
            }
            use pingan_core::sync::ChangeBody as B;
            // The worker rule may change the statuses of the event's assignee before and after the step.
            let assignee = |s: &Situation| match &c.body {
                B::EventActed { event, .. } => s.event(*event).and_then(|e| e.assignee),
                _ => None,
            };
            let before = assignee(situation);
            if situation.apply_logged(&c.body) {
                match &c.body {
                    B::EventReported { event } => {
                        events.insert(event.id);
                    }
                    B::EventActed { event, .. } => {
                        events.insert(*event);
                        workers.extend(before.into_iter().chain(assignee(situation)));
                    }
                    B::ReportLinked { event, .. } => {
                        events.insert(*event);
                    }
                    B::WorkerMoved { worker, .. } => {
                        workers.insert(*worker);
                    }
                    B::WorkerJoined { worker } => {
                        workers.insert(worker.id);
                    }
                    B::TaskBookIssued { book } => {
                        books.insert(book.id);
                    }
                    B::CheckReported { book, event, .. } => {
                        books.insert(*book);
                        events.extend(event.as_ref().map(|e| e.id));
                    }
                    B::Acknowledged { event, .. } => {
                        events.insert(*event);
                    }
                    B::ReportSplit { event, new_event, .. } => {
                        events.insert(*event);
                        events.insert(new_event.id);
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
            let mut up = tx.prepare(
                "INSERT INTO task_books (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            )?;
            for id in books {
                if let Some(b) = situation.task_book(id) {
                    up.execute(params![id.0 as i64, serde_json::to_string(b)?])?;
                }
            }
        }
        set_seq(&tx, seq)?;
        tx.commit()?;
        Ok(Applied { seq, skipped })
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

    /// Append a command to the outbox, owned by `owner` (durable when this returns: the cache runs with
    /// `synchronous = FULL`). A key already queued is left as it is.
    pub fn push_outbox(&self, cmd: &ClientCommand, owner: &Identity) -> Result<(), CacheError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO outbox (key, body, server, token_hash, user) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cmd.key, serde_json::to_string(cmd)?, owner.server, owner.token_hash, owner.user],
        )?;
        Ok(())
    }

    /// The oldest `limit` outbox entries of every server and identity, in the order they were made.
    pub fn outbox(&self, limit: usize) -> Result<Vec<ClientCommand>, CacheError> {
        let mut stmt = self.conn.prepare("SELECT body FROM outbox ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([sql_limit(limit)], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// The oldest `limit` outbox entries that may be sent as `me` ([`Identity::may_send_for`]): for its server, and
    /// queued with the same token or by the same (known) user.
    pub fn outbox_for(&self, me: &Identity, limit: usize) -> Result<Vec<ClientCommand>, CacheError> {
        let sql = format!("SELECT body FROM outbox WHERE {SENDABLE} ORDER BY id LIMIT ?4");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows =
            stmt.query_map(params![me.server, me.token_hash, me.user, sql_limit(limit)], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// How many commands wait in the outbox, for every server and identity.
    pub fn outbox_len(&self) -> Result<usize, CacheError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// How many commands wait in the outbox that may be sent as `me`.
    pub fn outbox_len_for(&self, me: &Identity) -> Result<usize, CacheError> {
        let sql = format!("SELECT COUNT(*) FROM outbox WHERE {SENDABLE}");
        let n: i64 = self.conn.query_row(&sql, params![me.server, me.token_hash, me.user], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The outbox commands that may not be sent as `me`, grouped by server and by user (or by token where the user
    /// is not known), oldest group first. They stay in the outbox until their own identity sends them.
    pub fn held(&self, me: &Identity) -> Result<Vec<Held>, CacheError> {
        let sql = format!(
            "SELECT server, user, MIN(token_hash), COUNT(*) FROM outbox WHERE NOT {SENDABLE}
             GROUP BY server, COALESCE('u:' || user, 't:' || token_hash) ORDER BY MIN(id)"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![me.server, me.token_hash, me.user], |r| {
            Ok(Held {
                server: r.get(0)?,
                user: r.get(1)?,
                token_prefix: r.get::<_, String>(2)?.chars().take(8).collect(),
                count: r.get::<_, i64>(3)? as usize,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The server said whose token `me.token_hash` is (`me.user`): the outbox rows queued with that token for
    /// `me.server` are marked as that user's (so that another token of the same user may send them), and the cache
    /// records that it is synced as that user. Returns how many rows were marked.
    pub fn learn_user(&mut self, me: &Identity) -> Result<usize, CacheError> {
        let Some(user) = &me.user else { return Ok(0) };
        let n = self.conn.execute(
            "UPDATE outbox SET user = ?3 WHERE server = ?1 AND token_hash = ?2 AND user IS NULL",
            params![me.server, me.token_hash, user],
        )?;
        self.set_origin(me)?;
        Ok(n)
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
    set_meta(tx, "seq", &seq.to_string())
}

fn set_meta(tx: &rusqlite::Transaction<'_>, name: &str, value: &str) -> Result<(), CacheError> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )?;
    Ok(())
}

/// A row count for `LIMIT` (SQLite takes a signed 64-bit number).
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_core::sync::{ChangeBody, CommandBody};
    use pingan_core::{EventAction, EventState, GridId, WorkerStatus};

    const X: &str = "http://10.0.0.5:7878";
    const Y: &str = "http://10.0.0.6:7878";

    fn at() -> pingan_core::Timestamp {
        chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().to_utc()
    }

    fn cmd(key: &str) -> ClientCommand {
        ClientCommand {
            key: key.into(),
            at: at(),
            body: CommandBody::Act { event: EventId(1), action: EventAction::Accept },
        }
    }

    fn me(server: &str, token: &str, user: Option<&str>) -> Identity {
        Identity { user: user.map(String::from), ..Identity::new(server, token) }
    }

    fn keys(cmds: &[ClientCommand]) -> Vec<&str> {
        cmds.iter().map(|c| c.key.as_str()).collect()
    }

    fn open() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
        (dir, cache)
    }

    /// The small demo district and its simulator's first situation.
    fn fixture() -> (District, Situation) {
        let district = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
        let (situation, _) = pingan_demo::Simulator::start(&district, 7, pingan_demo::SimConfig::default(), at());
        (district, situation)
    }

    #[test]
    fn a_token_is_stored_only_as_its_hash_and_servers_compare_normalised() {
        let id = Identity::new("HTTP://10.0.0.5:7878/ ", "secret-token");
        assert_eq!(id.server, X);
        assert_eq!(id.token_hash.len(), 64);
        assert!(!id.token_hash.contains("secret"));
        assert_eq!(id.token_prefix().len(), 8);
        assert_eq!(normalize_server("http://Host:1/Base/"), "http://host:1/Base");
    }

    #[test]
    fn rows_queued_under_token_a_are_not_sent_under_token_b_of_another_user() {
        let (_dir, mut cache) = open();
        let a = me(X, "token-a", None);
        cache.push_outbox(&cmd("k1"), &a).unwrap();
        cache.push_outbox(&cmd("k2"), &a).unwrap();
        cache.learn_user(&me(X, "token-a", Some("wang"))).unwrap();
        let b = me(X, "token-b", Some("li"));
        assert!(cache.outbox_for(&b, 100).unwrap().is_empty());
        assert_eq!(cache.outbox_len_for(&b).unwrap(), 0);
        // Not even before the server has said whose token B is.
        assert!(cache.outbox_for(&me(X, "token-b", None), 100).unwrap().is_empty());
        let held = cache.held(&b).unwrap();
        assert_eq!(
            held,
            vec![Held { server: X.into(), user: Some("wang".into()), token_prefix: a.token_prefix().into(), count: 2 }]
        );
        assert_eq!(held[0].who(), "wang");
        // Kept, not deleted; and still sent as A.
        assert_eq!(cache.outbox_len().unwrap(), 2);
        assert_eq!(keys(&cache.outbox_for(&a, 100).unwrap()), ["k1", "k2"]);
    }

    #[test]
    fn rows_queued_under_token_a_go_out_under_token_c_of_the_same_user_once_the_user_is_known() {
        let (_dir, mut cache) = open();
        let a = me(X, "token-a", None);
        cache.push_outbox(&cmd("k1"), &a).unwrap();
        let c_wang = me(X, "token-c", Some("wang"));
        // Queued before anyone knew whose token A is: held for token A.
        assert!(cache.outbox_for(&c_wang, 100).unwrap().is_empty());
        let held = cache.held(&c_wang).unwrap();
        assert_eq!((held[0].user.clone(), held[0].count), (None, 1));
        assert_eq!(held[0].who(), format!("token {}…", a.token_prefix()));
        // The server says A is wang's: now wang's other token C may send it (and only once C is known to be wang's).
        assert_eq!(cache.learn_user(&me(X, "token-a", Some("wang"))).unwrap(), 1);
        assert!(cache.outbox_for(&me(X, "token-c", None), 100).unwrap().is_empty());
        assert_eq!(keys(&cache.outbox_for(&c_wang, 100).unwrap()), ["k1"]);
        assert!(cache.held(&c_wang).unwrap().is_empty());
        assert_eq!(cache.origin().unwrap().unwrap().user.as_deref(), Some("wang"));
    }

    #[test]
    fn rows_for_server_x_are_not_sent_to_server_y() {
        let (_dir, mut cache) = open();
        cache.push_outbox(&cmd("k1"), &me(X, "token-a", Some("wang"))).unwrap();
        for y in [me(Y, "token-a", Some("wang")), me(Y, "token-a", None)] {
            assert!(cache.outbox_for(&y, 100).unwrap().is_empty());
            assert_eq!(cache.held(&y).unwrap()[0].server, X);
        }
        // The same server written differently is the same server.
        assert_eq!(cache.outbox_for(&me("HTTP://10.0.0.5:7878/", "token-a", None), 100).unwrap().len(), 1);
        cache.learn_user(&me(Y, "token-a", Some("wang"))).unwrap();
        assert!(cache.outbox_for(&me(Y, "token-a", Some("wang")), 100).unwrap().is_empty());
    }

    #[test]
    fn held_rows_are_counted_by_identity_and_kept_while_the_current_ones_are_settled() {
        let (_dir, mut cache) = open();
        let wang = me(X, "token-a", Some("wang"));
        let anon = me(X, "token-z", None);
        let li = me(X, "token-b", Some("li"));
        for k in ["w1", "w2", "w3"] {
            cache.push_outbox(&cmd(k), &wang).unwrap();
        }
        cache.push_outbox(&cmd("z1"), &anon).unwrap();
        cache.push_outbox(&cmd("l1"), &li).unwrap();
        cache.push_outbox(&cmd("l2"), &li).unwrap();
        cache.push_outbox(&cmd("y1"), &me(Y, "token-b", Some("li"))).unwrap();
        assert_eq!(cache.outbox_len_for(&li).unwrap(), 2);
        let held: Vec<(String, String, usize)> =
            cache.held(&li).unwrap().iter().map(|h| (h.server.clone(), h.who(), h.count)).collect();
        assert_eq!(
            held,
            [
                (X.to_string(), "wang".to_string(), 3),
                (X.to_string(), format!("token {}…", anon.token_prefix()), 1),
                (Y.to_string(), "li".to_string(), 1),
            ]
        );
        cache.settle(&["l1".into(), "l2".into()], &[]).unwrap();
        assert_eq!(cache.outbox_len_for(&li).unwrap(), 0);
        assert_eq!(cache.outbox_len().unwrap(), 5, "the held rows stay");
        assert_eq!(cache.held(&li).unwrap().iter().map(|h| h.count).sum::<usize>(), 5);
    }

    #[test]
    fn an_older_cache_file_gains_the_identity_columns_and_its_rows_are_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO outbox (key, body) VALUES ('old', ?1)",
            [serde_json::to_string(&cmd("old")).unwrap()],
        )
        .unwrap();
        drop(conn);
        let cache = Cache::open(&path).unwrap();
        let a = me(X, "token-a", Some("wang"));
        assert!(cache.outbox_for(&a, 10).unwrap().is_empty(), "nobody can say whose it was");
        let held = cache.held(&a).unwrap();
        assert_eq!((held[0].server.as_str(), held[0].who(), held[0].count), ("", "?".to_string(), 1));
        assert_eq!(keys(&cache.outbox(10).unwrap()), ["old"]);
        drop(cache);
        // Opening again does not add the columns twice.
        Cache::open(&path).unwrap();
    }

    #[test]
    fn a_damaged_row_is_left_out_and_the_cache_is_refreshed_from_a_snapshot() {
        let (_dir, mut cache) = open();
        let (_, situation) = fixture();
        cache.replace(&Snapshot { seq: 9, situation }).unwrap();
        cache.conn.execute("UPDATE events SET body = '{' WHERE id = (SELECT MIN(id) FROM events)", []).unwrap();
        let cached = cache.load().unwrap();
        assert_eq!(cached.seq, 0, "a fresh snapshot replaces it");
        assert_eq!(cached.skipped.len(), 1);
        assert!(cached.skipped[0].contains("does not parse"), "{:?}", cached.skipped);
    }

    #[test]
    fn changes_that_do_not_fit_are_skipped_whole_and_the_rest_applied_and_stored() {
        let (district, situation) = fixture();
        let (_dir, mut cache) = open();
        cache.replace(&Snapshot { seq: 10, situation: situation.clone() }).unwrap();
        let target = situation.events.iter().find(|e| e.state == EventState::Reported).expect("a reported event");
        let worker = situation
            .workers
            .iter()
            .find(|w| w.grids.contains(&target.grid) && w.status == WorkerStatus::Patrolling)
            .or_else(|| situation.workers.iter().find(|w| w.status == WorkerStatus::Patrolling))
            .expect("a patrolling worker")
            .id;
        let mut e = target.clone();
        let accept = pingan_core::sync::act(
            &mut e,
            EventAction::Accept,
            at(),
            "op",
            &pingan_core::routing::RoutingConfig::default(),
        )
        .unwrap();
        let mut e_bad = e.clone();
        let assign_ghost = pingan_core::sync::act(
            &mut e_bad,
            EventAction::Assign { worker: WorkerId(999_999) },
            at(),
            "op",
            &pingan_core::routing::RoutingConfig::default(),
        )
        .unwrap();
        let assign = pingan_core::sync::act(
            &mut e,
            EventAction::Assign { worker },
            at(),
            "op",
            &pingan_core::routing::RoutingConfig::default(),
        )
        .unwrap();
        let mut off_map = target.clone();
        off_map.id = EventId(situation.events.last().unwrap().id.0 + 1);
        off_map.grid = GridId(999_999);
        let mut unknown = accept.clone();
        if let ChangeBody::EventActed { event, .. } = &mut unknown {
            *event = EventId(999_999);
        }
        let ghost_moves = ChangeBody::WorkerMoved {
            worker: WorkerId(999_999),
            position: target.position,
            status: WorkerStatus::Patrolling,
            at: at(),
        };
        let bodies = [
            ChangeBody::EventReported { event: Box::new(off_map) },
            unknown,
            ghost_moves,
            accept,
            assign_ghost,
            assign,
        ];
        let changes: Vec<Change> = bodies.into_iter().zip(11..).map(|(body, seq)| Change { seq, body }).collect();
        let mut mirror = situation.clone();
        let applied = cache.apply_checked(&mut mirror, &changes, Some(&district)).unwrap();
        assert_eq!(applied.seq, 16, "skipped changes are consumed");
        let seqs: Vec<Seq> = applied.skipped.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [11, 12, 13, 15], "{:?}", applied.skipped);
        assert!(applied.skipped[0].1.contains("999999"), "{:?}", applied.skipped[0]);
        assert_eq!(mirror.events.len(), situation.events.len());
        let now = mirror.event(target.id).unwrap();
        assert_eq!((now.state, now.assignee, now.history.len()), (EventState::Assigned, Some(worker), 2));
        assert_eq!(mirror.worker(worker).unwrap().status, WorkerStatus::Handling(target.id));
        // The cache stored exactly that, the worker's new status included.
        let cached = cache.load().unwrap();
        assert_eq!(cached.seq, 16);
        assert!(cached.situation == mirror);
    }

    #[test]
    fn a_cache_synced_from_another_server_can_be_set_aside_keeping_its_outbox() {
        let (_dir, mut cache) = open();
        let (_, situation) = fixture();
        cache.replace(&Snapshot { seq: 9, situation }).unwrap();
        let wang = me(X, "token-a", Some("wang"));
        cache.set_origin(&wang).unwrap();
        cache.push_outbox(&cmd("k1"), &wang).unwrap();
        assert_eq!(cache.origin().unwrap(), Some(wang));
        cache.forget_situation().unwrap();
        let cached = cache.load().unwrap();
        assert_eq!((cached.seq, cached.situation.events.len(), cached.situation.workers.len()), (0, 0, 0));
        assert_eq!(cache.outbox_len().unwrap(), 1);
    }
}
