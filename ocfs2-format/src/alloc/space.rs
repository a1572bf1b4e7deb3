//! Space reports computed offline from the allocators: what `o2info` can only
//! ask a mounted volume for (`--freeinode`, `--freefrag`, `--space-usage`).

use crate::error::{Error, InvalidKind, Result};
use crate::fs::ExtentMap;
use crate::layout::extent::flags as extent_flags;
use crate::layout::system_file::SystemFile;
use crate::volume::{Inode, Volume};

use super::{chain_list, walk_chains};
use crate::layout::group::bit_runs;

/// Inodes of one slot's (or the global) inode allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotInodes {
    /// The slot; `None` for `global_inode_alloc`.
    pub slot: Option<u16>,
    /// Inodes the allocator has room for (sum of `c_total`).
    pub total: u64,
    /// Inodes free (sum of `c_free`).
    pub free: u64,
}

/// Inodes allocated and free per slot (o2info `--freeinode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeInode {
    /// `inode_alloc:N` for each slot, in slot order.
    pub slots: Vec<SlotInodes>,
    /// `global_inode_alloc` (o2info leaves it out).
    pub global: SlotInodes,
}

fn inode_counts(vol: &Volume, file: SystemFile) -> Result<SlotInodes> {
    let slot = file.slot_number();
    let inode = vol.inode(vol.system_file(file)?)?;
    let cl = chain_list(&inode)?;
    let (mut total, mut free) = (0u64, 0u64);
    for r in cl.recs {
        total += u64::from(r.c_total.get());
        free += u64::from(r.c_free.get());
    }
    Ok(SlotInodes { slot, total, free })
}

/// Sums the chain records of every inode allocator, as o2info does (the chain
/// records, not the groups: see `check` for whether they agree).
pub fn freeinode(vol: &Volume) -> Result<FreeInode> {
    let slots = (0..vol.superblock().s_max_slots.get())
        .map(|s| inode_counts(vol, SystemFile::inode_alloc(s)))
        .collect::<Result<_>>()?;
    Ok(FreeInode { slots, global: inode_counts(vol, SystemFile::GLOBAL_INODE_ALLOC)? })
}

/// Number of histogram buckets (`OCFS2_INFO_MAX_HIST`): bucket `i` counts free
/// extents of `2^i` up to `2^(i+1) - 1` clusters; the last takes everything larger.
pub const MAX_HIST: usize = 32;

/// One histogram bucket of free extents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistBucket {
    /// Free extents of this size class.
    pub extents: u64,
    /// Clusters in them.
    pub clusters: u64,
}

/// Free-space fragmentation of the global bitmap (o2info `--freefrag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeFrag {
    /// Clusters in the global bitmap (`i_total`).
    pub clusters: u64,
    /// Free clusters (`i_total - i_used`).
    pub free_clusters: u64,
    /// Chunk size in clusters.
    pub clusters_per_chunk: u64,
    /// Chunks in the volume, counted as o2info does (`(clusters + chunk) / chunk`).
    pub total_chunks: u64,
    /// Chunk-aligned (within their group) chunks that are wholly free.
    pub free_chunks: u64,
    /// Free extents (maximal runs of free bits within a group).
    pub free_extents: u64,
    /// Smallest, largest and total size of the free extents, in clusters
    /// (0 when there is none).
    pub min: u64,
    /// Largest free extent in clusters.
    pub max: u64,
    /// Sum of all free extents in clusters (the average is `sum / free_extents`).
    pub sum: u64,
    /// Free extents by size class (see [`MAX_HIST`]).
    pub histogram: [HistBucket; MAX_HIST],
}

