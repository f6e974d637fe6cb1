//! The send queue: bounded, by priority (rank 0 = High, 1 = Normal/Default, 2 = Low), FIFO within
//! a priority, and one request per conversation in flight at a time.
//!
//! Several workers drain it, so order within a conversation is kept by making a conversation
//! "busy" while one of its requests is in flight: only the head of a conversation that is not
//! busy is ready to be taken. Every operation is O(log n): `ready` holds the heads by sequence
//! number, so a queue full of one busy conversation costs workers nothing to skip.

use crate::registry::{ById, FxBuild, IdKey};
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// Number of priority ranks.
pub const RANKS: usize = 3;
/// Rank of Low messages: refused or evicted first when the queue is full.
pub const LOW: usize = 2;

struct Entry<T> {
    /// `by_id`'s key: a local id is its number, with no allocation of its own.
    id: IdKey,
    conv: Arc<str>,
    item: T,
}

#[derive(Default)]
struct Conv {
    busy: bool,
    /// Sequence numbers of this conversation's queued items, per rank, oldest first.
    q: [VecDeque<u64>; RANKS],
}

impl Conv {
    fn is_empty(&self) -> bool {
        self.q.iter().all(VecDeque::is_empty)
    }
}

struct State<T> {
    next_seq: u64,
    items: [BTreeMap<u64, Entry<T>>; RANKS],
    /// Heads of conversations that are not busy, per rank.
    ready: [BTreeSet<u64>; RANKS],
    /// Application-chosen conversation ids and library-chosen message ids: FxHash.
    convs: HashMap<Arc<str>, Conv, FxBuild>,
    by_id: ById<(usize, u64)>,
    len: usize,
    closed: bool,
}

/// What `push` did with a new item.
pub enum Push<T> {
    /// Queued.
    Queued,
    /// Queued, and this queued Low item was evicted to make room.
    Evicted(T),
    /// Not queued: the queue is full (returned to the caller to complete).
    Full(T),
    /// Not queued: the queue is closed (shutting down).
    Closed(T),
}

/// An item taken by a worker; `Queue::done(&taken.conv)` must follow once it is finished.
pub struct Taken<T> {
    pub conv: Arc<str>,
    pub item: T,
}

pub struct Queue<T> {
    state: Mutex<State<T>>,
    cv: Condvar,
    cap: usize,
}

impl<T> Queue<T> {
    pub fn new(cap: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(State {
                next_seq: 0,
                items: Default::default(),
                ready: Default::default(),
                convs: HashMap::default(),
                by_id: ById::default(),
                len: 0,
                closed: false,
            }),
            cv: Condvar::new(),
            cap: cap.max(1),
        }
    }

    /// Items waiting.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.state.lock().len
    }

    /// Queues `item` of request `id` in conversation `conv` at `rank` (0..RANKS). When full, a
    /// Low item is refused, and a High/Normal one evicts the newest queued Low item.
    pub fn push(&self, id: &str, conv: &str, rank: usize, item: T) -> Push<T> {
        let rank = rank.min(RANKS - 1);
        let mut st = self.state.lock();
        if st.closed {
            return Push::Closed(item);
        }
        let mut evicted = None;
        if st.len >= self.cap {
            if rank == LOW {
                return Push::Full(item);
            }
            let newest_low = st.items[LOW].last_key_value().map(|(s, _)| *s);
            match newest_low {
                Some(seq) => evicted = Some(st.remove(LOW, seq)),
                None => return Push::Full(item),
            }
        }
        let ready = st.insert(rank, id, conv, item);
        drop(st);
        // An item behind its conversation's request in flight cannot be taken yet: waking a
        // worker for it would only cost a wake-up (the worker that finishes takes it).
        if ready || evicted.is_some() {
            self.cv.notify_one();
        }
        match evicted {
            Some(e) => Push::Evicted(e.item),
            None => Push::Queued,
        }
    }

    /// Takes the next ready item, waiting for one; None once the queue is closed.
    #[cfg(test)]
    pub fn pop(&self) -> Option<Taken<T>> {
        self.next(None)
    }

    /// [`Queue::done`] of `finished` (if any), then [`Queue::pop`], under one lock: the worker
    /// that finishes a request takes the next one itself, its conversation's next included,
    /// without waking another worker for it.
    pub fn next(&self, finished: Option<&Arc<str>>) -> Option<Taken<T>> {
        let mut st = self.state.lock();
        if let Some(conv) = finished {
            st.finish(conv);
        }
        loop {
            if st.closed {
                return None;
            }
            if let Some(e) = st.pop_ready() {
                // One wake-up per item left ready: a woken worker passes it on the same way.
                let more = st.ready.iter().any(|r| !r.is_empty());
                drop(st);
                if more {
                    self.cv.notify_one();
                }
                return Some(Taken {
                    conv: e.conv,
                    item: e.item,
                });
            }
            self.cv.wait(&mut st);
        }
    }

    /// [`Queue::pop`] without waiting: None when nothing is ready.
    #[cfg(feature = "fuzzing")]
    pub fn try_pop(&self) -> Option<Taken<T>> {
        let e = self.state.lock().pop_ready()?;
        Some(Taken {
            conv: e.conv,
            item: e.item,
        })
    }

    /// The request taken from `conv` is finished: the conversation's next item becomes ready.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn done(&self, conv: &Arc<str>) {
        let ready = self.state.lock().finish(conv);
        // Only one of the conversation's heads can be taken.
        if ready {
            self.cv.notify_one();
        }
    }

    /// Removes the queued request `id`; None if it is not queued (in flight, done, unknown).
    pub fn cancel(&self, id: &str) -> Option<T> {
        let mut st = self.state.lock();
        let (rank, seq) = *st.by_id.get(id)?;
        Some(st.remove(rank, seq).item)
    }

    /// Closes the queue and returns everything still queued (oldest first within each rank,
    /// High first). Workers waiting in `pop` return None.
    pub fn close(&self) -> Vec<T> {
        let mut st = self.state.lock();
        st.closed = true;
        let mut out = Vec::with_capacity(st.len);
        for r in 0..RANKS {
            let items = std::mem::take(&mut st.items[r]);
            out.extend(items.into_values().map(|e| e.item));
            st.ready[r].clear();
        }
        st.by_id.clear();
        st.convs.retain(|_, c| {
            c.q = Default::default();
            c.busy
        });
        st.len = 0;
        drop(st);
        self.cv.notify_all();
        out
    }
}

