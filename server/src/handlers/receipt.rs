//! Read receipts: `openim/c2c_msg_read_receipt`, `group_open_http_svc/group_msg_receipt`,
//! `get_group_msg_receipt` and `get_group_msg_receipt_detail`.

use v2im_wire::c2c::{C2cMsgReadReceiptRequest, C2cMsgReadReceiptResponse};
use v2im_wire::codes;
use v2im_wire::group::{
    GetGroupMsgReceiptDetailRequest, GetGroupMsgReceiptDetailResponse, GetGroupMsgReceiptRequest,
    GroupMsgReceiptRequest, GroupMsgReceiptResponse, MsgSeqItem, ReadAccount, UnreadAccount,
};
use v2im_wire::Envelope;

use super::group::group_id;
use super::ok;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::request::Body;
use crate::store::jobs::Job;
use crate::store::receipts;
use crate::App;

/// Messages per `c2c_msg_read_receipt` call.
const MAX_C2C_RECEIPTS: usize = 100;
/// Messages per `group_msg_receipt` call (Tencent's limit).
const MAX_GROUP_RECEIPTS: usize = 50;
/// Messages per `get_group_msg_receipt` call.
const MAX_RECEIPT_QUERIES: usize = 100;
/// Accounts per `get_group_msg_receipt_detail` page (Tencent's limit and default).
const MAX_DETAIL_COUNT: i64 = 200;

impl Body for C2cMsgReadReceiptRequest {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
    const KEY_CODES: &'static [(&'static str, i32)] = &[
        ("Operator_Account", codes::FROM_ACCOUNT_INVALID),
        ("Peer_Account", codes::TO_ACCOUNT_INVALID),
    ];
}

pub(super) async fn c2c(app: &App, req: C2cMsgReadReceiptRequest) -> ApiResult<Vec<u8>> {
    type B = C2cMsgReadReceiptRequest;
    B::account("Operator_Account", &req.operator_account)?;
    B::account("Peer_Account", &req.peer_account)?;
    let n = req.c2c_msg_info.len();
    if n == 0 || n > MAX_C2C_RECEIPTS {
        return Err(B::invalid(
            "C2CMsgInfo",
            format_args!("must hold 1 to {MAX_C2C_RECEIPTS} messages"),
        ));
    }
    let mut keys = Vec::with_capacity(n);
    for (i, m) in req.c2c_msg_info.into_iter().enumerate() {
        // The operator reads what the peer sent it.
        if m.from_account != req.peer_account {
            return Err(B::invalid(
                &format!("C2CMsgInfo[{i}].From_Account"),
                "must be Peer_Account (the sender of the message)",
            ));
        }
        if m.to_account != req.operator_account {
            return Err(B::invalid(
                &format!("C2CMsgInfo[{i}].To_Account"),
                "must be Operator_Account (its reader)",
            ));
        }
        B::non_empty(&format!("C2CMsgInfo[{i}].MsgKey"), &m.msg_key)?;
        if m.msg_key.len() > 64 {
            return Err(B::invalid(
                &format!("C2CMsgInfo[{i}].MsgKey"),
                "not a MsgKey",
            ));
        }
        keys.push(m.msg_key);
    }
    let error_list = app
        .store
        .write(|reply| Job::C2cReceipt {
            operator: req.operator_account,
            peer: req.peer_account,
            keys,
            reply,
        })
        .await?;
    ok(&C2cMsgReadReceiptResponse {
        envelope: Envelope::ok(),
        error_list,
    })
}

/// The seqs of a `MsgSeqList` of 1 to `max` items.
fn seqs<B: Body>(list: Vec<MsgSeqItem>, max: usize) -> ApiResult<Vec<u64>> {
    if list.is_empty() || list.len() > max {
        return Err(B::invalid(
            "MsgSeqList",
            format_args!("must hold 1 to {max} messages"),
        ));
    }
    Ok(list.into_iter().map(|m| m.msg_seq).collect())
}

impl Body for GroupMsgReceiptRequest {
    const DEFAULT_CODE: i32 = codes::GROUP_INVALID_PARAMETERS;
}

