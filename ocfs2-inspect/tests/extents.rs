//! Deep extent trees written by the Linux kernel: `fixtures/E-extents.img.zst`
//! (512-byte blocks, so 19 records fit in an inode's list and 28 in an extent
//! block; see fixtures/README.md). Its `frag/*` files have one extent per cluster,
//! in trees of depth 1, 2 and 3, and one tree that the kernel grew to depth 2 and
//! then truncated. Everything is compared with the real ocfs2-tools on the same
//! raw image:
//!
//! * `stat` (with and without `-T`): every list and extent block (header, every
//!   record) against `debugfs.ocfs2 -R "stat PATH"` and `-R "extent <BLK>"`; the
//!   leaf chain (`h_next_leaf_blk`) and `i_last_eb_blk` as debugfs shows them;
//! * `bmap` of sampled logical blocks against debugfs `bmap`;
//! * `cat` against debugfs `dump`, byte for byte, and against the pattern the
//!   guest wrote (and the guest's sha256 in fixtures/README.md);
//! * `frag` against debugfs `frag`;
//! * `check` is clean, like `fsck.ocfs2 -fn`;
//! * damaged copies: one field of one extent block changed (its ECC recomputed
//!   with the library, checked by debugfs reading the block without a CRC error),
//!   and both `check` (exit 4, the block and field named) and `fsck.ocfs2 -fn`
//!   report it; without the ECC fix, both fail the block's checksum first. A
//!   wrong `h_next_leaf_blk` is shown as on disk and not followed when reading;
//!   `check` also reports a wrong `h_next_leaf_blk` (fsck.ocfs2 1.8.7 does not)
//!   and a wrong `i_last_eb_blk` (on which fsck.ocfs2 -n gives up, exit 8).
//!
//! Block and inode numbers come from debugfs.ocfs2 or from our own `stat`
//! (checked against debugfs), never from this file.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::mem::{offset_of, size_of};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{debugfs_batch, fsck, inspect, inspect_json, require_tool};
use ocfs2_format::layout::blockcheck;
use ocfs2_format::layout::extent::{ExtentBlock, ExtentList, ExtentRec};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const FIXTURE: &str = "E-extents";

/// A file the guest wrote with `kfixtool frag PATH COUNT SEED`: block `2i` of
/// pattern `SEED` at every other 4 KiB offset, one cluster each.
#[derive(Debug)]
struct Frag {
    path: &'static str,
    count: u64,
    seed: u64,
    /// Size after the guest's `truncate`, if it truncated the file.
    truncated: Option<u64>,
    /// Tree depth and leaf extents as fixtures/README.md records them (from debugfs).
    depth: u64,
    extents: u64,
}

const FRAGS: &[Frag] = &[
    Frag { path: "/frag/d1", count: 300, seed: 61, truncated: None, depth: 1, extents: 300 },
    Frag { path: "/frag/d2", count: 2000, seed: 62, truncated: None, depth: 2, extents: 2000 },
    Frag { path: "/frag/d3", count: 16000, seed: 63, truncated: None, depth: 3, extents: 16000 },
    Frag { path: "/frag/trunc", count: 2000, seed: 64, truncated: Some(815_104), depth: 2, extents: 100 },
];

/// The other regular files (one extent, an empty list, inline data).
const PLAIN: &[&str] = &["/plain/pat64k", "/plain/empty", "/plain/hello.txt", "/plain/inline200"];

/// Pattern files are made of 4 KiB blocks, whatever the volume's block size.
const PAT_BLOCK: u64 = 4096;

// ---------------------------------------------------------------------------
// Running the tools

