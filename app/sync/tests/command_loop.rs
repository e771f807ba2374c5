//! The command loop on a real `pingan-sync` process: reports routed by level at intake, operators acting by their
//! room's unit, dispatch to a chosen worker, automatic SLA escalation by the server's sweeper (once per breach, also
//! with two instances on one PostgreSQL database), re-routing, and the refusals with their reasons. Each test runs on
//! SQLite, and on PostgreSQL when `PINGAN_TEST_POSTGRES` is set (CI sets it).

mod common;

use common::*;
use pingan_core::routing::Level;
use pingan_core::sync::{ChangeBody, CommandBody, Outcome};
use pingan_core::validate::{MAX_NOTE, MAX_REASON};
use pingan_core::{Event, EventAction, EventCategory, EventId, EventState, Severity, UnitRef, WorkerId};
use std::process::Command;
use std::time::Duration;

/// A routing file: FireAlarm to the town, Homicide and Critical to the district, the rest to the community; hours to
/// close by level (every severity alike), no grace.
fn routing_file(dir: &std::path::Path, community_h: f64, town_h: f64) -> String {
    let level = |name: &str, h: f64| {
        format!("[deadline_hours.{name}]\nGeneral = {h}\nSignificant = {h}\nMajor = {h}\nCritical = {h}\n\n")
    };
    let text = format!(
        "default_level = \"community\"\ngrace_minutes = 0\nwarn_share = 0.25\n\n{}{}{}\
         [[rule]]\nmin_severity = \"Critical\"\nlevel = \"district\"\n\n\
         [[rule]]\ncategories = [\"Homicide\"]\nlevel = \"district\"\n\n\
         [[rule]]\ncategories = [\"FireAlarm\"]\nlevel = \"town\"\n",
        level("community", community_h),
        level("town", town_h),
        level("district", 120.0)
    );
    let path = dir.join("routing.toml");
    std::fs::write(&path, text).expect("write the routing file");
    path.display().to_string()
}

async fn act(server: &Server, token: &str, event: EventId, action: EventAction) -> Outcome {
    send(server, token, CommandBody::Act { event, action }).await
}

#[track_caller]
fn applied(o: &Outcome) -> EventId {
    match o {
        Outcome::Applied { event: Some(e), .. } => *e,
        o => panic!("expected applied, got {o:?}"),
    }
}

#[track_caller]
fn refused(o: &Outcome, needles: &[&str]) -> String {
    match o {
        Outcome::Rejected { reason } => {
            for n in needles {
                assert!(reason.contains(n), "the reason {reason:?} does not say {n:?}");
            }
            reason.clone()
        }
        o => panic!("expected a refusal saying {needles:?}, got {o:?}"),
    }
}

async fn get(server: &Server, token: &str, id: EventId) -> Event {
    server.api(token).event(id).await.expect("event")
}

/// Every change of the log.
async fn log(server: &Server, token: &str) -> Vec<ChangeBody> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = server.api(token).changes(after, 1000).await.expect("changes");
        if page.changes.is_empty() {
            return out;
        }
        after = page.changes.last().map_or(after, |c| c.seq);
        out.extend(page.changes.into_iter().map(|c| c.body));
    }
}

