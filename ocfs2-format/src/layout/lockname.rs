//! Cluster lock names: what the kernel calls its DLM lock resources, and what
//! `fs_locks`, `dlm_locks` and the kernel log print (`M000000000000000000020b4a0f2c5d`).
//!
//! A name is a type character, six `0` pad characters, the block number in 16
//! hex digits and a generation in 8 (31 characters). Dentry locks differ: their
//! name holds the parent directory's block in hex and the inode's block as
//! eight raw bytes, and the debug files print them as `N`, 16 hex digits of the
//! parent and the low 32 bits of the inode's block in 8 hex digits (25
//! characters).
//!
//! Which inode or block a name stands for, per type (from the kernel's
//! `dlmglue.c` and `inode.c`): M (meta) and O (open) name an inode, with its
//! generation only for system files (the kernel does not know it yet when it
//! names other inodes); W (read/write), F (flock) and the old D (data) name an
//! inode with its generation; N names an inode and its parent directory; T
//! names a refcount tree's root block and its generation; S is the superblock
//! lock (block field 2, whatever the block size); Q names a quota type (0
//! user, 1 group) in the block field;
//! R (rename), P (orphan scan), Y (NFS sync) and I (trim) are volume-wide and
//! carry zeros.

use std::fmt;

use crate::error::{Error, InvalidKind, Result};

/// Lock resource types, in the kernel's order (`enum ocfs2_lock_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockType {
    /// `M`: inode metadata (the inode lock).
    Meta,
    /// `D`: file data (kernels before 2.6.16).
    Data,
    /// `S`: the superblock (mount, slot map).
    Super,
    /// `R`: cross-directory renames.
    Rename,
    /// `W`: serialises reads against writes of one inode.
    ReadWrite,
    /// `N`: a directory entry (parent and inode).
    Dentry,
    /// `O`: held while an inode is open, so that the last closer deletes it.
    Open,
    /// `F`: flock(2) on an inode.
    Flock,
    /// `Q`: global quota info of one quota type.
    Quota,
    /// `Y`: NFS export synchronisation.
    NfsSync,
    /// `P`: the orphan-directory scan.
    OrphanScan,
    /// `T`: a refcount tree.
    Refcount,
    /// `I`: FITRIM serialisation.
    TrimFs,
}

/// Every type, in the kernel's order.
pub const LOCK_TYPES: [LockType; 13] = [
    LockType::Meta,
    LockType::Data,
    LockType::Super,
    LockType::Rename,
    LockType::ReadWrite,
    LockType::Dentry,
    LockType::Open,
    LockType::Flock,
    LockType::Quota,
    LockType::NfsSync,
    LockType::OrphanScan,
    LockType::Refcount,
    LockType::TrimFs,
];

/// Length of a non-dentry name (the kernel's buffer is one more, for the NUL).
pub const LOCK_NAME_LEN: usize = 31;
/// Length of a dentry name as the debug files print it.
pub const DENTRY_NAME_LEN: usize = 25;
/// The superblock lock's block number.
pub const SUPER_LOCK_BLKNO: u64 = 2;

impl LockType {
    /// The name's first character.
    pub fn code(self) -> char {
        match self {
            LockType::Meta => 'M',
            LockType::Data => 'D',
            LockType::Super => 'S',
            LockType::Rename => 'R',
            LockType::ReadWrite => 'W',
            LockType::Dentry => 'N',
            LockType::Open => 'O',
            LockType::Flock => 'F',
            LockType::Quota => 'Q',
            LockType::NfsSync => 'Y',
            LockType::OrphanScan => 'P',
            LockType::Refcount => 'T',
            LockType::TrimFs => 'I',
        }
    }

    /// The type a name's first character stands for.
    pub fn from_code(c: char) -> Option<Self> {
        LOCK_TYPES.into_iter().find(|t| t.code() == c)
    }

    /// The kernel's (and debugfs.ocfs2's) name of the type.
    pub fn label(self) -> &'static str {
        match self {
            LockType::Meta => "Meta",
            LockType::Data => "Data",
            LockType::Super => "Super",
            LockType::Rename => "Rename",
            LockType::ReadWrite => "Write/Read",
            LockType::Dentry => "Dentry",
            LockType::Open => "Open",
            LockType::Flock => "Flock",
            LockType::Quota => "Quota",
            LockType::NfsSync => "NFSSync",
            LockType::OrphanScan => "OrphanScan",
            LockType::Refcount => "Refcount",
            LockType::TrimFs => "TrimFs",
        }
    }

    /// Whether the block field is an inode's block number.
    pub fn names_inode(self) -> bool {
        matches!(
            self,
            LockType::Meta | LockType::Data | LockType::ReadWrite | LockType::Dentry | LockType::Open | LockType::Flock
        )
    }
}

/// A decoded lock name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LockName {
    /// Its type; serialized as `type`, by its [`LockType::label`] (`Meta`,
    /// `Dentry`, `Super`, ...).
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: LockType,
    /// The block field: an inode, the refcount root, the superblock (2), a
    /// quota type, or 0. For a dentry lock, the inode's block (its low 32 bits
    /// only when read from a debug file).
    pub blkno: u64,
    /// The generation field (0 for dentry locks).
    pub generation: u32,
    /// A dentry lock's parent directory (left out when serialized for other types).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub parent: Option<u64>,
}

