//! A message on the wire: REST send bodies (each `sendMessage` option mapped to its REST field), the
//! send answers, and history items
//! read back into messages.

use super::at;
use super::elem::Elem;
use super::message::Message;
use super::msg_id;
use super::options::SendOptions;
use super::priority::Priority;
use super::push::OfflinePushInfo;
use super::status::MessageStatus;
use v2im_wire::c2c::{RoamMsg, SendMsgRequest, SendMsgResponse};
use v2im_wire::elem::RelayMsg;
use v2im_wire::group::{GroupMsg, SendGroupMsgRequest, SendGroupMsgResponse};
use v2im_wire::MsgElement;

const NO_UNREAD: &str = "NoUnread";
const NO_LAST_MSG: &str = "NoLastMsg";
/// `SyncOtherMachine`: 1 = also deliver to the sender's other devices and roaming, as a message
/// sent from a client is.
const SYNC_TO_SENDER: i64 = 1;
/// `MsgFlagBits` of a recalled C2C message.
const MSG_FLAG_RECALLED: i64 = 8;

/// The send options of a history item in their REST form (C2C and group items name some of
/// them differently).
struct HistoryOptions<'a> {
    priority: Priority,
    cloud_custom_data: &'a str,
    support_message_extension: Option<i64>,
    need_read_receipt: Option<i64>,
    offline_push_info: Option<&'a v2im_wire::push::OfflinePushInfo>,
    send_msg_control: Option<&'a [String]>,
}

impl HistoryOptions<'_> {
    fn into_options(self) -> SendOptions {
        let control = |w: &str| {
            self.send_msg_control
                .is_some_and(|c| c.iter().any(|x| x == w))
        };
        SendOptions {
            priority: self.priority,
            // Not in history: an online-only message is never stored.
            online_user_only: false,
            offline_push_info: self
                .offline_push_info
                .map(|p| Box::new(OfflinePushInfo::from_wire(p))),
            need_read_receipt: self.need_read_receipt == Some(1),
            is_excluded_from_unread_count: control(NO_UNREAD),
            is_excluded_from_last_message: control(NO_LAST_MSG),
            is_support_message_extension: self.support_message_extension == Some(1),
            cloud_custom_data: (!self.cloud_custom_data.is_empty())
                .then(|| self.cloud_custom_data.to_owned()),
        }
    }
}

impl Message {
    fn body(&self) -> Vec<MsgElement> {
        self.elems.iter().map(Elem::to_wire).collect()
    }

    fn send_msg_control(&self) -> Option<Vec<String>> {
        let mut c = Vec::new();
        if self.options.is_excluded_from_unread_count {
            c.push(NO_UNREAD.to_owned());
        }
        if self.options.is_excluded_from_last_message {
            c.push(NO_LAST_MSG.to_owned());
        }
        (!c.is_empty()).then_some(c)
    }

    fn cloud_data_for_wire(&self) -> Option<String> {
        self.options
            .cloud_custom_data
            .clone()
            .filter(|s| !s.is_empty())
    }

    /// `openim/sendmsg` body. `local_custom_data` is never part of it.
    pub fn to_sendmsg_request(&self) -> SendMsgRequest {
        SendMsgRequest {
            sync_other_machine: Some(SYNC_TO_SENDER),
            from_account: Some(self.sender.to_string()),
            to_account: self.user_id.clone().unwrap_or_default(),
            msg_life_time: self.options.online_user_only.then_some(0),
            msg_seq: Some(self.wire_seq),
            msg_random: self.random,
            msg_body: self.body(),
            cloud_custom_data: self.cloud_data_for_wire(),
            support_message_extension: self.options.is_support_message_extension.then_some(1),
            offline_push_info: self
                .options
                .offline_push_info
                .as_deref()
                .map(OfflinePushInfo::to_wire),
            send_msg_control: self.send_msg_control(),
            forbid_callback_control: None,
            is_need_read_receipt: self.options.need_read_receipt.then_some(1),
        }
    }

    /// `group_open_http_svc/send_group_msg` body. `local_custom_data` is never part of it.
    pub fn to_group_request(&self) -> SendGroupMsgRequest {
        SendGroupMsgRequest {
            group_id: self.group_id.clone().unwrap_or_default(),
            random: self.random,
            msg_priority: self.options.priority.rest_name().map(str::to_owned),
            msg_body: self.body(),
            from_account: Some(self.sender.to_string()),
            offline_push_info: self
                .options
                .offline_push_info
                .as_deref()
                .map(OfflinePushInfo::to_wire),
            forbid_callback_control: None,
            online_only_flag: self.options.online_user_only.then_some(1),
            // Tencent refuses SendMsgControl together with OnlineOnlyFlag; an online-only message
            // is stored nowhere, so it counts as neither unread nor last message anyway.
            send_msg_control: if self.options.online_user_only {
                None
            } else {
                self.send_msg_control()
            },
            cloud_custom_data: self.cloud_data_for_wire(),
            support_message_extension: self.options.is_support_message_extension.then_some(1),
            to_account: (!self.target_group_member_list.is_empty())
                .then(|| self.target_group_member_list.clone()),
            topic_id: None,
            group_at_info: (!self.group_at_user_list.is_empty())
                .then(|| at::to_wire(&self.group_at_user_list)),
            need_read_receipt: self.options.need_read_receipt.then_some(1),
        }
    }

    /// The server accepted a C2C message: status 2, server time, `msgID` = `MsgKey`, `seq` = the
    /// `MsgSeq` that was sent.
    pub fn mark_sent_c2c(&mut self, resp: &SendMsgResponse) {
        self.status = MessageStatus::SendSucc;
        self.timestamp = resp.msg_time;
        self.msg_id = Some(if resp.msg_key.is_empty() {
            // A server that gives no key: the same shape v2im-server uses.
            msg_id::group(u64::from(self.wire_seq), self.random, resp.msg_time)
        } else {
            msg_id::c2c(&resp.msg_key)
        });
        self.seq = Some(self.wire_seq.to_string());
        self.progress = 100;
    }

