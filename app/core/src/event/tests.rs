//! The event lifecycle's state machine and the event's own rules.

use super::*;
use EventState as S;

fn actions() -> Vec<EventAction> {
    vec![
        EventAction::Accept,
        EventAction::Assign { worker: WorkerId(7) },
        EventAction::StartDisposal,
        EventAction::SubmitFeedback { note: "已劝离".into() },
        EventAction::Close { note: "核查属实".into(), outcome: None },
        EventAction::Rework { note: "照片不清".into() },
        EventAction::Escalate { reason: "超出权限".into() },
        EventAction::Reopen { reason: "群众回访不满意".into() },
        EventAction::Reroute { level: Level::Town, reason: "需镇街协调".into() },
    ]
}

/// The full table of legal transitions; everything else must fail.
fn legal(from: EventState, action: &str) -> Option<EventState> {
    Some(match (from, action) {
        (S::Reported, "accept") | (S::Reopened, "accept") => S::Accepted,
        (S::Accepted, "assign") | (S::Assigned, "assign") | (S::Escalated, "assign") | (S::Reopened, "assign") => {
            S::Assigned
        }
        (S::Assigned, "start_disposal") => S::InDisposal,
        (S::InDisposal, "submit_feedback") => S::Feedback,
        (S::Feedback, "close") => S::Closed,
        (S::Feedback, "rework") => S::InDisposal,
        (from, "escalate") if from != S::Closed => S::Escalated,
        (from, "reroute") if from != S::Closed => from,
        (S::Closed, "reopen") => S::Reopened,
        _ => return None,
    })
}

#[test]
fn every_transition_legal_or_rejected() {
    let mut legal_count = 0;
    for from in EventState::ALL {
        for action in actions() {
            let got = from.apply(&action);
            match legal(from, action.name()) {
                Some(to) => {
                    assert_eq!(got, Ok(to), "{from:?} --{}-->", action.name());
                    legal_count += 1;
                }
                None => assert_eq!(
                    got,
                    Err(TransitionError { from, action: action.name() }),
                    "{from:?} --{}--> must be illegal",
                    action.name()
                ),
            }
        }
    }
    assert_eq!(legal_count, 11 + 7 + 7);
}

#[test]
fn closed_loop_records_history_and_deadline() {
    let t0 = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut e = Event {
        id: EventId(1),
        number: "YH-1".into(),
        category: EventCategory::Dispute,
        severity: Severity::Major,
        title: "邻里纠纷".into(),
        position: LonLat::new(120.3, 30.4),
        address: AddressCode::parse("330110001002003000400000000").unwrap(),
        place: "x".into(),
        town: TownId(0),
        community: CommunityId(0),
        grid: GridId(0),
        building: None,
        source: EventSource::Hotline,
        reported_at: t0,
        deadline: t0 + chrono::Duration::hours(4),
        level: Level::Community,
        state: S::Reported,
        assignee: None,
        history: vec![],
        evidence: None,
        linked: Vec::new(),
        acknowledged: None,
    };
    assert!(!e.is_overdue(t0 + chrono::Duration::hours(3)));
    assert!(e.is_overdue(t0 + chrono::Duration::hours(5)));
    let mut t = t0;
    for a in [
        EventAction::Accept,
        EventAction::Assign { worker: WorkerId(3) },
        EventAction::StartDisposal,
        EventAction::SubmitFeedback { note: "调解成功".into() },
        EventAction::Close { note: "ok".into(), outcome: None },
    ] {
        t += chrono::Duration::minutes(10);
        e.apply(a, t).unwrap();
    }
    assert_eq!(e.state, S::Closed);
    assert_eq!(e.assignee, Some(WorkerId(3)));
    assert_eq!(e.history.len(), 5);
    assert!(!e.is_overdue(t0 + chrono::Duration::hours(100)), "closed events are never overdue");
    // Illegal action leaves the event untouched.
    let before = e.clone();
    assert!(e.apply(EventAction::StartDisposal, t).is_err());
    assert_eq!(e, before);
    let err = S::Closed.apply(&EventAction::Accept).unwrap_err();
    assert_eq!(err.to_string(), "cannot accept an event that is Closed");
}

#[test]
fn nine_key_categories() {
    assert_eq!(EventCategory::ALL.iter().filter(|c| c.is_key()).count(), 9);
    assert_eq!(EventCategory::ALL.iter().filter(|c| c.sensor().is_some()).count(), 5);
}
