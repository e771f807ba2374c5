//! Unit tests of the link (the cache side; the network side is tested against a real server in
//! `app/sync/tests`).

use super::*;
use crate::cache::Held;
use pingan_core::District;
use pingan_core::sync::Snapshot;
use pingan_core::{EventAction, EventId, GridId, WorkerId};

/// Nothing listens on the discard port: the link stays offline and only the cache is exercised.
const NOWHERE: &str = "http://127.0.0.1:9";

fn at() -> Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00+08:00").unwrap().to_utc()
}

fn fixture() -> (Arc<District>, Situation) {
    let district = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let (situation, _) = pingan_demo::Simulator::start(&district, 7, pingan_demo::SimConfig::default(), at());
    (Arc::new(district), situation)
}

fn accept(event: u64) -> CommandBody {
    CommandBody::Act { event: EventId(event), action: EventAction::Accept }
}

#[test]
fn a_cache_from_another_server_is_set_aside_and_its_outbox_held_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let (_, situation) = fixture();
    let other = "http://10.0.0.5:7878";
    {
        let mut cache = Cache::open(&path).unwrap();
        cache.replace(&Snapshot { seq: 9, situation }).unwrap();
        let wang = Identity { user: Some("wang".into()), ..Identity::new(other, "token-a") };
        cache.set_origin(&wang).unwrap();
        let cmd = ClientCommand { key: "k1".into(), at: at(), body: accept(1) };
        cache.push_outbox(&cmd, &wang).unwrap();
    }
    let (link, cached) = Link::start(LinkConfig::new(NOWHERE, "token-b", path.clone())).unwrap();
    assert_eq!(cached.other_server.as_deref(), Some(other));
    assert!(cached.situation.events.is_empty() && cached.seq == 0, "not shown as this server's");
    let s = link.status();
    assert_eq!(s.outbox, 0);
    assert_eq!(
        s.held,
        vec![Held {
            server: other.into(),
            user: Some("wang".into()),
            token_prefix: Identity::new(other, "token-a").token_prefix().into(),
            count: 1
        }]
    );
    assert!(link.pending().is_empty(), "not re-applied as ours");
    // Ours is queued as ours; wang's stays.
    link.submit(accept(2), at()).unwrap();
    assert_eq!(link.status().outbox, 1);
    assert_eq!(link.pending().len(), 1);
    drop(link);
    let cache = Cache::open(&path).unwrap();
    assert_eq!(cache.outbox_len().unwrap(), 2);
    assert_eq!(cache.origin().unwrap().unwrap().server, NOWHERE);
}

#[test]
fn the_same_token_on_the_same_server_sends_its_own_queue_and_remembers_its_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let mut cache = Cache::open(&path).unwrap();
        let me = Identity { user: Some("wang".into()), ..Identity::new(NOWHERE, "token-a") };
        cache.set_origin(&me).unwrap();
        let cmd = ClientCommand { key: "k1".into(), at: at(), body: accept(1) };
        cache.push_outbox(&cmd, &me).unwrap();
    }
    let (link, _) = Link::start(LinkConfig::new(NOWHERE, "token-a", path)).unwrap();
    assert_eq!(link.identity().user.as_deref(), Some("wang"));
    assert_eq!((link.status().outbox, link.status().held.len()), (1, 0));
    assert_eq!(link.pending().len(), 1);
}

#[test]
fn cached_records_that_do_not_fit_the_district_are_left_out_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let (district, mut situation) = fixture();
    let n_events = situation.events.len();
    situation.events[0].grid = GridId(999_999);
    // A worker who serves no grid, added last (ids stay dense).
    let last = situation.workers.len();
    let mut idle = situation.workers[0].clone();
    idle.id = WorkerId(last as u32);
    idle.grids.clear();
    situation.workers.push(idle);
    Cache::open(&path).unwrap().replace(&Snapshot { seq: 9, situation: situation.clone() }).unwrap();
    let config = LinkConfig::new(NOWHERE, "t", path).with_district(district);
    let (link, cached) = Link::start(config).unwrap();
    assert_eq!(cached.skipped.len(), 2, "{:?}", cached.skipped);
    assert_eq!(cached.situation.events.len(), n_events - 1);
    assert_eq!(cached.situation.workers.len(), last);
    assert!(cached.skipped[0].contains("serves no grid"), "{:?}", cached.skipped);
    assert!(cached.skipped[1].contains("999999"), "{:?}", cached.skipped);
    assert_eq!(link.status().skipped, 2);
    assert!(cached.situation.worker(WorkerId(last as u32)).is_none());
}

