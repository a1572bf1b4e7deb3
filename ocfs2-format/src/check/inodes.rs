//! fsck pass 1: every bit of every suballocator group.
//!
//! Inode allocators: an in-use bit must be a valid inode recording that slot,
//! bit (and group, when it says); a free bit must not hide a valid inode. Each
//! inode's extent tree is walked (depths, order, overlap, range) and its
//! clusters are claimed; `i_clusters` must equal what the tree maps.
//! Extent allocators: an in-use bit must be a valid metadata block (extent,
//! xattr, dx root or refcount block); every block a tree references must have
//! its bit set, and a valid block no tree references is noted as leaked.

use super::{Claim, Corruption, Ctx, InodeFacts, Owner, Pass, Severity, SubGroup};
use crate::alloc::{bit_to_block, group_block_runs};
use crate::error::{CorruptionKind, Error, Result};
use crate::fs::{read_xattr_layout, refcount_tree_of, DxRoot, Extent, ExtentMap};
use crate::layout::dinode::{dyn_features, flags, DinodeHeader, Id2, INODE_SIGNATURE};
use crate::layout::extent::{flags as extent_flags, ExtentBlock};
use crate::layout::group::GroupView;
use crate::layout::inline_data;
use crate::layout::quota::QuotaType;
use crate::layout::refcount::RefcountBlock;
use crate::layout::superblock::{incompat, ro_compat};
use crate::layout::view_at;
use crate::quota::quota_charge;
use crate::volume::{Inode, MetaKind};

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let groups = std::mem::take(&mut cx.sub_groups);
    let total = groups.len() as u64;
    let mut done = 0;
    for g in groups.iter().filter(|g| g.inodes) {
        cx.progress(Pass::Inodes, done, total)?;
        done += 1;
        group(cx, g)?;
    }
    for g in groups.iter().filter(|g| !g.inodes) {
        cx.progress(Pass::Inodes, done, total)?;
        done += 1;
        group(cx, g)?;
    }
    let mut missing: Vec<(u64, u64)> =
        cx.meta_refs.iter().filter(|(b, _)| !cx.meta_in_use.contains_key(b)).map(|(&b, &o)| (b, o)).collect();
    missing.sort_unstable();
    for (blkno, owner) in missing {
        cx.error(
            None,
            blkno,
            "ocfs2_group_desc",
            "bitmap",
            "bit set in an extent allocator",
            "clear or in no allocator",
            format!("metadata block used by inode {owner} is not allocated"),
        );
    }
    // The converse is no error fsck.ocfs2 reports, but space lost: a valid
    // block allocated that no tree references (a crash between allocating and
    // linking, or a leak).
    let mut leaked: Vec<(u64, (u64, u64))> = cx
        .meta_in_use
        .iter()
        .filter_map(|(&b, &at)| Some((b, at?)))
        .filter(|(b, _)| !cx.meta_refs.contains_key(b))
        .collect();
    leaked.sort_unstable();
    for (blkno, (group, bit)) in leaked {
        let at = Corruption {
            blkno: group,
            structure: "ocfs2_group_desc",
            field: "bitmap",
            expected: format!("bit {bit} clear: no tree references block {blkno}").into(),
            actual: "set".into(),
            kind: Default::default(),
        };
        cx.push(None, Severity::Info, at, format!("metadata block {blkno} is allocated but referenced by no tree"));
    }
    cx.sub_groups = groups;
    Ok(())
}

