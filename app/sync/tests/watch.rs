//! The watch thresholds (`assets/config/watch.toml`): `pingan-sync serve --watch FILE` hands them to the desks in
//! `GET /v1/info`, the shipped file when none is named; a file that does not read or is out of range stops the start
//! with the reason. Real `pingan-sync` processes on loopback (SQLite: the thresholds do not touch the database).

mod common;

use common::*;
use pingan_core::coverage::{CoverageConfig, WatchConfig};
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_watch_hands_its_thresholds_to_the_desks_in_info() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("watch.toml");
    std::fs::write(&file, "no_data_minutes = 5\n[coverage]\nvoid_minutes = 45\nstale_minutes = 15\n").unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let server = Server::start(&db, &["--watch", &file.display().to_string()]);
    let token = server.user("op", "operator");
    let info = server.api(&token).info().await.unwrap();
    assert_eq!(info["watch"]["no_data_minutes"], 5, "{info}");
    assert_eq!(info["watch"]["coverage"]["void_minutes"], 45, "{info}");
    assert_eq!(info["watch"]["coverage"]["stale_minutes"], 15, "{info}");
    let served = WatchConfig { no_data_minutes: 5, coverage: CoverageConfig { void_minutes: 45, stale_minutes: 15 } };
    // The desk's link reads them with the rest of what the server says.
    let cache = dir.path().join("cache.sqlite");
    let (link, _) = pingan_store::Link::start(pingan_store::LinkConfig::new(&server.url, &token, cache)).unwrap();
    wait_until(20, "the link to learn the rights", || link.status().rights.is_some());
    assert_eq!(link.status().rights.unwrap().watch, Some(served));
    drop(link);

    // Without --watch: the shipped file.
    let db = dir.path().join("plain.db").display().to_string();
    let server = Server::start(&db, &[]);
    let token = server.user("op", "operator");
    let info = server.api(&token).info().await.unwrap();
    let watch: WatchConfig = serde_json::from_value(info["watch"].clone()).unwrap();
    assert_eq!(watch, WatchConfig::default());
    assert_eq!(watch, WatchConfig::from_toml(pingan_core::coverage::DEFAULT_WATCH_TOML).unwrap());
}

/// Start `pingan-sync` with `--watch file` and return its exit status and stderr (it must not start).
fn refused_start(db: &str, file: &std::path::Path) -> String {
    let mut child = Command::new(bin())
        .args(["--db", db, "--small", "--demo-district", "--listen", "127.0.0.1:0", "--watch"])
        .arg(file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start pingan-sync");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            panic!("pingan-sync started with a bad --watch {}", file.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert!(!status.success(), "exit status {status}");
    assert!(out.stdout.is_empty(), "it never listened: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_watch_file_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db").display().to_string();
    let file = dir.path().join("watch.toml");
    std::fs::write(&file, "no_data_minutes = 2\n[coverage]\nvoid_minutes = 30\nstale_minutes = 0\n").unwrap();
    let err = refused_start(&db, &file);
    let want = format!("--watch {}: stale_minutes must be 1 to 10080 minutes, got 0", file.display());
    assert!(err.contains(&want), "{err}");
    std::fs::write(&file, "no_data_minutes = 2\n[coverage]\nvoid_minutes = 30\nstale_minute = 10\n").unwrap();
    let err = refused_start(&db, &file);
    assert!(err.contains(&format!("--watch {}: does not read", file.display())), "{err}");
    assert!(err.contains("stale_minute"), "names the key: {err}");
    let missing = dir.path().join("nowhere.toml");
    let err = refused_start(&db, &missing);
    assert!(err.contains(&format!("--watch {}: cannot read it", missing.display())), "{err}");
}
