//! JBD2 journal blocks, as OCFS2 uses them: superblock (V2), descriptor blocks
//! and their tags, commit blocks and revoke blocks. Unlike the rest of OCFS2,
//! every JBD2 field is big-endian.

use zerocopy::big_endian::{U32 as Be32, U64 as Be64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, view_at};
use crate::error::{Error, Result, Value};

/// `h_magic` of every JBD2 block.
pub const MAGIC: u32 = 0xC03B_3998;

/// `h_blocktype` values.
pub mod block_type {
    /// Descriptor block: tags for the data blocks that follow.
    pub const DESCRIPTOR: u32 = 1;
    /// Commit block: closes a transaction.
    pub const COMMIT: u32 = 2;
    /// Version 1 superblock (never used by OCFS2).
    pub const SUPERBLOCK_V1: u32 = 3;
    /// Version 2 superblock.
    pub const SUPERBLOCK_V2: u32 = 4;
    /// Revoke block: blocks earlier transactions must not replay.
    pub const REVOKE: u32 = 5;
}

/// Incompat feature bits of the journal superblock.
pub mod incompat {
    /// Revoke blocks may be present.
    pub const REVOKE: u32 = 0x1;
    /// Block numbers are 64 bits (tags carry `t_blocknr_high`).
    pub const BIT64: u32 = 0x2;
    /// Commit blocks may be written asynchronously.
    pub const ASYNC_COMMIT: u32 = 0x4;
    /// Checksum v2.
    pub const CSUM_V2: u32 = 0x8;
    /// Checksum v3.
    pub const CSUM_V3: u32 = 0x10;
    /// Fast commits.
    pub const FAST_COMMIT: u32 = 0x20;
    /// The bits this crate can walk. Checksums (v2/v3) change the tag and
    /// descriptor layout, which is decoded, but they are not verified.
    pub const SUPPORTED: u32 = REVOKE | BIT64 | ASYNC_COMMIT | CSUM_V2 | CSUM_V3;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (REVOKE, "revoke"),
        (BIT64, "block64"),
        (ASYNC_COMMIT, "async-commit"),
        (CSUM_V2, "csum-v2"),
        (CSUM_V3, "csum-v3"),
        (FAST_COMMIT, "fast-commit"),
    ];
}

/// Descriptor tag flags.
pub mod tag_flags {
    /// The data block began with the JBD2 magic, which was zeroed; restore it.
    pub const ESCAPE: u32 = 0x1;
    /// No UUID follows this tag.
    pub const SAME_UUID: u32 = 0x2;
    /// The block was deleted by this transaction.
    pub const DELETED: u32 = 0x4;
    /// The last tag of the descriptor.
    pub const LAST_TAG: u32 = 0x8;
    /// Names as debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (ESCAPE, "JBD2_FLAG_ESCAPE"),
        (SAME_UUID, "JBD2_FLAG_SAME_UUID"),
        (DELETED, "JBD2_FLAG_DELETED"),
        (LAST_TAG, "JBD2_FLAG_LAST_TAG"),
    ];
}

/// `journal_header_t`: the first 12 bytes of every JBD2 block.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct Header {
    pub h_magic: Be32,
    pub h_blocktype: Be32,
    pub h_sequence: Be32,
}
assert_size!(Header, 12);

/// `journal_superblock_t` (1024 bytes), with the fields modern kernels added in
/// what the tools header calls padding.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct Superblock {
    pub s_header: Header,
    pub s_blocksize: Be32,
    pub s_maxlen: Be32,
    pub s_first: Be32,
    pub s_sequence: Be32,
    pub s_start: Be32,
    pub s_errno: Be32,
    pub s_feature_compat: Be32,
    pub s_feature_incompat: Be32,
    pub s_feature_ro_compat: Be32,
    pub s_uuid: [u8; 16],
    pub s_nr_users: Be32,
    pub s_dynsuper: Be32,
    pub s_max_transaction: Be32,
    pub s_max_trans_data: Be32,
    pub s_checksum_type: u8,
    pub s_padding2: [u8; 3],
    pub s_num_fc_blks: Be32,
    pub s_padding: [u8; 164],
    pub s_checksum: Be32,
    pub s_users: [u8; 768],
}
assert_size!(Superblock, 1024);