fn group(cx: &mut Ctx<'_, '_>, g: &SubGroup) -> Result<()> {
    let vol = cx.vol;
    let block = match vol.read_meta(g.blkno, MetaKind::GROUP) {
        Ok(b) => b,
        Err(e) => return cx.report(e, g.blkno, "group descriptor"),
    };
    let view = match GroupView::parse(&block, g.blkno) {
        Ok(v) => v,
        Err(e) => return cx.report(e, g.blkno, "group descriptor"),
    };
    let runs = match group_block_runs(vol.geometry(), g.blkno, &view) {
        Ok(r) => r,
        Err(e) => return cx.report(e, g.blkno, "group descriptor"),
    };
    // Every block of an inode group is read below, used or free; of an extent
    // group only the used ones (a 15 TiB volume's extent allocators span 4 GiB,
    // nearly all free: hinting them would read gigabytes of holes).
    if g.inodes {
        for &(first, count) in &runs {
            vol.prefetch_range(first, count);
        }
    }
    for bit in 0..u64::from(view.desc.bg_bits.get()) {
        let Some(blkno) = bit_to_block(&runs, bit) else { break };
        if blkno == g.blkno {
            continue; // the descriptor's own bit
        }
        let used = view.bit(bit as usize);
        match (g.inodes, used) {
            (true, true) => inode(cx, g, bit, blkno)?,
            (true, false) => hidden_inode(cx, g, bit, blkno)?,
            (false, true) => meta_block(cx, g, bit, blkno)?,
            (false, false) => {}
        }
    }
    Ok(())
}

/// A free inode-allocator bit: the block must not hold a valid inode.
fn hidden_inode(cx: &mut Ctx<'_, '_>, g: &SubGroup, bit: u64, blkno: u64) -> Result<()> {
    let vol = cx.vol;
    let Ok(raw) = vol.read_block(blkno) else { return Ok(()) };
    if &raw[..8] != INODE_SIGNATURE {
        return Ok(());
    }
    let Some(h) = view_at::<crate::layout::dinode::DinodeHeader>(&raw, 0) else { return Ok(()) };
    if h.has_flag(flags::VALID) && h.i_blkno.get() == blkno && h.i_fs_generation.get() == vol.fs_generation() {
        cx.error(
            Some("INODE_ALLOC_REPAIR"),
            g.blkno,
            "ocfs2_group_desc",
            "bitmap",
            format!("bit {bit} set for the valid inode {blkno}"),
            "clear",
            format!("valid inode {blkno} behind a free allocator bit"),
        );
    }
    Ok(())
}

