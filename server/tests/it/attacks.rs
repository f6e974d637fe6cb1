//! Attacks over real HTTP: replacing another account's uploaded file, starving the server of
//! connections with idle sockets or stalled bodies, holding channels, and CONNECT.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::common::channel::Channel;
use crate::common::*;
use serde_json::{json, Value};

/// One answer read off a raw socket.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one answer (its head and its Content-Length body) within `timeout`; None when it did
/// not come whole in time, or the connection closed first.
fn read_answer(s: &mut TcpStream, timeout: Duration) -> Option<Answer> {
    let deadline = Instant::now() + timeout;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let mut a = Answer {
                status,
                head,
                body: Value::Null,
            };
            let len: usize = a.header("content-length").map_or(0, |v| v.parse().unwrap());
            if raw.len() >= end + 4 + len {
                a.body =
                    serde_json::from_slice(&raw[end + 4..end + 4 + len]).unwrap_or(Value::Null);
                return Some(a);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server closes `s` within `timeout` (whatever it still sends is skipped).
fn closed_within(s: &mut TcpStream, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

/// A `v2im-server` process with its stderr collected.
struct Server {
    child: Binary,
    url: String,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// The binary on `db` (port 0, auto-import, the test key) with `env` set, `args` added and,
    /// when given, its file-descriptor limit (soft and hard) set to `nofile`.
    fn spawn(db: &Path, nofile: Option<u64>, env: &[(&str, &str)], args: &[&str]) -> Server {
        use std::io::BufRead;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_v2im-server"));
        cmd.args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args([
                "--secret-key",
                v2im_server::TEST_SECRET_KEY,
                "--auto-import",
            ])
            .args(args)
            .env("V2IM_SERVER_SDKAPPID", "1400000000")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            let limit = libc::rlimit {
                rlim_cur: n as libc::rlim_t,
                rlim_max: n as libc::rlim_t,
            };
            // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().expect("spawn v2im-server");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let url = listening_url(&mut child);
        let addr = url_addr(&url);
        Server {
            child: Binary(child),
            url,
            addr,
            log,
        }
    }

    /// A `sendmsg` from the admin to `to` on a fresh connection that asks to be closed after
    /// the answer; None when no answer came within `timeout`.
    fn send(&self, to: &str, text_: &str, timeout: Duration) -> Option<Answer> {
        let body =
            json!({"From_Account": "alice", "To_Account": to, "MsgRandom": fastrand::u32(..),
            "MsgBody": text(text_)})
            .to_string();
        let mut s = TcpStream::connect(self.addr).unwrap();
        let req = format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            rest_path("openim/sendmsg", ADMIN),
            body.len()
        );
        s.write_all(req.as_bytes()).ok()?;
        read_answer(&mut s, timeout)
    }

    /// Sends SIGTERM and returns how long the process took to exit (asserting a clean exit
    /// within `limit`).
    fn terminate(mut self, limit: Duration) -> Duration {
        let t = Instant::now();
        // SAFETY: a plain kill(2) of our own child.
        assert_eq!(
            unsafe { libc::kill(self.child.0.id() as libc::pid_t, libc::SIGTERM) },
            0
        );
        loop {
            if let Some(st) = self.child.0.try_wait().unwrap() {
                assert!(st.success(), "{st:?}");
                return t.elapsed();
            }
            assert!(t.elapsed() < limit, "no exit {limit:?} after SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// `/v4/{path}?...` for `user` with the test key.
fn rest_path(path: &str, user: &str) -> String {
    format!(
        "/v4/{path}?sdkappid=1400000000&identifier={user}&usersig={}&random=1&contenttype=json",
        live_sig(user)
    )
}

#[test]
fn idle_sockets_cannot_starve_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::spawn(
        &dir.path().join("idle.db"),
        Some(256),
        &[("V2IM_SERVER_HEADER_TIMEOUT_SECS", "2")],
        &[],
    );
    let first = srv.send("bob", "before", Duration::from_secs(10)).unwrap();
    assert_eq!(first.status, 200);
    assert_ok(&first.body);

    // 300 sockets that never send a request (one sends half a head), against a limit of 256
    // descriptors.
    let n = 300;
    let t0 = Instant::now();
    let mut socks: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    socks[0]
        .write_all(b"POST /v4/openim/sendmsg HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    // A REST request still gets an answer at once: the cap's refusal (all slots are held).
    let r = srv
        .send("bob", "during", Duration::from_secs(5))
        .expect("no answer while idle sockets are open: the server ran out of descriptors");
    match r.status {
        200 => assert_ok(&r.body),
        503 => assert_code(&r.body, 110004),
        s => panic!("status {s}: {r:?}"),
    }
    // The excess got the same refusal and was closed; the rest is held.
    let mut refused = 0;
    let mut held = Vec::new();
    for mut s in socks {
        match read_answer(&mut s, Duration::from_millis(20)) {
            Some(a) => {
                assert_eq!(a.status, 503, "{a:?}");
                assert_code(&a.body, 110004);
                assert_eq!(a.header("connection").as_deref(), Some("close"), "{a:?}");
                assert!(closed_within(&mut s, Duration::from_secs(2)));
                refused += 1;
            }
            None => held.push(s),
        }
    }
    eprintln!(
        "{n} idle sockets, RLIMIT_NOFILE 256: {} held, {refused} refused with 503",
        held.len()
    );
    assert!(refused > 0 && held.len() <= 64, "held {}", held.len());
    // Every held socket is closed once the header timeout (2 s) has passed.
    let mut last = Duration::ZERO;
    for s in &mut held {
        assert!(
            closed_within(s, Duration::from_secs(5)),
            "an idle socket outlived the header timeout"
        );
        last = last.max(t0.elapsed());
    }
    eprintln!("the last idle socket was closed {last:?} after it was opened");
    assert!(last >= Duration::from_millis(1900), "{last:?}");
    let r = srv.send("bob", "after", Duration::from_secs(5)).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert_ok(&r.body);
    let log = srv.log();
    assert!(!log.contains("Too many open files"), "{log}");

    // Shutdown is prompt with sockets held.
    let _more: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let took = srv.terminate(Duration::from_secs(5));
    eprintln!("SIGTERM with 100 idle sockets open: exited after {took:?}");
}

#[test]
fn a_stalled_body_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    let srv = Server::spawn(
        &dir.path().join("body.db"),
        None,
        &[("V2IM_SERVER_BODY_TIMEOUT_SECS", "1")],
        &["--files-dir", files.to_str().unwrap()],
    );
    // A REST request whose body stops after 14 of 200 bytes.
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let req = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{{\"To_Account\":",
        rest_path("openim/sendmsg", ADMIN)
    );
    s.write_all(req.as_bytes()).unwrap();
    let t = Instant::now();
    let a = read_answer(&mut s, Duration::from_secs(6)).expect("no answer to a stalled body");
    let took = t.elapsed();
    eprintln!("stalled REST body answered after {took:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(a.status, 408, "{a:?}");
    assert_code(&a.body, 60002);
    assert_eq!(a.header("connection").as_deref(), Some("close"), "{a:?}");
    assert!(closed_within(&mut s, Duration::from_secs(2)));

    // An upload that stops: the same, and nothing is stored.
    let auth = format!(
        "sdkappid=1400000000&identifier=alice&usersig={}&random=1",
        live_sig("alice")
    );
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let req =
        format!("PUT /files/u1/a.bin?{auth} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(&[7u8; 1000]).unwrap();
    let t = Instant::now();
    let a = read_answer(&mut s, Duration::from_secs(6)).expect("no answer to a stalled upload");
    eprintln!("stalled upload answered after {:?}", t.elapsed());
    assert_eq!(a.status, 408, "{a:?}");
    assert_code(&a.body, 60002);
    assert!(closed_within(&mut s, Duration::from_secs(2)));
    assert!(matches!(
        ureq::get(&format!("{}/files/u1/a.bin", srv.url)).call(),
        Err(ureq::Error::Status(404, _))
    ));
    let left: Vec<_> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A slow body that keeps coming is not cut off: 8 pieces 400 ms apart, 2.8 s in all.
    let body = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 5,
        "MsgBody": text("slow but steady")})
    .to_string();
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        rest_path("openim/sendmsg", ADMIN),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let t = Instant::now();
    for piece in body.as_bytes().chunks(body.len().div_ceil(8)) {
        std::thread::sleep(Duration::from_millis(400));
        s.write_all(piece).unwrap();
    }
    let a = read_answer(&mut s, Duration::from_secs(5)).unwrap();
    assert!(t.elapsed() > Duration::from_millis(2500));
    assert_eq!(a.status, 200, "{a:?}");
    assert_ok(&a.body);
}

#[test]
fn channels_outlive_the_timeouts_count_as_connections_and_are_capped_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::spawn(
        &dir.path().join("ch.db"),
        None,
        &[
            ("V2IM_SERVER_MAX_CONNECTIONS", "16"),
            ("V2IM_SERVER_HEADER_TIMEOUT_SECS", "1"),
            ("V2IM_SERVER_BODY_TIMEOUT_SECS", "1"),
            ("V2IM_SERVER_CHANNELS_PER_ACCOUNT", "4"),
        ],
        &[],
    );
    let open = |user: &str| Channel::request(srv.addr, "GET", &live_channel_path(user, None));
    // One account gets its 4 channels and no more.
    let mut mallory: Vec<Channel> = (0..4)
        .map(|_| open("mallory").unwrap_or_else(|r| panic!("{r:?}")))
        .collect();
    for ch in &mut mallory {
        assert_eq!(ch.event(Duration::from_secs(10))["Event"], "Hello");
    }
    match open("mallory") {
        Err(r) => {
            assert!(r.status.contains(" 200 "), "{r:?}");
            assert_code(&r.body, 110002);
        }
        Ok(_) => panic!("a fifth channel of one account"),
    }
    // Others fill the remaining 12 connections; the 17th is refused with 503.
    let mut others: Vec<Channel> = (0..12)
        .map(|i| {
            let mut ch = open(&format!("u{i}")).unwrap_or_else(|r| panic!("{r:?}"));
            assert_eq!(ch.event(Duration::from_secs(10))["Event"], "Hello");
            ch
        })
        .collect();
    match open("late") {
        Err(r) => {
            assert!(r.status.contains(" 503 "), "{r:?}");
            assert_code(&r.body, 110004);
        }
        Ok(_) => panic!("a 17th connection with a cap of 16"),
    }
    // Past both timeouts the channels are still open; freeing one slot lets a request in.
    std::thread::sleep(Duration::from_millis(2500));
    drop(others.pop());
    let t = Instant::now();
    let sent = loop {
        match srv.send("mallory", "still there", Duration::from_secs(5)) {
            Some(a) if a.status == 200 => break a,
            Some(a) if a.status == 503 && t.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => panic!("{other:?}"),
        }
    };
    assert_ok(&sent.body);
    for ch in &mut mallory {
        assert_eq!(ch.expect("C2cMsg")["Msg"]["MsgKey"], sent.body["MsgKey"]);
    }
    let took = srv.terminate(Duration::from_secs(5));
    eprintln!("SIGTERM with 15 channels open: exited after {took:?}");
    for ch in mallory.iter_mut().chain(others.iter_mut()) {
        assert!(ch.ends_within(Duration::from_secs(1)));
    }
}

/// `?sdkappid=&identifier=&usersig=&random=` of `user` for an in-process test server.
fn file_auth(s: &TestServer, user: &str) -> String {
    format!(
        "sdkappid={}&identifier={user}&usersig={}&random=1",
        v2im_server::TEST_SDKAPPID,
        s.sig(user)
    )
}

fn put(s: &TestServer, user: &str, path: &str, bytes: &[u8]) -> (u16, Value) {
    match ureq::put(&format!("{}{path}?{}", s.url, file_auth(s, user))).send_bytes(bytes) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

fn get(url: &str) -> Vec<u8> {
    let mut out = Vec::new();
    ureq::get(url)
        .call()
        .unwrap()
        .into_reader()
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn an_uploaded_file_cannot_be_replaced() {
    let files = tempfile::tempdir().unwrap();
    let s = TestServer::with(|c| c.files_dir = Some(files.path().to_path_buf()));
    let alices = b"alice's picture ".repeat(4096);
    let (status, r) = put(&s, "alice", "/files/u-1/pic.bin", &alices);
    assert_eq!(status, 200, "{r}");
    assert_ok(&r);
    let url = r["Url"].as_str().unwrap().to_string();
    // mallory's bytes at the same path are refused, and the URL keeps serving alice's.
    let (status, r) = put(&s, "mallory", "/files/u-1/pic.bin", b"mallory's bytes");
    assert_eq!(status, 409, "{r}");
    assert_code(&r, 110003);
    assert_eq!(get(&url), alices);
    // The same bytes again (a retry, or another client with the same file) succeed.
    let (status, again) = put(&s, "mallory", "/files/u-1/pic.bin", &alices);
    assert_eq!(status, 200, "{again}");
    assert_ok(&again);
    assert_eq!(again["Url"], url.as_str());
    assert_eq!(again["Size"], alices.len());

    // Two PUTs of different bytes at once: exactly one is stored, whole.
    let s = Arc::new(s);
    for round in 0..20 {
        let path = format!("/files/race{round}/f.bin");
        let bodies: Vec<Vec<u8>> = (0..2u8)
            .map(|w| (0..300_000u32).map(|i| (i % 253) as u8 ^ w).collect())
            .collect();
        let bodies = Arc::new(bodies);
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|w| {
                let (s, path, bodies, barrier) =
                    (s.clone(), path.clone(), bodies.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    put(&s, "mallory", &path, &bodies[w])
                })
            })
            .collect();
        let results: Vec<(u16, Value)> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
        let winner = statuses
            .iter()
            .position(|st| *st == 200)
            .unwrap_or_else(|| panic!("{results:?}"));
        assert_eq!(statuses[1 - winner], 409, "{results:?}");
        assert_code(&results[1 - winner].1, 110003);
        assert_eq!(get(&format!("{}{path}", s.url)), bodies[winner]);
    }
    // No temporary file is left behind.
    let mut stack = vec![files.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                assert!(!p.to_string_lossy().ends_with(".part"), "{p:?}");
            }
        }
    }
}

#[test]
fn connect_is_refused_never_tunnelled() {
    let s = TestServer::start();
    let addr = s.server.as_ref().unwrap().addr;
    for (target, status, code) in [
        ("example.com:443", 404, 60009),
        ("127.0.0.1:22", 404, 60009),
        ("/v4/openim/sendmsg", 405, 60002),
        ("/v4/v2im/channel", 405, 60002),
        ("/files/u/a.bin", 405, 60002),
        ("/nowhere", 404, 60009),
    ] {
        let mut sock = TcpStream::connect(addr).unwrap();
        write!(sock, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").unwrap();
        let a = read_answer(&mut sock, Duration::from_secs(5))
            .unwrap_or_else(|| panic!("{target}: no answer"));
        assert_eq!(a.status, status, "{target}: {a:?}");
        assert_code(&a.body, code);
        // Nothing is tunnelled: bytes after the answer are not relayed anywhere, and the
        // connection ends.
        let _ = sock.write_all(b"SSH-2.0-x\r\n");
        assert!(closed_within(&mut sock, Duration::from_secs(5)), "{target}");
    }
    // The server is fine afterwards.
    assert_eq!(
        ureq::get(&format!("{}/healthz", s.url))
            .call()
            .unwrap()
            .status(),
        200
    );
}
