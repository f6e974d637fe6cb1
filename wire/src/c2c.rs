//! One-to-one messages: `openim/sendmsg`, `batchsendmsg`, `admin_getroammsg`, unread counts,
//! read marks and the conversation list.

use crate::{Envelope, MsgElement, OfflinePushInfo};
use serde::{Deserialize, Serialize};

/// `openim/sendmsg` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMsgRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_other_machine: Option<i64>,
    #[serde(rename = "From_Account", skip_serializing_if = "Option::is_none")]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// 0 = online only; absent = 7 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_life_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u32>,
    pub msg_random: u32,
    /// Absent reads as empty (which v2im-server refuses as a bad body).
    #[serde(default)]
    pub msg_body: Vec<MsgElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_custom_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_message_extension: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    /// "NoUnread", "NoLastMsg", "WithMuteNotifications".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forbid_callback_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub msg_time: i64,
    #[serde(default)]
    pub msg_key: String,
}

/// `openim/batchsendmsg` request body: sendmsg's, with `To_Account` a list of at most 500.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSendMsgRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_other_machine: Option<i64>,
    #[serde(rename = "From_Account", skip_serializing_if = "Option::is_none")]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account")]
    pub to_account: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_life_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u32>,
    pub msg_random: u32,
    /// Absent reads as empty (which v2im-server refuses as a bad body).
    #[serde(default)]
    pub msg_body: Vec<MsgElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_custom_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_message_extension: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_msg_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forbid_callback_control: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_need_read_receipt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSendError {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    pub error_code: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSendMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub msg_key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_list: Vec<BatchSendError>,
}

/// `openim/admin_getroammsg` request. The server also accepts the legacy
/// `From_Account`/`To_Account` names for the two accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoamMsgRequest {
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    pub max_cnt: i64,
    pub min_time: i64,
    pub max_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_msg_key: Option<String>,
}

/// One item of `admin_getroammsg`'s `MsgList`, with every field typed clients require, plus
/// v2im extensions (documented in README) that carry the send options back for inspection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoamMsg {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    pub msg_seq: u32,
    pub msg_random: u32,
    pub msg_time_stamp: i64,
    /// 0 normal, 8 recalled.
    #[serde(default)]
    pub msg_flag_bits: i64,
    #[serde(default)]
    pub is_peer_read: i64,
    pub msg_key: String,
    pub msg_body: Vec<MsgElement>,
    #[serde(default)]
    pub cloud_custom_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_message_extension: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_need_read_receipt: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_msg_control: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoamMsgResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// 1 when everything in range was returned, 0 when there is more.
    #[serde(default)]
    pub complete: i64,
    #[serde(default)]
    pub msg_cnt: i64,
    #[serde(default)]
    pub last_msg_time: i64,
    #[serde(default)]
    pub last_msg_key: String,
    #[serde(default)]
    pub msg_list: Vec<RoamMsg>,
}

/// `openim/get_c2c_unread_msg_num`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetC2cUnreadRequest {
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "Peer_Account", skip_serializing_if = "Option::is_none")]
    pub peer_account: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cUnreadItem {
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "C2CUnreadMsgNum")]
    pub c2c_unread_msg_num: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
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
#[serde(rename_all = "PascalCase")]
pub struct SetMsgReadRequest {
    #[serde(rename = "Report_Account")]
    pub report_account: String,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_read_time: Option<i64>,
}

/// `recentcontact/get_list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecentContactRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(default)]
    pub time_stamp: i64,
    #[serde(default)]
    pub start_index: i64,
    #[serde(default)]
    pub top_time_stamp: i64,
    #[serde(default)]
    pub top_start_index: i64,
    #[serde(default)]
    pub assist_flags: i64,
}

/// One conversation. `Type` 1 is C2C (`To_Account` set), 2 is group (`GroupId` set).
/// `UnreadMsgNum`, `C2cLastMsg` and `GroupLastMsg` are v2im extensions (see README).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionItem {
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    pub to_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Time of the conversation's last message (messages sent with NoLastMsg do not move it).
    pub msg_time: i64,
    #[serde(default)]
    pub top_flag: i64,
    #[serde(default)]
    pub unread_msg_num: i64,
    /// The last message of a C2C conversation, as `admin_getroammsg` gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c2c_last_msg: Option<RoamMsg>,
    /// The last message of a group conversation, as `group_msg_get_simple` gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_last_msg: Option<crate::group::GroupMsg>,
}

