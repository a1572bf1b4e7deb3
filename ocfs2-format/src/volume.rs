//! [`Volume`]: an opened OCFS2 volume. It probes the superblock, knows the
//! geometry, reads blocks bounded by the volume, validates every metadata block
//! (signature, self block number, fs generation, metadata ECC) and finds system
//! files by name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{CorruptionKind, Error, InvalidKind, Result, Value};
use crate::io::{self, BlockSource};
use crate::journal::recovery::{Recovery, ReplaySource};
use crate::layout::blockcheck::{self, CheckOutcome};
use crate::layout::dinode::{Dinode, DinodeHeader};
use crate::layout::superblock::{self, incompat, SuperBlock, SUPERBLOCK_BLKNO, SUPERBLOCK_SIGNATURE};
use crate::layout::{cstr, view_at};

/// Kept here too: `Volume::geometry` returns it.
pub use crate::layout::geometry::Geometry;
/// Kept here too: `Volume::read_meta` takes it.
pub use crate::layout::MetaKind;

/// What [`Volume::read_meta_unchecked`] found wrong with a metadata block whose
/// signature is right. debugfs.ocfs2 1.8.7 marks only the checksum
/// (`**FAILED CHECKSUM**`); it shows a wrong self block number or fs generation
/// without a mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetaFaults {
    /// The checksum failed and no single-bit repair fixed it: the stored check and
    /// the one computed over the block as read.
    pub checksum: Option<blockcheck::CheckFailure>,
    /// The block number the block records, when it is not the block read.
    pub blkno: Option<u64>,
    /// The fs generation the block records, when it is not the volume's.
    pub fs_generation: Option<u32>,
}

impl MetaFaults {
    /// Whether every check passed.
    pub fn is_clean(&self) -> bool {
        *self == MetaFaults::default()
    }

    /// The error [`Volume::read_meta`] refuses the block with: the checksum first,
    /// then the block number, then the generation.
    fn first_error(&self, blkno: u64, kind: MetaKind, generation: u32) -> Result<()> {
        if let Some(f) = self.checksum {
            return Err(Error::corrupt(
                blkno,
                kind.structure,
                "bc_crc32e",
                format!("{:#010x} (computed)", f.computed_crc),
                format!("{:#010x}", f.stored.crc32e.get()),
            ));
        }
        if let Some(found) = self.blkno {
            return Err(Error::corrupt(blkno, kind.structure, "blkno", blkno, found));
        }
        if let Some(found) = self.fs_generation {
            return Err(Error::corrupt(
                blkno,
                kind.structure,
                "fs_generation",
                Value::Hex(generation.into()),
                Value::Hex(found.into()),
            ));
        }
        Ok(())
    }
}

/// A metadata block read for display, with what its checks found.
#[derive(Debug, Clone)]
pub struct CheckedBlock<'v> {
    /// The block as read (a single-bit ECC error repaired).
    pub block: Cow<'v, [u8]>,
    /// The checks that failed.
    pub faults: MetaFaults,
}

/// A single-bit error that metadata ECC corrected in memory (the medium is never
/// written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EccCorrection {
    /// The block.
    pub blkno: u64,
    /// The data bit that was flipped back.
    pub bit: u64,
}

/// How to open a volume.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Read the superblock from backup `n` (1-based, as `debugfs.ocfs2 -s n`)
    /// instead of block 2.
    pub backup: Option<usize>,
    /// How to reach the medium.
    pub access: io::Access,
    /// Byte offset of the volume inside the image or device (a volume that does
    /// not start at byte 0 of a disk image). Counts from the start of the
    /// partition when one is chosen.
    pub offset: u64,
    /// Read the volume as journal recovery would leave it: every dirty slot's
    /// committed transactions are replayed in memory ([`journal::recovery`]);
    /// the medium is never written. [`Volume::recovery`] says what was replayed.
    ///
    /// [`journal::recovery`]: crate::journal::recovery
    pub replay: bool,
    /// Partition `n` (1-based, as partition tools number them) of a disk image.
    /// Without it, a disk whose only OCFS2 volume is in a partition opens that
    /// one ([`Volume::partition`] says which).
    pub partition: Option<u32>,
}

/// An inode block read and validated, with its typed view.
#[derive(Debug, Clone)]
pub struct Inode<'v> {
    blkno: u64,
    block: Cow<'v, [u8]>,
}

