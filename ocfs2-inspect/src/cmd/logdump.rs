//! `logdump SLOT`: a slot's journal, in replay order (default) or as a linear scan
//! of every block (`--raw`, like debugfs.ocfs2).

use ocfs2_format::journal::{BlockKind, Journal, LogEnd, ScanEntry};
use ocfs2_format::layout::jbd2::{incompat, tag_flags, Tag};
use ocfs2_format::{SystemFile, Volume};
use serde::Serialize;

use super::{bit_names, CmdError};
use crate::render::{fields, table, time, Out};

#[derive(Debug, Serialize)]
struct JournalSb {
    /// `s_blocksize`.
    block_size: u32,
    /// `s_maxlen`: blocks in the log.
    total_blocks: u32,
    /// `s_first`: the first log block.
    first_block: u32,
    /// `s_sequence`: the first transaction expected.
    first_commit_id: u32,
    /// `s_start`: where replay starts (0: nothing to replay).
    start_log_blknum: u32,
    /// `s_errno`.
    errno: i32,
    /// `s_feature_compat`.
    feature_compat: u32,
    /// `s_feature_incompat`.
    feature_incompat: u32,
    /// Its bits by name (`revoke`, `64bit`, `async_commit`, ...).
    feature_incompat_names: Vec<String>,
    /// `s_feature_ro_compat`.
    feature_ro_compat: u32,
    /// `s_uuid`, 32 hex digits.
    uuid: String,
    /// `s_nr_users`.
    nr_users: u32,
    /// `s_dynsuper`.
    dynsuper: u32,
    /// `s_max_transaction`.
    max_transaction: u32,
    /// `s_max_trans_data`.
    max_trans_data: u32,
}

#[derive(Debug, Serialize)]
struct TagReport {
    /// The home block the logged copy belongs to.
    blocknr: u64,
    /// The tag's flags.
    flags: u32,
    /// Its flags by name (`escaped`, `same_uuid`, `deleted`, `last_tag`).
    flag_names: Vec<String>,
    /// The tag's UUID, when it carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Kind {
    /// The JBD2 superblock.
    Superblock,
    /// A descriptor block.
    Descriptor {
        /// Its transaction.
        sequence: u32,
        /// The tags of the copies after it.
        tags: Vec<TagReport>,
    },
    /// A commit block.
    Commit {
        /// Its transaction.
        sequence: u32,
        /// The commit time, seconds since the epoch.
        commit_sec: u64,
        /// Its nanoseconds.
        commit_nsec: u32,
    },
    /// A revoke block.
    Revoke {
        /// Its transaction.
        sequence: u32,
        /// The blocks it revokes.
        revoked: Vec<u64>,
    },
    /// A JBD2 header with a block type no kernel defines.
    UnknownJbd2 {
        /// `h_blocktype`.
        block_type: u32,
        /// `h_sequence`.
        sequence: u32,
    },
    /// A logged copy of a metadata block.
    Metadata {
        /// Which structure, by its signature.
        structure: &'static str,
    },
    /// Anything else (data, or a stale block).
    Data,
}

#[derive(Debug, Serialize)]
struct RawEntry {
    /// First log block of the run.
    first: u32,
    /// Log blocks in the run.
    count: u32,
    /// What the blocks are, by `kind` (flattened into this object).
    #[serde(flatten)]
    kind: Kind,
}

#[derive(Debug, Serialize)]
struct TxReport {
    /// The transaction's sequence number.
    sequence: u32,
    /// Its descriptor's log block.
    start: u32,
    /// (log block, tag).
    blocks: Vec<(u32, TagReport)>,
    /// Blocks its revoke records name.
    revokes: Vec<u64>,
    /// A commit block ends it.
    committed: bool,
    /// The commit time, seconds since the epoch (null: none).
    commit_sec: Option<u64>,
    /// Its nanoseconds.
    commit_nsec: Option<u32>,
}

