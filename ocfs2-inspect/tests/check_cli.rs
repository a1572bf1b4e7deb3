//! The inspector's `check` command: what it adds to the library's checker
//! (tested in ocfs2-format/tests/check.rs): fsck.ocfs2's exit codes, the text
//! report, progress on a terminal, `--direct` reads.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{decompress_fixture, fixture, inspect};
use serde_json::Value;

/// Runs `check --json` and returns (exit code, report).
fn check(image: &Path) -> (i32, Value) {
    let out = inspect(&["--json", "check", "--no-progress", image.to_str().unwrap()]);
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("check {}: bad JSON ({e}): {}", image.display(), String::from_utf8_lossy(&out.stderr))
    });
    (code, v)
}

/// A private copy of a kernel fixture.
fn fixture_copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(format!("{name}.img"));
    decompress_fixture(name, &p);
    p
}

#[test]
fn direct_reads_give_the_same_answers() {
    // O_DIRECT walks keep 32 reads in flight (BlockSource::parallel_reads).
    let tmp = tempfile::tempdir().unwrap();
    for name in ["A-default", "E-extents"] {
        let path = fixture_copy(tmp.path(), name);
        let p = path.to_str().unwrap();
        for args in [vec!["--json", "check", "--no-progress", p], vec!["stat", p, "//global_bitmap"]] {
            let cached = inspect(&args);
            let direct = inspect(&[&["--direct"], args.as_slice()].concat());
            assert!(cached.status.success() && !cached.stdout.is_empty(), "{name} {args:?}");
            assert_eq!(direct.stdout, cached.stdout, "{name} {args:?}: --direct differs");
        }
    }
}

#[test]
fn exit_code_8_when_not_ocfs2() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("zero.img");
    std::fs::write(&path, vec![0u8; 1 << 16]).unwrap();
    let out = inspect(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(8));
}

/// Every finding has a readable name: a finding without an fsck.ocfs2 code is
/// named by its structure and field in the summary, never "(no code)", and no
/// field is a placeholder "-" (here: metadata past the end of a truncated copy,
/// which fsck.ocfs2 has no code for).
#[test]
fn every_finding_has_a_readable_name() {
    let tmp = tempfile::tempdir().unwrap();
    let short = tmp.path().join("short.img");
    let whole = std::fs::read(fixture("A-default")).unwrap();
    std::fs::write(&short, &whole[..150 << 20]).unwrap();
    let out = inspect(&["check", "--no-progress", short.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("(no code)") && !text.contains(".-"), "{text}");
    assert!(text.contains("metadata.truncated 1"), "{text}");
    let (_, v) = check(&short);
    for b in v["summary"]["by_code"].as_array().unwrap() {
        assert!(!b["name"].as_str().unwrap_or("").is_empty(), "{b}");
    }
    for f in v["findings"].as_array().unwrap() {
        assert_ne!(f["field"], "-", "{f}");
    }
}

/// Runs `cmd` under `script` (a pseudo-terminal for stdout and stderr alike) and
/// returns everything it wrote there.
fn on_a_terminal(cmd: &str) -> String {
    let out = std::process::Command::new("script").args(["-qfec", cmd, "/dev/null"]).output().expect("script(1)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Long `check` and `rdump` runs draw progress on a terminal's stderr, never
/// when stderr is not a terminal and never with `--json`.
#[test]
fn progress_only_on_a_terminal_and_never_with_json() {
    let img = fixture("X-max");
    let i = img.to_str().unwrap();
    let bin = common::bin();
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().to_str().unwrap();
    for d in ["a", "b", "c"] {
        std::fs::create_dir(tmp.path().join(d)).unwrap();
    }
    // On a terminal: progress.
    let t = on_a_terminal(&format!("{bin} check {i}"));
    assert!(t.contains("inodes") && t.contains('\r'), "check on a terminal: {t:?}");
    let t = on_a_terminal(&format!("{bin} rdump {i} / {o}/a"));
    assert!(t.contains("copied") && t.contains('\r'), "rdump on a terminal: {t:?}");
    // --json on a terminal: stdout and stderr hold nothing but the JSON document.
    let t = on_a_terminal(&format!("{bin} --json check {i}"));
    serde_json::from_str::<Value>(&t).unwrap_or_else(|e| panic!("--json check on a terminal ({e}): {t:?}"));
    let t = on_a_terminal(&format!("{bin} --json rdump {i} / {o}/b"));
    serde_json::from_str::<Value>(&t).unwrap_or_else(|e| panic!("--json rdump on a terminal ({e}): {t:?}"));
    // Piped: nothing on stderr.
    for args in [&["check", i][..], &["rdump", i, "/", &format!("{o}/c")]] {
        let out = inspect(args);
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
