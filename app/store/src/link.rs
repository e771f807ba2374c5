//! The link to the server: a background thread that keeps the cache in step with the server's log and sends the
//! outbox, and a handle the UI polls.
//!
//! ```text
//!   UI thread                          link thread (tokio, current-thread)
//!   Link::submit ──► outbox (SQLite) ──► POST /v1/commands ──► settle: applied → removed, refused → Update::Refused
//!   Link::poll   ◄── Update::Changes ◄── snapshot / pages / SSE stream ──► Cache::apply (situation rows + seq)
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

use crate::api::{Api, ApiError};
use crate::cache::{Cache, CacheError, Cached, Held, Identity, Refused};
use pingan_core::sync::{Change, ClientCommand, CommandBody, Outcome, Seq, Snapshot};
use pingan_core::{District, Situation, Timestamp};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where to sync from.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// Server base URL, e.g. `http://127.0.0.1:7878`.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// The cache file.
    pub cache: PathBuf,
    /// Changes per page when catching up.
    pub page: usize,
    /// Commands per request when sending the outbox.
    pub batch: usize,
    /// The district the server's events and workers must fit (`None`: nothing is checked). Records of the cache, of
    /// a snapshot or of a change that do not fit are skipped and reported.
    pub district: Option<Arc<District>>,
    /// Download the server's district package, keep it in the cache, check on every connect whether it changed, and
    /// check records against it (a `district` given here is used until a package is kept or downloaded).
    pub fetch_district: bool,
    /// Days of the workers' tracks to keep for replays (`0`: none): the link pulls the server's thinned tracks
    /// (`/v1/tracks`) on every connect and every few minutes, keeps them in the cache for that long, and hands them
    /// on as [`Update::Tracks`].
    pub track_days: u32,
    /// Called (on the link thread) after each update is queued, so that a UI that repaints only on change wakes up
    /// to [`Link::poll`] it (`None`: the owner polls on its own schedule).
    pub waker: Option<Waker>,
}

/// How often a connected link pulls the server's thinned tracks.
const TRACKS_EVERY: Duration = Duration::from_secs(300);

impl LinkConfig {
    /// The earliest report the kept tracks reach back to.
    fn tracks_from(&self) -> Timestamp {
        chrono::Utc::now() - chrono::Duration::days(i64::from(self.track_days))
    }
}

/// A callback that tells the link's owner an update is waiting (e.g. `egui::Context::request_repaint`).
#[derive(Clone)]
pub struct Waker(pub Arc<dyn Fn() + Send + Sync>);

impl Waker {
    /// Tell the owner.
    pub fn wake(&self) {
        (self.0)()
    }
}

/// Tell the owner, if it gave a waker.
pub fn wake(waker: &Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

impl LinkConfig {
    /// A configuration with the usual page and batch sizes, checking nothing against a district.
    pub fn new(url: &str, token: &str, cache: PathBuf) -> Self {
        Self {
            url: url.to_string(),
            token: token.to_string(),
            cache,
            page: 10_000,
            batch: 500,
            district: None,
            fetch_district: false,
            track_days: 0,
            waker: None,
        }
    }

    /// The same, keeping `days` days of the workers' tracks (see [`LinkConfig::track_days`]).
    pub fn with_tracks(mut self, days: u32) -> Self {
        self.track_days = days;
        self
    }

    /// The same, taking the district from the server (see [`LinkConfig::fetch_district`]).
    pub fn fetching_district(mut self) -> Self {
        self.fetch_district = true;
        self
    }

    /// The same, calling `waker` after each update the link queues.
    pub fn with_waker(mut self, waker: impl Fn() + Send + Sync + 'static) -> Self {
        self.waker = Some(Waker(Arc::new(waker)));
        self
    }

    /// The same, checking what arrives against `district`.
    pub fn with_district(mut self, district: Arc<District>) -> Self {
        self.district = Some(district);
        self
    }
}

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
}

/// A user's role, the unit whose room they sit in, and the routing rules the server applies, as `/v1/info` tells
/// them: enough for the desktop to grey out what the server would refuse and to time deadlines as it does.
#[derive(Clone, Debug, PartialEq)]
pub struct Rights {
    /// Their role.
    pub role: pingan_core::sync::Role,
    /// Their room's unit (`District` when the server names none).
    pub unit: pingan_core::UnitRef,
    /// The server's routing rules (`None`: an older server; the shipped ones apply).
    pub routing: Option<std::sync::Arc<pingan_core::routing::RoutingConfig>>,
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
        Some(Rights { role, unit, routing })
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
}

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
            Self::Package(e) => write!(f, "the server's district package: {e}"),
            Self::Stopped => write!(f, "stopped"),
        }
    }
}

