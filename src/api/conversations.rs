//! `getConversationList {nextSeq, count}` and `getTotalUnreadMessageCount {}`, with Tencent's
//! REST commands: `recentcontact/get_list`, `openim/get_c2c_unread_msg_num` and
//! `group_open_http_svc/get_joined_group_list`.
//!
//! A conversation's unread count and last message come from v2im-server's extensions of
//! `get_list` (`UnreadMsgNum`, `C2cLastMsg`, `GroupLastMsg`); Tencent's cloud answers without
//! them, so there `unreadCount` is 0 and `lastMessage` null (the total count is Tencent's own).
//!
//! Pages are read item by item (`crate::items`): a conversation whose item cannot be read whole
//! (its last message nested too deep for the JSON parser, say) is listed without its last
//! message, with an `onLog` warning.

use super::{request, Ctx, Reply};
use crate::codes::{Error, Result, V2IM_ERR_BAD_RESPONSE};
use crate::config::LogLevel;
use crate::dispatch::Dispatcher;
use crate::items::{self, Raw};
use crate::model::conversation::Conversation;
use crate::params::{Int, Params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use v2im_wire::c2c::{
    GetC2cUnreadRequest, GetC2cUnreadResponse, GetRecentContactRequest, SessionItem,
};
use v2im_wire::group::{GetJoinedGroupListRequest, GetJoinedGroupListResponse, JoinedGroupFilter};
use v2im_wire::url::paths;

/// Pages a call may read before it gives up on a server that never says it is done.
const MAX_PAGES: usize = 100;
/// Groups per `get_joined_group_list` page.
const GROUP_PAGE: i64 = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListParams {
    /// Where to continue: "0" (or "") at first, then the `nextSeq` of the previous result.
    next_seq: String,
    count: Int<1, 100>,
}

/// Where a page continues: `get_list`'s cursor, and how many of that page's items were given
/// already. Shown to the caller as `"<TimeStamp>_<StartIndex>_<skip>"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seq {
    time_stamp: i64,
    start_index: i64,
    skip: usize,
}

impl Seq {
    fn parse(s: &str) -> Result<Seq> {
        if s.is_empty() || s == "0" {
            return Ok(Seq::default());
        }
        let bad = || Error::invalid_param(format!("nextSeq \"{s}\" is not one this client gave"));
        let mut it = s.split('_');
        let mut num = || {
            it.next()
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let seq = Seq {
            time_stamp: num()?,
            start_index: num()?,
            skip: usize::try_from(num()?).map_err(|_| bad())?,
        };
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(seq)
    }

    fn show(&self) -> String {
        format!("{}_{}_{}", self.time_stamp, self.start_index, self.skip)
    }
}

/// A `recentcontact/get_list` answer, its items unread yet.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactPage<'a> {
    #[serde(default)]
    complete_flag: i64,
    #[serde(default)]
    time_stamp: i64,
    #[serde(default)]
    start_index: i64,
    #[serde(default, borrow)]
    session_item: Vec<Raw<'a>>,
}

/// A conversation item without its last message.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SessionHead {
    #[serde(rename = "Type")]
    kind: i64,
    #[serde(rename = "To_Account", default)]
    to_account: Option<String>,
    #[serde(default)]
    group_id: Option<String>,
    #[serde(default)]
    msg_time: i64,
    #[serde(default)]
    top_flag: i64,
    #[serde(default)]
    unread_msg_num: i64,
}

/// A conversation item as `me` sees it; without its last message when only that is unreadable.
fn conversation(raw: Raw<'_>, me: &str, log: &Dispatcher) -> Option<Conversation> {
    let u = match items::read::<SessionItem, SessionHead>(raw) {
        Ok(item) => return Some(Conversation::from_session(&item, me)),
        Err(u) => u,
    };
    let item = u.head.map(|h| SessionItem {
        kind: h.kind,
        to_account: h.to_account,
        group_id: h.group_id,
        msg_time: h.msg_time,
        top_flag: h.top_flag,
        unread_msg_num: h.unread_msg_num,
        ..Default::default()
    });
    let conv = item.map(|i| Conversation::from_session(&i, me));
    log.log(LogLevel::Warn, || match &conv {
        Some(c) => format!(
            "getConversationList: {} listed without its last message, not understood: {}",
            c.id(),
            u.error
        ),
        None => format!(
            "getConversationList: a conversation left out, not understood: {}",
            u.error
        ),
    });
    conv
}

/// `V2TimConversationResult`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResult {
    next_seq: String,
    is_finished: bool,
    conversation_list: Vec<Conversation>,
}

