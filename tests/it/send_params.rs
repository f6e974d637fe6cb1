//! Each `sendMessage` parameter, observed on a real v2im-server through the
//! REST read endpoints (history, unread counts, conversation list) — not only in the request.

use crate::common::*;
use serde_json::{json, Value};

fn find<'a>(items: &'a [Value], text: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|i| i["MsgBody"][0]["MsgContent"]["Text"] == text)
}

#[test]
fn receiver_only_is_one_to_one() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let m = a.send_text_ok("c2c hello", json!({"receiver": "bob"}));
    assert_eq!(m["userID"], "bob");
    assert_eq!(m["groupID"], Value::Null);
    let items = s.roam("bob", "alice");
    let item = find(&items, "c2c hello").expect("in bob's history");
    assert_eq!(item["From_Account"], "alice");
    assert_eq!(item["To_Account"], "bob");
    assert_eq!(s.unread("bob", "alice"), 1);
}

#[test]
fn online_user_only_is_stored_nowhere() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let m = a.send_text_ok(
        "typing...",
        json!({"receiver": "bob", "onlineUserOnly": true}),
    );
    assert_eq!(m["status"], 2);
    assert!(find(&s.roam("bob", "alice"), "typing...").is_none());
    assert!(find(&s.roam("alice", "bob"), "typing...").is_none());
    assert_eq!(s.unread("bob", "alice"), 0);
    assert!(
        s.conversation("bob", "alice").is_none(),
        "no conversation from an online-only message"
    );
    // The same in a group.
    s.create_group("g-online", "alice", &["alice", "bob"]);
    a.send_text_ok(
        "group typing",
        json!({"groupID": "g-online", "onlineUserOnly": true}),
    );
    a.send_text_ok("group stored", json!({"groupID": "g-online"}));
    let g = s.group_msgs("g-online");
    assert!(find(&g, "group typing").is_none());
    assert!(find(&g, "group stored").is_some());
}

#[test]
fn offline_push_info_read_receipt_extension_cloud_data_are_stored() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let push = json!({"title": "T", "desc": "D", "ext": "E", "disablePush": true, "iOSSound": "s.caf",
                      "ignoreIOSBadge": true, "androidSound": "a.mp3", "androidOPPOChannelID": "oppo",
                      "androidVIVOClassification": 1});
    let m = a.send_text_ok(
        "options",
        json!({"receiver": "bob", "offlinePushInfo": push, "needReadReceipt": true,
               "isSupportMessageExtension": true, "cloudCustomData": "cloud-1"}),
    );
    assert_eq!(m["cloudCustomData"], "cloud-1");
    assert_eq!(m["needReadReceipt"], true);
    let items = s.roam("bob", "alice");
    let item = find(&items, "options").expect("stored");
    assert_eq!(item["CloudCustomData"], "cloud-1");
    assert_eq!(item["IsNeedReadReceipt"], 1);
    assert_eq!(item["SupportMessageExtension"], 1);
    let p = &item["OfflinePushInfo"];
    assert_eq!(p["Title"], "T");
    assert_eq!(p["Desc"], "D");
    assert_eq!(p["Ext"], "E");
    assert_eq!(p["PushFlag"], 1);
    assert_eq!(p["ApnsInfo"]["Sound"], "s.caf");
    assert_eq!(p["ApnsInfo"]["BadgeMode"], 1);
    assert_eq!(p["AndroidInfo"]["Sound"], "a.mp3");
    assert_eq!(p["AndroidInfo"]["OPPOChannelID"], "oppo");
    // A message without them carries none.
    a.send_text_ok("plain", json!({"receiver": "bob"}));
    let items = s.roam("bob", "alice");
    let plain = find(&items, "plain").unwrap();
    assert!(plain["CloudCustomData"].as_str().unwrap_or("").is_empty());
    assert_ne!(plain["IsNeedReadReceipt"], 1);
    assert_ne!(plain["SupportMessageExtension"], 1);
    // Group: read receipt and extension on the group item.
    s.create_group("g-opt", "alice", &["alice", "bob"]);
    a.send_text_ok(
        "group options",
        json!({"groupID": "g-opt", "needReadReceipt": true, "isSupportMessageExtension": true,
               "cloudCustomData": "cloud-g", "offlinePushInfo": {"title": "GT"}}),
    );
    let g = s.group_msgs("g-opt");
    let gi = find(&g, "group options").unwrap();
    assert_eq!(gi["NeedReadReceipt"], 1);
    assert_eq!(gi["SupportMessageExtension"], 1);
    assert_eq!(gi["CloudCustomData"], "cloud-g");
    assert_eq!(gi["OfflinePushInfo"]["Title"], "GT");
}

#[test]
fn excluded_from_unread_count_leaves_the_count_alone() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    a.send_text_ok("counted", json!({"receiver": "bob"}));
    assert_eq!(s.unread("bob", "alice"), 1);
    a.send_text_ok(
        "not counted",
        json!({"receiver": "bob", "isExcludedFromUnreadCount": true}),
    );
    assert_eq!(s.unread("bob", "alice"), 1);
    assert!(
        find(&s.roam("bob", "alice"), "not counted").is_some(),
        "still stored"
    );
    a.send_text_ok(
        "counted too",
        json!({"receiver": "bob", "isExcludedFromUnreadCount": false}),
    );
    assert_eq!(s.unread("bob", "alice"), 2);
    let conv = s.conversation("bob", "alice").expect("listed");
    assert_eq!(conv["UnreadMsgNum"], 2);
}

