//! The HTTP API (axum). Every answer that is not 2xx is JSON `{"error": "…"}` with a message a person can act on;
//! an unexpected failure is `{"error": "internal error", "incident": "ab12cd34"}` (500, or 503 `storage unavailable`)
//! with the failure itself in the log under `incident ab12cd34` ([`ApiError::internal`]).
//!
//! | Route | Who | What |
//! |---|---|---|
//! | `GET /v1/health` | anyone | liveness and the log head |
//! | `GET /v1/info` | any token | who you are (role, room's unit), your token's `expires_at`, the district, the routing rules, the watch thresholds, the head |
//! | `GET /v1/snapshot` | readers | the situation the reader may see, at one seq |
//! | `GET /v1/changes?after=N&limit=M` | readers | a page of the log after N |
//! | `GET /v1/stream?after=N` | readers | Server-Sent Events from N on (or `Last-Event-ID`) |
//! | `GET /v1/events/{id}` | readers | one event's current record |
//! | `GET /v1/district` | readers | the district package (`application/vnd.pingan.package`, `ETag`; 304 on a match) |
//! | `GET /v1/district/version` | readers | `{"version","etag","name","bytes"}` of that package |
//! | `POST /v1/commands` | by role | `{"commands":[…]}` → `{"results":[…]}` |
//! | `POST /v1/enrol` | anyone with a code | `{"code"}` → `{"token","user","worker"}` once per code ([`crate::enrol`]) |
//! A refused token: 401 `{"error","reason"}` ([`crate::tokens`]); too many unknown tokens from one address: 429
//! ([`crate::guard`]). Every read hands out only what the reader may see ([`crate::scoped`], the rule in
//! `pingan_core::scope`): a scoped snapshot, the log and the stream as each reader gets it, the tracks of the workers
//! they see, 404 for an event outside their view, the package with their view of the roster.

pub use crate::answer::ApiError;
pub(crate) use crate::answer::ApiResult;
use crate::answer::storage;
use crate::db::{Db, User};
use crate::hub::Hub;
use crate::scoped::Scope;
use crate::writer::{SubmitError, Writer};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota};
use pingan_core::sync::{ClientCommand, Seq, check_key};
use serde::Deserialize;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Limits the server enforces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest request body, bytes.
    pub max_body: usize,
    /// Most changes per page.
    pub max_page: i64,
    /// Most commands per request.
    pub max_commands: usize,
    /// Sustained requests per second per token (any positive rate, fractions too; 0 or less: the burst, then
    /// nothing for a century).
    pub rate_per_sec: f64,
    /// Burst of requests per token (rounded down, at least 1).
    pub burst: f64,
    /// Connections: cap and timeouts.
    pub conn: crate::conn::ConnLimits,
    /// Most changes a live stream reads from the log at a time while it catches up (bounds its memory).
    pub stream_page: i64,
    /// Most unknown tokens a minute from one client address before it gets 429 for a while ([`crate::guard`]).
    pub failed_logins: u32,
}

impl Limits {
    /// The per-token quota (`governor`'s GCRA, the same as a token bucket that starts full with `burst` tokens and
    /// gains `rate_per_sec` a second): one request every `1 / rate_per_sec` seconds (at least 1 ns apart), `burst` at
    /// once. Kept within what governor can count in nanoseconds (a century for the whole burst).
    pub fn quota(&self) -> Quota {
        const CENTURY_S: f64 = 100.0 * 365.25 * 86_400.0;
        let burst = NonZeroU32::new(self.burst.clamp(1.0, u32::MAX as f64) as u32).unwrap_or(NonZeroU32::MIN);
        let slowest = CENTURY_S / burst.get() as f64;
        let period = if self.rate_per_sec > 0.0 { (1.0 / self.rate_per_sec).min(slowest) } else { slowest };
        let period = Duration::from_secs_f64(period).max(Duration::from_nanos(1));
        // `with_period` refuses only a zero period, which `period` never is; the fallback is one a second.
        Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: 4 << 20,
            max_page: 10_000,
            max_commands: 2_000,
            rate_per_sec: 200.0,
            burst: 400.0,
            conn: crate::conn::ConnLimits::default(),
            stream_page: 256,
            failed_logins: 10,
        }
    }
}

