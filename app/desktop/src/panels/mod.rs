//! One module per thing on screen. Each `…_ui` function reads `&AppState` and pushes [`crate::Command`]s; the maps
//! also move their own cameras ([`crate::state::ViewState`]), which hold no domain data.

pub mod actions;
pub mod attention;
pub mod books;
pub mod coverage;
pub mod dashboard;
pub mod dashboard_scope;
pub mod detail;
pub mod drill;
pub mod feed;
pub mod header;
pub mod import;
pub mod interrupted;
pub mod labels;
pub mod map2d;
pub mod map3d;
pub mod report;
pub mod rollup;
pub mod search;
pub mod status;
pub mod timeline;
pub mod toolbar;

/// How long an overdue event's marker pulses after it turned overdue; after that it keeps a steady red ring. A new
/// alarm draws the eye, and a wall with dozens of permanently pulsing markers neither helps the operator nor lets
/// the app rest (a pulse needs animation frames; a steady ring needs none).
pub const PULSE_FOR: chrono::Duration = chrono::Duration::seconds(30);

/// Whether `e`'s marker pulses at `now`: overdue, and for less than [`PULSE_FOR`].
pub fn pulsing(e: &pingan_core::Event, now: pingan_core::Timestamp) -> bool {
    e.is_overdue(now) && now - e.deadline <= PULSE_FOR
}
