//! Webhooks: Tencent's callbacks about messages and v2im's push jobs.
//!
//! - *Before-send* callbacks (`C2C.CallbackBeforeSendMsg`, `Group.CallbackBeforeSendMsg`) run in
//!   the request's task, before its job goes to the writer: a slow or dead callback URL holds
//!   only the requests that wait for it. The app's answer lets the message through (possibly
//!   changed), refuses it or drops it; a failed callback lets it through, as on Tencent's cloud.
//! - *After-send* callbacks and push jobs are notifications: the writer puts them in the outbox
//!   in the transaction that stores the message (`store::outbox`), and [`delivery`] sends them
//!   after the commit, with retries, at least once.

pub(crate) mod client;
pub(crate) mod delivery;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde::Serialize;
use tokio::sync::watch;
use v2im_wire::webhook::{answer, commands, query, BeforeSendMsgAnswer};
use v2im_wire::MsgElement;

use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::store::outbox::Signal;
use crate::store::writer::Hooks;
pub(crate) use client::Target;

/// A failure is logged at most this often (per kind of request), with a count of the others.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What a before-send callback decided.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Store and deliver the message, with the app's `MsgBody`/`CloudCustomData` if it gave any.
    Send {
        msg_body: Option<Vec<MsgElement>>,
        cloud_custom_data: Option<String>,
    },
    /// Refuse it with this error.
    Refuse(ApiError),
    /// Answer as if it had been sent, and neither store nor deliver it.
    Discard,
}

impl Verdict {
    fn unchanged() -> Self {
        Verdict::Send {
            msg_body: None,
            cloud_custom_data: None,
        }
    }
}

/// Logs a recurring failure at most every [`LOG_EVERY`].
#[derive(Default)]
pub(crate) struct Throttle {
    last: Mutex<Option<Instant>>,
    skipped: AtomicU64,
}

impl Throttle {
    pub(crate) fn warn(&self, msg: impl FnOnce() -> String) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *last = Some(Instant::now());
        let skipped = self.skipped.swap(0, Ordering::Relaxed);
        if skipped > 0 {
            tracing::warn!("{} ({skipped} more like it since the last report)", msg());
        } else {
            tracing::warn!("{}", msg());
        }
    }
}

/// The webhook settings and clients of one server.
pub(crate) struct Webhooks {
    sdkappid: u64,
    pub(crate) clock: Clock,
    pub(crate) callback: Option<Arc<Target>>,
    pub(crate) push: Option<Arc<Target>>,
    pub(crate) c2c_before: bool,
    pub(crate) c2c_after: bool,
    pub(crate) group_before: bool,
    pub(crate) group_after: bool,
    stop: watch::Receiver<bool>,
    /// Failed before-send callbacks and ignored changes.
    pub(crate) failed: Throttle,
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

impl Webhooks {
    /// Checks the settings (URLs, callback names, CA file); `stop` ends waits at shutdown.
    pub(crate) fn new(
        config: &ServerConfig,
        clock: Clock,
        stop: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        for c in &config.callbacks {
            if !commands::ALL.contains(&c.as_str()) {
                return Err(invalid(format!(
                    "--callbacks: unknown callback {c:?}; known: {}",
                    commands::ALL.join(", ")
                )));
            }
        }
        let timeout = Duration::from_millis(config.callback_timeout_ms.max(1));
        let tls = if config.callback_url.is_some() || config.push_url.is_some() {
            Some(client::tls_config(
                "--webhook-ca-file",
                config.webhook_ca_file.as_deref(),
            )?)
        } else {
            None
        };
        let target = |what: &str, url: &Option<String>| -> std::io::Result<Option<Arc<Target>>> {
            match (url, &tls) {
                (Some(u), Some(tls)) => Ok(Some(Arc::new(Target::new(what, u, timeout, tls)?))),
                _ => Ok(None),
            }
        };
        let callback = target("--callback-url", &config.callback_url)?;
        let push = target("--push-url", &config.push_url)?;
        let on = |c: &str| callback.is_some() && config.callbacks.iter().any(|x| x == c);
        Ok(Webhooks {
            sdkappid: config.sdkappid,
            clock,
            c2c_before: on(commands::C2C_BEFORE_SEND_MSG),
            c2c_after: on(commands::C2C_AFTER_SEND_MSG),
            group_before: on(commands::GROUP_BEFORE_SEND_MSG),
            group_after: on(commands::GROUP_AFTER_SEND_MSG),
            callback,
            push,
            stop,
            failed: Throttle::default(),
        })
    }

