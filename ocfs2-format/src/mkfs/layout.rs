//! Where every structure goes: a replay, in memory, of the allocations
//! mkfs.ocfs2 1.8.7 makes (first its own simple allocator, then libocfs2's for the
//! journals, allocator groups, slot map and lost+found), so that our volume is laid
//! out block for block like theirs. Pure: it decides, [`super::write`] writes.
//!
//! Memory stays flat as the volume grows: only the global-bitmap groups that
//! something is allocated in are held as bitmaps (a handful); the others are known
//! to hold just their descriptor.

use std::collections::BTreeMap;

use super::plan::Plan;
use crate::error::{Error, Result};
use crate::layout::dinode::{flags, mode, SUBALLOC_GLOBAL};
use crate::layout::dir::{file_type, rec_len, TRAILER_SIZE};
use crate::layout::group::{count_set, set_range};
use crate::layout::quota::{tree_depth, QuotaType};
use crate::layout::superblock::{incompat, ro_compat, SUPERBLOCK_BLKNO};

/// Length of the longest system file name mkfs reserves directory room for.
const SYSTEM_FILE_NAME_MAX: usize = 40;

/// The system files, in `ocfs2_system_inodes[]` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysKind {
    /// `bad_blocks`.
    BadBlocks,
    /// `global_inode_alloc`.
    GlobalInodeAlloc,
    /// `slot_map`.
    SlotMap,
    /// `heartbeat`.
    Heartbeat,
    /// `global_bitmap`.
    GlobalBitmap,
    /// `aquota.user`.
    UserQuota,
    /// `aquota.group`.
    GroupQuota,
    /// `orphan_dir:N`.
    OrphanDir,
    /// `extent_alloc:N`.
    ExtentAlloc,
    /// `inode_alloc:N`.
    InodeAlloc,
    /// `journal:N`.
    Journal,
    /// `local_alloc:N`.
    LocalAlloc,
    /// `truncate_log:N`.
    TruncateLog,
    /// `aquota.user:N`.
    LocalUserQuota,
    /// `aquota.group:N`.
    LocalGroupQuota,
}

impl SysKind {
    /// All kinds, in inode-number order.
    pub const ALL: [SysKind; 15] = [
        SysKind::BadBlocks,
        SysKind::GlobalInodeAlloc,
        SysKind::SlotMap,
        SysKind::Heartbeat,
        SysKind::GlobalBitmap,
        SysKind::UserQuota,
        SysKind::GroupQuota,
        SysKind::OrphanDir,
        SysKind::ExtentAlloc,
        SysKind::InodeAlloc,
        SysKind::Journal,
        SysKind::LocalAlloc,
        SysKind::TruncateLog,
        SysKind::LocalUserQuota,
        SysKind::LocalGroupQuota,
    ];

    /// The name without the slot suffix.
    pub fn base_name(self) -> &'static str {
        match self {
            SysKind::BadBlocks => "bad_blocks",
            SysKind::GlobalInodeAlloc => "global_inode_alloc",
            SysKind::SlotMap => "slot_map",
            SysKind::Heartbeat => "heartbeat",
            SysKind::GlobalBitmap => "global_bitmap",
            SysKind::UserQuota | SysKind::LocalUserQuota => "aquota.user",
            SysKind::GroupQuota | SysKind::LocalGroupQuota => "aquota.group",
            SysKind::OrphanDir => "orphan_dir",
            SysKind::ExtentAlloc => "extent_alloc",
            SysKind::InodeAlloc => "inode_alloc",
            SysKind::Journal => "journal",
            SysKind::LocalAlloc => "local_alloc",
            SysKind::TruncateLog => "truncate_log",
        }
    }

    /// One per volume (else one per slot).
    pub fn is_global(self) -> bool {
        (self as usize) < 7
    }

    /// Inode flags beyond VALID|SYSTEM.
    fn flags(self) -> u32 {
        match self {
            SysKind::Journal => flags::JOURNAL,
            SysKind::LocalAlloc => flags::BITMAP | flags::LOCAL_ALLOC,
            SysKind::Heartbeat => flags::HEARTBEAT,
            SysKind::GlobalBitmap | SysKind::GlobalInodeAlloc | SysKind::ExtentAlloc | SysKind::InodeAlloc => {
                flags::BITMAP | flags::CHAIN
            }
            SysKind::TruncateLog => flags::DEALLOC,
            SysKind::UserQuota | SysKind::GroupQuota | SysKind::LocalUserQuota | SysKind::LocalGroupQuota => {
                flags::QUOTA
            }
            SysKind::BadBlocks | SysKind::SlotMap | SysKind::OrphanDir => 0,
        }
    }

    fn is_dir(self) -> bool {
        self == SysKind::OrphanDir
    }

    /// Whether the file exists with these features on a normal (not -H) volume.
    fn wanted(self, ro: u32) -> bool {
        match self {
            SysKind::UserQuota | SysKind::LocalUserQuota => ro & ro_compat::USRQUOTA != 0,
            SysKind::GroupQuota | SysKind::LocalGroupQuota => ro & ro_compat::GRPQUOTA != 0,
            _ => true,
        }
    }
}

/// One extent record: `clusters` clusters at block `blkno`, logical cluster `cpos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// First logical cluster.
    pub cpos: u32,
    /// Length in clusters.
    pub clusters: u32,
    /// First physical block.
    pub blkno: u64,
}

/// A suballocator group descriptor (global_inode_alloc, inode_alloc, extent_alloc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubGroup {
    /// Descriptor block (first block of the group).
    pub blkno: u64,
    /// Bits (blocks) in the group.
    pub bits: u16,
    /// `bg_size`: bitmap bytes.
    pub size: u16,
    /// Chain the group is on.
    pub chain: u16,
    /// Next group on the chain.
    pub next: u64,
    /// Bitmap (`size` bytes).
    pub bitmap: Vec<u8>,
}

