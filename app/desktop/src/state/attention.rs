//! The wall's attention (issue 16): the items that call for it — open 特别重大/重大 events, sensor warnings,
//! escalations (`Event::attention`, one rule in `pingan-core`) — stay in an unacknowledged list until an operator
//! acknowledges them (with a server, a command in its log: who, when); one that turns up while the app runs raises
//! a banner and flies the map to it.

use super::AppState;
use pingan_core::routing::Level;
use pingan_core::sync::{ChangeBody, CommandBody};
use pingan_core::{Ack, EventId, Timestamp};
use std::collections::HashSet;

/// How long a banner stays up unless acknowledged or dismissed, seconds.
pub const BANNER_FOR_S: i64 = 120;

/// The unacknowledged items and the banner.
#[derive(Clone, Debug, Default)]
pub struct AttentionState {
    /// Unacknowledged items, the newest report first.
    pub unacked: Vec<EventId>,
    /// The banner: the item, and when it was raised.
    pub banner: Option<(EventId, Timestamp)>,
    /// Items (at a level) seen unacknowledged so far: a banner is raised only for new ones.
    seen: HashSet<(EventId, Level)>,
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
        let mut unacked: Vec<(Timestamp, EventId, Level)> = self
            .situation
            .events
            .iter()
            .filter(|e| e.unacknowledged())
            .map(|e| (e.updated_at(), e.id, e.level))
            .collect();
        unacked.sort_by(|a, b| b.cmp(a));
        let mut newest: Option<EventId> = None;
        for (_, id, level) in &unacked {
            if self.attention.seen.insert((*id, *level)) && !first && newest.is_none() {
                newest = Some(*id);
            }
        }
        // Remember only what is still waiting: an item acknowledged comes back only at a higher level (a new key),
        // so a wall running for months keeps a small set.
        let waiting: HashSet<(EventId, Level)> = unacked.iter().map(|(_, id, level)| (*id, *level)).collect();
        self.attention.seen.retain(|k| waiting.contains(k));
        self.attention.unacked = unacked.into_iter().map(|(_, id, _)| id).collect();
        if let Some(id) = newest {
            tracing::info!("attention: event {} raised a banner", id.0);
            self.attention.banner = Some((id, self.now));
        }
        // A banner goes when its item is acknowledged or after a while.
        if let Some((id, at)) = self.attention.banner
            && (!self.attention.unacked.contains(&id) || self.now - at > chrono::Duration::seconds(BANNER_FOR_S))
        {
            self.attention.banner = None;
        }
        self.attention.made_at = Some(self.version);
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
        if self.attention.banner.is_some_and(|(b, _)| b == id) {
            self.attention.banner = None;
        }
        self.note(format!("{number} {}", lang.tr("已确认", "acknowledged")));
    }
}
