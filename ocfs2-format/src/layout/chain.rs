//! Chain lists (`ocfs2_chain_list`, `ocfs2_chain_rec`): the roots of the chain
//! allocators (global_bitmap, global_inode_alloc, inode_alloc:N, extent_alloc:N).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, view_at, CountedList, Le16, Le32, Le64};
use crate::error::{Error, Result};

/// `ocfs2_chain_list` header (16 bytes); records follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct ChainList {
    pub cl_cpg: Le16,
    pub cl_bpc: Le16,
    pub cl_count: Le16,
    pub cl_next_free_rec: Le16,
    pub cl_reserved1: Le64,
}
assert_size!(ChainList, 16);

/// `ocfs2_chain_rec`: the head of one chain of group descriptors.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct ChainRec {
    pub c_free: Le32,
    pub c_total: Le32,
    pub c_blkno: Le64,
}
assert_size!(ChainRec, 16);

/// A chain list with its used records, bounds-checked against the inode block.
#[derive(Debug, Clone, Copy)]
pub struct ChainListView<'a> {
    /// The list header.
    pub list: &'a ChainList,
    /// Records `0..cl_next_free_rec`.
    pub recs: &'a [ChainRec],
}

impl<'a> ChainListView<'a> {
    /// Parses a chain list from `id2` of the allocator inode at `blkno`.
    pub fn parse(id2: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_dinode.id2.i_chain";
        let list = view_at::<ChainList>(id2, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "cl_count", "16-byte header", id2.len()))?;
        let recs = CountedList { structure: s, count_field: "cl_count", used_field: "cl_next_free_rec" }.records(
            id2,
            16,
            usize::from(list.cl_count.get()),
            usize::from(list.cl_next_free_rec.get()),
            blkno,
        )?;
        Ok(ChainListView { list, recs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(ChainList, cl_bpc), 2);
        assert_eq!(offset_of!(ChainList, cl_count), 4);
        assert_eq!(offset_of!(ChainList, cl_next_free_rec), 6);
        assert_eq!(offset_of!(ChainRec, c_total), 4);
        assert_eq!(offset_of!(ChainRec, c_blkno), 8);
    }
}
