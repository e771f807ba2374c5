//! Time-travel replay: the situation as it stood at any past moment.
//!
//! Nothing here keeps a second copy of the log. An event carries its whole closed loop — every step with its time,
//! the level and deadline each move set and the ones it replaced ([`crate::StatusChange::prior`]), its linked
//! reports and its acknowledgement, each timed — so the event as of `t` is its report and the steps up to `t`
//! ([`event_at`]). Workers' positions are not kept by the situation (it holds the latest only), so [`Tracks`]
//! keeps each worker's position reports, thinned to one every [`Tracks::step`] plus every change of status, for
//! [`Tracks::keep`]. [`situation_at`] puts both together: the same [`Situation`] type the live view reads, so the
//! header counts, the feed, both maps and the five-colour assessment (which takes an `as_of`) show the moment
//! without knowing it is a replay.
//!
//! Times are the domain's: a report sent late from a dead uplink shows at the moment it says it happened, not when
//! it reached the server.
//!
//! ## The flow
//!
//! ```text
//! log / simulator ──► Situation (events carry every timed step; workers hold their latest report)
//!                       │                       │
//!                       │                       └─► Tracks (thinned: replay::keeps, 5-min slots + status changes)
//!                       │                             ▲ offline demo: pingan_demo::past_tracks (the simulated week)
//!                       │                             ▲ server: tracks table ─► GET /v1/tracks ─► cache ─► Update::Tracks
//!                       ▼                             │
//!    Command::Replay(At t) ─► replay::situation_at(live, tracks, t) + coverage_at ─► AppState::situation / now = t
//!                                                    ─► the same panels: header, feed, maps, voids, assessment(as_of t)
//! ```
//!
//! A replay swaps the shown situation, never the live one: `AppState::tick` swaps the live situation back in, runs the
//! simulator or the link and the tracks on it, swaps it out again and rebuilds the shown moment only when the moment or
//! the live data moved (a playing replay moves the moment by clock time × speed). Every panel reads `AppState` as
//! before and so shows the past without knowing it; `AppState::apply` refuses the commands that would change the
//! situation. No second copy of the log is kept: the events' histories are the log of their states, and a step that
//! moved the level or deadline records both what it set and what it replaced (`StatusChange::prior`).

use crate::patrol::TaskBook;
use crate::{
    Event, EventAction, EventId, EventState, GridWorker, LonLat, Situation, Timestamp, WorkerId, WorkerStatus,
};

/// The tracks' slot: a worker's track keeps at most one new report per five minutes (plus every change of status) —
/// half the stale threshold, so a replayed worker is never shown stale for the thinning alone. A week of the demo's
/// ~1,900 workers is about 3.9 M points, 32 bytes each. The desk and the server thin by it alike.
pub const TRACK_STEP: chrono::Duration = chrono::Duration::minutes(5);

/// One kept observation of a worker: from `at` on (until the next one), the worker stood at `position`, doing
/// `status`, as last reported at `seen_at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackPoint {
    /// When it was observed (it holds from then until the worker's next point).
    pub at: Timestamp,
    /// When the position was reported (at or before `at`; what "stale" is measured from).
    pub seen_at: Timestamp,
    /// Where.
    pub position: LonLat,
    /// Doing what.
    pub status: WorkerStatus,
}

/// A point as stored: 32 bytes — observation time in Unix milliseconds, position, status packed in a word (event
/// ids past `u32::MAX - 2` are kept as patrolling: no log gets there), the report's age in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Packed {
    at_ms: i64,
    position: LonLat,
    status: u32,
    seen_ago_s: u32,
}

const PATROLLING: u32 = 0;
const OFF_DUTY: u32 = 1;

fn pack_status(s: WorkerStatus) -> u32 {
    match s {
        WorkerStatus::Patrolling => PATROLLING,
        WorkerStatus::OffDuty => OFF_DUTY,
        WorkerStatus::Handling(e) => u32::try_from(e.0).ok().and_then(|n| n.checked_add(2)).unwrap_or(PATROLLING),
    }
}

