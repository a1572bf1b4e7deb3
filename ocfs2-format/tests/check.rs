//! `check`: clean on an mkfs.ocfs2 matrix and on every kernel fixture; on copies
//! damaged one field at a time, both `check` and `fsck.ocfs2 -fn` report a
//! problem, and `check` names the block and the field. (What only the
//! inspector's `check` command adds, its exit codes, text and progress, is
//! tested in ocfs2-inspect/tests/check_cli.rs.)

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use common::{decompress_fixture, fixture, fsck, mkfs, require_tool};
use std::mem::{offset_of, size_of};

use ocfs2_format::check::Severity;
use ocfs2_format::layout::blockcheck;
use ocfs2_format::layout::chain::{ChainList, ChainRec};
use ocfs2_format::layout::dinode::{dyn_features, Bitmap1, DinodeHeader, Id2, ID2_OFFSET};
use ocfs2_format::layout::dir::{file_type, DirEntryHeader};
use ocfs2_format::layout::dx::{DxEntry, DxLeaf, DxRootBlock};
use ocfs2_format::layout::extent::{self, ExtentList, ExtentRec};
use ocfs2_format::layout::group::GroupDesc;
use ocfs2_format::layout::inline_data;
use ocfs2_format::layout::inline_data::InlineData;
use ocfs2_format::layout::local_alloc::LocalAlloc;
use ocfs2_format::layout::quota::{GlobalDiskDqBlk, QtDiskDqdbHeader, QuotaType};
use ocfs2_format::layout::refcount::{RefcountBlock, RefcountList, RefcountRec, REFCOUNT_UNION_OFFSET};
use ocfs2_format::layout::truncate_log::TruncateLog;
use ocfs2_format::layout::xattr::XattrBlock;
use ocfs2_format::quota::{Dquot, GlobalQuota};
use ocfs2_format::{fs, SystemFile, Volume};
use serde_json::{json, Value};

const MIB: u64 = 1 << 20;

/// Checks `image` with the library: (fsck.ocfs2's exit code, the report as
/// `ocfs2-inspect --json check` prints it), the shape these tests were first
/// written against. Exit code 0 is clean, 4 errors found.
fn check(image: &Path) -> (i32, Value) {
    let vol = Volume::open(image).unwrap_or_else(|e| panic!("open {}: {e}", image.display()));
    let r = ocfs2_format::check::check(&vol, &mut |_| {}).unwrap_or_else(|e| panic!("check {}: {e}", image.display()));
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "code": f.code, "also": f.also, "severity": f.severity.name(), "blkno": f.at.blkno, "structure": f.at.structure,
                "field": f.at.field, "expected": f.at.expected.to_string(), "found": f.at.actual.to_string(), "message": f.message,
            })
        })
        .collect();
    let by_code: Vec<Value> =
        r.by_code.iter().map(|b| json!({"code": b.code, "name": b.name, "count": b.count})).collect();
    let infos = r.findings.iter().filter(|f| f.severity == Severity::Info).count();
    let summary = json!({
        "clean": r.is_clean(), "errors": r.errors(), "infos": infos, "by_code": by_code, "inodes": r.counts.inodes,
    });
    (if r.is_clean() { 0 } else { 4 }, json!({"findings": findings, "summary": summary}))
}

fn errors(v: &Value) -> Vec<&Value> {
    v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").collect()
}

fn assert_clean(image: &Path, what: &str) {
    let (code, v) = check(image);
    assert_eq!(code, 0, "{what}: check found problems: {:#?}", errors(&v));
    assert_eq!(v["summary"]["clean"], true, "{what}");
    assert!(v["summary"]["inodes"].as_u64().unwrap() > 0, "{what}: no inode checked");
}

#[test]
fn kernel_fixtures_are_clean() {
    for name in ["A-default", "B", "C1", "X-max", "M-max-1k"] {
        assert_clean(&fixture(name), name);
    }
    // B has a dirty journal and an orphan: notes, not errors.
    let (_, v) = check(&fixture("B"));
    let notes: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "info").collect();
    // The orphan still holds its 64 KiB: 16 clusters (debugfs.ocfs2 stat <15804>).
    assert!(
        notes.iter().any(|f| f["code"] == "INODE_ORPHANED"
            && f["blkno"] == 15804
            && f["message"].as_str().unwrap().contains("still holding 16 clusters (65536 bytes)")),
        "{notes:#?}"
    );
    assert!(notes.iter().any(|f| f["field"] == "ij_flags"), "{notes:#?}");
    // Every allocated metadata block of the kernel's images is referenced.
    for name in ["A-default", "B", "C1", "X-max", "M-max-1k"] {
        let (_, v) = check(&fixture(name));
        let leaks: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["field"] == "bitmap").collect();
        assert!(leaks.is_empty(), "{name}: {leaks:#?}");
    }
}

/// Small images of varied geometry and features, as mkfs.ocfs2 makes them.
const MATRIX: &[(&str, u64, &[&str])] = &[
    (
        "b512_max_compat",
        64 * MIB,
        &["-b", "512", "-C", "4K", "-N", "4", "-J", "size=4M", "--fs-feature-level=max-compat"],
    ),
    ("b512_max_features", 64 * MIB, &["-b", "512", "-N", "2", "-J", "size=4M", "--fs-feature-level=max-features"]),
    ("b1k_c8k", 128 * MIB, &["-b", "1K", "-C", "8K", "-N", "2", "-J", "size=4M"]),
    ("b2k_c64k_n4", 256 * MIB, &["-b", "2K", "-C", "64K", "-N", "4", "-J", "size=4M"]),
    ("b4k_c1m", 256 * MIB, &["-b", "4K", "-C", "1M", "-N", "2", "-J", "size=9M"]),
    ("local", 64 * MIB, &["-M", "local"]),
    (
        "feature_mix",
        256 * MIB,
        &[
            "--fs-features=noinline-data,noxattr,noindexed-dirs,nodiscontig-bg,metaecc,usrquota",
            "-N",
            "4",
            "-J",
            "size=4M",
        ],
    ),
    (
        "b4k_n3_max_features_1100m",
        1100 * MIB,
        &["-b", "4K", "-C", "4K", "-N", "3", "-J", "size=4M", "--fs-feature-level=max-features"],
    ),
];

#[test]
fn mkfs_matrix_is_clean() {
    require_tool("mkfs.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    for (name, size, opts) in MATRIX {
        let path = tmp.path().join(format!("{name}.img"));
        mkfs(&path, *size, opts);
        assert_clean(&path, name);
        std::fs::remove_file(&path).unwrap();
    }
}

/// A private copy of a kernel fixture.
fn fixture_copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(format!("{name}.img"));
    decompress_fixture(name, &p);
    p
}

fn write_at(path: &Path, off: u64, bytes: &[u8]) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, off).unwrap();
}

fn read_at(path: &Path, off: u64, len: usize) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap();
    let mut b = vec![0u8; len];
    f.read_exact_at(&mut b, off).unwrap();
    b
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes(b[..2].try_into().unwrap())
}

/// Damages `image` with `damage`, then asserts both checkers see it and ours
/// names `(blkno, field)` with `code`.
fn expect_problem(image: &Path, blkno: u64, field: &str, code: &str) {
    let (ours, v) = check(image);
    assert_eq!(ours, 4, "check exit code: {v:#}");
    let errs = errors(&v);
    assert!(
        errs.iter().any(|f| f["blkno"] == blkno && f["field"] == field && f["code"] == code),
        "no {code} at block {blkno} field {field}: {errs:#?}"
    );
    let (theirs, text) = fsck(image);
    assert!(theirs != Some(0) || text.contains('['), "fsck.ocfs2 -fn saw nothing (exit {theirs:?}):\n{text}");
}

