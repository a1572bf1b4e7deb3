//! Offline versions of o2info's reports: `volinfo`, `mkfs-cmd`, `freeinode`,
//! `freefrag`, `space-usage`, `filestat`. o2info asks a mounted volume (or reads a block
//! device); these read any image. The human output follows o2info's.

use ocfs2_format::alloc::{self, MAX_HIST};
use ocfs2_format::Volume;
use serde::Serialize;

use super::common::mkfs_cmd::{features, mkfs_cmd};
use super::{resolve, CmdError};
use crate::render::Out;

/// o2info's `o2info_print_line`: words after a qualifier, wrapped before 80 columns.
fn wrap_words(qualifier: &str, words: &[&str]) -> String {
    let mut s = String::from(qualifier);
    let mut len = qualifier.len();
    for w in words {
        let piece = format!("{w} ");
        len += piece.len();
        if len > 80 {
            s.push('\n');
            s.push_str(qualifier);
            len = qualifier.len() + piece.len();
        }
        s.push_str(&piece);
    }
    s.push('\n');
    s
}

#[derive(Debug, Serialize)]
struct VolInfo {
    /// The volume label.
    label: String,
    /// The UUID, 32 hex digits in upper case.
    uuid: String,
    /// Block size in bytes.
    block_size: u32,
    /// Cluster size in bytes.
    cluster_size: u32,
    /// Node slots.
    node_slots: u16,
    /// Every feature set, compat then incompat then ro-compat, as mkfs.ocfs2 spells them.
    features: Vec<&'static str>,
    /// Clusters in the volume.
    clusters: u32,
    /// Blocks in the volume.
    blocks: u64,
}

/// `volinfo`.
pub fn run_volinfo(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let sb = vol.superblock();
    let geo = vol.geometry();
    let r = VolInfo {
        label: String::from_utf8_lossy(sb.label()).into_owned(),
        uuid: sb.uuid_hex(),
        block_size: geo.block_size,
        cluster_size: geo.cluster_size,
        node_slots: sb.s_max_slots.get(),
        features: features(vol),
        clusters: geo.clusters,
        blocks: geo.blocks,
    };
    out.emit(&r, |r| {
        let mut s = format!(
            "       Label: {}\n        UUID: {}\n  Block Size: {}\nCluster Size: {}\n  Node Slots: {}\n",
            r.label, r.uuid, r.block_size, r.cluster_size, r.node_slots
        );
        s.push_str(&wrap_words("    Features: ", &r.features));
        s
    })
}

/// `mkfs-cmd`.
pub fn run_mkfs_cmd(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    out.emit(&mkfs_cmd(vol)?, |r| format!("{}\n", r.command))
}

/// Not the library's `SlotInodes`: o2info's `space` for its `total`, and the
/// JSON has always named it so.
#[derive(Debug, Serialize)]
struct SlotRow {
    /// The node slot.
    slot: u16,
    /// Inodes its inode allocator holds (allocated and free).
    space: u64,
    /// Free inodes among them.
    free: u64,
}

#[derive(Debug, Serialize)]
struct FreeInodeReport {
    /// Each slot's inode allocator.
    slots: Vec<SlotRow>,
    /// The slots' inodes, summed.
    total: u64,
    /// The slots' free inodes, summed.
    free: u64,
    /// `global_inode_alloc` (system files, root): o2info leaves it out of the table.
    global_space: u64,
    /// Free inodes in `global_inode_alloc`.
    global_free: u64,
}

/// `freeinode`.
pub fn run_freeinode(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let f = alloc::freeinode(vol)?;
    let slots: Vec<SlotRow> =
        f.slots.iter().map(|s| SlotRow { slot: s.slot.unwrap_or(0), space: s.total, free: s.free }).collect();
    let r = FreeInodeReport {
        total: slots.iter().map(|s| s.space).sum(),
        free: slots.iter().map(|s| s.free).sum(),
        slots,
        global_space: f.global.total,
        global_free: f.global.free,
    };
    out.emit(&r, |r| {
        let mut s = "Slot\t\tSpace\t\tFree\n".to_string();
        for row in &r.slots {
            s.push_str(&format!("{:3}\t{:13}\t{:12}\n", row.slot, row.space, row.free));
        }
        s.push_str(&format!("Total\t{:13}\t{:12}\n", r.total, r.free));
        s
    })
}