/// A lock type serializes as its [`LockType::label`], the name people read.
#[cfg(feature = "serde")]
impl serde::Serialize for LockType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

fn hex_field(s: &str, what: &str, name: &str) -> Result<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            InvalidKind::Syntax,
            format!("lock name {name:?}: {what} {s:?} is not hexadecimal"),
        ));
    }
    u64::from_str_radix(s, 16)
        .map_err(|_| Error::invalid(InvalidKind::Syntax, format!("lock name {name:?}: {what} {s:?} is too long")))
}

impl LockName {
    /// The lock of `kind` for block `blkno` and generation `generation`.
    pub fn new(kind: LockType, blkno: u64, generation: u32) -> Self {
        LockName { kind, blkno, generation, parent: None }
    }

    /// The dentry lock of entry `inode` in directory `parent`.
    pub fn dentry(parent: u64, inode: u64) -> Self {
        LockName { kind: LockType::Dentry, blkno: inode, generation: 0, parent: Some(parent) }
    }

    /// Parses a name as the kernel's debug files and log print it. Dentry names
    /// may carry more than 8 hex digits of the inode (debugfs.ocfs2 `-d` reads
    /// up to 16).
    pub fn parse(s: &str) -> Result<Self> {
        let mut chars = s.chars();
        let code = chars.next().ok_or_else(|| Error::invalid(InvalidKind::Syntax, "empty lock name"))?;
        let kind = LockType::from_code(code).ok_or_else(|| {
            Error::invalid(InvalidKind::Syntax, format!("lock name {s:?}: unknown lock type {code:?}"))
        })?;
        let rest = chars.as_str();
        if kind == LockType::Dentry {
            if !(DENTRY_NAME_LEN..=33).contains(&s.len()) || !rest.is_ascii() {
                return Err(Error::invalid(
                    InvalidKind::Syntax,
                    format!("lock name {s:?}: a dentry lock has {DENTRY_NAME_LEN} to 33 characters"),
                ));
            }
            let parent = hex_field(&rest[..16], "parent", s)?;
            let inode = hex_field(&rest[16..], "inode", s)?;
            return Ok(LockName::dentry(parent, inode));
        }
        if s.len() != LOCK_NAME_LEN || !rest.is_ascii() {
            return Err(Error::invalid(
                InvalidKind::Syntax,
                format!("lock name {s:?}: expected {LOCK_NAME_LEN} characters"),
            ));
        }
        if &rest[..6] != "000000" {
            return Err(Error::invalid(
                InvalidKind::Syntax,
                format!("lock name {s:?}: pad {:?} is not 000000", &rest[..6]),
            ));
        }
        let blkno = hex_field(&rest[6..22], "block", s)?;
        let generation = hex_field(&rest[22..30], "generation", s)? as u32;
        Ok(LockName::new(kind, blkno, generation))
    }

    /// The inode this lock protects, if its type names one.
    pub fn inode(&self) -> Option<u64> {
        self.kind.names_inode().then_some(self.blkno)
    }

    /// The block a file spec `<LOCKNAME>` stands for: the inode, the refcount
    /// root, or the superblock.
    pub fn block(&self) -> Option<u64> {
        match self.kind {
            LockType::Refcount | LockType::Super => Some(self.blkno),
            k if k.names_inode() => Some(self.blkno),
            _ => None,
        }
    }
}

impl fmt::Display for LockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parent {
            Some(parent) => write!(f, "N{parent:016x}{:08x}", self.blkno as u32),
            None => write!(f, "{}000000{:016x}{:08x}", self.kind.code(), self.blkno, self.generation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in LOCK_TYPES.into_iter().filter(|t| *t != LockType::Dentry) {
            let l = LockName::new(t, 0x2a14, 0x980f_5f66);
            let s = l.to_string();
            assert_eq!(s.len(), LOCK_NAME_LEN);
            assert_eq!(LockName::parse(&s).expect("parses"), l);
        }
        let d = LockName::dentry(5, 0x2a14);
        assert_eq!(d.to_string(), "N000000000000000500002a14");
        assert_eq!(LockName::parse("N000000000000000500002a14").expect("parses"), d);
    }

    #[test]
    fn known_names() {
        // As debugfs.ocfs2 1.8.7 `encode` printed them on fixture A-default.
        let m = LockName::parse("M0000000000000000000005980f5f66").expect("meta");
        assert_eq!((m.kind, m.blkno, m.generation), (LockType::Meta, 5, 0x980f_5f66));
        let s = LockName::parse("S000000000000000000000200000000").expect("super");
        assert_eq!((s.kind, s.blkno), (LockType::Super, 2));
        // debugfs.ocfs2 -d reads a 16-digit dentry inode too.
        let n = LockName::parse("N000000000000000500000000002a1234").expect("dentry");
        assert_eq!((n.parent, n.blkno), (Some(5), 0x2a_1234));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "Z0000000000000000000005980f5f66",
            "M000000000000000000005980f5f66",
            "M1000000000000000000005980f5f66",
            "M00000000000000000000g5980f5f66",
            "M0000000000000000000005980f5f6é",
            "N0000000000000005",
            "N00000000000000050000000000000000000",
        ] {
            assert!(LockName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
