//! Coverage voids (覆盖盲区): grids that no on-duty worker has been inside for a while, and workers whose position is
//! stale (TAK's "stale" semantics: a position report carries its own expiry; past it the marker is shown as stale and
//! the worker no longer counts as covering anything).
//!
//! [`Coverage`] remembers, per grid, the last time a fresh on-duty worker was seen inside it; [`Coverage::observe`]
//! folds in a situation (cheap: one point lookup per on-duty worker), and [`Coverage::voids`] lists the grids left
//! uncovered longer than the configured minutes. The thresholds are configurable ([`CoverageConfig`]), and with the
//! link's "no data" threshold they make the watch configuration ([`WatchConfig`]): `assets/config/watch.toml`, one
//! documented file for the server and the desks, compiled in as [`WatchConfig::default`].

use crate::{District, GridId, Situation, SpatialIndex, Timestamp, WorkerId};
use serde::{Deserialize, Serialize};

/// The shipped watch thresholds (`assets/config/watch.toml`), documented there.
pub const DEFAULT_WATCH_TOML: &str = include_str!("../../../assets/config/watch.toml");

/// The watch thresholds (the shape of `assets/config/watch.toml`): what the server hands the desks in `/v1/info`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    /// A desk linked to a server shows 数据中断 when nothing has arrived from it for longer than this many minutes.
    pub no_data_minutes: u32,
    /// The coverage voids' and stale positions' thresholds.
    pub coverage: CoverageConfig,
}

/// Why a watch configuration is refused ([`WatchConfig::from_toml`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WatchError {
    /// It does not parse, or names a key it does not have.
    #[error("does not read: {0}")]
    Parse(String),
    /// A threshold is out of its range.
    #[error(transparent)]
    Range(#[from] ThresholdError),
}

impl WatchConfig {
    /// Read a watch configuration from TOML (the shape of `assets/config/watch.toml`) and check it.
    pub fn from_toml(text: &str) -> Result<Self, WatchError> {
        let c: WatchConfig = toml::from_str(text).map_err(|e| WatchError::Parse(e.to_string()))?;
        c.check()?;
        Ok(c)
    }

    /// Check every threshold's range: the coverage's ([`CoverageConfig::check`]), `no_data_minutes` 1 minute to a
    /// day.
    pub fn check(&self) -> Result<(), ThresholdError> {
        ThresholdError::check("no_data_minutes", self.no_data_minutes, 24 * 60)?;
        self.coverage.check()
    }

    /// The "no data" threshold as a duration.
    pub fn no_data_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.no_data_minutes))
    }
}

impl Default for WatchConfig {
    /// The shipped `assets/config/watch.toml` (parsed once).
    fn default() -> Self {
        static SHIPPED: std::sync::LazyLock<WatchConfig> = std::sync::LazyLock::new(|| {
            WatchConfig::from_toml(DEFAULT_WATCH_TOML).expect("the shipped watch.toml is valid (tested)")
        });
        *SHIPPED
    }
}

/// The thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageConfig {
    /// A grid with no fresh on-duty worker inside it for this many minutes is a void.
    pub void_minutes: u32,
    /// An on-duty worker whose last position is older than this many minutes is stale.
    pub stale_minutes: u32,
}

impl Default for CoverageConfig {
    /// The shipped `assets/config/watch.toml`'s `[coverage]`.
    fn default() -> Self {
        WatchConfig::default().coverage
    }
}

/// A threshold out of its range ([`WatchConfig::check`], [`CoverageConfig::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be 1 to {max} minutes, got {value}")]
pub struct ThresholdError {
    /// The threshold's name: `void_minutes`, `stale_minutes` or `no_data_minutes`.
    pub name: &'static str,
    /// Its value.
    pub value: u32,
    /// The most it may be.
    pub max: u32,
}

impl ThresholdError {
    /// `Ok` when `value` is 1 to `max` minutes.
    fn check(name: &'static str, value: u32, max: u32) -> Result<(), ThresholdError> {
        if value == 0 || value > max { Err(ThresholdError { name, value, max }) } else { Ok(()) }
    }
}

impl CoverageConfig {
    /// Check the thresholds (1 minute to 7 days each).
    pub fn check(&self) -> Result<(), ThresholdError> {
        ThresholdError::check("void_minutes", self.void_minutes, 7 * 24 * 60)?;
        ThresholdError::check("stale_minutes", self.stale_minutes, 7 * 24 * 60)
    }

