//! Result codes: Tencent's where Tencent has one, and one documented block of our own.
//!
//! Every code here has a `V2IM_` constant in the header (see `ffi`) and a text in
//! `v2im_error_str`. Codes are never renumbered or reused.

use std::ffi::CStr;

/// Success.
pub const OK: i32 = 0;

// Tencent SDK codes (reference §3.2).
pub const ERR_FILE_TRANS_AUTH_FAILED: i32 = 6006;
pub const ERR_FILE_TRANS_NO_SERVER: i32 = 6007;
pub const ERR_FILE_TRANS_UPLOAD_FAILED: i32 = 6008;
pub const ERR_FILE_TRANS_DOWNLOAD_FAILED: i32 = 6009;
pub const ERR_REQUEST_TIME_OUT: i32 = 6012;
pub const ERR_SDK_NOT_INITIALIZED: i32 = 6013;
pub const ERR_INVALID_MSG_ELEM: i32 = 6016;
pub const ERR_INVALID_PARAMETERS: i32 = 6017;
pub const ERR_IO_OPERATION_FAILED: i32 = 6022;
pub const ERR_INVALID_JSON: i32 = 6027;
pub const ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE: i32 = 6031;
pub const ERR_FILE_NOT_FOUND: i32 = 7004;
pub const ERR_FILE_TOO_LARGE: i32 = 7005;
pub const ERR_FILE_SIZE_EMPTY: i32 = 7006;
pub const ERR_FILE_OPEN_FAILED: i32 = 7007;
pub const ERR_SDK_MSG_BODY_SIZE_LIMIT: i32 = 8001;
pub const ERR_SDK_INVALID_CANCEL_MESSAGE: i32 = 8020;
pub const ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL: i32 = 8021;
pub const ERR_SDK_NET_DISCONNECT: i32 = 9508;
pub const ERR_MERGER_MSG_LAYERS_OVER_LIMIT: i32 = 8005;
/// Tencent's group send rate limit; also what a group message the server accepted but dropped
/// under frequency control (`MsgDropReason`) completes with, since it was not delivered.
pub const ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT: i32 = 10023;

// v2im's own codes: one block, 100001 upwards, append only.
/// The method name is not one v2im knows.
pub const V2IM_ERR_UNKNOWN_METHOD: i32 = 100_001;
/// The client is shutting down: the call was refused, or the request was cancelled by
/// `v2im_client_free` before it completed.
pub const V2IM_ERR_SHUTTING_DOWN: i32 = 100_002;
/// The send queue is full: a Low message was refused, or a queued Low message was evicted by a
/// more important one.
pub const V2IM_ERR_QUEUE_FULL: i32 = 100_003;
/// A panic inside the library was caught; the client is poisoned and refuses further calls.
pub const V2IM_ERR_PANIC: i32 = 100_004;
/// The client was poisoned by an earlier panic and refuses calls.
pub const V2IM_ERR_POISONED: i32 = 100_005;
/// The call would wait on the thread it is made from (e.g. `v2im_client_free` from a callback).
pub const V2IM_ERR_WOULD_DEADLOCK: i32 = 100_006;
/// The server answered with an HTTP status other than 200.
pub const V2IM_ERR_HTTP_STATUS: i32 = 100_007;
/// The server's answer could not be understood (not JSON, or missing required fields).
pub const V2IM_ERR_BAD_RESPONSE: i32 = 100_008;
/// The network failed before an answer arrived (connection refused or reset, DNS, TLS).
pub const V2IM_ERR_NETWORK: i32 = 100_009;
/// Another client (in this or another process) has the same `dataDir` open; one client per
/// `dataDir` at a time.
pub const V2IM_ERR_DATA_DIR_IN_USE: i32 = 100_010;
/// A send accepted by an earlier run on this `dataDir` never finished (the process ended
/// first) and `resumePendingOnStart` is false: the message is marked failed, not resent.
pub const V2IM_ERR_NOT_RESUMED: i32 = 100_011;

