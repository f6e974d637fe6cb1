use super::{create, mark_sent};
use crate::api::send_params::{param_keys, prepare_send, SendParams, SendTarget};
use crate::codes::Result;
use crate::model::at::AT_ALL_TAG;
use crate::model::{Message, MessageStatus, OfflinePushInfo, Priority, SendOptionsPatch};
use crate::params::{Id, Params};
use crate::registry::Registry;
use serde_json::{json, Value};
use v2im_wire::codes::limits;

fn text(r: &Registry, t: &str) -> String {
    create(r, "createTextMessage", json!({ "text": t }))
}

/// `sendMessage`'s params read as `v2im_call` reads them.
fn parse(v: Value) -> Result<SendParams> {
    let text = v.to_string();
    let params = Params::parse(&text).expect("a JSON object");
    params.refuse_repeated_keys("")?;
    params.refuse_unknown_keys(param_keys())?;
    SendParams::parse(&params)
}

fn send(r: &Registry, v: Value) -> Result<Message> {
    prepare_send(r, &parse(v)?, "alice").map(|m| Message::clone(&m))
}

#[test]
fn parse_every_parameter() {
    let sp = parse(json!({
        "id": "v2im-1", "receiver": "bob", "groupID": "", "priority": "V2TIM_PRIORITY_HIGH",
        "onlineUserOnly": true, "offlinePushInfo": {"title": "T", "disablePush": true},
        "needReadReceipt": true, "isExcludedFromUnreadCount": true,
        "isExcludedFromLastMessage": false, "isSupportMessageExtension": true,
        "cloudCustomData": "c", "localCustomData": "l"
    }))
    .unwrap();
    assert_eq!(
        sp,
        SendParams {
            target: SendTarget {
                id: Id("v2im-1".into()),
                receiver: Some("bob".into()),
                group_id: None,
                local_custom_data: Some("l".into()),
            },
            options: SendOptionsPatch {
                priority: Some(Priority::High),
                online_user_only: Some(true),
                offline_push_info: Some(Some(Box::new(OfflinePushInfo {
                    title: "T".into(),
                    disable_push: true,
                    ..Default::default()
                }))),
                need_read_receipt: Some(true),
                is_excluded_from_unread_count: Some(true),
                is_excluded_from_last_message: Some(false),
                is_support_message_extension: Some(true),
                cloud_custom_data: Some(Some("c".into())),
            },
        }
    );
    let min = parse(json!({"id": "x", "priority": null, "cloudCustomData": ""})).unwrap();
    assert_eq!(
        min,
        SendParams {
            target: SendTarget {
                id: Id("x".into()),
                receiver: None,
                group_id: None,
                local_custom_data: None,
            },
            options: SendOptionsPatch::default(),
        }
    );
    assert_eq!(
        parse(json!({"id": "x", "priority": 3}))
            .unwrap()
            .options
            .priority,
        Some(Priority::Low)
    );
}

