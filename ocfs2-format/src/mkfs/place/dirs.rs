//! Directories as mkfs.ocfs2 and libocfs2 build them: entries added the way
//! mkfs's `add_entry_to_directory` and libocfs2's `ocfs2_link` do, inline or in
//! blocks, the directory indexes mkfs.ocfs2 adds at the end, and lost+found.

use super::groups::{add_group, meta_block};
use super::journals::extend;
use super::system::{find, DIR_MODE};
use super::{Body, Extent, InodeRec, Placement};
use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::flags;
use crate::layout::dir::{file_type, rec_len, TRAILER_SIZE};
use crate::layout::superblock::incompat;
use crate::layout::system_file::SystemFileKind;
use crate::mkfs::plan::Plan;

/// An indexed directory's root block, with its entries inline, as libocfs2's
/// `ocfs2_dx_dir_build` and `ocfs2_link` leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DxDir {
    /// The dx root block (from slot 0's extent allocator).
    pub blkno: u64,
    /// Its bit in that allocator's group.
    pub suballoc_bit: u16,
    /// That group's descriptor block.
    pub suballoc_loc: u64,
    /// The names indexed, in insertion order, with the directory block each is in.
    pub entries: Vec<(String, u64)>,
    /// `dr_free_blk`: the directory block with free room (0: none).
    pub free_blk: u64,
    /// `db_free_rec_len` of the directory block's trailer: its largest hole
    /// when it was indexed.
    pub free_rec_len: u16,
}

/// A directory being filled the way mkfs.ocfs2's `add_entry_to_directory` does.
pub(super) struct DirBuf {
    buf: Vec<u8>,
    last: usize,
    bs: usize,
    /// End of the entry area in a block (before the trailer).
    area: usize,
    links: u16,
}

impl DirBuf {
    pub(super) fn new(bs: usize, trailers: bool) -> Self {
        DirBuf { buf: Vec::new(), last: 0, bs, area: if trailers { bs - TRAILER_SIZE } else { bs }, links: 0 }
    }

    fn rec(&self, at: usize) -> (u64, usize, usize) {
        let b = &self.buf[at..];
        let ino = u64::from_le_bytes(b[0..8].try_into().unwrap_or_default());
        (ino, usize::from(u16::from_le_bytes([b[8], b[9]])), usize::from(b[10]))
    }

    fn put(&mut self, at: usize, ino: u64, rl: usize, name: &str, ft: u8) {
        let b = &mut self.buf[at..];
        b[0..8].copy_from_slice(&ino.to_le_bytes());
        b[8..10].copy_from_slice(&(rl as u16).to_le_bytes());
        b[10] = name.len() as u8;
        b[11] = ft;
        b[12..12 + name.len()].copy_from_slice(name.as_bytes());
    }

    pub(super) fn add(&mut self, name: &str, ino: u64, ft: u8) {
        let need = rec_len(name.len());
        if !self.buf.is_empty() {
            let (dino, rl, nl) = self.rec(self.last);
            let real = rec_len(nl);
            if dino == 0 && rl >= need {
                self.put(self.last, ino, rl, name, ft);
                return self.count(ft);
            }
            if rl >= real + need {
                let at = self.last + real;
                self.buf[self.last + 8..self.last + 10].copy_from_slice(&(real as u16).to_le_bytes());
                self.put(at, ino, rl - real, name, ft);
                self.last = at;
                return self.count(ft);
            }
        }
        let at = self.buf.len();
        self.buf.resize(at + self.bs, 0);
        self.put(at, ino, self.area, name, ft);
        self.last = at;
        self.count(ft);
    }

    fn count(&mut self, ft: u8) {
        if ft == file_type::DIR {
            self.links += 1;
        }
    }

    /// The entries as an inline data area of `cap` bytes: the last entry extends
    /// to the end of the area.
    fn inline(&self, cap: usize) -> Result<Vec<u8>> {
        let (_, _, nl) = self.rec(self.last);
        let len = self.last + rec_len(nl);
        if len > cap {
            return Err(Error::invalid(InvalidKind::TooSmall, "an inline directory does not fit its inode"));
        }
        let mut v = vec![0u8; cap];
        v[..len].copy_from_slice(&self.buf[..len]);
        let rl = cap - self.last;
        v[self.last + 8..self.last + 10].copy_from_slice(&(rl as u16).to_le_bytes());
        Ok(v)
    }
}

