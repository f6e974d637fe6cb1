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
use serde::de::{self, value::MapAccessDeserializer, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

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
///
/// `Event` is each line's first key (it is where serde writes the tag). A reader relies on that:
/// it picks the event's type from the first key and reads the rest of the line straight into
/// that type, so no line is buffered and the message types are read by the same code as in the
/// REST answers. A line whose first key is another is refused.
// Events live one at a time, between a line and its handling: the message variants' size costs
// nothing, and boxing them would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Event")]
pub enum Event {
    /// First line: the channel is open (see [`HelloEvent`]).
    Hello(HelloEvent),
    /// A one-to-one message to or from the account (its own messages sent from elsewhere too).
    C2cMsg(C2cMsgEvent),
    /// A message of a group the account is in (targeted messages only to their targets).
    GroupMsg(GroupMsgEvent),
    /// A peer read the account's one-to-one messages up to `MsgReadTime` (a C2C read receipt).
    C2cRead(C2cReadEvent),
    /// The peer `Peer_Account` sent read receipts (`c2c_msg_read_receipt`) for the account's
    /// one-to-one messages `MsgKeyList` (sent with `IsNeedReadReceipt`) at `MsgReadTime`.
    C2cReceipt(C2cReceiptEvent),
    /// The account itself (from any client) marked a conversation read.
    ReadMark(ReadMarkEvent),
    /// Read receipts of one of the account's group messages sent with `NeedReadReceipt` changed.
    GroupReceipt(GroupReceiptEvent),
    /// The state of one conversation after the events before it, and the account's total unread
    /// count.
    Conversation(ConversationEvent),
    /// Keeps the connection busy between events.
    Ping,
    /// An event this version does not know; skipped.
    Unknown,
}

/// [`Event::Hello`]. `Cursor` is where delivery continues from (the client's cursor, or the
/// account's newest event when it gave none); the server writes a `Ping` at least every
/// `HeartbeatSecs`, so a silence of several heartbeats means the channel is dead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HelloEvent {
    pub cursor: u64,
    pub heartbeat_secs: u64,
}

/// [`Event::C2cMsg`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cMsgEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<u64>,
    /// 1: sent with `onlineUserOnly` (then there is no cursor).
    #[serde(default)]
    pub online_only_flag: i64,
    pub msg: RoamMsg,
    /// The sender's `Nick` and `FaceUrl` (as `account_import` set them), when it has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

/// [`Event::GroupMsg`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<u64>,
    #[serde(default)]
    pub online_only_flag: i64,
    pub group_id: String,
    pub msg: GroupMsg,
    /// The sender's `Nick` and `FaceUrl` (as `account_import` set them), when it has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
}

/// [`Event::C2cRead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cReadEvent {
    pub cursor: u64,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    pub msg_read_time: i64,
}

/// [`Event::C2cReceipt`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cReceiptEvent {
    pub cursor: u64,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    pub msg_key_list: Vec<String>,
    pub msg_read_time: i64,
}

/// [`Event::ReadMark`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadMarkEvent {
    pub cursor: u64,
    /// 1 one-to-one (`Peer_Account`), 2 group (`GroupId`).
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(
        rename = "Peer_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub peer_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    pub msg_read_time: i64,
    /// Groups: the member has read every message with a seq up to this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u64>,
}

/// [`Event::GroupReceipt`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupReceiptEvent {
    pub cursor: u64,
    pub group_id: String,
    pub msg_seq: u64,
    /// With `MsgSeq` and `MsgTimeStamp`, the message's msgID (`{seq}_{random}_{time}`).
    pub msg_random: u32,
    pub msg_time_stamp: i64,
    pub read_num: i64,
    pub unread_num: i64,
}

/// [`Event::Conversation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConversationEvent {
    pub item: SessionItem,
    pub all_unread_msg_num: i64,
}

