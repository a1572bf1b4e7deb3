//! Allocator commands against the real tools: `group`, `grpextents` and
//! `stat -T` against debugfs.ocfs2; `volinfo`, `mkfs-cmd`, `freeinode` and
//! `freefrag` against o2info, which reads only block devices (a loop device here).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{debugfs, fixture, inspect, inspect_json, mkfs, require_tool, Loop};
use serde_json::Value;

const MIB: u64 = 1 << 20;

fn o2info(dev: &str, args: &[&str]) -> String {
    let out = Command::new("o2info").args(args).arg(dev).output().expect("run o2info");
    assert!(out.status.success(), "o2info {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines of `text` from the first one starting with `from`.
fn from_line<'a>(text: &'a str, from: &str) -> Vec<&'a str> {
    text.lines().skip_while(|l| !l.trim_start().starts_with(from)).collect()
}

fn images(dir: &Path) -> Vec<PathBuf> {
    let cases: &[(&str, u64, &[&str])] = &[
        ("b1k_local", 64 * MIB, &["-b", "1K", "-N", "2", "-J", "size=4M", "-M", "local", "-L", "vol one"]),
        (
            "b4k_max",
            300 * MIB,
            &[
                "-b",
                "4K",
                "-C",
                "8K",
                "-N",
                "3",
                "-J",
                "size=4M",
                "--fs-feature-level=max-features",
                "--cluster-stack=o2cb",
                "--cluster-name=test",
            ],
        ),
        (
            "b2k_compat",
            128 * MIB,
            &["-b", "2K", "-C", "4K", "-N", "2", "-J", "size=4M,block64", "--fs-feature-level=max-compat"],
        ),
    ];
    cases
        .iter()
        .map(|(name, size, opts)| {
            let p = dir.join(format!("{name}.img"));
            mkfs(&p, *size, opts);
            p
        })
        .collect()
}

#[test]
fn o2info_reports_match() {
    require_tool("o2info");
    let tmp = tempfile::tempdir().unwrap();
    for img in images(tmp.path()) {
        let dev = Loop::attach(&img);
        let i = img.to_str().unwrap();
        let ours = String::from_utf8(inspect(&["volinfo", i]).stdout).unwrap();
        let theirs = o2info(&dev.0, &["--volinfo"]);
        assert_eq!(from_line(&ours, "Label:"), from_line(&theirs, "Label:"), "{i}: volinfo");
        let ours = inspect_json(&["mkfs-cmd", i]);
        let theirs = o2info(&dev.0, &["--mkfs"]);
        let theirs = theirs.lines().find(|l| l.starts_with("-N ")).unwrap();
        assert_eq!(ours["o2info"].as_str().unwrap(), theirs, "{i}: mkfs");
        let ours = String::from_utf8(inspect(&["freeinode", i]).stdout).unwrap();
        let theirs = o2info(&dev.0, &["--freeinode"]);
        assert_eq!(from_line(&ours, "Slot"), from_line(&theirs, "Slot"), "{i}: freeinode");
        for chunk in ["8", "64", "1024"] {
            let out = inspect(&["freefrag", i, chunk]);
            let cs = inspect_json(&["volinfo", i])["cluster_size"].as_u64().unwrap();
            if chunk.parse::<u64>().unwrap() * 1024 < cs {
                assert!(!out.status.success(), "a chunk below the cluster size is refused");
                continue;
            }
            let ours = String::from_utf8(out.stdout).unwrap();
            let theirs = o2info(&dev.0, &["--freefrag", chunk]);
            assert_eq!(from_line(&ours, "Blocksize:"), from_line(&theirs, "Blocksize:"), "{i}: freefrag {chunk}");
        }
    }
}

/// The recreated volume has the same geometry and features.
#[test]
fn mkfs_cmd_recreates_the_volume() {
    require_tool("mkfs.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    for img in images(tmp.path()) {
        let i = img.to_str().unwrap();
        let cmd = inspect_json(&["mkfs-cmd", i])["command"].as_str().unwrap().to_string();
        let copy = tmp.path().join("copy.img");
        std::fs::File::create(&copy).unwrap().set_len(std::fs::metadata(&img).unwrap().len()).unwrap();
        let line = cmd.replace("DEVICE", copy.to_str().unwrap());
        let out = Command::new("sh").arg("-c").arg(format!("{line} -F -q -x")).output().unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        let want = inspect_json(&["stats", i]);
        let got = inspect_json(&["stats", copy.to_str().unwrap()]);
        for k in [
            "feature_compat",
            "feature_incompat",
            "feature_ro_compat",
            "block_size",
            "cluster_size",
            "max_node_slots",
            "clusters",
            "label",
            "cluster_stack",
            "cluster_name",
        ] {
            assert_eq!(got[k], want[k], "{i}: {k} after {line}");
        }
        // The journals' JBD2 features too (block64 of b2k_compat).
        let journal = |p: &str| inspect_json(&["logdump", p, "0"])["superblock"]["feature_incompat"].clone();
        assert_eq!(journal(copy.to_str().unwrap()), journal(i), "{i}: journal features after {line}");
        std::fs::remove_file(&copy).unwrap();
    }
}