fn img() -> PathBuf {
    common::fixture(FIXTURE)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `debugfs.ocfs2 -R CMD IMAGE`: stdout, failing on any error message (debugfs
/// exits 0 even when the command failed and says so on stderr).
fn debugfs(img: &Path, cmd: &str) -> String {
    let out = Command::new("debugfs.ocfs2").arg("-R").arg(cmd).arg(img).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "debugfs.ocfs2 -R {cmd:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

/// The volume's block size, from debugfs.ocfs2 `stats`.
fn block_size(img: &Path) -> u64 {
    let text = debugfs(img, "stats");
    let bits = text.lines().find_map(|l| kv(l).get("Block Size Bits").cloned()).unwrap();
    1 << bits.parse::<u32>().unwrap()
}

/// `ocfs2-inspect --json check IMAGE`: exit code and the report.
fn check(img: &Path) -> (Option<i32>, Value) {
    let out = inspect(&["--json", "check", "--no-progress", s(img)]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

// ---------------------------------------------------------------------------
// debugfs's extent dumps, and ours in the same shape

/// The `Key: value` pairs of one debugfs line (pairs are three spaces apart).
fn kv(line: &str) -> BTreeMap<String, String> {
    line.trim()
        .split("   ")
        .filter_map(|p| p.trim().split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn num(m: &BTreeMap<String, String>, key: &str) -> u64 {
    let v = m.get(key).unwrap_or_else(|| panic!("no {key:?} in {m:?}"));
    // `User: 0 (root)`: the number comes first.
    v.split_whitespace().next().unwrap().parse().unwrap_or_else(|_| panic!("{key}: {v:?}"))
}

fn hex(m: &BTreeMap<String, String>, key: &str) -> u64 {
    u64::from_str_radix(m.get(key).unwrap_or_else(|| panic!("no {key:?} in {m:?}")), 16).unwrap()
}

/// One extent record: index, cpos, clusters, block, and for leaves the flags
/// with their names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    index: u64,
    cpos: u64,
    clusters: u64,
    blkno: u64,
    flags: Option<(u64, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct List {
    depth: u64,
    count: u64,
    next_free: u64,
    recs: Vec<Rec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    blkno: u64,
    next_leaf: u64,
    suballoc_slot: u64,
    suballoc_bit: u64,
    /// `SubAlloc Group`, which debugfs prints only when it is set.
    suballoc_loc: u64,
    crc32: u64,
    ecc: u64,
    list: List,
}

/// An inode's extent tree: its list and every extent block, depth first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tree {
    size: u64,
    clusters: u64,
    last_extblk: u64,
    list: List,
    blocks: Vec<Block>,
}

/// Parses what debugfs prints for `stat` (inode facts, then `traverse_extents`:
/// a list, each child's header and subtree, depth first) or for `extent <BLK>`
/// (a header and a list). Lists and blocks come out in the order printed.
fn parse_dump(text: &str) -> (BTreeMap<String, String>, Vec<List>, Vec<Block>) {
    let mut facts = BTreeMap::new();
    let mut lists: Vec<List> = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    // Which list the next rows go to: `Some(i)` = blocks[i], `None` = lists.last().
    let mut owner: Option<Option<usize>> = None;
    let mut header: Option<BTreeMap<String, String>> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("##") {
            continue;
        }
        if t.starts_with("SubAlloc Bit:") {
            header = Some(kv(t));
            continue;
        }
        if let (Some(h), true) = (header.as_mut(), t.starts_with("Blknum:") || t.starts_with("CRC32:")) {
            // (the inode's own `CRC32:` line comes before any block header)
            h.extend(kv(t));
            continue;
        }
        if t.starts_with("Tree Depth:") {
            let m = kv(t);
            let list = List {
                depth: num(&m, "Tree Depth"),
                count: num(&m, "Count"),
                next_free: num(&m, "Next Free Rec"),
                recs: vec![],
            };
            if let Some(h) = header.take() {
                blocks.push(Block {
                    blkno: num(&h, "Blknum"),
                    next_leaf: num(&h, "Next Leaf"),
                    suballoc_slot: num(&h, "SubAlloc Slot"),
                    suballoc_bit: num(&h, "SubAlloc Bit"),
                    suballoc_loc: h.get("SubAlloc Group").map_or(0, |_| num(&h, "SubAlloc Group")),
                    crc32: hex(&h, "CRC32"),
                    ecc: hex(&h, "ECC"),
                    list,
                });
                owner = Some(Some(blocks.len() - 1));
            } else {
                assert!(blocks.is_empty() && lists.is_empty(), "a second inode list in {text}");
                lists.push(list);
                owner = Some(None);
            }
            continue;
        }
        let tokens: Vec<&str> = t.split_whitespace().collect();
        if let (Some(o), Ok(index)) = (owner, tokens[0].parse::<u64>()) {
            let list = match o {
                Some(i) => &mut blocks[i].list,
                None => lists.last_mut().unwrap(),
            };
            let field = |i: usize| tokens[i].parse::<u64>().unwrap_or_else(|_| panic!("record row {t:?}"));
            let flags = (list.depth == 0).then(|| {
                let f = u64::from_str_radix(tokens[4].strip_prefix("0x").unwrap(), 16).unwrap();
                (f, tokens[5..].iter().map(|s| s.to_string()).collect())
            });
            assert_eq!(tokens.len() >= 5, list.depth == 0, "record row {t:?} at depth {}", list.depth);
            list.recs.push(Rec { index, cpos: field(1), clusters: field(2), blkno: field(3), flags });
            continue;
        }
        if owner.is_none() {
            facts.extend(kv(t));
        }
    }
    for l in lists.iter().chain(blocks.iter().map(|b| &b.list)) {
        assert_eq!(l.recs.len() as u64, l.next_free, "debugfs printed {} rows for {l:?}", l.recs.len());
    }
    (facts, lists, blocks)
}

/// debugfs.ocfs2 `stat PATH` as a tree.
fn debugfs_tree(text: &str) -> Tree {
    let (facts, mut lists, blocks) = parse_dump(text);
    assert_eq!(lists.len(), 1, "stat shows one inode list: {text}");
    Tree {
        size: num(&facts, "Size"),
        clusters: num(&facts, "Clusters"),
        last_extblk: num(&facts, "Last Extblk"),
        list: lists.remove(0),
        blocks,
    }
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("no number {k:?} in {v}"))
}

fn our_list(v: &Value) -> List {
    let depth = n(v, "tree_depth");
    List {
        depth,
        count: n(v, "count"),
        next_free: n(v, "next_free_rec"),
        recs: v["recs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| Rec {
                index: n(r, "index"),
                cpos: n(r, "offset"),
                clusters: n(r, "clusters"),
                blkno: n(r, "blkno"),
                flags: (depth == 0).then(|| {
                    let names = r["flag_names"].as_array().unwrap().iter();
                    (n(r, "flags"), names.map(|x| x.as_str().unwrap().to_string()).collect())
                }),
            })
            .collect(),
    }
}

fn our_block(b: &Value) -> Block {
    Block {
        blkno: n(b, "blkno"),
        next_leaf: n(b, "next_leaf_blk"),
        suballoc_slot: n(b, "suballoc_slot"),
        suballoc_bit: n(b, "suballoc_bit"),
        suballoc_loc: n(b, "suballoc_loc"),
        crc32: n(b, "crc32"),
        ecc: n(b, "ecc"),
        list: our_list(&b["list"]),
    }
}

/// `ocfs2-inspect --json stat [-T] IMAGE PATH` as a tree.
fn our_tree(img: &Path, path: &str, traverse: bool) -> (Value, Tree) {
    let mut args = vec!["stat"];
    if !traverse {
        args.push("-T");
    }
    args.extend([s(img), path]);
    let v = inspect_json(&args);
    assert_eq!(v["kind"], "extents", "stat {path}: {v}");
    let t = Tree {
        size: n(&v, "size"),
        clusters: n(&v, "clusters"),
        last_extblk: n(&v, "last_extblk"),
        list: our_list(&v["list"]),
        blocks: v["extent_blocks"].as_array().unwrap().iter().map(our_block).collect(),
    };
    (v, t)
}

/// The leaf records of a tree, in logical order (the blocks are depth first).
fn leaf_recs(t: &Tree) -> Vec<&Rec> {
    if t.list.depth == 0 {
        return t.list.recs.iter().collect();
    }
    t.blocks.iter().filter(|b| b.list.depth == 0).flat_map(|b| &b.list.recs).collect()
}

// ---------------------------------------------------------------------------
// The pattern the guest wrote (fixtures/README.md: `kfixtool pat`)

/// Block `b` of pattern `seed`: a 30-byte header and two NULs, then the fill byte.
fn pat_block(seed: u64, b: u64) -> Vec<u8> {
    let mut blk = vec![((seed * 31 + b) & 0xff) as u8; PAT_BLOCK as usize];
    let hdr = format!("kfix seed={:04} blk={b:010}\n", seed % 10000);
    assert_eq!(hdr.len(), 30);
    blk[..30].copy_from_slice(hdr.as_bytes());
    blk[30..32].fill(0);
    blk
}

/// The expected bytes of `f` at 4 KiB block `b`, or `None` past its end.
fn frag_block(f: &Frag, b: u64) -> Option<Vec<u8>> {
    let written = (2 * f.count - 1) * PAT_BLOCK;
    let size = f.truncated.unwrap_or(written);
    let start = b * PAT_BLOCK;
    if start >= size {
        return None;
    }
    let mut blk = if b % 2 == 0 { pat_block(f.seed, b) } else { vec![0; PAT_BLOCK as usize] };
    blk.truncate((size - start).min(PAT_BLOCK) as usize);
    Some(blk)
}

/// The guest's `file SHA SIZE PATH` records for this fixture in fixtures/README.md.
fn guest_hashes() -> BTreeMap<String, (String, u64)> {
    let out: BTreeMap<String, (String, u64)> = common::expectations(FIXTURE)
        .files
        .into_iter()
        .map(|(sha, size, path)| (format!("/{path}"), (sha, size)))
        .collect();
    assert!(out.len() >= FRAGS.len() + PLAIN.len(), "fixtures/README.md: records of {FIXTURE}: {out:?}");
    out
}

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Reading the intact fixture

/// Our `stat` of every file equals debugfs.ocfs2 `stat`: the inode's list, and
/// every extent block (header and records) in the same depth-first order; the
/// trees have the depths and extent counts fixtures/README.md documents.
#[test]
fn stat_trees_match_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = img();
    let specs: Vec<&str> = FRAGS.iter().map(|f| f.path).chain(PLAIN.iter().copied().take(2)).collect();
    let texts = debugfs_batch(&img, &specs.iter().map(|p| format!("stat {p}")).collect::<Vec<_>>());
    for (path, text) in specs.iter().zip(&texts) {
        let want = debugfs_tree(text);
        let (_, got) = our_tree(&img, path, true);
        assert_eq!(got.list, want.list, "{path}: the inode's extent list");
        assert_eq!(got.blocks.len(), want.blocks.len(), "{path}: extent blocks");
        for (g, w) in got.blocks.iter().zip(&want.blocks) {
            assert_eq!(g, w, "{path}: extent block {}", w.blkno);
        }
        assert_eq!(got, want, "{path}");
        // Only the fragmented files have extent blocks; each of them is what the
        // README says, as debugfs reads it.
        if let Some(f) = FRAGS.iter().find(|f| f.path == *path) {
            assert_eq!(want.list.depth, f.depth, "{path}: tree depth (debugfs)");
            let leaves = leaf_recs(&want);
            assert_eq!(leaves.len() as u64, f.extents, "{path}: leaf records (debugfs)");
            assert!(leaves.iter().all(|r| r.clusters == 1), "{path}: one cluster per extent");
            assert_eq!(want.clusters, f.extents, "{path}: i_clusters");
            // Every level below the inode is there: one depth per block level.
            let depths: std::collections::BTreeSet<u64> = want.blocks.iter().map(|b| b.list.depth).collect();
            assert_eq!(depths, (0..f.depth).collect(), "{path}: levels of extent blocks");
        } else {
            assert_eq!(want.list.depth, 0, "{path}");
            assert!(want.blocks.is_empty(), "{path}");
        }
    }
}

/// `stat -T` does not traverse: no extent blocks, as with debugfs.ocfs2
/// `stat -T` (which prints not even the inode's list); our list is the one
/// debugfs shows with traversal.
#[test]
fn stat_without_traversal_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = img();
    for f in FRAGS {
        let text = debugfs(&img, &format!("stat -T {}", f.path));
        let (facts, lists, blocks) = parse_dump(&text);
        assert!(lists.is_empty() && blocks.is_empty(), "debugfs stat -T {} traversed: {text}", f.path);
        let full = debugfs_tree(&debugfs(&img, &format!("stat {}", f.path)));
        let (_, got) = our_tree(&img, f.path, false);
        assert!(got.blocks.is_empty(), "stat -T {} traversed", f.path);
        assert_eq!(got.list, full.list, "stat -T {}: the inode's list", f.path);
        let facts = (num(&facts, "Size"), num(&facts, "Clusters"), num(&facts, "Last Extblk"));
        assert_eq!((got.size, got.clusters, got.last_extblk), facts, "stat -T {}", f.path);
    }
}

/// Each extent block, read on its own with debugfs.ocfs2 `extent <BLK>`, is the
/// block our `stat` shows, and the tree is well formed as debugfs reads it:
/// every interior record points to a block one level down whose records start at
/// the interior record's cpos, leaves are chained left to right by
/// `h_next_leaf_blk` (0 on the last), and `i_last_eb_blk` is the last leaf.
#[test]
fn extent_blocks_match_debugfs_extent() {
    require_tool("debugfs.ocfs2");
    let img = img();
    for f in FRAGS {
        let (_, ours) = our_tree(&img, f.path, true);
        let cmds: Vec<String> = ours.blocks.iter().map(|b| format!("extent <{}>", b.blkno)).collect();
        let by_blkno: BTreeMap<u64, &Block> = ours.blocks.iter().map(|b| (b.blkno, b)).collect();
        for (b, text) in ours.blocks.iter().zip(debugfs_batch(&img, &cmds)) {
            let (_, lists, mut blocks) = parse_dump(&text);
            assert!(lists.is_empty() && blocks.len() == 1, "extent <{}>: {text}", b.blkno);
            assert_eq!(b, &blocks.remove(0), "{}: extent <{}>", f.path, b.blkno);
        }
        // Interior records point one level down, to blocks that start at their cpos.
        let lists = std::iter::once(&ours.list).chain(ours.blocks.iter().map(|b| &b.list));
        for l in lists.filter(|l| l.depth > 0) {
            for r in &l.recs {
                let child = by_blkno.get(&r.blkno).unwrap_or_else(|| panic!("{}: no block {}", f.path, r.blkno));
                assert_eq!(child.list.depth + 1, l.depth, "{}: depth under {r:?}", f.path);
                assert_eq!(child.list.recs[0].cpos, r.cpos, "{}: first cpos under {r:?}", f.path);
            }
        }
        let leaves: Vec<&Block> = ours.blocks.iter().filter(|b| b.list.depth == 0).collect();
        for w in leaves.windows(2) {
            assert_eq!(w[0].next_leaf, w[1].blkno, "{}: leaf {} is followed by {}", f.path, w[0].blkno, w[1].blkno);
        }
        assert_eq!(leaves.last().unwrap().next_leaf, 0, "{}: the last leaf has no next", f.path);
        assert!(ours.blocks.iter().filter(|b| b.list.depth > 0).all(|b| b.next_leaf == 0), "{}", f.path);
        assert_eq!(ours.last_extblk, leaves.last().unwrap().blkno, "{}: i_last_eb_blk", f.path);
    }
}

/// `bmap` of sampled logical blocks (the start, a stride across the file, the
/// end, past the end, and for the truncated file where its old extents were)
/// equals debugfs.ocfs2 `bmap`; what is mapped is exactly the written clusters.
#[test]
fn bmap_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = img();
    let bs = block_size(&img);
    let per_cluster = 4096 / bs; // 4 KiB clusters
    for f in FRAGS {
        let size = f.truncated.unwrap_or((2 * f.count - 1) * PAT_BLOCK);
        let blocks = size.div_ceil(bs);
        let mut lblks: Vec<u64> = (0..3 * per_cluster).collect();
        lblks.extend((0..blocks).step_by((blocks / 61).max(1) as usize));
        lblks.extend([blocks - 1, blocks, blocks + per_cluster]);
        if f.truncated.is_some() {
            // Where the extents were before the truncate: holes now.
            let old_last = 2 * (f.count - 1) * per_cluster;
            lblks.extend([old_last, old_last + 1, old_last / 2]);
        }
        lblks.sort_unstable();
        lblks.dedup();
        let cmds: Vec<String> = lblks.iter().map(|l| format!("bmap {} {l}", f.path)).collect();
        let mut mapped = 0;
        for (l, text) in lblks.iter().zip(debugfs_batch(&img, &cmds)) {
            let want: u64 = text.trim().parse().unwrap_or_else(|_| panic!("debugfs bmap {} {l}: {text:?}", f.path));
            let got = inspect_json(&["bmap", s(&img), f.path, &l.to_string()]);
            assert_eq!(n(&got, "physical"), want, "bmap {} {l}", f.path);
            let cluster = l / per_cluster;
            let written = cluster % 2 == 0 && cluster / 2 < f.extents;
            assert_eq!(want != 0, written, "{} block {l}: mapped only where the guest wrote", f.path);
            assert_eq!(got["hole"].as_bool(), Some(!written), "bmap {} {l}: {got}", f.path);
            mapped += u64::from(written);
        }
        assert!(mapped > 10, "{}: only {mapped} mapped samples", f.path);
    }
}

/// `cat` of every file equals debugfs.ocfs2 `dump`, byte for byte, and the
/// pattern the guest wrote, with the guest's sha256.
#[test]
fn cat_matches_debugfs_dump() {
    require_tool("debugfs.ocfs2");
    let img = img();
    let hashes = guest_hashes();
    let out = TempDir::new().unwrap();
    let paths: Vec<&str> = FRAGS.iter().map(|f| f.path).chain(PLAIN.iter().copied()).collect();
    for path in paths {
        let ours = inspect(&["cat", s(&img), path]);
        assert!(ours.status.success(), "cat {path}: {}", String::from_utf8_lossy(&ours.stderr));
        let ours = ours.stdout;
        let dumped = out.path().join("dump");
        debugfs(&img, &format!("dump {path} {}", dumped.display()));
        let mut theirs = fs::File::open(&dumped).unwrap();
        assert_eq!(theirs.metadata().unwrap().len(), ours.len() as u64, "{path}: size vs debugfs dump");
        let mut chunk = vec![0; 1 << 20];
        for (i, mine) in ours.chunks(chunk.len()).enumerate() {
            theirs.read_exact(&mut chunk[..mine.len()]).unwrap();
            assert!(mine == &chunk[..mine.len()], "{path}: cat differs from debugfs dump in MiB {i}");
        }
        fs::remove_file(&dumped).unwrap();
        let (sha, size) = &hashes[path];
        assert_eq!((ours.len() as u64, &sha256(&ours)), (*size, sha), "{path}: the guest's sha256");
        if let Some(f) = FRAGS.iter().find(|f| f.path == path) {
            for (b, got) in ours.chunks(PAT_BLOCK as usize).enumerate() {
                let want = frag_block(f, b as u64).unwrap();
                assert!(got == want.as_slice(), "{path}: 4 KiB block {b} is not what kfixtool frag wrote");
            }
            assert_eq!(frag_block(f, ours.len().div_ceil(PAT_BLOCK as usize) as u64), None);
        }
    }
    // The tool reads the .zst as it is, through the same trees.
    let zst = common::fixture_zst(FIXTURE);
    let from_zst = inspect(&["cat", s(&zst), "/frag/d2"]);
    let from_raw = inspect(&["cat", s(&img), "/frag/d2"]);
    assert!(from_zst.status.success() && from_zst.stdout == from_raw.stdout, "cat from the .zst");
}

/// `frag` (extents per cluster) prints what debugfs.ocfs2 `frag` prints.
#[test]
fn frag_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = img();
    for f in FRAGS {
        let theirs = debugfs(&img, &format!("frag {}", f.path));
        let ours = inspect(&["frag", s(&img), f.path]);
        assert!(ours.status.success());
        assert_eq!(String::from_utf8_lossy(&ours.stdout).trim(), theirs.trim(), "frag {}", f.path);
        let j = inspect_json(&["frag", s(&img), f.path]);
        assert_eq!((n(&j, "extents"), n(&j, "clusters")), (f.extents, f.extents), "frag {}: {j}", f.path);
    }
}

