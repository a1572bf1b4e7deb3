//! Sessions and lock names: `-R`, `-f` and the shell against one another and
//! against debugfs.ocfs2 (its `-f` framing, `encode`, `-d`, `locate`), on the
//! kernel-written fixtures. The shell is driven through a pseudo-terminal by
//! python3's `pty` module.

mod common;

use std::path::Path;
use std::process::Command;

use common::{bin, debugfs, debugfs_sections as sections, fixture, inspect, inspect_json, require_tool, Loop};

/// Twenty commands that debugfs.ocfs2 and the inspector share or that only we have.
const SCRIPT: &[&str] = &[
    "stats -h",
    "ls /",
    "ls -l /small",
    "stat /small/hello.txt",
    "stat -T //global_bitmap",
    "cat /small/hello.txt",
    "bmap /small/pat5000 1",
    "findpath <10782>",
    "locate <5> <12>",
    "ncheck 10776",
    "encode /d1",
    "decode M0000000000000000000005980f5f66",
    "group <3>",
    "grpextents <3>",
    "xattr /xattr",
    "frag /small/pat5000",
    "icheck 5",
    "freeinode",
    "volinfo",
    "logdump -T 1",
];

fn run_request(img: &Path, cmd: &str) -> std::process::Output {
    Command::new(bin()).arg("-R").arg(cmd).arg(img).output().expect("run ocfs2-inspect -R")
}

fn run_script(img: &Path, lines: &str, extra: &[&str]) -> std::process::Output {
    let script = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(script.path(), lines).expect("write script");
    Command::new(bin()).args(extra).arg("-f").arg(script.path()).arg(img).output().expect("run ocfs2-inspect -f")
}

#[test]
fn script_of_twenty_commands_equals_twenty_requests() {
    let img = fixture("A-default");
    let out = run_script(&img, &(SCRIPT.join("\n") + "\n"), &[]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(out.status.success(), "-f failed: {}", String::from_utf8_lossy(&out.stderr));
    let got = sections(&stdout);
    assert_eq!(got.len(), SCRIPT.len());
    for ((cmd, text), want_cmd) in got.iter().zip(SCRIPT) {
        assert_eq!(cmd, want_cmd);
        let one = run_request(&img, cmd);
        assert!(one.status.success(), "-R {cmd:?}: {}", String::from_utf8_lossy(&one.stderr));
        let mut want = String::from_utf8(one.stdout).expect("UTF-8");
        if cmd == SCRIPT.last().expect("a last command") {
            want.push('\n'); // the empty line that ends a -f run
        }
        assert!(!text.trim().is_empty(), "{cmd}: no output");
        assert_eq!(text, &want, "{cmd}: -f and -R differ");
    }
}

#[test]
fn script_framing_is_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = fixture("A-default");
    // Comments are echoed and skipped, blank lines are neither, leading blanks go.
    let lines = "stats -h\n# a comment\n\n   encode /\nstat /no/such/file\nencode //global_bitmap\n";
    let ours = run_script(&img, lines, &[]);
    let script = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(script.path(), lines).expect("write script");
    let theirs = Command::new("debugfs.ocfs2").arg("-f").arg(script.path()).arg(&img).output().expect("debugfs");
    let (ours_out, theirs_out) = (String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&theirs.stdout));
    let echoed = |s: &str| s.lines().filter(|l| l.starts_with("debugfs: ")).map(String::from).collect::<Vec<_>>();
    assert_eq!(echoed(&ours_out), echoed(&theirs_out));
    assert!(ours_out.ends_with("\n\n") && theirs_out.ends_with("\n\n"), "both end with an empty line");
    // encode's lines are debugfs's byte for byte, after the failed line too.
    let encodes = |s: &str| sections(s).into_iter().filter(|(c, _)| c.starts_with("encode")).collect::<Vec<_>>();
    assert_eq!(encodes(&ours_out), encodes(&theirs_out));
    // The failing line is reported on stderr and the script goes on; we exit 1.
    assert!(String::from_utf8_lossy(&ours.stderr).contains("stat: /no/such/file"));
    assert_eq!(ours.status.code(), Some(1));
    // -n: no echo, no banner.
    let quiet = run_script(&img, lines, &["-n"]);
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("debugfs: "));
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("ocfs2-inspect 0"));
}

