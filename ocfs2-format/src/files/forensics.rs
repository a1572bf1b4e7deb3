//! What deletion left behind, as handles: names still readable in a
//! directory's slack ([`DeletedEntry`]) and freed or orphaned inodes
//! ([`DeletedInode`]) that open and read like files where their data is still
//! mapped.

use std::time::SystemTime;

use crate::error::Result;
use crate::forensics;
use crate::layout::dinode::{flags, Id2};
use crate::volume::{Inode, Volume};

use super::metadata::{time, Metadata};
use super::{is_dir, File, FileType, Follow};

/// A directory entry that deletion left readable: the kernel unlinks a name by
/// merging its record into the previous one or zeroing its inode number, and
/// the name's bytes stay until overwritten.
///
/// Known: the name, the type the entry recorded, where it lies. Usually
/// unknown: the inode, as the kernel zeroes the record's inode number (a
/// number that survives, from another writer or damage, may since name
/// another file: [`DeletedEntry::inode`] checks).
#[derive(Debug, Clone)]
pub struct DeletedEntry<'v> {
    vol: &'v Volume,
    e: forensics::DeletedEntry,
}

impl<'v> DeletedEntry<'v> {
    /// The name as it was.
    pub fn name(&self) -> &[u8] {
        &self.e.name
    }
    /// The inode number the record still holds; `None` when it was zeroed.
    pub fn ino(&self) -> Option<u64> {
        Some(self.e.inode).filter(|&i| i != 0)
    }
    /// The type the entry recorded.
    pub fn file_type(&self) -> FileType {
        FileType::from_dirent(self.e.file_type)
    }
    /// The directory block holding the record (the directory's inode block
    /// for an inline directory).
    pub fn block(&self) -> u64 {
        self.e.blkno
    }
    /// The record's byte offset in that block (in the inline data area for an
    /// inline directory).
    pub fn offset(&self) -> usize {
        self.e.offset
    }
    /// The inode the record names, as a [`DeletedInode`], when the number was
    /// kept and that block still holds an inode of this volume that is not in
    /// use. `None` otherwise (zeroed number, or the inode was reused: the name
    /// no longer leads to its data).
    pub fn inode(&self) -> Option<DeletedInode<'v>> {
        let ino = self.ino()?;
        let inode = self.vol.inode_checked(ino).ok()?;
        if inode.header().has_flag(flags::VALID) {
            return None;
        }
        Some(DeletedInode { vol: self.vol, meta: Metadata::new(&inode, self.vol.geometry()), allocated: false })
    }
}

/// An inode that was freed (deletion time set, VALID flag clear) or is orphaned
/// (unlinked while open; its data is whole until the orphan is cleaned), found
/// by scanning every inode allocator group.
///
/// Known: the attributes at deletion ([`DeletedInode::metadata`]: mode, owner,
/// size, times). Not known: its name (see [`DeletedEntry`]), and whether the
/// clusters its extents name were reused since: the kernel truncates a file
/// before freeing it, so most freed inodes map nothing ([`DeletedInode::has_data`]).
#[derive(Debug, Clone)]
pub struct DeletedInode<'v> {
    vol: &'v Volume,
    meta: Metadata,
    allocated: bool,
}

impl<'v> DeletedInode<'v> {
    /// The inode number.
    pub fn ino(&self) -> u64 {
        self.meta.ino()
    }
    /// The attributes as the inode block holds them.
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }
    /// Whether the allocator's bit is still set (an orphan, or an inode whose
    /// bit was not yet cleared).
    pub fn allocated(&self) -> bool {
        self.allocated
    }
    /// Whether the inode is on an orphan list (ORPHANED flag).
    pub fn is_orphan(&self) -> bool {
        self.meta.flags() & flags::ORPHANED != 0
    }
    /// When it was deleted (`i_dtime`, whole seconds); `None` when unset (an
    /// orphan still open).
    pub fn deleted(&self) -> Option<SystemTime> {
        let d = self.meta.dtime();
        (d != 0).then(|| time((d as i64, 0)))
    }
    /// Whether the inode still maps data to read: clusters or inline bytes.
    pub fn has_data(&self) -> bool {
        (self.meta.is_inline() && !self.meta.is_empty()) || self.meta.clusters() > 0
    }
    /// Opens the inode's contents as they are mapped now: an inline file reads
    /// whole; an extent file reads what its extents name (possibly since
    /// reused by other files), holes as zeros. A directory is
    /// [`crate::Error::IsADirectory`].
    pub fn open(&self) -> Result<File<&'v Volume>> {
        self.vol.open_file_ino(self.ino())
    }
}

impl Volume {
    /// Entries still readable in the slack of the directory at `path`
    /// (symlinks followed), in on-disk order; see [`DeletedEntry`].
    pub fn deleted_entries(&self, path: impl AsRef<[u8]>) -> Result<Vec<DeletedEntry<'_>>> {
        self.deleted_entries_of(&is_dir(self.resolve_inode(path.as_ref(), Follow::Always)?)?)
    }

    /// [`Volume::deleted_entries`] of directory inode `ino`.
    pub fn deleted_entries_ino(&self, ino: u64) -> Result<Vec<DeletedEntry<'_>>> {
        self.deleted_entries_of(&self.dir_inode(ino)?)
    }

    /// The deleted entries of directory inode `dir`.
    fn deleted_entries_of(&self, dir: &Inode<'_>) -> Result<Vec<DeletedEntry<'_>>> {
        Ok(forensics::deleted_entries(self, dir)?.into_iter().map(|e| DeletedEntry { vol: self, e }).collect())
    }

    /// Every freed or orphaned inode still in the inode allocators, in scan
    /// order (`global_inode_alloc`, then each slot's); see [`DeletedInode`].
    /// Reads every inode group: seconds on a large volume.
    pub fn deleted_inodes(&self) -> Result<Vec<DeletedInode<'_>>> {
        self.deleted_inodes_with(&mut crate::progress::ignore)
    }

    /// [`Volume::deleted_inodes`], reporting the scan's progress to `on`
    /// ([`crate::progress::Task::ScanInodes`], allocator bits), which may
    /// cancel it.
    pub fn deleted_inodes_with(&self, on: &mut crate::progress::OnProgress<'_>) -> Result<Vec<DeletedInode<'_>>> {
        let mut out = Vec::new();
        for d in forensics::deleted_inodes_with(self, on)? {
            let inode = self.inode(d.blkno)?;
            if let Id2::Super(_) | Id2::Chain(_) | Id2::LocalAlloc(..) | Id2::TruncateLog(_) = inode.dinode().id2()? {
                continue; // system metadata, not a file
            }
            out.push(DeletedInode { vol: self, meta: Metadata::new(&inode, self.geometry()), allocated: d.allocated });
        }
        Ok(out)
    }

    /// Whether inode `ino` is in use (VALID), for telling whether a deleted
    /// entry's number was reused.
    pub fn inode_in_use(&self, ino: u64) -> bool {
        forensics::inode_in_use(self, ino)
    }
}
