//! `stats`: the superblock.

use ocfs2_format::Volume;

use super::common::superblock::{render, report};
use super::CmdError;
use crate::render::Out;

/// `superblock_only`: debugfs `stats -h`, without the inode part.
pub fn run(vol: &Volume, out: &Out, superblock_only: bool) -> Result<(), CmdError> {
    let mut stats = report(vol)?;
    if superblock_only {
        stats.inode = None;
    }
    out.emit(&stats, render)
}
