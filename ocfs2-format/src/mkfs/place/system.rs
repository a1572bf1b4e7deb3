//! The system inodes mkfs.ocfs2 makes itself, before libocfs2 takes over: the
//! global inode allocator's one group, the root and system directories, every
//! system file's inode, the heartbeat region and the orphan directories.

use super::bitmap::ClusterBitmap;
use super::dirs::{finish_dir, DirBuf};
use super::groups::SubGroup;
use super::{chain_recs_per_inode, Body, Extent, InodeRec};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::{flags, mode, SUBALLOC_GLOBAL};
use crate::layout::dir::{file_type, rec_len};
use crate::layout::superblock::{incompat, ro_compat};
use crate::layout::system_file::{SystemFile, SystemFileKind};
use crate::mkfs::plan::{Plan, HEARTBEAT_NODES};

/// Length of the longest system file name mkfs reserves directory room for.
const SYSTEM_FILE_NAME_MAX: usize = 40;

/// Whether the file exists with these features on a normal (not -H) volume.
fn wanted(kind: SystemFileKind, ro: u32) -> bool {
    match kind {
        SystemFileKind::UserQuota | SystemFileKind::LocalUserQuota => ro & ro_compat::USRQUOTA != 0,
        SystemFileKind::GroupQuota | SystemFileKind::LocalGroupQuota => ro & ro_compat::GRPQUOTA != 0,
        _ => true,
    }
}

/// Index in `files` of system file `kind` for `slot`.
pub(super) fn find(files: &[InodeRec], kind: SystemFileKind, slot: u16) -> Option<usize> {
    let name = SystemFile::slot(kind, slot).name();
    files.iter().position(|i| i.kind == Some(kind) && i.name == name)
}

/// `i_mode` of a directory and of a file mkfs makes.
pub(super) const DIR_MODE: u16 = mode::S_IFDIR | 0o755;
const FILE_MODE: u16 = mode::S_IFREG | 0o644;

impl InodeRec {
    /// A system inode (VALID|SYSTEM and `fl`) of the global inode allocator,
    /// empty.
    pub(super) fn system(
        name: String,
        kind: Option<SystemFileKind>,
        blkno: u64,
        bit: u16,
        mode_bits: u16,
        fl: u32,
    ) -> Self {
        InodeRec {
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
        }
    }
}

/// What mkfs.ocfs2 makes with its own allocator.
pub(super) struct SystemInodes {
    /// The global inode allocator's group (the first suballocator group).
    pub groups: Vec<SubGroup>,
    /// The root directory.
    pub root: InodeRec,
    /// The system directory.
    pub sysdir: InodeRec,
    /// The system files, in inode order.
    pub files: Vec<InodeRec>,
}