#[test]
fn request_exit_status() {
    let img = fixture("A-default");
    assert!(run_request(&img, "stats -h").status.success());
    let bad = run_request(&img, "bogus");
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&bad.stderr).trim(), "bogus: command not found");
    let json = Command::new(bin()).args(["--json", "-R", "encode /d1"]).arg(&img).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON document");
    assert_eq!(v["files"][0]["locks"][0]["name"], "M0000000000000000002a1400000000");
}

#[test]
fn encode_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    for name in ["A-default", "X-max"] {
        let img = fixture(name);
        let i = img.to_str().expect("UTF-8 path");
        // Regular inodes (generation 0 in M), system ones (their generation), the superblock lock.
        let specs: Vec<String> =
            ["/", "/d1", "/small", "//global_bitmap", "//journal:0001", "<2>", "<5>"]
                .iter()
                .map(|s| s.to_string())
                .chain(
                    inspect_json(&["ls", i, "/small"])["entries"].as_array().into_iter().flatten().filter_map(|e| {
                        e["name"].as_str().filter(|n| !n.starts_with('.')).map(|n| format!("/small/{n}"))
                    }),
                )
                .collect();
        for spec in &specs {
            let ours = inspect(&["encode", i, spec]);
            assert!(ours.status.success(), "{name} encode {spec}");
            assert_eq!(
                String::from_utf8_lossy(&ours.stdout),
                debugfs(&img, &format!("encode {spec}")),
                "{name} {spec}"
            );
        }
    }
}

#[test]
fn decode_matches_debugfs_d() {
    require_tool("debugfs.ocfs2");
    // The types debugfs.ocfs2 1.8.7 knows (it prints nothing at all for Q, Y, P, T, I).
    let names = [
        "M0000000000000000000005980f5f66",
        "M0000000000000000002a1800000000",
        "D0000000000000000002a1846391749",
        "W0000000000000000002a1846391749",
        "O0000000000000000002a1800000000",
        "F0000000000000000002a1846391749",
        "S000000000000000000000200000000",
        "R000000000000000000000000000000",
        "N000000000000000500002a18",
        "N000000000000000500000000002a1234",
    ];
    let ours = Command::new(bin()).arg("decode").args(names).output().expect("run decode");
    assert!(ours.status.success());
    let theirs = Command::new("debugfs.ocfs2").arg("-d").args(names).output().expect("debugfs.ocfs2 -d");
    assert_eq!(String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&theirs.stdout));
    // The newer types decode here.
    for (name, kind, blkno) in [
        ("T00000000000000000000400000abcd", "Refcount", 64),
        ("Q000000000000000000000100000000", "Quota", 1),
        ("P000000000000000000000000000000", "OrphanScan", 0),
        ("Y000000000000000000000000000000", "NFSSync", 0),
        ("I000000000000000000000000000000", "TrimFs", 0),
    ] {
        let v = inspect_json(&["decode", name]);
        let l = &v["locks"][0];
        assert_eq!((l["type"].as_str(), l["blkno"].as_u64()), (Some(kind), Some(blkno)), "{name}");
    }
    // With an image, each inode's paths.
    let img = fixture("A-default");
    let v =
        inspect_json(&["decode", "--image", img.to_str().expect("UTF-8 path"), "<W0000000000000000002a1846391749>"]);
    assert_eq!(v["locks"][0]["paths"][0], "/small/");
}

