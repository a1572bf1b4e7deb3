//! End of fsck pass 1, its refcount check: each refcount tree's records against
//! the refcounted extents of the files that share it. A record's count must
//! equal the number of refcounted extents covering its clusters, and a record
//! no extent needs is redundant; the root's `rf_count` is the number of inodes
//! pointing at the tree; records run in order without overlap, inside the
//! volume and after the superblock, and no leaf is empty. Counts are compared
//! as sorted runs, never a per-cluster map.

use std::collections::HashMap;

use super::Ctx;
use crate::fs::RefcountTree;
use crate::layout::superblock::SUPERBLOCK_BLKNO;

/// What the inode pass kept of one refcount tree.
#[derive(Debug, Clone)]
pub(crate) struct TreeFacts {
    /// The root's `rf_count`; `None` when the tree could not be read (already
    /// reported).
    rf_count: Option<u32>,
    /// Inodes met that point at the tree.
    pub files: u32,
    /// Records in tree order: (first cluster, end cluster, count, block).
    records: Vec<(u64, u64, u32, u64)>,
    /// Leaves holding no record.
    empty_leaves: Vec<u64>,
}

impl TreeFacts {
    /// The facts of `tree` (`None`: unreadable), first met through one inode.
    pub fn new(tree: Option<RefcountTree>) -> Self {
        let Some(t) = tree else {
            return TreeFacts { rf_count: None, files: 1, records: Vec::new(), empty_leaves: Vec::new() };
        };
        let records = t
            .blocks
            .iter()
            .flat_map(|b| {
                b.recs.iter().map(|r| {
                    let start = r.r_cpos.get();
                    (start, start + u64::from(r.r_clusters.get()), r.r_refcount.get(), b.blkno)
                })
            })
            .collect();
        let empty_leaves =
            t.blocks.iter().skip(1).filter(|b| b.list.is_some_and(|(_, used)| used == 0)).map(|b| b.blkno);
        TreeFacts {
            rf_count: t.blocks.first().map(|b| b.header.rf_count.get()),
            files: 1,
            records,
            empty_leaves: empty_leaves.collect(),
        }
    }
}

pub(super) fn run(cx: &mut Ctx<'_, '_>) {
    let geo = *cx.vol.geometry();
    let clusters = u64::from(geo.clusters);
    let mut per_tree: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
    for (owner, start, len) in std::mem::take(&mut cx.refcounted) {
        match cx.refcount_of.get(&owner) {
            Some(&root) => per_tree.entry(root).or_default().push((start, start + len)),
            None => cx.error(
                Some("EXTENT_MARKED_REFCOUNTED"),
                owner,
                "ocfs2_extent_rec",
                "e_flags",
                "no REFCOUNTED flag (the inode has no refcount tree)",
                "REFCOUNTED",
                format!("refcounted extent at cluster {start} in a file without HAS_REFCOUNT"),
            ),
        }
    }
    let mut trees: Vec<(u64, TreeFacts)> = std::mem::take(&mut cx.refcount_trees).into_iter().collect();
    trees.sort_unstable_by_key(|(root, _)| *root);
    for (root, t) in trees {
        let Some(rf_count) = t.rf_count else { continue };
        let s = "ocfs2_refcount_block";
        if rf_count != t.files {
            cx.error(
                Some("REFCOUNT_COUNT"),
                root,
                s,
                "rf_count",
                t.files,
                rf_count,
                format!("refcount tree shared by {} inodes", t.files),
            );
        }
        for &leaf in &t.empty_leaves {
            cx.error(Some("REFCOUNT_LIST_EMPTY"), leaf, s, "rl_used", "> 0", 0, "refcount leaf with no record");
        }
        let mut records = Vec::with_capacity(t.records.len());
        let mut prev_end = 0;
        for &(start, end, count, blkno) in &t.records {
            let r = "ocfs2_refcount_rec";
            if end > clusters {
                let range = format!("{start}..{end}");
                let msg = "refcount record past the end of the volume";
                cx.error(Some("REFCOUNT_CLUSTER_RANGE"), blkno, r, "r_cpos", format!("end <= {clusters}"), range, msg);
                continue;
            }
            // fsck.ocfs2 places a record by the first block of its last cluster,
            // which must not precede the superblock's; such a record's clusters
            // are still inside the volume, so it stays in the count comparison,
            // as in fsck's.
            if end.checked_sub(1).is_none_or(|last| geo.cluster_to_block(last) < SUPERBLOCK_BLKNO) {
                let (range, msg) = (format!("{start}..{end}"), "refcount record before the superblock");
                let want = format!("a last cluster from block {SUPERBLOCK_BLKNO} on");
                cx.error(Some("REFCOUNT_CLUSTER_RANGE"), blkno, r, "r_cpos", want, range, msg);
            }
            if start < prev_end {
                let msg = "refcount record overlaps the one before it";
                cx.error(Some("REFCOUNT_CLUSTER_COLLISION"), blkno, r, "r_cpos", format!(">= {prev_end}"), start, msg);
            } else {
                prev_end = end;
                records.push((start, end, count, blkno));
            }
        }
        let want = coverage(per_tree.remove(&root).unwrap_or_default());
        compare(cx, root, &want, &records);
    }
}

