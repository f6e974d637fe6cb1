//! The callback thread: the one thread per client that runs the caller's callbacks for network
//! requests and every event, one at a time, in the order workers posted them (rules 3 and 4).
//!
//! Workers and the calling threads never run user code for network requests; they post a finished
//! JSON text and the callback over one channel, so a callback costs one channel send plus the
//! result string. Nothing here holds a lock while user code runs: the channel receiver and the
//! event listener belong to the callback thread alone.

use crate::callback::{CJson, EventSink, ResultCallback};
use crate::config::LogLevel;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use serde_json::json;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Library code to run once an event has been given to the listener.
pub(crate) type AfterEmit = Box<dyn FnOnce() + Send>;

enum Job {
    Complete(ResultCallback, i32, CJson),
    Event(CJson),
    /// An event that must not be lost: kept until a listener is set if there is none yet. The
    /// function (library code) runs right after the event was given to a listener.
    Held(CJson, Option<AfterEmit>),
    SetSink(EventSink),
    Stop,
}

thread_local! {
    /// Ids of the clients whose callback is running on this thread, innermost last. A callback
    /// may call into another client, whose local method runs its callback on this same thread,
    /// so this is a stack, not a flag.
    static ACTIVE: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Whether this thread is inside a callback of client `client_id` (of any kind: result, event,
/// finalizer, synchronous or on the callback thread). `v2im_client_free` refuses to run there:
/// it would join the thread it runs on, or free the client under the call that is running it.
pub fn in_callback_of(client_id: u64) -> bool {
    ACTIVE.with(|a| a.borrow().contains(&client_id))
}

/// Runs `f` (which calls user code) marked as a callback of `client_id`.
fn as_callback<R>(client_id: u64, f: impl FnOnce() -> R) -> R {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            ACTIVE.with(|a| {
                a.borrow_mut().pop();
            });
        }
    }
    ACTIVE.with(|a| a.borrow_mut().push(client_id));
    let _pop = Pop;
    f()
}

/// The sending side of one client's callback thread; shared by the client and its workers.
pub struct Dispatcher {
    client_id: u64,
    tx: Sender<Job>,
    listening: AtomicBool,
    log_level: LogLevel,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Dispatcher {
    /// Starts the callback thread of client `client_id`.
    pub fn start(client_id: u64, log_level: LogLevel) -> std::io::Result<Arc<Dispatcher>> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let handle = std::thread::Builder::new()
            .name("v2im-callback".into())
            .spawn(move || run(client_id, rx))?;
        Ok(Arc::new(Dispatcher {
            client_id,
            tx,
            listening: AtomicBool::new(false),
            log_level,
            thread: Mutex::new(Some(handle)),
        }))
    }

    /// Posts a result to the callback thread. After `stop_and_join` nothing is posted any more:
    /// the client refuses new calls and its workers are joined first.
    pub fn complete(&self, cb: ResultCallback, code: i32, json: CJson) {
        if cb.is_some() {
            let _ = self.tx.send(Job::Complete(cb, code, json));
        }
    }

    /// Runs a result callback now, on this thread (local methods, rule 3).
    pub fn complete_now(&self, cb: ResultCallback, code: i32, json: &CJson) {
        as_callback(self.client_id, || cb.run(code, json.as_cstr()));
    }

    /// Whether an event listener is set; events are not even built otherwise.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Posts `{"event": name, "data": data()}`; `data` is only built when someone listens.
    pub fn event<T: serde::Serialize>(&self, name: &str, data: impl FnOnce() -> T) {
        if self.is_listening() {
            let _ = self
                .tx
                .send(Job::Event(crate::result::event(name, &data())));
        }
    }

    /// Posts an event that waits for a listener: emitted now if one is set, otherwise kept (in
    /// order) and emitted to the first listener `v2im_set_event_callback` sets. For outcomes no
    /// result callback reports (sends resumed from an earlier run), which could otherwise happen
    /// before the app had a chance to listen.
    pub fn event_held<T: serde::Serialize>(&self, name: &str, data: impl FnOnce() -> T) {
        let _ = self
            .tx
            .send(Job::Held(crate::result::event(name, &data()), None));
    }

    /// [`Dispatcher::event_held`] that runs `after` once the listener has had the event (so the
    /// caller can record that it was delivered).
    pub fn event_held_then<T: serde::Serialize>(&self, name: &str, data: &T, after: AfterEmit) {
        let _ = self
            .tx
            .send(Job::Held(crate::result::event(name, data), Some(after)));
    }

    /// An `onLog` event at `level`, if the configured `logLevel` lets it through.
    pub fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if level != LogLevel::Off && level <= self.log_level {
            self.event(
                "onLog",
                || json!({"level": level.name(), "message": message()}),
            );
        }
    }

    /// Replaces the event listener. The previous listener's finalizer runs on the callback
    /// thread after the events posted before this call, so it never races one of its events.
    pub fn set_event_sink(&self, sink: EventSink) {
        self.listening.store(sink.is_listening(), Ordering::Relaxed);
        let _ = self.tx.send(Job::SetSink(sink));
    }

    /// Runs everything posted so far, then the listener's finalizer, and joins the thread.
    /// Must not be called from the callback thread (the caller checks `in_callback_of`).
    pub fn stop_and_join(&self) {
        let handle = self.thread.lock().take();
        if let Some(handle) = handle {
            let _ = self.tx.send(Job::Stop);
            let _ = handle.join();
        }
    }
}