/// An in-use inode-allocator bit.
fn inode(cx: &mut Ctx<'_, '_>, g: &SubGroup, bit: u64, blkno: u64) -> Result<()> {
    let vol = cx.vol;
    let ino = match vol.inode(blkno) {
        Ok(i) => i,
        Err(e) => {
            cx.invalid_inodes.insert(blkno);
            return cx.report(e, blkno, &format!("inode behind in-use bit {bit} of group {}", g.blkno));
        }
    };
    let h = *ino.header();
    let s = "ocfs2_dinode";
    if !h.has_flag(flags::VALID) {
        cx.invalid_inodes.insert(blkno);
        cx.error(
            Some("INODE_ALLOC_REPAIR"),
            blkno,
            s,
            "i_flags",
            "VALID",
            format!("{:#x}", h.i_flags.get()),
            format!("in-use bit {bit} of group {} names an unused inode", g.blkno),
        );
        return Ok(());
    }
    cx.counts.inodes += 1;
    if h.i_suballoc_slot.get() != g.slot {
        cx.error(
            Some("INODE_SUBALLOC"),
            blkno,
            s,
            "i_suballoc_slot",
            g.slot,
            h.i_suballoc_slot.get(),
            format!("inode found in the allocator of inode {}", g.alloc),
        );
    }
    if u64::from(h.i_suballoc_bit.get()) != bit {
        cx.error(Some("INODE_SUBALLOC"), blkno, s, "i_suballoc_bit", bit, h.i_suballoc_bit.get(), "wrong bit");
    }
    let loc = h.i_suballoc_loc.get();
    if loc != 0 && loc != g.blkno {
        cx.error(Some("INODE_SUBALLOC"), blkno, s, "i_suballoc_loc", g.blkno, loc, "wrong group");
    }
    if h.i_dtime.get() != 0 && !h.has_flag(flags::ORPHANED) {
        cx.error(Some("INODE_NZ_DTIME"), blkno, s, "i_dtime", 0, h.i_dtime.get(), "in-use inode has a deletion time");
    }
    features(cx, blkno, &h);
    cx.inodes.insert(
        blkno,
        InodeFacts {
            mode: h.i_mode.get(),
            clusters: h.i_clusters.get(),
            links: h.links(),
            flags: h.i_flags.get(),
            refs: 0,
            orphan_entry: false,
        },
    );
    if h.is_dir() {
        cx.dirs.push(blkno);
    }
    if cx.quota_usage.is_some() {
        match quota_charge(vol, blkno, &h) {
            Ok(Some(c)) => {
                for (q, usage) in QuotaType::ALL.into_iter().zip(cx.quota_usage.iter_mut().flatten()) {
                    let e = usage.entry(c.id(q)).or_default();
                    (e.0, e.1) = (e.0 + c.bytes, e.1 + 1);
                }
            }
            Ok(None) => {}
            Err(e) => cx.report(e, blkno, "quota charge")?,
        }
    }
    match ino.dinode().id2() {
        Err(e) => cx.report(e, blkno, "inode")?,
        Ok(Id2::Extents(_)) => match ExtentMap::load_partial(vol, &ino) {
            // A damaged subtree is reported; the rest of the tree still
            // accounts for its clusters and blocks.
            Ok((map, errors)) if !errors.is_empty() => {
                for e in errors {
                    tree_error(cx, e, blkno, h.is_dir())?;
                }
                claim_map(cx, &map, blkno);
            }
            Ok((map, _)) => {
                let mapped = claim_map(cx, &map, blkno);
                last_leaf(cx, &map, (blkno, s, "i_last_eb_blk"), h.i_last_eb_blk.get(), "extent tree");
                sizes(cx, &ino, &map, mapped)?;
            }
            Err(e) => tree_error(cx, e, blkno, h.is_dir())?,
        },
        Ok(Id2::Inline(id, _)) => {
            if h.i_clusters.get() != 0 {
                cx.error(
                    Some("INODE_INLINE_CLUSTERS"),
                    blkno,
                    s,
                    "i_clusters",
                    0,
                    h.i_clusters.get(),
                    "inline-data inode with clusters",
                );
            }
            // The kernel and mkfs always size the area to all the block
            // leaves (past the inline xattrs); fsck.ocfs2 holds it to that.
            let xattrs = if h.has_dyn(dyn_features::INLINE_XATTR) { h.i_xattr_inline_size.get() } else { 0 };
            let full = inline_data::max_inline(vol.block_size()) - usize::from(xattrs);
            if usize::from(id.id_count.get()) != full {
                cx.error(
                    Some("INLINE_DATA_COUNT_INVALID"),
                    blkno,
                    s,
                    "id_count",
                    full,
                    id.id_count.get(),
                    "inline-data area not the size of the space left in the inode",
                );
            } else if h.i_size.get() > u64::from(id.id_count.get()) {
                cx.error(
                    Some("INODE_INLINE_SIZE"),
                    blkno,
                    s,
                    "i_size",
                    format!("<= id_count {}", id.id_count.get()),
                    h.i_size.get(),
                    "inline data larger than its area",
                );
            }
        }
        Ok(_) => {}
    }
    trees(cx, &ino)?;
    Ok(())
}

/// An error in inode `blkno`'s extent tree. Records out of order in a
/// directory are fsck.ocfs2's NO_HOLES: it walks a directory's records
/// expecting each to start where the ones before it end, and names the first
/// that does not (a file's it checks only for overlap).
fn tree_error(cx: &mut Ctx<'_, '_>, e: Error, blkno: u64, dir: bool) -> Result<()> {
    match e {
        Error::Corrupt(c) if dir && c.field == "e_cpos" => {
            cx.push(Some("NO_HOLES"), Severity::Error, *c, "directory extent tree: records out of order");
            Ok(())
        }
        e => cx.report(e, blkno, "extent tree"),
    }
}

/// Claims the clusters of an extent map for `owner` and notes its extent
/// blocks; returns the clusters mapped.
fn claim_map(cx: &mut Ctx<'_, '_>, map: &ExtentMap, owner: u64) -> u64 {
    // Leaves chain left to right; the kernel and libocfs2 size the hole after
    // a leaf's last extent by the next leaf's first.
    let leaves = map.leaves();
    for (i, &(leaf, next)) in leaves.iter().enumerate() {
        let want = leaves.get(i + 1).map_or(0, |l| l.0);
        if next != want {
            let msg =
                format!("leaf {} of {} in inode {owner}'s tree: wrong link to the next leaf", i + 1, leaves.len());
            cx.error(None, leaf, "ocfs2_extent_block", "h_next_leaf_blk", want, next, msg);
        }
    }
    for &b in map.extent_blocks() {
        cx.counts.extent_blocks += 1;
        cx.meta_refs.insert(b, owner);
    }
    claim_extents(cx, map.extents(), owner)
}

