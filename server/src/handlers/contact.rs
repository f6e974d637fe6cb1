//! Unread counts, read marks and the conversation list: `openim/get_c2c_unread_msg_num`,
//! `openim/admin_set_msg_read`, `recentcontact/get_list`.

use v2im_wire::c2c::{
    GetC2cUnreadRequest, GetC2cUnreadResponse, GetRecentContactRequest, GetRecentContactResponse,
    SetMsgReadRequest,
};
use v2im_wire::{codes, Envelope};

use super::ok;
use crate::error::{ApiError, ApiResult};
use crate::request::Body;
use crate::store::jobs::Job;
use crate::store::{conv, read};
use crate::App;

/// Peers per get_c2c_unread_msg_num call.
const MAX_PEERS: usize = 100;

impl Body for GetC2cUnreadRequest {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
    const KEY_CODES: &'static [(&'static str, i32)] = &[("To_Account", codes::TO_ACCOUNT_INVALID)];
}

pub(super) async fn c2c_unread(app: &App, req: GetC2cUnreadRequest) -> ApiResult<Vec<u8>> {
    GetC2cUnreadRequest::account("To_Account", &req.to_account)?;
    let (owner, peers) = (req.to_account, req.peer_account);
    if peers.as_ref().is_some_and(|p| p.len() > MAX_PEERS) {
        return Err(ApiError::new(
            codes::TOO_MANY_ACCOUNTS,
            format!("Peer_Account: more than {MAX_PEERS} accounts"),
        ));
    }
    let (total, list) = app
        .store
        .read(move |c| read::c2c_unread(c, &owner, peers.as_deref()))
        .await?;
    ok(&GetC2cUnreadResponse {
        envelope: Envelope::ok(),
        all_c2c_unread_msg_num: total,
        c2c_unread_msg_num_list: list,
    })
}

impl Body for SetMsgReadRequest {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
}

pub(super) async fn set_msg_read(app: &App, req: SetMsgReadRequest) -> ApiResult<Vec<u8>> {
    SetMsgReadRequest::account("Report_Account", &req.report_account)?;
    SetMsgReadRequest::account("Peer_Account", &req.peer_account)?;
    app.store
        .write(|reply| Job::SetC2cRead {
            owner: req.report_account,
            peer: req.peer_account,
            read_time: req.msg_read_time,
            reply,
        })
        .await?;
    ok(&Envelope::ok())
}

/// `TimeStamp`/`StartIndex` page the list; there are no pinned conversations, so the `Top`
/// cursors are echoed and `AssistFlags` changes nothing.
impl Body for GetRecentContactRequest {
    const DEFAULT_CODE: i32 = codes::INVALID_PARAMETER_70402;
}

pub(super) async fn recent(app: &App, req: GetRecentContactRequest) -> ApiResult<Vec<u8>> {
    type B = GetRecentContactRequest;
    B::account("From_Account", &req.from_account)?;
    if req.time_stamp < 0 || req.start_index < 0 {
        return Err(B::invalid(
            "StartIndex",
            "TimeStamp and StartIndex must not be negative",
        ));
    }
    let user = req.from_account;
    let cursor = (req.time_stamp, req.start_index);
    let page = app
        .store
        .read(move |c| conv::list(c, &user, cursor, conv::LIST_PAGE))
        .await?;
    ok(&GetRecentContactResponse {
        envelope: Envelope::ok(),
        complete_flag: i64::from(page.complete),
        time_stamp: page.next.0,
        start_index: page.next.1,
        top_time_stamp: req.top_time_stamp,
        top_start_index: req.top_start_index,
        session_item: page.items,
    })
}
