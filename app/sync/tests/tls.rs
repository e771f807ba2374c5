//! TLS end to end: the real `pingan-sync` binary with `--tls-self-signed`, and the real client (`pingan-store`)
//! pinned to the fingerprint the server prints; plain HTTP kept to loopback unless `--insecure-http`.

use pingan_store::{Api, Link, LinkConfig, LinkState, Trust};
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FINGERPRINT: &str = "TLS certificate SHA-256 fingerprint: ";

/// A server process, its URL, and its stderr lines as they come.
struct Proc {
    child: Child,
    url: String,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Proc {
    /// Wait for a stderr line containing `needle`.
    fn stderr_line(&self, needle: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no stderr line with {needle:?}");
    }
}

fn command(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pingan-sync"));
    c.args(["--db", &dir.join("sync.db").display().to_string(), "--small", "--sla-every", "0", "--patrol-every", "0"])
        .args(args)
        .env("RUST_LOG", "warn");
    c
}

/// Start the server and wait for its listening line (stderr read on a thread, so the pipe never fills).
fn start(dir: &std::path::Path, args: &[&str]) -> Proc {
    let mut child = command(dir, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    let (tx, stderr) = mpsc::channel();
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("server: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
    let url = line.trim().strip_prefix("pingan-sync listening on ").unwrap_or_else(|| panic!("odd line {line:?}"));
    Proc { url: url.to_string(), child, stderr }
}

fn fingerprint(server: &Proc) -> String {
    let line = server.stderr_line(FINGERPRINT);
    line[line.find(FINGERPRINT).unwrap() + FINGERPRINT.len()..].trim().to_string()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_to_a_client_pinned_to_its_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("tls");
    let tls_arg = tls_dir.display().to_string();
    let args = ["--listen", "127.0.0.1:0", "--tls-self-signed", &tls_arg, "--demo", "--demo-token", "t"];
    let server = start(dir.path(), &args);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let pin = fingerprint(&server);
    assert_eq!(pin.len(), 95, "{pin}");

    // Pinned: health and info answer over TLS.
    let pinned = Trust::Pin(pin.clone());
    let client = pingan_store::tls::client_builder(&server.url, &pinned).unwrap().build().unwrap();
    let health = client.get(format!("{}/v1/health", server.url)).send().await.expect("health over TLS");
    assert!(health.status().is_success(), "{}", health.status());
    let info = Api::with_trust(&server.url, "t", &pinned).unwrap().info().await.expect("info over TLS");
    assert_eq!(info["user"], "demo-operator", "{info}");

    // The link syncs over TLS: a snapshot, then the live stream.
    let cache = dir.path().join("cache.sqlite");
    let (link, _) = Link::start(LinkConfig::new(&server.url, "t", cache).with_trust(pinned)).expect("link");
    wait_until("the pinned link online", || link.status().state == LinkState::Online);
    wait_until("a snapshot", || link.poll().iter().any(|u| matches!(u, pingan_store::Update::Snapshot(_))));

    // The certificate file as an extra root works too.
    let ca = Trust::Ca(tls_dir.join("cert.pem"));
    Api::with_trust(&server.url, "t", &ca).unwrap().info().await.expect("info with --ca");

    // A wrong pin, or the system's roots alone, is refused, and the link says why in words.
    let wrong = Trust::Pin("AB".repeat(32));
    let e = Api::with_trust(&server.url, "t", &wrong).unwrap().info().await.unwrap_err().to_string();
    assert!(e.contains(pingan_store::tls::PIN_MISMATCH), "{e}");
    assert!(Api::new(&server.url, "t").unwrap().info().await.is_err(), "a self-signed certificate is not a root");
    let other = dir.path().join("other.sqlite");
    let (bad, _) = Link::start(LinkConfig::new(&server.url, "t", other).with_trust(wrong)).expect("link");
    wait_until("the wrong pin told", || {
        bad.status().last_error.is_some_and(|e| e.contains(pingan_store::tls::PIN_MISMATCH))
    });
    assert_ne!(bad.status().state, LinkState::Online);

    // Plain HTTP to the TLS port gets nothing.
    let plain = server.url.replacen("https://", "http://", 1);
    let r = reqwest::Client::new().get(format!("{plain}/v1/health")).timeout(Duration::from_secs(10)).send().await;
    assert!(r.is_err(), "plain HTTP answered on the TLS port: {r:?}");
    drop((link, bad));
    drop(server);

    // The certificate is kept: the next start shows the same fingerprint.
    let again = start(dir.path(), &args);
    assert_eq!(fingerprint(&again), pin);
}

#[test]
fn plain_http_off_loopback_needs_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &["--listen", "0.0.0.0:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "plain HTTP on 0.0.0.0 started");
    assert!(stderr.contains("--insecure-http"), "{stderr}");

    let server = start(dir.path(), &["--listen", "0.0.0.0:0", "--insecure-http"]);
    assert!(server.url.starts_with("http://0.0.0.0:"), "{}", server.url);
    server.stderr_line("serving plain HTTP");
}

#[test]
fn a_bad_pem_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let junk = junk.display().to_string();
    let out = command(dir.path(), &["--tls-cert", &junk, "--tls-key", &junk]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("junk.pem") && stderr.contains("no certificate"), "{stderr}");
}
