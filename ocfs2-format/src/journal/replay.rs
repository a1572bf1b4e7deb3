//! JBD2 recovery, computed in memory: the kernel's three passes over one log
//! (`jbd2_journal_recover`), yielding for every home block the log block whose
//! copy recovery would write there. Nothing is written and logged copies are not
//! kept: a caller reads them from the log when it needs them.
//!
//! The passes follow the kernel:
//! 1. SCAN from `s_start`, expecting `s_sequence`: a descriptor's data blocks are
//!    skipped by counting its tags, a commit closes its transaction, and the walk
//!    stops at the first block without the magic, with another sequence, or of an
//!    unknown type. The first transaction without a commit ends the log; nothing
//!    from it or after it is used.
//! 2. REVOKE: the revoke records of the committed transactions; each block keeps
//!    the highest revoking transaction.
//! 3. REPLAY: each tag of a committed transaction `T` is written unless a revoke
//!    of a transaction `>= T` names its block; later copies replace earlier ones.
//!
//! Two departures, both about bad logs and both stricter: the kernel fails
//! recovery (`EIO`/`EINVAL`) on a tag naming a block past the device or on a
//! revoke count past the block, after writing what came before; here SCAN ends
//! the log before the transaction holding it, with a [`ReplayWarning`]. And
//! checksums (JBD2 v1, v2, v3) are not verified: OCFS2 never formats a journal
//! with v2/v3 and sets v1 only under `journal_async_commit`; a warning says so.
//!
//! Memory: SCAN keeps the position of each descriptor, revoke and commit block
//! of the log and the set of home blocks the descriptors name; the REVOKE pass
//! keeps only revokes of those blocks (the result is the same, and a log of
//! revoke records cannot make the table grow past the blocks that matter). Data
//! blocks are never read.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use crate::error::Result;
use crate::layout::jbd2::{self, block_type, descriptor_tags, incompat, revoke_records, tag_flags};
use crate::layout::jbd2::{CommitHeader, Header, Superblock, TagLayout};
use crate::layout::view_at;

/// `s_feature_compat` bit of JBD2 v1 commit checksums.
const COMPAT_CHECKSUM: u32 = 0x1;

/// Reads the blocks of one log by their index in the journal file.
pub trait Log {
    /// Log block `n` (exactly one journal block).
    fn read(&self, n: u32) -> Result<Cow<'_, [u8]>>;
}

/// The journal superblock's fields that drive recovery, and the bound on home
/// block numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogParams {
    /// The slot, for warnings.
    pub slot: u16,
    /// Bytes per journal block.
    pub block_size: usize,
    /// `s_first`: the first log block after a wrap.
    pub first: u32,
    /// `s_maxlen`: blocks in the journal file.
    pub maxlen: u32,
    /// `s_start`: where the log starts (0: nothing to replay).
    pub start: u32,
    /// `s_sequence`: the transaction expected at `s_start`.
    pub sequence: u32,
    /// `s_feature_compat`.
    pub compat: u32,
    /// `s_feature_incompat`.
    pub incompat: u32,
    /// Blocks in the volume: a tag naming one at or past it ends the log.
    pub volume_blocks: u64,
}

impl LogParams {
    /// The parameters of a parsed journal superblock.
    pub fn new(slot: u16, sb: &Superblock, volume_blocks: u64) -> LogParams {
        LogParams {
            slot,
            block_size: sb.s_blocksize.get() as usize,
            first: sb.s_first.get(),
            maxlen: sb.s_maxlen.get(),
            start: sb.s_start.get(),
            sequence: sb.s_sequence.get(),
            compat: sb.s_feature_compat.get(),
            incompat: sb.s_feature_incompat.get(),
            volume_blocks,
        }
    }

    fn layout(&self) -> TagLayout {
        TagLayout::for_features(self.incompat)
    }

    fn revoke_record_size(&self) -> usize {
        if self.incompat & incompat::BIT64 != 0 {
            8
        } else {
            4
        }
    }

