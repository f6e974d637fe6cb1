//! Callback counting: a non-zero return never calls back; every accepted call calls back exactly
//! once — under 8 threads, and at shutdown with 1,000 messages queued for an unreachable server.

use crate::common::*;
use serde_json::json;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};
use v2im::codes;
use v2im::ffi::*;

/// One request's callback record.
#[derive(Default)]
struct Slot {
    calls: AtomicU32,
    code: AtomicI32,
}

unsafe extern "C" fn count(ud: *mut c_void, code: i32, _json: *const c_char) {
    // SAFETY: `ud` points into the test's slot array, which outlives the client.
    let s = unsafe { &*(ud as *const Slot) };
    s.code.store(code, Ordering::SeqCst);
    s.calls.fetch_add(1, Ordering::SeqCst);
}

fn slots(n: usize) -> Box<[Slot]> {
    (0..n).map(|_| Slot::default()).collect()
}

fn call_counted(client: *mut v2im_client, method: &str, params: &str, slot: &Slot) -> i32 {
    let m = cstring(method);
    let p = cstring(params);
    // SAFETY: a live client, valid strings; the slot outlives the client.
    unsafe {
        v2im_call(
            client,
            m.as_ptr(),
            p.as_ptr(),
            Some(count),
            slot as *const Slot as *mut c_void,
        )
    }
}

#[test]
fn every_accepted_call_calls_back_once_under_8_threads() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 60;
    let s = TestServer::start();
    let mut c = TestClient::new(&s.url, "alice");
    let all = slots(THREADS * PER_THREAD);
    let expected: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let client = SendPtr(c.ptr);
                let all = &all;
                scope.spawn(move || {
                    let client = client;
                    let creates = Sink::new();
                    let mut expected = Vec::with_capacity(PER_THREAD);
                    for i in 0..PER_THREAD {
                        let slot = &all[t * PER_THREAD + i];
                        let rc = match i % 6 {
                            0 => {
                                call_counted(client.0, "createTextMessage", r#"{"text":"t"}"#, slot)
                            }
                            1 => {
                                // Create (collected elsewhere), then send with the counted callback.
                                let m = cstring("createTextMessage");
                                let p = cstring(&format!(r#"{{"text":"from {t} #{i}"}}"#));
                                let rc = unsafe {
                                    v2im_call(
                                        client.0,
                                        m.as_ptr(),
                                        p.as_ptr(),
                                        Some(collect),
                                        creates.ptr(),
                                    )
                                };
                                assert_eq!(rc, 0);
                                let id = creates.next().json["data"]["id"]
                                    .as_str()
                                    .unwrap()
                                    .to_string();
                                let params =
                                    json!({"id": id, "receiver": format!("peer{t}")}).to_string();
                                call_counted(client.0, "sendMessage", &params, slot)
                            }
                            2 => call_counted(
                                client.0,
                                "sendMessage",
                                r#"{"id":"v2im-unknown","receiver":"x"}"#,
                                slot,
                            ),
                            3 => call_counted(client.0, "noSuchMethod", "{}", slot),
                            4 => call_counted(client.0, "findMessages", "not json", slot),
                            _ => call_counted(
                                client.0,
                                "getC2CHistoryMessageList",
                                &format!(r#"{{"userID":"peer{t}","count":3}}"#),
                                slot,
                            ),
                        };
                        let refused = matches!(i % 6, 3 | 4);
                        assert_eq!(rc != 0, refused, "thread {t} call {i}: rc {rc}");
                        expected.push(u32::from(rc == 0));
                    }
                    expected
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let accepted: u32 = expected.iter().sum();
    let deadline = Instant::now() + WAIT;
    while all
        .iter()
        .map(|s| s.calls.load(Ordering::SeqCst))
        .sum::<u32>()
        < accepted
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    c.free();
    for (i, (slot, want)) in all.iter().zip(&expected).enumerate() {
        assert_eq!(slot.calls.load(Ordering::SeqCst), *want, "call {i}");
    }
    // The sends really went through.
    for t in 0..THREADS {
        let code = all[t * PER_THREAD + 1].code.load(Ordering::SeqCst);
        assert_eq!(code, 0, "thread {t}'s first send");
    }
}

/// Creates `n` messages on `c` (ids collected through its own sink).
fn create_many(c: &TestClient, n: usize) -> Vec<String> {
    (0..n).map(|i| c.text(&format!("queued {i}"))).collect()
}

fn shutdown_with_1000_queued(server_url: &str, timeout_ms: u64) -> (Duration, Box<[Slot]>) {
    let mut cfg = config(server_url, "alice");
    cfg["requestTimeoutMs"] = json!(timeout_ms);
    cfg["maxRetries"] = json!(10);
    let mut c = TestClient::with_config(cfg);
    let ids = create_many(&c, 1000);
    let all = slots(1000);
    for (i, id) in ids.iter().enumerate() {
        let params = json!({"id": id, "receiver": format!("peer{}", i % 50)}).to_string();
        assert_eq!(call_counted(c.ptr, "sendMessage", &params, &all[i]), 0);
    }
    // Let the workers take their first messages (in flight, or backing off).
    std::thread::sleep(Duration::from_millis(150));
    let start = Instant::now();
    c.free();
    let took = start.elapsed();
    (took, all)
}

fn assert_all_once_failed(all: &[Slot]) {
    for (i, s) in all.iter().enumerate() {
        assert_eq!(s.calls.load(Ordering::SeqCst), 1, "message {i}");
        let code = s.code.load(Ordering::SeqCst);
        assert!(
            [
                codes::V2IM_ERR_SHUTTING_DOWN,
                codes::V2IM_ERR_NETWORK,
                codes::ERR_REQUEST_TIME_OUT
            ]
            .contains(&code),
            "message {i}: code {code}"
        );
    }
    assert!(
        all.iter()
            .any(|s| s.code.load(Ordering::SeqCst) == codes::V2IM_ERR_SHUTTING_DOWN),
        "queued messages are cancelled at shutdown"
    );
}

#[test]
fn free_with_1000_queued_for_a_refusing_server() {
    // Nothing listens on port 1: every attempt fails at once and backs off.
    let (took, all) = shutdown_with_1000_queued("http://127.0.0.1:1", 2000);
    assert!(
        took < Duration::from_millis(2000 + 3000),
        "v2im_client_free took {took:?}"
    );
    assert_all_once_failed(&all);
}

#[test]
fn free_with_1000_queued_for_a_silent_server_waits_at_most_the_request_timeout() {
    // A listener that never answers: 4 requests hang in flight until requestTimeoutMs.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (took, all) = shutdown_with_1000_queued(&url, 1500);
    assert!(
        took < Duration::from_millis(1500 + 3000),
        "v2im_client_free took {took:?}"
    );
    assert_all_once_failed(&all);
    let timed_out = all
        .iter()
        .filter(|s| s.code.load(Ordering::SeqCst) == codes::ERR_REQUEST_TIME_OUT)
        .count();
    assert!(
        timed_out >= 1,
        "in-flight requests end with the request timeout"
    );
    drop(silent);
}
