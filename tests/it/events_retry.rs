//! Events after the state they report, and retries of transient failures under the same random
//! (the server keeps one copy).

use crate::common::*;
use serde_json::{json, Value};
use std::ffi::{c_char, c_void, CStr};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use v2im::ffi::*;

/// Events go to the same sink as results (code -1), so their order against results shows.
unsafe extern "C" fn event_to_sink(ud: *mut c_void, json: *const c_char) {
    // SAFETY: `ud` is the test's live Sink; `json` a NUL-terminated string.
    let (sink, text) = unsafe { (&*(ud as *const Sink), CStr::from_ptr(json)) };
    let _ = sink.tx.send(Done {
        code: -1,
        json: serde_json::from_str(&text.to_string_lossy()).unwrap_or(Value::Null),
        thread: std::thread::current().id(),
    });
}

fn listen(c: &TestClient) {
    // SAFETY: live client; the sink outlives it.
    let rc = unsafe { v2im_set_event_callback(c.ptr, Some(event_to_sink), c.sink.ptr(), None) };
    assert_eq!(rc, 0);
}

#[test]
fn events_come_after_the_state_and_before_the_result() {
    let s = TestServer::start();
    let a = TestClient::new(&s.url, "alice");
    listen(&a);
    let id = a.text("evented");
    assert_eq!(
        a.call("sendMessage", &json!({"id": id, "receiver": "bob"})),
        0
    );
    let got: Vec<Done> = (0..4).map(|_| a.sink.next()).collect();
    let names: Vec<&str> = got
        .iter()
        .map(|d| d.json["event"].as_str().unwrap_or("result"))
        .collect();
    assert_eq!(
        names,
        [
            "onMessageStatusChanged",
            "onSendMessageProgress",
            "onMessageStatusChanged",
            "result"
        ]
    );
    assert_eq!(got[0].json["data"]["status"], 1);
    assert_eq!(got[0].json["data"]["message"]["id"], id.as_str());
    assert_eq!(got[1].json["data"]["progress"], 100);
    assert_eq!(got[2].json["data"]["status"], 2);
    let msg_id = got[3].json["data"]["msgID"].clone();
    assert_eq!(got[2].json["data"]["message"]["msgID"], msg_id);
    // Committed before the event: findMessages agrees.
    let f = a.call_wait("findMessages", json!({"messageIDList": [id]}));
    assert_eq!(f.json["data"][0]["status"], 2);
    // All on the callback thread.
    assert!(got.iter().all(|d| d.thread == got[0].thread));
    assert_ne!(got[0].thread, std::thread::current().id());

    // A failure: status 3 event with the code, then the result.
    let id = a.text("to no group");
    assert_eq!(
        a.call("sendMessage", &json!({"id": id, "groupID": "nope"})),
        0
    );
    let got: Vec<Done> = (0..3).map(|_| a.sink.next()).collect();
    assert_eq!(got[1].json["event"], "onMessageStatusChanged");
    assert_eq!(got[1].json["data"]["status"], 3);
    assert_eq!(got[1].json["data"]["code"], got[2].code);
    assert_ne!(got[2].code, 0);
}

/// A forwarding proxy that passes each request on to `upstream` and, for the first `drop`
/// requests, closes the connection instead of returning the answer — as a network failure
/// after the server did its work would.
fn dropping_proxy(upstream: String, drop: usize) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().take(64) {
            let Ok(conn) = conn else { return };
            let (upstream, seen) = (upstream.clone(), seen2.clone());
            std::thread::spawn(move || serve(conn, &upstream, &seen, drop));
        }
    });
    (url, seen)
}

fn serve(conn: TcpStream, upstream: &str, seen: &AtomicUsize, drop: usize) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("/").to_string();
        let mut len = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let answer = match ureq::post(&format!("{upstream}{path}")).send_bytes(&body) {
            Ok(r) => r.into_string().unwrap_or_default(),
            Err(_) => return,
        };
        if seen.fetch_add(1, Ordering::SeqCst) < drop {
            return; // the server has it; the client never hears back
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(answer.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn a_lost_answer_is_retried_under_the_same_random_and_stored_once() {
    let s = TestServer::start();
    let (proxy, seen) = dropping_proxy(s.url.clone(), 2);
    let mut cfg = config(&proxy, "alice");
    cfg["maxRetries"] = json!(3);
    cfg["logLevel"] = json!("warn");
    let a = TestClient::with_config(cfg);
    listen(&a);
    let id = a.text("exactly once");
    assert_eq!(
        a.call("sendMessage", &json!({"id": id, "receiver": "bob"})),
        0
    );
    let mut retries = 0;
    let result = loop {
        let d = a.sink.next();
        match d.json["event"].as_str() {
            Some("onLog") => {
                let line = d.json["data"]["message"].as_str().unwrap();
                // "openim/sendmsg: <what failed> (<code>); retry 1 of 3 in <n> ms": the path
                // once, whether or not the failure's own text names it.
                assert!(
                    line.starts_with("openim/sendmsg: ")
                        && line.matches("sendmsg").count() == 1
                        && line.contains(&format!("; retry {} of 3 in ", retries + 1)),
                    "{line}"
                );
                retries += 1;
            }
            Some(_) => {}
            None => break d,
        }
    };
    assert_eq!(result.code, 0, "{}", result.json);
    assert_eq!(retries, 2, "two lost answers, two retries logged");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "the server got the message three times"
    );
    let stored: Vec<Value> = s
        .roam("bob", "alice")
        .into_iter()
        .filter(|i| i["MsgBody"][0]["MsgContent"]["Text"] == "exactly once")
        .collect();
    assert_eq!(
        stored.len(),
        1,
        "duplicates dropped by MsgRandom: {stored:?}"
    );
    assert_eq!(stored[0]["MsgKey"], result.json["data"]["msgID"]);
    assert_eq!(stored[0]["MsgRandom"], result.json["data"]["random"]);
}

#[test]
fn retries_stop_at_max_retries() {
    let s = TestServer::start();
    let (proxy, seen) = dropping_proxy(s.url.clone(), 100);
    let mut cfg = config(&proxy, "alice");
    cfg["maxRetries"] = json!(2);
    let a = TestClient::with_config(cfg);
    let id = a.text("never answered");
    let d = a.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, v2im::codes::V2IM_ERR_NETWORK, "{}", d.json);
    assert_eq!(d.json["data"]["status"], 3);
    assert_eq!(seen.load(Ordering::SeqCst), 3, "1 attempt + 2 retries");
}
