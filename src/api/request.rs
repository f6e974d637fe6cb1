//! A network method that is a few REST calls and no local state: it runs on a sender thread
//! (sharing the queue's workers, bounds and shutdown) in a conversation of its own, and its
//! result goes to the callback thread.

use super::{Ctx, Reply};
use crate::codes::{self, Error, Result};
use crate::dispatch::Dispatcher;
use crate::result;
use crate::sender::http::RestClient;
use crate::sender::Task;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Ids no message can have.
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Queues `run`; its `Ok` is the result's `data`.
pub(crate) fn submit<F>(ctx: &Ctx, reply: Reply, run: F)
where
    F: FnOnce(&RestClient) -> Result<Value> + Send + 'static,
{
    let id = format!("#request-{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed));
    let task = Request {
        run: Some(run),
        reply: Some(reply),
        dispatch: ctx.env.dispatch.clone(),
    };
    let conv = id.clone();
    ctx.sender.submit(&id, &conv, 1, Box::new(task));
}

struct Request<F> {
    run: Option<F>,
    reply: Option<Reply>,
    dispatch: Arc<Dispatcher>,
}

impl<F> Request<F> {
    fn finish(&mut self, outcome: Result<Value>) {
        let Some(Reply { cb, extra }) = self.reply.take() else {
            return;
        };
        let (code, json) = match &outcome {
            Ok(data) => (
                codes::OK,
                result::envelope(codes::OK, "", data, extra.as_deref()),
            ),
            Err(e) => (e.code, result::failure(e, &Value::Null, extra.as_deref())),
        };
        self.dispatch.complete(cb, code, json);
    }
}

impl<F> Task for Request<F>
where
    F: FnOnce(&RestClient) -> Result<Value> + Send + 'static,
{
    fn execute(&mut self, rest: &RestClient) {
        if let Some(run) = self.run.take() {
            let outcome = run(rest);
            self.finish(outcome);
        }
    }

    fn abort(&mut self, code: i32, desc: &str) {
        self.finish(Err(Error::new(code, desc)));
    }
}