impl Worker {
    /// Queue an update for the owner and wake it.
    fn send(&self, update: Update) {
        if self.tx.send(update).is_ok() {
            self.wake();
        }
    }

    /// Wake the owner: something it shows changed (an update, the status, skipped records).
    fn wake(&self) {
        wake(&self.waker);
    }

    fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn set(&self, f: impl FnOnce(&mut LinkStatus)) {
        if let Ok(mut s) = self.status.lock() {
            let before = s.clone();
            f(&mut s);
            if *s == before {
                return;
            }
        }
        self.wake();
    }

    fn me(&self) -> Identity {
        self.me.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Log records that were skipped, keep the reasons for the UI, count them.
    fn report_skipped(&self, reasons: Vec<String>) {
        if reasons.is_empty() {
            return;
        }
        let n = reasons.len();
        for why in &reasons {
            tracing::warn!("link to {}: skipped: {why}", self.config.url);
        }
        self.wake();
        let mut kept = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        kept.extend(reasons);
        let over = kept.len().saturating_sub(MAX_SKIPPED_KEPT);
        kept.drain(..over);
        drop(kept);
        self.set(|s| s.skipped += n);
    }

    /// Ask the server whose the token is, mark the outbox rows queued with it as that user's, and refresh what is
    /// held. A server without `/v1/info` (404) leaves the token's hash alone to decide.
    async fn learn_identity(&mut self, api: &Api) -> Result<(), End> {
        let (user, rights) = match api.info().await {
            Ok(info) => {
                let token_hash = self.me.lock().unwrap_or_else(|p| p.into_inner()).token_hash.clone();
                self.cache.set_info(&token_hash, &info)?;
                // Pages no longer than the server serves (a smaller --max-page answers a bigger one with 400).
                if let Some(max) = info.pointer("/limits/max_page").and_then(|v| v.as_u64()).filter(|m| *m > 0) {
                    self.config.page = self.config.page.min(max as usize);
                }
                (
                    info.get("user")
                        .and_then(|u| u.as_str())
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(String::from),
                    Rights::from_info(&info),
                )
            }
            Err(ApiError::Rejected(404, _)) => (None, None),
            Err(e) => return Err(e.into()),
        };
        let me = {
            let mut me = self.me.lock().unwrap_or_else(|p| p.into_inner());
            if user.is_some() {
                me.user = user;
            }
            me.clone()
        };
        let marked = self.cache.learn_user(&me)?;
        if marked > 0 {
            tracing::info!("{marked} queued commands marked as {:?}'s", me.user);
        }
        let (held, outbox) = (self.cache.held(&me)?, self.cache.outbox_len_for(&me)?);
        if !held.is_empty() {
            let n: usize = held.iter().map(|h| h.count).sum();
            tracing::warn!("{n} queued commands belong to another server or identity: held, not sent");
        }
        self.set(|s| {
            s.user = me.user.clone();
            s.held = held;
            s.outbox = outbox;
            if rights.is_some() {
                s.rights = rights;
            }
        });
        Ok(())
    }

    async fn run(mut self) {
        let api = match Api::new(&self.config.url, &self.config.token) {
            Ok(a) => a,
            Err(e) => {
                self.set(|s| {
                    s.state = LinkState::Offline;
                    s.last_error = Some(e.to_string());
                });
                return;
            }
        };
        while !self.stopped() {
            let end = self.session(&api).await;
            if self.stopped() {
                break;
            }
            if let Err(e) = end {
                self.failures += 1;
                let msg = e.to_string();
                tracing::warn!("link to {}: {msg}", self.config.url);
                let failures = self.failures;
                self.set(|s| {
                    s.state = if failures >= 3 { LinkState::Offline } else { LinkState::Reconnecting };
                    s.last_error = Some(msg);
                });
                if matches!(e, End::Gap(..) | End::Reset(..)) {
                    continue;
                }
            }
            // Back off: 0.25 s, 0.5 s, 1 s, … up to 5 s; an operator action wakes us at once.
            let delay = Duration::from_millis((250u64 << self.failures.min(5)).min(5000));
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.wake.recv() => {}
            }
        }
    }

