//! [`Walk`]: a recursive, cycle-safe walk of a directory tree, shaped like the
//! `walkdir` crate.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};
use crate::fs::DirEntryInfo;
use crate::volume::{Inode, Volume};

use super::{FileType, Follow, Metadata};

/// A set of inode numbers. They are block numbers, not attacker-chosen keys a
/// table could be flooded with beyond the walk's own size, so one multiply
/// spreads them well enough; SipHash was a tenth of a tree walk's time.
pub(crate) type InoSet = HashSet<u64, BuildHasherDefault<InoHasher>>;

/// 2^64 divided by the golden ratio.
const FIB: u64 = 0x9e37_79b9_7f4a_7c15;

/// The hasher of [`InoSet`]: Fibonacci hashing of the one `u64` key.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct InoHasher(u64);

impl Hasher for InoHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Inode numbers come through `write_u64`; this serves any other key.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(FIB);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // The high bits, which hashbrown takes for its tag, depend on every bit of `n`.
        self.0 = (n ^ (n >> 32)).wrapping_mul(FIB);
    }
}

/// A walk of the tree under a path, configured like `walkdir::WalkDir`, then
/// iterated ([`IntoIterator`]): the start itself (depth 0), then every entry
/// below it, depth first, each directory's entries right after it (pre-order).
///
/// * `.` and `..` are never yielded.
/// * A directory that cannot be read is yielded, then one `Err` item; the walk
///   goes on with its siblings.
/// * Cycle-safe: a directory whose inode was already walked (a hard-linked
///   directory on a damaged volume, or with [`Walk::follow_links`] a link to an
///   ancestor) is yielded once more as an `Err` ([`Error::Corrupt`], or
///   [`Error::SymlinkLoop`] for a followed link) and not entered again.
/// * Hard links: an entry whose inode was already yielded under another path has
///   [`WalkEntry::hard_link_seen`] set (a manifest hashes it once).
///
/// ```
/// # let vol = ocfs2_format::Volume::open("../fixtures/A-default.img.zst")?;
/// for entry in vol.walk("/d1").sort_by_name(true) {
///     let entry = entry?;
///     println!("{} {}", entry.depth(), String::from_utf8_lossy(entry.path()));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Walk<'v> {
    vol: &'v Volume,
    root: Vec<u8>,
    min_depth: usize,
    max_depth: usize,
    follow_links: bool,
    sort: bool,
}

impl<'v> Walk<'v> {
    pub(crate) fn new(vol: &'v Volume, root: &[u8]) -> Self {
        Walk { vol, root: root.to_vec(), min_depth: 0, max_depth: usize::MAX, follow_links: false, sort: false }
    }

    /// Yields nothing shallower than `depth` (the start is depth 0).
    pub fn min_depth(mut self, depth: usize) -> Self {
        self.min_depth = depth;
        self
    }

    /// Descends no deeper than `depth` (0: the start only).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Follows symbolic links (off by default): a link to a directory is walked
    /// into, and entries report what the link points to. A dangling link is an
    /// `Err` item.
    pub fn follow_links(mut self, yes: bool) -> Self {
        self.follow_links = yes;
        self
    }

    /// Orders each directory's entries by name, bytewise (off by default: the
    /// on-disk order, cheaper and what `ls -f` shows).
    pub fn sort_by_name(mut self, yes: bool) -> Self {
        self.sort = yes;
        self
    }
}

impl<'v> IntoIterator for Walk<'v> {
    type Item = Result<WalkEntry<'v>>;
    type IntoIter = WalkIter<'v>;
    fn into_iter(self) -> WalkIter<'v> {
        WalkIter {
            opts: self,
            started: false,
            stack: Vec::new(),
            pending: None,
            dirs: InoSet::default(),
            seen: InoSet::default(),
        }
    }
}

/// One entry met by a [`Walk`].
#[derive(Debug, Clone)]
pub struct WalkEntry<'v> {
    vol: &'v Volume,
    path: Vec<u8>,
    depth: usize,
    ino: u64,
    file_type: FileType,
    followed: bool,
    hard_link_seen: bool,
}

impl WalkEntry<'_> {
    /// The path: the start as given, then `/name` per level.
    pub fn path(&self) -> &[u8] {
        &self.path
    }
    /// The path, owned (no copy).
    pub fn into_path(self) -> Vec<u8> {
        self.path
    }
    /// The last component (the start's whole path at depth 0).
    pub fn name(&self) -> &[u8] {
        match self.path.iter().rposition(|&b| b == b'/') {
            Some(i) if self.depth > 0 => &self.path[i + 1..],
            _ => &self.path,
        }
    }
    /// Levels below the start (0 for the start).
    pub fn depth(&self) -> usize {
        self.depth
    }
    /// The inode number (the link's target when links are followed).
    pub fn ino(&self) -> u64 {
        self.ino
    }
    /// The type as the directory entry records it (the target's when a link was
    /// followed; the start's from its inode). An entry without a recorded type
    /// is [`FileType::Unknown`] and is not walked into.
    pub fn file_type(&self) -> FileType {
        self.file_type
    }
    /// Whether this entry is a symlink that was followed.
    pub fn path_is_symlink(&self) -> bool {
        self.followed
    }
    /// Whether this inode was already yielded under another path in this walk
    /// (a hard link met again).
    pub fn hard_link_seen(&self) -> bool {
        self.hard_link_seen
    }
    /// Reads the inode's attributes.
    pub fn metadata(&self) -> Result<Metadata> {
        self.vol.metadata_ino(self.ino)
    }
}

