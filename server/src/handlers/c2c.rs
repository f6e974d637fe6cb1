//! `openim/sendmsg`, `openim/batchsendmsg`, `openim/admin_getroammsg`.

use serde::Deserialize;
use v2im_wire::c2c::{
    BatchSendError, BatchSendMsgRequest, BatchSendMsgResponse, GetRoamMsgResponse, SendMsgRequest,
    SendMsgResponse,
};
use v2im_wire::codes::{self, limits};
use v2im_wire::webhook::{commands, C2cBeforeSendMsg};
use v2im_wire::Envelope;

use super::msg::{apply_changes, common, MsgFields, MsgRules};
use super::{ok, sender};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::request::Body;
use crate::store::jobs::{C2cIn, Job};
use crate::store::read::{self, RoamQuery};
use crate::webhook::Verdict;
use crate::App;

/// Largest page of `admin_getroammsg` (Tencent caps pages by size, ~13 KB; see README).
const MAX_ROAM_PAGE: i64 = 1000;
/// `batchsendmsg` packet limit (Tencent: 8 KB, code 90055).
const MAX_BATCH_BODY: usize = 8 * 1024;

/// Tencent's codes for the fields of sendmsg and batchsendmsg.
const SEND_CODES: &[(&str, i32)] = &[
    ("To_Account", codes::TO_ACCOUNT_INVALID),
    ("From_Account", codes::FROM_ACCOUNT_INVALID),
    ("SyncOtherMachine", codes::SYNC_OTHER_MACHINE_INVALID),
    ("MsgLifeTime", codes::MSGLIFETIME_INVALID),
    ("MsgSeq", codes::MSGSEQ_INVALID),
    ("MsgRandom", codes::MSGRANDOM_INVALID),
    ("MsgBody", codes::MSGBODY_NOT_ARRAY),
    ("MsgBody[]", codes::MSGBODY_INVALID),
    ("OfflinePushInfo", codes::OFFLINE_PUSH_INFO_INVALID),
];

/// In Tencent's older sendmsg samples only; the server sets the time.
const SEND_IGNORED: &[&str] = &["MsgTimeStamp"];

impl Body for SendMsgRequest {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
    const KEY_CODES: &'static [(&'static str, i32)] = SEND_CODES;
    const IGNORED_KEYS: &'static [&'static str] = SEND_IGNORED;
}

impl Body for BatchSendMsgRequest {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
    const KEY_CODES: &'static [(&'static str, i32)] = SEND_CODES;
    const IGNORED_KEYS: &'static [&'static str] = SEND_IGNORED;
}

/// The fields of sendmsg and batchsendmsg but `To_Account`, where the two differ.
struct C2cFields {
    from_account: Option<String>,
    sync_other_machine: Option<i64>,
    msg_life_time: Option<i64>,
    msg_seq: Option<u32>,
    msg_random: u32,
    msg: MsgFields,
}

macro_rules! c2c_fields {
    ($req:expr) => {{
        let r = $req;
        C2cFields {
            from_account: r.from_account,
            sync_other_machine: r.sync_other_machine,
            msg_life_time: r.msg_life_time,
            msg_seq: r.msg_seq,
            msg_random: r.msg_random,
            msg: MsgFields {
                msg_body: r.msg_body,
                cloud_custom_data: r.cloud_custom_data,
                offline_push_info: r.offline_push_info,
                send_msg_control: r.send_msg_control,
                forbid_callback_control: r.forbid_callback_control,
                support_message_extension: r.support_message_extension,
                read_receipt: ("IsNeedReadReceipt", r.is_need_read_receipt),
            },
        }
    }};
}

/// The rules of a whole C2C message.
fn rules(batch: bool) -> MsgRules {
    let (max_bytes, too_big) = if batch {
        (MAX_BATCH_BODY, codes::BATCH_PACKET_TOO_LARGE)
    } else {
        (limits::MAX_BODY_BYTES, codes::JSON_PACKET_TOO_LARGE)
    };
    MsgRules {
        format: codes::MSG_FORMAT_INVALID,
        too_big,
        max_bytes,
    }
}

/// Everything but `To_Account`, validated.
fn parse_c2c<B: Body>(
    app: &App,
    who: &Principal,
    f: C2cFields,
    to: Vec<String>,
    batch: bool,
    client_ip: String,
) -> ApiResult<C2cIn> {
    let from = sender(app, who, f.from_account, codes::ADMIN_PERMISSION_REQUIRED)?;
    let life_time = f.msg_life_time;
    if life_time.is_some_and(|t| t < 0) {
        return Err(B::invalid("MsgLifeTime", "must not be negative"));
    }
    // Tencent clamps a longer lifetime to 7 days.
    let life_time = life_time.map(|t| t.min(limits::MAX_MSG_LIFETIME));
    let mut common = common::<B>(f.msg, &rules(batch))?;
    common.online_only = life_time == Some(0);
    Ok(C2cIn {
        from,
        to,
        batch,
        seq: f.msg_seq,
        random: f.msg_random,
        sync_other: f.sync_other_machine,
        life_time,
        common,
        announced: None,
        client_ip,
    })
}