/// A mkfs image with 4K blocks and clusters (no metaecc unless asked).
fn mkfs_image(dir: &Path, ecc: bool) -> (PathBuf, Volume) {
    let path = dir.join(if ecc { "ecc.img" } else { "plain.img" });
    let level = if ecc { "--fs-feature-level=max-features" } else { "--fs-feature-level=default" };
    mkfs(&path, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", level]);
    let vol = Volume::open(&path).unwrap();
    (path, vol)
}

/// The global bitmap's inode and its first group.
fn global_bitmap(vol: &Volume) -> (u64, u64) {
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
    let Id2::Chain(cl) = gb.dinode().id2().unwrap() else { panic!("not a chain allocator") };
    (gb.blkno(), cl.recs[0].c_blkno.get())
}

/// A group's free count against its bitmap, as fsck.ocfs2 1.8.7 names it: more
/// free bits than the bitmap has is GROUP_FREE_BITS; fewer is found only as the
/// chain's and the inode's totals, which both checkers sum from the groups'
/// counts (CHAIN_BITS, CHAIN_GROUP_BITS), and we add an uncoded note at the group.
#[test]
fn group_free_count() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let clean = fixture_copy(tmp.path(), "A-default");
    let (gb, group) = global_bitmap(&Volume::open(&clean).unwrap());
    let off = group * 4096 + offset_of!(GroupDesc, bg_free_bits_count) as u64;
    let free = le16(&read_at(&clean, off, 2));
    let bits = le16(&read_at(&clean, group * 4096 + offset_of!(GroupDesc, bg_bits) as u64, 2));
    let path = tmp.path().join("damaged.img");
    for (count, codes) in [
        (free + 1, &["GROUP_FREE_BITS", "CHAIN_BITS", "CHAIN_GROUP_BITS"][..]),
        // Past the group's bits (fswreck's GROUP_FREE_BITS): the group still
        // reads, to both.
        (bits + 10, &["GROUP_FREE_BITS", "CHAIN_BITS", "CHAIN_GROUP_BITS"][..]),
        (free - 1, &["CHAIN_BITS", "CHAIN_GROUP_BITS"][..]),
    ] {
        std::fs::copy(&clean, &path).unwrap();
        write_at(&path, off, &count.to_le_bytes());
        let (ours, v) = check(&path);
        assert_eq!(ours, 4, "{v:#}");
        let found: Vec<_> = errors(&v).iter().map(|f| (f["code"].clone(), f["blkno"].clone())).collect();
        let blknos = codes.iter().map(|&c| if c == "GROUP_FREE_BITS" { group } else { gb });
        let want: Vec<_> = codes.iter().zip(blknos).map(|(c, b)| (json!(c), json!(b))).collect();
        assert_eq!(found, want, "free count {count} (bitmap {free}): {v:#}");
        let (_, text) = fsck(&path);
        let tags: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix('[')?.split(']').next()).collect();
        assert_eq!(tags, codes, "fsck.ocfs2 -fn:\n{text}");
    }
    let notes: Vec<_> = check(&path).1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "info" && f["blkno"] == group)
        .cloned()
        .collect();
    assert_eq!(notes.len(), 1, "the low count is noted at the group: {notes:#?}");
    assert_eq!(notes[0]["field"], "bg_free_bits_count");
}

/// A global-bitmap group copied off its fixed place and chained from there is
/// GROUP_UNEXPECTED_DESC; the place it left, on no chain now, GROUP_EXPECTED_DESC.
/// Both fsck.ocfs2 -fn tags, and nothing else from either checker.
#[test]
fn misplaced_global_bitmap_group() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let (gb, _) = global_bitmap(&vol);
    let gb_inode = vol.inode(gb).unwrap();
    let Id2::Chain(cl) = gb_inode.dinode().id2().unwrap() else { panic!("not a chain allocator") };
    // A-default's third group, alone on chain 2 (debugfs.ocfs2 -R "stat //global_bitmap").
    let (chain, expected) = (2usize, cl.recs[2].c_blkno.get());
    assert_eq!(expected, vol.geometry().cluster_to_block(2 * 32256));
    let moved = expected + 88; // a free block of that group, not a multiple of cl_cpg
    let mut desc = read_at(&path, expected * 4096, 4096);
    desc[offset_of!(GroupDesc, bg_blkno)..][..8].copy_from_slice(&moved.to_le_bytes());
    write_at(&path, moved * 4096, &desc);
    let rec = ID2_OFFSET + size_of::<ChainList>() + chain * size_of::<ChainRec>() + offset_of!(ChainRec, c_blkno);
    write_at(&path, gb * 4096 + rec as u64, &moved.to_le_bytes());
    drop(vol);
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let found: Vec<_> = errors(&v).iter().map(|f| (f["code"].clone(), f["blkno"].clone())).collect();
    assert_eq!(
        found,
        vec![(json!("GROUP_UNEXPECTED_DESC"), json!(moved)), (json!("GROUP_EXPECTED_DESC"), json!(expected))],
        "{v:#}"
    );
    let (_, text) = fsck(&path);
    let tags: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix('[')?.split(']').next()).collect();
    assert_eq!(tags, ["GROUP_UNEXPECTED_DESC", "GROUP_EXPECTED_DESC"], "fsck.ocfs2 -fn:\n{text}");
}

/// fswreck's GROUP_UNEXPECTED_DESC on a volume with metaecc: a copy of a
/// chain's head group, its checksum not updated, linked after the head. Both
/// checkers stop the chain there; libocfs2's walk of the global bitmap, which
/// fsck.ocfs2 compares the clusters in use with, stops there for good, so fsck
/// names the descriptors of the later chains' groups as clear although their
/// bits are set. Our one finding, the checksum, carries fsck's code for that;
/// linked after the last chain's head, the walk misses no group, fsck names
/// nothing and the finding carries no other code.
#[test]
fn unreadable_group_ends_fscks_bitmap() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (clean, vol) = mkfs_image(tmp.path(), true);
    let (gb, _) = global_bitmap(&vol);
    let gb_inode = vol.inode(gb).unwrap();
    let Id2::Chain(cl) = gb_inode.dinode().id2().unwrap() else { panic!("not a chain allocator") };
    let heads: Vec<u64> = cl.recs.iter().map(|r| r.c_blkno.get()).collect();
    assert_eq!(heads.len(), 3, "256 MiB of 4K clusters: three groups, one per chain");
    let geo = *vol.geometry();
    drop(vol);
    let path = tmp.path().join("damaged.img");
    // The chain, a free cluster of its head's group (by its bit) for the copy,
    // and the code our finding adds.
    for (chain, bit, also) in [(0usize, 30_000, &["CLUSTER_ALLOC_BIT"][..]), (2, 1000, &[][..])] {
        std::fs::copy(&clean, &path).unwrap();
        let head = heads[chain];
        let group_first = if chain == 0 { 0 } else { geo.block_to_cluster(head) };
        let fake = geo.cluster_to_block(group_first + bit);
        assert_eq!(read_at(&path, head * 4096 + 64 + bit / 8, 1)[0] & (1 << (bit % 8)), 0, "block {fake} is free");
        let mut desc = read_at(&path, head * 4096, 4096);
        desc[offset_of!(GroupDesc, bg_blkno)..][..8].copy_from_slice(&fake.to_le_bytes());
        write_at(&path, fake * 4096, &desc);
        let mut desc = read_at(&path, head * 4096, 4096);
        desc[offset_of!(GroupDesc, bg_next_group)..][..8].copy_from_slice(&fake.to_le_bytes());
        blockcheck::compute(&mut desc, offset_of!(GroupDesc, bg_check)).unwrap();
        write_at(&path, head * 4096, &desc);
        let (ours, v) = check(&path);
        assert_eq!(ours, 4, "{v:#}");
        let found: Vec<_> =
            errors(&v).iter().map(|f| (f["code"].clone(), f["blkno"].clone(), f["also"].clone())).collect();
        assert_eq!(found, [(json!("BAD_CRC32"), json!(fake), json!(also))], "chain {chain}: {v:#}");
        let (_, text) = fsck(&path);
        let named: Vec<u64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("[CLUSTER_ALLOC_BIT] Cluster ")?.split(' ').next()?.parse().ok())
            .collect();
        let tags = text.lines().filter(|l| l.starts_with('[')).count();
        assert_eq!(tags, named.len(), "chain {chain}: only CLUSTER_ALLOC_BIT:\n{text}");
        let later: Vec<u64> = heads[chain + 1..].iter().map(|&h| geo.block_to_cluster(h)).collect();
        assert_eq!(named, later, "chain {chain}: the later groups' descriptors:\n{text}");
        for h in &heads[chain + 1..] {
            assert_eq!(read_at(&path, h * 4096 + 64, 1)[0] & 1, 1, "group {h} marks its descriptor in use");
        }
    }
}

