//! Geometry: from the options and the size of the target, everything mkfs.ocfs2
//! 1.8.7 decides before it writes (block and cluster size, slots, journal size,
//! extent-allocator reservation, feature set, cluster groups), with the same
//! defaults, and clear errors for what cannot be formatted. Pure: no I/O.

use super::features::{FeatureLevel, FeatureRequest, Features};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::geometry::Geometry;
use crate::layout::superblock::{
    backup_offset, incompat, CLUSTER_O2CB_GLOBAL_HEARTBEAT, MAX_SLOTS, NUM_BACKUPS, SUPERBLOCK_BLKNO,
};

/// Smallest and largest block size.
pub const BLOCK_SIZES: std::ops::RangeInclusive<u64> = 512..=4096;
/// Smallest and largest cluster size.
pub const CLUSTER_SIZES: std::ops::RangeInclusive<u64> = 4096..=(1 << 20);
/// Smallest journal mkfs accepts, in bytes.
pub const MIN_JOURNAL_SIZE: u64 = 4 << 20;
/// Largest cluster count mkfs picks a default cluster size for (`CLUSTERS_MAX`);
/// we also refuse explicit sizes beyond it (1.8.7 silently wraps, tools issue #60).
pub const MAX_CLUSTERS: u64 = u32::MAX as u64 - 1;
/// Longest label, in bytes, without the terminating NUL.
pub const MAX_LABEL_LEN: usize = 63;
/// Longest cluster name.
pub const MAX_CLUSTER_NAME_LEN: usize = 16;
/// Number of nodes a heartbeat region has slots for (`O2NM_MAX_NODES`).
pub const HEARTBEAT_NODES: u64 = 255;

/// `-T`: what the volume will hold, which tunes cluster and journal sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsType {
    /// No `-T`.
    #[default]
    Default,
    /// Large database files.
    Datafiles,
    /// Many small files and metadata churn.
    Mail,
    /// Virtual machine images.
    Vmstore,
}

impl FsType {
    /// Parses `datafiles`, `mail` or `vmstore`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "datafiles" => Ok(FsType::Datafiles),
            "mail" => Ok(FsType::Mail),
            "vmstore" => Ok(FsType::Vmstore),
            _ => Err(Error::invalid(
                InvalidKind::Syntax,
                format!("bad filesystem type '{s}' (use datafiles, mail or vmstore)"),
            )),
        }
    }

    /// The name `-T` takes, `None` for the default.
    pub fn name(self) -> Option<&'static str> {
        match self {
            FsType::Default => None,
            FsType::Datafiles => Some("datafiles"),
            FsType::Mail => Some("mail"),
            FsType::Vmstore => Some("vmstore"),
        }
    }
}

/// The cluster stack a volume is formatted for (`--cluster-stack`, `--cluster-name`,
/// `--global-heartbeat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterStack {
    /// `o2cb`, `pcmk` or `cman`.
    pub stack: String,
    /// The cluster name (1..=16 bytes; alphanumeric for o2cb).
    pub name: String,
    /// o2cb global heartbeat.
    pub global_heartbeat: bool,
}

impl ClusterStack {
    /// Checks the names like mkfs.ocfs2 does, plus the 16-byte limit it forgets for
    /// o2cb (it would silently truncate).
    pub fn validate(&self) -> Result<()> {
        if !matches!(self.stack.as_str(), "o2cb" | "pcmk" | "cman") {
            return Err(Error::invalid(
                InvalidKind::Syntax,
                format!("unknown cluster stack '{}' (use o2cb, pcmk or cman)", self.stack),
            ));
        }
        let n = &self.name;
        if n.is_empty() || n.len() > MAX_CLUSTER_NAME_LEN {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("cluster name '{n}' must be 1 to {MAX_CLUSTER_NAME_LEN} characters long"),
            ));
        }
        if self.stack == "o2cb" && !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid(InvalidKind::Argument, format!("o2cb cluster name '{n}' must be alphanumeric")));
        }
        if self.global_heartbeat && self.stack != "o2cb" {
            return Err(Error::invalid(
                InvalidKind::Argument,
                "global heartbeat applies only to the o2cb cluster stack",
            ));
        }
        Ok(())
    }

    /// `ci_stackflags`.
    pub fn flags(&self) -> u8 {
        if self.global_heartbeat {
            CLUSTER_O2CB_GLOBAL_HEARTBEAT
        } else {
            0
        }
    }
}

