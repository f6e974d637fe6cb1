//! Never lose a message: a server killed and restarted under load, a client killed
//! mid-run and resumed from its dataDir, priority and shedding with the server stalled, and
//! localCustomData that survives a restart and never reaches the server. Servers and killed
//! clients are real child processes (see `common::child`).

use crate::common::child::{self, ChildProc, ServerProc};
use crate::common::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use v2im::ffi::*;

/// The test that child processes run (`--exact`): see `child_process` below.
const HELPER: &str = "never_lose::child_process";

/// The helper every child process runs: a server or a sending client, by its role. In the
/// normal test run (no role) it returns at once.
#[test]
fn child_process() {
    child::serve_if_server_child();
    if child::role().as_deref() == Some("client") {
        client_child();
    }
}

/// The "client" role: sends `V2IM_TEST_COUNT` texts to bob from a client on
/// `V2IM_TEST_DATA_DIR`, one conversation, one sender thread (so most are still queued when it
/// is killed), printing `accepted <id> <random>` once sendMessage returned 0. Then waits to be
/// killed.
fn client_child() {
    child::exit_with_parent();
    let url = std::env::var("V2IM_TEST_URL").expect("V2IM_TEST_URL");
    let dir = std::env::var("V2IM_TEST_DATA_DIR").expect("V2IM_TEST_DATA_DIR");
    let n: usize = std::env::var("V2IM_TEST_COUNT")
        .expect("V2IM_TEST_COUNT")
        .parse()
        .expect("count");
    let mut cfg = config(&url, "alice");
    cfg["dataDir"] = json!(dir);
    cfg["senderThreads"] = json!(1);
    let c = TestClient::with_config(cfg);
    for i in 0..n {
        let d = c.call_wait("createTextMessage", json!({"text": format!("crash {i}")}));
        let id = d.json["data"]["id"].as_str().expect("id").to_string();
        let random = &d.json["data"]["messageInfo"]["random"];
        assert_eq!(c.send_no_cb(&json!({"id": id, "receiver": "bob"})), 0);
        child::tell_parent(&format!("accepted {id} {random}"));
    }
    child::tell_parent("all accepted");
    loop {
        std::thread::park();
    }
}

/// msgID of a history item, built as the library builds it (C2C: MsgKey; group: seq_random_time).
fn history_msg_id(item: &Value) -> String {
    match item["MsgKey"].as_str() {
        Some(k) => k.to_string(),
        None => format!(
            "{}_{}_{}",
            item["MsgSeq"], item["MsgRandom"], item["MsgTimeStamp"]
        ),
    }
}

