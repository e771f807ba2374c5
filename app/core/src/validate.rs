//! What data from outside must satisfy before anyone stores or shows it: the maximum length of every free-text
//! field, and the references an event or a worker makes into the [`District`] (a grid that exists, a building that
//! lies in that grid, an address code inside the district, a position on the map).
//!
//! One set of rules for everyone: the server refuses a command that breaks them (`pingan-sync`), and the desktop
//! skips a snapshot record or a change that breaks them instead of indexing out of range. Pure functions; the caller
//! passes the time.

use crate::sync::{ChangeBody, ClientCommand, CommandBody};
use crate::{District, Event, EventAction, GridId, GridWorker, LonLat, Polygon, Situation, Timestamp};

use crate::limits::Invalid::{Future, Position, Rule, Unknown};
pub use crate::limits::*;
pub use crate::time::max_future;
use crate::time::not_in_future;

/// How far outside the district a position may lie (metres): outside its bounding box for any position, outside its
/// outline for an event (a report from just over the border still belongs to the district that takes it).
pub const MAX_OUTSIDE_M: f64 = 5_000.0;
/// How far outside every grid they serve a worker's position may lie (metres): a worker on their way between their
/// grids, on the road along a border, or with a poor GPS fix is still where they should be; a position farther out is
/// a wrong worker id or a broken device.
pub const MAX_OUTSIDE_GRID_M: f64 = 1_500.0;

/// Metres per degree of latitude (and of longitude at the equator), close enough for margins of a few kilometres.
const M_PER_DEG: f64 = 111_320.0;

/// The distance in metres from `p` to `polygon` (0 inside or on it), but only when it is at most `limit`: `None` when
/// it is farther, or when the polygon has fewer than 3 points. A bounding-box test first, so a far point costs nothing;
/// the polygon is measured in an equirectangular frame around `p` (good to a fraction of a percent over kilometres).
pub fn distance_within_m(polygon: &Polygon, p: LonLat, limit: f64) -> Option<f64> {
    use geo::{Distance as _, Euclidean};
    if polygon.exterior.len() < 3 {
        return None;
    }
    let b = polygon.bbox()?;
    let m_lon = M_PER_DEG * p.lat.to_radians().cos().max(0.01);
    let (dx, dy) = (
        ((b.min.lon - p.lon).max(p.lon - b.max.lon).max(0.0)) * m_lon,
        ((b.min.lat - p.lat).max(p.lat - b.max.lat).max(0.0)) * M_PER_DEG,
    );
    if dx.hypot(dy) > limit {
        return None;
    }
    let local = |ring: &[LonLat]| -> geo::LineString<f64> {
        let mut coords: Vec<geo::Coord<f64>> =
            ring.iter().map(|q| geo::Coord { x: (q.lon - p.lon) * m_lon, y: (q.lat - p.lat) * M_PER_DEG }).collect();
        if let Some(first) = coords.first().copied() {
            coords.push(first);
        }
        geo::LineString::new(coords)
    };
    let shape = geo::Polygon::new(local(&polygon.exterior), polygon.holes.iter().map(|h| local(h)).collect());
    let d = Euclidean.distance(&geo::Point::new(0.0, 0.0), &shape);
    (d <= limit).then_some(d)
}

/// Check a worker's position against the grids they serve: inside one of their outlines or within
/// [`MAX_OUTSIDE_GRID_M`] of one (besides [`check_position`]). A grid without an outline (fewer than 3 points) does
/// not restrict the position.
pub fn check_worker_position(what: &str, grids: &[GridId], p: LonLat, district: &District) -> Result<(), Invalid> {
    check_position(what, p, district)?;
    let mut nearest: Option<(&str, f64)> = None;
    for g in grids {
        let Some(grid) = district.grids.get(g.index()) else { continue };
        if grid.outline.exterior.len() < 3 {
            return Ok(());
        }
        if distance_within_m(&grid.outline, p, MAX_OUTSIDE_GRID_M).is_some() {
            return Ok(());
        }
        let far = grid.outline.centroid().distance_m(p);
        if nearest.is_none_or(|(_, d)| far < d) {
            nearest = Some((&grid.name, far));
        }
    }
    match nearest {
        Some((name, d)) => Err(Position(format!(
            "{what} ({:.5}, {:.5}) lies more than {MAX_OUTSIDE_GRID_M} m outside every grid the worker serves \
             (the nearest, {name}, is centred {:.1} km away)",
            p.lon,
            p.lat,
            d / 1000.0
        ))),
        None => Ok(()),
    }
}