/// What the user asked for; `None` means "mkfs.ocfs2's default".
#[derive(Debug, Clone, Default)]
pub struct MkfsOptions {
    /// `-b`, already rounded down to a power of two (see [`valid_size`]).
    pub block_size: Option<u32>,
    /// `-C`, already rounded down to a power of two.
    pub cluster_size: Option<u32>,
    /// `-L`.
    pub label: Vec<u8>,
    /// `-N`.
    pub slots: Option<u16>,
    /// `-J size=` in bytes.
    pub journal_size: Option<u64>,
    /// `-J block64`.
    pub journal64: bool,
    /// `-T`.
    pub fs_type: FsType,
    /// `-M local` (`Some(true)`) or `-M cluster` (`Some(false)`).
    pub mount_local: Option<bool>,
    /// `--fs-feature-level`.
    pub level: FeatureLevel,
    /// The last `--fs-features`.
    pub features: FeatureRequest,
    /// `--no-backup-super`.
    pub no_backup_super: bool,
    /// The cluster stack options.
    pub stack: Option<ClusterStack>,
    /// `-H`: a heartbeat-only volume.
    pub heartbeat_device: bool,
    /// The positional block count.
    pub blocks: Option<u64>,
}

/// The target as mkfs sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Size in bytes.
    pub size: u64,
    /// Logical sector size (512 for image files).
    pub sector_size: u32,
}

/// Everything mkfs decides before writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Block and cluster sizes and the volume's size in both (whole clusters
    /// only), as a reader will find them; `sb_blkno` is the primary superblock's.
    pub geometry: Geometry,
    /// Clusters per global-bitmap group (all but the last).
    pub global_cpg: u32,
    /// Number of global-bitmap groups.
    pub cluster_groups: u32,
    /// Clusters in the last group.
    pub tail_group_bits: u32,
    /// Node slots (0 for a heartbeat device).
    pub slots: u16,
    /// Journal size per slot, in bytes (whole clusters; 0 for a heartbeat device).
    pub journal_size: u64,
    /// JBD2 64-bit block numbers.
    pub journal64: bool,
    /// Clusters every slot's extent allocator is grown by.
    pub extent_alloc_clusters: u32,
    /// Features as the dry run prints them (before the bits mkfs adds when it writes
    /// the superblock; see [`Plan::superblock_features`]).
    pub features: Features,
    /// `-T`.
    pub fs_type: FsType,
    /// The label.
    pub label: Vec<u8>,
    /// Local mount.
    pub mount_local: bool,
    /// Whether backup superblocks are written.
    pub backup_super: bool,
    /// The cluster stack written into the superblock.
    pub stack: Option<ClusterStack>,
    /// A heartbeat-only volume.
    pub heartbeat_device: bool,
}

/// Rounds `n` down to a power of two within `range` (mkfs.ocfs2's rule for `-b`
/// and `-C`); `None` if `n` is outside the range.
pub fn valid_size(n: u64, range: std::ops::RangeInclusive<u64>) -> Option<u32> {
    if !range.contains(&n) {
        return None;
    }
    let p = 1u64 << (63 - n.leading_zeros());
    u32::try_from(p).ok()
}

/// Parses a size the way mkfs.ocfs2 does: a C integer (decimal, `0x` hex or
/// leading-`0` octal) optionally followed by one of `b`, `k`, `m`, `g` (any case).
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = || Error::invalid(InvalidKind::Syntax, format!("bad size '{s}'"));
    let (digits, mult) = match s.char_indices().last() {
        Some((at, ch)) if ch.is_ascii_alphabetic() && !s[..at].is_empty() && !is_hex_digit_of(s, ch) => {
            let m: u64 = match ch.to_ascii_lowercase() {
                'b' => 1,
                'k' => 1 << 10,
                'm' => 1 << 20,
                'g' => 1 << 30,
                _ => return Err(bad()),
            };
            (&s[..at], m)
        }
        _ => (s, 1),
    };
    parse_c_uint(digits).and_then(|n| n.checked_mul(mult)).ok_or_else(bad)
}

/// Whether `ch` (the last character of `s`) is a digit of a hex literal, like the
/// `b` of `0x1b`, rather than a suffix.
fn is_hex_digit_of(s: &str, ch: char) -> bool {
    (s.starts_with("0x") || s.starts_with("0X")) && ch.is_ascii_hexdigit()
}

