//! The inode (`ocfs2_dinode`): a 192-byte header, then `id2`, whose meaning depends
//! on the inode's flags, dynamic features and mode. [`Dinode::id2`] turns that C
//! union into a typed view.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::chain::ChainListView;
use super::extent::ExtentListView;
use super::inline_data::InlineData;
use super::local_alloc::LocalAlloc;
use super::superblock::SuperBlock;
use super::truncate_log::TruncateLogView;
use core::mem::offset_of;

use super::{assert_size, view_at, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result, Value};

/// Signature of an inode block.
pub const INODE_SIGNATURE: &[u8; 8] = b"INODE01\0";
/// Byte offset of `id2` in the inode block.
pub const ID2_OFFSET: usize = 192;

/// `i_flags` bits.
pub mod flags {
    /// The inode is in use.
    pub const VALID: u32 = 0x1;
    /// Unused.
    pub const UNUSED2: u32 = 0x2;
    /// The inode is on an orphan list.
    pub const ORPHANED: u32 = 0x4;
    /// Unused.
    pub const UNUSED3: u32 = 0x8;
    /// A system file.
    pub const SYSTEM: u32 = 0x10;
    /// The superblock.
    pub const SUPER_BLOCK: u32 = 0x20;
    /// A local-alloc file.
    pub const LOCAL_ALLOC: u32 = 0x40;
    /// An allocation bitmap.
    pub const BITMAP: u32 = 0x80;
    /// A journal.
    pub const JOURNAL: u32 = 0x100;
    /// The heartbeat file.
    pub const HEARTBEAT: u32 = 0x200;
    /// A chain allocator.
    pub const CHAIN: u32 = 0x400;
    /// A truncate log.
    pub const DEALLOC: u32 = 0x800;
    /// A quota file.
    pub const QUOTA: u32 = 0x1000;
    /// Orphaned by an append direct write.
    pub const DIO_ORPHANED: u32 = 0x2000;
    /// The bits debugfs.ocfs2 (1.8.7 up to current) names in `stat`; it prints
    /// nothing for [`QUOTA`] and [`DIO_ORPHANED`].
    pub const DEBUGFS_NAMED: u32 = 0xfff;
    /// Names in the order debugfs.ocfs2 prints them, then the two it leaves
    /// unnamed (see [`DEBUGFS_NAMED`]).
    pub const NAMES: &[(u32, &str)] = &[
        (VALID, "Valid"),
        (UNUSED2, "Unused2"),
        (ORPHANED, "Orphan"),
        (UNUSED3, "Unused3"),
        (SYSTEM, "System"),
        (SUPER_BLOCK, "Superblock"),
        (LOCAL_ALLOC, "Localalloc"),
        (BITMAP, "Allocbitmap"),
        (JOURNAL, "Journal"),
        (HEARTBEAT, "Heartbeat"),
        (CHAIN, "Chain"),
        (DEALLOC, "Dealloc"),
        (QUOTA, "Quota"),
        (DIO_ORPHANED, "DioOrphan"),
    ];
}

/// `i_dyn_features` bits.
pub mod dyn_features {
    /// File data lives in the inode.
    pub const INLINE_DATA: u16 = 0x1;
    /// The inode has extended attributes.
    pub const HAS_XATTR: u16 = 0x2;
    /// Some xattrs are inline in the inode.
    pub const INLINE_XATTR: u16 = 0x4;
    /// The directory is indexed.
    pub const INDEXED_DIR: u16 = 0x8;
    /// The file has a refcount tree.
    pub const HAS_REFCOUNT: u16 = 0x10;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u16, &str)] = &[
        (INLINE_DATA, "InlineData"),
        (HAS_XATTR, "HasXattr"),
        (INLINE_XATTR, "InlineXattr"),
        (INDEXED_DIR, "IndexedDir"),
        (HAS_REFCOUNT, "Refcounted"),
    ];
}

/// `ij_flags` bit: the slot's journal needs recovery.
pub const JOURNAL_DIRTY: u32 = 0x1;

/// `i_suballoc_slot` meaning "allocated from the global inode allocator".
pub const SUBALLOC_GLOBAL: u16 = 0xffff;

