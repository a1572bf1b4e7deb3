//! OCFS2 recovery, read-only: which slots' journals need it, what replaying
//! them changes ([`Recovery`], applied by [`ReplaySource`] as an overlay), and
//! what OCFS2's own steps after the log would free or delete ([`Aftermath`],
//! reported only).
//!
//! A slot is replayed when its journal inode has the DIRTY flag *and* its JBD2
//! superblock has `s_start != 0`, as fsck.ocfs2 decides (`s_start` alone is not
//! enough: mkfs leaves it at 1 in an empty log). Slots are replayed in slot
//! order, as fsck.ocfs2 does; a block two slots logged takes the later slot's
//! copy, and a warning says so.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::replay::{replay_log, Log, LogParams, LogReplay, ReplayWarning};
use super::Journal;
use crate::error::{Error, InvalidKind, Result};
use crate::io::BlockSource;
use crate::layout::dinode::{Id2, JOURNAL_DIRTY};
use crate::layout::system_file::SystemFile;
use crate::volume::Volume;

/// Where the copy of a replayed block comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayedBlock {
    /// The slot whose journal holds it.
    pub slot: u16,
    /// The transaction that logged it.
    pub sequence: u32,
    /// Its block in the journal file.
    pub log_block: u32,
    /// The volume block holding that log block.
    pub from: u64,
    /// Whether the first four bytes are restored to the JBD2 magic.
    pub escaped: bool,
}

/// One slot, as recovery finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecovery {
    /// The slot.
    pub slot: u16,
    /// The `journal:N` inode.
    pub journal_inode: u64,
    /// The DIRTY flag: the slot needs recovery (replay, then OCFS2's own steps).
    pub dirty: bool,
    /// The replay of its log, when it has one to replay (DIRTY and `s_start != 0`).
    pub log: Option<LogReplay>,
}

/// What replaying every dirty journal of a volume writes, in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    slots: Vec<SlotRecovery>,
    blocks: BTreeMap<u64, ReplayedBlock>,
    warnings: Vec<ReplayWarning>,
}

impl Log for Journal<'_> {
    /// Borrowed from the source where it is memory (no copy per control block);
    /// a hole in the journal file reads as zeros, as [`Journal::read`] does.
    fn read(&self, n: u32) -> Result<Cow<'_, [u8]>> {
        match self.log_block_location(n) {
            Some(blkno) => self.vol.read_block(blkno),
            None => Ok(Cow::Owned(vec![0u8; self.block_size])),
        }
    }
}

impl Recovery {
    /// Replays, in memory, the journal of every slot that needs it. A journal that
    /// cannot be read, or a log that goes bad, is a warning (the slot is replayed
    /// up to its last good transaction, or not at all), never an error: the other
    /// slots still count. `detail` keeps every transaction's tags (for a plan).
    pub fn read(vol: &Volume, detail: bool) -> Result<Recovery> {
        let mut rec = Recovery::default();
        for slot in 0..vol.superblock().s_max_slots.get() {
            let Ok(inode) = vol.system_file(SystemFile::journal(slot)) else { continue };
            let dirty = match vol.inode(inode) {
                Ok(i) => i.header().journal1().ij_flags.get() & JOURNAL_DIRTY != 0,
                Err(e) => {
                    rec.warn(slot, "journal inode", format!("{e}; not replayed"));
                    continue;
                }
            };
            let mut s = SlotRecovery { slot, journal_inode: inode, dirty, log: None };
            if dirty {
                match Journal::open(vol, slot) {
                    Ok(j) if j.superblock().needs_recovery() => {
                        let log = replay_log(&j, &LogParams::new(slot, j.superblock(), vol.geometry().blocks), detail);
                        rec.merge(&j, &log);
                        s.log = Some(log);
                    }
                    Ok(_) => {}
                    Err(e) => rec.warn(slot, "journal superblock", format!("{e}; not replayed")),
                }
            }
            rec.slots.push(s);
        }
        Ok(rec)
    }

    fn warn(&mut self, slot: u16, field: &'static str, message: String) {
        self.warnings.push(ReplayWarning { slot, log_block: None, field, message });
    }

