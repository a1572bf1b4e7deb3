//! `findpath`: the paths naming an inode.

use ocfs2_format::fs::find_paths;
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::Out;

#[derive(Debug, Serialize)]
struct Found {
    inode: u64,
    paths: Vec<String>,
}

pub fn run(vol: &Volume, out: &Out, inode: &str) -> Result<(), CmdError> {
    let n = inode.trim_start_matches('<').trim_end_matches('>');
    let ino: u64 = n.parse().map_err(|_| CmdError::msg(format!("{inode}: not an inode number")))?;
    let paths = find_paths(vol, ino)?;
    if paths.is_empty() {
        return Err(CmdError::msg(format!("inode {ino}: no path names it")));
    }
    out.emit(&Found { inode: ino, paths }, |f| f.paths.iter().map(|p| format!("{}\t{p}\n", f.inode)).collect())
}
