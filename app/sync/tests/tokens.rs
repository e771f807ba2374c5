//! Tokens end (issue 29): `--ttl` and the role defaults, `token list`, `user disable`, the 401 reasons on a normal
//! endpoint and on the live stream, `/v1/info`'s expiry, the link's words for a refusal, and the 429 for guessing.
//! Each test runs on SQLite and, with `PINGAN_TEST_POSTGRES`, on PostgreSQL.

mod common;

use common::*;
use pingan_store::{Link, LinkConfig};
use std::process::Command;
use std::time::Duration;

/// `pingan-sync ARGS` on `db`: (exit success, stdout, stderr).
fn cli(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin()).args(["--db", db]).args(args).output().expect("run pingan-sync");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// `token new NAME ARGS`; returns the token.
fn new_token(db: &str, name: &str, args: &[&str]) -> String {
    let (ok, out, err) = cli(db, &[&["token", "new", name][..], args].concat());
    assert!(ok, "token new {name} {args:?}: {err}");
    out.trim().to_string()
}

/// Set a token's expiry straight in the database.
async fn set_expiry(db: &str, token: &str, at: chrono::DateTime<chrono::Utc>) {
    let d = pingan_sync::db::Db::open(db).await.expect("open the database");
    sqlx::query("UPDATE tokens SET expires_at = $1 WHERE hash = $2")
        .bind(at.to_rfc3339())
        .bind(pingan_sync::db::token_hash(token))
        .execute(&d.pool)
        .await
        .expect("set expires_at");
    d.pool.close().await;
}

