//! The live channel over real HTTP: live delivery (C2C, group, targeted, online-only), resume
//! by cursor, several channels of one account, refusals, heartbeats, long-poll, shutdown,
//! retention.

use std::time::{Duration, Instant};

use crate::common::channel::{msg_texts, Channel, Next};
use crate::common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
/// Long enough to be sure nothing else is coming on a local server.
const QUIET: Duration = Duration::from_millis(300);

fn cursor(v: &Value) -> u64 {
    v["Cursor"]
        .as_u64()
        .unwrap_or_else(|| panic!("no cursor: {v}"))
}

#[test]
fn c2c_messages_arrive_live_with_the_senders_msg_key_and_the_conversation() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let (mut bob, hello) = s.channel("bob", None);
    assert_eq!(hello["HeartbeatSecs"], 15);
    let (mut alice, _) = s.channel("alice", None);

    let sent = s.send_c2c(
        "alice",
        "bob",
        "hi",
        7,
        json!({"MsgSeq": 3, "CloudCustomData": "c"}),
    );
    assert_ok(&sent);
    let ev = bob.event(WAIT);
    assert_eq!(ev["Event"], "C2cMsg", "{ev}");
    assert!(ev.get("OnlineOnlyFlag").is_none() || ev["OnlineOnlyFlag"] == 0);
    let c1 = cursor(&ev);
    assert!(c1 > hello["Cursor"].as_u64().unwrap());
    // The history shape, and the sender's MsgKey.
    let roam = s.roam("bob", "alice");
    assert_eq!(ev["Msg"], roam[0]);
    assert_eq!(ev["Msg"]["MsgKey"], sent["MsgKey"]);
    let conv = bob.event(WAIT);
    assert_eq!(conv["Event"], "Conversation", "{conv}");
    assert!(conv.get("Cursor").is_none());
    assert_eq!(conv["Item"]["Type"], 1);
    assert_eq!(conv["Item"]["To_Account"], "alice");
    assert_eq!(conv["Item"]["UnreadMsgNum"], 1);
    assert_eq!(conv["Item"]["MsgTime"], T0);
    assert_eq!(conv["Item"]["C2cLastMsg"], roam[0]);
    assert_eq!(conv["AllUnreadMsgNum"], 1);

    // Without SyncOtherMachine the sender's channel gets nothing; with 1 it gets its own message.
    assert!(alice.drain(QUIET).is_empty());
    let own = s.send_c2c("alice", "bob", "mine", 8, json!({"SyncOtherMachine": 1}));
    let ev = alice.expect("C2cMsg");
    assert_eq!(ev["Msg"]["MsgKey"], own["MsgKey"]);
    assert_eq!(ev["Msg"]["From_Account"], "alice");
    let conv = alice.expect("Conversation");
    assert_eq!(conv["Item"]["To_Account"], "bob");
    assert_eq!(conv["Item"]["UnreadMsgNum"], 0);
    assert!(cursor(&bob.expect("C2cMsg")) > c1);

    // batchsendmsg: each receiver, same MsgKey.
    s.import(&["carol"]);
    let (mut carol, _) = s.channel("carol", None);
    let b = s.call(
        "openim/batchsendmsg",
        json!({"From_Account": "alice", "To_Account": ["bob", "carol"], "MsgRandom": 9, "MsgBody": text("all")}),
    );
    assert_ok(&b);
    for ch in [&mut bob, &mut carol] {
        let ev = ch.expect("C2cMsg");
        assert_eq!(ev["Msg"]["MsgKey"], b["MsgKey"]);
    }
    // A duplicate is answered with the original and delivered once.
    assert_eq!(
        s.send_c2c("alice", "bob", "hi", 7, json!({"MsgSeq": 3}))["MsgKey"],
        sent["MsgKey"]
    );
    assert!(msg_texts(&bob.drain(QUIET)).is_empty());
}

