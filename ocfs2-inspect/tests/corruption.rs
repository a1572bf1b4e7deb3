//! Damaged volumes give typed errors that name the block and field, from the
//! library and from the CLI, and never a panic. Every image is damaged in a copy:
//! in memory, or in a temporary file.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::path::Path;

use common::{fixture_zst, have_tools, inspect, mkfs};
use ocfs2_format::io::{open_zst, BlockSource, MemSource};
use ocfs2_format::layout::dinode::Id2;
use ocfs2_format::{fs, Error, OpenOptions, Value, Volume};

/// The clean kernel-written fixture, in memory.
fn a_default() -> MemSource {
    open_zst(&fixture_zst("A-default")).expect("fixture A-default")
}

fn open(src: MemSource) -> ocfs2_format::Result<Volume> {
    Volume::from_source(Box::new(src), OpenOptions::default())
}

/// Writes a memory image to a temporary file for the CLI.
fn to_file(src: &MemSource, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("damaged.img");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(src.size()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0;
    use std::os::unix::fs::FileExt;
    while off < src.size() {
        let n = (src.size() - off).min(buf.len() as u64) as usize;
        src.read_at(off, &mut buf[..n]).unwrap();
        if buf[..n].iter().any(|&b| b != 0) {
            f.write_all_at(&buf[..n], off).unwrap();
        }
        off += n as u64;
    }
    path
}

fn corruption(e: &Error) -> &ocfs2_format::Corruption {
    e.corruption().unwrap_or_else(|| panic!("expected a Corrupt error, got {e:?}"))
}

/// Block number of a path in the clean fixture.
fn blkno_of(path: &str) -> u64 {
    let vol = open(a_default()).unwrap();
    fs::lookup(&vol, path).unwrap()
}

#[test]
fn wrong_signature_names_the_inode() {
    let ino = blkno_of("/small");
    let mut src = a_default();
    src.write_at(ino * 4096, b"INODE99\0").unwrap();
    let vol = open(src).unwrap();
    let e = fs::lookup(&vol, "/small/hello.txt").unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.structure, c.field), (ino, "ocfs2_dinode", "signature"));
    assert_eq!(c.actual, Value::Bytes(b"INODE99\0".to_vec()), "{c}");
}

#[test]
fn wrong_generation_names_the_inode() {
    let ino = blkno_of("/small/hello.txt");
    let mut src = a_default();
    src.write_at(ino * 4096 + 96, &0x1234_5678u32.to_le_bytes()).unwrap();
    let vol = open(src).unwrap();
    let e = vol.inode(ino).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (ino, "fs_generation"));
    assert_eq!(c.actual, Value::Hex(0x1234_5678));
    assert_eq!(c.expected, Value::Hex(vol.fs_generation().into()));
}

#[test]
fn inode_copied_to_the_wrong_block_is_caught() {
    let from = blkno_of("/small/hello.txt");
    let to = blkno_of("/small/one-byte");
    let mut src = a_default();
    let mut block = vec![0u8; 4096];
    src.read_at(from * 4096, &mut block).unwrap();
    src.write_at(to * 4096, &block).unwrap();
    let vol = open(src).unwrap();
    let c = corruption(&vol.inode(to).unwrap_err()).clone();
    assert_eq!((c.blkno, c.field, c.actual), (to, "blkno", Value::Int(from)));
}

#[test]
fn chain_cycle_is_detected() {
    let vol = open(a_default()).unwrap();
    let gb = vol.inode(vol.system_file("global_bitmap").unwrap()).unwrap();
    let Id2::Chain(cl) = gb.dinode().id2().unwrap() else { panic!("global_bitmap is a chain allocator") };
    let group = cl.recs[0].c_blkno.get();
    drop(gb);
    drop(vol);
    let mut src = a_default();
    src.write_at(group * 4096 + 24, &group.to_le_bytes()).unwrap(); // bg_next_group -> itself
    let vol = open(src).unwrap();
    let gb = vol.inode(vol.system_file("global_bitmap").unwrap()).unwrap();
    let e = ocfs2_format::alloc::chain_groups(&vol, &gb, 0).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (group, "bg_next_group"));
}

