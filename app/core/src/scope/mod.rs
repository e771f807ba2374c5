//! Who may read what: the one read rule, beside [`Actor::may_act`](crate::routing) (who may act).
//!
//! A [`Reader`] is a user as the server sees them when they read: their [`Actor`] (role, room, own worker) and, for a
//! grid worker, the grids their worker serves. Every item the server hands out is one of three kinds — an event, a
//! worker, a task book — and the rule looks at each through its [`Facet`]: the places it lies in, the people it
//! names, whether it is open. The scopes (README, "Who sees what"):
//!
//! | role | events | workers | task books |
//! |---|---|---|---|
//! | administrator | all | all, with phones | all |
//! | supervisor, operator | their room's unit and below (what is routed or escalated to their level lies there) | of their unit, with phones | of their unit |
//! | grid worker | assigned to them, reported by them, or open in their grids | themselves; colleagues of their grids by name and position, no phone | of their grids |
//! | sensor gateway | nothing | nothing | nothing |
//!
//! A snapshot asks [`Reader::sees`] per item and [`Reader::sight`] per worker. A change of the log carries its
//! [`Audience`] — the facets of what it touched before and after it, recorded by the server when it wrote the change
//! — and [`Reader::delivery`] says what a reader gets of it: the change as it is, the whole event when the change
//! brought it into their view, a withdrawal when it took items out of it, or nothing. So a reader's copy, fed from a
//! scoped snapshot and the scoped log, holds exactly what a fresh scoped snapshot would.

use crate::patrol::TaskBook;
use crate::units::{CommunityId, District, GridId, TownId, UnitRef};
use crate::{Actor, Event, EventId, EventSource, GridWorker, Role, TaskBookId, WorkerId};
use serde::{Deserialize, Serialize};

/// A place in the unit tree: a grid with the community and town it lies in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The town.
    #[serde(rename = "t")]
    pub town: TownId,
    /// The community.
    #[serde(rename = "c")]
    pub community: CommunityId,
    /// The grid.
    #[serde(rename = "g")]
    pub grid: GridId,
}

impl Place {
    /// Where an event lies.
    pub fn of_event(e: &Event) -> Place {
        Place { town: e.town, community: e.community, grid: e.grid }
    }

    /// Where a grid lies (`None` for a grid the district does not have).
    pub fn of_grid(d: &District, g: GridId) -> Option<Place> {
        d.grids.get(g.index()).filter(|x| x.id == g).map(|x| Place { town: x.town, community: x.community, grid: g })
    }

    /// Whether this place is `unit` or lies below it (a building is no room's unit: nothing lies in it here).
    pub fn within(self, unit: UnitRef) -> bool {
        match unit {
            UnitRef::District => true,
            UnitRef::Town(t) => t == self.town,
            UnitRef::Community(c) => c == self.community,
            UnitRef::Grid(g) => g == self.grid,
            UnitRef::Building(_) => false,
        }
    }
}

/// Which item a facet is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Item {
    /// An event.
    Event(EventId),
    /// A grid worker.
    Worker(WorkerId),
    /// A patrol task book.
    Book(TaskBookId),
}

/// One item as the read rule sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// Which item.
    pub item: Item,
    /// Where it lies: an event's place, a worker's grids, a book's grid.
    #[serde(rename = "at")]
    pub places: Vec<Place>,
    /// The workers it names: an event's assignee and the worker who reported it; a worker themselves.
    #[serde(default, rename = "who", skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<WorkerId>,
    /// An event that is open (a grid worker sees the open events of their grids).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
}

impl Facet {
    /// An event's facet.
    pub fn of_event(e: &Event) -> Facet {
        let mut people: Vec<WorkerId> = e.assignee.into_iter().collect();
        if let EventSource::GridWorker(w) = e.source
            && e.assignee != Some(w)
        {
            people.push(w);
        }
        Facet { item: Item::Event(e.id), places: vec![Place::of_event(e)], people, open: e.state.is_open() }
    }

    /// A worker's facet: the places of the grids they serve (grids the district lacks are left out).
    pub fn of_worker(d: &District, w: &GridWorker) -> Facet {
        let places = w.grids.iter().filter_map(|g| Place::of_grid(d, *g)).collect();
        Facet { item: Item::Worker(w.id), places, people: vec![w.id], open: false }
    }

    /// A task book's facet.
    pub fn of_book(d: &District, b: &TaskBook) -> Facet {
        Facet {
            item: Item::Book(b.id),
            places: Place::of_grid(d, b.grid).into_iter().collect(),
            people: vec![],
            open: false,
        }
    }
}

/// How much of a worker a reader sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    /// Nothing (not even that they exist).
    Hidden,
    /// A colleague: name, grids, status and position; no phone number.
    Colleague,
    /// Everything the roster holds, the phone number included.
    Full,
}

/// What one change of the log touched, before and after it: recorded by the server when it writes the change, so
/// the log can be scoped later exactly as it was live.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Audience {
    /// The facets before the change, where they differ from `after` (`None`: the same; empty: new items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Vec<Facet>>,
    /// The facets after it.
    pub after: Vec<Facet>,
    /// The event as the change left it, kept where the change can bring it into a reader's view whose copy lacks it
    /// (an assignment, a reopening: the event's people or openness changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<Box<Event>>,
}

impl Audience {
    /// The audience of a change that touched `after`, which looked like `before` until then (`None`: a new item;
    /// `Some` equal to `after`: only its details changed). `whole` is kept only when the facets differ.
    pub fn of(before: Option<Facet>, after: Facet, whole: Option<&Event>) -> Audience {
        match before {
            Some(b) if b == after => Audience { before: None, after: vec![after], whole: None },
            Some(b) => {
                Audience { before: Some(vec![b]), after: vec![after], whole: whole.map(|e| Box::new(e.clone())) }
            }
            None => Audience { before: Some(vec![]), after: vec![after], whole: None },
        }
    }
}

