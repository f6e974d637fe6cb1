//! The receiving side: with `"receive": true`, the client holds v2im-server's live channel
//! (`GET /v4/v2im/channel`, see `v2im_wire::channel`) on a thread of its own, from the moment the
//! first event listener is set until `v2im_client_free`.
//!
//! Each event is committed to the local store together with its cursor, then reported, in the
//! order the server sent them: `onRecvNewMessage`, `onRecvC2CReadReceipt`,
//! `onRecvMessageReadReceipts`, `onConversationChanged`, `onTotalUnreadMessageCountChanged`. A
//! lost connection is opened again with backoff and jitter from the last cursor, so nothing is
//! missed and nothing comes twice; with a `dataDir` that holds across restarts of the process.
//! A received message whose `onRecvNewMessage` the listener may not have had when the process
//! ended is given again at the next start, marked `"redelivered": true`.
//!
//! The client's own sends come back on the channel too (the server syncs a sender's messages to
//! its other clients); those this client sent are recognised and not reported as received.
//!
//! A line that is not an event this client can read (a message nested deeper than the JSON
//! parser goes, from an older server; a mistyped field) is skipped with an `onLog` warning, and
//! its cursor committed: reconnecting would only give the same line again, for ever.

mod events;
mod own;
mod stream;

pub(crate) use own::OwnSends;

use crate::codes::{self, Error};
use crate::config::{Config, LogLevel};
use crate::dispatch::Dispatcher;
use crate::model::msg_id;
use crate::registry::Registry;
use crate::sender::http::{backoff_between, StopSignal};
use crate::store::{Received, Store};
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use stream::Interrupt;
use v2im_wire::channel::{Event, HelloEvent};

/// First wait before connecting again; doubled per failure up to [`RETRY_MAX`].
const RETRY_BASE: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// Longest line read: a message is at most 12 KB, a merger of mergers more; far below this.
const MAX_LINE_BYTES: u64 = 8 << 20;
/// How many heartbeats may pass without a line before the channel counts as dead.
const MISSED_HEARTBEATS: u32 = 3;

/// What the channel thread works with.
pub(crate) struct Shared {
    pub base: String,
    pub sdk_app_id: u64,
    pub identifier: String,
    pub user_sig: String,
    pub user_id: String,
    pub tls: Arc<rustls::ClientConfig>,
    pub timeout: Duration,
    pub registry: Arc<Registry>,
    pub store: Arc<Store>,
    pub dispatch: Arc<Dispatcher>,
    pub own: Arc<OwnSends>,
}

impl Shared {
    pub(crate) fn new(
        cfg: &Config,
        registry: Arc<Registry>,
        store: Arc<Store>,
        dispatch: Arc<Dispatcher>,
        own: Arc<OwnSends>,
    ) -> Shared {
        Shared {
            base: cfg.server_url.clone(),
            sdk_app_id: cfg.sdk_app_id,
            identifier: cfg.identifier.clone(),
            user_sig: cfg.user_sig.clone(),
            user_id: cfg.user_id.clone(),
            tls: cfg.tls.clone(),
            timeout: cfg.request_timeout,
            registry,
            store,
            dispatch,
            own,
        }
    }

    /// The channel URL, continuing after `cursor`.
    fn url(&self, cursor: Option<u64>) -> String {
        let mut u = v2im_wire::url::rest_url(
            &self.base,
            v2im_wire::channel::PATH,
            self.sdk_app_id,
            &self.identifier,
            &self.user_sig,
            fastrand::u32(..),
        );
        u.push_str("&userID=");
        v2im_wire::url::push_query_value(&mut u, &self.user_id);
        if let Some(c) = cursor {
            u.push_str(&format!("&cursor={c}"));
        }
        u
    }
}

