//! One message as a user feels it: the latency of one `sendMessage` on an idle loopback (its
//! result callback) and the rate of one conversation (messages wait for the one before), each
//! against `wrk -t1 -c1` sending the same sendmsg request to the same server in the same round.

use super::*;
use std::sync::Condvar;

/// The receiver of every message here: one conversation.
const TO: &str = "r1";
/// The library's default `senderThreads`: what a client that does not set it gets.
const DEFAULT_SENDER_THREADS: usize = 4;

/// The time a result callback ran, taken first thing on the callback thread, so how the loop
/// waits for it (blocked, not spinning on one of the machine's two cores) is outside the clock.
#[derive(Default)]
pub(crate) struct Stamp {
    at: Mutex<Option<(i32, Instant)>>,
    cv: Condvar,
}

pub(crate) unsafe extern "C" fn on_stamp(ud: *mut c_void, code: i32, _json: *const c_char) {
    let t = Instant::now();
    // SAFETY: `ud` is the loop's `Stamp`, alive until its client is freed.
    let s = unsafe { &*(ud as *const Stamp) };
    *s.at.lock().unwrap_or_else(|e| e.into_inner()) = Some((code, t));
    s.cv.notify_one();
}

impl Stamp {
    /// The next callback's (code, time), waiting at most `limit`.
    pub(crate) fn take(&self, limit: Duration) -> Option<(i32, Instant)> {
        let g = self.at.lock().unwrap_or_else(|e| e.into_inner());
        let (mut g, _) = self
            .cv
            .wait_timeout_while(g, limit, |v| v.is_none())
            .unwrap_or_else(|e| e.into_inner());
        g.take()
    }
}

/// What `wrk -t1 -c1 --latency` measured: one connection used serially.
pub(crate) struct Serial {
    pub p50_us: f64,
    pub p90_us: f64,
    pub rps: f64,
}

/// Runs `wrk -t1 -c1 --latency` for `secs` with `script`.
pub(crate) fn wrk_serial(secs: u64, url: &str, script: &Path) -> Serial {
    let out = Command::new("wrk")
        .args(["-t1", "-c1", "--latency", "--timeout", "10s"])
        .arg(format!("-d{secs}s"))
        .arg("-s")
        .arg(script)
        .arg(url)
        .output()
        .unwrap_or_else(|e| die(format!("wrk: {e}")));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pct = |p: &str| {
        let v = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .map(str::trim)
            .unwrap_or_else(|| die(format!("no {p} line in wrk output:\n{text}")));
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
        let num: f64 = num
            .parse()
            .unwrap_or_else(|_| die(format!("wrk latency {v:?}")));
        match unit {
            "us" => num,
            "ms" => num * 1000.0,
            "s" => num * 1e6,
            _ => die(format!("wrk latency unit {unit:?}")),
        }
    };
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| die(format!("no Requests/sec in wrk output:\n{text}")));
    Serial {
        p50_us: pct("50%"),
        p90_us: pct("90%"),
        rps,
    }
}

