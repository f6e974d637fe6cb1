//! What after-send callbacks cost the sender: wrk's sendmsg throughput against a v2im-server
//! whose `C2C.CallbackAfterSendMsg` goes to a trivial receiver in this process, against the same
//! wrk on a server without callbacks, rounds alternating, same connections and duration. The
//! notes say whether every callback arrived and how far delivery lagged behind.

use super::*;
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Counts the callbacks it receives (and their distinct MsgKeys) and answers each with
/// Tencent's "OK"; keep-alive, a thread per connection (the server opens at most 8).
#[derive(Default)]
struct Sink {
    requests: AtomicU64,
    keys: Mutex<HashSet<String>>,
}

fn read_request(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut len = 0;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(body)
}

/// `"MsgKey":"..."` of a callback body, without parsing it all.
fn msg_key(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"MsgKey\":\"";
    let p = body.windows(KEY.len()).position(|w| w == KEY)?;
    let rest = &body[p + KEY.len()..];
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Starts the receiver; its URL.
fn receiver(sink: Arc<Sink>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(e));
    let url = format!(
        "http://{}/callback",
        l.local_addr().unwrap_or_else(|e| die(e))
    );
    std::thread::spawn(move || {
        // Bounded: the server keeps at most a few connections per URL.
        for s in l.incoming().take(10_000).flatten() {
            let sink = sink.clone();
            std::thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
                let Ok(mut out) = s.try_clone() else { return };
                let mut r = BufReader::new(s);
                let answer = r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
                let ok = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                while let Some(body) = read_request(&mut r) {
                    if let Some(k) = msg_key(&body) {
                        sink.keys
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(k);
                    }
                    sink.requests.fetch_add(1, Ordering::Release);
                    if out.write_all(ok.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Messages `server` stored from the bench's sender: the sum of the receivers' unread counts
/// (nothing here reads them).
fn stored(server: &Server) -> u64 {
    let addr = server.url.trim_start_matches("http://").to_string();
    // Another account's count is the admin's to read.
    let sig = v2im_wire::usersig::gen_usersig(APP, KEY, "administrator", 86_400);
    let mut q = String::new();
    v2im_wire::url::push_query_value(&mut q, &sig);
    let mut total = 0;
    for i in 0..RECEIVERS {
        let body = format!(r#"{{"To_Account":"r{i}"}}"#);
        let req = format!(
            "POST /v4/openim/get_c2c_unread_msg_num?sdkappid={APP}&identifier=administrator&usersig={q}&random=1&contenttype=json HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let answer = http_exchange(&addr, &req);
        let n = answer
            .split("\"AllC2CUnreadMsgNum\":")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or_else(|| die(format!("unread count of r{i}: {answer}")));
        total += n;
    }
    total
}

/// Waits until `sink` has `want` distinct keys, or 120 s passed; the time it took.
fn caught_up(sink: &Sink, want: u64) -> Option<Duration> {
    let t = Instant::now();
    loop {
        let have = sink.keys.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        if have >= want {
            break;
        }
        if t.elapsed() > Duration::from_secs(120) {
            eprintln!("   callbacks: {have} of {want} arrived within 120 s");
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Some(t.elapsed())
}

/// Row 8.
pub(crate) fn rows(o: &Opts, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    eprintln!(
        "== after-send callbacks: {} rounds, {} connections, {} s",
        o.rounds, o.conns, o.secs
    );
    let sink = Arc::new(Sink::default());
    let url = receiver(sink.clone());
    let off = Server::start(&o.server, &o.tmp.join("hooks-off.db"), None);
    let on = Server::start_with(
        &o.server,
        &o.tmp.join("hooks-on.db"),
        None,
        &[
            "--callback-url",
            &url,
            "--callbacks",
            "C2C.CallbackAfterSendMsg",
        ],
    );
    let sig = v2im_wire::usersig::gen_usersig(APP, KEY, SENDER, 86_400);
    // Warm-up and check on both: every receiver exists (auto-import), every answer is OK.
    for (s, base) in [(&off, 100_000_000), (&on, 200_000_000)] {
        let check = o.tmp.join(format!("hooks-check-{base}.lua"));
        std::fs::write(&check, sendmsg_lua(&sig, base, true)).unwrap_or_else(|e| die(e));
        let w = wrk(o.conns, 2, &s.url, Some(&check));
        if w.bad != Some(0) {
            die(format!(
                "wrk sendmsg check: {:?} answers not OK ({})",
                w.bad, w.errors
            ));
        }
    }
    let (mut rate_off, mut rate_on, mut lags) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cpu_off, mut cpu_on) = (Vec::new(), Vec::new());
    let stat = |s: &Server| format!("/proc/{}/stat", s.child.id());
    let mut lagged = false;
    for r in 0..o.rounds {
        // The on-server's delivery has caught up before each round, so it never runs during the
        // other server's round.
        let delivered_before = caught_up(&sink, stored(&on));
        if delivered_before.is_none() {
            lagged = true;
        }
        let order: [(&Server, bool); 2] = if r % 2 == 0 {
            [(&off, false), (&on, true)]
        } else {
            [(&on, true), (&off, false)]
        };
        let mut line = format!("   round {r}:");
        for (s, hooks) in order {
            let script = o.tmp.join(format!("hooks-{r}-{hooks}.lua"));
            let base = 300_000_000 * (r as u64 + 1) + if hooks { 150_000_000 } else { 0 };
            std::fs::write(&script, sendmsg_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            let c0 = stat_cpu_ns(&stat(s), false);
            let w = wrk(o.conns, o.secs, &s.url, Some(&script));
            let reqs = w.rps * o.secs as f64;
            let cpu = (stat_cpu_ns(&stat(s), false) - c0) as f64 / reqs / 1000.0;
            if !w.errors.is_empty() {
                notes.push(format!("8, round {r}: wrk reported: {}", w.errors));
            }
            if hooks {
                rate_on.push(w.rps);
                cpu_on.push(cpu);
                // How long the callbacks of this round took to arrive after wrk stopped.
                match caught_up(&sink, stored(&on)) {
                    Some(d) => lags.push(d.as_secs_f64()),
                    None => lagged = true,
                }
                line.push_str(&format!(" with callbacks {:.0}/s", w.rps));
            } else {
                rate_off.push(w.rps);
                cpu_off.push(cpu);
                line.push_str(&format!(" without {:.0}/s", w.rps));
            }
        }
        eprintln!("{line}");
    }
    let want = stored(&on);
    let done = caught_up(&sink, want).is_some();
    let keys = sink.keys.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
    let requests = sink.requests.load(Ordering::Acquire);
    let (on_s, off_s) = (Stat::of(&rate_on), Stat::of(&rate_off));
    let per_s = |v: f64| format!("{v:.0}/s");
    let ratio = on_s.med / off_s.med;
    rows.push(Row {
        target: "8. sendmsg throughput with after-send callbacks on ≥ 0.8 × off (wrk, same conns, a trivial local receiver)",
        measured: format!("with callbacks {}", on_s.show(per_s)),
        baseline: format!("without {}", off_s.show(per_s)),
        // Every callback must have arrived, none late, for the ratio to count.
        check: if done && !lagged {
            Check::AtLeast(ratio, 0.8)
        } else {
            Check::Broken(ratio, 0.8)
        },
    });
    notes.push(format!(
        "8: {keys} of the {want} stored messages' C2C.CallbackAfterSendMsg arrived ({} requests: \
         {} sent again){}; after each timed run the last callback arrived {} later (median, \
         max {:.2} s). Server CPU per message (10 ms ticks): {:.1} µs with callbacks (the \
         delivery included), {:.1} µs without.",
        requests,
        requests.saturating_sub(keys),
        if done {
            ""
        } else {
            " — NOT all within 120 s"
        },
        if lags.is_empty() {
            "?".to_string()
        } else {
            format!("{:.2} s", median(&lags))
        },
        lags.iter().copied().fold(0.0, f64::max),
        median(&cpu_on),
        median(&cpu_off),
    ));
}
