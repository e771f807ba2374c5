//! The audit trail: who did what, when, from which address — in the `audit` table (migration 0010), on SQLite and
//! PostgreSQL alike.
//!
//! | action | when | user | address |
//! |---|---|---|---|
//! | `user add`, `token new`, `district import`, … | a CLI command that changes users, tokens or reference data succeeded ([`record_cli`]) | `cli:<os user>` | `local` |
//! | `commands`, `readings` | an admin's `POST /v1/commands` or `POST /v1/readings` was answered | the user | client IP |
//! | `login` | a token's first successful authentication ([`trail`], flag `tokens.first_used_at`) | the user | client IP |
//! | `snapshot`, `district`, `tracks`, `changes` | a bulk read of personal data answered 200 ([`trail`]: the snapshot, the package with the roster, a tracks page, the log from its start) | the user | client IP |
//!
//! [`record`] is one INSERT and never fails the request it records: a failure is logged. Nothing in the API writes or
//! deletes rows; they leave only by age ([`prune`], `--audit-days`, at start and daily). `pingan-sync audit` prints
//! them ([`print`]).

use crate::db::Db;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{Extensions, Method, StatusCode, Uri, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::Row as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Rows are kept this many days unless `--audit-days` says otherwise.
pub const DEFAULT_DAYS: u32 = 365;

/// One row of the audit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// When (UTC, milliseconds).
    pub at: DateTime<Utc>,
    /// Who: a user's login name, or `cli:<os user>`.
    pub user: String,
    /// What kind of thing (`login`, `snapshot`, `user add`, …).
    pub action: String,
    /// What exactly.
    pub detail: String,
    /// From where: the client's IP, `local` for the CLI, `unknown` when the server could not tell.
    pub address: String,
}

impl Entry {
    /// An entry stamped now.
    pub fn now(user: &str, action: &str, detail: impl Into<String>, address: &str) -> Self {
        Self {
            at: Utc::now(),
            user: user.to_string(),
            action: action.to_string(),
            detail: detail.into(),
            address: address.to_string(),
        }
    }
}

/// The fixed-width text `at` is stored as (text order is time order).
fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Add `entry`; a failure is logged, never returned (the audit never fails what it records).
pub async fn record(db: &Db, entry: Entry) {
    if let Err(e) = try_record(db, &entry).await {
        tracing::error!("audit: could not record {} by {}: {e}", entry.action, entry.user);
    }
}

/// One INSERT; the id is the next one, retried when another instance took it at the same moment (PostgreSQL).
async fn try_record(db: &Db, entry: &Entry) -> sqlx::Result<()> {
    let mut tries = 0;
    loop {
        let r = sqlx::query(
            "INSERT INTO audit (id, at, username, action, detail, address) \
             SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5 FROM audit",
        )
        .bind(stamp(entry.at))
        .bind(&entry.user)
        .bind(&entry.action)
        .bind(&entry.detail)
        .bind(&entry.address)
        .execute(&db.pool)
        .await;
        match r {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() && tries < 8 => tries += 1,
            r => return r.map(|_| ()),
        }
    }
}

/// Delete rows older than `days` days; returns how many went.
pub async fn prune(db: &Db, days: u32) -> sqlx::Result<u64> {
    let before = Utc::now() - chrono::Duration::days(i64::from(days));
    Ok(sqlx::query("DELETE FROM audit WHERE at < $1").bind(stamp(before)).execute(&db.pool).await?.rows_affected())
}

/// Prune once a day, for as long as the server runs (failures are logged); the first time a day from now.
pub async fn prune_daily(db: Db, days: u32) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(86_400)).await;
        match prune(&db, days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("audit: pruned {n} rows older than {days} days"),
            Err(e) => tracing::error!("audit: could not prune: {e}"),
        }
    }
}

