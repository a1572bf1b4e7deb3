//! Replays every saved fuzz input (`fuzz/regressions/<target>/`) through the
//! same code the cargo-fuzz targets run, so a crash once found stays fixed on
//! the stable toolchain without libFuzzer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};

use ocfs2_format::io::open_zst;

#[path = "../../fuzz/fuzz_targets/shared/blocks.rs"]
mod blocks;
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
