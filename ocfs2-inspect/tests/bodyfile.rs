//! `bodyfile` against debugfs.ocfs2 (inode facts and times), the fixtures'
//! expected file lists (sizes, hashes), `ls -d` and `lsdel` (deleted names and
//! inodes), and The Sleuth Kit's `mactime`, which must accept every line and
//! print the expected events; `hash` against `sha256sum -c` and `md5sum -c` on
//! an `rdump` tree.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::{debugfs_batch, fixture, inspect, inspect_json, require_tool};
use md5::{Digest, Md5};

fn stdout_of(args: &[&str]) -> String {
    let out = inspect(args);
    assert!(out.status.success(), "ocfs2-inspect {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One body line, split.
#[derive(Debug, Clone)]
struct Line {
    md5: String,
    name: String,
    inode: u64,
    mode: String,
    uid: u32,
    gid: u32,
    size: u64,
    times: [u64; 4], // atime, mtime, ctime, crtime
}

fn parse(body: &str) -> Vec<Line> {
    body.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            assert_eq!(f.len(), 11, "11 fields: {l}");
            Line {
                md5: f[0].into(),
                name: f[1].into(),
                inode: f[2].parse().unwrap(),
                mode: f[3].into(),
                uid: f[4].parse().unwrap(),
                gid: f[5].parse().unwrap(),
                size: f[6].parse().unwrap(),
                times: [f[7].parse().unwrap(), f[8].parse().unwrap(), f[9].parse().unwrap(), f[10].parse().unwrap()],
            }
        })
        .collect()
}

/// The `file` records of a fixture in fixtures/README.md: (path, sha256, size).
fn expected_files(fx: &str) -> Vec<(String, String, u64)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/README.md")).unwrap();
    let mut cur = String::new();
    let mut out = Vec::new();
    for l in readme.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.as_slice() {
            ["fixture", name] => cur = name.to_string(),
            ["file", sha, size, path] if cur == fx => {
                out.push((path.to_string(), sha.to_string(), size.parse().unwrap()))
            }
            _ => {}
        }
    }
    assert!(!out.is_empty(), "no file records for {fx}");
    out
}

/// What debugfs.ocfs2 `stat` says of an inode: (inode, uid, gid, size, [a, m, c]).
fn debugfs_facts(text: &str) -> (u64, u32, u32, u64, [u64; 3]) {
    let word_after = |key: &str| -> String {
        let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
        text[at..].split_whitespace().next().unwrap().to_string()
    };
    let hex = |key: &str| u64::from_str_radix(word_after(key).trim_start_matches("0x"), 16).unwrap();
    (
        word_after("Inode:").parse().unwrap(),
        word_after("User:").parse().unwrap(),
        word_after("Group:").parse().unwrap(),
        word_after(")   Size:").parse().unwrap(),
        [hex("atime:"), hex("mtime:"), hex("ctime:")],
    )
}