/// A directory being walked: its remaining entries.
#[derive(Debug)]
struct Frame {
    path: Vec<u8>,
    depth: usize,
    entries: std::vec::IntoIter<DirEntryInfo>,
}

/// The iterator of a [`Walk`].
#[derive(Debug)]
pub struct WalkIter<'v> {
    opts: Walk<'v>,
    started: bool,
    stack: Vec<Frame>,
    /// A directory's read failure, yielded right after the directory.
    pending: Option<Error>,
    /// Directories entered.
    dirs: InoSet,
    /// Every inode yielded.
    seen: InoSet,
}

impl<'v> WalkIter<'v> {
    /// Makes the entry for `ino` at `path`, entering it when it is a directory
    /// within the depth limit. `Err` for a directory met twice.
    fn visit(&mut self, path: Vec<u8>, depth: usize, found: Found<'v>, followed: bool) -> Result<WalkEntry<'v>> {
        let (vol, Found { ino, ft, inode }) = (self.opts.vol, found);
        if ft.is_dir() {
            if !self.dirs.insert(ino) {
                let shown = String::from_utf8_lossy(&path).into_owned();
                return Err(if followed {
                    Error::SymlinkLoop(shown)
                } else {
                    Error::corrupt(ino, "ocfs2_dir_entry", "inode", "a directory not met before in the walk", shown)
                });
            }
            if depth < self.opts.max_depth {
                let dir = match inode {
                    Some(d) => Ok(d),
                    None => vol.inode(ino),
                };
                match dir.and_then(|d| crate::fs::read_dir(vol, &d)) {
                    Ok(mut entries) => {
                        entries.retain(|e| e.name != b"." && e.name != b"..");
                        if self.opts.sort {
                            entries.sort_by(|a, b| a.name.cmp(&b.name));
                        }
                        self.stack.push(Frame { path: path.clone(), depth, entries: entries.into_iter() });
                    }
                    Err(e) => self.pending = Some(e),
                }
            }
        }
        let hard_link_seen = !self.seen.insert(ino);
        Ok(WalkEntry { vol, path, depth, ino, file_type: ft, followed, hard_link_seen })
    }

    /// What `ino` (named `path`) is, following a symlink when asked to.
    fn target(&self, path: &[u8], ino: u64, ft: FileType) -> Result<(Found<'v>, bool)> {
        if !(self.opts.follow_links && ft.is_symlink()) {
            return Ok((Found { ino, ft, inode: None }, false));
        }
        Ok((Found::resolve(self.opts.vol, path)?, true))
    }
}

/// An inode the walk meets: its number, its type and the inode itself when
/// finding it read it (a start or a followed link), so it is not read again.
struct Found<'v> {
    ino: u64,
    ft: FileType,
    inode: Option<Inode<'v>>,
}

impl<'v> Found<'v> {
    /// What `path` names, symlinks followed.
    fn resolve(vol: &'v Volume, path: &[u8]) -> Result<Self> {
        let inode = vol.resolve_inode(path, Follow::Always)?;
        let ft = FileType::from_mode(inode.header().i_mode.get());
        Ok(Found { ino: inode.blkno(), ft, inode: Some(inode) })
    }
}

impl<'v> Iterator for WalkIter<'v> {
    type Item = Result<WalkEntry<'v>>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            self.started = true;
            let root = self.opts.root.clone();
            let start = Found::resolve(self.opts.vol, &root).and_then(|found| self.visit(root, 0, found, false));
            if start.is_err() || self.opts.min_depth == 0 {
                return Some(start);
            }
        }
        loop {
            if let Some(e) = self.pending.take() {
                return Some(Err(e));
            }
            let top = self.stack.last_mut()?;
            let Some(e) = top.entries.next() else {
                self.stack.pop();
                continue;
            };
            let depth = top.depth + 1;
            // One allocation of the final size: a clone of the parent's would grow again.
            let mut path = Vec::with_capacity(top.path.len() + 1 + e.name.len());
            path.extend_from_slice(&top.path);
            if path.last() != Some(&b'/') {
                path.push(b'/');
            }
            path.extend_from_slice(&e.name);
            let item = self
                .target(&path, e.inode, FileType::from_dirent(e.file_type))
                .and_then(|(found, followed)| self.visit(path, depth, found, followed));
            if item.is_err() || depth >= self.opts.min_depth {
                return Some(item);
            }
        }
    }
}
