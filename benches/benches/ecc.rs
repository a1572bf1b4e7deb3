//! Metadata ECC (`layout::blockcheck`) of one 4 KiB block: computing the check,
//! verifying a clean block, and verifying a block with one flipped bit (the
//! Hamming repair path). On META_ECC volumes every metadata read pays for a
//! verify, so this bounds how fast any walk of such a volume can be.
//!
//! The Hamming code costs one step per set bit, so the cost depends on the
//! contents: a mostly empty inode, a directory block full of names (both from the
//! kernel-written `X-max` fixture) and pseudo-random bytes (the worst case).

mod common;

use std::hint::black_box;
use std::mem::offset_of;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocfs2_format::fs::{self, Mapping};
use ocfs2_format::layout::blockcheck::{self, CheckOutcome};
use ocfs2_format::layout::dinode::DinodeHeader;
use ocfs2_format::layout::dir::{DirTrailer, TRAILER_SIZE};
use ocfs2_format::MetaKind;

/// A block and the offset of its check field.
struct Sample {
    name: &'static str,
    block: Vec<u8>,
    check_at: usize,
}

fn samples() -> Vec<Sample> {
    let vol = common::fixture("X-max");
    let bs = vol.block_size();
    assert_eq!(bs, 4096, "X-max has 4 KiB blocks");
    // `read_meta` verifies each block, so the samples start out clean.
    let dir = common::inode_at(&vol, "/bigdir");
    let map = fs::ExtentMap::load(&vol, &dir).expect("bigdir extent map");
    let Mapping::Block { blkno: first, .. } = map.map(&vol, 0) else { panic!("bigdir starts with a hole") };
    let dir_block = vol.read_meta(first, MetaKind::DIR_BLOCK).expect("bigdir block").into_owned();
    let inode_check = offset_of!(DinodeHeader, i_check);
    let mut random = vec![0u8; bs];
    common::Rng(42).fill(&mut random);
    blockcheck::compute(&mut random, inode_check).expect("check fits");
    vec![
        Sample { name: "inode", block: dir.block().to_vec(), check_at: inode_check },
        Sample { name: "dir_block", block: dir_block, check_at: bs - TRAILER_SIZE + offset_of!(DirTrailer, db_check) },
        Sample { name: "random", block: random, check_at: inode_check },
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ecc");
    for Sample { name, mut block, check_at } in samples() {
        g.throughput(Throughput::Bytes(block.len() as u64));
        g.bench_function(format!("compute/{name}"), |b| {
            b.iter(|| blockcheck::compute(black_box(&mut block), check_at).expect("check fits"))
        });
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                let outcome = blockcheck::verify(black_box(&mut block), check_at);
                assert_eq!(outcome, Ok(CheckOutcome::Clean));
            })
        });
        // A bit in the middle of the block: verify finds the CRC wrong, locates the
        // bit with the Hamming code, flips it back and re-checks the CRC.
        let bit = block.len() * 4 + 3;
        g.bench_function(format!("verify_repair/{name}"), |b| {
            b.iter(|| {
                block[bit / 8] ^= 1 << (bit % 8);
                let outcome = blockcheck::verify(black_box(&mut block), check_at);
                assert_eq!(outcome, Ok(CheckOutcome::Corrected { bit: bit as u64 }));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
