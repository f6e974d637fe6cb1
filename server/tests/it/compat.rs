//! Requests shaped like real third-party REST clients (python `requests`, string-formatting
//! clients): no Content-Type, `*` sent as `%2A`, query parameters in another order, a constant or
//! non-numeric `random`, `\uXXXX` escapes next to raw UTF-8, legacy field names.

use crate::common::*;
use serde_json::{json, Value};

// Vector V3 (Python generator): its sig contains `*`, its identifier is not ASCII.
const V3: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkSotTi*JjSk1SjVJiSs1MLcx1DWEKi1OyEwsKMlOAyowMwMAQKpNaUZBZlAoUtzAzMTCACpZk5oKEDI2MTUzNzC0sYeLFmekgiypNPA2CjT1cPCvMvfQ9QkMtvJN8nfMSPaIMkjLyzErNE-MtS8rDIzK9A4ptlWoBj201ZQ__";
const V3_ID_ENCODED: &str = "user_%E4%B8%AD%E6%96%87-1";

fn server() -> TestServer {
    TestServer::with_clock(1234567891, |c| {
        c.sdkappid = 20000001;
        c.secret_key = "test-secret-key".into();
        c.admin = "user_中文-1".into();
    })
}

/// A POST the way `requests.post(url, data=json.dumps(body))` sends it: no Content-Type.
fn raw_post(s: &TestServer, path_and_query: &str, body: &str) -> Value {
    let req = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: python-requests/2.31.0\r\nAccept: */*\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, _headers, body) = s.raw(req.as_bytes());
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn python_requests_shape() {
    let s = server();
    let sig_encoded = V3.replace('*', "%2A");
    assert_ne!(sig_encoded, V3);
    // usersig first, identifier percent-encoded, random a constant; no Content-Type.
    let q = |path: &str| {
        format!("/v4/{path}?usersig={sig_encoded}&identifier={V3_ID_ENCODED}&sdkappid=20000001&random=99999999&contenttype=json")
    };
    // Legacy `Identifier`, with `\u` escapes for the nick.
    let r = raw_post(
        &s,
        &q("im_open_login_svc/account_import"),
        r#"{"Identifier": "bob", "Nick": "\u4f60\u597d"}"#,
    );
    assert_ok(&r);
    // Python's json.dumps escapes non-ASCII; Go and JS send raw UTF-8: both are the same text.
    let r = raw_post(
        &s,
        &q("openim/sendmsg"),
        r#"{"To_Account": "bob", "MsgRandom": 12345, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "\u4f60\u597d \ud83d\ude00"}}]}"#,
    );
    assert_ok(&r);
    let r = raw_post(
        &s,
        &q("openim/sendmsg"),
        r#"{"To_Account": "bob", "MsgRandom": 12346, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "你好 😀"}}]}"#,
    );
    assert_ok(&r);
    // Legacy From_Account/To_Account in admin_getroammsg; a UUID as random.
    let r = raw_post(
        &s,
        &format!(
            "/v4/openim/admin_getroammsg?contenttype=json&random=6f1c2b0e-2f52-4a8e-9a57-0c6f0c1d2e3f&sdkappid=20000001&identifier={V3_ID_ENCODED}&usersig={sig_encoded}"
        ),
        r#"{"From_Account": "bob", "To_Account": "user_\u4e2d\u6587-1", "MaxCnt": 10, "MinTime": 0, "MaxTime": 2000000000}"#,
    );
    assert_ok(&r);
    let list = r["MsgList"].as_array().unwrap();
    assert_eq!(texts(list), ["你好 😀", "你好 😀"]);
    for m in list {
        // Every field typed clients require is present.
        for k in [
            "From_Account",
            "To_Account",
            "MsgSeq",
            "MsgRandom",
            "MsgTimeStamp",
            "MsgFlagBits",
            "IsPeerRead",
            "MsgKey",
            "MsgBody",
            "CloudCustomData",
        ] {
            assert!(m.get(k).is_some(), "{k} missing in {m}");
        }
        assert_eq!(m["From_Account"], "user_中文-1");
    }
    // Raw `*` (string-formatting clients) works too, and so does any Content-Type.
    let body = r#"{"CheckItem":[{"UserID":"bob"}]}"#;
    let req = format!(
        "POST /v4/im_open_login_svc/account_check?sdkappid=20000001&identifier={V3_ID_ENCODED}&usersig={V3}&random=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, headers, body) = s.raw(req.as_bytes());
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(headers
        .to_ascii_lowercase()
        .contains("content-type: application/json"));
    let r: Value = serde_json::from_str(&body).unwrap();
    assert_ok(&r);
    assert_eq!(r["ResultItem"][0]["AccountStatus"], "Imported");
}

#[test]
fn answers_always_carry_the_envelope_and_required_fields() {
    let s = TestServer::start();
    let send = s.send_c2c("a", "b", "x", 1, Value::Null);
    for k in [
        "ActionStatus",
        "ErrorCode",
        "ErrorInfo",
        "MsgTime",
        "MsgKey",
    ] {
        assert!(send.get(k).is_some(), "{k}: {send}");
    }
    let gid = s.create_group("g", "a", &[]);
    let g = s.send_group(&gid, "a", "x", 1, Value::Null);
    for k in [
        "ActionStatus",
        "ErrorCode",
        "ErrorInfo",
        "MsgTime",
        "MsgSeq",
        "MsgDropReason",
    ] {
        assert!(g.get(k).is_some(), "{k}: {g}");
    }
    for m in s.group_history(&gid) {
        for k in [
            "From_Account",
            "IsPlaceMsg",
            "MsgBody",
            "MsgPriority",
            "MsgRandom",
            "MsgSeq",
            "MsgTimeStamp",
            "IsSystemMsg",
            "CloudCustomData",
        ] {
            assert!(m.get(k).is_some(), "{k}: {m}");
        }
    }
    // Unknown path and wrong method: HTTP 200, Tencent codes.
    let (status, _, body) = s.raw(b"POST /v4/nope/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
    assert!(status.contains("200"));
    assert_code(&serde_json::from_str(&body).unwrap(), 60009);
    let (status, _, body) =
        s.raw(b"GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(status.contains("200"));
    assert_code(&serde_json::from_str(&body).unwrap(), 60009);
    let (_, _, body) =
        s.raw(b"GET /v4/openim/sendmsg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_code(&serde_json::from_str(&body).unwrap(), 60002);
}

#[test]
fn account_endpoints() {
    let s = TestServer::with(|c| c.auto_import = false);
    assert_ok(&s.call(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "A", "FaceUrl": "http://x/a.png"}),
    ));
    assert_ok(&s.call(
        "im_open_login_svc/account_import",
        json!({"UserID": "alice", "Nick": "A2"}),
    ));
    assert_code(
        &s.call("im_open_login_svc/account_import", json!({})),
        70402,
    );
    assert_code(
        &s.call("im_open_login_svc/account_import", json!({"UserID": ""})),
        70402,
    );
    assert_code(
        &s.call(
            "im_open_login_svc/account_import",
            json!({"UserID": "x".repeat(33)}),
        ),
        70402,
    );
    assert_code(
        &s.call("im_open_login_svc/account_import", json!({"UserID": 7})),
        70402,
    );
    let r = s.call(
        "im_open_login_svc/multiaccount_import",
        json!({"Accounts": ["bob", "", "carol", "y".repeat(40)]}),
    );
    assert_ok(&r);
    assert_eq!(r["FailAccounts"], json!(["", "y".repeat(40)]));
    assert_code(
        &s.call(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": []}),
        ),
        70402,
    );
    let r = s.call(
        "im_open_login_svc/account_check",
        json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "bob"}, {"UserID": "dave"}]}),
    );
    assert_ok(&r);
    let status: Vec<&str> = r["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["AccountStatus"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["Imported", "Imported", "NotImported"]);
    assert_eq!(r["ResultItem"][2]["UserID"], "dave");
    assert_eq!(r["ResultItem"][2]["ResultCode"], 0);
    assert_code(
        &s.call("im_open_login_svc/account_check", json!({"CheckItem": "x"})),
        70402,
    );
}