impl Superblock {
    /// Parses and checks the journal superblock (block 0 of the journal file at
    /// fs block `blkno`): magic, V2 type, block size and bounds of the log.
    pub fn parse(block: &[u8], blkno: u64, fs_block_size: u32) -> Result<&Superblock> {
        let s = "journal_superblock_t";
        let sb = view_at::<Superblock>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "s_header", "a 1024-byte superblock", block.len()))?;
        if sb.s_header.h_magic.get() != MAGIC {
            return Err(Error::corrupt(
                blkno,
                s,
                "h_magic",
                Value::Hex(MAGIC.into()),
                Value::Hex(sb.s_header.h_magic.get().into()),
            ));
        }
        let t = sb.s_header.h_blocktype.get();
        if t == block_type::SUPERBLOCK_V1 {
            return Err(Error::Unsupported { what: "JBD2 superblock version 1", bit: u64::from(t) });
        }
        if t != block_type::SUPERBLOCK_V2 {
            return Err(Error::corrupt(blkno, s, "h_blocktype", block_type::SUPERBLOCK_V2, t));
        }
        if sb.s_blocksize.get() != fs_block_size {
            return Err(Error::corrupt(blkno, s, "s_blocksize", fs_block_size, sb.s_blocksize.get()));
        }
        let (first, max) = (sb.s_first.get(), sb.s_maxlen.get());
        if first == 0 || first >= max {
            return Err(Error::corrupt(blkno, s, "s_first", Value::Range(1..u64::from(max)), first));
        }
        // mkfs.ocfs2 writes s_start = 1 even when the log starts at block 2
        // (512-byte blocks, where the superblock takes two): accept 1..max.
        let start = sb.s_start.get();
        if start != 0 && !(1..max).contains(&start) {
            return Err(Error::corrupt(blkno, s, "s_start", format!("0 or in 1..{max}"), start));
        }
        Ok(sb)
    }

    /// Whether the log holds transactions to replay (`s_start != 0`).
    pub fn needs_recovery(&self) -> bool {
        self.s_start.get() != 0
    }

    /// Incompat bits this crate cannot decode (FAST_COMMIT, which OCFS2 never
    /// sets, and bits no kernel defines).
    pub fn unsupported_incompat(&self) -> u32 {
        self.s_feature_incompat.get() & !incompat::SUPPORTED
    }

    /// How descriptor tags are laid out under this journal's features.
    pub fn tag_layout(&self) -> TagLayout {
        TagLayout::for_features(self.s_feature_incompat.get())
    }

    /// Size of one descriptor tag (see [`Superblock::tag_layout`]).
    pub fn tag_size(&self) -> usize {
        self.tag_layout().size
    }

    /// Size of one revoke record: 8 bytes with 64BIT, else 4.
    pub fn revoke_record_size(&self) -> usize {
        if self.s_feature_incompat.get() & incompat::BIT64 != 0 {
            8
        } else {
            4
        }
    }
}

/// `commit_header` (64 bytes). OCFS2 never sets the checksum fields, but the
/// kernel always records the commit time.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct CommitHeader {
    pub h_header: Header,
    pub h_chksum_type: u8,
    pub h_chksum_size: u8,
    pub h_padding: [u8; 2],
    pub h_chksum: [Be32; 8],
    pub h_commit_sec: Be64,
    pub h_commit_nsec: Be32,
}
assert_size!(CommitHeader, 60);

