//! Extent lists, records and extent blocks (`ocfs2_extent_list`, `ocfs2_extent_rec`,
//! `ocfs2_extent_block`): the B-tree mapping logical clusters to physical blocks.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use core::mem::offset_of;

use super::{assert_size, view_at, CountedList, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result, Value};

/// Signature of an extent block.
pub const EXTENT_BLOCK_SIGNATURE: &[u8; 8] = b"EXBLK01\0";
/// Byte offset of `h_list` in an extent block.
pub const EXTENT_BLOCK_LIST_OFFSET: usize = 48;
/// Deepest extent tree the format allows (`OCFS2_MAX_PATH_DEPTH` less the root).
pub const MAX_TREE_DEPTH: u16 = 4;

/// `e_flags` bits.
pub mod flags {
    /// Allocated but never written: reads as zeros.
    pub const UNWRITTEN: u8 = 0x1;
    /// Shared through a refcount tree.
    pub const REFCOUNTED: u8 = 0x2;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u8, &str)] = &[(UNWRITTEN, "Unwritten"), (REFCOUNTED, "Refcounted")];
}

/// `ocfs2_extent_list` header (16 bytes); records follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct ExtentList {
    pub l_tree_depth: Le16,
    pub l_count: Le16,
    pub l_next_free_rec: Le16,
    pub l_reserved1: Le16,
    pub l_reserved2: Le64,
}
assert_size!(ExtentList, 16);

/// `ocfs2_extent_rec` (16 bytes). Leaf and interior records overlay bytes 4..8:
/// use [`ExtentRec::leaf_clusters`] at depth 0 and [`ExtentRec::int_clusters`] above.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct ExtentRec {
    pub e_cpos: Le32,
    pub e_leaf_clusters: Le16,
    pub e_reserved1: u8,
    pub e_flags: u8,
    pub e_blkno: Le64,
}
assert_size!(ExtentRec, 16);

impl ExtentRec {
    /// Clusters covered by a leaf record.
    pub fn leaf_clusters(&self) -> u32 {
        u32::from(self.e_leaf_clusters.get())
    }
    /// Clusters covered by an interior record (`e_int_clusters`).
    pub fn int_clusters(&self) -> u32 {
        u32::from(self.e_leaf_clusters.get()) | u32::from(self.e_reserved1) << 16 | u32::from(self.e_flags) << 24
    }
    /// Clusters covered, read the way the record's depth demands.
    pub fn clusters(&self, depth: u16) -> u32 {
        if depth == 0 {
            self.leaf_clusters()
        } else {
            self.int_clusters()
        }
    }
}

/// `ocfs2_extent_block` header (64 bytes including `h_list`'s header).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct ExtentBlock {
    pub h_signature: [u8; 8],
    pub h_check: BlockCheck,
    pub h_suballoc_slot: Le16,
    pub h_suballoc_bit: Le16,
    pub h_fs_generation: Le32,
    pub h_blkno: Le64,
    pub h_suballoc_loc: Le64,
    pub h_next_leaf_blk: Le64,
    pub h_list: ExtentList,
}

impl ExtentBlock {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_extent_block",
        signature: EXTENT_BLOCK_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(ExtentBlock, h_signature)),
        check_at: MetaAt::Head(offset_of!(ExtentBlock, h_check)),
        blkno_at: MetaAt::Head(offset_of!(ExtentBlock, h_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(ExtentBlock, h_fs_generation))),
    };
}
assert_size!(ExtentBlock, 64);

/// An extent list with its used records, bounds-checked against its container.
#[derive(Debug, Clone, Copy)]
pub struct ExtentListView<'a> {
    /// The list header.
    pub list: &'a ExtentList,
    /// Records `0..l_next_free_rec`.
    pub recs: &'a [ExtentRec],
}

impl<'a> ExtentListView<'a> {
    /// Parses the list at byte `at` of `bytes` (the rest of the container is its
    /// capacity). `blkno` and `structure` name the block in errors.
    pub fn parse(bytes: &'a [u8], at: usize, blkno: u64, structure: &'static str) -> Result<Self> {
        let list = view_at::<ExtentList>(bytes, at).ok_or_else(|| {
            Error::corrupt(blkno, structure, "l_count", "room for a 16-byte list header", bytes.len())
        })?;
        if list.l_tree_depth.get() > MAX_TREE_DEPTH {
            return Err(Error::corrupt(
                blkno,
                structure,
                "l_tree_depth",
                Value::AtMost(MAX_TREE_DEPTH as u64),
                list.l_tree_depth.get(),
            ));
        }
        let recs = CountedList { structure, count_field: "l_count", used_field: "l_next_free_rec" }.records(
            bytes,
            at + 16,
            usize::from(list.l_count.get()),
            usize::from(list.l_next_free_rec.get()),
            blkno,
        )?;
        Ok(ExtentListView { list, recs })
    }

