//! Sensors on a real server process (SQLite, and PostgreSQL when configured): the registry imported by CSV (bad lines
//! named, nothing stored), readings posted by a sensor gateway, a silent water meter's warning reported through the
//! intake with its readings as evidence, no second warning while the condition holds (also after a restart), and
//! bad readings refused with a 422 that stores nothing.

mod common;

use common::*;
use pingan_core::routing::Level;
use pingan_core::{EventCategory, EventSource, SensorKind};
use std::process::Command;
use std::time::Duration;

fn admin(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pingan-sync")).args(["--db", db]).args(args).output().expect("run pingan-sync")
}

async fn post(server: &Server, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .post(format!("{}/v1/readings", server.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

fn flow(sensor: u32, at: chrono::DateTime<chrono::Utc>, litres: f64) -> serde_json::Value {
    serde_json::json!({ "sensor": sensor, "at": at, "value": { "type": "flow", "litres": litres } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_water_meter_raises_one_warning_with_its_readings() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let mut server = Server::start(db, &[]);
        let district = pingan_sync::district(2026, true);
        let b = &district.buildings[300];
        let room = b.code.room(1, 3, 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // A bad registry is refused by line and stores nothing.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("id,kind,address\n1,water_meter,{room}\n2,toaster,{room}\n1,smoke_detector,{room}\n3,smoke_detector,123\n")).unwrap();
        let out = admin(db, &["sensors", "import", bad.to_str().unwrap()]);
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{said}");
        for want in ["line 3: unknown kind", "line 4: sensor 1 appears twice", "line 5:", "nothing was stored"] {
            assert!(said.contains(want), "{want}: {said}");
        }
        let good = dir.path().join("sensors.csv");
        std::fs::write(
            &good,
            format!("id,kind,address,elderly_alone\n1,water_meter,{room},1\n2,smoke_detector,{}\n", b.code),
        )
        .unwrap();
        let out = admin(db, &["sensors", "import", good.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let gateway = server.user("gateway", "sensor_gateway");
        let op = server.user("op", "supervisor");
        // Twenty hours without water after a morning's use: one warning, reported through the intake.
        let start = chrono::Utc::now() - chrono::Duration::hours(22);
        let readings: Vec<_> =
            (0..=20).map(|h| flow(1, start + chrono::Duration::hours(h), if h == 0 { 9.0 } else { 0.0 })).collect();
        let (status, answer) = post(&server, &gateway, serde_json::json!({ "readings": readings })).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["stored"], 21);
        assert_eq!(answer["warnings"].as_array().unwrap().len(), 1, "{answer}");
        let id = answer["warnings"][0]["event"].as_u64().expect("a warning event");
        let e = server.api(&op).event(pingan_core::EventId(id)).await.unwrap();
        assert_eq!(
            (e.category, e.source),
            (EventCategory::WaterMeterNoFlow, EventSource::Sensor(SensorKind::WaterMeter))
        );
        assert_eq!((e.building, e.address, e.level), (Some(b.id), room, Level::Community));
        let ev = e.evidence.expect("the readings as evidence");
        assert_eq!(ev.series.len(), 21);
        assert_eq!(ev.series[0].1, 9.0);
        // Still silent: no second warning, also after a restart (the rules' state is rebuilt from the readings).
        let (status, answer) = post(
            &server,
            &gateway,
            serde_json::json!({ "readings": [flow(1, start + chrono::Duration::hours(21), 0.0)] }),
        )
        .await;
        assert_eq!((status, answer["warnings"].as_array().unwrap().len()), (200, 0), "{answer}");
        server.restart();
        let (status, answer) =
            post(&server, &gateway, serde_json::json!({ "readings": [flow(1, start + chrono::Duration::hours(21) + chrono::Duration::minutes(30), 0.0)] })).await;
        assert_eq!((status, answer["warnings"].as_array().unwrap().len()), (200, 0), "{answer}");
        // Bad readings: 422, and nothing of the batch is stored.
        let t = start + chrono::Duration::hours(22);
        for (bad, why) in [
            (vec![flow(1, t, 1.0), flow(1, t, 1.0)], "is not after its last reading"),
            (vec![flow(1, t, -5.0)], "outside"),
            (vec![flow(99, t, 1.0)], "not registered"),
            (
                vec![serde_json::json!({ "sensor": 2, "at": t, "value": { "type": "flow", "litres": 1.0 } })],
                "does not read flow",
            ),
            (vec![flow(1, chrono::Utc::now() + chrono::Duration::hours(2), 1.0)], "in the future"),
            (vec![flow(1, chrono::Utc::now() - chrono::Duration::days(9), 1.0)], "more than 8 days old"),
        ] {
            let (status, answer) = post(&server, &gateway, serde_json::json!({ "readings": bad })).await;
            assert_eq!(status, 422, "{answer}");
            assert!(answer.to_string().contains(why), "{why}: {answer}");
        }
        // The refused readings left no trace: a reading at that time is taken now.
        let (status, answer) = post(&server, &gateway, serde_json::json!({ "readings": [flow(1, t, 2.0)] })).await;
        assert_eq!(status, 200, "{answer}");
        // Not the expected shape: 400; more readings than one request may carry: 413.
        let (status, answer) = post(&server, &gateway, serde_json::json!({ "reading": [] })).await;
        assert_eq!(status, 400, "{answer}");
        let many: Vec<_> = (0..2001).map(|k| flow(1, t + chrono::Duration::seconds(k + 1), 0.0)).collect();
        let (status, answer) = post(&server, &gateway, serde_json::json!({ "readings": many })).await;
        assert_eq!(status, 413, "{answer}");
        // Only gateways (and admins) post readings.
        let (status, _) = post(&server, &op, serde_json::json!({ "readings": [] })).await;
        assert_eq!(status, 403);
    }
}

/// A hotline call and a grid worker's report of the same fire a charger alarm raised minutes earlier, 50 m away, join
/// the warning event instead of making new ones; another category makes its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_report_of_the_same_thing_joins_the_open_event() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = target.db.as_str();
        let server = Server::start(db, &[]);
        let district = pingan_sync::district(2026, true);
        let b = &district.buildings[500];
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("sensors.csv");
        std::fs::write(&csv, format!("id,kind,address\n5,ebike_charger,{}\n", b.code)).unwrap();
        assert!(admin(db, &["sensors", "import", csv.to_str().unwrap()]).status.success());
        let gateway = server.user("gateway", "sensor_gateway");
        let op = server.user("op", "supervisor");
        let now = chrono::Utc::now();
        let alarm = serde_json::json!({ "sensor": 5, "at": now - chrono::Duration::minutes(10),
            "value": { "type": "alarm", "on": true } });
        let (status, answer) = post(&server, &gateway, serde_json::json!({ "readings": [alarm] })).await;
        assert_eq!(status, 200, "{answer}");
        let warning = pingan_core::EventId(answer["warnings"][0]["event"].as_u64().expect("a warning event"));
        let api = server.api(&op);
        let w = api.event(warning).await.unwrap();
        assert_eq!(w.category, EventCategory::FireAlarm);
        // The hotline calls about the same fire, 50 m off: linked, no new event.
        let mut call = w.clone();
        call.number = String::new();
        call.source = EventSource::Hotline;
        call.title = "电动车充电起火，有烟".into();
        call.evidence = None;
        call.reported_at = now - chrono::Duration::minutes(2);
        call.position = pingan_core::LonLat::new(w.position.lon + 0.0005, w.position.lat);
        let send = |e: pingan_core::Event, key: &str| pingan_core::sync::ClientCommand {
            key: key.into(),
            at: e.reported_at,
            body: pingan_core::sync::CommandBody::Report { event: Box::new(e) },
        };
        let r = api.send(&[send(call.clone(), "call-1")]).await.unwrap();
        assert!(
            matches!(r[0].outcome, pingan_core::sync::Outcome::Applied { event: Some(id), .. } if id == warning),
            "{:?}",
            r[0].outcome
        );
        let w = api.event(warning).await.unwrap();
        assert_eq!(w.linked.len(), 1);
        assert_eq!((w.linked[0].source, w.linked[0].title.as_str()), (EventSource::Hotline, "电动车充电起火，有烟"));
        // The grid's own worker reports the same fire from the scene: linked too (any source merges).
        let demo = demo_situation();
        let admin_token = server.user("admin", "admin");
        for chunk in seed_commands(&demo.workers, &[]).chunks(200) {
            let r = server.api(&admin_token).send(chunk).await.expect("seed the roster");
            assert!(r.iter().all(|r| matches!(r.outcome, pingan_core::sync::Outcome::Applied { .. })), "{r:?}");
        }
        let worker = demo.workers.iter().find(|x| x.grids.contains(&w.grid)).expect("a worker serves the grid");
        let field = server.user_bound("field", worker.id.0);
        let mut seen = call.clone();
        seen.source = EventSource::GridWorker(worker.id);
        seen.title = "现场确认：充电车棚冒烟".into();
        seen.reported_at = now - chrono::Duration::minutes(1);
        let r = server.api(&field).send(&[send(seen, "field-1")]).await.unwrap();
        assert!(
            matches!(r[0].outcome, pingan_core::sync::Outcome::Applied { event: Some(id), .. } if id == warning),
            "{:?}",
            r[0].outcome
        );
        let w = api.event(warning).await.unwrap();
        assert_eq!(w.linked.len(), 2);
        assert_eq!(w.linked[1].source, EventSource::GridWorker(worker.id));
        // Another category at the same place is a new event.
        let mut other = call.clone();
        other.category = EventCategory::Theft;
        let r = api.send(&[send(other, "call-2")]).await.unwrap();
        assert!(
            matches!(r[0].outcome, pingan_core::sync::Outcome::Applied { event: Some(id), .. } if id != warning),
            "{:?}",
            r[0].outcome
        );
        // The merge is in the log: a client replaying it sees the linked report.
        let snap = api.snapshot().await.unwrap();
        assert_eq!(snap.situation.event(warning).unwrap().linked.len(), 2);
    }
}
