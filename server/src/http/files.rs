//! Media storage for rich-media messages (not Tencent's API: Tencent keeps media in its COS).
//!
//! `PUT /files/{uuid}/{name}?sdkappid=&identifier=&usersig=&random=` stores the request body,
//! authenticated like a REST call, streamed to disk and linked into place when complete, so a
//! reader never sees half a file. Stored files are write-once: another account (or anyone) must
//! not change what a URL already sent in a message serves, so other bytes at a taken path get 409
//! and the same bytes again succeed. Images (JPG, GIF, PNG, BMP) get Tencent's renditions: thumb (shorter side 198 px)
//! and large (shorter side 720 px); an image already that small keeps its original for them.
//! `GET /files/{uuid}/{name}` serves the bytes (`?rendition=thumb|large` a rendition) with
//! Content-Length and Content-Type, no sig needed: the URL is what a message hands its receivers.
//!
//! Layout under `--files-dir`: `{uuid}/{name}`, `{uuid}/.thumb/{name}`, `{uuid}/.large/{name}`.
//! Neither segment can name the rendition folders or leave `{uuid}/`: see `valid_uuid`/`valid_name`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use v2im_wire::codes;

use super::query::RestQuery;
use super::{error_body, json_response, status_json};
use crate::App;

/// Largest stored file: Tencent's limit for video and file messages (100 MB).
pub(crate) const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Shorter side of a thumb rendition (Tencent's).
pub(crate) const THUMB_SIDE: u32 = 198;
/// Shorter side of a large rendition (Tencent's).
pub(crate) const LARGE_SIDE: u32 = 720;
/// Decoding budget for renditions: a bigger image is stored but keeps its original as renditions.
const MAX_DECODE_BYTES: u64 = 256 << 20;

/// Bytes escaped in the name segment of a URL the server hands out (RFC 3986 path segment:
/// everything but unreserved and a few safe sub-delimiters).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'(')
    .remove(b')')
    .remove(b'*');

/// The uuid segment: 1 to 128 of `[A-Za-z0-9_-]` (no dot, so never `.` or `..`).
pub(crate) fn valid_uuid(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// The (percent-decoded) name segment: 1 to 200 bytes, no `/`, `\`, NUL or other control
/// character, not starting with a dot (so never `.`, `..` or a rendition folder), no `:` (a
/// drive or stream on Windows).
pub(crate) fn valid_name(s: &str) -> bool {
    (1..=200).contains(&s.len())
        && !s.starts_with('.')
        && !s
            .chars()
            .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control())
}

/// `uuid` and decoded `name` of `/files/{uuid}/{name}`, or None when either is not acceptable.
pub(crate) fn parse_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/files/")?;
    let (uuid, name) = rest.split_once('/')?;
    let name = percent_decode_str(name).decode_utf8().ok()?.into_owned();
    (valid_uuid(uuid) && valid_name(&name)).then(|| (uuid.to_owned(), name))
}

pub(crate) async fn files(State(app): State<Arc<App>>, req: Request) -> Response {
    let Some(dir) = app.files_dir.clone() else {
        super::drain(req.into_body()).await;
        return status_json(
            StatusCode::NOT_FOUND,
            codes::BAD_RESOURCE,
            "file storage is off (start the server with --files-dir)",
        );
    };
    let Some((uuid, name)) = parse_path(req.uri().path()) else {
        return refuse(
            req,
            StatusCode::BAD_REQUEST,
            codes::INVALID_PARAMETER_70402,
            "the path is /files/{uuid}/{name}: uuid 1 to 128 of [A-Za-z0-9_-]; name 1 to 200 bytes \
             without / \\ : or control characters, not starting with a dot",
        )
        .await;
    };
    match *req.method() {
        Method::PUT | Method::POST => {
            if let Err(e) = app.auth.check(&RestQuery::parse(req.uri().query())) {
                let mut r = json_response(error_body(&e));
                *r.status_mut() = StatusCode::UNAUTHORIZED;
                super::drain(req.into_body()).await;
                return r;
            }
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > MAX_FILE_BYTES) {
                return too_large();
            }
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1")
                .to_string();
            let base = format!("{}://{host}", app.scheme);
            put(req, &dir, &uuid, &name, &base).await
        }
        Method::GET | Method::HEAD => {
            let rendition = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("rendition="));
            let folder = match rendition {
                None => None,
                Some("thumb") => Some(".thumb"),
                Some("large") => Some(".large"),
                Some(_) => {
                    return status_json(
                        StatusCode::BAD_REQUEST,
                        codes::INVALID_PARAMETER_70402,
                        "rendition is thumb or large",
                    )
                }
            };
            let mut path = dir.join(&uuid);
            if let Some(f) = folder {
                path.push(f);
            }
            path.push(&name);
            get(path, &name, req.method() == Method::HEAD).await
        }
        _ => {
            refuse(
                req,
                StatusCode::METHOD_NOT_ALLOWED,
                codes::HTTP_PARSE_ERROR,
                "use PUT to store and GET to fetch",
            )
            .await
        }
    }
}