/// Not the library's `HistBucket`: the class bounds and the share added.
#[derive(Debug, Serialize)]
struct Bucket {
    /// Smallest extent of the class, in clusters.
    min_clusters: u64,
    /// First size past the class (`None` for the last, open-ended class).
    end_clusters: Option<u64>,
    /// Free extents of this class.
    free_extents: u64,
    /// Clusters in them.
    free_clusters: u64,
    /// Their share of the free clusters, in percent.
    percent: f64,
}

/// Not the library's `FreeFrag`: sizes in KiB, percentages and the chunk size
/// computed, as o2info prints them.
#[derive(Debug, Serialize)]
struct FreeFragReport {
    /// Block size in bytes.
    block_size: u32,
    /// Cluster size in bytes.
    cluster_size: u32,
    /// Clusters in the global bitmap.
    total_clusters: u64,
    /// Free clusters.
    free_clusters: u64,
    /// Free clusters, in percent.
    free_percent: f64,
    /// The smallest free extent, KiB.
    min_free_extent_kb: u64,
    /// The largest free extent, KiB.
    max_free_extent_kb: u64,
    /// The mean free extent, KiB.
    avg_free_extent_kb: u64,
    /// Free extents (runs of free clusters).
    free_extents: u64,
    /// The chunk size in bytes (default: one cluster).
    chunk_size: u64,
    /// Clusters per chunk.
    clusters_per_chunk: u64,
    /// Chunks in the volume.
    total_chunks: u64,
    /// Chunks entirely free.
    free_chunks: u64,
    /// Free chunks, in percent.
    free_chunks_percent: f64,
    /// Free extents per power-of-two size class (empty classes left out).
    histogram: Vec<Bucket>,
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// `freefrag [CHUNK_KB]`: the chunk size in KiB as o2info takes it (default:
/// one cluster).
pub fn run_freefrag(vol: &Volume, out: &Out, chunk_kb: Option<u64>) -> Result<(), CmdError> {
    let geo = *vol.geometry();
    let chunk = match chunk_kb {
        None => u64::from(geo.cluster_size),
        Some(kb) => {
            let bytes = kb.checked_mul(1024).ok_or_else(|| CmdError::msg(format!("chunk {kb} KiB: too large")))?;
            if !bytes.is_power_of_two() {
                return Err(CmdError::msg(format!("chunk {kb} KiB: must be a power of two")));
            }
            if bytes < u64::from(geo.cluster_size) {
                return Err(CmdError::msg(format!(
                    "chunk {kb} KiB: must be at least the cluster size ({} KiB)",
                    geo.cluster_size / 1024
                )));
            }
            bytes
        }
    };
    let f = alloc::freefrag(vol, chunk >> geo.cluster_bits)?;
    let kb = |c: u64| c << (geo.cluster_bits - 10);
    let histogram = (0..MAX_HIST)
        .filter(|&i| f.histogram[i].extents != 0)
        .map(|i| Bucket {
            min_clusters: 1 << i,
            end_clusters: (i + 1 < MAX_HIST).then(|| 1u64 << (i + 1)),
            free_extents: f.histogram[i].extents,
            free_clusters: f.histogram[i].clusters,
            percent: pct(f.histogram[i].clusters, f.free_clusters),
        })
        .collect();
    let r = FreeFragReport {
        block_size: geo.block_size,
        cluster_size: geo.cluster_size,
        total_clusters: f.clusters,
        free_clusters: f.free_clusters,
        free_percent: pct(f.free_clusters, f.clusters),
        min_free_extent_kb: kb(f.min),
        max_free_extent_kb: kb(f.max),
        avg_free_extent_kb: f.sum.checked_div(f.free_extents).map_or(0, kb),
        free_extents: f.free_extents,
        chunk_size: chunk,
        clusters_per_chunk: f.clusters_per_chunk,
        total_chunks: f.total_chunks,
        free_chunks: f.free_chunks,
        free_chunks_percent: pct(f.free_chunks, f.total_chunks),
        histogram,
    };
    out.emit(&r, |r| render_freefrag(r, geo.cluster_bits))
}

/// Sizes as o2info prints them: `256K`, `2M`, `1G`.
fn size_label(bytes: u64) -> (u64, char) {
    let units = ['K', 'M', 'G', 'T', 'P', 'E'];
    let mut v = bytes >> 10;
    let mut u = 0;
    while v >= 1024 && u + 1 < units.len() {
        v >>= 10;
        u += 1;
    }
    (v, units[u])
}

fn render_freefrag(r: &FreeFragReport, cluster_bits: u32) -> String {
    let mut s = format!(
        "Blocksize: {} bytes\nClustersize: {} bytes\nTotal clusters: {}\nFree clusters: {} ({:.1}%)\n",
        r.block_size, r.cluster_size, r.total_clusters, r.free_clusters, r.free_percent
    );
    s.push_str(&format!(
        "\nMin. free extent: {} KB \nMax. free extent: {} KB\nAvg. free extent: {} KB\n",
        r.min_free_extent_kb, r.max_free_extent_kb, r.avg_free_extent_kb
    ));
    s.push_str(&format!(
        "\nChunksize: {} bytes ({} clusters)\nTotal chunks: {}\nFree chunks: {} ({:.1}%)\n",
        r.chunk_size, r.clusters_per_chunk, r.total_chunks, r.free_chunks, r.free_chunks_percent
    ));
    s.push_str("\nHISTOGRAM OF FREE EXTENT SIZES:\n");
    s.push_str(&format!(
        "{} :  {:>12}  {:>12}  {:>7}\n",
        "Extent Size Range", "Free extents", "Free Clusters", "Percent"
    ));
    for b in &r.histogram {
        let (sv, su) = size_label(b.min_clusters << cluster_bits);
        // o2info prints the end in the start's unit (`512K... 1024K-`).
        let end = match b.end_clusters {
            Some(_) => format!("{:5}{su}-", sv * 2),
            None => "max ".to_string(),
        };
        s.push_str(&format!(
            "{sv:5}{su}...{end:>7}  :  {:12}  {:12}  {:6.2}%\n",
            b.free_extents, b.free_clusters, b.percent
        ));
    }
    s
}

#[derive(Debug, Serialize)]
struct SpaceUsageReport {
    /// The file's inode.
    inode: u64,
    /// The library's `SpaceUsage`: `blocks` (512-byte sectors, `st_blocks`),
    /// `clusters`, `shared`, `unwritten`, `holes` (clusters each) and `extents`.
    #[serde(flatten)]
    usage: alloc::SpaceUsage,
}

/// `space-usage SPEC`.
pub fn run_space_usage(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let at = |e| CmdError::at(spec.to_string(), e);
    let inode = vol.inode(blkno).map_err(at)?;
    let usage = alloc::space_usage(vol, &inode).map_err(at)?;
    out.emit(&SpaceUsageReport { inode: blkno, usage }, |r| {
        let u = &r.usage;
        format!(
            "Blocks: {:<10} Shared: {:<10}\tUnwritten: {:<7} Holes: {:<6}\n",
            u.sectors, u.shared, u.unwritten, u.holes
        )
    })
}

#[derive(Debug, Serialize)]
struct FileStat {
    /// The spec, with ` -> TARGET` for a symlink.
    path: String,
    /// The inode.
    inode: u64,
    /// `i_size` in bytes.
    size: u64,
    /// 512-byte sectors (`st_blocks`).
    blocks: u64,
    /// o2info's "IO Block": the volume's block size.
    io_block: u32,
    /// o2info's words for the type (`regular file`, `directory`, `fast symbolic link`, ...).
    file_type: &'static str,
    /// `i_links_count`.
    links: u32,
    /// FIEMAP's view, as o2info computes it: extents per 100 clusters, and that
    /// times the clusters in 1 MiB.
    frag_percent: f32,
    /// Clusters allocated to data.
    clusters: u64,
    /// Extents.
    extents: u64,
    /// `frag_percent` scaled as o2info prints it.
    score: f32,
    /// Clusters of shared (refcounted) extents.
    shared: u64,
    /// Clusters of unwritten extents.
    unwritten: u64,
    /// Clusters of holes between extents.
    holes: u64,
    /// Always 0: o2info asks FIEMAP without `FIEMAP_FLAG_XATTR` for this line.
    xattr: u64,
    /// Permission bits (`st_mode & 07777`) and the `ls -l` string.
    permissions: u16,
    /// The mode as `ls -l` prints it.
    mode: String,
    /// Owner user id.
    uid: u32,
    /// The owner's name in this host's /etc/passwd (null: none).
    user: Option<String>,
    /// Owner group id.
    gid: u32,
    /// The group's name in this host's /etc/group (null: none).
    group: Option<String>,
    /// `(seconds, nanoseconds)` since the epoch.
    atime: (i64, u32),
    /// Modification time, as `atime`.
    mtime: (i64, u32),
    /// Change time, as `atime`.
    ctime: (i64, u32),
}

/// o2info's file type words (`o2info_get_filetype`).
fn filestat_type(md: &ocfs2_format::Metadata) -> &'static str {
    use ocfs2_format::layout::dinode::mode as m;
    match md.mode() as u16 & m::S_IFMT {
        m::S_IFREG if md.is_empty() => "regular empty file",
        m::S_IFREG => "regular file",
        m::S_IFDIR => "directory",
        m::S_IFCHR => "character special file",
        m::S_IFBLK => "block special file",
        m::S_IFIFO => "FIFO",
        m::S_IFLNK if md.blocks() == 0 => "fast symbolic link",
        m::S_IFLNK => "symbolic link",
        m::S_IFSOCK => "socket",
        _ => "unknown file type",
    }
}

