//! `bodyfile` against `ls -l` over the same tree: the kernel-written populated
//! fixture `A-default` (5,032 names, the 5,000-entry indexed `bigdir` among
//! them), in memory.
//!
//! - `ls_l_walk`: what `ls -l` on every directory costs: `fs::read_dir`, the
//!   inodes hinted, each entry's inode read, subdirectories entered.
//! - `bodyfile`: `files::walk_tree` (the facade's `Volume::walk`) with deleted names (each directory's slack
//!   scanned again for old entries, the inode allocators scanned for deleted
//!   inodes) and every entry's body line formatted (symlink targets read).
//! - `bodyfile_live_only`: the same without the deleted names and inodes, to
//!   show what recovering them costs.
//!
//! The target: `bodyfile` at most 1.5 times `ls_l_walk`.

mod common;

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ocfs2_format::{files, fs, Volume};

/// Every name under the root with its inode read, as `ls -l` of each directory.
fn ls_l_walk(vol: &Volume) -> usize {
    let mut stack = vec![vol.root_blkno()];
    let mut seen = HashSet::from([vol.root_blkno()]);
    let mut names = 0;
    while let Some(dir) = stack.pop() {
        let inode = vol.inode(dir).expect("directory inode");
        let entries = fs::read_dir(vol, &inode).expect("read_dir");
        fs::prefetch_entry_inodes(vol, &entries);
        for e in entries {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let i = vol.inode(e.inode).expect("entry inode");
            names += 1;
            if i.header().is_dir() && seen.insert(e.inode) {
                stack.push(e.inode);
            }
        }
    }
    names
}

fn bodyfile(vol: &Volume, deleted: bool, out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut lines = 0;
    files::walk_tree(vol, b"/", deleted, |e| -> ocfs2_format::Result<()> {
        e.body_line(vol, None, b"/", out);
        out.push(b'\n');
        lines += 1;
        Ok(())
    })
    .expect("walk_tree");
    lines
}

fn bench(c: &mut Criterion) {
    let vol = common::fixture("A-default");
    let mut out = Vec::with_capacity(1 << 20);
    // Untimed: both walks see the same live tree; the body adds the deleted ones.
    let names = ls_l_walk(&vol);
    let lines = bodyfile(&vol, true, &mut out);
    assert!(names > 5000, "{names} names");
    assert_eq!(lines, names + String::from_utf8_lossy(&out).matches(" (deleted)").count());

    let mut g = c.benchmark_group("bodyfile/A-default");
    g.bench_function("ls_l_walk", |b| b.iter(|| black_box(ls_l_walk(&vol))));
    g.bench_function("bodyfile", |b| b.iter(|| black_box(bodyfile(&vol, true, &mut out))));
    g.bench_function("bodyfile_live_only", |b| b.iter(|| black_box(bodyfile(&vol, false, &mut out))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