/// The escalations in the log, as (event, by, reason).
fn escalations(log: &[ChangeBody]) -> Vec<(EventId, String, String)> {
    log.iter()
        .filter_map(|c| match c {
            ChangeBody::EventActed { event, change, by } => match &change.action {
                EventAction::Escalate { reason } => Some((*event, by.clone(), reason.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A new report of the demo's `i`-th event as `category` and `severity` (the server numbers, routes and times it).
fn report(demo: &pingan_core::Situation, i: usize, category: EventCategory, severity: Severity) -> CommandBody {
    let mut e = demo.events[i].clone();
    e.category = category;
    e.severity = severity;
    e.number = String::new();
    e.reported_at = chrono::Utc::now();
    e.deadline = e.reported_at;
    e.level = Level::Community;
    e.history.clear();
    CommandBody::Report { event: Box::new(e) }
}

/// Seed the demo's workers only; returns the admin token and the demo situation.
async fn workers_only(server: &Server) -> (String, pingan_core::Situation) {
    let admin = server.user("admin", "admin");
    let demo = demo_situation();
    for chunk in seed_commands(&demo.workers, &[]).chunks(50) {
        let r = server.api(&admin).send(chunk).await.expect("seed");
        assert!(r.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })), "seed refused: {r:?}");
    }
    (admin, demo)
}

/// intake → routed to its town → a town operator dispatches to the worker they chose → overdue → escalated to the
/// district by the sweeper (once, as `sla`, with its reason) → the district's operator sees it through and closes it
/// with a note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_routes_to_the_town_which_dispatches_then_the_sweeper_escalates_and_the_district_closes() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let dir = tempfile::tempdir().unwrap();
        // Towns have 9 s to close; the sweeper looks five times a second.
        let routing = routing_file(dir.path(), 48.0, 0.0025);
        let server = Server::start(&target.db, &["--routing", &routing, "--sla-every", "0.2"]);
        let (admin, demo) = workers_only(&server).await;
        let district = pingan_sync::district(2026, true);
        let e0 = &demo.events[0];
        let town = district.town(e0.town);
        let other_town = district.towns.iter().find(|t| t.id != e0.town).expect("a second town");
        let community = district.community(e0.community);
        let town_op = user_in(&target.db, "town-op", "operator", &town.code.to_string());
        let other_town_op = user_in(&target.db, "other-town-op", "operator", &other_town.name);
        let community_op = user_in(&target.db, "community-op", "operator", &community.code.to_string());
        let district_op = server.user("district-op", "operator");

        // /v1/info: the room and the routing in use.
        let info = server.api(&town_op).info().await.unwrap();
        assert_eq!(info["unit"]["level"], "town", "{info}");
        assert_eq!(info["unit"]["code"], town.code.to_string());
        assert_eq!(info["unit"]["name"], town.name.as_str());
        assert_eq!(serde_json::from_value::<UnitRef>(info["unit"]["unit"].clone()).unwrap(), UnitRef::Town(town.id));
        assert_eq!(info["routing"]["deadline_hours"]["town"]["General"], 0.0025);
        assert_eq!(info["routing"]["grace_minutes"], 0);
        let info = server.api(&district_op).info().await.unwrap();
        assert_eq!(info["unit"]["level"], "district");
        assert_eq!(info["unit"]["unit"], "District");

        // Intake: a fire alarm phoned in to the town's room goes to the town, its deadline set by the server.
        let id = applied(&send(&server, &town_op, report(&demo, 0, EventCategory::FireAlarm, Severity::General)).await);
        let e = get(&server, &town_op, id).await;
        assert_eq!((e.level, e.owner()), (Level::Town, UnitRef::Town(town.id)));
        assert_eq!((e.deadline - e.reported_at).num_milliseconds(), 9000, "the town's deadline, from the server");
        assert!(e.number.starts_with("YH-"), "the server numbers it: {}", e.number);

        // Not theirs: another town's room, the community's room, the district's room (nothing escalated yet).
        refused(&act(&server, &other_town_op, id, EventAction::Accept).await, &["belongs to the town level"]);
        refused(&act(&server, &community_op, id, EventAction::Accept).await, &["belongs to the town level"]);
        refused(&act(&server, &district_op, id, EventAction::Accept).await, &["own unit's events"]);

        // The town accepts and dispatches to the worker it chose: the last of the grid's workers, not the first.
        applied(&act(&server, &town_op, id, EventAction::Accept).await);
        let chosen =
            demo.workers.iter().filter(|w| w.grids.contains(&e0.grid)).map(|w| w.id).next_back().expect("worker");
        applied(&act(&server, &town_op, id, EventAction::Assign { worker: chosen }).await);
        let worker = server.user_bound("w", chosen.0);
        applied(&act(&server, &worker, id, EventAction::StartDisposal).await);
        let e = get(&server, &admin, id).await;
        assert_eq!((e.state, e.assignee), (EventState::InDisposal, Some(chosen)));

        // Overdue: the sweeper escalates it to the district, once, as `sla`, with its reason.
        wait_until(60, "the escalation to the district", || {
            futures_executor_block(server.api(&admin).event(id)).is_ok_and(|e| e.level == Level::District)
        });
        let e = get(&server, &admin, id).await;
        assert_eq!((e.state, e.owner()), (EventState::Escalated, UnitRef::District));
        assert!(e.escalated());
        let step = e.history.last().unwrap();
        assert_eq!(step.level, Some(Level::District));
        assert!(step.deadline.is_some_and(|d| d > chrono::Utc::now() + chrono::Duration::hours(100)));
        let ups = escalations(&log(&server, &admin).await);
        assert_eq!(ups.len(), 1, "{ups:?}");
        assert_eq!((ups[0].0, ups[0].1.as_str()), (id, "sla"));
        assert!(ups[0].2.contains("overdue: escalated to district"), "{}", ups[0].2);

        // Now it is the district's: the town may not finish it, the district may.
        refused(&act(&server, &town_op, id, EventAction::Assign { worker: chosen }).await, &["district level"]);
        applied(&act(&server, &district_op, id, EventAction::Assign { worker: chosen }).await);
        applied(&act(&server, &worker, id, EventAction::StartDisposal).await);
        applied(&act(&server, &worker, id, EventAction::SubmitFeedback { note: "火情已排除".into() }).await);
        applied(
            &act(&server, &district_op, id, EventAction::Close { note: "核实办结，已回访".into(), outcome: None })
                .await,
        );
        let e = get(&server, &admin, id).await;
        assert_eq!(e.state, EventState::Closed);
        assert_eq!(
            e.history.last().unwrap().action,
            EventAction::Close { note: "核实办结，已回访".into(), outcome: None }
        );

        // Closed: more sweeps change nothing.
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(escalations(&log(&server, &admin).await).len(), 1);
    }
}

/// Re-routing: the district sends an item down to its community, which then handles it; a community may not send
/// it back up (only the sweeper or an escalation moves it up); a re-route needs a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_reroutes_down_and_a_community_may_not_reroute_up() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (_admin, demo) = workers_only(&server).await;
        let district = pingan_sync::district(2026, true);
        let e0 = &demo.events[1];
        let community = district.community(e0.community);
        let community_op = user_in(&target.db, "community-op", "operator", &community.code.to_string());
        let town_op = user_in(&target.db, "town-op", "supervisor", &district.town(e0.town).code.to_string());
        let district_op = server.user("district-op", "operator");

        // A homicide goes to the district.
        let id =
            applied(&send(&server, &district_op, report(&demo, 1, EventCategory::Homicide, Severity::General)).await);
        assert_eq!(get(&server, &district_op, id).await.level, Level::District);
        refused(&act(&server, &community_op, id, EventAction::Accept).await, &["belongs to the district level"]);
        let down = |reason: &str| EventAction::Reroute { level: Level::Community, reason: reason.into() };
        refused(&act(&server, &district_op, id, down(" ")).await, &["the re-routing reason is empty"]);
        refused(&act(&server, &community_op, id, down("我们来办")).await, &["only a room at or above"]);
        applied(&act(&server, &district_op, id, down("经核实系邻里纠纷，交社区处置")).await);
        let e = get(&server, &district_op, id).await;
        assert_eq!(
            (e.level, e.owner(), e.state),
            (Level::Community, UnitRef::Community(community.id), EventState::Reported)
        );
        assert!(e.deadline > chrono::Utc::now() + chrono::Duration::hours(40), "the community's deadline, fresh");

        // The community handles it now, and may not send it up.
        applied(&act(&server, &community_op, id, EventAction::Accept).await);
        let up = EventAction::Reroute { level: Level::Town, reason: "请街道协调".into() };
        refused(
            &act(&server, &community_op, id, up.clone()).await,
            &["a community room cannot route to the town level"],
        );
        // The district's room no longer owns it.
        refused(
            &act(&server, &district_op, id, EventAction::Assign { worker: WorkerId(0) }).await,
            &["community level"],
        );
        // Its town's supervisor may take it up to the town (a room at or above its owner).
        applied(&act(&server, &town_op, id, up).await);
        assert_eq!(get(&server, &town_op, id).await.level, Level::Town);
        // Re-routing to where it is already is refused.
        refused(
            &act(&server, &town_op, id, EventAction::Reroute { level: Level::Town, reason: "再次".into() }).await,
            &["already at the town level"],
        );
    }
}

