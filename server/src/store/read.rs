//! Read queries, run on read-only connections (WAL lets them run beside the writer and see every
//! committed write). Each public function runs inside one read transaction, so what it returns
//! is one consistent snapshot.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};
use v2im_wire::c2c::{C2cUnreadItem, RoamMsg};
use v2im_wire::group::{GroupAtInfo, GroupMsg};
use v2im_wire::{codes, MsgElement, OfflinePushInfo};

use super::writer::conv_key;
use crate::error::{ApiError, ApiResult};

/// Messages that count as unread for the member bound to `?2` (besides the seq condition and
/// "not its own"): stored, not NoUnread, and untargeted or targeted at it.
pub(crate) const UNREAD_FILTER: &str = "online_only = 0 AND no_unread = 0 AND (to_accounts IS NULL OR EXISTS (SELECT 1 FROM json_each(group_msgs.to_accounts) WHERE value = ?2))";

/// Messages `?2` may see in a group's history: stored, untargeted, sent by it, or targeted at it.
pub(crate) const VISIBLE_FILTER: &str = "online_only = 0 AND (?2 IS NULL OR to_accounts IS NULL OR from_acc = ?2 OR EXISTS (SELECT 1 FROM json_each(group_msgs.to_accounts) WHERE value = ?2))";

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        super::writer::storage_error(&e)
    }
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

pub(crate) fn body_col(s: String) -> Vec<MsgElement> {
    // Stored bodies are the server's own serialisation of validated elements.
    serde_json::from_str(&s).unwrap_or_default()
}

pub(crate) fn account_exists(conn: &Connection, id: &str) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM accounts WHERE user_id = ?1")?
        .exists([id])?)
}

/// `account_check`: whether each id is imported.
pub(crate) fn accounts_exist(conn: &Connection, ids: &[String]) -> ApiResult<Vec<bool>> {
    ids.iter().map(|id| account_exists(conn, id)).collect()
}

/// The answer of `admin_getroammsg`: newest first.
pub(crate) struct RoamPage {
    pub msgs: Vec<RoamMsg>,
    pub complete: bool,
}

pub(crate) struct RoamQuery<'a> {
    pub operator: &'a str,
    pub peer: &'a str,
    pub max_cnt: i64,
    pub min_time: i64,
    pub max_time: i64,
    pub last_msg_key: Option<&'a str>,
}

