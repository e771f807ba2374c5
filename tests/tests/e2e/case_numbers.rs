//! One case-number rule for the server and the desk: the same report, made at 00:30 China time (16:30 UTC the day
//! before), numbered by a real `pingan-sync` and by the desk's offline demo, carries the same local date and the same
//! width — the rule `pingan_core::case_number` says.

use chrono::{DateTime, Utc};
use egui_kittest::Harness;
use pingan_core::case_number::{CaseKind, case_number};
use pingan_core::sync::{ClientCommand, CommandBody, Outcome};
use pingan_desktop::{Clock, PinganApp};
use pingan_tests::test_options;

/// 00:30 on 24 November in China: still 23 November in UTC.
fn half_past_midnight() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T00:30:00+08:00").expect("valid").with_timezone(&Utc)
}

#[test]
fn the_server_and_the_desk_number_a_report_at_0030_china_time_alike() {
    // The desk, offline, at 00:30: a report through the form, numbered locally.
    let mut options = test_options();
    options.clock = Clock::Fixed(half_past_midnight());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options));
    h.run();
    let code = h.state().state.district.buildings[120].code;
    h.state_mut().apply(pingan_desktop::Command::OpenReport);
    let mut d = h.state().state.report.clone().expect("the form opened");
    d.code = code.segmented();
    d.description = "楼道堆放杂物".into();
    h.state_mut().apply(pingan_desktop::Command::EditReport(d));
    h.state_mut().apply(pingan_desktop::Command::SubmitReport);
    let desk = h.state().state.situation.events.iter().find(|e| e.title == "楼道堆放杂物").expect("filed").clone();
    assert_eq!(desk.reported_at, half_past_midnight());

    // The same report sent to a real server.
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = pingan_sync::ServeConfig {
        db: dir.path().join("sync.db").display().to_string(),
        listen: "127.0.0.1:0".parse().expect("an address"),
        seed: 7,
        small: true,
        sla_every: None,
        patrol_every: None,
        ..Default::default()
    };
    let running = rt.block_on(pingan_sync::start(config)).expect("the server starts");
    let token = rt.block_on(async {
        let op = running.db.add_user("op", pingan_core::sync::Role::Supervisor).await.expect("a user");
        running.db.new_token(&op).await.expect("a token")
    });
    let api = pingan_store::Api::new(&format!("http://{}", running.addr), &token).expect("a client");
    // A linked desk sends its reports unnumbered: the server numbers what it takes.
    let mut sent = desk.clone();
    sent.number.clear();
    let cmd = ClientCommand {
        key: "report-0030".into(),
        at: half_past_midnight(),
        body: CommandBody::Report { event: Box::new(sent) },
    };
    let answer = rt.block_on(api.send(&[cmd])).expect("sent");
    let Outcome::Applied { .. } = answer[0].outcome else { panic!("refused: {:?}", answer[0].outcome) };
    let snapshot = rt.block_on(api.snapshot()).expect("a snapshot");
    let server = snapshot.situation.events.iter().find(|e| e.title == "楼道堆放杂物").expect("stored").clone();

    // Both follow the one rule: the China date (24th, not the UTC 23rd) and one width.
    let china = pingan_core::china_offset();
    assert_eq!(server.number, case_number(CaseKind::Report, server.id.0, server.reported_at, china));
    assert_eq!(desk.number, case_number(CaseKind::Report, desk.id.0, desk.reported_at, china));
    // `YH-20261124-000001`: prefix, local date, serial.
    let parts = |n: &str| n.split('-').map(str::to_string).collect::<Vec<_>>();
    let (s, d) = (parts(&server.number), parts(&desk.number));
    assert_eq!(s[1], "20261124", "{}", server.number);
    assert_eq!(s[..2], d[..2], "{} vs {}", server.number, desk.number);
    assert_eq!(server.number.len(), desk.number.len(), "{} vs {}", server.number, desk.number);
}