/// Everything a handler needs.
pub struct AppState {
    /// Storage.
    pub db: Db,
    /// Live fan-out.
    pub hub: Arc<Hub>,
    /// The writer.
    pub writer: Writer,
    /// Limits.
    pub limits: Limits,
    /// The seed the demo district was (or would be) generated from, for `/v1/info`.
    pub district_seed: u64,
    /// The district, roster and history held now, and their package.
    pub reference: Arc<crate::reference::Shared>,
    /// What the demo simulator is doing, for `/v1/info` (`off` without `--demo`).
    pub demo: Arc<crate::demo::Status>,
    /// The sensor registry and the warning rules' state.
    pub sensors: Arc<crate::sensors::Sensors>,
    /// The routing rules and deadlines in use, for `/v1/info` (the desktop computes urgency with them).
    pub routing: Arc<pingan_core::routing::RoutingConfig>,
    /// The watch thresholds, for `/v1/info` (the desks time coverage voids, stale positions and 数据中断 by them).
    pub watch: pingan_core::coverage::WatchConfig,
    tokens: crate::tokens::Cache,
    /// The district package as each scoped reader may see it.
    packages: Arc<crate::scoped::Packages>,
    /// Request rate per user (`governor`, keyed by user id). Keys are ids of users the database knows, so the state
    /// is bounded by the users table; it is also swept of users idle long enough to be back at a full burst.
    limiter: DefaultKeyedRateLimiter<i64>,
    /// Rate checks since the last sweep.
    checks: AtomicU32,
}

/// Sweep the rate limiter's state every this many checks.
const LIMITER_SWEEP_EVERY: u32 = 4096;

impl AppState {
    /// Bundle the parts.
    pub fn new(
        db: Db,
        hub: Arc<Hub>,
        writer: Writer,
        limits: Limits,
        district_seed: u64,
        reference: Arc<crate::reference::Shared>,
    ) -> Self {
        Self {
            db,
            hub,
            writer,
            limits,
            district_seed,
            reference,
            demo: Arc::default(),
            sensors: Arc::new(crate::sensors::Sensors::empty()),
            routing: Arc::default(),
            watch: pingan_core::coverage::WatchConfig::default(),
            tokens: crate::tokens::Cache::default(),
            packages: Arc::default(),
            limiter: DefaultKeyedRateLimiter::keyed(limits.quota()),
            checks: AtomicU32::new(0),
        }
    }
}

type Expiry = chrono::DateTime<chrono::Utc>;

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.limits.max_body;
    let guard = Arc::new(crate::guard::Guard::new(state.limits.failed_logins));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/info", get(info))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/changes", get(changes))
        .route("/v1/tracks", get(tracks))
        .route("/v1/stream", get(stream))
        .route("/v1/events/{id}", get(event))
        .route("/v1/district", get(district))
        .route("/v1/district/version", get(district_version))
        .route("/v1/commands", post(commands))
        .route("/v1/enrol", post(enrol))
        .route("/v1/readings", post(readings))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "no such endpoint: see /v1/health, /v1/commands, …")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        })
        .layer(axum::middleware::from_fn_with_state(crate::audit::Trail::new(state.db.clone()), crate::audit::trail))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(guard, crate::guard::check))
        .with_state(state)
}

/// Check the bearer token and the request rate; returns the user.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<User> {
    Ok(authenticate_token(state, headers, false).await?.0)
}

