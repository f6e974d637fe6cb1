//! The outbox: webhook requests that are notifications (after-send callbacks and push jobs).
//!
//! The writer adds a row in the transaction that stores the message, so a committed message
//! always has its requests, whatever happens to the process afterwards; the delivery lanes
//! (`crate::webhook::delivery`) read the rows after the commit, send them and have the writer
//! delete the delivered ones. A row names its message (it is not a copy): the request's body is
//! built from the stored message when the row is loaded for delivery, except for rows whose
//! message is about to be deleted (`destroy_group`), which get their body built first.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::value::RawValue;
use tokio::sync::watch;
use v2im_wire::webhook::{chat_type, commands, C2cAfterSendMsg, GroupAfterSendMsg, PushJob};
use v2im_wire::OfflinePushInfo;

use super::read::{json_col, profile};

/// Where a row goes (`outbox.lane`).
pub(crate) mod lane {
    /// After-send callbacks, to the callback URL.
    pub(crate) const CALLBACK: usize = 0;
    /// Push jobs, to the push URL.
    pub(crate) const PUSH: usize = 1;
    pub(crate) const COUNT: usize = 2;
}

/// What a row is (`outbox.kind`).
pub(crate) mod kind {
    /// `C2C.CallbackAfterSendMsg`: `ref_id` is the `c2c_msgs` row.
    pub(crate) const C2C_AFTER: i64 = 1;
    /// `Group.CallbackAfterSendMsg`: `ref_id` is the `group_msgs` row.
    pub(crate) const GROUP_AFTER: i64 = 2;
    /// A push job for a C2C message's receiver.
    pub(crate) const C2C_PUSH: i64 = 3;
    /// A push job for a group message's `receivers`.
    pub(crate) const GROUP_PUSH: i64 = 4;
}

/// How the writer tells the lanes about new rows: per lane, the newest id committed.
pub(crate) struct Signal {
    pub(crate) lanes: [watch::Sender<u64>; lane::COUNT],
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            lanes: [watch::channel(0).0, watch::channel(0).0],
        }
    }
}

/// A row as stored.
pub(crate) struct Row {
    pub(crate) id: u64,
    pub(crate) kind: i64,
    pub(crate) ref_id: Option<i64>,
    pub(crate) operator: Option<String>,
    pub(crate) client_ip: Option<String>,
    pub(crate) receivers: Option<String>,
    pub(crate) body: Option<String>,
    /// Milliseconds.
    pub(crate) created: i64,
}

/// A row ready to send.
pub(crate) struct Request {
    pub(crate) id: u64,
    /// `CallbackCommand` of a callback; `None` for a push job.
    pub(crate) command: Option<&'static str>,
    pub(crate) client_ip: String,
    pub(crate) body: String,
    pub(crate) created: i64,
}

