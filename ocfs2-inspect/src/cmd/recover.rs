//! `recover --dry-run`: what recovery of the dirty journals would do, without
//! doing it: per slot the committed transactions, the home blocks each would
//! overwrite (with the fields that change), the revoked blocks, and what OCFS2's
//! steps after the log would free or delete. Also the one stderr notice every
//! command gives on a volume whose journals hold transactions it does not show.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ocfs2_format::journal::recovery::{aftermath, pending, Aftermath, Orphan, Recovery};
use ocfs2_format::journal::replay::{unescape, LogReplay, ScanEnd};
use ocfs2_format::journal::{metadata_kind, Journal};
use ocfs2_format::layout::dir::DirEntries;
use ocfs2_format::layout::jbd2::tag_flags;
use ocfs2_format::{Inode, OpenOptions, Volume};
use serde::Serialize;
use serde_json::Value;

use super::common::inode::inode_report;
use super::CmdError;
use crate::render::{table, time, Out};

/// Journal recovery, shown and never done.
#[derive(Debug, clap::Subcommand)]
pub enum RecoverCommand {
    /// What journal recovery would write, per dirty slot: transactions, the home
    /// blocks each overwrites and the fields that change, revoked blocks, and
    /// what OCFS2 would free afterwards (local alloc, truncate log, orphans).
    /// Nothing is written: `--dry-run` is required to say so.
    Recover {
        /// Image or device.
        image: PathBuf,
        /// Show the plan (the only mode: the inspector never writes).
        #[arg(long, required = true)]
        dry_run: bool,
    },
}

/// Prints, once, what a command on this volume should know about its journals:
/// the replay's warnings when it was opened with `--replay`, otherwise a notice
/// when journals hold transactions the command does not show.
pub fn announce(vol: &Volume) {
    match vol.recovery() {
        Some(rec) => {
            for w in rec.warnings() {
                eprintln!("ocfs2-inspect: warning: journal replay: {w}");
            }
        }
        None => {
            let slots = pending(vol);
            if !slots.is_empty() {
                let list: Vec<String> = slots.iter().map(u16::to_string).collect();
                eprintln!(
                    "ocfs2-inspect: note: the journal of slot {} holds transactions not yet replayed; this shows the \
                     pre-recovery state (--replay shows the volume as recovery would leave it)",
                    list.join(", ")
                );
            }
        }
    }
}

#[derive(Debug, Serialize)]
struct Change {
    /// The field (an inode's, by `stat --json`'s name) or `entry` (a directory block's).
    field: String,
    /// Its value in the home block (for `entry`: null when added).
    before: Value,
    /// Its value in the logged copy (for `entry`: null when removed).
    after: Value,
}

/// Not the library's `LoggedBlock`: its target as `home`, its flags as
/// `escaped`, the outcome, kind and diff added.
#[derive(Debug, Serialize)]
struct BlockPlan {
    /// Where the copy sits in the log.
    log_block: u32,
    /// The block it overwrites.
    home: u64,
    /// The copy was escaped (its JBD2 magic restored on replay).
    escaped: bool,
    /// `written`, or `revoked` (by `revoked_by`).
    outcome: &'static str,
    /// The transaction whose revoke record cancels the copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_by: Option<u32>,
    /// The OCFS2 structure of the copy (`Inode`, `DirBlock`, ...), `None` for data.
    kind: Option<&'static str>,
    /// Whether the copy equals what the block holds before it is written.
    unchanged: bool,
    /// Inodes: the fields that change. Directory blocks: `entry` added/removed.
    changes: Vec<Change>,
    /// Byte ranges that change, for kinds without a field diff.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changed_bytes: Vec<(usize, usize)>,
}

/// Not the library's `TxReplay`: the commit time as two keys, the blocks as plans.
#[derive(Debug, Serialize)]
struct TxPlan {
    /// The transaction's sequence number.
    sequence: u32,
    /// Its descriptor's log block.
    start: u32,
    /// Its commit block's log block.
    commit_block: u32,
    /// Commit time, seconds since the epoch.
    commit_sec: u64,
    /// Its nanoseconds.
    commit_nsec: u32,
    /// Every logged copy, in log order.
    blocks: Vec<BlockPlan>,
    /// Blocks its revoke records name.
    revoke_records: Vec<u64>,
}

