//! `quota IMAGE [user|group]`: usage, limits and grace per id from the global
//! quota files, with changes still pending in the slots' local files; with
//! `--recount`, the usage recounted from the inodes beside it.

use ocfs2_format::fs::{quota_enabled, read_quotas, recount_usage, QuotaSet};
use ocfs2_format::layout::quota::{GlobalDiskDqBlk, QuotaType};
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::{exact, table, time, Out};

/// `quota --json`.
#[derive(Debug, Serialize)]
struct Quotas {
    /// One report per kind asked for (both kinds the volume keeps when none is
    /// given), user before group.
    quotas: Vec<TypeReport>,
}

#[derive(Debug, Serialize)]
pub struct IdReport {
    /// The user or group id.
    pub id: u32,
    /// Bytes used (global entry plus pending local changes).
    pub space: i128,
    /// Inodes used (global entry plus pending local changes).
    pub inodes: i128,
    /// Soft space limit in bytes; "0" means none. A decimal string (any
    /// 64-bit value can be set).
    #[serde(serialize_with = "exact")]
    pub space_soft: u64,
    /// Hard space limit in bytes, as `space_soft`.
    #[serde(serialize_with = "exact")]
    pub space_hard: u64,
    /// Soft inode limit, as `space_soft`.
    #[serde(serialize_with = "exact")]
    pub inode_soft: u64,
    /// Hard inode limit, as `space_soft`.
    #[serde(serialize_with = "exact")]
    pub inode_hard: u64,
    /// When the soft space limit's grace ends (seconds since the epoch), 0 if
    /// not over it.
    pub space_grace_end: u64,
    /// When the soft inode limit's grace ends, as `space_grace_end`.
    pub inode_grace_end: u64,
    /// `dqb_use_count`: nodes holding a reference.
    pub use_count: u32,
    /// Bytes changed in local files (not yet in the global file).
    pub pending_space: i64,
    /// Inodes changed in local files (not yet in the global file).
    pub pending_inodes: i64,
    /// With `--recount`: bytes recounted from the inodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recount_space: Option<u64>,
    /// With `--recount`: inodes recounted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recount_inodes: Option<u64>,
}

/// One slot's local quota file.
#[derive(Debug, Serialize)]
pub struct LocalReport {
    /// The node slot.
    pub slot: u16,
    /// The local file's inode (`aquota.user:NNNN`).
    pub inode: u64,
    /// `dqi_flags`.
    pub flags: u32,
    /// The clean flag is set (no node has the file in use).
    pub clean: bool,
    /// `dqi_chunks`: chunks of entries.
    pub chunks: u32,
    /// `dqi_blocks`: blocks in the file.
    pub blocks: u32,
    /// Entries with changes pending.
    pub entries: usize,
}

/// One quota kind of the volume.
#[derive(Debug, Serialize)]
pub struct TypeReport {
    /// `user` or `group`.
    pub kind: &'static str,
    /// The global quota file's inode (`aquota.user`, `aquota.group`).
    pub global_inode: u64,
    /// Grace period for space, in seconds.
    pub space_grace: u32,
    /// Grace period for inodes, in seconds.
    pub inode_grace: u32,
    /// `dqi_syncms`: how often nodes sync local changes, in milliseconds.
    pub sync_ms: u32,
    /// `dqi_blocks`: blocks in the global file.
    pub blocks: u32,
    /// `dqi_free_blk`: first block on the free-block list.
    pub free_block: u32,
    /// `dqi_free_entry`: first block with free entries.
    pub free_entry: u32,
    /// Levels of the v2 quota tree.
    pub tree_depth: u32,
    /// Tree blocks read.
    pub tree_blocks: usize,
    /// Data (entry) blocks read.
    pub data_blocks: usize,
    /// Each slot's local file.
    pub locals: Vec<LocalReport>,
    /// Every id with an entry or pending changes, in id order.
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
    out.emit(&Quotas { quotas: reports }, |rs| {
        let mut s = String::new();
        for r in &rs.quotas {
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
