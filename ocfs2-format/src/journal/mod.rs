//! A slot's JBD2 journal: the superblock, a linear scan of every block (as
//! `debugfs.ocfs2 logdump` shows it) and the replay-order walk from `s_start`;
//! [`replay`] computes what recovery writes.

use crate::error::{Error, Result};
use crate::fs::FileReader;
use crate::layout::jbd2::{self, block_type, descriptor_tags, revoke_records, CommitHeader, Header, Superblock, Tag};
use crate::layout::view_at;
use crate::volume::Volume;

pub mod recovery;
pub mod replay;
mod state;

pub use state::JournalState;

/// Bytes read from the journal file at once in a linear scan.
const SCAN_CHUNK: usize = 1 << 20;

/// One slot's journal, opened.
#[derive(Debug)]
pub struct Journal<'v> {
    vol: &'v Volume,
    reader: FileReader<'v>,
    state: JournalState,
    sb: Superblock,
    block_size: usize,
    blocks: u32,
}

/// What one journal block holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// The JBD2 superblock (log block 0).
    Superblock,
    /// A descriptor block and its tags.
    Descriptor {
        /// `h_sequence`: the transaction.
        sequence: u32,
        /// The tags, one per data block that follows.
        tags: Vec<Tag>,
    },
    /// A commit block.
    Commit {
        /// `h_sequence`.
        sequence: u32,
        /// `h_commit_sec`.
        sec: u64,
        /// `h_commit_nsec`.
        nsec: u32,
    },
    /// A revoke block.
    Revoke {
        /// `h_sequence`.
        sequence: u32,
        /// Revoked fs block numbers.
        blocks: Vec<u64>,
    },
    /// A JBD2 block of a type this crate does not know.
    UnknownJbd2 {
        /// `h_blocktype`.
        block_type: u32,
        /// `h_sequence`.
        sequence: u32,
    },
    /// A logged OCFS2 metadata block, named by its signature (`Inode`, `Group`, ...).
    Metadata(&'static str),
    /// Anything else: logged data, or stale bytes.
    Data,
}

/// A run of journal blocks of one kind (data blocks are grouped; every other kind
/// is a run of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanEntry {
    /// First log block.
    pub first: u32,
    /// Number of blocks.
    pub count: u32,
    /// What they hold.
    pub kind: BlockKind,
}

/// A transaction found by the replay walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Its sequence number.
    pub sequence: u32,
    /// Log block of its first descriptor (or revoke) block.
    pub start: u32,
    /// Logged blocks: (log block, tag).
    pub blocks: Vec<(u32, Tag)>,
    /// Revoked fs block numbers.
    pub revokes: Vec<u64>,
    /// Whether its commit block was found; `(sec, nsec)` of the commit.
    pub commit: Option<(u64, u32)>,
}

/// Why the replay walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEnd {
    /// `s_start` is 0: nothing to replay.
    Clean,
    /// A block without the JBD2 magic where the next transaction would be.
    NoMagic {
        /// The log block.
        block: u32,
    },
    /// A JBD2 block of another transaction (an older, checkpointed one).
    Sequence {
        /// The log block.
        block: u32,
        /// The sequence expected.
        expected: u32,
        /// The sequence found.
        found: u32,
    },
    /// The walk went once around the whole log.
    Wrapped,
}

/// The replay-order view of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The transactions, in order; the last may lack a commit.
    pub transactions: Vec<Transaction>,
    /// Why the walk ended.
    pub end: LogEnd,
}