fn unpack_status(s: u32) -> WorkerStatus {
    match s {
        PATROLLING => WorkerStatus::Patrolling,
        OFF_DUTY => WorkerStatus::OffDuty,
        n => WorkerStatus::Handling(EventId(u64::from(n - 2))),
    }
}

fn ms(t: Timestamp) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or_default()
}

impl Packed {
    fn new(at: Timestamp, seen_at: Timestamp, position: LonLat, status: WorkerStatus) -> Self {
        let ago = (at - seen_at).num_seconds().clamp(0, i64::from(u32::MAX)) as u32;
        Self { at_ms: at.timestamp_millis(), position, status: pack_status(status), seen_ago_s: ago }
    }

    fn point(&self) -> TrackPoint {
        let at = chrono::DateTime::from_timestamp_millis(self.at_ms).unwrap_or_default();
        let seen_at = at - chrono::Duration::seconds(i64::from(self.seen_ago_s));
        TrackPoint { at, seen_at, position: self.position, status: unpack_status(self.status) }
    }
}

/// Every worker's recent observations, thinned, oldest first per worker: where each stood at any moment of the
/// last [`Tracks::keep`].
#[derive(Clone, Debug, PartialEq)]
pub struct Tracks {
    step_ms: i64,
    keep_ms: i64,
    by_worker: Vec<Vec<Packed>>,
}

impl Tracks {
    /// Tracks that keep an observation by [`keeps`] with `step` (a status change, or a new report in another
    /// `step`-long slot of time), for `keep` back from the newest.
    pub fn new(step: chrono::Duration, keep: chrono::Duration) -> Self {
        Self { step_ms: step.num_milliseconds().max(0), keep_ms: keep.num_milliseconds().max(0), by_worker: Vec::new() }
    }