#[test]
fn group_messages_reach_every_member_and_targeted_ones_only_their_targets() {
    let s = TestServer::start();
    s.import(&["alice", "bob", "carol"]);
    let gid = s.create_group("g1", "alice", &["bob", "carol"]);
    let (mut alice, _) = s.channel("alice", None);
    let (mut bob, _) = s.channel("bob", None);
    let (mut carol, _) = s.channel("carol", None);

    let r = s.send_group(&gid, "alice", "to all", 5, json!({"CloudCustomData": "x"}));
    assert_ok(&r);
    let hist = s.group_history(&gid);
    for ch in [&mut alice, &mut bob, &mut carol] {
        let ev = ch.expect("GroupMsg");
        assert_eq!(ev["GroupId"], gid);
        assert_eq!(ev["Msg"], hist[0]);
        // {seq}_{random}_{time}: the sender's msgID.
        assert_eq!(ev["Msg"]["MsgSeq"], r["MsgSeq"]);
        assert_eq!(ev["Msg"]["MsgRandom"], 5);
        assert_eq!(ev["Msg"]["MsgTimeStamp"], r["MsgTime"]);
        let conv = ch.expect("Conversation");
        assert_eq!(conv["Item"]["Type"], 2);
        assert_eq!(conv["Item"]["GroupId"], gid);
        assert_eq!(conv["Item"]["GroupLastMsg"], hist[0]);
    }

    // Targeted at carol: carol and the sender only.
    assert_ok(&s.send_group(&gid, "alice", "secret", 6, json!({"To_Account": ["carol"]})));
    assert_eq!(msg_texts(&carol.drain(QUIET)), ["secret"]);
    assert_eq!(msg_texts(&alice.drain(QUIET)), ["secret"]);
    assert!(msg_texts(&bob.drain(QUIET)).is_empty());
    // Not even later from the inbox.
    let (mut bob2, _) = s.channel("bob", Some(0));
    assert_eq!(msg_texts(&bob2.drain(QUIET)), ["to all"]);
}

#[test]
fn online_only_messages_reach_open_channels_only() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g2", "alice", &["bob"]);
    let (mut bob, hello) = s.channel("bob", None);
    let start = cursor(&hello);
    let r = s.send_c2c("alice", "bob", "now only", 1, json!({"MsgLifeTime": 0}));
    assert_ok(&r);
    let ev = bob.event(WAIT);
    assert_eq!(ev["Event"], "C2cMsg", "{ev}");
    assert_eq!(ev["OnlineOnlyFlag"], 1);
    assert!(ev.get("Cursor").is_none(), "{ev}");
    assert_eq!(ev["Msg"]["MsgKey"], r["MsgKey"]);
    assert_ok(&s.send_group(&gid, "alice", "group now", 2, json!({"OnlineOnlyFlag": 1})));
    let ev = bob.event(WAIT);
    assert_eq!(ev["Event"], "GroupMsg", "{ev}");
    assert_eq!(ev["OnlineOnlyFlag"], 1);
    assert!(ev.get("Cursor").is_none());
    // No conversation changes: online-only messages are neither unread nor last messages.
    assert!(bob.drain(QUIET).is_empty());
    // A retry is the same message: not delivered again.
    assert_ok(&s.send_c2c("alice", "bob", "now only", 1, json!({"MsgLifeTime": 0})));
    assert!(bob.drain(QUIET).is_empty());

    // A channel opened later, even from before them, never sees them.
    s.send_c2c("alice", "bob", "stored", 3, Value::Null);
    let (mut late, _) = s.channel("bob", Some(start));
    assert_eq!(msg_texts(&late.drain(QUIET)), ["stored"]);
    assert_eq!(msg_texts(&bob.drain(QUIET)), ["stored"]);
}