    /// Connect, catch up, then stream and send until something breaks.
    async fn session(&mut self, api: &Api) -> Result<(), End> {
        self.learn_identity(api).await?;
        if self.config.fetch_district {
            self.sync_district(api).await?;
        }
        if self.seq == 0 {
            let mut snap = api.snapshot().await?;
            if let Some(d) = &self.config.district {
                let dropped = pingan_core::validate::retain_fitting(&mut snap.situation, d);
                self.report_skipped(dropped.into_iter().map(|why| format!("snapshot: {why}")).collect());
            }
            self.cache.replace(&snap)?;
            self.seq = snap.seq;
            self.mirror = snap.situation.clone();
            self.send(Update::Snapshot(Box::new(snap)));
        }
        self.catch_up(api).await?;
        self.flush(api).await?;
        self.pull_tracks_or_tell(api).await?;
        let mut stream = api.stream(self.seq).await?;
        self.failures = 0;
        let now = chrono::Utc::now();
        let seq = self.seq;
        self.set(|s| {
            s.state = LinkState::Online;
            s.last_sync = Some(now);
            s.seq = seq;
            s.last_error = None;
        });
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        // The server keeps a track point per worker per five minutes: pull them about as often.
        let mut tracks = tokio::time::interval_at(tokio::time::Instant::now() + TRACKS_EVERY, TRACKS_EVERY);
        loop {
            if self.stopped() {
                return Err(End::Stopped);
            }
            tokio::select! {
                // The server sends a keep-alive every 15 s: 45 s of silence means a dead connection.
                next = tokio::time::timeout(Duration::from_secs(45), stream.next()) => {
                    let next = next.map_err(|_| ApiError::Network("no data from the stream for 45 s".into()))?;
                    let Some(first) = next? else { return Err(End::Api(ApiError::Network("the server closed the stream".into()))) };
                    // Take whatever else is already buffered, then apply as one page.
                    let mut batch = vec![first];
                    while batch.len() < 2000 {
                        match tokio::time::timeout(Duration::from_millis(5), stream.next()).await {
                            Ok(Ok(Some(c))) => batch.push(c),
                            Ok(Ok(None)) | Err(_) => break,
                            Ok(Err(e)) => return Err(e.into()),
                        }
                    }
                    self.accept(batch)?;
                }
                _ = self.wake.recv() => self.flush(api).await?,
                _ = tick.tick() => self.flush(api).await?,
                _ = tracks.tick() => self.pull_tracks_or_tell(api).await?,
            }
        }
    }

