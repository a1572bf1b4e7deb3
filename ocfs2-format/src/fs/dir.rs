//! Directory iteration: inline directories and block directories (with or without
//! trailers). Indexed directories are read linearly through their entry blocks
//! (the dx tree only indexes them), in on-disk order, as debugfs.ocfs2 lists them.

use std::borrow::Cow;

use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::{dyn_features, Id2};
use crate::layout::dir::{self as layout_dir, DirEntries, DirTrailer, TRAILER_SIZE};
use crate::layout::extent::flags as extent_flags;
use crate::layout::superblock::incompat;
use crate::volume::{Inode, MetaFaults, MetaKind, Volume};

use super::extent_map::ExtentMap;

/// One live directory entry, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntryInfo {
    /// Inode (block number) of the entry.
    pub inode: u64,
    /// Directory file type (see [`crate::layout::dir::file_type`]).
    pub file_type: u8,
    /// The name as stored.
    pub name: Vec<u8>,
    /// The block holding the entry (the inode's own for an inline directory).
    pub block: u64,
}

/// Lists the live entries of directory `dir` in on-disk order.
pub fn read_dir(vol: &Volume, dir: &Inode<'_>) -> Result<Vec<DirEntryInfo>> {
    Ok(read_dir_blocks(vol, dir, true)?.0)
}

/// Like [`read_dir`], but a damaged directory block (or extent subtree) does not end the
/// listing: the entries of every block that reads come back with the error of each one that
/// does not, so that a reader can still show the rest (a FUSE mount). A directory inode or
/// inline area that fails is still an error as a whole.
pub fn read_dir_partial(vol: &Volume, dir: &Inode<'_>) -> Result<(Vec<DirEntryInfo>, Vec<Error>)> {
    read_dir_blocks(vol, dir, false)
}

/// [`read_dir`] (`strict`: the first error ends it) and [`read_dir_partial`].
fn read_dir_blocks(vol: &Volume, dir: &Inode<'_>, strict: bool) -> Result<(Vec<DirEntryInfo>, Vec<Error>)> {
    // At most one error per block or subtree: bounded by the directory's tree.
    let mut errors = Vec::new();
    let stream = if strict {
        DirStream::new(vol, dir)?
    } else {
        DirStream::open(vol, dir, |vol, dir| {
            let (map, errs) = ExtentMap::load_partial(vol, dir)?;
            errors.extend(errs);
            Ok(map)
        })?
    };
    let mut out = Vec::new();
    for block in stream {
        match block {
            Ok(entries) => out.extend(entries),
            Err(e) if strict => return Err(e),
            Err(e) => errors.push(e),
        }
    }
    Ok((out, errors))
}

/// The live entries of a directory one block at a time, in on-disk order: the
/// memory held is one block's entries (and the extent map), whatever the
/// directory's size. Each item is one block's entries, or why that block could
/// not be read; the blocks after a bad one still come.
pub struct DirStream<'v> {
    vol: &'v Volume,
    /// An inline directory's entries, taken by the first call.
    inline: Option<Result<Vec<DirEntryInfo>>>,
    /// The mapped blocks still to read.
    blocks: Box<dyn Iterator<Item = (u64, u64, u8)> + Send + Sync>,
    /// Every block ends in a trailer (checked as metadata).
    required: bool,
    /// A block may end in a trailer (told by its signature).
    optional: bool,
    /// List blocks whose checksum, self block number or generation fails.
    unchecked: bool,
    /// The blocks listed despite a failed check, and what failed.
    damaged: Vec<(u64, MetaFaults)>,
}

impl std::fmt::Debug for DirStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirStream").field("required", &self.required).field("optional", &self.optional).finish()
    }
}

impl<'v> DirStream<'v> {
    /// Starts reading directory `dir` (its extent tree is walked now, with
    /// its cycle and order checks; the entry blocks as the stream is read).
    pub fn new(vol: &'v Volume, dir: &Inode<'_>) -> Result<Self> {
        Self::open(vol, dir, ExtentMap::load)
    }

