//! Logical-to-physical mapping through an inode's extent tree.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::dinode::Id2;
use crate::layout::extent::{flags, ExtentBlockView, ExtentListView, ExtentRec};
use crate::layout::superblock::SUPERBLOCK_BLKNO;
use crate::volume::{Inode, MetaKind, Volume};

/// One leaf extent: `clusters` logical clusters from `cpos` stored from `blkno`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// First logical cluster.
    pub cpos: u32,
    /// Length in clusters.
    pub clusters: u32,
    /// First physical block.
    pub blkno: u64,
    /// `e_flags` ([`flags::UNWRITTEN`], [`flags::REFCOUNTED`]).
    pub flags: u8,
}

impl Extent {
    /// Whether the extent reads as zeros (allocated but never written).
    pub fn is_unwritten(&self) -> bool {
        self.flags & flags::UNWRITTEN != 0
    }
    /// Whether the extent's clusters may be shared with other files (a reflink):
    /// their counts live in the inode's refcount tree.
    pub fn is_refcounted(&self) -> bool {
        self.flags & flags::REFCOUNTED != 0
    }
}

/// The mapped blocks of `extents` among logical blocks `0..limit` (see
/// [`ExtentMap::blocks`]).
fn blocks_of(extents: impl Iterator<Item = Extent>, vol: &Volume, limit: u64) -> impl Iterator<Item = (u64, u64, u8)> {
    let geo = vol.geometry();
    let shift = geo.cluster_bits - geo.block_bits;
    extents.flat_map(move |e| {
        let start = u64::from(e.cpos) << shift;
        let end = (start + (u64::from(e.clusters) << shift)).min(limit);
        (start..end).map(move |lblk| (lblk, e.blkno + (lblk - start), e.flags))
    })
}

/// Where one logical block lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Stored at this physical block; `unwritten` blocks read as zeros.
    Block {
        /// Physical block number.
        blkno: u64,
        /// The extent's flags.
        flags: u8,
    },
    /// A hole: reads as zeros.
    Hole,
}

/// All leaf extents of one inode, in logical order, with the extent blocks visited.
#[derive(Debug, Clone, Default)]
pub struct ExtentMap {
    extents: Vec<Extent>,
    extent_blocks: Vec<u64>,
    leaves: Vec<(u64, u64)>,
}

impl ExtentMap {
    /// A map with no extents (a file with no data, or data held in the inode).
    pub const EMPTY: ExtentMap = ExtentMap { extents: Vec::new(), extent_blocks: Vec::new(), leaves: Vec::new() };

    /// Walks the extent tree of `inode`. Detects cycles, depth that does not step
    /// down by one per level, and records that overlap or run backwards.
    pub fn load(vol: &Volume, inode: &Inode<'_>) -> Result<Self> {
        match inode.dinode().id2()? {
            Id2::Extents(l) => Walk::new(vol, false, &mut |_, _| {}).run(l, inode.blkno(), DINODE_LIST).map(|w| w.0),
            _ => Ok(ExtentMap::default()),
        }
    }

    /// Walks like [`ExtentMap::load`], but a bad record or subtree is skipped
    /// rather than ending the walk: the map of what could be reached, and why the
    /// rest could not. `check` reports each error and still accounts for the
    /// clusters the good part of a damaged tree maps.
    pub fn load_partial(vol: &Volume, inode: &Inode<'_>) -> Result<(Self, Vec<Error>)> {
        Self::load_visiting(vol, inode, &mut |_, _| {})
    }

    /// Walks like [`ExtentMap::load_partial`] and hands `visit` each extent
    /// block as the walk reaches it, depth first (the order debugfs.ocfs2 prints
    /// them), but for an empty branch in the last record of a list: a failed
    /// insertion's leftover, which the kernel and debugfs.ocfs2 treat as not there
    /// (the map still walks it, so `check` accounts for its blocks).
    pub fn load_visiting(
        vol: &Volume,
        inode: &Inode<'_>,
        visit: &mut dyn FnMut(u64, &ExtentBlockView<'_>),
    ) -> Result<(Self, Vec<Error>)> {
        match inode.dinode().id2()? {
            Id2::Extents(l) => Walk::new(vol, true, visit).run(l, inode.blkno(), DINODE_LIST),
            _ => Ok((ExtentMap::default(), Vec::new())),
        }
    }

    /// Walks an extent tree rooted outside an inode's `id2`: a dx root's `dr_list`,
    /// an xattr value or bucket tree, a refcount tree. `list` lives in block
    /// `blkno`, named `structure` in errors; the same checks as [`ExtentMap::load`].
    pub fn load_list(vol: &Volume, list: ExtentListView<'_>, blkno: u64, structure: &'static str) -> Result<Self> {
        Walk::new(vol, false, &mut |_, _| {}).run(list, blkno, structure).map(|w| w.0)
    }

    /// The leaf extents in logical order.
    pub fn extents(&self) -> &[Extent] {
        &self.extents
    }

    /// The leaf extent blocks in logical order, each with its `h_next_leaf_blk`
    /// (which should name the next one, and 0 for the last). Readers do not
    /// follow that link (the tree is the truth); `check` compares it.
    pub fn leaves(&self) -> &[(u64, u64)] {
        &self.leaves
    }

    /// The mapped blocks among logical blocks `0..limit`, in logical order, as
    /// `(logical block, physical block, extent flags)`. Holes are skipped, so the
    /// work follows what the tree maps, not a size read from disk: a directory
    /// whose `i_size` claims petabytes costs only its real blocks.
    pub fn blocks(&self, vol: &Volume, limit: u64) -> impl Iterator<Item = (u64, u64, u8)> + '_ {
        blocks_of(self.extents.iter().copied(), vol, limit)
    }

