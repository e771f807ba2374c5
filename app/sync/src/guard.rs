//! Guessing: failed logins counted per client address, before any token is looked up.
//!
//! Every answer that refused an unknown or revoked token (401 reason `unknown`; not a missing header, not an expired
//! token or a disabled user — those are real tokens, and a desk left with one should not lock out its office) counts
//! one failure for the client's address in a `governor` limiter keyed by IP: `--failed-logins` a minute (10), all at
//! once or spread. The failure past that answers 429, and so does every request from the address — a good token's
//! too, so a guesser learns nothing while limited — until the limiter has room again (a minute for a full burst,
//! one failure's worth every 60/N s). The address comes from [`axum::extract::ConnectInfo`], which
//! [`crate::conn`] puts on each request; a request without it (a router driven in a test) is not counted.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Put on a response that refused an unknown token: the guard counts it.
#[derive(Clone, Copy, Debug)]
pub struct FailedLogin;

/// Failed logins per address, and the addresses limited now.
pub struct Guard {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    failures: AtomicU32,
}

/// Forget addresses idle long enough every this many failures.
const SWEEP_EVERY: u32 = 1024;

impl Guard {
    /// At most `per_minute` failed logins a minute from one address (at least 1).
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
            blocked: Mutex::default(),
            failures: AtomicU32::new(0),
        }
    }

    /// How long `ip` is still limited, if it is.
    pub fn blocked_for(&self, ip: IpAddr) -> Option<Duration> {
        let mut blocked = self.blocked.lock().ok()?;
        let until = *blocked.get(&ip)?;
        let left = until.checked_duration_since(Instant::now());
        if left.is_none() {
            blocked.remove(&ip);
        }
        left
    }

    /// Count a failed login from `ip`; `Some(wait)` when it is one too many (the address is limited for `wait`).
    pub fn failed(&self, ip: IpAddr) -> Option<Duration> {
        if self.failures.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        let wait = self.limiter.check_key(&ip).err()?.wait_time_from(self.clock.now()).max(Duration::from_secs(1));
        let mut blocked = self.blocked.lock().ok()?;
        if blocked.len() >= 10_000 {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(ip, Instant::now() + wait);
        Some(wait)
    }
}

/// The 429 a limited address gets.
fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil() as u64;
    let body = serde_json::json!({
        "error": format!("too many failed logins from this address; wait {secs} s"),
        "reason": "failed_logins",
    });
    let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    r.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
    r
}

/// The middleware: refuse a limited address before the route runs; count the route's refusals of unknown tokens.
pub async fn check(State(guard): State<std::sync::Arc<Guard>>, req: Request, next: Next) -> Response {
    let Some(ip) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return next.run(req).await;
    };
    if let Some(wait) = guard.blocked_for(ip) {
        return too_many(wait);
    }
    let resp = next.run(req).await;
    if resp.extensions().get::<FailedLogin>().is_some()
        && let Some(wait) = guard.failed(ip)
    {
        tracing::warn!("{ip}: too many failed logins; limited for {} s", wait.as_secs());
        return too_many(wait);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failure_past_the_quota_limits_the_address_and_only_it() {
        let guard = Guard::new(3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(guard.failed(a), None);
        }
        assert!(guard.blocked_for(a).is_none());
        let wait = guard.failed(a).expect("the fourth failure is one too many");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(guard.blocked_for(a).is_some());
        assert!(guard.blocked_for(b).is_none());
        assert_eq!(guard.failed(b), None);
    }
}
