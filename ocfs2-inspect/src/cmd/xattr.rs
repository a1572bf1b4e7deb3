//! `xattr SPEC`: an inode's extended attributes with their names and values
//! (text, or hex when not printable), where each is stored, and POSIX ACLs in
//! `getfacl` form. debugfs.ocfs2 `xattr -v` prints the layout only.
//!
//! On `fs::read_xattrs`, not the facade's `Volume::xattrs`: the report shows
//! the on-disk layout (where each entry lies, name hashes, buckets, value
//! trees, ACLs in OCFS2's own form) that the facade deliberately hides.

use ocfs2_format::fs::{read_xattrs_unchecked, Xattr, XattrPlace};
use ocfs2_format::layout::xattr::{decode_acl, name_index, AclEntry};
use ocfs2_format::Volume;
use serde::Serialize;

use super::common::damage::{self, mark, Damage};
use super::{resolve, CmdError};
use crate::render::{table, Out};

#[derive(Debug, Serialize)]
pub struct ExtentReport {
    /// `e_cpos`: the first cluster (or name hash, for the bucket tree) it maps.
    pub offset: u32,
    /// Clusters it maps.
    pub clusters: u32,
    /// Its first block.
    pub blkno: u64,
    /// `e_flags`.
    pub flags: u8,
}

#[derive(Debug, Serialize)]
pub struct XattrReport {
    /// `inline`, `block` or `bucket`.
    pub place: &'static str,
    /// The xattr block or the bucket's first block (absent for inline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_blkno: Option<u64>,
    /// The full name with its prefix (`user.a000`), as UTF-8.
    pub name: String,
    /// The name index (1 user, 2 ACL access, 3 ACL default, 4 trusted, 5 security).
    pub type_index: u8,
    /// `xe_name_len`: bytes of the name without the prefix.
    pub name_len: usize,
    /// `xe_name_hash`.
    pub name_hash: u32,
    /// `xe_value_size`: bytes of the value.
    pub value_size: u64,
    /// Whether the value is stored right after the name.
    pub local: bool,
    /// The value as text when it is printable UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_text: Option<String>,
    /// The value in hex.
    pub value_hex: String,
    /// POSIX ACLs, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<String>>,
    /// Values stored outside: the value tree (`l_tree_depth`, `l_count`,
    /// `l_next_free_rec`) and its extents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_tree: Option<(u16, u16, u16)>,
    /// The value tree's records.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub value_extents: Vec<ExtentReport>,
}

#[derive(Debug, Serialize)]
pub struct BucketReport {
    /// The bucket's first block.
    pub blkno: u64,
    /// `xh_count`: entries in the bucket.
    pub count: u16,
    /// `xh_num_buckets` (set in a cluster's first bucket): buckets in use there.
    pub num_buckets: u16,
}

#[derive(Debug, Serialize)]
pub struct XattrsReport {
    /// The inode.
    pub inode: u64,
    /// Entries in the inode (0 without inline xattrs).
    pub inline_count: u16,
    /// `i_xattr_loc`: its xattr block (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Entries in a non-indexed xattr block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_count: Option<usize>,
    /// The xattr block is indexed (a bucket tree).
    pub indexed: bool,
    /// An indexed block's bucket tree: its leaf extents (by name hash).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tree_extents: Vec<ExtentReport>,
    /// An indexed block's buckets.
    pub buckets: Vec<BucketReport>,
    /// Attributes found.
    pub total: usize,
    /// Every attribute: inline first, then the block's or the buckets'.
    pub attrs: Vec<XattrReport>,
    /// Set when the inode is shown although its checks fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inode_damage: Option<Damage>,
    /// Set when the xattr block is shown although its checks fail (debugfs.ocfs2
    /// `xattr` lists such a block without a mark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_damage: Option<Damage>,
}

fn printable(v: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(v).ok()?;
    s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t').then(|| s.to_string())
}

