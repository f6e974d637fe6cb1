//! `v2im-bench`: measures every performance target of v2im (listed in `bench/METHOD.md`) in one
//! run, each as a ratio against a baseline measured in the same run (or against the target's
//! own figure where the target is absolute), with medians and spreads of several rounds.
//!
//! `bench/run` builds the release binaries and calls `v2im-bench all ...`, which starts
//! `v2im-server` processes on 127.0.0.1 with temporary databases, runs `wrk` and the library,
//! re-runs itself as child processes for the per-process measurements (accept cost, memory,
//! callbacks), and writes `bench/RESULTS.md`. Every loop is bounded in count and time.

use std::ffi::{c_char, c_void, CStr, CString};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use v2im::ffi::{v2im_call, v2im_client, v2im_client_free, v2im_client_new};

mod durability;
mod latency;
mod receive;
mod report;
mod server;
mod webhooks;

use server::server_rows;

const APP: u64 = 1_400_000_001;
const KEY: &str = "v2im-bench-secret-key";
const SENDER: &str = "bench";
const RECEIVERS: usize = 256;
const TEXT: &str = "bench message";

// ---------------------------------------------------------------------------------------------
// Small helpers

/// Server processes still running: `die` stops them, so no server outlives the run.
static SERVERS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("v2im-bench: {msg}");
    let pids = std::mem::take(&mut *SERVERS.lock().unwrap_or_else(|e| e.into_inner()));
    for pid in pids {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    std::process::exit(1)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Median plus min..max and the relative spread (max-min)/median.
struct Stat {
    med: f64,
    min: f64,
    max: f64,
    n: usize,
}

impl Stat {
    fn of(v: &[f64]) -> Stat {
        Stat {
            med: median(v),
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            n: v.len(),
        }
    }
    fn spread_pct(&self) -> f64 {
        if self.med == 0.0 {
            0.0
        } else {
            (self.max - self.min) / self.med * 100.0
        }
    }
    /// "12345 (11000–13000, ±x%, n=5)" with `fmt` applied to each figure.
    fn show(&self, fmt: impl Fn(f64) -> String) -> String {
        format!(
            "{} ({}–{}, spread {:.0}%, n={})",
            fmt(self.med),
            fmt(self.min),
            fmt(self.max),
            self.spread_pct(),
            self.n
        )
    }
}

fn rss_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// This thread's time on a CPU and time waiting for one (runqueue), in ns (schedstat).
fn thread_sched_ns() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let mut it = s.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// The whole process's user + system CPU time in ns (all threads).
fn process_cpu_ns() -> u64 {
    stat_cpu_ns("/proc/self/stat", false)
}

/// User + system CPU time in ns from a `/proc/PID/stat`: the process's own, or (`children`)
/// that of its children it has waited for (wrk).
fn stat_cpu_ns(path: &str, children: bool) -> u64 {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let first = if children { 13 } else { 11 };
    let ticks = f.get(first).copied().unwrap_or(0) + f.get(first + 1).copied().unwrap_or(0);
    // USER_HZ is 100 on Linux.
    ticks * 10_000_000
}

/// Sends one HTTP/1.1 request (`Connection: close`) to `addr` and returns the whole answer,
/// head included; reads wait at most 10 s.
fn http_exchange(addr: &str, req: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap_or_else(|e| die(format!("{addr}: {e}")));
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    s.write_all(req.as_bytes())
        .unwrap_or_else(|e| die(format!("{addr}: {e}")));
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut answer);
    answer
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------------
// The library through its C ABI

struct Client(*mut v2im_client);

impl Client {
    fn new(cfg: &str) -> Client {
        let c = CString::new(cfg).expect("no NUL");
        let mut p = std::ptr::null_mut();
        // SAFETY: valid C string and out pointer; no callback.
        let rc = unsafe { v2im_client_new(c.as_ptr(), &mut p, None, std::ptr::null_mut()) };
        if rc != 0 || p.is_null() {
            die(format!("v2im_client_new failed with {rc}: {cfg}"));
        }
        Client(p)
    }

    /// `v2im_call`; `ud` must outlive the callback.
    fn call(&self, method: &CStr, params: &CStr, cb: Cb, ud: *mut c_void) -> i32 {
        // SAFETY: live client, valid strings; the callers keep `ud` alive until their
        // callbacks have run (they wait for them or exit the process).
        unsafe { v2im_call(self.0, method.as_ptr(), params.as_ptr(), Some(cb), ud) }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: the handle came from v2im_client_new and is freed once.
        unsafe { v2im_client_free(self.0) };
    }
}

type Cb = unsafe extern "C" fn(*mut c_void, i32, *const c_char);

fn client_config(url: &str, sender_threads: usize, max_queue: usize, timeout_ms: u64) -> String {
    format!(
        r#"{{"sdkAppID":{APP},"userID":"{SENDER}","secretKey":"{KEY}","serverUrl":"{url}","senderThreads":{sender_threads},"maxQueueLength":{max_queue},"requestTimeoutMs":{timeout_ms},"maxRetries":0,"logLevel":"off"}}"#
    )
}

/// Where the create callback leaves the new message's id (runs on the calling thread).
#[derive(Default)]
struct Created {
    code: i32,
    id: String,
}

/// Copies `data.id` out of `{"code":0,"desc":"","data":{"id":"...",...}}` without parsing it all.
unsafe extern "C" fn on_create(ud: *mut c_void, code: i32, json: *const c_char) {
    // SAFETY: `ud` is the caller's `Created`, alive during the synchronous callback.
    let out = unsafe { &mut *(ud as *mut Created) };
    out.code = code;
    out.id.clear();
    // SAFETY: the library passes a valid C string.
    let bytes = unsafe { CStr::from_ptr(json) }.to_bytes();
    const KEY: &[u8] = b"\"id\":\"";
    if let Some(p) = bytes.windows(KEY.len()).position(|w| w == KEY) {
        let rest = &bytes[p + KEY.len()..];
        let end = rest.iter().position(|&b| b == b'"').unwrap_or(0);
        out.id
            .push_str(std::str::from_utf8(&rest[..end]).unwrap_or(""));
    }
}

/// Completion counter for network callbacks (runs on the callback thread).
#[derive(Default)]
struct Done {
    ok: AtomicUsize,
    failed: AtomicUsize,
    first_failure: Mutex<Option<String>>,
    /// While set, the callback that finds it set waits (bounded) until it is cleared.
    gate: AtomicBool,
}

unsafe extern "C" fn on_done(ud: *mut c_void, code: i32, json: *const c_char) {
    // SAFETY: `ud` is a `Done` that outlives the client's callbacks.
    let d = unsafe { &*(ud as *const Done) };
    if d.gate.load(Ordering::Acquire) {
        let t = Instant::now();
        while d.gate.load(Ordering::Acquire) && t.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    if code == 0 {
        d.ok.fetch_add(1, Ordering::Release);
    } else {
        if d.failed.fetch_add(1, Ordering::Release) == 0 {
            // SAFETY: valid C string from the library.
            let s = unsafe { CStr::from_ptr(json) }
                .to_string_lossy()
                .into_owned();
            *d.first_failure.lock().unwrap() = Some(s);
        }
    }
}

impl Done {
    fn total(&self) -> usize {
        self.ok.load(Ordering::Acquire) + self.failed.load(Ordering::Acquire)
    }
    /// Waits until `n` callbacks ran or `limit` passed; true if all ran.
    fn wait(&self, n: usize, limit: Duration) -> bool {
        let t = Instant::now();
        while self.total() < n {
            if t.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        true
    }
}

/// `createTextMessage` with `params`; the new id is left in `created` (dies on failure).
fn create_text(c: &Client, created: &mut Created, params: &CStr) {
    let rc = c.call(
        c"createTextMessage",
        params,
        on_create,
        created as *mut Created as *mut c_void,
    );
    if rc != 0 || created.code != 0 || created.id.is_empty() {
        die(format!("createTextMessage: rc {rc}, code {}", created.code));
    }
}

/// Creates a text message and sends it to `receiver`. The bench's own part is kept small, as
/// 3a counts the whole loop's CPU: the params are copied onto the stack, and nothing is timed
/// per call (four clock reads per message were 4 % of the loop).
fn create_and_send(
    c: &Client,
    created: &mut Created,
    create_params: &CStr,
    receiver: &str,
    done: &Done,
) {
    create_text(c, created, create_params);
    let mut buf = [0u8; 256];
    let mut w = &mut buf[..];
    let parts: [&[u8]; 5] = [
        br#"{"id":""#,
        created.id.as_bytes(),
        br#"","receiver":""#,
        receiver.as_bytes(),
        b"\"}\0",
    ];
    if parts.iter().any(|p| w.write_all(p).is_err()) {
        die("sendMessage params over 256 bytes");
    }
    let len = 256 - w.len();
    let send = CStr::from_bytes_with_nul(&buf[..len]).unwrap_or_else(|e| die(e));
    let rc = c.call(
        c"sendMessage",
        send,
        on_done,
        done as *const Done as *mut c_void,
    );
    if rc != 0 {
        die(format!("sendMessage: rc {rc}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Child-process measurements (`v2im-bench queue N`, `v2im-bench callbacks N`)

/// A TCP listener that accepts connections and never answers: sends pile up in the queue.
fn stalled_listener() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(e));
    let addr = l.local_addr().unwrap_or_else(|e| die(e));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: the sender opens at most senderThreads connections.
        for _ in 0..1000 {
            match l.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_secs(3600));
    });
    format!("http://{addr}")
}

/// `n` create+send against a stalled server (with a `dataDir` when given): the calling thread's
/// CPU and wall time per message and the RSS growth of the queued messages. Prints
/// `RESULT cpu_ns=.. wall_ns=.. rss_delta_kb=.. hwm_delta_kb=..`.
fn child_queue(n: usize, data_dir: Option<&str>) {
    let url = stalled_listener();
    let mut config = client_config(&url, 4, n + 1000, 600_000);
    if let Some(d) = data_dir {
        config.pop();
        config.push_str(&format!(r#","dataDir":{}}}"#, serde_json::json!(d)));
    }
    let c = Client::new(&config);
    let done = Box::leak(Box::new(Done::default()));
    let create = CString::new(format!(r#"{{"text":"{TEXT}"}}"#)).expect("no NUL");
    let mut created = Created::default();
    // Warm-up outside the measurement (first allocations, thread start-up).
    for i in 0..100 {
        create_and_send(&c, &mut created, &create, &format!("w{i}"), done);
    }
    std::thread::sleep(Duration::from_millis(200));
    let rss0 = rss_kb("VmRSS:");
    let receivers: Vec<String> = (0..RECEIVERS).map(|i| format!("r{i}")).collect();
    let (cpu0, runq0) = thread_sched_ns();
    let pcpu0 = process_cpu_ns();
    let t = Instant::now();
    for i in 0..n {
        create_and_send(&c, &mut created, &create, &receivers[i % RECEIVERS], done);
    }
    let wall = t.elapsed();
    let (cpu1, runq1) = thread_sched_ns();
    let pcpu1 = process_cpu_ns();
    // Let the store's writer thread catch up, then read RSS (bounded: 10 s).
    let mut rss = rss_kb("VmRSS:");
    let mut stable = 0;
    let t = Instant::now();
    while stable < 3 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
        let r = rss_kb("VmRSS:");
        if r.abs_diff(rss) < 256 {
            stable += 1;
        } else {
            stable = 0;
        }
        rss = r;
    }
    let hwm = rss_kb("VmHWM:");
    println!(
        "RESULT wall_ns={:.1} cpu_ns={:.1} runq_ns={:.1} proc_cpu_ns={:.1} \
         rss_delta_kb={} hwm_delta_kb={} failed_early={}",
        wall.as_nanos() as f64 / n as f64,
        (cpu1 - cpu0) as f64 / n as f64,
        (runq1 - runq0) as f64 / n as f64,
        (pcpu1 - pcpu0) as f64 / n as f64,
        rss.saturating_sub(rss0),
        hwm.saturating_sub(rss0),
        done.total()
    );
    // Exit without v2im_client_free: it would wait requestTimeoutMs for the stalled requests.
    std::mem::forget(c);
    std::process::exit(0);
}

/// Callback-thread delivery rate. The first completion's callback holds the callback thread
/// while `n` more completions are posted (sendMessage of an unknown id: refused with 6017 and
/// reported through the callback thread, no network); then it is released and the time until
/// the last callback has run is the delivery time of `n` callbacks. Also the rate with producer
/// and callback thread running together. Prints `RESULT gated_per_s=.. concurrent_per_s=..`.
fn child_callbacks(n: usize) {
    let c = Client::new(&client_config("http://127.0.0.1:9", 1, 1000, 1000));
    let m = c"sendMessage";
    let p = c"{\"id\":\"no-such-message\",\"receiver\":\"r0\"}";
    // Gated: delivery alone.
    let done = Box::leak(Box::new(Done::default()));
    done.gate.store(true, Ordering::Release);
    let ud = done as *const Done as *mut c_void;
    c.call(m, p, on_done, ud);
    let tp = Instant::now();
    for _ in 0..n {
        if c.call(m, p, on_done, ud) != 0 {
            die("sendMessage refused synchronously");
        }
    }
    let produce = tp.elapsed();
    let t0 = Instant::now();
    done.gate.store(false, Ordering::Release);
    if !done.wait(n + 1, Duration::from_secs(120)) {
        die("callbacks did not all run within 120 s");
    }
    let gated = t0.elapsed();
    // Concurrent: producer and callback thread at once.
    let done2 = Box::leak(Box::new(Done::default()));
    let ud2 = done2 as *const Done as *mut c_void;
    let t1 = Instant::now();
    for _ in 0..n {
        c.call(m, p, on_done, ud2);
    }
    if !done2.wait(n, Duration::from_secs(120)) {
        die("callbacks did not all run within 120 s");
    }
    let conc = t1.elapsed();
    println!(
        "RESULT gated_per_s={:.0} concurrent_per_s={:.0} produce_per_s={:.0}",
        n as f64 / gated.as_secs_f64(),
        n as f64 / conc.as_secs_f64(),
        n as f64 / produce.as_secs_f64()
    );
    drop(c);
}

/// Upload memory: a file of `mb` MB sent as a file message; prints the peak RSS growth.
fn child_upload(url: &str, path: &str) {
    let c = Client::new(&client_config(url, 1, 100, 120_000));
    let rss0 = rss_kb("VmRSS:");
    let done = Box::leak(Box::new(Done::default()));
    let mut created = Created::default();
    let params =
        CString::new(format!(r#"{{"filePath":"{path}","fileName":"bench.bin"}}"#)).expect("no NUL");
    let rc = c.call(
        c"createFileMessage",
        &params,
        on_create,
        &mut created as *mut Created as *mut c_void,
    );
    if rc != 0 || created.code != 0 || created.id.is_empty() {
        println!("RESULT upload_code={} hwm_delta_kb=0", created.code);
        return;
    }
    let send =
        CString::new(format!(r#"{{"id":"{}","receiver":"r0"}}"#, created.id)).expect("no NUL");
    c.call(
        c"sendMessage",
        &send,
        on_done,
        done as *const Done as *mut c_void,
    );
    let all = done.wait(1, Duration::from_secs(120));
    let code = if !all {
        -1
    } else if done.failed.load(Ordering::Acquire) > 0 {
        eprintln!("upload: {:?}", done.first_failure.lock().unwrap());
        1
    } else {
        0
    };
    println!(
        "RESULT upload_code={code} hwm_delta_kb={}",
        rss_kb("VmHWM:").saturating_sub(rss0)
    );
    drop(c);
}

fn parse_result(out: &str) -> Vec<(String, f64)> {
    out.lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn run_child(args: &[&str]) -> Vec<(String, f64)> {
    let exe = std::env::current_exe().unwrap_or_else(|e| die(e));
    let out = Command::new(exe)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| die(e));
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        die(format!("child {args:?} failed: {}\n{text}", out.status));
    }
    parse_result(&text)
}

fn get(kv: &[(String, f64)], k: &str) -> f64 {
    kv.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| die(format!("no {k} in the child's result")))
}

// ---------------------------------------------------------------------------------------------
// Servers and wrk

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(bin: &Path, db: &Path, files: Option<&Path>) -> Server {
        Server::start_with(bin, db, files, &[])
    }

    /// [`Server::start`] with `extra` flags.
    fn start_with(bin: &Path, db: &Path, files: Option<&Path>, extra: &[&str]) -> Server {
        let mut cmd = Command::new(bin);
        cmd.args(["--listen", "127.0.0.1:0", "--sdkappid"])
            .arg(APP.to_string())
            .args(["--secret-key", KEY, "--auto-import", "--db"])
            .arg(db)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(f) = files {
            cmd.arg("--files-dir").arg(f);
        }
        cmd.args(extra);
        let mut child = cmd.spawn().unwrap_or_else(|e| die(format!("{bin:?}: {e}")));
        SERVERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child.id());
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let url = match line.trim().strip_prefix("listening on ") {
            Some(u) => u.to_string(),
            None => {
                let _ = child.kill();
                die(format!("v2im-server did not start: {line:?}"))
            }
        };
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let id = self.child.id();
        SERVERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&p| p != id);
        // SIGTERM for a clean shutdown, then wait (bounded), then SIGKILL.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The wrk Lua script for `openim/sendmsg`: the library's body shape (see
/// `Message::to_sendmsg_request`), 256 receivers in turn, a fresh MsgRandom per request (unique
/// per thread and round, so the server's duplicate check never drops one), and `check` adds a
/// response hook that counts answers that are not `ActionStatus: OK`.
fn sendmsg_lua(usersig: &str, base: u64, check: bool) -> String {
    sendmsg_lua_to(usersig, base, check, None)
}

/// [`sendmsg_lua`] to the one receiver `to` (one conversation) when given.
fn sendmsg_lua_to(usersig: &str, base: u64, check: bool, to: Option<&str>) -> String {
    let expect = check.then_some(ANSWER_OK);
    sendmsg_lua_as(usersig, base, expect, to, SENDER)
}

/// [`sendmsg_lua_to`] with `From_Account` set to `from`; `expect` adds a response hook that
/// counts the answers that do not contain it.
fn sendmsg_lua_as(
    usersig: &str,
    base: u64,
    expect: Option<&str>,
    to: Option<&str>,
    from: &str,
) -> String {
    let to_account = match to {
        Some(t) => format!("\"{t}\""),
        None => format!("\"r' .. (counter % {RECEIVERS}) .. '\""),
    };
    let body = format!(
        r#"'{{"SyncOtherMachine":1,"From_Account":"{from}","To_Account":{to_account},"MsgSeq":' .. counter .. ',"MsgRandom":' .. r .. ',"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{TEXT}"}}}}]}}'"#
    );
    rest_lua(usersig, "openim/sendmsg", &body, base, expect)
}

/// What every answer of a successful REST command contains.
const ANSWER_OK: &str = r#""ActionStatus":"OK""#;

/// A wrk Lua script POSTing to the REST `command` as the sender: `body` is a Lua expression
/// that may use `counter` (this thread's request number) and `r` (a random unique per thread
/// and round, so the server's duplicate check never drops one); `expect` adds a response hook
/// that counts the answers that are not HTTP 200 or do not contain it, and prints `BAD n`.
fn rest_lua(usersig: &str, command: &str, body: &str, base: u64, expect: Option<&str>) -> String {
    let mut s = format!(
        r#"local threads = {{}}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
counter = 0
bad = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local prefix = "/v4/{command}?sdkappid={APP}&identifier={SENDER}&usersig={usersig}&random="
function request()
  counter = counter + 1
  local r = {base} + tid * 20000000 + counter
  local body = {body}
  return wrk.format(nil, prefix .. r .. "&contenttype=json", nil, body)
end
"#
    );
    if let Some(expect) = expect {
        s.push_str(&format!("local expect = '{expect}'\n"));
        s.push_str(
            r#"function response(status, headers, body)
  if status ~= 200 or not string.find(body, expect, 1, true) then
    bad = bad + 1
    if bad == 1 then io.stderr:write("wrk: bad answer: " .. status .. " " .. body .. "\n") end
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write("BAD " .. total .. "\n")
end
"#,
        );
    }
    s
}

struct Wrk {
    rps: f64,
    errors: String,
    bad: Option<u64>,
}

fn wrk(conns: usize, secs: u64, url: &str, script: Option<&Path>) -> Wrk {
    let threads = conns.clamp(1, 2);
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{threads}"))
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg("--timeout")
        .arg("10s");
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd
        .arg(url)
        .output()
        .unwrap_or_else(|e| die(format!("wrk: {e}")));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        die(format!("wrk failed: {}\n{text}", out.status));
    }
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| die(format!("no Requests/sec in wrk output:\n{text}")));
    let errors = text
        .lines()
        .filter(|l| l.contains("Socket errors") || l.contains("Non-2xx"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let bad = text
        .lines()
        .find_map(|l| l.strip_prefix("BAD "))
        .and_then(|v| v.trim().parse().ok());
    Wrk { rps, errors, bad }
}

/// The library end to end: `n` create+send through `v2im_call` from one thread to 256
/// receivers, timed from the first call until the last callback. Returns (msgs/s, failed).
fn lib_round(url: &str, conns: usize, n: usize) -> (f64, usize, Option<String>) {
    let c = Client::new(&client_config(url, conns, n + 1000, 10_000));
    let done = Box::new(Done::default());
    let create = CString::new(format!(r#"{{"text":"{TEXT}"}}"#)).expect("no NUL");
    let receivers: Vec<String> = (0..RECEIVERS).map(|i| format!("r{i}")).collect();
    let mut created = Created::default();
    let t = Instant::now();
    for i in 0..n {
        create_and_send(&c, &mut created, &create, &receivers[i % RECEIVERS], &done);
    }
    let all = done.wait(n, Duration::from_secs(300));
    let secs = t.elapsed().as_secs_f64();
    drop(c);
    if !all {
        die(format!(
            "library: only {} of {n} callbacks in 300 s",
            done.total()
        ));
    }
    let failed = done.failed.load(Ordering::Acquire);
    let first = done.first_failure.lock().unwrap().take();
    (n as f64 / secs, failed, first)
}

// ---------------------------------------------------------------------------------------------
// The whole run

struct Opts {
    server: PathBuf,
    lib: PathBuf,
    tmp: PathBuf,
    out: PathBuf,
    conns: usize,
    rounds: usize,
    secs: u64,
    upload: bool,
}

fn parse_opts(args: &[String]) -> Opts {
    let mut o = Opts {
        server: "target/release/v2im-server".into(),
        lib: "target/release/libv2im.so".into(),
        tmp: std::env::temp_dir(),
        out: "bench/RESULTS.md".into(),
        conns: 4,
        rounds: 5,
        secs: 4,
        upload: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .unwrap_or_else(|| die(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--server" => o.server = val().into(),
            "--lib" => o.lib = val().into(),
            "--tmp" => o.tmp = val().into(),
            "--out" => o.out = val().into(),
            "--conns" => o.conns = val().parse().unwrap_or_else(|e| die(e)),
            "--rounds" => o.rounds = val().parse().unwrap_or_else(|e| die(e)),
            "--secs" => o.secs = val().parse().unwrap_or_else(|e| die(e)),
            "--upload" => o.upload = true,
            _ => die(format!("unknown option {a}")),
        }
    }
    o.rounds = o.rounds.clamp(1, 15);
    o.secs = o.secs.clamp(1, 30);
    o.conns = o.conns.clamp(1, 64);
    o
}

struct Row {
    target: &'static str,
    measured: String,
    baseline: String,
    check: Check,
}

/// A row's ratio (measured / baseline, or measured / the target's own figure) and its limit.
#[derive(Clone, Copy)]
enum Check {
    /// Passes when the ratio is at least the limit.
    AtLeast(f64, f64),
    /// Passes when the ratio is at most the limit.
    AtMost(f64, f64),
    /// A ratio whose run went wrong (e.g. callbacks missing): fails whatever its value.
    Broken(f64, f64),
    /// A figure with no target: what something costs.
    Figure(f64),
    /// Not measured in this build or run.
    Unmeasured,
}

impl Check {
    fn pass(self) -> Option<bool> {
        match self {
            Check::AtLeast(v, l) => Some(v >= l),
            Check::AtMost(v, l) => Some(v <= l),
            Check::Broken(..) => Some(false),
            Check::Figure(_) | Check::Unmeasured => None,
        }
    }

    fn ratio(self) -> Option<f64> {
        match self {
            Check::AtLeast(v, _) | Check::AtMost(v, _) | Check::Broken(v, _) | Check::Figure(v) => {
                Some(v)
            }
            Check::Unmeasured => None,
        }
    }

    /// The limit and how the ratio must stand to it.
    fn limit(self) -> Option<(&'static str, f64)> {
        match self {
            Check::AtLeast(_, l) | Check::Broken(_, l) => Some(("≥", l)),
            Check::AtMost(_, l) => Some(("≤", l)),
            Check::Figure(_) | Check::Unmeasured => None,
        }
    }

    /// How far the ratio is from failing: ≥ 1 passes, < 1 fails (the ratio over the limit for
    /// an at-least target, the limit over the ratio for an at-most one).
    fn headroom(self) -> Option<f64> {
        match self {
            Check::AtLeast(v, l) => Some(v / l),
            Check::AtMost(v, l) => Some(if v > 0.0 { l / v } else { f64::INFINITY }),
            Check::Broken(..) => Some(0.0),
            Check::Figure(_) | Check::Unmeasured => None,
        }
    }

    fn text(self) -> String {
        match (self.ratio(), self.limit()) {
            (Some(v), Some((op, l))) => format!("{v:.2} ({op} {l})"),
            (Some(v), None) => format!("{v:.2}"),
            (None, _) => "–".into(),
        }
    }
}

fn verdict(p: Option<bool>) -> &'static str {
    match p {
        Some(true) => "pass",
        Some(false) => "**FAIL**",
        None => "no verdict",
    }
}

fn run_all(o: &Opts) {
    let started = Instant::now();
    let load_before = loadavg();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    // 1 + 2: one fresh server; rounds alternate /healthz (wrk), sendmsg (wrk), the library.
    eprintln!(
        "== throughput: {} rounds, {} connections, {} s",
        o.rounds, o.conns, o.secs
    );
    let (health, wrk_send, lib) = {
        let server = Server::start(&o.server, &o.tmp.join("throughput.db"), None);
        let sig = v2im_wire::usersig::gen_usersig(APP, KEY, SENDER, 86_400);
        let check = o.tmp.join("sendmsg-check.lua");
        std::fs::write(&check, sendmsg_lua(&sig, 100_000_000, true)).unwrap_or_else(|e| die(e));
        // Warm-up and check: every receiver exists (auto-import), every answer is OK.
        let w = wrk(o.conns, 2, &server.url, Some(&check));
        match w.bad {
            Some(0) => {}
            b => die(format!(
                "wrk sendmsg check: {b:?} answers not OK ({})",
                w.errors
            )),
        }
        eprintln!("   check run: {:.0} req/s, all answers OK", w.rps);
        let (mut h, mut s, mut l) = (Vec::new(), Vec::new(), Vec::new());
        // CPU per request (µs): wrk's, the library process's, the server's under each.
        let (mut c_wrk, mut c_lib, mut c_srv_wrk, mut c_srv_lib) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let srv_stat = format!("/proc/{}/stat", server.child.id());
        for r in 0..o.rounds {
            let hw = wrk(o.conns, o.secs, &format!("{}/healthz", server.url), None);
            let script = o.tmp.join(format!("sendmsg-{r}.lua"));
            let base = 300_000_000 * (r as u64 + 1);
            std::fs::write(&script, sendmsg_lua(&sig, base, false)).unwrap_or_else(|e| die(e));
            let (w0, s0) = (
                stat_cpu_ns("/proc/self/stat", true),
                stat_cpu_ns(&srv_stat, false),
            );
            let sw = wrk(o.conns, o.secs, &server.url, Some(&script));
            let reqs = sw.rps * o.secs as f64;
            c_wrk.push((stat_cpu_ns("/proc/self/stat", true) - w0) as f64 / reqs / 1000.0);
            c_srv_wrk.push((stat_cpu_ns(&srv_stat, false) - s0) as f64 / reqs / 1000.0);
            for e in [&hw.errors, &sw.errors] {
                if !e.is_empty() {
                    notes.push(format!("round {r}: wrk reported: {e}"));
                }
            }
            // As many messages as wrk sends in ~3/4 of its duration (bounded).
            let n = ((sw.rps * o.secs as f64 * 0.75) as usize).clamp(2_000, 200_000);
            let (l0, s0) = (process_cpu_ns(), stat_cpu_ns(&srv_stat, false));
            let (lr, failed, first) = lib_round(&server.url, o.conns, n);
            c_lib.push((process_cpu_ns() - l0) as f64 / n as f64 / 1000.0);
            c_srv_lib.push((stat_cpu_ns(&srv_stat, false) - s0) as f64 / n as f64 / 1000.0);
            if failed > 0 {
                notes.push(format!(
                    "round {r}: library: {failed} of {n} sends failed, first: {}",
                    first.unwrap_or_default()
                ));
            }
            eprintln!(
                "   round {r}: healthz {:.0}/s, wrk sendmsg {:.0}/s, library {:.0}/s ({n} msgs)",
                hw.rps, sw.rps, lr
            );
            h.push(hw.rps);
            s.push(sw.rps);
            l.push(lr);
        }
        notes.push(format!(
            "1: CPU per message (medians, µs; 10 ms ticks): client side wrk {:.1}, library \
             process {:.1}; server under wrk {:.1}, under the library {:.1}. The client and the \
             server share the machine's {} cores, so client CPU is taken from the server.",
            median(&c_wrk),
            median(&c_lib),
            median(&c_srv_wrk),
            median(&c_srv_lib),
            nproc
        ));
        (Stat::of(&h), Stat::of(&s), Stat::of(&l))
    };
    let per_s = |v: f64| format!("{v:.0}/s");
    let r1 = lib.med / wrk_send.med;
    rows.push(Row {
        target: "1. many conversations: sends to 256 receivers via v2im_call ≥ 0.8 × wrk (sendmsg, same conns = senderThreads)",
        measured: format!("library {}", lib.show(per_s)),
        baseline: format!("wrk {}", wrk_send.show(per_s)),
        check: Check::AtLeast(r1, 0.8),
    });
    let r2 = wrk_send.med / health.med;
    rows.push(Row {
        target: "2. server: durable sendmsg ≥ 0.5 × /healthz (wrk, same conns and duration)",
        measured: format!("sendmsg {}", wrk_send.show(per_s)),
        baseline: format!("/healthz {}", health.show(per_s)),
        check: Check::AtLeast(r2, 0.5),
    });
    server_rows(o, &mut rows, &mut notes);

    // 3 + 4a: accept cost and queued-message memory, in fresh child processes.
    eprintln!("== accept cost and memory of 100,000 queued messages");
    let (mut acc, mut wall, mut rss, mut hwm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut runq, mut pcpu) = (Vec::new(), Vec::new());
    for _ in 0..o.rounds.min(5) {
        let kv = run_child(&["queue", "100000"]);
        acc.push(get(&kv, "cpu_ns") / 1000.0);
        wall.push(get(&kv, "wall_ns") / 1000.0);
        runq.push(get(&kv, "runq_ns") / 1000.0);
        pcpu.push(get(&kv, "proc_cpu_ns") / 1000.0);
        rss.push(get(&kv, "rss_delta_kb") / 1024.0);
        hwm.push(get(&kv, "hwm_delta_kb") / 1024.0);
        eprintln!(
            "   {:.2} µs/msg on a CPU ({:.2} µs of wall time), RSS +{:.1} MB",
            acc.last().unwrap_or(&0.0),
            wall.last().unwrap_or(&0.0),
            rss.last().unwrap_or(&0.0)
        );
    }
    let (acc, wall, rss, hwm) = (
        Stat::of(&acc),
        Stat::of(&wall),
        Stat::of(&rss),
        Stat::of(&hwm),
    );
    let (runq, pcpu) = (Stat::of(&runq), Stat::of(&pcpu));
    let us = |v: f64| format!("{v:.2} µs");
    notes.push(format!(
        "3a: wall time {} per message, of which {} waiting for a CPU \
         (runqueue; the machine is shared); the whole process (store writer thread included) \
         used {} of CPU per message.",
        wall.show(us),
        us(runq.med),
        us(pcpu.med)
    ));
    rows.push(Row {
        target: "3a. create + send accepted ≤ 3 µs per message (calling thread's CPU time)",
        measured: acc.show(us),
        baseline: "target 3 µs".into(),
        check: Check::AtMost(acc.med / 3.0, 1.0),
    });

    eprintln!("== callbacks");
    let (mut gated, mut conc, mut prod) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..o.rounds.min(5) {
        let kv = run_child(&["callbacks", "300000"]);
        gated.push(get(&kv, "gated_per_s"));
        conc.push(get(&kv, "concurrent_per_s"));
        prod.push(get(&kv, "produce_per_s"));
        eprintln!("   {:.0} callbacks/s", gated.last().unwrap_or(&0.0));
    }
    let (gated, conc, prod) = (Stat::of(&gated), Stat::of(&conc), Stat::of(&prod));
    rows.push(Row {
        target: "3b. ≥ 500k callbacks/s through the callback thread",
        measured: format!(
            "{} delivered; with the producer running at once {}",
            gated.show(per_s),
            per_s(conc.med)
        ),
        baseline: "target 500000/s".into(),
        check: Check::AtLeast(gated.med / 500_000.0, 1.0),
    });
    notes.push(format!(
        "3b producer side: posting one refused sendMessage costs {:.2} µs on the calling thread \
         ({} calls/s).",
        1e6 / prod.med,
        per_s(prod.med)
    ));

    let mb = |v: f64| format!("{v:.1} MB");
    rows.push(Row {
        target: "4a. 100,000 queued messages, no dataDir ≤ 80 MB (RSS delta, own process)",
        measured: format!("{} (peak {})", rss.show(mb), mb(hwm.med)),
        baseline: "target 80 MB".into(),
        check: Check::AtMost(rss.med / 80.0, 1.0),
    });
    // 4b: upload streaming.
    if o.upload {
        eprintln!("== upload of a 100 MB file");
        let files = o.tmp.join("files");
        let server = Server::start(&o.server, &o.tmp.join("upload.db"), Some(&files));
        let path = o.tmp.join("upload-100mb.bin");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&path).unwrap_or_else(|e| die(e));
            let chunk = vec![0x5au8; 1 << 20];
            for _ in 0..100 {
                f.write_all(&chunk).unwrap_or_else(|e| die(e));
            }
        }
        let kv = run_child(&["upload", &server.url, &path.to_string_lossy()]);
        let code = get(&kv, "upload_code");
        let d = get(&kv, "hwm_delta_kb") / 1024.0;
        let _ = std::fs::remove_file(&path);
        rows.push(Row {
            target: "4b. uploads stream: a 100 MB file adds ≤ 16 MB",
            measured: if code == 0.0 {
                format!("peak RSS +{d:.1} MB")
            } else {
                format!("send failed (code {code}); peak RSS +{d:.1} MB")
            },
            baseline: "target 16 MB".into(),
            check: if code == 0.0 {
                Check::AtMost(d / 16.0, 1.0)
            } else {
                Check::Unmeasured
            },
        });
    } else {
        rows.push(Row {
            target: "4b. uploads stream: a 100 MB file adds ≤ 16 MB",
            measured: "not measured: this build has no media upload".into(),
            baseline: "target 16 MB".into(),
            check: Check::Unmeasured,
        });
    }

    // The same with a dataDir: each accepted send is committed before v2im_call returns.
    eprintln!("== memory of 100,000 queued messages with a dataDir");
    let (mut drss, mut dacc) = (Vec::new(), Vec::new());
    for r in 0..o.rounds.min(3) {
        let dir = o.tmp.join(format!("queue-data-{r}"));
        let kv = run_child(&["queue", "100000", &dir.to_string_lossy()]);
        let _ = std::fs::remove_dir_all(&dir);
        drss.push(get(&kv, "rss_delta_kb") / 1024.0);
        dacc.push(get(&kv, "wall_ns") / 1000.0);
        eprintln!("   RSS +{:.1} MB", drss.last().unwrap_or(&0.0));
    }
    let (drss, dacc) = (Stat::of(&drss), Stat::of(&dacc));
    rows.push(Row {
        target: "4c. 100,000 queued messages with a dataDir ≤ 100 MB (RSS delta, own process)",
        measured: drss.show(mb),
        baseline: "target 100 MB".into(),
        check: Check::AtMost(drss.med / 100.0, 1.0),
    });
    notes.push(format!(
        "4c: with a dataDir each createTextMessage + sendMessage took {} of wall time (the \
         send returns once its store commit is done).",
        dacc.show(us)
    ));

    // 5: size.
    let stripped = o.tmp.join("libv2im.stripped.so");
    let ok = Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(&stripped)
        .arg(&o.lib)
        .status()
        .is_ok_and(|s| s.success());
    let size = if ok {
        std::fs::metadata(&stripped).map_or(0, |m| m.len())
    } else {
        0
    };
    let unstripped = std::fs::metadata(&o.lib).map_or(0, |m| m.len());
    let size_mb = size as f64 / (1 << 20) as f64;
    rows.push(Row {
        target: "5. release libv2im.so, stripped, ≤ 4 MB (read as MiB)",
        measured: format!(
            "{size_mb:.2} MiB ({size} bytes = {:.2} MB; {:.2} MiB as built)",
            size as f64 / 1e6,
            unstripped as f64 / (1 << 20) as f64
        ),
        baseline: format!(
            "target 4 MiB (Tencent's native SDK: 12 MB, {:.2} of it)",
            size_mb / 12.0
        ),
        check: if ok {
            Check::AtMost(size_mb / 4.0, 1.0)
        } else {
            Check::Unmeasured
        },
    });

    // 6: the receiving side.
    receive::rows(o, &mut rows, &mut notes);

    // 7: one message's latency, one conversation's rate.
    latency::rows(o, &mut rows, &mut notes);

    // 8: what after-send callbacks cost the sender.
    webhooks::rows(o, &mut rows, &mut notes);

    // 9: what power-loss durability costs.
    durability::rows(o, &mut rows, &mut notes);

    // The report.
    let mut md = String::new();
    let _ = writeln!(md, "# v2im benchmark results\n");
    let rev = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "Tree measured: `{rev}` (`git describe --always --dirty`).\n"
    );
    let _ = writeln!(
        md,
        "Written by `bench/run` ({date}; nproc {nproc}; load average {load_before} before, {} \
         after; {:.0} s). Figures are medians of the rounds, with min–max and the spread \
         (max−min)/median; every ratio is taken against a baseline measured in the same run. \
         {} connections (= `senderThreads`), wrk runs of {} s, release builds, loopback only.\n",
        loadavg(),
        started.elapsed().as_secs_f64(),
        o.conns,
        o.secs
    );
    let _ = writeln!(md, "| target | measured | baseline | ratio | result |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            r.target,
            r.measured,
            r.baseline,
            r.check.text(),
            verdict(r.check.pass())
        );
    }
    let _ = writeln!(
        md,
        "\n![Each target's ratio against its limit](results.svg)\n\nThe same rows, machine-readable: \
         `bench/results.json`.",
    );
    if !notes.is_empty() {
        let _ = writeln!(md, "\n## Notes from this run\n");
        for n in &notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    for part in ["ANALYSIS.md", "METHOD.md"] {
        let text = std::fs::read_to_string(o.out.with_file_name(part)).unwrap_or_default();
        if !text.is_empty() {
            let _ = writeln!(md, "\n{text}");
        }
    }
    std::fs::write(&o.out, &md).unwrap_or_else(|e| die(format!("{:?}: {e}", o.out)));
    let meta = report::Meta {
        tree: rev,
        date,
        nproc,
        conns: o.conns,
        rounds: o.rounds,
        secs: o.secs,
    };
    for (name, text) in [
        ("results.json", report::json(&meta, &rows)),
        ("results.svg", report::svg(&meta, &rows)),
    ] {
        let path = o.out.with_file_name(name);
        std::fs::write(&path, text).unwrap_or_else(|e| die(format!("{path:?}: {e}")));
    }
    print!("{md}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize, default: usize| -> usize {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
            .clamp(1, 1_000_000)
    };
    match args.first().map(String::as_str) {
        Some("queue") => child_queue(n(1, 100_000), args.get(2).map(String::as_str)),
        Some("callbacks") => child_callbacks(n(1, 300_000)),
        Some("upload") => match (args.get(1), args.get(2)) {
            (Some(url), Some(path)) => child_upload(url, path),
            _ => die("usage: v2im-bench upload URL FILE"),
        },
        Some("all") => run_all(&parse_opts(&args[1..])),
        Some(part @ ("receive" | "latency" | "webhooks" | "durability" | "server")) => {
            // Only the rows of one part, printed (for working on it).
            let (mut rows, mut notes) = (Vec::new(), Vec::new());
            let o = parse_opts(&args[1..]);
            let run = match part {
                "receive" => receive::rows,
                "latency" => latency::rows,
                "webhooks" => webhooks::rows,
                "server" => server_rows,
                _ => durability::rows,
            };
            run(&o, &mut rows, &mut notes);
            for r in rows.iter() {
                println!(
                    "{} | {} | {} | {} | {}",
                    r.target,
                    r.measured,
                    r.baseline,
                    r.check.text(),
                    verdict(r.check.pass())
                );
            }
            for n in &notes {
                println!("- {n}");
            }
        }
        _ => die(
            "usage: v2im-bench all|receive|latency|webhooks|durability|server [--server BIN] [--lib SO] [--tmp DIR] [--out FILE] \
                  [--conns N] [--rounds N] [--secs N] [--upload] | queue N | callbacks N",
        ),
    }
}
