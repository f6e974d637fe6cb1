//! V2TIM's `V2TimMessageReceipt`: a read receipt of one message, or of a whole one-to-one
//! conversation (`msgID` empty).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Receipt {
    #[serde(rename = "msgID")]
    pub msg_id: String,
    /// The reader of a one-to-one message.
    #[serde(rename = "userID")]
    pub user_id: String,
    #[serde(rename = "groupID")]
    pub group_id: Option<String>,
    /// One-to-one: when the peer read.
    pub timestamp: i64,
    /// One-to-one: the peer has read.
    pub is_peer_read: bool,
    /// Group: members who have read / have not.
    pub read_count: i64,
    pub unread_count: i64,
}

impl Receipt {
    /// A one-to-one receipt from `peer` at `time` (of one message, or of all when `msg_id` is
    /// empty).
    pub(crate) fn c2c(msg_id: String, peer: String, time: i64) -> Receipt {
        Receipt {
            msg_id,
            user_id: peer,
            group_id: None,
            timestamp: time,
            is_peer_read: true,
            read_count: 0,
            unread_count: 0,
        }
    }

    /// The read counts of a group message.
    pub(crate) fn group(msg_id: String, group_id: String, read: i64, unread: i64) -> Receipt {
        Receipt {
            msg_id,
            user_id: String::new(),
            group_id: Some(group_id),
            timestamp: 0,
            is_peer_read: false,
            read_count: read,
            unread_count: unread,
        }
    }
}