/// How many of `extents` (cluster ranges) cover each cluster, as sorted runs
/// `(start, end, count)` of nonzero counts.
fn coverage(extents: Vec<(u64, u64)>) -> Vec<(u64, u64, u32)> {
    let mut edges: Vec<(u64, i64)> = extents.into_iter().flat_map(|(s, e)| [(s, 1), (e, -1)]).collect();
    edges.sort_unstable();
    let mut out: Vec<(u64, u64, u32)> = Vec::new();
    let (mut depth, mut at) = (0i64, 0u64);
    for (pos, step) in edges {
        if pos > at && depth > 0 {
            let count = u32::try_from(depth).unwrap_or(u32::MAX);
            match out.last_mut() {
                Some(last) if last.1 == at && last.2 == count => last.1 = pos,
                _ => out.push((at, pos, count)),
            }
        }
        (depth, at) = (depth + step, pos);
    }
    out
}

/// Reports where the extents' counts (`want`) and the records (`have`, sorted
/// and disjoint) disagree, one finding per run of the same disagreement.
fn compare(cx: &mut Ctx<'_, '_>, root: u64, want: &[(u64, u64, u32)], have: &[(u64, u64, u32, u64)]) {
    let mut points: Vec<u64> =
        want.iter().flat_map(|w| [w.0, w.1]).chain(have.iter().flat_map(|h| [h.0, h.1])).collect();
    points.sort_unstable();
    points.dedup();
    let (mut wi, mut hi) = (0usize, 0usize);
    // The disagreement being extended: (start, end, want, have, record block).
    let mut open: Option<(u64, u64, u32, u32, u64)> = None;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        while wi < want.len() && want[wi].1 <= a {
            wi += 1;
        }
        while hi < have.len() && have[hi].1 <= a {
            hi += 1;
        }
        let w = want.get(wi).filter(|w| w.0 <= a).map_or(0, |w| w.2);
        let (h, blk) = have.get(hi).filter(|h| h.0 <= a).map_or((0, root), |h| (h.2, h.3));
        if w == h {
            continue;
        }
        match &mut open {
            Some(o) if o.1 == a && (o.2, o.3, o.4) == (w, h, blk) => o.1 = b,
            _ => {
                if let Some(o) = open.replace((a, b, w, h, blk)) {
                    report(cx, o);
                }
            }
        }
    }
    if let Some(o) = open {
        report(cx, o);
    }
}

fn report(cx: &mut Ctx<'_, '_>, (start, end, want, have, blkno): (u64, u64, u32, u32, u64)) {
    let r = "ocfs2_refcount_rec";
    if want == 0 {
        cx.error(
            Some("REFCOUNT_REC_REDUNDANT"),
            blkno,
            r,
            "r_refcount",
            "no record: no refcounted extent uses these clusters",
            have,
            format!("clusters {start}..{end} are counted but shared by no file"),
        );
    } else {
        cx.error(
            Some("REFCOUNT_COUNT_INVALID"),
            blkno,
            r,
            "r_refcount",
            want,
            have,
            format!("clusters {start}..{end} are in {want} refcounted extents"),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn coverage_counts_overlaps() {
        let got = super::coverage(vec![(10, 20), (15, 30), (15, 20), (40, 41)]);
        assert_eq!(got, vec![(10, 15, 1), (15, 20, 3), (20, 30, 1), (40, 41, 1)]);
        assert_eq!(super::coverage(vec![(0, 5), (5, 9)]), vec![(0, 9, 1)]);
        assert!(super::coverage(Vec::new()).is_empty());
    }
}
