//! One file's upload: its content UUID (streamed SHA-256) and a streamed HTTP PUT whose reader
//! counts the bytes sent, for progress. Memory stays at a few buffers whatever the size.

use crate::codes::{self, Error, Result};
use crate::http::client::{self, Http, PutBounds, PutFailure, Stop};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;

/// What the upload server said about a stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    pub uuid: String,
    pub url: String,
    pub size: u64,
    /// REST `ImageFormat` when the server recognised an image.
    pub image_format: Option<i64>,
    /// REST-typed renditions (1 origin, 2 large, 3 thumb) for images.
    pub renditions: Vec<Rendition>,
}

/// One rendition as the PUT answer lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Rendition {
    #[serde(rename = "Type")]
    pub kind: i64,
    #[serde(rename = "Url")]
    pub url: String,
    #[serde(rename = "Width", default)]
    pub width: u32,
    #[serde(rename = "Height", default)]
    pub height: u32,
    #[serde(rename = "Size", default)]
    pub size: u64,
}

/// The PUT answer (v2im-server's; see server/README.md "Media").
#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "ErrorCode", default)]
    error_code: i32,
    #[serde(rename = "ErrorInfo", default)]
    error_info: String,
    #[serde(rename = "Url", default)]
    url: String,
    #[serde(rename = "ImageFormat", default)]
    image_format: Option<i64>,
    #[serde(rename = "Renditions", default)]
    renditions: Vec<Rendition>,
}

/// Bytes read per step while hashing and uploading.
const CHUNK: usize = 64 * 1024;

fn read_error(path: &str, e: &std::io::Error) -> Error {
    Error::new(
        codes::ERR_FILE_OPEN_FAILED,
        format!("cannot read {path}: {e}"),
    )
}

/// The content UUID: the first 128 bits of the SHA-256 of the bytes, in hex. `report` hears
/// how many bytes have been hashed so far; false from it ends the hashing (shutdown).
pub fn content_uuid(path: &str, report: &mut dyn FnMut(u64) -> bool) -> Result<String> {
    let mut f = File::open(path).map_err(|e| read_error(path, &e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut hashed = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| read_error(path, &e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        hashed += n as u64;
        if !report(hashed) {
            return Err(super::shutting_down());
        }
    }
    let digest = h.finalize();
    Ok(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
}

/// A reader that tells `report` how many bytes have been taken so far; `report` returning false
/// ends the upload with an error (shutdown).
struct Counting<'a, R> {
    inner: R,
    sent: u64,
    report: &'a mut dyn FnMut(u64) -> bool,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent += n as u64;
        if !(self.report)(self.sent) {
            return Err(std::io::Error::other("client is shutting down"));
        }
        Ok(n)
    }
}

/// Where a file goes.
pub struct To<'a> {
    pub http: &'a Http,
    /// Path and query after the upload URL's own path.
    pub target: &'a str,
    /// The file's URL without the query: what the element gets when the server names none.
    pub url: &'a str,
    /// The longest a write may take; the answer may take at least `UPLOAD_ANSWER_WAIT`.
    pub io_timeout: std::time::Duration,
    /// Ends the wait for the answer (shutdown).
    pub stop: &'a Stop,
}

/// PUTs the file at `path` (`size` bytes), streamed. `Ok(None)`: the path already holds other
/// bytes (the server's uploads are write-once, HTTP 409), so the file must go to another path.
pub fn put_file(
    to: &To<'_>,
    uuid: &str,
    path: &str,
    size: u64,
    report: &mut dyn FnMut(u64) -> bool,
) -> Result<Option<Uploaded>> {
    #[cfg(feature = "fuzzing")]
    if let Some(canned) = crate::fuzz::canned_answer() {
        let (status, text) = canned.ok_or_else(|| {
            Error::new(codes::ERR_FILE_TRANS_NO_SERVER, "upload failed: no answer")
        })?;
        return answered(to.url, uuid, size, status, &text);
    }
    let answer_wait = to.io_timeout.max(super::UPLOAD_ANSWER_WAIT);
    // A kept connection the server closed meanwhile fails before anything was answered: the
    // file goes once more, from its start, on a new connection.
    let mut fresh = false;
    let answer = loop {
        let file = File::open(path).map_err(|e| read_error(path, &e))?;
        // Exactly the size checked: a file that grows meanwhile does not send more than it says.
        let mut reader = Counting {
            inner: file.take(size),
            sent: 0,
            report: &mut *report,
        };
        let bounds = PutBounds {
            write: to.io_timeout,
            answer: answer_wait,
            stop: to.stop,
        };
        match to.http.put(to.target, size, &mut reader, &bounds, fresh) {
            Err(PutFailure::Exchange { stale: true, .. }) if !fresh => fresh = true,
            other => break other,
        }
    };
    match answer {
        Ok(a) => answered(to.url, uuid, size, a.status, &a.body),
        // No connection (bad URL, DNS, refused): there is no upload server.
        Err(PutFailure::Connect(why)) => Err(Error::new(
            codes::ERR_FILE_TRANS_NO_SERVER,
            format!("upload failed: cannot connect: {why}"),
        )),
        Err(PutFailure::Stopped) => Err(super::shutting_down()),
        Err(PutFailure::Exchange { err, .. }) => {
            let what = if client::is_timeout(&err) {
                "timed out".to_owned()
            } else {
                err.to_string()
            };
            Err(Error::new(
                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                format!("upload failed: {what}"),
            ))
        }
    }
}

/// What the server's answer (`status` and its body `text`) says of the
/// upload of `size` bytes to `url`.
fn answered(url: &str, uuid: &str, size: u64, status: u16, text: &str) -> Result<Option<Uploaded>> {
    if status >= 400 {
        let answer = serde_json::from_str::<Answer>(text).ok();
        if status == 409
            && answer.as_ref().map(|a| a.error_code) == Some(v2im_wire::codes::FILE_EXISTS)
        {
            return Ok(None);
        }
        let info = answer
            .map(|a| format!("{} ({})", a.error_info, a.error_code))
            .unwrap_or_default();
        let code = if status == 401 || status == 403 {
            codes::ERR_FILE_TRANS_AUTH_FAILED
        } else {
            codes::ERR_FILE_TRANS_UPLOAD_FAILED
        };
        return Err(Error::new(
            code,
            format!("upload refused: HTTP {status} {info}"),
        ));
    }
    let a: Answer = serde_json::from_str(text).map_err(|e| {
        Error::new(
            codes::ERR_FILE_TRANS_UPLOAD_FAILED,
            format!("upload answer not understood: {e}"),
        )
    })?;
    if a.error_code != 0 {
        let code = if (70001..=70020).contains(&a.error_code) {
            codes::ERR_FILE_TRANS_AUTH_FAILED
        } else {
            codes::ERR_FILE_TRANS_UPLOAD_FAILED
        };
        return Err(Error::new(
            code,
            format!("upload refused: {} ({})", a.error_info, a.error_code),
        ));
    }
    // A server that does not say where the file is: the URL it was put to, without the query.
    let url = if a.url.is_empty() {
        url.split('?').next().unwrap_or(url).to_owned()
    } else {
        a.url
    };
    Ok(Some(Uploaded {
        uuid: uuid.to_owned(),
        url,
        size,
        image_format: a.image_format,
        renditions: a.renditions,
    }))
}
