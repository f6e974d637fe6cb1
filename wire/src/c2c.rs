//! One-to-one messages: `openim/sendmsg`, `batchsendmsg`, `admin_getroammsg`, unread counts,
//! read marks and the conversation list (reference §5.2, §5.3, §5.7).

use crate::{Envelope, MsgElement, OfflinePushInfo};
use serde::{Deserialize, Serialize};

/// `openim/sendmsg` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendMsgRequest {
    #[serde(
        rename = "SyncOtherMachine",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sync_other_machine: Option<i64>,
    #[serde(
        rename = "From_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// 0 = online only; absent = 7 days.
    #[serde(
        rename = "MsgLifeTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_life_time: Option<i64>,
    #[serde(rename = "MsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u32>,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
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
    #[serde(
        rename = "OfflinePushInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push_info: Option<OfflinePushInfo>,
    /// "NoUnread", "NoLastMsg", "WithMuteNotifications".
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(
        rename = "ForbidCallbackControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub forbid_callback_control: Option<Vec<String>>,
    #[serde(
        rename = "IsNeedReadReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "MsgTime", default)]
    pub msg_time: i64,
    #[serde(rename = "MsgKey", default)]
    pub msg_key: String,
}

/// `openim/batchsendmsg` request body: `To_Account` is a list of at most 500.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchSendMsgRequest {
    #[serde(
        rename = "SyncOtherMachine",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sync_other_machine: Option<i64>,
    #[serde(
        rename = "From_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account")]
    pub to_account: Vec<String>,
    #[serde(
        rename = "MsgLifeTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_life_time: Option<i64>,
    #[serde(rename = "MsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u32>,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(
        rename = "CloudCustomData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloud_custom_data: Option<String>,
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(
        rename = "OfflinePushInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(
        rename = "IsNeedReadReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchSendError {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchSendMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "MsgKey", default)]
    pub msg_key: String,
    #[serde(rename = "ErrorList", default, skip_serializing_if = "Vec::is_empty")]
    pub error_list: Vec<BatchSendError>,
}

/// `openim/admin_getroammsg` request. The server also accepts the legacy
/// `From_Account`/`To_Account` names for the two accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRoamMsgRequest {
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "MaxCnt")]
    pub max_cnt: i64,
    #[serde(rename = "MinTime")]
    pub min_time: i64,
    #[serde(rename = "MaxTime")]
    pub max_time: i64,
    #[serde(
        rename = "LastMsgKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_msg_key: Option<String>,
}

/// One item of `admin_getroammsg`'s `MsgList`, with every field typed clients require, plus
/// v2im extensions (documented in README) that carry the send options back for inspection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoamMsg {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u32,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgTimeStamp")]
    pub msg_time_stamp: i64,
    /// 0 normal, 8 recalled.
    #[serde(rename = "MsgFlagBits", default)]
    pub msg_flag_bits: i64,
    #[serde(rename = "IsPeerRead", default)]
    pub is_peer_read: i64,
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    #[serde(
        rename = "SupportMessageExtension",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub support_message_extension: Option<i64>,
    #[serde(
        rename = "IsNeedReadReceipt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_need_read_receipt: Option<i64>,
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
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRoamMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// 1 when everything in range was returned, 0 when there is more.
    #[serde(rename = "Complete", default)]
    pub complete: i64,
    #[serde(rename = "MsgCnt", default)]
    pub msg_cnt: i64,
    #[serde(rename = "LastMsgTime", default)]
    pub last_msg_time: i64,
    #[serde(rename = "LastMsgKey", default)]
    pub last_msg_key: String,
    #[serde(rename = "MsgList", default)]
    pub msg_list: Vec<RoamMsg>,
}

/// `openim/get_c2c_unread_msg_num`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetC2cUnreadRequest {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(
        rename = "Peer_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub peer_account: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct C2cUnreadItem {
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "C2CUnreadMsgNum")]
    pub c2c_unread_msg_num: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetC2cUnreadResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "AllC2CUnreadMsgNum", default)]
    pub all_c2c_unread_msg_num: i64,
    #[serde(rename = "C2CUnreadMsgNumList", default)]
    pub c2c_unread_msg_num_list: Vec<C2cUnreadItem>,
}

/// `openim/admin_set_msg_read`: `Report_Account` has read everything `Peer_Account` sent it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SetMsgReadRequest {
    #[serde(rename = "Report_Account")]
    pub report_account: String,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(
        rename = "MsgReadTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_read_time: Option<i64>,
}

/// `recentcontact/get_list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRecentContactRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "TimeStamp", default)]
    pub time_stamp: i64,
    #[serde(rename = "StartIndex", default)]
    pub start_index: i64,
    #[serde(rename = "TopTimeStamp", default)]
    pub top_time_stamp: i64,
    #[serde(rename = "TopStartIndex", default)]
    pub top_start_index: i64,
    #[serde(rename = "AssistFlags", default)]
    pub assist_flags: i64,
}

/// One conversation. `Type` 1 is C2C (`To_Account` set), 2 is group (`GroupId` set).
/// `UnreadMsgNum` is a v2im extension (see README).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionItem {
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<String>,
    #[serde(rename = "GroupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Time of the conversation's last message (messages sent with NoLastMsg do not move it).
    #[serde(rename = "MsgTime")]
    pub msg_time: i64,
    #[serde(rename = "TopFlag", default)]
    pub top_flag: i64,
    #[serde(rename = "UnreadMsgNum", default)]
    pub unread_msg_num: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRecentContactResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(rename = "CompleteFlag", default)]
    pub complete_flag: i64,
    #[serde(rename = "TimeStamp", default)]
    pub time_stamp: i64,
    #[serde(rename = "StartIndex", default)]
    pub start_index: i64,
    #[serde(rename = "TopTimeStamp", default)]
    pub top_time_stamp: i64,
    #[serde(rename = "TopStartIndex", default)]
    pub top_start_index: i64,
    #[serde(rename = "SessionItem", default)]
    pub session_item: Vec<SessionItem>,
}