#[test]
fn the_servers_watch_thresholds_are_read_from_its_info_and_kept_for_an_offline_start() {
    let info = |watch: serde_json::Value| serde_json::json!({ "user": "wang", "role": "operator", "watch": watch });
    let good = serde_json::json!({ "no_data_minutes": 3, "coverage": { "void_minutes": 45, "stale_minutes": 12 } });
    let rights = Rights::from_info(&info(good)).unwrap();
    let watch = rights.watch.expect("read");
    assert_eq!((watch.no_data_minutes, watch.coverage.void_minutes, watch.coverage.stale_minutes), (3, 45, 12));
    // Out of range or not the shape: left out (the desk's own apply), the rest of the rights kept.
    let zero = serde_json::json!({ "no_data_minutes": 0, "coverage": { "void_minutes": 45, "stale_minutes": 12 } });
    assert_eq!(Rights::from_info(&info(zero)).unwrap().watch, None);
    assert_eq!(Rights::from_info(&info(serde_json::json!("soon"))).unwrap().watch, None);
    let older = serde_json::json!({ "user": "wang", "role": "operator" });
    assert_eq!(Rights::from_info(&older).unwrap().watch, None, "an older server says nothing");
    // Kept in the cache with the rest of the answer: a start with the server down has them at once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let me = Identity::new(NOWHERE, "token-a");
    let good = serde_json::json!({ "no_data_minutes": 3, "coverage": { "void_minutes": 45, "stale_minutes": 12 } });
    Cache::open(&path).unwrap().set_info(&me.token_hash, &info(good)).unwrap();
    let (link, _) = Link::start(LinkConfig::new(NOWHERE, "token-a", path)).unwrap();
    assert_eq!(link.status().rights.and_then(|r| r.watch), Some(watch));
}

#[test]
fn a_keep_alive_on_the_stream_is_noted_after_the_changes_before_it() {
    let mut p = crate::api::SseParser::new();
    assert!(!p.take_keep_alive());
    p.push(b":\n\n");
    assert!(p.next_change().unwrap().is_none());
    assert!(p.take_keep_alive(), "a comment line");
    assert!(!p.take_keep_alive(), "taken once");
    p.push(b"id: 1\nevent: change\n\n");
    assert!(p.next_change().unwrap().is_none());
    assert!(!p.take_keep_alive(), "id and event lines are not keep-alives");
}

#[test]
fn the_header_is_warned_a_week_before_the_token_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (link, _) = Link::start(LinkConfig::new(NOWHERE, "token-x", dir.path().join("c.sqlite"))).unwrap();
    let mut s = link.status();
    assert_eq!(s.expiry_warning(at()), None, "no expiry known");
    s.token_expires = Some(at() + chrono::Duration::days(30));
    assert_eq!(s.expiry_warning(at()), None, "a month ahead");
    s.token_expires = Some(at() + chrono::Duration::days(7));
    assert_eq!(s.expiry_warning(at()).as_deref(), Some("令牌 7 天后到期"));
    s.token_expires = Some(at() + chrono::Duration::hours(30));
    assert_eq!(s.expiry_warning(at()).as_deref(), Some("令牌 2 天后到期"));
    s.token_expires = Some(at() - chrono::Duration::hours(1));
    assert_eq!(s.expiry_warning(at()), None, "ended: the refusal says so");
    let info = serde_json::json!({ "token": { "expires_at": "2026-12-01T00:00:00+00:00" } });
    assert_eq!(
        super::status::token_expiry(&info).map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-12-01T00:00:00+00:00")
    );
    assert_eq!(super::status::token_expiry(&serde_json::json!({ "token": { "expires_at": null } })), None);
}
