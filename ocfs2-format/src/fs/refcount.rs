//! Refcount trees: reading the records that count how many files share each
//! physical cluster, and the count behind each refcounted extent of a file.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::dinode::dyn_features;
use crate::layout::refcount::{RefcountBlock, RefcountBlockView, RefcountBody, RefcountRec};
use crate::volume::{Inode, MetaKind, Volume};

use super::extent_map::{Extent, ExtentMap};

/// One refcount block as read, with its records (none for a tree root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefcountBlockInfo {
    /// The block.
    pub blkno: u64,
    /// Its header.
    pub header: RefcountBlock,
    /// `rl_count`, `rl_used` of a record block (`None` for a tree root).
    pub list: Option<(u16, u16)>,
    /// The records.
    pub recs: Vec<RefcountRec>,
    /// For a tree root: the leaf extents of its tree.
    pub tree: Vec<Extent>,
}

/// A whole refcount tree: the root, then its leaves in tree order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefcountTree {
    /// The root first, then each leaf block (only the root when it holds records).
    pub blocks: Vec<RefcountBlockInfo>,
}

impl RefcountTree {
    /// Every record of the tree, by physical cluster.
    pub fn records(&self) -> Vec<RefcountRec> {
        let mut v: Vec<RefcountRec> = self.blocks.iter().flat_map(|b| b.recs.iter().copied()).collect();
        v.sort_by_key(|r| r.r_cpos.get());
        v
    }

    /// The sharing of physical clusters `start..start+len`: `(cluster, clusters,
    /// count)` runs; clusters no record covers have count 0.
    pub fn counts(&self, start: u64, len: u64) -> Vec<(u64, u64, u32)> {
        counts(&self.records(), start, len)
    }

    /// Each refcounted extent of a file's `map`, split by sharing count, in the
    /// file's logical order: the join of the file's extents with this tree's
    /// records (`refcount FILE`). Extents without the REFCOUNTED flag are the
    /// file's own and left out.
    pub fn shared_runs(&self, vol: &Volume, map: &ExtentMap) -> Vec<SharedRun> {
        let recs = self.records();
        let geo = vol.geometry();
        let mut out = Vec::new();
        for e in map.extents().iter().filter(|e| e.is_refcounted()) {
            let phys = geo.block_to_cluster(e.blkno);
            for (c, n, count) in counts(&recs, phys, u64::from(e.clusters)) {
                // c - phys < e.clusters, a u32.
                let cpos = e.cpos + (c - phys) as u32;
                out.push(SharedRun { cpos, clusters: n, phys_cluster: c, refcount: count });
            }
        }
        out
    }
}

/// A run of a file's clusters and how many files share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SharedRun {
    /// The file's first logical cluster of the run.
    pub cpos: u32,
    /// Clusters in the run.
    pub clusters: u64,
    /// Its first physical cluster.
    pub phys_cluster: u64,
    /// How many files share these clusters (0: no record, not shared).
    pub refcount: u32,
}

/// [`RefcountTree::counts`] over `recs`, sorted by physical cluster.
fn counts(recs: &[RefcountRec], start: u64, len: u64) -> Vec<(u64, u64, u32)> {
    let mut out = Vec::new();
    let end = start + len;
    let mut pos = start;
    for r in recs {
        let (rs, re) = (r.r_cpos.get(), r.r_cpos.get() + u64::from(r.r_clusters.get()));
        if re <= pos || rs >= end {
            continue;
        }
        if rs > pos {
            out.push((pos, rs - pos, 0));
            pos = rs;
        }
        let stop = re.min(end);
        out.push((pos, stop - pos, r.r_refcount.get()));
        pos = stop;
    }
    if pos < end {
        out.push((pos, end - pos, 0));
    }
    out
}

