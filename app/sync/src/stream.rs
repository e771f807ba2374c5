//! `GET /v1/stream`: the log as Server-Sent Events, scoped to the reader ([`crate::scoped`]).
//!
//! Everything after the cursor (`?after=N` or `Last-Event-ID`) from the log while behind, then live from the
//! broadcast ([`crate::hub`]), and back to the log on any gap. Each event's id is its seq. A scoped reader gets each
//! change as [`crate::scoped::Pager`] gives it; when a run of changes left out grows long (or catching up ends on
//! one) they get an empty withdrawal at the last seq read, so their `Last-Event-ID` moves on and a resume does not
//! read that run again.

use crate::db::Db;
use crate::hub::Live;
use crate::scoped::{Pager, Scope};
use axum::response::sse::Event as SseEvent;
use futures_util::Stream;
use pingan_core::sync::Seq;
use std::sync::Arc;

/// A reader who has been left out of this many changes in a row gets an empty withdrawal (their cursor moves on).
const SKIPPED_RUN: Seq = 1000;

fn sse(seq: Seq, data: String) -> SseEvent {
    SseEvent::default().id(seq.to_string()).event("change").data(data)
}

/// Everything after `after` that `scope` gets (read from `db` at most `page` changes at a time), then live: from the log while behind, from the broadcast once caught
/// up, and back to the log on any gap.
pub fn live_stream(
    db: Db,
    page: i64,
    scope: Arc<Scope>,
    after: Seq,
    rx: tokio::sync::broadcast::Receiver<Live>,
) -> impl Stream<Item = Result<SseEvent, std::convert::Infallible>> {
    struct S {
        db: Db,
        page: i64,
        /// The last seq read.
        cursor: Seq,
        pager: Pager,
        rx: tokio::sync::broadcast::Receiver<Live>,
        /// Rows read from the log (at most a stream page): (seq, body, audience).
        rows: std::collections::VecDeque<crate::db::LogRow>,
        /// The broadcast batch being sent (shared with every other stream) and the next index in it.
        batch: Option<(Arc<Vec<crate::hub::LiveChange>>, usize)>,
        behind: bool,
    }
    impl S {
        /// Change `seq` as the reader gets it, or the empty withdrawal that ends a long run left out.
        fn emit(&mut self, seq: Seq, body: &str, audience: Option<&pingan_core::scope::Audience>) -> Option<SseEvent> {
            if let Some(data) = self.pager.next(seq, body, audience) {
                return Some(sse(seq, data));
            }
            if seq - self.pager.sent() >= SKIPPED_RUN {
                return self.pager.close().map(|(seq, data)| sse(seq, data));
            }
            None
        }
    }
    let init = S {
        pager: Pager::new(scope, after),
        db,
        page,
        cursor: after,
        rx,
        rows: Default::default(),
        batch: None,
        behind: true,
    };
    futures_util::stream::unfold(init, |mut s| async move {
        loop {
            // After a `resync` the reader takes a fresh snapshot and opens a new stream, in their new scope.
            if s.pager.ended() {
                return None;
            }
            if let Some((batch, mut next)) = s.batch.take() {
                let mut out = None;
                while let Some(c) = batch.get(next) {
                    next += 1;
                    if c.seq <= s.cursor {
                        continue;
                    }
                    if c.seq != s.cursor + 1 {
                        s.behind = true;
                        break;
                    }
                    s.cursor = c.seq;
                    out = s.emit(c.seq, &c.body, c.audience.as_deref());
                    if out.is_some() {
                        break;
                    }
                }
                if next < batch.len() && !s.behind {
                    s.batch = Some((batch, next));
                }
                if let Some(ev) = out {
                    return Some((Ok(ev), s));
                }
                continue;
            }
            if let Some((seq, body, audience)) = s.rows.pop_front() {
                let audience = crate::scoped::audience(audience.as_deref());
                if let Some(ev) = s.emit(seq, &body, audience.as_ref()) {
                    return Some((Ok(ev), s));
                }
                continue;
            }
            if s.behind {
                match s.db.changes_with_audience(s.cursor, s.page).await {
                    Ok(rows) if rows.is_empty() => {
                        s.behind = false;
                        // Caught up on a run left out: the reader's cursor moves to the head.
                        if let Some((seq, data)) = s.pager.close() {
                            return Some((Ok(sse(seq, data)), s));
                        }
                    }
                    Ok(rows) => {
                        s.cursor = rows.last().map_or(s.cursor, |r| r.0);
                        s.rows.extend(rows);
                    }
                    Err(e) => {
                        tracing::warn!("stream: could not read the log: {e}");
                        return None; // the client reconnects and resumes from its last id
                    }
                }
                continue;
            }
            match s.rx.recv().await {
                Ok(Live::Changes(batch)) => s.batch = Some((batch, 0)),
                Ok(Live::Wake(head)) => {
                    if head == 0 || head > s.cursor {
                        s.behind = true;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    // Too far behind the live broadcast (a reader that does not read): cut it off. The client
                    // reconnects and resumes from its last id like after any dropped connection, while the server
                    // holds nothing for it meanwhile.
                    tracing::debug!("live stream {n} messages behind at seq {}: closing it", s.cursor);
                    return None;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