/// [`authenticate`] (and with `read`, [`reader`]), with the token's expiry. A refused token answers 401 with a
/// `reason`: `unknown` (or revoked), `expired`, `disabled`; good tokens are cached 10 s ([`crate::tokens::Cache`]).
pub(crate) async fn authenticate_token(
    state: &AppState,
    headers: &HeaderMap,
    read: bool,
) -> ApiResult<(User, Option<Expiry>)> {
    let token = crate::tokens::bearer(headers).map_err(|m| ApiError::new(StatusCode::UNAUTHORIZED, m))?;
    let (user, expires_at) = state.tokens.check(&state.db, token).await.map_err(|e| match e {
        crate::tokens::CheckError::Refused(r) => ApiError(StatusCode::UNAUTHORIZED, r.message, Some(r.reason), None),
        crate::tokens::CheckError::Db(crate::db::DbError::Sql(e)) => storage(e),
        crate::tokens::CheckError::Db(e) => ApiError::internal("looking up a token", &e),
    })?;
    // Rate limit per user.
    if state.checks.fetch_add(1, Ordering::Relaxed) % LIMITER_SWEEP_EVERY == LIMITER_SWEEP_EVERY - 1 {
        state.limiter.retain_recent();
        state.limiter.shrink_to_fit();
    }
    if state.limiter.check_key(&user.id).is_err() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("rate limit: at most {} requests per second per token", state.limits.rate_per_sec),
        ));
    }
    if read && !user.role.may_read() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, format!("a {} may not read the situation", user.role.name())));
    }
    Ok((user, expires_at))
}

async fn reader(state: &AppState, headers: &HeaderMap) -> ApiResult<User> {
    Ok(authenticate_token(state, headers, true).await?.0)
}

fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn health(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let head = state.db.head().await.map_err(storage)?;
    let c = crate::conn::stats();
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Json(serde_json::json!({
        "ok": true, "head": head, "instance": crate::hub::instance_id(),
        "connections": { "open": load(&c.open), "timed_out": load(&c.timed_out), "evicted": load(&c.evicted),
                         "refused": load(&c.refused) },
    }))
    .into_response())
}

async fn info(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    let (user, expires_at) = authenticate_token(&state, &headers, false).await?;
    let head = state.db.head().await.map_err(storage)?;
    let current = state.reference.current();
    let name = current.district.as_ref().map(|d| d.name.clone());
    let kind = if current.district.is_some() { "stored" } else { "none" };
    let unit = crate::units::describe(current.district.as_deref(), &user);
    Ok(Json(serde_json::json!({
        "user": user.name,
        "role": user.role,
        "unit": unit,
        "worker": user.worker,
        "token": { "expires_at": expires_at.map(|t| t.to_rfc3339()) },
        "routing": state.routing.as_ref(),
        "watch": state.watch,
        "head": head,
        "district": { "kind": kind, "seed": state.district_seed, "name": name, "version": current.version,
                      "etag": current.package.as_ref().map(|p| p.etag.clone()),
                      "package": "/v1/district", "package_version": "/v1/district/version" },
        "demo": state.demo.get(),
        "limits": { "max_body": state.limits.max_body, "max_page": state.limits.max_page,
                    "max_commands": state.limits.max_commands },
    }))
    .into_response())
}

async fn snapshot(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    let scope = scope(&state, &reader(&state, &headers).await?).await?;
    Ok(json_text(scope.snapshot(&state.db).await?))
}

/// What `user` may read now ([`crate::scoped::Scope::of`]).
async fn scope(state: &AppState, user: &User) -> ApiResult<Scope> {
    Ok(Scope::of(&state.db, state.reference.current().district.clone(), user).await?)
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<Seq>,
    limit: Option<i64>,
}

pub(crate) fn parse_query<T: serde::de::DeserializeOwned>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<T> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query string: {}", e.body_text())))
}