/// Inline "." and ".." the way libocfs2's `ocfs2_init_dir` writes them into an
/// area of `size` bytes.
fn initial_dirents(area: &mut [u8], dir: u64, parent: u64, size: usize) {
    let put = |b: &mut [u8], ino: u64, rl: usize, name: &[u8]| {
        b[0..8].copy_from_slice(&ino.to_le_bytes());
        b[8..10].copy_from_slice(&(rl as u16).to_le_bytes());
        b[10] = name.len() as u8;
        b[11] = file_type::DIR;
        b[12..12 + name.len()].copy_from_slice(name);
    };
    put(area, dir, rec_len(1), b".");
    put(&mut area[rec_len(1)..], parent, size - rec_len(1), b"..");
}

/// libocfs2's `ocfs2_link` into a directory area: split the first entry with
/// room, or take an empty one.
fn link_entry(area: &mut [u8], name: &str, ino: u64, ft: u8) -> bool {
    let need = rec_len(name.len());
    let mut at = 0;
    while at + 12 <= area.len() {
        let mut rl = usize::from(u16::from_le_bytes([area[at + 8], area[at + 9]]));
        if rl < 12 {
            return false;
        }
        let used = u64::from_le_bytes(area[at..at + 8].try_into().unwrap_or_default()) != 0;
        if used {
            let min = rec_len(usize::from(area[at + 10]));
            if rl >= min + need {
                area[at + 8..at + 10].copy_from_slice(&(min as u16).to_le_bytes());
                let n = at + min;
                area[n..n + 8].fill(0);
                area[n + 8..n + 10].copy_from_slice(&((rl - min) as u16).to_le_bytes());
                area[n + 10] = 0;
                rl = min;
            }
        } else if rl >= need {
            area[at..at + 8].copy_from_slice(&ino.to_le_bytes());
            area[at + 10] = name.len() as u8;
            area[at + 11] = ft;
            area[at + 12..at + 12 + name.len()].copy_from_slice(name.as_bytes());
            return true;
        }
        at += rl;
    }
    false
}

/// mkfs.ocfs2's last steps, after the quota files: with indexed directories,
/// a dx root for the root directory and each orphan directory, then
/// lost+found (an inode from slot 0's inode allocator, which gets its first
/// group), linked into the root. Returns lost+found.
pub(super) fn index_and_lost_found(
    p: &mut Placement,
    plan: &Plan,
    root: &mut InodeRec,
    files: &mut [InodeRec],
) -> Result<InodeRec> {
    let features = plan.features;
    let bs = plan.geometry.block_size as usize;
    let inline = features.has_incompat(incompat::INLINE_DATA);
    let trailers_ok = features.has_incompat(incompat::META_ECC) || features.has_incompat(incompat::INDEXED_DIRS);
    let meta_ecc = features.has_incompat(incompat::META_ECC);
    let dx_dirs = features.has_incompat(incompat::INDEXED_DIRS) && !inline && !plan.heartbeat_device;
    let max_inline = bs - 200;
    let ea = find(files, SystemFileKind::ExtentAlloc, 0);
    let dx_alloc = |p: &mut Placement, files: &mut [InodeRec]| -> Result<(u64, u16, u64)> {
        let ea = ea.ok_or_else(|| Error::invalid(InvalidKind::Internal, "no extent_alloc:0000"))?;
        meta_block(&mut p.bitmap, &mut p.groups, &mut files[ea], plan)
    };
    if dx_dirs {
        let at = dx_alloc(p, files)?;
        index_dir(at, root, bs)?;
        for slot in 0..plan.slots {
            if let Some(o) = find(files, SystemFileKind::OrphanDir, slot) {
                let at = dx_alloc(p, files)?;
                index_dir(at, &mut files[o], bs)?;
            }
        }
    }
    let ia = find(files, SystemFileKind::InodeAlloc, 0)
        .ok_or_else(|| Error::invalid(InvalidKind::Internal, "no inode_alloc:0000"))?;
    add_group(&mut p.bitmap, &mut p.groups, &mut files[ia], plan)?;
    let gi = p.groups.len() - 1;
    let bit = p.groups[gi].alloc().ok_or_else(|| Error::invalid(InvalidKind::TooSmall, "new inode group is full"))?;
    let gblk = p.groups[gi].blkno;
    let lf_blkno = gblk + u64::from(bit);
    // An ordinary directory (not SYSTEM) in slot 0's allocator.
    let mut lf = InodeRec {
        suballoc_slot: 0,
        suballoc_loc: gblk,
        flags: flags::VALID,
        links: 2,
        ..InodeRec::system("lost+found".into(), None, lf_blkno, bit as u16, DIR_MODE, 0)
    };
    if inline {
        let mut area = vec![0u8; max_inline];
        initial_dirents(&mut area, lf_blkno, root.blkno, max_inline);
        lf.size = max_inline as u64;
        lf.body = Body::InlineDir(area);
    } else {
        extend(&mut p.bitmap, &mut lf, 1, plan)?;
        let area = if trailers_ok { bs - TRAILER_SIZE } else { bs };
        let mut blk = vec![0u8; bs];
        initial_dirents(&mut blk, lf_blkno, root.blkno, area);
        lf.dir_blocks = blk;
        lf.trailers = trailers_ok;
        // libocfs2 leaves i_size at the entry area, not the block (verified).
        lf.size = area as u64;
        if dx_dirs {
            let at = dx_alloc(p, files)?;
            index_dir(at, &mut lf, bs)?;
        }
    }
    root.links += 1;
    let ok = match &mut root.body {
        Body::InlineDir(area) => link_entry(area, "lost+found", lf_blkno, file_type::DIR),
        _ => {
            let end = if root.trailers || meta_ecc { bs - TRAILER_SIZE } else { bs };
            link_entry(&mut root.dir_blocks[..end], "lost+found", lf_blkno, file_type::DIR)
        }
    };
    if !ok {
        return Err(Error::invalid(InvalidKind::TooSmall, "no room for lost+found in the root directory"));
    }
    let blk = root.body_first_block();
    if let Some(dx) = &mut root.dx {
        dx.entries.push(("lost+found".into(), blk));
    }
    Ok(lf)
}

