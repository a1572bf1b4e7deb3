//! Chain allocators: walking each chain's group descriptors.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::dinode::Id2;
use crate::layout::extent::{ExtentList, ExtentRec};
use crate::layout::group::GroupView;
use crate::volume::{Inode, MetaKind, Volume};

/// One group descriptor as found on its chain, with the facts debugfs prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The descriptor's block.
    pub blkno: u64,
    /// `bg_chain`.
    pub chain: u16,
    /// `bg_bits`.
    pub bits: u16,
    /// `bg_free_bits_count`.
    pub free: u16,
    /// Longest run of free bits, counted from the bitmap.
    pub contig_free: u32,
    /// `bg_size` (bitmap bytes).
    pub size: u16,
    /// `bg_parent_dinode`.
    pub parent: u64,
    /// `bg_generation`.
    pub generation: u32,
    /// `bg_next_group`.
    pub next: u64,
    /// The descriptor's `bg_check` (crc32e, ecc).
    pub check: (u32, u16),
    /// A discontiguous group's `bg_list` (its header and used records), `None`
    /// for a contiguous group.
    pub extents: Option<GroupExtents>,
}

/// The extent list of a discontiguous group: where its pieces live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupExtents {
    /// The list header (`l_tree_depth`, `l_count`, `l_next_free_rec`).
    pub list: ExtentList,
    /// Records `0..l_next_free_rec`.
    pub recs: Vec<ExtentRec>,
}

/// Walks chain `chain` of the allocator `inode`, stopping with an error at a
/// descriptor that is invalid, belongs to another chain or allocator, or repeats.
pub fn chain_groups(vol: &Volume, inode: &Inode<'_>, chain: usize) -> Result<Vec<GroupInfo>> {
    let Id2::Chain(cl) = inode.dinode().id2()? else {
        return Err(Error::Invalid(format!("inode {} is not a chain allocator", inode.blkno())));
    };
    let rec =
        cl.recs.get(chain).ok_or_else(|| Error::Invalid(format!("inode {} has no chain {chain}", inode.blkno())))?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let (mut from, mut field, mut structure) = (inode.blkno(), "c_blkno", "ocfs2_chain_rec");
    let mut next = rec.c_blkno.get();
    while next != 0 {
        let blkno = vol.check_ref(from, structure, field, next)?;
        if !seen.insert(blkno) {
            return Err(Error::corrupt(from, structure, field, "a group not yet on the chain", blkno));
        }
        let block = vol.read_meta(blkno, MetaKind::GROUP)?;
        let g = GroupView::parse(&block, blkno)?;
        let d = g.desc;
        if d.bg_parent_dinode.get() != inode.blkno() {
            return Err(Error::corrupt(
                blkno,
                "ocfs2_group_desc",
                "bg_parent_dinode",
                inode.blkno(),
                d.bg_parent_dinode.get(),
            ));
        }
        if usize::from(d.bg_chain.get()) != chain {
            return Err(Error::corrupt(blkno, "ocfs2_group_desc", "bg_chain", chain, d.bg_chain.get()));
        }
        let extents = g.discontig_list()?.map(|l| GroupExtents { list: *l.list, recs: l.recs.to_vec() });
        out.push(GroupInfo {
            blkno,
            chain: d.bg_chain.get(),
            bits: d.bg_bits.get(),
            free: d.bg_free_bits_count.get(),
            contig_free: g.longest_free_run(),
            size: d.bg_size.get(),
            parent: d.bg_parent_dinode.get(),
            generation: d.bg_generation.get(),
            next: d.bg_next_group.get(),
            check: (d.bg_check.crc32e.get(), d.bg_check.ecc.get()),
            extents,
        });
        (from, field, structure) = (blkno, "bg_next_group", "ocfs2_group_desc");
        next = d.bg_next_group.get();
    }
    Ok(out)
}