    fn merge(&mut self, j: &Journal<'_>, log: &LogReplay) {
        self.warnings.extend(log.warnings.iter().cloned());
        for (&home, w) in &log.blocks {
            let Some(from) = j.log_block_location(w.log_block) else {
                self.warnings.push(ReplayWarning {
                    slot: j.slot(),
                    log_block: Some(w.log_block),
                    field: "i_size",
                    message: format!("the journal file has a hole there; block {home} keeps its home copy"),
                });
                continue;
            };
            let r = ReplayedBlock {
                slot: j.slot(),
                sequence: w.sequence,
                log_block: w.log_block,
                from,
                escaped: w.escaped,
            };
            if let Some(old) = self.blocks.insert(home, r) {
                self.warnings.push(ReplayWarning {
                    slot: j.slot(),
                    log_block: Some(w.log_block),
                    field: "t_blocknr",
                    message: format!(
                        "block {home} is also logged by slot {}; this later slot's copy is used, as fsck.ocfs2 replays in slot order",
                        old.slot
                    ),
                });
            }
        }
    }

    /// Every slot with a journal, in order.
    pub fn slots(&self) -> &[SlotRecovery] {
        &self.slots
    }

    /// Whether any block is replayed.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The replayed copy of home block `blkno`, if recovery writes one.
    pub fn block(&self, blkno: u64) -> Option<&ReplayedBlock> {
        self.blocks.get(&blkno)
    }

    /// Every replayed home block, in block order.
    pub fn blocks(&self) -> impl Iterator<Item = (u64, &ReplayedBlock)> + '_ {
        self.blocks.iter().map(|(&b, r)| (b, r))
    }

    /// Why a slot was replayed only in part or not at all, and what was not checked.
    pub fn warnings(&self) -> &[ReplayWarning] {
        &self.warnings
    }
}

/// The slots whose journals hold transactions recovery would replay: DIRTY
/// and `s_start != 0`. Cheap (one inode and one journal block per slot); slots
/// whose journal cannot be read are left out.
pub fn pending(vol: &Volume) -> Vec<u16> {
    (0..vol.superblock().s_max_slots.get())
        .filter(|&s| Journal::open(vol, s).is_ok_and(|j| j.dirty() && j.superblock().needs_recovery()))
        .collect()
}

/// A source that reads as the volume would after journal replay: each replayed
/// block reads as its last committed copy in the log, everything else as the
/// source underneath, which is never written.
#[derive(Debug)]
pub struct ReplaySource<S> {
    inner: S,
    recovery: Arc<Recovery>,
    block_bits: u32,
}

impl<S: BlockSource> ReplaySource<S> {
    /// The overlay of `recovery` (computed on this volume, `1 << block_bits`-byte
    /// blocks) over `inner`.
    pub fn new(inner: S, recovery: Arc<Recovery>, block_bits: u32) -> Self {
        ReplaySource { inner, recovery, block_bits }
    }

    /// Whether any replayed block overlaps `offset..offset + len`.
    fn touches(&self, offset: u64, len: usize) -> bool {
        len != 0 && self.recovery.blocks.range(self.span(offset, len)).next().is_some()
    }

    fn span(&self, offset: u64, len: usize) -> std::ops::RangeInclusive<u64> {
        (offset >> self.block_bits)..=(offset.saturating_add(len as u64 - 1) >> self.block_bits)
    }

    /// Copies the replayed blocks' bytes into `buf`, which holds `offset..`.
    fn patch(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let bs = 1usize << self.block_bits;
        let end = offset + buf.len() as u64;
        for (&home, r) in self.recovery.blocks.range(self.span(offset, buf.len())) {
            let copy = self.inner.bytes(r.from << self.block_bits, bs)?;
            let at = home << self.block_bits;
            let (s, e) = (at.max(offset), (at + bs as u64).min(end));
            let dst = &mut buf[(s - offset) as usize..(e - offset) as usize];
            dst.copy_from_slice(&copy[(s - at) as usize..(e - at) as usize]);
            if r.escaped {
                // The escape zeroed the copy's first four bytes (the JBD2 magic).
                let magic = crate::layout::jbd2::MAGIC.to_be_bytes();
                let (from, to) = ((s - at) as usize, ((e - at) as usize).min(magic.len()));
                if from < to {
                    dst[..to - from].copy_from_slice(&magic[from..to]);
                }
            }
        }
        Ok(())
    }
}

impl<S: BlockSource> BlockSource for ReplaySource<S> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read_at(offset, buf)?;
        self.patch(offset, buf)
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        if !self.touches(offset, len) {
            return self.inner.bytes(offset, len);
        }
        // One whole replayed block that needs no unescaping: its logged copy as it
        // lies in the journal, borrowed when the source is memory-resident.
        let bs = 1usize << self.block_bits;
        if len == bs && offset % bs as u64 == 0 {
            if let Some(r) = self.recovery.blocks.get(&(offset >> self.block_bits)) {
                if !r.escaped {
                    return self.inner.bytes(r.from << self.block_bits, bs);
                }
            }
        }
        let mut b = self.inner.bytes(offset, len)?.into_owned();
        self.patch(offset, &mut b)?;
        Ok(Cow::Owned(b))
    }

    fn underlying(&self) -> Option<&dyn BlockSource> {
        Some(&self.inner)
    }
}

