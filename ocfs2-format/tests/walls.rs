//! The house's walls, checked on the sources (ARCHITECTURE.md, "Walls"): a wall
//! that only a reviewer remembers erodes one import at a time.
//!
//! Each test reads every `.rs` file under the crates' `src/` (and `tests/` where
//! the rule is about tests too) and names each offending file and line.

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (this crate's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate sits in the workspace").to_path_buf()
}

/// Every `.rs` file under `dir`, sorted; there must be some (a wall checked on
/// no files would pass for nothing).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let out = rust_files_maybe(dir);
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

fn rust_files_maybe(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display()));
        for e in entries {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines of `path` that are code: comments dropped, and everything from the
/// first `#[cfg(test)]` on (unit tests close each file by convention).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_string()))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect()
}

fn lib_src() -> PathBuf {
    root().join("ocfs2-format/src")
}

/// `file:line: text` for each code line of the files under `dir` that `bad` flags.
fn offenders(files: &[PathBuf], bad: impl Fn(&str) -> bool) -> Vec<String> {
    let root = root();
    let mut out = Vec::new();
    for f in files {
        for (n, l) in code_lines(f) {
            if bad(&l) {
                out.push(format!("{}:{n}: {}", f.strip_prefix(&root).unwrap_or(f).display(), l.trim()));
            }
        }
    }
    out
}

/// Modules above `layout` (and `layout` itself must not reach them): everything
/// but `error`.
const ABOVE_LAYOUT: &[&str] = &[
    "alloc",
    "check",
    "config",
    "files",
    "forensics",
    "fs",
    "heartbeat",
    "image",
    "intake",
    "io",
    "journal",
    "locks",
    "mkfs",
    "progress",
    "quota",
    "volume",
];

fn imports_any(line: &str, modules: &[&str]) -> bool {
    modules.iter().any(|m| {
        let p = format!("crate::{m}");
        line.match_indices(&p).any(|(i, _)| {
            let after = line[i + p.len()..].chars().next();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[test]
fn layout_imports_nothing_above_it() {
    let bad = offenders(&rust_files(&lib_src().join("layout")), |l| imports_any(l, ABOVE_LAYOUT));
    assert!(bad.is_empty(), "layout/ must not import the layers above it:\n{}", bad.join("\n"));
}

#[test]
fn volume_does_not_call_up_into_the_walks() {
    // Volume sits below fs, alloc and the forensic and quota scans; they extend
    // it (fs/system.rs), never the other way.
    let up = ["alloc", "check", "files", "forensics", "fs", "quota", "heartbeat", "mkfs"];
    let bad = offenders(&[lib_src().join("volume.rs")], |l| imports_any(l, &up));
    assert!(bad.is_empty(), "volume.rs must not import the walks built on it:\n{}", bad.join("\n"));
}

#[test]
fn fs_does_not_import_the_allocator_or_forensic_walks() {
    let up = ["alloc", "check", "forensics", "quota"];
    let bad = offenders(&rust_files(&lib_src().join("fs")), |l| imports_any(l, &up));
    assert!(bad.is_empty(), "fs/ must not import the walks built on it:\n{}", bad.join("\n"));
}

#[test]
fn the_walks_do_not_import_the_facade() {
    // `files` is the std::fs-shaped face over every walk below it; a walk that
    // borrowed its types (fs/tree.rs once took `files::Metadata`) ties the
    // layers into a knot.
    let src = lib_src();
    let mut files = Vec::new();
    for dir in ["fs", "alloc", "check"] {
        files.extend(rust_files(&src.join(dir)));
    }
    files.extend(["forensics.rs", "quota.rs"].map(|f| src.join(f)));
    let bad = offenders(&files, |l| imports_any(l, &["files"]));
    assert!(bad.is_empty(), "the walks must not import the facade built on them:\n{}", bad.join("\n"));
}

#[test]
fn no_unsafe_outside_io() {
    let io = lib_src().join("io");
    let files: Vec<PathBuf> = rust_files(&lib_src()).into_iter().filter(|f| !f.starts_with(&io)).collect();
    let bad = offenders(&files, |l| {
        l.contains("unsafe {")
            || l.contains("unsafe fn")
            || l.contains("unsafe impl")
            || l.contains("allow(unsafe_code)")
    });
    assert!(bad.is_empty(), "unsafe belongs in io/ only:\n{}", bad.join("\n"));
    let lib = fs::read_to_string(lib_src().join("lib.rs")).expect("lib.rs");
    assert!(lib.contains("#![deny(unsafe_code)]"), "lib.rs must deny unsafe_code crate-wide");
}

#[test]
fn the_library_never_prints() {
    let bad = offenders(&rust_files(&lib_src()), |l| {
        ["println!", "print!(", "eprintln!", "eprint!(", "dbg!("].iter().any(|m| l.contains(m))
    });
    assert!(bad.is_empty(), "the library returns values and errors; callers print:\n{}", bad.join("\n"));
}

/// Whether `line` applies `pattern` (`.to_string().contains(`, ...) to an error:
/// a variable named `e`, `err` or `error`, or an `unwrap_err()`.
fn compares_error_text(line: &str, pattern: &str) -> bool {
    line.match_indices(pattern).any(|(i, _)| {
        let before = &line[..i];
        let name_start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |j| j + 1);
        matches!(&before[name_start..], "e" | "err" | "error") || before.ends_with("unwrap_err()")
    })
}

#[test]
fn no_code_compares_error_text() {
    // An error is told apart by its variant and typed fields (Corruption's
    // kind, field, expected and actual), never by its message: rewording a
    // message must not change what a caller does.
    let root = root();
    let mut files = Vec::new();
    for krate in ["ocfs2-format", "ocfs2-inspect", "ocfs2-mkfs", "ocfs2-fuse", "ocfs2-py", "benches"] {
        for dir in ["src", "tests", "examples", "benches"] {
            let d = root.join(krate).join(dir);
            if d.is_dir() {
                files.extend(rust_files_maybe(&d));
            }
        }
    }
    let patterns =
        [".to_string().contains(", ".to_string().starts_with(", ".to_string().ends_with(", ".to_string() =="];
    let bad: Vec<String> = files
        .iter()
        .flat_map(|f| {
            // Unit tests count here: a test that matches message text pins the wording.
            let text = fs::read_to_string(f).unwrap_or_default();
            let shown = f.strip_prefix(&root).unwrap_or(f).display().to_string();
            text.lines()
                .enumerate()
                .filter(|(_, l)| patterns.iter().any(|p| compares_error_text(l, p)))
                .map(|(n, l)| format!("{shown}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(bad.is_empty(), "match on the error's variant and fields, not its text:\n{}", bad.join("\n"));
}