/// The name of `id` in the local `/etc/passwd` or `/etc/group` (as o2info's
/// getpwuid/getgrgid on the machine where it runs), if there is one.
fn local_name(db: &str, id: u32) -> Option<String> {
    std::fs::read_to_string(db).ok()?.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2].parse() == Ok(id)).then(|| f[0].to_string())
    })
}

/// `YYYY-MM-DD HH:MM:SS.NNNNNNNNN +0000` (o2info's layout, in UTC).
fn filestat_time((secs, nsec): (i64, u32)) -> String {
    let t = crate::render::time(u64::try_from(secs).unwrap_or(0), 0);
    format!("{}.{nsec:09} +0000", t.trim_end_matches(" UTC"))
}

/// `filestat SPEC`: o2info `--filestat`, from the inode and its extent tree
/// instead of `lstat` and FIEMAP.
pub fn run_filestat(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let at = |e| CmdError::at(spec.to_string(), e);
    let md = vol.metadata_ino(blkno).map_err(at)?;
    let inode = vol.inode(blkno).map_err(at)?;
    let u = alloc::space_usage(vol, &inode).map_err(at)?;
    // The kernel's FIEMAP reports inline data and a fast symlink's target as one
    // extent of less than a cluster; otherwise one extent per leaf record.
    let extents = if md.is_inline() || (md.is_symlink() && md.blocks() == 0) { 1 } else { u.extents };
    let clusters: u64 = u.clusters;
    let (mut frag, mut score) = (0f32, 0f32);
    if clusters > 1 && extents > 0 {
        frag = 100.0 * (extents as f32 / clusters as f32);
        score = frag * (1u32 << 20).div_ceil(vol.geometry().cluster_size) as f32;
    }
    let path = if md.is_symlink() {
        let target = vol.read_link_ino(blkno).map_err(at)?;
        format!("{spec} -> {}", String::from_utf8_lossy(&target))
    } else {
        spec.to_string()
    };
    let r = FileStat {
        path,
        inode: blkno,
        size: md.len(),
        blocks: md.blocks(),
        io_block: vol.geometry().block_size,
        file_type: filestat_type(&md),
        links: md.nlink(),
        frag_percent: frag,
        clusters,
        extents,
        score,
        shared: u.shared,
        unwritten: u.unwritten,
        holes: u.holes,
        xattr: 0,
        permissions: (md.mode() & 0o7777) as u16,
        mode: crate::render::mode_string(md.mode() as u16),
        uid: md.uid(),
        user: local_name("/etc/passwd", md.uid()),
        gid: md.gid(),
        group: local_name("/etc/group", md.gid()),
        atime: md.atime(),
        mtime: md.mtime(),
        ctime: md.ctime(),
    };
    out.emit(&r, |r| {
        let name = |n: &Option<String>, id: u32| n.clone().unwrap_or_else(|| id.to_string());
        format!(
            "  File: {}\n  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}\n\
             Device: -\tInode: {:<10}  Links: {}\n \
             Frag%: {:<10.2}\tClusters: {:<8} Extents: {:<6} Score: {:.0}\n\
             Shared: {:<10}\tUnwritten: {:<7} Holes: {:<8} Xattr: {}\n\
             Access: ({:04o}/{:>10})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\n\
             Access: {}\nModify: {}\nChange: {}\n",
            r.path,
            r.size,
            r.blocks,
            r.io_block,
            r.file_type,
            r.inode,
            r.links,
            r.frag_percent,
            r.clusters,
            r.extents,
            r.score,
            r.shared,
            r.unwritten,
            r.holes,
            r.xattr,
            r.permissions,
            r.mode,
            r.uid,
            name(&r.user, r.uid),
            r.gid,
            name(&r.group, r.gid),
            filestat_time(r.atime),
            filestat_time(r.mtime),
            filestat_time(r.ctime),
        )
    })
}
