//! Quota files: the global files `aquota.user` / `aquota.group` (a header, an
//! info block and the VFS "quota tree": a fixed-depth radix tree of block
//! references over `id`, whose leaves point at data blocks of dquot entries) and
//! the per-slot local files `aquota.user:NNNN` / `aquota.group:NNNN` (a header,
//! then chunks: one bitmap block followed by blocks of change records).
//!
//! Every block of every quota file keeps its last [`QBLK_RESERVED_SPACE`] bytes
//! for an [`DiskDqTrailer`]: a block check, verified on META_ECC volumes. Block
//! numbers inside quota files are logical blocks of the file, not of the volume.

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::system_file::{SystemFile, SystemFileKind};
use super::{assert_size, Le16, Le32, Le64};

/// Bytes at the end of every quota block reserved for the trailer.
pub const QBLK_RESERVED_SPACE: usize = 8;
/// Version of both global and local quota files.
pub const QUOTA_VERSION: u32 = 0;
/// Byte offset of the info structure in block 0 (right after the header).
pub const INFO_OFFSET: usize = 8;
/// Logical block of the quota tree's root in a global file.
pub const TREE_ROOT_BLOCK: u32 = 1;
/// `dqi_flags` of a local file: quota was turned off cleanly, no entries pending.
pub const LOCAL_FLAG_CLEAN: u32 = 0x1;
/// Largest tree depth any block size yields (512-byte blocks give 5).
pub const MAX_TREE_DEPTH: u32 = 5;

/// The two kinds of quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuotaType {
    /// Per-user quota (`usrquota`).
    User,
    /// Per-group quota (`grpquota`).
    Group,
}

impl QuotaType {
    /// Both kinds, user first.
    pub const ALL: [QuotaType; 2] = [QuotaType::User, QuotaType::Group];

    /// `dqh_magic` of the global file.
    pub const fn global_magic(self) -> u32 {
        match self {
            QuotaType::User => 0x0cf5_2470,
            QuotaType::Group => 0x0cf5_2471,
        }
    }

    /// `dqh_magic` of a local (per-slot) file.
    pub const fn local_magic(self) -> u32 {
        match self {
            QuotaType::User => 0x0cf5_24c0,
            QuotaType::Group => 0x0cf5_24c1,
        }
    }

    /// The global system file (`aquota.user`, `aquota.group`).
    pub const fn global_file(self) -> SystemFile {
        match self {
            QuotaType::User => SystemFile::global(SystemFileKind::UserQuota),
            QuotaType::Group => SystemFile::global(SystemFileKind::GroupQuota),
        }
    }

    /// Slot `slot`'s local system file (`aquota.user:0000`, ...).
    pub const fn local_file(self, slot: u16) -> SystemFile {
        match self {
            QuotaType::User => SystemFile::slot(SystemFileKind::LocalUserQuota, slot),
            QuotaType::Group => SystemFile::slot(SystemFileKind::LocalGroupQuota, slot),
        }
    }

    /// The RO_COMPAT feature bit that turns this kind on.
    pub const fn feature(self) -> u32 {
        match self {
            QuotaType::User => super::superblock::ro_compat::USRQUOTA,
            QuotaType::Group => super::superblock::ro_compat::GRPQUOTA,
        }
    }

    /// The feature's name as mkfs.ocfs2 spells it.
    pub const fn feature_name(self) -> &'static str {
        match self {
            QuotaType::User => "usrquota",
            QuotaType::Group => "grpquota",
        }
    }

    /// `"user"` or `"group"`.
    pub const fn name(self) -> &'static str {
        match self {
            QuotaType::User => "user",
            QuotaType::Group => "group",
        }
    }
}

/// `ocfs2_disk_dqheader` (8 bytes): the start of block 0 of every quota file.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DiskDqHeader {
    pub dqh_magic: Le32,
    pub dqh_version: Le32,
}
assert_size!(DiskDqHeader, 8);

/// `ocfs2_global_disk_dqinfo` (24 bytes), at [`INFO_OFFSET`] of a global file.
/// Grace times are in seconds; block numbers are logical blocks of the file.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct GlobalDiskDqInfo {
    pub dqi_bgrace: Le32,
    pub dqi_igrace: Le32,
    pub dqi_syncms: Le32,
    pub dqi_blocks: Le32,
    pub dqi_free_blk: Le32,
    pub dqi_free_entry: Le32,
}
assert_size!(GlobalDiskDqInfo, 24);

/// `qt_disk_dqdbheader` (16 bytes): the start of a quota-tree data block; the
/// dquot entries follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct QtDiskDqdbHeader {
    pub dqdh_next_free: Le32,
    pub dqdh_prev_free: Le32,
    pub dqdh_entries: Le16,
    pub dqdh_pad1: Le16,
    pub dqdh_pad2: Le32,
}
assert_size!(QtDiskDqdbHeader, 16);