#[test]
fn a_full_online_only_queue_closes_the_channel_and_resume_loses_no_stored_event() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let addr = s.server.as_ref().unwrap().addr;
    let mut bob = Channel::request_small(addr, &s.channel_path("bob", "bob", None, "")).unwrap();
    assert_eq!(bob.event(WAIT)["Event"], "Hello");
    // Stored messages until the connection is full (the reader reads nothing)...
    let big = "b".repeat(11 * 1024);
    let stored = 800;
    for i in 0..stored {
        s.send_c2c("alice", "bob", &format!("{i} {big}"), i, Value::Null);
    }
    // ...then more online-only messages than its queue holds.
    for i in 0..100 {
        let r = s.send_c2c(
            "alice",
            "bob",
            "online",
            10_000 + i,
            json!({"MsgLifeTime": 0}),
        );
        assert_ok(&r);
    }
    // The reader catches up: the channel ends; some online-only messages were lost.
    let mut lines = Vec::new();
    loop {
        match bob.next(WAIT) {
            Next::Line(v) => lines.push(v),
            Next::End => break,
            Next::Timeout => panic!("the overflowed channel did not end"),
        }
    }
    let online = lines.iter().filter(|l| l["OnlineOnlyFlag"] == 1).count();
    assert!(online < 100, "{online}");
    let number = |l: &Value| -> u32 {
        let t = l["Msg"]["MsgBody"][0]["MsgContent"]["Text"]
            .as_str()
            .unwrap();
        t.split(' ').next().unwrap().parse().unwrap()
    };
    let stored_line = |l: &&Value| l["Event"] == "C2cMsg" && l["OnlineOnlyFlag"] == 0;
    let mut got: Vec<u32> = lines.iter().filter(stored_line).map(number).collect();
    let last = lines
        .iter()
        .rev()
        .find_map(|l| l["Cursor"].as_u64())
        .unwrap();
    // Resuming from the last cursor gives every stored message that was not delivered.
    // Read until every stored message is there (a loaded machine may pause longer than QUIET
    // between pages), then for QUIET more: nothing may follow.
    let (mut again, _) = s.channel("bob", Some(last));
    let deadline = Instant::now() + WAIT;
    while got.len() < stored as usize && Instant::now() < deadline {
        match again.next(deadline.saturating_duration_since(Instant::now())) {
            Next::Line(l) if stored_line(&&l) => got.push(number(&l)),
            Next::Line(_) => {}
            Next::End | Next::Timeout => break,
        }
    }
    got.extend(again.drain(QUIET).iter().filter(stored_line).map(number));
    assert_eq!(got, (0..stored).collect::<Vec<u32>>());
}

#[test]
fn resume_by_cursor_gives_exactly_the_missed_events_in_order() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let (mut bob, _) = s.channel("bob", None);
    s.send_c2c("alice", "bob", "m0", 100, Value::Null);
    let c0 = cursor(&bob.expect("C2cMsg"));
    drop(bob);
    let mut cursors = Vec::new();
    for i in 1..=5 {
        assert_ok(&s.send_c2c("alice", "bob", &format!("m{i}"), 100 + i, Value::Null));
    }
    let (mut bob, hello) = s.channel("bob", Some(c0));
    assert_eq!(cursor(&hello), c0);
    let lines = bob.drain(QUIET);
    assert_eq!(msg_texts(&lines), ["m1", "m2", "m3", "m4", "m5"]);
    for l in lines.iter().filter(|l| l["Event"] == "C2cMsg") {
        cursors.push(cursor(l));
    }
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    // The conversation's state follows the batch.
    let conv: Vec<_> = lines
        .iter()
        .filter(|l| l["Event"] == "Conversation")
        .collect();
    assert_eq!(conv.last().unwrap()["Item"]["UnreadMsgNum"], 6);
    // From the third: the last two.
    let (mut again, _) = s.channel("bob", Some(cursors[2]));
    assert_eq!(msg_texts(&again.drain(QUIET)), ["m4", "m5"]);
    // From the last: nothing, then what comes live.
    let (mut tail, _) = s.channel("bob", Some(cursors[4]));
    assert!(tail.drain(QUIET).is_empty());
    s.send_c2c("alice", "bob", "m6", 200, Value::Null);
    assert_eq!(msg_texts(&tail.drain(QUIET)), ["m6"]);
    // A backlog larger than one page comes whole and in order.
    let many: Vec<String> = (0..700).map(|i| format!("p{i}")).collect();
    for (i, t) in many.iter().enumerate() {
        s.send_c2c("alice", "bob", t, 1000 + i as u32, Value::Null);
    }
    let (mut all, _) = s.channel("bob", Some(cursors[4]));
    let got = msg_texts(&all.drain(Duration::from_secs(1)));
    assert_eq!(got.len(), 701);
    assert_eq!(got[0], "m6");
    assert_eq!(&got[1..], &many[..]);
}