#[test]
fn truncated_image_names_the_missing_block() {
    let tmp = tempfile::tempdir().unwrap();
    let full = a_default();
    // Keep the first 100 MiB: every inode, but not pat20m's data, which starts at block
    // 32529 (debugfs.ocfs2 -R "stat /data/pat20m").
    const CUT: u64 = 100 << 20;
    let mut short = MemSource::new(CUT);
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    short.write_at(0, &buf).unwrap();
    let vol = open(short).unwrap();
    let ino = vol.inode(fs::lookup(&vol, "/data/pat20m").unwrap()).unwrap();
    let mut r = fs::FileReader::new(&vol, &ino).unwrap();
    let mut sink = Vec::new();
    let e = std::io::Read::read_to_end(&mut r, &mut sink).unwrap_err();
    let inner = e.into_inner().expect("an inner error");
    let inner = inner.downcast::<Error>().unwrap_or_else(|e| panic!("not an ocfs2 error: {e:?}"));
    assert!(matches!(*inner, Error::Truncated { blkno: 32529, size } if size == CUT), "{inner:?}");

    // The CLI says the same on stderr, with a non-zero exit.
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
fn missing_image_is_an_open_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no-such.img");
    let e = Volume::open(&path).unwrap_err();
    assert!(matches!(&e, Error::Open { path: p, .. } if *p == path), "{e:?}");
    for args in [vec!["stats", path.to_str().unwrap()], vec!["check", path.to_str().unwrap()]] {
        let out = inspect(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{}: cannot open: ", path.display())), "{args:?}: {err}");
        let code = if args[0] == "check" { 8 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    }
}

/// A META_ECC volume made by the real mkfs.ocfs2, read into memory.
fn ecc_image(bs: u32) -> Option<MemSource> {
    if !have_tools() {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ecc.img");
    let b = bs.to_string();
    mkfs(
        &path,
        64 << 20,
        &["-b", &b, "-C", "4096", "-N", "2", "-J", "size=4M", "-M", "local", "--fs-feature-level=max-features"],
    );
    Some(MemSource::from_vec(std::fs::read(&path).unwrap()))
}

#[test]
fn single_bit_errors_are_corrected_and_reported() {
    for bs in [512u32, 4096] {
        let Some(mut src) = ecc_image(bs) else { return };
        let vol = open(ecc_image(bs).unwrap()).unwrap();
        assert!(vol.has_meta_ecc());
        let root = vol.root_blkno();
        let want = fs::read_dir(&vol, &vol.inode(root).unwrap()).unwrap();
        // Flip bit 3 of i_size's first byte (byte 32 of the root inode).
        let off = root * u64::from(bs) + 32;
        let mut b = [0u8];
        src.read_at(off, &mut b).unwrap();
        src.write_at(off, &[b[0] ^ 0x08]).unwrap();
        let vol = open(src).unwrap();
        let got = fs::read_dir(&vol, &vol.inode(root).unwrap()).unwrap();
        assert_eq!(got, want, "bs {bs}: the corrected inode reads as the original");
        let fixes = vol.ecc_corrections();
        assert_eq!(fixes.len(), 1, "bs {bs}: {fixes:?}");
        assert_eq!((fixes[0].blkno, fixes[0].bit), (root, 32 * 8 + 3));
    }
}

#[test]
fn double_bit_errors_are_corrupt_with_block_and_field() {
    let Some(mut src) = ecc_image(1024) else { return };
    let vol = open(ecc_image(1024).unwrap()).unwrap();
    let sysdir = vol.system_dir_blkno();
    let off = sysdir * 1024 + 40;
    let mut b = [0u8; 2];
    src.read_at(off, &mut b).unwrap();
    src.write_at(off, &[b[0] ^ 0x01, b[1] ^ 0x80]).unwrap();
    let vol = open(src).unwrap();
    let c = corruption(&vol.inode(sysdir).unwrap_err()).clone();
    assert_eq!((c.blkno, c.structure, c.field), (sysdir, "ocfs2_dinode", "bc_crc32e"));
    // The system files cannot be found either, and the error says why.
    let e = vol.system_file("global_bitmap").unwrap_err();
    assert_eq!(corruption(&e).blkno, sysdir);
}

#[test]
fn superblock_ecc_is_checked_too() {
    let Some(mut src) = ecc_image(4096) else { return };
    // Two flipped bits in the label.
    let off = 2 * 4096 + 192 + 80;
    src.write_at(off, b"\x01\x01").unwrap();
    let e = open(src).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (2, "bc_crc32e"));
}

#[test]
fn cli_warns_about_corrected_bits() {
    let Some(mut src) = ecc_image(4096) else { return };
    let vol = open(ecc_image(4096).unwrap()).unwrap();
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

#[test]
fn unknown_incompat_feature_is_unsupported() {
    let mut src = a_default();
    let off = 2 * 4096 + 192 + 32; // s_feature_incompat
    let mut b = [0u8; 4];
    src.read_at(off, &mut b).unwrap();
    let v = u32::from_le_bytes(b) | 0x0001_0000;
    src.write_at(off, &v.to_le_bytes()).unwrap();
    let e = open(src).unwrap_err();
    assert!(matches!(e, Error::Unsupported { what: "incompat feature", bit: 0x10000 }), "{e:?}");
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

/// A truncated image opens with one warning naming both sizes; the library says
/// how much is missing.
#[test]
fn truncated_image_warns_once_at_open() {
    let tmp = tempfile::tempdir().unwrap();
    let full = a_default();
    let total = full.size();
    assert_eq!(open(a_default()).unwrap().missing_bytes(), None);
    const CUT: u64 = 100 << 20;
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    let mut short = MemSource::new(CUT);
    short.write_at(0, &buf).unwrap();
    assert_eq!(open(short).unwrap().missing_bytes(), Some(total - CUT));
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
