//! The writer's side of the outbox (see `store::outbox`): rows added in the transaction that
//! stores their message, the lanes told after its commit, delivered rows deleted, and the rows
//! of a group's messages given their whole body before `destroy_group` deletes the messages.

use std::sync::Arc;

use rusqlite::{params, Connection};

use super::Writer;
use crate::store::jobs::{C2cIn, GroupMsgIn};
use crate::store::outbox::{self, kind, lane, Signal};

/// Which notifications the writer queues, and whom it tells.
pub(crate) struct Hooks {
    pub c2c_after: bool,
    pub group_after: bool,
    pub push: bool,
    pub signal: Arc<Signal>,
}

impl Hooks {
    /// Nothing on (the writer's unit tests).
    #[cfg(test)]
    pub(crate) fn off() -> Self {
        Hooks {
            c2c_after: false,
            group_after: false,
            push: false,
            signal: Arc::new(Signal::new()),
        }
    }
}

/// A row to add.
struct NewRow<'a> {
    lane: usize,
    kind: i64,
    ref_id: i64,
    operator: Option<&'a str>,
    client_ip: &'a str,
    receivers: Option<String>,
}

/// Per lane, the next outbox id: above every id of a row still kept. Numbered per lane, so
/// that a lane's delivered rows form runs that are deleted a run at a time.
pub(super) fn next_ids(conn: &Connection) -> rusqlite::Result<[u64; lane::COUNT]> {
    let mut next = [1; lane::COUNT];
    for (l, n) in next.iter_mut().enumerate() {
        let last: i64 = conn
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM outbox WHERE lane = ?1")?
            .query_row([l as i64], |r| r.get(0))?;
        *n = last as u64 + 1;
    }
    Ok(next)
}

impl Writer {
    fn outbox_add(&mut self, row: NewRow<'_>, now_ms: i64) -> rusqlite::Result<()> {
        let id = self.next_outbox[row.lane];
        self.next_outbox[row.lane] += 1;
        self.conn
            .prepare_cached(
                "INSERT INTO outbox(lane, id, kind, ref_id, operator, client_ip, receivers, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                row.lane as i64,
                id as i64,
                row.kind,
                row.ref_id,
                row.operator,
                row.client_ip,
                row.receivers,
                now_ms
            ])?;
        self.outbox_added[row.lane] = id;
        Ok(())
    }

    /// The notifications of a stored C2C message (row `id`) to `to`.
    pub(super) fn c2c_outbox(&mut self, m: &C2cIn, to: &str, id: i64) -> rusqlite::Result<()> {
        let hooks = &self.cfg.hooks;
        let c = &m.common;
        // Tencent's callbacks come from sendmsg only.
        let after = hooks.c2c_after && !m.batch && !c.no_after_callback;
        let push = hooks.push && !c.online_only && !c.no_push && !self.cfg.hub.is_open(to);
        if !after && !push {
            return Ok(());
        }
        let now_ms = self.cfg.clock.now_ms();
        if after {
            self.outbox_add(
                NewRow {
                    lane: lane::CALLBACK,
                    kind: kind::C2C_AFTER,
                    ref_id: id,
                    operator: None,
                    client_ip: &m.client_ip,
                    receivers: None,
                },
                now_ms,
            )?;
        }
        if push {
            self.outbox_add(
                NewRow {
                    lane: lane::PUSH,
                    kind: kind::C2C_PUSH,
                    ref_id: id,
                    operator: None,
                    client_ip: &m.client_ip,
                    receivers: None,
                },
                now_ms,
            )?;
        }
        Ok(())
    }

    /// The notifications of a stored group message (row `id`) to `receivers` (the sender
    /// included).
    pub(super) fn group_outbox(
        &mut self,
        m: &GroupMsgIn,
        receivers: &[String],
        id: i64,
    ) -> rusqlite::Result<()> {
        let hooks = &self.cfg.hooks;
        let c = &m.common;
        let after = hooks.group_after && !c.no_after_callback;
        let offline = if hooks.push && !c.online_only && !c.no_push {
            self.cfg.hub.offline(
                receivers
                    .iter()
                    .map(String::as_str)
                    .filter(|r| *r != m.from),
            )
        } else {
            Vec::new()
        };
        if !after && offline.is_empty() {
            return Ok(());
        }
        let now_ms = self.cfg.clock.now_ms();
        if after {
            self.outbox_add(
                NewRow {
                    lane: lane::CALLBACK,
                    kind: kind::GROUP_AFTER,
                    ref_id: id,
                    operator: Some(&m.operator),
                    client_ip: &m.client_ip,
                    receivers: None,
                },
                now_ms,
            )?;
        }
        if !offline.is_empty() {
            self.outbox_add(
                NewRow {
                    lane: lane::PUSH,
                    kind: kind::GROUP_PUSH,
                    ref_id: id,
                    operator: Some(&m.operator),
                    client_ip: &m.client_ip,
                    receivers: Some(serde_json::to_string(&offline).unwrap_or_default()),
                },
                now_ms,
            )?;
        }
        Ok(())
    }

    /// Deletes delivered rows, a run of consecutive ids at a time.
    pub(super) fn outbox_done(&mut self, lane: usize, ids: &mut [u64]) -> rusqlite::Result<()> {
        ids.sort_unstable();
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM outbox WHERE lane = ?1 AND id BETWEEN ?2 AND ?3")?;
        let mut rest = &ids[..];
        while let Some(&first) = rest.first() {
            let run = rest
                .iter()
                .enumerate()
                .take_while(|&(i, id)| *id == first + i as u64)
                .count();
            st.execute(params![lane as i64, first as i64, rest[run - 1] as i64])?;
            rest = &rest[run..];
        }
        Ok(())
    }

    /// Before a group's messages are deleted: the rows that name them get their whole body.
    pub(super) fn outbox_keep_group(&mut self, group_id: &str) -> rusqlite::Result<()> {
        let rows: Vec<(i64, outbox::Row)> = self
            .conn
            .prepare_cached(
                "SELECT lane, id, kind, ref_id, operator, client_ip, receivers, created FROM outbox
                 WHERE kind IN (?2, ?3) AND body IS NULL
                   AND ref_id IN (SELECT id FROM group_msgs WHERE group_id = ?1)",
            )?
            .query_map(
                params![group_id, kind::GROUP_AFTER, kind::GROUP_PUSH],
                |r| {
                    Ok((
                        r.get(0)?,
                        outbox::Row {
                            id: r.get::<_, i64>(1)? as u64,
                            kind: r.get(2)?,
                            ref_id: r.get(3)?,
                            operator: r.get(4)?,
                            client_ip: r.get(5)?,
                            receivers: r.get(6)?,
                            body: None,
                            created: r.get(7)?,
                        },
                    ))
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        for (lane, row) in rows {
            if let Some(body) = outbox::build(&self.conn, &row)? {
                self.conn
                    .prepare_cached(
                        "UPDATE outbox SET body = ?3, ref_id = NULL WHERE lane = ?1 AND id = ?2",
                    )?
                    .execute(params![lane, row.id as i64, body])?;
            }
        }
        Ok(())
    }

    /// After a commit: each lane that got rows learns its newest.
    pub(super) fn outbox_committed(&mut self) {
        for (l, newest) in self.outbox_added.iter_mut().enumerate() {
            if *newest > 0 {
                self.cfg.hooks.signal.lanes[l].send_replace(*newest);
                *newest = 0;
            }
        }
    }
}
