//! Groups: create / add member / info / destroy, `send_group_msg`, `group_msg_get_simple`.

use crate::{Envelope, MsgElement, OfflinePushInfo};
use serde::{Deserialize, Serialize};

/// The @-all entry is `{"GroupAtAllFlag": 1}`; one user is `{"GroupAtAllFlag": 0, "GroupAt_Account": id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupAtInfo {
    #[serde(default)]
    pub group_at_all_flag: i64,
    #[serde(rename = "GroupAt_Account", skip_serializing_if = "Option::is_none")]
    pub group_at_account: Option<String>,
}

/// `group_open_http_svc/send_group_msg` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendGroupMsgRequest {
    pub group_id: String,
    pub random: u32,
    /// "High", "Normal" (the default), "Low", or "Lowest"; case-sensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_priority: Option<String>,
    /// Absent reads as empty (which v2im-server refuses as a bad body).
    #[serde(default)]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "From_Account", skip_serializing_if = "Option::is_none")]
    pub from_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forbid_callback_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online_only_flag: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_custom_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_message_extension: Option<i64>,
    /// Targeted receivers (at most 50).
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    pub to_account: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_at_info: Option<Vec<GroupAtInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendGroupMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub msg_time: i64,
    /// Strictly increasing per group from 1.
    #[serde(default)]
    pub msg_seq: u64,
    /// Empty, or "MsgFreqCtrl" when dropped by the group's rate control (still answered OK).
    #[serde(default)]
    pub msg_drop_reason: String,
}

/// `group_msg_get_simple` request: up to `ReqMsgNumber` (≤ 20) messages with seq ≤ `ReqMsgSeq`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgGetSimpleRequest {
    pub group_id: String,
    pub req_msg_number: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req_msg_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_recalled_msg: Option<i64>,
}

/// One item of `RspMsgList`, with every field typed clients require, plus v2im extensions
/// (documented in README) carrying the send options back for inspection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsg {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(default)]
    pub is_place_msg: i64,
    pub msg_body: Vec<MsgElement>,
    /// 1 High, 2 Normal, 3 Low, 4 Lowest.
    pub msg_priority: i64,
    pub msg_random: u32,
    pub msg_seq: u64,
    pub msg_time_stamp: i64,
    #[serde(default)]
    pub is_system_msg: i64,
    #[serde(default)]
    pub cloud_custom_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_message_extension: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_read_receipt: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_at_info: Option<Vec<GroupAtInfo>>,
    /// Targeted receivers, when the message was sent to some members only.
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    pub to_account: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgGetSimpleResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub group_id: String,
    /// 1 all returned, 0 more to page through.
    #[serde(default)]
    pub is_finished: i64,
    #[serde(default)]
    pub rsp_msg_list: Vec<GroupMsg>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberAccount {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
}

/// `create_group`. `Type`: Private/Work, Public, ChatRoom/Meeting, AVChatRoom, Community.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupRequest {
    #[serde(rename = "Owner_Account", skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<String>,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
    /// The member limit (Tencent's request name; `get_group_info` answers it as `MaxMemberNum`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_member_count: Option<i64>,
    /// The member limit under its answer name, which v2im-server has always accepted too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_member_num: Option<i64>,
    /// "FreeAccess", "NeedPermission" or "DisableApply".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_join_option: Option<String>,
    /// "FreeAccess", "NeedPermission" or "DisableInvite".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_join_option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_defined_data: Option<Vec<AppDefinedData>>,
    /// 1: a Community with topics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_topic: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_list: Vec<NewGroupMember>,
}

/// A member listed in `create_group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewGroupMember {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// "Admin" or "Member" (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_member_defined_data: Option<Vec<AppDefinedData>>,
}

/// One custom group (or member) field: `{"Key": ..., "Value": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AppDefinedData {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub group_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddGroupMemberRequest {
    pub group_id: String,
    pub member_list: Vec<MemberAccount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silence: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestroyGroupRequest {
    pub group_id: String,
}