    /// The server accepted a group message: status 2, server time and seq, `msgID` built from
    /// them.
    pub fn mark_sent_group(&mut self, resp: &SendGroupMsgResponse) {
        self.status = MessageStatus::SendSucc;
        self.timestamp = resp.msg_time;
        self.msg_id = Some(msg_id::group(resp.msg_seq, self.random, resp.msg_time));
        self.seq = Some(resp.msg_seq.to_string());
        self.progress = 100;
    }

    /// A message read from history has no create-id: its `id` is its `msgID`.
    fn from_history(msg_id: String, elems: Vec<Elem>, sender: &str, self_user: &str) -> Message {
        let mut m = Message::new(msg_id.clone(), elems, sender);
        m.msg_id = Some(msg_id);
        m.status = MessageStatus::SendSucc;
        m.is_self = sender == self_user;
        m.is_read = true;
        m.options.priority = Priority::Normal;
        m
    }

    /// A C2C history item (`admin_getroammsg`) as `self_user` sees it.
    pub fn from_roam(item: &RoamMsg, self_user: &str) -> Message {
        let elems = item
            .msg_body
            .iter()
            .map(|e| Elem::from_wire_for(e, self_user))
            .collect();
        let mut m = Message::from_history(
            msg_id::c2c(&item.msg_key),
            elems,
            &item.from_account,
            self_user,
        );
        let peer = if m.is_self {
            &item.to_account
        } else {
            &item.from_account
        };
        m.user_id = Some(peer.clone());
        m.timestamp = item.msg_time_stamp;
        m.seq = Some(item.msg_seq.to_string());
        m.random = item.msg_random;
        m.wire_seq = item.msg_seq;
        // "The peer has read it" is about the messages one sent.
        m.is_peer_read = m.is_self && item.is_peer_read == 1;
        if item.msg_flag_bits & MSG_FLAG_RECALLED != 0 {
            m.status = MessageStatus::LocalRevoked;
        }
        m.options = HistoryOptions {
            priority: m.options.priority,
            cloud_custom_data: &item.cloud_custom_data,
            support_message_extension: item.support_message_extension,
            need_read_receipt: item.is_need_read_receipt,
            offline_push_info: item.offline_push_info.as_ref(),
            send_msg_control: item.send_msg_control.as_deref(),
        }
        .into_options();
        m
    }

    /// A group history item (`group_msg_get_simple`) of `group_id` as `self_user` sees it.
    pub fn from_group_msg(item: &GroupMsg, group_id: &str, self_user: &str) -> Message {
        let elems = item
            .msg_body
            .iter()
            .map(|e| Elem::from_wire_for(e, self_user))
            .collect();
        let mut m = Message::from_history(
            msg_id::group(item.msg_seq, item.msg_random, item.msg_time_stamp),
            elems,
            &item.from_account,
            self_user,
        );
        m.group_id = Some(group_id.to_owned());
        m.timestamp = item.msg_time_stamp;
        m.seq = Some(item.msg_seq.to_string());
        m.random = item.msg_random;
        m.status = match item.is_place_msg {
            1 => MessageStatus::HasDeleted,
            2 => MessageStatus::LocalRevoked,
            _ => MessageStatus::SendSucc,
        };
        m.options = HistoryOptions {
            priority: Priority::from_rest_history(item.msg_priority),
            cloud_custom_data: &item.cloud_custom_data,
            support_message_extension: item.support_message_extension,
            need_read_receipt: item.need_read_receipt,
            offline_push_info: item.offline_push_info.as_ref(),
            send_msg_control: item.send_msg_control.as_deref(),
        }
        .into_options();
        m.group_at_user_list = item
            .group_at_info
            .as_deref()
            .map(at::from_wire)
            .unwrap_or_default();
        m.target_group_member_list = item.to_account.clone().unwrap_or_default();
        m
    }

    /// This message as an item of a `TIMRelayElem` `MsgList`.
    pub fn to_relay(&self) -> RelayMsg {
        RelayMsg {
            from_account: self.sender.to_string(),
            to_account: if self.group_id.is_some() {
                None
            } else {
                self.user_id.clone()
            },
            group_id: self.group_id.clone(),
            msg_seq: self
                .seq
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            msg_random: i64::from(self.random),
            msg_time_stamp: self.timestamp,
            msg_body: self.body(),
            cloud_custom_data: self.options.cloud_custom_data.clone().unwrap_or_default(),
        }
    }

    /// An item of a `TIMRelayElem` `MsgList` as a message (its msgID by the common rule).
    pub fn from_relay(r: &RelayMsg, self_user: &str) -> Message {
        let seq = u64::try_from(r.msg_seq).unwrap_or(0);
        let random = u32::try_from(r.msg_random).unwrap_or(0);
        let elems = r
            .msg_body
            .iter()
            .map(|e| Elem::from_wire_for(e, self_user))
            .collect();
        let mut m = Message::from_history(
            msg_id::group(seq, random, r.msg_time_stamp),
            elems,
            &r.from_account,
            self_user,
        );
        m.group_id = r.group_id.clone();
        m.user_id = if r.group_id.is_some() {
            None
        } else {
            r.to_account.clone()
        };
        m.timestamp = r.msg_time_stamp;
        m.seq = Some(seq.to_string());
        m.random = random;
        m.options.cloud_custom_data =
            (!r.cloud_custom_data.is_empty()).then(|| r.cloud_custom_data.clone());
        m
    }
}
