//! Runs the programs under `examples/` on the bundled fixtures and checks
//! their output: the manifest against fixtures/README.md's sha256 lists, the
//! rest against values read with debugfs.ocfs2 1.8.7 (`stats`, `stat`) and
//! fsck.ocfs2, noted at each assertion.
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/<profile>/examples/`); a missing one fails with how to build it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/{name}.img.zst"))
}

/// Runs example `name` with `args`; returns (exit code, stdout).
fn run(name: &str, args: &[&Path]) -> (i32, String) {
    // target/<profile>/deps/examples-HASH -> target/<profile>/examples/NAME
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo test -p ocfs2-format` (it builds the examples) or `cargo build -p ocfs2-format --examples` first",
        bin.display()
    );
    // `cargo test --test examples` alone does not rebuild the examples: refuse
    // a binary older than its source or the library's.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let newest = newest_mtime(&root.join("src")).max(mtime(&root.join(format!("examples/{name}.rs"))));
    assert!(
        mtime(&bin) >= newest,
        "{} is older than its sources: run `cargo build -p ocfs2-format --examples` (or the whole `cargo test -p ocfs2-format`)",
        bin.display()
    );
    let out = Command::new(&bin).args(args).output().unwrap();
    assert!(out.stderr.is_empty() || !out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).unwrap()
}

/// The newest modification time of the files under `dir`.
fn newest_mtime(dir: &Path) -> std::time::SystemTime {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { newest_mtime(&p) } else { mtime(&p) })
        .max()
        .unwrap_or(std::time::UNIX_EPOCH)
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

#[test]
fn manifest_equals_the_fixture_lists() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/README.md")).unwrap();
    for name in ["A-default", "B", "C1", "E-extents"] {
        let mut on = false;
        let mut want: Vec<String> = Vec::new();
        for line in readme.lines() {
            match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["fixture", f] => on = f == name,
                ["file", sha, size, path] if on => want.push(format!("{sha}  {size}  /{path}")),
                _ => {}
            }
        }
        let (code, out) = run("manifest", &[&fixture(name)]);
        assert_eq!(code, 0);
        // The README lists every regular file outside lost+found and bigdir.
        let got: Vec<&str> =
            out.lines().filter(|l| !l.contains("  /lost+found/") && !l.contains("  /bigdir/")).collect();
        assert_eq!(got, want, "{name}");
        if name == "A-default" {
            assert_eq!(out.lines().filter(|l| l.contains("  /bigdir/e")).count(), 5000);
        }
    }
}

#[test]
fn walk_lists_types_modes_links_and_targets() {
    let (code, out) = run("walk", &[&fixture("A-default"), p("/links")]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "d 0755   2       3896 /links",
            "- 0644   2    1048576 /links/hard-pat1m",
            "l 0777   1         18 /links/sym-hello -> ../small/hello.txt",
        ]
    );
    let long = format!("l 0777   1       3996 /links/sym-long -> /long/{}", "L".repeat(3990));
    assert_eq!(lines[3..], [long.as_str()]);
}

#[test]
fn deleted_lists_names_and_inodes() {
    // B: the open-unlinked file (fixtures/README.md: inode 15804, pattern 77).
    let (code, out) = run("deleted", &[&fixture("B")]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "name /data/orphan-open type File inode unknown\n\
        inode 15804 File size 65536 uid 0 deleted never (orphan) orphan true \
        data f9c7a6a2374c91088808cd07acf79b6b73b8ad3b61fce87e5cd994a0ebb7cd96\n"
    );
    // A-default: data/deleted, freed; debugfs `stat <15804>`: dtime 0x6b05d670.
    let (_, out) = run("deleted", &[&fixture("A-default")]);
    assert_eq!(
        out,
        format!(
            "name /data/deleted type File inode unknown\n\
         inode 15804 File size 0 uid 0 deleted {} orphan false data none\n",
            0x6b05d670u64
        )
    );
}

