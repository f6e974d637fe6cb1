//! One-to-one messages: sendmsg, batchsendmsg, admin_getroammsg, unread counts, read marks and
//! the conversation list, read back through the REST read endpoints.

use crate::common::*;
use serde_json::{json, Value};

fn all_elements() -> Value {
    json!([
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello 你好 \"q\" \\ <b>"}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here", "Latitude": 22.5, "Longitude": -113.25}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "smile"}},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{\"k\":1}", "Desc": "d", "Ext": "e", "Sound": "s.caf"}},
        {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "http://x/s.mp3", "UUID": "u1", "Size": 100, "Second": 3, "Download_Flag": 2}},
        {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "u2", "ImageFormat": 1, "ImageInfoArray": [
            {"Type": 1, "Size": 10, "Width": 20, "Height": 30, "URL": "http://x/1.jpg"},
            {"Type": 2, "Size": 5, "Width": 10, "Height": 15, "URL": "http://x/2.jpg"},
            {"Type": 3, "Size": 1, "Width": 2, "Height": 3, "URL": "http://x/3.jpg"}]}},
        {"MsgType": "TIMFileElem", "MsgContent": {"Url": "http://x/f", "UUID": "u3", "FileSize": 9, "FileName": "f.txt", "Download_Flag": 2}},
        {"MsgType": "TIMVideoFileElem", "MsgContent": {"VideoUrl": "http://x/v", "VideoUUID": "u4", "VideoSize": 1, "VideoSecond": 2,
            "VideoFormat": "mp4", "VideoDownloadFlag": 2, "ThumbUrl": "http://x/t", "ThumbUUID": "u5", "ThumbSize": 3,
            "ThumbWidth": 4, "ThumbHeight": 5, "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}},
        {"MsgType": "TIMRelayElem", "MsgContent": {"Title": "t", "MsgNum": 1, "CompatibleText": "c", "AbstractList": ["a: b"],
            "MsgList": [{"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2, "MsgTimeStamp": 3,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "inner"}}], "CloudCustomData": "ccd"}]}}
    ])
}

#[test]
fn sendmsg_stores_every_element_and_option() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let push = json!({"PushFlag": 0, "Title": "t", "Desc": "d", "Ext": "{\"x\":1}",
        "AndroidInfo": {"Sound": "a.mp3", "OPPOChannelID": "o", "VIVOClassification": 1},
        "ApnsInfo": {"Sound": "a.caf", "BadgeMode": 1, "Title": "at", "SubTitle": "st", "Image": "i", "MutableContent": 1}});
    let r = s.call(
        "openim/sendmsg",
        json!({"SyncOtherMachine": 1, "From_Account": "alice", "To_Account": "bob", "MsgLifeTime": 604800,
            "MsgSeq": 77, "MsgRandom": 4294967295u32, "MsgBody": all_elements(), "CloudCustomData": "cloud",
            "SupportMessageExtension": 1, "OfflinePushInfo": push, "SendMsgControl": ["WithMuteNotifications"],
            "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"], "IsNeedReadReceipt": 1}),
    );
    assert_ok(&r);
    assert_eq!(r["MsgTime"], T0);
    assert_eq!(r["MsgKey"], format!("77_4294967295_{T0}"));

    for (op, peer) in [("alice", "bob"), ("bob", "alice")] {
        let list = s.roam(op, peer);
        assert_eq!(list.len(), 1);
        let m = &list[0];
        assert_eq!(m["From_Account"], "alice");
        assert_eq!(m["To_Account"], "bob");
        assert_eq!(m["MsgSeq"], 77);
        assert_eq!(m["MsgRandom"], 4294967295u32);
        assert_eq!(m["MsgTimeStamp"], T0);
        assert_eq!(m["MsgFlagBits"], 0);
        assert_eq!(m["IsPeerRead"], 0);
        assert_eq!(m["MsgKey"], r["MsgKey"]);
        assert_eq!(m["MsgBody"], all_elements());
        assert_eq!(m["CloudCustomData"], "cloud");
        assert_eq!(m["SupportMessageExtension"], 1);
        assert_eq!(m["IsNeedReadReceipt"], 1);
        assert_eq!(m["OfflinePushInfo"], push);
        assert_eq!(m["SendMsgControl"], json!(["WithMuteNotifications"]));
    }
}

#[test]
fn sendmsg_validation_codes() {
    let s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob"]);
    let base =
        json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")});
    let custom = json!({"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d"}});
    let cases: Vec<(Value, i64)> = vec![
        (json!({"To_Account": null}), 90003),
        (json!({"To_Account": 5}), 90003),
        (json!({"To_Account": "nobody"}), 90012),
        (json!({"From_Account": "nobody"}), 90008),
        (json!({"From_Account": 1}), 90008),
        (json!({"MsgRandom": null}), 90005),
        (json!({"MsgRandom": "1"}), 90005),
        (json!({"MsgRandom": -1}), 90005),
        (json!({"MsgRandom": 4294967296u64}), 90005),
        (json!({"MsgRandom": 1.5}), 90005),
        (json!({"MsgSeq": "x"}), 90004),
        (json!({"MsgBody": null}), 90002),
        (json!({"MsgBody": []}), 90002),
        (json!({"MsgBody": {"MsgType": "TIMTextElem"}}), 90007),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}),
            90002,
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMNopeElem", "MsgContent": {}}]}),
            90002,
        ),
        (
            json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]}),
            90002,
        ),
        (json!({"MsgBody": [custom.clone(), custom]}), 90010),
        (json!({"MsgBody": text(&"x".repeat(13 * 1024))}), 93000),
        (json!({"MsgLifeTime": "x"}), 90044),
        (json!({"MsgLifeTime": -1}), 90044),
        (json!({"SyncOtherMachine": "x"}), 90031),
        (json!({"OfflinePushInfo": {"PushFlag": "x"}}), 90043),
        (json!({"OfflinePushInfo": 3}), 90043),
        (json!({"SendMsgControl": "NoUnread"}), 90001),
        (json!({"CloudCustomData": 5}), 90001),
        (json!({"SupportMessageExtension": 2}), 90001),
    ];
    for (extra, expected) in cases {
        let r = s.call("openim/sendmsg", merge(base.clone(), extra.clone()));
        assert_eq!(code(&r), expected, "{extra} -> {r}");
        assert_code(&r, expected);
    }
    // Malformed and oversized bodies.
    let url = s.url_with("openim/sendmsg", ADMIN, &s.sig(ADMIN));
    assert_code(&s.post(&url, "{\"To_Account\":"), 90001);
    assert_code(&s.post(&url, "[1,2]"), 90001);
    assert_code(&s.post(&url, &"[".repeat(100_000)), 90001);
    assert_code(
        &s.post(&url, &format!("{{\"x\":\"{}\"}}", "y".repeat(1_100_000))),
        93000,
    );
    // Nothing of the above was stored; a body just under the limit is.
    assert!(s.roam("alice", "bob").is_empty());
    let r = s.call(
        "openim/sendmsg",
        merge(base, json!({"MsgBody": text(&"x".repeat(12 * 1024 - 60))})),
    );
    assert_ok(&r);
}

