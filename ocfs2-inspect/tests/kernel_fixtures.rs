//! The kernel-written fixtures (`fixtures/*.img.zst`), read by our binary and
//! checked against two oracles: the expectations in `fixtures/README.md` (hashes
//! printed by the guest kernel that wrote the files) and `debugfs.ocfs2`, run live
//! on the same raw image.
//!
//! * `rdump` (from the `.zst` and from the raw image) reproduces every file,
//!   symlink target, hard link, mode, owner and mtime, and equals debugfs.ocfs2's
//!   own rdump byte for byte;
//! * `ls -l` of every directory, the system directory included, lists what
//!   debugfs.ocfs2 lists, in the same order;
//! * `findpath`, `bmap`, `cat`, `dump` and `stat` agree with debugfs.ocfs2.
//!
//! Nothing here hard-codes an inode or block number: debugfs.ocfs2 provides them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, Weak};

use common::{debugfs_batch, expectations, fixture_zst, inspect, inspect_json, require_tool, sha256_file, Expect};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

// ---------------------------------------------------------------------------
// Images and debugfs.ocfs2

/// A fixture decompressed into its own temporary directory (removed on drop).
struct Raw {
    name: &'static str,
    /// Holds the directory (removed on drop).
    _dir: TempDir,
    img: PathBuf,
}

impl Raw {
    /// The fixture for read-only use, shared by the tests that run at the same
    /// time (one 256 MiB sparse copy each, not one per test); removed when the
    /// last of them finishes.
    fn shared(name: &'static str) -> Arc<Raw> {
        static LIVE: Mutex<Vec<Weak<Raw>>> = Mutex::new(Vec::new());
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        if let Some(r) = live.iter().filter_map(Weak::upgrade).find(|r| r.name == name) {
            return r;
        }
        let r = Arc::new(Raw::new(name));
        live.push(Arc::downgrade(&r));
        r
    }

    /// A private copy, for a test that writes to it.
    fn new(name: &'static str) -> Raw {
        let dir = TempDir::new().unwrap();
        let img = dir.path().join(format!("{name}.img"));
        common::decompress_fixture(name, &img);
        Raw { name, _dir: dir, img }
    }
    fn img(&self) -> &str {
        self.img.to_str().unwrap()
    }
    fn zst(&self) -> String {
        fixture_zst(self.name).to_str().unwrap().to_string()
    }
}

/// `debugfs.ocfs2 -R CMD` stdout as bytes (for `cat`).
fn debugfs_bytes(raw: &Raw, cmd: &str) -> Vec<u8> {
    let out = Command::new("debugfs.ocfs2").arg("-R").arg(cmd).arg(&raw.img).output().unwrap();
    assert!(out.status.success(), "debugfs.ocfs2 -R {cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// One row of debugfs.ocfs2 `ls -l`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LsRow {
    inode: u64,
    mode: String,
    links: u32,
    uid: u32,
    gid: u32,
    size: u64,
    name: String,
}

/// Parses `ls -l` output: inode, mode, links, uid, gid, size, date, time, name.
fn parse_ls_l(text: &str) -> Vec<LsRow> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut rest = l.trim_start();
            let mut f = Vec::new();
            for _ in 0..8 {
                let end = rest.find(char::is_whitespace).unwrap_or_else(|| panic!("short ls -l row {l:?}"));
                f.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            let n = |s: &str| s.parse::<u64>().unwrap_or_else(|_| panic!("ls -l row {l:?}"));
            LsRow {
                inode: n(f[0]),
                mode: f[1].to_string(),
                links: n(f[2]) as u32,
                uid: n(f[3]) as u32,
                gid: n(f[4]) as u32,
                size: n(f[5]),
                name: rest.to_string(),
            }
        })
        .collect()
}

/// A directory spec joined with a name: `/` + `a` = `/a`, `//` + `x` = `//x`.
fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Every directory of the volume (the root tree and the system directory), with
/// its debugfs.ocfs2 `ls -l` rows, walked breadth first through debugfs itself.
fn debugfs_walk(raw: &Raw) -> BTreeMap<String, Vec<LsRow>> {
    let mut dirs = BTreeMap::new();
    let mut level = vec!["/".to_string(), "//".to_string()];
    while !level.is_empty() {
        let cmds: Vec<String> = level.iter().map(|d| format!("ls -l {d}")).collect();
        let mut next = Vec::new();
        for (dir, text) in level.into_iter().zip(debugfs_batch(&raw.img, &cmds)) {
            let rows = parse_ls_l(&text);
            assert!(rows.len() >= 2, "debugfs ls -l {dir}: {text}");
            for r in &rows {
                if r.mode.starts_with('d') && r.name != "." && r.name != ".." {
                    next.push(join(&dir, &r.name));
                }
            }
            dirs.insert(dir, rows);
        }
        level = next;
    }
    dirs
}

/// Every non-directory entry of the root tree, as (path without the leading `/`, row).
fn tree_entries(walk: &BTreeMap<String, Vec<LsRow>>) -> Vec<(String, LsRow)> {
    let mut v = Vec::new();
    for (dir, rows) in walk {
        if dir.starts_with("//") {
            continue;
        }
        for r in rows {
            if r.name != "." && r.name != ".." {
                v.push((join(dir, &r.name).trim_start_matches('/').to_string(), r.clone()));
            }
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Host-side helpers

fn sha256(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `ls -l` mode string of a host file (independent of the crate's renderer).
fn mode_string(m: u32) -> String {
    let t = match m & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::from(t);
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        let bit = 0o400 >> i;
        let special = match i {
            2 => m & 0o4000 != 0,
            5 => m & 0o2000 != 0,
            8 => m & 0o1000 != 0,
            _ => false,
        };
        let set = m & bit != 0;
        s.push(match (set, special) {
            (true, false) => c,
            (false, false) => '-',
            (true, true) if i == 8 => 't',
            (false, true) if i == 8 => 'T',
            (true, true) => 's',
            (false, true) => 'S',
        });
    }
    s
}

/// Every path under `root` (relative, sorted), with its lstat.
fn host_tree(root: &Path) -> BTreeMap<PathBuf, fs::Metadata> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p.strip_prefix(root).unwrap().to_path_buf(), m);
        }
    }
    out
}

