//! The methods of [`NameCache`] (a field of [`Volume`](crate::Volume),
//! defined in volume.rs as the layers allow): the names inside paths resolved
//! so far, by directory inode and name, so that the next path through them
//! reads only its own names.
//!
//! Sound because a `Volume` is read-only over a medium taken as unchanging
//! while it is open (the library never writes; the system directory's names
//! are kept for the volume's life the same way): a name that resolved once
//! resolves to the same inode again, through blocks that passed the same
//! checks (the directory's inode, its index, its entry block). A medium written
//! under the volume (a mounted cluster volume, read without the cluster's
//! locks) gives no consistent view with or without it. Opening with journal
//! replay makes a new `Volume`, with an empty cache.

use std::sync::PoisonError;

use crate::volume::{NameCache, NameMap, Named};

/// Names remembered, at most: a tree's directories, usually, in about 1 MiB
/// with the longest names. Full, it starts again empty (a walk soon fills it
/// with the directories it is in).
const CAPACITY: usize = 4096;

impl NameCache {
    /// What `name` in directory `dir` resolved to before, if remembered.
    pub(crate) fn get(&self, dir: u64, name: &[u8]) -> Option<Named> {
        let names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        names.by_dir.get(&dir)?.get(name).copied()
    }

    /// Remembers what `name` in directory `dir` resolved to.
    pub(crate) fn insert(&self, dir: u64, name: &[u8], named: Named) {
        let mut names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if names.len >= CAPACITY {
            *names = NameMap::default();
        }
        if names.by_dir.entry(dir).or_default().insert(name.into(), named).is_none() {
            names.len += 1;
        }
    }

    /// How many names are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_answers_what_it_was_told() {
        let c = NameCache::default();
        let named = |ino| Named { ino, symlink: Some(false) };
        c.insert(5, b"a", named(7));
        assert_eq!(c.get(5, b"a"), Some(named(7)));
        assert_eq!((c.get(5, b"b"), c.get(6, b"a")), (None, None));
        c.insert(5, b"a", named(7));
        assert_eq!(c.len(), 1);
        for i in 0..CAPACITY as u64 * 3 {
            c.insert(i % 7, &i.to_le_bytes(), named(i));
            assert!(c.len() <= CAPACITY);
        }
        let last = CAPACITY as u64 * 3 - 1;
        assert_eq!(c.get(last % 7, &last.to_le_bytes()), Some(named(last)));
    }
}
