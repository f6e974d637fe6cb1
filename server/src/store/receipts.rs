//! The reading side of group read receipts: `get_group_msg_receipt` (counts) and
//! `get_group_msg_receipt_detail` (who has and has not read).

use rusqlite::{params, Connection, OptionalExtension};
use v2im_wire::codes;
use v2im_wire::group::GroupMsgReceipt;

use super::read::{group_exists, is_member};
use crate::error::{ApiError, ApiResult};

/// A receipt-tracked message: (row id, sender, receipt_total, to_accounts).
type Tracked = (i64, String, i64, Option<String>);

/// The message `seq` of `gid` if it was sent with `NeedReadReceipt`.
fn tracked(conn: &Connection, gid: &str, seq: u64) -> ApiResult<Option<Tracked>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, from_acc, receipt_total, to_accounts FROM group_msgs
             WHERE group_id = ?1 AND seq = ?2 AND online_only = 0 AND need_receipt = 1",
        )?
        .query_row(params![gid, seq.min(i64::MAX as u64) as i64], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                r.get(3)?,
            ))
        })
        .optional()?)
}

fn read_count(conn: &Connection, id: i64) -> ApiResult<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM group_receipts WHERE msg_id = ?1")?
        .query_row([id], |r| r.get(0))?)
}

/// The group must exist, and a non-admin `viewer` must be in it.
fn check_group(conn: &Connection, gid: &str, viewer: Option<&str>) -> ApiResult<()> {
    if !group_exists(conn, gid)? {
        return Err(ApiError::new(
            codes::GROUP_NOT_FOUND,
            format!("group {gid:?} does not exist"),
        ));
    }
    if let Some(v) = viewer {
        if !is_member(conn, gid, v)? {
            return Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{v:?} is not a member of group {gid:?}"),
            ));
        }
    }
    Ok(())
}

/// `get_group_msg_receipt`: per message, its counts, or the item's code: 10062 when it has no
/// receipt information, 10007 when `viewer` (a non-admin) is not its sender.
pub(crate) fn counts(
    conn: &mut Connection,
    gid: &str,
    viewer: Option<&str>,
    seqs: &[u64],
) -> ApiResult<Vec<GroupMsgReceipt>> {
    let tx = conn.transaction()?;
    check_group(&tx, gid, viewer)?;
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let mut item = GroupMsgReceipt {
            code: 0,
            msg_seq: seq,
            read_num: 0,
            unread_num: 0,
        };
        match tracked(&tx, gid, seq)? {
            None => item.code = codes::GROUP_RECEIPT_NOT_FOUND,
            Some((_, from, _, _)) if viewer.is_some_and(|v| v != from) => {
                item.code = codes::GROUP_PERMISSION_DENY
            }
            Some((id, _, total, _)) => {
                item.read_num = read_count(&tx, id)?;
                item.unread_num = (total - item.read_num).max(0);
            }
        }
        out.push(item);
    }
    Ok(out)
}

/// One page of `get_group_msg_receipt_detail`.
pub(crate) struct Detail {
    pub accounts: Vec<String>,
    pub finished: bool,
    pub cursor: String,
}

/// Who has read (`unread` false) or not read the message, `count` accounts after `after` in id
/// order. The unread are the members that could read it when it was sent (joined before it,
/// targeted if it was targeted, not its sender) that have sent no receipt.
pub(crate) fn detail(
    conn: &mut Connection,
    gid: &str,
    viewer: Option<&str>,
    seq: u64,
    unread: bool,
    after: &str,
    count: usize,
) -> ApiResult<Detail> {
    let tx = conn.transaction()?;
    check_group(&tx, gid, viewer)?;
    let Some((id, from, _, targets)) = tracked(&tx, gid, seq)? else {
        return Err(ApiError::new(
            codes::GROUP_RECEIPT_NOT_FOUND,
            format!("MsgSeq: message {seq} of group {gid:?} has no read receipt information"),
        ));
    };
    if viewer.is_some_and(|v| v != from) {
        return Err(ApiError::new(
            codes::GROUP_PERMISSION_DENY,
            format!("MsgSeq: only the sender of message {seq} may see who read it"),
        ));
    }
    let limit = count as i64 + 1;
    let mut accounts: Vec<String> = if unread {
        tx.prepare_cached(
            "SELECT user_id FROM group_members m
             WHERE group_id = ?1 AND user_id > ?2 AND user_id <> ?3 AND join_seq < ?4
               AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(?5) WHERE value = m.user_id))
               AND NOT EXISTS (SELECT 1 FROM group_receipts WHERE msg_id = ?6 AND reader = m.user_id)
             ORDER BY user_id LIMIT ?7",
        )?
        .query_map(
            params![gid, after, from, seq as i64, targets, id, limit],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?
    } else {
        tx.prepare_cached(
            "SELECT reader FROM group_receipts WHERE msg_id = ?1 AND reader > ?2 ORDER BY reader LIMIT ?3",
        )?
        .query_map(params![id, after, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?
    };
    let finished = accounts.len() <= count;
    accounts.truncate(count);
    let cursor = if finished {
        String::new()
    } else {
        accounts.last().cloned().unwrap_or_default()
    };
    Ok(Detail {
        accounts,
        finished,
        cursor,
    })
}
