//! Indexed directories: `dx_root <BLK>`, `dx_leaf <BLK>`, `dx_dump SPEC`,
//! `dx_space SPEC`, and `dirblocks SPEC` (every block of a directory with its
//! trailer and every record, empty ones included).

use ocfs2_format::fs::{self, DxLeafInfo, DxRoot};
use ocfs2_format::layout::dinode::dyn_features;
use ocfs2_format::layout::dir::DirTrailer;
use ocfs2_format::layout::dx::DxRootBody;
use ocfs2_format::Volume;
use serde::Serialize;

use super::common::damage::{self, mark, Damage};
use super::{parse_blkno, resolve, CmdError};
use crate::render::{fields, table, Out};

#[derive(Debug, Serialize)]
pub struct DxEntryReport {
    /// Position in the leaf's entry array.
    pub index: usize,
    /// `dx_major_hash`: the name's major TEA hash.
    pub major_hash: u32,
    /// `dx_minor_hash`: the name's minor TEA hash.
    pub minor_hash: u32,
    /// `dx_dirent_blk`: the directory block holding the name.
    pub dirent_blk: u64,
}

/// Not the library's `DxLeafInfo`: its check pair as `crc32` and `ecc`, each
/// entry (an on-disk record) numbered and named without its `dx_` prefix.
#[derive(Debug, Serialize)]
pub struct DxLeafReport {
    /// The leaf's block (the dx root's for an inline root's entries).
    pub blkno: u64,
    /// `dl_fs_generation`: the volume's generation when it was written.
    pub fs_generation: u32,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// `de_count`: entry capacity.
    pub count: u16,
    /// `de_num_used`: entries in use.
    pub num_used: u16,
    /// The entries in use, in hash order.
    pub entries: Vec<DxEntryReport>,
}

#[derive(Debug, Serialize)]
pub struct DxExtentReport {
    /// Position in the root's extent list.
    pub index: usize,
    /// First major hash the record covers.
    pub offset: u32,
    /// Clusters the record maps.
    pub clusters: u32,
    /// First block it maps (an extent block below depth 0).
    pub blkno: u64,
    /// `e_flags` (leaf records only; 0 for branch records).
    pub flags: u8,
}

/// The on-disk dx root named as debugfs.ocfs2 shows it (no `dr_` prefix, the
/// global slot as null, the tree's records numbered), so a report of its own.
#[derive(Debug, Serialize)]
pub struct DxRootReport {
    /// The dx root block.
    pub blkno: u64,
    /// `dr_fs_generation`: the volume's generation when it was written.
    pub fs_generation: u32,
    /// `dr_clusters`: clusters of dx leaves.
    pub clusters: u32,
    /// `dr_last_eb_blk`: the last extent block of the leaves' tree (0: none).
    pub last_eb_blk: u64,
    /// `dr_dir_blkno`: the directory's inode.
    pub dir_inode: u64,
    /// `None` (null) when allocated from the global allocator (0xffff).
    pub suballoc_slot: Option<u16>,
    /// `dr_suballoc_bit`: its bit in the allocator group.
    pub suballoc_bit: u16,
    /// `dr_flags` (1: inline entries).
    pub flags: u8,
    /// Whether the entries are inline in the root.
    pub inline: bool,
    /// `dr_num_entries`: names indexed.
    pub num_entries: u32,
    /// `dr_free_blk`: first directory block on the free-space list (0: none).
    pub free_blk: u64,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// Tree roots: `[l_tree_depth, l_count, l_next_free_rec]`; the records are
    /// `extents`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<(u16, u16, u16)>,
    /// The tree root's records (empty for an inline root).
    pub extents: Vec<DxExtentReport>,
    /// Inline roots: the entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_entries: Option<DxLeafReport>,
    /// Set when `dx_root` shows the block although its checks fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage: Option<Damage>,
}

fn leaf_report(l: &DxLeafInfo) -> DxLeafReport {
    DxLeafReport {
        blkno: l.blkno,
        fs_generation: l.fs_generation,
        crc32: l.check.0,
        ecc: l.check.1,
        count: l.count,
        num_used: l.num_used,
        entries: l
            .entries
            .iter()
            .enumerate()
            .map(|(index, e)| DxEntryReport {
                index,
                major_hash: e.dx_major_hash.get(),
                minor_hash: e.dx_minor_hash.get(),
                dirent_blk: e.dx_dirent_blk.get(),
            })
            .collect(),
    }
}

