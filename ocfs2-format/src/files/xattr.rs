//! Extended attributes under their Linux names, with POSIX ACLs in the Linux
//! `posix_acl_xattr` format (what `getfattr`, `getfacl` and a FUSE kernel
//! expect).

use std::fmt;

use crate::fs::Xattr;
use crate::layout::xattr::{acl_tag, decode_acl, name_index, AclEntry};

/// The version word that opens a Linux ACL xattr value
/// (`POSIX_ACL_XATTR_VERSION`).
pub const ACL_XATTR_VERSION: u32 = 2;

/// The id the Linux format puts in entries that name no user or group
/// (`ACL_UNDEFINED_ID`).
pub const ACL_UNDEFINED_ID: u32 = u32::MAX;

/// One extended attribute as Linux names and returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XattrEntry {
    name: Vec<u8>,
    value: Vec<u8>,
    raw: Vec<u8>,
    index: u8,
}

impl XattrEntry {
    pub(crate) fn new(x: Xattr) -> Self {
        let value = match x.index {
            name_index::POSIX_ACL_ACCESS | name_index::POSIX_ACL_DEFAULT => {
                acl_to_linux(&x.value).unwrap_or_else(|| x.value.clone())
            }
            _ => x.value.clone(),
        };
        XattrEntry { name: x.full_name(), value, raw: x.value, index: x.index }
    }

    /// The full name: `user.x`, `trusted.x`, `security.x`,
    /// `system.posix_acl_access`, `system.posix_acl_default` (an index this
    /// crate does not know gives `unknown.x`).
    pub fn name(&self) -> &[u8] {
        &self.name
    }
    /// The value as `getxattr(2)` returns it: the stored bytes, except ACLs,
    /// which are converted to the Linux format (a little-endian `u32` version 2,
    /// then 8-byte `{u16 tag, u16 perm, u32 id}` entries, `id` 0xffffffff for
    /// entries that name no user or group). An ACL value shorter than one entry,
    /// which the kernel refuses to read (`EINVAL`), is given as stored.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
    /// The value, owned (see [`XattrEntry::value`]).
    pub fn into_value(self) -> Vec<u8> {
        self.value
    }
    /// The value as stored on disk (OCFS2 keeps ACLs without the version word).
    pub fn raw_value(&self) -> &[u8] {
        &self.raw
    }
    /// The OCFS2 name index (see [`name_index`]).
    pub fn name_index(&self) -> u8 {
        self.index
    }
    /// Whether this is one of the two POSIX ACL attributes.
    pub fn is_acl(&self) -> bool {
        matches!(self.index, name_index::POSIX_ACL_ACCESS | name_index::POSIX_ACL_DEFAULT)
    }
    /// The decoded ACL, for the two ACL attributes whose value decodes (known
    /// tags, permissions within rwx); `None` otherwise.
    pub fn acl(&self) -> Option<Acl> {
        if !self.is_acl() {
            return None;
        }
        decode_acl(&self.value).map(|entries| Acl { entries })
    }
}

/// A decoded POSIX ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// The entries in stored order.
    pub entries: Vec<AclEntry>,
}

/// `getfacl`'s short form: `user::rw-,user:1000:r--,group::r--,mask::rw-,other::r--`.
impl fmt::Display for Acl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.entries.iter().map(AclEntry::text).collect();
        f.write_str(&text.join(","))
    }
}

/// Converts an ACL as OCFS2 stores it (entries only) to the Linux xattr format,
/// as the kernel does when it reads one: `size / 8` entries (a remainder is
/// ignored), ids kept only for named users and groups. `None` when shorter than
/// one entry.
pub fn acl_to_linux(stored: &[u8]) -> Option<Vec<u8>> {
    if stored.len() < 8 {
        return None;
    }
    let mut out = Vec::with_capacity(4 + stored.len() / 8 * 8);
    out.extend_from_slice(&ACL_XATTR_VERSION.to_le_bytes());
    for e in stored.chunks_exact(8) {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        out.extend_from_slice(&e[..4]);
        let id = match tag {
            acl_tag::USER | acl_tag::GROUP => u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
            _ => ACL_UNDEFINED_ID,
        };
        out.extend_from_slice(&id.to_le_bytes());
    }
    Some(out)
}
