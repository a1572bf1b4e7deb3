//! Directory iteration: inline directories and block directories (with or without
//! trailers). Indexed directories are read through their entry blocks here.

use crate::error::{Error, Result};
use crate::layout::dinode::{dyn_features, Id2};
use crate::layout::dir::{DirEntries, TRAILER_SIZE};
use crate::volume::{Inode, MetaKind, Volume};

use super::extent_map::{ExtentMap, Mapping};

/// One live directory entry, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntryInfo {
    /// Inode (block number) of the entry.
    pub inode: u64,
    /// Directory file type (see [`crate::layout::dir::file_type`]).
    pub file_type: u8,
    /// The name as stored.
    pub name: Vec<u8>,
}

/// Lists the live entries of directory `dir` in on-disk order.
pub fn read_dir(vol: &Volume, dir: &Inode<'_>) -> Result<Vec<DirEntryInfo>> {
    let h = dir.header();
    if !h.is_dir() {
        return Err(Error::Invalid(format!("inode {} is not a directory", dir.blkno())));
    }
    let mut out = Vec::new();
    let mut push = |area: &[u8], blkno: u64| -> Result<()> {
        for e in DirEntries::new(area, blkno) {
            let e = e?;
            if e.inode != 0 {
                out.push(DirEntryInfo { inode: e.inode, file_type: e.file_type, name: e.name.to_vec() });
            }
        }
        Ok(())
    };
    if let Id2::Inline(_, data) = dir.dinode().id2()? {
        // The inline area is sized by id_count; entries never run past i_size.
        let size = usize::try_from(h.i_size.get()).unwrap_or(usize::MAX).min(data.len());
        push(&data[..size], dir.blkno())?;
        return Ok(out);
    }
    let map = ExtentMap::load(vol, dir)?;
    let bs = vol.block_size() as u64;
    let blocks = h.i_size.get() / bs;
    let allocated = vol.geometry().cluster_to_block(u64::from(h.i_clusters.get()));
    if blocks > allocated {
        return Err(Error::corrupt(
            dir.blkno(),
            "ocfs2_dinode",
            "i_size",
            format!("<= {} bytes allocated", allocated * bs),
            h.i_size.get(),
        ));
    }
    let trailer = vol.has_meta_ecc() || h.has_dyn(dyn_features::INDEXED_DIR);
    for lblk in 0..blocks {
        let Mapping::Block { blkno, .. } = map.map(vol, lblk) else {
            continue;
        };
        let block = if trailer { vol.read_meta(blkno, MetaKind::DIR_BLOCK)? } else { vol.read_block(blkno)? };
        let end = if trailer { block.len() - TRAILER_SIZE } else { block.len() };
        push(&block[..end], blkno)?;
    }
    Ok(out)
}