/// Rows of a debugfs table: lines whose first word is a number, as words.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.first().is_some_and(|f| f.bytes().all(|b| b.is_ascii_digit())))
        .collect()
}

#[test]
fn group_and_grpextents_match_debugfs() {
    require_tool("debugfs.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let mut imgs = images(tmp.path());
    imgs.push(fixture("A-default"));
    for img in imgs {
        let i = img.to_str().unwrap();
        for sysfile in ["//global_bitmap", "//inode_alloc:0000", "//extent_alloc:0000", "//global_inode_alloc"] {
            let st = inspect_json(&["stat", i, sysfile]);
            let chains = st["chains"].as_array().unwrap();
            for g in chains.iter().flat_map(|c| c.as_array().unwrap()) {
                let blk = g["blkno"].as_u64().unwrap();
                let spec = format!("<{blk}>");
                // group: the chain from this group on.
                let ours = inspect_json(&["group", i, &spec]);
                let theirs = rows(&debugfs(&img, &format!("group {spec}")));
                let ours_rows: Vec<Vec<String>> = ours["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(n, g)| {
                        ["blkno", "total", "used", "free", "contig", "size"].iter().fold(
                            vec![n.to_string()],
                            |mut v, k| {
                                v.push(g[*k].to_string());
                                v
                            },
                        )
                    })
                    .collect();
                let theirs: Vec<Vec<String>> = theirs.into_iter().filter(|r| r.len() == 7).collect();
                assert_eq!(ours_rows, theirs, "{i}: group {spec}");
                // grpextents: the free runs.
                let ours = inspect_json(&["grpextents", i, &spec]);
                let text = debugfs(&img, &format!("grpextents {spec}"));
                let mut want: Vec<(u64, u64)> = Vec::new();
                for r in rows(&text) {
                    for triple in r.chunks(3).filter(|c| c.len() == 3) {
                        want.push((triple[1].parse().unwrap(), triple[2].parse().unwrap()));
                    }
                }
                let got: Vec<(u64, u64)> = ours["extents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e["start"].as_u64().unwrap(), e["length"].as_u64().unwrap()))
                    .collect();
                assert_eq!(got, want, "{i}: grpextents {spec}");
                let summary = text.lines().find(|l| l.contains("Free Extent Count")).unwrap();
                let expect = format!(
                    "Free Extent Count: {}   Longest: {}   Average: {}",
                    ours["count"], ours["longest"], ours["average"]
                );
                assert_eq!(summary.trim(), expect, "{i}: grpextents {spec} summary");
            }
        }
    }
}

#[test]
fn stat_without_traversal_skips_groups() {
    let img = common::fixture_zst("A-default");
    let i = img.to_str().unwrap();
    let t: Value = inspect_json(&["stat", "-t", i, "//global_bitmap"]);
    let n: Value = inspect_json(&["stat", "-T", i, "//global_bitmap"]);
    assert!(!t["chains"].as_array().unwrap().is_empty());
    assert!(n["chains"].as_array().unwrap().is_empty());
    assert_eq!(t["recs"], n["recs"], "the chain records show either way");
}

#[test]
fn space_usage_of_fixture_files() {
    let img = common::fixture_zst("A-default");
    let i = img.to_str().unwrap();
    let u = inspect_json(&["space-usage", i, "/sparse/holey"]);
    assert_eq!((u["clusters"].as_u64(), u["holes"].as_u64()), (Some(2), Some(2047)));
    let u = inspect_json(&["space-usage", i, "/data/prealloc"]);
    assert_eq!(u["unwritten"].as_u64(), Some(1024));
    let u = inspect_json(&["space-usage", i, "/data/pat20m"]);
    assert_eq!(u["shared"].as_u64(), Some(5120));
}