/// Not the library's `LogReplay`: the end as text, the next sequence and the
/// distinct blocks computed, each transaction with its diff.
#[derive(Debug, Serialize)]
struct LogPlan {
    /// `s_start`: the log block replay starts at.
    start: u32,
    /// The first transaction replayed.
    first_sequence: u32,
    /// The first transaction not replayed.
    end_sequence: u32,
    /// The transaction the kernel starts with after recovery (the end + 1).
    next_sequence: u32,
    /// Why the log ends there.
    end: String,
    /// Log blocks of an uncommitted last transaction (ignored).
    uncommitted_blocks: u32,
    /// The committed transactions, in replay order.
    transactions: Vec<TxPlan>,
    /// Distinct home blocks the replay writes.
    distinct_blocks: usize,
}

/// Not the library's `Aftermath`: the local alloc's window, use and freed runs
/// as three keys of their own.
#[derive(Debug, Serialize)]
struct AftermathReport {
    /// The local alloc window `[first cluster, clusters]` (null: none).
    local_alloc_window: Option<(u32, u32)>,
    /// Its bits in use.
    local_alloc_used: Option<u32>,
    /// Runs `(first cluster, clusters)` returned to the global bitmap.
    local_alloc_freed: Vec<(u64, u64)>,
    /// Truncate-log records `(first cluster, clusters)` to be freed.
    truncate_log: Vec<(u32, u32)>,
    /// Orphans to be deleted: the library's `Orphan`, `inode`, `name` (in the
    /// orphan directory), `size` (`i_size` in bytes), `clusters` (`i_clusters`).
    orphans: Vec<Orphan>,
    /// What could not be read for these steps.
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SlotPlan {
    /// The node slot.
    slot: u16,
    /// Its journal inode.
    journal_inode: u64,
    /// The journal's DIRTY flag.
    dirty: bool,
    /// What replaying its log writes (null: nothing to replay).
    replay: Option<LogPlan>,
    /// OCFS2's steps after the log (reported, never applied), read from the
    /// replayed view.
    after_replay: Option<AftermathReport>,
}

#[derive(Debug, Serialize)]
struct Plan {
    /// Every dirty slot, in slot order.
    slots: Vec<SlotPlan>,
    /// Where replay stopped early, and other warnings (as on stderr).
    warnings: Vec<String>,
}

/// Runs `recover --dry-run`.
pub fn run(cmd: RecoverCommand, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    let RecoverCommand::Recover { image, .. } = cmd;
    let at = |e| CmdError::at(image.display().to_string(), e);
    let home = Volume::open_with(&image, OpenOptions { replay: false, ..opts }).map_err(at)?;
    let recovered = Volume::open_with(&image, OpenOptions { replay: true, ..opts }).map_err(at)?;
    let rec = Recovery::read(&home, true).map_err(at)?;
    let mut slots = Vec::new();
    for s in rec.slots().iter().filter(|s| s.dirty) {
        let replay = match &s.log {
            Some(log) => Some(log_plan(&home, s.slot, log)?),
            None => None,
        };
        slots.push(SlotPlan {
            slot: s.slot,
            journal_inode: s.journal_inode,
            dirty: s.dirty,
            replay,
            after_replay: Some(aftermath_report(aftermath(&recovered, s.slot))),
        });
    }
    let plan = Plan { slots, warnings: rec.warnings().iter().map(ToString::to_string).collect() };
    out.emit(&plan, render)
}

fn log_plan(vol: &Volume, slot: u16, log: &LogReplay) -> Result<LogPlan, CmdError> {
    let j = Journal::open(vol, slot)?;
    // What each block holds before the next copy lands: its home copy, then each
    // logged copy in turn.
    let mut current: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut txs = Vec::new();
    for t in &log.transactions {
        let d = t.detail.as_ref().ok_or_else(|| CmdError::msg("the replay kept no detail".into()))?;
        let mut blocks = Vec::new();
        for b in &d.blocks {
            let mut copy = j.read(b.log_block)?;
            let escaped = b.flags & tag_flags::ESCAPE != 0;
            if escaped {
                unescape(&mut copy);
            }
            let before = match current.get(&b.target) {
                Some(c) => c.clone(),
                None => vol.read_block(b.target)?.into_owned(),
            };
            let kind = metadata_kind(&copy);
            let (changes, changed_bytes) = if b.revoked_by.is_some() {
                (Vec::new(), Vec::new())
            } else {
                diff(vol, b.target, kind, &before, &copy)
            };
            blocks.push(BlockPlan {
                log_block: b.log_block,
                home: b.target,
                escaped,
                outcome: if b.revoked_by.is_some() { "revoked" } else { "written" },
                revoked_by: b.revoked_by,
                kind,
                unchanged: before == copy,
                changes,
                changed_bytes,
            });
            if b.revoked_by.is_none() {
                current.insert(b.target, copy);
            }
        }
        txs.push(TxPlan {
            sequence: t.sequence,
            start: t.start,
            commit_block: t.commit_block,
            commit_sec: t.commit_time.0,
            commit_nsec: t.commit_time.1,
            blocks,
            revoke_records: d.revokes.clone(),
        });
    }
    Ok(LogPlan {
        start: log.start,
        first_sequence: log.first_sequence,
        end_sequence: log.end_sequence,
        next_sequence: log.next_sequence(),
        end: end_text(&log.end),
        uncommitted_blocks: log.uncommitted_blocks,
        transactions: txs,
        distinct_blocks: log.blocks.len(),
    })
}

fn end_text(e: &ScanEnd) -> String {
    match e {
        ScanEnd::Clean => "clean".into(),
        ScanEnd::NoMagic { block } => format!("no JBD2 block at log block {block}"),
        ScanEnd::Sequence { block, found } => format!("log block {block} holds older transaction {found}"),
        ScanEnd::UnknownType { block, block_type } => format!("log block {block} has unknown type {block_type}"),
        ScanEnd::Wrapped => "the log ran once around the journal".into(),
        ScanEnd::Invalid { block } => format!("log block {block} is invalid (see the warnings)"),
    }
}

/// The fields that change between two versions of a block: inode fields by the
/// names `stat --json` uses, directory entries by name; for other kinds the byte
/// ranges.
fn diff(
    vol: &Volume,
    blkno: u64,
    kind: Option<&str>,
    before: &[u8],
    after: &[u8],
) -> (Vec<Change>, Vec<(usize, usize)>) {
    match kind {
        Some("Inode") => {
            let flat = |b: &[u8]| -> Option<BTreeMap<String, Value>> {
                let inode = Inode::from_block(blkno, b.to_vec()).ok()?;
                let v = serde_json::to_value(inode_report(vol, &inode, false).ok()?).ok()?;
                let mut m = BTreeMap::new();
                flatten("", &v, &mut m);
                Some(m)
            };
            let (Some(a), Some(b)) = (flat(before), flat(after)) else {
                return (Vec::new(), byte_ranges(before, after));
            };
            let mut changes = Vec::new();
            for k in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let (x, y) = (a.get(k).cloned().unwrap_or(Value::Null), b.get(k).cloned().unwrap_or(Value::Null));
                if x != y {
                    changes.push(Change { field: k.clone(), before: x, after: y });
                }
            }
            (changes, Vec::new())
        }
        Some("DirBlock") => {
            let names = |b: &[u8]| -> BTreeMap<Vec<u8>, u64> {
                DirEntries::new(&b[..b.len() - ocfs2_format::layout::dir::TRAILER_SIZE], blkno)
                    .map_while(Result::ok)
                    .filter(|e| e.inode != 0)
                    .map(|e| (e.name.to_vec(), e.inode))
                    .collect()
            };
            let (a, b) = (names(before), names(after));
            let mut changes = Vec::new();
            for (n, i) in &a {
                if b.get(n) != Some(i) {
                    changes.push(Change { field: "entry".into(), before: entry(n, *i), after: Value::Null });
                }
            }
            for (n, i) in &b {
                if a.get(n) != Some(i) {
                    changes.push(Change { field: "entry".into(), before: Value::Null, after: entry(n, *i) });
                }
            }
            (changes, Vec::new())
        }
        _ => (Vec::new(), byte_ranges(before, after)),
    }
}

