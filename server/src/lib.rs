//! v2im-server: a Tencent-Cloud-IM-REST-compatible server with SQLite storage.
//!
//! Start one in-process with [`start`] (tests use `ServerConfig::for_test`), or run the
//! `v2im-server` binary. See `server/README.md` for the endpoints, the v2im extensions and every
//! deliberate difference from Tencent's behaviour.
//!
//! Only what the binary and the tests start a server with is public; everything else is
//! crate-private.
#![warn(unreachable_pub)]

pub mod admin;
mod auth;
mod channel;
mod clock;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod handlers;
mod http;
mod metrics;
mod request;
mod serve;
mod store;
mod tls;
mod validate;
mod webhook;

pub use clock::Clock;
pub use config::{defaults, ServerConfig, TEST_SDKAPPID, TEST_SECRET_KEY};
#[doc(hidden)]
pub use serve::start_with_clock;
pub use serve::{start, RunningServer};

/// What every request handler shares.
struct App {
    auth: auth::Auth,
    store: store::Store,
    auto_import: bool,
    files_dir: Option<std::path::PathBuf>,
    /// `https` with TLS, else `http` (for URLs the server hands out).
    scheme: &'static str,
    /// REST requests in progress; the writer uses it to judge whether waiting briefly for more
    /// jobs pays off.
    inflight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The open live channels.
    hub: std::sync::Arc<channel::hub::Hub>,
    /// Becomes true when the server stops (live channels end then).
    stop: tokio::sync::watch::Receiver<bool>,
    /// The live channel's heartbeat.
    heartbeat: std::time::Duration,
    /// Callbacks and push jobs.
    webhooks: std::sync::Arc<webhook::Webhooks>,
    /// What `GET /metrics` shows.
    metrics: std::sync::Arc<metrics::Metrics>,
}