/// Asserts two copied trees are identical: paths, types, permissions, owners,
/// contents, symlink targets, and (unless `coarse`) mtimes to the nanosecond
/// and link counts; with `coarse`, mtimes to the second (debugfs.ocfs2 sets whole
/// seconds) and no link counts (debugfs copies hard links as separate files).
fn assert_same_tree(a: &Path, b: &Path, coarse: bool, what: &str) {
    let (ta, tb) = (host_tree(a), host_tree(b));
    let (ka, kb): (BTreeSet<_>, BTreeSet<_>) = (ta.keys().collect(), tb.keys().collect());
    assert_eq!(ka, kb, "{what}: the trees hold different paths");
    for (p, ma) in &ta {
        let mb = &tb[p];
        let ctx = format!("{what}: {}", p.display());
        assert_eq!(ma.mode(), mb.mode(), "{ctx}: mode {:o} vs {:o}", ma.mode(), mb.mode());
        assert_eq!((ma.uid(), ma.gid()), (mb.uid(), mb.gid()), "{ctx}: owner");
        if ma.file_type().is_symlink() {
            assert_eq!(fs::read_link(a.join(p)).unwrap(), fs::read_link(b.join(p)).unwrap(), "{ctx}: target");
            continue;
        }
        if coarse {
            assert_eq!(ma.mtime(), mb.mtime(), "{ctx}: mtime");
        } else {
            assert_eq!((ma.mtime(), ma.mtime_nsec()), (mb.mtime(), mb.mtime_nsec()), "{ctx}: mtime");
        }
        if ma.is_file() {
            assert_eq!(ma.len(), mb.len(), "{ctx}: size");
            if ma.len() > 0 {
                assert_eq!(sha256_file(&a.join(p)), sha256_file(&b.join(p)), "{ctx}: contents");
            }
            if !coarse {
                assert_eq!(ma.nlink(), mb.nlink(), "{ctx}: links");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The checks

/// The raw image is the one fixtures/README.md describes.
fn check_raw_image(raw: &Raw, exp: &Expect) {
    let (size, sha) = exp.raw.as_ref().expect("a raw record");
    assert_eq!(fs::metadata(&raw.img).unwrap().len(), *size, "{}: raw size", raw.name);
    assert_eq!(&sha256_file(&raw.img), sha, "{}: raw sha256 (fixtures/README.md is out of date?)", raw.name);
}

/// `rdump IMAGE / OUT` from the .zst and from the raw image, checked against
/// fixtures/README.md and against debugfs.ocfs2.
fn check_rdump(raw: &Raw, exp: &Expect) {
    let name = raw.name;
    let walk = debugfs_walk(raw);

    // From the .zst (the tool decompresses it itself), into an existing directory.
    let zst_out = TempDir::new().unwrap();
    let before = fs::metadata(zst_out.path()).unwrap();
    ok(inspect(&["rdump", &raw.zst(), "/", zst_out.path().to_str().unwrap()]), "rdump .zst");
    let out = zst_out.path();
    let after = fs::metadata(out).unwrap();
    assert_eq!(before.mode(), after.mode(), "{name}: rdump / must leave OUTDIR's own mode alone");

    // From the raw image (memory-mapped); --json reports what was written.
    let raw_out = TempDir::new().unwrap();
    let sum = inspect_json(&["rdump", raw.img(), "/", raw_out.path().to_str().unwrap()]);
    assert_same_tree(out, raw_out.path(), false, &format!("{name}: rdump of .zst vs raw image"));

    // Every file the guest kernel wrote, with its hash and size; no other regular
    // file outside lost+found/ and the expected flat directories.
    let tree = host_tree(out);
    let skip: Vec<PathBuf> =
        exp.dirs.iter().map(|d| PathBuf::from(&d.2)).chain([PathBuf::from("lost+found")]).collect();
    let got_files: BTreeSet<String> = tree
        .iter()
        .filter(|(p, m)| m.is_file() && !skip.iter().any(|s| p.starts_with(s)))
        .map(|(p, _)| p.to_str().unwrap().to_string())
        .collect();
    let want_files: BTreeSet<String> = exp.files.iter().map(|f| f.2.clone()).collect();
    assert_eq!(got_files, want_files, "{name}: regular files written by rdump");
    for (sha, size, path) in &exp.files {
        let p = out.join(path);
        assert_eq!(fs::metadata(&p).unwrap().len(), *size, "{name}: size of {path}");
        assert_eq!(&sha256_file(&p), sha, "{name}: sha256 of {path}");
    }
    for (sha, len, path) in &exp.symlinks {
        let t = fs::read_link(out.join(path)).unwrap_or_else(|e| panic!("{name}: {path} is not a symlink: {e}"));
        let t = t.as_os_str().as_encoded_bytes();
        assert_eq!((t.len() as u64, &sha256(t)), (*len, sha), "{name}: target of {path}");
    }
    for (a, b) in &exp.hardlinks {
        let (ma, mb) = (fs::metadata(out.join(a)).unwrap(), fs::metadata(out.join(b)).unwrap());
        assert_eq!((ma.dev(), ma.ino()), (mb.dev(), mb.ino()), "{name}: {a} and {b} must be hard links");
        assert_eq!(ma.nlink(), 2, "{name}: links of {a}");
    }
    for (count, sha, path) in &exp.dirs {
        let mut names = Vec::new();
        for e in fs::read_dir(out.join(path)).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            assert!(m.is_file() && m.len() == 0, "{name}: {path}/{:?} should be an empty file", e.file_name());
            names.push(e.file_name().into_string().unwrap());
        }
        names.sort();
        let listing: String = names.iter().map(|n| format!("{n}\n")).collect();
        assert_eq!((names.len() as u64, &sha256(listing.as_bytes())), (*count, sha), "{name}: entries of {path}");
    }

    // Modes, owners and link counts as debugfs.ocfs2 lists them; names sharing an
    // inode are one file (hard links), names of different inodes are not.
    let entries = tree_entries(&walk);
    let mut host_ino: HashMap<u64, u64> = HashMap::new();
    for (path, row) in &entries {
        let m = tree.get(Path::new(path)).unwrap_or_else(|| panic!("{name}: rdump did not write {path}"));
        assert_eq!(mode_string(m.mode()), row.mode, "{name}: mode of {path}");
        assert_eq!((m.uid(), m.gid()), (row.uid, row.gid), "{name}: owner of {path}");
        if !m.is_dir() {
            assert_eq!(m.nlink(), u64::from(row.links), "{name}: links of {path}");
            let seen = *host_ino.entry(row.inode).or_insert(m.ino());
            assert_eq!(seen, m.ino(), "{name}: {path} shares inode {} with another name", row.inode);
        }
        if m.is_file() {
            assert_eq!(m.len(), row.size, "{name}: size of {path}");
        }
    }
    let distinct: BTreeSet<u64> = host_ino.values().copied().collect();
    assert_eq!(distinct.len(), host_ino.len(), "{name}: different inodes were merged into one file");
    assert_eq!(entries.len(), tree.len(), "{name}: rdump wrote paths debugfs does not list");

    // The summary counts what is there.
    let n = |k: &str| sum[k].as_u64().unwrap_or_else(|| panic!("rdump --json: no {k} in {sum}"));
    let files = tree.values().filter(|m| m.is_file()).count() as u64;
    assert_eq!(n("files") + n("hard_links"), files, "{name}: rdump summary {sum}");
    assert_eq!(n("directories"), 1 + tree.values().filter(|m| m.is_dir()).count() as u64, "{name}: {sum}");
    assert_eq!(n("symlinks"), tree.values().filter(|m| m.file_type().is_symlink()).count() as u64);

    // debugfs.ocfs2's own rdump, byte for byte. Its `rdump / DIR` fails in 1.8.7
    // ("File exists while making directory DIR/"), so dump each top-level entry.
    let reference = TempDir::new().unwrap();
    let cmds: Vec<String> = walk["/"]
        .iter()
        .filter(|r| r.name != "." && r.name != "..")
        .map(|r| format!("rdump /{} {}", r.name, reference.path().display()))
        .collect();
    debugfs_batch(&raw.img, &cmds);
    assert_same_tree(reference.path(), out, true, &format!("{name}: debugfs.ocfs2 rdump vs ours"));

    // debugfs.ocfs2 sets whole seconds; ours keeps the nanoseconds `stat` shows.
    let specs: Vec<String> = interesting(&walk).into_iter().map(|(s, _)| s).filter(|s| s.starts_with('/')).collect();
    let texts = debugfs_batch(&raw.img, &specs.iter().map(|s| format!("stat {s}")).collect::<Vec<_>>());
    for (spec, text) in specs.iter().zip(texts) {
        let m = fs::symlink_metadata(out.join(spec.trim_start_matches('/'))).unwrap();
        if !m.file_type().is_symlink() {
            let want = debugfs_time(&text, "mtime:");
            assert_eq!((m.mtime() as u64, m.mtime_nsec() as u64), want, "{name}: mtime of {spec}");
        }
    }
}

/// `ls -l` of every directory (root tree and system directory) vs debugfs.ocfs2.
fn check_listings(raw: &Raw) {
    let walk = debugfs_walk(raw);
    assert!(walk.len() >= 3, "{}: walked only {:?}", raw.name, walk.keys());
    for (dir, want) in &walk {
        let got = inspect_json(&["ls", "-l", raw.img(), dir]);
        let got: Vec<LsRow> = got["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let l = &e["long"];
                LsRow {
                    inode: e["inode"].as_u64().unwrap(),
                    mode: l["mode_string"].as_str().unwrap().to_string(),
                    links: l["links"].as_u64().unwrap() as u32,
                    uid: l["uid"].as_u64().unwrap() as u32,
                    gid: l["gid"].as_u64().unwrap() as u32,
                    size: l["size"].as_u64().unwrap(),
                    name: e["name"].as_str().unwrap().to_string(),
                }
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{}: entries of {dir}", raw.name);
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{}: ls -l {dir}", raw.name);
        }
    }
}

/// Inodes worth asking about: every entry of the walk except the bulk of the
/// flat directories (their first and last entries stay), plus `/` and `//`.
fn sample_specs(walk: &BTreeMap<String, Vec<LsRow>>) -> Vec<(String, u64)> {
    let mut v = vec![("/".to_string(), walk["/"][0].inode), ("//".to_string(), walk["//"][0].inode)];
    for (dir, rows) in walk {
        let named: Vec<&LsRow> = rows.iter().filter(|r| r.name != "." && r.name != "..").collect();
        for (i, r) in named.iter().enumerate() {
            if named.len() > 100 && i != 0 && i != named.len() - 1 {
                continue;
            }
            v.push((join(dir, &r.name), r.inode));
        }
    }
    v
}

/// `findpath` vs debugfs.ocfs2 `findpath` (first path) and `ncheck` (all paths).
fn check_findpath(raw: &Raw) {
    let walk = debugfs_walk(raw);
    let specs = sample_specs(&walk);
    let inodes: Vec<u64> = specs.iter().map(|s| s.1).collect::<BTreeSet<_>>().into_iter().collect();
    let first = debugfs_batch(&raw.img, &inodes.iter().map(|i| format!("findpath <{i}>")).collect::<Vec<_>>());
    let all = debugfs_batch(&raw.img, &inodes.iter().map(|i| format!("ncheck <{i}>")).collect::<Vec<_>>());
    let parse = |text: &str, ino: u64| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let (i, p) = l.trim_start().split_once('\t')?;
                (i.parse::<u64>().ok()? == ino).then(|| p.to_string())
            })
            .collect()
    };
    for ((ino, first), all) in inodes.iter().zip(first).zip(all) {
        let got = inspect_json(&["findpath", raw.img(), &ino.to_string()]);
        let paths: Vec<String> =
            got["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
        assert_eq!(paths, parse(&all, *ino), "{}: paths of inode {ino} (debugfs ncheck)", raw.name);
        assert_eq!(paths.first(), parse(&first, *ino).first(), "{}: findpath {ino}", raw.name);
        // The text form is debugfs's, less the leading tab.
        let text = ok(inspect(&["findpath", raw.img(), &format!("<{ino}>")]), "findpath").stdout;
        let want: String = paths.iter().map(|p| format!("{ino}\t{p}\n")).collect();
        assert_eq!(String::from_utf8_lossy(&text), want);
    }
}

/// Files whose blocks are worth mapping and reading, where present.
const INTERESTING: &[&str] = &[
    "/small/hello.txt",
    "/small/pat5000",
    "/data/pat1m",
    "/data/pat1m.clone",
    "/data/pat20m",
    "/data/pat20m.reflink",
    "/data/prealloc",
    "/sparse/holey",
    "/links/sym-hello",
    "/links/sym-long",
    "/bigdir",
    "/node0/hello.txt",
    "/node0/pat64k",
    "/node0/sym",
];

/// The `INTERESTING` paths this fixture has, plus its orphans as `<N>` specs.
fn interesting(walk: &BTreeMap<String, Vec<LsRow>>) -> Vec<(String, LsRow)> {
    let mut v: Vec<(String, LsRow)> = Vec::new();
    for (dir, rows) in walk {
        for r in rows {
            let path = join(dir, &r.name);
            if INTERESTING.contains(&path.as_str()) {
                v.push((path, r.clone()));
            } else if dir.starts_with("//orphan_dir:") && r.name != "." && r.name != ".." {
                v.push((format!("<{}>", r.inode), r.clone()));
            }
        }
    }
    v
}

/// `bmap` of chosen blocks vs debugfs.ocfs2 (holes, unwritten and refcounted
/// extents, inline files, fast and slow symlinks, the indexed directory, past EOF).
fn check_bmap(raw: &Raw) {
    let walk = debugfs_walk(raw);
    let mut cmds = Vec::new();
    let mut ours = Vec::new();
    for (spec, row) in interesting(&walk) {
        let last = row.size.saturating_sub(1) / 4096;
        let lblks: BTreeSet<u64> = [0, 1, 2, 3, 4, 255, 256, 257, 1023, 1024, 2047, 2048, 2049, last, last + 1]
            .into_iter()
            .filter(|&b| b <= last + 1)
            .collect();
        for b in lblks {
            cmds.push(format!("bmap {spec} {b}"));
            ours.push(inspect_json(&["bmap", raw.img(), &spec, &b.to_string()]));
        }
    }
    assert!(cmds.len() > 10, "{}: too few bmap probes", raw.name);
    let mut mapped = 0;
    for ((cmd, want), got) in cmds.iter().zip(debugfs_batch(&raw.img, &cmds)).zip(ours) {
        let want = want.trim().parse::<u64>().ok();
        assert_eq!(want, got["physical"].as_u64(), "{}: {cmd}", raw.name);
        // Block 0 is the "no block" answer: a hole, or data held in the inode.
        let (hole, inline) = (got["hole"] == true, got["inline"] == true);
        assert_eq!(want == Some(0), hole || inline, "{}: {cmd}: {got}", raw.name);
        mapped += usize::from(want != Some(0));
    }
    assert!(mapped > 0, "{}: no probe hit a block", raw.name);
}

/// `cat` vs debugfs.ocfs2 `cat`, byte for byte; symlinks and directories are
/// refused by both. The orphan (open-unlinked) file matches fixtures/README.md.
fn check_cat(raw: &Raw, exp: &Expect) {
    let walk = debugfs_walk(raw);
    for (spec, row) in interesting(&walk) {
        let got = inspect(&["cat", raw.img(), &spec]);
        if !row.mode.starts_with('-') {
            assert!(!got.status.success(), "{}: cat {spec} ({}) should be refused", raw.name, row.mode);
            continue;
        }
        let got = ok(got, &format!("cat {spec}")).stdout;
        let want = debugfs_bytes(raw, &format!("cat {spec}"));
        assert_eq!(got.len() as u64, row.size, "{}: cat {spec} length", raw.name);
        assert!(got == want, "{}: cat {spec} differs from debugfs.ocfs2", raw.name);
    }
    for (slot, sha, size) in &exp.orphans {
        let dir = format!("//orphan_dir:{slot:04}");
        let rows: Vec<&LsRow> = walk[&dir].iter().filter(|r| r.name != "." && r.name != "..").collect();
        assert_eq!(rows.len(), 1, "{}: {dir} should hold one orphan", raw.name);
        let got = ok(inspect(&["cat", raw.img(), &format!("<{}>", rows[0].inode)]), "cat orphan").stdout;
        assert_eq!((got.len() as u64, sha256(&got)), (*size, sha.clone()), "{}: orphan in {dir}", raw.name);
    }
}

/// `dump` and `dump -p` vs debugfs.ocfs2's: same bytes, mode and mtime (second);
/// a symlink is dumped as a symlink by both; a directory as its stored bytes
/// (inline area or entry blocks) by both.
fn check_dump(raw: &Raw) {
    let walk = debugfs_walk(raw);
    let out = TempDir::new().unwrap();
    let mut cmds = Vec::new();
    let mut pairs = Vec::new();
    let mut dirs = Vec::new();
    for (i, (spec, row)) in interesting(&walk).into_iter().enumerate() {
        if row.mode.starts_with('d') {
            let (ours, theirs) = (out.path().join(format!("dir-ours{i}")), out.path().join(format!("dir-theirs{i}")));
            ok(inspect(&["dump", raw.img(), &spec, ours.to_str().unwrap()]), &format!("dump {spec}"));
            cmds.push(format!("dump {spec} {}", theirs.display()));
            dirs.push((spec, ours, theirs));
            continue;
        }
        let (ours, theirs) = (out.path().join(format!("ours{i}")), out.path().join(format!("theirs{i}")));
        ok(inspect(&["dump", "-p", raw.img(), &spec, ours.to_str().unwrap()]), &format!("dump {spec}"));
        cmds.push(format!("dump -p {spec} {}", theirs.display()));
        pairs.push((spec, ours, theirs));
    }
    debugfs_batch(&raw.img, &cmds);
    for (spec, ours, theirs) in pairs {
        let (mo, mt) = (fs::symlink_metadata(&ours).unwrap(), fs::symlink_metadata(&theirs).unwrap());
        let ctx = format!("{}: dump -p {spec}", raw.name);
        assert_eq!(mo.file_type().is_symlink(), mt.file_type().is_symlink(), "{ctx}: type");
        if mo.file_type().is_symlink() {
            assert_eq!(fs::read_link(&ours).unwrap(), fs::read_link(&theirs).unwrap(), "{ctx}: target");
            continue;
        }
        assert_eq!((mo.mode(), mo.uid(), mo.gid(), mo.mtime()), (mt.mode(), mt.uid(), mt.gid(), mt.mtime()), "{ctx}");
        assert_eq!((mo.len(), sha256_file(&ours)), (mt.len(), sha256_file(&theirs)), "{ctx}: contents");
    }
    // `/bigdir` is the one directory among the interesting paths (C1 has none).
    assert_eq!(dirs.len(), usize::from(walk.contains_key("/bigdir")), "{}: directories dumped", raw.name);
    for (spec, ours, theirs) in dirs {
        assert_eq!(fs::read(&ours).unwrap(), fs::read(&theirs).unwrap(), "{}: dump {spec} (a directory)", raw.name);
    }
}

/// What debugfs.ocfs2 `stat` says about an inode, parsed from its text.
#[derive(Debug, PartialEq, Eq)]
struct StatFacts {
    inode: u64,
    perms: u32,
    dyn_features: u32,
    /// (xattr block, inline xattr size), printed when the inode has xattrs.
    xattr: Option<(u64, u64)>,
    uid: u32,
    gid: u32,
    size: u64,
    links: u32,
    clusters: u32,
    refcount_block: u64,
    dx_root: u64,
    fast_symlink: Option<String>,
    /// (seconds, nanoseconds)
    mtime: (u64, u64),
    /// (offset, clusters, block, flags) of every extent record, root list first.
    extents: Vec<(u64, u64, u64, u64)>,
}

/// The token after `key` on the line of debugfs.ocfs2 output that starts with
/// `line` (`"User:"`, `"Size: "` finds the size, not "Inline Size").
fn token<'a>(text: &'a str, line: &str, key: &str) -> Option<&'a str> {
    let l = text.lines().map(str::trim_start).find(|l| l.starts_with(line))?;
    let at = if l.starts_with(key) { key.len() } else { l.find(&format!(" {key}"))? + 1 + key.len() };
    l[at..].split_whitespace().next()
}

