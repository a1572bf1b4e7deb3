//! The local-alloc window (`ocfs2_local_alloc`): a run of global-bitmap clusters
//! one slot reserves for itself.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, Le16, Le32, Le64};

/// `ocfs2_local_alloc` header (16 bytes); `la_size` bitmap bytes follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct LocalAlloc {
    /// First global-bitmap bit (cluster) of the window.
    pub la_bm_off: Le32,
    /// Bitmap bytes.
    pub la_size: Le16,
    pub la_reserved1: Le16,
    pub la_reserved2: Le64,
}
assert_size!(LocalAlloc, 16);

/// Bitmap bytes a local-alloc inode holds at block size `bs`.
pub const fn bitmap_capacity(bs: usize) -> usize {
    bs - 208
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacities_match_reference_table() {
        for (bs, cap) in [(512, 304), (1024, 816), (2048, 1840), (4096, 3888)] {
            assert_eq!(super::bitmap_capacity(bs), cap);
        }
    }
}
