//! Deeply nested merged messages: the library refuses to create one past the limit, and one
//! message too deep for a JSON parser (stored by an older or lying server) never hides the
//! others: not in a history page, not on the live channel, not in the conversation list.

use crate::common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A `MsgBody` of one merged message nesting `layers` deep around an empty list: 25 layers is
/// the deepest body v2im-server can still read back from its database, and every answer that
/// holds it nests deeper than a JSON parser's default limit of 128.
fn deep_body(layers: usize) -> String {
    let mut body = "[]".to_string();
    for i in 0..layers {
        body = format!(
            r#"[{{"MsgType":"TIMRelayElem","MsgContent":{{"Title":"t","MsgNum":1,"CompatibleText":"c","AbstractList":[],"MsgList":[{{"From_Account":"alice","MsgSeq":{i},"MsgRandom":{i},"MsgTimeStamp":1,"MsgBody":{body}}}]}}}}]"#
        );
    }
    body
}

/// Replaces the stored body of C2C messages with `msg_key` (or of group `group`'s message
/// `seq`): what a server that accepted the message before the limit existed would hold.
fn plant(s: &TestServer, sql: &str, body: &str, key: &dyn rusqlite::ToSql) {
    let db = rusqlite::Connection::open(s.db_path()).expect("the server's database");
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = db.execute(sql, rusqlite::params![body, key]).unwrap();
    assert!(n >= 1, "{sql}: no row");
}

fn plant_c2c(s: &TestServer, msg_key: &str) {
    plant(
        s,
        "UPDATE c2c_msgs SET body = ?1 WHERE msg_key = ?2",
        &deep_body(25),
        &msg_key,
    );
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|m| {
            m["textElem"]["text"]
                .as_str()
                .unwrap_or("(merger)")
                .to_owned()
        })
        .collect()
}

/// The next event `name` of `events` that `pred` accepts, within the wait.
fn wait_event(events: &Sink, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let d = events
            .rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {name} within {WAIT:?}"));
        if d.json["event"] == name && pred(&d.json["data"]) {
            return d.json["data"].clone();
        }
    }
}

#[test]
fn a_poisoned_history_item_does_not_hide_the_others() {
    let s = TestServer::start();
    s.create_group("g-deep", "alice", &["alice", "bob"]);
    let alice = TestClient::new(&s.url, "alice");
    let bob = TestClient::new(&s.url, "bob");
    let events = Sink::new();
    bob.listen(&events);

    alice.send_text_ok("one", json!({"receiver": "bob"}));
    let poison = alice.send_text_ok("poison", json!({"receiver": "bob"}));
    alice.send_text_ok("three", json!({"receiver": "bob"}));
    let key = poison["msgID"].as_str().unwrap();
    plant_c2c(&s, key);

    let d = bob.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "alice", "count": 10}),
    );
    assert_eq!(d.code, 0, "{}", d.json);
    assert_eq!(texts(&d.json["data"]), ["three", "(merger)", "one"]);
    // Paging across it: one message per page.
    let mut last: Option<String> = None;
    let mut paged = Vec::new();
    for _ in 0..4 {
        let mut p = json!({"userID": "alice", "count": 1});
        if let Some(l) = &last {
            p["lastMsgID"] = json!(l);
        }
        let d = bob.call_wait("getC2CHistoryMessageList", p);
        assert_eq!(d.code, 0, "{}", d.json);
        let page = d.json["data"].as_array().unwrap().clone();
        let Some(m) = page.first() else { break };
        last = m["msgID"].as_str().map(str::to_owned);
        paged.extend(texts(&json!(page)));
    }
    assert_eq!(paged, ["three", "(merger)", "one"]);

    // The same in a group.
    for t in ["one", "poison", "three"] {
        alice.send_text_ok(t, json!({"groupID": "g-deep"}));
    }
    plant(
        &s,
        "UPDATE group_msgs SET body = ?1 WHERE group_id = 'g-deep' AND seq = ?2",
        &deep_body(25),
        &2,
    );
    let d = bob.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "g-deep", "count": 10}),
    );
    assert_eq!(d.code, 0, "{}", d.json);
    assert_eq!(texts(&d.json["data"]), ["three", "(merger)", "one"]);

    // A conversation whose last message is the poisoned one is still listed.
    let last = alice.send_text_ok("last", json!({"receiver": "bob"}));
    plant_c2c(&s, last["msgID"].as_str().unwrap());
    let d = bob.call_wait("getConversationList", json!({"nextSeq": "0", "count": 10}));
    assert_eq!(d.code, 0, "{}", d.json);
    let list = d.json["data"]["conversationList"].as_array().unwrap();
    let ids: Vec<&str> = list
        .iter()
        .map(|c| c["conversationID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{list:?}");
    assert!(
        ids.contains(&"c2c_alice") && ids.contains(&"group_g-deep"),
        "{ids:?}"
    );
    drop(events);
}

