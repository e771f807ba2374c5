//! Pingan's end-to-end tests, one test binary (each binary links the whole desktop, wgpu and the sync server, so
//! one link instead of seven keeps CI's time and disk down). Each module is one topic; run one with
//! `cargo test -p pingan-tests -- ui::`.

mod bad_data;
mod basemap;
mod case_numbers;
mod command_loop;
mod district;
mod drill;
mod header;
mod import;
mod linked;
mod patrol;
mod pdf;
mod repaint;
mod replay;
mod report;
mod rollup;
mod search;
mod ui;
mod view3d;
mod wall;
mod wall_text;
mod watch;