fn root_report(root: &DxRoot<'_>) -> DxRootReport {
    let v = root.view();
    let h = v.header;
    let (tree, extents, inline_entries) = match v.body {
        DxRootBody::Tree(l) => (
            Some((l.depth(), l.list.l_count.get(), l.list.l_next_free_rec.get())),
            l.recs
                .iter()
                .enumerate()
                .map(|(index, r)| DxExtentReport {
                    index,
                    offset: r.e_cpos.get(),
                    clusters: r.clusters(l.depth()),
                    blkno: r.e_blkno.get(),
                    flags: if l.depth() == 0 { r.e_flags } else { 0 },
                })
                .collect(),
            None,
        ),
        DxRootBody::Inline(_) => (None, Vec::new(), DxLeafInfo::inline_of(root).as_ref().map(leaf_report)),
    };
    DxRootReport {
        blkno: root.blkno(),
        fs_generation: h.dr_fs_generation.get(),
        clusters: h.dr_clusters.get(),
        last_eb_blk: h.dr_last_eb_blk.get(),
        dir_inode: h.dr_dir_blkno.get(),
        suballoc_slot: (h.dr_suballoc_slot.get() != 0xffff).then(|| h.dr_suballoc_slot.get()),
        suballoc_bit: h.dr_suballoc_bit.get(),
        flags: h.dr_flags,
        inline: v.is_inline(),
        num_entries: h.dr_num_entries.get(),
        free_blk: h.dr_free_blk.get(),
        crc32: h.dr_check.crc32e.get(),
        ecc: h.dr_check.ecc.get(),
        tree,
        extents,
        inline_entries,
        damage: None,
    }
}

fn render_root(r: &DxRootReport) -> String {
    let mut s = fields(vec![
        ("Dir Index Root", format!("{}   FS Generation: {} ({:#x})", r.blkno, r.fs_generation, r.fs_generation)),
        ("Clusters", format!("{}   Last Extblk: {}   Dir Inode: {}", r.clusters, r.last_eb_blk, r.dir_inode)),
        (
            "Sub Alloc Slot",
            format!(
                "{}   Sub Alloc Bit: {}   Flags: ({:#x}) {}",
                r.suballoc_slot.map_or("Global".to_string(), |s| s.to_string()),
                r.suballoc_bit,
                r.flags,
                if r.inline { "Inline" } else { "" }
            ),
        ),
        ("Total Entry Count", r.num_entries.to_string()),
        ("Free Block", r.free_blk.to_string()),
        ("CRC32", format!("{:08x}   ECC: {:04x}", r.crc32, r.ecc)),
    ]);
    s = mark(s, r.damage.as_ref());
    if let Some((depth, count, next)) = r.tree {
        s.push_str(&format!("Tree Depth: {depth}   Count: {count}   Next Free Rec: {next}\n"));
        let rows = r
            .extents
            .iter()
            .map(|e| {
                vec![
                    e.index.to_string(),
                    e.offset.to_string(),
                    e.clusters.to_string(),
                    e.blkno.to_string(),
                    format!("{:#x}", e.flags),
                ]
            })
            .collect();
        s.push_str(&table(&["##", "Offset", "Clusters", "Block#", "Flags"], rows, &[1, 2, 3]));
    }
    if let Some(l) = &r.inline_entries {
        s.push_str(&render_entries(l));
    }
    s
}

fn render_entries(l: &DxLeafReport) -> String {
    let mut s = format!("Count: {}  Num Used: {}\n", l.count, l.num_used);
    let rows = l
        .entries
        .iter()
        .map(|e| {
            vec![
                e.index.to_string(),
                format!("({:#010x} {:#010x})", e.major_hash, e.minor_hash),
                e.dirent_blk.to_string(),
            ]
        })
        .collect();
    s.push_str(&table(&["##", "Hash (Major Minor)", "Dir Block#"], rows, &[0, 2]));
    s
}