#[test]
fn health_reports_identity_journals_and_check() {
    let (code, out) = run("health", &[&fixture("B")]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    // debugfs.ocfs2 `stats` of B: label, UUID, feature names.
    assert_eq!(lines[0], "label kfix-dirty");
    assert_eq!(lines[1].replace('-', "").to_uppercase(), "UUID 42570C4BADE44819AED344791CE161F3");
    assert_eq!(
        lines[2],
        "features backup-super,strict-journal-super | local,sparse,extended-slotmap,inline-data,xattr,\
         indexed-dirs,refcount,discontig-bg,append-dio | unwritten"
    );
    assert!(lines[3].starts_with("space ") && lines[3].ends_with(" of 268435456 bytes used"));
    // debugfs `slotmap` and the journal's ij_flags; fsck.ocfs2 -fn finds B clean.
    assert_eq!(lines[4..6], ["slot 0 node 0 journal dirty (needs recovery)", "slot 1 node - journal clean"]);
    assert!(lines[6].starts_with("info block 18: ocfs2_dinode (journal).ij_flags"));
    assert!(lines[7].starts_with("info [INODE_ORPHANED] block 15804"));
    assert_eq!(lines[8..], ["clean"]);
}

#[test]
fn extents_shows_runs_and_seek_points() {
    // debugfs `stat /sparse/holey`: clusters at blocks 37716 (cpos 0) and 37717
    // (cpos 2048), 4 KiB blocks and clusters.
    let (code, out) = run("extents", &[&fixture("A-default"), p("/sparse/holey")]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "/sparse/holey: 16777216 bytes, 8192 allocated\n\
         data                 0 +4096       at {}\n\
         hole              4096 +8384512\n\
         data           8388608 +4096       at {}\n\
         hole           8392704 +8384512\n\
         seek_data(0) 0 seek_hole(0) 4096\n",
            37716 * 4096,
            37717 * 4096
        )
    );
    // debugfs `stat /data/pat1m`: 256 clusters at block 32273, Refcounted.
    let (_, out) = run("extents", &[&fixture("A-default"), p("/data/pat1m")]);
    assert!(out.contains(&format!("data                 0 +1048576    at {} shared\n", 32273 * 4096)), "{out}");
    let (_, out) = run("extents", &[&fixture("A-default"), p("/data/prealloc")]);
    assert!(out.contains("unwritten            0 +4194304") && out.ends_with("seek_data(0) none seek_hole(0) 0\n"));
}

#[test]
fn errors_are_acted_on() {
    let a = fixture("A-default");
    let (code, out) = run("errors", &[&a, p("/small/hello.txt"), p("/nope"), p("/small"), p("/small/hello.txt/x")]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "/small/hello.txt: ok, 34 bytes\n\
        /nope: NotFound errno 2: no such file: skip it\n\
        /small: IsADirectory errno 21: a directory: list it instead\n\
        /small/hello.txt/x: NotADirectory errno 20: a path through a file: fix the path\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = run("errors", &[dir.path()]);
    assert_eq!(
        (code, out.as_str()),
        (1, "open: errno 21 cannot open the image (Is a directory (os error 21)): check the path\n")
    );
    let zst = std::fs::read(&a).unwrap();
    let cut = dir.path().join("cut.img.zst");
    std::fs::write(&cut, &zst[..zst.len() / 2]).unwrap();
    let (code, out) = run("errors", &[&cut]);
    assert_eq!(code, 1);
    assert!(out.starts_with("open: errno 5 the image is cut short at ") && out.ends_with(" bytes: get a whole copy\n"));
}

#[test]
fn sources_open_the_same_volume_four_ways() {
    // A disk image holding A-default at 1 MiB.
    let dir = tempfile::tempdir().unwrap();
    let raw = ocfs2_format::io::open_zst(&fixture("A-default")).unwrap();
    let disk = dir.path().join("disk.img");
    let file = std::fs::File::create(&disk).unwrap();
    let size = ocfs2_format::io::BlockSource::size(&raw);
    file.set_len((1 << 20) + size).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    for off in (0..size).step_by(buf.len()) {
        ocfs2_format::io::BlockSource::read_at(&raw, off, &mut buf).unwrap();
        if buf.iter().any(|&b| b != 0) {
            std::os::unix::fs::FileExt::write_all_at(&file, &buf, (1 << 20) + off).unwrap();
        }
    }
    let (code, out) = run("sources", &[&disk, p("1048576")]);
    assert_eq!(code, 0, "{out}");
    // debugfs.ocfs2 `stats`: label kfix-local, UUID 9EC189943C9647E3A8EFE79BF8EC9F0D;
    // 65536 clusters of 4 KiB (the superblock inode's Clusters).
    let tail = "label kfix-local uuid 9ec18994-3c96-47e3-a8ef-e79bf8ec9f0d 65536 blocks of 4096";
    let want: Vec<String> = ["path", "file window", "reader", "bytes"].iter().map(|h| format!("{h}: {tail}")).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}
