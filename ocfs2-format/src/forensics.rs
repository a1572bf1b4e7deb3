//! Forensic walks: every inode slot of the inode allocators, the owner of any
//! block (debugfs `icheck`, extended to the structures debugfs does not know),
//! directory entries still visible after deletion, and deleted inodes.

use std::collections::HashMap;

use crate::alloc::{bitmap_group_first_cluster, group_block_runs, walk_chain, walk_chains};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::{flags, Dinode, Id2, INODE_SIGNATURE};
use crate::layout::dir::{rec_len, DirEntries, DirEntryHeader, ENTRY_HEADER_SIZE, TRAILER_SIZE};
use crate::layout::superblock::SUPERBLOCK_BLKNO;
use crate::layout::system_file::SystemFile;
use crate::layout::{dir as layout_dir, view_at};
use crate::progress::{self, OnProgress, Task};
use crate::volume::{Inode, Volume};

use crate::fs::{read_xattr_layout, refcount_tree_of, DxRoot, ExtentMap};

/// One block of an inode allocator group that holds an inode signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannedInode {
    /// The block (inode number).
    pub blkno: u64,
    /// Whether the allocator's bit for it is set.
    pub allocated: bool,
}

/// Visits every block of every inode allocator group that starts with an inode
/// signature and carries the volume's generation, in the order libocfs2's inode
/// scan meets them: `global_inode_alloc`, then `inode_alloc:0000`, ..., each
/// chain in order, each group along its chain, each bit in order.
pub fn scan_inodes(vol: &Volume, f: impl FnMut(ScannedInode, &[u8]) -> Result<()>) -> Result<()> {
    scan_inodes_with(vol, &mut progress::ignore, f)
}

/// [`scan_inodes`], reporting [`Task::ScanInodes`] progress (allocator bits,
/// after each group) to `on`, which may cancel ([`Error::Cancelled`]).
pub fn scan_inodes_with(
    vol: &Volume,
    on: &mut OnProgress<'_>,
    mut f: impl FnMut(ScannedInode, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut names = vec![SystemFile::GLOBAL_INODE_ALLOC];
    names.extend((0..vol.superblock().s_max_slots.get()).map(SystemFile::inode_alloc));
    let mut allocs = Vec::with_capacity(names.len());
    for &name in &names {
        allocs.push(vol.inode(vol.system_file(name)?)?);
    }
    let total: u64 = allocs.iter().map(|a| u64::from(a.header().bitmap1().i_total.get())).sum();
    let mut done = 0u64;
    for (name, alloc) in names.iter().zip(&allocs) {
        let Id2::Chain(cl) = alloc.dinode().id2()? else {
            return Err(Error::invalid(InvalidKind::WrongType, format!("{name} is not a chain allocator")));
        };
        for chain in 0..cl.recs.len() {
            let mut groups = Vec::new();
            walk_chain(vol, alloc, chain, |blkno, g| {
                let runs = group_block_runs(vol.geometry(), blkno, g)?;
                let bits: Vec<bool> = (0..usize::from(g.desc.bg_bits.get())).map(|b| g.bit(b)).collect();
                groups.push((runs, bits));
                Ok(())
            })?;
            for (runs, bits) in groups {
                progress::report(on, Task::ScanInodes, done, Some(total))?;
                done += bits.len() as u64;
                scan_group(vol, &runs, &bits, &mut f)?;
            }
        }
    }
    Ok(())
}

/// Blocks read at once by the inode scan: 1 MiB at 4 KiB blocks, so a group
/// of any size is read in a few long reads, not a system call (and, cold, a
/// wait on the disk) per inode.
const SCAN_CHUNK_BLOCKS: u64 = 256;

/// Hands `f` each inode of one group, given its block `runs` and its bitmap:
/// the whole group is hinted first (a cold medium reads it in the background
/// while the first chunk is examined), then read in chunks of
/// [`SCAN_CHUNK_BLOCKS`].
fn scan_group(
    vol: &Volume,
    runs: &[(u64, u64)],
    bits: &[bool],
    f: &mut impl FnMut(ScannedInode, &[u8]) -> Result<()>,
) -> Result<()> {
    let bs = vol.block_size();
    let mut left = bits.len() as u64;
    for &(first, count) in runs {
        vol.prefetch_range(first, count.min(left));
        left = left.saturating_sub(count);
    }
    let mut bit = 0usize;
    for &(first, count) in runs {
        let mut at = 0u64;
        while at < count && bit < bits.len() {
            let n = (count - at).min(SCAN_CHUNK_BLOCKS).min((bits.len() - bit) as u64);
            let chunk = vol.read_blocks(first + at, n)?;
            for (i, block) in chunk.chunks_exact(bs).enumerate() {
                let blkno = first + at + i as u64;
                let allocated = bits[bit + i];
                if &block[..8] != INODE_SIGNATURE {
                    continue;
                }
                let d = Dinode::new(block, blkno)?;
                if d.header().i_fs_generation.get() != vol.fs_generation() || d.header().i_blkno.get() != blkno {
                    continue;
                }
                f(ScannedInode { blkno, allocated }, block)?;
            }
            at += n;
            bit += n as usize;
        }
    }
    Ok(())
}

/// What a block is to the inode that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRole {
    /// Blocks 0..=2 (and the rest of the first cluster): the superblock's zone.
    SuperblockZone,
    /// The inode block itself.
    Inode,
    /// File data at logical block `offset`.
    Data {
        /// Logical block of the file.
        offset: u64,
    },
    /// An extent block of the inode's tree.
    ExtentBlock,
    /// A group descriptor of a chain allocator (or the first cluster of a
    /// global-bitmap group).
    GroupDescriptor,
    /// The dx root of an indexed directory.
    DxRoot,
    /// A dx leaf.
    DxLeaf,
    /// The xattr block.
    XattrBlock,
    /// A block of an xattr bucket.
    XattrBucket,
    /// A cluster of an xattr value stored outside.
    XattrValue,
    /// A refcount block of the tree the inode uses.
    RefcountBlock,
}

