//! `filestat` (o2info `--filestat`). o2info needs a mounted volume for it (it
//! calls lstat and FIEMAP on the path), so it cannot run on an image here; each
//! number is checked against debugfs.ocfs2's `stat` of the same inode, and the
//! text against the layout of o2info 1.8.7's `o2info_report_filestat`.

mod common;

use common::{debugfs_batch, fixture, inspect, require_tool};

/// What debugfs.ocfs2's `stat` says of one inode, in filestat's terms.
#[derive(Debug, Default)]
struct Debugfs {
    inode: u64,
    mode: u64,
    links: u64,
    uid: u64,
    gid: u64,
    size: u64,
    clusters: u64,
    times: [(i64, u32); 3], // atime, mtime, ctime
    inline: bool,
    depth: Option<u64>,
    /// Leaf records at depth 0: (offset, clusters, flags).
    records: Vec<(u64, u64, u64)>,
}

/// The value after `key` on a debugfs line (`Inode: 10782   Mode: 0644`).
fn after<'a>(text: &'a str, key: &str) -> &'a str {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
    text[at..].split_whitespace().next().expect("a value")
}

fn num(s: &str) -> u64 {
    s.strip_prefix("0x").map_or_else(|| s.parse().expect("decimal"), |h| u64::from_str_radix(h, 16).expect("hex"))
}

fn parse(stat: &str) -> Debugfs {
    let mut d = Debugfs {
        inode: num(after(stat, "Inode:")),
        mode: u64::from_str_radix(after(stat, "Mode:"), 8).expect("octal mode"),
        links: num(after(stat, "Links:")),
        uid: num(after(stat, "User:")),
        gid: num(after(stat, "Group:")),
        size: num(after(stat, "Size:")),
        clusters: num(after(stat, "Clusters:")),
        inline: stat.contains("InlineData"),
        ..Debugfs::default()
    };
    for (i, key) in ["atime:", "mtime:", "ctime:"].iter().enumerate() {
        let line = stat.lines().find(|l| l.trim_start().starts_with(key)).expect("time line");
        let f: Vec<&str> = line.split_whitespace().collect();
        d.times[i] = (num(f[1]) as i64, num(f[2]) as u32);
    }
    if stat.contains("Tree Depth:") {
        d.depth = Some(num(after(stat, "Tree Depth:")));
        let mut lines = stat.lines().skip_while(|l| !l.contains("## Offset")).skip(1);
        if d.depth == Some(0) {
            for l in lines.by_ref() {
                let f: Vec<&str> = l.split_whitespace().collect();
                if f.len() < 5 || f[0].parse::<u64>().is_err() {
                    break;
                }
                d.records.push((num(f[1]), num(f[2]), num(f[4])));
            }
        }
    }
    d
}

/// Files of A-default with every kind of layout filestat reports: inline data,
/// one extent, refcounted extents, unwritten ones, holes, an indexed directory,
/// fast and slow symlinks, a hard-linked file.
const PATHS: [&str; 9] = [
    "/small/hello.txt",
    "/data/pat20m",
    "/data/pat20m.reflink",
    "/data/prealloc",
    "/sparse/holey",
    "/bigdir",
    "/links/sym-hello",
    "/links/sym-long",
    "/data/pat1m",
];

#[test]
fn filestat_agrees_with_debugfs_stat() {
    require_tool("debugfs.ocfs2");
    require_tool("o2info");
    let image = fixture("A-default");
    let img = image.to_str().expect("utf-8");
    let stats = debugfs_batch(&image, &PATHS.iter().map(|p| format!("stat {p}")).collect::<Vec<_>>());
    let mut compared = 0;
    for (path, stat) in PATHS.iter().zip(&stats) {
        let d = parse(stat);
        let v = common::inspect_json(&["filestat", img, path]);
        let u = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{path}: {k} in {v}"));
        assert_eq!(
            (u("inode"), u("permissions"), u("links"), u("uid"), u("gid"), u("size"), u("clusters")),
            (d.inode, d.mode, d.links, d.uid, d.gid, d.size, d.clusters),
            "{path}"
        );
        // st_blocks: the kernel counts i_clusters only (4 KiB clusters: 8 sectors each).
        assert_eq!(u("blocks"), d.clusters * 8, "{path}");
        for (i, k) in ["atime", "mtime", "ctime"].iter().enumerate() {
            let t = &v[k];
            assert_eq!(
                (t[0].as_i64(), t[1].as_u64()),
                (Some(d.times[i].0), Some(u64::from(d.times[i].1))),
                "{path} {k}"
            );
        }
        // The kernel's FIEMAP: inline data (and a fast symlink's target) is one
        // extent; otherwise one per leaf record, with o2info's hole count.
        if d.inline {
            assert_eq!((u("extents"), u("clusters")), (1, 0), "{path}");
            compared += 1;
        } else if d.depth == Some(0) {
            let (mut shared, mut unwritten, mut holes, mut end) = (0, 0, 0, 0);
            for &(off, len, flags) in &d.records {
                shared += if flags & 2 != 0 { len } else { 0 };
                unwritten += if flags & 1 != 0 { len } else { 0 };
                holes += off.saturating_sub(end);
                end = off + len;
            }
            assert_eq!(
                (u("extents"), u("shared"), u("unwritten"), u("holes")),
                (d.records.len() as u64, shared, unwritten, holes),
                "{path}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 7, "extent figures compared on {compared} files");
}

#[test]
fn filestat_prints_o2info_layout() {
    // The lines of o2info_report_filestat for /sparse/holey: two one-cluster
    // extents 2047 clusters apart; frag = 100 * 2/2, score = frag * (1 MiB / 4 KiB).
    let out = inspect(&["filestat", fixture("A-default").to_str().expect("utf-8"), "/sparse/holey"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "  File: /sparse/holey");
    assert_eq!(lines[1], "  Size: 16777216  \tBlocks: 16         IO Block: 4096   regular file");
    assert_eq!(lines[2], "Device: -\tInode: 15800       Links: 1");
    assert_eq!(lines[3], " Frag%: 100.00    \tClusters: 2        Extents: 2      Score: 25600");
    assert_eq!(lines[4], "Shared: 0         \tUnwritten: 0       Holes: 2047     Xattr: 0");
    assert!(lines[5].starts_with("Access: (0644/-rw-r--r--)  Uid: (    0/"), "{}", lines[5]);
    assert_eq!(lines[7], "Modify: 2026-11-24 18:24:48.486190521 +0000");
    // A symlink names its target, as o2info's o2info_get_human_path does.
    let link = inspect(&["filestat", fixture("A-default").to_str().expect("utf-8"), "/links/sym-hello"]);
    let text = String::from_utf8(link.stdout).expect("utf-8");
    assert!(text.starts_with("  File: /links/sym-hello -> "), "{text}");
    assert!(text.contains("fast symbolic link"), "{text}");
}