/// File type bits of `i_mode` (POSIX).
pub mod mode {
    /// Mask of the type bits.
    pub const S_IFMT: u16 = 0o170000;
    /// Socket.
    pub const S_IFSOCK: u16 = 0o140000;
    /// Symbolic link.
    pub const S_IFLNK: u16 = 0o120000;
    /// Regular file.
    pub const S_IFREG: u16 = 0o100000;
    /// Block device.
    pub const S_IFBLK: u16 = 0o060000;
    /// Directory.
    pub const S_IFDIR: u16 = 0o040000;
    /// Character device.
    pub const S_IFCHR: u16 = 0o020000;
    /// FIFO.
    pub const S_IFIFO: u16 = 0o010000;
}

/// The fixed 192-byte part of `ocfs2_dinode`.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DinodeHeader {
    pub i_signature: [u8; 8],
    pub i_generation: Le32,
    pub i_suballoc_slot: Le16,
    pub i_suballoc_bit: Le16,
    pub i_links_count_hi: Le16,
    pub i_xattr_inline_size: Le16,
    pub i_clusters: Le32,
    pub i_uid: Le32,
    pub i_gid: Le32,
    pub i_size: Le64,
    pub i_mode: Le16,
    pub i_links_count: Le16,
    pub i_flags: Le32,
    pub i_atime: Le64,
    pub i_ctime: Le64,
    pub i_mtime: Le64,
    pub i_dtime: Le64,
    pub i_blkno: Le64,
    pub i_last_eb_blk: Le64,
    pub i_fs_generation: Le32,
    pub i_atime_nsec: Le32,
    pub i_ctime_nsec: Le32,
    pub i_mtime_nsec: Le32,
    pub i_attr: Le32,
    pub i_orphaned_slot: Le16,
    pub i_dyn_features: Le16,
    pub i_xattr_loc: Le64,
    pub i_check: BlockCheck,
    pub i_dx_root: Le64,
    pub i_refcount_loc: Le64,
    pub i_suballoc_loc: Le64,
    pub i_dio_orphaned_slot: Le16,
    pub i_reserved1: [Le16; 3],
    pub i_reserved2: [Le64; 2],
    /// `id1`: see [`DinodeHeader::bitmap1`], [`DinodeHeader::journal1`], [`DinodeHeader::rdev`].
    pub id1: [u8; 8],
}

impl DinodeHeader {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_dinode",
        signature: INODE_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(DinodeHeader, i_signature)),
        check_at: MetaAt::Head(offset_of!(DinodeHeader, i_check)),
        blkno_at: MetaAt::Head(offset_of!(DinodeHeader, i_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(DinodeHeader, i_fs_generation))),
    };
}
assert_size!(DinodeHeader, 192);

/// `id1.bitmap1`: bit counts of an allocator inode.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Bitmap1 {
    /// Bits in use.
    pub i_used: Le32,
    /// Bits in all.
    pub i_total: Le32,
}
assert_size!(Bitmap1, 8);

/// `id1.journal1`: state of a slot's journal.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Journal1 {
    /// [`JOURNAL_DIRTY`] when the slot needs recovery.
    pub ij_flags: Le32,
    /// Bumped after each recovery.
    pub ij_recovery_generation: Le32,
}
assert_size!(Journal1, 8);

impl DinodeHeader {
    /// `id1` as allocator bit counts.
    pub fn bitmap1(&self) -> Bitmap1 {
        Bitmap1::read_from_bytes(&self.id1).unwrap_or_else(|_| unreachable!("8 bytes"))
    }
    /// `id1` as journal state.
    pub fn journal1(&self) -> Journal1 {
        Journal1::read_from_bytes(&self.id1).unwrap_or_else(|_| unreachable!("8 bytes"))
    }
    /// `id1` as a device number.
    pub fn rdev(&self) -> u64 {
        u64::from_le_bytes(self.id1)
    }
    /// The full link count (`i_links_count | i_links_count_hi << 16`).
    pub fn links(&self) -> u32 {
        u32::from(self.i_links_count.get()) | u32::from(self.i_links_count_hi.get()) << 16
    }
    /// Whether an `i_flags` bit is set.
    pub fn has_flag(&self, bit: u32) -> bool {
        self.i_flags.get() & bit != 0
    }
    /// Whether an `i_dyn_features` bit is set.
    pub fn has_dyn(&self, bit: u16) -> bool {
        self.i_dyn_features.get() & bit != 0
    }
    /// The POSIX file type bits of `i_mode`.
    pub fn file_type(&self) -> u16 {
        self.i_mode.get() & mode::S_IFMT
    }
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type() == mode::S_IFDIR
    }
    /// Whether this is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.file_type() == mode::S_IFLNK
    }
}