async fn refuse(req: Request, status: StatusCode, code: i32, info: &str) -> Response {
    super::drain(req.into_body()).await;
    status_json(status, code, info)
}

/// 413 with Tencent's body-size code; the rest of the body is not read, so the connection closes.
fn too_large() -> Response {
    let mut r = status_json(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::BODY_SIZE_LIMIT,
        format!("files are limited to {MAX_FILE_BYTES} bytes"),
    );
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// One entry of the PUT answer's `Renditions`, in REST `ImageInfoArray` terms.
#[derive(Debug, Clone, Serialize)]
struct Rendition {
    /// 1 original, 2 large, 3 thumb (REST).
    #[serde(rename = "Type")]
    kind: u8,
    #[serde(rename = "Url")]
    url: String,
    #[serde(rename = "Width")]
    width: u32,
    #[serde(rename = "Height")]
    height: u32,
    #[serde(rename = "Size")]
    size: u64,
}

async fn put(req: Request, dir: &Path, uuid: &str, name: &str, base: &str) -> Response {
    let folder = dir.join(uuid);
    let path = folder.join(name);
    let tmp = dir.join(format!(".{uuid}.{:08x}.part", fastrand::u32(..)));
    let stored = async {
        tokio::fs::create_dir_all(&folder).await?;
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut body = req.into_body();
        let mut size: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(std::io::Error::other)?;
            if let Ok(data) = frame.into_data() {
                size += data.len() as u64;
                if size > MAX_FILE_BYTES {
                    return Ok(None);
                }
                file.write_all(&data).await?;
            }
        }
        file.sync_all().await?;
        drop(file);
        let (from, to) = (tmp.clone(), path.clone());
        let placed = tokio::task::spawn_blocking(move || place(&from, &to))
            .await
            .map_err(std::io::Error::other)??;
        Ok::<_, std::io::Error>(Some((size, placed)))
    }
    .await;
    let _ = tokio::fs::remove_file(&tmp).await;
    let size = match stored {
        Ok(Some((size, Placed::New | Placed::Same))) => size,
        Ok(Some((_, Placed::Different))) => {
            return status_json(
                StatusCode::CONFLICT,
                codes::FILE_EXISTS,
                format!(
                    "/files/{uuid}/{name} holds other bytes: stored files are never replaced, \
                     store under another uuid or name"
                ),
            );
        }
        Ok(None) => return too_large(),
        Err(e) => {
            tracing::warn!("storing {uuid}/{name}: {e}");
            return status_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL_70500,
                format!("cannot store the file: {e}"),
            );
        }
    };
    let rel = format!(
        "/files/{uuid}/{}",
        percent_encoding::utf8_percent_encode(name, SEGMENT)
    );
    let url = format!("{base}{rel}");
    let mut answer = serde_json::json!({
        "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
        "Path": rel, "Url": url, "Size": size,
    });
    let (p, u) = (path.clone(), url.clone());
    let renditions = tokio::task::spawn_blocking(move || renditions(&p, &u, size))
        .await
        .ok()
        .flatten();
    if let Some((format, list)) = renditions {
        answer["ImageFormat"] = format.into();
        answer["Renditions"] = serde_json::to_value(list).unwrap_or_default();
    }
    json_response(serde_json::to_vec(&answer).unwrap_or_default())
}

