//! `sendMessage`'s parameters (the seed's table) and V2TIM's checks before anything goes on the
//! wire.
//!
//! Rules decided here (documented for callers):
//! - `receiver` only: one-to-one. `groupID` only: group. Both: a targeted group message to that
//!   one member (native V2TIM). Neither: 6017. Empty strings count as absent (Flutter passes "").
//! - Boolean options, `priority`, `offlinePushInfo` and the custom data override the message's
//!   values only when given (F8's rule), so a re-send after a failure keeps earlier options.
//! - A message may be sent once. After a failure (status 3) it may be sent again and keeps its
//!   `random` and `MsgSeq`, so the server drops the copy if the first attempt did arrive.
//! - A message already sending or sent is refused (6017: "forward it"), except forward and merger
//!   messages (`isForwardMessage`), which V2TIM lets one send to several targets: each further
//!   send makes a new message (new `id`, new `random`) with the same elements, and the result
//!   carries that new `id`.

use crate::codes::{Error, Result, ERR_SDK_MSG_BODY_SIZE_LIMIT};
use crate::model::args::{self, Params};
use crate::model::message::now_secs;
use crate::model::{Message, MessageStatus, OfflinePushInfo, Priority};
use crate::registry::Registry;
use v2im_wire::codes::limits;

/// Every `sendMessage` parameter of the seed's table. `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendParams {
    /// The create-id (a msgID is accepted too).
    pub id: String,
    pub receiver: Option<String>,
    pub group_id: Option<String>,
    pub priority: Option<Priority>,
    pub online_user_only: Option<bool>,
    pub offline_push_info: Option<OfflinePushInfo>,
    pub need_read_receipt: Option<bool>,
    pub is_excluded_from_unread_count: Option<bool>,
    pub is_excluded_from_last_message: Option<bool>,
    pub is_support_message_extension: Option<bool>,
    pub cloud_custom_data: Option<String>,
    /// Local only: stored on the message, never sent.
    pub local_custom_data: Option<String>,
}

