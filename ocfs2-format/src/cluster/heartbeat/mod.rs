//! The o2hb disk heartbeat: where a volume's heartbeat region lies, sampling it,
//! what one sample says of a slot (its age, whether it is stale), the kernel's
//! liveness rules over samples, and a writer in the kernel's format (for tests
//! and simulators; the read-only inspector never constructs one).
//!
//! ```
//! use ocfs2_format::cluster::{NodeNum, Region, DEFAULT_SECTOR_SIZE};
//! use ocfs2_format::Volume;
//!
//! // A volume written by the Linux kernel while node 0 was heartbeating.
//! let vol = Volume::open("../fixtures/C1.img.zst")?;
//! let region = Region::locate(&vol, DEFAULT_SECTOR_SIZE)?;
//! let slots = region.read_volume(&vol)?;
//! let node0 = &slots[0];
//! assert_eq!(node0.slot, NodeNum(0));
//! assert!(node0.crc_ok() && node0.is_written());
//! assert_eq!(node0.generation(), 0x2ac7_e339_c208_3605);
//! # Ok::<(), ocfs2_format::Error>(())
//! ```

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, InvalidKind, Result};
use crate::fs::ExtentMap;
use crate::io::BlockSource;
use crate::layout::dinode::{flags, Id2};
use crate::layout::heartbeat::{check_sector_size, SlotReading, MAX_NODES};
use crate::layout::node::NodeNum;
use crate::layout::system_file::SystemFile;
use crate::volume::{OpenOptions, Volume};

mod liveness;
mod snapshot;
mod writer;

pub use liveness::{live_nodes, Change, DeadReason, Liveness, Observation, SlotCounters, Transition};
pub use snapshot::{beat_age, now_secs, BeatState};
pub use writer::{random_generation, OwnSlotProblem, Writer};

/// Slot size when the medium cannot tell (image files): 512 bytes.
pub const DEFAULT_SECTOR_SIZE: u32 = 512;
/// The kernel's heartbeat period (`O2HB_REGION_TIMEOUT_MS`).
pub const REGION_TIMEOUT_MS: u32 = 2000;
/// Changed samples that make a dead node live (`O2HB_LIVE_THRESHOLD`).
pub const LIVE_THRESHOLD: u32 = 2;
/// The default dead threshold in samples (`O2HB_DEFAULT_DEAD_THRESHOLD`).
pub const DEFAULT_DEAD_THRESHOLD: u32 = 31;
/// The smallest dead threshold the kernel accepts.
pub const MIN_DEAD_THRESHOLD: u32 = 2;

/// The dead threshold a writer advertises through `hb_dead_ms`
/// (`dead_ms = threshold × 2000`), or `None` when `dead_ms` is not a multiple.
pub fn threshold_from_dead_ms(dead_ms: u32) -> Option<u32> {
    (dead_ms != 0 && dead_ms % REGION_TIMEOUT_MS == 0).then_some(dead_ms / REGION_TIMEOUT_MS)
}

/// A heartbeat region: 255 slots of `sector_size` bytes from byte `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Byte offset of slot 0 on the medium.
    pub start: u64,
    /// Bytes per slot: the medium's logical sector size.
    pub sector_size: u32,
    /// Inode of the `heartbeat` system file the region was found through.
    pub inode: u64,
    /// First filesystem block of the region.
    pub blkno: u64,
    /// Bytes of the extent holding the region (at least [`Region::len`]).
    pub extent_bytes: u64,
}

impl Region {
    /// Finds the region of `vol` through its `heartbeat` system file, which must be
    /// a single extent (depth 0, one record) large enough for 255 slots of
    /// `sector_size` bytes. Works alike for local heartbeat and for global
    /// heartbeat devices (HEARTBEAT_DEV volumes or any volume named as a region).
    pub fn locate(vol: &Volume, sector_size: u32) -> Result<Region> {
        check_sector_size(sector_size)?;
        let ino = vol.system_file(SystemFile::HEARTBEAT)?;
        let inode = vol.inode(ino)?;
        let hdr = inode.header();
        if !hdr.has_flag(flags::HEARTBEAT) {
            return Err(Error::corrupt(
                ino,
                "ocfs2_dinode",
                "i_flags",
                format!("HEARTBEAT ({:#x}) set", flags::HEARTBEAT),
                format!("{:#x}", hdr.i_flags.get()),
            ));
        }
        let list = match inode.dinode().id2()? {
            Id2::Extents(l) => l,
            _ => return Err(Error::corrupt(ino, "ocfs2_dinode", "id2", "an extent list", "another id2 kind")),
        };
        if list.depth() != 0 {
            return Err(Error::corrupt(ino, "ocfs2_dinode.id2.i_list", "l_tree_depth", 0, list.depth()));
        }
        if list.recs.len() != 1 {
            return Err(Error::corrupt(ino, "ocfs2_dinode.id2.i_list", "l_next_free_rec", 1, list.recs.len()));
        }
        let map = ExtentMap::load(vol, &inode)?; // checks the extent lies inside the volume
        let ext = map
            .extents()
            .first()
            .copied()
            .ok_or_else(|| Error::corrupt(ino, "ocfs2_dinode.id2.i_list", "e_leaf_clusters", "> 0", 0))?;
        let geo = vol.geometry();
        let extent_bytes = u64::from(ext.clusters) << geo.cluster_bits;
        let need = MAX_NODES as u64 * u64::from(sector_size);
        if extent_bytes < need {
            return Err(Error::corrupt(
                ino,
                "ocfs2_dinode.id2.i_list",
                "e_leaf_clusters",
                format!(">= {need} bytes (255 slots of {sector_size})"),
                format!("{} clusters = {extent_bytes} bytes", ext.clusters),
            ));
        }
        Ok(Region { start: geo.block_offset(ext.blkno), sector_size, inode: ino, blkno: ext.blkno, extent_bytes })
    }

