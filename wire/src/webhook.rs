//! Webhooks about messages: Tencent's third-party callbacks (`C2C.CallbackBeforeSendMsg`,
//! `C2C.CallbackAfterSendMsg`, `Group.CallbackBeforeSendMsg`, `Group.CallbackAfterSendMsg`) and
//! v2im-server's offline-push job (a v2im extension: Tencent pushes through its own vendor
//! channels and has no such hook).
//!
//! A callback is an HTTP POST of a JSON body to the app's callback URL with the query
//! `SdkAppid`, `CallbackCommand`, `contenttype=json`, `ClientIP` and `OptPlatform`. A *before*
//! callback's answer ([`BeforeSendMsgAnswer`]) decides the message's fate; an *after* callback is
//! a notification whose answer only has to be a success.
//!
//! The message types are generic over `MsgBody` so that a server can pass a stored body through
//! without parsing it; the defaults are the typed elements.

use crate::{MsgElement, OfflinePushInfo};
use serde::{Deserialize, Serialize};

/// `CallbackCommand` values.
pub mod commands {
    pub const C2C_BEFORE_SEND_MSG: &str = "C2C.CallbackBeforeSendMsg";
    pub const C2C_AFTER_SEND_MSG: &str = "C2C.CallbackAfterSendMsg";
    pub const GROUP_BEFORE_SEND_MSG: &str = "Group.CallbackBeforeSendMsg";
    pub const GROUP_AFTER_SEND_MSG: &str = "Group.CallbackAfterSendMsg";
    /// Every command above.
    pub const ALL: [&str; 4] = [
        C2C_BEFORE_SEND_MSG,
        C2C_AFTER_SEND_MSG,
        GROUP_BEFORE_SEND_MSG,
        GROUP_AFTER_SEND_MSG,
    ];
}

/// Query keys of a callback request.
pub mod query {
    pub const SDKAPPID: &str = "SdkAppid";
    pub const CALLBACK_COMMAND: &str = "CallbackCommand";
    pub const CONTENT_TYPE: &str = "contenttype";
    pub const CLIENT_IP: &str = "ClientIP";
    pub const OPT_PLATFORM: &str = "OptPlatform";
    /// `OptPlatform` of a request made through the REST API.
    pub const PLATFORM_REST_API: &str = "RESTAPI";
}

/// `ForbidCallbackControl` values of a send.
pub mod forbid {
    pub const BEFORE_SEND_MSG: &str = "ForbidBeforeSendMsgCallback";
    pub const AFTER_SEND_MSG: &str = "ForbidAfterSendMsgCallback";
}

/// `ErrorCode` of a before-send answer.
pub mod answer {
    /// The message goes through (with the answer's `MsgBody`/`CloudCustomData` when given).
    pub const ALLOW: i64 = 0;
    /// Refused: the sender gets 20006 (C2C) or 10016 (group).
    pub const REFUSE: i64 = 1;
    /// Dropped silently: the sender is answered as if it had been sent.
    pub const DISCARD: i64 = 2;
    /// Refused with the app's own code, which the sender gets with the answer's `ErrorInfo`.
    pub const CUSTOM_CODES: std::ops::RangeInclusive<i64> = 120_001..=130_000;
}

/// `C2C.CallbackBeforeSendMsg` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cBeforeSendMsg<B = Vec<MsgElement>> {
    pub callback_command: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    pub msg_seq: u32,
    pub msg_random: u32,
    /// Seconds.
    pub msg_time: i64,
    /// `{MsgSeq}_{MsgRandom}_{MsgTime}`.
    pub msg_key: String,
    /// 1: an online-only message.
    pub online_only_flag: i64,
    pub msg_body: B,
    #[serde(default)]
    pub cloud_custom_data: String,
    /// Milliseconds.
    pub event_time: i64,
}

/// `C2C.CallbackAfterSendMsg` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cAfterSendMsg<B = Vec<MsgElement>> {
    pub callback_command: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    pub msg_seq: u32,
    pub msg_random: u32,
    pub msg_time: i64,
    pub msg_key: String,
    pub online_only_flag: i64,
    /// 0: delivered.
    pub send_msg_result: i64,
    #[serde(default)]
    pub error_info: String,
    /// `To_Account`'s unread one-to-one messages, all conversations together.
    pub unread_msg_num: i64,
    pub msg_body: B,
    #[serde(default)]
    pub cloud_custom_data: String,
    pub event_time: i64,
}

/// `Group.CallbackBeforeSendMsg` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupBeforeSendMsg<B = Vec<MsgElement>> {
    pub callback_command: String,
    pub group_id: String,
    /// The group's type (`Public`, `Work`, ...).
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// Who made the request: the app admin, or the sender itself.
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    pub random: u32,
    pub online_only_flag: i64,
    pub msg_body: B,
    #[serde(default)]
    pub cloud_custom_data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    pub event_time: i64,
}

