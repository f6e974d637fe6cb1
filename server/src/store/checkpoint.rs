//! WAL checkpoints beside the writer.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, on the
//! writer thread: it copies every page the WAL holds into the database file and syncs both
//! files, so the jobs of that batch waited for two fsyncs and the copy, and so did every job
//! queued behind them. A send writes several pages (the message, its conversation index entry,
//! the unread count, an inbox row per receiver), so with the default threshold of 1000 pages
//! that happened every few hundred messages.
//!
//! Here a thread of its own copies the WAL into the database while the writer goes on
//! (`PASSIVE`: it never blocks the writer or the readers). The WAL can only start again from its
//! beginning once everything in it has been copied, which under steady writes the checkpoint
//! thread never sees (new frames arrive while it copies). So once the thread reports that the
//! WAL holds [`RESTART_FRAMES`], the writer itself copies what is left, after it has answered its
//! batch: only what was committed while the thread's pass ran. Its next transaction then starts
//! the WAL over. The WAL file therefore stays around [`RESTART_FRAMES`] pages, plus what the
//! writer commits in one [`PERIOD`].
//!
//! Durability is unchanged: commits never waited for an fsync (`synchronous=NORMAL`), and a
//! checkpoint syncs the WAL before it copies from it, wherever it runs.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// WAL pages at which the writer finishes the checkpoint so that the WAL starts over (32 MiB of
/// 4 KiB pages).
pub(crate) const RESTART_FRAMES: i64 = 8192;
/// How long the checkpoint thread lets commits gather before it copies them. A page that many
/// commits change (the last leaf of an active conversation's index, the counts) is copied once
/// per pass, and each pass syncs both files: measured under `wrk -c16`, passes every 250 ms
/// instead of 50 ms gave 20 % more sends per second.
const PERIOD: Duration = Duration::from_millis(250);

struct Shared {
    /// A commit happened since the thread's last pass.
    dirty: AtomicBool,
    stop: AtomicBool,
    /// The WAL's pages at the thread's last pass.
    wal_frames: AtomicI64,
}

/// The checkpoint thread and what the writer tells it.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    restart_frames: i64,
}

/// Runs `PRAGMA wal_checkpoint(PASSIVE)`: `None` when another checkpoint was running, else the
/// pages in the WAL and how many of them are now in the database file.
pub(crate) fn passive(conn: &Connection) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        let busy: i64 = r.get(0)?;
        Ok((busy == 0).then_some((r.get(1)?, r.get(2)?)))
    })
}

impl Checkpointer {
    /// Starts the thread on its own connection to `path`.
    pub(crate) fn start(path: &Path) -> std::io::Result<Checkpointer> {
        Self::start_with(path, RESTART_FRAMES, PERIOD)
    }

    fn start_with(
        path: &Path,
        restart_frames: i64,
        period: Duration,
    ) -> std::io::Result<Checkpointer> {
        let conn = Connection::open(path).map_err(super::schema::io_err)?;
        super::schema::configure(&conn).map_err(super::schema::io_err)?;
        let shared = Arc::new(Shared {
            dirty: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            wal_frames: AtomicI64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("v2im-checkpoint".into())
            .spawn(move || run(conn, &s, period))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
            restart_frames,
        })
    }

    /// After a commit: wakes the thread if it is idle (one atomic swap otherwise).
    pub(crate) fn committed(&self) {
        if !self.shared.dirty.swap(true, Ordering::AcqRel) {
            if let Some(t) = &self.thread {
                t.thread().unpark();
            }
        }
    }

    /// Whether the WAL has grown enough for the writer to finish a checkpoint.
    pub(crate) fn restart_due(&self) -> bool {
        self.shared.wal_frames.load(Ordering::Relaxed) >= self.restart_frames
    }

    /// After the writer's own checkpoint. Whether or not it could copy everything (a reader
    /// still on an older snapshot holds frames back), the next try waits for the thread's next
    /// report: the writer never pays for a checkpoint after every batch.
    pub(crate) fn writer_checkpointed(&self) {
        self.shared.wal_frames.store(0, Ordering::Relaxed);
    }

    /// Stops the thread and waits for it (its current pass finishes). Idempotent.
    pub(crate) fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            if t.join().is_err() {
                tracing::error!("the checkpoint thread panicked");
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(conn: Connection, s: &Shared, period: Duration) {
    loop {
        while !s.dirty.load(Ordering::Acquire) && !s.stop.load(Ordering::Acquire) {
            std::thread::park();
        }
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        // One pass for the commits of a whole period, not one per commit.
        std::thread::sleep(period);
        s.dirty.store(false, Ordering::Release);
        match passive(&conn) {
            Ok(Some((frames, _))) => s.wal_frames.store(frames, Ordering::Relaxed),
            // The writer is finishing one itself.
            Ok(None) => {}
            Err(e) => tracing::warn!("WAL checkpoint: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wal_starts_over_under_steady_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = super::super::schema::open_writer(&path, false).unwrap();
        conn.execute_batch("CREATE TABLE t(x BLOB)").unwrap();
        let ckpt = Checkpointer::start_with(&path, 64, Duration::from_millis(2)).unwrap();
        let blob = vec![7u8; 3000];
        let insert = || {
            conn.execute("INSERT INTO t VALUES (?1)", [&blob]).unwrap();
            ckpt.committed();
        };
        // Waits (bounded) for `f`: the thread runs when the OS schedules it, which on a loaded
        // machine can take any time, so the test waits for what it observes instead of a guess.
        let until = |what: &str, f: &mut dyn FnMut() -> bool| {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while !f() {
                assert!(std::time::Instant::now() < deadline, "never: {what}");
                std::thread::sleep(Duration::from_millis(1));
            }
        };
        let mut commits = 0;
        for _round in 0..5 {
            // Steady writes, about a page each, until the thread reports a full WAL.
            let mut n = 0;
            while !ckpt.restart_due() {
                insert();
                n += 1;
                if n > 1000 {
                    // Far past the threshold: from here on the report is only late, so wait.
                    until("the thread reports a full WAL", &mut || ckpt.restart_due());
                }
            }
            commits += n;
            // The writer copies what is left; it can only finish while the thread is not in a
            // pass of its own (then `passive` says busy, or copies less than the WAL holds).
            until(
                "the writer's checkpoint copies the whole WAL",
                &mut || matches!(passive(&conn).unwrap(), Some((all, done)) if all == done),
            );
            ckpt.writer_checkpointed();
            assert!(!ckpt.restart_due(), "the next try waits for a new report");
            // The next transaction starts the WAL over: it holds that commit alone, not the
            // pages of every commit before it.
            insert();
            commits += 1;
            let frames = passive(&conn).unwrap();
            assert!(
                matches!(frames, Some((n, _)) if n <= 4) || frames.is_none(),
                "after a restart the WAL holds {frames:?} frames"
            );
        }
        drop(ckpt);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, commits);
    }
}
