//! `pingan-store`: the client side of sync.
//!
//! - [`cache`]: the local SQLite cache (situation as of a seq, outbox with each command's server and identity,
//!   refused commands).
//! - [`api`]: a typed HTTP client for `pingan-sync`, with a Server-Sent Events reader.
//! - [`tls`]: which server certificates an `https://` link trusts: the system's roots, `--ca`, or `--pin`.
//! - [`link`]: the background link that keeps the cache in step with the server and sends the outbox.
//!
//! No GUI here: the desktop polls a [`link::Link`] each frame; tests and benchmarks drive it directly.

pub mod api;
pub mod cache;
pub mod link;
pub mod tls;

pub use api::{Api, ApiError};
pub use cache::{Applied, Cache, CacheError, Cached, Held, Identity, Refused, normalize_server, token_hash};
pub use link::{Link, LinkConfig, LinkState, LinkStatus, Rights, Update, Waker, wake};
pub use tls::Trust;

/// Where the cache for server `url` lives: the platform data dir (e.g. `~/.local/share/pingan/cache/`), one file
/// per server (`http://Host:7878/` and `http://host:7878` share one). `None` if the platform has no data dir.
pub fn default_cache_path(url: &str) -> Option<std::path::PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "pingan", "pingan")?;
    let name: String = normalize_server(url)
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    Some(dirs.data_dir().join("cache").join(format!("{name}.sqlite")))
}