#[test]
fn lock_names_as_file_specs() {
    require_tool("debugfs.ocfs2");
    let img = fixture("A-default");
    let i = img.to_str().expect("UTF-8 path");
    // The meta, read/write and dentry locks of /small all lead to inode 10776.
    let locks = inspect_json(&["encode", "--all", i, "/small"]);
    let names: Vec<String> = locks["files"][0]["locks"]
        .as_array()
        .expect("locks")
        .iter()
        .map(|l| l["name"].as_str().expect("name").into())
        .collect();
    assert!(names.iter().any(|n| n.starts_with('N')), "a dentry lock: {names:?}");
    let by_blkno = inspect_json(&["stat", i, "<10776>"]);
    for n in &names {
        let spec = format!("<{n}>");
        assert_eq!(inspect_json(&["stat", i, &spec]), by_blkno, "stat {spec}");
        assert_eq!(inspect_json(&["findpath", i, &spec])["paths"][0], "/small/");
    }
    // locate takes lock names as debugfs.ocfs2 does, with its framing.
    let m = &names[0];
    let spec = format!("locate <{m}> <12>");
    let ours = run_request(&img, &spec);
    assert_eq!(String::from_utf8_lossy(&ours.stdout), debugfs(&img, &spec));
    // A volume-wide lock names no inode: a typed error, not a panic.
    let r = inspect(&["stat", i, "<R000000000000000000000000000000>"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("Rename lock names no inode"));
}

#[test]
fn stats_h_leaves_out_the_inode() {
    let img = fixture("A-default");
    let i = img.to_str().expect("UTF-8 path");
    assert!(inspect_json(&["stats", i]).get("inode").is_some());
    assert!(inspect_json(&["stats", "-h", i]).get("inode").is_none());
    assert!(debugfs(&img, "stats").contains("Inode: 2 "));
    assert!(!debugfs(&img, "stats -h").contains("Inode: 2 "));
}

/// Drives `argv` through a pseudo-terminal: each step sends keys, then waits
/// (20 s at most) for a text; prints everything read.
const PTY_DRIVER: &str = r#"
import json, os, pty, select, sys, time
argv, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
buf = b""
for send, expect in steps:
    if send:
        os.write(fd, send.encode())
    if expect is None:
        continue
    end = time.time() + 20
    while expect.encode() not in buf:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            sys.exit("timed out waiting for %r after %r; read %r" % (expect, send, buf[-1500:]))
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            sys.exit("the shell ended waiting for %r after %r; read %r" % (expect, send, buf[-1500:]))
        buf += data
    cut = buf.index(expect.encode()) + len(expect)
    sys.stdout.write(buf[:cut].decode("utf-8", "replace"))
    buf = buf[cut:]
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

#[test]
fn shell_through_a_terminal() {
    let img = fixture("A-default");
    let home = tempfile::tempdir().expect("temporary HOME");
    let prompt = "ocfs2-inspect: ";
    let image = img.to_str().expect("UTF-8 path");
    let open = format!("open {image}\r");
    let steps: Vec<(&str, Option<&str>)> = vec![
        ("", Some(prompt)),
        // Relative paths from the current directory.
        ("cd d1\r", Some(prompt)),
        ("pwd\r", Some("/d1\r\n")),
        ("ls\r", Some("d2b")),
        ("", Some(prompt)),
        // An error does not end the session.
        ("stat nonexistent\r", Some("/d1/nonexistent")),
        ("", Some(prompt)),
        // History: three times up is `pwd`.
        ("\x1b[A\x1b[A\x1b[A\r", Some("/d1\r\n")),
        ("", Some(prompt)),
        // Completion of a command name, then of a path.
        ("curd\t\r", Some(image)),
        ("", Some(prompt)),
        ("cd /sm\t\r", Some(prompt)),
        ("pwd\r", Some("/small\r\n")),
        ("", Some(prompt)),
        ("stat hel\t\r", Some("Inode:             10782")),
        ("", Some(prompt)),
        // --json per command.
        ("encode --json /d1\r", Some("\"name\": \"M0000000000000000002a1400000000\"")),
        ("", Some(prompt)),
        ("close\r", Some(prompt)),
        ("stat /\r", Some("No device open")),
        ("", Some(prompt)),
        (&open, Some(prompt)),
        ("pwd\r", Some("/\r\n")),
        ("", Some(prompt)),
        ("quit\r", None),
    ];
    let steps_json = serde_json::to_string(&steps).expect("JSON");
    let argv = serde_json::to_string(&[bin(), image]).expect("JSON");
    // python3 for its pty module.
    let out = Command::new(require_tool("python3"))
        .args(["-c", PTY_DRIVER, &argv, &steps_json])
        .env("HOME", home.path())
        .env("TERM", "xterm")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "shell session: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let history = std::fs::read_to_string(home.path().join(".ocfs2_inspect_history")).expect("history saved");
    assert!(history.contains("cd d1") && history.contains("stat nonexistent"), "{history}");
}

/// `-R`, `-f` and the shell say at open what a single command says: here that
/// B's journal holds transactions not yet replayed.
#[test]
fn sessions_print_the_open_time_notes() {
    use std::io::Write;
    let img = fixture("B");
    let i = img.to_str().expect("UTF-8 path");
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let single = stderr(&inspect(&["stats", i]));
    let note = single.lines().find(|l| l.contains("not yet replayed")).unwrap_or_else(|| panic!("no note: {single}"));
    assert!(stderr(&inspect(&["-R", "stats", i])).contains(note), "-R");
    let dir = tempfile::tempdir().expect("temporary directory");
    let script = dir.path().join("cmds");
    std::fs::write(&script, "stats\n").expect("write the script");
    assert!(stderr(&inspect(&["-f", script.to_str().expect("UTF-8"), i])).contains(note), "-f");
    // The shell's own `open`, lines from a pipe.
    let mut shell = Command::new(bin())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the shell");
    let mut input = shell.stdin.take().expect("stdin");
    input.write_all(format!("open {i}\nstats\n").as_bytes()).expect("write to the shell");
    drop(input);
    let out = shell.wait_with_output().expect("the shell ends");
    assert!(out.status.success() && stderr(&out).contains(note), "the shell's open: {}", stderr(&out));
}

#[test]
fn sessions_leave_the_image_unchanged() {
    let img = fixture("A-default");
    let before = std::fs::read(&img).expect("read");
    let out = run_script(&img, &(SCRIPT.join("\n") + "\n"), &["-n"]);
    assert!(out.status.success());
    assert!(std::fs::read(&img).expect("read") == before, "the image changed");
}

/// An fs_locks line of format `version` (the layout of the kernel's seq_show).
fn fs_lock_line(version: u32, name: &str, flags: u32, stats: &[&str]) -> String {
    let mut f = vec![format!("0x{version:x}"), name.to_string()];
    f.extend([
        "3".into(),
        format!("0x{flags:x}"),
        "0x0".into(),
        "0x0".into(),
        "1".into(),
        "0".into(),
        "3".into(),
        "-1".into(),
    ]);
    f.extend((0..64).map(|i| format!("0x{:x}", i % 7)));
    f.extend(stats.iter().map(|s| s.to_string()));
    f.join("\t") + "\t\n"
}

#[test]
fn saved_lock_state_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = fixture("A-default");
    let dir = tempfile::tempdir().expect("temporary directory");
    let fs3 = dir.path().join("fs3");
    let v3 = ["12", "0", "0", "0", "40", "0", "9", "0", "1"];
    std::fs::write(
        &fs3,
        fs_lock_line(3, "M000000000000000000000b980f5f66", 0x41, &v3)
            + &fs_lock_line(
                3,
                "W0000000000000000002a1846391749",
                0x43,
                &["1", "2", "0", "1", "5000", "6", "3", "4", "0"],
            ),
    )
    .expect("write");
    let dlm = dir.path().join("dlm");
    std::fs::write(
        &dlm,
        "NAME:M0000000000000000000005980f5f66\nLRES:1,2,8,123,1,0,1,2,1,3,4\nRMAP:0 1\nLVBX:0\n\
         LOCK:1,0,3,-1,0,0:11,0,0,0,0,0,0,0,0,2\nLOCK:1,2,5,-1,3,1:4,1,1,0,0,1,1,1,1,2\n",
    )
    .expect("write");
    let f3 = fs3.to_str().expect("UTF-8 path");
    let d = dlm.to_str().expect("UTF-8 path");
    for req in [
        format!("fs_locks -f {f3}"),
        format!("fs_locks -l -f {f3} W0000000000000000002a1846391749"),
        format!("fs_locks -B -f {f3}"),
        format!("dlm_locks -f {d}"),
    ] {
        let words: Vec<&str> = req.split(' ').collect();
        let ours = inspect(&words);
        assert!(ours.status.success(), "{req}: {}", String::from_utf8_lossy(&ours.stderr));
        assert_eq!(String::from_utf8_lossy(&ours.stdout), debugfs(&img, &req), "{req}");
    }
    // Format 4 (which debugfs.ocfs2 1.8.7 refuses), with each lock's inode and path.
    let fs4 = dir.path().join("fs4");
    let v4 = ["1", "2", "0", "0", "5", "6", "3", "4", "0", "1700000000000000", "0", "0"];
    std::fs::write(&fs4, fs_lock_line(4, "N000000000000000500002a18", 0x41, &v4)).expect("write");
    let v = inspect_json(&["fs_locks", "-f", fs4.to_str().expect("UTF-8"), "--image", img.to_str().expect("UTF-8")]);
    let l = &v["locks"][0];
    assert_eq!(l["stats"]["pr_last"], 1_700_000_000_000_000u64);
    assert!(l["stats"]["pr_total_wait"].is_string() && l["stats"]["ex_total_wait"].is_string(), "{l}");
    // The statistics print as the library's `FsLockStats`, in the key order they always had (alphabetical).
    let raw = inspect(&["--json", "fs_locks", "-f", fs4.to_str().expect("UTF-8")]);
    let text = String::from_utf8_lossy(&raw.stdout);
    let at: Vec<usize> = [
        "disk_refreshes",
        "ex_fails",
        "ex_gets",
        "ex_last",
        "ex_max_wait",
        "ex_total_wait",
        "pr_fails",
        "pr_gets",
        "pr_last",
        "pr_max_wait",
        "pr_total_wait",
        "wait_start",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\"")).unwrap_or_else(|| panic!("{k} in {text}")))
    .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "stats keys out of their order: {text}");
    assert_eq!((l["owner"]["inode"].as_u64(), l["owner"]["paths"][0].as_str()), (Some(10776), Some("/small/")));
    let v = inspect_json(&["dlm_locks", "-f", d, "--image", img.to_str().expect("UTF-8")]);
    assert_eq!(v["resources"][0]["lock_owner"]["paths"][0], "/");
}

