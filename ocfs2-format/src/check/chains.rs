//! fsck pass 0: every chain allocator. Per group: free count against the
//! bitmap, owner, chain, generation, duplicates, fixed global-bitmap offsets;
//! per chain: `c_total`/`c_free` against its groups; per allocator:
//! `i_total`/`i_used` against its chains. A broken link ends its chain (as fsck
//! truncates it there); the other chains are still walked. Groups' clusters are
//! claimed for the cluster pass.

use std::collections::HashSet;

use super::{code_of, BitmapGroup, Claim, Ctx, Owner, Pass, Severity, SubGroup};
use crate::alloc::{self, bitmap_group_first_cluster, group_block_runs, Allocator, AllocatorKind};
use crate::error::{Corruption, Error, Result, Value};
use crate::layout::dinode::SUBALLOC_GLOBAL;
use crate::layout::group::{set_runs, GroupView, BITMAP_OFFSET};
use crate::volume::{MetaKind, Volume};

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    let allocs = match alloc::allocators(vol) {
        Ok(a) => a,
        Err(e) => return cx.report(e, vol.system_dir_blkno(), "system directory"),
    };
    let total = allocs.len() as u64;
    for (i, a) in allocs.iter().enumerate() {
        cx.progress(Pass::Chains, i as u64, total)?;
        allocator(cx, a)?;
    }
    Ok(())
}