    /// [`DirStream::new`] with the extent map made by `load`.
    fn open(
        vol: &'v Volume,
        dir: &Inode<'_>,
        load: impl FnOnce(&Volume, &Inode<'_>) -> Result<ExtentMap>,
    ) -> Result<Self> {
        let h = dir.header();
        if !h.is_dir() {
            return Err(Error::invalid(InvalidKind::WrongType, format!("inode {} is not a directory", dir.blkno())));
        }
        if let Id2::Inline(_, data) = dir.dinode().id2()? {
            // The inline area is sized by id_count; entries never run past i_size.
            let size = usize::try_from(h.i_size.get()).unwrap_or(usize::MAX).min(data.len());
            return Ok(DirStream {
                vol,
                inline: Some(live_entries(&data[..size], dir.blkno())),
                blocks: Box::new(std::iter::empty()),
                required: false,
                optional: false,
                unchecked: false,
                damaged: Vec::new(),
            });
        }
        let map = load(vol, dir)?;
        // mkfs.ocfs2 sizes lost+found to the usable bytes of its block (960 with
        // 1 KiB blocks and trailers): count a partial block as a block.
        // A size past the mapped blocks reads what is mapped (`check` reports the
        // size): the tree, not i_size, bounds the work.
        let blocks = h.i_size.get().div_ceil(vol.block_size() as u64);
        // Every block ends in a trailer when the volume has META_ECC or the directory
        // is indexed (the kernel's per-directory test). On a volume with INDEXED_DIRS,
        // new directories get trailers from creation whether or not they are indexed
        // (libocfs2 assumes trailers there): accept both shapes, by the signature.
        let required = vol.has_meta_ecc() || h.has_dyn(dyn_features::INDEXED_DIR);
        let optional = !required && vol.superblock().s_feature_incompat.get() & incompat::INDEXED_DIRS != 0;
        Ok(DirStream {
            vol,
            inline: None,
            blocks: Box::new(map.into_blocks(vol, blocks)),
            required,
            optional,
            unchecked: false,
            damaged: Vec::new(),
        })
    }

    /// Whether to list a block whose checksum, self block number or fs
    /// generation fails (its faults are kept: [`DirStream::damaged`]), as
    /// debugfs.ocfs2 `ls` lists it. A block without the directory-block
    /// signature still fails. Off by default: walks act on trustworthy blocks.
    pub fn unchecked(mut self, yes: bool) -> Self {
        self.unchecked = yes;
        self
    }

    /// The blocks listed so far despite a failed check (only with
    /// [`DirStream::unchecked`]), each with what failed.
    pub fn damaged(&self) -> &[(u64, MetaFaults)] {
        &self.damaged
    }

    /// Reads directory block `blkno` as metadata, keeping its faults when unchecked.
    fn read_meta_block(&mut self, blkno: u64) -> Result<Cow<'v, [u8]>> {
        if !self.unchecked {
            return self.vol.read_meta(blkno, MetaKind::DIR_BLOCK);
        }
        let checked = self.vol.read_meta_unchecked(blkno, MetaKind::DIR_BLOCK)?;
        if !checked.faults.is_clean() {
            self.damaged.push((blkno, checked.faults));
        }
        Ok(checked.block)
    }

    /// The live entries of block `blkno`.
    fn read_block(&mut self, blkno: u64) -> Result<Vec<DirEntryInfo>> {
        let (block, trailer) = if self.required {
            (self.read_meta_block(blkno)?, true)
        } else {
            let raw = self.vol.read_block(blkno)?;
            if self.optional && layout_dir::trailer(&raw).is_some() {
                (self.read_meta_block(blkno)?, true)
            } else {
                (raw, false)
            }
        };
        let end = if trailer { block.len() - TRAILER_SIZE } else { block.len() };
        live_entries(&block[..end], blkno)
    }
}

impl Iterator for DirStream<'_> {
    type Item = Result<Vec<DirEntryInfo>>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(inline) = self.inline.take() {
            return Some(inline);
        }
        // Holes are skipped: a hole in a directory holds no entries.
        let (_, blkno, _) = self.blocks.find(|&(_, _, flags)| flags & extent_flags::UNWRITTEN == 0)?;
        Some(self.read_block(blkno))
    }
}

