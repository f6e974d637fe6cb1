//! The sender: a bounded priority queue drained by `senderThreads` workers that share the
//! keep-alive connections of one HTTP client (see `queue`, `http` and `conn`).
//!
//! Workers only do HTTP and bookkeeping; results go to the callback thread (`dispatch`), so
//! a worker never runs user code. Each task runs under `catch_unwind`: a panic completes that
//! task with `V2IM_ERR_PANIC` and poisons the client.

pub mod http;
pub mod queue;

use crate::codes;
use crate::config::Config;
use crate::dispatch::Dispatcher;
use http::{RestClient, StopSignal};
use parking_lot::Mutex;
use queue::{Push, Queue};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A queued request. Completing it (exactly once) is the task's job: `execute` or `abort`.
pub trait Task: Send + 'static {
    /// Does the request on a worker thread and posts its result.
    fn execute(&mut self, rest: &RestClient);
    /// Posts a failure without doing the request (cancelled, evicted, refused, shut down, or
    /// after a panic in `execute`). Does nothing if the task already posted its result.
    fn abort(&mut self, code: i32, desc: &str);
}

pub type BoxTask = Box<dyn Task>;

pub struct Sender {
    queue: Arc<Queue<BoxTask>>,
    rest: Arc<RestClient>,
    stop: Arc<StopSignal>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Sender {
    /// Starts `cfg.sender_threads` workers. `poisoned` is set when a task panics.
    pub fn start(
        cfg: &Config,
        log: Arc<Dispatcher>,
        poisoned: Arc<AtomicBool>,
    ) -> std::io::Result<Sender> {
        let stop = Arc::new(StopSignal::default());
        let rest = Arc::new(RestClient::new(cfg, stop.clone(), log));
        let queue = Arc::new(Queue::new(cfg.max_queue_length));
        let sender = Sender {
            queue,
            rest,
            stop,
            workers: Mutex::new(Vec::new()),
        };
        for n in 0..cfg.sender_threads {
            let queue = sender.queue.clone();
            let rest = sender.rest.clone();
            let poisoned = poisoned.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("v2im-sender-{n}"))
                .spawn(move || work(&queue, &rest, &poisoned));
            match spawned {
                Ok(h) => sender.workers.lock().push(h),
                Err(e) => {
                    sender.shutdown();
                    return Err(e);
                }
            }
        }
        Ok(sender)
    }

    /// Queues a task. Queue full: a Low task is refused and a High/Normal one evicts the newest
    /// queued Low task; both refused and evicted tasks complete with `V2IM_ERR_QUEUE_FULL`.
    /// Closed (shutting down): the task completes with `V2IM_ERR_SHUTTING_DOWN`.
    pub fn submit(&self, id: &str, conv: &str, rank: usize, task: BoxTask) {
        match self.queue.push(id, conv, rank, task) {
            Push::Queued => {}
            Push::Evicted(mut low) => low.abort(
                codes::V2IM_ERR_QUEUE_FULL,
                "send queue full: this Low message was evicted by a more important one",
            ),
            Push::Full(mut t) => t.abort(
                codes::V2IM_ERR_QUEUE_FULL,
                "send queue full (maxQueueLength reached)",
            ),
            Push::Closed(mut t) => {
                t.abort(codes::V2IM_ERR_SHUTTING_DOWN, "client is shutting down")
            }
        }
    }

    /// Whether the sender is shutting down, for waits outside it (an upload's answer).
    pub fn stop_fn(&self) -> crate::http::client::Stop {
        let stop = self.stop.clone();
        Arc::new(move || stop.is_stopped())
    }

    /// Removes a queued task; None once it is in flight or done.
    pub fn cancel(&self, id: &str) -> Option<BoxTask> {
        self.queue.cancel(id)
    }

    /// Runs what is queued on this thread, one task after another as a worker would, but without
    /// `catch_unwind`: a panic must reach the fuzzer, not poison a client. Start the sender with
    /// no workers to use it.
    #[cfg(feature = "fuzzing")]
    pub fn run_queued_here(&self) {
        while let Some(taken) = self.queue.try_pop() {
            let mut task = taken.item;
            task.execute(&self.rest);
            self.queue.done(&taken.conv);
        }
    }

    /// Requests waiting in the queue.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Closes the queue, completes every queued task with `V2IM_ERR_SHUTTING_DOWN`, stops
    /// retries and backoff sleeps, and joins the workers, each of which finishes its in-flight
    /// attempt first (bounded by `requestTimeoutMs`). Idempotent.
    pub fn shutdown(&self) {
        for mut t in self.queue.close() {
            t.abort(
                codes::V2IM_ERR_SHUTTING_DOWN,
                "client is shutting down: request cancelled before it was sent",
            );
        }
        self.stop.stop();
        let workers = std::mem::take(&mut *self.workers.lock());
        for w in workers {
            let _ = w.join();
        }
    }
}

