//! The link to the server: a background thread that keeps the cache in step with the server's log and sends the
//! outbox, and a handle the UI polls.
//!
//! ```text
//!   UI thread                          link thread (tokio, current-thread)
//!   Link::submit ──► outbox (SQLite) ──► POST /v1/commands ──► settle: applied → removed, refused → Update::Refused
//!   Link::poll   ◄── Update::Changes ◄── snapshot / pages / SSE stream ──► Cache::apply_checked (rows + seq)
//!   Link::status ◄── LinkStatus (online / reconnecting / offline, last sync, outbox length, held commands)
//! ```
//!
//! Ordering rule: the link thread applies change `n + 1` only right after `n`. A change at or below its seq is a
//! duplicate and skipped; a change beyond `n + 1` means it missed something, so it drops the stream and pulls the gap
//! with `GET /v1/changes`. So the cache never has a gap and never applies a change twice.
//!
//! Fit rule: given the district ([`LinkConfig::district`]), the link checks every cached record, snapshot record and
//! change against it ([`pingan_core::validate`]) and skips — whole, never half-way — what does not fit; the reasons
//! wait in [`Link::take_skipped`] and the count is in [`LinkStatus::skipped`].
//!
//! District rule: with [`LinkConfig::fetch_district`], each session first asks for the server's district package
//! (`GET /v1/district` with the kept one's ETag: a 304 costs a few bytes), keeps a new one in the cache before using
//! it, checks what arrives against it from then on, and sends it up as [`Update::District`]; when it changed, the
//! cached situation (checked against the old district) is set aside for a fresh snapshot. [`Link::start`] hands
//! out the kept package, so a desktop starts on its district with the server down.
//!
//! Identity rule: each session first asks the server whose token this is (`GET /v1/info`), and only then sends the
//! outbox — only the commands queued for this server with this token or by this user ([`Cache::outbox_for`]).
//! Commands of another server or identity are kept and listed in [`LinkStatus::held`].

use crate::api::ApiError;
use crate::cache::{Cache, CacheError, Cached, Identity, Refused};
use pingan_core::sync::{ClientCommand, CommandBody, Seq};
use pingan_core::{Situation, Timestamp};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod config;
mod district;
mod outbox;
mod session;
mod status;
mod tracks;

pub use config::{LinkConfig, Waker, wake};
pub use status::{LinkState, LinkStatus, Rights, Update};

