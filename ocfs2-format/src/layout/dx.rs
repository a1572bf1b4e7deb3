//! Indexed directories: the dx root (`ocfs2_dx_root_block`, `DXDIR01`), dx leaves
//! (`ocfs2_dx_leaf`, `DXLEAF1`), their entries (`ocfs2_dx_entry`) and the name hash
//! that orders them.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::extent::ExtentListView;
use core::mem::offset_of;

use super::{assert_size, view_at, CountedList, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result};

/// Signature of a dx root block.
pub const DX_ROOT_SIGNATURE: &[u8; 8] = b"DXDIR01\0";
/// Signature of a dx leaf block.
pub const DX_LEAF_SIGNATURE: &[u8; 8] = b"DXLEAF1\0";
/// Byte offset of the union (`dr_list` or `dr_entries`) in a dx root block.
pub const DX_ROOT_UNION_OFFSET: usize = 192;
/// Byte offset of `dl_list` in a dx leaf block.
pub const DX_LEAF_LIST_OFFSET: usize = 40;
/// `dr_flags` bit: the entries live in the root itself (`dr_entries`).
pub const DX_FLAG_INLINE: u8 = 0x1;

/// `ocfs2_dx_entry` (16 bytes): one name's hash and the directory block holding it.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DxEntry {
    pub dx_major_hash: Le32,
    pub dx_minor_hash: Le32,
    pub dx_dirent_blk: Le64,
}
assert_size!(DxEntry, 16);

/// `ocfs2_dx_entry_list` header (8 bytes); entries follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DxEntryList {
    pub de_reserved: Le32,
    pub de_count: Le16,
    pub de_num_used: Le16,
}
assert_size!(DxEntryList, 8);

/// The fixed 192-byte part of `ocfs2_dx_root_block`; the union follows at 192.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DxRootBlock {
    pub dr_signature: [u8; 8],
    pub dr_check: BlockCheck,
    pub dr_suballoc_slot: Le16,
    pub dr_suballoc_bit: Le16,
    pub dr_fs_generation: Le32,
    pub dr_blkno: Le64,
    pub dr_last_eb_blk: Le64,
    pub dr_clusters: Le32,
    pub dr_flags: u8,
    pub dr_reserved0: u8,
    pub dr_reserved1: Le16,
    pub dr_dir_blkno: Le64,
    pub dr_num_entries: Le32,
    pub dr_reserved2: Le32,
    pub dr_free_blk: Le64,
    pub dr_suballoc_loc: Le64,
    pub dr_reserved3: [Le64; 14],
}

impl DxRootBlock {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_dx_root_block",
        signature: DX_ROOT_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(DxRootBlock, dr_signature)),
        check_at: MetaAt::Head(offset_of!(DxRootBlock, dr_check)),
        blkno_at: MetaAt::Head(offset_of!(DxRootBlock, dr_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(DxRootBlock, dr_fs_generation))),
    };
}
assert_size!(DxRootBlock, 192);

/// `ocfs2_dx_leaf` header including its `dl_list` header (48 bytes); entries follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DxLeaf {
    pub dl_signature: [u8; 8],
    pub dl_check: BlockCheck,
    pub dl_blkno: Le64,
    pub dl_fs_generation: Le32,
    pub dl_reserved0: Le32,
    pub dl_reserved1: Le64,
    pub dl_list: DxEntryList,
}

impl DxLeaf {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_dx_leaf",
        signature: DX_LEAF_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(DxLeaf, dl_signature)),
        check_at: MetaAt::Head(offset_of!(DxLeaf, dl_check)),
        blkno_at: MetaAt::Head(offset_of!(DxLeaf, dl_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(DxLeaf, dl_fs_generation))),
    };
}
assert_size!(DxLeaf, 48);

/// A counted list of dx entries with its used entries, bounded by its block.
#[derive(Debug, Clone, Copy)]
pub struct DxEntriesView<'a> {
    /// The list header (`de_count`, `de_num_used`).
    pub list: &'a DxEntryList,
    /// Entries `0..de_num_used`.
    pub entries: &'a [DxEntry],
}

impl<'a> DxEntriesView<'a> {
    fn parse(bytes: &'a [u8], at: usize, blkno: u64, structure: &'static str) -> Result<Self> {
        let list = view_at::<DxEntryList>(bytes, at)
            .ok_or_else(|| Error::corrupt(blkno, structure, "de_count", "an 8-byte list header", bytes.len()))?;
        let entries = CountedList { structure, count_field: "de_count", used_field: "de_num_used" }.records(
            bytes,
            at + 8,
            usize::from(list.de_count.get()),
            usize::from(list.de_num_used.get()),
            blkno,
        )?;
        Ok(DxEntriesView { list, entries })
    }
}