/// The rows of `lane` after id `after`, at most `limit`, oldest first, each ready to send, or
/// `Err(id)` when its message no longer exists.
pub(crate) fn load(
    conn: &mut Connection,
    lane: usize,
    after: u64,
    limit: usize,
) -> rusqlite::Result<Vec<Result<Request, u64>>> {
    // One snapshot for the rows and their messages.
    let conn = conn.transaction()?;
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT id, kind, ref_id, operator, client_ip, receivers, body, created FROM outbox
             WHERE lane = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?
        .query_map(params![lane as i64, after as i64, limit as i64], |r| {
            Ok(Row {
                id: r.get::<_, i64>(0)? as u64,
                kind: r.get(1)?,
                ref_id: r.get(2)?,
                operator: r.get(3)?,
                client_ip: r.get(4)?,
                receivers: r.get(5)?,
                body: r.get(6)?,
                created: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let body = match row.body.clone() {
            Some(b) => Some(b),
            None => build(&conn, &row)?,
        };
        out.push(match body {
            Some(body) => Ok(Request {
                id: row.id,
                command: command(row.kind),
                client_ip: row.client_ip.unwrap_or_default(),
                body,
                created: row.created,
            }),
            None => Err(row.id),
        });
    }
    Ok(out)
}

fn command(kind: i64) -> Option<&'static str> {
    match kind {
        kind::C2C_AFTER => Some(commands::C2C_AFTER_SEND_MSG),
        kind::GROUP_AFTER => Some(commands::GROUP_AFTER_SEND_MSG),
        _ => None,
    }
}

/// A stored body as it goes into a request, unparsed.
fn raw(body: String) -> Box<RawValue> {
    RawValue::from_string(body)
        .unwrap_or_else(|_| RawValue::from_string("[]".into()).expect("[] is JSON"))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

struct C2cRow {
    from: String,
    to: String,
    seq: u32,
    random: u32,
    time: i64,
    key: String,
    body: String,
    cloud: String,
    online_only: bool,
    push_info: Option<String>,
}

fn c2c_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<C2cRow>> {
    conn.prepare_cached(
        "SELECT from_acc, to_acc, msg_seq, msg_random, msg_time, msg_key, body, cloud_custom_data,
            online_only, push_info FROM c2c_msgs WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(C2cRow {
            from: r.get(0)?,
            to: r.get(1)?,
            seq: r.get(2)?,
            random: r.get(3)?,
            time: r.get(4)?,
            key: r.get(5)?,
            body: r.get(6)?,
            cloud: r.get(7)?,
            online_only: r.get(8)?,
            push_info: r.get(9)?,
        })
    })
    .optional()
}

struct GroupRow {
    group_id: String,
    kind: String,
    name: String,
    from: String,
    random: u32,
    seq: u64,
    time: i64,
    body: String,
    cloud: String,
    online_only: bool,
    push_info: Option<String>,
    topic_id: Option<String>,
}

fn group_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<GroupRow>> {
    conn.prepare_cached(
        "SELECT m.group_id, g.kind, g.name, m.from_acc, m.random, m.seq, m.msg_time, m.body,
            m.cloud_custom_data, m.online_only, m.push_info, m.topic_id
         FROM group_msgs m JOIN groups g ON g.group_id = m.group_id WHERE m.id = ?1",
    )?
    .query_row([id], |r| {
        Ok(GroupRow {
            group_id: r.get(0)?,
            kind: r.get(1)?,
            name: r.get(2)?,
            from: r.get(3)?,
            random: r.get(4)?,
            seq: r.get::<_, i64>(5)? as u64,
            time: r.get(6)?,
            body: r.get(7)?,
            cloud: r.get(8)?,
            online_only: r.get(9)?,
            push_info: r.get(10)?,
            topic_id: r.get(11)?,
        })
    })
    .optional()
}

/// `owner`'s unread C2C messages, all conversations together.
fn c2c_unread_total(conn: &Connection, owner: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM c2c_read WHERE owner = ?1")?
        .query_row([owner], |r| r.get(0))
}

/// The body of `row` from its stored message; `None` when the message is gone.
pub(crate) fn build(conn: &Connection, row: &Row) -> rusqlite::Result<Option<String>> {
    let Some(ref_id) = row.ref_id else {
        return Ok(None);
    };
    let event_time = row.created;
    let operator = row.operator.clone().unwrap_or_default();
    Ok(match row.kind {
        kind::C2C_AFTER => c2c_row(conn, ref_id)?
            .map(|m| -> rusqlite::Result<String> {
                Ok(to_json(&C2cAfterSendMsg {
                    callback_command: commands::C2C_AFTER_SEND_MSG.into(),
                    unread_msg_num: c2c_unread_total(conn, &m.to)?,
                    from_account: m.from,
                    to_account: m.to,
                    msg_seq: m.seq,
                    msg_random: m.random,
                    msg_time: m.time,
                    msg_key: m.key,
                    online_only_flag: i64::from(m.online_only),
                    send_msg_result: 0,
                    error_info: String::new(),
                    msg_body: raw(m.body),
                    cloud_custom_data: m.cloud,
                    event_time,
                }))
            })
            .transpose()?,
        kind::GROUP_AFTER => group_row(conn, ref_id)?.map(|m| {
            to_json(&GroupAfterSendMsg {
                callback_command: commands::GROUP_AFTER_SEND_MSG.into(),
                group_id: m.group_id,
                kind: m.kind,
                from_account: m.from,
                operator_account: operator,
                random: m.random,
                msg_seq: m.seq,
                msg_time: m.time,
                online_only_flag: i64::from(m.online_only),
                msg_body: raw(m.body),
                cloud_custom_data: m.cloud,
                topic_id: m.topic_id,
                event_time,
            })
        }),
        kind::C2C_PUSH => c2c_row(conn, ref_id)?
            .map(|m| -> rusqlite::Result<String> {
                let (nick, _) = profile(conn, &m.from)?;
                Ok(to_json(&PushJob {
                    push_id: format!("C2C_{}_{}", m.to, m.key),
                    chat_type: chat_type::C2C.into(),
                    from_account: m.from,
                    nick,
                    to_account: vec![m.to],
                    group_id: None,
                    group_name: None,
                    msg_key: m.key,
                    msg_seq: u64::from(m.seq),
                    msg_random: m.random,
                    msg_time: m.time,
                    offline_push_info: json_col::<OfflinePushInfo>(m.push_info),
                    msg_body: raw(m.body),
                    cloud_custom_data: m.cloud,
                    event_time,
                }))
            })
            .transpose()?,
        kind::GROUP_PUSH => group_row(conn, ref_id)?
            .map(|m| -> rusqlite::Result<String> {
                let (nick, _) = profile(conn, &m.from)?;
                Ok(to_json(&PushJob {
                    push_id: format!("Group_{}_{}", m.group_id, m.seq),
                    chat_type: chat_type::GROUP.into(),
                    from_account: m.from,
                    nick,
                    to_account: json_col(row.receivers.clone()).unwrap_or_default(),
                    msg_key: format!("{}_{}_{}", m.seq, m.random, m.time),
                    group_id: Some(m.group_id),
                    group_name: Some(m.name),
                    msg_seq: m.seq,
                    msg_random: m.random,
                    msg_time: m.time,
                    offline_push_info: json_col::<OfflinePushInfo>(m.push_info),
                    msg_body: raw(m.body),
                    cloud_custom_data: m.cloud,
                    event_time,
                }))
            })
            .transpose()?,
        _ => None,
    })
}
