//! The `meta` table's identity rows: the server, token and user the cached situation was synced under, and the
//! server's last `/v1/info` answer.

use super::{Cache, CacheError, Identity, get_meta, set_meta};

impl Cache {
    /// The server, token hash and user the cached situation was last synced under (`None`: not recorded).
    pub fn origin(&self) -> Result<Option<Identity>, CacheError> {
        let get = |name: &str| get_meta(&self.conn, name);
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
        let get = |name: &str| get_meta(&self.conn, name);
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
}
