//! Extended attributes of an inode: inline in the inode, in an xattr block, or in
//! a tree of buckets under the xattr block; values stored after their name or in
//! a value extent tree.

use std::borrow::Cow;

use crate::error::{Error, Result, Value};
use crate::layout::blockcheck;
use crate::layout::dinode::dyn_features;
use crate::layout::xattr::{name_index, XattrBlockBody, XattrBlockView, XattrHeaderView, XattrValue, BUCKET_SIZE};
use crate::volume::{Inode, MetaFaults, MetaKind, Volume};

use super::extent_map::{Extent, ExtentMap};
use super::file::FileReader;

/// Largest value the kernel accepts (`XATTR_SIZE_MAX`).
pub const VALUE_MAX: u64 = 65536;

/// Where an attribute is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XattrPlace {
    /// In the inode's inline xattr area.
    Inline,
    /// In the (non-indexed) xattr block at this block number.
    Block(u64),
    /// In the bucket whose first block is this block number.
    Bucket(u64),
}

/// One extended attribute, its value read out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xattr {
    /// Where it is stored.
    pub place: XattrPlace,
    /// `xe_name_hash`.
    pub name_hash: u32,
    /// The name index (see [`name_index`]).
    pub index: u8,
    /// The name as stored (without its prefix).
    pub name: Vec<u8>,
    /// `xe_value_size`.
    pub value_size: u64,
    /// Whether the value is stored right after the name.
    pub local: bool,
    /// For values stored outside: the value tree's leaf extents.
    pub value_extents: Vec<Extent>,
    /// `l_tree_depth`, `l_count`, `l_next_free_rec` of the value root (values
    /// stored outside only).
    pub value_list: Option<(u16, u16, u16)>,
    /// The value.
    pub value: Vec<u8>,
}

impl Xattr {
    /// The full name with its prefix (`user.small`, `system.posix_acl_access`).
    pub fn full_name(&self) -> Vec<u8> {
        let mut n = name_index::prefix(self.index).unwrap_or("unknown.").as_bytes().to_vec();
        n.extend_from_slice(&self.name);
        n
    }
}

/// One bucket of an indexed xattr block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// First block of the bucket.
    pub blkno: u64,
    /// `xh_count`.
    pub count: u16,
    /// `xh_num_buckets` (meaningful in the first bucket of an extent).
    pub num_buckets: u16,
}

/// All extended attributes of an inode, with how they are laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XattrSet {
    /// The attributes, inline ones first, then the block's or the buckets'.
    pub attrs: Vec<Xattr>,
    /// Entries in the inline area (`None` without INLINE_XATTR).
    pub inline_count: Option<u16>,
    /// The xattr block (`i_xattr_loc`), if any.
    pub block: Option<u64>,
    /// Whether the block roots a bucket tree.
    pub indexed: bool,
    /// The bucket tree's leaf extents (indexed blocks only).
    pub tree_extents: Vec<Extent>,
    /// The buckets, in tree order (indexed blocks only).
    pub buckets: Vec<BucketInfo>,
    /// The checks the xattr block failed: only [`read_xattrs_unchecked`] reads
    /// past them, so elsewhere this is clean.
    pub block_faults: MetaFaults,
}

/// Reads every extended attribute of `inode` (empty without HAS_XATTR).
pub fn read_xattrs(vol: &Volume, inode: &Inode<'_>) -> Result<XattrSet> {
    read_set(vol, inode, Values::All, false)
}

/// [`read_xattrs`] reading only the value of the attribute whose full name is
/// `name` (the others' values kept outside the entries are left empty): one
/// value asked for costs no read of the others, which an o2image file may
/// not even hold.
pub fn read_xattrs_named(vol: &Volume, inode: &Inode<'_>, name: &[u8]) -> Result<XattrSet> {
    read_set(vol, inode, Values::Named(name), false)
}

/// Which values kept outside the entries a read fetches.
#[derive(Clone, Copy)]
enum Values<'n> {
    None,
    All,
    Named(&'n [u8]),
}

/// [`read_xattrs`] for display: an xattr block whose checksum, block number or
/// generation is wrong is still read (see [`Volume::read_meta_unchecked`]), and
/// what failed is in [`XattrSet::block_faults`].
pub fn read_xattrs_unchecked(vol: &Volume, inode: &Inode<'_>) -> Result<XattrSet> {
    read_set(vol, inode, Values::All, true)
}

