//! Webhooks against an in-process receiver: the four Tencent callbacks (query and body field by
//! field), what a before-send answer does (refuse, drop, change, fail), `ForbidCallbackControl`,
//! push jobs, retries of after-send requests, and no loss across a SIGKILL.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::hooks::{free_port, Got, Receiver, Reply};
use crate::common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const C2C_BEFORE: &str = "C2C.CallbackBeforeSendMsg";
const C2C_AFTER: &str = "C2C.CallbackAfterSendMsg";
const GROUP_BEFORE: &str = "Group.CallbackBeforeSendMsg";
const GROUP_AFTER: &str = "Group.CallbackAfterSendMsg";

/// A test server whose callbacks go to `r` (`/cb`).
fn server(r: &Receiver, adjust: impl FnOnce(&mut v2im_server::ServerConfig)) -> TestServer {
    let url = r.url("/cb");
    TestServer::with(|c| {
        c.callback_url = Some(url);
        adjust(c);
    })
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Tencent's query, in Tencent's order.
fn assert_query(g: &Got, command: &str) {
    assert_eq!(g.path, "/cb");
    assert_eq!(
        g.raw_query,
        format!(
            "SdkAppid=1400000000&CallbackCommand={command}&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"
        )
    );
}

#[test]
fn c2c_callbacks_carry_tencents_query_and_body() {
    let r = Receiver::start();
    let s = server(&r, |_| {});
    let sent = s.send_c2c(
        "alice",
        "bob",
        "hello",
        77,
        json!({"MsgSeq": 5, "CloudCustomData": "cc"}),
    );
    assert_ok(&sent);
    assert_eq!(sent["MsgKey"], format!("5_77_{T0}"));
    // The before-send callback is answered before sendmsg is.
    let before = r.of(C2C_BEFORE);
    assert_eq!(before.len(), 1, "{before:?}");
    assert_query(&before[0], C2C_BEFORE);
    let b = &before[0].body;
    assert_eq!(
        keys(b),
        set(&[
            "CallbackCommand",
            "From_Account",
            "To_Account",
            "MsgSeq",
            "MsgRandom",
            "MsgTime",
            "MsgKey",
            "OnlineOnlyFlag",
            "MsgBody",
            "CloudCustomData",
            "EventTime"
        ])
    );
    assert_eq!(b["CallbackCommand"], C2C_BEFORE);
    assert_eq!(b["From_Account"], "alice");
    assert_eq!(b["To_Account"], "bob");
    assert_eq!(b["MsgSeq"], 5);
    assert_eq!(b["MsgRandom"], 77);
    assert_eq!(b["MsgTime"], T0);
    assert_eq!(b["MsgKey"], sent["MsgKey"]);
    assert_eq!(b["OnlineOnlyFlag"], 0);
    assert_eq!(b["MsgBody"], text("hello"));
    assert_eq!(b["CloudCustomData"], "cc");
    assert_eq!(b["EventTime"], T0 * 1000);

    let after = r.wait_for(WAIT, |g| g.iter().any(|g| g.command() == C2C_AFTER));
    let after: Vec<&Got> = after.iter().filter(|g| g.command() == C2C_AFTER).collect();
    assert_eq!(after.len(), 1);
    assert_query(after[0], C2C_AFTER);
    let a = &after[0].body;
    assert_eq!(
        keys(a),
        set(&[
            "CallbackCommand",
            "From_Account",
            "To_Account",
            "MsgSeq",
            "MsgRandom",
            "MsgTime",
            "MsgKey",
            "OnlineOnlyFlag",
            "SendMsgResult",
            "ErrorInfo",
            "UnreadMsgNum",
            "MsgBody",
            "CloudCustomData",
            "EventTime"
        ])
    );
    for k in [
        "From_Account",
        "To_Account",
        "MsgSeq",
        "MsgRandom",
        "MsgTime",
        "MsgKey",
        "OnlineOnlyFlag",
        "MsgBody",
        "CloudCustomData",
        "EventTime",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }
    assert_eq!(a["CallbackCommand"], C2C_AFTER);
    assert_eq!(a["SendMsgResult"], 0);
    assert_eq!(a["ErrorInfo"], "");
    assert_eq!(a["UnreadMsgNum"], 1);

    // An online-only message: the flag, and a seq the server picked, kept by the message.
    let sent = s.send_c2c("alice", "bob", "now", 78, json!({"MsgLifeTime": 0}));
    let before = r.of(C2C_BEFORE);
    let b = &before[1].body;
    assert_eq!(b["OnlineOnlyFlag"], 1);
    assert_eq!(b["MsgKey"], sent["MsgKey"]);
    assert_eq!(
        b["MsgKey"],
        format!("{}_78_{T0}", b["MsgSeq"].as_u64().unwrap())
    );
}

#[test]
fn group_callbacks_carry_tencents_query_and_body() {
    let r = Receiver::start();
    let s = server(&r, |_| {});
    let gid = s.create_group("g1", "alice", &["bob"]);
    let sent = s.send_group(
        &gid,
        "alice",
        "hi all",
        9,
        json!({"CloudCustomData": "gc", "TopicId": "t1"}),
    );
    assert_ok(&sent);
    let before = r.of(GROUP_BEFORE);
    assert_eq!(before.len(), 1, "{before:?}");
    assert_query(&before[0], GROUP_BEFORE);
    let b = &before[0].body;
    assert_eq!(
        keys(b),
        set(&[
            "CallbackCommand",
            "GroupId",
            "Type",
            "From_Account",
            "Operator_Account",
            "Random",
            "OnlineOnlyFlag",
            "MsgBody",
            "CloudCustomData",
            "TopicId",
            "EventTime"
        ])
    );
    assert_eq!(b["CallbackCommand"], GROUP_BEFORE);
    assert_eq!(b["GroupId"], "g1");
    assert_eq!(b["Type"], "Public");
    assert_eq!(b["From_Account"], "alice");
    assert_eq!(b["Operator_Account"], ADMIN);
    assert_eq!(b["Random"], 9);
    assert_eq!(b["OnlineOnlyFlag"], 0);
    assert_eq!(b["MsgBody"], text("hi all"));
    assert_eq!(b["CloudCustomData"], "gc");
    assert_eq!(b["TopicId"], "t1");
    assert_eq!(b["EventTime"], T0 * 1000);

    let all = r.wait_for(WAIT, |g| g.iter().any(|g| g.command() == GROUP_AFTER));
    let a = &all.iter().find(|g| g.command() == GROUP_AFTER).unwrap();
    assert_query(a, GROUP_AFTER);
    let a = &a.body;
    assert_eq!(
        keys(a),
        set(&[
            "CallbackCommand",
            "GroupId",
            "Type",
            "From_Account",
            "Operator_Account",
            "Random",
            "MsgSeq",
            "MsgTime",
            "OnlineOnlyFlag",
            "MsgBody",
            "CloudCustomData",
            "TopicId",
            "EventTime"
        ])
    );
    assert_eq!(a["CallbackCommand"], GROUP_AFTER);
    assert_eq!(a["MsgSeq"], sent["MsgSeq"]);
    assert_eq!(a["MsgTime"], sent["MsgTime"]);
    for k in [
        "GroupId",
        "Type",
        "From_Account",
        "Operator_Account",
        "Random",
        "OnlineOnlyFlag",
        "MsgBody",
        "CloudCustomData",
        "TopicId",
        "EventTime",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }

    // A member sending as itself is its own operator; a non-member's message, which the server
    // refuses, is never shown to the app.
    assert_ok(&s.call_as(
        "bob",
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "g1", "Random": 10, "MsgBody": text("mine")}),
    ));
    assert_eq!(r.of(GROUP_BEFORE)[1].body["Operator_Account"], "bob");
    assert_code(&s.send_group(&gid, "zed", "no", 11, Value::Null), 10007);
    assert_eq!(r.of(GROUP_BEFORE).len(), 2);
}

