//! Helpers shared by the integration tests: run our binary, run the real
//! ocfs2-tools, make images, decompress fixtures.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the `ocfs2-inspect` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ocfs2-inspect")
}

/// Runs `ocfs2-inspect ARGS` and returns its output, whatever the exit status.
pub fn inspect(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run ocfs2-inspect")
}

/// Runs `ocfs2-inspect --json ARGS`, asserts success and parses stdout.
pub fn inspect_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = inspect(&all);
    assert!(out.status.success(), "ocfs2-inspect {all:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("ocfs2-inspect {all:?}: bad JSON: {e}"))
}

/// Whether the real ocfs2-tools are installed. Under CI (CI=true) their absence
/// fails the test instead of skipping it.
pub fn have_tools() -> bool {
    let ok = Command::new("debugfs.ocfs2").arg("-V").output().is_ok()
        && Command::new("mkfs.ocfs2").arg("-V").output().is_ok();
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but ocfs2-tools are not installed");
        eprintln!("SKIPPED: ocfs2-tools are not installed (apt-get install ocfs2-tools); run bash .ci/run");
    }
    ok
}

/// Runs `debugfs.ocfs2 -R CMD IMAGE` and returns stdout (asserting success).
pub fn debugfs(image: &Path, cmd: &str) -> String {
    let out = Command::new("debugfs.ocfs2").arg("-R").arg(cmd).arg(image).output().expect("run debugfs.ocfs2");
    assert!(out.status.success(), "debugfs.ocfs2 -R {cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs many debugfs.ocfs2 commands in one process (`-f`) and returns each one's
/// stdout, in order. Fails on anything debugfs prints on stderr besides its banner
/// (command errors go there).
pub fn debugfs_batch(image: &Path, cmds: &[String]) -> Vec<String> {
    if cmds.is_empty() {
        return Vec::new();
    }
    let script = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(script.path(), cmds.join("\n") + "\n").expect("write the debugfs script");
    let out =
        Command::new("debugfs.ocfs2").arg("-f").arg(script.path()).arg(image).output().expect("run debugfs.ocfs2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> =
        stderr.lines().map(|l| l.trim_start_matches("debugfs.ocfs2 1.8.7")).filter(|l| !l.is_empty()).collect();
    // debugfs.ocfs2 -f exits with 1 even when every command worked: judge by stderr.
    assert!(out.status.code().is_some() && errors.is_empty(), "debugfs.ocfs2 -f: {errors:?}");
    let stdout = String::from_utf8(out.stdout).expect("debugfs output is UTF-8 here");
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in stdout.split_inclusive('\n') {
        if let Some(cmd) = line.strip_prefix("debugfs: ") {
            sections.push((cmd.trim_end().to_string(), String::new()));
        } else if let Some((_, text)) = sections.last_mut() {
            text.push_str(line);
        }
    }
    let echoed: Vec<&str> = sections.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(echoed, cmds.iter().map(String::as_str).collect::<Vec<_>>(), "debugfs.ocfs2 -f echo");
    sections.into_iter().map(|(_, t)| t).collect()
}

/// Runs `fsck.ocfs2 -fn IMAGE`: its exit code and everything it printed.
pub fn fsck(image: &Path) -> (Option<i32>, String) {
    let out = Command::new("fsck.ocfs2").arg("-fn").arg(image).output().expect("run fsck.ocfs2");
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
    let out =
        Command::new("mkfs.ocfs2").args(["-F", "-q", "-x"]).args(opts).arg(path).output().expect("run mkfs.ocfs2");
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
    let out = Command::new("zstd").args(["-q", "-d", "-f"]).arg(&zst).arg("-o").arg(dest).output().expect("run zstd");
    assert!(out.status.success(), "zstd -d {}: {}", zst.display(), String::from_utf8_lossy(&out.stderr));
}

/// Path of `fixtures/NAME.img.zst` in the repository.
pub fn fixture_zst(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(format!("{name}.img.zst"))
}

/// A binary of another workspace package, built on demand next to the inspector
/// (a package's tests get no `CARGO_BIN_EXE_` for another package's binaries).
pub fn workspace_bin(package: &'static str) -> PathBuf {
    static BUILT: std::sync::Mutex<std::collections::BTreeMap<&str, PathBuf>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    built
        .entry(package)
        .or_insert_with(|| {
            let dir = Path::new(bin()).parent().expect("the binary's directory").to_path_buf();
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args(["build", "-q", "-p", package]);
            if dir.ends_with("release") {
                cmd.arg("--release");
            }
            let out = cmd.output().expect("run cargo build");
            assert!(out.status.success(), "build {package}: {}", String::from_utf8_lossy(&out.stderr));
            let exe = dir.join(package);
            assert!(exe.exists(), "{} not built", exe.display());
            exe
        })
        .clone()
}