#[derive(Debug, Serialize)]
struct Report {
    /// The node slot.
    slot: u16,
    /// The journal inode.
    inode: u64,
    /// The inode's DIRTY flag: the journal needs recovery.
    dirty: bool,
    /// `ij_recovery_generation`.
    recovery_generation: u32,
    /// The JBD2 superblock.
    superblock: JournalSb,
    /// With `--raw`: every block of the log, classified, as runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Vec<RawEntry>>,
    /// Without `--raw`: the transactions from `s_start` in replay order.
    #[serde(skip_serializing_if = "Option::is_none")]
    transactions: Option<Vec<TxReport>>,
    /// Without `--raw`: why the walk stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_end: Option<String>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn tag(t: &Tag) -> TagReport {
    TagReport {
        blocknr: t.blocknr,
        flags: t.flags,
        flag_names: bit_names(t.flags, tag_flags::NAMES),
        uuid: t.uuid.map(|u| hex(&u)),
    }
}

fn raw_entry(e: &ScanEntry) -> RawEntry {
    let kind = match &e.kind {
        BlockKind::Superblock => Kind::Superblock,
        BlockKind::Descriptor { sequence, tags } => {
            Kind::Descriptor { sequence: *sequence, tags: tags.iter().map(tag).collect() }
        }
        BlockKind::Commit { sequence, sec, nsec } => {
            Kind::Commit { sequence: *sequence, commit_sec: *sec, commit_nsec: *nsec }
        }
        BlockKind::Revoke { sequence, blocks } => Kind::Revoke { sequence: *sequence, revoked: blocks.clone() },
        BlockKind::UnknownJbd2 { block_type, sequence } => {
            Kind::UnknownJbd2 { block_type: *block_type, sequence: *sequence }
        }
        BlockKind::Metadata(s) => Kind::Metadata { structure: s },
        BlockKind::Data => Kind::Data,
    };
    RawEntry { first: e.first, count: e.count, kind }
}

fn end_text(e: &LogEnd, dirty: bool) -> String {
    match e {
        // Mounted, or stopped without unmounting, after the last checkpoint.
        LogEnd::Clean if dirty => "the log is empty (s_start 0), but the slot was not unmounted cleanly: recovery \
                                   has nothing to replay; it recovers the slot's orphans, local alloc and truncate \
                                   log, then clears the dirty flag"
            .into(),
        LogEnd::Clean => "clean: s_start is 0, nothing to replay".into(),
        LogEnd::NoMagic { block } => format!("log ends at block {block} (no JBD2 block there)"),
        LogEnd::Sequence { block, expected, found } => {
            format!("log ends at block {block} (sequence {found}, expected {expected})")
        }
        LogEnd::Wrapped => "the walk covered the whole log".into(),
    }
}

pub fn run(vol: &Volume, out: &Out, slot: u16, raw: bool) -> Result<(), CmdError> {
    let j = Journal::open(vol, slot).map_err(|e| CmdError::at(SystemFile::journal(slot).name(), e))?;
    let sb = j.superblock();
    let jsb = JournalSb {
        block_size: sb.s_blocksize.get(),
        total_blocks: sb.s_maxlen.get(),
        first_block: sb.s_first.get(),
        first_commit_id: sb.s_sequence.get(),
        start_log_blknum: sb.s_start.get(),
        errno: sb.s_errno.get() as i32,
        feature_compat: sb.s_feature_compat.get(),
        feature_incompat: sb.s_feature_incompat.get(),
        feature_incompat_names: bit_names(sb.s_feature_incompat.get(), incompat::NAMES),
        feature_ro_compat: sb.s_feature_ro_compat.get(),
        uuid: hex(&sb.s_uuid),
        nr_users: sb.s_nr_users.get(),
        dynsuper: sb.s_dynsuper.get(),
        max_transaction: sb.s_max_transaction.get(),
        max_trans_data: sb.s_max_trans_data.get(),
    };
    let mut report = Report {
        slot,
        inode: j.inode(),
        dirty: j.dirty(),
        recovery_generation: j.recovery_generation(),
        superblock: jsb,
        raw: None,
        transactions: None,
        log_end: None,
    };
    if raw {
        report.raw = Some(j.scan()?.iter().map(raw_entry).collect());
    } else {
        let r = j.replay()?;
        report.transactions = Some(
            r.transactions
                .iter()
                .map(|t| TxReport {
                    sequence: t.sequence,
                    start: t.start,
                    blocks: t.blocks.iter().map(|(b, t)| (*b, tag(t))).collect(),
                    revokes: t.revokes.clone(),
                    committed: t.commit.is_some(),
                    commit_sec: t.commit.map(|c| c.0),
                    commit_nsec: t.commit.map(|c| c.1),
                })
                .collect(),
        );
        report.log_end = Some(end_text(&r.end, j.dirty()));
    }
    out.emit(&report, render)
}

