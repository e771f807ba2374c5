//! The wall's attention (issue 16): the items that call for it — open 特别重大/重大 events, sensor warnings,
//! escalations (`Event::attention`, one rule in `pingan-core`), and grids left without cover past the watch's
//! `void_minutes` (覆盖盲区) — stay in an unacknowledged list until an operator acknowledges them (an event with a
//! server through a command in its log: who, when; a void on this desk only); one that turns up while the app runs
//! raises a banner and flies the map to it ([`AppState::banner_place`]).
//!
//! A void is one stretch of a grid without cover (its grid and since when): acknowledged, it stays off the list
//! until the grid is covered and falls empty again.

use super::AppState;
use pingan_core::routing::Level;
use pingan_core::sync::{ChangeBody, CommandBody};
use pingan_core::{Ack, EventId, GridId, LonLat, Timestamp};
use std::collections::HashSet;

/// How long a banner stays up unless acknowledged or dismissed, seconds.
pub const BANNER_FOR_S: i64 = 120;

/// An item that calls for attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttentionItem {
    /// An event not yet acknowledged at its level: serious, a sensor warning or escalated (`Event::attention`).
    Event(EventId),
    /// A grid without cover for longer than the watch's `void_minutes`: the grid, and since when nobody covered it.
    Void(GridId, Timestamp),
}

/// The unacknowledged items and the banner.
#[derive(Clone, Debug, Default)]
pub struct AttentionState {
    /// Unacknowledged items, the newest first (an event by its last change, a void by when it became one).
    pub unacked: Vec<AttentionItem>,
    /// The banner: the item, and when it was raised.
    pub banner: Option<(AttentionItem, Timestamp)>,
    /// Items (an event at a level) seen unacknowledged so far: a banner is raised only for new ones.
    seen: HashSet<(AttentionItem, Option<Level>)>,
    /// Voids acknowledged on this desk (while they last).
    acked_voids: HashSet<(GridId, Timestamp)>,
    /// The state version the list was last made at.
    made_at: Option<u64>,
}

impl AppState {
    /// Bring the unacknowledged list up to date when the state changed; raise a banner for an item new since the
    /// last look (not for what was there at the start).
    pub(crate) fn refresh_attention(&mut self) {
        if self.attention.made_at == Some(self.version) {
            return;
        }
        let first = self.attention.made_at.is_none();
        // The live voids (during a replay too: the attention is the live desk's).
        let voids = &self.voids;
        self.attention.acked_voids.retain(|(g, since)| voids.iter().any(|v| v.grid == *g && v.since == *since));
        let void_after = self.watch.coverage.void_after();
        let mut unacked: Vec<(Timestamp, AttentionItem, Option<Level>)> = self
            .situation
            .events
            .iter()
            .filter(|e| e.unacknowledged())
            .map(|e| (e.updated_at(), AttentionItem::Event(e.id), Some(e.level)))
            .collect();
        unacked.extend(
            voids
                .iter()
                .filter(|v| !self.attention.acked_voids.contains(&(v.grid, v.since)))
                .map(|v| (v.since + void_after, AttentionItem::Void(v.grid, v.since), None)),
        );
        unacked.sort_by(|a, b| b.cmp(a));
        let mut newest: Option<AttentionItem> = None;
        for (_, item, level) in &unacked {
            if self.attention.seen.insert((*item, *level)) && !first && newest.is_none() {
                newest = Some(*item);
            }
        }
        // Remember only what is still waiting: an item acknowledged comes back only at a higher level or as a new
        // void (a new key), so a wall running for months keeps a small set.
        let waiting: HashSet<(AttentionItem, Option<Level>)> =
            unacked.iter().map(|(_, item, level)| (*item, *level)).collect();
        self.attention.seen.retain(|k| waiting.contains(k));
        self.attention.unacked = unacked.into_iter().map(|(_, item, _)| item).collect();
        if let Some(item) = newest {
            tracing::info!("attention: {item:?} raised a banner");
            self.attention.banner = Some((item, self.now));
        }
        // A banner goes when its item is acknowledged or after a while.
        if let Some((item, at)) = self.attention.banner
            && (!self.attention.unacked.contains(&item) || self.now - at > chrono::Duration::seconds(BANNER_FOR_S))
        {
            self.attention.banner = None;
        }
        self.attention.made_at = Some(self.version);
    }

    /// Where the banner's item is, for the map to fly to: the event's position, the void grid's label point. `None`
    /// without a banner, or when a replay shows a moment before its event.
    pub fn banner_place(&self) -> Option<LonLat> {
        match self.attention.banner?.0 {
            AttentionItem::Event(id) => self.situation.event(id).map(|e| e.position),
            AttentionItem::Void(g, _) => self.district.grids.get(g.index()).map(|g| g.label_at),
        }
    }

    /// Acknowledge `id`: locally at once; with a server also through the outbox (the server records who and when).
    pub(crate) fn acknowledge(&mut self, id: EventId) {
        let lang = self.lang;
        let Some(e) = self.situation.event(id) else { return };
        let number = e.number.clone();
        if !e.unacknowledged() {
            return;
        }
        if let Some(actor) = self.actor()
            && !actor.role.in_command_room()
        {
            self.tell(format!("{number}: {}", lang.tr("只有值班员可以确认", "only an operator may acknowledge")));
            return;
        }
        // Locally "the operator"; with a server its change names the user and replaces this.
        let by = "值班员".to_string();
        let ack = Ack { by, at: self.now, level: e.level };
        if let Some(link) = self.link()
            && let Err(err) = link.submit(CommandBody::Acknowledge { event: id }, self.now)
        {
            self.tell(format!("{number}: {err}"));
            return;
        }
        self.situation.apply_change(&ChangeBody::Acknowledged { event: id, ack });
        if self.attention.banner.is_some_and(|(b, _)| b == AttentionItem::Event(id)) {
            self.attention.banner = None;
        }
        self.note(format!("{number} {}", lang.tr("已确认", "acknowledged")));
    }

    /// Acknowledge the void of grid `grid` on this desk: off the list until the grid is covered and falls empty
    /// again. Nothing when the grid is not a void now.
    pub(crate) fn acknowledge_void(&mut self, grid: GridId) {
        let Some(v) = self.voids.iter().find(|v| v.grid == grid).copied() else { return };
        if !self.attention.acked_voids.insert((grid, v.since)) {
            return;
        }
        let item = AttentionItem::Void(grid, v.since);
        self.attention.unacked.retain(|i| *i != item);
        if self.attention.banner.is_some_and(|(b, _)| b == item) {
            self.attention.banner = None;
        }
        let place = crate::format::grid_place(&self.district, grid);
        self.note(format!("{place} {}", self.lang.tr("盲区已确认", "void acknowledged")));
    }
}