    /// [`ExtentMap::blocks`], owning the map: for a reader that keeps its place
    /// between calls (a directory streamed block by block).
    pub fn into_blocks(self, vol: &Volume, limit: u64) -> impl Iterator<Item = (u64, u64, u8)> + Send + Sync {
        blocks_of(self.extents.into_iter(), vol, limit)
    }

    /// Clusters mapped by all extents together.
    pub fn mapped_clusters(&self) -> u64 {
        self.extents.iter().map(|e| u64::from(e.clusters)).sum()
    }

    /// The extent blocks of the tree, in walk order.
    pub fn extent_blocks(&self) -> &[u64] {
        &self.extent_blocks
    }

    /// The extent holding logical cluster `cpos`, or else the first extent after
    /// it (`None` past the last one).
    pub fn locate(&self, cpos: u64) -> std::result::Result<&Extent, Option<&Extent>> {
        let i = self.extents.partition_point(|e| u64::from(e.cpos) <= cpos);
        match i.checked_sub(1).map(|p| &self.extents[p]) {
            Some(e) if cpos < u64::from(e.cpos) + u64::from(e.clusters) => Ok(e),
            _ => Err(self.extents.get(i)),
        }
    }

    /// Maps logical block `lblk` to its physical block (the volume supplies the
    /// block and cluster sizes).
    pub fn map(&self, vol: &Volume, lblk: u64) -> Mapping {
        let geo = vol.geometry();
        let shift = geo.cluster_bits - geo.block_bits;
        match self.locate(lblk >> shift) {
            Ok(e) => Mapping::Block { blkno: e.blkno + (lblk - (u64::from(e.cpos) << shift)), flags: e.flags },
            Err(_) => Mapping::Hole,
        }
    }
}

/// Where an inode's extent list lives, as errors name it.
const DINODE_LIST: &str = "ocfs2_dinode.id2.i_list";

/// One walk of an extent tree: the one visitor every tree walk goes through
/// (file reads, `stat`, `check`, the maps), building an [`ExtentMap`].
struct Walk<'a> {
    vol: &'a Volume,
    map: ExtentMap,
    /// Extent blocks already reached: a second arrival is a cycle.
    seen: HashSet<u64>,
    /// `Some` for a partial walk: a bad record's error is kept here and the walk goes on.
    skipped: Option<Vec<Error>>,
    visit: &'a mut dyn FnMut(u64, &ExtentBlockView<'_>),
}

