//! The linear journal scan (`logdump --raw`) on a journal stored in several
//! extents: every log block must be classified from its own bytes, also right
//! after an extent boundary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use ocfs2_format::fs::{ExtentMap, Mapping};
use ocfs2_format::io::MemSource;
use ocfs2_format::journal::{BlockKind, Journal};
use ocfs2_format::layout::jbd2::{block_type, MAGIC};
use ocfs2_format::mkfs::{self, MkfsOptions, Randomness, Target};
use ocfs2_format::{OpenOptions, Volume};

#[test]
fn scan_reads_every_extent_of_a_multi_extent_journal() {
    // A 256 MiB journal on a 1 GiB volume does not fit one bitmap group: mkfs
    // (ours, as mkfs.ocfs2) spreads it over several extents.
    let size = 1u64 << 30;
    let opts = MkfsOptions { slots: Some(1), journal_size: Some(256 << 20), ..Default::default() };
    let plan = mkfs::plan(&opts, &Target { size, sector_size: 512 }).unwrap();
    let lay = mkfs::place(&plan).unwrap();
    let mut src = MemSource::new(size);
    mkfs::write(&lay, &Randomness::from_seed(1, [7; 16], 1_700_000_000), &mut src, &mut |_, _| {}).unwrap();

    // Where each log block lives, and a commit block numbered after it there.
    let vol = Volume::from_source(Box::new(src.clone()), OpenOptions::default()).unwrap();
    let j = Journal::open(&vol, 0).unwrap();
    let inode = vol.inode(j.inode()).unwrap();
    let map = ExtentMap::load(&vol, &inode).unwrap();
    assert!(map.extents().len() > 1, "the journal fits one extent: the test shows nothing");
    let (first, blocks) = (j.superblock().s_first.get(), j.superblock().s_maxlen.get());
    for n in first..blocks {
        let Mapping::Block { blkno, .. } = map.map(&vol, u64::from(n)) else { panic!("log block {n} is a hole") };
        let mut block = [0u8; 12];
        block[..4].copy_from_slice(&MAGIC.to_be_bytes());
        block[4..8].copy_from_slice(&block_type::COMMIT.to_be_bytes());
        block[8..12].copy_from_slice(&n.to_be_bytes());
        src.write_at(vol.geometry().block_offset(blkno), &block).unwrap();
    }

    let vol = Volume::from_source(Box::new(src), OpenOptions::default()).unwrap();
    let scan = Journal::open(&vol, 0).unwrap().scan().unwrap();
    let commits: Vec<(u32, u32)> = scan
        .iter()
        .filter_map(|e| match e.kind {
            BlockKind::Commit { sequence, .. } => Some((e.first, sequence)),
            _ => None,
        })
        .collect();
    assert_eq!(commits.len() as u32, blocks - first);
    for (block, sequence) in commits {
        assert_eq!(block, sequence, "log block {block} classified from another block's bytes");
    }
}
