//! The method table of `v2im_call`: JSON params -> typed requests -> results.
//!
//! Local methods (`createXxxMessage`, `findMessages`, `setLocalCustomData`) complete on the
//! calling thread before `call` returns. Network methods (`sendMessage`, the two history
//! methods, `cancelSendMessage`) always complete on the callback thread, even when they fail
//! before anything is sent, so a caller never sees both kinds of delivery for one method.

pub mod cancel;
pub mod create;
pub mod history;
pub mod local;
pub mod send;
pub mod send_params;

use crate::callback::ResultCallback;
use crate::codes;
use crate::dispatch::Dispatcher;
use crate::registry::Registry;
use crate::result;
use crate::sender::Sender;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Everything a method needs: the client's user, its messages, its callback thread, its sender.
pub struct Ctx {
    pub self_user: String,
    pub registry: Arc<Registry>,
    pub dispatch: Arc<Dispatcher>,
    pub sender: Sender,
}

/// The params key echoed unchanged into the result (rule 1).
pub const EXTRA_KEY: &str = "@extra";

/// Runs `method`. `Err(code)` only for an unknown method: then nothing ran and `cb` is dropped
/// without being called. Otherwise `cb` runs exactly once, now (local methods) or on the
/// callback thread (network methods).
pub fn call(
    ctx: &Ctx,
    method: &str,
    params: &Map<String, Value>,
    cb: ResultCallback,
) -> Result<(), i32> {
    let extra = params.get(EXTRA_KEY);
    let local = create::call_create(method, params, &ctx.registry, &ctx.self_user)
        .or_else(|| local::call_local(method, params, &ctx.registry));
    if let Some(outcome) = local {
        if cb.is_some() {
            let json = match &outcome {
                Ok(data) => result::envelope(codes::OK, "", data, extra),
                Err(e) => result::failure(e, &Value::Null, extra),
            };
            let code = outcome.as_ref().map_or_else(|e| e.code, |_| codes::OK);
            ctx.dispatch.complete_now(cb, code, &json);
        }
        return Ok(());
    }
    let extra = extra.cloned();
    match method {
        "sendMessage" => send::send_message(ctx, params, cb, extra),
        "getC2CHistoryMessageList" => history::c2c(ctx, params, cb, extra),
        "getGroupHistoryMessageList" => history::group(ctx, params, cb, extra),
        "cancelSendMessage" => cancel::cancel(ctx, params, cb, extra),
        _ => return Err(codes::V2IM_ERR_UNKNOWN_METHOD),
    }
    Ok(())
}

/// Posts a failure that happened before a network request was queued (rule 3: still on the
/// callback thread).
fn fail_async<T: serde::Serialize + ?Sized>(
    ctx: &Ctx,
    cb: ResultCallback,
    err: &codes::Error,
    data: &T,
    extra: Option<&Value>,
) {
    if cb.is_some() {
        ctx.dispatch
            .complete(cb, err.code, result::failure(err, data, extra));
    }
}
