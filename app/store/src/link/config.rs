//! What the link is given: the server, the token, the cache file and what to keep, and how it wakes its owner.

use pingan_core::{District, Timestamp};
use std::path::PathBuf;
use std::sync::Arc;

/// Where to sync from.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// Server base URL, e.g. `http://127.0.0.1:7878`.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// Which certificates an `https://` server may present (the system's roots by default; `--ca`, `--pin`).
    pub trust: crate::tls::Trust,
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
    /// on as [`Update::Tracks`](super::Update::Tracks).
    pub track_days: u32,
    /// Called (on the link thread) after each update is queued, so that a UI that repaints only on change wakes up
    /// to [`Link::poll`](super::Link::poll) it (`None`: the owner polls on its own schedule).
    pub waker: Option<Waker>,
}

impl LinkConfig {
    /// The earliest report the kept tracks reach back to.
    pub(super) fn tracks_from(&self) -> Timestamp {
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
            trust: crate::tls::Trust::System,
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

    /// The same, trusting the server's certificate as `trust` says.
    pub fn with_trust(mut self, trust: crate::tls::Trust) -> Self {
        self.trust = trust;
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