fn parse_debugfs_stat(text: &str) -> StatFacts {
    let num = |line: &str, key: &str| -> u64 {
        let t = token(text, line, key).unwrap_or_else(|| panic!("no {key:?} in debugfs stat:\n{text}"));
        let t = t.trim_start_matches('(').trim_end_matches(')');
        match t.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).unwrap(),
            None if key == "Mode: " => u64::from_str_radix(t, 8).unwrap(),
            None => t.parse().unwrap(),
        }
    };
    let extents = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 5 || !f[4].starts_with("0x") {
                return None;
            }
            let n = |s: &str| s.parse::<u64>().ok();
            Some((n(f[1])?, n(f[2])?, n(f[3])?, u64::from_str_radix(&f[4][2..], 16).ok()?))
        })
        .collect();
    let xattr = token(text, "Extended Attributes Block:", "Extended Attributes Block: ").map(|_| {
        (
            num("Extended Attributes Block:", "Extended Attributes Block: "),
            num("Extended Attributes Block:", "Extended Attributes Inline Size: "),
        )
    });
    StatFacts {
        inode: num("Inode:", "Inode: "),
        perms: num("Inode:", "Mode: ") as u32,
        dyn_features: num("Dynamic Features:", "Dynamic Features: ") as u32,
        xattr,
        uid: num("User:", "User: ") as u32,
        gid: num("User:", "Group: ") as u32,
        size: num("User:", "Size: "),
        links: num("Links:", "Links: ") as u32,
        clusters: num("Links:", "Clusters: ") as u32,
        refcount_block: num("Refcount Block:", "Refcount Block: "),
        dx_root: token(text, "Indexed Tree Root:", "Indexed Tree Root: ").map_or(0, |t| t.parse().unwrap()),
        fast_symlink: text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Fast Symlink Destination: "))
            .map(str::to_string),
        mtime: debugfs_time(text, "mtime:"),
        extents,
    }
}