fn render_leaf(l: &DxLeafReport) -> String {
    let mut s = fields(vec![
        ("Dir Index Leaf", format!("{}   FS Generation: {} ({:#x})", l.blkno, l.fs_generation, l.fs_generation)),
        ("CRC32", format!("{:08x}   ECC: {:04x}", l.crc32, l.ecc)),
    ]);
    s.push_str(&render_entries(l));
    s
}

/// The dx root of the directory named by `spec`.
fn root_of<'v>(vol: &'v Volume, spec: &str) -> Result<DxRoot<'v>, CmdError> {
    let at = |e| CmdError::at(spec.to_string(), e);
    let dir = vol.inode(resolve(vol, spec)?).map_err(at)?;
    DxRoot::of_dir(vol, &dir).map_err(at)?.ok_or_else(|| CmdError::msg(format!("{spec}: not an indexed directory")))
}

/// `dx_root <BLK>`.
pub fn run_root(vol: &Volume, out: &Out, arg: &str) -> Result<(), CmdError> {
    let blkno = parse_blkno(vol, arg)?;
    // Shown despite a failed checksum, block number or generation, as debugfs.ocfs2 does.
    let (root, faults) = DxRoot::read_unchecked(vol, blkno).map_err(|e| CmdError::at(arg.to_string(), e))?;
    let mut r = root_report(&root);
    r.damage = damage::of(&faults);
    out.emit(&r, render_root)
}

/// `dx_leaf <BLK>`.
pub fn run_leaf(vol: &Volume, out: &Out, arg: &str) -> Result<(), CmdError> {
    let blkno = parse_blkno(vol, arg)?;
    let leaf = fs::read_dx_leaf(vol, blkno).map_err(|e| CmdError::at(arg.to_string(), e))?;
    out.emit(&leaf_report(&leaf), render_leaf)
}

#[derive(Debug, Serialize)]
struct DxDump {
    /// The dx root, as `dx_root` shows it.
    root: DxRootReport,
    /// The leaves in index order (an inline root's entries are under `root`).
    leaves: Vec<DxLeafReport>,
}

/// `dx_dump SPEC`: the root and every leaf.
pub fn run_dump(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let root = root_of(vol, spec)?;
    let leaves = if root.view().is_inline() {
        Vec::new()
    } else {
        fs::dx_entries(vol, &root).map_err(|e| CmdError::at(spec.to_string(), e))?.iter().map(leaf_report).collect()
    };
    let r = DxDump { root: root_report(&root), leaves };
    out.emit(&r, |r| {
        let mut s = render_root(&r.root);
        for l in &r.leaves {
            s.push('\n');
            s.push_str(&render_leaf(l));
        }
        s
    })
}

/// The on-disk `DirTrailer` named as debugfs.ocfs2 shows it (no `db_` prefix,
/// `largest_hole`, `next_free`), so it stays a report of its own.
#[derive(Debug, Serialize)]
pub struct TrailerReport {
    /// `db_blkno`: the directory block the trailer ends.
    pub blkno: u64,
    /// `db_parent_dinode`: the directory's inode.
    pub parent_inode: u64,
    /// `db_compat_rec_len`: the trailer's length as a record.
    pub rec_len: u16,
    /// `db_free_rec_len`: the largest free space in the block, in bytes.
    pub largest_hole: u16,
    /// `db_free_next`: the next block on the free-space list (0: the end).
    pub next_free: u64,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
}

fn trailer_report(t: &DirTrailer) -> TrailerReport {
    TrailerReport {
        blkno: t.db_blkno.get(),
        parent_inode: t.db_parent_dinode.get(),
        rec_len: t.db_compat_rec_len.get(),
        largest_hole: t.db_free_rec_len.get(),
        next_free: t.db_free_next.get(),
        crc32: t.db_check.crc32e.get(),
        ecc: t.db_check.ecc.get(),
    }
}

fn render_trailer(t: &TrailerReport) -> String {
    fields(vec![
        ("Trailer Block", format!("{}   Inode: {}   Len: {}", t.blkno, t.parent_inode, t.rec_len)),
        ("Largest Hole", format!("{}   Next Block: {}", t.largest_hole, t.next_free)),
        ("CRC32", format!("{:08x}   ECC: {:04x}", t.crc32, t.ecc)),
    ])
}

