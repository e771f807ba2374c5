//! The wall's auto-tour: the map cycles through units (every town, the red communities, or a named list), a dwell
//! time at each, pausing on any operator input and resuming after an idle time. The clock it runs on is the UI's
//! (seconds since start), passed in, so the stepping is pure and tested without a screen.

use crate::state::AppState;
use crate::wall::{TourConfig, TourKind, TourStops};
use pingan_core::assess::Grade;
use pingan_core::{LonLat, UnitRef};

/// A stop: the unit, where the map goes and at which zoom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stop {
    /// The unit.
    pub unit: UnitRef,
    /// Its label point.
    pub at: LonLat,
    /// The 2D zoom that shows it.
    pub zoom: f64,
}

/// The tour's progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Tour {
    /// Its settings.
    pub config: TourConfig,
    /// The stop shown last (`None`: not started).
    pub index: Option<usize>,
    /// When the next stop is due (UI seconds).
    next_at: Option<f64>,
    /// Paused by operator input.
    pub paused: bool,
}

impl Tour {
    /// A tour not yet started.
    pub fn new(config: TourConfig) -> Self {
        Self { config, index: None, next_at: None, paused: false }
    }

    /// The stops now (the red ones follow the latest assessment).
    pub fn stops(&self, state: &AppState) -> Vec<Stop> {
        let d = &state.district;
        let town = |t: &pingan_core::Town| Stop { unit: UnitRef::Town(t.id), at: t.label_at, zoom: 13.0 };
        let community =
            |c: &pingan_core::Community| Stop { unit: UnitRef::Community(c.id), at: c.label_at, zoom: 14.5 };
        match &self.config.stops {
            TourStops::Kind(TourKind::Towns) => d.towns.iter().map(town).collect(),
            TourStops::Kind(TourKind::Red) => {
                let Some(data) = state.assessment.latest.as_ref() else { return Vec::new() };
                let a = &data.assessment;
                let mut red: Vec<&pingan_core::Community> =
                    d.communities.iter().filter(|c| a.communities[c.id.index()].grade == Grade::Red).collect();
                red.sort_by(|x, y| {
                    a.communities[y.id.index()].normalised.total_cmp(&a.communities[x.id.index()].normalised)
                });
                red.into_iter().map(community).collect()
            }
            TourStops::Names(names) => names
                .iter()
                .filter_map(|n| {
                    d.towns
                        .iter()
                        .find(|t| t.name == *n)
                        .map(town)
                        .or_else(|| d.communities.iter().find(|c| c.name == *n).map(community))
                        .or_else(|| {
                            d.grids.iter().find(|g| g.name == *n).map(|g| Stop {
                                unit: UnitRef::Grid(g.id),
                                at: g.label_at,
                                zoom: 15.5,
                            })
                        })
                })
                .collect(),
        }
    }

    /// Advance at UI time `t` (seconds), the last operator input `idle_s` seconds ago, over `stops` stops: the
    /// index of the stop to fly to now, if any. Input pauses the tour; `resume_after_s` of quiet resumes it with the
    /// next stop at once.
    pub fn step(&mut self, t: f64, idle_s: f64, stops: usize) -> Option<usize> {
        if stops == 0 {
            return None;
        }
        if idle_s < self.config.resume_after_s && self.index.is_some() {
            self.paused = true;
            self.next_at = None;
            return None;
        }
        self.paused = false;
        if self.next_at.is_some_and(|n| t < n) {
            return None;
        }
        let next = self.index.map_or(0, |i| (i + 1) % stops);
        self.index = Some(next);
        self.next_at = Some(t + self.config.dwell_s);
        Some(next)
    }

    /// Seconds until the tour needs the next frame (for `request_repaint_after`), when it is running.
    pub fn due_in(&self, t: f64) -> Option<f64> {
        self.next_at.map(|n| (n - t).max(0.0))
    }
}