/// `value` of `key: value` in debugfs.ocfs2 output.
fn field(text: &str, key: &str) -> u64 {
    let at = text.find(&format!("{key}: ")).unwrap_or_else(|| panic!("{key} in {text}"));
    let rest = &text[at + key.len() + 2..];
    rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{key} value"))
}

#[test]
fn extent_blocks_match_debugfs() {
    require_tool("debugfs.ocfs2");
    let img = fixture("E-extents");
    let i = img.to_str().expect("UTF-8 path");
    let stat = inspect_json(&["stat", i, "/frag/d2"]);
    let blocks = stat["extent_blocks"].as_array().expect("extent blocks");
    assert!(blocks.len() > 2);
    for eb in blocks.iter().take(4) {
        let blk = eb["blkno"].as_u64().expect("blkno");
        let ours = inspect_json(&["extent", i, &format!("<{blk}>")]);
        assert_eq!(&ours, eb, "extent <{blk}> and stat's extent block");
        let theirs = debugfs(&img, &format!("extent <{blk}>"));
        assert_eq!(field(&theirs, "Blknum"), blk);
        assert_eq!(field(&theirs, "Next Leaf"), ours["next_leaf_blk"].as_u64().expect("next"));
        assert_eq!(field(&theirs, "SubAlloc Bit"), ours["suballoc_bit"].as_u64().expect("bit"));
        assert_eq!(field(&theirs, "Tree Depth"), ours["list"]["tree_depth"].as_u64().expect("depth"));
        assert_eq!(field(&theirs, "Next Free Rec"), ours["list"]["next_free_rec"].as_u64().expect("used"));
        assert_eq!(field(&theirs, "Count"), ours["list"]["count"].as_u64().expect("count"));
    }
    // An inode is not an extent block: a typed error naming the block.
    let bad = inspect(&["extent", i, "<5>"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("extent block 5"));
}

#[test]
fn gd_free_bits_counts_agree_with_group() {
    let img = fixture("A-default");
    let i = img.to_str().expect("UTF-8 path");
    let rows = inspect_json(&["gd_free_bits", i]);
    let rows = rows["groups"].as_array().expect("rows");
    assert!(!rows.is_empty());
    for r in rows {
        let g = inspect_json(&["group", i, &r["blkno"].to_string()]);
        let first = &g["groups"][0];
        assert_eq!(first["free"], r["free"], "{r}");
        assert_eq!(first["total"], r["total"], "{r}");
        assert_eq!(first["contig"], r["contig"], "{r}");
    }
    // debugfs.ocfs2 1.8.7 has no gd_free_bits; its group command counts the same runs.
    for r in rows {
        let text = debugfs(&img, &format!("group <{}>", r["blkno"]));
        let row = text.lines().nth(3).expect("first group row");
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1], r["blkno"].to_string());
        assert_eq!(cols[5], r["contig"].to_string(), "{row}");
    }
}

