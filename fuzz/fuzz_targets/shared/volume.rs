//! The body of the `volume` fuzz target, shared with the test that replays
//! `fuzz/regressions/volume/` (ocfs2-format/tests/fuzz_regressions.rs).

use ocfs2_format::io::{BlockSource, MemSource};
use ocfs2_format::layout::{dinode::Id2, quota::QuotaType};
use ocfs2_format::{alloc, check, cluster, fs, journal, OpenOptions, Volume};

/// Upper bounds on one walk, so one input stays fast.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Inodes visited.
    pub inodes: usize,
    /// Bytes read of each file.
    pub file_bytes: u64,
}

/// The fuzzer's bounds: many inputs a second matter more than reading far.
pub const FUZZ_LIMITS: Limits = Limits { inodes: 2000, file_bytes: 1 << 20 };

/// Input: repeated (block u16 LE, offset u16 LE, len u8, bytes). Blocks are taken
/// modulo the first 2048 blocks, where C1 keeps its metadata.
fn patched(base: &MemSource, data: &[u8]) -> MemSource {
    let mut src = base.clone();
    let mut d = data;
    while d.len() >= 5 {
        let blk = u64::from(u16::from_le_bytes([d[0], d[1]])) % 2048;
        let off = u64::from(u16::from_le_bytes([d[2], d[3]])) % 4096;
        let len = usize::from(d[4]).min(d.len() - 5);
        let _ = src.write_at(blk * 4096 + off, &d[5..5 + len]);
        d = &d[5 + len..];
    }
    src
}

/// What the inspector reads, through the library; every error is fine, a
/// panic or a hang is not. Also the body of the corruption sweep
/// (ocfs2-inspect/tests/sweep.rs), so both exercise the same calls.
pub fn walk(vol: &Volume, limits: Limits) {
    let mut stack = vec![vol.root_blkno(), vol.system_dir_blkno()];
    let mut seen = std::collections::HashSet::new();
    let mut buf = vec![0u8; 64 << 10];
    while let Some(ino) = stack.pop() {
        if seen.len() >= limits.inodes || !seen.insert(ino) {
            continue;
        }
        let Ok(inode) = vol.inode(ino) else { continue };
        let h = *inode.header();
        let _ = fs::read_xattrs(vol, &inode);
        let _ = fs::refcount_tree_of(vol, &inode);
        if h.is_dir() {
            if let Ok(entries) = fs::read_dir(vol, &inode) {
                stack.extend(entries.iter().map(|e| e.inode));
                for e in entries.iter().take(4) {
                    let _ = fs::dx_lookup(vol, &inode, &e.name);
                }
            }
            if let Ok(Some(root)) = fs::DxRoot::of_dir(vol, &inode) {
                let _ = fs::dx_entries(vol, &root);
                let _ = fs::dx_free_list(vol, &root);
            }
            let _ = fs::deleted_entries(vol, &inode);
            continue;
        }
        if let Ok(Id2::Chain(cl)) = inode.dinode().id2() {
            for i in 0..cl.recs.len() {
                let _ = alloc::chain_groups(vol, &inode, i);
            }
            let _ = alloc::allocator_groups(vol, &inode);
            continue;
        }
        if h.is_symlink() {
            let _ = fs::read_symlink(vol, &inode);
            continue;
        }
        if let Ok(r) = fs::FileReader::new(vol, &inode) {
            let mut off = 0;
            while off < r.size().min(limits.file_bytes) {
                match r.read_at(off, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => off += n as u64,
                }
            }
        }
    }
    let _ = alloc::allocators(vol);
    for slot in 0..vol.superblock().s_max_slots.get() {
        if let Ok(j) = journal::Journal::open(vol, slot) {
            let _ = j.replay();
            let _ = j.scan();
        }
    }
    if let Ok(region) = cluster::Region::locate(vol, 512) {
        let _ = region.read_volume(vol);
    }
    for q in [QuotaType::User, QuotaType::Group] {
        let _ = fs::read_quotas(vol, q);
    }
    let _ = fs::find_paths(vol, vol.root_blkno().wrapping_add(1));
    let _ = fs::lookup(vol, "/d1/d2/d3/deep.txt");
    let _ = fs::lookup(vol, "/bigdir/e04321");
    facade(vol, limits);
    let _ = check::check(vol, &mut |_| {});
}

/// The facade (`ocfs2_format::files`): a walk following symlinks, each entry's
/// metadata, runs and seek points, xattrs in Linux form, path resolution with
/// `..` and symlinks, and the deleted-inode handles.
fn facade(vol: &Volume, limits: Limits) {
    for entry in vol.walk("/").follow_links(true).into_iter().take(limits.inodes) {
        let Ok(entry) = entry else { continue };
        let _ = entry.metadata();
        let _ = vol.xattrs_ino(entry.ino());
        if let Ok(f) = vol.open_file_ino(entry.ino()) {
            let _ = f.runs();
            let _ = (f.next_data(0), f.next_hole(0));
        }
        let path = entry.path().to_vec();
        let _ = vol.canonicalize(&path);
    }
    let _ = vol.canonicalize("/node0/sym/../node0/./hello.txt");
    let _ = vol.statfs();
    if let Ok(dead) = vol.deleted_inodes() {
        for d in dead.iter().take(16) {
            let _ = d.open().map(|f| f.runs());
        }
    }
}

/// Runs one input against `base` (the decompressed fixture C1).
pub fn run(base: &MemSource, data: &[u8]) {
    let src = patched(base, data);
    debug_assert!(src.size() > 0);
    if let Ok(vol) = Volume::from_source(Box::new(src), OpenOptions::default()) {
        walk(&vol, FUZZ_LIMITS);
    }
}
