//! Groups: `create_group`, `add_group_member`, `get_group_info`, `destroy_group`,
//! `send_group_msg`, `group_msg_get_simple`, and `set_unread_msg_num` (marks a group read).

use serde_json::json;
use v2im_wire::codes::{self, limits};
use v2im_wire::group::{
    CreateGroupResponse, GroupAtInfo, GroupMsgGetSimpleResponse, SendGroupMsgResponse,
};
use v2im_wire::Envelope;

use super::msg::{parse_common, MsgCodes};
use super::ok;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::fields::Fields;
use crate::store::jobs::{GroupIn, GroupMsgIn, Job};
use crate::store::read;
use crate::validate::{plausible_group_id, valid_custom_group_id};
use crate::App;

const BAD: i32 = codes::GROUP_INVALID_PARAMETERS;
/// Group types Tencent accepts (Work = Private, Meeting = ChatRoom in the newer names).
const GROUP_TYPES: [&str; 7] = [
    "Private",
    "Work",
    "Public",
    "ChatRoom",
    "Meeting",
    "AVChatRoom",
    "Community",
];
/// Ids per get_group_info call (Tencent's limit).
const MAX_INFO_IDS: usize = 50;
/// Members per create_group / add_group_member call.
const MAX_MEMBERS_PER_CALL: usize = 500;
/// Largest page of `group_msg_get_simple` (Tencent: 20; see README).
const MAX_HISTORY_PAGE: i64 = 1000;

fn group_id<'a>(f: &Fields<'a>) -> ApiResult<&'a str> {
    let id = f.str("GroupId", BAD)?;
    if !plausible_group_id(id) {
        return Err(ApiError::new(
            codes::GROUP_INVALID_GROUPID,
            "GroupId is not a valid group id",
        ));
    }
    Ok(id)
}

fn member_list(f: &Fields, key: &str) -> ApiResult<Vec<(String, String)>> {
    let items = f.opt_obj_list(key, BAD)?.unwrap_or_default();
    if items.len() > MAX_MEMBERS_PER_CALL {
        return Err(ApiError::new(
            BAD,
            format!("{key} holds more than {MAX_MEMBERS_PER_CALL} members"),
        ));
    }
    items
        .into_iter()
        .map(|m| {
            let m = Fields::new(m);
            let id = m.str("Member_Account", BAD)?.to_string();
            let role = match m.opt_str("Role", BAD)? {
                None | Some("") | Some("Member") => "Member",
                Some("Admin") => "Admin",
                Some(r) => {
                    return Err(ApiError::new(
                        BAD,
                        format!("Role must be Admin or Member, not {:?}", r),
                    ))
                }
            };
            Ok((id, role.to_string()))
        })
        .collect()
}

pub async fn create(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let kind = f.str("Type", BAD)?;
    if !GROUP_TYPES.contains(&kind) {
        return Err(ApiError::new(
            BAD,
            format!("Type must be one of {GROUP_TYPES:?}"),
        ));
    }
    let name = f.str("Name", BAD)?;
    if name.len() > 100 {
        return Err(ApiError::new(BAD, "Name is over 100 bytes"));
    }
    let group_id = match f.opt_str("GroupId", BAD)? {
        None | Some("") => None,
        Some(id) if valid_custom_group_id(id) => Some(id.to_string()),
        Some(_) => {
            return Err(ApiError::new(
                codes::GROUP_INVALID_GROUPID,
                "GroupId must be 1 to 48 bytes of printable ASCII, not starting with @TGS#",
            ))
        }
    };
    let text = |k: &str| -> ApiResult<String> {
        let s = f.opt_str(k, BAD)?.unwrap_or("");
        if s.len() > 1024 {
            return Err(ApiError::new(BAD, format!("{k} is over 1024 bytes")));
        }
        Ok(s.to_string())
    };
    let group = GroupIn {
        group_id,
        kind: kind.to_string(),
        name: name.to_string(),
        owner: f
            .opt_str("Owner_Account", BAD)?
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        members: member_list(f, "MemberList")?,
        introduction: text("Introduction")?,
        notification: text("Notification")?,
        face_url: text("FaceUrl")?,
        max_member_num: f.opt_i64("MaxMemberNum", BAD)?.unwrap_or(0),
    };
    let id = app
        .store
        .write(|reply| Job::CreateGroup { group, reply })
        .await?;
    ok(&CreateGroupResponse {
        envelope: Envelope::ok(),
        group_id: id,
    })
}

