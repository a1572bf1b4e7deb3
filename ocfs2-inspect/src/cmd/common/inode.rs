//! An inode as `stat` shows it, with what its `id2` holds (extents, chains and
//! their groups, local alloc, truncate log, inline data, fast symlink); also
//! shown by `stat_sysdir`, `stats`, `extent`, `group` and `plan-recovery`.

use ocfs2_format::alloc::{allocator_groups, GroupInfo};
use ocfs2_format::fs::ExtentMap;
use ocfs2_format::layout::dinode::{dyn_features, flags, mode, Id2, JOURNAL_DIRTY, SUBALLOC_GLOBAL};
use ocfs2_format::layout::extent::{self, ExtentBlockView, ExtentListView};
use ocfs2_format::{Inode, MetaKind, Volume};
use serde::Serialize;

use super::damage::{mark, Damage};
use crate::cmd::{bit_names, CmdError};
use crate::render::{fields, table, time, Table};

#[derive(Debug, Serialize)]
pub struct Bits {
    /// The raw bits.
    pub value: u32,
    /// The names of the bits set.
    pub names: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Time {
    /// Seconds since the epoch (UTC).
    pub sec: u64,
    /// Nanoseconds.
    pub nsec: u32,
}

#[derive(Debug, Serialize)]
pub struct BitmapCounts {
    /// `i_total`: bits in the bitmap.
    pub total: u32,
    /// `i_used`: bits in use.
    pub used: u32,
    /// `total - used` (negative when `used` is damaged).
    pub free: i64,
}

#[derive(Debug, Serialize)]
pub struct ExtentRecReport {
    /// Position in the list.
    pub index: usize,
    /// `e_cpos`: first cluster of the file it maps.
    pub offset: u32,
    /// Clusters it maps (a branch record: its subtree's span).
    pub clusters: u32,
    /// `e_blkno`: first block (an extent block below depth 0).
    pub blkno: u64,
    /// `e_flags` (leaf records only).
    pub flags: u8,
    /// The flags by name (`Unwritten`, `Refcounted`, `Tail`).
    pub flag_names: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ExtentListReport {
    /// `l_tree_depth`: 0 for leaf records.
    pub tree_depth: u16,
    /// `l_count`: record capacity.
    pub count: u16,
    /// `l_next_free_rec`: records in use.
    pub next_free_rec: u16,
    /// The records in use.
    pub recs: Vec<ExtentRecReport>,
}

#[derive(Debug, Serialize)]
pub struct ExtentBlockReport {
    /// The extent block.
    pub blkno: u64,
    /// `h_suballoc_slot`: the slot of the extent allocator it came from.
    pub suballoc_slot: u16,
    /// `h_suballoc_bit`: its bit there.
    pub suballoc_bit: u16,
    /// `h_suballoc_loc`: the suballocator group (0 when not recorded).
    pub suballoc_loc: u64,
    /// `h_next_leaf_blk`: the next leaf block (leaves only; 0 at the end).
    pub next_leaf_blk: u64,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// Its extent list.
    pub list: ExtentListReport,
}

#[derive(Debug, Serialize)]
pub struct ChainRecReport {
    /// The chain.
    pub index: usize,
    /// `c_total`: bits in the chain's groups.
    pub total: u32,
    /// Bits in use (`c_total - c_free`).
    pub used: i64,
    /// `c_free`.
    pub free: u32,
    /// `c_blkno`: the chain's first group descriptor.
    pub blkno: u64,
}

#[derive(Debug, Serialize)]
pub struct GroupReport {
    /// The group descriptor's block.
    pub blkno: u64,
    /// `bg_chain`: the chain it is on.
    pub chain: u16,
    /// `bg_bits`: bits in the group.
    pub total: u16,
    /// Bits in use (`bg_bits - bg_free_bits_count`).
    pub used: i64,
    /// `bg_free_bits_count`.
    pub free: u16,
    /// The longest run of free bits, counted from the bitmap.
    pub contig: u32,
    /// `bg_size`: bytes of bitmap.
    pub size: u16,
    /// `bg_parent_dinode`: the allocator inode.
    pub parent: u64,
    /// `bg_generation`: the volume's generation when it was written.
    pub generation: u32,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// A discontiguous group's extent list (`bg_list`); absent for contiguous groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extents: Option<ExtentListReport>,
}

#[derive(Debug, Serialize)]
pub struct JournalReport {
    /// `ij_flags`.
    pub flags: u32,
    /// The DIRTY flag: the journal needs recovery.
    pub dirty: bool,
    /// `ij_recovery_generation`.
    pub recovery_generation: u32,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// The superblock (its fields are `stats`'); nothing more.
    Superblock,
    /// A chain allocator (the global bitmap, inode and extent allocators).
    Chain {
        /// The allocator's totals.
        bitmap: BitmapCounts,
        /// `cl_cpg`: clusters per group.
        clusters_per_group: u16,
        /// `cl_bpc`: bits per cluster.
        bits_per_cluster: u16,
        /// `cl_count`: chain capacity.
        count: u16,
        /// `cl_next_free_rec`: chains in use.
        next_free_rec: u16,
        /// The chain records.
        recs: Vec<ChainRecReport>,
        /// Group descriptors of each chain, in chain order.
        chains: Vec<Vec<GroupReport>>,
    },
    /// A slot's local alloc window.
    LocalAlloc {
        /// The window's totals.
        bitmap: BitmapCounts,
        /// `la_bm_off`: the window's first cluster in the global bitmap.
        bitmap_offset: u32,
        /// `la_size`: bytes of the local bitmap (named apart from the inode's `size`).
        bitmap_size: u16,
    },
    /// A slot's truncate log.
    TruncateLog {
        /// `tl_count`: record capacity.
        total_records: u16,
        /// `tl_used`: records in use.
        used: u16,
        /// The records in use: `[t_start, t_clusters]` (first cluster, count).
        recs: Vec<(u32, u32)>,
    },
    /// Inline data (files and directories kept in the inode).
    Inline {
        /// `id_count`: bytes the inode can hold.
        inline_data_max: u16,
    },
    /// A fast symlink: the target in the inode.
    FastSymlink {
        /// The target, as UTF-8 (invalid bytes replaced by U+FFFD).
        target: String,
    },
    /// An extent tree (regular files, directories, slow symlinks, system files).
    Extents {
        /// A journal inode's `id1` (null for other inodes).
        journal: Option<JournalReport>,
        /// The tree's root list in the inode.
        list: ExtentListReport,
        /// Every extent block of the tree, depth first (with `-t`).
        extent_blocks: Vec<ExtentBlockReport>,
    },
    /// A character or block device.
    Device {
        /// `id1.dev1.i_rdev`: the device number as the kernel encodes it.
        rdev: u64,
    },
}

#[derive(Debug, Serialize)]
pub struct InodeReport {
    /// The inode (block number).
    pub inode: u64,
    /// `i_mode`: type and permission bits.
    pub mode: u16,
    /// The type from the mode (`Regular`, `Directory`, `Symbolic Link`, ...), as debugfs names it.
    pub file_type: &'static str,
    /// `i_generation`.
    pub generation: u32,
    /// `i_fs_generation`: the volume's generation when it was written.
    pub fs_generation: u32,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// `i_attr`: chattr attributes.
    pub attr: u32,
    /// `i_flags` (`Valid`, `System`, `Orphaned`, ...).
    pub flags: Bits,
    /// `i_dyn_features` (`InlineData`, `HasXattr`, `IndexedDir`, `Refcounted`, ...).
    pub dyn_features: Bits,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// `i_size` in bytes.
    pub size: u64,
    /// `i_links_count`.
    pub links: u32,
    /// `i_clusters`: clusters allocated.
    pub clusters: u32,
    /// Change time.
    pub ctime: Time,
    /// Access time.
    pub atime: Time,
    /// Modification time.
    pub mtime: Time,
    /// `i_dtime`: deletion time, seconds since the epoch (0: none).
    pub dtime: u64,
    /// `i_refcount_loc`: the refcount tree's root block (0: none).
    pub refcount_block: u64,
    /// `i_last_eb_blk`: the last extent block of its tree (0: none).
    pub last_extblk: u64,
    /// `i_orphaned_slot`: the slot whose orphan directory holds it.
    pub orphan_slot: u16,
    /// `None` for the global allocator ("Global").
    pub suballoc_slot: Option<u16>,
    /// `i_suballoc_bit`: its bit in the inode allocator group.
    pub suballoc_bit: u16,
    /// `i_suballoc_loc`: that group's block (0 when not recorded).
    pub suballoc_loc: u64,
    /// `i_xattr_loc`: its xattr block (0: none).
    pub xattr_loc: u64,
    /// `i_xattr_inline_size`: bytes at the end of the inode kept for inline xattrs.
    pub xattr_inline_size: u16,
    /// `i_dx_root`: an indexed directory's root block (0: none).
    pub dx_root: u64,
    /// What `id2` holds, by `kind` (flattened into this object).
    #[serde(flatten)]
    pub body: Body,
    /// Set when the inode is shown although its checks fail (`stat` only): the
    /// checksum computed, or the block number or fs generation it records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage: Option<Damage>,
}

fn type_name(m: u16) -> &'static str {
    match m & mode::S_IFMT {
        mode::S_IFREG => "Regular",
        mode::S_IFDIR => "Directory",
        mode::S_IFLNK => "Symbolic Link",
        mode::S_IFCHR => "Char Device",
        mode::S_IFBLK => "Block Device",
        mode::S_IFIFO => "FIFO",
        mode::S_IFSOCK => "Socket",
        _ => "Unknown",
    }
}

fn list_report(l: &ExtentListView<'_>) -> ExtentListReport {
    let depth = l.depth();
    ExtentListReport {
        tree_depth: depth,
        count: l.list.l_count.get(),
        next_free_rec: l.list.l_next_free_rec.get(),
        recs: l
            .recs
            .iter()
            .enumerate()
            .map(|(index, r)| ExtentRecReport {
                index,
                offset: r.e_cpos.get(),
                clusters: r.clusters(depth),
                blkno: r.e_blkno.get(),
                flags: if depth == 0 { r.e_flags } else { 0 },
                flag_names: if depth == 0 { bit_names(r.e_flags, extent::flags::NAMES) } else { Vec::new() },
            })
            .collect(),
    }
}

fn block_report(blkno: u64, view: &ExtentBlockView<'_>) -> ExtentBlockReport {
    let eb = view.header;
    ExtentBlockReport {
        blkno,
        suballoc_slot: eb.h_suballoc_slot.get(),
        suballoc_bit: eb.h_suballoc_bit.get(),
        suballoc_loc: eb.h_suballoc_loc.get(),
        next_leaf_blk: eb.h_next_leaf_blk.get(),
        crc32: eb.h_check.crc32e.get(),
        ecc: eb.h_check.ecc.get(),
        list: list_report(&view.list),
    }
}

/// One extent block (debugfs `extent <blk>`).
pub fn extent_block(vol: &Volume, blkno: u64) -> Result<ExtentBlockReport, CmdError> {
    let at = |e| CmdError::at(format!("extent block {blkno}"), e);
    let block = vol.read_meta(blkno, MetaKind::EXTENT_BLOCK).map_err(at)?;
    Ok(block_report(blkno, &ExtentBlockView::parse(&block, blkno).map_err(at)?))
}

/// An extent block's header and records, as `stat` shows those under an inode.
pub fn render_extent_block(eb: &ExtentBlockReport) -> String {
    let mut s = format!(
        "Extent Block: {}   Next Leaf: {}   Sub Alloc Slot: {}   Sub Alloc Bit: {}",
        eb.blkno, eb.next_leaf_blk, eb.suballoc_slot, eb.suballoc_bit
    );
    if eb.suballoc_loc != 0 {
        s.push_str(&format!("   Sub Alloc Group: {}", eb.suballoc_loc));
    }
    s.push_str(&format!("\nCRC32: {:08x}   ECC: {:04x}\n", eb.crc32, eb.ecc));
    s.push_str(&extent_table(&eb.list));
    s
}

pub fn group_report(g: &GroupInfo) -> GroupReport {
    GroupReport {
        blkno: g.blkno,
        chain: g.chain,
        total: g.bits,
        used: i64::from(g.bits) - i64::from(g.free),
        free: g.free,
        contig: g.contig_free,
        size: g.size,
        parent: g.parent,
        generation: g.generation,
        crc32: g.check.0,
        ecc: g.check.1,
        extents: g.extents.as_ref().map(|e| list_report(&ExtentListView { list: &e.list, recs: &e.recs })),
    }
}

/// Builds the report of `inode`; `traverse` also walks chains and extent blocks.
pub fn inode_report(vol: &Volume, inode: &Inode<'_>, traverse: bool) -> Result<InodeReport, CmdError> {
    let h = inode.header();
    let d = inode.dinode();
    let bitmap = || {
        let b = h.bitmap1();
        BitmapCounts {
            total: b.i_total.get(),
            used: b.i_used.get(),
            free: i64::from(b.i_total.get()) - i64::from(b.i_used.get()),
        }
    };
    let body = match d.id2()? {
        Id2::Super(_) => Body::Superblock,
        Id2::Chain(cl) => {
            let mut chains = Vec::new();
            if traverse {
                for groups in allocator_groups(vol, inode)? {
                    chains.push(groups.iter().map(group_report).collect());
                }
            }
            Body::Chain {
                bitmap: bitmap(),
                clusters_per_group: cl.list.cl_cpg.get(),
                bits_per_cluster: cl.list.cl_bpc.get(),
                count: cl.list.cl_count.get(),
                next_free_rec: cl.list.cl_next_free_rec.get(),
                recs: cl
                    .recs
                    .iter()
                    .enumerate()
                    .map(|(index, r)| ChainRecReport {
                        index,
                        total: r.c_total.get(),
                        used: i64::from(r.c_total.get()) - i64::from(r.c_free.get()),
                        free: r.c_free.get(),
                        blkno: r.c_blkno.get(),
                    })
                    .collect(),
                chains,
            }
        }
        Id2::LocalAlloc(la, _) => {
            Body::LocalAlloc { bitmap: bitmap(), bitmap_offset: la.la_bm_off.get(), bitmap_size: la.la_size.get() }
        }
        Id2::TruncateLog(tl) => Body::TruncateLog {
            total_records: tl.log.tl_count.get(),
            used: tl.log.tl_used.get(),
            recs: tl.recs.iter().map(|r| (r.t_start.get(), r.t_clusters.get())).collect(),
        },
        Id2::Inline(id, _) => Body::Inline { inline_data_max: id.id_count.get() },
        Id2::FastSymlink(t) => Body::FastSymlink { target: String::from_utf8_lossy(t).into_owned() },
        Id2::Extents(l) => {
            let mut blocks = Vec::new();
            if traverse {
                // Like debugfs.ocfs2, show what the tree reaches: a damaged
                // record or block is named on stderr and the rest still shown.
                let (_, errors) = ExtentMap::load_visiting(vol, inode, &mut |blkno, view| {
                    blocks.push(block_report(blkno, view));
                })?;
                for e in errors {
                    eprintln!("ocfs2-inspect: warning: inode {}: extent tree: {e}", inode.blkno());
                }
            }
            let journal = h.has_flag(flags::JOURNAL).then(|| {
                let j = h.journal1();
                JournalReport {
                    flags: j.ij_flags.get(),
                    dirty: j.ij_flags.get() & JOURNAL_DIRTY != 0,
                    recovery_generation: j.ij_recovery_generation.get(),
                }
            });
            Body::Extents { journal, list: list_report(&l), extent_blocks: blocks }
        }
        Id2::Empty => Body::Device { rdev: h.rdev() },
    };
    let t = |sec: u64, nsec: u32| Time { sec, nsec };
    Ok(InodeReport {
        inode: inode.blkno(),
        mode: h.i_mode.get() & 0o7777,
        file_type: type_name(h.i_mode.get()),
        generation: h.i_generation.get(),
        fs_generation: h.i_fs_generation.get(),
        crc32: h.i_check.crc32e.get(),
        ecc: h.i_check.ecc.get(),
        attr: h.i_attr.get(),
        flags: Bits { value: h.i_flags.get(), names: bit_names(h.i_flags.get(), flags::NAMES) },
        dyn_features: Bits {
            value: u32::from(h.i_dyn_features.get()),
            names: bit_names(h.i_dyn_features.get(), dyn_features::NAMES),
        },
        uid: h.i_uid.get(),
        gid: h.i_gid.get(),
        size: h.i_size.get(),
        links: h.links(),
        clusters: h.i_clusters.get(),
        ctime: t(h.i_ctime.get(), h.i_ctime_nsec.get()),
        atime: t(h.i_atime.get(), h.i_atime_nsec.get()),
        mtime: t(h.i_mtime.get(), h.i_mtime_nsec.get()),
        dtime: h.i_dtime.get(),
        refcount_block: h.i_refcount_loc.get(),
        last_extblk: h.i_last_eb_blk.get(),
        orphan_slot: h.i_orphaned_slot.get(),
        suballoc_slot: (h.i_suballoc_slot.get() != SUBALLOC_GLOBAL).then(|| h.i_suballoc_slot.get()),
        suballoc_bit: h.i_suballoc_bit.get(),
        suballoc_loc: h.i_suballoc_loc.get(),
        xattr_loc: h.i_xattr_loc.get(),
        xattr_inline_size: h.i_xattr_inline_size.get(),
        dx_root: h.i_dx_root.get(),
        body,
        damage: None,
    })
}

fn extent_table(l: &ExtentListReport) -> String {
    let mut s = format!("Tree Depth: {}   Count: {}   Next Free Rec: {}\n", l.tree_depth, l.count, l.next_free_rec);
    let rows = l
        .recs
        .iter()
        .map(|r| {
            vec![
                r.index.to_string(),
                r.offset.to_string(),
                r.clusters.to_string(),
                r.blkno.to_string(),
                format!("{:#x} {}", r.flags, r.flag_names.join(" ")),
            ]
        })
        .collect();
    s.push_str(&table(&["##", "Offset", "Clusters", "Block#", "Flags"], rows, &[1, 2, 3]));
    s
}

/// The table of a chain's groups, then the extents of its discontiguous ones.
pub fn render_groups(groups: &[GroupReport]) -> String {
    let mut t =
        Table::new(&["##", "Block#", "Total", "Used", "Free", "Contig", "Size", "CRC32/ECC"], &[1, 2, 3, 4, 5, 6]);
    for (n, g) in groups.iter().enumerate() {
        t.cell(n).cell(g.blkno).cell(g.total).cell(g.used).cell(g.free).cell(g.contig).cell(g.size);
        t.cell(format_args!("{:08x}/{:04x}", g.crc32, g.ecc));
    }
    let mut s = t.render();
    for (n, g) in groups.iter().enumerate() {
        if let Some(l) = &g.extents {
            s.push_str(&format!("Group {n} ({}) extents:\n", g.blkno));
            s.push_str(&extent_table(l));
        }
    }
    s
}

/// The human rendering of an inode report: the facts debugfs.ocfs2 `stat` prints,
/// in its order.
pub fn render_inode(r: &InodeReport) -> String {
    let tm = |t: &Time| format!("{:#x} {:#x} -- {}", t.sec, t.nsec, time(t.sec, t.nsec));
    let mut rows = vec![
        ("Inode", format!("{}   Mode: {:04o}   Generation: {} ({:#x})", r.inode, r.mode, r.generation, r.generation)),
        ("FS Generation", format!("{} ({:#x})", r.fs_generation, r.fs_generation)),
        ("CRC32", format!("{:08x}   ECC: {:04x}", r.crc32, r.ecc)),
        ("Type", format!("{}   Attr: {:#x}   Flags: {}", r.file_type, r.attr, r.flags.names.join(" "))),
        ("Dynamic Features", format!("({:#x}) {}", r.dyn_features.value, r.dyn_features.names.join(" "))),
    ];
    if r.dyn_features.value & u32::from(dyn_features::HAS_XATTR) != 0 {
        rows.push((
            "Extended Attributes Block",
            format!("{}   Extended Attributes Inline Size: {}", r.xattr_loc, r.xattr_inline_size),
        ));
    }
    rows.extend([
        ("User", format!("{}   Group: {}   Size: {}", r.uid, r.gid, r.size)),
        ("Links", format!("{}   Clusters: {}", r.links, r.clusters)),
        ("ctime", tm(&r.ctime)),
        ("atime", tm(&r.atime)),
        ("mtime", tm(&r.mtime)),
        ("dtime", format!("{:#x} -- {}", r.dtime, time(r.dtime, 0))),
        ("Refcount Block", r.refcount_block.to_string()),
        ("Last Extblk", format!("{}   Orphan Slot: {}", r.last_extblk, r.orphan_slot)),
    ]);
    let mut sub = format!(
        "{}   Sub Alloc Bit: {}",
        r.suballoc_slot.map_or("Global".to_string(), |s| s.to_string()),
        r.suballoc_bit
    );
    if r.suballoc_loc != 0 {
        sub.push_str(&format!("   Sub Alloc Group: {}", r.suballoc_loc));
    }
    rows.push(("Sub Alloc Slot", sub));
    match &r.body {
        Body::Chain { bitmap, .. } | Body::LocalAlloc { bitmap, .. } => {
            rows.push(("Bitmap Total", format!("{}   Used: {}   Free: {}", bitmap.total, bitmap.used, bitmap.free)))
        }
        Body::Extents { journal: Some(j), .. } => {
            rows.push(("Journal Flags", if j.dirty { "Dirty".into() } else { String::new() }));
            rows.push(("Recovery Generation", j.recovery_generation.to_string()));
        }
        Body::Inline { inline_data_max } => rows.push(("Inline Data Max", inline_data_max.to_string())),
        _ => {}
    }
    if r.dx_root != 0 && !matches!(r.body, Body::Inline { .. }) {
        rows.push(("Indexed Tree Root", r.dx_root.to_string()));
    }
    let mut s = mark(fields(rows), r.damage.as_ref());
    match &r.body {
        Body::Superblock | Body::Inline { .. } => {}
        Body::Chain { bitmap: _, clusters_per_group, bits_per_cluster, count, next_free_rec, recs, chains } => {
            s.push_str(&format!("Clusters per Group: {clusters_per_group}   Bits per Cluster: {bits_per_cluster}\n"));
            s.push_str(&format!("Count: {count}   Next Free Rec: {next_free_rec}\n"));
            if !recs.is_empty() {
                let rows = recs
                    .iter()
                    .map(|c| {
                        vec![
                            c.index.to_string(),
                            c.total.to_string(),
                            c.used.to_string(),
                            c.free.to_string(),
                            c.blkno.to_string(),
                        ]
                    })
                    .collect();
                s.push_str(&table(&["##", "Total", "Used", "Free", "Block#"], rows, &[1, 2, 3, 4]));
            }
            for (i, groups) in chains.iter().enumerate() {
                s.push_str(&format!("\nGroup Chain: {i}"));
                if let Some(g) = groups.first() {
                    s.push_str(&format!("   Parent Inode: {}   Generation: {}", g.parent, g.generation));
                }
                s.push('\n');
                if groups.is_empty() {
                    continue;
                }
                s.push_str(&render_groups(groups));
            }
        }
        Body::LocalAlloc { bitmap: _, bitmap_offset, bitmap_size } => {
            s.push_str(&format!("Local Bitmap Offset: {bitmap_offset}   Size: {bitmap_size}\n"));
        }
        Body::TruncateLog { total_records, used, recs } => {
            s.push_str(&format!("Total Records: {total_records}   Used: {used}\n"));
            let rows =
                recs.iter().enumerate().map(|(i, (a, b))| vec![i.to_string(), a.to_string(), b.to_string()]).collect();
            s.push_str(&table(&["##", "Start Cluster", "Num Clusters"], rows, &[1, 2]));
        }
        Body::FastSymlink { target } => s.push_str(&format!("Fast Symlink Destination: {target}\n")),
        Body::Extents { journal: _, list, extent_blocks } => {
            s.push_str(&extent_table(list));
            for eb in extent_blocks {
                s.push('\n');
                s.push_str(&render_extent_block(eb));
            }
        }
        Body::Device { rdev } => s.push_str(&format!("Device: {rdev:#x}\n")),
    }
    s
}
