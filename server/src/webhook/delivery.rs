//! Delivery of the outbox: one lane per webhook URL (after-send callbacks to the callback URL,
//! push jobs to the push URL), each a task that sends its rows in commit order and has the writer
//! delete the delivered ones. The lanes share a thread of their own (see [`start`]).
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

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use super::client::{Failure, Target};
use super::Throttle;
use crate::error::ApiError;
use crate::store::jobs::Job;
use crate::store::outbox::{self, lane, Request, Signal};
use crate::App;

/// Rows a lane holds in memory.
const WINDOW: usize = 256;
/// A lane with a backlog reads more once it holds no more than this many rows: a read per
/// delivered row cost more CPU than sending it.
const REFILL_AT: usize = WINDOW / 2;
/// Requests a lane has out at once (with its idle connections, at most 8 sockets).
const IN_FLIGHT: usize = 4;
/// While a lane keeps up with new commits, it reads them at most this often, so that one read
/// brings the rows of many commits (a read per commit cost more CPU than sending the rows).
const LOAD_GAP: Duration = Duration::from_millis(10);
/// Delivered rows are deleted in batches of this many, or after [`FLUSH_EVERY`].
const FLUSH_AT: usize = 64;
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The first retry's delay, doubled each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A row is given up this long after its message was stored: Tencent's offline retention, the
/// longest `MsgLifeTime`.
const GIVE_UP_MS: i64 = v2im_wire::codes::limits::MAX_MSG_LIFETIME * 1000;
/// How often the rows in memory are checked against [`GIVE_UP_MS`].
const AGE_CHECK_EVERY: Duration = Duration::from_secs(60);

/// A request out: its row's id and the outcome.
type Sending = Pin<Box<dyn Future<Output = (u64, Result<(), Failure>)> + Send>>;

/// A row in memory, ready to send as often as it takes.
struct Item {
    id: u64,
    /// The callback query; `None` for a push job.
    query: Option<String>,
    body: Bytes,
    /// Milliseconds.
    created: i64,
    attempts: u32,
    due: Instant,
    busy: bool,
}

impl Item {
    fn new(app: &App, req: Request, now: Instant) -> Item {
        Item {
            id: req.id,
            query: req.command.map(|c| app.webhooks.query(c, &req.client_ip)),
            body: Bytes::from(req.body),
            created: req.created,
            attempts: 0,
            due: now,
            busy: false,
        }
    }
}

/// The delay before attempt `n + 1` after `n` failures, with a tenth of jitter so that the
/// lanes of several servers do not retry in step.
fn backoff(failures: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    base + base.mul_f64(fastrand::f64() / 10.0)
}

/// Starts a lane for each configured URL on a thread of its own (`None` when there is no URL),
/// at a lower CPU priority: notifications are background work, so on a busy machine storing and
/// answering messages comes first and the lanes catch up when there is CPU to spare (a nice
/// value of 10 still gets about a tenth of a core that others want). The lanes and their
/// connections share the thread's runtime, so a request and its answer wake no other thread.
/// The thread ends once shutdown has been requested and the lanes have handed the writer what
/// they delivered.
pub(crate) fn start(app: &Arc<App>, signal: &Signal) -> std::io::Result<Option<JoinHandle<()>>> {
    let lanes: Vec<_> = [
        (lane::CALLBACK, app.webhooks.callback.as_deref()),
        (lane::PUSH, app.webhooks.push.as_deref()),
    ]
    .into_iter()
    .filter_map(|(l, target)| Some((l, Arc::new(target?.fresh()), signal.lanes[l].subscribe())))
    .collect();
    if lanes.is_empty() {
        return Ok(None);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let app = app.clone();
    let thread = std::thread::Builder::new()
        .name("v2im-webhooks".into())
        .spawn(move || {
            lower_priority();
            rt.block_on(async move {
                let lanes: Vec<_> = lanes
                    .into_iter()
                    .map(|(l, target, rx)| tokio::spawn(run(app.clone(), l, target, rx)))
                    .collect();
                for lane in lanes {
                    if lane.await.is_err() {
                        tracing::error!("a webhook delivery lane panicked");
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        })?;
    Ok(Some(thread))
}

/// Nice 10 for the calling thread (Linux: a thread's own priority).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions; setpriority only reads its arguments.
        let r = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 10)
        };
        if r != 0 {
            tracing::debug!(
                "webhook delivery keeps its priority: {}",
                std::io::Error::last_os_error()
            );
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
    let mut next_load = Instant::now();
    // Polled by this task itself (no task per request): a request's answer wakes the lane.
    let mut inflight: FuturesUnordered<Sending> = FuturesUnordered::new();
    let mut done: Vec<u64> = Vec::new();
    let mut last_flush = Instant::now();
    // Consecutive failures to reach the URL, and until when the lane waits because of them.
    let (mut failures, mut paused_until) = (0u32, None::<Instant>);
    let (failing, gone) = (Throttle::default(), Throttle::default());
    // When rows held in memory are next checked against [`GIVE_UP_MS`].
    let mut aged = None::<Instant>;
    loop {
        if more && window.len() <= REFILL_AT && Instant::now() >= next_load {
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
                    // A full page means a backlog: read on as soon as there is room.
                    next_load = if more { now } else { now + LOAD_GAP };
                    for r in rows {
                        match r {
                            Ok(req) => {
                                loaded = req.id;
                                window.push_back(Item::new(&app, req, now));
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
        let now = Instant::now();
        if aged.is_none_or(|t| now >= t) {
            aged = Some(now + AGE_CHECK_EVERY);
            let now_ms = app.webhooks.clock.now_ms();
            window.retain(|it| {
                if it.busy || now_ms - it.created < GIVE_UP_MS {
                    return true;
                }
                tracing::warn!(
                    "{}: row {} undelivered after {} attempts in {} days; given up",
                    what(l),
                    it.id,
                    it.attempts,
                    GIVE_UP_MS / 86_400_000
                );
                done.push(it.id);
                false
            });
        }
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
                let (target, id, query, body) =
                    (target.clone(), it.id, it.query.clone(), it.body.clone());
                inflight.push(Box::pin(async move {
                    (id, target.post(query.as_deref(), body).await.map(|_| ()))
                }));
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
        if more && window.len() <= REFILL_AT {
            wake = wake.min(next_load);
        }
        tokio::select! {
            _ = stopped(&mut stop) => break,
            Some((id, result)) = inflight.next(), if !inflight.is_empty() => {
                let Ok(pos) = window.binary_search_by_key(&id, |it| it.id) else { continue };
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
    // Requests still out are dropped; their rows go again after a restart.
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
