//! Applying a batch in memory: per user the key checks, then per command the checks against the working set and the
//! change it makes — one function per command kind, chosen by [`apply`]'s short match.

use super::load::Stored;
use super::rejection::Rejection;
use super::write::kind_of;
use super::{Answered, Answers, NewChange, SubmitError, TRACK_STEP, WriteError};
use crate::db::User;
use crate::units::RoomGone;
use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::patrol::{self, CheckResult, TaskBook, TaskBookId};
use pingan_core::replay::{self, TrackPoint};
use pingan_core::routing::{Actor, RoutingConfig};
use pingan_core::scope::{Audience, Facet};
use pingan_core::sync::{self, ChangeBody, ClientCommand, CommandBody, CommandResult, Outcome, Role, Seq};
use pingan_core::worker::status_after_step;
use pingan_core::{
    District, Event, EventAction, EventId, EventSource, EventState, GridWorker, LonLat, Timestamp, WorkerId,
    WorkerStatus, validate,
};
use std::collections::{HashMap, HashSet};

/// The working set of one batch: what the commands read and change.
pub(super) struct Ctx<'a> {
    pub district: &'a District,
    /// Routing rules and deadlines.
    pub routing: &'a RoutingConfig,
    /// The server's clock when the batch began.
    pub now: Timestamp,
    pub events: HashMap<i64, Event>,
    pub workers: HashMap<i64, GridWorker>,
    /// Task books reported on, and the open books of grids that new books are for.
    pub books: HashMap<i64, TaskBook>,
    next_event_id: i64,
    next_worker_id: i64,
    next_book_id: i64,
    /// Workers whose record changed (moved, joined, or status changed by an event's step).
    pub dirty_workers: HashSet<i64>,
    /// Task books issued or reported on.
    pub dirty_books: HashSet<i64>,
    /// Events changed besides the one a change names (the event a split report left).
    pub also_dirty: HashSet<i64>,
    /// Set by a worker's move that the tracks keep: the report's time, Unix ms.
    track: Option<i64>,
    /// The last kept track point of each worker moving in this batch (from the `tracks` table, then as kept).
    last_kept: HashMap<i64, TrackPoint>,
}

impl<'a> Ctx<'a> {
    /// The working set of a batch checked against `district` and routed by `routing`, as `stored`.
    pub fn new(district: &'a District, routing: &'a RoutingConfig, stored: Stored) -> Ctx<'a> {
        Ctx {
            district,
            routing,
            now: stored.now,
            events: stored.events,
            workers: stored.workers,
            books: stored.books,
            next_event_id: stored.next_event_id,
            next_worker_id: stored.next_worker_id,
            next_book_id: stored.next_book_id,
            dirty_workers: HashSet::new(),
            dirty_books: HashSet::new(),
            also_dirty: HashSet::new(),
            track: None,
            last_kept: stored.last_kept,
        }
    }

    /// A new report taken in: the next id, reported, no steps, numbered if it has no number, routed at intake (the
    /// server, not the client, decides the level and the deadline).
    fn intake(&mut self, event: &Event) -> Event {
        let mut e = event.clone();
        e.id = EventId(self.next_event_id as u64);
        self.next_event_id += 1;
        e.state = EventState::Reported;
        e.assignee = None;
        e.history.clear();
        e.linked.clear();
        if e.number.trim().is_empty() {
            e.number = case_number(CaseKind::Report, e.id.0, e.reported_at, self.district.local_offset());
        }
        self.routing.intake(&mut e);
        e
    }
}

/// What applying a batch produced: the answers, and what [`super::write`] stores.
pub(super) struct Applying {
    /// The last seq handed out.
    pub head: Seq,
    /// Earlier answers, and those of this batch as it goes.
    answered: Answered,
    /// Each entry's answers, or why none of that entry applied.
    pub results: Answers,
    /// The changes to append.
    pub changes: Vec<NewChange>,
    /// The answers to store: (user, key, outcome as JSON, body hash).
    pub answers: Vec<(i64, String, String, String)>,
    /// Events a change names.
    pub dirty_events: HashSet<i64>,
}

impl Applying {
    /// Start after seq `head`, with the earlier answers for the batch's keys.
    pub fn new(head: Seq, answered: Answered) -> Applying {
        Applying {
            head,
            answered,
            results: Vec::new(),
            changes: Vec::new(),
            answers: Vec::new(),
            dirty_events: HashSet::new(),
        }
    }

