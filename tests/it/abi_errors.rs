//! Error paths of the C ABI: what returns non-zero without a callback, what reports through the
//! callback, and misuse from inside callbacks.

use crate::common::*;
use serde_json::{json, Value};
use std::ffi::{c_char, c_void, CStr};
use std::ptr;
use std::time::Duration;
use v2im::codes;
use v2im::ffi::*;

/// A server address nothing listens on: connections are refused at once.
const NOWHERE: &str = "http://127.0.0.1:1";

fn offline_client() -> TestClient {
    let mut cfg = config(NOWHERE, "alice");
    cfg["maxRetries"] = json!(0);
    TestClient::with_config(cfg)
}

fn assert_no_callback(sink: &Sink) {
    assert!(
        sink.rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "a refused call must never call back"
    );
}

#[test]
fn client_new_refuses_unreadable_config_without_callback() {
    let sink = Sink::new();
    let sentinel = 0x10 as *mut v2im_client;
    let mut out = sentinel;
    let good = cstring(&config(NOWHERE, "u").to_string());
    unsafe {
        assert_eq!(
            v2im_client_new(good.as_ptr(), ptr::null_mut(), Some(collect), sink.ptr()),
            6017
        );
        assert_eq!(
            v2im_client_new(ptr::null(), &mut out, Some(collect), sink.ptr()),
            6017
        );
        let bad_utf8 = b"{\"sdkAppID\": \"\xff\"}\0";
        assert_eq!(
            v2im_client_new(
                bad_utf8.as_ptr() as *const c_char,
                &mut out,
                Some(collect),
                sink.ptr()
            ),
            6027
        );
        for text in ["[]", "42", "{", "", "null"] {
            let t = cstring(text);
            assert_eq!(
                v2im_client_new(t.as_ptr(), &mut out, Some(collect), sink.ptr()),
                6027,
                "{text}"
            );
        }
    }
    assert_eq!(out, sentinel, "out_client untouched");
    assert_no_callback(&sink);
}

/// A config whose caFile is a FIFO nobody writes to (when mkfifo is there).
fn fifo_ca_file() -> Option<(Value, &'static str)> {
    let dir = tempfile::tempdir().ok()?.keep();
    let fifo = dir.join("ca.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .ok()?;
    made.success().then(|| {
        (
            json!({"sdkAppID": 1, "userID": "u", "userSig": "s",
                   "caFile": fifo.to_str().unwrap(), "@extra": 7}),
            "not a regular file",
        )
    })
}

#[test]
fn client_new_reports_bad_keys_through_the_callback_synchronously() {
    let sink = Sink::new();
    let sentinel = 0x10 as *mut v2im_client;
    for (cfg, key) in [
        (
            json!({"userID": "u", "userSig": "s", "@extra": 7}),
            "sdkAppID",
        ),
        (
            json!({"sdkAppID": 1, "userSig": "s", "@extra": 7}),
            "userID",
        ),
        (
            json!({"sdkAppID": 1, "userID": "u", "@extra": 7}),
            "secretKey",
        ),
        (
            json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "caFile": "/no/such.pem", "@extra": 7}),
            "/no/such.pem",
        ),
        (
            json!({"sdkAppID": 1, "userID": true, "userSig": "s", "@extra": 7}),
            "userID",
        ),
        // A device would be read until memory runs out; a FIFO (below) would block for ever.
        (
            json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "caFile": "/dev/zero", "@extra": 7}),
            "not a regular file",
        ),
        (
            json!({"sdkAppID": 1, "userID": "u", "userSig": "s", "serverURL": "http://x", "@extra": 7}),
            "did you mean \"serverUrl\"",
        ),
    ]
    .into_iter()
    .chain(fifo_ca_file())
    {
        let mut out = sentinel;
        let t = cstring(&cfg.to_string());
        let rc = unsafe { v2im_client_new(t.as_ptr(), &mut out, Some(collect), sink.ptr()) };
        assert_eq!(rc, 6017, "{cfg}");
        assert_eq!(out, sentinel);
        // Synchronous: already delivered, on this thread.
        let d = sink.rx.try_recv().expect("callback ran before return");
        assert_eq!(d.thread, std::thread::current().id());
        assert_eq!(d.code, 6017);
        assert_envelope(&d.json, "config error");
        assert!(d.json["desc"].as_str().unwrap().contains(key), "{}", d.json);
        assert_eq!(d.json["@extra"], 7);
    }
    // A key given twice: which value was meant cannot be told.
    let mut out = sentinel;
    let t = cstring(r#"{"sdkAppID":1,"userID":"u","userSig":"s","userID":"v","@extra":7}"#);
    let rc = unsafe { v2im_client_new(t.as_ptr(), &mut out, Some(collect), sink.ptr()) };
    assert_eq!((rc, out), (6017, sentinel));
    let d = sink.rx.try_recv().expect("callback ran before return");
    assert_eq!(d.json["desc"], "config: key \"userID\" is given twice");
    assert_eq!(d.json["@extra"], 7);
    assert_no_callback(&sink);
}

