//! HTTP routing: `POST /v4/{service}/{command}` (Tencent REST), `GET /healthz`, and
//! `PUT`/`GET /files/{uuid}/{name}` (media). Every REST answer is HTTP 200 with a JSON envelope, errors
//! included, as Tencent does.

mod catch;
pub(crate) mod files;
pub(crate) mod query;
pub(crate) mod stall;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use v2im_wire::codes;

use crate::error::ApiError;
use crate::handlers;
use crate::App;
use query::RestQuery;

/// Largest request body read; anything above is refused before parsing.
pub(crate) const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route(
            &format!("/v4/{}", v2im_wire::channel::PATH),
            any(crate::channel::open),
        )
        .route("/v4/{*path}", any(rest))
        .route("/files/{*name}", any(files::files))
        .fallback(unknown)
        .layer(axum::middleware::from_fn_with_state(app.clone(), access))
        .with_state(app)
}

/// What the access log and the metrics learn of a REST request (set by [`rest`] on its answer).
#[derive(Clone)]
struct Access {
    /// The command's path under `/v4/`, or `unknown`.
    command: &'static str,
    /// The `identifier` of the query as given (authenticated or not); never the sig.
    identifier: Option<String>,
    /// The answer's `ErrorCode`.
    code: i32,
}

/// Longest identifier or path the access log writes (they come from the client).
const LOGGED_CHARS: usize = 96;

fn clipped(s: &str) -> &str {
    s.char_indices()
        .nth(LOGGED_CHARS)
        .map_or(s, |(i, _)| &s[..i])
}

/// One access-log line per request at `info` (target `v2im_server::access`), and the REST
/// metrics. The query string is never logged: it holds the UserSig. `/healthz` and `/metrics`
/// are not logged (probes and scrapes would drown the rest).
async fn access(
    State(app): State<Arc<App>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let t = std::time::Instant::now();
    let method = req.method().clone();
    // A Uri clone shares its bytes: no copy of the path on the REST hot path.
    let uri = req.uri().clone();
    let answer = next.run(req).await;
    let took = t.elapsed();
    if let Some(a) = answer.extensions().get::<Access>() {
        app.metrics.request(a.command, a.code, took);
        tracing::info!(
            target: "v2im_server::access",
            "{method} {} identifier={:?} code={} {:.3} ms",
            a.command,
            clipped(a.identifier.as_deref().unwrap_or("")),
            a.code,
            took.as_secs_f64() * 1000.0
        );
    } else if !matches!(uri.path(), "/healthz" | "/metrics") {
        tracing::info!(
            target: "v2im_server::access",
            "{method} {:?} status={} {:.3} ms",
            clipped(uri.path()),
            answer.status().as_u16(),
            took.as_secs_f64() * 1000.0
        );
    }
    answer
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(app.hub.open_channels()),
    )
        .into_response()
}

