//! Where every structure goes: a replay, in memory, of the allocations
//! mkfs.ocfs2 1.8.7 makes (first its own simple allocator, then libocfs2's for the
//! journals, allocator groups, slot map and lost+found), so that our volume is laid
//! out block for block like theirs. Pure: it decides, [`super::write`] writes.
//!
//! By phase, in mkfs.ocfs2's order: the global [`bitmap`] and the superblock
//! area; the [`system`] inodes mkfs.ocfs2 places itself; then, as libocfs2
//! allocates, the backup superblocks, the [`journals`], the extent allocators'
//! [`groups`], the slot map, the [`quota`] files, and the directory indexes
//! and lost+found ([`dirs`]).

mod bitmap;
mod dirs;
mod groups;
mod journals;
mod quota;
mod system;

use crate::layout::system_file::{SystemFile, SystemFileKind};
pub use bitmap::ClusterBitmap;
pub use dirs::DxDir;
pub use groups::SubGroup;
pub use quota::QuotaFile;

use super::features::Features;
use super::plan::Plan;
use crate::error::{Error, InvalidKind, Result};
use crate::layout::superblock::SUPERBLOCK_BLKNO;

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

/// What an inode's `id2` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An extent list (depth 0).
    Extents(Vec<Extent>),
    /// A chain allocator over suballocator groups (indices into [`Placement::groups`]).
    Chain {
        /// `cl_cpg`.
        cpg: u16,
        /// `cl_bpc`.
        bpc: u16,
        /// Its groups, by chain: `chains[i]` lists the groups of chain `i`, head first.
        chains: Vec<Vec<usize>>,
    },
    /// The global bitmap's chain list (computed from [`Placement::bitmap`]).
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
    pub kind: Option<SystemFileKind>,
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

/// Where everything goes on the volume.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The geometry it was made for.
    pub plan: Plan,
    /// The superblock feature words (which decide the slot map format; blocks
    /// carry ECC when the planned features have META_ECC, see [`Plan::features`]).
    pub features: Features,
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

impl Placement {
    /// The inode of a system file.
    pub fn sys(&self, kind: SystemFileKind, slot: u16) -> Option<&InodeRec> {
        let name = SystemFile::slot(kind, slot).name();
        self.inodes.iter().find(|i| i.kind == Some(kind) && i.name == name)
    }

    /// The global bitmap inode's block.
    pub fn global_bitmap_blkno(&self) -> u64 {
        self.sys(SystemFileKind::GlobalBitmap, 0).map_or(0, |i| i.blkno)
    }

    /// Chain records of the global bitmap: (free, total, head block) per chain.
    pub fn global_chains(&self) -> Vec<(u32, u32, u64)> {
        let recs = chain_recs_per_inode(self.plan.geometry.block_size);
        let groups = self.bitmap.groups();
        (0..groups.min(recs))
            .map(|chain| {
                let (free, total) = self.bitmap.chain_counts(chain, recs);
                (free, total, self.group_blkno(chain))
            })
            .collect()
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

/// Places everything on the volume planned by `plan`.
pub fn place(plan: &Plan) -> Result<Placement> {
    // mkfs.ocfs2 decides with the requested features; the bits it adds when it
    // writes the superblock (or, for -H, the two it reduces the set to) never
    // change where things go.
    let bpc = plan.geometry.blocks_per_cluster() as u32; // at most 2048

    // Global bitmap: group 0 starts with the clusters before the first group
    // boundary after the superblock, then its descriptor.
    let mut bitmap = ClusterBitmap::new(plan.global_cpg, plan.geometry.clusters);
    let first_group_cluster = (SUPERBLOCK_BLKNO as u32 + 1).div_ceil(bpc);
    bitmap.set(1, first_group_cluster);
    let first_group_blkno = plan.geometry.cluster_to_block(u64::from(first_group_cluster));

    let system::SystemInodes { groups, mut root, sysdir, mut files } = system::place(plan, &mut bitmap)?;
    let mut p = Placement {
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
    let lost_found = if plan.heartbeat_device {
        None
    } else {
        // From here on libocfs2 allocates, with its own rules.
        let (cbits, bbits) = (plan.geometry.cluster_bits, plan.geometry.block_bits);
        for &b in &p.backups {
            let c = (b >> (cbits - bbits)) as u32;
            if p.bitmap.is_set(c) {
                return Err(Error::invalid(
                    InvalidKind::TooSmall,
                    format!("backup superblock cluster {c} is already in use"),
                ));
            }
            p.bitmap.set(c, 1);
        }
        journals::journals(&mut p.bitmap, &mut files, plan)?;
        groups::extent_allocators(&mut p.bitmap, &mut p.groups, &mut files, plan)?;
        if let Some(i) = system::find(&files, SystemFileKind::SlotMap, 0) {
            journals::extend(&mut p.bitmap, &mut files[i], 1, plan)?;
        }
        quota::quota_files(&mut p.bitmap, &mut files, &root, plan)?;
        Some(dirs::index_and_lost_found(&mut p, plan, &mut root, &mut files)?)
    };
    p.inodes.push(root);
    p.inodes.push(sysdir);
    p.inodes.extend(files);
    p.inodes.extend(lost_found);
    Ok(p)
}
