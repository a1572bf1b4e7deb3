//! `refcount SPEC`: a refcount tree (root, tree records, leaves and their
//! records) and, for a file, the sharing count behind each of its extents.

use ocfs2_format::fs::{read_refcount_tree, ExtentMap, RefcountBlockInfo, RefcountTree, SharedRun};
use ocfs2_format::layout::dinode::dyn_features;
use ocfs2_format::layout::refcount::flags;
use ocfs2_format::{CorruptionKind, Error, Volume};
use serde::Serialize;

use super::{bit_names, resolve, CmdError};
use crate::render::{fields, table, Out};

#[derive(Debug, Serialize)]
pub struct RecReport {
    /// Position in the block's record list.
    pub index: usize,
    /// First physical cluster.
    pub cpos: u64,
    /// `r_clusters`: clusters the record covers.
    pub clusters: u32,
    /// `r_refcount`: files sharing them.
    pub refcount: u32,
}

#[derive(Debug, Serialize)]
pub struct TreeRecReport {
    /// First physical cluster the leaf covers.
    pub cpos: u32,
    /// Clusters it covers.
    pub clusters: u32,
    /// The leaf refcount block.
    pub blkno: u64,
}

#[derive(Debug, Serialize)]
pub struct BlockReport {
    /// The refcount block.
    pub blkno: u64,
    /// `rf_suballoc_slot`.
    pub suballoc_slot: u16,
    /// `rf_suballoc_bit`.
    pub suballoc_bit: u16,
    /// `rf_fs_generation`: the volume's generation when it was written.
    pub fs_generation: u32,
    /// `rf_parent`: the tree's root block (its inode for the root).
    pub parent: u64,
    /// `rf_cpos`: the first physical cluster a leaf covers.
    pub cpos: u32,
    /// `rf_last_eb_blk`: the last extent block of a tree root.
    pub last_eb_blk: u64,
    /// `rf_count`: inodes sharing the tree.
    pub count: u32,
    /// `rf_clusters`: clusters of leaf blocks under a tree root.
    pub clusters: u32,
    /// `rf_flags`.
    pub flags: u32,
    /// The flags by name (`Tree`, `Leaf`).
    pub flag_names: Vec<String>,
    /// `rf_generation`: the tree's generation (in its lock name).
    pub generation: u32,
    /// Metadata ECC: the stored crc32e.
    pub crc32: u32,
    /// Metadata ECC: the stored hamming code.
    pub ecc: u16,
    /// Record blocks: `rl_count`, `rl_used`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records_count: Option<u16>,
    /// Record blocks: `rl_used`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records_used: Option<u16>,
    /// The records in use (record blocks).
    pub records: Vec<RecReport>,
    /// Tree roots: the leaf blocks by physical cluster.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tree: Vec<TreeRecReport>,
}

#[derive(Debug, Serialize)]
pub struct RefcountReport {
    /// The inode asked about (absent when a refcount block was named).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
    /// The tree's blocks: the root, then every leaf.
    pub blocks: Vec<BlockReport>,
    /// Each REFCOUNTED extent of the file split by sharing count: the
    /// library's `SharedRun`, `cpos` (the file's first logical cluster of the
    /// run), `clusters`, `phys_cluster` (its first physical cluster) and
    /// `refcount` (how many files share them; 0: no record, not shared).
    pub extents: Vec<SharedRun>,
}

fn block_report(b: &RefcountBlockInfo) -> BlockReport {
    let h = &b.header;
    BlockReport {
        blkno: b.blkno,
        suballoc_slot: h.rf_suballoc_slot.get(),
        suballoc_bit: h.rf_suballoc_bit.get(),
        fs_generation: h.rf_fs_generation.get(),
        parent: h.rf_parent.get(),
        cpos: h.rf_cpos.get(),
        last_eb_blk: h.rf_last_eb_blk.get(),
        count: h.rf_count.get(),
        clusters: h.rf_clusters.get(),
        flags: h.rf_flags.get(),
        flag_names: bit_names(h.rf_flags.get(), flags::NAMES),
        generation: h.rf_generation.get(),
        crc32: h.rf_check.crc32e.get(),
        ecc: h.rf_check.ecc.get(),
        records_count: b.list.map(|l| l.0),
        records_used: b.list.map(|l| l.1),
        records: b
            .recs
            .iter()
            .enumerate()
            .map(|(index, r)| RecReport {
                index,
                cpos: r.r_cpos.get(),
                clusters: r.r_clusters.get(),
                refcount: r.r_refcount.get(),
            })
            .collect(),
        tree: b.tree.iter().map(|e| TreeRecReport { cpos: e.cpos, clusters: e.clusters, blkno: e.blkno }).collect(),
    }
}