async fn changes(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let scope = scope(&state, &reader(&state, &headers).await?).await?;
    let q = parse_query(q)?;
    let (after, limit) = page_bounds(&state, q.after, q.limit)?;
    let head = state.db.head().await.map_err(storage)?;
    if scope.is_all() {
        let rows = state.db.changes_after(after, limit).await.map_err(storage)?;
        return Ok(json_text(change_page(&rows, head)));
    }
    // Scoped: each change as this reader gets it, and an empty withdrawal at the end of a run left out.
    let rows = state.db.changes_with_audience(after, limit).await.map_err(storage)?;
    let mut pager = crate::scoped::Pager::new(Arc::new(scope), after);
    let mut out: Vec<String> = Vec::new();
    for (seq, body, audience) in &rows {
        out.extend(pager.next(*seq, body, crate::scoped::audience(audience.as_deref()).as_ref()));
        if pager.ended() {
            break;
        }
    }
    out.extend(pager.close().map(|(_, c)| c));
    let last = rows.last().map_or(0, |r| r.0);
    Ok(json_text(format!("{{\"changes\":[{}],\"head\":{}}}", out.join(","), head.max(last))))
}

#[derive(Deserialize)]
struct TracksQuery {
    since: Option<String>,
    after: Option<Seq>,
    limit: Option<i64>,
}

/// How far back `GET /v1/tracks` reaches: a desk's replay looks back at most 31 days, and a day more leaves room for
/// its clock and the request's time on the way.
pub const TRACKS_MAX_DAYS: i64 = 32;

/// Most pages of tracks one scoped `GET /v1/tracks` reads looking for the points its reader may see.
const SCOPED_TRACK_PAGES: usize = 20;

/// `GET /v1/tracks?since=RFC3339&after=SEQ&limit=N`: the workers' thinned tracks (the `worker_moved` changes the
/// `tracks` projection kept) reported at or after `since` with seq above `after`, oldest seq first, in the same shape
/// as `/v1/changes`; a page shorter than `limit` is the last. `since` is required and at most
/// [`TRACKS_MAX_DAYS`] back.
async fn tracks(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<TracksQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let scope = scope(&state, &reader(&state, &headers).await?).await?;
    let q = parse_query(q)?;
    let since =
        q.since.as_deref().ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "since is required (RFC 3339)"))?;
    let since = chrono::DateTime::parse_from_rfc3339(since)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("since {since:?} is not an RFC 3339 time: {e}")))?
        .with_timezone(&chrono::Utc);
    let oldest = chrono::Utc::now() - chrono::Duration::days(TRACKS_MAX_DAYS);
    if since < oldest {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("since reaches back at most {TRACKS_MAX_DAYS} days (to {})", oldest.to_rfc3339()),
        ));
    }
    let (after, limit) = page_bounds(&state, q.after, q.limit)?;
    let head = state.db.head().await.map_err(storage)?;
    let Some(seen) = scope.track_workers(&state.db).await? else {
        let rows = state.db.tracks_after(since.timestamp_millis(), after, limit).await.map_err(storage)?;
        return Ok(json_text(change_page(&rows, head)));
    };
    // Scoped: the tracks of the workers this reader sees, read on until a page is full, the tracks end or
    // `SCOPED_TRACK_PAGES` pages were read; a page that stops short of `limit` ends with an empty withdrawal at the
    // last seq read, so the reader's cursor moves past what was left out (and a page shorter than `limit` is the
    // last of this pull, as for everyone).
    let mut rows: Vec<(Seq, String)> = Vec::new();
    let mut cursor = after;
    'pages: for _ in 0..SCOPED_TRACK_PAGES {
        let page = state.db.tracks_after(since.timestamp_millis(), cursor, limit).await.map_err(storage)?;
        let full = page.len() as i64 == limit;
        for (seq, body) in page {
            cursor = seq;
            if crate::scoped::moved_worker(&body).is_some_and(|w| seen.contains(&w)) {
                rows.push((seq, body));
                if rows.len() as i64 == limit {
                    break 'pages;
                }
            }
        }
        if !full {
            break;
        }
    }
    if (rows.len() as i64) < limit && cursor > rows.last().map_or(after, |r| r.0) {
        rows.push((cursor, crate::scoped::NOTHING.to_string()));
    }
    Ok(json_text(change_page(&rows, head)))
}

