//! Fuzz tests (proptest) of the live-stream reader, [`SseParser`]: random bytes, streams of well-formed and broken
//! Server-Sent Events lines, and streams as the server writes them, each cut into random chunks. No input may panic;
//! a broken event is a typed error ([`ApiError::Protocol`]) and the reader goes on after it; how the bytes are cut
//! into chunks never changes what is read.
//!
//! CI runs 256 cases per property (`PROPTEST_CASES` overrides that). A long run loops every property over fresh
//! random seeds until its share of `PINGAN_FUZZ_SECS` has passed (divided evenly between the three properties of
//! this file, which then run one after another) and prints the cases each ran; this file's part of the ten-minute
//! run (see `app/core/tests/fuzz.rs` for the rest):
//!
//! ```text
//! PINGAN_FUZZ_SECS=200 cargo test --release -p pingan-store --test fuzz_sse -- --test-threads=1 --nocapture
//! ```

use pingan_core::sync::{Change, ChangeBody};
use pingan_core::{EventAction, EventId, EventState, LonLat, StatusChange, WorkerId, WorkerStatus};
use pingan_store::api::{ApiError, SseParser};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// How many properties share `PINGAN_FUZZ_SECS` (the `fuzz(…)` calls in this file).
const PROPERTIES: u32 = 3;

fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config { failure_persistence: None, ..Config::default() };
    let share = std::env::var("PINGAN_FUZZ_SECS").ok().map(|s| {
        let secs: f64 = s.trim().parse().expect("PINGAN_FUZZ_SECS: a number of seconds");
        Duration::from_secs_f64(secs.max(0.0) / f64::from(PROPERTIES))
    });
    let (start, cases, mut runs) = (Instant::now(), Cell::new(0u64), 0u32);
    loop {
        runs += 1;
        let mut runner = TestRunner::new(config.clone());
        let outcome = runner.run(&strategy, |v| {
            cases.set(cases.get() + 1);
            test(v)
        });
        if let Err(e) = outcome {
            panic!("{name}: {e}");
        }
        if share.is_none_or(|s| start.elapsed() >= s) {
            break;
        }
    }
    eprintln!("FUZZ {name}: {} cases in {runs} runs, {:.1} s", cases.get(), start.elapsed().as_secs_f64());
}

/// Feed `bytes` to a parser in the pieces `cuts` makes, reading every change after each piece.
fn read_chunked(bytes: &[u8], cuts: &[Index]) -> Vec<Result<Change, ApiError>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    for w in at.windows(2) {
        parser.push(&bytes[w[0]..w[1]]);
        loop {
            match parser.next_change() {
                Ok(Some(c)) => out.push(Ok(c)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
    }
    out
}

/// The same stream read whole and read in pieces gives the same changes and errors, and every error is a protocol
/// error.
fn check_stream(bytes: &[u8], cuts: &[Index]) -> Result<Vec<Result<Change, ApiError>>, TestCaseError> {
    let whole = SseParser::parse_all(bytes);
    let chunked = read_chunked(bytes, cuts);
    prop_assert_eq!(&whole, &chunked);
    for r in &whole {
        if let Err(e) = r {
            prop_assert!(matches!(e, ApiError::Protocol(_)), "{e:?}");
        }
    }
    Ok(whole)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z 0-9]{0,12}",
        2 => prop::collection::vec(any::<char>(), 0..16).prop_map(String::from_iter),
        1 => prop::sample::select(vec!["\n", "\r\n", "\n\ndata: x\n\n", "\u{2028}", "\u{0}", "data:", ":"])
            .prop_map(String::from),
    ]
}

fn time() -> impl Strategy<Value = pingan_core::Timestamp> {
    (0i64..4_102_444_800, 0u32..1_000_000_000).prop_map(|(s, n)| chrono::DateTime::from_timestamp(s, n).unwrap())
}

fn state() -> impl Strategy<Value = EventState> {
    prop::sample::select(EventState::ALL.to_vec())
}

/// A change as the server could send it (finite positions: JSON has no NaN).
fn change() -> impl Strategy<Value = Change> {
    let action = prop_oneof![
        Just(EventAction::Accept),
        any::<u32>().prop_map(|w| EventAction::Assign { worker: WorkerId(w) }),
        text().prop_map(|note| EventAction::Close { note, outcome: None }),
        text().prop_map(|reason| EventAction::Escalate { reason }),
    ];
    let body = prop_oneof![
        (any::<u64>(), time(), state(), state(), action, text()).prop_map(|(event, at, from, to, action, by)| {
            ChangeBody::EventActed {
                event: EventId(event),
                change: StatusChange { at, from, to, action, level: None, deadline: None, prior: None },
                by,
            }
        }),
        (any::<u32>(), -180.0..180.0f64, -90.0..90.0f64, any::<u64>(), time()).prop_map(|(w, lon, lat, e, at)| {
            ChangeBody::WorkerMoved {
                worker: WorkerId(w),
                position: LonLat { lon, lat },
                status: if e % 3 == 0 { WorkerStatus::Handling(EventId(e)) } else { WorkerStatus::Patrolling },
                at,
            }
        }),
    ];
    (any::<i64>(), body).prop_map(|(seq, body)| Change::new(seq, body))
}

