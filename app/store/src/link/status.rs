//! What the link shows: its state and counts for the header, the rights `/v1/info` grants, and the updates it
//! sends up.

use crate::cache::{Held, Refused};
use pingan_core::Timestamp;
use pingan_core::sync::{Change, Seq, Snapshot};

/// The state of the link, for the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Connecting for the first time.
    Connecting,
    /// Synced and receiving live changes.
    Online,
    /// Lost the server; trying again.
    Reconnecting,
    /// Several tries failed; working on the cache, still trying now and then.
    Offline,
}

/// What the header shows.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkStatus {
    /// Connection state.
    pub state: LinkState,
    /// When the cache last caught up with the server.
    pub last_sync: Option<Timestamp>,
    /// The last change in the cache.
    pub seq: Seq,
    /// Commands waiting to be sent as the current identity.
    pub outbox: usize,
    /// Commands queued for another server or by another identity: kept in the outbox, not sent as this one.
    pub held: Vec<Held>,
    /// The user the server says the token belongs to, once known (`GET /v1/info`, or remembered from an earlier
    /// run with the same token).
    pub user: Option<String>,
    /// Commands the server refused (kept in the cache for the operator).
    pub refused: usize,
    /// Records (cached, snapshot or change) skipped because they do not fit the district, since the start.
    pub skipped: usize,
    /// The last problem, for a tooltip.
    pub last_error: Option<String>,
    /// A district package download in progress: bytes received and, when the server said, the total.
    pub download: Option<(u64, Option<u64>)>,
    /// The version of the district package in use (kept or downloaded), when the link fetches it.
    pub district_version: Option<u64>,
    /// What the server says this user may do (`GET /v1/info`: role, room unit, routing rules), once known.
    pub rights: Option<Rights>,
    /// The server refused the token, in words ("令牌已过期 (…)，请联系管理员", "账号已停用", or its message); cleared
    /// when it is accepted again.
    pub token_refused: Option<String>,
    /// When the token ends, as `/v1/info` says (`None`: never, an older server, or not known yet).
    pub token_expires: Option<Timestamp>,
}

impl LinkStatus {
    /// In how many days the token ends, when that is within a week of `now` (rounded up, at least 1).
    pub fn expires_in_days(&self, now: Timestamp) -> Option<i64> {
        let left = self.token_expires? - now;
        if left <= chrono::Duration::zero() || left > chrono::Duration::days(7) {
            return None;
        }
        Some((left.num_seconds() + 86_399) / 86_400)
    }

    /// "令牌 N 天后到期" when the token ends within a week of `now`.
    pub fn expiry_warning(&self, now: Timestamp) -> Option<String> {
        self.expires_in_days(now).map(|days| format!("令牌 {days} 天后到期"))
    }
}

/// When the token ends, from `/v1/info`'s answer (`token.expires_at`).
pub fn token_expiry(info: &serde_json::Value) -> Option<Timestamp> {
    let at = info.pointer("/token/expires_at")?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(at).ok().map(|t| t.to_utc())
}

/// A user's role, the unit whose room they sit in, and the routing rules and watch thresholds the server applies, as
/// `/v1/info` tells them: enough for the desktop to grey out what the server would refuse, to time deadlines as it
/// does, and to call a grid a void when every other desk of this server does. Kept in the cache with the rest of the
/// answer, so a desk restarted with the server down still has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Rights {
    /// Their role.
    pub role: pingan_core::sync::Role,
    /// Their room's unit (`District` when the server names none).
    pub unit: pingan_core::UnitRef,
    /// The server's routing rules (`None`: an older server; the shipped ones apply).
    pub routing: Option<std::sync::Arc<pingan_core::routing::RoutingConfig>>,
    /// The server's watch thresholds (`--watch`: coverage voids, stale positions, 数据中断); `None`: an older server,
    /// or thresholds that do not read or are out of range — the desk's own apply.
    pub watch: Option<pingan_core::coverage::WatchConfig>,
}

impl Rights {
    /// Read them from `/v1/info`'s answer; `None` when it names no role. Fields that do not parse are left out
    /// (logged), never trusted half-read.
    pub fn from_info(info: &serde_json::Value) -> Option<Rights> {
        let role: pingan_core::sync::Role = serde_json::from_value(info.get("role")?.clone()).ok()?;
        let unit = match info.get("unit").and_then(|u| u.get("unit")) {
            Some(u) => serde_json::from_value(u.clone()).unwrap_or_else(|e| {
                tracing::warn!("/v1/info: unit {u} does not read ({e}); taken as the district");
                pingan_core::UnitRef::District
            }),
            None => pingan_core::UnitRef::District,
        };
        let routing = info.get("routing").and_then(|r| match serde_json::from_value(r.clone()) {
            Ok(c) => Some(std::sync::Arc::new(c)),
            Err(e) => {
                tracing::warn!("/v1/info: the routing rules do not read ({e}); the shipped ones apply");
                None
            }
        });
        let watch = info.get("watch").and_then(|w| {
            match serde_json::from_value::<pingan_core::coverage::WatchConfig>(w.clone()) {
                Ok(c) => match c.check() {
                    Ok(()) => Some(c),
                    Err(e) => {
                        tracing::warn!("/v1/info: the watch thresholds are refused ({e}); the desk's own apply");
                        None
                    }
                },
                Err(e) => {
                    tracing::warn!("/v1/info: the watch thresholds do not read ({e}); the desk's own apply");
                    None
                }
            }
        });
        Some(Rights { role, unit, routing, watch })
    }
}

/// What the link thread tells the UI.
#[derive(Clone, Debug)]
pub enum Update {
    /// Start over from this situation (the first sync of an empty cache).
    Snapshot(Box<Snapshot>),
    /// Apply these changes, in order.
    Changes(Vec<Change>),
    /// The server refused a command (for example: the event was closed meanwhile). Also kept in the cache.
    Refused(Refused),
    /// An event's authoritative record, fetched after one of our commands on it was refused.
    Event(Box<pingan_core::Event>),
    /// The authoritative records (as of the cache's seq) of the events the last `Changes` touched: a UI that shows
    /// optimistic local steps replaces its copies with these and re-applies what is still in the outbox.
    Events(Vec<pingan_core::Event>),
    /// The server's district package changed (or arrived for the first time): already kept in the cache, and what
    /// the link checks records against from now on. A snapshot follows when the district changed.
    District(Box<pingan_package::Package>),
    /// Workers' track points from the server's thinned tracks (`worker_moved` changes, older than the live stream's
    /// and already kept in the cache): for replays, not to apply to the situation.
    Tracks(Vec<Change>),
    /// The server is there and the live stream flows, with nothing to apply: the stream opened, or brought a
    /// keep-alive (the server sends one every 15 s when it has no change to send). Every other update proves the
    /// same; a desk that has heard nothing for a while shows 数据中断.
    Alive,
}
