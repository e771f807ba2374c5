//! TLS: the server's certificate and the connections it encrypts (rustls with ring, the provider reqwest already
//! brings).
//!
//! - `--tls-cert PEM --tls-key PEM`: a chain and its key from files ([`load`]); a file that does not read, holds no
//!   certificate or key, or a key that does not match the certificate stops the start with the reason.
//! - `--tls-self-signed DIR`: a pilot's certificate, made once and kept ([`self_signed`]): `DIR/cert.pem` and
//!   `DIR/key.pem` (mode 0600) are reused when both exist, else made for the listen address, `localhost`,
//!   `127.0.0.1`, `::1` and the machine's name. A desk trusts it by its SHA-256 fingerprint (`pingan --pin`), which
//!   the server prints at every start ([`fingerprint`]).
//!
//! Each accepted connection is handshaken within the header timeout ([`accept`]) and then served by [`crate::conn`]
//! like a plain one, through [`Stream`]: the watchdog sees the decrypted bytes.

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What the fingerprint line starts with (stderr and the log; tests read it).
pub const FINGERPRINT_LINE: &str = "TLS certificate SHA-256 fingerprint: ";

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A PEM file that holds no usable certificate or key.
    #[error("{}: {what}", path.display())]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The chain and key do not make a TLS configuration (e.g. the key is not the certificate's).
    #[error("the certificate and key cannot be used: {0}")]
    Config(rustls::Error),
    /// The self-signed certificate could not be made.
    #[error("making a self-signed certificate: {0}")]
    Generate(rcgen::Error),
}

/// A certificate chain (leaf first) and its private key.
#[derive(Debug)]
pub struct Identity {
    /// The chain, leaf first (never empty).
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// Made at this start (`--tls-self-signed` with no kept certificate).
    pub created: bool,
}

impl Identity {
    /// The SHA-256 fingerprint of the leaf certificate, `AB:CD:…`.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.chain[0])
    }
}

/// The SHA-256 of a DER certificate as upper-case hex pairs joined by colons (as browsers and `openssl x509
/// -fingerprint -sha256` show it).
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(der);
    hash.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io { path: path.to_path_buf(), source })
}

/// Read a certificate chain and a private key from PEM files.
pub fn load(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    let bad = |path: &Path, what: String| TlsError::BadPem { path: path.to_path_buf(), what };
    let chain = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, format!("not a PEM certificate file: {e}")))?;
    if chain.is_empty() {
        return Err(bad(cert, "holds no certificate (-----BEGIN CERTIFICATE-----)".into()));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&read(key)?)
        .map_err(|e| bad(key, format!("holds no private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}")))?;
    let identity = Identity { chain, key: key_der, created: false };
    // Refuse a key that is not the certificate's now, not at the first handshake.
    server_config(&identity)?;
    Ok(identity)
}

/// The names a pilot's certificate is made for: the listen address (unless it is a wildcard), `localhost`,
/// `127.0.0.1`, `::1` and the machine's host name.
fn names(listen: SocketAddr) -> Vec<String> {
    let mut out = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    if !listen.ip().is_unspecified() {
        out.push(listen.ip().to_string());
    }
    if let Some(host) = hostname() {
        out.push(host);
    }
    out.dedup();
    out
}

/// The machine's host name, when it is a valid DNS name.
fn hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer passed.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
            return None;
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        let name = std::str::from_utf8(&buf[..end]).ok()?.to_string();
        let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        ok.then_some(name)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Write `text` to `path`, readable by its owner only when `private`.
