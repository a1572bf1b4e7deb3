//! The JSON is a schema: every command's `--json` output is one object whose
//! top-level keys are the ones `SCHEMA` lists (README, "JSON output"), and
//! `hb --watch --json` prints JSON Lines, one such object per line. The field
//! meanings are the doc comments of the report structs in `src/cmd/`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{bin, fixture, inspect, mkfs, workspace_bin};
use serde_json::Value;

/// One row per command: its name (as `--help` lists it), the runs that show
/// every key, and its top-level keys (`key?`: only in some runs). In a run,
/// `@A`, `@B`, `@C1`, `@X`, `@E` are the fixtures (A-default, B, C1, X-max,
/// E-extents), `@T/` the run's temporary directory, and `@DXROOT`,
/// `@DXLEAF`, `@EB` blocks looked up on the fixtures.
#[rustfmt::skip]
const SCHEMA: &[(&str, &[&[&str]], &str)] = &[
    ("stats", &[&["stats", "@A"], &["stats", "-h", "@A"]],
        "backup_superblocks block_size block_size_bits blocks check_interval cluster_flag_names cluster_flags \
         cluster_name cluster_size cluster_size_bits cluster_stack clusters creator_os dx_seeds errors feature_compat \
         feature_incompat feature_ro_compat first_cluster_group_blkno inode? journals label last_check max_mount_count \
         max_node_slots mount_count revision root_blkno source_bytes state superblock_blkno system_dir_blkno tunefs_flag \
         tunefs_flag_names uuid uuid_hash xattr_inline_size"),
    ("ls", &[&["ls", "@A", "/"], &["ls", "-l", "-d", "@A", "/data"]], "inode entries"),
    ("stat", &[&["stat", "@A", "/small/hello.txt"], &["stat", "@A", "/links/sym-hello"], &["stat", "@A", "/data/pat20m"],
               &["stat", "@A", "//global_bitmap"], &["stat", "-T", "@A", "//global_bitmap"],
               &["stat", "@A", "//local_alloc:0000"], &["stat", "@A", "//truncate_log:0000"]],
        "atime attr clusters crc32 ctime dtime dx_root dyn_features ecc file_type flags fs_generation generation gid \
         inode kind last_extblk links mode mtime orphan_slot refcount_block size suballoc_bit suballoc_loc suballoc_slot \
         uid xattr_inline_size xattr_loc inline_data_max? target? extent_blocks? journal? list? bitmap? \
         bits_per_cluster? chains? clusters_per_group? count? next_free_rec? recs? bitmap_offset? bitmap_size? \
         total_records? used?"),
    ("stat_sysdir", &[&["stat_sysdir", "@A"]], "superblock files"),
    ("cat", &[&["cat", "@A", "/small/hello.txt"]], "inode size base64"),
    ("dump", &[&["dump", "@A", "/small/hello.txt", "@T/hello"]], "inode path bytes symlink"),
    ("rdump", &[&["rdump", "@A", "/small", "@T/"]],
        "target files directories symlinks hard_links other bytes shared_bytes xattrs_restored xattrs_skipped xattr_failures failed"),
    ("bmap", &[&["bmap", "@A", "/small/pat5000", "0"]], "inode logical physical hole unwritten inline"),
    ("logdump", &[&["logdump", "@B", "0"], &["logdump", "--raw", "@B", "0"]],
        "slot inode dirty recovery_generation superblock log_end? transactions? raw?"),
    ("findpath", &[&["findpath", "@A", "10776"]], "inode paths"),
    ("group", &[&["group", "@A", "32256"]], "groups"),
    ("grpextents", &[&["grpextents", "@A", "32256"]], "group total used free count longest average extents"),
    ("freeinode", &[&["freeinode", "@A"]], "slots total free global_space global_free"),
    ("freefrag", &[&["freefrag", "@A"]],
        "block_size cluster_size total_clusters free_clusters free_percent min_free_extent_kb max_free_extent_kb \
         avg_free_extent_kb free_extents chunk_size clusters_per_chunk total_chunks free_chunks free_chunks_percent \
         histogram"),
    ("space-usage", &[&["space-usage", "@A", "/data/pat20m"]],
        "inode blocks clusters shared unwritten holes extents"),
    ("filestat", &[&["filestat", "@A", "/sparse/holey"], &["filestat", "@A", "/links/sym-hello"]],
        "path inode size blocks io_block file_type links frag_percent clusters extents score shared unwritten holes \
         xattr permissions mode uid user gid group atime mtime ctime"),
    ("volinfo", &[&["volinfo", "@A"]], "label uuid block_size cluster_size blocks clusters node_slots features"),
    ("mkfs-cmd", &[&["mkfs-cmd", "@A"]], "command journal_size o2info"),
    ("check", &[&["check", "--no-progress", "@B"]], "image findings summary exit_code"),
    ("hb", &[&["hb", "@C1"]], "device region slots"),
    ("slotmap", &[&["slotmap", "@B"]], "format max_slots slots"),
    ("mounted", &[&["mounted", "@A"], &["mounted", "-f", "@C1"]], "volumes"),
    ("config", &[&["config", "lint", "@T/cluster.conf"]], "files errors warnings"),
    ("dx_root", &[&["dx_root", "@X", "@DXROOT"]],
        "blkno fs_generation clusters last_eb_blk dir_inode suballoc_slot suballoc_bit flags inline num_entries \
         free_blk crc32 ecc tree extents"),
    ("dx_leaf", &[&["dx_leaf", "@X", "@DXLEAF"]], "blkno fs_generation crc32 ecc count num_used entries"),
    ("dx_dump", &[&["dx_dump", "@X", "/bigdir"]], "root leaves"),
    ("dx_space", &[&["dx_space", "@X", "/bigdir"]], "blocks"),
    ("dirblocks", &[&["dirblocks", "@A", "/bigdir"]], "inode blocks"),
    ("xattr", &[&["xattr", "@X", "/xattr/file"]], "inode total inline_count indexed buckets attrs"),
    ("refcount", &[&["refcount", "@X", "/data/pat1m"]], "inode blocks extents"),
    ("icheck", &[&["icheck", "@A", "64", "32256"]], "blocks"),
    ("lsdel", &[&["lsdel", "@B"]], "inodes orphans"),
    ("quota", &[&["quota", "--recount", "@X"]], "quotas"),
    ("frag", &[&["frag", "@A", "/data/pat20m"]], "inode extents clusters score percent_fragmented"),
    ("image", &[&["image", "@A", "@T/o2i"]], "path format blocks bytes"),
    ("recover", &[&["recover", "--dry-run", "@B"]], "slots warnings"),
    ("encode", &[&["encode", "--all", "@A", "/d1"]], "files"),
    ("decode", &[&["decode", "M0000000000000000002a1400000000"]], "locks"),
    ("fs_locks", &[&["fs_locks", "-f", "@T/fs_locks", "--image", "@A"]], "locks"),
    ("dlm_locks", &[&["dlm_locks", "-f", "@T/dlm_locks"]], "resources"),
    ("extent", &[&["extent", "@E", "@EB"]],
        "blkno suballoc_slot suballoc_bit suballoc_loc next_leaf_blk crc32 ecc list"),
    ("gd_free_bits", &[&["gd_free_bits", "@A"]], "groups"),
    ("query", &[&["query", "@A", "%B %T %N\\n"]], "format text"),
    ("list-sparse", &[&["list-sparse", "@A"]], "trees hole_clusters free_clusters"),
    ("fs-features", &[&["fs-features", "@A"]], "compat incompat ro_compat"),
    ("report", &[&["report", "@A"]], "tool image superblock slots heartbeat allocators mkfs check"),
    ("map", &[&["map", "@A", "-o", "@T/map.svg"]], "svg clusters clusters_per_cell cells owners free_extents"),
    ("locate", &[&["locate", "@A", "10776", "5"], &["ncheck", "@A", "10776"]], "paths"),
    ("partitions", &[&["partitions", "@A"]], "disk_offset table sector_size partitions"),
    ("verify", &[&["verify", "@T/disk.E01"]], "segments checked md5 sha1 bad_chunks ok"),
];

