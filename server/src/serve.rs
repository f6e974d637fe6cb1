//! Binding, the accept loop (plain or TLS), and graceful shutdown.
//!
//! The server runs on its own thread with its own tokio runtime, so it can be embedded in tests
//! and programs that are not async. Shutdown: stop accepting, end the live channels, ask every
//! connection to finish its in-flight request and close, wait for them (bounded), then stop the
//! writer after it has committed everything queued. Every connection's writes are guarded: one
//! whose peer stops reading is closed (see `http::stall`).

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::auth::Auth;
use crate::channel::hub::Hub;
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::http::stall::{StallGuard, WRITE_STALL_TIMEOUT};
use crate::store::writer::WriterConfig;
use crate::store::Store;
use crate::App;

/// How long in-flight requests get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A TLS handshake that takes longer is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
        std::fs::create_dir_all(d)?;
    }
    let listener = bind(config.listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let inflight = Arc::new(AtomicUsize::new(0));
    let hub = Arc::new(Hub::new(config.channels_per_account, config.channels_total));
    let store = Store::open(
        &config.db,
        WriterConfig {
            clock: clock.clone(),
            auto_import: config.auto_import,
            group_rate: config.group_rate,
            admin: config.admin.clone(),
            inflight: inflight.clone(),
            hub: hub.clone(),
            inbox_retention_secs: i64::from(config.inbox_retention_days) * 86_400,
        },
    )?;
    let (stop, stop_rx) = watch::channel(false);
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
            rt.block_on(accept_loop(listener, router, tls, stop_rx));
            rt.shutdown_timeout(Duration::from_secs(1));
        });
    let thread = match thread {
        Ok(t) => t,
        Err(e) => {
            app.store.shutdown();
            return Err(e);
        }
    };
    tracing::info!("listening on {scheme}://{addr}");
    Ok(RunningServer {
        addr,
        url: format!("{scheme}://{addr}"),
        inner: Some(Inner { stop, thread, app }),
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
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot use the listening socket: {e}");
            return;
        }
    };
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => break,
            r = listener.accept() => match r {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_conn(stream, router.clone(), tls.clone(), stop.clone()));
                }
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

async fn serve_conn(
    stream: tokio::net::TcpStream,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    match tls {
        None => serve_io(TokioIo::new(stream), router, stop).await,
        Some(acceptor) => {
            let handshake = tokio::select! {
                r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => r,
                _ = stopped(&mut stop) => return,
            };
            match handshake {
                Ok(Ok(s)) => serve_io(TokioIo::new(s), router, stop).await,
                Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn serve_io<I>(io: I, router: Router, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let io = StallGuard::new(io, WRITE_STALL_TIMEOUT);
    let svc = hyper::service::service_fn(move |req| crate::http::handle(router.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
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