/// A page's cursor and length as asked (`after` 0 or more, default 0; `limit` 1 to the server's `max_page`, default
/// `max_page`), or the 400 that says which is wrong.
fn page_bounds(state: &AppState, after: Option<Seq>, limit: Option<i64>) -> ApiResult<(Seq, i64)> {
    let after = after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "after must be 0 or more"));
    }
    let limit = limit.unwrap_or(state.limits.max_page);
    if !(1..=state.limits.max_page).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be between 1 and {}", state.limits.max_page),
        ));
    }
    Ok((after, limit))
}

/// `{"changes":[{"seq":…,"body":…},…],"head":…}` from stored bodies (copied as they are, not parsed).
fn change_page(rows: &[(Seq, String)], head: Seq) -> String {
    let mut out = String::with_capacity(32 + rows.iter().map(|(_, b)| b.len() + 24).sum::<usize>());
    out.push_str("{\"changes\":[");
    for (i, (seq, body)) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("{{\"seq\":{seq},\"body\":{body}}}"));
    }
    out.push_str(&format!("],\"head\":{}}}", head.max(rows.last().map_or(0, |r| r.0))));
    out
}

async fn event(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> ApiResult<Response> {
    let scope = scope(&state, &reader(&state, &headers).await?).await?;
    let id: i64 =
        id.parse().map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, format!("{id:?} is not an event id")))?;
    // One outside the reader's view is as absent as one that does not exist.
    match state.db.event_json(id).await.map_err(storage)? {
        Some(body) if scope.sees_event(&body) => Ok(json_text(body)),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, format!("there is no event {id}"))),
    }
}

/// The newest package with the roster `user` may see, or 404 saying how to get one.
async fn package(state: &AppState, user: &User) -> ApiResult<Arc<crate::reference::Served>> {
    let served = state
        .reference
        .current()
        .package
        .clone()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, crate::error::NO_DISTRICT))?;
    let scope = scope(state, user).await?;
    if scope.is_all() {
        return Ok(served);
    }
    let packages = state.packages.clone();
    Ok(tokio::task::spawn_blocking(move || packages.for_scope(&served, &scope))
        .await
        .map_err(|e| ApiError::internal("scoping the package", &e))??)
}

/// `GET /v1/district`: the package's bytes (shared, never copied per request), or 304 when `If-None-Match` names its
/// ETag.
async fn district(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    let user = reader(&state, &headers).await?;
    let p = package(&state, &user).await?;
    let etag = HeaderValue::from_str(&p.etag).map_err(|e| ApiError::internal("the stored ETag is unusable", &e))?;
    let matches =
        headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
            |t| {
                let t = t.trim();
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == p.etag
            },
        );
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = axum::body::Body::from(p.bytes.clone()).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(pingan_package::MIME));
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(p.bytes.len()));
        r
    };
    r.headers_mut().insert(header::ETAG, etag);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// `GET /v1/district/version`: what `/v1/district` would send, without sending it.
async fn district_version(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult<Response> {
    let user = reader(&state, &headers).await?;
    let p = package(&state, &user).await?;
    Ok(Json(serde_json::json!({ "version": p.version, "etag": p.etag, "name": p.name, "bytes": p.bytes.len() }))
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandsBody {
    commands: Vec<serde_json::Value>,
}

async fn commands(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: crate::audit::Peer,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let user = authenticate(&state, &headers).await?;
    // The whole body within the body timeout and the size limit: a client that trickles it in is cut off.
    let max = state.limits.max_body;
    let timeout = state.limits.conn.body_timeout;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the limit of {max} bytes: send fewer commands per request"),
        ));
    }
    let body = match tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await {
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body did not arrive within {} s", timeout.as_secs_f64()),
            ));
        }
        Ok(Err(e)) => {
            let e = e.into_inner();
            let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
            return Err(if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over the limit of {max} bytes: send fewer commands per request"),
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, format!("could not read the request body: {e}"))
            });
        }
        Ok(Ok(b)) => b,
    };
    let cmds = parse_commands(&body, state.limits.max_commands)?;
    for (i, cmd) in cmds.iter().enumerate() {
        check_key(&cmd.key).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("command {i}: {e}")))?;
        if !user.role.may(&cmd.body) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("command {i}: a {} may not {}", user.role.name(), cmd.body.name()),
            ));
        }
    }
    if user.role == pingan_core::sync::Role::GridWorker && user.worker.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} is a grid worker whose token is not bound to a worker: `pingan-sync user bind {} --worker ID`",
                user.name, user.name
            ),
        ));
    }
    if state.reference.current().district.is_none() {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, crate::error::NO_DISTRICT));
    }
    let admin = crate::audit::admin(&user, "commands", || crate::audit::summary(cmds.iter().map(|c| c.body.name())));
    let results = state.writer.submit(user, cmds).await.map_err(|e| match e {
        SubmitError::KeyReused { .. } => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        SubmitError::Storage(incident) => ApiError::incident(incident),
        SubmitError::NoDistrict => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    })?;
    #[derive(serde::Serialize)]
    struct Answer {
        results: Vec<pingan_core::sync::CommandResult>,
    }
    peer.admin(&state.db, admin).await;
    Ok(Json(Answer { results }).into_response())
}

