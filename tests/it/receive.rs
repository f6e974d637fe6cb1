//! The receiving side over the C ABI against a real v2im-server: live delivery of one-to-one,
//! group, targeted and online-only messages; read marks and receipts; conversations and unread
//! counts; exactly-once delivery across server kills and across kills of the receiving process.

use crate::common::child::{self, ChildProc, ServerProc};
use crate::common::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// The test that child processes run (`--exact`): see `child_process` below.
const HELPER: &str = "receive::child_process";

/// A receiving client: `receive` on, listening.
struct Receiver {
    client: TestClient,
    events: Box<Sink>,
}

impl Receiver {
    fn new(url: &str, user: &str) -> Receiver {
        Receiver::with(config(url, user))
    }

    fn with(mut cfg: Value) -> Receiver {
        cfg["receive"] = json!(true);
        let client = TestClient::with_config(cfg);
        let events = Sink::new();
        client.listen(&events);
        let r = Receiver { client, events };
        r.wait("onConnectSuccess", |_| true);
        r
    }

    /// The data of the next event `name` that `pred` accepts (other events are skipped).
    fn wait(&self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let d = self
                .events
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{}: no {name} within {WAIT:?}", self.client.user));
            if d.json["event"] == name && pred(&d.json["data"]) {
                return d.json["data"].clone();
            }
        }
    }

    /// The next received message.
    fn message(&self) -> Value {
        self.wait("onRecvNewMessage", |_| true)["message"].clone()
    }

    /// Events `name` within `d`.
    fn none_within(&self, name: &str, d: Duration) -> Vec<Value> {
        let deadline = Instant::now() + d;
        let mut seen = Vec::new();
        while let Ok(e) = self
            .events
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if e.json["event"] == name {
                seen.push(e.json["data"].clone());
            }
        }
        seen
    }
}

#[test]
fn messages_reach_their_receivers_as_the_receiver_sees_them() {
    let s = TestServer::start();
    // The server knows alice's profile (and nothing of carol's).
    s.admin(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "Alice A.", "FaceUrl": "https://faces.example/a.png"}),
    );
    let alice = TestClient::new(&s.url, "alice");
    let bob = Receiver::new(&s.url, "bob");
    s.create_group("g-recv", "alice", &["alice", "bob", "carol"]);

    // One-to-one, with options the receiver sees.
    let sent = alice.send_text_ok(
        "hi bob",
        json!({"receiver": "bob", "cloudCustomData": "cc", "needReadReceipt": true,
               "priority": "HIGH"}),
    );
    let got = bob.message();
    assert_message_keys(&got, "onRecvNewMessage");
    assert_eq!(got["msgID"], sent["msgID"], "the sender's msgID");
    assert_eq!(got["id"], sent["msgID"]);
    assert_eq!(got["textElem"]["text"], "hi bob");
    assert_eq!(got["sender"], "alice");
    assert_eq!(got["userID"], "alice");
    assert_eq!(got["isSelf"], false);
    assert_eq!(got["isRead"], false, "new to bob");
    assert_eq!(got["isPeerRead"], false);
    assert_eq!(got["status"], 2);
    assert_eq!(got["cloudCustomData"], "cc");
    assert_eq!(got["needReadReceipt"], true);
    assert_eq!(got["timestamp"], sent["timestamp"]);
    assert_eq!(got["nickName"], "Alice A.");
    assert_eq!(got["faceUrl"], "https://faces.example/a.png");
    assert_eq!(
        sent["nickName"],
        Value::Null,
        "the sender's own result has no profile"
    );

    // A group message with @: every member, with the @ list.
    let id = alice.call_wait(
        "createTextAtMessage",
        json!({"text": "@bob look", "atUserList": ["bob"]}),
    );
    let id = id.json["data"]["id"].as_str().unwrap().to_string();
    let sent = alice.send(&id, json!({"groupID": "g-recv"}));
    assert_eq!(sent.code, 0, "{}", sent.json);
    let got = bob.message();
    assert_eq!(got["msgID"], sent.json["data"]["msgID"]);
    assert_eq!(got["groupID"], "g-recv");
    assert_eq!(got["groupAtUserList"], json!(["bob"]));
    assert_eq!(got["userID"], Value::Null);
    assert_eq!(got["nickName"], "Alice A.");
    assert_eq!(got["faceUrl"], "https://faces.example/a.png");

    // An account without a profile: both null.
    let carol = TestClient::new(&s.url, "carol");
    carol.send_text_ok("hi from carol", json!({"receiver": "bob"}));
    let got = bob.message();
    assert_eq!(got["sender"], "carol");
    assert_eq!(got["nickName"], Value::Null);
    assert_eq!(got["faceUrl"], Value::Null);

    // Targeted at carol only: bob does not get it; the next message to bob is the next event.
    let id = alice.text("for carol");
    let t = alice.call_wait(
        "createTargetedGroupMessage",
        json!({"id": id, "receiverList": ["carol"]}),
    );
    let tid = t.json["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(alice.send(&tid, json!({"groupID": "g-recv"})).code, 0);
    alice.send_text_ok("after the targeted one", json!({"receiver": "bob"}));
    assert_eq!(bob.message()["textElem"]["text"], "after the targeted one");

    // The copy of bob's own send does not come back to the client that sent it.
    let sent = bob
        .client
        .send_text_ok("from bob", json!({"receiver": "alice"}));
    alice.send_text_ok("marker", json!({"receiver": "bob"}));
    let next = bob.message();
    assert_eq!(
        next["textElem"]["text"], "marker",
        "own send {sent} came back"
    );
}

