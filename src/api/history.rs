//! `getC2CHistoryMessageList {userID, count, lastMsgID?}` and
//! `getGroupHistoryMessageList {groupID, count, lastMsgID?}`: newest first, as V2TIM returns them;
//! `lastMsgID` continues after (older than) that message. `count` is 1..=1000; the library pages
//! through the REST endpoints (20 messages per group request) until it has `count` messages or
//! the history ends. `msgID`s are the ones `sendMessage`
//! returned, and a message this client has in its registry shows its `localCustomData`, which
//! never leaves the process.
//!
//! Pages are read item by item (`crate::items`): a message this client cannot read is left out,
//! reported by an `onLog` warning that names its msgID, and paged past; the others are returned.

use super::{Ctx, Reply};
use crate::callback::ResultCallback;
use crate::codes::{self, Error, Result};
use crate::config::LogLevel;
use crate::dispatch::Dispatcher;
use crate::items::{self, Raw, Unread};
use crate::model::message::now_secs;
use crate::model::{msg_id, Message};
use crate::params::{self, nonempty, Id, Int};
use crate::registry::Registry;
use crate::result;
use crate::sender::http::RestClient;
use crate::sender::Task;
use serde::Deserialize;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use v2im_wire::c2c::{GetRoamMsgRequest, RoamMsg};
use v2im_wire::group::{GroupMsg, GroupMsgGetSimpleRequest};
use v2im_wire::url::paths;

/// `count`: 1 to 1000 messages.
type Count = Int<1, 1000>;
/// `group_msg_get_simple` returns at most 20 messages per request (Tencent's limit).
const GROUP_PAGE: i64 = 20;
/// Slack on `MaxTime` for a server clock slightly ahead of ours.
const CLOCK_SLACK_SECS: i64 = 300;

/// History requests go through the send queue (so they share its workers and shutdown), each in
/// a conversation of its own, under an id no message can have.
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    format!("#history-{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed))
}

enum Target {
    C2c {
        peer: String,
        last_key: Option<String>,
        max_time: i64,
    },
    Group {
        group: String,
        below_seq: Option<u64>,
    },
}

#[derive(Deserialize)]
pub(crate) struct C2cParams {
    #[serde(rename = "userID")]
    user_id: Id,
    count: Count,
    #[serde(rename = "lastMsgID", default, deserialize_with = "nonempty")]
    last_msg_id: Option<String>,
}

pub(crate) fn c2c(ctx: &Ctx, v: &Value, reply: Reply) {
    let parsed = params::parse("", v).map(|p: C2cParams| {
        let max_time = match &p.last_msg_id {
            // Tencent pages with MaxTime = the last message's time and its MsgKey.
            Some(key) => ctx
                .registry
                .read(key, |m| m.timestamp)
                .or_else(|| key.rsplit('_').next().and_then(|t| t.parse().ok()))
                .unwrap_or_else(|| now_secs() + CLOCK_SLACK_SECS),
            None => now_secs() + CLOCK_SLACK_SECS,
        };
        let target = Target::C2c {
            peer: p.user_id.0,
            last_key: p.last_msg_id,
            max_time,
        };
        (target, p.count.0)
    });
    submit(ctx, parsed, reply);
}

#[derive(Deserialize)]
pub(crate) struct GroupParams {
    #[serde(rename = "groupID")]
    group_id: Id,
    count: Count,
    #[serde(rename = "lastMsgID", default, deserialize_with = "nonempty")]
    last_msg_id: Option<String>,
}

pub(crate) fn group(ctx: &Ctx, v: &Value, reply: Reply) {
    let parsed = params::parse("", v).and_then(|p: GroupParams| {
        let below_seq = match &p.last_msg_id {
            None => None,
            Some(id) => Some(group_seq(&ctx.registry, id)?),
        };
        let target = Target::Group {
            group: p.group_id.0,
            below_seq,
        };
        Ok((target, p.count.0))
    });
    submit(ctx, parsed, reply);
}

/// The group seq of `lastMsgID`: from the registry, or from the msgID's `{seq}_{random}_{time}`.
fn group_seq(registry: &Registry, id: &str) -> Result<u64> {
    registry
        .read(id, |m| m.seq.as_deref().and_then(|s| s.parse().ok()))
        .flatten()
        .or_else(|| id.split('_').next().and_then(|s| s.parse().ok()))
        .ok_or_else(|| {
            Error::invalid_param(format!("lastMsgID: \"{id}\" is not a group message id"))
        })
}

