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

use rusqlite::Connection;
use std::path::Path;

mod identity;
mod meta;
mod outbox;
mod package;
mod situation;
mod tracks;

pub use identity::{Identity, normalize_server, token_hash};
pub use outbox::{Held, Refused};
pub use situation::{Applied, Cached};

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
}

/// Set row `name` of the `meta` table to `value`, inside `tx`.
fn set_meta(tx: &rusqlite::Transaction<'_>, name: &str, value: &str) -> Result<(), CacheError> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )?;
    Ok(())
}

/// The value of row `name` of the `meta` table (`None`: not set).
fn get_meta(conn: &Connection, name: &str) -> Result<Option<String>, CacheError> {
    use rusqlite::OptionalExtension as _;
    Ok(conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0)).optional()?)
}

#[cfg(test)]
mod tests;