/// The `Nick` and `FaceUrl` of `user`, each `None` when not set (or no such account).
pub(crate) fn profile(
    conn: &Connection,
    user: &str,
) -> rusqlite::Result<(Option<String>, Option<String>)> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT nick, face_url FROM accounts WHERE user_id = ?1")?
        .query_row([user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (nick, face) = row.unwrap_or_default();
    Ok((
        (!nick.is_empty()).then_some(nick),
        (!face.is_empty()).then_some(face),
    ))
}

/// `owner` has read every message of `peer` with an id up to this.
pub(crate) fn read_id(conn: &Connection, owner: &str, peer: &str) -> rusqlite::Result<i64> {
    Ok(conn
        .prepare_cached("SELECT read_id FROM c2c_read WHERE owner = ?1 AND peer = ?2")?
        .query_row([owner, peer], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The time and the random of a MsgKey (`{MsgSeq}_{MsgRandom}_{MsgTime}`, as the writer makes
/// them). `None` for a text that is no MsgKey, which no message has.
fn msg_key_parts(key: &str) -> Option<(i64, u32)> {
    let mut parts = key.split('_');
    let (seq, random, time) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || seq.parse::<u32>().is_err() {
        return None;
    }
    Some((time.parse().ok()?, random.parse().ok()?))
}

/// [`c2c_ids_by_key`]: the runs at the time (`?3`), each a range of the conversation's index.
/// `CROSS JOIN` keeps the runs as the outer loop: the other order reads the whole conversation.
const C2C_BY_KEY: &str =
    "SELECT m.id FROM c2c_times t CROSS JOIN c2c_msgs m INDEXED BY c2c_msgs_conv
    WHERE t.msg_time = ?3 AND m.lo = ?1 AND m.hi = ?2 AND m.id >= t.first_id
      AND m.id < COALESCE((SELECT n.first_id FROM c2c_times n WHERE n.first_id > t.first_id
                           ORDER BY n.first_id LIMIT 1), 9223372036854775807)
      AND m.msg_time = ?3 AND m.msg_random = ?4 AND m.msg_key = ?5
    ORDER BY m.id DESC";

/// The messages of conversation (`lo`, `hi`) whose MsgKey is `key`, newest first: the runs of
/// ids stored at the key's time (`c2c_times`), each narrowed to the conversation by its index.
pub(crate) fn c2c_ids_by_key(
    conn: &Connection,
    lo: &str,
    hi: &str,
    key: &str,
) -> rusqlite::Result<Vec<i64>> {
    let Some((time, random)) = msg_key_parts(key) else {
        return Ok(Vec::new());
    };
    conn.prepare_cached(C2C_BY_KEY)?
        .query_map(params![lo, hi, time, random, key], |r| r.get(0))?
        .collect()
}

pub(crate) fn roam(conn: &mut Connection, q: &RoamQuery) -> ApiResult<RoamPage> {
    let tx = conn.transaction()?;
    let (lo, hi) = conv_key(q.operator, q.peer);
    let mut before = i64::MAX;
    if let Some(key) = q.last_msg_key.filter(|k| !k.is_empty()) {
        let ids = c2c_ids_by_key(&tx, &lo, &hi, key)?;
        before = ids.first().copied().unwrap_or(i64::MAX);
    }
    // peer_read[x] = what the other side of x's messages has read.
    let op_read = read_id(&tx, q.operator, q.peer)?; // operator read peer's messages up to
    let peer_read = read_id(&tx, q.peer, q.operator)?;
    let mut msgs = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "SELECT {ROAM_COLS}
             FROM c2c_msgs
             WHERE lo = ?1 AND hi = ?2 AND online_only = 0 AND msg_time >= ?3 AND msg_time <= ?4 AND id < ?5
               AND NOT (from_acc = ?6 AND sync_other IS 2)
             ORDER BY id DESC LIMIT ?7"
        ))?;
        let mut rows = st.query(params![
            lo,
            hi,
            q.min_time,
            q.max_time,
            before,
            q.operator,
            q.max_cnt.saturating_add(1)
        ])?;
        while let Some(r) = rows.next()? {
            msgs.push(roam_msg(r, q.operator, (op_read, peer_read))?);
        }
    }
    let complete = msgs.len() as i64 <= q.max_cnt;
    msgs.truncate(q.max_cnt.max(0) as usize);
    Ok(RoamPage { msgs, complete })
}

/// The columns [`roam_msg`] reads, from `c2c_msgs`.
pub(crate) const ROAM_COLS: &str =
    "id, from_acc, to_acc, msg_seq, msg_random, msg_time, msg_key, body, cloud_custom_data,
    support_ext, need_receipt, push_info, send_control, receipt_time";

/// A history item of [`ROAM_COLS`] as `viewer` sees it, with `reads` = (what `viewer` has read of
/// the peer, what the peer has read of `viewer`): `IsPeerRead` is 1 when the receiver's read mark
/// covers the message or it sent a receipt for it.
pub(crate) fn roam_msg(r: &Row, viewer: &str, reads: (i64, i64)) -> rusqlite::Result<RoamMsg> {
    let id: i64 = r.get(0)?;
    let from: String = r.get(1)?;
    let read = if from == viewer { reads.1 } else { reads.0 };
    let receipt: Option<i64> = r.get(13)?;
    Ok(RoamMsg {
        from_account: from,
        to_account: r.get(2)?,
        msg_seq: r.get(3)?,
        msg_random: r.get(4)?,
        msg_time_stamp: r.get(5)?,
        msg_flag_bits: 0,
        is_peer_read: i64::from(id <= read || receipt.is_some()),
        msg_key: r.get(6)?,
        msg_body: body_col(r.get(7)?),
        cloud_custom_data: r.get(8)?,
        support_message_extension: r.get(9)?,
        is_need_read_receipt: r.get(10)?,
        offline_push_info: json_col::<OfflinePushInfo>(r.get(11)?),
        send_msg_control: json_col(r.get(12)?),
    })
}

/// `owner`'s unread messages from `peer` (kept by the writer).
pub(crate) fn c2c_unread_one(conn: &Connection, owner: &str, peer: &str) -> ApiResult<i64> {
    Ok(conn
        .prepare_cached("SELECT unread FROM c2c_read WHERE owner = ?1 AND peer = ?2")?
        .query_row([owner, peer], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Every account `user` has a C2C conversation with.
pub(crate) fn c2c_peers(conn: &Connection, user: &str) -> ApiResult<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT hi FROM c2c_convs WHERE lo = ?1 UNION SELECT lo FROM c2c_convs WHERE hi = ?1",
    )?;
    let peers = st
        .query_map([user], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(peers)
}

/// `get_c2c_unread_msg_num`: the total over every conversation, and per peer (the given peers,
/// or every peer with unread messages).
pub(crate) fn c2c_unread(
    conn: &mut Connection,
    owner: &str,
    peers: Option<&[String]>,
) -> ApiResult<(i64, Vec<C2cUnreadItem>)> {
    let tx = conn.transaction()?;
    let mut total = 0;
    let mut all = Vec::new();
    for p in c2c_peers(&tx, owner)? {
        let n = c2c_unread_one(&tx, owner, &p)?;
        total += n;
        all.push((p, n));
    }
    let list = match peers {
        Some(peers) => peers
            .iter()
            .map(|p| {
                let n = all.iter().find(|(x, _)| x == p).map_or(0, |(_, n)| *n);
                C2cUnreadItem {
                    peer_account: p.clone(),
                    c2c_unread_msg_num: n,
                }
            })
            .collect(),
        None => all
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(p, n)| C2cUnreadItem {
                peer_account: p,
                c2c_unread_msg_num: n,
            })
            .collect(),
    };
    Ok((total, list))
}

/// `member`'s unread messages in the group: those with a seq after `read_seq`, not its own,
/// that count as unread for it (what the writer keeps in `group_members.unread`).
pub(crate) fn count_group_unread(
    conn: &Connection,
    gid: &str,
    member: &str,
    read_seq: i64,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(&format!(
        "SELECT COUNT(*) FROM group_msgs WHERE group_id = ?1 AND seq > ?3 AND from_acc <> ?2 AND {UNREAD_FILTER}"
    ))?
    .query_row(params![gid, member, read_seq], |r| r.get(0))
}

/// The type of group `gid` when `from` may send to it (a member, or the admin); else `None`.
pub(crate) fn group_kind_for_sender(
    conn: &Connection,
    gid: &str,
    from: &str,
    as_admin: bool,
) -> ApiResult<Option<String>> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM groups WHERE group_id = ?1")?
        .query_row([gid], |r| r.get(0))
        .optional()?;
    if kind.is_none() || as_admin || is_member(conn, gid, from)? {
        return Ok(kind);
    }
    Ok(None)
}

pub(crate) fn group_exists(conn: &Connection, gid: &str) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM groups WHERE group_id = ?1")?
        .exists([gid])?)
}

