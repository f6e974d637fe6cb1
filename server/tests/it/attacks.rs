//! Attacks over real HTTP: replacing another account's uploaded file, and CONNECT.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

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
