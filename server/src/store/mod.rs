//! Storage: one writer thread (all writes, batched into shared transactions) and a small pool of
//! read-only connections used from blocking tasks.

pub(crate) mod checkpoint;
pub(crate) mod conv;
pub(crate) mod dedup;
pub(crate) mod events;
pub(crate) mod jobs;
pub(crate) mod joined;
pub(crate) mod outbox;
pub(crate) mod read;
pub(crate) mod receipts;
pub(crate) mod schema;
pub(crate) mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;
use v2im_wire::codes;

use crate::error::{ApiError, ApiResult};
use jobs::{Job, Reply};
use writer::{Writer, WriterConfig};

/// Read connections kept open between requests: as many as reads can run at once (the blocking
/// threads), so that a burst of channel wake-ups does not open and close connections.
const READ_POOL: usize = 16;

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> ApiResult<T>) -> ApiResult<T> {
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match conn {
            Some(c) => c,
            None => schema::open_reader(&self.path)?,
        };
        let r = f(&mut conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READ_POOL && conn.is_autocommit() {
            idle.push(conn);
        }
        r
    }
}

/// Handle to the storage of one server. Shared by all request handlers.
pub(crate) struct Store {
    tx: mpsc::Sender<Job>,
    readers: Arc<ReadPool>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

fn unavailable() -> ApiError {
    ApiError::new(
        codes::SERVER_TIMEOUT_70169,
        "server is shutting down, retry later",
    )
}

impl Store {
    /// Opens (creating or migrating) the database and starts the writer thread.
    pub(crate) fn open(
        path: &Path,
        synchronous_full: bool,
        cfg: WriterConfig,
    ) -> std::io::Result<Store> {
        let conn = schema::open_writer(path, synchronous_full)?;
        let ckpt = checkpoint::Checkpointer::start(path)?;
        let writer = Writer::new(conn, cfg, ckpt).map_err(schema::io_err)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("v2im-writer".into())
            .spawn(move || writer.run(rx))?;
        Ok(Store {
            tx,
            readers: Arc::new(ReadPool {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            }),
            writer: Mutex::new(Some(handle)),
        })
    }

    /// Queues a write job and waits until it is committed and answered.
    pub(crate) async fn write<T>(&self, make: impl FnOnce(Reply<T>) -> Job) -> ApiResult<T> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).map_err(|_| unavailable())?;
        rx.await.map_err(|_| unavailable())?
    }

    /// Queues a write job without waiting for it.
    pub(crate) fn submit(&self, job: Job) {
        let _ = self.tx.send(job);
    }

    /// Runs a read on a pooled read-only connection, off the async workers.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| ApiError::new(codes::INTERNAL_70500, format!("read task failed: {e}")))?
    }

    /// Lets the writer finish every queued job, checkpoints the WAL and joins the thread.
    /// Blocking; idempotent.
    pub(crate) fn shutdown(&self) {
        let _ = self.tx.send(Job::Shutdown);
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            if h.join().is_err() {
                tracing::error!("the writer thread panicked");
            }
        }
        self.readers
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
