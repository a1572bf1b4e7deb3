//! Inline data (`ocfs2_inline_data`): small file or directory contents kept in the
//! inode's `id2`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, Le16, Le32};

/// Byte offset of the inline data area in the inode block.
pub const DATA_OFFSET: usize = 200;

/// `ocfs2_inline_data` header (8 bytes); `id_count` bytes of data follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct InlineData {
    pub id_count: Le16,
    pub id_reserved0: Le16,
    pub id_reserved1: Le32,
}
assert_size!(InlineData, 8);

/// Largest inline data area at block size `bs` (no inline xattrs).
pub const fn max_inline(bs: usize) -> usize {
    bs - DATA_OFFSET
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacities_match_reference_table() {
        for (bs, cap) in [(512, 312), (1024, 824), (2048, 1848), (4096, 3896)] {
            assert_eq!(super::max_inline(bs), cap);
        }
    }
}