#[test]
fn call_refusals_return_a_code_and_never_call_back() {
    let c = offline_client();
    let m = cstring("createTextMessage");
    let p = cstring("{\"text\":\"x\"}");
    unsafe {
        assert_eq!(
            v2im_call(
                ptr::null_mut(),
                m.as_ptr(),
                p.as_ptr(),
                Some(collect),
                c.sink.ptr()
            ),
            6017
        );
        assert_eq!(
            v2im_call(c.ptr, ptr::null(), p.as_ptr(), Some(collect), c.sink.ptr()),
            6017
        );
        let bad = b"{\"text\":\"\xc3\x28\"}\0";
        assert_eq!(
            v2im_call(
                c.ptr,
                m.as_ptr(),
                bad.as_ptr() as *const c_char,
                Some(collect),
                c.sink.ptr()
            ),
            6027
        );
        let bad_method = b"create\xffText\0";
        assert_eq!(
            v2im_call(
                c.ptr,
                bad_method.as_ptr() as *const c_char,
                p.as_ptr(),
                Some(collect),
                c.sink.ptr()
            ),
            6017
        );
        assert_eq!(
            v2im_set_event_callback(ptr::null_mut(), None, ptr::null_mut(), None),
            6017
        );
        v2im_client_free(ptr::null_mut());
    }
    for text in ["[1]", "\"s\"", "{", "{\"a\":1} trailing", "", "3.5"] {
        assert_eq!(c.call_raw("createTextMessage", text), 6027, "{text}");
    }
    assert_eq!(
        c.call("noSuchMethod", &json!({})),
        codes::V2IM_ERR_UNKNOWN_METHOD
    );
    assert_eq!(
        c.call("sendmessage", &json!({"id": "x"})),
        codes::V2IM_ERR_UNKNOWN_METHOD
    );
    assert_no_callback(&c.sink);
}

trait Raw {
    fn call_raw(&self, method: &str, params: &str) -> i32;
}

impl Raw for TestClient {
    fn call_raw(&self, method: &str, params: &str) -> i32 {
        let m = cstring(method);
        let p = cstring(params);
        unsafe {
            v2im_call(
                self.ptr,
                m.as_ptr(),
                p.as_ptr(),
                Some(collect),
                self.sink.ptr(),
            )
        }
    }
}

#[test]
fn readable_errors_arrive_through_the_callback() {
    let c = offline_client();
    let me = std::thread::current().id();
    // Local method: synchronous, on this thread, before the call returns.
    assert_eq!(c.call("createTextMessage", &json!({"@extra": "e1"})), 0);
    let d = c
        .sink
        .rx
        .try_recv()
        .expect("local callbacks run before return");
    assert_eq!((d.code, d.thread), (6017, me));
    assert!(
        d.json["desc"].as_str().unwrap().contains("text"),
        "{}",
        d.json
    );
    assert_eq!(d.json["@extra"], "e1");
    // NULL params = {}: the method reports the missing parameter.
    let m = cstring("createTextMessage");
    let rc = unsafe { v2im_call(c.ptr, m.as_ptr(), ptr::null(), Some(collect), c.sink.ptr()) };
    assert_eq!(rc, 0);
    assert_eq!(c.sink.rx.try_recv().unwrap().code, 6017);

    // Network method failures: on the callback thread, never this one.
    let unknown = c.call_wait(
        "sendMessage",
        json!({"id": "v2im-no-such", "receiver": "bob", "@extra": {"k": [1]}}),
    );
    assert_eq!(unknown.code, 6017);
    assert_ne!(unknown.thread, me);
    assert!(unknown.json["desc"]
        .as_str()
        .unwrap()
        .contains("v2im-no-such"));
    assert_eq!(unknown.json["@extra"], json!({"k": [1]}));

    let id = c.text("hello");
    let neither = c.send(&id, json!({}));
    assert_eq!(neither.code, 6017);
    assert_ne!(neither.thread, me);
    assert_eq!(
        neither.json["data"]["id"],
        id.as_str(),
        "the failed message is reported"
    );
    assert_eq!(neither.json["data"]["status"], 3);

    let big = c.text(&"x".repeat(13 * 1024));
    let too_long = c.send(&big, json!({"receiver": "bob"}));
    assert_eq!(too_long.code, codes::ERR_SDK_MSG_BODY_SIZE_LIMIT);
    assert_eq!(too_long.json["data"]["id"], big.as_str());

    let missing_id = c.call_wait("sendMessage", json!({"receiver": "bob"}));
    assert_eq!(missing_id.code, 6017);
    assert!(missing_id.json["desc"].as_str().unwrap().contains("id"));

    let cancel_unknown = c.call_wait("cancelSendMessage", json!({"id": "nope"}));
    assert_eq!(cancel_unknown.code, 6017);
    assert_ne!(cancel_unknown.thread, me);

    let hist = c.call_wait("getC2CHistoryMessageList", json!({"userID": "bob"}));
    assert_eq!(hist.code, 6017, "count is required: {}", hist.json);
    assert_ne!(hist.thread, me);

    // The network itself: connection refused → V2IM_ERR_NETWORK, message failed.
    let id = c.text("to nowhere");
    let net = c.send(&id, json!({"receiver": "bob"}));
    assert_eq!(net.code, codes::V2IM_ERR_NETWORK, "{}", net.json);
    assert_eq!(net.json["data"]["status"], 3);
    assert_no_callback(&c.sink);
}