/// The callback thread's own state.
struct Listener {
    sink: Option<EventSink>,
    /// `Job::Held` events waiting for a listener.
    held: Vec<(CJson, Option<AfterEmit>)>,
}

fn run(client_id: u64, rx: Receiver<Job>) {
    let mut l = Listener {
        sink: None,
        held: Vec::new(),
    };
    while let Ok(job) = rx.recv() {
        if !handle(client_id, job, &mut l) {
            break;
        }
    }
    // Anything posted after Stop would be a bug (the client refuses calls before stopping);
    // run it anyway rather than lose a callback.
    while let Ok(job) = rx.try_recv() {
        handle(client_id, job, &mut l);
    }
    let sink = &mut l.sink;
    if let Some(old) = sink.take() {
        as_callback(client_id, || old.finish());
    }
}

/// Runs one job; false on Stop. User callbacks are `extern "C"` and cannot unwind into here.
fn handle(client_id: u64, job: Job, l: &mut Listener) -> bool {
    let sink = &mut l.sink;
    match job {
        Job::Complete(cb, code, json) => as_callback(client_id, || cb.run(code, json.as_cstr())),
        Job::Event(json) => {
            if let Some(s) = sink.as_ref() {
                as_callback(client_id, || s.emit(json.as_cstr()));
            }
        }
        Job::Held(json, after) => match sink.as_ref().filter(|s| s.is_listening()) {
            Some(s) => {
                as_callback(client_id, || s.emit(json.as_cstr()));
                if let Some(after) = after {
                    after();
                }
            }
            None => l.held.push((json, after)),
        },
        Job::SetSink(new) => {
            if let Some(old) = sink.replace(new) {
                as_callback(client_id, || old.finish());
            }
            if let Some(s) = sink.as_ref().filter(|s| s.is_listening()) {
                for (json, after) in std::mem::take(&mut l.held) {
                    as_callback(client_id, || s.emit(json.as_cstr()));
                    if let Some(after) = after {
                        after();
                    }
                }
            }
        }
        Job::Stop => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::{CJson, UserData};
    use std::ffi::{c_char, c_void};
    use std::sync::atomic::AtomicU64;

    static LAST: AtomicU64 = AtomicU64::new(0);
    static OUT_OF_ORDER: AtomicU64 = AtomicU64::new(0);
    static INSIDE: AtomicU64 = AtomicU64::new(0);

    unsafe extern "C" fn ordered(ud: *mut c_void, _code: i32, _json: *const c_char) {
        let n = ud as u64;
        if LAST.swap(n, Ordering::SeqCst) + 1 != n {
            OUT_OF_ORDER.fetch_add(1, Ordering::SeqCst);
        }
        if in_callback_of(7) {
            INSIDE.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn callbacks_run_in_post_order_marked_as_callbacks() {
        let d = Dispatcher::start(7, LogLevel::Warn).unwrap();
        for n in 1..=10_000u64 {
            let cb = ResultCallback::new(Some(ordered), UserData(n as *mut c_void));
            d.complete(cb, 0, CJson::from_json_bytes(b"{}".to_vec()));
        }
        d.stop_and_join();
        assert_eq!(
            LAST.load(Ordering::SeqCst),
            10_000,
            "all ran before stop_and_join returned"
        );
        assert_eq!(OUT_OF_ORDER.load(Ordering::SeqCst), 0);
        assert_eq!(INSIDE.load(Ordering::SeqCst), 10_000);
        assert!(!in_callback_of(7), "this thread is not a callback");
    }

    static HELD_SEEN: parking_lot::Mutex<Vec<String>> = parking_lot::Mutex::new(Vec::new());

    unsafe extern "C" fn record(_ud: *mut c_void, json: *const c_char) {
        // SAFETY: a NUL-terminated string lent for the call.
        let text = unsafe { std::ffi::CStr::from_ptr(json) };
        HELD_SEEN.lock().push(text.to_string_lossy().into_owned());
    }

    #[test]
    fn held_events_wait_for_the_first_listener_and_keep_their_order() {
        let d = Dispatcher::start(8, LogLevel::Warn).unwrap();
        d.event("plain", || 0); // nobody listens: dropped
        d.event_held("held", || 1);
        d.set_event_sink(EventSink::new(None, UserData(std::ptr::null_mut()), None));
        d.event_held("held", || 2); // a NULL listener does not take them either
        d.set_event_sink(EventSink::new(
            Some(record),
            UserData(std::ptr::null_mut()),
            None,
        ));
        d.event_held("held", || 3); // a listener exists: at once, after the kept ones
        d.stop_and_join();
        let seen = HELD_SEEN.lock().clone();
        let data: Vec<i64> = seen
            .iter()
            .map(|j| {
                serde_json::from_str::<serde_json::Value>(j).unwrap()["data"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(data, [1, 2, 3], "{seen:?}");
    }
}