/// Rows from `since` (inclusive) to `until` (exclusive), of `user` when given, oldest first.
pub async fn list(
    db: &Db,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    user: Option<&str>,
) -> sqlx::Result<Vec<Entry>> {
    let until = until.map_or_else(|| "9999".to_string(), stamp);
    let mut sql = "SELECT at, username, action, detail, address FROM audit WHERE at >= $1 AND at < $2".to_string();
    if user.is_some() {
        sql.push_str(" AND username = $3");
    }
    sql.push_str(" ORDER BY at, id");
    let mut q = sqlx::query(&sql).bind(stamp(since)).bind(until);
    if let Some(u) = user {
        q = q.bind(u);
    }
    let mut out = Vec::new();
    for row in q.fetch_all(&db.pool).await? {
        let at: String = row.try_get(0)?;
        let at = DateTime::parse_from_rfc3339(&at).map_err(|e| sqlx::Error::Decode(Box::new(e)))?.to_utc();
        out.push(Entry {
            at,
            user: row.try_get(1)?,
            action: row.try_get(2)?,
            detail: row.try_get(3)?,
            address: row.try_get(4)?,
        });
    }
    Ok(out)
}

/// `pingan-sync audit`: what to print.
#[derive(clap::Args, Debug)]
pub struct Query {
    /// From this day (YYYY-MM-DD, UTC) or time (RFC 3339) on.
    #[arg(long)]
    pub since: String,
    /// Up to this day, inclusive (YYYY-MM-DD), or this time, exclusive (RFC 3339); default: now.
    #[arg(long)]
    pub until: Option<String>,
    /// Only this user (a login name, or `cli:<os user>` for the command line).
    #[arg(long)]
    pub user: Option<String>,
    /// One JSON object a line instead of tab-separated text.
    #[arg(long)]
    pub json: bool,
}

/// Why `pingan-sync audit` printed nothing.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A bound that is neither a day nor a time.
    #[error("{0}")]
    Bound(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// A query.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// A `--since`/`--until` bound: a day (its start; with `end`, the next day's start) or an RFC 3339 time.
fn bound(s: &str, end: bool) -> Result<DateTime<Utc>, AuditError> {
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end { day.succ_opt().unwrap_or(day) } else { day };
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| AuditError::Bound(format!("{s:?} is neither a day (YYYY-MM-DD) nor an RFC 3339 time: {e}")))
}

/// Print the rows `q` asks for to `out`, oldest first: `at  user  action  address  detail`, tab-separated, or JSON
/// Lines.
pub async fn print(db: &Db, q: &Query, out: &mut impl std::io::Write) -> Result<usize, AuditError> {
    let since = bound(&q.since, false)?;
    let until = q.until.as_deref().map(|u| bound(u, true)).transpose()?;
    let rows = list(db, since, until, q.user.as_deref()).await?;
    for e in &rows {
        let line = if q.json {
            serde_json::to_string(e).unwrap_or_default()
        } else {
            let detail = e.detail.replace(['\t', '\n'], " ");
            format!("{}\t{}\t{}\t{}\t{detail}", stamp(e.at), e.user, e.action, e.address)
        };
        writeln!(out, "{line}").map_err(|e| AuditError::Bound(format!("cannot write: {e}")))?;
    }
    Ok(rows.len())
}

/// Who runs the command line: `cli:<$USER>` (or `$LOGNAME`, or the uid).
pub fn cli_user() -> String {
    let name = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok().filter(|n| !n.is_empty());
    #[cfg(unix)]
    // SAFETY: getuid has no preconditions and cannot fail.
    let name = name.unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }));
    #[cfg(not(unix))]
    let name = name.unwrap_or_else(|| "unknown".into());
    format!("cli:{name}")
}

/// The action and detail of a CLI command from its `Debug` form (`User(Add { name: "a", … })` → `user add`,
/// `{ name: "a", … }`); `None` for what changes nothing (`… list`, `audit`).
pub fn cli_action(debug: &str) -> Option<(String, String)> {
    let (group, rest) = debug.split_once('(')?;
    let rest = rest.strip_suffix(')').unwrap_or(rest);
    let end = rest.find([' ', '(', '{']).unwrap_or(rest.len());
    let (verb, detail) = rest.split_at(end);
    if verb.eq_ignore_ascii_case("list") || group.eq_ignore_ascii_case("audit") || verb.is_empty() {
        return None;
    }
    Some((format!("{} {}", group.to_lowercase(), verb.to_lowercase()), detail.trim().to_string()))
}

