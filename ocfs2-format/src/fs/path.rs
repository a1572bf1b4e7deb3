//! Path resolution from the root or the system directory, debugfs-style file
//! specifications, and inode-to-path search.

use std::collections::HashSet;

use crate::error::{Error, InvalidKind, Result};
use crate::progress::{self, OnProgress, Task};
use crate::volume::{Inode, Volume};

use super::dir::read_dir;
use super::dx::dx_lookup;
use crate::layout::dinode::dyn_features;
use crate::layout::lockname::LockName;

/// Deepest path followed, to bound lookups on corrupt (cyclic) trees.
const MAX_DEPTH: usize = 4096;

/// Resolves `path` from the root directory (`/a/b`), or from the system directory
/// when it starts with `//` (`//global_bitmap`). Symlinks are not followed.
pub fn lookup(vol: &Volume, path: &str) -> Result<u64> {
    let (mut cur, rest) = match path.strip_prefix("//") {
        Some(rest) => (vol.system_dir_blkno(), rest),
        None => (vol.root_blkno(), path.trim_start_matches('/')),
    };
    for (depth, comp) in rest.split('/').filter(|c| !c.is_empty()).enumerate() {
        if depth >= MAX_DEPTH {
            return Err(Error::invalid(
                InvalidKind::Limit,
                format!("path {path} is deeper than {MAX_DEPTH} components"),
            ));
        }
        let dir = vol.inode(cur)?;
        if !dir.header().is_dir() {
            return Err(Error::NotFound(format!("{path}: {comp} is under a non-directory")));
        }
        cur = lookup_name(vol, &dir, comp.as_bytes())?.ok_or_else(|| Error::NotFound(path.to_string()))?;
    }
    Ok(cur)
}

/// Finds `name` (one component, `.` and `..` included) in directory `dir`:
/// through the index of an indexed directory, by a scan otherwise.
pub fn lookup_name(vol: &Volume, dir: &Inode<'_>, name: &[u8]) -> Result<Option<u64>> {
    if dir.header().has_dyn(dyn_features::INDEXED_DIR) {
        // The index answers without reading every block; it agrees with a
        // linear scan (see the tests of `fs::dx`).
        return dx_lookup(vol, dir, name);
    }
    Ok(read_dir(vol, dir)?.into_iter().find(|e| e.name == name).map(|e| e.inode))
}

/// Resolves a debugfs.ocfs2 file specification: `<blkno>`, `<lockname>` (the
/// inode, refcount block or superblock a cluster lock names), `//system_file`
/// or a path.
pub fn resolve_spec(vol: &Volume, spec: &str) -> Result<u64> {
    if let Some(inner) = spec.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        let n = inner.trim();
        let blk = if n.starts_with(|c: char| c.is_ascii_digit()) {
            match n.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => n.parse(),
            }
            .map_err(|_| Error::invalid(InvalidKind::Syntax, format!("{spec}: not a block number")))?
        } else {
            let lock = LockName::parse(n)?;
            lock.block().ok_or_else(|| {
                Error::invalid(
                    InvalidKind::Argument,
                    format!("{spec}: a {} lock names no inode or block", lock.kind.label()),
                )
            })?
        };
        if blk >= vol.geometry().blocks {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("{spec}: past the end of the volume ({} blocks)", vol.geometry().blocks),
            ));
        }
        return Ok(blk);
    }
    lookup(vol, spec)
}

/// Every path naming inode `target`, in the order debugfs.ocfs2 `ncheck` prints
/// them (its `findpath` prints the first): `/` and `//` themselves, then a
/// depth-first walk of the system directory, then of the root, each directory's
/// entries in on-disk order and each subdirectory walked where its entry is met.
/// Paths of directories end in `/` (as debugfs prints them), except `/` and `//`.
///
/// A directory met twice (a cycle, or a hard-linked directory on a corrupt
/// volume) is walked once; nesting deeper than 4096 levels is an error.
pub fn find_paths(vol: &Volume, target: u64) -> Result<Vec<String>> {
    find_paths_with(vol, target, &mut progress::ignore)
}

/// [`find_paths`], reporting [`Task::FindPaths`] progress (directories walked)
/// to `on`, which may cancel ([`Error::Cancelled`]).
pub fn find_paths_with(vol: &Volume, target: u64, on: &mut OnProgress<'_>) -> Result<Vec<String>> {
    Ok(paths_of(vol, &HashSet::from([target]), on)?.into_iter().map(|(_, p)| p).collect())
}

/// Every path naming any of `targets`, with the inode it names, in the order of
/// one walk (as debugfs.ocfs2 `locate` and `ncheck` print several inodes): see
/// [`find_paths`].
pub fn find_paths_of(vol: &Volume, targets: &[u64]) -> Result<Vec<(u64, String)>> {
    paths_of(vol, &targets.iter().copied().collect(), &mut progress::ignore)
}

fn paths_of(vol: &Volume, targets: &HashSet<u64>, on: &mut OnProgress<'_>) -> Result<Vec<(u64, String)>> {
    let mut found = Vec::new();
    let roots = [(vol.root_blkno(), "/"), (vol.system_dir_blkno(), "//")];
    for (blkno, path) in roots {
        if targets.contains(&blkno) {
            found.push((blkno, path.to_string()));
        }
    }
    let mut seen = HashSet::new();
    for (blkno, path) in [roots[1], roots[0]] {
        walk(vol, blkno, path.to_string(), targets, &mut seen, &mut found, on)?;
    }
    Ok(found)
}

/// One directory being walked by [`find_paths`]: its entries and the next one.
struct Frame {
    path: String,
    entries: std::vec::IntoIter<super::dir::DirEntryInfo>,
}

fn walk(
    vol: &Volume,
    dir: u64,
    path: String,
    targets: &HashSet<u64>,
    seen: &mut HashSet<u64>,
    found: &mut Vec<(u64, String)>,
    on: &mut OnProgress<'_>,
) -> Result<()> {
    if !seen.insert(dir) {
        return Ok(());
    }
    let entries = read_dir(vol, &vol.inode(dir)?)?.into_iter();
    let mut stack = vec![Frame { path, entries }];
    while let Some(top) = stack.last_mut() {
        let Some(e) = top.entries.next() else {
            stack.pop();
            continue;
        };
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let is_dir = e.file_type == crate::layout::dir::file_type::DIR;
        let mut p = format!("{}{}", top.path, String::from_utf8_lossy(&e.name));
        if is_dir {
            p.push('/');
        }
        if targets.contains(&e.inode) {
            found.push((e.inode, p.clone()));
        }
        if is_dir && seen.insert(e.inode) {
            if stack.len() >= MAX_DEPTH {
                return Err(Error::invalid(
                    InvalidKind::Limit,
                    format!("{p}: nested deeper than {MAX_DEPTH} directories"),
                ));
            }
            progress::report(on, Task::FindPaths, seen.len() as u64, None)?;
            let entries = read_dir(vol, &vol.inode(e.inode)?)?.into_iter();
            stack.push(Frame { path: p, entries });
        }
    }
    Ok(())
}