fn work(queue: &Queue<BoxTask>, rest: &RestClient, poisoned: &AtomicBool) {
    let mut finished = None;
    while let Some(taken) = queue.next(finished.as_ref()) {
        let mut task = taken.item;
        let outcome = catch_unwind(AssertUnwindSafe(|| task.execute(rest)));
        if outcome.is_err() {
            poisoned.store(true, Ordering::SeqCst);
            let _ = catch_unwind(AssertUnwindSafe(|| {
                task.abort(
                    codes::V2IM_ERR_PANIC,
                    "internal panic while sending (client poisoned)",
                )
            }));
        }
        finished = Some(taken.conv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{Receiver, Sender as Tx};

    /// Records the order tasks run in; the first one waits for `gate` so the rest queue up.
    struct Probe {
        name: &'static str,
        gate: Option<Receiver<()>>,
        ran: Tx<&'static str>,
    }

    impl Task for Probe {
        fn execute(&mut self, _rest: &RestClient) {
            if let Some(g) = self.gate.take() {
                let _ = g.recv();
            }
            let _ = self.ran.send(self.name);
        }
        fn abort(&mut self, _code: i32, _desc: &str) {
            let _ = self.ran.send("aborted");
        }
    }

    fn start(threads: usize) -> Sender {
        start_with(threads, Arc::new(AtomicBool::new(false)))
    }

    fn start_with(threads: usize, poisoned: Arc<AtomicBool>) -> Sender {
        let cfg = Config::parse(
            &serde_json::json!({"sdkAppID": 1, "userID": "u", "userSig": "s",
                               "serverUrl": "http://127.0.0.1:1", "senderThreads": threads}),
        )
        .unwrap();
        let d = Dispatcher::start(u64::MAX, cfg.log_level).unwrap();
        Sender::start(&cfg, d, poisoned).unwrap()
    }

    struct Panics(Tx<i32>);

    impl Task for Panics {
        fn execute(&mut self, _rest: &RestClient) {
            panic!("injected panic");
        }
        fn abort(&mut self, code: i32, _desc: &str) {
            let _ = self.0.send(code);
        }
    }

    #[test]
    fn a_panicking_task_completes_with_panic_and_poisons() {
        let poisoned = Arc::new(AtomicBool::new(false));
        let s = start_with(1, poisoned.clone());
        let (tx, rx) = crossbeam_channel::unbounded();
        s.submit("p", "a", 1, Box::new(Panics(tx.clone())));
        assert_eq!(rx.recv().unwrap(), codes::V2IM_ERR_PANIC);
        assert!(poisoned.load(Ordering::SeqCst));
        // The worker survived: the next task still runs.
        s.submit("q", "a", 1, Box::new(Panics(tx)));
        assert_eq!(rx.recv().unwrap(), codes::V2IM_ERR_PANIC);
        s.shutdown();
    }

    #[test]
    fn workers_take_high_before_normal_before_low() {
        let s = start(1);
        let (ran_tx, ran) = crossbeam_channel::unbounded();
        let (open, gate) = crossbeam_channel::bounded(0);
        let probe = |name, gate| {
            Box::new(Probe {
                name,
                gate,
                ran: ran_tx.clone(),
            })
        };
        s.submit("0", "a", 1, probe("blocker", Some(gate)));
        while s.queued() > 0 {
            std::thread::yield_now();
        }
        for (i, (name, rank)) in [
            ("n1", 1),
            ("l1", 2),
            ("l2", 2),
            ("n2", 1),
            ("h1", 0),
            ("h2", 0),
        ]
        .into_iter()
        .enumerate()
        {
            s.submit(
                &format!("{}", i + 1),
                &format!("c{i}"),
                rank,
                probe(name, None),
            );
        }
        open.send(()).unwrap();
        let order: Vec<&str> = (0..7).map(|_| ran.recv().unwrap()).collect();
        assert_eq!(order, ["blocker", "h1", "h2", "n1", "n2", "l1", "l2"]);
        s.shutdown();
    }

    #[test]
    fn a_conversation_queued_behind_its_request_runs_in_order_with_idle_workers() {
        let s = start(4);
        let (ran_tx, ran) = crossbeam_channel::unbounded();
        let (open, gate) = crossbeam_channel::bounded(0);
        let probe = |name, gate| {
            Box::new(Probe {
                name,
                gate,
                ran: ran_tx.clone(),
            })
        };
        s.submit("0", "a", 1, probe("first", Some(gate)));
        while s.queued() > 0 {
            std::thread::yield_now();
        }
        // Queued behind "first": no worker can take them until it is done.
        for (i, name) in ["second", "third", "fourth"].into_iter().enumerate() {
            s.submit(&format!("{}", i + 1), "a", 1, probe(name, None));
        }
        open.send(()).unwrap();
        let wait = std::time::Duration::from_secs(30);
        let order: Vec<&str> = (0..4).map(|_| ran.recv_timeout(wait).unwrap()).collect();
        assert_eq!(order, ["first", "second", "third", "fourth"]);
        s.shutdown();
    }

    #[test]
    fn shutdown_aborts_what_is_queued() {
        let s = start(2);
        let (ran_tx, ran) = crossbeam_channel::unbounded();
        let (open, gate) = crossbeam_channel::bounded(0);
        s.submit(
            "0",
            "a",
            1,
            Box::new(Probe {
                name: "blocker",
                gate: Some(gate),
                ran: ran_tx.clone(),
            }),
        );
        while s.queued() > 0 {
            std::thread::yield_now();
        }
        // Same conversation: stays queued while the blocker is in flight.
        for i in 1..=3 {
            s.submit(
                &format!("{i}"),
                "a",
                1,
                Box::new(Probe {
                    name: "later",
                    gate: None,
                    ran: ran_tx.clone(),
                }),
            );
        }
        let opener = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            open.send(()).unwrap();
        });
        s.shutdown();
        opener.join().unwrap();
        let mut got: Vec<&str> = ran.try_iter().collect();
        got.sort_unstable();
        assert_eq!(got, ["aborted", "aborted", "aborted", "blocker"]);
    }
}