fn allocator(cx: &mut Ctx<'_, '_>, a: &Allocator) -> Result<()> {
    let vol = cx.vol;
    let geo = *vol.geometry();
    let inode = match vol.inode(a.inode) {
        Ok(i) => i,
        Err(e) => return cx.report(e, a.inode, &a.name),
    };
    let cl = match alloc::chain_list(&inode) {
        Ok(cl) => cl,
        Err(e) => return cx.report(e, a.inode, &a.name),
    };
    let s = "ocfs2_chain_rec";
    let cpg = u64::from(cl.list.cl_cpg.get());
    let bpc = u64::from(cl.list.cl_bpc.get());
    let blocks_per_cluster = geo.blocks_per_cluster();
    if a.kind == AllocatorKind::Blocks && bpc != blocks_per_cluster {
        cx.error(
            Some("CHAIN_BITS"),
            a.inode,
            "ocfs2_chain_list",
            "cl_bpc",
            blocks_per_cluster,
            bpc,
            format!("{}: bits per cluster", a.name),
        );
    }
    if a.kind == AllocatorKind::Clusters && cl.recs.len() == 1 {
        cpg_of_one_chain(cx, a.inode, cpg, cl.recs[0].c_blkno.get());
    }
    let first_group = vol.superblock().s_first_cluster_group.get();
    // Read and summarise the groups on all cores; judging them needs `cx`.
    let walks = alloc::walk_chains(vol, &inode, |blkno, g| {
        let d = g.desc;
        let bits = d.bg_bits.get().into();
        let (runs, set) = match a.kind {
            AllocatorKind::Blocks => (Some(group_block_runs(&geo, blkno, g)), None),
            AllocatorKind::Clusters => (None, set_runs(g.bitmap, usize::from(d.bg_bits.get()), MAX_SET_RUNS)),
        };
        let used = match &set {
            Some(set) => set.iter().map(|(a, b)| b - a).sum(),
            None => g.used_bits(),
        };
        Ok(GroupFacts {
            blkno,
            bits,
            free: d.bg_free_bits_count.get().into(),
            used,
            runs,
            set: set.map(Vec::into_boxed_slice),
        })
    });
    let walks = match walks {
        Ok(w) => w,
        Err(e) => return cx.report(e, a.inode, &a.name),
    };
    let (mut all_total, mut all_free, mut all_clusters) = (0u64, 0u64, 0u64);
    // Every chain's groups are summed as fsck.ocfs2 sums them: each chain was
    // walked to its end, or to damage that ends fsck's walk too.
    let mut counted = true;
    let groups_on: Vec<usize> = walks.iter().map(|(facts, _)| facts.len()).collect();
    // No chain has broken yet: libocfs2's walk stops at the first that does
    // (`walk_end`).
    let mut first_break = true;
    // Blocks where a chain walk stopped.
    let mut broken = HashSet::new();
    // Groups that stopped our walk but that fsck.ocfs2 -n reads as groups of
    // their chain (a wrong generation, parent or chain number).
    let mut on_chain = HashSet::new();
    for (chain, (rec, (facts, walked))) in cl.recs.iter().zip(walks).enumerate() {
        let total: u64 = facts.iter().map(|f| f.bits).sum();
        let free: u64 = facts.iter().map(|f| f.free).sum();
        cx.counts.groups += facts.len() as u64;
        for f in facts {
            group(cx, a, f, cpg, first_group, &mut all_clusters)?;
        }
        let end = walked.as_ref().err().and_then(walk_end);
        // A chain ending at a block that is no group holds the groups before
        // it: fsck.ocfs2 holds the record to those. (At a link out of range or
        // a block that does not read, it stops checking the chain.)
        if walked.is_ok() || end == Some("CHAIN_LINK_MAGIC") {
            for (field, what, want, got) in
                [("c_total", "total", total, rec.c_total.get()), ("c_free", "free", free, rec.c_free.get())]
            {
                if u64::from(got) != want {
                    cx.error(
                        Some("CHAIN_BITS"),
                        a.inode,
                        s,
                        field,
                        want,
                        got,
                        format!("{} chain {chain}: {what} bits differ from its groups'", a.name),
                    );
                }
            }
        }
        match walked {
            Ok(()) => {}
            Err(e) => {
                counted &= end.is_some();
                broken.extend(e.corruption().map(|c| c.blkno));
                if let Some(c) = e.corruption() {
                    if matches!(code_of(c), Some("GROUP_GEN" | "GROUP_PARENT" | "GROUP_CHAIN")) {
                        on_chain.insert(c.blkno);
                    }
                }
                let unloaded = a.kind == AllocatorKind::Clusters
                    && std::mem::take(&mut first_break)
                    && end.is_some()
                    && groups_on[chain + 1..].iter().any(|&n| n > 0);
                let also: &[&str] = if unloaded {
                    &["CLUSTER_ALLOC_BIT"]
                } else if a.kind == AllocatorKind::Clusters && recorded_off_place(cx.vol, &e, first_group, cpg) {
                    &["GROUP_UNEXPECTED_DESC"]
                } else {
                    &[]
                };
                cx.report_also(e, a.inode, &format!("{} chain {chain}", a.name), also)?;
            }
        }
        // As fsck.ocfs2, the inode's counts are held to the groups', not to the
        // chain records (a wrong record is CHAIN_BITS alone).
        all_total += total;
        all_free += free;
    }
    if a.kind == AllocatorKind::Clusters {
        expected_groups(cx, first_group, &broken, &on_chain);
    }
    let b = inode.header().bitmap1();
    let s = "ocfs2_dinode.id1.bitmap1";
    // Past damage that fsck.ocfs2 reads on through, the chains hold groups
    // this walk did not sum: their totals are unknown.
    if counted && u64::from(b.i_total.get()) != all_total {
        cx.error(
            Some("CHAIN_GROUP_BITS"),
            a.inode,
            s,
            "i_total",
            all_total,
            b.i_total.get(),
            format!("{}: total bits differ from its chains'", a.name),
        );
    }
    if counted && u64::from(b.i_used.get()) != all_total - all_free.min(all_total) {
        cx.error(
            Some("CHAIN_GROUP_BITS"),
            a.inode,
            s,
            "i_used",
            all_total - all_free.min(all_total),
            b.i_used.get(),
            format!("{}: used bits differ from its chains'", a.name),
        );
    }
    // The clusters the chains hold: the global bitmap's bits are clusters.
    let chained = if a.kind == AllocatorKind::Clusters { all_total } else { all_clusters };
    let h = inode.header();
    let ic = u64::from(h.i_clusters.get());
    // fsck.ocfs2 first holds the global bitmap's clusters to the superblock's
    // (a resize stopped half way leaves them apart); where i_clusters differs
    // from the chains' too, one finding carries both codes.
    let sb_differs = a.kind == AllocatorKind::Clusters && ic != u64::from(geo.clusters);
    if counted && ic != chained {
        let at = Corruption {
            blkno: a.inode,
            structure: "ocfs2_dinode",
            field: "i_clusters",
            expected: chained.into(),
            actual: ic.into(),
            kind: Default::default(),
        };
        let also: &[&str] = if sb_differs { &["SUPERBLOCK_CLUSTERS"] } else { &[] };
        let msg = format!("{}: clusters differ from its groups'", a.name);
        cx.push_also(Some("CHAIN_I_CLUSTERS"), also, Severity::Error, at, msg);
    } else if sb_differs {
        let msg = "the global bitmap's clusters differ from the superblock's";
        cx.error(Some("SUPERBLOCK_CLUSTERS"), a.inode, "ocfs2_dinode", "i_clusters", geo.clusters, ic, msg);
    }
    // fsck.ocfs2 holds the size to the chains' clusters, not to i_clusters
    // (a wrong i_clusters is its own finding).
    let size = (if counted { chained } else { u64::from(h.i_clusters.get()) }) << geo.cluster_bits;
    if h.i_size.get() != size {
        let msg = format!("{}: size is not its clusters' bytes", a.name);
        cx.error(Some("CHAIN_I_SIZE"), a.inode, "ocfs2_dinode", "i_size", size, h.i_size.get(), msg);
    }
    Ok(())
}

