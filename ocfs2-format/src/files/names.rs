//! [`NameCache`]: the directories path resolution went through, by parent and
//! name, so that the next path through them reads only its own names.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Names remembered, at most: a tree's directories, usually, in about 1 MiB
/// with the longest names. Full, it starts again empty (a walk soon fills it
/// with the directories it is in).
const CAPACITY: usize = 4096;

/// The names inside paths resolved so far: directory inode and name -> inode.
///
/// Sound because a [`Volume`](crate::Volume) is read-only over a medium taken
/// as unchanging while it is open (the library never writes; the system
/// directory's names are kept for the volume's life the same way): a name
/// that resolved once resolves to the same inode again, through blocks that
/// passed the same checks (the directory's inode, its index, its entry
/// block). A medium written under the volume (a mounted cluster volume, read
/// without the cluster's locks) gives no consistent view with or without it.
/// Opening with journal replay makes a new `Volume`, with an empty cache.
#[derive(Debug, Default)]
pub(crate) struct NameCache(Mutex<Names>);

#[derive(Debug, Default)]
struct Names {
    /// Directory inode -> name -> what it names.
    by_dir: HashMap<u64, HashMap<Box<[u8]>, Named>>,
    len: usize,
}

/// What a name resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Named {
    pub(crate) ino: u64,
    /// Whether that inode is a symlink, when it was read (a lookup that
    /// follows no symlink does not read it).
    pub(crate) symlink: Option<bool>,
}

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
            *names = Names::default();
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