/// Every code the library itself produces, with its text for `v2im_error_str`.
/// Server codes pass through as they come and get a generic text.
pub const TEXTS: &[(i32, &CStr)] = &[
    (OK, c"success"),
    (
        ERR_FILE_TRANS_AUTH_FAILED,
        c"file transfer: authentication failed",
    ),
    (ERR_FILE_TRANS_NO_SERVER, c"file transfer: no upload server"),
    (
        ERR_FILE_TRANS_UPLOAD_FAILED,
        c"file transfer: upload failed",
    ),
    (
        ERR_FILE_TRANS_DOWNLOAD_FAILED,
        c"file transfer: download failed",
    ),
    (ERR_REQUEST_TIME_OUT, c"request timed out"),
    (ERR_SDK_NOT_INITIALIZED, c"client not initialised"),
    (ERR_INVALID_MSG_ELEM, c"invalid message element"),
    (ERR_INVALID_PARAMETERS, c"invalid parameters"),
    (ERR_IO_OPERATION_FAILED, c"local I/O operation failed"),
    (ERR_INVALID_JSON, c"invalid JSON"),
    (ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE, c"file is not an image"),
    (ERR_FILE_NOT_FOUND, c"file not found"),
    (ERR_FILE_TOO_LARGE, c"file too large"),
    (ERR_FILE_SIZE_EMPTY, c"file is empty"),
    (ERR_FILE_OPEN_FAILED, c"file could not be opened"),
    (
        ERR_SDK_MSG_BODY_SIZE_LIMIT,
        c"message body larger than 12 KB",
    ),
    (
        ERR_SDK_INVALID_CANCEL_MESSAGE,
        c"message can no longer be cancelled",
    ),
    (ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL, c"send cancelled"),
    (ERR_SDK_NET_DISCONNECT, c"network disconnected"),
    (
        ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
        c"merger message nested over 100 layers",
    ),
    (
        ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
        c"group message dropped by the server's frequency control",
    ),
    (V2IM_ERR_UNKNOWN_METHOD, c"unknown method"),
    (V2IM_ERR_SHUTTING_DOWN, c"client is shutting down"),
    (V2IM_ERR_QUEUE_FULL, c"send queue full"),
    (V2IM_ERR_PANIC, c"internal panic (client poisoned)"),
    (V2IM_ERR_POISONED, c"client poisoned by an earlier panic"),
    (
        V2IM_ERR_WOULD_DEADLOCK,
        c"call would deadlock (made from a callback)",
    ),
    (
        V2IM_ERR_HTTP_STATUS,
        c"server answered with an HTTP error status",
    ),
    (V2IM_ERR_BAD_RESPONSE, c"server answer not understood"),
    (V2IM_ERR_NETWORK, c"network error"),
    (
        V2IM_ERR_DATA_DIR_IN_USE,
        c"dataDir in use by another client",
    ),
    (
        V2IM_ERR_NOT_RESUMED,
        c"unfinished send of an earlier run not resumed",
    ),
];

/// Static text for a code; never fails.
pub fn text(code: i32) -> &'static CStr {
    TEXTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
        .unwrap_or(c"server or unknown error code (see Tencent's error code list)")
}

/// A failure on its way to a callback: `{"code": code, "desc": desc, ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: i32,
    pub desc: String,
}

impl Error {
    pub fn new(code: i32, desc: impl Into<String>) -> Self {
        Error {
            code,
            desc: desc.into(),
        }
    }

    /// 6017 with a message naming the parameter.
    pub fn invalid_param(desc: impl Into<String>) -> Self {
        Error::new(ERR_INVALID_PARAMETERS, desc)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.desc, self.code)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (c, _) in super::TEXTS {
            assert!(seen.insert(*c), "duplicate code {c}");
        }
    }
}
