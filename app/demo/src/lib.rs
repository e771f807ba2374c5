//! `pingan-demo`: the built-in demo district and its live simulator.
//!
//! What it is for: a believable district on the real location of Yuhang (about 30.42 N, 120.30 E, ~1,200 km²) —
//! 12 towns, ~300 communities, ~1,500 grids, 50,000+ buildings, roads, rivers and lakes, population figures — so that
//! the app runs with no network and no server, and tests and benchmarks have realistic data. Plus a simulator that
//! reports events, carries them through their closed loop and moves grid workers.
//!
//! What it is not for: no I/O and no clocks; same seed → identical output.

pub mod catalog;
pub mod city;
pub mod district_gen;
pub mod geometry;
pub mod history;
pub mod names;
pub mod sensors;
pub mod sim;
pub mod tracks;

pub use city::{CitySpec, generate_city};
pub use district_gen::{DemoSpec, generate};
pub use history::{HistorySpec, generate_history, history_text};
pub use sensors::{SensorStream, fleet};
pub use sim::{SimChange, SimConfig, Simulator};
pub use tracks::past_tracks;