/// A point inside `grid`'s outline where a worker who has not reported yet is shown: its label point when that lies
/// inside, else geo's interior point (a concave outline's centroid can lie outside it), else the label point.
pub fn point_in_grid(grid: &crate::Grid) -> LonLat {
    use geo::{InteriorPoint as _, Intersects as _};
    if grid.outline.exterior.len() < 3 {
        return grid.label_at;
    }
    let shape = grid.outline.to_geo();
    if shape.intersects(&geo::Coord::from(grid.label_at)) {
        return grid.label_at;
    }
    shape.interior_point().map_or(grid.label_at, |p| LonLat::from(p.0))
}

/// Check a position that must lie in the district: inside its outline or within [`MAX_OUTSIDE_M`] of it (besides
/// [`check_position`]). A district without an outline is checked by its bounding box alone.
pub fn check_in_district(what: &str, p: LonLat, district: &District) -> Result<(), Invalid> {
    check_position(what, p, district)?;
    if district.outline.exterior.len() >= 3 && distance_within_m(&district.outline, p, MAX_OUTSIDE_M).is_none() {
        return Err(Position(format!(
            "{what} ({:.5}, {:.5}) lies more than {} km outside {}",
            p.lon,
            p.lat,
            MAX_OUTSIDE_M / 1000.0,
            district.name
        )));
    }
    Ok(())
}

/// Check a position: valid WGS84 and within [`MAX_OUTSIDE_M`] of the district's bounding box.
pub fn check_position(what: &str, p: LonLat, district: &District) -> Result<(), Invalid> {
    LonLat::try_new(p.lon, p.lat).map_err(|e| Position(format!("{what}: {e}")))?;
    let b = district.bbox();
    // Degrees per metre, generous at these latitudes.
    let margin_lat = MAX_OUTSIDE_M / 111_000.0;
    let margin_lon = MAX_OUTSIDE_M / (111_000.0 * b.centre().lat.to_radians().cos().max(0.1));
    if p.lon < b.min.lon - margin_lon
        || p.lon > b.max.lon + margin_lon
        || p.lat < b.min.lat - margin_lat
        || p.lat > b.max.lat + margin_lat
    {
        return Err(Position(format!("{what} ({:.5}, {:.5}) lies outside {}", p.lon, p.lat, district.name)));
    }
    Ok(())
}

/// Check the text of a lifecycle step.
pub fn check_action(action: &EventAction) -> Result<(), TextError> {
    match action {
        EventAction::SubmitFeedback { note } => check_text("the feedback note", note, MAX_NOTE),
        EventAction::Close { note, .. } => check_text("the closing note", note, MAX_NOTE),
        EventAction::Rework { note } => check_reason("the rework note", note, MAX_NOTE),
        EventAction::Escalate { reason } => check_reason("the escalation reason", reason, MAX_REASON),
        EventAction::Reopen { reason } => check_reason("the reopening reason", reason, MAX_REASON),
        EventAction::Reroute { reason, .. } => check_reason("the re-routing reason", reason, MAX_REASON),
        EventAction::Accept | EventAction::Assign { .. } | EventAction::StartDisposal => Ok(()),
    }
}

