//! `v2im_call`'s methods: JSON params -> typed requests -> results. The table of methods is
//! `methods.rs`; each method's code is in the file named after it.
//!
//! Local methods (`createXxxMessage`, `findMessages`, `setLocalCustomData`) complete on the
//! calling thread before `call` returns. Network methods (`sendMessage`, the two history
//! methods, `cancelSendMessage`) always complete on the callback thread, even when they fail
//! before anything is sent, so a caller never sees both kinds of delivery for one method.

mod cancel;
mod conversations;
mod create;
mod data;
mod history;
mod local;
pub(crate) mod methods;
mod read;
mod request;
pub(crate) mod resume;
mod send;
mod send_params;

#[cfg(test)]
mod tests;

pub(crate) use data::LocalData;

use crate::callback::ResultCallback;
use crate::codes;
use crate::dispatch::Dispatcher;
use crate::params::Params;
use crate::registry::Registry;
use crate::result;
use crate::sender::Sender;
use crate::store::{Put, Store};
use methods::{Keeps, Local, Run};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

/// Everything a method needs: the client's user, its messages, its callback thread, its sender,
/// its store, its media uploader.
pub(crate) struct Ctx {
    pub self_user: String,
    pub sender: Sender,
    /// The client's messages, callback thread, store, uploader and own sends: shared by every
    /// queued send (one reference each).
    pub env: Arc<Env>,
}

/// A client's parts that methods and queued sends use.
pub(crate) struct Env {
    pub registry: Arc<Registry>,
    pub dispatch: Arc<Dispatcher>,
    pub store: Arc<Store>,
    pub uploader: Arc<crate::upload::Uploader>,
    /// With `receive`: this client's sends in flight, which the channel must not report as
    /// received; a send ends its entry (`OwnSends::end`) once its outcome is in the registry.
    pub own: Option<Arc<crate::receive::OwnSends>>,
}

impl Ctx {
    pub(crate) fn new(
        self_user: String,
        registry: Arc<Registry>,
        dispatch: Arc<Dispatcher>,
        sender: Sender,
        store: Arc<Store>,
        uploader: Arc<crate::upload::Uploader>,
        own: Option<Arc<crate::receive::OwnSends>>,
    ) -> Ctx {
        Ctx {
            self_user,
            sender,
            env: Arc::new(Env {
                registry,
                dispatch,
                store,
                uploader,
                own,
            }),
        }
    }
}

/// The params' `@extra` as the caller wrote it, echoed into the result.
pub(crate) type Extra = Box<RawValue>;

/// Where a network method's result goes: the caller's callback, with the params' `@extra`.
pub(crate) struct Reply {
    pub cb: ResultCallback,
    pub extra: Option<Extra>,
}

impl Reply {
    /// A failure found before a request was queued (still on the callback thread).
    fn fail<T: serde::Serialize + ?Sized>(self, ctx: &Ctx, err: &codes::Error, data: &T) {
        if self.cb.is_some() {
            let json = result::failure(err, data, self.extra.as_deref());
            ctx.env.dispatch.complete(self.cb, err.code, json);
        }
    }
}

/// Params naming one stored message, and lists of them.
const ID_KEYS: &[&str] = &["id", "msgID"];
const ID_LIST_KEYS: &[&str] = &["messageIDList", "msgIDList"];

/// Brings messages of earlier runs that `params` names from the store into the registry, so
/// every method (find, resend, forward, local data, cancel) sees them. Only with a `dataDir`:
/// in memory, the store holds nothing the registry lacks.
fn fault_in(ctx: &Ctx, params: &Params<'_>) {
    if !ctx.env.store.is_durable() {
        return;
    }
    let one = |id: &str| {
        if !id.is_empty() && !ctx.env.registry.contains(id) {
            if let Some(m) = ctx.env.store.load(id) {
                ctx.env.registry.insert(m);
            }
        }
    };
    for k in ID_KEYS {
        if let Some(id) = params.str(k) {
            one(&id);
        }
    }
    for k in ID_LIST_KEYS {
        params.str_list(k).iter().for_each(|id| one(id));
    }
}

/// Stores what a local method changed (see [`Keeps`]).
fn keep(ctx: &Ctx, keeps: Keeps, params: &Params<'_>, data: &LocalData) -> codes::Result<()> {
    match (keeps, data) {
        (Keeps::Created, LocalData::Created(m) | LocalData::Message(m)) => {
            ctx.env.store.put_nowait(m.clone(), Put::State, None);
        }
        (Keeps::Changed, _) => {
            let id = params.str("msgID").unwrap_or_default();
            if let Some(m) = ctx.env.registry.get_shared(&id) {
                ctx.env.store.put(m, Put::State, None)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The params key echoed unchanged into the result.
pub(crate) const EXTRA_KEY: &str = "@extra";

/// Runs `method` with `params` (a JSON object). `Err(code)` only for an unknown method: then
/// nothing ran and `cb` is dropped without being called. Otherwise `cb` runs exactly once, now
/// (local methods) or on the callback thread (network methods).
pub(crate) fn call(
    ctx: &Ctx,
    method: &str,
    mut params: Params<'_>,
    cb: ResultCallback,
) -> Result<(), i32> {
    let m = methods::find(method).ok_or(codes::V2IM_ERR_UNKNOWN_METHOD)?;
    // A repeated key is refused (before `@extra` is taken: two of those are refused too, and
    // neither is echoed).
    let repeated = params.refuse_repeated_keys("");
    let extra = params.take(EXTRA_KEY);
    let known = repeated.and_then(|()| params.refuse_unknown_keys((m.keys)()));
    if known.is_ok() {
        fault_in(ctx, &params);
    }
    match m.run {
        Run::Local(run) => {
            let local = Local {
                registry: &ctx.env.registry,
                self_user: &ctx.self_user,
            };
            let outcome = known.and_then(|()| run(local, &params)).and_then(|data| {
                keep(ctx, m.keeps, &params, &data)?;
                Ok(data)
            });
            if cb.is_some() {
                let json = match &outcome {
                    Ok(data) => result::envelope_with(codes::OK, "", |o| data.write_json(o), extra),
                    Err(e) => result::failure(e, &Value::Null, extra),
                };
                let code = outcome.as_ref().map_or_else(|e| e.code, |_| codes::OK);
                ctx.env.dispatch.complete_now(cb, code, &json);
            }
        }
        Run::Network(run) => {
            let reply = Reply {
                cb,
                extra: extra.map(ToOwned::to_owned),
            };
            match known {
                Ok(()) => run(ctx, &params, reply),
                Err(e) => reply.fail(ctx, &e, &Value::Null),
            }
        }
    }
    Ok(())
}