/// `strtoull(s, .., 0)` over the whole string.
pub fn parse_c_uint(s: &str) -> Option<u64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

fn log2(n: u64) -> u32 {
    63 - n.leading_zeros()
}

/// Slots for a cluster volume of `bytes` (mkfs.ocfs2 `initial_slots_for_volume`).
fn default_slots(bytes: u64) -> u16 {
    match bytes >> 30 {
        0..=1 => 2,
        2..=9 => 4,
        10..=1023 => 8,
        _ => 16,
    }
}

/// Clusters per suballocator group (inode and extent allocators): 1, 2 or 4 MiB
/// worth of clusters by block size.
pub fn suballoc_cpg(block_size: u32, cluster_bits: u32) -> u32 {
    let mb = match block_size {
        4096 | 2048 => 4,
        1024 => 2,
        _ => 1,
    };
    (mb << 20) >> cluster_bits
}

/// Bits in a global-bitmap group descriptor of a `block_size` block.
pub fn global_group_bits(block_size: u32) -> u32 {
    (block_size - 64) * 8
}

/// Computes the plan for `opts` on `target`.
pub fn plan(opts: &MkfsOptions, target: &Target) -> Result<Plan> {
    let inv = |m: String| Err(Error::invalid(InvalidKind::Argument, m));
    if opts.label.len() > MAX_LABEL_LEN {
        return inv(format!("volume label too long: {} bytes (at most {MAX_LABEL_LEN})", opts.label.len()));
    }
    if let Some(s) = &opts.stack {
        if opts.mount_local == Some(true) {
            return inv("a local mount cannot have a cluster stack".into());
        }
        s.validate()?;
    }
    if opts.slots == Some(0) || opts.slots.is_some_and(|n| n > MAX_SLOTS) {
        return inv(format!("node slots must be 1 to {MAX_SLOTS}"));
    }
    if opts.journal_size.is_some_and(|j| j < MIN_JOURNAL_SIZE) {
        return inv(format!("journal size must be at least {MIN_JOURNAL_SIZE} bytes"));
    }
    let features = opts.features.apply(opts.level);
    // A local mount set through --fs-features counts as -M local unless -M says
    // otherwise (mkfs.ocfs2 keeps the feature bit either way).
    let mount_local = opts.mount_local.unwrap_or(features.has_incompat(incompat::LOCAL_MOUNT));
    if mount_local && opts.stack.is_some() {
        return inv("a local mount cannot have a cluster stack".into());
    }
    let backup_super = !opts.no_backup_super && features.has_compat(crate::layout::superblock::compat::BACKUP_SB);

    let sector = u64::from(target.sector_size.max(512));
    let explicit_bs = match opts.block_size {
        Some(b) => Some(u64::from(b)),
        None if opts.heartbeat_device => Some(sector),
        None => None,
    };
    let probe_bs = explicit_bs.unwrap_or(4096);
    if !BLOCK_SIZES.contains(&probe_bs) || !probe_bs.is_power_of_two() {
        return inv(format!("block size {probe_bs} is not a power of two from 512 to 4096"));
    }
    if probe_bs < sector {
        return inv(format!(
            "the device has a hardware sector size ({sector}) larger than the block size ({probe_bs})"
        ));
    }
    let mut blocks = target.size / probe_bs;
    if opts.heartbeat_device {
        // Room for the system files and the 255 heartbeat slots, rounded up to MiB.
        let need = (4 + HEARTBEAT_NODES + 10) * probe_bs;
        let cap = need.div_ceil(1 << 20) * (1 << 20) / probe_bs;
        blocks = blocks.min(cap);
    }
    if let Some(n) = opts.blocks {
        if n > blocks {
            return inv(format!("{n} blocks were specified, but the device has only {blocks}"));
        }
        blocks = n;
    }
    let block_size = match explicit_bs {
        Some(b) => b,
        None => {
            // Chosen from the size as if the blocks were 4 KiB (mkfs.ocfs2 does this
            // even for an explicit block count).
            let bytes = blocks * 4096;
            let bs = if bytes <= 3 << 20 {
                512
            } else {
                let mut bs = 4096u64;
                let mut shift = 30;
                while bs > 1024 && bytes < 1u64 << shift {
                    bs >>= 1;
                    shift -= 1;
                }
                bs
            };
            blocks = opts.blocks.unwrap_or(target.size / bs);
            bs
        }
    };
    let block_bits = log2(block_size);
    let bytes = blocks * block_size;

    let cluster_size = match (opts.cluster_size, opts.fs_type) {
        (Some(c), _) => {
            if !CLUSTER_SIZES.contains(&u64::from(c)) || !c.is_power_of_two() {
                return inv(format!("cluster size {c} is not a power of two from 4K to 1M"));
            }
            u64::from(c)
        }
        (None, FsType::Datafiles | FsType::Vmstore) => {
            let gib = bytes >> 30;
            match gib {
                0..=1 => return inv("the selected filesystem type requires a device of at least 2 GiB".into()),
                2..=63 => 128 << 10,
                64..=95 => 256 << 10,
                96..=127 => 512 << 10,
                _ => 1 << 20,
            }
        }
        (None, _) => {
            let mut cs = *CLUSTER_SIZES.start();
            while cs < *CLUSTER_SIZES.end() && bytes >> log2(cs) > MAX_CLUSTERS {
                cs <<= 1;
            }
            cs
        }
    };
    let cluster_bits = log2(cluster_size);
    let clusters = bytes >> cluster_bits;
    if clusters > MAX_CLUSTERS {
        return inv(format!(
            "{clusters} clusters of {cluster_size} bytes: at most {MAX_CLUSTERS} clusters fit; use a larger cluster size"
        ));
    }
    if clusters == 0 {
        return inv(format!("the device ({} bytes) is smaller than one cluster", target.size));
    }
    let clusters = clusters as u32;
    let bytes = u64::from(clusters) << cluster_bits;
    let blocks = bytes >> block_bits;
    let block_size = block_size as u32;
    let cluster_size = cluster_size as u32;

    let max_bits = global_group_bits(block_size);
    let global_cpg = max_bits.min(clusters);
    let cluster_groups = clusters.div_ceil(global_cpg);
    let tail = clusters % global_cpg;
    let tail_group_bits = if tail == 0 { global_cpg } else { tail };

    let slots = if opts.heartbeat_device {
        0
    } else {
        opts.slots.unwrap_or(if mount_local { 1 } else { default_slots(bytes) })
    };

    let mut p = Plan {
        geometry: Geometry {
            block_size,
            block_bits,
            cluster_size,
            cluster_bits,
            clusters,
            blocks,
            sb_blkno: SUPERBLOCK_BLKNO,
        },
        global_cpg,
        cluster_groups,
        tail_group_bits,
        slots,
        journal_size: 0,
        journal64: opts.journal64,
        extent_alloc_clusters: 0,
        features,
        fs_type: opts.fs_type,
        label: opts.label.clone(),
        mount_local,
        backup_super,
        stack: opts.stack.clone(),
        heartbeat_device: opts.heartbeat_device,
    };
    if !p.heartbeat_device {
        p.journal_size = p.journal_size_for(opts.journal_size)?;
    }
    p.extent_alloc_clusters = p.extent_alloc_reservation();
    if !p.journal64 && p.geometry.blocks > u64::from(u32::MAX) {
        return inv(format!(
            "the volume has {} blocks, more than JBD2 can address in 32 bits; use -J block64 or larger blocks",
            p.geometry.blocks
        ));
    }
    Ok(p)
}