/// Check that an event fits `district`: its town, community and grid exist and nest, its building (if any) lies in
/// its grid, its address code lies inside the district (and inside its grid's code when it names a grid or below),
/// its position is on the map, its texts are within limits and its deadline is not before its report time.
pub fn check_event(e: &Event, district: &District) -> Result<(), Invalid> {
    let what = format!("event {}", e.number.chars().take(MAX_NUMBER).collect::<String>());
    check_text(&format!("{what}: the case number"), &e.number, MAX_NUMBER)?;
    check_text(&format!("{what}: the title"), &e.title, MAX_TITLE)?;
    check_text(&format!("{what}: the place"), &e.place, MAX_PLACE)?;
    let grid =
        district.grids.get(e.grid.index()).ok_or_else(|| Unknown(format!("{what}: there is no grid {}", e.grid.0)))?;
    if grid.community != e.community || grid.town != e.town {
        return Err(Rule(format!(
            "{what}: grid {} belongs to community {} of town {}, not to community {} of town {}",
            e.grid.0, grid.community.0, grid.town.0, e.community.0, e.town.0
        )));
    }
    if e.community.index() >= district.communities.len() || e.town.index() >= district.towns.len() {
        return Err(Rule(format!("{what}: its town or community is not in {}", district.name)));
    }
    if let Some(b) = e.building {
        let building = district
            .buildings
            .get(b.index())
            .ok_or_else(|| Unknown(format!("{what}: there is no building {}", b.0)))?;
        if building.grid != e.grid {
            return Err(Rule(format!(
                "{what}: building {} lies in grid {}, not in grid {}",
                b.0, building.grid.0, e.grid.0
            )));
        }
    }
    if !e.address.is_within(&district.code) {
        return Err(Rule(format!("{what}: address {} is not in {} ({})", e.address, district.name, district.code)));
    }
    if e.address.level() >= crate::AddressLevel::Grid && !e.address.is_within(&grid.code) {
        return Err(Rule(format!("{what}: address {} is not in its grid {} ({})", e.address, grid.name, grid.code)));
    }
    check_in_district(&format!("{what}: the position"), e.position, district)?;
    if e.deadline < e.reported_at {
        return Err(Rule(format!("{what}: the deadline is before the report time")));
    }
    if e.history.len() > MAX_HISTORY {
        return Err(Rule(format!("{what}: {} history steps; at most {MAX_HISTORY}", e.history.len())));
    }
    if let Some(ev) = &e.evidence {
        if ev.series.len() > MAX_EVIDENCE {
            return Err(Rule(format!("{what}: {} evidence readings; at most {MAX_EVIDENCE}", ev.series.len())));
        }
        if ev.series.iter().any(|(_, v)| !v.is_finite()) {
            return Err(Rule(format!("{what}: an evidence reading is not a number")));
        }
    }
    for step in &e.history {
        check_action(&step.action).map_err(|err| Invalid::from(err).within(what.clone()))?;
    }
    Ok(())
}

/// Check a phone number: at most [`MAX_PHONE`] characters, only digits, spaces, `+` and `-` (empty is allowed).
pub fn check_phone(field: &str, phone: &str) -> Result<(), Invalid> {
    check_text(field, phone, MAX_PHONE)?;
    match phone.chars().find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'))) {
        Some(c) => Err(Rule(format!("{field} {phone:?} has {c:?}; only digits, spaces, + and -"))),
        None => Ok(()),
    }
}

/// Check that a worker fits `district`: a name within limits, a valid phone, one to [`MAX_WORKER_GRIDS`] grids that
/// all exist, and a position in or near one of them ([`check_worker_position`]).
pub fn check_worker(w: &GridWorker, district: &District) -> Result<(), Invalid> {
    let what = format!("worker {}", w.id.0);
    check_text(&format!("{what}: the name"), &w.name, MAX_NAME)?;
    if w.name.trim().is_empty() {
        return Err(Rule(format!("{what}: the name is empty")));
    }
    check_phone(&format!("{what} ({}): the phone", w.name), &w.phone)?;
    if w.grids.is_empty() {
        return Err(Rule(format!("{what} ({}) serves no grid", w.name)));
    }
    if w.grids.len() > MAX_WORKER_GRIDS {
        return Err(Rule(format!("{what} ({}) serves {} grids; at most {MAX_WORKER_GRIDS}", w.name, w.grids.len())));
    }
    if let Some(g) = w.grids.iter().find(|g| g.index() >= district.grids.len()) {
        return Err(Unknown(format!("{what} ({}) serves grid {}, which does not exist", w.name, g.0)));
    }
    check_worker_position(&format!("{what} ({}): the position", w.name), &w.grids, w.position, district)
}

