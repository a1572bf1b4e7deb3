//! Helpers shared by the inspector's integration tests: run our binary and
//! debugfs.ocfs2; the rest (ocfs2-tools, images, fixtures) is the library's.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../ocfs2-format/tests/common/mod.rs"]
mod library;
#[allow(unused_imports)] // each test binary uses a different subset
pub use library::*;

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

/// Runs `debugfs.ocfs2 -R CMD IMAGE` and returns stdout (asserting success).
pub fn debugfs(image: &Path, cmd: &str) -> String {
    let out =
        Command::new(require_tool("debugfs.ocfs2")).arg("-R").arg(cmd).arg(image).output().expect("run debugfs.ocfs2");
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
    let out = Command::new(require_tool("debugfs.ocfs2"))
        .arg("-f")
        .arg(script.path())
        .arg(image)
        .output()
        .expect("run debugfs.ocfs2");
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

/// A read-only loop device over an image (o2info reads an unmounted volume only
/// through a block device), detached on drop.
pub struct Loop(pub String);

impl Loop {
    /// Attaches `image` read-only; panics with the reason when this host has no
    /// loop device for us (losetup needs root and /dev/loop*).
    pub fn attach(image: &Path) -> Loop {
        let out = Command::new(require_tool("losetup")).args(["-r", "-f", "--show"]).arg(image).output();
        match out {
            Ok(o) if o.status.success() => Loop(String::from_utf8_lossy(&o.stdout).trim().to_string()),
            Ok(o) => {
                panic!("needs a loop device (losetup -r -f: root, /dev/loop*): {}", String::from_utf8_lossy(&o.stderr))
            }
            Err(e) => panic!("needs a loop device (losetup -r -f: root, /dev/loop*): {e}"),
        }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.0).status();
    }
}
