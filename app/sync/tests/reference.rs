//! The server as the source of truth for the district, the roster and the history: real `pingan-sync` processes on
//! loopback (SQLite, and PostgreSQL when `PINGAN_TEST_POSTGRES` is set), the admin commands run as the CLI, the
//! package fetched over HTTP. The real-data half reads `../shared/geodata` in place: when it is missing the test fails
//! under `CI=true` and is skipped (with `SKIPPED:` on stderr) elsewhere.

mod common;

use common::*;
use pingan_core::import::{Crs, ImportAs};
use pingan_core::sync::{CommandBody, Outcome};
use pingan_core::{AddressCode, District, LonLat, WorkerId, WorkerStatus, validate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn skip_or_fail(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("cannot run under CI: {what}");
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED: {what}\n").as_bytes());
}

fn geodata(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geodata").join(name);
    if path.is_file() {
        Some(path)
    } else {
        skip_or_fail(&format!("{} is missing; the real-data checks need ../shared/geodata", path.display()));
        None
    }
}

/// `pingan-sync --db DB ARGS…`.
fn admin(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pingan-sync")).args(["--db", db]).args(args).output().expect("run pingan-sync")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "the import failed: {}", text(&o));
    text(&o)
}

/// Refused with exit code 2; returns what it said.
fn refused(o: Output) -> String {
    assert_eq!(o.status.code(), Some(2), "expected a refusal (exit code 2): {}", text(&o));
    text(&o)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

async fn get(url: &str, token: &str, etag: Option<&str>) -> reqwest::Response {
    let mut r = client().get(url).bearer_auth(token);
    if let Some(e) = etag {
        r = r.header("If-None-Match", e);
    }
    r.send().await.expect("GET")
}

async fn version(server: &Server, token: &str) -> serde_json::Value {
    let r = get(&format!("{}/v1/district/version", server.url), token, None).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Wait until the running server serves reference version `v` (it polls every 2 s).
async fn served(server: &Server, token: &str, v: i64) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let r = get(&format!("{}/v1/district/version", server.url), token, None).await;
        if r.status() == 200 {
            let j: serde_json::Value = r.json().await.unwrap();
            if j["version"] == v {
                return j;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(15), "the server did not pick up version {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn package(server: &Server, token: &str) -> (pingan_package::Package, String, Duration) {
    let t = Instant::now();
    let r = get(&format!("{}/v1/district", server.url), token, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.pingan.package");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let len: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let bytes = r.bytes().await.unwrap();
    let took = t.elapsed();
    assert_eq!(bytes.len(), len);
    assert_eq!(pingan_package::etag(&bytes), etag, "the ETag is the package's");
    (pingan_package::decode(&bytes).expect("a package"), etag, took)
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// The district the CLI should build from the towns file, built here the way the desktop does.
fn expected_towns(path: &Path) -> District {
    let bytes = std::fs::read(path).unwrap();
    let imported = pingan_core::import::parse(&bytes, Crs::Wgs84, ImportAs::Auto).unwrap();
    pingan_core::scenario::district_from_import("余杭临平", &imported).unwrap().district
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_towns_roster_and_history_are_served_and_swapped() {
    let Some(towns) = geodata("yuhang_linping_towns_rooma1989_wgs84.geojson") else { return };
    let Some(buildings) = geodata("hangzhou_binjiang_huoju_buildings.geojson") else { return };
    let expected = expected_towns(&towns);
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_bare(db, &[]);
        let admin_token = server.user("admin", "admin");
        let op = server.user("op", "operator");

        // No district yet: 404 for the package, 503 for commands, with the way out in the message.
        let r = get(&format!("{}/v1/district", server.url), &op, None).await;
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("pingan-sync district import FILE"), "{body}");
        let sent = client()
            .post(format!("{}/v1/commands", server.url))
            .bearer_auth(&admin_token)
            .json(&serde_json::json!({ "commands": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 503);

        // A roster before any district: refused.
        let roster_early = write(dir.path(), "early.csv", "name,grid,phone,kind\n张三,x,,专职\n");
        assert!(refused(admin(db, &["workers", "import", &roster_early])).contains("no district imported yet"));

        // A GeoJSON with one bad feature: listed by index, nothing stored.
        let mut fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&towns).unwrap()).unwrap();
        fc["features"].as_array_mut().unwrap().push(serde_json::json!({
            "type": "Feature", "properties": { "name": "坏" },
            "geometry": { "type": "Polygon", "coordinates": [[[120.0, 30.3], [120.01, 30.3]]] }
        }));
        let bad_geojson = write(dir.path(), "bad.geojson", &fc.to_string());
        let said = refused(admin(db, &["district", "import", &bad_geojson, "--name", "余杭临平"]));
        assert!(said.contains("feature 20:"), "{said}");
        assert!(said.contains("nothing was stored"), "{said}");
        assert_eq!(get(&format!("{}/v1/district/version", server.url), &op, None).await.status(), 404);

        // The 20 real towns.
        let t = Instant::now();
        let out =
            ok(admin(db, &["district", "import", towns.to_str().unwrap(), "--crs", "wgs84", "--name", "余杭临平"]));
        eprintln!("import of the 20 towns: {} ms (process included): {out}", t.elapsed().as_millis());
        let v1 = served(&server, &op, 1).await;
        let (p1, etag1, took) = package(&server, &op).await;
        eprintln!("package v1: {} bytes, downloaded in {} ms", v1["bytes"], took.as_millis());
        assert_eq!(p1.district, expected, "the package holds the district as imported");
        assert_eq!((p1.meta.version, p1.workers.len(), p1.history.len()), (1, 0, 0));
        assert_eq!(v1["etag"], etag1.as_str());
        assert_eq!(v1["name"], expected.name.as_str());
        let r = get(&format!("{}/v1/district", server.url), &op, Some(&etag1)).await;
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag1);
        assert!(r.bytes().await.unwrap().is_empty());

        // A roster: a grid by name, by path, by code, by id.
        let d = &expected;
        let (g0, g1, g2) = (&d.grids[0], &d.grids[1], &d.grids[2]);
        let path1 =
            format!("{}/{}/{}", d.towns[g1.town.index()].name, d.communities[g1.community.index()].name, g1.name);
        let roster = format!(
            "name,grid,phone,kind\n张三,{},0571-8888 1234,专职\n\"李, 四\",{path1},,part-time\n王五,{},13800000000,兼职\n\
             赵六,#2,,full-time\n",
            g0.name,
            g2.code.segmented()
        );
        let roster = write(dir.path(), "roster.csv", &roster);
        ok(admin(db, &["workers", "import", &roster]));
        served(&server, &op, 2).await;
        let (p2, etag2, _) = package(&server, &op).await;
        assert_ne!(etag2, etag1);
        assert_eq!(get(&format!("{}/v1/district", server.url), &op, Some(&etag1)).await.status(), 200);
        let names: Vec<(&str, u32, &str)> =
            p2.workers.iter().map(|w| (w.name.as_str(), w.grids[0].0, w.phone.as_str())).collect();
        assert_eq!(
            names,
            [("张三", 0, "0571-8888 1234"), ("李, 四", 1, ""), ("王五", 2, "13800000000"), ("赵六", 2, "")]
        );
        assert!(p2.workers.iter().all(|w| w.status == WorkerStatus::OffDuty && validate::check_worker(w, d).is_ok()));
        let snap = server.api(&op).snapshot().await.unwrap();
        assert_eq!(snap.situation.workers, p2.workers, "the roster joined through the change log");

        // History: a grid, a position, an address code; China time and RFC 3339.
        let inside = validate::point_in_grid(&d.grids[3]);
        let history = format!(
            "at,category,severity,grid,lon,lat,address\n2025-03-01 08:30,火警,重大,{},,,\n\
             2025-03-02T10:00:00+08:00,Theft,General,,{},{},\n2025-03-03 09:15:00,纠纷,一般,,,,{}\n",
            g0.name, inside.lon, inside.lat, g2.code
        );
        let history = write(dir.path(), "history.csv", &history);
        ok(admin(db, &["events", "import", &history]));
        let jsonl = write(
            dir.path(),
            "history.jsonl",
            &format!(
                "{{\"at\":\"2025-04-01 12:00\",\"category\":\"WageArrears\",\"severity\":\"II\",\"grid\":\"#{}\"}}\n",
                4
            ),
        );
        ok(admin(db, &["events", "import", &jsonl]));
        served(&server, &op, 4).await;
        let (p4, _, _) = package(&server, &op).await;
        let got: Vec<(i64, u32)> = p4.history.iter().map(|r| (r.at, r.grid.0)).collect();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert_eq!(
            got,
            [
                (at("2025-03-01T08:30:00+08:00"), 0),
                (at("2025-03-02T10:00:00+08:00"), 3),
                (at("2025-03-03T09:15:00+08:00"), 2),
                (at("2025-04-01T12:00:00+08:00"), 4)
            ]
        );

        // Bad files: each refused by line, nothing stored.
        let cases = [
            ("workers", "cols.csv", "name,grid,mobile,kind\n张三,#0,,专职\n".to_string(), "unknown column \"mobile\""),
            (
                "workers",
                "grid.csv",
                "name,grid,phone,kind\n孙七,#1,,专职\n周八,没有这个网格,,专职\n".into(),
                "line 3: there is no grid",
            ),
            (
                "workers",
                "dup.csv",
                format!("name,grid,phone,kind\n张三,{},,专职\n", g0.name),
                "line 2: 张三 already serves",
            ),
            (
                "workers",
                "dup2.csv",
                "name,grid,phone,kind\n吴九,#1,,专职\n吴九,#1,,兼职\n".into(),
                "line 3: 吴九 is already on line 2",
            ),
            ("workers", "phone.csv", "name,grid,phone,kind\n郑十,#1,call me,专职\n".into(), "line 2: the phone"),
            ("workers", "kind.csv", "name,grid,phone,kind\n郑十,#1,,boss\n".into(), "line 2: unknown kind"),
            ("events", "time.csv", "at,category,severity,grid\nyesterday,火警,重大,#0\n".into(), "line 2: bad time"),
            (
                "events",
                "future.csv",
                "at,category,severity,grid\n2999-01-01 00:00,火警,重大,#0\n".into(),
                "line 2: the time",
            ),
            (
                "events",
                "cat.csv",
                "at,category,severity,grid\n2025-01-01 00:00,火星,重大,#0\n".into(),
                "line 2: unknown category",
            ),
            (
                "events",
                "far.csv",
                "at,category,severity,lon,lat\n2025-01-01 00:00,火警,重大,116.4,39.9\n".into(),
                "line 2: the position",
            ),
        ];
        for (what, name, body, says) in cases {
            let f = write(dir.path(), name, &body);
            let said = refused(admin(db, &[what, "import", &f]));
            assert!(said.contains(says), "{name}: expected {says:?} in {said}");
        }
        assert_eq!(version(&server, &op).await["version"], 4, "no refused file changed the version");

        // Positions and reports are checked against the stored district.
        let far_grid = d
            .grids
            .iter()
            .max_by(|a, b| {
                let da = a.label_at.distance_m(g0.label_at);
                da.total_cmp(&b.label_at.distance_m(g0.label_at))
            })
            .unwrap();
        let near = LonLat { lon: p2.workers[0].position.lon + 0.002, lat: p2.workers[0].position.lat };
        let r = server
            .api(&admin_token)
            .send(&[
                cmd(CommandBody::WorkerPosition {
                    worker: WorkerId(0),
                    position: validate::point_in_grid(far_grid),
                    status: WorkerStatus::Patrolling,
                }),
                cmd(CommandBody::WorkerPosition {
                    worker: WorkerId(0),
                    position: near,
                    status: WorkerStatus::Patrolling,
                }),
            ])
            .await
            .unwrap();
        assert!(
            matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("outside every grid")),
            "{:?}",
            r[0].outcome
        );
        assert!(matches!(r[1].outcome, Outcome::Applied { .. }), "{:?}", r[1].outcome);
        let (sit, _) = pingan_demo::Simulator::start(
            d,
            5,
            pingan_demo::SimConfig { events_per_hour: 10.0, history_hours: 6.0, ..Default::default() },
            chrono::Utc::now(),
        );
        let good = sit.events.iter().find(|e| validate::check_event(e, d).is_ok()).expect("a simulated event").clone();
        let mut other_county = good.clone();
        other_county.address = AddressCode::county(330106).unwrap().child(1).unwrap();
        let r = server
            .api(&admin_token)
            .send(&[
                cmd(CommandBody::Report { event: Box::new(other_county) }),
                cmd(CommandBody::Report { event: Box::new(good) }),
            ])
            .await
            .unwrap();
        assert!(
            matches!(&r[0].outcome, Outcome::Rejected { reason } if reason.contains("is not in")),
            "{:?}",
            r[0].outcome
        );
        assert!(matches!(r[1].outcome, Outcome::Applied { .. }), "{:?}", r[1].outcome);

        // Another district (the Binjiang buildings): the stored workers do not fit it, so it is refused without
        // --force; with it, the running server swaps to it and checks commands against it.
        let said = refused(admin(db, &["district", "import", buildings.to_str().unwrap(), "--name", "火炬小区"]));
        assert!(said.contains("does not fit what is stored"), "{said}");
        assert_eq!(version(&server, &op).await["version"], 4);
        ok(admin(db, &["district", "import", buildings.to_str().unwrap(), "--name", "火炬小区", "--force"]));
        served(&server, &op, 5).await;
        let (p5, _, _) = package(&server, &op).await;
        assert_eq!(p5.district.buildings.len(), 34);
        assert!(p5.history.len() < 4, "history that does not fit the new district was dropped with --force");
        assert!(p5.workers.is_empty(), "workers that do not fit are not in the package");
        let r = server
            .api(&admin_token)
            .send(&[cmd(CommandBody::WorkerPosition {
                worker: WorkerId(0),
                position: near,
                status: WorkerStatus::Patrolling,
            })])
            .await
            .unwrap();
        assert!(
            matches!(&r[0].outcome, Outcome::Rejected { .. }),
            "checked against the new district: {:?}",
            r[0].outcome
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_district_is_one_data_set_with_its_workers_and_history() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let op = server.user("op", "operator");
        let (p, _, _) = package(&server, &op).await;
        // The package is read like a snapshot: a token is needed, and a sensor gateway (which cannot read) is refused.
        for path in ["/v1/district", "/v1/district/version"] {
            let url = format!("{}{path}", server.url);
            assert_eq!(client().get(&url).send().await.unwrap().status(), 401, "{path} without a token");
            assert_eq!(get(&url, "not-a-token", None).await.status(), 401, "{path} with a bad token");
        }
        let gateway = server.user("gateway", "sensor_gateway");
        for path in ["/v1/district", "/v1/district/version"] {
            assert_eq!(
                get(&format!("{}{path}", server.url), &gateway, None).await.status(),
                403,
                "{path} as a gateway"
            );
        }
        let district = pingan_sync::district(2026, true);
        assert_eq!(p.district, district);
        assert!(!p.workers.is_empty() && !p.history.is_empty());
        let snap = server.api(&op).snapshot().await.unwrap();
        assert_eq!(snap.situation.workers.len(), p.workers.len());
        let mut s = snap.situation.clone();
        assert!(validate::retain_fitting(&mut s, &district).is_empty(), "the demo's workers fit the district");
        // A restart installs nothing new.
        let v = version(&server, &op).await["version"].clone();
        drop(server);
        let server = Server::start(&target.db, &[]);
        assert_eq!(version(&server, &op).await["version"], v);
    }
}

/// The simulator's workers and events pass the stricter position rules for hours of simulated time.
#[test]
fn simulated_hours_pass_validation() {
    use pingan_demo::{SimChange, SimConfig, Simulator};
    let district = pingan_sync::district(2026, true);
    let start = chrono::Utc::now() - chrono::Duration::hours(8);
    let config = SimConfig { events_per_hour: 60.0, ..SimConfig::default() };
    let (mut situation, mut sim) = Simulator::start(&district, 2026, config, start);
    let mut copy = situation.clone();
    assert!(validate::retain_fitting(&mut copy, &district).is_empty());
    let (mut events, mut moves) = (0, 0);
    for step in 1..=8 * 60 {
        let now = start + chrono::Duration::minutes(step);
        for ch in sim.step(&district, &mut situation, now) {
            if let SimChange::Reported(id) = ch {
                let e = situation.event(id).unwrap();
                validate::check_event(e, &district).unwrap_or_else(|err| panic!("{err}"));
                events += 1;
            }
        }
        for w in &situation.workers {
            validate::check_worker_position("sim", &w.grids, w.position, &district).unwrap_or_else(|e| panic!("{e}"));
            moves += 1;
        }
    }
    assert!(events > 100 && moves > 0, "{events} events");
}

/// The position rules' distances: inside a grid, a kilometre beyond its edge, and three kilometres beyond.
#[test]
fn worker_positions_are_measured_from_their_grids_outline() {
    let district = pingan_sync::district(2026, true);
    let g = &district.grids[0];
    let inside = validate::point_in_grid(g);
    assert_eq!(validate::distance_within_m(&g.outline, inside, 1.0), Some(0.0));
    // Due east from the easternmost vertex: the distance to the outline is the distance to that vertex or less.
    let east = g.outline.exterior.iter().copied().max_by(|a, b| a.lon.total_cmp(&b.lon)).unwrap();
    let deg_per_km = 1.0 / (111.32 * east.lat.to_radians().cos());
    let at = |km: f64| LonLat { lon: east.lon + km * deg_per_km, lat: east.lat };
    let d1 = validate::distance_within_m(&g.outline, at(1.0), 5_000.0).unwrap();
    assert!((990.0..=1_001.0).contains(&d1), "{d1}");
    assert!(validate::check_worker_position("w", &[g.id], at(1.0), &district).is_ok());
    assert_eq!(validate::distance_within_m(&g.outline, at(3.0), validate::MAX_OUTSIDE_GRID_M), None);
    let far = validate::check_worker_position("w", &[g.id], at(3.0), &district).unwrap_err();
    assert!(far.to_string().contains("outside every grid"), "{far}");
    // Another grid the worker serves may hold the position.
    let other = district.grids.iter().find(|o| o.outline.contains(at(3.0))).map(|o| o.id);
    if let Some(o) = other {
        assert!(validate::check_worker_position("w", &[g.id, o], at(3.0), &district).is_ok());
    }
}

/// `--demo` simulates the demo district only: when another district is imported into the running server, the
/// simulator stops (it would report events into a district that is not its own), and `/v1/info` says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_demo_stops_when_another_district_is_imported() {
    let target = targets().await.remove(0);
    let db = target.db.as_str();
    let server = Server::start(db, &["--demo"]);
    let op = server.user("op", "operator");
    let info = || async {
        let r = get(&format!("{}/v1/info", server.url), &op, None).await;
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()
    };
    let start = Instant::now();
    while info().await["demo"] != "running" {
        assert!(start.elapsed() < Duration::from_secs(60), "the demo did not start: {}", info().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v = version(&server, &op).await["version"].as_i64().unwrap();
    // Two buildings in Hangzhou, far from the demo district's workers: --force stores it all the same.
    let square = |lon: f64, lat: f64| {
        serde_json::json!({ "type": "Feature", "properties": { "name": format!("{lon}"), "height": 30 },
            "geometry": { "type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.0005, lat], [lon + 0.0005, lat + 0.0004],
                [lon, lat + 0.0004], [lon, lat]]] } })
    };
    let fc = serde_json::json!({ "type": "FeatureCollection",
        "features": [square(120.20, 30.20), square(120.201, 30.20)] });
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "two.geojson", &fc.to_string());
    ok(admin(db, &["district", "import", &file, "--name", "两幢楼", "--force"]));
    served(&server, &op, v + 1).await;
    let start = Instant::now();
    loop {
        let demo = info().await["demo"].as_str().unwrap_or_default().to_string();
        if demo.starts_with("stopped: the district changed") {
            assert!(demo.contains("两幢楼"), "{demo}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the demo still runs after the swap: {demo}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
