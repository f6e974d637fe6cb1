//! Media uploads: the create-time checks (`check`) and, on send, the upload of each file of a
//! message (`put`) before its REST call.
//!
//! Each file goes up by HTTP PUT to `{uploadUrl}/{uuid}/{name}` with the REST API's query
//! (sdkappid, identifier, usersig, random), streamed from disk, under a content-hash UUID
//! (SHA-256 of the bytes, hashed by streaming too). What went up is remembered per client by
//! that hash, so resending a message, or sending the same file again, uploads nothing: the
//! element gets the URL of the first upload. (No HEAD check: the server is the one that gave the
//! URL, and a HEAD per file would cost a round trip on every send.)
//!
//! Uploads run on the sender worker that took the message, so a media message keeps its place
//! in its conversation's order. They use the library's HTTP client (`sender::conn`) with keep-alive
//! connections of their own to `uploadUrl`, and bounds per write (`requestTimeoutMs`) rather than
//! for the whole transfer, so a large file on a slow link is not cut off while bytes still move.

pub mod check;
mod put;

use crate::codes::{self, Error, Result};
use crate::config::Config;
use crate::http::client::{Http, Stop};
use crate::model::{Elem, Image, ImageKind};
use parking_lot::Mutex;
use std::collections::HashMap;
use v2im_wire::url::push_query_value;

pub use put::Uploaded;

/// Least time allowed for a read during an upload (the server's answer follows its work on
/// the stored file).
pub const UPLOAD_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// One client's uploader.
pub struct Uploader {
    http: Http,
    /// A write may take this long; the answer after the last byte at least UPLOAD_ANSWER_WAIT.
    io_timeout: std::time::Duration,
    /// Ends the wait for an answer at shutdown.
    stop: Stop,
    base: String,
    sdk_app_id: u64,
    identifier: String,
    user_sig: String,
    /// Completed uploads by content UUID.
    done: Mutex<HashMap<String, Uploaded>>,
}

/// One file of a message to upload.
struct Job {
    elem: usize,
    snapshot: bool,
    path: String,
    name: String,
    max: u64,
}

impl Uploader {
    pub fn new(cfg: &Config, stop: Stop) -> Uploader {
        let http = Http::new(
            &cfg.upload_url,
            cfg.tls.clone(),
            cfg.sender_threads.max(1),
            concat!("v2im/", env!("CARGO_PKG_VERSION")),
        );
        Uploader {
            http,
            io_timeout: cfg.request_timeout,
            stop,
            base: cfg.upload_url.trim_end_matches('/').to_owned(),
            sdk_app_id: cfg.sdk_app_id,
            identifier: cfg.identifier.clone(),
            user_sig: cfg.user_sig.clone(),
            done: Mutex::new(HashMap::new()),
        }
    }

    /// Uploads the files of `elems` that have no URL yet and returns the elements with UUIDs,
    /// URLs and (images) renditions filled in; None when nothing needed an upload.
    ///
    /// `progress(p)` is called with p in 0..=99, non-decreasing, as the files are read: each
    /// byte counts once when it is hashed (the content UUID, which names the upload, comes first)
    /// and once when it goes out, so a file's hashing is the first half of its share. 100 is the
    /// send's, once the server accepted the message. `progress` returns false to abort
    /// (shutdown).
    pub fn upload_elems(
        &self,
        elems: &[Elem],
        progress: &mut dyn FnMut(i32) -> bool,
    ) -> Result<Option<Vec<Elem>>> {
        let jobs = jobs(elems);
        if jobs.is_empty() {
            return Ok(None);
        }
        // Checked again: the file may have changed since the message was created.
        let mut sizes = Vec::with_capacity(jobs.len());
        for j in &jobs {
            sizes.push(check::check_file("file", &j.path, j.max)?);
        }
        // Bytes to hash plus bytes to send.
        let total: u64 = (2 * sizes.iter().sum::<u64>()).max(1);
        let mut before = 0u64;
        let mut out = elems.to_vec();
        progress(0);
        // Never backwards, even when a file goes out a second time.
        let mut shown = 0;
        let stopped = std::cell::Cell::new(false);
        let mut report = |done: u64| {
            shown = shown.max(done.min(total) * 99 / total);
            let go_on = progress(shown as i32);
            stopped.set(stopped.get() || !go_on);
            go_on
        };
        for (job, size) in jobs.iter().zip(sizes) {
            let uuid =
                put::content_uuid(&job.path, &mut |hashed| report(before + hashed.min(size)))?;
            before += size;
            let known = self.done.lock().get(&uuid).cloned();
            let up = match known {
                Some(u) => u,
                None => {
                    let mut report = |sent: u64| report(before + sent.min(size));
                    let mut put = |uuid: &str| {
                        let (target, shown) = self.target(uuid, &job.name);
                        let to = put::To {
                            http: &self.http,
                            target: &target,
                            url: &shown,
                            io_timeout: self.io_timeout,
                            stop: &self.stop,
                        };
                        put::put_file(&to, uuid, &job.path, size, &mut report)
                    };
                    // The content's path holds other bytes: someone who knew this file's hash
                    // stored something else there first. Uploads are write-once, so the file
                    // goes to a path of its own; a URL always serves what the sender sent.
                    let put = match put(&uuid) {
                        Ok(None) => put(&format!("{uuid}-{:016x}", fastrand::u64(..))),
                        first => first,
                    };
                    let put = put.and_then(|u| {
                        u.ok_or_else(|| {
                            Error::new(
                                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                                "upload refused: the server says a fresh random path holds other bytes",
                            )
                        })
                    });
                    let u = match put {
                        Ok(u) => u,
                        Err(_) if stopped.get() => return Err(shutting_down()),
                        Err(e) => return Err(e),
                    };
                    self.done.lock().insert(uuid.clone(), u.clone());
                    u
                }
            };
            before += size;
            if !report(before) {
                return Err(shutting_down());
            }
            apply(&mut out[job.elem], job.snapshot, up);
        }
        Ok(Some(out))
    }

