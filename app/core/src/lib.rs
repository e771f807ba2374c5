//! `pingan-core`: the governance domain of Pingan.
//!
//! What it is for: the types every other crate speaks — the governance hierarchy (district → town/street →
//! village/community → grid → building → room), the 27-digit unified address code, the event taxonomy and the
//! event lifecycle state machine, grid workers, and the geometry those live on.
//!
//! What it is not for: no GUI, no files, no network, no clocks. Everything here is plain data (serde) and pure
//! functions, so it is tested fast and alone. Time is always passed in by the caller.

pub mod address;
pub mod assess;
pub mod case_number;
pub mod coverage;
pub mod event;
pub mod geom;
pub mod ids;
pub mod import;
pub mod level;
pub mod limits;
pub mod patrol;
pub mod place;
pub mod planar;
pub mod replay;
pub mod report;
pub mod role;
pub mod routing;
pub mod scenario;
pub mod scope;
pub mod search;
pub mod sensors;
pub mod situation;
pub mod spatial;
pub mod sync;
#[cfg(test)]
pub(crate) mod testing;
pub mod time;
pub mod units;
pub mod validate;
pub mod worker;

pub use address::{AddressCode, AddressCodeError, AddressLevel};
pub use event::{
    Ack, Attention, Event, EventAction, EventCategory, EventSource, EventState, Evidence, LinkedReport, SensorKind,
    Severity, StatusChange, TransitionError, WarningOutcome,
};
pub use geom::{LocalFrame, LonLat, LonLatError, Polygon};
pub use ids::{EventId, SensorId, TaskBookId, WorkerId};
pub use level::Level;
pub use role::{Actor, Role};
pub use routing::StepError;
pub use situation::Situation;
pub use spatial::SpatialIndex;
pub use time::{Timestamp, china_offset};
pub use units::{
    Building, BuildingId, BuildingKind, Community, CommunityId, CommunityKind, District, Grid, GridId, Road, RoadClass,
    Town, TownId, UnitRef, UnitStats, WaterBody,
};
pub use worker::{GridWorker, WorkerKind, WorkerStatus};
