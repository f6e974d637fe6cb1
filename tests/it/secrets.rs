//! Secrets never leave in words: with a known `secretKey` and a known `userSig`, every error path
//! a test can reach (refused config, dead server, garbage and lying servers, refused sig, failed
//! upload, history, the live channel, TLS to a plain server) is driven with `logLevel` "debug",
//! and no result `desc`, result JSON, event or `onLog` line may hold either, raw or
//! percent-encoded (they travel in URLs).

use crate::common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A sig that is valid for alice, so the server's own refusals come from elsewhere.
fn alice_sig() -> String {
    v2im_wire::usersig::gen_usersig(SDKAPPID, v2im_server::TEST_SECRET_KEY, "alice", 86_400)
}

/// Every form of `secret` that could appear in text: raw and as a URL's query value.
fn forms(secret: &str) -> Vec<String> {
    let mut encoded = String::new();
    v2im_wire::url::push_query_value(&mut encoded, secret);
    vec![secret.to_string(), encoded]
}

/// Fails if any form of any secret is in `text`.
fn assert_clean(text: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} holds a secret: {text}");
    }
}

/// A server that answers every request with `answer`, as many times as asked.
fn answering(answer: &'static [u8]) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = c.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = c.read(&mut buf);
                let _ = c.write_all(answer);
            });
        }
    });
    url
}

/// Collects everything a client says: results and events, until `quiet` passes with nothing.
fn drain(c: &TestClient, events: &Sink, quiet: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let mut any = false;
        for d in c.sink.rx.try_iter().chain(events.rx.try_iter()) {
            out.push(d.json);
            any = true;
        }
        if !any {
            match events.rx.recv_timeout(quiet) {
                Ok(d) => out.push(d.json),
                Err(_) => break,
            }
        }
        if Instant::now() > deadline {
            break;
        }
    }
    out
}

/// Drives the error paths of one client configuration; returns everything it said.
fn drive(cfg: Value, media: &str) -> Vec<Value> {
    let mut cfg = cfg;
    cfg["logLevel"] = json!("debug");
    cfg["requestTimeoutMs"] = json!(800);
    cfg["maxRetries"] = json!(1);
    // Declared first, so dropped after the client, which reports events until it is freed.
    let events = Sink::new();
    let c = TestClient::with_config(cfg);
    c.listen(&events);
    let mut said = Vec::new();
    // A send (text and file: the upload URL carries the sig too) and a history call.
    let id = c.text("secret?");
    said.push(c.send(&id, json!({"receiver": "bob"})).json);
    let d = c.call_wait(
        "createFileMessage",
        json!({"filePath": media, "fileName": "f.bin"}),
    );
    if let Some(id) = d.json["data"]["id"].as_str() {
        said.push(c.send(id, json!({"receiver": "bob"})).json);
    }
    said.push(
        c.call_wait(
            "getC2CHistoryMessageList",
            json!({"userID": "bob", "count": 5}),
        )
        .json,
    );
    said.extend(drain(&c, &events, Duration::from_millis(300)));
    said
}

#[test]
fn no_error_path_shows_the_secret_key_or_the_user_sig() {
    let s = TestServer::start();
    let sig = alice_sig();
    let mut secrets = forms(v2im_server::TEST_SECRET_KEY);
    secrets.extend(forms(&sig));
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("f.bin");
    std::fs::write(&media, b"some bytes").unwrap();
    let media = media.to_str().unwrap();

    // A config refused for another key still holds both secrets: the refusal names neither.
    for bad in [
        json!({"sdkAppID": SDKAPPID, "userID": "alice", "secretKey": v2im_server::TEST_SECRET_KEY,
               "userSig": sig, "serverUrl": s.url, "requestTimeoutMs": "soon"}),
        json!({"sdkAppID": SDKAPPID, "userID": "alice", "userSig": sig, "serverUrl": "nope://x"}),
        json!({"sdkAppID": SDKAPPID, "userID": "alice", "secretKey": v2im_server::TEST_SECRET_KEY,
               "serverUrl": s.url, "secretKeyy": v2im_server::TEST_SECRET_KEY}),
    ] {
        let sink = Sink::new();
        let mut ptr = std::ptr::null_mut();
        let text = cstring(&bad.to_string());
        // SAFETY: valid strings and out pointer; `sink` outlives the call.
        let rc = unsafe {
            v2im::ffi::v2im_client_new(text.as_ptr(), &mut ptr, Some(collect), sink.ptr())
        };
        // The callback ran on this thread before the call returned.
        let said = sink.rx.try_recv().expect("a result").json.to_string();
        assert_ne!(rc, 0, "{bad}");
        assert_clean(&said, &secrets, "a refused config's result");
    }

    // Each way a server can fail, with the secret key and with an explicit sig.
    let servers = [
        ("dead", "http://127.0.0.1:1".to_string()),
        (
            "garbage",
            answering(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!"),
        ),
        (
            "error page",
            answering(b"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\n<h1>x"),
        ),
        ("silent close", answering(b"")),
        (
            "plain, spoken to as TLS",
            s.url.replace("http://", "https://"),
        ),
    ];
    let mut said = Vec::new();
    for (name, url) in &servers {
        let mut with_key = config(url, "alice");
        with_key["uploadUrl"] = json!(format!("{url}/files"));
        let mut with_sig = with_key.clone();
        with_sig.as_object_mut().unwrap().remove("secretKey");
        with_sig["userSig"] = json!(sig);
        for cfg in [with_key, with_sig] {
            let got = drive(cfg, media);
            assert!(
                got.iter()
                    .any(|v| v["code"].as_i64().unwrap_or(0) != 0 || v.get("desc").is_some()),
                "{name}: no failure seen"
            );
            said.push((name.to_string(), got));
        }
    }
    // The real server, refusing a sig made for someone else, and the live channel refused.
    let mut wrong = config(&s.url, "alice");
    wrong.as_object_mut().unwrap().remove("secretKey");
    wrong["userSig"] = json!(v2im_wire::usersig::gen_usersig(
        SDKAPPID,
        "another key altogether",
        "alice",
        86_400
    ));
    secrets.extend(forms(wrong["userSig"].as_str().unwrap()));
    wrong["receive"] = json!(true);
    said.push(("refused sig".into(), drive(wrong, media)));
    let mut dead_channel = config("http://127.0.0.1:1", "alice");
    dead_channel["receive"] = json!(true);
    said.push(("dead channel".into(), drive(dead_channel, media)));

    let mut lines = 0;
    for (name, got) in &said {
        for v in got {
            assert_clean(&v.to_string(), &secrets, name);
            lines += 1;
        }
    }
    assert!(lines > 30, "only {lines} results and events seen");
}
