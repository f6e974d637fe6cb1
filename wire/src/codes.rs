//! Tencent's REST error codes (its general, UserSig, message and group tables) used by
//! v2im-server and understood by the library. Values are Tencent's; names follow its
//! documentation.

pub const OK: i32 = 0;

// General (600xx).
pub const HTTP_PARSE_ERROR: i32 = 60002;
pub const REQUEST_JSON_PARSE_ERROR: i32 = 60003;
pub const ACCOUNT_OR_SIG_IN_URL: i32 = 60004;
pub const INVALID_SDKAPPID: i32 = 60006;
pub const BAD_RESOURCE: i32 = 60009;
pub const ADMIN_REQUIRED_URL: i32 = 60010;
pub const SDKAPPID_MISSING: i32 = 60012;
pub const ACCOUNT_NOT_STRING: i32 = 60015;

// UserSig (700xx).
pub const SIG_EXPIRED: i32 = 70001;
pub const SIG_EMPTY: i32 = 70002;
pub const SIG_INVALID: i32 = 70003;
pub const SIG_WRONG_KEY: i32 = 70009;
pub const SIG_IDENTIFIER_MISMATCH: i32 = 70013;
pub const SIG_SDKAPPID_MISMATCH: i32 = 70014;
pub const USER_NOT_FOUND: i32 = 70107;
pub const SERVER_TIMEOUT_70169: i32 = 70169;
pub const SERVER_TIMEOUT_70202: i32 = 70202;
pub const INVALID_PARAMETER_70402: i32 = 70402;
pub const ADMIN_REQUIRED: i32 = 70403;
pub const INTERNAL_70500: i32 = 70500;

// C2C messages (2000x, 900xx).
pub const MSG_PKG_PARSE_FAILED: i32 = 20001;
pub const MSG_INVALID_ID: i32 = 20003;
pub const MSG_NETWORK_ERROR: i32 = 20004;
pub const MSG_INTERNAL_ERROR: i32 = 20005;
pub const JSON_PARSE_FAILED: i32 = 90001;
pub const MSGBODY_INVALID: i32 = 90002;
pub const TO_ACCOUNT_INVALID: i32 = 90003;
pub const MSGSEQ_INVALID: i32 = 90004;
pub const MSGRANDOM_INVALID: i32 = 90005;
pub const MSGTIMESTAMP_INVALID: i32 = 90006;
pub const MSGBODY_NOT_ARRAY: i32 = 90007;
pub const FROM_ACCOUNT_INVALID: i32 = 90008;
pub const ADMIN_PERMISSION_REQUIRED: i32 = 90009;
pub const MSG_FORMAT_INVALID: i32 = 90010;
pub const TOO_MANY_TARGETS: i32 = 90011;
pub const TO_ACCOUNT_NOT_REGISTERED: i32 = 90012;
pub const TOO_MANY_ACCOUNTS: i32 = 90018;
pub const LIFETIME_TOO_LONG: i32 = 90026;
pub const SYNC_OTHER_MACHINE_INVALID: i32 = 90031;
pub const OFFLINE_PUSH_INFO_INVALID: i32 = 90043;
pub const MSGLIFETIME_INVALID: i32 = 90044;
pub const ACCOUNT_NOT_EXIST: i32 = 90048;
pub const BATCH_PACKET_TOO_LARGE: i32 = 90055;
pub const INTERNAL_90992: i32 = 90992;
pub const INTERNAL_90994: i32 = 90994;
pub const INTERNAL_90995: i32 = 90995;
pub const INTERNAL_91000: i32 = 91000;
pub const JSON_PACKET_TOO_LARGE: i32 = 93000;

// Content (800xx).
pub const BODY_SIZE_LIMIT: i32 = 80002;

// Groups (100xx).
pub const GROUP_INTERNAL_ERROR: i32 = 10002;
pub const GROUP_BAD_COMMAND: i32 = 10003;
pub const GROUP_INVALID_PARAMETERS: i32 = 10004;
pub const GROUP_PERMISSION_DENY: i32 = 10007;
pub const GROUP_NOT_FOUND: i32 = 10010;
pub const GROUP_INVALID_GROUPID: i32 = 10015;
pub const GROUP_ID_IN_USE: i32 = 10021;
pub const GROUP_SEND_MSG_FREQ_LIMIT: i32 = 10023;

/// Codes Tencent documents as temporary ("retry"): a client may resend the same request with the
/// same random, and the server's duplicate check makes the retry safe.
pub const RETRYABLE: [i32; 9] = [
    MSG_NETWORK_ERROR,
    MSG_INTERNAL_ERROR,
    GROUP_INTERNAL_ERROR,
    INTERNAL_90992,
    INTERNAL_90994,
    INTERNAL_90995,
    INTERNAL_91000,
    SERVER_TIMEOUT_70169,
    SERVER_TIMEOUT_70202,
];

/// Whether a server `ErrorCode` is worth retrying.
pub fn is_retryable(code: i32) -> bool {
    RETRYABLE.contains(&code)
}

/// Limits shared by client and server.
pub mod limits {
    /// Message body (all elements) in bytes: 12 KB.
    pub const MAX_BODY_BYTES: usize = 12 * 1024;
    /// Receivers of one batchsendmsg.
    pub const MAX_BATCH_RECEIVERS: usize = 500;
    /// Members of one targeted group message.
    pub const MAX_TARGETED_MEMBERS: usize = 50;
    /// @ users in one message, @all included.
    pub const MAX_AT_USERS: usize = 30;
    /// Messages in one merger message.
    pub const MAX_MERGER_MESSAGES: usize = 300;
    /// Offline retention in seconds (7 days).
    pub const MAX_MSG_LIFETIME: i64 = 604_800;
    /// Duplicate window in seconds.
    pub const DEDUP_WINDOW_SECS: i64 = 300;
}
