//! Unit tests of the cache: identities and the outbox, damaged rows, checked changes, a cache set aside.

use super::*;
use pingan_core::sync::{Change, ChangeBody, ClientCommand, CommandBody, Seq, Snapshot};
use pingan_core::{District, EventAction, EventId, EventState, GridId, Situation, WorkerId, WorkerStatus};

const X: &str = "http://10.0.0.5:7878";
const Y: &str = "http://10.0.0.6:7878";

fn at() -> pingan_core::Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().to_utc()
}

fn cmd(key: &str) -> ClientCommand {
    ClientCommand {
        key: key.into(),
        at: at(),
        body: CommandBody::Act { event: EventId(1), action: EventAction::Accept },
    }
}

fn me(server: &str, token: &str, user: Option<&str>) -> Identity {
    Identity { user: user.map(String::from), ..Identity::new(server, token) }
}

fn keys(cmds: &[ClientCommand]) -> Vec<&str> {
    cmds.iter().map(|c| c.key.as_str()).collect()
}

fn open() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
    (dir, cache)
}

/// The small demo district and its simulator's first situation.
fn fixture() -> (District, Situation) {
    let district = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let (situation, _) = pingan_demo::Simulator::start(&district, 7, pingan_demo::SimConfig::default(), at());
    (district, situation)
}

#[test]
fn a_token_is_stored_only_as_its_hash_and_servers_compare_normalised() {
    let id = Identity::new("HTTP://10.0.0.5:7878/ ", "secret-token");
    assert_eq!(id.server, X);
    assert_eq!(id.token_hash.len(), 64);
    assert!(!id.token_hash.contains("secret"));
    assert_eq!(id.token_prefix().len(), 8);
    assert_eq!(normalize_server("http://Host:1/Base/"), "http://host:1/Base");
}

#[test]
fn rows_queued_under_token_a_are_not_sent_under_token_b_of_another_user() {
    let (_dir, mut cache) = open();
    let a = me(X, "token-a", None);
    cache.push_outbox(&cmd("k1"), &a).unwrap();
    cache.push_outbox(&cmd("k2"), &a).unwrap();
    cache.learn_user(&me(X, "token-a", Some("wang"))).unwrap();
    let b = me(X, "token-b", Some("li"));
    assert!(cache.outbox_for(&b, 100).unwrap().is_empty());
    assert_eq!(cache.outbox_len_for(&b).unwrap(), 0);
    // Not even before the server has said whose token B is.
    assert!(cache.outbox_for(&me(X, "token-b", None), 100).unwrap().is_empty());
    let held = cache.held(&b).unwrap();
    assert_eq!(
        held,
        vec![Held { server: X.into(), user: Some("wang".into()), token_prefix: a.token_prefix().into(), count: 2 }]
    );
    assert_eq!(held[0].who(), "wang");
    // Kept, not deleted; and still sent as A.
    assert_eq!(cache.outbox_len().unwrap(), 2);
    assert_eq!(keys(&cache.outbox_for(&a, 100).unwrap()), ["k1", "k2"]);
}

#[test]
fn rows_queued_under_token_a_go_out_under_token_c_of_the_same_user_once_the_user_is_known() {
    let (_dir, mut cache) = open();
    let a = me(X, "token-a", None);
    cache.push_outbox(&cmd("k1"), &a).unwrap();
    let c_wang = me(X, "token-c", Some("wang"));
    // Queued before anyone knew whose token A is: held for token A.
    assert!(cache.outbox_for(&c_wang, 100).unwrap().is_empty());
    let held = cache.held(&c_wang).unwrap();
    assert_eq!((held[0].user.clone(), held[0].count), (None, 1));
    assert_eq!(held[0].who(), format!("token {}…", a.token_prefix()));
    // The server says A is wang's: now wang's other token C may send it (and only once C is known to be wang's).
    assert_eq!(cache.learn_user(&me(X, "token-a", Some("wang"))).unwrap(), 1);
    assert!(cache.outbox_for(&me(X, "token-c", None), 100).unwrap().is_empty());
    assert_eq!(keys(&cache.outbox_for(&c_wang, 100).unwrap()), ["k1"]);
    assert!(cache.held(&c_wang).unwrap().is_empty());
    assert_eq!(cache.origin().unwrap().unwrap().user.as_deref(), Some("wang"));
}