/// What a dx root holds after its header.
#[derive(Debug, Clone, Copy)]
pub enum DxRootBody<'a> {
    /// `dr_flags & INLINE`: the index entries themselves.
    Inline(DxEntriesView<'a>),
    /// An extent tree mapping major hashes (as cluster positions) to dx leaf clusters.
    Tree(ExtentListView<'a>),
}

/// A dx root block with its body, bounds-checked against the block.
#[derive(Debug, Clone, Copy)]
pub struct DxRootView<'a> {
    /// The fixed header.
    pub header: &'a DxRootBlock,
    /// Inline entries or the leaf extent tree.
    pub body: DxRootBody<'a>,
}

impl<'a> DxRootView<'a> {
    /// Parses a dx root read from `blkno` (validation of signature, location,
    /// generation and ECC is the volume's job).
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_dx_root_block";
        let header = view_at::<DxRootBlock>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "dr_list", "a 192-byte header", block.len()))?;
        let body = if header.dr_flags & DX_FLAG_INLINE != 0 {
            DxRootBody::Inline(DxEntriesView::parse(
                block,
                DX_ROOT_UNION_OFFSET,
                blkno,
                "ocfs2_dx_root_block.dr_entries",
            )?)
        } else {
            DxRootBody::Tree(ExtentListView::parse(block, DX_ROOT_UNION_OFFSET, blkno, "ocfs2_dx_root_block.dr_list")?)
        };
        Ok(DxRootView { header, body })
    }

    /// Whether the entries are held inline in the root.
    pub fn is_inline(&self) -> bool {
        self.header.dr_flags & DX_FLAG_INLINE != 0
    }
}

/// A dx leaf with its used entries, bounds-checked against the block.
#[derive(Debug, Clone, Copy)]
pub struct DxLeafView<'a> {
    /// The header.
    pub header: &'a DxLeaf,
    /// `dl_list` and its used entries.
    pub entries: DxEntriesView<'a>,
}

impl<'a> DxLeafView<'a> {
    /// Parses a dx leaf read from `blkno`.
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let header = view_at::<DxLeaf>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, "ocfs2_dx_leaf", "dl_list", "a 48-byte header", block.len()))?;
        let entries = DxEntriesView::parse(block, DX_LEAF_LIST_OFFSET, blkno, "ocfs2_dx_leaf.dl_list")?;
        Ok(DxLeafView { header, entries })
    }
}

/// Entries a dx leaf holds at block size `bs`.
pub const fn leaf_capacity(bs: usize) -> usize {
    (bs - 48) / 16
}

/// Entries a dx root holds inline at block size `bs`.
pub const fn inline_capacity(bs: usize) -> usize {
    (bs - 200) / 16
}

/// How name bytes widen to 32 bits before hashing (C `char` signedness of the
/// writer: signed in ocfs2-tools and x86 kernels before 6.2, unsigned after and on
/// arm64). Only names with bytes >= 0x80 hash differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashChar {
    /// Sign-extend each byte.
    #[default]
    Signed,
    /// Zero-extend each byte.
    Unsigned,
}

/// The seed of the directory-index hash: `s_dx_seed[0..3]` then `s_uuid_hash`, as
/// the kernel builds it. Only the first two words influence the result.
pub type DxSeed = [u32; 4];

/// A name's position in the index: `(major, minor)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DxHash {
    /// `dx_major_hash`: picks the leaf cluster.
    pub major: u32,
    /// `dx_minor_hash`: picks the block inside that cluster.
    pub minor: u32,
}

/// Packs up to 16 bytes of `name` into four words the way ext3's `str2hashbuf`
/// does: big-endian within each word, padded with the remaining length repeated in
/// every byte.
fn pack(name: &[u8], ch: HashChar) -> [u32; 4] {
    let len = name.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut out = [pad; 4];
    let take = name.len().min(16);
    let mut val = pad;
    for (i, &b) in name[..take].iter().enumerate() {
        if i % 4 == 0 {
            val = pad;
        }
        let c = match ch {
            HashChar::Signed => b as i8 as i32 as u32,
            HashChar::Unsigned => u32::from(b),
        };
        val = c.wrapping_add(val << 8);
        if i % 4 == 3 {
            out[i / 4] = val;
            val = pad;
        }
    }
    if take % 4 != 0 {
        out[take / 4] = val;
    }
    out
}

