//! Stalls. A connection whose peer stops reading is closed once a write has made no progress
//! for [`WRITE_STALL_TIMEOUT`]: hyper has no write timeout, and a live channel (or a large
//! answer) to a peer that never reads would otherwise hold its connection, its buffers and its
//! channel slot for as long as TCP keeps the connection up. A request body that stops coming
//! fails after its own limit ([`TimedBody`]): hyper has no body timeout either, and a client that
//! sends a head and then nothing would hold a connection (and an upload's file) for ever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// How long a write may wait for the peer to read.
pub(crate) const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Wraps a connection's IO; writes fail with `TimedOut` after a stall of `limit`.
pub(crate) struct StallGuard<I> {
    io: I,
    limit: Duration,
    /// Armed while a write is pending; dropped as soon as one makes progress.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<I> StallGuard<I> {
    pub(crate) fn new(io: I, limit: Duration) -> Self {
        StallGuard {
            io,
            limit,
            timer: None,
        }
    }

    fn guard<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match r {
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_ready() {
                    self.timer = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the peer read nothing for {limit:?}"),
                    )));
                }
                Poll::Pending
            }
            ready => {
                self.timer = None;
                ready
            }
        }
    }
}

impl<I: hyper::rt::Read + Unpin> hyper::rt::Read for StallGuard<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: hyper::rt::Write + Unpin> hyper::rt::Write for StallGuard<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.guard(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.guard(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.guard(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A request body that fails once it has brought nothing for `limit` while it is being read.
/// The clock runs only while the handler waits for the body, and restarts with every frame: a
/// large upload that keeps coming is never cut off, a stalled one is. Handlers that never read
/// their body (a channel once open) never arm it.
pub(crate) struct TimedBody<B> {
    inner: B,
    limit: Duration,
    /// Armed while the handler waits for a frame.
    timer: Option<Pin<Box<Sleep>>>,
    /// Set when the limit passed, for the answer (see `http::handle`).
    stalled: Arc<AtomicBool>,
}

impl<B> TimedBody<B> {
    pub(crate) fn new(inner: B, limit: Duration, stalled: Arc<AtomicBool>) -> Self {
        TimedBody {
            inner,
            limit,
            timer: None,
            stalled,
        }
    }
}

/// The error a stalled body ends with.
#[derive(Debug)]
pub(crate) struct BodyStalled(pub(crate) Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body brought nothing for {:?}", self.0)
    }
}

impl std::error::Error for BodyStalled {}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.stalled.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(BodyStalled(this.limit).into())));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => {
                let limit = this.limit;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    this.stalled.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(BodyStalled(limit).into())));
                }
                Poll::Pending
            }
            Poll::Ready(frame) => {
                this.timer = None;
                Poll::Ready(frame.map(|r| r.map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