/// `group_msg_receipt`. Tencent answers the envelope only; here `GroupMsgReceiptList` (v2im) has
/// each message's counts after the receipt, or its code.
pub(super) async fn group(app: &App, req: GroupMsgReceiptRequest) -> ApiResult<Vec<u8>> {
    type B = GroupMsgReceiptRequest;
    let group_id = group_id::<B>(req.group_id)?;
    B::account("From_Account", &req.from_account)?;
    let seqs = seqs::<B>(req.msg_seq_list, MAX_GROUP_RECEIPTS)?;
    let list = app
        .store
        .write(|reply| Job::GroupMsgReceipt {
            group_id,
            reader: req.from_account,
            seqs,
            reply,
        })
        .await?;
    ok(&GroupMsgReceiptResponse {
        envelope: Envelope::ok(),
        group_msg_receipt_list: list,
    })
}

/// A non-admin caller, who sees only its own messages' receipts.
fn viewer(who: &Principal) -> Option<String> {
    match who {
        Principal::Admin => None,
        Principal::User(me) => Some(me.clone()),
    }
}

impl Body for GetGroupMsgReceiptRequest {
    const DEFAULT_CODE: i32 = codes::GROUP_INVALID_PARAMETERS;
}

pub(super) async fn counts(
    app: &App,
    who: &Principal,
    req: GetGroupMsgReceiptRequest,
) -> ApiResult<Vec<u8>> {
    type B = GetGroupMsgReceiptRequest;
    let gid = group_id::<B>(req.group_id)?;
    let seqs = seqs::<B>(req.msg_seq_list, MAX_RECEIPT_QUERIES)?;
    let viewer = viewer(who);
    let list = app
        .store
        .read(move |c| receipts::counts(c, &gid, viewer.as_deref(), &seqs))
        .await?;
    ok(&GroupMsgReceiptResponse {
        envelope: Envelope::ok(),
        group_msg_receipt_list: list,
    })
}

impl Body for GetGroupMsgReceiptDetailRequest {
    const DEFAULT_CODE: i32 = codes::GROUP_INVALID_PARAMETERS;
}

pub(super) async fn detail(
    app: &App,
    who: &Principal,
    req: GetGroupMsgReceiptDetailRequest,
) -> ApiResult<Vec<u8>> {
    type B = GetGroupMsgReceiptDetailRequest;
    let gid = group_id::<B>(req.group_id)?;
    let unread = match req.filter.unwrap_or(0) {
        0 => false,
        1 => true,
        f => {
            return Err(B::invalid(
                "Filter",
                format_args!("must be 0 (read) or 1 (unread), not {f}"),
            ))
        }
    };
    let count = req.count.unwrap_or(MAX_DETAIL_COUNT);
    if !(1..=MAX_DETAIL_COUNT).contains(&count) {
        return Err(B::invalid(
            "Count",
            format_args!("must be 1 to {MAX_DETAIL_COUNT}"),
        ));
    }
    let after = req.cursor.unwrap_or_default();
    if after.len() > 64 {
        return Err(B::invalid("Cursor", "not a cursor of this command"));
    }
    let (seq, viewer) = (req.msg_seq, viewer(who));
    let d = app
        .store
        .read(move |c| {
            receipts::detail(
                c,
                &gid,
                viewer.as_deref(),
                seq,
                unread,
                &after,
                count as usize,
            )
        })
        .await?;
    let (read_list, unread_list) = if unread {
        let list = d.accounts.into_iter();
        (
            Vec::new(),
            list.map(|unread_account| UnreadAccount { unread_account })
                .collect(),
        )
    } else {
        let list = d.accounts.into_iter();
        (
            list.map(|read_account| ReadAccount { read_account })
                .collect(),
            Vec::new(),
        )
    };
    ok(&GetGroupMsgReceiptDetailResponse {
        envelope: Envelope::ok(),
        is_finished: i64::from(d.finished),
        msg_seq: seq,
        read_list,
        unread_list,
        cursor: d.cursor,
    })
}