pub(crate) fn is_member(conn: &Connection, gid: &str, user: &str) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2")?
        .exists([gid, user])?)
}

/// `group_msg_get_simple`: newest first, seq ≤ `req_seq`, as seen by `viewer` (`None` = admin).
pub(crate) fn group_history(
    conn: &mut Connection,
    gid: &str,
    viewer: Option<&str>,
    num: i64,
    req_seq: Option<u64>,
) -> ApiResult<(Vec<GroupMsg>, bool)> {
    let tx = conn.transaction()?;
    if !group_exists(&tx, gid)? {
        return Err(ApiError::new(
            codes::GROUP_NOT_FOUND,
            format!("group {gid:?} does not exist"),
        ));
    }
    if let Some(v) = viewer {
        if !is_member(&tx, gid, v)? {
            return Err(ApiError::new(
                codes::GROUP_PERMISSION_DENY,
                format!("{v:?} is not a member of group {gid:?}"),
            ));
        }
    }
    let max_seq = req_seq.map_or(i64::MAX, |s| s.min(i64::MAX as u64) as i64);
    let mut msgs = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "SELECT {GROUP_COLS}
             FROM group_msgs WHERE group_id = ?1 AND seq <= ?3 AND {VISIBLE_FILTER}
             ORDER BY seq DESC LIMIT ?4"
        ))?;
        let mut rows = st.query(params![gid, viewer, max_seq, num.saturating_add(1)])?;
        while let Some(r) = rows.next()? {
            msgs.push(group_msg(r)?);
        }
    }
    let finished = msgs.len() as i64 <= num;
    msgs.truncate(num.max(0) as usize);
    Ok((msgs, finished))
}

