//! The store's writer thread: takes every write queued so far, commits them in one
//! transaction, then answers the writers that wait (group commit).
//!
//! A burst of N concurrent `sendMessage` calls costs one commit instead of N, and a writer
//! that does not wait (creates, in-memory mode, outcomes) costs its caller one channel send.

use super::record::{is_pending, Rec};
use super::Put;
use crate::codes::{self, Error};
use crate::model::Message;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use rusqlite::{params, Connection};
use std::sync::Arc;

/// Most writes in one transaction: bounds how long a reader (`findMessages`) waits for the
/// connection behind a commit.
const MAX_BATCH: usize = 4096;

pub struct Write {
    msg: Arc<Message>,
    kind: Put,
    outcome: Option<(i32, String)>,
    done: Option<Sender<codes::Result<()>>>,
}

impl Write {
    pub fn new(
        msg: Arc<Message>,
        kind: Put,
        outcome: Option<(i32, &str)>,
        done: Option<Sender<codes::Result<()>>>,
    ) -> Write {
        Write {
            msg,
            kind,
            outcome: outcome.map(|(c, d)| (c, d.to_owned())),
            done,
        }
    }
}

pub enum Op {
    Write(Write),
    /// Answered once everything queued before it is committed.
    Flush(Sender<()>),
    Stop,
}

pub fn run(
    conn: &Mutex<Option<Connection>>,
    rx: &Receiver<Op>,
    mut next_ord: i64,
    log: &dyn Fn(String),
) {
    let mut stop = false;
    while !stop {
        let Ok(first) = rx.recv() else { break };
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        let mut take = |op: Op, batch: &mut Vec<Write>| match op {
            Op::Write(w) => batch.push(w),
            Op::Flush(f) => flushes.push(f),
            Op::Stop => stop = true,
        };
        take(first, &mut batch);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => take(op, &mut batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            let result = match conn.lock().as_mut() {
                Some(c) => commit(c, &batch, &mut next_ord),
                None => Err(Error::new(codes::ERR_IO_OPERATION_FAILED, "store closed")),
            };
            for w in batch {
                match (&result, w.done) {
                    (Ok(()), Some(d)) => {
                        let _ = d.send(Ok(()));
                    }
                    (Err(e), Some(d)) => {
                        let _ = d.send(Err(e.clone()));
                    }
                    (Err(e), None) => log(format!("store write of {} failed: {e}", w.msg.id)),
                    (Ok(()), None) => {}
                }
            }
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}

fn commit(conn: &mut Connection, batch: &[Write], next_ord: &mut i64) -> codes::Result<()> {
    let io = |e: rusqlite::Error| Error::new(codes::ERR_IO_OPERATION_FAILED, format!("store: {e}"));
    let tx = conn.transaction().map_err(io)?;
    {
        let mut put = tx
            .prepare_cached(
                "INSERT INTO messages (id, msg_id, status, pending, ord, code, desc, rec)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET
                    msg_id = excluded.msg_id, status = excluded.status,
                    pending = excluded.pending,
                    ord = CASE WHEN ?9 THEN excluded.ord ELSE messages.ord END,
                    code = COALESCE(excluded.code, messages.code),
                    desc = COALESCE(excluded.desc, messages.desc),
                    rec = excluded.rec",
            )
            .map_err(io)?;
        for w in batch {
            let m = &*w.msg;
            let rec = serde_json::to_string(&Rec::of(m))
                .map_err(|e| Error::new(codes::ERR_IO_OPERATION_FAILED, format!("store: {e}")))?;
            let accepted = w.kind == Put::Accepted;
            let ord = *next_ord;
            if accepted {
                *next_ord += 1;
            }
            put.execute(params![
                m.id,
                m.msg_id,
                m.status.value(),
                is_pending(m),
                ord,
                w.outcome.as_ref().map(|o| o.0),
                w.outcome.as_ref().map(|o| o.1.as_str()),
                rec,
                accepted,
            ])
            .map_err(io)?;
        }
    }
    tx.commit().map_err(io)
}