fn count<T: std::hash::Hash + Eq>(items: impl IntoIterator<Item = T>) -> HashMap<T, usize> {
    let mut m = HashMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

#[test]
fn server_killed_five_times_while_sending_loses_and_duplicates_nothing() {
    const TOTAL: usize = 5000;
    const PEERS: [&str; 3] = ["p0", "p1", "p2"];
    const GROUPS: [&str; 2] = ["crash-g0", "crash-g1"];
    let mut server = ServerProc::start(HELPER);
    for g in GROUPS {
        server.view.create_group(g, "alice", &["alice", "bob"]);
    }
    let mut cfg = config(server.url(), "alice");
    // Enough retries to ride out a restart: backoff 100 ms doubling to 2 s over 10 retries
    // spans > 6 s, a restart takes well under one.
    cfg["maxRetries"] = json!(10);
    cfg["requestTimeoutMs"] = json!(3000);
    let a = TestClient::with_config(cfg);
    let started = Instant::now();
    // Created first: a create's synchronous result must not meet send results in the sink.
    let sent_ids: Vec<String> = (0..TOTAL).map(|i| a.text(&format!("m{i}"))).collect();
    for (i, id) in sent_ids.iter().enumerate() {
        let target = match i % 5 {
            k @ 0..=2 => json!({"receiver": PEERS[k]}),
            k => json!({"groupID": GROUPS[k - 3]}),
        };
        let mut p = target;
        p["id"] = json!(id);
        p["@extra"] = json!(id);
        assert_eq!(a.call("sendMessage", &p), 0);
    }
    let mut results: HashMap<String, Vec<Done>> = HashMap::new();
    let mut kills = 0;
    let mut done = 0;
    while done < TOTAL {
        let d = a
            .sink
            .rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a callback within 60 s");
        let id = d.json["@extra"].as_str().expect("@extra").to_string();
        results.entry(id).or_default().push(d);
        done += 1;
        if kills < 5 && done >= (kills + 1) * TOTAL / 6 {
            server.kill();
            std::thread::sleep(Duration::from_millis(fastrand::u64(100..300)));
            server.restart();
            kills += 1;
        }
    }
    assert_eq!(kills, 5);
    // Exactly once: no late second callback either.
    assert!(a.sink.rx.recv_timeout(Duration::from_millis(300)).is_err());
    let mut msg_ids = Vec::with_capacity(TOTAL);
    for id in &sent_ids {
        let r = &results[id];
        assert_eq!(r.len(), 1, "{id}: {} callbacks", r.len());
        assert_eq!(r[0].code, 0, "{id}: {}", r[0].json);
        msg_ids.push(
            r[0].json["data"]["msgID"]
                .as_str()
                .expect("msgID")
                .to_string(),
        );
    }
    assert_eq!(results.len(), TOTAL);
    let mut history = Vec::new();
    for p in PEERS {
        history.extend(server.view.roam_all("alice", p));
    }
    for g in GROUPS {
        history.extend(server.view.group_msgs_all(g));
    }
    let stored = count(history.iter().map(history_msg_id));
    let dups: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "duplicates in history: {dups:?}");
    let missing: Vec<_> = msg_ids
        .iter()
        .filter(|m| !stored.contains_key(*m))
        .collect();
    assert!(missing.is_empty(), "missing from history: {missing:?}");
    assert_eq!(history.len(), TOTAL, "history holds only these messages");
    eprintln!(
        "{TOTAL} messages through 5 server kills in {:?}",
        started.elapsed()
    );
}

/// Starts a sending client child on `dir` and SIGKILLs it once it has accepted `kill_after`
/// messages: the accepted (id, random) pairs.
fn send_and_kill(url: &str, dir: &std::path::Path, kill_after: usize) -> Vec<(String, u64)> {
    let env = [
        ("V2IM_TEST_URL", url.to_string()),
        ("V2IM_TEST_DATA_DIR", dir.display().to_string()),
        ("V2IM_TEST_COUNT", (kill_after * 4).to_string()),
    ];
    let mut c = ChildProc::spawn(HELPER, "client", &env);
    let mut accepted = Vec::new();
    let take = |line: String, accepted: &mut Vec<(String, u64)>| {
        let mut w = line.split(' ');
        if w.next() == Some("accepted") {
            let id = w.next().expect("id").to_string();
            let random = w.next().and_then(|r| r.parse().ok()).expect("random");
            accepted.push((id, random));
        }
    };
    while accepted.len() < kill_after {
        let line = c
            .next_line(Duration::from_secs(30))
            .expect("the client child accepts messages");
        take(line, &mut accepted);
    }
    c.kill();
    // The child kept sending while the lines above were read: what it told before it died (still
    // in the pipe) was accepted too.
    while let Some(line) = c.next_line(Duration::from_secs(5)) {
        take(line, &mut accepted);
    }
    accepted
}