/// Record a CLI command that succeeded, given its `Debug` form (see [`cli_action`]), as `cli:<os user>` from `local`.
pub async fn record_cli(db: &str, debug: &str) {
    let Some((action, detail)) = cli_action(debug) else { return };
    match Db::open(db).await {
        Ok(db) => record(&db, Entry::now(&cli_user(), &action, detail, "local")).await,
        Err(e) => tracing::error!("audit: could not record {action}: {e}"),
    }
}

/// The client's IP as the connection layer saw it (`ConnectInfo`, or axum's `MockConnectInfo` in tests that build
/// the router themselves); `unknown` without either.
pub fn address(ext: &Extensions) -> String {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| ext.get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>().map(|c| c.0))
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string())
}

/// A handler's view of [`address`].
#[derive(Clone, Debug)]
pub struct Peer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(address(&parts.extensions)))
    }
}

impl Peer {
    /// Record what an admin sent (`admin`: from [`admin`]; `None`: not an admin, nothing to record).
    pub async fn admin(&self, db: &Db, admin: Option<(String, &str, String)>) {
        if let Some((user, action, detail)) = admin {
            record(db, Entry::now(&user, action, detail, &self.0)).await;
        }
    }
}

/// What [`Peer::admin`] records of a request `user` sent: their name, `action` and `detail`, when they are an admin.
pub fn admin(
    user: &crate::db::User,
    action: &'static str,
    detail: impl FnOnce() -> String,
) -> Option<(String, &'static str, String)> {
    (user.role == pingan_core::sync::Role::Admin).then(|| (user.name.clone(), action, detail()))
}

/// `3 commands: report ×2, accept` — what a request's commands were, by name, in order of first appearance.
pub fn summary<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for n in names {
        match counts.iter_mut().find(|(m, _)| *m == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    let total: usize = counts.iter().map(|(_, c)| c).sum();
    let kinds: Vec<String> =
        counts.iter().map(|(n, c)| if *c == 1 { n.to_string() } else { format!("{n} ×{c}") }).collect();
    format!("{total} commands: {}", kinds.join(", "))
}

/// What [`trail`] needs: the database, and the login name of each token whose first use is settled (bounded).
#[derive(Debug)]
pub struct Trail {
    db: Db,
    known: Mutex<HashMap<String, String>>,
}

impl Trail {
    /// For `db`.
    pub fn new(db: Db) -> Arc<Self> {
        Arc::new(Self { db, known: Mutex::default() })
    }

    /// The user of the token hashed `hash`, if it is known and not revoked; records its `login` when this is its
    /// first use. One query per token and process, and an UPDATE on the first use: the flag is set by one conditional
    /// UPDATE, so two instances record one login.
    async fn user(&self, hash: &str, address: &str) -> sqlx::Result<Option<String>> {
        if let Some(name) = self.known.lock().ok().and_then(|k| k.get(hash).cloned()) {
            return Ok(Some(name));
        }
        let row = sqlx::query(
            "SELECT t.first_used_at, u.name FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.hash = $1 AND t.revoked = 0",
        )
        .bind(hash)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (used, name): (Option<String>, String) = (row.try_get(0)?, row.try_get(1)?);
        if used.is_none() {
            let now = Utc::now();
            let first = sqlx::query("UPDATE tokens SET first_used_at = $1 WHERE hash = $2 AND first_used_at IS NULL")
                .bind(stamp(now))
                .bind(hash)
                .execute(&self.db.pool)
                .await?
                .rows_affected();
            if first == 1 {
                let detail = format!("token {}…", &hash[..12.min(hash.len())]);
                record(&self.db, Entry { at: now, ..Entry::now(&name, "login", detail, address) }).await;
            }
        }
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= 100_000 {
                known.clear();
            }
            known.insert(hash.to_string(), name.clone());
        }
        Ok(Some(name))
    }
}