/// Scans every global-bitmap group for runs of free clusters. `chunk_clusters`
/// (a power of two, at least 1) sets the chunk size of the free-chunk count.
///
/// Unlike o2info 1.8.7, a free run at the end of one group is counted once even
/// when the next group of its chain starts with a used bit (o2info counts it
/// again there); on volumes whose chains hold one group each the two agree.
pub fn freefrag(vol: &Volume, chunk_clusters: u64) -> Result<FreeFrag> {
    if chunk_clusters == 0 || !chunk_clusters.is_power_of_two() {
        return Err(Error::invalid(
            InvalidKind::Argument,
            format!("chunk of {chunk_clusters} clusters: must be a power of two"),
        ));
    }
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP)?)?;
    let b = gb.header().bitmap1();
    let clusters = u64::from(b.i_total.get());
    let f = FreeFrag {
        clusters,
        free_clusters: clusters.saturating_sub(u64::from(b.i_used.get())),
        clusters_per_chunk: chunk_clusters,
        total_chunks: (clusters + chunk_clusters) / chunk_clusters,
        free_chunks: 0,
        free_extents: 0,
        min: 0,
        max: 0,
        sum: 0,
        histogram: [HistBucket::default(); MAX_HIST],
    };
    // Groups are scanned on all cores; each merges its runs under the lock.
    let shared = std::sync::Mutex::new(f);
    let walks = walk_chains(vol, &gb, |_, g| {
        if g.desc.bg_free_bits_count.get() == 0 {
            return Ok(());
        }
        let runs: Vec<(u32, u32)> = bit_runs(g.bitmap, usize::from(g.desc.bg_bits.get()), false).collect();
        let mut f = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (start, end) in runs {
            f.add_free_run(u64::from(start), u64::from(end - start));
        }
        Ok(())
    })?;
    walks.into_iter().try_for_each(|(_, walked)| walked)?;
    Ok(shared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}

impl FreeFrag {
    /// Counts one free run of `len` clusters from bit `start` of its group.
    fn add_free_run(&mut self, start: u64, len: u64) {
        let idx = (63 - len.leading_zeros() as usize).min(MAX_HIST - 1);
        self.histogram[idx].extents += 1;
        self.histogram[idx].clusters += len;
        self.min = if self.free_extents == 0 { len } else { self.min.min(len) };
        self.max = self.max.max(len);
        self.sum += len;
        self.free_extents += 1;
        // Whole chunks inside the run, chunks aligned from the group start.
        let first = start.div_ceil(self.clusters_per_chunk);
        let end = (start + len) / self.clusters_per_chunk;
        self.free_chunks += end.saturating_sub(first);
    }
}

/// Space a file uses (o2info `--space-usage`, from the extent tree instead of
/// FIEMAP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SpaceUsage {
    /// 512-byte sectors allocated (`st_blocks`: `i_clusters` in sectors);
    /// serialized as `blocks`, the name `st_blocks` gives it.
    #[cfg_attr(feature = "serde", serde(rename = "blocks"))]
    pub sectors: u64,
    /// Clusters allocated to data (`i_clusters`).
    pub clusters: u64,
    /// Clusters of shared (refcounted) extents.
    pub shared: u64,
    /// Clusters of unwritten extents.
    pub unwritten: u64,
    /// Clusters of holes between extents (not after the last one).
    pub holes: u64,
    /// Extents.
    pub extents: u64,
}

/// The space `inode` uses.
pub fn space_usage(vol: &Volume, inode: &Inode<'_>) -> Result<SpaceUsage> {
    let map = ExtentMap::load(vol, inode)?;
    let h = inode.header();
    let shift = vol.geometry().cluster_bits - 9;
    let mut u = SpaceUsage {
        sectors: u64::from(h.i_clusters.get()) << shift,
        clusters: u64::from(h.i_clusters.get()),
        shared: 0,
        unwritten: 0,
        holes: 0,
        extents: map.extents().len() as u64,
    };
    let mut prev_end = 0u64;
    for e in map.extents() {
        let (start, len) = (u64::from(e.cpos), u64::from(e.clusters));
        if e.flags & extent_flags::REFCOUNTED != 0 {
            u.shared += len;
        }
        if e.flags & extent_flags::UNWRITTEN != 0 {
            u.unwritten += len;
        }
        u.holes += start.saturating_sub(prev_end);
        prev_end = start + len;
    }
    Ok(u)
}
