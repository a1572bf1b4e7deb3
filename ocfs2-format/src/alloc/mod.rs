//! Allocators: the chain allocators (global_bitmap, global_inode_alloc,
//! inode_alloc:N, extent_alloc:N) and their group descriptors, contiguous or
//! discontiguous; the per-slot local-alloc windows, truncate logs and orphan
//! directories; and the space reports built on them (o2info's `--freeinode`,
//! `--freefrag`, `--space-usage`).
//!
//! Walks stream: [`walk_chain`] hands each validated group descriptor to a
//! closure without keeping it, so a 15 TiB global bitmap (over 100,000 groups)
//! costs one block of memory. Every chain walk detects cycles.

use std::collections::HashSet;

use crate::error::{CorruptionKind, Error, InvalidKind, Result};
use crate::layout::chain::ChainListView;
use crate::layout::dinode::{flags, Id2};
use crate::layout::extent::{ExtentList, ExtentRec};
use crate::layout::group::{bit_runs, GroupView};
use crate::layout::system_file::SystemFile;
use crate::volume::{Geometry, Inode, MetaKind, Volume};

mod per_slot;
mod space;

pub use per_slot::{local_alloc, orphans, truncate_log, LocalAllocInfo, OrphanEntry, TruncateLogInfo};
pub use space::{freefrag, freeinode, space_usage, FreeFrag, FreeInode, HistBucket, SlotInodes, SpaceUsage, MAX_HIST};

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
    /// `bg_contig_free_bits`: the longest free run as the kernel recorded it
    /// (0 where it never did).
    pub recorded_contig_free: u16,
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

impl GroupInfo {
    /// The facts of one parsed group descriptor at `blkno`.
    pub fn from_view(blkno: u64, g: &GroupView<'_>) -> Result<Self> {
        let d = g.desc;
        let extents = g.discontig_list()?.map(|l| GroupExtents { list: *l.list, recs: l.recs.to_vec() });
        Ok(GroupInfo {
            blkno,
            chain: d.bg_chain.get(),
            bits: d.bg_bits.get(),
            free: d.bg_free_bits_count.get(),
            contig_free: g.longest_free_run(),
            recorded_contig_free: d.bg_contig_free_bits.get(),
            size: d.bg_size.get(),
            parent: d.bg_parent_dinode.get(),
            generation: d.bg_generation.get(),
            next: d.bg_next_group.get(),
            check: (d.bg_check.crc32e.get(), d.bg_check.ecc.get()),
            extents,
        })
    }
}

/// The extent list of a discontiguous group: where its pieces live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupExtents {
    /// The list header (`l_tree_depth`, `l_count`, `l_next_free_rec`).
    pub list: ExtentList,
    /// Records `0..l_next_free_rec`.
    pub recs: Vec<ExtentRec>,
}

/// What the bits of a chain allocator count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocatorKind {
    /// The global bitmap: one bit per cluster.
    Clusters,
    /// A suballocator (inode or extent block allocator): one bit per block.
    Blocks,
}

/// A chain allocator system file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocator {
    /// Its system file name (`global_bitmap`, `inode_alloc:0001`, ...).
    pub name: String,
    /// Its inode.
    pub inode: u64,
    /// The slot it belongs to, `None` for the global allocators.
    pub slot: Option<u16>,
    /// What a bit stands for.
    pub kind: AllocatorKind,
}

/// Every chain allocator of the volume, in the order fsck.ocfs2 checks them:
/// `global_bitmap`, `global_inode_alloc`, then `inode_alloc:N` and
/// `extent_alloc:N` for each slot. A system file missing from the system
/// directory is an error.
pub fn allocators(vol: &Volume) -> Result<Vec<Allocator>> {
    let mut out = Vec::new();
    let mut push = |file: SystemFile, kind: AllocatorKind| -> Result<()> {
        let inode = vol.system_file(file)?;
        out.push(Allocator { name: file.name(), inode, slot: file.slot_number(), kind });
        Ok(())
    };
    push(SystemFile::GLOBAL_BITMAP, AllocatorKind::Clusters)?;
    push(SystemFile::GLOBAL_INODE_ALLOC, AllocatorKind::Blocks)?;
    for s in 0..vol.superblock().s_max_slots.get() {
        push(SystemFile::inode_alloc(s), AllocatorKind::Blocks)?;
    }
    for s in 0..vol.superblock().s_max_slots.get() {
        push(SystemFile::extent_alloc(s), AllocatorKind::Blocks)?;
    }
    Ok(out)
}