/// Places the system inodes the way mkfs.ocfs2 does, taking clusters from
/// `bitmap` with its own allocator.
pub(super) fn place(plan: &Plan, bitmap: &mut ClusterBitmap) -> Result<SystemInodes> {
    let features = plan.features;
    let bs = plan.geometry.block_size;
    let bbits = plan.geometry.block_bits;
    let bpc = plan.geometry.blocks_per_cluster() as u32; // at most 2048
    let inline = features.has_incompat(incompat::INLINE_DATA);
    let trailers_ok = features.has_incompat(incompat::META_ECC) || features.has_incompat(incompat::INDEXED_DIRS);
    let recs = chain_recs_per_inode(bs);
    let clusters_for = |bytes: u64| bytes.div_ceil(u64::from(plan.geometry.cluster_size)) as u32;
    let cluster_block = |c: u32| plan.geometry.cluster_to_block(u64::from(c));
    let max_inline = (bs - 200) as usize;

    // The global inode allocator's single group: room for every system inode mkfs
    // may ever make (32 slots at least), rounded to clusters.
    let sys_entries =
        |slots: u32| SystemFileKind::ALL.iter().map(|k| if k.is_global() { 1 } else { slots }).sum::<u32>();
    let sys_blocks = 3 + 1 + 1 + 1 + sys_entries(u32::from(plan.slots).max(32));
    let gia_clusters = clusters_for(u64::from(sys_blocks) << bbits);
    let gia_start = bitmap.alloc_mkfs(gia_clusters, recs)?;
    let gia_bits = gia_clusters * bpc;
    let mut groups = vec![SubGroup::new(cluster_block(gia_start), gia_bits, (bs - 64) as u16, 0, 0)];
    let alloc_sys_inode = |groups: &mut Vec<SubGroup>| -> Result<(u64, u16)> {
        let g = &mut groups[0];
        let bit = g.alloc().ok_or_else(|| Error::invalid(InvalidKind::TooSmall, "system inode group is full"))?;
        Ok((g.blkno + u64::from(bit), bit as u16))
    };

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

    let mut files: Vec<InodeRec> = Vec::new();
    for kind in SystemFileKind::ALL {
        if plan.heartbeat_device
            && !matches!(
                kind,
                SystemFileKind::GlobalBitmap | SystemFileKind::GlobalInodeAlloc | SystemFileKind::Heartbeat
            )
        {
            continue;
        }
        if !wanted(kind, features.ro_compat) {
            continue;
        }
        let n = if kind.is_global() { 1 } else { plan.slots };
        for slot in 0..n {
            let (blkno, bit) = alloc_sys_inode(&mut groups)?;
            let name = SystemFile::slot(kind, slot).name();
            let m = if kind.is_dir() { DIR_MODE } else { FILE_MODE };
            sysdir.add(&name, blkno, if kind.is_dir() { file_type::DIR } else { file_type::REG });
            files.push(InodeRec::system(name, Some(kind), blkno, bit, m, kind.flags()));
        }
    }

    // Heartbeat region: one block per node plus one.
    let hb_bytes = (HEARTBEAT_NODES + 1) << bbits;
    let hb_clusters = clusters_for(hb_bytes);
    let hb_start = bitmap.alloc_mkfs(hb_clusters, recs)?;
    if let Some(i) = find(&files, SystemFileKind::Heartbeat, 0) {
        let r = &mut files[i];
        r.size = hb_bytes;
        r.clusters = hb_clusters;
        r.body = Body::Extents(vec![Extent { cpos: 0, clusters: hb_clusters, blkno: cluster_block(hb_start) }]);
    }

    // Orphan directories.
    for slot in 0..if plan.heartbeat_device { 0 } else { plan.slots } {
        let Some(i) = find(&files, SystemFileKind::OrphanDir, slot) else { continue };
        let ext = if inline { None } else { Some(bitmap.alloc_mkfs(1, recs)?) };
        let mut d = DirBuf::new(bs as usize, !inline && trailers_ok);
        d.add(".", files[i].blkno, file_type::DIR);
        d.add("..", sysdir_blkno, file_type::DIR);
        finish_dir(&mut files[i], d, ext.map(|c| (c, 1)), max_inline, plan)?;
    }

    // Root and system directory records.
    let mut root = InodeRec::system(String::new(), None, root_blkno, root_bit, DIR_MODE, 0);
    finish_dir(&mut root, root_dir, root_extent.map(|c| (c, 1)), max_inline, plan)?;
    let mut sysd = InodeRec::system(String::new(), None, sysdir_blkno, sysdir_bit, DIR_MODE, 0);
    finish_dir(&mut sysd, sysdir, sysdir_extent, max_inline, plan)?;

    set_bodies(&mut files, plan, gia_clusters);
    Ok(SystemInodes { groups, root, sysdir: sysd, files })
}

/// What each allocator and log inode holds before libocfs2 fills it: the
/// global inode allocator its one group of `gia_clusters` clusters.
fn set_bodies(files: &mut [InodeRec], plan: &Plan, gia_clusters: u32) {
    let bpc = plan.geometry.blocks_per_cluster() as u16;
    for r in files.iter_mut() {
        match r.kind {
            Some(SystemFileKind::LocalAlloc) => r.body = Body::LocalAlloc,
            Some(SystemFileKind::TruncateLog) => r.body = Body::TruncateLog,
            Some(SystemFileKind::GlobalBitmap) => {
                r.body = Body::GlobalBitmap;
                r.size = plan.bytes();
                r.clusters = plan.geometry.clusters;
            }
            Some(SystemFileKind::ExtentAlloc | SystemFileKind::InodeAlloc) => {
                r.body = Body::Chain { cpg: plan.suballoc_cpg() as u16, bpc, chains: Vec::new() };
            }
            Some(SystemFileKind::GlobalInodeAlloc) => {
                r.body = Body::Chain { cpg: gia_clusters as u16, bpc, chains: vec![vec![0]] };
                r.clusters = gia_clusters;
                r.size = u64::from(gia_clusters) << plan.geometry.cluster_bits;
            }
            _ => {}
        }
    }
}
