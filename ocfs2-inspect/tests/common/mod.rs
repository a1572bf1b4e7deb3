//! Helpers shared by the inspector's integration tests: run our binary and
//! debugfs.ocfs2; the rest (ocfs2-tools, images, containers, fixtures and their
//! expected contents, debugfs.ocfs2 batches) is the library's.
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