#[test]
fn msg_key_is_seq_random_time_and_seq_is_chosen_when_absent() {
    let s = TestServer::start();
    let r = s.send_c2c("alice", "bob", "one", 42, Value::Null);
    assert_ok(&r);
    let key = r["MsgKey"].as_str().unwrap().to_string();
    let parts: Vec<&str> = key.split('_').collect();
    assert_eq!(parts.len(), 3, "{key}");
    assert_eq!(parts[1], "42");
    assert_eq!(parts[2], T0.to_string());
    let m = &s.roam("alice", "bob")[0];
    assert_eq!(m["MsgKey"], key);
    assert_eq!(m["MsgSeq"].to_string(), parts[0]);
    // The retry (same random, still no MsgSeq) is the same message.
    let again = s.send_c2c("alice", "bob", "one", 42, Value::Null);
    assert_eq!(again["MsgKey"], key);
    assert_eq!(s.roam("alice", "bob").len(), 1);
}

#[test]
fn duplicates_are_answered_with_the_original_and_stored_once() {
    let s = TestServer::start();
    let seq = json!({"MsgSeq": 9});
    let first = s.send_c2c("alice", "bob", "one", 7, seq.clone());
    assert_ok(&first);
    s.clock.advance(100);
    let dup = s.send_c2c("alice", "bob", "one (retry)", 7, seq.clone());
    assert_ok(&dup);
    assert_eq!(dup["MsgTime"], first["MsgTime"]);
    assert_eq!(dup["MsgKey"], first["MsgKey"]);
    assert_eq!(texts(&s.roam("bob", "alice")), ["one"]);
    // Another seq, another receiver or another sender is another message.
    assert_ok(&s.send_c2c("alice", "bob", "two", 7, json!({"MsgSeq": 10})));
    assert_ok(&s.send_c2c("alice", "carol", "three", 7, seq.clone()));
    assert_ok(&s.send_c2c("bob", "alice", "four", 7, seq.clone()));
    assert_eq!(texts(&s.roam("bob", "alice")), ["four", "two", "one"]);
    // After the 5-minute window, the same key is a new message.
    s.clock.advance(201);
    let late = s.send_c2c("alice", "bob", "five", 7, seq);
    assert_ok(&late);
    assert_ne!(late["MsgKey"], first["MsgKey"]);
    assert_eq!(s.roam("bob", "alice").len(), 4);
    assert_eq!(s.unread("bob", "alice"), 3);
}

