//! The truncate log (`ocfs2_truncate_log`): clusters freed but not yet returned to
//! the global bitmap.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, view_at, CountedList, Le16, Le32};
use crate::error::{Error, Result};

/// `ocfs2_truncate_log` header (8 bytes); records follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct TruncateLog {
    pub tl_count: Le16,
    pub tl_used: Le16,
    pub tl_reserved1: Le32,
}
assert_size!(TruncateLog, 8);

/// `ocfs2_truncate_rec`: a run of freed clusters.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct TruncateRec {
    pub t_start: Le32,
    pub t_clusters: Le32,
}
assert_size!(TruncateRec, 8);

/// A truncate log with its used records, bounds-checked against the inode block.
#[derive(Debug, Clone, Copy)]
pub struct TruncateLogView<'a> {
    /// The header.
    pub log: &'a TruncateLog,
    /// Records `0..tl_used`.
    pub recs: &'a [TruncateRec],
}

impl<'a> TruncateLogView<'a> {
    /// Parses a truncate log from `id2` of the inode at `blkno`.
    pub fn parse(id2: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_dinode.id2.i_dealloc";
        let log = view_at::<TruncateLog>(id2, 0)
            .ok_or_else(|| Error::corrupt(blkno, s, "tl_count", "8-byte header", id2.len()))?;
        let recs = CountedList { structure: s, count_field: "tl_count", used_field: "tl_used" }.records(
            id2,
            8,
            usize::from(log.tl_count.get()),
            usize::from(log.tl_used.get()),
            blkno,
        )?;
        Ok(TruncateLogView { log, recs })
    }
}

/// Records a truncate log holds at block size `bs`.
pub const fn capacity(bs: usize) -> usize {
    (bs - 200) / 8
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacities_match_reference_table() {
        for (bs, cap) in [(512, 39), (1024, 103), (2048, 231), (4096, 487)] {
            assert_eq!(super::capacity(bs), cap);
        }
    }
}
