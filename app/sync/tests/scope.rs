//! The read rule on a real server (`pingan_core::scope`): every reading role × every read endpoint × an item in and
//! out of their scope, on every configured database; and the scoped log exact — a reader's copy fed from the scoped
//! log (a page at a time, or live from the stream and resumed) holds what their scoped snapshot holds.

mod common;

use common::*;
use pingan_core::sync::{ChangeBody, CommandBody, Seq, Snapshot};
use pingan_core::{EventAction, GridId, GridWorker, Situation, WorkerId, WorkerStatus};
use std::collections::BTreeSet;

/// A reader's whole scoped log from `after`, page by page, folded onto `s`; returns the seq reached.
async fn fold_log(server: &Server, token: &str, s: &mut Situation, mut after: Seq) -> Seq {
    loop {
        let page = server.api(token).changes(after, 500).await.expect("changes");
        let n = page.changes.len();
        for c in page.changes {
            assert!(c.seq > after && c.follows() >= after, "change {} follows {} after {after}", c.seq, c.follows());
            s.apply_change(&c.body);
            after = c.seq;
        }
        if n == 0 || after >= page.head {
            return after;
        }
    }
}

fn ids(s: &Situation) -> (BTreeSet<u64>, BTreeSet<u32>, BTreeSet<u64>) {
    (
        s.events.iter().map(|e| e.id.0).collect(),
        s.workers.iter().map(|w| w.id.0).collect(),
        s.task_books.iter().map(|b| b.id.0).collect(),
    )
}

/// Whether the reader's copy (from the log) and their scoped snapshot agree: the same items, the same records.
async fn agrees(server: &Server, token: &str, who: &str) -> Snapshot {
    let snap = server.api(token).snapshot().await.expect("snapshot");
    let mut folded = Situation::default();
    let seq = fold_log(server, token, &mut folded, 0).await;
    assert!(seq >= snap.seq, "{who}: the log reaches the snapshot's seq");
    assert_eq!(ids(&folded), ids(&snap.situation), "{who}: the scoped log and the scoped snapshot hold the same items");
    for w in &snap.situation.workers {
        assert_eq!(folded.worker(w.id), Some(w), "{who}: worker {} as the snapshot has them", w.id.0);
    }
    for e in &snap.situation.events {
        assert_eq!(
            folded.event(e.id).map(|x| (x.state, x.assignee)),
            Some((e.state, e.assignee)),
            "{who}: {}",
            e.number
        );
    }
    snap
}

/// A seeded event in a grid somebody serves (every seeded report is open).
fn shared_grid_event(demo: &Situation) -> pingan_core::Event {
    demo.events[..30]
        .iter()
        .find(|e| demo.workers.iter().any(|w| w.grids.contains(&e.grid)))
        .expect("a seeded event in a grid with a worker")
        .clone()
}

/// Register a second worker of `me`'s grids (the next id), with a phone number.
async fn add_colleague(server: &Server, admin: &str, demo: &mut Situation, me: &GridWorker) -> GridWorker {
    let mut w = pingan_sync::demo::joining(me);
    w.id = WorkerId(demo.workers.len() as u32);
    w.name = "同事甲".into();
    w.phone = "13900001111".into();
    w.status = WorkerStatus::Patrolling;
    let o = send(server, admin, CommandBody::WorkerJoin { worker: w.clone() }).await;
    assert!(matches!(o, pingan_core::sync::Outcome::Applied { .. }), "{o:?}");
    demo.workers.push(w.clone());
    w
}

