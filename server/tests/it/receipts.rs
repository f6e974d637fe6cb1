//! Read marks and read receipts: `admin_set_msg_read`, `set_unread_msg_num`,
//! `c2c_msg_read_receipt`, `group_msg_receipt`, `get_group_msg_receipt(_detail)`, and the
//! events they put in the inboxes.

use std::time::Duration;

use crate::common::*;
use serde_json::{json, Value};

const QUIET: Duration = Duration::from_millis(300);

#[test]
fn a_c2c_read_mark_is_the_peers_receipt_and_the_readers_mark() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let (mut alice, _) = s.channel("alice", None);
    let (mut bob, _) = s.channel("bob", None);
    s.send_c2c("alice", "bob", "one", 1, Value::Null);
    s.send_c2c("alice", "bob", "two", 2, Value::Null);
    // Both messages, then the conversation's state after them: a Conversation line per message,
    // or one for both when they commit within the 5 ms before the channel reads it.
    let got = bob.drain(QUIET);
    let kinds: Vec<&str> = got.iter().filter_map(|v| v["Event"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "C2cMsg").count(),
        2,
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .all(|k| matches!(*k, "C2cMsg" | "Conversation")),
        "{kinds:?}"
    );
    let last = got.last().unwrap();
    assert_eq!(last["Event"], "Conversation", "{kinds:?}");
    assert_eq!(last["Item"]["UnreadMsgNum"], 2, "{last}");
    // bob reads, as himself.
    let r = s.call_as(
        "bob",
        "openim/admin_set_msg_read",
        json!({"Report_Account": "bob", "Peer_Account": "alice"}),
    );
    assert_ok(&r);
    let receipt = alice.expect("C2cRead");
    assert_eq!(receipt["Peer_Account"], "bob");
    assert_eq!(receipt["MsgReadTime"], T0);
    assert!(receipt["Cursor"].as_u64().is_some());
    let conv = alice.expect("Conversation");
    assert_eq!(conv["Item"]["C2cLastMsg"]["IsPeerRead"], 1);
    let mark = bob.expect("ReadMark");
    assert_eq!(mark["Type"], 1);
    assert_eq!(mark["Peer_Account"], "alice");
    let conv = bob.expect("Conversation");
    assert_eq!(conv["Item"]["UnreadMsgNum"], 0);
    assert_eq!(conv["AllUnreadMsgNum"], 0);
    // Nothing new read: no news.
    assert_ok(&s.call(
        "openim/admin_set_msg_read",
        json!({"Report_Account": "bob", "Peer_Account": "alice"}),
    ));
    assert!(alice.drain(QUIET).is_empty());
    assert!(bob.drain(QUIET).is_empty());
    // Not for another account.
    assert_code(
        &s.call_as(
            "alice",
            "openim/admin_set_msg_read",
            json!({"Report_Account": "bob", "Peer_Account": "alice"}),
        ),
        90009,
    );
}

#[test]
fn marking_a_group_read_is_a_read_mark() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let gid = s.create_group("gr", "alice", &["bob"]);
    let (mut bob, _) = s.channel("bob", None);
    for i in 0..3 {
        s.send_group(&gid, "alice", &format!("g{i}"), i, Value::Null);
    }
    let lines = bob.drain(QUIET);
    let last = lines
        .iter()
        .rev()
        .find(|l| l["Event"] == "Conversation")
        .unwrap();
    assert_eq!(last["Item"]["UnreadMsgNum"], 3);
    let r = s.call_as(
        "bob",
        "group_open_http_svc/set_unread_msg_num",
        json!({"GroupId": gid, "Member_Account": "bob", "UnreadMsgNum": 0}),
    );
    assert_ok(&r);
    let mark = bob.expect("ReadMark");
    assert_eq!(mark["Type"], 2);
    assert_eq!(mark["GroupId"], gid);
    assert_eq!(mark["MsgSeq"], 3);
    assert_eq!(bob.expect("Conversation")["Item"]["UnreadMsgNum"], 0);
    // Someone else's count: refused.
    assert_code(
        &s.call_as(
            "alice",
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": gid, "Member_Account": "bob", "UnreadMsgNum": 0}),
        ),
        10007,
    );
}