fn read_block(vol: &Volume, blkno: u64) -> Result<(RefcountBlockInfo, Option<ExtentMap>)> {
    let block = vol.read_meta(blkno, MetaKind::REFCOUNT_BLOCK)?;
    let v = RefcountBlockView::parse(&block, blkno)?;
    Ok(match v.body {
        RefcountBody::Records { list, recs } => (
            RefcountBlockInfo {
                blkno,
                header: *v.header,
                list: Some((list.rl_count.get(), list.rl_used.get())),
                recs: recs.to_vec(),
                tree: Vec::new(),
            },
            None,
        ),
        RefcountBody::Tree(list) => {
            let map = ExtentMap::load_list(vol, list, blkno, "ocfs2_refcount_block.rf_list")?;
            let info = RefcountBlockInfo {
                blkno,
                header: *v.header,
                list: None,
                recs: Vec::new(),
                tree: map.extents().to_vec(),
            };
            (info, Some(map))
        }
    })
}

/// Reads the refcount tree rooted at `root` (cycle-checked).
pub fn read_refcount_tree(vol: &Volume, root: u64) -> Result<RefcountTree> {
    let (info, map) = read_block(vol, root)?;
    let mut blocks = vec![info];
    if let Some(map) = map {
        let mut seen = HashSet::from([root]);
        for e in map.extents() {
            if !seen.insert(e.blkno) {
                return Err(Error::cycle(
                    root,
                    "ocfs2_refcount_block.rf_list",
                    "e_blkno",
                    "a block not yet in the tree",
                    e.blkno,
                ));
            }
            let (leaf, sub) = read_block(vol, e.blkno)?;
            if sub.is_some() {
                return Err(Error::corrupt(
                    e.blkno,
                    "ocfs2_refcount_block",
                    "rf_flags",
                    "a leaf (no TREE flag)",
                    leaf.header.rf_flags.get(),
                ));
            }
            blocks.push(leaf);
        }
    }
    Ok(RefcountTree { blocks })
}

/// The refcount tree of `inode`, `None` without HAS_REFCOUNT.
pub fn refcount_tree_of(vol: &Volume, inode: &Inode<'_>) -> Result<Option<RefcountTree>> {
    let h = inode.header();
    if !h.has_dyn(dyn_features::HAS_REFCOUNT) {
        return Ok(None);
    }
    let root = vol.check_ref(inode.blkno(), "ocfs2_dinode", "i_refcount_loc", h.i_refcount_loc.get())?;
    read_refcount_tree(vol, root).map(Some)
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixture A-default (reflinks in `data/`).
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fs::lookup;
    use crate::layout::extent::flags;

    #[test]
    fn reflinked_extents_are_counted() {
        let v = crate::test_util::fixture("A-default");
        let clone = v.inode(lookup(v, "/data/pat1m.clone").unwrap()).unwrap();
        let tree = refcount_tree_of(v, &clone).unwrap().unwrap();
        let map = ExtentMap::load(v, &clone).unwrap();
        let e = map.extents()[0];
        assert!(e.flags & flags::REFCOUNTED != 0);
        let c = v.geometry().block_to_cluster(e.blkno);
        assert_eq!(tree.counts(c, u64::from(e.clusters)), vec![(c, 256, 2)]);
        // pat20m.reflink: the copied-on-write head is private, the rest shared.
        let r = v.inode(lookup(v, "/data/pat20m.reflink").unwrap()).unwrap();
        let tree = refcount_tree_of(v, &r).unwrap().unwrap();
        let map = ExtentMap::load(v, &r).unwrap();
        let shared: Vec<_> = map.extents().iter().filter(|e| e.flags & flags::REFCOUNTED != 0).collect();
        assert_eq!(shared.len(), 1);
        let c = v.geometry().block_to_cluster(shared[0].blkno);
        assert_eq!(tree.counts(c, u64::from(shared[0].clusters)), vec![(c, 4864, 2)]);
        let runs = tree.shared_runs(v, &map);
        let want = SharedRun { cpos: shared[0].cpos, clusters: 4864, phys_cluster: c, refcount: 2 };
        assert_eq!(runs, vec![want], "only the shared extent, by the file's logical cluster");
        let plain = v.inode(lookup(v, "/small/hello.txt").unwrap()).unwrap();
        assert!(refcount_tree_of(v, &plain).unwrap().is_none());
    }
}
