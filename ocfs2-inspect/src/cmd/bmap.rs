//! `bmap`: logical block of a file to physical block.
//!
//! On the extent map, not the facade's `File::runs`: `bmap` answers for any
//! inode, allocators and other system inodes included (no extents there: a
//! hole), which the facade's `File` refuses to open.

use ocfs2_format::fs::{ExtentMap, Mapping};
use ocfs2_format::layout::dinode::Id2;
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

#[derive(Debug, Serialize)]
struct Bmap {
    /// The file's inode.
    inode: u64,
    /// The logical block asked about.
    logical: u64,
    /// 0 for a hole or data held in the inode, as debugfs prints it.
    physical: u64,
    /// No extent covers the block.
    hole: bool,
    /// The extent is allocated but unwritten (reads as zeros).
    unwritten: bool,
    /// The data lives in the inode block (inline data, fast symlink): no block.
    inline: bool,
}

pub fn run(vol: &Volume, out: &Out, spec: &str, lblk: u64) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let inode = vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let inline = matches!(inode.dinode().id2()?, Id2::Inline(..) | Id2::FastSymlink(_));
    let map = ExtentMap::load(vol, &inode)?;
    let r = match map.map(vol, lblk) {
        Mapping::Block { blkno: p, flags } => Bmap {
            inode: blkno,
            logical: lblk,
            physical: p,
            hole: false,
            unwritten: flags & ocfs2_format::layout::extent::flags::UNWRITTEN != 0,
            inline: false,
        },
        Mapping::Hole => Bmap { inode: blkno, logical: lblk, physical: 0, hole: !inline, unwritten: false, inline },
    };
    out.emit(&r, |r| format!("{}\n", r.physical))
}
