//! The configuration of `v2im_client_new`: parsed from the caller's JSON object, with every
//! default written down here and in the header. Unknown keys are refused: a typo such as
//! `serverURL` would otherwise fall back to Tencent's cloud without a word.

use crate::codes::{Error, Result};
use crate::params::{self, nonempty, Id, Int};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default REST base: Tencent's China endpoint.
pub const DEFAULT_SERVER_URL: &str = "https://console.tim.qq.com";
/// Default `requestTimeoutMs`: one HTTP attempt (connect + request + answer). Tencent's REST
/// answers within 3 s or fails, and asks clients for more than that.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Default `maxRetries`: retries of a transient failure after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default `maxQueueLength`: messages waiting to be sent.
pub const DEFAULT_MAX_QUEUE_LENGTH: usize = 100_000;
/// Default `senderThreads`: requests in flight at once (each on its own keep-alive connection).
pub const DEFAULT_SENDER_THREADS: usize = 4;
/// Largest `caFile` read: a bundle of every public root is about 250 KB.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// Lifetime of a UserSig generated from `secretKey`: 180 days.
pub const GENERATED_USERSIG_EXPIRE_SECS: i64 = 180 * 86_400;

/// `logLevel`: which `onLog` events are emitted. Ordered: a message passes when its level is at
/// most the configured one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    fn from_name(s: &str) -> Option<LogLevel> {
        Some(match s.to_ascii_lowercase().as_str() {
            "off" | "none" => LogLevel::Off,
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for LogLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LogLevel::from_name(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "must be one of off, error, warn, info, debug, got \"{s}\""
            ))
        })
    }
}

/// `synchronous`: when a commit of the local store (with `dataDir`) is on the disk. `normal`
/// (the default): in the operating system's hands when the commit returns, so it survives the
/// process being killed, not a power loss or an OS crash. `full`: fsync'd before the commit
/// returns (SQLite's `synchronous=FULL` in WAL mode), so a power loss loses nothing that was
/// accepted; every commit then waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    #[default]
    Normal,
    Full,
}

impl Synchronous {
    /// The value of SQLite's `synchronous` pragma.
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// A parsed configuration.
#[derive(Clone)]
pub struct Config {
    pub sdk_app_id: u64,
    /// Sender of every message (`From_Account`).
    pub user_id: String,
    /// The REST `identifier` (default `userID`).
    pub identifier: String,
    /// UserSig for `identifier`: given, or generated from `secretKey`.
    pub user_sig: String,
    pub server_url: String,
    pub upload_url: String,
    /// Directory of the local message store (`v2im.db`); `None` = in memory.
    pub data_dir: Option<PathBuf>,
    /// When a commit of the store in `data_dir` is on the disk.
    pub synchronous: Synchronous,
    /// Messages of the store older than this are removed once nothing needs them (sent or
    /// received and reported; never unsent ones); `None` keeps them for ever.
    pub store_retention: Option<Duration>,
    /// At start, resend the sends an earlier run on `data_dir` accepted but never finished
    /// (true), or mark them failed (false). Either way each gets an `onMessageStatusChanged`.
    pub resume_pending_on_start: bool,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub max_queue_length: usize,
    pub sender_threads: usize,
    pub log_level: LogLevel,
    /// Hold v2im-server's live channel and report received messages, receipts and conversation
    /// changes as events (from the first event listener on).
    pub receive: bool,
    /// rustls client configuration: webpki roots plus `caFile`'s certificates.
    pub tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the UserSig.
        f.debug_struct("Config")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("user_id", &self.user_id)
            .field("identifier", &self.identifier)
            .field("server_url", &self.server_url)
            .field("request_timeout", &self.request_timeout)
            .field("max_retries", &self.max_retries)
            .field("max_queue_length", &self.max_queue_length)
            .field("sender_threads", &self.sender_threads)
            .finish_non_exhaustive()
    }
}

