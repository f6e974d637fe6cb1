//! Making and releasing a client, and its event listener.

use super::checks::{boundary, json_object, read_str};
use super::types::{v2im_callback, v2im_client, v2im_event_callback, v2im_free_fn};
use crate::callback::{EventSink, ResultCallback, UserData};
use crate::client::Client;
use crate::codes;
use crate::config::{Config, LogLevel};
use crate::result;
use serde_json::json;
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Creates a client from a JSON configuration object and starts its threads (one callback
/// thread and `senderThreads` HTTP workers).
///
/// Configuration keys (any other key is refused with 6017 naming it):
/// - `sdkAppID` (integer, required);
/// - `userID` (string, required): the sender of every message;
/// - `userSig` or `secretKey` (string, one required): a ready UserSig for `identifier`, or the
///   app's secret key from which the library makes one valid for 180 days (server-side use);
///   `userSig` is used when both are given;
/// - `identifier` (string): the REST `identifier`; default `userID`;
/// - `serverUrl` (string): REST base URL; default "https://console.tim.qq.com";
///   "http://127.0.0.1:PORT" for a local v2im-server;
/// - `uploadUrl` (string): where media bytes go (HTTP PUT `{uploadUrl}/{uuid}/{name}` with the
///   REST query, streamed); default `serverUrl` + "/files";
/// - `caFile` (string): a PEM file whose certificates are trusted in addition to the built-in
///   web PKI roots (e.g. a self-signed local server); a missing file or one without a
///   certificate fails with 6017 naming it;
/// - `dataDir` (string): directory of the local message store, one SQLite file `v2im.db`
///   (created with the directory if missing). Every created message, its status, options,
///   `localCustomData` and send outcome are kept there and survive restarts (findMessages,
///   setLocalCustomData, resending a failed message all see earlier runs). A message is
///   committed there before sendMessage returns 0, so a process crash never loses an accepted
///   message. One client per `dataDir` at a time: a second one (any process) fails with
///   V2IM_ERR_DATA_DIR_IN_USE. A directory that cannot be created or a file that cannot be
///   opened: 6022. Sends still queued at v2im_client_free complete with V2IM_ERR_SHUTTING_DOWN
///   and are stored as failed (they can be sent again; they are not resumed). Absent = no
///   store at all: messages live in memory only, for the life of the client;
/// - `synchronous` ("normal" or "full", default "normal"): with `dataDir`, when a store commit is
///   on the disk: "normal" hands it to the OS before the commit returns (it survives the
///   process being killed, not a power loss); "full" fsyncs it first (it survives a power
///   loss too), at the cost of a disk flush per commit, which an accepted sendMessage waits for;
/// - `storeRetentionDays` (0-36500, default 0 = for ever): with `dataDir`, messages older than
///   this are removed from the store (at open, then hourly) once nothing needs them: sent, or
///   received and reported; messages not sent (created, queued, in flight, failed) never are;
/// - `resumePendingOnStart` (bool, default true): with `dataDir`, what happens to sends an
///   earlier run accepted but never finished (its process died): true = they are sent again,
///   in their old order, with their old MsgRandom/Random and MsgSeq, so the server keeps one
///   copy; false = they are marked failed (status 3, V2IM_ERR_NOT_RESUMED). Either way each
///   such message gets `onMessageStatusChanged` events (see v2im_set_event_callback) — never a
///   result callback, as the one it had died with the old process — and findMessages shows its
///   state at any time;
/// - `requestTimeoutMs` (100..600000, default 10000): deadline of one HTTP attempt;
/// - `maxRetries` (0..10, default 3): retries of a transient failure (network error, timeout,
///   HTTP 5xx, a server code Tencent marks as temporary), with backoff from 100 ms doubling up
///   to 2 s, jittered; the same MsgRandom is sent again so the server drops duplicates;
/// - `maxQueueLength` (1..10000000, default 100000): requests waiting to be sent;
/// - `senderThreads` (1..64, default 4): requests in flight at once;
/// - `logLevel` ("off", "error", "warn", "info", "debug"; default "warn"): which onLog events
///   are emitted;
/// - `receive` (bool, default false): hold v2im-server's live channel and report what arrives
///   as events (see v2im_set_event_callback); it opens when the first event listener is set.
///   Tencent's cloud has no such channel: there `onConnectFailed` reports
///   V2IM_ERR_NO_CHANNEL once. Unknown keys are refused with 6017 naming them.
///
/// Returns 0 and writes the new handle to `*out_client`, or returns a non-zero code and leaves
/// `*out_client` untouched:
/// - `out_client` or `config_json` NULL, or `config_json` longer than 8 MiB: 6017, and `cb` is
///   not called;
/// - `config_json` not UTF-8 or not a JSON object: 6027, and `cb` is not called;
/// - a missing or mistyped key, or a key given twice: 6017, and `cb` is called with a `desc`
///   naming the key;
/// - `dataDir` unusable: 6022; in use by another client: V2IM_ERR_DATA_DIR_IN_USE; `cb` is
///   called with a `desc` naming the path.
///
/// `cb` (may be NULL) is called synchronously, on the calling thread, before this function
/// returns, whenever the configuration could be read: with `{"code": 0, "desc": "", "data":
/// {"version", "userID", "sdkAppID", "serverUrl"}}` on success, or the failure. `"@extra"` in
/// the configuration is echoed.
///
/// May be called from any thread. The caller owns the returned handle and must release it with
/// v2im_client_free. Several clients may live in one process.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string, borrowed for the duration of the call.
/// `out_client` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn v2im_client_new(
    config_json: *const c_char,
    out_client: *mut *mut v2im_client,
    cb: v2im_callback,
    user_data: *mut c_void,
) -> i32 {
    boundary(None, || {
        if out_client.is_null() {
            return Err(codes::ERR_INVALID_PARAMETERS);
        }
        // SAFETY: NULL or a NUL-terminated string borrowed for this call (documented above).
        let text = unsafe { read_str(config_json, codes::ERR_INVALID_JSON) }?;
        let mut config = json_object(text)?;
        if let Some(c) = config.as_object_mut() {
            c.remove(crate::api::EXTRA_KEY);
        }
        // Repeated keys are refused, and `@extra` echoed as written, as for a method's params.
        let mut params = crate::params::Params::parse(text).unwrap_or_default();
        let repeated = params.refuse_repeated_keys("config");
        let extra = params.take(crate::api::EXTRA_KEY);
        let cb = ResultCallback::new(cb, UserData(user_data));
        match repeated
            .and_then(|()| Config::parse(&config))
            .and_then(Client::start)
        {
            Err(e) => {
                let json = result::failure(&e, &serde_json::Value::Null, extra);
                cb.run(e.code, json.as_cstr());
                Err(e.code)
            }
            Ok(client) => {
                let cfg = client.config();
                let data = json!({
                    "version": env!("CARGO_PKG_VERSION"),
                    "userID": cfg.user_id,
                    "sdkAppID": cfg.sdk_app_id,
                    "serverUrl": cfg.server_url,
                });
                let json = result::envelope(codes::OK, "", &data, extra);
                let ptr = Box::into_raw(Box::new(v2im_client { client }));
                // SAFETY: checked non-NULL above; the caller provides writable storage.
                unsafe { *out_client = ptr };
                cb.run(codes::OK, json.as_cstr());
                Ok(())
            }
        }
    })
}