/// `Group.CallbackAfterSendMsg` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupAfterSendMsg<B = Vec<MsgElement>> {
    pub callback_command: String,
    pub group_id: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    pub random: u32,
    pub msg_seq: u64,
    pub msg_time: i64,
    pub online_only_flag: i64,
    pub msg_body: B,
    #[serde(default)]
    pub cloud_custom_data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
    pub event_time: i64,
}

/// The app's answer to a before-send callback. Keys it does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BeforeSendMsgAnswer {
    #[serde(default)]
    pub action_status: String,
    /// See [`answer`].
    pub error_code: i64,
    #[serde(default)]
    pub error_info: String,
    /// The body to store and deliver instead of the sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_body: Option<Vec<MsgElement>>,
    /// The `CloudCustomData` to store and deliver instead of the sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_custom_data: Option<String>,
}

/// `ChatType` of a push job.
pub mod chat_type {
    pub const C2C: &str = "C2C";
    pub const GROUP: &str = "Group";
}

/// v2im-server's offline-push job: a stored message addressed to accounts that had no live
/// channel open when it was stored, POSTed to the push URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushJob<B = Vec<MsgElement>> {
    /// Stable across retries: `C2C_{To_Account}_{MsgKey}` or `Group_{GroupId}_{MsgSeq}`.
    pub push_id: String,
    /// [`chat_type`]: the receivers' conversation is `From_Account` (C2C) or `GroupId`.
    pub chat_type: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// The sender's nick, as `account_import` set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// Who to push to.
    #[serde(rename = "To_Account")]
    pub to_account: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The message id: `{MsgSeq}_{MsgRandom}_{MsgTime}` (C2C: Tencent's `MsgKey`).
    pub msg_key: String,
    pub msg_seq: u64,
    pub msg_random: u32,
    pub msg_time: i64,
    /// As the sender gave it (title, desc, ext, vendor options); absent when it gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_push_info: Option<OfflinePushInfo>,
    pub msg_body: B,
    #[serde(default)]
    pub cloud_custom_data: String,
    pub event_time: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_tencents() {
        let before = C2cBeforeSendMsg {
            callback_command: commands::C2C_BEFORE_SEND_MSG.into(),
            from_account: "jared".into(),
            to_account: "Jonh".into(),
            msg_seq: 48374,
            msg_random: 2837546,
            msg_time: 1557481126,
            msg_key: "48374_2837546_1557481126".into(),
            online_only_flag: 0,
            msg_body: Vec::<MsgElement>::new(),
            cloud_custom_data: "c".into(),
            event_time: 1557481126000,
        };
        assert_eq!(
            serde_json::to_value(&before).unwrap(),
            json!({"CallbackCommand": "C2C.CallbackBeforeSendMsg", "From_Account": "jared",
                "To_Account": "Jonh", "MsgSeq": 48374, "MsgRandom": 2837546, "MsgTime": 1557481126,
                "MsgKey": "48374_2837546_1557481126", "OnlineOnlyFlag": 0, "MsgBody": [],
                "CloudCustomData": "c", "EventTime": 1557481126000i64})
        );
        let group = GroupAfterSendMsg {
            callback_command: commands::GROUP_AFTER_SEND_MSG.into(),
            group_id: "g".into(),
            kind: "Public".into(),
            from_account: "a".into(),
            operator_account: "admin".into(),
            random: 1,
            msg_seq: 2,
            msg_time: 3,
            online_only_flag: 0,
            msg_body: Vec::<MsgElement>::new(),
            cloud_custom_data: String::new(),
            topic_id: None,
            event_time: 4,
        };
        let v = serde_json::to_value(&group).unwrap();
        for k in [
            "Type",
            "From_Account",
            "Operator_Account",
            "MsgSeq",
            "MsgTime",
        ] {
            assert!(v.get(k).is_some(), "{k} in {v}");
        }
        assert!(v.get("TopicId").is_none());
    }

    #[test]
    fn answers_ignore_what_they_do_not_use() {
        let a: BeforeSendMsgAnswer = serde_json::from_value(json!({"ActionStatus": "OK",
            "ErrorCode": 0, "ErrorInfo": "", "Other": 1,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}))
        .unwrap();
        assert_eq!(a.error_code, answer::ALLOW);
        assert_eq!(a.msg_body.unwrap().len(), 1);
        assert!(a.cloud_custom_data.is_none());
        assert!(
            serde_json::from_value::<BeforeSendMsgAnswer>(json!({"ActionStatus": "OK"})).is_err()
        );
    }
}
