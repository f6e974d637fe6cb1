//! UserSig v2 (tls-sig-api-v2): HMAC-SHA256 over four lines, a JSON document, zlib, and
//! Tencent's base64 variant (`+`→`*`, `/`→`-`, `=`→`_`).
//!
//! Verification decodes, inflates, parses and recomputes the HMAC, with the official Go
//! verifier's semantics: sig strings are never compared, because every official generator
//! produces a different string for the same inputs (key order, spacing, zlib level).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Write};

use crate::codes;

/// Default validity of a generated sig: 180 days, as the official generators use.
pub const DEFAULT_EXPIRE_SECS: i64 = 180 * 86_400;

/// Decoded content of a sig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSigClaims {
    pub identifier: String,
    pub sdkappid: u64,
    pub time: i64,
    pub expire: i64,
    /// Standard base64 of the userbuf, when there is one.
    pub userbuf: Option<String>,
    /// The signature bytes (HMAC-SHA256).
    pub sig: Vec<u8>,
}

/// Why a sig was refused. [`SigError::code`] gives Tencent's REST code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    Empty,
    /// Not decodable: base64, zlib, JSON, missing fields or wrong version.
    Malformed(String),
    SdkAppIdMismatch,
    IdentifierMismatch,
    Expired,
    UserbufMismatch,
    /// HMAC does not match: signed with another key.
    SigMismatch,
}

impl SigError {
    pub fn code(&self) -> i32 {
        match self {
            SigError::Empty => codes::SIG_EMPTY,
            SigError::Malformed(_) => codes::SIG_INVALID,
            SigError::SdkAppIdMismatch => codes::SIG_SDKAPPID_MISMATCH,
            SigError::IdentifierMismatch => codes::SIG_IDENTIFIER_MISMATCH,
            SigError::Expired => codes::SIG_EXPIRED,
            SigError::UserbufMismatch => codes::SIG_INVALID,
            SigError::SigMismatch => codes::SIG_WRONG_KEY,
        }
    }
}

impl std::fmt::Display for SigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigError::Empty => f.write_str("usersig is empty"),
            SigError::Malformed(why) => write!(f, "usersig is malformed: {why}"),
            SigError::SdkAppIdMismatch => f.write_str("usersig: sdk appid not match"),
            SigError::IdentifierMismatch => f.write_str("usersig: identifier not match"),
            SigError::Expired => f.write_str("usersig expired"),
            SigError::UserbufMismatch => f.write_str("usersig: userbuf not match"),
            SigError::SigMismatch => f.write_str("usersig: sig not match (wrong key?)"),
        }
    }
}

impl std::error::Error for SigError {}

fn hmac_content(
    identifier: &str,
    sdkappid: u64,
    time: i64,
    expire: i64,
    userbuf: Option<&str>,
) -> String {
    let mut c = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(b) = userbuf {
        c.push_str("TLS.userbuf:");
        c.push_str(b);
        c.push('\n');
    }
    c
}

