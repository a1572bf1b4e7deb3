//! Metadata images in ocfs2-tools' o2image formats: which blocks o2image
//! copies, and writing them as a packed or a raw image.
//!
//! The blocks are chosen as `o2image` 1.8.7 chooses them, so that `o2image -I`
//! restores the same metadata from our image as from its own:
//! - blocks 0 to `s_first_cluster_group` and the backup superblocks;
//! - from `global_inode_alloc`, every allocated inode of the inode allocators,
//!   and for each inode: a chain allocator's group descriptors (and, except
//!   for the global bitmap, every block of its groups, used or free); an
//!   indexed xattr block's bucket tree (the xattr block itself lies in an
//!   extent allocator group, copied whole); otherwise, for directories, system
//!   files and inodes with xattrs, the dx tree and every block the extent tree
//!   maps (so journals, quota files and directory blocks are copied). A regular
//!   file without xattrs contributes its inode only.
//! - never: local alloc windows, truncate logs, regular file data.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use crate::alloc::{bit_to_block, chain_list, group_block_runs, walk_chain};
use crate::error::{Error, Result};
use crate::io::o2image::{encode_header, ImageBitmap};
use crate::layout::dinode::{dyn_features, flags, Id2};
use crate::layout::dx::{DxRootBody, DxRootView};
use crate::layout::extent::{ExtentBlockView, ExtentListView};
use crate::layout::superblock::compat;
use crate::layout::system_file::SystemFile;
use crate::layout::xattr::{XattrBlockBody, XattrBlockView};
use crate::volume::{MetaKind, Volume};

/// What an allocator's groups contribute (o2image's three dump types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Groups {
    /// The descriptors only (the global bitmap, or a non-system allocator).
    Descriptors,
    /// Every block of every group (extent allocators and other system allocators).
    AllBlocks,
    /// Every block, and each allocated one is an inode to visit (inode allocators).
    Inodes,
}

/// The filesystem blocks an o2image of `vol` holds.
///
/// A source shorter than the volume its superblock describes is refused with
/// [`Error::Truncated`] before anything is allocated: the bitmap has a bit per
/// block of the volume, so a lying cluster count would otherwise cost up to
/// 2^43 bits, and the blocks past the end could not be copied anyway.
pub fn metadata_blocks(vol: &Volume) -> Result<ImageBitmap> {
    let geo = vol.geometry();
    if vol.missing_bytes().is_some() {
        let size = vol.source_size();
        return Err(Error::Truncated { blkno: size / u64::from(geo.block_size), size });
    }
    let sb = vol.superblock();
    let mut held = ImageBitmap::new(geo.blocks);
    if sb.s_feature_compat.get() & compat::BACKUP_SB != 0 {
        for b in vol.backup_blknos() {
            held.set(b);
        }
    }
    held.set_range(0, sb.s_first_cluster_group.get() + 1);
    let global_bitmap = vol.system_file(SystemFile::GLOBAL_BITMAP)?;
    let global_inode_alloc = vol.system_file(SystemFile::GLOBAL_INODE_ALLOC)?;
    let mut inode_allocs = HashSet::new();
    for s in 0..sb.s_max_slots.get() {
        inode_allocs.insert(vol.system_file(SystemFile::inode_alloc(s))?);
    }
    let mut walk = Walk { vol, held, global_bitmap, global_inode_alloc, inode_allocs, seen: HashSet::new() };
    let mut todo = vec![global_inode_alloc];
    while let Some(ino) = todo.pop() {
        walk.inode(ino, &mut todo)?;
    }
    Ok(walk.held)
}

struct Walk<'v> {
    vol: &'v Volume,
    held: ImageBitmap,
    global_bitmap: u64,
    global_inode_alloc: u64,
    inode_allocs: HashSet<u64>,
    /// Inodes visited: an inode allocator is itself an inode of a group it walks.
    seen: HashSet<u64>,
}