/// Claims the clusters of leaf extents for `owner`; returns the clusters mapped.
fn claim_extents(cx: &mut Ctx<'_, '_>, extents: &[Extent], owner: u64) -> u64 {
    let geo = *cx.vol.geometry();
    let bpc = geo.blocks_per_cluster();
    let unwritten = cx.vol.superblock().has_ro_compat(ro_compat::UNWRITTEN);
    let mut mapped = 0;
    for e in extents {
        mapped += u64::from(e.clusters);
        if e.blkno % bpc != 0 {
            cx.error(
                Some("EXTENT_BLKNO_UNALIGNED"),
                owner,
                "ocfs2_extent_rec",
                "e_blkno",
                "the first block of a cluster",
                e.blkno,
                format!("extent at logical cluster {} starts inside a cluster", e.cpos),
            );
            continue;
        }
        if e.flags & extent_flags::UNWRITTEN != 0 && !unwritten {
            cx.error(
                Some("EXTENT_MARKED_UNWRITTEN"),
                owner,
                "ocfs2_extent_rec",
                "e_flags",
                "no UNWRITTEN flag (the volume has no unwritten extents)",
                "UNWRITTEN",
                format!("unwritten extent at logical cluster {} on a volume without the feature", e.cpos),
            );
        }
        let shared = e.flags & extent_flags::REFCOUNTED != 0;
        let start = geo.block_to_cluster(e.blkno);
        cx.claims.push(Claim { start, len: u64::from(e.clusters), owner: Owner::Inode(owner), shared });
        if shared {
            cx.refcounted.push((owner, start, u64::from(e.clusters)));
        }
    }
    mapped
}

/// A tree's recorded last leaf (`at`: block, structure, field) must be its
/// rightmost leaf block: the kernel appends through it; readers use the tree.
fn last_leaf(cx: &mut Ctx<'_, '_>, map: &ExtentMap, at: (u64, &'static str, &'static str), recorded: u64, tree: &str) {
    if let Some(&(last, _)) = map.leaves().last().filter(|l| l.0 != recorded) {
        cx.error(None, at.0, at.1, at.2, last, recorded, format!("not the rightmost leaf of the {tree}"));
    }
}

/// Dynamic features the volume does not have, and a refcount tree named by an
/// inode that says it has none.
fn features(cx: &mut Ctx<'_, '_>, blkno: u64, h: &DinodeHeader) {
    let sb = cx.vol.superblock();
    let s = "ocfs2_dinode";
    let dyn_hex = || format!("{:#x}", h.i_dyn_features.get());
    if h.has_dyn(dyn_features::HAS_REFCOUNT) && !sb.has_incompat(incompat::REFCOUNT_TREE) {
        let msg = "refcounted file on a volume without refcount trees";
        cx.error(Some("REFCOUNT_FLAG_INVALID"), blkno, s, "i_dyn_features", "no HAS_REFCOUNT", dyn_hex(), msg);
    }
    if h.has_dyn(dyn_features::INLINE_DATA) && !sb.has_incompat(incompat::INLINE_DATA) {
        let msg = "inline data on a volume without inline data";
        cx.error(Some("INLINE_DATA_FLAG_INVALID"), blkno, s, "i_dyn_features", "no INLINE_DATA", dyn_hex(), msg);
    }
    let loc = h.i_refcount_loc.get();
    if loc != 0 && !h.has_dyn(dyn_features::HAS_REFCOUNT) {
        let msg = "refcount tree named without HAS_REFCOUNT";
        cx.error(Some("REFCOUNT_LOC_INVALID"), blkno, s, "i_refcount_loc", 0, loc, msg);
    }
}

