//! Extended attributes: the entry header shared by the inode's inline area, xattr
//! blocks (`ocfs2_xattr_block`, `XATTR01`) and buckets (`ocfs2_xattr_header`,
//! `ocfs2_xattr_entry`), value roots of values stored outside
//! (`ocfs2_xattr_value_root`), and POSIX ACL values.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::extent::{ExtentList, ExtentListView};
use core::mem::offset_of;

use super::{assert_size, view_at, CountedList, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result};

/// Signature of an xattr block.
pub const XATTR_BLOCK_SIGNATURE: &[u8; 8] = b"XATTR01\0";
/// Byte offset of `xb_attrs` (header or tree root) in an xattr block.
pub const XATTR_BLOCK_ATTRS_OFFSET: usize = 48;
/// `xb_flags` bit: the block roots a tree of buckets.
pub const XATTR_INDEXED: u16 = 0x1;
/// Bytes in a bucket, whatever the block size.
pub const BUCKET_SIZE: usize = 4096;
/// `xe_type` bit: the value is stored right after the name.
pub const XATTR_LOCAL: u8 = 0x80;
/// `xe_type` mask of the name index.
pub const XATTR_TYPE_MASK: u8 = 0x7f;
/// Values up to this size are stored locally (`OCFS2_XATTR_INLINE_SIZE`).
pub const XATTR_INLINE_SIZE: u64 = 80;
/// Bytes a value root takes in place of a value: the root and one record.
pub const VALUE_ROOT_SIZE: usize = 16 + 16 + 16;

/// Name indexes of `xe_type` and the prefix each one stands for.
pub mod name_index {
    /// `user.`
    pub const USER: u8 = 1;
    /// `system.posix_acl_access`
    pub const POSIX_ACL_ACCESS: u8 = 2;
    /// `system.posix_acl_default`
    pub const POSIX_ACL_DEFAULT: u8 = 3;
    /// `trusted.`
    pub const TRUSTED: u8 = 4;
    /// `security.`
    pub const SECURITY: u8 = 5;

    /// The prefix that the name stored on disk follows.
    pub fn prefix(index: u8) -> Option<&'static str> {
        Some(match index {
            USER => "user.",
            POSIX_ACL_ACCESS => "system.posix_acl_access",
            POSIX_ACL_DEFAULT => "system.posix_acl_default",
            TRUSTED => "trusted.",
            SECURITY => "security.",
            _ => return None,
        })
    }
}

/// `ocfs2_xattr_header` (16 bytes); entries follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct XattrHeader {
    pub xh_count: Le16,
    pub xh_free_start: Le16,
    pub xh_name_value_len: Le16,
    pub xh_num_buckets: Le16,
    pub xh_check: BlockCheck,
}
assert_size!(XattrHeader, 16);

/// `ocfs2_xattr_entry` (16 bytes).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct XattrEntry {
    pub xe_name_hash: Le32,
    pub xe_name_offset: Le16,
    pub xe_name_len: u8,
    pub xe_type: u8,
    pub xe_value_size: Le64,
}
assert_size!(XattrEntry, 16);

impl XattrEntry {
    /// The name index (see [`name_index`]).
    pub fn index(&self) -> u8 {
        self.xe_type & XATTR_TYPE_MASK
    }
    /// Whether the value is stored right after the name.
    pub fn is_local(&self) -> bool {
        self.xe_type & XATTR_LOCAL != 0
    }
}

/// `ocfs2_xattr_block` header (48 bytes); `xb_attrs` follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct XattrBlock {
    pub xb_signature: [u8; 8],
    pub xb_suballoc_slot: Le16,
    pub xb_suballoc_bit: Le16,
    pub xb_fs_generation: Le32,
    pub xb_blkno: Le64,
    pub xb_check: BlockCheck,
    pub xb_flags: Le16,
    pub xb_reserved0: Le16,
    pub xb_reserved1: Le32,
    pub xb_suballoc_loc: Le64,
}

impl XattrBlock {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_xattr_block",
        signature: XATTR_BLOCK_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(XattrBlock, xb_signature)),
        check_at: MetaAt::Head(offset_of!(XattrBlock, xb_check)),
        blkno_at: MetaAt::Head(offset_of!(XattrBlock, xb_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(XattrBlock, xb_fs_generation))),
    };
}
assert_size!(XattrBlock, 48);

