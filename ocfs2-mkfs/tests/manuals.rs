//! The manual pages: one per command and subcommand, each naming every option
//! that `--help` lists; and the completion scripts for bash, zsh and fish.

#[test]
fn man_pages_name_every_option() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_ocfs2-mkfs"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let pages = ocfs2_docs::verify_pages(bin, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pages, std::fs::read_dir(dir.path()).expect("read").count(), "a page per command, no more");
}

#[test]
fn completions_for_three_shells() {
    let bin = env!("CARGO_BIN_EXE_ocfs2-mkfs");
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef ocfs2-mkfs"), ("fish", "complete -c ocfs2-mkfs")]
    {
        let out = std::process::Command::new(bin).args(["--generate-completions", shell]).output().expect("run");
        assert!(out.status.success(), "{shell}");
        assert!(String::from_utf8_lossy(&out.stdout).contains(marker), "{shell} script");
    }
}
