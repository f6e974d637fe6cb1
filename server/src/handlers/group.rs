//! Groups: `create_group`, `add_group_member`, `get_group_info`, `destroy_group`,
//! `send_group_msg`, `group_msg_get_simple`, and `set_unread_msg_num` (marks a group read).

use serde::Deserialize;
use serde_json::json;
use v2im_wire::codes::{self, limits};
use v2im_wire::group::{
    AddGroupMemberRequest, CreateGroupRequest, CreateGroupResponse, DestroyGroupRequest,
    GroupAtInfo, GroupMsgGetSimpleRequest, GroupMsgGetSimpleResponse, SendGroupMsgRequest,
    SendGroupMsgResponse, SetUnreadMsgNumRequest,
};
use v2im_wire::webhook::{commands, GroupBeforeSendMsg};
use v2im_wire::Envelope;

use super::msg::{apply_changes, common, MsgFields, MsgRules};
use super::{ok, sender};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::request::Body;
use crate::store::jobs::{GroupIn, GroupMsgIn, Job};
use crate::store::read;
use crate::validate::{plausible_group_id, valid_custom_group_id};
use crate::webhook::Verdict;
use crate::App;

/// Every group command's invalid-parameter code, which Tencent uses for nearly every field.
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

/// `GroupId` of a group that may exist: not empty, else `B`'s code; plausible, else 10015.
pub(super) fn group_id<B: Body>(id: String) -> ApiResult<String> {
    B::non_empty("GroupId", &id)?;
    if !plausible_group_id(&id) {
        return Err(ApiError::new(
            codes::GROUP_INVALID_GROUPID,
            "GroupId: not a valid group id",
        ));
    }
    Ok(id)
}

/// At most [`MAX_MEMBERS_PER_CALL`] members, each with an id.
fn check_members<B: Body>(ids: impl ExactSizeIterator<Item = impl AsRef<str>>) -> ApiResult<()> {
    if ids.len() > MAX_MEMBERS_PER_CALL {
        return Err(B::invalid(
            "MemberList",
            format_args!("more than {MAX_MEMBERS_PER_CALL} members"),
        ));
    }
    for (i, id) in ids.enumerate() {
        B::non_empty(&format!("MemberList[{i}].Member_Account"), id.as_ref())?;
    }
    Ok(())
}

/// `ApplyJoinOption`, `InviteJoinOption`, `AppDefinedData`, `SupportTopic` and the members'
/// `AppMemberDefinedData` are accepted and not kept.
impl Body for CreateGroupRequest {
    const DEFAULT_CODE: i32 = BAD;
}