/// `mtime: 0x6b05d64e 0x1bc97a6a -- ...` as (seconds, nanoseconds).
fn debugfs_time(text: &str, key: &str) -> (u64, u64) {
    let l = text.lines().map(str::trim_start).find(|l| l.starts_with(key)).expect("a time line");
    let f: Vec<u64> = l
        .split_whitespace()
        .skip(1)
        .take(2)
        .map(|t| u64::from_str_radix(t.trim_start_matches("0x"), 16).unwrap())
        .collect();
    (f[0], f[1])
}

fn our_stat(v: &Value) -> StatFacts {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("stat --json: no {k}"));
    let recs = |list: &Value| -> Vec<(u64, u64, u64, u64)> {
        list["recs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let f = |k: &str| r[k].as_u64().unwrap();
                (f("offset"), f("clusters"), f("blkno"), f("flags"))
            })
            .collect()
    };
    let mut extents = Vec::new();
    if v["kind"] == "extents" {
        extents = recs(&v["list"]);
        for eb in v["extent_blocks"].as_array().unwrap() {
            extents.extend(recs(&eb["list"]));
        }
    }
    StatFacts {
        inode: n("inode"),
        perms: n("mode") as u32 & 0o7777,
        dyn_features: v["dyn_features"]["value"].as_u64().unwrap() as u32,
        xattr: (v["dyn_features"]["value"].as_u64().unwrap() & 0x2 != 0)
            .then(|| (n("xattr_loc"), n("xattr_inline_size"))),
        uid: n("uid") as u32,
        gid: n("gid") as u32,
        size: n("size"),
        links: n("links") as u32,
        clusters: n("clusters") as u32,
        refcount_block: n("refcount_block"),
        dx_root: n("dx_root"),
        fast_symlink: v["target"].as_str().map(str::to_string),
        mtime: (v["mtime"]["sec"].as_u64().unwrap(), v["mtime"]["nsec"].as_u64().unwrap()),
        extents,
    }
}

