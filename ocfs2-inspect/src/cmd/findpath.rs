//! `findpath`: the paths naming an inode.
//!
//! Lists every path, one per line, in debugfs.ocfs2 `ncheck` order; the first line
//! is what debugfs.ocfs2 `findpath` prints. Directory paths end in `/`, as there.

use ocfs2_format::fs::find_paths;
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::Out;

#[derive(Debug, Serialize)]
struct Found {
    /// The inode asked about.
    inode: u64,
    /// Every path naming the inode; the first is debugfs.ocfs2 `findpath`'s.
    paths: Vec<String>,
}

/// Parses `N`, `0xN` or `<N>` (debugfs.ocfs2 accepts all three).
fn parse_inode(s: &str) -> Option<u64> {
    let n = s.trim();
    let n = n.strip_prefix('<').and_then(|n| n.strip_suffix('>')).unwrap_or(n).trim();
    match n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => n.parse().ok(),
    }
}

pub fn run(vol: &Volume, out: &Out, inode: &str) -> Result<(), CmdError> {
    let ino = match parse_inode(inode) {
        Some(n) => n,
        // `<lockname>`: the inode a cluster lock names.
        None if inode.trim().starts_with('<') => super::resolve(vol, inode.trim())?,
        None => return Err(CmdError::msg(format!("{inode}: not an inode number"))),
    };
    let blocks = vol.geometry().blocks;
    if ino >= blocks {
        return Err(CmdError::msg(format!("inode {ino}: past the end of the volume ({blocks} blocks)")));
    }
    let paths = find_paths(vol, ino)?;
    if paths.is_empty() {
        return Err(CmdError::msg(format!("inode {ino}: no path names it")));
    }
    out.emit(&Found { inode: ino, paths }, |f| f.paths.iter().map(|p| format!("{}\t{p}\n", f.inode)).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn inode_numbers() {
        use super::parse_inode as p;
        assert_eq!(p("10790"), Some(10790));
        assert_eq!(p("<10790>"), Some(10790));
        assert_eq!(p("0x2a"), Some(42));
        assert_eq!(p("<0x2A>"), Some(42));
        assert_eq!(p("x"), None);
        assert_eq!(p("<12"), None);
    }
}