/// `dx_space --json`.
#[derive(Debug, Serialize)]
struct DxSpace {
    /// The trailer of each directory block on the free-space list, in list
    /// order from `dr_free_blk`.
    blocks: Vec<TrailerReport>,
}

/// `dx_space SPEC`: the directory blocks on the free-space list.
pub fn run_space(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let root = root_of(vol, spec)?;
    let free = fs::dx_free_list(vol, &root).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let r = DxSpace { blocks: free.iter().map(|f| trailer_report(&f.trailer)).collect() };
    out.emit(&r, |r| r.blocks.iter().map(render_trailer).collect::<Vec<_>>().join("\n"))
}

/// Not the library's `DirRecord`: `name_len` added between `rec_len` and
/// `file_type`, which a derive on `DirRecord` cannot place.
#[derive(Debug, Serialize)]
pub struct RecordReport {
    /// Byte offset of the record in its block.
    pub offset: usize,
    /// The inode it names (0: an empty record).
    pub inode: u64,
    /// `rec_len`: bytes up to the next record.
    pub rec_len: u16,
    /// `name_len`.
    pub name_len: usize,
    /// The entry's file type (`OCFS2_FT_*`).
    pub file_type: u8,
    /// The name, as UTF-8 (invalid bytes replaced by U+FFFD).
    pub name: String,
}

/// `dirblocks --json`.
#[derive(Debug, Serialize)]
struct DirBlocks {
    /// The directory's inode.
    inode: u64,
    /// Every block under `i_size`, in logical order.
    blocks: Vec<DirBlockReport>,
}

/// Not the library's `DirBlock`: its faults as `damage`, its parts as reports.
#[derive(Debug, Serialize)]
struct DirBlockReport {
    /// The block.
    blkno: u64,
    /// Its trailer (volumes with indexed directories or metadata ECC).
    #[serde(skip_serializing_if = "Option::is_none")]
    trailer: Option<TrailerReport>,
    /// Every record on the `rec_len` chain, empty ones (inode 0) included.
    records: Vec<RecordReport>,
    /// Set when the block's checks fail (it is shown all the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    damage: Option<Damage>,
}

/// `dirblocks SPEC`: every block of a (non-inline) directory.
pub fn run_dirblocks(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let at = |e| CmdError::at(spec.to_string(), e);
    let dir = vol.inode(resolve(vol, spec)?).map_err(at)?;
    if !dir.header().is_dir() {
        return Err(CmdError::msg(format!("{spec}: not a directory")));
    }
    if dir.header().has_dyn(dyn_features::INLINE_DATA) {
        return Err(CmdError::msg(format!("{spec}: the directory has no blocks (its entries are inline)")));
    }
    let blocks: Vec<DirBlockReport> = fs::dir_blocks(vol, &dir)
        .map_err(at)?
        .into_iter()
        .map(|b| DirBlockReport {
            blkno: b.blkno,
            trailer: b.trailer.as_ref().map(trailer_report),
            damage: damage::of(&b.faults),
            records: b
                .records
                .into_iter()
                .map(|r| RecordReport {
                    offset: r.offset,
                    inode: r.inode,
                    rec_len: r.rec_len,
                    name_len: r.name.len(),
                    file_type: r.file_type,
                    name: String::from_utf8_lossy(&r.name).into_owned(),
                })
                .collect(),
        })
        .collect();
    out.emit(&DirBlocks { inode: dir.blkno(), blocks }, |r| {
        let mut s = String::new();
        for b in &r.blocks {
            s.push_str(&format!("Dirblock: {}\n", b.blkno));
            if let Some(t) = &b.trailer {
                s.push_str(&mark(render_trailer(t), b.damage.as_ref()));
            }
            let rows = b
                .records
                .iter()
                .map(|r| {
                    vec![
                        r.inode.to_string(),
                        r.rec_len.to_string(),
                        r.name_len.to_string(),
                        r.file_type.to_string(),
                        r.name.clone(),
                    ]
                })
                .collect();
            s.push_str(&table(&["Inode", "Rec Len", "Name Len", "Type", "Name"], rows, &[0, 1, 2, 3]));
        }
        s
    })
}
