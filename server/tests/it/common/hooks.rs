//! A small HTTP/1.1 receiver of webhook requests for tests: it records each POST (path, query,
//! JSON body) and answers as the test's rule says (an answer, a status, hanging, closing), with
//! keep-alive. Every read is bounded; dropping it stops it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Got {
    pub path: String,
    pub query: HashMap<String, String>,
    /// The raw query, in its order.
    pub raw_query: String,
    pub body: Value,
}

impl Got {
    pub fn command(&self) -> &str {
        self.query
            .get("CallbackCommand")
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// What to answer.
pub enum Reply {
    /// HTTP status and body.
    Answer(u16, String),
    /// A 302 to `/elsewhere`.
    Redirect,
    /// Never answer (until the receiver is dropped or the connection times out).
    Hang,
    /// Answer Tencent's "allow" once the flag is set.
    Held(Arc<AtomicBool>),
    /// Close the connection without answering.
    Close,
}

impl Reply {
    /// Tencent's "allow".
    pub fn ok() -> Reply {
        Reply::Answer(
            200,
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#.into(),
        )
    }
}

type Rule = Arc<dyn Fn(&Got) -> Reply + Send + Sync>;

struct Shared {
    got: Mutex<Vec<Got>>,
    grew: Condvar,
    rule: Mutex<Rule>,
    stop: AtomicBool,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    https: bool,
}

/// A port that was free a moment ago (for a receiver that starts later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Receiver {
    /// A receiver on a free port that answers Tencent's "allow" to everything.
    pub fn start() -> Receiver {
        Receiver::on(0, |_| Reply::ok())
    }

    /// A receiver on `port` (0: any) answering by `rule`.
    pub fn on(port: u16, rule: impl Fn(&Got) -> Reply + Send + Sync + 'static) -> Receiver {
        Receiver::serving(port, None, rule)
    }

    /// An HTTPS receiver with `tls`, answering Tencent's "allow" to everything.
    pub fn https(tls: Arc<rustls::ServerConfig>) -> Receiver {
        Receiver::serving(0, Some(tls), |_| Reply::ok())
    }

    fn serving(
        port: u16,
        tls: Option<Arc<rustls::ServerConfig>>,
        rule: impl Fn(&Got) -> Reply + Send + Sync + 'static,
    ) -> Receiver {
        let https = tls.is_some();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the receiver");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            got: Mutex::new(Vec::new()),
            grew: Condvar::new(),
            rule: Mutex::new(Arc::new(rule)),
            stop: AtomicBool::new(false),
        });
        let sh = shared.clone();
        std::thread::spawn(move || {
            while !sh.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let sh = sh.clone();
                        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                        match &tls {
                            None => {
                                std::thread::spawn(move || serve(s, sh));
                            }
                            Some(cfg) => {
                                let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
                                let s = rustls::StreamOwned::new(conn, s);
                                std::thread::spawn(move || serve(s, sh));
                            }
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver {
            addr,
            shared,
            https,
        }
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn set_rule(&self, rule: impl Fn(&Got) -> Reply + Send + Sync + 'static) {
        *self.shared.rule.lock().unwrap() = Arc::new(rule);
    }

    /// Everything received so far.
    pub fn got(&self) -> Vec<Got> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until `done` holds for what was received; returns it.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        let deadline = Instant::now() + limit;
        let mut got = self.shared.got.lock().unwrap();
        loop {
            if done(&got) {
                return got.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "not received within {limit:?}; got {} requests: {:?}",
                got.len(),
                got.iter().rev().take(3).collect::<Vec<_>>()
            );
            got = self.shared.grew.wait_timeout(got, left).unwrap().0;
        }
    }

    /// The requests of `command` (a callback), or of the push path when `command` is "".
    pub fn of(&self, command: &str) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| g.command() == command)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.grew.notify_all();
    }
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned();
            (k.to_string(), v)
        })
        .collect()
}

/// Serves requests on one connection until it closes, the receiver stops, or it idles 30 s.
fn serve(stream: impl Read + Write, sh: Arc<Shared>) {
    let mut r = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let (path, raw_query) = target.split_once('?').unwrap_or((&target, ""));
        let got = Got {
            path: path.to_string(),
            query: parse_query(raw_query),
            raw_query: raw_query.to_string(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        };
        let rule = sh.rule.lock().unwrap().clone();
        let reply = rule(&got);
        {
            sh.got.lock().unwrap().push(got);
            sh.grew.notify_all();
        }
        let answer = match reply {
            Reply::Answer(status, body) => format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            Reply::Redirect => "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n".into(),
            Reply::Hang => {
                while !sh.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return;
            }
            Reply::Held(gate) => {
                while !gate.load(Ordering::Relaxed) {
                    if sh.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                let body = r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
            Reply::Close => return,
        };
        let out = r.get_mut();
        if out.write_all(answer.as_bytes()).is_err() || out.flush().is_err() {
            return;
        }
    }
}