/// The code of `e` when it is damage at which fsck.ocfs2's own chain walk (pass
/// 0) ends too, so that both sum the same groups: a link out of range, a block
/// that does not read or is no group, or a group met again (fsck counts the
/// loop's groups again up to a bound, which sums nothing that is on disk; ours
/// sums each group once). Other damage to a group fsck -n reads past.
///
/// libocfs2's walk of the global bitmap, through which fsck.ocfs2 loads the
/// bitmap it compares the clusters in use with, ends for good at the same
/// damage. The groups of the later chains are then missing from that bitmap,
/// and each holds a cluster in use (its descriptor's), which fsck names as
/// clear (CLUSTER_ALLOC_BIT) though it is set. (A group naming another block
/// or chain fails the whole load, so fsck compares nothing; a wrong parent or
/// generation it does not check.)
fn walk_end(e: &Error) -> Option<&'static str> {
    let ends = ["BAD_CRC32", "CHAIN_LINK_MAGIC", "CHAIN_LINK_RANGE", "CHAIN_HEAD_LINK_RANGE", "GROUP_CHAIN_LOOP"];
    e.corruption().and_then(code_of).filter(|c| ends.contains(c))
}

/// Whether a global-bitmap group descriptor at `blkno` is off every group's
/// place: group 0's at `s_first_cluster_group`, each other's at the first block
/// of a cluster that is a multiple of `cl_cpg`.
fn off_place(vol: &Volume, first_group: u64, cpg: u64, blkno: u64) -> bool {
    let first = bitmap_group_first_cluster(vol, blkno);
    blkno != first_group && (cpg == 0 || first % cpg != 0 || vol.geometry().cluster_to_block(first) != blkno)
}

/// Whether `e` is a global-bitmap group recording another block than its own
/// (GROUP_BLKNO) that is off every group's place: fsck.ocfs2 -n reads on and
/// places the group by its record, so it finds it unexpected there
/// (GROUP_UNEXPECTED_DESC), and its own place empty (GROUP_EXPECTED_DESC,
/// which `expected_groups` reports).
fn recorded_off_place(vol: &Volume, e: &Error, first_group: u64, cpg: u64) -> bool {
    let Some(c) = e.corruption() else { return false };
    let Value::Int(recorded) = c.actual else { return false };
    code_of(c) == Some("GROUP_BLKNO") && recorded < vol.geometry().blocks && off_place(vol, first_group, cpg, recorded)
}