/// `check` finds nothing wrong and counts every extent block debugfs.ocfs2
/// traverses in the volume's files; `fsck.ocfs2 -fn` passes as well.
#[test]
fn check_is_clean_like_fsck() {
    require_tool("debugfs.ocfs2");
    require_tool("fsck.ocfs2");
    let img = img();
    // Every inode named in the directory tree and in the system directory.
    let mut specs = Vec::new();
    for dir in ["/", "/frag", "/plain", "/lost+found", "//"] {
        for line in debugfs(&img, &format!("ls -l {dir}")).lines().filter(|l| !l.trim().is_empty()) {
            let name = line.split_whitespace().last().unwrap();
            if name != "." && name != ".." {
                specs.push(if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") });
            }
        }
    }
    assert!(specs.len() > 20, "{specs:?}");
    let texts = debugfs_batch(&img, &specs.iter().map(|p| format!("stat {p}")).collect::<Vec<_>>());
    // debugfs heads every extent block it traverses with `SubAlloc Bit:` (chain
    // allocators' groups look different).
    let per_inode: BTreeMap<&str, usize> = specs
        .iter()
        .map(String::as_str)
        .zip(texts.iter().map(|t| t.lines().filter(|l| l.trim_start().starts_with("SubAlloc Bit:")).count()))
        .collect();
    let extent_blocks: usize = per_inode.values().sum();
    let in_frag: usize = FRAGS.iter().map(|f| per_inode[f.path]).sum();
    assert_eq!(extent_blocks, in_frag, "only the frag files have extent blocks: {per_inode:?}");

    let (code, report) = check(&img);
    assert_eq!(code, Some(0), "check: {report}");
    let sum = &report["summary"];
    assert_eq!((sum["clean"].as_bool(), n(sum, "errors")), (Some(true), 0), "{report}");
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["severity"] != "error"), "{report}");
    assert_eq!(n(sum, "extent_blocks"), extent_blocks as u64, "check: extent blocks walked");

    let (code, text) = fsck(&img);
    assert_eq!(code, Some(0), "fsck.ocfs2 -fn: {text}");
    assert!(text.contains("All passes succeeded."), "{text}");
}

