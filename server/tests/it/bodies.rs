//! Request bodies: unknown keys are refused (with a "did you mean" for a near miss), a mistyped
//! field gets its Tencent code and an `ErrorInfo` naming its path, and every field Tencent
//! documents is accepted, including those the server does not act on.

use crate::common::*;
use serde_json::{json, Value};
use v2im_wire::c2c::{BatchSendMsgRequest, SendMsgRequest};
use v2im_wire::elem::{CustomElem, TextElem};
use v2im_wire::group::{AppDefinedData, CreateGroupRequest, NewGroupMember, SendGroupMsgRequest};
use v2im_wire::push::{AndroidInfo, ApnsInfo};
use v2im_wire::{MsgElement, OfflinePushInfo};

/// Asserts a refusal with `code` whose `ErrorInfo` is exactly `info`.
#[track_caller]
fn refused(r: &Value, code: i64, info: &str) {
    assert_code(r, code);
    assert_eq!(r["ErrorInfo"], info, "{r}");
}

#[test]
fn unknown_keys_are_refused_with_the_commands_code() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g", "alice", &["bob"]);
    let send =
        json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")});
    let group = json!({"GroupId": gid, "From_Account": "alice", "Random": 1, "MsgBody": text("x")});
    let cases = [
        // A near miss of a declared key gets a suggestion, case included.
        (
            "openim/sendmsg",
            merge(
                json!({"From_Account": "alice", "MsgRandom": 1, "MsgBody": text("x")}),
                json!({"To_account": "bob"}),
            ),
            90001,
            "To_account: unknown key, did you mean \"To_Account\"?",
        ),
        (
            "openim/sendmsg",
            merge(send.clone(), json!({"MsgRandm": 2})),
            90001,
            "MsgRandm: unknown key, did you mean \"MsgRandom\"?",
        ),
        (
            "openim/sendmsg",
            merge(send.clone(), json!({"Colour": "red"})),
            90001,
            "Colour: unknown key",
        ),
        (
            "openim/batchsendmsg",
            json!({"To_Account": ["bob"], "MsgRandom": 1, "MsgBody": text("x"), "Topic": "t"}),
            90001,
            "Topic: unknown key",
        ),
        (
            "group_open_http_svc/send_group_msg",
            merge(group.clone(), json!({"GroupID": gid})),
            10004,
            "GroupID: unknown key, did you mean \"GroupId\"?",
        ),
        (
            "group_open_http_svc/send_group_msg",
            merge(
                group.clone(),
                json!({"GroupAtInfo": [{"GroupAtAllFlag": 1, "GroupAt_AllFlag": 1}]}),
            ),
            10004,
            "GroupAtInfo[0].GroupAt_AllFlag: unknown key, did you mean \"GroupAtAllFlag\"?",
        ),
        (
            "im_open_login_svc/account_import",
            json!({"UserID": "carol", "NickName": "c"}),
            70402,
            "NickName: unknown key",
        ),
        (
            "im_open_login_svc/account_import",
            json!({"UserId": "carol"}),
            70402,
            "UserId: unknown key, did you mean \"UserID\"?",
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "Owner": "alice"}),
            10004,
            "Owner: unknown key",
        ),
        (
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "n", "MemberList": [{"Member_Account": "bob", "Rol": "Admin"}]}),
            10004,
            "MemberList[0].Rol: unknown key, did you mean \"Role\"?",
        ),
        (
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "bob", "Extra": 1}]}),
            70402,
            "CheckItem[0].Extra: unknown key",
        ),
        (
            "openim/admin_getroammsg",
            json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 1, "Cursor": "x"}),
            90001,
            "Cursor: unknown key",
        ),
        (
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 1, "ReqMsgSeqs": 1}),
            10004,
            "ReqMsgSeqs: unknown key, did you mean \"ReqMsgSeq\"?",
        ),
    ];
    for (path, body, code, info) in cases {
        refused(&s.call(path, body), code, info);
    }
    // Nothing was stored or created by the refused calls.
    assert!(s.roam("alice", "bob").is_empty());
    assert!(s.group_history(&gid).is_empty());
}