/// `stat` of every sampled inode vs debugfs.ocfs2 `stat`: regular files
/// (inline, extents, refcounted, unwritten, sparse), directories (inline,
/// indexed), fast and slow symlinks, the orphan, and every system file.
fn check_stat(raw: &Raw) {
    let walk = debugfs_walk(raw);
    let specs: Vec<String> = sample_specs(&walk).into_iter().map(|(s, _)| s).collect();
    let texts = debugfs_batch(&raw.img, &specs.iter().map(|s| format!("stat {s}")).collect::<Vec<_>>());
    let mut extents = 0;
    for (spec, text) in specs.iter().zip(texts) {
        let want = parse_debugfs_stat(&text);
        let got = our_stat(&inspect_json(&["stat", raw.img(), spec]));
        assert_eq!(got, want, "{}: stat {spec}", raw.name);
        extents += want.extents.len();
    }
    assert!(extents > 0, "{}: no extent records compared", raw.name);
}

// ---------------------------------------------------------------------------
// One test per fixture and aspect; the tests of one fixture that run at the same
// time share its raw copy, which is removed after the last of them.

macro_rules! fixture_tests {
    ($($module:ident => $name:literal;)*) => {$(
        mod $module {
            use super::*;

            #[test]
            fn raw_image_matches_readme() {
                check_raw_image(&Raw::shared($name), &expectations($name));
            }
            #[test]
            fn rdump_reproduces_every_file() {
                check_rdump(&Raw::shared($name), &expectations($name));
            }
            #[test]
            fn ls_matches_debugfs_in_every_directory() {
                require_tool("debugfs.ocfs2");
                check_listings(&Raw::shared($name));
            }
            #[test]
            fn findpath_matches_debugfs() {
                require_tool("debugfs.ocfs2");
                check_findpath(&Raw::shared($name));
            }
            #[test]
            fn bmap_matches_debugfs() {
                require_tool("debugfs.ocfs2");
                check_bmap(&Raw::shared($name));
            }
            #[test]
            fn cat_and_dump_match_debugfs() {
                require_tool("debugfs.ocfs2");
                let raw = Raw::shared($name);
                check_cat(&raw, &expectations($name));
                check_dump(&raw);
            }
            #[test]
            fn stat_matches_debugfs() {
                require_tool("debugfs.ocfs2");
                check_stat(&Raw::shared($name));
            }
        }
    )*};
}