#[test]
fn excluded_from_last_message_leaves_the_conversation_time_alone() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let first = a.send_text_ok("last", json!({"receiver": "bob"}));
    let t0 = s.conversation("bob", "alice").expect("listed")["MsgTime"]
        .as_i64()
        .unwrap();
    assert_eq!(t0, first["timestamp"].as_i64().unwrap());
    // MsgTime has second resolution: let the clock move on.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = a.send_text_ok(
        "not last",
        json!({"receiver": "bob", "isExcludedFromLastMessage": true}),
    );
    assert!(second["timestamp"].as_i64().unwrap() > t0);
    let t1 = s.conversation("bob", "alice").unwrap()["MsgTime"]
        .as_i64()
        .unwrap();
    assert_eq!(t1, t0, "the excluded message is not the last message");
    let third = a.send_text_ok("new last", json!({"receiver": "bob"}));
    let t2 = s.conversation("bob", "alice").unwrap()["MsgTime"]
        .as_i64()
        .unwrap();
    assert_eq!(t2, third["timestamp"].as_i64().unwrap());
    assert!(t2 > t0);
}

#[test]
fn priority_reaches_the_group_item() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    s.create_group("g-prio", "alice", &["alice", "bob"]);
    for (p, text) in [
        (json!(1), "high"),
        (json!("V2TIM_PRIORITY_NORMAL"), "normal"),
        (json!(3), "low"),
        (json!(0), "default"),
        (json!("HIGH"), "high by name"),
    ] {
        let m = a.send_text_ok(text, json!({"groupID": "g-prio", "priority": p}));
        assert_eq!(m["status"], 2);
    }
    let g = s.group_msgs("g-prio");
    let prio = |t: &str| find(&g, t).unwrap_or_else(|| panic!("{t}"))["MsgPriority"].clone();
    assert_eq!(prio("high"), 1);
    assert_eq!(prio("normal"), 2);
    assert_eq!(prio("low"), 3);
    assert_eq!(prio("default"), 2, "DEFAULT is sent as Normal");
    assert_eq!(prio("high by name"), 1);
}

#[test]
fn group_id_only_and_both_is_targeted() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    s.create_group("g-t", "alice", &["alice", "bob", "carol"]);
    let m = a.send_text_ok("to all", json!({"groupID": "g-t"}));
    assert_eq!(m["groupID"], "g-t");
    let t = a.send_text_ok("to bob only", json!({"groupID": "g-t", "receiver": "bob"}));
    assert_eq!(t["targetGroupMemberList"], json!(["bob"]));
    let g = s.group_msgs("g-t");
    assert!(find(&g, "to all")
        .unwrap()
        .get("To_Account")
        .is_none_or(Value::is_null));
    assert_eq!(
        find(&g, "to bob only").unwrap()["To_Account"],
        json!(["bob"])
    );
    assert!(
        find(&s.roam("bob", "alice"), "to bob only").is_none(),
        "not a C2C message"
    );
}

#[test]
fn local_custom_data_never_leaves_the_process() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let marker = format!("LOCAL-ONLY-{}", fastrand::u64(..));
    let id = a.text("with local data");
    let d = a.send(
        &id,
        json!({"receiver": "bob", "localCustomData": marker, "cloudCustomData": "cloud"}),
    );
    assert_eq!(d.code, 0, "{}", d.json);
    assert_eq!(d.json["data"]["localCustomData"], marker.as_str());
    let msg_id = d.json["data"]["msgID"].as_str().unwrap().to_string();
    s.create_group("g-local", "alice", &["alice", "bob"]);
    let gid = a.text("group local");
    assert_eq!(
        a.send(
            &gid,
            json!({"groupID": "g-local", "localCustomData": marker})
        )
        .code,
        0
    );

    // Not on the server: neither in what it answers nor anywhere in its database files.
    let roam = serde_json::to_string(&s.roam("bob", "alice")).unwrap();
    assert!(roam.contains("cloud") && !roam.contains(&marker));
    assert!(!serde_json::to_string(&s.group_msgs("g-local"))
        .unwrap()
        .contains(&marker));
    let mut scanned = 0;
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        scanned += bytes.len();
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{} contains localCustomData",
            p.display()
        );
    }
    assert!(scanned > 0, "the database was scanned");
    let db = std::fs::read(s.db_path()).unwrap_or_default();
    let wal = std::fs::read(s.dir.path().join("s.db-wal")).unwrap_or_default();
    let cloud_stored = [db, wal]
        .iter()
        .any(|b| b.windows(5).any(|w| w == b"cloud"));
    assert!(cloud_stored, "the scan would have seen stored data");

    // In the process: findMessages and the history result (merged by msgID).
    let found = a.call_wait("findMessages", json!({"messageIDList": [msg_id]}));
    assert_eq!(found.code, 0, "{}", found.json);
    assert_eq!(found.json["data"][0]["localCustomData"], marker.as_str());
    let hist = a.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "bob", "count": 10}),
    );
    assert_eq!(hist.code, 0, "{}", hist.json);
    let h = hist.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgID"] == msg_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(h["localCustomData"], marker.as_str());
    // A client without the local copy (bob) sees no localCustomData.
    let b = TestClient::new(&s.url, "bob");
    let hb = b.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "alice", "count": 10}),
    );
    let hb = hb.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msgID"] == msg_id.as_str())
        .cloned()
        .unwrap();
    assert!(
        hb["localCustomData"].as_str().unwrap_or("").is_empty(),
        "{hb}"
    );
}