impl SubGroup {
    fn new(blkno: u64, bits: u32, size: u16, chain: u16, next: u64) -> Self {
        let mut bitmap = vec![0u8; usize::from(size)];
        bitmap[0] = 1; // the descriptor itself
        SubGroup { blkno, bits: bits as u16, size, chain, next, bitmap }
    }

    /// Bits in use.
    pub fn used(&self) -> u32 {
        count_set(&self.bitmap, usize::from(self.bits))
    }

    /// Allocates the lowest clear bit; returns it.
    fn alloc(&mut self) -> Option<u32> {
        let bit = (0..u32::from(self.bits)).find(|&b| !get_bit(&self.bitmap, b))?;
        set_bit(&mut self.bitmap, bit);
        Some(bit)
    }
}

/// What an inode's `id2` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An extent list (depth 0).
    Extents(Vec<Extent>),
    /// A chain allocator over suballocator groups (indices into [`Layout::groups`]).
    Chain {
        /// `cl_cpg`.
        cpg: u16,
        /// `cl_bpc`.
        bpc: u16,
        /// Its groups, by chain: `chains[i]` lists the groups of chain `i`, head first.
        chains: Vec<Vec<usize>>,
    },
    /// The global bitmap's chain list (computed from [`Layout::bitmap`]).
    GlobalBitmap,
    /// An empty local-alloc window.
    LocalAlloc,
    /// An empty truncate log.
    TruncateLog,
    /// An inline directory: the `id_count`-byte data area.
    InlineDir(Vec<u8>),
}

/// One inode as mkfs writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InodeRec {
    /// Name in its directory (empty for the root and system directories).
    pub name: String,
    /// The system file kind, `None` for root, system dir and lost+found.
    pub kind: Option<SysKind>,
    /// Inode block.
    pub blkno: u64,
    /// `i_suballoc_slot`.
    pub suballoc_slot: u16,
    /// `i_suballoc_bit`.
    pub suballoc_bit: u16,
    /// `i_suballoc_loc`.
    pub suballoc_loc: u64,
    /// `i_mode`.
    pub mode: u16,
    /// `i_flags`.
    pub flags: u32,
    /// `i_links_count`.
    pub links: u16,
    /// `i_size`.
    pub size: u64,
    /// `i_clusters`.
    pub clusters: u32,
    /// `id2`.
    pub body: Body,
    /// Directory blocks (non-inline directories), `size` rounded up to blocks; the
    /// trailer, when `trailers` says so, is filled in when written.
    pub dir_blocks: Vec<u8>,
    /// Whether this block directory carries trailers.
    pub trailers: bool,
    /// What a quota file holds (its blocks are written from this).
    pub quota: Option<QuotaFile>,
    /// The directory index of an indexed block directory.
    pub dx: Option<DxDir>,
}

/// An indexed directory's root block, with its entries inline, as libocfs2's
/// `ocfs2_dx_dir_build` and `ocfs2_link` leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DxDir {
    /// The dx root block (from slot 0's extent allocator).
    pub blkno: u64,
    /// Its bit in that allocator's group.
    pub suballoc_bit: u16,
    /// That group's descriptor block.
    pub suballoc_loc: u64,
    /// The names indexed, in insertion order, with the directory block each is in.
    pub entries: Vec<(String, u64)>,
    /// `dr_free_blk`: the directory block with free room (0: none).
    pub free_blk: u64,
    /// `db_free_rec_len` of the directory block's trailer: its largest hole
    /// when it was indexed.
    pub free_rec_len: u16,
}

/// The contents mkfs.ocfs2 gives a quota system file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaFile {
    /// A global file (`aquota.user`, `aquota.group`): header and info, then a
    /// quota tree holding one entry, id 0, with the usage mkfs.ocfs2 counted.
    Global {
        /// User or group.
        ty: QuotaType,
        /// Blocks in the file (`dqi_blocks`).
        blocks: u32,
        /// Inodes id 0 owns (mkfs.ocfs2 counts before it makes lost+found).
        inodes: u64,
        /// Bytes id 0 owns.
        space: u64,
    },
    /// A per-slot local file: header and info, then an empty first chunk.
    Local {
        /// User or group.
        ty: QuotaType,
    },
}

/// The global bitmap: clusters in groups of `cpg`, group `g`'s descriptor in the
/// first block of cluster `g * cpg` (group 0's at `s_first_cluster_group`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBitmap {
    /// Clusters per group.
    pub cpg: u32,
    /// Total clusters.
    pub clusters: u32,
    /// Groups that hold more than their descriptor bit, by index.
    touched: BTreeMap<u32, Touched>,
    /// For a request of at least `min` bits, the first group that may still
    /// have that many free: free counts only fall while mkfs lays out, so a
    /// group once too full stays too full, and a 4 PiB volume's million
    /// suballocator groups do not each rescan the filled groups before them.
    cursor: BTreeMap<u32, u32>,
}

/// A group's bitmap once something beyond its descriptor is allocated, with its
/// count of set bits kept current: the allocators ask every group they pass
/// how full it is, and at 15 TiB there are 125,000 groups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Touched {
    map: Vec<u8>,
    used: u32,
    /// Every bit below this is set: groups fill from the front, so searches
    /// start here instead of rescanning the full part on every allocation.
    low: u32,
}

impl ClusterBitmap {
    fn new(cpg: u32, clusters: u32) -> Self {
        ClusterBitmap { cpg, clusters, touched: BTreeMap::new(), cursor: BTreeMap::new() }
    }

    /// Number of groups.
    pub fn groups(&self) -> u32 {
        self.clusters.div_ceil(self.cpg)
    }

    /// Bits in group `g`.
    pub fn group_bits(&self, g: u32) -> u32 {
        (self.clusters - g * self.cpg).min(self.cpg)
    }

    /// The bitmap of group `g` (`bytes` long), materialised on demand.
    pub fn group_bitmap(&self, g: u32, bytes: usize) -> Vec<u8> {
        let mut v = vec![0u8; bytes];
        match self.touched.get(&g) {
            Some(t) => v[..t.map.len()].copy_from_slice(&t.map),
            None => v[0] = 1,
        }
        v
    }

