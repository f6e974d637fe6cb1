//! Binding, the accept loop (plain or TLS), connection bounds, and graceful shutdown.
//!
//! The server runs on its own thread with its own tokio runtime, so it can be embedded in tests
//! and programs that are not async. Shutdown: stop accepting, end the live channels, ask every
//! connection to finish its in-flight request and close, wait for them (bounded), then stop the
//! writer after it has committed everything queued.
//!
//! Bounds, so that no client can hold what others need: at most `max_connections` connections
//! (live channels included; by default what the file-descriptor limit leaves room for), and a
//! connection over it gets a 503 and is closed, where without the cap `accept` would fail with
//! EMFILE for everyone; a request head must arrive within `header_timeout_secs` (hyper's timer,
//! idle keep-alive included); a request body that brings nothing for `body_timeout_secs` is cut
//! off, and a write that makes no progress for 60 s closes the connection (see `http::stall`).

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use v2im_wire::codes;

use crate::auth::Auth;
use crate::channel::hub::Hub;
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::http::stall::{StallGuard, WRITE_STALL_TIMEOUT};
use crate::store::outbox::Signal;
use crate::store::writer::WriterConfig;
use crate::store::Store;
use crate::webhook::Webhooks;
use crate::App;

/// How long in-flight requests get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A TLS handshake that takes longer is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// File descriptors kept for everything but connections when the cap is derived from the limit:
/// 18 at start (stdio, the listener, the runtime's epoll and wakers, the writer's and the
/// checkpointer's database, WAL and shared-memory files), 3 per pooled read connection (at most
/// 16), [`LINGERING_REFUSALS`], the webhooks' own connections (at most 12 per URL: the delivery
/// lane's and the idle ones; a before-send callback is its request's one extra file), and a
/// margin for SQLite's temporary files and the odd extra file of an upload being compared or an
/// image being made smaller.
const FD_RESERVE: u64 = 128;
/// A derived cap is never lower, however low the file limit.
const MIN_CONNECTIONS: usize = 16;
/// The cap where the file limit is unknown (not Unix).
const FALLBACK_CONNECTIONS: usize = 10_000;
/// Refused connections that read what the client sends for a moment before they close, so that
/// the close does not reset the connection before the client has read its 503; any further
/// refusal is closed at once.
const LINGERING_REFUSALS: usize = 32;
/// How long a refused connection reads at most.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// A full cap is logged at most this often.
const CAP_LOG_EVERY: Duration = Duration::from_secs(10);

/// The address a request came from (its callbacks' `ClientIP`), in each request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub(crate) Option<std::net::IpAddr>);

/// The bounds each connection is served with.
#[derive(Debug, Clone, Copy)]
struct ConnLimits {
    header_timeout: Duration,
    body_timeout: Duration,
    max: usize,
}

/// The process's soft limit of open files, where there is one.
fn nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes only the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } == 0 {
            #[allow(clippy::useless_conversion)]
            return Some(u64::from(l.rlim_cur));
        }
    }
    None
}

/// Connections a file limit leaves room for: each may hold its socket and one file (an upload
/// being written, a file being served), after [`FD_RESERVE`] for the rest of the server.
fn connections_for(nofile: u64) -> usize {
    let n = nofile.saturating_sub(FD_RESERVE) / 2;
    usize::try_from(n)
        .unwrap_or(usize::MAX)
        .clamp(MIN_CONNECTIONS, Semaphore::MAX_PERMITS)
}

/// The connection bounds of `config`, with the cap derived from the file limit unless given.
fn conn_limits(config: &ServerConfig) -> ConnLimits {
    let nofile = nofile_limit();
    let room = nofile.map_or(FALLBACK_CONNECTIONS, connections_for);
    let max = match config.max_connections {
        Some(n) => {
            if n > room && nofile.is_some() {
                tracing::warn!(
                    "--max-connections {n} is more than the file limit of {} leaves room for \
                     ({room}): the server may run out of file descriptors",
                    nofile.unwrap_or(0)
                );
            }
            n.clamp(1, Semaphore::MAX_PERMITS)
        }
        None => room,
    };
    ConnLimits {
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        body_timeout: Duration::from_secs(config.body_timeout_secs.max(1)),
        max,
    }
}

/// A server started by [`start`]. Dropping it shuts it down.
pub struct RunningServer {
    /// The address it listens on (the real port when started on port 0).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, or `https://...` with TLS.
    pub url: String,
    inner: Option<Inner>,
}

struct Inner {
    stop: watch::Sender<bool>,
    thread: JoinHandle<()>,
    /// The webhook delivery thread, when a webhook URL is set.
    delivery: Option<JoinHandle<()>>,
    app: Arc<App>,
}

