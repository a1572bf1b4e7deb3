//! Patched copies of A-default: device nodes, a FIFO and a socket (no kernel-written fixture has
//! them), and damaged metadata, which must cost only the damaged entries.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::mem::offset_of;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use common::*;
use ocfs2_format::layout::dinode::{mode, DinodeHeader};
use ocfs2_format::layout::dir::{DirEntryHeader, DirTrailer, TRAILER_SIZE};
use ocfs2_format::layout::extent::{ExtentList, ExtentRec};
use ocfs2_format::layout::xattr::{name_index, XattrEntry, XattrHeader};
use ocfs2_format::Volume;

fn write_at(img: &Path, offset: u64, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}

fn read_at(img: &Path, offset: u64, len: usize) -> Vec<u8> {
    let mut f = std::fs::File::open(img).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    let mut b = vec![0u8; len];
    f.read_exact(&mut b).unwrap();
    b
}

/// Byte offset of `name`'s directory entry header in directory block `blk`.
fn dirent_at(img: &Path, bs: u64, blk: u64, ino: u64, name: &[u8]) -> u64 {
    let block = read_at(img, blk * bs, bs as usize);
    let hdr = size_of::<DirEntryHeader>();
    let at = (hdr..block.len() - name.len())
        .find(|&p| {
            &block[p..p + name.len()] == name
                && block[p - hdr..p - hdr + 8] == ino.to_le_bytes()
                && usize::from(block[p - hdr + offset_of!(DirEntryHeader, name_len)]) == name.len()
        })
        .unwrap();
    blk * bs + (at - hdr) as u64
}

/// The kernel's 32-bit device encoding (`new_encode_dev`), as OCFS2 stores `i_rdev`.
fn kernel_dev(major: u32, minor: u32) -> u64 {
    u64::from((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12))
}

#[test]
fn device_nodes_fifos_and_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("special.img");
    decompress_fixture("A-default", &img);
    let (bs, small, cases) = {
        let vol = Volume::open(&img).unwrap();
        let ino = |p: &str| vol.lookup(p).unwrap();
        let cases = [
            ("empty", ino("/small/empty"), mode::S_IFCHR | 0o620, kernel_dev(8, 300), 3u8),
            ("one-byte", ino("/small/one-byte"), mode::S_IFBLK | 0o660, kernel_dev(259, 7), 4),
            ("pat100", ino("/small/pat100"), mode::S_IFIFO | 0o600, 0, 5),
            ("pat3000", ino("/small/pat3000"), mode::S_IFSOCK | 0o755, 0, 6),
        ];
        (vol.block_size() as u64, ino("/small"), cases)
    };
    for (name, ino, m, rdev, ftype) in cases {
        write_at(&img, ino * bs + offset_of!(DinodeHeader, i_mode) as u64, &m.to_le_bytes());
        write_at(&img, ino * bs + offset_of!(DinodeHeader, id1) as u64, &rdev.to_le_bytes());
        // The entry's type byte too, as mknod writes it.
        let at = dirent_at(&img, bs, small, ino, name.as_bytes());
        write_at(&img, at + offset_of!(DirEntryHeader, file_type) as u64, &[ftype]);
    }
    let types = debugfs_batch(&img, &cases.iter().map(|c| format!("stat /small/{}", c.0)).collect::<Vec<_>>());
    let before = sha256_file(&img);

    let m = Mounted::new(&img, &[]);
    let got = sh(m.path(), "stat -c '%n %F %t %T %a' small/empty small/one-byte small/pat100 small/pat3000");
    assert_eq!(
        got,
        "small/empty character special file 8 12c 620\nsmall/one-byte block special file 103 7 660\n\
         small/pat100 fifo 0 0 600\nsmall/pat3000 socket 0 0 755\n"
    );
    // debugfs.ocfs2 names the same types.
    for (text, want) in types.iter().zip(["Char Device", "Block Device", "FIFO", "Socket"]) {
        assert!(text.contains(&format!("Type: {want} ")), "debugfs: {text}");
    }
    // readdir gives the types without a stat (find -type reads d_type).
    assert_eq!(
        sh(&m.join("small"), "find . -type c -o -type b -o -type p -o -type s | sort"),
        "./empty\n./one-byte\n./pat100\n./pat3000\n"
    );
    let meta = std::fs::symlink_metadata(m.join("small/empty")).unwrap();
    assert!(meta.file_type().is_char_device());
    assert_eq!((libc::major(meta.rdev()), libc::minor(meta.rdev())), (8, 300));
    assert!(std::fs::symlink_metadata(m.join("small/pat100")).unwrap().file_type().is_fifo());
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&img), before, "image unchanged");
}