/// Reads where `inode`'s extended attributes are, without the values kept
/// outside the entries (their `value` is left empty; `value_extents` say where
/// they are). For walks that need only the layout (checks, block owners): they
/// work on an o2image file too, which never holds those values.
pub fn read_xattr_layout(vol: &Volume, inode: &Inode<'_>) -> Result<XattrSet> {
    read_set(vol, inode, Values::None, false)
}

fn read_set(vol: &Volume, inode: &Inode<'_>, values: Values<'_>, lenient: bool) -> Result<XattrSet> {
    let h = inode.header();
    let mut set = XattrSet::default();
    if !h.has_dyn(dyn_features::HAS_XATTR) {
        return Ok(set);
    }
    let blkno = inode.blkno();
    if h.has_dyn(dyn_features::INLINE_XATTR) {
        let block = inode.block();
        let size = usize::from(h.i_xattr_inline_size.get());
        if size < 16 || size > block.len() - 192 {
            return Err(Error::corrupt(
                blkno,
                "ocfs2_dinode",
                "i_xattr_inline_size",
                format!("16..={}", block.len() - 192),
                size,
            ));
        }
        let region = &block[block.len() - size..];
        let view = XattrHeaderView::parse(region, blkno, "ocfs2_dinode inline xattr header")?;
        set.inline_count = Some(view.header.xh_count.get());
        collect(vol, &view, XattrPlace::Inline, blkno, values, &mut set.attrs)?;
    }
    let loc = h.i_xattr_loc.get();
    if loc != 0 {
        let xb = vol.check_ref(blkno, "ocfs2_dinode", "i_xattr_loc", loc)?;
        set.block = Some(xb);
        let block = if lenient {
            let c = vol.read_meta_unchecked(xb, MetaKind::XATTR_BLOCK)?;
            set.block_faults = c.faults;
            c.block
        } else {
            vol.read_meta(xb, MetaKind::XATTR_BLOCK)?
        };
        match XattrBlockView::parse(&block, xb)?.body {
            XattrBlockBody::Header(view) => collect(vol, &view, XattrPlace::Block(xb), xb, values, &mut set.attrs)?,
            XattrBlockBody::Tree { list, .. } => {
                set.indexed = true;
                let map = ExtentMap::load_list(vol, list, xb, "ocfs2_xattr_block.xb_root.xt_list")?;
                set.tree_extents = map.extents().to_vec();
                for e in map.extents() {
                    read_buckets(vol, e, values, &mut set)?;
                }
            }
        }
    }
    Ok(set)
}

/// Reads the buckets of one extent of a bucket tree.
fn read_buckets(vol: &Volume, e: &Extent, values: Values<'_>, set: &mut XattrSet) -> Result<()> {
    let geo = vol.geometry();
    let bs = geo.block_size as usize;
    let per_bucket = (BUCKET_SIZE / bs).max(1) as u64;
    let per_cluster = (geo.cluster_size as usize / BUCKET_SIZE).max(1) as u64;
    let mut n = u64::from(e.clusters) * per_cluster;
    let mut i = 0;
    while i < n {
        let first = e.blkno + i * per_bucket;
        let raw = vol.read_blocks(first, per_bucket)?;
        let bucket = checked_bucket(vol, raw, first, bs)?;
        let view = XattrHeaderView::parse(&bucket, first, "ocfs2_xattr_header (bucket)")?;
        if i == 0 {
            // The first bucket knows how many of the extent's buckets are used.
            let used = u64::from(view.header.xh_num_buckets.get());
            if used > n {
                return Err(Error::corrupt(
                    first,
                    "ocfs2_xattr_header (bucket)",
                    "xh_num_buckets",
                    Value::AtMost(n),
                    used,
                ));
            }
            n = used;
        }
        set.buckets.push(BucketInfo {
            blkno: first,
            count: view.header.xh_count.get(),
            num_buckets: view.header.xh_num_buckets.get(),
        });
        collect(vol, &view, XattrPlace::Bucket(first), first, values, &mut set.attrs)?;
        i += 1;
    }
    Ok(())
}