impl Inode<'static> {
    /// An inode from a block read elsewhere (a journal's logged copy), checked
    /// only as a dinode (size and layout), not against the volume.
    pub fn from_block(blkno: u64, block: Vec<u8>) -> Result<Self> {
        Dinode::new(&block, blkno)?;
        Ok(Inode { blkno, block: Cow::Owned(block) })
    }
}

impl<'v> Inode<'v> {
    /// The inode's block number (its inode number).
    pub fn blkno(&self) -> u64 {
        self.blkno
    }
    /// The typed view.
    pub fn dinode(&self) -> Dinode<'_> {
        Dinode::new(&self.block, self.blkno).unwrap_or_else(|_| unreachable!("validated on read"))
    }
    /// The fixed header.
    pub fn header(&self) -> &DinodeHeader {
        self.dinode().header()
    }
    /// The raw block.
    pub fn block(&self) -> &[u8] {
        &self.block
    }
}

/// An opened OCFS2 volume (read-only).
#[derive(Debug)]
pub struct Volume {
    src: Box<dyn BlockSource>,
    sb_block: Vec<u8>,
    geo: Geometry,
    generation: u32,
    meta_ecc: bool,
    corrections: Mutex<Vec<EccCorrection>>,
    /// The system directory's names, filled by `fs`'s `Volume::system_file` on
    /// first use (a directory read belongs to `fs`, which builds on `Volume`).
    pub(crate) sysdir: OnceLock<HashMap<Vec<u8>, u64>>,
    /// The names path resolution went through, filled and bounded by the
    /// facade (`files/names.rs`, which says why it is sound).
    pub(crate) names: NameCache,
    recovery: Option<Arc<Recovery>>,
    partition: Option<crate::intake::ChosenPartition>,
}

/// Directory inode -> name -> what it named, with the count of names: the
/// facade's memo, kept here as `sysdir` is because it lives as long as the
/// volume (its methods are in `files/names.rs`).
#[derive(Debug, Default)]
pub(crate) struct NameCache(pub(crate) Mutex<NameMap>);

/// What [`NameCache`] holds.
#[derive(Debug, Default)]
pub(crate) struct NameMap {
    pub(crate) by_dir: HashMap<u64, HashMap<Box<[u8]>, Named>>,
    pub(crate) len: usize,
}

/// What a name in a path resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Named {
    pub(crate) ino: u64,
    /// Whether that inode is a symlink, when it was read (a lookup that
    /// follows no symlink does not read it).
    pub(crate) symlink: Option<bool>,
}

impl Volume {
    /// Opens the image or device at `path` (a `.zst` image is decompressed into
    /// memory).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens `path` with options.
    pub fn open_with(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Self> {
        Self::from_source_at(io::open_with(path.as_ref(), opts.access)?, opts)
    }

    /// [`Volume::open_with`], reporting the decompression of a `.zst` image to
    /// `on`, which may cancel it ([`Error::Cancelled`]); see [`crate::progress`].
    pub fn open_with_progress(
        path: impl AsRef<Path>,
        opts: OpenOptions,
        on: &mut crate::progress::OnProgress<'_>,
    ) -> Result<Self> {
        Self::from_source_at(io::open_with_progress(path.as_ref(), opts.access, on)?, opts)
    }

    /// Opens a volume read through `reader` (any `Read + Seek`: a `Cursor`, a
    /// network or decrypting stream); `opts.offset` is where the volume starts
    /// in it. Reads are serialized through a lock (see [`io::ReaderSource`]).
    pub fn from_reader<R: std::io::Read + std::io::Seek + Send + 'static>(
        reader: R,
        opts: OpenOptions,
    ) -> Result<Self> {
        Self::from_source_at(Box::new(io::ReaderSource::new(reader)?), opts)
    }

