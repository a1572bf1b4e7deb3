//! Each pass of the checker finds its damage: a small volume made in memory by
//! the library's own mkfs, one field damaged, and the finding named at its
//! block and field. The problem codes are fsck.ocfs2 -fn's on the same image
//! written to a file, checked here whenever ocfs2-tools are installed. (The
//! refcount pass needs a refcount tree, which mkfs does not make: it damages
//! the kernel-written A-default in memory instead.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::mem::{offset_of, size_of};

use common::damaged::{a_default, to_file};
use common::fsck;
use ocfs2_format::check::{self, Finding, Outcome, Severity};
use ocfs2_format::io::MemSource;
use ocfs2_format::layout::dinode::{Bitmap1, DinodeHeader, Id2};
use ocfs2_format::layout::extent::{ExtentList, ExtentRec};
use ocfs2_format::layout::group::{GroupDesc, DISCONTIG_LIST_OFFSET, DISCONTIG_MAX_BITMAP};
use ocfs2_format::layout::quota::{GlobalDiskDqBlk, QtDiskDqdbHeader, QuotaType};
use ocfs2_format::layout::refcount::{RefcountList, RefcountRec, REFCOUNT_UNION_OFFSET};
use ocfs2_format::mkfs::{self, FeatureRequest, MkfsOptions, Randomness, Target};
use ocfs2_format::{fs, OpenOptions, SystemFile, Volume};

const MIB: u64 = 1 << 20;
const BS: u64 = 4096;

/// A fresh volume of `size` bytes from the library's mkfs, in memory: 4K blocks
/// and clusters, two slots, 4 MiB journals, plus `features` (`--fs-features`).
fn made(size: u64, features: &str) -> MemSource {
    let opts = MkfsOptions {
        block_size: Some(BS as u32),
        cluster_size: Some(BS as u32),
        slots: Some(2),
        journal_size: Some(4 * MIB),
        features: FeatureRequest::parse(features).unwrap(),
        ..Default::default()
    };
    let plan = mkfs::plan(&opts, &Target { size, sector_size: 512 }).unwrap();
    let mut img = MemSource::new(size);
    let rnd = Randomness::from_seed(1, [7; 16], 1_700_000_000);
    mkfs::write(&mkfs::place(&plan).unwrap(), &rnd, &mut img, &mut |_, _| {}).unwrap();
    img
}

fn open(src: &MemSource) -> Volume {
    Volume::from_source(Box::new(src.clone()), OpenOptions::default()).unwrap()
}

fn check(src: &MemSource) -> Outcome {
    check::check(&open(src), &mut |_| {}).unwrap()
}

fn put(src: &mut MemSource, off: u64, bytes: &[u8]) {
    src.write_at(off, bytes).unwrap();
}

fn get<const N: usize>(src: &MemSource, off: u64) -> [u8; N] {
    let mut b = [0u8; N];
    ocfs2_format::io::BlockSource::read_at(src, off, &mut b).unwrap();
    b
}

/// The findings of `code` at `blkno`'s `field`.
fn at<'r>(r: &'r Outcome, code: Option<&str>, blkno: u64, field: &str) -> Vec<&'r Finding> {
    r.findings.iter().filter(|f| f.code == code && f.at.blkno == blkno && f.at.field == field).collect()
}

/// Asserts the damaged `src` gives the error `code` at `blkno`'s `field`, and
/// that fsck.ocfs2 -fn names the same code.
fn expect_error(src: &MemSource, code: &str, blkno: u64, field: &str) {
    let r = check(src);
    let hits = at(&r, Some(code), blkno, field);
    assert!(hits.iter().any(|f| f.severity == Severity::Error), "no {code} at {blkno}.{field}: {:#?}", r.findings);
    let tmp = tempfile::tempdir().unwrap();
    let (_, text) = fsck(&to_file(src, tmp.path()));
    assert!(text.contains(&format!("[{code}]")), "fsck.ocfs2 -fn does not name {code}:\n{text}");
}

