//! History paging and msgIDs; the send queue's order, cancellation and overflow rules.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;
use v2im::codes;

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["textElem"]["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgID"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn c2c_history_is_newest_first_pages_and_keeps_msg_ids() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    let sent: Vec<String> = (0..5)
        .map(|i| {
            a.send_text_ok(&format!("m{i}"), json!({"receiver": "bob"}))["msgID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let page = |c: &TestClient, peer: &str, last: Option<&str>| {
        let mut p = json!({"userID": peer, "count": 2});
        if let Some(l) = last {
            p["lastMsgID"] = json!(l);
        }
        let d = c.call_wait("getC2CHistoryMessageList", p);
        assert_eq!(d.code, 0, "{}", d.json);
        d.json["data"].clone()
    };
    let p1 = page(&a, "bob", None);
    assert_eq!(texts(&p1), ["m4", "m3"]);
    assert_eq!(ids(&p1), [sent[4].clone(), sent[3].clone()]);
    let p2 = page(&a, "bob", Some(&sent[3]));
    assert_eq!(texts(&p2), ["m2", "m1"]);
    let p3 = page(&a, "bob", Some(&sent[1]));
    assert_eq!(texts(&p3), ["m0"]);
    assert_eq!(ids(&p3), [sent[0].clone()]);
    assert!(page(&a, "bob", Some(&sent[0]))
        .as_array()
        .unwrap()
        .is_empty());
    // The receiver sees the same msgIDs, as messages not its own.
    let b = TestClient::new(&s.url, "bob");
    let all = b.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "alice", "count": 10}),
    );
    let list = &all.json["data"];
    assert_eq!(ids(list), sent.iter().rev().cloned().collect::<Vec<_>>());
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["isSelf"] == false && m["sender"] == "alice" && m["status"] == 2));
}

#[test]
fn group_history_pages_past_the_20_message_limit() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    s.create_group("g-h", "alice", &["alice", "bob"]);
    let sent: Vec<String> = (0..25)
        .map(|i| {
            a.send_text_ok(&format!("g{i}"), json!({"groupID": "g-h"}))["msgID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let d = a.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "g-h", "count": 22}),
    );
    assert_eq!(d.code, 0, "{}", d.json);
    let want: Vec<String> = (3..25).rev().map(|i| format!("g{i}")).collect();
    assert_eq!(texts(&d.json["data"]), want);
    assert_eq!(ids(&d.json["data"])[0], sent[24]);
    let last = ids(&d.json["data"]).last().unwrap().clone();
    let rest = a.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "g-h", "count": 22, "lastMsgID": last}),
    );
    assert_eq!(texts(&rest.json["data"]), ["g2", "g1", "g0"]);
    assert_eq!(
        ids(&rest.json["data"]),
        [sent[2].clone(), sent[1].clone(), sent[0].clone()]
    );
    // A server error passes through with its code.
    let missing = a.call_wait(
        "getGroupHistoryMessageList",
        json!({"groupID": "no-such", "count": 5}),
    );
    assert_eq!(
        missing.code,
        v2im_wire::codes::GROUP_NOT_FOUND,
        "{}",
        missing.json
    );
}

