//! Helpers shared by the integration tests: a server on port 0 with a temporary database and a
//! manual clock, and short ways to call its REST API.
#![allow(dead_code)]

pub mod channel;
pub mod hooks;

use std::io::{Read, Write};

use serde_json::{json, Value};
use v2im_server::{Clock, RunningServer, ServerConfig};
use v2im_wire::usersig::gen_usersig_at;

/// The manual clock's start: every test server begins at this Unix time.
pub const T0: i64 = 1_800_000_000;
pub const ADMIN: &str = "administrator";

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    pub config: ServerConfig,
    pub clock: Clock,
    pub url: String,
    agent: ureq::Agent,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(20))
        .build()
}

impl TestServer {
    /// `ServerConfig::for_test` on a manual clock at [`T0`].
    pub fn start() -> Self {
        Self::with(|_| {})
    }

    /// As [`TestServer::start`], with the config adjusted first.
    pub fn with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::with_clock(T0, adjust)
    }

    pub fn with_clock(now: i64, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::for_test(dir.path().join("s.db"));
        adjust(&mut config);
        let clock = Clock::manual(now);
        let server = v2im_server::start_with_clock(config.clone(), clock.clone()).expect("start");
        let url = server.url.clone();
        TestServer {
            server: Some(server),
            dir,
            config,
            clock,
            url,
            agent: agent(),
        }
    }

    /// Stops the server and starts a new one on the same database (and clock).
    pub fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        let s = v2im_server::start_with_clock(self.config.clone(), self.clock.clone())
            .expect("restart");
        self.url = s.url.clone();
        self.server = Some(s);
    }

    /// A UserSig for `user`, valid for a year from just before [`T0`].
    pub fn sig(&self, user: &str) -> String {
        gen_usersig_at(
            self.config.sdkappid,
            &self.config.secret_key,
            user,
            365 * 86400,
            T0 - 10,
        )
    }

    /// The REST URL of `path` called by `identifier` with `sig`.
    pub fn url_with(&self, path: &str, identifier: &str, sig: &str) -> String {
        v2im_wire::url::rest_url(
            &self.url,
            path,
            self.config.sdkappid,
            identifier,
            sig,
            fastrand::u32(..),
        )
    }

    /// POSTs `body` to a full URL and returns the JSON answer (asserting HTTP 200).
    pub fn post(&self, url: &str, body: &str) -> Value {
        let r = self.agent.post(url).send_string(body).expect("HTTP 200");
        assert_eq!(r.status(), 200);
        r.into_json().expect("JSON answer")
    }

    /// Calls `path` as the admin.
    pub fn call(&self, path: &str, body: Value) -> Value {
        self.call_as(ADMIN, path, body)
    }

    /// Calls `path` as `user` with a valid sig for it.
    pub fn call_as(&self, user: &str, path: &str, body: Value) -> Value {
        let url = self.url_with(path, user, &self.sig(user));
        self.post(&url, &body.to_string())
    }

    pub fn import(&self, users: &[&str]) {
        for u in users {
            assert_ok(&self.call("im_open_login_svc/account_import", json!({ "UserID": u })));
        }
    }

    /// `sendmsg` from `from` to `to` as the admin; `extra` fields are merged into the body.
    pub fn send_c2c(&self, from: &str, to: &str, text_: &str, random: u32, extra: Value) -> Value {
        let body = merge(
            json!({"From_Account": from, "To_Account": to, "MsgRandom": random, "MsgBody": text(text_)}),
            extra,
        );
        self.call("openim/sendmsg", body)
    }

    pub fn create_group(&self, id: &str, owner: &str, members: &[&str]) -> String {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        let r = self.call(
            "group_open_http_svc/create_group",
            json!({"GroupId": id, "Owner_Account": owner, "Type": "Public", "Name": "g", "MemberList": list}),
        );
        assert_ok(&r);
        r["GroupId"].as_str().unwrap().to_string()
    }

    /// `send_group_msg` as the admin with `From_Account` = `from`.
    pub fn send_group(
        &self,
        gid: &str,
        from: &str,
        text_: &str,
        random: u32,
        extra: Value,
    ) -> Value {
        let body = merge(
            json!({"GroupId": gid, "From_Account": from, "Random": random, "MsgBody": text(text_)}),
            extra,
        );
        self.call("group_open_http_svc/send_group_msg", body)
    }

    /// All of `op`'s history with `peer`, newest first.
    pub fn roam(&self, op: &str, peer: &str) -> Vec<Value> {
        let r = self.call(
            "openim/admin_getroammsg",
            json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 1000, "MinTime": 0, "MaxTime": 4_000_000_000i64}),
        );
        assert_ok(&r);
        r["MsgList"].as_array().unwrap().clone()
    }

    /// A group's history as the admin sees it, newest first.
    pub fn group_history(&self, gid: &str) -> Vec<Value> {
        let r = self.call(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 1000}),
        );
        assert_ok(&r);
        r["RspMsgList"].as_array().unwrap().clone()
    }

    pub fn recent(&self, user: &str) -> Vec<Value> {
        let r = self.call(
            "recentcontact/get_list",
            json!({"From_Account": user, "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7}),
        );
        assert_ok(&r);
        r["SessionItem"].as_array().unwrap().clone()
    }

    /// The recent-contact item of `user` for the conversation with `peer` (C2C) or `group`.
    pub fn session(&self, user: &str, key: &str) -> Option<Value> {
        self.recent(user)
            .into_iter()
            .find(|s| s["To_Account"] == key || s["GroupId"] == key)
    }

    /// C2C unread count of `owner` for messages from `peer`.
    pub fn unread(&self, owner: &str, peer: &str) -> i64 {
        let r = self.call(
            "openim/get_c2c_unread_msg_num",
            json!({"To_Account": owner, "Peer_Account": [peer]}),
        );
        assert_ok(&r);
        r["C2CUnreadMsgNumList"][0]["C2CUnreadMsgNum"]
            .as_i64()
            .unwrap()
    }

    /// The query of a channel of `user_id` opened by `identifier`, after `cursor`, plus `extra`
    /// (`&k=v...`).
    pub fn channel_path(
        &self,
        identifier: &str,
        user_id: &str,
        cursor: Option<u64>,
        extra: &str,
    ) -> String {
        let mut p = format!(
            "/v4/v2im/channel?sdkappid={}&identifier={identifier}&usersig={}&random=1&contenttype=json&userID={user_id}",
            self.config.sdkappid,
            self.sig(identifier)
        );
        if let Some(c) = cursor {
            p.push_str(&format!("&cursor={c}"));
        }
        p.push_str(extra);
        p
    }

    /// `user`'s own channel after `cursor` (absent: from now on), with its `Hello` read.
    pub fn channel(&self, user: &str, cursor: Option<u64>) -> (channel::Channel, Value) {
        let path = self.channel_path(user, user, cursor, "");
        let mut ch = channel::Channel::request(self.server.as_ref().unwrap().addr, "GET", &path)
            .unwrap_or_else(|r| panic!("channel refused: {r:?}"));
        let hello = ch.event(std::time::Duration::from_secs(10));
        assert_eq!(hello["Event"], "Hello", "{hello}");
        (ch, hello)
    }

    /// A channel request that must be refused: its REST error body.
    pub fn channel_refused(&self, path: &str) -> Value {
        match channel::Channel::request(self.server.as_ref().unwrap().addr, "GET", path) {
            Ok(_) => panic!("channel opened: {path}"),
            Err(r) => {
                assert!(r.status.contains(" 200 "), "{r:?}");
                assert_eq!(r.content_type, "application/json", "{r:?}");
                r.body
            }
        }
    }

    /// Sends raw bytes over a fresh TCP connection and returns (status line, headers, body).
    pub fn raw(&self, request: &[u8]) -> (String, String, String) {
        let addr = self.server.as_ref().unwrap().addr;
        raw_http(addr, request)
    }
}

/// A `v2im-server` process, killed when dropped (so that a failing test leaves none behind).
pub struct Binary(pub std::process::Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `v2im-server` binary on `db` (port 0, auto-import, the test key) with `extra` flags, and
/// its URL from its first stdout line.
pub fn spawn_binary(db: &std::path::Path, extra: &[&str]) -> (Binary, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_v2im-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args([
            "--secret-key",
            v2im_server::TEST_SECRET_KEY,
            "--auto-import",
        ])
        .args(extra)
        .env("V2IM_SERVER_SDKAPPID", TEST_SDKAPPID_STR)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn v2im-server");
    let url = listening_url(&mut child);
    (Binary(child), url)
}

/// The URL of the first stdout line of a v2im-server `child` (`listening on URL`); the child's
/// stdout is taken.
pub fn listening_url(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .expect("read the first line");
    line.trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string()
}

const TEST_SDKAPPID_STR: &str = "1400000000";

/// A sig of `user` for a server started with the test key, valid for a day from now.
pub fn live_sig(user: &str) -> String {
    v2im_wire::usersig::gen_usersig(
        v2im_server::TEST_SDKAPPID,
        v2im_server::TEST_SECRET_KEY,
        user,
        86_400,
    )
}

/// A REST call as `user` to the server at `url`.
pub fn call_url(
    agent: &ureq::Agent,
    url: &str,
    user: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let u = v2im_wire::url::rest_url(
        url,
        path,
        v2im_server::TEST_SDKAPPID,
        user,
        &live_sig(user),
        fastrand::u32(..),
    );
    agent
        .post(&u)
        .send_string(&body.to_string())
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())
}

/// The channel path of `user` for a server started with the test key.
pub fn live_channel_path(user: &str, cursor: Option<u64>) -> String {
    let mut p = format!(
        "/v4/v2im/channel?sdkappid={}&identifier={user}&usersig={}&random=1&userID={user}",
        v2im_server::TEST_SDKAPPID,
        live_sig(user)
    );
    if let Some(c) = cursor {
        p.push_str(&format!("&cursor={c}"));
    }
    p
}

/// `host:port` of a server URL.
pub fn url_addr(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("http://IP:PORT")
}

/// Resident memory of process `pid`, in bytes (Linux).
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

pub fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> (String, String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_string(), body.to_string())
}

pub fn code(v: &Value) -> i64 {
    v["ErrorCode"]
        .as_i64()
        .unwrap_or_else(|| panic!("no ErrorCode in {v}"))
}

#[track_caller]
pub fn assert_ok(v: &Value) {
    assert_eq!(code(v), 0, "{v}");
    assert_eq!(v["ActionStatus"], "OK", "{v}");
}

#[track_caller]
pub fn assert_code(v: &Value, expected: i64) {
    assert_eq!(code(v), expected, "{v}");
    assert_eq!(v["ActionStatus"], "FAIL", "{v}");
    assert!(
        !v["ErrorInfo"].as_str().unwrap_or("").is_empty(),
        "ErrorInfo should explain: {v}"
    );
}

pub fn text(s: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": s}}])
}

/// `base` with the fields of `extra` (an object or null) set on it.
pub fn merge(mut base: Value, extra: Value) -> Value {
    if let Value::Object(e) = extra {
        for (k, v) in e {
            base[k] = v;
        }
    }
    base
}

/// The texts of a history list, in list order.
pub fn texts(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|m| {
            m["MsgBody"][0]["MsgContent"]["Text"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}