/// `set_unread_msg_num`: sets `Member_Account`'s unread count in the group; `0` marks it read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetUnreadMsgNumRequest {
    pub group_id: String,
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    pub unread_msg_num: i64,
}

/// One message of a receipt request: `{"MsgSeq": n}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MsgSeqItem {
    pub msg_seq: u64,
}

/// `group_msg_receipt`: member `From_Account` has read these messages (at most 50).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgReceiptRequest {
    pub group_id: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    pub msg_seq_list: Vec<MsgSeqItem>,
}

/// `get_group_msg_receipt`: read counts of these messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupMsgReceiptRequest {
    pub group_id: String,
    pub msg_seq_list: Vec<MsgSeqItem>,
}

/// The read counts of one message. `Code` is the item's own error (0, or e.g. 10062: no receipt
/// information for that message).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgReceipt {
    #[serde(default)]
    pub code: i32,
    pub msg_seq: u64,
    #[serde(default)]
    pub read_num: i64,
    #[serde(default)]
    pub unread_num: i64,
}

/// The answer of `get_group_msg_receipt`, and of `group_msg_receipt` (there a v2im extension:
/// the counts after the receipt).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupMsgReceiptResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub group_msg_receipt_list: Vec<GroupMsgReceipt>,
}

/// `get_group_msg_receipt_detail`: who has (`Filter` 0) or has not (1) read a message, a page of
/// at most `Count` (≤ 200) accounts after `Cursor` ("" for the first page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupMsgReceiptDetailRequest {
    pub group_id: String,
    pub msg_seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadAccount {
    #[serde(rename = "Read_Account")]
    pub read_account: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnreadAccount {
    #[serde(rename = "Unread_Account")]
    pub unread_account: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupMsgReceiptDetailResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// 1 when this page is the last.
    #[serde(default)]
    pub is_finished: i64,
    #[serde(default)]
    pub msg_seq: u64,
    #[serde(default)]
    pub read_list: Vec<ReadAccount>,
    #[serde(default)]
    pub unread_list: Vec<UnreadAccount>,
    /// Where the next page starts.
    #[serde(default)]
    pub cursor: String,
}

/// `get_joined_group_list`: the groups `Member_Account` is in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetJoinedGroupListRequest {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_huge_groups: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_no_active_groups: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_filter: Option<JoinedGroupFilter>,
}

/// Which group fields (`Type`, `Name`, ...) and which of the member's own (`Role`, `JoinTime`,
/// `MsgFlag`, `UnreadMsgNum`, `MsgSeq`) to answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JoinedGroupFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_base_info_filter: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_info_filter: Option<Vec<String>>,
}

/// The member's own state in a group (only the fields asked for are set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SelfInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_flag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_msg_num: Option<i64>,
    /// The member's read seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u64>,
}