fn write(path: &Path, text: &str, private: bool) -> Result<(), TlsError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let io = |source| TlsError::Io { path: path.to_path_buf(), source };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// The pilot's certificate kept in `dir` (`cert.pem`, `key.pem`), made for `listen` when there is none yet.
pub fn self_signed(dir: &Path, listen: SocketAddr) -> Result<Identity, TlsError> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    match (cert.exists(), key.exists()) {
        (true, true) => return load(&cert, &key),
        (true, false) | (false, true) => {
            let (there, missing) = if cert.exists() { (&cert, &key) } else { (&key, &cert) };
            return Err(TlsError::BadPem {
                path: missing.clone(),
                what: format!(
                    "is missing while {} is there: remove both to make a new certificate, or put the pair back",
                    there.display()
                ),
            });
        }
        (false, false) => {}
    }
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Io { path: dir.to_path_buf(), source })?;
    let mut params = rcgen::CertificateParams::new(names(listen)).map_err(TlsError::Generate)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "pingan-sync pilot");
    let key_pair = rcgen::KeyPair::generate().map_err(TlsError::Generate)?;
    let made = params.self_signed(&key_pair).map_err(TlsError::Generate)?;
    write(&key, &key_pair.serialize_pem(), true)?;
    write(&cert, &made.pem(), false)?;
    let mut identity = load(&cert, &key)?;
    identity.created = true;
    Ok(identity)
}

/// The server's TLS configuration for `identity` (TLS 1.2 and 1.3, HTTP/1.1).
pub fn server_config(identity: &Identity) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Handshake `socket` when `tls` is given (within `within`; `None` when it fails or takes longer), else pass it on.
pub async fn accept(socket: TcpStream, tls: Option<&Arc<rustls::ServerConfig>>, within: Duration) -> Option<Stream> {
    let Some(config) = tls else { return Some(Stream::Plain(socket)) };
    let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
    match tokio::time::timeout(within, acceptor.accept(socket)).await {
        Ok(Ok(s)) => Some(Stream::Tls(Box::new(s))),
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake failed: {e}");
            None
        }
        Err(_) => {
            tracing::debug!("TLS handshake not complete in time");
            None
        }
    }
}

/// Whether plain HTTP may be served on `listen`: always on a loopback address; elsewhere only with
/// `--insecure-http`, and then with a warning in the log.
pub fn check_plain(listen: SocketAddr, insecure_http: bool) -> Result<(), String> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    if !insecure_http {
        return Err(format!(
            "refusing to serve plain HTTP on {listen}, which is not a loopback address: tokens and data would cross \
             the network unencrypted. Use --tls-cert/--tls-key or --tls-self-signed DIR, or pass --insecure-http to \
             serve plain HTTP anyway (behind a TLS proxy, for example)"
        ));
    }
    tracing::warn!(
        "serving plain HTTP on {listen} (--insecure-http): tokens and data cross the network unencrypted unless a \
         TLS proxy sits in front"
    );
    Ok(())
}

/// A connection's byte stream: plain TCP, or TLS over it.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pilot_certificate_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let first = self_signed(dir.path(), listen).unwrap();
        assert!(first.created);
        let again = self_signed(dir.path(), listen).unwrap();
        assert!(!again.created);
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(first.fingerprint().len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_pem_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let made = self_signed(dir.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(made.created);
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = load(&junk, &dir.path().join("key.pem")).unwrap_err().to_string();
        assert!(e.contains("junk.pem") && e.contains("no certificate"), "{e}");
        let e = load(&dir.path().join("cert.pem"), &junk).unwrap_err().to_string();
        assert!(e.contains("junk.pem") && e.contains("no private key"), "{e}");
        // A key that is not the certificate's.
        let other = tempfile::tempdir().unwrap();
        self_signed(other.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let e = load(&dir.path().join("cert.pem"), &other.path().join("key.pem")).unwrap_err().to_string();
        assert!(e.contains("cannot be used"), "{e}");
    }

    #[test]
    fn plain_http_is_for_loopback_unless_asked() {
        assert!(check_plain("127.0.0.1:7878".parse().unwrap(), false).is_ok());
        assert!(check_plain("[::1]:7878".parse().unwrap(), false).is_ok());
        assert!(check_plain("0.0.0.0:7878".parse().unwrap(), false).unwrap_err().contains("--insecure-http"));
        assert!(check_plain("0.0.0.0:7878".parse().unwrap(), true).is_ok());
    }
}
