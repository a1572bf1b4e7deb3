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

/// The lines of `text` with runs of blanks made one space (debugfs.ocfs2 indents
/// with a tab and pads less than our aligned fields).
fn squeezed(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect()
}

/// The squeezed line of `text` starting with `prefix`.
fn line_of(text: &str, prefix: &str) -> String {
    squeezed(text)
        .into_iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

/// A block whose checksum fails is still shown, marked as debugfs.ocfs2 1.8.7
/// marks it (`**FAILED CHECKSUM** Computed CRC32: X   ECC: Y` after the stored
/// check), by `stat`, `dx_root`, `dirblocks` and `xattr`; the image is not written.
#[test]
fn blocks_failing_their_checksum_are_shown_marked_as_debugfs_marks_them() {
    common::require_tool("debugfs.ocfs2");
    let mut src = ocfs2_format::io::open_zst(&fixture_zst("X-max")).unwrap();
    let vol = open(ocfs2_format::io::open_zst(&fixture_zst("X-max")).unwrap()).unwrap();
    let bs = vol.block_size() as u64;
    let lookup = |p: &str| ocfs2_format::fs::lookup(&vol, p).unwrap();
    let many = lookup("/extra/many");
    let acl = lookup("/extra/acl");
    let deldir = lookup("/extra/deldir");
    let xattr_block = vol.inode(acl).unwrap().header().i_xattr_loc.get();
    let dx_root = vol.inode(deldir).unwrap().header().i_dx_root.get();
    let dir_block = ocfs2_format::fs::dir_blocks(&vol, &vol.inode(deldir).unwrap()).unwrap()[0].blkno;
    // Eight bits of a byte each, past what ECC repairs, in fields nothing walks:
    // an inode's i_atime, an xattr block's and a dx root's slack, a trailer's db_reserved2.
    for off in [many * bs + 48, xattr_block * bs + 100, dx_root * bs + 100, (dir_block + 1) * bs - 64 + 24] {
        let mut b = [0u8];
        src.read_at(off, &mut b).unwrap();
        src.write_at(off, &[!b[0]]).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = to_file(&src, tmp.path());
    let img = path.to_str().unwrap();
    let before = std::fs::read(&path).unwrap();
    let ours = |args: &[&str]| {
        let out = inspect(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    const MARK: &str = "**FAILED CHECKSUM**";

    // stat: the marker and every field debugfs still prints.
    let (o, d) = (ours(&["stat", img, "/extra/many"]), common::debugfs(&path, "stat /extra/many"));
    for prefix in [MARK, "Inode:", "FS Generation:", "CRC32:", "Type:", "Links:", "Sub Alloc Slot:"] {
        assert_eq!(line_of(&o, prefix), line_of(&d, prefix), "stat {prefix}");
    }
    let json = common::inspect_json(&["stat", img, "/extra/many"]);
    assert!(json["damage"]["computed_crc32"].is_u64(), "{json}");

    // dx_root: the marker and the header fields.
    let (o, d) =
        (ours(&["dx_root", img, &dx_root.to_string()]), common::debugfs(&path, &format!("dx_root <{dx_root}>")));
    for prefix in [MARK, "CRC32:", "Total Entry Count:", "Count:"] {
        assert_eq!(line_of(&o, prefix), line_of(&d, prefix), "dx_root {prefix}");
    }

    // dirblocks: debugfs.ocfs2 computes a directory block's check from the trailer's
    // address instead of the block's (dump.c passes `trailer`), so it marks every
    // directory block, damaged or not, with a wrong computed CRC. The marker is
    // compared, the computed values are not; the clean fixture shows we mark none.
    let (o, d) = (ours(&["dirblocks", img, "/extra/deldir"]), common::debugfs(&path, "dirblocks /extra/deldir"));
    assert_eq!(line_of(&o, "CRC32:"), line_of(&d, "CRC32:"));
    assert!(line_of(&o, MARK).starts_with("**FAILED CHECKSUM** Computed CRC32:"), "{o}");
    assert_eq!(squeezed(&o).iter().filter(|l| l.starts_with(MARK)).count(), 1, "only the damaged block: {o}");
    assert!(line_of(&o, "15831 20 8 1 file-000").ends_with("file-000"));
    assert!(line_of(&d, "15831 20 8 1 file-000").ends_with("file-000"));
    let clean = fixture_zst("X-max");
    assert!(!ours(&["dirblocks", clean.to_str().unwrap(), "/extra/deldir"]).contains(MARK));

    // ls: debugfs lists the damaged directory block as if nothing failed; we list
    // the same entries and warn naming the block and the marker.
    let out = inspect(&["ls", img, "/extra/deldir"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pairs = |text: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = squeezed(text)
            .iter()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                Some((f.first()?.to_string(), f.last()?.to_string()))
            })
            .collect();
        v.sort();
        v
    };
    let (o, d) = (String::from_utf8(out.stdout).unwrap(), common::debugfs(&path, "ls /extra/deldir"));
    assert!(pairs(&o).len() > 2, "{o}");
    assert_eq!(pairs(&o), pairs(&d), "ls lists what debugfs.ocfs2 lists");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("directory block {dir_block} listed despite {MARK} Computed CRC32:")), "{err}");
    assert!(inspect(&["ls", clean.to_str().unwrap(), "/extra/deldir"]).stderr.is_empty(), "a clean block: no warning");

    // xattr: debugfs lists the damaged block without a mark; we list it and mark it.
    let (o, d) = (ours(&["xattr", img, "/extra/acl"]), common::debugfs(&path, "xattr -v /extra/acl"));
    let in_block = format!("Extended Attributes in block #{xattr_block}: 1");
    assert_eq!(line_of(&o, "Extended Attributes in block"), in_block);
    assert_eq!(line_of(&d, "Extended Attributes in block"), in_block);
    assert!(!d.contains(MARK) && o.contains(MARK), "{o}");
    assert!(o.contains("user::rwx,group::r-x,other::r-x"), "{o}");

    // Walks that act on what blocks say still refuse them.
    assert!(!inspect(&["cat", img, "/extra/many"]).status.success());
    assert!(std::fs::read(&path).unwrap() == before, "the image was modified");
}

/// debugfs.ocfs2 shows an inode whose self block number or fs generation is
/// wrong without any mark (its reads check neither); we show it with a marker of
/// the same shape naming what the block records.
#[test]
fn a_wrong_blkno_or_generation_is_shown_and_marked() {
    common::require_tool("debugfs.ocfs2");
    let tmp = tempfile::tempdir().unwrap();
    let (hello, empty) = (blkno_of("/small/hello.txt"), blkno_of("/small/empty"));
    let mut src = a_default();
    src.write_at(hello * 4096 + 96, &[0x67]).unwrap(); // i_fs_generation's low byte: 0x66 -> 0x67
    let mut b = [0u8; 8];
    src.read_at(empty * 4096 + 80, &mut b).unwrap();
    src.write_at(empty * 4096 + 80, &(u64::from_le_bytes(b) - 1).to_le_bytes()).unwrap(); // i_blkno
    let path = to_file(&src, tmp.path());
    let img = path.to_str().unwrap();
    let before = std::fs::read(&path).unwrap();

    let d = common::debugfs(&path, "stat /small/hello.txt");
    let o = String::from_utf8(inspect(&["stat", img, "/small/hello.txt"]).stdout).unwrap();
    assert!(!d.contains("**"), "debugfs marks nothing: {d}");
    assert_eq!(line_of(&o, "FS Generation:"), line_of(&d, "FS Generation:"));
    assert_eq!(
        line_of(&o, "**WRONG FS GENERATION**"),
        format!("**WRONG FS GENERATION** Recorded: {0} ({0:#x})", 0x980f5f67u32)
    );

    let d = common::debugfs(&path, "stat /small/empty");
    let o = String::from_utf8(inspect(&["stat", img, "/small/empty"]).stdout).unwrap();
    assert!(!d.contains("**"), "debugfs marks nothing: {d}");
    // debugfs prints the recorded number as the inode's; we print the block read.
    assert_eq!(line_of(&d, "Inode:").split(' ').nth(1), Some((empty - 1).to_string().as_str()));
    assert_eq!(line_of(&o, "Inode:").split(' ').nth(1), Some(empty.to_string().as_str()));
    assert_eq!(line_of(&o, "**WRONG BLKNO**"), format!("**WRONG BLKNO** Recorded: {}", empty - 1));
    assert_eq!(line_of(&o, "Type:"), line_of(&d, "Type:"));
    assert!(std::fs::read(&path).unwrap() == before, "the image was modified");
}