/// `i_size` and `i_clusters` against what a complete extent tree maps, by
/// fsck.ocfs2's rules: on a sparse volume the size may run past the last mapped
/// cluster but not end a whole cluster before it; without sparse allocation
/// the size must fit the mapped blocks. A slow symlink's target must be
/// NUL-terminated within its blocks and as long as `i_size`.
fn sizes(cx: &mut Ctx<'_, '_>, ino: &Inode<'_>, map: &ExtentMap, mapped: u64) -> Result<()> {
    let vol = cx.vol;
    let geo = vol.geometry();
    let h = ino.header();
    let (blkno, s, size) = (ino.blkno(), "ocfs2_dinode", h.i_size.get());
    let sparse = vol.superblock().has_incompat(incompat::SPARSE_ALLOC);
    let ic = u64::from(h.i_clusters.get());
    if mapped != ic {
        let code = if sparse { "INODE_SPARSE_CLUSTERS" } else { "INODE_CLUSTERS" };
        cx.error(Some(code), blkno, s, "i_clusters", mapped, ic, "clusters differ from what the extent tree maps");
    }
    // Allocator inodes have no data to size. `id2()` already sent the superblock,
    // local allocs, chains and truncate logs elsewhere; only BITMAP is left.
    if h.has_flag(flags::BITMAP) {
        return Ok(());
    }
    // One past the last mapped logical block (unwritten extents included).
    let Some(end_block) = map
        .extents()
        .iter()
        .filter(|e| e.clusters > 0)
        .map(|e| geo.cluster_to_block(u64::from(e.cpos) + u64::from(e.clusters)))
        .max()
    else {
        if h.is_dir() {
            cx.error(Some("DIR_ZERO"), blkno, s, "i_clusters", "at least one block", 0, "directory without blocks");
        } else if !sparse && !h.is_symlink() && size > 0 {
            // Without sparse allocation every byte of the size needs a block.
            cx.error(Some("INODE_SIZE"), blkno, s, "i_size", "0 (no blocks mapped)", size, "size without blocks");
        }
        return Ok(());
    };
    if h.is_symlink() {
        return symlink(cx, ino, map);
    }
    if h.is_dir() {
        // A directory is read block by block up to its size: fsck.ocfs2 allows
        // it no hole, and no size past its last cluster, sparse volume or not.
        let mut offset = 0u64;
        if let Some(e) = map.extents().iter().find(|e| {
            let hole = u64::from(e.cpos) != offset;
            offset += u64::from(e.clusters);
            hole
        }) {
            let msg = format!("directory extent at logical cluster {} leaves a hole before it", e.cpos);
            cx.error(
                Some("NO_HOLES"),
                blkno,
                "ocfs2_extent_rec",
                "e_cpos",
                offset - u64::from(e.clusters),
                e.cpos,
                msg,
            );
        }
    }
    if sparse && !h.has_flag(flags::SYSTEM) && !h.is_dir() {
        // System files are exempt: the kernel grows the quota files a cluster
        // ahead of their size (fsck.ocfs2 -fn is silent on them too).
        let end = geo.block_offset(end_block);
        if size <= end - u64::from(geo.cluster_size) {
            let msg = "size ends a cluster or more before the last mapped cluster";
            let want = format!("> {}", end - u64::from(geo.cluster_size));
            cx.error(Some("INODE_SPARSE_SIZE"), blkno, s, "i_size", want, size, msg);
        }
    } else if size > geo.block_offset(end_block) {
        let want = format!("<= {}", geo.block_offset(end_block));
        cx.error(Some("INODE_SIZE"), blkno, s, "i_size", want, size, "size beyond the mapped blocks");
    }
    Ok(())
}

/// Bytes of a slow symlink's blocks searched for the NUL that ends its target.
const SYMLINK_SCAN: u64 = 4096;

