//! Read marks and read receipts, with Tencent's REST commands:
//! - `markC2CMessageAsRead {userID}`: `openim/admin_set_msg_read` (the peer gets
//!   `onRecvC2CReadReceipt`);
//! - `markGroupMessageAsRead {groupID}`: `group_open_http_svc/set_unread_msg_num` to 0;
//! - `sendMessageReadReceipts {messageIDList}`: received messages sent with `needReadReceipt`;
//!   group messages through `group_open_http_svc/group_msg_receipt`, one-to-one ones through
//!   `openim/c2c_msg_read_receipt` (their sender gets `onRecvMessageReadReceipts`);
//! - `getMessageReadReceipts {messageIDList}`: this client's group messages sent with
//!   `needReadReceipt`, through `group_open_http_svc/get_group_msg_receipt`.
//!
//! A message a receipt does not apply to is refused with 6017 naming it and why, before anything
//! is sent: one this client does not hold, its own (for a receipt) or another's (for counts), one
//! sent without `needReadReceipt`, and an online-only one (never stored, so it has no receipts).
//! A message the server answers for with a code of its own (10062: it no longer has the
//! message, say) fails the call with that code, naming the message; receipts already recorded
//! for the messages before it stay, and sending them again changes nothing.

use super::{request, Ctx, Reply};
use crate::codes::{Error, Result};
use crate::model::receipt::Receipt;
use crate::model::{msg_id, Message, MessageStatus};
use crate::params::{Id, Params};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use v2im_wire::c2c::{
    C2cMsgInfo, C2cMsgReadReceiptRequest, C2cMsgReadReceiptResponse, SetMsgReadRequest,
};
use v2im_wire::group::{
    GetGroupMsgReceiptRequest, GroupMsgReceiptRequest, GroupMsgReceiptResponse, MsgSeqItem,
    SetUnreadMsgNumRequest,
};
use v2im_wire::url::paths;
use v2im_wire::Envelope;

/// Messages per receipt request (Tencent's limit for `group_msg_receipt`).
const RECEIPTS_PER_REQUEST: usize = 50;

#[derive(Deserialize)]
pub(crate) struct C2cParams {
    #[serde(rename = "userID")]
    user_id: Id,
}

