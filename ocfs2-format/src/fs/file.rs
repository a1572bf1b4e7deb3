//! Streaming reads of file contents: inline data, extents, holes and unwritten
//! extents (both read as zeros), and symlink targets.

use std::io::{self, Read};

use crate::error::{Error, Result};
use crate::layout::dinode::Id2;
use crate::volume::{Inode, Volume};

use super::extent_map::{ExtentMap, Mapping};

/// Largest read issued to the medium at once.
const CHUNK: u64 = 1 << 20;

/// Reads a file's bytes `0..i_size` in order, one contiguous run at a time.
#[derive(Debug)]
pub struct FileReader<'v> {
    vol: &'v Volume,
    inline: Option<Vec<u8>>,
    map: ExtentMap,
    size: u64,
    pos: u64,
}

impl<'v> FileReader<'v> {
    /// Prepares to read `inode`'s contents.
    pub fn new(vol: &'v Volume, inode: &Inode<'_>) -> Result<Self> {
        let size = inode.header().i_size.get();
        let (inline, map) = match inode.dinode().id2()? {
            Id2::Inline(_, data) => {
                let n = usize::try_from(size).unwrap_or(usize::MAX);
                if n > data.len() {
                    return Err(Error::corrupt(
                        inode.blkno(),
                        "ocfs2_dinode",
                        "i_size",
                        format!("<= id_count {}", data.len()),
                        size,
                    ));
                }
                (Some(data[..n].to_vec()), ExtentMap::default())
            }
            Id2::FastSymlink(t) => (Some(t.to_vec()), ExtentMap::default()),
            Id2::Extents(_) => (None, ExtentMap::load(vol, inode)?),
            _ => (None, ExtentMap::default()),
        };
        Ok(FileReader { vol, inline, map, size, pos: 0 })
    }

    /// The file size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The extent map (empty for inline files).
    pub fn extent_map(&self) -> &ExtentMap {
        &self.map
    }

    /// Reads up to `buf.len()` bytes at byte `offset`; returns the count (0 at EOF).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - offset);
        if let Some(data) = &self.inline {
            let (o, n) = (offset as usize, want as usize);
            buf[..n].copy_from_slice(&data[o..o + n]);
            return Ok(n);
        }
        let geo = self.vol.geometry();
        let bs = u64::from(geo.block_size);
        let lblk = offset / bs;
        let in_blk = offset % bs;
        // Extend the run while consecutive logical blocks stay physically consecutive.
        let first = self.map.map(self.vol, lblk);
        let mut run = 1u64;
        let max_blocks = (in_blk + want).div_ceil(bs).min(CHUNK / bs);
        while run < max_blocks {
            let next = self.map.map(self.vol, lblk + run);
            let contiguous = match (first, next) {
                (Mapping::Block { blkno: a, flags: fa }, Mapping::Block { blkno: b, flags: fb }) => {
                    b == a + run && fa == fb
                }
                (Mapping::Hole, Mapping::Hole) => true,
                _ => false,
            };
            if !contiguous {
                break;
            }
            run += 1;
        }
        let n = (run * bs - in_blk).min(want) as usize;
        match first {
            Mapping::Block { blkno, flags } if flags & crate::layout::extent::flags::UNWRITTEN == 0 => {
                let data = self.vol.read_blocks(blkno, run)?;
                buf[..n].copy_from_slice(&data[in_blk as usize..in_blk as usize + n]);
            }
            _ => buf[..n].fill(0),
        }
        Ok(n)
    }
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_at(self.pos, buf).map_err(io::Error::other)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The target of a symlink (fast or extent-based).
pub fn read_symlink(vol: &Volume, inode: &Inode<'_>) -> Result<Vec<u8>> {
    if !inode.header().is_symlink() {
        return Err(Error::Invalid(format!("inode {} is not a symlink", inode.blkno())));
    }
    let r = FileReader::new(vol, inode)?;
    let size = r.size();
    // A symlink target is at most one block (PATH_MAX 4096 bytes).
    if size > 4096 {
        return Err(Error::corrupt(inode.blkno(), "ocfs2_dinode", "i_size", "<= 4096 for a symlink", size));
    }
    let mut buf = vec![0u8; size as usize];
    let mut got = 0;
    while got < buf.len() {
        let n = r.read_at(got as u64, &mut buf[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if let Some(nul) = buf.iter().position(|&b| b == 0) {
        buf.truncate(nul);
    }
    Ok(buf)
}