#[test]
fn online_only_messages_reach_only_open_channels() {
    let s = TestServer::start();
    s.admin(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "Alice"}),
    );
    let alice = TestClient::new(&s.url, "alice");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.url, "bob");
    cfg["dataDir"] = json!(dir.path().to_str().unwrap());
    let bob = Receiver::with(cfg.clone());

    // Online: received, marked online-only, never in history.
    let typing = alice.send_text_ok(
        "typing...",
        json!({"receiver": "bob", "onlineUserOnly": true}),
    );
    let got = bob.message();
    assert_eq!(got["textElem"]["text"], "typing...");
    assert_eq!(got["isOnlineOnly"], true);
    assert_eq!(got["msgID"], typing["msgID"]);
    assert_eq!(
        got["nickName"], "Alice",
        "online-only lines carry the profile too"
    );
    assert_eq!(got["faceUrl"], Value::Null);
    assert!(
        s.roam("bob", "alice").is_empty(),
        "online-only kept in history"
    );

    // Offline (the client is gone): the online-only message is lost for bob by design; the
    // stored one after it comes when bob's client starts again from its dataDir's cursor.
    drop(bob);
    alice.send_text_ok(
        "typing again",
        json!({"receiver": "bob", "onlineUserOnly": true}),
    );
    alice.send_text_ok("a real message", json!({"receiver": "bob"}));
    let bob = Receiver::with(cfg);
    assert_eq!(bob.message()["textElem"]["text"], "a real message");
    let late = bob.none_within("onRecvNewMessage", Duration::from_millis(500));
    assert!(late.is_empty(), "unexpected: {late:?}");
}

#[test]
fn received_messages_of_an_earlier_run_are_found_and_forwarded() {
    let s = TestServer::start();
    s.admin(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "Alice", "FaceUrl": "f.png"}),
    );
    let alice = TestClient::new(&s.url, "alice");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.url, "bob");
    cfg["dataDir"] = json!(dir.path().to_str().unwrap());
    let bob = Receiver::with(cfg.clone());
    let sent = alice.send_text_ok(
        "keep me",
        json!({"receiver": "bob", "cloudCustomData": "c"}),
    );
    let got = bob.message();
    assert_eq!(got["msgID"], sent["msgID"]);
    drop(bob);

    // A new client on the same dataDir (no listener: nothing is received meanwhile).
    let bob = TestClient::with_config(cfg);
    let found = bob.call_wait("findMessages", json!({"messageIDList": [sent["msgID"]]}));
    assert_eq!(found.code, 0, "{}", found.json);
    let m = &found.json["data"][0];
    assert_eq!(m["msgID"], sent["msgID"], "{}", found.json);
    assert_eq!(m["textElem"]["text"], "keep me");
    assert_eq!(m["isSelf"], false);
    assert_eq!(m["cloudCustomData"], "c");
    assert_eq!(
        m["nickName"], "Alice",
        "the profile is stored with the message"
    );
    assert_eq!(m["faceUrl"], "f.png");
    let fwd = bob.call_wait("createForwardMessage", json!({"msgID": sent["msgID"]}));
    assert_eq!(fwd.code, 0, "{}", fwd.json);
    let id = fwd.json["data"]["id"].as_str().unwrap().to_string();
    let out = bob.send(&id, json!({"receiver": "carol"}));
    assert_eq!(out.code, 0, "{}", out.json);
    assert_eq!(out.json["data"]["textElem"]["text"], "keep me");
    assert_eq!(out.json["data"]["sender"], "bob");
}