/// Every request enters here (from `serve`): CONNECT is answered before routing, everything else
/// goes to `router` with its body timed (`body_timeout` without a byte fails it).
pub(crate) async fn handle(
    router: Router,
    body_timeout: Duration,
    req: Request<hyper::body::Incoming>,
) -> Result<Response, std::convert::Infallible> {
    if req.method() == Method::CONNECT {
        return Ok(refuse_connect(req.uri()));
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let req = req.map(|b| stall::TimedBody::new(b, body_timeout, stalled.clone()));
    let svc = hyper_util::service::TowerToHyperService::new(router);
    let answer = hyper::service::Service::call(&svc, req).await?;
    if !stalled.load(Ordering::Relaxed) {
        return Ok(answer);
    }
    // Whatever the handler made of its failed body (a parse error, an aborted upload, even an
    // opened channel), the answer is the timeout, and the connection ends: the rest of the
    // body may still come.
    tracing::debug!("request body stalled for {body_timeout:?}");
    let mut r = status_json(
        StatusCode::REQUEST_TIMEOUT,
        codes::HTTP_PARSE_ERROR,
        format!(
            "{}: closing the connection",
            stall::BodyStalled(body_timeout)
        ),
    );
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    Ok(r)
}

/// CONNECT asks for a tunnel, and any 2xx answer to it tells the client one is open (hyper then
/// sends no body): it gets the code any other wrong method gets on its target, with HTTP 405
/// (a known path) or 404 instead of 200, and the connection is closed.
fn refuse_connect(uri: &axum::http::Uri) -> Response {
    let path = uri.path();
    let known = path == "/healthz"
        || path.starts_with("/files/")
        || path
            .strip_prefix("/v4/")
            .is_some_and(|p| p == v2im_wire::channel::PATH || handlers::endpoint(p).is_some());
    let mut r = if known {
        status_json(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::HTTP_PARSE_ERROR,
            "CONNECT is not allowed: this server is not a proxy",
        )
    } else {
        status_json(
            StatusCode::NOT_FOUND,
            codes::BAD_RESOURCE,
            format!("unknown resource {:?}", uri.to_string()),
        )
    };
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    r
}

/// A JSON answer with status 200.
pub(crate) fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The JSON of a failed REST call.
pub(crate) fn error_body(e: &ApiError) -> Vec<u8> {
    serde_json::to_vec(&e.envelope()).unwrap_or_else(|_| {
        br#"{"ActionStatus":"FAIL","ErrorCode":70500,"ErrorInfo":"internal error"}"#.to_vec()
    })
}

fn fail(code: i32, info: impl Into<String>) -> Response {
    json_response(error_body(&ApiError::new(code, info)))
}

async fn unknown(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let uri = parts.uri;
    drain(body).await;
    fail(
        codes::BAD_RESOURCE,
        format!("unknown resource {:?}", uri.path()),
    )
}

/// Counts a request as in progress for as long as it lives.
struct InFlight(Arc<App>);

impl InFlight {
    fn new(app: &Arc<App>) -> Self {
        app.inflight.fetch_add(1, Ordering::Relaxed);
        InFlight(app.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn rest(State(app): State<Arc<App>>, req: Request) -> Response {
    let (mut answer, access) = rest_answer(app, req).await;
    answer.extensions_mut().insert(access);
    answer
}

/// A REST request's answer, and what the access log says of it.
async fn rest_answer(app: Arc<App>, req: Request) -> (Response, Access) {
    let _inflight = InFlight::new(&app);
    let (parts, body) = req.into_parts();
    let q = RestQuery::parse(parts.uri.query());
    let mut access = Access {
        command: "unknown",
        identifier: q.identifier.clone(),
        code: 0,
    };
    let refused =
        |access: Access, code: i32, info: String| (fail(code, info), Access { code, ..access });
    // Read the body before any early answer: an unread body would make the connection
    // unusable for the client's next keep-alive request.
    let bytes: Bytes = match http_body_util::BodyExt::collect(http_body_util::Limited::new(
        body,
        MAX_REQUEST_BYTES,
    ))
    .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            // The rest of the body is still on the wire: answer, then close.
            let (mut r, access) = refused(
                access,
                codes::JSON_PACKET_TOO_LARGE,
                format!("request body is larger than {MAX_REQUEST_BYTES} bytes"),
            );
            r.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return (r, access);
        }
        Err(e) => {
            return refused(
                access,
                codes::HTTP_PARSE_ERROR,
                format!("cannot read the body: {e}"),
            )
        }
    };
    let path = parts.uri.path().strip_prefix("/v4/").unwrap_or("");
    let Some(endpoint) = handlers::endpoint(path) else {
        return refused(
            access,
            codes::BAD_RESOURCE,
            format!("unknown REST command {path:?}"),
        );
    };
    access.command = endpoint.path;
    if parts.method != Method::POST {
        return refused(
            access,
            codes::HTTP_PARSE_ERROR,
            format!("{} is not allowed: REST calls are POST", parts.method),
        );
    }
    let who = match app.auth.check(&q) {
        Ok(p) => p,
        Err(e) => {
            access.code = e.code;
            return (json_response(error_body(&e)), access);
        }
    };
    if !who.is_admin() && !endpoint.user_ok {
        return refused(
            access,
            endpoint.denied_code,
            format!("{path} needs the app admin as identifier"),
        );
    }
    // Handlers never panic by design; this is the net under that promise: a panic becomes an
    // internal-error answer instead of a dropped connection.
    let client_ip = parts
        .extensions
        .get::<crate::serve::ClientAddr>()
        .and_then(|a| a.0)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let task = catch::CatchPanic::new(handlers::dispatch(app, endpoint, who, client_ip, bytes));
    match task.await {
        Ok(Ok(body)) => (json_response(body), access),
        Ok(Err(e)) => {
            tracing::debug!("{path}: {e}");
            access.code = e.code;
            (json_response(error_body(&e)), access)
        }
        Err(()) => {
            tracing::error!("{path}: handler panicked");
            refused(access, codes::INTERNAL_70500, "internal error".into())
        }
    }
}

/// Reads and drops a request body (bounded), so the connection stays usable.
pub(crate) async fn drain(body: axum::body::Body) {
    let _ = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, MAX_REQUEST_BYTES))
        .await;
}

/// A non-REST answer with a status code (files endpoints).
pub(crate) fn status_json(status: StatusCode, code: i32, info: impl Into<String>) -> Response {
    let mut r = fail(code, info);
    *r.status_mut() = status;
    r
}
