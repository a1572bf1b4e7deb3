//! Extended attributes against debugfs.ocfs2 `xattr -v` on the kernel-written
//! fixtures (inline entries with value trees, an xattr block, a bucket tree of
//! 150 names on a META_ECC volume, POSIX ACLs), and the values themselves
//! against what the guest kernel was given.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{debugfs, fixture, inspect_json, require_tool};
use serde_json::Value;

type Layout = (u64, Option<u64>, Vec<u64>, Vec<(u64, u64, u64, u64)>, Vec<(u64, u64, u64)>, u64);

/// (inline count, block count, bucket counts, [(type, local, name_len, value_len)],
/// [value tree extents (offset, clusters, blkno)], total) from `xattr -v`.
fn parse(text: &str) -> Layout {
    let (mut inline, mut block, mut buckets, mut entries, mut extents, mut total) =
        (0, None, vec![], vec![], vec![], 0);
    let last = |t: &str| t.rsplit(' ').next().unwrap().trim().parse::<u64>().unwrap();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Extended Attributes inline:") {
            inline = last(t);
        } else if t.starts_with("Extended Attributes in block") {
            block = Some(last(t));
        } else if t.starts_with("Extended Attributes in bucket") {
            buckets.push(last(t));
        } else if t.starts_with("Extended attributes in total:") {
            total = last(t);
        } else if let Some(rest) = t.strip_prefix('#').filter(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
            let f: Vec<u64> = rest.split_whitespace().skip(1).map(|x| x.parse().unwrap()).collect();
            entries.push((f[0], f[1], f[2], f[3]));
        } else {
            let f: Vec<&str> = t.split_whitespace().collect();
            if f.len() == 5 && f[4].starts_with("0x") && f[0].parse::<u64>().is_ok() {
                extents.push((f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap()));
            }
        }
    }
    (inline, block, buckets, entries, extents, total)
}

fn ours(v: &Value) -> Layout {
    let attrs = v["attrs"].as_array().unwrap();
    let entries = attrs
        .iter()
        .map(|a| {
            (
                a["type_index"].as_u64().unwrap(),
                u64::from(a["local"].as_bool().unwrap()),
                a["name_len"].as_u64().unwrap(),
                a["value_size"].as_u64().unwrap(),
            )
        })
        .collect();
    // debugfs prints a bucket tree's records first, then each value tree's.
    let tree = v["tree_extents"].as_array().cloned().unwrap_or_default();
    let extents = tree
        .into_iter()
        .chain(attrs.iter().flat_map(|a| a["value_extents"].as_array().cloned().unwrap_or_default()))
        .map(|e| (e["offset"].as_u64().unwrap(), e["clusters"].as_u64().unwrap(), e["blkno"].as_u64().unwrap()))
        .collect();
    (
        v["inline_count"].as_u64().unwrap(),
        v["block_count"].as_u64(),
        v["buckets"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).collect(),
        entries,
        extents,
        v["total"].as_u64().unwrap(),
    )
}

#[test]
fn layout_matches_debugfs_for_every_entry() {
    require_tool("debugfs.ocfs2");
    let cases = [
        ("A-default", "/xattr/file"),
        ("A-default", "/xattr/dir"),
        ("X-max", "/xattr/file"),
        ("X-max", "/xattr/dir"),
        ("X-max", "/extra/many"),
        ("X-max", "/extra/acl/file"),
        ("X-max", "/extra/acl"),
        ("X-max", "/extra/acl/inherits"),
    ];
    for (fx, spec) in cases {
        let img = fixture(fx);
        let got = ours(&inspect_json(&["xattr", img.to_str().unwrap(), spec]));
        let want = parse(&debugfs(&img, &format!("xattr -v {spec}")));
        assert_eq!(got, want, "{fx} {spec}");
    }
}

fn value(v: &Value, name: &str) -> Value {
    v["attrs"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("{name} in {v}")).clone()
}

#[test]
fn names_values_and_acls() {
    let a = common::fixture_zst("A-default");
    let v = inspect_json(&["xattr", a.to_str().unwrap(), "/xattr/file"]);
    assert_eq!(value(&v, "user.small")["value_text"], "v1");
    assert_eq!(value(&v, "user.medium")["value_text"], "m".repeat(200));
    assert_eq!(value(&v, "user.big")["value_text"], "B".repeat(5000));
    let v = inspect_json(&["xattr", a.to_str().unwrap(), "/xattr/dir"]);
    assert_eq!(value(&v, "user.dirattr")["value_text"], "on-a-directory");

    let x = common::fixture_zst("X-max");
    let x = x.to_str().unwrap();
    let v = inspect_json(&["xattr", x, "/extra/many"]);
    assert_eq!(v["total"], 150);
    assert!(v["indexed"].as_bool().unwrap());
    for i in [0, 42, 99, 149] {
        assert_eq!(value(&v, &format!("user.a{i:03}"))["value_text"], format!("val{i}-{}", "x".repeat(60)));
    }
    let acl = |spec: &str, name: &str| value(&inspect_json(&["xattr", x, spec]), name)["acl"].clone();
    assert_eq!(
        acl("/extra/acl/file", "system.posix_acl_access"),
        serde_json::json!(["user::rw-", "user:1000:r--", "group::r--", "mask::rw-", "other::r--"])
    );
    assert_eq!(
        acl("/extra/acl", "system.posix_acl_default"),
        serde_json::json!(["user::rwx", "group::r-x", "other::r-x"])
    );
}