#[test]
fn read_marks_receipts_conversations_and_unread_counts() {
    let s = TestServer::start();
    let alice = Receiver::new(&s.url, "alice");
    let bob = Receiver::new(&s.url, "bob");
    s.create_group("g-rr", "alice", &["alice", "bob", "carol"]);

    // Three to bob: one excluded from the unread count, one from the last message.
    alice.client.send_text_ok("one", json!({"receiver": "bob"}));
    alice.client.send_text_ok(
        "quiet",
        json!({"receiver": "bob", "isExcludedFromUnreadCount": true}),
    );
    alice.client.send_text_ok(
        "not last",
        json!({"receiver": "bob", "isExcludedFromLastMessage": true}),
    );
    for _ in 0..3 {
        bob.message();
    }
    let conv = bob.wait("onConversationChanged", |d| {
        d[0]["conversationID"] == "c2c_alice" && d[0]["unreadCount"] == 2
    });
    assert_eq!(conv[0]["type"], 1);
    assert_eq!(conv[0]["userID"], "alice");
    assert_eq!(conv[0]["lastMessage"]["textElem"]["text"], "quiet");

    let list = bob
        .client
        .call_wait("getConversationList", json!({"nextSeq": "0", "count": 10}));
    assert_eq!(list.code, 0, "{}", list.json);
    let convs = &list.json["data"]["conversationList"];
    assert_eq!(convs.as_array().unwrap().len(), 1, "{}", list.json);
    assert_eq!(convs[0]["unreadCount"], 2);
    assert_eq!(convs[0]["lastMessage"]["textElem"]["text"], "quiet");
    assert_eq!(list.json["data"]["isFinished"], true);

    // A group message with a receipt request.
    let g = alice.client.send_text_ok(
        "read me",
        json!({"groupID": "g-rr", "needReadReceipt": true}),
    );
    let got = bob.message();
    assert_eq!(got["needReadReceipt"], true);
    let total = bob
        .client
        .call_wait("getTotalUnreadMessageCount", json!({}));
    assert_eq!(total.code, 0, "{}", total.json);
    assert_eq!(total.json["data"], 3, "2 one-to-one + 1 group");

    // Bob reads alice's one-to-one messages: alice gets the C2C receipt.
    let r = bob
        .client
        .call_wait("markC2CMessageAsRead", json!({"userID": "alice"}));
    assert_eq!(r.code, 0, "{}", r.json);
    let receipt = alice.wait("onRecvC2CReadReceipt", |_| true);
    assert_eq!(receipt[0]["userID"], "bob");
    assert!(receipt[0]["timestamp"].as_i64().unwrap() > 0);
    bob.wait("onTotalUnreadMessageCountChanged", |d| {
        d["totalUnreadCount"] == 1
    });

    // Bob sends a receipt for the group message: alice sees 1 read, 1 unread (carol).
    let r = bob.client.call_wait(
        "sendMessageReadReceipts",
        json!({"messageIDList": [got["msgID"]]}),
    );
    assert_eq!(r.code, 0, "{}", r.json);
    let receipts = alice.wait("onRecvMessageReadReceipts", |_| true);
    assert_eq!(receipts[0]["msgID"], g["msgID"]);
    assert_eq!(receipts[0]["groupID"], "g-rr");
    assert_eq!(receipts[0]["readCount"], 1);
    assert_eq!(receipts[0]["unreadCount"], 1);
    let counts = alice.client.call_wait(
        "getMessageReadReceipts",
        json!({"messageIDList": [g["msgID"]]}),
    );
    assert_eq!(counts.code, 0, "{}", counts.json);
    assert_eq!(counts.json["data"][0]["readCount"], 1);
    assert_eq!(counts.json["data"][0]["unreadCount"], 1);

    // Receipts apply only where they mean something: 6017 naming the message and why.
    let own = alice.client.call_wait(
        "sendMessageReadReceipts",
        json!({"messageIDList": [g["msgID"]]}),
    );
    assert_eq!(own.code, 6017, "{}", own.json);
    assert!(own.json["desc"].as_str().unwrap().contains("own"));
    let plain = alice
        .client
        .send_text_ok("no receipt", json!({"groupID": "g-rr"}));
    let no = alice.client.call_wait(
        "getMessageReadReceipts",
        json!({"messageIDList": [plain["msgID"]]}),
    );
    assert_eq!(no.code, 6017, "{}", no.json);
    assert!(no.json["desc"]
        .as_str()
        .unwrap()
        .contains("needReadReceipt"));

    // Bob marks the group read: nothing unread is left.
    let r = bob
        .client
        .call_wait("markGroupMessageAsRead", json!({"groupID": "g-rr"}));
    assert_eq!(r.code, 0, "{}", r.json);
    bob.wait("onTotalUnreadMessageCountChanged", |d| {
        d["totalUnreadCount"] == 0
    });
    let total = bob
        .client
        .call_wait("getTotalUnreadMessageCount", json!({}));
    assert_eq!(total.json["data"], 0);

    // An online-only message is never stored, so it takes no receipt and has no counts: 6017
    // on both sides before anything is sent (the server would answer 10062).
    let online = alice.client.send_text_ok(
        "typing",
        json!({"groupID": "g-rr", "needReadReceipt": true, "onlineUserOnly": true}),
    );
    let got_online = bob.message();
    assert_eq!(got_online["msgID"], online["msgID"]);
    for (client, method, id) in [
        (&bob.client, "sendMessageReadReceipts", &got_online["msgID"]),
        (&alice.client, "getMessageReadReceipts", &online["msgID"]),
    ] {
        let r = client.call_wait(method, json!({"messageIDList": [id]}));
        assert_eq!(r.code, 6017, "{method}: {}", r.json);
        assert!(
            r.json["desc"].as_str().unwrap().contains("online only"),
            "{method}: {}",
            r.json
        );
    }

    // A message the server no longer has (its group was destroyed and made again): the call
    // fails with the server's per-message code, naming the message, not a silent success.
    s.admin(
        "group_open_http_svc/destroy_group",
        json!({"GroupId": "g-rr"}),
    );
    s.create_group("g-rr", "alice", &["alice", "bob", "carol"]);
    let gone = bob.client.call_wait(
        "sendMessageReadReceipts",
        json!({"messageIDList": [got["msgID"]]}),
    );
    assert_eq!(gone.code, 10062, "{}", gone.json);
    assert!(
        gone.json["desc"]
            .as_str()
            .unwrap()
            .contains(got["msgID"].as_str().unwrap()),
        "{}",
        gone.json
    );
}

