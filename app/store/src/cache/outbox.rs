//! The `outbox` and `refused` tables: commands queued with the identity they were made under, sent only as that
//! identity, settled when the server answers; the refused ones kept for the operator.

use super::{Cache, CacheError, Identity};
use pingan_core::sync::ClientCommand;
use rusqlite::params;

/// A command the server refused, kept for the operator to see.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    /// The command.
    pub command: ClientCommand,
    /// The server's reason.
    pub reason: String,
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

/// Outbox rows that may be sent as `?1` (server), `?2` (token hash), `?3` (user or NULL): for that server, and
/// queued with the same token or by the same (known) user. Never NULL itself, so `NOT (…)` selects exactly the
/// others.
const SENDABLE: &str = "(server = ?1 AND (token_hash = ?2 OR COALESCE(user = ?3, 0)))";

impl Cache {
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

    /// The oldest `limit` outbox entries that may be sent as `me`: for its server, and queued with the same token
    /// or by the same (known) user.
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
}

/// A row count for `LIMIT` (SQLite takes a signed 64-bit number).
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