/// The columns [`group_msg`] reads, from `group_msgs`.
pub(crate) const GROUP_COLS: &str =
    "seq, from_acc, random, msg_time, priority, body, cloud_custom_data, support_ext,
    need_receipt, push_info, send_control, at_info, to_accounts";

/// A history item of [`GROUP_COLS`].
pub(crate) fn group_msg(r: &Row) -> rusqlite::Result<GroupMsg> {
    let seq: i64 = r.get(0)?;
    Ok(GroupMsg {
        from_account: r.get(1)?,
        is_place_msg: 0,
        msg_priority: r.get(4)?,
        msg_random: r.get(2)?,
        msg_seq: seq as u64,
        msg_time_stamp: r.get(3)?,
        is_system_msg: 0,
        msg_body: body_col(r.get(5)?),
        cloud_custom_data: r.get(6)?,
        support_message_extension: r.get(7)?,
        need_read_receipt: r.get(8)?,
        offline_push_info: json_col(r.get(9)?),
        send_msg_control: json_col(r.get(10)?),
        group_at_info: json_col::<Vec<GroupAtInfo>>(r.get(11)?),
        to_account: json_col(r.get(12)?),
    })
}

/// `get_group_info`: one JSON object per requested id (with its own ErrorCode, as Tencent does).
pub(crate) fn group_info(conn: &mut Connection, ids: &[String]) -> ApiResult<Vec<Value>> {
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(ids.len());
    for gid in ids {
        let row = tx
            .prepare_cached(
                "SELECT kind, name, owner, introduction, notification, face_url, max_member_num, created,
                        (SELECT COALESCE(MAX(seq), 0) FROM group_msgs m WHERE m.group_id = g.group_id),
                        (SELECT MAX(msg_time) FROM group_msgs m WHERE m.group_id = g.group_id AND online_only = 0)
                 FROM groups g WHERE group_id = ?1",
            )?
            .query_row([gid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            })
            .optional()?;
        let Some((kind, name, owner, intro, notif, face, max_num, created, last_seq, last_time)) =
            row
        else {
            out.push(json!({
                "GroupId": gid,
                "ErrorCode": codes::GROUP_NOT_FOUND,
                "ErrorInfo": format!("group {gid:?} does not exist"),
            }));
            continue;
        };
        let members: Vec<Value> = tx
            .prepare_cached(
                "SELECT user_id, role, join_time, read_seq FROM group_members WHERE group_id = ?1 ORDER BY join_time, user_id",
            )?
            .query_map([gid], |r| {
                Ok(json!({
                    "Member_Account": r.get::<_, String>(0)?,
                    "Role": r.get::<_, String>(1)?,
                    "JoinTime": r.get::<_, i64>(2)?,
                    "MsgSeq": r.get::<_, i64>(3)?,
                }))
            })?
            .collect::<rusqlite::Result<_>>()?;
        out.push(json!({
            "GroupId": gid,
            "ErrorCode": 0,
            "ErrorInfo": "",
            "Type": kind,
            "Name": name,
            "Owner_Account": owner.unwrap_or_default(),
            "Introduction": intro,
            "Notification": notif,
            "FaceUrl": face,
            "CreateTime": created,
            "MaxMemberNum": max_num,
            "MemberNum": members.len(),
            "NextMsgSeq": last_seq + 1,
            "LastMsgTime": last_time.unwrap_or(0),
            "MemberList": members,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(conn: &Connection, id: i64, lo: &str, hi: &str, key: &str) {
        let mut parts = key.split('_');
        let (seq, random, time): (i64, i64, i64) = (
            parts.next().unwrap().parse().unwrap(),
            parts.next().unwrap().parse().unwrap(),
            parts.next().unwrap().parse().unwrap(),
        );
        conn.execute(
            "INSERT INTO c2c_msgs(id, lo, hi, from_acc, to_acc, msg_seq, seq_given, msg_random, msg_time, msg_key,
                body, cloud_custom_data, online_only, no_unread, no_last)
             VALUES (?1, ?2, ?3, ?2, ?3, ?4, 1, ?5, ?6, ?7, '[]', '', 0, 0, 0)",
            params![id, lo, hi, seq, random, time, key],
        )
        .unwrap();
        // As the writer does: a run starts whenever the time differs from the previous message's.
        conn.execute(
            "INSERT INTO c2c_times(first_id, msg_time)
             SELECT ?1, ?2 WHERE ?2 IS NOT (SELECT msg_time FROM c2c_times ORDER BY first_id DESC LIMIT 1)",
            params![id, time],
        )
        .unwrap();
    }

    #[test]
    fn messages_are_found_by_key_across_runs_and_a_clock_that_goes_back() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&conn).unwrap();
        insert(&conn, 1, "a", "b", "1_10_100");
        insert(&conn, 2, "a", "c", "1_10_100"); // same key, other conversation
        insert(&conn, 3, "a", "b", "2_11_100");
        insert(&conn, 4, "a", "b", "3_12_101");
        insert(&conn, 5, "a", "b", "1_10_100"); // the clock went back: a second run at 100
        insert(&conn, 6, "a", "b", "4_13_99");
        let find = |lo: &str, hi: &str, key: &str| c2c_ids_by_key(&conn, lo, hi, key).unwrap();
        assert_eq!(find("a", "b", "1_10_100"), [5, 1]);
        assert_eq!(find("a", "c", "1_10_100"), [2]);
        assert_eq!(find("a", "b", "2_11_100"), [3]);
        assert_eq!(find("a", "b", "3_12_101"), [4]);
        assert_eq!(find("a", "b", "4_13_99"), [6]);
        // Equal numbers, other text; other random; not a MsgKey at all.
        assert!(find("a", "b", "01_10_100").is_empty());
        assert!(find("a", "b", "1_11_100").is_empty());
        for junk in ["", "x", "1_2", "1_2_3_4", "a_1_100", "1_-1_100"] {
            assert!(find("a", "b", junk).is_empty(), "{junk}");
        }
    }

    #[test]
    fn the_key_lookup_seeks_and_never_scans() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&conn).unwrap();
        let mut st = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {C2C_BY_KEY}"))
            .unwrap();
        let plan: Vec<String> = st
            .query_map(params!["a", "b", 1, 2, "x"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join(" | ");
        assert!(plan.contains("c2c_times_time (msg_time=?)"), "{plan}");
        assert!(
            plan.contains("c2c_msgs_conv (lo=? AND hi=? AND id>? AND id<?)"),
            "{plan}"
        );
        assert!(!plan.contains("SCAN"), "{plan}");
    }
}
