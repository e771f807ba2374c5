//! A typed HTTP client for `pingan-sync`'s API (reqwest), including a Server-Sent Events reader.

use futures_util::StreamExt as _;
use pingan_core::sync::{Change, ChangePage, ClientCommand, CommandResult, Seq, Snapshot};
use std::time::Duration;

/// What went wrong talking to the server.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached, or the connection broke.
    #[error("network: {0}")]
    Network(String),
    /// 401: no token, or the token is unknown or revoked.
    #[error("token refused: {0}")]
    Unauthorized(String),
    /// 403: the role does not allow it.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// 413: too big.
    #[error("too large: {0}")]
    TooLarge(String),
    /// 429: slow down.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// Another 4xx: the request itself is wrong.
    #[error("bad request ({0}): {1}")]
    Rejected(u16, String),
    /// 5xx.
    #[error("server error ({0}): {1}")]
    Server(u16, String),
    /// The answer did not parse.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The server's certificate cannot be checked as asked (`--ca` unreadable, `--pin` not a SHA-256, either for an
    /// `http://` server).
    #[error("TLS: {0}")]
    Tls(String),
}

impl ApiError {
    /// Whether trying again later may help (network trouble, server trouble, rate limit).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Server(..) | Self::RateLimited(_))
    }
}

impl From<reqwest::Error> for ApiError {
    fn from(e: reqwest::Error) -> Self {
        match crate::tls::certificate_problem(&e) {
            Some(why) => Self::Network(format!("{e}: {why}")),
            None => Self::Network(e.to_string()),
        }
    }
}

/// What a person reads for a 401: the server's `reason` in words (`expired`: "令牌已过期 (DATE)，请联系管理员",
/// `disabled`: "账号已停用"); any other 401 keeps the server's message.
pub fn refusal_words(body: &str, msg: String) -> String {
    let reason = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_string));
    match reason.as_deref() {
        Some("expired") => match msg.split_once("expired on ") {
            Some((_, date)) => format!("令牌已过期 ({})，请联系管理员", date.trim()),
            None => "令牌已过期，请联系管理员".to_string(),
        },
        Some("disabled") => "账号已停用".to_string(),
        _ => msg,
    }
}

/// A connection profile: server URL and bearer token.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
    stream_http: reqwest::Client,
}

impl Api {
    /// A client for `base` (e.g. `http://127.0.0.1:7878`) with `token`; an `https://` server is checked against the
    /// system's roots.
    pub fn new(base: &str, token: &str) -> Result<Api, ApiError> {
        Self::with_trust(base, token, &crate::tls::Trust::System)
    }

