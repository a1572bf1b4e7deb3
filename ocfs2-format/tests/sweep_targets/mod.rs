//! Which bytes the corruption sweep damages: metadata blocks found by
//! signature, sampled per kind with a fixed seed, and the offsets of their
//! header fields. Shared by the library tier (ocfs2-format/tests/sweep.rs) and
//! the CLI tier (ocfs2-inspect/tests/sweep_cli.rs), so both damage the same
//! bytes.
#![allow(dead_code)] // each tier uses its own part (`per_kind`, `cli_per_kind`)

use std::mem::{offset_of, size_of};
use std::time::Duration;

use ocfs2_format::io::{BlockSource, MemSource};
use ocfs2_format::layout::dinode::DinodeHeader;
use ocfs2_format::layout::dir::DirTrailer;
use ocfs2_format::layout::dx::{DxLeaf, DxRootBlock};
use ocfs2_format::layout::extent::{ExtentBlock, ExtentList, ExtentRec};
use ocfs2_format::layout::group::GroupDesc;
use ocfs2_format::layout::jbd2;
use ocfs2_format::layout::refcount::RefcountBlock;
use ocfs2_format::layout::superblock::SuperBlock;
use ocfs2_format::layout::xattr::{XattrBlock, XattrHeader};

/// How long one damaged copy may take, in either tier.
pub const WATCHDOG: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Superblock,
    Inode,
    ExtentBlock,
    Group,
    DirBlock,
    DxRoot,
    DxLeaf,
    XattrBlock,
    Refcount,
    Jbd2Super,
}

/// Offsets where each field of the kind's header starts, from the layout structs.
pub fn field_offsets(kind: Kind, bs: usize) -> Vec<usize> {
    macro_rules! offs {
        ($base:expr, $t:ty: $($f:ident),+ $(,)?) => { vec![$($base + offset_of!($t, $f)),+] };
    }
    let el = |base: usize| {
        let mut v = offs!(base, ExtentList: l_tree_depth, l_count, l_next_free_rec);
        let r = base + size_of::<ExtentList>();
        v.extend(offs!(r, ExtentRec: e_cpos, e_leaf_clusters, e_flags, e_blkno));
        v
    };
    let di = || {
        offs!(0, DinodeHeader: i_signature, i_generation, i_suballoc_slot, i_suballoc_bit, i_links_count_hi,
            i_xattr_inline_size, i_clusters, i_uid, i_size, i_mode, i_links_count, i_flags, i_dtime, i_blkno,
            i_last_eb_blk, i_fs_generation, i_orphaned_slot, i_dyn_features, i_xattr_loc, i_check, i_dx_root,
            i_refcount_loc, i_suballoc_loc, id1)
    };
    let id2 = size_of::<DinodeHeader>();
    match kind {
        Kind::Superblock => {
            let mut v = di();
            v.extend(offs!(id2, SuperBlock: s_major_rev_level, s_minor_rev_level, s_state, s_feature_compat,
                s_feature_incompat, s_feature_ro_compat, s_root_blkno, s_system_dir_blkno, s_blocksize_bits,
                s_clustersize_bits, s_max_slots, s_first_cluster_group, s_uuid, s_cluster_info,
                s_xattr_inline_size, s_dx_seed));
            v
        }
        Kind::Inode => {
            let mut v = di();
            v.extend(el(id2)); // the id2 union: extent list, chain list, inline data...
            v.push(id2 + 0x40);
            v
        }
        Kind::ExtentBlock => {
            let mut v = offs!(0, ExtentBlock: h_signature, h_check, h_suballoc_slot, h_suballoc_bit,
                h_fs_generation, h_blkno, h_suballoc_loc, h_next_leaf_blk);
            v.extend(el(offset_of!(ExtentBlock, h_list)));
            v
        }
        Kind::Group => offs!(0, GroupDesc: bg_signature, bg_size, bg_bits, bg_free_bits_count, bg_chain,
            bg_generation, bg_contig_free_bits, bg_next_group, bg_parent_dinode, bg_blkno, bg_check, bg_reserved2),
        Kind::DirBlock => {
            let t = bs - size_of::<DirTrailer>();
            let mut v = offs!(t, DirTrailer: db_compat_inode, db_compat_rec_len, db_compat_name_len,
                db_free_rec_len, db_signature, db_free_next, db_blkno, db_parent_dinode, db_check);
            v.extend([0, 4, 6, 7, 12, 16, 18]); // the first entries' inode, rec_len, name_len, type
            v
        }
        Kind::DxRoot => offs!(0, DxRootBlock: dr_signature, dr_check, dr_suballoc_slot, dr_suballoc_bit,
            dr_fs_generation, dr_blkno, dr_last_eb_blk, dr_clusters, dr_flags, dr_dir_blkno, dr_num_entries,
            dr_free_blk, dr_suballoc_loc, dr_reserved3),
        Kind::DxLeaf => {
            let mut v = offs!(0, DxLeaf: dl_signature, dl_check, dl_blkno, dl_fs_generation, dl_list);
            let l = offset_of!(DxLeaf, dl_list);
            v.extend([l + 4, l + 6, l + 8, l + 12]); // de_count, de_num_used, first entry
            v
        }
        Kind::XattrBlock => {
            let mut v = offs!(0, XattrBlock: xb_signature, xb_suballoc_slot, xb_suballoc_bit, xb_fs_generation,
                xb_blkno, xb_check, xb_flags, xb_suballoc_loc);
            let h = size_of::<XattrBlock>();
            v.extend(offs!(h, XattrHeader: xh_count, xh_free_start, xh_name_value_len, xh_num_buckets));
            let e = h + size_of::<XattrHeader>();
            v.extend([e, e + 4, e + 6, e + 7, e + 8]); // first entry: hash, name offset/len, type, value size
            v
        }
        Kind::Refcount => {
            let mut v = offs!(0, RefcountBlock: rf_signature, rf_suballoc_slot, rf_suballoc_bit, rf_fs_generation,
                rf_blkno, rf_parent, rf_check, rf_last_eb_blk, rf_count, rf_flags, rf_clusters, rf_cpos,
                rf_generation, rf_suballoc_loc);
            let b = size_of::<RefcountBlock>();
            v.extend([b, b + 2, b + 16, b + 24, b + 28]); // rl_count, rl_used, first record
            v
        }
        Kind::Jbd2Super => offs!(0, jbd2::Superblock: s_header, s_blocksize, s_maxlen, s_first, s_sequence,
            s_start, s_errno, s_feature_compat, s_feature_incompat, s_uuid, s_nr_users, s_checksum_type),
    }
}