/// The channel thread and what stops it.
pub(crate) struct Receiver {
    stop: Arc<StopSignal>,
    interrupt: Interrupt,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Receiver {
    /// Starts the channel thread.
    pub(crate) fn start(shared: Shared) -> std::io::Result<Receiver> {
        let stop = Arc::new(StopSignal::default());
        let interrupt = Interrupt::default();
        let (s, i) = (stop.clone(), interrupt.clone());
        let thread = std::thread::Builder::new()
            .name("v2im-receive".into())
            .spawn(move || run(&shared, &s, &i))?;
        Ok(Receiver {
            stop,
            interrupt,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Ends the channel at once (a blocked read returns when its socket is shut down) and joins
    /// the thread. Idempotent.
    pub(crate) fn shutdown(&self) {
        self.stop.stop();
        self.interrupt.interrupt();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Failures after which connecting again cannot help: the server has no channel, or refuses
/// this client's credentials or account.
fn is_final(e: &Error) -> bool {
    use v2im_wire::codes as w;
    e.code == codes::V2IM_ERR_NO_CHANNEL
        || e.code == codes::ERR_INVALID_PARAMETERS
        || matches!(
            e.code,
            w::SIG_EXPIRED
                | w::SIG_EMPTY
                | w::SIG_INVALID
                | w::SIG_WRONG_KEY
                | w::SIG_IDENTIFIER_MISMATCH
                | w::SIG_SDKAPPID_MISMATCH
                | w::INVALID_SDKAPPID
                | w::ACCOUNT_OR_SIG_IN_URL
                | w::ADMIN_REQUIRED
                | w::ADMIN_REQUIRED_URL
                | w::USER_NOT_FOUND
        )
}

fn run(sh: &Shared, stop: &StopSignal, interrupt: &Interrupt) {
    let broken = Arc::new(AtomicBool::new(false));
    let mut cursor = match sh.store.channel_state() {
        Ok(s) => s.cursor,
        Err(e) => {
            connect_failed(sh, &e);
            return;
        }
    };
    events::redeliver(sh);
    let mut failures = 0u32;
    while !stop.is_stopped() {
        sh.dispatch.event("onConnecting", || json!({}));
        let outcome = stream::open(&sh.url(cursor), &sh.tls, sh.timeout, interrupt)
            .and_then(|lines| session(sh, lines, &mut cursor, &mut failures, &broken));
        if stop.is_stopped() {
            break;
        }
        let err = match outcome {
            Ok(()) => Error::new(codes::V2IM_ERR_NETWORK, "channel closed by the server"),
            Err(e) => e,
        };
        connect_failed(sh, &err);
        if is_final(&err) || broken.load(Ordering::SeqCst) {
            sh.dispatch.log(LogLevel::Error, || {
                format!(
                    "receive: the live channel stopped: {} ({}); nothing more is received \
                     by this client",
                    err.desc, err.code
                )
            });
            break;
        }
        let wait = backoff_between(failures, RETRY_BASE, RETRY_MAX);
        failures = failures.saturating_add(1);
        sh.dispatch.log(LogLevel::Info, || {
            format!(
                "receive: {} ({}); connecting again in {} ms",
                err.desc,
                err.code,
                wait.as_millis()
            )
        });
        if stop.sleep(wait) {
            break;
        }
    }
}

fn connect_failed(sh: &Shared, e: &Error) {
    sh.dispatch.event(
        "onConnectFailed",
        || json!({"code": e.code, "desc": e.desc}),
    );
}

/// The channel answer `answer` (status line, head and chunked body, as a server sends them) as
/// a fresh connection takes it: opened, each line read as an event and handled, on this thread.
#[cfg(feature = "fuzzing")]
pub(crate) fn replay(sh: &Shared, answer: Vec<u8>) -> Result<(), Error> {
    let broken = Arc::new(AtomicBool::new(false));
    let lines = stream::answered(Box::new(std::io::Cursor::new(answer)), None)?;
    session(sh, lines, &mut None, &mut 0, &broken)
}

/// One open channel, until it ends: `Ok` when the server closed it, `Err` otherwise.
fn session(
    sh: &Shared,
    mut lines: stream::Lines,
    cursor: &mut Option<u64>,
    failures: &mut u32,
    broken: &Arc<AtomicBool>,
) -> Result<(), Error> {
    let mut buf = Vec::new();
    let lost = |e: std::io::Error| {
        let code = if matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) {
            codes::ERR_REQUEST_TIME_OUT
        } else {
            codes::V2IM_ERR_NETWORK
        };
        Error::new(code, format!("channel lost: {e}"))
    };
    if !lines.next(&mut buf, MAX_LINE_BYTES).map_err(lost)? {
        return Err(Error::new(
            codes::V2IM_ERR_BAD_RESPONSE,
            "channel closed before its first line",
        ));
    }
    let (start, heartbeat) = match json_line::<Event>(&buf) {
        Ok(Event::Hello(HelloEvent {
            cursor,
            heartbeat_secs,
        })) => (cursor, heartbeat_secs),
        _ => {
            return Err(Error::new(
                codes::V2IM_ERR_BAD_RESPONSE,
                "channel: the first line is not Hello",
            ))
        }
    };
    if cursor.is_none() {
        // The first channel of this store starts "from now": remember where that was.
        sh.store.received(Received {
            msg: None,
            cursor: Some(start),
            after: None,
        });
    }
    *cursor = Some(start);
    *failures = 0;
    sh.dispatch.event("onConnectSuccess", || json!({}));
    let heartbeat = Duration::from_secs(heartbeat.clamp(1, 300));
    lines.set_read_timeout(heartbeat * MISSED_HEARTBEATS);
    let mut ctx = events::Handler::new(sh, broken.clone());
    loop {
        if !lines.next(&mut buf, MAX_LINE_BYTES).map_err(lost)? {
            return Ok(());
        }
        let event = match json_line::<Event>(&buf) {
            Ok(event) => event,
            Err(e) => {
                skip_unreadable(sh, &buf, &e, cursor);
                continue;
            }
        };
        if let Some(c) = event.cursor() {
            if c <= cursor.unwrap_or(0) {
                // Already committed (a server that repeats itself): never twice.
                continue;
            }
            *cursor = Some(c);
        }
        ctx.handle(event);
        if broken.load(Ordering::SeqCst) {
            return Err(Error::new(
                codes::ERR_IO_OPERATION_FAILED,
                "the local store could not record received messages",
            ));
        }
    }
}

/// What a line that is not a readable event still tells: its kind, its cursor and which message
/// it carries. Everything else in it is skipped unread (without a depth limit).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LineHead {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    cursor: Option<u64>,
    #[serde(default)]
    msg: Option<MsgHead>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MsgHead {
    /// C2C messages: their msgID.
    #[serde(default)]
    msg_key: Option<String>,
    #[serde(default)]
    msg_seq: Option<u64>,
    #[serde(default)]
    msg_random: Option<u32>,
    #[serde(default)]
    msg_time_stamp: Option<i64>,
}

impl MsgHead {
    fn msg_id(&self) -> Option<String> {
        if let Some(k) = &self.msg_key {
            return Some(msg_id::c2c(k));
        }
        Some(msg_id::group(
            self.msg_seq?,
            self.msg_random?,
            self.msg_time_stamp?,
        ))
    }
}

/// A line of the channel as JSON. Read as text, as every other answer is, so that each type's
/// deserializer exists once in the library (`from_slice` would be a second copy of each).
pub(crate) fn json_line<'a, T: serde::Deserialize<'a>>(line: &'a [u8]) -> serde_json::Result<T> {
    let text = std::str::from_utf8(line)
        .map_err(|e| <serde_json::Error as serde::de::Error>::custom(format!("not UTF-8: {e}")))?;
    serde_json::from_str(text)
}

/// Skips a line that is not a readable event: reported, and its cursor (when it has one past
/// ours) committed like a handled event's, so that the channel continues after it.
fn skip_unreadable(sh: &Shared, line: &[u8], e: &serde_json::Error, cursor: &mut Option<u64>) {
    let head = json_line::<LineHead>(line).ok();
    let kind = head.as_ref().and_then(|h| h.event.clone());
    let at = head.as_ref().and_then(|h| h.cursor);
    let id = head
        .as_ref()
        .and_then(|h| h.msg.as_ref())
        .and_then(MsgHead::msg_id);
    sh.dispatch.log(LogLevel::Warn, || {
        let mut what = format!("a {} event", kind.as_deref().unwrap_or("channel"));
        if let Some(id) = &id {
            what.push_str(&format!(" with message {id}"));
        }
        if let Some(c) = at {
            what.push_str(&format!(" (cursor {c})"));
        }
        format!("receive: {what} not understood, skipped: {e}")
    });
    if let Some(c) = at.filter(|&c| c > cursor.unwrap_or(0)) {
        *cursor = Some(c);
        sh.store.received(Received {
            msg: None,
            cursor: Some(c),
            after: None,
        });
    }
}