/// Damaged inodes, a damaged extent and a damaged directory give EIO for those entries only, a
/// log line naming block and field, and no crash: the rest of the tree reads as expected.
#[test]
fn damaged_metadata_costs_only_the_damaged_entries() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("damaged.img");
    decompress_fixture("A-default", &img);
    let (bs, hello, d2, pat5000, pat100, one) = {
        let vol = Volume::open(&img).unwrap();
        let ino = |p: &str| vol.lookup(p).unwrap();
        let (bs, hello, d2) = (vol.block_size() as u64, ino("/small/hello.txt"), ino("/d1/d2"));
        (bs, hello, d2, ino("/small/pat5000"), ino("/small/pat100"), ino("/small/one-byte"))
    };
    // One of bigdir's 25 blocks loses its trailer's signature: the names it holds are lost, the
    // other blocks' are listed and found through the index.
    let (bigdir_blk, lost) = {
        let vol = Volume::open(&img).unwrap();
        let entries = ocfs2_format::fs::read_dir(&vol, &vol.inode(vol.lookup("/bigdir").unwrap()).unwrap()).unwrap();
        let blk = entries.iter().find(|e| e.name == b"e02500").unwrap().block;
        let lost: Vec<String> =
            entries.iter().filter(|e| e.block == blk).map(|e| String::from_utf8(e.name.clone()).unwrap()).collect();
        (blk, lost)
    };
    let trailer = (bigdir_blk + 1) * bs - TRAILER_SIZE as u64 + offset_of!(DirTrailer, db_signature) as u64;
    write_at(&img, trailer, b"XXXXXXX\0");
    // One size lies past 2^32 clusters, the largest file OCFS2 can map.
    write_at(&img, one * bs + offset_of!(DinodeHeader, i_size) as u64, &(1u64 << 60).to_le_bytes());
    // One inode's mode names no file type.
    write_at(&img, pat100 * bs + offset_of!(DinodeHeader, i_mode) as u64, &0o644u16.to_le_bytes());
    // Two inodes lose their signature; pat5000's one extent points past the end of the volume.
    for ino in [hello, d2] {
        write_at(&img, ino * bs + offset_of!(DinodeHeader, i_signature) as u64, b"XXXXXXX\0");
    }
    let rec = size_of::<DinodeHeader>() + size_of::<ExtentList>() + offset_of!(ExtentRec, e_blkno);
    write_at(&img, pat5000 * bs + rec as u64, &(1u64 << 40).to_le_bytes());
    let before = sha256_file(&img);

    let mut m = Mounted::new(&img, &[]);
    let eio = |p: &str| -> Option<i32> {
        let r = std::fs::metadata(m.join(p)).and_then(|_| std::fs::read(m.join(p)).map(|_| ()));
        r.err().map(|e| e.raw_os_error().unwrap())
    };
    assert_eq!(eio("small/hello.txt"), Some(libc::EIO));
    assert_eq!(eio("d1/d2"), Some(libc::EIO));
    assert_eq!(eio("small/pat5000"), Some(libc::EIO));
    assert_eq!(eio("small/pat100"), Some(libc::EIO));
    assert_eq!(eio("small/one-byte"), Some(libc::EIO));
    let listed = sh(m.path(), "ls -f bigdir | grep -v '^\\.\\.\\?$' | sort");
    assert!(!lost.is_empty() && lost.len() < 400, "{} names in the damaged block", lost.len());
    assert_eq!(listed.lines().count(), 5000 - lost.len(), "bigdir lists all but the damaged block's names");
    assert!(lost.iter().all(|n| !listed.lines().any(|l| l == n)));
    assert_eq!(eio("bigdir/e02500"), Some(libc::EIO), "found by the index in the damaged block");
    let kept = listed.lines().find(|l| !lost.iter().any(|n| n == l)).unwrap();
    assert_eq!(eio(&format!("bigdir/{kept}")), None, "{kept} still found through the index");
    // Listings still name the damaged entries.
    let names = sh(m.path(), "ls small d1");
    assert!(names.contains("hello.txt") && names.contains("pat5000") && names.contains("d2\n"), "{names}");

    // A full walk: every file that is not damaged reads as the guest wrote it.
    let walk = std::process::Command::new("sh")
        .arg("-c")
        .arg("find . -path ./bigdir -prune -o -type f -exec sha256sum {} + 2>&1; ls -lR . >/dev/null 2>&1; true")
        .current_dir(m.path())
        .output()
        .unwrap();
    let out = String::from_utf8(walk.stdout).unwrap();
    let got: BTreeMap<&str, &str> = out.lines().filter_map(|l| l.split_once("  ./")).map(|(sha, p)| (p, sha)).collect();
    let damaged = ["small/hello.txt", "small/pat5000", "small/pat100", "small/one-byte", "d1/d2/d3/deep.txt"];
    for (sha, _, path) in &expectations("A-default").files {
        if damaged.contains(&path.as_str()) {
            assert!(!got.contains_key(path.as_str()), "{path} read despite damage");
        } else {
            assert_eq!(got.get(path.as_str()), Some(&sha.as_str()), "{path}: {out}");
        }
    }
    assert!(m.alive(), "the daemon survived the walk");
    let log = m.log_text();
    for (blk, field) in [
        (hello, "ocfs2_dinode.signature"),
        (d2, "ocfs2_dinode.signature"),
        (pat100, "ocfs2_dinode.i_mode"),
        (one, "ocfs2_dinode.i_size"),
        (bigdir_blk, "ocfs2_dir_block_trailer.signature"),
    ] {
        assert!(log.lines().any(|l| l.contains(&format!("block {blk}")) && l.contains(field)), "{blk} {field}: {log}");
    }
    assert!(log.contains(&format!("inode {pat5000}")), "the bad extent is logged: {log}");
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&img), before, "image unchanged");
}

