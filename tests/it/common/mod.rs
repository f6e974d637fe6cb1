//! Shared by the integration tests: a real v2im-server on 127.0.0.1 with a temporary database,
//! clients made through the C ABI, a callback that collects results, and REST read-back as the
//! server's admin.
#![allow(dead_code)]

pub mod child;

use crossbeam_channel::{Receiver, Sender};
use serde_json::{json, Value};
use std::ffi::{c_char, c_void, CStr, CString};
use std::time::Duration;
use v2im::ffi::*;
use v2im_wire::url::{paths, rest_url};

pub const SDKAPPID: u64 = v2im_server::TEST_SDKAPPID;
pub const ADMIN: &str = "administrator";
/// Longest a test waits for one callback.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub url: String,
    /// Trust for admin calls to an HTTPS server (set by TLS tests).
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    server: Option<v2im_server::RunningServer>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// A server whose test configuration `edit` changes first (TLS, ...).
    pub fn start_with(edit: impl FnOnce(&mut v2im_server::ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = v2im_server::ServerConfig::for_test(dir.path().join("s.db"));
        edit(&mut cfg);
        let server = v2im_server::start(cfg).expect("start v2im-server");
        TestServer {
            url: server.url.clone(),
            tls: None,
            dir,
            server: Some(server),
        }
    }

    /// Read-back for a server that runs elsewhere (a child process): a temporary directory for
    /// its database, and no server of its own; set `url` once it listens.
    pub fn remote() -> TestServer {
        TestServer {
            dir: tempfile::tempdir().expect("tempdir"),
            url: String::new(),
            tls: None,
            server: None,
        }
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("s.db")
    }

    /// POSTs `body` to `path` as the admin and returns the answer (asserting ErrorCode 0).
    pub fn admin(&self, path: &str, body: Value) -> Value {
        let v = self.admin_raw(path, body.clone());
        assert_eq!(v["ErrorCode"], 0, "{path} {body} -> {v}");
        v
    }

    pub fn admin_raw(&self, path: &str, body: Value) -> Value {
        let sig =
            v2im_wire::usersig::gen_usersig(SDKAPPID, v2im_server::TEST_SECRET_KEY, ADMIN, 86_400);
        let url = rest_url(&self.url, path, SDKAPPID, ADMIN, &sig, fastrand::u32(..));
        match self.agent().post(&url).send_json(body) {
            Ok(r) => r.into_json().expect("JSON answer"),
            Err(ureq::Error::Status(_, r)) => r.into_json().expect("JSON answer"),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn agent(&self) -> ureq::Agent {
        match &self.tls {
            Some(cfg) => ureq::AgentBuilder::new().tls_config(cfg.clone()).build(),
            None => ureq::agent(),
        }
    }

    /// A Public group owned by `owner` with `members` (the owner included).
    pub fn create_group(&self, group: &str, owner: &str, members: &[&str]) {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        self.admin(
            paths::CREATE_GROUP,
            json!({"Owner_Account": owner, "Type": "Public", "GroupId": group, "Name": group, "MemberList": list}),
        );
    }

    /// `admin_getroammsg` of `op` with `peer`: the stored items, newest first.
    pub fn roam(&self, op: &str, peer: &str) -> Vec<Value> {
        let v = self.admin(
            paths::ADMIN_GETROAMMSG,
            json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 100, "MinTime": 0, "MaxTime": i64::from(u32::MAX)}),
        );
        v["MsgList"].as_array().cloned().unwrap_or_default()
    }

    /// `group_msg_get_simple`: the stored items, newest first.
    pub fn group_msgs(&self, group: &str) -> Vec<Value> {
        let v = self.admin(
            paths::GROUP_MSG_GET_SIMPLE,
            json!({"GroupId": group, "ReqMsgNumber": 20}),
        );
        v["RspMsgList"].as_array().cloned().unwrap_or_default()
    }

    /// Every stored C2C item between `op` and `peer`, all pages (`admin_getroammsg` paging by
    /// `LastMsgKey`/`MaxTime` until `Complete`).
    pub fn roam_all(&self, op: &str, peer: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let (mut max_time, mut last_key) = (i64::from(u32::MAX), None::<String>);
        loop {
            let mut req = json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 1000,
                                 "MinTime": 0, "MaxTime": max_time});
            if let Some(k) = &last_key {
                req["LastMsgKey"] = json!(k);
            }
            let v = self.admin(paths::ADMIN_GETROAMMSG, req);
            let page = v["MsgList"].as_array().cloned().unwrap_or_default();
            out.extend(page.iter().cloned());
            if v["Complete"] == 1 || page.is_empty() {
                return out;
            }
            max_time = v["LastMsgTime"].as_i64().expect("LastMsgTime");
            last_key = v["LastMsgKey"].as_str().map(str::to_string);
        }
    }

    /// Every stored item of `group`, all pages (`group_msg_get_simple` paging by `ReqMsgSeq`).
    pub fn group_msgs_all(&self, group: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut req = json!({"GroupId": group, "ReqMsgNumber": 1000});
        loop {
            let v = self.admin(paths::GROUP_MSG_GET_SIMPLE, req.clone());
            let page = v["RspMsgList"].as_array().cloned().unwrap_or_default();
            let lowest = page.iter().filter_map(|m| m["MsgSeq"].as_u64()).min();
            out.extend(page);
            match lowest {
                Some(s) if s > 1 && v["IsFinished"] != 1 => req["ReqMsgSeq"] = json!(s - 1),
                _ => return out,
            }
        }
    }

    /// Unread C2C messages of `owner` from `peer`.
    pub fn unread(&self, owner: &str, peer: &str) -> i64 {
        let v = self.admin(
            paths::GET_C2C_UNREAD_MSG_NUM,
            json!({"To_Account": owner, "Peer_Account": [peer]}),
        );
        v["C2CUnreadMsgNumList"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["Peer_Account"] == peer))
            .and_then(|i| i["C2CUnreadMsgNum"].as_i64())
            .unwrap_or(0)
    }

    /// `owner`'s conversation with `peer` in `recentcontact/get_list`, if listed.
    pub fn conversation(&self, owner: &str, peer: &str) -> Option<Value> {
        let v = self.admin(
            paths::RECENTCONTACT_GET_LIST,
            json!({"From_Account": owner, "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 15}),
        );
        v["SessionItem"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["To_Account"] == peer).cloned())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

/// One callback's delivery.
#[derive(Debug, Clone)]
pub struct Done {
    pub code: i32,
    pub json: Value,
    pub thread: std::thread::ThreadId,
}

/// `user_data` of `collect`: where results go.
pub struct Sink {
    pub tx: Sender<Done>,
    pub rx: Receiver<Done>,
}

impl Sink {
    pub fn new() -> Box<Sink> {
        let (tx, rx) = crossbeam_channel::unbounded();
        Box::new(Sink { tx, rx })
    }

    pub fn ptr(&self) -> *mut c_void {
        self as *const Sink as *mut c_void
    }

    pub fn next(&self) -> Done {
        self.rx
            .recv_timeout(WAIT)
            .expect("a callback within the wait")
    }
}

/// The collecting callback. Never panics (a panic here would abort the test process).
pub unsafe extern "C" fn collect(ud: *mut c_void, code: i32, json: *const c_char) {
    // SAFETY: `ud` is a live Sink and `json` a NUL-terminated string, per the tests' use.
    let (sink, text) = unsafe { (&*(ud as *const Sink), CStr::from_ptr(json)) };
    let json = serde_json::from_str(&text.to_string_lossy()).unwrap_or(Value::Null);
    let _ = sink.tx.send(Done {
        code,
        json,
        thread: std::thread::current().id(),
    });
}

/// An event callback that collects events into a `Sink` (code -1).
pub unsafe extern "C" fn collect_event(ud: *mut c_void, json: *const c_char) {
    // SAFETY: `ud` is a live Sink and `json` a NUL-terminated string, per the tests' use.
    let (sink, text) = unsafe { (&*(ud as *const Sink), CStr::from_ptr(json)) };
    let json = serde_json::from_str(&text.to_string_lossy()).unwrap_or(Value::Null);
    let _ = sink.tx.send(Done {
        code: -1,
        json,
        thread: std::thread::current().id(),
    });
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// A client made through `v2im_client_new`, freed on drop.
pub struct TestClient {
    pub ptr: *mut v2im_client,
    pub sink: Box<Sink>,
    pub user: String,
}

/// A client handle that may be moved to another thread (the ABI allows any thread).
#[derive(Clone, Copy)]
pub struct SendPtr(pub *mut v2im_client);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

pub fn config(url: &str, user: &str) -> Value {
    json!({"sdkAppID": SDKAPPID, "userID": user, "secretKey": v2im_server::TEST_SECRET_KEY,
           "serverUrl": url, "requestTimeoutMs": 5000})
}

impl TestClient {
    pub fn new(url: &str, user: &str) -> TestClient {
        TestClient::with_config(config(url, user))
    }

    pub fn with_config(cfg: Value) -> TestClient {
        let sink = Sink::new();
        let mut ptr = std::ptr::null_mut();
        let text = cstring(&cfg.to_string());
        // SAFETY: valid strings and out pointer; `sink` outlives the call.
        let rc = unsafe { v2im_client_new(text.as_ptr(), &mut ptr, Some(collect), sink.ptr()) };
        assert_eq!(rc, 0, "v2im_client_new({cfg})");
        let done = sink.next();
        assert_eq!(done.code, 0, "{:?}", done.json);
        assert!(!ptr.is_null());
        TestClient {
            ptr,
            sink,
            user: cfg["userID"].as_str().unwrap_or("").to_string(),
        }
    }

    /// `v2im_call` with the collecting callback; returns its return code.
    pub fn call(&self, method: &str, params: &Value) -> i32 {
        let m = cstring(method);
        let p = cstring(&params.to_string());
        // SAFETY: live client and strings; the sink outlives the client.
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

    /// Calls and waits for the callback (asserting the call was taken).
    pub fn call_wait(&self, method: &str, params: Value) -> Done {
        let rc = self.call(method, &params);
        assert_eq!(rc, 0, "{method} {params}");
        self.sink.next()
    }

    /// `createTextMessage` → the create-id.
    pub fn text(&self, text: &str) -> String {
        let d = self.call_wait("createTextMessage", json!({"text": text}));
        assert_eq!(d.code, 0, "{}", d.json);
        d.json["data"]["id"].as_str().expect("id").to_string()
    }

    /// `sendMessage` with `params` (plus `id`) and waits: the result.
    pub fn send(&self, id: &str, mut params: Value) -> Done {
        params["id"] = json!(id);
        self.call_wait("sendMessage", params)
    }

    /// Sends a new text and asserts success: the sent V2TimMessage.
    pub fn send_text_ok(&self, text: &str, params: Value) -> Value {
        let id = self.text(text);
        let d = self.send(&id, params);
        assert_eq!(d.code, 0, "{}", d.json);
        d.json["data"].clone()
    }

    /// Sends events to `events` (which must outlive the client).
    pub fn listen(&self, events: &Sink) {
        // SAFETY: live client; the caller keeps `events` alive longer than the client.
        let rc =
            unsafe { v2im_set_event_callback(self.ptr, Some(collect_event), events.ptr(), None) };
        assert_eq!(rc, 0);
    }

    /// `sendMessage` without a result callback: v2im_call's return code.
    pub fn send_no_cb(&self, params: &Value) -> i32 {
        let m = cstring("sendMessage");
        let p = cstring(&params.to_string());
        // SAFETY: live client and strings; NULL callback is allowed.
        unsafe { v2im_call(self.ptr, m.as_ptr(), p.as_ptr(), None, std::ptr::null_mut()) }
    }

    pub fn free(&mut self) {
        let p = std::mem::replace(&mut self.ptr, std::ptr::null_mut());
        // SAFETY: our handle, freed once.
        unsafe { v2im_client_free(p) };
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.free();
    }
}

/// Every key of a V2TimMessage in a result (V2TIM's returned template and what v2im adds), from
/// the list the Rust and Python tests share.
pub fn message_keys() -> std::collections::BTreeSet<String> {
    let list: Value = serde_json::from_str(include_str!("../../v2tim_message_keys.json"))
        .expect("tests/v2tim_message_keys.json");
    ["template", "added"]
        .iter()
        .flat_map(|k| list[*k].as_array().expect("a list of keys"))
        .map(|k| k.as_str().expect("a key").to_owned())
        .collect()
}

/// Asserts `m` is a V2TimMessage object with exactly those keys.
pub fn assert_message_keys(m: &Value, what: &str) {
    let o = m
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {m}"));
    let keys: std::collections::BTreeSet<String> = o.keys().cloned().collect();
    assert_eq!(keys, message_keys(), "{what}: keys of {m}");
}

/// Asserts the result envelope `{"code", "desc", "data"}`.
pub fn assert_envelope(j: &Value, what: &str) {
    let o = j
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {j}"));
    assert!(o["code"].is_i64(), "{what}: {j}");
    assert!(o["desc"].is_string(), "{what}: {j}");
    assert!(o.contains_key("data"), "{what}: {j}");
}

/// Waits until at least `n` TCP connections to local `port` hold bytes the server side has not
/// read: requests that reached a server which does not answer (a listener that never accepts,
/// or a SIGSTOPped server). This is how a test knows a message is in flight, instead of guessing
/// how long a worker takes to pick it up. Reads `/proc/net/tcp{,6}` (Linux).
pub fn wait_unread_requests(port: u16, n: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let mut count = 0;
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = std::fs::read_to_string(table).unwrap_or_default();
            for line in text.lines().skip(1) {
                // sl local_address rem_address st tx_queue:rx_queue ...
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 5 || f[3] != "01" {
                    continue;
                }
                let local_port = f[1].rsplit(':').next().map(|p| u16::from_str_radix(p, 16));
                let rx = f[4].split(':').nth(1).map(|q| u64::from_str_radix(q, 16));
                if local_port == Some(Ok(port)) && matches!(rx, Some(Ok(r)) if r > 0) {
                    count += 1;
                }
            }
        }
        if count >= n {
            return;
        }
        if std::time::Instant::now() >= deadline {
            panic!(
                "{count} of {n} requests to port {port} arrived within {WAIT:?}; its sockets:\n{}",
                sockets_of(port)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The lines of /proc/net/tcp{,6} of `port`'s connections, both ends, for a failure's message.
fn sockets_of(port: u16) -> String {
    let suffix = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .flat_map(|t| {
            std::fs::read_to_string(t)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| {
            let mut f = l.split_whitespace().skip(1);
            let (local, remote) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
            local.ends_with(&suffix) || remote.ends_with(&suffix)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The port of an `http://host:port` URL.
pub fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}
