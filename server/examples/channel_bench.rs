//! Measures v2im-server's live channel on this machine (the figures in `server/README.md`):
//! latency from a `sendmsg` answer to the event read by a channel client, and server CPU per
//! delivered message, for streaming (the channel) and long-poll (`poll=1`, one request per
//! batch, on a keep-alive connection); then the server's memory per idle open channel.
//!
//! ```sh
//! cargo build --release -p v2im-server
//! cargo run --release -p v2im-server --example channel_bench -- target/release/v2im-server [messages] [idle channels]
//! ```
//!
//! Everything runs on 127.0.0.1 against a server process on a temporary database; the bench
//! stops by itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use v2im_server::{TEST_SDKAPPID, TEST_SECRET_KEY};

const ADMIN: &str = "administrator";
const TIMEOUT: Duration = Duration::from_secs(20);

fn sig(user: &str) -> String {
    v2im_wire::usersig::gen_usersig(TEST_SDKAPPID, TEST_SECRET_KEY, user, 86_400)
}

/// The server process, killed when the bench ends (a panic included).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server binary on a fresh database: the process and its address.
fn spawn(bin: &str, db: &std::path::Path) -> (Server, SocketAddr) {
    let mut child = Command::new(bin)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--auto-import",
            "--secret-key",
            TEST_SECRET_KEY,
        ])
        .arg("--db")
        .arg(db)
        .env("V2IM_SERVER_SDKAPPID", TEST_SDKAPPID.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening on http://...")
        .parse()
        .unwrap();
    (Server(child), addr)
}

/// `(utime + stime)` of `pid`, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        * 1024
}

/// A keep-alive HTTP/1.1 connection reading chunked answers line by line.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
    /// Bytes left in the current chunk; `None` between answers.
    chunk: Option<usize>,
}

impl Conn {
    fn connect(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            chunk: None,
        }
    }

    /// Sends a GET and reads the head of a chunked answer.
    fn get(&mut self, path: &str) {
        write!(self.w, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        assert!(line.contains(" 200 "), "{line}");
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
        self.chunk = Some(0);
    }

    /// The next line of the answer, `None` at its end.
    fn line(&mut self) -> Option<Value> {
        let mut out = Vec::new();
        loop {
            let left = self.chunk?;
            if left == 0 {
                let mut size = String::new();
                self.r.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                if n == 0 {
                    let mut crlf = String::new();
                    self.r.read_line(&mut crlf).unwrap();
                    self.chunk = None;
                    return None;
                }
                self.chunk = Some(n);
                continue;
            }
            let mut b = [0u8; 1];
            self.r.read_exact(&mut b).unwrap();
            let left = left - 1;
            if left == 0 {
                let mut crlf = [0u8; 2];
                self.r.read_exact(&mut crlf).unwrap();
            }
            self.chunk = Some(left);
            if b[0] == b'\n' {
                return Some(serde_json::from_slice(&out).unwrap());
            }
            out.push(b[0]);
        }
    }
}

fn channel_path(user: &str, cursor: Option<u64>, poll: bool) -> String {
    let mut p = format!(
        "/v4/v2im/channel?sdkappid={TEST_SDKAPPID}&identifier={user}&usersig={}&random=1&contenttype=json",
        sig(user)
    );
    if let Some(c) = cursor {
        p.push_str(&format!("&cursor={c}"));
    }
    if poll {
        p.push_str("&poll=1");
    }
    p
}

struct Rest {
    agent: ureq::Agent,
    url: String,
}

impl Rest {
    fn send(&self, to: &str, text: &str, random: u32) {
        let url = v2im_wire::url::rest_url(
            &self.url,
            "openim/sendmsg",
            TEST_SDKAPPID,
            ADMIN,
            &sig(ADMIN),
            random,
        );
        let body = json!({"From_Account": "alice", "To_Account": to, "MsgRandom": random,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]});
        let r: Value = self
            .agent
            .post(&url)
            .send_string(&body.to_string())
            .unwrap()
            .into_json()
            .unwrap();
        assert_eq!(r["ErrorCode"], 0, "{r}");
    }
}

fn text_of(v: &Value) -> Option<&str> {
    (v["Event"] == "C2cMsg").then(|| v["Msg"]["MsgBody"][0]["MsgContent"]["Text"].as_str())?
}

/// Latencies (answer → event, send → event) and the server's CPU for `n` messages.
struct Run {
    answer: Vec<Duration>,
    send: Vec<Duration>,
    cpu: f64,
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1e3
}