    /// The request target `/{uuid}/{name}?sdkappid=&identifier=&usersig=&random=` (after the
    /// upload URL's path), and the file's URL without the query, `{uploadUrl}/{uuid}/{name}`.
    fn target(&self, uuid: &str, name: &str) -> (String, String) {
        let mut t = format!("/{uuid}/{name}?sdkappid={}", self.sdk_app_id);
        t.push_str("&identifier=");
        push_query_value(&mut t, &self.identifier);
        t.push_str("&usersig=");
        push_query_value(&mut t, &self.user_sig);
        t.push_str(&format!("&random={}", fastrand::u32(..)));
        (t, format!("{}/{uuid}/{name}", self.base))
    }
}

fn shutting_down() -> Error {
    Error::new(
        codes::V2IM_ERR_SHUTTING_DOWN,
        "client is shutting down: upload stopped",
    )
}

/// The file name a URL carries: `[A-Za-z0-9._-]` kept, anything else `_`, no leading dot, at
/// most 100 bytes (the element keeps the real name; this only has to be a safe path segment).
pub fn url_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.len() > 100 {
        // Keep the end: it holds the extension.
        s = s[s.len() - 100..].to_owned();
    }
    // After the cut, which may start the name with a dot.
    while s.starts_with('.') {
        s.remove(0);
    }
    if s.is_empty() {
        s.push_str("file");
    }
    s
}

/// The last component of a path.
pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The files of `elems` that still need an upload.
fn jobs(elems: &[Elem]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, e) in elems.iter().enumerate() {
        let mut push = |snapshot: bool, path: &str, name: &str, max: u64| {
            let name = if name.is_empty() {
                base_name(path)
            } else {
                name
            };
            jobs.push(Job {
                elem: i,
                snapshot,
                path: path.to_owned(),
                name: url_name(name),
                max,
            });
        };
        match e {
            Elem::Image(m) if !m.is_uploaded() => {
                push(false, &m.path, &m.name, check::MAX_IMAGE_BYTES)
            }
            Elem::Sound(m) if m.url.is_empty() => push(false, &m.path, "", check::MAX_SOUND_BYTES),
            Elem::Video(m) => {
                if m.video_url.is_empty() {
                    push(false, &m.video_path, "", check::MAX_VIDEO_BYTES);
                }
                if m.snapshot_url.is_empty() {
                    push(true, &m.snapshot_path, "", check::MAX_IMAGE_BYTES);
                }
            }
            Elem::File(m) if m.url.is_empty() => {
                push(false, &m.path, &m.file_name, check::MAX_FILE_BYTES)
            }
            _ => {}
        }
    }
    jobs
}

/// Puts an upload's UUID, URL and sizes into its element.
fn apply(e: &mut Elem, snapshot: bool, up: Uploaded) {
    match e {
        Elem::Image(m) => {
            let origin = m.origin().cloned();
            let (w, h) = origin.as_ref().map_or((0, 0), |o| (o.width, o.height));
            m.uuid = up.uuid.clone();
            if let Some(f) = up.image_format {
                m.format = f;
            }
            let of = |kind: ImageKind| -> Image {
                match up.renditions.iter().find(|r| r.kind == kind.rest()) {
                    Some(r) => Image {
                        kind,
                        size: r.size,
                        width: r.width,
                        height: r.height,
                        url: r.url.clone(),
                    },
                    // A server without renditions: Tencent's rule for small images, the
                    // original serves as all three.
                    None => Image {
                        kind,
                        size: up.size,
                        width: w,
                        height: h,
                        url: up.url.clone(),
                    },
                }
            };
            m.images = vec![
                of(ImageKind::Origin),
                of(ImageKind::Thumb),
                of(ImageKind::Large),
            ];
        }
        Elem::Sound(m) => {
            m.uuid = up.uuid;
            m.url = up.url;
            m.size = up.size;
        }
        Elem::Video(m) if snapshot => {
            m.snapshot_uuid = up.uuid;
            m.snapshot_url = up.url;
            m.snapshot_size = up.size;
        }
        Elem::Video(m) => {
            m.video_uuid = up.uuid;
            m.video_url = up.url;
            m.video_size = up.size;
        }
        Elem::File(m) => {
            m.uuid = up.uuid;
            m.url = up.url;
            m.size = up.size;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_names_are_safe_segments() {
        assert_eq!(url_name("photo 1.jpg"), "photo_1.jpg");
        assert_eq!(url_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(url_name("..."), "file");
        assert_eq!(url_name("照片.png"), "__.png");
        assert_eq!(url_name(""), "file");
        let long = format!("{}.mp4", "a".repeat(300));
        let n = url_name(&long);
        assert_eq!(n.len(), 100);
        assert!(n.ends_with(".mp4"));
        // The last 100 bytes of a long name may start with a dot: still no leading dot (which
        // v2im-server refuses, so the file could never be sent).
        let cut = url_name(&format!("{}.{}", "a".repeat(10), "b".repeat(99)));
        assert_eq!(cut, "b".repeat(99));
        assert_eq!(
            url_name(&format!("{}...", "a".repeat(97))),
            "a".repeat(97) + "..."
        );
        assert_eq!(url_name(&".".repeat(150)), "file");
        assert_eq!(base_name("/a/b/c.txt"), "c.txt");
        assert_eq!(base_name("c:\\x\\y.png"), "y.png");
    }
}
