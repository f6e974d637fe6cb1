//! Tencent's REST error codes (its general, UserSig, message and group tables) used by
//! v2im-server and understood by the library, each declared once with its text. Values are
//! Tencent's; names follow its documentation.

/// `text` as a `&'static CStr` at compile time.
macro_rules! c_text {
    ($text:literal) => {
        match core::ffi::CStr::from_bytes_with_nul(concat!($text, "\0").as_bytes()) {
            Ok(c) => c,
            Err(_) => panic!("a code's text contains a NUL"),
        }
    };
}

/// Declares each code once: its constant and its text (what `v2im_error_str` gives for it).
macro_rules! codes {
    ($( $name:ident = $value:literal, $text:literal; )*) => {
        $( pub const $name: i32 = $value; )*

        /// Every code with its text.
        pub const TEXTS: &[(i32, &core::ffi::CStr)] = &[ $( ($value, c_text!($text)), )* ];
    };
}

codes! {
    OK = 0, "success";

    // General (600xx).
    HTTP_PARSE_ERROR = 60002, "server: HTTP request could not be parsed";
    REQUEST_JSON_PARSE_ERROR = 60003, "server: request JSON could not be parsed";
    ACCOUNT_OR_SIG_IN_URL = 60004, "server: identifier or usersig missing or wrong in the URL";
    INVALID_SDKAPPID = 60006, "server: SDKAppID invalid or disabled";
    BAD_RESOURCE = 60009, "server: no such REST command";
    ADMIN_REQUIRED_URL = 60010, "server: only the app admin may call this command";
    SDKAPPID_MISSING = 60012, "server: sdkappid missing from the URL";
    ACCOUNT_NOT_STRING = 60015, "server: an account must be a string";

    // UserSig (700xx).
    SIG_EXPIRED = 70001, "server: UserSig expired";
    SIG_EMPTY = 70002, "server: UserSig empty";
    SIG_INVALID = 70003, "server: UserSig invalid";
    SIG_WRONG_KEY = 70009, "server: UserSig not made with this app's key";
    SIG_IDENTIFIER_MISMATCH = 70013, "server: UserSig made for another identifier";
    SIG_SDKAPPID_MISMATCH = 70014, "server: UserSig made for another SDKAppID";
    USER_NOT_FOUND = 70107, "server: account does not exist";
    SERVER_TIMEOUT_70169 = 70169, "server: internal timeout, retry";
    SERVER_TIMEOUT_70202 = 70202, "server: internal timeout, retry";
    INVALID_PARAMETER_70402 = 70402, "server: invalid parameter";
    ADMIN_REQUIRED = 70403, "server: only the app admin may do this";
    INTERNAL_70500 = 70500, "server: internal error";

    // C2C messages (2000x, 900xx).
    MSG_PKG_PARSE_FAILED = 20001, "server: message package could not be parsed";
    MSG_INVALID_ID = 20003, "server: sender or receiver account invalid or not imported";
    MSG_NETWORK_ERROR = 20004, "server: network error, retry";
    MSG_INTERNAL_ERROR = 20005, "server: internal error, retry";
    C2C_CALLBACK_REFUSED = 20006, "server: the app's backend refused the message (callback before sending)";
    JSON_PARSE_FAILED = 90001, "server: request JSON could not be parsed";
    MSGBODY_INVALID = 90002, "server: MsgBody invalid";
    TO_ACCOUNT_INVALID = 90003, "server: To_Account invalid or not imported";
    MSGSEQ_INVALID = 90004, "server: MsgSeq invalid";
    MSGRANDOM_INVALID = 90005, "server: MsgRandom invalid";
    MSGTIMESTAMP_INVALID = 90006, "server: MsgTimeStamp invalid";
    MSGBODY_NOT_ARRAY = 90007, "server: MsgBody is not an array";
    FROM_ACCOUNT_INVALID = 90008, "server: From_Account invalid or not imported";
    ADMIN_PERMISSION_REQUIRED = 90009, "server: only the app admin may send as another account";
    MSG_FORMAT_INVALID = 90010, "server: message format invalid";
    TOO_MANY_TARGETS = 90011, "server: too many receivers";
    TO_ACCOUNT_NOT_REGISTERED = 90012, "server: receiver account not imported";
    TOO_MANY_ACCOUNTS = 90018, "server: too many accounts in one request";
    LIFETIME_TOO_LONG = 90026, "server: MsgLifeTime longer than allowed";
    SYNC_OTHER_MACHINE_INVALID = 90031, "server: SyncOtherMachine invalid";
    OFFLINE_PUSH_INFO_INVALID = 90043, "server: OfflinePushInfo invalid";
    MSGLIFETIME_INVALID = 90044, "server: MsgLifeTime invalid";
    ACCOUNT_NOT_EXIST = 90048, "server: account does not exist";
    BATCH_PACKET_TOO_LARGE = 90055, "server: batch request too large";
    INTERNAL_90992 = 90992, "server: internal error, retry";
    INTERNAL_90994 = 90994, "server: internal error, retry";
    INTERNAL_90995 = 90995, "server: internal error, retry";
    INTERNAL_91000 = 91000, "server: internal error, retry";
    JSON_PACKET_TOO_LARGE = 93000, "server: request JSON too large";

    // Content (800xx).
    BODY_SIZE_LIMIT = 80002, "server: message body larger than 12 KB";

    // Groups (100xx).
    GROUP_INTERNAL_ERROR = 10002, "server: group service internal error, retry";
    GROUP_BAD_COMMAND = 10003, "server: invalid group command";
    GROUP_INVALID_PARAMETERS = 10004, "server: invalid group parameters";
    GROUP_PERMISSION_DENY = 10007, "server: no permission in this group";
    GROUP_NOT_FOUND = 10010, "server: group does not exist";
    GROUP_INVALID_GROUPID = 10015, "server: invalid group id";
    GROUP_CALLBACK_REFUSED = 10016, "server: the app's backend refused the message (callback before sending)";
    GROUP_ID_IN_USE = 10021, "server: group id already in use";
    GROUP_SEND_MSG_FREQ_LIMIT = 10023, "server: group message rate limit";
    GROUP_RECEIPT_NOT_FOUND = 10062, "server: no read receipt information for this message";

    // v2im-server's own (for what Tencent does not have: the live channel, media storage,
    // connection limits): 110001 upwards, append only, apart from the library's own block
    // (100001 upwards).
    CHANNEL_CURSOR_GONE = 110001, "server: channel cursor no longer kept (or never issued): resync from history";
    CHANNEL_LIMIT = 110002, "server: too many live channels (for this account or in all)";
    FILE_EXISTS = 110003, "server: another file is stored at this path (uploads are write-once)";
    TOO_MANY_CONNECTIONS = 110004, "server: too many connections open, retry later";
}

