//! `openim/sendmsg`, `openim/batchsendmsg`, `openim/admin_getroammsg`.

use v2im_wire::c2c::{BatchSendError, BatchSendMsgResponse, GetRoamMsgResponse, SendMsgResponse};
use v2im_wire::codes::{self, limits};
use v2im_wire::Envelope;

use super::msg::{parse_common, MsgCodes};
use super::ok;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::fields::{check_account, Fields};
use crate::store::jobs::{C2cIn, Job};
use crate::store::read::{self, RoamQuery};
use crate::App;

/// Largest page of `admin_getroammsg` (Tencent caps pages by size, ~13 KB; see README).
const MAX_ROAM_PAGE: i64 = 1000;
/// `batchsendmsg` packet limit (Tencent: 8 KB, code 90055).
const MAX_BATCH_BODY: usize = 8 * 1024;

fn codes_for(max_bytes: usize, too_big: i32) -> MsgCodes {
    MsgCodes {
        body_invalid: codes::MSGBODY_INVALID,
        body_not_array: codes::MSGBODY_NOT_ARRAY,
        format: codes::MSG_FORMAT_INVALID,
        too_big,
        max_bytes,
        push_info: codes::OFFLINE_PUSH_INFO_INVALID,
        other: codes::JSON_PARSE_FAILED,
        receipt_key: "IsNeedReadReceipt",
    }
}

/// The sender: `From_Account`, or the caller. A non-admin may only send as itself.
fn sender(app: &App, who: &Principal, f: &Fields) -> ApiResult<String> {
    let from = f.opt_str("From_Account", codes::FROM_ACCOUNT_INVALID)?;
    match (who, from) {
        (Principal::Admin, Some(from)) if !from.is_empty() => Ok(from.to_string()),
        (Principal::Admin, _) => Ok(app.auth.admin().to_string()),
        (Principal::User(me), None) => Ok(me.clone()),
        (Principal::User(me), Some(from)) if from == me => Ok(me.clone()),
        (Principal::User(me), Some(from)) => Err(ApiError::new(
            codes::ADMIN_PERMISSION_REQUIRED,
            format!("{me:?} may only send as itself, not as {from:?}"),
        )),
    }
}

/// Everything but `To_Account`.
fn parse_c2c(
    app: &App,
    who: &Principal,
    f: &Fields,
    to: Vec<String>,
    batch: bool,
) -> ApiResult<C2cIn> {
    let from = sender(app, who, f)?;
    let sync_other = f.opt_i64("SyncOtherMachine", codes::SYNC_OTHER_MACHINE_INVALID)?;
    let life_time = f.opt_i64("MsgLifeTime", codes::MSGLIFETIME_INVALID)?;
    if life_time.is_some_and(|t| t < 0) {
        return Err(ApiError::new(
            codes::MSGLIFETIME_INVALID,
            "MsgLifeTime must not be negative",
        ));
    }
    // Tencent clamps a longer lifetime to 7 days.
    let life_time = life_time.map(|t| t.min(limits::MAX_MSG_LIFETIME));
    let seq = f.opt_u32("MsgSeq", codes::MSGSEQ_INVALID)?;
    let random = f.u32("MsgRandom", codes::MSGRANDOM_INVALID)?;
    let (max, too_big) = if batch {
        (MAX_BATCH_BODY, codes::BATCH_PACKET_TOO_LARGE)
    } else {
        (limits::MAX_BODY_BYTES, codes::JSON_PACKET_TOO_LARGE)
    };
    let mut common = parse_common(f, &codes_for(max, too_big))?;
    common.online_only = life_time == Some(0);
    Ok(C2cIn {
        from,
        to,
        batch,
        seq,
        random,
        sync_other,
        life_time,
        common,
    })
}

pub async fn sendmsg(app: &App, who: &Principal, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let to = f
        .account("To_Account", codes::TO_ACCOUNT_INVALID)?
        .to_string();
    let msg = parse_c2c(app, who, f, vec![to], false)?;
    let mut r = app.store.write(|reply| Job::SendC2c { msg, reply }).await?;
    let sent = r
        .pop()
        .ok_or_else(|| ApiError::new(codes::INTERNAL_91000, "no result"))??;
    ok(&SendMsgResponse {
        envelope: Envelope::ok(),
        msg_time: sent.msg_time,
        msg_key: sent.msg_key,
    })
}

