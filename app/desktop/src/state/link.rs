//! Taking the sync server's updates: everything is checked against the district before it is applied. Whatever
//! the link brings — a change, a keep-alive of the live stream — proves it alive; a linked desk that has heard
//! nothing for the watch's `no_data_minutes` shows 数据中断 ([`AppState::data_interrupted`]). The server's watch
//! thresholds come with what it says this user may do, and replace the desk's own.

use super::AppState;
use crate::services::source::apply_pending;
use pingan_core::coverage::WatchConfig;
use pingan_core::{District, Event, Situation, SpatialIndex, Timestamp};
use std::sync::Arc;

impl AppState {
    /// Linked to a server whose data has stopped: since when nothing has arrived — no change, no keep-alive of the
    /// live stream, nothing (the start, when nothing has yet) —, once that is longer ago than the watch's
    /// `no_data_minutes` by the app's clock. `None` while data flows, and always with the local demo or a package
    /// file (nothing there can stop).
    pub fn data_interrupted(&self) -> Option<Timestamp> {
        self.link()?;
        let heard = self.link_heard?;
        (self.live_now() - heard > self.watch.no_data_after()).then_some(heard)
    }

    /// Use `watch` from now on (the coverage voids are looked for again with it at once).
    pub(crate) fn set_watch(&mut self, watch: WatchConfig) {
        if watch == self.watch {
            return;
        }
        tracing::info!(
            "watch: voids after {} min, positions stale after {} min, no data after {} min",
            watch.coverage.void_minutes,
            watch.coverage.stale_minutes,
            watch.no_data_minutes
        );
        self.watch = watch;
        self.coverage_seen = None;
        self.version += 1;
    }

    /// Take what the link brought: the server's changes, and commands it refused.
    pub(super) fn poll_link(&mut self) {
        let Some(link) = self.link() else { return };
        let mut updates = link.poll();
        let heard = !updates.is_empty();
        if heard {
            self.link_heard = Some(self.now);
        }
        // A keep-alive only says that the link is alive: nothing to apply.
        updates.retain(|u| !matches!(u, pingan_store::Update::Alive));
        let Some(link) = self.link() else { return };
        // What this user may do, and the server's routing rules (deadlines, the warning window): kept from the last
        // session at first, then as the server says at each connect (which always brings updates after it).
        if (self.rights.is_none() || heard)
            && let Some(rights) = link.status().rights
            && self.rights.as_ref() != Some(&rights)
        {
            if let Some(r) = &rights.routing {
                self.routing = (**r).clone();
            }
            if let Some(w) = rights.watch {
                self.set_watch(w);
            }
            tracing::info!("signed in as {} of {:?}", rights.role.name(), rights.unit);
            self.rights = Some(rights);
            self.version += 1;
        }
        let Some(link) = self.link() else { return };
        // What the link thread already skipped (it checks against the same district).
        let skipped = link.take_skipped();
        self.apply_link_updates(updates, skipped);
    }

