//! `sendMessage`'s parameters and V2TIM's checks before anything goes on the wire.
//!
//! Rules decided here (documented for callers):
//! - `receiver` only: one-to-one. `groupID` only: group. Both: a targeted group message to that
//!   one member (native V2TIM). Neither: 6017. Empty strings count as absent (Flutter passes "").
//! - The options (`priority`, the booleans, `offlinePushInfo`, `cloudCustomData`) and
//!   `localCustomData` override the message's values only when given (V2TIM's rule), so a
//!   re-send after a failure keeps earlier options.
//! - A message may be sent once. After a failure (status 3) it may be sent again and keeps its
//!   `random` and `MsgSeq`, so the server drops the copy if the first attempt did arrive.
//! - A message already sending or sent is refused (6017: "forward it"), except forward and merger
//!   messages (`isForwardMessage`), which V2TIM lets one send to several targets: each further
//!   send makes a new message (new `id`, new `random`) with the same elements, and the result
//!   carries that new `id`.

use crate::codes::{Error, Result, ERR_SDK_MSG_BODY_SIZE_LIMIT};
use crate::model::message::now_secs;
use crate::model::{Message, MessageStatus, SendOptions, SendOptionsPatch};
use crate::params::{self, nonempty, Id, Params};
use crate::registry::Registry;
use serde::Deserialize;
use std::sync::{Arc, OnceLock};
use v2im_wire::codes::limits;

/// The target of a send and what only this process keeps; the options are in
/// [`SendOptionsPatch`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SendTarget {
    /// The create-id (a msgID is accepted too).
    pub id: Id,
    /// The peer of a one-to-one message (or, with `groupID`, the one targeted member).
    #[serde(default, deserialize_with = "nonempty")]
    pub receiver: Option<String>,
    #[serde(rename = "groupID", default, deserialize_with = "nonempty")]
    pub group_id: Option<String>,
    /// Stored on the message, never sent.
    #[serde(rename = "localCustomData", default, deserialize_with = "nonempty")]
    pub local_custom_data: Option<String>,
}

/// Every `sendMessage` parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SendParams {
    pub target: SendTarget,
    pub options: SendOptionsPatch,
}

/// Every key `sendMessage` takes.
pub(crate) fn param_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = params::fields_of::<SendTarget>().to_vec();
        keys.extend_from_slice(SendOptions::PARAM_KEYS);
        keys
    })
}

impl SendParams {
    /// Reads and type-checks the params (6017 naming the parameter; unknown keys are refused
    /// before, by the caller, against [`param_keys`]).
    pub(crate) fn parse(v: &Params<'_>) -> Result<SendParams> {
        let target = v.read()?;
        // Most sends give no option: then there is nothing to read (each read goes over every
        // key, and costs as much again as the target's).
        let options = if v.has_any(SendOptions::PARAM_KEYS) {
            v.read()?
        } else {
            SendOptionsPatch::default()
        };
        Ok(SendParams { target, options })
    }
}

/// Where the message goes.
enum Target<'a> {
    C2c(&'a str),
    Group(&'a str),
    /// Group message to one member (`receiver` and `groupID` both given).
    GroupMember(&'a str, &'a str),
}

fn target(p: &SendTarget) -> Result<Target<'_>> {
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

/// The message's own targeted receivers (not those a previous send's receiver put there).
fn own_targets(m: &Message) -> &[String] {
    if m.target_from_receiver {
        &[]
    } else {
        &m.target_group_member_list
    }
}

/// The target and the @/targeted rules, checked on the message as it would be sent.
fn check_target(m: &Message, t: &Target<'_>) -> Result<()> {
    let own = own_targets(m);
    let (group, targets) = match *t {
        Target::C2c(_) => (false, own.len()),
        Target::Group(_) => (true, own.len()),
        Target::GroupMember(_, r) => {
            if !own.is_empty() && own.iter().all(|x| x != r) {
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
    if m.target_from_receiver {
        m.target_group_member_list.clear();
        m.target_from_receiver = false;
    }
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
            m.target_from_receiver = m.target_group_member_list.is_empty();
            m.target_group_member_list = vec![r.to_owned()];
        }
    }
    p.options.apply_to(&mut m.options);
    if let Some(v) = &p.target.local_custom_data {
        m.local_custom_data = Some(v.clone());
    }
    if *m.sender != *self_user {
        m.sender = self_user.into();
    }
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
/// doc for the rules). Returns the message as it must be sent (status 1), shared with the
/// registry: a send queue holding it costs no memory of its own (the registry copies it on the
/// next change). Nothing is changed when an error is returned.
pub(crate) fn prepare_send(
    registry: &Registry,
    p: &SendParams,
    self_user: &str,
) -> Result<Arc<Message>> {
    let t = target(&p.target)?;
    let id = &*p.target.id;
    let unknown = || Error::invalid_param(format!("id: no message with id \"{id}\""));
    // Elements never change after creation, so the size is measured under the shared lock and
    // a huge body does not hold up writers.
    let body = registry.read(id, Message::body_bytes).ok_or_else(unknown)?;
    if body > limits::MAX_BODY_BYTES {
        return Err(Error::new(
            ERR_SDK_MSG_BODY_SIZE_LIMIT,
            format!(
                "message body is {body} bytes; the limit is {} bytes",
                limits::MAX_BODY_BYTES
            ),
        ));
    }
    // v2im-server (like Tencent) refuses CloudCustomData over 12 KB; refuse it before the wire.
    if let Some(Some(c)) = p.options.cloud_custom_data.as_ref() {
        if c.len() > limits::MAX_BODY_BYTES {
            return Err(Error::new(
                ERR_SDK_MSG_BODY_SIZE_LIMIT,
                format!(
                    "cloudCustomData is {} bytes; the limit is {} bytes",
                    c.len(),
                    limits::MAX_BODY_BYTES
                ),
            ));
        }
    }
    let (outcome, shared) = registry
        .update_shared(id, |m| -> Result<Option<Message>> {
            if check_state(m)? {
                // An already-sent forward message: the copy is made outside the lock.
                return Ok(Some(m.clone()));
            }
            check_target(m, &t)?;
            apply(m, p, &t, self_user);
            Ok(None)
        })
        .ok_or_else(unknown)?;
    match outcome? {
        None => Ok(shared),
        Some(source) => {
            let mut m = source.copy_elems(registry.next_id(), self_user);
            m.is_forward_message = true;
            m.options.cloud_custom_data = source.options.cloud_custom_data;
            if !source.target_from_receiver {
                m.target_group_member_list = source.target_group_member_list;
            }
            m.group_at_user_list = source.group_at_user_list;
            check_target(&m, &t)?;
            apply(&mut m, p, &t, self_user);
            let m = Arc::new(m);
            registry.insert_shared(m.clone());
            Ok(m)
        }
    }
}