pub async fn add_member(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let group_id = group_id(f)?.to_string();
    let members: Vec<String> = member_list(f, "MemberList")?
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    if members.is_empty() {
        return Err(ApiError::new(BAD, "MemberList is missing or empty"));
    }
    f.opt_flag("Silence", BAD)?;
    let results = app
        .store
        .write(|reply| Job::AddMembers {
            group_id,
            members,
            reply,
        })
        .await?;
    let list: Vec<_> = results
        .into_iter()
        .map(|(m, r)| json!({"Member_Account": m, "Result": r}))
        .collect();
    ok(&json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "MemberList": list
    }))
}

pub async fn info(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let ids = f
        .opt_str_list("GroupIdList", BAD)?
        .ok_or_else(|| ApiError::new(BAD, "GroupIdList is missing"))?;
    if ids.is_empty() || ids.len() > MAX_INFO_IDS {
        return Err(ApiError::new(
            BAD,
            format!("GroupIdList must hold 1 to {MAX_INFO_IDS} ids"),
        ));
    }
    let infos = app.store.read(move |c| read::group_info(c, &ids)).await?;
    ok(&json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "GroupInfo": infos
    }))
}

pub async fn destroy(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let group_id = group_id(f)?.to_string();
    app.store
        .write(|reply| Job::DestroyGroup { group_id, reply })
        .await?;
    ok(&Envelope::ok())
}

fn priority(f: &Fields) -> ApiResult<i64> {
    match f.opt_str("MsgPriority", BAD)? {
        None | Some("Normal") => Ok(2),
        Some("High") => Ok(1),
        Some("Low") => Ok(3),
        Some("Lowest") => Ok(4),
        Some(p) => Err(ApiError::new(
            BAD,
            format!(
                "MsgPriority must be \"High\", \"Normal\" or \"Low\" (case-sensitive), not {:?}",
                p.chars().take(20).collect::<String>()
            ),
        )),
    }
}