/// `ocfs2_xattr_tree_root` header (16 bytes before its extent list).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct XattrTreeRoot {
    pub xt_clusters: Le32,
    pub xt_reserved0: Le32,
    pub xt_last_eb_blk: Le64,
    pub xt_list: ExtentList,
}
assert_size!(XattrTreeRoot, 32);

/// `ocfs2_xattr_value_root` header (16 bytes before its extent list).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct XattrValueRoot {
    pub xr_clusters: Le32,
    pub xr_reserved0: Le32,
    pub xr_last_eb_blk: Le64,
    pub xr_list: ExtentList,
}
assert_size!(XattrValueRoot, 32);

/// Bytes a name or local value occupies (`OCFS2_XATTR_SIZE`: rounded up to 4).
pub const fn padded(n: usize) -> usize {
    (n + 3) & !3
}

/// Where one entry's value is.
#[derive(Debug, Clone, Copy)]
pub enum XattrValue<'a> {
    /// Stored right after the name.
    Local(&'a [u8]),
    /// Stored in clusters described by this value root's extent tree.
    Tree {
        /// The root header.
        root: &'a XattrValueRoot,
        /// The root's extent list.
        list: ExtentListView<'a>,
        /// Byte offset of the root inside the region parsed.
        offset: usize,
    },
}

/// One entry of an xattr header with its name and value location.
#[derive(Debug, Clone, Copy)]
pub struct XattrItem<'a> {
    /// The entry.
    pub entry: &'a XattrEntry,
    /// The name as stored (without the prefix of its index).
    pub name: &'a [u8],
    /// The value or where it lives.
    pub value: XattrValue<'a>,
}

/// An xattr header with its entries, each bounds-checked against its region: the
/// inode's inline area, the rest of an xattr block, or a whole bucket. Name
/// offsets count from the start of the region.
#[derive(Debug, Clone, Copy)]
pub struct XattrHeaderView<'a> {
    /// The header.
    pub header: &'a XattrHeader,
    /// Entries `0..xh_count`.
    pub entries: &'a [XattrEntry],
    region: &'a [u8],
    blkno: u64,
    structure: &'static str,
}

impl<'a> XattrHeaderView<'a> {
    /// Parses the header at the start of `region`. `blkno` and `structure` name
    /// the place in errors.
    pub fn parse(region: &'a [u8], blkno: u64, structure: &'static str) -> Result<Self> {
        let header = view_at::<XattrHeader>(region, 0)
            .ok_or_else(|| Error::corrupt(blkno, structure, "xh_count", "a 16-byte header", region.len()))?;
        let count = usize::from(header.xh_count.get());
        // The header has no capacity field: the region bounds the count.
        let entries = CountedList { structure, count_field: "xh_count", used_field: "xh_count" }.records(
            region,
            16,
            count.min((region.len() - 16) / 16),
            count,
            blkno,
        )?;
        Ok(XattrHeaderView { header, entries, region, blkno, structure })
    }

    /// Entry `i` with its name and value, checked against the region.
    pub fn item(&self, i: usize) -> Result<XattrItem<'a>> {
        let bad =
            |field: &'static str, exp: String, act: String| Error::corrupt(self.blkno, self.structure, field, exp, act);
        let entry =
            self.entries.get(i).ok_or_else(|| bad("xh_count", format!("> {i}"), self.entries.len().to_string()))?;
        let off = usize::from(entry.xe_name_offset.get());
        let nlen = usize::from(entry.xe_name_len);
        let vat = off + padded(nlen);
        let name = self.region.get(off..off + nlen).ok_or_else(|| {
            bad("xe_name_offset", format!("a name inside the {}-byte region", self.region.len()), off.to_string())
        })?;
        let value = if entry.is_local() {
            let size = usize::try_from(entry.xe_value_size.get()).unwrap_or(usize::MAX);
            let v = vat.checked_add(size).and_then(|end| self.region.get(vat..end)).ok_or_else(|| {
                bad(
                    "xe_value_size",
                    format!("a local value inside the {}-byte region (at {vat})", self.region.len()),
                    size.to_string(),
                )
            })?;
            XattrValue::Local(v)
        } else {
            let root = view_at::<XattrValueRoot>(self.region, vat)
                .ok_or_else(|| bad("xe_name_offset", "room for a value root after the name".into(), off.to_string()))?;
            let end = (vat + VALUE_ROOT_SIZE).min(self.region.len());
            let list =
                ExtentListView::parse(&self.region[..end], vat + 16, self.blkno, "ocfs2_xattr_value_root.xr_list")?;
            XattrValue::Tree { root, list, offset: vat }
        };
        Ok(XattrItem { entry, name, value })
    }
}