/// A tiny deterministic generator (xorshift64*).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every metadata block of the image, by kind.
pub fn find_blocks(src: &MemSource, bs: usize) -> Vec<(Kind, u64)> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; bs];
    let blocks = src.size() / bs as u64;
    let tsig = size_of::<DirTrailer>() - offset_of!(DirTrailer, db_signature);
    for b in 0..blocks {
        src.read_at(b * bs as u64, &mut buf).unwrap();
        let kind = match &buf[..8] {
            b"OCFSV2\0\0" => Kind::Superblock,
            b"INODE01\0" => Kind::Inode,
            b"EXBLK01\0" => Kind::ExtentBlock,
            b"GROUP01\0" => Kind::Group,
            b"DXDIR01\0" => Kind::DxRoot,
            b"DXLEAF1\0" => Kind::DxLeaf,
            b"XATTR01\0" => Kind::XattrBlock,
            b"REFCNT1\0" => Kind::Refcount,
            _ if &buf[bs - tsig..][..8] == b"DIRTRL1\0" => Kind::DirBlock,
            _ if u32::from_be_bytes(buf[..4].try_into().unwrap()) == jbd2::MAGIC
                && matches!(u32::from_be_bytes(buf[4..8].try_into().unwrap()), 3 | 4) =>
            {
                Kind::Jbd2Super
            }
            _ => continue,
        };
        out.push((kind, b));
    }
    out
}

/// Up to `per_kind` blocks of each kind: the first ones and random others.
pub fn sample(blocks: &[(Kind, u64)], per_kind: usize, rng: &mut Rng) -> Vec<(Kind, u64)> {
    let mut kinds: Vec<Kind> = blocks.iter().map(|b| b.0).collect();
    kinds.sort();
    kinds.dedup();
    let mut out = Vec::new();
    for k in kinds {
        let of: Vec<u64> = blocks.iter().filter(|b| b.0 == k).map(|b| b.1).collect();
        let mut pick: Vec<u64> = of.iter().copied().take(per_kind / 2).collect();
        while pick.len() < per_kind.min(of.len()) {
            let b = of[rng.below(of.len())];
            if !pick.contains(&b) {
                pick.push(b);
            }
        }
        out.extend(pick.into_iter().map(|b| (k, b)));
    }
    out
}

/// The damage at one offset, varied so counts see huge, zero and off-by-one
/// values (the last variant saturates a whole 32-bit field).
pub fn mutate(block: &mut [u8], off: usize, variant: usize) {
    match variant % 5 {
        0 => block[off] ^= 0xff,
        1 => block[off] = 0,
        2 => block[off] ^= 0x01,
        3 => block[off] = 0x80,
        _ => {
            let end = (off + 4).min(block.len());
            block[off..end].fill(0xff);
        }
    }
}

pub struct Plan {
    pub fixture: &'static str,
    /// Blocks sampled per kind for the library tier.
    pub per_kind: usize,
    /// Blocks per kind (of those) that also go through the CLI.
    pub cli_per_kind: usize,
    /// Random extra offsets per block.
    pub random: usize,
}

pub const PLANS: &[Plan] = &[
    Plan { fixture: "A-default", per_kind: 4, cli_per_kind: 1, random: 3 },
    Plan { fixture: "X-max", per_kind: 3, cli_per_kind: 1, random: 2 },
    // 1 KiB blocks, max features (library tier only).
    Plan { fixture: "M-max-1k", per_kind: 2, cli_per_kind: 0, random: 2 },
    // 512-byte blocks, extent trees three levels deep (library tier only).
    Plan { fixture: "E-extents", per_kind: 3, cli_per_kind: 0, random: 2 },
];