/// Shuts a client down and frees it. NULL is a no-op.
///
/// In order: stops accepting calls (they return V2IM_ERR_SHUTTING_DOWN); completes every request
/// still queued with V2IM_ERR_SHUTTING_DOWN, on the callback thread; lets each request already in
/// flight finish its current HTTP attempt (no further retries), so this waits at most about
/// `requestTimeoutMs` (default 10 s) plus the time the pending callbacks take; runs every pending
/// callback; runs the event listener's `free_user_data`; joins the client's threads; frees the
/// memory. After it returns no callback of this client ever runs again, and the handle is
/// invalid: using it is undefined behaviour.
///
/// Must not be called from a callback of the same client (it would wait for its own thread):
/// there it returns at once without freeing anything and reports the misuse as an onLog event
/// at level "error"; free the client from another thread instead. Must not race with another
/// call on the same handle (no call may be running or start on it while it is freed).
///
/// # Safety
/// `client` is NULL or a handle from v2im_client_new that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn v2im_client_free(client: *mut v2im_client) {
    if client.is_null() {
        return;
    }
    // SAFETY: a live handle per this function's contract.
    let c = unsafe { &*client };
    let freed = catch_unwind(AssertUnwindSafe(|| {
        if c.client.in_own_callback() {
            c.client.log(LogLevel::Error, || {
                "v2im_client_free was called from one of the client's own callbacks; \
                 ignored (it would wait for its own thread): free the client from another thread"
                    .to_string()
            });
            return false;
        }
        c.client.shutdown();
        true
    }));
    match freed {
        Ok(true) => {
            // SAFETY: made by Box::into_raw in v2im_client_new; nothing uses it after this.
            let boxed = unsafe { Box::from_raw(client) };
            let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
        }
        Ok(false) => {}
        // A panic in shutdown: the client may be half torn down; poison it and leak it rather
        // than free memory a thread may still use.
        Err(_) => c.client.poison(),
    }
}