/// What a reader gets of one change.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// Nothing: it lies outside their view before and after.
    Skip,
    /// The change as stored; `strip_phones`: a roster entry in it goes without its phone number.
    AsIs {
        /// Send roster entries without phone numbers.
        strip_phones: bool,
    },
    /// The event whole, as the change left it: the change brought it into their view.
    Show(Box<Event>),
    /// These items left their view with this change.
    Withdraw(Vec<Item>),
    /// Their view itself changed with this change (their own worker moved to other grids): only a fresh snapshot
    /// repairs their copy.
    Resync,
}

/// A user as the read rule sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    /// Role, room and own worker.
    pub actor: Actor,
    /// A grid worker's grids (their worker's, from the roster); empty for every other role.
    pub grids: Vec<GridId>,
}

impl Reader {
    /// A reader acting as `actor`; a grid worker's grids come from their own worker in `roster`.
    pub fn new(actor: Actor, roster: &[GridWorker]) -> Reader {
        let grids = match (actor.role, actor.worker) {
            (Role::GridWorker, Some(me)) => {
                roster.iter().find(|w| w.id == me).map(|w| w.grids.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        Reader { actor, grids }
    }

    /// Whether this reader sees everything: an administrator, or a command room of the whole district.
    pub fn sees_all(&self) -> bool {
        self.actor.role == Role::Admin || (self.in_room() && self.actor.unit == UnitRef::District)
    }

    fn in_room(&self) -> bool {
        matches!(self.actor.role, Role::Operator | Role::Supervisor)
    }

    fn me(&self, f: &Facet) -> bool {
        self.actor.worker.is_some_and(|me| f.people.contains(&me))
    }

    fn my_grids(&self, f: &Facet) -> bool {
        f.places.iter().any(|p| self.grids.contains(&p.grid))
    }

    /// Whether this reader sees the item `f` describes.
    pub fn sees(&self, f: &Facet) -> bool {
        match self.actor.role {
            Role::Admin => true,
            Role::SensorGateway => false,
            Role::Operator | Role::Supervisor => f.places.iter().any(|p| p.within(self.actor.unit)),
            Role::GridWorker => match f.item {
                Item::Event(_) => self.me(f) || (f.open && self.my_grids(f)),
                Item::Worker(_) => self.me(f) || self.my_grids(f),
                Item::Book(_) => self.my_grids(f),
            },
        }
    }

    /// How much of the worker `f` describes this reader sees.
    pub fn sight(&self, f: &Facet) -> Sight {
        if !self.sees(f) {
            Sight::Hidden
        } else if self.actor.role == Role::GridWorker && !self.me(f) {
            Sight::Colleague
        } else {
            Sight::Full
        }
    }

    /// Whether this reader sees event `e`.
    pub fn sees_event(&self, e: &Event) -> bool {
        self.sees_all() || self.sees(&Facet::of_event(e))
    }

    /// How much of worker `w` this reader sees.
    pub fn sight_of_worker(&self, d: &District, w: &GridWorker) -> Sight {
        if self.sees_all() { Sight::Full } else { self.sight(&Facet::of_worker(d, w)) }
    }

    /// Whether this reader sees task book `b`.
    pub fn sees_book(&self, d: &District, b: &TaskBook) -> bool {
        self.sees_all() || self.sees(&Facet::of_book(d, b))
    }

    /// Worker `w` as this reader may see them, or `None`.
    pub fn worker_view(&self, d: &District, w: &GridWorker) -> Option<GridWorker> {
        match self.sight_of_worker(d, w) {
            Sight::Hidden => None,
            Sight::Colleague => Some(GridWorker { phone: String::new(), ..w.clone() }),
            Sight::Full => Some(w.clone()),
        }
    }

    /// What this reader gets of a change with audience `a`.
    pub fn delivery(&self, a: &Audience) -> Delivery {
        if self.sees_all() {
            return Delivery::AsIs { strip_phones: false };
        }
        let before = a.before.as_ref().unwrap_or(&a.after);
        if self.actor.role == Role::GridWorker
            && let Some(me) = self.actor.worker
            && a.before.is_some()
        {
            let mine = |fs: &[Facet]| fs.iter().find(|f| f.item == Item::Worker(me)).map(|f| f.places.clone());
            if mine(before).is_some() && mine(before) != mine(&a.after) {
                return Delivery::Resync;
            }
        }
        let seen_before: Vec<&Facet> = before.iter().filter(|f| self.sees(f)).collect();
        let seen_after: Vec<&Facet> = a.after.iter().filter(|f| self.sees(f)).collect();
        // A change about several items of which the reader sees only some (a report split off into another area):
        // the one they see whole, never the change with the others in it.
        if !seen_after.is_empty() && seen_after.len() < a.after.len() {
            return match &a.whole {
                Some(e) if self.sees(&Facet::of_event(e)) => Delivery::Show(e.clone()),
                // They see the new item only: the change as it is (it names the other by id alone).
                _ => Delivery::AsIs { strip_phones: false },
            };
        }
        if seen_after.is_empty() {
            return if seen_before.is_empty() {
                Delivery::Skip
            } else {
                Delivery::Withdraw(seen_before.iter().map(|f| f.item).collect())
            };
        }
        if seen_before.is_empty()
            && let Some(e) = &a.whole
        {
            return Delivery::Show(e.clone());
        }
        let strip_phones =
            seen_after.iter().any(|f| matches!(f.item, Item::Worker(_)) && self.sight(f) == Sight::Colleague);
        Delivery::AsIs { strip_phones }
    }
}

#[cfg(test)]
mod tests;
