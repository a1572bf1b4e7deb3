//! Writes a [`Placement`] to a [`BlockSink`]: every block mkfs.ocfs2 writes, with
//! the same contents, and the superblock last, after a flush of everything else,
//! so that an interrupted run never leaves a volume that probes as valid.
//!
//! Ranges mkfs.ocfs2 fills with zeros (the ends of the volume, journal bodies,
//! the heartbeat region, the rest of group and directory clusters) go through
//! [`BlockSink::zero_range`]: free on a fresh sparse file, a hole punch or a device
//! zero-out where old data may lie. Old journal contents are therefore always gone
//! and can never be replayed.

use zerocopy::{FromZeros, IntoBytes};

use super::place::{Body, DxDir, Extent, InodeRec, Placement, QuotaFile, SubGroup};
use crate::error::Result;
use crate::io::BlockSink;
use crate::layout::blockcheck;
use crate::layout::chain::{ChainList, ChainRec};
use crate::layout::dinode::{DinodeHeader, ID2_OFFSET, INODE_SIGNATURE, SUBALLOC_GLOBAL};
use crate::layout::dir::{DirTrailer, TRAILER_SIGNATURE, TRAILER_SIZE};
use crate::layout::dx::{
    dx_hash, inline_capacity, DxEntry, DxEntryList, DxRootBlock, HashChar, DX_FLAG_INLINE, DX_ROOT_SIGNATURE,
    DX_ROOT_UNION_OFFSET,
};
use crate::layout::extent::{ExtentList, ExtentRec};
use crate::layout::group::{GroupDesc, GROUP_SIGNATURE};
use crate::layout::inline_data::InlineData;
use crate::layout::jbd2;
use crate::layout::local_alloc::LocalAlloc;
use crate::layout::quota::{
    global_entry_offset, trailer_offset, tree_depth, DiskDqHeader, GlobalDiskDqBlk, GlobalDiskDqInfo, LocalDiskDqInfo,
    QtDiskDqdbHeader, INFO_OFFSET, LOCAL_FLAG_CLEAN, QUOTA_VERSION, TREE_ROOT_BLOCK,
};
use crate::layout::superblock::{
    compat, incompat, SuperBlock, CLUSTER_O2CB_GLOBAL_HEARTBEAT, SUPERBLOCK_BLKNO, SUPERBLOCK_SIGNATURE,
};
use crate::layout::system_file::SystemFileKind;
use crate::layout::truncate_log::TruncateLog;

/// The values mkfs.ocfs2 draws at random or from the clock. Fix them (with `-U`,
/// `SOURCE_DATE_EPOCH` and a seed) and two runs write identical volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Randomness {
    /// Volume UUID.
    pub uuid: [u8; 16],
    /// `i_fs_generation` of every block.
    pub generation: u32,
    /// `s_dx_seed` (indexed directories).
    pub dx_seed: [u32; 3],
    /// Format time, seconds since the epoch.
    pub time: u64,
}

impl Randomness {
    /// Draws the random fields from a 64-bit `seed` (splitmix64), keeping `uuid`
    /// and `time`.
    pub fn from_seed(seed: u64, uuid: [u8; 16], time: u64) -> Self {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let generation = next() as u32;
        let dx_seed = [next() as u32, next() as u32, next() as u32];
        Randomness { uuid, generation, dx_seed, time }
    }
}

/// `s_uuid_hash`: libocfs2's rotate-and-xor hash of the UUID bytes.
pub fn uuid_hash(uuid: &[u8; 16]) -> u32 {
    uuid.iter().fold(0u32, |h, &b| (h << 5) ^ (h >> 27) ^ u32::from(b))
}

/// Default block and inode grace of a new quota file, in seconds (a week).
const DEFAULT_GRACE: u32 = 7 * 24 * 3600;
/// Default interval of the kernel's quota syncs, in milliseconds.
const DEFAULT_SYNC_MS: u32 = 10_000;

/// Progress of a long write, for a progress bar: (work done, work in all).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

