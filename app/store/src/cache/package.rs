//! The `package` table: the server's district package as last downloaded, with its ETag.

use super::{Cache, CacheError};
use rusqlite::{OptionalExtension as _, params};

impl Cache {
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
}