pub(super) async fn create(app: &App, req: CreateGroupRequest) -> ApiResult<Vec<u8>> {
    type B = CreateGroupRequest;
    if !GROUP_TYPES.contains(&req.kind.as_str()) {
        return Err(B::invalid(
            "Type",
            format_args!("must be one of {GROUP_TYPES:?}"),
        ));
    }
    B::non_empty("Name", &req.name)?;
    if req.name.len() > 100 {
        return Err(B::invalid("Name", "over 100 bytes"));
    }
    let group_id = match req.group_id {
        None => None,
        Some(id) if id.is_empty() => None,
        Some(id) if valid_custom_group_id(&id) => Some(id),
        Some(_) => {
            return Err(ApiError::new(
                codes::GROUP_INVALID_GROUPID,
                "GroupId: must be 1 to 48 bytes of printable ASCII, not starting with @TGS#",
            ))
        }
    };
    let text = |k: &str, v: Option<String>| -> ApiResult<String> {
        let s = v.unwrap_or_default();
        if s.len() > 1024 {
            return Err(B::invalid(k, "over 1024 bytes"));
        }
        Ok(s)
    };
    check_members::<B>(req.member_list.iter().map(|m| &m.member_account))?;
    let members = req
        .member_list
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m.role.as_deref() {
                None | Some("" | "Member") => "Member",
                Some("Admin") => "Admin",
                Some(r) => {
                    return Err(B::invalid(
                        &format!("MemberList[{i}].Role"),
                        format_args!("must be Admin or Member, not {r:?}"),
                    ))
                }
            };
            Ok((m.member_account, role.to_string()))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let group = GroupIn {
        group_id,
        kind: req.kind,
        name: req.name,
        owner: req.owner_account.filter(|s| !s.is_empty()),
        members,
        introduction: text("Introduction", req.introduction)?,
        notification: text("Notification", req.notification)?,
        face_url: text("FaceUrl", req.face_url)?,
        max_member_num: req.max_member_count.or(req.max_member_num).unwrap_or(0),
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

/// `Silence` is accepted and has no effect (nothing is announced).
impl Body for AddGroupMemberRequest {
    const DEFAULT_CODE: i32 = BAD;
}

pub(super) async fn add_member(app: &App, req: AddGroupMemberRequest) -> ApiResult<Vec<u8>> {
    type B = AddGroupMemberRequest;
    let group_id = group_id::<B>(req.group_id)?;
    if req.member_list.is_empty() {
        return Err(B::invalid("MemberList", "empty"));
    }
    check_members::<B>(req.member_list.iter().map(|m| &m.member_account))?;
    B::flag("Silence", req.silence)?;
    let members = req
        .member_list
        .into_iter()
        .map(|m| m.member_account)
        .collect();
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

/// `get_group_info`. Every field is answered, so `ResponseFilter` is accepted and not applied.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetGroupInfo {
    group_id_list: Vec<String>,
    #[allow(dead_code)]
    response_filter: Option<ResponseFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ResponseFilter {
    group_base_info_filter: Option<Vec<String>>,
    member_info_filter: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_Group")]
    app_defined_data_filter_group: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_GroupMember")]
    app_defined_data_filter_group_member: Option<Vec<String>>,
}

impl Body for GetGroupInfo {
    const DEFAULT_CODE: i32 = BAD;
}

pub(super) async fn info(app: &App, req: GetGroupInfo) -> ApiResult<Vec<u8>> {
    let ids = req.group_id_list;
    if ids.is_empty() || ids.len() > MAX_INFO_IDS {
        return Err(GetGroupInfo::invalid(
            "GroupIdList",
            format_args!("must hold 1 to {MAX_INFO_IDS} ids"),
        ));
    }
    let infos = app.store.read(move |c| read::group_info(c, &ids)).await?;
    ok(&json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "GroupInfo": infos
    }))
}

impl Body for DestroyGroupRequest {
    const DEFAULT_CODE: i32 = BAD;
}

pub(super) async fn destroy(app: &App, req: DestroyGroupRequest) -> ApiResult<Vec<u8>> {
    let group_id = group_id::<DestroyGroupRequest>(req.group_id)?;
    app.store
        .write(|reply| Job::DestroyGroup { group_id, reply })
        .await?;
    ok(&Envelope::ok())
}

impl Body for SendGroupMsgRequest {
    const DEFAULT_CODE: i32 = BAD;
}

/// History numbering of `MsgPriority`: 1 High, 2 Normal, 3 Low, 4 Lowest.
fn priority(p: Option<&str>) -> ApiResult<i64> {
    match p {
        None | Some("Normal") => Ok(2),
        Some("High") => Ok(1),
        Some("Low") => Ok(3),
        Some("Lowest") => Ok(4),
        Some(p) => Err(SendGroupMsgRequest::invalid(
            "MsgPriority",
            format_args!(
                "must be \"High\", \"Normal\" or \"Low\" (case-sensitive), not {:?}",
                p.chars().take(20).collect::<String>()
            ),
        )),
    }
}

/// At most [`limits::MAX_AT_USERS`] entries, each @all or naming an account.
fn check_at_info(items: &[GroupAtInfo]) -> ApiResult<()> {
    type B = SendGroupMsgRequest;
    if items.len() > limits::MAX_AT_USERS {
        return Err(B::invalid(
            "GroupAtInfo",
            format_args!("more than {} entries", limits::MAX_AT_USERS),
        ));
    }
    for (i, at) in items.iter().enumerate() {
        let all = B::flag(
            &format!("GroupAtInfo[{i}].GroupAtAllFlag"),
            Some(at.group_at_all_flag),
        )?;
        if all == Some(0) && at.group_at_account.as_deref().is_none_or(str::is_empty) {
            return Err(B::invalid(
                &format!("GroupAtInfo[{i}].GroupAt_Account"),
                "missing (or set GroupAtAllFlag 1)",
            ));
        }
    }
    Ok(())
}

/// The rules of a whole group message.
const SEND_RULES: MsgRules = MsgRules {
    format: BAD,
    too_big: codes::BODY_SIZE_LIMIT,
    max_bytes: limits::MAX_BODY_BYTES,
};

/// `Group.CallbackBeforeSendMsg`: the message as the app's backend wants it. `Ok(Some(answer))`
/// when the backend dropped it: the sender gets that answer, with no seq (nothing is stored).
async fn before_send(app: &App, msg: &mut GroupMsgIn) -> ApiResult<Option<SendGroupMsgResponse>> {
    // Only a message the writer would take is shown to the app (it refuses the others with
    // their own codes).
    let (gid, from, as_admin) = (msg.group_id.clone(), msg.from.clone(), msg.as_admin);
    let kind = app
        .store
        .read(move |c| read::group_kind_for_sender(c, &gid, &from, as_admin))
        .await?;
    let Some(kind) = kind else {
        return Ok(None);
    };
    let webhooks = &app.webhooks;
    let body = serde_json::value::RawValue::from_string(msg.common.body.clone())
        .map_err(|e| ApiError::new(codes::INTERNAL_70500, format!("stored body: {e}")))?;
    let callback = GroupBeforeSendMsg {
        callback_command: commands::GROUP_BEFORE_SEND_MSG.to_string(),
        group_id: msg.group_id.clone(),
        kind,
        from_account: msg.from.clone(),
        operator_account: msg.operator.clone(),
        random: msg.random,
        online_only_flag: i64::from(msg.common.online_only),
        msg_body: body,
        cloud_custom_data: msg.common.cloud_custom_data.clone(),
        topic_id: msg.topic_id.clone(),
        event_time: webhooks.clock.now_ms(),
    };
    let verdict = webhooks
        .before(
            commands::GROUP_BEFORE_SEND_MSG,
            &msg.client_ip,
            &callback,
            codes::GROUP_CALLBACK_REFUSED,
        )
        .await;
    match verdict {
        Verdict::Send {
            msg_body,
            cloud_custom_data,
        } => {
            apply_changes::<SendGroupMsgRequest>(
                &mut msg.common,
                msg_body,
                cloud_custom_data,
                &SEND_RULES,
                commands::GROUP_BEFORE_SEND_MSG,
                &webhooks.failed,
            );
            Ok(None)
        }
        Verdict::Refuse(e) => Err(e),
        Verdict::Discard => Ok(Some(SendGroupMsgResponse {
            envelope: Envelope::ok(),
            msg_time: webhooks.clock.now(),
            msg_seq: 0,
            msg_drop_reason: String::new(),
        })),
    }
}

pub(super) async fn send(
    app: &App,
    who: &Principal,
    client_ip: String,
    req: SendGroupMsgRequest,
) -> ApiResult<Vec<u8>> {
    type B = SendGroupMsgRequest;
    let group_id = group_id::<B>(req.group_id)?;
    let priority = priority(req.msg_priority.as_deref())?;
    let from = sender(app, who, req.from_account, codes::GROUP_PERMISSION_DENY)?;
    let to_accounts = req.to_account;
    if let Some(t) = &to_accounts {
        if t.is_empty() || t.len() > limits::MAX_TARGETED_MEMBERS {
            return Err(B::invalid(
                "To_Account",
                format_args!("must hold 1 to {} members", limits::MAX_TARGETED_MEMBERS),
            ));
        }
    }
    if let Some(at) = &req.group_at_info {
        check_at_info(at)?;
    }
    let online_only = B::flag("OnlineOnlyFlag", req.online_only_flag)? == Some(1);
    let fields = MsgFields {
        msg_body: req.msg_body,
        cloud_custom_data: req.cloud_custom_data,
        offline_push_info: req.offline_push_info,
        send_msg_control: req.send_msg_control,
        forbid_callback_control: req.forbid_callback_control,
        support_message_extension: req.support_message_extension,
        read_receipt: ("NeedReadReceipt", req.need_read_receipt),
    };
    let mut common = common::<B>(fields, &SEND_RULES)?;
    common.online_only = online_only;
    let operator = match who {
        Principal::Admin => app.auth.admin().to_string(),
        Principal::User(me) => me.clone(),
    };
    let mut msg = GroupMsgIn {
        group_id,
        as_admin: from == app.auth.admin(),
        from,
        random: req.random,
        priority,
        at_info: req
            .group_at_info
            .map(|a| serde_json::to_string(&a).unwrap_or_default()),
        to_accounts,
        topic_id: req.topic_id,
        common,
        operator,
        client_ip,
    };
    if app.webhooks.group_before && !msg.common.no_before_callback {
        if let Some(dropped) = before_send(app, &mut msg).await? {
            return ok(&dropped);
        }
    }
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

/// Nothing is recalled and there are no topics here, so `WithRecalledMsg` (a 0/1 flag) and
/// `TopicId` change nothing.
impl Body for GroupMsgGetSimpleRequest {
    const DEFAULT_CODE: i32 = BAD;
    const IGNORED_KEYS: &'static [&'static str] = &["TopicId"];
}

pub(super) async fn history(
    app: &App,
    who: &Principal,
    req: GroupMsgGetSimpleRequest,
) -> ApiResult<Vec<u8>> {
    type B = GroupMsgGetSimpleRequest;
    let gid = group_id::<B>(req.group_id)?;
    if req.req_msg_number <= 0 {
        return Err(B::invalid("ReqMsgNumber", "must be positive"));
    }
    let num = req.req_msg_number.min(MAX_HISTORY_PAGE);
    let req_seq = req.req_msg_seq;
    B::flag("WithRecalledMsg", req.with_recalled_msg)?;
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

/// `set_unread_msg_num`: `UnreadMsgNum: 0` marks everything read.
impl Body for SetUnreadMsgNumRequest {
    const DEFAULT_CODE: i32 = BAD;
}

pub(super) async fn set_unread(app: &App, req: SetUnreadMsgNumRequest) -> ApiResult<Vec<u8>> {
    type B = SetUnreadMsgNumRequest;
    let group_id = group_id::<B>(req.group_id)?;
    B::non_empty("Member_Account", &req.member_account)?;
    if req.unread_msg_num < 0 {
        return Err(B::invalid("UnreadMsgNum", "must not be negative"));
    }
    app.store
        .write(|reply| Job::SetGroupUnread {
            group_id,
            member: req.member_account,
            unread: req.unread_msg_num,
            reply,
        })
        .await?;
    ok(&Envelope::ok())
}