/// Sets (or, with `cb` NULL, removes) the client's event listener. Events are
/// `{"event": name, "data": {...}}`:
/// - `onSendMessageProgress` `{"id": string, "msgID": string, "progress": 0..100}` (`msgID` ""
///   until sent; the whole message comes with `onMessageStatusChanged`): for an image, sound,
///   video or file message, 0 when it starts, then each new percentage as its files are read
///   (each byte counts once when it is hashed for the upload's name and once when it goes out;
///   non-decreasing, at most 99 until the server has stored the files, made an image's
///   renditions and accepted the message), then 100 when it is sent; a message without media
///   gets only 100;
/// - `onMessageStatusChanged` `{"message": V2TimMessage, "status": int, "code": int, "desc":
///   string}` when a message starts sending (1), is sent (2) or fails (3). A send resumed from
///   an earlier run on the same `dataDir` reports status 1 with desc "resumed after a restart",
///   then its outcome; one not resumed (`resumePendingOnStart` false) reports status 3 with
///   V2IM_ERR_NOT_RESUMED. These events of earlier runs' sends are never lost: those posted
///   before any listener is set are kept and delivered, in order, to the first listener set;
/// - `onLog` `{"level": "error" | "warn" | "info" | "debug", "message": string}` (retries,
///   misuse), filtered by the configuration's `logLevel`.
///
/// With `"receive": true` in the configuration, the first listener also opens the live channel:
/// - `onConnecting` `{}`, `onConnectSuccess` `{}`, `onConnectFailed` `{"code", "desc"}`: the
///   channel's state; a lost channel is opened again with backoff, from where it stopped;
///   credentials refused or V2IM_ERR_NO_CHANNEL end the attempts;
/// - `onRecvNewMessage` `{"message": V2TimMessage}`: a message to this user (or one it sent from
///   another client), committed to the store first; `"redelivered": true` when given again after
///   a restart because the listener may not have had it before the process ended;
/// - `onRecvC2CReadReceipt` `[V2TimMessageReceipt]`: a peer marked our messages read
///   (`userID`, `timestamp`; `msgID` empty);
/// - `onRecvMessageReadReceipts` `[V2TimMessageReceipt]`: receipts for our messages sent with
///   `needReadReceipt` (group: `msgID`, `groupID`, `readCount`, `unreadCount`; one-to-one:
///   `msgID`, `userID`, `isPeerRead`);
/// - `onConversationChanged` `[V2TimConversation]` and `onTotalUnreadMessageCountChanged`
///   `{"totalUnreadCount": int}` when a message, a read mark or a receipt changes them.
///
/// Events run on the client's callback thread, one at a time, after the state they report is
/// committed, in order with the results of network requests. The previous listener's
/// `free_user_data` (if not NULL) runs on that thread after its last event; the last listener's
/// runs during v2im_client_free.
///
/// Returns 0, or: 6017 if `client` is NULL, V2IM_ERR_SHUTTING_DOWN during v2im_client_free,
/// V2IM_ERR_POISONED after a panic. On a non-zero return nothing is kept and `free_user_data` is
/// not called: the caller still owns `user_data`.
///
/// May be called from any thread, and from a callback.
///
/// # Safety
/// `client` is NULL or a live handle. `cb` and `free_user_data` must stay callable until
/// `free_user_data` has run (or v2im_client_free returned).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn v2im_set_event_callback(
    client: *mut v2im_client,
    cb: v2im_event_callback,
    user_data: *mut c_void,
    free_user_data: v2im_free_fn,
) -> i32 {
    // SAFETY: NULL or a live handle per this function's contract.
    let c = unsafe { client.as_ref() };
    boundary(c, || {
        let c = c.ok_or(codes::ERR_INVALID_PARAMETERS)?;
        c.client
            .set_event_sink(EventSink::new(cb, UserData(user_data), free_user_data))
    })
}
