//! The C types: the opaque client handle and the three callback typedefs.

use crate::client::Client;
use std::ffi::{c_char, c_void};

/// An IM client: its configuration, its threads and its messages. Opaque; made by
/// v2im_client_new, released by v2im_client_free.
pub struct v2im_client {
    pub(crate) client: Client,
}

/// Receives the result of one request: `code` (0 = success; the same value as the result's
/// `"code"`) and `result_json`, `{"code": int, "desc": string, "data": ..., "@extra": ...}`.
///
/// `result_json` is valid only during the callback; copy what you keep. `user_data` is the
/// pointer given with the request, passed back untouched. Must not throw C++ exceptions or
/// longjmp out.
pub type v2im_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, code: i32, result_json: *const c_char)>;

/// Receives one event, `{"event": name, "data": ...}` (the names and their data are listed at
/// v2im_set_event_callback), on the client's callback thread.
///
/// `event_json` is valid only during the callback. Must not throw C++ exceptions or longjmp out.
pub type v2im_event_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char)>;

/// Releases `user_data` of an event listener; called exactly once, after the listener's last
/// event (when it is replaced, or by v2im_client_free).
pub type v2im_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;