fn submit(ctx: &Ctx, parsed: Result<(Target, i64)>, reply: Reply) {
    match parsed {
        Err(e) => reply.fail(ctx, &e, &Value::Null),
        Ok((target, count)) => {
            let Reply { cb, extra } = reply;
            let id = request_id();
            let task = HistoryTask {
                target,
                count,
                self_user: ctx.self_user.clone(),
                cb: Some(cb),
                extra,
                registry: ctx.registry.clone(),
                dispatch: ctx.dispatch.clone(),
            };
            let conv = id.clone();
            ctx.sender.submit(id, &conv, 1, Box::new(task));
        }
    }
}

/// An `admin_getroammsg` answer, its messages unread yet.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoamPage<'a> {
    #[serde(default)]
    complete: i64,
    /// Where the page ends (Tencent's paging fields), for a page whose last messages are unread.
    #[serde(default)]
    last_msg_key: String,
    #[serde(default)]
    last_msg_time: i64,
    #[serde(default, borrow)]
    msg_list: Vec<Raw<'a>>,
}

/// What names a C2C item and pages past it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoamHead {
    msg_key: String,
    msg_time_stamp: i64,
}

/// A `group_msg_get_simple` answer, its messages unread yet.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupPage<'a> {
    #[serde(default)]
    is_finished: i64,
    #[serde(default, borrow)]
    rsp_msg_list: Vec<Raw<'a>>,
}

/// What names a group item and pages past it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupHead {
    msg_seq: u64,
    #[serde(default)]
    msg_random: u32,
    #[serde(default)]
    msg_time_stamp: i64,
}

struct HistoryTask {
    target: Target,
    count: i64,
    self_user: String,
    cb: Option<ResultCallback>,
    extra: Option<Value>,
    registry: Arc<Registry>,
    dispatch: Arc<Dispatcher>,
}

impl HistoryTask {
    /// Pages through the history until `count` messages or its end, within one request's
    /// deadline in all (a server that always reports another page cannot hold a sender thread),
    /// and stops at once when the client shuts down.
    fn fetch(&self, rest: &RestClient) -> Result<Vec<Message>> {
        let deadline = rest.deadline();
        let mut pages = 0u32;
        let mut go_on = |out: &Vec<Message>| {
            pages += 1;
            if pages == 1 {
                return Ok(());
            }
            rest.go_on(deadline, || {
                format!(
                    "history: {} of {} messages in {} pages",
                    out.len(),
                    self.count,
                    pages - 1
                )
            })
        };
        let same_page = || {
            Error::new(
                codes::V2IM_ERR_BAD_RESPONSE,
                "history: the server gave the same page again",
            )
        };
        let mut out = Vec::new();
        match &self.target {
            Target::C2c {
                peer,
                last_key,
                max_time,
            } => {
                let mut last_key = last_key.clone();
                let mut max_time = *max_time;
                while (out.len() as i64) < self.count {
                    go_on(&out)?;
                    let req = GetRoamMsgRequest {
                        operator_account: self.self_user.clone(),
                        peer_account: peer.clone(),
                        max_cnt: self.count - out.len() as i64,
                        min_time: 0,
                        max_time,
                        last_msg_key: last_key.clone(),
                    };
                    let text = rest.post_text(paths::ADMIN_GETROAMMSG, &req)?;
                    let page: RoamPage = items::page(paths::ADMIN_GETROAMMSG, &text)?;
                    if page.msg_list.is_empty() {
                        break;
                    }
                    let mut msgs = Vec::with_capacity(page.msg_list.len());
                    let mut end = None;
                    for raw in &page.msg_list {
                        match items::read::<RoamMsg, RoamHead>(raw) {
                            Ok(m) => {
                                end = Some((m.msg_key.clone(), m.msg_time_stamp));
                                msgs.push(Message::from_roam(&m, &self.self_user));
                            }
                            Err(u) => {
                                let id = u.head.as_ref().map(|h| msg_id::c2c(&h.msg_key));
                                if let Some(h) = &u.head {
                                    end = Some((h.msg_key.clone(), h.msg_time_stamp));
                                }
                                self.skipped(paths::ADMIN_GETROAMMSG, id, &u);
                            }
                        }
                    }
                    let (key, time) = match end {
                        Some(e) => e,
                        None if !page.last_msg_key.is_empty() => {
                            (page.last_msg_key.clone(), page.last_msg_time)
                        }
                        None => return Err(unpageable(paths::ADMIN_GETROAMMSG)),
                    };
                    if last_key.as_deref() == Some(key.as_str()) {
                        return Err(same_page());
                    }
                    last_key = Some(key);
                    max_time = time;
                    out.extend(msgs);
                    if page.complete != 0 {
                        break;
                    }
                }
            }
            Target::Group { group, below_seq } => {
                let mut below = *below_seq;
                while (out.len() as i64) < self.count {
                    if below == Some(0) {
                        break;
                    }
                    go_on(&out)?;
                    let req = GroupMsgGetSimpleRequest {
                        group_id: group.clone(),
                        req_msg_number: (self.count - out.len() as i64).min(GROUP_PAGE),
                        req_msg_seq: below.map(|s| s - 1),
                        with_recalled_msg: None,
                    };
                    let text = rest.post_text(paths::GROUP_MSG_GET_SIMPLE, &req)?;
                    let page: GroupPage = items::page(paths::GROUP_MSG_GET_SIMPLE, &text)?;
                    if page.rsp_msg_list.is_empty() {
                        break;
                    }
                    let mut msgs = Vec::with_capacity(page.rsp_msg_list.len());
                    let mut oldest: Option<u64> = None;
                    for raw in &page.rsp_msg_list {
                        let seq = match items::read::<GroupMsg, GroupHead>(raw) {
                            Ok(m) => {
                                msgs.push(Message::from_group_msg(&m, group, &self.self_user));
                                Some(m.msg_seq)
                            }
                            Err(u) => {
                                let id = u.head.as_ref().map(|h| {
                                    msg_id::group(h.msg_seq, h.msg_random, h.msg_time_stamp)
                                });
                                self.skipped(paths::GROUP_MSG_GET_SIMPLE, id, &u);
                                u.head.map(|h| h.msg_seq)
                            }
                        };
                        if let Some(s) = seq {
                            oldest = Some(oldest.map_or(s, |o| o.min(s)));
                        }
                    }
                    let Some(oldest) = oldest else {
                        return Err(unpageable(paths::GROUP_MSG_GET_SIMPLE));
                    };
                    if below.is_some_and(|b| oldest >= b) {
                        return Err(same_page());
                    }
                    below = Some(oldest);
                    out.extend(msgs);
                    if page.is_finished == 1 {
                        break;
                    }
                }
            }
        }
        if matches!(self.target, Target::Group { .. }) {
            // Group seqs increase strictly: newest first whatever order pages come in. C2C
            // pages are newest first already (seq there is the sender's random MsgSeq).
            out.sort_by_key(|m| std::cmp::Reverse(seq_of(m)));
        }
        out.truncate(self.count as usize);
        for m in &mut out {
            self.merge_local(m);
        }
        Ok(out)
    }