/// A private copy of a fixture (tunefs.ocfs2 opens its device for writing,
/// even to query).
fn private_copy(name: &str, dir: &Path) -> std::path::PathBuf {
    let copy = dir.join(format!("{name}.img"));
    std::fs::copy(fixture(name), &copy).expect("copy the fixture");
    copy
}

/// The sparse mkfs.ocfs2 volumes and the kernel-written fixtures the query
/// commands are compared on.
fn query_volumes(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<std::path::PathBuf> =
        ["A-default", "X-max", "E-extents"].iter().map(|n| private_copy(n, dir)).collect();
    let made = dir.join("mkfs.img");
    common::mkfs(
        &made,
        64 << 20,
        &[
            "-M",
            "local",
            "-b",
            "1024",
            "-C",
            "8192",
            "-N",
            "3",
            "-L",
            "a-label-of-sixteen",
            "--fs-features=nosparse,nounwritten,noinline-data",
        ],
    );
    v.push(made);
    v
}

#[test]
fn query_and_list_sparse_match_tunefs() {
    require_tool("tunefs.ocfs2");
    let dir = tempfile::tempdir().expect("temporary directory");
    // Every specifier tunefs.ocfs2 1.8.7 accepts, widths, escapes and `%%`.
    let format = r"T=%T N=%N R=%R Y=%Y P=%P [%-20V] [%40U] M=%M H=%H O=%O %% \t\x\a\b\v\f\r\n";
    for img in query_volumes(dir.path()) {
        let i = img.to_str().expect("UTF-8 path");
        let ours = inspect(&["query", i, format]);
        assert!(ours.status.success());
        let theirs = Command::new("tunefs.ocfs2").args(["-Q", format]).arg(&img).output().expect("tunefs.ocfs2 -Q");
        assert!(theirs.status.success(), "{}", String::from_utf8_lossy(&theirs.stderr));
        assert_eq!(ours.stdout, theirs.stdout, "{i}: query");
        // %B, which 1.8.7's format check rejects, is the block size.
        let bs = inspect_json(&["stats", i])["block_size"].as_u64().expect("block size");
        assert_eq!(String::from_utf8_lossy(&inspect(&["query", i, "%B\n"]).stdout), format!("{bs}\n"));

        let ours = inspect(&["list-sparse", i]);
        let theirs = Command::new("tunefs.ocfs2").arg("--list-sparse").arg(&img).output().expect("tunefs.ocfs2");
        assert!(theirs.status.success(), "{i}: {}", String::from_utf8_lossy(&theirs.stderr));
        assert_eq!(String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&theirs.stdout), "{i}: list-sparse");
    }
    // A standard printf conversion is refused, as tunefs.ocfs2 refuses it.
    let img = fixture("A-default");
    let bad = inspect(&["query", img.to_str().expect("UTF-8"), "%d"]);
    assert_eq!(bad.status.code(), Some(1));
    let v = inspect_json(&["list-sparse", img.to_str().expect("UTF-8")]);
    assert_eq!(v["trees"][0]["files"][0]["path"], "/sparse/holey");
}

