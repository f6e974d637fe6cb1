//! Model tests: the V2TIM JSON of every kind of message, REST mapping of every option, history
//! round trips.

use super::*;
use crate::model::at::AT_ALL_TAG;
use serde_json::{json, Value};
use v2im_wire::c2c::{RoamMsg, SendMsgResponse};
use v2im_wire::group::{GroupMsg, SendGroupMsgResponse};
use v2im_wire::{Envelope, MsgElement};

/// Every key of a V2TimMessage in a result, from the list the Rust and Python tests share.
pub(crate) fn message_keys() -> std::collections::BTreeSet<String> {
    let list: Value = serde_json::from_str(include_str!("../../tests/v2tim_message_keys.json"))
        .expect("tests/v2tim_message_keys.json");
    ["template", "added"]
        .iter()
        .flat_map(|k| list[*k].as_array().expect("a list of keys"))
        .map(|k| k.as_str().expect("a key").to_owned())
        .collect()
}

/// Asserts that `j` is a V2TimMessage with exactly the listed keys.
pub(crate) fn assert_template(j: &Value) -> &serde_json::Map<String, Value> {
    let o = j.as_object().expect("a V2TimMessage is an object");
    let keys: std::collections::BTreeSet<String> = o.keys().cloned().collect();
    assert_eq!(keys, message_keys(), "keys of {j}");
    o
}

fn msg(elems: Vec<Elem>) -> Message {
    Message::new("v2im-test".into(), elems, "alice")
}

fn text(t: &str) -> Elem {
    Elem::Text { text: t.into() }
}

fn all_elems() -> Vec<Elem> {
    vec![
        text("hi"),
        Elem::Custom {
            data: "d".into(),
            desc: "".into(),
            extension: "".into(),
        },
        Elem::Location {
            desc: "x".into(),
            longitude: 1.0,
            latitude: 2.0,
        },
        Elem::Face {
            index: 1,
            data: "f".into(),
        },
    ]
}

fn sent_c2c(elems: Vec<Elem>, seq: u32, time: i64) -> Message {
    let mut m = msg(elems);
    m.user_id = Some("bob".into());
    m.wire_seq = seq;
    let key = msg_id::group(u64::from(seq), m.random, time);
    m.mark_sent_c2c(&SendMsgResponse {
        envelope: Envelope::ok(),
        msg_time: time,
        msg_key: key,
    });
    m
}

