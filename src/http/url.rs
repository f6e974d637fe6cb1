//! `http://` and `https://` URLs as the library's connections need them: scheme, host, port,
//! path and query. What a server URL may hold is small, so this is all of it, strictly: a URL
//! this does not accept is refused when the config is read (6017), never guessed at (no
//! user:password, no fragment, no non-ASCII host: give an internationalised name in its
//! `xn--` form).

use std::net::Ipv6Addr;

/// A parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub https: bool,
    /// The host to connect to: a name (lower case), an IPv4 address, or an IPv6 address
    /// without its brackets.
    pub host: String,
    pub port: u16,
    /// The `Host` header: the host (an IPv6 one in brackets), and the port unless it is the
    /// scheme's default.
    pub authority: String,
    /// The path, `""` or starting with `/`, as written (a trailing `/` kept).
    pub path: String,
    /// The query after `?`, if any.
    pub query: Option<String>,
}

impl HttpUrl {
    /// Parses `url`; the error says what is wrong with it (not quoting it: the caller names it).
    pub(crate) fn parse(url: &str) -> Result<HttpUrl, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("not an http:// or https:// URL")?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(format!("unknown scheme \"{scheme}\"")),
        };
        if let Some(c) = url.chars().find(|c| c.is_ascii_control() || *c == ' ') {
            return Err(format!("{c:?} in the URL"));
        }
        if url.contains('#') {
            return Err("a fragment (#...) in the URL".into());
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err("user information (...@) in the URL".into());
        }
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (tail, None),
        };
        let (host, port) = host_and_port(authority)?;
        // Sent as it is in the request line: percent-encoding is the writer's job.
        if !tail.is_ascii() {
            return Err("non-ASCII characters in the path or query (percent-encode them)".into());
        }
        let default_port = if https { 443 } else { 80 };
        let port = port.unwrap_or(default_port);
        let shown = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let authority = if port == default_port {
            shown
        } else {
            format!("{shown}:{port}")
        };
        Ok(HttpUrl {
            https,
            host,
            port,
            authority,
            path: path.to_owned(),
            query,
        })
    }
}

/// The host (validated, lower case) and the port, if given.
fn host_and_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or("an unclosed [ in the host")?;
        addr.parse::<Ipv6Addr>()
            .map_err(|_| format!("\"{addr}\" is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after the IPv6 address")?),
        };
        (addr.to_ascii_lowercase(), port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        if !host.is_ascii() {
            return Err(format!(
                "the host \"{host}\" is not ASCII (give an internationalised name in its xn-- form)"
            ));
        }
        let ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        // A name's labels, or an IPv4 address; a final dot (an absolute name) is allowed.
        if host.len() > 253 || !host.strip_suffix('.').unwrap_or(host).split('.').all(ok) {
            return Err(format!("\"{host}\" is not a host name or address"));
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(
            Some(p)
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p != 0)
                .ok_or(format!("\"{p}\" is not a port (1 to 65535)"))?,
        ),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::HttpUrl;

    fn ok(url: &str) -> HttpUrl {
        HttpUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn reads_what_a_server_url_holds() {
        let u = ok("https://console.tim.qq.com");
        assert!(u.https);
        assert_eq!(
            (u.host.as_str(), u.port, u.authority.as_str()),
            ("console.tim.qq.com", 443, "console.tim.qq.com")
        );
        assert_eq!((u.path.as_str(), u.query), ("", None));

        let u = ok("HTTP://LocalHost:8080/im/v2/?a=1&b=%20");
        assert!(!u.https);
        assert_eq!(
            (u.host.as_str(), u.port, u.authority.as_str()),
            ("localhost", 8080, "localhost:8080")
        );
        assert_eq!(u.path, "/im/v2/");
        assert_eq!(u.query.as_deref(), Some("a=1&b=%20"));

        let u = ok("http://127.0.0.1:80");
        assert_eq!((u.port, u.authority.as_str()), (80, "127.0.0.1"));
        let u = ok("http://[::1]:9080/files");
        assert_eq!(
            (
                u.host.as_str(),
                u.port,
                u.authority.as_str(),
                u.path.as_str()
            ),
            ("::1", 9080, "[::1]:9080", "/files")
        );
        let u = ok("https://[2001:DB8::1]");
        assert_eq!(
            (u.host.as_str(), u.authority.as_str()),
            ("2001:db8::1", "[2001:db8::1]")
        );
        let u = ok("http://host.example.:81?x");
        assert_eq!((u.host.as_str(), u.port), ("host.example.", 81));
        assert_eq!((u.path.as_str(), u.query.as_deref()), ("", Some("x")));
        assert_eq!(
            ok("http://xn--bcher-kva.example").host,
            "xn--bcher-kva.example"
        );
        assert_eq!(ok("http://h:/p").port, 80, "an empty port is the default");
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for (url, why) in [
            ("", "not an http"),
            ("localhost:8080", "not an http"),
            ("ftp://h", "unknown scheme"),
            ("http://", "no host"),
            ("http:///path", "no host"),
            ("http://:80", "no host"),
            ("http://user:pw@h", "user information"),
            ("http://h/#top", "fragment"),
            ("http://h/a b", "' '"),
            ("http://h/\n", "'\\n'"),
            ("http://bücher.example", "xn--"),
            ("http://h/bücher", "percent-encode"),
            ("http://h:0", "not a port"),
            ("http://h:65536", "not a port"),
            ("http://h:+80", "not a port"),
            ("http://h:8o", "not a port"),
            ("http://[::1", "unclosed"),
            ("http://[::g]", "not an IPv6"),
            ("http://[::1]x", "junk"),
            ("http://a..b", "not a host"),
            ("http://a%2eb", "not a host"),
            ("http://a:1:2", "not a host"),
        ] {
            let e = HttpUrl::parse(url).expect_err(url);
            assert!(e.contains(why), "{url}: {e} (expected {why:?})");
        }
    }
}
