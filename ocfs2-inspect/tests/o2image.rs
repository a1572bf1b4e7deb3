//! ocfs2-tools' o2image files: the real `o2image` 1.8.7 makes packed and raw
//! images of the fixtures and of mkfs.ocfs2 volumes, and every metadata
//! command reads them as it reads the volume they were taken from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, inspect, mkfs, require_tool};
use ocfs2_format::fs::{lookup, read_xattrs, FileReader};
use ocfs2_format::{Error, Volume};
use sha2::{Digest, Sha256};

/// Runs the real `o2image ARGS SRC OUT` and returns OUT.
fn o2image(args: &[&str], src: &Path, out: PathBuf) -> PathBuf {
    let run = Command::new(require_tool("o2image")).args(args).arg(src).arg(&out).output().expect("run o2image");
    assert!(run.status.success(), "o2image {args:?}: {}", String::from_utf8_lossy(&run.stderr));
    out
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).expect("read image")).to_vec()
}

/// Our command's stdout (it must succeed), with the image's path taken out.
fn ours(args: &[&str], image: &Path) -> String {
    let p = image.to_str().unwrap();
    let mut all = Vec::new();
    for a in args {
        all.push(if *a == "@" { p } else { a });
    }
    let out = inspect(&all);
    assert!(out.status.success(), "ocfs2-inspect {all:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).replace(p, "IMAGE")
}

/// Every listed command gives the same output on the volume, its packed
/// image and its raw image; the packed image's hash does not change.
fn agree(vol: &Path, dir: &Path, commands: &[&[&str]]) {
    let packed = o2image(&[], vol, dir.join("v.o2i"));
    let raw = o2image(&["-r"], vol, dir.join("v.raw"));
    let before = sha256(&packed);
    for args in commands {
        let want = ours(args, vol);
        assert_eq!(ours(args, &packed), want.clone(), "{args:?} on the packed image of {}", vol.display());
        // A raw image is a plain sparse volume: what it lacks reads as zeros, so
        // a check finds the slow symlinks' targets empty (debugfs.ocfs2 reads it
        // the same way); only the packed format knows which blocks it holds.
        if args[0] == "check" {
            continue;
        }
        // A raw image ends at its last block: only the source's size may differ.
        let size = |s: String| s.lines().filter(|l| !l.contains("\"source_bytes\"")).collect::<Vec<_>>().join("\n");
        assert_eq!(size(ours(args, &raw)), size(want), "{args:?} on the raw image of {}", vol.display());
    }
    assert_eq!(sha256(&packed), before, "reading the packed image changed it");
}

const COMMON: &[&[&str]] = &[
    &["stats", "@"],
    &["--json", "stats", "@"],
    &["ls", "-l", "@", "/"],
    &["stat_sysdir", "@"],
    &["check", "--no-progress", "@"],
    &["logdump", "@", "0"],
    &["slotmap", "@"],
    &["freeinode", "@"],
    &["volinfo", "@"],
    &["lsdel", "@"],
    &["stat", "@", "//global_bitmap"],
    &["--json", "stat", "@", "//inode_alloc:0000"],
];

const POPULATED: &[&[&str]] = &[
    &["ls", "-l", "@", "/bigdir"],
    &["--json", "ls", "-l", "@", "/data"],
    &["stat", "@", "/data/pat20m.reflink"],
    &["stat", "@", "/links/sym-long"],
    &["dx_dump", "@", "/bigdir"],
    &["dirblocks", "@", "/bigdir"],
    &["refcount", "@", "/data/pat20m"],
    &["icheck", "@", "100", "32256", "37650"],
    &["bmap", "@", "/data/pat1m", "3"],
];

#[test]
fn commands_agree_on_packed_and_raw_images_of_the_fixtures() {
    require_tool("o2image");
    for (fx, extra) in [
        ("A-default", &[&["findpath", "@", "10787"][..]][..]),
        ("B", &[&["lsdel", "@"][..], &["ls", "-l", "@", "//orphan_dir:0000"]][..]),
        (
            "X-max",
            &[
                &["xattr", "@", "/extra/many"][..],
                &["xattr", "@", "/extra/acl"],
                &["ls", "-l", "-d", "@", "/extra/deldir"],
                &["quota", "@"],
            ][..],
        ),
        ("M-max-1k", &[][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let cmds: Vec<&[&str]> = COMMON.iter().chain(POPULATED).chain(extra).copied().collect();
        agree(&fixture(fx), dir.path(), &cmds);
    }
    let dir = tempfile::tempdir().unwrap();
    agree(
        &fixture("E-extents"),
        dir.path(),
        &[COMMON, &[&["stat", "@", "/frag/d3"][..], &["frag", "@", "/frag/d2"], &["bmap", "@", "/frag/d1", "40"]]]
            .concat(),
    );
}

#[test]
fn a_packed_image_of_a_larger_mkfs_volume_keeps_its_backup_superblock() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("v.img");
    mkfs(&vol, 2 << 30, &["-b", "4096", "-N", "2", "-L", "o2img"]);
    agree(&vol, dir.path(), &[COMMON, &[&["stats", "--backup", "1", "@"][..]]].concat());
}

#[test]
fn file_data_is_not_in_a_packed_image_and_reading_it_says_which_block() {
    require_tool("o2image");
    let dir = tempfile::tempdir().unwrap();
    let packed = o2image(&[], &fixture("A-default"), dir.path().join("a.o2i"));
    let vol = Volume::open(&packed).unwrap();
    let orig = Volume::open(fixture("A-default")).unwrap();
    // pat5000 has one extent of 2 clusters; its first block is the one missing.
    let ino = vol.inode(lookup(&vol, "/small/pat5000").unwrap()).unwrap();
    let first = orig.inode(lookup(&orig, "/small/pat5000").unwrap()).unwrap();
    let map = ocfs2_format::fs::ExtentMap::load(&orig, &first).unwrap();
    let want = map.extents()[0].blkno;
    let mut buf = vec![0u8; 5000];
    match FileReader::new(&vol, &ino).unwrap().read_full_at(0, &mut buf) {
        Err(Error::NotInImage { blkno }) => assert_eq!(blkno, want),
        other => panic!("reading file data from a packed image: {other:?}"),
    }
    // An xattr value kept in its own clusters is file data too.
    let x = vol.inode(lookup(&vol, "/xattr/file").unwrap()).unwrap();
    assert!(matches!(read_xattrs(&vol, &x), Err(Error::NotInImage { .. })));
    // Inline data lives in the inode, which the image holds.
    let cat = inspect(&["cat", packed.to_str().unwrap(), "/small/hello.txt"]);
    assert_eq!(cat.stdout, b"hello ocfs2 from the linux kernel\n");
    let cat = inspect(&["cat", packed.to_str().unwrap(), "/small/pat5000"]);
    assert!(!cat.status.success() && cat.stdout.is_empty(), "cat of file data must fail, not print zeros");
}

/// The blocks a packed image holds, read through the library's parser.
fn held(image: &Path) -> Vec<u64> {
    let src = ocfs2_format::io::MmapSource::open(image).unwrap();
    ocfs2_format::io::O2ImageSource::new(src).unwrap().bitmap().iter().collect()
}

/// `o2image -I TARGET IMAGE` (it asks before writing), into a new file.
fn restore(image: &Path, target: PathBuf) -> Vec<u8> {
    use std::io::Write;
    std::fs::File::create(&target).unwrap();
    let mut child = Command::new(require_tool("o2image"))
        .arg("-I")
        .arg(&target)
        .arg(image)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run o2image -I");
    child.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "o2image -I: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&target).unwrap()
}

/// Our `image` of `vol` against o2image's own: the same blocks (but the ones
/// o2image adds by accident), restored identically by `o2image -I`, read alike
/// by `debugfs.ocfs2 -i`; the source unchanged.
fn same_as_o2image(vol: &Path, dir: &Path) {
    let before = sha256(vol);
    let theirs = o2image(&[], vol, dir.join("theirs.o2i"));
    let ours = dir.join("ours.o2i");
    let raw = dir.join("ours.raw");
    for (path, extra) in [(&ours, None), (&raw, Some("--raw"))] {
        let mut args = vec!["image", vol.to_str().unwrap(), path.to_str().unwrap()];
        args.extend(extra);
        let out = inspect(&args);
        assert!(out.status.success(), "image {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(sha256(vol), before, "writing an image changed its source");

    let (ours_held, theirs_held) = (held(&ours), held(&theirs));
    let theirs_set: std::collections::HashSet<u64> = theirs_held.iter().copied().collect();
    let ours_set: std::collections::HashSet<u64> = ours_held.iter().copied().collect();
    assert!(ours_set.is_subset(&theirs_set), "we hold blocks o2image does not: {:?}", ours_set.difference(&theirs_set));
    // o2image 1.8.7 never zeroes its bitmap buffer (ocfs2_malloc_blocks), so a few
    // bits of heap garbage add stray blocks. Each must be file data or unused,
    // never metadata we missed.
    let extra: Vec<String> = theirs_set.difference(&ours_set).map(u64::to_string).collect();
    assert!(extra.len() < 64, "{} blocks more in o2image's image", extra.len());
    if !extra.is_empty() {
        let mut args = vec!["icheck", vol.to_str().unwrap()];
        args.extend(extra.iter().map(String::as_str));
        let v = Volume::open(vol).unwrap();
        for row in common::inspect_json(&args)["blocks"].as_array().unwrap() {
            for o in row["owners"].as_array().unwrap() {
                let ino = v.inode(o["inode"].as_u64().unwrap()).unwrap();
                let h = ino.header();
                assert!(
                    o["role"] == "data" && !h.is_dir() && h.i_flags.get() & 0x10 == 0,
                    "o2image holds block {} that we left out: {o}",
                    row["blkno"]
                );
            }
        }
    }

    let (r_ours, r_theirs) = (restore(&ours, dir.join("r-ours")), restore(&theirs, dir.join("r-theirs")));
    assert_eq!(r_ours, std::fs::read(&raw).unwrap(), "o2image -I of our packed image is our raw image");
    let bs = Volume::open(vol).unwrap().geometry().block_size as usize;
    for &b in &ours_held {
        let at = b as usize * bs;
        assert_eq!(r_ours.get(at..at + bs), r_theirs.get(at..at + bs), "block {b} restored differently");
    }

    let cmds = ["stats", "ls -l /", "stat_sysdir", "stat //global_inode_alloc", "ls -l //"];
    for cmd in cmds {
        let run = |img: &Path| {
            let out = Command::new("debugfs.ocfs2").args(["-i", "-R", cmd]).arg(img).output().unwrap();
            assert!(out.status.success() && out.stderr.is_empty() || out.stderr.starts_with(b"debugfs.ocfs2 1.8.7"));
            String::from_utf8_lossy(&out.stdout).replace(img.to_str().unwrap(), "IMAGE")
        };
        let want = run(&theirs);
        assert!(!want.trim().is_empty(), "debugfs.ocfs2 -i -R {cmd:?} printed nothing");
        assert_eq!(run(&ours), want, "debugfs.ocfs2 -i -R {cmd:?} on our image");
    }
}

#[test]
fn image_writes_what_o2image_writes() {
    require_tool("mkfs.ocfs2");
    require_tool("o2image");
    // 4 KiB and 512-byte blocks; dx, xattr buckets, ECC, quotas; extent trees.
    for fx in ["A-default", "X-max", "E-extents"] {
        let dir = tempfile::tempdir().unwrap();
        same_as_o2image(&fixture(fx), dir.path());
    }
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("v.img");
    mkfs(&vol, 2 << 30, &["-b", "4096", "-N", "2"]);
    let sub = dir.path().join("out");
    std::fs::create_dir(&sub).unwrap();
    same_as_o2image(&vol, &sub);
}