/// The first group of the global bitmap's first chain.
fn first_global_group(vol: &Volume) -> u64 {
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
    let Id2::Chain(cl) = gb.dinode().id2().unwrap() else { panic!("global_bitmap is a chain allocator") };
    cl.recs[0].c_blkno.get()
}

/// The undamaged volumes are clean: no finding but, with quotas, the note that
/// mkfs.ocfs2 leaves lost+found uncharged.
#[test]
fn made_volumes_are_clean() {
    for (size, features) in [(256 * MIB, ""), (256 * MIB, "usrquota"), (1100 * MIB, "")] {
        let r = check(&made(size, features));
        let quota_notes = r.findings.iter().filter(|f| f.severity == Severity::Info && f.at.field == "dqb_curinodes");
        assert_eq!(quota_notes.count(), usize::from(features == "usrquota"), "{features:?}: {:#?}", r.findings);
        let others = r.findings.iter().filter(|f| f.at.field != "dqb_curinodes").count();
        assert!(r.is_clean() && others == 0, "{size} {features:?}: {:#?}", r.findings);
    }
}

/// superblock: a backup superblock (the first, at 1 GiB) that lost its
/// signature. fsck.ocfs2 -fn does not read the backups (it offers
/// RECOVER_BACKUP_SUPERBLOCK only when told to use one, with -r): it passes
/// this image.
#[test]
fn superblock_pass_finds_a_missing_backup() {
    let mut src = made(1100 * MIB, "");
    let backup = (1 << 30) / BS;
    assert_eq!(&get::<8>(&src, backup * BS), b"OCFSV2\0\0", "a backup superblock at 1 GiB");
    put(&mut src, backup * BS, b"OCFSV3\0\0");
    let r = check(&src);
    let hits = at(&r, Some("RECOVER_BACKUP_SUPERBLOCK"), backup, "signature");
    assert!(hits.iter().any(|f| f.severity == Severity::Error), "{:#?}", r.findings);
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = fsck(&to_file(&src, tmp.path()));
    assert!(code == Some(0) && !text.contains('['), "fsck.ocfs2 -fn now reads the backups:\n{text}");
}

/// slots: an unused local-alloc window that claims used bits.
#[test]
fn slots_pass_finds_used_bits_in_an_empty_local_alloc() {
    let mut src = made(256 * MIB, "");
    let la = open(&src).system_file(SystemFile::local_alloc(0)).unwrap();
    let off = la * BS + (offset_of!(DinodeHeader, id1) + offset_of!(Bitmap1, i_used)) as u64;
    put(&mut src, off, &5u32.to_le_bytes());
    expect_error(&src, "LALLOC_NZ_USED", la, "i_used");
}

/// chains: the global bitmap claiming more clusters than its chains hold.
#[test]
fn chains_pass_finds_clusters_past_the_chains() {
    let mut src = made(256 * MIB, "");
    let vol = open(&src);
    let (gb, clusters) = (vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap(), vol.geometry().clusters);
    drop(vol);
    put(&mut src, gb * BS + offset_of!(DinodeHeader, i_clusters) as u64, &(clusters + 10).to_le_bytes());
    expect_error(&src, "CHAIN_I_CLUSTERS", gb, "i_clusters");
}

/// chains: a superblock counting fewer clusters than the global bitmap (a
/// resize stopped half way; fswreck's SUPERBLOCK_CLUSTERS_LACK).
#[test]
fn chains_pass_finds_a_superblock_short_of_the_bitmap() {
    let mut src = made(256 * MIB, "");
    let vol = open(&src);
    let (gb, clusters) = (vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap(), vol.geometry().clusters);
    drop(vol);
    put(&mut src, 2 * BS + offset_of!(DinodeHeader, i_clusters) as u64, &(clusters - 1000).to_le_bytes());
    expect_error(&src, "SUPERBLOCK_CLUSTERS", gb, "i_clusters");
}

