//! `lsdel`: inodes deleted but still readable in their blocks, and orphans
//! (unlinked while open), found by scanning the inode allocators.

use ocfs2_format::fs::deleted_inodes;
use ocfs2_format::layout::dinode::flags;
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::{mode_string, table, time, Out};

#[derive(Debug, Serialize)]
struct Deleted {
    inode: u64,
    /// `orphan` (ORPHANED, still allocated) or `deleted` (freed).
    state: &'static str,
    allocated: bool,
    mode: u16,
    mode_string: String,
    uid: u32,
    size: u64,
    links: u32,
    clusters: u32,
    dtime: u64,
}

pub fn run(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let r: Vec<Deleted> = deleted_inodes(vol)?
        .into_iter()
        .map(|d| Deleted {
            inode: d.blkno,
            state: if d.flags & flags::ORPHANED != 0 { "orphan" } else { "deleted" },
            allocated: d.allocated,
            mode: d.mode,
            mode_string: mode_string(d.mode),
            uid: d.uid,
            size: d.size,
            links: d.links,
            clusters: d.clusters,
            dtime: d.dtime,
        })
        .collect();
    out.emit(&r, |r| {
        let rows = r
            .iter()
            .map(|d| {
                vec![
                    d.inode.to_string(),
                    d.state.to_string(),
                    d.mode_string.clone(),
                    d.uid.to_string(),
                    d.size.to_string(),
                    d.clusters.to_string(),
                    d.links.to_string(),
                    if d.dtime == 0 { "-".to_string() } else { time(d.dtime, 0) },
                ]
            })
            .collect();
        let orphans = r.iter().filter(|d| d.state == "orphan").count();
        let mut t =
            table(&["Inode", "State", "Mode", "UID", "Size", "Clusters", "Links", "Deleted"], rows, &[0, 3, 4, 5, 6]);
        t.push_str(&format!(
            "{} inodes: {orphans} orphans, {} deleted (freed, still readable)\n",
            r.len(),
            r.len() - orphans
        ));
        t
    })
}