#[test]
fn rows_for_server_x_are_not_sent_to_server_y() {
    let (_dir, mut cache) = open();
    cache.push_outbox(&cmd("k1"), &me(X, "token-a", Some("wang"))).unwrap();
    for y in [me(Y, "token-a", Some("wang")), me(Y, "token-a", None)] {
        assert!(cache.outbox_for(&y, 100).unwrap().is_empty());
        assert_eq!(cache.held(&y).unwrap()[0].server, X);
    }
    // The same server written differently is the same server.
    assert_eq!(cache.outbox_for(&me("HTTP://10.0.0.5:7878/", "token-a", None), 100).unwrap().len(), 1);
    cache.learn_user(&me(Y, "token-a", Some("wang"))).unwrap();
    assert!(cache.outbox_for(&me(Y, "token-a", Some("wang")), 100).unwrap().is_empty());
}

#[test]
fn held_rows_are_counted_by_identity_and_kept_while_the_current_ones_are_settled() {
    let (_dir, mut cache) = open();
    let wang = me(X, "token-a", Some("wang"));
    let anon = me(X, "token-z", None);
    let li = me(X, "token-b", Some("li"));
    for k in ["w1", "w2", "w3"] {
        cache.push_outbox(&cmd(k), &wang).unwrap();
    }
    cache.push_outbox(&cmd("z1"), &anon).unwrap();
    cache.push_outbox(&cmd("l1"), &li).unwrap();
    cache.push_outbox(&cmd("l2"), &li).unwrap();
    cache.push_outbox(&cmd("y1"), &me(Y, "token-b", Some("li"))).unwrap();
    assert_eq!(cache.outbox_len_for(&li).unwrap(), 2);
    let held: Vec<(String, String, usize)> =
        cache.held(&li).unwrap().iter().map(|h| (h.server.clone(), h.who(), h.count)).collect();
    assert_eq!(
        held,
        [
            (X.to_string(), "wang".to_string(), 3),
            (X.to_string(), format!("token {}…", anon.token_prefix()), 1),
            (Y.to_string(), "li".to_string(), 1),
        ]
    );
    cache.settle(&["l1".into(), "l2".into()], &[]).unwrap();
    assert_eq!(cache.outbox_len_for(&li).unwrap(), 0);
    assert_eq!(cache.outbox_len().unwrap(), 5, "the held rows stay");
    assert_eq!(cache.held(&li).unwrap().iter().map(|h| h.count).sum::<usize>(), 5);
}

#[test]
fn an_older_cache_file_gains_the_identity_columns_and_its_rows_are_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
    )
    .unwrap();
    conn.execute("INSERT INTO outbox (key, body) VALUES ('old', ?1)", [serde_json::to_string(&cmd("old")).unwrap()])
        .unwrap();
    drop(conn);
    let cache = Cache::open(&path).unwrap();
    let a = me(X, "token-a", Some("wang"));
    assert!(cache.outbox_for(&a, 10).unwrap().is_empty(), "nobody can say whose it was");
    let held = cache.held(&a).unwrap();
    assert_eq!((held[0].server.as_str(), held[0].who(), held[0].count), ("", "?".to_string(), 1));
    assert_eq!(keys(&cache.outbox(10).unwrap()), ["old"]);
    drop(cache);
    // Opening again does not add the columns twice.
    Cache::open(&path).unwrap();
}

#[test]
fn a_damaged_row_is_left_out_and_the_cache_is_refreshed_from_a_snapshot() {
    let (_dir, mut cache) = open();
    let (_, situation) = fixture();
    cache.replace(&Snapshot { seq: 9, situation }).unwrap();
    cache.conn.execute("UPDATE events SET body = '{' WHERE id = (SELECT MIN(id) FROM events)", []).unwrap();
    let cached = cache.load().unwrap();
    assert_eq!(cached.seq, 0, "a fresh snapshot replaces it");
    assert_eq!(cached.skipped.len(), 1);
    assert!(cached.skipped[0].contains("does not parse"), "{:?}", cached.skipped);
}