struct Writer<'a> {
    lay: &'a Placement,
    r: &'a Randomness,
    sink: &'a mut dyn BlockSink,
    bs: usize,
    ecc: bool,
}

/// Writes the volume. Writes the superblock only after everything else has been
/// flushed, then flushes again.
pub fn write(lay: &Placement, r: &Randomness, sink: &mut dyn BlockSink, progress: Progress<'_>) -> Result<()> {
    let bs = lay.plan.geometry.block_size as usize;
    let mut w = Writer { lay, r, sink, bs, ecc: lay.plan.features.has_incompat(incompat::META_ECC) };
    w.clear_ends()?;
    let groups = u64::from(lay.bitmap.groups());
    let total = groups + lay.inodes.len() as u64 + 1;
    for g in 0..lay.bitmap.groups() {
        w.global_group(g)?;
        if g % 4096 == 0 {
            progress(u64::from(g), total);
        }
    }
    w.sub_groups()?;
    for (n, rec) in lay.inodes.iter().enumerate() {
        w.inode(rec)?;
        w.file_data(rec)?;
        progress(groups + n as u64, total);
    }
    w.backups()?;
    w.leading_space()?;
    w.sink.flush()?;
    let sb = w.superblock(SUPERBLOCK_BLKNO)?;
    w.sink.write_at(SUPERBLOCK_BLKNO * bs as u64, &sb)?;
    w.sink.flush()?;
    progress(total, total);
    Ok(())
}

