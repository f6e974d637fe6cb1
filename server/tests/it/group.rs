//! Groups: create / add member / info / destroy, send_group_msg with every option, history,
//! targeted and @ messages, unread counts, rate control by priority.

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn group_lifecycle_and_errors() {
    let s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob", "carol"]);
    // Generated id for every type.
    for kind in [
        "Private",
        "Work",
        "Public",
        "ChatRoom",
        "Meeting",
        "AVChatRoom",
        "Community",
    ] {
        let r = s.call(
            "group_open_http_svc/create_group",
            json!({"Type": kind, "Name": format!("{kind} group")}),
        );
        assert_ok(&r);
        let id = r["GroupId"].as_str().unwrap();
        assert!(id.starts_with("@TGS#") && id.len() == 15, "{id}");
    }
    let gid = s.create_group("team", "alice", &["bob"]);
    assert_eq!(gid, "team");
    let e = |body: Value| s.call("group_open_http_svc/create_group", body);
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "GroupId": "team"})),
        10021,
    );
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "GroupId": "@TGS#mine"})),
        10015,
    );
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "GroupId": "x".repeat(49)})),
        10015,
    );
    assert_code(&e(json!({"Type": "Club", "Name": "x"})), 10004);
    assert_code(&e(json!({"Type": "Public"})), 10004);
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "Owner_Account": "ghost"})),
        10004,
    );
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "MemberList": [{"Member_Account": "ghost"}]})),
        10004,
    );
    assert_code(
        &e(json!({"Type": "Public", "Name": "x", "MemberList": ["bob"]})),
        10004,
    );

    // add_group_member: added, already there, not an account.
    let r = s.call(
        "group_open_http_svc/add_group_member",
        json!({"GroupId": "team", "MemberList": [{"Member_Account": "carol"}, {"Member_Account": "bob"}, {"Member_Account": "ghost"}]}),
    );
    assert_ok(&r);
    assert_eq!(
        r["MemberList"],
        json!([{"Member_Account": "carol", "Result": 1}, {"Member_Account": "bob", "Result": 2}, {"Member_Account": "ghost", "Result": 0}])
    );
    assert_code(
        &s.call(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": "nope", "MemberList": [{"Member_Account": "bob"}]}),
        ),
        10010,
    );
    assert_code(
        &s.call(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": "team"}),
        ),
        10004,
    );

    // get_group_info.
    s.send_group("team", "alice", "hi", 1, Value::Null);
    let r = s.call(
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["team", "nope"]}),
    );
    assert_ok(&r);
    let info = &r["GroupInfo"][0];
    assert_eq!(info["GroupId"], "team");
    assert_eq!(info["ErrorCode"], 0);
    assert_eq!(info["Type"], "Public");
    assert_eq!(info["Owner_Account"], "alice");
    assert_eq!(info["MemberNum"], 3);
    assert_eq!(info["NextMsgSeq"], 2);
    assert_eq!(info["MemberList"][0]["Role"], "Owner");
    assert_eq!(r["GroupInfo"][1]["ErrorCode"], 10010);
    assert_code(
        &s.call("group_open_http_svc/get_group_info", json!({})),
        10004,
    );

    // destroy_group: gone for sending and reading.
    assert_ok(&s.call(
        "group_open_http_svc/destroy_group",
        json!({"GroupId": "team"}),
    ));
    assert_code(&s.send_group("team", "alice", "x", 2, Value::Null), 10010);
    assert_code(
        &s.call(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "team", "ReqMsgNumber": 5}),
        ),
        10010,
    );
    assert_code(
        &s.call(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "team"}),
        ),
        10010,
    );
    // The id can be used again, with seqs from 1.
    s.create_group("team", "alice", &[]);
    assert_eq!(
        s.send_group("team", "alice", "again", 1, Value::Null)["MsgSeq"],
        1
    );
    // Same sender and Random as a message of the destroyed group: not a duplicate.
    assert_eq!(texts(&s.group_history("team")), ["again"]);
}