/// A global bitmap of one chain must count as many clusters per group as its
/// first group's bitmap holds (`cl_cpg == 8 * bg_size`): old mkfs.ocfs2 wrote
/// less on volumes of one group, and fsck.ocfs2 checks it (`CHAIN_CPG`) only
/// there. A first group that does not read is the chain walk's finding.
fn cpg_of_one_chain(cx: &mut Ctx<'_, '_>, inode: u64, cpg: u64, group: u64) {
    let Ok(block) = cx.vol.read_meta(group, MetaKind::GROUP) else { return };
    let Ok(g) = GroupView::parse(&block, group) else { return };
    let want = 8 * u64::from(g.desc.bg_size.get());
    if cpg != want {
        let msg = format!("global bitmap: clusters per group differ from the bits group {group} holds");
        cx.error(Some("CHAIN_CPG"), inode, "ocfs2_chain_list", "cl_cpg", want, cpg, msg);
    }
}

/// Every global-bitmap group sits where the geometry puts it; one that no chain
/// reached is GROUP_EXPECTED_DESC. As fsck.ocfs2, the places come from the
/// block size (a full group's bits), not from `cl_cpg`, whose damage is its own
/// finding.
///
/// A group no link reaches holds none of the global bitmap's bits: it goes to
/// the cluster pass with every bit clear, so that the clusters in use in its
/// range are CLUSTER_ALLOC_BIT, as fsck.ocfs2 finds them. Not so when a chain
/// reached it and stopped there (`broken`: that finding names the damage) or
/// a chained group covers its clusters (a group moved off its place). A group
/// `on_chain` is no finding: fsck.ocfs2 -n reads it on its chain.
fn expected_groups(cx: &mut Ctx<'_, '_>, first_group: u64, broken: &HashSet<u64>, on_chain: &HashSet<u64>) {
    let geo = *cx.vol.geometry();
    let clusters = u64::from(geo.clusters);
    let cpg = (geo.block_size as usize - BITMAP_OFFSET) as u64 * 8;
    let found: HashSet<u64> = cx.bitmap_groups.iter().map(|g| g.blkno).collect();
    let mut unchained = Vec::new();
    for g in 0..clusters.div_ceil(cpg) {
        let blkno = if g == 0 { first_group } else { geo.cluster_to_block(g * cpg) };
        if !found.contains(&blkno) && !on_chain.contains(&blkno) {
            let (first, bits) = (g * cpg, cpg.min(clusters - g * cpg));
            let covered = cx.bitmap_groups.iter().any(|b| b.first < first + bits && first < b.first + b.bits);
            if !covered && !broken.contains(&blkno) {
                unchained.push(BitmapGroup { first, blkno, bits, set: Some(Box::new([])) });
            }
            cx.error(
                Some("GROUP_EXPECTED_DESC"),
                blkno,
                "ocfs2_group_desc",
                "bg_blkno",
                "a group descriptor on a global bitmap chain",
                "on no chain",
                format!("global bitmap group {g} is on no chain"),
            );
        }
    }
    cx.bitmap_groups.extend(unchained);
}

/// What the chain walk noted about one group.
struct GroupFacts {
    blkno: u64,
    bits: u64,
    free: u64,
    used: u32,
    /// A suballocator group's block runs (or why they are invalid).
    runs: Option<Result<Vec<(u64, u64)>>>,
    /// A global-bitmap group's runs of set bits, unless it has too many.
    set: Option<Box<[(u32, u32)]>>,
}

/// Runs of set bits kept per global-bitmap group for the cluster pass (which
/// re-reads groups with more): 32 runs of 8 bytes, at most 34 MiB for the
/// 133,153 groups of a 4 PiB volume; groups of a fresh volume have one run, full
/// ones one, empty ones none.
const MAX_SET_RUNS: usize = 32;

