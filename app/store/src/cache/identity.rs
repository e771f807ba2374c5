//! Who a queued command belongs to: a server, compared normalised, and the identity it was made under (the hash
//! of a token, and the user once known).

/// Who a queued command belongs to: the server it is for and the identity it was made under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The server's base URL, as [`normalize_server`] writes it.
    pub server: String,
    /// SHA-256 of the bearer token, lower-case hex (empty: not known, for rows queued before identities were kept).
    pub token_hash: String,
    /// The user the server says the token belongs to (`GET /v1/info`), once known.
    pub user: Option<String>,
}

impl Identity {
    /// The identity of `token` on `server`; the user is not known yet.
    pub fn new(server: &str, token: &str) -> Self {
        Self { server: normalize_server(server), token_hash: token_hash(token), user: None }
    }

    /// The first 8 hex digits of the token's hash: enough to tell tokens apart in a message, useless to an attacker.
    pub fn token_prefix(&self) -> &str {
        self.token_hash.get(..8).unwrap_or(&self.token_hash)
    }
}

/// A server URL as the cache compares it: surrounding blanks and trailing slashes removed, scheme and host in lower
/// case (`HTTP://Host:7878/` and `http://host:7878` are one server).
pub fn normalize_server(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!("{}://{}{path}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
        }
        None => url.to_string(),
    }
}

/// SHA-256 of a bearer token, lower-case hex (what the outbox stores instead of the token).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}