/// The chain list of an allocator inode, or an error naming the inode.
pub fn chain_list<'a>(inode: &'a Inode<'_>) -> Result<ChainListView<'a>> {
    if !inode.header().has_flag(flags::CHAIN) {
        return Err(Error::invalid(
            InvalidKind::WrongType,
            format!("inode {} is not a chain allocator", inode.blkno()),
        ));
    }
    match inode.dinode().id2()? {
        Id2::Chain(cl) => Ok(cl),
        _ => Err(Error::invalid(InvalidKind::WrongType, format!("inode {} is not a chain allocator", inode.blkno()))),
    }
}

/// Hints the group descriptors of the allocator `inode` before a walk of its
/// chains (see [`Volume::prefetch_blocks`]), so that on a cold cache they are
/// read in parallel rather than one link at a time. The chain heads are known;
/// so are all the global bitmap's descriptors, whose places the geometry fixes
/// (group `g` starts cluster `g * cl_cpg`; group 0 sits at
/// `s_first_cluster_group`). Only a hint: the walk still follows and checks the
/// links, and a corrupt `cl_cpg` merely goes unused.
pub fn prefetch_groups(vol: &Volume, inode: &Inode<'_>) {
    let Ok(cl) = chain_list(inode) else { return };
    vol.prefetch_blocks(cl.recs.iter().map(|r| r.c_blkno.get()));
    let geo = vol.geometry();
    let cpg = u64::from(cl.list.cl_cpg.get());
    let full_group = (geo.block_size as usize - crate::layout::group::BITMAP_OFFSET) as u64 * 8;
    if cpg != full_group || vol.system_file(SystemFile::GLOBAL_BITMAP).ok() != Some(inode.blkno()) {
        return;
    }
    let first = vol.superblock().s_first_cluster_group.get();
    let groups = u64::from(geo.clusters).div_ceil(cpg);
    vol.prefetch_blocks(std::iter::once(first).chain((1..groups).map(|g| geo.cluster_to_block(g * cpg))));
}

/// Walks chain `chain` of the allocator `inode`, handing each group descriptor
/// (validated: signature, self block number, generation, ECC) to `f` in chain
/// order. Stops with an error at a link outside the volume, a descriptor that is
/// invalid, belongs to another chain or allocator, or repeats (a cycle).
pub fn walk_chain(
    vol: &Volume,
    inode: &Inode<'_>,
    chain: usize,
    mut f: impl FnMut(u64, &GroupView<'_>) -> Result<()>,
) -> Result<()> {
    let cl = chain_list(inode)?;
    let rec = cl.recs.get(chain).ok_or_else(|| {
        Error::invalid(InvalidKind::Argument, format!("inode {} has no chain {chain}", inode.blkno()))
    })?;
    let mut seen = HashSet::new();
    let (mut from, mut field, mut structure) = (inode.blkno(), "c_blkno", "ocfs2_chain_rec");
    let mut next = rec.c_blkno.get();
    while next != 0 {
        let blkno = vol.check_ref(from, structure, field, next)?;
        if !seen.insert(blkno) {
            return Err(Error::cycle(from, structure, field, "a group not yet on the chain", blkno));
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
        f(blkno, &g)?;
        (from, field, structure) = (blkno, "bg_next_group", "ocfs2_group_desc");
        next = d.bg_next_group.get();
    }
    Ok(())
}

/// One chain's outcome in [`walk_chains`]: what `f` returned for each group
/// reached, in chain order, and how the walk ended (an error stops that chain
/// only, as a broken link ends it).
pub type ChainWalk<T> = (Vec<T>, Result<()>);

/// Walks every chain of the allocator `inode` (see [`walk_chain`]), handing each
/// group to `f` and keeping what it returns; chains are shared out among up to
/// [`io::walk_threads`](crate::io::walk_threads) threads (more when the source's reads wait on the device:
/// [`Volume::parallel_reads`]), and the groups are prefetched first
/// ([`prefetch_groups`]). A 1 TiB global bitmap has 243 chains of 34 groups,
/// each a read and a bitmap scan, so two cores nearly halve the walk.
pub fn walk_chains<T: Send>(
    vol: &Volume,
    inode: &Inode<'_>,
    f: impl Fn(u64, &GroupView<'_>) -> Result<T> + Sync,
) -> Result<Vec<ChainWalk<T>>> {
    let chains = chain_list(inode)?.recs.len();
    prefetch_groups(vol, inode);
    let one = |chain: usize| {
        let mut out = Vec::new();
        let walked = walk_chain(vol, inode, chain, |blkno, g| {
            out.push(f(blkno, g)?);
            Ok(())
        });
        (out, walked)
    };
    let threads = crate::io::walk_threads().max(vol.parallel_reads()).min(chains);
    if threads <= 1 {
        return Ok((0..chains).map(one).collect());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, ChainWalk<T>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if c >= chains {
                            return mine;
                        }
                        mine.push((c, one(c)));
                    }
                })
            })
            .collect();
        // A worker only panics if `f` does; pass that on rather than hide it.
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    done.sort_unstable_by_key(|(c, _)| *c);
    Ok(done.into_iter().map(|(_, w)| w).collect())
}

