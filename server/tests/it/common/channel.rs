//! A small client of the live channel for tests: a raw socket, the GET, the chunked body decoded
//! by hand, one JSON line at a time, every read bounded by a timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What reading the next line gave.
#[derive(Debug)]
pub enum Next {
    Line(Value),
    /// Nothing within the timeout.
    Timeout,
    /// The answer ended (last chunk) or the connection closed.
    End,
}

pub struct Channel {
    pub socket: TcpStream,
    /// Bytes read and not yet decoded (chunk framing).
    raw: Vec<u8>,
    /// Decoded body bytes not yet split into lines.
    data: Vec<u8>,
    ended: bool,
}

/// The answer to a GET that is not a stream: status line and JSON body.
#[derive(Debug)]
pub struct Refusal {
    pub status: String,
    pub content_type: String,
    pub body: Value,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Channel {
    /// GETs `path_and_query` (method `method`) and reads the head: a stream, or the refusal.
    pub fn request(
        addr: SocketAddr,
        method: &str,
        path_and_query: &str,
    ) -> Result<Channel, Refusal> {
        Self::request_on(
            TcpStream::connect(addr).expect("connect"),
            method,
            path_and_query,
        )
    }

    /// [`Channel::request`] on a socket with a small receive buffer, so that a reader that
    /// does not read stalls the server's writes soon.
    pub fn request_small(addr: SocketAddr, path_and_query: &str) -> Result<Channel, Refusal> {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.set_recv_buffer_size(4096).unwrap();
        s.connect(&addr.into()).unwrap();
        Self::request_on(s.into(), "GET", path_and_query)
    }

    fn request_on(
        mut socket: TcpStream,
        method: &str,
        path_and_query: &str,
    ) -> Result<Channel, Refusal> {
        socket.set_nodelay(true).unwrap();
        let req = format!(
            "{method} {path_and_query} HTTP/1.1\r\nHost: test\r\nAccept: application/x-ndjson\r\n\r\n"
        );
        socket.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let head_end = loop {
            if let Some(i) = find(&raw, b"\r\n\r\n") {
                break i;
            }
            assert!(Instant::now() < deadline, "no answer head");
            let mut buf = [0u8; 4096];
            socket
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let n = socket.read(&mut buf).expect("read head");
            assert!(n > 0, "closed before the head");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
        let rest = raw[head_end + 4..].to_vec();
        let status = head.lines().next().unwrap_or("").to_string();
        let header = |name: &str| {
            head.lines()
                .skip(1)
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        };
        let content_type = header("content-type");
        let chunked = header("transfer-encoding").eq_ignore_ascii_case("chunked");
        let mut ch = Channel {
            socket,
            raw: rest,
            data: Vec::new(),
            ended: false,
        };
        if status.contains(" 200 ") && content_type == "application/x-ndjson" && chunked {
            return Ok(ch);
        }
        // A refusal: the whole body (Content-Length or chunked).
        let body = if chunked {
            let mut all = Vec::new();
            while ch.fill(Instant::now() + Duration::from_secs(10)) {
                all.append(&mut ch.data);
                if ch.ended {
                    break;
                }
            }
            all
        } else {
            let len: usize = header("content-length").parse().unwrap_or(0);
            let mut body = ch.raw.clone();
            while body.len() < len {
                let mut buf = [0u8; 4096];
                let n = ch.socket.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
            body
        };
        Err(Refusal {
            status,
            content_type,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        })
    }

    /// Decodes the complete chunks in `raw`.
    fn decode(&mut self) {
        loop {
            let Some(eol) = find(&self.raw, b"\r\n") else {
                return;
            };
            let size_line = String::from_utf8_lossy(&self.raw[..eol]).into_owned();
            let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
                .unwrap_or_else(|_| panic!("bad chunk size line {size_line:?}"));
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                return;
            }
            if self.raw.len() < eol + 2 + size + 2 {
                return;
            }
            self.data
                .extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
            self.raw.drain(..eol + 2 + size + 2);
        }
    }

    /// Reads more from the socket until `deadline`; false when nothing more will come.
    fn fill(&mut self, deadline: Instant) -> bool {
        self.decode();
        if self.ended {
            return !self.data.is_empty();
        }
        if self.data.contains(&b'\n') {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        self.socket
            .set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))
            .unwrap();
        let mut buf = [0u8; 16384];
        match self.socket.read(&mut buf) {
            Ok(0) => {
                self.ended = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                self.decode();
                true
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                true
            }
            Err(_) => {
                self.ended = true;
                false
            }
        }
    }

    /// The next line within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Next {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.data.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.data.drain(..=i).collect();
                let v = serde_json::from_slice(&line[..line.len() - 1]).unwrap_or_else(|e| {
                    panic!("bad line {:?}: {e}", String::from_utf8_lossy(&line))
                });
                return Next::Line(v);
            }
            if self.ended {
                return Next::End;
            }
            if Instant::now() >= deadline {
                return Next::Timeout;
            }
            self.fill(deadline);
        }
    }

    /// The next line that is not a `Ping` (within `timeout` in all); panics on anything else.
    pub fn event(&mut self, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Next::Line(v) if v["Event"] == "Ping" => continue,
                Next::Line(v) => return v,
                other => panic!("expected an event, got {other:?}"),
            }
        }
    }

    /// The next event of kind `kind`, skipping `Conversation` and `Ping` lines only.
    pub fn expect(&mut self, kind: &str) -> Value {
        loop {
            let v = self.event(Duration::from_secs(10));
            if v["Event"] == kind {
                return v;
            }
            assert_eq!(v["Event"], "Conversation", "expected {kind}, got {v}");
        }
    }

    /// Lines until `quiet` passes without one (Pings dropped).
    pub fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            match self.next(quiet) {
                Next::Line(v) if v["Event"] == "Ping" => {}
                Next::Line(v) => out.push(v),
                Next::Timeout | Next::End => return out,
            }
        }
    }

    /// Whether the answer ends (or the connection closes) within `timeout`, skipping lines.
    pub fn ends_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Next::End => return true,
                Next::Timeout => return false,
                Next::Line(_) => {}
            }
        }
    }
}

/// The texts of the message events among `lines`.
pub fn msg_texts(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|v| v["Event"] == "C2cMsg" || v["Event"] == "GroupMsg")
        .map(|v| {
            v["Msg"]["MsgBody"][0]["MsgContent"]["Text"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}