#[test]
fn online_only_messages_are_accepted_but_never_read_back() {
    let s = TestServer::start();
    let r = s.send_c2c("alice", "bob", "ephemeral", 1, json!({"MsgLifeTime": 0}));
    assert_ok(&r);
    assert!(r["MsgKey"].as_str().unwrap().ends_with(&format!("_{T0}")));
    assert!(s.roam("bob", "alice").is_empty());
    assert_eq!(s.unread("bob", "alice"), 0);
    assert!(s.session("bob", "alice").is_none());
    assert!(s.session("alice", "bob").is_none());
    // Its retry is still recognised.
    let again = s.send_c2c("alice", "bob", "ephemeral", 1, json!({"MsgLifeTime": 0}));
    assert_eq!(again["MsgKey"], r["MsgKey"]);
    // A stored message next to it shows up alone.
    s.send_c2c("alice", "bob", "kept", 2, Value::Null);
    assert_eq!(texts(&s.roam("bob", "alice")), ["kept"]);
    assert_eq!(s.unread("bob", "alice"), 1);
}

#[test]
fn no_unread_and_no_last_msg() {
    let s = TestServer::start();
    s.send_c2c("alice", "bob", "counted", 1, Value::Null);
    s.clock.advance(10);
    s.send_c2c(
        "alice",
        "bob",
        "quiet",
        2,
        json!({"SendMsgControl": ["NoUnread"]}),
    );
    assert_eq!(s.unread("bob", "alice"), 1);
    let item = s.session("bob", "alice").unwrap();
    assert_eq!(item["Type"], 1);
    assert_eq!(item["MsgTime"], T0 + 10);
    assert_eq!(item["UnreadMsgNum"], 1);

    s.clock.advance(10);
    s.send_c2c(
        "alice",
        "bob",
        "hidden",
        3,
        json!({"SendMsgControl": ["NoLastMsg"]}),
    );
    assert_eq!(s.session("bob", "alice").unwrap()["MsgTime"], T0 + 10);
    assert_eq!(s.session("alice", "bob").unwrap()["MsgTime"], T0 + 10);
    assert_eq!(s.unread("bob", "alice"), 2);
    // All three are in the history.
    assert_eq!(
        texts(&s.roam("bob", "alice")),
        ["hidden", "quiet", "counted"]
    );

    // A conversation whose only messages are NoLastMsg is not listed.
    s.send_c2c(
        "carol",
        "bob",
        "x",
        4,
        json!({"SendMsgControl": ["NoLastMsg", "NoUnread"]}),
    );
    assert!(s.session("bob", "carol").is_none());
    assert_eq!(s.unread("bob", "carol"), 0);
    assert_eq!(s.roam("bob", "carol").len(), 1);
}

