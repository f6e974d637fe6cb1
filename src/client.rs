//! One client: its configuration, its threads (the callback thread and the sender workers), its
//! messages, and its lifecycle (accepting → shutting down → gone; or poisoned by a panic).

use crate::api::{self, Ctx};
use crate::callback::{EventSink, ResultCallback};
use crate::codes;
use crate::config::{Config, LogLevel};
use crate::dispatch::{self, Dispatcher};
use crate::params::Params;
use crate::receive::{OwnSends, Receiver};
use crate::registry::Registry;
use crate::sender::Sender;
use crate::store::Store;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_CLIENT: AtomicU64 = AtomicU64::new(1);

pub struct Client {
    id: u64,
    ctx: Ctx,
    config: Config,
    accepting: AtomicBool,
    poisoned: Arc<AtomicBool>,
    /// With `receive`: the live channel, started by the first event listener.
    receiver: Mutex<Option<Receiver>>,
}

impl Client {
    /// Starts the callback thread and the sender workers.
    pub fn start(config: Config) -> codes::Result<Client> {
        let id = NEXT_CLIENT.fetch_add(1, Ordering::Relaxed);
        let thread_err = |e: std::io::Error| {
            codes::Error::new(
                codes::ERR_IO_OPERATION_FAILED,
                format!("cannot start the client's threads: {e}"),
            )
        };
        let dispatch = Dispatcher::start(id, config.log_level).map_err(thread_err)?;
        let log = dispatch.clone();
        let registry = Arc::new(Registry::new());
        let store = Store::open(
            config.data_dir.as_deref(),
            config.synchronous,
            config.store_retention,
            registry.clone(),
            Box::new(move |m| log.log(LogLevel::Error, || m)),
        );
        let (store, pending) = match store.and_then(|s| s.pending().map(|p| (s, p))) {
            Ok((s, p)) => (Arc::new(s), p),
            Err(e) => {
                dispatch.stop_and_join();
                return Err(e);
            }
        };
        // Ids of this run continue after the stored ones.
        Registry::reserve_ids_through(store.max_local_number());
        let poisoned = Arc::new(AtomicBool::new(false));
        let sender = match Sender::start(&config, dispatch.clone(), poisoned.clone()) {
            Ok(s) => s,
            Err(e) => {
                store.shutdown();
                dispatch.stop_and_join();
                return Err(thread_err(e));
            }
        };
        let uploader = Arc::new(crate::upload::Uploader::new(&config, sender.stop_fn()));
        let client = Client {
            id,
            ctx: Ctx::new(
                config.user_id.clone(),
                registry,
                dispatch,
                sender,
                store,
                uploader,
                config.receive.then(|| Arc::new(OwnSends::default())),
            ),
            config,
            accepting: AtomicBool::new(true),
            poisoned,
            receiver: Mutex::new(None),
        };
        api::resume::resume_pending(&client.ctx, pending, client.config.resume_pending_on_start);
        Ok(client)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Why the client refuses calls, if it does.
    pub fn refusal(&self) -> Option<i32> {
        if self.poisoned.load(Ordering::SeqCst) {
            Some(codes::V2IM_ERR_POISONED)
        } else if !self.accepting.load(Ordering::SeqCst) {
            Some(codes::V2IM_ERR_SHUTTING_DOWN)
        } else {
            None
        }
    }

    /// A panic was caught in this client's code: it refuses every call from now on.
    pub fn poison(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
    }

    /// `v2im_call` once the method name and params are read. `Err(code)` = refused, `cb` not run.
    pub fn call(&self, method: &str, params: Params<'_>, cb: ResultCallback) -> Result<(), i32> {
        if let Some(code) = self.refusal() {
            return Err(code);
        }
        api::call(&self.ctx, method, params, cb)
    }

    pub fn set_event_sink(&self, sink: EventSink) -> Result<(), i32> {
        if let Some(code) = self.refusal() {
            return Err(code);
        }
        let listening = sink.is_listening();
        self.ctx.env.dispatch.set_event_sink(sink);
        if listening && self.config.receive {
            self.start_receiving();
        }
        Ok(())
    }

    /// Opens the live channel once (events before the first listener would have nobody to go
    /// to; the server keeps what arrives meanwhile).
    fn start_receiving(&self) {
        let mut r = self.receiver.lock();
        if r.is_some() || !self.accepting.load(Ordering::SeqCst) {
            return;
        }
        let Some(own) = self.ctx.env.own.clone() else {
            return;
        };
        let shared = crate::receive::Shared::new(
            &self.config,
            self.ctx.env.registry.clone(),
            self.ctx.env.store.clone(),
            self.ctx.env.dispatch.clone(),
            own,
        );
        match Receiver::start(shared) {
            Ok(started) => *r = Some(started),
            Err(e) => self.log(LogLevel::Error, || {
                format!("receive: cannot start the channel thread: {e}")
            }),
        }
    }

    /// Whether this thread is running one of this client's callbacks.
    pub fn in_own_callback(&self) -> bool {
        dispatch::in_callback_of(self.id)
    }

    /// An `onLog` event (misuse reports and the like).
    pub fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        self.ctx.env.dispatch.log(level, message);
    }

    /// Stops accepting calls, completes every queued request with `V2IM_ERR_SHUTTING_DOWN` on
    /// the callback thread, lets in-flight requests finish their current attempt (no retries),
    /// joins the workers, runs every pending callback and the event finalizer, and joins the
    /// callback thread. Must not run on one of this client's callbacks (see `in_own_callback`).
    pub fn shutdown(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        // The channel first: it records into the store, which then posts its events.
        if let Some(r) = self.receiver.lock().take() {
            r.shutdown();
            self.ctx.env.store.flush();
        }
        // Outcomes of the aborted sends are written (and posted) before the store closes.
        self.ctx.sender.shutdown();
        self.ctx.env.dispatch.stop_and_join();
        // Last: the callback thread records in it which received messages the listener had.
        self.ctx.env.store.shutdown();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Normally done by v2im_client_free already; idempotent.
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::UserData;

    #[test]
    fn a_poisoned_or_closing_client_refuses_calls() {
        let cfg = Config::parse(
            &serde_json::json!({"sdkAppID": 1, "userID": "u", "userSig": "s",
                               "serverUrl": "http://127.0.0.1:1"}),
        )
        .unwrap();
        let c = Client::start(cfg).unwrap();
        let cb = || ResultCallback::new(None, UserData(std::ptr::null_mut()));
        let params = || Params::parse(r#"{"text": "x"}"#).unwrap();
        assert_eq!(c.call("createTextMessage", params(), cb()), Ok(()));
        c.poison();
        assert_eq!(
            c.call("createTextMessage", params(), cb()),
            Err(codes::V2IM_ERR_POISONED)
        );
        let c2 = Client::start(c.config().clone()).unwrap();
        c2.shutdown();
        assert_eq!(
            c2.call("createTextMessage", params(), cb()),
            Err(codes::V2IM_ERR_SHUTTING_DOWN)
        );
        assert_eq!(
            c2.set_event_sink(EventSink::new(None, UserData(std::ptr::null_mut()), None)),
            Err(codes::V2IM_ERR_SHUTTING_DOWN)
        );
    }
}
