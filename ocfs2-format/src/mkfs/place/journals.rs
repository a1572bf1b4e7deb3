//! Files libocfs2 grows with `ocfs2_extend_allocation`: each slot's journal
//! first (then the slot map, the quota files and lost+found, through
//! [`extend`]).

use super::bitmap::ClusterBitmap;
use super::system::find;
use super::{Body, Extent, InodeRec};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::system_file::SystemFileKind;
use crate::mkfs::plan::Plan;

/// Each slot's journal, of the planned size.
pub(super) fn journals(bm: &mut ClusterBitmap, files: &mut [InodeRec], plan: &Plan) -> Result<()> {
    let jclusters = (plan.journal_size >> plan.geometry.cluster_bits) as u32;
    for slot in 0..plan.slots {
        let Some(i) = find(files, SystemFileKind::Journal, slot) else { continue };
        extend(bm, &mut files[i], jclusters, plan)?;
    }
    Ok(())
}

/// libocfs2's `ocfs2_extend_allocation`: `n` more clusters, one extent per run
/// the range allocator hands out.
pub(super) fn extend(bm: &mut ClusterBitmap, r: &mut InodeRec, mut n: u32, plan: &Plan) -> Result<()> {
    let Body::Extents(list) = &mut r.body else {
        return Err(Error::invalid(InvalidKind::Internal, "extending a file without an extent list"));
    };
    let cap = ((plan.geometry.block_size - 208) / 16) as usize;
    let mut cpos = r.clusters;
    while n > 0 {
        let (c, got) = bm.alloc_range(1, n)?;
        let blkno = plan.geometry.cluster_to_block(u64::from(c));
        match list.last_mut() {
            Some(e)
                if e.blkno + plan.geometry.cluster_to_block(u64::from(e.clusters)) == blkno
                    && e.clusters + got <= 0xffff =>
            {
                e.clusters += got
            }
            _ => {
                if list.len() == cap {
                    return Err(Error::Unsupported {
                        what: "mkfs: a system file needs an extent tree deeper than its inode",
                        bit: 0,
                    });
                }
                list.push(Extent { cpos, clusters: got, blkno });
            }
        }
        cpos += got;
        n -= got;
    }
    r.clusters = cpos;
    r.size = u64::from(cpos) << plan.geometry.cluster_bits;
    Ok(())
}
