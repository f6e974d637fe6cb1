//! The local message store: every created message, its status, send target and options,
//! random/MsgSeq, `localCustomData`/`localCustomInt` and its last send outcome, in SQLite.
//!
//! With `dataDir` it is one file, `DataDir/v2im.db` (WAL). Without one, nothing could survive
//! the process, so there is no database at all: the registry holds every message, and writes
//! cost nothing.
//!
//! All writes go through one writer thread (`writer`) that commits whatever has queued up in
//! one transaction (group commit), so concurrent callers share commits. A caller that needs
//! durability (`sendMessage` with `dataDir`) waits for the commit that holds its write;
//! otherwise a write costs the caller one channel send.
//!
//! Crash safety: WAL with `synchronous=NORMAL` writes a transaction's pages to the WAL file
//! with write(2) before COMMIT returns; it skips only the fsync. Once write(2) returned, the
//! bytes are in the kernel's page cache and reach the file even if the process is killed the
//! next instant (SIGKILL, abort, OOM kill) — only an OS crash or power loss before the next
//! checkpoint could lose the last transactions, and even then the database is not corrupted
//! (WAL frames carry checksums; a torn tail is ignored on recovery). What is promised is
//! surviving the process dying; an fsync per commit would cost ~1-10 ms on ordinary disks.
//! Users who need power-loss durability set `"synchronous": "full"`: every commit is then
//! fsync'd before it returns (its cost is bench row 9b).
//!
//! Retention (`storeRetentionDays`): the writer removes old messages nothing needs any more
//! (sent, or received and reported), at open and then hourly, a thousand rows per statement;
//! unsent messages are never removed.
//!
//! One client at a time per `dataDir`: the connection uses `locking_mode=EXCLUSIVE` and takes
//! the write lock at open, so a second client (in this or another process) is refused with
//! `V2IM_ERR_DATA_DIR_IN_USE` instead of interleaving writes. The lock is an fcntl lock: the
//! kernel releases it when the process dies, so a crash never leaves the directory locked.

mod record;
mod schema;
mod writer;

use crate::codes::{self, Error};
use crate::config::Synchronous;
use crate::model::Message;
use crate::registry::Registry;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

pub(crate) use writer::Received;
use writer::{Notified, Op, Write};

/// The database file under `dataDir`.
pub const DB_FILE: &str = "v2im.db";

/// What kind of write a `put` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// A created or changed message (local data, a refused send): no order change.
    State,
    /// `sendMessage` accepted it: it is pending and takes the next place in resume order.
    Accepted,
}

pub struct Store {
    tx: crossbeam_channel::Sender<Op>,
    /// None once shut down (closing it releases the `dataDir` lock).
    conn: Arc<Mutex<Option<Connection>>>,
    durable: bool,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The client's messages: queued writes name a message by id and the writer takes its
    /// latest version from here (store -> registry; the registry knows nothing of the store).
    registry: Arc<Registry>,
    notified: Arc<Notified>,
}

/// Where the live channel stands in this store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChannelState {
    /// The last event committed (`None`: the channel never opened with this store).
    pub cursor: Option<u64>,
    /// The cursor of the last received message whose `onRecvNewMessage` the listener had.
    pub notified: u64,
}

fn io_err(what: String) -> Error {
    Error::new(codes::ERR_IO_OPERATION_FAILED, what)
}

