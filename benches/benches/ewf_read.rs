//! Reading a volume through an EWF (E01) image against reading the raw image:
//! every regular file of fixture A-default read to its end (what `rdump` reads:
//! about 90 MiB of file data, through the tree walk), its data replaced by hex
//! text first (`fill_file_data`: the fixture's patterns deflate to almost
//! nothing, hex text about 2:1, so inflating is real work), from the raw image (mmap)
//! and from `ewfacquire`'s output of it, zlib-compressed in 1 MiB segments and
//! uncompressed in 64 MiB segments. Issue #17's target: at most 2x the raw read
//! (each chunk inflated once, into a bounded cache).
//!
//! Needs `zstd` and `ewfacquire` (ewf-tools); the images are made in a
//! temporary directory before anything is timed.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocfs2_format::fs::{self, FileReader};
use ocfs2_format::layout::dinode::mode;
use ocfs2_format::Volume;

/// Reads every regular file to its end; returns the bytes read.
fn read_all(vol: &Volume, buf: &mut [u8]) -> u64 {
    let mut total = 0;
    let mut dirs = vec![vol.root_blkno()];
    while let Some(blkno) = dirs.pop() {
        let dir = vol.inode(blkno).expect("directory inode");
        for e in fs::read_dir(vol, &dir).expect("read_dir") {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let inode = vol.inode(e.inode).expect("inode");
            let h = *inode.header();
            if h.is_dir() {
                dirs.push(e.inode);
            } else if h.file_type() == mode::S_IFREG {
                let r = FileReader::new(vol, &inode).expect("open file");
                let mut off = 0;
                loop {
                    let n = r.read_full_at(off, buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    off += n as u64;
                }
                total += off;
            }
        }
    }
    total
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn ewfacquire(raw: &Path, target: &Path, compression: &str, segment: &str) {
    run(Command::new("ewfacquire").args(["-u", "-q", "-c", compression, "-S", segment, "-t"]).arg(target).arg(raw));
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("A-default.img");
    run(Command::new("zstd").args(["-q", "-d", "-f"]).arg(common::fixture_path("A-default")).arg("-o").arg(&raw));
    let filled = ocfs2_benches::fill_file_data(&raw).expect("hex text into the file data");
    assert!(filled > 20 << 20, "{filled} bytes of file data");
    ewfacquire(&raw, &dir.path().join("zlib"), "deflate:fast", "1MiB");
    ewfacquire(&raw, &dir.path().join("plain"), "none", "64MiB");

    let mut buf = vec![0u8; fs::MAX_READ];
    let vols: Vec<(&str, Volume)> =
        [("raw", raw.clone()), ("e01_zlib", dir.path().join("zlib.E01")), ("e01_none", dir.path().join("plain.E01"))]
            .into_iter()
            .map(|(name, p)| (name, Volume::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))))
            .collect();
    let size = read_all(&vols[0].1, &mut buf);
    for (name, v) in &vols {
        assert_eq!(read_all(v, &mut buf), size, "{name}: the same bytes");
    }

    let mut g = c.benchmark_group("ewf_read");
    g.throughput(Throughput::Bytes(size));
    g.sample_size(10);
    for (name, vol) in &vols {
        g.bench_function(*name, |b| b.iter(|| read_all(black_box(vol), &mut buf)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