impl BlockRole {
    /// Whether debugfs.ocfs2 `icheck` (1.8.7) attributes blocks of this role.
    pub fn known_to_debugfs(&self) -> bool {
        matches!(
            self,
            BlockRole::SuperblockZone
                | BlockRole::Inode
                | BlockRole::Data { .. }
                | BlockRole::ExtentBlock
                | BlockRole::GroupDescriptor
        )
    }
}

/// One claim on a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockOwner {
    /// The owning inode (2 for the superblock zone).
    pub inode: u64,
    /// How it uses the block.
    pub role: BlockRole,
}

/// The answer for one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockUse {
    /// The block asked about.
    pub blkno: u64,
    /// Whether its cluster is set in the global bitmap.
    pub allocated: bool,
    /// Every claim found, in scan order (several for reflinked clusters).
    pub owners: Vec<BlockOwner>,
}

/// Finds the owners of `blocks` (debugfs `icheck`): the superblock zone and
/// global-bitmap groups by position, the global bitmap for allocation, then
/// every valid inode's own block, extent tree, chain groups, dx index, xattr
/// storage and refcount tree.
pub fn block_owners(vol: &Volume, blocks: &[u64]) -> Result<Vec<BlockUse>> {
    block_owners_with(vol, blocks, &mut progress::ignore)
}