/// The live entries (inode not 0) of the records in `area`, from block `blkno`.
fn live_entries(area: &[u8], blkno: u64) -> Result<Vec<DirEntryInfo>> {
    let mut out = Vec::new();
    for e in DirEntries::new(area, blkno) {
        let e = e?;
        if e.inode != 0 {
            out.push(DirEntryInfo { inode: e.inode, file_type: e.file_type, name: e.name.to_vec(), block: blkno });
        }
    }
    Ok(out)
}

/// One block of a directory as stored, for a reader that shows the blocks
/// themselves (debugfs.ocfs2 `dirblocks`) rather than the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirBlock {
    /// The block.
    pub blkno: u64,
    /// Its trailer, when the block ends in one (the block was then read as
    /// metadata: its signature checked, the other checks in `faults`).
    pub trailer: Option<DirTrailer>,
    /// The checks a block with a trailer failed (checksum, self block number):
    /// shown, as debugfs.ocfs2 `dirblocks` shows such blocks.
    pub faults: MetaFaults,
    /// Every record on the `rec_len` chain, empty ones (inode 0) included; a
    /// record that fails its bounds ends the chain, as in debugfs.ocfs2.
    pub records: Vec<DirRecord>,
}

/// One record of a directory block, live or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirRecord {
    /// Byte offset in the block.
    pub offset: usize,
    /// Inode it names (0: an empty record).
    pub inode: u64,
    /// `rec_len`.
    pub rec_len: u16,
    /// Directory file type (see [`crate::layout::dir::file_type`]).
    pub file_type: u8,
    /// The name as stored (`name_len` bytes).
    pub name: Vec<u8>,
}

/// The blocks of directory `dir` under its `i_size` in logical order (holes
/// skipped), each with its trailer and every record, as debugfs.ocfs2
/// `dirblocks` shows them. Empty for an inline directory.
pub fn dir_blocks(vol: &Volume, dir: &Inode<'_>) -> Result<Vec<DirBlock>> {
    if !dir.header().is_dir() {
        return Err(Error::invalid(InvalidKind::WrongType, format!("inode {} is not a directory", dir.blkno())));
    }
    let map = ExtentMap::load(vol, dir)?;
    // As debugfs: the blocks under i_size; the rest of the last cluster is unused.
    let size_blocks = dir.header().i_size.get().div_ceil(vol.block_size() as u64);
    let mut blocks = Vec::new();
    for (_, blkno, _) in map.blocks(vol, size_blocks) {
        let raw = vol.read_block(blkno)?;
        // A block with a trailer is checked like any metadata block, and shown
        // whatever the checks say.
        let (block, faults) = if layout_dir::trailer(&raw).is_some() {
            let c = vol.read_meta_unchecked(blkno, MetaKind::DIR_BLOCK)?;
            (c.block, c.faults)
        } else {
            (raw, MetaFaults::default())
        };
        let trailer = layout_dir::trailer(&block).copied();
        let end = if trailer.is_some() { block.len() - TRAILER_SIZE } else { block.len() };
        let records = DirEntries::new(&block[..end], blkno)
            .map_while(|r| r.ok())
            .map(|r| DirRecord {
                offset: r.offset,
                inode: r.inode,
                rec_len: r.rec_len,
                file_type: r.file_type,
                name: r.name.to_vec(),
            })
            .collect();
        blocks.push(DirBlock { blkno, trailer, faults, records });
    }
    Ok(blocks)
}

/// Hints the inodes that `entries` name (see [`Volume::prefetch_blocks`]), for
/// a caller about to read them all (`ls -l`, `rdump`): on a cold cache the
/// reads of a directory's inodes then overlap instead of waiting one by one.
pub fn prefetch_entry_inodes(vol: &Volume, entries: &[DirEntryInfo]) {
    prefetch_inodes(vol, entries.iter().map(|e| e.inode));
}

