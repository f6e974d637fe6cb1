//! v2im's live channel, an extension of v2im-server (Tencent's REST API has none): a receiving
//! client holds `GET /v4/v2im/channel` open, authenticated like a REST call, and reads events,
//! one JSON object per line (`application/x-ndjson`, chunked).
//!
//! Query: the REST query (`sdkappid`, `identifier`, `usersig`, `random`, `contenttype`), plus
//! `userID` (whose events; default `identifier`; only the app admin may name another account),
//! `cursor` (continue after this event; absent: from now on) and `poll=1` (long-poll: the answer
//! ends after the first batch of events, or after one heartbeat with a `Ping`). A server that
//! refuses the channel answers with a REST error body (`application/json`) instead of the stream.
//!
//! Every stored event carries its `Cursor`, strictly increasing per account (with gaps: cursors
//! are numbered server-wide); a client that reconnects with the last cursor it committed gets
//! exactly the events after it, in order. A cursor the server no longer keeps events after (or
//! never issued) is refused with [`crate::codes::CHANNEL_CURSOR_GONE`]: resync from history and
//! reconnect without one. Online-only messages carry no cursor: they reach only the channels open
//! when they are sent and are never kept. `Conversation` events carry no cursor either: each is
//! the state of a conversation after the events just before it, so a later one replaces an
//! earlier one.

use crate::c2c::{RoamMsg, SessionItem};
use crate::group::GroupMsg;
use serde::{Deserialize, Serialize};

/// Path of the channel under `/v4/`.
pub const PATH: &str = "v2im/channel";
/// Content type of the stream.
pub const CONTENT_TYPE: &str = "application/x-ndjson";
/// Query key: whose events (default: `identifier`).
pub const QUERY_USER_ID: &str = "userID";
/// Query key: continue after this cursor (absent: from now on).
pub const QUERY_CURSOR: &str = "cursor";
/// Query key: `1` for long-poll (the answer ends after the first batch).
pub const QUERY_POLL: &str = "poll";

/// One line of the stream. Unknown events (from a newer server) read as [`Event::Unknown`].
// Events live one at a time, between a line and its handling: the message variants' size costs
// nothing, and boxing them would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "Event")]
pub enum Event {
    /// First line: the channel is open. `Cursor` is where delivery continues from (the client's
    /// cursor, or the account's newest event when it gave none); the server writes a `Ping` at
    /// least every `HeartbeatSecs`, so a silence of several heartbeats means the channel is dead.
    #[serde(rename_all = "PascalCase")]
    Hello { cursor: u64, heartbeat_secs: u64 },
    /// A one-to-one message to or from the account (its own messages sent from elsewhere too).
    #[serde(rename_all = "PascalCase")]
    C2cMsg {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<u64>,
        /// 1: sent with `onlineUserOnly` (then there is no cursor).
        #[serde(default)]
        online_only_flag: i64,
        msg: RoamMsg,
        /// The sender's `Nick` and `FaceUrl` (as `account_import` set them), when it has them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nick: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        face_url: Option<String>,
    },
    /// A message of a group the account is in (targeted messages only to their targets).
    #[serde(rename_all = "PascalCase")]
    GroupMsg {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<u64>,
        #[serde(default)]
        online_only_flag: i64,
        group_id: String,
        msg: GroupMsg,
        /// The sender's `Nick` and `FaceUrl` (as `account_import` set them), when it has them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nick: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        face_url: Option<String>,
    },
    /// A peer read the account's one-to-one messages up to `MsgReadTime` (a C2C read receipt).
    #[serde(rename_all = "PascalCase")]
    C2cRead {
        cursor: u64,
        #[serde(rename = "Peer_Account")]
        peer_account: String,
        msg_read_time: i64,
    },
    /// The peer `Peer_Account` sent read receipts (`c2c_msg_read_receipt`) for the account's
    /// one-to-one messages `MsgKeyList` (sent with `IsNeedReadReceipt`) at `MsgReadTime`.
    #[serde(rename_all = "PascalCase")]
    C2cReceipt {
        cursor: u64,
        #[serde(rename = "Peer_Account")]
        peer_account: String,
        msg_key_list: Vec<String>,
        msg_read_time: i64,
    },
    /// The account itself (from any client) marked a conversation read.
    #[serde(rename_all = "PascalCase")]
    ReadMark {
        cursor: u64,
        /// 1 one-to-one (`Peer_Account`), 2 group (`GroupId`).
        #[serde(rename = "Type")]
        kind: i64,
        #[serde(
            rename = "Peer_Account",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        peer_account: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
        msg_read_time: i64,
        /// Groups: the member has read every message with a seq up to this one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg_seq: Option<u64>,
    },
    /// Read receipts of one of the account's group messages sent with `NeedReadReceipt` changed.
    #[serde(rename_all = "PascalCase")]
    GroupReceipt {
        cursor: u64,
        group_id: String,
        msg_seq: u64,
        /// With `MsgSeq` and `MsgTimeStamp`, the message's msgID (`{seq}_{random}_{time}`).
        msg_random: u32,
        msg_time_stamp: i64,
        read_num: i64,
        unread_num: i64,
    },
    /// The state of one conversation after the events before it, and the account's total unread
    /// count.
    #[serde(rename_all = "PascalCase")]
    Conversation {
        item: SessionItem,
        all_unread_msg_num: i64,
    },
    /// Keeps the connection busy between events.
    Ping,
    /// An event this version does not know; skipped.
    #[serde(other)]
    Unknown,
}