/// A broken global-bitmap chain (fswreck's CHAIN_LINK_MAGIC and
/// CHAIN_HEAD_LINK_RANGE on its first chain): the chain holds the groups before
/// the break, and the record and the inode's counts are held to those, while
/// the group past it is on no chain. Damage that fsck.ocfs2 -n reads past (a
/// group's generation, parent or chain number: fswreck's GROUP_GEN,
/// GROUP_PARENT, GROUP_CHAIN) leaves the counts and the group's place alone.
/// Either way both checkers name the same codes.
#[test]
fn broken_chain_counts() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (clean, vol) = mkfs_image(tmp.path(), false);
    let (gb, first_group) = global_bitmap(&vol);
    let past_end = vol.geometry().blocks + 10;
    drop(vol);
    let head = gb * 4096 + (ID2_OFFSET + size_of::<ChainList>() + offset_of!(ChainRec, c_blkno)) as u64;
    let desc = |off: usize| first_group * 4096 + off as u64;
    let cases: [(&str, u64, Vec<u8>, &[&str]); 5] = [
        (
            "not a group",
            desc(offset_of!(GroupDesc, bg_signature)),
            b"GROUP99\0".to_vec(),
            &["CHAIN_BITS", "CHAIN_GROUP_BITS", "CHAIN_I_CLUSTERS", "CHAIN_I_SIZE", "CHAIN_LINK_MAGIC"],
        ),
        (
            "head past the end",
            head,
            past_end.to_le_bytes().to_vec(),
            &["CHAIN_HEAD_LINK_RANGE", "CHAIN_LINK_RANGE", "CHAIN_GROUP_BITS", "CHAIN_I_CLUSTERS", "CHAIN_I_SIZE"],
        ),
        ("generation", desc(offset_of!(GroupDesc, bg_generation)), 0x1234u32.to_le_bytes().to_vec(), &["GROUP_GEN"]),
        ("parent", desc(offset_of!(GroupDesc, bg_parent_dinode)), (gb + 10).to_le_bytes().to_vec(), &["GROUP_PARENT"]),
        ("chain number", desc(offset_of!(GroupDesc, bg_chain)), 10u16.to_le_bytes().to_vec(), &["GROUP_CHAIN"]),
    ];
    let path = tmp.path().join("damaged.img");
    for (what, at, bytes, some) in cases {
        std::fs::copy(&clean, &path).unwrap();
        write_at(&path, at, &bytes);
        let (ours, theirs) = codes_of_both(&path);
        assert!(some.iter().all(|c| theirs.contains(*c)), "{what}: fsck.ocfs2 -fn names {theirs:?}");
        assert_eq!(ours, theirs, "{what}");
    }
}

/// fswreck's CHAIN_EMPTY: the first chain's head cleared, so no chain holds
/// group 0 and its clusters in use are in no bitmap. Both checkers name the
/// group, the counts and those clusters (CLUSTER_ALLOC_BIT, ours at the group's
/// place), with the same codes.
#[test]
fn group_on_no_chain() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), false);
    let (gb, first_group) = global_bitmap(&vol);
    drop(vol);
    let rec = ID2_OFFSET + size_of::<ChainList>() + offset_of!(ChainRec, c_blkno);
    write_at(&path, gb * 4096 + rec as u64, &0u64.to_le_bytes());
    let (ours, theirs) = codes_of_both(&path);
    assert!(theirs.contains("CLUSTER_ALLOC_BIT"), "{theirs:?}");
    assert_eq!(ours, theirs);
    let (_, v) = check(&path);
    let bits: Vec<_> = errors(&v).into_iter().filter(|f| f["code"] == "CLUSTER_ALLOC_BIT").collect();
    assert!(!bits.is_empty() && bits.iter().all(|f| f["blkno"] == first_group && f["found"] == "clear"), "{bits:#?}");
}

/// A local-alloc window of 256 clusters, reserved in the global bitmap as the
/// kernel does, is clean to both checkers. Counting more bits in use than it
/// has, the local alloc is broken to fsck.ocfs2 -fn, which then reserves
/// nothing for the window: its clusters, set in the global bitmap and used by
/// no file, are CLUSTER_ALLOC_BIT besides LALLOC_USED_OVERRUN (fswreck's
/// LALLOC_USED_OVERRUN), to both.
#[test]
fn broken_local_alloc_reserves_no_window() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), false);
    let (gb, group) = global_bitmap(&vol);
    let la = vol.system_file(SystemFile::local_alloc(0)).unwrap();
    drop(vol);
    let add = |off: u64, len: usize, delta: i64| {
        let mut b = [0u8; 8];
        b[..len].copy_from_slice(&read_at(&path, off, len));
        let v = (u64::from_le_bytes(b) as i64 + delta) as u64;
        write_at(&path, off, &v.to_le_bytes()[..len]);
    };
    // Clusters 20000..20256 of group 0 (which starts at cluster 0) into the
    // window: set in the global bitmap, the counts following.
    let (start, len) = (20_000u64, 256u64);
    let bits = group * 4096 + 64 + start / 8;
    assert_eq!(read_at(&path, bits, 32), [0; 32], "free clusters");
    write_at(&path, bits, &[0xff; 32]);
    add(group * 4096 + offset_of!(GroupDesc, bg_free_bits_count) as u64, 2, -(len as i64));
    let chain0 = gb * 4096 + (ID2_OFFSET + size_of::<ChainList>()) as u64;
    add(chain0 + offset_of!(ChainRec, c_free) as u64, 4, -(len as i64));
    let bitmap1 = |ino: u64, field: usize| ino * 4096 + (offset_of!(DinodeHeader, id1) + field) as u64;
    add(bitmap1(gb, offset_of!(Bitmap1, i_used)), 4, len as i64);
    let lab = la * 4096 + ID2_OFFSET as u64;
    assert!(le16(&read_at(&path, lab + offset_of!(LocalAlloc, la_size) as u64, 2)) >= 32, "room for 256 bits");
    write_at(&path, lab + offset_of!(LocalAlloc, la_bm_off) as u64, &(start as u32).to_le_bytes());
    write_at(&path, bitmap1(la, offset_of!(Bitmap1, i_total)), &(len as u32).to_le_bytes());
    let (ours, v) = check(&path);
    assert_eq!(ours, 0, "{v:#}");
    let (theirs, text) = fsck(&path);
    assert!(theirs == Some(0) && !text.contains('['), "{text}");
    write_at(&path, bitmap1(la, offset_of!(Bitmap1, i_used)), &(len as u32 + 10).to_le_bytes());
    let (ours, theirs) = codes_of_both(&path);
    assert_eq!(theirs, ["CLUSTER_ALLOC_BIT", "LALLOC_CLEAR", "LALLOC_USED_OVERRUN"].map(String::from).into());
    assert_eq!(ours, theirs);
}

#[test]
fn chain_total() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), false);
    let (gb, _) = global_bitmap(&vol);
    let off = gb * 4096 + 192 + 16 + 4; // cl_recs[0].c_total
    let b = read_at(&path, off, 4);
    let total = u32::from_le_bytes(b[..4].try_into().unwrap());
    write_at(&path, off, &(total + 8).to_le_bytes());
    expect_problem(&path, gb, "c_total", "CHAIN_BITS");
}

#[test]
fn bitmap_bit() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), false);
    let (_, group) = global_bitmap(&vol);
    // The last bitmap byte of the first group covers free clusters: set one.
    let bits = le16(&read_at(&path, group * 4096 + 10, 2)) as u64;
    let byte = group * 4096 + 64 + (bits - 1) / 8;
    let b = read_at(&path, byte, 1)[0];
    assert_eq!(b, 0, "the group's last clusters are free");
    write_at(&path, byte, &[0x01]);
    expect_problem(&path, group, "bitmap", "CLUSTER_ALLOC_BIT");
}

