//! The read-only checker: what `fsck.ocfs2 -n` finds on the metadata it covers,
//! without stopping at the first problem.
//!
//! One pass per file, run in fsck's order:
//!
//! 1. `superblock`: the backups agree with the primary.
//! 2. `slots`: journals (dirty, `s_errno`), local-alloc windows, truncate logs.
//! 3. `chains` (fsck pass 0): every chain allocator, its chains and groups.
//! 4. `inodes` (fsck pass 1): every inode the inode allocators hold, every bit
//!    of the extent allocators, extent trees, the clusters each inode owns.
//! 5. `refcount` (end of pass 1): refcount records against the refcounted
//!    extents of the files sharing each tree.
//! 6. `clusters` (end of pass 1): the global bitmap against the union of
//!    every owner's clusters, and clusters owned twice.
//! 7. `dirs` (fsck passes 2-4): directory entries, `..`, connectivity, link
//!    counts, orphans.
//! 8. `quota`: each id's recorded usage against a recount from the inodes (a
//!    note: fsck.ocfs2 rebuilds the files silently).
//!
//! Each finding names the block, the structure and the field, what was expected
//! and what was found, and carries fsck.ocfs2's problem code where one exists
//! (`fsck.ocfs2.checks(8)`). Memory stays bounded by the metadata, not the volume
//! size: clusters are tracked as sorted runs, groups are streamed.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::ControlFlow;

use crate::error::{Corruption, CorruptionKind, Error, Result, Value};
use crate::progress::{OnProgress, Task};
use crate::volume::Volume;

mod chains;
mod clusters;
mod dirs;
mod inodes;
mod per_slot;
mod quota;
mod refcount;
mod superblock;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A state worth knowing that fsck does not treat as an error (a dirty
    /// journal awaiting recovery, an orphan awaiting deletion).
    Info,
    /// An inconsistency fsck.ocfs2 would offer to fix.
    Error,
}

impl Severity {
    /// `info` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Error => "error",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// fsck.ocfs2's problem code (`GROUP_FREE_BITS`, ...), where one exists.
    pub code: Option<&'static str>,
    /// fsck.ocfs2's other codes for the same cause: the prompts it prints
    /// after the first is answered "no" (`EB_GEN_FIX` after `EB_GEN`), or its
    /// name for a cause `code` names more precisely (`INODE_ALLOC_REPAIR` for an
    /// inode of another volume's generation, which `fsck -n` treats as unused).
    pub also: Vec<&'static str>,
    /// How bad it is.
    pub severity: Severity,
    /// Where: block, structure, field, expected and found values.
    pub at: Corruption,
    /// What is wrong, in words.
    pub message: String,
}

impl Finding {
    /// A readable name: fsck.ocfs2's code, else `structure.field`.
    pub fn name(&self) -> String {
        match self.code {
            Some(c) => c.to_string(),
            None => format!("{}.{}", self.at.structure, self.at.field),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.code {
            write!(f, "[{c}] ")?;
        }
        for c in &self.also {
            write!(f, "[{c}] ")?;
        }
        write!(
            f,
            "block {}: {}.{}: {} (expected {}, found {})",
            self.at.blkno, self.at.structure, self.at.field, self.message, self.at.expected, self.at.actual
        )
    }
}

/// A pass of the checker, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pass {
    /// Superblock and backups.
    Superblock,
    /// Journals, local allocs, truncate logs.
    Slots,
    /// Chain allocators.
    Chains,
    /// Inodes and extent blocks.
    Inodes,
    /// Global bitmap against cluster owners.
    Clusters,
    /// Directories, connectivity, link counts.
    Directories,
}

impl Pass {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Pass::Superblock => "superblock",
            Pass::Slots => "slots",
            Pass::Chains => "allocator chains",
            Pass::Inodes => "inodes",
            Pass::Clusters => "cluster bitmap",
            Pass::Directories => "directories",
        }
    }
}

/// Progress of a check: `done` of `total` units of `pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The pass running.
    pub pass: Pass,
    /// Units done.
    pub done: u64,
    /// Units in the pass (an estimate for inodes: the allocators' used bits).
    pub total: u64,
}

