//! The sync rules shared by server and client: who may do what, and applying changes idempotently.

use pingan_core::sync::{ChangeBody, CommandBody, Role, act, check_key};
use pingan_core::{EventAction, EventId, EventState, LonLat, Situation, WorkerId, WorkerStatus};

fn act_body(action: EventAction) -> CommandBody {
    CommandBody::Act { event: EventId(1), action }
}

#[test]
fn roles_may_do_exactly_what_their_job_needs() {
    let close = act_body(EventAction::Close { note: String::new(), outcome: None });
    let reopen = act_body(EventAction::Reopen { reason: String::new() });
    let start = act_body(EventAction::StartDisposal);
    let accept = act_body(EventAction::Accept);
    let pos = CommandBody::WorkerPosition {
        worker: WorkerId(0),
        position: LonLat { lon: 120.0, lat: 30.0 },
        status: WorkerStatus::Patrolling,
    };
    use Role::*;
    // (role, close, reopen, start, accept, position, read)
    let table = [
        (Operator, true, false, true, true, false, true),
        (Supervisor, true, true, true, true, false, true),
        (GridWorker, false, false, true, false, true, true),
        (SensorGateway, false, false, false, false, false, false),
        (Admin, true, true, true, true, true, true),
    ];
    for (role, c, r, s, a, p, read) in table {
        assert_eq!(role.may(&close), c, "{role:?} close");
        assert_eq!(role.may(&reopen), r, "{role:?} reopen");
        assert_eq!(role.may(&start), s, "{role:?} start");
        assert_eq!(role.may(&accept), a, "{role:?} accept");
        assert_eq!(role.may(&pos), p, "{role:?} position");
        assert_eq!(role.may_read(), read, "{role:?} read");
        assert_eq!(Role::parse(role.name()), Some(role));
    }
    assert_eq!(Role::parse("grid-worker"), Some(GridWorker));
    assert_eq!(Role::parse("boss"), None);
}

#[test]
fn keys_must_be_short_printable_ascii() {
    assert!(check_key("c-0123-abcd").is_ok());
    assert!(check_key("").is_err());
    assert!(check_key(&"x".repeat(101)).is_err());
    assert!(check_key("with space").is_err());
    assert!(check_key("中文").is_err());
}

fn situation() -> Situation {
    let district = pingan_demo_free_event();
    Situation { events: vec![district], workers: Vec::new(), task_books: Vec::new() }
}

/// A minimal event, built by hand (pingan-core does not depend on the demo crate).
fn pingan_demo_free_event() -> pingan_core::Event {
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z").unwrap().to_utc();
    serde_json::from_value(serde_json::json!({
        "id": 1, "number": "YH-1", "category": "Dispute", "severity": "General", "title": "纠纷",
        "position": {"lon": 120.0, "lat": 30.4},
        "address": "330110001001001000000000000",
        "place": "x", "town": 0, "community": 0, "grid": 0, "building": null, "source": "Hotline",
        "reported_at": t, "deadline": t + chrono::Duration::hours(48), "state": "Reported", "assignee": null,
        "history": []
    }))
    .unwrap()
}

#[test]
fn act_goes_through_the_state_machine_and_changes_apply_once() {
    let mut server = situation();
    let mut client = situation();
    let t = chrono::Utc::now();
    let change =
        act(&mut server.events[0], EventAction::Accept, t, "op", &pingan_core::routing::RoutingConfig::default())
            .unwrap();
    assert_eq!(server.events[0].state, EventState::Accepted);
    // Illegal steps are refused with the state in the reason, and change nothing.
    let err = act(
        &mut server.events[0],
        EventAction::Close { note: String::new(), outcome: None },
        t,
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("Accepted"), "{err}");
    assert_eq!(server.events[0].history.len(), 1);
    // The client applies the change once, however often it sees it.
    assert!(client.apply_change(&change));
    assert!(!client.apply_change(&change));
    assert_eq!(client, server);
    // A report seen again (snapshot overlapping a page) changes nothing either.
    let report = ChangeBody::EventReported { event: Box::new(server.events[0].clone()) };
    assert!(!client.apply_change(&report));
    // An older worker position does not overwrite a newer one.
    let w: pingan_core::GridWorker = serde_json::from_value(serde_json::json!({
        "id": 0, "name": "王", "kind": "FullTime", "grids": [0], "status": "Patrolling",
        "position": {"lon": 120.0, "lat": 30.0}, "seen_at": t
    }))
    .unwrap();
    assert!(client.apply_change(&ChangeBody::WorkerJoined { worker: w }));
    let older = ChangeBody::WorkerMoved {
        worker: WorkerId(0),
        position: LonLat { lon: 121.0, lat: 30.0 },
        status: WorkerStatus::Patrolling,
        at: t - chrono::Duration::seconds(5),
    };
    assert!(!client.apply_change(&older));
    assert_eq!(client.workers[0].position.lon, 120.0);
}