/// The config as the caller writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigJson {
    #[serde(rename = "sdkAppID")]
    sdk_app_id: Int<1, { i64::MAX }>,
    #[serde(rename = "userID")]
    user_id: Id,
    #[serde(default, deserialize_with = "nonempty")]
    identifier: Option<String>,
    #[serde(default, deserialize_with = "nonempty")]
    user_sig: Option<String>,
    #[serde(default, deserialize_with = "nonempty")]
    secret_key: Option<String>,
    server_url: Option<String>,
    upload_url: Option<String>,
    ca_file: Option<String>,
    #[serde(default, deserialize_with = "nonempty")]
    data_dir: Option<String>,
    synchronous: Option<Synchronous>,
    store_retention_days: Option<Int<0, 36_500>>,
    resume_pending_on_start: Option<bool>,
    request_timeout_ms: Option<Int<100, 600_000>>,
    max_retries: Option<Int<0, 10>>,
    max_queue_length: Option<Int<1, 10_000_000>>,
    sender_threads: Option<Int<1, 64>>,
    log_level: Option<LogLevel>,
    receive: Option<bool>,
}

/// Every key of the config (`@extra` aside), for the reference's check.
#[cfg(test)]
pub(crate) fn keys() -> &'static [&'static str] {
    params::fields_of::<ConfigJson>()
}

impl Config {
    /// Parses the config object (its `@extra` aside). A missing, mistyped or unknown key is
    /// 6017 with a `desc` naming it.
    pub fn parse(v: &Value) -> Result<Config> {
        let c: ConfigJson = params::parse("config", v)?;
        let sdk_app_id = c.sdk_app_id.0 as u64;
        let user_id = c.user_id.0;
        let identifier = c.identifier.unwrap_or_else(|| user_id.clone());
        let user_sig = match (c.user_sig, c.secret_key) {
            (Some(sig), _) => sig,
            (None, Some(key)) => v2im_wire::usersig::gen_usersig(
                sdk_app_id,
                &key,
                &identifier,
                GENERATED_USERSIG_EXPIRE_SECS,
            ),
            (None, None) => {
                return Err(Error::invalid_param(
                    "config: one of \"userSig\" or \"secretKey\" is required",
                ))
            }
        };
        let server_url = c
            .server_url
            .unwrap_or_else(|| DEFAULT_SERVER_URL.to_string());
        check_url("serverUrl", &server_url)?;
        let server_url = server_url.trim_end_matches('/').to_string();
        let upload_url = match c.upload_url {
            Some(u) => {
                check_url("uploadUrl", &u)?;
                u.trim_end_matches('/').to_string()
            }
            None => format!("{server_url}/files"),
        };
        let tls = tls_config(c.ca_file.as_deref().map(std::path::Path::new))?;
        let int_or = |v: Option<i64>, default: u64| v.map_or(default, |i| i as u64);
        Ok(Config {
            sdk_app_id,
            user_id,
            identifier,
            user_sig,
            server_url,
            upload_url,
            data_dir: c.data_dir.map(PathBuf::from),
            synchronous: c.synchronous.unwrap_or_default(),
            store_retention: c
                .store_retention_days
                .map(|d| d.0 as u64)
                .filter(|&d| d > 0)
                .map(|d| Duration::from_secs(d * 86_400)),
            resume_pending_on_start: c.resume_pending_on_start.unwrap_or(true),
            request_timeout: Duration::from_millis(int_or(
                c.request_timeout_ms.map(|i| i.0),
                DEFAULT_REQUEST_TIMEOUT_MS,
            )),
            max_retries: int_or(c.max_retries.map(|i| i.0), DEFAULT_MAX_RETRIES.into()) as u32,
            max_queue_length: int_or(
                c.max_queue_length.map(|i| i.0),
                DEFAULT_MAX_QUEUE_LENGTH as u64,
            ) as usize,
            sender_threads: int_or(c.sender_threads.map(|i| i.0), DEFAULT_SENDER_THREADS as u64)
                as usize,
            log_level: c.log_level.unwrap_or(LogLevel::Warn),
            receive: c.receive.unwrap_or(false),
            tls,
        })
    }
}