/// `jbd2_journal_revoke_header_t` (16 bytes); block numbers follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct RevokeHeader {
    pub r_header: Header,
    /// Bytes used in the block, including this header.
    pub r_count: Be32,
}
assert_size!(RevokeHeader, 16);

/// One decoded descriptor tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Home location of the logged block (an absolute fs block number).
    pub blocknr: u64,
    /// [`tag_flags`] bits.
    pub flags: u32,
    /// The UUID that follows the tag, when it is not SAME_UUID.
    pub uuid: Option<[u8; 16]>,
}

/// Where the fields of a descriptor tag are, from the journal's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagLayout {
    /// Bytes per tag, without the UUID that may follow.
    pub size: usize,
    /// Whether `t_blocknr_high` counts (64BIT).
    pub wide: bool,
    /// Bytes at the end of a descriptor or revoke block that hold its checksum
    /// tail (4 with CSUM_V2/V3) and no tags or records.
    pub tail: usize,
}

impl TagLayout {
    /// The layout under the journal's incompat features.
    pub fn for_features(incompat: u32) -> TagLayout {
        let wide = incompat & incompat::BIT64 != 0;
        let csum = incompat & (incompat::CSUM_V2 | incompat::CSUM_V3) != 0;
        // The kernel's journal_tag_bytes: tag3 is always 16 bytes; the v1/v2 tag is
        // 12, plus the 16-bit checksum with CSUM_V2, less t_blocknr_high without 64BIT.
        let size = if incompat & incompat::CSUM_V3 != 0 {
            16
        } else {
            12 + if incompat & incompat::CSUM_V2 != 0 { 2 } else { 0 } - if wide { 0 } else { 4 }
        };
        TagLayout { size, wide, tail: if csum { 4 } else { 0 } }
    }

    /// The layout without checksum features: 8-byte tags, or 12 with 64BIT.
    pub fn plain(wide: bool) -> TagLayout {
        TagLayout { size: if wide { 12 } else { 8 }, wide, tail: 0 }
    }
}