    /// Apply one user's commands in order (or refuse all of them when a key is reused for another command).
    pub fn job(&mut self, user: &User, commands: &[ClientCommand], ctx: &mut Ctx<'_>) -> Result<(), WriteError> {
        // Who they act as: their room's unit in the district of this batch (or why they cannot act).
        let actor = crate::units::actor(ctx.district, user);
        // A key reused for another command refuses the whole request before any of it applies.
        let hashes: Vec<String> = commands.iter().map(command_hash).collect();
        if let Some(reused) = self.reused_key(user, commands, &hashes) {
            self.results.push(Err(reused));
            return Ok(());
        }
        let mut out = Vec::with_capacity(commands.len());
        for (cmd, hash) in commands.iter().zip(hashes) {
            out.push(self.command(cmd, hash, user, &actor, ctx)?);
        }
        self.results.push(Ok(out));
        Ok(())
    }

    /// The first command of `commands` whose key was sent before (stored, or earlier in the request) with another
    /// time or body.
    fn reused_key(&self, user: &User, commands: &[ClientCommand], hashes: &[String]) -> Option<SubmitError> {
        for (index, (cmd, hash)) in commands.iter().zip(hashes).enumerate() {
            if let Some((_, Some(stored))) = self.answered.get(&(user.id, cmd.key.clone()))
                && stored != hash
            {
                return Some(SubmitError::KeyReused { index, key: cmd.key.clone() });
            }
            if commands[..index].iter().zip(hashes).any(|(c, h)| c.key == cmd.key && h != hash) {
                return Some(SubmitError::KeyReused { index, key: cmd.key.clone() });
            }
        }
        None
    }

    /// One command: the earlier answer for its key, or applied now (a change appended) or refused.
    fn command(
        &mut self,
        cmd: &ClientCommand,
        hash: String,
        user: &User,
        actor: &Result<Actor, RoomGone>,
        ctx: &mut Ctx<'_>,
    ) -> Result<CommandResult, WriteError> {
        let k = (user.id, cmd.key.clone());
        if let Some((outcome, _)) = self.answered.get(&k) {
            return Ok(CommandResult { key: cmd.key.clone(), outcome: outcome.clone(), duplicate: true });
        }
        let before = before_facet(&cmd.body, ctx);
        let outcome = match apply(cmd, user, actor, ctx) {
            Ok((body, event, worker)) => {
                let audience = audience(&body, before, ctx);
                self.head += 1;
                if let Some(e) = event {
                    self.dirty_events.insert(e);
                }
                if let Some(w) = worker {
                    ctx.dirty_workers.insert(w);
                }
                self.changes.push(NewChange {
                    seq: self.head,
                    kind: kind_of(&body),
                    event,
                    worker,
                    user: user.id,
                    body: serde_json::to_string(&body)?,
                    audience_json: serde_json::to_string(&audience)?,
                    audience: std::sync::Arc::new(audience),
                    track: ctx.track.take(),
                });
                Outcome::Applied { seq: self.head, event: event.map(|e| EventId(e as u64)) }
            }
            Err(reason) => Outcome::Rejected { reason: reason.to_string() },
        };
        self.answers.push((user.id, cmd.key.clone(), serde_json::to_string(&outcome)?, hash.clone()));
        self.answered.insert(k, (outcome.clone(), Some(hash)));
        Ok(CommandResult { key: cmd.key.clone(), outcome, duplicate: false })
    }
}

/// The facet of the one item a command changes in place, as it is before the command (an event's step, a worker
/// registered again): what its change's audience compares with.
fn before_facet(body: &CommandBody, ctx: &Ctx<'_>) -> Option<Facet> {
    match body {
        CommandBody::Act { event, .. } => ctx.events.get(&(event.0 as i64)).map(Facet::of_event),
        CommandBody::WorkerJoin { worker } => {
            ctx.workers.get(&(worker.id.0 as i64)).map(|w| Facet::of_worker(ctx.district, w))
        }
        _ => None,
    }
}