impl Store {
    /// Opens (creating, migrating) `data_dir/v2im.db`, or an in-memory store. Errors: the
    /// directory cannot be created or the file opened → 6022; another client holds it →
    /// `V2IM_ERR_DATA_DIR_IN_USE`; a newer schema → 6022. `log` receives write failures of
    /// writes nobody waits for. `registry` is where the writer reads the messages it writes.
    pub fn open(
        data_dir: Option<&Path>,
        synchronous: Synchronous,
        retention: Option<std::time::Duration>,
        registry: Arc<Registry>,
        log: Box<dyn Fn(String) + Send>,
    ) -> codes::Result<Store> {
        let Some(dir) = data_dir else {
            // Nothing could survive the process: the registry is the whole state, and a send
            // costs no write. (The writer's channel has no receiver: queued writes are dropped.)
            let (tx, _) = crossbeam_channel::unbounded();
            return Ok(Store {
                tx,
                conn: Arc::new(Mutex::new(None)),
                durable: false,
                thread: Mutex::new(None),
                registry,
                notified: Arc::new(Notified::default()),
            });
        };
        let path = dir.join(DB_FILE);
        std::fs::create_dir_all(dir).map_err(|e| {
            io_err(format!(
                "config: dataDir \"{}\" cannot be created: {e}",
                dir.display()
            ))
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(|e| {
            io_err(format!(
                "config: dataDir store \"{}\" cannot be opened: {e}",
                path.display()
            ))
        })?;
        let shown = path.display().to_string();
        setup(&mut conn, synchronous).map_err(|e| match e {
            SetupError::Busy => Error::new(
                codes::V2IM_ERR_DATA_DIR_IN_USE,
                format!(
                    "config: dataDir store \"{shown}\" is in use by another client \
                     (one client per dataDir at a time)"
                ),
            ),
            SetupError::Other(e) => io_err(format!("store \"{shown}\": {e}")),
        })?;
        let next_ord = conn
            .query_row("SELECT COALESCE(MAX(ord), 0) + 1 FROM messages", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| io_err(format!("store \"{shown}\": {e}")))?;
        let notified = Arc::new(Notified::default());
        let state = channel_state(&conn).map_err(|e| io_err(format!("store \"{shown}\": {e}")))?;
        notified.upto.store(state.notified, Ordering::Relaxed);
        let conn = Arc::new(Mutex::new(Some(conn)));
        let (tx, rx) = crossbeam_channel::unbounded();
        let wconn = conn.clone();
        let wreg = registry.clone();
        let wnotified = notified.clone();
        let thread = std::thread::Builder::new()
            .name("v2im-store".into())
            .spawn(move || writer::run(&wconn, &wreg, &rx, next_ord, &wnotified, retention, &*log))
            .map_err(|e| io_err(format!("cannot start the store thread: {e}")))?;
        Ok(Store {
            tx,
            conn,
            durable: true,
            thread: Mutex::new(Some(thread)),
            registry,
            notified,
        })
    }

    /// Queues what the live channel delivered (see [`Received`]); never waits. Without a
    /// `dataDir` nothing of it could survive the process, so nothing is written: `after` runs at
    /// once (the registry holds the received messages for this run).
    pub fn received(&self, r: Received) {
        if !self.durable {
            if let Some(after) = r.after {
                after(true);
            }
            return;
        }
        if let Err(crossbeam_channel::SendError(Op::Received(r))) = self.tx.send(Op::Received(r)) {
            if let Some(after) = r.after {
                after(false);
            }
        }
    }

    /// Records that the listener had the event of the received message at `cursor` (written
    /// with the next commit).
    pub fn notified(&self, cursor: u64) {
        self.notified.upto.fetch_max(cursor, Ordering::Relaxed);
    }

    /// Where the live channel stands.
    pub fn channel_state(&self) -> codes::Result<ChannelState> {
        match self.conn.lock().as_ref() {
            Some(c) => channel_state(c).map_err(|e| io_err(format!("store: {e}"))),
            None => Ok(ChannelState::default()),
        }
    }

    /// Received messages committed after the one whose event the listener had last (the
    /// process ended first), in the order received.
    pub fn unnotified(&self) -> codes::Result<Vec<(u64, Message)>> {
        let c = self.conn.lock();
        let Some(c) = c.as_ref() else {
            return Ok(Vec::new());
        };
        let notified = self.notified.upto.load(Ordering::Relaxed) as i64;
        let mut st = c
            .prepare("SELECT cursor, rec FROM messages WHERE cursor > ?1 ORDER BY cursor")
            .map_err(|e| io_err(format!("store: {e}")))?;
        let rows = st
            .query_map([notified], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| io_err(format!("store: {e}")))?;
        let mut out = Vec::new();
        for r in rows {
            let (cursor, text) = r.map_err(|e| io_err(format!("store: {e}")))?;
            match serde_json::from_str::<record::Rec>(&text) {
                Ok(rec) => out.push((cursor as u64, rec.into_message())),
                Err(e) => return Err(io_err(format!("store: unreadable message: {e}"))),
            }
        }
        Ok(out)
    }

    /// Whether writes survive the process (a `dataDir` is set).
    pub fn is_durable(&self) -> bool {
        self.durable
    }

    /// Writes the message; with a `dataDir`, returns once the write is committed (its error
    /// otherwise). In memory it only queues the write.
    pub fn put(
        &self,
        m: Arc<Message>,
        kind: Put,
        outcome: Option<(i32, &str)>,
    ) -> codes::Result<()> {
        if self.durable {
            self.put_wait(m, kind, outcome)
        } else {
            self.put_nowait(m, kind, outcome);
            Ok(())
        }
    }

    /// Queues the write and returns at once (creates: durability is owed only to accepted sends).
    pub fn put_nowait(&self, m: Arc<Message>, kind: Put, outcome: Option<(i32, &str)>) {
        if !self.durable {
            return;
        }
        let w = Write::new(&self.registry, m, kind, outcome, None);
        let _ = self.tx.send(Op::Write(w));
    }

    fn put_wait(
        &self,
        m: Arc<Message>,
        kind: Put,
        outcome: Option<(i32, &str)>,
    ) -> codes::Result<()> {
        let (done, wait) = crossbeam_channel::bounded(1);
        let w = Write::new(&self.registry, m, kind, outcome, Some(done));
        if self.tx.send(Op::Write(w)).is_err() {
            return Err(io_err("store closed".into()));
        }
        wait.recv()
            .unwrap_or_else(|_| Err(io_err("store writer stopped".into())))
    }

    /// Waits until every write queued before this call is committed.
    pub fn flush(&self) {
        let (done, wait) = crossbeam_channel::bounded(1);
        if self.tx.send(Op::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// The stored message with this local id or msgID.
    pub fn load(&self, id_or_msg_id: &str) -> Option<Message> {
        let c = self.conn.lock();
        let rec: Option<String> = c
            .as_ref()?
            .query_row(
                "SELECT rec FROM messages WHERE id = ?1
                 UNION ALL SELECT rec FROM messages WHERE msg_id = ?1 LIMIT 1",
                [id_or_msg_id],
                |r| r.get(0),
            )
            .optional()
            .ok()
            .flatten();
        rec.and_then(|r| serde_json::from_str::<record::Rec>(&r).ok())
            .map(record::Rec::into_message)
    }

    /// Messages accepted by a `sendMessage` of an earlier run that never got an outcome, in
    /// accept order.
    pub fn pending(&self) -> codes::Result<Vec<Message>> {
        let c = self.conn.lock();
        let Some(c) = c.as_ref() else {
            return Ok(Vec::new());
        };
        let mut st = c
            .prepare("SELECT rec FROM messages WHERE pending = 1 ORDER BY ord")
            .map_err(|e| io_err(format!("store: {e}")))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| io_err(format!("store: {e}")))?;
        let mut out = Vec::new();
        for r in rows {
            let text = r.map_err(|e| io_err(format!("store: {e}")))?;
            match serde_json::from_str::<record::Rec>(&text) {
                Ok(rec) => out.push(rec.into_message()),
                Err(e) => return Err(io_err(format!("store: unreadable message: {e}"))),
            }
        }
        Ok(out)
    }

    /// The largest number `n` of a stored local id `v2im-<n>` (0 if none), so ids of a new run
    /// never collide with stored ones.
    pub fn max_local_number(&self) -> u64 {
        let c = self.conn.lock();
        let Some(c) = c.as_ref() else { return 0 };
        c.query_row(
            "SELECT COALESCE(MAX(CAST(substr(id, 6) AS INTEGER)), 0) FROM messages
             WHERE id LIKE 'v2im-%'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_or(0, |n| n.max(0) as u64)
    }

    /// Commits what is queued, stops the writer and closes the database (releasing the
    /// `dataDir` lock). Idempotent.
    pub fn shutdown(&self) {
        if let Some(t) = self.thread.lock().take() {
            let _ = self.tx.send(Op::Stop);
            let _ = t.join();
            self.conn.lock().take();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn channel_state(c: &Connection) -> rusqlite::Result<ChannelState> {
    let get = |key: &str| -> rusqlite::Result<Option<i64>> {
        c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    };
    Ok(ChannelState {
        cursor: get("cursor")?.map(|v| v.max(0) as u64),
        notified: get("notified")?.unwrap_or(0).max(0) as u64,
    })
}

enum SetupError {
    Busy,
    Other(String),
}

impl From<rusqlite::Error> for SetupError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                SetupError::Busy
            }
            _ => SetupError::Other(e.to_string()),
        }
    }
}

fn setup(conn: &mut Connection, synchronous: Synchronous) -> Result<(), SetupError> {
    // Exclusive before WAL: SQLite then keeps the WAL index in heap memory (no -shm file) and
    // the first write below takes the lock for the connection's lifetime.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.busy_timeout(std::time::Duration::from_millis(0))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SetupError::Other(format!(
            "journal_mode WAL refused ({mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", synchronous.pragma())?;
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")?;
    match schema::migrate(conn)? {
        Ok(()) => Ok(()),
        Err(why) => Err(SetupError::Other(why)),
    }
}

#[cfg(test)]
mod tests;
