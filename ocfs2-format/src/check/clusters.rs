//! End of fsck pass 1: the global bitmap must mark exactly the clusters some
//! owner claims (the superblock area, group descriptors, backup superblocks,
//! suballocator groups, inode data and trees, local-alloc windows, truncate-log
//! records), and no cluster may be claimed twice unless both claims are
//! refcounted extents.
//!
//! Claims are sorted runs, not a per-cluster map; the bitmap groups are
//! streamed in cluster order and compared a group at a time.

use super::{Claim, Corruption, Ctx, Owner, Pass, Severity};
use crate::error::Result;
use crate::layout::dinode::flags;
use crate::layout::group::{set_range, GroupView};
use crate::layout::superblock::{compat, incompat};
use crate::volume::MetaKind;

/// Overlaps reported before the rest are only counted.
const MAX_OVERLAPS: usize = 1000;

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    let geo = *vol.geometry();
    // The clusters up to group 0's descriptor (the superblock and the system
    // inodes mkfs places before it) are in use, on a chain or not.
    let first_group = vol.superblock().s_first_cluster_group.get();
    if first_group < geo.blocks {
        let len = geo.block_to_cluster(first_group) + 1;
        cx.claims.push(Claim { start: 0, len, owner: Owner::SuperblockArea, shared: false });
    }
    if vol.superblock().has_compat(compat::BACKUP_SB) {
        for b in vol.backup_blknos() {
            let c = geo.block_to_cluster(b);
            cx.claims.push(Claim { start: c, len: 1, owner: Owner::BackupSuperblock(b), shared: false });
        }
    }
    // Local-alloc windows are reserved as a whole in the global bitmap, yet the
    // clusters of a window that files do not use may be set or clear (the
    // kernel returns freed window clusters straight to the global bitmap).
    // They only excuse set bits, and are kept out of the overlap sweep.
    let (mut windows, mut claims): (Vec<Claim>, Vec<Claim>) =
        std::mem::take(&mut cx.claims).into_iter().partition(|c| matches!(c.owner, Owner::LocalAlloc(_)));
    windows.sort_unstable_by_key(|c| c.start);
    claims.sort_unstable_by_key(|c| (c.start, c.len));
    cx.counts.cluster_runs = claims.len() as u64;
    let clusters = u64::from(geo.clusters);

    // Claims past the end, and clusters claimed twice.
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(claims.len());
    let mut reach: Option<Claim> = None; // the claim reaching furthest so far
    let mut overlaps = 0usize;
    for c in &claims {
        let end = c.start.saturating_add(c.len);
        if end > clusters {
            cx.error(
                Some("EXTENT_CLUSTERS_OVERRUN"),
                owner_block(c.owner),
                "cluster",
                "range",
                format!("inside the volume ({clusters} clusters)"),
                format!("{} + {}", c.start, c.len),
                format!("{} claims clusters past the end", c.owner),
            );
        }
        if let Some(r) = reach {
            let r_end = r.start + r.len;
            if c.start < r_end && !(c.shared && r.shared) {
                overlaps += 1;
                if overlaps <= MAX_OVERLAPS {
                    let o_end = end.min(r_end);
                    let codes = dup_prompts(cx, r.owner, c.owner);
                    let at = Corruption {
                        blkno: owner_block(c.owner),
                        structure: "cluster",
                        field: "owner",
                        expected: format!("one owner for clusters {}..{o_end}", c.start).into(),
                        actual: format!("{} and {}", r.owner, c.owner).into(),
                        kind: Default::default(),
                    };
                    let (code, also) = codes.split_first().map_or((None, &[][..]), |(c, a)| (Some(*c), a));
                    cx.push_also(code, also, Severity::Error, at, "clusters claimed twice");
                }
            }
            if end > r_end {
                reach = Some(*c);
            }
        } else {
            reach = Some(*c);
        }
        match merged.last_mut() {
            Some(last) if c.start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((c.start, end)),
        }
    }
    drop(claims);

    // Stream the bitmap groups in cluster order against the merged runs. The
    // chain walk summarised most groups' set bits; only the rest are read again.
    let mut groups = std::mem::take(&mut cx.bitmap_groups);
    groups.sort_unstable_by_key(|g| g.first);
    vol.prefetch_blocks(groups.iter().filter(|g| g.set.is_none()).map(|g| g.blkno));
    let total = groups.len() as u64;
    let mut run_idx = 0usize;
    let (mut disk, mut expected, mut excused) = (Vec::new(), Vec::new(), Vec::new());
    for (n, g) in groups.iter().enumerate() {
        if n % 256 == 0 {
            cx.progress(Pass::Clusters, n as u64, total)?;
        }
        while run_idx < merged.len() && merged[run_idx].1 <= g.first {
            run_idx += 1;
        }
        let merged = &merged[run_idx..];
        // Both sides are maximal runs, so equal lists mean equal bitmaps.
        if g.set.as_deref().is_some_and(|set| set.iter().copied().eq(owned_bits(merged, g.first, g.bits))) {
            continue;
        }
        let block;
        let (bits, on_disk): (u64, &[u8]) = match &g.set {
            Some(set) => {
                disk.clear();
                disk.resize(g.bits.div_ceil(8) as usize, 0);
                for &(a, b) in set.iter() {
                    set_range(&mut disk, a as usize, b as usize);
                }
                (g.bits, &disk)
            }
            None => {
                block = match vol.read_meta(g.blkno, MetaKind::GROUP) {
                    Ok(b) => b,
                    Err(e) => {
                        cx.report(e, g.blkno, "global bitmap group")?;
                        continue;
                    }
                };
                match GroupView::parse(&block, g.blkno) {
                    Ok(v) => (u64::from(v.desc.bg_bits.get()), v.bitmap),
                    Err(e) => {
                        cx.report(e, g.blkno, "global bitmap group")?;
                        continue;
                    }
                }
            }
        };
        let (first, end) = (g.first, g.first + bits);
        expected.clear();
        expected.resize(bits.div_ceil(8) as usize, 0);
        for (a, b) in owned_bits(merged, first, bits) {
            set_range(&mut expected, a as usize, b as usize);
        }
        excused.clear();
        excused.resize(expected.len(), 0);
        for w in windows.iter().filter(|w| w.start < end && w.start + w.len > first) {
            set_range(
                &mut excused,
                (w.start.max(first) - first) as usize,
                ((w.start + w.len).min(end) - first) as usize,
            );
        }
        compare(cx, g.blkno, first, bits, on_disk, &expected, &excused);
    }
    cx.progress(Pass::Clusters, total, total)?;
    cx.bitmap_groups = groups;
    Ok(())
}