fn refuse_all(code: i64, info: &str) -> impl Fn(&Got) -> Reply {
    let body = json!({"ActionStatus": "OK", "ErrorCode": code, "ErrorInfo": info}).to_string();
    move |g: &Got| {
        if g.command().contains("Before") {
            Reply::Answer(200, body.clone())
        } else {
            Reply::ok()
        }
    }
}

#[test]
fn a_refusal_gets_tencents_code_and_nothing_is_stored() {
    let r = Receiver::on(0, refuse_all(1, "no swearing"));
    let s = server(&r, |_| {});
    let gid = s.create_group("g1", "alice", &["bob"]);
    let c2c = s.send_c2c("alice", "bob", "bad", 1, Value::Null);
    assert_code(&c2c, 20006);
    assert!(
        c2c["ErrorInfo"].as_str().unwrap().contains("no swearing"),
        "{c2c}"
    );
    assert_code(&s.send_group(&gid, "alice", "bad", 2, Value::Null), 10016);
    assert!(s.roam("bob", "alice").is_empty());
    assert!(s.group_history(&gid).is_empty());
    assert_eq!(s.unread("bob", "alice"), 0);

    // The app's own code (Tencent's 120001 to 130000) reaches the sender with its ErrorInfo.
    r.set_rule(refuse_all(120_005, "custom"));
    let c = s.send_c2c("alice", "bob", "bad", 3, Value::Null);
    assert_code(&c, 120_005);
    assert!(c["ErrorInfo"].as_str().unwrap().contains("custom"));

    // Dropped silently: the sender is answered OK, and nothing is stored or notified.
    r.set_rule(refuse_all(2, ""));
    let dropped = s.send_c2c("alice", "bob", "gone", 4, json!({"MsgSeq": 8}));
    assert_ok(&dropped);
    assert_eq!(dropped["MsgKey"], format!("8_4_{T0}"));
    let g = s.send_group(&gid, "alice", "gone", 5, Value::Null);
    assert_ok(&g);
    assert_eq!(g["MsgSeq"], 0);
    assert!(s.roam("bob", "alice").is_empty());
    assert!(s.group_history(&gid).is_empty());

    // None of them was notified after: a message that is let through is the first.
    r.set_rule(|_| Reply::ok());
    let through = s.send_c2c("alice", "bob", "fine", 6, Value::Null);
    let got = r.wait_for(WAIT, |g| g.iter().any(|g| g.command() == C2C_AFTER));
    let after: Vec<&Got> = got
        .iter()
        .filter(|g| g.command().contains("After"))
        .collect();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].body["MsgKey"], through["MsgKey"]);
}