    /// The thinning step.
    pub fn step(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.step_ms)
    }

    /// How far back points are kept.
    pub fn keep(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.keep_ms)
    }

    /// Take one observation at `at` of a worker last reported at `seen_at`, kept when [`keeps`] says so against the
    /// worker's last kept point; returns whether it was kept. An observation not later than the last kept one is ignored: a track only grows
    /// at its end. Seconds-exact `seen_at` (an age in whole seconds is stored).
    pub fn record(
        &mut self,
        worker: WorkerId,
        at: Timestamp,
        seen_at: Timestamp,
        position: LonLat,
        status: WorkerStatus,
    ) -> bool {
        let i = worker.index();
        if i >= self.by_worker.len() {
            self.by_worker.resize_with(i + 1, Vec::new);
        }
        let p = Packed::new(at, seen_at.min(at), position, status);
        let step = self.step();
        let track = &mut self.by_worker[i];
        if !keeps(track.last().map(Packed::point).as_ref(), &p.point(), step) {
            return false;
        }
        track.push(p);
        true
    }

    /// Put in points kept elsewhere by the same rule (the server's thinned tracks), each at its place in time; a
    /// point at the same moment as one already there is not added twice. Returns how many were added.
    pub fn merge(&mut self, points: impl IntoIterator<Item = (WorkerId, TrackPoint)>) -> usize {
        let mut added = 0;
        for (worker, p) in points {
            let i = worker.index();
            if i >= self.by_worker.len() {
                self.by_worker.resize_with(i + 1, Vec::new);
            }
            let p = Packed::new(p.at, p.seen_at.min(p.at), p.position, p.status);
            let track = &mut self.by_worker[i];
            let n = track.partition_point(|q| q.at_ms < p.at_ms);
            if track.get(n).is_some_and(|q| q.at_ms == p.at_ms) {
                continue;
            }
            track.insert(n, p);
            added += 1;
        }
        added
    }

    /// Take every worker of `situation` as observed at `now` (what a live view has after each update); returns
    /// how many points were kept. A few thousand comparisons: cheap enough after every update.
    pub fn observe(&mut self, situation: &Situation, now: Timestamp) -> usize {
        let now = ms(now);
        situation
            .workers
            .iter()
            .filter(|w| self.record(w.id, now.max(w.seen_at), w.seen_at, w.position, w.status))
            .count()
    }

    /// Where `worker` stood at `t`: its last kept observation at or before `t` (`None`: nothing known that early).
    pub fn at(&self, worker: WorkerId, t: Timestamp) -> Option<TrackPoint> {
        let track = self.by_worker.get(worker.index())?;
        let t = t.timestamp_millis();
        let n = track.partition_point(|p| p.at_ms <= t);
        n.checked_sub(1).map(|i| track[i].point())
    }

    /// Forget points older than `keep` before `now`, keeping each worker's last point at or before the cut (where a
    /// worker who has not moved since still stands).
    pub fn prune(&mut self, now: Timestamp) {
        let cut = now.timestamp_millis() - self.keep_ms;
        for track in &mut self.by_worker {
            let n = track.partition_point(|p| p.at_ms <= cut);
            if n > 1 {
                track.drain(..n - 1);
            }
        }
    }

    /// The earliest moment any point is known for (`None`: empty).
    pub fn first(&self) -> Option<Timestamp> {
        let ms = self.by_worker.iter().filter_map(|t| t.first()).map(|p| p.at_ms).min()?;
        chrono::DateTime::from_timestamp_millis(ms)
    }

    /// Points kept, all workers together.
    pub fn len(&self) -> usize {
        self.by_worker.iter().map(Vec::len).sum()
    }

    /// Whether no point is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the points take (capacity included).
    pub fn bytes(&self) -> usize {
        self.by_worker.iter().map(|t| t.capacity() * std::mem::size_of::<Packed>()).sum::<usize>()
            + self.by_worker.capacity() * std::mem::size_of::<Vec<Packed>>()
    }

    /// `worker`'s kept points observed from `from` to `to` inclusive, oldest first.
    pub fn between(&self, worker: WorkerId, from: Timestamp, to: Timestamp) -> Vec<TrackPoint> {
        let Some(track) = self.by_worker.get(worker.index()) else { return Vec::new() };
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let a = track.partition_point(|p| p.at_ms < from);
        let b = track.partition_point(|p| p.at_ms <= to);
        track[a..b.max(a)].iter().map(Packed::point).collect()
    }

    /// Every point kept, as `(worker, point)`, worker by worker, oldest first (for storing them).
    pub fn points(&self) -> impl Iterator<Item = (WorkerId, TrackPoint)> + '_ {
        self.by_worker.iter().enumerate().flat_map(|(i, t)| t.iter().map(move |p| (WorkerId(i as u32), p.point())))
    }
}

/// The track point a logged change reports: a worker's move, at the time it was reported (`None`: another change).
pub fn point_of(body: &crate::sync::ChangeBody) -> Option<(WorkerId, TrackPoint)> {
    match body {
        crate::sync::ChangeBody::WorkerMoved { worker, position, status, at } => {
            Some((*worker, TrackPoint { at: *at, seen_at: *at, position: *position, status: *status }))
        }
        _ => None,
    }
}

/// Whether a track whose last kept point is `last` keeps `next` — the one thinning rule of the desk's tracks and the
/// server's: a point later than the last, and either of another status, or newly reported (a later report or another
/// position) in another `step`-long slot of time than the last (slots counted from the Unix epoch, so two keepers of
/// the same reports keep the same points; a zero step: every new report). Whether a point is kept depends only on
/// the last kept one, and a point not kept has the last kept one's status and slot, so where reports alone change a
/// worker's status, comparing with the previous report keeps exactly the same points (tested); the server compares
/// with the last kept point all the same, since an event's step changes a status without a report.
pub fn keeps(last: Option<&TrackPoint>, next: &TrackPoint, step: chrono::Duration) -> bool {
    let Some(last) = last else { return true };
    let slot = |t: Timestamp| match step.num_milliseconds() {
        s if s > 0 => t.timestamp_millis().div_euclid(s),
        _ => t.timestamp_millis(),
    };
    let reported = next.seen_at > last.seen_at || next.position != last.position;
    next.at > last.at && (next.status != last.status || (reported && slot(next.at) != slot(last.at)))
}

