//! Helpers shared by the library's integration tests (and, through the
//! inspector's and the FUSE daemon's `tests/common`, by theirs): run the real
//! ocfs2-tools, make images and containers, decompress fixtures and read their
//! expected contents.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

pub mod containers;
pub mod damaged;
mod debugfs;
mod expect;
mod require;

#[allow(unused_imports)] // each test binary uses a different subset
pub use debugfs::{debugfs_batch, debugfs_sections};
#[allow(unused_imports)]
pub use expect::{expectations, Expect};
pub use require::require_tool;

/// The sha256 of a file's contents, in hex (read in pieces: images are large).
pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `fsck.ocfs2 -fn IMAGE`: its exit code and everything it printed.
pub fn fsck(image: &Path) -> (Option<i32>, String) {
    let out = Command::new(require_tool("fsck.ocfs2")).arg("-fn").arg(image).output().expect("run fsck.ocfs2");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// Makes a sparse image of `size` bytes at `path` with the real mkfs.ocfs2 and
/// the given options (`-F -q -x` are added; the cluster stack is never touched
/// for image files).
pub fn mkfs(path: &Path, size: u64, opts: &[&str]) {
    let f = std::fs::File::create(path).expect("create image");
    f.set_len(size).expect("size image");
    drop(f);
    let out = Command::new(require_tool("mkfs.ocfs2"))
        .args(["-F", "-q", "-x"])
        .args(opts)
        .arg(path)
        .output()
        .expect("run mkfs.ocfs2");
    assert!(
        out.status.success(),
        "mkfs.ocfs2 {opts:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A kernel-written fixture from `fixtures/NAME.img.zst`, decompressed once into
/// cargo's target tmpdir (debugfs.ocfs2 cannot read .zst) and kept there for
/// later runs. Read-only use only: tests that damage an image make a private copy
/// with [`decompress_fixture`].
pub fn fixture(name: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    std::fs::create_dir_all(&dir).expect("create fixture cache");
    let raw = dir.join(format!("{name}.img"));
    let zst = fixture_zst(name);
    let fresh = |p: &Path| -> bool {
        let (Ok(r), Ok(z)) = (std::fs::metadata(p), std::fs::metadata(&zst)) else { return false };
        matches!((r.modified(), z.modified()), (Ok(r), Ok(z)) if r >= z)
    };
    if !fresh(&raw) {
        // Decompress beside it and rename, so an interrupted run leaves no half image.
        let tmp = dir.join(format!("{name}.img.{}.part", std::process::id()));
        decompress_fixture(name, &tmp);
        std::fs::rename(&tmp, &raw).expect("rename");
    }
    raw
}

/// Decompresses `fixtures/NAME.img.zst` to `dest` (sparse), for a test's own copy.
pub fn decompress_fixture(name: &str, dest: &Path) {
    let zst = fixture_zst(name);
    let out = Command::new(require_tool("zstd"))
        .args(["-q", "-d", "-f"])
        .arg(&zst)
        .arg("-o")
        .arg(dest)
        .output()
        .expect("run zstd");
    assert!(out.status.success(), "zstd -d {}: {}", zst.display(), String::from_utf8_lossy(&out.stderr));
}

/// Path of `fixtures/NAME.img.zst` in the repository.
pub fn fixture_zst(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(format!("{name}.img.zst"))
}
