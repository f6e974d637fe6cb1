//! Delivery of the outbox: one lane per webhook URL (after-send callbacks to the callback URL,
//! push jobs to the push URL), each a task that sends its rows in commit order and has the writer
//! delete the delivered ones.
//!
//! - A lane holds at most [`WINDOW`] rows in memory and has at most [`IN_FLIGHT`] requests out
//!   at once; the rest wait in the database (a dead URL costs no memory however long it stays
//!   dead).
//! - A request is delivered when it gets a 2xx answer (its body is not read: Tencent ignores
//!   what an after-send callback answers). Anything else is retried after a backoff of 1, 2, 4,
//!   ... up to [`MAX_BACKOFF`] seconds; later rows do not wait for it.
//! - When the URL cannot be reached at all (refused, unreachable, timed out), the whole lane
//!   pauses for the same backoff and then sends one request at a time until one gets through.
//! - A row still undelivered [`GIVE_UP_MS`] after its message is dropped, and logged.
//! - At least once: a row is deleted after its answer, so a crash between the two sends it
//!   again; receivers de-duplicate by `MsgKey` + `To_Account` (C2C), `GroupId` + `MsgSeq`
//!   (group) or `PushId`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::client::{Failure, Target};
use super::Throttle;
use crate::error::ApiError;
use crate::store::jobs::Job;
use crate::store::outbox::{self, lane, Request, Signal};
use crate::App;

/// Rows a lane holds in memory.
const WINDOW: usize = 256;
/// Requests a lane has out at once.
const IN_FLIGHT: usize = 8;
/// Delivered rows are deleted in batches of this many, or after [`FLUSH_EVERY`].
const FLUSH_AT: usize = 64;
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The first retry's delay, doubled each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A row is given up this long after its message was stored: Tencent's offline retention, the
/// longest `MsgLifeTime`.
const GIVE_UP_MS: i64 = v2im_wire::codes::limits::MAX_MSG_LIFETIME * 1000;

struct Item {
    req: Request,
    attempts: u32,
    due: Instant,
    busy: bool,
}

/// The delay before attempt `n + 1` after `n` failures, with a tenth of jitter so that the
/// lanes of several servers do not retry in step.
fn backoff(failures: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    base + base.mul_f64(fastrand::f64() / 10.0)
}

/// Starts a lane for each configured URL on `rt`.
pub(crate) fn start(rt: &tokio::runtime::Runtime, app: &Arc<App>, signal: &Signal) {
    for (l, target) in [
        (lane::CALLBACK, app.webhooks.callback.clone()),
        (lane::PUSH, app.webhooks.push.clone()),
    ] {
        if let Some(target) = target {
            rt.spawn(run(app.clone(), l, target, signal.lanes[l].subscribe()));
        }
    }
}

fn what(l: usize) -> &'static str {
    if l == lane::CALLBACK {
        "after-send callbacks"
    } else {
        "push jobs"
    }
}

