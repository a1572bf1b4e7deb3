//! fsck's quota rebuild, read-only: each id's usage as the quota files hold it
//! (the global entry plus the changes still pending in the slots' local files)
//! against a recount from the inodes (made by the inode pass with the same
//! rules as [`crate::fs::recount_usage`]). fsck.ocfs2 rewrites the files from its
//! recount without reporting a difference, so a difference is a note here.

use std::collections::BTreeMap;

use super::{Corruption, Ctx, Severity};
use crate::error::Result;
use crate::fs::{quota_enabled, read_quotas};
use crate::layout::quota::QuotaType;

/// Ids whose usage differs, reported before the rest are only counted.
const MAX_NOTES: usize = 100;

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    // Counted by the inode pass, from the inodes it read anyway.
    let Some(usage) = cx.quota_usage.take() else { return Ok(()) };
    for (qtype, counted) in QuotaType::ALL.into_iter().zip(&usage).filter(|(q, _)| quota_enabled(vol, *q)) {
        let what = format!("{qtype:?} quota files").to_lowercase();
        let set = match read_quotas(vol, qtype) {
            Ok(s) => s,
            Err(e) => {
                cx.report(e, vol.system_dir_blkno(), &what)?;
                continue;
            }
        };
        // id -> (recorded bytes, recorded inodes, counted bytes, counted inodes)
        let mut ids: BTreeMap<u32, (i128, i128, u64, u64)> = BTreeMap::new();
        for u in set.usage() {
            ids.insert(u.id, (u.space(), u.inodes(), 0, 0));
        }
        for (&id, &(bytes, inodes)) in counted {
            let e = ids.entry(id).or_insert((0, 0, 0, 0));
            (e.2, e.3) = (bytes, inodes);
        }
        let differing = ids.iter().filter(|(_, u)| u.0 != i128::from(u.2) || u.1 != i128::from(u.3)).take(MAX_NOTES);
        for (&id, &(space, inodes, want_space, want_inodes)) in differing {
            let at = Corruption {
                blkno: set.global.inode,
                structure: "ocfs2_global_disk_dqblk",
                field: if space != i128::from(want_space) { "dqb_curspace" } else { "dqb_curinodes" },
                expected: format!("{want_space} bytes, {want_inodes} inodes").into(),
                actual: format!("{space} bytes, {inodes} inodes").into(),
                kind: Default::default(),
            };
            // mkfs.ocfs2 counts id 0's usage before it makes lost+found.
            let why = if id == 0 && space == i128::from(want_space) && inodes + 1 == i128::from(want_inodes) {
                "one inode short, as mkfs.ocfs2 leaves lost+found uncharged"
            } else {
                "fsck.ocfs2 rebuilds it"
            };
            let msg = format!("{what} id {id}: recorded usage differs from the inodes' ({why})");
            cx.push(None, Severity::Info, at, msg);
        }
    }
    Ok(())
}
