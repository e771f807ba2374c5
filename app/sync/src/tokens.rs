//! Tokens end: their lifetimes (`--ttl`, a default per role), their listing, disabled users, and the lookup that says
//! why a token is refused.
//!
//! | role | default lifetime | why |
//! |---|---|---|
//! | `admin` | 30 days | may do everything: a lost admin token should not stay useful for long |
//! | `operator`, `supervisor` | 90 days | a desk's login, renewed each quarter |
//! | `grid_worker` | 180 days | a phone in the field, renewed twice a year when it comes in |
//! | `sensor_gateway` | 365 days | a box on a wall, renewed once a year at its maintenance |
//!
//! `--ttl` takes `N d` or `N h` (no space: `90d`, `12h`) from 1 hour to 3650 days, or `never` — for a sensor
//! gateway only (a device nobody may be able to reach in time). Tokens issued before migration 0009 have no expiry.
//! [`crate::db::Db::new_token`] (the library's, for tests and benchmarks) issues tokens without expiry too; the CLI
//! always gives one.

use crate::db::{Db, DbError, User, token_hash};
use chrono::{DateTime, Duration, Utc};
use pingan_core::sync::Role;
use sqlx::Row as _;

/// How long a new token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Until revoked (sensor gateways only).
    Never,
    /// This long from its issue.
    For(Duration),
}

/// The shortest and longest `--ttl`.
pub const MIN_TTL_HOURS: i64 = 1;
/// The longest `--ttl`, in days.
pub const MAX_TTL_DAYS: i64 = 3650;

/// The lifetime a role's tokens get without `--ttl` (see the module's table).
pub fn default_ttl(role: Role) -> Ttl {
    Ttl::For(Duration::days(match role {
        Role::Admin => 30,
        Role::Operator | Role::Supervisor => 90,
        Role::GridWorker => 180,
        Role::SensorGateway => 365,
    }))
}

/// Read `--ttl` for a token of `role`: `90d`, `12h`, or `never` (sensor gateways only); 1 h to 3650 days.
pub fn parse_ttl(text: &str, role: Role) -> Result<Ttl, String> {
    let t = text.trim();
    if t == "never" {
        return if role == Role::SensorGateway {
            Ok(Ttl::Never)
        } else {
            Err(format!(
                "--ttl never is for sensor_gateway tokens only; a {} token ends (at most {MAX_TTL_DAYS}d)",
                role.name()
            ))
        };
    }
    let bad = || format!("--ttl {text:?}: write a whole number of days or hours, like 90d or 12h (or never)");
    let (n, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let hours = match unit {
        "d" => n.checked_mul(24).ok_or_else(bad)?,
        "h" => n,
        _ => return Err(bad()),
    };
    if !(MIN_TTL_HOURS..=MAX_TTL_DAYS * 24).contains(&hours) {
        return Err(format!("--ttl {text:?}: a token lives between 1h and {MAX_TTL_DAYS}d"));
    }
    Ok(Ttl::For(Duration::hours(hours)))
}

/// One token of a user, as `token list` shows it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// The first 12 hex digits of the token's SHA-256: enough to tell tokens apart, useless for logging in.
    pub id: String,
    /// When it was issued (RFC 3339).
    pub created_at: String,
    /// When it was last used, to the minute (`None`: not since it was issued).
    pub last_used_at: Option<String>,
    /// When it ends (`None`: never).
    pub expires_at: Option<String>,
    /// Revoked.
    pub revoked: bool,
}

/// What a presented token is.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// A good token: its user, its expiry, and whether `last_used_at` is due to be written.
    Good {
        /// The user.
        user: User,
        /// When it ends.
        expires_at: Option<DateTime<Utc>>,
        /// `last_used_at` is a minute old or more (or unset).
        touch: bool,
    },
    /// Unknown or revoked.
    Unknown,
    /// Ended at this time.
    Expired(DateTime<Utc>),
    /// Its user is disabled.
    Disabled,
}

/// `last_used_at` is written at most this often per token.
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

fn time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc))
}

/// Issue a new random token for `user` living `ttl`; returns the token (shown once, stored only as its hash).
pub async fn issue(db: &Db, user: &User, ttl: Ttl) -> Result<String, DbError> {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("pa_{}", hex::encode(bytes));
    let now = Utc::now();
    let expires = match ttl {
        Ttl::Never => None,
        Ttl::For(d) => Some((now + d).to_rfc3339()),
    };
    sqlx::query("INSERT INTO tokens (hash, user_id, created_at, revoked, expires_at) VALUES ($1, $2, $3, 0, $4)")
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(now.to_rfc3339())
        .bind(expires)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

/// Every token of `user`, oldest first.
pub async fn list(db: &Db, user: &User) -> Result<Vec<TokenInfo>, DbError> {
    let rows = sqlx::query(
        "SELECT hash, created_at, last_used_at, expires_at, revoked FROM tokens WHERE user_id = $1 \
         ORDER BY created_at, hash",
    )
    .bind(user.id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let hash: String = r.try_get(0)?;
            Ok(TokenInfo {
                id: hash.chars().take(12).collect(),
                created_at: r.try_get(1)?,
                last_used_at: r.try_get(2)?,
                expires_at: r.try_get(3)?,
                revoked: r.try_get::<i64, _>(4)? != 0,
            })
        })
        .collect()
}

/// Disable (`true`) or enable a user; their tokens are refused while disabled.
pub async fn set_disabled(db: &Db, user: &User, disabled: bool) -> Result<(), DbError> {
    let at = disabled.then(|| Utc::now().to_rfc3339());
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2").bind(at).bind(user.id).execute(&db.pool).await?;
    Ok(())
}

