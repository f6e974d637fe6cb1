//! The store's writer thread: takes every write queued so far, commits them in one
//! transaction, then answers the writers that wait (group commit).
//!
//! A burst of N concurrent `sendMessage` calls costs one commit instead of N, and a writer
//! that does not wait (creates, in-memory mode, outcomes) costs its caller one channel send.

use super::record::{is_pending, Rec};
use super::Put;
use crate::codes::{self, Error};
use crate::model::Message;
use crate::registry::Registry;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most writes in one transaction: bounds how long a reader (`findMessages`) waits for the
/// connection behind a commit.
const MAX_BATCH: usize = 4096;

/// One queued write. It names the message by id and does not hold its version: the batch
/// writes the registry's latest version (always at least as new as the one the caller saw), so
/// a queued write never makes `Registry::update` copy the message (`Arc::make_mut`).
pub struct Write {
    id: Box<str>,
    /// The caller's version, kept only when the message was not in the registry when queued
    /// (store tests, a message removed meanwhile): the rare case that has nothing to look up.
    fallback: Option<Arc<Message>>,
    kind: Put,
    outcome: Option<(i32, String)>,
    done: Option<Sender<codes::Result<()>>>,
}

impl Write {
    pub fn new(
        registry: &Registry,
        msg: Arc<Message>,
        kind: Put,
        outcome: Option<(i32, &str)>,
        done: Option<Sender<codes::Result<()>>>,
    ) -> Write {
        let fallback = (!registry.contains(&msg.id)).then(|| msg.clone());
        Write {
            id: msg.id.as_str().into(),
            fallback,
            kind,
            outcome: outcome.map(|(c, d)| (c, d.to_owned())),
            done,
        }
    }
}

/// What the live channel delivered: a received message (or an event that only moves the
/// cursor), committed with the cursor, then `after` runs with whether the commit succeeded (it
/// posts the events that report it, or makes the channel start again from the last cursor
/// that was committed).
pub struct Received {
    pub msg: Option<Arc<Message>>,
    /// `None` for online-only messages, which are not part of the account's stored events.
    pub cursor: Option<u64>,
    pub after: Option<Box<dyn FnOnce(bool) + Send>>,
}

pub enum Op {
    Write(Write),
    Received(Received),
    /// Answered once everything queued before it is committed (and its `after`s have run).
    Flush(Sender<()>),
    Stop,
}

/// The channel's progress the writer records: the cursor of the last received message whose
/// event the listener has had (set on the callback thread, written with the next commit).
#[derive(Default)]
pub struct Notified {
    pub upto: AtomicU64,
}

/// How often `storeRetentionDays` is applied while the store is in use (and once at open).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Rows removed per pruning statement, so that no commit waits long behind one.
const PRUNE_ROWS: usize = 1000;

/// Removes the messages older than `retention` that nothing needs any more: sent (or received)
/// successfully, not waiting to be sent, and, if received, reported to the listener. Unsent
/// messages (created, queued, failed) are never removed. Returns how many were removed.
pub(super) fn prune(
    conn: &Connection,
    retention: Duration,
    notified: u64,
    now: i64,
) -> rusqlite::Result<usize> {
    let before = now.saturating_sub(i64::try_from(retention.as_secs()).unwrap_or(i64::MAX));
    let mut st = conn.prepare_cached(
        "DELETE FROM messages WHERE id IN (
            SELECT id FROM messages
            WHERE pending = 0 AND status = 2 AND time < ?1 AND (cursor IS NULL OR cursor <= ?2)
            LIMIT ?3)",
    )?;
    let mut removed = 0;
    loop {
        let n = st.execute(params![
            before,
            i64::try_from(notified).unwrap_or(i64::MAX),
            PRUNE_ROWS as i64
        ])?;
        removed += n;
        if n < PRUNE_ROWS {
            return Ok(removed);
        }
    }
}

pub fn run(
    conn: &Mutex<Option<Connection>>,
    registry: &Registry,
    rx: &Receiver<Op>,
    mut next_ord: i64,
    notified: &Notified,
    retention: Option<Duration>,
    log: &dyn Fn(String),
) {
    let mut stop = false;
    let mut notified_written = notified.upto.load(Ordering::Relaxed);
    let mut pruned_at: Option<Instant> = None;
    while !stop {
        if let Some(keep) = retention {
            if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(Instant::now());
                let now = crate::model::message::now_secs();
                if let Some(Err(e)) = conn
                    .lock()
                    .as_ref()
                    .map(|c| prune(c, keep, notified_written, now))
                {
                    log(format!("store: old messages not removed: {e}"));
                }
            }
        }
        let Ok(first) = rx.recv() else { break };
        let mut batch = Vec::new();
        let mut received = Vec::new();
        let mut flushes: Vec<Sender<()>> = Vec::new();
        let mut take = |op: Op, batch: &mut Vec<Write>, received: &mut Vec<Received>| match op {
            Op::Write(w) => batch.push(w),
            Op::Received(r) => received.push(r),
            Op::Flush(f) => flushes.push(f),
            Op::Stop => stop = true,
        };
        take(first, &mut batch, &mut received);
        while batch.len() + received.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => take(op, &mut batch, &mut received),
                Err(_) => break,
            }
        }
        // Stop writes what the listener has seen too.
        let seen = notified.upto.load(Ordering::Relaxed);
        let seen = (seen != notified_written).then_some(seen);
        if !batch.is_empty() || !received.is_empty() || seen.is_some() {
            let result = match conn.lock().as_mut() {
                Some(c) => commit(c, registry, &batch, &received, seen, &mut next_ord),
                None => Err(Error::new(codes::ERR_IO_OPERATION_FAILED, "store closed")),
            };
            match &result {
                Ok(()) => notified_written = seen.unwrap_or(notified_written),
                Err(e) if !received.is_empty() => {
                    log(format!("store: received messages not recorded: {e}"))
                }
                Err(_) => {}
            }
            // Reported after the commit, in order.
            for r in received {
                if let Some(after) = r.after {
                    after(result.is_ok());
                }
            }
            for w in batch {
                match (&result, w.done) {
                    (Ok(()), Some(d)) => {
                        let _ = d.send(Ok(()));
                    }
                    (Err(e), Some(d)) => {
                        let _ = d.send(Err(e.clone()));
                    }
                    (Err(e), None) => log(format!("store write of {} failed: {e}", w.id)),
                    (Ok(()), None) => {}
                }
            }
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}

