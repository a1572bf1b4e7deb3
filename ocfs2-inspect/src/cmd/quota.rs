//! `quota IMAGE [user|group]`: usage, limits and grace per id from the global
//! quota files, with changes still pending in the slots' local files; with
//! `--recount`, the usage recounted from the inodes beside it.

use ocfs2_format::fs::{quota_enabled, read_quotas, recount_usage, QuotaSet};
use ocfs2_format::layout::quota::{GlobalDiskDqBlk, QuotaType};
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::{table, time, Out};

#[derive(Debug, Serialize)]
pub struct IdReport {
    pub id: u32,
    /// Bytes used (global entry plus pending local changes).
    pub space: i128,
    pub inodes: i128,
    /// Limits; 0 means none. Space limits are in bytes.
    pub space_soft: u64,
    pub space_hard: u64,
    pub inode_soft: u64,
    pub inode_hard: u64,
    /// When the soft limit's grace ends (seconds since the epoch), 0 if not over it.
    pub space_grace_end: u64,
    pub inode_grace_end: u64,
    /// `dqb_use_count`: nodes holding a reference.
    pub use_count: u32,
    /// Changes still in local files (not yet in the global file).
    pub pending_space: i64,
    pub pending_inodes: i64,
    /// With `--recount`: bytes and inodes recounted from the inodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recount_space: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recount_inodes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct LocalReport {
    pub slot: u16,
    pub inode: u64,
    pub flags: u32,
    pub clean: bool,
    pub chunks: u32,
    pub blocks: u32,
    pub entries: usize,
}

#[derive(Debug, Serialize)]
pub struct TypeReport {
    /// `user` or `group`.
    pub kind: &'static str,
    pub global_inode: u64,
    /// Grace periods in seconds.
    pub space_grace: u32,
    pub inode_grace: u32,
    pub sync_ms: u32,
    pub blocks: u32,
    pub free_block: u32,
    pub free_entry: u32,
    pub tree_depth: u32,
    pub tree_blocks: usize,
    pub data_blocks: usize,
    pub locals: Vec<LocalReport>,
    pub ids: Vec<IdReport>,
    /// Ids whose recount differs from the recorded usage (with `--recount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recount_mismatches: Option<Vec<u32>>,
}

fn report(vol: &Volume, set: &QuotaSet, recount: bool) -> Result<TypeReport, CmdError> {
    let g = &set.global;
    let counted = if recount { Some(recount_usage(vol, g.qtype)?) } else { None };
    let mut ids: Vec<IdReport> = set
        .usage()
        .iter()
        .map(|u| {
            let d = u.global.map_or_else(GlobalDiskDqBlk::unused, |d| d.disk);
            IdReport {
                id: u.id,
                space: u.space(),
                inodes: u.inodes(),
                space_soft: d.dqb_bsoftlimit.get(),
                space_hard: d.dqb_bhardlimit.get(),
                inode_soft: d.dqb_isoftlimit.get(),
                inode_hard: d.dqb_ihardlimit.get(),
                space_grace_end: d.dqb_btime.get(),
                inode_grace_end: d.dqb_itime.get(),
                use_count: d.dqb_use_count.get(),
                pending_space: u.pending_space,
                pending_inodes: u.pending_inodes,
                recount_space: None,
                recount_inodes: None,
            }
        })
        .collect();
    let mut mismatches = None;
    if let Some(c) = &counted {
        // Ids the inodes name that have no entry at all.
        let known: std::collections::HashSet<u32> = ids.iter().map(|r| r.id).collect();
        for &id in c.keys().filter(|id| !known.contains(id)) {
            ids.push(IdReport {
                id,
                space: 0,
                inodes: 0,
                space_soft: 0,
                space_hard: 0,
                inode_soft: 0,
                inode_hard: 0,
                space_grace_end: 0,
                inode_grace_end: 0,
                use_count: 0,
                pending_space: 0,
                pending_inodes: 0,
                recount_space: None,
                recount_inodes: None,
            });
        }
        ids.sort_by_key(|r| r.id);
        let mut m = Vec::new();
        for r in &mut ids {
            let (s, i) = c.get(&r.id).copied().unwrap_or_default();
            r.recount_space = Some(s);
            r.recount_inodes = Some(i);
            if i128::from(s) != r.space || i128::from(i) != r.inodes {
                m.push(r.id);
            }
        }
        mismatches = Some(m);
    }
    Ok(TypeReport {
        kind: g.qtype.name(),
        global_inode: g.inode,
        space_grace: g.info.dqi_bgrace.get(),
        inode_grace: g.info.dqi_igrace.get(),
        sync_ms: g.info.dqi_syncms.get(),
        blocks: g.info.dqi_blocks.get(),
        free_block: g.info.dqi_free_blk.get(),
        free_entry: g.info.dqi_free_entry.get(),
        tree_depth: g.depth,
        tree_blocks: g.tree_blocks.len(),
        data_blocks: g.data_blocks.len(),
        locals: set
            .locals
            .iter()
            .map(|l| LocalReport {
                slot: l.slot,
                inode: l.inode,
                flags: l.info.dqi_flags.get(),
                clean: l.is_clean(),
                chunks: l.info.dqi_chunks.get(),
                blocks: l.info.dqi_blocks.get(),
                entries: l.entries.len(),
            })
            .collect(),
        ids,
        recount_mismatches: mismatches,
    })
}

