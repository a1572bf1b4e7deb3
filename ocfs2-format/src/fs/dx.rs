//! Indexed directories: the dx root, its leaves, lookup by name hash, and the
//! list of directory blocks with free space.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::dyn_features;
use crate::layout::dir::{self as layout_dir, DirEntries, DirTrailer, TRAILER_SIZE};
use crate::layout::dx::{dx_hash, DxEntry, DxHash, DxLeafView, DxRootBody, DxRootView, DxSeed, HashChar};
use crate::volume::{Inode, MetaFaults, MetaKind, Volume};

use super::extent_map::ExtentMap;

/// The hash seed of `vol`: `s_dx_seed[0..3]` and `s_uuid_hash`, as the kernel
/// builds it at mount.
pub fn dx_seed(vol: &Volume) -> DxSeed {
    let sb = vol.superblock();
    [sb.s_dx_seed[0].get(), sb.s_dx_seed[1].get(), sb.s_dx_seed[2].get(), sb.s_uuid_hash.get()]
}

/// An indexed directory's root block, read and validated.
#[derive(Debug, Clone)]
pub struct DxRoot<'v> {
    blkno: u64,
    block: Cow<'v, [u8]>,
}

impl<'v> DxRoot<'v> {
    /// Reads the dx root at `blkno` (checked like every metadata block).
    pub fn read(vol: &'v Volume, blkno: u64) -> Result<Self> {
        let block = vol.read_meta(blkno, MetaKind::DX_ROOT)?;
        DxRootView::parse(&block, blkno)?;
        Ok(DxRoot { blkno, block })
    }

    /// Reads the dx root at `blkno` for display: a failed checksum, block number
    /// or generation is returned beside it (see [`Volume::read_meta_unchecked`]).
    pub fn read_unchecked(vol: &'v Volume, blkno: u64) -> Result<(Self, MetaFaults)> {
        let c = vol.read_meta_unchecked(blkno, MetaKind::DX_ROOT)?;
        DxRootView::parse(&c.block, blkno)?;
        Ok((DxRoot { blkno, block: c.block }, c.faults))
    }

    /// The dx root of directory `dir`, `None` when it is not indexed. The root
    /// must name `dir` back in `dr_dir_blkno`.
    pub fn of_dir(vol: &'v Volume, dir: &Inode<'_>) -> Result<Option<Self>> {
        let h = dir.header();
        if !h.is_dir() || !h.has_dyn(dyn_features::INDEXED_DIR) {
            return Ok(None);
        }
        let blkno = vol.check_ref(dir.blkno(), "ocfs2_dinode", "i_dx_root", h.i_dx_root.get())?;
        let root = Self::read(vol, blkno)?;
        let back = root.view().header.dr_dir_blkno.get();
        if back != dir.blkno() {
            return Err(Error::corrupt(blkno, "ocfs2_dx_root_block", "dr_dir_blkno", dir.blkno(), back));
        }
        Ok(Some(root))
    }

    /// The block number.
    pub fn blkno(&self) -> u64 {
        self.blkno
    }

    /// The typed view.
    pub fn view(&self) -> DxRootView<'_> {
        DxRootView::parse(&self.block, self.blkno).unwrap_or_else(|_| unreachable!("parsed in read"))
    }

    /// The extent map of the leaf tree (empty for an inline root).
    pub fn leaf_map(&self, vol: &Volume) -> Result<ExtentMap> {
        match self.view().body {
            DxRootBody::Inline(_) => Ok(ExtentMap::default()),
            DxRootBody::Tree(list) => ExtentMap::load_list(vol, list, self.blkno, "ocfs2_dx_root_block.dr_list"),
        }
    }

    /// Every dx leaf block, in index (hash) order: each block of each cluster of
    /// the leaf tree.
    pub fn leaf_blocks(&self, vol: &Volume) -> Result<Vec<u64>> {
        let map = self.leaf_map(vol)?;
        Ok(map.blocks(vol, u64::MAX).map(|(_, blkno, _)| blkno).collect())
    }

    /// The dx leaf that holds `hash` (format reference §2.8), `None` for an inline
    /// root.
    pub fn leaf_for(&self, vol: &Volume, hash: DxHash) -> Result<Option<u64>> {
        let map = self.leaf_map(vol)?;
        if matches!(self.view().body, DxRootBody::Inline(_)) {
            return Ok(None);
        }
        let ext = map.extents();
        let i = ext.partition_point(|e| e.cpos <= hash.major);
        let Some(e) = i.checked_sub(1).and_then(|i| ext.get(i)) else {
            return Err(Error::corrupt(
                self.blkno,
                "ocfs2_dx_root_block.dr_list",
                "e_cpos",
                format!("a record at or below major hash {:#x}", hash.major),
                ext.first().map_or("no records".to_string(), |e| e.cpos.to_string()),
            ));
        };
        let geo = vol.geometry();
        let cluster = u64::from((hash.major - e.cpos).min(e.clusters - 1));
        let bpc = geo.blocks_per_cluster();
        Ok(Some(e.blkno + geo.cluster_to_block(cluster) + (u64::from(hash.minor) & (bpc - 1))))
    }
}