impl Writer<'_> {
    fn at(&self, blkno: u64) -> u64 {
        blkno * self.bs as u64
    }

    fn put(&mut self, blkno: u64, block: &mut [u8], check_at: Option<usize>) -> Result<()> {
        if let (true, Some(off)) = (self.ecc, check_at) {
            blockcheck::compute(block, off)?;
        }
        let at = self.at(blkno);
        self.sink.write_at(at, block)
    }

    /// mkfs.ocfs2 zeroes the first and the last MiB of the volume.
    fn clear_ends(&mut self) -> Result<()> {
        let size = self.lay.plan.bytes();
        let n = (1u64 << 20).min(size);
        self.sink.zero_range(0, n)?;
        self.sink.zero_range(size - n, n)
    }

    fn cluster_bytes(&self) -> u64 {
        u64::from(self.lay.plan.geometry.cluster_size)
    }

    fn global_group(&mut self, g: u32) -> Result<()> {
        let lay = self.lay;
        let recs = super::place::chain_recs_per_inode(lay.plan.geometry.block_size);
        let bits = lay.bitmap.group_bits(g);
        let used = lay.bitmap.group_used(g);
        let next = if g + recs < lay.bitmap.groups() { lay.group_blkno(g + recs) } else { 0 };
        let blkno = lay.group_blkno(g);
        let size = (self.bs - 64) as u16;
        let bitmap = lay.bitmap.group_bitmap(g, usize::from(size));
        let mut block =
            self.group_block(blkno, bits, used, size, (g % recs) as u16, next, lay.global_bitmap_blkno(), &bitmap);
        self.put(blkno, &mut block, Some(48))?;
        // mkfs.ocfs2 writes the whole first cluster of every group.
        let rest = self.cluster_bytes() - self.bs as u64;
        let at = self.at(blkno) + self.bs as u64;
        self.sink.zero_range(at, rest)
    }

    #[allow(clippy::too_many_arguments)] // one field per argument of the descriptor
    fn group_block(
        &self,
        blkno: u64,
        bits: u32,
        used: u32,
        size: u16,
        chain: u16,
        next: u64,
        parent: u64,
        bitmap: &[u8],
    ) -> Vec<u8> {
        let mut gd = GroupDesc::new_zeroed();
        gd.bg_signature = *GROUP_SIGNATURE;
        gd.bg_size.set(size);
        gd.bg_bits.set(bits as u16);
        gd.bg_free_bits_count.set((bits - used) as u16);
        gd.bg_chain.set(chain);
        gd.bg_generation.set(self.r.generation);
        gd.bg_next_group.set(next);
        gd.bg_parent_dinode.set(parent);
        gd.bg_blkno.set(blkno);
        let mut block = vec![0u8; self.bs];
        block[..64].copy_from_slice(gd.as_bytes());
        block[64..64 + bitmap.len()].copy_from_slice(bitmap);
        block
    }

    /// Suballocator groups: only the descriptor block is written (libocfs2 and
    /// mkfs.ocfs2 leave the rest of the group as it was).
    fn sub_groups(&mut self) -> Result<()> {
        let lay = self.lay;
        for rec in &lay.inodes {
            let Body::Chain { chains, .. } = &rec.body else { continue };
            for &gi in chains.iter().flatten() {
                let g: &SubGroup = &lay.groups[gi];
                let mut block = self.group_block(
                    g.blkno,
                    u32::from(g.bits),
                    g.used(),
                    g.size,
                    g.chain,
                    g.next,
                    rec.blkno,
                    &g.bitmap,
                );
                self.put(g.blkno, &mut block, Some(48))?;
            }
        }
        Ok(())
    }

    fn inode(&mut self, rec: &InodeRec) -> Result<()> {
        let bs = self.bs;
        let t = self.r.time;
        let mut h = DinodeHeader::new_zeroed();
        h.i_signature = *INODE_SIGNATURE;
        h.i_generation.set(self.r.generation);
        h.i_fs_generation.set(self.r.generation);
        h.i_suballoc_slot.set(rec.suballoc_slot);
        h.i_suballoc_bit.set(rec.suballoc_bit);
        h.i_suballoc_loc.set(rec.suballoc_loc);
        h.i_blkno.set(rec.blkno);
        h.i_size.set(rec.size);
        h.i_mode.set(rec.mode);
        h.i_links_count.set(rec.links);
        h.i_flags.set(rec.flags);
        h.i_atime.set(t);
        h.i_ctime.set(t);
        h.i_mtime.set(t);
        h.i_clusters.set(rec.clusters);
        if let Some(dx) = &rec.dx {
            h.i_dyn_features.set(crate::layout::dinode::dyn_features::INDEXED_DIR);
            h.i_dx_root.set(dx.blkno);
        }
        let mut block = vec![0u8; bs];
        let id2 = &mut block[ID2_OFFSET..];
        match &rec.body {
            Body::Extents(list) => {
                let mut l = ExtentList::new_zeroed();
                l.l_count.set(((bs - 208) / 16) as u16);
                l.l_next_free_rec.set(list.len() as u16);
                id2[..16].copy_from_slice(l.as_bytes());
                for (n, e) in list.iter().enumerate() {
                    let mut x = ExtentRec::new_zeroed();
                    x.e_cpos.set(e.cpos);
                    x.e_leaf_clusters.set(e.clusters as u16);
                    x.e_blkno.set(e.blkno);
                    id2[16 + 16 * n..32 + 16 * n].copy_from_slice(x.as_bytes());
                }
            }
            Body::Chain { cpg, bpc, chains } => {
                let (mut used, mut total) = (0u32, 0u32);
                let mut l = ChainList::new_zeroed();
                l.cl_cpg.set(*cpg);
                l.cl_bpc.set(*bpc);
                l.cl_count.set(((bs - 208) / 16) as u16);
                l.cl_next_free_rec.set(chains.len() as u16);
                id2[..16].copy_from_slice(l.as_bytes());
                for (n, chain) in chains.iter().enumerate() {
                    let (mut free, mut bits) = (0u32, 0u32);
                    for &gi in chain {
                        let g = &self.lay.groups[gi];
                        bits += u32::from(g.bits);
                        free += u32::from(g.bits) - g.used();
                    }
                    used += bits - free;
                    total += bits;
                    let mut c = ChainRec::new_zeroed();
                    c.c_free.set(free);
                    c.c_total.set(bits);
                    c.c_blkno.set(chain.first().map_or(0, |&g| self.lay.groups[g].blkno));
                    id2[16 + 16 * n..32 + 16 * n].copy_from_slice(c.as_bytes());
                }
                h.id1[..4].copy_from_slice(&used.to_le_bytes());
                h.id1[4..].copy_from_slice(&total.to_le_bytes());
            }
            Body::GlobalBitmap => {
                let chains = self.lay.global_chains();
                let mut l = ChainList::new_zeroed();
                l.cl_cpg.set(((bs - 64) * 8) as u16);
                l.cl_bpc.set(1);
                l.cl_count.set(((bs - 208) / 16) as u16);
                l.cl_next_free_rec.set(chains.len() as u16);
                id2[..16].copy_from_slice(l.as_bytes());
                for (n, (free, total, blkno)) in chains.iter().enumerate() {
                    let mut c = ChainRec::new_zeroed();
                    c.c_free.set(*free);
                    c.c_total.set(*total);
                    c.c_blkno.set(*blkno);
                    id2[16 + 16 * n..32 + 16 * n].copy_from_slice(c.as_bytes());
                }
                let used = self.lay.bitmap.used() as u32;
                h.id1[..4].copy_from_slice(&used.to_le_bytes());
                h.id1[4..].copy_from_slice(&self.lay.plan.geometry.clusters.to_le_bytes());
            }
            Body::LocalAlloc => {
                let mut la = LocalAlloc::new_zeroed();
                la.la_size.set((bs - 208) as u16);
                id2[..16].copy_from_slice(la.as_bytes());
            }
            Body::TruncateLog => {
                let mut tl = TruncateLog::new_zeroed();
                tl.tl_count.set(((bs - 200) / 8) as u16);
                id2[..8].copy_from_slice(tl.as_bytes());
            }
            Body::InlineDir(data) => {
                let mut id = InlineData::new_zeroed();
                id.id_count.set(data.len() as u16);
                id2[..8].copy_from_slice(id.as_bytes());
                id2[8..8 + data.len()].copy_from_slice(data);
                h.i_dyn_features.set(crate::layout::dinode::dyn_features::INLINE_DATA);
            }
        }
        block[..ID2_OFFSET].copy_from_slice(h.as_bytes());
        self.put(rec.blkno, &mut block, Some(128))
    }

    /// The data blocks mkfs.ocfs2 writes for a file: directory blocks, zeroed
    /// heartbeat and journal bodies, the journal superblock, the slot map.
    fn file_data(&mut self, rec: &InodeRec) -> Result<()> {
        if let Some(dx) = &rec.dx {
            self.dx_root(rec, dx)?;
        }
        let Body::Extents(list) = &rec.body else { return Ok(()) };
        let cs = self.cluster_bytes();
        let made_by_mkfs = rec.suballoc_slot == SUBALLOC_GLOBAL;
        if !rec.dir_blocks.is_empty() {
            let first = list.first().map_or(0, |e| e.blkno);
            for (n, chunk) in rec.dir_blocks.chunks(self.bs).enumerate() {
                let mut block = chunk.to_vec();
                let blkno = first + n as u64;
                let check = if rec.trailers {
                    let free = rec.dx.as_ref().map_or(0, |d| d.free_rec_len);
                    Some(self.trailer(&mut block, blkno, rec.blkno, free))
                } else {
                    None
                };
                self.put(blkno, &mut block, check)?;
            }
            if made_by_mkfs {
                let written = rec.dir_blocks.len() as u64;
                let all = u64::from(rec.clusters) * cs;
                self.sink.zero_range(self.at(first) + written, all - written)?;
            }
            return Ok(());
        }
        if let Some(q) = rec.quota {
            return self.quota_file(list, q);
        }
        match rec.kind {
            Some(SystemFileKind::Heartbeat | SystemFileKind::Journal | SystemFileKind::SlotMap) => {
                for e in list {
                    self.sink.zero_range(self.at(e.blkno), u64::from(e.clusters) * cs)?;
                }
            }
            _ => return Ok(()),
        }
        let Some(first) = list.first() else { return Ok(()) };
        match rec.kind {
            Some(SystemFileKind::Journal) => {
                let mut block = self.journal_super(rec);
                self.put(first.blkno, &mut block, None)?;
            }
            Some(SystemFileKind::SlotMap) if !self.lay.features.has_incompat(incompat::EXTENDED_SLOT_MAP) => {
                // Old-style map: every 16-bit entry of the file is an empty slot.
                let block = vec![0xffu8; cs as usize];
                let at = self.at(first.blkno);
                self.sink.write_at(at, &block)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The root block of an indexed directory, its entries inline.
    fn dx_root(&mut self, rec: &InodeRec, dx: &DxDir) -> Result<()> {
        let seed = [self.r.dx_seed[0], self.r.dx_seed[1], self.r.dx_seed[2], uuid_hash(&self.r.uuid)];
        let mut d = DxRootBlock::new_zeroed();
        d.dr_signature = *DX_ROOT_SIGNATURE;
        d.dr_suballoc_slot.set(0);
        d.dr_suballoc_bit.set(dx.suballoc_bit);
        d.dr_fs_generation.set(self.r.generation);
        d.dr_blkno.set(dx.blkno);
        d.dr_flags = DX_FLAG_INLINE;
        d.dr_dir_blkno.set(rec.blkno);
        d.dr_num_entries.set(dx.entries.len() as u32);
        d.dr_free_blk.set(dx.free_blk);
        d.dr_suballoc_loc.set(dx.suballoc_loc);
        let mut block = vec![0u8; self.bs];
        block[..DX_ROOT_UNION_OFFSET].copy_from_slice(d.as_bytes());
        let mut l = DxEntryList::new_zeroed();
        l.de_count.set(inline_capacity(self.bs) as u16);
        l.de_num_used.set(dx.entries.len() as u16);
        let at = DX_ROOT_UNION_OFFSET;
        block[at..at + 8].copy_from_slice(l.as_bytes());
        for (n, (name, blk)) in dx.entries.iter().enumerate() {
            let h = dx_hash(name.as_bytes(), &seed, HashChar::Signed);
            let mut e = DxEntry::new_zeroed();
            e.dx_major_hash.set(h.major);
            e.dx_minor_hash.set(h.minor);
            e.dx_dirent_blk.set(*blk);
            let o = at + 8 + 16 * n;
            block[o..o + 16].copy_from_slice(e.as_bytes());
        }
        self.put(dx.blkno, &mut block, Some(8))
    }

    /// The blocks libocfs2 writes into a quota file (each with its trailer's
    /// check); the rest of its clusters stay as they were.
    fn quota_file(&mut self, list: &[Extent], q: QuotaFile) -> Result<()> {
        let bs = self.bs;
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        let header = |magic: u32| {
            let mut h = DiskDqHeader::new_zeroed();
            h.dqh_magic.set(magic);
            h.dqh_version.set(QUOTA_VERSION);
            let mut b = vec![0u8; bs];
            b[..INFO_OFFSET].copy_from_slice(h.as_bytes());
            b
        };
        match q {
            QuotaFile::Local { ty } => {
                let mut b = header(ty.local_magic());
                let mut info = LocalDiskDqInfo::new_zeroed();
                info.dqi_flags.set(LOCAL_FLAG_CLEAN);
                info.dqi_chunks.set(1);
                info.dqi_blocks.set(2);
                b[INFO_OFFSET..INFO_OFFSET + 12].copy_from_slice(info.as_bytes());
                blocks.push(b);
                blocks.push(vec![0u8; bs]);
            }
            QuotaFile::Global { ty, blocks: n, inodes, space } => {
                let depth = tree_depth(bs);
                let data_blk = TREE_ROOT_BLOCK + depth;
                let mut b = header(ty.global_magic());
                let mut info = GlobalDiskDqInfo::new_zeroed();
                info.dqi_bgrace.set(DEFAULT_GRACE);
                info.dqi_igrace.set(DEFAULT_GRACE);
                info.dqi_syncms.set(DEFAULT_SYNC_MS);
                info.dqi_blocks.set(n);
                info.dqi_free_entry.set(data_blk);
                b[INFO_OFFSET..INFO_OFFSET + 24].copy_from_slice(info.as_bytes());
                blocks.push(b);
                // Id 0 takes reference 0 at every level: block k points at k + 1.
                for k in TREE_ROOT_BLOCK..data_blk {
                    let mut t = vec![0u8; bs];
                    t[..4].copy_from_slice(&(k + 1).to_le_bytes());
                    blocks.push(t);
                }
                let mut d = vec![0u8; bs];
                let mut dh = QtDiskDqdbHeader::new_zeroed();
                dh.dqdh_entries.set(1);
                d[..16].copy_from_slice(dh.as_bytes());
                let mut e = GlobalDiskDqBlk::unused();
                e.dqb_curinodes.set(inodes);
                e.dqb_curspace.set(space);
                let at = global_entry_offset(0);
                d[at..at + 88].copy_from_slice(e.as_bytes());
                blocks.push(d);
            }
        }
        let bpc = self.lay.plan.geometry.blocks_per_cluster();
        let phys = |n: u64| {
            list.iter().find_map(|e: &Extent| {
                let start = u64::from(e.cpos) * bpc;
                (n >= start && n < start + u64::from(e.clusters) * bpc).then(|| e.blkno + n - start)
            })
        };
        for (n, mut b) in blocks.into_iter().enumerate() {
            let blkno = phys(n as u64).ok_or_else(|| {
                crate::error::Error::invalid(
                    crate::error::InvalidKind::Internal,
                    format!("quota file block {n} is not allocated"),
                )
            })?;
            self.put(blkno, &mut b, Some(trailer_offset(bs)))?;
        }
        Ok(())
    }

    /// Fills in the directory trailer of `block`; returns where its check goes.
    fn trailer(&self, block: &mut [u8], blkno: u64, dir: u64, free_rec_len: u16) -> usize {
        let at = self.bs - TRAILER_SIZE;
        let mut t = DirTrailer::new_zeroed();
        t.db_compat_rec_len.set(TRAILER_SIZE as u16);
        t.db_free_rec_len.set(free_rec_len);
        t.db_signature = *TRAILER_SIGNATURE;
        t.db_blkno.set(blkno);
        t.db_parent_dinode.set(dir);
        block[at..].copy_from_slice(t.as_bytes());
        at + 56
    }

    fn journal_super(&self, rec: &InodeRec) -> Vec<u8> {
        let blocks =
            (u64::from(rec.clusters) << self.lay.plan.geometry.cluster_bits) >> self.lay.plan.geometry.block_bits;
        let mut j = jbd2::Superblock::new_zeroed();
        j.s_header.h_magic.set(jbd2::MAGIC);
        j.s_header.h_blocktype.set(jbd2::block_type::SUPERBLOCK_V2);
        j.s_blocksize.set(self.lay.plan.geometry.block_size);
        j.s_maxlen.set(blocks as u32);
        j.s_first.set(if self.bs == 512 { 2 } else { 1 });
        j.s_start.set(1);
        j.s_sequence.set(1);
        j.s_nr_users.set(1);
        j.s_uuid = self.r.uuid;
        if self.lay.plan.journal64 {
            j.s_feature_incompat.set(jbd2::incompat::BIT64);
        }
        let mut block = vec![0u8; self.bs];
        let n = j.as_bytes().len().min(self.bs);
        block[..n].copy_from_slice(&j.as_bytes()[..n]);
        block
    }

    fn backups(&mut self) -> Result<()> {
        let cs = self.cluster_bytes();
        for &b in &self.lay.backups.clone() {
            let cluster_start = (self.at(b) / cs) * cs;
            self.sink.zero_range(cluster_start, cs)?;
            let block = self.superblock(b)?;
            self.sink.write_at(self.at(b), &block)?;
        }
        Ok(())
    }

    /// Blocks 0 and 1: filled with 0x02, with "this is an ocfs2 volume" where an
    /// OCFS (version 1) volume header and label keep their signature, mount point,
    /// label and cluster name, so that OCFS1 tools do not take the volume for theirs.
    fn leading_space(&mut self) -> Result<()> {
        let mut buf = vec![2u8; 2 * self.bs];
        for at in [8usize, 136, 512 + 48, 512 + 132] {
            let s = b"this is an ocfs2 volume\0";
            buf[at..at + s.len()].copy_from_slice(s);
        }
        self.sink.write_at(0, &buf)
    }

    /// The superblock dinode as stored at `blkno` (the primary or a backup).
    fn superblock(&self, blkno: u64) -> Result<Vec<u8>> {
        let lay = self.lay;
        let p = &lay.plan;
        let f = lay.features;
        let t = self.r.time;
        let mut h = DinodeHeader::new_zeroed();
        h.i_signature = *SUPERBLOCK_SIGNATURE;
        h.i_suballoc_slot.set(SUBALLOC_GLOBAL);
        h.i_suballoc_bit.set(0xffff);
        h.i_generation.set(self.r.generation);
        h.i_fs_generation.set(self.r.generation);
        h.i_ctime.set(t);
        h.i_mtime.set(t);
        h.i_blkno.set(blkno);
        h.i_flags.set(
            crate::layout::dinode::flags::VALID
                | crate::layout::dinode::flags::SYSTEM
                | crate::layout::dinode::flags::SUPER_BLOCK,
        );
        h.i_clusters.set(p.geometry.clusters);
        let mut s = SuperBlock::new_zeroed();
        s.s_major_rev_level.set(0);
        s.s_minor_rev_level.set(90);
        s.s_max_mnt_count.set(20);
        s.s_lastcheck.set(t);
        s.s_feature_compat.set(f.compat);
        s.s_feature_incompat.set(f.incompat);
        s.s_feature_ro_compat.set(f.ro_compat);
        s.s_root_blkno.set(lay.inodes[lay.root].blkno);
        s.s_system_dir_blkno.set(lay.inodes[lay.sysdir].blkno);
        s.s_blocksize_bits.set(p.geometry.block_bits);
        s.s_clustersize_bits.set(p.geometry.cluster_bits);
        s.s_max_slots.set(p.slots);
        s.s_first_cluster_group.set(lay.first_group_blkno);
        s.s_label[..p.label.len()].copy_from_slice(&p.label);
        s.s_uuid = self.r.uuid;
        if let Some(st) = &p.stack {
            let n = st.stack.len().min(4);
            s.s_cluster_info.ci_stack[..n].copy_from_slice(&st.stack.as_bytes()[..n]);
            let n = st.name.len().min(16);
            s.s_cluster_info.ci_cluster[..n].copy_from_slice(&st.name.as_bytes()[..n]);
            if st.global_heartbeat {
                s.s_cluster_info.ci_stackflags = CLUSTER_O2CB_GLOBAL_HEARTBEAT;
            }
        }
        if f.has_incompat(incompat::XATTR) {
            s.s_xattr_inline_size.set(256);
        }
        if f.has_incompat(incompat::XATTR) || f.has_incompat(incompat::INDEXED_DIRS) {
            s.s_uuid_hash.set(uuid_hash(&self.r.uuid));
        }
        if f.has_incompat(incompat::INDEXED_DIRS) {
            for (d, v) in s.s_dx_seed.iter_mut().zip(self.r.dx_seed) {
                d.set(v);
            }
        }
        if blkno != SUPERBLOCK_BLKNO {
            s.s_feature_compat.set(s.s_feature_compat.get() | compat::BACKUP_SB);
        }
        let mut block = vec![0u8; self.bs];
        block[..ID2_OFFSET].copy_from_slice(h.as_bytes());
        block[ID2_OFFSET..ID2_OFFSET + 320].copy_from_slice(s.as_bytes());
        if f.has_incompat(incompat::META_ECC) {
            blockcheck::compute(&mut block, 128)?;
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_hash_matches_mkfs() {
        // debugfs.ocfs2 stats of a mkfs.ocfs2 volume made with this UUID.
        let uuid = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        assert_eq!(uuid_hash(&uuid), 0x7a03_7a03);
    }

    #[test]
    fn seeded_randomness_is_reproducible() {
        let a = Randomness::from_seed(7, [1; 16], 1000);
        assert_eq!(a, Randomness::from_seed(7, [1; 16], 1000));
        assert_ne!(a.generation, Randomness::from_seed(8, [1; 16], 1000).generation);
    }
}