    /// The kernel's `wrap()`: one step back by the log's length once past its end.
    fn advance(&self, pos: u32, n: u32) -> Option<u32> {
        let p = u64::from(pos) + u64::from(n);
        let p = if p >= u64::from(self.maxlen) { p - u64::from(self.maxlen - self.first) } else { p };
        u32::try_from(p).ok().filter(|&p| p < self.maxlen)
    }
}

/// A reason recovery stopped short of what the log seemed to hold, naming the
/// slot, the journal block and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayWarning {
    /// The slot whose journal it is.
    pub slot: u16,
    /// The journal (log) block, when one is at fault.
    pub log_block: Option<u32>,
    /// The field at fault (`t_blocknr`, `r_count`, `h_blocktype`, ...).
    pub field: &'static str,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl fmt::Display for ReplayWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slot {}", self.slot)?;
        if let Some(b) = self.log_block {
            write!(f, ", journal block {b}")?;
        }
        write!(f, ", {}: {}", self.field, self.message)
    }
}

/// Why SCAN ended the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// `s_start` is 0: the log is empty.
    Clean,
    /// A block without the JBD2 magic (the normal end).
    NoMagic {
        /// The log block.
        block: u32,
    },
    /// A JBD2 block of another transaction: an older lap of the log (the normal end).
    Sequence {
        /// The log block.
        block: u32,
        /// The sequence it carries.
        found: u32,
    },
    /// A JBD2 block of a type no kernel writes into a log.
    UnknownType {
        /// The log block.
        block: u32,
        /// Its `h_blocktype`.
        block_type: u32,
    },
    /// The walk came once around the whole log.
    Wrapped,
    /// A block that makes no sense (see the warning): the log ends before its transaction.
    Invalid {
        /// The log block.
        block: u32,
    },
}

/// One logged block of a transaction (kept only when details are asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedBlock {
    /// Where the copy is in the log.
    pub log_block: u32,
    /// The home block it is a copy of.
    pub target: u64,
    /// Tag flags ([`jbd2::tag_flags`]).
    pub flags: u32,
    /// The transaction whose revoke suppressed this copy, if one did.
    pub revoked_by: Option<u32>,
}

/// One committed transaction, as recovery sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxReplay {
    /// Its sequence number (tid).
    pub sequence: u32,
    /// Its first log block.
    pub start: u32,
    /// Its commit block.
    pub commit_block: u32,
    /// `h_commit_sec`, `h_commit_nsec` of the commit block.
    pub commit_time: (u64, u32),
    /// Blocks it logged (tags).
    pub logged: u32,
    /// Logged blocks recovery writes (not revoked).
    pub written: u32,
    /// Logged blocks a revoke suppressed.
    pub revoked: u32,
    /// Revoke records it carries.
    pub revoke_records: u32,
    /// Its tags and revoke records, when details were asked for.
    pub detail: Option<TxDetail>,
}

/// A transaction's logged blocks and revoke records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxDetail {
    /// The logged blocks, in log order.
    pub blocks: Vec<LoggedBlock>,
    /// The blocks its revoke records name.
    pub revokes: Vec<u64>,
}

/// The copy of a home block that recovery writes last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Winner {
    /// Where the copy is in the log.
    pub log_block: u32,
    /// The transaction that logged it.
    pub sequence: u32,
    /// Whether its first four bytes must be restored to the JBD2 magic.
    pub escaped: bool,
}

/// What recovery of one log does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReplay {
    /// `s_start`.
    pub start: u32,
    /// `s_sequence`: the first transaction.
    pub first_sequence: u32,
    /// The first transaction not replayed (the kernel's `end_transaction`).
    pub end_sequence: u32,
    /// Why SCAN stopped.
    pub end: ScanEnd,
    /// Log blocks SCAN walked through of the transaction it could not close
    /// (an uncommitted tail; 0 when none).
    pub uncommitted_blocks: u32,
    /// The committed transactions, in log order.
    pub transactions: Vec<TxReplay>,
    /// For each home block, the copy recovery leaves there.
    pub blocks: BTreeMap<u64, Winner>,
    /// Why recovery stopped early, or what it could not check.
    pub warnings: Vec<ReplayWarning>,
}