fn entry(name: &[u8], inode: u64) -> Value {
    serde_json::json!({ "name": String::from_utf8_lossy(name), "inode": inode })
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    let key = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| flatten(&key(k), v, out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| flatten(&key(&i.to_string()), v, out)),
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// Runs `(offset, length)` of differing bytes.
fn byte_ranges(a: &[u8], b: &[u8]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for i in (0..a.len().min(b.len())).filter(|&i| a[i] != b[i]) {
        match out.last_mut() {
            Some((s, n)) if *s + *n == i => *n += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

fn aftermath_report(a: Aftermath) -> AftermathReport {
    AftermathReport {
        local_alloc_window: a.local_alloc.as_ref().map(|l| (l.bm_off, l.total)),
        local_alloc_used: a.local_alloc.as_ref().map(|l| l.used),
        local_alloc_freed: a.local_alloc.map(|l| l.freed).unwrap_or_default(),
        truncate_log: a.truncate_log,
        orphans: a.orphans,
        errors: a.errors,
    }
}

fn render(p: &Plan) -> String {
    let mut s = String::new();
    if p.slots.is_empty() {
        s.push_str("No slot needs recovery.\n");
    }
    for slot in &p.slots {
        s.push_str(&format!("Slot {} (journal inode {}): needs recovery\n", slot.slot, slot.journal_inode));
        match &slot.replay {
            None => s.push_str("  log: empty (s_start 0), nothing to replay\n"),
            Some(l) => {
                let committed = match l.transactions.len() {
                    0 => "no committed transaction".to_string(),
                    n => format!(
                        "{n} committed transactions ({}..={})",
                        l.first_sequence,
                        l.end_sequence.wrapping_sub(1)
                    ),
                };
                s.push_str(&format!(
                    "  log: from block {}, {committed}, {} distinct home blocks; ends: {}; next transaction {}\n",
                    l.start, l.distinct_blocks, l.end, l.next_sequence
                ));
                if l.uncommitted_blocks > 0 {
                    s.push_str(&format!(
                        "  ignored: {} log blocks of uncommitted transaction {}\n",
                        l.uncommitted_blocks, l.end_sequence
                    ));
                }
                for t in &l.transactions {
                    s.push_str(&format!(
                        "\n  Transaction {} (log blocks {}..={}), committed {}\n",
                        t.sequence,
                        t.start,
                        t.commit_block,
                        time(t.commit_sec, t.commit_nsec)
                    ));
                    if !t.revoke_records.is_empty() {
                        let r: Vec<String> = t.revoke_records.iter().map(u64::to_string).collect();
                        s.push_str(&format!("    revokes: {}\n", r.join(" ")));
                    }
                    let rows = t
                        .blocks
                        .iter()
                        .map(|b| {
                            vec![
                                b.log_block.to_string(),
                                b.home.to_string(),
                                b.kind.unwrap_or("data").to_string(),
                                match b.revoked_by {
                                    Some(r) => format!("revoked by {r}"),
                                    None if b.unchanged => "written (same bytes)".into(),
                                    None => "written".into(),
                                },
                                change_text(b),
                            ]
                        })
                        .collect();
                    for line in table(&["LOG", "HOME", "KIND", "OUTCOME", "CHANGES"], rows, &[0, 1]).lines() {
                        s.push_str("    ");
                        s.push_str(line);
                        s.push('\n');
                    }
                }
            }
        }
        if let Some(a) = &slot.after_replay {
            s.push_str("\n  After the log (reported, not applied):\n");
            match a.local_alloc_window {
                Some((off, total)) => s.push_str(&format!(
                    "    local alloc: window of {total} clusters at {off}, {} used; frees {} clusters\n",
                    a.local_alloc_used.unwrap_or(0),
                    a.local_alloc_freed.iter().map(|r| r.1).sum::<u64>()
                )),
                None => s.push_str("    local alloc: unreadable\n"),
            }
            let tl: u64 = a.truncate_log.iter().map(|r| u64::from(r.1)).sum();
            s.push_str(&format!("    truncate log: {} records, frees {tl} clusters\n", a.truncate_log.len()));
            s.push_str(&format!("    orphans: {} to delete\n", a.orphans.len()));
            for o in &a.orphans {
                s.push_str(&format!(
                    "      inode {} ({}): {} bytes, {} clusters\n",
                    o.inode,
                    String::from_utf8_lossy(&o.name),
                    o.size,
                    o.clusters
                ));
            }
            for e in &a.errors {
                s.push_str(&format!("    unreadable: {e}\n"));
            }
        }
        s.push('\n');
    }
    for w in &p.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

fn change_text(b: &BlockPlan) -> String {
    if !b.changes.is_empty() {
        let shown: Vec<String> = b
            .changes
            .iter()
            .take(6)
            .map(|c| match (&c.before, &c.after) {
                (Value::Null, a) if c.field == "entry" => format!("+{}", a["name"].as_str().unwrap_or("?")),
                (bf, Value::Null) if c.field == "entry" => format!("-{}", bf["name"].as_str().unwrap_or("?")),
                (bf, a) => format!("{}: {bf} -> {a}", c.field),
            })
            .collect();
        let more = b.changes.len().saturating_sub(6);
        return if more > 0 { format!("{} (+{more} more)", shown.join(", ")) } else { shown.join(", ") };
    }
    if !b.changed_bytes.is_empty() {
        let n: usize = b.changed_bytes.iter().map(|r| r.1).sum();
        return format!("{n} bytes in {} ranges", b.changed_bytes.len());
    }
    String::new()
}