/// Who may see `body` ([`pingan_core::scope`]): the facets of what it touched as the batch's working set holds them
/// after it, and `before` (from [`before_facet`]) for an item changed in place.
fn audience(body: &ChangeBody, before: Option<Facet>, ctx: &Ctx<'_>) -> Audience {
    let event = |id: &EventId| ctx.events.get(&(id.0 as i64));
    let facets = |fs: Vec<Facet>| Audience { before: None, after: fs, whole: None };
    match body {
        ChangeBody::EventReported { event } => Audience::of(None, Facet::of_event(event), None),
        ChangeBody::EventActed { event: id, .. } => match event(id) {
            Some(e) => Audience::of(before, Facet::of_event(e), Some(e)),
            None => Audience::default(),
        },
        ChangeBody::ReportLinked { event: id, .. } | ChangeBody::Acknowledged { event: id, .. } => {
            facets(event(id).map(Facet::of_event).into_iter().collect())
        }
        ChangeBody::WorkerMoved { worker, .. } => {
            facets(ctx.workers.get(&(worker.0 as i64)).map(|w| Facet::of_worker(ctx.district, w)).into_iter().collect())
        }
        ChangeBody::WorkerJoined { worker } => Audience::of(before, Facet::of_worker(ctx.district, worker), None),
        ChangeBody::TaskBookIssued { book } => Audience::of(None, Facet::of_book(ctx.district, book), None),
        ChangeBody::CheckReported { book, event, .. } => {
            let mut fs: Vec<Facet> =
                ctx.books.get(&(book.0 as i64)).map(|b| Facet::of_book(ctx.district, b)).into_iter().collect();
            fs.extend(event.as_deref().map(Facet::of_event));
            facets(fs)
        }
        // The new event may lie outside the view of a reader who sees the one the report left: they get that one
        // whole instead (kept here), never the new one.
        ChangeBody::ReportSplit { event: id, new_event, .. } => {
            let left = event(id);
            let mut fs: Vec<Facet> = left.map(Facet::of_event).into_iter().collect();
            fs.push(Facet::of_event(new_event));
            Audience { before: None, after: fs, whole: left.map(|e| Box::new(e.clone())) }
        }
        // Made for one reader at read time, never written.
        ChangeBody::EventShown { .. } | ChangeBody::Withdrawn { .. } | ChangeBody::Resync => Audience::default(),
    }
}

/// What a key stands for: the hex SHA-256 of the command's time and body as JSON.
fn command_hash(cmd: &ClientCommand) -> String {
    use sha2::Digest as _;
    let text = serde_json::to_string(&(&cmd.at, &cmd.body)).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// A change made: its body, and the event and worker it is about.
type Applied = (ChangeBody, Option<i64>, Option<i64>);

/// Who sends a command: the user, the worker a grid worker acts as, and the actor of their room (or why they have
/// none).
struct Sender<'a> {
    user: &'a User,
    me: Option<&'a GridWorker>,
    actor: &'a Result<Actor, RoomGone>,
}

impl Sender<'_> {
    /// The actor of their room, or why they cannot act.
    fn actor(&self) -> Result<&Actor, Rejection> {
        self.actor.as_ref().map_err(|e| Rejection::Room(e.clone()))
    }
}

/// One command against the in-memory working set: the change it makes, and the event/worker it is about. Every
/// refusal is a reason the sender can act on.
fn apply(
    cmd: &ClientCommand,
    user: &User,
    actor: &Result<Actor, RoomGone>,
    ctx: &mut Ctx<'_>,
) -> Result<Applied, Rejection> {
    validate::check_command(cmd, ctx.district, ctx.now).map_err(Rejection::checked)?;
    // A grid worker acts as the one worker their token is bound to.
    let me = if user.role == Role::GridWorker {
        let id = user.worker.ok_or_else(|| Rejection::Unbound(user.name.clone()))?;
        Some(ctx.workers.get(&(id.0 as i64)).cloned().ok_or(Rejection::NotRegistered(id.0))?)
    } else {
        None
    };
    let s = Sender { user, me: me.as_ref(), actor };
    let at = cmd.at;
    match &cmd.body {
        CommandBody::Report { event } => report(&s, event, ctx),
        CommandBody::Act { event, action } => act(&s, at, *event, action, ctx),
        CommandBody::WorkerPosition { worker, position, status } => {
            move_worker(&s, at, *worker, *position, *status, ctx)
        }
        CommandBody::WorkerJoin { worker } => join(worker, ctx),
        CommandBody::IssueTaskBook { book } => issue_book(&s, book, ctx),
        CommandBody::ReportCheck { book, check, outcome, note, event } => {
            let result = CheckResult { at, by: user.name.clone(), outcome: *outcome, note: note.clone(), event: None };
            report_check(&s, *book, *check, result, event.as_deref(), ctx)
        }
        CommandBody::Acknowledge { event } => acknowledge(&s, at, *event, ctx),
        CommandBody::SplitReport { event, report } => split(&s, *event, report, ctx),
    }
}

