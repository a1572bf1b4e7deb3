//! Refcount trees against debugfs.ocfs2 `refcount` on the kernel-written
//! fixtures (reflinked files, one after copy-on-write), and reads through shared
//! extents.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{debugfs, fixture, inspect, inspect_json, require_tool};

#[test]
fn refcount_matches_debugfs_for_every_record() {
    require_tool("debugfs.ocfs2");
    for fx in ["A-default", "B", "X-max"] {
        let img = fixture(fx);
        for spec in ["/data/pat1m", "/data/pat1m.clone", "/data/pat20m", "/data/pat20m.reflink", "/links/hard-pat1m"] {
            let ours = inspect_json(&["refcount", img.to_str().unwrap(), spec]);
            let theirs = debugfs(&img, &format!("refcount {spec}"));
            let num = |key: &str| -> u64 {
                let at = theirs.find(key).unwrap() + key.len();
                theirs[at..].split_whitespace().next().unwrap().parse().unwrap()
            };
            let root = &ours["blocks"][0];
            assert_eq!(root["blkno"].as_u64().unwrap(), num("Blknum:"), "{fx} {spec}");
            assert_eq!(root["count"].as_u64().unwrap(), num("Reftree Count:"), "{fx} {spec}");
            assert_eq!(root["records_used"].as_u64().unwrap(), num("Used:"), "{fx} {spec}");
            let want: Vec<(u64, u64, u64)> = theirs
                .split("Reference count")
                .nth(1)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    let f: Vec<u64> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
                    (f.len() == 4).then(|| (f[1], f[2], f[3]))
                })
                .collect();
            let got: Vec<(u64, u64, u64)> = ours["blocks"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|b| b["records"].as_array().unwrap().clone())
                .map(|r| {
                    (r["cpos"].as_u64().unwrap(), r["clusters"].as_u64().unwrap(), r["refcount"].as_u64().unwrap())
                })
                .collect();
            assert_eq!(got, want, "{fx} {spec}");
        }
    }
}

#[test]
fn shared_extents_carry_their_counts_and_read_alike() {
    let a = common::fixture_zst("A-default");
    let a = a.to_str().unwrap();
    let r = inspect_json(&["refcount", a, "/data/pat20m.reflink"]);
    let shares: Vec<(u64, u64, u64)> = r["extents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["cpos"].as_u64().unwrap(), e["clusters"].as_u64().unwrap(), e["refcount"].as_u64().unwrap()))
        .collect();
    assert_eq!(shares, vec![(256, 4864, 2)]);
    // The clone reads the same bytes as the original through the shared extent.
    let one = inspect(&["cat", a, "/data/pat1m"]);
    let two = inspect(&["cat", a, "/data/pat1m.clone"]);
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout.len(), 1 << 20);
    assert_eq!(one.stdout, two.stdout);
    let plain = inspect(&["refcount", a, "/small/hello.txt"]);
    assert!(!plain.status.success());
}
