//! `cancelSendMessage {id}`: a message still waiting in the send queue is taken out; its
//! `sendMessage` callback completes with 8021 (cancelled, status 3) and this call succeeds.
//! A message in flight or already finished cannot be cancelled: 8020. An unknown id: 6017.

use super::{fail_async, Ctx};
use crate::callback::ResultCallback;
use crate::codes::{self, Error};
use crate::model::args::{self, Params};
use crate::result;
use serde_json::Value;

pub fn cancel(ctx: &Ctx, params: &Params, cb: ResultCallback, extra: Option<Value>) {
    let id = match args::req_nonempty_str(params, "id") {
        Ok(id) => id,
        Err(e) => return fail_async(ctx, cb, &e, &Value::Null, extra.as_ref()),
    };
    // Resolve a msgID to the local id the queue knows.
    let Some(local_id) = ctx.registry.read(id, |m| m.id.clone()) else {
        let e = Error::invalid_param(format!("id: no message with id \"{id}\""));
        return fail_async(ctx, cb, &e, &Value::Null, extra.as_ref());
    };
    match ctx.sender.cancel(&local_id) {
        Some(mut task) => {
            // The send's own callback first, then this one: both on the callback thread.
            task.abort(
                codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
                "send cancelled by cancelSendMessage",
            );
            if cb.is_some() {
                let data = ctx
                    .registry
                    .get(&local_id)
                    .map_or(Value::Null, |m| m.to_json());
                ctx.dispatch.complete(
                    cb,
                    codes::OK,
                    result::envelope(codes::OK, "", &data, extra.as_ref()),
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
            fail_async(ctx, cb, &e, &Value::Null, extra.as_ref());
        }
    }
}