/// What OCFS2's recovery does after the log, for one dirty slot
/// (`ocfs2_complete_recovery`): the view does not apply it (see the README),
/// this says what it would free or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aftermath {
    /// The slot.
    pub slot: u16,
    /// The local-alloc window the slot held, and the runs of its clusters the
    /// window leaves unused: recovery empties the window and frees those runs in
    /// the global bitmap (`ocfs2_sync_local_to_main`). `None` when unreadable.
    pub local_alloc: Option<LocalAllocReturn>,
    /// Truncate-log records `(first cluster, clusters)`: recovery moves them to the
    /// recovering node's truncate log, whose flush frees them.
    pub truncate_log: Vec<(u32, u32)>,
    /// Orphans: inodes recovery wipes (data and xattrs freed, inode bit cleared).
    pub orphans: Vec<Orphan>,
    /// Parts that could not be read.
    pub errors: Vec<String>,
}

/// The local-alloc window a recovered slot gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAllocReturn {
    /// `la_bm_off`: the window's first cluster.
    pub bm_off: u32,
    /// `i_total`: clusters in the window.
    pub total: u32,
    /// `i_used`.
    pub used: u32,
    /// Runs `(first cluster, clusters)` of window bits that are 0: freed.
    pub freed: Vec<(u64, u64)>,
}

/// An orphan recovery would delete.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Orphan {
    /// The inode.
    pub inode: u64,
    /// The entry's name in the orphan directory (serialized as UTF-8 text,
    /// invalid bytes replaced by U+FFFD).
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serialize::lossy"))]
    pub name: Vec<u8>,
    /// `i_size`.
    pub size: u64,
    /// `i_clusters`: clusters freed with it.
    pub clusters: u32,
}

/// What OCFS2's steps after the log would do for `slot`, read from `vol` (open it
/// with replay to see them after the log, as the kernel does).
pub fn aftermath(vol: &Volume, slot: u16) -> Aftermath {
    let mut a =
        Aftermath { slot, local_alloc: None, truncate_log: Vec::new(), orphans: Vec::new(), errors: Vec::new() };
    match local_alloc_return(vol, slot) {
        Ok(la) => a.local_alloc = Some(la),
        Err(e) => a.errors.push(format!("{}: {e}", SystemFile::local_alloc(slot))),
    }
    match crate::alloc::truncate_log(vol, slot) {
        Ok(t) => a.truncate_log = t.recs,
        Err(e) => a.errors.push(format!("{}: {e}", SystemFile::truncate_log(slot))),
    }
    match crate::alloc::orphans(vol, slot) {
        Ok(list) => {
            for o in list {
                match vol.inode(o.inode) {
                    Ok(i) => a.orphans.push(Orphan {
                        inode: o.inode,
                        name: o.name,
                        size: i.header().i_size.get(),
                        clusters: i.header().i_clusters.get(),
                    }),
                    Err(e) => a.errors.push(format!("orphan {}: {e}", o.inode)),
                }
            }
        }
        Err(e) => a.errors.push(format!("{}: {e}", SystemFile::orphan_dir(slot))),
    }
    a
}

fn local_alloc_return(vol: &Volume, slot: u16) -> Result<LocalAllocReturn> {
    let info = crate::alloc::local_alloc(vol, slot)?;
    let inode = vol.inode(info.inode)?;
    let Id2::LocalAlloc(_, bitmap) = inode.dinode().id2()? else {
        return Err(Error::invalid(
            InvalidKind::WrongType,
            format!("inode {} is no longer a local-alloc inode", info.inode),
        ));
    };
    let total = (info.total as usize).min(bitmap.len() * 8);
    // Runs of clear bits in 0..i_total (bounded by the bitmap: local_alloc() checked it).
    let mut freed: Vec<(u64, u64)> = Vec::new();
    for bit in 0..total {
        if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
            continue;
        }
        let c = u64::from(info.bm_off) + bit as u64;
        match freed.last_mut() {
            Some((start, n)) if *start + *n == c => *n += 1,
            _ => freed.push((c, 1)),
        }
    }
    Ok(LocalAllocReturn { bm_off: info.bm_off, total: info.total, used: info.used, freed })
}