fn report(a: &Xattr) -> XattrReport {
    let (place, place_blkno) = match a.place {
        XattrPlace::Inline => ("inline", None),
        XattrPlace::Block(b) => ("block", Some(b)),
        XattrPlace::Bucket(b) => ("bucket", Some(b)),
    };
    let is_acl = matches!(a.index, name_index::POSIX_ACL_ACCESS | name_index::POSIX_ACL_DEFAULT);
    XattrReport {
        place,
        place_blkno,
        name: String::from_utf8_lossy(&a.full_name()).into_owned(),
        type_index: a.index,
        name_len: a.name.len(),
        name_hash: a.name_hash,
        value_size: a.value_size,
        local: a.local,
        value_text: if is_acl { None } else { printable(&a.value) },
        value_hex: a.value.iter().map(|b| format!("{b:02x}")).collect(),
        acl: if is_acl { decode_acl(&a.value).map(|v| v.iter().map(AclEntry::text).collect()) } else { None },
        value_tree: a.value_list,
        value_extents: a
            .value_extents
            .iter()
            .map(|e| ExtentReport { offset: e.cpos, clusters: e.clusters, blkno: e.blkno, flags: e.flags })
            .collect(),
    }
}

/// The report of `spec`'s extended attributes (shared with `rdump`).
pub fn xattrs_of(vol: &Volume, blkno: u64, what: &str) -> Result<XattrsReport, CmdError> {
    // Shown despite failed checks of the inode or the xattr block, as debugfs.ocfs2 does.
    let (inode, inode_faults) = vol.inode_unchecked(blkno).map_err(|e| CmdError::at(what.to_string(), e))?;
    let set = read_xattrs_unchecked(vol, &inode).map_err(|e| CmdError::at(what.to_string(), e))?;
    let block_count = (set.block.is_some() && !set.indexed)
        .then(|| set.attrs.iter().filter(|a| matches!(a.place, XattrPlace::Block(_))).count());
    Ok(XattrsReport {
        inode: blkno,
        inline_count: set.inline_count.unwrap_or(0),
        block: set.block,
        block_count,
        indexed: set.indexed,
        tree_extents: set
            .tree_extents
            .iter()
            .map(|e| ExtentReport { offset: e.cpos, clusters: e.clusters, blkno: e.blkno, flags: e.flags })
            .collect(),
        buckets: set
            .buckets
            .iter()
            .map(|b| BucketReport { blkno: b.blkno, count: b.count, num_buckets: b.num_buckets })
            .collect(),
        total: set.attrs.len(),
        attrs: set.attrs.iter().map(report).collect(),
        inode_damage: damage::of(&inode_faults),
        block_damage: damage::of(&set.block_faults),
    })
}

pub fn run(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let r = xattrs_of(vol, blkno, spec)?;
    out.emit(&r, |r| {
        let mut s = mark(format!("Extended Attributes inline: {}\n", r.inline_count), r.inode_damage.as_ref());
        if let Some(b) = r.block {
            let line = match r.block_count {
                Some(n) => format!("Extended Attributes in block #{b}: {n}\n"),
                None => format!("Extended Attributes bucket tree in block #{b}\n"),
            };
            s.push_str(&mark(line, r.block_damage.as_ref()));
        }
        for (i, b) in r.buckets.iter().enumerate() {
            s.push_str(&format!("  bucket #{i} at block {}: {} entries\n", b.blkno, b.count));
        }
        s.push_str(&format!("Extended attributes in total: {}\n", r.total));
        if r.attrs.is_empty() {
            return s;
        }
        let rows = r
            .attrs
            .iter()
            .map(|a| {
                let where_ = match a.place_blkno {
                    Some(b) => format!("{} {b}", a.place),
                    None => a.place.to_string(),
                };
                let value = match (&a.acl, &a.value_text) {
                    (Some(acl), _) => acl.join(","),
                    (None, Some(t)) => format!("{t:?}"),
                    (None, None) => format!("0x{}", a.value_hex),
                };
                let stored = if a.local {
                    "local".to_string()
                } else {
                    a.value_extents.iter().map(|e| format!("{}+{}", e.blkno, e.clusters)).collect::<Vec<_>>().join(" ")
                };
                // Long values are cut in the table; --json has them whole.
                let value = match value.char_indices().nth(64) {
                    Some((i, _)) => format!("{}...", &value[..i]),
                    None => value,
                };
                vec![where_, a.name.clone(), a.value_size.to_string(), stored, value]
            })
            .collect();
        s.push_str(&table(&["Where", "Name", "Size", "Value at", "Value"], rows, &[2]));
        s
    })
}