/// Judges one group and claims its clusters.
fn group(
    cx: &mut Ctx<'_, '_>,
    a: &Allocator,
    f: GroupFacts,
    cpg: u64,
    first_group: u64,
    all_clusters: &mut u64,
) -> Result<()> {
    let geo = *cx.vol.geometry();
    let s = "ocfs2_group_desc";
    if !cx.groups_seen.insert(f.blkno) {
        cx.error(
            Some("GROUP_DUPLICATE"),
            f.blkno,
            s,
            "bg_blkno",
            "a group on one chain only",
            format!("met again on {}", a.name),
            "group descriptor found twice",
        );
        return Ok(());
    }
    let used = u64::from(f.used);
    let bitmap_free = f.bits - used;
    if f.free > bitmap_free {
        cx.error(
            Some("GROUP_FREE_BITS"),
            f.blkno,
            s,
            "bg_free_bits_count",
            Value::AtMost(bitmap_free),
            f.free,
            format!("{}: more free bits than the bitmap has ({used} of {} bits set)", a.name, f.bits),
        );
    } else if f.free < bitmap_free {
        // fsck.ocfs2 1.8.7 leaves a low count in the group (the allocator merely
        // skips free bits) and finds it only as the chain's and the inode's totals
        // (CHAIN_BITS, CHAIN_GROUP_BITS), which are summed from the groups' counts.
        let at = Corruption {
            blkno: f.blkno,
            structure: s,
            field: "bg_free_bits_count",
            expected: bitmap_free.into(),
            actual: f.free.into(),
            kind: Default::default(),
        };
        let msg = format!("{}: fewer free bits than the bitmap has ({used} of {} bits set)", a.name, f.bits);
        cx.push(None, Severity::Info, at, msg);
    }
    match f.runs {
        None => {
            // A global-bitmap group: fixed place, at most cl_cpg bits.
            let first = bitmap_group_first_cluster(cx.vol, f.blkno);
            let misplaced = off_place(cx.vol, first_group, cpg, f.blkno);
            if misplaced {
                cx.error(
                    Some("GROUP_UNEXPECTED_DESC"),
                    f.blkno,
                    s,
                    "bg_blkno",
                    format!("the first block of a cluster that is a multiple of cl_cpg {cpg}"),
                    f.blkno,
                    "global bitmap group at an unexpected place",
                );
            }
            // A misplaced group's clusters, counted from where it is, mean nothing more.
            if !misplaced && (f.bits > cpg || first + f.bits > u64::from(geo.clusters)) {
                cx.error(
                    Some("CHAIN_GROUP_BITS"),
                    f.blkno,
                    s,
                    "bg_bits",
                    format!("<= cl_cpg {cpg}, inside the volume"),
                    f.bits,
                    "global bitmap group too large",
                );
            }
            cx.bitmap_groups.push(BitmapGroup { first, blkno: f.blkno, bits: f.bits, set: f.set });
            // Group 0's descriptor is in the superblock area, claimed whether
            // or not a chain holds it (the cluster pass).
            if f.blkno != first_group {
                cx.claims.push(Claim { start: first, len: 1, owner: Owner::BitmapGroup(f.blkno), shared: false });
            }
        }
        Some(Err(e)) => {
            // Where its clusters lie is unknown, but its bits still count
            // toward the allocator's clusters, as fsck.ocfs2 sums them.
            *all_clusters += f.bits.div_ceil(geo.blocks_per_cluster());
            cx.report(e, f.blkno, &a.name)?;
        }
        Some(Ok(runs)) => {
            let bpc = geo.blocks_per_cluster();
            for (start, blocks) in runs {
                if start % bpc != 0 {
                    cx.error(
                        Some("DISCONTIG_BG_REC_CORRUPT"),
                        f.blkno,
                        s,
                        "bg_blkno",
                        "cluster aligned",
                        start,
                        "suballocator group does not start a cluster",
                    );
                    continue;
                }
                let len = blocks.div_ceil(bpc);
                *all_clusters += len;
                cx.claims.push(Claim {
                    start: geo.block_to_cluster(start),
                    len,
                    owner: Owner::SubGroup(f.blkno),
                    shared: false,
                });
            }
            cx.sub_groups.push(SubGroup {
                blkno: f.blkno,
                slot: a.slot.unwrap_or(SUBALLOC_GLOBAL),
                inodes: !a.name.starts_with("extent_alloc"),
                alloc: a.inode,
            });
        }
    }
    Ok(())
}
