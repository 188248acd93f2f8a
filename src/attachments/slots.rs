//! How many uploads may stream in at once: each holds a few storage parts in memory, so
//! their number, per person and in all, is what bounds an upload's memory.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

/// Uploads one person may have streaming at once.
pub const PER_USER: usize = 4;
/// Uploads streaming at once on one instance.
pub const IN_ALL: usize = 64;

#[derive(Clone, Default)]
pub struct Slots(Arc<Mutex<HashMap<Uuid, usize>>>);

/// A taken slot, given back when dropped.
pub struct Slot {
    slots: Slots,
    user: Uuid,
}

impl Slots {
    /// A slot for `user`, or `None` when they or the instance are at the limit.
    pub fn take(&self, user: Uuid) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = map.values().sum();
        let mine = map.entry(user).or_default();
        if *mine >= PER_USER || total >= IN_ALL {
            return None;
        }
        *mine += 1;
        Some(Slot {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.slots.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_limited_per_person_and_given_back() {
        let slots = Slots::default();
        let (ana, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let held: Vec<Slot> = (0..PER_USER).map(|_| slots.take(ana).unwrap()).collect();
        assert!(slots.take(ana).is_none(), "ana is at her limit");
        assert!(slots.take(bob).is_some(), "bob is not");
        drop(held);
        assert!(slots.take(ana).is_some(), "given back");
    }
}
