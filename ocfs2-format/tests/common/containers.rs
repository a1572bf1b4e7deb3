//! What examiners are handed around a volume, made with the real tools: partitioned disks
//! (sfdisk), split raw images (split) and EWF images (ewfacquire). Each builder fails naming a
//! missing tool and its package.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::require_tool;

/// Runs `cmd`, asserting success; its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A sparse file of `mib` MiB.
pub fn blank(path: &Path, mib: u64) {
    std::fs::File::create(path).and_then(|f| f.set_len(mib << 20)).expect("create disk image");
}

/// A blank disk of `mib` MiB at `path` with the partition table sfdisk makes from `script`.
pub fn sfdisk_disk(path: &Path, mib: u64, script: &str) {
    blank(path, mib);
    let mut child =
        Command::new(require_tool("sfdisk")).arg("-q").arg(path).stdin(Stdio::piped()).spawn().expect("run sfdisk");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), script.as_bytes()).expect("write script");
    assert!(child.wait().expect("sfdisk").success(), "sfdisk {script:?}");
}

/// Copies `image` into `disk` at byte `at` (sparse, as dd would).
pub fn place(disk: &Path, image: &Path, at: u64) {
    assert_eq!(at % 512, 0);
    run(Command::new("dd")
        .arg(format!("if={}", image.display()))
        .arg(format!("of={}", disk.display()))
        .args(["bs=512", "conv=notrunc,sparse", "status=none"])
        .arg(format!("seek={}", at / 512)));
}

/// Splits `image` into `dir/prefix...` pieces of `bytes` with `split` (numeric
/// suffixes from 001 as dd and FTK Imager name them, or split's own `aa`); the pieces in order.
pub fn split_image(image: &Path, dir: &Path, prefix: &str, bytes: u64, numeric: bool) -> Vec<PathBuf> {
    let mut cmd = Command::new(require_tool("split"));
    cmd.arg(format!("--bytes={bytes}"));
    if numeric {
        cmd.args(["--numeric-suffixes=1", "--suffix-length=3"]);
    }
    run(cmd.arg(image).arg(dir.join(prefix)));
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix)))
        .collect();
    parts.sort();
    parts
}

/// `ewfacquire` of `image` into `dir/name.E01...` with `compression`
/// (`deflate:fast`, `none`) in segments of `segment` bytes; MD5 and SHA-1
/// stored. The segments in order.
pub fn ewfacquire(image: &Path, dir: &Path, name: &str, compression: &str, segment: &str) -> Vec<PathBuf> {
    let target = dir.join(name);
    run(Command::new(require_tool("ewfacquire"))
        .args(["-u", "-q", "-c", compression, "-S", segment, "-d", "sha1", "-t"])
        .arg(&target)
        .arg(image));
    (1..100).map(|n| target.with_extension(format!("E{n:02}"))).take_while(|p| p.exists()).collect()
}