/// `openim/c2c_msg_read_receipt`: `Operator_Account` has read the messages `Peer_Account` sent
/// it, named in `C2CMsgInfo` (each `From_Account` is the peer, each `To_Account` the operator).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cMsgReadReceiptRequest {
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    #[serde(rename = "Peer_Account")]
    pub peer_account: String,
    #[serde(rename = "C2CMsgInfo")]
    pub c2c_msg_info: Vec<C2cMsgInfo>,
}

/// One message of `c2c_msg_read_receipt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cMsgInfo {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    pub msg_key: String,
}

/// A message of `c2c_msg_read_receipt` that got no receipt (v2im extension).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MsgKeyError {
    pub msg_key: String,
    pub error_code: i32,
}

/// `openim/c2c_msg_read_receipt`'s answer: Tencent's is the envelope only; `ErrorList` (v2im)
/// names the messages that got no receipt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cMsgReadReceiptResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_list: Vec<MsgKeyError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecentContactResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
    #[serde(default)]
    pub complete_flag: i64,
    #[serde(default)]
    pub time_stamp: i64,
    #[serde(default)]
    pub start_index: i64,
    #[serde(default)]
    pub top_time_stamp: i64,
    #[serde(default)]
    pub top_start_index: i64,
    #[serde(default)]
    pub session_item: Vec<SessionItem>,
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

    fn push() -> OfflinePushInfo {
        OfflinePushInfo {
            push_flag: Some(1),
            ..Default::default()
        }
    }

    const ENVELOPE: (&str, &str, &str) = ("ActionStatus", "ErrorCode", "ErrorInfo");

    /// `v` with the envelope's three keys (an OK answer) added.
    fn with_envelope(mut v: Value) -> Value {
        v[ENVELOPE.0] = json!("OK");
        v[ENVELOPE.1] = json!(0);
        v[ENVELOPE.2] = json!("");
        v
    }

    #[test]
    fn send_keys_are_tencents() {
        let full = SendMsgRequest {
            sync_other_machine: Some(1),
            from_account: Some("a".into()),
            to_account: "b".into(),
            msg_life_time: Some(60),
            msg_seq: Some(2),
            msg_random: 3,
            msg_body: text(),
            cloud_custom_data: Some("c".into()),
            support_message_extension: Some(1),
            offline_push_info: Some(push()),
            send_msg_control: Some(vec!["NoUnread".into()]),
            forbid_callback_control: Some(vec!["ForbidBeforeSendMsgCallback".into()]),
            is_need_read_receipt: Some(1),
        };
        assert_eq!(
            json_of(&full),
            json!({"SyncOtherMachine": 1, "From_Account": "a", "To_Account": "b", "MsgLifeTime": 60,
                "MsgSeq": 2, "MsgRandom": 3, "MsgBody": text_json(), "CloudCustomData": "c",
                "SupportMessageExtension": 1, "OfflinePushInfo": {"PushFlag": 1},
                "SendMsgControl": ["NoUnread"], "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"],
                "IsNeedReadReceipt": 1})
        );
        // Absent options are left out.
        assert_eq!(
            json_of(&SendMsgRequest::default()),
            json!({"To_Account": "", "MsgRandom": 0, "MsgBody": []})
        );
        assert_eq!(
            json_of(&SendMsgResponse {
                envelope: Envelope::ok(),
                msg_time: 5,
                msg_key: "k".into(),
            }),
            with_envelope(json!({"MsgTime": 5, "MsgKey": "k"}))
        );
    }

    #[test]
    fn batch_keys_are_tencents() {
        let full = BatchSendMsgRequest {
            sync_other_machine: Some(2),
            from_account: Some("a".into()),
            to_account: vec!["b".into(), "c".into()],
            msg_life_time: Some(0),
            msg_seq: Some(1),
            msg_random: 2,
            msg_body: text(),
            cloud_custom_data: Some("d".into()),
            support_message_extension: Some(0),
            offline_push_info: Some(push()),
            send_msg_control: Some(vec!["NoLastMsg".into()]),
            forbid_callback_control: Some(vec!["ForbidAfterSendMsgCallback".into()]),
            is_need_read_receipt: Some(0),
        };
        assert_eq!(
            json_of(&full),
            json!({"SyncOtherMachine": 2, "From_Account": "a", "To_Account": ["b", "c"],
                "MsgLifeTime": 0, "MsgSeq": 1, "MsgRandom": 2, "MsgBody": text_json(),
                "CloudCustomData": "d", "SupportMessageExtension": 0, "SendMsgControl": ["NoLastMsg"],
                "ForbidCallbackControl": ["ForbidAfterSendMsgCallback"],
                "OfflinePushInfo": {"PushFlag": 1}, "IsNeedReadReceipt": 0})
        );
        assert_eq!(
            json_of(&BatchSendMsgRequest::default()),
            json!({"To_Account": [], "MsgRandom": 0, "MsgBody": []})
        );
        // A missing MsgBody reads as empty.
        let r: BatchSendMsgRequest =
            serde_json::from_value(json!({"To_Account": ["b"], "MsgRandom": 1})).unwrap();
        assert!(r.msg_body.is_empty());
        let answer = BatchSendMsgResponse {
            envelope: Envelope::ok(),
            msg_key: "k".into(),
            error_list: vec![BatchSendError {
                to_account: "c".into(),
                error_code: 70107,
            }],
        };
        assert_eq!(
            json_of(&answer),
            with_envelope(
                json!({"MsgKey": "k", "ErrorList": [{"To_Account": "c", "ErrorCode": 70107}]})
            )
        );
        // An empty ErrorList is left out.
        assert_eq!(
            json_of(&BatchSendMsgResponse::default()),
            with_envelope(json!({"MsgKey": ""}))
        );
    }

    fn roam_msg() -> RoamMsg {
        RoamMsg {
            from_account: "a".into(),
            to_account: "b".into(),
            msg_seq: 1,
            msg_random: 2,
            msg_time_stamp: 3,
            msg_flag_bits: 0,
            is_peer_read: 1,
            msg_key: "1_2_3".into(),
            msg_body: text(),
            cloud_custom_data: "c".into(),
            support_message_extension: Some(1),
            is_need_read_receipt: Some(1),
            offline_push_info: Some(push()),
            send_msg_control: Some(vec!["NoUnread".into()]),
        }
    }

    #[test]
    fn roam_keys_are_tencents() {
        let req = GetRoamMsgRequest {
            operator_account: "a".into(),
            peer_account: "b".into(),
            max_cnt: 10,
            min_time: 1,
            max_time: 2,
            last_msg_key: Some("k".into()),
        };
        assert_eq!(
            json_of(&req),
            json!({"Operator_Account": "a", "Peer_Account": "b", "MaxCnt": 10, "MinTime": 1,
                "MaxTime": 2, "LastMsgKey": "k"})
        );
        let msg = json!({"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2,
            "MsgTimeStamp": 3, "MsgFlagBits": 0, "IsPeerRead": 1, "MsgKey": "1_2_3",
            "MsgBody": text_json(), "CloudCustomData": "c", "SupportMessageExtension": 1,
            "IsNeedReadReceipt": 1, "OfflinePushInfo": {"PushFlag": 1},
            "SendMsgControl": ["NoUnread"]});
        assert_eq!(json_of(&roam_msg()), msg);
        let page = GetRoamMsgResponse {
            envelope: Envelope::ok(),
            complete: 1,
            msg_cnt: 1,
            last_msg_time: 3,
            last_msg_key: "1_2_3".into(),
            msg_list: vec![roam_msg()],
        };
        assert_eq!(
            json_of(&page),
            with_envelope(json!({"Complete": 1, "MsgCnt": 1, "LastMsgTime": 3,
                "LastMsgKey": "1_2_3", "MsgList": [msg]}))
        );
    }

    #[test]
    fn unread_read_mark_and_contact_keys_are_tencents() {
        assert_eq!(
            json_of(&GetC2cUnreadRequest {
                to_account: "a".into(),
                peer_account: Some(vec!["b".into()]),
            }),
            json!({"To_Account": "a", "Peer_Account": ["b"]})
        );
        assert_eq!(
            json_of(&GetC2cUnreadResponse {
                envelope: Envelope::ok(),
                all_c2c_unread_msg_num: 2,
                c2c_unread_msg_num_list: vec![C2cUnreadItem {
                    peer_account: "b".into(),
                    c2c_unread_msg_num: 2,
                }],
            }),
            with_envelope(json!({"AllC2CUnreadMsgNum": 2,
                "C2CUnreadMsgNumList": [{"Peer_Account": "b", "C2CUnreadMsgNum": 2}]}))
        );
        assert_eq!(
            json_of(&SetMsgReadRequest {
                report_account: "a".into(),
                peer_account: "b".into(),
                msg_read_time: Some(9),
            }),
            json!({"Report_Account": "a", "Peer_Account": "b", "MsgReadTime": 9})
        );
        assert_eq!(
            json_of(&GetRecentContactRequest {
                from_account: "a".into(),
                time_stamp: 1,
                start_index: 2,
                top_time_stamp: 3,
                top_start_index: 4,
                assist_flags: 5,
            }),
            json!({"From_Account": "a", "TimeStamp": 1, "StartIndex": 2, "TopTimeStamp": 3,
                "TopStartIndex": 4, "AssistFlags": 5})
        );
        let c2c = SessionItem {
            kind: 1,
            to_account: Some("b".into()),
            group_id: None,
            msg_time: 7,
            top_flag: 0,
            unread_msg_num: 1,
            c2c_last_msg: None,
            group_last_msg: None,
        };
        let group = SessionItem {
            kind: 2,
            to_account: None,
            group_id: Some("g".into()),
            ..c2c.clone()
        };
        assert_eq!(
            json_of(&GetRecentContactResponse {
                envelope: Envelope::ok(),
                complete_flag: 1,
                time_stamp: 2,
                start_index: 3,
                top_time_stamp: 4,
                top_start_index: 5,
                session_item: vec![c2c, group],
            }),
            with_envelope(json!({"CompleteFlag": 1, "TimeStamp": 2, "StartIndex": 3,
                "TopTimeStamp": 4, "TopStartIndex": 5, "SessionItem": [
                    {"Type": 1, "To_Account": "b", "MsgTime": 7, "TopFlag": 0, "UnreadMsgNum": 1},
                    {"Type": 2, "GroupId": "g", "MsgTime": 7, "TopFlag": 0, "UnreadMsgNum": 1}]}))
        );
    }

    #[test]
    fn last_messages_and_receipts() {
        let item = SessionItem {
            kind: 1,
            to_account: Some("b".into()),
            msg_time: 3,
            c2c_last_msg: Some(roam_msg()),
            ..Default::default()
        };
        let v = json_of(&item);
        assert_eq!(v["C2cLastMsg"], json_of(&roam_msg()));
        assert!(v.get("GroupLastMsg").is_none());
        assert_eq!(serde_json::from_value::<SessionItem>(v).unwrap(), item);
        let req = C2cMsgReadReceiptRequest {
            operator_account: "b".into(),
            peer_account: "a".into(),
            c2c_msg_info: vec![C2cMsgInfo {
                from_account: "a".into(),
                to_account: "b".into(),
                msg_key: "1_2_3".into(),
            }],
        };
        assert_eq!(
            json_of(&req),
            json!({"Operator_Account": "b", "Peer_Account": "a", "C2CMsgInfo": [
                {"From_Account": "a", "To_Account": "b", "MsgKey": "1_2_3"}]})
        );
        assert_eq!(
            json_of(&C2cMsgReadReceiptResponse {
                envelope: Envelope::ok(),
                error_list: vec![MsgKeyError {
                    msg_key: "k".into(),
                    error_code: 10062
                }],
            }),
            with_envelope(json!({"ErrorList": [{"MsgKey": "k", "ErrorCode": 10062}]}))
        );
    }

    /// Tencent's cloud adds fields over time: the answers the library reads must keep parsing.
    #[test]
    fn responses_accept_unknown_keys() {
        let mut msg = json_of(&roam_msg());
        msg["NewField"] = json!({"x": 1});
        msg["MsgBody"][0]["MsgContent"]["NewField"] = json!(1);
        let page: GetRoamMsgResponse = serde_json::from_value(
            json!({"ErrorCode": 0, "Complete": 1, "MsgList": [msg], "NewField": 1}),
        )
        .unwrap();
        assert_eq!(page.msg_list, vec![roam_msg()]);
        let r: SendMsgResponse = serde_json::from_value(
            json!({"ErrorCode": 0, "MsgTime": 1, "MsgKey": "k", "MsgId": "x"}),
        )
        .unwrap();
        assert_eq!(r.msg_key, "k");
        let r: GetRecentContactResponse = serde_json::from_value(
            json!({"ErrorCode": 0, "SessionItem": [{"Type": 1, "To_Account": "b", "MsgTime": 1, "C2cNick": "n"}]}),
        )
        .unwrap();
        assert_eq!(r.session_item[0].to_account.as_deref(), Some("b"));
    }
}
