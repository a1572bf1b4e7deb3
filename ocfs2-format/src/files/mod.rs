//! The volume as files: a `std::fs`-shaped API on [`Volume`].
//!
//! ```
//! use ocfs2_format::Volume;
//! use std::io::Read;
//!
//! let vol = Volume::open("../fixtures/A-default.img.zst")?;
//! for entry in vol.read_dir("/small")? {
//!     let entry = entry?;
//!     let meta = entry.metadata()?;
//!     println!("{:?} {} bytes", entry.file_name(), meta.len());
//! }
//! let mut text = String::new();
//! vol.open_file("/small/hello.txt")?.read_to_string(&mut text)?;
//! assert_eq!(text, "hello ocfs2 from the linux kernel\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Paths are bytes (`&str`, `&[u8]`, `Vec<u8>`...), absolute from the volume's
//! root: `/a/b` (a missing leading `/` means the same); `//name` starts in the
//! system directory, as in debugfs.ocfs2. Empty components and `.` are skipped,
//! `..` goes up (and stays at the top). Every path method has a twin taking an
//! inode number (`*_ino`).
//!
//! Symbolic links: [`Volume::metadata`], [`Volume::open_file`], [`Volume::read`]
//! and [`Volume::canonicalize`] follow them everywhere (at most 40, then
//! [`Error::SymlinkLoop`]); [`Volume::symlink_metadata`] and
//! [`Volume::read_link`] follow all but the last component;
//! [`Volume::lookup`] follows none, as the inspector does. A target starting
//! with `/` starts again at the volume's root.
//!
//! Errors: a missing name is [`Error::NotFound`], a path through a
//! non-directory [`Error::NotADirectory`], a file operation on a directory
//! [`Error::IsADirectory`]; [`Error::errno`] and `From<Error> for io::Error`
//! turn them into what `std` or a FUSE reply needs.

mod file;
mod forensics;
mod metadata;
mod names;
mod tree;
mod walk;
mod xattr;

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::ops::Deref;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use crate::error::{Error, InvalidKind, Result};
use crate::fs::{lookup_name, read_symlink, Contents, DirEntryInfo, DirStream};
use crate::layout::superblock::{compat, feature_names, incompat, ro_compat};
use crate::layout::system_file::SystemFile;
use crate::volume::{Inode, Named, Volume};

pub use file::{File, Run};
pub use forensics::{DeletedEntry, DeletedInode};
pub use metadata::{FileType, Metadata};
pub use tree::{walk_tree, NameState, TreeEntry};
pub(crate) use walk::InoSet;
pub use walk::{Walk, WalkEntry, WalkIter};
pub use xattr::{acl_to_linux, Acl, XattrEntry, ACL_UNDEFINED_ID, ACL_XATTR_VERSION};

/// Symbolic links followed while resolving one path (the kernel's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;

/// Components resolved in one path, to bound the work on hostile input.
const MAX_COMPONENTS: usize = 4096;

/// Which symbolic links a path resolution follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// None (the inspector's lookup).
    Never,
    /// All but the last component (`lstat`, `readlink`).
    Parents,
    /// All (`stat`, `open`).
    Always,
}

/// A resolved path: the inode and the components that lead to it.
struct Resolved<'v> {
    ino: u64,
    /// The inode itself, when resolving read it (to see whether it is a
    /// symlink): the caller need not read and verify it again.
    inode: Option<Inode<'v>>,
    /// Starts in the system directory (`//`).
    system: bool,
    names: Vec<Vec<u8>>,
}

/// An iterator over a directory's entries, without `.` and `..`, in on-disk
/// order (the order `ls -f` shows). It reads the directory one block at a time
/// as it goes, so memory stays at one block's entries on any directory. The
/// directory inode and its extent tree are read when [`Volume::read_dir`] is
/// called; an entry block that cannot be read is an `Err` item, and the blocks
/// after it still follow.
#[derive(Debug)]
pub struct ReadDir<'v> {
    vol: &'v Volume,
    blocks: DirStream<'v>,
    /// The rest of the block being read.
    entries: std::vec::IntoIter<DirEntryInfo>,
    /// Yield `.` and `..` too.
    dots: bool,
}

