//! `stat` and `stat_sysdir`: an inode with what its `id2` holds (extents, chains
//! and their groups, local alloc, truncate log, inline data, fast symlink).

use ocfs2_format::cluster::SlotMap;
use ocfs2_format::{Inode, Volume};
use serde::Serialize;

use super::common::inode::{inode_report, render_inode, InodeReport};
use super::common::{damage, listing, superblock};
use super::{resolve, CmdError};
use crate::render::{table, Out};

/// `stat SPEC`; `traverse` (debugfs `-t`, the default) walks chains and extent
/// blocks, without it (`-T`) only the inode is shown.
pub fn run(vol: &Volume, out: &Out, spec: &str, traverse: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    // Stays on the raw inode: `stat` prints the on-disk record and what its id2
    // holds (chains, extent blocks, local alloc, truncate log), which the
    // facade's `Metadata` deliberately hides. Shown despite a failed checksum,
    // block number or generation, as debugfs.ocfs2 does.
    let (inode, faults) = vol.inode_unchecked(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let mut r = inode_report(vol, &inode, traverse)?;
    r.damage = damage::of(&faults);
    out.emit(&r, render_inode)
}

/// An occupied slot of the slot map.
#[derive(Debug, Serialize)]
struct SlotReport {
    /// The filesystem slot.
    slot: u16,
    /// The node holding it.
    node: u32,
}

/// The slot map as `stat_sysdir` shows it under `//slot_map`.
#[derive(Debug, Serialize)]
struct SlotMapReport {
    /// `normal` or `extended` (EXTENDED_SLOT_MAP).
    format: &'static str,
    /// The occupied slots only, in slot order.
    slots: Vec<SlotReport>,
}

#[derive(Debug, Serialize)]
struct SysdirEntry {
    /// The name in the system directory.
    name: String,
    /// `//` for the system directory itself (`.`), else `//NAME`.
    path: String,
    /// The inode as `stat` shows it (flattened into this object).
    #[serde(flatten)]
    inode: InodeReport,
    /// A directory's `ls -l` listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<Vec<listing::Entry>>,
    /// The decoded slot map (only on `slot_map`).
    #[serde(skip_serializing_if = "Option::is_none")]
    slot_map: Option<SlotMapReport>,
}

#[derive(Debug, Serialize)]
struct Sysdir {
    /// What `stats` reports: the superblock and its inode.
    superblock: superblock::Stats,
    /// Every entry of the system directory but `..`, in directory order.
    files: Vec<SysdirEntry>,
}

fn slot_map_report(vol: &Volume, inode: &Inode<'_>) -> Result<SlotMapReport, CmdError> {
    let map = SlotMap::of_inode(vol, inode).map_err(|e| CmdError::at("//slot_map".to_string(), e))?;
    Ok(SlotMapReport {
        format: map.format.name(),
        slots: map.used().map(|(slot, node)| SlotReport { slot, node: node.get() }).collect(),
    })
}

pub fn run_sysdir(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let mut files = Vec::new();
    for e in vol.read_dir_ino(vol.system_dir_blkno())?.dot_entries(true) {
        let e = e?;
        if e.name() == b".." {
            continue; // debugfs.ocfs2 skips it: it is the system directory again
        }
        let name = String::from_utf8_lossy(e.name()).into_owned();
        let path = if name == "." { "//".to_string() } else { format!("//{name}") };
        // The raw inode record, as `stat` shows it: the facade's Metadata
        // deliberately leaves out what id2 holds (chains, local alloc, ...).
        let inode = vol.inode(e.ino()).map_err(|err| CmdError::at(path.clone(), err))?;
        let entries = if inode.header().is_dir() { Some(listing::entries(vol, e.ino(), true, &path)?) } else { None };
        let slot_map = if name == "slot_map" { Some(slot_map_report(vol, &inode)?) } else { None };
        files.push(SysdirEntry { inode: inode_report(vol, &inode, true)?, name, path, entries, slot_map });
    }
    let all = Sysdir { superblock: superblock::report(vol)?, files };
    out.emit(&all, |all| {
        let mut s = format!("superblock:\n{}", superblock::render(&all.superblock));
        for f in &all.files {
            s.push_str(&format!("\n{}:\n{}", f.path, render_inode(&f.inode)));
            if let Some(entries) = &f.entries {
                s.push_str(&listing::render_long(entries));
            }
            if let Some(m) = &f.slot_map {
                let rows = m.slots.iter().map(|x| vec![x.slot.to_string(), x.node.to_string()]).collect();
                s.push_str(&format!("Slot map ({}):\n", m.format));
                s.push_str(&table(&["Slot#", "Node#"], rows, &[0, 1]));
            }
        }
        s
    })
}