    /// The stale threshold as a duration.
    pub fn stale_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.stale_minutes))
    }

    /// The void threshold as a duration.
    pub fn void_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.void_minutes))
    }
}

/// The on-duty workers whose last position is older than the stale threshold at `now`, oldest first.
pub fn stale_workers(situation: &Situation, config: &CoverageConfig, now: Timestamp) -> Vec<WorkerId> {
    let mut stale: Vec<(Timestamp, WorkerId)> = situation
        .workers
        .iter()
        .filter(|w| w.status.on_duty() && now - w.seen_at > config.stale_after())
        .map(|w| (w.seen_at, w.id))
        .collect();
    stale.sort();
    stale.into_iter().map(|(_, id)| id).collect()
}

/// A grid without cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Void {
    /// The grid.
    pub grid: GridId,
    /// Since when nobody covered it (the last time a fresh on-duty worker was seen inside, or when watching began).
    pub since: Timestamp,
}

/// The last time each grid was covered.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Per grid (by index): the last time a fresh on-duty worker was seen inside it.
    last: Vec<Option<Timestamp>>,
    /// When watching began (a grid never covered is a void from then).
    started: Timestamp,
}

impl Coverage {
    /// Start watching `district` at `now`, nothing covered yet.
    pub fn new(district: &District, now: Timestamp) -> Self {
        Self { last: vec![None; district.grids.len()], started: now }
    }

    /// Fold in the workers of `situation` at `now`: each on-duty worker with a fresh position covers the grid it
    /// stands in as of its position's time.
    pub fn observe(
        &mut self,
        district: &District,
        index: &SpatialIndex,
        situation: &Situation,
        config: &CoverageConfig,
        now: Timestamp,
    ) {
        for w in &situation.workers {
            if !w.status.on_duty() || now - w.seen_at > config.stale_after() {
                continue;
            }
            let Some(g) = index.grid_at(district, w.position) else { continue };
            self.cover(g, w.seen_at.min(now));
        }
    }

    /// Record that a fresh on-duty worker stood in grid `g` at `at` (a later time than the one kept wins).
    pub fn cover(&mut self, g: GridId, at: Timestamp) {
        if let Some(slot) = self.last.get_mut(g.index())
            && slot.is_none_or(|t| t < at)
        {
            *slot = Some(at);
        }
    }

    /// The last time grid `g` was covered.
    pub fn last_covered(&self, g: GridId) -> Option<Timestamp> {
        self.last.get(g.index()).copied().flatten()
    }

    /// The grids uncovered for longer than the void threshold at `now`, longest first.
    pub fn voids(&self, config: &CoverageConfig, now: Timestamp) -> Vec<Void> {
        let mut out: Vec<Void> = self
            .last
            .iter()
            .enumerate()
            .map(|(i, t)| Void { grid: GridId(i as u32), since: t.unwrap_or(self.started) })
            .filter(|v| now - v.since > config.void_after())
            .collect();
        out.sort_by_key(|v| (v.since, v.grid.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GridWorker, LonLat, WorkerKind, WorkerStatus};

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_790_000_000 + min * 60, 0).unwrap()
    }

    fn worker(id: u32, at: LonLat, seen: Timestamp, status: WorkerStatus) -> GridWorker {
        GridWorker {
            id: WorkerId(id),
            name: format!("w{id}"),
            kind: WorkerKind::FullTime,
            phone: String::new(),
            grids: vec![GridId(0)],
            status,
            position: at,
            seen_at: seen,
        }
    }