/// inodes: without sparse allocation, a directory size past its blocks.
/// chains: a suballocator group made discontiguous (its bitmap cut to 256
/// bytes, one extent record for its own clusters: fsck.ocfs2 -fn finds it clean), then its list's depth damaged
/// (fswreck's DISCONTIG_BG_DEPTH). Where its clusters lie is unknown, but its
/// bits still count toward the allocator's clusters, as fsck sums them: the
/// allocator's i_clusters and i_size agree with its chains.
#[test]
fn chains_pass_counts_a_group_whose_extent_list_is_damaged() {
    let mut src = made(256 * MIB, "discontig-bg");
    let vol = open(&src);
    let alloc = vol.system_file(SystemFile::GLOBAL_INODE_ALLOC).unwrap();
    let ino = vol.inode(alloc).unwrap();
    let Id2::Chain(cl) = ino.dinode().id2().unwrap() else { panic!("global_inode_alloc is a chain allocator") };
    let group = cl.recs[0].c_blkno.get();
    drop(ino);
    let g = group * BS;
    let bits = u16::from_le_bytes(get(&src, g + offset_of!(GroupDesc, bg_bits) as u64));
    // Its bitmap cut to what leaves room for the list, as the kernel makes a
    // discontiguous group's.
    assert!(usize::from(bits) <= DISCONTIG_MAX_BITMAP * 8, "{bits} bits");
    put(&mut src, g + offset_of!(GroupDesc, bg_size) as u64, &(DISCONTIG_MAX_BITMAP as u16).to_le_bytes());
    let list = g + DISCONTIG_LIST_OFFSET as u64;
    let count = ((BS as usize - DISCONTIG_LIST_OFFSET - size_of::<ExtentList>()) / size_of::<ExtentRec>()) as u16;
    put(&mut src, list + offset_of!(ExtentList, l_count) as u64, &count.to_le_bytes());
    put(&mut src, list + offset_of!(ExtentList, l_next_free_rec) as u64, &1u16.to_le_bytes());
    let rec = list + size_of::<ExtentList>() as u64;
    let clusters = u64::from(bits).div_ceil(vol.geometry().blocks_per_cluster()) as u16;
    put(&mut src, rec + offset_of!(ExtentRec, e_leaf_clusters) as u64, &clusters.to_le_bytes());
    put(&mut src, rec + offset_of!(ExtentRec, e_blkno) as u64, &group.to_le_bytes());
    drop(vol);
    let r = check(&src);
    assert!(r.is_clean(), "{:#?}", r.findings);
    let tmp = tempfile::tempdir().unwrap();
    assert!(!fsck(&to_file(&src, tmp.path())).1.contains('['), "fsck.ocfs2 -fn finds the discontiguous group clean");
    put(&mut src, list + offset_of!(ExtentList, l_tree_depth) as u64, &1u16.to_le_bytes());
    expect_error(&src, "DISCONTIG_BG_DEPTH", group, "l_tree_depth");
    let r = check(&src);
    let counts: Vec<_> = r.findings.iter().filter(|f| f.at.blkno == alloc).collect();
    assert!(counts.is_empty(), "{counts:#?}");
}

#[test]
fn inodes_pass_finds_a_size_past_the_blocks() {
    let mut src = made(256 * MIB, "nosparse,nounwritten,noinline-data");
    let root = open(&src).root_blkno();
    put(&mut src, root * BS + offset_of!(DinodeHeader, i_size) as u64, &8192u64.to_le_bytes());
    expect_error(&src, "INODE_SIZE", root, "i_size");
}

