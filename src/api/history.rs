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
use crate::params::{nonempty, Id, Int, Params};
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

pub(crate) fn c2c(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let parsed = v.read().map(|p: C2cParams| {
        let max_time = match &p.last_msg_id {
            // Tencent pages with MaxTime = the last message's time and its MsgKey.
            Some(key) => ctx
                .env
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

pub(crate) fn group(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let parsed = v.read().and_then(|p: GroupParams| {
        let below_seq = match &p.last_msg_id {
            None => None,
            Some(id) => Some(group_seq(&ctx.env.registry, id)?),
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
                registry: ctx.env.registry.clone(),
                dispatch: ctx.env.dispatch.clone(),
            };
            let conv = id.clone();
            ctx.sender.submit(&id, &conv, 1, Box::new(task));
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
    extra: Option<super::Extra>,
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
                    let page = c2c_page(&text, &self.self_user, &mut |id, e| {
                        self.skipped(paths::ADMIN_GETROAMMSG, id, e)
                    })?;
                    let Some((key, time)) = page.end else {
                        break;
                    };
                    if last_key.as_deref() == Some(key.as_str()) {
                        return Err(same_page());
                    }
                    last_key = Some(key);
                    max_time = time;
                    out.extend(page.msgs);
                    if page.last {
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
                    let page = group_page(&text, group, &self.self_user, &mut |id, e| {
                        self.skipped(paths::GROUP_MSG_GET_SIMPLE, id, e)
                    })?;
                    let Some(oldest) = page.end else {
                        break;
                    };
                    if below.is_some_and(|b| oldest >= b) {
                        return Err(same_page());
                    }
                    below = Some(oldest);
                    out.extend(page.msgs);
                    if page.last {
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
    fn skipped(&self, path: &str, id: Option<String>, error: &str) {
        self.dispatch.log(LogLevel::Warn, || {
            let which = match &id {
                Some(id) => format!("message {id}"),
                None => "a message whose MsgKey could not be read either".to_owned(),
            };
            format!("history: {which} left out, its {path} item not understood: {error}")
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

/// One history page as read: the messages that could be read, and where the page ends (`None`
/// for an empty page).
struct Page<End> {
    msgs: Vec<Message>,
    end: Option<End>,
    /// Nothing older follows.
    last: bool,
}

/// Hears of each item left out: its msgID (when that much could be read) and why.
type Skipped<'a> = dyn FnMut(Option<String>, &str) + 'a;

/// An `admin_getroammsg` page; it ends at the last item whose `MsgKey` could be read, or at the
/// answer's `LastMsgKey` when none could.
fn c2c_page(text: &str, self_user: &str, skipped: &mut Skipped<'_>) -> Result<Page<(String, i64)>> {
    let page: RoamPage = items::page(paths::ADMIN_GETROAMMSG, text)?;
    let mut msgs = Vec::with_capacity(page.msg_list.len());
    let mut end = None;
    for raw in &page.msg_list {
        match items::read::<RoamMsg, RoamHead>(raw) {
            Ok(m) => {
                end = Some((m.msg_key.clone(), m.msg_time_stamp));
                msgs.push(Message::from_roam(&m, self_user));
            }
            Err(Unread { head, error }) => {
                skipped(head.as_ref().map(|h| msg_id::c2c(&h.msg_key)), &error);
                if let Some(h) = head {
                    end = Some((h.msg_key, h.msg_time_stamp));
                }
            }
        }
    }
    if end.is_none() && !page.msg_list.is_empty() {
        if page.last_msg_key.is_empty() {
            return Err(unpageable(paths::ADMIN_GETROAMMSG));
        }
        end = Some((page.last_msg_key, page.last_msg_time));
    }
    Ok(Page {
        msgs,
        end,
        last: page.complete != 0,
    })
}

/// A `group_msg_get_simple` page of `group`; it ends at its smallest `MsgSeq`.
fn group_page(
    text: &str,
    group: &str,
    self_user: &str,
    skipped: &mut Skipped<'_>,
) -> Result<Page<u64>> {
    let page: GroupPage = items::page(paths::GROUP_MSG_GET_SIMPLE, text)?;
    let mut msgs = Vec::with_capacity(page.rsp_msg_list.len());
    let mut oldest: Option<u64> = None;
    for raw in &page.rsp_msg_list {
        let seq = match items::read::<GroupMsg, GroupHead>(raw) {
            Ok(m) => {
                msgs.push(Message::from_group_msg(&m, group, self_user));
                Some(m.msg_seq)
            }
            Err(Unread { head, error }) => {
                let id = head
                    .as_ref()
                    .map(|h| msg_id::group(h.msg_seq, h.msg_random, h.msg_time_stamp));
                skipped(id, &error);
                head.map(|h| h.msg_seq)
            }
        };
        if let Some(s) = seq {
            oldest = Some(oldest.map_or(s, |o| o.min(s)));
        }
    }
    if oldest.is_none() && !page.rsp_msg_list.is_empty() {
        return Err(unpageable(paths::GROUP_MSG_GET_SIMPLE));
    }
    Ok(Page {
        msgs,
        end: oldest,
        last: page.is_finished == 1,
    })
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
            Ok(list) => result::envelope(codes::OK, "", list, self.extra.as_deref()),
            Err(e) => result::failure(e, &Value::Null, self.extra.as_deref()),
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
                result::failure(&e, &Value::Null, self.extra.as_deref()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `MsgBody` of mergers `layers` deep around an empty list.
    fn relays(layers: usize) -> String {
        (0..layers).fold("[]".to_owned(), |body, _| {
            format!(
                r#"[{{"MsgType":"TIMRelayElem","MsgContent":{{"MsgList":[{{"MsgBody":{body}}}]}}}}]"#
            )
        })
    }

    const TEXT: &str = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"t"}}]"#;

    fn c2c_item(seq: u32, time: i64, body: &str) -> String {
        format!(
            r#"{{"From_Account":"a","To_Account":"b","MsgSeq":{seq},"MsgRandom":1,"MsgTimeStamp":{time},"MsgKey":"{seq}_1_{time}","MsgBody":{body}}}"#
        )
    }

    fn group_item(seq: u64, body: &str) -> String {
        format!(
            r#"{{"From_Account":"a","MsgPriority":2,"MsgRandom":1,"MsgSeq":{seq},"MsgTimeStamp":7,"MsgBody":{body}}}"#
        )
    }

    type Heard = Vec<(Option<String>, String)>;

    fn c2c(text: &str) -> (Result<Page<(String, i64)>>, Heard) {
        let mut heard = Vec::new();
        let page = c2c_page(text, "b", &mut |id, e| heard.push((id, e.to_owned())));
        (page, heard)
    }

    #[test]
    fn a_c2c_page_leaves_out_what_it_cannot_read_and_pages_past_it() {
        // Newest first; the oldest two cannot be read (30 layers of mergers: 150 JSON levels).
        let text = format!(
            r#"{{"ErrorCode":0,"Complete":0,"MsgList":[{},{},{}]}}"#,
            c2c_item(1, 5, TEXT),
            c2c_item(2, 4, &relays(30)),
            r#"{"MsgKey":3,"MsgTimeStamp":3}"#,
        );
        let (page, heard) = c2c(&text);
        let page = page.unwrap();
        let ids: Vec<_> = page.msgs.iter().map(|m| m.msg_id.clone()).collect();
        assert_eq!(ids, [Some("1_1_5".to_owned())]);
        // It ends at the last item whose MsgKey could be read.
        assert_eq!(page.end, Some(("2_1_4".to_owned(), 4)));
        assert!(!page.last);
        assert_eq!(heard.len(), 2, "{heard:?}");
        assert_eq!(heard[0].0.as_deref(), Some("2_1_4"));
        assert!(heard[0].1.contains("recursion limit exceeded"), "{heard:?}");
        assert_eq!(heard[1].0, None);
        assert!(heard[1].1.contains("invalid type"), "{heard:?}");

        // Nothing readable: the answer's own LastMsgKey says where it ends, else it is an error.
        let (page, _) =
            c2c(r#"{"Complete":1,"LastMsgKey":"9_1_9","LastMsgTime":9,"MsgList":[{"MsgKey":1}]}"#);
        let page = page.unwrap();
        assert_eq!((page.end, page.last), (Some(("9_1_9".to_owned(), 9)), true));
        let (page, _) = c2c(r#"{"MsgList":[{"MsgKey":1}]}"#);
        assert_eq!(page.err().unwrap().code, codes::V2IM_ERR_BAD_RESPONSE);
        let (page, heard) = c2c(r#"{"Complete":1,"MsgList":[]}"#);
        assert!(page.unwrap().end.is_none() && heard.is_empty());
        let (page, _) = c2c("not JSON");
        assert_eq!(page.err().unwrap().code, codes::V2IM_ERR_BAD_RESPONSE);
    }

    #[test]
    fn a_group_page_leaves_out_what_it_cannot_read_and_pages_past_it() {
        let text = format!(
            r#"{{"IsFinished":0,"RspMsgList":[{},{},{}]}}"#,
            group_item(12, TEXT),
            group_item(11, &relays(30)),
            group_item(10, r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]"#),
        );
        let mut heard = Vec::new();
        let page = group_page(&text, "g", "b", &mut |id, e| heard.push((id, e.to_owned())));
        let page = page.unwrap();
        assert_eq!(page.msgs.len(), 1);
        assert_eq!(page.msgs[0].msg_id.as_deref(), Some("12_1_7"));
        assert_eq!((page.end, page.last), (Some(10), false));
        let ids: Vec<_> = heard.iter().map(|(id, _)| id.as_deref()).collect();
        assert_eq!(ids, [Some("11_1_7"), Some("10_1_7")]);
        let mut none = |_: Option<String>, _: &str| {};
        let e = group_page(r#"{"RspMsgList":[{"MsgSeq":"x"}]}"#, "g", "b", &mut none);
        assert_eq!(e.err().unwrap().code, codes::V2IM_ERR_BAD_RESPONSE);
    }
}