/// One line of an SSE stream, well-formed or not.
#[derive(Clone, Debug)]
enum Line {
    /// `data: ` and a change.
    Change(Change),
    /// `data:` and a change's JSON with some bytes changed.
    Broken(Change, Vec<(Index, u8)>),
    /// `data:` and random text.
    Data(String),
    /// `id: n`.
    Id(i64),
    /// `event: change`.
    Event,
    /// `:` keep-alive comment.
    Comment(String),
    /// The blank line that ends an event.
    Blank,
    /// Anything at all.
    Raw(Vec<u8>),
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        4 => change().prop_map(Line::Change),
        1 => (change(), prop::collection::vec((any::<Index>(), any::<u8>()), 1..3))
            .prop_map(|(c, m)| Line::Broken(c, m)),
        1 => text().prop_map(Line::Data),
        1 => any::<i64>().prop_map(Line::Id),
        1 => Just(Line::Event),
        1 => text().prop_map(Line::Comment),
        4 => Just(Line::Blank),
        1 => prop::collection::vec(any::<u8>(), 0..24).prop_map(Line::Raw),
    ]
}

fn render(lines: &[(Line, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (line, ending) in lines {
        match line {
            Line::Change(c) => {
                out.extend(b"data: ");
                out.extend(serde_json::to_vec(c).unwrap());
            }
            Line::Broken(c, edits) => {
                let mut json = serde_json::to_vec(c).unwrap();
                for (i, b) in edits {
                    let n = json.len();
                    json[i.index(n)] = *b;
                }
                out.extend(b"data:");
                out.extend(json);
            }
            Line::Data(t) => {
                out.extend(b"data:");
                out.extend(t.as_bytes());
            }
            Line::Id(n) => out.extend(format!("id: {n}").as_bytes()),
            Line::Event => out.extend(b"event: change"),
            Line::Comment(t) => {
                out.extend(b":");
                out.extend(t.as_bytes());
            }
            Line::Blank => {}
            Line::Raw(b) => out.extend(b),
        }
        out.extend(match ending % 8 {
            0 => &b"\r\n"[..],
            1 => b"\r",
            _ => b"\n",
        });
    }
    out
}

#[test]
fn random_bytes_never_panic_and_chunking_never_matters() {
    let strategy = (prop::collection::vec(any::<u8>(), 0..512), prop::collection::vec(any::<Index>(), 0..8));
    fuzz("SSE reader, random bytes", strategy, |(bytes, cuts)| check_stream(&bytes, &cuts).map(drop));
}

#[test]
fn broken_streams_are_protocol_errors_and_the_reader_goes_on() {
    let strategy = (prop::collection::vec((line(), any::<u8>()), 0..24), prop::collection::vec(any::<Index>(), 0..12));
    fuzz("SSE reader, line streams", strategy, |(lines, cuts)| {
        let bytes = render(&lines);
        check_stream(&bytes, &cuts)?;
        // Appending one well-formed event after any stream (once a blank line has ended whatever was pending)
        // still yields that change last.
        let mut more = bytes.clone();
        more.extend(b"\n\ndata: {\"seq\":42,\"body\":{\"type\":\"worker_moved\",\"worker\":1,");
        more.extend(b"\"position\":{\"lon\":120.0,\"lat\":30.0},\"status\":\"Patrolling\",\"at\":\"2026-11-23T01:00:00Z\"}}\n\n");
        let got = check_stream(&more, &cuts)?;
        prop_assert!(matches!(got.last(), Some(Ok(Change { seq: 42, .. }))), "{:?}", got.last());
        Ok(())
    });
}

#[test]
fn what_the_server_writes_is_read_back_exactly() {
    let strategy = (
        prop::collection::vec((change(), any::<bool>(), any::<bool>()), 0..16),
        prop::collection::vec(any::<Index>(), 0..12),
    );
    fuzz("SSE reader, server streams", strategy, |(changes, cuts)| {
        // As axum writes an event (`id:`, `event:`, `data:`, blank line), with keep-alive comments between some,
        // some with CRLF line ends.
        let mut bytes = Vec::new();
        for (c, keep_alive, crlf) in &changes {
            let nl = if *crlf { "\r\n" } else { "\n" };
            if *keep_alive {
                bytes.extend(format!(":{nl}{nl}").as_bytes());
            }
            let json = serde_json::to_string(c).unwrap();
            bytes.extend(format!("id: {}{nl}event: change{nl}data: {json}{nl}{nl}", c.seq).as_bytes());
        }
        let got = check_stream(&bytes, &cuts)?;
        let want: Vec<Result<Change, ApiError>> = changes.into_iter().map(|(c, _, _)| Ok(c)).collect();
        prop_assert_eq!(got, want);
        Ok(())
    });
}