/// Counts of what the check looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Counts {
    /// Group descriptors walked.
    pub groups: u64,
    /// Valid inodes checked.
    pub inodes: u64,
    /// Extent blocks met in extent trees.
    pub extent_blocks: u64,
    /// Directories whose entries were checked.
    pub directories: u64,
    /// Directory entries checked.
    pub entries: u64,
    /// Cluster runs owned by something.
    pub cluster_runs: u64,
}

/// The outcome of a check: its findings and what it looked at. (A "report" is
/// what a command prints; the inspector's `check` renders this into one.)
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Findings, in the order found (at most [`MAX_PER_CODE`] per problem code).
    pub findings: Vec<Finding>,
    /// Findings per name (the fsck code, else the structure and field), most
    /// frequent first, including those left out of `findings`.
    pub by_code: Vec<CodeCount>,
    /// What was looked at.
    pub counts: Counts,
    dropped_errors: u64,
}

impl Outcome {
    /// Findings of severity [`Severity::Error`], counting those left out.
    pub fn errors(&self) -> u64 {
        self.total_by(Severity::Error)
    }

    fn total_by(&self, s: Severity) -> u64 {
        let listed = self.findings.iter().filter(|f| f.severity == s).count() as u64;
        listed + if s == Severity::Error { self.dropped_errors } else { 0 }
    }

    /// Whether the volume is clean (no errors; infos allowed).
    pub fn is_clean(&self) -> bool {
        self.errors() == 0
    }
}

/// How many findings share a name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CodeCount {
    /// fsck.ocfs2's problem code, where one exists.
    pub code: Option<&'static str>,
    /// The code, else `structure.field` (see [`Finding::name`]).
    pub name: String,
    /// Findings of that name.
    pub count: u64,
}

/// Findings kept per problem code; later ones are only counted.
pub const MAX_PER_CODE: u64 = 1000;

/// Checks `vol`, calling `progress` as the passes advance. Fails only on an
/// operational error (the medium cannot be read); problems with the volume are
/// findings in the report.
pub fn check(vol: &Volume, progress: &mut dyn FnMut(Progress)) -> Result<Outcome> {
    check_with(vol, &mut |p: crate::progress::Progress| {
        if let Task::Check(pass) = p.task {
            progress(Progress { pass, done: p.done, total: p.total.unwrap_or(0) });
        }
        ControlFlow::Continue(())
    })
}

/// [`check`] with the crate's one progress callback ([`crate::progress`]):
/// [`Task::Check`] with the pass, which may cancel ([`Error::Cancelled`],
/// within one group or directory of where it was asked).
pub fn check_with(vol: &Volume, on: &mut OnProgress<'_>) -> Result<Outcome> {
    let mut cx = Ctx::new(vol, on);
    superblock::run(&mut cx)?;
    system_dir(&mut cx)?;
    per_slot::run(&mut cx)?;
    chains::run(&mut cx)?;
    inodes::run(&mut cx)?;
    refcount::run(&mut cx);
    clusters::run(&mut cx)?;
    dirs::run(&mut cx)?;
    quota::run(&mut cx)?;
    // A bit the ECC repairs is no error to fsck.ocfs2 (libocfs2 repairs it in
    // memory and says nothing); a note still shows the damaged block.
    for c in vol.ecc_corrections() {
        cx.push(
            None,
            Severity::Info,
            Corruption {
                blkno: c.blkno,
                structure: "ocfs2_block_check",
                field: "bc_crc32e",
                expected: "a matching crc32e".into(),
                actual: format!("data bit {} flipped (corrected in memory by the ECC)", c.bit).into(),
                kind: Default::default(),
            },
            "metadata ECC corrected a single-bit error",
        );
    }
    Ok(cx.finish())
}

/// Every system file is looked up through the system directory: damage there
/// is reported first, as the system directory's, so that the lookups failing
/// on it later (the same block and field) add nothing under a file's name.
fn system_dir(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let (vol, sysdir) = (cx.vol, cx.vol.system_dir_blkno());
    match vol.inode(sysdir).and_then(|ino| crate::fs::read_dir(vol, &ino)) {
        Ok(_) => Ok(()),
        Err(e) => cx.report(e, sysdir, "system directory"),
    }
}