/// Decodes the tags of a descriptor block. Tags end at LAST_TAG or where the
/// block (less its checksum tail) has no room for another; the count is thereby
/// bounded by the block. A tag whose UUID would run past the end still counts, as
/// in the kernel's `count_tags`.
pub fn descriptor_tags(block: &[u8], layout: TagLayout) -> Vec<Tag> {
    let tag_size = layout.size.max(8);
    let end = block.len().saturating_sub(layout.tail);
    let mut tags = Vec::new();
    let mut at = 12;
    while at + tag_size <= end {
        let raw = &block[at..at + tag_size];
        let be = |o: usize| u32::from_be_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
        // Both tag kinds keep the flags in bytes 6-7: the low half of tag3's 32-bit
        // t_flags, or the 16 bits after the v2 tag's checksum.
        let flags = be(4) & 0xffff;
        let high = if layout.wide && tag_size >= 12 { u64::from(be(8)) } else { 0 };
        at += tag_size;
        let uuid = if flags & tag_flags::SAME_UUID == 0 {
            let u = block.get(at..at + 16).and_then(|u| <[u8; 16]>::try_from(u).ok());
            at += 16;
            u
        } else {
            None
        };
        tags.push(Tag { blocknr: high << 32 | u64::from(be(0)), flags, uuid });
        if flags & tag_flags::LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// Decodes the block numbers of a revoke block, bounded by the block and by
/// `r_count`. Pass the block less its checksum tail, if the journal has one: the
/// kernel rejects an `r_count` that runs into it.
pub fn revoke_records(block: &[u8], blkno: u64, record_size: usize) -> Result<Vec<u64>> {
    let s = "jbd2_journal_revoke_header_t";
    let h = view_at::<RevokeHeader>(block, 0)
        .ok_or_else(|| Error::corrupt(blkno, s, "r_count", "a 16-byte header", block.len()))?;
    let count = h.r_count.get() as usize;
    if count < 16 || count > block.len() {
        return Err(Error::corrupt(blkno, s, "r_count", format!("in 16..={}", block.len()), count));
    }
    Ok(block[16..count]
        .chunks_exact(record_size)
        .map(|c| {
            if record_size == 8 {
                u64::from_be_bytes(c.try_into().unwrap_or_default())
            } else {
                u64::from(u32::from_be_bytes(c.try_into().unwrap_or_default()))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(Superblock, s_blocksize), 12);
        assert_eq!(offset_of!(Superblock, s_maxlen), 16);
        assert_eq!(offset_of!(Superblock, s_first), 20);
        assert_eq!(offset_of!(Superblock, s_sequence), 24);
        assert_eq!(offset_of!(Superblock, s_start), 28);
        assert_eq!(offset_of!(Superblock, s_errno), 32);
        assert_eq!(offset_of!(Superblock, s_feature_compat), 36);
        assert_eq!(offset_of!(Superblock, s_feature_incompat), 40);
        assert_eq!(offset_of!(Superblock, s_uuid), 48);
        assert_eq!(offset_of!(Superblock, s_nr_users), 64);
        assert_eq!(offset_of!(Superblock, s_max_trans_data), 76);
        assert_eq!(offset_of!(Superblock, s_checksum_type), 0x50);
        assert_eq!(offset_of!(Superblock, s_num_fc_blks), 0x54);
        assert_eq!(offset_of!(Superblock, s_checksum), 0xfc);
        assert_eq!(offset_of!(Superblock, s_users), 256);
        assert_eq!(offset_of!(CommitHeader, h_chksum), 16);
        assert_eq!(offset_of!(CommitHeader, h_commit_sec), 48);
        assert_eq!(offset_of!(CommitHeader, h_commit_nsec), 56);
        assert_eq!(offset_of!(RevokeHeader, r_count), 12);
    }

    fn tag(buf: &mut Vec<u8>, blk: u64, flags: u32, wide: bool) {
        buf.extend_from_slice(&(blk as u32).to_be_bytes());
        buf.extend_from_slice(&flags.to_be_bytes());
        if wide {
            buf.extend_from_slice(&((blk >> 32) as u32).to_be_bytes());
        }
        if flags & tag_flags::SAME_UUID == 0 {
            buf.extend_from_slice(&[0xab; 16]);
        }
    }

    #[test]
    fn tags_round_trip_in_both_widths() {
        for wide in [false, true] {
            let mut b = vec![0u8; 12];
            tag(&mut b, 0x1_0000_0007, 0, wide);
            tag(&mut b, 9, tag_flags::SAME_UUID | tag_flags::ESCAPE, wide);
            tag(&mut b, 11, tag_flags::SAME_UUID | tag_flags::LAST_TAG, wide);
            b.resize(512, 0xff); // junk after the last tag is ignored
            let t = descriptor_tags(&b, TagLayout::plain(wide));
            assert_eq!(t.len(), 3);
            assert_eq!(t[0].blocknr, if wide { 0x1_0000_0007 } else { 7 });
            assert_eq!(t[0].uuid, Some([0xab; 16]));
            assert_eq!((t[1].blocknr, t[1].flags, t[1].uuid), (9, tag_flags::SAME_UUID | tag_flags::ESCAPE, None));
            assert_eq!(t[2].blocknr, 11);
        }
    }

    #[test]
    fn revoke_count_is_bounded() {
        let mut b = vec![0u8; 64];
        b[12..16].copy_from_slice(&24u32.to_be_bytes());
        b[16..20].copy_from_slice(&5u32.to_be_bytes());
        b[20..24].copy_from_slice(&6u32.to_be_bytes());
        assert_eq!(revoke_records(&b, 1, 4).unwrap(), vec![5, 6]);
        b[12..16].copy_from_slice(&65u32.to_be_bytes());
        assert_eq!(revoke_records(&b, 1, 4).unwrap_err().corruption().unwrap().field, "r_count");
    }
}