/// Role by level: a community's operator acts only on their community's items, a town's only on their town's; a
/// room reports only in its own area; texts over their limits are refused with a clear message and nothing is
/// stored; a user whose room is gone from the district is refused, not promoted to the district.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_act_on_their_own_units_items_and_limits_are_refused_with_a_clear_reason() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = workers_only(&server).await;
        let district = pingan_sync::district(2026, true);
        let e0 = &demo.events[2];
        let community = district.community(e0.community);
        let other_community = district.communities.iter().find(|c| c.id != e0.community).expect("two communities");
        let other_town = district.towns.iter().find(|t| t.id != e0.town).expect("two towns");
        let own = user_in(&target.db, "own", "operator", &community.code.to_string());
        let neighbour = user_in(&target.db, "neighbour", "operator", &other_community.code.to_string());
        let foreign_town = user_in(&target.db, "foreign-town", "supervisor", &other_town.code.to_string());

        // A dispute goes to its community.
        let id = applied(&send(&server, &own, report(&demo, 2, EventCategory::Dispute, Severity::General)).await);
        let e = get(&server, &admin, id).await;
        assert_eq!((e.level, e.owner()), (Level::Community, UnitRef::Community(community.id)));
        // Another community's operator, another town's supervisor: refused, saying whose it is.
        let r = refused(&act(&server, &neighbour, id, EventAction::Accept).await, &["belongs to the community level"]);
        assert!(r.contains(&format!("community #{}", community.id.0)) && r.contains("own unit's events"), "{r}");
        refused(&act(&server, &foreign_town, id, EventAction::Accept).await, &["belongs to the community level"]);
        // … nor may they report in someone else's area.
        refused(
            &send(&server, &neighbour, report(&demo, 2, EventCategory::Dispute, Severity::General)).await,
            &["a room reports in its own area"],
        );

        // The community handles it; a note over the limit is refused and nothing is stored.
        applied(&act(&server, &own, id, EventAction::Accept).await);
        applied(&act(&server, &own, id, EventAction::Assign { worker: pick(&demo, e0) }).await);
        applied(&act(&server, &admin, id, EventAction::StartDisposal).await);
        applied(&act(&server, &admin, id, EventAction::SubmitFeedback { note: "已调解".into() }).await);
        let head = server.api(&admin).changes(0, 1).await.unwrap().head;
        let before = get(&server, &admin, id).await;
        let long = "字".repeat(MAX_NOTE + 1);
        refused(
            &act(&server, &own, id, EventAction::Close { note: long.clone(), outcome: None }).await,
            &["the closing note is 2001 characters long; at most 2000"],
        );
        refused(&act(&server, &own, id, EventAction::Rework { note: long }).await, &["the rework note is 2001"]);
        // An escalation needs a reason, within its limit.
        refused(
            &act(&server, &own, id, EventAction::Escalate { reason: "  ".into() }).await,
            &["the escalation reason is empty"],
        );
        refused(
            &act(&server, &own, id, EventAction::Escalate { reason: "x".repeat(MAX_REASON + 1) }).await,
            &["the escalation reason is 1001 characters long; at most 1000"],
        );
        assert_eq!(server.api(&admin).changes(0, 1).await.unwrap().head, head, "nothing stored");
        assert_eq!(get(&server, &admin, id).await, before);
        // With a reason, the community escalates it to its town.
        applied(&act(&server, &own, id, EventAction::Escalate { reason: "调解不成，请街道协调".into() }).await);
        let e = get(&server, &admin, id).await;
        assert_eq!((e.level, e.owner()), (Level::Town, UnitRef::Town(e0.town)));
        refused(&act(&server, &own, id, EventAction::Assign { worker: pick(&demo, e0) }).await, &["town level"]);

        // A user whose room is not in the district held now is refused with the reason, not promoted.
        let gone = user_in(&target.db, "gone", "operator", &community.code.to_string());
        let db = pingan_sync::db::Db::open(&target.db).await.unwrap();
        sqlx::query("UPDATE users SET unit = $1 WHERE name = 'gone'")
            .bind("999999999999999999999999999")
            .execute(&db.pool)
            .await
            .unwrap();
        refused(&act(&server, &gone, id, EventAction::Accept).await, &["is not in the district this server holds now"]);
        let info = server.api(&gone).info().await.unwrap();
        assert!(info["unit"]["level"].is_null() && info["unit"]["error"].as_str().is_some(), "{info}");
    }
}