impl LogReplay {
    /// The transaction the kernel starts with after recovery (`end + 1`: the
    /// number of a possibly half-written transaction is never reused).
    pub fn next_sequence(&self) -> u32 {
        self.end_sequence.wrapping_add(1)
    }
    /// Tags written, counting every copy (a block logged twice counts twice).
    pub fn written(&self) -> u64 {
        self.transactions.iter().map(|t| u64::from(t.written)).sum()
    }
    /// Tags a revoke suppressed.
    pub fn revoked(&self) -> u64 {
        self.transactions.iter().map(|t| u64::from(t.revoked)).sum()
    }
    /// Revoke records in the committed transactions.
    pub fn revoke_records(&self) -> u64 {
        self.transactions.iter().map(|t| u64::from(t.revoke_records)).sum()
    }
}

/// `a > b` in tid order (modular, as the kernel's `tid_gt`).
fn tid_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Descriptor,
    Revoke,
    /// With `h_commit_sec`, `h_commit_nsec`.
    Commit(u64, u32),
}

/// Runs recovery's three passes over `log`. Never fails: a block that cannot be
/// read or makes no sense ends the log there, with a warning. `detail` keeps
/// every transaction's tags and revoke records (for a plan), which costs memory
/// proportional to the log; without it memory is proportional to the distinct
/// home blocks the log names.
pub fn replay_log(log: &dyn Log, p: &LogParams, detail: bool) -> LogReplay {
    let mut out = LogReplay {
        start: p.start,
        first_sequence: p.sequence,
        end_sequence: p.sequence,
        end: ScanEnd::Clean,
        uncommitted_blocks: 0,
        transactions: Vec::new(),
        blocks: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let warn = |out: &mut LogReplay, block: Option<u32>, field: &'static str, message: String| {
        out.warnings.push(ReplayWarning { slot: p.slot, log_block: block, field, message })
    };
    if p.start == 0 {
        return out;
    }
    if p.first == 0 || p.first >= p.maxlen || p.start >= p.maxlen || p.block_size < 512 {
        warn(
            &mut out,
            Some(0),
            "s_start",
            format!(
                "log bounds make no sense (s_first {}, s_maxlen {}, s_start {}, block size {}); nothing replayed",
                p.first, p.maxlen, p.start, p.block_size
            ),
        );
        out.end = ScanEnd::Invalid { block: 0 };
        return out;
    }
    let unknown = p.incompat & !incompat::SUPPORTED;
    if unknown != 0 {
        warn(&mut out, Some(0), "s_feature_incompat", format!("unknown features {unknown:#x}; nothing replayed"));
        out.end = ScanEnd::Invalid { block: 0 };
        return out;
    }
    if p.compat & COMPAT_CHECKSUM != 0 || p.incompat & (incompat::CSUM_V2 | incompat::CSUM_V3) != 0 {
        warn(&mut out, Some(0), "s_feature_compat", "the log carries checksums; they are not verified".into());
    }
    let layout = p.layout();
    let usable = p.maxlen - p.first;

    // PASS 1: SCAN.
    let mut controls: Vec<(u32, u32, Control)> = Vec::new(); // (log block, tid, kind)
    let mut targets: HashSet<u64> = HashSet::new();
    let mut pos = p.start;
    let mut expected = p.sequence;
    let mut walked = 0u64; // log blocks consumed, bounded by the log's length
    let mut tx_blocks = 0u32; // blocks of the transaction not yet committed
    let end = loop {
        if walked > u64::from(usable) {
            warn(&mut out, Some(pos), "h_sequence", "the log runs once around the journal without ending".into());
            break ScanEnd::Wrapped;
        }
        let block = match log.read(pos) {
            Ok(b) if b.len() == p.block_size => b,
            Ok(b) => {
                warn(&mut out, Some(pos), "s_blocksize", format!("read {} bytes of a block", b.len()));
                break ScanEnd::Invalid { block: pos };
            }
            Err(e) => {
                warn(&mut out, Some(pos), "log block", format!("unreadable ({e}); the log ends before it"));
                break ScanEnd::Invalid { block: pos };
            }
        };
        let Some(h) = view_at::<Header>(&block, 0) else { break ScanEnd::NoMagic { block: pos } };
        if h.h_magic.get() != jbd2::MAGIC {
            break ScanEnd::NoMagic { block: pos };
        }
        let seq = h.h_sequence.get();
        if seq != expected {
            break ScanEnd::Sequence { block: pos, found: seq };
        }
        let here = pos;
        let mut consumed = 1u32;
        match h.h_blocktype.get() {
            block_type::DESCRIPTOR => {
                let tags = descriptor_tags(&block, layout);
                if let Some(t) = tags.iter().find(|t| t.blocknr >= p.volume_blocks) {
                    warn(
                        &mut out,
                        Some(pos),
                        "t_blocknr",
                        format!(
                            "transaction {seq} logs block {} past the volume's {} blocks; the log ends before it",
                            t.blocknr, p.volume_blocks
                        ),
                    );
                    break ScanEnd::Invalid { block: pos };
                }
                let n = tags.len() as u32;
                if n >= usable {
                    warn(&mut out, Some(pos), "t_flags", format!("{n} tags do not fit a log of {usable} blocks"));
                    break ScanEnd::Invalid { block: pos };
                }
                targets.extend(tags.iter().map(|t| t.blocknr));
                controls.push((here, seq, Control::Descriptor));
                consumed += n;
            }
            block_type::COMMIT => {
                let t = view_at::<CommitHeader>(&block, 0)
                    .map_or((0, 0), |c| (c.h_commit_sec.get(), c.h_commit_nsec.get()));
                controls.push((here, seq, Control::Commit(t.0, t.1)));
                expected = expected.wrapping_add(1);
            }
            block_type::REVOKE => {
                let body = &block[..p.block_size - layout.tail];
                if let Err(e) = revoke_records(body, u64::from(pos), p.revoke_record_size()) {
                    warn(&mut out, Some(pos), "r_count", format!("{e}; the log ends before transaction {seq}"));
                    break ScanEnd::Invalid { block: pos };
                }
                controls.push((here, seq, Control::Revoke));
            }
            t => {
                warn(&mut out, Some(pos), "h_blocktype", format!("unknown block type {t}; the log ends here"));
                break ScanEnd::UnknownType { block: pos, block_type: t };
            }
        }
        walked += u64::from(consumed);
        tx_blocks = if h.h_blocktype.get() == block_type::COMMIT { 0 } else { tx_blocks + consumed };
        match p.advance(pos, consumed) {
            Some(next) => pos = next,
            None => {
                warn(&mut out, Some(pos), "t_flags", "the data blocks run past the log".into());
                break ScanEnd::Invalid { block: pos };
            }
        }
    };
    out.end = end;
    out.end_sequence = expected;
    out.uncommitted_blocks = tx_blocks;
    let committed = |tid: u32| tid_gt(expected, tid);

    // The committed transactions, with where they start and end.
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut open: Option<(u32, u32)> = None; // (tid, first block) of a transaction without commit yet
    for &(at, tid, kind) in &controls {
        if !committed(tid) {
            break;
        }
        let first = match open {
            Some((t, f)) if t == tid => f,
            _ => at,
        };
        open = Some((tid, first));
        if let Control::Commit(sec, nsec) = kind {
            index.insert(tid, out.transactions.len());
            out.transactions.push(TxReplay {
                sequence: tid,
                start: first,
                commit_block: at,
                commit_time: (sec, nsec),
                logged: 0,
                written: 0,
                revoked: 0,
                revoke_records: 0,
                detail: detail.then(TxDetail::default),
            });
            open = None;
        }
    }

    // PASS 2: REVOKE. Only revokes of blocks some descriptor names can matter.
    let mut revoked: HashMap<u64, u32> = HashMap::new();
    for &(at, tid, kind) in &controls {
        if kind != Control::Revoke || !committed(tid) {
            continue;
        }
        let records = match log.read(at) {
            Ok(b) => revoke_records(&b[..p.block_size - layout.tail], u64::from(at), p.revoke_record_size()),
            Err(e) => Err(e),
        };
        let records = match records {
            Ok(r) => r,
            Err(e) => {
                // SCAN read it a moment ago; a source that changes under us is all this can be.
                warn(&mut out, Some(at), "r_count", format!("changed between passes ({e}); its records are ignored"));
                continue;
            }
        };
        let Some(&i) = index.get(&tid) else { continue };
        let tx = &mut out.transactions[i];
        tx.revoke_records += records.len() as u32;
        if let Some(d) = tx.detail.as_mut() {
            d.revokes.extend_from_slice(&records);
        }
        for blk in records {
            if !targets.contains(&blk) {
                continue;
            }
            let e = revoked.entry(blk).or_insert(tid);
            if tid_gt(tid, *e) {
                *e = tid;
            }
        }
    }

    // PASS 3: REPLAY.
    for &(at, tid, kind) in &controls {
        if kind != Control::Descriptor || !committed(tid) {
            continue;
        }
        let tags = match log.read(at) {
            Ok(b) => descriptor_tags(&b, layout),
            Err(e) => {
                warn(&mut out, Some(at), "log block", format!("unreadable in the replay pass ({e})"));
                continue;
            }
        };
        let Some(&i) = index.get(&tid) else { continue };
        let tx = &mut out.transactions[i];
        let mut data = at;
        for t in tags {
            let Some(next) = p.advance(data, 1) else { break };
            data = next;
            tx.logged += 1;
            // Replay only when this transaction is strictly newer than every revoke.
            let revoked_by = revoked.get(&t.blocknr).copied().filter(|&r| !tid_gt(tid, r));
            if revoked_by.is_some() {
                tx.revoked += 1;
            } else if t.blocknr < p.volume_blocks {
                tx.written += 1;
                let escaped = t.flags & tag_flags::ESCAPE != 0;
                out.blocks.insert(t.blocknr, Winner { log_block: data, sequence: tid, escaped });
            }
            if let Some(d) = tx.detail.as_mut() {
                d.blocks.push(LoggedBlock { log_block: data, target: t.blocknr, flags: t.flags, revoked_by });
            }
        }
    }
    out
}