#[test]
fn scattered_bitmap_bits() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), false);
    let (_, group) = global_bitmap(&vol);
    // 160 lone set bits among free clusters: more runs than the chain walk keeps
    // per group, so the cluster pass reads this group again and must name each.
    let bits = le16(&read_at(&path, group * 4096 + 10, 2)) as u64;
    let byte = group * 4096 + 64 + bits / 8 - 40;
    assert_eq!(read_at(&path, byte, 40), vec![0; 40], "the group's last clusters are free");
    write_at(&path, byte, &[0x55; 40]);
    expect_problem(&path, group, "bitmap", "CLUSTER_ALLOC_BIT");
    let (_, v) = check(&path);
    let lone = errors(&v).iter().filter(|f| f["code"] == "CLUSTER_ALLOC_BIT" && f["blkno"] == group).count();
    assert_eq!(lone, 160, "{v:#}");
}

/// Where entry `name` of inline directory `dir` sits (byte offset of the entry).
fn inline_entry(path: &Path, dir: u64, name: &[u8]) -> u64 {
    let block = read_at(path, dir * 4096, 4096);
    let at = block.windows(name.len()).position(|w| w == name).expect("entry in the inline directory");
    dir * 4096 + at as u64 - 12
}

#[test]
fn dangling_dir_entry() {
    let tmp = tempfile::tempdir().unwrap();
    require_tool("fsck.ocfs2");
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let small = fs::lookup(&vol, "/small").unwrap();
    let target = fs::lookup(&vol, "/data/pat20m").unwrap();
    let map = fs::ExtentMap::load(&vol, &vol.inode(target).unwrap()).unwrap();
    let data_block = map.extents()[0].blkno; // a data block, not an inode
    let entry = inline_entry(&path, small, b"hello.txt");
    write_at(&path, entry, &data_block.to_le_bytes());
    expect_problem(&path, small, "inode", "DIRENT_INODE_FREE");
}

#[test]
fn leaked_xattr_block() {
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let dir = fs::lookup(&vol, "/xattr/dir").unwrap();
    let ino = vol.inode(dir).unwrap();
    let block = ino.header().i_xattr_loc.get();
    assert_ne!(block, 0, "/xattr/dir keeps its xattr in a block");
    // The directory forgets its xattr block: HAS_XATTR off, i_xattr_loc 0.
    let dyn_off = dir * 4096 + offset_of!(DinodeHeader, i_dyn_features) as u64;
    let features = u16::from_le_bytes(read_at(&path, dyn_off, 2).try_into().unwrap());
    write_at(&path, dyn_off, &(features & !dyn_features::HAS_XATTR).to_le_bytes());
    write_at(&path, dir * 4096 + offset_of!(DinodeHeader, i_xattr_loc) as u64, &0u64.to_le_bytes());
    let (code, v) = check(&path);
    assert_eq!(code, 0, "a leak is a note, not an error: {v:#}");
    let notes: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "info").collect();
    assert!(
        notes.iter().any(|f| f["field"] == "bitmap"
            && f["message"].as_str().unwrap().contains(&format!("metadata block {block} is allocated"))),
        "{notes:#?}"
    );
}

/// The refcount tree `data/pat1m` shares with its clone in A-default: its root
/// block and the (block, index) of the record of `pat1m`'s first cluster, whose
/// count is 2 (the file and its clone).
fn refcount_record(vol: &Volume) -> (u64, u64, usize) {
    let ino = vol.inode(fs::lookup(vol, "/data/pat1m").unwrap()).unwrap();
    let tree = fs::refcount_tree_of(vol, &ino).unwrap().unwrap();
    let map = fs::ExtentMap::load(vol, &ino).unwrap();
    let cluster = vol.geometry().block_to_cluster(map.extents()[0].blkno);
    for b in &tree.blocks {
        if let Some(i) = b.recs.iter().position(|r| r.r_cpos.get() == cluster) {
            assert_eq!(b.recs[i].r_refcount.get(), 2, "pat1m and its clone share the extent");
            return (tree.blocks[0].blkno, b.blkno, i);
        }
    }
    panic!("no refcount record starts at cluster {cluster}");
}

#[test]
fn refcount_record_count() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let (_, block, i) = refcount_record(&Volume::open(&path).unwrap());
    let rec = REFCOUNT_UNION_OFFSET + size_of::<RefcountList>() + i * size_of::<RefcountRec>();
    let off = block * 4096 + (rec + offset_of!(RefcountRec, r_refcount)) as u64;
    write_at(&path, off, &3u32.to_le_bytes());
    expect_problem(&path, block, "r_refcount", "REFCOUNT_COUNT_INVALID");
    assert!(fsck(&path).1.contains("[REFCOUNT_COUNT_INVALID]"), "fsck.ocfs2 names the same problem");
}

#[test]
fn refcount_tree_file_count() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let (root, _, _) = refcount_record(&Volume::open(&path).unwrap());
    let off = root * 4096 + offset_of!(RefcountBlock, rf_count) as u64;
    let count = u32::from_le_bytes(read_at(&path, off, 4).try_into().unwrap());
    write_at(&path, off, &(count + 1).to_le_bytes());
    expect_problem(&path, root, "rf_count", "REFCOUNT_COUNT");
    assert!(fsck(&path).1.contains("[REFCOUNT_COUNT]"), "fsck.ocfs2 names the same problem");
}

#[test]
fn entry_missing_from_the_index() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let dir = fs::lookup(&vol, "/bigdir").unwrap();
    let root = fs::DxRoot::of_dir(&vol, &vol.inode(dir).unwrap()).unwrap().expect("bigdir is indexed");
    let leaf = &fs::dx_entries(&vol, &root).unwrap()[0];
    // The first named entry ("." and ".." are indexed too, with hash 0): its
    // minor hash no longer matches its name.
    let i = leaf.entries.iter().position(|e| e.dx_major_hash.get() != 0).unwrap();
    let at = size_of::<DxLeaf>() + i * size_of::<DxEntry>() + offset_of!(DxEntry, dx_minor_hash);
    let off = leaf.blkno * 4096 + at as u64;
    let minor = u32::from_le_bytes(read_at(&path, off, 4).try_into().unwrap());
    write_at(&path, off, &(minor ^ 1).to_le_bytes());
    expect_problem(&path, dir, "dx_dirent_blk", "DX_LOOKUP_FAILED");
    assert!(fsck(&path).1.contains("[DX_LOOKUP_FAILED]"), "fsck.ocfs2 names the same problem");
}

/// A fresh 256 MiB mkfs.ocfs2 volume with user quotas in `dir`: its path, the
/// global user quota file, id 0's entry and the block that entry lies in.
fn usrquota_volume(dir: &Path) -> (PathBuf, GlobalQuota, Dquot, u64) {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let path = dir.join("quota.img");
    mkfs(&path, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", "--fs-features=usrquota"]);
    let vol = Volume::open(&path).unwrap();
    let global = ocfs2_format::quota::read_global_quota(&vol, QuotaType::User).unwrap();
    let d = *global.get(0).expect("id 0 has an entry");
    let map = fs::ExtentMap::load(&vol, &vol.inode(global.inode).unwrap()).unwrap();
    let fs::Mapping::Block { blkno, .. } = map.map(&vol, u64::from(d.block)) else { panic!("id 0's block is a hole") };
    drop(vol);
    (path, global, d, blkno)
}

#[test]
fn quota_usage_differs_from_the_inodes() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, global, d, blkno) = usrquota_volume(tmp.path());
    let at = size_of::<QtDiskDqdbHeader>() + d.index * size_of::<GlobalDiskDqBlk>();
    let off = blkno * 4096 + (at + offset_of!(GlobalDiskDqBlk, dqb_curspace)) as u64;
    write_at(&path, off, &(d.space() + 4096).to_le_bytes());
    // A note, as fsck.ocfs2 rebuilds usage without a word: both exit 0.
    let (ours, v) = check(&path);
    assert_eq!(ours, 0, "{v:#}");
    assert_eq!(fsck(&path).0, Some(0));
    let notes: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "info").collect();
    let note = notes.iter().find(|f| f["field"] == "dqb_curspace").unwrap_or_else(|| panic!("{notes:#?}"));
    assert_eq!(note["blkno"], global.inode);
    assert!(note["found"].as_str().unwrap().starts_with(&format!("{} bytes", d.space() + 4096)), "{note}");
}

