//! v2im-server: a Tencent-Cloud-IM-REST-compatible server with SQLite storage.
//!
//! Start one in-process with [`start`] (tests use `ServerConfig::for_test`), or run the
//! `v2im-server` binary. See `server/README.md` for the endpoints, the v2im extensions and every
//! deliberate difference from Tencent's behaviour.

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod fields;
pub mod handlers;
pub mod http;
pub mod serve;
pub mod store;
pub mod tls;
pub mod validate;

pub use clock::Clock;
pub use config::{ServerConfig, TEST_SDKAPPID, TEST_SECRET_KEY};
#[doc(hidden)]
pub use serve::start_with_clock;
pub use serve::{start, RunningServer};

/// What every request handler shares.
pub struct App {
    pub auth: auth::Auth,
    pub store: store::Store,
    pub clock: Clock,
    pub auto_import: bool,
    pub files_dir: Option<std::path::PathBuf>,
    /// `https` with TLS, else `http` (for URLs the server hands out).
    pub scheme: &'static str,
    /// REST requests in progress; the writer uses it to judge whether waiting briefly for more
    /// jobs pays off.
    pub inflight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}
