//! The server's notion of "now" (Unix seconds). Production uses the system clock; tests can run a
//! server on a manual clock to verify UserSig vectors at their valid times and to step through
//! the duplicate window and rate-control seconds deterministically.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of Unix time in seconds. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock that stays at `start` until [`Clock::set`] or [`Clock::advance`] moves it.
    /// Clones share the same time.
    pub fn manual(start: i64) -> Self {
        Clock(Some(Arc::new(AtomicI64::new(start))))
    }

    /// Current Unix time in seconds.
    pub fn now(&self) -> i64 {
        match &self.0 {
            None => v2im_wire::usersig::unix_now(),
            Some(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Current Unix time in milliseconds (a manual clock's seconds × 1000).
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            Some(t) => t.load(Ordering::SeqCst) * 1000,
        }
    }

    /// Sets a manual clock (no effect on the system clock).
    pub fn set(&self, t: i64) {
        if let Some(c) = &self.0 {
            c.store(t, Ordering::SeqCst);
        }
    }

    /// Moves a manual clock by `secs` (no effect on the system clock).
    pub fn advance(&self, secs: i64) {
        if let Some(c) = &self.0 {
            c.fetch_add(secs, Ordering::SeqCst);
        }
    }
}
