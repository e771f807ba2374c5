//! Connections: the accept loop in front of the axum router, with the limits a server that runs for months needs.
//!
//! `axum::serve` has no timeouts and no connection cap, so a few hundred idle or one-byte-a-second clients could hold
//! every file descriptor. Here each TCP connection is served by hyper's HTTP/1 connection under a watchdog that
//! knows what the connection is doing (from its socket's reads and writes and from the requests in flight):
//!
//! | state | limit ([`ConnLimits`]) | default |
//! |---|---|---|
//! | connected, no byte of a request yet | `header_timeout` | 10 s |
//! | a request head started but not complete (slow loris) | `header_timeout` from its first byte | 10 s |
//! | between requests on a keep-alive connection | `keep_alive_timeout` | 30 s |
//! | a request body being read | `body_timeout`, enforced by the handler that reads it (408) | 30 s |
//! | a response (or a live stream) that the client does not read | `write_timeout` with no byte accepted by the socket | 30 s |
//!
//! At most `max_connections` connections are open. When a new one arrives at the cap, the connection that has been
//! idle longest (no request in flight: an idle keep-alive, a silent socket, a half-sent head) is closed to make room;
//! only when every connection is busy with a request is the newcomer answered `503` and closed. A stalled live stream
//! is therefore closed after `write_timeout`, and the client resumes from its last seq like after any reconnect.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Connection limits. See the module docs for what each one bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnLimits {
    /// Most open connections.
    pub max_connections: usize,
    /// Time allowed for a request head, from the first byte (or, on a new connection, from connecting).
    pub header_timeout: Duration,
    /// Time allowed for a whole request body.
    pub body_timeout: Duration,
    /// Time a keep-alive connection may sit between requests.
    pub keep_alive_timeout: Duration,
    /// Time a response may wait for the client to read anything.
    pub write_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 2048,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// Milliseconds since the first call (a monotonic clock that fits an atomic).
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// What one connection is doing, updated by its socket wrapper and its requests, read by its watchdog.
#[derive(Debug)]
struct ConnState {
    /// Requests whose response has not been fully sent.
    in_flight: AtomicU32,
    /// Requests started on this connection.
    served: AtomicU64,
    /// When the connection last became idle (opened, or its last response finished).
    idle_since: AtomicU64,
    /// First byte of a request head read while idle (0: none).
    head_started: AtomicU64,
    /// Since when a write has found the socket full (0: not blocked).
    write_blocked_since: AtomicU64,
    /// Wakes the watchdog when the state changes in a way that brings a deadline closer.
    changed: Notify,
    /// Tells the connection to close now.
    kill: Notify,
}

impl ConnState {
    fn new() -> Self {
        Self {
            in_flight: AtomicU32::new(0),
            served: AtomicU64::new(0),
            idle_since: AtomicU64::new(now_ms()),
            head_started: AtomicU64::new(0),
            write_blocked_since: AtomicU64::new(0),
            changed: Notify::new(),
            kill: Notify::new(),
        }
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// The next instant (ms) at which the connection expires, and why; re-evaluated when it arrives.
    fn deadline(&self, limits: &ConnLimits) -> (u64, &'static str) {
        let ms = |d: Duration| d.as_millis() as u64;
        let blocked = self.write_blocked_since.load(Ordering::Acquire);
        let mut best = if blocked != 0 {
            (blocked + ms(limits.write_timeout), "the client stopped reading the response")
        } else {
            (u64::MAX, "")
        };
        if self.is_idle() {
            let head = self.head_started.load(Ordering::Acquire);
            let candidate = if head != 0 {
                (head + ms(limits.header_timeout), "the request head was not complete in time")
            } else if self.served.load(Ordering::Acquire) == 0 {
                (self.idle_since.load(Ordering::Acquire) + ms(limits.header_timeout), "no request arrived in time")
            } else {
                (self.idle_since.load(Ordering::Acquire) + ms(limits.keep_alive_timeout), "idle keep-alive")
            };
            if candidate.0 < best.0 {
                best = candidate;
            }
        } else if best.0 == u64::MAX {
            // Busy and writing fine: look again after a write timeout.
            best = (now_ms() + ms(limits.write_timeout), "");
        }
        best
    }
}

/// Counts a request in flight until its response body is dropped (sent, or the connection closed).
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn start(state: &Arc<ConnState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        state.served.fetch_add(1, Ordering::AcqRel);
        state.head_started.store(0, Ordering::Release);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle_since.store(now_ms(), Ordering::Release);
            self.0.changed.notify_one();
        }
    }
}