impl ReadDir<'_> {
    /// Whether to yield the `.` and `..` entries too, where they lie on disk
    /// (the first two records), as `ls -a` and debugfs.ocfs2 `ls` show them.
    /// Off by default, as in `std::fs::read_dir`.
    pub fn dot_entries(mut self, yes: bool) -> Self {
        self.dots = yes;
        self
    }

    /// Whether to list a block whose checksum, self block number or fs
    /// generation fails, as debugfs.ocfs2 `ls` does (a block without the
    /// directory-block signature is still an error); what failed is then in
    /// [`ReadDir::damaged_blocks`]. Off by default.
    pub fn unchecked(mut self, yes: bool) -> Self {
        self.blocks = self.blocks.unchecked(yes);
        self
    }

    /// The blocks read so far despite a failed check (with
    /// [`ReadDir::unchecked`]), each with what failed.
    pub fn damaged_blocks(&self) -> &[(u64, crate::volume::MetaFaults)] {
        self.blocks.damaged()
    }
}

impl<'v> Iterator for ReadDir<'v> {
    type Item = Result<DirEntry<'v>>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.entries.by_ref().find(|e| self.dots || (e.name != b"." && e.name != b"..")) {
                return Some(Ok(DirEntry { vol: self.vol, ino: e.inode, file_type: e.file_type, name: e.name }));
            }
            match self.blocks.next()? {
                Ok(block) => self.entries = block.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// One entry of a directory.
#[derive(Debug, Clone)]
pub struct DirEntry<'v> {
    vol: &'v Volume,
    ino: u64,
    file_type: u8,
    name: Vec<u8>,
}

impl DirEntry<'_> {
    /// The name as stored (any bytes but `/` and NUL).
    pub fn name(&self) -> &[u8] {
        &self.name
    }
    /// The name as an [`OsStr`] (the same bytes).
    pub fn file_name(&self) -> &OsStr {
        OsStr::from_bytes(&self.name)
    }
    /// The inode number the entry names.
    pub fn ino(&self) -> u64 {
        self.ino
    }
    /// The type the entry records (no inode read).
    pub fn file_type(&self) -> FileType {
        FileType::from_dirent(self.file_type)
    }
    /// Reads the inode the entry names (a symlink is not followed).
    pub fn metadata(&self) -> Result<Metadata> {
        self.vol.metadata_ino(self.ino)
    }
}

/// Space and inode counts, as `statfs(2)` on the mounted volume reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    /// `f_bsize`: the block size.
    pub block_size: u32,
    /// `f_frsize`: the kernel leaves it to default to the block size.
    pub fragment_size: u32,
    /// The cluster size (the allocation unit).
    pub cluster_size: u32,
    /// `f_blocks`: the global bitmap's clusters, in blocks.
    pub blocks: u64,
    /// `f_bfree` (and `f_bavail`): its free clusters, in blocks.
    pub blocks_free: u64,
    /// `f_files`: the kernel reports the global bitmap's cluster count.
    pub files: u64,
    /// `f_ffree`: the free clusters (the kernel's choice too: inodes are
    /// allocated from clusters on demand).
    pub files_free: u64,
    /// `f_namelen`: 255.
    pub name_max: u32,
}

impl Volume {
    /// Resolves `path` to an inode number without following any symlink (like
    /// the inspector's file specs, `<blkno>` aside).
    pub fn lookup(&self, path: impl AsRef<[u8]>) -> Result<u64> {
        Ok(self.resolve(path.as_ref(), Follow::Never)?.ino)
    }

    /// Finds one `name` in directory `dir` (through its index when it has one);
    /// `.` and `..` are looked up as the entries on disk.
    pub fn lookup_in(&self, dir: u64, name: impl AsRef<[u8]>) -> Result<u64> {
        let name = name.as_ref();
        let inode = self.dir_inode(dir)?;
        lookup_name(self, &inode, name)?
            .ok_or_else(|| Error::NotFound(format!("{} in directory {dir}", String::from_utf8_lossy(name))))
    }