fixture_tests! {
    a_default => "A-default";
    b => "B";
    c1 => "C1";
}

/// `rdump` of a subdirectory creates `OUT/<name>`; `<N>` specs keep that text as
/// the name, as debugfs.ocfs2 does; a second rdump merges into what is there.
#[test]
fn rdump_names_like_debugfs() {
    require_tool("debugfs.ocfs2");
    let raw = Raw::shared("A-default");
    let exp = expectations("A-default");
    let sha_of = |path: &str| exp.files.iter().find(|f| f.2 == path).map(|f| f.0.clone()).unwrap();
    let out = TempDir::new().unwrap();
    let o = out.path().to_str().unwrap();
    ok(inspect(&["rdump", raw.img(), "/links/", o]), "rdump /links/");
    assert!(fs::symlink_metadata(out.path().join("links/sym-long")).unwrap().file_type().is_symlink());
    let small = debugfs_walk(&raw)["/"].iter().find(|r| r.name == "small").unwrap().inode;
    let spec = format!("<{small}>");
    ok(inspect(&["rdump", raw.img(), &spec, o]), "rdump <N>");
    assert_eq!(sha256_file(&out.path().join(&spec).join("pat5000")), sha_of("small/pat5000"));
    ok(inspect(&["rdump", raw.img(), "/links", o]), "rdump /links again");
    // A file spec is written as a file.
    ok(inspect(&["rdump", raw.img(), "/small/hello.txt", o]), "rdump of a file");
    assert_eq!(sha256_file(&out.path().join("hello.txt")), sha_of("small/hello.txt"));
    // The output directory must exist.
    let missing = out.path().join("nope");
    assert!(!inspect(&["rdump", raw.img(), "/", missing.to_str().unwrap()]).status.success());
}

/// Clusters that reflinked files share are read once: `rdump /data` copies the
/// stretches `pat1m.clone` and `pat20m.reflink` share with `pat1m` and `pat20m`
/// from the first copy (`shared_bytes`: the overlap of the pairs' refcounted
/// extents as debugfs.ocfs2 lists them; fixtures/README.md: all of `pat1m`'s,
/// all of `pat20m`'s but the 256 clusters copy-on-write made private), and
/// every copy has the kernel's bytes and debugfs.ocfs2's atime and mtime.
#[test]
fn rdump_copies_shared_extents_once() {
    require_tool("debugfs.ocfs2");
    for name in ["A-default", "B"] {
        let raw = Raw::shared(name);
        let exp = expectations(name);
        let stats = &debugfs_batch(&raw.img, &["stats".to_string()])[0];
        let bits = |key: &str| -> u64 { token(stats, "Block Size Bits:", key).unwrap().parse().unwrap() };
        let (block_bits, cluster_bits) = (bits("Block Size Bits: "), bits("Cluster Size Bits: "));
        let files = ["pat1m", "pat1m.clone", "pat20m", "pat20m.reflink"];
        let texts = debugfs_batch(&raw.img, &files.iter().map(|f| format!("stat /data/{f}")).collect::<Vec<_>>());
        // Each file's refcounted extents as byte ranges on the volume.
        let shared: Vec<Vec<(u64, u64)>> = texts
            .iter()
            .map(|t| {
                let ext = parse_debugfs_stat(t).extents;
                ext.iter()
                    .filter(|e| e.3 & 0x2 != 0)
                    .map(|&(_, clusters, blkno, _)| {
                        (blkno << block_bits, (blkno << block_bits) + (clusters << cluster_bits))
                    })
                    .collect()
            })
            .collect();
        let overlap = |a: &[(u64, u64)], b: &[(u64, u64)]| -> u64 {
            a.iter().flat_map(|x| b.iter().map(move |y| y.1.min(x.1).saturating_sub(y.0.max(x.0)))).sum()
        };
        let want = overlap(&shared[0], &shared[1]) + overlap(&shared[2], &shared[3]);
        assert_eq!(want, (21 << 20) - (256 << cluster_bits), "{name}: the README's reflinks");

        let out = TempDir::new().unwrap();
        let sum = inspect_json(&["rdump", raw.img(), "/data", out.path().to_str().unwrap()]);
        assert_eq!(sum["shared_bytes"].as_u64(), Some(want), "{name}: {sum}");
        for (f, text) in files.iter().zip(&texts) {
            let path = out.path().join("data").join(f);
            // Copying from a first copy must leave its atime alone (looked at
            // before hashing, which reads the copy).
            let m = fs::metadata(&path).unwrap();
            assert_eq!((m.atime() as u64, m.atime_nsec() as u64), debugfs_time(text, "atime:"), "{name}: atime of {f}");
            assert_eq!((m.mtime() as u64, m.mtime_nsec() as u64), debugfs_time(text, "mtime:"), "{name}: mtime of {f}");
            let sha = exp.files.iter().find(|e| e.2 == format!("data/{f}")).map(|e| e.0.clone());
            assert_eq!(Some(sha256_file(&path)), sha, "{name}: sha256 of data/{f}");
        }
    }
}