    /// [`Worker::pull_tracks`], whose failure (a slow or refusing server) is logged and left for the next pull:
    /// the replay's past never holds up the live stream. Only a stop ends the session.
    async fn pull_tracks_or_tell(&mut self, api: &Api) -> Result<(), End> {
        match self.pull_tracks(api).await {
            Err(End::Stopped) => Err(End::Stopped),
            Err(e) => {
                tracing::warn!("link to {}: tracks not pulled (tried again in 5 minutes): {e}", self.config.url);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    /// Pull the server's thinned tracks newer than the cache's, keep them there and hand them on (nothing when
    /// [`LinkConfig::track_days`] is 0). A server that has no `/v1/tracks` (older than this client) ends it quietly.
    async fn pull_tracks(&mut self, api: &Api) -> Result<(), End> {
        if self.config.track_days == 0 {
            return Ok(());
        }
        let from = self.config.tracks_from();
        let limit = self.config.page.max(1);
        loop {
            if self.stopped() {
                return Err(End::Stopped);
            }
            let after = self.cache.tracks_seq()?;
            let page = match api.tracks(from, after, limit).await {
                Ok(p) => p,
                Err(ApiError::Rejected(404, _)) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let n = page.changes.len();
            let last = page.changes.last().map_or(after, |c| c.seq.max(after));
            // Checked like any change: a worker the situation knows, at a position in the worker's grids.
            let mut left_out = Vec::new();
            let fitting: Vec<Change> = page
                .changes
                .into_iter()
                .filter(|c| {
                    matches!(c.body, pingan_core::sync::ChangeBody::WorkerMoved { .. })
                        && self.config.district.as_ref().is_none_or(|d| {
                            pingan_core::validate::check_change(&c.body, d, &self.mirror)
                                .map_err(|why| left_out.push(format!("track point {}: {why}", c.seq)))
                                .is_ok()
                        })
                })
                .collect();
            self.report_skipped(left_out);
            self.cache.add_tracks(&fitting, last, from)?;
            if !fitting.is_empty() {
                self.send(Update::Tracks(fitting));
            }
            if n < limit {
                return Ok(());
            }
        }
    }

    /// Pull pages until the cache reaches the head.
    async fn catch_up(&mut self, api: &Api) -> Result<(), End> {
        loop {
            if self.stopped() {
                return Err(End::Stopped);
            }
            let page = api.changes(self.seq, self.config.page).await?;
            if page.head < self.seq {
                // A restored or replaced server: our cache is from another history. Start again from a snapshot.
                let have = self.seq;
                self.seq = 0;
                return Err(End::Reset(have, page.head));
            }
            let n = page.changes.len();
            if n > 0 {
                self.accept(page.changes)?;
            }
            if n == 0 || self.seq >= page.head {
                return Ok(());
            }
        }
    }

    /// Apply changes that must follow on from the cache's seq.
    fn accept(&mut self, changes: Vec<Change>) -> Result<(), End> {
        let mut fresh = Vec::with_capacity(changes.len());
        let mut expect = self.seq + 1;
        let mut gap = None;
        for c in changes {
            if c.seq < expect {
                continue; // already have it
            }
            if c.seq > expect {
                gap = Some(c.seq);
                break;
            }
            expect += 1;
            fresh.push(c);
        }
        if !fresh.is_empty() {
            let applied = self.cache.apply_checked(&mut self.mirror, &fresh, self.config.district.as_deref())?;
            self.seq = applied.seq;
            if !applied.skipped.is_empty() {
                let bad: std::collections::HashSet<Seq> = applied.skipped.iter().map(|(seq, _)| *seq).collect();
                fresh.retain(|c| !bad.contains(&c.seq));
                self.report_skipped(
                    applied.skipped.into_iter().map(|(seq, why)| format!("change {seq}: {why}")).collect(),
                );
            }
            let (seq, now) = (self.seq, chrono::Utc::now());
            self.set(|s| {
                s.seq = seq;
                s.last_sync = Some(now);
            });
            let mut touched: Vec<pingan_core::EventId> = fresh
                .iter()
                .filter_map(|c| match &c.body {
                    pingan_core::sync::ChangeBody::EventActed { event, .. } => Some(*event),
                    _ => None,
                })
                .collect();
            touched.sort_unstable();
            touched.dedup();
            let events: Vec<pingan_core::Event> =
                touched.iter().filter_map(|id| self.mirror.event(*id).cloned()).collect();
            if !fresh.is_empty() {
                self.send(Update::Changes(fresh));
            }
            if !events.is_empty() {
                self.send(Update::Events(events));
            }
        }
        match gap {
            Some(got) => Err(End::Gap(self.seq, got)),
            None => Ok(()),
        }
    }

    /// Send the outbox, oldest first, until it is empty.
    async fn flush(&mut self, api: &Api) -> Result<(), End> {
        let mut batch = self.config.batch.max(1);
        let me = self.me();
        loop {
            let cmds = self.cache.outbox_for(&me, batch)?;
            if cmds.is_empty() {
                self.set(|s| s.outbox = 0);
                return Ok(());
            }
            let results = match api.send(&cmds).await {
                Ok(r) => r,
                // Slow down without dropping the link.
                Err(ApiError::RateLimited(_)) => {
                    if self.stopped() {
                        return Err(End::Stopped);
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                Err(ApiError::TooLarge(_)) if batch > 1 => {
                    batch /= 2;
                    continue;
                }
                // The server will never take these: show them to the operator instead of retrying for ever.
                Err(e @ (ApiError::Forbidden(_) | ApiError::Rejected(..))) if batch == 1 || cmds.len() == 1 => {
                    let refused = vec![Refused { command: cmds[0].clone(), reason: e.to_string() }];
                    self.settle(api, &[], refused).await?;
                    continue;
                }
                Err(ApiError::Forbidden(_) | ApiError::Rejected(..)) => {
                    // One of them is refused: go one by one to find out which.
                    batch = 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut done = Vec::new();
            let mut refused = Vec::new();
            for (cmd, r) in cmds.into_iter().zip(results) {
                match r.outcome {
                    Outcome::Applied { .. } => done.push(cmd.key),
                    Outcome::Rejected { reason } => refused.push(Refused { command: cmd, reason }),
                }
            }
            self.settle(api, &done, refused).await?;
        }
    }

    async fn settle(&mut self, api: &Api, done: &[String], refused: Vec<Refused>) -> Result<(), End> {
        self.cache.settle(done, &refused)?;
        let n = self.cache.outbox_len_for(&self.me())?;
        let k = refused.len();
        self.set(|s| {
            s.outbox = n;
            s.refused += k;
        });
        for r in refused {
            // The operator's optimistic copy of the event is now wrong: fetch the server's record.
            if let CommandBody::Act { event, .. } = &r.command.body
                && let Ok(e) = api.event(*event).await
            {
                self.send(Update::Event(Box::new(e)));
            }
            self.send(Update::Refused(r));
        }
        Ok(())
    }
}

mod district;
#[cfg(test)]
mod tests;
