//! The `tracks` table: the workers' track points (the server's thinned `worker_moved` changes) kept for replays,
//! and the cursor of the next `/v1/tracks` page.

use super::{Cache, CacheError, get_meta, set_meta};
use pingan_core::Timestamp;
use pingan_core::sync::{Change, ChangeBody, Seq};
use rusqlite::params;

impl Cache {
    /// Where the next `/v1/tracks` page starts: the last seq of the last page taken (0: none taken since the last
    /// snapshot). Kept apart from the points, since points that did not fit were left out.
    pub fn tracks_seq(&self) -> Result<Seq, CacheError> {
        Ok(get_meta(&self.conn, "tracks_after")?.and_then(|v| v.parse().ok()).unwrap_or(0))
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
                Ok(body) => out.push(Change::new(seq, body)),
                Err(e) => tracing::warn!("cached track point {seq} does not parse: {e}"),
            }
        }
        Ok(out)
    }
}