#[test]
fn nested_objects_the_server_parses_refuse_unknown_keys_with_their_codes() {
    let s = TestServer::start();
    let gid = s.create_group("g", "alice", &[]);
    let elem = |content: Value| json!([{"MsgType": "TIMTextElem", "MsgContent": content}]);
    for (extra, code, info) in [
        (
            json!({"MsgBody": elem(json!({"Text": "t", "Txt": "t"}))}),
            90002,
            "MsgBody[0].MsgContent.Txt: unknown key, did you mean \"Text\"?",
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}, "MsgTyp": "x"}]}),
            90002,
            "MsgBody[0].MsgTyp: unknown key, did you mean \"MsgType\"?",
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMRelayElem", "MsgContent": {"Title": "t", "MsgList": [
                {"From_Account": "a", "MsgBody": elem(json!({"Text": "in", "X": 1}))}]}}]}),
            90002,
            "MsgBody[0].MsgContent.MsgList[0].MsgBody[0].MsgContent.X: unknown key",
        ),
        (
            json!({"OfflinePushInfo": {"PushFlag": 0, "Titel": "t"}}),
            90043,
            "OfflinePushInfo.Titel: unknown key, did you mean \"Title\"?",
        ),
        (
            json!({"OfflinePushInfo": {"ApnsInfo": {"Badge": 1}}}),
            90043,
            "OfflinePushInfo.ApnsInfo.Badge: unknown key",
        ),
    ] {
        let r = s.send_c2c("alice", "bob", "x", 1, extra);
        refused(&r, code, info);
    }
    // The same in a group message: the group code for everything.
    let r = s.send_group(
        &gid,
        "alice",
        "x",
        1,
        json!({"MsgBody": elem(json!({"Text": "t", "Txt": "t"}))}),
    );
    refused(
        &r,
        10004,
        "MsgBody[0].MsgContent.Txt: unknown key, did you mean \"Text\"?",
    );
    let r = s.send_group(
        &gid,
        "alice",
        "x",
        1,
        json!({"OfflinePushInfo": {"AndroidInfo": {"Sond": "s"}}}),
    );
    refused(
        &r,
        10004,
        "OfflinePushInfo.AndroidInfo.Sond: unknown key, did you mean \"Sound\"?",
    );
}

#[test]
fn mistyped_fields_keep_their_codes_and_name_their_path() {
    let s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g", "alice", &["bob"]);
    for (extra, code, info) in [
        (
            json!({"To_Account": 5}),
            90003,
            "To_Account: invalid type: integer `5`, expected a string",
        ),
        (json!({"To_Account": null}), 90003, "To_Account: missing"),
        (
            json!({"To_Account": ""}),
            90003,
            "To_Account: not a valid account id (1 to 32 bytes, no control characters)",
        ),
        (
            json!({"From_Account": 1}),
            90008,
            "From_Account: invalid type: integer `1`, expected a string",
        ),
        (
            json!({"MsgRandom": "1"}),
            90005,
            "MsgRandom: invalid type: string \"1\", expected u32",
        ),
        (
            json!({"MsgRandom": -1}),
            90005,
            "MsgRandom: invalid value: integer `-1`, expected u32",
        ),
        (
            json!({"MsgSeq": 1.5}),
            90004,
            "MsgSeq: invalid type: floating point `1.5`, expected u32",
        ),
        (
            json!({"MsgLifeTime": -1}),
            90044,
            "MsgLifeTime: must not be negative",
        ),
        (
            json!({"SyncOtherMachine": "x"}),
            90031,
            "SyncOtherMachine: invalid type: string \"x\", expected i64",
        ),
        (
            json!({"MsgBody": {"MsgType": "TIMTextElem"}}),
            90007,
            "MsgBody: invalid type: map, expected a sequence",
        ),
        (json!({"MsgBody": null}), 90002, "MsgBody: missing or empty"),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]}),
            90002,
            "MsgBody[0].MsgContent.Text: invalid type: integer `5`, expected a string",
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}),
            90002,
            "MsgBody[0].MsgContent.Text: missing",
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": ["t"]}]}),
            90002,
            "MsgBody[0].MsgContent: invalid type: sequence, expected struct TextElem",
        ),
        (
            json!({"OfflinePushInfo": {"ApnsInfo": {"BadgeMode": "1"}}}),
            90043,
            "OfflinePushInfo.ApnsInfo.BadgeMode: invalid type: string \"1\", expected i64",
        ),
        (
            json!({"SupportMessageExtension": 2}),
            90001,
            "SupportMessageExtension: must be 0 or 1, not 2",
        ),
        (
            json!({"SendMsgControl": ["NoUnread", 1]}),
            90001,
            "SendMsgControl[1]: invalid type: integer `1`, expected a string",
        ),
    ] {
        let r = s.call(
            "openim/sendmsg",
            merge(json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")}), extra.clone()),
        );
        refused(&r, code, info);
    }
    for (extra, code, info) in [
        (
            json!({"Random": "1"}),
            10004,
            "Random: invalid type: string \"1\", expected u32",
        ),
        (
            json!({"GroupId": "\u{1}"}),
            10015,
            "GroupId: not a valid group id",
        ),
        (
            json!({"GroupAtInfo": [{"GroupAtAllFlag": 2}]}),
            10004,
            "GroupAtInfo[0].GroupAtAllFlag: must be 0 or 1, not 2",
        ),
        (
            json!({"To_Account": ["bob", 3]}),
            10004,
            "To_Account[1]: invalid type: integer `3`, expected a string",
        ),
    ] {
        refused(&s.send_group(&gid, "alice", "x", 2, extra), code, info);
    }
    // A body that is not an object, or not JSON, gets the command's code.
    let url = s.url_with("openim/sendmsg", ADMIN, &s.sig(ADMIN));
    refused(
        &s.post(&url, "[1]"),
        90001,
        "request body is not a JSON object",
    );
    assert!(s.roam("alice", "bob").is_empty());
}

