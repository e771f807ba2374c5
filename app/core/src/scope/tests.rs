use super::*;
use crate::testing::{district, event};
use crate::{EventState, LonLat, Timestamp, WorkerKind, WorkerStatus};

fn t0() -> Timestamp {
    chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn worker(id: u32, grid: u32) -> GridWorker {
    GridWorker {
        id: WorkerId(id),
        name: format!("w{id}"),
        kind: WorkerKind::FullTime,
        phone: format!("1380000{id:04}"),
        grids: vec![GridId(grid)],
        status: WorkerStatus::Patrolling,
        position: LonLat::new(120.005, 30.005),
        seen_at: t0(),
    }
}

fn reader(role: Role, unit: UnitRef, worker: Option<u32>, roster: &[GridWorker]) -> Reader {
    Reader::new(Actor { role, unit, worker: worker.map(WorkerId) }, roster)
}

#[test]
fn each_role_sees_its_scope_of_events_workers_and_books() {
    let d = district();
    let roster = vec![worker(0, 0), worker(1, 0), worker(2, 1)];
    let (east, west) = (d.grids[0].community, d.grids[1].community);
    let e_east = event(&d, 1, 0);
    let e_west = event(&d, 2, 1);
    let admin = reader(Role::Admin, UnitRef::Community(west), None, &roster);
    let district_room = reader(Role::Operator, UnitRef::District, None, &roster);
    let east_room = reader(Role::Operator, UnitRef::Community(east), None, &roster);
    let east_sup = reader(Role::Supervisor, UnitRef::Community(east), None, &roster);
    let town_room = reader(Role::Operator, UnitRef::Town(d.grids[0].town), None, &roster);
    let gw0 = reader(Role::GridWorker, UnitRef::District, Some(0), &roster);
    let gw2 = reader(Role::GridWorker, UnitRef::District, Some(2), &roster);
    let gateway = reader(Role::SensorGateway, UnitRef::District, None, &roster);
    assert_eq!(gw0.grids, vec![GridId(0)]);

    for (r, east_ok, west_ok) in [
        (&admin, true, true),
        (&district_room, true, true),
        (&east_room, true, false),
        (&east_sup, true, false),
        (&town_room, true, e_west.town == e_east.town),
        (&gw0, true, false),
        (&gw2, false, true),
        (&gateway, false, false),
    ] {
        assert_eq!(r.sees_event(&e_east), east_ok, "{r:?} east");
        assert_eq!(r.sees_event(&e_west), west_ok, "{r:?} west");
    }

    // A closed event of their grid leaves a grid worker's view, unless it is theirs.
    let mut closed = e_east.clone();
    closed.state = EventState::Closed;
    assert!(!gw0.sees_event(&closed));
    assert!(east_room.sees_event(&closed));
    closed.assignee = Some(WorkerId(0));
    assert!(gw0.sees_event(&closed));
    // An event assigned to them elsewhere, and one they reported, are theirs to see.
    let mut away = e_west.clone();
    away.assignee = Some(WorkerId(0));
    assert!(gw0.sees_event(&away));
    let mut reported = e_west.clone();
    reported.source = EventSource::GridWorker(WorkerId(0));
    reported.state = EventState::Closed;
    assert!(gw0.sees_event(&reported));

    // Workers: rooms see their area's with phones; a grid worker themselves fully, grid colleagues without a phone.
    let sight = |r: &Reader, w: usize| r.sight_of_worker(&d, &roster[w]);
    assert_eq!(
        [sight(&admin, 2), sight(&east_room, 0), sight(&east_room, 2)],
        [Sight::Full, Sight::Full, Sight::Hidden]
    );
    assert_eq!([sight(&gw0, 0), sight(&gw0, 1), sight(&gw0, 2)], [Sight::Full, Sight::Colleague, Sight::Hidden]);
    assert_eq!(sight(&gateway, 0), Sight::Hidden);
    let colleague = gw0.worker_view(&d, &roster[1]).unwrap();
    assert!(colleague.phone.is_empty() && colleague.name == "w1");
    assert_eq!(east_room.worker_view(&d, &roster[0]).unwrap().phone, roster[0].phone);
    assert!(gw0.worker_view(&d, &roster[2]).is_none());
}

#[test]
fn a_change_reaches_whoever_sees_it_before_or_after_and_brings_or_takes_the_item() {
    let d = district();
    let roster = vec![worker(0, 0), worker(1, 0), worker(2, 1)];
    let gw0 = reader(Role::GridWorker, UnitRef::District, Some(0), &roster);
    let gw2 = reader(Role::GridWorker, UnitRef::District, Some(2), &roster);
    let east_room = reader(Role::Operator, UnitRef::Community(d.grids[0].community), None, &roster);

    // A new event in the east: east's room and worker 0 get it as it is; worker 2 (west) nothing.
    let e = event(&d, 1, 0);
    let new = Audience::of(None, Facet::of_event(&e), Some(&e));
    assert_eq!(new.before, Some(vec![]));
    assert_eq!(east_room.delivery(&new), Delivery::AsIs { strip_phones: false });
    assert_eq!(gw0.delivery(&new), Delivery::AsIs { strip_phones: false });
    assert_eq!(gw2.delivery(&new), Delivery::Skip);

    // Dispatched to worker 2 from the west: it comes into their view whole.
    let mut assigned = e.clone();
    assigned.assignee = Some(WorkerId(2));
    assigned.state = EventState::Assigned;
    let step = Audience::of(Some(Facet::of_event(&e)), Facet::of_event(&assigned), Some(&assigned));
    assert_eq!(gw2.delivery(&step), Delivery::Show(Box::new(assigned.clone())));
    assert_eq!(gw0.delivery(&step), Delivery::AsIs { strip_phones: false });

    // Closed: worker 0 (only their grid's open events) loses it; worker 2 (its assignee) keeps it.
    let mut closed = assigned.clone();
    closed.state = EventState::Closed;
    let close = Audience::of(Some(Facet::of_event(&assigned)), Facet::of_event(&closed), Some(&closed));
    assert_eq!(gw0.delivery(&close), Delivery::Withdraw(vec![Item::Event(e.id)]));
    assert_eq!(gw2.delivery(&close), Delivery::AsIs { strip_phones: false });
    assert_eq!(east_room.delivery(&close), Delivery::AsIs { strip_phones: false });

    // A step that changes neither people nor openness keeps no copy of the event.
    let same = Audience::of(Some(Facet::of_event(&closed)), Facet::of_event(&closed), Some(&closed));
    assert_eq!(same.before, None);
    assert!(same.whole.is_none());

    // A roster entry: a colleague's comes without the phone; a worker moved to the west leaves worker 0's view.
    let join = Audience::of(Some(Facet::of_worker(&d, &roster[1])), Facet::of_worker(&d, &roster[1]), None);
    assert_eq!(gw0.delivery(&join), Delivery::AsIs { strip_phones: true });
    assert_eq!(east_room.delivery(&join), Delivery::AsIs { strip_phones: false });
    let moved = Audience::of(Some(Facet::of_worker(&d, &roster[1])), Facet::of_worker(&d, &worker(1, 1)), None);
    assert_eq!(gw0.delivery(&moved), Delivery::Withdraw(vec![Item::Worker(WorkerId(1))]));
    assert_eq!(gw2.delivery(&moved), Delivery::AsIs { strip_phones: true });
}

#[test]
fn an_audience_reads_back_as_written() {
    let d = district();
    let e = event(&d, 7, 1);
    let a = Audience::of(Some(Facet::of_event(&e)), Facet::of_event(&event(&d, 7, 0)), Some(&e));
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Audience>(&json).unwrap(), a);
    // Compact: a place is three numbers.
    assert!(json.contains(r#""at":[{"t":"#), "{json}");
}

#[test]
fn a_split_into_another_area_shows_only_what_the_reader_sees_and_a_moved_reader_resyncs() {
    let d = district();
    let roster = vec![worker(0, 0), worker(1, 1)];
    let east_room = reader(Role::Operator, UnitRef::Community(d.grids[0].community), None, &roster);
    let west_room = reader(Role::Operator, UnitRef::Community(d.grids[1].community), None, &roster);
    // A report merged into an east event is split off: the new event lies in the west.
    let left = event(&d, 1, 0);
    let new = event(&d, 2, 1);
    let split = Audience {
        before: None,
        after: vec![Facet::of_event(&left), Facet::of_event(&new)],
        whole: Some(Box::new(left.clone())),
    };
    assert_eq!(
        east_room.delivery(&split),
        Delivery::Show(Box::new(left)),
        "the east gets its own event whole, not the west's"
    );
    assert_eq!(west_room.delivery(&split), Delivery::AsIs { strip_phones: false }, "the west gets the new event");

    // Worker 0 is registered to the west grid: their own view changed, so their copy needs a fresh snapshot.
    let gw0 = reader(Role::GridWorker, UnitRef::District, Some(0), &roster);
    let moved = Audience::of(Some(Facet::of_worker(&d, &roster[0])), Facet::of_worker(&d, &worker(0, 1)), None);
    assert_eq!(gw0.delivery(&moved), Delivery::Resync);
    assert_eq!(east_room.delivery(&moved), Delivery::Withdraw(vec![Item::Worker(WorkerId(0))]));
}
