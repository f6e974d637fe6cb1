//! REST calls over the workers' shared keep-alive connections (`conn`), with Tencent's URL
//! shape, a timeout per attempt, and retries of transient failures with exponential backoff and
//! jitter.
//!
//! A retry sends the very same body, so `MsgRandom`/`Random`/`MsgSeq` are the same and the
//! server drops the duplicate if an earlier attempt did arrive.

use crate::codes::{self, Error};
use crate::config::{Config, LogLevel};
use crate::dispatch::Dispatcher;
use crate::http::client::Http;
use parking_lot::{Condvar, Mutex};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use v2im_wire::Envelope;

/// First backoff; doubled per retry up to `BACKOFF_MAX`, then a random point in its upper half.
pub const BACKOFF_BASE: Duration = Duration::from_millis(100);
pub const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Set once at shutdown: backoff sleeps end at once and no new retry starts.
#[derive(Default)]
pub struct StopSignal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl StopSignal {
    pub fn stop(&self) {
        *self.stopped.lock() = true;
        self.cv.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock()
    }

    /// Sleeps `d` unless stopped first; true if stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let mut s = self.stopped.lock();
        if !*s {
            let _ = self.cv.wait_for(&mut s, d);
        }
        *s
    }
}

/// One attempt's failure and whether another attempt may succeed.
struct Failure {
    err: Error,
    transient: bool,
}

pub struct RestClient {
    http: Http,
    /// Every URL's query up to its `random` value: `?sdkappid=..&identifier=..&usersig=..&random=`.
    query: String,
    max_retries: u32,
    request_timeout: Duration,
    stop: Arc<StopSignal>,
    log: Arc<Dispatcher>,
}

/// A bound on a call made of several requests (history pages, receipts of several groups): the
/// same as one request's, so a method never takes longer than the header promises for one.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Instant);

impl RestClient {
    pub fn new(cfg: &Config, stop: Arc<StopSignal>, log: Arc<Dispatcher>) -> RestClient {
        // One idle connection kept per worker, so every worker reuses its own.
        let conns = cfg.sender_threads * 2;
        let http = Http::new(
            &cfg.server_url,
            cfg.tls.clone(),
            conns,
            concat!("v2im/", env!("CARGO_PKG_VERSION")),
        );
        RestClient {
            http,
            query: rest_query(cfg),
            max_retries: cfg.max_retries,
            request_timeout: cfg.request_timeout,
            stop,
            log,
        }
    }

    /// The deadline of a call starting now: (`maxRetries` + 1) × `requestTimeoutMs` plus the
    /// longest backoffs between them.
    pub fn deadline(&self) -> Deadline {
        let attempts = self.max_retries + 1;
        Deadline(Instant::now() + self.request_timeout * attempts + BACKOFF_MAX * self.max_retries)
    }

    /// Before each further request of a multi-request call: an error once the client is shutting
    /// down or `deadline` has passed (`what` names the call and how far it got).
    pub fn go_on(&self, deadline: Deadline, what: impl FnOnce() -> String) -> codes::Result<()> {
        if self.stop.is_stopped() {
            return Err(Error::new(
                codes::V2IM_ERR_SHUTTING_DOWN,
                format!("client is shutting down: {} stopped", what()),
            ));
        }
        if Instant::now() >= deadline.0 {
            return Err(Error::new(
                codes::ERR_REQUEST_TIME_OUT,
                format!("{}: not done within its deadline", what()),
            ));
        }
        Ok(())
    }

    /// Whether the client is shutting down (long transfers, such as uploads, stop then).
    pub fn is_stopped(&self) -> bool {
        self.stop.is_stopped()
    }