/// refcount: a record counting three users of an extent two files share.
#[test]
fn refcount_pass_finds_a_wrong_count() {
    let mut src = a_default();
    let vol = open(&src);
    let ino = vol.inode(fs::lookup(&vol, "/data/pat1m").unwrap()).unwrap();
    let tree = fs::refcount_tree_of(&vol, &ino).unwrap().expect("pat1m shares its extents");
    let cluster = vol.geometry().block_to_cluster(fs::ExtentMap::load(&vol, &ino).unwrap().extents()[0].blkno);
    let (block, i) = tree
        .blocks
        .iter()
        .find_map(|b| b.recs.iter().position(|r| r.r_cpos.get() == cluster).map(|i| (b.blkno, i)))
        .expect("a record for pat1m's first cluster");
    drop(ino);
    drop(vol);
    let rec = REFCOUNT_UNION_OFFSET + size_of::<RefcountList>() + i * size_of::<RefcountRec>();
    let off = block * BS + (rec + offset_of!(RefcountRec, r_refcount)) as u64;
    assert_eq!(u32::from_le_bytes(get(&src, off)), 2, "pat1m and its clone");
    put(&mut src, off, &3u32.to_le_bytes());
    expect_error(&src, "REFCOUNT_COUNT_INVALID", block, "r_refcount");
}

/// clusters: a cluster marked in use in the global bitmap that nothing owns.
#[test]
fn clusters_pass_finds_an_unowned_bit() {
    let mut src = made(256 * MIB, "");
    let group = first_global_group(&open(&src));
    let bits = u64::from(u16::from_le_bytes(get(&src, group * BS + offset_of!(GroupDesc, bg_bits) as u64)));
    // The group's last clusters are free on a fresh volume: mark the last one used.
    let byte = group * BS + size_of::<GroupDesc>() as u64 + (bits - 1) / 8;
    assert_eq!(get::<1>(&src, byte), [0]);
    put(&mut src, byte, &[1 << ((bits - 1) % 8)]);
    expect_error(&src, "CLUSTER_ALLOC_BIT", group, "bitmap");
}

/// dirs: lost+found's link count one too high.
#[test]
fn dirs_pass_finds_a_wrong_link_count() {
    let mut src = made(256 * MIB, "");
    let lf = fs::lookup(&open(&src), "/lost+found").unwrap();
    let off = lf * BS + offset_of!(DinodeHeader, i_links_count) as u64;
    assert_eq!(u16::from_le_bytes(get(&src, off)), 2);
    put(&mut src, off, &3u16.to_le_bytes());
    expect_error(&src, "INODE_COUNT", lf, "i_links_count");
}

/// quota: id 0's recorded space above what its inodes hold. A note: fsck.ocfs2
/// rebuilds usage without a word (it exits 0 on this image).
#[test]
fn quota_pass_notes_usage_that_differs_from_the_inodes() {
    let mut src = made(256 * MIB, "usrquota");
    let vol = open(&src);
    let global = ocfs2_format::quota::read_global_quota(&vol, QuotaType::User).unwrap();
    let d = *global.get(0).expect("id 0 has an entry");
    let map = fs::ExtentMap::load(&vol, &vol.inode(global.inode).unwrap()).unwrap();
    let fs::Mapping::Block { blkno, .. } = map.map(&vol, u64::from(d.block)) else { panic!("id 0's block is a hole") };
    drop(vol);
    let entry = size_of::<QtDiskDqdbHeader>() + d.index * size_of::<GlobalDiskDqBlk>();
    let off = blkno * BS + (entry + offset_of!(GlobalDiskDqBlk, dqb_curspace)) as u64;
    put(&mut src, off, &(d.space() + BS).to_le_bytes());
    let r = check(&src);
    assert!(r.is_clean(), "{:#?}", r.findings);
    let notes = at(&r, None, global.inode, "dqb_curspace");
    assert_eq!(notes.len(), 1, "{:#?}", r.findings);
    assert_eq!(notes[0].severity, Severity::Info);
    assert!(notes[0].at.actual.to_string().starts_with(&format!("{} bytes", d.space() + BS)), "{}", notes[0]);
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = fsck(&to_file(&src, tmp.path()));
    assert_eq!(code, Some(0), "fsck.ocfs2 -fn:\n{text}");
}