/// The UI's handle.
pub struct Link {
    status: Arc<Mutex<LinkStatus>>,
    updates: mpsc::Receiver<Update>,
    outbox: Mutex<Cache>,
    me: Arc<Mutex<Identity>>,
    skipped: Arc<Mutex<Vec<String>>>,
    wake: tokio::sync::mpsc::UnboundedSender<()>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Link {
    /// Open the cache, return what it holds (to show at once), and start syncing in the background.
    ///
    /// A cache last synced from another server does not show that server's situation as this one's: its events and
    /// workers are set aside ([`Cached::other_server`] names it) and a snapshot is taken; its outbox stays, held for
    /// its own server. Cached records that do not fit [`LinkConfig::district`] are left out
    /// ([`Cached::skipped`]).
    pub fn start(config: LinkConfig) -> Result<(Link, Cached), CacheError> {
        let mut cache = Cache::open(&config.cache)?;
        let mut me = Identity::new(&config.url, &config.token);
        let mut other_server = None;
        match cache.origin()? {
            Some(o) if o.server != me.server => {
                tracing::warn!(
                    "cache {} was synced from {}, not {}: its situation is set aside, its outbox kept",
                    config.cache.display(),
                    o.server,
                    me.server
                );
                cache.forget_situation()?;
                other_server = Some(o.server);
            }
            // The same token: the server told an earlier run whose it is.
            Some(o) if o.token_hash == me.token_hash => me.user = o.user,
            _ => {}
        }
        if other_server.is_some() {
            cache.forget_package()?;
        }
        cache.set_origin(&me)?;
        let mut cached = cache.load()?;
        cached.other_server = other_server;
        if config.track_days > 0 {
            cached.tracks = cache.tracks(config.tracks_from())?;
        }
        let mut config = config;
        let mut package_etag = None;
        if config.fetch_district
            && let Some((tag, bytes)) = cache.package()?
        {
            match pingan_package::decode(&bytes) {
                Ok(p) => {
                    config.district = Some(Arc::new(p.district.clone()));
                    package_etag = Some(tag);
                    cached.package = Some(Box::new(p));
                }
                Err(e) => {
                    tracing::warn!("cache {}: the kept district package does not read: {e}", config.cache.display());
                    cached.package_error = Some(e.to_string());
                    cache.forget_package()?;
                }
            }
        }
        if let Some(d) = &config.district {
            cached.skipped.extend(pingan_core::validate::retain_fitting(&mut cached.situation, d));
        }
        for why in &cached.skipped {
            tracing::warn!("cache {}: left out: {why}", config.cache.display());
        }
        let ui_cache = Cache::open(&config.cache)?;
        let status = Arc::new(Mutex::new(LinkStatus {
            state: LinkState::Connecting,
            last_sync: None,
            seq: cached.seq,
            outbox: cache.outbox_len_for(&me)?,
            held: cache.held(&me)?,
            user: me.user.clone(),
            refused: cache.refused()?.len(),
            skipped: cached.skipped.len(),
            last_error: None,
            download: None,
            district_version: cached.package.as_ref().map(|p| p.meta.version),
            // What this token's user may do, as the server said last time (until it says again).
            rights: cache.info(&me.token_hash)?.as_ref().and_then(Rights::from_info),
            token_refused: None,
            token_expires: cache.info(&me.token_hash)?.as_ref().and_then(status::token_expiry),
        }));
        let me = Arc::new(Mutex::new(me));
        let skipped = Arc::new(Mutex::new(Vec::new()));
        let (tx, updates) = mpsc::channel();
        let (wake, wake_rx) = tokio::sync::mpsc::unbounded_channel();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = Worker {
            waker: config.waker.clone(),
            config,
            cache,
            mirror: cached.situation.clone(),
            seq: cached.seq,
            status: status.clone(),
            me: me.clone(),
            skipped: skipped.clone(),
            tx,
            wake: wake_rx,
            stop: stop.clone(),
            failures: 0,
            package_etag,
        };
        let thread = std::thread::Builder::new().name("pingan-link".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(worker.run()),
                Err(e) => tracing::error!("link: no runtime: {e}"),
            }
        })?;
        let link =
            Link { status, updates, outbox: Mutex::new(ui_cache), me, skipped, wake, stop, thread: Some(thread) };
        Ok((link, cached))
    }

    /// Queue a command as the current identity: stored in the outbox before this returns, sent when the link is up.
    pub fn submit(&self, body: CommandBody, at: Timestamp) -> Result<ClientCommand, CacheError> {
        let cmd = ClientCommand { key: new_key(), at, body };
        let me = self.identity();
        let cache = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        cache.push_outbox(&cmd, &me)?;
        let n = cache.outbox_len_for(&me)?;
        drop(cache);
        if let Ok(mut s) = self.status.lock() {
            s.outbox = n;
        }
        self.wake.send(()).ok();
        Ok(cmd)
    }

    /// Commands still waiting to be sent as the current identity, oldest first (the ones held for another server
    /// or identity are not among them: they are in [`LinkStatus::held`]).
    pub fn pending(&self) -> Vec<ClientCommand> {
        let me = self.identity();
        let cache = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        cache.outbox_for(&me, usize::MAX >> 1).unwrap_or_default()
    }

    /// Who the link sends as: the server, the token's hash and — once the server has said — the user.
    pub fn identity(&self) -> Identity {
        self.me.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Why the records skipped since the last call were skipped (snapshot records and changes that do not fit the
    /// district), oldest first. Also logged. At most [`MAX_SKIPPED_KEPT`] wait; the count is in
    /// [`LinkStatus::skipped`].
    pub fn take_skipped(&self) -> Vec<String> {
        std::mem::take(&mut *self.skipped.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Commands the server refused, oldest first.
    pub fn refused(&self) -> Vec<Refused> {
        let cache = self.outbox.lock().unwrap_or_else(|p| p.into_inner());
        cache.refused().unwrap_or_default()
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Everything the link thread has sent since the last poll.
    pub fn poll(&self) -> Vec<Update> {
        self.updates.try_iter().collect()
    }

    /// Wait up to `timeout` for the next update (tests).
    pub fn wait(&self, timeout: Duration) -> Option<Update> {
        self.updates.recv_timeout(timeout).ok()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.send(()).ok();
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

/// How many reasons for skipped records wait for [`Link::take_skipped`] at most (the oldest are dropped beyond).
pub const MAX_SKIPPED_KEPT: usize = 1000;

/// A fresh idempotency key: the time in microseconds, then 64 random bits (`c-<time>-<random>`). Unique like a
/// random key, but keys made one after another sort together, so the server's key index grows at its end instead
/// of touching a random page per command.
pub fn new_key() -> String {
    use rand::RngCore as _;
    let micros = chrono::Utc::now().timestamp_micros();
    format!("c-{micros:014x}-{:016x}", rand::rng().next_u64())
}

/// The link thread's side: the cache, the situation as of its seq, and what it shares with the [`Link`].
struct Worker {
    config: LinkConfig,
    cache: Cache,
    mirror: Situation,
    seq: Seq,
    status: Arc<Mutex<LinkStatus>>,
    me: Arc<Mutex<Identity>>,
    skipped: Arc<Mutex<Vec<String>>>,
    tx: mpsc::Sender<Update>,
    waker: Option<Waker>,
    wake: tokio::sync::mpsc::UnboundedReceiver<()>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    failures: u32,
    /// The ETag of the district package in use (`None`: none yet).
    package_etag: Option<String>,
}

/// Why a session ended.
#[derive(Debug)]
enum End {
    Api(ApiError),
    Cache(CacheError),
    Gap(Seq, Seq),
    Reset(Seq, Seq),
    /// The server said at this seq that the user's view changed: a fresh snapshot follows.
    Rescoped(Seq),
    Package(String),
    Stopped,
}

impl From<ApiError> for End {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}
impl From<CacheError> for End {
    fn from(e: CacheError) -> Self {
        Self::Cache(e)
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(e) => write!(f, "{e}"),
            Self::Cache(e) => write!(f, "{e}"),
            Self::Gap(have, got) => write!(f, "stream skipped from {have} to {got}; pulling the gap"),
            Self::Reset(have, head) => {
                write!(f, "the server's log ends at {head} but the cache is at {have}: the server was reset; resyncing")
            }
            Self::Rescoped(seq) => write!(f, "what this user may see changed at change {seq}: taking a fresh snapshot"),
            Self::Package(e) => write!(f, "the server's district package: {e}"),
            Self::Stopped => write!(f, "stopped"),
        }
    }
}

#[cfg(test)]
mod tests;