/// One dx leaf, read and validated, with its entries copied out.
#[derive(Debug, Clone)]
pub struct DxLeafInfo {
    /// The leaf's block.
    pub blkno: u64,
    /// `dl_fs_generation`.
    pub fs_generation: u32,
    /// The leaf's check (crc32e, ecc).
    pub check: (u32, u16),
    /// `de_count`.
    pub count: u16,
    /// `de_num_used`.
    pub num_used: u16,
    /// Entries `0..de_num_used`.
    pub entries: Vec<DxEntry>,
}

/// Reads the dx leaf at `blkno`.
pub fn read_dx_leaf(vol: &Volume, blkno: u64) -> Result<DxLeafInfo> {
    let block = vol.read_meta(blkno, MetaKind::DX_LEAF)?;
    let v = DxLeafView::parse(&block, blkno)?;
    Ok(DxLeafInfo {
        blkno,
        fs_generation: v.header.dl_fs_generation.get(),
        check: (v.header.dl_check.crc32e.get(), v.header.dl_check.ecc.get()),
        count: v.entries.list.de_count.get(),
        num_used: v.entries.list.de_num_used.get(),
        entries: v.entries.entries.to_vec(),
    })
}

/// Every index entry of an indexed directory, grouped by leaf (one group with
/// `blkno` = the root for an inline root), in index order.
pub fn dx_entries(vol: &Volume, root: &DxRoot<'_>) -> Result<Vec<DxLeafInfo>> {
    if let Some(inline) = DxLeafInfo::inline_of(root) {
        return Ok(vec![inline]);
    }
    root.leaf_blocks(vol)?.into_iter().map(|b| read_dx_leaf(vol, b)).collect()
}

impl DxLeafInfo {
    /// The entries an inline dx root holds, as one leaf whose `blkno` is the
    /// root's; `None` when the root has an extent tree of leaves instead.
    pub fn inline_of(root: &DxRoot<'_>) -> Option<DxLeafInfo> {
        let DxRootBody::Inline(list) = root.view().body else { return None };
        let h = root.view().header;
        Some(DxLeafInfo {
            blkno: root.blkno(),
            fs_generation: h.dr_fs_generation.get(),
            check: (h.dr_check.crc32e.get(), h.dr_check.ecc.get()),
            count: list.list.de_count.get(),
            num_used: list.list.de_num_used.get(),
            entries: list.entries.to_vec(),
        })
    }
}

/// Looks `name` up in indexed directory `dir` through its index: hash the name,
/// find its leaf, and check the directory blocks its matching entries point at.
/// Returns the inode the name refers to, `None` if absent; [`Error::Invalid`] if
/// `dir` is not indexed.
pub fn dx_lookup(vol: &Volume, dir: &Inode<'_>, name: &[u8]) -> Result<Option<u64>> {
    let root = DxRoot::of_dir(vol, dir)?.ok_or_else(|| {
        Error::invalid(InvalidKind::WrongType, format!("inode {} is not an indexed directory", dir.blkno()))
    })?;
    let seed = dx_seed(vol);
    // Which `char` the writer had is unknown; names of ASCII bytes hash alike.
    let mut tries = vec![HashChar::Signed];
    if name.iter().any(|&b| b >= 0x80) {
        tries.push(HashChar::Unsigned);
    }
    for ch in tries {
        let hash = dx_hash(name, &seed, ch);
        let candidates: Vec<DxEntry> = match root.leaf_for(vol, hash)? {
            Some(leaf) => read_dx_leaf(vol, leaf)?.entries,
            None => match root.view().body {
                DxRootBody::Inline(list) => list.entries.to_vec(),
                DxRootBody::Tree(_) => Vec::new(),
            },
        };
        let mut seen = HashSet::new();
        for e in candidates {
            if (e.dx_major_hash.get(), e.dx_minor_hash.get()) != (hash.major, hash.minor) {
                continue;
            }
            let blk = e.dx_dirent_blk.get();
            if !seen.insert(blk) {
                continue;
            }
            vol.check_ref(root.blkno(), "ocfs2_dx_entry", "dx_dirent_blk", blk)?;
            let block = vol.read_meta(blk, MetaKind::DIR_BLOCK)?;
            for de in DirEntries::new(&block[..block.len() - TRAILER_SIZE], blk) {
                let de = de?;
                if de.inode != 0 && de.name == name {
                    return Ok(Some(de.inode));
                }
            }
        }
    }
    Ok(None)
}