#[test]
fn changes_that_do_not_fit_are_skipped_whole_and_the_rest_applied_and_stored() {
    let (district, situation) = fixture();
    let (_dir, mut cache) = open();
    cache.replace(&Snapshot { seq: 10, situation: situation.clone() }).unwrap();
    let target = situation.events.iter().find(|e| e.state == EventState::Reported).expect("a reported event");
    let worker = situation
        .workers
        .iter()
        .find(|w| w.grids.contains(&target.grid) && w.status == WorkerStatus::Patrolling)
        .or_else(|| situation.workers.iter().find(|w| w.status == WorkerStatus::Patrolling))
        .expect("a patrolling worker")
        .id;
    let mut e = target.clone();
    let accept = pingan_core::sync::act(
        &mut e,
        EventAction::Accept,
        at(),
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap();
    let mut e_bad = e.clone();
    let assign_ghost = pingan_core::sync::act(
        &mut e_bad,
        EventAction::Assign { worker: WorkerId(999_999) },
        at(),
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap();
    let assign = pingan_core::sync::act(
        &mut e,
        EventAction::Assign { worker },
        at(),
        "op",
        &pingan_core::routing::RoutingConfig::default(),
    )
    .unwrap();
    let mut off_map = target.clone();
    off_map.id = EventId(situation.events.last().unwrap().id.0 + 1);
    off_map.grid = GridId(999_999);
    let mut unknown = accept.clone();
    if let ChangeBody::EventActed { event, .. } = &mut unknown {
        *event = EventId(999_999);
    }
    let ghost_moves = ChangeBody::WorkerMoved {
        worker: WorkerId(999_999),
        position: target.position,
        status: WorkerStatus::Patrolling,
        at: at(),
    };
    let bodies =
        [ChangeBody::EventReported { event: Box::new(off_map) }, unknown, ghost_moves, accept, assign_ghost, assign];
    let changes: Vec<Change> = bodies.into_iter().zip(11..).map(|(body, seq)| Change::new(seq, body)).collect();
    let mut mirror = situation.clone();
    let applied = cache.apply_checked(&mut mirror, &changes, Some(&district)).unwrap();
    assert_eq!(applied.seq, 16, "skipped changes are consumed");
    let seqs: Vec<Seq> = applied.skipped.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [11, 12, 13, 15], "{:?}", applied.skipped);
    assert!(applied.skipped[0].1.contains("999999"), "{:?}", applied.skipped[0]);
    assert_eq!(mirror.events.len(), situation.events.len());
    let now = mirror.event(target.id).unwrap();
    assert_eq!((now.state, now.assignee, now.history.len()), (EventState::Assigned, Some(worker), 2));
    assert_eq!(mirror.worker(worker).unwrap().status, WorkerStatus::Handling(target.id));
    // The cache stored exactly that, the worker's new status included.
    let cached = cache.load().unwrap();
    assert_eq!(cached.seq, 16);
    assert!(cached.situation == mirror);
}

#[test]
fn a_cache_synced_from_another_server_can_be_set_aside_keeping_its_outbox() {
    let (_dir, mut cache) = open();
    let (_, situation) = fixture();
    cache.replace(&Snapshot { seq: 9, situation }).unwrap();
    let wang = me(X, "token-a", Some("wang"));
    cache.set_origin(&wang).unwrap();
    cache.push_outbox(&cmd("k1"), &wang).unwrap();
    assert_eq!(cache.origin().unwrap(), Some(wang));
    cache.forget_situation().unwrap();
    let cached = cache.load().unwrap();
    assert_eq!((cached.seq, cached.situation.events.len(), cached.situation.workers.len()), (0, 0, 0));
    assert_eq!(cache.outbox_len().unwrap(), 1);
}