/// Hints the inodes `inos`, in block order and once each.
pub(crate) fn prefetch_inodes(vol: &Volume, inos: impl Iterator<Item = u64>) {
    let mut blocks: Vec<u64> = inos.collect();
    blocks.sort_unstable();
    blocks.dedup();
    vol.prefetch_blocks(blocks);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::process::Command;

    use super::*;
    use crate::io::{BlockSource, MemSource};
    use crate::OpenOptions;

    /// With 1 KiB blocks and 8 slots, mkfs.ocfs2 makes the system directory a
    /// block directory that is not indexed (dyn features 0) yet, the volume having
    /// INDEXED_DIRS, ends every block in a trailer. Both are read, and the
    /// trailer is validated.
    #[test]
    fn trailers_of_a_non_indexed_directory() {
        let tool = crate::test_util::require_tool("mkfs.ocfs2");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1k.img");
        std::fs::File::create(&path).unwrap().set_len(96 << 20).unwrap();
        let out = Command::new(tool)
            .args(["-q", "-F", "-x", "-b", "1024", "-C", "4096", "-N", "8", "-J", "size=4M", "-M", "local"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "mkfs.ocfs2: {}", String::from_utf8_lossy(&out.stderr));
        let src = MemSource::from_vec(std::fs::read(&path).unwrap());
        let vol = Volume::from_source(Box::new(src.clone()), OpenOptions::default()).unwrap();
        let sysdir = vol.inode(vol.system_dir_blkno()).unwrap();
        assert!(!sysdir.header().has_dyn(dyn_features::INDEXED_DIR | dyn_features::INLINE_DATA));
        let names: Vec<String> =
            read_dir(&vol, &sysdir).unwrap().iter().map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect();
        for want in [".", "..", "global_bitmap", "journal:0000", "journal:0007", "orphan_dir:0007"] {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
        // The first block's trailer names its own block; make it lie.
        let first = ExtentMap::load(&vol, &sysdir).unwrap().extents()[0].blkno;
        let bs = vol.block_size() as u64;
        let mut bad = src;
        let at = first * bs + bs - TRAILER_SIZE as u64 + 40; // db_blkno
        assert_eq!(&*bad.bytes(at, 8).unwrap(), &first.to_le_bytes());
        bad.write_at(at, &(first + 1).to_le_bytes()).unwrap();
        let vol = Volume::from_source(Box::new(bad), OpenOptions::default()).unwrap();
        let e = read_dir(&vol, &vol.inode(vol.system_dir_blkno()).unwrap()).unwrap_err();
        let c = e.corruption().unwrap();
        assert_eq!((c.blkno, c.structure, c.field), (first, "ocfs2_dir_block_trailer", "blkno"));
    }

    /// On the kernel-written fixtures: the live records `dir_blocks` shows are
    /// what `read_dir` lists, block by block, and each block's trailer names the
    /// block (indexed directories, and the system directory of a volume with
    /// META_ECC). An inline directory has no blocks.
    #[test]
    fn dir_blocks_hold_what_read_dir_lists() {
        for (fx, path) in [("X-max", "/bigdir"), ("A-default", "/bigdir"), ("E-extents", "//")] {
            let v = crate::test_util::fixture(fx);
            let dir = v.inode(crate::fs::lookup(v, path).unwrap()).unwrap();
            let blocks = dir_blocks(v, &dir).unwrap();
            assert!(!blocks.is_empty(), "{fx}");
            let live: Vec<(u64, u64, Vec<u8>)> = blocks
                .iter()
                .flat_map(|b| b.records.iter().filter(|r| r.inode != 0).map(|r| (b.blkno, r.inode, r.name.clone())))
                .collect();
            let listed: Vec<(u64, u64, Vec<u8>)> =
                read_dir(v, &dir).unwrap().into_iter().map(|e| (e.block, e.inode, e.name)).collect();
            assert_eq!(live, listed, "{fx}");
            for b in &blocks {
                assert_eq!(b.trailer.map(|t| t.db_blkno.get()), Some(b.blkno), "{fx}");
            }
        }
        let v = crate::test_util::fixture("A-default");
        let inline = v.inode(crate::fs::lookup(v, "/small").unwrap()).unwrap();
        assert!(inline.header().has_dyn(dyn_features::INLINE_DATA));
        assert_eq!(dir_blocks(v, &inline).unwrap(), Vec::new());
    }
}