/// `Report`: the same thing reported again near the same place soon after joins the open event; anything else is
/// taken in as a new event.
fn report(s: &Sender<'_>, event: &Event, ctx: &mut Ctx<'_>) -> Result<Applied, Rejection> {
    let mut e = event.clone();
    if let Some(me) = s.me
        && e.source != EventSource::GridWorker(me.id)
    {
        return Err(Rejection::NotThemself(me.id.0));
    }
    // A room reports in its own area.
    s.actor()?.may_report(&e).map_err(Rejection::checked)?;
    // The same thing reported again near the same place soon after joins the open event (any source).
    e.id = EventId(u64::MAX);
    if is_live(&e, ctx.now)
        && let Some(dup) = SENSOR_RULES.duplicate_of(ctx.events.values(), &e)
        && let Some(target) = ctx.events.get_mut(&(dup.0 as i64))
    {
        let report = pingan_core::LinkedReport {
            at: e.reported_at,
            source: e.source,
            title: e.title.clone(),
            position: e.position,
        };
        if target.linked.len() < pingan_core::validate::MAX_LINKED {
            target.linked.push(report.clone());
            return Ok((ChangeBody::ReportLinked { event: dup, report }, Some(dup.0 as i64), None));
        }
    }
    let e = ctx.intake(&e);
    let id = e.id.0 as i64;
    let body = ChangeBody::EventReported { event: Box::new(e.clone()) };
    ctx.events.insert(id, e);
    Ok((body, Some(id), None))
}

/// `Act`: one lifecycle step by the state machine, the workers' statuses kept as every client derives them.
fn act(
    s: &Sender<'_>,
    at: Timestamp,
    event: EventId,
    action: &EventAction,
    ctx: &mut Ctx<'_>,
) -> Result<Applied, Rejection> {
    let id = event.0 as i64;
    let e = ctx.events.get_mut(&id).ok_or(Rejection::NoEvent(event.0))?;
    if at < e.reported_at {
        return Err(Rejection::StepBeforeReport { number: e.number.clone(), at, reported: e.reported_at });
    }
    if let Some(me) = s.me
        && !me.grids.contains(&e.grid)
        && e.assignee != Some(me.id)
    {
        return Err(Rejection::NotTheirs { number: e.number.clone(), worker: me.id.0 });
    }
    if let EventAction::Assign { worker } = action
        && !ctx.workers.contains_key(&(worker.0 as i64))
    {
        return Err(Rejection::NoWorker(worker.0));
    }
    // Their role, the lifecycle, and their room: their unit's events and those escalated to it.
    s.actor()?.may_act(e, action).map_err(Rejection::checked)?;
    let before = e.assignee;
    let body = sync::act(e, action.clone(), at, &s.user.name, ctx.routing).map_err(Rejection::checked)?;
    let (after, state) = (e.assignee, e.state);
    // Keep the projection's worker statuses as every client derives them from the log.
    for w in [before, after].into_iter().flatten() {
        if let Some(rec) = ctx.workers.get_mut(&(w.0 as i64)) {
            let status = status_after_step(w, rec.status, event, after, state);
            if status != rec.status {
                rec.status = status;
                ctx.dirty_workers.insert(w.0 as i64);
            }
        }
    }
    Ok((body, Some(id), None))
}

