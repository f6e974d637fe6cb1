//! The live channel against the real binary: a reader that never reads costs the server no
//! growing memory, and a SIGKILL in the middle of a stream of sends loses and repeats nothing
//! for a client that resumes from its cursor.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::channel::{Channel, Next};
use crate::common::*;
use serde_json::json;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build()
}

#[test]
fn a_reader_that_stops_reading_costs_no_growing_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = spawn_binary(&dir.path().join("stall.db"), &[]);
    let addr = url_addr(&url);
    let agent = agent();
    let text7k: Arc<str> = "s".repeat(7 * 1024).into();
    let batch = move |i: usize| {
        json!({"From_Account": "alice", "To_Account": ["bob", "carol"], "MsgRandom": i,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("{i} {text7k}")}}]})
    };
    // bob's channel is opened and never read again; carol's is read throughout.
    let mut bob = Channel::request(addr, "GET", &live_channel_path("bob", None)).unwrap();
    assert_eq!(bob.event(Duration::from_secs(10))["Event"], "Hello");
    let mut carol = Channel::request(addr, "GET", &live_channel_path("carol", None)).unwrap();
    assert_eq!(carol.event(Duration::from_secs(10))["Event"], "Hello");
    let got = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (got, done) = (got.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                match carol.next(Duration::from_millis(200)) {
                    Next::Line(v) if v["Event"] == "C2cMsg" => {
                        got.fetch_add(1, Ordering::Relaxed);
                    }
                    Next::End => panic!("carol's channel ended"),
                    _ => {}
                }
            }
        })
    };
    // Warm up (SQLite caches, buffers), then measure.
    for i in 0..300 {
        assert_ok(&call_url(&agent, &url, ADMIN, "openim/batchsendmsg", &batch(i)).unwrap());
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_bytes(child.0.id());
    let n = 5000;
    let senders: Vec<_> = (0..2)
        .map(|t| {
            let (url, agent, batch) = (url.clone(), agent.clone(), batch.clone());
            std::thread::spawn(move || {
                for i in (300 + t..300 + n).step_by(2) {
                    let r =
                        call_url(&agent, &url, ADMIN, "openim/batchsendmsg", &batch(i)).unwrap();
                    assert_ok(&r);
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    // carol got everything while bob's channel was stalled.
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "carol got {} of {n}",
            got.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = rss_bytes(child.0.id());
    let sent_to_bob = (n - 300) as u64 * 7 * 1024;
    let growth = after.saturating_sub(before);
    eprintln!(
        "stalled reader: {} MB sent to it, server RSS {} -> {} MB (+{} MB)",
        sent_to_bob >> 20,
        before >> 20,
        after >> 20,
        growth >> 20
    );
    assert!(growth < sent_to_bob / 3, "RSS grew by {growth} bytes");
    // Others are unaffected: a new channel gets a new message at once.
    let mut dave = Channel::request(addr, "GET", &live_channel_path("dave", None)).unwrap();
    assert_eq!(dave.event(Duration::from_secs(10))["Event"], "Hello");
    let t = Instant::now();
    let r = call_url(&agent, &url, ADMIN, "openim/sendmsg",
        &json!({"From_Account": "alice", "To_Account": "dave", "MsgRandom": 1, "MsgBody": text("hi")}))
    .unwrap();
    assert_ok(&r);
    assert_eq!(dave.event(Duration::from_secs(10))["Event"], "C2cMsg");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    done.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    drop(bob);
    drop(child);
}

/// What the channel reader saw: (cursor, text) of each message, in order.
type Seen = Arc<Mutex<Vec<(u64, String)>>>;

/// Reads `ch` into `seen` until it ends; returns the last cursor seen.
fn read_all(mut ch: Channel, seen: Seen, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match ch.next(Duration::from_millis(200)) {
            Next::Line(v) if v["Event"] == "C2cMsg" => {
                let c = v["Cursor"].as_u64().expect("stored messages have cursors");
                let t = v["Msg"]["MsgBody"][0]["MsgContent"]["Text"]
                    .as_str()
                    .unwrap()
                    .to_string();
                seen.lock().unwrap().push((c, t));
            }
            Next::End => return,
            _ => {}
        }
    })
}

#[test]
fn sigkill_and_restart_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.db");
    let (mut child, url) = spawn_binary(&db, &[]);
    let agent = agent();
    let total = 1200;
    let body = |i: usize| {
        json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": i, "MsgSeq": i,
            "MsgBody": text(&format!("m{i}"))})
    };
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Before anything is sent: from now on.
    let mut ch = Channel::request(url_addr(&url), "GET", &live_channel_path("bob", None)).unwrap();
    let hello = ch.event(Duration::from_secs(10));
    let start = hello["Cursor"].as_u64().unwrap();
    let reader = read_all(ch, seen.clone(), stop.clone());
    // Send until killed.
    let acked = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (url, agent, acked) = (url.clone(), agent.clone(), acked.clone());
        std::thread::spawn(move || {
            for i in 0..total {
                match call_url(&agent, &url, ADMIN, "openim/sendmsg", &body(i)) {
                    Ok(r) if r["ErrorCode"] == 0 => {
                        acked.store(i + 1, Ordering::SeqCst);
                    }
                    _ => return i,
                }
            }
            total
        })
    };
    while acked.load(Ordering::SeqCst) < 500 {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let first_unacked = sender.join().unwrap();
    assert!(first_unacked < total, "the kill came too late");
    reader.join().unwrap();
    let last = seen.lock().unwrap().last().map_or(start, |(c, _)| *c);
    eprintln!(
        "killed after {first_unacked} acknowledged sends; the channel had {} messages",
        seen.lock().unwrap().len()
    );

    // Restart on the same database; resend from the first unacknowledged one (same random and
    // seq: a retry, recognised if it was stored) and resume the channel from its last cursor.
    let (_child, url) = spawn_binary(&db, &[]);
    let mut ch =
        Channel::request(url_addr(&url), "GET", &live_channel_path("bob", Some(last))).unwrap();
    assert_eq!(ch.event(Duration::from_secs(10))["Cursor"], last);
    let reader = read_all(ch, seen.clone(), stop.clone());
    for i in first_unacked..total {
        assert_ok(&call_url(&agent, &url, ADMIN, "openim/sendmsg", &body(i)).unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().last().map(|(_, t)| t.as_str()) != Some(&format!("m{}", total - 1)) {
        assert!(Instant::now() < deadline, "not all delivered");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    let seen = seen.lock().unwrap();
    let texts: Vec<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    let want: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, want, "every message exactly once, in order");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "cursors increase");
    // And the history agrees.
    let r = call_url(
        &agent,
        &url,
        ADMIN,
        "openim/admin_getroammsg",
        &json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 1000}),
    )
    .unwrap();
    assert_eq!(r["MsgCnt"], 1000);
}