/// `C2C.CallbackBeforeSendMsg`: the message as the app's backend wants it. `Ok(Some(answer))`
/// when the backend dropped it: the sender gets that answer, as if it had been stored.
async fn before_send(app: &App, msg: &mut C2cIn) -> ApiResult<Option<SendMsgResponse>> {
    let webhooks = &app.webhooks;
    // The callback names the message by MsgSeq, MsgTime and MsgKey, so they are chosen now and
    // the message keeps them.
    let seq = msg.seq.unwrap_or_else(|| fastrand::u32(..));
    let time = webhooks.clock.now();
    let key = format!("{seq}_{}_{time}", msg.random);
    let body = serde_json::value::RawValue::from_string(msg.common.body.clone())
        .map_err(|e| ApiError::new(codes::INTERNAL_70500, format!("stored body: {e}")))?;
    let callback = C2cBeforeSendMsg {
        callback_command: commands::C2C_BEFORE_SEND_MSG.to_string(),
        from_account: msg.from.clone(),
        to_account: msg.to.first().cloned().unwrap_or_default(),
        msg_seq: seq,
        msg_random: msg.random,
        msg_time: time,
        msg_key: key.clone(),
        online_only_flag: i64::from(msg.common.online_only),
        msg_body: body,
        cloud_custom_data: msg.common.cloud_custom_data.clone(),
        event_time: webhooks.clock.now_ms(),
    };
    let verdict = webhooks
        .before(
            commands::C2C_BEFORE_SEND_MSG,
            &msg.client_ip,
            &callback,
            codes::C2C_CALLBACK_REFUSED,
        )
        .await;
    match verdict {
        Verdict::Send {
            msg_body,
            cloud_custom_data,
        } => {
            apply_changes::<SendMsgRequest>(
                &mut msg.common,
                msg_body,
                cloud_custom_data,
                &rules(false),
                commands::C2C_BEFORE_SEND_MSG,
                &webhooks.failed,
            );
            msg.announced = Some((seq, time));
            Ok(None)
        }
        Verdict::Refuse(e) => Err(e),
        Verdict::Discard => Ok(Some(SendMsgResponse {
            envelope: Envelope::ok(),
            msg_time: time,
            msg_key: key,
        })),
    }
}

pub(super) async fn sendmsg(
    app: &App,
    who: &Principal,
    client_ip: String,
    req: SendMsgRequest,
) -> ApiResult<Vec<u8>> {
    SendMsgRequest::account("To_Account", &req.to_account)?;
    let to = vec![req.to_account.clone()];
    let mut msg = parse_c2c::<SendMsgRequest>(app, who, c2c_fields!(req), to, false, client_ip)?;
    if app.webhooks.c2c_before && !msg.common.no_before_callback {
        if let Some(dropped) = before_send(app, &mut msg).await? {
            return ok(&dropped);
        }
    }
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

pub(super) async fn batchsendmsg(
    app: &App,
    who: &Principal,
    client_ip: String,
    mut req: BatchSendMsgRequest,
) -> ApiResult<Vec<u8>> {
    let to = std::mem::take(&mut req.to_account);
    if to.is_empty() {
        return Err(BatchSendMsgRequest::invalid("To_Account", "empty"));
    }
    if to.len() > limits::MAX_BATCH_RECEIVERS {
        return Err(ApiError::new(
            codes::TOO_MANY_TARGETS,
            format!(
                "To_Account: {} receivers; at most {} are allowed",
                to.len(),
                limits::MAX_BATCH_RECEIVERS
            ),
        ));
    }
    let msg =
        parse_c2c::<BatchSendMsgRequest>(app, who, c2c_fields!(req), to.clone(), true, client_ip)?;
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

/// `openim/admin_getroammsg`, with the older names `From_Account`/`To_Account` of the two
/// accounts (the current names win when both are sent).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetRoamMsg {
    #[serde(rename = "Operator_Account")]
    operator_account: Option<String>,
    #[serde(rename = "Peer_Account")]
    peer_account: Option<String>,
    #[serde(rename = "From_Account")]
    from_account: Option<String>,
    #[serde(rename = "To_Account")]
    to_account: Option<String>,
    max_cnt: i64,
    min_time: Option<i64>,
    max_time: Option<i64>,
    last_msg_key: Option<String>,
}

impl Body for GetRoamMsg {
    const DEFAULT_CODE: i32 = codes::JSON_PARSE_FAILED;
    const KEY_CODES: &'static [(&'static str, i32)] = &[
        ("Operator_Account", codes::FROM_ACCOUNT_INVALID),
        ("From_Account", codes::FROM_ACCOUNT_INVALID),
        ("Peer_Account", codes::TO_ACCOUNT_INVALID),
        ("To_Account", codes::TO_ACCOUNT_INVALID),
    ];
}

pub(super) async fn getroammsg(app: &App, who: &Principal, req: GetRoamMsg) -> ApiResult<Vec<u8>> {
    let operator = GetRoamMsg::required(
        "Operator_Account",
        req.operator_account.or(req.from_account),
    )?;
    let peer = GetRoamMsg::required("Peer_Account", req.peer_account.or(req.to_account))?;
    GetRoamMsg::account("Operator_Account", &operator)?;
    GetRoamMsg::account("Peer_Account", &peer)?;
    if let Principal::User(me) = who {
        if *me != operator {
            return Err(ApiError::new(
                codes::ADMIN_PERMISSION_REQUIRED,
                format!("{me:?} may only read its own history, not {operator:?}'s"),
            ));
        }
    }
    if req.max_cnt <= 0 {
        return Err(GetRoamMsg::invalid("MaxCnt", "must be positive"));
    }
    let max_cnt = req.max_cnt.min(MAX_ROAM_PAGE);
    let min_time = req.min_time.unwrap_or(0);
    let max_time = req.max_time.unwrap_or(i64::MAX);
    let last_msg_key = req.last_msg_key;
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
