//! The link thread's session: learn who the token is, catch up from a snapshot and pages of changes, then stream
//! the server's changes and send the outbox until something breaks; back off and start again.

use super::tracks::TRACKS_EVERY;
use super::{End, LinkState, LinkStatus, MAX_SKIPPED_KEPT, Rights, Update, Worker, wake};
use crate::api::{Api, ApiError, Streamed};
use crate::cache::Identity;
use pingan_core::sync::{Change, Seq};
use std::time::Duration;

impl Worker {
    /// Queue an update for the owner and wake it.
    pub(super) fn send(&self, update: Update) {
        if self.tx.send(update).is_ok() {
            self.wake();
        }
    }

    /// Wake the owner: something it shows changed (an update, the status, skipped records).
    pub(super) fn wake(&self) {
        wake(&self.waker);
    }

    pub(super) fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(super) fn set(&self, f: impl FnOnce(&mut LinkStatus)) {
        if let Ok(mut s) = self.status.lock() {
            let before = s.clone();
            f(&mut s);
            if *s == before {
                return;
            }
        }
        self.wake();
    }

    pub(super) fn me(&self) -> Identity {
        self.me.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Log records that were skipped, keep the reasons for the UI, count them.
    pub(super) fn report_skipped(&self, reasons: Vec<String>) {
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
        let mut expires = None;
        let (user, rights) = match api.info().await {
            Ok(info) => {
                expires = super::status::token_expiry(&info);
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
            s.token_refused = None;
            s.token_expires = expires;
        });
        Ok(())
    }

    pub(super) async fn run(mut self) {
        let api = match Api::with_trust(&self.config.url, &self.config.token, &self.config.trust) {
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
                let refused = match &e {
                    End::Api(ApiError::Unauthorized(words)) => Some(words.clone()),
                    _ => None,
                };
                self.set(|s| {
                    s.state = if failures >= 3 { LinkState::Offline } else { LinkState::Reconnecting };
                    s.last_error = Some(msg);
                    if refused.is_some() {
                        s.token_refused = refused;
                    }
                });
                if matches!(e, End::Gap(..) | End::Reset(..) | End::Rescoped(..)) {
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
        // The server is there (a catch-up with nothing new sent no update to say so).
        self.send(Update::Alive);
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        // The server keeps a track point per worker per five minutes: pull them about as often.
        let mut tracks = tokio::time::interval_at(tokio::time::Instant::now() + TRACKS_EVERY, TRACKS_EVERY);
        loop {
            if self.stopped() {
                return Err(End::Stopped);
            }
            tokio::select! {
                // The server sends a keep-alive every 15 s: 45 s of silence means a dead connection. A keep-alive
                // tells the owner that the link is alive although nothing changed.
                next = tokio::time::timeout(Duration::from_secs(45), stream.next_item()) => {
                    let next = next.map_err(|_| ApiError::Network("no data from the stream for 45 s".into()))?;
                    let first = match next? {
                        Some(Streamed::Change(c)) => c,
                        Some(Streamed::KeepAlive) => {
                            self.send(Update::Alive);
                            continue;
                        }
                        None => return Err(End::Api(ApiError::Network("the server closed the stream".into()))),
                    };
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
            if c.body == pingan_core::sync::ChangeBody::Resync {
                // The server says this user's view changed: start again from a (scoped) snapshot.
                self.seq = 0;
                return Err(End::Rescoped(c.seq));
            }
            // A scoped log says which change a change follows on from; a whole log's follow on from seq - 1.
            if c.follows() >= expect {
                gap = Some(c.seq);
                break;
            }
            expect = c.seq + 1;
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
}
