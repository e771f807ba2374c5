//! One module per thing on screen. Each `…_ui` function reads `&AppState` and pushes [`crate::Command`]s; the maps
//! also move their own cameras ([`crate::state::ViewState`]), which hold no domain data.

pub mod dashboard;
pub mod detail;
pub mod feed;
pub mod header;
pub mod import;
pub mod labels;
pub mod map2d;
pub mod map3d;
pub mod status;
pub mod toolbar;