/// A server or upload URL the connections can use: `http://` or `https://`, a host, a port,
/// a path, and no query (the library appends its own).
fn check_url(key: &str, url: &str) -> Result<()> {
    let bad = |why: String| {
        Error::invalid_param(format!(
            "config: \"{key}\" must be an http:// or https:// URL, got \"{url}\": {why}"
        ))
    };
    let u = crate::http::url::HttpUrl::parse(url).map_err(bad)?;
    match u.query {
        Some(_) => Err(bad("a query (?...) in the URL".into())),
        None => Ok(()),
    }
}

/// webpki's roots plus every certificate of `ca_file` (PEM). A missing, unreadable or
/// certificate-less file is 6017 naming it: silently falling back to the public roots would
/// turn a typo into a TLS failure much later.
fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let bad = |why: String| {
            Error::invalid_param(format!("config: caFile \"{}\": {why}", path.display()))
        };
        // A regular file within a size bound, checked before it is opened: a FIFO would block
        // v2im_client_new for ever, a device (/dev/zero) would read until memory runs out.
        let shown = path.display().to_string();
        crate::upload::check::check_file("caFile", &shown, MAX_CA_FILE_BYTES)
            .map_err(|e| Error::invalid_param(format!("config: {}", e.desc)))?;
        let mut pem = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                use std::io::Read;
                f.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut pem)
            })
            .map_err(|e| bad(e.to_string()))?;
        if pem.len() as u64 > MAX_CA_FILE_BYTES {
            return Err(bad(format!("larger than {MAX_CA_FILE_BYTES} bytes")));
        }
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| bad(format!("not PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| bad(format!("not a usable certificate: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("no PEM certificate in the file".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid_param(format!("config: TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Config> {
        Config::parse(&v)
    }

    #[test]
    fn defaults() {
        let c = parse(json!({"sdkAppID": 1400000000u64, "userID": "u1", "userSig": "s"})).unwrap();
        assert_eq!(c.identifier, "u1");
        assert_eq!(c.server_url, DEFAULT_SERVER_URL);
        assert_eq!(c.upload_url, format!("{DEFAULT_SERVER_URL}/files"));
        assert_eq!(
            c.request_timeout,
            Duration::from_millis(DEFAULT_REQUEST_TIMEOUT_MS)
        );
        assert_eq!(c.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(c.max_queue_length, DEFAULT_MAX_QUEUE_LENGTH);
        assert_eq!(c.sender_threads, DEFAULT_SENDER_THREADS);
        assert_eq!(c.log_level, LogLevel::Warn);
        assert!(c.resume_pending_on_start);
        assert!(c.data_dir.is_none());
        assert_eq!(c.synchronous, Synchronous::Normal);
        assert_eq!(c.store_retention, None);
        assert!(!format!("{c:?}").contains("\"s\""));
        let full =
            parse(json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "synchronous": "full"}))
                .unwrap();
        assert_eq!(full.synchronous, Synchronous::Full);
        let kept = |days: i64| {
            parse(json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "storeRetentionDays": days}))
                .map(|c| c.store_retention)
        };
        assert_eq!(kept(0).unwrap(), None);
        assert_eq!(kept(7).unwrap(), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(kept(-1).unwrap_err().code, 6017);
    }

    #[test]
    fn secret_key_generates_a_verifiable_sig() {
        let c = parse(
            json!({"sdkAppID": 1400000000u64, "userID": "u1", "secretKey": "k",
                             "identifier": "admin", "serverUrl": "http://127.0.0.1:9/"}),
        )
        .unwrap();
        assert_eq!(c.server_url, "http://127.0.0.1:9");
        let claims = v2im_wire::usersig::decode_usersig(&c.user_sig).unwrap();
        assert_eq!(claims.identifier, "admin");
        assert_eq!(claims.sdkappid, 1400000000);
        assert_eq!(claims.expire, GENERATED_USERSIG_EXPIRE_SECS);
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (json!({"userID": "u", "userSig": "s"}), "sdkAppID"),
            (
                json!({"sdkAppID": "1", "userID": "u", "userSig": "s"}),
                "sdkAppID",
            ),
            (json!({"sdkAppID": 1, "userSig": "s"}), "userID"),
            (
                json!({"sdkAppID": 1, "userID": 5, "userSig": "s"}),
                "userID",
            ),
            (json!({"sdkAppID": 1, "userID": "u"}), "secretKey"),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverUrl": "ftp://x"}),
                "serverUrl",
            ),
            // URLs the connections could only guess at are refused here, not on every request.
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverUrl": "http://u:p@h"}),
                "\"serverUrl\" must be an http:// or https:// URL, got \"http://u:p@h\": user information",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverUrl": "http://h:99999"}),
                "not a port",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "uploadUrl": "https://h/files?x=1"}),
                "\"uploadUrl\" must be an http:// or https:// URL, got \"https://h/files?x=1\": a query",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "uploadUrl": "http://bücher.de"}),
                "xn--",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "requestTimeoutMs": -1}),
                "requestTimeoutMs",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "senderThreads": 0}),
                "senderThreads",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "maxRetries": "3"}),
                "maxRetries",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "logLevel": "loud"}),
                "logLevel",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "resumePendingOnStart": 1}),
                "resumePendingOnStart",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "synchronous": "off"}),
                "synchronous",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "caFile": "/nonexistent/ca.pem"}),
                "/nonexistent/ca.pem",
            ),
        ];
        for (cfg, key) in cases {
            let e = parse(cfg.clone()).unwrap_err();
            assert_eq!(e.code, crate::codes::ERR_INVALID_PARAMETERS, "{cfg}");
            assert!(e.desc.contains(key), "{cfg}: {}", e.desc);
        }
    }

    #[test]
    fn unknown_keys_are_refused_with_the_closest_known_one() {
        for (cfg, want) in [
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverURL": "http://x"}),
                "config: unknown key \"serverURL\" (did you mean \"serverUrl\"?)",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "requestTimeout": 5}),
                "config: unknown key \"requestTimeout\" (did you mean \"requestTimeoutMs\"?)",
            ),
            (
                json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "colour": "blue"}),
                "config: unknown key \"colour\"",
            ),
        ] {
            let e = parse(cfg.clone()).unwrap_err();
            assert_eq!(e.code, crate::codes::ERR_INVALID_PARAMETERS, "{cfg}");
            assert_eq!(e.desc, want, "{cfg}");
        }
        // null reads as not given for the optional keys.
        let c = parse(
            json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverUrl": null,
                             "logLevel": null, "dataDir": null, "maxRetries": null}),
        )
        .unwrap();
        assert_eq!(c.server_url, DEFAULT_SERVER_URL);
    }

    #[test]
    fn ca_file_must_be_a_bounded_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut cases = vec![
            ("/dev/zero".to_string(), "not a regular file"),
            (dir.path().display().to_string(), "a directory"),
        ];
        if made.is_ok_and(|s| s.success()) {
            cases.push((fifo.display().to_string(), "not a regular file"));
        }
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'x'; (MAX_CA_FILE_BYTES + 1) as usize]).unwrap();
        cases.push((big.display().to_string(), "limit"));
        for (path, why) in cases {
            let t = std::time::Instant::now();
            let e = parse(json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "caFile": path}))
                .unwrap_err();
            assert_eq!(e.code, crate::codes::ERR_INVALID_PARAMETERS, "{path}");
            assert!(
                e.desc.contains("caFile") && e.desc.contains(why),
                "{path}: {}",
                e.desc
            );
            assert!(t.elapsed() < std::time::Duration::from_secs(2), "{path}");
        }
    }

    #[test]
    fn ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let e = parse(json!({"sdkAppID": 1, "userID": "u", "userSig": "s",
                             "caFile": p.to_str().unwrap()}))
        .unwrap_err();
        assert!(e.desc.contains("ca.pem"), "{}", e.desc);
    }
}