pub fn run(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let at = |e| CmdError::at(spec.to_string(), e);
    let blkno = resolve(vol, spec)?;
    // An inode, or (as debugfs accepts) a refcount block itself.
    let (inode, tree): (Option<u64>, RefcountTree) = match vol.inode(blkno) {
        Ok(i) => {
            let h = i.header();
            if !h.has_dyn(dyn_features::HAS_REFCOUNT) {
                return Err(CmdError::msg(format!("{spec}: inode {blkno} does not have a refcount tree")));
            }
            let root = vol.check_ref(blkno, "ocfs2_dinode", "i_refcount_loc", h.i_refcount_loc.get()).map_err(at)?;
            let tree = read_refcount_tree(vol, root).map_err(at)?;
            (Some(blkno), tree)
        }
        Err(Error::Corrupt(c)) if c.kind == CorruptionKind::Signature => {
            (None, read_refcount_tree(vol, blkno).map_err(at)?)
        }
        Err(e) => return Err(at(e)),
    };
    let mut extents = Vec::new();
    if let Some(ino) = inode {
        let map = ExtentMap::load(vol, &vol.inode(ino).map_err(at)?).map_err(at)?;
        extents = tree.shared_runs(vol, &map);
    }
    let r = RefcountReport { inode, blocks: tree.blocks.iter().map(block_report).collect(), extents };
    out.emit(&r, |r| {
        let mut s = String::new();
        for b in &r.blocks {
            s.push_str(&fields(vec![
                ("Refcount Block", format!("{}   Parent: {}", b.blkno, b.parent)),
                ("SubAlloc Bit", format!("{}   SubAlloc Slot: {}", b.suballoc_bit, b.suballoc_slot)),
                ("FS Generation", format!("{} ({:#x})", b.fs_generation, b.fs_generation)),
                ("Cpos", format!("{}   Last Leaf block: {}", b.cpos, b.last_eb_blk)),
                ("Reftree Count", format!("{}   Ref clusters: {}", b.count, b.clusters)),
                ("Flags", format!("{:#x} {}", b.flags, b.flag_names.join(" "))),
                ("CRC32", format!("{:08x}   ECC: {:04x}", b.crc32, b.ecc)),
            ]));
            if let (Some(c), Some(u)) = (b.records_count, b.records_used) {
                s.push_str(&format!("Refcount records: {c}   Used: {u}\n"));
                let rows = b
                    .records
                    .iter()
                    .map(|x| {
                        vec![x.index.to_string(), x.cpos.to_string(), x.clusters.to_string(), x.refcount.to_string()]
                    })
                    .collect();
                s.push_str(&table(&["###", "Physical cpos", "Clusters", "Reference count"], rows, &[1, 2, 3]));
            }
            if !b.tree.is_empty() {
                let rows = b
                    .tree
                    .iter()
                    .map(|t| vec![t.cpos.to_string(), t.clusters.to_string(), t.blkno.to_string()])
                    .collect();
                s.push_str(&table(&["Physical cpos", "Clusters", "Leaf block"], rows, &[0, 1, 2]));
            }
            s.push('\n');
        }
        if !r.extents.is_empty() {
            s.push_str("Shared extents of the file:\n");
            let rows = r
                .extents
                .iter()
                .map(|e| {
                    vec![e.cpos.to_string(), e.clusters.to_string(), e.phys_cluster.to_string(), e.refcount.to_string()]
                })
                .collect();
            s.push_str(&table(&["Offset", "Clusters", "Physical cpos", "Reference count"], rows, &[0, 1, 2, 3]));
        }
        s
    })
}