/// [`block_owners`], reporting the inode scan's progress to `on` (see
/// [`scan_inodes_with`]), which may cancel.
pub fn block_owners_with(vol: &Volume, blocks: &[u64], on: &mut OnProgress<'_>) -> Result<Vec<BlockUse>> {
    let geo = *vol.geometry();
    for &b in blocks {
        if b >= geo.blocks {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("block {b} is past the end of the volume ({} blocks)", geo.blocks),
            ));
        }
    }
    let mut want: HashMap<u64, Vec<BlockOwner>> = blocks.iter().map(|&b| (b, Vec::new())).collect();
    let claim = |want: &mut HashMap<u64, Vec<BlockOwner>>, b: u64, inode: u64, role: BlockRole| {
        if let Some(v) = want.get_mut(&b) {
            if !v.contains(&BlockOwner { inode, role }) {
                v.push(BlockOwner { inode, role });
            }
        }
    };
    let bpc = geo.blocks_per_cluster();
    for &b in blocks {
        // Cluster 0, or blocks 0..=2 when a cluster is smaller than that.
        if b < bpc.max(SUPERBLOCK_BLKNO + 1) {
            claim(&mut want, b, SUPERBLOCK_BLKNO, BlockRole::SuperblockZone);
        }
    }
    // The global bitmap: its groups' first clusters, and which clusters are used.
    let gb_ino = vol.system_file(SystemFile::GLOBAL_BITMAP)?;
    let gb = vol.inode(gb_ino)?;
    let mut used_cluster: HashMap<u64, bool> = HashMap::new();
    // On all cores; each group answers for the asked blocks it describes.
    let walks = walk_chains(vol, &gb, |gblk, g| {
        let first = bitmap_group_first_cluster(vol, gblk);
        let dcl = geo.block_to_cluster(gblk);
        let bits = u64::from(g.desc.bg_bits.get());
        let mut found = Vec::new(); // (block, is the descriptor's cluster, bit set)
        for &b in blocks {
            let c = geo.block_to_cluster(b);
            let used = (c >= first && c < first + bits).then(|| g.bit((c - first) as usize));
            if c == dcl || used.is_some() {
                found.push((b, c == dcl, used));
            }
        }
        Ok(found)
    })?;
    for (found, walked) in walks {
        walked?;
        for (b, descriptor, used) in found.into_iter().flatten() {
            if descriptor {
                claim(&mut want, b, gb_ino, BlockRole::GroupDescriptor);
            }
            if let Some(used) = used {
                used_cluster.insert(b, used);
            }
        }
    }
    scan_inodes_with(vol, on, |s, block| {
        let d = Dinode::new(block, s.blkno)?;
        let h = d.header();
        if !h.has_flag(flags::VALID) {
            return Ok(());
        }
        let ino = s.blkno;
        claim(&mut want, ino, ino, BlockRole::Inode);
        if (h.is_symlink() && h.i_clusters.get() == 0)
            || h.has_flag(flags::LOCAL_ALLOC | flags::DEALLOC)
            || ino == gb_ino
        {
            return Ok(());
        }
        let inode = vol.inode(ino)?;
        if h.has_flag(flags::CHAIN) {
            if let Id2::Chain(cl) = d.id2()? {
                for chain in 0..cl.recs.len() {
                    walk_chain(vol, &inode, chain, |gblk, _| {
                        claim(&mut want, gblk, ino, BlockRole::GroupDescriptor);
                        Ok(())
                    })?;
                }
            }
            return Ok(());
        }
        owners_of_inode(vol, &inode, &mut |b, role| claim(&mut want, b, ino, role))
    })?;
    Ok(blocks
        .iter()
        .map(|&b| BlockUse {
            blkno: b,
            allocated: used_cluster.get(&b).copied().unwrap_or(true),
            owners: want.get(&b).cloned().unwrap_or_default(),
        })
        .collect())
}

/// Calls `f` for every block `inode` uses besides its own block.
fn owners_of_inode(vol: &Volume, inode: &Inode<'_>, f: &mut dyn FnMut(u64, BlockRole)) -> Result<()> {
    let geo = vol.geometry();
    let bpc = geo.blocks_per_cluster();
    let map = ExtentMap::load(vol, inode)?;
    for &eb in map.extent_blocks() {
        f(eb, BlockRole::ExtentBlock);
    }
    for e in map.extents() {
        let first = geo.cluster_to_block(u64::from(e.cpos));
        for i in 0..u64::from(e.clusters) * bpc {
            f(e.blkno + i, BlockRole::Data { offset: first + i });
        }
    }
    if let Some(root) = DxRoot::of_dir(vol, inode)? {
        f(root.blkno(), BlockRole::DxRoot);
        let lm = root.leaf_map(vol)?;
        for &eb in lm.extent_blocks() {
            f(eb, BlockRole::ExtentBlock);
        }
        for b in root.leaf_blocks(vol)? {
            f(b, BlockRole::DxLeaf);
        }
    }
    let x = read_xattr_layout(vol, inode)?;
    if let Some(b) = x.block {
        f(b, BlockRole::XattrBlock);
    }
    for e in &x.tree_extents {
        for i in 0..u64::from(e.clusters) * bpc {
            f(e.blkno + i, BlockRole::XattrBucket);
        }
    }
    for a in &x.attrs {
        for e in &a.value_extents {
            for i in 0..u64::from(e.clusters) * bpc {
                f(e.blkno + i, BlockRole::XattrValue);
            }
        }
    }
    if let Some(t) = refcount_tree_of(vol, inode)? {
        for b in &t.blocks {
            f(b.blkno, BlockRole::RefcountBlock);
        }
    }
    Ok(())
}