/// The bits of the group of `bits` clusters from `first` that `merged` (sorted,
/// disjoint, non-touching cluster runs, none ending at or before `first`) marks
/// in use, as bit ranges.
fn owned_bits(merged: &[(u64, u64)], first: u64, bits: u64) -> impl Iterator<Item = (u32, u32)> + '_ {
    let end = first + bits;
    merged
        .iter()
        .take_while(move |r| r.0 < end)
        .map(move |r| ((r.0.max(first) - first) as u32, (r.1.min(end) - first) as u32))
}

/// fsck.ocfs2's prompts for clusters claimed by owners `a` and `b`: per
/// owner, a system file may be cloned but not deleted, any other file cloned
/// or else deleted, and a chain allocator's groups neither; first of all, on a
/// volume with refcount trees, when both are files naming one tree at most, it
/// offers to record the sharing in that tree.
fn dup_prompts(cx: &Ctx<'_, '_>, a: Owner, b: Owner) -> Vec<&'static str> {
    let file = |o: Owner| match o {
        Owner::Inode(i) if cx.inodes.get(&i).is_none_or(|f| f.flags & flags::SYSTEM == 0) => Some(i),
        _ => None,
    };
    let mut codes = Vec::new();
    for o in [a, b] {
        match (o, file(o)) {
            (_, Some(_)) => codes.extend(["DUP_CLUSTERS_CLONE", "DUP_CLUSTERS_DELETE"]),
            (Owner::Inode(_) | Owner::LocalAlloc(_) | Owner::TruncateLog(_), None) => {
                codes.push("DUP_CLUSTERS_SYSFILE_CLONE")
            }
            _ => {}
        }
    }
    if let (Some(x), Some(y)) = (file(a), file(b)) {
        let (tx, ty) = (cx.refcount_of.get(&x), cx.refcount_of.get(&y));
        let one_tree = tx.is_none() || ty.is_none() || tx == ty;
        if one_tree && cx.vol.superblock().has_incompat(incompat::REFCOUNT_TREE) {
            codes.push("DUP_CLUSTERS_ADD_REFCOUNT");
        }
    }
    codes
}

fn owner_block(o: Owner) -> u64 {
    match o {
        Owner::SuperblockArea => 2,
        Owner::BackupSuperblock(b)
        | Owner::BitmapGroup(b)
        | Owner::SubGroup(b)
        | Owner::Inode(b)
        | Owner::LocalAlloc(b)
        | Owner::TruncateLog(b) => b,
    }
}

/// Reports the runs where the on-disk bitmap and the owners disagree; bits set
/// on disk inside `excused` (local-alloc windows) are no error.
#[allow(clippy::too_many_arguments)]
fn compare(cx: &mut Ctx<'_, '_>, blkno: u64, first: u64, bits: u64, disk: &[u8], want: &[u8], excused: &[u8]) {
    let bit = |m: &[u8], i: u64| m[(i / 8) as usize] & (1 << (i % 8)) != 0;
    let wrong = |i: u64| {
        let d = bit(disk, i);
        d != bit(want, i) && !(d && bit(excused, i))
    };
    // The common case, a group that agrees with its owners, in one comparison.
    let full = (bits / 8) as usize;
    let tail = |m: &[u8]| if bits % 8 == 0 { 0 } else { m[full] & ((1u8 << (bits % 8)) - 1) };
    if disk[..full] == want[..full] && tail(disk) == tail(want) {
        return;
    }
    let mut i = 0;
    while i < bits {
        let byte = (i / 8) as usize;
        if i % 8 == 0 && bits - i >= 8 && disk[byte] == want[byte] {
            i += 8;
            continue;
        }
        if !wrong(i) {
            i += 1;
            continue;
        }
        let d = bit(disk, i);
        let start = i;
        while i < bits && bit(disk, i) == d && wrong(i) {
            i += 1;
        }
        let (c0, c1) = (first + start, first + i - 1);
        let range = if c0 == c1 { format!("cluster {c0}") } else { format!("clusters {c0}..={c1}") };
        if d {
            cx.error(
                Some("CLUSTER_ALLOC_BIT"),
                blkno,
                "ocfs2_group_desc",
                "bitmap",
                format!("bits {start}..{i} clear"),
                "set",
                format!("{range} marked in use in the global bitmap but owned by nothing"),
            );
        } else {
            cx.error(
                Some("CLUSTER_ALLOC_BIT"),
                blkno,
                "ocfs2_group_desc",
                "bitmap",
                format!("bits {start}..{i} set"),
                "clear",
                format!("{range} in use but free in the global bitmap"),
            );
        }
    }
}