impl<T> State<T> {
    /// The request in flight of `conv` is finished; true if the conversation has a next one.
    fn finish(&mut self, conv: &Arc<str>) -> bool {
        let mut ready = false;
        if let Some(c) = self.convs.get_mut(conv) {
            c.busy = false;
            for (r, q) in c.q.iter().enumerate() {
                if let Some(&h) = q.front() {
                    self.ready[r].insert(h);
                    ready = true;
                }
            }
            if c.is_empty() {
                self.convs.remove(conv);
            }
        }
        ready
    }

    /// Queues the item; true if it is ready to be taken (its conversation has nothing before it).
    fn insert(&mut self, rank: usize, id: &str, conv: &str, item: T) -> bool {
        let id = IdKey::of(id);
        let seq = self.next_seq;
        self.next_seq += 1;
        let key: Arc<str> = match self.convs.get_key_value(conv) {
            Some((k, _)) => k.clone(),
            None => Arc::from(conv),
        };
        let c = self.convs.entry(key.clone()).or_default();
        c.q[rank].push_back(seq);
        let ready = !c.busy && c.q[rank].len() == 1;
        if ready {
            self.ready[rank].insert(seq);
        }
        self.by_id.insert(id.clone(), (rank, seq));
        self.items[rank].insert(
            seq,
            Entry {
                id,
                conv: key,
                item,
            },
        );
        self.len += 1;
        ready
    }

    fn remove(&mut self, rank: usize, seq: u64) -> Entry<T> {
        let e = self.items[rank]
            .remove(&seq)
            .expect("queue index and items agree");
        self.len -= 1;
        if self.by_id.get_key(&e.id) == Some(&(rank, seq)) {
            self.by_id.remove_key(&e.id);
        }
        if let Some(c) = self.convs.get_mut(&e.conv) {
            let was_head = c.q[rank].front() == Some(&seq);
            if let Some(pos) = c.q[rank].iter().position(|s| *s == seq) {
                c.q[rank].remove(pos);
            }
            if was_head && !c.busy {
                self.ready[rank].remove(&seq);
                if let Some(&h) = c.q[rank].front() {
                    self.ready[rank].insert(h);
                }
            }
            if !c.busy && c.is_empty() {
                self.convs.remove(&e.conv);
            }
        }
        e
    }