// ---------------------------------------------------------------------------
// Damaged copies

/// A private copy of the fixture.
struct Copy {
    _dir: TempDir,
    img: PathBuf,
    bs: u64,
}

impl Copy {
    fn new() -> Copy {
        let dir = TempDir::new().unwrap();
        let img = dir.path().join(format!("{FIXTURE}.img"));
        common::decompress_fixture(FIXTURE, &img);
        let bs = block_size(&img);
        Copy { _dir: dir, img, bs }
    }

    /// Changes extent block `blkno` with `edit`, then (with `fix_ecc`) stores a
    /// fresh metadata ECC so that only the structure is wrong.
    fn edit(&self, blkno: u64, fix_ecc: bool, edit: impl FnOnce(&mut [u8])) {
        let f = fs::OpenOptions::new().read(true).write(true).open(&self.img).unwrap();
        let mut b = vec![0; self.bs as usize];
        f.read_exact_at(&mut b, blkno * self.bs).unwrap();
        assert_eq!(&b[..8], b"EXBLK01\0", "block {blkno} is not an extent block");
        let before = b.clone();
        edit(&mut b);
        assert_ne!(b, before, "the edit changed nothing");
        if fix_ecc {
            blockcheck::compute(&mut b, offset_of!(ExtentBlock, h_check)).unwrap();
        }
        f.write_all_at(&b, blkno * self.bs).unwrap();
        if fix_ecc {
            // libocfs2 checks the ECC of every extent block it reads: ours must pass.
            let cmd = format!("extent <{blkno}>");
            let out = Command::new("debugfs.ocfs2").arg("-R").arg(cmd).arg(&self.img).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("CRC"), "debugfs rejects the recomputed ECC of block {blkno}: {err}");
        }
    }
}

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

