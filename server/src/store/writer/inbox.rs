//! The writer's side of the inbox: every stored message and read event gets a row in the inbox
//! of each account it is for, in the transaction that stores it; online-only messages go to the
//! open channels after the commit instead; old rows are trimmed to the retention.

use axum::body::Bytes;
use rusqlite::{params, Connection};
use v2im_wire::c2c::RoamMsg;
use v2im_wire::channel::{
    C2cMsgEvent, C2cReadEvent, C2cReceiptEvent, Event, GroupMsgEvent, ReadMarkEvent,
};
use v2im_wire::group::GroupMsg;

use super::Writer;
use crate::store::conv::Conv;
use crate::store::events::kind;
use crate::store::jobs::{C2cIn, C2cSent, GroupMsgIn};
use crate::store::read::{body_col, json_col, profile};

/// Rows removed per trimming transaction, so that one never holds the writer long.
const PRUNE_BATCH: usize = 10_000;
/// Seconds between trims once the inbox is within its retention.
const PRUNE_EVERY: i64 = 60;
/// `meta` key: the largest id of a deleted group message.
const GROUP_MSGS_GONE: &str = "group_msgs_gone";
/// Inbox rows per INSERT statement when a batch's rows are written (one statement per row
/// costs a step, a reset and six binds for every event).
pub(super) const INSERT_ROWS: usize = 16;

/// An inbox row of the open transaction, kept until the batch's rows are written (just before
/// its commit) and then announced to the hub.
pub(super) struct Row {
    pub(super) id: u64,
    pub(super) account: String,
    kind: i64,
    ref_id: Option<i64>,
    data: Option<String>,
    time: i64,
    /// The message's line as a channel of the account delivers it, built when the account has
    /// a channel open (the hub keeps it, see `channel::hub`).
    pub(super) live: Option<(Bytes, Conv)>,
}

/// `INSERT OR FAIL INTO inbox ... VALUES` with `n` rows. `OR FAIL`, not the default `ABORT`:
/// a statement that writes several rows and may abort keeps a statement journal, a copy of
/// every page it touches (7 % of the writer's time in a profile). A failure here fails the
/// whole transaction anyway, which is rolled back.
fn insert_sql(n: usize) -> String {
    let mut sql =
        String::from("INSERT OR FAIL INTO inbox(id, account, kind, ref_id, data, time) VALUES ");
    for i in 0..n {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?,?)"
        });
    }
    sql
}

/// The next event id: above every id ever given, the removed ones included.
pub(super) fn next_event_id(conn: &Connection) -> rusqlite::Result<u64> {
    let last: i64 = conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM inbox), 0), COALESCE((SELECT MAX(floor) FROM inbox_floor), 0))",
        [],
        |r| r.get(0),
    )?;
    Ok(last as u64 + 1)
}

/// The next group message id: above every id ever given, those of destroyed groups included.
pub(super) fn next_group_msg_id(conn: &Connection) -> rusqlite::Result<i64> {
    let last: i64 = conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM group_msgs), 0), COALESCE((SELECT value FROM meta WHERE key = ?1), 0))",
        [GROUP_MSGS_GONE],
        |r| r.get(0),
    )?;
    Ok(last + 1)
}

/// Before a group's messages are deleted: remembers their largest id (never to be reused) and
/// drops their receipts.
pub(super) fn retire_group_msgs(conn: &Connection, group_id: &str) -> rusqlite::Result<()> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT MAX(id) FROM group_msgs WHERE group_id = ?1")?
        .query_row([group_id], |r| r.get(0))?;
    if let Some(last) = last {
        conn.prepare_cached(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
        )?
        .execute(params![GROUP_MSGS_GONE, last])?;
    }
    conn.prepare_cached(
        "DELETE FROM group_receipts WHERE msg_id IN (SELECT id FROM group_msgs WHERE group_id = ?1)",
    )?
    .execute([group_id])?;
    Ok(())
}

