//! Setup shared by the benchmarks, never timed: the bundled kernel-written fixtures
//! decompressed into memory, volumes made in memory by the library's own mkfs, and
//! the small walks that find a structure through the public API.
#![allow(dead_code)] // each bench binary uses a different subset

use std::path::PathBuf;

use ocfs2_format::io::{self, MemSource};
use ocfs2_format::layout::dinode::mode;
use ocfs2_format::mkfs::{self, MkfsOptions, Randomness, Target};
use ocfs2_format::{fs, Inode, Volume};

/// One tebibyte: the "large sparse volume" of the global-bitmap benches.
pub const TIB: u64 = 1 << 40;

/// `fixtures/NAME.img.zst`.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(format!("{name}.img.zst"))
}

/// The fixture decompressed into memory, so timed reads never wait on the disk.
pub fn fixture_source(name: &str) -> MemSource {
    io::open_zst(&fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Opens a volume over an in-memory image.
pub fn open(src: MemSource) -> Volume {
    Volume::from_source(Box::new(src), Default::default()).unwrap_or_else(|e| panic!("open volume: {e}"))
}

/// The fixture, opened.
pub fn fixture(name: &str) -> Volume {
    open(fixture_source(name))
}

/// Formats `size` bytes of memory with the library's mkfs, as `ocfs2-mkfs` would a
/// file. The memory source is sparse: only the blocks mkfs writes take RAM.
pub fn mkfs(size: u64, opts: &MkfsOptions) -> MemSource {
    let plan = mkfs::plan(opts, &Target { size, sector_size: 512 }).unwrap_or_else(|e| panic!("mkfs plan: {e}"));
    let lay = mkfs::place(&plan).unwrap_or_else(|e| panic!("mkfs place: {e}"));
    let mut img = MemSource::new(size);
    // A fixed seed: every run measures the same volume.
    let rnd = Randomness::from_seed(1, [7; 16], 1_700_000_000);
    mkfs::write(&lay, &rnd, &mut img, &mut |_, _| {}).unwrap_or_else(|e| panic!("mkfs write: {e}"));
    img
}

/// A 1 TiB volume with default geometry (4 KiB blocks and clusters: 268 million
/// clusters in about 8,300 global-bitmap groups), two slots and the smallest
/// journals, formatted in memory.
pub fn large_sparse_volume() -> Volume {
    let opts = MkfsOptions { slots: Some(2), journal_size: Some(mkfs::MIN_JOURNAL_SIZE), ..Default::default() };
    open(mkfs(TIB, &opts))
}

/// The inode at `path` (`/a/b` or `//system_file`).
pub fn inode_at<'v>(vol: &'v Volume, path: &str) -> Inode<'v> {
    let blkno = fs::lookup(vol, path).unwrap_or_else(|e| panic!("lookup {path}: {e}"));
    vol.inode(blkno).unwrap_or_else(|e| panic!("inode {blkno} ({path}): {e}"))
}

/// The first in-use inode (in inode-scan order) whose block satisfies `pred`.
pub fn first_inode<'v>(vol: &'v Volume, what: &str, mut pred: impl FnMut(&Inode<'_>) -> bool) -> Inode<'v> {
    let mut found = None;
    fs::scan_inodes(vol, |scanned, _| {
        if found.is_none() && scanned.allocated {
            let inode = vol.inode(scanned.blkno)?;
            if pred(&inode) {
                found = Some(scanned.blkno);
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("inode scan: {e}"));
    let blkno = found.unwrap_or_else(|| panic!("no inode with {what}"));
    vol.inode(blkno).unwrap_or_else(|e| panic!("inode {blkno}: {e}"))
}

/// Path and size of the largest regular file, by a walk of the whole tree from the
/// root (so the bench follows the fixture if it is ever regenerated).
pub fn largest_file(vol: &Volume) -> (String, u64) {
    let mut best = (String::new(), 0u64);
    let mut dirs = vec![(String::new(), vol.root_blkno())];
    while let Some((path, blkno)) = dirs.pop() {
        let dir = vol.inode(blkno).unwrap_or_else(|e| panic!("inode {blkno} ({path}): {e}"));
        for e in fs::read_dir(vol, &dir).unwrap_or_else(|e| panic!("read_dir {path}: {e}")) {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let child = format!("{path}/{}", String::from_utf8_lossy(&e.name));
            let h = *vol.inode(e.inode).unwrap_or_else(|err| panic!("inode {} ({child}): {err}", e.inode)).header();
            if h.is_dir() {
                dirs.push((child, e.inode));
            } else if h.file_type() == mode::S_IFREG && h.i_size.get() > best.1 {
                best = (child, h.i_size.get());
            }
        }
    }
    best
}

/// A small deterministic generator (splitmix64) for synthetic contents: the same
/// bytes on every run, without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fills `buf` with pseudo-random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}