/// `--json cat` prints one JSON object: the file's bytes in base64, with its
/// inode and size; the bytes are debugfs.ocfs2's.
#[test]
fn json_cat_is_one_object_with_the_bytes_in_base64() {
    use base64::Engine;
    require_tool("debugfs.ocfs2");
    let raw = Raw::shared("A-default");
    for spec in ["/small/hello.txt", "/small/pat5000", "/sparse/holey"] {
        let v = inspect_json(&["cat", raw.img(), spec]);
        let want = debugfs_bytes(&raw, &format!("cat {spec}"));
        let got = base64::engine::general_purpose::STANDARD.decode(v["base64"].as_str().unwrap()).unwrap();
        assert!(got == want, "{spec}: --json cat bytes differ from debugfs.ocfs2 cat");
        assert_eq!(v["size"].as_u64(), Some(want.len() as u64), "{spec}: {}", v["size"]);
        let st = inspect_json(&["stat", raw.img(), spec]);
        assert_eq!(v["inode"], st["inode"], "{spec}");
    }
}

/// `rdump` keeps symlink times (to the nanosecond debugfs.ocfs2 `stat` shows);
/// `dump` without `-p` creates files with mode 0666 minus the umask, as
/// debugfs.ocfs2 does.
#[test]
fn rdump_keeps_symlink_times_and_dump_honours_the_umask() {
    require_tool("debugfs.ocfs2");
    let raw = Raw::shared("A-default");
    let out = TempDir::new().unwrap();
    ok(inspect(&["rdump", raw.img(), "/links", out.path().to_str().unwrap()]), "rdump /links");
    let links: Vec<String> =
        debugfs_walk(&raw)["/links"].iter().filter(|r| r.mode.starts_with('l')).map(|r| r.name.clone()).collect();
    assert!(!links.is_empty());
    let texts = debugfs_batch(&raw.img, &links.iter().map(|n| format!("stat /links/{n}")).collect::<Vec<_>>());
    for (n, text) in links.iter().zip(texts) {
        let m = fs::symlink_metadata(out.path().join("links").join(n)).unwrap();
        assert!(m.file_type().is_symlink());
        assert_eq!((m.mtime() as u64, m.mtime_nsec() as u64), debugfs_time(&text, "mtime:"), "mtime of /links/{n}");
        assert_eq!((m.atime() as u64, m.atime_nsec() as u64), debugfs_time(&text, "atime:"), "atime of /links/{n}");
    }
    for umask in ["022", "077", "002"] {
        let (ours, theirs) = (out.path().join(format!("ours{umask}")), out.path().join(format!("theirs{umask}")));
        let sh = |cmd: String| {
            let o = Command::new("sh").arg("-c").arg(format!("umask {umask} && {cmd}")).output().unwrap();
            assert!(o.status.success(), "{cmd}: {}", String::from_utf8_lossy(&o.stderr));
        };
        sh(format!("{} dump {} /small/hello.txt {}", common::bin(), raw.img(), ours.display()));
        sh(format!("debugfs.ocfs2 -R 'dump /small/hello.txt {}' {}", theirs.display(), raw.img()));
        let (mo, mt) = (fs::metadata(&ours).unwrap().mode(), fs::metadata(&theirs).unwrap().mode());
        assert_eq!(mo, mt, "umask {umask}: dump made {mo:o}, debugfs.ocfs2 {mt:o}");
    }
}

/// Unwritten (preallocated) extents read as zeros whatever their blocks hold. In
/// the fixture those blocks happen to be zero, so fill them with stale bytes in a
/// copy (a valid state: fallocate over freed blocks) and compare with debugfs.ocfs2,
/// whose libocfs2 reads unwritten extents as zeros too.
#[test]
fn unwritten_extent_reads_zeros_over_stale_blocks() {
    use std::os::unix::fs::FileExt;
    require_tool("debugfs.ocfs2");
    let raw = Raw::new("A-default");
    let exp = expectations("A-default");
    let facts = parse_debugfs_stat(&debugfs_batch(&raw.img, &["stat /data/prealloc".to_string()])[0]);
    assert!(!facts.extents.is_empty() && facts.extents.iter().all(|e| e.3 & 0x1 != 0), "{facts:?}");
    let stats = &debugfs_batch(&raw.img, &["stats".to_string()])[0];
    let bits = |key: &str| -> u32 { token(stats, "Block Size Bits:", key).unwrap().parse().unwrap() };
    let (block_bits, cluster_bits) = (bits("Block Size Bits: "), bits("Cluster Size Bits: "));
    let img = fs::OpenOptions::new().write(true).open(&raw.img).unwrap();
    for &(_, clusters, blkno, _) in &facts.extents {
        let stale = vec![0xa5u8; (clusters << cluster_bits) as usize];
        img.write_all_at(&stale, blkno << block_bits).unwrap();
    }
    drop(img);
    let ours = ok(inspect(&["cat", raw.img(), "/data/prealloc"]), "cat /data/prealloc").stdout;
    let theirs = debugfs_bytes(&raw, "cat /data/prealloc");
    let (sha, size, _) = exp.files.iter().find(|f| f.2 == "data/prealloc").unwrap();
    assert_eq!((ours.len() as u64, &sha256(&ours)), (*size, sha), "unwritten extent must read as zeros");
    assert!(ours == theirs, "cat /data/prealloc differs from debugfs.ocfs2");
    // bmap still shows where the extent lies.
    let b = inspect_json(&["bmap", raw.img(), "/data/prealloc", "0"]);
    assert_eq!((b["physical"].as_u64(), b["unwritten"].as_bool()), (Some(facts.extents[0].2), Some(true)));
}