impl RunningServer {
    /// Graceful stop: stops accepting, lets in-flight requests finish, flushes storage, joins its
    /// thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = inner.stop.send(true);
            if inner.thread.join().is_err() {
                tracing::error!("the server thread panicked");
            }
            // Before the writer stops: the lanes hand it what they delivered.
            if inner.delivery.is_some_and(|d| d.join().is_err()) {
                tracing::error!("the webhook delivery thread panicked");
            }
            inner.app.store.shutdown();
            tracing::info!("server on {} stopped", self.addr);
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// A listener with `SO_REUSEADDR`: a server restarted after a crash binds its old port at once,
/// although the connections the dead process had are still in TIME_WAIT (Linux refuses the bind
/// for a minute otherwise).
fn bind(addr: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// A webhook URL as the startup line shows it: scheme and host only (a query or path may carry a
/// token).
fn origin_of(url: Option<&str>) -> String {
    let Some(url) = url else {
        return "off".into();
    };
    match url.parse::<hyper::Uri>() {
        Ok(u) => format!(
            "to {}://{}/…",
            u.scheme_str().unwrap_or("?"),
            u.authority().map_or("?", |a| a.host())
        ),
        Err(_) => "to an unreadable URL".into(),
    }
}

/// Binds (so `addr` is real when this returns) and serves on a background thread with its own
/// tokio runtime.
pub fn start(config: ServerConfig) -> std::io::Result<RunningServer> {
    start_with_clock(config, Clock::system())
}

/// [`start`] with a given clock: tests use a manual clock to check UserSigs at fixed times and to
/// step through the duplicate window and rate control.
#[doc(hidden)]
pub fn start_with_clock(config: ServerConfig, clock: Clock) -> std::io::Result<RunningServer> {
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => Some(crate::tls::acceptor(c, k)?),
        (None, None) => None,
        _ => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "--tls-cert and --tls-key go together",
            ))
        }
    };
    if let Some(d) = &config.files_dir {
        std::fs::create_dir_all(d)
            .map_err(|e| crate::error::named(e, "files directory", d.display()))?;
    }
    let limits = conn_limits(&config);
    let listener =
        bind(config.listen).map_err(|e| crate::error::named(e, "--listen", config.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let inflight = Arc::new(AtomicUsize::new(0));
    let hub = Arc::new(Hub::new(config.channels_per_account, config.channels_total));
    let (stop, stop_rx) = watch::channel(false);
    let webhooks = Arc::new(Webhooks::new(&config, clock.clone(), stop_rx.clone())?);
    let signal = Arc::new(Signal::new());
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let store = Store::open(
        &config.db,
        config.synchronous_full,
        WriterConfig {
            clock: clock.clone(),
            auto_import: config.auto_import,
            group_rate: config.group_rate,
            admin: config.admin.clone(),
            inflight: inflight.clone(),
            hub: hub.clone(),
            inbox_retention_secs: i64::from(config.inbox_retention_days) * 86_400,
            hooks: webhooks.hooks(signal.clone()),
            metrics: metrics.clone(),
            gather: crate::store::writer::gather(config.synchronous_full),
        },
    )
    .map_err(|e| crate::error::named(e, "--db", config.db.display()))?;
    let app = Arc::new(App {
        auth: Auth::new(
            config.sdkappid,
            config.secret_key.clone(),
            config.admin.clone(),
            clock,
        ),
        store,
        auto_import: config.auto_import,
        files_dir: config.files_dir.clone(),
        scheme: if tls.is_some() { "https" } else { "http" },
        inflight,
        hub,
        stop: stop_rx.clone(),
        heartbeat: Duration::from_secs(config.heartbeat_secs.max(1)),
        webhooks,
        metrics,
    });
    // HTTP work spreads over the cores; the writer thread is extra and mostly waits.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(16)
        .thread_name("v2im-http")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            app.store.shutdown();
            return Err(e);
        }
    };
    let router = crate::http::router(app.clone());
    let scheme = app.scheme;
    let thread = std::thread::Builder::new()
        .name("v2im-server".into())
        .spawn(move || {
            rt.block_on(accept_loop(listener, router, tls, stop_rx, limits));
            rt.shutdown_timeout(Duration::from_secs(1));
        });
    let thread = match thread {
        Ok(t) => t,
        Err(e) => {
            app.store.shutdown();
            return Err(e);
        }
    };
    let delivery = match crate::webhook::delivery::start(&app, &signal) {
        Ok(d) => d,
        Err(e) => {
            let _ = stop.send(true);
            let _ = thread.join();
            app.store.shutdown();
            return Err(e);
        }
    };
    tracing::info!(
        "listening on {scheme}://{addr}: sdkappid {}, admin {:?}, database {} (synchronous {}), \
         accounts {}, files {}, at most {} connections, header timeout {:?}, body timeout {:?}, \
         {} live channels per account, {} in all, callbacks {}, push jobs {}",
        config.sdkappid,
        config.admin,
        config.db.display(),
        if config.synchronous_full {
            "full"
        } else {
            "normal"
        },
        if config.auto_import {
            "imported on first use"
        } else {
            "imported only"
        },
        config
            .files_dir
            .as_ref()
            .map_or("off".to_string(), |d| d.display().to_string()),
        limits.max,
        limits.header_timeout,
        limits.body_timeout,
        config.channels_per_account,
        config.channels_total,
        origin_of(config.callback_url.as_deref()),
        origin_of(config.push_url.as_deref()),
    );
    Ok(RunningServer {
        addr,
        url: format!("{scheme}://{addr}"),
        inner: Some(Inner {
            stop,
            thread,
            delivery,
            app,
        }),
    })
}