#[test]
fn send_group_msg_options_seqs_and_validation() {
    let s = TestServer::start();
    let gid = s.create_group("g", "alice", &["bob", "carol"]);
    let push = json!({"PushFlag": 1, "Title": "t", "Desc": "d", "Ext": "e"});
    let r = s.send_group(
        &gid,
        "alice",
        "full",
        11,
        json!({"MsgPriority": "High", "OfflinePushInfo": push, "ForbidCallbackControl": ["ForbidAfterSendMsgCallback"],
            "SendMsgControl": ["WithMuteNotifications"], "CloudCustomData": "ccd", "SupportMessageExtension": 1,
            "NeedReadReceipt": 1, "TopicId": "t1"}),
    );
    assert_ok(&r);
    assert_eq!(r["MsgSeq"], 1);
    assert_eq!(r["MsgTime"], T0);
    assert_eq!(r["MsgDropReason"], "");
    for i in 2..=5 {
        let r = s.send_group(
            &gid,
            "bob",
            &format!("m{i}"),
            100 + i,
            json!({"MsgPriority": "Low"}),
        );
        assert_eq!(r["MsgSeq"], i, "strictly increasing from 1");
    }
    // The admin may send without being a member.
    assert_eq!(
        s.call(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": gid, "Random": 1, "MsgBody": text("sys")})
        )["MsgSeq"],
        6
    );
    let list = s.group_history(&gid);
    assert_eq!(texts(&list), ["sys", "m5", "m4", "m3", "m2", "full"]);
    let m = &list[5];
    assert_eq!(m["From_Account"], "alice");
    assert_eq!(m["IsPlaceMsg"], 0);
    assert_eq!(m["MsgPriority"], 1);
    assert_eq!(list[1]["MsgPriority"], 3);
    assert_eq!(list[0]["MsgPriority"], 2);
    assert_eq!(list[0]["From_Account"], ADMIN);
    assert_eq!(m["MsgRandom"], 11);
    assert_eq!(m["MsgSeq"], 1);
    assert_eq!(m["MsgTimeStamp"], T0);
    assert_eq!(m["IsSystemMsg"], 0);
    assert_eq!(m["CloudCustomData"], "ccd");
    assert_eq!(m["SupportMessageExtension"], 1);
    assert_eq!(m["NeedReadReceipt"], 1);
    assert_eq!(m["OfflinePushInfo"], push);
    assert_eq!(m["SendMsgControl"], json!(["WithMuteNotifications"]));

    // Paging by ReqMsgSeq.
    let page = |seq: Option<u64>| {
        let mut req = json!({"GroupId": gid, "ReqMsgNumber": 4});
        if let Some(q) = seq {
            req["ReqMsgSeq"] = json!(q);
        }
        s.call("group_open_http_svc/group_msg_get_simple", req)
    };
    let p1 = page(None);
    assert_eq!(p1["GroupId"], gid.as_str());
    assert_eq!(p1["IsFinished"], 0);
    assert_eq!(
        texts(p1["RspMsgList"].as_array().unwrap()),
        ["sys", "m5", "m4", "m3"]
    );
    let p2 = page(Some(2));
    assert_eq!(p2["IsFinished"], 1);
    assert_eq!(texts(p2["RspMsgList"].as_array().unwrap()), ["m2", "full"]);

    // Validation.
    let e = |extra: Value| s.send_group(&gid, "alice", "x", 999, extra);
    let custom = json!({"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d"}});
    for (extra, expected) in [
        (json!({"GroupId": null}), 10004),
        (json!({"GroupId": "nope"}), 10010),
        (json!({"Random": null}), 10004),
        (json!({"Random": "1"}), 10004),
        (json!({"MsgPriority": "high"}), 10004),
        (json!({"MsgBody": "x"}), 10004),
        (json!({"MsgBody": [custom.clone(), custom]}), 10004),
        (json!({"MsgBody": text(&"y".repeat(13 * 1024))}), 80002),
        (json!({"From_Account": "dave"}), 10007),
        (
            json!({"To_Account": (0..51).map(|i| format!("u{i}")).collect::<Vec<_>>()}),
            10004,
        ),
        (json!({"To_Account": ["dave"]}), 10004),
        (json!({"GroupAtInfo": [{"GroupAtAllFlag": 0}]}), 10004),
        (
            json!({"GroupAtInfo": (0..31).map(|_| json!({"GroupAtAllFlag": 1})).collect::<Vec<_>>()}),
            10004,
        ),
        (json!({"OnlineOnlyFlag": 2}), 10004),
        (json!({"OfflinePushInfo": []}), 10004),
    ] {
        assert_code(&e(extra), expected);
    }
    assert_eq!(s.group_history(&gid).len(), 6);
}