pub(crate) fn mark_c2c_message_as_read(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let p = match v.read::<C2cParams>() {
        Ok(p) => p,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    let req = SetMsgReadRequest {
        report_account: ctx.self_user.clone(),
        peer_account: p.user_id.0,
        msg_read_time: None,
    };
    request::submit(ctx, reply, move |rest| {
        rest.post::<_, Envelope>(paths::ADMIN_SET_MSG_READ, &req)?;
        Ok(Value::Null)
    });
}

#[derive(Deserialize)]
pub(crate) struct GroupParams {
    #[serde(rename = "groupID")]
    group_id: Id,
}

pub(crate) fn mark_group_message_as_read(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let p = match v.read::<GroupParams>() {
        Ok(p) => p,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    let req = SetUnreadMsgNumRequest {
        group_id: p.group_id.0,
        member_account: ctx.self_user.clone(),
        unread_msg_num: 0,
    };
    request::submit(ctx, reply, move |rest| {
        rest.post::<_, Envelope>(paths::SET_UNREAD_MSG_NUM, &req)?;
        Ok(Value::Null)
    });
}

#[derive(Deserialize)]
pub(crate) struct ListParams {
    #[serde(rename = "messageIDList")]
    message_id_list: Vec<Id>,
}

/// The messages `messageIDList` names, each checked by `check` (which says why it is refused).
fn messages(
    ctx: &Ctx,
    v: &Params<'_>,
    check: impl Fn(&Message) -> Option<&'static str>,
) -> Result<Vec<Message>> {
    let p: ListParams = v.read()?;
    if p.message_id_list.is_empty() {
        return Err(Error::invalid_param("messageIDList must not be empty"));
    }
    p.message_id_list
        .iter()
        .map(|id| {
            let m = ctx.env.registry.get(id).ok_or_else(|| {
                Error::invalid_param(format!("messageIDList: no message \"{}\"", &**id))
            })?;
            match check(&m) {
                Some(why) => Err(Error::invalid_param(format!(
                    "messageIDList: message \"{}\" {why}",
                    &**id
                ))),
                None => Ok(m),
            }
        })
        .collect()
}

fn seq_of(m: &Message) -> u64 {
    m.seq.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

pub(crate) fn send_message_read_receipts(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let list = messages(ctx, v, |m| {
        if m.is_self {
            Some("is this client's own: receipts are for received messages")
        } else if !m.options.need_read_receipt {
            Some("was not sent with needReadReceipt")
        } else if m.options.online_user_only {
            Some("was sent online only: it is not stored, so it takes no receipt")
        } else if m.status != MessageStatus::SendSucc || m.msg_id.is_none() {
            Some("is not a delivered message")
        } else {
            None
        }
    });
    let list = match list {
        Ok(l) => l,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    let me = ctx.self_user.clone();
    // Group messages by group, one-to-one ones by sender: one request per batch of each.
    let mut groups: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut peers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // (group, seq) -> msgID, to name a message the server refuses.
    let mut ids: BTreeMap<(String, u64), String> = BTreeMap::new();
    for m in &list {
        match &m.group_id {
            Some(g) => {
                groups.entry(g.clone()).or_default().push(seq_of(m));
                ids.insert((g.clone(), seq_of(m)), m.msg_id.clone().unwrap_or_default());
            }
            None => peers
                .entry(m.sender.to_string())
                .or_default()
                .push(m.msg_id.clone().unwrap_or_default()),
        }
    }
    request::submit(ctx, reply, move |rest| {
        let deadline = rest.deadline();
        let go_on = || rest.go_on(deadline, || "sendMessageReadReceipts".to_owned());
        for (group, seqs) in groups {
            for chunk in seqs.chunks(RECEIPTS_PER_REQUEST) {
                go_on()?;
                let req = GroupMsgReceiptRequest {
                    group_id: group.clone(),
                    from_account: me.clone(),
                    msg_seq_list: chunk.iter().map(|s| MsgSeqItem { msg_seq: *s }).collect(),
                };
                let answer: GroupMsgReceiptResponse = rest.post(paths::GROUP_MSG_RECEIPT, &req)?;
                if let Some(r) = answer.group_msg_receipt_list.iter().find(|r| r.code != 0) {
                    let id = ids
                        .get(&(group.clone(), r.msg_seq))
                        .map_or("", |s| s.as_str());
                    return Err(Error::new(
                        r.code,
                        format!("group_msg_receipt: message \"{id}\" of {group}: the server has no receipt for it"),
                    ));
                }
            }
        }
        for (peer, keys) in peers {
            for chunk in keys.chunks(RECEIPTS_PER_REQUEST) {
                go_on()?;
                let req = C2cMsgReadReceiptRequest {
                    operator_account: me.clone(),
                    peer_account: peer.clone(),
                    c2c_msg_info: chunk
                        .iter()
                        .map(|k| C2cMsgInfo {
                            from_account: peer.clone(),
                            to_account: me.clone(),
                            msg_key: k.clone(),
                        })
                        .collect(),
                };
                let answer: C2cMsgReadReceiptResponse =
                    rest.post(paths::C2C_MSG_READ_RECEIPT, &req)?;
                if let Some(e) = answer.error_list.first() {
                    return Err(Error::new(
                        e.error_code,
                        format!(
                            "c2c_msg_read_receipt: message \"{}\" from {peer}: the server has no receipt for it",
                            e.msg_key
                        ),
                    ));
                }
            }
        }
        Ok(Value::Null)
    });
}

pub(crate) fn get_message_read_receipts(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let list = messages(ctx, v, |m| {
        if !m.is_self {
            Some("is not this client's: read counts are for its own messages")
        } else if m.group_id.is_none() {
            Some("is not a group message")
        } else if !m.options.need_read_receipt {
            Some("was not sent with needReadReceipt")
        } else if m.options.online_user_only {
            Some("was sent online only: it is not stored, so it has no receipts")
        } else if m.status != MessageStatus::SendSucc {
            Some("has not been sent")
        } else {
            None
        }
    });
    let list = match list {
        Ok(l) => l,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    request::submit(ctx, reply, move |rest| {
        let mut groups: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for m in &list {
            if let Some(g) = &m.group_id {
                groups.entry(g).or_default().push(seq_of(m));
            }
        }
        // (group, seq) -> (read, unread)
        let mut counts = BTreeMap::new();
        let deadline = rest.deadline();
        for (group, seqs) in groups {
            for chunk in seqs.chunks(RECEIPTS_PER_REQUEST) {
                rest.go_on(deadline, || "getMessageReadReceipts".to_owned())?;
                let req = GetGroupMsgReceiptRequest {
                    group_id: group.to_owned(),
                    msg_seq_list: chunk.iter().map(|s| MsgSeqItem { msg_seq: *s }).collect(),
                };
                let answer: GroupMsgReceiptResponse =
                    rest.post(paths::GET_GROUP_MSG_RECEIPT, &req)?;
                for r in answer.group_msg_receipt_list {
                    if r.code != 0 {
                        return Err(Error::new(
                            r.code,
                            format!("get_group_msg_receipt: message {} of {group}", r.msg_seq),
                        ));
                    }
                    counts.insert((group.to_owned(), r.msg_seq), (r.read_num, r.unread_num));
                }
            }
        }
        let receipts: Vec<Receipt> = list
            .iter()
            .map(|m| {
                let group = m.group_id.clone().unwrap_or_default();
                let (read, unread) = counts
                    .get(&(group.clone(), seq_of(m)))
                    .copied()
                    .unwrap_or((0, 0));
                let id = m
                    .msg_id
                    .clone()
                    .unwrap_or_else(|| msg_id::group(seq_of(m), m.random, m.timestamp));
                Receipt::group(id, group, read, unread)
            })
            .collect();
        serde_json::to_value(receipts)
            .map_err(|e| Error::new(crate::codes::V2IM_ERR_BAD_RESPONSE, e.to_string()))
    });
}