    /// POSTs `req` to `path` and returns the answer when its `ErrorCode` is 0. Transient
    /// failures (network, timeout, HTTP 5xx, Tencent's retryable codes) are retried up to
    /// `maxRetries` times unless the client is shutting down; anything else fails at once with
    /// the server's `ErrorCode`/`ErrorInfo` or one of our network codes.
    pub fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> codes::Result<Resp> {
        let body = serde_json::to_vec(req)
            .map_err(|e| Error::new(codes::ERR_INVALID_PARAMETERS, format!("request: {e}")))?;
        let text = self.post_bytes(path, &body)?;
        serde_json::from_str(&text).map_err(|e| {
            Error::new(
                codes::V2IM_ERR_BAD_RESPONSE,
                format!("{path}: answer not understood: {e}"),
            )
        })
    }

    /// [`RestClient::post`] without reading the answer: its text once its envelope says OK, for
    /// answers read item by item (see `crate::items`).
    pub fn post_text<Req: Serialize>(&self, path: &str, req: &Req) -> codes::Result<String> {
        let body = serde_json::to_vec(req)
            .map_err(|e| Error::new(codes::ERR_INVALID_PARAMETERS, format!("request: {e}")))?;
        self.post_bytes(path, &body)
    }

    /// [`RestClient::post`] of a body already serialised: the answer's text once its envelope
    /// says OK. Not generic, so the HTTP and retry code exists once in the library.
    fn post_bytes(&self, path: &str, body: &[u8]) -> codes::Result<String> {
        let mut attempt = 0u32;
        loop {
            let f = match self.once(path, body) {
                Ok(text) => return Ok(text),
                Err(f) => f,
            };
            if !f.transient || attempt >= self.max_retries || self.stop.is_stopped() {
                return Err(f.err);
            }
            let delay = backoff(attempt);
            self.log.log(LogLevel::Warn, || {
                // Transport errors already name the path; answers' codes do not.
                let desc = &f.err.desc;
                let (path, sep) = match desc.starts_with(path.trim_start_matches('/')) {
                    true => ("", ""),
                    false => (path, ": "),
                };
                format!(
                    "{path}{sep}{desc} ({}); retry {} of {} in {} ms",
                    f.err.code,
                    attempt + 1,
                    self.max_retries,
                    delay.as_millis()
                )
            });
            if self.stop.sleep(delay) {
                return Err(f.err);
            }
            attempt += 1;
        }
    }

    fn once(&self, path: &str, body: &[u8]) -> Result<String, Failure> {
        let answer = self.exchange(path, body)?;
        read_answer(path, answer)
    }

    /// One HTTP attempt: the server's answer, or a transport failure.
    fn exchange(&self, path: &str, body: &[u8]) -> Result<Answer, Failure> {
        #[cfg(feature = "fuzzing")]
        if let Some(canned) = crate::fuzz::canned_answer() {
            return match canned {
                Some((200..=399, text)) => Ok(Answer::Ok(text)),
                Some((status, text)) => Ok(Answer::Status(status, text)),
                None => Err(Failure {
                    err: Error::new(codes::V2IM_ERR_NETWORK, format!("{path}: no answer")),
                    transient: true,
                }),
            };
        }
        let mut target = String::with_capacity(path.len() + self.query.len() + 36);
        target.push_str("/v4/");
        target.push_str(path.trim_start_matches('/'));
        target.push_str(&self.query);
        target.push_str(&fastrand::u32(..).to_string());
        target.push_str("&contenttype=json");
        let deadline = Instant::now() + self.request_timeout;
        match self.http.post(&target, body, deadline, path) {
            Ok(a) if (200..300).contains(&a.status) => Ok(Answer::Ok(a.body)),
            // Tencent answers 200 even for errors; a compatible server that puts its envelope on
            // another status still gets its own code through.
            Ok(a) => Ok(Answer::Status(a.status, a.body)),
            Err(err) => Err(Failure {
                err,
                transient: true,
            }),
        }
    }
}

/// What one HTTP attempt brought back.
enum Answer {
    /// A success status, with the body.
    Ok(String),
    /// An error status (3xx, 4xx, 5xx), with whatever body came.
    Status(u16, String),
}