#[test]
fn a_changed_body_is_what_is_stored_and_delivered() {
    let changed = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "***"}}],
        "CloudCustomData": "moderated"});
    let answer = changed.to_string();
    let r = Receiver::on(0, move |g| {
        if g.command().contains("Before") {
            Reply::Answer(200, answer.clone())
        } else {
            Reply::ok()
        }
    });
    let s = server(&r, |_| {});
    let gid = s.create_group("g1", "alice", &["bob"]);
    let (mut bob, _) = s.channel("bob", None);
    assert_ok(&s.send_c2c("alice", "bob", "darn", 1, json!({"CloudCustomData": "x"})));
    let roam = s.roam("bob", "alice");
    assert_eq!(texts(&roam), ["***"]);
    assert_eq!(roam[0]["CloudCustomData"], "moderated");
    let ev = bob.expect("C2cMsg");
    assert_eq!(ev["Msg"]["MsgBody"], changed["MsgBody"]);
    assert_ok(&s.send_group(&gid, "alice", "darn", 2, Value::Null));
    let hist = s.group_history(&gid);
    assert_eq!(texts(&hist), ["***"]);
    assert_eq!(hist[0]["CloudCustomData"], "moderated");
    // The after-send callbacks carry the changed message, as on Tencent's cloud.
    let got = r.wait_for(WAIT, |g| {
        g.iter().filter(|g| g.command().contains("After")).count() == 2
    });
    for a in got.iter().filter(|g| g.command().contains("After")) {
        assert_eq!(a.body["MsgBody"], changed["MsgBody"], "{:?}", a.body);
        assert_eq!(a.body["CloudCustomData"], "moderated");
    }

    // A change no sender could make (an empty body) is ignored: the message goes as sent.
    r.set_rule(|g| {
        if g.command().contains("Before") {
            Reply::Answer(200, r#"{"ErrorCode":0,"MsgBody":[]}"#.into())
        } else {
            Reply::ok()
        }
    });
    assert_ok(&s.send_c2c("alice", "bob", "as sent", 3, Value::Null));
    assert_eq!(texts(&s.roam("bob", "alice"))[0], "as sent");
}

