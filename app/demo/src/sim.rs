//! The live simulator: grid workers walking their grids, events reported and carried through their closed loop.
//!
//! Deterministic: the same seed, district and sequence of [`Simulator::step`] calls give the same situation.
//! It never reads a clock; the caller passes the time in (the desktop passes wall-clock time, tests a fixed one).

use geo::Intersects;
use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::patrol::{CheckOutcome, CheckResult, TaskBookId};
use pingan_core::routing::RoutingConfig;
use pingan_core::{
    Building, BuildingId, BuildingKind, District, Event, EventAction, EventCategory, EventId, EventSource, EventState,
    GridId, GridWorker, LonLat, Severity, Situation, Timestamp, WorkerId, WorkerKind, WorkerStatus,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// How lively the simulation is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimConfig {
    /// New events per hour of simulated time, across the district.
    pub events_per_hour: f64,
    /// How far back the initial situation reaches (hours of history).
    pub history_hours: f64,
    /// Walking speed of patrolling workers, m/s.
    pub patrol_speed: f64,
    /// Speed of workers heading to an event (e-bike), m/s.
    pub response_speed: f64,
    /// Minutes of process time per minute of clock time for event handling (a demo wants loops to close visibly).
    pub handling_speedup: f64,
    /// Escalate overdue events one level up after the grace, as the server does (the desktop's local demo); off
    /// when a server runs the simulator and escalates by itself.
    pub sla_escalation: bool,
    /// Share of a task book's checks that find a problem (and file an event); the rest are reported fine.
    pub patrol_problem_share: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            events_per_hour: 40.0,
            history_hours: 72.0,
            patrol_speed: 1.4,
            response_speed: 5.0,
            handling_speedup: 1.0,
            sla_escalation: true,
            patrol_problem_share: 0.15,
        }
    }
}

/// What changed in a step, for feeds and notifications (worker moves are not listed).
#[derive(Clone, Debug, PartialEq)]
pub enum SimChange {
    /// A new event was reported.
    Reported(EventId),
    /// An event changed state.
    Transition(EventId, EventState),
    /// A grid worker reported stop `check` of task book `book` (recorded in the situation's book). A check that
    /// found a problem filed a new event (its id is the result's `event`, in `Situation::events`): it is not listed
    /// as `Reported` too — a server gets it with the check.
    Checked {
        /// The book.
        book: TaskBookId,
        /// The stop (index into its checks).
        check: usize,
    },
}

/// The simulator's own state: schedule of pending actions, worker waypoints, random stream.
pub struct Simulator {
    rng: ChaCha8Rng,
    config: SimConfig,
    now: Timestamp,
    next_arrival: Timestamp,
    /// Event → when its next action is due, and whether it is a slow one (will go overdue).
    due: BTreeMap<EventId, (Timestamp, bool)>,
    waypoints: Vec<LonLat>,
    grid_weights: Vec<f64>,
    grid_workers: Vec<Vec<WorkerId>>,
    /// Routing and deadlines of new events, and when overdue ones escalate.
    routing: RoutingConfig,
    /// When overdue events are next looked for.
    next_sla: Timestamp,
    /// Open task books → when their next stop is reported.
    books_due: BTreeMap<TaskBookId, Timestamp>,
    /// Draws for the patrols alone, so that books in the situation do not change which events arrive when.
    patrol_rng: ChaCha8Rng,
}

