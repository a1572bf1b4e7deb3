//! Sequential read throughput of the largest regular file of fixture `X-max`
//! (found by walking the tree: a 20 MiB file of reflinked extents) through
//! `fs::FileReader`, as `cat`, `dump` and `rdump` read files: extent map lookup
//! and block reads in pieces of at most `fs::MAX_READ` bytes into one buffer.
//! The image is in memory, so this is the library's overhead over a memory copy.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocfs2_format::fs::{self, FileReader};

fn bench(c: &mut Criterion) {
    let vol = common::fixture("X-max");
    let (path, size) = common::largest_file(&vol);
    let inode = common::inode_at(&vol, &path);
    let mut buf = vec![0u8; fs::MAX_READ];

    let mut g = c.benchmark_group("file_read");
    g.throughput(Throughput::Bytes(size));
    // Few samples: one pass copies 20 MiB.
    g.sample_size(20);
    g.bench_function(format!("largest{path}"), |b| {
        b.iter(|| {
            let reader = FileReader::new(&vol, &inode).expect("open file");
            let mut offset = 0;
            loop {
                let n = reader.read_full_at(offset, black_box(&mut buf)).expect("read");
                if n == 0 {
                    break;
                }
                offset += n as u64;
            }
            assert_eq!(offset, size);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
