//! The HTTP/1.1 client of the webhooks: POSTs a JSON body to one configured URL (http or https)
//! over kept-alive connections.
//!
//! Every request is bounded: connecting, sending and reading the whole answer take at most the
//! configured timeout, and an answer body larger than [`MAX_ANSWER`] is a failure. Redirects are
//! not followed (a 3xx is a failure like any other non-2xx status). A kept-alive connection the
//! peer closed meanwhile is noticed when it is used, and the request goes once more over a new
//! connection.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsConnector;

/// Largest answer body read (a before-send answer may carry a whole changed `MsgBody`).
pub(crate) const MAX_ANSWER: usize = 256 * 1024;
/// Idle connections kept per URL (they count against the file descriptors `serve` keeps aside).
const MAX_IDLE: usize = 4;
/// A connection idle longer is closed rather than reused (common servers close theirs after 5
/// to 60 s; one closed under us costs a second attempt).
const IDLE_FOR: Duration = Duration::from_secs(5);

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No connection (refused, unreachable, DNS, TLS).
    Connect(String),
    /// The whole request took longer than the timeout.
    Timeout,
    /// An answer that was not 2xx (redirects included).
    Status(u16),
    /// The exchange broke off, or the answer was larger than [`MAX_ANSWER`].
    Exchange(String),
}

impl Failure {
    /// The peer could not be reached at all (as opposed to answering badly).
    pub(crate) fn unreachable(&self) -> bool {
        matches!(self, Failure::Connect(_) | Failure::Timeout)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "cannot connect: {e}"),
            Failure::Timeout => write!(f, "no complete answer within the timeout"),
            Failure::Status(s) => write!(f, "answered HTTP {s}"),
            Failure::Exchange(e) => write!(f, "{e}"),
        }
    }
}

type Sender = SendRequest<Full<Bytes>>;

struct Idle {
    since: Instant,
    tx: Sender,
}

/// One webhook URL and its connections.
pub(crate) struct Target {
    /// As configured (for logs).
    pub(crate) url: String,
    host: String,
    port: u16,
    authority: String,
    /// Path and query of the URL; a request's own query is appended to it.
    path: String,
    tls: Option<(TlsConnector, rustls::pki_types::ServerName<'static>)>,
    timeout: Duration,
    idle: Mutex<Vec<Idle>>,
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

/// The TLS setup of https URLs: the public roots, and the certificates of `ca_file` (the flag
/// that named it is `what`).
pub(crate) fn tls_config(
    what: &str,
    ca_file: Option<&Path>,
) -> std::io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let pem =
            std::fs::read(path).map_err(|e| invalid(format!("{what} {}: {e}", path.display())))?;
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid(format!("no certificate in {}", path.display())));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Target {
    /// `url` must be `http://` or `https://` with a host; `what` names the setting in errors.
    pub(crate) fn new(
        what: &str,
        url: &str,
        timeout: Duration,
        tls: &Arc<rustls::ClientConfig>,
    ) -> std::io::Result<Target> {
        let uri: Uri = url
            .parse()
            .map_err(|e| invalid(format!("{what} {url:?}: {e}")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(invalid(format!("{what} {url:?}: not an http or https URL"))),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid(format!("{what} {url:?}: no host")))?;
        if authority.as_str().contains('@') {
            return Err(invalid(format!(
                "{what} {url:?}: user info is not supported"
            )));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err(invalid(format!("{what} {url:?}: no host")));
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls = if https {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| invalid(format!("{what} {url:?}: {e}")))?;
            Some((TlsConnector::from(tls.clone()), name))
        } else {
            None
        };
        let path = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        Ok(Target {
            url: url.to_string(),
            host,
            port,
            authority: authority.as_str().to_string(),
            path: if path.is_empty() { "/".into() } else { path },
            tls,
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The same URL with connections of its own (for another runtime: a connection's task runs
    /// where it was opened).
    pub(crate) fn fresh(&self) -> Target {
        Target {
            url: self.url.clone(),
            host: self.host.clone(),
            port: self.port,
            authority: self.authority.clone(),
            path: self.path.clone(),
            tls: self.tls.clone(),
            timeout: self.timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// POSTs `body` (JSON) with `query` appended to the URL's; the answer's body when the status
    /// is 2xx.
    pub(crate) async fn post(&self, query: Option<&str>, body: Bytes) -> Result<Bytes, Failure> {
        let path = match query {
            None => self.path.clone(),
            Some(q) if self.path.contains('?') => format!("{}&{q}", self.path),
            Some(q) => format!("{}?{q}", self.path),
        };
        match tokio::time::timeout(self.timeout, self.exchange(&path, body)).await {
            Ok(r) => r,
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn request(&self, path: &str, body: Bytes) -> Result<Request<Full<Bytes>>, Failure> {
        Request::post(path)
            .header(HOST, &self.authority)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "v2im-server")
            .body(Full::new(body))
            .map_err(|e| Failure::Exchange(format!("cannot build the request: {e}")))
    }

    async fn exchange(&self, path: &str, body: Bytes) -> Result<Bytes, Failure> {
        let (mut tx, reused) = match self.take_idle() {
            Some(tx) => (tx, true),
            None => (self.connect().await?, false),
        };
        let answer = match tx.send_request(self.request(path, body.clone())?).await {
            Ok(a) => a,
            // The peer closed the kept-alive connection before it read this request.
            Err(e) if reused && (e.is_canceled() || e.is_closed() || e.is_incomplete_message()) => {
                tx = self.connect().await?;
                tx.send_request(self.request(path, body)?)
                    .await
                    .map_err(|e| Failure::Exchange(e.to_string()))?
            }
            Err(e) => return Err(Failure::Exchange(e.to_string())),
        };
        let status = answer.status();
        let bytes = Limited::new(answer.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| Failure::Exchange(format!("reading the answer: {e}")))?
            .to_bytes();
        self.keep(tx);
        if !status.is_success() {
            return Err(Failure::Status(status.as_u16()));
        }
        Ok(bytes)
    }

    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(c) = idle.pop() {
            if c.since.elapsed() < IDLE_FOR && c.tx.is_ready() {
                return Some(c.tx);
            }
        }
        None
    }

    fn keep(&self, tx: Sender) {
        if tx.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                since: Instant::now(),
                tx,
            });
        }
    }

    async fn connect(&self) -> Result<Sender, Failure> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => handshake(TokioIo::new(tcp)).await,
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| Failure::Connect(format!("TLS: {e}")))?;
                handshake(TokioIo::new(tls)).await
            }
        }
    }
}

/// Starts HTTP/1.1 on a connection; the connection runs in a task of its own until the sender
/// is dropped or the peer closes it.
async fn handshake<I>(io: I) -> Result<Sender, Failure>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (tx, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| Failure::Connect(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("webhook connection ended: {e}");
        }
    });
    Ok(tx)
}
