//! Pure on-disk types: a block's bytes in, a typed view out. No I/O happens here.
//!
//! Every structure is a `#[repr(C)]` zerocopy type with explicit little-endian
//! fields, used alike for reading and (by mkfs) writing. Variable tails (extent
//! records, chain records, bitmaps, directory entries) are checked slices whose
//! length is bounded by the block before use.

use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::error::{Error, Result, Value};

pub mod blockcheck;
pub mod chain;
pub mod dinode;
pub mod dir;
pub mod dx;
pub mod extent;
pub mod geometry;
pub mod group;
pub mod heartbeat;
pub mod inline_data;
pub mod jbd2;
pub mod local_alloc;
pub mod lockname;
pub mod node;
pub mod quota;
pub mod refcount;
pub mod slot_map;
pub mod superblock;
pub mod system_file;
pub mod truncate_log;
pub mod xattr;

/// Little-endian integer types used by every OCFS2 structure.
pub use zerocopy::little_endian::{U16 as Le16, U32 as Le32, U64 as Le64};

/// Borrows a `T` at byte `at` of `bytes`, or `None` if it does not fit.
pub(crate) fn view_at<T>(bytes: &[u8], at: usize) -> Option<&T>
where
    T: FromBytes + KnownLayout + Immutable + Unaligned,
{
    let tail = bytes.get(at..)?;
    T::ref_from_prefix(tail).ok().map(|(t, _)| t)
}

/// Borrows `n` consecutive `T`s at byte `at` of `bytes`, or `None` if they do not fit.
pub(crate) fn slice_at<T>(bytes: &[u8], at: usize, n: usize) -> Option<&[T]>
where
    T: FromBytes + Immutable + Unaligned,
{
    let tail = bytes.get(at..)?;
    <[T]>::ref_from_prefix_with_elems(tail, n).ok().map(|(t, _)| t)
}

/// Names of a counted record list for errors: the structure and its capacity and
/// in-use count fields (`l_count`/`l_next_free_rec`, `cl_count`/`cl_next_free_rec`, ...).
pub(crate) struct CountedList {
    pub structure: &'static str,
    pub count_field: &'static str,
    pub used_field: &'static str,
}

impl CountedList {
    /// The `used` records of size `T` that start at byte `at` of `bytes`, after
    /// checking `count` against what the container can hold and `used` against
    /// `count`. This one check serves every on-disk list with a capacity and a fill.
    pub fn records<'a, T>(&self, bytes: &'a [u8], at: usize, count: usize, used: usize, blkno: u64) -> Result<&'a [T]>
    where
        T: FromBytes + Immutable + Unaligned,
    {
        let cap = bytes.len().saturating_sub(at) / core::mem::size_of::<T>();
        if count > cap {
            return Err(Error::corrupt(blkno, self.structure, self.count_field, Value::AtMost(cap as u64), count));
        }
        if used > count {
            return Err(Error::corrupt(
                blkno,
                self.structure,
                self.used_field,
                format!("<= {} {count}", self.count_field),
                used,
            ));
        }
        Ok(slice_at::<T>(bytes, at, used).unwrap_or_else(|| unreachable!("bounded by capacity")))
    }
}

/// Where a checked field of a self-describing metadata block sits: from the
/// block's start, or from the start of the trailer that ends it (a directory
/// block keeps its signature and check in the last 64 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaAt {
    /// Byte offset from the start of the block.
    Head(usize),
    /// Byte offset from the start of the block's trailer.
    Tail(usize),
}

impl MetaAt {
    /// The byte offset in a block of `block_size` bytes.
    pub fn resolve(self, block_size: usize) -> usize {
        match self {
            MetaAt::Head(o) => o,
            MetaAt::Tail(o) => block_size - dir::TRAILER_SIZE + o,
        }
    }
}

/// A kind of self-describing metadata block: its signature and where its
/// signature, ECC check, self block number and fs generation live. Each layout
/// file states its structure's kind beside the structure (`DinodeHeader::META`,
/// `ExtentBlock::META`, ...); the constants here only name them, and
/// `Volume::read_meta` is the one reader of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaKind {
    /// The C structure name used in errors.
    pub structure: &'static str,
    /// The signature the block must carry.
    pub signature: &'static [u8; 8],
    /// Where the signature sits.
    pub sig_at: MetaAt,
    /// Where the `ocfs2_block_check` sits.
    pub check_at: MetaAt,
    /// Where the block's own number (a `__le64`) sits.
    pub blkno_at: MetaAt,
    /// Where the fs generation (a `__le32`) sits, for structures that carry it.
    pub generation_at: Option<MetaAt>,
}

impl MetaKind {
    /// An inode (`INODE01`).
    pub const INODE: MetaKind = dinode::DinodeHeader::META;
    /// An extent block (`EXBLK01`).
    pub const EXTENT_BLOCK: MetaKind = extent::ExtentBlock::META;
    /// A group descriptor (`GROUP01`).
    pub const GROUP: MetaKind = group::GroupDesc::META;
    /// A directory block ending in a trailer (`DIRTRL1`).
    pub const DIR_BLOCK: MetaKind = dir::DirTrailer::META;
    /// An indexed-directory root (`DXDIR01`).
    pub const DX_ROOT: MetaKind = dx::DxRootBlock::META;
    /// An indexed-directory leaf (`DXLEAF1`).
    pub const DX_LEAF: MetaKind = dx::DxLeaf::META;
    /// An xattr block (`XATTR01`).
    pub const XATTR_BLOCK: MetaKind = xattr::XattrBlock::META;
    /// A refcount block (`REFCNT1`).
    pub const REFCOUNT_BLOCK: MetaKind = refcount::RefcountBlock::META;
}

/// Trims an 8-byte, NUL-padded signature or name field for display.
pub fn cstr(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// A signature field as a person reads it: its text when that is printable
/// ASCII up to the NUL padding, else its bytes in hex (`02 02 ...`).
pub fn signature_text(bytes: &[u8]) -> String {
    Value::Bytes(bytes.to_vec()).to_string()
}

/// Asserts a type's size at compile time (the layout tables in the format reference).
macro_rules! assert_size {
    ($t:ty, $n:expr) => {
        const _: () = assert!(core::mem::size_of::<$t>() == $n);
    };
}
pub(crate) use assert_size;