impl Plan {
    /// Bytes in the volume.
    pub fn bytes(&self) -> u64 {
        u64::from(self.geometry.clusters) << self.geometry.cluster_bits
    }

    /// Journal blocks per slot (mkfs.ocfs2 `figure_journal_size`, in bytes).
    fn journal_size_for(&self, asked: Option<u64>) -> Result<u64> {
        let bs = u64::from(self.geometry.block_size);
        let cs = u64::from(self.geometry.cluster_size);
        if self.geometry.blocks < 2048 {
            return Err(Error::invalid(InvalidKind::TooSmall, "filesystem too small for a journal"));
        }
        let min = (cs << 3) + cs;
        let fits = |jblocks: u64| jblocks * u64::from(self.slots) + 1024 <= self.geometry.blocks;
        let round = |b: u64| b.div_ceil(cs) * cs;
        if let Some(size) = asked {
            if !fits(size >> self.geometry.block_bits) {
                return Err(Error::invalid(InvalidKind::TooSmall, "journal size too big for the filesystem"));
            }
            let r = round(size);
            if r < min {
                return Err(Error::invalid(InvalidKind::Argument, "journal size too small for the filesystem"));
            }
            return Ok(r);
        }
        let vb = self.geometry.blocks;
        let jblocks: u64 = match self.fs_type {
            FsType::Datafiles => 8192,
            FsType::Mail => match vb {
                0..=262_143 => 16384,
                262_144..=524_287 => 32768,
                _ => 65536,
            },
            FsType::Vmstore => match vb {
                0..=262_143 => 8192,
                262_144..=524_287 => 16384,
                _ => 32768,
            },
            FsType::Default => match vb {
                0..=32_767 => MIN_JOURNAL_SIZE / bs,
                32_768..=262_143 => 4096,
                _ => (vb / 160).clamp(16384, 65536),
            },
        };
        let r = round(jblocks * bs);
        if r < min {
            // A default raised to the minimum must fit; an unraised one never is
            // checked (small volumes then fail while formatting, as in mkfs.ocfs2).
            if !fits(min >> self.geometry.block_bits) {
                return Err(Error::invalid(
                    InvalidKind::TooSmall,
                    "volume too small for the required journals; increase the volume size or reduce the cluster size",
                ));
            }
            return Ok(min);
        }
        Ok(r)
    }

