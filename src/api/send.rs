//! `sendMessage`: V2TIM's checks (`send_params`), then the message goes through the send queue
//! to `openim/sendmsg` or `group_open_http_svc/send_group_msg`, and its result comes back on the
//! callback thread as `{"code", "desc", "data": V2TimMessage}` — on failure too, with status 3,
//! so the caller can tell which message failed.
//!
//! A media message first uploads its files (`upload`) on the worker that took it, so it keeps
//! its place in its conversation's order; `onSendMessageProgress` follows the bytes (0..99),
//! and 100 comes with success. The URLs are kept in the registry, so a resend after a failure
//! (of the upload or of the REST call) uploads nothing that already went up.
//!
//! The store sees every step: the accepted message is written (and with a `dataDir` committed)
//! before `sendMessage` returns, its outcome before its events and callback run. A send whose
//! process died in between is resumed by the next client on the same `dataDir` (`resume`).

use super::send_params::{prepare_send, SendParams};
use super::{Ctx, Env, Reply};
use crate::callback::ResultCallback;
use crate::codes::{self, Error};
use crate::dispatch::Dispatcher;
use crate::model::{Elem, Message, MessageStatus};
use crate::params::Params;
use crate::registry::Registry;
use crate::result;
use crate::sender::http::RestClient;
use crate::sender::Task;
use crate::store::Put;
use serde::Serialize;
use std::sync::Arc;
use v2im_wire::c2c::SendMsgResponse;
use v2im_wire::group::SendGroupMsgResponse;
use v2im_wire::url::paths;

pub(crate) use super::send_params::param_keys;

pub(crate) fn send_message(ctx: &Ctx, params: &Params<'_>, reply: Reply) {
    let prepared =
        SendParams::parse(params).and_then(|p| prepare_send(&ctx.env.registry, &p, &ctx.self_user));
    let msg = match prepared {
        Ok(m) => m,
        Err(e) => {
            let id = params.str("id").unwrap_or_default();
            let data = refused(&ctx.env.registry, &id);
            if let Some(m) = &data {
                ctx.env
                    .store
                    .put_nowait(m.clone(), Put::State, Some((e.code, &e.desc)));
            }
            reply.fail(ctx, &e, &data.as_deref());
            return;
        }
    };
    // Durable before it is reported accepted (with a dataDir this waits for the commit).
    if let Err(e) = ctx.env.store.put(msg.clone(), Put::Accepted, None) {
        let fail = |m: &mut Message| m.status = MessageStatus::SendFail;
        let data = ctx
            .env
            .registry
            .update_shared(&msg.id, fail)
            .map(|(_, m)| m);
        reply.fail(ctx, &e, &data.as_deref());
        return;
    }
    status_event(&ctx.env.dispatch, &msg, codes::OK, "");
    if let Some(own) = &ctx.env.own {
        own.begin(msg.random);
    }
    let task = SendTask {
        msg,
        cb: Some(reply.cb),
        extra: reply.extra.map(Box::new),
        env: ctx.env.clone(),
        resumed: false,
    };
    task.submit(ctx);
}

/// The message a refused `sendMessage` reports. A message that never left (created, or failed
/// before) is marked failed, as V2TIM does; one in flight or sent is reported as it is and not
/// touched. None when there is no such message.
fn refused(registry: &Registry, id: &str) -> Option<Arc<Message>> {
    if id.is_empty() {
        return None;
    }
    let fail_unsent = |m: &mut Message| {
        if m.send_count == 0 {
            m.status = MessageStatus::SendFail;
        }
    };
    registry.update_shared(id, fail_unsent).map(|(_, m)| m)
}

/// Messages of one conversation keep their order: one in flight at a time (see `sender::queue`).
fn conversation(m: &Message) -> String {
    match (&m.group_id, &m.user_id) {
        (Some(g), _) => ["g:", g].concat(),
        (None, Some(u)) => ["c:", u].concat(),
        (None, None) => ["m:", &m.id].concat(),
    }
}

