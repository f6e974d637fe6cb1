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
use std::sync::Arc;
use v2im_wire::codes::limits;

/// Every `sendMessage` parameter of the seed's table. `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendParams {
    /// The create-id (a msgID is accepted too).
    pub id: String,
    /// `receiver`: the peer of a one-to-one message (or, with `groupID`, the one targeted member).
    pub receiver: Option<String>,
    /// `groupID`.
    pub group_id: Option<String>,
    /// `priority`: a V2TIM number or name.
    pub priority: Option<Priority>,
    /// `onlineUserOnly`.
    pub online_user_only: Option<bool>,
    /// `offlinePushInfo`.
    pub offline_push_info: Option<OfflinePushInfo>,
    /// `needReadReceipt`.
    pub need_read_receipt: Option<bool>,
    /// `isExcludedFromUnreadCount`.
    pub is_excluded_from_unread_count: Option<bool>,
    /// `isExcludedFromLastMessage`.
    pub is_excluded_from_last_message: Option<bool>,
    /// `isSupportMessageExtension`.
    pub is_support_message_extension: Option<bool>,
    /// `cloudCustomData`.
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
    if let Some(v) = p.priority {
        m.priority = v;
    }
    if let Some(v) = p.online_user_only {
        m.online_user_only = v;
    }
    if let Some(v) = &p.offline_push_info {
        m.offline_push_info = Some(Box::new(v.clone()));
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
    prepare_send_shared(registry, p, self_user).map(Arc::unwrap_or_clone)
}