#[test]
fn a_failed_before_send_callback_lets_the_message_through() {
    let r = Receiver::on(0, |_| Reply::Hang);
    let s = server(&r, |c| c.callback_timeout_ms = 300);
    let gid = s.create_group("g1", "alice", &["bob"]);
    type Rule = Box<dyn Fn(&Got) -> Reply + Send + Sync>;
    let replies: Vec<(&str, Rule)> = vec![
        ("a timeout", Box::new(|_| Reply::Hang)),
        (
            "garbage",
            Box::new(|_| Reply::Answer(200, "<html>hi</html>".into())),
        ),
        ("HTTP 500", Box::new(|_| Reply::Answer(500, "{}".into()))),
        ("a redirect", Box::new(|_| Reply::Redirect)),
        ("a closed connection", Box::new(|_| Reply::Close)),
        (
            "an unknown ErrorCode",
            Box::new(|_| Reply::Answer(200, r#"{"ErrorCode":7}"#.into())),
        ),
    ];
    for (i, (what, rule)) in replies.into_iter().enumerate() {
        r.set_rule(rule);
        let before = r.got().len();
        let t = format!("through {what}");
        assert_ok(&s.send_c2c("alice", "bob", &t, i as u32, Value::Null));
        assert_eq!(texts(&s.roam("bob", "alice"))[0], t, "{what}");
        assert_ok(&s.send_group(&gid, "alice", &t, i as u32, Value::Null));
        assert_eq!(texts(&s.group_history(&gid))[0], t, "{what}");
        assert!(r.got().len() > before, "{what}: the callback was made");
    }
    // An unreachable URL too.
    let gone = free_port();
    let s = TestServer::with(|c| c.callback_url = Some(format!("http://127.0.0.1:{gone}/cb")));
    assert_ok(&s.send_c2c("alice", "bob", "unreachable", 1, Value::Null));
    assert_eq!(texts(&s.roam("bob", "alice")), ["unreachable"]);
}

#[test]
fn a_slow_before_send_callback_holds_only_its_own_message() {
    let gate = Arc::new(AtomicBool::new(false));
    let g2 = gate.clone();
    // Only C2C messages have a before-send callback here, and it waits for the gate.
    let r = Receiver::on(0, move |_| Reply::Held(g2.clone()));
    let s = Arc::new(server(&r, |c| {
        c.callbacks = vec![C2C_BEFORE.into()];
        c.callback_timeout_ms = 30_000;
    }));
    let gid = s.create_group("g1", "alice", &["bob"]);
    let done = Arc::new(AtomicUsize::new(0));
    let slow = {
        let (s, done) = (s.clone(), done.clone());
        std::thread::spawn(move || {
            let r = s.send_c2c("alice", "bob", "slow", 1, Value::Null);
            done.fetch_add(1, Ordering::SeqCst);
            r
        })
    };
    r.wait_for(WAIT, |g| !g.is_empty());
    // While it waits: other senders' messages are stored and answered.
    assert_ok(&s.send_group(&gid, "bob", "group", 2, Value::Null));
    assert_ok(&s.send_c2c(
        "carol",
        "dave",
        "unchecked",
        3,
        json!({"ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"]}),
    ));
    assert_eq!(texts(&s.roam("dave", "carol")), ["unchecked"]);
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "the slow one is still waiting"
    );
    gate.store(true, Ordering::SeqCst);
    assert_ok(&slow.join().unwrap());
    assert_eq!(texts(&s.roam("bob", "alice")), ["slow"]);
}