/// Verifies a bucket's chained check (META_ECC volumes), repairing one bit in
/// memory if it can.
fn checked_bucket<'a>(vol: &Volume, raw: Cow<'a, [u8]>, first: u64, bs: usize) -> Result<Cow<'a, [u8]>> {
    if !vol.has_meta_ecc() {
        return Ok(raw);
    }
    let mut owned = raw.into_owned();
    let mut blocks: Vec<&mut [u8]> = owned.chunks_mut(bs).collect();
    blockcheck::verify_multi(&mut blocks, 8).map_err(|f| {
        Error::corrupt(
            first,
            "ocfs2_xattr_header (bucket)",
            "xh_check",
            format!("{:#010x} (computed over the bucket)", f.computed_crc),
            format!("{:#010x}", f.stored.crc32e.get()),
        )
    })?;
    Ok(Cow::Owned(owned))
}

/// Reads the entries of one header, with their values unless `values` is false
/// (then a value kept outside the entry is left empty).
fn collect(
    vol: &Volume,
    view: &XattrHeaderView<'_>,
    place: XattrPlace,
    blkno: u64,
    values: Values<'_>,
    out: &mut Vec<Xattr>,
) -> Result<()> {
    for i in 0..view.entries.len() {
        let item = view.item(i)?;
        let e = item.entry;
        let size = e.xe_value_size.get();
        if size > VALUE_MAX {
            return Err(Error::corrupt(blkno, "ocfs2_xattr_entry", "xe_value_size", Value::AtMost(VALUE_MAX), size));
        }
        let mut x = Xattr {
            place,
            name_hash: e.xe_name_hash.get(),
            index: e.index(),
            name: item.name.to_vec(),
            value_size: size,
            local: e.is_local(),
            value_extents: Vec::new(),
            value_list: None,
            value: Vec::new(),
        };
        match item.value {
            XattrValue::Local(v) => x.value = v.to_vec(),
            XattrValue::Tree { list, .. } => {
                let map = ExtentMap::load_list(vol, list, blkno, "ocfs2_xattr_value_root.xr_list")?;
                x.value_list = Some((list.depth(), list.list.l_count.get(), list.list.l_next_free_rec.get()));
                x.value_extents = map.extents().to_vec();
                let wanted = match values {
                    Values::None => false,
                    Values::All => true,
                    Values::Named(name) => x.full_name() == name,
                };
                if wanted {
                    x.value.resize(size as usize, 0); // at most VALUE_MAX
                    FileReader::from_map(vol, blkno, map, size).read_full_at(0, &mut x.value)?;
                }
            }
        }
        out.push(x);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixture A-default (`xattr/file`, `xattr/dir`).
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fs::lookup;

    fn vol() -> &'static Volume {
        crate::test_util::fixture("A-default")
    }

    #[test]
    fn inline_entries_with_value_trees() {
        let v = vol();
        let set = read_xattrs(v, &v.inode(lookup(v, "/xattr/file").unwrap()).unwrap()).unwrap();
        assert_eq!(set.inline_count, Some(3));
        assert_eq!(set.block, None);
        let got: Vec<(Vec<u8>, Vec<u8>, bool)> =
            set.attrs.iter().map(|a| (a.full_name(), a.value.clone(), a.local)).collect();
        assert_eq!(
            got,
            vec![
                (b"user.small".to_vec(), b"v1".to_vec(), true),
                (b"user.medium".to_vec(), vec![b'm'; 200], false),
                (b"user.big".to_vec(), vec![b'B'; 5000], false),
            ]
        );
        assert_eq!(set.attrs[2].value_extents.len(), 1);
        assert_eq!(set.attrs[2].value_extents[0].clusters, 2);
    }

    #[test]
    fn block_entries() {
        let v = vol();
        let set = read_xattrs(v, &v.inode(lookup(v, "/xattr/dir").unwrap()).unwrap()).unwrap();
        assert_eq!(set.inline_count, None);
        assert!(set.block.is_some() && !set.indexed);
        assert_eq!(set.attrs.len(), 1);
        assert_eq!(set.attrs[0].full_name(), b"user.dirattr");
        assert_eq!(set.attrs[0].value, b"on-a-directory");
        assert_eq!(set.attrs[0].place, XattrPlace::Block(set.block.unwrap()));
    }

    #[test]
    fn no_xattrs() {
        let v = vol();
        let set = read_xattrs(v, &v.inode(lookup(v, "/small/hello.txt").unwrap()).unwrap()).unwrap();
        assert_eq!(set, XattrSet::default());
    }
}
