//! Broken HTTP framing answered in JSON like every other error.
//!
//! hyper parses each request head itself and, on a head it cannot take, writes its own answer with no body and closes
//! the connection: `400` (a request line or header that does not parse), `414` (a target over 65,534 bytes) and
//! `431` (a head over its buffer, or over its header count). Two things make those JSON:
//!
//! - hyper's limits are set above ours ([`HYPER_MAX_BUF`], [`HYPER_MAX_HEADERS`]), and [`check_head`] answers a
//!   request whose target or headers pass ours (`MAX_URI`, `MAX_HEADER_BYTES`, `MAX_HEADERS`) with a JSON 414 or 431
//!   before it is routed;
//! - what is left to hyper (a request line that is not HTTP, a head beyond hyper's own limits) is written by hyper
//!   while no request is in flight, as a 4xx head without a `content-type`, which every error answer of ours has:
//!   the connection's socket wrapper hands what hyper writes while no request is in flight to [`own_answer`] and
//!   sends the JSON answer it returns instead (`conn`'s `Watched`).
//!
//! Both answers close the connection (`connection: close`), as hyper's would.

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};

/// Longest request target (path and query) taken, in bytes.
pub const MAX_URI: usize = 8 * 1024;
/// Most bytes of request headers taken (each line's name and value, and 4 bytes of framing a line).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most request header lines taken.
pub const MAX_HEADERS: usize = 100;
/// hyper's buffer for a request head (and for a response the client is slow to read), above [`MAX_HEADER_BYTES`]
/// and [`MAX_URI`] together.
pub const HYPER_MAX_BUF: usize = 128 * 1024;
/// hyper's header count, above [`MAX_HEADERS`].
pub const HYPER_MAX_HEADERS: usize = 1_000;

/// A JSON error answer that closes the connection.
pub fn error_response(status: StatusCode, msg: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": msg }).to_string();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn too_long() -> String {
    format!("the request target (path and query) is too long: at most {MAX_URI} bytes")
}

fn too_large() -> String {
    format!("the request headers are too large: at most {MAX_HEADER_BYTES} bytes in at most {MAX_HEADERS} lines")
}

/// The 414 or 431 for a request head over our limits, before it is routed; `None` when it is within them.
pub fn check_head<B>(req: &Request<B>) -> Option<Response<Body>> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI {
        return Some(error_response(StatusCode::URI_TOO_LONG, &too_long()));
    }
    let headers = req.headers();
    let bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Some(error_response(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, &too_large()));
    }
    None
}

/// When `written` (bytes hyper writes while no request is in flight) is an error answer of hyper's own — a whole
/// head with a 4xx or 5xx and no `content-type`, which every error answer of ours has, and one of ours may still be
/// on its way out after its body has been taken — the whole JSON answer to send in its place; otherwise `None`.
pub fn own_answer(written: &[u8]) -> Option<Vec<u8>> {
    let rest = written.strip_prefix(b"HTTP/1.1 ").or_else(|| written.strip_prefix(b"HTTP/1.0 "))?;
    let end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&written[..end]).to_ascii_lowercase();
    if head.contains("\r\ncontent-type:") {
        return None;
    }
    let code: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let msg = match status {
        StatusCode::URI_TOO_LONG => too_long(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => too_large(),
        _ => "malformed request: the request line or a header is not HTTP/1.1".to_string(),
    };
    let body = serde_json::json!({ "error": msg }).to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    Some([head.into_bytes(), body.into_bytes()].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_answers_become_json_and_nothing_else_is_touched() {
        let a = own_answer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").expect("rewritten");
        let text = String::from_utf8(a).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n") && head.contains("application/json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(serde_json::from_str::<serde_json::Value>(body).unwrap()["error"].is_string());
        assert!(
            String::from_utf8(own_answer(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n").unwrap())
                .unwrap()
                .starts_with("HTTP/1.1 431 ")
        );
        for other in [
            &b"HTTP/1.1 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"{\"a\":1}",
            b"HTTP/1.1 4",
            b"HTTP/1.1 400 Bad Request\r\n",
            b"HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\ncontent-length: 9\r\n\r\n",
        ] {
            assert_eq!(own_answer(other), None);
        }
    }

    #[test]
    fn a_head_over_our_limits_is_refused_before_routing() {
        let ok = Request::get("/v1/health").header("x-a", "b").body(()).unwrap();
        assert!(check_head(&ok).is_none());
        let long = Request::get(format!("/v1/health?{}", "a".repeat(MAX_URI))).body(()).unwrap();
        assert_eq!(check_head(&long).unwrap().status(), StatusCode::URI_TOO_LONG);
        let mut big = Request::get("/v1/health");
        for i in 0..40 {
            big = big.header(format!("x-{i}"), "v".repeat(1000));
        }
        assert_eq!(check_head(&big.body(()).unwrap()).unwrap().status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
}