/// What `id2` holds, chosen by flags, dynamic features and mode.
#[derive(Debug, Clone, Copy)]
pub enum Id2<'a> {
    /// The superblock (SUPER_BLOCK flag).
    Super(&'a SuperBlock),
    /// A chain allocator's chain list (CHAIN flag).
    Chain(ChainListView<'a>),
    /// A local-alloc window (LOCAL_ALLOC flag) and its bitmap (`la_size` bytes).
    LocalAlloc(&'a LocalAlloc, &'a [u8]),
    /// A truncate log (DEALLOC flag).
    TruncateLog(TruncateLogView<'a>),
    /// Inline file or directory data (INLINE_DATA dynamic feature): the header and
    /// the `id_count`-byte data area.
    Inline(&'a InlineData, &'a [u8]),
    /// A fast symlink's target (symlink with no clusters), without the NUL.
    FastSymlink(&'a [u8]),
    /// An extent tree root: regular files, directories, slow symlinks, system files.
    Extents(ExtentListView<'a>),
    /// Device nodes, FIFOs and sockets hold nothing in `id2`.
    Empty,
}

/// A validated view of a whole inode block.
#[derive(Debug, Clone, Copy)]
pub struct Dinode<'a> {
    block: &'a [u8],
    blkno: u64,
}

impl<'a> Dinode<'a> {
    /// Wraps an inode block. Checks only that the block holds a header; signature,
    /// location, generation and ECC are the volume's job (it knows the fs).
    pub fn new(block: &'a [u8], blkno: u64) -> Result<Self> {
        if block.len() < ID2_OFFSET + 16 {
            return Err(Error::corrupt(blkno, "ocfs2_dinode", "block size", ">= 208 bytes", block.len()));
        }
        Ok(Dinode { block, blkno })
    }

    /// The fixed header.
    pub fn header(&self) -> &'a DinodeHeader {
        view_at(self.block, 0).unwrap_or_else(|| unreachable!("length checked in new"))
    }

    /// The block number the inode was read from.
    pub fn blkno(&self) -> u64 {
        self.blkno
    }

    /// The whole block.
    pub fn block(&self) -> &'a [u8] {
        self.block
    }

    /// Bytes of `id2` usable for inline data or an extent list: the block past 192,
    /// less the inline xattr area when INLINE_XATTR is set.
    fn id2_bytes(&self) -> Result<&'a [u8]> {
        let h = self.header();
        let mut end = self.block.len();
        if h.has_dyn(dyn_features::INLINE_XATTR) {
            let xs = usize::from(h.i_xattr_inline_size.get());
            if xs > end - ID2_OFFSET - 16 {
                return Err(Error::corrupt(
                    self.blkno,
                    "ocfs2_dinode",
                    "i_xattr_inline_size",
                    Value::AtMost((end - ID2_OFFSET - 16) as u64),
                    xs,
                ));
            }
            end -= xs;
        }
        Ok(&self.block[ID2_OFFSET..end])
    }

    /// Decodes `id2` into its typed view, checking every count against the block.
    pub fn id2(&self) -> Result<Id2<'a>> {
        let h = self.header();
        let id2 = &self.block[ID2_OFFSET..];
        let bad =
            |field: &'static str, exp: Value, act: u64| Error::corrupt(self.blkno, "ocfs2_dinode", field, exp, act);
        if h.has_flag(flags::SUPER_BLOCK) {
            let sb = view_at::<SuperBlock>(id2, 0)
                .ok_or_else(|| bad("id2.i_super", "320 bytes".into(), id2.len() as u64))?;
            return Ok(Id2::Super(sb));
        }
        if h.has_flag(flags::LOCAL_ALLOC) {
            let la =
                view_at::<LocalAlloc>(id2, 0).ok_or_else(|| bad("id2.i_lab", "16 bytes".into(), id2.len() as u64))?;
            let cap = id2.len() - 16;
            let size = usize::from(la.la_size.get());
            if size > cap {
                return Err(bad("la_size", Value::AtMost(cap as u64), size as u64));
            }
            return Ok(Id2::LocalAlloc(la, &id2[16..16 + size]));
        }
        if h.has_flag(flags::CHAIN) {
            return Ok(Id2::Chain(ChainListView::parse(id2, self.blkno)?));
        }
        if h.has_flag(flags::DEALLOC) {
            return Ok(Id2::TruncateLog(TruncateLogView::parse(id2, self.blkno)?));
        }
        if h.has_dyn(dyn_features::INLINE_DATA) {
            let area = self.id2_bytes()?;
            let id =
                view_at::<InlineData>(area, 0).ok_or_else(|| bad("id2.i_data", "8 bytes".into(), area.len() as u64))?;
            let cap = area.len() - 8;
            let count = usize::from(id.id_count.get());
            if count > cap {
                return Err(bad("id_count", Value::AtMost(cap as u64), count as u64));
            }
            return Ok(Id2::Inline(id, &area[8..8 + count]));
        }
        if h.is_symlink() && h.i_clusters.get() == 0 {
            let cap = id2.len();
            let size = h.i_size.get();
            if size >= cap as u64 {
                return Err(bad("i_size", format!("< {cap} for a fast symlink").into(), size));
            }
            return Ok(Id2::FastSymlink(&id2[..size as usize]));
        }
        match h.file_type() {
            mode::S_IFCHR | mode::S_IFBLK | mode::S_IFIFO | mode::S_IFSOCK => Ok(Id2::Empty),
            _ => Ok(Id2::Extents(ExtentListView::parse(self.id2_bytes()?, 0, self.blkno, "ocfs2_dinode.id2.i_list")?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        // format.md §2.5, ocfs2_dinode
        let t = [
            (offset_of!(DinodeHeader, i_generation), 8),
            (offset_of!(DinodeHeader, i_suballoc_slot), 12),
            (offset_of!(DinodeHeader, i_links_count_hi), 16),
            (offset_of!(DinodeHeader, i_clusters), 20),
            (offset_of!(DinodeHeader, i_size), 32),
            (offset_of!(DinodeHeader, i_mode), 40),
            (offset_of!(DinodeHeader, i_links_count), 42),
            (offset_of!(DinodeHeader, i_flags), 44),
            (offset_of!(DinodeHeader, i_atime), 48),
            (offset_of!(DinodeHeader, i_dtime), 72),
            (offset_of!(DinodeHeader, i_blkno), 80),
            (offset_of!(DinodeHeader, i_last_eb_blk), 88),
            (offset_of!(DinodeHeader, i_fs_generation), 96),
            (offset_of!(DinodeHeader, i_attr), 112),
            (offset_of!(DinodeHeader, i_orphaned_slot), 116),
            (offset_of!(DinodeHeader, i_dyn_features), 118),
            (offset_of!(DinodeHeader, i_xattr_loc), 120),
            (offset_of!(DinodeHeader, i_check), 128),
            (offset_of!(DinodeHeader, i_dx_root), 136),
            (offset_of!(DinodeHeader, i_refcount_loc), 144),
            (offset_of!(DinodeHeader, i_suballoc_loc), 152),
            (offset_of!(DinodeHeader, i_dio_orphaned_slot), 160),
            (offset_of!(DinodeHeader, i_reserved2), 168),
            (offset_of!(DinodeHeader, id1), 184),
        ];
        for (i, (got, want)) in t.iter().enumerate() {
            assert_eq!(got, want, "row {i}");
        }
    }
}
