//! The server-side identity of a message (`msgID`), the same whether it comes back from
//! `sendMessage` or from the history methods.
//!
//! v2im-server guarantees that a C2C `MsgKey` is `"{MsgSeq}_{MsgRandom}_{MsgTime}"`; group messages
//! have no key on the wire, so the same shape is built from `MsgSeq`/`MsgRandom`/`MsgTime`. Tencent's
//! own msgIDs are opaque strings, and callers must treat ours as opaque too.

/// A C2C message's msgID: its `MsgKey`.
pub fn c2c(msg_key: &str) -> String {
    msg_key.to_owned()
}

/// A group message's msgID (also used for the messages inside a merger, C2C or group, since a
/// C2C `MsgKey` has the same shape).
pub fn group(seq: u64, random: u32, time: i64) -> String {
    format!("{seq}_{random}_{time}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        assert_eq!(super::c2c("1_2_3"), "1_2_3");
        assert_eq!(super::group(7, 42, 1_700_000_000), "7_42_1700000000");
    }
}
