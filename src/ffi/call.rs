//! The one entry point of every method.

use super::checks::{boundary, params_object, read_str};
use super::types::{v2im_callback, v2im_client};
use crate::callback::{ResultCallback, UserData};
use crate::codes;
use crate::params::Params;
use std::ffi::{c_char, c_void};

/// Runs `method` with `params_json`, a JSON object; its result arrives through `cb` as
/// `{"code": int, "desc": string, "data": ..., "@extra": ...}`, where `"@extra"` is the params'
/// `"@extra"` value echoed unchanged, as written (present only when given).
///
/// Methods (V2TIM's names and parameters, one page each under docs/methods/):
/// - local — `createTextMessage`, `createCustomMessage`, `createLocationMessage`,
///   `createFaceMessage`, `createTextAtMessage`, `createAtSignedGroupMessage`,
///   `createTargetedGroupMessage`, `createForwardMessage`, `createMergerMessage`,
///   `createImageMessage`, `createSoundMessage`, `createVideoMessage`, `createFileMessage`,
///   `findMessages`, `setLocalCustomData`. Their callback runs on the calling thread before this
///   function returns.
/// - network — `sendMessage`, `getC2CHistoryMessageList`, `getGroupHistoryMessageList`,
///   `cancelSendMessage`, `getConversationList`, `getTotalUnreadMessageCount`,
///   `markC2CMessageAsRead`, `markGroupMessageAsRead`, `sendMessageReadReceipts`,
///   `getMessageReadReceipts`. Their callback runs on the client's callback thread, never on the
///   calling thread, even for a failure found before anything was sent.
///
/// A key the method does not take is refused (6017 through `cb`, naming the key and the
/// closest known one), so that a misspelt option never passes silently; so is a key given
/// twice.
///
/// Returns 0 when the request was taken: then `cb` (if not NULL) is called exactly once —
/// success, failure, or V2IM_ERR_SHUTTING_DOWN if the client is freed first. Every problem
/// with a readable request (a missing or mistyped parameter, an unknown message id, a limit, a
/// network or server error) arrives through `cb`. Returns a non-zero code, and `cb` is never
/// called, only when the request cannot be read or the client refuses it:
/// - 6017: `client` or `method` NULL, `method` not UTF-8, `params_json` longer than 8 MiB;
/// - 6027: `params_json` not UTF-8 or not a JSON object;
/// - V2IM_ERR_UNKNOWN_METHOD: `method` is not a method of this library;
/// - V2IM_ERR_SHUTTING_DOWN: v2im_client_free has begun (e.g. a call from a callback it runs);
/// - V2IM_ERR_POISONED: an earlier panic poisoned the client;
/// - V2IM_ERR_PANIC: a panic was caught in this call (the client is now poisoned).
///
/// Deadline of a network request once a sender thread has taken it from the queue: at most
/// (`maxRetries` + 1) × `requestTimeoutMs` plus the backoff between attempts (each at most 2 s)
/// — about 41 s with the defaults — after which `cb` runs with the last failure (6012 for a
/// timeout). Requests of one conversation are sent one after another, so a message may first wait
/// for the ones queued before it.
///
/// `params_json` NULL is taken as `{}` (the method then reports its missing parameters through
/// `cb`). `cb` NULL is allowed: the request runs and its result is dropped.
///
/// May be called from any thread at once, and from a callback (including callbacks of the same
/// client): the library never holds a lock while it runs user code.
///
/// # Safety
/// `client` is NULL or a live handle. `method` and `params_json` are NULL or NUL-terminated
/// strings, borrowed for the duration of the call. `result_json` is valid only during the
/// callback. `user_data` is passed to `cb` untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn v2im_call(
    client: *mut v2im_client,
    method: *const c_char,
    params_json: *const c_char,
    cb: v2im_callback,
    user_data: *mut c_void,
) -> i32 {
    // SAFETY: NULL or a live handle per this function's contract.
    let c = unsafe { client.as_ref() };
    boundary(c, || {
        let c = c.ok_or(codes::ERR_INVALID_PARAMETERS)?;
        // SAFETY: NULL or NUL-terminated, borrowed for this call.
        let method = unsafe { read_str(method, codes::ERR_INVALID_PARAMETERS) }?;
        let params = if params_json.is_null() {
            Params::default()
        } else {
            // SAFETY: as above.
            params_object(unsafe { read_str(params_json, codes::ERR_INVALID_JSON) }?)?
        };
        c.client
            .call(method, params, ResultCallback::new(cb, UserData(user_data)))
    })
}