/// The body of an xattr block.
#[derive(Debug, Clone, Copy)]
pub enum XattrBlockBody<'a> {
    /// Entries directly in the block (region: the block from byte 48).
    Header(XattrHeaderView<'a>),
    /// The root of a bucket tree: an extent tree keyed by name hash.
    Tree {
        /// The root header.
        root: &'a XattrTreeRoot,
        /// Its extent list.
        list: ExtentListView<'a>,
    },
}

/// An xattr block, bounds-checked.
#[derive(Debug, Clone, Copy)]
pub struct XattrBlockView<'a> {
    /// The block header.
    pub header: &'a XattrBlock,
    /// Entries or tree root.
    pub body: XattrBlockBody<'a>,
}

impl<'a> XattrBlockView<'a> {
    /// Parses an xattr block read from `blkno`.
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_xattr_block";
        let header = view_at::<XattrBlock>(block, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "xb_attrs", "a 48-byte header", block.len()))?;
        let at = XATTR_BLOCK_ATTRS_OFFSET;
        let body = if header.xb_flags.get() & XATTR_INDEXED != 0 {
            let root = view_at::<XattrTreeRoot>(block, at)
                .ok_or_else(|| Error::corrupt(blkno, s, "xb_root", "a tree root", block.len()))?;
            let list = ExtentListView::parse(block, at + 16, blkno, "ocfs2_xattr_block.xb_root.xt_list")?;
            XattrBlockBody::Tree { root, list }
        } else {
            XattrBlockBody::Header(XattrHeaderView::parse(&block[at..], blkno, "ocfs2_xattr_block.xb_header")?)
        };
        Ok(XattrBlockView { header, body })
    }
}

/// POSIX ACL tags.
pub mod acl_tag {
    /// The owner (`user::`).
    pub const USER_OBJ: u16 = 0x01;
    /// A named user (`user:ID:`).
    pub const USER: u16 = 0x02;
    /// The owning group (`group::`).
    pub const GROUP_OBJ: u16 = 0x04;
    /// A named group (`group:ID:`).
    pub const GROUP: u16 = 0x08;
    /// The mask (`mask::`).
    pub const MASK: u16 = 0x10;
    /// Everyone else (`other::`).
    pub const OTHER: u16 = 0x20;
}

/// One POSIX ACL entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclEntry {
    /// One of [`acl_tag`].
    pub tag: u16,
    /// rwx bits (4, 2, 1).
    pub perm: u16,
    /// User or group id for [`acl_tag::USER`] and [`acl_tag::GROUP`].
    pub id: u32,
}

impl AclEntry {
    /// The `getfacl` form: `user::rw-`, `group:100:r-x`, `other::r--`.
    pub fn text(&self) -> String {
        let (kind, id) = match self.tag {
            acl_tag::USER_OBJ => ("user", None),
            acl_tag::USER => ("user", Some(self.id)),
            acl_tag::GROUP_OBJ => ("group", None),
            acl_tag::GROUP => ("group", Some(self.id)),
            acl_tag::MASK => ("mask", None),
            acl_tag::OTHER => ("other", None),
            _ => ("unknown", Some(self.id)),
        };
        let p = |bit: u16, c: char| if self.perm & bit != 0 { c } else { '-' };
        format!("{kind}:{}:{}{}{}", id.map(|i| i.to_string()).unwrap_or_default(), p(4, 'r'), p(2, 'w'), p(1, 'x'))
    }
}