const LIST: usize = offset_of!(ExtentBlock, h_list);

/// Byte offset of field `field_off` of record `i` in an extent block.
fn rec_at(i: usize, field_off: usize) -> usize {
    size_of::<ExtentBlock>() + i * size_of::<ExtentRec>() + field_off
}

/// The damage target: `/frag/d2` (depth 2) from our `stat` of the intact
/// fixture (checked against debugfs by `stat_trees_match_debugfs`): its inode,
/// its first depth-1 block and its first leaf.
struct Target {
    inode: u64,
    clusters: u64,
    interior: Block,
    leaf: Block,
}

fn target() -> Target {
    let (v, t) = our_tree(&img(), "/frag/d2", true);
    let interior = t.blocks.iter().find(|b| b.list.depth == 1).unwrap().clone();
    let leaf = t.blocks.iter().find(|b| b.list.depth == 0).unwrap().clone();
    assert_eq!(interior.list.recs[0].blkno, leaf.blkno, "the first leaf is under the first interior block");
    assert!(interior.list.recs.len() >= 3 && leaf.list.recs.len() >= 6);
    Target { inode: n(&v, "inode"), clusters: t.clusters, interior, leaf }
}

/// Asserts `check` exits 4 with an error of `code` at `blkno` naming `field`.
fn assert_check_finds(img: &Path, code: &str, blkno: u64, field: &str) -> Value {
    let (exit, report) = check(img);
    assert_eq!(exit, Some(4), "check: {report}");
    let findings = report["findings"].as_array().unwrap();
    let hit = findings.iter().find(|f| f["code"] == code && n(f, "blkno") == blkno && f["field"] == field);
    assert!(
        hit.is_some_and(|f| f["severity"] == "error"),
        "check: no {code} error at block {blkno} naming {field}; findings: {}",
        serde_json::to_string_pretty(findings).unwrap()
    );
    hit.unwrap().clone()
}

