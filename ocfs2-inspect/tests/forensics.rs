//! `icheck` and `frag` against debugfs.ocfs2, and the listings beyond debugfs:
//! `ls -d` shows the MANIFEST's deleted file `data/deleted`, `lsdel` shows B's
//! orphan and freed inodes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{debugfs, fixture, inspect, inspect_json, mkfs, require_tool};

#[test]
fn icheck_matches_debugfs_for_every_block() {
    require_tool("debugfs.ocfs2");
    for fx in ["A-default", "X-max"] {
        let img = fixture(fx);
        // Superblock zone, allocators, inodes, dx, xattr, refcount blocks, file
        // data (shared and private), the second global-bitmap group, free space.
        let mut blocks: Vec<u64> = (0..48).collect();
        blocks.extend((8700..8760).step_by(3));
        blocks.extend((10760..10800).step_by(2));
        blocks.extend([32256, 32257, 32273, 32400, 32529, 32600, 32785, 37000, 37650, 37651, 37653, 37669, 37693]);
        blocks.extend((38700..39200).step_by(25));
        blocks.extend([50000, 60000, 65535]);
        icheck_agrees(fx, &img, &blocks);
    }
}

#[test]
fn icheck_first_group_of_large_clusters_is_not_the_superblock_zone() {
    require_tool("mkfs.ocfs2");
    // 64 blocks per cluster: the superblock zone is cluster 0 (blocks 0..=63);
    // block 64 opens the first cluster group, owned by its allocator.
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("1k-64k.img");
    mkfs(&img, 256 << 20, &["-b", "1024", "-C", "65536"]);
    icheck_agrees("1k/64k", &img, &[0, 2, 3, 63, 64, 65, 127, 128, 129, 191, 192]);
    let out = inspect(&["icheck", img.to_str().unwrap(), "64"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("superblock zone"));
}

/// Asks `icheck` about `blocks` of `img` and compares every row with debugfs.ocfs2's.
fn icheck_agrees(fx: &str, img: &Path, blocks: &[u64]) {
    let p = img.to_str().unwrap();
    for chunk in blocks.chunks(50) {
        let args: Vec<String> = chunk.iter().map(|b| b.to_string()).collect();
        let mut a = vec!["icheck", p];
        a.extend(args.iter().map(String::as_str));
        let ours = inspect_json(&a);
        let theirs = debugfs(img, &format!("icheck {}", args.join(" ")));
        let rows: Vec<Vec<&str>> = theirs.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows.len(), chunk.len());
        for (row, o) in rows.iter().zip(ours["blocks"].as_array().unwrap()) {
            let blk = row[0];
            assert_eq!(o["blkno"].as_u64().unwrap().to_string(), blk);
            let known: Vec<&serde_json::Value> =
                o["owners"].as_array().unwrap().iter().filter(|x| x["known_to_debugfs"] == true).collect();
            match row[1] {
                "Unused" => assert_eq!(o["status"], "unused", "{fx} block {blk}: {o}"),
                "Unknown" => assert!(known.is_empty(), "{fx} block {blk}: debugfs knows no owner, we say {o}"),
                ino => {
                    let first = known.first().unwrap_or_else(|| panic!("{fx} block {blk}: no owner, debugfs {ino}"));
                    assert_eq!(first["inode"].as_u64().unwrap().to_string(), ino, "{fx} block {blk}: {o}");
                    let off = row.get(2).copied();
                    assert_eq!(first["offset"].as_u64().map(|x| x.to_string()).as_deref(), off, "{fx} block {blk}");
                }
            }
        }
    }
}

#[test]
fn frag_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = fixture("A-default");
    let p = img.to_str().unwrap();
    for spec in
        ["/data/pat20m.reflink", "/data/pat1m", "/sparse/holey", "/bigdir", "/small/hello.txt", "/data/prealloc", "/"]
    {
        let ours = inspect(&["frag", p, spec]);
        assert!(ours.status.success());
        assert_eq!(String::from_utf8_lossy(&ours.stdout), debugfs(&img, &format!("frag {spec}")), "{spec}");
    }
}

