//! Every message of a client by its local `id`, and by its `msgID` once sent.
//!
//! One `RwLock` over both maps: lookups (the common case: send, find, callbacks) share the lock,
//! changes are short. Closures passed to [`Registry::update`] and [`Registry::read`] run under the
//! lock, so they must not call back into the registry or into user code.

use crate::model::Message;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// FxHash (rustc's hasher): several times cheaper than the default SipHash on short keys, which
/// showed in the per-message cost of `sendMessage` (bench/RESULTS.md). Not resistant to chosen
/// collisions, so it is only for keys the library or the application chooses (local ids,
/// conversation ids), never for keys a server sends.
pub(crate) type FxBuild = rustc_hash::FxBuildHasher;

/// Process-wide, so ids stay unique across clients and are never reused while the process lives.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Prefix of every local id.
pub const ID_PREFIX: &str = "v2im-";

/// The number of a local id (`"v2im-<n>"`, `n` written as `next_id` writes it: no sign, no
/// leading zero), which is its key; other ids (received and history messages carry their
/// msgID) are keyed by their text.
fn local_number(id: &str) -> Option<u64> {
    let n = id.strip_prefix(ID_PREFIX)?.as_bytes();
    if n.is_empty() || (n.len() > 1 && n[0] == b'0') {
        return None;
    }
    // One pass: it runs for every lookup of a message.
    n.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The key of an id in a [`ById`]: a local id's number, or another id's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdKey {
    Local(u64),
    Other(Box<str>),
}

impl IdKey {
    pub(crate) fn of(id: &str) -> IdKey {
        match local_number(id) {
            Some(n) => IdKey::Local(n),
            None => IdKey::Other(id.into()),
        }
    }
}

/// Values by message id. A local id's key is its number, so that 100,000 queued messages do
/// not each hold another copy of their id in a table (the registry's and the send queue's).
pub(crate) struct ById<V> {
    local: HashMap<u64, V, FxBuild>,
    /// Ids a server chose (msgIDs): the default, collision-resistant hasher.
    other: HashMap<Box<str>, V>,
}

impl<V> Default for ById<V> {
    fn default() -> Self {
        ById {
            local: HashMap::default(),
            other: HashMap::new(),
        }
    }
}

impl<V> ById<V> {
    pub(crate) fn get(&self, id: &str) -> Option<&V> {
        match local_number(id) {
            Some(n) => self.local.get(&n),
            None => self.other.get(id),
        }
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        match local_number(id) {
            Some(n) => self.local.get_mut(&n),
            None => self.other.get_mut(id),
        }
    }

    pub(crate) fn get_key(&self, key: &IdKey) -> Option<&V> {
        match key {
            IdKey::Local(n) => self.local.get(n),
            IdKey::Other(id) => self.other.get(id),
        }
    }

    pub(crate) fn insert(&mut self, key: IdKey, v: V) {
        match key {
            IdKey::Local(n) => {
                self.local.insert(n, v);
            }
            IdKey::Other(id) => {
                self.other.insert(id, v);
            }
        }
    }

    pub(crate) fn remove_key(&mut self, key: &IdKey) -> Option<V> {
        match key {
            IdKey::Local(n) => self.local.remove(n),
            IdKey::Other(id) => self.other.remove(id),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.local.clear();
        self.other.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.local.len() + self.other.len()
    }
}

#[derive(Default)]
struct Maps {
    /// Shared (`Arc`) so a result or a send queue can hold a message without copying it; a
    /// change copies it only while someone else still holds the old version.
    by_id: ById<Arc<Message>>,
    /// msgID → id (server-chosen keys: the default, collision-resistant hasher).
    by_msg_id: HashMap<Box<str>, Box<str>>,
}

impl Maps {
    /// The local id for a local id or a msgID.
    fn resolve<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        if self.by_id.get(key).is_some() {
            Some(key)
        } else {
            self.by_msg_id.get(key).map(|id| &**id)
        }
    }

    fn find(&self, key: &str) -> Option<&Arc<Message>> {
        // By id first, and then by msgID (not `resolve`, which would look the id up twice).
        self.by_id
            .get(key)
            .or_else(|| self.by_id.get(self.by_msg_id.get(key)?))
    }

    fn index(&mut self, m: &Message) {
        if let Some(mid) = &m.msg_id {
            self.by_msg_id
                .insert(mid.as_str().into(), m.id.as_str().into());
        }
    }
}

/// The thread-safe message table of one client.
#[derive(Default)]
pub struct Registry {
    maps: RwLock<Maps>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Makes every later [`Registry::next_id`] larger than `n`: ids of messages stored by an
    /// earlier run (`"v2im-<n>"`) are never handed out again.
    pub fn reserve_ids_through(n: u64) {
        NEXT_ID.fetch_max(n.saturating_add(1), Ordering::Relaxed);
    }

    /// A new local id (`"v2im-<n>"`), unique in the process.
    pub fn next_id(&self) -> String {
        let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        [ID_PREFIX, itoa::Buffer::new().format(n)].concat()
    }

    /// Adds (or replaces) a message under its `id`, indexing its `msgID` if it has one.
    pub fn insert(&self, m: Message) {
        self.insert_shared(Arc::new(m));
    }

    /// [`Registry::insert`] of a shared message (the caller keeps its handle, no copy).
    pub fn insert_shared(&self, m: Arc<Message>) {
        let mut maps = self.maps.write();
        maps.index(&m);
        maps.by_id.insert(IdKey::of(&m.id), m);
    }

    /// A copy of the message with this local id or msgID.
    pub fn get(&self, id_or_msg_id: &str) -> Option<Message> {
        self.read(id_or_msg_id, Message::clone)
    }

    /// The message with this local id or msgID, shared (no copy). Later changes through
    /// [`Registry::update`] are not seen through it.
    pub fn get_shared(&self, id_or_msg_id: &str) -> Option<Arc<Message>> {
        self.maps.read().find(id_or_msg_id).cloned()
    }

    /// Whether a message with this local id or msgID exists.
    pub fn contains(&self, id_or_msg_id: &str) -> bool {
        self.maps.read().find(id_or_msg_id).is_some()
    }

    /// Runs `f` on the message (by local id or msgID) under the shared lock, without copying it.
    pub fn read<R>(&self, id_or_msg_id: &str, f: impl FnOnce(&Message) -> R) -> Option<R> {
        self.maps.read().find(id_or_msg_id).map(|m| f(m))
    }

    /// Changes the message (by local id or msgID) in place; a new `msg_id` is indexed (the old one
    /// keeps pointing at the message, so an earlier msgID still finds it). `id` must not change.
    pub fn update<R>(&self, id_or_msg_id: &str, f: impl FnOnce(&mut Message) -> R) -> Option<R> {
        let mut guard = self.maps.write();
        let maps = &mut *guard;
        let id: Box<str> = maps.resolve(id_or_msg_id)?.into();
        let m = Arc::make_mut(maps.by_id.get_mut(&id)?);
        let before = m.msg_id.clone();
        let r = f(m);
        debug_assert_eq!(m.id, &*id, "Registry::update must not change the id");
        if m.msg_id != before {
            if let Some(mid) = m.msg_id.as_deref() {
                maps.by_msg_id.insert(mid.into(), id);
            }
        }
        Some(r)
    }

    /// Like [`Registry::update`], returning the changed message shared.
    pub fn update_shared<R>(
        &self,
        id_or_msg_id: &str,
        f: impl FnOnce(&mut Message) -> R,
    ) -> Option<(R, Arc<Message>)> {
        let mut guard = self.maps.write();
        let maps = &mut *guard;
        let id: Box<str> = maps.resolve(id_or_msg_id)?.into();
        let slot = maps.by_id.get_mut(&id)?;
        let m = Arc::make_mut(slot);
        let before = m.msg_id.clone();
        let r = f(m);
        let changed = m.msg_id != before;
        let shared = slot.clone();
        if changed {
            if let Some(mid) = shared.msg_id.as_deref() {
                maps.by_msg_id.insert(mid.into(), id);
            }
        }
        Some((r, shared))
    }

    /// Number of messages.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.maps.read().by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Elem, MessageStatus};
    use std::collections::HashSet;

    fn text(r: &Registry, t: &str) -> Message {
        Message::new(r.next_id(), vec![Elem::Text { text: t.into() }], "me")
    }

    #[test]
    fn local_ids_are_keyed_by_number_and_others_by_text() {
        assert_eq!(local_number("v2im-17"), Some(17));
        assert_eq!(local_number("v2im-0"), Some(0));
        assert_eq!(local_number("v2im-18446744073709551615"), Some(u64::MAX));
        for other in [
            "v2im-18446744073709551616",
            "v2im-00",
            "v2im-1:",
            "v2im-/",
            "v2im-017",
            "v2im-",
            "v2im-+1",
            "v2im-1x",
            "v2im-99999999999999999999",
            "17",
            "1_2_3",
        ] {
            assert_eq!(local_number(other), None, "{other}");
        }
        let r = Registry::new();
        let local = text(&r, "mine");
        let local_id = local.id.clone();
        r.insert(local);
        // A received message's id is its msgID, which may even look like a local id.
        for id in ["123_456_789", "v2im-0017"] {
            let mut m = Message::new(id.into(), vec![Elem::Text { text: id.into() }], "bob");
            m.msg_id = Some(id.into());
            r.insert(m);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(
            r.get(&local_id).unwrap().elems,
            vec![Elem::Text {
                text: "mine".into()
            }]
        );
        for id in ["123_456_789", "v2im-0017"] {
            assert_eq!(
                r.get(id).unwrap().elems,
                vec![Elem::Text { text: id.into() }]
            );
            r.update(id, |m| m.local_custom_data = Some("x".into()))
                .unwrap();
            assert_eq!(r.get(id).unwrap().local_custom_data.as_deref(), Some("x"));
        }
        assert!(r.get("v2im-17").is_none() || local_id == "v2im-17");
    }

    #[test]
    fn ids_are_unique_across_registries_and_threads() {
        let regs: Vec<_> = (0..4).map(|_| Arc::new(Registry::new())).collect();
        let handles: Vec<_> = regs
            .iter()
            .map(|r| {
                let r = r.clone();
                std::thread::spawn(move || (0..1000).map(|_| r.next_id()).collect::<Vec<_>>())
            })
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for id in h.join().unwrap() {
                assert!(id.starts_with(ID_PREFIX));
                assert!(seen.insert(id), "duplicate id");
            }
        }
    }

    #[test]
    fn msg_id_index_follows_updates() {
        let r = Registry::new();
        let m = text(&r, "a");
        let id = m.id.clone();
        r.insert(m);
        assert!(r.get("1_2_3").is_none());
        r.update(&id, |m| {
            m.msg_id = Some("1_2_3".into());
            m.status = MessageStatus::SendSucc;
        })
        .unwrap();
        assert_eq!(r.get("1_2_3").unwrap().id, id);
        assert_eq!(r.read(&id, |m| m.status), Some(MessageStatus::SendSucc));
        // Updating through the msgID works too.
        r.update("1_2_3", |m| m.local_custom_int = 5).unwrap();
        assert_eq!(r.get(&id).unwrap().local_custom_int, 5);
        assert_eq!(r.len(), 1);
        assert!(r.contains("1_2_3"));
        assert!(!r.contains("4_5_6") && r.update("4_5_6", |_| ()).is_none());
    }

    #[test]
    fn shared_messages_are_copied_on_write() {
        let r = Registry::new();
        let m = text(&r, "a");
        let id = m.id.clone();
        r.insert(m);
        let held = r.get_shared(&id).unwrap();
        let ((), now) = r
            .update_shared(&id, |m| m.msg_id = Some("5_5_5".into()))
            .unwrap();
        assert_eq!(held.msg_id, None, "a holder keeps the version it took");
        assert_eq!(now.msg_id.as_deref(), Some("5_5_5"));
        assert!(Arc::ptr_eq(&now, &r.get_shared("5_5_5").unwrap()));
        drop((held, now));
        // Nobody else holds it: changed in place.
        let before = Arc::as_ptr(&r.get_shared(&id).unwrap());
        r.update(&id, |m| m.local_custom_int = 1);
        assert_eq!(Arc::as_ptr(&r.get_shared(&id).unwrap()), before);
    }

    #[test]
    fn concurrent_insert_and_update() {
        let r = Arc::new(Registry::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let m = text(&r, "x");
                        let id = m.id.clone();
                        r.insert(m);
                        r.update(&id, |m| m.msg_id = Some(format!("{t}_{i}_0")));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(r.len(), 2000);
        assert!(r.get("3_499_0").is_some());
    }
}
