//! Damaged copies of volumes, in memory or in a temporary file.
#![allow(clippy::unwrap_used)] // test helpers

use std::path::{Path, PathBuf};

use ocfs2_format::io::{open_zst, BlockSource, MemSource};
use ocfs2_format::{fs, OpenOptions, Volume};

use super::{fixture_zst, mkfs};

/// The clean kernel-written fixture, in memory.
pub fn a_default() -> MemSource {
    open_zst(&fixture_zst("A-default")).expect("fixture A-default")
}

/// Opens a memory image as a volume.
pub fn open(src: MemSource) -> ocfs2_format::Result<Volume> {
    Volume::from_source(Box::new(src), OpenOptions::default())
}

/// Writes a memory image, sparse, to `damaged.img` in `dir` (for the CLI and fsck.ocfs2).
pub fn to_file(src: &MemSource, dir: &Path) -> PathBuf {
    let path = dir.join("damaged.img");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(src.size()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0;
    use std::os::unix::fs::FileExt;
    while off < src.size() {
        let n = (src.size() - off).min(buf.len() as u64) as usize;
        src.read_at(off, &mut buf[..n]).unwrap();
        if buf[..n].iter().any(|&b| b != 0) {
            f.write_all_at(&buf[..n], off).unwrap();
        }
        off += n as u64;
    }
    path
}

/// Block number of a path in the clean fixture.
pub fn blkno_of(path: &str) -> u64 {
    let vol = open(a_default()).unwrap();
    fs::lookup(&vol, path).unwrap()
}

/// A META_ECC volume made by the real mkfs.ocfs2, read into memory.
pub fn ecc_image(bs: u32) -> MemSource {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ecc.img");
    let b = bs.to_string();
    mkfs(
        &path,
        64 << 20,
        &["-b", &b, "-C", "4096", "-N", "2", "-J", "size=4M", "-M", "local", "--fs-feature-level=max-features"],
    );
    MemSource::from_vec(std::fs::read(&path).unwrap())
}
