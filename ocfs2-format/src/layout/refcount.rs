//! Refcount trees (`ocfs2_refcount_block`, `REFCNT1`; `ocfs2_refcount_rec`): how
//! many files share each physical cluster of reflinked extents.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::extent::ExtentListView;
use core::mem::offset_of;

use super::{assert_size, view_at, CountedList, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result};

/// Signature of a refcount block.
pub const REFCOUNT_SIGNATURE: &[u8; 8] = b"REFCNT1\0";
/// Byte offset of the union (`rf_records` or `rf_list`).
pub const REFCOUNT_UNION_OFFSET: usize = 128;

/// `rf_flags` bits.
pub mod flags {
    /// A leaf block of a tree.
    pub const LEAF: u32 = 0x1;
    /// The root holds an extent tree of leaf blocks instead of records.
    pub const TREE: u32 = 0x2;
    /// Names as debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[(LEAF, "Leaf"), (TREE, "Tree")];
}

/// `ocfs2_refcount_block` header (128 bytes); the union follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct RefcountBlock {
    pub rf_signature: [u8; 8],
    pub rf_suballoc_slot: Le16,
    pub rf_suballoc_bit: Le16,
    pub rf_fs_generation: Le32,
    pub rf_blkno: Le64,
    pub rf_parent: Le64,
    pub rf_check: BlockCheck,
    pub rf_last_eb_blk: Le64,
    pub rf_count: Le32,
    pub rf_flags: Le32,
    pub rf_clusters: Le32,
    pub rf_cpos: Le32,
    pub rf_generation: Le32,
    pub rf_reserved0: Le32,
    pub rf_suballoc_loc: Le64,
    pub rf_reserved1: [Le64; 6],
}

impl RefcountBlock {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_refcount_block",
        signature: REFCOUNT_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(RefcountBlock, rf_signature)),
        check_at: MetaAt::Head(offset_of!(RefcountBlock, rf_check)),
        blkno_at: MetaAt::Head(offset_of!(RefcountBlock, rf_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(RefcountBlock, rf_fs_generation))),
    };
}
assert_size!(RefcountBlock, 128);

/// `ocfs2_refcount_list` header (16 bytes); records follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct RefcountList {
    pub rl_count: Le16,
    pub rl_used: Le16,
    pub rl_reserved2: Le32,
    pub rl_reserved1: Le64,
}
assert_size!(RefcountList, 16);

/// `ocfs2_refcount_rec` (16 bytes): `r_clusters` physical clusters from `r_cpos`
/// are shared `r_refcount` times.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct RefcountRec {
    pub r_cpos: Le64,
    pub r_clusters: Le32,
    pub r_refcount: Le32,
}
assert_size!(RefcountRec, 16);

/// What a refcount block holds after its header.
#[derive(Debug, Clone, Copy)]
pub enum RefcountBody<'a> {
    /// Records (a root without a tree, or a leaf).
    Records {
        /// The list header.
        list: &'a RefcountList,
        /// Records `0..rl_used`.
        recs: &'a [RefcountRec],
    },
    /// An extent tree whose leaves map physical cluster ranges to leaf blocks.
    Tree(ExtentListView<'a>),
}

/// A refcount block, bounds-checked.
#[derive(Debug, Clone, Copy)]
pub struct RefcountBlockView<'a> {
    /// The header.
    pub header: &'a RefcountBlock,
    /// Records or tree.
    pub body: RefcountBody<'a>,
}

impl<'a> RefcountBlockView<'a> {
    /// Parses a refcount block read from `blkno`.
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_refcount_block";
        let header = view_at::<RefcountBlock>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "rf_records", "a 128-byte header", block.len()))?;
        let at = REFCOUNT_UNION_OFFSET;
        let body = if header.rf_flags.get() & flags::TREE != 0 {
            RefcountBody::Tree(ExtentListView::parse(block, at, blkno, "ocfs2_refcount_block.rf_list")?)
        } else {
            let list = view_at::<RefcountList>(block, at)
                .ok_or_else(|| Error::corrupt(blkno, s, "rl_count", "a 16-byte list header", block.len()))?;
            let recs = CountedList {
                structure: "ocfs2_refcount_block.rf_records",
                count_field: "rl_count",
                used_field: "rl_used",
            }
            .records(
                block,
                at + 16,
                usize::from(list.rl_count.get()),
                usize::from(list.rl_used.get()),
                blkno,
            )?;
            RefcountBody::Records { list, recs }
        };
        Ok(RefcountBlockView { header, body })
    }
}

/// Records a refcount block holds at block size `bs`.
pub const fn capacity(bs: usize) -> usize {
    (bs - 144) / 16
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(RefcountBlock, rf_suballoc_slot), 8);
        assert_eq!(offset_of!(RefcountBlock, rf_suballoc_bit), 10);
        assert_eq!(offset_of!(RefcountBlock, rf_fs_generation), 12);
        assert_eq!(offset_of!(RefcountBlock, rf_blkno), 16);
        assert_eq!(offset_of!(RefcountBlock, rf_parent), 24);
        assert_eq!(offset_of!(RefcountBlock, rf_check), 32);
        assert_eq!(offset_of!(RefcountBlock, rf_last_eb_blk), 40);
        assert_eq!(offset_of!(RefcountBlock, rf_count), 48);
        assert_eq!(offset_of!(RefcountBlock, rf_flags), 52);
        assert_eq!(offset_of!(RefcountBlock, rf_clusters), 56);
        assert_eq!(offset_of!(RefcountBlock, rf_cpos), 60);
        assert_eq!(offset_of!(RefcountBlock, rf_generation), 64);
        assert_eq!(offset_of!(RefcountBlock, rf_suballoc_loc), 72);
        assert_eq!(offset_of!(RefcountBlock, rf_reserved1), 80);
        assert_eq!(offset_of!(RefcountList, rl_used), 2);
        assert_eq!(offset_of!(RefcountRec, r_clusters), 8);
        assert_eq!(offset_of!(RefcountRec, r_refcount), 12);
    }

    #[test]
    fn capacities_match_reference_table() {
        for (bs, cap) in [(512, 23), (1024, 55), (2048, 119), (4096, 247)] {
            assert_eq!(capacity(bs), cap);
        }
    }

    #[test]
    fn rejects_counts_beyond_the_block() {
        let mut b = vec![0u8; 512];
        b[128..130].copy_from_slice(&24u16.to_le_bytes());
        let e = RefcountBlockView::parse(&b, 5).unwrap_err();
        assert_eq!(e.corruption().map(|c| c.field), Some("rl_count"));
    }
}