#[test]
fn fs_features_matches_o2info_on_a_loop_device() {
    require_tool("o2info");
    let dir = tempfile::tempdir().expect("temporary directory");
    for img in query_volumes(dir.path()) {
        // o2info reads an unmounted volume only through a block device.
        let dev = Loop::attach(&img);
        let theirs = Command::new("o2info").arg("--fs-features").arg(&dev.0).output().expect("o2info");
        drop(dev);
        let ours = inspect(&["fs-features", img.to_str().expect("UTF-8")]);
        assert_eq!(String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&theirs.stdout), "{}", img.display());
    }
}

#[test]
fn report_bundles_the_other_commands_and_no_file_contents() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let img = dir.path().join("C1.img");
    common::decompress_fixture("C1", &img);
    let i = img.to_str().expect("UTF-8 path");
    let before = std::fs::read(&img).expect("read");
    let r = inspect_json(&["report", i]);
    // The same facts as the single commands.
    assert_eq!(
        r["mkfs"]["command"].as_str().map(|c| format!("{c}\n")),
        Some(String::from_utf8_lossy(&inspect(&["mkfs-cmd", i]).stdout).into_owned())
    );
    let slotmap = inspect_json(&["slotmap", "--all", i]);
    for s in slotmap["slots"].as_array().expect("slots") {
        let slot = s["slot"].as_u64().expect("slot") as usize;
        assert_eq!(r["slots"][slot]["node"], s["node"], "slot {slot}");
        assert_eq!(r["slots"][slot]["journal"]["state"], s["journal_state"], "slot {slot}");
    }
    let check = inspect_json(&["check", i]);
    assert_eq!(r["check"]["clean"], check["summary"]["clean"]);
    assert_eq!(r["check"]["errors"], check["summary"]["errors"]);
    let hb = inspect_json(&["hb", i]);
    // Sequence numbers are decimal strings (64-bit, see README "JSON output").
    let beats: Vec<&str> =
        hb["slots"].as_array().expect("hb slots").iter().map(|s| s["seq"].as_str().expect("seq")).collect();
    let ours: Vec<&str> =
        r["heartbeat"]["slots"].as_array().expect("beats").iter().map(|s| s["seq"].as_str().expect("seq")).collect();
    assert_eq!(ours, beats);
    let gb = &r["allocators"][0];
    assert_eq!(gb["name"], "global_bitmap");
    let stat = inspect_json(&["stat", "-T", i, "//global_bitmap"]);
    assert_eq!(gb["total"], stat["bitmap"]["total"]);
    assert_eq!(gb["used"], stat["bitmap"]["used"]);
    // Nothing from file contents: no file name, no data.
    let text = String::from_utf8_lossy(&inspect(&["report", i]).stdout).into_owned();
    let ls = inspect_json(&["ls", i, "/"]);
    for e in ls["entries"].as_array().expect("entries") {
        let name = e["name"].as_str().expect("name");
        if name.len() > 2 {
            assert!(!text.contains(name) && !r.to_string().contains(name), "the report names {name}");
        }
    }
    assert!(std::fs::read(&img).expect("read") == before, "the image changed");
}

