//! The open live channels, by account: what the writer thread wakes after a commit, and where
//! online-only messages go.
//!
//! Per account there is one watch of the newest committed cursor (a channel reads its events
//! from the database, at its own pace, when the watch moves past what it has delivered: a slow
//! reader costs no server memory), and per channel a small bounded queue of online-only lines,
//! which are never stored. A full queue marks the channel overflowed; it then ends, and the
//! client reconnects from its cursor (the online-only messages of that gap are lost, as they
//! would be for a client that was offline).
//!
//! Per account the hub also keeps the lines of its newest few committed messages, as the writer
//! built them: a channel that has delivered everything before them sends them from here instead
//! of reading them back (a database read costs a thread hop and five queries, about three
//! times the whole `sendmsg` round trip), and reads only the conversations' state afterwards.
//! The lines are a bounded cache, never the record: whatever is not in it comes from the
//! database as before.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use tokio::sync::{mpsc, watch};

use crate::store::conv::Conv;

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

/// Committed message lines kept per account: at most this many ...
pub(crate) const RECENT_LINES: usize = 16;
/// ... and at most this many bytes of them (a larger line is not kept).
pub(crate) const RECENT_BYTES: usize = 16 * 1024;

/// A committed event of an account, as the hub saw it go by.
struct Recent {
    /// The account's event before it, when the hub saw that one too (none for the first event
    /// after the account's first channel opened: what came before is unknown here).
    prev: Option<u64>,
    cursor: u64,
    /// The line and the conversation it touches; none for events the writer built no line for
    /// (a channel then reads from the database).
    line: Option<(Bytes, Conv)>,
}

/// What the writer hands over for one committed event: its account, cursor, and the line when
/// it built one.
pub(crate) struct Committed<'a> {
    pub(crate) account: &'a str,
    pub(crate) cursor: u64,
    pub(crate) line: Option<&'a (Bytes, Conv)>,
}

/// Lines a channel can send without reading the database.
pub(crate) struct Cached {
    pub(crate) bytes: Vec<u8>,
    /// The cursor of the last line taken.
    pub(crate) last: u64,
    /// The conversations they touch, each once, in order.
    pub(crate) convs: Vec<Conv>,
}

struct Account {
    head: watch::Sender<u64>,
    channels: Vec<Slot>,
    recent: VecDeque<Recent>,
    recent_bytes: usize,
}

impl Account {
    fn remember(&mut self, cursor: u64, line: Option<&(Bytes, Conv)>) {
        let prev = self.recent.back().map(|r| r.cursor);
        let line = line.filter(|(l, _)| l.len() <= RECENT_BYTES).cloned();
        self.recent_bytes += line.as_ref().map_or(0, |(l, _)| l.len());
        self.recent.push_back(Recent { prev, cursor, line });
        while self.recent.len() > RECENT_LINES || self.recent_bytes > RECENT_BYTES {
            let Some(old) = self.recent.pop_front() else {
                break;
            };
            self.recent_bytes -= old.line.as_ref().map_or(0, |(l, _)| l.len());
        }
    }

    /// The kept lines right after `cursor`, up to `max_bytes` (at least one line), while they
    /// follow each other without a gap; none unless the event after `cursor` is kept.
    fn after(&self, cursor: u64, max_bytes: usize) -> Option<Cached> {
        let start = self.recent.iter().position(|r| r.prev == Some(cursor))?;
        let mut out = Cached {
            bytes: Vec::new(),
            last: cursor,
            convs: Vec::new(),
        };
        for r in self.recent.range(start..) {
            let Some((line, conv)) = &r.line else { break };
            if !out.bytes.is_empty() && out.bytes.len() + line.len() > max_bytes {
                break;
            }
            out.bytes.extend_from_slice(line);
            out.last = r.cursor;
            if !out.convs.contains(conv) {
                out.convs.push(conv.clone());
            }
        }
        (!out.bytes.is_empty()).then_some(out)
    }
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
                recent: VecDeque::new(),
                recent_bytes: 0,
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

