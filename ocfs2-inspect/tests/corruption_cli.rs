//! Damaged volumes through the CLI: errors on stderr naming the block and the
//! field, a non-zero exit, never a panic, and the image untouched (the
//! library's typed errors: ocfs2-format/tests/corruption.rs).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::damaged::{a_default, blkno_of, ecc_image, open, to_file};
use common::{fixture_zst, inspect};
use ocfs2_format::io::BlockSource;

/// The CLI names the block missing from a truncated image on stderr, with a
/// non-zero exit (the library's error: corruption.rs in ocfs2-format/tests).
#[test]
fn cli_names_the_missing_block_of_a_truncated_image() {
    let tmp = tempfile::tempdir().unwrap();
    let full = a_default();
    // Keep the first 100 MiB: every inode, but not pat20m's data, which starts at block
    // 32529 (debugfs.ocfs2 -R "stat /data/pat20m").
    const CUT: u64 = 100 << 20;
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    let short_path = tmp.path().join("short.img");
    std::fs::write(&short_path, &buf).unwrap();
    let out = inspect(&["cat", short_path.to_str().unwrap(), "/data/pat20m"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated image") && err.contains("block 32529"), "{err}");

    // Cut before the superblock: not an OCFS2 volume at all.
    std::fs::write(&short_path, &buf[..4096]).unwrap();
    let out = inspect(&["stats", short_path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OCFS2 volume"));
}

#[test]
fn cli_reports_corruption_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let ino = blkno_of("/small");
    let mut src = a_default();
    src.write_at(ino * 4096, b"BROKEN!\0").unwrap();
    let path = to_file(&src, tmp.path());
    let before = std::fs::read(&path).unwrap();
    for json in [false, true] {
        let mut args = vec!["ls", path.to_str().unwrap(), "/small"];
        if json {
            args.insert(0, "--json");
        }
        let out = inspect(&args);
        assert!(!out.status.success());
        assert!(out.stdout.is_empty(), "nothing on stdout when failing");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("block {ino}")) && err.contains("signature"), "{err}");
    }
    assert!(std::fs::read(&path).unwrap() == before, "the image was modified");
}

#[test]
fn cli_open_error_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no-such.img");
    for args in [vec!["stats", path.to_str().unwrap()], vec!["check", path.to_str().unwrap()]] {
        let out = inspect(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{}: cannot open: ", path.display())), "{args:?}: {err}");
        let code = if args[0] == "check" { 8 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    }
}

#[test]
fn cli_warns_about_corrected_bits() {
    let mut src = ecc_image(4096);
    let vol = open(ecc_image(4096)).unwrap();
    let root = vol.root_blkno();
    let off = root * 4096 + 48; // i_atime, bit 0
    let mut b = [0u8];
    src.read_at(off, &mut b).unwrap();
    src.write_at(off, &[b[0] ^ 1]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = to_file(&src, tmp.path());
    let out = inspect(&["ls", path.to_str().unwrap(), "/"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("block {root}: metadata ECC corrected data bit {}", 48 * 8)), "{err}");
}

/// Errors say what is wrong in words: a directory given as the image, a missing
/// rdump output directory, an inode past the volume's end, a signature of
/// unprintable bytes (hex, not Rust escapes).
#[test]
fn errors_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let err = |args: &[&str]| {
        let out = inspect(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(&["stats", dir]);
    assert!(e.contains(&format!("{dir}: cannot open: ")) && e.to_lowercase().contains("is a directory"), "{e}");
    let a = fixture_zst("A-default");
    let a = a.to_str().unwrap();
    let missing = tmp.path().join("nope");
    let e = err(&["rdump", a, "/small", missing.to_str().unwrap()]);
    assert!(e.contains("does not exist"), "{e}");
    let e = err(&["findpath", a, "999999999"]);
    assert!(e.contains("past the end of the volume"), "{e}");
    let ino = blkno_of("/small");
    let mut src = a_default();
    src.write_at(ino * 4096, &[2u8; 8]).unwrap();
    let path = to_file(&src, tmp.path());
    let e = err(&["ls", path.to_str().unwrap(), "/small"]);
    assert!(e.contains("02 02 02 02 02 02 02 02") && !e.contains("\\u{"), "{e}");
}

/// A truncated image opens with one warning naming both sizes.
#[test]
fn cli_warns_once_about_a_truncated_image() {
    let tmp = tempfile::tempdir().unwrap();
    let full = a_default();
    let total = full.size();
    const CUT: u64 = 100 << 20;
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    let path = tmp.path().join("short.img");
    std::fs::write(&path, &buf).unwrap();
    let p = path.to_str().unwrap();
    for args in [&["stats", p][..], &["--json", "ls", p, "/"], &["check", p], &["slotmap", p]] {
        let out = inspect(args);
        let err = String::from_utf8_lossy(&out.stderr);
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("truncated")).collect();
        assert_eq!(warnings.len(), 1, "{args:?}: {err}");
        assert!(warnings[0].contains(&total.to_string()) && warnings[0].contains(&CUT.to_string()), "{err}");
    }
    let whole = fixture_zst("A-default");
    let out = inspect(&["stats", whole.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("truncated"));
}

/// `rdump` keeps going past files it cannot read: it names each path, copies the
/// rest, counts the failures in its summary and exits non-zero at the end.
#[test]
fn rdump_keeps_going_past_unreadable_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut src = a_default();
    for bad in ["/small/hello.txt", "/small/pat100"] {
        src.write_at(blkno_of(bad) * 4096, b"BROKEN!\0").unwrap();
    }
    let path = to_file(&src, tmp.path());
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = inspect(&["--json", "rdump", path.to_str().unwrap(), "/small", out_dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for bad in ["small/hello.txt", "small/pat100"] {
        assert!(err.contains(&format!("{}: ", out_dir.join(bad).display())), "names {bad}: {err}");
    }
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the summary is still printed");
    assert_eq!(sum["failed"], 2, "{sum}");
    assert_eq!(sum["files"], 4, "{sum}");
    for good in ["empty", "one-byte", "pat3000", "pat5000"] {
        assert!(out_dir.join("small").join(good).is_file(), "{good} copied");
    }
}
