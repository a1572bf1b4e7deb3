//! Indexed directories against debugfs.ocfs2 on the kernel-written fixtures:
//! `dx_dump` (root and every leaf entry), `dx_root`, `dx_leaf`, `dx_space`, and
//! `dirblocks` (every record of every block).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{debugfs, fixture, inspect_json, mkfs, require_tool};
use serde_json::Value;

/// (leaf block, [(major, minor, dirent block)]) per leaf.
type Leaves = Vec<(u64, Vec<(u32, u32, u64)>)>;
/// (block, [(inode, rec_len, name_len, file_type, name)]) per directory block.
type Blocks = Vec<(u64, Vec<(u64, u64, u64, u64, String)>)>;

/// (leaf block, [(major, minor, dirent block)]) from debugfs `dx_dump`/`dx_leaf` text.
fn debugfs_leaves(text: &str) -> Leaves {
    let mut out: Leaves = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Dir Index Leaf: ") {
            out.push((rest.split_whitespace().next().unwrap().parse().unwrap(), Vec::new()));
        } else if let Some((_, rest)) = t.split_once("(0x").filter(|_| t.starts_with(|c: char| c.is_ascii_digit())) {
            let (hashes, blk) = rest.split_once(')').unwrap();
            let (maj, min) = hashes.split_once(" 0x").unwrap();
            let e = (
                u32::from_str_radix(maj, 16).unwrap(),
                u32::from_str_radix(min, 16).unwrap(),
                blk.trim().parse().unwrap(),
            );
            out.last_mut().expect("an entry before any leaf").1.push(e);
        }
    }
    out
}

fn our_leaves(leaves: &Value) -> Leaves {
    leaves
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let entries = l["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["major_hash"].as_u64().unwrap() as u32,
                        e["minor_hash"].as_u64().unwrap() as u32,
                        e["dirent_blk"].as_u64().unwrap(),
                    )
                })
                .collect();
            (l["blkno"].as_u64().unwrap(), entries)
        })
        .collect()
}

fn field(text: &str, key: &str) -> u64 {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
    text[at..].split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn dx_dump_matches_debugfs_for_every_entry() {
    require_tool("debugfs.ocfs2");
    for fx in ["A-default", "X-max"] {
        let img = fixture(fx);
        let p = img.to_str().unwrap();
        let ours = inspect_json(&["dx_dump", p, "/bigdir"]);
        let theirs = debugfs(&img, "dx_dump /bigdir");
        let want = debugfs_leaves(&theirs);
        let got = our_leaves(&ours["leaves"]);
        assert_eq!(got.len(), want.len(), "{fx}: leaves");
        assert_eq!(got, want, "{fx}: dx_dump entries");
        let n: usize = got.iter().map(|l| l.1.len()).sum();
        assert_eq!(n, 5002, "{fx}: 5000 names plus . and ..");
        let root = &ours["root"];
        assert_eq!(root["num_entries"].as_u64().unwrap(), field(&theirs, "Total Entry Count:"));
        assert_eq!(root["clusters"].as_u64().unwrap(), field(&theirs, "Clusters:"));
        assert_eq!(root["dir_inode"].as_u64().unwrap(), field(&theirs, "Dir Inode:"));
        assert_eq!(root["blkno"].as_u64().unwrap(), field(&theirs, "Dir Index Root:"));

        // dx_root <N> and dx_leaf <N> agree with dx_dump and with debugfs.
        let rb = root["blkno"].as_u64().unwrap();
        let r = inspect_json(&["dx_root", p, &format!("<{rb}>")]);
        assert_eq!(r["extents"], root["extents"]);
        let dr = debugfs(&img, &format!("dx_root <{rb}>"));
        let recs: Vec<(u64, u64, u64)> = dr
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 5 && f[4].starts_with("0x") && f[0].parse::<u64>().is_ok())
                    .then(|| (f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap()))
            })
            .collect();
        let ours_recs: Vec<(u64, u64, u64)> = r["extents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["offset"].as_u64().unwrap(), e["clusters"].as_u64().unwrap(), e["blkno"].as_u64().unwrap()))
            .collect();
        assert_eq!(ours_recs, recs, "{fx}: dx_root records");
        let (lb, _) = &got[got.len() / 2];
        let l = inspect_json(&["dx_leaf", p, &lb.to_string()]);
        assert_eq!(our_leaves(&Value::Array(vec![l])), debugfs_leaves(&debugfs(&img, &format!("dx_leaf <{lb}>"))));

        // dx_space: the same free list.
        let space = inspect_json(&["dx_space", p, "/bigdir"]);
        let theirs = debugfs(&img, "dx_space /bigdir");
        let want: Vec<(u64, u64, u64)> = theirs
            .split("Trailer Block:")
            .skip(1)
            .map(|t| (field(t, ""), field(t, "Largest Hole:"), field(t, "Next Block:")))
            .collect();
        let got: Vec<(u64, u64, u64)> = space["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (t["blkno"].as_u64().unwrap(), t["largest_hole"].as_u64().unwrap(), t["next_free"].as_u64().unwrap())
            })
            .collect();
        assert!(!got.is_empty());
        assert_eq!(got, want, "{fx}: dx_space");
    }
}