    /// After a commit: the events it added, in cursor order. The watch of each account with a
    /// channel open moves to its newest cursor; a channel woken by the first of its events
    /// takes them all at once (from the kept lines, or in one page read).
    pub(crate) fn committed<'a>(&self, events: impl Iterator<Item = Committed<'a>>) {
        let mut open = self.lock();
        if open.accounts.is_empty() {
            return;
        }
        // (account, its newest cursor), to move the watches after every line is kept, so that
        // a woken channel finds them all.
        let mut moved: Vec<(&str, u64)> = Vec::new();
        for e in events {
            if let Some(a) = open.accounts.get_mut(e.account) {
                a.remember(e.cursor, e.line);
                match moved.iter_mut().find(|(m, _)| *m == e.account) {
                    Some((_, c)) => *c = (*c).max(e.cursor),
                    None => moved.push((e.account, e.cursor)),
                }
            }
        }
        for (account, cursor) in moved {
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

    /// `account`'s kept lines right after `cursor` (see [`Account::after`]).
    fn cached_after(&self, account: &str, cursor: u64, max_bytes: usize) -> Option<Cached> {
        self.lock().accounts.get(account)?.after(cursor, max_bytes)
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
    pub(crate) fn open_channels(&self) -> usize {
        self.lock().total
    }
}

impl Ticket {
    /// The lines right after `cursor` that the hub kept for this channel's account, up to
    /// `max_bytes`; none when the next event must be read from the database.
    pub(crate) fn cached_after(&self, cursor: u64, max_bytes: usize) -> Option<Cached> {
        self.hub.cached_after(&self.account, cursor, max_bytes)
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

    type Line = (Bytes, Conv);

    fn committed<'a>(
        events: &'a [(&'a str, u64, Option<&'a Line>)],
    ) -> impl Iterator<Item = Committed<'a>> {
        events.iter().map(|(account, cursor, line)| Committed {
            account,
            cursor: *cursor,
            line: *line,
        })
    }

    fn line(text: &str, peer: &str) -> Line {
        (
            Bytes::from(format!("{text}\n")),
            Conv::C2c(peer.to_string()),
        )
    }

    #[test]
    fn kept_lines_follow_on_from_a_cursor_without_gaps() {
        let hub = Arc::new(Hub::new(4, 8));
        let a = hub.admit("a").unwrap();
        let (l1, l2, l3, l5) = (
            line("1", "p"),
            line("2", "q"),
            line("3", "p"),
            line("5", "p"),
        );
        hub.committed(committed(&[
            ("a", 10, Some(&l1)),
            ("b", 11, Some(&l2)),
            ("a", 12, Some(&l2)),
            ("a", 13, Some(&l3)),
        ]));
        assert_eq!(*a.head.borrow(), 13);
        // What came before the first line the hub saw is unknown: never from the kept lines.
        assert!(a.cached_after(0, 1 << 20).is_none());
        assert!(a.cached_after(9, 1 << 20).is_none());
        let c = a.cached_after(10, 1 << 20).unwrap();
        assert_eq!(c.bytes, b"2\n3\n");
        assert_eq!(c.last, 13);
        assert_eq!(c.convs, [Conv::C2c("q".into()), Conv::C2c("p".into())]);
        // At most max_bytes, but at least one line.
        let c = a.cached_after(10, 1).unwrap();
        assert_eq!((c.bytes.as_slice(), c.last), (&b"2\n"[..], 12));
        // Caught up, or a cursor in between that was never an event of this account.
        assert!(a.cached_after(13, 1 << 20).is_none());
        assert!(a.cached_after(11, 1 << 20).is_none());
        // An event without a line stops the run: it and what follows come from the database.
        hub.committed(committed(&[("a", 14, None), ("a", 15, Some(&l5))]));
        assert_eq!(a.cached_after(12, 1 << 20).unwrap().last, 13);
        assert!(a.cached_after(13, 1 << 20).is_none());
        assert_eq!(a.cached_after(14, 1 << 20).unwrap().bytes, b"5\n");
        // Bounded: the oldest go first; a line over the byte bound is not kept.
        let big = (
            Bytes::from(vec![b'x'; RECENT_BYTES + 1]),
            Conv::C2c("p".into()),
        );
        hub.committed(committed(&[("a", 16, Some(&big))]));
        assert!(a.cached_after(15, 1 << 20).is_none());
        let many: Vec<Line> = (0..RECENT_LINES + 4)
            .map(|i| line(&i.to_string(), "p"))
            .collect();
        let events: Vec<(&str, u64, Option<&Line>)> = many
            .iter()
            .enumerate()
            .map(|(i, l)| ("a", 100 + i as u64, Some(l)))
            .collect();
        hub.committed(committed(&events));
        assert!(a.cached_after(100, 1 << 20).is_none(), "evicted");
        let c = a.cached_after(104, 1 << 20).unwrap();
        assert_eq!(c.last, 100 + RECENT_LINES as u64 + 3);
        {
            let open = hub.lock();
            let acc = &open.accounts["a"];
            assert_eq!(acc.recent.len(), RECENT_LINES);
            assert!(acc.recent_bytes <= RECENT_BYTES);
        }
        // Gone with the account's last channel.
        drop(a);
        let a = hub.admit("a").unwrap();
        assert!(a.cached_after(104, 1 << 20).is_none());
    }

    #[test]
    fn limits_wakeups_and_online_overflow() {
        let hub = Arc::new(Hub::new(2, 3));
        let mut a1 = hub.admit("a").unwrap();
        let a2 = hub.admit("a").unwrap();
        assert_eq!(hub.admit("a").err(), Some(Refused::Account(2)));
        let b = hub.admit("b").unwrap();
        assert_eq!(hub.admit("c").err(), Some(Refused::Total(3)));
        assert_eq!(hub.open_channels(), 3);

        hub.committed(committed(&[
            ("a", 5, None),
            ("a", 4, None),
            ("zzz", 9, None),
        ]));
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