/// [`prepare_send`] returning the registry's message shared instead of a copy: a send queue
/// holding it costs no memory of its own (the registry copies it on the next change).
pub fn prepare_send_shared(
    registry: &Registry,
    p: &SendParams,
    self_user: &str,
) -> Result<Arc<Message>> {
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
    // v2im-server (like Tencent) refuses CloudCustomData over 12 KB; refuse it before the wire.
    if let Some(c) = p.cloud_custom_data.as_deref() {
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
        .update_shared(&p.id, |m| -> Result<Option<Message>> {
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
            m.cloud_custom_data = source.cloud_custom_data;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::create::call_create;
    use crate::model::AT_ALL_TAG;
    use serde_json::{json, Value};
    use v2im_wire::c2c::SendMsgResponse;
    use v2im_wire::Envelope;

    fn p(v: Value) -> Params {
        v.as_object().expect("params object").clone()
    }

    fn create(r: &Registry, method: &str, v: Value) -> String {
        call_create(method, &p(v), r, "alice")
            .unwrap()
            .unwrap()
            .to_json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn text(r: &Registry, t: &str) -> String {
        create(r, "createTextMessage", json!({ "text": t }))
    }

    fn send(r: &Registry, v: Value) -> Result<Message> {
        prepare_send(r, &SendParams::parse(&p(v))?, "alice")
    }

    fn mark_sent(r: &Registry, id: &str) {
        r.update(id, |m| {
            let key = crate::model::msg_id::group(u64::from(m.wire_seq), m.random, 1000);
            m.mark_sent_c2c(&SendMsgResponse {
                envelope: Envelope::ok(),
                msg_time: 1000,
                msg_key: key,
            })
        })
        .unwrap();
    }

    #[test]
    fn parse_every_parameter() {
        let sp = SendParams::parse(&p(json!({
            "id": "v2im-1", "receiver": "bob", "groupID": "", "priority": "V2TIM_PRIORITY_HIGH",
            "onlineUserOnly": true, "offlinePushInfo": {"title": "T", "disablePush": true},
            "needReadReceipt": true, "isExcludedFromUnreadCount": true,
            "isExcludedFromLastMessage": false, "isSupportMessageExtension": true,
            "cloudCustomData": "c", "localCustomData": "l", "@extra": {"anything": 1}
        })))
        .unwrap();
        assert_eq!(
            sp,
            SendParams {
                id: "v2im-1".into(),
                receiver: Some("bob".into()),
                group_id: None,
                priority: Some(Priority::High),
                online_user_only: Some(true),
                offline_push_info: Some(OfflinePushInfo {
                    title: "T".into(),
                    disable_push: true,
                    ..Default::default()
                }),
                need_read_receipt: Some(true),
                is_excluded_from_unread_count: Some(true),
                is_excluded_from_last_message: Some(false),
                is_support_message_extension: Some(true),
                cloud_custom_data: Some("c".into()),
                local_custom_data: Some("l".into()),
            }
        );
        let min = SendParams::parse(&p(json!({"id": "x", "priority": null}))).unwrap();
        assert_eq!(
            min,
            SendParams {
                id: "x".into(),
                ..Default::default()
            }
        );
        assert_eq!(
            SendParams::parse(&p(json!({"id": "x", "priority": 3})))
                .unwrap()
                .priority,
            Some(Priority::Low)
        );
    }

    #[test]
    fn parse_errors_name_the_parameter() {
        for (bad, name) in [
            (json!({}), "id"),
            (json!({"id": ""}), "id"),
            (json!({"id": 5}), "id"),
            (json!({"id": "x", "receiver": 1}), "receiver"),
            (json!({"id": "x", "groupID": []}), "groupID"),
            (json!({"id": "x", "priority": 9}), "priority"),
            (json!({"id": "x", "priority": "URGENT"}), "priority"),
            (
                json!({"id": "x", "onlineUserOnly": "yes"}),
                "onlineUserOnly",
            ),
            (
                json!({"id": "x", "offlinePushInfo": "T"}),
                "offlinePushInfo",
            ),
            (
                json!({"id": "x", "offlinePushInfo": {"desc": 1}}),
                "offlinePushInfo.desc",
            ),
            (json!({"id": "x", "needReadReceipt": 2}), "needReadReceipt"),
            (
                json!({"id": "x", "isExcludedFromUnreadCount": {}}),
                "isExcludedFromUnreadCount",
            ),
            (
                json!({"id": "x", "isExcludedFromLastMessage": "1"}),
                "isExcludedFromLastMessage",
            ),
            (
                json!({"id": "x", "isSupportMessageExtension": []}),
                "isSupportMessageExtension",
            ),
            (json!({"id": "x", "cloudCustomData": 1}), "cloudCustomData"),
            (
                json!({"id": "x", "localCustomData": false}),
                "localCustomData",
            ),
        ] {
            let e = SendParams::parse(&p(bad)).unwrap_err();
            assert_eq!(e.code, 6017);
            assert!(e.desc.contains(name), "{} vs {name}", e.desc);
        }
    }

    #[test]
    fn c2c_send_applies_every_option() {
        let r = Registry::new();
        let id = text(&r, "hi");
        let random = r.get(&id).unwrap().random;
        let m = send(
            &r,
            json!({
                "id": id, "receiver": "bob", "groupID": "", "priority": 1, "onlineUserOnly": true,
                "offlinePushInfo": {"desc": "D"}, "needReadReceipt": true,
                "isExcludedFromUnreadCount": true, "isExcludedFromLastMessage": true,
                "isSupportMessageExtension": true, "cloudCustomData": "cloud",
                "localCustomData": "LOCAL-SECRET"
            }),
        )
        .unwrap();
        assert_eq!(m.user_id.as_deref(), Some("bob"));
        assert_eq!(m.group_id, None);
        assert_eq!(m.status, MessageStatus::Sending);
        assert_eq!(m.send_count, 1);
        assert_eq!(m.random, random, "the create-time random is kept");
        assert_ne!(m.wire_seq, 0);
        assert!(m.online_user_only && m.need_read_receipt && m.is_support_message_extension);
        assert!(m.is_excluded_from_unread_count && m.is_excluded_from_last_message);
        assert_eq!(m.priority, Priority::High);
        assert_eq!(m.local_custom_data.as_deref(), Some("LOCAL-SECRET"));
        // The registry holds the same state.
        assert_eq!(r.get(&id).unwrap(), m);
        let req = serde_json::to_value(m.to_sendmsg_request()).unwrap();
        assert_eq!(req["To_Account"], "bob");
        assert_eq!(req["From_Account"], "alice");
        assert_eq!(req["MsgLifeTime"], 0);
        assert_eq!(req["SendMsgControl"], json!(["NoUnread", "NoLastMsg"]));
        assert_eq!(req["IsNeedReadReceipt"], 1);
        assert_eq!(req["SupportMessageExtension"], 1);
        assert_eq!(req["CloudCustomData"], "cloud");
        assert_eq!(req["OfflinePushInfo"]["Desc"], "D");
        assert_eq!(req["MsgRandom"], random);
        // localCustomData never leaves the process.
        assert!(!req.to_string().contains("LOCAL-SECRET"));
        assert!(!serde_json::to_string(&m.to_group_request())
            .unwrap()
            .contains("LOCAL-SECRET"));
        let j = m.to_json();
        assert_eq!(j["localCustomData"], "LOCAL-SECRET");
        assert_eq!(j["isOnlineOnly"], true);
    }

    #[test]
    fn group_send_and_targeted_by_receiver() {
        let r = Registry::new();
        let id = create(
            &r,
            "createTextAtMessage",
            json!({"text": "hi", "atUserList": [AT_ALL_TAG, "bob"]}),
        );
        let m = send(&r, json!({"id": id, "groupID": "g1", "priority": "LOW"})).unwrap();
        assert_eq!(m.group_id.as_deref(), Some("g1"));
        assert_eq!(m.user_id, None);
        let req = serde_json::to_value(m.to_group_request()).unwrap();
        assert_eq!(req["GroupId"], "g1");
        assert_eq!(req["MsgPriority"], "Low");
        assert_eq!(
            req["GroupAtInfo"],
            json!([{"GroupAtAllFlag": 1}, {"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}])
        );
        // Both receiver and groupID: a targeted message to that member.
        let id = text(&r, "psst");
        let m = send(&r, json!({"id": id, "groupID": "g1", "receiver": "carol"})).unwrap();
        assert_eq!(m.target_group_member_list, vec!["carol".to_owned()]);
        assert_eq!(m.group_id.as_deref(), Some("g1"));
        let req = serde_json::to_value(m.to_group_request()).unwrap();
        assert_eq!(req["To_Account"], json!(["carol"]));
        // A targeted message made by createTargetedGroupMessage.
        let src = text(&r, "t");
        let tid = create(
            &r,
            "createTargetedGroupMessage",
            json!({"id": src, "receiverList": ["bob", "dave"]}),
        );
        let m = send(&r, json!({"id": tid, "groupID": "g1"})).unwrap();
        assert_eq!(
            serde_json::to_value(m.to_group_request()).unwrap()["To_Account"],
            json!(["bob", "dave"])
        );
    }

    #[test]
    fn retry_may_change_a_receiver_target() {
        let r = Registry::new();
        let id = text(&r, "x");
        let m = send(&r, json!({"id": id, "groupID": "g", "receiver": "bob"})).unwrap();
        assert_eq!(m.target_group_member_list, vec!["bob".to_owned()]);
        r.update(&id, |m| m.status = MessageStatus::SendFail);
        let m = send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
        assert!(m.target_group_member_list.is_empty());
        assert_eq!(m.group_id, None);
        r.update(&id, |m| m.status = MessageStatus::SendFail);
        let m = send(&r, json!({"id": id, "groupID": "g", "receiver": "carol"})).unwrap();
        assert_eq!(m.target_group_member_list, vec!["carol".to_owned()]);
        r.update(&id, |m| m.status = MessageStatus::SendFail);
        let m = send(&r, json!({"id": id, "groupID": "g"})).unwrap();
        assert!(m.target_group_member_list.is_empty(), "a plain group send");
    }

    #[test]
    fn target_errors() {
        let r = Registry::new();
        let id = text(&r, "x");
        let e = send(&r, json!({"id": id})).unwrap_err();
        assert!(e.desc.contains("receiver") && e.desc.contains("groupID"));
        let e = send(&r, json!({"id": id, "receiver": "", "groupID": ""})).unwrap_err();
        assert_eq!(e.code, 6017);
        let e = send(&r, json!({"id": "v2im-0", "receiver": "bob"})).unwrap_err();
        assert!(e.desc.contains("v2im-0"));
        // @ and targeted lists need a group.
        let at = create(
            &r,
            "createTextAtMessage",
            json!({"text": "x", "atUserList": ["bob"]}),
        );
        let e = send(&r, json!({"id": at, "receiver": "bob"})).unwrap_err();
        assert!(e.desc.contains("groupID"), "{}", e.desc);
        let tid = create(
            &r,
            "createTargetedGroupMessage",
            json!({"id": id, "receiverList": ["bob"]}),
        );
        let e = send(&r, json!({"id": tid, "receiver": "bob"})).unwrap_err();
        assert!(e.desc.contains("groupID"), "{}", e.desc);
        // Receiver outside the message's own target list.
        let e = send(&r, json!({"id": tid, "receiver": "zed", "groupID": "g"})).unwrap_err();
        assert!(e.desc.contains("zed"), "{}", e.desc);
        // @ combined with a receiver-targeted send.
        let e = send(&r, json!({"id": at, "receiver": "bob", "groupID": "g"})).unwrap_err();
        assert!(e.desc.contains("cannot @"), "{}", e.desc);
        // Nothing was changed by the refused sends.
        let m = r.get(&at).unwrap();
        assert_eq!((m.send_count, m.user_id, m.group_id), (0, None, None));
    }

    #[test]
    fn at_and_targeted_limits() {
        let r = Registry::new();
        let users = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
        let ok = create(
            &r,
            "createTextAtMessage",
            json!({"text": "x", "atUserList": users(30)}),
        );
        send(&r, json!({"id": ok, "groupID": "g"})).unwrap();
        let over = create(
            &r,
            "createTextAtMessage",
            json!({"text": "x", "atUserList": users(31)}),
        );
        let e = send(&r, json!({"id": over, "groupID": "g"})).unwrap_err();
        assert_eq!(e.code, 6017);
        assert!(e.desc.contains("at most 30"), "{}", e.desc);
        // More than 50 targets can only be set directly; prepare_send still refuses them.
        let id = text(&r, "x");
        r.update(&id, |m| m.target_group_member_list = users(51));
        let e = send(&r, json!({"id": id, "groupID": "g"})).unwrap_err();
        assert!(e.desc.contains("at most 50"), "{}", e.desc);
        r.update(&id, |m| {
            m.target_group_member_list = users(2);
            m.group_at_user_list = users(1);
        });
        let e = send(&r, json!({"id": id, "groupID": "g"})).unwrap_err();
        assert!(e.desc.contains("cannot @"), "{}", e.desc);
    }

    #[test]
    fn body_limit_is_8001() {
        let r = Registry::new();
        let huge = text(&r, &"x".repeat(10 * 1024 * 1024));
        let e = send(&r, json!({"id": huge, "receiver": "bob"})).unwrap_err();
        assert_eq!(e.code, 8001);
        assert_eq!(r.get(&huge).unwrap().send_count, 0);
        // Exactly at the limit passes, one byte more fails (measured on the MsgBody JSON).
        let overhead = r
            .read(&text(&r, ""), Message::body_bytes)
            .expect("just created");
        let fits = text(&r, &"y".repeat(limits::MAX_BODY_BYTES - overhead));
        assert_eq!(
            r.read(&fits, Message::body_bytes),
            Some(limits::MAX_BODY_BYTES)
        );
        send(&r, json!({"id": fits, "receiver": "bob"})).unwrap();
        let over = text(&r, &"y".repeat(limits::MAX_BODY_BYTES - overhead + 1));
        assert_eq!(
            send(&r, json!({"id": over, "receiver": "bob"}))
                .unwrap_err()
                .code,
            8001
        );
        // cloudCustomData has the same limit of its own.
        let id = text(&r, "small");
        let big = "c".repeat(limits::MAX_BODY_BYTES + 1);
        let e = send(
            &r,
            json!({"id": id, "receiver": "bob", "cloudCustomData": big}),
        )
        .unwrap_err();
        assert_eq!(e.code, 8001);
        assert!(e.desc.contains("cloudCustomData"), "{}", e.desc);
        assert_eq!(r.get(&id).unwrap().cloud_custom_data, None);
        // Multi-byte text counts in UTF-8 bytes.
        let cjk = text(&r, &"汉".repeat(4200)); // 12,600 bytes
        assert_eq!(
            send(&r, json!({"id": cjk, "receiver": "bob"}))
                .unwrap_err()
                .code,
            8001
        );
    }

    #[test]
    fn send_once_retry_after_failure() {
        let r = Registry::new();
        let id = text(&r, "x");
        let first = send(
            &r,
            json!({"id": id, "receiver": "bob", "cloudCustomData": "c"}),
        )
        .unwrap();
        // In flight: refused.
        let e = send(&r, json!({"id": id, "receiver": "bob"})).unwrap_err();
        assert!(e.desc.contains("createForwardMessage"), "{}", e.desc);
        // Failed: may be sent again, same random and MsgSeq, earlier options kept.
        r.update(&id, |m| m.status = MessageStatus::SendFail);
        let again = send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
        assert_eq!(again.random, first.random);
        assert_eq!(again.wire_seq, first.wire_seq);
        assert_eq!(again.cloud_custom_data.as_deref(), Some("c"));
        assert_eq!(again.send_count, 2);
        assert_eq!(again.id, id);
        // Sent: refused, also by msgID.
        mark_sent(&r, &id);
        let mid = r.get(&id).unwrap().msg_id.unwrap();
        for key in [&id, &mid] {
            let e = send(&r, json!({"id": key, "receiver": "bob"})).unwrap_err();
            assert!(e.desc.contains("already been sent"), "{}", e.desc);
        }
        r.update(&id, |m| m.status = MessageStatus::LocalRevoked);
        assert!(send(&r, json!({"id": id, "receiver": "bob"})).is_err());
    }

    #[test]
    fn forward_messages_may_be_sent_again_as_copies() {
        let r = Registry::new();
        let id = text(&r, "x");
        send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
        mark_sent(&r, &id);
        let fwd = create(&r, "createForwardMessage", json!({ "msgID": id }));
        let a = send(&r, json!({"id": fwd, "receiver": "carol"})).unwrap();
        assert_eq!(a.id, fwd, "the first send uses the message itself");
        // Second send while the first is in flight: a new message with a new id and random.
        let b = send(&r, json!({"id": fwd, "groupID": "g"})).unwrap();
        assert_ne!(b.id, fwd);
        assert_ne!(b.random, a.random);
        assert!(b.is_forward_message);
        assert_eq!(b.elems, a.elems);
        assert_eq!(b.group_id.as_deref(), Some("g"));
        assert_eq!(r.get(&b.id).unwrap(), b);
        // The original is untouched by the copy's send.
        assert_eq!(r.get(&fwd).unwrap().user_id.as_deref(), Some("carol"));
        mark_sent(&r, &fwd);
        let c = send(&r, json!({"id": fwd, "receiver": "dave"})).unwrap();
        assert_ne!(c.id, fwd);
        assert_ne!(c.id, b.id);
    }

    #[test]
    fn concurrent_sends_of_one_message_accept_exactly_one() {
        let r = std::sync::Arc::new(Registry::new());
        for _ in 0..20 {
            let id = text(&r, "race");
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let (r, id) = (r.clone(), id.clone());
                    std::thread::spawn(move || {
                        send(&r, json!({"id": id, "receiver": "bob"})).is_ok()
                    })
                })
                .collect();
            let ok = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|ok| *ok)
                .count();
            assert_eq!(ok, 1);
            assert_eq!(r.get(&id).unwrap().send_count, 1);
        }
    }

    #[test]
    fn hostile_params_never_panic() {
        let r = Registry::new();
        let id = text(&r, "x");
        let mut deep = json!({});
        for _ in 0..200 {
            deep = json!({ "a": deep });
        }
        let keys = [
            "id",
            "receiver",
            "groupID",
            "priority",
            "onlineUserOnly",
            "offlinePushInfo",
            "needReadReceipt",
            "isExcludedFromUnreadCount",
            "isExcludedFromLastMessage",
            "isSupportMessageExtension",
            "cloudCustomData",
            "localCustomData",
        ];
        let values = [
            deep,
            json!(null),
            json!(-1),
            json!(u64::MAX),
            json!(f64::MAX),
            json!("🌍\u{0}"),
            json!([1, [2]]),
        ];
        for k in keys {
            for v in &values {
                let mut o = json!({"id": id, "receiver": "bob"});
                o[k] = v.clone();
                let _ = send(&r, o);
                r.update(&id, |m| {
                    m.status = MessageStatus::SendFail;
                });
            }
        }
        let unicode = send(
            &r,
            json!({"id": id, "receiver": "ボブ", "cloudCustomData": "☃"}),
        )
        .unwrap();
        assert_eq!(unicode.user_id.as_deref(), Some("ボブ"));
    }
}
