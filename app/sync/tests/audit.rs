//! The audit trail (issue 29): bulk reads, first logins and CLI admin commands are recorded with who, when, what and
//! from where; `pingan-sync audit` prints them; `--audit-days` prunes; no route writes them. Each test runs on
//! SQLite, and on PostgreSQL when `PINGAN_TEST_POSTGRES` is set.

mod common;

use common::*;
use pingan_sync::audit::{self, Entry};
use pingan_sync::db::Db;
use std::process::Command;
use std::time::Duration;

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

async fn get(server: &Server, path: &str, token: &str) -> reqwest::StatusCode {
    let r = client().get(format!("{}{path}", server.url)).bearer_auth(token).send().await.expect("request");
    let status = r.status();
    r.bytes().await.expect("body");
    status
}

/// Every row, oldest first.
async fn rows(db: &Db) -> Vec<Entry> {
    let since = chrono::DateTime::from_timestamp(0, 0).unwrap();
    audit::list(db, since, None, None).await.expect("audit rows")
}

fn of<'a>(rows: &'a [Entry], user: &str, action: &str) -> Vec<&'a Entry> {
    rows.iter().filter(|e| e.user == user && e.action == action).collect()
}

/// `pingan-sync --db DB ARGS…` as the OS user `auditor`; stdout, after checking it succeeded.
fn cli(db: &str, args: &[&str]) -> String {
    let out = Command::new(bin()).args(["--db", db]).args(args).env("USER", "auditor").output().expect("run");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_are_recorded_with_user_and_address() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let op = server.user("op", "operator");
        assert_eq!(get(&server, "/v1/snapshot", &op).await, 200);
        assert_eq!(get(&server, "/v1/district", &op).await, 200);
        let since =
            (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(get(&server, &format!("/v1/tracks?since={since}"), &op).await, 200);
        assert_eq!(get(&server, "/v1/changes?after=0", &op).await, 200);
        // Neither a later page of the log nor a refused read is a bulk read.
        assert_eq!(get(&server, "/v1/changes?after=1", &op).await, 200);
        assert_eq!(get(&server, "/v1/snapshot", "pa_nonsense").await, 401);
        let db = Db::open(&target.db).await.expect("db");
        let all = rows(&db).await;
        for action in ["snapshot", "district", "tracks", "changes"] {
            let found = of(&all, "op", action);
            assert_eq!(found.len(), 1, "{action}: {all:#?}");
            assert_eq!(found[0].address, "127.0.0.1", "{action}");
            assert!((chrono::Utc::now() - found[0].at).num_seconds() < 60, "{action}: stamped now");
        }
        assert!(of(&all, "op", "snapshot")[0].detail.ends_with(" bytes"), "{all:#?}");
        let district = &of(&all, "op", "district")[0].detail;
        assert!(district.starts_with("etag ") && district.ends_with(" bytes"), "{district}");
        assert!(of(&all, "op", "tracks")[0].detail.starts_with("since="), "what was asked");
        // A 304 hands out nothing.
        let etag = district.trim_start_matches("etag ").split(',').next().unwrap().to_string();
        let r = client().get(format!("{}/v1/district", server.url)).bearer_auth(&op).header("if-none-match", &etag);
        assert_eq!(r.send().await.expect("request").status(), 304);
        assert_eq!(of(&rows(&db).await, "op", "district").len(), 1);
        // An admin's API commands are recorded, one row a request.
        let (admin, _) = seeded(&server, 3).await;
        let all = rows(&db).await;
        let commands = of(&all, "admin", "commands");
        assert!(!commands.is_empty(), "{all:#?}");
        assert!(commands.iter().all(|e| e.address == "127.0.0.1" && e.detail.contains(" commands: ")));
        assert_eq!(get(&server, "/v1/snapshot", &admin).await, 200);
        assert_eq!(of(&rows(&db).await, "admin", "snapshot").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_first_use_is_one_login() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let mut server = Server::start(&target.db, &[]);
        let op = server.user("op", "operator");
        let db = Db::open(&target.db).await.expect("db");
        assert!(of(&rows(&db).await, "op", "login").is_empty(), "issued, not used: no login");
        assert_eq!(get(&server, "/v1/info", &op).await, 200);
        assert_eq!(get(&server, "/v1/snapshot", &op).await, 200);
        let logins = rows(&db).await;
        let logins = of(&logins, "op", "login");
        assert_eq!(logins.len(), 1, "{logins:#?}");
        assert_eq!(logins[0].address, "127.0.0.1");
        assert!(logins[0].detail.starts_with("token "), "names the token by its hash: {}", logins[0].detail);
        // Used again, after a restart too: no second login.
        server.restart();
        assert_eq!(get(&server, "/v1/info", &op).await, 200);
        assert_eq!(of(&rows(&db).await, "op", "login").len(), 1);
        // A second token of the same user logs in once of its own.
        let second = cli(&target.db, &["token", "new", "op"]).trim().to_string();
        assert_eq!(get(&server, "/v1/info", &second).await, 200);
        assert_eq!(get(&server, "/v1/info", &second).await, 200);
        assert_eq!(of(&rows(&db).await, "op", "login").len(), 2);
        // A revoked token logs in no more.
        cli(&target.db, &["token", "revoke", "op"]);
        let third = cli(&target.db, &["token", "new", "op"]).trim().to_string();
        cli(&target.db, &["token", "revoke", "op"]);
        assert_eq!(get(&server, "/v1/info", &third).await, 401);
        assert_eq!(of(&rows(&db).await, "op", "login").len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_admin_commands_are_recorded_and_printed() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let token = cli(&target.db, &["user", "add", "ann", "--role", "supervisor"]);
        assert!(token.trim().starts_with("pa_"));
        cli(&target.db, &["token", "new", "ann"]);
        cli(&target.db, &["token", "revoke", "ann"]);
        cli(&target.db, &["user", "list"]);
        let db = Db::open(&target.db).await.expect("db");
        let all = rows(&db).await;
        let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user add", "token new", "token revoke"], "a list changes nothing: {all:#?}");
        assert!(all.iter().all(|e| e.user == "cli:auditor" && e.address == "local"), "{all:#?}");
        assert!(all[0].detail.contains("\"ann\"") && all[0].detail.contains("supervisor"), "{}", all[0].detail);
        assert!(!all.iter().any(|e| e.detail.contains(token.trim())), "the token itself is never recorded");

        // Printed: by day and user, oldest first, as text and as JSON Lines.
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let text = cli(&target.db, &["audit", "--since", &today, "--user", "cli:auditor"]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        for (line, action) in lines.iter().zip(["user add", "token new", "token revoke"]) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(&cols[1..4], ["cli:auditor", action, "local"], "{line}");
            assert!(cols[0].starts_with(&today), "{line}");
        }
        let json = cli(&target.db, &["audit", "--since", "2026-12-01", "--until", &today, "--json"]);
        let parsed: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        assert_eq!(parsed.len(), 3, "--until a day includes that day: {json}");
        assert_eq!(parsed[2]["action"], "token revoke");
        assert!(cli(&target.db, &["audit", "--since", &today, "--user", "ann"]).is_empty());
        assert!(cli(&target.db, &["audit", "--since", "2999-01-01"]).is_empty());
        let out = Command::new(bin()).args(["--db", &target.db, "audit", "--since", "soon"]).output().expect("run");
        assert!(!out.status.success(), "a bound that is no day is refused");
        // Printing is not recorded.
        assert_eq!(rows(&db).await.len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_old_rows_at_start() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let db = Db::open(&target.db).await.expect("db");
        let at = |days: i64| chrono::Utc::now() - chrono::Duration::days(days);
        for (days, user) in [(400, "older"), (40, "old"), (10, "recent")] {
            audit::record(&db, Entry { at: at(days), ..Entry::now(user, "snapshot", "", "10.0.0.1") }).await;
        }
        // The default keeps a year.
        let mut server = Server::start(&target.db, &[]);
        let users: Vec<String> = rows(&db).await.into_iter().map(|e| e.user).collect();
        assert_eq!(users, ["old", "recent"], "365 days by default");
        // --audit-days 30: pruned before the server listens.
        server.kill();
        let _server = Server::start(&target.db, &["--audit-days", "30"]);
        let users: Vec<String> = rows(&db).await.into_iter().map(|e| e.user).collect();
        assert_eq!(users, ["recent"]);
        // 0 keeps everything.
        audit::record(&db, Entry { at: at(5000), ..Entry::now("ancient", "snapshot", "", "10.0.0.1") }).await;
        drop(_server);
        let _server = Server::start(&target.db, &["--audit-days", "0"]);
        assert_eq!(rows(&db).await.len(), 2);
        assert_eq!(audit::prune(&db, 7).await.expect("prune"), 2, "the 10- and 5000-day-old rows");
        assert!(rows(&db).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_changes_the_audit() {
    for target in targets().await {
        eprintln!("-- {}", target.name);
        let server = Server::start(&target.db, &[]);
        let admin = server.user("admin", "admin");
        assert_eq!(get(&server, "/v1/info", &admin).await, 200);
        let db = Db::open(&target.db).await.expect("db");
        let before = rows(&db).await;
        let http = client();
        for path in ["/v1/audit", "/v1/audit/1", "/v1/audit?since=2026-12-01"] {
            for method in ["POST", "PUT", "PATCH", "DELETE", "GET"] {
                let r = http
                    .request(method.parse().unwrap(), format!("{}{path}", server.url))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({ "at": "2026-12-01T00:00:00Z", "user": "x", "action": "y" }))
                    .send()
                    .await
                    .expect("request");
                assert!(matches!(r.status().as_u16(), 404 | 405), "{method} {path}: {}", r.status());
            }
        }
        assert_eq!(rows(&db).await, before, "nothing written or deleted");
    }
}
