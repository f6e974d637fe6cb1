//! Unread counts, read marks and the conversation list: `openim/get_c2c_unread_msg_num`,
//! `openim/admin_set_msg_read`, `recentcontact/get_list`.

use v2im_wire::c2c::{GetC2cUnreadResponse, GetRecentContactResponse};
use v2im_wire::{codes, Envelope};

use super::ok;
use crate::error::{ApiError, ApiResult};
use crate::fields::Fields;
use crate::store::jobs::Job;
use crate::store::read;
use crate::App;

/// Peers per get_c2c_unread_msg_num call.
const MAX_PEERS: usize = 100;

pub async fn c2c_unread(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let owner = f
        .account("To_Account", codes::TO_ACCOUNT_INVALID)?
        .to_string();
    let peers = f.opt_str_list("Peer_Account", codes::JSON_PARSE_FAILED)?;
    if peers.as_ref().is_some_and(|p| p.len() > MAX_PEERS) {
        return Err(ApiError::new(
            codes::TOO_MANY_ACCOUNTS,
            format!("Peer_Account holds more than {MAX_PEERS} accounts"),
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

pub async fn set_msg_read(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let bad = codes::JSON_PARSE_FAILED;
    let owner = f.account("Report_Account", bad)?.to_string();
    let peer = f.account("Peer_Account", bad)?.to_string();
    let read_time = f.opt_i64("MsgReadTime", bad)?;
    app.store
        .write(|reply| Job::SetC2cRead {
            owner,
            peer,
            read_time,
            reply,
        })
        .await?;
    ok(&Envelope::ok())
}

pub async fn recent(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let bad = codes::INVALID_PARAMETER_70402;
    let user = f.account("From_Account", bad)?.to_string();
    // Paging fields are read for their types only: the whole list comes in one page.
    for k in [
        "TimeStamp",
        "StartIndex",
        "TopTimeStamp",
        "TopStartIndex",
        "AssistFlags",
    ] {
        f.opt_i64(k, bad)?;
    }
    let items = app.store.read(move |c| read::recent(c, &user)).await?;
    ok(&GetRecentContactResponse {
        envelope: Envelope::ok(),
        complete_flag: 1,
        time_stamp: 0,
        start_index: 0,
        top_time_stamp: 0,
        top_start_index: 0,
        session_item: items,
    })
}