/// The text of a code of this table.
pub fn text(code: i32) -> Option<&'static core::ffi::CStr> {
    TEXTS.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

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
    /// Merger nesting: a `TIMRelayElem` holding messages with no merger is 1 layer, each merger
    /// around it one more. Tencent's SDKs allow 100 layers, but they keep a large merger's
    /// messages apart (downloaded on demand); REST v4 carries them inline, and each layer nests
    /// the JSON 5 levels deeper. At 16 the deepest answer holding such a message
    /// (`recentcontact/get_list`, `5 × 16 + 9` = 89 levels) stays far below the 128 levels a JSON
    /// parser such as serde_json's accepts by default, so every history page, channel event and
    /// conversation list holding it reads everywhere.
    pub const MAX_MERGER_LAYERS: usize = 16;
    /// Offline retention in seconds (7 days).
    pub const MAX_MSG_LIFETIME: i64 = 604_800;
    /// Duplicate window in seconds.
    pub const DEDUP_WINDOW_SECS: i64 = 300;
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_unique_and_have_texts() {
        let mut seen = std::collections::HashSet::new();
        for (c, t) in super::TEXTS {
            assert!(seen.insert(*c), "duplicate {c}");
            assert!(!t.is_empty());
        }
        assert_eq!(
            super::text(90003).unwrap().to_str().unwrap(),
            "server: To_Account invalid or not imported"
        );
        assert!(super::text(12345).is_none());
    }
}