/// One group of `get_joined_group_list` (only the fields asked for are set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JoinedGroup {
    pub group_id: String,
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
    #[serde(
        rename = "Owner_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_msg_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_msg_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_num: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_member_num: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_info: Option<SelfInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetJoinedGroupListResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// Groups matching `GroupType`, before `Limit`/`Offset`.
    #[serde(default)]
    pub total_count: i64,
    #[serde(default)]
    pub group_id_list: Vec<JoinedGroup>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elem::TextElem;
    use serde_json::{json, Value};

    fn json_of<T: Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    fn text() -> Vec<MsgElement> {
        vec![MsgElement::Text(TextElem { text: "t".into() })]
    }

    fn text_json() -> Value {
        json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}])
    }

    /// `v` with the envelope's three keys (an OK answer) added.
    fn with_envelope(mut v: Value) -> Value {
        v["ActionStatus"] = json!("OK");
        v["ErrorCode"] = json!(0);
        v["ErrorInfo"] = json!("");
        v
    }

    fn at_user() -> GroupAtInfo {
        GroupAtInfo {
            group_at_all_flag: 0,
            group_at_account: Some("b".into()),
        }
    }

    #[test]
    fn send_keys_are_tencents() {
        let full = SendGroupMsgRequest {
            group_id: "g".into(),
            random: 1,
            msg_priority: Some("High".into()),
            msg_body: text(),
            from_account: Some("a".into()),
            offline_push_info: Some(OfflinePushInfo {
                push_flag: Some(0),
                ..Default::default()
            }),
            forbid_callback_control: Some(vec!["ForbidAfterSendMsgCallback".into()]),
            online_only_flag: Some(0),
            send_msg_control: Some(vec!["NoUnread".into()]),
            cloud_custom_data: Some("c".into()),
            support_message_extension: Some(1),
            to_account: Some(vec!["b".into()]),
            topic_id: Some("tp".into()),
            group_at_info: Some(vec![at_user()]),
            need_read_receipt: Some(1),
        };
        assert_eq!(
            json_of(&full),
            json!({"GroupId": "g", "Random": 1, "MsgPriority": "High", "MsgBody": text_json(),
                "From_Account": "a", "OfflinePushInfo": {"PushFlag": 0},
                "ForbidCallbackControl": ["ForbidAfterSendMsgCallback"], "OnlineOnlyFlag": 0,
                "SendMsgControl": ["NoUnread"], "CloudCustomData": "c", "SupportMessageExtension": 1,
                "To_Account": ["b"], "TopicId": "tp",
                "GroupAtInfo": [{"GroupAtAllFlag": 0, "GroupAt_Account": "b"}], "NeedReadReceipt": 1})
        );
        assert_eq!(
            json_of(&SendGroupMsgRequest::default()),
            json!({"GroupId": "", "Random": 0, "MsgBody": []})
        );
        assert_eq!(
            json_of(&GroupAtInfo {
                group_at_all_flag: 1,
                group_at_account: None
            }),
            json!({"GroupAtAllFlag": 1})
        );
        assert_eq!(
            json_of(&SendGroupMsgResponse {
                envelope: Envelope::ok(),
                msg_time: 1,
                msg_seq: 2,
                msg_drop_reason: "MsgFreqCtrl".into(),
            }),
            with_envelope(json!({"MsgTime": 1, "MsgSeq": 2, "MsgDropReason": "MsgFreqCtrl"}))
        );
    }

    fn group_msg() -> GroupMsg {
        GroupMsg {
            from_account: "a".into(),
            is_place_msg: 0,
            msg_body: text(),
            msg_priority: 2,
            msg_random: 3,
            msg_seq: 4,
            msg_time_stamp: 5,
            is_system_msg: 0,
            cloud_custom_data: "c".into(),
            support_message_extension: Some(1),
            need_read_receipt: Some(1),
            offline_push_info: Some(OfflinePushInfo {
                push_flag: Some(1),
                ..Default::default()
            }),
            send_msg_control: Some(vec!["NoLastMsg".into()]),
            group_at_info: Some(vec![at_user()]),
            to_account: Some(vec!["b".into()]),
        }
    }

    #[test]
    fn history_keys_are_tencents() {
        assert_eq!(
            json_of(&GroupMsgGetSimpleRequest {
                group_id: "g".into(),
                req_msg_number: 20,
                req_msg_seq: Some(7),
                with_recalled_msg: Some(1),
            }),
            json!({"GroupId": "g", "ReqMsgNumber": 20, "ReqMsgSeq": 7, "WithRecalledMsg": 1})
        );
        let msg = json!({"From_Account": "a", "IsPlaceMsg": 0, "MsgBody": text_json(),
            "MsgPriority": 2, "MsgRandom": 3, "MsgSeq": 4, "MsgTimeStamp": 5, "IsSystemMsg": 0,
            "CloudCustomData": "c", "SupportMessageExtension": 1, "NeedReadReceipt": 1,
            "OfflinePushInfo": {"PushFlag": 1}, "SendMsgControl": ["NoLastMsg"],
            "GroupAtInfo": [{"GroupAtAllFlag": 0, "GroupAt_Account": "b"}], "To_Account": ["b"]});
        assert_eq!(json_of(&group_msg()), msg);
        assert_eq!(
            json_of(&GroupMsgGetSimpleResponse {
                envelope: Envelope::ok(),
                group_id: "g".into(),
                is_finished: 1,
                rsp_msg_list: vec![group_msg()],
            }),
            with_envelope(json!({"GroupId": "g", "IsFinished": 1, "RspMsgList": [msg]}))
        );
    }

    #[test]
    fn management_keys_are_tencents() {
        let member = MemberAccount {
            member_account: "m".into(),
        };
        let data = || {
            Some(vec![AppDefinedData {
                key: "k".into(),
                value: "v".into(),
            }])
        };
        assert_eq!(
            json_of(&CreateGroupRequest {
                owner_account: Some("o".into()),
                kind: "Public".into(),
                group_id: Some("g".into()),
                name: "n".into(),
                introduction: Some("i".into()),
                notification: Some("no".into()),
                face_url: Some("f".into()),
                max_member_count: Some(100),
                max_member_num: Some(200),
                apply_join_option: Some("FreeAccess".into()),
                invite_join_option: Some("DisableInvite".into()),
                app_defined_data: data(),
                support_topic: Some(0),
                member_list: vec![NewGroupMember {
                    member_account: "m".into(),
                    role: Some("Admin".into()),
                    app_member_defined_data: data(),
                }],
            }),
            json!({"Owner_Account": "o", "Type": "Public", "GroupId": "g", "Name": "n",
                "Introduction": "i", "Notification": "no", "FaceUrl": "f", "MaxMemberCount": 100,
                "MaxMemberNum": 200, "ApplyJoinOption": "FreeAccess",
                "InviteJoinOption": "DisableInvite", "AppDefinedData": [{"Key": "k", "Value": "v"}],
                "SupportTopic": 0, "MemberList": [{"Member_Account": "m", "Role": "Admin",
                    "AppMemberDefinedData": [{"Key": "k", "Value": "v"}]}]})
        );
        assert_eq!(
            json_of(&CreateGroupRequest::default()),
            json!({"Type": "", "Name": ""})
        );
        assert_eq!(
            json_of(&CreateGroupResponse {
                envelope: Envelope::ok(),
                group_id: "g".into(),
            }),
            with_envelope(json!({"GroupId": "g"}))
        );
        assert_eq!(
            json_of(&AddGroupMemberRequest {
                group_id: "g".into(),
                member_list: vec![member],
                silence: Some(1),
            }),
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "m"}], "Silence": 1})
        );
        assert_eq!(
            json_of(&DestroyGroupRequest {
                group_id: "g".into()
            }),
            json!({"GroupId": "g"})
        );
    }

    #[test]
    fn receipt_and_joined_list_keys_are_tencents() {
        let seqs = vec![MsgSeqItem { msg_seq: 1 }];
        assert_eq!(
            json_of(&GroupMsgReceiptRequest {
                group_id: "g".into(),
                from_account: "a".into(),
                msg_seq_list: seqs.clone(),
            }),
            json!({"GroupId": "g", "From_Account": "a", "MsgSeqList": [{"MsgSeq": 1}]})
        );
        assert_eq!(
            json_of(&GetGroupMsgReceiptRequest {
                group_id: "g".into(),
                msg_seq_list: seqs,
            }),
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}]})
        );
        assert_eq!(
            json_of(&GroupMsgReceiptResponse {
                envelope: Envelope::ok(),
                group_msg_receipt_list: vec![GroupMsgReceipt {
                    code: 0,
                    msg_seq: 1,
                    read_num: 1,
                    unread_num: 6,
                }],
            }),
            with_envelope(json!({"GroupMsgReceiptList": [
                {"Code": 0, "MsgSeq": 1, "ReadNum": 1, "UnreadNum": 6}]}))
        );
        assert_eq!(
            json_of(&GetGroupMsgReceiptDetailRequest {
                group_id: "g".into(),
                msg_seq: 1,
                filter: Some(0),
                cursor: Some(String::new()),
                count: Some(200),
            }),
            json!({"GroupId": "g", "MsgSeq": 1, "Filter": 0, "Cursor": "", "Count": 200})
        );
        assert_eq!(
            json_of(&GetGroupMsgReceiptDetailResponse {
                envelope: Envelope::ok(),
                is_finished: 1,
                msg_seq: 1,
                read_list: vec![ReadAccount {
                    read_account: "b".into()
                }],
                unread_list: vec![UnreadAccount {
                    unread_account: "c".into()
                }],
                cursor: "x".into(),
            }),
            with_envelope(json!({"IsFinished": 1, "MsgSeq": 1,
                "ReadList": [{"Read_Account": "b"}], "UnreadList": [{"Unread_Account": "c"}],
                "Cursor": "x"}))
        );
        assert_eq!(
            json_of(&GetJoinedGroupListRequest {
                member_account: "a".into(),
                limit: Some(10),
                offset: Some(0),
                group_type: Some("Public".into()),
                with_huge_groups: Some(0),
                with_no_active_groups: Some(0),
                response_filter: Some(JoinedGroupFilter {
                    group_base_info_filter: Some(vec!["Type".into()]),
                    self_info_filter: Some(vec!["UnreadMsgNum".into()]),
                }),
            }),
            json!({"Member_Account": "a", "Limit": 10, "Offset": 0, "GroupType": "Public",
                "WithHugeGroups": 0, "WithNoActiveGroups": 0, "ResponseFilter": {
                    "GroupBaseInfoFilter": ["Type"], "SelfInfoFilter": ["UnreadMsgNum"]}})
        );
        assert_eq!(
            json_of(&GetJoinedGroupListResponse {
                envelope: Envelope::ok(),
                total_count: 1,
                group_id_list: vec![JoinedGroup {
                    group_id: "g".into(),
                    kind: Some("Public".into()),
                    owner_account: Some("o".into()),
                    self_info: Some(SelfInfo {
                        role: Some("Owner".into()),
                        unread_msg_num: Some(2),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
            }),
            with_envelope(json!({"TotalCount": 1, "GroupIdList": [{"GroupId": "g",
                "Type": "Public", "Owner_Account": "o",
                "SelfInfo": {"Role": "Owner", "UnreadMsgNum": 2}}]}))
        );
        assert_eq!(
            json_of(&SetUnreadMsgNumRequest {
                group_id: "g".into(),
                member_account: "m".into(),
                unread_msg_num: 0,
            }),
            json!({"GroupId": "g", "Member_Account": "m", "UnreadMsgNum": 0})
        );
    }

    /// Tencent's cloud adds fields over time: the answers the library reads must keep parsing.
    #[test]
    fn responses_accept_unknown_keys() {
        let mut msg = json_of(&group_msg());
        msg["NewField"] = json!(1);
        msg["GroupAtInfo"][0]["NewField"] = json!(2);
        let page: GroupMsgGetSimpleResponse = serde_json::from_value(
            json!({"ErrorCode": 0, "GroupId": "g", "RspMsgList": [msg], "NewField": 3}),
        )
        .unwrap();
        assert_eq!(page.rsp_msg_list, vec![group_msg()]);
        let r: SendGroupMsgResponse =
            serde_json::from_value(json!({"ErrorCode": 0, "MsgSeq": 1, "NewField": 1})).unwrap();
        assert_eq!(r.msg_seq, 1);
    }
}