// ---------------------------------------------------------------------------
// `rdump` restores `user.*` xattrs where the target filesystem takes them. What a
// filesystem takes varies (ext4 without `ea_inode` holds one block of xattrs per
// inode, tmpfs before Linux 6.6 none), so the tests probe the target first and
// then require: every attribute on a copy is the image's, byte for byte; every
// user attribute of the image is either restored or counted in
// `xattr_failures`; and failures are only "no room" (ENOSPC, E2BIG) or, where
// the probe found no support, ENOTSUP for all of them.

/// The host's extended attributes of `p` (not following symlinks).
fn host_xattrs(p: &Path) -> BTreeMap<String, Vec<u8>> {
    use std::ffi::CString;
    let c = CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let mut names = vec![0u8; 65536];
    // SAFETY: the buffer is live and its length is passed.
    let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    assert!(n >= 0, "llistxattr {}: {}", p.display(), std::io::Error::last_os_error());
    let mut out = BTreeMap::new();
    for name in names[..n as usize].split(|&b| b == 0).filter(|s| !s.is_empty()) {
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 65536];
        // SAFETY: as above.
        let len = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        assert!(len >= 0, "lgetxattr {}: {}", p.display(), std::io::Error::last_os_error());
        v.truncate(len as usize);
        out.insert(String::from_utf8(name.to_vec()).unwrap(), v);
    }
    out
}

/// Whether `dir`'s filesystem accepts a user xattr at all.
fn user_xattrs_supported(dir: &Path) -> bool {
    use std::ffi::CString;
    let f = dir.join(".xattr-probe");
    fs::write(&f, b"").unwrap();
    let c = CString::new(f.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: NUL-terminated strings and a live 1-byte value.
    let rc = unsafe { libc::setxattr(c.as_ptr(), c"user.probe".as_ptr(), b"x".as_ptr().cast(), 1, 0) };
    let err = std::io::Error::last_os_error();
    fs::remove_file(&f).unwrap();
    if rc != 0 {
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "probe setxattr failed otherwise: {err}");
        eprintln!("NOTE: {} takes no user xattrs; checking the ENOTSUP path only", dir.display());
    }
    rc == 0
}

/// The image's `user.*` attributes of `spec`, by full name.
fn image_user_xattrs(image: &str, spec: &str) -> BTreeMap<String, Vec<u8>> {
    let j = inspect_json(&["xattr", image, spec]);
    j["attrs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"].as_str().unwrap().starts_with("user."))
        .map(|a| {
            let hex = a["value_hex"].as_str().unwrap();
            let v = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
            (a["name"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// rdumps `spec` and checks the restored attributes of `(spec, copy)` pairs.
fn check_rdump_xattrs(
    fixture: &str,
    spec: &str,
    paths: &[(&str, &str)],
) -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
    let zst = common::fixture_zst(fixture);
    let image = zst.to_str().unwrap();
    let out = TempDir::new().unwrap();
    let supported = user_xattrs_supported(out.path());
    let sum = inspect_json(&["rdump", image, spec, out.path().to_str().unwrap()]);
    let restored = sum["xattrs_restored"].as_u64().unwrap();
    let failures: BTreeMap<String, u64> =
        sum["xattr_failures"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    let mut want_total = 0;
    let mut host_total = 0;
    let mut copies = BTreeMap::new();
    for (ispec, copy) in paths {
        let want = image_user_xattrs(image, ispec);
        let got = host_xattrs(&out.path().join(copy));
        for (name, value) in &got {
            assert_eq!(Some(value), want.get(name), "{fixture}:{ispec}: restored {name}");
        }
        want_total += want.len() as u64;
        host_total += got.len() as u64;
        copies.insert(ispec.to_string(), got);
    }
    assert_eq!(restored, host_total, "{fixture}: summary {sum}");
    assert_eq!(restored + failures.values().sum::<u64>(), want_total, "{fixture}: summary {sum}");
    if supported {
        assert!(restored > 0, "{fixture}: nothing restored: {sum}");
        assert!(failures.keys().all(|k| k == "ENOSPC" || k == "E2BIG"), "{fixture}: failures {sum}");
    } else {
        assert_eq!(restored, 0, "{fixture}: {sum}");
        assert_eq!(failures.keys().collect::<Vec<_>>(), ["ENOTSUP"], "{fixture}: {sum}");
    }
    copies
}

#[test]
fn rdump_restores_user_xattrs_a_default() {
    let got = check_rdump_xattrs("A-default", "/xattr", &[("/xattr/file", "xattr/file"), ("/xattr/dir", "xattr/dir")]);
    let file = &got["/xattr/file"];
    if !file.is_empty() {
        // The small ones fit wherever xattrs work at all; `user.big` (5000 B) may not.
        assert_eq!(file["user.small"], b"v1");
        assert_eq!(file["user.medium"], vec![b'm'; 200]);
        if let Some(big) = file.get("user.big") {
            assert_eq!(big, &vec![b'B'; 5000]);
        }
    }
}

#[test]
fn rdump_restores_user_xattrs_x_max_many() {
    let got = check_rdump_xattrs("X-max", "/extra/many", &[("/extra/many", "many")]);
    for (name, value) in &got["/extra/many"] {
        let i: usize = name.strip_prefix("user.a").unwrap().parse().unwrap();
        let mut want = format!("val{i}-").into_bytes();
        want.extend_from_slice(&[b'x'; 60]);
        assert_eq!(value, &want, "{name}");
    }
}