/// A result as the raw text the library passed (in `json` as a JSON string).
unsafe extern "C" fn collect_text(ud: *mut c_void, code: i32, json: *const c_char) {
    // SAFETY: `ud` is a live Sink and `json` a NUL-terminated string, per the tests' use.
    let (sink, text) = unsafe { (&*(ud as *const Sink), CStr::from_ptr(json)) };
    let _ = sink.tx.send(Done {
        code,
        json: Value::String(text.to_string_lossy().into_owned()),
        thread: std::thread::current().id(),
    });
}

#[test]
fn a_key_given_twice_is_refused_and_extra_comes_back_as_written() {
    let c = offline_client();
    let run = |method: &str, params: &str| {
        let (m, p) = (cstring(method), cstring(params));
        // SAFETY: live client and strings; the sink outlives the client.
        let rc = unsafe {
            v2im_call(
                c.ptr,
                m.as_ptr(),
                p.as_ptr(),
                Some(collect_text),
                c.sink.ptr(),
            )
        };
        assert_eq!(rc, 0, "{params}");
        let d = c
            .sink
            .rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a result");
        (d.code, d.json.as_str().unwrap_or_default().to_owned())
    };
    let (code, text) = run("createTextMessage", r#"{"text":"a","text":"b"}"#);
    assert_eq!(code, 6017, "{text}");
    assert!(text.contains(r#"key \"text\" is given twice"#), "{text}");
    let (code, text) = run("sendMessage", r#"{"id":"x","receiver":"bob","id":"y"}"#);
    assert_eq!(code, 6017, "{text}");
    assert!(text.contains(r#"key \"id\" is given twice"#), "{text}");
    // Two `@extra`s: refused, and neither is echoed.
    let (code, text) = run("createTextMessage", r#"{"text":"a","@extra":1,"@extra":2}"#);
    assert_eq!(code, 6017, "{text}");
    assert!(text.contains(r#"key \"@extra\" is given twice"#), "{text}");
    assert!(!text.contains(r#""@extra":"#), "{text}");
    // @extra: its text as written, numbers and spacing included.
    let extra = r#"{ "n": 1.50, "big": 123456789012345678901234567890 }"#;
    let (code, text) = run(
        "createTextMessage",
        &format!(r#"{{"@extra": {extra}, "text": "hi"}}"#),
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.ends_with(&format!(r#","@extra":{extra}}}"#)), "{text}");
    assert_no_callback(&c.sink);
}

// ---- free from a callback, calls from a callback ----

struct Reentry {
    client: *mut v2im_client,
    sink: Box<Sink>,
}

unsafe extern "C" fn free_from_callback(ud: *mut c_void, code: i32, json: *const c_char) {
    let r = unsafe { &*(ud as *const Reentry) };
    unsafe { v2im_client_free(r.client) };
    // Still alive: this must not have freed it.
    unsafe { collect(r.sink.ptr(), code, json) };
}

unsafe extern "C" fn log_event(ud: *mut c_void, json: *const c_char) {
    let sink = unsafe { &*(ud as *const Sink) };
    let text = unsafe { CStr::from_ptr(json) }
        .to_string_lossy()
        .into_owned();
    let _ = sink.tx.send(Done {
        code: 0,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        thread: std::thread::current().id(),
    });
}

#[test]
fn free_from_a_callback_returns_without_freeing_and_logs() {
    let c = offline_client();
    let events = Sink::new();
    assert_eq!(
        unsafe { v2im_set_event_callback(c.ptr, Some(log_event), events.ptr(), None) },
        0
    );
    let r = Box::new(Reentry {
        client: c.ptr,
        sink: Sink::new(),
    });
    let rp = &*r as *const Reentry as *mut c_void;
    let m = cstring("createTextMessage");
    let p = cstring("{\"text\":\"a\"}");
    // Synchronous callback (calling thread) and callback-thread callback.
    assert_eq!(
        unsafe { v2im_call(c.ptr, m.as_ptr(), p.as_ptr(), Some(free_from_callback), rp) },
        0
    );
    assert_eq!(r.sink.next().code, 0);
    let cm = cstring("cancelSendMessage");
    let cp = cstring("{\"id\":\"none\"}");
    assert_eq!(
        unsafe {
            v2im_call(
                c.ptr,
                cm.as_ptr(),
                cp.as_ptr(),
                Some(free_from_callback),
                rp,
            )
        },
        0
    );
    assert_eq!(r.sink.next().code, 6017);
    // The client still works.
    assert!(!c.text("still alive").is_empty());
    let mut misuse = 0;
    while let Ok(e) = events.rx.recv_timeout(Duration::from_secs(2)) {
        if e.json["event"] == "onLog" && e.json["data"]["level"] == "error" {
            assert!(e.json["data"]["message"]
                .as_str()
                .unwrap()
                .contains("v2im_client_free"));
            misuse += 1;
            if misuse == 2 {
                break;
            }
        }
    }
    assert_eq!(misuse, 2, "each misuse is logged");
    drop(c);
}

unsafe extern "C" fn call_from_callback(ud: *mut c_void, code: i32, json: *const c_char) {
    let r = unsafe { &*(ud as *const Reentry) };
    unsafe { collect(r.sink.ptr(), code, json) };
    // A local call (runs its callback right here) and a network call (queued).
    let m = cstring("createTextMessage");
    let p = cstring("{\"text\":\"from a callback\"}");
    let rc1 = unsafe {
        v2im_call(
            r.client,
            m.as_ptr(),
            p.as_ptr(),
            Some(collect),
            r.sink.ptr(),
        )
    };
    let cm = cstring("cancelSendMessage");
    let cp = cstring("{\"id\":\"none\"}");
    let rc2 = unsafe {
        v2im_call(
            r.client,
            cm.as_ptr(),
            cp.as_ptr(),
            Some(collect),
            r.sink.ptr(),
        )
    };
    let _ = r.sink.tx.send(Done {
        code: rc1 * 1000 + rc2,
        json: Value::Null,
        thread: std::thread::current().id(),
    });
}

#[test]
fn a_callback_may_call_v2im_call() {
    let c = offline_client();
    let r = Box::new(Reentry {
        client: c.ptr,
        sink: Sink::new(),
    });
    let rp = &*r as *const Reentry as *mut c_void;
    let cm = cstring("cancelSendMessage");
    let cp = cstring("{\"id\":\"x\"}");
    assert_eq!(
        unsafe {
            v2im_call(
                c.ptr,
                cm.as_ptr(),
                cp.as_ptr(),
                Some(call_from_callback),
                rp,
            )
        },
        0
    );
    let first = r.sink.next();
    assert_eq!(first.code, 6017);
    let created = r.sink.next();
    assert_eq!(created.code, 0, "{}", created.json);
    assert_eq!(
        created.thread, first.thread,
        "local callback on the calling (callback) thread"
    );
    let rcs = r.sink.next();
    assert_eq!(rcs.code, 0, "both calls from the callback were accepted");
    let nested = r.sink.next();
    assert_eq!(nested.code, 6017);
    assert_eq!(nested.thread, first.thread);
    drop(c);
    assert!(r.sink.rx.try_recv().is_err());
}

#[test]
fn several_clients_and_event_finalizer_runs_once_at_free() {
    static FREED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    unsafe extern "C" fn fin(_ud: *mut c_void) {
        FREED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    let a = offline_client();
    let mut b = offline_client();
    unsafe {
        assert_eq!(
            v2im_set_event_callback(b.ptr, Some(log_event), b.sink.ptr(), Some(fin)),
            0
        );
        // Replacing runs the first finalizer (on the callback thread, after its events).
        assert_eq!(
            v2im_set_event_callback(b.ptr, None, ptr::null_mut(), Some(fin)),
            0
        );
    }
    let _ = b.text("sync");
    b.free();
    assert_eq!(FREED.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(!a.text("a still works").is_empty());
}
