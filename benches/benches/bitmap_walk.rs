//! The global-bitmap walk over a large sparse volume: every chain of
//! `//global_bitmap` followed to its end, each group descriptor validated and
//! summarised, as `ocfs2-inspect stat -t //global_bitmap` does. On a 1 TiB volume
//! with 4 KiB clusters that is about 8,300 descriptors, the most scattered
//! metadata read any command makes; `freefrag`, `check` and `stats` walk it too.
//! The whole read-only `check` of the same volume is measured beside it.
//!
//! The volume is formatted in memory by the library's mkfs (sparse: only the
//! blocks it writes take RAM), so the numbers are CPU cost, not disk latency.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ocfs2_format::alloc::{self, GroupInfo};
use ocfs2_format::{check, Inode, SystemFile, Volume};

/// Every group of every chain, in chain order.
fn walk(vol: &Volume, bitmap: &Inode<'_>) -> Vec<Vec<GroupInfo>> {
    alloc::prefetch_groups(vol, bitmap);
    let chains = alloc::chain_list(bitmap).expect("global_bitmap chain list").recs.len();
    (0..chains).map(|c| alloc::chain_groups(vol, bitmap, c).expect("walk chain")).collect()
}

fn bench(c: &mut Criterion) {
    let vol = common::large_sparse_volume();
    let bitmap =
        vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP).expect("global_bitmap")).expect("global_bitmap inode");
    let groups: usize = walk(&vol, &bitmap).iter().map(Vec::len).sum();
    let clusters = u64::from(vol.geometry().clusters);
    let cpg = u64::from(alloc::chain_list(&bitmap).expect("chain list").list.cl_cpg.get());
    assert_eq!(groups as u64, clusters.div_ceil(cpg), "the walk meets every group");

    let mut g = c.benchmark_group("bitmap_walk_1TiB");
    g.bench_function("global_bitmap", |b| b.iter(|| walk(black_box(&vol), &bitmap)));
    // `check` reads every allocator, inode, directory and the journals: slower, so
    // the fewest samples.
    let report = check::check(&vol, &mut |_| {}).expect("check");
    assert!(report.is_clean(), "a fresh volume checks clean: {:?}", report.findings);
    g.sample_size(10);
    g.bench_function("check", |b| b.iter(|| check::check(black_box(&vol), &mut |_| {}).expect("check")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
