//! `cancelSendMessage {id}`: a message still waiting in the send queue is taken out; its
//! `sendMessage` callback completes with 8021 (cancelled, status 3) and this call succeeds.
//! A message in flight or already finished cannot be cancelled: 8020. An unknown id: 6017.

use super::{Ctx, Reply};
use crate::codes::{self, Error};
use crate::params::{Id, Params};
use crate::result;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(crate) struct CancelParams {
    id: Id,
}

pub(crate) fn cancel(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let id = match v.read::<CancelParams>() {
        Ok(p) => p.id.0,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    let id = id.as_str();
    // Resolve a msgID to the local id the queue knows.
    let Some(local_id) = ctx.env.registry.read(id, |m| m.id.clone()) else {
        let e = Error::invalid_param(format!("id: no message with id \"{id}\""));
        return reply.fail(ctx, &e, &Value::Null);
    };
    match ctx.sender.cancel(&local_id) {
        Some(mut task) => {
            // The send's own callback first, then this one: both on the callback thread.
            task.abort(
                codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
                "send cancelled by cancelSendMessage",
            );
            let Reply { cb, extra } = reply;
            if cb.is_some() {
                let data = ctx
                    .env
                    .registry
                    .get(&local_id)
                    .map_or(Value::Null, |m| m.to_json());
                ctx.env.dispatch.complete(
                    cb,
                    codes::OK,
                    result::envelope(codes::OK, "", &data, extra.as_deref()),
                );
            }
        }
        None => {
            let e = Error::new(
                codes::ERR_SDK_INVALID_CANCEL_MESSAGE,
                format!(
                    "message \"{id}\" is not waiting in the send queue (in flight or finished)"
                ),
            );
            reply.fail(ctx, &e, &Value::Null);
        }
    }
}
