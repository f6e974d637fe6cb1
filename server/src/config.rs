//! What a server is started with. The binary fills it from flags and environment variables;
//! tests build it with [`ServerConfig::for_test`].

use std::net::SocketAddr;
use std::path::PathBuf;

/// The secret key [`ServerConfig::for_test`] uses: the example key of Tencent's UserSig READMEs,
/// so sigs made with it in other tests and examples are recognisable.
pub const TEST_SECRET_KEY: &str =
    "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

/// The sdkappid [`ServerConfig::for_test`] uses.
pub const TEST_SDKAPPID: u64 = 1_400_000_000;

/// Everything a server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (read it back from [`crate::RunningServer::addr`]).
    pub listen: SocketAddr,
    /// SQLite database file; created (with its schema) when missing.
    pub db: PathBuf,
    /// Whether a commit is fsync'd before it is answered (`synchronous=FULL`), so that a power
    /// loss or an OS crash loses no answered message; otherwise (`synchronous=NORMAL`, the
    /// default) it is handed to the OS, which survives the server process dying.
    pub synchronous_full: bool,
    /// The app's SDKAppID: requests with another `sdkappid` are refused.
    pub sdkappid: u64,
    /// The app's secret key (UserSig HMAC key, used as UTF-8 bytes).
    pub secret_key: String,
    /// The app admin account (REST `identifier` with full rights). Default `administrator`.
    pub admin: String,
    /// Accept accounts that were never imported (they are imported on first use).
    pub auto_import: bool,
    /// Messages per second per group before Low/Normal messages are dropped; 0 = no limit.
    pub group_rate: u32,
    /// Where `PUT /files/{uuid}/{name}` stores media; `None` disables the file endpoints.
    pub files_dir: Option<PathBuf>,
    /// PEM certificate chain; with `tls_key`, the server speaks HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Live channels: a `Ping` at least this often (seconds, at least 1).
    pub heartbeat_secs: u64,
    /// Live channels one account may have open at once.
    pub channels_per_account: usize,
    /// Live channels the server keeps open at once.
    pub channels_total: usize,
    /// Inbox events (what a reconnecting channel can still get) are kept this many days; 0 keeps
    /// them for ever.
    pub inbox_retention_days: u32,
    /// A connection is closed when a request's head has not arrived whole this many seconds
    /// after the connection opened or its previous answer ended (idle keep-alive included).
    pub header_timeout_secs: u64,
    /// A request is cut off (HTTP 408) when its body brings no byte for this many seconds.
    pub body_timeout_secs: u64,
    /// Connections open at once (live channels included); more are refused with HTTP 503.
    /// `None`: derived from the process's file-descriptor limit (see `serve`).
    pub max_connections: Option<usize>,
    /// Tencent-format callbacks (webhooks) are POSTed to this `http://` or `https://` URL;
    /// `None`: no callbacks.
    pub callback_url: Option<String>,
    /// The callbacks that are on, by `CallbackCommand` (`v2im_wire::webhook::commands`).
    pub callbacks: Vec<String>,
    /// Every webhook request (callbacks and push jobs) gets at most this many milliseconds.
    pub callback_timeout_ms: u64,
    /// Offline-push jobs are POSTed to this `http://` or `https://` URL; `None`: no push jobs.
    pub push_url: Option<String>,
    /// CA certificates (PEM) trusted for `https` webhook URLs besides the public roots.
    pub webhook_ca_file: Option<PathBuf>,
}

/// Defaults of the live channel's and the connections' settings (the binary's flags too).
pub mod defaults {
    pub const HEARTBEAT_SECS: u64 = 15;
    pub const CHANNELS_PER_ACCOUNT: usize = 10;
    pub const CHANNELS_TOTAL: usize = 10_000;
    /// Tencent's offline retention, the longest `MsgLifeTime`.
    pub const INBOX_RETENTION_DAYS: u32 = 7;
    /// hyper's own default, which needs a timer to take effect.
    pub const HEADER_TIMEOUT_SECS: u64 = 30;
    pub const BODY_TIMEOUT_SECS: u64 = 30;
    /// Tencent's timeout of a before-send callback.
    pub const CALLBACK_TIMEOUT_MS: u64 = 2000;

    /// Every callback Tencent documents for messages.
    pub fn callbacks() -> Vec<String> {
        v2im_wire::webhook::commands::ALL
            .iter()
            .map(|c| c.to_string())
            .collect()
    }
}

impl ServerConfig {
    /// 127.0.0.1:0, sdkappid 1400000000, secret key [`TEST_SECRET_KEY`], admin "administrator",
    /// auto_import true, group_rate 0, no files dir, no TLS, the channel and connection
    /// [`defaults`], the connection cap derived from the file limit, and no webhooks (every
    /// callback on once `callback_url` is set).
    pub fn for_test(db: PathBuf) -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db,
            synchronous_full: false,
            sdkappid: TEST_SDKAPPID,
            secret_key: TEST_SECRET_KEY.to_string(),
            admin: "administrator".to_string(),
            auto_import: true,
            group_rate: 0,
            files_dir: None,
            tls_cert: None,
            tls_key: None,
            heartbeat_secs: defaults::HEARTBEAT_SECS,
            channels_per_account: defaults::CHANNELS_PER_ACCOUNT,
            channels_total: defaults::CHANNELS_TOTAL,
            inbox_retention_days: defaults::INBOX_RETENTION_DAYS,
            header_timeout_secs: defaults::HEADER_TIMEOUT_SECS,
            body_timeout_secs: defaults::BODY_TIMEOUT_SECS,
            max_connections: None,
            callback_url: None,
            callbacks: defaults::callbacks(),
            callback_timeout_ms: defaults::CALLBACK_TIMEOUT_MS,
            push_url: None,
            webhook_ca_file: None,
        }
    }
}