    #[test]
    fn a_grid_nobody_fresh_stood_in_for_the_void_minutes_is_a_void() {
        let d = crate::testing::district();
        let index = SpatialIndex::new(&d);
        let config = CoverageConfig::default();
        let (east, west) = (d.grids[0].label_at, d.grids[1].label_at);
        let (ge, gw) = (index.grid_at(&d, east).unwrap(), index.grid_at(&d, west).unwrap());
        assert_ne!(ge, gw);
        let mut c = Coverage::new(&d, t(0));
        let mut s = Situation::default();
        s.workers.push(worker(0, east, t(0), WorkerStatus::Patrolling));
        // An off-duty worker and a stale one cover nothing.
        s.workers.push(worker(1, west, t(0), WorkerStatus::OffDuty));
        c.observe(&d, &index, &s, &config, t(0));
        assert_eq!(c.last_covered(ge), Some(t(0)));
        assert_eq!(c.last_covered(gw), None);
        // 31 minutes on, the east worker kept reporting from inside; the west grid was never covered.
        s.workers[0].seen_at = t(31);
        c.observe(&d, &index, &s, &config, t(31));
        assert_eq!(c.voids(&config, t(31)), vec![Void { grid: gw, since: t(0) }]);
        assert!(c.voids(&config, t(29)).is_empty(), "not yet 30 minutes");
        // The east worker's position goes stale: listed, and the east grid becomes a void 30 minutes after it was
        // last covered.
        assert!(stale_workers(&s, &config, t(40)).is_empty());
        assert_eq!(stale_workers(&s, &config, t(42)), vec![WorkerId(0)]);
        c.observe(&d, &index, &s, &config, t(62));
        let voids = c.voids(&config, t(62));
        assert_eq!(voids, vec![Void { grid: gw, since: t(0) }, Void { grid: ge, since: t(31) }], "longest first");
        // A fresh worker in the west ends its void.
        s.workers[1].status = WorkerStatus::Patrolling;
        s.workers[1].seen_at = t(63);
        c.observe(&d, &index, &s, &config, t(63));
        assert_eq!(c.voids(&config, t(63)), vec![Void { grid: ge, since: t(31) }]);
        assert!(CoverageConfig { void_minutes: 0, stale_minutes: 5 }.check().is_err());
    }

    #[test]
    fn the_shipped_watch_file_reads_and_is_the_default() {
        let c = WatchConfig::from_toml(DEFAULT_WATCH_TOML).unwrap();
        assert_eq!(c, WatchConfig::default());
        assert_eq!(c.no_data_minutes, 2);
        assert_eq!(c.coverage, CoverageConfig { void_minutes: 30, stale_minutes: 10 });
        assert_eq!(CoverageConfig::default(), c.coverage);
        assert_eq!(c.no_data_after(), chrono::Duration::minutes(2));
        // The desks get it as JSON in /v1/info: it reads back the same.
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(json["coverage"]["void_minutes"], 30);
        assert_eq!(serde_json::from_value::<WatchConfig>(json).unwrap(), c);
    }

    #[test]
    fn a_watch_file_is_read_and_checked() {
        let c = WatchConfig::from_toml("no_data_minutes = 5\n[coverage]\nvoid_minutes = 45\nstale_minutes = 15\n");
        assert_eq!(
            c.unwrap(),
            WatchConfig { no_data_minutes: 5, coverage: CoverageConfig { void_minutes: 45, stale_minutes: 15 } }
        );
        // Out of range: named, with the range.
        let err = |text: &str| WatchConfig::from_toml(text).unwrap_err();
        let e = err("no_data_minutes = 0\n[coverage]\nvoid_minutes = 30\nstale_minutes = 10\n");
        assert_eq!(e, WatchError::Range(ThresholdError { name: "no_data_minutes", value: 0, max: 1440 }));
        assert_eq!(e.to_string(), "no_data_minutes must be 1 to 1440 minutes, got 0");
        let e = err("no_data_minutes = 2\n[coverage]\nvoid_minutes = 20000\nstale_minutes = 10\n");
        assert!(matches!(e, WatchError::Range(ThresholdError { name: "void_minutes", value: 20000, .. })), "{e}");
        let e = err("no_data_minutes = 2\n[coverage]\nvoid_minutes = 30\nstale_minutes = 0\n");
        assert!(matches!(e, WatchError::Range(ThresholdError { name: "stale_minutes", .. })), "{e}");
        // Not TOML, a key missing, a key unknown (a typo is not silently ignored), a negative number.
        for bad in [
            "no_data_minutes = ",
            "no_data_minutes = 2\n",
            "no_data_minutes = 2\n[coverage]\nvoid_minutes = 30\nstale_minutes = 10\nvoid_minute = 3\n",
            "no_data_minutes = 2\nstale_minutes = 10\n[coverage]\nvoid_minutes = 30\nstale_minutes = 10\n",
            "no_data_minutes = -1\n[coverage]\nvoid_minutes = 30\nstale_minutes = 10\n",
        ] {
            assert!(matches!(err(bad), WatchError::Parse(_)), "{bad:?}: {}", err(bad));
        }
    }
}