#[test]
fn parse_errors_name_the_parameter() {
    for (bad, name) in [
        (json!({}), "id"),
        (json!({"id": ""}), "id"),
        (json!({"id": 5}), "id"),
        (json!({"id": "x", "receiver": 1}), "receiver"),
        (json!({"id": "x", "groupID": []}), "groupID"),
        (json!({"id": "x", "priority": 9}), "priority"),
        (json!({"id": "x", "priority": "URGENT"}), "priority"),
        (
            json!({"id": "x", "onlineUserOnly": "yes"}),
            "onlineUserOnly",
        ),
        (json!({"id": "x", "onlineUserOnly": 1}), "onlineUserOnly"),
        (
            json!({"id": "x", "offlinePushInfo": "T"}),
            "offlinePushInfo",
        ),
        (
            json!({"id": "x", "offlinePushInfo": {"desc": 1}}),
            "offlinePushInfo.desc",
        ),
        (
            json!({"id": "x", "offlinePushInfo": {"titel": "T"}}),
            "offlinePushInfo.titel\" (did you mean \"title\"?)",
        ),
        (json!({"id": "x", "needReadReceipt": 2}), "needReadReceipt"),
        (
            json!({"id": "x", "isExcludedFromUnreadCount": {}}),
            "isExcludedFromUnreadCount",
        ),
        (
            json!({"id": "x", "isExcludedFromLastMessage": "1"}),
            "isExcludedFromLastMessage",
        ),
        (
            json!({"id": "x", "isSupportMessageExtension": []}),
            "isSupportMessageExtension",
        ),
        (json!({"id": "x", "cloudCustomData": 1}), "cloudCustomData"),
        (
            json!({"id": "x", "localCustomData": false}),
            "localCustomData",
        ),
        (
            json!({"id": "x", "onlineUserONly": true}),
            "unknown key \"onlineUserONly\" (did you mean \"onlineUserOnly\"?)",
        ),
        (
            json!({"id": "x", "receiverID": "bob"}),
            "unknown key \"receiverID\"",
        ),
    ] {
        let e = parse(bad.clone()).unwrap_err();
        assert_eq!(e.code, 6017, "{bad}");
        assert!(e.desc.contains(name), "{bad}: {} vs {name}", e.desc);
    }
}

#[test]
fn c2c_send_applies_every_option() {
    let r = Registry::new();
    let id = text(&r, "hi");
    let random = r.get(&id).unwrap().random;
    let m = send(
        &r,
        json!({
            "id": id, "receiver": "bob", "groupID": "", "priority": 1, "onlineUserOnly": true,
            "offlinePushInfo": {"desc": "D"}, "needReadReceipt": true,
            "isExcludedFromUnreadCount": true, "isExcludedFromLastMessage": true,
            "isSupportMessageExtension": true, "cloudCustomData": "cloud",
            "localCustomData": "LOCAL-SECRET"
        }),
    )
    .unwrap();
    assert_eq!(m.user_id.as_deref(), Some("bob"));
    assert_eq!(m.group_id, None);
    assert_eq!(m.status, MessageStatus::Sending);
    assert_eq!(m.send_count, 1);
    assert_eq!(m.random, random, "the create-time random is kept");
    assert_ne!(m.wire_seq, 0);
    assert!(
        m.options.online_user_only
            && m.options.need_read_receipt
            && m.options.is_support_message_extension
    );
    assert!(m.options.is_excluded_from_unread_count && m.options.is_excluded_from_last_message);
    assert_eq!(m.options.priority, Priority::High);
    assert_eq!(m.local_custom_data.as_deref(), Some("LOCAL-SECRET"));
    // The registry holds the same state.
    assert_eq!(r.get(&id).unwrap(), m);
    let req = serde_json::to_value(m.to_sendmsg_request()).unwrap();
    assert_eq!(req["To_Account"], "bob");
    assert_eq!(req["From_Account"], "alice");
    assert_eq!(req["MsgLifeTime"], 0);
    assert_eq!(req["SendMsgControl"], json!(["NoUnread", "NoLastMsg"]));
    assert_eq!(req["IsNeedReadReceipt"], 1);
    assert_eq!(req["SupportMessageExtension"], 1);
    assert_eq!(req["CloudCustomData"], "cloud");
    assert_eq!(req["OfflinePushInfo"]["Desc"], "D");
    assert_eq!(req["MsgRandom"], random);
    // localCustomData never leaves the process.
    assert!(!req.to_string().contains("LOCAL-SECRET"));
    assert!(!serde_json::to_string(&m.to_group_request())
        .unwrap()
        .contains("LOCAL-SECRET"));
    let j = m.to_json();
    assert_eq!(j["localCustomData"], "LOCAL-SECRET");
    assert_eq!(j["isOnlineOnly"], true);
}

