//! `logdump` against `debugfs.ocfs2 -R "logdump N"` on kernel-written journals
//! (a dirty one in B and C1, clean ones in A-default) and a fresh mkfs journal.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{debugfs, fixture, inspect_json, mkfs, require_tool};
use serde_json::Value;

/// What debugfs says about one journal block.
#[derive(Debug, Clone, PartialEq)]
enum Dbg {
    Superblock,
    Descriptor { seq: u64, tags: Vec<(u64, bool)> },
    Commit { seq: u64 },
    Revoke { seq: u64 },
    Meta(String),
    Data,
}

struct DebugfsLog {
    fields: BTreeMap<String, String>,
    blocks: BTreeMap<u64, Dbg>,
}

/// Parses debugfs.ocfs2's logdump text.
fn parse_debugfs(text: &str) -> DebugfsLog {
    let mut fields = BTreeMap::new();
    let mut blocks = BTreeMap::new();
    let mut cur: Option<u64> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Block ") {
            let (range, kind) = rest.split_once(": ").unwrap();
            let (a, b) = match range.split_once(" to ") {
                Some((a, b)) => (a.parse::<u64>().unwrap(), b.parse::<u64>().unwrap()),
                None => (range.parse().unwrap(), range.parse().unwrap()),
            };
            let k = match kind {
                "Journal Superblock" => Dbg::Superblock,
                "Journal Descriptor" => Dbg::Descriptor { seq: 0, tags: Vec::new() },
                "Journal Commit Block" => Dbg::Commit { seq: 0 },
                k if k.starts_with("Journal Revoke") => Dbg::Revoke { seq: 0 },
                "Unknown -- Probably Data" => Dbg::Data,
                other => Dbg::Meta(other.to_string()),
            };
            for n in a..=b {
                blocks.insert(n, k.clone());
            }
            cur = Some(a);
            continue;
        }
        let Some(n) = cur else { continue };
        if let Some(rest) = line.strip_prefix("Seq: ") {
            let seq: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
            if let Some(Dbg::Descriptor { seq: s, .. } | Dbg::Commit { seq: s } | Dbg::Revoke { seq: s }) =
                blocks.get_mut(&n)
            {
                *s = seq;
            }
            continue;
        }
        if let Some(Dbg::Descriptor { tags, .. }) = blocks.get_mut(&n) {
            // " 0. 14878           none" / " 1. 14879  JBD2_FLAG_SAME_UUID "
            if let Some((idx, rest)) = line.split_once(". ") {
                if idx.parse::<u64>().is_ok() {
                    let mut it = rest.split_whitespace();
                    let blk = it.next().unwrap().parse().unwrap();
                    let same_uuid = rest.contains("JBD2_FLAG_SAME_UUID");
                    tags.push((blk, same_uuid));
                }
            }
            continue;
        }
        if n == 0 {
            // "Blocksize: 4096   Total Blocks: 4096   First Block: 1"
            for part in line.split("   ") {
                if let Some((k, v)) = part.split_once(": ") {
                    fields.insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
    }
    DebugfsLog { fields, blocks }
}

/// Our raw scan, expanded to one entry per block, in debugfs's vocabulary.
fn ours_by_block(raw: &Value) -> BTreeMap<u64, Dbg> {
    let mut out = BTreeMap::new();
    for e in raw.as_array().unwrap() {
        let first = e["first"].as_u64().unwrap();
        let count = e["count"].as_u64().unwrap();
        let k = match e["kind"].as_str().unwrap() {
            "superblock" => Dbg::Superblock,
            "descriptor" => Dbg::Descriptor {
                seq: e["sequence"].as_u64().unwrap(),
                tags: e["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| {
                        let names: Vec<&str> =
                            t["flag_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
                        (t["blocknr"].as_u64().unwrap(), names.contains(&"JBD2_FLAG_SAME_UUID"))
                    })
                    .collect(),
            },
            "commit" => Dbg::Commit { seq: e["sequence"].as_u64().unwrap() },
            "revoke" => Dbg::Revoke { seq: e["sequence"].as_u64().unwrap() },
            // debugfs does not recognise directory blocks: it calls them data.
            "metadata" if e["structure"] == "DirBlock" => Dbg::Data,
            "metadata" => Dbg::Meta(e["structure"].as_str().unwrap().to_string()),
            "data" => Dbg::Data,
            other => panic!("unexpected kind {other}"),
        };
        for n in first..first + count {
            out.insert(n, k.clone());
        }
    }
    out
}

fn compare(image: &Path, slot: u16) -> Value {
    let img = image.to_str().unwrap();
    let s = slot.to_string();
    let dbg = parse_debugfs(&debugfs(image, &format!("logdump {slot}")));
    let ours = inspect_json(&["logdump", img, &s, "--raw"]);
    let sb = &ours["superblock"];
    for (key, field) in [
        ("Blocksize", "block_size"),
        ("Total Blocks", "total_blocks"),
        ("First Block", "first_block"),
        ("First Commit ID", "first_commit_id"),
        ("Start Log Blknum", "start_log_blknum"),
        ("Error", "errno"),
        ("FS Share Cnt", "nr_users"),
        ("Dynamic Superblk Blknum", "dynsuper"),
    ] {
        let want = dbg.fields.get(key).unwrap_or_else(|| panic!("debugfs printed no {key}"));
        assert_eq!(&sb[field].to_string(), want, "{img} slot {slot}: {key}");
    }
    assert_eq!(sb["uuid"].as_str().unwrap(), dbg.fields["Journal UUID"], "{img} slot {slot}: UUID");
    let by_block = ours_by_block(&ours["raw"]);
    assert_eq!(by_block.len(), dbg.blocks.len(), "{img} slot {slot}: number of blocks");
    for (n, want) in &dbg.blocks {
        assert_eq!(by_block.get(n), Some(want), "{img} slot {slot}: log block {n}");
    }
    inspect_json(&["logdump", img, &s])
}

#[test]
fn dirty_journal_of_b_matches_debugfs_and_replays_from_s_start() {
    require_tool("debugfs.ocfs2");
    let replay = compare(&fixture("B"), 0);
    // MANIFEST: Dirty, First Commit ID 12, Start Log Blknum 1222.
    assert_eq!(replay["dirty"], true);
    let txs = replay["transactions"].as_array().unwrap();
    assert!(!txs.is_empty());
    assert_eq!(txs[0]["sequence"], 12);
    assert_eq!(txs[0]["start"], 1222);
    for (i, t) in txs.iter().enumerate() {
        assert_eq!(t["sequence"].as_u64().unwrap(), 12 + i as u64, "consecutive transactions");
        assert_eq!(t["committed"], true, "sync had committed every transaction");
    }
    compare(&fixture("B"), 1);
}

#[test]
fn c1_and_a_default_journals_match_debugfs() {
    require_tool("debugfs.ocfs2");
    let c1 = compare(&fixture("C1"), 0);
    assert_eq!(c1["dirty"], true);
    assert_eq!(c1["transactions"][0]["sequence"], 2);
    for slot in 1..4 {
        let clean = compare(&fixture("C1"), slot);
        assert_eq!(clean["dirty"], false);
    }
    for slot in 0..2 {
        let a = compare(&fixture("A-default"), slot);
        assert_eq!(a["dirty"], false);
    }
    // A-default slot 0 was unmounted cleanly: s_start 0, nothing to replay.
    let a0 = inspect_json(&["logdump", fixture("A-default").to_str().unwrap(), "0"]);
    assert_eq!(a0["superblock"]["start_log_blknum"], 0);
    assert_eq!(a0["transactions"].as_array().unwrap().len(), 0);
}

/// A journal flagged dirty whose log is empty (the node stopped after its last
/// checkpoint): logdump says what recovery will do, not "clean".
#[test]
fn dirty_flag_with_an_empty_log_says_what_recovery_does() {
    use std::os::unix::fs::FileExt;
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("a.img");
    common::decompress_fixture("A-default", &img);
    let p = img.to_str().unwrap();
    let ino = inspect_json(&["stat", p, "//journal:0000"])["inode"].as_u64().unwrap();
    let at = ino * 4096 + std::mem::offset_of!(ocfs2_format::layout::dinode::DinodeHeader, id1) as u64;
    let f = std::fs::OpenOptions::new().write(true).open(&img).unwrap();
    f.write_all_at(&ocfs2_format::layout::dinode::JOURNAL_DIRTY.to_le_bytes(), at).unwrap();
    let v = inspect_json(&["logdump", p, "0"]);
    assert_eq!((v["dirty"].as_bool(), v["superblock"]["start_log_blknum"].as_u64()), (Some(true), Some(0)));
    let out = common::inspect(&["logdump", p, "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("clean:"), "{text}");
    assert!(text.contains("nothing to replay") && text.contains("orphan"), "{text}");
}

#[test]
fn fresh_mkfs_journals_match_debugfs() {
    require_tool("mkfs.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    for (bs, extra) in [("4096", &["-J", "size=4M,block64"][..]), ("1024", &["-J", "size=4M"][..])] {
        let img = tmp.path().join(format!("j{bs}.img"));
        mkfs(&img, 64 << 20, &[&["-b", bs, "-N", "2", "-M", "local"], extra].concat());
        let r = compare(&img, 1);
        assert_eq!(r["dirty"], false);
        if extra[1].contains("block64") {
            let raw = inspect_json(&["logdump", img.to_str().unwrap(), "1", "--raw"]);
            assert!(raw["superblock"]["feature_incompat_names"].as_array().unwrap().iter().any(|n| n == "block64"));
        }
    }
}

#[test]
fn slot_out_of_range_is_an_error() {
    let out = common::inspect(&["logdump", common::fixture_zst("A-default").to_str().unwrap(), "7"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("slot 7: the volume has 2 slots"));
}
