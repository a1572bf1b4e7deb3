//! Mounting fixtures for the tests: a guard that always unmounts, and what the library's tests
//! share (fixtures, their expected lists, containers, debugfs.ocfs2 as the oracle).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

#[path = "../../../ocfs2-format/tests/common/mod.rs"]
mod library;
#[allow(unused_imports)] // each test binary uses a different subset
pub use library::*;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ocfs2-fuse")
}

/// FUSE is required, not optional: a test that cannot mount fails and says why.
pub fn require_fuse() {
    if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/fuse") {
        panic!("cannot open /dev/fuse ({e}): the FUSE tests need it (root, the fuse module, apt-get install fuse3)");
    }
    require_tool("fusermount3");
}

/// Runs `cmd` through `sh -c` in `dir`, asserting success; its stdout.
pub fn sh(dir: &Path, cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "sh -c {cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn is_mounted(mp: &Path) -> bool {
    let want = mp.to_string_lossy().into_owned();
    std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines().any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

/// A running `ocfs2-fuse -f` on a temporary mountpoint. Dropping it unmounts (also when an
/// assertion failed), and stops the daemon if the unmount did not.
pub struct Mounted {
    dir: TempDir,
    mp: PathBuf,
    child: Option<Child>,
    log: PathBuf,
}

impl Mounted {
    pub fn new(image: &Path, args: &[&str]) -> Mounted {
        require_fuse();
        let dir = tempfile::tempdir().unwrap();
        let mp = dir.path().join("mnt");
        std::fs::create_dir(&mp).unwrap();
        let mp = mp.canonicalize().unwrap();
        let log = dir.path().join("daemon.log");
        let child = Command::new(bin())
            .arg("-f")
            .args(args)
            .arg(image)
            .arg(&mp)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut m = Mounted { dir, mp, child: Some(child), log };
        let start = Instant::now();
        while !is_mounted(&m.mp) {
            if let Some(st) = m.child.as_mut().unwrap().try_wait().unwrap() {
                m.child = None;
                panic!("ocfs2-fuse exited ({st}) before mounting: {}", m.log_text());
            }
            assert!(start.elapsed() < Duration::from_secs(30), "not mounted after 30 s: {}", m.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
        m
    }

    pub fn path(&self) -> &Path {
        &self.mp
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.mp.join(rel)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the daemon is still running.
    pub fn alive(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Waits for the daemon to end by itself (after a signal or an external unmount).
    pub fn wait(&mut self) -> ExitStatus {
        let start = Instant::now();
        let c = self.child.as_mut().unwrap();
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                self.child = None;
                return st;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "daemon still running 30 s later");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Unmounts with `fusermount3 -u` and returns how the daemon ended.
    pub fn unmount(mut self) -> ExitStatus {
        let out = Command::new("fusermount3").arg("-u").arg(&self.mp).output().unwrap();
        assert!(out.status.success(), "fusermount3 -u: {}", String::from_utf8_lossy(&out.stderr));
        let st = self.wait();
        assert!(!is_mounted(&self.mp), "still mounted after fusermount3 -u");
        st
    }

    pub fn still_mounted(&self) -> bool {
        is_mounted(&self.mp)
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if is_mounted(&self.mp) {
            let _ = Command::new("fusermount3").arg("-u").arg("-z").arg(&self.mp).output();
        }
        if let Some(mut c) = self.child.take() {
            let start = Instant::now();
            while c.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What `debugfs.ocfs2 stat` says of an inode, as `stat -c '%i %h %s %a %u %g %.9X %.9Y %.9Z'`
/// would print it.
pub fn debugfs_stat_line(text: &str) -> String {
    // The owner line ("User: 0 (root)   Group: 0 (root)   Size: 34"): other lines hold sizes too.
    let owner = text.lines().find(|l| l.trim_start().starts_with("User: ")).unwrap();
    let field = |key: &str| -> &str {
        let text = if key == "Size: " { owner } else { text };
        let at = text.find(key).unwrap_or_else(|| panic!("no {key:?} in {text}")) + key.len();
        text[at..].split_whitespace().next().unwrap()
    };
    let time = |key: &str| -> String {
        let line = text.lines().find(|l| l.trim_start().starts_with(key)).unwrap();
        let mut w = line.split_whitespace().skip(1);
        let secs = i64::from_str_radix(w.next().unwrap().trim_start_matches("0x"), 16).unwrap();
        let nsec = u32::from_str_radix(w.next().unwrap().trim_start_matches("0x"), 16).unwrap();
        format!("{secs}.{nsec:09}")
    };
    let mode = u32::from_str_radix(field("Mode: "), 8).unwrap();
    format!(
        "{} {} {} {:o} {} {} {} {} {}",
        field("Inode: "),
        field("Links: "),
        field("Size: "),
        mode & 0o7777,
        field("User: "),
        field("Group: "),
        time("atime:"),
        time("mtime:"),
        time("ctime:"),
    )
}