/// `mactime -d -y -z UTC`'s date for `secs` (0 prints as all zeros).
fn iso(secs: u64) -> String {
    if secs == 0 {
        return "0000-00-00T00:00:00Z".into();
    }
    let (days, rem) = ((secs / 86400) as i64, secs % 86400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// The rows mactime must print for a line: each distinct time with its
/// `macb` letters (mtime, atime, ctime, birth).
fn expected_rows(l: &Line) -> BTreeSet<(String, String)> {
    let [a, m, c, b] = l.times;
    let mut by_time: BTreeMap<u64, [char; 4]> = BTreeMap::new();
    for (i, t) in [m, a, c, b].into_iter().enumerate() {
        by_time.entry(t).or_insert(['.'; 4])[i] = "macb".as_bytes()[i] as char;
    }
    by_time.into_iter().map(|(t, k)| (iso(t), k.iter().collect())).collect()
}

/// mactime's rows per file name: (date, type).
fn mactime_rows(body: &Path) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let out = Command::new("mactime").arg("-b").arg(body).args(["-d", "-y", "-z", "UTC"]).output().unwrap();
    assert!(out.status.success(), "mactime: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.splitn(8, ',').collect();
        rows.entry(f[7].trim_matches('"').to_string()).or_default().insert((f[0].into(), f[2].into()));
    }
    rows
}

#[test]
fn bodyfile_lines_match_debugfs_and_mactime_prints_their_events() {
    require_tool("debugfs.ocfs2");
    require_tool("mactime");
    for fx in ["A-default", "B", "X-max"] {
        let img = fixture(fx);
        let p = img.to_str().unwrap();
        let body = stdout_of(&["bodyfile", "--md5", p]);
        let lines = parse(&body);
        let by_name: BTreeMap<&str, &Line> = lines.iter().map(|l| (l.name.as_str(), l)).collect();

        // Every expected regular file, with debugfs.ocfs2's facts and the MD5
        // of what debugfs.ocfs2 reads.
        // X-max holds A-default's tree (the same populate()), plus its extras.
        let files = expected_files(if fx == "X-max" { "A-default" } else { fx });
        let stats = debugfs_batch(&img, &files.iter().map(|(path, ..)| format!("stat /{path}")).collect::<Vec<_>>());
        for ((path, _, size), stat) in files.iter().zip(&stats) {
            let l = by_name.get(format!("/{path}").as_str()).unwrap_or_else(|| panic!("{fx}: no line for /{path}"));
            let (inode, uid, gid, dsize, [a, m, c]) = debugfs_facts(stat);
            assert_eq!((l.inode, l.uid, l.gid, l.size), (inode, uid, gid, *size), "{fx} /{path}");
            assert_eq!(dsize, *size);
            assert_eq!(l.times, [a, m, c, 0], "{fx} /{path}: atime, mtime, ctime, crtime");
            assert!(l.mode.starts_with("r/r") && l.mode.len() == 12, "{fx} /{path}: mode {}", l.mode);
            let data = Command::new("debugfs.ocfs2").args(["-R", &format!("cat /{path}")]).arg(&img).output().unwrap();
            assert_eq!(l.md5, format!("{:x}", Md5::digest(&data.stdout)), "{fx} /{path}: MD5");
        }
        // Directories, symlinks: the name and inode types and the link target.
        assert!(by_name["/small"].mode.starts_with("d/d"));
        assert!(by_name.contains_key("/links/sym-hello -> ../small/hello.txt"));
        assert_eq!(by_name["/links/sym-hello -> ../small/hello.txt"].mode, "l/lrwxrwxrwx");
        assert!(!lines.iter().any(|l| l.name.ends_with("/.") || l.name.ends_with("/..")), "no dot entries");
        let live = lines.iter().filter(|l| !l.name.ends_with(" (deleted)")).count();
        assert_eq!(live, lines.iter().filter(|l| !l.name.contains("(deleted")).count());

        // Deleted names (`ls -d` on each directory holding one) and deleted or
        // orphaned inodes (`lsdel`) are all there, marked.
        let deleted: Vec<&Line> = lines.iter().filter(|l| l.name.ends_with(" (deleted)")).collect();
        for l in &deleted {
            assert!(l.md5 == "0", "no hash for deleted entries");
        }
        for d in inspect_json(&["lsdel", p])["inodes"].as_array().unwrap() {
            let ino = d["inode"].as_u64().unwrap();
            let l = deleted.iter().find(|l| l.inode == ino).unwrap_or_else(|| panic!("{fx}: lsdel inode {ino}"));
            assert_eq!(l.size, d["size"].as_u64().unwrap());
        }
        let dirs: BTreeSet<String> = deleted
            .iter()
            .filter(|l| !l.name.starts_with("/$OrphanFiles/"))
            .map(|l| l.name[..l.name.rfind('/').unwrap()].to_string())
            .collect();
        for dir in &dirs {
            let spec = if dir.is_empty() { "/" } else { dir.as_str() };
            for e in inspect_json(&["ls", "-d", p, spec])["entries"].as_array().unwrap() {
                if e["deleted"].is_object() {
                    let name = format!("{dir}/{} (deleted)", e["name"].as_str().unwrap());
                    assert!(by_name.contains_key(name.as_str()), "{fx}: ls -d {spec} shows {name}");
                }
            }
        }
        match fx {
            "A-default" => assert_eq!(by_name["/data/deleted (deleted)"].mode, "r/----------"),
            "B" => {
                let o = by_name["/$OrphanFiles/OrphanFile-15804 (deleted)"];
                assert_eq!((o.size, o.mode.as_str()), (65536, "r/rrw-r--r--"), "B's orphan");
            }
            _ => {
                for i in 10..20 {
                    assert!(by_name.contains_key(format!("/extra/deldir/file-0{i} (deleted)").as_str()));
                }
            }
        }

        // mactime reads every line and prints each event where it belongs.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body");
        std::fs::write(&path, &body).unwrap();
        let rows = mactime_rows(&path);
        let mut checked = 0;
        for l in &lines {
            if l.times.iter().all(|&t| t == 0) {
                // mactime skips lines without any time: the deleted names whose
                // inode number the kernel cleared.
                assert!(!rows.contains_key(&l.name), "{fx}: mactime printed {}", l.name);
                continue;
            }
            // Hard links and reflink clones share rows only by name: compare by name.
            assert_eq!(rows.get(&l.name), Some(&expected_rows(l)), "{fx}: mactime rows of {}", l.name);
            checked += 1;
        }
        assert!(checked > 5000, "{fx}: {checked} entries checked");
    }
}

#[test]
fn bodyfile_of_an_o2image_lacks_only_what_needs_file_data() {
    require_tool("o2image");
    let dir = tempfile::tempdir().unwrap();
    let img = fixture("B");
    let packed = dir.path().join("b.o2i");
    let run = Command::new("o2image").arg(&img).arg(&packed).output().unwrap();
    assert!(run.status.success());
    let ours = stdout_of(&["bodyfile", img.to_str().unwrap()]);
    let theirs = stdout_of(&["bodyfile", packed.to_str().unwrap()]);
    // The slow symlink's target is file data, which the image does not hold.
    let strip =
        |s: &str| s.lines().map(|l| l.replace(&format!(" -> /long/{}", "L".repeat(3990)), "")).collect::<Vec<_>>();
    assert_eq!(strip(&theirs), strip(&ours));
    assert_ne!(theirs, ours);
    let md5 = inspect(&["bodyfile", "--md5", packed.to_str().unwrap()]);
    assert!(!md5.status.success(), "hashing file data that is not in the image must fail");
}

/// `rdump SPEC` into a new directory, then `hash [--md5] SPEC` checked there.
fn hash_checks(img: &Path, spec: &str, md5: bool) -> String {
    let out = tempfile::tempdir().unwrap();
    let r = inspect(&["rdump", img.to_str().unwrap(), spec, out.path().to_str().unwrap()]);
    assert!(r.status.success(), "rdump: {}", String::from_utf8_lossy(&r.stderr));
    let mut args = vec!["hash", img.to_str().unwrap(), spec];
    if md5 {
        args.push("--md5");
    }
    let list = stdout_of(&args);
    let list_path = out.path().join("..").join(format!("list-{}", std::process::id()));
    std::fs::write(&list_path, &list).unwrap();
    let tool = if md5 { "md5sum" } else { "sha256sum" };
    let check = Command::new(tool).args(["-c", "--strict"]).arg(&list_path).current_dir(out.path()).output().unwrap();
    std::fs::remove_file(&list_path).unwrap();
    assert!(
        check.status.success(),
        "{tool} -c: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    list
}

#[test]
fn hash_lists_pass_sha256sum_and_md5sum_on_an_rdump_tree() {
    let img = fixture("A-default");
    let list = hash_checks(&img, "/", false);
    // Every expected file with its sha256, and the 5000 empty files of bigdir.
    for (path, sha, _) in expected_files("A-default") {
        assert!(list.lines().any(|l| l == format!("{sha}  {path}")), "{path} with its sha256");
    }
    assert_eq!(list.lines().filter(|l| l.contains("  bigdir/e")).count(), 5000);
    assert_eq!(list.lines().count(), expected_files("A-default").len() + 5000);
    hash_checks(&img, "/", true);
    let sub = hash_checks(&img, "/data", false);
    assert!(sub.lines().all(|l| l.contains("  data/")), "paths as rdump /data writes them");
    hash_checks(&fixture("E-extents"), "/", true);
}