/// `WorkerPosition`: the worker's newest position and status, kept in the tracks when it is a new slot.
fn move_worker(
    s: &Sender<'_>,
    at: Timestamp,
    worker: WorkerId,
    position: LonLat,
    status: WorkerStatus,
    ctx: &mut Ctx<'_>,
) -> Result<Applied, Rejection> {
    if let Some(me) = s.me
        && me.id != worker
    {
        return Err(Rejection::OthersPosition(me.id.0));
    }
    if let WorkerStatus::Handling(e) = status
        && !ctx.events.contains_key(&(e.0 as i64))
    {
        return Err(Rejection::HandlingNothing { worker: worker.0.to_string(), event: e.0 });
    }
    let id = worker.0 as i64;
    let w = ctx.workers.get_mut(&id).ok_or(Rejection::NoWorker(worker.0))?;
    validate::check_worker_position(&format!("the position of worker {}", worker.0), &w.grids, position, ctx.district)
        .map_err(Rejection::checked)?;
    if at < w.seen_at {
        // Every client keeps the newest position; an older one (a late retry, a slow clock) is refused so
        // that the log and every cache agree.
        return Err(Rejection::Stale(worker.0));
    }
    // Thinned against the worker's last kept point, as the desk thins (not against the worker's record, whose
    // status an event's step may have changed without a report).
    let next = TrackPoint { at, seen_at: at, position, status };
    if replay::keeps(ctx.last_kept.get(&id), &next, TRACK_STEP) {
        ctx.track = Some(at.timestamp_millis());
        ctx.last_kept.insert(id, next);
    }
    w.position = position;
    w.status = status;
    w.seen_at = at;
    Ok((ChangeBody::WorkerMoved { worker, position, status, at }, None, Some(id)))
}

/// `WorkerJoin`: a new worker at the next free id (or a stored one again).
fn join(worker: &GridWorker, ctx: &mut Ctx<'_>) -> Result<Applied, Rejection> {
    if let WorkerStatus::Handling(e) = worker.status
        && !ctx.events.contains_key(&(e.0 as i64))
    {
        return Err(Rejection::HandlingNothing { worker: worker.name.clone(), event: e.0 });
    }
    if !pingan_core::time::not_in_future(worker.seen_at, ctx.now) {
        return Err(Rejection::SeenInFuture(worker.name.clone()));
    }
    let id = worker.id.0 as i64;
    // Worker ids are dense (clients index workers by id): a new one must be the next id.
    if id > ctx.next_worker_id {
        return Err(Rejection::NotNextId { id, next: ctx.next_worker_id });
    }
    ctx.next_worker_id = ctx.next_worker_id.max(id + 1);
    ctx.workers.insert(id, worker.clone());
    Ok((ChangeBody::WorkerJoined { worker: worker.clone() }, None, Some(id)))
}

/// `IssueTaskBook`: one open book per grid, numbered when it has no number.
fn issue_book(s: &Sender<'_>, book: &TaskBook, ctx: &mut Ctx<'_>) -> Result<Applied, Rejection> {
    let actor = s.actor()?;
    patrol::may_issue(actor, book, ctx.district).map_err(Rejection::checked)?;
    if let Some(open) = ctx.books.values().find(|b| b.grid == book.grid && !b.is_closed()) {
        let grid = &ctx.district.grids[book.grid.index()];
        return Err(Rejection::OpenBook { grid: grid.name.clone(), book: open.number.clone() });
    }
    let mut b = book.clone();
    let id = ctx.next_book_id;
    ctx.next_book_id += 1;
    b.id = TaskBookId(id as u64);
    if b.number.trim().is_empty() {
        b.number = case_number(CaseKind::TaskBook, id as u64, b.issued_at, ctx.district.local_offset());
    }
    b.issued_by = s.user.name.clone();
    ctx.books.insert(id, b.clone());
    ctx.dirty_books.insert(id);
    Ok((ChangeBody::TaskBookIssued { book: Box::new(b) }, None, None))
}