#[test]
fn group_duplicates_online_only_no_unread_no_last_msg() {
    let s = TestServer::start();
    let gid = s.create_group("g", "alice", &["bob"]);
    let first = s.send_group(&gid, "alice", "one", 5, Value::Null);
    s.clock.advance(60);
    let dup = s.send_group(&gid, "alice", "one again", 5, Value::Null);
    assert_ok(&dup);
    assert_eq!(dup["MsgSeq"], first["MsgSeq"]);
    assert_eq!(dup["MsgTime"], first["MsgTime"]);
    // Same random from another sender is another message.
    assert_eq!(
        s.send_group(&gid, "bob", "two", 5, Value::Null)["MsgSeq"],
        2
    );
    assert_eq!(texts(&s.group_history(&gid)), ["two", "one"]);

    let t_last = T0 + 60;
    s.clock.advance(10);
    assert_ok(&s.send_group(&gid, "alice", "live", 6, json!({"OnlineOnlyFlag": 1})));
    assert_ok(&s.send_group(
        &gid,
        "alice",
        "quiet",
        7,
        json!({"SendMsgControl": ["NoUnread"]}),
    ));
    s.clock.advance(10);
    assert_ok(&s.send_group(
        &gid,
        "alice",
        "nolast",
        8,
        json!({"SendMsgControl": ["NoLastMsg"]}),
    ));
    let hist = texts(&s.group_history(&gid));
    assert_eq!(hist, ["nolast", "quiet", "two", "one"]);
    // bob: "one" and "nolast" count; "two" is his own, "quiet" is NoUnread, "live" online-only.
    let bob = s.session("bob", &gid).unwrap();
    assert_eq!(bob["Type"], 2);
    assert_eq!(bob["UnreadMsgNum"], 2);
    assert_eq!(
        bob["MsgTime"],
        t_last + 10,
        "the NoUnread message moved it, NoLastMsg did not"
    );
    let alice = s.session("alice", &gid).unwrap();
    assert_eq!(alice["UnreadMsgNum"], 1);
    // Mark read (Tencent's set_unread_msg_num), then one unread again.
    assert_ok(&s.call(
        "group_open_http_svc/set_unread_msg_num",
        json!({"GroupId": gid, "Member_Account": "bob", "UnreadMsgNum": 0}),
    ));
    assert_eq!(s.session("bob", &gid).unwrap()["UnreadMsgNum"], 0);
    assert_ok(&s.call(
        "group_open_http_svc/set_unread_msg_num",
        json!({"GroupId": gid, "Member_Account": "bob", "UnreadMsgNum": 1}),
    ));
    assert_eq!(s.session("bob", &gid).unwrap()["UnreadMsgNum"], 1);
    assert_code(
        &s.call(
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": gid, "Member_Account": "zed", "UnreadMsgNum": 0}),
        ),
        10007,
    );
    // A member added later has nothing unread from before.
    s.call(
        "group_open_http_svc/add_group_member",
        json!({"GroupId": gid, "MemberList": [{"Member_Account": "carol"}]}),
    );
    assert_eq!(s.session("carol", &gid).unwrap()["UnreadMsgNum"], 0);
}

