//! `frag SPEC`: how fragmented a file is (debugfs.ocfs2 `frag`): extents per
//! cluster, and the score debugfs derives from it.
//!
//! On the extent map, not the facade's `File::runs`: debugfs counts the leaf
//! records as stored (empty ones too), which the runs merge away.

use ocfs2_format::fs::ExtentMap;
use ocfs2_format::layout::dinode::{dyn_features, Id2};
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

#[derive(Debug, Serialize)]
struct Frag {
    /// The file's inode.
    inode: u64,
    /// `i_clusters`.
    clusters: u32,
    /// Leaf extent records (empty records included, but for a trailing one).
    extents: u32,
    /// `100 * extents / clusters` (0 for fewer than two clusters).
    percent_fragmented: f32,
    /// The percentage scaled by the clusters in 1 MiB, as debugfs prints it.
    score: f32,
}

pub fn run(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let at = |e| CmdError::at(spec.to_string(), e);
    let blkno = resolve(vol, spec)?;
    let inode = vol.inode(blkno).map_err(at)?;
    let h = inode.header();
    let clusters = h.i_clusters.get();
    let extents =
        if h.has_dyn(dyn_features::INLINE_DATA) || !matches!(inode.dinode().id2().map_err(at)?, Id2::Extents(_)) {
            0
        } else {
            ExtentMap::load(vol, &inode).map_err(at)?.extents().len() as u32
        };
    // debugfs computes in single precision; so do we, to print the same digits.
    let percent = if clusters > 1 && extents > 0 { 100.0 * (extents as f32 / clusters as f32) } else { 0.0 };
    let per_mib = ((1u64 << 20) >> vol.geometry().cluster_bits).max(1) as f32;
    let r = Frag { inode: blkno, clusters, extents, percent_fragmented: percent, score: percent * per_mib };
    out.emit(&r, |r| {
        format!(
            "Inode: {}\t% fragmented: {:.2}\tclusters: {}\textents: {}\tscore: {:.0}\n",
            r.inode, r.percent_fragmented, r.clusters, r.extents, r.score
        )
    })
}