    /// Bytes the 255 slots occupy.
    pub fn len(&self) -> u64 {
        MAX_NODES as u64 * u64::from(self.sector_size)
    }

    /// Always false: a region has 255 slots.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Byte offset of `node`'s slot on the medium (past the region for a node
    /// number without a heartbeat slot).
    pub fn slot_offset(&self, node: NodeNum) -> u64 {
        self.start + u64::from(node.get()) * u64::from(self.sector_size)
    }

    /// Reads and decodes all 255 slots from `src` with one read. Nothing is
    /// cached: every call goes to the source again (use a
    /// [`DirectSource`](crate::io::DirectSource) to bypass the page cache).
    pub fn read(&self, src: &dyn BlockSource) -> Result<Vec<SlotReading>> {
        let len = usize::try_from(self.len())
            .map_err(|_| Error::invalid(InvalidKind::Limit, "heartbeat region too large"))?;
        self.decode(&src.bytes(self.start, len)?)
    }

    /// Reads and decodes all 255 slots through the volume's own source (which
    /// may be a cached mapping or an in-memory `.zst` image: a snapshot).
    pub fn read_volume(&self, vol: &Volume) -> Result<Vec<SlotReading>> {
        let geo = vol.geometry();
        let first = self.start >> geo.block_bits;
        let count = (self.start + self.len()).div_ceil(u64::from(geo.block_size)) - first;
        let bytes = vol.read_blocks(first, count)?;
        let skip = (self.start - geo.block_offset(first)) as usize;
        self.decode(bytes.get(skip..).unwrap_or_default())
    }

    /// Decodes the 255 slots from the region's bytes (at least [`Region::len`]).
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<SlotReading>> {
        let ss = self.sector_size as usize;
        let need = MAX_NODES * ss;
        let bytes = bytes.get(..need).ok_or_else(|| {
            Error::corrupt(self.blkno, "heartbeat region", "length", format!(">= {need} bytes"), bytes.len())
        })?;
        bytes
            .chunks_exact(ss)
            .zip(NodeNum::all_heartbeat())
            .map(|(sector, node)| SlotReading::decode(node, sector, self.blkno))
            .collect()
    }
}

/// Samples one region again and again, re-reading it from the medium each time.
#[derive(Debug)]
pub struct Sampler {
    src: Box<dyn BlockSource>,
    region: Region,
}

impl Sampler {
    /// Samples `region` from `src`.
    pub fn new(src: Box<dyn BlockSource>, region: Region) -> Self {
        Sampler { src, region }
    }

    /// Opens `path` for sampling: with O_DIRECT for devices and plain files (the
    /// page cache would hide other nodes' writes), or decompressed into memory for
    /// a `.zst` image (a frozen snapshot).
    pub fn open(path: &Path, region: Region) -> Result<Self> {
        Self::open_with(path, &OpenOptions::default(), region)
    }

    /// Like [`Sampler::open`] for a volume found inside `path` the way
    /// [`Volume::open_with`] finds it: the partition and offset of `opts` (its
    /// `access` is not used: sampling reads with O_DIRECT). Pass the options the
    /// volume `region` was located in was opened with.
    pub fn open_with(path: &Path, opts: &OpenOptions, region: Region) -> Result<Self> {
        let access = if path.extension().is_some_and(|e| e == "zst") {
            crate::io::Access::Auto
        } else {
            crate::io::Access::Direct
        };
        let (src, _) = crate::intake::select(crate::io::open_with(path, access)?, opts)?;
        Ok(Sampler { src, region })
    }

    /// The sampler of `vol`'s region, which was opened from `path` with
    /// `opts`: slots of `sector_size` bytes, or of the medium's logical sector
    /// size ([`medium_sector_size`]) when `None`.
    pub fn of_volume(vol: &Volume, path: &Path, opts: &OpenOptions, sector_size: Option<u32>) -> Result<Self> {
        let sector_size = match sector_size {
            Some(s) => s,
            None => medium_sector_size(path)?,
        };
        Self::open_with(path, opts, Region::locate(vol, sector_size)?)
    }

    /// The region sampled.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Reads all 255 slots now.
    pub fn sample(&self) -> Result<Vec<SlotReading>> {
        self.region.read(self.src.as_ref())
    }
}

/// The logical sector size of the medium at `path`: asked of the device for a
/// block device, [`DEFAULT_SECTOR_SIZE`] for image files.
pub fn medium_sector_size(path: &Path) -> Result<u32> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path).map_err(Error::open(path))?;
    if meta.file_type().is_block_device() {
        Ok(crate::io::DirectSource::open(path)?.logical_sector_size())
    } else {
        Ok(DEFAULT_SECTOR_SIZE)
    }
}

/// Parses a duration such as `2s`, `200ms`, `1.5s`, `1m` or `500us` (a bare number
/// is seconds).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let bad = || {
        Error::invalid(
            InvalidKind::Syntax,
            format!("duration {s:?}: expected a number and a unit (us, ms, s, m, h), e.g. 2s"),
        )
    };
    let value: f64 = num.parse().map_err(|_| bad())?;
    let scale = match unit.trim() {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    let secs = value * scale;
    if !secs.is_finite() || secs > 1e9 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        for bad in ["", "s", "2 parsecs", "-1s", "1e400s", "ms200"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dead_ms() {
        assert_eq!(threshold_from_dead_ms(62_000), Some(31));
        assert_eq!(threshold_from_dead_ms(0), None);
        assert_eq!(threshold_from_dead_ms(1234), None);
    }
}
