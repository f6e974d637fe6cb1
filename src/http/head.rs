//! What the library's two HTTP/1.1 clients read of an answer: its head, parsed by httparse (the
//! parser hyper uses), and a chunk's size line. The REST and upload client (`http::client`) reads whole
//! answers from its own buffer; the live channel (`receive::stream`) streams a chunked body line
//! by line. Each frames bodies its own way around these two.

use std::io;

/// Headers read at most: an answer with more is refused.
const MAX_HEADERS: usize = 64;

/// What the clients need of an answer's head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    /// The head's length in bytes, its blank line included.
    pub(crate) len: usize,
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    /// The server closes the connection after this answer: `Connection: close`, or HTTP/1.0
    /// without `keep-alive`.
    pub(crate) close: bool,
    /// `Content-Type`, lowercased; empty when there is none.
    pub(crate) content_type: String,
}

fn invalid(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// The answer head at the start of `buf`; `Ok(None)` while it is not complete.
pub(crate) fn parse_head(buf: &[u8]) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut headers);
    let len = match answer.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(invalid(format!("not an HTTP/1 answer head: {e}"))),
    };
    let http10 = answer.version == Some(0);
    let mut h = Head {
        status: answer.code.unwrap_or(0),
        len,
        content_length: None,
        chunked: false,
        close: http10,
        content_type: String::new(),
    };
    for header in answer.headers.iter() {
        let name = header.name;
        let value = || {
            std::str::from_utf8(header.value)
                .map(str::trim)
                .map_err(|_| invalid(format!("the {name} header is not UTF-8")))
        };
        if name.eq_ignore_ascii_case("content-length") {
            let n = value()?
                .parse()
                .map_err(|_| invalid("bad Content-Length".into()))?;
            h.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            h.chunked = value()?
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for v in value()?.split(',').map(str::trim) {
                if v.eq_ignore_ascii_case("close") {
                    h.close = true;
                } else if v.eq_ignore_ascii_case("keep-alive") && http10 {
                    h.close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("content-type") {
            h.content_type = value()?.to_ascii_lowercase();
        }
    }
    Ok(Some(h))
}

/// The size a chunk's size line gives (the line without its line end; extensions after `;`
/// are ignored).
pub(crate) fn chunk_size(line: &[u8]) -> io::Result<u64> {
    let size = line.split(|&b| b == b';').next().unwrap_or_default();
    std::str::from_utf8(size)
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 16)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| invalid("bad chunk size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: Application/X-NDJSON\r\nTransfer-Encoding: gzip, chunked\r\n\r\nrest";
        let h = parse_head(raw).unwrap().unwrap();
        assert_eq!((h.status, h.chunked, h.close), (200, true, false));
        assert_eq!(h.len, raw.len() - "rest".len());
        assert_eq!(h.content_type, "application/x-ndjson");
        let h = parse_head(b"HTTP/1.0 404 Not Found\nContent-Length: 7\n\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.status, h.content_length, h.close), (404, Some(7), true));
        let h = parse_head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.close);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(h.close);
        // Not complete yet.
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le")
            .unwrap()
            .is_none());
        assert!(parse_head(b"").unwrap().is_none());
        for bad in [
            &b"SSH-2.0-x\r\n\r\n"[..],
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: \xff\r\n\r\n",
        ] {
            assert!(
                parse_head(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let many = format!(
            "HTTP/1.1 200 OK\r\n{}\r\n",
            "X-A: b\r\n".repeat(MAX_HEADERS + 1)
        );
        assert!(parse_head(many.as_bytes()).is_err());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1A").unwrap(), 26);
        assert_eq!(chunk_size(b"7;ext=1").unwrap(), 7);
        assert_eq!(chunk_size(b" 0 ").unwrap(), 0);
        for bad in [&b""[..], b"zz", b";x", b"-1", b"11111111111111111"] {
            assert!(chunk_size(bad).is_err(), "{bad:?}");
        }
    }
}