/// A second entry for one id in a global quota data block (a valid one: no
/// metadata ECC here) is DUP_DQBLK_VALID to both checkers.
#[test]
fn duplicate_quota_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _, d, blkno) = usrquota_volume(tmp.path());
    let entry = |i: usize| blkno * 4096 + (size_of::<QtDiskDqdbHeader>() + i * size_of::<GlobalDiskDqBlk>()) as u64;
    let copy = read_at(&path, entry(d.index), size_of::<GlobalDiskDqBlk>());
    let spare = (0..4096 / size_of::<GlobalDiskDqBlk>())
        .find(|&i| i != d.index && read_at(&path, entry(i), 8) == [0; 8])
        .expect("a free slot");
    write_at(&path, entry(spare), &copy);
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!((&errs[0]["code"], &errs[0]["blkno"]), (&json!("DUP_DQBLK_VALID"), &json!(blkno)), "{errs:#?}");
    let (_, text) = fsck(&path);
    let tags: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix('[')?.split(']').next()).collect();
    assert_eq!(tags, ["DUP_DQBLK_VALID"], "fsck.ocfs2 -fn:\n{text}");
}

#[test]
fn index_root_cluster_count() {
    // fsck.ocfs2 1.8.7 does not compare dr_clusters with the index tree (it exits
    // 0 on this image); the kernel charges quota and grows the index by it.
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let dir = fs::lookup(&vol, "/bigdir").unwrap();
    let root = fs::DxRoot::of_dir(&vol, &vol.inode(dir).unwrap()).unwrap().expect("bigdir is indexed");
    let off = root.blkno() * 4096 + offset_of!(DxRootBlock, dr_clusters) as u64;
    let clusters = u32::from_le_bytes(read_at(&path, off, 4).try_into().unwrap());
    write_at(&path, off, &(clusters + 1).to_le_bytes());
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let errs = errors(&v);
    assert!(errs.iter().any(|f| f["blkno"] == root.blkno() && f["field"] == "dr_clusters"), "{errs:#?}");
    assert_eq!(fsck(&path).0, Some(0), "fsck.ocfs2 -fn does not look at dr_clusters");
}

#[test]
fn link_count() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let ino = fs::lookup(&vol, "/small/hello.txt").unwrap();
    write_at(&path, ino * 4096 + 42, &2u16.to_le_bytes()); // i_links_count 1 -> 2
    expect_problem(&path, ino, "i_links_count", "INODE_COUNT");
}

#[test]
fn overlapping_extent() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture_copy(tmp.path(), "A-default");
    let vol = Volume::open(&path).unwrap();
    let ino = fs::lookup(&vol, "/sparse/holey").unwrap();
    // Two leaf records in the inode (cpos 0 and 2048): move the second onto the first.
    let rec1 = ino * 4096 + 192 + 16 + 16;
    assert_eq!(read_at(&path, rec1, 4), 2048u32.to_le_bytes());
    write_at(&path, rec1, &0u32.to_le_bytes());
    expect_problem(&path, ino, "e_cpos", "EXTENT_OVERLAP");
}

#[test]
fn corrected_ecc_bit_is_a_note() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), true);
    let root = vol.root_blkno();
    // One flipped bit in i_atime: the ECC repairs it, and fsck.ocfs2 is silent.
    let off = root * 4096 + 48;
    write_at(&path, off, &[read_at(&path, off, 1)[0] ^ 0x01]);
    let (theirs, text) = fsck(&path);
    assert_eq!(theirs, Some(0), "{text}");
    let (ours, v) = check(&path);
    assert_eq!(ours, 0, "{v:#}");
    let notes: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "info").collect();
    assert!(notes.iter().any(|f| f["blkno"] == root && f["field"] == "bc_crc32e"), "{notes:#?}");
}

#[test]
fn bad_ecc() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (path, vol) = mkfs_image(tmp.path(), true);
    assert!(vol.has_meta_ecc());
    let root = vol.root_blkno();
    // Two flipped bits in i_atime: beyond what the ECC can correct.
    let off = root * 4096 + 48;
    let b = read_at(&path, off, 2);
    write_at(&path, off, &[b[0] ^ 0x01, b[1] ^ 0x01]);
    expect_problem(&path, root, "bc_crc32e", "BAD_CRC32");
}

#[test]
fn library_reports_progress() {
    let vol = Volume::open(common::fixture_zst("C1")).unwrap();
    let mut passes = Vec::new();
    let report = ocfs2_format::check::check(&vol, &mut |p| {
        if passes.last() != Some(&p.pass) {
            passes.push(p.pass);
        }
    })
    .unwrap();
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert!(passes.len() >= 4, "{passes:?}");
}

/// One damaged field of A-default: where it is, what is written there, and the
/// finding both checkers must make (ours at `blkno`'s `field`).
struct Damage {
    what: &'static str,
    at: u64,
    bytes: Vec<u8>,
    blkno: u64,
    field: &'static str,
    code: &'static str,
    /// fsck.ocfs2's other codes for the same cause, which our finding lists.
    also: &'static [&'static str],
    /// fsck.ocfs2 -fn prints `code` itself (not so for INODE_GEN: without -g
    /// it takes such an inode for unused and names only the `also` codes).
    fsck_prints_code: bool,
}

impl Damage {
    fn also(self, also: &'static [&'static str]) -> Self {
        Damage { also, ..self }
    }

    fn not_printed_by_fsck(self) -> Self {
        Damage { fsck_prints_code: false, ..self }
    }
}