/// A part that cannot be read is `{"error": {"kind", "message"}}` in its place (the
/// message the single command prints), and the other parts still come.
#[test]
fn report_names_a_part_it_cannot_read() {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().expect("temporary directory");
    let img = dir.path().join("C1.img");
    common::decompress_fixture("C1", &img);
    let i = img.to_str().expect("UTF-8 path");
    let hb_inode = inspect_json(&["stat", "-T", i, "//heartbeat"])["inode"].as_u64().expect("inode");
    let f = std::fs::OpenOptions::new().write(true).open(&img).expect("open copy");
    f.write_all_at(b"NOTANINODE", hb_inode * 4096).expect("damage the heartbeat inode");
    let r = inspect_json(&["report", i]);
    let hb = inspect(&["hb", i]);
    assert!(!hb.status.success());
    let message = r["heartbeat"]["error"]["message"].as_str().expect("a message");
    assert!(String::from_utf8_lossy(&hb.stderr).contains(message), "{message} is not hb's: {hb:?}");
    assert_eq!(r["heartbeat"]["error"]["kind"], "InvalidData", "{r:#}");
    assert_eq!(r["heartbeat"].as_object().map(|o| o.len()), Some(1), "only the error: {r:#}");
    assert!(r["mkfs"]["command"].is_string(), "{r:#}");
    assert!(r["check"]["clean"].is_boolean(), "{r:#}");
}