/// A slow symlink: the target is the bytes before the first NUL of its blocks.
fn symlink(cx: &mut Ctx<'_, '_>, ino: &Inode<'_>, map: &ExtentMap) -> Result<()> {
    let vol = cx.vol;
    let bs = u64::from(vol.geometry().block_size);
    let (blkno, s) = (ino.blkno(), "ocfs2_dinode");
    let blocks = map.mapped_clusters() * vol.geometry().blocks_per_cluster();
    let (mut len, mut terminated) = (0u64, false);
    for (_, phys, _) in map.blocks(vol, u64::MAX) {
        // A target is shorter than PATH_MAX: past that, it is unterminated.
        if len >= SYMLINK_SCAN {
            break;
        }
        let b = match vol.read_block(phys) {
            Ok(b) => b,
            // The target is file data, which an o2image file never holds.
            Err(Error::NotInImage { .. }) => return Ok(()),
            Err(e) => return cx.report(e, blkno, "symlink target"),
        };
        if let Some(n) = b.iter().position(|&c| c == 0) {
            (len, terminated) = (len + n as u64, true);
            break;
        }
        len += bs;
    }
    let size = ino.header().i_size.get();
    if !terminated {
        cx.error(
            Some("LINK_NULLTERM"),
            blkno,
            s,
            "i_size",
            "a NUL-terminated target",
            "no NUL in its blocks",
            "symlink target not terminated",
        );
    } else if size != len {
        cx.error(Some("LINK_SIZE"), blkno, s, "i_size", len, size, "size differs from the target's length");
    } else if blocks < (len + 1).div_ceil(bs) {
        let msg = "blocks do not cover the target";
        cx.error(
            Some("LINK_BLOCKS"),
            blkno,
            s,
            "i_clusters",
            format!("{} blocks", (len + 1).div_ceil(bs)),
            blocks,
            msg,
        );
    }
    Ok(())
}

/// The trees an inode owns besides its data: the indexed-directory tree, the
/// xattrs (block, bucket tree, value trees) and the refcount tree (walked once
/// per tree, however many files share it).
fn trees(cx: &mut Ctx<'_, '_>, ino: &Inode<'_>) -> Result<()> {
    let vol = cx.vol;
    let h = *ino.header();
    let blkno = ino.blkno();
    // The blocks the inode names are referenced even when they turn out invalid
    // (that is reported once, not again as a leak).
    for (flag, b) in [
        (dyn_features::HAS_XATTR, h.i_xattr_loc.get()),
        (dyn_features::HAS_REFCOUNT, h.i_refcount_loc.get()),
        (dyn_features::INDEXED_DIR, h.i_dx_root.get()),
    ] {
        if h.has_dyn(flag) && b != 0 && b < vol.geometry().blocks {
            cx.meta_refs.insert(b, blkno);
        }
    }
    if h.has_dyn(dyn_features::HAS_XATTR) {
        match read_xattr_layout(vol, ino) {
            Ok(set) => {
                let mut claims: Vec<Extent> = set.tree_extents.clone();
                claims.extend(set.attrs.iter().flat_map(|a| a.value_extents.iter().copied()));
                claim_extents(cx, &claims, blkno);
            }
            Err(e) => cx.report(e, blkno, "extended attributes")?,
        }
    }
    if h.has_dyn(dyn_features::HAS_REFCOUNT) {
        let root = h.i_refcount_loc.get();
        cx.refcount_of.insert(blkno, root);
        if let Some(t) = cx.refcount_trees.get_mut(&root) {
            t.files += 1;
        } else {
            let tree = match refcount_tree_of(vol, ino) {
                Ok(t) => t,
                // fsck.ocfs2 names a root that is no refcount block apart from
                // a damaged block further down.
                Err(Error::Corrupt(c)) if c.blkno == root && c.kind == CorruptionKind::Signature => {
                    cx.push(Some("REFCOUNT_ROOT_BLOCK_INVALID"), Severity::Error, *c, "refcount tree root: invalid");
                    None
                }
                Err(Error::Corrupt(c)) if c.structure == "ocfs2_refcount_block" && c.field == "blkno" => {
                    // The tree ends at a block recording another number; its
                    // parent is still read, as fsck.ocfs2 goes on to.
                    let at = c.blkno;
                    cx.report(Error::Corrupt(c), blkno, "refcount tree")?;
                    if let Some(h) = vol.read_block(at).ok().and_then(|b| view_at::<RefcountBlock>(&b, 0).copied()) {
                        rb_parent(cx, at, &h, root);
                    }
                    None
                }
                Err(e) => {
                    cx.report(e, blkno, "refcount tree")?;
                    None
                }
            };
            for b in tree.iter().flat_map(|t| &t.blocks) {
                cx.meta_refs.insert(b.blkno, blkno);
                rb_parent(cx, b.blkno, &b.header, root);
            }
            cx.refcount_trees.insert(root, super::refcount::TreeFacts::new(tree));
        }
    }
    match DxRoot::of_dir(vol, ino) {
        Ok(Some(root)) => match root.leaf_map(vol) {
            Ok(map) => {
                let mapped = claim_map(cx, &map, blkno);
                let (r, s) = (root.view().header, "ocfs2_dx_root_block");
                last_leaf(cx, &map, (root.blkno(), s, "dr_last_eb_blk"), r.dr_last_eb_blk.get(), "index tree");
                if u64::from(r.dr_clusters.get()) != mapped {
                    let msg = "clusters differ from what the index tree maps";
                    cx.error(None, root.blkno(), s, "dr_clusters", mapped, r.dr_clusters.get(), msg);
                }
            }
            Err(e) => cx.report(e, root.blkno(), "indexed directory tree")?,
        },
        Ok(None) => {}
        Err(e) => cx.report(e, blkno, "indexed directory root")?,
    }
    Ok(())
}