#[test]
fn every_channel_of_an_account_gets_every_event() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let (mut a, _) = s.channel("bob", None);
    let (mut b, _) = s.channel("bob", None);
    let (mut c, _) = s.channel("bob", None);
    for i in 0..20 {
        s.send_c2c(
            "alice",
            "bob",
            &format!("x{i}"),
            i,
            json!({"MsgLifeTime": if i % 5 == 0 { 0 } else { 60 }}),
        );
    }
    let want: Vec<String> = (0..20).map(|i| format!("x{i}")).collect();
    for ch in [&mut a, &mut b, &mut c] {
        let mut got = msg_texts(&ch.drain(QUIET));
        got.sort_by_key(|t| t[1..].parse::<u32>().unwrap());
        assert_eq!(got, want);
    }
}

/// Messages sent to an open channel go out as the writer built them; read back after a
/// reconnect they must be the same lines.
#[test]
fn a_live_line_is_the_line_read_back_on_resume() {
    let s = TestServer::start();
    for (user, nick) in [("alice", "Alice A."), ("bob", "Bob"), ("carol", "C")] {
        assert_ok(&s.call(
            "im_open_login_svc/account_import",
            json!({"UserID": user, "Nick": nick, "FaceUrl": format!("https://x/{user}.png")}),
        ));
    }
    let gid = s.create_group("g-live", "alice", &["bob", "carol"]);
    let (mut bob, hello) = s.channel("bob", None);
    let (mut alice, alice_hello) = s.channel("alice", None);
    let full = json!({
        "CloudCustomData": "cloud",
        "SupportMessageExtension": 1,
        "IsNeedReadReceipt": 1,
        "SendMsgControl": ["NoUnread"],
        "OfflinePushInfo": {"PushFlag": 0, "Title": "t", "Desc": "d", "Ext": "e"},
    });
    assert_ok(&s.send_c2c("alice", "bob", "c2c", 1, full.clone()));
    assert_ok(&s.send_c2c("alice", "bob", "synced", 2, json!({"SyncOtherMachine": 1})));
    assert_ok(&s.send_group(
        &gid,
        "alice",
        "at bob",
        3,
        json!({"GroupAtInfo": [{"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}],
               "CloudCustomData": "g", "NeedReadReceipt": 1}),
    ));
    assert_ok(&s.send_group(&gid, "carol", "to bob", 4, json!({"To_Account": ["bob"]})));
    assert_ok(&s.send_c2c("bob", "alice", "reply", 5, Value::Null));

    let is_msg = |l: &Value| l["Event"] == "C2cMsg" || l["Event"] == "GroupMsg";
    let live = |ch: &mut Channel, n: usize| -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            let l = ch.event(WAIT);
            if is_msg(&l) {
                out.push(l);
            }
        }
        out
    };
    let bob_live = live(&mut bob, 4);
    let alice_live = live(&mut alice, 3);
    assert_eq!(msg_texts(&bob_live), ["c2c", "synced", "at bob", "to bob"]);
    // Her own group message too (for her other clients); not carol's targeted one.
    assert_eq!(msg_texts(&alice_live), ["synced", "at bob", "reply"]);
    assert_eq!(bob_live[0]["Nick"], "Alice A.");
    assert_eq!(bob_live[3]["FaceUrl"], "https://x/carol.png");
    for (user, from, live) in [
        ("bob", cursor(&hello), bob_live),
        ("alice", cursor(&alice_hello), alice_live),
    ] {
        let (mut again, _) = s.channel(user, Some(from));
        let stored: Vec<Value> = again.drain(QUIET).into_iter().filter(is_msg).collect();
        assert_eq!(stored, live, "{user}");
    }
}