/// Counts an SVG's grid cells per class with python3's XML parser (which also
/// proves the file is well-formed SVG).
const SVG_COUNT: &str = r#"
import collections, json, sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
groups = {g.get("id"): g for g in root.iter(ns + "g")}
cells = collections.Counter(r.get("class") for r in groups["grid"].iter(ns + "rect"))
legend = [r.get("class").split()[0] for r in groups["legend"].iter(ns + "rect")]
bars = len(list(groups["histogram"].iter(ns + "rect")))
print(json.dumps({"cells": cells, "legend": legend, "bars": bars}))
"#;

#[test]
fn map_cells_agree_with_the_global_bitmap() {
    let img = fixture("A-default");
    let i = img.to_str().expect("UTF-8 path");
    let dir = tempfile::tempdir().expect("temporary directory");
    let stat = inspect_json(&["stat", "-T", i, "//global_bitmap"]);
    let (total, used) =
        (stat["bitmap"]["total"].as_u64().expect("total"), stat["bitmap"]["used"].as_u64().expect("used"));
    for cells in ["1000000", "4096"] {
        let svg = dir.path().join(format!("map-{cells}.svg"));
        let r = inspect_json(&["map", i, "-o", svg.to_str().expect("UTF-8"), "--cells", cells]);
        let out =
            Command::new(require_tool("python3")).args(["-c", SVG_COUNT]).arg(&svg).output().expect("run python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let drawn: u64 = parsed["cells"].as_object().expect("cells").values().map(|v| v.as_u64().expect("n")).sum();
        assert_eq!(drawn, r["cells"].as_u64().expect("cells"));
        let per = r["clusters_per_cell"].as_u64().expect("per cell");
        assert_eq!(drawn, total.div_ceil(per));
        // Every cluster is someone's, once.
        let owners = r["owners"].as_array().expect("owners");
        assert_eq!(owners.iter().map(|o| o["clusters"].as_u64().expect("n")).sum::<u64>(), total);
        let free = &owners[0];
        assert_eq!((free["name"].as_str(), free["clusters"].as_u64()), (Some("free"), Some(total - used)));
        for o in owners {
            let class = o["class"].as_str().expect("class");
            assert_eq!(parsed["cells"][class].as_u64().unwrap_or(0), o["cells"].as_u64().expect("cells"), "{class}");
            assert!(parsed["legend"].as_array().expect("legend").iter().any(|l| l == class), "{class} in the legend");
        }
        if per == 1 {
            // One cluster a cell: the free cells are exactly the bitmap's free bits.
            assert_eq!(parsed["cells"]["o0"].as_u64(), Some(total - used));
            let owned: u64 = parsed["cells"]
                .as_object()
                .expect("cells")
                .iter()
                .filter(|(k, _)| *k != "o0")
                .map(|(_, v)| v.as_u64().expect("n"))
                .sum();
            assert_eq!(owned, used);
        }
        assert_eq!(parsed["bars"].as_u64(), Some(r["free_extents"].as_array().expect("hist").len() as u64));
    }
}
