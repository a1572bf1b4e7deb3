//! Replays every saved fuzz input (`fuzz/regressions/<target>/`) through the
//! same code the cargo-fuzz targets run, so a crash once found stays fixed on
//! the stable toolchain without libFuzzer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};

use ocfs2_format::io::open_zst;

#[path = "../../fuzz/fuzz_targets/shared/blocks.rs"]
mod blocks;
#[path = "../../fuzz/fuzz_targets/shared/ewf.rs"]
mod ewf;
#[path = "../../fuzz/fuzz_targets/shared/locks.rs"]
mod locks;
#[path = "../../fuzz/fuzz_targets/shared/o2image.rs"]
mod o2image;
#[path = "../../fuzz/fuzz_targets/shared/partition.rs"]
mod partition;
#[path = "../../fuzz/fuzz_targets/shared/replay.rs"]
mod replay;
#[path = "../../fuzz/fuzz_targets/shared/volume.rs"]
mod volume;

/// The saved inputs of one target (every file but the README).
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
        .collect();
    v.sort();
    v
}

#[test]
fn blocks_regressions_replay() {
    for p in inputs("blocks") {
        eprintln!("replaying {}", p.display());
        blocks::run(&std::fs::read(&p).unwrap());
    }
    // And a few fixed shapes, so the shared body is exercised even with no inputs.
    for sel in 0u8..8 {
        blocks::run(&[sel]);
        blocks::run(&[&[sel][..], &[0xff; 4096][..]].concat());
    }
}

#[test]
fn volume_regressions_replay() {
    let base = open_zst(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/C1.img.zst")).unwrap();
    volume::run(&base, &[]); // the clean volume
    for p in inputs("volume") {
        eprintln!("replaying {}", p.display());
        volume::run(&base, &std::fs::read(&p).unwrap());
    }
}

#[test]
fn o2image_regressions_replay() {
    for p in inputs("o2image") {
        eprintln!("replaying {}", p.display());
        o2image::run(&std::fs::read(&p).unwrap());
    }
    // And fixed shapes: a packed image of C1's first 64 blocks, whole, cut at
    // every 997th byte, and with each header field set to extremes.
    let base = open_zst(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/C1.img.zst")).unwrap();
    let blocks = ocfs2_format::io::BlockSource::size(&base) / 4096;
    let mut held = ocfs2_format::io::o2image::ImageBitmap::new(blocks);
    held.set_range(0, 64);
    let mut img = ocfs2_format::io::o2image::encode_header(4096, &held, &[], 0);
    for b in held.iter() {
        img.extend_from_slice(&ocfs2_format::io::BlockSource::bytes(&base, b * 4096, 4096).unwrap());
    }
    img.extend(held.to_bytes());
    o2image::run(&img);
    for cut in (0..img.len()).step_by(997) {
        o2image::run(&img[..cut]);
    }
    for field in (24..72).step_by(8) {
        for v in [0u64, 1, 63, 4096, u64::MAX / 4096, u64::MAX] {
            let mut bad = img.clone();
            bad[field..field + 8].copy_from_slice(&v.to_le_bytes());
            o2image::run(&bad);
        }
    }
}

/// The input that made `metadata_blocks` ask for a 16 GiB bitmap (a superblock
/// claiming 2^32 clusters of 1 MiB in a 45 KiB image): refused as truncated,
/// naming the first block the source lacks, before anything is allocated. The
/// replay above cannot see the allocation (calloc is lazy outside libFuzzer).
#[test]
fn o2image_of_a_volume_larger_than_its_source_is_truncated() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/o2image");
    let data = std::fs::read(dir.join("oom-superblock-claims-2pow40-blocks")).unwrap();
    let src = ocfs2_format::io::O2ImageSource::new(ocfs2_format::io::MemSource::from_bytes(&data)).unwrap();
    let size = ocfs2_format::io::BlockSource::size(&src);
    let vol = ocfs2_format::Volume::from_source(Box::new(src), ocfs2_format::OpenOptions::default()).unwrap();
    assert_eq!(vol.geometry().blocks, u64::from(u32::MAX) << 8, "the claim the input makes");
    match ocfs2_format::image::metadata_blocks(&vol) {
        Err(ocfs2_format::Error::Truncated { blkno, size: s }) => assert_eq!((blkno, s), (size / 4096, size)),
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn replay_regressions_replay() {
    for p in inputs("replay") {
        eprintln!("replaying {}", p.display());
        replay::run(&std::fs::read(&p).unwrap());
    }
    // The seed shape: B's journal region, its superblock pointing at log block 1.
    let raw = open_zst(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/B.img.zst")).unwrap();
    let vol = ocfs2_format::Volume::from_source(Box::new(raw), ocfs2_format::OpenOptions::default()).unwrap();
    let j = ocfs2_format::journal::Journal::open(&vol, 0).unwrap();
    let start = j.superblock().s_start.get();
    let mut region = vec![2u8, 0, 4]; // 4 KiB blocks, a volume of 1024 * 64 blocks
    let mut sb = j.read(0).unwrap();
    sb[0x1c..0x20].copy_from_slice(&1u32.to_be_bytes());
    region.extend_from_slice(&sb);
    for n in start..start + 48 {
        region.extend_from_slice(&j.read(n).unwrap());
    }
    replay::run(&region);
    region[0] |= 0x80 | 0x40; // the log is exactly the region; keep details
    replay::run(&region);
}

#[test]
fn locks_regressions_replay() {
    for p in inputs("locks") {
        eprintln!("replaying {}", p.display());
        locks::run(&std::fs::read(&p).unwrap());
    }
    for text in ["M0000000000000000000005980f5f66", "N000000000000000500002a18", "0x4\tM\n", "NAME:x\nLOCK:1\n"] {
        locks::run(text.as_bytes());
    }
}

#[test]
fn partition_regressions_replay() {
    for p in inputs("partition") {
        eprintln!("replaying {}", p.display());
        partition::run(&std::fs::read(&p).unwrap());
    }
    partition::run(&[0, 1]);
}

#[test]
fn ewf_regressions_replay() {
    for p in inputs("ewf") {
        eprintln!("replaying {}", p.display());
        ewf::run(&std::fs::read(&p).unwrap());
    }
    ewf::run(&[0, 0]);
}