    /// Clusters each slot's extent allocator is grown by (`figure_extent_alloc_size`).
    fn extent_alloc_reservation(&self) -> u32 {
        if self.slots == 0 {
            return 0;
        }
        let target = match self.fs_type {
            FsType::Datafiles | FsType::Vmstore => 0.3,
            _ => 0.1,
        };
        let cpg = suballoc_cpg(self.geometry.block_size, self.geometry.cluster_bits);
        let unit = u64::from(cpg) * u64::from(self.geometry.cluster_size) * u64::from(self.slots);
        let vol = self.bytes() as f64;
        let mut total = unit;
        let mut groups = 1u32;
        // Same floating-point steps as mkfs.ocfs2, so the boundaries agree.
        let mut pct = total as f64 * 100.0 / vol;
        while pct < target {
            total += unit;
            groups += 1;
            pct = total as f64 * 100.0 / vol;
        }
        if pct > 5.0 {
            groups -= 1;
        }
        cpg * groups
    }

    /// Clusters per suballocator group.
    pub fn suballoc_cpg(&self) -> u32 {
        suballoc_cpg(self.geometry.block_size, self.geometry.cluster_bits)
    }

    /// Backup superblock block numbers that fit in the volume (empty when backups
    /// are off).
    pub fn backup_blocks(&self) -> Vec<u64> {
        if !self.backup_super || self.heartbeat_device {
            return Vec::new();
        }
        (0..NUM_BACKUPS)
            .map(|n| backup_offset(n) >> self.geometry.block_bits)
            .take_while(|&b| b < self.geometry.blocks)
            .collect()
    }

    /// The feature words of the superblock as written: the planned set plus what
    /// mkfs adds at write time (local mount, stack bits), heartbeat devices reduced
    /// to their two bits and the stack's.
    pub fn superblock_features(&self) -> Features {
        use crate::layout::superblock::compat;
        let mut f = self.features;
        if self.heartbeat_device {
            f = Features::new(compat::JBD2_SB, incompat::HEARTBEAT_DEV, 0);
        } else if self.mount_local {
            f.incompat |= incompat::LOCAL_MOUNT;
        }
        if let Some(s) = &self.stack {
            f.incompat |= incompat::EXTENDED_SLOT_MAP;
            if !f.has_incompat(incompat::CLUSTERINFO) {
                f.incompat |= if s.stack == "o2cb" { incompat::CLUSTERINFO } else { incompat::USERSPACE_STACK };
            }
        }
        if self.backup_super && !self.heartbeat_device {
            f.compat |= compat::BACKUP_SB;
        } else {
            f.compat &= !compat::BACKUP_SB;
        }
        f
    }

