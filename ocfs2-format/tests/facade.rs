//! The facade from a program's side: volumes inside a larger disk image opened
//! through a sub-range source, `from_reader` and `from_bytes`; one `Volume`
//! shared by threads; errors a program can act on. Expected contents from
//! fixtures/README.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ocfs2_format::io::{open_zst, BlockSource, RangeSource};
use ocfs2_format::{Error, OpenOptions, Volume};
use sha2::{Digest, Sha256};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `(sha256, size, path)` of every regular file of `fixture` per fixtures/README.md.
fn expected(fixture: &str) -> Vec<(String, u64, String)> {
    let readme = std::fs::read_to_string(fixtures().join("README.md")).unwrap();
    let mut on = false;
    let mut out = Vec::new();
    for line in readme.lines() {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["fixture", name] => on = name == fixture,
            ["file", sha, size, path] if on => out.push((sha.to_string(), size.parse().unwrap(), format!("/{path}"))),
            _ => {}
        }
    }
    assert!(!out.is_empty());
    out
}

/// Hashes every expected file of `fixture` through `vol`.
fn check_files(vol: &Volume, fixture: &str) {
    for (sha, size, path) in expected(fixture) {
        let mut f = vol.open_file(&path).unwrap();
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h).unwrap();
        assert_eq!((hex(h.finalize()), f.len()), (sha, size), "{path}");
    }
}

/// A disk image holding A-default at byte 1 MiB (a partition's usual start),
/// written sparsely, and its sha256.
fn disk_image(dir: &Path) -> (PathBuf, String) {
    const AT: u64 = 1 << 20;
    let src = open_zst(&fixtures().join("A-default.img.zst")).unwrap();
    let path = dir.join("disk.img");
    let mut file = std::fs::File::create(&path).unwrap();
    file.set_len(AT + src.size() + (64 << 10)).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    for off in (0..src.size()).step_by(buf.len()) {
        src.read_at(off, &mut buf).unwrap();
        if buf.iter().any(|&b| b != 0) {
            std::os::unix::fs::FileExt::write_all_at(&file, &buf, AT + off).unwrap();
        }
    }
    file.flush().unwrap();
    (path.clone(), sha_of(&path))
}

fn sha_of(path: &Path) -> String {
    let mut h = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut h).unwrap();
    hex(h.finalize())
}

#[test]
fn a_volume_inside_a_disk_image() {
    let dir = tempfile::tempdir().unwrap();
    let (path, before) = disk_image(dir.path());
    let at = OpenOptions { offset: 1 << 20, ..Default::default() };

    // Through the sub-range source over an open file.
    let file = std::fs::File::open(&path).unwrap();
    let window = RangeSource::from_offset(file, 1 << 20).unwrap();
    let vol = Volume::from_source(Box::new(window), OpenOptions::default()).unwrap();
    assert_eq!(vol.label(), "kfix-local");
    check_files(&vol, "A-default");

    // Through any Read + Seek.
    let reader = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let vol = Volume::from_reader(reader, at).unwrap();
    check_files(&vol, "A-default");

    // Through bytes in memory, not copied.
    let bytes: Arc<[u8]> = std::fs::read(&path).unwrap().into();
    let vol = Volume::from_bytes(Arc::clone(&bytes), at).unwrap();
    assert_eq!(vol.read("/small/hello.txt").unwrap(), b"hello ocfs2 from the linux kernel\n");
    // At offset 0 the disk image is no volume.
    assert!(matches!(Volume::from_bytes(bytes, OpenOptions::default()), Err(Error::NotOcfs2)));

    assert_eq!(sha_of(&path), before, "reading changed the image");
}

#[test]
fn threads_share_one_volume() {
    let vol = Arc::new(Volume::open(fixtures().join("A-default.img.zst")).unwrap());
    let want = expected("A-default");
    let big: Vec<_> = want.iter().filter(|(_, size, _)| *size >= 1 << 20).cloned().collect();
    assert!(big.len() >= 4);
    let handles: Vec<_> = big
        .into_iter()
        .map(|(sha, _, path)| {
            let vol = Arc::clone(&vol);
            std::thread::spawn(move || {
                let mut f = vol.open_file_arc(&path).unwrap();
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 100_000];
                loop {
                    let n = f.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                assert_eq!(hex(h.finalize()), sha, "{path}");
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn errors_a_program_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    // A directory given as an image.
    let e = Volume::open(dir.path()).unwrap_err();
    assert!(matches!(&e, Error::Open { source, .. } if source.raw_os_error() == Some(libc::EISDIR)), "{e:?}");
    assert_eq!(e.errno(), libc::EISDIR);
    // A missing image.
    let e = Volume::open(dir.path().join("missing.img")).unwrap_err();
    assert!(matches!(e, Error::Open { .. }));
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::NotFound);
    // A cut .zst.
    let zst = std::fs::read(fixtures().join("A-default.img.zst")).unwrap();
    let cut = dir.path().join("cut.img.zst");
    std::fs::write(&cut, &zst[..zst.len() / 2]).unwrap();
    let e = Volume::open(&cut).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e:?}");
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::UnexpectedEof);

    let vol = Volume::open(fixtures().join("A-default.img.zst")).unwrap();
    let e = vol.metadata("/nope").unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    let io = std::io::Error::from(e);
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(matches!(io.get_ref().and_then(|e| e.downcast_ref::<Error>()), Some(Error::NotFound(_))));
    assert_eq!(vol.read_dir("/small/hello.txt").unwrap_err().errno(), libc::ENOTDIR);
}

/// Read maps a truncated image to UnexpectedEof with the Error inside.
#[test]
fn reading_past_a_cut_image_is_unexpected_eof() {
    let src = open_zst(&fixtures().join("A-default.img.zst")).unwrap();
    let vol = Volume::open(fixtures().join("A-default.img.zst")).unwrap();
    let f = vol.open_file("/data/pat20m").unwrap();
    let first = match f.runs()[0] {
        ocfs2_format::Run::Data { physical, .. } => physical,
        other => panic!("{other:?}"),
    };
    // Keep the image up to the first byte of the file's data.
    let mut bytes = vec![0u8; first as usize];
    src.read_at(0, &mut bytes).unwrap();
    let cut = Volume::from_bytes(bytes, OpenOptions::default()).unwrap();
    let mut f = cut.open_file("/data/pat20m").unwrap();
    let e = f.read(&mut [0u8; 10]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(matches!(e.get_ref().and_then(|e| e.downcast_ref::<Error>()), Some(Error::Truncated { .. })));
}
