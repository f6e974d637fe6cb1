//! The live channel's transport: one HTTP/1.1 GET held open, whose chunked body is a stream of
//! JSON lines. The connection is the library's own socket (not the REST agent's), so that
//! `v2im_client_free` can end a read blocked on it at once by shutting the socket down.

use crate::codes::{self, Error, Result};
use crate::http::head::{chunk_size, parse_head, Head};
use crate::http::url::HttpUrl;
use parking_lot::Mutex;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Longest response head read.
const MAX_HEAD_BYTES: usize = 16 << 10;
/// Longest error body read.
const MAX_ERROR_BODY_BYTES: u64 = 64 << 10;
/// Longest chunk-size line.
const MAX_CHUNK_LINE: usize = 64;

/// Ends the channel's current read from another thread, and every later connect.
#[derive(Clone, Default)]
pub(crate) struct Interrupt(Arc<Mutex<(bool, Option<TcpStream>)>>);

impl Interrupt {
    /// Shuts the current socket down (a blocked read returns at once) and refuses new ones.
    pub(crate) fn interrupt(&self) {
        let mut g = self.0.lock();
        g.0 = true;
        if let Some(s) = g.1.take() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Keeps a handle to `s` for [`Interrupt::interrupt`]; false if already interrupted.
    fn watch(&self, s: &TcpStream) -> bool {
        let mut g = self.0.lock();
        if g.0 {
            return false;
        }
        g.1 = s.try_clone().ok();
        true
    }
}

/// Where to connect: from an `http://` or `https://` URL.
pub(crate) struct Target {
    https: bool,
    host: String,
    port: u16,
    /// The `Host` header.
    authority: String,
    /// Path and query of the request.
    path: String,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target> {
        let u = HttpUrl::parse(url)
            .map_err(|why| Error::invalid_param(format!("channel URL \"{url}\": {why}")))?;
        let mut path = u.path;
        if let Some(q) = u.query {
            path.push('?');
            path.push_str(&q);
        }
        Ok(Target {
            https: u.https,
            host: u.host,
            port: u.port,
            authority: u.authority,
            path,
        })
    }
}

/// An open channel: its lines, one at a time.
pub(crate) struct Lines {
    body: BufReader<Chunked<BufReader<Box<dyn Read + Send>>>>,
    /// The connection, for its read timeout; None for bytes that come from no socket (fuzzing).
    socket: Option<TcpStream>,
}

impl Lines {
    /// The next line into `buf` (without its newline), at most `max` bytes. `Ok(false)` at the
    /// end of the stream.
    pub(crate) fn next(&mut self, buf: &mut Vec<u8>, max: u64) -> io::Result<bool> {
        buf.clear();
        let n = (&mut self.body).take(max + 1).read_until(b'\n', buf)?;
        if n == 0 {
            return Ok(false);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if buf.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a channel line is longer than {max} bytes"),
            ));
        } else {
            // The stream ended inside a line: the line is cut, not an event.
            return Ok(false);
        }
        Ok(true)
    }

    /// How long a read may wait before the channel counts as dead.
    pub(crate) fn set_read_timeout(&self, d: Duration) {
        if let Some(s) = &self.socket {
            let _ = s.set_read_timeout(Some(d));
        }
    }
}

/// Opens the channel at `url`: connects (within `timeout`), sends the GET, reads the head. A
/// server that answers with anything but a line stream gives its REST error (or the HTTP
/// status) as the error.
pub(crate) fn open(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
    timeout: Duration,
    interrupt: &Interrupt,
) -> Result<Lines> {
    let target = Target::parse(url)?;
    let addrs = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| net("address", e))?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut socket = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                socket = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let socket = socket.ok_or_else(|| net("connect", last))?;
    if !interrupt.watch(&socket) {
        return Err(Error::new(
            codes::V2IM_ERR_SHUTTING_DOWN,
            "client is shutting down",
        ));
    }
    let _ = socket.set_nodelay(true);
    let _ = socket.set_read_timeout(Some(timeout));
    let _ = socket.set_write_timeout(Some(timeout));
    let raw = socket.try_clone().map_err(|e| net("socket", e))?;
    let mut io: Box<dyn ReadWrite> = if target.https {
        let name = rustls::pki_types::ServerName::try_from(target.host.clone())
            .map_err(|e| Error::new(codes::V2IM_ERR_NETWORK, format!("channel TLS name: {e}")))?;
        let conn = rustls::ClientConnection::new(tls.clone(), name)
            .map_err(|e| Error::new(codes::V2IM_ERR_NETWORK, format!("channel TLS: {e}")))?;
        Box::new(rustls::StreamOwned::new(conn, raw))
    } else {
        Box::new(raw)
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/x-ndjson\r\nUser-Agent: v2im/{}\r\n\r\n",
        target.path,
        target.authority,
        env!("CARGO_PKG_VERSION")
    );
    io.write_all(request.as_bytes())
        .and_then(|()| io.flush())
        .map_err(|e| net("request", e))?;
    answered(Box::new(ReadHalf(io)), Some(socket))
}