/// A string parameter where "" means absent.
fn opt_nonempty(p: &Params, name: &str) -> Result<Option<String>> {
    Ok(args::opt_str(p, name)?
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

impl SendParams {
    /// Reads and type-checks the params (6017 naming the parameter). Unknown keys are ignored.
    pub fn parse(params: &Params) -> Result<SendParams> {
        Ok(SendParams {
            id: args::req_nonempty_str(params, "id")?.to_owned(),
            receiver: opt_nonempty(params, "receiver")?,
            group_id: opt_nonempty(params, "groupID")?,
            priority: match params.get("priority") {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(Priority::parse(v)?),
            },
            online_user_only: args::opt_bool(params, "onlineUserOnly")?,
            offline_push_info: args::opt_object(params, "offlinePushInfo")?
                .map(OfflinePushInfo::parse)
                .transpose()?,
            need_read_receipt: args::opt_bool(params, "needReadReceipt")?,
            is_excluded_from_unread_count: args::opt_bool(params, "isExcludedFromUnreadCount")?,
            is_excluded_from_last_message: args::opt_bool(params, "isExcludedFromLastMessage")?,
            is_support_message_extension: args::opt_bool(params, "isSupportMessageExtension")?,
            cloud_custom_data: opt_nonempty(params, "cloudCustomData")?,
            local_custom_data: opt_nonempty(params, "localCustomData")?,
        })
    }
}

/// Where the message goes.
enum Target<'a> {
    C2c(&'a str),
    Group(&'a str),
    /// Group message to one member (`receiver` and `groupID` both given).
    GroupMember(&'a str, &'a str),
}

fn target(p: &SendParams) -> Result<Target<'_>> {
    match (p.receiver.as_deref(), p.group_id.as_deref()) {
        (None, None) => Err(Error::invalid_param(
            "sendMessage needs receiver (one-to-one) or groupID (group); both are empty",
        )),
        (Some(r), None) => Ok(Target::C2c(r)),
        (None, Some(g)) => Ok(Target::Group(g)),
        (Some(r), Some(g)) => Ok(Target::GroupMember(g, r)),
    }
}

/// Whether the message may be sent now; `Ok(true)` = send a new copy (a forward message that
/// was already sent).
fn check_state(m: &Message) -> Result<bool> {
    let busy = m.status == MessageStatus::SendSucc
        || (m.status == MessageStatus::Sending && m.send_count > 0);
    match m.status {
        _ if busy && m.is_forward_message => Ok(true),
        _ if busy => Err(Error::invalid_param(format!(
            "message {} has already been sent or is being sent; use createForwardMessage to send it again",
            m.id
        ))),
        MessageStatus::Sending | MessageStatus::SendFail => Ok(false),
        s => Err(Error::invalid_param(format!(
            "message {} cannot be sent in status {}",
            m.id,
            s.value()
        ))),
    }
}

/// The target and the @/targeted rules, checked on the message as it would be sent.
fn check_target(m: &Message, t: &Target<'_>) -> Result<()> {
    let (group, targets) = match *t {
        Target::C2c(_) => (false, m.target_group_member_list.len()),
        Target::Group(_) => (true, m.target_group_member_list.len()),
        Target::GroupMember(_, r) => {
            if !m.target_group_member_list.is_empty()
                && m.target_group_member_list.iter().all(|x| x != r)
            {
                return Err(Error::invalid_param(format!(
                    "receiver \"{r}\" is not in the message's targetGroupMemberList; pass only groupID"
                )));
            }
            (true, 1)
        }
    };
    let at = m.group_at_user_list.len();
    if !group && (at > 0 || targets > 0) {
        return Err(Error::invalid_param(
            "groupAtUserList and targetGroupMemberList apply to group messages; pass groupID",
        ));
    }
    if at > limits::MAX_AT_USERS {
        return Err(Error::invalid_param(format!(
            "groupAtUserList has {at} entries; at most {} (@all included)",
            limits::MAX_AT_USERS
        )));
    }
    if targets > limits::MAX_TARGETED_MEMBERS {
        return Err(Error::invalid_param(format!(
            "targetGroupMemberList has {targets} members; at most {}",
            limits::MAX_TARGETED_MEMBERS
        )));
    }
    if at > 0 && targets > 0 {
        return Err(Error::invalid_param(
            "a targeted group message cannot @ users (groupAtUserList with targetGroupMemberList)",
        ));
    }
    Ok(())
}

/// Applies the target and every given option to `m` (already checked) and marks it sending.
fn apply(m: &mut Message, p: &SendParams, t: &Target<'_>, self_user: &str) {
    match *t {
        Target::C2c(r) => {
            m.user_id = Some(r.to_owned());
            m.group_id = None;
        }
        Target::Group(g) => {
            m.group_id = Some(g.to_owned());
            m.user_id = None;
        }
        Target::GroupMember(g, r) => {
            m.group_id = Some(g.to_owned());
            m.user_id = None;
            m.target_group_member_list = vec![r.to_owned()];
        }
    }
    if let Some(v) = p.priority {
        m.priority = v;
    }
    if let Some(v) = p.online_user_only {
        m.online_user_only = v;
    }
    if let Some(v) = &p.offline_push_info {
        m.offline_push_info = Some(v.clone());
    }
    if let Some(v) = p.need_read_receipt {
        m.need_read_receipt = v;
    }
    if let Some(v) = p.is_excluded_from_unread_count {
        m.is_excluded_from_unread_count = v;
    }
    if let Some(v) = p.is_excluded_from_last_message {
        m.is_excluded_from_last_message = v;
    }
    if let Some(v) = p.is_support_message_extension {
        m.is_support_message_extension = v;
    }
    if let Some(v) = &p.cloud_custom_data {
        m.cloud_custom_data = Some(v.clone());
    }
    if let Some(v) = &p.local_custom_data {
        m.local_custom_data = Some(v.clone());
    }
    m.sender = self_user.to_owned();
    m.is_self = true;
    m.status = MessageStatus::Sending;
    m.msg_id = None;
    m.seq = None;
    m.timestamp = now_secs();
    if m.wire_seq == 0 {
        m.wire_seq = fastrand::u32(1..);
    }
    m.send_count += 1;
}

/// V2TIM's validation and the send options applied to the registry's message (see the module
/// doc for the rules). Returns a copy of the message as it must be sent (status 1); the registry
/// holds the same state. Nothing is changed when an error is returned.
pub fn prepare_send(registry: &Registry, p: &SendParams, self_user: &str) -> Result<Message> {
    let t = target(p)?;
    let unknown = || Error::invalid_param(format!("id: no message with id \"{}\"", p.id));
    // Elements never change after creation, so the size is measured under the shared lock and
    // a huge body does not hold up writers.
    let body = registry
        .read(&p.id, Message::body_bytes)
        .ok_or_else(unknown)?;
    if body > limits::MAX_BODY_BYTES {
        return Err(Error::new(
            ERR_SDK_MSG_BODY_SIZE_LIMIT,
            format!(
                "message body is {body} bytes; the limit is {} bytes",
                limits::MAX_BODY_BYTES
            ),
        ));
    }
    let outcome = registry
        .update(
            &p.id,
            |m| -> Result<std::result::Result<Message, Message>> {
                if check_state(m)? {
                    // An already-sent forward message: the copy is made outside the lock.
                    return Ok(Err(m.clone()));
                }
                check_target(m, &t)?;
                apply(m, p, &t, self_user);
                Ok(Ok(m.clone()))
            },
        )
        .ok_or_else(unknown)??;
    match outcome {
        Ok(m) => Ok(m),
        Err(source) => {
            let mut m = source.copy_elems(registry.next_id(), self_user);
            m.is_forward_message = true;
            m.cloud_custom_data = source.cloud_custom_data;
            m.target_group_member_list = source.target_group_member_list;
            m.group_at_user_list = source.group_at_user_list;
            check_target(&m, &t)?;
            apply(&mut m, p, &t, self_user);
            registry.insert(m.clone());
            Ok(m)
        }
    }
}
