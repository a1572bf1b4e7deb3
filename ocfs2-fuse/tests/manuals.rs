//! The manual pages: one per command and subcommand, each naming every option
//! that `--help` lists, and no more; and the completion scripts for bash, zsh and fish.

use std::path::Path;

#[test]
fn man_pages_name_every_option() {
    let dir = tempfile::tempdir().expect("temporary directory");
    ocfs2_docs::verify_pages(Path::new(env!("CARGO_BIN_EXE_ocfs2-fuse")), dir.path()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn completions_for_three_shells() {
    ocfs2_docs::verify_completions(Path::new(env!("CARGO_BIN_EXE_ocfs2-fuse"))).unwrap_or_else(|e| panic!("{e}"));
}
