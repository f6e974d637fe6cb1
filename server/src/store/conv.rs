//! Conversations: the state of one (its last message and unread count), an account's total
//! unread count, and `recentcontact/get_list`'s pages.

use rusqlite::{params, Connection, OptionalExtension};
use v2im_wire::c2c::SessionItem;

use super::read::{
    c2c_peers, c2c_unread_one, group_msg, read_id, roam_msg, GROUP_COLS, ROAM_COLS, VISIBLE_FILTER,
};
use super::writer::conv_key;
use crate::error::ApiResult;

/// Conversations per `get_list` page.
pub(crate) const LIST_PAGE: usize = 100;

/// A conversation of an account: with a peer or in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conv {
    C2c(String),
    Group(String),
}

/// The time of the conversation's last message as `user` sees it (the messages that can be a
/// last message: stored, not NoLastMsg, not its own sent with `SyncOtherMachine: 2`, visible).
fn last_time(conn: &Connection, user: &str, conv: &Conv) -> ApiResult<Option<i64>> {
    Ok(match conv {
        Conv::C2c(peer) => {
            let (lo, hi) = conv_key(user, peer);
            conn.prepare_cached(
                "SELECT msg_time FROM c2c_msgs WHERE lo = ?1 AND hi = ?2 AND online_only = 0 AND no_last = 0
                   AND NOT (from_acc = ?3 AND sync_other IS 2)
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![lo, hi, user], |r| r.get(0))
            .optional()?
        }
        Conv::Group(gid) => conn
            .prepare_cached(&format!(
                "SELECT msg_time FROM group_msgs WHERE group_id = ?1 AND no_last = 0 AND {VISIBLE_FILTER} ORDER BY seq DESC LIMIT 1"
            ))?
            .query_row(params![gid, user], |r| r.get(0))
            .optional()?,
    })
}

/// The state of `conv` for `user`: `None` for a group it is not in. A conversation without a
/// last message (only NoLastMsg ones so far) has `MsgTime` 0 and no last message.
pub(crate) fn item(conn: &Connection, user: &str, conv: &Conv) -> ApiResult<Option<SessionItem>> {
    match conv {
        Conv::C2c(peer) => {
            let (lo, hi) = conv_key(user, peer);
            let reads = (read_id(conn, user, peer)?, read_id(conn, peer, user)?);
            let last = conn
                .prepare_cached(&format!(
                    "SELECT {ROAM_COLS} FROM c2c_msgs WHERE lo = ?1 AND hi = ?2 AND online_only = 0 AND no_last = 0
                       AND NOT (from_acc = ?3 AND sync_other IS 2)
                     ORDER BY id DESC LIMIT 1"
                ))?
                .query_row(params![lo, hi, user], |r| roam_msg(r, user, reads))
                .optional()?;
            Ok(Some(SessionItem {
                kind: 1,
                to_account: Some(peer.clone()),
                group_id: None,
                msg_time: last.as_ref().map_or(0, |m| m.msg_time_stamp),
                top_flag: 0,
                unread_msg_num: c2c_unread_one(conn, user, peer)?,
                c2c_last_msg: last,
                group_last_msg: None,
            }))
        }
        Conv::Group(gid) => {
            let unread: Option<i64> = conn
                .prepare_cached(
                    "SELECT unread FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                )?
                .query_row([gid, user], |r| r.get(0))
                .optional()?;
            let Some(unread) = unread else {
                return Ok(None);
            };
            let last = conn
                .prepare_cached(&format!(
                    "SELECT {GROUP_COLS} FROM group_msgs WHERE group_id = ?1 AND no_last = 0 AND {VISIBLE_FILTER}
                     ORDER BY seq DESC LIMIT 1"
                ))?
                .query_row(params![gid, user], group_msg)
                .optional()?;
            Ok(Some(SessionItem {
                kind: 2,
                to_account: None,
                group_id: Some(gid.clone()),
                msg_time: last.as_ref().map_or(0, |m| m.msg_time_stamp),
                top_flag: 0,
                unread_msg_num: unread,
                c2c_last_msg: None,
                group_last_msg: last,
            }))
        }
    }
}

/// The groups `user` is in.
fn memberships(conn: &Connection, user: &str) -> ApiResult<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT group_id FROM group_members WHERE user_id = ?1")?
        .query_map([user], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Every unread message of `user`: C2C (as `get_c2c_unread_msg_num` counts) and group (as
/// `get_joined_group_list`'s `UnreadMsgNum`).
pub(crate) fn total_unread(conn: &Connection, user: &str) -> ApiResult<i64> {
    let c2c: i64 = conn
        .prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM c2c_read WHERE owner = ?1")?
        .query_row([user], |r| r.get(0))?;
    let groups: i64 = conn
        .prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM group_members WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))?;
    Ok(c2c + groups)
}

/// One page of `recentcontact/get_list`.
pub(crate) struct ListPage {
    pub items: Vec<SessionItem>,
    pub complete: bool,
    /// Where the next page starts (`TimeStamp`, `StartIndex`).
    pub next: (i64, i64),
}

/// `user`'s conversations with a last message, newest first (ties: C2C before groups, then by
/// id), from the cursor on. The cursor (Tencent's `TimeStamp`/`StartIndex`, echoed from the
/// previous answer; 0/0 for the first page) is the last item's time and how many items of that
/// time were already given: a conversation that moves to the top between two pages is not given
/// twice.
pub(crate) fn list(
    conn: &mut Connection,
    user: &str,
    cursor: (i64, i64),
    page: usize,
) -> ApiResult<ListPage> {
    let tx = conn.transaction()?;
    let mut all: Vec<(i64, Conv)> = Vec::new();
    for peer in c2c_peers(&tx, user)? {
        let conv = Conv::C2c(peer);
        if let Some(t) = last_time(&tx, user, &conv)? {
            all.push((t, conv));
        }
    }
    for gid in memberships(&tx, user)? {
        let conv = Conv::Group(gid);
        if let Some(t) = last_time(&tx, user, &conv)? {
            all.push((t, conv));
        }
    }
    let order = |c: &Conv| match c {
        Conv::C2c(p) => (1, p.clone()),
        Conv::Group(g) => (2, g.clone()),
    };
    all.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| order(&a.1).cmp(&order(&b.1))));
    let (ts, idx) = cursor;
    let first = if ts == 0 && idx == 0 {
        0
    } else {
        // Past every item newer than ts, and the first idx of those at ts.
        let newer = all.iter().take_while(|(t, _)| *t > ts).count();
        let same = all[newer..].iter().take_while(|(t, _)| *t == ts).count();
        newer + (idx.max(0) as usize).min(same)
    };
    let end = (first + page).min(all.len());
    let mut items = Vec::with_capacity(end - first);
    for (_, conv) in &all[first..end] {
        if let Some(item) = item(&tx, user, conv)? {
            items.push(item);
        }
    }
    let next = match all[..end].last() {
        Some((t, _)) if end > first => {
            let at_t = all[..end].iter().rev().take_while(|(x, _)| x == t).count();
            (*t, at_t as i64)
        }
        _ => cursor,
    };
    Ok(ListPage {
        items,
        complete: end >= all.len(),
        next,
    })
}