#[test]
fn unread_counts_read_marks_and_is_peer_read() {
    let s = TestServer::start();
    for i in 0..3 {
        s.send_c2c("alice", "bob", &format!("a{i}"), i, Value::Null);
        s.clock.advance(1);
    }
    s.send_c2c("carol", "bob", "c", 9, Value::Null);
    s.send_c2c("bob", "alice", "reply", 10, Value::Null);
    assert_eq!(s.unread("bob", "alice"), 3);
    assert_eq!(s.unread("alice", "bob"), 1);
    let all = s.call(
        "openim/get_c2c_unread_msg_num",
        json!({"To_Account": "bob"}),
    );
    assert_ok(&all);
    assert_eq!(all["AllC2CUnreadMsgNum"], 4);
    assert_eq!(all["C2CUnreadMsgNumList"].as_array().unwrap().len(), 2);

    // Read up to the second message's time, then everything.
    let r = s.call(
        "openim/admin_set_msg_read",
        json!({"Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": T0 + 1}),
    );
    assert_ok(&r);
    assert_eq!(s.unread("bob", "alice"), 1);
    let peer_read: Vec<i64> = s
        .roam("alice", "bob")
        .iter()
        .map(|m| m["IsPeerRead"].as_i64().unwrap())
        .collect();
    assert_eq!(peer_read, [0, 0, 1, 1]); // reply (bob's, unread by alice), a2, a1, a0
    assert_ok(&s.call(
        "openim/admin_set_msg_read",
        json!({"Report_Account": "bob", "Peer_Account": "alice"}),
    ));
    assert_eq!(s.unread("bob", "alice"), 0);
    assert_eq!(s.session("bob", "alice").unwrap()["UnreadMsgNum"], 0);
    assert_eq!(s.session("bob", "carol").unwrap()["UnreadMsgNum"], 1);
    // Errors.
    assert_code(
        &s.call(
            "openim/admin_set_msg_read",
            json!({"Report_Account": "bob"}),
        ),
        90001,
    );
    assert_code(
        &s.call(
            "openim/admin_set_msg_read",
            json!({"Report_Account": "bob", "Peer_Account": "nobody-ever"}),
        ),
        90048,
    );
    assert_code(&s.call("openim/get_c2c_unread_msg_num", json!({})), 90003);
}

#[test]
fn roam_paging_and_legacy_names() {
    let s = TestServer::start();
    for i in 0..5 {
        s.send_c2c(
            if i % 2 == 0 { "alice" } else { "bob" },
            if i % 2 == 0 { "bob" } else { "alice" },
            &format!("m{i}"),
            i,
            Value::Null,
        );
        if i != 2 {
            s.clock.advance(1);
        }
    }
    // Pages of 2, newest first, continued with MaxTime = LastMsgTime and LastMsgKey.
    let mut got = Vec::new();
    let mut max_time = T0 + 100;
    let mut last_key: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 2, "MinTime": T0, "MaxTime": max_time});
        if let Some(k) = &last_key {
            req["LastMsgKey"] = json!(k);
        }
        let r = s.call("openim/admin_getroammsg", req);
        assert_ok(&r);
        pages += 1;
        let list = r["MsgList"].as_array().unwrap();
        assert_eq!(r["MsgCnt"], list.len());
        got.extend(texts(list));
        if r["Complete"] == 1 {
            break;
        }
        max_time = r["LastMsgTime"].as_i64().unwrap();
        last_key = Some(r["LastMsgKey"].as_str().unwrap().to_string());
        assert!(pages < 10);
    }
    assert_eq!(got, ["m4", "m3", "m2", "m1", "m0"]);
    assert_eq!(pages, 3);
    // Time window.
    let r = s.call(
        "openim/admin_getroammsg",
        json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 10, "MinTime": T0 + 1, "MaxTime": T0 + 2}),
    );
    assert_eq!(texts(r["MsgList"].as_array().unwrap()), ["m3", "m2", "m1"]);
    // Legacy From_Account/To_Account.
    let r = s.call(
        "openim/admin_getroammsg",
        json!({"From_Account": "bob", "To_Account": "alice", "MaxCnt": 10, "MinTime": 0, "MaxTime": T0 + 100}),
    );
    assert_ok(&r);
    assert_eq!(r["MsgCnt"], 5);
    // Errors.
    let e = |body: Value| s.call("openim/admin_getroammsg", body);
    assert_code(&e(json!({"Peer_Account": "bob", "MaxCnt": 1})), 90008);
    assert_code(&e(json!({"Operator_Account": "alice", "MaxCnt": 1})), 90003);
    assert_code(
        &e(json!({"Operator_Account": "alice", "Peer_Account": "bob"})),
        90001,
    );
    assert_code(
        &e(json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": "x"})),
        90001,
    );
    assert_code(
        &e(json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 0})),
        90001,
    );
}