fn push() -> OfflinePushInfo {
    OfflinePushInfo {
        push_flag: Some(0),
        title: Some("t".into()),
        desc: Some("d".into()),
        ext: Some("{}".into()),
        android_info: Some(AndroidInfo {
            sound: Some("a".into()),
            oppo_channel_id: Some("o".into()),
            vivo_classification: Some(1),
            huawei_channel_id: Some("h".into()),
            xiaomi_channel_id: Some("x".into()),
            google_channel_id: Some("g".into()),
            huawei_importance: Some("NORMAL".into()),
            ext_as_huawei_intent_param: Some(1),
            huawei_category: Some("IM".into()),
        }),
        apns_info: Some(ApnsInfo {
            sound: Some("s".into()),
            badge_mode: Some(1),
            title: Some("at".into()),
            sub_title: Some("st".into()),
            image: Some("i".into()),
            mutable_content: Some(1),
        }),
    }
}

fn body() -> Vec<MsgElement> {
    vec![
        MsgElement::Text(TextElem { text: "t".into() }),
        MsgElement::Custom(CustomElem {
            data: "d".into(),
            desc: "de".into(),
            ext: "e".into(),
            sound: "s".into(),
        }),
    ]
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The wire crate's request types, which the library sends, with every field set: nothing in
/// them is refused, and the send options come back in the history.
#[test]
fn every_documented_field_is_accepted() {
    let s = TestServer::start();
    let send = SendMsgRequest {
        sync_other_machine: Some(1),
        from_account: Some("alice".into()),
        to_account: "bob".into(),
        msg_life_time: Some(60),
        msg_seq: Some(3),
        msg_random: 4,
        msg_body: body(),
        cloud_custom_data: Some("c".into()),
        support_message_extension: Some(1),
        offline_push_info: Some(push()),
        send_msg_control: Some(vec!["WithMuteNotifications".into()]),
        forbid_callback_control: Some(vec!["ForbidBeforeSendMsgCallback".into()]),
        is_need_read_receipt: Some(1),
    };
    assert_ok(&s.call("openim/sendmsg", to_json(&send)));
    let m = &s.roam("alice", "bob")[0];
    assert_eq!(m["OfflinePushInfo"], to_json(&push()));
    assert_eq!(m["MsgBody"], to_json(&body()));
    let batch = BatchSendMsgRequest {
        sync_other_machine: Some(2),
        from_account: Some("alice".into()),
        to_account: vec!["bob".into(), "carol".into()],
        msg_life_time: Some(60),
        msg_seq: Some(5),
        msg_random: 6,
        msg_body: body(),
        cloud_custom_data: Some("c".into()),
        support_message_extension: Some(0),
        offline_push_info: Some(push()),
        send_msg_control: Some(vec!["NoUnread".into()]),
        forbid_callback_control: Some(vec!["ForbidAfterSendMsgCallback".into()]),
        is_need_read_receipt: Some(0),
    };
    let r = s.call("openim/batchsendmsg", to_json(&batch));
    assert_ok(&r);
    assert!(r.get("ErrorList").is_none(), "{r}");

    let data = || {
        Some(vec![AppDefinedData {
            key: "k".into(),
            value: "v".into(),
        }])
    };
    let create = CreateGroupRequest {
        owner_account: Some("alice".into()),
        kind: "Community".into(),
        group_id: Some("g".into()),
        name: "n".into(),
        introduction: Some("i".into()),
        notification: Some("no".into()),
        face_url: Some("f".into()),
        max_member_count: Some(100),
        max_member_num: None,
        apply_join_option: Some("FreeAccess".into()),
        invite_join_option: Some("FreeAccess".into()),
        app_defined_data: data(),
        support_topic: Some(1),
        member_list: vec![NewGroupMember {
            member_account: "bob".into(),
            role: Some("Admin".into()),
            app_member_defined_data: data(),
        }],
    };
    assert_ok(&s.call("group_open_http_svc/create_group", to_json(&create)));
    let send = SendGroupMsgRequest {
        group_id: "g".into(),
        random: 1,
        msg_priority: Some("Lowest".into()),
        msg_body: body(),
        from_account: Some("bob".into()),
        offline_push_info: Some(push()),
        forbid_callback_control: Some(vec!["ForbidBeforeSendMsgCallback".into()]),
        online_only_flag: Some(0),
        send_msg_control: Some(vec!["NoLastMsg".into()]),
        cloud_custom_data: Some("c".into()),
        support_message_extension: Some(1),
        to_account: Some(vec!["alice".into()]),
        topic_id: Some("t".into()),
        group_at_info: Some(vec![v2im_wire::group::GroupAtInfo {
            group_at_all_flag: 0,
            group_at_account: Some("alice".into()),
        }]),
        need_read_receipt: Some(1),
    };
    assert_ok(&s.call("group_open_http_svc/send_group_msg", to_json(&send)));

    // Documented fields the server accepts and does not act on.
    let r = s.call(
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["g"], "ResponseFilter": {"GroupBaseInfoFilter": ["Name"],
            "MemberInfoFilter": ["Role"], "AppDefinedDataFilter_Group": ["k"],
            "AppDefinedDataFilter_GroupMember": ["k"]}}),
    );
    assert_ok(&r);
    assert_eq!(r["GroupInfo"][0]["MaxMemberNum"], 100);
    let r = s.call(
        "group_open_http_svc/group_msg_get_simple",
        json!({"GroupId": "g", "ReqMsgNumber": 5, "WithRecalledMsg": 1, "TopicId": "t"}),
    );
    assert_eq!(r["RspMsgList"].as_array().map(Vec::len), Some(1), "{r}");
    assert_ok(&s.call(
        "group_open_http_svc/add_group_member",
        json!({"GroupId": "g", "Silence": 1, "MemberList": [{"Member_Account": "carol"}]}),
    ));
    // The older name of the member limit still works.
    assert_ok(&s.call(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "n", "GroupId": "h", "MaxMemberNum": 7}),
    ));
    let r = s.call(
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["h"]}),
    );
    assert_eq!(r["GroupInfo"][0]["MaxMemberNum"], 7);
    // MsgTimeStamp, in Tencent's older sendmsg samples, is accepted and ignored.
    assert_ok(&s.send_c2c("alice", "bob", "old", 10, json!({"MsgTimeStamp": 1})));
    let r = s.call(
        "group_open_http_svc/group_msg_get_simple",
        json!({"GroupId": "g", "ReqMsgNumber": 5, "ReqMsgSeq": -1}),
    );
    refused(
        &r,
        10004,
        "ReqMsgSeq: invalid value: integer `-1`, expected u64",
    );
    // Keys in any order: an element's content before its type.
    let r = s.post(
        &s.url_with("openim/sendmsg", ADMIN, &s.sig(ADMIN)),
        r#"{"MsgBody":[{"MsgContent":{"Text":"late tag"},"MsgType":"TIMTextElem"}],"MsgRandom":9,"To_Account":"bob","From_Account":"alice"}"#,
    );
    assert_ok(&r);
}