    /// Bits in use in group `g`.
    pub fn group_used(&self, g: u32) -> u32 {
        self.touched.get(&g).map_or(1, |t| t.used)
    }

    /// Bits in use in the whole bitmap.
    pub fn used(&self) -> u64 {
        u64::from(self.groups()) + self.touched.values().map(|t| u64::from(t.used) - 1).sum::<u64>()
    }

    fn touch(&mut self, g: u32) -> &mut Touched {
        let bits = self.group_bits(g);
        self.touched.entry(g).or_insert_with(|| {
            let mut map = vec![0u8; bits.div_ceil(8) as usize];
            map[0] = 1;
            Touched { map, used: 1, low: 1 }
        })
    }

    fn is_set(&self, cluster: u32) -> bool {
        let (g, bit) = (cluster / self.cpg, cluster % self.cpg);
        self.touched.get(&g).map_or(bit == 0, |t| get_bit(&t.map, bit))
    }

    /// Marks `n` clusters from `cluster` in use (they are all clear).
    fn set(&mut self, cluster: u32, n: u32) {
        let mut c = cluster;
        while c < cluster + n {
            let (g, bit) = (c / self.cpg, c % self.cpg);
            let take = (self.cpg - bit).min(cluster + n - c);
            let bits = self.group_bits(g);
            let t = self.touch(g);
            set_range(&mut t.map, bit as usize, (bit + take) as usize);
            t.used += take;
            while t.low < bits && get_bit(&t.map, t.low) {
                t.low += 1;
            }
            c += take;
        }
    }

    /// The clear runs of group `g` in bit order, as `(start, len)`.
    fn free_runs(&self, g: u32) -> Vec<(u32, u32)> {
        let bits = self.group_bits(g);
        let Some(t) = self.touched.get(&g) else { return vec![(1, bits - 1)] };
        let mut runs = Vec::new();
        let mut b = t.low;
        while b < bits {
            // Whole bytes in use are skipped at once.
            if b % 8 == 0 && t.map[(b / 8) as usize] == 0xff {
                b += 8;
                continue;
            }
            if get_bit(&t.map, b) {
                b += 1;
                continue;
            }
            let s = b;
            while b < bits && !get_bit(&t.map, b) {
                b += 1;
                // Whole clear bytes at once: the rest of a filling group is clear.
                while b % 8 == 0 && b + 8 <= bits && t.map[(b / 8) as usize] == 0 {
                    b += 8;
                }
            }
            runs.push((s, b - s));
        }
        runs
    }

    /// mkfs.ocfs2's own allocator: the first group (in chain order) with enough
    /// free bits, then the first run of `n` clear bits in it.
    fn alloc_mkfs(&mut self, n: u32, recs_per_inode: u32) -> Result<u32> {
        let groups = self.groups();
        for chain in 0..recs_per_inode.min(groups) {
            let mut g = chain;
            while g < groups {
                let bits = self.group_bits(g);
                if bits - self.group_used(g) >= n {
                    let (start, _) =
                        self.free_runs(g).into_iter().find(|&(_, len)| len >= n).ok_or_else(|| no_space(n))?;
                    let c = g * self.cpg + start;
                    self.set(c, n);
                    return Ok(c);
                }
                g += recs_per_inode;
            }
        }
        Err(no_space(n))
    }

    /// libocfs2's range allocator: groups in order; in the first group with at
    /// least `min` free bits, the first run of `len` clear bits, else the first
    /// longest run if it has at least `min`. Returns (first cluster, count).
    fn alloc_range(&mut self, min: u32, len: u32) -> Result<(u32, u32)> {
        let first = self.cursor.get(&min).copied().unwrap_or(0);
        for g in first..self.groups() {
            if self.group_bits(g) - self.group_used(g) < min {
                self.cursor.insert(min, g + 1);
                continue;
            }
            let runs = self.free_runs(g);
            let base = g * self.cpg;
            if let Some(&(s, _)) = runs.iter().find(|&&(_, l)| l >= len) {
                self.set(base + s, len);
                return Ok((base + s, len));
            }
            // The first of the longest runs.
            let best = runs.iter().fold(None::<(u32, u32)>, |b, &r| match b {
                Some(b) if b.1 >= r.1 => Some(b),
                _ => Some(r),
            });
            if let Some((s, l)) = best.filter(|&(_, l)| l >= min) {
                self.set(base + s, l);
                return Ok((base + s, l));
            }
        }
        Err(no_space(min))
    }
}

fn no_space(n: u32) -> Error {
    Error::Invalid(format!("the volume is too small: no room for {n} more contiguous clusters"))
}

fn get_bit(map: &[u8], bit: u32) -> bool {
    map[(bit / 8) as usize] & (1 << (bit % 8)) != 0
}

fn set_bit(map: &mut [u8], bit: u32) {
    map[(bit / 8) as usize] |= 1 << (bit % 8);
}

/// The whole volume's structure.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The geometry it was made for.
    pub plan: Plan,
    /// The superblock feature words (which decide the slot map format; blocks
    /// carry ECC when the planned features have META_ECC, see [`Plan::features`]).
    pub features: super::features::Features,
    /// Block of global-bitmap group 0 (`s_first_cluster_group`).
    pub first_group_blkno: u64,
    /// The global bitmap as left by mkfs.
    pub bitmap: ClusterBitmap,
    /// Suballocator groups (the global_inode_alloc group is index 0).
    pub groups: Vec<SubGroup>,
    /// Every inode, root first, then the system directory, the system files in
    /// inode order, and lost+found last.
    pub inodes: Vec<InodeRec>,
    /// Index of the root directory in `inodes`.
    pub root: usize,
    /// Index of the system directory in `inodes`.
    pub sysdir: usize,
    /// Backup superblock blocks.
    pub backups: Vec<u64>,
}

impl Layout {
    /// The inode of a system file.
    pub fn sys(&self, kind: SysKind, slot: u16) -> Option<&InodeRec> {
        let name = sys_name(kind, slot);
        self.inodes.iter().find(|i| i.kind == Some(kind) && i.name == name)
    }