/// The checks a command must pass that need only the district and the clock (not the current events and workers):
/// text lengths, references into the district, positions, and no time more than [`max_future`] after `now`.
pub fn check_command(cmd: &ClientCommand, district: &District, now: Timestamp) -> Result<(), Invalid> {
    crate::sync::check_key(&cmd.key)?;
    if !not_in_future(cmd.at, now) {
        return Err(Future(format!(
            "the command's time {} lies in the future (server time {now})",
            cmd.at.to_rfc3339()
        )));
    }
    match &cmd.body {
        CommandBody::Report { event } => {
            if !not_in_future(event.reported_at, now) {
                return Err(Future(format!("the report time {} lies in the future", event.reported_at.to_rfc3339())));
            }
            check_event(event, district)
        }
        CommandBody::Act { action, .. } => Ok(check_action(action)?),
        CommandBody::WorkerPosition { position, .. } => check_position("the worker position", *position, district),
        CommandBody::WorkerJoin { worker } => check_worker(worker, district),
        CommandBody::IssueTaskBook { book } => {
            if book.checks.iter().any(|c| c.result.is_some()) {
                return Err(Rule("a task book is issued with no stop reported".into()));
            }
            if !not_in_future(book.issued_at, now) {
                return Err(Future(format!(
                    "the task book's issue time {} lies in the future",
                    book.issued_at.to_rfc3339()
                )));
            }
            crate::patrol::check_book(book, district)
        }
        CommandBody::ReportCheck { outcome, note, event, .. } => {
            check_text("the check's note", note, MAX_NOTE)?;
            match (outcome, event) {
                (crate::patrol::CheckOutcome::Problem, None) => {
                    Err(Rule("a check that found a problem files it as an event: the event is missing".into()))
                }
                (crate::patrol::CheckOutcome::Done, Some(_)) => Err(Rule(
                    "a check without a problem files no event: leave the event out or report a problem".into(),
                )),
                (_, Some(e)) => {
                    if !not_in_future(e.reported_at, now) {
                        return Err(Future(format!(
                            "the report time {} lies in the future",
                            e.reported_at.to_rfc3339()
                        )));
                    }
                    check_event(e, district)
                }
                (_, None) => Ok(()),
            }
        }
        CommandBody::SplitReport { report, .. } => check_event(report, district),
        CommandBody::Acknowledge { .. } => Ok(()),
    }
}

/// Check that a change from the log fits `district` and can be applied to `situation` without inventing anything:
/// an acted-on event must exist, a moved worker must exist, an assignee must be a known worker, a reported event and a
/// joined worker must fit the district. The desktop skips (and reports) a change that does not.
pub fn check_change(body: &ChangeBody, district: &District, situation: &Situation) -> Result<(), Invalid> {
    match body {
        ChangeBody::EventReported { event } => {
            if let Some(w) = event.assignee
                && situation.worker(w).is_none()
            {
                return Err(Unknown(format!("event {}: assignee {} is not known", event.number, w.0)));
            }
            check_event(event, district)
        }
        ChangeBody::EventActed { event, change, .. } => {
            if situation.event(*event).is_none() {
                return Err(Unknown(format!("a step on event {}, which is not known", event.0)));
            }
            if let EventAction::Assign { worker } = &change.action
                && situation.worker(*worker).is_none()
            {
                return Err(Unknown(format!("event {} assigned to worker {}, who is not known", event.0, worker.0)));
            }
            Ok(check_action(&change.action)?)
        }
        ChangeBody::WorkerMoved { worker, position, .. } => {
            let Some(w) = situation.worker(*worker) else {
                return Err(Unknown(format!("a position of worker {}, who is not known", worker.0)));
            };
            check_worker_position(&format!("the position of worker {}", worker.0), &w.grids, *position, district)
        }
        ChangeBody::ReportLinked { event, report } => {
            let e = situation
                .event(*event)
                .ok_or_else(|| Unknown(format!("a report linked to unknown event {}", event.0)))?;
            check_text("the linked report", &report.title, MAX_TITLE)?;
            check_in_district("the linked report's position", report.position, district)?;
            if e.linked.len() >= MAX_LINKED {
                return Err(Rule(format!(
                    "event {}: {} linked reports; at most {MAX_LINKED}",
                    e.number,
                    e.linked.len()
                )));
            }
            Ok(())
        }
        ChangeBody::TaskBookIssued { book } => crate::patrol::check_book(book, district),
        ChangeBody::CheckReported { book, check, result, event } => {
            let b = situation
                .task_book(*book)
                .ok_or_else(|| Unknown(format!("a check of unknown task book {}", book.0)))?;
            if usize::from(*check) >= b.checks.len() {
                return Err(Unknown(format!("task book {} has no stop {}", b.number, check + 1)));
            }
            crate::patrol::check_result(result)?;
            if result.event != event.as_ref().map(|e| e.id) {
                return Err(Rule(format!("task book {}: the check's event does not match the event filed", b.number)));
            }
            match event {
                Some(e) => check_event(e, district),
                None => Ok(()),
            }
        }
        ChangeBody::Acknowledged { event, ack } => {
            if situation.event(*event).is_none() {
                return Err(Unknown(format!("an acknowledgement of event {}, which is not known", event.0)));
            }
            Ok(check_text("the acknowledging user", &ack.by, MAX_NAME)?)
        }
        ChangeBody::ReportSplit { event, report, new_event } => {
            // A reader's scoped copy may lack the event the report left (it lies outside their view).
            if let Some(e) = situation.event(*event)
                && !e.linked.contains(report)
            {
                return Err(Rule(format!("event {}: the report split off is not linked to it", e.number)));
            }
            check_event(new_event, district)
        }
        ChangeBody::EventShown { event } => check_event(event, district),
        ChangeBody::Resync => Ok(()),
        ChangeBody::Withdrawn { items } => {
            if items.len() > MAX_WITHDRAWN {
                return Err(Rule(format!("{} items withdrawn at once; at most {MAX_WITHDRAWN}", items.len())));
            }
            Ok(())
        }
        ChangeBody::WorkerJoined { worker } => {
            // Ids need not be dense here: a reader's scoped log holds only the workers they may see (the server
            // keeps its own roster's ids dense when it takes a join in).
            check_worker(worker, district)
        }
    }
}