fn render(r: &Report) -> String {
    let s = &r.superblock;
    let mut text = fields(vec![
        (
            "Journal",
            format!(
                "{} (inode {})   OCFS2 state: {}",
                SystemFile::journal(r.slot),
                r.inode,
                if r.dirty { "Dirty (needs recovery)" } else { "clean" }
            ),
        ),
        ("Recovery Generation", r.recovery_generation.to_string()),
        ("Blocksize", format!("{}   Total Blocks: {}   First Block: {}", s.block_size, s.total_blocks, s.first_block)),
        ("First Commit ID", format!("{}   Start Log Blknum: {}", s.first_commit_id, s.start_log_blknum)),
        ("Error", s.errno.to_string()),
        (
            "Features",
            format!(
                "compat {:#x}   incompat {:#x} {}   ro_compat {:#x}",
                s.feature_compat,
                s.feature_incompat,
                s.feature_incompat_names.join(" "),
                s.feature_ro_compat
            ),
        ),
        ("Journal UUID", s.uuid.clone()),
        ("FS Share Cnt", format!("{}   Dynamic Superblk Blknum: {}", s.nr_users, s.dynsuper)),
    ]);
    if let Some(raw) = &r.raw {
        let mut rows = Vec::new();
        for e in raw {
            let blocks =
                if e.count == 1 { e.first.to_string() } else { format!("{}-{}", e.first, e.first + e.count - 1) };
            let (what, detail) = match &e.kind {
                Kind::Superblock => ("JBD2 superblock".to_string(), String::new()),
                Kind::Descriptor { sequence, tags } => {
                    (format!("descriptor seq {sequence}"), format!("{} tags", tags.len()))
                }
                Kind::Commit { sequence, commit_sec, commit_nsec } => {
                    (format!("commit seq {sequence}"), time(*commit_sec, *commit_nsec))
                }
                Kind::Revoke { sequence, revoked } => (format!("revoke seq {sequence}"), format!("{revoked:?}")),
                Kind::UnknownJbd2 { block_type, sequence } => {
                    (format!("JBD2 type {block_type} seq {sequence}"), String::new())
                }
                Kind::Metadata { structure } => (structure.to_string(), String::new()),
                Kind::Data => ("data".to_string(), String::new()),
            };
            rows.push(vec![blocks, what, detail]);
            if let Kind::Descriptor { tags, .. } = &e.kind {
                for (i, t) in tags.iter().enumerate() {
                    rows.push(vec![
                        String::new(),
                        format!("  tag {i}"),
                        format!("fs block {} {}", t.blocknr, t.flag_names.join(" ")),
                    ]);
                }
            }
        }
        text.push_str(&table(&["Block", "Kind", "Detail"], rows, &[]));
    }
    if let Some(txs) = &r.transactions {
        for t in txs {
            text.push_str(&format!(
                "\nTransaction {} from log block {}: {} blocks, {} revoked, {}\n",
                t.sequence,
                t.start,
                t.blocks.len(),
                t.revokes.len(),
                match (t.commit_sec, t.commit_nsec) {
                    (Some(s), Some(ns)) => format!("committed {}", time(s, ns)),
                    _ => "NOT committed".into(),
                }
            ));
            let rows = t
                .blocks
                .iter()
                .map(|(lb, tag)| vec![lb.to_string(), tag.blocknr.to_string(), tag.flag_names.join(" ")])
                .collect();
            text.push_str(&table(&["Log block", "FS block", "Flags"], rows, &[0, 1]));
        }
        if let Some(e) = &r.log_end {
            text.push_str(&format!("\n{e}\n"));
        }
    }
    text
}