fn hmac_sha256(key: &str, content: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(content.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The `TLS.sig` value: standard base64 of HMAC-SHA256(key as UTF-8 bytes, content).
pub fn tls_sig(
    key: &str,
    identifier: &str,
    sdkappid: u64,
    time: i64,
    expire: i64,
    userbuf: Option<&[u8]>,
) -> String {
    let ub = userbuf.map(|b| STANDARD.encode(b));
    STANDARD.encode(hmac_sha256(
        key,
        &hmac_content(identifier, sdkappid, time, expire, ub.as_deref()),
    ))
}

/// Makes a UserSig for `identifier`, valid from `time` for `expire` seconds.
pub fn gen_usersig_at(
    sdkappid: u64,
    key: &str,
    identifier: &str,
    expire: i64,
    time: i64,
) -> String {
    gen_usersig_with_userbuf_at(sdkappid, key, identifier, expire, time, None)
}

/// Makes a UserSig valid from now for `expire` seconds.
pub fn gen_usersig(sdkappid: u64, key: &str, identifier: &str, expire: i64) -> String {
    gen_usersig_at(sdkappid, key, identifier, expire, unix_now())
}

/// As [`gen_usersig_at`], with a userbuf (TRTC's PrivateMapKey; IM leaves it out).
pub fn gen_usersig_with_userbuf_at(
    sdkappid: u64,
    key: &str,
    identifier: &str,
    expire: i64,
    time: i64,
    userbuf: Option<&[u8]>,
) -> String {
    let sig = tls_sig(key, identifier, sdkappid, time, expire, userbuf);
    let mut doc = serde_json::Map::new();
    doc.insert("TLS.ver".into(), "2.0".into());
    doc.insert("TLS.identifier".into(), identifier.into());
    doc.insert("TLS.sdkappid".into(), sdkappid.into());
    doc.insert("TLS.expire".into(), expire.into());
    doc.insert("TLS.time".into(), time.into());
    if let Some(b) = userbuf {
        doc.insert("TLS.userbuf".into(), STANDARD.encode(b).into());
    }
    doc.insert("TLS.sig".into(), sig.into());
    let json = serde_json::Value::Object(doc).to_string();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json.as_bytes())
        .expect("writing to a Vec cannot fail");
    let compressed = z.finish().expect("writing to a Vec cannot fail");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// A decoded sig is small; this bounds what a hostile one may inflate to.
const MAX_INFLATED: u64 = 64 * 1024;

/// Decodes a sig without checking it: base64 variant, zlib, JSON.
pub fn decode_usersig(sig: &str) -> Result<UserSigClaims, SigError> {
    if sig.is_empty() {
        return Err(SigError::Empty);
    }
    let std_b64: String = sig
        .trim()
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let compressed = STANDARD
        .decode(std_b64.as_bytes())
        .map_err(|e| SigError::Malformed(format!("base64: {e}")))?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .take(MAX_INFLATED)
        .read_to_end(&mut json)
        .map_err(|e| SigError::Malformed(format!("zlib: {e}")))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| SigError::Malformed(format!("json: {e}")))?;
    let field = |k: &str| {
        doc.get(k)
            .ok_or_else(|| SigError::Malformed(format!("missing {k}")))
    };
    let ver = field("TLS.ver")?;
    if ver.as_str() != Some("2.0") {
        return Err(SigError::Malformed(format!("unsupported TLS.ver {ver}")));
    }
    let int = |k: &str| -> Result<i64, SigError> {
        field(k)?
            .as_i64()
            .ok_or_else(|| SigError::Malformed(format!("{k} is not an integer")))
    };
    let identifier = field("TLS.identifier")?
        .as_str()
        .ok_or_else(|| SigError::Malformed("TLS.identifier is not a string".into()))?
        .to_string();
    let sdkappid = field("TLS.sdkappid")?
        .as_u64()
        .ok_or_else(|| SigError::Malformed("TLS.sdkappid is not an integer".into()))?;
    let userbuf = match doc.get("TLS.userbuf") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| SigError::Malformed("TLS.userbuf is not a string".into()))?
                .to_string(),
        ),
    };
    let sig_b64 = field("TLS.sig")?
        .as_str()
        .ok_or_else(|| SigError::Malformed("TLS.sig is not a string".into()))?;
    let sig = STANDARD
        .decode(sig_b64)
        .map_err(|e| SigError::Malformed(format!("TLS.sig base64: {e}")))?;
    Ok(UserSigClaims {
        identifier,
        sdkappid,
        time: int("TLS.time")?,
        expire: int("TLS.expire")?,
        userbuf,
        sig,
    })
}