/// The coverage record as it stood at `t`, from the tracks: every on-duty worker's fresh observations over the
/// `look_back` before `t` cover the grid they stood in (a grid uncovered that whole time is a void since the
/// window's start — older cover is not looked for, so a long void shows as at least `look_back` old).
pub fn coverage_at(
    district: &crate::District,
    index: &crate::SpatialIndex,
    tracks: &Tracks,
    config: &crate::coverage::CoverageConfig,
    t: Timestamp,
    look_back: chrono::Duration,
) -> crate::coverage::Coverage {
    let from = t - look_back;
    let mut cover = crate::coverage::Coverage::new(district, from);
    let (lo, hi) = (from.timestamp_millis(), t.timestamp_millis());
    for track in &tracks.by_worker {
        // The point in force at the window's start, and every one after it up to `t`.
        let a = track.partition_point(|p| p.at_ms < lo).saturating_sub(1);
        let b = track.partition_point(|p| p.at_ms <= hi);
        for p in track[a.min(b)..b].iter().map(Packed::point) {
            if !p.status.on_duty() || p.at - p.seen_at > config.stale_after() {
                continue;
            }
            if let Some(g) = index.grid_at(district, p.position) {
                cover.cover(g, p.seen_at);
            }
        }
    }
    cover
}

/// `event` as it stood at `t`: `None` if it was reported later; else its report and the steps taken by `t` —
/// state, assignee, level and deadline as those steps left them —, the linked reports made by then and its
/// acknowledgement if it was made by then.
pub fn event_at(event: &Event, t: Timestamp) -> Option<Event> {
    if event.reported_at > t {
        return None;
    }
    let n = event.history.iter().take_while(|h| h.at <= t).count();
    // Linked reports arrive in any order (each with its own time): those made by `t`.
    let linked = event.linked.iter().filter(|l| l.at <= t).count();
    let acked = event.acknowledged.as_ref().is_none_or(|a| a.at <= t);
    if n == event.history.len() && linked == event.linked.len() && acked {
        return Some(event.clone());
    }
    // The level and deadline at intake: what the first moving step moved it away from (when it has none, nothing
    // ever moved it, and the event's own are the intake's). A step logged before moves recorded their prior keeps
    // the event's current ones: the best that is known.
    let (mut level, mut deadline) = event
        .history
        .iter()
        .find(|h| h.level.is_some() || h.deadline.is_some())
        .and_then(|h| h.prior)
        .unwrap_or((event.level, event.deadline));
    let mut assignee = None;
    for h in &event.history[..n] {
        if let EventAction::Assign { worker } = &h.action {
            assignee = Some(*worker);
        }
        level = h.level.unwrap_or(level);
        deadline = h.deadline.unwrap_or(deadline);
    }
    let mut out = event.clone();
    out.history.truncate(n);
    out.linked.retain(|l| l.at <= t);
    if !acked {
        out.acknowledged = None;
    }
    out.state = out.history.last().map_or(EventState::Reported, |h| h.to);
    out.assignee = assignee;
    out.level = level;
    out.deadline = deadline;
    Some(out)
}

/// `book` as it stood at `t`: `None` if it was issued later; else with only the stops reported by then.
pub fn book_at(book: &TaskBook, t: Timestamp) -> Option<TaskBook> {
    if book.issued_at > t {
        return None;
    }
    let mut out = book.clone();
    for c in &mut out.checks {
        if c.result.as_ref().is_some_and(|r| r.at > t) {
            c.result = None;
        }
    }
    Some(out)
}

/// `worker` as it stood at `t`: where its track puts it then (off duty where its track knows nothing that early).
pub fn worker_at(worker: &GridWorker, tracks: &Tracks, t: Timestamp) -> GridWorker {
    let mut w = worker.clone();
    match tracks.at(worker.id, t) {
        Some(p) => {
            w.position = p.position;
            w.status = p.status;
            w.seen_at = p.seen_at;
        }
        None => w.status = WorkerStatus::OffDuty,
    }
    w
}