    /// The geometry report of `mkfs.ocfs2 -n` (after its "Dry run" line).
    pub fn report(&self) -> String {
        let mut s = String::new();
        if let Some(t) = self.fs_type.name() {
            s += &format!("Filesystem Type of {t}\n");
        }
        s += &format!("Label: {}\n", String::from_utf8_lossy(&self.label));
        s += &format!("Features: {}\n", self.features.names());
        s += &format!("Block size: {} ({} bits)\n", self.geometry.block_size, self.geometry.block_bits);
        s += &format!("Cluster size: {} ({} bits)\n", self.geometry.cluster_size, self.geometry.cluster_bits);
        s += &format!(
            "Volume size: {} ({} clusters) ({} blocks)\n",
            self.bytes(),
            self.geometry.clusters,
            self.geometry.blocks
        );
        s += &format!(
            "Cluster groups: {} (tail covers {} clusters, rest cover {} clusters)\n",
            self.cluster_groups, self.tail_group_bits, self.global_cpg
        );
        let groups = if self.extent_alloc_clusters == 0 { 0 } else { self.extent_alloc_clusters / self.suballoc_cpg() };
        s += &format!(
            "Extent allocator size: {} ({} groups)\n",
            u64::from(self.extent_alloc_clusters) * u64::from(self.geometry.cluster_size),
            groups
        );
        if self.heartbeat_device {
            s += "Heartbeat device\n";
        } else {
            s += &format!("Journal size: {}\n", self.journal_size);
        }
        s += &format!("Node slots: {}\n", self.slots);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(size: u64, f: impl FnOnce(&mut MkfsOptions)) -> Result<Plan> {
        let mut o = MkfsOptions::default();
        f(&mut o);
        plan(&o, &Target { size, sector_size: 512 })
    }

    #[test]
    fn block_size_defaults() {
        const M: u64 = 1 << 20;
        for (size, bs) in
            [(2 * M, 512), (3 * M, 512), (4 * M, 1024), (511 * M, 1024), (512 * M, 2048), (1024 * M, 4096)]
        {
            // Tiny volumes fail on the journal; the choice of block size comes first.
            match run(size, |_| {}) {
                Ok(p) => assert_eq!(p.geometry.block_size, bs, "{size}"),
                Err(e) => assert_eq!(e.invalid_kind(), Some(InvalidKind::TooSmall), "{size}: {e}"),
            }
        }
    }

    #[test]
    fn sizes_round_down() {
        assert_eq!(valid_size(3000, BLOCK_SIZES), Some(2048));
        assert_eq!(valid_size(5000, CLUSTER_SIZES), Some(4096));
        assert_eq!(valid_size(100 << 10, CLUSTER_SIZES), Some(64 << 10));
        assert_eq!(valid_size(256, BLOCK_SIZES), None);
        assert_eq!(parse_size("100k").unwrap(), 100 << 10);
        assert_eq!(parse_size("0x10").unwrap(), 16);
        assert_eq!(parse_size("4M").unwrap(), 4 << 20);
        assert!(parse_size("4Q").is_err());
        assert!(parse_size("k").is_err());
    }

    #[test]
    fn journal_and_extent_reservation() {
        let g = 1u64 << 30;
        assert_eq!(run(g, |_| {}).unwrap().journal_size, 64 << 20);
        assert_eq!(run(12 * g, |_| {}).unwrap().journal_size, 80_527_360);
        assert_eq!(run(40 << 20, |o| o.cluster_size = Some(1 << 20)).unwrap().journal_size, 9 << 20);
        let p = run(32 * g, |_| {}).unwrap();
        assert_eq!(p.extent_alloc_clusters / p.suballoc_cpg(), 2);
        assert_eq!(run(64 << 20, |_| {}).unwrap().extent_alloc_clusters, 0);
    }

    #[test]
    fn errors_before_writing() {
        assert!(run(1 << 30, |o| o.label = vec![b'a'; 64]).is_err());
        assert!(run(1 << 30, |o| o.fs_type = FsType::Datafiles).is_err());
        assert!(run(17 << 40, |o| o.cluster_size = Some(4096)).is_err());
        assert!(run(17 << 40, |o| {
            o.cluster_size = Some(8192);
        })
        .is_err()); // 2^32+ blocks without block64
        assert!(run(1 << 30, |o| o.journal_size = Some(1 << 30)).is_err());
        assert!(run(1 << 30, |o| {
            o.stack = Some(ClusterStack { stack: "o2cb".into(), name: "x".repeat(17), global_heartbeat: false })
        })
        .is_err());
    }
}