/// Asserts `fsck.ocfs2 -fn` printed problem `[code]` on a line naming `what`
/// (fsck.ocfs2 1.8.7 exits 0 after some declined fixes, so its text is judged).
fn assert_fsck_finds(img: &Path, code: &str, what: u64) -> String {
    let (_, text) = fsck(img);
    let tag = format!("[{code}]");
    let line = text.lines().find(|l| l.starts_with(&tag));
    let line = line.unwrap_or_else(|| panic!("fsck.ocfs2 -fn does not report {tag}:\n{text}"));
    assert!(line.contains(&what.to_string()), "fsck.ocfs2: {line:?} does not name {what}");
    text
}

/// The leaf's `h_blkno` names another block: EB_BLKNO.
#[test]
fn damaged_h_blkno_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| put_u64(b, offset_of!(ExtentBlock, h_blkno), t.leaf.blkno + 1));
    let f = assert_check_finds(&c.img, "EB_BLKNO", t.leaf.blkno, "blkno");
    assert_eq!(f["found"], (t.leaf.blkno + 1).to_string(), "{f}");
    assert_fsck_finds(&c.img, "EB_BLKNO", t.leaf.blkno);
}

/// The leaf's `h_fs_generation` is another volume's: EB_GEN.
#[test]
fn damaged_h_fs_generation_is_reported_by_both() {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| {
        let at = offset_of!(ExtentBlock, h_fs_generation);
        let g = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        put_u32(b, at, g ^ 0x5a5a_5a5a);
    });
    assert_check_finds(&c.img, "EB_GEN", t.leaf.blkno, "fs_generation");
    assert_fsck_finds(&c.img, "EB_GEN", t.leaf.blkno);
    // Only the bad leaf drops out of the file's map: the clusters of its
    // extents lose their owner, the other 71 leaves still account for theirs.
    let (_, report) = check(&c.img);
    let findings = report["findings"].as_array().unwrap();
    let lost: Vec<&Value> = findings.iter().filter(|f| f["code"] == "CLUSTER_ALLOC_BIT").collect();
    assert!(!lost.is_empty() && lost.len() <= t.leaf.list.recs.len(), "{lost:#?}");
    // (The quota notes are the undamaged image's own: mkfs.ocfs2 left lost+found uncharged;
    // so is the note on its system directory, unindexed in blocks.)
    let others: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] != "CLUSTER_ALLOC_BIT" && n(f, "blkno") != t.leaf.blkno)
        .filter(|f| f["structure"] != "ocfs2_global_disk_dqblk")
        .filter(|f| !(f["code"] == "DX_TREE_MISSING" && f["severity"] == "info"))
        .collect();
    assert!(others.is_empty(), "findings beyond the bad leaf: {others:#?}");
}

/// A leaf claims depth 1 under a depth-1 block: EXTENT_LIST_DEPTH.
#[test]
fn damaged_l_tree_depth_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| put_u16(b, LIST + offset_of!(ExtentList, l_tree_depth), 1));
    assert_check_finds(&c.img, "EXTENT_LIST_DEPTH", t.leaf.blkno, "l_tree_depth");
    assert_fsck_finds(&c.img, "EXTENT_LIST_DEPTH", t.inode);
}