impl<'a> Walk<'a> {
    fn new(vol: &'a Volume, partial: bool, visit: &'a mut dyn FnMut(u64, &ExtentBlockView<'_>)) -> Self {
        Walk { vol, map: ExtentMap::default(), seen: HashSet::new(), skipped: partial.then(Vec::new), visit }
    }

    /// Walks the tree under `list` (in block `blkno`): the map, and the errors a
    /// partial walk skipped.
    fn run(mut self, list: ExtentListView<'_>, blkno: u64, structure: &'static str) -> Result<(ExtentMap, Vec<Error>)> {
        self.list(list, blkno, structure, 0, true)?;
        Ok((self.map, self.skipped.unwrap_or_default()))
    }

    /// Walks `list` and its subtrees. `start` is the lower bound fsck.ocfs2 puts on
    /// the list's first record (its `PR_EXTENT_OVERLAP` check): no record can
    /// start before the clusters of every record to its left in the tree, counted
    /// at each level (an interior record counts its `e_int_clusters`). `shown`:
    /// whether the visitor sees the blocks below.
    fn list(
        &mut self,
        list: ExtentListView<'_>,
        blkno: u64,
        structure: &'static str,
        start: u64,
        shown: bool,
    ) -> Result<()> {
        let mut offset = start;
        let last = list.recs.len().saturating_sub(1);
        for (i, rec) in list.recs.iter().enumerate() {
            let empty_tail = i == last && list.depth() > 0 && rec.int_clusters() == 0;
            let r = self.record(rec, list.depth(), blkno, structure, &mut offset, shown && !empty_tail);
            match (r, self.skipped.as_mut()) {
                (Ok(()), _) => {}
                (Err(e), Some(errors)) => errors.push(e),
                (Err(e), None) => return Err(e),
            }
        }
        Ok(())
    }

    /// One record of a list at `depth` (see [`Walk::list`]); advances `offset`
    /// past it.
    fn record(
        &mut self,
        rec: &ExtentRec,
        depth: u16,
        blkno: u64,
        structure: &'static str,
        offset: &mut u64,
        shown: bool,
    ) -> Result<()> {
        let vol = self.vol;
        let at = *offset;
        if depth == 0 {
            let clusters = rec.leaf_clusters();
            if clusters == 0 {
                return Ok(()); // the kernel may leave an empty leftmost record
            }
            *offset += u64::from(clusters);
            let e = Extent { cpos: rec.e_cpos.get(), clusters, blkno: rec.e_blkno.get(), flags: rec.e_flags };
            let end_blk = vol.geometry().cluster_to_block(u64::from(clusters)).saturating_add(e.blkno);
            // Blocks 0 and 1 come before the superblock: no extent starts
            // there. An extent that starts inside the volume but runs past its
            // end has too many clusters, not a bad start.
            let starts_inside = e.blkno >= SUPERBLOCK_BLKNO && e.blkno < vol.geometry().blocks;
            if !starts_inside || end_blk > vol.geometry().blocks {
                return Err(Error::corrupt(
                    blkno,
                    structure,
                    if starts_inside { "e_leaf_clusters" } else { "e_blkno" },
                    format!("an extent inside the volume ({} blocks)", vol.geometry().blocks),
                    format!("{} + {clusters} clusters", e.blkno),
                ));
            }
            let prev_end = self.map.extents.last().map_or(0, |p| u64::from(p.cpos) + u64::from(p.clusters));
            let min = prev_end.max(at);
            if u64::from(e.cpos) < min {
                return Err(Error::corrupt(blkno, structure, "e_cpos", format!(">= {min}"), e.cpos));
            }
            self.map.extents.push(e);
            return Ok(());
        }
        // An interior record must not start inside the records to its left
        // (an empty one, left by the kernel in the leftmost or a failed
        // rightmost slot, bounds nothing).
        let clusters = rec.int_clusters();
        *offset += u64::from(clusters);
        if clusters != 0 && u64::from(rec.e_cpos.get()) < at {
            return Err(Error::corrupt(blkno, structure, "e_cpos", format!(">= {at}"), rec.e_cpos.get()));
        }
        let child = vol.check_ref(blkno, structure, "e_blkno", rec.e_blkno.get())?;
        if !self.seen.insert(child) {
            return Err(Error::cycle(blkno, structure, "e_blkno", "a block not yet in the tree", child));
        }
        let block = vol.read_meta(child, MetaKind::EXTENT_BLOCK)?;
        self.map.extent_blocks.push(child);
        let view = ExtentBlockView::parse(&block, child)?;
        if shown {
            (self.visit)(child, &view);
        }
        let sub = view.list;
        if sub.depth() == 0 {
            self.map.leaves.push((child, view.header.h_next_leaf_blk.get()));
        }
        if sub.depth() + 1 != depth {
            return Err(Error::corrupt(child, "ocfs2_extent_block.h_list", "l_tree_depth", depth - 1, sub.depth()));
        }
        self.list(sub, child, "ocfs2_extent_block.h_list", at, shown)
    }
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixture E-extents (its trees: fixtures/README.md).
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fs::lookup;

    /// The visitor sees every extent block once, depth first (never more than
    /// one level down from the block before), in the order the map records them.
    #[test]
    fn visitor_sees_each_extent_block_depth_first() {
        let v = crate::test_util::fixture("E-extents");
        for (path, depth, blocks) in [("/frag/d1", 1, 11), ("/frag/d2", 2, 3 + 72), ("/frag/d3", 3, 1 + 21 + 572)] {
            let ino = v.inode(lookup(v, path).unwrap()).unwrap();
            let mut seen = Vec::new();
            let (map, errors) =
                ExtentMap::load_visiting(v, &ino, &mut |b, view| seen.push((b, view.list.depth()))).unwrap();
            assert!(errors.is_empty(), "{path}: {errors:?}");
            assert_eq!(seen.len(), blocks, "{path}");
            assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), map.extent_blocks(), "{path}");
            assert_eq!(seen[0].1, depth - 1, "{path}: the first block is under the inode");
            assert!(seen.windows(2).all(|w| w[1].1 + 1 >= w[0].1), "{path}: depth first");
            assert_eq!(map.extents().len(), ExtentMap::load(v, &ino).unwrap().extents().len(), "{path}");
        }
    }
}