impl Walk<'_> {
    /// Marks inode `blkno` and what it owns; inodes found in its groups go to `todo`.
    fn inode(&mut self, blkno: u64, todo: &mut Vec<u64>) -> Result<()> {
        if !self.seen.insert(blkno) {
            return Ok(());
        }
        self.held.set(blkno);
        let ino = self.vol.inode(blkno)?;
        let h = *ino.header();
        let system = h.has_flag(flags::SYSTEM);
        let xattr = h.has_dyn(dyn_features::HAS_XATTR);
        if !h.is_dir() && !system && !xattr {
            return Ok(());
        }
        if h.has_flag(flags::LOCAL_ALLOC) || h.has_flag(flags::DEALLOC) {
            return Ok(());
        }
        if h.has_flag(flags::CHAIN) {
            let groups = if blkno == self.global_inode_alloc || self.inode_allocs.contains(&blkno) {
                Groups::Inodes
            } else if system && blkno != self.global_bitmap {
                Groups::AllBlocks
            } else {
                Groups::Descriptors
            };
            let chains = chain_list(&ino)?.recs.len();
            for c in 0..chains {
                walk_chain(self.vol, &ino, c, |gd, g| {
                    self.held.set(gd);
                    if groups == Groups::Descriptors {
                        return Ok(());
                    }
                    let runs = group_block_runs(self.vol.geometry(), gd, g)?;
                    // Bit 0 is the descriptor itself.
                    for bit in 1..u64::from(g.desc.bg_bits.get()) {
                        let Some(b) = bit_to_block(&runs, bit) else { break };
                        if groups == Groups::Inodes && g.bit(bit as usize) {
                            todo.push(b);
                        } else {
                            self.held.set(b);
                        }
                    }
                    Ok(())
                })?;
            }
            return Ok(());
        }
        let xattr_loc = h.i_xattr_loc.get();
        if xattr && xattr_loc != 0 {
            // Only the bucket tree: o2image copies nothing else of such an
            // inode, not even a directory's blocks.
            let xb = self.vol.check_ref(blkno, "ocfs2_dinode", "i_xattr_loc", xattr_loc)?;
            let block = self.vol.read_meta(xb, MetaKind::XATTR_BLOCK)?;
            if let XattrBlockBody::Tree { list, .. } = XattrBlockView::parse(&block, xb)?.body {
                self.extents(&list, xb)?;
            }
            return Ok(());
        }
        if h.is_dir() && h.has_dyn(dyn_features::INDEXED_DIR) {
            let dx = self.vol.check_ref(blkno, "ocfs2_dinode", "i_dx_root", h.i_dx_root.get())?;
            self.held.set(dx);
            let block = self.vol.read_meta(dx, MetaKind::DX_ROOT)?;
            if let DxRootBody::Tree(list) = DxRootView::parse(&block, dx)?.body {
                self.extents(&list, dx)?;
            }
        }
        // Inline data and fast symlinks have no extent list to follow.
        if let Id2::Extents(list) = ino.dinode().id2()? {
            self.extents(&list, blkno)?;
        }
        Ok(())
    }

    /// Marks every extent block of the tree under `list` (held in block `from`)
    /// and every block its leaves map.
    fn extents(&mut self, list: &ExtentListView<'_>, from: u64) -> Result<()> {
        let bpc = self.vol.geometry().blocks_per_cluster();
        let depth = list.depth();
        for r in list.recs {
            let b = r.e_blkno.get();
            if depth == 0 {
                self.held.set_range(b, u64::from(r.leaf_clusters()) * bpc);
                continue;
            }
            let eb = self.vol.check_ref(from, "ocfs2_extent_rec", "e_blkno", b)?;
            self.held.set(eb);
            let block = self.vol.read_meta(eb, MetaKind::EXTENT_BLOCK)?;
            let child = ExtentBlockView::parse(&block, eb)?.list;
            // Each level is one lower than its parent, which bounds the walk.
            if child.depth() + 1 != depth {
                return Err(Error::corrupt(eb, "ocfs2_extent_block", "h_list.l_tree_depth", depth - 1, child.depth()));
            }
            self.extents(&child, eb)?;
        }
        Ok(())
    }
}

/// The two o2image file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Header, the held blocks packed in order, bitmap (o2image's default).
    Packed,
    /// The held blocks at their own offsets of a sparse file (`o2image -r`).
    Raw,
}

/// Writes an o2image of `vol` to `out` (a new, empty file) and returns which
/// blocks it holds. `timestamp` goes into a packed image's header. Only reads
/// `vol`.
pub fn write_image(vol: &Volume, format: ImageFormat, out: &File, timestamp: u32) -> Result<ImageBitmap> {
    let held = metadata_blocks(vol)?;
    let bs = u64::from(vol.geometry().block_size);
    let io = |offset: u64| move |source| Error::Io { offset, source };
    match format {
        ImageFormat::Packed => {
            let mut w = BufWriter::with_capacity(1 << 20, out);
            w.write_all(&encode_header(bs, &held, &vol.backup_blknos(), timestamp)).map_err(io(0))?;
            let mut at = bs;
            for b in held.iter() {
                w.write_all(&vol.read_block(b)?).map_err(io(at))?;
                at += bs;
            }
            w.write_all(&held.to_bytes()).map_err(io(at))?;
            w.flush().map_err(io(at))?;
        }
        ImageFormat::Raw => {
            let mut end = 0;
            for b in held.iter() {
                let at = b * bs;
                out.write_all_at(&vol.read_block(b)?, at).map_err(io(at))?;
                end = at + bs;
            }
            // Like o2image, the file ends at the last block it holds.
            out.set_len(end).map_err(io(end))?;
        }
    }
    Ok(held)
}