    /// What the writer queues in the outbox.
    pub(crate) fn hooks(&self, signal: Arc<Signal>) -> Hooks {
        Hooks {
            c2c_after: self.c2c_after,
            group_after: self.group_after,
            push: self.push.is_some(),
            signal,
        }
    }

    /// Tencent's query of a callback request.
    pub(crate) fn query(&self, command: &str, client_ip: &str) -> String {
        let mut q = format!(
            "{}={}&{}={command}&{}=json&{}=",
            query::SDKAPPID,
            self.sdkappid,
            query::CALLBACK_COMMAND,
            query::CONTENT_TYPE,
            query::CLIENT_IP
        );
        v2im_wire::url::push_query_value(&mut q, client_ip);
        q.push('&');
        q.push_str(query::OPT_PLATFORM);
        q.push('=');
        q.push_str(query::PLATFORM_REST_API);
        q
    }

    /// Runs the before-send callback `command` with `body`. `refused` is the code a refusal
    /// gets (20006 C2C, 10016 group). Any failure lets the message through, and is logged.
    pub(crate) async fn before<T: Serialize>(
        &self,
        command: &'static str,
        client_ip: &str,
        body: &T,
        refused: i32,
    ) -> Verdict {
        let Some(target) = &self.callback else {
            return Verdict::unchanged();
        };
        let json = match serde_json::to_vec(body) {
            Ok(j) => Bytes::from(j),
            Err(e) => {
                tracing::error!("{command}: cannot encode the body: {e}");
                return Verdict::unchanged();
            }
        };
        let query = self.query(command, client_ip);
        let mut stop = self.stop.clone();
        let answer = tokio::select! {
            r = target.post(Some(&query), json) => r,
            // Shutting down: the message goes on as after a timeout.
            _ = stop.wait_for(|s| *s) => return Verdict::unchanged(),
        };
        let bytes = match answer {
            Ok(b) => b,
            Err(e) => {
                self.failed
                    .warn(|| format!("{command} to {}: {e}; the message goes through", target.url));
                return Verdict::unchanged();
            }
        };
        let a: BeforeSendMsgAnswer = match serde_json::from_slice(&bytes) {
            Ok(a) => a,
            Err(e) => {
                self.failed.warn(|| {
                    format!(
                        "{command} to {}: the answer is not Tencent's ({e}): {:?}; the message \
                         goes through",
                        target.url,
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    )
                });
                return Verdict::unchanged();
            }
        };
        let info = |default: &str| {
            if a.error_info.is_empty() {
                format!("{command}: {default}")
            } else {
                format!("{command}: {}", a.error_info)
            }
        };
        match a.error_code {
            answer::ALLOW => Verdict::Send {
                msg_body: a.msg_body,
                cloud_custom_data: a.cloud_custom_data,
            },
            answer::REFUSE => Verdict::Refuse(ApiError::new(
                refused,
                info("the app's backend refused the message"),
            )),
            answer::DISCARD => Verdict::Discard,
            c if answer::CUSTOM_CODES.contains(&c) => Verdict::Refuse(ApiError::new(
                c as i32,
                info("the app's backend refused the message"),
            )),
            c => {
                self.failed.warn(|| {
                    format!(
                        "{command} to {}: ErrorCode {c} means nothing to the callback; the \
                         message goes through",
                        target.url
                    )
                });
                Verdict::unchanged()
            }
        }
    }
}
