//! This client's sends that have no outcome yet, by their random: the server syncs a sender's
//! messages to all of its channels, and the copy of one of these that comes back before its
//! `sendMessage` has finished is not a new message. (Once a send has finished, its msgID is in
//! the registry and recognises the copy instead.)

use crate::registry::FxBuild;
use parking_lot::Mutex;
use std::collections::HashMap;

#[derive(Default)]
pub(crate) struct OwnSends {
    /// random -> number of sends with it in flight (randoms are 32-bit: two may meet).
    in_flight: Mutex<HashMap<u32, u32, FxBuild>>,
}

impl OwnSends {
    /// A send with `random` was accepted.
    pub(crate) fn begin(&self, random: u32) {
        *self.in_flight.lock().entry(random).or_insert(0) += 1;
    }

    /// The send with `random` has its outcome (recorded in the registry first).
    pub(crate) fn end(&self, random: u32) {
        let mut m = self.in_flight.lock();
        if let Some(n) = m.get_mut(&random) {
            *n -= 1;
            if *n == 0 {
                m.remove(&random);
            }
        }
    }

    pub(crate) fn contains(&self, random: u32) -> bool {
        self.in_flight.lock().contains_key(&random)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_sends_sharing_a_random() {
        let o = super::OwnSends::default();
        o.begin(7);
        o.begin(7);
        o.end(7);
        assert!(o.contains(7));
        o.end(7);
        assert!(!o.contains(7));
        o.end(7);
        assert!(!o.contains(8));
    }
}
