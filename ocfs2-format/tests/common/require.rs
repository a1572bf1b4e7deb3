//! What a test needs from the host. The developers' guide: a test that needs a
//! missing tool fails naming it and how to install it; it never passes silently.
//! One file, included by every crate's tests (`#[path]`), so there is one rule.

use std::path::PathBuf;

/// The package that installs `tool` (Debian/Ubuntu names, as `.ci/run` installs them).
fn package_of(tool: &str) -> &str {
    match tool {
        "debugfs.ocfs2" | "mkfs.ocfs2" | "fsck.ocfs2" | "tunefs.ocfs2" | "o2image" | "o2info" => "ocfs2-tools",
        "mactime" => "sleuthkit",
        "ewfacquire" | "ewfverify" | "ewfexport" | "ewfinfo" => "ewf-tools",
        "sgdisk" => "gdisk",
        "sfdisk" => "fdisk",
        "mkfs.ext4" => "e2fsprogs",
        "losetup" => "mount",
        "split" => "coreutils",
        "fusermount3" => "fuse3",
        "getfattr" => "attr",
        "getfacl" => "acl",
        other => other,
    }
}

/// The path of `tool`, found on PATH or in the sbin directories a non-root PATH
/// often lacks (where ocfs2-tools install). Panics naming the tool and its
/// package when it is missing.
pub fn require_tool(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    let sbin = ["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from);
    path.into_iter().chain(sbin).map(|dir| dir.join(tool)).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("needs {tool} (apt-get install {}; bash .ci/run installs every tool the tests use)", package_of(tool))
    })
}