/// Walks chain `chain` of the allocator `inode` (see [`walk_chain`]) and returns
/// its groups.
pub fn chain_groups(vol: &Volume, inode: &Inode<'_>, chain: usize) -> Result<Vec<GroupInfo>> {
    let mut out = Vec::new();
    walk_chain(vol, inode, chain, |blkno, g| {
        out.push(GroupInfo::from_view(blkno, g)?);
        Ok(())
    })?;
    Ok(out)
}

/// Every chain's groups of the allocator `inode`, walked in parallel (see
/// [`walk_chains`]); the first broken chain is the error.
pub fn allocator_groups(vol: &Volume, inode: &Inode<'_>) -> Result<Vec<Vec<GroupInfo>>> {
    walk_chains(vol, inode, GroupInfo::from_view)?.into_iter().map(|(groups, walked)| walked.map(|()| groups)).collect()
}

/// Reads one group descriptor by block number (debugfs `group <N>`), validated,
/// with no check of which allocator it belongs to.
pub fn read_group(vol: &Volume, blkno: u64) -> Result<GroupInfo> {
    let block = vol.read_meta(blkno, MetaKind::GROUP)?;
    GroupInfo::from_view(blkno, &GroupView::parse(&block, blkno)?)
}

/// Reads group `blkno` and the groups that follow it on its chain through
/// `bg_next_group` (debugfs `group <N>` prints them all), detecting cycles.
pub fn group_chain_from(vol: &Volume, blkno: u64) -> Result<Vec<GroupInfo>> {
    let mut out: Vec<GroupInfo> = Vec::new();
    let mut seen = HashSet::new();
    let mut next = blkno;
    while next != 0 {
        if let Some(prev) = out.last() {
            vol.check_ref(prev.blkno, "ocfs2_group_desc", "bg_next_group", next)?;
            if !seen.insert(next) {
                return Err(Error::cycle(
                    prev.blkno,
                    "ocfs2_group_desc",
                    "bg_next_group",
                    "a group not yet on the chain",
                    next,
                ));
            }
        } else {
            seen.insert(next);
        }
        let g = read_group(vol, next)?;
        next = g.next;
        out.push(g);
    }
    Ok(out)
}

/// A run of consecutive free bits in a group's bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeRun {
    /// First free bit.
    pub start: u32,
    /// Number of free bits.
    pub len: u32,
}

/// The runs of free bits among a group's first `bg_bits` bits, in order
/// (debugfs `grpextents`).
pub fn free_runs(g: &GroupView<'_>) -> Vec<FreeRun> {
    bit_runs(g.bitmap, usize::from(g.desc.bg_bits.get()), false)
        .map(|(start, end)| FreeRun { start, len: end - start })
        .collect()
}

/// The first cluster a global-bitmap group covers: group 0's descriptor sits
/// at `s_first_cluster_group` yet the group starts at cluster 0; every other
/// group starts at its descriptor's cluster.
pub fn bitmap_group_first_cluster(vol: &Volume, blkno: u64) -> u64 {
    if blkno == vol.superblock().s_first_cluster_group.get() {
        0
    } else {
        vol.geometry().block_to_cluster(blkno)
    }
}