/// GET `path` with `token`: (status, JSON body).
async fn get(server: &Server, path: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new().get(format!("{}{path}", server.url)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    if path.starts_with("/v1/stream") && status == 200 {
        return (status, serde_json::Value::Null);
    }
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Days from now to `/v1/info`'s `token.expires_at` (`None`: never).
fn days_left(info: &serde_json::Value) -> Option<f64> {
    let at = info.pointer("/token/expires_at")?.as_str()?;
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
    Some((at - chrono::Utc::now()).num_seconds() as f64 / 86_400.0)
}

#[test]
fn ttls_read_in_days_and_hours_and_never_is_for_gateways() {
    use pingan_core::sync::Role;
    use pingan_sync::tokens::{Ttl, default_ttl, parse_ttl};
    assert_eq!(parse_ttl("90d", Role::Operator), Ok(Ttl::For(chrono::Duration::days(90))));
    assert_eq!(parse_ttl("12h", Role::Admin), Ok(Ttl::For(chrono::Duration::hours(12))));
    assert_eq!(parse_ttl("never", Role::SensorGateway), Ok(Ttl::Never));
    for bad in ["never", "0h", "3651d", "12", "1w", "-3d", ""] {
        assert!(parse_ttl(bad, Role::Supervisor).is_err(), "{bad:?}");
    }
    let days = |r: Role| match default_ttl(r) {
        Ttl::For(d) => d.num_days(),
        Ttl::Never => 0,
    };
    assert_eq!(Role::ALL.map(days), [90, 90, 180, 365, 30], "operator, supervisor, grid_worker, sensor_gateway, admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_disabled_tokens_get_401_with_a_reason_and_the_list_shows_them() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let db = target.db.as_str();
        let op = server.user("op", "operator");
        // The role's default, 90 days, and an explicit --ttl; /v1/info tells it.
        let (s, info) = get(&server, "/v1/info", &op).await;
        assert_eq!(s, 200);
        let left = days_left(&info).expect("an operator's token ends");
        assert!((89.9..=90.1).contains(&left), "{left}");
        let short = new_token(db, "op", &["--ttl", "12h"]);
        let left = days_left(&get(&server, "/v1/info", &short).await.1).unwrap();
        assert!((0.49..=0.51).contains(&left), "{left}");
        // --ttl is checked; never is for gateways only.
        for bad in ["never", "0h", "3651d", "ninety"] {
            let (ok, _, err) = cli(db, &["token", "new", "op", "--ttl", bad]);
            assert!(!ok && err.contains("--ttl"), "--ttl {bad}: {err}");
        }
        server.user("gw", "sensor_gateway");
        let forever = new_token(db, "gw", &["--ttl", "never"]);
        assert_eq!(days_left(&get(&server, "/v1/info", &forever).await.1), None);

        // An expired token: 401 "expired" on a normal endpoint and on the live stream.
        let old = new_token(db, "op", &[]);
        set_expiry(db, &old, "2026-01-02T03:04:05Z".parse().unwrap()).await;
        for path in ["/v1/snapshot", "/v1/stream?after=0", "/v1/info"] {
            let (s, body) = get(&server, path, &old).await;
            assert_eq!(s, 401, "{path}");
            assert_eq!(body["reason"], "expired", "{path}: {body}");
            assert_eq!(body["error"], "token expired on 2026-01-02 03:04 UTC", "{path}");
        }
        // A token that ends while cached stops at once, and its open stream ends with it.
        let soon = new_token(db, "op", &[]);
        set_expiry(db, &soon, chrono::Utc::now() + chrono::Duration::seconds(3)).await;
        assert_eq!(get(&server, "/v1/snapshot", &soon).await.0, 200);
        let stream =
            reqwest::Client::new().get(format!("{}/v1/stream?after=0", server.url)).bearer_auth(&soon).send().await;
        let mut stream = stream.unwrap();
        assert_eq!(stream.status(), 200);
        let ended =
            tokio::time::timeout(Duration::from_secs(20), async { while let Ok(Some(_)) = stream.chunk().await {} })
                .await;
        assert!(ended.is_ok(), "the stream ends when its token does");
        let (s, body) = get(&server, "/v1/snapshot", &soon).await;
        assert_eq!((s, body["reason"].as_str()), (401, Some("expired")));

        // Unknown: 401 "unknown".
        let (s, body) = get(&server, "/v1/snapshot", "pa_nonsense").await;
        assert_eq!((s, body["reason"].as_str()), (401, Some("unknown")));

        // token list: id, created, last used, expires, state; never the token.
        wait_until(10, "op's first token's last use", || {
            let (_, out, _) = cli(db, &["token", "list", "op"]);
            out.lines().nth(1).is_some_and(|l| l.split('\t').nth(2) != Some("never"))
        });
        let (ok, out, err) = cli(db, &["token", "list", "op"]);
        assert!(ok, "{err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "token\tcreated\tlast_used\texpires\tstate");
        assert_eq!(lines.len(), 5, "{out}");
        let old_id = &pingan_sync::db::token_hash(&old)[..12];
        let row = lines.iter().find(|l| l.starts_with(old_id)).expect("the expired token listed");
        assert!(row.ends_with("\tnever\t2026-01-02T03:04:05+00:00\texpired"), "{row}");
        assert!(lines[1].ends_with("\tactive"), "{}", lines[1]);
        for t in [&op, &short, &old, &soon] {
            assert!(!out.contains(t.as_str()) && !out.contains(&pingan_sync::db::token_hash(t)), "a secret listed");
        }

        // A disabled user: 401 "disabled", a cached token too within the cache's 10 s; enabled again, it works.
        let (ok, _, err) = cli(db, &["user", "disable", "op"]);
        assert!(ok, "{err}");
        let (s, body) = get(&server, "/v1/snapshot", &new_token(db, "op", &[])).await;
        assert_eq!((s, body["reason"].as_str()), (401, Some("disabled")), "{body}");
        let start = std::time::Instant::now();
        loop {
            let (s, body) = get(&server, "/v1/snapshot", &op).await;
            if s == 401 {
                assert_eq!(body["reason"], "disabled");
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(12), "a cached token of a disabled user still works");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(cli(db, &["token", "list", "op"]).1.lines().nth(1).unwrap().ends_with("\tdisabled"));
        assert!(cli(db, &["user", "enable", "op"]).0);
        assert_eq!(get(&server, "/v1/snapshot", &op).await.0, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_says_why_its_token_is_refused() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let db = target.db.as_str();
        server.user("op", "operator");
        let old = new_token(db, "op", &[]);
        set_expiry(db, &old, "2026-01-02T03:04:05Z".parse().unwrap()).await;
        let dir = tempfile::tempdir().unwrap();
        let (link, _) = Link::start(LinkConfig::new(&server.url, &old, dir.path().join("a.db"))).expect("link");
        wait_until(20, "the refusal in the link's status", || link.status().token_refused.is_some());
        assert_eq!(link.status().token_refused.as_deref(), Some("令牌已过期 (2026-01-02 03:04 UTC)，请联系管理员"));
        drop(link);
        // A token ending within a week: the link knows when.
        let soon = new_token(db, "op", &["--ttl", "50h"]);
        let (link, _) = Link::start(LinkConfig::new(&server.url, &soon, dir.path().join("b.db"))).expect("link");
        wait_until(20, "the expiry in the link's status", || link.status().token_expires.is_some());
        assert_eq!(link.status().expiry_warning(chrono::Utc::now()).as_deref(), Some("令牌 3 天后到期"));
        assert_eq!(link.status().token_refused, None);
        // A disabled user.
        assert!(cli(db, &["user", "disable", "op"]).0);
        let fresh = new_token(db, "op", &[]);
        let (link, _) = Link::start(LinkConfig::new(&server.url, &fresh, dir.path().join("c.db"))).expect("link");
        wait_until(20, "the refusal in the link's status", || link.status().token_refused.is_some());
        assert_eq!(link.status().token_refused.as_deref(), Some("账号已停用"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_bad_tokens_from_one_address_get_429_before_they_are_looked_up() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let op = server.user("op", "operator");
        // A missing header or an expired token is not a guess: not counted.
        for _ in 0..12 {
            let r = reqwest::Client::new().get(format!("{}/v1/snapshot", server.url)).send().await.unwrap();
            assert_eq!(r.status(), 401);
        }
        for i in 0..10 {
            let (s, body) = get(&server, "/v1/snapshot", &format!("pa_guess{i}")).await;
            assert_eq!((s, body["reason"].as_str()), (401, Some("unknown")), "guess {i}");
        }
        let (s, body) = get(&server, "/v1/snapshot", "pa_guess10").await;
        assert_eq!(s, 429, "the 11th bad token in a minute: {body}");
        let msg = body["error"].as_str().unwrap();
        assert!(msg.starts_with("too many failed logins from this address; wait "), "{msg}");
        // While limited, the address gets 429 for everything, a good token too.
        assert_eq!(get(&server, "/v1/snapshot", &op).await.0, 429);
        assert_eq!(get(&server, "/v1/info", "pa_guess11").await.0, 429);
        // Later (one failure's room comes back every 6 s) the good token works again.
        tokio::time::sleep(Duration::from_secs(7)).await;
        assert_eq!(get(&server, "/v1/snapshot", &op).await.0, 200);
    }
}