/// `onMessageStatusChanged` data; serialised straight from the message (no `Value` copy).
#[derive(Serialize)]
struct StatusChanged<'a> {
    message: &'a Message,
    status: i32,
    code: i32,
    desc: &'a str,
}

/// `onSendMessageProgress` data: which message, and how far. The whole message comes with
/// `onMessageStatusChanged`; a 20 MB upload reports up to 99 times, and each would carry it.
#[derive(Serialize)]
struct Progress<'a> {
    id: &'a str,
    #[serde(rename = "msgID")]
    msg_id: &'a str,
    progress: i32,
}

impl<'a> Progress<'a> {
    fn of(m: &'a Message, progress: i32) -> Self {
        Progress {
            id: &m.id,
            msg_id: m.msg_id.as_deref().unwrap_or(""),
            progress,
        }
    }
}

fn status_event(d: &Dispatcher, m: &Message, code: i32, desc: &str) {
    d.event("onMessageStatusChanged", || StatusChanged {
        message: m,
        status: m.status.value(),
        code,
        desc,
    });
}

/// `onMessageStatusChanged` that waits for a listener (see `Dispatcher::event_held`): the only
/// report of a send resumed from an earlier run.
pub(super) fn held_status_event(d: &Dispatcher, m: &Message, code: i32, desc: &str) {
    d.event_held("onMessageStatusChanged", || StatusChanged {
        message: m,
        status: m.status.value(),
        code,
        desc,
    });
}

/// One queued send. `cb` is taken when the result is posted, so it is posted once. Kept small
/// (tens of bytes besides the message): 100,000 of them may wait.
pub(super) struct SendTask {
    pub(super) msg: Arc<Message>,
    pub(super) cb: Option<ResultCallback>,
    /// The params' `@extra`, rarely given: boxed once more to keep a queued task at 56 bytes
    /// (a fat pointer here makes every queued message 16 bytes bigger).
    pub(super) extra: Option<Box<super::Extra>>,
    pub(super) env: Arc<Env>,
    /// Resumed from an earlier run: no result callback, its events wait for a listener.
    pub(super) resumed: bool,
}

// 100,000 queued messages are 100,000 of these: a field that grows it shows in their memory.
const _: () = assert!(std::mem::size_of::<SendTask>() <= 56);

enum Sent {
    C2c(SendMsgResponse),
    Group(SendGroupMsgResponse),
}

impl SendTask {
    pub(super) fn submit(self, ctx: &Ctx) {
        let conv = conversation(&self.msg);
        let rank = usize::from(self.msg.options.priority.rank());
        let msg = self.msg.clone();
        ctx.sender.submit(&msg.id, &conv, rank, Box::new(self));
    }

    /// Records the outcome (committed before anyone hears of it, with a `dataDir`).
    fn record(&self, msg: &Arc<Message>, code: i32, desc: &str) {
        if let Err(e) = self
            .env
            .store
            .put(msg.clone(), Put::State, Some((code, desc)))
        {
            self.env.dispatch.log(crate::config::LogLevel::Error, || {
                format!("store: outcome of {} not recorded: {e}", msg.id)
            });
        }
    }

    /// The send has its outcome in the registry: a copy on the channel now finds its msgID.
    fn end_own(&self) {
        if let Some(own) = &self.env.own {
            own.end(self.msg.random);
        }
    }

    fn status(&self, msg: &Message, code: i32, desc: &str) {
        if self.resumed {
            held_status_event(&self.env.dispatch, msg, code, desc);
        } else {
            status_event(&self.env.dispatch, msg, code, desc);
        }
    }