/// Most items one change takes out of a reader's view (a change touches a few items).
pub const MAX_WITHDRAWN: usize = 16;

/// Keep only the events and workers of `situation` that fit `district`; returns why each dropped record was dropped.
/// Workers are kept in id order (see [`Situation::worker_index`]), so the first worker that does not fit (or is out of
/// order) ends the list there; an event's assignee need not be listed (a scoped copy leaves other areas' workers
/// out); the events are left sorted by id without repeats.
pub fn retain_fitting(situation: &mut Situation, district: &District) -> Vec<String> {
    let mut problems = Vec::new();
    let mut workers_ok = situation.workers.len();
    for (i, w) in situation.workers.iter().enumerate() {
        // In id order: dense in a whole copy, with holes in a reader's scoped one (only the workers they may see).
        let ordered = if i == 0 || situation.workers[i - 1].id < w.id {
            Ok(())
        } else {
            Err(Rule(format!("worker at place {i} has id {}, out of order", w.id.0)))
        };
        if let Err(e) = ordered.and_then(|()| check_worker(w, district)) {
            problems.push(e.to_string());
            workers_ok = i;
            break;
        }
    }
    if workers_ok < situation.workers.len() {
        let dropped = situation.workers.len() - workers_ok;
        if dropped > 1 {
            problems.push(format!("{} more workers after it dropped to keep ids in order", dropped - 1));
        }
        situation.workers.truncate(workers_ok);
    }
    // An assignee need not be in the copy: a reader's scoped copy leaves out the workers of other areas.
    situation.events.retain(|e| match check_event(e, district) {
        Ok(()) => true,
        Err(err) => {
            problems.push(err.to_string());
            false
        }
    });
    situation.task_books.retain(|b| match crate::patrol::check_book(b, district) {
        Ok(()) => true,
        Err(err) => {
            problems.push(format!("task book {}: {err}", b.number));
            false
        }
    });
    if !situation.task_books.is_sorted_by(|a, b| a.id < b.id) {
        situation.task_books.sort_by_key(|b| b.id);
        situation.task_books.dedup_by_key(|b| b.id);
    }
    // Events are looked up by binary search on id: keep them sorted and unique.
    if !situation.events.is_sorted_by(|a, b| a.id < b.id) {
        situation.events.sort_by_key(|e| e.id);
        let before = situation.events.len();
        situation.events.dedup_by_key(|e| e.id);
        if situation.events.len() < before {
            problems.push(format!("{} events with a repeated id dropped", before - situation.events.len()));
        }
    }
    problems
}