/// The bulk read of personal data a request is, if it is one: its action and what it asked for.
fn bulk_read(method: &Method, uri: &Uri) -> Option<(&'static str, String)> {
    if method != Method::GET {
        return None;
    }
    let query = uri.query().unwrap_or("");
    match uri.path() {
        "/v1/snapshot" => Some(("snapshot", String::new())),
        "/v1/district" => Some(("district", String::new())),
        "/v1/tracks" => Some(("tracks", query.to_string())),
        // The log from its start (every worker's join, with their phone); later pages are not bulk reads.
        "/v1/changes" if !query.split('&').any(|p| p.starts_with("after=") && p != "after=0") => {
            Some(("changes", if query.is_empty() { "after=0".into() } else { query.to_string() }))
        }
        _ => None,
    }
}

/// Middleware: after a request whose token was accepted (any answer but 401), a token's first use is recorded as a
/// `login` ([`Trail`]), and a bulk read answered 200 (snapshot, district package, tracks page, the log from its
/// start) as the read, with what was asked and the bytes handed out.
pub async fn trail(State(trail): State<Arc<Trail>>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && req.uri().path() != "/v1/health")
        .map(crate::db::token_hash);
    let address = address(req.extensions());
    let read = bulk_read(req.method(), req.uri());
    let response = next.run(req).await;
    let Some(hash) = token else { return response };
    if response.status() == StatusCode::UNAUTHORIZED {
        return response;
    }
    let user = match trail.user(&hash, &address).await {
        Ok(Some(user)) => user,
        Ok(None) => return response,
        Err(e) => {
            tracing::error!("audit: could not look up a token: {e}");
            return response;
        }
    };
    if let Some((action, asked)) = read
        && response.status() == StatusCode::OK
    {
        let bytes = http_body::Body::size_hint(response.body())
            .exact()
            .or_else(|| response.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok()));
        let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok());
        let detail = [Some(asked), etag.map(|e| format!("etag {e}")), bytes.map(|n| format!("{n} bytes"))]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        record(&trail.db, Entry::now(&user, action, detail, &address)).await;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_commands_are_named_from_their_debug_form() {
        let a = cli_action(r#"User(Add { name: "ann", role: "admin", worker: None, unit: None })"#);
        assert_eq!(a, Some(("user add".into(), r#"{ name: "ann", role: "admin", worker: None, unit: None }"#.into())));
        assert_eq!(cli_action(r#"Token(New { name: "ann" })"#).map(|a| a.0), Some("token new".into()));
        assert_eq!(cli_action("User(List)"), None);
        assert_eq!(cli_action(r#"Audit(Query { since: "2026-12-01" })"#), None);
    }

    #[test]
    fn bulk_reads_and_summaries() {
        let read = |m: Method, u: &str| bulk_read(&m, &u.parse().unwrap()).map(|r| r.0);
        assert_eq!(read(Method::GET, "/v1/snapshot"), Some("snapshot"));
        assert_eq!(read(Method::GET, "/v1/changes?limit=5"), Some("changes"));
        assert_eq!(read(Method::GET, "/v1/changes?after=0&limit=5"), Some("changes"));
        assert_eq!(read(Method::GET, "/v1/changes?after=7"), None);
        assert_eq!(read(Method::GET, "/v1/events/3"), None);
        assert_eq!(read(Method::POST, "/v1/snapshot"), None);
        assert_eq!(summary(["report", "accept", "report"].into_iter()), "3 commands: report ×2, accept");
    }

    #[test]
    fn bounds_are_days_or_times() {
        assert_eq!(stamp(bound("2026-12-01", false).unwrap()), "2026-12-01T00:00:00.000Z");
        assert_eq!(stamp(bound("2026-12-01", true).unwrap()), "2026-12-02T00:00:00.000Z");
        assert_eq!(stamp(bound("2026-12-01T08:00:00+08:00", true).unwrap()), "2026-12-01T00:00:00.000Z");
        assert!(bound("yesterday", false).is_err());
    }
}