    fn succeed(&mut self, sent: Sent) {
        let Some(cb) = self.cb.take() else { return };
        let mark = |m: &mut Message| match &sent {
            Sent::C2c(r) => m.mark_sent_c2c(r),
            Sent::Group(r) => m.mark_sent_group(r),
        };
        // The registry is the truth (it keeps localCustomData set meanwhile); the task's copy
        // is only used if the message was somehow removed from it.
        let msg = self
            .env
            .registry
            .update_shared(&self.msg.id, mark)
            .map(|(_, m)| m)
            .unwrap_or_else(|| {
                let mut m = Message::clone(&self.msg);
                mark(&mut m);
                Arc::new(m)
            });
        self.record(&msg, codes::OK, "");
        self.end_own();
        self.env
            .dispatch
            .event("onSendMessageProgress", || Progress::of(&msg, msg.progress));
        self.status(&msg, codes::OK, "");
        let extra = self.extra.as_deref().map(Box::as_ref);
        let json = result::envelope_with(codes::OK, "", |o| msg.write_json(o), extra);
        self.env.dispatch.complete(cb, codes::OK, json);
    }

    /// Uploads the files of a media message that have no URL yet and puts the URLs into the
    /// registry's message and this task's copy.
    fn upload(&mut self, rest: &RestClient) -> codes::Result<()> {
        let id = self.msg.id.clone();
        let (registry, dispatch) = (&self.env.registry, &self.env.dispatch);
        let mut last = -1;
        let mut on_progress = |p: i32| {
            if p > last {
                last = p;
                if let Some((_, m)) = registry.update_shared(&id, |m| m.progress = p) {
                    dispatch.event("onSendMessageProgress", || Progress::of(&m, p));
                }
            }
            !rest.is_stopped()
        };
        let Some(elems) = self
            .env
            .uploader
            .upload_elems(&self.msg.elems, &mut on_progress)?
        else {
            return Ok(());
        };
        let set = |m: &mut Message| m.elems.clone_from(&elems);
        self.msg = match self.env.registry.update_shared(&id, set) {
            Some((_, m)) => m,
            None => {
                let mut m = Message::clone(&self.msg);
                m.elems = elems;
                Arc::new(m)
            }
        };
        Ok(())
    }

    fn fail(&mut self, err: &Error) {
        let Some(cb) = self.cb.take() else { return };
        let fail = |m: &mut Message| m.status = MessageStatus::SendFail;
        let msg = self
            .env
            .registry
            .update_shared(&self.msg.id, fail)
            .map(|(_, m)| m)
            .unwrap_or_else(|| {
                let mut m = Message::clone(&self.msg);
                fail(&mut m);
                Arc::new(m)
            });
        self.record(&msg, err.code, &err.desc);
        self.end_own();
        self.status(&msg, err.code, &err.desc);
        let json = result::failure(err, &*msg, self.extra.as_deref().map(Box::as_ref));
        self.env.dispatch.complete(cb, err.code, json);
    }
}

impl Task for SendTask {
    fn execute(&mut self, rest: &RestClient) {
        if self.msg.elems.iter().any(Elem::needs_upload) {
            if let Err(e) = self.upload(rest) {
                self.fail(&e);
                return;
            }
        }
        let outcome = if self.msg.group_id.is_some() {
            rest.post(paths::SEND_GROUP_MSG, &self.msg.to_group_request())
                .map(Sent::Group)
        } else {
            rest.post(paths::SENDMSG, &self.msg.to_sendmsg_request())
                .map(Sent::C2c)
        };
        match outcome {
            // Accepted but not delivered: under frequency control the server answers OK with a
            // MsgDropReason. Reporting success would lose the message silently.
            Ok(Sent::Group(r)) if !r.msg_drop_reason.is_empty() => self.fail(&Error::new(
                codes::ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
                format!(
                    "the server dropped the message (MsgDropReason {}): group send rate limit",
                    r.msg_drop_reason
                ),
            )),
            Ok(sent) => self.succeed(sent),
            Err(e) => self.fail(&e),
        }
    }

    fn abort(&mut self, code: i32, desc: &str) {
        self.fail(&Error::new(code, desc));
    }
}