/// The damages, each found by fsck.ocfs2 -fn under the same problem code.
fn damages(vol: &Volume) -> Vec<Damage> {
    let bs = 4096;
    let ino = |p: &str| fs::lookup(vol, p).unwrap();
    let inode_field = |blkno: u64, off: usize| blkno * bs + off as u64;
    let (sym, file, small) = (ino("/links/sym-long"), ino("/small/pat5000"), ino("/small"));
    let xattr_block = fs::read_xattrs(vol, &vol.inode(ino("/xattr/dir")).unwrap()).unwrap().block.unwrap();
    let (refcount_root, record_block, record) = refcount_record(vol);
    // That record moved to cluster 0, one cluster long.
    let record_at = record_block * bs
        + (REFCOUNT_UNION_OFFSET + size_of::<RefcountList>() + record * size_of::<RefcountRec>()) as u64;
    let mut cluster_zero = 0u64.to_le_bytes().to_vec();
    cluster_zero.extend(1u32.to_le_bytes());
    let local_alloc = vol.system_file(SystemFile::local_alloc(0)).unwrap();
    let (global_bitmap, first_group) = global_bitmap(vol);
    // The first entry after "." and ".." (16 bytes each) of the inline directory /small.
    let entries = fs::read_dir(vol, &vol.inode(small).unwrap()).unwrap();
    assert_eq!(entries[2].name, b"hello.txt");
    let entry_at = small * bs + (inline_data::DATA_OFFSET + 32) as u64;
    let name_len = entry_at + offset_of!(DirEntryHeader, name_len) as u64;
    let name = entry_at + size_of::<DirEntryHeader>() as u64;
    let refcount = |off: usize| refcount_root * bs + off as u64;
    let list = |off: usize| refcount(REFCOUNT_UNION_OFFSET + off);
    let bitmap1 = |off: usize| inode_field(local_alloc, offset_of!(DinodeHeader, id1) + off);
    let d = |what, at, bytes: &[u8], blkno, field, code| Damage {
        what,
        at,
        bytes: bytes.to_vec(),
        blkno,
        field,
        code,
        also: &[],
        fsck_prints_code: true,
    };
    let hello = ino("/small/hello.txt");
    let bigdir = ino("/bigdir");
    let bigdir_block = fs::dir_blocks(vol, &vol.inode(bigdir).unwrap()).unwrap()[0].blkno;
    let root = vol.root_blkno();
    // The root is inline: its entry "lost+found" (name after the 12-byte header).
    let root_block = vol.read_block(root).unwrap();
    let lost_found = root_block.windows(10).position(|w| w == b"lost+found").expect("/lost+found in the root");
    // The root's entry for the directory /small: its name length and type (a
    // directory) come just before the name.
    let small_name = root_block.windows(7).position(|w| w == b"\x05\x02small").expect("/small in the root");
    let small_entry = root * bs + small_name as u64 - offset_of!(DirEntryHeader, name_len) as u64;
    // hello.txt's entry in /small made a third "." naming /small: the inode,
    // the record length as it is, a one-byte name of a directory.
    let small_block = vol.read_block(small).unwrap();
    let mut third_dot = small.to_le_bytes().to_vec();
    let in_block = (entry_at - small * bs) as usize + offset_of!(DirEntryHeader, rec_len);
    third_dot.extend(&small_block[in_block..in_block + 2]);
    third_dot.extend([1, file_type::DIR, b'.']);
    // The journal's first cluster, which /small/pat5000 is made to claim too.
    let journal = vol.system_file(SystemFile::journal(0)).unwrap();
    let journal_start = fs::ExtentMap::load(vol, &vol.inode(journal).unwrap()).unwrap().extents()[0].blkno;
    let size = offset_of!(DinodeHeader, i_size);
    // sym-long's 3996-byte target fills one block up to its NUL.
    let target = fs::ExtentMap::load(vol, &vol.inode(sym).unwrap()).unwrap().extents()[0].blkno;
    // pat5000's first (leaf) extent record, in the inode.
    let rec = |off: usize| inode_field(file, ID2_OFFSET + size_of::<ExtentList>() + off);
    let geo = *vol.geometry();
    // e_cpos 0, 2 clusters from the volume's last one.
    let mut overrun = vec![0, 0, 0, 0, 2, 0, 0, 0];
    overrun.extend(geo.cluster_to_block(u64::from(geo.clusters) - 1).to_le_bytes());
    let truncate_log = vol.system_file(SystemFile::truncate_log(0)).unwrap();
    // tl_used = 1 and a first record whose end overflows 32 bits.
    // The global bitmap's first chain record's head, and a block past the end.
    let head = inode_field(global_bitmap, ID2_OFFSET + size_of::<ChainList>() + offset_of!(ChainRec, c_blkno));
    let past_end = (geo.blocks + 10).to_le_bytes();
    let mut wrap = vec![1, 0, 0, 0, 0, 0];
    wrap.extend(10_000u32.to_le_bytes());
    wrap.extend((u32::MAX - 10).to_le_bytes());
    vec![
        d(
            "refcounted extent in a file without a tree",
            rec(offset_of!(ExtentRec, e_flags)),
            &[extent::flags::REFCOUNTED],
            file,
            "e_flags",
            "EXTENT_MARKED_REFCOUNTED",
        ),
        d(
            "extent before the superblock",
            rec(offset_of!(ExtentRec, e_blkno)),
            &1u64.to_le_bytes(),
            file,
            "e_blkno",
            "EXTENT_BLKNO_RANGE",
        ),
        d("extent running past the end", rec(0), &overrun, file, "e_leaf_clusters", "EXTENT_CLUSTERS_OVERRUN"),
        d(
            "inline area smaller than the inode leaves",
            inode_field(small, ID2_OFFSET + offset_of!(InlineData, id_count)),
            &200u16.to_le_bytes(),
            small,
            "id_count",
            "INLINE_DATA_COUNT_INVALID",
        ),
        d(
            "truncate record wrapping 32 bits",
            inode_field(truncate_log, ID2_OFFSET + offset_of!(TruncateLog, tl_used)),
            &wrap,
            truncate_log,
            "t_start",
            "TRUNCATE_REC_WRAP",
        ),
        d(
            "refcount root not a refcount block",
            refcount(offset_of!(RefcountBlock, rf_signature)),
            b"aaaaaaaa",
            refcount_root,
            "signature",
            "REFCOUNT_ROOT_BLOCK_INVALID",
        ),
        d(
            "first entry not '.'",
            small * bs + (inline_data::DATA_OFFSET + size_of::<DirEntryHeader>()) as u64,
            b"a",
            small,
            "name",
            "DIRENT_NOT_DOTTY",
        ),
        d(
            "global bitmap clusters past its chains'",
            inode_field(global_bitmap, offset_of!(DinodeHeader, i_clusters)),
            &(geo.clusters + 10).to_le_bytes(),
            global_bitmap,
            "i_clusters",
            "CHAIN_I_CLUSTERS",
        )
        .also(&["SUPERBLOCK_CLUSTERS"]),
        d(
            "group recording another block",
            first_group * bs + offset_of!(GroupDesc, bg_blkno) as u64,
            &(first_group + 10).to_le_bytes(),
            first_group,
            "blkno",
            "GROUP_BLKNO",
        )
        .also(&["GROUP_UNEXPECTED_DESC"]),
        d(
            "group chain looping to itself",
            first_group * bs + offset_of!(GroupDesc, bg_next_group) as u64,
            &first_group.to_le_bytes(),
            first_group,
            "bg_next_group",
            "GROUP_CHAIN_LOOP",
        )
        .also(&["CLUSTER_ALLOC_BIT"]),
        d("unterminated symlink", target * bs + 3996, &[b'x'; 100], sym, "i_size", "LINK_NULLTERM"),
        d("slow symlink size", inode_field(sym, size), &3000u64.to_le_bytes(), sym, "i_size", "LINK_SIZE"),
        d(
            "size below the mapped clusters",
            inode_field(file, size),
            &100u64.to_le_bytes(),
            file,
            "i_size",
            "INODE_SPARSE_SIZE",
        ),
        d(
            "refcount loc without the flag",
            inode_field(file, offset_of!(DinodeHeader, i_refcount_loc)),
            &12345u64.to_le_bytes(),
            file,
            "i_refcount_loc",
            "REFCOUNT_LOC_INVALID",
        ),
        d(
            "allocator size",
            inode_field(global_bitmap, size),
            &12345u64.to_le_bytes(),
            global_bitmap,
            "i_size",
            "CHAIN_I_SIZE",
        ),
        d("'/' in a name", name, b"/", small, "name", "DIRENT_NAME_CHARS"),
        d("empty name", name_len, &[0], small, "name_len", "DIRENT_ZERO"),
        d(
            "refcount block number",
            refcount(offset_of!(RefcountBlock, rf_blkno)),
            &(refcount_root + 1).to_le_bytes(),
            refcount_root,
            "blkno",
            "RB_BLKNO",
        ),
        // The same damage: by its own number the root is a block below the
        // root, and names no parent.
        d(
            "refcount root recording another number",
            refcount(offset_of!(RefcountBlock, rf_blkno)),
            &(refcount_root + 1).to_le_bytes(),
            refcount_root,
            "rf_parent",
            "RB_PARENT",
        ),
        d(
            "refcount generation",
            refcount(offset_of!(RefcountBlock, rf_fs_generation)),
            &1u32.to_le_bytes(),
            refcount_root,
            "fs_generation",
            "RB_GEN",
        )
        .also(&["RB_GEN_FIX"]),
        d(
            "refcount record before the superblock",
            record_at,
            &cluster_zero,
            record_block,
            "r_cpos",
            "REFCOUNT_CLUSTER_RANGE",
        ),
        // libocfs2's walk of the global bitmap ends at the first group it
        // cannot read, so fsck.ocfs2 takes the descriptors of the later chains'
        // groups for clear bits (see `unreadable_group_ends_fscks_bitmap`).
        d(
            "first global bitmap group not a group",
            first_group * bs + offset_of!(GroupDesc, bg_signature) as u64,
            b"GROUP99\0",
            first_group,
            "signature",
            "CHAIN_LINK_MAGIC",
        )
        .also(&["CLUSTER_ALLOC_BIT"]),
        // The chain's groups on no chain, the inode's counts are held to the
        // other chains' groups, as for a block that is no group.
        d(
            "first global bitmap group not a group: the inode's clusters",
            first_group * bs + offset_of!(GroupDesc, bg_signature) as u64,
            b"GROUP99\0",
            global_bitmap,
            "i_clusters",
            "CHAIN_I_CLUSTERS",
        ),
        d("first chain's head past the end", head, &past_end, global_bitmap, "c_blkno", "CHAIN_HEAD_LINK_RANGE")
            .also(&["CLUSTER_ALLOC_BIT", "CHAIN_LINK_RANGE"]),
        d(
            "first chain's head past the end: the inode's clusters",
            head,
            &past_end,
            global_bitmap,
            "i_clusters",
            "CHAIN_I_CLUSTERS",
        ),
        d(
            "first chain's head past the end: the inode's size",
            head,
            &past_end,
            global_bitmap,
            "i_size",
            "CHAIN_I_SIZE",
        ),
        d(
            "refcount list count",
            list(offset_of!(RefcountList, rl_count)),
            &1000u16.to_le_bytes(),
            refcount_root,
            "rl_count",
            "REFCOUNT_LIST_COUNT",
        ),
        d(
            "refcount list used",
            list(offset_of!(RefcountList, rl_used)),
            &300u16.to_le_bytes(),
            refcount_root,
            "rl_used",
            "REFCOUNT_LIST_USED",
        ),
        d(
            "unused local alloc with bits",
            bitmap1(offset_of!(Bitmap1, i_used)),
            &5u32.to_le_bytes(),
            local_alloc,
            "i_used",
            "LALLOC_NZ_USED",
        ),
        d(
            "local alloc bits past its bitmap",
            bitmap1(offset_of!(Bitmap1, i_total)),
            &40000u32.to_le_bytes(),
            local_alloc,
            "id1.bitmap1.i_total",
            "LALLOC_BM_SIZE",
        )
        .also(&["LALLOC_CLEAR"]),
        d(
            "group of another generation",
            first_group * bs + offset_of!(GroupDesc, bg_generation) as u64,
            &0x1234u32.to_le_bytes(),
            first_group,
            "fs_generation",
            "GROUP_GEN",
        )
        .also(&["CHAIN_LINK_GEN"]),
        d(
            "inode of another generation",
            inode_field(hello, offset_of!(DinodeHeader, i_fs_generation)),
            &0x1234u32.to_le_bytes(),
            hello,
            "fs_generation",
            "INODE_GEN",
        )
        .also(&["INODE_ALLOC_REPAIR"])
        .not_printed_by_fsck(),
        d(
            "entry naming an inode of another generation",
            inode_field(hello, offset_of!(DinodeHeader, i_fs_generation)),
            &0x1234u32.to_le_bytes(),
            hello,
            "i_links_count",
            "INODE_COUNT",
        ),
        d("no /lost+found", root * bs + lost_found as u64 + 8, b"ND", root, "name", "LOSTFOUND_MISSING"),
        // An entry naming inode 0 is a free slot: the file is named nowhere,
        // and its link count differs from its (no) entries.
        d("a file's entry freed", entry_at, &0u64.to_le_bytes(), hello, "i_links_count", "INODE_NOT_CONNECTED"),
        d("a file's entry freed: its links", entry_at, &0u64.to_le_bytes(), hello, "i_links_count", "INODE_COUNT"),
        // The directory is named nowhere, while its ".." names the root,
        // whose entries were read.
        d("a directory's entry freed", small_entry, &0u64.to_le_bytes(), small, "i_links_count", "DIR_NOT_CONNECTED"),
        d("a directory's entry freed: its '..'", small_entry, &0u64.to_le_bytes(), small, "inode", "DIR_DOTDOT"),
        // The third "." is an entry naming /small in /small, besides /'s.
        d("a third '.' naming its directory", entry_at, &third_dot, small, "inode", "DIR_PARENT_DUP"),
        d(
            "'.' longer than its name",
            small * bs + (inline_data::DATA_OFFSET + offset_of!(DirEntryHeader, rec_len)) as u64,
            &20u16.to_le_bytes(),
            small,
            "rec_len",
            "DIRENT_DOT_EXCESS",
        ),
        d(
            "a file's extent in the journal",
            rec(offset_of!(ExtentRec, e_blkno)),
            &journal_start.to_le_bytes(),
            journal,
            "owner",
            "DUP_CLUSTERS_CLONE",
        )
        .also(&["DUP_CLUSTERS_DELETE", "DUP_CLUSTERS_SYSFILE_CLONE"]),
        d(
            "root not a directory",
            inode_field(vol.root_blkno(), offset_of!(DinodeHeader, i_mode)),
            &0o100644u16.to_le_bytes(),
            vol.root_blkno(),
            "i_mode",
            "ROOT_NOTDIR",
        ),
        d(
            "directory whose first block does not read",
            (bigdir_block + 1) * bs - 64 + 16, // the trailer's db_signature
            b"XXXXXXXX",
            bigdir,
            "inode",
            "DIR_DOTDOT",
        ),
        d(
            "xattr block number",
            xattr_block * bs + offset_of!(XattrBlock, xb_blkno) as u64,
            &(xattr_block + 1).to_le_bytes(),
            xattr_block,
            "blkno",
            "XATTR_BLOCK_INVALID",
        ),
    ]
}