#[test]
fn a_server_without_a_channel_is_reported_once() {
    // A plain HTTP server that knows no channel (as Tencent's cloud): every request is 404.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let mut cfg = config(&url, "bob");
    cfg["receive"] = json!(true);
    let client = TestClient::with_config(cfg);
    let events = Sink::new();
    client.listen(&events);
    let mut failed = Vec::new();
    let mut connecting = 0;
    let deadline = Instant::now() + Duration::from_secs(3);
    while let Ok(e) = events
        .rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        match e.json["event"].as_str() {
            Some("onConnecting") => connecting += 1,
            Some("onConnectFailed") => failed.push(e.json["data"].clone()),
            _ => {}
        }
    }
    assert_eq!(connecting, 1, "no retry loop");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["code"], v2im::codes::V2IM_ERR_NO_CHANNEL);
    assert!(failed[0]["desc"].as_str().unwrap().contains("v2im-server"));
}

/// msgIDs of `n` texts sent from `alice` to `peer`, in order (sent asynchronously; waits for
/// every result).
fn send_many(alice: &TestClient, peer: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| alice.text(&format!("m{i}"))).collect();
    for (i, id) in ids.iter().enumerate() {
        let p = json!({"id": id, "receiver": peer, "@extra": i});
        assert_eq!(alice.call("sendMessage", &p), 0);
    }
    let mut msg_ids = vec![String::new(); n];
    for _ in 0..n {
        let d = alice
            .sink
            .rx
            .recv_timeout(Duration::from_secs(120))
            .expect("a send result");
        assert_eq!(d.code, 0, "{}", d.json);
        let i = d.json["@extra"].as_u64().unwrap() as usize;
        msg_ids[i] = d.json["data"]["msgID"].as_str().unwrap().to_string();
    }
    msg_ids
}