    /// The global bitmap inode's block.
    pub fn global_bitmap_blkno(&self) -> u64 {
        self.sys(SysKind::GlobalBitmap, 0).map_or(0, |i| i.blkno)
    }

    /// Chain records of the global bitmap: (free, total, head block) per chain.
    pub fn global_chains(&self) -> Vec<(u32, u32, u64)> {
        let recs = chain_recs_per_inode(self.plan.geometry.block_size);
        let groups = self.bitmap.groups();
        let nchains = groups.min(recs);
        let mut out = Vec::with_capacity(nchains as usize);
        for chain in 0..nchains {
            let (mut free, mut total) = (0u32, 0u32);
            // Untouched groups hold one used bit; count them arithmetically.
            let n = (groups - chain).div_ceil(recs);
            let last = chain + (n - 1) * recs;
            total += (n - 1) * self.bitmap.cpg + self.bitmap.group_bits(last);
            free += total - n;
            for (&g, _) in self.bitmap.touched.iter().filter(|(&g, _)| g % recs == chain) {
                free -= self.bitmap.group_used(g) - 1;
            }
            out.push((free, total, self.group_blkno(chain)));
        }
        out
    }

    /// Descriptor block of global-bitmap group `g`.
    pub fn group_blkno(&self, g: u32) -> u64 {
        if g == 0 {
            self.first_group_blkno
        } else {
            self.plan.geometry.cluster_to_block(u64::from(g) * u64::from(self.bitmap.cpg))
        }
    }
}

/// Chain records that fit in an inode.
pub fn chain_recs_per_inode(bs: u32) -> u32 {
    (bs - 208) / 16
}

/// Name of a system file for `slot`.
pub fn sys_name(kind: SysKind, slot: u16) -> String {
    if kind.is_global() {
        kind.base_name().to_string()
    } else {
        format!("{}:{slot:04}", kind.base_name())
    }
}

/// A directory being filled the way mkfs.ocfs2's `add_entry_to_directory` does.
struct DirBuf {
    buf: Vec<u8>,
    last: usize,
    bs: usize,
    /// End of the entry area in a block (before the trailer).
    area: usize,
    links: u16,
}

impl DirBuf {
    fn new(bs: usize, trailers: bool) -> Self {
        DirBuf { buf: Vec::new(), last: 0, bs, area: if trailers { bs - TRAILER_SIZE } else { bs }, links: 0 }
    }

    fn rec(&self, at: usize) -> (u64, usize, usize) {
        let b = &self.buf[at..];
        let ino = u64::from_le_bytes(b[0..8].try_into().unwrap_or_default());
        (ino, usize::from(u16::from_le_bytes([b[8], b[9]])), usize::from(b[10]))
    }

    fn put(&mut self, at: usize, ino: u64, rl: usize, name: &str, ft: u8) {
        let b = &mut self.buf[at..];
        b[0..8].copy_from_slice(&ino.to_le_bytes());
        b[8..10].copy_from_slice(&(rl as u16).to_le_bytes());
        b[10] = name.len() as u8;
        b[11] = ft;
        b[12..12 + name.len()].copy_from_slice(name.as_bytes());
    }

    fn add(&mut self, name: &str, ino: u64, ft: u8) {
        let need = rec_len(name.len());
        if !self.buf.is_empty() {
            let (dino, rl, nl) = self.rec(self.last);
            let real = rec_len(nl);
            if dino == 0 && rl >= need {
                self.put(self.last, ino, rl, name, ft);
                return self.count(ft);
            }
            if rl >= real + need {
                let at = self.last + real;
                self.buf[self.last + 8..self.last + 10].copy_from_slice(&(real as u16).to_le_bytes());
                self.put(at, ino, rl - real, name, ft);
                self.last = at;
                return self.count(ft);
            }
        }
        let at = self.buf.len();
        self.buf.resize(at + self.bs, 0);
        self.put(at, ino, self.area, name, ft);
        self.last = at;
        self.count(ft);
    }

    fn count(&mut self, ft: u8) {
        if ft == file_type::DIR {
            self.links += 1;
        }
    }

    /// The entries as an inline data area of `cap` bytes: the last entry extends
    /// to the end of the area.
    fn inline(&self, cap: usize) -> Result<Vec<u8>> {
        let (_, _, nl) = self.rec(self.last);
        let len = self.last + rec_len(nl);
        if len > cap {
            return Err(Error::Invalid("an inline directory does not fit its inode".into()));
        }
        let mut v = vec![0u8; cap];
        v[..len].copy_from_slice(&self.buf[..len]);
        let rl = cap - self.last;
        v[self.last + 8..self.last + 10].copy_from_slice(&(rl as u16).to_le_bytes());
        Ok(v)
    }
}

/// Inline "." and ".." the way libocfs2's `ocfs2_init_dir` writes them into an
/// area of `size` bytes.
fn initial_dirents(area: &mut [u8], dir: u64, parent: u64, size: usize) {
    let put = |b: &mut [u8], ino: u64, rl: usize, name: &[u8]| {
        b[0..8].copy_from_slice(&ino.to_le_bytes());
        b[8..10].copy_from_slice(&(rl as u16).to_le_bytes());
        b[10] = name.len() as u8;
        b[11] = file_type::DIR;
        b[12..12 + name.len()].copy_from_slice(name);
    };
    put(area, dir, rec_len(1), b".");
    put(&mut area[rec_len(1)..], parent, size - rec_len(1), b"..");
}

