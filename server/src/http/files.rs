//! Media storage for rich-media messages: `PUT /files/NAME` stores the request body (streamed to
//! disk, then renamed into place so a reader never sees half a file), `GET /files/NAME` returns
//! it. Enabled by `--files-dir`. Not part of Tencent's REST API (Tencent hosts media in its COS);
//! unauthenticated, meant for local development and tests.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;
use v2im_wire::codes;

use super::{json_response, status_json};
use crate::App;

/// Largest stored file: Tencent's limit for video and file messages (100 MB).
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// A file name: 1 to 200 of `[A-Za-z0-9._-]`, not starting with a dot.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn files(State(app): State<Arc<App>>, req: Request) -> Response {
    let Some(dir) = app.files_dir.clone() else {
        super::drain(req.into_body()).await;
        return status_json(
            StatusCode::NOT_FOUND,
            codes::BAD_RESOURCE,
            "file storage is off (start the server with --files-dir)",
        );
    };
    let name = req
        .uri()
        .path()
        .strip_prefix("/files/")
        .unwrap_or("")
        .to_string();
    if !valid_name(&name) {
        super::drain(req.into_body()).await;
        return status_json(
            StatusCode::BAD_REQUEST,
            codes::INVALID_PARAMETER_70402,
            "file names are 1 to 200 of [A-Za-z0-9._-], not starting with a dot",
        );
    }
    let path = dir.join(&name);
    match *req.method() {
        Method::PUT | Method::POST => {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1")
                .to_string();
            let url = format!("{}://{host}/files/{name}", app.scheme);
            put(req, dir, path, &name, url).await
        }
        Method::GET | Method::HEAD => get(path, req.method() == Method::HEAD).await,
        _ => {
            super::drain(req.into_body()).await;
            status_json(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::HTTP_PARSE_ERROR,
                "use PUT to store and GET to fetch",
            )
        }
    }
}

async fn put(req: Request, dir: PathBuf, path: PathBuf, name: &str, url: String) -> Response {
    let tmp = dir.join(format!(".{name}.{:08x}.part", fastrand::u32(..)));
    let result = async {
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
        tokio::fs::rename(&tmp, &path).await?;
        Ok::<_, std::io::Error>(Some(size))
    }
    .await;
    match result {
        Ok(Some(size)) => json_response(
            serde_json::to_vec(&serde_json::json!({
                "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
                "Path": format!("/files/{name}"), "Url": url, "Size": size,
            }))
            .unwrap_or_default(),
        ),
        Ok(None) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            status_json(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::BODY_SIZE_LIMIT,
                format!("files are limited to {MAX_FILE_BYTES} bytes"),
            )
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            tracing::warn!("storing {name}: {e}");
            status_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL_70500,
                format!("cannot store the file: {e}"),
            )
        }
    }
}

async fn get(path: PathBuf, head: bool) -> Response {
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let len = bytes.len();
            let body = if head {
                Body::empty()
            } else {
                Body::from(bytes)
            };
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_LENGTH, len.to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(_) => status_json(StatusCode::NOT_FOUND, codes::BAD_RESOURCE, "no such file"),
    }
}
