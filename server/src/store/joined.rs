//! `get_joined_group_list`: the groups an account is in, with the group's fields and its own.

use rusqlite::{params, Connection};
use v2im_wire::group::{JoinedGroup, SelfInfo};

use crate::error::ApiResult;

/// Which fields to answer.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields {
    pub base: Vec<String>,
    pub own: Vec<String>,
}

/// The group fields `GroupBaseInfoFilter` may name.
pub(crate) const BASE_FIELDS: &[&str] = &[
    "Type",
    "Name",
    "Introduction",
    "Notification",
    "FaceUrl",
    "Owner_Account",
    "CreateTime",
    "LastMsgTime",
    "NextMsgSeq",
    "MemberNum",
    "MaxMemberNum",
];
/// The member fields `SelfInfoFilter` may name.
pub(crate) const SELF_FIELDS: &[&str] = &["Role", "JoinTime", "MsgFlag", "UnreadMsgNum", "MsgSeq"];

/// The stored types a `GroupType` filter matches (Tencent's older and newer names).
fn kinds(filter: &str) -> &'static [&'static str] {
    match filter {
        "Private" | "Work" => &["Private", "Work"],
        "ChatRoom" | "Meeting" => &["ChatRoom", "Meeting"],
        "Public" => &["Public"],
        "AVChatRoom" => &["AVChatRoom"],
        "Community" => &["Community"],
        _ => &[],
    }
}

/// `user`'s groups in join order (then id), `offset`/`limit` applied, and how many there are.
pub(crate) fn joined(
    conn: &mut Connection,
    user: &str,
    group_type: Option<&str>,
    offset: usize,
    limit: usize,
    fields: &Fields,
) -> ApiResult<(i64, Vec<JoinedGroup>)> {
    let tx = conn.transaction()?;
    type Row = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
        i64,
    );
    type Own = (String, i64, i64, i64);
    let rows: Vec<(Row, Own)> = tx
        .prepare_cached(
            "SELECT g.group_id, g.kind, g.name, g.owner, g.introduction, g.notification, g.face_url,
                    g.max_member_num, g.created, m.role, m.join_time, m.read_seq, m.unread
             FROM group_members m JOIN groups g ON g.group_id = m.group_id
             WHERE m.user_id = ?1 ORDER BY m.join_time, g.group_id",
        )?
        .query_map([user], |r| {
            Ok((
                (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ),
                (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|((_, kind, ..), _)| group_type.is_none_or(|t| kinds(t).contains(&kind.as_str())))
        .collect();
    let total = rows.len() as i64;
    let base = |k: &str| fields.base.iter().any(|f| f == k);
    let own = |k: &str| fields.own.iter().any(|f| f == k);
    let mut out = Vec::new();
    for (
        (gid, kind, name, owner, intro, notif, face, max_num, created),
        (role, join, read_seq, unread),
    ) in rows.into_iter().skip(offset).take(limit)
    {
        let (last_seq, last_time, members): (i64, Option<i64>, i64) = tx
            .prepare_cached(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM group_msgs WHERE group_id = ?1),
                        (SELECT MAX(msg_time) FROM group_msgs WHERE group_id = ?1 AND online_only = 0),
                        (SELECT COUNT(*) FROM group_members WHERE group_id = ?1)",
            )?
            .query_row(params![gid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let self_info = if fields.own.is_empty() {
            None
        } else {
            Some(SelfInfo {
                role: own("Role").then(|| role.clone()),
                join_time: own("JoinTime").then_some(join),
                msg_flag: own("MsgFlag").then(|| "AcceptAndNotify".to_string()),
                unread_msg_num: own("UnreadMsgNum").then_some(unread),
                msg_seq: own("MsgSeq").then_some(read_seq.max(0) as u64),
            })
        };
        out.push(JoinedGroup {
            kind: base("Type").then_some(kind),
            name: base("Name").then_some(name),
            introduction: base("Introduction").then_some(intro),
            notification: base("Notification").then_some(notif),
            face_url: base("FaceUrl").then_some(face),
            owner_account: base("Owner_Account").then(|| owner.unwrap_or_default()),
            create_time: base("CreateTime").then_some(created),
            last_msg_time: base("LastMsgTime").then(|| last_time.unwrap_or(0)),
            next_msg_seq: base("NextMsgSeq").then_some(last_seq as u64 + 1),
            member_num: base("MemberNum").then_some(members),
            max_member_num: base("MaxMemberNum").then_some(max_num),
            self_info,
            group_id: gid,
        });
    }
    Ok((total, out))
}