/// Sixteen rounds of TEA mixing `input` into `buf[0..2]`.
fn tea(buf: &mut [u32; 4], input: &[u32; 4]) {
    const DELTA: u32 = 0x9E37_79B9;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let [a, b, c, d] = *input;
    let mut sum = 0u32;
    for _ in 0..16 {
        sum = sum.wrapping_add(DELTA);
        b0 = b0.wrapping_add((b1 << 4).wrapping_add(a) ^ b1.wrapping_add(sum) ^ (b1 >> 5).wrapping_add(b));
        b1 = b1.wrapping_add((b0 << 4).wrapping_add(c) ^ b0.wrapping_add(sum) ^ (b0 >> 5).wrapping_add(d));
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

/// The directory-index hash of `name` (format reference §2.8): TEA over the name
/// in 16-byte chunks, starting from `seed`. `.` and `..` hash to (0, 0).
pub fn dx_hash(name: &[u8], seed: &DxSeed, ch: HashChar) -> DxHash {
    if name == b"." || name == b".." {
        return DxHash { major: 0, minor: 0 };
    }
    let mut buf = *seed;
    let mut rest = name;
    while !rest.is_empty() {
        tea(&mut buf, &pack(rest, ch));
        rest = &rest[rest.len().min(16)..];
    }
    DxHash { major: buf[0], minor: buf[1] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        // format.md §2.5, ocfs2_dx_root_block / ocfs2_dx_leaf / ocfs2_dx_entry
        assert_eq!(offset_of!(DxRootBlock, dr_check), 8);
        assert_eq!(offset_of!(DxRootBlock, dr_suballoc_slot), 16);
        assert_eq!(offset_of!(DxRootBlock, dr_suballoc_bit), 18);
        assert_eq!(offset_of!(DxRootBlock, dr_fs_generation), 20);
        assert_eq!(offset_of!(DxRootBlock, dr_blkno), 24);
        assert_eq!(offset_of!(DxRootBlock, dr_last_eb_blk), 32);
        assert_eq!(offset_of!(DxRootBlock, dr_clusters), 40);
        assert_eq!(offset_of!(DxRootBlock, dr_flags), 44);
        assert_eq!(offset_of!(DxRootBlock, dr_dir_blkno), 48);
        assert_eq!(offset_of!(DxRootBlock, dr_num_entries), 56);
        assert_eq!(offset_of!(DxRootBlock, dr_free_blk), 64);
        assert_eq!(offset_of!(DxRootBlock, dr_suballoc_loc), 72);
        assert_eq!(offset_of!(DxRootBlock, dr_reserved3), 80);
        assert_eq!(offset_of!(DxLeaf, dl_check), 8);
        assert_eq!(offset_of!(DxLeaf, dl_blkno), 16);
        assert_eq!(offset_of!(DxLeaf, dl_fs_generation), 24);
        assert_eq!(offset_of!(DxLeaf, dl_list), 40);
        assert_eq!(offset_of!(DxEntryList, de_count), 4);
        assert_eq!(offset_of!(DxEntryList, de_num_used), 6);
        assert_eq!(offset_of!(DxEntry, dx_minor_hash), 4);
        assert_eq!(offset_of!(DxEntry, dx_dirent_blk), 8);
    }

    #[test]
    fn capacities_match_reference_table() {
        for (bs, leaf, inline) in [(512, 29, 19), (1024, 61, 51), (2048, 125, 115), (4096, 253, 243)] {
            assert_eq!(leaf_capacity(bs), leaf);
            assert_eq!(inline_capacity(bs), inline);
        }
    }

    #[test]
    fn packing_pads_with_the_length() {
        // "abc": one word 'a','b','c' after the pad byte, then pad words.
        let pad = 0x0303_0303u32;
        let w = pack(b"abc", HashChar::Signed);
        assert_eq!(w, [((pad << 8).wrapping_add(0x61) << 8).wrapping_add(0x62) << 8 | 0x63, pad, pad, pad]);
        // Bytes >= 0x80 differ only in signedness.
        assert_ne!(pack(b"\xe9", HashChar::Signed), pack(b"\xe9", HashChar::Unsigned));
        assert_eq!(pack(b"e", HashChar::Signed), pack(b"e", HashChar::Unsigned));
    }

    #[test]
    fn dot_entries_hash_to_zero() {
        let seed = [1, 2, 3, 4];
        assert_eq!(dx_hash(b".", &seed, HashChar::Signed), DxHash { major: 0, minor: 0 });
        assert_eq!(dx_hash(b"..", &seed, HashChar::Signed), DxHash { major: 0, minor: 0 });
        assert_ne!(dx_hash(b"...", &seed, HashChar::Signed), DxHash { major: 0, minor: 0 });
        // Words 2 and 3 of the seed never matter (format reference §2.8).
        assert_eq!(
            dx_hash(b"e00042", &[1, 2, 3, 4], HashChar::Signed),
            dx_hash(b"e00042", &[1, 2, 9, 9], HashChar::Signed)
        );
    }

    #[test]
    fn rejects_counts_beyond_the_block() {
        let mut b = vec![0u8; 512];
        b[44..46].copy_from_slice(&30u16.to_le_bytes()); // capacity is 29
        let e = DxLeafView::parse(&b, 7).unwrap_err();
        assert_eq!(e.corruption().map(|c| c.field), Some("de_count"));
        b[44..46].copy_from_slice(&29u16.to_le_bytes());
        b[46..48].copy_from_slice(&30u16.to_le_bytes());
        let e = DxLeafView::parse(&b, 7).unwrap_err();
        assert_eq!(e.corruption().map(|c| c.field), Some("de_num_used"));
    }
}