    fn pop_ready(&mut self) -> Option<Entry<T>> {
        for r in 0..RANKS {
            if let Some(seq) = self.ready[r].pop_first() {
                let e = self.items[r].remove(&seq).expect("ready heads are queued");
                self.len -= 1;
                if self.by_id.get_key(&e.id) == Some(&(r, seq)) {
                    self.by_id.remove_key(&e.id);
                }
                let c = self.convs.get_mut(&e.conv).expect("queued item has a conv");
                c.q[r].pop_front();
                c.busy = true;
                for (r2, q) in c.q.iter().enumerate() {
                    if let Some(h) = q.front() {
                        self.ready[r2].remove(h);
                    }
                }
                return Some(e);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(q: &Queue<u32>) -> (Arc<str>, u32) {
        let t = q.pop().unwrap();
        (t.conv, t.item)
    }

    #[test]
    fn priority_then_fifo() {
        let q = Queue::new(100);
        for (i, (conv, rank)) in [("a", 2), ("b", 1), ("c", 0), ("d", 1), ("e", 0)]
            .iter()
            .enumerate()
        {
            assert!(matches!(
                q.push(&format!("m{i}"), conv, *rank, i as u32),
                Push::Queued
            ));
        }
        let order: Vec<u32> = (0..5)
            .map(|_| {
                let (c, i) = take(&q);
                q.done(&c);
                i
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3, 0]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn a_busy_conversation_is_skipped_and_keeps_its_order() {
        let q = Queue::new(100);
        q.push("1", "a", 1, 1);
        q.push("2", "a", 1, 2);
        q.push("3", "b", 1, 3);
        q.push("4", "a", 1, 4);
        let (ca, first) = take(&q);
        assert_eq!(first, 1);
        // "a" is busy: the next worker gets "b", not a's second message.
        let (cb, second) = take(&q);
        assert_eq!(second, 3);
        q.done(&cb);
        q.done(&ca);
        let (ca, third) = take(&q);
        assert_eq!(third, 2);
        q.done(&ca);
        assert_eq!(take(&q).1, 4);
    }

    #[test]
    fn next_finishes_then_takes_by_priority() {
        let q = Queue::new(100);
        q.push("1", "a", 1, 1);
        q.push("2", "a", 1, 2);
        q.push("3", "b", 2, 3);
        q.push("4", "c", 0, 4);
        let t = q.pop().unwrap();
        assert_eq!(t.item, 4);
        // c finished: a's Normal head before b's Low.
        let t = q.next(Some(&t.conv)).unwrap();
        assert_eq!(t.item, 1);
        // a is busy: b's Low is all that is ready.
        let b = q.pop().unwrap();
        assert_eq!(b.item, 3);
        // a finished: its next is taken by the worker that finished it.
        let t = q.next(Some(&t.conv)).unwrap();
        assert_eq!(t.item, 2);
        q.done(&b.conv);
        q.done(&t.conv);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn full_queue_refuses_low_and_evicts_newest_low() {
        let q = Queue::new(3);
        q.push("l1", "a", LOW, 1);
        q.push("l2", "b", LOW, 2);
        q.push("n1", "c", 1, 3);
        assert!(matches!(q.push("l3", "d", LOW, 4), Push::Full(4)));
        match q.push("h1", "e", 0, 5) {
            Push::Evicted(2) => {}
            _ => panic!("expected eviction of the newest Low"),
        }
        match q.push("h2", "e", 0, 6) {
            Push::Evicted(1) => {}
            _ => panic!("expected eviction of l1"),
        }
        assert!(matches!(q.push("h3", "e", 0, 7), Push::Full(7)));
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn cancel_only_while_queued() {
        let q = Queue::new(10);
        q.push("x", "a", 1, 1);
        q.push("y", "a", 1, 2);
        q.push("z", "a", 1, 3);
        let t = q.pop().unwrap();
        assert_eq!(t.item, 1);
        assert_eq!(q.cancel("x"), None, "in flight");
        assert_eq!(q.cancel("y"), Some(2));
        assert_eq!(q.cancel("y"), None, "already cancelled");
        q.done(&t.conv);
        assert_eq!(take(&q).1, 3);
    }

    #[test]
    fn cancel_head_of_idle_conversation_makes_next_ready() {
        let q = Queue::new(10);
        q.push("x", "a", 1, 1);
        q.push("y", "a", 1, 2);
        assert_eq!(q.cancel("x"), Some(1));
        assert_eq!(take(&q).1, 2);
    }

    /// Local ids are keyed by their number, other ids by their text: ids that differ only in
    /// how a number is written stay apart, and each cancels its own request.
    #[test]
    fn local_and_other_ids_are_cancelled_each_by_its_own() {
        let q = Queue::<u32>::new(10);
        for (i, id) in ["v2im-7", "v2im-07", "v2im-70", "msg-7"].iter().enumerate() {
            q.push(id, &format!("conv{i}"), 1, i as u32);
        }
        assert_eq!(q.cancel("v2im-07"), Some(1));
        assert_eq!(q.cancel("v2im-07"), None);
        assert_eq!(q.cancel("msg-7"), Some(3));
        assert_eq!(q.cancel("v2im-7"), Some(0));
        assert_eq!(q.cancel("v2im-8"), None);
        assert_eq!(q.len(), 1);
        assert_eq!(take(&q).1, 2);
    }

    #[test]
    fn close_returns_everything_and_stops_workers() {
        let q = Arc::new(Queue::<u32>::new(10));
        let q2 = q.clone();
        let waiter = std::thread::spawn(move || q2.pop().map(|t| t.item));
        std::thread::sleep(std::time::Duration::from_millis(20));
        q.push("x", "a", 2, 1);
        while q.len() > 0 {
            std::thread::yield_now();
        }
        // The waiting worker takes x; the next two stay queued ("a" is busy for y).
        q.push("y", "a", 0, 2);
        q.push("z", "b", 1, 3);
        assert_eq!(waiter.join().unwrap(), Some(1));
        let rest = q.close();
        assert_eq!(rest, vec![2, 3]);
        assert!(q.pop().is_none());
        assert!(matches!(q.push("w", "a", 0, 4), Push::Closed(4)));
        let q3 = Arc::new(Queue::<u32>::new(10));
        let q4 = q3.clone();
        let idle = std::thread::spawn(move || q4.pop().is_none());
        std::thread::sleep(std::time::Duration::from_millis(20));
        q3.close();
        assert!(
            idle.join().unwrap(),
            "a waiting worker returns None on close"
        );
    }
}