#[test]
fn ls_d_shows_the_deleted_file() {
    let a = common::fixture_zst("A-default");
    let v = inspect_json(&["ls", "-d", a.to_str().unwrap(), "/data"]);
    let gone: Vec<&serde_json::Value> =
        v["entries"].as_array().unwrap().iter().filter(|e| e.get("deleted").is_some()).collect();
    assert_eq!(gone.len(), 1, "{v}");
    assert_eq!(gone[0]["name"], "deleted");
    assert_eq!(gone[0]["file_type"], 1);
    // The kernel zeroes the inode number of a deleted entry.
    assert_eq!(gone[0]["inode"], 0);
    // Without -d only live entries.
    let v = inspect_json(&["ls", a.to_str().unwrap(), "/data"]);
    assert!(v["entries"].as_array().unwrap().iter().all(|e| e.get("deleted").is_none() && e["name"] != "deleted"));

    // In a block directory: the 10 names removed from extra/deldir of X-max.
    let x = common::fixture_zst("X-max");
    let v = inspect_json(&["ls", "-d", x.to_str().unwrap(), "/extra/deldir"]);
    let mut gone: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("deleted").is_some())
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    gone.sort();
    assert_eq!(gone, (10..20).map(|i| format!("file-{i:03}")).collect::<Vec<_>>());
}

#[test]
fn lsdel_lists_orphans_and_freed_inodes() {
    let b = common::fixture_zst("B");
    let v = inspect_json(&["lsdel", b.to_str().unwrap()]);
    let orphan =
        v["inodes"].as_array().unwrap().iter().find(|d| d["inode"] == 15804).expect("B's orphan (fixtures/README.md)");
    assert_eq!(orphan["state"], "orphan");
    assert_eq!(orphan["size"], 65536);
    let a = common::fixture_zst("A-default");
    let v = inspect_json(&["lsdel", a.to_str().unwrap()]);
    assert!(v["inodes"].as_array().unwrap().iter().any(|d| d["state"] == "deleted" && d["allocated"] == false), "{v}");
}

/// Tables are aligned without padding the end of a line.
#[test]
fn tables_have_no_trailing_spaces() {
    let a = common::fixture_zst("A-default");
    let a = a.to_str().unwrap();
    for args in [&["ls", "-l", a, "/bigdir"][..], &["stats", a], &["icheck", a, "2", "40000"], &["stat", a, "/"]] {
        let out = inspect(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let padded = text.lines().filter(|l| l.ends_with(' ')).count();
        assert_eq!(padded, 0, "{args:?}: {padded} lines end in spaces");
    }
}

/// `lsdel` ends with a count line: how many inodes, orphans and freed ones.
#[test]
fn lsdel_counts_what_it_lists() {
    let b = common::fixture_zst("B");
    let b = b.to_str().unwrap();
    let v = inspect_json(&["lsdel", b]);
    let all = v["inodes"].as_array().unwrap();
    let orphans = all.iter().filter(|d| d["state"] == "orphan").count();
    assert_eq!(v["orphans"], orphans);
    let out = inspect(&["lsdel", b]);
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap();
    let want = format!("{} inodes: {orphans} orphans, {} deleted", all.len(), all.len() - orphans);
    assert!(last.starts_with(&want), "{last:?} should start with {want:?}");
}

/// `stats` names the backup superblocks, or says there are none and why.
#[test]
fn stats_says_why_there_are_no_backup_superblocks() {
    require_tool("debugfs.ocfs2");
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let line = |img: &Path| {
        let out = inspect(&["stats", img.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().find(|l| l.trim_start().starts_with("Backup superblocks:")).unwrap().to_string()
    };
    let small = dir.path().join("small.img");
    mkfs(&small, 64 << 20, &["-b", "4096"]);
    let l = line(&small);
    assert!(l.contains("none") && l.contains("smaller than 1 GiB") && !l.contains('['), "{l}");
    mkfs(&small, 64 << 20, &["-b", "4096", "--no-backup-super"]);
    let l = line(&small);
    assert!(l.contains("none") && l.contains("backup-super") && !l.contains('['), "{l}");
    // Past 1 GiB: the first backup, at byte 1 GiB (block 262144 of 4 KiB), which
    // debugfs.ocfs2 -s 1 opens.
    let big = dir.path().join("big.img");
    mkfs(&big, 1100 << 20, &["-b", "4096", "-N", "1", "-J", "size=4M"]);
    let l = line(&big);
    assert!(l.contains("262144") && !l.contains('['), "{l}");
    let o = std::process::Command::new("debugfs.ocfs2").args(["-s", "1", "-R", "stats"]).arg(&big).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("Revision"), "debugfs.ocfs2 -s 1 opens the backup");
}