#[test]
fn targeted_and_at_messages() {
    let s = TestServer::start();
    let gid = s.create_group("g", "alice", &["bob", "carol"]);
    let at = json!([{"GroupAtAllFlag": 1}, {"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}]);
    let r = s.send_group(&gid, "alice", "@all @bob", 1, json!({"GroupAtInfo": at}));
    assert_ok(&r);
    let r = s.send_group(&gid, "alice", "for bob", 2, json!({"To_Account": ["bob"]}));
    assert_ok(&r);

    let admin_view = s.group_history(&gid);
    assert_eq!(texts(&admin_view), ["for bob", "@all @bob"]);
    assert_eq!(admin_view[0]["To_Account"], json!(["bob"]));
    assert!(admin_view[1].get("To_Account").is_none());
    assert_eq!(admin_view[1]["GroupAtInfo"], at);

    // Each member's view and unread count.
    let view = |u: &str| {
        let r = s.call_as(
            u,
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 10}),
        );
        assert_ok(&r);
        texts(r["RspMsgList"].as_array().unwrap())
    };
    assert_eq!(view("bob"), ["for bob", "@all @bob"]);
    assert_eq!(view("carol"), ["@all @bob"]);
    assert_eq!(view("alice"), ["for bob", "@all @bob"]);
    assert_eq!(s.session("bob", &gid).unwrap()["UnreadMsgNum"], 2);
    assert_eq!(s.session("carol", &gid).unwrap()["UnreadMsgNum"], 1);
    assert_eq!(s.session("alice", &gid).unwrap()["UnreadMsgNum"], 0);
}

#[test]
fn rate_control_drops_low_and_normal_first() {
    let s = TestServer::with(|c| c.group_rate = 3);
    let gid = s.create_group("g", "alice", &[]);
    for r in 1..=3 {
        assert_eq!(
            s.send_group(&gid, "alice", &format!("n{r}"), r, Value::Null)["MsgDropReason"],
            ""
        );
    }
    // Over the rate within the same second: Normal and Low are answered OK but dropped.
    for (r, p) in [(4, "Normal"), (5, "Low"), (6, "Lowest")] {
        let a = s.send_group(&gid, "alice", "dropped", r, json!({"MsgPriority": p}));
        assert_ok(&a);
        assert_eq!(a["MsgDropReason"], "MsgFreqCtrl");
    }
    // High always goes through.
    for r in 7..=9 {
        let a = s.send_group(&gid, "alice", "high", r, json!({"MsgPriority": "High"}));
        assert_ok(&a);
        assert_eq!(a["MsgDropReason"], "");
    }
    // The next second has a fresh budget.
    s.clock.advance(1);
    assert_eq!(
        s.send_group(&gid, "alice", "later", 10, json!({"MsgPriority": "Low"}))["MsgDropReason"],
        ""
    );
    let hist = texts(&s.group_history(&gid));
    assert_eq!(hist, ["later", "high", "high", "high", "n3", "n2", "n1"]);
    let seqs: Vec<i64> = s
        .group_history(&gid)
        .iter()
        .map(|m| m["MsgSeq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [7, 6, 5, 4, 3, 2, 1], "dropped messages take no seq");
    // Another group has its own budget; rate 0 is unlimited (other tests).
    let other = s.create_group("h", "alice", &[]);
    assert_eq!(
        s.send_group(&other, "alice", "x", 1, Value::Null)["MsgDropReason"],
        ""
    );
}

#[test]
fn concurrent_group_sends_get_unique_increasing_seqs() {
    let s = TestServer::start();
    let gid = s.create_group("g", "alice", &["bob", "carol", "dave"]);
    std::thread::scope(|scope| {
        for u in ["alice", "bob", "carol", "dave"] {
            let (s, gid) = (&s, &gid);
            scope.spawn(move || {
                for i in 0..30 {
                    assert_ok(&s.send_group(gid, u, "x", i, Value::Null));
                }
            });
        }
    });
    let seqs: Vec<i64> = s
        .group_history(&gid)
        .iter()
        .map(|m| m["MsgSeq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=120).rev().collect::<Vec<_>>());
}