/// Whether a user is disabled.
pub async fn is_disabled(db: &Db, user: &User) -> Result<bool, DbError> {
    let at: Option<String> = sqlx::query("SELECT disabled_at FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    Ok(at.is_some())
}

/// What `token` is at `now`.
pub async fn lookup(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Lookup, DbError> {
    let row = sqlx::query(
        "SELECT u.id, u.name, u.role, u.worker_id, u.unit, t.expires_at, t.last_used_at, u.disabled_at \
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked = 0",
    )
    .bind(token_hash(token))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(Lookup::Unknown) };
    if row.try_get::<Option<String>, _>(7)?.is_some() {
        return Ok(Lookup::Disabled);
    }
    let expires_at = time(row.try_get(5)?);
    if let Some(at) = expires_at.filter(|at| *at <= now) {
        return Ok(Lookup::Expired(at));
    }
    let touch = time(row.try_get(6)?).is_none_or(|t| now - t >= TOUCH_EVERY);
    Ok(Lookup::Good { user: crate::db::user_from_row(&row)?, expires_at, touch })
}

/// Write `last_used_at` of `token` (the caller keeps it to once a minute: [`Lookup::Good`]'s `touch`).
pub async fn touch(db: &Db, token: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE hash = $2")
        .bind(now.to_rfc3339())
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The bearer token of a request, or why there is none (a 401 without a reason: no guess was made).
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, &'static str> {
    let value = headers.get(axum::http::header::AUTHORIZATION).ok_or("missing Authorization: Bearer <token>")?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("Authorization must be \"Bearer <token>\"")
}

/// Why a presented token is refused: the 401's `reason` (`unknown`, `expired`, `disabled`) and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `unknown` (or revoked), `expired` or `disabled`.
    pub reason: &'static str,
    /// What a person reads.
    pub message: String,
}

impl Refusal {
    fn expired(at: DateTime<Utc>) -> Self {
        Self { reason: "expired", message: format!("token expired on {}", at.format("%Y-%m-%d %H:%M UTC")) }
    }
}

/// Why [`Cache::check`] gave no user.
#[derive(Debug)]
pub enum CheckError {
    /// The token is refused.
    Refused(Refusal),
    /// The database failed.
    Db(DbError),
}

/// Good tokens seen in the last 10 s, with their users and expiries: a revoked token or a disabled user stops within
/// 10 s, an expired token at once (the expiry is compared on every request, cached or not).
#[derive(Default)]
pub struct Cache(std::sync::Mutex<std::collections::HashMap<String, Cached>>);

/// A good token's user and expiry, and when they were read.
type Cached = (User, Option<DateTime<Utc>>, std::time::Instant);

/// How long a good token is believed without asking the database.
pub const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

impl Cache {
    /// The user of `token` and its expiry, or why it is refused. A lookup (not a cache hit) writes `last_used_at`
    /// when it is a minute old, off the request's path: at most about once a minute per token.
    pub async fn check(&self, db: &Db, token: &str) -> Result<(User, Option<DateTime<Utc>>), CheckError> {
        let now = Utc::now();
        let cached = self.0.lock().ok().and_then(|m| m.get(token).cloned());
        let (user, expires_at) = match cached {
            Some((user, expires_at, at)) if at.elapsed() < CACHE_FOR => (user, expires_at),
            _ => {
                let refused = |reason, message: &str| CheckError::Refused(Refusal { reason, message: message.into() });
                let (user, expires_at, touch) = match lookup(db, token, now).await.map_err(CheckError::Db)? {
                    Lookup::Good { user, expires_at, touch } => (user, expires_at, touch),
                    Lookup::Unknown => return Err(refused("unknown", "unknown or revoked token")),
                    Lookup::Expired(at) => return Err(CheckError::Refused(Refusal::expired(at))),
                    Lookup::Disabled => return Err(refused("disabled", "this user is disabled: ask an administrator")),
                };
                if touch {
                    let (db, token) = (db.clone(), token.to_string());
                    tokio::spawn(async move {
                        if let Err(e) = self::touch(&db, &token, now).await {
                            tracing::warn!("recording a token's last use: {e}");
                        }
                    });
                }
                if let Ok(mut m) = self.0.lock() {
                    if m.len() > 10_000 {
                        m.clear();
                    }
                    m.insert(token.to_string(), (user.clone(), expires_at, std::time::Instant::now()));
                }
                (user, expires_at)
            }
        };
        match expires_at.filter(|at| *at <= now) {
            Some(at) => Err(CheckError::Refused(Refusal::expired(at))),
            None => Ok((user, expires_at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_in_days_and_hours_within_bounds() {
        assert_eq!(parse_ttl("90d", Role::Operator), Ok(Ttl::For(Duration::days(90))));
        assert_eq!(parse_ttl("12h", Role::Admin), Ok(Ttl::For(Duration::hours(12))));
        assert_eq!(parse_ttl("3650d", Role::GridWorker), Ok(Ttl::For(Duration::days(3650))));
        assert_eq!(parse_ttl("never", Role::SensorGateway), Ok(Ttl::Never));
        for bad in ["never", "0h", "3651d", "90", "d", "-1d", "1.5d", "90 d", "9w", "99999999999999999999d", ""] {
            assert!(parse_ttl(bad, Role::Operator).is_err(), "{bad:?}");
        }
        assert_eq!(default_ttl(Role::Admin), Ttl::For(Duration::days(30)));
        assert_eq!(default_ttl(Role::SensorGateway), Ttl::For(Duration::days(365)));
    }
}