/// Commands without a JSON object: their output is a format of their own
/// (`--json` is refused), an interactive session, or clap's help.
const NO_JSON: &[&str] = &["bodyfile", "hash", "shell", "help"];

/// `hb --watch --json`: the keys of each line (one transition).
const WATCH_KEYS: &str = "sample time unix_ms slot node name state generation reason missed_samples new_generation";

fn keys(spec: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (opt, req): (Vec<&str>, Vec<&str>) = spec.split_whitespace().partition(|k| k.ends_with('?'));
    (req.into_iter().map(String::from).collect(), opt.iter().map(|k| k.trim_end_matches('?').to_string()).collect())
}

/// The subcommands `ocfs2-inspect --help` lists.
fn subcommands() -> Vec<String> {
    let out = inspect(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

/// Runs `ocfs2-inspect --json ARGS`; asserts success and one JSON object.
fn json_object(args: &[String]) -> serde_json::Map<String, Value> {
    let mut all = vec!["--json".to_string()];
    all.extend_from_slice(args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = inspect(&all);
    assert!(out.status.success(), "{all:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    match serde_json::from_slice(&out.stdout) {
        Ok(Value::Object(m)) => m,
        Ok(other) => panic!("{all:?}: not one object: {}", &other.to_string()[..80.min(other.to_string().len())]),
        Err(e) => panic!("{all:?}: not one JSON document: {e}"),
    }
}

/// The scratch files the runs read: a cluster.conf, saved lock states, an EWF image.
fn scratch(dir: &Path) {
    std::fs::write(
        dir.join("cluster.conf"),
        "node:\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tnumber = 0\n\tname = n0\n\tcluster = c\n\n\
         cluster:\n\tnode_count = 1\n\tname = c\n",
    )
    .expect("write cluster.conf");
    // A format-4 fs_locks line (tab-separated, as the kernel prints it) naming /small's inode.
    let mut f: Vec<String> =
        ["0x4", "N000000000000000500002a18", "3", "0x41", "0x0", "0x0", "1", "0", "3", "-1"].map(String::from).into();
    f.extend((0..64).map(|i| format!("0x{:x}", i % 7)));
    f.extend(["1", "2", "0", "0", "5", "6", "3", "4", "0", "1700000000000000", "0", "0"].map(String::from));
    std::fs::write(dir.join("fs_locks"), f.join("\t") + "\t\n").expect("write fs_locks");
    std::fs::write(
        dir.join("dlm_locks"),
        "NAME:M0000000000000000000005980f5f66\nLRES:1,2,8,123,1,0,1,2,1,3,4\nRMAP:0 1\nLVBX:0\n\
         LOCK:1,0,3,-1,0,0:11,0,0,0,0,0,0,0,0,2\n",
    )
    .expect("write dlm_locks");
    let media = dir.join("media");
    std::fs::write(&media, (0..1u32 << 20).map(|i| (i % 251) as u8).collect::<Vec<u8>>()).expect("write media");
    let out = Command::new("ewfacquire")
        .args(["-u", "-q", "-c", "none", "-d", "sha1", "-t"])
        .arg(dir.join("disk"))
        .arg(&media)
        .output()
        .expect("ewfacquire is needed for `verify` (apt-get install ewf-tools)");
    assert!(out.status.success(), "ewfacquire: {}", String::from_utf8_lossy(&out.stderr));
}

/// Blocks the runs need, looked up on the fixtures rather than hard-coded.
fn lookups() -> Vec<(&'static str, String)> {
    let stat = |img: &str, spec: &str| json_object(&["stat".into(), img.into(), spec.into()]);
    let x = fixture("X-max").display().to_string();
    let dx_root = stat(&x, "/bigdir")["dx_root"].as_u64().expect("dx_root");
    let root = json_object(&["dx_root".into(), x, format!("<{dx_root}>")]);
    let leaf = root["extents"][0]["blkno"].as_u64().expect("a dx leaf");
    let e = fixture("E-extents").display().to_string();
    let eb = stat(&e, "/frag/d2")["extent_blocks"][0]["blkno"].as_u64().expect("an extent block");
    vec![("@DXROOT", format!("<{dx_root}>")), ("@DXLEAF", leaf.to_string()), ("@EB", format!("<{eb}>"))]
}

fn expand(arg: &str, tmp: &Path, blocks: &[(&str, String)]) -> String {
    for (name, path) in [("@A", "A-default"), ("@B", "B"), ("@C1", "C1"), ("@X", "X-max"), ("@E", "E-extents")] {
        if arg == name {
            return fixture(path).display().to_string();
        }
    }
    if let Some(rest) = arg.strip_prefix("@T/") {
        return tmp.join(rest).display().to_string();
    }
    blocks.iter().find(|(n, _)| *n == arg).map_or_else(|| arg.replace("\\n", "\n"), |(_, v)| v.clone())
}

#[test]
fn every_command_prints_one_object_with_the_documented_keys() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    scratch(tmp.path());
    let blocks = lookups();
    let before: Vec<Vec<u8>> =
        ["A-default", "B", "X-max"].iter().map(|n| std::fs::read(fixture(n)).expect("read")).collect();

    // Every subcommand has a row (or is one of the few without JSON), and every row a subcommand.
    let listed = subcommands();
    assert!(listed.len() > 40, "--help lists the commands: {listed:?}");
    for c in &listed {
        assert!(
            SCHEMA.iter().any(|(n, ..)| n == c) || NO_JSON.contains(&c.as_str()),
            "`{c}` has no row in SCHEMA (tests/json_schema.rs) nor in NO_JSON"
        );
    }
    for (name, ..) in SCHEMA {
        assert!(listed.iter().any(|c| c == name), "SCHEMA row `{name}` is not a command");
    }

    for (name, runs, spec) in SCHEMA {
        let (required, optional) = keys(spec);
        let mut seen = BTreeSet::new();
        for run in *runs {
            // Each run writes into a fresh directory (dump, rdump, image, map refuse what exists).
            let dir = tmp.path().join(format!("run-{}", seen.len()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir(&dir).expect("mkdir");
            for f in ["cluster.conf", "fs_locks", "dlm_locks", "disk.E01"] {
                std::fs::copy(tmp.path().join(f), dir.join(f)).expect("copy scratch");
            }
            let args: Vec<String> = run.iter().map(|a| expand(a, &dir, &blocks)).collect();
            let got: BTreeSet<String> = json_object(&args).keys().cloned().collect();
            let missing: Vec<&String> = required.difference(&got).collect();
            let extra: Vec<&String> = got.iter().filter(|k| !required.contains(*k) && !optional.contains(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name} {run:?}: missing {missing:?}, undocumented {extra:?}"
            );
            seen.extend(got);
        }
        let never: Vec<&String> = optional.difference(&seen).collect();
        assert!(never.is_empty(), "{name}: optional keys no run shows (add a run or drop them): {never:?}");
    }

    // `bodyfile` and `hash` refuse --json rather than print something else.
    for c in ["bodyfile", "hash"] {
        let out = inspect(&["--json", c, fixture("A-default").to_str().expect("UTF-8")]);
        assert!(!out.status.success() && out.stdout.is_empty(), "{c} --json");
    }
    let after: Vec<Vec<u8>> =
        ["A-default", "B", "X-max"].iter().map(|n| std::fs::read(fixture(n)).expect("read")).collect();
    assert!(before == after, "a fixture changed");
}

/// `hb --watch --json` prints JSON Lines: one object per transition, each with
/// `WATCH_KEYS`. Two simulated nodes beat on a scratch image and one stops.
#[test]
fn hb_watch_prints_json_lines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let img = dir.path().join("hb.img");
    mkfs(&img, 64 << 20, &["-N", "4", "-J", "size=4M", "-b", "4096"]);
    let start = |node: &str| -> std::process::Child {
        let mut child = Command::new(workspace_bin("ocfs2-hbsim"))
            .arg(&img)
            .args(["--node", node, "--interval", "100ms", "--threshold", "5"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start ocfs2-hbsim");
        // Its first line says it beats.
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("hbsim line");
        child
    };
    let mut nodes = [start("1"), start("3")];
    let watch = Command::new(bin())
        .args(["--json", "hb", "--watch", "--interval", "100ms", "--threshold", "5", "--count", "30"])
        .arg(&img)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hb --watch");
    std::thread::sleep(std::time::Duration::from_millis(1000));
    nodes[1].kill().expect("stop node 3");
    let out = watch.wait_with_output().expect("hb --watch");
    for n in &mut nodes {
        let _ = n.kill();
        let _ = n.wait();
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (required, _) = keys(WATCH_KEYS);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    // Two nodes come up; node 3 dies; no other state changes.
    assert!(lines.len() >= 3, "transitions: {text}");
    let mut states = Vec::new();
    for l in &lines {
        let Ok(Value::Object(m)) = serde_json::from_str(l) else { panic!("not one object per line: {l}") };
        let got: BTreeSet<String> = m.keys().cloned().collect();
        assert_eq!(got, required, "{l}");
        assert!(m["generation"].is_string(), "64-bit generation as a decimal string: {l}");
        states.push((m["node"].as_u64().expect("node"), m["state"].as_str().expect("state").to_string()));
    }
    assert!(states.contains(&(1, "live".into())) && states.contains(&(3, "live".into())), "{states:?}");
    assert!(states.contains(&(3, "dead".into())), "{states:?}");
}

/// Every field of every serialized type, in this crate's `src/` and in the
/// library's (whose report types derive `Serialize` under its `serde` feature,
/// `#[cfg_attr(feature = "serde", derive(serde::Serialize))]`), has a doc comment,
/// as has every variant of a serialized enum and its fields: the doc comments
/// are the schema of the JSON.
#[test]
fn every_json_field_is_documented() {
    /// Whether `derive(...)` lists `Serialize`.
    fn derives_serialize(meta: &syn::Meta) -> bool {
        let syn::Meta::List(list) = meta else { return false };
        list.path.is_ident("derive")
            && list
                .parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .is_ok_and(|paths| paths.iter().any(|p| p.segments.last().is_some_and(|s| s.ident == "Serialize")))
    }
    /// `#[derive(Serialize)]`, or a `#[cfg_attr(PREDICATE, derive(Serialize), ...)]`.
    fn serialized(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| {
            if a.path().is_ident("cfg_attr") {
                let metas =
                    a.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated);
                metas.is_ok_and(|m| m.iter().skip(1).any(derives_serialize))
            } else {
                derives_serialize(&a.meta)
            }
        })
    }
    fn documented(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| a.path().is_ident("doc"))
    }
    fn fields(at: &str, fields: &syn::Fields, missing: &mut Vec<String>) {
        for f in fields.iter().filter(|f| !documented(&f.attrs)) {
            if let Some(name) = &f.ident {
                missing.push(format!("{at}.{name}"));
            }
        }
    }
    fn visit(file: &str, items: &[&syn::Item], missing: &mut Vec<String>) {
        for item in items {
            match item {
                syn::Item::Struct(s) if serialized(&s.attrs) => {
                    fields(&format!("{file}: {}", s.ident), &s.fields, missing)
                }
                syn::Item::Enum(e) if serialized(&e.attrs) => {
                    for v in &e.variants {
                        let at = format!("{file}: {}::{}", e.ident, v.ident);
                        if !documented(&v.attrs) {
                            missing.push(at.clone());
                        }
                        fields(&at, &v.fields, missing);
                    }
                }
                syn::Item::Mod(m) => {
                    let inner: Vec<&syn::Item> = m.content.iter().flat_map(|(_, i)| i).collect();
                    visit(file, &inner, missing);
                }
                // Types declared inside a function (a test's, say).
                syn::Item::Fn(f) => {
                    let inner: Vec<&syn::Item> = f
                        .block
                        .stmts
                        .iter()
                        .filter_map(|s| if let syn::Stmt::Item(i) = s { Some(i) } else { None })
                        .collect();
                    visit(file, &inner, missing);
                }
                _ => {}
            }
        }
    }
    /// The undocumented fields of the sources under `src`, and how many files it read.
    fn scan(src: &Path) -> (Vec<String>, usize) {
        let mut dirs = vec![src.to_path_buf()];
        let (mut missing, mut files) = (Vec::new(), 0);
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read source");
                    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let name = path.strip_prefix(src).expect("under src").display().to_string();
                    visit(&name, &ast.items.iter().collect::<Vec<_>>(), &mut missing);
                    files += 1;
                }
            }
        }
        (missing, files)
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for (crate_name, src) in
        [("ocfs2-inspect", manifest.join("src")), ("ocfs2-format", manifest.join("../ocfs2-format/src"))]
    {
        let (undocumented, files) = scan(&src);
        assert!(files > 30, "{crate_name}: read only {files} source files");
        missing.extend(undocumented.into_iter().map(|m| format!("{crate_name}/src/{m}")));
    }
    assert!(missing.is_empty(), "undocumented JSON fields (the doc comments are the schema):\n{}", missing.join("\n"));
}
