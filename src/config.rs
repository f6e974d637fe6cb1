//! The configuration of `v2im_client_new` (DESIGN.md, "Config"): parsed from the caller's JSON
//! object, with every default written down here and in the header.

use crate::codes::{Error, Result};
use serde_json::{Map, Value};
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
/// Lifetime of a UserSig generated from `secretKey`: 180 days.
pub const GENERATED_USERSIG_EXPIRE_SECS: i64 = 180 * 86_400;

/// Ranges accepted for the numeric keys (outside → 6017 naming the key).
const REQUEST_TIMEOUT_MS_RANGE: (u64, u64) = (100, 600_000);
const MAX_RETRIES_RANGE: (u64, u64) = (0, 10);
const MAX_QUEUE_LENGTH_RANGE: (u64, u64) = (1, 10_000_000);
const SENDER_THREADS_RANGE: (u64, u64) = (1, 64);

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

    fn parse(s: &str) -> Option<LogLevel> {
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
    pub ca_file: Option<PathBuf>,
    /// Directory of the local message store (`v2im.db`); `None` = in memory.
    pub data_dir: Option<PathBuf>,
    /// At start, resend the sends an earlier run on `data_dir` accepted but never finished
    /// (true), or mark them failed (false). Either way each gets an `onMessageStatusChanged`.
    pub resume_pending_on_start: bool,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub max_queue_length: usize,
    pub sender_threads: usize,
    pub log_level: LogLevel,
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

fn string_key(v: &Map<String, Value>, key: &str, required: bool) -> Result<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(Error::invalid_param(format!(
            "config: missing required key \"{key}\""
        ))),
        Some(Value::String(s)) if s.is_empty() && required => Err(Error::invalid_param(format!(
            "config: \"{key}\" must not be empty"
        ))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid_param(format!(
            "config: \"{key}\" must be a string"
        ))),
    }
}

fn uint_key(v: &Map<String, Value>, key: &str, range: (u64, u64), default: u64) -> Result<u64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(x) if x >= range.0 && x <= range.1 => Ok(x),
            _ => Err(Error::invalid_param(format!(
                "config: \"{key}\" must be an integer in {}..={}",
                range.0, range.1
            ))),
        },
        Some(_) => Err(Error::invalid_param(format!(
            "config: \"{key}\" must be an integer"
        ))),
    }
}

impl Config {
    /// Parses the config object. Unknown keys are ignored; a missing or mistyped key is 6017
    /// with a `desc` naming it.
    pub fn parse(v: &Map<String, Value>) -> Result<Config> {
        let sdk_app_id = match v.get("sdkAppID") {
            None | Some(Value::Null) => {
                return Err(Error::invalid_param(
                    "config: missing required key \"sdkAppID\"",
                ))
            }
            Some(Value::Number(n)) => match n.as_u64() {
                Some(x) if x > 0 => x,
                _ => {
                    return Err(Error::invalid_param(
                        "config: \"sdkAppID\" must be a positive integer",
                    ))
                }
            },
            Some(_) => {
                return Err(Error::invalid_param(
                    "config: \"sdkAppID\" must be an integer",
                ))
            }
        };
        let user_id = string_key(v, "userID", true)?.unwrap_or_default();
        let identifier = string_key(v, "identifier", false)?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| user_id.clone());
        let user_sig = match (
            string_key(v, "userSig", false)?.filter(|s| !s.is_empty()),
            string_key(v, "secretKey", false)?.filter(|s| !s.is_empty()),
        ) {
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
        let server_url =
            string_key(v, "serverUrl", false)?.unwrap_or_else(|| DEFAULT_SERVER_URL.to_string());
        check_url("serverUrl", &server_url)?;
        let server_url = server_url.trim_end_matches('/').to_string();
        let upload_url = match string_key(v, "uploadUrl", false)? {
            Some(u) => {
                check_url("uploadUrl", &u)?;
                u.trim_end_matches('/').to_string()
            }
            None => format!("{server_url}/files"),
        };
        let ca_file = string_key(v, "caFile", false)?.map(PathBuf::from);
        let data_dir = string_key(v, "dataDir", false)?
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let resume_pending_on_start = match v.get("resumePendingOnStart") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(Error::invalid_param(
                    "config: \"resumePendingOnStart\" must be a boolean",
                ))
            }
        };
        let request_timeout = Duration::from_millis(uint_key(
            v,
            "requestTimeoutMs",
            REQUEST_TIMEOUT_MS_RANGE,
            DEFAULT_REQUEST_TIMEOUT_MS,
        )?);
        let max_retries = uint_key(
            v,
            "maxRetries",
            MAX_RETRIES_RANGE,
            DEFAULT_MAX_RETRIES as u64,
        )? as u32;
        let max_queue_length = uint_key(
            v,
            "maxQueueLength",
            MAX_QUEUE_LENGTH_RANGE,
            DEFAULT_MAX_QUEUE_LENGTH as u64,
        )? as usize;
        let sender_threads = uint_key(
            v,
            "senderThreads",
            SENDER_THREADS_RANGE,
            DEFAULT_SENDER_THREADS as u64,
        )? as usize;
        let log_level = match string_key(v, "logLevel", false)? {
            None => LogLevel::Warn,
            Some(s) => LogLevel::parse(&s).ok_or_else(|| {
                Error::invalid_param(
                    "config: \"logLevel\" must be one of off, error, warn, info, debug",
                )
            })?,
        };
        let tls = tls_config(ca_file.as_deref())?;
        Ok(Config {
            sdk_app_id,
            user_id,
            identifier,
            user_sig,
            server_url,
            upload_url,
            ca_file,
            data_dir,
            resume_pending_on_start,
            request_timeout,
            max_retries,
            max_queue_length,
            sender_threads,
            log_level,
            tls,
        })
    }
}

fn check_url(key: &str, url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
        _ => Err(Error::invalid_param(format!(
            "config: \"{key}\" must be an http:// or https:// URL, got \"{url}\""
        ))),
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
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
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
        Config::parse(v.as_object().unwrap())
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
        assert!(!format!("{c:?}").contains("\"s\""));
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
