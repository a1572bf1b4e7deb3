//! Suballocator groups as libocfs2 adds them to a chain allocator: the extent
//! allocators' first groups, and the metadata blocks taken from them.

use super::bitmap::ClusterBitmap;
use super::system::find;
use super::{chain_recs_per_inode, Body, InodeRec};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::group::{bit_runs, count_set, set_range};
use crate::layout::superblock::incompat;
use crate::layout::system_file::SystemFileKind;
use crate::mkfs::plan::Plan;

/// A suballocator group descriptor (global_inode_alloc, inode_alloc, extent_alloc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubGroup {
    /// Descriptor block (first block of the group).
    pub blkno: u64,
    /// Bits (blocks) in the group.
    pub bits: u16,
    /// `bg_size`: bitmap bytes.
    pub size: u16,
    /// Chain the group is on.
    pub chain: u16,
    /// Next group on the chain.
    pub next: u64,
    /// Bitmap (`size` bytes).
    pub bitmap: Vec<u8>,
}

impl SubGroup {
    pub(super) fn new(blkno: u64, bits: u32, size: u16, chain: u16, next: u64) -> Self {
        let mut bitmap = vec![0u8; usize::from(size)];
        bitmap[0] = 1; // the descriptor itself
        SubGroup { blkno, bits: bits as u16, size, chain, next, bitmap }
    }

    /// Bits in use.
    pub fn used(&self) -> u32 {
        count_set(&self.bitmap, usize::from(self.bits))
    }

    /// Allocates the lowest clear bit; returns it.
    pub(super) fn alloc(&mut self) -> Option<u32> {
        let (bit, _) = bit_runs(&self.bitmap, usize::from(self.bits), false).next()?;
        set_range(&mut self.bitmap, bit as usize, bit as usize + 1);
        Some(bit)
    }
}

/// Each slot's extent allocator gets the groups the plan gives it.
pub(super) fn extent_allocators(
    bm: &mut ClusterBitmap,
    groups: &mut Vec<SubGroup>,
    files: &mut [InodeRec],
    plan: &Plan,
) -> Result<()> {
    let ngroups = plan.extent_alloc_clusters.div_ceil(plan.suballoc_cpg().max(1));
    for slot in 0..plan.slots {
        let Some(i) = find(files, SystemFileKind::ExtentAlloc, slot) else { continue };
        for _ in 0..ngroups {
            add_group(bm, groups, &mut files[i], plan)?;
        }
    }
    Ok(())
}

/// A metadata block from slot 0's extent allocator, as libocfs2 takes one: the
/// first free bit in chain order, after growing the allocator by a group when
/// it has none free (small volumes start with no extent groups). Returns the
/// block, its bit and its group's descriptor block.
pub(super) fn meta_block(
    bm: &mut ClusterBitmap,
    groups: &mut Vec<SubGroup>,
    ea: &mut InodeRec,
    plan: &Plan,
) -> Result<(u64, u16, u64)> {
    for attempt in 0..2 {
        let Body::Chain { chains, .. } = &ea.body else {
            return Err(Error::invalid(InvalidKind::Internal, "extent_alloc:0000 is not a chain allocator"));
        };
        for &gi in chains.iter().flatten() {
            if let Some(bit) = groups[gi].alloc() {
                return Ok((groups[gi].blkno + u64::from(bit), bit as u16, groups[gi].blkno));
            }
        }
        if attempt == 0 {
            add_group(bm, groups, ea, plan)?;
        }
    }
    Err(Error::invalid(InvalidKind::TooSmall, "extent_alloc:0000 is full"))
}

/// libocfs2's `ocfs2_chain_add_group`: a new group of the plan's suballocator
/// clusters per group at the head of the next unused chain (or round robin once
/// all are used).
pub(super) fn add_group(
    bm: &mut ClusterBitmap,
    groups: &mut Vec<SubGroup>,
    r: &mut InodeRec,
    plan: &Plan,
) -> Result<()> {
    let cpg = plan.suballoc_cpg();
    // Discontiguous groups keep their bitmap in 256 bytes, an extent list after it.
    let size =
        if plan.features.has_incompat(incompat::DISCONTIG_BG) { 256 } else { (plan.geometry.block_size - 64) as u16 };
    let (c, _) = bm.alloc_range(cpg, cpg)?;
    let Body::Chain { chains, bpc, .. } = &mut r.body else {
        return Err(Error::invalid(InvalidKind::Internal, "adding a group to a non-chain inode"));
    };
    let count = chain_recs_per_inode(plan.geometry.block_size) as usize;
    let chain = if chains.len() < count { chains.len() } else { (r.clusters / cpg) as usize % count };
    if chain == chains.len() {
        chains.push(Vec::new());
    }
    let next = chains[chain].first().map_or(0, |&g| groups[g].blkno);
    let blkno = plan.geometry.cluster_to_block(u64::from(c));
    groups.push(SubGroup::new(blkno, cpg * u32::from(*bpc), size, chain as u16, next));
    chains[chain].insert(0, groups.len() - 1);
    r.clusters += cpg;
    r.size = u64::from(r.clusters) << plan.geometry.cluster_bits;
    Ok(())
}