/// Each damage is found by both checkers under the same problem code (the
/// xattr block's, which fsck.ocfs2 1.8.7 does not see, by ours alone), named
/// once, at the block and field.
#[test]
fn problem_codes_match_fsck() {
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let clean = fixture_copy(tmp.path(), "A-default");
    let cases = damages(&Volume::open(&clean).unwrap());
    let path = tmp.path().join("damaged.img");
    for c in cases {
        std::fs::copy(&clean, &path).unwrap();
        write_at(&path, c.at, &c.bytes);
        let (ours, v) = check(&path);
        assert_eq!(ours, 4, "{}: {v:#}", c.what);
        let hits: Vec<_> = errors(&v).into_iter().filter(|f| f["code"] == c.code).collect();
        assert_eq!(hits.len(), 1, "{}: {:#?}", c.what, errors(&v));
        assert_eq!((&hits[0]["blkno"], &hits[0]["field"]), (&c.blkno.into(), &c.field.into()), "{}", c.what);
        assert_eq!(hits[0]["also"], serde_json::json!(c.also), "{}", c.what);
        let (_, text) = fsck(&path);
        if c.code == "XATTR_BLOCK_INVALID" {
            assert!(!text.contains('['), "{}: fsck.ocfs2 now sees it:\n{text}", c.what);
        } else {
            assert_eq!(
                text.contains(&format!("[{}]", c.code)),
                c.fsck_prints_code,
                "{}: fsck.ocfs2 -fn:\n{text}",
                c.what
            );
        }
        for code in c.also {
            assert!(text.contains(&format!("[{code}]")), "{}: fsck.ocfs2 -fn does not print {code}:\n{text}", c.what);
        }
    }
}

/// Without sparse allocation a size past the mapped blocks is INODE_SIZE (both
/// checkers); the directory is still read, so nothing cascades from it.
#[test]
fn directory_size_past_its_blocks() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nosparse.img");
    let features = "--fs-features=nosparse,nounwritten,noinline-data";
    mkfs(&path, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", features]);
    let root = Volume::open(&path).unwrap().root_blkno();
    write_at(&path, root * 4096 + offset_of!(DinodeHeader, i_size) as u64, &8192u64.to_le_bytes());
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (&errs[0]["code"], &errs[0]["blkno"], &errs[0]["field"]),
        (&"INODE_SIZE".into(), &root.into(), &"i_size".into())
    );
    assert!(fsck(&path).1.contains("[INODE_SIZE]"), "fsck.ocfs2 names the same problem");
}

/// Without sparse allocation a size needs blocks even when the file has none:
/// `//bad_blocks` (a regular file mkfs.ocfs2 leaves empty) given 100 bytes is
/// INODE_SIZE to both checkers.
#[test]
fn size_without_blocks_on_a_non_sparse_volume() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nosparse.img");
    let features = "--fs-features=nosparse,nounwritten,noinline-data";
    mkfs(&path, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", features]);
    let vol = Volume::open(&path).unwrap();
    let bad_blocks = vol.system_file(SystemFile::BAD_BLOCKS).unwrap();
    let h = *vol.inode(bad_blocks).unwrap().header();
    assert_eq!((h.i_size.get(), h.i_clusters.get()), (0, 0), "bad_blocks is empty");
    write_at(&path, bad_blocks * 4096 + offset_of!(DinodeHeader, i_size) as u64, &100u64.to_le_bytes());
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (&errs[0]["code"], &errs[0]["blkno"], &errs[0]["field"]),
        (&"INODE_SIZE".into(), &bad_blocks.into(), &"i_size".into())
    );
    assert!(fsck(&path).1.contains(&format!("[INODE_SIZE] Inode {bad_blocks} ")), "fsck.ocfs2 names the same problem");
}

/// All the codes of `check`'s findings, with fsck.ocfs2's others for the same
/// causes, against the tags `fsck.ocfs2 -fn` prints.
fn codes_of_both(path: &Path) -> (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) {
    let (_, v) = check(path);
    let mut ours = std::collections::BTreeSet::new();
    for f in v["findings"].as_array().unwrap() {
        ours.extend(f["code"].as_str().map(String::from));
        ours.extend(f["also"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()));
    }
    let theirs = fsck(path)
        .1
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.split_once(']')).map(|(tag, _)| tag.to_string()))
        .collect();
    (ours, theirs)
}