impl Simulator {
    /// Build the initial situation at `now` (workers, and `history_hours` of events already in various states)
    /// and the simulator that carries it on.
    pub fn start(district: &District, seed: u64, config: SimConfig, now: Timestamp) -> (Situation, Simulator) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5157_0000);
        let mut situation = Situation::default();
        let mut grid_workers = vec![Vec::new(); district.grids.len()];
        for grid in &district.grids {
            let mut hire = |kind: WorkerKind, grids: Vec<GridId>, rng: &mut ChaCha8Rng| {
                let id = WorkerId(situation.workers.len() as u32);
                for g in &grids {
                    grid_workers[g.index()].push(id);
                }
                let on = rng.random_bool(if kind == WorkerKind::FullTime { 0.9 } else { 0.6 });
                situation.workers.push(GridWorker {
                    id,
                    name: crate::names::person(rng),
                    kind,
                    // A made-up mobile number from the id (no random draw, so the seeded demo stays as it was).
                    phone: format!(
                        "1{}{:08}",
                        [3, 5, 8][id.index() % 3],
                        13_000_000 + id.0 as u64 * 7_919 % 86_000_000
                    ),
                    position: random_point_in(district, grids[0], rng),
                    grids,
                    status: if on { WorkerStatus::Patrolling } else { WorkerStatus::OffDuty },
                    seen_at: now - chrono::Duration::seconds(rng.random_range(0..600)),
                });
            };
            hire(WorkerKind::FullTime, vec![grid.id], &mut rng);
            if rng.random_bool(0.3) {
                let community = district.community(grid.community);
                let mut grids = vec![grid.id];
                if let Some(next) = community.grids.iter().find(|g| **g != grid.id && rng.random_bool(0.5)) {
                    grids.push(*next);
                }
                hire(WorkerKind::PartTime, grids, &mut rng);
            }
        }
        let grid_weights = district
            .grids
            .iter()
            .map(|g| {
                let s = g.stats;
                20.0 + s.population as f64 + 1.5 * s.floating_population as f64 + 8.0 * s.enterprises as f64
            })
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        let waypoints = situation.workers.iter().map(|w| w.position).collect();
        let start = now - chrono::Duration::seconds((config.history_hours * 3600.0) as i64);
        let mut sim = Simulator {
            rng,
            config,
            now: start,
            next_arrival: start,
            due: BTreeMap::new(),
            waypoints,
            grid_weights,
            grid_workers,
            routing: RoutingConfig::default(),
            next_sla: start,
            books_due: BTreeMap::new(),
            patrol_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7a77_0b00),
        };
        sim.schedule_arrival();
        // Replay history in ten-minute steps so old events are closed, recent ones open, some overdue.
        let step = chrono::Duration::minutes(10);
        let mut t = start;
        while t < now {
            t = (t + step).min(now);
            sim.advance_events(district, &mut situation, t);
        }
        sim.move_workers(district, &mut situation, now);
        (situation, sim)
    }

    /// The configuration in use.
    pub fn config(&self) -> SimConfig {
        self.config
    }

    /// Advance the simulation to `now`: new events, due lifecycle steps, worker movement.
    /// Time never goes backwards: an earlier `now` is ignored.
    pub fn step(&mut self, district: &District, situation: &mut Situation, now: Timestamp) -> Vec<SimChange> {
        if now <= self.now {
            return Vec::new();
        }
        let changes = self.advance_events(district, situation, now);
        self.move_workers(district, situation, now);
        changes
    }

    fn schedule_arrival(&mut self) {
        let rate = self.config.events_per_hour.max(1e-6) / 3600.0;
        let gap = -(1.0 - self.rng.random::<f64>()).ln() / rate;
        self.next_arrival += chrono::Duration::milliseconds((gap * 1000.0) as i64);
    }

    fn advance_events(&mut self, district: &District, situation: &mut Situation, now: Timestamp) -> Vec<SimChange> {
        let mut changes = Vec::new();
        while self.next_arrival <= now && self.config.events_per_hour > 0.0 {
            let at = self.next_arrival;
            let e = self.new_event(district, situation, at);
            let id = e.id;
            situation.events.push(e);
            changes.push(SimChange::Reported(id));
            let slow = self.rng.random_bool(0.08);
            let delay = self.delay(EventState::Reported, slow);
            self.due.insert(id, (at + delay, slow));
            self.schedule_arrival();
        }
        // Apply every due action, in time order (an action may schedule the next one, still before `now`).
        while let Some((&id, &(at, slow))) =
            self.due.iter().filter(|(_, (t, _))| *t <= now).min_by_key(|(_, (t, _))| *t)
        {
            self.due.remove(&id);
            let Some(state) = self.act(situation, id, at) else {
                continue;
            };
            changes.push(SimChange::Transition(id, state));
            if state != EventState::Closed || self.rng.random_bool(0.01) {
                let d = self.delay(state, slow);
                self.due.insert(id, (at + d, slow));
            }
        }
        if self.config.sla_escalation && now >= self.next_sla {
            self.escalate_overdue(situation, now, &mut changes);
            self.next_sla = now + chrono::Duration::minutes(1);
        }
        self.carry_out_books(district, situation, now, &mut changes);
        self.now = now;
        changes
    }

    /// Patrol task books: a worker of each open book's grid reports its stops one by one — the first soon after
    /// the issue, then one every few (sped-up) minutes —, most fine, about `patrol_problem_share` of them with a
    /// problem, which files a new event at that stop (then handled like any other).
    fn carry_out_books(
        &mut self,
        district: &District,
        situation: &mut Situation,
        now: Timestamp,
        changes: &mut Vec<SimChange>,
    ) {
        let speedup = self.config.handling_speedup.max(0.01);
        let minutes = |rng: &mut ChaCha8Rng, lo: f64, hi: f64| {
            chrono::Duration::seconds((rng.random_range(lo..hi) * 60.0 / speedup) as i64)
        };
        self.books_due.retain(|id, _| situation.task_book(*id).is_some_and(|b| !b.is_closed()));
        for b in situation.task_books.iter().filter(|b| !b.is_closed()) {
            if !self.books_due.contains_key(&b.id) {
                let first = b.issued_at.max(self.now) + minutes(&mut self.patrol_rng, 0.2, 1.5);
                self.books_due.insert(b.id, first);
            }
        }
        while let Some((&id, &at)) = self.books_due.iter().filter(|(_, t)| **t <= now).min_by_key(|(id, t)| (**t, **id))
        {
            self.books_due.remove(&id);
            let Some(book) = situation.task_book(id) else { continue };
            let Some(check) = book.checks.iter().position(|c| c.result.is_none()) else { continue };
            let (grid, building, items) = (book.grid, book.checks[check].building, book.items.clone());
            // The grid's own worker (whose home grid it is), else any who serves it.
            let serving = self.grid_workers.get(grid.index()).map(Vec::as_slice).unwrap_or_default();
            let own = serving.iter().copied().find(|w| situation.worker(*w).is_some_and(|w| w.grids[0] == grid));
            let Some(worker) = own.or(serving.first().copied()) else { continue };
            let by = situation.worker(worker).map_or_else(|| format!("worker {}", worker.0), |w| w.name.clone());
            let problem = self.patrol_rng.random_bool(self.config.patrol_problem_share.clamp(0.0, 1.0));
            let (outcome, note, event) = if problem && !items.is_empty() {
                let category = items[self.patrol_rng.random_range(0..items.len())].category;
                let e = self.found_event(district, situation, grid, building, category, worker, at);
                let note = format!("巡查发现：{}", e.title);
                let id = e.id;
                situation.events.push(e);
                let d = delay_of(&mut self.patrol_rng, speedup, EventState::Reported, false);
                self.due.insert(id, (at + d, false));
                (CheckOutcome::Problem, note, Some(id))
            } else {
                (CheckOutcome::Done, String::new(), None)
            };
            let result = CheckResult { at, by, outcome, note, event };
            let Some(book) = situation.task_book_mut(id) else { continue };
            book.record(check, &result);
            changes.push(SimChange::Checked { book: id, check });
            if !book.is_closed() {
                let next = at + minutes(&mut self.patrol_rng, 5.0, 40.0);
                self.books_due.insert(id, next);
            }
        }
    }

    /// A problem a patrol found: an event at the stop's building (or somewhere in the grid), of `category`,
    /// reported by `worker`, routed at intake.
    #[allow(clippy::too_many_arguments)]
    fn found_event(
        &mut self,
        district: &District,
        situation: &Situation,
        grid: GridId,
        building: Option<BuildingId>,
        category: EventCategory,
        worker: WorkerId,
        at: Timestamp,
    ) -> Event {
        let rng = &mut self.patrol_rng;
        let severity = Severity::ALL[pick(rng, &crate::catalog::severity_weights(category))];
        let titles = crate::catalog::titles(category);
        let title = titles[rng.random_range(0..titles.len())].to_string();
        let g = district.grid(grid);
        let place = match building.and_then(|b| district.buildings.get(b.index())) {
            Some(b) => pingan_core::place::Place {
                town: g.town,
                community: g.community,
                grid,
                building: Some(b.id),
                address: b.code,
                position: b.footprint.centroid(),
                name: format!("{} {}", district.grid_place(grid), b.name),
            },
            None => pingan_core::place::Place {
                town: g.town,
                community: g.community,
                grid,
                building: None,
                address: g.code,
                position: random_point_in(district, grid, rng),
                name: district.grid_place(grid),
            },
        };
        let id = EventId(situation.events.last().map_or(1, |e| e.id.0 + 1));
        let mut e = place.report(id, category, severity, title, EventSource::GridWorker(worker), at);
        e.number = case_number(CaseKind::Report, id.0, at, district.local_offset());
        self.routing.intake(&mut e);
        e
    }

    /// Escalate every event overdue past the grace one level up, at the moment it became due (so the outcome does not
    /// depend on how often this looks).
    fn escalate_overdue(&mut self, situation: &mut Situation, now: Timestamp, changes: &mut Vec<SimChange>) {
        let due: Vec<(EventId, Timestamp, String)> = situation
            .events
            .iter()
            .filter_map(|e| {
                let (_, reason) = self.routing.sla_due(e, now)?;
                Some((e.id, self.routing.breach_at(e), reason))
            })
            .collect();
        for (id, at, reason) in due {
            if let Ok(state) = situation.act(id, EventAction::Escalate { reason }, at, &self.routing) {
                changes.push(SimChange::Transition(id, state));
                if !self.due.contains_key(&id) {
                    let d = self.delay(state, false);
                    self.due.insert(id, (at + d, false));
                }
            }
        }
    }

    /// The routing rules in use.
    pub fn routing(&self) -> &RoutingConfig {
        &self.routing
    }

    /// Minutes until the next action from `state`.
    fn delay(&mut self, state: EventState, slow: bool) -> chrono::Duration {
        delay_of(&mut self.rng, self.config.handling_speedup, state, slow)
    }

    /// Take the next lifecycle step of event `id` at time `at`; returns the new state.
    fn act(&mut self, situation: &mut Situation, id: EventId, at: Timestamp) -> Option<EventState> {
        let event = situation.event(id)?;
        let (state, event_grid, severity, level) = (event.state, event.grid, event.severity, event.level);
        let roll: f64 = self.rng.random();
        let beyond = |level: pingan_core::routing::Level| {
            level.up().map(|up| format!("超出{}处置权限，上报{}", level.zh(), up.zh()))
        };
        let action = match state {
            EventState::Reported | EventState::Reopened => EventAction::Accept,
            EventState::Accepted
                if roll < 0.03 + 0.1 * (severity >= Severity::Major) as u8 as f64 && level.up().is_some() =>
            {
                EventAction::Escalate { reason: beyond(level).unwrap_or_default() }
            }
            EventState::Accepted | EventState::Escalated => {
                // The one dispatch rule (nearest free worker of the grid), as the desktop's 派遣 button uses. The
                // draw that used to pick a worker at random is still taken, so that the seeded demo's later rolls —
                // which events arrive where and when — stay what they were.
                let workers = &self.grid_workers[event_grid.index()];
                let patrolling = workers
                    .iter()
                    .filter(|w| situation.worker(**w).is_some_and(|w| w.status == WorkerStatus::Patrolling))
                    .count();
                let pool = if patrolling == 0 { workers.len() } else { patrolling };
                let _ = self.rng.random_range(0..pool.max(1));
                EventAction::Assign { worker: situation.dispatch_choice(id)? }
            }
            EventState::Assigned => EventAction::StartDisposal,
            EventState::InDisposal if roll < 0.02 && level.up().is_some() => {
                EventAction::Escalate { reason: "现场处置困难，申请上级协调".into() }
            }
            EventState::InDisposal => {
                EventAction::SubmitFeedback { note: FEEDBACK[self.rng.random_range(0..FEEDBACK.len())].into() }
            }
            EventState::Feedback if roll < 0.12 => {
                EventAction::Rework { note: "反馈材料不全，退回补充".into() }
            }
            EventState::Feedback => EventAction::Close { note: "核查属实，予以办结".into(), outcome: None },
            EventState::Closed => EventAction::Reopen { reason: "群众回访不满意".into() },
        };
        // The step and the workers' statuses, by the one rule in pingan-core.
        let new_state = situation.act(id, action, at, &self.routing).ok()?;
        Some(new_state)
    }

    fn new_event(&mut self, district: &District, situation: &Situation, at: Timestamp) -> Event {
        let rng = &mut self.rng;
        let total = *self.grid_weights.last().unwrap_or(&1.0);
        let x = rng.random::<f64>() * total;
        let gi = self.grid_weights.partition_point(|w| *w < x).min(district.grids.len() - 1);
        let grid = &district.grids[gi];
        let buildings: Vec<&Building> = grid.buildings.iter().map(|b| district.building(*b)).collect();
        let industrial = buildings.iter().any(|b| b.kind == BuildingKind::Industrial);
        let village = buildings.iter().filter(|b| b.kind == BuildingKind::VillageHouse).count() * 2 > buildings.len();
        let high = buildings.iter().any(|b| b.kind == BuildingKind::HighRise);
        let weights: Vec<f64> = EventCategory::ALL
            .iter()
            .map(|c| {
                use EventCategory as C;
                let base = crate::catalog::base_share(*c);
                let m = match c {
                    C::WageArrears | C::WorkSafety if industrial => 5.0,
                    C::FireAlarm | C::SmokeDetector if industrial => 2.0,
                    C::StrawBurning if village => 12.0,
                    C::WaterMeterNoFlow if village => 2.0,
                    C::TelecomFraud if village => 0.6,
                    C::CrowdGathering | C::Theft if high => 1.4,
                    _ => 1.0,
                };
                base * m
            })
            .collect();
        let category = EventCategory::ALL[pick(rng, &weights)];
        let severity = Severity::ALL[pick(rng, &crate::catalog::severity_weights(category))];
        let building = if buildings.is_empty()
            || category == EventCategory::TrafficDeath
            || category == EventCategory::StrawBurning
        {
            None
        } else {
            Some(buildings[rng.random_range(0..buildings.len())])
        };
        let (position, address, place) = match building {
            Some(b) => {
                let c = b.footprint.centroid();
                let address = if matches!(b.kind, BuildingKind::HighRise | BuildingKind::MidRise)
                    && matches!(
                        category,
                        EventCategory::Dispute
                            | EventCategory::Theft
                            | EventCategory::SmokeDetector
                            | EventCategory::WaterMeterNoFlow
                    ) {
                    b.code
                        .room(
                            rng.random_range(1..=3),
                            rng.random_range(1..=b.floors.max(1) as u32),
                            rng.random_range(1..=4),
                        )
                        .unwrap_or(b.code)
                } else {
                    b.code
                };
                (c, address, format!("{} {}", district.grid_place(grid.id), b.name))
            }
            None => (random_point_in(district, grid.id, rng), grid.code, district.grid_place(grid.id)),
        };
        let source = match category.sensor() {
            Some(s) => EventSource::Sensor(s),
            None => {
                let r: f64 = rng.random();
                let workers = &self.grid_workers[gi];
                if r < 0.6 && !workers.is_empty() {
                    EventSource::GridWorker(workers[rng.random_range(0..workers.len())])
                } else if r < 0.85 {
                    EventSource::Hotline
                } else {
                    EventSource::Police
                }
            }
        };
        let titles = crate::catalog::titles(category);
        let title = titles[rng.random_range(0..titles.len())].to_string();
        let id = EventId(situation.events.last().map_or(1, |e| e.id.0 + 1));
        let mut e = Event {
            id,
            number: case_number(CaseKind::Report, id.0, at, district.local_offset()),
            category,
            severity,
            title,
            position,
            address,
            place,
            town: grid.town,
            community: grid.community,
            grid: grid.id,
            building: building.map(|b| b.id),
            source,
            reported_at: at,
            deadline: at,
            level: Default::default(),
            state: EventState::Reported,
            assignee: None,
            history: Vec::new(),
            evidence: None,
            linked: Vec::new(),
            acknowledged: None,
        };
        self.routing.intake(&mut e);
        e
    }

    fn move_workers(&mut self, district: &District, situation: &mut Situation, now: Timestamp) {
        let frame = pingan_core::LocalFrame::new(district.bbox().centre());
        for i in 0..situation.workers.len() {
            let w = &situation.workers[i];
            let dt = (now - w.seen_at).num_milliseconds() as f64 / 1000.0;
            if dt <= 0.0 {
                continue;
            }
            let (target, speed) = match w.status {
                WorkerStatus::OffDuty => continue,
                WorkerStatus::Handling(e) => match situation.event(e) {
                    Some(e) => (e.position, self.config.response_speed),
                    None => (self.waypoints[i], self.config.patrol_speed),
                },
                WorkerStatus::Patrolling => (self.waypoints[i], self.config.patrol_speed),
            };
            let (p, t) = (frame.local_from_lonlat(w.position), frame.local_from_lonlat(target));
            let (dx, dy) = (t[0] - p[0], t[1] - p[1]);
            let d = (dx * dx + dy * dy).sqrt();
            let step = speed * dt;
            let home = w.grids[0];
            let w = &mut situation.workers[i];
            w.seen_at = now;
            if d <= step {
                w.position = target;
                if w.status == WorkerStatus::Patrolling {
                    self.waypoints[i] = random_point_in(district, home, &mut self.rng);
                }
            } else {
                w.position = frame.lonlat_from_local([p[0] + dx / d * step, p[1] + dy / d * step]);
            }
        }
    }
}