/// `ocfs2_global_disk_dqblk` (88 bytes): one id's usage and limits in the global
/// file. Space and its limits are in bytes; `dqb_btime`/`dqb_itime` are the
/// seconds since the epoch when a soft limit's grace ends (0: not over it). An
/// all-zero entry is unused.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct GlobalDiskDqBlk {
    pub dqb_id: Le32,
    pub dqb_use_count: Le32,
    pub dqb_ihardlimit: Le64,
    pub dqb_isoftlimit: Le64,
    pub dqb_curinodes: Le64,
    pub dqb_bhardlimit: Le64,
    pub dqb_bsoftlimit: Le64,
    pub dqb_curspace: Le64,
    pub dqb_btime: Le64,
    pub dqb_itime: Le64,
    pub dqb_pad1: Le64,
    pub dqb_pad2: Le64,
}
assert_size!(GlobalDiskDqBlk, 88);

impl GlobalDiskDqBlk {
    /// An unused (all-zero) entry.
    pub fn unused() -> Self {
        Self::new_zeroed()
    }

    /// Whether the slot is unused (all zero).
    pub fn is_unused(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0)
    }
}

/// `ocfs2_local_disk_dqinfo` (12 bytes), at [`INFO_OFFSET`] of a local file.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct LocalDiskDqInfo {
    pub dqi_flags: Le32,
    pub dqi_chunks: Le32,
    pub dqi_blocks: Le32,
}
assert_size!(LocalDiskDqInfo, 12);

/// `ocfs2_local_disk_chunk` header (4 bytes): the free count of a chunk; its
/// bitmap of used entries (bit `i` = byte `i / 8`, mask `1 << (i % 8)`) follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct LocalDiskChunk {
    pub dqc_free: Le32,
}
assert_size!(LocalDiskChunk, 4);

/// `ocfs2_local_disk_dqblk` (24 bytes): a node's changes to one id's usage not
/// yet folded into the global file (two's-complement deltas).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct LocalDiskDqBlk {
    pub dqb_id: Le64,
    pub dqb_spacemod: Le64,
    pub dqb_inodemod: Le64,
}
assert_size!(LocalDiskDqBlk, 24);

/// `ocfs2_disk_dqtrailer` (8 bytes): the last bytes of every quota block.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DiskDqTrailer {
    pub dq_check: BlockCheck,
}
assert_size!(DiskDqTrailer, QBLK_RESERVED_SPACE);

/// Byte offset of the trailer in a block of `bs` bytes.
pub const fn trailer_offset(bs: usize) -> usize {
    bs - QBLK_RESERVED_SPACE
}

/// Block references a quota-tree block holds at block size `bs`.
pub const fn tree_refs_per_block(bs: usize) -> usize {
    (bs - QBLK_RESERVED_SPACE) / 4
}

/// Depth of the quota tree at block size `bs`: the fewest levels of
/// [`tree_refs_per_block`]-way fan-out that cover all 2^32 ids (4 for 2 KiB
/// blocks and up, 5 for 512 B and 1 KiB).
pub const fn tree_depth(bs: usize) -> u32 {
    let epb = tree_refs_per_block(bs) as u64;
    let mut covered = epb;
    let mut depth = 1;
    while covered < (1u64 << 32) {
        covered = covered.saturating_mul(epb);
        depth += 1;
    }
    depth
}

/// The reference slot `id` takes in the tree block at `level` (0 = root).
pub const fn tree_index(bs: usize, id: u32, level: u32) -> usize {
    let epb = tree_refs_per_block(bs) as u64;
    let mut id = id as u64;
    let mut shifts = tree_depth(bs) - level - 1;
    while shifts > 0 {
        id /= epb;
        shifts -= 1;
    }
    (id % epb) as usize
}

/// Dquot entries a global data block holds at block size `bs`.
pub const fn global_entries_per_block(bs: usize) -> usize {
    (bs - QBLK_RESERVED_SPACE - core::mem::size_of::<QtDiskDqdbHeader>()) / core::mem::size_of::<GlobalDiskDqBlk>()
}

/// Byte offset of entry `i` in a global data block.
pub const fn global_entry_offset(i: usize) -> usize {
    core::mem::size_of::<QtDiskDqdbHeader>() + i * core::mem::size_of::<GlobalDiskDqBlk>()
}

/// Local entries per block at block size `bs`.
pub const fn local_entries_per_block(bs: usize) -> usize {
    (bs - QBLK_RESERVED_SPACE) / core::mem::size_of::<LocalDiskDqBlk>()
}

/// Entry blocks in one chunk of a local file (as many as its bitmap block can
/// describe).
pub const fn local_chunk_blocks(bs: usize) -> usize {
    ((bs - core::mem::size_of::<LocalDiskChunk>() - QBLK_RESERVED_SPACE) * 8) / local_entries_per_block(bs)
}

/// Entries (bitmap bits) in one chunk of a local file.
pub const fn local_chunk_entries(bs: usize) -> usize {
    local_chunk_blocks(bs) * local_entries_per_block(bs)
}

/// Logical block of chunk `c`'s bitmap block in a local file.
pub const fn local_chunk_block(bs: usize, c: u64) -> u64 {
    1 + (local_chunk_blocks(bs) as u64 + 1) * c
}