/// A line of the stream: the event's JSON and a newline.
pub(crate) fn line(event: &Event) -> Bytes {
    let mut v = serde_json::to_vec(event).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

impl Writer {
    /// Adds an event to `account`'s inbox in the open transaction; returns its cursor. The row
    /// is written with the batch's others by [`Writer::flush_inbox`], before the commit.
    fn append(
        &mut self,
        account: &str,
        kind: i64,
        ref_id: Option<i64>,
        data: Option<String>,
        now: i64,
    ) -> u64 {
        let id = self.next_event;
        self.next_event += 1;
        self.inbox.push(Row {
            id,
            account: account.to_string(),
            kind,
            ref_id,
            data,
            time: now,
            live: None,
        });
        id
    }

    /// Appends a stored message's row for each receiver; for those with a channel open, also
    /// its line, as `events::page` would read it back (`event` gets each row's cursor).
    fn append_msg(
        &mut self,
        receivers: &[String],
        kind: i64,
        msg_id: i64,
        now: i64,
        mut live: impl FnMut(&mut Self, &str, u64) -> rusqlite::Result<Option<(Bytes, Conv)>>,
    ) -> rusqlite::Result<()> {
        for r in receivers {
            let id = self.append(r, kind, Some(msg_id), None, now);
            if self.cfg.hub.is_open(r) {
                let line = live(self, r, id)?;
                if let Some(row) = self.inbox.last_mut() {
                    row.live = line;
                }
            }
        }
        Ok(())
    }

    /// Writes the open transaction's inbox rows, [`INSERT_ROWS`] per statement. They stay listed
    /// for the hub until the commit.
    pub(super) fn flush_inbox(&mut self) -> rusqlite::Result<()> {
        for chunk in self.inbox.chunks(INSERT_ROWS) {
            let mut st = self.conn.prepare_cached(&insert_sql(chunk.len()))?;
            let mut i = 0;
            for r in chunk {
                st.raw_bind_parameter(i + 1, r.id as i64)?;
                st.raw_bind_parameter(i + 2, &r.account)?;
                st.raw_bind_parameter(i + 3, r.kind)?;
                st.raw_bind_parameter(i + 4, r.ref_id)?;
                st.raw_bind_parameter(i + 5, &r.data)?;
                st.raw_bind_parameter(i + 6, r.time)?;
                i += 6;
            }
            st.raw_execute()?;
        }
        Ok(())
    }

    /// Adds an event that is not a message: its line is kept as it will be delivered.
    fn append_event(
        &mut self,
        account: &str,
        kind: i64,
        now: i64,
        event: impl FnOnce(u64) -> Event,
    ) -> rusqlite::Result<()> {
        let line = serde_json::to_string(&event(self.next_event)).unwrap_or_default();
        self.append(account, kind, None, Some(line), now);
        Ok(())
    }

    /// A stored C2C message (row `id`) to its receiver, and to the sender's other clients when
    /// it asked for that (`SyncOtherMachine: 1`); an online-only one to their open channels.
    pub(super) fn deliver_c2c(
        &mut self,
        m: &C2cIn,
        to: &str,
        id: i64,
        sent: &C2cSent,
        now: i64,
    ) -> rusqlite::Result<()> {
        let mut receivers = vec![to.to_string()];
        if m.sync_other == Some(1) && m.from != to {
            receivers.push(m.from.clone());
        }
        if !m.common.online_only {
            let mut event = None;
            return self.append_msg(&receivers, kind::C2C_MSG, id, now, |w, r, cursor| {
                let event = match &mut event {
                    Some(e) => e,
                    None => event.insert(w.c2c_event(m, to, sent, 0)?),
                };
                if let Event::C2cMsg(C2cMsgEvent { cursor: c, .. }) = event {
                    *c = Some(cursor);
                }
                let peer = if m.from == r { to } else { m.from.as_str() };
                Ok(Some((line(event), Conv::C2c(peer.to_string()))))
            });
        }
        if !self.cfg.hub.any_open(receivers.iter().map(String::as_str)) {
            return Ok(());
        }
        let event = self.c2c_event(m, to, sent, 1)?;
        self.online.push((receivers, line(&event)));
        Ok(())
    }

    /// A C2C message's event, without a cursor, as a receiver gets it right after it is sent.
    fn c2c_event(
        &self,
        m: &C2cIn,
        to: &str,
        sent: &C2cSent,
        online_only_flag: i64,
    ) -> rusqlite::Result<Event> {
        let c = &m.common;
        let msg = RoamMsg {
            from_account: m.from.clone(),
            to_account: to.to_string(),
            msg_seq: sent.msg_seq,
            msg_random: m.random,
            msg_time_stamp: sent.msg_time,
            msg_flag_bits: 0,
            is_peer_read: 0,
            msg_key: sent.msg_key.clone(),
            msg_body: body_col(c.body.clone()),
            cloud_custom_data: c.cloud_custom_data.clone(),
            support_message_extension: c.support_ext,
            is_need_read_receipt: c.need_receipt,
            offline_push_info: json_col(c.push_info.clone()),
            send_msg_control: json_col(c.send_control.clone()),
        };
        let (nick, face_url) = profile(&self.conn, &m.from)?;
        Ok(Event::C2cMsg(C2cMsgEvent {
            cursor: None,
            online_only_flag,
            msg,
            nick,
            face_url,
        }))
    }

    /// A stored group message (row `id`) to every receiver; an online-only one to their open
    /// channels.
    pub(super) fn deliver_group(
        &mut self,
        m: &GroupMsgIn,
        receivers: Vec<String>,
        id: i64,
        seq: u64,
        now: i64,
    ) -> rusqlite::Result<()> {
        if !m.common.online_only {
            let mut event = None;
            return self.append_msg(&receivers, kind::GROUP_MSG, id, now, |w, _, cursor| {
                let event = match &mut event {
                    Some(e) => e,
                    None => event.insert(w.group_event(m, seq, now, 0)?),
                };
                if let Event::GroupMsg(GroupMsgEvent { cursor: c, .. }) = event {
                    *c = Some(cursor);
                }
                Ok(Some((line(event), Conv::Group(m.group_id.clone()))))
            });
        }
        if !self.cfg.hub.any_open(receivers.iter().map(String::as_str)) {
            return Ok(());
        }
        let event = self.group_event(m, seq, now, 1)?;
        self.online.push((receivers, line(&event)));
        Ok(())
    }

    /// A group message's event, without a cursor, as a receiver gets it right after it is sent.
    fn group_event(
        &self,
        m: &GroupMsgIn,
        seq: u64,
        now: i64,
        online_only_flag: i64,
    ) -> rusqlite::Result<Event> {
        let c = &m.common;
        let msg = GroupMsg {
            from_account: m.from.clone(),
            is_place_msg: 0,
            msg_body: body_col(c.body.clone()),
            msg_priority: m.priority,
            msg_random: m.random,
            msg_seq: seq,
            msg_time_stamp: now,
            is_system_msg: 0,
            cloud_custom_data: c.cloud_custom_data.clone(),
            support_message_extension: c.support_ext,
            need_read_receipt: c.need_receipt,
            offline_push_info: json_col(c.push_info.clone()),
            send_msg_control: json_col(c.send_control.clone()),
            group_at_info: json_col(m.at_info.clone()),
            to_account: m.to_accounts.clone(),
        };
        let (nick, face_url) = profile(&self.conn, &m.from)?;
        Ok(Event::GroupMsg(GroupMsgEvent {
            cursor: None,
            online_only_flag,
            group_id: m.group_id.clone(),
            msg,
            nick,
            face_url,
        }))
    }

    /// `owner` has read `peer`'s messages up to `read_time`: the peer's read receipt and the
    /// owner's read mark.
    pub(super) fn c2c_read_events(
        &mut self,
        owner: &str,
        peer: &str,
        read_time: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.append_event(peer, kind::C2C_READ, now, |cursor| {
            Event::C2cRead(C2cReadEvent {
                cursor,
                peer_account: owner.to_string(),
                msg_read_time: read_time,
            })
        })?;
        self.append_event(owner, kind::READ_MARK, now, |cursor| {
            Event::ReadMark(ReadMarkEvent {
                cursor,
                kind: 1,
                peer_account: Some(peer.to_string()),
                group_id: None,
                msg_read_time: read_time,
                msg_seq: None,
            })
        })
    }

    /// `member`'s read seq in the group is now `read_seq`: its read mark.
    pub(super) fn group_read_event(
        &mut self,
        group_id: &str,
        member: &str,
        read_seq: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.append_event(member, kind::READ_MARK, now, |cursor| {
            Event::ReadMark(ReadMarkEvent {
                cursor,
                kind: 2,
                peer_account: None,
                group_id: Some(group_id.to_string()),
                msg_read_time: now,
                msg_seq: Some(read_seq.max(0) as u64),
            })
        })
    }

    /// The receipt counts of one of `sender`'s group messages changed.
    pub(super) fn group_receipt_event(
        &mut self,
        sender: &str,
        now: i64,
        event: impl FnOnce(u64) -> Event,
    ) -> rusqlite::Result<()> {
        self.append_event(sender, kind::GROUP_RECEIPT, now, event)
    }

    /// `operator` sent receipts for `keys`, messages `peer` sent it.
    pub(super) fn c2c_receipt_event(
        &mut self,
        operator: &str,
        peer: &str,
        keys: Vec<String>,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.append_event(peer, kind::C2C_RECEIPT, now, |cursor| {
            Event::C2cReceipt(C2cReceiptEvent {
                cursor,
                peer_account: operator.to_string(),
                msg_key_list: keys,
                msg_read_time: now,
            })
        })
    }

    /// Trims the inbox to its retention when it is time (in a transaction of its own, after a
    /// batch, so that no answer waits for it).
    pub(super) fn maybe_prune(&mut self) {
        let keep = self.cfg.inbox_retention_secs;
        let now = self.cfg.clock.now();
        if keep <= 0 || now < self.next_prune {
            return;
        }
        let r = (|| -> rusqlite::Result<usize> {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            let n = prune(&self.conn, now - keep)?;
            self.conn.execute_batch("COMMIT")?;
            Ok(n)
        })();
        match r {
            Ok(n) => {
                if n > 0 {
                    self.ckpt.committed();
                }
                // A full batch means there may be more to remove: again after the next batch.
                self.next_prune = if n >= PRUNE_BATCH {
                    now
                } else {
                    now + PRUNE_EVERY
                };
                if n > 0 {
                    tracing::debug!("inbox: removed {n} events older than {keep} s");
                }
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                tracing::warn!("inbox retention: {e}");
                self.next_prune = now + PRUNE_EVERY;
            }
        }
    }
}

/// Removes up to [`PRUNE_BATCH`] of the oldest events older than `cutoff`, raising each
/// account's floor to its newest removed event. Ids grow with time, so the oldest are first.
fn prune(conn: &Connection, cutoff: i64) -> rusqlite::Result<usize> {
    let mut last = None;
    let mut floors: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut n = 0;
    {
        let mut st =
            conn.prepare_cached("SELECT id, account, time FROM inbox ORDER BY id LIMIT ?1")?;
        let mut rows = st.query([PRUNE_BATCH as i64])?;
        while let Some(r) = rows.next()? {
            let time: i64 = r.get(2)?;
            if time >= cutoff {
                break;
            }
            let id: i64 = r.get(0)?;
            let account: String = r.get(1)?;
            floors.insert(account, id);
            last = Some(id);
            n += 1;
        }
    }
    let Some(last) = last else {
        return Ok(0);
    };
    for (account, floor) in floors {
        conn.prepare_cached(
            "INSERT INTO inbox_floor(account, floor) VALUES (?1, ?2)
             ON CONFLICT(account) DO UPDATE SET floor = MAX(floor, excluded.floor)",
        )?
        .execute(params![account, floor])?;
    }
    conn.prepare_cached("DELETE FROM inbox WHERE id <= ?1")?
        .execute([last])?;
    Ok(n)
}