pub async fn batchsendmsg(app: &App, who: &Principal, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let to = f
        .opt_str_list("To_Account", codes::TO_ACCOUNT_INVALID)?
        .ok_or_else(|| ApiError::new(codes::TO_ACCOUNT_INVALID, "To_Account is missing"))?;
    if to.is_empty() {
        return Err(ApiError::new(
            codes::TO_ACCOUNT_INVALID,
            "To_Account is empty",
        ));
    }
    if to.len() > limits::MAX_BATCH_RECEIVERS {
        return Err(ApiError::new(
            codes::TOO_MANY_TARGETS,
            format!(
                "To_Account has {} receivers; at most {} are allowed",
                to.len(),
                limits::MAX_BATCH_RECEIVERS
            ),
        ));
    }
    let msg = parse_c2c(app, who, f, to.clone(), true)?;
    let results = app.store.write(|reply| Job::SendC2c { msg, reply }).await?;
    let mut msg_key = String::new();
    let mut error_list = Vec::new();
    let mut first_error = None;
    for (to, r) in to.into_iter().zip(results) {
        match r {
            Ok(sent) => {
                if msg_key.is_empty() {
                    msg_key = sent.msg_key;
                }
            }
            Err(e) => {
                error_list.push(BatchSendError {
                    to_account: to,
                    error_code: e.code,
                });
                first_error.get_or_insert(e);
            }
        }
    }
    // Tencent: ErrorCode 0 when at least one receiver got it; the failures are in ErrorList.
    let envelope = match first_error {
        Some(e) if msg_key.is_empty() => Envelope::fail(e.code, e.info),
        _ => Envelope::ok(),
    };
    ok(&BatchSendMsgResponse {
        envelope,
        msg_key,
        error_list,
    })
}

pub async fn getroammsg(app: &App, who: &Principal, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    // Current names first, then the legacy From_Account/To_Account.
    let operator = match f.opt_str("Operator_Account", codes::FROM_ACCOUNT_INVALID)? {
        Some(o) => o,
        None => f
            .str("From_Account", codes::FROM_ACCOUNT_INVALID)
            .map_err(|_| {
                ApiError::new(
                    codes::FROM_ACCOUNT_INVALID,
                    "Operator_Account (or legacy From_Account) is missing",
                )
            })?,
    }
    .to_string();
    let peer = match f.opt_str("Peer_Account", codes::TO_ACCOUNT_INVALID)? {
        Some(p) => p,
        None => f
            .str("To_Account", codes::TO_ACCOUNT_INVALID)
            .map_err(|_| {
                ApiError::new(
                    codes::TO_ACCOUNT_INVALID,
                    "Peer_Account (or legacy To_Account) is missing",
                )
            })?,
    }
    .to_string();
    check_account("Operator_Account", &operator, codes::FROM_ACCOUNT_INVALID)?;
    check_account("Peer_Account", &peer, codes::TO_ACCOUNT_INVALID)?;
    if let Principal::User(me) = who {
        if *me != operator {
            return Err(ApiError::new(
                codes::ADMIN_PERMISSION_REQUIRED,
                format!("{me:?} may only read its own history, not {operator:?}'s"),
            ));
        }
    }
    let bad = codes::JSON_PARSE_FAILED;
    let max_cnt = f
        .opt_i64("MaxCnt", bad)?
        .ok_or_else(|| ApiError::new(bad, "MaxCnt is missing"))?;
    if max_cnt <= 0 {
        return Err(ApiError::new(bad, "MaxCnt must be positive"));
    }
    let max_cnt = max_cnt.min(MAX_ROAM_PAGE);
    let min_time = f.opt_i64("MinTime", bad)?.unwrap_or(0);
    let max_time = f.opt_i64("MaxTime", bad)?.unwrap_or(i64::MAX);
    let last_msg_key = f.opt_str("LastMsgKey", bad)?.map(str::to_string);
    // A non-admin reads its own history only if it is an account (or could become one).
    let must_exist = matches!(who, Principal::User(_)) && !app.auto_import;
    let page = app
        .store
        .read(move |c| {
            if must_exist && !read::account_exists(c, &operator)? {
                return Err(ApiError::new(
                    codes::USER_NOT_FOUND,
                    format!("{operator:?} is not an imported account"),
                ));
            }
            read::roam(
                c,
                &RoamQuery {
                    operator: &operator,
                    peer: &peer,
                    max_cnt,
                    min_time,
                    max_time,
                    last_msg_key: last_msg_key.as_deref(),
                },
            )
        })
        .await?;
    let (last_time, last_key) = page
        .msgs
        .last()
        .map(|m| (m.msg_time_stamp, m.msg_key.clone()))
        .unwrap_or_default();
    ok(&GetRoamMsgResponse {
        envelope: Envelope::ok(),
        complete: i64::from(page.complete),
        msg_cnt: page.msgs.len() as i64,
        last_msg_time: last_time,
        last_msg_key: last_key,
        msg_list: page.msgs,
    })
}