/// libocfs2's `ocfs2_link` into a directory area: split the first entry with
/// room, or take an empty one.
fn link_entry(area: &mut [u8], name: &str, ino: u64, ft: u8) -> bool {
    let need = rec_len(name.len());
    let mut at = 0;
    while at + 12 <= area.len() {
        let mut rl = usize::from(u16::from_le_bytes([area[at + 8], area[at + 9]]));
        if rl < 12 {
            return false;
        }
        let used = u64::from_le_bytes(area[at..at + 8].try_into().unwrap_or_default()) != 0;
        if used {
            let min = rec_len(usize::from(area[at + 10]));
            if rl >= min + need {
                area[at + 8..at + 10].copy_from_slice(&(min as u16).to_le_bytes());
                let n = at + min;
                area[n..n + 8].fill(0);
                area[n + 8..n + 10].copy_from_slice(&((rl - min) as u16).to_le_bytes());
                area[n + 10] = 0;
                rl = min;
            }
        } else if rl >= need {
            area[at..at + 8].copy_from_slice(&ino.to_le_bytes());
            area[at + 10] = name.len() as u8;
            area[at + 11] = ft;
            area[at + 12..at + 12 + name.len()].copy_from_slice(name.as_bytes());
            return true;
        }
        at += rl;
    }
    false
}

