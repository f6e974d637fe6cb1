//! Every result code the library produces, declared once: the `pub const`s below, the texts of
//! `v2im_error_str`, and (through `build.rs`, which includes this file) the `V2IM_` macros of
//! `v2im.h`. Tests check docs/codes.md and the Python package against [`TABLE`].
//!
//! Codes are Tencent's where Tencent has one; v2im's own live in one block from 100001 upwards.
//! A code is never renumbered or reused. Retired (never produced, so no longer listed): 6009
//! ERR_FILE_TRANS_DOWNLOAD_FAILED, 6013 ERR_SDK_NOT_INITIALIZED, 6016 ERR_INVALID_MSG_ELEM,
//! 9508 ERR_SDK_NET_DISCONNECT.
//!
//! This file is plain `core` Rust on purpose: the build script compiles it too.

/// One declared code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// The Rust constant's name; the C macro is this name with a `V2IM_` prefix unless it has one.
    pub name: &'static str,
    pub value: i32,
    /// `v2im_error_str`'s text (short, lower case, no final period).
    pub text: &'static core::ffi::CStr,
    /// When the code is given, beyond the text (the header's comment; may be empty).
    pub doc: &'static str,
}

impl Code {
    /// The name of the C macro.
    pub fn c_name(&self) -> String {
        if self.name.starts_with("V2IM_") {
            self.name.to_string()
        } else {
            format!("V2IM_{}", self.name)
        }
    }
}

/// `"text"` as a `&'static CStr` at compile time.
macro_rules! c_text {
    ($text:literal) => {
        match core::ffi::CStr::from_bytes_with_nul(concat!($text, "\0").as_bytes()) {
            Ok(c) => c,
            Err(_) => panic!("a code's text contains a NUL"),
        }
    };
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $value:literal, $text:literal; )*) => {
        $( $(#[doc = $doc])* pub const $name: i32 = $value; )*

        /// Every code, in the order declared.
        pub const TABLE: &[Code] = &[
            $( Code {
                name: stringify!($name),
                value: $value,
                text: c_text!($text),
                doc: concat!($($doc, "\n",)*),
            }, )*
        ];
    };
}

codes! {
    /// Success.
    OK = 0, "success";

    // Tencent's SDK codes.
    /// The upload server refused the client's credentials (HTTP 401 or 403).
    ERR_FILE_TRANS_AUTH_FAILED = 6006, "file transfer: authentication failed";
    /// No upload server could be reached at `uploadUrl`.
    ERR_FILE_TRANS_NO_SERVER = 6007, "file transfer: no upload server";
    /// The upload of a media file failed; the message may be sent again.
    ERR_FILE_TRANS_UPLOAD_FAILED = 6008, "file transfer: upload failed";
    /// No answer within `requestTimeoutMs` (after the retries).
    ERR_REQUEST_TIME_OUT = 6012, "request timed out";
    /// A parameter or config key is missing, mistyped, out of range or unknown; the `desc` names it.
    ERR_INVALID_PARAMETERS = 6017, "invalid parameters";
    /// A local file or the local store could not be read or written.
    ERR_IO_OPERATION_FAILED = 6022, "local I/O operation failed";
    /// The params or config are not UTF-8 or not a JSON object.
    ERR_INVALID_JSON = 6027, "invalid JSON";
    /// `createImageMessage` / a video snapshot: the file is not a JPEG, PNG, GIF or BMP image.
    ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE = 6031, "file is not an image";
    /// A media file does not exist.
    ERR_FILE_NOT_FOUND = 7004, "file not found";
    /// A media file is larger than the limit of its kind.
    ERR_FILE_TOO_LARGE = 7005, "file too large";
    /// A media file is empty.
    ERR_FILE_SIZE_EMPTY = 7006, "file is empty";
    /// A media file exists but cannot be opened or is not a regular file.
    ERR_FILE_OPEN_FAILED = 7007, "file could not be opened";
    /// The message body (all elements) or `cloudCustomData` is over 12 KB.
    ERR_SDK_MSG_BODY_SIZE_LIMIT = 8001, "message body larger than 12 KB";
    /// `createMergerMessage`: merged messages may nest at most 16 layers (V2TIM allows 100, but
    /// REST carries merged messages inline, and deeper ones would not fit the JSON answers that
    /// hold them).
    ERR_MERGER_MSG_LAYERS_OVER_LIMIT = 8005, "merger message nested over 16 layers";
    /// `cancelSendMessage`: the message is in flight or finished.
    ERR_SDK_INVALID_CANCEL_MESSAGE = 8020, "message can no longer be cancelled";
    /// The send was cancelled by `cancelSendMessage`.
    ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL = 8021, "send cancelled";
    /// Tencent's group send rate limit; also what a group message the server accepted but
    /// dropped under frequency control (`MsgDropReason`) completes with, since it was not
    /// delivered.
    ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT = 10023, "group message dropped by the server's frequency control";

    // v2im's own codes: one block, 100001 upwards, append only.
    /// The method name is not one v2im knows.
    V2IM_ERR_UNKNOWN_METHOD = 100001, "unknown method";
    /// The client is shutting down: the call was refused, or the request was cancelled by
    /// `v2im_client_free` before it completed.
    V2IM_ERR_SHUTTING_DOWN = 100002, "client is shutting down";
    /// The send queue is full: a Low message was refused, or a queued Low message was evicted
    /// by a more important one.
    V2IM_ERR_QUEUE_FULL = 100003, "send queue full";
    /// A panic inside the library was caught; the client is poisoned and refuses further calls.
    V2IM_ERR_PANIC = 100004, "internal panic (client poisoned)";
    /// The client was poisoned by an earlier panic and refuses calls.
    V2IM_ERR_POISONED = 100005, "client poisoned by an earlier panic";
    /// The call would wait on the thread it is made from: bindings give it for a blocking call
    /// made from one of the client's own callbacks (`v2im_client_free` there only logs).
    V2IM_ERR_WOULD_DEADLOCK = 100006, "call would deadlock (made from a callback)";
    /// The server answered with an HTTP status other than 2xx and no REST answer in its body
    /// (a proxy's error page, say); 5xx and 429 are retried first.
    V2IM_ERR_HTTP_STATUS = 100007, "server answered with an HTTP error status";
    /// The server's answer could not be understood (not JSON, or missing required fields).
    V2IM_ERR_BAD_RESPONSE = 100008, "server answer not understood";
    /// The network failed before an answer arrived (connection refused or reset, DNS, TLS).
    V2IM_ERR_NETWORK = 100009, "network error";
    /// Another client (in this or another process) has the same `dataDir` open; one client per
    /// `dataDir` at a time.
    V2IM_ERR_DATA_DIR_IN_USE = 100010, "dataDir in use by another client";
    /// A send accepted by an earlier run on this `dataDir` never finished (the process ended
    /// first) and `resumePendingOnStart` is false: the message is marked failed, not resent.
    V2IM_ERR_NOT_RESUMED = 100011, "unfinished send of an earlier run not resumed";
    /// `receive` is on but the server has no live channel (Tencent's cloud, or a server older
    /// than the channel): `onConnectFailed` gives this once, and the client stops trying.
    V2IM_ERR_NO_CHANNEL = 100012, "the server has no live channel";
}