/// Waits until none of `ids` is sending any more (findMessages): their statuses.
fn wait_settled(c: &TestClient, ids: &[String]) -> HashMap<String, i64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = c.call_wait("findMessages", json!({"messageIDList": ids}));
        let list = d.json["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            list.len(),
            ids.len(),
            "every accepted message is in the store"
        );
        let st: HashMap<String, i64> = list
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap_or("").to_string(),
                    m["status"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        if st.values().all(|s| *s != 1) {
            return st;
        }
        assert!(Instant::now() < deadline, "sends still unfinished: {st:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn client_killed_mid_run_resumes_from_its_data_dir_exactly_once() {
    let s = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let accepted = send_and_kill(&s.url, dir.path(), 300);
    let ids: Vec<String> = accepted.iter().map(|(id, _)| id.clone()).collect();

    // A new client on the same dataDir; its events are held until this listener is set.
    let mut cfg = config(&s.url, "alice");
    cfg["dataDir"] = json!(dir.path());
    let b = TestClient::with_config(cfg);
    let events = Sink::new();
    b.listen(&events);
    let status = wait_settled(&b, &ids);
    let bad: Vec<_> = status.iter().filter(|(_, s)| **s != 2).collect();
    assert!(bad.is_empty(), "not sent: {bad:?}");

    // Each resumed send reported: "resumed", then its outcome, once.
    let mut resumed = HashSet::new();
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    while let Ok(e) = events.rx.recv_timeout(Duration::from_millis(300)) {
        if e.json["event"] != "onMessageStatusChanged" {
            continue;
        }
        let id = e.json["data"]["message"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        match e.json["data"]["status"].as_i64() {
            Some(1) => assert!(resumed.insert(id), "resumed twice"),
            _ => *outcomes.entry(id).or_default() += 1,
        }
    }
    assert!(
        !resumed.is_empty(),
        "the child was killed with sends pending"
    );
    for id in &resumed {
        assert_eq!(outcomes.get(id), Some(&1), "{id}: one outcome event");
    }

    // History: every accepted message exactly once, under its original random.
    let history = s.roam_all("alice", "bob");
    let randoms = count(history.iter().map(|m| m["MsgRandom"].as_u64().unwrap()));
    for (id, r) in &accepted {
        assert_eq!(randoms.get(r), Some(&1), "{id} (random {r})");
    }
    // At most the one message the child had persisted but not yet printed is extra.
    assert!(history.len() <= accepted.len() + 1);
    assert!(randoms.values().all(|n| *n == 1), "no duplicates");

    // Ids of the new run do not collide with stored ones.
    let fresh = b.text("after restart");
    assert!(!ids.contains(&fresh), "{fresh} reused");
    eprintln!("{} accepted, {} resumed", accepted.len(), resumed.len());
}

#[test]
fn client_killed_with_resume_off_reports_each_unfinished_send_failed() {
    let s = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let accepted = send_and_kill(&s.url, dir.path(), 100);
    let ids: Vec<String> = accepted.iter().map(|(id, _)| id.clone()).collect();
    let mut cfg = config(&s.url, "alice");
    cfg["dataDir"] = json!(dir.path());
    cfg["resumePendingOnStart"] = json!(false);
    let b = TestClient::with_config(cfg);
    // Decided before the listener exists; the events wait for it.
    let status = wait_settled(&b, &ids);
    let events = Sink::new();
    b.listen(&events);
    let mut failed = HashSet::new();
    while let Ok(e) = events.rx.recv_timeout(Duration::from_millis(300)) {
        if e.json["event"] == "onMessageStatusChanged" {
            assert_eq!(e.json["data"]["status"], 3, "{}", e.json);
            assert_eq!(e.json["data"]["code"], v2im::codes::V2IM_ERR_NOT_RESUMED);
            let id = e.json["data"]["message"]["id"].as_str().unwrap();
            assert!(failed.insert(id.to_string()), "{id} reported twice");
        }
    }
    assert!(
        !failed.is_empty(),
        "the child was killed with sends pending"
    );
    for id in &ids {
        match status[id] {
            2 => assert!(!failed.contains(id)),
            3 => assert!(failed.contains(id), "{id} failed silently"),
            s => panic!("{id}: status {s}"),
        }
    }
    // A failed one can be sent again (same random: at most one copy on the server).
    let again = failed.iter().next().unwrap();
    let d = b.send(again, json!({"receiver": "bob"}));
    assert_eq!(d.code, 0, "{}", d.json);
}

/// Group history of `group` in server order (MsgSeq ascending): the MsgPriority of each.
fn priorities_in_seq_order(s: &TestServer, group: &str) -> Vec<i64> {
    let mut h = s.group_msgs_all(group);
    h.sort_by_key(|m| m["MsgSeq"].as_u64());
    h.iter()
        .map(|m| m["MsgPriority"].as_i64().unwrap())
        .collect()
}

#[test]
fn with_the_server_stalled_high_goes_first_and_low_is_shed_first() {
    let server = ServerProc::start(HELPER);
    server.view.create_group("prio", "alice", &["alice"]);
    server.view.create_group("shed", "carol", &["carol"]);
    // The stall lasts as long as this machine takes to queue 427 sends: no attempt may time out
    // meanwhile (a retried request leaves the server's socket, and the in-flight message could
    // run out of retries before the server is resumed).
    let mut cfg = config(server.url(), "alice");
    cfg["requestTimeoutMs"] = json!(120_000);
    let a = TestClient::with_config(cfg);
    let mut cfg = config(server.url(), "carol");
    cfg["requestTimeoutMs"] = json!(120_000);
    cfg["maxQueueLength"] = json!(20);
    let c = TestClient::with_config(cfg);
    // Created first: a create's synchronous result must not meet send results in the sink.
    let tags = |n: usize, p: &'static str| (0..n).map(move |i| format!("{p}{i}"));
    let a_msgs: Vec<(String, String, i64)> = tags(300, "L")
        .map(|t| (a.text(&t), t, 3))
        .chain(tags(100, "H").map(|t| (a.text(&t), t, 1)))
        .collect();
    let c_msgs: Vec<(String, String, i64)> = tags(22, "L")
        .map(|t| (c.text(&t), t, 3))
        .chain(tags(5, "H").map(|t| (c.text(&t), t, 1)))
        .collect();
    server.stall();
    let send = |cl: &TestClient, group: &str, (id, tag, prio): &(String, String, i64)| {
        let p = json!({"id": id, "groupID": group, "priority": prio, "@extra": tag});
        assert_eq!(cl.call("sendMessage", &p), 0);
    };
    // The first Low is taken at once and hangs in flight; the rest queue behind it.
    send(&a, "prio", &a_msgs[0]);
    send(&c, "shed", &c_msgs[0]);
    // Both are in flight once their requests reached the stopped server.
    wait_unread_requests(port_of(server.url()), 2);
    // alice: 299 Low, then 100 High.
    for m in &a_msgs[1..] {
        send(&a, "prio", m);
    }
    // carol: 20 Low fill the queue; one more Low is refused; 5 High evict the 5 newest Low.
    for m in &c_msgs[1..] {
        send(&c, "shed", m);
    }
    let mut shed = Vec::new();
    for _ in 0..6 {
        let d = c.sink.next();
        assert_eq!(d.code, v2im::codes::V2IM_ERR_QUEUE_FULL, "{}", d.json);
        assert_eq!(d.json["data"]["status"], 3);
        shed.push(d.json["@extra"].as_str().unwrap().to_string());
    }
    shed.sort();
    assert_eq!(shed, ["L16", "L17", "L18", "L19", "L20", "L21"]);
    server.resume();
    for _ in 0..400 {
        let d = a.sink.next();
        assert_eq!(d.code, 0, "{}", d.json);
    }
    for _ in 0..(26 - 6) {
        let d = c.sink.next();
        assert_eq!(d.code, 0, "{}", d.json);
    }
    // Server order: the Low that was in flight, then every High, then the other Low.
    let order = priorities_in_seq_order(&server.view, "prio");
    let expected: Vec<i64> = std::iter::once(3)
        .chain(std::iter::repeat_n(1, 100))
        .chain(std::iter::repeat_n(3, 299))
        .collect();
    assert_eq!(order, expected);
    let shed_order = priorities_in_seq_order(&server.view, "shed");
    assert_eq!(shed_order.len(), 21, "16 Low + 5 High arrived");
    assert_eq!(&shed_order[1..6], &[1; 5], "High before the queued Low");
}

#[test]
fn local_custom_data_survives_a_restart_and_never_reaches_the_server() {
    let s = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let secret_a = format!("LOCAL-ONLY-{}", fastrand::u64(..));
    let secret_b = format!("LOCAL-ONLY-{}", fastrand::u64(..));
    let mut cfg = config(&s.url, "alice");
    cfg["dataDir"] = json!(dir.path());
    let (id_a, id_b, msg_id_a) = {
        let a = TestClient::with_config(cfg.clone());
        // While it is open, a second client on the same dataDir is refused.
        let sink = Sink::new();
        let mut other = std::ptr::null_mut();
        let text = cstring(&cfg.to_string());
        // SAFETY: valid strings and out pointer; `sink` outlives the call.
        let rc = unsafe { v2im_client_new(text.as_ptr(), &mut other, Some(collect), sink.ptr()) };
        assert_eq!(rc, v2im::codes::V2IM_ERR_DATA_DIR_IN_USE);
        assert!(other.is_null());
        let d = sink.next();
        assert!(
            d.json["desc"].as_str().unwrap().contains("in use"),
            "{}",
            d.json
        );

        let id_a = a.text("with local data in sendMessage");
        let sent = a.send(
            &id_a,
            json!({"receiver": "bob", "localCustomData": secret_a}),
        );
        assert_eq!(sent.code, 0, "{}", sent.json);
        let id_b = a.text("local data set after sending");
        let sent_b = a.send(&id_b, json!({"receiver": "bob"}));
        assert_eq!(sent_b.code, 0, "{}", sent_b.json);
        let d = a.call_wait(
            "setLocalCustomData",
            json!({"msgID": sent_b.json["data"]["msgID"], "localCustomData": secret_b}),
        );
        assert_eq!(d.code, 0, "{}", d.json);
        let msg_id_a = sent.json["data"]["msgID"].as_str().unwrap().to_string();
        (id_a, id_b, msg_id_a)
    };
    // A new client (new process state) on the same dataDir.
    let b = TestClient::with_config(cfg);
    let d = b.call_wait("findMessages", json!({"messageIDList": [msg_id_a, id_b]}));
    let list = d.json["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", d.json);
    assert_eq!(list[0]["id"], id_a.as_str());
    assert_eq!(list[0]["localCustomData"], secret_a.as_str());
    assert_eq!(list[0]["status"], 2);
    assert_eq!(list[1]["localCustomData"], secret_b.as_str());
    assert_eq!(list[1]["textElem"]["text"], "local data set after sending");

    // Nowhere on the server: not in what history returns, not in its database files.
    let history = serde_json::to_string(&s.roam_all("alice", "bob")).unwrap();
    assert!(
        history.contains("local data set after sending"),
        "history read back"
    );
    for secret in [&secret_a, &secret_b] {
        assert!(!history.contains(secret.as_str()));
        for entry in std::fs::read_dir(s.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{} holds localCustomData", path.display());
        }
    }
    // ... while the client's own store does hold it.
    let local = std::fs::read(dir.path().join(v2im::DB_FILE)).unwrap_or_default();
    let wal = std::fs::read(dir.path().join("v2im.db-wal")).unwrap_or_default();
    let mine = [local, wal].concat();
    assert!(mine
        .windows(secret_b.len())
        .any(|w| w == secret_b.as_bytes()));
}