#[test]
fn a_poisoned_channel_event_is_skipped_not_retried_for_ever() {
    let s = TestServer::start();
    let alice = TestClient::new(&s.url, "alice");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.url, "bob");
    cfg["receive"] = json!(true);
    cfg["dataDir"] = json!(dir.path().to_str().unwrap());

    // bob's channel starts once, so that its dataDir has a cursor; then bob is away.
    let events = Sink::new();
    let bob = TestClient::with_config(cfg.clone());
    bob.listen(&events);
    wait_event(&events, "onConnectSuccess", |_| true);
    drop(bob);

    alice.send_text_ok("one", json!({"receiver": "bob"}));
    let poison = alice.send_text_ok("poison", json!({"receiver": "bob"}));
    alice.send_text_ok("three", json!({"receiver": "bob"}));
    let key = poison["msgID"].as_str().unwrap().to_owned();
    plant_c2c(&s, &key);

    let events = Sink::new();
    let bob = TestClient::with_config(cfg);
    bob.listen(&events);
    let text = |e: &Value| e["message"]["textElem"]["text"].clone();
    // Everything until "three" arrives: the messages around the poisoned one, and a warning
    // naming it.
    let mut received = Vec::new();
    let mut warnings = Vec::new();
    let deadline = Instant::now() + WAIT;
    while received.last() != Some(&json!("three")) {
        let left = deadline.saturating_duration_since(Instant::now());
        let d = events.rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!("not \"three\" within {WAIT:?}: {received:?} (warnings {warnings:?})")
        });
        match d.json["event"].as_str() {
            Some("onRecvNewMessage") => received.push(text(&d.json["data"])),
            Some("onLog") if d.json["data"]["level"] == "warn" => {
                warnings.push(d.json["data"]["message"].as_str().unwrap().to_owned())
            }
            _ => {}
        }
    }
    assert_eq!(received, ["one", "three"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&key) && w.contains("skipped")),
        "{warnings:?}"
    );
    // And it stays past it: a new client on the same dataDir gets only what comes next.
    drop(bob);
    let events = Sink::new();
    let bob = TestClient::with_config({
        let mut c = config(&s.url, "bob");
        c["receive"] = json!(true);
        c["dataDir"] = json!(dir.path().to_str().unwrap());
        c
    });
    bob.listen(&events);
    wait_event(&events, "onConnectSuccess", |_| true);
    alice.send_text_ok("four", json!({"receiver": "bob"}));
    assert_eq!(
        text(&wait_event(&events, "onRecvNewMessage", |_| true)),
        "four"
    );
}

#[test]
fn mergers_nest_up_to_the_limit_and_no_further() {
    let s = TestServer::start();
    let alice = TestClient::new(&s.url, "alice");
    let bob = TestClient::new(&s.url, "bob");
    let sent = alice.send_text_ok("inside", json!({"receiver": "bob"}));
    let mut msg_id = sent["msgID"].as_str().unwrap().to_owned();
    let merge = |id: &str| {
        alice.call_wait(
            "createMergerMessage",
            json!({"msgIDList": [id], "title": "t", "abstractList": ["a"], "compatibleText": "c"}),
        )
    };
    for _ in 0..16 {
        let d = merge(&msg_id);
        assert_eq!(d.code, 0, "{}", d.json);
        let id = d.json["data"]["id"].as_str().unwrap().to_owned();
        let d = alice.send(&id, json!({"receiver": "bob"}));
        assert_eq!(d.code, 0, "{}", d.json);
        msg_id = d.json["data"]["msgID"].as_str().unwrap().to_owned();
    }
    let d = merge(&msg_id);
    assert_eq!(
        (d.code, d.json["desc"].as_str()),
        (
            8005,
            Some("msgIDList: merged messages may nest at most 16 layers; this one would nest 17")
        )
    );
    // The deepest allowed message is read back whole.
    let d = bob.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "alice", "count": 1}),
    );
    assert_eq!(d.code, 0, "{}", d.json);
    let mut m = d.json["data"][0].clone();
    let mut layers = 0;
    while m["mergerElem"].is_object() {
        layers += 1;
        m = m["mergerElem"]["messageList"][0].clone();
    }
    assert_eq!(
        (layers, m["textElem"]["text"].clone()),
        (16, json!("inside"))
    );
}