/// A leaf's `l_next_free_rec` exceeds its `l_count`: EXTENT_LIST_FREE.
#[test]
fn damaged_l_next_free_rec_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    let over = u16::try_from(t.leaf.list.count + 1).unwrap();
    c.edit(t.leaf.blkno, true, |b| put_u16(b, LIST + offset_of!(ExtentList, l_next_free_rec), over));
    assert_check_finds(&c.img, "EXTENT_LIST_FREE", t.leaf.blkno, "l_next_free_rec");
    assert_fsck_finds(&c.img, "EXTENT_LIST_FREE", t.inode);
}

/// Leaf record 5 moved back onto record 2's cluster (so records overlap and run
/// backwards): EXTENT_OVERLAP. fsck.ocfs2 only sees a record start before the
/// clusters of the records to its left (here 5), so the new cpos is below that.
#[test]
fn damaged_leaf_e_cpos_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    let back = t.leaf.list.recs[2].cpos;
    assert!(back < 5 && t.leaf.list.recs[..5].iter().all(|r| r.clusters == 1), "{:?}", t.leaf.list.recs);
    c.edit(t.leaf.blkno, true, |b| put_u32(b, rec_at(5, offset_of!(ExtentRec, e_cpos)), back as u32));
    let f = assert_check_finds(&c.img, "EXTENT_OVERLAP", t.leaf.blkno, "e_cpos");
    assert_eq!(f["found"], back.to_string(), "{f}");
    let text = assert_fsck_finds(&c.img, "EXTENT_OVERLAP", t.inode);
    assert!(text.contains(&format!("set to {back} instead of 5")), "{text}");
}

/// An interior record's cpos runs backwards (record 2 of the first depth-1
/// block set below record 1's): EXTENT_OVERLAP at the interior block. The leaves
/// under it are intact, so only the interior cpos gives it away.
#[test]
fn damaged_interior_e_cpos_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    let recs = &t.interior.list.recs;
    let bad = recs[0].cpos + 10;
    let bound = recs[0].clusters + recs[1].clusters;
    assert!(bad < recs[1].cpos && bad < bound, "{recs:?}");
    c.edit(t.interior.blkno, true, |b| put_u32(b, rec_at(2, offset_of!(ExtentRec, e_cpos)), bad as u32));
    let f = assert_check_finds(&c.img, "EXTENT_OVERLAP", t.interior.blkno, "e_cpos");
    assert_eq!((f["found"].as_str(), f["expected"].as_str()), (Some(&*bad.to_string()), Some(&*format!(">= {bound}"))));
    let text = assert_fsck_finds(&c.img, "EXTENT_OVERLAP", t.inode);
    assert!(text.contains(&format!("set to {bad} instead of {bound}")), "{text}");
}

/// Interior record 1 points to record 0's leaf: a block met twice in the tree.
/// Ours names the interior block's `e_blkno`; fsck.ocfs2 sees the leaf's
/// records again below record 1's offset (EXTENT_OVERLAP) and its clusters twice.
#[test]
fn damaged_interior_e_blkno_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    let first = t.interior.list.recs[0].blkno;
    c.edit(t.interior.blkno, true, |b| put_u64(b, rec_at(1, offset_of!(ExtentRec, e_blkno)), first));
    let f = assert_check_finds(&c.img, "EXTENT_EB_INVALID", t.interior.blkno, "e_blkno");
    assert_eq!(f["found"], first.to_string(), "{f}");
    let text = assert_fsck_finds(&c.img, "EXTENT_OVERLAP", t.inode);
    assert!(text.contains("Duplicate clusters detected"), "{text}");
}

/// A leaf record grows onto the next record's cluster: the inode's clusters no
/// longer match its tree, and one cluster has two claims (found at the inode,
/// by both tools).
#[test]
fn damaged_e_leaf_clusters_is_reported_by_both() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| put_u16(b, rec_at(5, offset_of!(ExtentRec, e_leaf_clusters)), 2));
    let f = assert_check_finds(&c.img, "INODE_SPARSE_CLUSTERS", t.inode, "i_clusters");
    assert_eq!(
        (f["expected"].as_str(), f["found"].as_str()),
        (Some(&*(t.clusters + 1).to_string()), Some(&*t.clusters.to_string()))
    );
    let (_, report) = check(&c.img);
    let dup = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"].as_str().is_some_and(|c| c.starts_with("DUP_CLUSTERS")) && n(f, "blkno") == t.inode);
    assert!(dup, "check: no duplicate-cluster finding: {report}");
    let text = assert_fsck_finds(&c.img, "INODE_SPARSE_CLUSTERS", t.inode);
    assert!(text.contains("Duplicate clusters detected"), "{text}");
}

/// The same kind of change without a fresh ECC: both tools stop at the block's
/// checksum (fsck.ocfs2 aborts pass 1 with exit 8).
#[test]
fn damage_without_ecc_fails_the_checksum() {
    require_tool("fsck.ocfs2");
    let t = target();
    let c = Copy::new();
    let back = t.leaf.list.recs[2].cpos;
    c.edit(t.leaf.blkno, false, |b| put_u32(b, rec_at(5, offset_of!(ExtentRec, e_cpos)), back as u32));
    assert_check_finds(&c.img, "BAD_CRC32", t.leaf.blkno, "bc_crc32e");
    let (code, text) = fsck(&c.img);
    assert_eq!(code, Some(8), "{text}");
    assert!(text.contains(&format!("Bad CRC32 reading extent block at {}", t.leaf.blkno)), "{text}");
}

