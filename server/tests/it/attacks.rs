//! Attacks over real HTTP: replacing another account's uploaded file.

use std::io::Read;
use std::sync::{Arc, Barrier};

use crate::common::*;
use serde_json::Value;

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