impl Event {
    /// The cursor of a stored event.
    pub fn cursor(&self) -> Option<u64> {
        match self {
            Event::Hello(_) | Event::Conversation(_) | Event::Ping | Event::Unknown => None,
            Event::C2cMsg(e) => e.cursor,
            Event::GroupMsg(e) => e.cursor,
            Event::C2cRead(e) => Some(e.cursor),
            Event::C2cReceipt(e) => Some(e.cursor),
            Event::ReadMark(e) => Some(e.cursor),
            Event::GroupReceipt(e) => Some(e.cursor),
        }
    }
}

/// Written by hand rather than derived: serde's derive for a tagged enum first buffers the whole
/// line into a generic tree, because the tag may come last, and so compiles a second reader of
/// every type inside an event (messages, elements, push info): about 150 KB of the library.
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object whose first key is \"Event\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        match map.next_key::<String>()? {
            Some(k) if k == "Event" => {}
            Some(k) => {
                return Err(de::Error::custom(format_args!(
                    "the first key must be `Event`, not `{k}`"
                )))
            }
            None => return Err(de::Error::missing_field("Event")),
        }
        let tag: String = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        Ok(match tag.as_str() {
            "Hello" => Event::Hello(Deserialize::deserialize(rest)?),
            "C2cMsg" => Event::C2cMsg(Deserialize::deserialize(rest)?),
            "GroupMsg" => Event::GroupMsg(Deserialize::deserialize(rest)?),
            "C2cRead" => Event::C2cRead(Deserialize::deserialize(rest)?),
            "C2cReceipt" => Event::C2cReceipt(Deserialize::deserialize(rest)?),
            "ReadMark" => Event::ReadMark(Deserialize::deserialize(rest)?),
            "GroupReceipt" => Event::GroupReceipt(Deserialize::deserialize(rest)?),
            "Conversation" => Event::Conversation(Deserialize::deserialize(rest)?),
            other => {
                IgnoredAny::deserialize(rest)?;
                if other == "Ping" {
                    Event::Ping
                } else {
                    Event::Unknown
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_keep_their_shape() {
        let read = Event::C2cRead(C2cReadEvent {
            cursor: 7,
            peer_account: "bob".into(),
            msg_read_time: 1700000000,
        });
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            json!({"Event": "C2cRead", "Cursor": 7, "Peer_Account": "bob", "MsgReadTime": 1700000000})
        );
        let hello: Event =
            serde_json::from_str(r#"{"Event": "Hello", "Cursor": 3, "HeartbeatSecs": 15}"#)
                .unwrap();
        assert_eq!(
            hello,
            Event::Hello(HelloEvent {
                cursor: 3,
                heartbeat_secs: 15
            })
        );
        let later: Event =
            serde_json::from_str(r#"{"Event": "Typing", "Who": {"x": [1, {"y": null}]}}"#).unwrap();
        assert_eq!(later, Event::Unknown);
        let ping: Event = serde_json::from_str(r#"{"Event": "Ping", "Later": 1}"#).unwrap();
        assert_eq!(ping, Event::Ping);
        assert_eq!(
            serde_json::to_string(&Event::Ping).unwrap(),
            r#"{"Event":"Ping"}"#
        );
        assert_eq!(read.cursor(), Some(7));
        assert_eq!(Event::Ping.cursor(), None);
        let receipt = Event::GroupReceipt(GroupReceiptEvent {
            cursor: 9,
            group_id: "g".into(),
            msg_seq: 3,
            msg_random: 4,
            msg_time_stamp: 5,
            read_num: 1,
            unread_num: 2,
        });
        assert_eq!(
            serde_json::to_value(&receipt).unwrap(),
            json!({"Event": "GroupReceipt", "Cursor": 9, "GroupId": "g", "MsgSeq": 3,
                "MsgRandom": 4, "MsgTimeStamp": 5, "ReadNum": 1, "UnreadNum": 2})
        );
        let c2c = Event::C2cReceipt(C2cReceiptEvent {
            cursor: 10,
            peer_account: "bob".into(),
            msg_key_list: vec!["1_2_3".into()],
            msg_read_time: 6,
        });
        assert_eq!(
            serde_json::to_value(&c2c).unwrap(),
            json!({"Event": "C2cReceipt", "Cursor": 10, "Peer_Account": "bob",
                "MsgKeyList": ["1_2_3"], "MsgReadTime": 6})
        );
        assert_eq!(c2c.cursor(), Some(10));
        let mark = Event::ReadMark(ReadMarkEvent {
            cursor: 11,
            kind: 2,
            peer_account: None,
            group_id: Some("g".into()),
            msg_read_time: 7,
            msg_seq: Some(4),
        });
        assert_eq!(
            serde_json::to_value(&mark).unwrap(),
            json!({"Event": "ReadMark", "Cursor": 11, "Type": 2, "GroupId": "g",
                "MsgReadTime": 7, "MsgSeq": 4})
        );
        // Online-only messages have no cursor.
        let online: Event = serde_json::from_str(
            r#"{"Event": "C2cMsg", "OnlineOnlyFlag": 1,
            "Msg": {"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2,
                "MsgTimeStamp": 3, "MsgKey": "1_2_3", "MsgBody": []}}"#,
        )
        .unwrap();
        assert_eq!(online.cursor(), None);
        // The sender's profile: absent when unknown, `Nick` and `FaceUrl` when known.
        let Event::C2cMsg(C2cMsgEvent { nick, face_url, .. }) = &online else {
            panic!("{online:?}")
        };
        assert_eq!((nick, face_url), (&None, &None));
        let with = Event::GroupMsg(GroupMsgEvent {
            cursor: Some(5),
            online_only_flag: 0,
            group_id: "g".into(),
            msg: GroupMsg::default(),
            nick: Some("Alice".into()),
            face_url: None,
        });
        let line = serde_json::to_string(&with).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!((&v["Nick"], v.get("FaceUrl")), (&json!("Alice"), None));
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), with);
    }

    /// Every event reads back as written: the tag is written first, where readers look for it.
    #[test]
    fn every_event_reads_back() {
        let events = [
            Event::Hello(HelloEvent {
                cursor: 1,
                heartbeat_secs: 2,
            }),
            Event::C2cMsg(C2cMsgEvent {
                cursor: Some(3),
                online_only_flag: 0,
                msg: RoamMsg::default(),
                nick: None,
                face_url: Some("f".into()),
            }),
            Event::C2cRead(C2cReadEvent {
                cursor: 4,
                peer_account: "p".into(),
                msg_read_time: 5,
            }),
            Event::Conversation(ConversationEvent {
                item: SessionItem::default(),
                all_unread_msg_num: 6,
            }),
            Event::Ping,
        ];
        for e in events {
            let line = serde_json::to_string(&e).unwrap();
            assert!(line.starts_with(r#"{"Event":""#), "{line}");
            assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), e, "{line}");
        }
    }

    /// A line whose first key is not `Event`, or that is not an object, is refused with a
    /// reason; a known event with a bad field names the field.
    #[test]
    fn bad_lines_are_refused() {
        for (line, says) in [
            (
                r#"{"Cursor": 1, "Event": "C2cRead"}"#,
                "first key must be `Event`, not `Cursor`",
            ),
            (r#"{}"#, "missing field `Event`"),
            (r#"[]"#, "first key is \"Event\""),
            (r#"{"Event": 5}"#, "invalid type"),
            (r#"{"Event": "C2cRead", "Cursor": "x"}"#, "invalid type"),
            (
                r#"{"Event": "C2cRead", "Cursor": 1}"#,
                "missing field `Peer_Account`",
            ),
            (r#"{"Event": "Ping""#, "EOF"),
        ] {
            let e = serde_json::from_str::<Event>(line).unwrap_err().to_string();
            assert!(e.contains(says), "{line}: {e}");
        }
    }
}