/// Lays out the volume planned by `plan`.
pub fn layout(plan: &Plan) -> Result<Layout> {
    // mkfs.ocfs2 decides with the requested features; the bits it adds when it
    // writes the superblock (or, for -H, the two it reduces the set to) never
    // change where things go.
    let features = plan.features;
    let bs = plan.geometry.block_size;
    let cbits = plan.geometry.cluster_bits;
    let bbits = plan.geometry.block_bits;
    let bpc = plan.geometry.blocks_per_cluster() as u32; // at most 2048
    let inline = features.has_incompat(incompat::INLINE_DATA);
    let trailers_ok = features.has_incompat(incompat::META_ECC) || features.has_incompat(incompat::INDEXED_DIRS);
    let meta_ecc = features.has_incompat(incompat::META_ECC);
    let discontig = features.has_incompat(incompat::DISCONTIG_BG);
    let dx_dirs = features.has_incompat(incompat::INDEXED_DIRS) && !inline && !plan.heartbeat_device;
    let recs = chain_recs_per_inode(bs);
    let clusters_for = |bytes: u64| bytes.div_ceil(u64::from(plan.geometry.cluster_size)) as u32;
    let cluster_block = |c: u32| plan.geometry.cluster_to_block(u64::from(c));

    // Global bitmap: group 0 starts with the clusters before the first group
    // boundary after the superblock, then its descriptor.
    let mut bitmap = ClusterBitmap::new(plan.global_cpg, plan.geometry.clusters);
    let first_group_cluster = (SUPERBLOCK_BLKNO as u32 + 1).div_ceil(bpc);
    bitmap.set(1, first_group_cluster);
    let first_group_blkno = cluster_block(first_group_cluster);

    // The global inode allocator's single group: room for every system inode mkfs
    // may ever make (32 slots at least), rounded to clusters.
    let sys_entries = |slots: u32| SysKind::ALL.iter().map(|k| if k.is_global() { 1 } else { slots }).sum::<u32>();
    let sys_blocks = 3 + 1 + 1 + 1 + sys_entries(u32::from(plan.slots).max(32));
    let gia_clusters = clusters_for(u64::from(sys_blocks) << bbits);
    let gia_start = bitmap.alloc_mkfs(gia_clusters, recs)?;
    let gia_bits = gia_clusters * bpc;
    let mut groups = vec![SubGroup::new(cluster_block(gia_start), gia_bits, (bs - 64) as u16, 0, 0)];
    let alloc_sys_inode = |groups: &mut Vec<SubGroup>| -> Result<(u64, u16)> {
        let g = &mut groups[0];
        let bit = g.alloc().ok_or_else(|| Error::Invalid("system inode group is full".into()))?;
        Ok((g.blkno + u64::from(bit), bit as u16))
    };

    let sys_rec = |name: String, kind: Option<SysKind>, blkno: u64, bit: u16, mode_bits: u16, fl: u32| InodeRec {
        name,
        kind,
        blkno,
        suballoc_slot: SUBALLOC_GLOBAL,
        suballoc_bit: bit,
        suballoc_loc: 0,
        mode: mode_bits,
        flags: flags::VALID | flags::SYSTEM | fl,
        links: if mode_bits & mode::S_IFMT == mode::S_IFDIR { 0 } else { 1 },
        size: 0,
        clusters: 0,
        body: Body::Extents(Vec::new()),
        dir_blocks: Vec::new(),
        trailers: false,
        quota: None,
        dx: None,
    };
    let dir_mode = mode::S_IFDIR | 0o755;
    let file_mode = mode::S_IFREG | 0o644;
    let max_inline = (bs - 200) as usize;

    // Root directory.
    let root_extent = if inline { None } else { Some(bitmap.alloc_mkfs(1, recs)?) };
    let (root_blkno, root_bit) = alloc_sys_inode(&mut groups)?;
    let mut root_dir = DirBuf::new(bs as usize, !inline && trailers_ok);
    root_dir.add(".", root_blkno, file_type::DIR);
    root_dir.add("..", root_blkno, file_type::DIR);

    // System directory: inline when its worst case fits.
    let each = rec_len(SYSTEM_FILE_NAME_MAX) as u64;
    let need = each * u64::from(sys_entries(u32::from(plan.slots)));
    let sysdir_inline = inline && need <= max_inline as u64;
    let sysdir_extent = if sysdir_inline {
        None
    } else {
        let per_block = u64::from(bs) / each;
        let blocks = u64::from(sys_entries(u32::from(plan.slots))).div_ceil(per_block);
        let n = clusters_for(blocks << bbits);
        Some((bitmap.alloc_mkfs(n, recs)?, n))
    };
    let (sysdir_blkno, sysdir_bit) = alloc_sys_inode(&mut groups)?;
    let mut sysdir = DirBuf::new(bs as usize, !sysdir_inline && trailers_ok);
    sysdir.add(".", sysdir_blkno, file_type::DIR);
    sysdir.add("..", sysdir_blkno, file_type::DIR);

    let mut inodes: Vec<InodeRec> = Vec::new();
    for kind in SysKind::ALL {
        if plan.heartbeat_device
            && !matches!(kind, SysKind::GlobalBitmap | SysKind::GlobalInodeAlloc | SysKind::Heartbeat)
        {
            continue;
        }
        if !kind.wanted(features.ro_compat) {
            continue;
        }
        let n = if kind.is_global() { 1 } else { plan.slots };
        for slot in 0..n {
            let (blkno, bit) = alloc_sys_inode(&mut groups)?;
            let name = sys_name(kind, slot);
            let m = if kind.is_dir() { dir_mode } else { file_mode };
            sysdir.add(&name, blkno, if kind.is_dir() { file_type::DIR } else { file_type::REG });
            inodes.push(sys_rec(name, Some(kind), blkno, bit, m, kind.flags()));
        }
    }
    let find = |inodes: &[InodeRec], kind: SysKind, slot: u16| {
        let name = sys_name(kind, slot);
        inodes.iter().position(|i| i.kind == Some(kind) && i.name == name)
    };

    // Heartbeat region: one block per node plus one.
    let hb_bytes = (super::plan::HEARTBEAT_NODES + 1) << bbits;
    let hb_clusters = clusters_for(hb_bytes);
    let hb_start = bitmap.alloc_mkfs(hb_clusters, recs)?;
    if let Some(i) = find(&inodes, SysKind::Heartbeat, 0) {
        let r = &mut inodes[i];
        r.size = hb_bytes;
        r.clusters = hb_clusters;
        r.body = Body::Extents(vec![Extent { cpos: 0, clusters: hb_clusters, blkno: cluster_block(hb_start) }]);
    }

    // Orphan directories.
    for slot in 0..if plan.heartbeat_device { 0 } else { plan.slots } {
        let Some(i) = find(&inodes, SysKind::OrphanDir, slot) else { continue };
        let ext = if inline { None } else { Some(bitmap.alloc_mkfs(1, recs)?) };
        let mut d = DirBuf::new(bs as usize, !inline && trailers_ok);
        d.add(".", inodes[i].blkno, file_type::DIR);
        d.add("..", sysdir_blkno, file_type::DIR);
        finish_dir(&mut inodes[i], d, ext.map(|c| (c, 1)), max_inline, plan)?;
    }

    // The global inode allocator's record.
    let gia_idx = find(&inodes, SysKind::GlobalInodeAlloc, 0);

    // Root and system directory records.
    let mut root = sys_rec(String::new(), None, root_blkno, root_bit, dir_mode, 0);
    finish_dir(&mut root, root_dir, root_extent.map(|c| (c, 1)), max_inline, plan)?;
    let mut sysd = sys_rec(String::new(), None, sysdir_blkno, sysdir_bit, dir_mode, 0);
    finish_dir(&mut sysd, sysdir, sysdir_extent, max_inline, plan)?;

    for r in inodes.iter_mut() {
        match r.kind {
            Some(SysKind::LocalAlloc) => r.body = Body::LocalAlloc,
            Some(SysKind::TruncateLog) => r.body = Body::TruncateLog,
            Some(SysKind::GlobalBitmap) => {
                r.body = Body::GlobalBitmap;
                r.size = plan.bytes();
                r.clusters = plan.geometry.clusters;
            }
            Some(SysKind::ExtentAlloc | SysKind::InodeAlloc) => {
                r.body = Body::Chain { cpg: plan.suballoc_cpg() as u16, bpc: bpc as u16, chains: Vec::new() };
            }
            _ => {}
        }
    }
    if let Some(i) = gia_idx {
        let r = &mut inodes[i];
        r.body = Body::Chain { cpg: gia_clusters as u16, bpc: bpc as u16, chains: vec![vec![0]] };
        r.clusters = gia_clusters;
        r.size = u64::from(gia_clusters) << cbits;
    }

    let mut lay = Layout {
        plan: plan.clone(),
        features: plan.superblock_features(),
        first_group_blkno,
        bitmap,
        groups,
        inodes: Vec::new(),
        root: 0,
        sysdir: 1,
        backups: plan.backup_blocks(),
    };

    if !plan.heartbeat_device {
        // From here on libocfs2 allocates, with its own rules.
        for &b in &lay.backups {
            let c = (b >> (cbits - bbits)) as u32;
            if lay.bitmap.is_set(c) {
                return Err(Error::Invalid(format!("backup superblock cluster {c} is already in use")));
            }
            lay.bitmap.set(c, 1);
        }
        let jclusters = (plan.journal_size >> cbits) as u32;
        for slot in 0..plan.slots {
            let Some(i) = find(&inodes, SysKind::Journal, slot) else { continue };
            extend(&mut lay.bitmap, &mut inodes[i], jclusters, plan)?;
        }
        let sub_size = if discontig { 256 } else { (bs - 64) as u16 };
        let cpg = plan.suballoc_cpg();
        let ngroups = plan.extent_alloc_clusters.div_ceil(cpg.max(1));
        for slot in 0..plan.slots {
            let Some(i) = find(&inodes, SysKind::ExtentAlloc, slot) else { continue };
            for _ in 0..ngroups {
                add_group(&mut lay.bitmap, &mut lay.groups, &mut inodes[i], cpg, sub_size, plan)?;
            }
        }
        if let Some(i) = find(&inodes, SysKind::SlotMap, 0) {
            extend(&mut lay.bitmap, &mut inodes[i], 1, plan)?;
        }
        quota_files(&mut lay.bitmap, &mut inodes, &root, plan)?;
        // mkfs.ocfs2 then indexes the root directory and the orphan directories.
        let ea = find(&inodes, SysKind::ExtentAlloc, 0);
        let dx_alloc = |lay: &mut Layout, inodes: &mut [InodeRec]| -> Result<(u64, u16, u64)> {
            let ea = ea.ok_or_else(|| Error::Invalid("no extent_alloc:0000".into()))?;
            meta_block(&mut lay.bitmap, &mut lay.groups, &mut inodes[ea], cpg, sub_size, plan)
        };
        if dx_dirs {
            let at = dx_alloc(&mut lay, &mut inodes)?;
            index_dir(at, &mut root, bs as usize)?;
            for slot in 0..plan.slots {
                if let Some(o) = find(&inodes, SysKind::OrphanDir, slot) {
                    let at = dx_alloc(&mut lay, &mut inodes)?;
                    index_dir(at, &mut inodes[o], bs as usize)?;
                }
            }
        }
        // lost+found: an inode from slot 0's inode allocator, which gets its first group.
        let ia = find(&inodes, SysKind::InodeAlloc, 0).ok_or_else(|| Error::Invalid("no inode_alloc:0000".into()))?;
        add_group(&mut lay.bitmap, &mut lay.groups, &mut inodes[ia], cpg, sub_size, plan)?;
        let gi = lay.groups.len() - 1;
        let bit = lay.groups[gi].alloc().ok_or_else(|| Error::Invalid("new inode group is full".into()))?;
        let gblk = lay.groups[gi].blkno;
        let lf_blkno = gblk + u64::from(bit);
        // An ordinary directory (not SYSTEM) in slot 0's allocator.
        let mut lf = InodeRec {
            suballoc_slot: 0,
            suballoc_loc: gblk,
            flags: flags::VALID,
            links: 2,
            ..sys_rec("lost+found".into(), None, lf_blkno, bit as u16, dir_mode, 0)
        };
        if inline {
            let mut area = vec![0u8; max_inline];
            initial_dirents(&mut area, lf_blkno, root_blkno, max_inline);
            lf.size = max_inline as u64;
            lf.body = Body::InlineDir(area);
        } else {
            extend(&mut lay.bitmap, &mut lf, 1, plan)?;
            let area = if trailers_ok { bs as usize - TRAILER_SIZE } else { bs as usize };
            let mut blk = vec![0u8; bs as usize];
            initial_dirents(&mut blk, lf_blkno, root_blkno, area);
            lf.dir_blocks = blk;
            lf.trailers = trailers_ok;
            // libocfs2 leaves i_size at the entry area, not the block (verified).
            lf.size = area as u64;
            if dx_dirs {
                let at = dx_alloc(&mut lay, &mut inodes)?;
                index_dir(at, &mut lf, bs as usize)?;
            }
        }
        root.links += 1;
        let ok = match &mut root.body {
            Body::InlineDir(area) => link_entry(area, "lost+found", lf_blkno, file_type::DIR),
            _ => {
                let end = if root.trailers || meta_ecc { bs as usize - TRAILER_SIZE } else { bs as usize };
                link_entry(&mut root.dir_blocks[..end], "lost+found", lf_blkno, file_type::DIR)
            }
        };
        if !ok {
            return Err(Error::Invalid("no room for lost+found in the root directory".into()));
        }
        let blk = root.body_first_block();
        if let Some(dx) = &mut root.dx {
            dx.entries.push(("lost+found".into(), blk));
        }
        lay.inodes.push(root);
        lay.inodes.push(sysd);
        lay.inodes.extend(inodes);
        lay.inodes.push(lf);
    } else {
        lay.inodes.push(root);
        lay.inodes.push(sysd);
        lay.inodes.extend(inodes);
    }
    Ok(lay)
}