fn phones(ws: &[GridWorker]) -> usize {
    ws.iter().filter(|w| !w.phone.is_empty()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_reads_its_scope_from_every_endpoint_and_the_log_agrees_with_the_snapshot() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 30).await;
        let district = pingan_sync::district(2026, true);
        let e0 = shared_grid_event(&demo);
        let (grid, town) = (e0.grid, district.town(e0.town));
        let other_town = district.towns.iter().find(|t| t.id != e0.town).expect("a second town");
        let community = district.community(e0.community);
        let serving = |g: GridId| demo.workers.iter().filter(move |w| w.grids.contains(&g));
        let me = serving(grid).next().expect("a worker of the grid").clone();
        let mut demo = demo;
        let colleague = add_colleague(&server, &admin, &mut demo, &me).await;
        let far =
            demo.workers.iter().find(|w| w.grids.iter().all(|g| district.grid(*g).town != town.id)).unwrap().clone();
        assert!(demo.workers.iter().all(|w| !w.phone.is_empty()), "the demo roster has phone numbers");

        let town_op = user_in(&target.db, "town-op", "operator", &town.code.to_string());
        let other_op = user_in(&target.db, "other-op", "operator", &other_town.code.to_string());
        let community_sup = user_in(&target.db, "community-sup", "supervisor", &community.code.to_string());
        let district_op = server.user("district-op", "operator");
        let gw_me = server.user_bound("gw-me", me.id.0);
        let gw_far = server.user_bound("gw-far", far.id.0);
        let gateway = server.user("gateway", "sensor_gateway");

        // Positions, so the tracks have points: mine, my colleague's, the far worker's.
        for w in [&me, &colleague, &far] {
            let cmd =
                CommandBody::WorkerPosition { worker: w.id, position: w.position, status: WorkerStatus::Patrolling };
            assert!(matches!(send(&server, &admin, cmd).await, pingan_core::sync::Outcome::Applied { .. }));
        }

        // Snapshot and log, per reader.
        let all = agrees(&server, &admin, "admin").await.situation;
        assert_eq!(all.workers.len(), demo.workers.len());
        assert_eq!(agrees(&server, &district_op, "district room").await.situation, all, "a district room sees it all");
        let t = agrees(&server, &town_op, "town room").await.situation;
        assert!(t.event(e0.id).is_some(), "the town's room sees the town's event");
        assert!(t.events.iter().all(|e| e.town == town.id), "and only its town's events");
        assert!(
            !t.workers.is_empty()
                && t.workers.iter().all(|w| w.grids.iter().any(|g| district.grid(*g).town == town.id))
        );
        assert_eq!(phones(&t.workers), t.workers.len(), "a room sees its workers' phones");
        assert!(t.worker(far.id).is_none(), "not another town's worker");
        let o = agrees(&server, &other_op, "other town").await.situation;
        assert!(o.event(e0.id).is_none() && o.worker(me.id).is_none(), "town B's room sees nothing of town A's");
        let c = agrees(&server, &community_sup, "community supervisor").await.situation;
        assert!(c.event(e0.id).is_some() && c.events.iter().all(|e| e.community == community.id));
        let g = agrees(&server, &gw_me, "grid worker").await.situation;
        assert!(g.event(e0.id).is_some(), "a grid worker sees their grid's open event");
        assert!(g.events.iter().all(|e| e.grid == grid || e.assignee == Some(me.id)));
        assert_eq!(g.worker(me.id).map(|w| w.phone.clone()), Some(me.phone.clone()), "themselves in full");
        assert_eq!(
            g.worker(colleague.id).map(|w| (w.name.clone(), w.phone.clone())),
            Some((colleague.name.clone(), String::new())),
            "a colleague by name, no phone"
        );
        assert!(
            g.workers.iter().all(|w| w.id == me.id || w.grids.iter().any(|x| me.grids.contains(x))),
            "no other worker"
        );
        assert_eq!(phones(&g.workers), 1);
        let f = agrees(&server, &gw_far, "far grid worker").await.situation;
        assert!(f.event(e0.id).is_none() && f.worker(me.id).is_none());

        // One event.
        for (token, seen) in [
            (&admin, true),
            (&town_op, true),
            (&community_sup, true),
            (&gw_me, true),
            (&other_op, false),
            (&gw_far, false),
        ] {
            let got = server.api(token).event(e0.id).await;
            assert_eq!(got.is_ok(), seen, "GET /v1/events/{}: {got:?}", e0.id.0);
        }

        // Tracks: a grid worker gets their grid's, not another's; town B's room none of town A's.
        let since = chrono::Utc::now() - chrono::Duration::hours(1);
        let tracks = |token: String| {
            let server = &server;
            async move {
                let page = server.api(&token).tracks(since, 0, 1000).await.expect("tracks");
                page.changes
                    .iter()
                    .filter_map(|c| match c.body {
                        ChangeBody::WorkerMoved { worker, .. } => Some(worker),
                        _ => None,
                    })
                    .collect::<BTreeSet<WorkerId>>()
            }
        };
        let all_tracks = tracks(admin.clone()).await;
        assert!(all_tracks.contains(&me.id) && all_tracks.contains(&far.id), "{all_tracks:?}");
        let mine = tracks(gw_me.clone()).await;
        assert!(mine.contains(&me.id) && mine.contains(&colleague.id) && !mine.contains(&far.id), "{mine:?}");
        assert!(!tracks(other_op.clone()).await.contains(&me.id));

        // The package: the roster as each may see it.
        let roster = |token: String| {
            let server = &server;
            async move {
                let (_, bytes) = server.api(&token).district(None, |_, _| {}).await.expect("package").expect("bytes");
                pingan_package::decode(&bytes).expect("a package").workers
            }
        };
        let whole = roster(admin.clone()).await;
        assert!(whole.iter().any(|w| w.id == far.id) && phones(&whole) == whole.len(), "the whole roster");
        let r = roster(gw_me.clone()).await;
        assert!(r.iter().any(|w| w.id == me.id && w.phone == me.phone), "themselves, with their phone");
        assert!(
            r.iter().all(|w| w.id == me.id || (w.phone.is_empty() && w.grids.iter().any(|g| me.grids.contains(g)))),
            "colleagues only, without phones"
        );
        assert!(r.len() < whole.len());
        let r = roster(other_op.clone()).await;
        assert!(r.iter().all(|w| w.id != me.id) && phones(&r) == r.len());

        // A sensor gateway reads nothing.
        for r in [server.api(&gateway).snapshot().await.err(), server.api(&gateway).changes(0, 10).await.err()] {
            assert!(matches!(r, Some(pingan_store::ApiError::Forbidden(_))), "{r:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_stream_brings_items_into_view_whole_takes_them_out_and_resumes_exactly_once() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = seeded(&server, 30).await;
        let district = pingan_sync::district(2026, true);
        let e0 = shared_grid_event(&demo);
        let grid = e0.grid;
        let me = demo.workers.iter().find(|w| w.grids.contains(&grid)).unwrap().clone();
        let mut demo = demo;
        let colleague = add_colleague(&server, &admin, &mut demo, &me).await;
        let far =
            demo.workers.iter().find(|w| w.grids.iter().all(|g| district.grid(*g).town != e0.town)).unwrap().clone();
        let gw_me = server.user_bound("gw-me", me.id.0);
        let gw_far = server.user_bound("gw-far", far.id.0);

        // Each grid worker's copy: their snapshot, then the stream.
        let mut mine = server.api(&gw_me).snapshot().await.unwrap();
        let mut theirs = server.api(&gw_far).snapshot().await.unwrap();
        assert!(theirs.situation.event(e0.id).is_none());
        let mut s_me = server.api(&gw_me).stream(mine.seq).await.unwrap();
        let mut s_far = server.api(&gw_far).stream(theirs.seq).await.unwrap();

        // The room dispatches e0 to the far worker: it comes into their view whole.
        let act = |a: EventAction| CommandBody::Act { event: e0.id, action: a };
        for a in [EventAction::Accept, EventAction::Assign { worker: far.id }] {
            let o = send(&server, &admin, act(a)).await;
            assert!(matches!(o, pingan_core::sync::Outcome::Applied { .. }), "{o:?}");
        }
        let got = next_within(&mut s_far, 1).await;
        match &got.body {
            ChangeBody::EventShown { event } => assert_eq!((event.id, event.assignee), (e0.id, Some(far.id))),
            other => panic!("expected the event whole, got {other:?}"),
        }
        assert!(got.follows() >= theirs.seq);
        theirs.situation.apply_change(&got.body);
        theirs.seq = got.seq;
        // I see both steps (my grid's open event) as they are.
        for _ in 0..2 {
            let c = next_within(&mut s_me, 2).await;
            assert!(matches!(c.body, ChangeBody::EventActed { event, .. } if event == e0.id), "{c:?}");
            mine.situation.apply_change(&c.body);
            mine.seq = c.seq;
        }

        // My colleague moves to the far worker's grid: out of my view (withdrawn), into theirs (without a phone).
        let mut moved = pingan_sync::demo::joining(&colleague);
        moved.grids = far.grids.clone();
        moved.position = far.position;
        send(&server, &admin, CommandBody::WorkerJoin { worker: moved }).await;
        let c = next_within(&mut s_me, 3).await;
        assert_eq!(c.body, ChangeBody::Withdrawn { items: vec![pingan_core::scope::Item::Worker(colleague.id)] });
        mine.situation.apply_change(&c.body);
        mine.seq = c.seq;
        assert!(mine.situation.worker(colleague.id).is_none());
        let c = next_within(&mut s_far, 4).await;
        match &c.body {
            ChangeBody::WorkerJoined { worker } => assert!(worker.id == colleague.id && worker.phone.is_empty()),
            other => panic!("expected the colleague, without a phone: {other:?}"),
        }
        theirs.situation.apply_change(&c.body);
        theirs.seq = c.seq;

        // Changes out of my view (positions elsewhere) while I am away; then one in it. Resuming from my last id
        // brings exactly the one, once.
        drop(s_me);
        for _ in 0..3 {
            let cmd = CommandBody::WorkerPosition {
                worker: far.id,
                position: far.position,
                status: WorkerStatus::Patrolling,
            };
            send(&server, &admin, cmd).await;
        }
        send(&server, &admin, CommandBody::Act { event: e0.id, action: EventAction::StartDisposal }).await;
        let mut s_me = server.api(&gw_me).stream(mine.seq).await.unwrap();
        let c = next_within(&mut s_me, 5).await;
        assert!(matches!(c.body, ChangeBody::EventActed { event, .. } if event == e0.id), "{c:?}");
        assert_eq!(c.follows(), mine.seq, "it says which of mine it follows");
        mine.situation.apply_change(&c.body);
        mine.seq = c.seq;
        let resumed = server.api(&gw_me).stream(mine.seq).await.unwrap();
        let mut resumed = resumed;
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(800), resumed.next()).await;
        assert!(nothing.is_err(), "nothing more: each change once ({nothing:?})");

        // Both copies agree with a fresh scoped snapshot.
        for (token, copy) in [(&gw_me, &mine), (&gw_far, &theirs)] {
            let snap = server.api(token).snapshot().await.unwrap();
            assert_eq!(ids(&copy.situation), ids(&snap.situation));
        }

        // I am registered to the far worker's grids: my view itself changes, so I am told to take a fresh snapshot
        // and my stream ends there.
        let mut moved = pingan_sync::demo::joining(&me);
        moved.grids = far.grids.clone();
        moved.position = far.position;
        send(&server, &admin, CommandBody::WorkerJoin { worker: moved }).await;
        let c = next_within(&mut resumed, 4).await;
        assert_eq!(c.body, ChangeBody::Resync);
        let end = tokio::time::timeout(std::time::Duration::from_secs(20), resumed.next()).await;
        assert!(matches!(end, Ok(Ok(None))), "the stream ends after a resync: {end:?}");
        let fresh = server.api(&gw_me).snapshot().await.unwrap().situation;
        assert!(fresh.event(e0.id).is_none(), "e0 lies in my old grid and is not mine");
        assert!(fresh.worker(colleague.id).is_some(), "my new grids' colleague is in my fresh snapshot");
    }
}

/// The next change on `s` that says something: an empty withdrawal only moves the cursor past changes left out (it
/// comes where catching up ends on one of them), so it is passed over.
async fn next_within(s: &mut pingan_store::api::ChangeStream, which: u32) -> pingan_core::sync::Change {
    loop {
        let c = tokio::time::timeout(std::time::Duration::from_secs(20), s.next())
            .await
            .unwrap_or_else(|_| panic!("change #{which}: none within 20 s"))
            .expect("the stream")
            .expect("not closed");
        if !matches!(&c.body, ChangeBody::Withdrawn { items } if items.is_empty()) {
            return c;
        }
    }
}