/// A response body that keeps its request counted as in flight.
struct Guarded {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, watched: reads and writes update the connection's state.
struct Watched {
    io: crate::tls::Stream,
    state: Arc<ConnState>,
    /// hyper's own answer to a head it could not parse, being replaced by a JSON one: its bytes and how many are
    /// sent (see [`crate::framing`]).
    own: Option<(Vec<u8>, usize)>,
}

impl Watched {
    fn wrote(&self, r: &Poll<std::io::Result<usize>>) {
        match r {
            Poll::Pending => {
                if self.state.write_blocked_since.load(Ordering::Acquire) == 0 {
                    self.state.write_blocked_since.store(now_ms(), Ordering::Release);
                    self.state.changed.notify_one();
                }
            }
            Poll::Ready(_) => self.state.write_blocked_since.store(0, Ordering::Release),
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before && this.state.is_idle() {
            // The first byte of the next request head: the header timeout runs from here.
            if this.state.head_started.load(Ordering::Acquire) == 0 {
                this.state.head_started.store(now_ms(), Ordering::Release);
                this.state.changed.notify_one();
            }
        }
        r
    }
}

impl Watched {
    /// Whether `buf` is (the rest of) hyper's own error answer: written while no request is in flight.
    fn is_own_answer(&mut self, buf: &[u8]) -> bool {
        if self.own.is_none() && self.state.is_idle() {
            self.own = crate::framing::own_answer(buf).map(|b| (b, 0));
        }
        self.own.is_some()
    }