#[test]
fn forbid_callback_control_skips_the_callbacks() {
    let r = Receiver::start();
    let mut s = server(&r, |_| {});
    let gid = s.create_group("g1", "alice", &["bob"]);
    let forbid_before = json!({"ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"]});
    assert_ok(&s.send_c2c("alice", "bob", "a", 1, forbid_before.clone()));
    assert_ok(&s.send_group(&gid, "alice", "a", 1, forbid_before));
    assert!(r.of(C2C_BEFORE).is_empty() && r.of(GROUP_BEFORE).is_empty());
    // Their after-send callbacks still come.
    r.wait_for(WAIT, |g| {
        g.iter().filter(|g| g.command().contains("After")).count() == 2
    });

    let forbid_after = json!({"ForbidCallbackControl": ["ForbidAfterSendMsgCallback"]});
    let c2c = s.send_c2c("alice", "bob", "b", 2, forbid_after.clone());
    let grp = s.send_group(&gid, "alice", "b", 2, forbid_after);
    assert_eq!(r.of(C2C_BEFORE).len(), 1);
    assert_eq!(r.of(GROUP_BEFORE).len(), 1);
    // A message sent after them is notified; they never are: neither received nor waiting in
    // the outbox once the server has stopped.
    let last = s.send_c2c("alice", "bob", "c", 3, Value::Null);
    r.wait_for(WAIT, |g| {
        g.iter()
            .any(|g| g.command() == C2C_AFTER && g.body["MsgKey"] == last["MsgKey"])
    });
    let db = s.dir.path().join("s.db");
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    drop(s);
    let forbidden = [
        c2c["MsgKey"].as_str().unwrap().to_string(),
        format!("g1_{}", grp["MsgSeq"]),
    ];
    let mut notified: Vec<String> = pending(&db).into_iter().map(|p| p.1).collect();
    drop(dir);
    notified.extend(r.got().iter().filter_map(|g| match g.command() {
        C2C_AFTER => Some(g.body["MsgKey"].as_str()?.to_string()),
        GROUP_AFTER => Some(format!(
            "{}_{}",
            g.body["GroupId"].as_str()?,
            g.body["MsgSeq"]
        )),
        _ => None,
    }));
    for f in &forbidden {
        assert!(!notified.contains(f), "{f} in {notified:?}");
    }
}

/// What the outbox of a stopped server still holds: (kind, its message) where a C2C message is
/// its MsgKey and a group message `{GroupId}_{MsgSeq}`.
fn pending(db: &std::path::Path) -> Vec<(i64, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let rows = c
        .prepare(
        "SELECT o.kind, m.msg_key FROM outbox o JOIN c2c_msgs m ON m.id = o.ref_id WHERE o.kind IN (1, 3)
         UNION ALL
         SELECT o.kind, g.group_id || '_' || g.seq FROM outbox o JOIN group_msgs g ON g.id = o.ref_id
         WHERE o.kind IN (2, 4)",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap();
    rows
}

#[test]
fn only_the_chosen_callbacks_are_made() {
    let r = Receiver::start();
    let s = server(&r, |c| c.callbacks = vec![GROUP_AFTER.into()]);
    let gid = s.create_group("g1", "alice", &["bob"]);
    assert_ok(&s.send_c2c("alice", "bob", "a", 1, Value::Null));
    let g = s.send_group(&gid, "alice", "a", 1, Value::Null);
    let got = r.wait_for(WAIT, |g| !g.is_empty());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].command(), GROUP_AFTER);
    assert_eq!(got[0].body["MsgSeq"], g["MsgSeq"]);
    // Unknown names are refused at start.
    let dir = tempfile::tempdir().unwrap();
    let mut bad = v2im_server::ServerConfig::for_test(dir.path().join("x.db"));
    bad.callback_url = Some(r.url("/cb"));
    bad.callbacks = vec!["C2C.CallbackBeforeSend".into()];
    assert!(v2im_server::start(bad).is_err());
    let mut bad = v2im_server::ServerConfig::for_test(dir.path().join("y.db"));
    bad.callback_url = Some("ftp://example.com/".into());
    assert!(v2im_server::start(bad).is_err());
}