    /// The same, trusting the server's certificate as `trust` says (see [`crate::tls`]). `Err(ApiError::Tls)` when
    /// that cannot be set up.
    pub fn with_trust(base: &str, token: &str, trust: &crate::tls::Trust) -> Result<Api, ApiError> {
        let builder = || crate::tls::client_builder(base, trust).map_err(ApiError::Tls);
        let http = builder()?.connect_timeout(Duration::from_secs(3)).timeout(Duration::from_secs(60)).build()?;
        // The stream stays open: no overall timeout, but TCP keep-alive and the server's 15 s SSE keep-alive.
        let stream_http =
            builder()?.connect_timeout(Duration::from_secs(3)).tcp_keepalive(Duration::from_secs(10)).build()?;
        Ok(Api { base: base.trim_end_matches('/').to_string(), token: token.to_string(), http, stream_http })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, ApiError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let msg = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_else(|| text.clone());
        Err(match status.as_u16() {
            401 => ApiError::Unauthorized(refusal_words(&text, msg)),
            403 => ApiError::Forbidden(msg),
            413 => ApiError::TooLarge(msg),
            429 => ApiError::RateLimited(msg),
            s @ 400..=499 => ApiError::Rejected(s, msg),
            s => ApiError::Server(s, msg),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let resp = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let bytes = Self::check(resp).await?.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol(e.to_string()))
    }

    /// `GET /v1/info`.
    pub async fn info(&self) -> Result<serde_json::Value, ApiError> {
        self.get_json("/v1/info").await
    }

    /// `GET /v1/snapshot`.
    pub async fn snapshot(&self) -> Result<Snapshot, ApiError> {
        self.get_json("/v1/snapshot").await
    }

    /// `GET /v1/changes`: up to `limit` changes after `after`.
    pub async fn changes(&self, after: Seq, limit: usize) -> Result<ChangePage, ApiError> {
        self.get_json(&format!("/v1/changes?after={after}&limit={limit}")).await
    }

    /// `GET /v1/tracks`: up to `limit` of the workers' kept track points reported since `since`, seq above `after`.
    pub async fn tracks(
        &self,
        since: pingan_core::Timestamp,
        after: Seq,
        limit: usize,
    ) -> Result<ChangePage, ApiError> {
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.get_json(&format!("/v1/tracks?since={since}&after={after}&limit={limit}")).await
    }

    /// `GET /v1/events/{id}`.
    pub async fn event(&self, id: pingan_core::EventId) -> Result<pingan_core::Event, ApiError> {
        self.get_json(&format!("/v1/events/{}", id.0)).await
    }

    /// `GET /v1/district`: the district package, unless it is still `etag` (then `Ok(None)`, the server's 304).
    /// The body is read in chunks, each reported to `progress(received, total)` (`total` from Content-Length), and
    /// refused past [`MAX_PACKAGE`] bytes. Returns the package's ETag and its bytes.
    pub async fn district(
        &self,
        etag: Option<&str>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<Option<(String, Vec<u8>)>, ApiError> {
        let mut req = self.stream_http.get(format!("{}/v1/district", self.base)).bearer_auth(&self.token);
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        // No overall timeout (a big package on a slow line takes a while) but one per chunk: a stalled download fails.
        let resp = tokio::time::timeout(Duration::from_secs(30), req.send())
            .await
            .map_err(|_| ApiError::Network("district: no answer in 30 s".into()))??;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let resp = Self::check(resp).await?;
        let tag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let total = resp.content_length();
        if total.is_some_and(|t| t > MAX_PACKAGE) {
            return Err(ApiError::TooLarge(format!("the district package is {} bytes", total.unwrap_or_default())));
        }
        let mut body = resp.bytes_stream();
        let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(MAX_PACKAGE) as usize);
        progress(0, total);
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(30), body.next())
                .await
                .map_err(|_| ApiError::Network("district: the download stalled for 30 s".into()))?;
            match chunk {
                Some(Ok(c)) => {
                    if (bytes.len() + c.len()) as u64 > MAX_PACKAGE {
                        return Err(ApiError::TooLarge(format!("the district package exceeds {MAX_PACKAGE} bytes")));
                    }
                    bytes.extend_from_slice(&c);
                    progress(bytes.len() as u64, total);
                }
                Some(Err(e)) => return Err(ApiError::Network(format!("district: {e}"))),
                None => break,
            }
        }
        if total.is_some_and(|t| t != bytes.len() as u64) {
            return Err(ApiError::Network(format!("district: {} of {:?} bytes arrived", bytes.len(), total)));
        }
        Ok(Some((tag, bytes)))
    }

    /// `POST /v1/commands`.
    pub async fn send(&self, commands: &[ClientCommand]) -> Result<Vec<CommandResult>, ApiError> {
        #[derive(serde::Serialize)]
        struct Commands<'a> {
            commands: &'a [ClientCommand],
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            results: Vec<CommandResult>,
        }
        let resp = self
            .http
            .post(format!("{}/v1/commands", self.base))
            .bearer_auth(&self.token)
            .json(&Commands { commands })
            .send()
            .await?;
        let bytes = Self::check(resp).await?.bytes().await?;
        let a: Answer = serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol(e.to_string()))?;
        if a.results.len() != commands.len() {
            return Err(ApiError::Protocol(format!("{} answers for {} commands", a.results.len(), commands.len())));
        }
        Ok(a.results)
    }

    /// Open `GET /v1/stream?after=…`.
    pub async fn stream(&self, after: Seq) -> Result<ChangeStream, ApiError> {
        let resp = self
            .stream_http
            .get(format!("{}/v1/stream?after={after}", self.base))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream")
            .send()
            .await?;
        let resp = Self::check(resp).await?;
        Ok(ChangeStream { body: Box::pin(resp.bytes_stream()), parser: SseParser::new() })
    }
}

type ByteStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Changes as the server streams them (Server-Sent Events).
pub struct ChangeStream {
    body: ByteStream,
    parser: SseParser,
}

/// What the live stream brought.
#[derive(Clone, Debug, PartialEq)]
pub enum Streamed {
    /// A change.
    Change(Change),
    /// A keep-alive (an SSE comment line): the server is there, with nothing to send.
    KeepAlive,
}

impl ChangeStream {
    /// The next change; `Ok(None)` when the server closed the stream. Keep-alives are passed over.
    pub async fn next(&mut self) -> Result<Option<Change>, ApiError> {
        loop {
            match self.next_item().await? {
                Some(Streamed::Change(c)) => return Ok(Some(c)),
                Some(Streamed::KeepAlive) => {}
                None => return Ok(None),
            }
        }
    }

    /// The next change or keep-alive; `Ok(None)` when the server closed the stream.
    pub async fn next_item(&mut self) -> Result<Option<Streamed>, ApiError> {
        loop {
            // Whole events in the buffer first.
            if let Some(change) = self.parser.next_change()? {
                return Ok(Some(Streamed::Change(change)));
            }
            if self.parser.take_keep_alive() {
                return Ok(Some(Streamed::KeepAlive));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.parser.push(&chunk),
                Some(Err(e)) => return Err(ApiError::Network(format!("stream: {e}"))),
                None => return Ok(None),
            }
        }
    }
}