    /// The list's depth (0: records map data).
    pub fn depth(&self) -> u16 {
        self.list.l_tree_depth.get()
    }
}

/// An extent block with its list, bounds-checked against the block.
#[derive(Debug, Clone, Copy)]
pub struct ExtentBlockView<'a> {
    /// The block header.
    pub header: &'a ExtentBlock,
    /// `h_list` and its used records.
    pub list: ExtentListView<'a>,
}

impl<'a> ExtentBlockView<'a> {
    /// Parses an extent block read from `blkno`.
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let header = view_at::<ExtentBlock>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, "ocfs2_extent_block", "h_list", "a 64-byte header", block.len()))?;
        let list = ExtentListView::parse(block, EXTENT_BLOCK_LIST_OFFSET, blkno, "ocfs2_extent_block.h_list")?;
        Ok(ExtentBlockView { header, list })
    }
}

/// Capacity of an extent list in an inode of block size `bs`.
pub const fn inode_extent_capacity(bs: usize) -> usize {
    (bs - 208) / 16
}

/// Capacity of an extent list in an extent block of block size `bs`.
pub const fn block_extent_capacity(bs: usize) -> usize {
    (bs - 64) / 16
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(ExtentList, l_count), 2);
        assert_eq!(offset_of!(ExtentList, l_next_free_rec), 4);
        assert_eq!(offset_of!(ExtentList, l_reserved2), 8);
        assert_eq!(offset_of!(ExtentRec, e_leaf_clusters), 4);
        assert_eq!(offset_of!(ExtentRec, e_flags), 7);
        assert_eq!(offset_of!(ExtentRec, e_blkno), 8);
        assert_eq!(offset_of!(ExtentBlock, h_check), 8);
        assert_eq!(offset_of!(ExtentBlock, h_suballoc_slot), 16);
        assert_eq!(offset_of!(ExtentBlock, h_fs_generation), 20);
        assert_eq!(offset_of!(ExtentBlock, h_blkno), 24);
        assert_eq!(offset_of!(ExtentBlock, h_suballoc_loc), 32);
        assert_eq!(offset_of!(ExtentBlock, h_next_leaf_blk), 40);
        assert_eq!(offset_of!(ExtentBlock, h_list), 48);
    }

    #[test]
    fn capacities_match_reference_table() {
        // format.md §2.4
        for (bs, inode, block) in [(512, 19, 28), (1024, 51, 60), (2048, 115, 124), (4096, 243, 252)] {
            assert_eq!(inode_extent_capacity(bs), inode);
            assert_eq!(block_extent_capacity(bs), block);
        }
    }

    #[test]
    fn interior_clusters_overlay_leaf_fields() {
        let mut r = <ExtentRec as zerocopy::FromZeros>::new_zeroed();
        r.as_mut_bytes()[4..8].copy_from_slice(&0x0102_0304u32.to_le_bytes());
        assert_eq!(r.int_clusters(), 0x0102_0304);
        assert_eq!(r.leaf_clusters(), 0x0304);
        assert_eq!(r.e_flags, 0x01);
    }

    #[test]
    fn rejects_counts_beyond_the_block() {
        let mut b = vec![0u8; 64];
        b[2..4].copy_from_slice(&3u16.to_le_bytes()); // l_count 3, room for 3
        b[4..6].copy_from_slice(&4u16.to_le_bytes()); // used 4 > count
        let e = ExtentListView::parse(&b, 0, 9, "t").unwrap_err();
        assert_eq!(e.corruption().unwrap().field, "l_next_free_rec");
        b[2..4].copy_from_slice(&4u16.to_le_bytes()); // count 4 > capacity 3
        let e = ExtentListView::parse(&b, 0, 9, "t").unwrap_err();
        assert_eq!(e.corruption().unwrap().field, "l_count");
    }
}
