//! Work that is not drawing: where the district and its live situation come from, the five-colour assessment on
//! its own thread, the import job, report export (CSV, charts, the PDF report), and the 2D map's triangulated
//! fills. Services know nothing of `AppState` or the panels.

pub mod assessment;
pub mod basemap;
pub mod demo_sensors;
pub mod export;
pub mod fills;
pub mod import_job;
pub mod monitors;
pub mod package;
pub mod pdf;
pub mod search;
pub mod search_export;
pub mod sound;
pub mod source;