    /// The entries of the directory at `path` (symlinks followed).
    pub fn read_dir(&self, path: impl AsRef<[u8]>) -> Result<ReadDir<'_>> {
        self.read_dir_of(is_dir(self.resolve_inode(path.as_ref(), Follow::Always)?)?)
    }

    /// The entries of directory `ino`.
    pub fn read_dir_ino(&self, ino: u64) -> Result<ReadDir<'_>> {
        self.read_dir_of(self.dir_inode(ino)?)
    }

    /// The entries of directory inode `dir`.
    fn read_dir_of(&self, dir: Inode<'_>) -> Result<ReadDir<'_>> {
        Ok(ReadDir { vol: self, blocks: DirStream::new(self, &dir)?, entries: Vec::new().into_iter(), dots: false })
    }

    /// Hints the inodes that `entries` name, for a caller about to read each
    /// one's metadata (`ls -l`, a copy of a tree): on a cold cache the reads
    /// then overlap instead of waiting one by one (see
    /// [`Volume::prefetch_blocks`]).
    pub fn prefetch_metadata(&self, entries: &[DirEntry<'_>]) {
        crate::fs::prefetch_inodes(self, entries.iter().map(DirEntry::ino));
    }

    /// A walk of the tree under `path` (see [`Walk`] for its options and rules).
    /// Nothing is read until it is iterated.
    pub fn walk(&self, path: impl AsRef<[u8]>) -> Walk<'_> {
        Walk::new(self, path.as_ref())
    }

    /// The attributes of what `path` names, symlinks followed (`stat`).
    pub fn metadata(&self, path: impl AsRef<[u8]>) -> Result<Metadata> {
        Ok(Metadata::new(&self.resolve_inode(path.as_ref(), Follow::Always)?, self.geometry()))
    }

    /// The attributes of what `path` names, a final symlink not followed
    /// (`lstat`).
    pub fn symlink_metadata(&self, path: impl AsRef<[u8]>) -> Result<Metadata> {
        Ok(Metadata::new(&self.resolve_inode(path.as_ref(), Follow::Parents)?, self.geometry()))
    }

    /// The attributes of inode `ino` (validated: signature, block number,
    /// generation, ECC).
    pub fn metadata_ino(&self, ino: u64) -> Result<Metadata> {
        Ok(Metadata::new(&self.inode_checked(ino)?, self.geometry()))
    }

    /// Opens the file at `path` for reading (symlinks followed). A directory is
    /// [`Error::IsADirectory`].
    pub fn open_file(&self, path: impl AsRef<[u8]>) -> Result<File<&Volume>> {
        let (meta, contents) = self.file_parts(self.resolve_inode(path.as_ref(), Follow::Always)?)?;
        Ok(File::new(self, meta, contents))
    }

    /// Opens inode `ino` for reading. A symlink's inode reads as its target's
    /// text; device nodes, FIFOs and sockets read as empty; a directory is
    /// [`Error::IsADirectory`], an allocator or other metadata inode
    /// [`Error::Invalid`].
    pub fn open_file_ino(&self, ino: u64) -> Result<File<&Volume>> {
        let (meta, contents) = self.file_parts(self.inode_checked(ino)?)?;
        Ok(File::new(self, meta, contents))
    }

    /// Opens inode `ino`'s stored bytes whatever its type: a directory reads as
    /// its entry blocks or inline area, up to its size, as debugfs.ocfs2 `dump`
    /// copies it (for forensics; [`Volume::open_file_ino`] refuses a directory,
    /// as `std` does). An allocator or other metadata inode is
    /// [`Error::Invalid`].
    pub fn open_raw_ino(&self, ino: u64) -> Result<File<&Volume>> {
        let inode = self.inode_checked(ino)?;
        Ok(File::new(self, Metadata::new(&inode, self.geometry()), Contents::new(self, &inode)?))
    }

    /// [`Volume::open_file`] for a shared volume: the handle owns an `Arc`, so it
    /// is `'static` and can move between threads (a FUSE daemon, Python).
    pub fn open_file_arc(self: &Arc<Self>, path: impl AsRef<[u8]>) -> Result<File<Arc<Volume>>> {
        let (meta, contents) = self.file_parts(self.resolve_inode(path.as_ref(), Follow::Always)?)?;
        Ok(File::new(Arc::clone(self), meta, contents))
    }

    /// [`Volume::open_file_ino`] for a shared volume.
    pub fn open_file_ino_arc(self: &Arc<Self>, ino: u64) -> Result<File<Arc<Volume>>> {
        let (meta, contents) = self.file_parts(self.inode_checked(ino)?)?;
        Ok(File::new(Arc::clone(self), meta, contents))
    }

    /// The whole contents of the file at `path` (symlinks followed). Refuses a
    /// file larger than the address space; mind the memory for big files (use
    /// [`Volume::open_file`] to stream).
    pub fn read(&self, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        read_all(&self.open_file(path)?)
    }

    /// The whole contents of inode `ino` (see [`Volume::open_file_ino`]).
    pub fn read_ino(&self, ino: u64) -> Result<Vec<u8>> {
        read_all(&self.open_file_ino(ino)?)
    }

    /// The target of the symlink at `path` (the last component not followed).
    /// Not a symlink: [`Error::Invalid`].
    pub fn read_link(&self, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        self.read_link_ino(self.resolve(path.as_ref(), Follow::Parents)?.ino)
    }

    /// The target of symlink inode `ino`.
    pub fn read_link_ino(&self, ino: u64) -> Result<Vec<u8>> {
        read_symlink(self, &self.inode_checked(ino)?)
    }

    /// Whether `path` names something (symlinks followed: a dangling link is
    /// `false`). Only "not found" and "not a directory" are `false`; other
    /// errors (corruption, I/O) are returned.
    pub fn exists(&self, path: impl AsRef<[u8]>) -> Result<bool> {
        match self.resolve(path.as_ref(), Follow::Always) {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_) | Error::NotADirectory(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The absolute path of what `path` names, with every symlink, `.` and `..`
    /// resolved: `/a/b`, `/` for the root, `//name` in the system directory.
    pub fn canonicalize(&self, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let r = self.resolve(path.as_ref(), Follow::Always)?;
        let mut out = if r.system { b"/".to_vec() } else { Vec::new() };
        for n in &r.names {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        if out.is_empty() || out == b"/" {
            out = if r.system { b"//".to_vec() } else { b"/".to_vec() };
        }
        Ok(out)
    }

    /// The extended attributes of what `path` names (symlinks followed), under
    /// their Linux names, ACLs in the Linux format (see [`XattrEntry::value`]);
    /// inline ones first, then the block's or the buckets', as stored.
    pub fn xattrs(&self, path: impl AsRef<[u8]>) -> Result<Vec<XattrEntry>> {
        self.xattrs_of(&self.resolve_inode(path.as_ref(), Follow::Always)?)
    }

    /// The extended attributes of inode `ino` (see [`Volume::xattrs`]).
    pub fn xattrs_ino(&self, ino: u64) -> Result<Vec<XattrEntry>> {
        self.xattrs_of(&self.inode_checked(ino)?)
    }

    /// The extended attributes of `inode`.
    fn xattrs_of(&self, inode: &Inode<'_>) -> Result<Vec<XattrEntry>> {
        let set = crate::fs::read_xattrs(self, inode)?;
        Ok(set.attrs.into_iter().map(XattrEntry::new).collect())
    }

    /// The value of attribute `name` (a full Linux name, `user.x`,
    /// `system.posix_acl_access`) of what `path` names, or `None` when it has
    /// no such attribute (`ENODATA`).
    pub fn getxattr(&self, path: impl AsRef<[u8]>, name: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        self.getxattr_of(&self.resolve_inode(path.as_ref(), Follow::Always)?, name.as_ref())
    }

    /// [`Volume::getxattr`] by inode number. Only that attribute's value is
    /// read.
    pub fn getxattr_ino(&self, ino: u64, name: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        self.getxattr_of(&self.inode_checked(ino)?, name.as_ref())
    }

    /// The value of attribute `name` of `inode`.
    fn getxattr_of(&self, inode: &Inode<'_>, name: &[u8]) -> Result<Option<Vec<u8>>> {
        let set = crate::fs::read_xattrs_named(self, inode, name)?;
        Ok(set.attrs.into_iter().find(|x| x.full_name() == name).map(|x| XattrEntry::new(x).into_value()))
    }

    /// The full names of inode `ino`'s extended attributes (as `listxattr(2)`
    /// gives them), read without any value kept outside the entries.
    pub fn xattr_names_ino(&self, ino: u64) -> Result<Vec<Vec<u8>>> {
        let set = crate::fs::read_xattr_layout(self, &self.inode_checked(ino)?)?;
        Ok(set.attrs.iter().map(crate::fs::Xattr::full_name).collect())
    }

    /// Space and inode counts as `statfs(2)` reports them for the mounted
    /// volume (from the global bitmap's counts; the local-alloc windows count
    /// as used, as they do there).
    pub fn statfs(&self) -> Result<StatFs> {
        let gb = self.inode(self.system_file(SystemFile::GLOBAL_BITMAP)?)?;
        let b = gb.header().bitmap1();
        let (total, used) = (u64::from(b.i_total.get()), u64::from(b.i_used.get()));
        let free = total.saturating_sub(used);
        let geo = self.geometry();
        let bpc = geo.blocks_per_cluster();
        Ok(StatFs {
            block_size: geo.block_size,
            fragment_size: geo.block_size,
            cluster_size: geo.cluster_size,
            blocks: total * bpc,
            blocks_free: free * bpc,
            files: total,
            files_free: free,
            name_max: crate::layout::dir::MAX_NAME_LEN as u32,
        })
    }

    /// The volume label (`s_label`), lossily as UTF-8.
    pub fn label(&self) -> String {
        String::from_utf8_lossy(self.superblock().label()).into_owned()
    }

    /// The volume UUID (`s_uuid`).
    pub fn uuid(&self) -> [u8; 16] {
        self.superblock().s_uuid
    }

    /// The UUID as `blkid` prints it: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    pub fn uuid_string(&self) -> String {
        let u = self.uuid();
        let hex = |r: std::ops::Range<usize>| u[r].iter().map(|b| format!("{b:02x}")).collect::<String>();
        format!("{}-{}-{}-{}-{}", hex(0..4), hex(4..6), hex(6..8), hex(8..10), hex(10..16))
    }

    /// The feature names set on the volume, as `mkfs.ocfs2 --fs-features` and
    /// debugfs.ocfs2 spell them, in three lists: compat, incompat, ro_compat.
    pub fn features(&self) -> [Vec<&'static str>; 3] {
        let sb = self.superblock();
        [
            feature_names(sb.s_feature_compat.get(), compat::NAMES),
            feature_names(sb.s_feature_incompat.get(), incompat::NAMES),
            feature_names(sb.s_feature_ro_compat.get(), ro_compat::NAMES),
        ]
    }

    /// Reads inode `ino` after checking it lies inside the volume.
    fn inode_checked(&self, ino: u64) -> Result<Inode<'_>> {
        if ino == 0 || ino >= self.geometry().blocks {
            return Err(Error::NotFound(format!("inode {ino}: past the end of the volume")));
        }
        self.inode(ino)
    }

    /// Inode `ino`, which must be a directory.
    fn dir_inode(&self, ino: u64) -> Result<Inode<'_>> {
        is_dir(self.inode_checked(ino)?)
    }

    /// What a [`File`] holds, for `inode`.
    fn file_parts(&self, inode: Inode<'_>) -> Result<(Metadata, Contents)> {
        if inode.header().is_dir() {
            return Err(Error::IsADirectory(format!("inode {}", inode.blkno())));
        }
        Ok((Metadata::new(&inode, self.geometry()), Contents::new(self, &inode)?))
    }

    /// Resolves `path` (see the module docs for the rules). The directories
    /// (and symlinks) met before the last component are remembered in
    /// [`NameCache`](crate::volume::NameCache), so that paths through them cost only their own names.
    fn resolve(&self, path: &[u8], follow: Follow) -> Result<Resolved<'_>> {
        let shown = || String::from_utf8_lossy(path).into_owned();
        let (system, rest) = match path.strip_prefix(b"//") {
            Some(rest) => (true, rest),
            None => (false, path),
        };
        let mut r = Resolved { ino: 0, inode: None, system, names: Vec::new() };
        // The inode of each name, and the inode at the top of it when already read.
        let mut stack: Vec<u64> = Vec::new();
        let mut top_inode: Option<Inode<'_>> = None;
        let mut todo: VecDeque<Vec<u8>> = components(rest).collect();
        let (mut links, mut steps) = (0, 0);
        while let Some(comp) = todo.pop_front() {
            steps += 1;
            if steps > MAX_COMPONENTS {
                return Err(Error::invalid(
                    InvalidKind::Limit,
                    format!("{}: more than {MAX_COMPONENTS} components", shown()),
                ));
            }
            if comp == b"." {
                continue;
            }
            if comp == b".." {
                r.names.pop();
                stack.pop();
                top_inode = None;
                continue;
            }
            let top = if r.system { self.system_dir_blkno() } else { self.root_blkno() };
            let dir = stack.last().copied().unwrap_or(top);
            let known = self.names.get(dir, &comp);
            let (ino, mut symlink) = match known {
                Some(n) => (n.ino, n.symlink),
                None => {
                    let inode = match top_inode.take() {
                        Some(i) => i,
                        None => self.inode_checked(dir)?,
                    };
                    if !inode.header().is_dir() {
                        return Err(Error::NotADirectory(shown()));
                    }
                    (lookup_name(self, &inode, &comp)?.ok_or_else(|| Error::NotFound(shown()))?, None)
                }
            };
            let last = todo.is_empty();
            let follows = match follow {
                Follow::Never => false,
                Follow::Parents => !last,
                Follow::Always => true,
            };
            // A last name is seldom met again (a walk names each file once):
            // only the names inside the path are remembered.
            let remember = |symlink| {
                let named = Named { ino, symlink };
                if !last && known != Some(named) {
                    self.names.insert(dir, &comp, named);
                }
            };
            top_inode = None;
            if follows && symlink != Some(false) {
                let child = self.inode_checked(ino)?;
                let is_link = child.header().is_symlink();
                symlink = Some(is_link);
                if is_link {
                    remember(symlink);
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(Error::SymlinkLoop(shown()));
                    }
                    let target = read_symlink(self, &child)?;
                    if target.first() == Some(&b'/') {
                        // An absolute target means the volume's root, never `//`.
                        r.system = false;
                        r.names.clear();
                        stack.clear();
                    }
                    for c in components(&target).rev() {
                        todo.push_front(c);
                    }
                    continue;
                }
                top_inode = Some(child);
            }
            remember(symlink);
            r.names.push(comp);
            stack.push(ino);
        }
        let top = if r.system { self.system_dir_blkno() } else { self.root_blkno() };
        r.ino = stack.last().copied().unwrap_or(top);
        r.inode = if stack.is_empty() { None } else { top_inode };
        Ok(r)
    }

    /// The inode `path` names, read once (see [`Volume::resolve`]).
    fn resolve_inode(&self, path: &[u8], follow: Follow) -> Result<Inode<'_>> {
        let r = self.resolve(path, follow)?;
        match r.inode {
            Some(inode) => Ok(inode),
            None => self.inode_checked(r.ino),
        }
    }
}

/// `inode`, when it is a directory.
fn is_dir(inode: Inode<'_>) -> Result<Inode<'_>> {
    if !inode.header().is_dir() {
        return Err(Error::NotADirectory(format!("inode {}", inode.blkno())));
    }
    Ok(inode)
}

/// The non-empty components of `path`.
fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = Vec<u8>> + '_ {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty()).map(<[u8]>::to_vec)
}

/// Reads all of `f`.
fn read_all<V: Deref<Target = Volume>>(f: &File<V>) -> Result<Vec<u8>> {
    let len = usize::try_from(f.len())
        .map_err(|_| Error::invalid(InvalidKind::Limit, format!("inode {}: too large", f.ino())))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::invalid(InvalidKind::Limit, format!("inode {}: {len} bytes do not fit", f.ino())))?;
    buf.resize(len, 0);
    let got = f.read_full_at(0, &mut buf)?;
    buf.truncate(got);
    Ok(buf)
}

#[cfg(test)]
mod tests;
