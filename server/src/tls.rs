//! HTTPS: a rustls acceptor (ring provider) from PEM files.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

/// Loads a certificate chain and its private key.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> std::io::Result<TlsAcceptor> {
    let open = |flag: &str, p: &Path| {
        std::fs::File::open(p)
            .map(std::io::BufReader::new)
            .map_err(|e| crate::error::named(e, flag, p.display()))
    };
    let certs = rustls_pemfile::certs(&mut open("--tls-cert", cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("--tls-cert {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("no certificate in {}", cert.display())));
    }
    let key = rustls_pemfile::private_key(&mut open("--tls-key", key)?)
        .map_err(|e| invalid(format!("--tls-key {}: {e}", key.display())))?
        .ok_or_else(|| invalid(format!("no private key in {}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("TLS certificate/key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