/// Restores the JBD2 magic a logged copy had escaped (its first four bytes).
pub fn unescape(block: &mut [u8]) {
    if let Some(head) = block.get_mut(..4) {
        head.copy_from_slice(&jbd2::MAGIC.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::jbd2::tag_flags::{ESCAPE, LAST_TAG, SAME_UUID};

    const BS: usize = 1024;

    /// A log in memory, built block by block the way jbd2 writes one.
    struct MemLog {
        blocks: Vec<Vec<u8>>,
        wide: bool,
    }

    impl Log for MemLog {
        fn read(&self, n: u32) -> Result<Cow<'_, [u8]>> {
            Ok(Cow::Borrowed(&self.blocks[n as usize]))
        }
    }

    impl MemLog {
        fn new(maxlen: u32, wide: bool) -> MemLog {
            MemLog { blocks: vec![vec![0u8; BS]; maxlen as usize], wide }
        }
        fn header(&mut self, n: u32, kind: u32, seq: u32) -> &mut Vec<u8> {
            let b = &mut self.blocks[n as usize];
            b.fill(0);
            b[..4].copy_from_slice(&jbd2::MAGIC.to_be_bytes());
            b[4..8].copy_from_slice(&kind.to_be_bytes());
            b[8..12].copy_from_slice(&seq.to_be_bytes());
            b
        }
        /// A descriptor at `n` for `tags` (home block, extra flags); the first tag
        /// carries a UUID, the rest SAME_UUID, the last LAST_TAG.
        fn descriptor(&mut self, n: u32, seq: u32, tags: &[(u64, u32)]) {
            let wide = self.wide;
            let b = self.header(n, block_type::DESCRIPTOR, seq);
            let mut at = 12;
            for (i, &(blk, extra)) in tags.iter().enumerate() {
                let mut flags = extra | if i == 0 { 0 } else { SAME_UUID };
                if i + 1 == tags.len() {
                    flags |= LAST_TAG;
                }
                b[at..at + 4].copy_from_slice(&(blk as u32).to_be_bytes());
                b[at + 4..at + 8].copy_from_slice(&flags.to_be_bytes());
                if wide {
                    b[at + 8..at + 12].copy_from_slice(&((blk >> 32) as u32).to_be_bytes());
                }
                at += if wide { 12 } else { 8 };
                if flags & SAME_UUID == 0 {
                    b[at..at + 16].fill(0x5a);
                    at += 16;
                }
            }
        }
        fn data(&mut self, n: u32, fill: u8) {
            self.blocks[n as usize].fill(fill);
        }
        fn commit(&mut self, n: u32, seq: u32) {
            self.header(n, block_type::COMMIT, seq);
        }
        fn revoke(&mut self, n: u32, seq: u32, blocks: &[u64]) {
            let wide = self.wide;
            let b = self.header(n, block_type::REVOKE, seq);
            let mut at = 16;
            for &blk in blocks {
                if wide {
                    b[at..at + 8].copy_from_slice(&blk.to_be_bytes());
                    at += 8;
                } else {
                    b[at..at + 4].copy_from_slice(&(blk as u32).to_be_bytes());
                    at += 4;
                }
            }
            b[12..16].copy_from_slice(&(at as u32).to_be_bytes());
        }
        fn params(&self, start: u32, sequence: u32) -> LogParams {
            self.params_bs(start, sequence, BS)
        }

        fn params_bs(&self, start: u32, sequence: u32, block_size: usize) -> LogParams {
            LogParams {
                slot: 3,
                block_size,
                first: 1,
                maxlen: self.blocks.len() as u32,
                start,
                sequence,
                compat: 0,
                incompat: incompat::REVOKE | if self.wide { incompat::BIT64 } else { 0 },
                volume_blocks: 1 << 40,
            }
        }
    }

    fn winners(r: &LogReplay) -> Vec<(u64, u32, u32, bool)> {
        r.blocks.iter().map(|(&b, w)| (b, w.log_block, w.sequence, w.escaped)).collect()
    }

    /// The reference's worked example (§1.3): wrap-around, a revoke that
    /// suppresses an earlier copy but not a later one, an escaped block, and an
    /// uncommitted tail.
    #[test]
    fn worked_example_follows_the_jbd2_rules() {
        let mut log = MemLog::new(12, false);
        log.descriptor(8, 40, &[(1000, 0), (2000, ESCAPE)]);
        log.data(9, 0x11);
        log.data(10, 0x22);
        log.commit(11, 40);
        log.revoke(1, 41, &[1000]); // position 12 wraps to s_first = 1
        log.commit(2, 41);
        log.descriptor(3, 42, &[(1000, 0)]);
        log.data(4, 0x44);
        log.commit(5, 42);
        log.descriptor(6, 43, &[(3000, 0)]);
        log.data(7, 0x77);
        // Block 8 is tid 40's descriptor again: the walk stops there.
        let r = replay_log(&log, &log.params(8, 40), true);
        assert_eq!(r.end, ScanEnd::Sequence { block: 8, found: 40 });
        assert_eq!(r.end_sequence, 43);
        assert_eq!(r.next_sequence(), 44);
        assert_eq!(r.uncommitted_blocks, 2);
        assert_eq!(winners(&r), vec![(1000, 4, 42, false), (2000, 10, 40, true)]);
        let seqs: Vec<u32> = r.transactions.iter().map(|t| t.sequence).collect();
        assert_eq!(seqs, vec![40, 41, 42]);
        let t40 = &r.transactions[0];
        assert_eq!((t40.logged, t40.written, t40.revoked), (2, 1, 1));
        assert_eq!(t40.detail.as_ref().unwrap().blocks[0].revoked_by, Some(41));
        assert_eq!((r.transactions[1].start, r.transactions[1].commit_block), (1, 2));
        assert_eq!(r.transactions[1].detail.as_ref().unwrap().revokes, vec![1000]);
        assert_eq!((r.written(), r.revoked(), r.revoke_records()), (2, 1, 1));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn a_revoke_in_the_same_transaction_suppresses_its_copy() {
        let mut log = MemLog::new(16, false);
        log.revoke(1, 7, &[500]);
        log.descriptor(2, 7, &[(500, 0), (501, 0)]);
        log.commit(5, 7);
        let r = replay_log(&log, &log.params(1, 7), false);
        assert_eq!(winners(&r), vec![(501, 4, 7, false)]);
        // A revoke from an uncommitted transaction counts for nothing.
        let mut log = MemLog::new(16, false);
        log.descriptor(1, 7, &[(500, 0)]);
        log.commit(3, 7);
        log.revoke(4, 8, &[500]);
        let r = replay_log(&log, &log.params(1, 7), false);
        assert_eq!(winners(&r), vec![(500, 2, 7, false)]);
        assert_eq!((r.end_sequence, r.uncommitted_blocks), (8, 1));
    }

    #[test]
    fn sixty_four_bit_tags_and_revokes() {
        let big = 0x1_0000_0005u64;
        let mut log = MemLog::new(16, true);
        log.descriptor(1, 1, &[(big, 0), (5, 0)]);
        log.commit(4, 1);
        log.revoke(5, 2, &[5]);
        log.commit(6, 2);
        let r = replay_log(&log, &log.params(1, 1), false);
        // The revoke of block 5 leaves 0x1_0000_0005 (the same low word) alone.
        assert_eq!(winners(&r), vec![(big, 2, 1, false)]);
        assert_eq!((r.revoked(), r.revoke_records()), (1, 1));
    }

    #[test]
    fn checksum_features_change_the_tag_size_and_leave_a_tail() {
        assert_eq!(TagLayout::for_features(0), TagLayout { size: 8, wide: false, tail: 0 });
        assert_eq!(TagLayout::for_features(incompat::BIT64).size, 12);
        assert_eq!(TagLayout::for_features(incompat::CSUM_V2), TagLayout { size: 10, wide: false, tail: 4 });
        assert_eq!(TagLayout::for_features(incompat::CSUM_V2 | incompat::BIT64).size, 14);
        assert_eq!(TagLayout::for_features(incompat::CSUM_V3), TagLayout { size: 16, wide: false, tail: 4 });
        // A CSUM_V3 log: 16-byte tags, flags in bytes 6-7, no tag in the last 4 bytes.
        let mut log = MemLog::new(16, false);
        let b = log.header(1, block_type::DESCRIPTOR, 5);
        b[12..16].copy_from_slice(&77u32.to_be_bytes());
        b[16..20].copy_from_slice(&(SAME_UUID | LAST_TAG | ESCAPE).to_be_bytes());
        log.data(2, 0);
        log.commit(3, 5);
        let mut p = log.params(1, 5);
        p.incompat = incompat::CSUM_V3;
        let r = replay_log(&log, &p, false);
        assert_eq!(winners(&r), vec![(77, 2, 5, true)]);
        assert_eq!(r.warnings[0].field, "s_feature_compat", "checksums are not verified, and it says so");
    }

    #[test]
    fn bad_input_ends_the_log_at_the_last_good_transaction() {
        let mut log = MemLog::new(16, false);
        log.descriptor(1, 1, &[(10, 0)]);
        log.commit(3, 1);
        log.descriptor(4, 2, &[(20, 0)]);
        log.commit(6, 2);
        // A tag past the volume.
        let mut p = log.params(1, 1);
        p.volume_blocks = 15;
        let r = replay_log(&log, &p, false);
        assert_eq!((r.end, r.end_sequence), (ScanEnd::Invalid { block: 4 }, 2));
        assert_eq!(winners(&r), vec![(10, 2, 1, false)]);
        assert_eq!((r.warnings[0].slot, r.warnings[0].log_block, r.warnings[0].field), (3, Some(4), "t_blocknr"));
        // A revoke count past the block.
        log.revoke(4, 2, &[10]);
        log.blocks[4][12..16].copy_from_slice(&(BS as u32 + 4).to_be_bytes());
        let r = replay_log(&log, &log.params(1, 1), false);
        assert_eq!((r.end_sequence, r.warnings[0].field), (2, "r_count"));
        assert_eq!(winners(&r), vec![(10, 2, 1, false)]);
        // An unknown block type.
        log.header(4, 9, 2);
        let r = replay_log(&log, &log.params(1, 1), false);
        assert_eq!(r.end, ScanEnd::UnknownType { block: 4, block_type: 9 });
        // Unknown features: nothing at all.
        let mut p = log.params(1, 1);
        p.incompat |= incompat::FAST_COMMIT;
        let r = replay_log(&log, &p, false);
        assert!(r.blocks.is_empty() && r.warnings[0].field == "s_feature_incompat");
    }

    #[test]
    fn a_log_full_of_commits_stops_after_one_lap() {
        // Every block a commit of the next tid: the sequence never breaks, so only
        // the lap bound ends the walk.
        let mut log = MemLog::new(64, false);
        for n in 1..64 {
            log.commit(n, n);
        }
        let r = replay_log(&log, &log.params(1, 1), false);
        assert_eq!(r.end, ScanEnd::Sequence { block: 1, found: 1 });
        // A log that keeps going: sequences continue across the wrap.
        let mut log = MemLog::new(8, false);
        for n in 1..8 {
            log.commit(n, n + 100);
        }
        let mut p = log.params(3, 103);
        p.volume_blocks = 1;
        let r = replay_log(&log, &p, false);
        assert_eq!(r.transactions.len(), 5, "103..=107");
        // Blocks 1 and 2 hold 101, 102: not 108.
        assert_eq!(r.end, ScanEnd::Sequence { block: 1, found: 101 });
    }

    #[test]
    fn half_kilobyte_journal_blocks_replay() {
        // 512-byte volumes have 512-byte journal blocks (the superblock takes two).
        let mut log = MemLog::new(16, false);
        for b in &mut log.blocks {
            b.truncate(512);
        }
        let d = log.header(2, block_type::DESCRIPTOR, 1);
        d[12..16].copy_from_slice(&44u32.to_be_bytes());
        d[16..20].copy_from_slice(&(SAME_UUID | LAST_TAG).to_be_bytes());
        log.blocks[3] = vec![0x33; 512];
        log.commit(4, 1);
        let mut p = log.params_bs(2, 1, 512);
        p.first = 2;
        let r = replay_log(&log, &p, false);
        assert_eq!(winners(&r), vec![(44, 3, 1, false)]);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn sequence_numbers_compare_modulo_two_to_the_32() {
        let mut log = MemLog::new(16, false);
        log.descriptor(1, u32::MAX, &[(9, 0)]);
        log.commit(3, u32::MAX);
        log.revoke(4, 0, &[9]);
        log.commit(5, 0);
        log.descriptor(6, 1, &[(9, 0)]);
        log.commit(8, 1);
        let r = replay_log(&log, &log.params(1, u32::MAX), false);
        assert_eq!(winners(&r), vec![(9, 7, 1, false)]);
        assert_eq!(r.transactions[0].revoked, 1, "tid 0 is after tid 2^32-1");
    }
}