/// `trusted.` and `security.` attributes (the fixtures hold `user.` ones only: two of xattr/file's
/// inline entries get those name indexes, the name hash covering the name without its prefix):
/// root sees both with their values; another user's listing leaves `trusted.` out.
#[test]
fn trusted_and_security_xattrs() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("xattr.img");
    decompress_fixture("A-default", &img);
    let (at, inline) = {
        let vol = Volume::open(&img).unwrap();
        let inode = vol.inode(vol.lookup("/xattr/file").unwrap()).unwrap();
        let set = ocfs2_format::fs::read_xattrs(&vol, &inode).unwrap();
        let inline: Vec<_> =
            set.attrs.iter().filter(|a| a.place == ocfs2_format::fs::XattrPlace::Inline).cloned().collect();
        assert!(inline.len() >= 2, "xattr/file has two inline attributes: {inline:?}");
        let size = u64::from(inode.header().i_xattr_inline_size.get());
        ((inode.blkno() + 1) * vol.block_size() as u64 - size, inline)
    };
    for (i, index) in [name_index::TRUSTED, name_index::SECURITY].into_iter().enumerate() {
        let entry = at + (size_of::<XattrHeader>() + i * size_of::<XattrEntry>()) as u64;
        let t = entry + offset_of!(XattrEntry, xe_type) as u64;
        let old = read_at(&img, t, 1)[0];
        write_at(&img, t, &[(old & 0x80) | index]);
    }
    let before = sha256_file(&img);
    let m = Mounted::new(&img, &["-o", "allow_other"]);
    let dump = sh(m.path(), "getfattr -d -m - -e hex xattr/file");
    let hex = |v: &[u8]| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for (a, prefix) in inline.iter().zip(["trusted.", "security."]) {
        let line = format!("{prefix}{}=0x{}", String::from_utf8_lossy(&a.name), hex(&a.value));
        assert!(dump.lines().any(|l| l == line), "{line} in {dump}");
    }
    let nobody = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "getfattr", "-m", "-", "xattr/file"])
        .current_dir(m.path())
        .output()
        .unwrap();
    let names = String::from_utf8(nobody.stdout).unwrap();
    assert!(names.contains("security.") && !names.contains("trusted."), "{names}");
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&img), before, "image unchanged");
}