#[test]
fn group_send_and_targeted_by_receiver() {
    let r = Registry::new();
    let id = create(
        &r,
        "createTextAtMessage",
        json!({"text": "hi", "atUserList": [AT_ALL_TAG, "bob"]}),
    );
    let m = send(&r, json!({"id": id, "groupID": "g1", "priority": "LOW"})).unwrap();
    assert_eq!(m.group_id.as_deref(), Some("g1"));
    assert_eq!(m.user_id, None);
    let req = serde_json::to_value(m.to_group_request()).unwrap();
    assert_eq!(req["GroupId"], "g1");
    assert_eq!(req["MsgPriority"], "Low");
    assert_eq!(
        req["GroupAtInfo"],
        json!([{"GroupAtAllFlag": 1}, {"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}])
    );
    // Both receiver and groupID: a targeted message to that member.
    let id = text(&r, "psst");
    let m = send(&r, json!({"id": id, "groupID": "g1", "receiver": "carol"})).unwrap();
    assert_eq!(m.target_group_member_list, vec!["carol".to_owned()]);
    assert_eq!(m.group_id.as_deref(), Some("g1"));
    let req = serde_json::to_value(m.to_group_request()).unwrap();
    assert_eq!(req["To_Account"], json!(["carol"]));
    // A targeted message made by createTargetedGroupMessage.
    let src = text(&r, "t");
    let tid = create(
        &r,
        "createTargetedGroupMessage",
        json!({"id": src, "receiverList": ["bob", "dave"]}),
    );
    let m = send(&r, json!({"id": tid, "groupID": "g1"})).unwrap();
    assert_eq!(
        serde_json::to_value(m.to_group_request()).unwrap()["To_Account"],
        json!(["bob", "dave"])
    );
}

#[test]
fn retry_may_change_a_receiver_target() {
    let r = Registry::new();
    let id = text(&r, "x");
    let m = send(&r, json!({"id": id, "groupID": "g", "receiver": "bob"})).unwrap();
    assert_eq!(m.target_group_member_list, vec!["bob".to_owned()]);
    r.update(&id, |m| m.status = MessageStatus::SendFail);
    let m = send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
    assert!(m.target_group_member_list.is_empty());
    assert_eq!(m.group_id, None);
    r.update(&id, |m| m.status = MessageStatus::SendFail);
    let m = send(&r, json!({"id": id, "groupID": "g", "receiver": "carol"})).unwrap();
    assert_eq!(m.target_group_member_list, vec!["carol".to_owned()]);
    r.update(&id, |m| m.status = MessageStatus::SendFail);
    let m = send(&r, json!({"id": id, "groupID": "g"})).unwrap();
    assert!(m.target_group_member_list.is_empty(), "a plain group send");
}

#[test]
fn target_errors() {
    let r = Registry::new();
    let id = text(&r, "x");
    let e = send(&r, json!({"id": id})).unwrap_err();
    assert!(e.desc.contains("receiver") && e.desc.contains("groupID"));
    let e = send(&r, json!({"id": id, "receiver": "", "groupID": ""})).unwrap_err();
    assert_eq!(e.code, 6017);
    let e = send(&r, json!({"id": "v2im-0", "receiver": "bob"})).unwrap_err();
    assert!(e.desc.contains("v2im-0"));
    // @ and targeted lists need a group.
    let at = create(
        &r,
        "createTextAtMessage",
        json!({"text": "x", "atUserList": ["bob"]}),
    );
    let e = send(&r, json!({"id": at, "receiver": "bob"})).unwrap_err();
    assert!(e.desc.contains("groupID"), "{}", e.desc);
    let tid = create(
        &r,
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": ["bob"]}),
    );
    let e = send(&r, json!({"id": tid, "receiver": "bob"})).unwrap_err();
    assert!(e.desc.contains("groupID"), "{}", e.desc);
    // Receiver outside the message's own target list.
    let e = send(&r, json!({"id": tid, "receiver": "zed", "groupID": "g"})).unwrap_err();
    assert!(e.desc.contains("zed"), "{}", e.desc);
    // @ combined with a receiver-targeted send.
    let e = send(&r, json!({"id": at, "receiver": "bob", "groupID": "g"})).unwrap_err();
    assert!(e.desc.contains("cannot @"), "{}", e.desc);
    // Nothing was changed by the refused sends.
    let m = r.get(&at).unwrap();
    assert_eq!((m.send_count, m.user_id, m.group_id), (0, None, None));
}

#[test]
fn at_and_targeted_limits() {
    let r = Registry::new();
    let users = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    let ok = create(
        &r,
        "createTextAtMessage",
        json!({"text": "x", "atUserList": users(30)}),
    );
    send(&r, json!({"id": ok, "groupID": "g"})).unwrap();
    let over = create(
        &r,
        "createTextAtMessage",
        json!({"text": "x", "atUserList": users(31)}),
    );
    let e = send(&r, json!({"id": over, "groupID": "g"})).unwrap_err();
    assert_eq!(e.code, 6017);
    assert!(e.desc.contains("at most 30"), "{}", e.desc);
    // More than 50 targets can only be set directly; prepare_send still refuses them.
    let id = text(&r, "x");
    r.update(&id, |m| m.target_group_member_list = users(51));
    let e = send(&r, json!({"id": id, "groupID": "g"})).unwrap_err();
    assert!(e.desc.contains("at most 50"), "{}", e.desc);
    r.update(&id, |m| {
        m.target_group_member_list = users(2);
        m.group_at_user_list = users(1);
    });
    let e = send(&r, json!({"id": id, "groupID": "g"})).unwrap_err();
    assert!(e.desc.contains("cannot @"), "{}", e.desc);
}

#[test]
fn body_limit_is_8001() {
    let r = Registry::new();
    let huge = text(&r, &"x".repeat(10 * 1024 * 1024));
    let e = send(&r, json!({"id": huge, "receiver": "bob"})).unwrap_err();
    assert_eq!(e.code, 8001);
    assert_eq!(r.get(&huge).unwrap().send_count, 0);
    // Exactly at the limit passes, one byte more fails (measured on the MsgBody JSON).
    let overhead = r
        .read(&text(&r, ""), Message::body_bytes)
        .expect("just created");
    let fits = text(&r, &"y".repeat(limits::MAX_BODY_BYTES - overhead));
    assert_eq!(
        r.read(&fits, Message::body_bytes),
        Some(limits::MAX_BODY_BYTES)
    );
    send(&r, json!({"id": fits, "receiver": "bob"})).unwrap();
    let over = text(&r, &"y".repeat(limits::MAX_BODY_BYTES - overhead + 1));
    assert_eq!(
        send(&r, json!({"id": over, "receiver": "bob"}))
            .unwrap_err()
            .code,
        8001
    );
    // cloudCustomData has the same limit of its own.
    let id = text(&r, "small");
    let big = "c".repeat(limits::MAX_BODY_BYTES + 1);
    let e = send(
        &r,
        json!({"id": id, "receiver": "bob", "cloudCustomData": big}),
    )
    .unwrap_err();
    assert_eq!(e.code, 8001);
    assert!(e.desc.contains("cloudCustomData"), "{}", e.desc);
    assert_eq!(r.get(&id).unwrap().options.cloud_custom_data, None);
    // Multi-byte text counts in UTF-8 bytes.
    let cjk = text(&r, &"汉".repeat(4200)); // 12,600 bytes
    assert_eq!(
        send(&r, json!({"id": cjk, "receiver": "bob"}))
            .unwrap_err()
            .code,
        8001
    );
}

#[test]
fn send_once_retry_after_failure() {
    let r = Registry::new();
    let id = text(&r, "x");
    let first = send(
        &r,
        json!({"id": id, "receiver": "bob", "cloudCustomData": "c"}),
    )
    .unwrap();
    // In flight: refused.
    let e = send(&r, json!({"id": id, "receiver": "bob"})).unwrap_err();
    assert!(e.desc.contains("createForwardMessage"), "{}", e.desc);
    // Failed: may be sent again, same random and MsgSeq, earlier options kept.
    r.update(&id, |m| m.status = MessageStatus::SendFail);
    let again = send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
    assert_eq!(again.random, first.random);
    assert_eq!(again.wire_seq, first.wire_seq);
    assert_eq!(again.options.cloud_custom_data.as_deref(), Some("c"));
    assert_eq!(again.send_count, 2);
    assert_eq!(again.id, id);
    // Sent: refused, also by msgID.
    mark_sent(&r, &id);
    let mid = r.get(&id).unwrap().msg_id.unwrap();
    for key in [&id, &mid] {
        let e = send(&r, json!({"id": key, "receiver": "bob"})).unwrap_err();
        assert!(e.desc.contains("already been sent"), "{}", e.desc);
    }
    r.update(&id, |m| m.status = MessageStatus::LocalRevoked);
    assert!(send(&r, json!({"id": id, "receiver": "bob"})).is_err());
}

#[test]
fn forward_messages_may_be_sent_again_as_copies() {
    let r = Registry::new();
    let id = text(&r, "x");
    send(&r, json!({"id": id, "receiver": "bob"})).unwrap();
    mark_sent(&r, &id);
    let fwd = create(&r, "createForwardMessage", json!({ "msgID": id }));
    let a = send(&r, json!({"id": fwd, "receiver": "carol"})).unwrap();
    assert_eq!(a.id, fwd, "the first send uses the message itself");
    // Second send while the first is in flight: a new message with a new id and random.
    let b = send(&r, json!({"id": fwd, "groupID": "g"})).unwrap();
    assert_ne!(b.id, fwd);
    assert_ne!(b.random, a.random);
    assert!(b.is_forward_message);
    assert_eq!(b.elems, a.elems);
    assert_eq!(b.group_id.as_deref(), Some("g"));
    assert_eq!(r.get(&b.id).unwrap(), b);
    // The original is untouched by the copy's send.
    assert_eq!(r.get(&fwd).unwrap().user_id.as_deref(), Some("carol"));
    mark_sent(&r, &fwd);
    let c = send(&r, json!({"id": fwd, "receiver": "dave"})).unwrap();
    assert_ne!(c.id, fwd);
    assert_ne!(c.id, b.id);
}

#[test]
fn concurrent_sends_of_one_message_accept_exactly_one() {
    let r = std::sync::Arc::new(Registry::new());
    for _ in 0..20 {
        let id = text(&r, "race");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (r, id) = (r.clone(), id.clone());
                std::thread::spawn(move || send(&r, json!({"id": id, "receiver": "bob"})).is_ok())
            })
            .collect();
        let ok = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(ok, 1);
        assert_eq!(r.get(&id).unwrap().send_count, 1);
    }
}

#[test]
fn hostile_params_never_panic() {
    let r = Registry::new();
    let id = text(&r, "x");
    let mut deep = json!({});
    for _ in 0..200 {
        deep = json!({ "a": deep });
    }
    let keys = [
        "id",
        "receiver",
        "groupID",
        "priority",
        "onlineUserOnly",
        "offlinePushInfo",
        "needReadReceipt",
        "isExcludedFromUnreadCount",
        "isExcludedFromLastMessage",
        "isSupportMessageExtension",
        "cloudCustomData",
        "localCustomData",
    ];
    let values = [
        deep,
        json!(null),
        json!(-1),
        json!(u64::MAX),
        json!(f64::MAX),
        json!("🌍\u{0}"),
        json!([1, [2]]),
    ];
    for k in keys {
        for v in &values {
            let mut o = json!({"id": id, "receiver": "bob"});
            o[k] = v.clone();
            let _ = send(&r, o);
            r.update(&id, |m| {
                m.status = MessageStatus::SendFail;
            });
        }
    }
    let unicode = send(
        &r,
        json!({"id": id, "receiver": "ボブ", "cloudCustomData": "☃"}),
    )
    .unwrap();
    assert_eq!(unicode.user_id.as_deref(), Some("ボブ"));
}
