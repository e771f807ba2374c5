//! Who may do what: a user's [`Role`] and the [`Actor`] a request acts as (role, room, own worker). It names only
//! the leaf ids and the units ([`crate::units::UnitRef`]), nothing above them. The rules that ask them live with what they guard: which command a role may send is
//! [`Role::may`] (in [`crate::sync`]), what an actor may do to an event is `Actor::may_act` (in [`crate::routing`]),
//! task books are [`crate::patrol`]'s. Panels and the server ask these; nobody types a list of roles by hand.

use crate::ids::WorkerId;
use crate::units::UnitRef;
use serde::{Deserialize, Serialize};

/// What a user may do. Enforced by the server on every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Command-room operator: accepts, dispatches, closes.
    Operator,
    /// Supervisor: everything an operator does, plus reopening closed events.
    Supervisor,
    /// Grid worker in the field: reports, handles what was assigned, sends positions. Cannot close.
    GridWorker,
    /// An IoT gateway: may only report events.
    SensorGateway,
    /// Administrator: everything.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [Self::Operator, Self::Supervisor, Self::GridWorker, Self::SensorGateway, Self::Admin];

    /// Stable name, as on the command line and in the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Supervisor => "supervisor",
            Self::GridWorker => "grid_worker",
            Self::SensorGateway => "sensor_gateway",
            Self::Admin => "admin",
        }
    }

    /// Parse a [`Role::name`] (a dash is accepted for the underscore).
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.replace('-', "_");
        Self::ALL.into_iter().find(|r| r.name() == s)
    }

    /// Whether this role may read the situation (snapshot, changes, live stream).
    pub fn may_read(self) -> bool {
        self != Self::SensorGateway
    }

    /// Whether this role works in a command room — operator, supervisor, administrator: the roles that acknowledge,
    /// dispatch, issue task books and split merged reports (what else each may do is [`Role::may`]'s).
    pub fn in_command_room(self) -> bool {
        matches!(self, Self::Operator | Self::Supervisor | Self::Admin)
    }
}

/// Who is acting: a user's role, the unit whose room they sit in (`District` for users with no unit), and the
/// worker a grid worker's token is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Their role.
    pub role: Role,
    /// Their room's unit.
    pub unit: UnitRef,
    /// A grid worker's own worker.
    pub worker: Option<WorkerId>,
}

/// Why an actor may not do what they asked, in words for the operator: the server refuses with it, the desktop greys
/// the action out and shows it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);
