//! What `--replay` adds to a command, side by side (issue #15's second bound: a
//! command with the option costs at most the replay plus 1.2x the same command
//! without it). On the kernel-written R-4k (its last five transactions only in the
//! journal): `open` alone with and without replay, and open plus reading every
//! file of the tree (what `rdump` does, into memory) on the crashed image with
//! replay against the same on the copy the kernel recovered (the same tree, no
//! replay needed). Images are decompressed once and shared without a copy.

mod common;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use ocfs2_format::io::BlockSource;
use ocfs2_format::{OpenOptions, Volume};

/// A fixture's raw bytes, read once.
fn image(name: &str) -> Arc<[u8]> {
    let src = common::fixture_source(name);
    let mut raw = vec![0u8; usize::try_from(src.size()).expect("fits")];
    src.read_at(0, &mut raw).expect("read");
    raw.into()
}

fn open(raw: &Arc<[u8]>, replay: bool) -> Volume {
    Volume::from_bytes(Arc::clone(raw), OpenOptions { replay, ..OpenOptions::default() }).expect("open R-4k")
}

/// Every regular file of the tree read in full; returns the bytes read.
fn read_tree(vol: &Volume) -> u64 {
    let mut total = 0;
    for entry in vol.walk("/") {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            total += vol.read_ino(entry.ino()).expect("read").len() as u64;
        }
    }
    total
}

fn bench(c: &mut Criterion) {
    // Untimed: replay changes what the tree holds (the kernel's recovery shows new-name.txt).
    let raw = image("R-4k");
    let recovered = image("R-4k-kernel-recovered");
    assert!(open(&raw, false).exists("/base/old-name.txt").expect("lookup"));
    assert!(open(&raw, true).exists("/base/new-name.txt").expect("lookup"));
    assert_eq!(read_tree(&open(&raw, true)), read_tree(&open(&recovered, false)), "the same tree");
    let mut g = c.benchmark_group("replayed_view");
    g.sample_size(20);
    g.bench_function("open", |b| b.iter(|| black_box(open(&raw, false))));
    g.bench_function("open_replay", |b| b.iter(|| black_box(open(&raw, true))));
    g.bench_function("recovered_copy_read_tree", |b| b.iter(|| read_tree(&open(&recovered, false))));
    g.bench_function("open_replay_read_tree", |b| b.iter(|| read_tree(&open(&raw, true))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