/// Random damage to many inodes and directory blocks at once: a full walk ends (no hang), the
/// daemon survives it and still answers, and it unmounts cleanly.
#[test]
fn random_damage_walks_without_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("random.img");
    decompress_fixture("A-default", &img);
    let (bs, blocks) = {
        let vol = Volume::open(&img).unwrap();
        let mut blocks = Vec::new();
        let mut todo = vec![vol.root_blkno()];
        while let Some(d) = todo.pop() {
            let inode = vol.inode(d).unwrap();
            for e in ocfs2_format::fs::read_dir(&vol, &inode).unwrap() {
                blocks.push(e.block);
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                blocks.push(e.inode);
                if vol.metadata_ino(e.inode).unwrap().is_dir() {
                    todo.push(e.inode);
                }
            }
        }
        blocks.sort_unstable();
        blocks.dedup();
        // The root and bigdir's own blocks stay whole, so that the walk goes everywhere and meets
        // the damaged inodes of 5000 entries.
        let bigdir = vol.lookup("/bigdir").unwrap();
        let mut keep: Vec<u64> =
            ocfs2_format::fs::read_dir(&vol, &vol.inode(bigdir).unwrap()).unwrap().iter().map(|e| e.block).collect();
        keep.extend([vol.root_blkno(), bigdir]);
        blocks.retain(|b| !keep.contains(b));
        (vol.block_size() as u64, blocks)
    };
    assert!(blocks.len() > 5000, "{} blocks", blocks.len());
    // Every third block gets one byte of its first 256 (the headers) flipped, chosen by a fixed
    // xorshift sequence so a failure can be replayed.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for &b in &blocks {
        if next() % 3 != 0 {
            continue;
        }
        let at = b * bs + next() % 256;
        let old = read_at(&img, at, 1)[0];
        write_at(&img, at, &[old ^ (1 + (next() % 255) as u8)]);
    }
    let before = sha256_file(&img);

    let mut m = Mounted::new(&img, &[]);
    // Every name, every attribute, every link and the first MiB of every file: a damaged size can
    // make a file of terabytes of holes, which no walk reads to the end.
    let start = std::time::Instant::now();
    let (mut files, mut dirs) = (0, vec![m.path().to_path_buf()]);
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            // By the inode's type, not the entry's: a damaged mode can make a FIFO of a file,
            // whose open would wait for a writer.
            match std::fs::symlink_metadata(&p).map(|m| m.file_type()) {
                Ok(t) if t.is_dir() => dirs.push(p),
                Ok(t) if t.is_symlink() => drop(std::fs::read_link(&p)),
                Ok(t) if t.is_file() => {
                    if let Ok(f) = std::fs::File::open(&p) {
                        let _ = f.take(1 << 20).read_to_end(&mut Vec::new());
                        files += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let other = std::process::Command::new("timeout")
        .args(["300", "sh", "-c", "ls -lR >/dev/null 2>&1; getfattr -R -d -m - . >/dev/null 2>&1; true"])
        .current_dir(m.path())
        .status()
        .unwrap();
    assert!(other.success(), "ls -lR and getfattr -R ended within 5 minutes: {other}");
    assert!(start.elapsed().as_secs() < 300, "the walk took {:?}", start.elapsed());
    assert!(files > 2500, "{files} files opened");
    let listed = sh(m.path(), "find . 2>/dev/null | wc -l; true").trim().parse::<u64>().unwrap();
    let stat_ok =
        sh(m.path(), "find bigdir -exec stat -c %i {} + 2>/dev/null | wc -l; true").trim().parse::<u64>().unwrap();
    assert!(listed > 5000, "{listed} names listed");
    // A third of bigdir's inodes have a flipped byte: those where it breaks a checked field
    // (signature, block number, generation, type, size bound) stat as EIO, the rest as before.
    assert!((2500..5001).contains(&stat_ok), "{stat_ok} of bigdir's 5001 names stat");
    assert!(m.alive(), "the daemon survived: {}", m.log_text());
    // A dead daemon leaves ENOTCONN behind; a live one answers, EIO at worst.
    if let Err(e) = std::fs::metadata(m.join("small")) {
        assert_ne!(e.raw_os_error(), Some(libc::ENOTCONN), "the mount answers");
    }
    assert!(m.log_text().contains("damaged metadata"), "damage was logged");
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&img), before, "image unchanged");
}