/// The answer's text once its envelope says OK; otherwise the server's code (or the HTTP
/// status), and whether another attempt may succeed.
fn read_answer(path: &str, answer: Answer) -> Result<String, Failure> {
    match answer {
        Answer::Ok(text) => {
            let not_understood = |e: serde_json::Error| Failure {
                err: Error::new(
                    codes::V2IM_ERR_BAD_RESPONSE,
                    format!("{path}: answer not understood: {e}"),
                ),
                transient: false,
            };
            // Every answer carries the envelope: its code first, the rest only on success.
            let env: Envelope = serde_json::from_str(&text).map_err(not_understood)?;
            if !env.is_ok() {
                return Err(Failure {
                    transient: v2im_wire::codes::is_retryable(env.error_code),
                    err: Error::new(env.error_code, env.error_info),
                });
            }
            Ok(text)
        }
        Answer::Status(status, text) => match serde_json::from_str::<Envelope>(&text) {
            Ok(env) if env.error_code != 0 => Err(Failure {
                transient: v2im_wire::codes::is_retryable(env.error_code) || status >= 500,
                err: Error::new(env.error_code, env.error_info),
            }),
            _ => Err(Failure {
                err: Error::new(
                    codes::V2IM_ERR_HTTP_STATUS,
                    format!("{path}: HTTP status {status}"),
                ),
                transient: status >= 500 || status == 429,
            }),
        },
    }
}

/// The query of every REST URL up to its `random` value (as `v2im_wire::url::rest_url` builds it).
fn rest_query(cfg: &Config) -> String {
    let mut q = format!("?sdkappid={}&identifier=", cfg.sdk_app_id);
    v2im_wire::url::push_query_value(&mut q, &cfg.identifier);
    q.push_str("&usersig=");
    v2im_wire::url::push_query_value(&mut q, &cfg.user_sig);
    q.push_str("&random=");
    q
}

/// Delay before retry `attempt` (0-based): BACKOFF_BASE · 2^attempt, at most BACKOFF_MAX,
/// then a random point in [d/2, d] so clients that failed together do not retry together.
pub fn backoff(attempt: u32) -> Duration {
    backoff_between(attempt, BACKOFF_BASE, BACKOFF_MAX)
}

/// `base` doubled per attempt up to `max`, then a random point in its upper half (jitter, so
/// that many clients do not come back at the same instant).
pub fn backoff_between(attempt: u32, base: Duration, max: Duration) -> Duration {
    let d = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let half = d / 2;
    half + Duration::from_micros(fastrand::u64(0..=half.as_micros() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_the_ones_rest_url_builds() {
        let cfg = Config::parse(
            &serde_json::json!({"sdkAppID": 1400000001, "userID": "a b*",
            "userSig": "s+/=", "serverUrl": "http://h:1"}),
        )
        .unwrap();
        assert_eq!(
            format!(
                "http://h:1/v4/openim/sendmsg{}7&contenttype=json",
                rest_query(&cfg)
            ),
            v2im_wire::url::rest_url(
                "http://h:1",
                "openim/sendmsg",
                1400000001,
                "a b*",
                "s+/=",
                7
            )
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..100 {
            let b0 = backoff(0);
            assert!(b0 >= Duration::from_millis(50) && b0 <= Duration::from_millis(100));
            let b3 = backoff(3);
            assert!(b3 >= Duration::from_millis(400) && b3 <= Duration::from_millis(800));
            assert!(backoff(30) <= BACKOFF_MAX);
        }
    }

    #[test]
    fn stop_ends_a_sleep_at_once() {
        let s = Arc::new(StopSignal::default());
        let s2 = s.clone();
        let t = std::time::Instant::now();
        let h = std::thread::spawn(move || s2.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        s.stop();
        assert!(h.join().unwrap());
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