#[test]
fn dirblocks_matches_debugfs_for_every_record() {
    require_tool("debugfs.ocfs2");
    for (fx, dir) in [("A-default", "/bigdir"), ("X-max", "/extra/deldir"), ("X-max", "/bigdir")] {
        dirblocks_agree(fx, &fixture(fx), dir);
    }
}

#[test]
fn dirblocks_stops_at_i_size() {
    require_tool("mkfs.ocfs2");
    // A 1 MiB cluster holds 512 blocks of 2 KiB; the system directory uses one.
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("2k-1m.img");
    mkfs(&img, 512 << 20, &["-b", "2048", "-C", "1M", "--fs-features=noinline-data"]);
    for d in ["//", "/", "/lost+found"] {
        dirblocks_agree("2k/1m", &img, d);
    }
}

/// `dirblocks DIR` of `img` lists the blocks and records debugfs.ocfs2 lists.
fn dirblocks_agree(fx: &str, img: &Path, dir: &str) {
    let ours = inspect_json(&["dirblocks", img.to_str().unwrap(), dir]);
    let theirs = debugfs(img, &format!("dirblocks {dir}"));
    let mut want: Blocks = Vec::new();
    let mut in_entries = false;
    for line in theirs.lines() {
        let t = line.trim();
        if let Some(b) = t.strip_prefix("Dirblock: ") {
            want.push((b.parse().unwrap(), Vec::new()));
            in_entries = false;
        } else if t == "Entries:" {
            in_entries = true;
        } else if in_entries {
            let f: Vec<&str> = t.splitn(5, char::is_whitespace).filter(|s| !s.is_empty()).collect();
            let f: Vec<&str> = if f.len() < 5 { t.split_whitespace().collect() } else { f };
            let n = |i: usize| f[i].trim().parse::<u64>().unwrap();
            let name = t.split_whitespace().skip(4).collect::<Vec<_>>().join(" ");
            want.last_mut().unwrap().1.push((n(0), n(1), n(2), n(3), name));
        }
    }
    let got: Blocks = ours["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let recs = b["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["inode"].as_u64().unwrap(),
                        r["rec_len"].as_u64().unwrap(),
                        r["name_len"].as_u64().unwrap(),
                        r["file_type"].as_u64().unwrap(),
                        r["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (b["blkno"].as_u64().unwrap(), recs)
        })
        .collect();
    assert_eq!(got, want, "{fx} {dir}");
}

/// Path lookup goes through the index in indexed directories; every name of
/// the big directory resolves to the inode `ls` (a linear scan) shows.
#[test]
fn lookup_through_the_index_agrees_with_ls() {
    let p = common::fixture_zst("A-default");
    let p = p.to_str().unwrap();
    let ls = inspect_json(&["ls", p, "/bigdir"]);
    for e in ls["entries"].as_array().unwrap().iter().step_by(97) {
        let name = e["name"].as_str().unwrap();
        if name == "." || name == ".." {
            continue;
        }
        let st = inspect_json(&["stat", p, &format!("/bigdir/{name}")]);
        assert_eq!(st["inode"], e["inode"], "{name}");
    }
}
