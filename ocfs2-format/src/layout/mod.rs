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