/// `POST /v1/readings` (`{"readings":[…]}`, sensor gateways and admins): checked whole, stored, run through the
/// warning rules; a 422 names the first bad reading and stores nothing.
async fn readings(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: crate::audit::Peer,
    body: axum::body::Body,
) -> ApiResult<Response> {
    use pingan_core::sync::Role;
    let user = authenticate(&state, &headers).await?;
    if !matches!(user.role, Role::SensorGateway | Role::Admin) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, format!("a {} may not post readings", user.role.name())));
    }
    let max = state.limits.max_body;
    let body = match tokio::time::timeout(state.limits.conn.body_timeout, axum::body::to_bytes(body, max)).await {
        Err(_) => return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time")),
        Ok(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body over the limit of {max} bytes: send fewer readings per request"),
            ));
        }
        Ok(Ok(b)) => b,
    };
    #[derive(Deserialize)]
    struct Batch {
        readings: Vec<pingan_core::sensors::Reading>,
    }
    let batch: Batch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("expected {{\"readings\": [{{sensor, at, value}}, …]}}: {e}"))
    })?;
    if batch.readings.len() > state.limits.max_commands {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} readings; at most {} per request", batch.readings.len(), state.limits.max_commands),
        ));
    }
    let Some(district) = state.reference.current().district.clone() else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, crate::error::NO_DISTRICT));
    };
    let taken =
        state.sensors.take(&state.db, &state.writer, &district, &batch.readings, chrono::Utc::now()).await.map_err(
            |e| match e {
                crate::sensors::Refusal::Bad(why) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, why),
                crate::sensors::Refusal::Storage(incident) => ApiError::incident(incident),
            },
        )?;
    let admin = crate::audit::admin(&user, "readings", || format!("{} readings", batch.readings.len()));
    peer.admin(&state.db, admin).await;
    Ok(Json(taken).into_response())
}

/// Parse `{"commands":[…]}` straight into commands; only when that fails, look closer to say which command is wrong
/// and why.
fn parse_commands(body: &[u8], max: usize) -> ApiResult<Vec<ClientCommand>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Typed {
        commands: Vec<ClientCommand>,
    }
    let cmds = match serde_json::from_slice::<Typed>(body) {
        Ok(t) => t.commands,
        Err(first) => {
            let parsed: CommandsBody = serde_json::from_slice(body).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("malformed JSON: {e} (expected {{\"commands\": [...]}})"),
                )
            })?;
            if parsed.commands.len() > max {
                return Err(too_many(parsed.commands.len(), max));
            }
            for (i, v) in parsed.commands.into_iter().enumerate() {
                let type_name = v.get("body").and_then(|b| b.get("type")).and_then(|t| t.as_str()).map(str::to_string);
                if let Err(e) = serde_json::from_value::<ClientCommand>(v) {
                    let msg = e.to_string();
                    return Err(match type_name {
                        Some(t) if msg.contains("unknown variant") => ApiError::new(
                            StatusCode::BAD_REQUEST,
                            format!("command {i}: unknown command {t:?} ({msg})"),
                        ),
                        _ => ApiError::new(StatusCode::BAD_REQUEST, format!("command {i}: {msg}")),
                    });
                }
            }
            return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("malformed request: {first}")));
        }
    };
    if cmds.len() > max {
        return Err(too_many(cmds.len(), max));
    }
    Ok(cmds)
}

