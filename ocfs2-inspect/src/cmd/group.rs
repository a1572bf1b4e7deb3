//! `group` and `grpextents`: a group descriptor and the rest of its chain
//! (debugfs `group <N>`), and the free extents of one group (debugfs
//! `grpextents <N>`).

use ocfs2_format::alloc::{self, FreeRun};
use ocfs2_format::layout::group::GroupView;
use ocfs2_format::{MetaKind, Volume};
use serde::Serialize;

use super::common::inode::{group_report, render_groups, GroupReport};
use super::{parse_blkno, CmdError};
use crate::render::{table, Out};

#[derive(Debug, Serialize)]
struct GroupChain {
    /// The group asked for, then those after it through `bg_next_group`.
    groups: Vec<GroupReport>,
}

/// `group BLKNO`.
pub fn run_group(vol: &Volume, out: &Out, arg: &str) -> Result<(), CmdError> {
    let blkno = parse_blkno(vol, arg)?;
    let groups = alloc::group_chain_from(vol, blkno).map_err(|e| CmdError::at(arg.to_string(), e))?;
    let r = GroupChain { groups: groups.iter().map(group_report).collect() };
    out.emit(&r, |r| {
        let mut s = String::new();
        if let Some(g) = r.groups.first() {
            s.push_str(&format!(
                "Group Chain: {}   Parent Inode: {}   Generation: {}\n",
                g.chain, g.parent, g.generation
            ));
        }
        s.push_str(&render_groups(&r.groups));
        s
    })
}

#[derive(Debug, Serialize)]
struct Extent {
    /// First free bit of the run.
    start: u32,
    /// Bits in the run.
    length: u32,
}

#[derive(Debug, Serialize)]
struct GroupExtents {
    /// The group descriptor's block.
    group: u64,
    /// `bg_bits`: bits in the group.
    total: u16,
    /// Bits in use (`bg_bits - bg_free_bits_count`).
    used: i64,
    /// `bg_free_bits_count`.
    free: u16,
    /// Runs of free bits (clusters for the global bitmap, blocks for suballocators).
    extents: Vec<Extent>,
    /// Free runs.
    count: usize,
    /// The longest free run, in bits.
    longest: u32,
    /// Mean length of a free extent, rounded down as debugfs prints it.
    average: u64,
}

/// `grpextents BLKNO`.
pub fn run_grpextents(vol: &Volume, out: &Out, arg: &str) -> Result<(), CmdError> {
    let blkno = parse_blkno(vol, arg)?;
    let at = |e| CmdError::at(arg.to_string(), e);
    let block = vol.read_meta(blkno, MetaKind::GROUP).map_err(at)?;
    let g = GroupView::parse(&block, blkno).map_err(at)?;
    let runs: Vec<FreeRun> = alloc::free_runs(&g);
    let sum: u64 = runs.iter().map(|r| u64::from(r.len)).sum();
    let d = g.desc;
    let r = GroupExtents {
        group: blkno,
        total: d.bg_bits.get(),
        used: i64::from(d.bg_bits.get()) - i64::from(d.bg_free_bits_count.get()),
        free: d.bg_free_bits_count.get(),
        count: runs.len(),
        longest: runs.iter().map(|r| r.len).max().unwrap_or(0),
        average: sum.checked_div(runs.len() as u64).unwrap_or(0),
        extents: runs.iter().map(|r| Extent { start: r.start, length: r.len }).collect(),
    };
    out.emit(&r, |r| {
        let mut s = format!("Group# {}   Total: {}   Used: {}   Free: {}\n", r.group, r.total, r.used, r.free);
        let rows = r
            .extents
            .iter()
            .enumerate()
            .map(|(i, e)| vec![(i + 1).to_string(), e.start.to_string(), e.length.to_string()])
            .collect();
        s.push_str(&table(&["###", "Start", "Length"], rows, &[0, 1, 2]));
        s.push_str(&format!("Free Extent Count: {}   Longest: {}   Average: {}\n", r.count, r.longest, r.average));
        s
    })
}