#[test]
fn c2c_message_receipts() {
    let s = TestServer::start();
    s.import(&["alice", "bob", "carol"]);
    let (mut alice, _) = s.channel("alice", None);
    let k1 = s.send_c2c("alice", "bob", "r1", 1, json!({"IsNeedReadReceipt": 1}))["MsgKey"].clone();
    let k2 = s.send_c2c("alice", "bob", "r2", 2, json!({"IsNeedReadReceipt": 1}))["MsgKey"].clone();
    let plain = s.send_c2c("alice", "bob", "plain", 3, Value::Null)["MsgKey"].clone();
    let info = |k: &Value| json!({"From_Account": "alice", "To_Account": "bob", "MsgKey": k});
    let r = s.call_as(
        "bob",
        "openim/c2c_msg_read_receipt",
        json!({"Operator_Account": "bob", "Peer_Account": "alice",
            "C2CMsgInfo": [info(&k1), info(&plain), info(&json!("1_2_3"))]}),
    );
    assert_ok(&r);
    assert_eq!(
        r["ErrorList"],
        json!([{"MsgKey": plain, "ErrorCode": 10062}, {"MsgKey": "1_2_3", "ErrorCode": 10062}])
    );
    let ev = alice.expect("C2cReceipt");
    assert_eq!(ev["Peer_Account"], "bob");
    assert_eq!(ev["MsgKeyList"], json!([k1]));
    assert_eq!(ev["MsgReadTime"], T0);
    // IsPeerRead in both histories, for that message only.
    for (op, peer) in [("alice", "bob"), ("bob", "alice")] {
        let read: Vec<_> = s
            .roam(op, peer)
            .iter()
            .map(|m| (m["MsgKey"].clone(), m["IsPeerRead"].clone()))
            .collect();
        assert_eq!(
            read,
            [
                (plain.clone(), json!(0)),
                (k2.clone(), json!(0)),
                (k1.clone(), json!(1))
            ]
        );
    }
    // Again: each message once, no new event.
    assert_ok(&s.call(
        "openim/c2c_msg_read_receipt",
        json!({"Operator_Account": "bob", "Peer_Account": "alice", "C2CMsgInfo": [info(&k1)]}),
    ));
    assert!(alice
        .drain(QUIET)
        .iter()
        .all(|l| l["Event"] != "C2cReceipt"));
    // Refusals: the infos must name the two accounts; a user acts as itself only.
    let bad = s.call(
        "openim/c2c_msg_read_receipt",
        json!({"Operator_Account": "bob", "Peer_Account": "alice",
            "C2CMsgInfo": [{"From_Account": "carol", "To_Account": "bob", "MsgKey": k2}]}),
    );
    assert_code(&bad, 90001);
    assert!(bad["ErrorInfo"]
        .as_str()
        .unwrap()
        .starts_with("C2CMsgInfo[0].From_Account"));
    assert_code(
        &s.call_as(
            "carol",
            "openim/c2c_msg_read_receipt",
            json!({"Operator_Account": "bob", "Peer_Account": "alice", "C2CMsgInfo": [info(&k2)]}),
        ),
        90009,
    );
    assert_code(
        &s.call(
            "openim/c2c_msg_read_receipt",
            json!({"Operator_Account": "bob", "Peer_Account": "alice", "C2CMsgInfo": []}),
        ),
        90001,
    );
    assert_code(
        &s.call(
            "openim/c2c_msg_read_receipt",
            json!({"Operator_Account": "bob", "Peer_Account": "alice", "C2CMsgInfo": [info(&k2)], "Extra": 1}),
        ),
        90001,
    );
}

fn seqs(list: &[u64]) -> Value {
    Value::Array(list.iter().map(|s| json!({"MsgSeq": s})).collect())
}

