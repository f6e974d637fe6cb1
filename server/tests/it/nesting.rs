//! How deep a request may nest: merged messages (`TIMRelayElem` inside `TIMRelayElem`) up to
//! the shared limit, so that every answer holding them stays readable by every client; and any
//! deeper JSON is refused with a code, never a crash.

use crate::common::*;
use serde_json::{json, Value};
use v2im_wire::codes::limits::MAX_MERGER_LAYERS as LIMIT;

/// A `MsgBody` of one merged message nesting `layers` deep around a text.
fn relay_body(layers: usize) -> Value {
    let mut body = text("inside");
    for i in 0..layers {
        body = json!([{"MsgType": "TIMRelayElem", "MsgContent": {
            "Title": "t", "MsgNum": 1, "CompatibleText": "c", "AbstractList": [],
            "MsgList": [{"From_Account": "alice", "MsgSeq": i, "MsgRandom": i, "MsgTimeStamp": T0,
                         "MsgBody": body}]}}]);
    }
    body
}

#[test]
fn an_ordinary_account_cannot_store_a_message_nested_past_the_limit() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g", "alice", &["bob"]);
    let deep = relay_body(24);
    assert!(deep.to_string().len() < 12 * 1024, "under the body limit");
    let c2c = |body: Value, random: u32| {
        s.call_as(
            "alice",
            "openim/sendmsg",
            json!({"To_Account": "bob", "MsgRandom": random, "MsgBody": body}),
        )
    };
    let group = |body: Value, random: u32| {
        s.call_as(
            "alice",
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": gid, "Random": random, "MsgBody": body}),
        )
    };
    let info = format!("MsgBody: merged messages nest 24 layers deep; at most {LIMIT} are allowed");
    let r = c2c(deep.clone(), 1);
    assert_code(&r, 90002);
    assert_eq!(r["ErrorInfo"], info, "{r}");
    let r = group(deep.clone(), 2);
    assert_code(&r, 10004);
    assert_eq!(r["ErrorInfo"], info, "{r}");
    let r = s.call(
        "openim/batchsendmsg",
        json!({"From_Account": "alice", "To_Account": ["bob"], "MsgRandom": 3, "MsgBody": deep}),
    );
    assert_code(&r, 90002);
    assert_eq!(r["ErrorInfo"], info, "{r}");
    // One past the limit is refused; the limit itself is stored and read back.
    assert_code(&c2c(relay_body(LIMIT + 1), 4), 90002);
    assert_code(&group(relay_body(LIMIT + 1), 5), 10004);
    assert_ok(&c2c(relay_body(LIMIT), 6));
    assert_ok(&group(relay_body(LIMIT), 7));
    assert_eq!(s.roam("bob", "alice").len(), 1);
    assert_eq!(s.group_history(&gid).len(), 1);
}

#[test]
fn json_deeper_than_the_parser_allows_gets_a_code_not_a_crash() {
    let s = TestServer::start();
    s.import(&["alice", "bob"]);
    let gid = s.create_group("g", "alice", &["bob"]);
    // 200,000 levels: far past any stack, under the 1 MiB request limit.
    let n = 200_000;
    let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let cases = [
        ("openim/sendmsg", 90001),
        ("openim/batchsendmsg", 90001),
        ("group_open_http_svc/send_group_msg", 10004),
        ("openim/admin_getroammsg", 90001),
        ("im_open_login_svc/account_import", 70402),
    ];
    for (path, code) in cases {
        for body in [
            format!(r#"{{"To_Account":"bob","MsgRandom":1,"MsgBody":{deep}}}"#),
            format!(r#"{{"GroupId":"{gid}","Random":1,"X":{{"a":{deep}}}}}"#),
            deep.clone(),
        ] {
            let r = s.post(&s.url_with(path, ADMIN, &s.sig(ADMIN)), &body);
            assert_code(&r, code);
            let info = r["ErrorInfo"].as_str().unwrap();
            assert!(info.contains("recursion limit exceeded"), "{path}: {info}");
        }
    }
    // A merger too deep for the parser (30 layers) is refused the same way, as an ordinary
    // account's request too.
    let r = s.call_as(
        "alice",
        "openim/sendmsg",
        json!({"To_Account": "bob", "MsgRandom": 9, "MsgBody": relay_body(30)}),
    );
    assert_code(&r, 90001);
    // The server is still there.
    assert_ok(&s.send_c2c("alice", "bob", "after", 10, Value::Null));
    assert_eq!(texts(&s.roam("bob", "alice")), ["after"]);
}