    /// Opens a volume held in memory, without copying it: `bytes` is any owner
    /// of bytes (`Vec<u8>`, `Arc<[u8]>`, `Box<[u8]>`, `&'static [u8]`, a memory
    /// map); `opts.offset` is where the volume starts in them.
    pub fn from_bytes<B: AsRef<[u8]> + Send + Sync + 'static>(bytes: B, opts: OpenOptions) -> Result<Self> {
        Self::from_source_at(Box::new(io::BytesSource::new(bytes)), opts)
    }

    /// [`Volume::from_source`] after `opts.partition` and `opts.offset` are
    /// applied to `src` (see [`crate::intake::select`]): for a source that is a
    /// whole disk image or holds the volume at an offset.
    pub fn from_source_at(src: Box<dyn BlockSource>, opts: OpenOptions) -> Result<Self> {
        let (src, partition) = crate::intake::select(src, &opts)?;
        Ok(Volume { partition, ..Self::from_source(src, opts)? })
    }

    /// The partition of a disk image the volume was opened from, if any.
    pub fn partition(&self) -> Option<&crate::intake::ChosenPartition> {
        self.partition.as_ref()
    }

    /// Opens a volume over any byte source: the source is the volume, from its
    /// first byte (`opts.offset` is not applied here: wrap the source in an
    /// [`io::RangeSource`] for a volume inside a larger image). With
    /// [`OpenOptions::replay`], the volume is probed, its dirty journals are
    /// replayed in memory, and it is opened again over the overlay.
    pub fn from_source(src: Box<dyn BlockSource>, opts: OpenOptions) -> Result<Self> {
        let mut vol = Self::probe(src, opts)?;
        if !opts.replay {
            return Ok(vol);
        }
        let recovery = Arc::new(Recovery::read(&vol, false)?);
        if !recovery.is_empty() {
            let overlay = ReplaySource::new(vol.src, Arc::clone(&recovery), vol.geo.block_bits);
            vol = Self::probe(Box::new(overlay), opts)?;
        }
        vol.recovery = Some(recovery);
        Ok(vol)
    }

    fn probe(src: Box<dyn BlockSource>, opts: OpenOptions) -> Result<Self> {
        let (bits, blkno, mut block) = match opts.backup {
            None => probe_primary(src.as_ref())?,
            Some(n) => probe_backup(src.as_ref(), n)?,
        };
        let meta_ecc = {
            let sb = sb_of(&block);
            sb.s_feature_incompat.get() & incompat::META_ECC != 0
        };
        let mut corrections = Vec::new();
        if meta_ecc {
            if let Some(bit) = verify_ecc(&mut block, MetaKind::INODE, blkno, "ocfs2_dinode (superblock)")? {
                corrections.push(EccCorrection { blkno, bit });
            }
        }
        let hdr = view_at::<DinodeHeader>(&block, 0).unwrap_or_else(|| unreachable!("probed"));
        let sb = sb_of(&block);
        let unknown = sb.s_feature_incompat.get() & !incompat::KNOWN;
        if unknown != 0 {
            return Err(Error::Unsupported { what: "incompat feature", bit: u64::from(unknown) });
        }
        let cbits = sb.s_clustersize_bits.get();
        if !superblock::CLUSTERSIZE_BITS.contains(&cbits) {
            return Err(Error::corrupt(blkno, "ocfs2_super_block", "s_clustersize_bits", "12..=20", cbits));
        }
        let found = hdr.i_blkno.get();
        if found != blkno {
            return Err(Error::corrupt(blkno, "ocfs2_dinode (superblock)", "i_blkno", blkno, found));
        }
        if sb.s_max_slots.get() > superblock::MAX_SLOTS {
            return Err(Error::corrupt(blkno, "ocfs2_super_block", "s_max_slots", "<= 255", sb.s_max_slots.get()));
        }
        let clusters = hdr.i_clusters.get();
        let geo = Geometry {
            block_size: 1 << bits,
            block_bits: bits,
            cluster_size: 1 << cbits,
            cluster_bits: cbits,
            clusters,
            blocks: u64::from(clusters) << (cbits - bits),
            sb_blkno: blkno,
        };
        let generation = hdr.i_fs_generation.get();
        Ok(Volume {
            src,
            sb_block: block,
            geo,
            generation,
            meta_ecc,
            corrections: Mutex::new(corrections),
            sysdir: OnceLock::new(),
            names: Default::default(),
            recovery: None,
            partition: None,
        })
    }

    /// What journal replay changed, when the volume was opened with
    /// [`OpenOptions::replay`] (empty when no journal needed it); `None` otherwise.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_deref()
    }

    /// The geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// Bytes per block.
    pub fn block_size(&self) -> usize {
        self.geo.block_size as usize
    }

    /// The superblock.
    pub fn superblock(&self) -> &SuperBlock {
        sb_of(&self.sb_block)
    }

    /// The superblock's inode view.
    pub fn superblock_inode(&self) -> Inode<'_> {
        Inode { blkno: self.geo.sb_blkno, block: Cow::Borrowed(&self.sb_block) }
    }

    /// The fs generation every metadata block must carry.
    pub fn fs_generation(&self) -> u32 {
        self.generation
    }

    /// Whether metadata ECC is checked on every read (the volume has META_ECC).
    pub fn has_meta_ecc(&self) -> bool {
        self.meta_ecc
    }

    /// Size of the underlying source in bytes (may be less than the volume when an
    /// image is truncated).
    pub fn source_size(&self) -> u64 {
        self.src.size()
    }

    /// How many bytes of the volume the source lacks (an image cut short of the
    /// superblock's block count), or `None` when it holds the whole volume. Reads
    /// past the end fail with [`Error::Truncated`].
    pub fn missing_bytes(&self) -> Option<u64> {
        let need = self.geo.blocks.saturating_mul(u64::from(self.geo.block_size));
        need.checked_sub(self.source_size()).filter(|&m| m > 0)
    }

    /// Single-bit errors corrected in memory so far.
    pub fn ecc_corrections(&self) -> Vec<EccCorrection> {
        self.corrections.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Block numbers of the backup superblocks this volume's size allows (only
    /// meaningful with the BACKUP_SB feature).
    pub fn backup_blknos(&self) -> Vec<u64> {
        (0..superblock::NUM_BACKUPS)
            .map(|n| superblock::backup_offset(n) >> self.geo.block_bits)
            .filter(|&b| b < self.geo.blocks)
            .collect()
    }

    /// Reads block `blkno` without validation. Fails for blocks past the end of
    /// the volume, and with [`Error::Truncated`] past the end of a short image.
    pub fn read_block(&self, blkno: u64) -> Result<Cow<'_, [u8]>> {
        self.read_blocks(blkno, 1)
    }

    /// Hints that the blocks `blknos` will be read soon (see
    /// [`BlockSource::prefetch`]): adjacent blocks are hinted as one range, blocks
    /// past the end of the volume are skipped. Costs one system call per range on
    /// a memory-mapped image and nothing elsewhere.
    /// When a sample of the blocks is already cached, nothing is hinted.
    pub fn prefetch_blocks(&self, blknos: impl IntoIterator<Item = u64>) {
        let blknos: Vec<u64> = blknos.into_iter().filter(|&b| b < self.geo.blocks).collect();
        // Sixteen probes spread over the list: a warm cache skips the hints.
        const PROBES: usize = 16;
        let step = blknos.len().div_ceil(PROBES).max(1);
        if blknos.iter().step_by(step).all(|&b| self.src.is_cached(self.geo.block_offset(b))) {
            return;
        }
        let mut ranges: Vec<(u64, u64)> = Vec::new(); // (first, count)
        for b in blknos {
            match ranges.last_mut() {
                Some((first, count)) if *first + *count == b => *count += 1,
                _ => ranges.push((b, 1)),
            }
        }
        // Each hint is a system call, and one that starts a read also notifies
        // the disk: long lists are shared among the cores (the 125,000 groups of
        // a 15 TiB bitmap with 5% of them evicted: 0.46 s -> 0.35 s for stat -t).
        let threads = io::walk_threads();
        if ranges.len() < 4096 || threads < 2 {
            ranges.iter().for_each(|&(first, count)| self.prefetch_range(first, count));
            return;
        }
        std::thread::scope(|s| {
            for part in ranges.chunks(ranges.len().div_ceil(threads)) {
                s.spawn(move || part.iter().for_each(|&(first, count)| self.prefetch_range(first, count)));
            }
        });
    }

    /// How many reads a walk over scattered blocks should keep in flight (see
    /// [`BlockSource::parallel_reads`]).
    pub fn parallel_reads(&self) -> usize {
        self.src.parallel_reads()
    }

    /// Hints `count` blocks from `blkno` (see [`Volume::prefetch_blocks`]).
    pub fn prefetch_range(&self, blkno: u64, count: u64) {
        if blkno >= self.geo.blocks {
            return;
        }
        let count = count.min(self.geo.blocks - blkno);
        self.src.prefetch(self.geo.block_offset(blkno), self.geo.block_offset(count));
    }

    /// Reads `count` consecutive blocks starting at `blkno` without validation.
    pub fn read_blocks(&self, blkno: u64, count: u64) -> Result<Cow<'_, [u8]>> {
        let end = blkno.checked_add(count).filter(|&e| e <= self.geo.blocks).ok_or_else(|| {
            Error::invalid(
                InvalidKind::Argument,
                format!("blocks {blkno}+{count} lie past the end of the volume ({} blocks)", self.geo.blocks),
            )
        })?;
        let off = self.geo.block_offset(blkno);
        let len = self.geo.block_offset(end - blkno);
        if off + len > self.src.size() {
            return Err(Error::Truncated {
                blkno: (self.src.size() >> self.geo.block_bits).max(blkno),
                size: self.src.size(),
            });
        }
        let len = usize::try_from(len)
            .map_err(|_| Error::invalid(InvalidKind::Limit, format!("read of {count} blocks is too large")))?;
        self.src.bytes(off, len)
    }

    /// Reads a metadata block of `kind` and validates its ECC (when the volume has
    /// META_ECC), signature, self block number and fs generation.
    pub fn read_meta(&self, blkno: u64, kind: MetaKind) -> Result<Cow<'_, [u8]>> {
        let checked = self.read_meta_unchecked(blkno, kind)?;
        checked.faults.first_error(blkno, kind, self.generation)?;
        Ok(checked.block)
    }

    /// Reads a metadata block of `kind` for display: the signature must match (else
    /// it is not that structure), but a failed checksum, a wrong self block number or
    /// fs generation is returned in [`MetaFaults`] instead of refusing the block, as
    /// debugfs.ocfs2 shows such blocks. A single-bit error is still repaired in
    /// memory. Walks that act on what a block says use [`Volume::read_meta`].
    pub fn read_meta_unchecked(&self, blkno: u64, kind: MetaKind) -> Result<CheckedBlock<'_>> {
        let mut block = self.read_block(blkno)?;
        let bs = self.block_size();
        let sig_at = kind.sig_at.resolve(bs);
        let sig = &block[sig_at..sig_at + 8];
        if sig != kind.signature {
            return Err(Error::corrupt(
                blkno,
                kind.structure,
                "signature",
                String::from_utf8_lossy(cstr(kind.signature)),
                Value::Bytes(sig.to_vec()),
            )
            .with_kind(CorruptionKind::Signature));
        }
        let mut faults = MetaFaults::default();
        if self.meta_ecc {
            let mut owned = block.into_owned();
            match blockcheck::verify(&mut owned, kind.check_at.resolve(bs)) {
                Ok(CheckOutcome::Clean) => {}
                Ok(CheckOutcome::Corrected { bit }) => {
                    if let Ok(mut c) = self.corrections.lock() {
                        c.push(EccCorrection { blkno, bit });
                    }
                }
                Err(f) => faults.checksum = Some(f),
            }
            block = Cow::Owned(owned);
        }
        let at = kind.blkno_at.resolve(bs);
        let found = u64::from_le_bytes(block[at..at + 8].try_into().unwrap_or_default());
        faults.blkno = (found != blkno).then_some(found);
        if let Some(g) = kind.generation_at {
            let at = g.resolve(bs);
            let found = u32::from_le_bytes(block[at..at + 4].try_into().unwrap_or_default());
            faults.fs_generation = (found != self.generation).then_some(found);
        }
        Ok(CheckedBlock { block, faults })
    }

    /// Reads and validates the inode at `blkno`.
    pub fn inode(&self, blkno: u64) -> Result<Inode<'_>> {
        if blkno == self.geo.sb_blkno {
            return Ok(self.superblock_inode());
        }
        let block = self.read_meta(blkno, MetaKind::INODE)?;
        Ok(Inode { blkno, block })
    }

    /// Reads the inode at `blkno` for display, with what its checks found (see
    /// [`Volume::read_meta_unchecked`]).
    pub fn inode_unchecked(&self, blkno: u64) -> Result<(Inode<'_>, MetaFaults)> {
        if blkno == self.geo.sb_blkno {
            return Ok((self.superblock_inode(), MetaFaults::default()));
        }
        let c = self.read_meta_unchecked(blkno, MetaKind::INODE)?;
        Ok((Inode { blkno, block: c.block }, c.faults))
    }

    /// The root directory's inode number.
    pub fn root_blkno(&self) -> u64 {
        self.superblock().s_root_blkno.get()
    }

    /// The system directory's inode number.
    pub fn system_dir_blkno(&self) -> u64 {
        self.superblock().s_system_dir_blkno.get()
    }

    /// Checks that `target`, referenced by `field` of `structure` in block `from`,
    /// is a block inside the volume.
    pub fn check_ref(&self, from: u64, structure: &'static str, field: &'static str, target: u64) -> Result<u64> {
        if target == 0 || target >= self.geo.blocks {
            return Err(Error::corrupt(from, structure, field, Value::Block(1..self.geo.blocks), target));
        }
        Ok(target)
    }
}

