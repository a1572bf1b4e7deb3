//! A real kernel-written volume (fixture C1) with arbitrary patches applied, then
//! every read the inspector does: superblock, directories from the root and the
//! system directory, every file's contents, every journal, the heartbeat region
//! and the allocators' chains. Nothing may panic, hang or allocate without bound.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ocfs2_format::io::{decompress_zst, BlockSource, MemSource};
use ocfs2_format::{alloc, fs, heartbeat, journal, layout::dinode::Id2, OpenOptions, Volume};

static BASE: OnceLock<MemSource> = OnceLock::new();

/// Upper bounds on the walk, so one input stays fast.
const MAX_INODES: usize = 2000;
const MAX_FILE_BYTES: u64 = 1 << 20;

fn base() -> &'static MemSource {
    BASE.get_or_init(|| {
        let zst: &[u8] = include_bytes!("../../fixtures/C1.img.zst");
        decompress_zst(zst).expect("fixture C1")
    })
}

/// Input: repeated (block u16 LE, offset u16 LE, len u8, bytes). Blocks are taken
/// modulo the first 2048 blocks, where C1 keeps its metadata.
fn patched(data: &[u8]) -> MemSource {
    let mut src = base().clone();
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

fn walk(vol: &Volume) {
    let mut stack = vec![vol.root_blkno(), vol.system_dir_blkno()];
    let mut seen = std::collections::HashSet::new();
    while let Some(ino) = stack.pop() {
        if seen.len() >= MAX_INODES || !seen.insert(ino) {
            continue;
        }
        let Ok(inode) = vol.inode(ino) else { continue };
        let h = *inode.header();
        if h.is_dir() {
            if let Ok(entries) = fs::read_dir(vol, &inode) {
                stack.extend(entries.iter().map(|e| e.inode));
            }
            continue;
        }
        if let Ok(Id2::Chain(cl)) = inode.dinode().id2() {
            for i in 0..cl.recs.len() {
                let _ = alloc::chain_groups(vol, &inode, i);
            }
            continue;
        }
        if h.is_symlink() {
            let _ = fs::read_symlink(vol, &inode);
            continue;
        }
        if let Ok(r) = fs::FileReader::new(vol, &inode) {
            let mut buf = vec![0u8; 64 << 10];
            let mut off = 0;
            while off < r.size().min(MAX_FILE_BYTES) {
                match r.read_at(off, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => off += n as u64,
                }
            }
        }
    }
    for slot in 0..vol.superblock().s_max_slots.get() {
        if let Ok(j) = journal::Journal::open(vol, slot) {
            let _ = j.replay();
            let _ = j.scan();
        }
    }
    if let Ok(region) = heartbeat::Region::locate(vol, 512) {
        let _ = region.read_volume(vol);
    }
    let _ = fs::find_paths(vol, 17);
}

fuzz_target!(|data: &[u8]| {
    let src = patched(data);
    debug_assert!(src.size() > 0);
    if let Ok(vol) = Volume::from_source(Box::new(src), OpenOptions::default()) {
        walk(&vol);
    }
});