#[test]
fn after_send_requests_are_retried_until_answered() {
    // Each request fails twice (HTTP 500, then a redirect) before it is answered.
    let seen: Arc<std::sync::Mutex<HashMap<String, usize>>> = Default::default();
    let s2 = seen.clone();
    let r = Receiver::on(0, move |g| {
        let key = format!("{}{}", g.path, g.body["MsgKey"]);
        let mut seen = s2.lock().unwrap();
        let n = seen.entry(key).or_default();
        *n += 1;
        match *n {
            1 => Reply::Answer(500, "oops".into()),
            2 => Reply::Redirect,
            _ => Reply::ok(),
        }
    });
    let push = r.url("/push");
    let s = server(&r, |c| {
        c.callbacks = vec![C2C_AFTER.into()];
        c.push_url = Some(push);
    });
    let mut sent = BTreeSet::new();
    for i in 0..5 {
        let a = s.send_c2c("alice", "bob", &format!("m{i}"), i, Value::Null);
        sent.insert(a["MsgKey"].as_str().unwrap().to_string());
    }
    let done = |g: &[Got], path: &str| -> BTreeSet<String> {
        let mut n: HashMap<String, usize> = HashMap::new();
        for g in g.iter().filter(|g| g.path == path) {
            *n.entry(g.body["MsgKey"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
        }
        n.into_iter()
            .filter(|(_, c)| *c >= 3)
            .map(|(k, _)| k)
            .collect()
    };
    let got = r.wait_for(Duration::from_secs(60), |g| {
        done(g, "/cb") == sent && done(g, "/push") == sent
    });
    assert!(got
        .iter()
        .all(|g| sent.contains(g.body["MsgKey"].as_str().unwrap())));
}

#[test]
fn push_jobs_go_to_receivers_without_a_live_channel() {
    let r = Receiver::start();
    let push = r.url("/push");
    let s = TestServer::with(|c| c.push_url = Some(push));
    s.import(&["alice", "bob", "carol", "dave"]);
    assert_ok(&s.call(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "Alice"}),
    ));
    let gid = s.create_group("g1", "alice", &["bob", "carol", "dave"]);
    let (_carol, _) = s.channel("carol", None);
    let info = json!({"OfflinePushInfo": {"PushFlag": 0, "Title": "T", "Desc": "D", "Ext": "E"}});
    let to_bob = s.send_c2c("alice", "bob", "for bob", 1, info.clone());
    // carol is online, the other three cases never push.
    s.send_c2c("alice", "carol", "for carol", 2, Value::Null);
    s.send_c2c(
        "alice",
        "bob",
        "quiet",
        3,
        json!({"OfflinePushInfo": {"PushFlag": 1}}),
    );
    s.send_c2c("alice", "bob", "now", 4, json!({"MsgLifeTime": 0}));
    s.send_group(&gid, "alice", "online", 5, json!({"OnlineOnlyFlag": 1}));
    let g = s.send_group(&gid, "alice", "for the group", 6, info);
    let last = s.send_c2c("alice", "bob", "last", 7, Value::Null);
    let group_key = format!("{}_6_{T0}", g["MsgSeq"]);
    let expected: BTreeSet<String> = [
        to_bob["MsgKey"].as_str().unwrap().to_string(),
        group_key.clone(),
        last["MsgKey"].as_str().unwrap().to_string(),
    ]
    .into();
    let key_of = |g: &Got| g.body["MsgKey"].as_str().unwrap_or("?").to_string();
    let got = r.wait_for(WAIT, |g| {
        g.iter().map(key_of).collect::<BTreeSet<_>>() == expected
    });
    // Nothing else was pushed, nor waits to be: the server is stopped and its outbox read.
    let db = s.dir.path().join("s.db");
    let mut s = s;
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    drop(s);
    let left = pending(&db);
    drop(dir);
    assert!(
        left.iter()
            .all(|(_, k)| expected.contains(k) || *k == format!("g1_{}", g["MsgSeq"])),
        "{left:?}"
    );
    let got: Vec<Got> = got.into_iter().chain(r.got()).collect();
    assert!(got.iter().all(|g| expected.contains(&key_of(g))), "{got:?}");
    assert!(got
        .iter()
        .all(|g| g.path == "/push" && g.raw_query.is_empty()));
    let c2c = got
        .iter()
        .find(|g| g.body["MsgKey"] == to_bob["MsgKey"])
        .unwrap();
    let b = &c2c.body;
    assert_eq!(
        keys(b),
        set(&[
            "PushId",
            "ChatType",
            "From_Account",
            "Nick",
            "To_Account",
            "MsgKey",
            "MsgSeq",
            "MsgRandom",
            "MsgTime",
            "OfflinePushInfo",
            "MsgBody",
            "CloudCustomData",
            "EventTime"
        ])
    );
    assert_eq!(
        b["PushId"],
        format!("C2C_bob_{}", to_bob["MsgKey"].as_str().unwrap())
    );
    assert_eq!(b["ChatType"], "C2C");
    assert_eq!(b["From_Account"], "alice");
    assert_eq!(b["Nick"], "Alice");
    assert_eq!(b["To_Account"], json!(["bob"]));
    assert_eq!(b["MsgRandom"], 1);
    assert_eq!(b["MsgTime"], T0);
    assert_eq!(
        b["OfflinePushInfo"],
        json!({"PushFlag": 0, "Title": "T", "Desc": "D", "Ext": "E"})
    );
    assert_eq!(b["MsgBody"], text("for bob"));
    assert_eq!(b["EventTime"], T0 * 1000);
    let grp = got.iter().find(|g| g.body["ChatType"] == "Group").unwrap();
    let b = &grp.body;
    assert_eq!(b["PushId"], format!("Group_g1_{}", g["MsgSeq"]));
    assert_eq!(b["GroupId"], "g1");
    assert_eq!(b["GroupName"], "g");
    assert_eq!(b["MsgSeq"], g["MsgSeq"]);
    assert_eq!(b["MsgKey"], group_key);
    // Not the sender, not carol (online): bob and dave.
    let mut to: Vec<String> = serde_json::from_value(b["To_Account"].clone()).unwrap();
    to.sort();
    assert_eq!(to, ["bob", "dave"]);
    assert_eq!(b["OfflinePushInfo"]["Title"], "T");
}