fn sb_of(block: &[u8]) -> &SuperBlock {
    view_at::<SuperBlock>(block, crate::layout::dinode::ID2_OFFSET).unwrap_or_else(|| unreachable!("probed"))
}

/// Verifies ECC in place; returns the corrected bit, if any.
fn verify_ecc(block: &mut [u8], kind: MetaKind, blkno: u64, structure: &'static str) -> Result<Option<u64>> {
    let at = kind.check_at.resolve(block.len());
    match blockcheck::verify(block, at) {
        Ok(CheckOutcome::Clean) => Ok(None),
        Ok(CheckOutcome::Corrected { bit }) => Ok(Some(bit)),
        Err(f) => Err(Error::corrupt(
            blkno,
            structure,
            "bc_crc32e",
            format!("{:#010x} (computed)", f.computed_crc),
            format!("{:#010x}", f.stored.crc32e.get()),
        )),
    }
}

/// The label and UUID of the OCFS2 volume starting at byte 0 of `src`, or
/// `None` when no superblock is there.
pub(crate) fn probe_superblock(src: &dyn BlockSource) -> Result<Option<crate::intake::VolumeId>> {
    match probe_primary(src) {
        Ok((_, _, block)) => {
            let sb = sb_of(&block);
            Ok(Some(crate::intake::VolumeId { label: sb.label().to_vec(), uuid: sb.uuid_hex() }))
        }
        Err(Error::NotOcfs2) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Looks for the superblock at block 2 for each block size.
fn probe_primary(src: &dyn BlockSource) -> Result<(u32, u64, Vec<u8>)> {
    for bits in superblock::BLOCKSIZE_BITS {
        let off = SUPERBLOCK_BLKNO << bits;
        if let Some(b) = probe_at(src, off, bits)? {
            return Ok((bits, SUPERBLOCK_BLKNO, b));
        }
    }
    Err(Error::NotOcfs2)
}

/// Looks for backup superblock `n` (1-based) for each block size.
fn probe_backup(src: &dyn BlockSource, n: usize) -> Result<(u32, u64, Vec<u8>)> {
    if n == 0 || n > superblock::NUM_BACKUPS {
        return Err(Error::invalid(
            InvalidKind::Argument,
            format!("backup superblock {n}: the range is 1..={}", superblock::NUM_BACKUPS),
        ));
    }
    let off = superblock::backup_offset(n - 1);
    for bits in superblock::BLOCKSIZE_BITS {
        if let Some(b) = probe_at(src, off, bits)? {
            let hdr = view_at::<DinodeHeader>(&b, 0).unwrap_or_else(|| unreachable!("probed"));
            if hdr.i_blkno.get() == off >> bits {
                return Ok((bits, off >> bits, b));
            }
        }
    }
    Err(Error::NotFound(format!("backup superblock {n} at byte offset {off}")))
}

/// Reads one block at `off` and returns it if it is a superblock of block size `1 << bits`.
fn probe_at(src: &dyn BlockSource, off: u64, bits: u32) -> Result<Option<Vec<u8>>> {
    let bs = 1usize << bits;
    if off + bs as u64 > src.size() {
        return Ok(None);
    }
    let block = src.bytes(off, bs)?;
    if &block[..8] != SUPERBLOCK_SIGNATURE {
        return Ok(None);
    }
    let hdr = view_at::<DinodeHeader>(&block, 0).unwrap_or_else(|| unreachable!("bs >= 512"));
    if hdr.i_flags.get() & crate::layout::dinode::flags::SUPER_BLOCK == 0 {
        return Ok(None);
    }
    if sb_of(&block).s_blocksize_bits.get() != bits {
        return Ok(None);
    }
    Ok(Some(block.into_owned()))
}