/// What linking an upload into place found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    /// Nothing was there: the upload is stored.
    New,
    /// The same bytes were there already (a retry, or another client with the same file).
    Same,
    /// Other bytes are there; they stay.
    Different,
}

/// Links the complete upload `tmp` to `path` unless something is there already. `link(2)` never
/// replaces its target and fails atomically when it exists, so of two uploads racing for one path
/// exactly one is stored, whole, and URLs already handed out never change what they serve.
fn place(tmp: &Path, path: &Path) -> std::io::Result<Placed> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => Ok(Placed::New),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(if same_bytes(tmp, path)? {
            Placed::Same
        } else {
            Placed::Different
        }),
        Err(e) => Err(e),
    }
}

/// Whether two files hold the same bytes (compared in 64 KiB pieces).
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    // Fills `buf` unless the file ends first; the length read.
    let fill = |f: &mut std::fs::File, buf: &mut [u8]| -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    };
    loop {
        let (na, nb) = (fill(&mut fa, &mut ba)?, fill(&mut fb, &mut bb)?);
        if ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

/// REST `ImageFormat` of an image format V2TIM sends (JPG 1, GIF 2, PNG 3, BMP 4).
fn rest_format(f: image::ImageFormat) -> Option<u8> {
    match f {
        image::ImageFormat::Jpeg => Some(1),
        image::ImageFormat::Gif => Some(2),
        image::ImageFormat::Png => Some(3),
        image::ImageFormat::Bmp => Some(4),
        _ => None,
    }
}

/// Width and height scaled so the shorter side is `side`; None when it is already that short.
fn scaled(w: u32, h: u32, side: u32) -> Option<(u32, u32)> {
    let short = w.min(h);
    if short <= side {
        return None;
    }
    let f = |x: u32| {
        ((u64::from(x) * u64::from(side) + u64::from(short) / 2) / u64::from(short)).max(1) as u32
    };
    Some((f(w), f(h)))
}

/// For an image: its REST format and `[origin, large, thumb]`. None for anything else. A
/// rendition that cannot be made (decode budget, a broken file) is the original.
fn renditions(path: &Path, url: &str, size: u64) -> Option<(u8, Vec<Rendition>)> {
    let reader = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?;
    let format = reader.format()?;
    let rest = rest_format(format)?;
    let (w, h) = reader.into_dimensions().ok()?;
    let origin = Rendition {
        kind: 1,
        url: url.to_owned(),
        width: w,
        height: h,
        size,
    };
    let mut decoded: Option<image::DynamicImage> = None;
    let mut make = |kind: u8, side: u32, folder: &str| -> Rendition {
        let Some((nw, nh)) = scaled(w, h, side) else {
            return Rendition {
                kind,
                ..origin.clone()
            };
        };
        let made = (|| -> Option<u64> {
            if decoded.is_none() {
                let mut r = image::ImageReader::open(path)
                    .ok()?
                    .with_guessed_format()
                    .ok()?;
                let mut limits = image::Limits::default();
                limits.max_alloc = Some(MAX_DECODE_BYTES);
                r.limits(limits);
                decoded = Some(r.decode().ok()?);
            }
            let img = decoded.as_ref()?;
            // thumbnail_exact: area sampling, much faster than a filtered resize and fine at
            // these reductions.
            let small = img.thumbnail_exact(nw, nh);
            let small = if format == image::ImageFormat::Jpeg {
                image::DynamicImage::ImageRgb8(small.to_rgb8())
            } else {
                small
            };
            let out = path.parent()?.join(folder);
            std::fs::create_dir_all(&out).ok()?;
            let file = out.join(path.file_name()?);
            // Written aside and renamed over, so a reader never sees half a rendition while a
            // repeated upload of the same image makes it again.
            let tmp = out.join(format!(
                ".{}.{:08x}.part",
                path.file_name()?.to_string_lossy(),
                fastrand::u32(..)
            ));
            let saved = small
                .save_with_format(&tmp, format)
                .ok()
                .and_then(|()| std::fs::rename(&tmp, &file).ok());
            if saved.is_none() {
                let _ = std::fs::remove_file(&tmp);
                return None;
            }
            std::fs::metadata(&file).ok().map(|m| m.len())
        })();
        match made {
            Some(size) => Rendition {
                kind,
                url: format!("{url}?rendition={}", &folder[1..]),
                width: nw,
                height: nh,
                size,
            },
            None => Rendition {
                kind,
                ..origin.clone()
            },
        }
    };
    let large = make(2, LARGE_SIDE, ".large");
    let thumb = make(3, THUMB_SIDE, ".thumb");
    Some((rest, vec![origin.clone(), large, thumb]))
}

/// Content-Type from the first bytes, else from the extension.
fn content_type(head: &[u8], name: &str) -> &'static str {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return "image/jpeg";
    }
    if head.starts_with(b"\x89PNG") {
        return "image/png";
    }
    if head.starts_with(b"GIF8") {
        return "image/gif";
    }
    if head.starts_with(b"BM") {
        return "image/bmp";
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp4" | "m4v") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("m4a" | "aac") => "audio/mp4",
        Some("wav") => "audio/wav",
        Some("amr") => "audio/amr",
        Some("ogg" | "opus") => "audio/ogg",
        Some("txt" | "log") => "text/plain; charset=utf-8",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Streams the file in 64 KB chunks (a 100 MB file never sits in memory).
async fn get(path: PathBuf, name: &str, head: bool) -> Response {
    let opened = async {
        let mut f = tokio::fs::File::open(&path).await?;
        let meta = f.metadata().await?;
        if !meta.is_file() {
            return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        }
        let mut first = vec![0u8; 8];
        let n = f.read(&mut first).await?;
        first.truncate(n);
        Ok::<_, std::io::Error>((f, meta.len(), first))
    }
    .await;
    let Ok((file, len, first)) = opened else {
        return status_json(StatusCode::NOT_FOUND, codes::BAD_RESOURCE, "no such file");
    };
    let ctype = content_type(&first, name);
    let body = if head {
        Body::empty()
    } else {
        let start =
            futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(first)) });
        let rest = futures_util::stream::unfold(file, |mut f| async move {
            let mut buf = vec![0u8; 64 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), f))
                }
                Err(e) => Some((Err(e), f)),
            }
        });
        Body::from_stream(futures_util::StreamExt::chain(start, rest))
    };
    (
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        for bad in [
            "", ".", "..", ".hidden", "a/b", "a\\b", "a\0b", "c:x", "a\nb",
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        for ok in ["a.jpg", "照片 1.png", "x..y", "-_"] {
            assert!(valid_name(ok), "{ok:?}");
        }
        assert!(!valid_uuid(".."));
        assert!(!valid_uuid("a.b"));
        assert!(parse_path("/files/u/..%2F..%2Fetc").is_none());
        assert!(parse_path("/files/u/%2e%2e").is_none());
        assert!(parse_path("/files/../x").is_none());
        assert!(parse_path("/files/u/a/b").is_none());
        assert_eq!(
            parse_path("/files/u1/a%20b.jpg"),
            Some(("u1".into(), "a b.jpg".into()))
        );
    }

    #[test]
    fn renditions_follow_tencent_sizes() {
        assert_eq!(scaled(100, 50, THUMB_SIDE), None);
        assert_eq!(scaled(1000, 500, THUMB_SIDE), Some((396, 198)));
        assert_eq!(scaled(500, 1000, LARGE_SIDE), None);
        assert_eq!(scaled(1600, 900, LARGE_SIDE), Some((1280, 720)));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(b"\x89PNG\r\n", "x"), "image/png");
        assert_eq!(content_type(b"abc", "v.MP4"), "video/mp4");
        assert_eq!(content_type(b"", "f"), "application/octet-stream");
    }
}
