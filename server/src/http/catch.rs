//! A panic net for handler futures: a panic while polling becomes an `Err`, so the caller can
//! answer with an internal-error code instead of dropping the connection. Polling in place costs
//! nothing, where spawning a task per request to catch its panic would cost a task and a wake-up.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Wraps a future; resolves to `Err(())` if polling it panicked.
pub(super) struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> CatchPanic<F> {
    pub(super) fn new(f: F) -> Self {
        CatchPanic(Box::pin(f))
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The future is never polled again after a panic, so its broken state is not observed.
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(CatchPanic::new(async { 5 })), Ok(5));
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = rt.block_on(CatchPanic::new(async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
        }));
        std::panic::set_hook(prev);
        assert_eq!(r, Err(()));
    }
}