#[test]
fn every_element_kind_has_the_whole_template() {
    for (e, key, t) in [
        (text("hi"), "textElem", 1),
        (all_elems()[1].clone(), "customElem", 2),
        (all_elems()[2].clone(), "locationElem", 7),
        (all_elems()[3].clone(), "faceElem", 8),
    ] {
        let j = msg(vec![e]).to_json();
        let o = assert_template(&j);
        assert_eq!(o["elemType"], t);
        assert!(o[key].is_object(), "{key}");
        for other in [
            "textElem",
            "customElem",
            "locationElem",
            "faceElem",
            "mergerElem",
        ] {
            if other != key {
                assert!(o[other].is_null(), "{other} should be null");
            }
        }
        for null in [
            "imageElem",
            "soundElem",
            "videoElem",
            "fileElem",
            "groupTipsElem",
            "faceUrl",
            "nickName",
            "friendRemark",
            "nameCard",
            "messageFromWeb",
            "msgID",
            "seq",
            "groupID",
            "userID",
            "cloudCustomData",
            "localCustomData",
            "offlinePushInfo",
        ] {
            assert!(
                o[null].is_null(),
                "{null} should be null for a created message"
            );
        }
        assert_eq!(o["status"], 1);
        assert_eq!(o["progress"], 100);
        assert_eq!(o["sender"], "alice");
        assert_eq!(o["isSelf"], true);
        assert_eq!(o["priority"], 0);
        assert_eq!(o["isForwardMessage"], false);
        assert_eq!(o["targetGroupMemberList"], json!([]));
        assert_eq!(o["groupAtUserList"], json!([]));
        assert_eq!(o["elemList"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn multi_element_message_shows_first_of_each_kind() {
    let mut elems = all_elems();
    elems.push(text("second"));
    let j = msg(elems).to_json();
    let o = assert_template(&j);
    assert_eq!(o["elemType"], 1);
    assert_eq!(o["textElem"]["text"], "hi");
    assert_eq!(o["faceElem"]["index"], 1);
    assert_eq!(o["elemList"].as_array().unwrap().len(), 5);
    assert_eq!(o["elemList"][4]["text"], "second");
}

/// A merger element (title "T", one abstract line) of `messages`.
fn merger_of(messages: Vec<Message>) -> Elem {
    Elem::Merger(Box::new(MergerElem {
        title: "T".into(),
        abstract_list: vec!["a: a".into()],
        compatible_text: "upgrade".into(),
        is_layers_over_limit: false,
        messages,
    }))
}

#[test]
fn merger_has_the_whole_template_at_every_level() {
    let merger = merger_of(vec![sent_c2c(vec![text("a")], 5, 100)]);
    let mut m = msg(vec![merger]);
    m.is_forward_message = true;
    let j = m.to_json();
    let o = assert_template(&j);
    assert_eq!(o["elemType"], 10);
    let me = &o["mergerElem"];
    assert_eq!(me["title"], "T");
    assert_eq!(me["abstractList"], json!(["a: a"]));
    assert_eq!(me["compatibleText"], "upgrade");
    assert_eq!(me["isLayersOverLimit"], false);
    let inner = &me["messageList"][0];
    assert_template(inner);
    assert_eq!(inner["textElem"]["text"], "a");
    assert_eq!(inner["status"], 2);
    assert_eq!(m.merger_layers(), 1);
}

/// A result writes its message straight into its buffer; every other output serialises it.
/// Both give the same text.
#[test]
fn a_message_written_into_a_result_is_its_serialised_text() {
    let inner = sent_c2c(vec![text("a \"quoted\"\n")], 5, 100);
    let merger = merger_of(vec![inner.clone()]);
    for m in [msg(all_elems()), inner, msg(vec![merger])] {
        let mut out = b"[".to_vec();
        m.write_json(&mut out);
        out.push(b']');
        let serialised = serde_json::to_string(&[&m]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), serialised);
        assert_template(&serde_json::from_str::<Value>(&serialised).unwrap()[0]);
    }
}

#[test]
fn merger_round_trips_through_relay() {
    let inner = sent_c2c(
        vec![
            text("a"),
            Elem::Face {
                index: 2,
                data: "x".into(),
            },
        ],
        5,
        100,
    );
    let inner_id = inner.msg_id.clone().unwrap();
    let merger = Elem::Merger(Box::new(MergerElem {
        title: "T".into(),
        abstract_list: vec!["x".into()],
        compatible_text: "c".into(),
        is_layers_over_limit: false,
        messages: vec![inner],
    }));
    let w = merger.to_wire();
    let s = serde_json::to_value(&w).unwrap();
    assert_eq!(s["MsgType"], "TIMRelayElem");
    assert_eq!(s["MsgContent"]["MsgNum"], 1);
    assert_eq!(s["MsgContent"]["MsgList"][0]["From_Account"], "alice");
    assert_eq!(s["MsgContent"]["MsgList"][0]["To_Account"], "bob");
    assert_eq!(s["MsgContent"]["MsgList"][0]["MsgSeq"], 5);
    let back: MsgElement = serde_json::from_value(s).unwrap();
    let Elem::Merger(g) = Elem::from_wire_for(&back, "alice") else {
        panic!("not a merger")
    };
    assert_eq!(g.messages[0].msg_id.as_deref(), Some(inner_id.as_str()));
    assert_eq!(g.messages[0].elems.len(), 2);
    assert!(g.messages[0].is_self);
    assert_eq!(g.messages[0].user_id.as_deref(), Some("bob"));
}

#[test]
fn c2c_request_maps_every_option() {
    let mut m = msg(vec![text("hi")]);
    m.user_id = Some("bob".into());
    m.wire_seq = 77;
    m.options.online_user_only = true;
    m.options.is_excluded_from_unread_count = true;
    m.options.is_excluded_from_last_message = true;
    m.options.need_read_receipt = true;
    m.options.is_support_message_extension = true;
    m.options.cloud_custom_data = Some("cloud".into());
    m.local_custom_data = Some("LOCAL-SECRET".into());
    m.options.offline_push_info = Some(Box::new(OfflinePushInfo {
        title: "T".into(),
        desc: "D".into(),
        disable_push: true,
        ..Default::default()
    }));
    let r = serde_json::to_value(m.to_sendmsg_request()).unwrap();
    assert_eq!(
        r,
        json!({
            "SyncOtherMachine": 1,
            "From_Account": "alice",
            "To_Account": "bob",
            "MsgLifeTime": 0,
            "MsgSeq": 77,
            "MsgRandom": m.random,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}],
            "CloudCustomData": "cloud",
            "SupportMessageExtension": 1,
            "OfflinePushInfo": {"PushFlag": 1, "Title": "T", "Desc": "D"},
            "SendMsgControl": ["NoUnread", "NoLastMsg"],
            "IsNeedReadReceipt": 1
        })
    );
    assert!(!r.to_string().contains("LOCAL-SECRET"));
}

#[test]
fn plain_requests_carry_no_options() {
    let mut m = msg(vec![text("hi")]);
    m.user_id = Some("bob".into());
    m.group_id = Some("g".into());
    m.local_custom_data = Some("LOCAL-SECRET".into());
    let c = serde_json::to_value(m.to_sendmsg_request()).unwrap();
    let c = c.as_object().unwrap();
    for k in [
        "MsgLifeTime",
        "SendMsgControl",
        "IsNeedReadReceipt",
        "SupportMessageExtension",
        "CloudCustomData",
        "OfflinePushInfo",
    ] {
        assert!(!c.contains_key(k), "{k}");
    }
    let g = serde_json::to_value(m.to_group_request()).unwrap();
    let g = g.as_object().unwrap();
    for k in [
        "MsgPriority",
        "OnlineOnlyFlag",
        "SendMsgControl",
        "NeedReadReceipt",
        "GroupAtInfo",
        "To_Account",
        "CloudCustomData",
    ] {
        assert!(!g.contains_key(k), "{k}");
    }
    assert!(!serde_json::to_string(&c).unwrap().contains("LOCAL-SECRET"));
    assert!(!serde_json::to_string(&g).unwrap().contains("LOCAL-SECRET"));
}

#[test]
fn group_request_maps_every_option() {
    let mut m = msg(vec![text("hi @all @bob")]);
    m.group_id = Some("g1".into());
    m.options.priority = Priority::High;
    m.options.need_read_receipt = true;
    m.options.is_support_message_extension = true;
    m.options.is_excluded_from_unread_count = true;
    m.options.cloud_custom_data = Some("cloud".into());
    m.local_custom_data = Some("LOCAL-SECRET".into());
    m.group_at_user_list = vec![AT_ALL_TAG.into(), "bob".into()];
    m.options.offline_push_info = Some(Box::new(OfflinePushInfo {
        ios_sound: "s".into(),
        ..Default::default()
    }));
    let r = serde_json::to_value(m.to_group_request()).unwrap();
    assert_eq!(
        r,
        json!({
            "GroupId": "g1",
            "Random": m.random,
            "MsgPriority": "High",
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi @all @bob"}}],
            "From_Account": "alice",
            "OfflinePushInfo": {"PushFlag": 0, "ApnsInfo": {"Sound": "s"}},
            "SendMsgControl": ["NoUnread"],
            "CloudCustomData": "cloud",
            "SupportMessageExtension": 1,
            "GroupAtInfo": [{"GroupAtAllFlag": 1}, {"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}],
            "NeedReadReceipt": 1
        })
    );
    // Online only: OnlineOnlyFlag, and no SendMsgControl (Tencent refuses the combination).
    m.options.online_user_only = true;
    m.group_at_user_list.clear();
    m.target_group_member_list = vec!["bob".into(), "carol".into()];
    m.options.priority = Priority::Low;
    let r = serde_json::to_value(m.to_group_request()).unwrap();
    assert_eq!(r["OnlineOnlyFlag"], 1);
    assert!(r.get("SendMsgControl").is_none());
    assert_eq!(r["To_Account"], json!(["bob", "carol"]));
    assert_eq!(r["MsgPriority"], "Low");
    assert!(!r.to_string().contains("LOCAL-SECRET"));
}

#[test]
fn c2c_history_round_trip_has_the_same_msg_id() {
    let mut m = msg(vec![text("hi")]);
    m.user_id = Some("bob".into());
    m.wire_seq = 42;
    m.options.cloud_custom_data = Some("c".into());
    m.options.need_read_receipt = true;
    m.options.is_excluded_from_last_message = true;
    let req = m.to_sendmsg_request();
    let time = 1_700_000_000;
    let key = msg_id::group(u64::from(req.msg_seq.unwrap()), req.msg_random, time);
    m.mark_sent_c2c(&SendMsgResponse {
        envelope: Envelope::ok(),
        msg_time: time,
        msg_key: key.clone(),
    });
    assert_eq!(m.status, MessageStatus::SendSucc);
    assert_eq!(m.seq.as_deref(), Some("42"));
    assert_eq!(m.timestamp, time);
    let item = RoamMsg {
        from_account: "alice".into(),
        to_account: "bob".into(),
        msg_seq: 42,
        msg_random: req.msg_random,
        msg_time_stamp: time,
        msg_flag_bits: 0,
        is_peer_read: 1,
        msg_key: key,
        msg_body: req.msg_body.clone(),
        cloud_custom_data: "c".into(),
        support_message_extension: None,
        is_need_read_receipt: Some(1),
        offline_push_info: None,
        send_msg_control: Some(vec!["NoLastMsg".into()]),
    };
    let mine = Message::from_roam(&item, "alice");
    assert_eq!(mine.msg_id, m.msg_id);
    assert_eq!(mine.elems, m.elems);
    assert!(mine.is_self && mine.is_peer_read && mine.options.need_read_receipt);
    assert!(
        mine.options.is_excluded_from_last_message && !mine.options.is_excluded_from_unread_count
    );
    assert_eq!(mine.user_id.as_deref(), Some("bob"));
    assert_eq!(mine.seq, m.seq);
    assert_eq!(mine.random, m.random);
    assert_eq!(mine.options.cloud_custom_data.as_deref(), Some("c"));
    assert_eq!(mine.status, MessageStatus::SendSucc);
    assert_template(&mine.to_json());
    let theirs = Message::from_roam(&item, "bob");
    assert!(!theirs.is_self);
    assert_eq!(theirs.user_id.as_deref(), Some("alice"));
    let recalled = Message::from_roam(
        &RoamMsg {
            msg_flag_bits: 8,
            ..item
        },
        "bob",
    );
    assert_eq!(recalled.status, MessageStatus::LocalRevoked);
}

#[test]
fn group_history_round_trip_has_the_same_msg_id() {
    let mut m = msg(vec![text("hi")]);
    m.group_id = Some("g".into());
    m.options.priority = Priority::High;
    m.group_at_user_list = vec![AT_ALL_TAG.into(), "bob".into()];
    m.options.offline_push_info = Some(Box::new(OfflinePushInfo {
        title: "t".into(),
        ignore_ios_badge: true,
        ..Default::default()
    }));
    let req = m.to_group_request();
    m.mark_sent_group(&SendGroupMsgResponse {
        envelope: Envelope::ok(),
        msg_time: 1_700_000_001,
        msg_seq: 9,
        msg_drop_reason: String::new(),
    });
    assert_eq!(m.seq.as_deref(), Some("9"));
    let item = GroupMsg {
        from_account: "alice".into(),
        is_place_msg: 0,
        msg_body: req.msg_body.clone(),
        msg_priority: 1,
        msg_random: req.random,
        msg_seq: 9,
        msg_time_stamp: 1_700_000_001,
        is_system_msg: 0,
        cloud_custom_data: String::new(),
        support_message_extension: Some(1),
        need_read_receipt: None,
        offline_push_info: req.offline_push_info.clone(),
        send_msg_control: None,
        group_at_info: req.group_at_info.clone(),
        to_account: None,
    };
    let back = Message::from_group_msg(&item, "g", "alice");
    assert_eq!(back.msg_id, m.msg_id);
    assert_eq!(back.group_at_user_list, m.group_at_user_list);
    assert_eq!(back.options.priority, Priority::High);
    assert_eq!(back.options.offline_push_info, m.options.offline_push_info);
    assert!(back.options.is_support_message_extension && back.is_self);
    assert_eq!(back.group_id.as_deref(), Some("g"));
    assert_eq!(back.user_id, None);
    let j = back.to_json();
    assert_template(&j);
    assert_eq!(
        j["groupAtUserList"],
        json!(["__kImSDK_MesssageAtALL__", "bob"])
    );
    assert_eq!(j["seq"], "9");
    let other = Message::from_group_msg(
        &GroupMsg {
            to_account: Some(vec!["carol".into()]),
            is_place_msg: 2,
            ..item
        },
        "g",
        "carol",
    );
    assert!(!other.is_self);
    assert_eq!(other.target_group_member_list, vec!["carol".to_owned()]);
    assert_eq!(other.status, MessageStatus::LocalRevoked);
}

#[test]
fn body_bytes_is_the_rest_json_length() {
    let m = msg(vec![text("héllo")]);
    let exact = serde_json::to_string(&m.to_sendmsg_request().msg_body)
        .unwrap()
        .len();
    assert_eq!(m.body_bytes(), exact);
    // Escapes count as Tencent sees them on the wire.
    let q = msg(vec![text("\"\n")]);
    assert_eq!(q.body_bytes(), exact - "héllo".len() + 4);
    let big = msg(vec![text(&"x".repeat(10 * 1024 * 1024))]);
    assert!(big.body_bytes() > 10 * 1024 * 1024);
}

#[test]
fn json_is_valid_for_hostile_strings() {
    let weird = "\u{0}\u{1f}\"\\\u{2028}🌍\u{fffd}";
    let mut m = msg(vec![text(weird)]);
    m.options.cloud_custom_data = Some(weird.into());
    let s = serde_json::to_string(&m).unwrap();
    let back: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(back["textElem"]["text"], weird);
    assert_eq!(back, m.to_json());
}

/// Queued messages do not each hold a copy of their sender's name (bench row 4a).
#[test]
fn a_threads_messages_share_their_senders_name() {
    let a = Message::new("v2im-1".into(), vec![], "alice");
    let b = Message::new("v2im-2".into(), vec![], "alice");
    assert!(std::sync::Arc::ptr_eq(&a.sender, &b.sender));
    let c = Message::new("v2im-3".into(), vec![], "bob");
    assert_eq!((&*a.sender, &*c.sender), ("alice", "bob"));
}
