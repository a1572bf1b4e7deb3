//! Volumes that do not start at byte 0 of what the examiner was handed.

mod common;

use common::{fixture, inspect, inspect_json};

/// A 1 MiB non-OCFS2 prefix (a pattern, not zeros, so a probe that ignored the
/// offset could not find the superblock by luck) in front of A-default.
fn shifted_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let mut bytes: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    bytes.extend(std::fs::read(fixture("A-default")).expect("read fixture"));
    let path = dir.join("disk.img");
    std::fs::write(&path, bytes).expect("write disk image");
    path
}

#[test]
fn offset_opens_a_volume_inside_a_larger_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = shifted_copy(dir.path());
    let disk = disk.to_str().expect("utf-8 path");
    let plain = inspect_json(&["ls", fixture("A-default").to_str().expect("utf-8"), "/"]);
    let shifted = inspect_json(&["--offset", "1048576", "ls", disk, "/"]);
    assert_eq!(plain, shifted, "the same root directory through --offset");
    let cat = inspect(&["--offset", "1048576", "cat", disk, "/small/hello.txt"]);
    assert!(cat.status.success());
    assert_eq!(cat.stdout, b"hello ocfs2 from the linux kernel\n");
    // Without the offset the prefix is all the probe sees.
    let bare = inspect(&["stats", disk]);
    assert!(!bare.status.success(), "the image does not start with a volume");
    // check honours it too (it opens on its own path).
    let check = inspect(&["--offset", "1048576", "check", disk]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    let past = inspect(&["--offset", "999999999999", "stats", disk]);
    assert!(!past.status.success());
    assert!(String::from_utf8_lossy(&past.stderr).contains("offset 999999999999"), "names the offset");
}