/// The largest district package the client downloads (a city's buildings with a basemap fit).
pub const MAX_PACKAGE: u64 = 4 << 30;

/// The largest event (or line) the stream reader holds; a server that sends more gets a protocol error.
pub const MAX_SSE_EVENT: usize = 16 << 20;

/// The pure part of the live-stream reader: splits a Server-Sent Events byte stream into [`Change`]s, however the
/// bytes are cut into chunks. Lines end in `\n` (a `\r` before it is dropped); `data:` lines are joined with `\n`
/// and a blank line ends the event, whose data must be one JSON [`Change`]; `id:` and `event:` lines carry nothing
/// needed (the seq is in the data) and are ignored, and `:` comment lines (keep-alives) only say that the server is
/// there ([`SseParser::take_keep_alive`]). Text that is not UTF-8 is read lossily.
///
/// Hand-written rather than `eventsource-stream` 0.2.3: that crate keeps an unfinished line, an event's `data` and
/// (after one invalid UTF-8 byte) everything that follows in buffers with no size limit and no way to set one, so a
/// hostile server could grow them without bound; and it is only an async `Stream` adapter, with no push-bytes API.
#[derive(Clone, Debug, Default)]
pub struct SseParser {
    /// Bytes received and not yet consumed start at `start`.
    buf: Vec<u8>,
    start: usize,
    /// Bytes from `start` to here are known to hold no newline.
    scanned: usize,
    /// The `data:` lines of the event being read.
    data: String,
    /// A keep-alive comment line was read since [`SseParser::take_keep_alive`] last asked.
    keep_alive: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Append bytes as they came from the network.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole event's change: `Ok(None)` when more bytes are needed, an error when an event's data is not a
    /// change (that event is consumed; the next call goes on after it).
    pub fn next_change(&mut self) -> Result<Option<Change>, ApiError> {
        while let Some(at) = self.buf[self.scanned..].iter().position(|b| *b == b'\n') {
            let line = self.start..self.scanned + at;
            self.start = self.scanned + at + 1;
            self.scanned = self.start;
            let line = String::from_utf8_lossy(&self.buf[line]);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    let data = std::mem::take(&mut self.data);
                    let change: Change =
                        serde_json::from_str(&data).map_err(|e| ApiError::Protocol(format!("stream: {e}")))?;
                    return Ok(Some(change));
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                if self.data.len() + d.len() > MAX_SSE_EVENT {
                    self.data.clear();
                    return Err(ApiError::Protocol(format!("stream: an event over {MAX_SSE_EVENT} bytes")));
                }
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else if line.starts_with(':') {
                // A keep-alive comment: nothing in it, but the server is there.
                self.keep_alive = true;
            }
            // `id:` and `event:` lines carry nothing we need (the seq is in the data).
        }
        self.scanned = self.buf.len();
        if self.buf.len() - self.start > MAX_SSE_EVENT {
            // A line that never ends: drop it rather than grow without bound.
            self.start = self.buf.len();
            self.scanned = self.start;
            return Err(ApiError::Protocol(format!("stream: a line over {MAX_SSE_EVENT} bytes")));
        }
        Ok(None)
    }

    /// Whether a keep-alive comment was read since the last call (the changes before it are taken first).
    pub fn take_keep_alive(&mut self) -> bool {
        std::mem::take(&mut self.keep_alive)
    }

    /// Every change in `bytes`, read as one whole stream (an unfinished last event is left out), each a change or
    /// the error its event gave.
    pub fn parse_all(bytes: &[u8]) -> Vec<Result<Change, ApiError>> {
        let mut parser = SseParser::new();
        parser.push(bytes);
        let mut out = Vec::new();
        loop {
            match parser.next_change() {
                Ok(Some(c)) => out.push(Ok(c)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::refusal_words;

    #[test]
    fn a_401_reason_reads_as_words() {
        let expired = r#"{"error":"token expired on 2026-03-01 08:00 UTC","reason":"expired"}"#;
        assert_eq!(
            refusal_words(expired, "token expired on 2026-03-01 08:00 UTC".into()),
            "令牌已过期 (2026-03-01 08:00 UTC)，请联系管理员"
        );
        let disabled = r#"{"error":"this user is disabled: ask an administrator","reason":"disabled"}"#;
        assert_eq!(refusal_words(disabled, "x".into()), "账号已停用");
        let unknown = r#"{"error":"unknown or revoked token","reason":"unknown"}"#;
        assert_eq!(refusal_words(unknown, "unknown or revoked token".into()), "unknown or revoked token");
        assert_eq!(refusal_words("not json", "not json".into()), "not json");
    }
}