impl<'v> Journal<'v> {
    /// Opens `journal:SLOT` and checks its superblock.
    pub fn open(vol: &'v Volume, slot: u16) -> Result<Self> {
        let (blkno, inode) = state::journal_inode(vol, slot)?;
        let h = inode.header();
        let reader = FileReader::new(vol, &inode)?;
        let bs = vol.block_size();
        // The JBD2 superblock is 1024 bytes: two blocks on 512-byte-block volumes.
        let mut first = vec![0u8; bs.max(1024)];
        if reader.read_full_at(0, &mut first)? != first.len() {
            return Err(Error::corrupt(
                blkno,
                "ocfs2_dinode",
                "i_size",
                format!(">= {bs} for a journal"),
                h.i_size.get(),
            ));
        }
        let jblk = match reader.extent_map().map(vol, 0) {
            crate::fs::Mapping::Block { blkno, .. } => blkno,
            crate::fs::Mapping::Hole => blkno,
        };
        let sb = *Superblock::parse(&first, jblk, vol.geometry().block_size)?;
        let unsupported = sb.unsupported_incompat();
        if unsupported != 0 {
            return Err(Error::Unsupported { what: "JBD2 incompat feature", bit: u64::from(unsupported) });
        }
        // Only blocks the extent tree maps count: a huge i_size over holes must
        // not make a scan classify terabytes of zeros.
        let mapped = vol.geometry().cluster_to_block(reader.extent_map().mapped_clusters());
        let file_blocks = (h.i_size.get() / bs as u64).min(mapped);
        if u64::from(sb.s_maxlen.get()) > file_blocks {
            return Err(Error::corrupt(
                jblk,
                "journal_superblock_t",
                "s_maxlen",
                format!("<= {file_blocks} blocks in the file"),
                sb.s_maxlen.get(),
            ));
        }
        Ok(Journal {
            vol,
            blocks: sb.s_maxlen.get(),
            reader,
            state: JournalState::of_inode(slot, blkno, &inode),
            sb,
            block_size: bs,
        })
    }

    /// The JBD2 superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// What the journal inode says of the slot.
    pub fn state(&self) -> JournalState {
        self.state
    }

    /// The journal inode's block number.
    pub fn inode(&self) -> u64 {
        self.state.inode
    }

    /// The slot.
    pub fn slot(&self) -> u16 {
        self.state.slot
    }

    /// Whether the OCFS2 journal inode says the slot needs recovery (DIRTY).
    pub fn dirty(&self) -> bool {
        self.state.dirty
    }

    /// `ij_flags` of the journal inode.
    pub fn ij_flags(&self) -> u32 {
        self.state.flags
    }

    /// `ij_recovery_generation`.
    pub fn recovery_generation(&self) -> u32 {
        self.state.recovery_generation
    }

    /// The volume block holding log block `n`, or `None` for a hole.
    pub fn log_block_location(&self, n: u32) -> Option<u64> {
        match self.reader.extent_map().map(self.vol, u64::from(n)) {
            crate::fs::Mapping::Block { blkno, .. } => Some(blkno),
            crate::fs::Mapping::Hole => None,
        }
    }

    /// Reads log block `n`.
    pub fn read(&self, n: u32) -> Result<Vec<u8>> {
        let mut b = vec![0u8; self.block_size];
        self.reader.read_at(u64::from(n) * self.block_size as u64, &mut b)?;
        Ok(b)
    }

    fn classify(&self, n: u32, block: &[u8]) -> Result<BlockKind> {
        let Some(h) = view_at::<Header>(block, 0) else { return Ok(BlockKind::Data) };
        if h.h_magic.get() != jbd2::MAGIC {
            return Ok(metadata_kind(block).map_or(BlockKind::Data, BlockKind::Metadata));
        }
        let sequence = h.h_sequence.get();
        Ok(match h.h_blocktype.get() {
            block_type::SUPERBLOCK_V1 | block_type::SUPERBLOCK_V2 if n == 0 => BlockKind::Superblock,
            block_type::DESCRIPTOR => {
                BlockKind::Descriptor { sequence, tags: descriptor_tags(block, self.sb.tag_layout()) }
            }
            block_type::COMMIT => {
                let c = view_at::<CommitHeader>(block, 0);
                BlockKind::Commit {
                    sequence,
                    sec: c.map_or(0, |c| c.h_commit_sec.get()),
                    nsec: c.map_or(0, |c| c.h_commit_nsec.get()),
                }
            }
            block_type::REVOKE => BlockKind::Revoke {
                sequence,
                blocks: revoke_records(
                    &block[..block.len() - self.sb.tag_layout().tail],
                    u64::from(n),
                    self.sb.revoke_record_size(),
                )?,
            },
            t => BlockKind::UnknownJbd2 { block_type: t, sequence },
        })
    }

