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
#[path = "../../fuzz/fuzz_targets/shared/partition.rs"]
mod partition;
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