#[test]
fn group_message_receipts() {
    let s = TestServer::start();
    s.import(&["alice", "bob", "carol", "dave", "erin"]);
    let gid = s.create_group("rg", "alice", &["bob", "carol"]);
    let (mut alice, _) = s.channel("alice", None);
    let m1 = s.send_group(&gid, "alice", "needs", 1, json!({"NeedReadReceipt": 1}));
    let m2 = s.send_group(&gid, "alice", "plain", 2, Value::Null);
    let m3 = s.send_group(
        &gid,
        "alice",
        "for carol",
        3,
        json!({"NeedReadReceipt": 1, "To_Account": ["carol"]}),
    );
    // dave joins after: it may read, it does not count.
    assert_ok(&s.call(
        "group_open_http_svc/add_group_member",
        json!({"GroupId": gid, "MemberList": [{"Member_Account": "dave"}]}),
    ));
    alice.drain(QUIET);
    let (s1, s2, s3) = (
        m1["MsgSeq"].as_u64().unwrap(),
        m2["MsgSeq"].as_u64().unwrap(),
        m3["MsgSeq"].as_u64().unwrap(),
    );
    let receipt = |user: &str, list: &[u64]| {
        s.call_as(
            user,
            "group_open_http_svc/group_msg_receipt",
            json!({"GroupId": gid, "From_Account": user, "MsgSeqList": seqs(list)}),
        )
    };
    let r = receipt("bob", &[s1, s2, s3, 99]);
    assert_ok(&r);
    assert_eq!(
        r["GroupMsgReceiptList"],
        json!([{"Code": 0, "MsgSeq": s1, "ReadNum": 1, "UnreadNum": 1},
               {"Code": 10062, "MsgSeq": s2, "ReadNum": 0, "UnreadNum": 0},
               {"Code": 10062, "MsgSeq": s3, "ReadNum": 0, "UnreadNum": 0},
               {"Code": 10062, "MsgSeq": 99, "ReadNum": 0, "UnreadNum": 0}])
    );
    let ev = alice.expect("GroupReceipt");
    assert_eq!(
        ev,
        json!({"Event": "GroupReceipt", "Cursor": ev["Cursor"], "GroupId": gid, "MsgSeq": s1,
            "MsgRandom": 1, "MsgTimeStamp": m1["MsgTime"], "ReadNum": 1, "UnreadNum": 1})
    );
    // Once per reader; the sender's own and a later member's do not count.
    assert_ok(&receipt("bob", &[s1]));
    assert_ok(&receipt("alice", &[s1]));
    assert_ok(&receipt("dave", &[s1]));
    assert!(alice.drain(QUIET).is_empty());
    // carol reads both.
    let r = receipt("carol", &[s1, s3]);
    assert_eq!(r["GroupMsgReceiptList"][0]["UnreadNum"], 0);
    assert_eq!(
        r["GroupMsgReceiptList"][1],
        json!({"Code": 0, "MsgSeq": s3, "ReadNum": 1, "UnreadNum": 0})
    );
    assert_eq!(alice.expect("GroupReceipt")["ReadNum"], 2);
    assert_eq!(alice.expect("GroupReceipt")["MsgSeq"], s3);

    // get_group_msg_receipt: the sender (or the admin) sees the counts.
    let get = |user: &str, list: &[u64]| {
        s.call_as(
            user,
            "group_open_http_svc/get_group_msg_receipt",
            json!({"GroupId": gid, "MsgSeqList": seqs(list)}),
        )
    };
    let r = get("alice", &[s1, s2]);
    assert_ok(&r);
    assert_eq!(
        r["GroupMsgReceiptList"],
        json!([{"Code": 0, "MsgSeq": s1, "ReadNum": 2, "UnreadNum": 0},
               {"Code": 10062, "MsgSeq": s2, "ReadNum": 0, "UnreadNum": 0}])
    );
    assert_eq!(get(ADMIN, &[s1])["GroupMsgReceiptList"][0]["ReadNum"], 2);
    // Another member: not its message. A stranger: not its group.
    assert_eq!(get("bob", &[s1])["GroupMsgReceiptList"][0]["Code"], 10007);
    assert_code(&get("erin", &[s1]), 10007);

    // Details: who read, who did not, paged.
    let detail = |user: &str, seq: u64, filter: i64, cursor: &str, count: i64| {
        s.call_as(
            user,
            "group_open_http_svc/get_group_msg_receipt_detail",
            json!({"GroupId": gid, "MsgSeq": seq, "Filter": filter, "Cursor": cursor, "Count": count}),
        )
    };
    let r = detail("alice", s1, 0, "", 1);
    assert_ok(&r);
    assert_eq!(r["ReadList"], json!([{"Read_Account": "bob"}]));
    assert_eq!(r["IsFinished"], 0);
    let r = detail("alice", s1, 0, r["Cursor"].as_str().unwrap(), 1);
    assert_eq!(r["ReadList"], json!([{"Read_Account": "carol"}]));
    assert_eq!(r["IsFinished"], 1);
    // A message with someone left to read.
    let m4 = s.send_group(&gid, "alice", "later", 4, json!({"NeedReadReceipt": 1}));
    let s4 = m4["MsgSeq"].as_u64().unwrap();
    let r = detail(ADMIN, s4, 1, "", 200);
    assert_eq!(
        r["UnreadList"],
        json!([{"Unread_Account": "bob"}, {"Unread_Account": "carol"}, {"Unread_Account": "dave"}])
    );
    assert_eq!(r["IsFinished"], 1);
    assert_eq!(get(ADMIN, &[s4])["GroupMsgReceiptList"][0]["UnreadNum"], 3);
    assert_code(&detail("bob", s4, 0, "", 10), 10007);
    assert_code(&detail("alice", s2, 0, "", 10), 10062);
    assert_code(&detail("alice", s4, 2, "", 10), 10004);
    assert_code(&detail("alice", s4, 0, "", 201), 10004);

    // Refusals of group_msg_receipt.
    assert_code(&receipt("erin", &[s1]), 10007);
    let too_many: Vec<u64> = (1..=51).collect();
    assert_code(&receipt("bob", &too_many), 10004);
    assert_code(
        &s.call_as(
            "bob",
            "group_open_http_svc/group_msg_receipt",
            json!({"GroupId": gid, "From_Account": "carol", "MsgSeqList": seqs(&[s1])}),
        ),
        10007,
    );
    assert_code(
        &s.call(
            "group_open_http_svc/group_msg_receipt",
            json!({"GroupId": "nope", "From_Account": "bob", "MsgSeqList": seqs(&[1])}),
        ),
        10010,
    );
}