/// `ReportCheck`: a stop's result recorded in its book; a problem found is taken in as a new event.
fn report_check(
    s: &Sender<'_>,
    book: TaskBookId,
    check: u16,
    mut result: CheckResult,
    event: Option<&Event>,
    ctx: &mut Ctx<'_>,
) -> Result<Applied, Rejection> {
    let id = book.0 as i64;
    let b = ctx.books.get(&id).ok_or(Rejection::NoBook(book.0))?;
    let actor = s.actor()?;
    let grids = s.me.map(|w| w.grids.clone()).unwrap_or_default();
    patrol::may_report_check(actor, &grids, b, usize::from(check), ctx.district).map_err(Rejection::checked)?;
    if result.at < b.issued_at {
        return Err(Rejection::CheckBeforeIssue(b.number.clone()));
    }
    let number = b.number.clone();
    let grid = b.grid;
    let filed = match event {
        Some(e) => {
            if e.grid != grid {
                return Err(Rejection::ProblemElsewhere(number));
            }
            if let Some(me) = s.me
                && e.source != EventSource::GridWorker(me.id)
            {
                return Err(Rejection::NotThemself(me.id.0));
            }
            let e = ctx.intake(e);
            ctx.events.insert(e.id.0 as i64, e.clone());
            Some(e)
        }
        None => None,
    };
    result.event = filed.as_ref().map(|e| e.id);
    if let Some(b) = ctx.books.get_mut(&id) {
        b.record(usize::from(check), &result);
    }
    ctx.dirty_books.insert(id);
    let event_id = filed.as_ref().map(|e| e.id.0 as i64);
    Ok((ChangeBody::CheckReported { book, check, result, event: filed.map(Box::new) }, event_id, None))
}

/// `Acknowledge`: a room takes note of an event in its area that calls for attention.
fn acknowledge(s: &Sender<'_>, at: Timestamp, event: EventId, ctx: &mut Ctx<'_>) -> Result<Applied, Rejection> {
    let id = event.0 as i64;
    let e = ctx.events.get_mut(&id).ok_or(Rejection::NoEvent(event.0))?;
    let actor = s.actor()?;
    if !actor.covers(e) {
        return Err(Rejection::AckOutside(e.number.clone()));
    }
    if e.attention().is_none() {
        return Err(Rejection::NoAttention(e.number.clone()));
    }
    if !e.unacknowledged()
        && let Some(a) = &e.acknowledged
    {
        return Err(Rejection::Acknowledged { number: e.number.clone(), by: a.by.clone(), at: a.at });
    }
    if at < e.reported_at {
        return Err(Rejection::AckBeforeReport(e.number.clone()));
    }
    let ack = pingan_core::Ack { by: s.user.name.clone(), at, level: e.level };
    e.acknowledged = Some(ack.clone());
    Ok((ChangeBody::Acknowledged { event, ack }, Some(id), None))
}

/// `SplitReport`: a linked report out of its event again, taken in as its own event.
fn split(s: &Sender<'_>, event: EventId, report: &Event, ctx: &mut Ctx<'_>) -> Result<Applied, Rejection> {
    let id = event.0 as i64;
    let e = ctx.events.get(&id).ok_or(Rejection::NoEvent(event.0))?;
    let actor = s.actor()?;
    if !actor.covers(e) {
        return Err(Rejection::SplitOutside(e.number.clone()));
    }
    let linked = pingan_core::LinkedReport {
        at: report.reported_at,
        source: report.source,
        title: report.title.clone(),
        position: report.position,
    };
    let Some(i) = e.linked.iter().position(|r| *r == linked) else {
        return Err(Rejection::NotLinked(e.number.clone()));
    };
    if report.category != e.category {
        return Err(Rejection::OtherCategory(e.number.clone()));
    }
    let new_event = ctx.intake(report);
    if let Some(e) = ctx.events.get_mut(&id) {
        e.linked.remove(i);
    }
    ctx.events.insert(new_event.id.0 as i64, new_event.clone());
    let new_id = new_event.id.0 as i64;
    // The new event is this change's; the one the report left is stored too.
    ctx.also_dirty.insert(id);
    Ok((ChangeBody::ReportSplit { event, report: linked, new_event: Box::new(new_event) }, Some(new_id), None))
}

/// The sensor rules' duplicate-merging window and distance (the shipped `assets/config/sensors.toml`).
static SENSOR_RULES: std::sync::LazyLock<pingan_core::sensors::SensorRules> =
    std::sync::LazyLock::new(pingan_core::sensors::SensorRules::default);

/// Whether a report is live (reported within the merging window of `now`): only live reports are merged, so a log
/// replayed or seeded from the past keeps every event it names.
pub(super) fn is_live(e: &Event, now: Timestamp) -> bool {
    let window = chrono::Duration::minutes(i64::from(SENSOR_RULES.merge.window_minutes));
    pingan_core::time::not_in_future(e.reported_at, now) && now - e.reported_at <= window
}
