//! Enrolment without typing a token (issue 30, point 2): `user enrol` prints a one-time code and its QR code; the
//! phone exchanges the code at `POST /v1/enrol` for a token bound to its worker, once; a used, unknown or expired
//! code is refused with its reason. On SQLite and, with `PINGAN_TEST_POSTGRES`, on PostgreSQL.

mod common;

use common::*;
use std::process::Command;

/// `pingan-sync ARGS` on `db`: (exit success, stdout, stderr).
fn cli(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin()).args(["--db", db]).args(args).output().expect("run pingan-sync");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// `POST /v1/enrol` with `code`: (status, JSON body).
async fn enrol(server: &Server, code: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/enrol", server.url))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_enrols_one_phone_once_and_a_used_unknown_or_expired_code_says_why() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        seeded(&server, 1).await;
        server.user_bound("wang", 3);
        server.user("op", "operator");
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("wang.png");

        let (ok, out, err) = cli(
            &target.db,
            &["user", "enrol", "wang", "--url", "https://pingan.example", "--png", &png.display().to_string()],
        );
        assert!(ok, "user enrol: {err}");
        let code = out.trim().to_string();
        assert_eq!(code.len(), 12, "XXXX-XXXX-XX: {code:?}");
        assert!(err.contains(&format!("https://pingan.example/field/#enrol={code}")), "{err}");
        assert!(err.contains('█'), "a QR code in the terminal");
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
        let (ok, _, err) = cli(&target.db, &["user", "enrol", "op"]);
        assert!(!ok && err.contains("only a grid_worker"), "{err}");

        // Typed with spaces and in lower case, it still works: a token of wang, bound to worker 3.
        let (status, body) = enrol(&server, &code.replace('-', " ").to_lowercase()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["user"].as_str(), body["worker"].as_u64()), (Some("wang"), Some(3)));
        let token = body["token"].as_str().unwrap();
        let info = server.api(token).info().await.expect("the token works");
        assert_eq!((info["user"].as_str(), info["role"].as_str()), (Some("wang"), Some("grid_worker")));

        // Once only; an unknown code and an expired one say why.
        let (status, body) = enrol(&server, &code).await;
        assert_eq!((status, body["reason"].as_str()), (403, Some("used")), "{body}");
        let (status, body) = enrol(&server, "AAAA-BBBB-CC").await;
        assert_eq!((status, body["reason"].as_str()), (403, Some("unknown")), "{body}");
        let (status, body) = enrol(&server, &format!("{code}{}", " ".repeat(40))).await;
        assert_eq!((status, body["reason"].as_str()), (403, Some("unknown")), "an overlong code: {body}");
        let (_, out, _) = cli(&target.db, &["user", "enrol", "wang"]);
        let db = pingan_sync::db::Db::open(&target.db).await.unwrap();
        sqlx::query("UPDATE enrol_codes SET expires_at = '2026-01-01T00:00:00.000Z' WHERE used_at IS NULL")
            .execute(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
        let (status, body) = enrol(&server, out.trim()).await;
        assert_eq!((status, body["reason"].as_str()), (403, Some("expired")), "{body}");
        assert!(body["error"].as_str().unwrap().contains("ask for a new one"));
        // Not JSON at all: a clear 400.
        let r = reqwest::Client::new().post(format!("{}/v1/enrol", server.url)).body("code=1").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
}