/// Resolves once shutdown has been requested.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// One lane: until shutdown, load rows, send the due ones, delete the delivered ones.
async fn run(app: Arc<App>, l: usize, target: Arc<Target>, mut signal: watch::Receiver<u64>) {
    let mut stop = app.stop.clone();
    let mut window: VecDeque<Item> = VecDeque::new();
    // The newest id loaded, and whether the database may hold newer rows.
    let (mut loaded, mut more, mut signal_open) = (0u64, true, true);
    let mut inflight: JoinSet<Result<(), Failure>> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, u64> = HashMap::new();
    let mut done: Vec<u64> = Vec::new();
    let mut last_flush = Instant::now();
    // Consecutive failures to reach the URL, and until when the lane waits because of them.
    let (mut failures, mut paused_until) = (0u32, None::<Instant>);
    let (failing, gone) = (Throttle::default(), Throttle::default());
    loop {
        if more && window.len() < WINDOW {
            // Marked seen before the read: a commit after it wakes the lane again.
            signal.borrow_and_update();
            let (after, limit) = (loaded, WINDOW - window.len());
            let rows = app
                .store
                .read(move |c| outbox::load(c, l, after, limit).map_err(ApiError::from))
                .await;
            match rows {
                Ok(rows) => {
                    more = rows.len() == limit;
                    let now = Instant::now();
                    for r in rows {
                        match r {
                            Ok(req) => {
                                loaded = req.id;
                                window.push_back(Item {
                                    req,
                                    attempts: 0,
                                    due: now,
                                    busy: false,
                                });
                            }
                            Err(id) => {
                                loaded = id;
                                gone.warn(|| {
                                    format!(
                                        "{}: a message was deleted before it was notified; dropped",
                                        what(l)
                                    )
                                });
                                done.push(id);
                            }
                        }
                    }
                }
                Err(e) => {
                    failing.warn(|| format!("{}: cannot read the outbox: {e}", what(l)));
                    tokio::select! {
                        _ = tokio::time::sleep(FIRST_BACKOFF) => {}
                        _ = stopped(&mut stop) => break,
                    }
                    continue;
                }
            }
        }
        let now_ms = app.webhooks.clock.now_ms();
        window.retain(|it| {
            if it.busy || now_ms - it.req.created < GIVE_UP_MS {
                return true;
            }
            tracing::warn!(
                "{}: row {} undelivered after {} attempts in {} days; given up",
                what(l),
                it.req.id,
                it.attempts,
                GIVE_UP_MS / 86_400_000
            );
            done.push(it.req.id);
            false
        });
        let now = Instant::now();
        // While the URL is unreachable, one request at a time probes it.
        let limit = if failures > 0 { 1 } else { IN_FLIGHT };
        if paused_until.is_none_or(|t| now >= t) {
            for it in window.iter_mut() {
                if inflight.len() >= limit {
                    break;
                }
                if it.busy || it.due > now {
                    continue;
                }
                it.busy = true;
                let query = it
                    .req
                    .command
                    .map(|c| app.webhooks.query(c, &it.req.client_ip));
                let body = Bytes::from(it.req.body.clone());
                let target = target.clone();
                let h = inflight
                    .spawn(async move { target.post(query.as_deref(), body).await.map(|_| ()) });
                tasks.insert(h.id(), it.req.id);
            }
        }
        if !done.is_empty()
            && (done.len() >= FLUSH_AT
                || inflight.is_empty()
                || last_flush.elapsed() >= FLUSH_EVERY)
        {
            flush(&app, l, &mut done);
            last_flush = Instant::now();
        }
        // Sleep until the next due row (when a request may start), the end of a pause, or the
        // next flush; whichever comes first.
        let mut wake = now + Duration::from_secs(3600);
        if inflight.len() < limit {
            if let Some(d) = window.iter().filter(|it| !it.busy).map(|it| it.due).min() {
                wake = wake.min(d.max(paused_until.unwrap_or(d)));
            }
        }
        if !done.is_empty() {
            wake = wake.min(last_flush + FLUSH_EVERY);
        }
        tokio::select! {
            _ = stopped(&mut stop) => break,
            Some(r) = inflight.join_next_with_id(), if !inflight.is_empty() => {
                let (task, result) = match r {
                    Ok((task, result)) => (task, result),
                    Err(e) => (e.id(), Err(Failure::Exchange(format!("request task failed: {e}")))),
                };
                let Some(id) = tasks.remove(&task) else { continue };
                let Ok(pos) = window.binary_search_by_key(&id, |it| it.req.id) else { continue };
                match result {
                    Ok(()) => {
                        window.remove(pos);
                        done.push(id);
                        if failures > 0 {
                            tracing::info!("{} to {}: delivering again", what(l), target.url);
                        }
                        failures = 0;
                        paused_until = None;
                    }
                    Err(f) => {
                        let it = &mut window[pos];
                        it.busy = false;
                        it.attempts += 1;
                        it.due = Instant::now() + backoff(it.attempts);
                        if f.unreachable() {
                            failures += 1;
                            paused_until = Some(Instant::now() + backoff(failures));
                        }
                        let (attempts, waiting) = (it.attempts, window.len());
                        failing.warn(|| {
                            format!(
                                "{} to {}: {f} (attempt {attempts}; {waiting} in memory, more \
                                 in the outbox); retrying with backoff",
                                what(l),
                                target.url
                            )
                        });
                    }
                }
            }
            r = signal.changed(), if !more && signal_open => {
                if r.is_err() {
                    signal_open = false;
                }
                more = true;
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    // Requests still out are dropped with the set; their rows go again after a restart.
    flush(&app, l, &mut done);
}

/// Has the writer delete delivered rows (without waiting for its commit: a row it has not
/// deleted when the server stops is sent once more).
fn flush(app: &App, l: usize, done: &mut Vec<u64>) {
    if done.is_empty() {
        return;
    }
    let ids = std::mem::take(done);
    let (reply, _) = tokio::sync::oneshot::channel();
    app.store.submit(Job::OutboxDone {
        lane: l,
        ids,
        reply,
    });
}