/// Who owns a run of clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The clusters before the first global-bitmap group descriptor.
    SuperblockArea,
    /// A backup superblock.
    BackupSuperblock(u64),
    /// A global-bitmap group descriptor (its block).
    BitmapGroup(u64),
    /// A suballocator group (its descriptor's block).
    SubGroup(u64),
    /// An inode's data or tree (the inode).
    Inode(u64),
    /// A slot's local-alloc window (the local_alloc inode).
    LocalAlloc(u64),
    /// A truncate-log record (the truncate_log inode).
    TruncateLog(u64),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::SuperblockArea => write!(f, "the superblock area"),
            Owner::BackupSuperblock(b) => write!(f, "backup superblock {b}"),
            Owner::BitmapGroup(b) => write!(f, "global bitmap group {b}"),
            Owner::SubGroup(b) => write!(f, "suballocator group {b}"),
            Owner::Inode(i) => write!(f, "inode {i}"),
            Owner::LocalAlloc(i) => write!(f, "the local alloc window of inode {i}"),
            Owner::TruncateLog(i) => write!(f, "truncate log {i}"),
        }
    }
}

/// A run of clusters claimed by an owner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim {
    pub start: u64,
    pub len: u64,
    pub owner: Owner,
    /// A refcounted extent: may be shared with other refcounted extents.
    pub shared: bool,
}

/// A suballocator group found in pass 0, for pass 1.
#[derive(Debug, Clone)]
pub(crate) struct SubGroup {
    pub blkno: u64,
    /// The allocator's slot (`0xffff`: global).
    pub slot: u16,
    /// Inode allocator (else extent allocator).
    pub inodes: bool,
    /// The allocator inode.
    pub alloc: u64,
}

/// A global-bitmap group found in pass 0, for the cluster pass.
#[derive(Debug, Clone)]
pub(crate) struct BitmapGroup {
    /// Its first cluster.
    pub first: u64,
    /// The descriptor block.
    pub blkno: u64,
    /// `bg_bits`.
    pub bits: u64,
    /// Its bitmap's runs of set bits (`layout::group::set_runs`), or `None` when
    /// it has too many to keep and the cluster pass reads it again.
    pub set: Option<Box<[(u32, u32)]>>,
}

/// Facts about one valid inode kept for the directory passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InodeFacts {
    pub mode: u16,
    /// `i_clusters`: what an orphan still holds.
    pub clusters: u32,
    pub links: u32,
    pub flags: u32,
    /// References from directory entries (outside orphan directories).
    pub refs: u32,
    /// Referenced from an orphan directory.
    pub orphan_entry: bool,
}

/// State shared by the passes.
pub(crate) struct Ctx<'v, 'p> {
    pub vol: &'v Volume,
    progress: &'p mut OnProgress<'p>,
    findings: Vec<Finding>,
    /// Per code, or per structure and field for findings without one.
    per_code: HashMap<(Option<&'static str>, &'static str, &'static str), u64>,
    /// The findings listed, so that a block two passes read (an xattr block is
    /// met through its inode and its allocator bit) is reported once.
    listed: HashSet<Corruption>,
    dropped_errors: u64,
    pub counts: Counts,
    /// Cluster runs and their owners.
    pub claims: Vec<Claim>,
    /// Global-bitmap groups met on the chain walk.
    pub bitmap_groups: Vec<BitmapGroup>,
    /// Suballocator groups.
    pub sub_groups: Vec<SubGroup>,
    /// Group descriptors seen on any chain.
    pub groups_seen: HashSet<u64>,
    /// Valid inodes.
    pub inodes: HashMap<u64, InodeFacts>,
    /// Blocks behind in-use inode-allocator bits that hold no valid inode:
    /// fsck.ocfs2 counts the entries naming one against a link count of 0.
    pub invalid_inodes: HashSet<u64>,
    /// Directories to check, in inode order.
    pub dirs: Vec<u64>,
    /// Metadata blocks referenced by trees (extent blocks, xattr blocks, dx
    /// roots, refcount roots) and who references them.
    pub meta_refs: HashMap<u64, u64>,
    /// Blocks whose extent-allocator bit is set, with the group and bit of
    /// those that hold a valid metadata block.
    pub meta_in_use: HashMap<u64, Option<(u64, u64)>>,
    /// Refcount trees met, by root block.
    pub refcount_trees: HashMap<u64, refcount::TreeFacts>,
    /// The refcount tree of each inode with HAS_REFCOUNT.
    pub refcount_of: HashMap<u64, u64>,
    /// Quota usage recounted from the inodes, user then group, `id -> (bytes,
    /// inodes)`; `None` on a volume without quotas.
    pub quota_usage: Option<[std::collections::BTreeMap<u32, (u64, u64)>; 2]>,
    /// Refcounted extents: (owner inode, first cluster, clusters).
    pub refcounted: Vec<(u64, u64, u64)>,
}

impl<'v, 'p> Ctx<'v, 'p> {
    fn new(vol: &'v Volume, progress: &'p mut OnProgress<'p>) -> Self {
        Ctx {
            vol,
            progress,
            findings: Vec::new(),
            per_code: HashMap::new(),
            listed: HashSet::new(),
            dropped_errors: 0,
            counts: Counts::default(),
            claims: Vec::new(),
            bitmap_groups: Vec::new(),
            sub_groups: Vec::new(),
            groups_seen: HashSet::new(),
            inodes: HashMap::new(),
            invalid_inodes: HashSet::new(),
            dirs: Vec::new(),
            meta_refs: HashMap::new(),
            meta_in_use: HashMap::new(),
            refcount_trees: HashMap::new(),
            refcount_of: HashMap::new(),
            refcounted: Vec::new(),
            quota_usage: crate::layout::quota::QuotaType::ALL
                .iter()
                .any(|&q| crate::quota::quota_enabled(vol, q))
                .then(Default::default),
        }
    }

