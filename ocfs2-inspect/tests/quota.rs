//! `quota`: the global and local quota files of the kernel-written X-max fixture
//! (usrquota, grpquota, META_ECC) and of fresh mkfs.ocfs2 images; damaged copies
//! fail with typed errors. debugfs.ocfs2 1.8.7 has no quota command, so the
//! oracle is the fixture's known ownership (fixtures/README.md) and our own
//! recount of the inodes (`--recount`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::FileExt;

use common::{fixture, inspect, inspect_json, mkfs, require_tool};
use serde_json::Value;

fn ids(kind: &Value) -> Vec<(u64, i64, i64)> {
    kind["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_u64().unwrap(), i["space"].as_i64().unwrap(), i["inodes"].as_i64().unwrap()))
        .collect()
}

#[test]
fn x_max_usage_per_user_and_group() {
    let img = fixture("X-max");
    let j = inspect_json(&["quota", img.to_str().unwrap(), "--recount"]);
    let kinds = j["quotas"].as_array().unwrap();
    assert_eq!(kinds.len(), 2);
    let (user, group) = (&kinds[0], &kinds[1]);
    assert_eq!(user["kind"], "user");
    assert_eq!(group["kind"], "group");
    // extra/q/u1000 and u1001: 64 KiB each, owners 1000:100 and 1001:100;
    // extra/q/g101: 8 KiB, 1002:101. Space is charged in allocated bytes.
    let u = ids(user);
    assert_eq!(&u[1..], [(1000, 65536, 1), (1001, 65536, 1), (1002, 8192, 1)]);
    let g = ids(group);
    assert_eq!(&g[1..], [(100, 131072, 2), (101, 8192, 1)]);
    // Root owns the rest: the same totals for both kinds.
    assert_eq!(u[0], g[0]);
    assert_eq!(u[0].0, 0);
    // Recount agrees but for lost+found, which mkfs.ocfs2 never charges.
    for k in [user, group] {
        assert_eq!(k["recount_mismatches"], serde_json::json!([0]));
        let root = &k["ids"][0];
        assert_eq!(root["recount_space"].as_i64().unwrap(), root["space"].as_i64().unwrap());
        assert_eq!(root["recount_inodes"].as_i64().unwrap(), root["inodes"].as_i64().unwrap() + 1);
        assert_eq!(k["tree_depth"], 4);
        assert_eq!(k["space_grace"], 604800);
        for l in k["locals"].as_array().unwrap() {
            assert_eq!((l["clean"].as_bool(), l["entries"].as_u64()), (Some(true), Some(0)), "{l}");
        }
        // No limits were set on this volume (limits are decimal strings: any
        // 64-bit value can be set).
        for i in k["ids"].as_array().unwrap() {
            assert_eq!((i["space_hard"].as_str(), i["inode_soft"].as_str()), (Some("0"), Some("0")));
        }
    }
    // One kind only, after the image like every command's arguments.
    let only = inspect_json(&["quota", img.to_str().unwrap(), "group"]);
    assert_eq!(only["quotas"].as_array().unwrap().len(), 1);
    assert_eq!(ids(&only["quotas"][0]), g);
    // The old order (kind first) still works, with a hint on stderr.
    let old = inspect(&["--json", "quota", "group", img.to_str().unwrap()]);
    assert!(old.status.success());
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&old.stdout).unwrap(), only);
    let hint = String::from_utf8_lossy(&old.stderr);
    assert!(hint.contains(&format!("quota {} group", img.display())), "{hint}");
    // The table names the ids.
    let out = inspect(&["quota", img.to_str().unwrap(), "user"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("user quota: global inode") && text.contains("1001"), "{text}");
}

#[test]
fn volumes_without_quotas_and_bad_kinds_are_refused() {
    let a = common::fixture_zst("A-default");
    let out = inspect(&["quota", a.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither the usrquota nor the grpquota"));
    let out = inspect(&["quota", a.to_str().unwrap(), "user"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no usrquota feature"), "{out:?}");
    let x = fixture("X-max");
    let out = inspect(&["quota", x.to_str().unwrap(), "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected `user` or `group`"));
}

/// Fresh mkfs.ocfs2 quota files hold root's usage only (lost+found is made
/// after them); 1 KiB blocks make a 5-level tree, 4 KiB a 4-level one.
#[test]
fn fresh_mkfs_images() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    for (bs, depth) in [("1024", 5), ("4096", 4)] {
        let img = dir.path().join(format!("q{bs}.img"));
        mkfs(&img, 64 << 20, &["-M", "local", "-N", "2", "-b", bs, "--fs-features=usrquota,grpquota,metaecc"]);
        let j = inspect_json(&["quota", img.to_str().unwrap(), "--recount"]);
        for k in j["quotas"].as_array().unwrap() {
            assert_eq!(k["tree_depth"], depth, "bs {bs}");
            assert_eq!(ids(k), [(0, 0, 1)], "bs {bs}: {k}");
            assert_eq!(k["locals"].as_array().unwrap().len(), 2);
            assert_eq!(k["ids"][0]["recount_inodes"], 2, "root and lost+found");
        }
    }
}

/// A tree block that points at itself, and a block whose check no longer
/// matches: typed errors naming the structure, never a hang or a panic.
#[test]
fn damaged_quota_trees_fail_cleanly() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    for (features, field) in [("usrquota", "reference"), ("usrquota,metaecc", "dq_check")] {
        let img = dir.path().join("bad.img");
        mkfs(
            &img,
            64 << 20,
            &["-M", "local", "-N", "1", "-b", "4096", "-C", "4096", &format!("--fs-features={features}")],
        );
        let b = inspect_json(&["bmap", img.to_str().unwrap(), "//aquota.user", "1"]);
        let phys = b["physical"].as_u64().unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&img).unwrap();
        // Root slot 0 -> logical block 1 (the root itself); two bytes change, so
        // ECC cannot repair it either.
        f.write_all_at(&1u32.to_le_bytes(), phys * 4096).unwrap();
        drop(f);
        let out = inspect(&["quota", img.to_str().unwrap(), "user"]);
        assert!(!out.status.success(), "{features}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(field), "{features}: {err}");
        std::fs::remove_file(&img).unwrap();
    }
}