/// libocfs2's quota formatting as mkfs.ocfs2 drives it: for users, then groups,
/// the global file gets two blocks and each slot's local file two blocks; then
/// (usage counted over the inodes that exist so far: only the root directory)
/// each global file grows one block per tree level and one data block, a
/// cluster at a time when full.
fn quota_files(bm: &mut ClusterBitmap, inodes: &mut [InodeRec], root: &InodeRec, plan: &Plan) -> Result<()> {
    let bbits = plan.geometry.block_bits;
    let bpc = plan.geometry.blocks_per_cluster() as u32; // at most 2048
    let init_clusters = (2u64 << bbits).div_ceil(u64::from(plan.geometry.cluster_size)) as u32;
    let kinds = |ty: QuotaType| match ty {
        QuotaType::User => (SysKind::UserQuota, SysKind::LocalUserQuota),
        QuotaType::Group => (SysKind::GroupQuota, SysKind::LocalGroupQuota),
    };
    let types: Vec<QuotaType> =
        QuotaType::ALL.into_iter().filter(|t| plan.features.ro_compat & t.feature() != 0).collect();
    let pos = |inodes: &[InodeRec], kind: SysKind, slot: u16| {
        let name = sys_name(kind, slot);
        inodes
            .iter()
            .position(|i| i.kind == Some(kind) && i.name == name)
            .ok_or_else(|| Error::Invalid(format!("no {name}")))
    };
    for &ty in &types {
        let (global, local) = kinds(ty);
        let g = pos(inodes, global, 0)?;
        extend(bm, &mut inodes[g], init_clusters, plan)?;
        inodes[g].size = 2 << bbits;
        for slot in 0..plan.slots {
            let l = pos(inodes, local, slot)?;
            extend(bm, &mut inodes[l], init_clusters, plan)?;
            inodes[l].size = 2 << bbits;
            inodes[l].quota = Some(QuotaFile::Local { ty });
        }
    }
    let space = u64::from(root.clusters) << plan.geometry.cluster_bits;
    for &ty in &types {
        let g = pos(inodes, kinds(ty).0, 0)?;
        let mut blocks = 2u32;
        for _ in 0..tree_depth(plan.geometry.block_size as usize) {
            if blocks == inodes[g].clusters * bpc {
                extend(bm, &mut inodes[g], 1, plan)?;
            }
            blocks += 1;
        }
        inodes[g].size = u64::from(blocks) << bbits;
        inodes[g].quota = Some(QuotaFile::Global { ty, blocks, inodes: 1, space });
    }
    Ok(())
}

