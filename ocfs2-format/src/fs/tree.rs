//! One walk over a directory tree, for the front-ends that list every name
//! with its inode: timelines (`bodyfile`), hash lists, and with deleted names,
//! what `ls -d` and `lsdel` recover.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::dinode::flags;
use crate::volume::{Inode, Volume};

use super::dir::{prefetch_entry_inodes, read_dir};
use super::forensics::{deleted_entries, deleted_inodes};

/// How a name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameState {
    /// A live directory entry.
    Live,
    /// A deleted entry still visible in its directory's slack (`ls -d`).
    Deleted,
    /// A deleted or orphaned inode that no entry names (`lsdel`); its path is
    /// made up as `$OrphanFiles/OrphanFile-<inode>`, as The Sleuth Kit names them.
    Orphan,
}

/// One name met by [`walk_tree`].
#[derive(Debug)]
pub struct TreeEntry<'v> {
    /// The path below the walk's start: names joined by `/`, no leading `/`.
    pub path: Vec<u8>,
    /// The inode number the name gives (0 when the kernel cleared it).
    pub inode_no: u64,
    /// The directory entry's file type (see [`crate::layout::dir::file_type`]);
    /// for orphans, derived from the inode's mode.
    pub file_type: u8,
    /// Live, deleted or orphan.
    pub state: NameState,
    /// The inode, when its block holds a valid inode of this volume (for
    /// deleted names it may be freed, or in use again by another file).
    pub inode: Option<Inode<'v>>,
}

impl TreeEntry<'_> {
    /// Whether the inode is in use (VALID): for a deleted name, that it was
    /// reallocated (The Sleuth Kit's "deleted-realloc").
    pub fn inode_in_use(&self) -> bool {
        self.inode.as_ref().is_some_and(|i| i.header().has_flag(flags::VALID))
    }
}

/// Walks the tree under directory `start`, depth first, each directory's live
/// entries in on-disk order (a subdirectory's contents right after its own
/// entry), `.` and `..` left out. With `deleted`, each directory's deleted
/// entries follow its live ones, and when `start` is the root, the deleted and
/// orphaned inodes no name reaches come last. Directories are entered once
/// (hard-linked or looping directories are not walked twice); deleted
/// directories are not entered. A live entry whose inode cannot be read stops
/// the walk with that error. An error `f` returns stops it too: `f`'s error
/// type is the caller's, as long as this crate's [`Error`] converts into it.
pub fn walk_tree<E: From<Error>>(
    vol: &Volume,
    start: u64,
    deleted: bool,
    mut f: impl FnMut(&TreeEntry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let blocks = vol.geometry().blocks;
    let mut seen_dirs = HashSet::from([start]);
    let mut named = HashSet::new();
    // Each level: the entries of one directory left to visit.
    let mut stack: Vec<std::vec::IntoIter<TreeEntry<'_>>> = Vec::new();
    let open = |dir: u64, prefix: &[u8], named: &mut HashSet<u64>| -> Result<std::vec::IntoIter<TreeEntry<'_>>> {
        let inode = vol.inode(dir)?;
        let live = read_dir(vol, &inode)?;
        prefetch_entry_inodes(vol, &live);
        let mut out = Vec::with_capacity(live.len());
        for e in live {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            out.push(TreeEntry {
                path: join(prefix, &e.name),
                inode_no: e.inode,
                file_type: e.file_type,
                state: NameState::Live,
                inode: Some(vol.inode(e.inode)?),
            });
        }
        if deleted {
            for d in deleted_entries(vol, &inode)? {
                named.insert(d.inode);
                let inode = if d.inode != 0 && d.inode < blocks { vol.inode(d.inode).ok() } else { None };
                out.push(TreeEntry {
                    path: join(prefix, &d.name),
                    inode_no: d.inode,
                    file_type: d.file_type,
                    state: NameState::Deleted,
                    inode,
                });
            }
        }
        Ok(out.into_iter())
    };
    stack.push(open(start, b"", &mut named)?);
    while let Some(entries) = stack.last_mut() {
        let Some(e) = entries.next() else {
            stack.pop();
            continue;
        };
        f(&e)?;
        let is_dir = e.inode.as_ref().is_some_and(|i| i.header().is_dir());
        if e.state == NameState::Live && is_dir && seen_dirs.insert(e.inode_no) {
            stack.push(open(e.inode_no, &e.path, &mut named)?);
        }
    }
    if deleted && start == vol.superblock().s_root_blkno.get() {
        for d in deleted_inodes(vol)? {
            if named.contains(&d.blkno) {
                continue;
            }
            let inode = vol.inode(d.blkno).ok();
            f(&TreeEntry {
                path: format!("$OrphanFiles/OrphanFile-{}", d.blkno).into_bytes(),
                inode_no: d.blkno,
                file_type: type_of_mode(d.mode),
                state: NameState::Orphan,
                inode,
            })?;
        }
    }
    Ok(())
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        p.extend_from_slice(prefix);
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The directory file type an inode's mode stands for.
fn type_of_mode(mode: u16) -> u8 {
    use crate::layout::dir::file_type as ft;
    match mode & 0o170000 {
        0o100000 => ft::REG,
        0o040000 => ft::DIR,
        0o020000 => ft::CHR,
        0o060000 => ft::BLK,
        0o010000 => ft::FIFO,
        0o140000 => ft::SOCK,
        0o120000 => ft::SYMLINK,
        _ => ft::UNKNOWN,
    }
}
