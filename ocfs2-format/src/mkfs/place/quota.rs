//! The quota system files mkfs.ocfs2 makes with usrquota or grpquota.

use super::bitmap::ClusterBitmap;
use super::journals::extend;
use super::InodeRec;
use crate::error::{Error, InvalidKind, Result};
use crate::layout::quota::{tree_depth, QuotaType};
use crate::layout::system_file::{SystemFile, SystemFileKind};
use crate::mkfs::plan::Plan;

/// The contents mkfs.ocfs2 gives a quota system file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaFile {
    /// A global file (`aquota.user`, `aquota.group`): header and info, then a
    /// quota tree holding one entry, id 0, with the usage mkfs.ocfs2 counted.
    Global {
        /// User or group.
        ty: QuotaType,
        /// Blocks in the file (`dqi_blocks`).
        blocks: u32,
        /// Inodes id 0 owns (mkfs.ocfs2 counts before it makes lost+found).
        inodes: u64,
        /// Bytes id 0 owns.
        space: u64,
    },
    /// A per-slot local file: header and info, then an empty first chunk.
    Local {
        /// User or group.
        ty: QuotaType,
    },
}

/// libocfs2's quota formatting as mkfs.ocfs2 drives it: for users, then groups,
/// the global file gets two blocks and each slot's local file two blocks; then
/// (usage counted over the inodes that exist so far: only the root directory)
/// each global file grows one block per tree level and one data block, a
/// cluster at a time when full.
pub(super) fn quota_files(bm: &mut ClusterBitmap, inodes: &mut [InodeRec], root: &InodeRec, plan: &Plan) -> Result<()> {
    let bbits = plan.geometry.block_bits;
    let bpc = plan.geometry.blocks_per_cluster() as u32; // at most 2048
    let init_clusters = (2u64 << bbits).div_ceil(u64::from(plan.geometry.cluster_size)) as u32;
    let kinds = |ty: QuotaType| match ty {
        QuotaType::User => (SystemFileKind::UserQuota, SystemFileKind::LocalUserQuota),
        QuotaType::Group => (SystemFileKind::GroupQuota, SystemFileKind::LocalGroupQuota),
    };
    let types: Vec<QuotaType> =
        QuotaType::ALL.into_iter().filter(|t| plan.features.ro_compat & t.feature() != 0).collect();
    let pos = |inodes: &[InodeRec], kind: SystemFileKind, slot: u16| {
        let name = SystemFile::slot(kind, slot).name();
        inodes
            .iter()
            .position(|i| i.kind == Some(kind) && i.name == name)
            .ok_or_else(|| Error::invalid(InvalidKind::Internal, format!("no {name}")))
    };
    for &ty in &types {
        let (global, local) = kinds(ty);
        let g = pos(inodes, global, 0)?;
        extend(bm, &mut inodes[g], init_clusters, plan)?;
        inodes[g].size = 2 << bbits;
        for slot in 0..plan.slots {
            let l = pos(inodes, local, slot)?;
            extend(bm, &mut inodes[l], init_clusters, plan)?;
            inodes[l].size = 2 << bbits;
            inodes[l].quota = Some(QuotaFile::Local { ty });
        }
    }
    let space = u64::from(root.clusters) << plan.geometry.cluster_bits;
    for &ty in &types {
        let g = pos(inodes, kinds(ty).0, 0)?;
        let mut blocks = 2u32;
        for _ in 0..tree_depth(plan.geometry.block_size as usize) {
            if blocks == inodes[g].clusters * bpc {
                extend(bm, &mut inodes[g], 1, plan)?;
            }
            blocks += 1;
        }
        inodes[g].size = u64::from(blocks) << bbits;
        inodes[g].quota = Some(QuotaFile::Global { ty, blocks, inodes: 1, space });
    }
    Ok(())
}