/// A metadata block from slot 0's extent allocator, as libocfs2 takes one: the
/// first free bit in chain order, after growing the allocator by a group when
/// it has none free (small volumes start with no extent groups). Returns the
/// block, its bit and its group's descriptor block.
fn meta_block(
    bm: &mut ClusterBitmap,
    groups: &mut Vec<SubGroup>,
    ea: &mut InodeRec,
    cpg: u32,
    size: u16,
    plan: &Plan,
) -> Result<(u64, u16, u64)> {
    for attempt in 0..2 {
        let Body::Chain { chains, .. } = &ea.body else {
            return Err(Error::Invalid("extent_alloc:0000 is not a chain allocator".into()));
        };
        for &gi in chains.iter().flatten() {
            if let Some(bit) = groups[gi].alloc() {
                return Ok((groups[gi].blkno + u64::from(bit), bit as u16, groups[gi].blkno));
            }
        }
        if attempt == 0 {
            add_group(bm, groups, ea, cpg, size, plan)?;
        }
    }
    Err(Error::Invalid("extent_alloc:0000 is full".into()))
}

/// libocfs2's `ocfs2_dx_dir_build` of a one-block directory: a dx root at
/// `(block, bit, group)` from [`meta_block`], every entry indexed inline, and the
/// block's trailer recording its largest hole.
fn index_dir((blkno, bit, loc): (u64, u16, u64), dir: &mut InodeRec, bs: usize) -> Result<()> {
    if dir.dir_blocks.len() != bs || !dir.trailers {
        return Err(Error::Invalid("indexing a directory that is not one block with a trailer".into()));
    }
    let block = dir.body_first_block();
    let area = bs - TRAILER_SIZE;
    let (mut entries, mut hole, mut at) = (Vec::new(), 0usize, 0usize);
    let b = &dir.dir_blocks;
    while at + 12 <= area {
        let ino = u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let rl = usize::from(u16::from_le_bytes([b[at + 8], b[at + 9]]));
        let nl = usize::from(b[at + 10]);
        if rl < 12 {
            break;
        }
        if ino != 0 {
            entries.push((String::from_utf8_lossy(&b[at + 12..at + 12 + nl]).into_owned(), block));
            hole = hole.max(rl - rec_len(nl));
        } else {
            hole = hole.max(rl);
        }
        at += rl;
    }
    let free = if hole >= rec_len(1) { hole } else { 0 };
    dir.dx = Some(DxDir {
        blkno,
        suballoc_bit: bit,
        suballoc_loc: loc,
        entries,
        free_blk: if free > 0 { block } else { 0 },
        free_rec_len: free as u16,
    });
    Ok(())
}

impl InodeRec {
    fn body_first_block(&self) -> u64 {
        match &self.body {
            Body::Extents(l) => l.first().map_or(0, |e| e.blkno),
            _ => 0,
        }
    }
}

/// Finishes a directory mkfs.ocfs2 built: inline data when `ext` is `None`,
/// else its blocks in the `(first cluster, clusters)` extent.
fn finish_dir(r: &mut InodeRec, d: DirBuf, ext: Option<(u32, u32)>, max_inline: usize, plan: &Plan) -> Result<()> {
    r.links = d.links;
    match ext {
        None => {
            r.body = Body::InlineDir(d.inline(max_inline)?);
            r.size = max_inline as u64;
        }
        Some((c, n)) => {
            r.size = d.buf.len() as u64;
            r.clusters = n;
            r.body = Body::Extents(vec![Extent {
                cpos: 0,
                clusters: n,
                blkno: plan.geometry.cluster_to_block(u64::from(c)),
            }]);
            r.trailers = d.area != d.bs;
            r.dir_blocks = d.buf;
        }
    }
    Ok(())
}

/// libocfs2's `ocfs2_extend_allocation`: `n` more clusters, one extent per run
/// the range allocator hands out.
fn extend(bm: &mut ClusterBitmap, r: &mut InodeRec, mut n: u32, plan: &Plan) -> Result<()> {
    let Body::Extents(list) = &mut r.body else {
        return Err(Error::Invalid("extending a file without an extent list".into()));
    };
    let cap = ((plan.geometry.block_size - 208) / 16) as usize;
    let mut cpos = r.clusters;
    while n > 0 {
        let (c, got) = bm.alloc_range(1, n)?;
        let blkno = plan.geometry.cluster_to_block(u64::from(c));
        match list.last_mut() {
            Some(e)
                if e.blkno + plan.geometry.cluster_to_block(u64::from(e.clusters)) == blkno
                    && e.clusters + got <= 0xffff =>
            {
                e.clusters += got
            }
            _ => {
                if list.len() == cap {
                    return Err(Error::Unsupported {
                        what: "mkfs: a system file needs an extent tree deeper than its inode",
                        bit: 0,
                    });
                }
                list.push(Extent { cpos, clusters: got, blkno });
            }
        }
        cpos += got;
        n -= got;
    }
    r.clusters = cpos;
    r.size = u64::from(cpos) << plan.geometry.cluster_bits;
    Ok(())
}

/// libocfs2's `ocfs2_chain_add_group`: a new group of `cpg` clusters at the head
/// of the next unused chain (or round robin once all are used).
fn add_group(
    bm: &mut ClusterBitmap,
    groups: &mut Vec<SubGroup>,
    r: &mut InodeRec,
    cpg: u32,
    size: u16,
    plan: &Plan,
) -> Result<()> {
    let (c, _) = bm.alloc_range(cpg, cpg)?;
    let Body::Chain { chains, bpc, .. } = &mut r.body else {
        return Err(Error::Invalid("adding a group to a non-chain inode".into()));
    };
    let count = chain_recs_per_inode(plan.geometry.block_size) as usize;
    let chain = if chains.len() < count { chains.len() } else { (r.clusters / cpg) as usize % count };
    if chain == chains.len() {
        chains.push(Vec::new());
    }
    let next = chains[chain].first().map_or(0, |&g| groups[g].blkno);
    let blkno = plan.geometry.cluster_to_block(u64::from(c));
    groups.push(SubGroup::new(blkno, cpg * u32::from(*bpc), size, chain as u16, next));
    chains[chain].insert(0, groups.len() - 1);
    r.clusters += cpg;
    r.size = u64::from(r.clusters) << plan.geometry.cluster_bits;
    Ok(())
}
