//! Groups: create / add member / info / destroy, `send_group_msg`, `group_msg_get_simple`
//! (reference §5.4, §5.8).

use crate::{Envelope, MsgElement, OfflinePushInfo};
use serde::{Deserialize, Serialize};

/// The @-all entry is `{"GroupAtAllFlag": 1}`; one user is `{"GroupAtAllFlag": 0, "GroupAt_Account": id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupAtInfo {
    #[serde(rename = "GroupAtAllFlag", default)]
    pub group_at_all_flag: i64,
    #[serde(
        rename = "GroupAt_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_at_account: Option<String>,
}

/// `group_open_http_svc/send_group_msg` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendGroupMsgRequest {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "Random")]
    pub random: u32,
    /// "High", "Normal" (default) or "Low".
    #[serde(
        rename = "MsgPriority",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_priority: Option<String>,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(
        rename = "From_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub from_account: Option<String>,
    #[serde(
        rename = "OfflinePushInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(
        rename = "ForbidCallbackControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub forbid_callback_control: Option<Vec<String>>,
    #[serde(
        rename = "OnlineOnlyFlag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub online_only_flag: Option<i64>,
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(
        rename = "CloudCustomData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloud_custom_data: Option<String>,
    #[serde(
        rename = "SupportMessageExtension",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub support_message_extension: Option<i64>,
    /// Targeted receivers (at most 50).
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<Vec<String>>,
    #[serde(rename = "TopicId", default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    #[serde(
        rename = "GroupAtInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_at_info: Option<Vec<GroupAtInfo>>,
    #[serde(
        rename = "NeedReadReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendGroupMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "MsgTime", default)]
    pub msg_time: i64,
    /// Strictly increasing per group from 1.
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
    /// Empty, or "MsgFreqCtrl" when dropped by the group's rate control (still answered OK).
    #[serde(rename = "MsgDropReason", default)]
    pub msg_drop_reason: String,
}

/// `group_msg_get_simple` request: up to `ReqMsgNumber` (≤ 20) messages with seq ≤ `ReqMsgSeq`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleRequest {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "ReqMsgNumber")]
    pub req_msg_number: i64,
    #[serde(rename = "ReqMsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub req_msg_seq: Option<u64>,
    #[serde(
        rename = "WithRecalledMsg",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub with_recalled_msg: Option<i64>,
}

/// One item of `RspMsgList`, with every field typed clients require, plus v2im extensions
/// (documented in README) carrying the send options back for inspection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsg {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "IsPlaceMsg", default)]
    pub is_place_msg: i64,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    /// 1 High, 2 Normal, 3 Low, 4 Lowest.
    #[serde(rename = "MsgPriority")]
    pub msg_priority: i64,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "MsgTimeStamp")]
    pub msg_time_stamp: i64,
    #[serde(rename = "IsSystemMsg", default)]
    pub is_system_msg: i64,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    #[serde(
        rename = "SupportMessageExtension",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub support_message_extension: Option<i64>,
    #[serde(
        rename = "NeedReadReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub need_read_receipt: Option<i64>,
    #[serde(
        rename = "OfflinePushInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(
        rename = "GroupAtInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_at_info: Option<Vec<GroupAtInfo>>,
    /// Targeted receivers, when the message was sent to some members only.
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
    /// 1 all returned, 0 more to page through.
    #[serde(rename = "IsFinished", default)]
    pub is_finished: i64,
    #[serde(rename = "RspMsgList", default)]
    pub rsp_msg_list: Vec<GroupMsg>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberAccount {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
}

/// `create_group`. `Type`: Private/Work, Public, ChatRoom/Meeting, AVChatRoom, Community.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateGroupRequest {
    #[serde(
        rename = "Owner_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_account: Option<String>,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "GroupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "MemberList", default, skip_serializing_if = "Vec::is_empty")]
    pub member_list: Vec<MemberAccount>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateGroupResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddGroupMemberRequest {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "MemberList")]
    pub member_list: Vec<MemberAccount>,
    #[serde(rename = "Silence", default, skip_serializing_if = "Option::is_none")]
    pub silence: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DestroyGroupRequest {
    #[serde(rename = "GroupId")]
    pub group_id: String,
}