/// One directory block on the free-space list, with its trailer.
#[derive(Debug, Clone)]
pub struct FreeBlock {
    /// The directory block.
    pub blkno: u64,
    /// Its trailer.
    pub trailer: DirTrailer,
}

/// The directory blocks with free space, following `dr_free_blk` and each
/// trailer's `db_free_next` (cycle-checked).
pub fn dx_free_list(vol: &Volume, root: &DxRoot<'_>) -> Result<Vec<FreeBlock>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let (mut from, mut structure, mut field) = (root.blkno(), "ocfs2_dx_root_block", "dr_free_blk");
    let mut next = root.view().header.dr_free_blk.get();
    while next != 0 {
        let blk = vol.check_ref(from, structure, field, next)?;
        if !seen.insert(blk) {
            return Err(Error::cycle(from, structure, field, "a block not yet on the free list", blk));
        }
        let block = vol.read_meta(blk, MetaKind::DIR_BLOCK)?;
        let trailer = *layout_dir::trailer(&block).unwrap_or_else(|| unreachable!("validated as a dir block"));
        next = trailer.db_free_next.get();
        out.push(FreeBlock { blkno: blk, trailer });
        (from, structure, field) = (blk, "ocfs2_dir_block_trailer", "db_free_next");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixture A-default (`bigdir`: 5000 names, indexed).
    #![allow(clippy::unwrap_used)]

    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::fs::{lookup, read_dir};

    fn vol() -> &'static Volume {
        crate::test_util::fixture("A-default")
    }

    /// Our TEA hash reproduces every (major, minor) the kernel stored: each name
    /// of the 5000-entry directory is indexed under its hash, pointing at the
    /// block that holds it, and nothing else is indexed.
    #[test]
    fn hash_matches_the_kernel_for_every_name() {
        let v = vol();
        let dir = v.inode(lookup(v, "/bigdir").unwrap()).unwrap();
        let root = DxRoot::of_dir(v, &dir).unwrap().unwrap();
        let mut indexed: HashMap<(u32, u32), Vec<u64>> = HashMap::new();
        let leaves = dx_entries(v, &root).unwrap();
        let mut n = 0;
        for leaf in &leaves {
            for e in &leaf.entries {
                indexed.entry((e.dx_major_hash.get(), e.dx_minor_hash.get())).or_default().push(e.dx_dirent_blk.get());
                n += 1;
            }
        }
        assert_eq!(n, root.view().header.dr_num_entries.get() as usize);
        let seed = dx_seed(v);
        let names = read_dir(v, &dir).unwrap();
        assert_eq!(names.len(), 5002);
        assert_eq!(n, names.len());
        let mut hashes = HashSet::new();
        for e in &names {
            let h = dx_hash(&e.name, &seed, HashChar::Signed);
            assert!(indexed.contains_key(&(h.major, h.minor)), "{:?} hash {h:?} not indexed", e.name);
            hashes.insert((h.major, h.minor));
            // The right leaf: the one leaf_for picks holds the entry.
            let leaf = root.leaf_for(v, h).unwrap().unwrap();
            let l = read_dx_leaf(v, leaf).unwrap();
            assert!(l.entries.iter().any(|x| (x.dx_major_hash.get(), x.dx_minor_hash.get()) == (h.major, h.minor)));
        }
        assert_eq!(hashes.len(), indexed.len());
    }

    /// Lookup through the index agrees with a linear scan for every name, and
    /// misses names that are not there.
    #[test]
    fn index_lookup_agrees_with_linear_scan() {
        let v = vol();
        let dir = v.inode(lookup(v, "/bigdir").unwrap()).unwrap();
        for e in read_dir(v, &dir).unwrap() {
            assert_eq!(dx_lookup(v, &dir, &e.name).unwrap(), Some(e.inode), "{:?}", e.name);
        }
        assert_eq!(dx_lookup(v, &dir, b"e05000").unwrap(), None);
        assert_eq!(dx_lookup(v, &dir, b"\xe9t\xe9").unwrap(), None);
        let plain = v.inode(lookup(v, "/data").unwrap()).unwrap();
        assert_eq!(dx_lookup(v, &plain, b"pat1m").unwrap_err().invalid_kind(), Some(InvalidKind::WrongType));
    }

    #[test]
    fn free_list_is_walked() {
        let v = vol();
        let dir = v.inode(lookup(v, "/bigdir").unwrap()).unwrap();
        let root = DxRoot::of_dir(v, &dir).unwrap().unwrap();
        let free = dx_free_list(v, &root).unwrap();
        assert!(!free.is_empty());
        for f in &free {
            assert_eq!(f.trailer.db_parent_dinode.get(), dir.blkno());
            assert_eq!(f.trailer.db_blkno.get(), f.blkno);
        }
    }
}
