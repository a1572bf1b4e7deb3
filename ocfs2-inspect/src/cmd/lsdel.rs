//! `lsdel`: inodes deleted but still readable in their blocks, and orphans
//! (unlinked while open), found by scanning the inode allocators.
//!
//! On `forensics::deleted_inodes`, not the facade's `Volume::deleted_inodes`:
//! `lsdel` lists every freed inode the allocators still hold, system ones
//! (allocators, local alloc, truncate log of a removed slot) included, which the
//! facade leaves out as not files.

use ocfs2_format::forensics::deleted_inodes;
use ocfs2_format::layout::dinode::flags;
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::{mode_string, table, time, Out};

/// `lsdel --json`.
#[derive(Debug, Serialize)]
struct Lsdel {
    /// Freed inodes still readable and orphans, in block order.
    inodes: Vec<Deleted>,
    /// How many of them are orphans.
    orphans: usize,
}

/// Not the library's `DeletedInode`: `blkno` as `inode`, `flags` as `state`, `mode_string` added between its fields.
#[derive(Debug, Serialize)]
struct Deleted {
    /// The inode (block number).
    inode: u64,
    /// `orphan` (ORPHANED, still allocated) or `deleted` (freed).
    state: &'static str,
    /// Its bit in the inode allocator is set.
    allocated: bool,
    /// `i_mode`: type and permission bits.
    mode: u16,
    /// The mode as `ls -l` prints it.
    mode_string: String,
    /// Owner user id.
    uid: u32,
    /// `i_size` in bytes.
    size: u64,
    /// `i_links_count`.
    links: u32,
    /// `i_clusters`: clusters still mapped.
    clusters: u32,
    /// `i_dtime`: deletion time, seconds since the epoch (0: not set).
    dtime: u64,
}

pub fn run(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let inodes: Vec<Deleted> = deleted_inodes(vol)?
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
    let orphans = inodes.iter().filter(|d| d.state == "orphan").count();
    out.emit(&Lsdel { inodes, orphans }, |r| {
        let rows = r
            .inodes
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
        let mut t =
            table(&["Inode", "State", "Mode", "UID", "Size", "Clusters", "Links", "Deleted"], rows, &[0, 3, 4, 5, 6]);
        t.push_str(&format!(
            "{} inodes: {} orphans, {} deleted (freed, still readable)\n",
            r.inodes.len(),
            r.orphans,
            r.inodes.len() - r.orphans
        ));
        t
    })
}