/// Resolves once shutdown has been requested (or the server handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

async fn accept_loop(
    listener: std::net::TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    limits: ConnLimits,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot use the listening socket: {e}");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(limits.max));
    let lingering = Arc::new(Semaphore::new(LINGERING_REFUSALS));
    let refusal = refusal(limits.max);
    let (mut refused, mut logged) = (0u64, None::<Instant>);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => break,
            r = listener.accept() => match r {
                Ok((stream, _peer)) => match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        let _ = stream.set_nodelay(true);
                        conns.spawn(serve_conn(
                            stream,
                            router.clone(),
                            tls.clone(),
                            stop.clone(),
                            limits,
                            slot,
                        ));
                    }
                    Err(_) => {
                        refused += 1;
                        if logged.is_none_or(|t| t.elapsed() >= CAP_LOG_EVERY) {
                            tracing::warn!(
                                "{} connections open, the cap (--max-connections): refusing \
                                 more ({refused} refused so far)",
                                limits.max
                            );
                            logged = Some(Instant::now());
                        }
                        if tls.is_none() {
                            refuse(stream, refusal.as_bytes(), &lingering, &mut conns, &stop);
                        }
                    }
                },
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
        conns.abort_all();
    }
}

/// The answer to a connection over the cap: the REST error body with HTTP 503.
fn refusal(max: usize) -> String {
    let body = crate::http::error_body(&crate::error::ApiError::new(
        codes::TOO_MANY_CONNECTIONS,
        format!("the server has {max} connections open, its limit: retry later"),
    ));
    let body = String::from_utf8_lossy(&body);
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Answers a connection over the cap and closes it, without waiting on it in the accept loop:
/// the answer fits any fresh socket's send buffer. What the client sent is read first, and for
/// a moment after (while a lingering slot is free), because closing a socket with unread input
/// resets the connection, which can destroy the answer before the client reads it.
fn refuse(
    stream: TcpStream,
    answer: &[u8],
    lingering: &Arc<Semaphore>,
    conns: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) {
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        match stream.try_read(&mut scratch) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let _ = stream.try_write(answer);
    if let Ok(slot) = lingering.clone().try_acquire_owned() {
        conns.spawn(linger(stream, slot, stop.clone()));
    }
}

/// Ends the answer (FIN) and reads what still comes until the peer closes, for at most
/// [`REFUSAL_LINGER`] and not past shutdown.
async fn linger(
    mut stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buf = [0u8; 4096];
        let mut left = 64 * 1024usize;
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            left = left.saturating_sub(n);
            if left == 0 {
                break;
            }
        }
    };
    tokio::select! {
        _ = tokio::time::timeout(REFUSAL_LINGER, drain) => {}
        _ = stopped(&mut stop) => {}
    }
}

/// Serves one connection; `_slot` is its place under the cap, freed when it ends.
async fn serve_conn(
    stream: TcpStream,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    limits: ConnLimits,
    _slot: OwnedSemaphorePermit,
) {
    let peer = ClientAddr(stream.peer_addr().ok().map(|a| a.ip()));
    match tls {
        None => serve_io(TokioIo::new(stream), router, stop, limits, peer).await,
        Some(acceptor) => {
            let handshake = tokio::select! {
                r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => r,
                _ = stopped(&mut stop) => return,
            };
            match handshake {
                Ok(Ok(s)) => serve_io(TokioIo::new(s), router, stop, limits, peer).await,
                Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn serve_io<I>(
    io: I,
    router: Router,
    mut stop: watch::Receiver<bool>,
    limits: ConnLimits,
    peer: ClientAddr,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let io = StallGuard::new(io, WRITE_STALL_TIMEOUT);
    let body_timeout = limits.body_timeout;
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
        req.extensions_mut().insert(peer);
        crate::http::handle(router.clone(), body_timeout, req)
    });
    // hyper's header timeout runs only with a timer; it covers the wait for every request's
    // head, from the connection's start and after each answer (an idle keep-alive connection),
    // never an answer being written (a live channel).
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!("connection ended: {e}");
            }
            return;
        }
        _ = stopped(&mut stop) => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_cap_leaves_the_reserve_and_a_file_per_connection() {
        assert_eq!(connections_for(256), 64);
        assert_eq!(connections_for(1024), 448);
        assert_eq!(connections_for(65_536), 32_704);
        assert_eq!(connections_for(0), MIN_CONNECTIONS);
        assert_eq!(connections_for(FD_RESERVE + 10), MIN_CONNECTIONS);
        assert_eq!(connections_for(u64::MAX), Semaphore::MAX_PERMITS);
    }

    #[test]
    fn the_refusal_is_a_complete_http_answer_with_the_rest_error_body() {
        let r = refusal(64);
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["ErrorCode"], codes::TOO_MANY_CONNECTIONS);
        assert_eq!(v["ActionStatus"], "FAIL");
    }
}