/// `user add --unit`: a town or community by code or exact name; anything else is refused with exit code 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_resolves_the_unit_against_the_stored_district() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let add = |name: &str, role: &str, unit: &str| {
        Command::new(bin()).args(["--db", &db, "user", "add", name, "--role", role, "--unit", unit]).output().unwrap()
    };
    // No district yet.
    let out = add("a", "operator", "whatever");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no district imported yet"));
    let server = Server::start(&db, &[]);
    let district = pingan_sync::district(2026, true);
    let town = &district.towns[0];
    let community = &district.communities[0];
    for (name, query) in [("by-code", town.code.to_string()), ("by-name", community.name.clone())] {
        let out = add(name, "operator", &query);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = add("nowhere", "operator", "不存在的社区");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no town or community named \"不存在的社区\""));
    let out = add("bad-code", "operator", "330110");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an address code"));
    // A name two units share is ambiguous (when the demo district has one).
    let mut names: Vec<&str> = district.towns.iter().map(|t| t.name.as_str()).collect();
    names.extend(district.communities.iter().map(|c| c.name.as_str()));
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        let out = add("twice", "operator", w[0]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("give the address code of one of them"));
    }
    // Only rooms' users sit in a unit.
    let out = add("gw", "sensor_gateway", &town.code.to_string());
    assert!(!out.status.success());
    let list = Command::new(bin()).args(["--db", &db, "user", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains(&format!("by-code\toperator\tunit {}", town.code)), "{list}");
    assert!(list.contains(&format!("by-name\toperator\tunit {}", community.code)), "{list}");
    // A bad routing file stops the start with a clear message.
    let good = std::fs::read_to_string(routing_file(dir.path(), 1.0, 1.0)).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, good.replace("warn_share = 0.25", "warn_share = 2.0")).unwrap();
    let out = Command::new(bin())
        .args(["--db", &db, "--listen", "127.0.0.1:0", "--routing", &bad.display().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--routing") && err.contains("warn_share = 2: give a share between 0 and 1"), "{err}");
    drop(server);
}

/// One breach is escalated once: two instances on one PostgreSQL database sweep at the same time, and each event
/// goes community → town → district with exactly one escalation per level, all by `sla`. (On SQLite: one instance,
/// and a restart does not escalate again.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_breach_is_escalated_exactly_once_also_by_two_instances() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let dir = tempfile::tempdir().unwrap();
        // 1.8 s at the community and at the town; both instances look twenty times a second.
        let routing = routing_file(dir.path(), 0.0005, 0.0005);
        let args = ["--routing", routing.as_str(), "--sla-every", "0.05"];
        let mut a = Server::start(&target.db, &args);
        let b = (target.name == "postgres").then(|| Server::start(&target.db, &args));
        let (admin, demo) = workers_only(&a).await;
        let n = 12;
        let mut ids = Vec::new();
        for i in 0..n {
            let r = send(&a, &admin, report(&demo, i, EventCategory::Dispute, Severity::General)).await;
            ids.push(applied(&r));
        }
        wait_until(60, "every event escalated to the district", || {
            ids.iter()
                .all(|id| futures_executor_block(a.api(&admin).event(*id)).is_ok_and(|e| e.level == Level::District))
        });
        // A few more sweeps by both, and a restart of one.
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.restart();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ups = escalations(&log(&a, &admin).await);
        assert!(ups.iter().all(|(_, by, _)| by == "sla"), "{ups:?}");
        for id in &ids {
            let mine: Vec<_> = ups.iter().filter(|u| u.0 == *id).collect();
            assert_eq!(mine.len(), 2, "event {}: one escalation per level, got {mine:?}", id.0);
            assert!(mine[0].2.contains("escalated to town") && mine[1].2.contains("escalated to district"));
            let e = get(&a, &admin, *id).await;
            let levels: Vec<_> = e.history.iter().filter_map(|h| h.level).collect();
            assert_eq!(levels, [Level::Town, Level::District]);
        }
        assert_eq!(ups.len(), 2 * n);
        drop(b);
    }
}