/// Sends `total` C2C messages to `url`, from `first`; returns their MsgKeys by index, and the
/// index of the first message that was not answered (the server died).
fn burst(
    url: &str,
    range: std::ops::Range<usize>,
    keys: &Arc<std::sync::Mutex<HashMap<usize, String>>>,
) -> usize {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    for i in range.clone() {
        let body = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": i,
            "MsgSeq": i, "MsgBody": text(&format!("m{i}"))});
        match call_url(&agent, url, ADMIN, "openim/sendmsg", &body) {
            Ok(r) if r["ErrorCode"] == 0 => {
                keys.lock()
                    .unwrap()
                    .insert(i, r["MsgKey"].as_str().unwrap().to_string());
            }
            _ => return i,
        }
    }
    range.end
}

#[test]
fn after_send_callbacks_and_push_jobs_survive_a_sigkill() {
    let total = 2000;
    let port = free_port();
    let cb = format!("http://127.0.0.1:{port}/cb");
    let push = format!("http://127.0.0.1:{port}/push");
    let flags = [
        "--callback-url",
        &cb,
        "--callbacks",
        "C2C.CallbackAfterSendMsg",
        "--push-url",
        &push,
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.db");
    let keys: Arc<std::sync::Mutex<HashMap<usize, String>>> = Default::default();
    // The receiver is down: every request waits in the outbox.
    let (mut child, url) = spawn_binary(&db, &flags);
    let sender = {
        let (url, keys) = (url.clone(), keys.clone());
        std::thread::spawn(move || burst(&url, 0..total, &keys))
    };
    let deadline = std::time::Instant::now() + WAIT * 3;
    while keys.lock().unwrap().len() < total / 2 {
        assert!(std::time::Instant::now() < deadline, "the burst stalled");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let first_unanswered = sender.join().unwrap();
    assert!(first_unanswered < total, "the kill came too late");

    // Restarted: the unanswered ones are sent again (a retry is recognised if it was stored),
    // then the receiver comes up.
    let (_child, url) = spawn_binary(&db, &flags);
    assert_eq!(burst(&url, first_unanswered..total, &keys), total);
    let keys: BTreeSet<String> = keys.lock().unwrap().values().cloned().collect();
    assert_eq!(keys.len(), total);
    let r = Receiver::on(port, |_| Reply::ok());
    let of = |g: &[Got], path: &str| -> BTreeSet<String> {
        g.iter()
            .filter(|g| g.path == path)
            .map(|g| g.body["MsgKey"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let got = r.wait_for(Duration::from_secs(120), |g| {
        of(g, "/cb") == keys && of(g, "/push") == keys
    });
    // Duplicates only of delivered keys (at least once), nothing else.
    let (cb, push): (Vec<&Got>, Vec<&Got>) = got.iter().partition(|g| g.path == "/cb");
    for g in &cb {
        assert_eq!(g.command(), C2C_AFTER);
        assert!(keys.contains(g.body["MsgKey"].as_str().unwrap()));
    }
    for g in &push {
        let k = g.body["MsgKey"].as_str().unwrap();
        assert_eq!(g.body["PushId"], format!("C2C_bob_{k}"));
    }
    eprintln!(
        "sigkill after {first_unanswered} answered sends: {} callbacks and {} push jobs for {total} \
         messages",
        cb.len(),
        push.len()
    );
}

#[test]
fn requests_for_a_destroyed_groups_messages_still_go() {
    // The receiver is down until the group is gone and the server has restarted, so the
    // requests are read back from the database after their messages were deleted.
    let port = free_port();
    let mut s = TestServer::with(|c| {
        c.callback_url = Some(format!("http://127.0.0.1:{port}/cb"));
        c.callbacks = vec![GROUP_AFTER.into()];
        c.push_url = Some(format!("http://127.0.0.1:{port}/push"));
    });
    let gid = s.create_group("g1", "alice", &["bob"]);
    let sent = s.send_group(&gid, "alice", "last words", 4, Value::Null);
    assert_ok(&s.call("group_open_http_svc/destroy_group", json!({"GroupId": gid})));
    s.restart();
    let r = Receiver::on(port, |_| Reply::ok());
    let got = r.wait_for(Duration::from_secs(60), |g| {
        g.iter().any(|g| g.path == "/cb") && g.iter().any(|g| g.path == "/push")
    });
    let cb = &got.iter().find(|g| g.path == "/cb").unwrap().body;
    assert_eq!(cb["CallbackCommand"], GROUP_AFTER);
    assert_eq!(cb["GroupId"], "g1");
    assert_eq!(cb["Type"], "Public");
    assert_eq!(cb["MsgSeq"], sent["MsgSeq"]);
    assert_eq!(cb["MsgBody"], text("last words"));
    let push = &got.iter().find(|g| g.path == "/push").unwrap().body;
    assert_eq!(push["To_Account"], json!(["bob"]));
    assert_eq!(push["GroupName"], "g");
    assert_eq!(push["PushId"], format!("Group_g1_{}", sent["MsgSeq"]));
}

#[test]
fn https_callbacks_trust_the_ca_file() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "v2im webhook test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
    )
    .unwrap();
    let r = Receiver::https(Arc::new(tls));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_cert.pem()).unwrap();

    let s = server(&r, |c| {
        c.callbacks = vec![C2C_BEFORE.into()];
        c.webhook_ca_file = Some(ca.clone());
    });
    assert!(r.url("/cb").starts_with("https://"));
    assert_ok(&s.send_c2c("alice", "bob", "over tls", 1, Value::Null));
    assert_eq!(r.of(C2C_BEFORE).len(), 1);
    assert_eq!(r.of(C2C_BEFORE)[0].body["MsgBody"], text("over tls"));

    // Without the CA the certificate is not trusted: the callback fails and the message goes
    // through.
    let s = server(&r, |c| c.callbacks = vec![C2C_BEFORE.into()]);
    assert_ok(&s.send_c2c("alice", "bob", "unverified", 2, Value::Null));
    assert_eq!(texts(&s.roam("bob", "alice")), ["unverified"]);
    assert_eq!(r.of(C2C_BEFORE).len(), 1);
}