#[test]
fn one_conversation_keeps_its_order_with_several_workers() {
    let s = TestServer::start();
    let mut cfg = config(&s.url, "alice");
    cfg["senderThreads"] = json!(4);
    let a = TestClient::with_config(cfg);
    let n = 40;
    let created: Vec<String> = (0..n).map(|i| a.text(&format!("o{i}"))).collect();
    for id in &created {
        assert_eq!(
            a.call("sendMessage", &json!({"id": id, "receiver": "bob"})),
            0
        );
    }
    for _ in 0..n {
        assert_eq!(a.sink.next().code, 0);
    }
    let stored: Vec<String> = s
        .roam("bob", "alice")
        .iter()
        .rev()
        .map(|i| {
            i["MsgBody"][0]["MsgContent"]["Text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
    assert_eq!(stored, want);
}

/// A listener that never answers: whatever is sent stays in flight until the timeout.
fn silent() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

fn offline_client(url: &str, extra: Value) -> TestClient {
    let mut cfg = config(url, "alice");
    cfg["requestTimeoutMs"] = json!(1000);
    cfg["maxRetries"] = json!(0);
    cfg["senderThreads"] = json!(1);
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    TestClient::with_config(cfg)
}

#[test]
fn cancel_takes_a_queued_message_out_and_is_too_late_in_flight() {
    let (_l, url) = silent();
    // Long enough that the message in flight cannot time out while the cancels run.
    let mut a = offline_client(&url, json!({"requestTimeoutMs": 4000}));
    let first = a.text("in flight");
    let second = a.text("queued");
    let third = a.text("queued too");
    for id in [&first, &second, &third] {
        assert_eq!(
            a.call(
                "sendMessage",
                &json!({"id": id, "receiver": "bob", "@extra": id})
            ),
            0
        );
    }
    // The one worker has taken the first message once its request reached the silent server.
    wait_unread_requests(port_of(&url), 1);
    let c = a.call_wait("cancelSendMessage", json!({"id": second}));
    // The cancelled send completes first, then the cancel call itself.
    assert_eq!(
        c.code,
        codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
        "{}",
        c.json
    );
    assert_eq!(c.json["@extra"], second.as_str());
    assert_eq!(c.json["data"]["status"], 3);
    let ok = a.sink.next();
    assert_eq!(ok.code, 0, "{}", ok.json);
    let late = a.call_wait("cancelSendMessage", json!({"id": first}));
    assert_eq!(late.code, codes::ERR_SDK_INVALID_CANCEL_MESSAGE);
    let again = a.call_wait("cancelSendMessage", json!({"id": second}));
    assert_eq!(again.code, codes::ERR_SDK_INVALID_CANCEL_MESSAGE);
    let found = a.call_wait("findMessages", json!({"messageIDList": [second]}));
    assert_eq!(found.json["data"][0]["status"], 3);
    a.free();
    let mut rest: Vec<(i32, String)> = a
        .sink
        .rx
        .try_iter()
        .map(|d| (d.code, d.json["@extra"].as_str().unwrap().to_string()))
        .collect();
    rest.sort();
    assert_eq!(
        rest,
        [
            (codes::ERR_REQUEST_TIME_OUT, first.clone()),
            (codes::V2IM_ERR_SHUTTING_DOWN, third.clone())
        ]
        .into_iter()
        .collect::<Vec<_>>()
    );
}

#[test]
fn a_full_queue_refuses_low_and_evicts_the_newest_low() {
    let (_l, url) = silent();
    let mut a = offline_client(&url, json!({"maxQueueLength": 2, "requestTimeoutMs": 4000}));
    let send = |text: &str, priority: i32| {
        let id = a.text(text);
        assert_eq!(
            a.call(
                "sendMessage",
                &json!({"id": id, "receiver": "bob", "priority": priority, "@extra": text})
            ),
            0
        );
    };
    send("in flight", 2);
    // The one worker has taken it once its request reached the silent server.
    wait_unread_requests(port_of(&url), 1);
    send("low 1", 3);
    send("low 2", 3);
    send("low 3", 3); // queue full: refused
    let refused = a.sink.next();
    assert_eq!(
        (refused.code, refused.json["@extra"].as_str().unwrap()),
        (codes::V2IM_ERR_QUEUE_FULL, "low 3")
    );
    assert_eq!(refused.json["data"]["status"], 3);
    send("high", 1); // evicts "low 2", the newest Low
    let evicted = a.sink.next();
    assert_eq!(
        (evicted.code, evicted.json["@extra"].as_str().unwrap()),
        (codes::V2IM_ERR_QUEUE_FULL, "low 2")
    );
    send("normal", 2); // evicts "low 1"
    let evicted = a.sink.next();
    assert_eq!(
        (evicted.code, evicted.json["@extra"].as_str().unwrap()),
        (codes::V2IM_ERR_QUEUE_FULL, "low 1")
    );
    send("normal 2", 0); // nothing Low left to evict: refused
    let refused = a.sink.next();
    assert_eq!(
        (refused.code, refused.json["@extra"].as_str().unwrap()),
        (codes::V2IM_ERR_QUEUE_FULL, "normal 2")
    );
    a.free();
    let mut rest: Vec<String> = a
        .sink
        .rx
        .try_iter()
        .map(|d| d.json["@extra"].as_str().unwrap().to_string())
        .collect();
    rest.sort();
    assert_eq!(rest, ["high", "in flight", "normal"]);
}

#[test]
fn a_group_message_dropped_by_rate_control_is_reported_failed() {
    let s = TestServer::start_with(|c| c.group_rate = 1);
    s.create_group("g-rate", "alice", &["alice", "bob"]);
    let a = TestClient::new(&s.url, "alice");
    let ids: Vec<String> = (0..5).map(|i| a.text(&format!("r{i}"))).collect();
    let high = a.text("important");
    for id in &ids {
        assert_eq!(
            a.call(
                "sendMessage",
                &json!({"id": id, "groupID": "g-rate", "priority": 3})
            ),
            0
        );
    }
    assert_eq!(
        a.call(
            "sendMessage",
            &json!({"id": high, "groupID": "g-rate", "priority": 1})
        ),
        0
    );
    let results: Vec<_> = (0..6).map(|_| a.sink.next()).collect();
    let dropped: Vec<_> = results
        .iter()
        .filter(|d| d.code == codes::ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT)
        .collect();
    assert!(
        dropped.len() >= 3,
        "at most one Low per second gets through: {results:?}"
    );
    for d in &dropped {
        assert_eq!(d.json["data"]["status"], 3);
    }
    let high_result = results
        .iter()
        .find(|d| d.json["data"]["id"] == high.as_str())
        .unwrap();
    assert_eq!(
        high_result.code, 0,
        "High always goes through: {}",
        high_result.json
    );
    // What the server kept is exactly what was reported sent.
    let ok = results.iter().filter(|d| d.code == 0).count();
    assert_eq!(s.group_msgs("g-rate").len(), ok);
}

/// A server that always reports another page of one message, each answer after `delay`:
/// (its URL, how many pages it served).
fn endless_history(delay: Duration) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut w = conn;
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    std::thread::sleep(delay);
                    let n = count.fetch_add(1, Ordering::SeqCst) as u64 + 1;
                    let t = 1_700_000_000 - n;
                    let key = format!("{n}_{n}_{t}");
                    let page = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
                        "Complete": 0, "MsgCnt": 1, "LastMsgTime": t, "LastMsgKey": key,
                        "MsgList": [{"From_Account": "bob", "To_Account": "alice",
                            "MsgSeq": n, "MsgRandom": n, "MsgTimeStamp": t, "MsgKey": key,
                            "MsgBody": [{"MsgType": "TIMTextElem",
                                         "MsgContent": {"Text": "again"}}]}]})
                    .to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        page.len()
                    );
                    if w.write_all(head.as_bytes())
                        .and_then(|()| w.write_all(page.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, served)
}