fn report(name: &str, mut r: Run, n: usize, base_cpu: f64) {
    let per = r.cpu / n as f64 * 1e6;
    let delivery = (r.cpu - base_cpu) / n as f64 * 1e6;
    println!(
        "{name:10} answer->event p50 {:.3} ms p90 {:.3} ms p99 {:.3} ms | send->event p50 {:.3} ms p99 {:.3} ms | server CPU {per:.0} µs/msg, of which delivery {delivery:.0} µs",
        pct(&mut r.answer, 0.5),
        pct(&mut r.answer, 0.9),
        pct(&mut r.answer, 0.99),
        pct(&mut r.send, 0.5),
        pct(&mut r.send, 0.99),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args
        .next()
        .unwrap_or_else(|| "target/release/v2im-server".into());
    let n: usize = args.next().map_or(3000, |a| a.parse().unwrap());
    let idle: usize = args.next().map_or(2000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let (server, addr) = spawn(&bin, &dir.path().join("bench.db"));
    let pid = server.0.id();
    let rest = Rest {
        agent: ureq::AgentBuilder::new().timeout(TIMEOUT).build(),
        url: format!("http://{addr}"),
    };

    // Baseline: the same sends to an account nobody listens to.
    for i in 0..200 {
        rest.send("nobody", "warm", i);
    }
    let c0 = cpu_secs(pid);
    for i in 0..n {
        rest.send("nobody", &format!("n{i}"), 1000 + i as u32);
    }
    let base = cpu_secs(pid) - c0;
    println!(
        "baseline   sendmsg with no channel open: server CPU {:.0} µs/msg",
        base / n as f64 * 1e6
    );

    // Streaming.
    let mut ch = Conn::connect(addr);
    ch.get(&channel_path("bob", None, false));
    assert_eq!(ch.line().unwrap()["Event"], "Hello");
    let mut run = Run {
        answer: Vec::new(),
        send: Vec::new(),
        cpu: 0.0,
    };
    let c0 = cpu_secs(pid);
    for i in 0..n {
        let want = format!("s{i}");
        let t0 = Instant::now();
        rest.send("bob", &want, 100_000 + i as u32);
        let t1 = Instant::now();
        while text_of(&ch.line().unwrap()) != Some(want.as_str()) {}
        let t2 = Instant::now();
        run.answer.push(t2 - t1);
        run.send.push(t2 - t0);
    }
    run.cpu = cpu_secs(pid) - c0;
    report("streaming", run, n, base);
    drop(ch);

    // Long-poll: a reader thread re-polls after each answer, on one keep-alive connection.
    let (tx, rx) = mpsc::channel::<(String, Instant)>();
    // Open before the first send, so that it is not missed ("from now on").
    let mut conn = Conn::connect(addr);
    conn.get(&channel_path("carol", None, true));
    let mut cursor = conn.line().unwrap()["Cursor"].as_u64().unwrap();
    let poller = std::thread::spawn(move || loop {
        while let Some(v) = conn.line() {
            if let Some(c) = v["Cursor"].as_u64() {
                cursor = c;
            }
            if let Some(t) = text_of(&v) {
                if t == "stop" {
                    return;
                }
                if tx.send((t.to_string(), Instant::now())).is_err() {
                    return;
                }
            }
        }
        conn.get(&channel_path("carol", Some(cursor), true));
        assert_eq!(conn.line().unwrap()["Event"], "Hello");
    });
    let mut run = Run {
        answer: Vec::new(),
        send: Vec::new(),
        cpu: 0.0,
    };
    let c0 = cpu_secs(pid);
    for i in 0..n {
        let want = format!("p{i}");
        let t0 = Instant::now();
        rest.send("carol", &want, 200_000 + i as u32);
        let t1 = Instant::now();
        let t2 = loop {
            let (t, at) = rx.recv_timeout(TIMEOUT).expect("long-poll event");
            if t == want {
                break at;
            }
        };
        run.answer.push(t2.saturating_duration_since(t1));
        run.send.push(t2 - t0);
    }
    run.cpu = cpu_secs(pid) - c0;
    report("long-poll", run, n, base);
    rest.send("carol", "stop", 1);
    poller.join().unwrap();

    // Idle channels: memory each, and the CPU of their heartbeats.
    for i in 0..50 {
        let mut c = Conn::connect(addr);
        c.get(&channel_path(&format!("w{i}"), None, false));
        c.line();
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_bytes(pid);
    let mut open = Vec::with_capacity(2 * idle);
    let mut rss = vec![before];
    for round in 0..2 {
        for i in 0..idle {
            let mut c = Conn::connect(addr);
            c.get(&channel_path(&format!("u{round}-{i}"), None, false));
            assert_eq!(c.line().unwrap()["Event"], "Hello");
            open.push(c);
        }
        std::thread::sleep(Duration::from_secs(1));
        rss.push(rss_bytes(pid));
    }
    let c0 = cpu_secs(pid);
    std::thread::sleep(Duration::from_secs(31));
    let idle_cpu = cpu_secs(pid) - c0;
    let kib = |a: u64, b: u64| b.saturating_sub(a) as f64 / idle as f64 / 1024.0;
    println!(
        "idle       server RSS {:.1} MB with no channel, {:.1} MB with {idle}, {:.1} MB with {}: {:.1} KiB per channel for the first {idle}, {:.1} KiB for the next {idle}; heartbeats cost {:.1} µs CPU per channel per 15 s",
        rss[0] as f64 / 1048576.0,
        rss[1] as f64 / 1048576.0,
        rss[2] as f64 / 1048576.0,
        2 * idle,
        kib(rss[0], rss[1]),
        kib(rss[1], rss[2]),
        idle_cpu / (2 * idle) as f64 * 1e6 / 2.0,
    );
    drop(open);
    drop(server);
}