    /// Send the JSON answer in place of hyper's `buf`, and tell hyper all of `buf` went.
    fn poll_own_answer(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        while let Some((bytes, sent)) = self.own.as_mut() {
            if *sent == bytes.len() {
                self.own = None;
                return Poll::Ready(Ok(buf.len()));
            }
            let r = Pin::new(&mut self.io).poll_write(cx, &bytes[*sent..]);
            match r {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
            self.wrote(&r);
            if r.is_pending() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(buf.len()))
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.is_own_answer(buf) {
            return this.poll_own_answer(cx, buf);
        }
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(&r);
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && this.is_own_answer(first)
        {
            return this.poll_own_answer(cx, first);
        }
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Every open connection, to pick one to close at the cap.
#[derive(Default)]
struct Registry {
    next_id: u64,
    open: HashMap<u64, Arc<ConnState>>,
}

/// Counters for `/v1/health` and the benchmarks.
#[derive(Debug, Default)]
pub struct ConnStats {
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections closed by a timeout.
    pub timed_out: AtomicU64,
    /// Idle connections closed to make room at the cap.
    pub evicted: AtomicU64,
    /// Connections refused with 503 at the cap.
    pub refused: AtomicU64,
}

/// The counters of this process.
pub fn stats() -> &'static ConnStats {
    static STATS: OnceLock<ConnStats> = OnceLock::new();
    STATS.get_or_init(ConnStats::default)
}

/// Raise the soft limit on open files to the hard limit (Linux), so that the connection cap, not the default soft
/// limit of 1,024 descriptors, decides; returns the limit in force.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let want = libc::rlimit { rlim_cur: lim.rlim_max.min(1 << 20), rlim_max: lim.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    lim = want;
                }
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
        Some(lim.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Serve `router` on `listener` under `limits` until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnLimits) -> std::io::Result<()> {
    serve_with(listener, router, limits, None).await
}

/// The same, over TLS when `tls` is given (each connection handshaken within the header timeout, see [`crate::tls`]).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    mut limits: ConnLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<()> {
    if let Some(fds) = raise_fd_limit() {
        // Leave room for the database, logs and the listener.
        let fit = (fds.saturating_sub(64)) as usize;
        if limits.max_connections > fit {
            tracing::warn!(
                "the open-file limit is {fds}: at most {fit} connections instead of {}",
                limits.max_connections
            );
            limits.max_connections = fit.max(1);
        }
    }
    let registry = Arc::new(Mutex::new(Registry::default()));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors or a transient error: do not spin.
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        socket.set_nodelay(true).ok();
        let state = Arc::new(ConnState::new());
        let id = {
            let Ok(mut reg) = registry.lock() else { continue };
            if reg.open.len() >= limits.max_connections {
                // Close the connection idle the longest, if any (idle since the same millisecond: the one accepted
                // first — the map's order is random, and connections opened in a burst share their millisecond).
                let victim = reg
                    .open
                    .iter()
                    .filter(|(_, s)| s.is_idle())
                    .min_by_key(|(id, s)| (s.idle_since.load(Ordering::Acquire), **id))
                    .map(|(id, s)| (*id, s.clone()));
                match victim {
                    Some((vid, v)) => {
                        reg.open.remove(&vid);
                        v.kill.notify_one();
                        stats().evicted.fetch_add(1, Ordering::Relaxed);
                    }
                    None => {
                        stats().refused.fetch_add(1, Ordering::Relaxed);
                        tokio::spawn(refuse(socket));
                        continue;
                    }
                }
            }
            reg.next_id += 1;
            let id = reg.next_id;
            reg.open.insert(id, state.clone());
            id
        };
        stats().open.fetch_add(1, Ordering::Relaxed);
        let (router, registry, tls) = (router.clone(), registry.clone(), tls.clone());
        tokio::spawn(async move {
            serve_connection(socket, peer, router, state, limits, tls).await;
            if let Ok(mut reg) = registry.lock() {
                reg.open.remove(&id);
            }
            stats().open.fetch_sub(1, Ordering::Relaxed);
            tracing::trace!("connection from {peer} closed");
        });
    }
}

/// Answer 503 to a connection that arrived while every slot is busy, then close it.
async fn refuse(mut socket: TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    let body = r#"{"error":"the server is at its connection limit: try again shortly"}"#;
    let msg = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    tokio::time::timeout(Duration::from_secs(1), socket.write_all(msg.as_bytes())).await.ok();
}

/// Serve one connection. Each request carries `ConnectInfo(peer)`, as `axum::serve` with
/// `into_make_service_with_connect_info::<SocketAddr>()` would put it (the failed-login guard reads it).
async fn serve_connection(
    socket: TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    state: Arc<ConnState>,
    limits: ConnLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let Some(socket) = crate::tls::accept(socket, tls.as_ref(), limits.header_timeout).await else { return };
    let io = hyper_util::rt::TokioIo::new(Watched { io: socket, state: state.clone(), own: None });
    let svc_state = state.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let in_flight = InFlight::start(&svc_state);
        let mut router = router.clone();
        async move {
            // A target or headers over our limits: a JSON 414 or 431 (hyper's own limits are set above these).
            let resp = match crate::framing::check_head(&req) {
                Some(refused) => Ok(refused),
                None => tower_service::Service::call(&mut router, req.map(Body::new)).await,
            };
            Ok::<_, std::convert::Infallible>(match resp {
                Ok(r) => r.map(|inner| Body::new(Guarded { inner, _in_flight: in_flight })),
                Err(never) => match never {},
            })
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        // Bounds what one connection buffers: a request head, and a response the client is slow to read. Above our
        // own head limits, so that those answer first, in JSON (`crate::framing`).
        .max_buf_size(crate::framing::HYPER_MAX_BUF)
        .max_headers(crate::framing::HYPER_MAX_HEADERS)
        .serve_connection(io, service);
    tokio::pin!(conn);
    loop {
        let (deadline, _) = state.deadline(&limits);
        let wait = Duration::from_millis(deadline.saturating_sub(now_ms()));
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            _ = state.kill.notified() => return,
            _ = state.changed.notified() => {}
            _ = tokio::time::sleep(wait) => {
                let (deadline, why) = state.deadline(&limits);
                if deadline <= now_ms() && !why.is_empty() {
                    tracing::debug!("closing a connection: {why}");
                    stats().timed_out.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}