#[test]
fn refusals_are_rest_errors_never_streams() {
    let s = TestServer::with(|c| {
        c.auto_import = false;
        c.channels_per_account = 2;
        c.channels_total = 4;
    });
    s.import(&["alice", "bob", "carol", "dave"]);
    // Another account's channel: admin required, and nothing else said.
    let e = s.channel_refused(&s.channel_path("alice", "bob", None, ""));
    assert_code(&e, 60010);
    // The admin may open anyone's.
    let admin_path = s.channel_path(ADMIN, "bob", None, "");
    let mut ch = Channel::request(s.server.as_ref().unwrap().addr, "GET", &admin_path).unwrap();
    assert_eq!(ch.event(WAIT)["Event"], "Hello");
    drop(ch);
    // Bad sigs, like any REST call.
    let bad =
        "/v4/v2im/channel?sdkappid=1400000000&identifier=bob&usersig=garbage&random=1&userID=bob";
    assert_code(&s.channel_refused(bad), 70003);
    assert_code(&s.channel_refused("/v4/v2im/channel"), 60012);
    // Cursors.
    for (c, code) in [
        ("abc", 70402),
        ("-1", 70402),
        ("1e3", 70402),
        ("18446744073709551616", 70402),
        ("99999999", 110001),
    ] {
        let p = s.channel_path("bob", "bob", None, &format!("&cursor={c}"));
        assert_code(&s.channel_refused(&p), code);
    }
    assert_code(
        &s.channel_refused(&s.channel_path("bob", "bob", None, "&poll=2")),
        70402,
    );
    // An account that was never imported.
    assert_code(
        &s.channel_refused(&s.channel_path(ADMIN, "zed", None, "")),
        70107,
    );
    assert_code(
        &s.channel_refused(&s.channel_path(ADMIN, &"x".repeat(40), None, "")),
        70402,
    );
    assert_code(
        &s.channel_refused(&s.channel_path(ADMIN, "a%00b", None, "")),
        70402,
    );
    assert_code(
        &s.channel_refused(&s.channel_path("bob", ADMIN, None, "")),
        60010,
    );
    // Not a GET.
    let addr = s.server.as_ref().unwrap().addr;
    match Channel::request(addr, "POST", &s.channel_path("bob", "bob", None, "")) {
        Err(r) => assert_code(&r.body, 60002),
        Ok(_) => panic!("POST opened a channel"),
    }
    // Limits: two per account, four in all.
    let (_b1, _) = s.channel("bob", None);
    let (_b2, _) = s.channel("bob", None);
    assert_code(
        &s.channel_refused(&s.channel_path("bob", "bob", None, "")),
        110002,
    );
    let (_c1, _) = s.channel("carol", None);
    let (c2, _) = s.channel("carol", None);
    assert_code(
        &s.channel_refused(&s.channel_path("dave", "dave", None, "")),
        110002,
    );
    // A closed channel frees its slot.
    drop(c2);
    let deadline = Instant::now() + WAIT;
    loop {
        let p = s.channel_path("dave", "dave", None, "");
        if Channel::request(addr, "GET", &p).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was not freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn heartbeats_keep_an_idle_channel_busy() {
    let s = TestServer::with(|c| c.heartbeat_secs = 1);
    let (mut ch, hello) = s.channel("bob", None);
    assert_eq!(hello["HeartbeatSecs"], 1);
    for _ in 0..2 {
        let t = Instant::now();
        match ch.next(Duration::from_secs(3)) {
            Next::Line(v) => assert_eq!(v, json!({"Event": "Ping"})),
            other => panic!("{other:?}"),
        }
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );
    }
}

#[test]
fn long_poll_ends_after_the_first_batch() {
    let s = TestServer::with(|c| c.heartbeat_secs = 1);
    s.import(&["alice", "bob"]);
    let addr = s.server.as_ref().unwrap().addr;
    for i in 0..3 {
        s.send_c2c("alice", "bob", &format!("q{i}"), i, Value::Null);
    }
    let mut ch = Channel::request(
        addr,
        "GET",
        &s.channel_path("bob", "bob", Some(0), "&poll=1"),
    )
    .unwrap();
    assert_eq!(ch.event(WAIT)["Event"], "Hello");
    let mut lines = Vec::new();
    while let Next::Line(v) = ch.next(WAIT) {
        lines.push(v);
    }
    assert_eq!(msg_texts(&lines), ["q0", "q1", "q2"]);
    let last = lines
        .iter()
        .rev()
        .find_map(|l| l["Cursor"].as_u64())
        .unwrap();
    // Nothing new: a Ping after one heartbeat, then the end.
    let mut ch = Channel::request(
        addr,
        "GET",
        &s.channel_path("bob", "bob", Some(last), "&poll=1"),
    )
    .unwrap();
    assert_eq!(ch.event(WAIT)["Event"], "Hello");
    match ch.next(Duration::from_secs(3)) {
        Next::Line(v) => assert_eq!(v["Event"], "Ping"),
        other => panic!("{other:?}"),
    }
    assert!(ch.ends_within(WAIT));
    // Waiting: the first message ends it.
    let mut ch = Channel::request(
        addr,
        "GET",
        &s.channel_path("bob", "bob", Some(last), "&poll=1"),
    )
    .unwrap();
    assert_eq!(ch.event(WAIT)["Event"], "Hello");
    s.send_c2c("alice", "bob", "q3", 3, Value::Null);
    let mut lines = Vec::new();
    while let Next::Line(v) = ch.next(WAIT) {
        lines.push(v);
    }
    assert_eq!(msg_texts(&lines), ["q3"], "{lines:?}");
}

#[test]
fn shutdown_ends_channels_promptly() {
    let mut s = TestServer::start();
    let (mut ch, _) = s.channel("bob", None);
    let server = s.server.take().unwrap();
    let t = Instant::now();
    let stopper = std::thread::spawn(move || server.shutdown());
    assert!(ch.ends_within(Duration::from_secs(5)));
    stopper.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn events_older_than_the_retention_are_refused_with_a_clear_code() {
    let s = TestServer::with(|c| c.inbox_retention_days = 7);
    s.import(&["alice", "bob"]);
    let (mut bob, _) = s.channel("bob", None);
    s.send_c2c("alice", "bob", "old", 1, Value::Null);
    let old = cursor(&bob.expect("C2cMsg"));
    drop(bob);
    s.send_c2c("alice", "bob", "old2", 2, Value::Null);
    s.clock.advance(8 * 86_400);
    // The next write trims the inbox.
    s.send_c2c("alice", "bob", "new", 3, Value::Null);
    s.send_c2c("alice", "bob", "new2", 4, Value::Null);
    let e = s.channel_refused(&s.channel_path("bob", "bob", Some(old), ""));
    assert_code(&e, 110001);
    assert!(e["ErrorInfo"].as_str().unwrap().contains("resync"), "{e}");
    // Without a cursor, and from a kept one, it works; the history still has everything.
    let (mut now, hello) = s.channel("bob", None);
    assert!(now.drain(QUIET).is_empty());
    assert!(cursor(&hello) > old);
    assert_eq!(
        texts(&s.roam("bob", "alice")),
        ["new2", "new", "old2", "old"]
    );
}
