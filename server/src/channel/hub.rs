//! The open live channels, by account: what the writer thread wakes after a commit, and where
//! online-only messages go.
//!
//! Per account there is one watch of the newest committed cursor (a channel reads its events
//! from the database, at its own pace, when the watch moves past what it has delivered: a slow
//! reader costs no server memory), and per channel a small bounded queue of online-only lines,
//! which are never stored. A full queue marks the channel overflowed; it then ends, and the
//! client reconnects from its cursor (the online-only messages of that gap are lost, as they
//! would be for a client that was offline).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use tokio::sync::{mpsc, watch};

/// Online-only lines waiting per channel before it counts as overflowed.
pub(crate) const ONLINE_QUEUE: usize = 64;

/// Why a channel was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The account has this many channels open already.
    Account(usize),
    /// The server has this many channels open already.
    Total(usize),
}

struct Slot {
    id: u64,
    online: mpsc::Sender<Bytes>,
    overflow: Arc<AtomicBool>,
}

struct Account {
    head: watch::Sender<u64>,
    channels: Vec<Slot>,
}

#[derive(Default)]
struct Open {
    accounts: HashMap<String, Account>,
    total: usize,
}

/// Every open channel of one server.
pub(crate) struct Hub {
    open: Mutex<Open>,
    per_account: usize,
    total: usize,
    next_id: AtomicU64,
}

/// One admitted channel. Dropping it closes its slot.
pub(crate) struct Ticket {
    hub: Arc<Hub>,
    account: String,
    id: u64,
    /// Moves when a commit adds events to the account's inbox (the newest cursor).
    pub(crate) head: watch::Receiver<u64>,
    /// Online-only lines for this channel.
    pub(crate) online: mpsc::Receiver<Bytes>,
    /// Set when an online-only line did not fit in the queue.
    pub(crate) overflow: Arc<AtomicBool>,
}

impl Hub {
    pub(crate) fn new(per_account: usize, total: usize) -> Self {
        Hub {
            open: Mutex::new(Open::default()),
            per_account,
            total,
            next_id: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a channel for `account`, within the limits.
    pub(crate) fn admit(self: &Arc<Self>, account: &str) -> Result<Ticket, Refused> {
        let mut open = self.lock();
        if open.total >= self.total {
            return Err(Refused::Total(open.total));
        }
        let entry = open
            .accounts
            .entry(account.to_string())
            .or_insert_with(|| Account {
                head: watch::channel(0).0,
                channels: Vec::new(),
            });
        if entry.channels.len() >= self.per_account {
            return Err(Refused::Account(entry.channels.len()));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, online) = mpsc::channel(ONLINE_QUEUE);
        let overflow = Arc::new(AtomicBool::new(false));
        entry.channels.push(Slot {
            id,
            online: tx,
            overflow: overflow.clone(),
        });
        let head = entry.head.subscribe();
        open.total += 1;
        Ok(Ticket {
            hub: self.clone(),
            account: account.to_string(),
            id,
            head,
            online,
            overflow,
        })
    }

    /// After a commit: the events it added, as (account, cursor), in cursor order. The watch of
    /// each account with a channel open moves to its newest cursor; a channel woken by the
    /// first of its events reads them all in one page.
    pub(crate) fn committed<'a>(&self, events: impl Iterator<Item = (&'a str, u64)>) {
        let open = self.lock();
        if open.accounts.is_empty() {
            return;
        }
        for (account, cursor) in events {
            if let Some(a) = open.accounts.get(account) {
                a.head.send_if_modified(|v| {
                    let newer = cursor > *v;
                    if newer {
                        *v = cursor;
                    }
                    newer
                });
            }
        }
    }

    /// Whether any of `accounts` has a channel open (so an online-only line is worth building).
    pub(crate) fn any_open<'a>(&self, mut accounts: impl Iterator<Item = &'a str>) -> bool {
        let open = self.lock();
        !open.accounts.is_empty() && accounts.any(|a| open.accounts.contains_key(a))
    }

    /// Whether `account` has a channel open.
    pub(crate) fn is_open(&self, account: &str) -> bool {
        let open = self.lock();
        !open.accounts.is_empty() && open.accounts.contains_key(account)
    }

    /// Those of `accounts` that have no channel open, in their order.
    pub(crate) fn offline<'a>(&self, accounts: impl Iterator<Item = &'a str>) -> Vec<String> {
        let open = self.lock();
        accounts
            .filter(|a| !open.accounts.contains_key(*a))
            .map(str::to_string)
            .collect()
    }

    /// Queues an online-only line on every open channel of `accounts` (each account once).
    pub(crate) fn push_online(&self, accounts: &[String], line: &Bytes) {
        let open = self.lock();
        for (i, account) in accounts.iter().enumerate() {
            if accounts[..i].contains(account) {
                continue;
            }
            let Some(a) = open.accounts.get(account) else {
                continue;
            };
            for slot in &a.channels {
                if let Err(mpsc::error::TrySendError::Full(_)) = slot.online.try_send(line.clone())
                {
                    slot.overflow.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Channels open now.
    #[cfg(test)]
    fn open_channels(&self) -> usize {
        self.lock().total
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.hub.lock();
        let Some(a) = open.accounts.get_mut(&self.account) else {
            return;
        };
        let before = a.channels.len();
        a.channels.retain(|s| s.id != self.id);
        let removed = before - a.channels.len();
        if a.channels.is_empty() {
            open.accounts.remove(&self.account);
        }
        open.total -= removed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_wakeups_and_online_overflow() {
        let hub = Arc::new(Hub::new(2, 3));
        let mut a1 = hub.admit("a").unwrap();
        let a2 = hub.admit("a").unwrap();
        assert_eq!(hub.admit("a").err(), Some(Refused::Account(2)));
        let b = hub.admit("b").unwrap();
        assert_eq!(hub.admit("c").err(), Some(Refused::Total(3)));
        assert_eq!(hub.open_channels(), 3);

        hub.committed([("a", 5), ("a", 4), ("zzz", 9)].into_iter());
        assert!(a1.head.has_changed().unwrap());
        assert_eq!(*a1.head.borrow_and_update(), 5);
        assert!(!b.head.has_changed().unwrap());

        assert!(hub.any_open(["x", "b"].into_iter()));
        assert!(!hub.any_open(["x"].into_iter()));
        assert!(hub.is_open("b") && !hub.is_open("x"));
        assert_eq!(hub.offline(["x", "b", "a", "y"].into_iter()), ["x", "y"]);
        let line = Bytes::from_static(b"{}\n");
        for _ in 0..ONLINE_QUEUE {
            hub.push_online(&["a".into(), "a".into()], &line);
        }
        assert!(!a1.overflow.load(Ordering::Relaxed));
        assert_eq!(a1.online.try_recv().unwrap(), line);
        hub.push_online(&["a".into()], &line);
        hub.push_online(&["a".into()], &line);
        // a1 had room for one more; a2 never read.
        assert!(a1.overflow.load(Ordering::Relaxed));
        assert!(a2.overflow.load(Ordering::Relaxed));

        drop(a1);
        drop(a2);
        assert_eq!(hub.open_channels(), 1);
        assert!(!hub.any_open(["a"].into_iter()));
        assert!(hub.admit("c").is_ok());
    }
}