fn limit(v: u64) -> String {
    if v == 0 {
        "-".to_string()
    } else {
        v.to_string()
    }
}

fn grace(v: u64) -> String {
    if v == 0 {
        "-".to_string()
    } else {
        time(v, 0)
    }
}

pub fn run(vol: &Volume, out: &Out, kind: Option<QuotaType>, recount: bool) -> Result<(), CmdError> {
    let kinds: Vec<QuotaType> = match kind {
        Some(k) => vec![k],
        None => QuotaType::ALL.into_iter().filter(|&k| quota_enabled(vol, k)).collect(),
    };
    if kinds.is_empty() {
        return Err(CmdError::msg("the volume has neither the usrquota nor the grpquota feature".to_string()));
    }
    let mut reports = Vec::new();
    for k in kinds {
        let set = read_quotas(vol, k).map_err(|e| CmdError::at(format!("{} quota", k.name()), e))?;
        reports.push(report(vol, &set, recount)?);
    }
    out.emit(&reports, |rs| {
        let mut s = String::new();
        for r in rs {
            s.push_str(&format!(
                "{} quota: global inode {}, grace {} s space / {} s inodes, sync {} ms, tree depth {}, {} blocks\n",
                r.kind, r.global_inode, r.space_grace, r.inode_grace, r.sync_ms, r.tree_depth, r.blocks
            ));
            for l in &r.locals {
                s.push_str(&format!(
                    "  slot {}: inode {}, {}, {} chunk(s), {} pending entr{}\n",
                    l.slot,
                    l.inode,
                    if l.clean { "clean" } else { "in use" },
                    l.chunks,
                    l.entries,
                    if l.entries == 1 { "y" } else { "ies" }
                ));
            }
            let recount = r.recount_mismatches.is_some();
            let mut header = vec!["Id", "Space", "Soft", "Hard", "Grace", "Inodes", "Soft", "Hard", "Grace", "Pending"];
            if recount {
                header.extend(["Recount space", "Recount inodes"]);
            }
            let rows = r
                .ids
                .iter()
                .map(|i| {
                    let mut row = vec![
                        i.id.to_string(),
                        i.space.to_string(),
                        limit(i.space_soft),
                        limit(i.space_hard),
                        grace(i.space_grace_end),
                        i.inodes.to_string(),
                        limit(i.inode_soft),
                        limit(i.inode_hard),
                        grace(i.inode_grace_end),
                        if i.pending_space == 0 && i.pending_inodes == 0 {
                            "-".to_string()
                        } else {
                            format!("{:+} B {:+} inodes", i.pending_space, i.pending_inodes)
                        },
                    ];
                    if recount {
                        row.push(i.recount_space.map_or_else(String::new, |v| v.to_string()));
                        row.push(i.recount_inodes.map_or_else(String::new, |v| v.to_string()));
                    }
                    row
                })
                .collect();
            s.push_str(&table(&header, rows, &[0, 1, 2, 3, 5, 6, 7, 10, 11]));
            if let Some(m) = &r.recount_mismatches {
                if !m.is_empty() {
                    let ids: Vec<String> = m.iter().map(u32::to_string).collect();
                    s.push_str(&format!("recount differs for id(s) {}\n", ids.join(", ")));
                }
            }
            s.push('\n');
        }
        s
    })
}
