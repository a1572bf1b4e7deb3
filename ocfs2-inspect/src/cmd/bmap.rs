//! `bmap`: logical block of a file to physical block.

use ocfs2_format::fs::{ExtentMap, Mapping};
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

#[derive(Debug, Serialize)]
struct Bmap {
    inode: u64,
    logical: u64,
    /// 0 for a hole or an inline file, as debugfs prints it.
    physical: u64,
    hole: bool,
    unwritten: bool,
}

pub fn run(vol: &Volume, out: &Out, spec: &str, lblk: u64) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let inode = vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let map = ExtentMap::load(vol, &inode)?;
    let r = match map.map(vol, lblk) {
        Mapping::Block { blkno: p, flags } => Bmap {
            inode: blkno,
            logical: lblk,
            physical: p,
            hole: false,
            unwritten: flags & ocfs2_format::layout::extent::flags::UNWRITTEN != 0,
        },
        Mapping::Hole => Bmap { inode: blkno, logical: lblk, physical: 0, hole: true, unwritten: false },
    };
    out.emit(&r, |r| format!("{}\n", r.physical))
}