/// The runs of blocks a suballocator group covers, `(first block, blocks)`, in
/// bit order: one run from the descriptor for a contiguous group, the records of
/// `bg_list` for a discontiguous one. Records must lie inside the volume and
/// together cover at least `bg_bits` blocks.
pub fn group_block_runs(geo: &Geometry, blkno: u64, g: &GroupView<'_>) -> Result<Vec<(u64, u64)>> {
    let bits = u64::from(g.desc.bg_bits.get());
    let Some(list) = g.discontig_list()? else {
        return Ok(vec![(blkno, bits)]);
    };
    let s = "ocfs2_group_desc.bg_list";
    if list.depth() != 0 {
        return Err(Error::corrupt(blkno, s, "l_tree_depth", 0, list.depth()));
    }
    let mut out = Vec::with_capacity(list.recs.len());
    let mut covered = 0u64;
    // A group holds bg_bits blocks: no record, and no total, may claim more
    // clusters than that, nor the total fewer (fsck.ocfs2 names one oversized
    // record, several, an oversized total and a short one apart).
    let bpc = geo.cluster_to_block(1).max(1);
    let cap = bits.div_ceil(bpc);
    let oversized: Vec<usize> =
        list.recs.iter().enumerate().filter(|(_, r)| u64::from(r.leaf_clusters()) > cap).map(|(i, _)| i).collect();
    match oversized[..] {
        [] => {}
        [i] => {
            let found = format!("record {i}: {} clusters", list.recs[i].leaf_clusters());
            return Err(Error::corrupt(blkno, s, "e_leaf_clusters", format!("<= {cap} clusters"), found));
        }
        _ => {
            let found = format!("records {oversized:?} above it");
            return Err(Error::corrupt(blkno, s, "l_recs", format!("records of <= {cap} clusters"), found));
        }
    }
    for (i, r) in list.recs.iter().enumerate() {
        let start = r.e_blkno.get();
        let n = geo.cluster_to_block(u64::from(r.leaf_clusters()));
        if start == 0 && n == 0 {
            let expected = format!("{i} (the records filled in)");
            return Err(Error::corrupt(blkno, s, "l_next_free_rec", expected, list.recs.len()));
        }
        if start == 0 || start.checked_add(n).is_none_or(|e| e > geo.blocks) {
            return Err(Error::corrupt(
                blkno,
                s,
                "e_blkno",
                format!("an extent inside the volume ({} blocks)", geo.blocks),
                format!("{start} + {} clusters", r.leaf_clusters()),
            ));
        }
        out.push((start, n));
        covered += n;
    }
    let total = covered / bpc;
    if total != cap {
        let kind = if total > cap { CorruptionKind::Excess } else { CorruptionKind::Shortfall };
        let expected = format!("records covering bg_bits {bits} ({cap} clusters)");
        return Err(Error::corrupt(blkno, s, "e_leaf_clusters", expected, format!("{total} clusters")).with_kind(kind));
    }
    Ok(out)
}

/// The block that bit `bit` of a suballocator group stands for, given the
/// group's [`group_block_runs`].
pub fn bit_to_block(runs: &[(u64, u64)], bit: u64) -> Option<u64> {
    let mut left = bit;
    for &(start, n) in runs {
        if left < n {
            return Some(start + left);
        }
        left -= n;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::group::GroupDesc;
    use zerocopy::{FromZeros, IntoBytes};

    fn group(bits: u16, bitmap: &[u8]) -> Vec<u8> {
        let mut d = GroupDesc::new_zeroed();
        d.bg_size.set(bitmap.len() as u16);
        d.bg_bits.set(bits);
        let mut b = d.as_bytes().to_vec();
        b.extend_from_slice(bitmap);
        b.resize(512, 0);
        b
    }

    #[test]
    fn free_runs_cross_bytes_and_stop_at_bg_bits() {
        let b = group(40, &[0b0000_0011, 0, 0, 0xff, 0b1111_0000]);
        let g = GroupView::parse(&b, 9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(free_runs(&g), vec![FreeRun { start: 2, len: 22 }, FreeRun { start: 32, len: 4 }]);
        let b = group(12, &[0xff, 0b0000_0001]);
        let g = GroupView::parse(&b, 9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(free_runs(&g), vec![FreeRun { start: 9, len: 3 }]);
    }

    #[test]
    fn bits_map_through_discontiguous_runs() {
        let runs = [(100, 8), (400, 16)];
        assert_eq!(bit_to_block(&runs, 0), Some(100));
        assert_eq!(bit_to_block(&runs, 8), Some(400));
        assert_eq!(bit_to_block(&runs, 23), Some(415));
        assert_eq!(bit_to_block(&runs, 24), None);
    }
}