#[test]
fn sync_other_machine_2_keeps_it_out_of_the_senders_roaming() {
    let s = TestServer::start();
    s.send_c2c("alice", "bob", "x", 1, json!({"SyncOtherMachine": 2}));
    assert_eq!(s.roam("bob", "alice").len(), 1);
    assert!(s.roam("alice", "bob").is_empty());
}

#[test]
fn batchsendmsg_delivers_to_each_and_lists_failures() {
    let s = TestServer::with(|c| c.auto_import = false);
    s.import(&["alice", "bob", "carol"]);
    let r = s.call(
        "openim/batchsendmsg",
        json!({"From_Account": "alice", "To_Account": ["bob", "ghost", "carol"], "MsgRandom": 5, "MsgSeq": 6,
            "MsgBody": text("news"), "CloudCustomData": "c", "SendMsgControl": ["NoUnread"]}),
    );
    assert_ok(&r);
    assert_eq!(r["MsgKey"], format!("6_5_{T0}"));
    assert_eq!(
        r["ErrorList"],
        json!([{"To_Account": "ghost", "ErrorCode": 70107}])
    );
    for who in ["bob", "carol"] {
        let list = s.roam(who, "alice");
        assert_eq!(texts(&list), ["news"]);
        assert_eq!(list[0]["MsgKey"], r["MsgKey"]);
        assert_eq!(list[0]["CloudCustomData"], "c");
        assert_eq!(s.unread(who, "alice"), 0);
    }
    // Retry: the same message, not stored again.
    let again = s.call(
        "openim/batchsendmsg",
        json!({"From_Account": "alice", "To_Account": ["bob", "carol"], "MsgRandom": 5, "MsgSeq": 6, "MsgBody": text("news")}),
    );
    assert_eq!(again["MsgKey"], r["MsgKey"]);
    assert_eq!(s.roam("bob", "alice").len(), 1);
    // All failed, too many, empty, too big.
    let all_failed = s.call(
        "openim/batchsendmsg",
        json!({"From_Account": "alice", "To_Account": ["ghost"], "MsgRandom": 1, "MsgBody": text("x")}),
    );
    assert_code(&all_failed, 70107);
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    assert_code(
        &s.call(
            "openim/batchsendmsg",
            json!({"To_Account": many, "MsgRandom": 1, "MsgBody": text("x")}),
        ),
        90011,
    );
    assert_code(
        &s.call(
            "openim/batchsendmsg",
            json!({"To_Account": [], "MsgRandom": 1, "MsgBody": text("x")}),
        ),
        90003,
    );
    assert_code(
        &s.call(
            "openim/batchsendmsg",
            json!({"To_Account": "bob", "MsgRandom": 1, "MsgBody": text("x")}),
        ),
        90003,
    );
    assert_code(
        &s.call(
            "openim/batchsendmsg",
            json!({"To_Account": ["bob"], "MsgRandom": 1, "MsgBody": text(&"x".repeat(9000))}),
        ),
        90055,
    );
}

#[test]
fn concurrent_sends_are_all_committed() {
    let s = TestServer::start();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..40u32 {
                    let r = s.send_c2c(
                        &format!("u{t}"),
                        "sink",
                        &format!("{t}-{i}"),
                        i,
                        Value::Null,
                    );
                    assert_ok(&r);
                }
            });
        }
    });
    let all = s.call(
        "openim/get_c2c_unread_msg_num",
        json!({"To_Account": "sink"}),
    );
    assert_eq!(all["AllC2CUnreadMsgNum"], 320);
    assert_eq!(s.recent("sink").len(), 8);
}