#[test]
fn delivery_is_exactly_once_and_in_order_across_server_kills() {
    const TOTAL: usize = 5000;
    let mut server = ServerProc::start(HELPER);
    let mut cfg = config(server.url(), "alice");
    cfg["maxRetries"] = json!(10);
    cfg["requestTimeoutMs"] = json!(3000);
    let alice = TestClient::with_config(cfg);
    let bob = Receiver::new(server.url(), "bob");
    let started = Instant::now();
    // A watcher counts what bob receives; the server is killed three times meanwhile.
    let kill_at = [TOTAL / 4, TOTAL / 2, 3 * TOTAL / 4];
    let (counted, watcher) = {
        let rx = bob.events.rx.clone();
        let (tx, counted) = crossbeam_channel::unbounded();
        let watcher = std::thread::spawn(move || {
            let mut got = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(240);
            while got.len() < TOTAL && Instant::now() < deadline {
                if let Ok(e) = rx.recv_timeout(Duration::from_secs(1)) {
                    if e.json["event"] == "onRecvNewMessage" {
                        got.push(
                            e.json["data"]["message"]["msgID"]
                                .as_str()
                                .unwrap_or("")
                                .to_string(),
                        );
                        let _ = tx.send(got.len());
                    }
                }
            }
            got
        });
        (counted, watcher)
    };
    // The sends are asynchronous: queue them all, then kill while they drain.
    let ids: Vec<String> = (0..TOTAL).map(|i| alice.text(&format!("m{i}"))).collect();
    for (i, id) in ids.iter().enumerate() {
        let p = json!({"id": id, "receiver": "bob", "@extra": i});
        assert_eq!(alice.call("sendMessage", &p), 0);
    }
    let mut kills = 0;
    while kills < kill_at.len() {
        let n = counted
            .recv_timeout(Duration::from_secs(120))
            .expect("bob keeps receiving");
        if n >= kill_at[kills] {
            server.kill();
            std::thread::sleep(Duration::from_millis(fastrand::u64(100..400)));
            server.restart();
            kills += 1;
        }
    }
    let mut msg_ids = vec![String::new(); TOTAL];
    for _ in 0..TOTAL {
        let d = alice
            .sink
            .rx
            .recv_timeout(Duration::from_secs(120))
            .expect("a send result");
        assert_eq!(d.code, 0, "{}", d.json);
        msg_ids[d.json["@extra"].as_u64().unwrap() as usize] =
            d.json["data"]["msgID"].as_str().unwrap().to_string();
    }
    let got = watcher.join().unwrap();
    assert_eq!(got.len(), TOTAL, "received {} of {TOTAL}", got.len());
    assert_eq!(got, msg_ids, "every message once, in the order sent");
    let late = bob.none_within("onRecvNewMessage", Duration::from_millis(500));
    assert!(late.is_empty(), "{} extra", late.len());
    eprintln!(
        "{TOTAL} messages received through {kills} server kills in {:?}",
        started.elapsed()
    );
}