/// Logical block and byte offset of entry `off` of chunk `c` in a local file.
pub const fn local_entry_location(bs: usize, c: u64, off: usize) -> (u64, usize) {
    let epb = local_entries_per_block(bs);
    let blk = local_chunk_block(bs, c) + 1 + (off / epb) as u64;
    (blk, (off % epb) * core::mem::size_of::<LocalDiskDqBlk>())
}

/// Whether bit `i` of a local chunk bitmap is set.
pub fn bitmap_bit(bitmap: &[u8], i: usize) -> bool {
    bitmap.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(DiskDqHeader, dqh_version), 4);
        assert_eq!(offset_of!(GlobalDiskDqInfo, dqi_igrace), 4);
        assert_eq!(offset_of!(GlobalDiskDqInfo, dqi_syncms), 8);
        assert_eq!(offset_of!(GlobalDiskDqInfo, dqi_blocks), 12);
        assert_eq!(offset_of!(GlobalDiskDqInfo, dqi_free_blk), 0x10);
        assert_eq!(offset_of!(GlobalDiskDqInfo, dqi_free_entry), 0x14);
        assert_eq!(offset_of!(QtDiskDqdbHeader, dqdh_prev_free), 4);
        assert_eq!(offset_of!(QtDiskDqdbHeader, dqdh_entries), 8);
        assert_eq!(offset_of!(QtDiskDqdbHeader, dqdh_pad2), 12);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_use_count), 4);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_ihardlimit), 8);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_isoftlimit), 0x10);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_curinodes), 0x18);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_bhardlimit), 0x20);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_bsoftlimit), 0x28);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_curspace), 0x30);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_btime), 0x38);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_itime), 0x40);
        assert_eq!(offset_of!(GlobalDiskDqBlk, dqb_pad2), 0x50);
        assert_eq!(offset_of!(LocalDiskDqInfo, dqi_chunks), 4);
        assert_eq!(offset_of!(LocalDiskDqInfo, dqi_blocks), 8);
        assert_eq!(offset_of!(LocalDiskDqBlk, dqb_spacemod), 8);
        assert_eq!(offset_of!(LocalDiskDqBlk, dqb_inodemod), 0x10);
    }

    #[test]
    fn geometry_per_block_size() {
        // (bs, refs per tree block, depth, global entries, local entries, chunk blocks)
        for (bs, refs, depth, ge, le, cb) in [
            (512, 126, 5, 5, 21, 190),
            (1024, 254, 5, 11, 42, 192),
            (2048, 510, 4, 23, 85, 191),
            (4096, 1022, 4, 46, 170, 192),
        ] {
            assert_eq!(tree_refs_per_block(bs), refs, "bs {bs}");
            assert_eq!(tree_depth(bs), depth, "bs {bs}");
            assert!(tree_depth(bs) <= MAX_TREE_DEPTH);
            assert_eq!(global_entries_per_block(bs), ge, "bs {bs}");
            assert_eq!(local_entries_per_block(bs), le, "bs {bs}");
            assert_eq!(local_chunk_blocks(bs), cb, "bs {bs}");
        }
        assert_eq!(local_chunk_entries(4096), 32640);
        assert_eq!(trailer_offset(4096), 4088);
    }

    #[test]
    fn tree_index_splits_an_id_base_refs() {
        // 4 KiB: 1022 refs per block, depth 4: id 1000 sits under slots 0,0,0,1000.
        let path: Vec<usize> = (0..4).map(|l| tree_index(4096, 1000, l)).collect();
        assert_eq!(path, [0, 0, 0, 1000]);
        let id = 3 * 1022 * 1022 + 5 * 1022 + 7;
        let path: Vec<usize> = (0..4).map(|l| tree_index(4096, id, l)).collect();
        assert_eq!(path, [0, 3, 5, 7]);
        assert_eq!(tree_index(4096, u32::MAX, 0), (u64::from(u32::MAX) / 1022 / 1022 / 1022) as usize);
    }

    #[test]
    fn local_entry_locations() {
        // 4 KiB: block 0 header, block 1 chunk 0's bitmap, entries from block 2.
        assert_eq!(local_chunk_block(4096, 0), 1);
        assert_eq!(local_entry_location(4096, 0, 0), (2, 0));
        assert_eq!(local_entry_location(4096, 0, 3), (2, 72));
        assert_eq!(local_entry_location(4096, 0, 170), (3, 0));
        assert_eq!(local_chunk_block(4096, 1), 194);
        assert_eq!(local_entry_location(4096, 1, 171), (196, 24));
        assert!(bitmap_bit(&[0b10], 1) && !bitmap_bit(&[0b10], 0) && !bitmap_bit(&[], 9));
    }

    #[test]
    fn zero_entry_is_unused() {
        let e = GlobalDiskDqBlk::read_from_bytes(&[0u8; 88]).unwrap_or_else(|_| unreachable!());
        assert!(e.is_unused());
        let mut b = [0u8; 88];
        b[0x30] = 1;
        assert!(!GlobalDiskDqBlk::read_from_bytes(&b).unwrap_or_else(|_| unreachable!()).is_unused());
    }
}