/// A directory entry that is no longer live but still readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedEntry {
    /// The block (or, for an inline directory, the inode) holding it.
    pub blkno: u64,
    /// Byte offset in the entry area.
    pub offset: usize,
    /// The inode it named (0 when the kernel cleared it: the first entry of a
    /// block is deleted by zeroing its inode field).
    pub inode: u64,
    /// Its directory file type.
    pub file_type: u8,
    /// Its name.
    pub name: Vec<u8>,
}

/// Directory entries still visible in the slack of `dir`'s blocks: records with
/// inode 0 that keep a name, and old records inside the unused tail of a live
/// record (where the kernel merged a deleted entry into its predecessor).
pub fn deleted_entries(vol: &Volume, dir: &Inode<'_>) -> Result<Vec<DeletedEntry>> {
    let h = dir.header();
    if !h.is_dir() {
        return Err(Error::invalid(InvalidKind::WrongType, format!("inode {} is not a directory", dir.blkno())));
    }
    let mut out = Vec::new();
    if let Id2::Inline(_, data) = dir.dinode().id2()? {
        let size = usize::try_from(h.i_size.get()).unwrap_or(usize::MAX).min(data.len());
        scan_area(&data[..size], dir.blkno(), &mut out)?;
        return Ok(out);
    }
    let map = ExtentMap::load(vol, dir)?;
    let bs = vol.block_size() as u64;
    for (_, blkno, _) in map.blocks(vol, h.i_size.get() / bs) {
        let block = vol.read_block(blkno)?;
        let end = if layout_dir::trailer(&block).is_some() { block.len() - TRAILER_SIZE } else { block.len() };
        scan_area(&block[..end], blkno, &mut out)?;
    }
    Ok(out)
}

fn scan_area(area: &[u8], blkno: u64, out: &mut Vec<DeletedEntry>) -> Result<()> {
    for e in DirEntries::new(area, blkno) {
        let e = e?;
        let used = if e.inode == 0 {
            if !e.name.is_empty() {
                out.push(DeletedEntry {
                    blkno,
                    offset: e.offset,
                    inode: 0,
                    file_type: e.file_type,
                    name: e.name.to_vec(),
                });
            }
            ENTRY_HEADER_SIZE
        } else {
            rec_len(e.name.len())
        };
        // Old entries in the slack after this record's own bytes.
        let end = e.offset + usize::from(e.rec_len);
        let mut at = e.offset + used.max(rec_len(e.name.len()));
        while at + ENTRY_HEADER_SIZE <= end {
            match plausible(area, at, end) {
                Some(d) => {
                    let next = at + rec_len(d.name.len());
                    out.push(DeletedEntry { blkno, offset: at, ..d });
                    at = next;
                }
                None => at += 4,
            }
        }
    }
    Ok(())
}

/// An old entry at `at` that fits before `end`: a non-zero inode, a sane
/// `rec_len`, a name of printable bytes without `/`.
fn plausible(area: &[u8], at: usize, end: usize) -> Option<DeletedEntry> {
    let h = view_at::<DirEntryHeader>(area, at)?;
    let nl = usize::from(h.name_len);
    let rl = usize::from(h.rec_len.get());
    let ino = h.inode.get();
    if nl == 0 || rl < rec_len(nl) || rl % 4 != 0 || at + rec_len(nl) > end || h.file_type > 7 {
        return None;
    }
    // The kernel zeroes the inode of every entry it deletes; such a record must
    // then look whole: a known file type and a rec_len inside the record.
    if ino == 0 && (h.file_type == 0 || at + rl > end) {
        return None;
    }
    let name = area.get(at + ENTRY_HEADER_SIZE..at + ENTRY_HEADER_SIZE + nl)?;
    if name.iter().any(|&c| c == 0 || c == b'/' || c < 0x20) {
        return None;
    }
    Some(DeletedEntry { blkno: 0, offset: at, inode: ino, file_type: h.file_type, name: name.to_vec() })
}

/// Whether inode `blkno` is in use: its block holds a valid inode of this volume.
pub fn inode_in_use(vol: &Volume, blkno: u64) -> bool {
    if blkno >= vol.geometry().blocks {
        return false;
    }
    vol.inode(blkno).is_ok_and(|i| i.header().has_flag(flags::VALID))
}

/// An inode found freed (or orphaned) by [`deleted_inodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedInode {
    /// The inode.
    pub blkno: u64,
    /// Whether its allocator bit is still set (an orphan awaiting deletion).
    pub allocated: bool,
    /// `i_flags`.
    pub flags: u32,
    /// `i_mode`.
    pub mode: u16,
    /// `i_uid`.
    pub uid: u32,
    /// `i_size`.
    pub size: u64,
    /// `i_links_count`.
    pub links: u32,
    /// `i_dtime`.
    pub dtime: u64,
    /// `i_clusters`.
    pub clusters: u32,
}