/// `n` messages one at a time (after 20 unmeasured): each is created, then timed from the
/// `sendMessage` call to its result callback. Returns the latencies in µs.
fn one_at_a_time(url: &str, n: usize) -> Vec<f64> {
    let c = Client::new(&client_config(url, DEFAULT_SENDER_THREADS, 1000, 10_000));
    let stamp = Box::new(Stamp::default());
    let ud = &*stamp as *const Stamp as *mut c_void;
    let create = CString::new(format!(r#"{{"text":"{TEXT}"}}"#)).expect("no NUL");
    let mut created = Created::default();
    let mut lat = Vec::with_capacity(n);
    for i in 0..n + 20 {
        create_text(&c, &mut created, &create);
        let send = CString::new(format!(r#"{{"id":"{}","receiver":"{TO}"}}"#, created.id))
            .expect("no NUL");
        let t = Instant::now();
        let rc = c.call(c"sendMessage", &send, on_stamp, ud);
        if rc != 0 {
            die(format!("sendMessage: rc {rc}"));
        }
        match stamp.take(Duration::from_secs(20)) {
            Some((0, at)) if i >= 20 => lat.push((at - t).as_secs_f64() * 1e6),
            Some((0, _)) => {}
            Some((code, _)) => die(format!("latency: message {i} failed with {code}")),
            None => die(format!("latency: no callback for message {i} within 20 s")),
        }
    }
    drop(c);
    lat
}

/// `n` creates + sends to one receiver from one thread, each sent as soon as the previous
/// `sendMessage` returned (accepted); messages / (first call → last callback).
fn one_conversation(url: &str, n: usize) -> (f64, usize, Option<String>) {
    let c = Client::new(&client_config(
        url,
        DEFAULT_SENDER_THREADS,
        n + 1000,
        10_000,
    ));
    let done = Box::new(Done::default());
    let create = CString::new(format!(r#"{{"text":"{TEXT}"}}"#)).expect("no NUL");
    let mut created = Created::default();
    let t = Instant::now();
    for _ in 0..n {
        create_and_send(&c, &mut created, &create, TO, &done);
    }
    if !done.wait(n, Duration::from_secs(300)) {
        die(format!(
            "one conversation: only {} of {n} callbacks in 300 s",
            done.total()
        ));
    }
    let secs = t.elapsed().as_secs_f64();
    drop(c);
    let failed = done.failed.load(Ordering::Acquire);
    let first = done.first_failure.lock().unwrap().take();
    (n as f64 / secs, failed, first)
}

/// Rows 7a and 7b.
pub(crate) fn rows(o: &Opts, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    const LATENCY_MSGS: usize = 300;
    const CONVERSATION_MSGS: usize = 8000;
    eprintln!("== one message: latency and one conversation's rate");
    let server = Server::start(&o.server, &o.tmp.join("latency.db"), None);
    let sig = v2im_wire::usersig::gen_usersig(APP, KEY, SENDER, 86_400);
    let (mut w50, mut w90, mut wrps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut l50, mut l90, mut lrps) = (Vec::new(), Vec::new(), Vec::new());
    // CPU per message (µs): wrk's and the library process's, the server's under each.
    let (mut c_wrk, mut c_lib, mut c_srv_wrk, mut c_srv_lib) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let srv_stat = format!("/proc/{}/stat", server.child.id());
    for r in 0..o.rounds {
        let script = o.tmp.join(format!("one-{r}.lua"));
        let base = 1_000_000_000 + 10_000_000 * r as u64;
        std::fs::write(&script, sendmsg_lua_to(&sig, base, false, Some(TO)))
            .unwrap_or_else(|e| die(e));
        let (w0, s0) = (
            stat_cpu_ns("/proc/self/stat", true),
            stat_cpu_ns(&srv_stat, false),
        );
        let w = wrk_serial(o.secs, &server.url, &script);
        let reqs = w.rps * o.secs as f64;
        c_wrk.push((stat_cpu_ns("/proc/self/stat", true) - w0) as f64 / reqs / 1000.0);
        c_srv_wrk.push((stat_cpu_ns(&srv_stat, false) - s0) as f64 / reqs / 1000.0);
        let mut lat = one_at_a_time(&server.url, LATENCY_MSGS);
        lat.sort_by(|a, b| a.total_cmp(b));
        let p90 = lat[lat.len() * 9 / 10];
        let (l0, s0) = (process_cpu_ns(), stat_cpu_ns(&srv_stat, false));
        let (rate, failed, first) = one_conversation(&server.url, CONVERSATION_MSGS);
        let n = CONVERSATION_MSGS as f64;
        c_lib.push((process_cpu_ns() - l0) as f64 / n / 1000.0);
        c_srv_lib.push((stat_cpu_ns(&srv_stat, false) - s0) as f64 / n / 1000.0);
        if failed > 0 {
            notes.push(format!(
                "round {r}: one conversation: {failed} of {CONVERSATION_MSGS} sends failed, \
                 first: {}",
                first.unwrap_or_default()
            ));
        }
        eprintln!(
            "   round {r}: wrk -c1 median {:.0} µs, {:.0}/s; library send → callback median {:.0} \
             µs; one conversation {rate:.0}/s",
            w.p50_us,
            w.rps,
            median(&lat)
        );
        w50.push(w.p50_us);
        w90.push(w.p90_us);
        wrps.push(w.rps);
        l50.push(median(&lat));
        l90.push(p90);
        lrps.push(rate);
    }
    let (w50, l50, wrps, lrps) = (
        Stat::of(&w50),
        Stat::of(&l50),
        Stat::of(&wrps),
        Stat::of(&lrps),
    );
    let us = |v: f64| format!("{v:.0} µs");
    let per_s = |v: f64| format!("{v:.0}/s");
    let r = l50.med / w50.med;
    rows.push(Row {
        target: "7a. median sendMessage → its result callback, idle loopback ≤ 1.3 × wrk -c1 \
                 sendmsg latency",
        measured: l50.show(us),
        baseline: format!("wrk -c1 {}", w50.show(us)),
        check: Check::AtMost(r, 1.3),
    });
    let r = lrps.med / wrps.med;
    rows.push(Row {
        target: "7b. one conversation: 8,000 texts to one receiver, each sent once accepted ≥ 0.8 \
                 × wrk -c1 sendmsg rate",
        measured: format!("library {}", lrps.show(per_s)),
        baseline: format!("wrk -c1 {}", wrps.show(per_s)),
        check: Check::AtLeast(r, 0.8),
    });
    notes.push(format!(
        "7a: 90th percentiles (medians of the rounds): library {}, wrk -c1 {}.",
        us(median(&l90)),
        us(median(&w90))
    ));
    notes.push(format!(
        "7b: CPU per message (medians, µs; 10 ms ticks): wrk -c1 {:.1}, library process (its \
         7b loop: creates, sends, callbacks) {:.1}; server under wrk {:.1}, under the library \
         {:.1}.",
        median(&c_wrk),
        median(&c_lib),
        median(&c_srv_wrk),
        median(&c_srv_lib)
    ));
}