/// A directory's first extent moved one cluster on: fsck.ocfs2 allows a
/// directory no hole (NO_HOLES, fswreck's DIR_HOLE), then reads nothing at
/// its start, so ".." names nothing and both link counts are off. Both
/// checkers name exactly the same problems.
#[test]
fn directory_hole() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("hole.img");
    mkfs(&path, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", "--fs-features=noinline-data"]);
    let vol = Volume::open(&path).unwrap();
    let lost_found = fs::lookup(&vol, "/lost+found").unwrap();
    let map = fs::ExtentMap::load(&vol, &vol.inode(lost_found).unwrap()).unwrap();
    assert_eq!((map.extents().len(), map.extents()[0].cpos), (1, 0), "one extent from cluster 0");
    write_at(&path, lost_found * 4096 + (ID2_OFFSET + size_of::<ExtentList>()) as u64, &1u32.to_le_bytes());
    let (ours, theirs) = codes_of_both(&path);
    assert!(theirs.contains("NO_HOLES"), "{theirs:?}");
    assert_eq!(ours, theirs);
    let (_, v) = check(&path);
    let hole = errors(&v).into_iter().find(|f| f["code"] == "NO_HOLES").cloned().unwrap();
    assert_eq!((&hole["blkno"], &hole["field"]), (&lost_found.into(), &"e_cpos".into()));
}

/// What `fsck.ocfs2 -fy` prints on a throwaway copy of `image` (it repairs the
/// copy): the journal checks run only read-write.
fn fsck_read_write(image: &Path) -> String {
    let copy = image.with_extension("rw.img");
    std::fs::copy(image, &copy).unwrap();
    let out = std::process::Command::new("fsck.ocfs2").arg("-fy").arg(&copy).output().expect("run fsck.ocfs2");
    std::fs::remove_file(&copy).unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Journal features `fsck.ocfs2 -n` cannot see (it checks journals only
/// read-write): a journal lacking a feature the others have, and one with a
/// feature JBD2 does not define, read-only-compatible or incompatible. Each is
/// the finding fsck.ocfs2 -fy names on a copy, and -fn stays silent.
#[test]
fn journal_features() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("journals.img");
    // A local volume: fsck.ocfs2 -fy needs no cluster stack for it.
    mkfs(&clean, 256 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M", "-M", "local"]);
    let vol = Volume::open(&clean).unwrap();
    let journal = |slot: u16| {
        let ino = vol.system_file(SystemFile::journal(slot)).unwrap();
        (ino, fs::ExtentMap::load(&vol, &vol.inode(ino).unwrap()).unwrap().extents()[0].blkno)
    };
    let ((j0, sb0), (j1, _)) = (journal(0), journal(1));
    let jbd2_field = |off: u64| sb0 * 4096 + off; // compat at 36, incompat 40, ro_compat 44
    let path = tmp.path().join("damaged.img");
    // (where, what, our finding's inode and field, fsck.ocfs2's tag and journal)
    let cases = [
        (jbd2_field(36), 1u32, j1, "s_feature_compat", "JOURNAL_MISSING_FEATURE", "journal:0001"),
        (jbd2_field(44), 1u32, j0, "s_feature_ro_compat", "JOURNAL_UNKNOWN_FEATURE", "journal:0000"),
        (jbd2_field(40), 0x100u32, j0, "unsupported", "JOURNAL_UNKNOWN_FEATURE", "journal:0000"),
    ];
    for (at, value, ino, field, code, name) in cases {
        std::fs::copy(&clean, &path).unwrap();
        write_at(&path, at, &value.to_be_bytes());
        let (ours, v) = check(&path);
        assert_eq!(ours, 4, "{code} {field}: {v:#}");
        let hits: Vec<_> = errors(&v).into_iter().filter(|f| f["code"] == code).collect();
        assert_eq!(hits.len(), 1, "{code} {field}: {v:#}");
        assert_eq!((&hits[0]["blkno"], &hits[0]["field"]), (&ino.into(), &field.into()), "{code}");
        assert!(!fsck(&path).1.contains('['), "{code}: fsck.ocfs2 -fn now sees it");
        let rw = fsck_read_write(&path);
        assert!(rw.contains(&format!("[{code}] journal file {name} ")), "{code} {field}: fsck.ocfs2 -fy:\n{rw}");
    }
}

/// A damaged system directory is the system directory's finding, once, not
/// that of the first file looked up through it (journal:0000 was reported as an
/// invalid journal, local_alloc:0000 as invalid). fsck.ocfs2 -fn cannot go on.
#[test]
fn damaged_system_directory_is_named_as_such() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("sysdir.img");
    // 1 KiB blocks: the system directory lies in a block of its own.
    mkfs(&path, 128 * MIB, &["-b", "1K", "-N", "2", "-J", "size=4M"]);
    let vol = Volume::open(&path).unwrap();
    let sysdir = vol.system_dir_blkno();
    let block = fs::ExtentMap::load(&vol, &vol.inode(sysdir).unwrap()).unwrap().extents()[0].blkno;
    drop(vol);
    // The first entry's rec_len.
    write_at(&path, block * 1024 + offset_of!(DirEntryHeader, rec_len) as u64, &3u16.to_le_bytes());
    let (ours, v) = check(&path);
    assert_eq!(ours, 4, "{v:#}");
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (&errs[0]["code"], &errs[0]["blkno"], &errs[0]["field"]),
        (&"DIRENT_LENGTH".into(), &block.into(), &"rec_len".into())
    );
    assert!(errs[0]["message"].as_str().unwrap().starts_with("system directory"), "{errs:#?}");
    let (theirs, text) = fsck(&path);
    assert_ne!(theirs, Some(0), "{text}");
}

/// A global bitmap of one chain counts fewer clusters per group than its
/// group holds: CHAIN_CPG to both checkers.
#[test]
fn clusters_per_group_of_one_chain() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("cpg.img");
    mkfs(&path, 64 * MIB, &["-b", "4K", "-C", "4K", "-N", "2", "-J", "size=4M"]);
    let vol = Volume::open(&path).unwrap();
    let (gb, _) = global_bitmap(&vol);
    let gb_inode = vol.inode(gb).unwrap();
    let Id2::Chain(cl) = gb_inode.dinode().id2().unwrap() else { panic!("not a chain allocator") };
    assert_eq!(cl.recs.len(), 1, "a volume of one chain");
    write_at(&path, gb * 4096 + ID2_OFFSET as u64, &1000u16.to_le_bytes());
    let (_, v) = check(&path);
    let hits: Vec<_> = errors(&v).into_iter().filter(|f| f["code"] == "CHAIN_CPG").collect();
    assert_eq!(hits.len(), 1, "{v:#}");
    assert_eq!(
        (&hits[0]["blkno"], &hits[0]["field"], &hits[0]["found"]),
        (&gb.into(), &"cl_cpg".into(), &"1000".into())
    );
    assert!(fsck(&path).1.contains(&format!("[CHAIN_CPG] Global bitmap at block {gb} ")), "fsck.ocfs2 names it");
}

/// A fresh 1 KiB-block volume's system directory lies in blocks without an
/// index: fsck.ocfs2 -fn offers to build one (DX_TREE_MISSING); the kernel reads
/// it linearly, so check notes it (same code, info) and stays clean.
#[test]
fn unindexed_system_directory_is_a_note() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("1k.img");
    mkfs(&path, 256 * MIB, &["-b", "1K", "-N", "2"]);
    let sysdir = Volume::open(&path).unwrap().system_dir_blkno();
    let (_, text) = fsck(&path);
    assert!(text.contains(&format!("[DX_TREE_MISSING] Directory {sysdir} ")), "fsck.ocfs2 -fn:\n{text}");
    let (code, v) = check(&path);
    assert_eq!(code, 0, "{v:#}");
    let notes: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "DX_TREE_MISSING").collect();
    assert_eq!(notes.len(), 1, "{v:#}");
    assert_eq!((&notes[0]["severity"], &notes[0]["blkno"]), (&"info".into(), &sysdir.into()));
}