/// libocfs2's `ocfs2_dx_dir_build` of a one-block directory: a dx root at
/// `(block, bit, group)` from [`meta_block`](super::groups::meta_block), every entry indexed inline, and the
/// block's trailer recording its largest hole.
fn index_dir((blkno, bit, loc): (u64, u16, u64), dir: &mut InodeRec, bs: usize) -> Result<()> {
    if dir.dir_blocks.len() != bs || !dir.trailers {
        return Err(Error::invalid(InvalidKind::Internal, "indexing a directory that is not one block with a trailer"));
    }
    let block = dir.body_first_block();
    let area = bs - TRAILER_SIZE;
    let (mut entries, mut hole, mut at) = (Vec::new(), 0usize, 0usize);
    let b = &dir.dir_blocks;
    while at + 12 <= area {
        let ino = u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let rl = usize::from(u16::from_le_bytes([b[at + 8], b[at + 9]]));
        let nl = usize::from(b[at + 10]);
        if rl < 12 {
            break;
        }
        if ino != 0 {
            entries.push((String::from_utf8_lossy(&b[at + 12..at + 12 + nl]).into_owned(), block));
            hole = hole.max(rl - rec_len(nl));
        } else {
            hole = hole.max(rl);
        }
        at += rl;
    }
    let free = if hole >= rec_len(1) { hole } else { 0 };
    dir.dx = Some(DxDir {
        blkno,
        suballoc_bit: bit,
        suballoc_loc: loc,
        entries,
        free_blk: if free > 0 { block } else { 0 },
        free_rec_len: free as u16,
    });
    Ok(())
}

impl InodeRec {
    pub(super) fn body_first_block(&self) -> u64 {
        match &self.body {
            Body::Extents(l) => l.first().map_or(0, |e| e.blkno),
            _ => 0,
        }
    }
}

/// Finishes a directory mkfs.ocfs2 built: inline data when `ext` is `None`,
/// else its blocks in the `(first cluster, clusters)` extent.
pub(super) fn finish_dir(
    r: &mut InodeRec,
    d: DirBuf,
    ext: Option<(u32, u32)>,
    max_inline: usize,
    plan: &Plan,
) -> Result<()> {
    r.links = d.links;
    match ext {
        None => {
            r.body = Body::InlineDir(d.inline(max_inline)?);
            r.size = max_inline as u64;
        }
        Some((c, n)) => {
            r.size = d.buf.len() as u64;
            r.clusters = n;
            r.body = Body::Extents(vec![Extent {
                cpos: 0,
                clusters: n,
                blkno: plan.geometry.cluster_to_block(u64::from(c)),
            }]);
            r.trailers = d.area != d.bs;
            r.dir_blocks = d.buf;
        }
    }
    Ok(())
}
