//! What a new client does with the sends an earlier run on the same `dataDir` accepted but
//! never finished (the process died between accepting and the outcome).
//!
//! `resumePendingOnStart` true (default): each is queued again in its old accept order, with
//! its MsgRandom/Random and MsgSeq, so if an earlier attempt did reach the server, the server
//! drops the copy and answers as it did the first time. False: each is marked failed with
//! `V2IM_ERR_NOT_RESUMED`.
//!
//! Their original result callbacks died with the old process, so every outcome is reported by
//! an `onMessageStatusChanged` event that waits for a listener: events from before the app set
//! one with `v2im_set_event_callback` are kept and given to the first listener, in order. The
//! outcomes are also in the store, so `findMessages` shows them whenever the app asks.

use super::send::{held_status_event, SendTask};
use super::Ctx;
use crate::callback::ResultCallback;
use crate::codes;
use crate::config::LogLevel;
use crate::model::{Message, MessageStatus};
use crate::store::Put;
use std::sync::Arc;

/// Resumes (or fails) every unfinished send of an earlier run.
pub fn resume_pending(ctx: &Ctx, pending: Vec<Message>, resume: bool) {
    if pending.is_empty() {
        return;
    }
    let n = pending.len();
    ctx.env.dispatch.log(LogLevel::Info, || {
        let what = if resume { "resuming" } else { "failing" };
        format!("store: {what} {n} unfinished sends of an earlier run")
    });
    for mut m in pending {
        if resume {
            let msg = Arc::new(m);
            ctx.env.registry.insert_shared(msg.clone());
            held_status_event(
                &ctx.env.dispatch,
                &msg,
                codes::OK,
                "resumed after a restart",
            );
            if let Some(own) = &ctx.env.own {
                own.begin(msg.random);
            }
            SendTask {
                msg,
                cb: Some(ResultCallback::none()),
                extra: None,
                env: ctx.env.clone(),
                resumed: true,
            }
            .submit(ctx);
        } else {
            m.status = MessageStatus::SendFail;
            let msg = Arc::new(m);
            ctx.env.registry.insert_shared(msg.clone());
            let desc =
                "unfinished send of an earlier run, not resumed (resumePendingOnStart false)";
            let code = codes::V2IM_ERR_NOT_RESUMED;
            if let Err(e) = ctx
                .env
                .store
                .put(msg.clone(), Put::State, Some((code, desc)))
            {
                ctx.env.dispatch.log(LogLevel::Error, || {
                    format!("store: failure of {} not recorded: {e}", msg.id)
                });
            }
            held_status_event(&ctx.env.dispatch, &msg, code, desc);
        }
    }
}