    /// Reports a history item left out because it could not be read.
    fn skipped<H>(&self, path: &str, id: Option<String>, u: &Unread<H>) {
        self.dispatch.log(LogLevel::Warn, || {
            let which = match &id {
                Some(id) => format!("message {id}"),
                None => "a message whose MsgKey could not be read either".to_owned(),
            };
            format!(
                "history: {which} left out, its {path} item not understood: {}",
                u.error
            )
        });
    }

    /// What only this process knows about a message it sent: its localCustomData.
    fn merge_local(&self, m: &mut Message) {
        let Some(key) = m.msg_id.as_deref() else {
            return;
        };
        if let Some((data, int)) = self
            .registry
            .read(key, |l| (l.local_custom_data.clone(), l.local_custom_int))
        {
            m.local_custom_data = data;
            m.local_custom_int = int;
        }
    }
}

/// A page none of whose items says where it ends: there is no telling where the next begins.
fn unpageable(path: &str) -> Error {
    Error::new(
        codes::V2IM_ERR_BAD_RESPONSE,
        format!("history: no item of the {path} page could be read, so it cannot be paged past"),
    )
}

fn seq_of(m: &Message) -> u64 {
    m.seq.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

impl Task for HistoryTask {
    fn execute(&mut self, rest: &RestClient) {
        let outcome = self.fetch(rest);
        let Some(cb) = self.cb.take() else { return };
        let json = match &outcome {
            Ok(list) => result::envelope(codes::OK, "", list, self.extra.as_ref()),
            Err(e) => result::failure(e, &Value::Null, self.extra.as_ref()),
        };
        let code = outcome.as_ref().map_or_else(|e| e.code, |_| codes::OK);
        self.dispatch.complete(cb, code, json);
    }

    fn abort(&mut self, code: i32, desc: &str) {
        if let Some(cb) = self.cb.take() {
            let e = Error::new(code, desc);
            self.dispatch.complete(
                cb,
                code,
                result::failure(&e, &Value::Null, self.extra.as_ref()),
            );
        }
    }
}