/// Verifies `sig` as Go's `VerifyUserSig` does: sdkappid, identifier, expiry (expired only when
/// `now > time + expire`; a future `time` is accepted), userbuf presence, then the HMAC.
pub fn verify_usersig(
    sig: &str,
    sdkappid: u64,
    key: &str,
    identifier: &str,
    now: i64,
) -> Result<UserSigClaims, SigError> {
    let c = decode_usersig(sig)?;
    if c.sdkappid != sdkappid {
        return Err(SigError::SdkAppIdMismatch);
    }
    if c.identifier != identifier {
        return Err(SigError::IdentifierMismatch);
    }
    if now > c.time.saturating_add(c.expire) {
        return Err(SigError::Expired);
    }
    // Constant-time comparison through the hmac crate.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(
        hmac_content(
            &c.identifier,
            c.sdkappid,
            c.time,
            c.expire,
            c.userbuf.as_deref(),
        )
        .as_bytes(),
    );
    if mac.verify_slice(&c.sig).is_err() {
        return Err(SigError::SigMismatch);
    }
    Ok(c)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const K2: &str = "deadbeefcafebabe0123456789abcdef0123456789abcdef0123456789abcdef";

    // Sigs made by Tencent's official UserSig generators (Python, npm, Go) for these keys.
    const V1: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";
    const V2: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDAwMjYxNTM2gcqkVBZlFqUAZYwMDqFBJZi5IwNDMAApgxmSmg6yo1DZOdi4tyNL2CAkoykwNDPOITIwsqvDVDkr2CA3OKSgtc0nPNct1Ksn1tFWqBQD6ETXW";
    const V3: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkSotTi*JjSk1SjVJiSs1MLcx1DWEKi1OyEwsKMlOAyowMwMAQKpNaUZBZlAoUtzAzMTCACpZk5oKEDI2MTUzNzC0sYeLFmekgiypNPA2CjT1cPCvMvfQ9QkMtvJN8nfMSPaIMkjLyzErNE-MtS8rDIzK9A4ptlWoBj201ZQ__";
    const V4: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPWlxalFSaVpIFsiw72y4FZkpoOEArNCjAwMKwKyI7L1E30NU7UrDcoSs6OSDLyNMgOK3EpTtbUNik0rzZLcfG2VagHdkjl6";
    const N1: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__";
    const N3: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwqXFqUXxT3asfTatXdcQqqA4JTuxoCAzRcnKyAAMDCHiJZm5qUpWhkbGJqZm5haWBhDR1IqCzKJUJSsLMxMDqFBxZrqSlVKliadBsLGHi2eFuZe*R2iohXeSr3NeokeUQVJGnlmpeWK*ZUl5eESmd0CxrVItAPgFNKY_";
    const G1: &str = "eAEArABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzk1OTY0OTk1LCJUTFMuc2lnIjoiOVJYd3V2Ri9uTmxxc3JDbDB2K3RCYkZMMElMNEpPOGJrRGFIcVdCeUdscz0ifQoBAAD---GSMpU_";
    const G2: &str = "eAEArQBS-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoidXNlcl-kuK3mloctMSIsIlRMUy5zZGthcHBpZCI6MjAwMDAwMDEsIlRMUy5leHBpcmUiOjg2NDAwLCJUTFMudGltZSI6MTc5NTk2NDk5NSwiVExTLnNpZyI6InBSc3Jtd2gvRktVV3hydHBteXFscEZDd0VjcTFVR3h2WGZBcjcwNFQ5Vkk9In0KAQAA--*KAjZK";

    #[test]
    fn python_vectors_verify_at_their_valid_times() {
        assert!(verify_usersig(V1, 1400000000, K1, "xiaojun", 1700000001).is_ok());
        assert!(
            verify_usersig(V1, 1400000000, K1, "xiaojun", 1715552000).is_ok(),
            "now == time+expire is valid"
        );
        assert!(
            verify_usersig(V1, 1400000000, K1, "xiaojun", 1699999900).is_ok(),
            "future time accepted"
        );
        assert_eq!(
            verify_usersig(V1, 1400000000, K1, "xiaojun", 1715552001),
            Err(SigError::Expired)
        );
        assert_eq!(
            verify_usersig(V1, 1400000000, K2, "xiaojun", 1700000001),
            Err(SigError::SigMismatch)
        );
        assert_eq!(
            verify_usersig(V1, 1400000000, K1, "xiaojun2", 1700000001),
            Err(SigError::IdentifierMismatch)
        );
        assert_eq!(
            verify_usersig(V1, 1400000001, K1, "xiaojun", 1700000001),
            Err(SigError::SdkAppIdMismatch)
        );
        assert!(verify_usersig(V2, 1400123456, K2, "administrator", 1600000300).is_ok());
        assert_eq!(
            verify_usersig(V2, 1400123456, K2, "administrator", 1600000301),
            Err(SigError::Expired)
        );
        assert!(verify_usersig(V3, 20000001, "test-secret-key", "user_中文-1", 1234567891).is_ok());
        assert!(verify_usersig(V4, 1400000000, K1, "xiaojun", 1700000001).is_ok());
    }

    #[test]
    fn npm_and_go_vectors_verify() {
        assert!(verify_usersig(N1, 1400000000, K1, "xiaojun", 1700000001).is_ok());
        assert!(verify_usersig(N3, 20000001, "test-secret-key", "user_中文-1", 1234567891).is_ok());
        assert!(verify_usersig(G1, 1400000000, K1, "xiaojun", 1795964996).is_ok());
        assert!(verify_usersig(G2, 20000001, "test-secret-key", "user_中文-1", 1795964996).is_ok());
    }

    #[test]
    fn fixed_hmac_values_match() {
        assert_eq!(
            tls_sig(K1, "xiaojun", 1400000000, 1700000000, 15552000, None),
            "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
        );
        assert_eq!(
            tls_sig(
                K1,
                "xiaojun",
                1400000000,
                1700000000,
                15552000,
                Some(b"abc")
            ),
            "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM="
        );
        assert_eq!(
            tls_sig(K1, "administrator", 1400000000, 1700000000, 86400, None),
            "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
        );
        assert_eq!(
            tls_sig(
                "test-secret-key",
                "user_中文-1",
                20000001,
                1234567890,
                86400,
                None
            ),
            "y4I0S3HDIx7J/HUU8KbMCnaHZ0bhn6u7ao9twWXiKPs="
        );
    }

    #[test]
    fn generated_sigs_roundtrip() {
        let s = gen_usersig_at(1400000000, K1, "user_中文-1", 86400, 1700000000);
        let c = verify_usersig(&s, 1400000000, K1, "user_中文-1", 1700000100).unwrap();
        assert_eq!((c.time, c.expire), (1700000000, 86400));
        assert_eq!(
            verify_usersig(&s, 1400000000, K2, "user_中文-1", 1700000100),
            Err(SigError::SigMismatch)
        );
        let b = gen_usersig_with_userbuf_at(
            1400000000,
            K1,
            "xiaojun",
            15552000,
            1700000000,
            Some(b"abc"),
        );
        assert_eq!(
            decode_usersig(&b).unwrap().sig,
            decode_usersig(V4).unwrap().sig
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        assert_eq!(verify_usersig("", 1, "k", "a", 0), Err(SigError::Empty));
        for s in ["!!!", "eJyr", "AAAA", "eJwDAAAAAAE_"] {
            assert!(
                matches!(
                    verify_usersig(s, 1, "k", "a", 0),
                    Err(SigError::Malformed(_))
                ),
                "{s}"
            );
        }
        assert_eq!(SigError::SigMismatch.code(), 70009);
        assert_eq!(SigError::Expired.code(), 70001);
    }
}