/// The channel in the server's answer `answer` (head, then body), read from `socket`: its lines,
/// or why the server did not open one.
pub(crate) fn answered(answer: Box<dyn Read + Send>, socket: Option<TcpStream>) -> Result<Lines> {
    let mut reader = BufReader::new(answer);
    let head = read_head(&mut reader).map_err(|e| net("answer", e))?;
    if head.status == 200 && head.content_type.starts_with("application/x-ndjson") && head.chunked {
        return Ok(Lines {
            body: BufReader::new(Chunked::new(reader)),
            socket,
        });
    }
    Err(refusal(head, reader))
}

/// A failure of the connection during `what`: a timeout or a network error.
fn net(what: &str, e: io::Error) -> Error {
    let code = if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        codes::ERR_REQUEST_TIME_OUT
    } else {
        codes::V2IM_ERR_NETWORK
    };
    Error::new(code, format!("channel {what}: {e}"))
}

/// Why a server did not open a channel: its REST error, or its HTTP status.
fn refusal(head: Head, reader: BufReader<Box<dyn Read + Send>>) -> Error {
    let mut body = Vec::new();
    let read = if head.chunked {
        Chunked::new(reader)
            .take(MAX_ERROR_BODY_BYTES)
            .read_to_end(&mut body)
    } else {
        let n = head.content_length.unwrap_or(MAX_ERROR_BODY_BYTES);
        reader
            .take(n.min(MAX_ERROR_BODY_BYTES))
            .read_to_end(&mut body)
    };
    let _ = read;
    let no_channel = || {
        Error::new(
            codes::V2IM_ERR_NO_CHANNEL,
            format!(
                "the server has no live channel (HTTP {}): receiving needs v2im-server",
                head.status
            ),
        )
    };
    if let Ok(env) = super::json_line::<v2im_wire::Envelope>(&body) {
        if env.error_code == v2im_wire::codes::BAD_RESOURCE {
            return no_channel();
        }
        if env.error_code != 0 {
            return Error::new(
                env.error_code,
                format!("channel refused: {}", env.error_info),
            );
        }
    }
    if head.status == 404 || head.status == 405 {
        return no_channel();
    }
    if head.status != 200 {
        return Error::new(
            codes::V2IM_ERR_HTTP_STATUS,
            format!(
                "channel: HTTP {} (does the server have v2im's live channel?)",
                head.status
            ),
        );
    }
    Error::new(
        codes::V2IM_ERR_BAD_RESPONSE,
        format!(
            "channel: the server answered \"{}\", not a stream of JSON lines",
            head.content_type
        ),
    )
}

fn read_head(r: &mut impl BufRead) -> io::Result<Head> {
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_owned());
    let mut head = Vec::new();
    loop {
        let n = r.take(MAX_HEAD_BYTES as u64).read_until(b'\n', &mut head)?;
        if n == 0 {
            return Err(bad("the connection closed before the answer"));
        }
        if let Some(h) = parse_head(&head)? {
            return Ok(h);
        }
        if head.len() >= MAX_HEAD_BYTES {
            return Err(bad("answer head too long"));
        }
    }
}

/// Reads and writes, so a TLS stream and a plain socket are one type.
trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

/// The read side of a stream whose writing is over (the request is sent).
struct ReadHalf(Box<dyn ReadWrite>);

impl Read for ReadHalf {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// A chunked body (RFC 9112, section 7.1) as plain bytes; trailers are skipped.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` before the first size line.
    left: Option<u64>,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Chunked<R> {
        Chunked {
            inner,
            left: None,
            done: false,
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut l = Vec::new();
        let n = (&mut self.inner)
            .take(MAX_CHUNK_LINE as u64)
            .read_until(b'\n', &mut l)?;
        if n == 0 || !l.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "chunked body cut",
            ));
        }
        Ok(String::from_utf8_lossy(&l).trim().to_owned())
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left.unwrap_or(0) == 0 {
            if self.left.is_some() {
                // The CRLF after the chunk just read.
                self.line()?;
            }
            let size = chunk_size(self.line()?.as_bytes())?;
            if size == 0 {
                while !self.line()?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
            self.left = Some(size);
        }
        let left = self.left.unwrap_or(0);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "chunked body cut",
            ));
        }
        self.left = Some(left - n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode() {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n world\n\r\n0\r\nTrailer: x\r\n\r\n";
        let mut out = String::new();
        Chunked::new(&raw[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello world\n");
        for cut in [&b"5\r\nhel"[..], b"zz\r\n", b"5\r\nhello"] {
            let mut out = Vec::new();
            assert!(Chunked::new(cut).read_to_end(&mut out).is_err(), "{cut:?}");
        }
    }

    #[test]
    fn heads_parse() {
        let h = read_head(
            &mut &b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\nrest"[..],
        )
        .unwrap();
        assert_eq!((h.status, h.chunked), (200, true));
        assert_eq!(h.content_type, "application/x-ndjson");
        assert!(read_head(&mut &b"SSH-2.0-x\r\n\r\n"[..]).is_err());
        assert!(read_head(&mut &b"HTTP/1.1 200"[..]).is_err());
    }

    #[test]
    fn targets_parse() {
        let t = Target::parse("https://[::1]:8443/base/v4/v2im/channel?a=1").unwrap();
        assert!(t.https);
        assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
        assert_eq!(t.path, "/base/v4/v2im/channel?a=1");
        assert_eq!(t.authority, "[::1]:8443");
        assert_eq!(Target::parse("http://h/x").unwrap().authority, "h");
        assert!(Target::parse("ftp://h/x").is_err());
    }
}
