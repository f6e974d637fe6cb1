//! V2TIM's `V2TimConversation`, from a REST `SessionItem` (`recentcontact/get_list`, and the live
//! channel's `Conversation` events).

use super::Message;
use serde::ser::{Serialize, SerializeMap, Serializer};
use v2im_wire::c2c::SessionItem;

/// V2TIM's conversation types.
pub(crate) const C2C: i64 = 1;
pub(crate) const GROUP: i64 = 2;

/// One conversation as V2TIM shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conversation {
    /// 1 one-to-one, 2 group.
    pub kind: i64,
    /// The peer (one-to-one) or the group.
    pub peer: String,
    pub unread_count: i64,
    /// The last message not sent with `isExcludedFromLastMessage`, if the server gives it.
    pub last_message: Option<Message>,
    pub is_pinned: bool,
    /// Time of the last message: the order of the list (newest first).
    pub order_key: i64,
}

impl Conversation {
    /// `c2c_<userID>` or `group_<groupID>`.
    pub(crate) fn id(&self) -> String {
        match self.kind {
            GROUP => format!("group_{}", self.peer),
            _ => format!("c2c_{}", self.peer),
        }
    }

    /// A REST conversation item as `self_user` sees it.
    pub(crate) fn from_session(item: &SessionItem, self_user: &str) -> Conversation {
        let (kind, peer) = match (&item.group_id, &item.to_account) {
            (Some(g), _) if item.kind == GROUP => (GROUP, g.clone()),
            (_, Some(u)) => (C2C, u.clone()),
            (Some(g), None) => (GROUP, g.clone()),
            (None, None) => (item.kind, String::new()),
        };
        let last_message = match kind {
            GROUP => item
                .group_last_msg
                .as_ref()
                .map(|m| Message::from_group_msg(m, &peer, self_user)),
            _ => item
                .c2c_last_msg
                .as_ref()
                .map(|m| Message::from_roam(m, self_user)),
        };
        Conversation {
            kind,
            peer,
            unread_count: item.unread_msg_num,
            last_message,
            is_pinned: item.top_flag == 1,
            order_key: item.msg_time,
        }
    }
}

/// The `V2TimConversation` JSON: every key V2TIM has, `null` where v2im has nothing to show
/// (no profiles, drafts or marks).
impl Serialize for Conversation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const NULL: Option<&str> = None;
        let group = self.kind == GROUP;
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("conversationID", &self.id())?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("userID", &(!group).then_some(&self.peer))?;
        m.serialize_entry("groupID", &group.then_some(&self.peer))?;
        m.serialize_entry("showName", &self.peer)?;
        m.serialize_entry("faceUrl", &NULL)?;
        m.serialize_entry("groupType", &NULL)?;
        m.serialize_entry("unreadCount", &self.unread_count)?;
        m.serialize_entry("lastMessage", &self.last_message)?;
        m.serialize_entry("draftText", &NULL)?;
        m.serialize_entry("draftTimestamp", &NULL)?;
        m.serialize_entry("groupAtInfoList", &[(); 0])?;
        m.serialize_entry("isPinned", &self.is_pinned)?;
        m.serialize_entry("recvOpt", &0)?;
        m.serialize_entry("orderkey", &self.order_key)?;
        m.serialize_entry("customData", &NULL)?;
        m.end()
    }
}
