//! v2im-server's before-send callbacks seen from the C ABI: an app backend that refuses a
//! message makes `sendMessage` fail with Tencent's code (20006 one-to-one, 10016 group), and the
//! message is not stored.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use crate::common::*;
use serde_json::json;

/// An app backend on 127.0.0.1 that refuses every message (Tencent's `ErrorCode` 1) and
/// answers every other request OK. Runs until the test process ends.
fn refusing_backend() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/im", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                let mut out = s.try_clone().expect("clone");
                let mut r = BufReader::new(s);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut len = 0;
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h.trim_end().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    let code = if line.contains("BeforeSendMsg") { 1 } else { 0 };
                    let answer = format!(
                        r#"{{"ActionStatus":"OK","ErrorCode":{code},"ErrorInfo":"not here"}}"#
                    );
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if out.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_refused_message_fails_with_tencents_code_and_is_not_stored() {
    let backend = refusing_backend();
    let s = TestServer::start_with(|c| c.callback_url = Some(backend));
    s.create_group("g-refuse", "alice", &["alice", "bob"]);
    let a = TestClient::new(&s.url, "alice");

    let id = a.text("c2c refused");
    let d = a.send(&id, json!({"receiver": "bob"}));
    assert_eq!(d.code, 20006, "{}", d.json);
    assert!(
        d.json["desc"].as_str().unwrap_or("").contains("not here"),
        "{}",
        d.json
    );
    assert!(s.roam("bob", "alice").is_empty());

    let id = a.text("group refused");
    let d = a.send(&id, json!({"groupID": "g-refuse"}));
    assert_eq!(d.code, 10016, "{}", d.json);
    assert!(s.group_msgs("g-refuse").is_empty());
}
