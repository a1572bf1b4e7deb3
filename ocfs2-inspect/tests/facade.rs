//! The library facade (`ocfs2_format::files`) against the oracles: `Metadata`
//! against `debugfs.ocfs2 stat`, xattrs against the inspector's `--json xattr`
//! (itself checked against debugfs.ocfs2 `xattr -v` in tests/xattr.rs), and
//! ACL values against the Linux `posix_acl_xattr` format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{debugfs_batch, fixture, inspect_json, require_tool};
use ocfs2_format::{FileType, Metadata, Volume};

/// The fields of one `debugfs.ocfs2 stat` that `Metadata` carries.
#[derive(Debug, PartialEq, Eq)]
struct Stat {
    ino: u64,
    perms: u32,
    generation: u32,
    kind: String,
    uid: u32,
    gid: u32,
    size: u64,
    links: u32,
    clusters: u32,
    times: [(u64, u32); 3], // ctime, atime, mtime as the hex pairs debugfs prints
    dyn_features: u16,
    refcount: u64,
    suballoc: (i64, u16),
    /// (xattr block, inline xattr bytes), printed for inodes with xattrs.
    xattr: Option<(u64, u16)>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// Parses debugfs's `stat` text.
fn parse(text: &str) -> Stat {
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |key: &str| -> &str {
        let k: Vec<&str> = key.split(' ').collect();
        let i = words.windows(k.len()).position(|w| w == k.as_slice()).unwrap_or_else(|| panic!("{key} in {text}"));
        words[i + k.len()]
    };
    let time = |key: &str| -> (u64, u32) {
        let i = words.iter().position(|w| *w == key).unwrap();
        (hex(words[i + 1]), hex(words[i + 2]) as u32)
    };
    let kind = text.lines().find_map(|l| l.trim().strip_prefix("Type: ")).unwrap();
    Stat {
        ino: after("Inode:").parse().unwrap(),
        perms: u32::from_str_radix(after("Mode:"), 8).unwrap(),
        generation: after("Generation:").parse().unwrap(),
        kind: kind.split("   Attr:").next().unwrap().to_string(),
        uid: after("User:").parse().unwrap(),
        gid: after("Group:").parse().unwrap(),
        size: {
            let line = text.lines().find(|l| l.trim_start().starts_with("User:")).unwrap();
            line.rsplit("Size: ").next().unwrap().trim().parse().unwrap()
        },
        links: after("Links:").parse().unwrap(),
        clusters: after("Clusters:").parse().unwrap(),
        times: [time("ctime:"), time("atime:"), time("mtime:")],
        dyn_features: hex(after("Features:").trim_matches(|c| c == '(' || c == ')')) as u16,
        refcount: after("Refcount Block:").parse().unwrap(),
        suballoc: (
            match after("Sub Alloc Slot:") {
                "Global" => -1,
                n => n.parse().unwrap(),
            },
            after("Sub Alloc Bit:").parse().unwrap(),
        ),
        xattr: text
            .contains("Extended Attributes Block:")
            .then(|| (after("Extended Attributes Block:").parse().unwrap(), after("Inline Size:").parse().unwrap())),
    }
}

/// The same fields from the facade.
fn ours(m: &Metadata) -> Stat {
    let kind = match m.file_type() {
        FileType::File => "Regular",
        FileType::Dir => "Directory",
        FileType::Symlink => "Symbolic Link",
        other => panic!("{other:?}"),
    };
    let pair = |(s, ns): (i64, u32)| (s as u64, ns);
    let since = |t: std::time::SystemTime| {
        let d = t.duration_since(std::time::UNIX_EPOCH).unwrap();
        (d.as_secs(), d.subsec_nanos())
    };
    // SystemTime carries exactly the stored pair.
    assert_eq!(since(m.changed()), pair(m.ctime()));
    assert_eq!(since(m.accessed()), pair(m.atime()));
    assert_eq!(since(m.modified()), pair(m.mtime()));
    Stat {
        ino: m.ino(),
        perms: m.permissions(),
        generation: m.generation(),
        kind: kind.to_string(),
        uid: m.uid(),
        gid: m.gid(),
        size: m.len(),
        links: m.nlink(),
        clusters: m.clusters(),
        times: [pair(m.ctime()), pair(m.atime()), pair(m.mtime())],
        dyn_features: m.dyn_features(),
        refcount: m.refcount_root().unwrap_or(0),
        suballoc: (m.suballoc_slot().map_or(-1, i64::from), m.suballoc_bit()),
        xattr: (m.dyn_features() & ocfs2_format::layout::dinode::dyn_features::HAS_XATTR != 0)
            .then(|| (m.xattr_block().unwrap_or(0), m.xattr_inline().unwrap_or(0))),
    }
}

#[test]
fn metadata_matches_debugfs_stat() {
    require_tool("debugfs.ocfs2");
    let cases: &[(&str, &[&str])] = &[
        (
            "A-default",
            &[
                "/",
                "/small/hello.txt",
                "/small/pat5000",
                "/small/empty",
                "/data/pat1m",
                "/data/pat20m.reflink",
                "/data/prealloc",
                "/sparse/holey",
                "/links/sym-hello",
                "/links/sym-long",
                "/xattr/file",
                "/xattr/dir",
                "/bigdir",
                "/d1/d2/d3",
            ],
        ),
        ("X-max", &["/extra/many", "/extra/acl/file", "/extra/acl", "/extra/q/u1000", "/extra/q/g101"]),
    ];
    for (name, paths) in cases {
        let image = fixture(name);
        let vol = Volume::open(&image).unwrap();
        let texts = debugfs_batch(&image, &paths.iter().map(|p| format!("stat {p}")).collect::<Vec<_>>());
        for (path, text) in paths.iter().zip(texts) {
            let want = parse(&text);
            let m = vol.symlink_metadata(path).unwrap();
            assert_eq!(ours(&m), want, "{name}:{path}");
        }
    }
}

#[test]
fn xattrs_match_the_inspector() {
    let cases = [
        ("A-default", "/xattr/file"),
        ("A-default", "/xattr/dir"),
        ("A-default", "/small/hello.txt"),
        ("X-max", "/extra/many"),
        ("X-max", "/extra/acl/file"),
        ("X-max", "/extra/acl"),
    ];
    let mut acls = 0;
    for (name, path) in cases {
        let image = fixture(name);
        let vol = Volume::open(&image).unwrap();
        let json = inspect_json(&["xattr", image.to_str().unwrap(), path]);
        let attrs = json["attrs"].as_array().unwrap();
        let ours = vol.xattrs(path).unwrap();
        assert_eq!(ours.len(), attrs.len(), "{name}:{path}");
        for (x, a) in ours.iter().zip(attrs) {
            assert_eq!(x.name(), a["name"].as_str().unwrap().as_bytes(), "{name}:{path}");
            let raw: String = x.raw_value().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(raw, a["value_hex"].as_str().unwrap(), "{name}:{path}");
            if let Some(text) = a["acl"].as_array() {
                acls += 1;
                let want: Vec<&str> = text.iter().map(|t| t.as_str().unwrap()).collect();
                assert_eq!(x.acl().unwrap().to_string(), want.join(","));
                // The Linux format: le32 version 2, then the stored 8-byte entries
                // with the ids of USER_OBJ, GROUP_OBJ, MASK and OTHER undefined.
                let v = x.value();
                assert_eq!(&v[..4], &2u32.to_le_bytes());
                assert_eq!(v.len(), 4 + x.raw_value().len());
                for (e, s) in v[4..].chunks(8).zip(x.raw_value().chunks(8)) {
                    assert_eq!(&e[..4], &s[..4]);
                    let tag = u16::from_le_bytes([e[0], e[1]]);
                    let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
                    if tag == 0x02 || tag == 0x08 {
                        assert_eq!(&e[4..], &s[4..]);
                    } else {
                        assert_eq!(id, u32::MAX);
                    }
                }
            } else {
                assert_eq!(x.value(), x.raw_value());
            }
            assert_eq!(vol.getxattr(path, x.name()).unwrap().as_deref(), Some(x.value()));
        }
    }
    assert_eq!(acls, 2);
}