    /// Reports progress; [`Error::Cancelled`] when the callback asks to stop.
    pub fn progress(&mut self, pass: Pass, done: u64, total: u64) -> Result<()> {
        crate::progress::report(self.progress, Task::Check(pass), done, Some(total))
    }

    /// Records a finding.
    pub fn push(&mut self, code: Option<&'static str>, severity: Severity, at: Corruption, message: impl Into<String>) {
        self.push_also(code, &[], severity, at, message);
    }

    /// Records a finding that fsck.ocfs2 also names `also` (besides the
    /// follow-ups it always prints after `code`, see `follow_ups`).
    pub fn push_also(
        &mut self,
        code: Option<&'static str>,
        also: &[&'static str],
        severity: Severity,
        at: Corruption,
        message: impl Into<String>,
    ) {
        if self.listed.contains(&at) {
            return;
        }
        let key = if code.is_some() { (code, "", "") } else { (None, at.structure, at.field) };
        let n = self.per_code.entry(key).or_insert(0);
        *n += 1;
        if *n > MAX_PER_CODE {
            if severity == Severity::Error {
                self.dropped_errors += 1;
            }
            return;
        }
        self.listed.insert(at.clone());
        let mut codes: Vec<&'static str> = Vec::new();
        for &c in also.iter().chain(code.map_or(&[][..], follow_ups)) {
            if Some(c) != code && !codes.contains(&c) {
                codes.push(c);
            }
        }
        self.findings.push(Finding { code, also: codes, severity, at, message: message.into() });
    }

    /// Records an error finding at `blkno`.
    #[allow(clippy::too_many_arguments)]
    pub fn error(
        &mut self,
        code: Option<&'static str>,
        blkno: u64,
        structure: &'static str,
        field: &'static str,
        expected: impl Into<Value>,
        actual: impl Into<Value>,
        message: impl Into<String>,
    ) {
        let at = Corruption {
            blkno,
            structure,
            field,
            expected: expected.into(),
            actual: actual.into(),
            kind: Default::default(),
        };
        self.push(code, Severity::Error, at, message);
    }

    /// Turns a library error met while checking `blkno` (`what` it was) into a
    /// finding; only I/O failures stop the check.
    pub fn report(&mut self, e: Error, blkno: u64, what: &str) -> Result<()> {
        self.report_also(e, blkno, what, &[])
    }

    /// [`Ctx::report`] for a corruption that fsck.ocfs2 also names `also`.
    pub fn report_also(&mut self, e: Error, blkno: u64, what: &str, also: &[&'static str]) -> Result<()> {
        match e {
            Error::Io { .. } | Error::Open { .. } => Err(e),
            Error::Corrupt(c) => {
                let code = code_of(&c);
                self.push_also(code, also, Severity::Error, *c, format!("{what}: invalid"));
                Ok(())
            }
            other => {
                let at = Corruption {
                    blkno,
                    structure: "metadata",
                    field: unreadable_kind(&other),
                    expected: "readable metadata".into(),
                    actual: other.to_string().into(),
                    kind: Default::default(),
                };
                self.push(None, Severity::Error, at, format!("{what}: unreadable"));
                Ok(())
            }
        }
    }

    fn finish(self) -> Outcome {
        let mut by_code: Vec<CodeCount> = self
            .per_code
            .into_iter()
            .map(|((code, structure, field), count)| CodeCount {
                code,
                name: code.map_or_else(|| format!("{structure}.{field}"), str::to_string),
                count,
            })
            .collect();
        by_code.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        Outcome { findings: self.findings, by_code, counts: self.counts, dropped_errors: self.dropped_errors }
    }
}

/// The field of a finding about metadata that could not be read: what kind of
/// failure it was (the error itself is the finding's `found`).
pub(crate) fn unreadable_kind(e: &Error) -> &'static str {
    match e {
        Error::Corrupt(_) => "corrupt",
        Error::Unsupported { .. } => "unsupported",
        Error::NotOcfs2 => "not_ocfs2",
        Error::NotFound(_) => "not_found",
        Error::Invalid { .. } => "invalid",
        Error::Truncated { .. } => "truncated",
        _ => "unreadable",
    }
}

/// The prompts fsck.ocfs2 -n always prints after `code`'s for the same cause:
/// answered "no", the first offers a repair and the next another (update the
/// generation instead of dropping the block), or fsck.ocfs2 concludes about the
/// whole structure (a local alloc with any of these errors: mark it unused).
fn follow_ups(code: &'static str) -> &'static [&'static str] {
    match code {
        "EB_GEN" => &["EB_GEN_FIX"],
        "RB_GEN" => &["RB_GEN_FIX"],
        // Its chain walk checks the generation of each group it links to,
        // then the group itself does.
        "GROUP_GEN" => &["CHAIN_LINK_GEN"],
        // Without -g fsck.ocfs2 skips an inode of another generation as
        // unused, and so finds its allocator bit wrongly set.
        "INODE_GEN" => &["INODE_ALLOC_REPAIR"],
        // fsck.ocfs2 then walks the chain from that head and finds the same
        // link out of range at depth 0.
        "CHAIN_HEAD_LINK_RANGE" => &["CHAIN_LINK_RANGE"],
        "LALLOC_SIZE" | "LALLOC_BM_OVERRUN" | "LALLOC_BM_SIZE" | "LALLOC_BM_STRADDLE" | "LALLOC_USED_OVERRUN" => {
            &["LALLOC_CLEAR"]
        }
        _ => &[],
    }
}

/// fsck.ocfs2's problem code for a corruption the library reported, by the
/// structure and field it names.
pub fn code_of(c: &Corruption) -> Option<&'static str> {
    let s = c.structure;
    Some(match (s, c.field) {
        (_, "bc_crc32e") => "BAD_CRC32",
        ("ocfs2_group_desc", "blkno") => "GROUP_BLKNO",
        ("ocfs2_group_desc", "fs_generation") => "GROUP_GEN",
        ("ocfs2_group_desc", "signature") => "CHAIN_LINK_MAGIC",
        ("ocfs2_group_desc", "bg_parent_dinode") => "GROUP_PARENT",
        ("ocfs2_group_desc", "bg_chain") => "GROUP_CHAIN",
        ("ocfs2_group_desc", "bg_free_bits_count") => "GROUP_FREE_BITS",
        ("ocfs2_group_desc", "bg_size" | "bg_bits") => "CHAIN_GROUP_BITS",
        ("ocfs2_group_desc" | "ocfs2_chain_rec", "bg_next_group" | "c_blkno") if c.kind == CorruptionKind::Cycle => {
            "GROUP_CHAIN_LOOP"
        }
        ("ocfs2_group_desc", "bg_next_group") => "CHAIN_LINK_RANGE",
        ("ocfs2_chain_rec", "c_blkno") => "CHAIN_HEAD_LINK_RANGE",
        ("ocfs2_group_desc.bg_list", "l_tree_depth") => "DISCONTIG_BG_DEPTH",
        ("ocfs2_group_desc.bg_list", "l_count") => "DISCONTIG_BG_COUNT",
        ("ocfs2_group_desc.bg_list", "l_next_free_rec") => "DISCONTIG_BG_NEXT_FREE_REC",
        ("ocfs2_group_desc.bg_list", "e_blkno") => "DISCONTIG_BG_REC_RANGE",
        ("ocfs2_group_desc.bg_list", "e_leaf_clusters") => match c.kind {
            CorruptionKind::Excess => "DISCONTIG_BG_CLUSTERS",
            CorruptionKind::Shortfall => "DISCONTIG_BG_LESS_CLUSTERS",
            _ => "DISCONTIG_BG_LEAF_CLUSTERS",
        },
        ("ocfs2_group_desc.bg_list", "l_recs") => "DISCONTIG_BG_CORRUPT_LEAVES",
        ("ocfs2_dinode.id2.i_chain", "cl_count") => "CHAIN_COUNT",
        ("ocfs2_dinode.id2.i_chain", "cl_next_free_rec") => "CHAIN_NEXT_FREE",
        ("ocfs2_extent_block", "signature") => "EXTENT_EB_INVALID",
        ("ocfs2_extent_block", "blkno") => "EB_BLKNO",
        ("ocfs2_extent_block", "fs_generation") => "EB_GEN",
        (_, "l_tree_depth") => "EXTENT_LIST_DEPTH",
        (_, "l_count") => "EXTENT_LIST_COUNT",
        (_, "l_next_free_rec") => "EXTENT_LIST_FREE",
        (_, "e_cpos") => "EXTENT_OVERLAP",
        (_, "e_blkno") if c.kind == CorruptionKind::Cycle => "EXTENT_EB_INVALID",
        (_, "e_blkno") => "EXTENT_BLKNO_RANGE",
        (_, "e_leaf_clusters") => "EXTENT_CLUSTERS_OVERRUN",
        ("ocfs2_dinode", "blkno") => "INODE_BLKNO",
        ("ocfs2_dinode", "fs_generation") => "INODE_GEN",
        ("ocfs2_dinode", "id_count") => "INLINE_DATA_COUNT_INVALID",
        ("ocfs2_dinode", "la_size") => "LALLOC_SIZE",
        ("ocfs2_dinode.id2.i_dealloc", "tl_count") => "DEALLOC_COUNT",
        ("ocfs2_dinode.id2.i_dealloc", "tl_used") => "DEALLOC_USED",
        ("ocfs2_dir_entry", _) => "DIRENT_LENGTH",
        ("ocfs2_dir_block_trailer", "blkno") => "DIR_TRAILER_BLKNO",
        ("ocfs2_dx_root_block", _) => "IV_DX_TREE",
        ("ocfs2_xattr_block", "signature" | "blkno" | "fs_generation") => "XATTR_BLOCK_INVALID",
        ("ocfs2_refcount_block", "signature") => "REFCOUNT_BLOCK_INVALID",
        ("ocfs2_refcount_block", "blkno") => "RB_BLKNO",
        ("ocfs2_refcount_block", "fs_generation") => "RB_GEN",
        ("ocfs2_refcount_block.rf_records", "rl_count") => "REFCOUNT_LIST_COUNT",
        ("ocfs2_refcount_block.rf_records", "rl_used") => "REFCOUNT_LIST_USED",
        // The blocks of a global quota file whose trailer does not match.
        ("ocfs2_global_disk_dqinfo", "dq_check") => "QMAGIC_INVALID",
        ("quota tree block", "dq_check") => "QTREE_BLK_INVALID",
        ("qt_disk_dqdbheader", "dq_check") => "DQBLK_INVALID",
        // A second entry for an id in a block whose check passed.
        ("ocfs2_global_disk_dqblk", "dqb_id") if c.kind == CorruptionKind::Duplicate => "DUP_DQBLK_VALID",
        // Only a local alloc bounds its bit count by the bitmap it holds.
        ("ocfs2_dinode", "id1.bitmap1.i_total") => "LALLOC_BM_SIZE",
        _ => return None,
    })
}