    /// Every block of the log in order, classified; consecutive data blocks are
    /// grouped into one entry.
    pub fn scan(&self) -> Result<Vec<ScanEntry>> {
        let bs = self.block_size;
        let per_chunk = (SCAN_CHUNK / bs).max(1) as u32;
        let mut buf = vec![0u8; per_chunk as usize * bs];
        let mut out: Vec<ScanEntry> = Vec::new();
        let mut n = 0u32;
        while n < self.blocks {
            let count = per_chunk.min(self.blocks - n);
            let bytes = &mut buf[..count as usize * bs];
            // One call may stop at an extent's end: fill the whole chunk.
            let got = self.reader.read_full_at(u64::from(n) * bs as u64, bytes)?;
            if got < bytes.len() {
                return Err(Error::corrupt(
                    self.state.inode,
                    "ocfs2_dinode",
                    "i_size",
                    format!("the journal's {} blocks", self.blocks),
                    format!("{} blocks", u64::from(n) + (got / bs) as u64),
                ));
            }
            for (i, block) in bytes.chunks_exact(bs).enumerate() {
                let blk = n + i as u32;
                let kind = self.classify(blk, block)?;
                match out.last_mut() {
                    Some(last) if kind == BlockKind::Data && last.kind == BlockKind::Data => last.count += 1,
                    _ => out.push(ScanEntry { first: blk, count: 1, kind }),
                }
            }
            n += count;
        }
        Ok(out)
    }

    /// Walks the log in replay order from `s_start`, expecting `s_sequence`, and
    /// stops where the log ends. The walk visits each log block at most once.
    pub fn replay(&self) -> Result<Replay> {
        let first = self.sb.s_first.get();
        let mut pos = self.sb.s_start.get();
        if pos == 0 {
            return Ok(Replay { transactions: Vec::new(), end: LogEnd::Clean });
        }
        let mut expected = self.sb.s_sequence.get();
        let mut txs: Vec<Transaction> = Vec::new();
        let mut steps = 0u32;
        let usable = self.blocks - first;
        let next = |p: u32| if p + 1 >= self.blocks { first } else { p + 1 };
        let end = loop {
            if steps >= usable {
                break LogEnd::Wrapped;
            }
            let block = self.read(pos)?;
            let kind = self.classify(pos, &block)?;
            let (seq, is_jbd2) = match &kind {
                BlockKind::Descriptor { sequence, .. }
                | BlockKind::Commit { sequence, .. }
                | BlockKind::Revoke { sequence, .. } => (*sequence, true),
                BlockKind::UnknownJbd2 { sequence, .. } => (*sequence, true),
                _ => (0, false),
            };
            if !is_jbd2 {
                break LogEnd::NoMagic { block: pos };
            }
            if seq != expected {
                break LogEnd::Sequence { block: pos, expected, found: seq };
            }
            if txs.last().is_none_or(|t| t.sequence != seq || t.commit.is_some()) {
                txs.push(Transaction {
                    sequence: seq,
                    start: pos,
                    blocks: Vec::new(),
                    revokes: Vec::new(),
                    commit: None,
                });
            }
            let tx = txs.last_mut().unwrap_or_else(|| unreachable!("pushed above"));
            steps += 1;
            match kind {
                BlockKind::Descriptor { tags, .. } => {
                    for tag in tags {
                        if steps >= usable {
                            break;
                        }
                        pos = next(pos);
                        steps += 1;
                        tx.blocks.push((pos, tag));
                    }
                }
                BlockKind::Revoke { blocks, .. } => tx.revokes.extend(blocks),
                BlockKind::Commit { sec, nsec, .. } => {
                    tx.commit = Some((sec, nsec));
                    expected = expected.wrapping_add(1);
                }
                _ => {
                    break LogEnd::NoMagic { block: pos };
                }
            }
            pos = next(pos);
        };
        Ok(Replay { transactions: txs, end })
    }
}

/// The OCFS2 structure a block holds, judged by its signature.
pub fn metadata_kind(block: &[u8]) -> Option<&'static str> {
    let sig = block.get(..8)?;
    let kinds: [(&[u8], &str); 8] = [
        (b"INODE01\0", "Inode"),
        (b"OCFSV2\0\0", "Superblock"),
        (b"EXBLK01\0", "Extent"),
        (b"GROUP01\0", "Group"),
        (b"XATTR01\0", "Xattr"),
        (b"REFCNT1\0", "Refcount"),
        (b"DXDIR01\0", "DxRoot"),
        (b"DXLEAF1\0", "DxLeaf"),
    ];
    if let Some((_, k)) = kinds.iter().find(|(s, _)| *s == sig) {
        return Some(k);
    }
    let t = block.len().checked_sub(48)?;
    (&block[t..t + 8] == crate::layout::dir::TRAILER_SIGNATURE).then_some("DirBlock")
}