pub(crate) fn get_conversation_list(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    let (p, seq) = match v
        .read::<ListParams>()
        .and_then(|p| Seq::parse(&p.next_seq).map(|s| (p, s)))
    {
        Ok(x) => x,
        Err(e) => return reply.fail(ctx, &e, &Value::Null),
    };
    let me = ctx.self_user.clone();
    let log = ctx.env.dispatch.clone();
    request::submit(ctx, reply, move |rest| {
        let want = p.count.0 as usize;
        let mut seq = seq;
        let mut list = Vec::with_capacity(want);
        let deadline = rest.deadline();
        for page in 0..MAX_PAGES {
            if page > 0 {
                rest.go_on(deadline, || format!("recentcontact/get_list: page {page}"))?;
            }
            let text = rest.post_text(
                paths::RECENTCONTACT_GET_LIST,
                &GetRecentContactRequest {
                    from_account: me.clone(),
                    time_stamp: seq.time_stamp,
                    start_index: seq.start_index,
                    ..Default::default()
                },
            )?;
            let page: ContactPage = items::page(paths::RECENTCONTACT_GET_LIST, &text)?;
            let items = page.session_item.iter().skip(seq.skip);
            let left = page.session_item.len().saturating_sub(seq.skip);
            let take = left.min(want - list.len());
            list.extend(items.take(take).filter_map(|i| conversation(i, &me, &log)));
            let next_page = Seq {
                time_stamp: page.time_stamp,
                start_index: page.start_index,
                skip: 0,
            };
            if take < left {
                // The page has more than was asked for: the next call starts inside it.
                seq.skip += take;
                return finish(list, seq, false);
            }
            if page.complete_flag == 1 {
                return finish(list, next_page, true);
            }
            if list.len() == want {
                return finish(list, next_page, false);
            }
            if next_page == seq {
                return Err(Error::new(
                    V2IM_ERR_BAD_RESPONSE,
                    "recentcontact/get_list: the server gave the same page again",
                ));
            }
            seq = next_page;
        }
        Err(Error::new(
            V2IM_ERR_BAD_RESPONSE,
            format!("recentcontact/get_list: not finished after {MAX_PAGES} pages"),
        ))
    });
}

fn finish(list: Vec<Conversation>, next: Seq, done: bool) -> Result<Value> {
    let r = ListResult {
        next_seq: if done { String::new() } else { next.show() },
        is_finished: done,
        conversation_list: list,
    };
    serde_json::to_value(r).map_err(|e| Error::new(V2IM_ERR_BAD_RESPONSE, e.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct NoParams {}

/// The one-to-one unread count (`get_c2c_unread_msg_num`) plus every group's
/// (`get_joined_group_list`'s `SelfInfo.UnreadMsgNum`).
pub(crate) fn get_total_unread_message_count(ctx: &Ctx, v: &Params<'_>, reply: Reply) {
    if let Err(e) = v.read::<NoParams>() {
        return reply.fail(ctx, &e, &Value::Null);
    }
    let me = ctx.self_user.clone();
    request::submit(ctx, reply, move |rest| {
        let c2c: GetC2cUnreadResponse = rest.post(
            paths::GET_C2C_UNREAD_MSG_NUM,
            &GetC2cUnreadRequest {
                to_account: me.clone(),
                peer_account: None,
            },
        )?;
        let mut total = c2c.all_c2c_unread_msg_num;
        let mut offset = 0;
        let deadline = rest.deadline();
        for page in 0..MAX_PAGES {
            rest.go_on(deadline, || format!("get_joined_group_list: page {page}"))?;
            let page: GetJoinedGroupListResponse = rest.post(
                paths::GET_JOINED_GROUP_LIST,
                &GetJoinedGroupListRequest {
                    member_account: me.clone(),
                    limit: Some(GROUP_PAGE),
                    offset: Some(offset),
                    response_filter: Some(JoinedGroupFilter {
                        group_base_info_filter: None,
                        self_info_filter: Some(vec!["UnreadMsgNum".into()]),
                    }),
                    ..Default::default()
                },
            )?;
            let n = page.group_id_list.len() as i64;
            // Saturating: the counts are the server's, and a lying one must not make this
            // overflow (a panic that would poison the client).
            total = page
                .group_id_list
                .iter()
                .filter_map(|g| g.self_info.as_ref()?.unread_msg_num)
                .fold(total, i64::saturating_add);
            offset += n;
            if n < GROUP_PAGE || offset >= page.total_count {
                return Ok(Value::from(total));
            }
        }
        Err(Error::new(
            V2IM_ERR_BAD_RESPONSE,
            format!("get_joined_group_list: not finished after {MAX_PAGES} pages"),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::Seq;

    #[test]
    fn next_seq_round_trips_and_refuses_strangers() {
        let s = Seq {
            time_stamp: 1700000000,
            start_index: 3,
            skip: 2,
        };
        assert_eq!(Seq::parse(&s.show()).unwrap(), s);
        assert_eq!(Seq::parse("0").unwrap(), Seq::default());
        assert_eq!(Seq::parse("").unwrap(), Seq::default());
        for bad in ["x", "1_2", "1_2_3_4", "1_2_-3", "a_b_c"] {
            assert_eq!(Seq::parse(bad).unwrap_err().code, 6017, "{bad}");
        }
    }
}