fn at_info(f: &Fields) -> ApiResult<Option<Vec<GroupAtInfo>>> {
    let Some(items) = f.opt_obj_list("GroupAtInfo", BAD)? else {
        return Ok(None);
    };
    if items.len() > limits::MAX_AT_USERS {
        return Err(ApiError::new(
            BAD,
            format!(
                "GroupAtInfo holds more than {} entries",
                limits::MAX_AT_USERS
            ),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let m = Fields::new(m);
            let all = m.opt_flag("GroupAtAllFlag", BAD)?.unwrap_or(0);
            let account = m.opt_str("GroupAt_Account", BAD)?.map(str::to_string);
            if all == 0 && account.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::new(
                    BAD,
                    format!(
                        "GroupAtInfo[{i}]: GroupAt_Account is missing (or set GroupAtAllFlag 1)"
                    ),
                ));
            }
            Ok(GroupAtInfo {
                group_at_all_flag: all,
                group_at_account: account,
            })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

pub async fn send(app: &App, who: &Principal, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let group_id = group_id(f)?.to_string();
    let random = f.u32("Random", BAD)?;
    let priority = priority(f)?;
    let from = match (who, f.opt_str("From_Account", BAD)?) {
        (Principal::Admin, Some(from)) if !from.is_empty() => from.to_string(),
        (Principal::Admin, _) => app.auth.admin().to_string(),
        (Principal::User(me), None) => me.clone(),
        (Principal::User(me), Some(from)) if from == me => me.clone(),
        (Principal::User(me), Some(from)) => {
            return Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{me:?} may only send as itself, not as {from:?}"),
            ))
        }
    };
    let to_accounts = f.opt_str_list("To_Account", BAD)?;
    if let Some(t) = &to_accounts {
        if t.is_empty() || t.len() > limits::MAX_TARGETED_MEMBERS {
            return Err(ApiError::new(
                BAD,
                format!(
                    "To_Account must hold 1 to {} members",
                    limits::MAX_TARGETED_MEMBERS
                ),
            ));
        }
    }
    let at = at_info(f)?;
    let online_only = f.opt_flag("OnlineOnlyFlag", BAD)? == Some(1);
    let mut common = parse_common(
        f,
        &MsgCodes {
            body_invalid: BAD,
            body_not_array: BAD,
            format: BAD,
            too_big: codes::BODY_SIZE_LIMIT,
            max_bytes: limits::MAX_BODY_BYTES,
            push_info: BAD,
            other: BAD,
            receipt_key: "NeedReadReceipt",
        },
    )?;
    common.online_only = online_only;
    let msg = GroupMsgIn {
        group_id,
        as_admin: from == app.auth.admin(),
        from,
        random,
        priority,
        at_info: at.map(|a| serde_json::to_string(&a).unwrap_or_default()),
        to_accounts,
        topic_id: f.opt_str("TopicId", BAD)?.map(str::to_string),
        common,
    };
    let sent = app
        .store
        .write(|reply| Job::SendGroup { msg, reply })
        .await?;
    ok(&SendGroupMsgResponse {
        envelope: Envelope::ok(),
        msg_time: sent.msg_time,
        msg_seq: sent.msg_seq,
        msg_drop_reason: sent.drop_reason.to_string(),
    })
}

pub async fn history(app: &App, who: &Principal, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let gid = group_id(f)?.to_string();
    let num = f
        .opt_i64("ReqMsgNumber", BAD)?
        .ok_or_else(|| ApiError::new(BAD, "ReqMsgNumber is missing"))?;
    if num <= 0 {
        return Err(ApiError::new(BAD, "ReqMsgNumber must be positive"));
    }
    let num = num.min(MAX_HISTORY_PAGE);
    let req_seq = match f.opt_i64("ReqMsgSeq", BAD)? {
        None => None,
        Some(s) if s >= 0 => Some(s as u64),
        Some(_) => return Err(ApiError::new(BAD, "ReqMsgSeq must not be negative")),
    };
    f.opt_flag("WithRecalledMsg", BAD)?;
    let viewer = match who {
        Principal::Admin => None,
        Principal::User(me) => Some(me.clone()),
    };
    let g = gid.clone();
    let (msgs, finished) = app
        .store
        .read(move |c| read::group_history(c, &g, viewer.as_deref(), num, req_seq))
        .await?;
    ok(&GroupMsgGetSimpleResponse {
        envelope: Envelope::ok(),
        group_id: gid,
        is_finished: i64::from(finished),
        rsp_msg_list: msgs,
    })
}

pub async fn set_unread(app: &App, f: &Fields<'_>) -> ApiResult<Vec<u8>> {
    let group_id = group_id(f)?.to_string();
    let member = f.str("Member_Account", BAD)?.to_string();
    let unread = f
        .opt_i64("UnreadMsgNum", BAD)?
        .ok_or_else(|| ApiError::new(BAD, "UnreadMsgNum is missing"))?;
    if unread < 0 {
        return Err(ApiError::new(BAD, "UnreadMsgNum must not be negative"));
    }
    app.store
        .write(|reply| Job::SetGroupUnread {
            group_id,
            member,
            unread,
            reply,
        })
        .await?;
    ok(&Envelope::ok())
}
