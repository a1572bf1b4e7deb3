//! The inspector's walls, read from its sources: no command module imports
//! another. A command is a file `src/cmd/NAME.rs` (not `mod.rs`); what several
//! commands share lives in `src/cmd/mod.rs` or `src/cmd/common/`, which import
//! no command either. `main.rs` alone runs commands (its `dispatch`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The command modules: `src/cmd/*.rs` but `mod.rs`.
fn commands(cmd: &Path) -> BTreeSet<String> {
    std::fs::read_dir(cmd)
        .expect("src/cmd")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| s != "mod")
        .collect()
}

/// The first segment of each path that follows `prefix` in `src` (a
/// `prefix{a, b::c}` group gives `a` and `b`), comment lines left out.
fn named_after<'a>(src: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for line in src.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            let ident = |s: &'a str| {
                let s = s.trim_start();
                &s[..s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len())]
            };
            match rest.strip_prefix('{') {
                Some(group) => {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    out.extend(group.split(',').map(ident).filter(|s| !s.is_empty()));
                }
                None => out.push(ident(rest)),
            }
        }
    }
    out
}

/// The command modules `src` (the file of command `own`, if one) names: through
/// `crate::cmd::`, and through `super::` when `parent_is_cmd` (a file directly
/// under `src/cmd/`; in `common/` it is `super::super::`).
fn imported(src: &str, own: Option<&str>, parent_is_cmd: bool, commands: &BTreeSet<String>) -> BTreeSet<String> {
    let mut names = named_after(src, "crate::cmd::");
    names.extend(named_after(src, if parent_is_cmd { "super::" } else { "super::super::" }));
    names.into_iter().filter(|n| commands.contains(*n) && Some(*n) != own).map(String::from).collect()
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    v.sort();
    v
}

#[test]
fn no_command_module_imports_another() {
    let cmd = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cmd");
    let commands = commands(&cmd);
    assert!(commands.len() > 20 && commands.contains("stat"), "commands found: {commands:?}");
    let mut breaches = Vec::new();
    for (dir, parent_is_cmd) in [(cmd.clone(), true), (cmd.join("common"), false)] {
        let files = sources(&dir);
        assert!(!files.is_empty(), "{}: no sources", dir.display());
        for file in files {
            let src = std::fs::read_to_string(&file).expect("source");
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
            let own = stem.as_deref().filter(|_| parent_is_cmd);
            for name in imported(&src, own, parent_is_cmd, &commands) {
                breaches.push(format!("{} uses the command module `{name}`", file.display()));
            }
        }
    }
    assert!(breaches.is_empty(), "no command module imports another:\n{}", breaches.join("\n"));
}

/// The scanner finds each spelling of a breach, and leaves the shared places
/// and a file's own tests alone.
#[test]
fn the_scanner_sees_each_spelling() {
    let commands: BTreeSet<String> = ["stat", "ls", "hb"].map(String::from).into();
    let src = "use super::{resolve, ls, CmdError};\n\
               let r = super::stat::inode_report(v);\n\
               // super::hb::age in a comment\n\
               use crate::cmd::hb::now_secs;\n\
               use super::common::inode::render;\n\
               assert_eq!(super::fmt_age(5), x);\n";
    let found = imported(src, Some("stat"), true, &commands);
    assert_eq!(found, ["hb", "ls"].map(String::from).into());
    let found = imported("use super::super::stat::x;\nuse super::inode::y;\n", None, false, &commands);
    assert_eq!(found, ["stat"].map(String::from).into());
}