/// Inodes that were deleted (not VALID, with a deletion time) but whose block
/// still holds them, and inodes flagged ORPHANED (unlinked while open), from a
/// scan of the inode allocators.
pub fn deleted_inodes(vol: &Volume) -> Result<Vec<DeletedInode>> {
    deleted_inodes_with(vol, &mut progress::ignore)
}

/// [`deleted_inodes`], reporting the inode scan's progress to `on` (see
/// [`scan_inodes_with`]), which may cancel.
pub fn deleted_inodes_with(vol: &Volume, on: &mut OnProgress<'_>) -> Result<Vec<DeletedInode>> {
    let mut out = Vec::new();
    scan_inodes_with(vol, on, |s, block| {
        let h = Dinode::new(block, s.blkno)?.header();
        let deleted = !h.has_flag(flags::VALID) && h.i_dtime.get() != 0;
        let orphan = h.has_flag(flags::ORPHANED);
        if deleted || orphan {
            out.push(DeletedInode {
                blkno: s.blkno,
                allocated: s.allocated,
                flags: h.i_flags.get(),
                mode: h.i_mode.get(),
                uid: h.i_uid.get(),
                size: h.i_size.get(),
                links: h.links(),
                dtime: h.i_dtime.get(),
                clusters: h.i_clusters.get(),
            });
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixtures (MANIFEST: `data/deleted` was written,
    //! synced and removed; B has an orphan).
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fs::lookup;

    use crate::test_util::fixture as open;

    #[test]
    fn the_deleted_file_is_still_listed() {
        let v = open("A-default");
        let dir = v.inode(lookup(v, "/data").unwrap()).unwrap();
        let gone = deleted_entries(v, &dir).unwrap();
        let d = gone.iter().find(|e| e.name == b"deleted").expect("data/deleted in the slack");
        // The kernel cleared the inode number when it deleted the entry.
        assert_eq!((d.inode, d.file_type), (0, crate::layout::dir::file_type::REG));
        assert_eq!(gone.len(), 1, "{gone:?}");
        // Its inode is among the freed ones the allocator scan finds.
        let dead = deleted_inodes(v).unwrap();
        assert!(dead.iter().any(|i| !i.allocated && i.dtime != 0), "{dead:?}");
        assert!(dead.iter().all(|i| !inode_in_use(v, i.blkno)));
    }

    #[test]
    fn the_scan_reads_groups_in_long_reads() {
        // Cold, each read that misses the cache is a wait on the disk: one
        // read per inode slot made `bodyfile` 6.8 times the `ls -l` walk.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/A-default.img.zst");
        let reads = std::sync::Arc::default();
        let src = crate::test_util::Counting(crate::io::open(&path).unwrap(), std::sync::Arc::clone(&reads));
        let v = Volume::from_source(Box::new(src), crate::OpenOptions::default()).unwrap();
        // The allocators' inodes and group descriptors, read once before counting.
        scan_inodes(&v, |_, _| Ok(())).unwrap();
        let before = reads.load(std::sync::atomic::Ordering::Relaxed);
        let (mut inodes, mut slots) = (0u64, 0u64);
        scan_inodes(&v, |_, _| {
            inodes += 1;
            Ok(())
        })
        .unwrap();
        let n = reads.load(std::sync::atomic::Ordering::Relaxed) - before;
        let slot_allocs = (0..v.superblock().s_max_slots.get()).map(SystemFile::inode_alloc);
        for file in std::iter::once(SystemFile::GLOBAL_INODE_ALLOC).chain(slot_allocs) {
            let alloc = v.inode(v.system_file(file).unwrap()).unwrap();
            slots += u64::from(alloc.header().bitmap1().i_total.get());
        }
        assert!(inodes > 5000, "{inodes} inodes");
        // Per group: its descriptor, then a read per 256 blocks.
        assert!(n * 64 < slots, "{n} reads for {slots} inode slots ({inodes} inodes)");
    }

    #[test]
    fn orphans_are_found() {
        let v = open("B");
        let dead = deleted_inodes(v).unwrap();
        let o = dead.iter().find(|i| i.blkno == 15804).expect("B's orphan");
        assert!(o.allocated && o.flags & flags::ORPHANED != 0);
    }
}