impl Event {
    /// The cursor of a stored event.
    pub fn cursor(&self) -> Option<u64> {
        match self {
            Event::Hello { .. } | Event::Conversation { .. } | Event::Ping | Event::Unknown => None,
            Event::C2cMsg { cursor, .. } | Event::GroupMsg { cursor, .. } => *cursor,
            Event::C2cRead { cursor, .. }
            | Event::C2cReceipt { cursor, .. }
            | Event::ReadMark { cursor, .. }
            | Event::GroupReceipt { cursor, .. } => Some(*cursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_keep_their_shape() {
        let read = Event::C2cRead {
            cursor: 7,
            peer_account: "bob".into(),
            msg_read_time: 1700000000,
        };
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            json!({"Event": "C2cRead", "Cursor": 7, "Peer_Account": "bob", "MsgReadTime": 1700000000})
        );
        let hello: Event =
            serde_json::from_value(json!({"Event": "Hello", "Cursor": 3, "HeartbeatSecs": 15}))
                .unwrap();
        assert_eq!(
            hello,
            Event::Hello {
                cursor: 3,
                heartbeat_secs: 15
            }
        );
        let later: Event = serde_json::from_value(json!({"Event": "Typing", "Who": "x"})).unwrap();
        assert_eq!(later, Event::Unknown);
        assert_eq!(read.cursor(), Some(7));
        assert_eq!(Event::Ping.cursor(), None);
        let receipt = Event::GroupReceipt {
            cursor: 9,
            group_id: "g".into(),
            msg_seq: 3,
            msg_random: 4,
            msg_time_stamp: 5,
            read_num: 1,
            unread_num: 2,
        };
        assert_eq!(
            serde_json::to_value(&receipt).unwrap(),
            json!({"Event": "GroupReceipt", "Cursor": 9, "GroupId": "g", "MsgSeq": 3,
                "MsgRandom": 4, "MsgTimeStamp": 5, "ReadNum": 1, "UnreadNum": 2})
        );
        let c2c = Event::C2cReceipt {
            cursor: 10,
            peer_account: "bob".into(),
            msg_key_list: vec!["1_2_3".into()],
            msg_read_time: 6,
        };
        assert_eq!(
            serde_json::to_value(&c2c).unwrap(),
            json!({"Event": "C2cReceipt", "Cursor": 10, "Peer_Account": "bob",
                "MsgKeyList": ["1_2_3"], "MsgReadTime": 6})
        );
        assert_eq!(c2c.cursor(), Some(10));
        let mark = Event::ReadMark {
            cursor: 11,
            kind: 2,
            peer_account: None,
            group_id: Some("g".into()),
            msg_read_time: 7,
            msg_seq: Some(4),
        };
        assert_eq!(
            serde_json::to_value(&mark).unwrap(),
            json!({"Event": "ReadMark", "Cursor": 11, "Type": 2, "GroupId": "g",
                "MsgReadTime": 7, "MsgSeq": 4})
        );
        // Online-only messages have no cursor.
        let online: Event = serde_json::from_value(json!({"Event": "C2cMsg", "OnlineOnlyFlag": 1,
            "Msg": {"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2,
                "MsgTimeStamp": 3, "MsgKey": "1_2_3", "MsgBody": []}}))
        .unwrap();
        assert_eq!(online.cursor(), None);
        // The sender's profile: absent when unknown, `Nick` and `FaceUrl` when known.
        let Event::C2cMsg { nick, face_url, .. } = &online else {
            panic!("{online:?}")
        };
        assert_eq!((nick, face_url), (&None, &None));
        let with = Event::GroupMsg {
            cursor: Some(5),
            online_only_flag: 0,
            group_id: "g".into(),
            msg: GroupMsg::default(),
            nick: Some("Alice".into()),
            face_url: None,
        };
        let v = serde_json::to_value(&with).unwrap();
        assert_eq!((&v["Nick"], v.get("FaceUrl")), (&json!("Alice"), None));
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), with);
    }
}