/// RB_PARENT: a refcount block that records itself as other than the tree's
/// root (by its own `rf_blkno`, as fsck.ocfs2 tells the root apart) must name
/// that root in `rf_parent`. A root recording another number is, by its own
/// fields, a block of the tree that is not the root, and names none.
fn rb_parent(cx: &mut Ctx<'_, '_>, blkno: u64, h: &RefcountBlock, root: u64) {
    let parent = h.rf_parent.get();
    if h.rf_blkno.get() != root && parent != root {
        let (s, msg) = ("ocfs2_refcount_block", "refcount block below the root names another tree as its parent");
        cx.error(Some("RB_PARENT"), blkno, s, "rf_parent", root, parent, msg);
    }
}

/// An in-use extent-allocator bit: a valid metadata block naming its slot and bit.
fn meta_block(cx: &mut Ctx<'_, '_>, g: &SubGroup, bit: u64, blkno: u64) -> Result<()> {
    let vol = cx.vol;
    cx.meta_in_use.insert(blkno, None);
    let raw = match vol.read_block(blkno) {
        Ok(b) => b,
        Err(e) => return cx.report(e, blkno, "metadata block"),
    };
    let kind = match &raw[..8] {
        b"EXBLK01\0" => MetaKind::EXTENT_BLOCK,
        b"XATTR01\0" => MetaKind::XATTR_BLOCK,
        b"DXDIR01\0" => MetaKind::DX_ROOT,
        b"REFCNT1\0" => MetaKind::REFCOUNT_BLOCK,
        sig => {
            let sig = crate::layout::signature_text(sig);
            cx.error(
                None,
                blkno,
                "ocfs2_extent_block",
                "signature",
                "EXBLK01, XATTR01, DXDIR01 or REFCNT1",
                sig,
                format!("in-use bit {bit} of extent allocator group {} holds no metadata block", g.blkno),
            );
            return Ok(());
        }
    };
    let block = match vol.read_meta(blkno, kind) {
        Ok(b) => b,
        Err(e) => return cx.report(e, blkno, kind.structure),
    };
    cx.meta_in_use.insert(blkno, Some((g.blkno, bit)));
    // Extent blocks name their slot and bit; the other kinds are checked by
    // their own modules' walkers.
    let (slot, sbit) = match view_at::<ExtentBlock>(&block, 0) {
        Some(eb) if kind.structure == "ocfs2_extent_block" => (eb.h_suballoc_slot.get(), eb.h_suballoc_bit.get()),
        _ => return Ok(()),
    };
    let s = "ocfs2_extent_block";
    if slot != g.slot {
        cx.error(None, blkno, s, "h_suballoc_slot", g.slot, slot, "extent block in another slot's allocator");
    }
    if u64::from(sbit) != bit {
        cx.error(None, blkno, s, "h_suballoc_bit", bit, sbit, "extent block records another bit");
    }
    Ok(())
}
