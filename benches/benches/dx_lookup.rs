//! Name lookup in the kernel-written 5,000-entry indexed directory `bigdir`
//! (names `e00000`..`e04999`): through the index (`fs::dx_lookup`: hash the name,
//! read the dx root, one dx leaf, then the directory block it points at), as a
//! whole path from the root (`fs::lookup`, what every command's path argument
//! costs), and by a linear scan of every directory block for comparison (what a
//! lookup would cost without the index).
//!
//! Fixture `X-max` has META_ECC, so every block read is also verified; `A-default`
//! holds the same directory without ECC, which shows what the checks cost.
//! Each iteration looks up the next of 64 names spread over the directory, so no
//! one leaf or block is favoured.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ocfs2_format::fs;

const ENTRIES: usize = 5000;
const PROBES: usize = 64;

fn bench(c: &mut Criterion) {
    for fixture in ["X-max", "A-default"] {
        bench_fixture(c, fixture);
    }
}

fn bench_fixture(c: &mut Criterion, fixture: &str) {
    let vol = common::fixture(fixture);
    let dir = common::inode_at(&vol, "/bigdir");
    let names: Vec<String> = (0..PROBES).map(|i| format!("e{:05}", i * ENTRIES / PROBES + i % 7)).collect();
    let paths: Vec<String> = names.iter().map(|n| format!("/bigdir/{n}")).collect();
    // Untimed check that the three ways agree on every probe.
    let listing = fs::read_dir(&vol, &dir).expect("read bigdir");
    assert!(listing.len() >= ENTRIES, "bigdir holds {} entries", listing.len());
    for (name, path) in names.iter().zip(&paths) {
        let by_index = fs::dx_lookup(&vol, &dir, name.as_bytes()).expect("dx_lookup");
        let by_scan = listing.iter().find(|e| e.name == name.as_bytes()).map(|e| e.inode);
        assert!(by_index.is_some() && by_index == by_scan, "{name}: index {by_index:?}, scan {by_scan:?}");
        assert_eq!(fs::lookup(&vol, path).ok(), by_index, "{path}");
    }

    let mut g = c.benchmark_group(format!("dx_lookup/{fixture}"));
    let mut i = 0;
    let mut next = || {
        i = (i + 1) % PROBES;
        i
    };
    g.bench_function("index", |b| {
        b.iter(|| fs::dx_lookup(&vol, &dir, black_box(names[next()].as_bytes())).expect("dx_lookup"))
    });
    g.bench_function("path_from_root", |b| b.iter(|| fs::lookup(&vol, black_box(&paths[next()])).expect("lookup")));
    g.bench_function("linear_scan", |b| {
        b.iter(|| {
            let name = black_box(names[next()].as_bytes());
            fs::read_dir(&vol, &dir).expect("read_dir").into_iter().find(|e| e.name == name).map(|e| e.inode)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