/// What one batch writes for one message: its last state, its accept order if it was accepted
/// in this batch, its last outcome. A message created and sent in quick succession (the common
/// case under load) is written once, not twice.
struct Merged<'a> {
    last: usize,
    ord: Option<i64>,
    outcome: Option<&'a (i32, String)>,
}

fn merge<'a>(batch: &'a [Write], next_ord: &mut i64) -> HashMap<&'a str, Merged<'a>> {
    let mut by_id: HashMap<&str, Merged> = HashMap::with_capacity(batch.len());
    for (i, w) in batch.iter().enumerate() {
        let e = by_id.entry(&*w.id).or_insert(Merged {
            last: i,
            ord: None,
            outcome: None,
        });
        e.last = i;
        if w.kind == Put::Accepted {
            e.ord = Some(*next_ord);
            *next_ord += 1;
        }
        if w.outcome.is_some() {
            e.outcome = w.outcome.as_ref();
        }
    }
    by_id
}

fn commit(
    conn: &mut Connection,
    registry: &Registry,
    batch: &[Write],
    received: &[Received],
    notified: Option<u64>,
    next_ord: &mut i64,
) -> codes::Result<()> {
    let io = |e: rusqlite::Error| Error::new(codes::ERR_IO_OPERATION_FAILED, format!("store: {e}"));
    let tx = conn.transaction().map_err(io)?;
    {
        let mut put = tx
            .prepare_cached(
                "INSERT INTO messages (id, msg_id, status, pending, ord, code, desc, rec, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10)
                 ON CONFLICT(id) DO UPDATE SET
                    msg_id = excluded.msg_id, status = excluded.status,
                    pending = excluded.pending,
                    ord = CASE WHEN ?9 THEN excluded.ord ELSE messages.ord END,
                    code = COALESCE(excluded.code, messages.code),
                    desc = COALESCE(excluded.desc, messages.desc),
                    rec = excluded.rec, time = excluded.time",
            )
            .map_err(io)?;
        // A message gone from the registry with no fallback: keep its outcome on the row an
        // earlier batch wrote (the registry never drops a message today; this is defensive).
        let mut outcome_only = tx
            .prepare_cached("UPDATE messages SET code = ?2, desc = ?3, pending = 0 WHERE id = ?1")
            .map_err(io)?;
        let merged = merge(batch, next_ord);
        for (i, w) in batch.iter().enumerate() {
            let Some(e) = merged.get(&*w.id).filter(|e| e.last == i) else {
                continue;
            };
            // The latest version: newer than the one queued is always right (one row per
            // message per batch; a later write of it follows anyway).
            let Some(latest) = registry.get_shared(&w.id).or_else(|| w.fallback.clone()) else {
                if let Some(o) = e.outcome {
                    outcome_only
                        .execute(params![&*w.id, o.0, o.1.as_str()])
                        .map_err(io)?;
                }
                continue;
            };
            let m = &*latest;
            let rec = serde_json::to_string(&Rec::of(m))
                .map_err(|e| Error::new(codes::ERR_IO_OPERATION_FAILED, format!("store: {e}")))?;
            put.execute(params![
                m.id,
                m.msg_id,
                m.status.value(),
                is_pending(m),
                e.ord.unwrap_or(0),
                e.outcome.map(|o| o.0),
                e.outcome.map(|o| o.1.as_str()),
                rec,
                e.ord.is_some(),
                m.timestamp,
            ])
            .map_err(io)?;
        }
    }
    commit_received(&tx, received, notified, next_ord).map_err(io)?;
    tx.commit().map_err(io)
}

/// Received messages (their id is their msgID; one already stored is kept as it is) and the
/// channel's cursors.
fn commit_received(
    tx: &rusqlite::Transaction<'_>,
    received: &[Received],
    notified: Option<u64>,
    next_ord: &mut i64,
) -> rusqlite::Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO messages (id, msg_id, status, pending, ord, rec, cursor, time)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
    )?;
    let mut cursor = None;
    for r in received {
        if let Some(m) = &r.msg {
            let rec = serde_json::to_string(&Rec::of(m))
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            put.execute(params![
                m.id,
                m.msg_id,
                m.status.value(),
                *next_ord,
                rec,
                r.cursor.map(|c| c as i64),
                m.timestamp,
            ])?;
            *next_ord += 1;
        }
        cursor = r.cursor.or(cursor);
    }
    let mut meta = tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
    )?;
    if let Some(c) = cursor {
        meta.execute(params!["cursor", c as i64])?;
    }
    if let Some(n) = notified {
        meta.execute(params!["notified", n as i64])?;
    }
    Ok(())
}