/// The "receiver" role: bob with `receive` and the `dataDir` `V2IM_TEST_DATA_DIR`, printing
/// `recv <msgID> <redelivered 0|1>` for each received message, until killed.
fn receiver_child() {
    child::exit_with_parent();
    let url = std::env::var("V2IM_TEST_URL").expect("V2IM_TEST_URL");
    let dir = std::env::var("V2IM_TEST_DATA_DIR").expect("V2IM_TEST_DATA_DIR");
    let mut cfg = config(&url, "bob");
    cfg["receive"] = json!(true);
    cfg["dataDir"] = json!(dir);
    let client = TestClient::with_config(cfg);
    // The line goes out inside the listener: once it returns, the library counts the message
    // as the listener's, and a kill right after must not lose it from the parent's count.
    // SAFETY: live client; the callback uses no user data.
    let rc = unsafe {
        v2im::ffi::v2im_set_event_callback(
            client.ptr,
            Some(report_to_parent),
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!(rc, 0);
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The receiver child's listener: "ready" once the channel is open (its cursor is set, so the
/// parent may send), and "recv <msgID> <redelivered>" per message.
unsafe extern "C" fn report_to_parent(_: *mut std::ffi::c_void, json: *const std::ffi::c_char) {
    static READY: std::sync::Once = std::sync::Once::new();
    // SAFETY: the library passes a valid NUL-terminated string.
    let text = unsafe { std::ffi::CStr::from_ptr(json) }.to_string_lossy();
    let e: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if e["event"] == "onConnectSuccess" {
        READY.call_once(|| child::tell_parent("ready"));
    }
    if e["event"] == "onRecvNewMessage" {
        let d = &e["data"];
        child::tell_parent(&format!(
            "recv {} {}",
            d["message"]["msgID"].as_str().unwrap_or(""),
            u8::from(d["redelivered"] == true)
        ));
    }
}

/// The helper every child process runs: a server or a receiving client, by its role.
#[test]
fn child_process() {
    child::serve_if_server_child();
    if child::role().as_deref() == Some("receiver") {
        receiver_child();
    }
}

#[test]
fn a_killed_receiver_resumes_from_its_data_dir_losing_and_repeating_nothing() {
    const TOTAL: usize = 5000;
    let s = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("V2IM_TEST_URL", s.url.clone()),
        ("V2IM_TEST_DATA_DIR", dir.path().display().to_string()),
    ];
    // (A restarted receiver first gives again what it may not have reported, then says
    // "ready"; the loop below skips that line.)
    let spawn = || ChildProc::spawn(HELPER, "receiver", &env);
    // The first run opens the channel (its cursor: from now on) before anything is sent; the
    // messages go out from another thread while the receiver is killed twice.
    let mut child = spawn();
    assert_eq!(
        child.next_line(Duration::from_secs(20)).as_deref(),
        Some("ready")
    );
    let url = s.url.clone();
    let sender = std::thread::spawn(move || {
        let alice = TestClient::new(&url, "alice");
        send_many(&alice, "bob", TOTAL)
    });
    let mut runs: Vec<Vec<(String, bool)>> = vec![Vec::new()];
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut firsts = HashSet::new();
    let mut take = |line: &str, runs: &mut Vec<Vec<(String, bool)>>| {
        let mut parts = line.split(' ');
        if parts.next() == Some("recv") {
            let id = parts.next().unwrap_or("").to_string();
            let redelivered = parts.next() == Some("1");
            firsts.insert(id.clone());
            runs.last_mut().unwrap().push((id, redelivered));
        }
    };
    while let Some(line) = child.next_line(Duration::from_secs(30)) {
        take(&line, &mut runs);
        let seen: HashSet<&String> = runs.iter().flatten().map(|(id, _)| id).collect();
        if seen.len() >= TOTAL || Instant::now() > deadline {
            break;
        }
        if kills < 2 && seen.len() >= (kills + 1) * TOTAL / 3 {
            child.kill();
            // What it wrote before it died is still in the pipe: those were reported too.
            while let Some(line) = child.next_line(Duration::from_secs(2)) {
                take(&line, &mut runs);
            }
            child = spawn();
            runs.push(Vec::new());
            kills += 1;
        }
    }
    let msg_ids = sender.join().expect("the sender");
    assert_eq!(kills, 2, "{} of {TOTAL} received", firsts.len());
    // Nothing lost.
    let missing: Vec<(usize, &String)> = msg_ids
        .iter()
        .enumerate()
        .filter(|(_, m)| !firsts.contains(*m))
        .collect();
    let sizes: Vec<usize> = runs.iter().map(Vec::len).collect();
    assert!(
        missing.is_empty() && firsts.len() == TOTAL,
        "received {} of {TOTAL}; missing (index, msgID): {missing:?}; lines per run {sizes:?}",
        firsts.len()
    );
    // Nothing twice but what a restart gives again, marked; within a run, in send order.
    let order: HashMap<&String, usize> = msg_ids.iter().enumerate().map(|(i, m)| (m, i)).collect();
    let mut seen = HashSet::new();
    for run in &runs {
        let mut last = None;
        for (id, redelivered) in run {
            if !seen.insert(id.clone()) {
                assert!(
                    *redelivered,
                    "{id} given twice without being marked redelivered"
                );
            }
            if !redelivered {
                let i = order[id];
                assert!(last.is_none_or(|l| i > l), "out of order: {id}");
                last = Some(i);
            }
        }
    }
    let redelivered: usize = runs.iter().flatten().filter(|(_, r)| *r).count();
    eprintln!("{TOTAL} messages through {kills} receiver kills; {redelivered} given again");
}