/// The situation as it stood at `t`, from `live` (whose events and books carry their past) and `tracks` (the
/// workers' past): events reported by then in their state then, workers where they stood, books issued by then.
pub fn situation_at(live: &Situation, tracks: &Tracks, t: Timestamp) -> Situation {
    Situation {
        events: live.events.iter().filter_map(|e| event_at(e, t)).collect(),
        workers: live.workers.iter().map(|w| worker_at(w, tracks, t)).collect(),
        task_books: live.task_books.iter().filter_map(|b| book_at(b, t)).collect(),
    }
}

/// Events reported per bucket of `bucket` from `from` (as many buckets as fit before `to`): the timeline's
/// sparkline, where a busy night shows.
pub fn reported_per(events: &[Event], from: Timestamp, to: Timestamp, bucket: chrono::Duration) -> Vec<u32> {
    let b = bucket.num_seconds().max(1);
    let n = ((to - from).num_seconds().max(0) / b + 1) as usize;
    let mut out = vec![0u32; n];
    for e in events {
        let d = (e.reported_at - from).num_seconds();
        if d >= 0 && ((d / b) as usize) < n {
            out[(d / b) as usize] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::Level;
    use crate::{AddressCode, CommunityId, EventCategory, EventSource, GridId, Severity, TownId};

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_790_000_000 + min * 60, 0).unwrap()
    }

    fn event() -> Event {
        let mut e = Event {
            id: EventId(9),
            number: "YH-9".into(),
            category: EventCategory::Dispute,
            severity: Severity::General,
            title: "邻里纠纷".into(),
            position: LonLat::new(120.3, 30.4),
            address: AddressCode::NONE,
            place: "x".into(),
            town: TownId(0),
            community: CommunityId(0),
            grid: GridId(0),
            building: None,
            source: EventSource::Hotline,
            reported_at: t(0),
            deadline: t(240),
            level: Level::Community,
            state: EventState::Reported,
            assignee: None,
            history: vec![],
            evidence: None,
            linked: Vec::new(),
            acknowledged: None,
        };
        e.apply(EventAction::Accept, t(10)).unwrap();
        e.apply(EventAction::Assign { worker: WorkerId(3) }, t(20)).unwrap();
        e.apply_moving(EventAction::Escalate { reason: "超时".into() }, t(300), Some((Level::Town, t(600)))).unwrap();
        e.apply(EventAction::Assign { worker: WorkerId(5) }, t(310)).unwrap();
        e
    }

    #[test]
    fn an_event_as_it_stood() {
        let e = event();
        assert_eq!(event_at(&e, t(-1)), None, "not reported yet");
        let at0 = event_at(&e, t(0)).unwrap();
        assert_eq!((at0.state, at0.assignee, at0.history.len()), (EventState::Reported, None, 0));
        let at25 = event_at(&e, t(25)).unwrap();
        assert_eq!((at25.state, at25.assignee), (EventState::Assigned, Some(WorkerId(3))));
        assert_eq!((at25.level, at25.deadline), (Level::Community, t(240)), "the intake's level and deadline");
        assert!(at25.is_overdue(t(250)));
        let at305 = event_at(&e, t(305)).unwrap();
        assert_eq!((at305.state, at305.level, at305.deadline), (EventState::Escalated, Level::Town, t(600)));
        assert_eq!(event_at(&e, t(400)).unwrap(), e, "after the last step: the event itself");
    }

    #[test]
    fn tracks_thin_and_answer_by_time() {
        let mut tr = Tracks::new(chrono::Duration::minutes(5), chrono::Duration::hours(2));
        let w = WorkerId(2);
        let p = |x: f64| LonLat::new(120.0 + x, 30.0);
        let mut rec = |at: i64, x: f64, s: WorkerStatus| tr.record(w, t(at), t(at), p(x), s);
        assert!(rec(0, 0.0, WorkerStatus::Patrolling));
        assert!(!rec(1, 0.1, WorkerStatus::Patrolling), "within the step: thinned");
        assert!(rec(2, 0.2, WorkerStatus::Handling(EventId(4))), "a status change is kept");
        assert!(!rec(1, 0.3, WorkerStatus::Patrolling), "older than the track's end");
        assert!(rec(7, 0.4, WorkerStatus::Handling(EventId(4))));
        assert!(!tr.record(w, t(20), t(7), p(0.4), WorkerStatus::Handling(EventId(4))), "nothing new reported");
        assert!(tr.record(w, t(21), t(7), p(0.4), WorkerStatus::Patrolling), "the status changed, not the position");
        assert_eq!(tr.at(w, t(22)).unwrap().seen_at, t(7));
        tr.by_worker[2].pop();
        assert_eq!(tr.at(w, t(-1)), None);
        assert_eq!(tr.at(w, t(1)).unwrap().position, p(0.0));
        assert_eq!(tr.at(w, t(3)).unwrap().status, WorkerStatus::Handling(EventId(4)));
        assert_eq!(tr.at(w, t(100)).unwrap().at, t(7));
        assert_eq!(tr.at(WorkerId(0), t(3)), None, "a worker never seen");
        assert_eq!(tr.len(), 3);
        tr.prune(t(7 + 120));
        assert_eq!(tr.len(), 1, "older than two hours, but the last point before the cut stays");
        assert_eq!(tr.at(w, t(200)).unwrap().position, p(0.4));
        assert_eq!(tr.first(), Some(t(7)));
        for s in [WorkerStatus::OffDuty, WorkerStatus::Patrolling, WorkerStatus::Handling(EventId(0))] {
            assert_eq!(unpack_status(pack_status(s)), s);
        }
        assert_eq!(std::mem::size_of::<Packed>(), 32);
    }

    #[test]
    fn the_previous_report_thins_like_the_last_kept_point() {
        // A small xorshift: report gaps of 1..240 s, a status change one time in ten.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let step = chrono::Duration::minutes(5);
        for _ in 0..50 {
            let (mut at, mut kept_by_last, mut kept_by_previous) = (t(0), Vec::new(), Vec::new());
            let (mut last, mut previous): (Option<TrackPoint>, Option<TrackPoint>) = (None, None);
            for i in 0..200 {
                at += chrono::Duration::seconds(1 + next(239) as i64);
                let status = if next(10) == 0 { WorkerStatus::Handling(EventId(1)) } else { WorkerStatus::Patrolling };
                let p = TrackPoint { at, seen_at: at, position: LonLat::new(120.0 + i as f64 * 1e-4, 30.0), status };
                if keeps(last.as_ref(), &p, step) {
                    kept_by_last.push(i);
                    last = Some(p);
                }
                if keeps(previous.as_ref(), &p, step) {
                    kept_by_previous.push(i);
                }
                previous = Some(p);
            }
            assert_eq!(kept_by_last, kept_by_previous);
            assert!(kept_by_last.len() < 150, "{} of 200 kept", kept_by_last.len());
        }
    }

    #[test]
    fn merged_points_take_their_place_in_time() {
        let mut tr = Tracks::new(chrono::Duration::minutes(5), chrono::Duration::days(1));
        let w = WorkerId(1);
        let p = |m: i64| TrackPoint {
            at: t(m),
            seen_at: t(m),
            position: LonLat::new(120.0, 30.0 + m as f64 * 1e-4),
            status: WorkerStatus::Patrolling,
        };
        tr.record(w, t(60), t(60), p(60).position, WorkerStatus::Patrolling);
        assert_eq!(tr.merge([(w, p(10)), (w, p(30)), (w, p(60)), (w, p(20))]), 3, "the one at 60 is there already");
        let at: Vec<_> = tr.between(w, t(0), t(100)).iter().map(|q| q.at).collect();
        assert_eq!(at, vec![t(10), t(20), t(30), t(60)]);
        assert_eq!(tr.at(w, t(25)).unwrap().position, p(20).position);
    }

    #[test]
    fn sparkline_buckets() {
        let e = event();
        let mut later = e.clone();
        later.reported_at = t(61);
        let counts = reported_per(&[e, later], t(0), t(120), chrono::Duration::hours(1));
        assert_eq!(counts, vec![1, 1, 0]);
    }
}
