//! The demo workers' past: where each grid worker walked over the days before the simulation's start, so that a
//! replay of the demo's last week has workers on the map, not only events.
//!
//! The walk is consistent with the events the simulator's warm-up produced: a worker's status is what the events'
//! steps, taken in time order through [`pingan_core::worker::status_after_step`], made it — handling an event while
//! it was assigned to them or in their disposal, the latest one when two overlap —, and heads there at response speed; otherwise they patrol their home
//! grid between random waypoints at walking speed, and spend their last hour walking to where the simulation starts
//! them, so the track meets the live situation without a jump. Deterministic: its own random stream per worker
//! (seeded by the demo's seed and the worker's id), so the simulator's events are the same with or without it.

use crate::SimConfig;
use geo::Intersects;
use pingan_core::replay::Tracks;
use pingan_core::worker::status_after_step;
use pingan_core::{
    District, EventAction, EventId, GridWorker, LocalFrame, LonLat, Situation, Timestamp, WorkerId, WorkerStatus,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// When a worker handled which event, and where it was.
#[derive(Clone, Copy, Debug)]
struct Handling {
    from: Timestamp,
    to: Timestamp,
    event: EventId,
    at: LonLat,
}

/// Each worker's handling intervals (by worker index, in time order, never overlapping): every step of every event
/// replayed in time order through the one worker-status rule ([`pingan_core::worker::status_after_step`]), as the
/// live situation took them — so a worker given a second event while on a first is handling the second.
fn handling(situation: &Situation, end: Timestamp) -> Vec<Vec<Handling>> {
    let mut out = vec![Vec::new(); situation.workers.len()];
    let mut steps: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (i, e) in situation.events.iter().enumerate() {
        steps.extend(e.history.iter().enumerate().map(|(k, h)| (h.at, i, k)));
    }
    steps.sort();
    let mut assignee: Vec<Option<WorkerId>> = vec![None; situation.events.len()];
    let mut status = vec![(WorkerStatus::Patrolling, end); situation.workers.len()];
    let position = |id: EventId| situation.event(id).map(|e| e.position);
    let close = |out: &mut Vec<Vec<Handling>>, w: usize, (was, from): (WorkerStatus, Timestamp), to: Timestamp| {
        if let WorkerStatus::Handling(event) = was
            && let Some(at) = position(event)
        {
            out[w].push(Handling { from, to, event, at });
        }
    };
    for (at, i, k) in steps {
        let e = &situation.events[i];
        let h = &e.history[k];
        let before = assignee[i];
        if let EventAction::Assign { worker } = &h.action {
            assignee[i] = Some(*worker);
        }
        for w in [before, assignee[i]].into_iter().flatten() {
            let Some(s) = status.get(w.index()).copied() else { continue };
            let next = status_after_step(w, s.0, e.id, assignee[i], h.to);
            if next != s.0 {
                close(&mut out, w.index(), s, at);
                status[w.index()] = (next, at);
            }
        }
    }
    for (w, s) in status.into_iter().enumerate() {
        close(&mut out, w, s, end);
    }
    out
}

/// A worker's home grid, ready for sampling points in it.
struct Home {
    shape: geo::Polygon<f64>,
    min: LonLat,
    max: LonLat,
    fallback: LonLat,
}

impl Home {
    fn of(district: &District, w: &GridWorker) -> Option<Self> {
        let grid = district.grids.get(w.grids.first()?.index())?;
        let b = grid.outline.bbox()?;
        Some(Self { shape: grid.outline.to_geo(), min: b.min, max: b.max, fallback: grid.label_at })
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> LonLat {
        for _ in 0..64 {
            let p = LonLat::new(
                rng.random_range(self.min.lon..=self.max.lon),
                rng.random_range(self.min.lat..=self.max.lat),
            );
            if self.shape.intersects(&geo::Coord::from(p)) {
                return p;
            }
        }
        self.fallback
    }
}

/// One worker's walk from `from` up to (not including) its report in `situation`, then that report.
fn walk(
    district: &District,
    frame: &LocalFrame,
    w: &GridWorker,
    handled: &[Handling],
    seed: u64,
    config: &SimConfig,
    (from, step): (Timestamp, chrono::Duration),
) -> Vec<(Timestamp, LonLat, WorkerStatus)> {
    let mut out = Vec::new();
    let Some(home) = Home::of(district, w) else {
        out.push((w.seen_at, w.position, w.status));
        return out;
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7eac_0000_0000 ^ (u64::from(w.id.0) << 20));
    let base = if w.status == WorkerStatus::OffDuty { WorkerStatus::OffDuty } else { WorkerStatus::Patrolling };
    let end = w.seen_at;
    let homing = end - chrono::Duration::hours(1);
    let target_end = frame.local_from_lonlat(w.position);
    // Off duty, a worker stays where they are; on duty, they start somewhere in their grid.
    let mut pos =
        if base == WorkerStatus::OffDuty { target_end } else { frame.local_from_lonlat(home.sample(&mut rng)) };
    let mut waypoint = frame.local_from_lonlat(home.sample(&mut rng));
    let mut last = None;
    let dt = step.num_milliseconds() as f64 / 1000.0;
    let mut t = from;
    let mut k = 0;
    while t + step <= end {
        while k < handled.len() && handled[k].to <= t {
            k += 1;
        }
        let now_handling = handled[k..].iter().take_while(|h| h.from <= t).find(|h| h.to > t);
        let status = now_handling.map_or(base, |h| WorkerStatus::Handling(h.event));
        let (target, speed) = match (now_handling, status) {
            (Some(h), _) => (frame.local_from_lonlat(h.at), config.response_speed),
            (None, _) if t >= homing => (target_end, config.patrol_speed),
            (None, _) => (waypoint, config.patrol_speed),
        };
        if status != WorkerStatus::OffDuty {
            let (dx, dy) = (target[0] - pos[0], target[1] - pos[1]);
            let d = (dx * dx + dy * dy).sqrt();
            let s = speed * dt;
            if d <= s {
                pos = target;
                if now_handling.is_none() && t < homing {
                    waypoint = frame.local_from_lonlat(home.sample(&mut rng));
                }
            } else {
                pos = [pos[0] + dx / d * s, pos[1] + dy / d * s];
            }
        }
        // Off duty and still, nothing new to report.
        if !(status == WorkerStatus::OffDuty && last == Some(status)) {
            out.push((t, frame.lonlat_from_local(pos), status));
        }
        last = Some(status);
        t += step;
    }
    out.push((w.seen_at, w.position, w.status));
    out
}

/// The workers' past from `from` to their reports in `situation` (the simulator's situation at its start, whose
/// events' histories reach back that far), one point every `step`, kept in tracks that thin at `step` and keep
/// `keep`. Spread over the machine's cores.
pub fn past_tracks(
    district: &District,
    situation: &Situation,
    seed: u64,
    config: &SimConfig,
    from: Timestamp,
    step: chrono::Duration,
    keep: chrono::Duration,
) -> Tracks {
    let step = step.max(chrono::Duration::seconds(1));
    let end = situation.workers.iter().map(|w| w.seen_at).max().unwrap_or(from);
    let handled = handling(situation, end);
    let frame = LocalFrame::new(district.bbox().centre());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = situation.workers.len().div_ceil(threads).max(1);
    let walks: Vec<Vec<(Timestamp, LonLat, WorkerStatus)>> = std::thread::scope(|s| {
        let jobs: Vec<_> = situation
            .workers
            .chunks(chunk)
            .map(|ws| {
                let (frame, handled) = (&frame, &handled);
                s.spawn(move || {
                    ws.iter()
                        .map(|w| walk(district, frame, w, &handled[w.id.index()], seed, config, (from, step)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter().flat_map(|j| j.join().unwrap_or_default()).collect()
    });
    let mut tracks = Tracks::new(step, keep);
    for (w, points) in situation.workers.iter().zip(walks) {
        for (at, p, status) in points {
            tracks.record(w.id, at, at, p, status);
        }
    }
    tracks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoSpec, Simulator, generate};

    #[test]
    fn the_past_meets_the_present_and_follows_the_events() {
        let district = generate(&DemoSpec::small(3));
        let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let config = SimConfig { history_hours: 24.0, ..SimConfig::default() };
        let (situation, _) = Simulator::start(&district, 3, config, now);
        let from = now - chrono::Duration::hours(24);
        let step = chrono::Duration::minutes(5);
        let tracks = past_tracks(&district, &situation, 3, &config, from, step, chrono::Duration::days(7));
        assert!(tracks.len() > situation.workers.len() * 200, "{} points", tracks.len());
        for w in &situation.workers {
            let p = tracks.at(w.id, now).expect("every worker has a point at the start");
            assert_eq!((p.position, p.status, p.at), (w.position, w.status, w.seen_at), "worker {}", w.id.0);
        }
        // While an event was assigned to a worker, the track says they handled it.
        let mut checked = 0;
        for e in &situation.events {
            for (i, h) in e.history.iter().enumerate() {
                let EventAction::Assign { worker } = h.action else { continue };
                let until = e.history.get(i + 1).map_or(now, |n| n.at);
                let mid = h.at + (until - h.at) / 2;
                if until - h.at < step * 2 || mid < from + step || mid + step > now {
                    continue;
                }
                let p = tracks.at(worker, mid).unwrap();
                // Unless another event of the worker's took a step meanwhile (the rule makes the latest one theirs).
                let given_another = situation.events.iter().any(|o| {
                    o.id != e.id
                        && o.history
                            .iter()
                            .any(|s| matches!(s.action, EventAction::Assign { worker: x } if x == worker))
                        && o.history.iter().any(|s| s.at >= h.at && s.at <= mid)
                });
                if !given_another {
                    assert_eq!(p.status, WorkerStatus::Handling(e.id), "{} at {mid}", e.number);
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "{checked} assignments checked");
        // A worker off duty all along stays where they are and reports once.
        let handled = handling(&situation, now);
        let off = situation
            .workers
            .iter()
            .find(|w| w.status == WorkerStatus::OffDuty && handled[w.id.index()].is_empty())
            .unwrap();
        let walk = tracks.between(off.id, from, now);
        assert_eq!(walk.len(), 2, "{walk:?}");
        assert!(walk.iter().all(|p| p.position == off.position && p.status == WorkerStatus::OffDuty));
    }
}