/// Minutes until the next action from `state` (a random draw from `rng`), at `speedup`.
fn delay_of(rng: &mut ChaCha8Rng, speedup: f64, state: EventState, slow: bool) -> chrono::Duration {
    let (lo, hi) = match state {
        EventState::Reported | EventState::Reopened => (1.0, 12.0),
        EventState::Accepted => (3.0, 20.0),
        EventState::Escalated => (30.0, 90.0),
        EventState::Assigned => (5.0, 40.0),
        EventState::InDisposal => (20.0, 240.0),
        EventState::Feedback => (10.0, 60.0),
        EventState::Closed => (120.0, 2000.0),
    };
    let mins = rng.random_range(lo..hi) * if slow { 8.0 } else { 1.0 } / speedup.max(0.01);
    chrono::Duration::seconds((mins * 60.0) as i64)
}

const FEEDBACK: [&str; 5] =
    ["已到场核实并处置完毕", "双方已调解达成一致", "隐患已整改，附现场照片", "已联系相关部门处理", "已劝离并做好登记"];

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A uniformly random point inside a grid, holes excluded (rejection sampling in its bounding box, geo's
/// point-in-polygon test).
pub fn random_point_in(district: &District, grid: GridId, rng: &mut impl Rng) -> LonLat {
    let outline = &district.grid(grid).outline;
    let Some(b) = outline.bbox() else {
        return LonLat::default();
    };
    let shape = outline.to_geo(); // once, not once per try
    for _ in 0..64 {
        let p = LonLat::new(rng.random_range(b.min.lon..=b.max.lon), rng.random_range(b.min.lat..=b.max.lat));
        if shape.intersects(&geo::Coord::from(p)) {
            return p;
        }
    }
    district.grid(grid).label_at
}
