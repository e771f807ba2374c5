//! How the desk trusts an `https://` server ([`Trust`]): the system's roots (the OS store and Mozilla's bundle), an
//! extra root from a file (`pingan --ca FILE`), or one pinned certificate (`pingan --pin SHA256`, for a pilot's
//! self-signed server: `pingan-sync --tls-self-signed` prints the fingerprint).
//!
//! A pin accepts exactly the leaf certificate whose SHA-256 it names, whatever its chain, names or dates, and still
//! checks that the server holds that certificate's key (the handshake signature). Any other certificate is refused
//! with [`PIN_MISMATCH`] in the error, which the link shows as its last problem.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// What a refused pin says (the words the desk shows).
pub const PIN_MISMATCH: &str = "证书指纹不符";

/// Which server certificates the desk accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The system's roots (and, for `http://`, nothing to check).
    #[default]
    System,
    /// The system's roots and the certificates of this PEM file (a private CA, or the server's own certificate).
    Ca(PathBuf),
    /// Exactly the server certificate with this SHA-256 (64 hex digits, colons and case as you like).
    Pin(String),
}

/// Read a SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by `:` (as `pingan-sync` prints it), with
/// an optional `sha256:` prefix.
pub fn parse_pin(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    let t = t.strip_prefix("sha256:").or_else(|| t.strip_prefix("SHA256:")).unwrap_or(t);
    let hex_digits: String = t.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
    let bytes = hex::decode(&hex_digits).map_err(|e| format!("--pin {text:?} is not hex: {e}"))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        format!("--pin {text:?} has {} bytes; a SHA-256 fingerprint has 32 (64 hex digits)", b.len())
    })
}

fn fingerprint(der: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(der).into()
}

fn colons(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The server's certificate is not the pinned one. (rustls shows it with `Debug`, so both say it in words.)
struct Mismatch {
    got: [u8; 32],
}

impl std::fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PIN_MISMATCH}: the server's certificate has SHA-256 {}, not the pinned one", colons(&self.got))
    }
}

impl std::error::Error for Mismatch {}

/// Accepts the one certificate whose SHA-256 is `pin`.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = fingerprint(end_entity);
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            let other = rustls::OtherError(Arc::new(Mismatch { got }));
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A reqwest client builder for `base` that trusts what `trust` says. `Err` with the reason when the trust cannot
/// be set up (an unreadable CA file, a pin that is not a SHA-256, a CA or pin for an `http://` server).
pub fn client_builder(base: &str, trust: &Trust) -> Result<reqwest::ClientBuilder, String> {
    let https = base.starts_with("https://");
    // The OS store is read only for an https server (it costs a few milliseconds a client).
    let builder = reqwest::Client::builder().tls_built_in_native_certs(https);
    if !https && *trust != Trust::System {
        return Err(format!("--ca and --pin are for an https:// server, not {base}"));
    }
    match trust {
        Trust::System => Ok(builder),
        Trust::Ca(file) => {
            let pem = std::fs::read(file).map_err(|e| format!("--ca {}: {e}", file.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("--ca {}: not a PEM certificate file: {e}", file.display()))?;
            if certs.is_empty() {
                return Err(format!("--ca {}: holds no certificate", file.display()));
            }
            Ok(certs.into_iter().fold(builder, |b, c| b.add_root_certificate(c)))
        }
        Trust::Pin(text) => {
            let pin = parse_pin(text)?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = Arc::new(Pinned { pin, provider: provider.clone() });
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            Ok(builder.use_preconfigured_tls(config))
        }
    }
}

/// What a failed request says about the server's certificate, when that is why it failed: the pin's refusal, or
/// rustls's reason (unknown issuer, wrong name, expired).
pub(crate) fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if text.contains(PIN_MISMATCH) {
            return Some(text.find(PIN_MISMATCH).map_or(text.clone(), |i| text[i..].trim_end_matches(')').to_string()));
        }
        if text.contains("certificate") {
            return Some(text);
        }
        next = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_reads_with_or_without_colons() {
        let hex = "AB".repeat(32);
        let pairs = vec!["ab"; 32].join(":");
        assert_eq!(parse_pin(&hex).unwrap(), [0xAB; 32]);
        assert_eq!(parse_pin(&pairs).unwrap(), [0xAB; 32]);
        assert_eq!(parse_pin(&format!("sha256:{hex}")).unwrap(), [0xAB; 32]);
        assert!(parse_pin("AB:CD").unwrap_err().contains("32"));
        assert!(parse_pin("zz").is_err());
    }

    #[test]
    fn ca_and_pin_are_for_https_only() {
        let pin = Trust::Pin("AB".repeat(32));
        assert!(client_builder("http://127.0.0.1:7878", &pin).is_err());
        assert!(client_builder("https://127.0.0.1:7878", &pin).is_ok());
        assert!(client_builder("http://127.0.0.1:7878", &Trust::System).is_ok());
        let missing = Trust::Ca("/nonexistent/ca.pem".into());
        assert!(client_builder("https://127.0.0.1:7878", &missing).unwrap_err().contains("--ca"));
    }
}
