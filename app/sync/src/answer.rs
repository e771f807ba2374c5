//! The API's error answer: every answer that is not 2xx is JSON `{"error": "…"}` with a message a person can act on
//! (and a `reason` word where a client acts on it); an unexpected failure is `{"error": "internal error",
//! "incident": "ab12cd34"}` (500, or 503 `storage unavailable`) with the failure itself only in the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug)]
pub struct ApiError(
    pub(crate) StatusCode,
    pub(crate) String,
    pub(crate) Option<&'static str>,
    pub(crate) Option<String>,
);

impl ApiError {
    /// A refusal with `status` and a message a person can act on.
    pub(crate) fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        Self(status, msg.into(), None, None)
    }

    /// An unexpected failure while doing `what`: logged with its causes under a fresh incident id and answered
    /// `500 {"error":"internal error","incident":…}` (`503 storage unavailable` when the database is unreachable or
    /// busy), never with its own text.
    pub fn internal(what: &str, e: &(dyn std::error::Error + 'static)) -> Self {
        Self::incident(crate::error::Incident::log(what, e))
    }

    /// The answer to an incident already logged.
    pub fn incident(i: crate::error::Incident) -> Self {
        let status = if i.unavailable { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::INTERNAL_SERVER_ERROR };
        Self(status, i.public().to_string(), None, Some(i.id))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0.is_server_error() {
            tracing::error!("{}: {}", self.0, self.1);
        } else {
            tracing::debug!("{}: {}", self.0, self.1);
        }
        let mut body = serde_json::json!({ "error": self.1 });
        self.2.inspect(|reason| body["reason"] = (*reason).into());
        self.3.inspect(|id| body["incident"] = id.as_str().into());
        let mut r = (self.0, Json(body)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.2 == Some("unknown") {
            r.extensions_mut().insert(crate::guard::FailedLogin);
        }
        r
    }
}

/// A handler's answer.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A database failure while reading: an incident (503 when the database is unreachable or busy).
pub(crate) fn storage(e: sqlx::Error) -> ApiError {
    ApiError::internal("reading the database", &e)
}