/// Decodes a POSIX ACL value: OCFS2's own on-disk form (a bare array of
/// `{le16 tag, le16 perm, le32 id}`), or the generic xattr form (a le32 version 2
/// header before the same entries). `None` if the bytes are neither.
pub fn decode_acl(value: &[u8]) -> Option<Vec<AclEntry>> {
    let body = match value.get(..4) {
        Some(v) if u32::from_le_bytes([v[0], v[1], v[2], v[3]]) == 2 => &value[4..],
        _ => value,
    };
    if body.is_empty() || body.len() % 8 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 8);
    for e in body.chunks_exact(8) {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        let perm = u16::from_le_bytes([e[2], e[3]]);
        if !matches!(tag, 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20) || perm > 7 {
            return None;
        }
        out.push(AclEntry { tag, perm, id: u32::from_le_bytes([e[4], e[5], e[6], e[7]]) });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(XattrHeader, xh_free_start), 2);
        assert_eq!(offset_of!(XattrHeader, xh_name_value_len), 4);
        assert_eq!(offset_of!(XattrHeader, xh_num_buckets), 6);
        assert_eq!(offset_of!(XattrHeader, xh_check), 8);
        assert_eq!(offset_of!(XattrEntry, xe_name_offset), 4);
        assert_eq!(offset_of!(XattrEntry, xe_name_len), 6);
        assert_eq!(offset_of!(XattrEntry, xe_type), 7);
        assert_eq!(offset_of!(XattrEntry, xe_value_size), 8);
        assert_eq!(offset_of!(XattrBlock, xb_suballoc_slot), 8);
        assert_eq!(offset_of!(XattrBlock, xb_fs_generation), 12);
        assert_eq!(offset_of!(XattrBlock, xb_blkno), 16);
        assert_eq!(offset_of!(XattrBlock, xb_check), 24);
        assert_eq!(offset_of!(XattrBlock, xb_flags), 32);
        assert_eq!(offset_of!(XattrBlock, xb_suballoc_loc), 40);
        // xb_root at block 48: xt_last_eb_blk at 56, xt_list at 64 (records at 80).
        assert_eq!(48 + offset_of!(XattrTreeRoot, xt_last_eb_blk), 56);
        assert_eq!(48 + offset_of!(XattrTreeRoot, xt_list), 64);
        assert_eq!(offset_of!(XattrValueRoot, xr_list), 16);
    }

    fn acl_bytes(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(t, p, i)| [&t.to_le_bytes()[..], &p.to_le_bytes(), &i.to_le_bytes()].concat())
            .collect()
    }

    #[test]
    fn acls_decode_in_both_forms() {
        let raw = acl_bytes(&[(1, 6, 0), (2, 4, 1000), (4, 5, 0), (0x10, 7, 0), (0x20, 4, 0)]);
        let text: Vec<String> = decode_acl(&raw).unwrap().iter().map(AclEntry::text).collect();
        assert_eq!(text, ["user::rw-", "user:1000:r--", "group::r-x", "mask::rwx", "other::r--"]);
        let mut generic = 2u32.to_le_bytes().to_vec();
        generic.extend_from_slice(&raw);
        assert_eq!(decode_acl(&generic), decode_acl(&raw));
        assert_eq!(decode_acl(b"hello"), None);
        assert_eq!(decode_acl(&acl_bytes(&[(0x40, 1, 0)])), None);
    }

    #[test]
    fn entries_are_bounded_by_their_region() {
        let mut r = vec![0u8; 64];
        r[0..2].copy_from_slice(&4u16.to_le_bytes()); // 4 entries need 80 bytes
        let e = XattrHeaderView::parse(&r, 3, "t").unwrap_err();
        assert_eq!(e.corruption().map(|c| c.field), Some("xh_count"));
        r[0..2].copy_from_slice(&1u16.to_le_bytes());
        r[16 + 4..16 + 6].copy_from_slice(&60u16.to_le_bytes()); // name at 60..
        r[16 + 6] = 10; // ..70: past the region
        r[16 + 7] = XATTR_LOCAL | 1;
        let v = XattrHeaderView::parse(&r, 3, "t").unwrap();
        assert_eq!(v.item(0).unwrap_err().corruption().map(|c| c.field), Some("xe_name_offset"));
    }
}