/// A worker of `e`'s grid.
fn pick(demo: &pingan_core::Situation, e: &Event) -> WorkerId {
    demo.workers.iter().find(|w| w.grids.contains(&e.grid)).map(|w| w.id).expect("a worker of the grid")
}

fn futures_executor_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// Acknowledgement (issue 16): a serious report calls for attention until an operator of its area acknowledges it;
/// the log records who and when, once — a second acknowledgement, one outside the room's area, a grid worker's, and
/// one of an item that calls for nothing are refused with the reason; an escalation above the acknowledged level
/// calls again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_is_recorded_once_with_who_and_when() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let (admin, demo) = workers_only(&server).await;
        let district = pingan_sync::district(2026, true);
        let e0 = &demo.events[1];
        let other_town = district.towns.iter().find(|t| t.id != e0.town).unwrap();
        let op = server.user("wall-op", "operator");
        let far = user_in(&target.db, "far-op", "operator", &other_town.code.to_string());
        let worker = server.user_bound("w0", 0);
        let serious = applied(&send(&server, &admin, report(&demo, 1, EventCategory::Theft, Severity::Major)).await);
        let quiet = applied(&send(&server, &admin, report(&demo, 2, EventCategory::Dispute, Severity::General)).await);
        assert!(get(&server, &op, serious).await.unacknowledged());
        refused(&send(&server, &far, CommandBody::Acknowledge { event: serious }).await, &["outside this user's unit"]);
        let by_worker = server.api(&worker).send(&[cmd(CommandBody::Acknowledge { event: serious })]).await;
        assert!(
            matches!(&by_worker, Err(pingan_store::ApiError::Forbidden(why)) if why.contains("may not acknowledge")),
            "{by_worker:?}"
        );
        refused(&send(&server, &op, CommandBody::Acknowledge { event: quiet }).await, &["calls for no attention"]);
        refused(&send(&server, &op, CommandBody::Acknowledge { event: EventId(999_999) }).await, &["no event"]);
        let before = chrono::Utc::now() - chrono::Duration::seconds(5);
        applied(&send(&server, &op, CommandBody::Acknowledge { event: serious }).await);
        refused(
            &send(&server, &op, CommandBody::Acknowledge { event: serious }).await,
            &["already acknowledged by wall-op"],
        );
        let e = get(&server, &op, serious).await;
        let ack = e.acknowledged.clone().expect("recorded");
        assert_eq!(ack.by, "wall-op");
        assert!(ack.at >= before && ack.at <= chrono::Utc::now());
        assert!(!e.unacknowledged());
        let acks: Vec<_> = log(&server, &op)
            .await
            .into_iter()
            .filter_map(|c| match c {
                ChangeBody::Acknowledged { event, ack } => Some((event, ack.by)),
                _ => None,
            })
            .collect();
        assert_eq!(acks, vec![(serious, "wall-op".to_string())], "once in the log");
        // Escalated above the level it was acknowledged at: it calls again, and may be acknowledged again.
        applied(&act(&server, &admin, serious, EventAction::Accept).await);
        applied(&act(&server, &admin, serious, EventAction::Escalate { reason: "需区级协调警力".into() }).await);
        let e = get(&server, &op, serious).await;
        assert!(e.level > ack.level && e.unacknowledged());
        applied(&send(&server, &op, CommandBody::Acknowledge { event: serious }).await);
    }
}