/// A wrong `h_next_leaf_blk` (valid ECC): the first leaf's successor is set to
/// the leaf after its real successor. `stat` shows the value as it is on disk,
/// like debugfs.ocfs2, and reading maps every block through the tree, so `cat`
/// still gives the guest's data and `bmap` in the skipped leaf agrees with
/// debugfs `bmap` (which descends the tree too). libocfs2's `cat`/`dump` do
/// follow `h_next_leaf_blk` to size the hole after a leaf's last extent, as the
/// kernel's `ocfs2_figure_hole_clusters` does, and read the skipped leaf's
/// clusters as a hole: not compared here. Whether a check reports the damage is
/// `check_reports_a_wrong_h_next_leaf_blk`.
#[test]
fn damaged_h_next_leaf_blk_is_shown_and_not_followed() {
    require_tool("debugfs.ocfs2");
    let t = target();
    let img = img();
    let (_, tree) = our_tree(&img, "/frag/d2", true);
    let leaves: Vec<&Block> = tree.blocks.iter().filter(|b| b.list.depth == 0).collect();
    assert_eq!(leaves[0].blkno, t.leaf.blkno);
    let (skipped, wrong) = (leaves[1], leaves[2].blkno);
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| put_u64(b, offset_of!(ExtentBlock, h_next_leaf_blk), wrong));
    let (_, ours) = our_tree(&c.img, "/frag/d2", true);
    let want = debugfs_tree(&debugfs(&c.img, "stat /frag/d2"));
    assert_eq!(ours, want, "stat after the damage");
    assert_eq!(ours.blocks.iter().find(|b| b.blkno == t.leaf.blkno).unwrap().next_leaf, wrong);
    let cat = inspect(&["cat", s(&c.img), "/frag/d2"]);
    assert!(cat.status.success());
    let (sha, size) = &guest_hashes()["/frag/d2"];
    assert_eq!((cat.stdout.len() as u64, &sha256(&cat.stdout)), (*size, sha), "cat after the damage");
    let per_cluster = 4096 / c.bs;
    let lblk = skipped.list.recs[0].cpos * per_cluster;
    let theirs: u64 = debugfs(&c.img, &format!("bmap /frag/d2 {lblk}")).trim().parse().unwrap();
    let got = inspect_json(&["bmap", s(&c.img), "/frag/d2", &lblk.to_string()]);
    assert_eq!((n(&got, "physical"), theirs), (skipped.list.recs[0].blkno, skipped.list.recs[0].blkno));
}

// ---------------------------------------------------------------------------
// Links fsck.ocfs2 -n does not report, that check does

/// A leaf's `h_next_leaf_blk` naming another leaf than its successor in the
/// tree: fsck.ocfs2 1.8.7 does not look ("XXX worry about next_leaf_blk" in its
/// extent.c), although the kernel and libocfs2 read it to size holes (see the
/// test above); check names the leaf and the field.
#[test]
fn check_reports_a_wrong_h_next_leaf_blk() {
    require_tool("debugfs.ocfs2");
    let t = target();
    let img = img();
    let (_, tree) = our_tree(&img, "/frag/d2", true);
    let wrong = tree.blocks.iter().filter(|b| b.list.depth == 0).nth(2).unwrap().blkno;
    let c = Copy::new();
    c.edit(t.leaf.blkno, true, |b| put_u64(b, offset_of!(ExtentBlock, h_next_leaf_blk), wrong));
    let (exit, report) = check(&c.img);
    assert_eq!(exit, Some(4), "check: {report}");
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| n(f, "blkno") == t.leaf.blkno && f["field"].as_str().is_some_and(|x| x.contains("next_leaf")));
    assert!(found, "check does not name block {}'s h_next_leaf_blk: {report}", t.leaf.blkno);
}

/// An inode whose `i_last_eb_blk` is not its rightmost leaf (inode ECC
/// recomputed): fsck.ocfs2 -fn stops in pass 1 trying to rewrite it (exit 8);
/// check names the inode and the field. The kernel appends through it.
#[test]
fn check_reports_a_wrong_i_last_eb_blk() {
    require_tool("debugfs.ocfs2");
    require_tool("fsck.ocfs2");
    use ocfs2_format::layout::dinode::DinodeHeader;
    let t = target();
    let c = Copy::new();
    let f = fs::OpenOptions::new().read(true).write(true).open(&c.img).unwrap();
    let mut b = vec![0; c.bs as usize];
    f.read_exact_at(&mut b, t.inode * c.bs).unwrap();
    assert_eq!(&b[..8], b"INODE01\0");
    put_u64(&mut b, offset_of!(DinodeHeader, i_last_eb_blk), t.leaf.blkno);
    blockcheck::compute(&mut b, offset_of!(DinodeHeader, i_check)).unwrap();
    f.write_all_at(&b, t.inode * c.bs).unwrap();
    let last = debugfs_tree(&debugfs(&c.img, "stat /frag/d2")).last_extblk;
    assert_eq!(last, t.leaf.blkno, "debugfs reads the damaged inode");
    let (code, text) = fsck(&c.img);
    assert_eq!(code, Some(8), "{text}");
    assert!(text.contains(&format!("iterating over the blocks for inode {}", t.inode)), "{text}");
    let (exit, report) = check(&c.img);
    assert_eq!(exit, Some(4), "check: {report}");
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| n(f, "blkno") == t.inode && f["field"].as_str().is_some_and(|x| x.contains("last_eb")));
    assert!(found, "check does not name inode {}'s i_last_eb_blk: {report}", t.inode);
}