#[test]
fn history_paging_ends_at_one_requests_deadline() {
    // 1000 pages of one message at 200 ms each would take 200 s; the call's deadline is one
    // request's: 2 attempts × 1 s + one backoff (2 s) = 4 s.
    let (url, served) = endless_history(Duration::from_millis(200));
    let mut cfg = config(&url, "alice");
    cfg["requestTimeoutMs"] = json!(1000);
    cfg["maxRetries"] = json!(1);
    let a = TestClient::with_config(cfg);
    let t = std::time::Instant::now();
    let d = a.call_wait(
        "getC2CHistoryMessageList",
        json!({"userID": "bob", "count": 1000}),
    );
    let took = t.elapsed();
    assert_eq!(d.code, codes::ERR_REQUEST_TIME_OUT, "{}", d.json);
    assert!(
        d.json["desc"].as_str().unwrap().contains("pages"),
        "{}",
        d.json
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let pages = served.load(std::sync::atomic::Ordering::SeqCst);
    assert!(pages < 40, "{pages} pages");
}

#[test]
fn freeing_the_client_stops_history_paging_at_once() {
    let (url, served) = endless_history(Duration::from_millis(100));
    let mut a = TestClient::new(&url, "alice");
    assert_eq!(
        a.call(
            "getC2CHistoryMessageList",
            &json!({"userID": "bob", "count": 1000})
        ),
        0
    );
    // Paging is under way.
    let deadline = std::time::Instant::now() + WAIT;
    while served.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(std::time::Instant::now() < deadline, "no pages requested");
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = std::time::Instant::now();
    a.free();
    let took = t.elapsed();
    let d = a.sink.next();
    assert_eq!(d.code, codes::V2IM_ERR_SHUTTING_DOWN, "{}", d.json);
    assert!(
        took < Duration::from_secs(2),
        "v2im_client_free took {took:?}"
    );
    let after = served.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        served.load(std::sync::atomic::Ordering::SeqCst),
        after,
        "pages requested after v2im_client_free"
    );
    assert!(after < 10, "{after} pages");
}