fn too_many(n: usize, max: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("{n} commands in one request; at most {max}"))
}

#[derive(Deserialize)]
struct EnrolBody {
    code: String,
}

/// `POST /v1/enrol {"code"}`: a one-time code exchanged for a token of the grid worker it was made for; a refused
/// code answers 403 with its `reason` (an unknown one counts as a failed login for the address).
async fn enrol(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> ApiResult<Response> {
    let b: EnrolBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("expected {{\"code\": \"…\"}}: {e}")))?;
    match crate::enrol::redeem(&state.db, &b.code, chrono::Utc::now()).await {
        Ok((user, token)) => {
            Ok(Json(serde_json::json!({ "token": token, "user": user.name, "worker": user.worker })).into_response())
        }
        Err(e) => match e.reason() {
            Some(reason) => Err(ApiError(StatusCode::FORBIDDEN, e.to_string(), Some(reason), None)),
            None => Err(ApiError::internal("redeeming an enrolment code", &e)),
        },
    }
}

#[derive(Deserialize)]
struct StreamQuery {
    after: Option<Seq>,
}

/// `GET /v1/stream?after=N`.
async fn stream(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let (user, expires_at) = authenticate_token(&state, &headers, true).await?;
    let scope = scope(&state, &user).await?;
    let q = parse_query(q)?;
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<Seq>().ok());
    let after = q.after.or(last_event_id).unwrap_or(0).max(0);
    let rx = state.hub.subscribe();
    // A stream ends when its token does: the client reconnects and hears why (401 `expired`).
    let left = expires_at.map_or(Duration::MAX, |at| (at - chrono::Utc::now()).to_std().unwrap_or_default());
    let ends = tokio::time::sleep(left.min(Duration::from_secs(100 * 365 * 86_400)));
    let s = futures_util::StreamExt::take_until(
        crate::stream::live_stream(state.db.clone(), state.limits.stream_page, Arc::new(scope), after, rx),
        ends,
    );
    tracing::debug!("live stream opened after seq {after}");
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_follows_the_limits_and_odd_limits_neither_panic_nor_lock_out() {
        let q = Limits { rate_per_sec: 5.0, burst: 8.0, ..Limits::default() }.quota();
        assert_eq!((q.replenish_interval(), q.burst_size().get()), (Duration::from_millis(200), 8));
        let q = Limits { rate_per_sec: 0.5, burst: 2.5, ..Limits::default() }.quota();
        assert_eq!((q.replenish_interval(), q.burst_size().get()), (Duration::from_secs(2), 2));
        // A burst of 3 and (next to) no refill: three requests, then 429.
        let limiter = DefaultKeyedRateLimiter::<i64>::keyed(
            Limits { rate_per_sec: 1e-3, burst: 3.0, ..Limits::default() }.quota(),
        );
        assert_eq!((0..4).map(|_| limiter.check_key(&7).is_ok()).collect::<Vec<_>>(), [true, true, true, false]);
        assert!(limiter.check_key(&8).is_ok(), "each user has their own bucket");
        for (rate, burst) in
            [(0.0, 0.0), (-1.0, 5.0), (f64::NAN, f64::NAN), (f64::INFINITY, 1e12), (1e9, 1e9), (1e-30, 4e9)]
        {
            let limiter = DefaultKeyedRateLimiter::<i64>::keyed(
                Limits { rate_per_sec: rate, burst, ..Limits::default() }.quota(),
            );
            assert!(limiter.check_key(&1).is_ok(), "rate {rate}, burst {burst}: the first request passes");
            limiter.retain_recent();
        }
    }
}