    /// Apply updates from the link (what [`AppState::tick`] does each frame; public so that tests can feed any data
    /// without a server). Everything is checked against the district first (`pingan_core::validate`): a snapshot
    /// record, a change or an event record that does not fit is skipped whole and logged, never applied half-way;
    /// the status bar tells how many were skipped, these and `skipped` (reasons the link thread already skipped for).
    pub fn apply_link_updates(&mut self, updates: Vec<pingan_store::Update>, mut skipped: Vec<String>) {
        if updates.is_empty() && skipped.is_empty() {
            return;
        }
        self.version += 1;
        let from_link = skipped.len(); // logged by the link already
        // The operator's queued actions go back on top of a snapshot or of event records the server sends: read the
        // outbox once, and only for such a batch (live changes alone do not need it).
        let replaces =
            updates.iter().any(|u| matches!(u, pingan_store::Update::Snapshot(_) | pingan_store::Update::Events(_)));
        let queued = if replaces { self.link().map(|l| l.pending()).unwrap_or_default() } else { Vec::new() };
        let pending = || queued.clone();
        let mut district = self.district.clone();
        let mut refused = Vec::new();
        for u in updates {
            match u {
                pingan_store::Update::District(p) => {
                    let p = *p;
                    let (version, name) = (p.meta.version, p.district.name.clone());
                    let new = Arc::new(p.district);
                    let index = SpatialIndex::new(&new);
                    self.replace_district(new.clone(), index, (Arc::new(p.history), Arc::new(p.history_text)), None);
                    self.keep_basemap(p.tiles);
                    district = new;
                    // What was shown was checked against the old district; a snapshot follows a changed one.
                    pingan_core::validate::retain_fitting(&mut self.situation, &district);
                    let msg = format!(
                        "{} {name} · {} {version}",
                        self.lang.tr("已载入服务器辖区数据", "District data from the server"),
                        self.lang.tr("版本", "version")
                    );
                    tracing::info!("{msg}");
                    self.note(msg);
                }
                pingan_store::Update::Snapshot(s) => {
                    let mut situation = s.situation;
                    let dropped = pingan_core::validate::retain_fitting(&mut situation, &district);
                    skipped.extend(dropped.into_iter().map(|why| format!("snapshot: {why}")));
                    self.situation = situation;
                    apply_pending(&mut self.situation, &pending(), &self.routing);
                }
                pingan_store::Update::Changes(changes) => {
                    for c in &changes {
                        match pingan_core::validate::check_change(&c.body, &district, &self.situation) {
                            Ok(()) => {
                                self.situation.apply_change(&c.body);
                                // The log's own report times, not the tick's.
                                if let Some((w, p)) = pingan_core::replay::point_of(&c.body) {
                                    self.tracks.record(w, p.at, p.seen_at, p.position, p.status);
                                }
                            }
                            Err(why) => skipped.push(format!("change {}: {why}", c.seq)),
                        }
                    }
                }
                pingan_store::Update::Event(e) => match event_fits(&e, &district, &self.situation) {
                    Ok(()) => {
                        if let Some(x) = self.situation.event_mut(e.id) {
                            *x = *e;
                        }
                    }
                    Err(why) => skipped.push(why.to_string()),
                },
                pingan_store::Update::Events(events) => {
                    // The server's record wins; our own steps still in the outbox go back on top.
                    let pending = pending();
                    for e in events {
                        let id = e.id;
                        if let Err(why) = event_fits(&e, &district, &self.situation) {
                            skipped.push(why.to_string());
                            continue;
                        }
                        if let Some(x) = self.situation.event_mut(id) {
                            *x = e;
                        }
                        let mine: Vec<_> = pending
                            .iter()
                            .filter(|c| matches!(&c.body, pingan_core::sync::CommandBody::Act { event, .. } if *event == id))
                            .cloned()
                            .collect();
                        apply_pending(&mut self.situation, &mine, &self.routing);
                    }
                }
                pingan_store::Update::Refused(r) => refused.push(r),
                pingan_store::Update::Alive => {}
                // The server's thinned past (checked by the link): where the workers were while this desk was not
                // watching.
                pingan_store::Update::Tracks(points) => {
                    let known = |w: pingan_core::WorkerId| self.situation.worker(w).is_some();
                    let points = points.iter().filter_map(|c| pingan_core::replay::point_of(&c.body));
                    self.tracks.merge(points.filter(|(w, _)| known(*w)));
                }
            }
        }
        if !skipped.is_empty() {
            for why in &skipped[from_link..] {
                tracing::warn!("skipped: {why}");
            }
            self.skipped += skipped.len();
            self.tell(crate::format::skipped_message(self.lang, &skipped));
        }
        for r in refused {
            let what = match &r.command.body {
                pingan_core::sync::CommandBody::Act { event, action } => {
                    let number = self.situation.event(*event).map_or(format!("#{}", event.0), |e| e.number.clone());
                    format!("{number} {}", self.lang.tr(action.zh(), action.en()))
                }
                other => other.name().to_string(),
            };
            let msg = format!("{}: {what} — {}", self.lang.tr("服务器拒绝", "Refused by the server"), r.reason);
            self.tell(msg);
        }
    }
}

/// Why an event record from the server is skipped.
#[derive(Debug, thiserror::Error)]
enum Misfit {
    /// It does not fit the district (the validator's reason).
    #[error("{0}")]
    District(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// It is assigned to a worker this desk does not know.
    #[error("event {number}: assignee {} is not known", worker.0)]
    UnknownAssignee {
        /// The event's number.
        number: String,
        /// The worker.
        worker: pingan_core::WorkerId,
    },
}

/// Whether an event record from the server fits the district and names only known workers (as its assignee).
fn event_fits(e: &Event, district: &District, situation: &Situation) -> Result<(), Misfit> {
    pingan_core::validate::check_event(e, district).map_err(|why| Misfit::District(why.into()))?;
    match e.assignee {
        Some(w) if situation.worker(w).is_none() => {
            Err(Misfit::UnknownAssignee { number: e.number.clone(), worker: w })
        }
        _ => Ok(()),
    }
}
