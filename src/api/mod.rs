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
pub mod resume;
pub mod send;
pub mod send_params;

use crate::callback::ResultCallback;
use crate::codes;
use crate::dispatch::Dispatcher;
use crate::registry::Registry;
use crate::result;
use crate::sender::Sender;
use crate::store::{Put, Store};
use create::LocalData;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Everything a method needs: the client's user, its messages, its callback thread, its sender,
/// its store, its media uploader.
pub struct Ctx {
    pub self_user: String,
    pub registry: Arc<Registry>,
    pub dispatch: Arc<Dispatcher>,
    pub sender: Sender,
    pub store: Arc<Store>,
    pub uploader: Arc<crate::upload::Uploader>,
}

/// Params naming one stored message, and lists of them.
const ID_KEYS: &[&str] = &["id", "msgID"];
const ID_LIST_KEYS: &[&str] = &["messageIDList", "msgIDList"];

/// Brings messages of earlier runs that `params` names from the store into the registry, so
/// every method (find, resend, forward, local data, cancel) sees them. Only with a `dataDir`:
/// in memory, the store holds nothing the registry lacks.
fn fault_in(ctx: &Ctx, params: &Map<String, Value>) {
    if !ctx.store.is_durable() {
        return;
    }
    let one = |id: &str| {
        if !id.is_empty() && !ctx.registry.contains(id) {
            if let Some(m) = ctx.store.load(id) {
                ctx.registry.insert(m);
            }
        }
    };
    for k in ID_KEYS {
        if let Some(id) = params.get(*k).and_then(Value::as_str) {
            one(id);
        }
    }
    for k in ID_LIST_KEYS {
        if let Some(list) = params.get(*k).and_then(Value::as_array) {
            list.iter().filter_map(Value::as_str).for_each(one);
        }
    }
}

/// Stores what a local method changed: created messages (no wait: only an accepted send is
/// owed durability) and `localCustomData` (committed before the callback with a `dataDir`).
fn store_local(
    ctx: &Ctx,
    method: &str,
    params: &Map<String, Value>,
    outcome: codes::Result<LocalData>,
) -> codes::Result<LocalData> {
    match (&outcome, method) {
        (Ok(LocalData::Created(m) | LocalData::Message(m)), _) if method.starts_with("create") => {
            ctx.store.put_nowait(m.clone(), Put::State, None);
        }
        (Ok(_), "setLocalCustomData") => {
            let id = params.get("msgID").and_then(Value::as_str).unwrap_or("");
            if let Some(m) = ctx.registry.get_shared(id) {
                ctx.store.put(m, Put::State, None)?;
            }
        }
        _ => {}
    }
    outcome
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
    fault_in(ctx, params);
    let local = create::call_create(method, params, &ctx.registry, &ctx.self_user)
        .or_else(|| local::call_local(method, params, &ctx.registry))
        .map(|outcome| store_local(ctx, method, params, outcome));
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
