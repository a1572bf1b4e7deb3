//! The body of the `partition` fuzz target, shared with the test that replays
//! `fuzz/regressions/partition/` (ocfs2-format/tests/fuzz_regressions.rs).

use std::sync::Arc;

use ocfs2_format::io::{BlockSource, MemSource};
use ocfs2_format::{intake, OpenOptions, Volume};

/// Runs one input: the bytes are the start of a disk; the first two bytes
/// scale its size (up to 64 MiB, the rest reading as zeros), so entries can
/// point inside or past it. Listing, probing and opening by partition number
/// must return a value or a typed error.
pub fn run(data: &[u8]) {
    let Some((size, disk)) = data.split_first_chunk::<2>() else { return };
    let size = (u64::from(u16::from_le_bytes(*size)) << 10).max(disk.len() as u64);
    let mut src = MemSource::new(size);
    if src.write_at(0, disk).is_err() {
        return;
    }
    let src: Arc<dyn BlockSource> = Arc::new(src);
    if let Ok(Some((table, parts))) = intake::partitions(Arc::clone(&src)) {
        assert_eq!(table.partitions.len(), parts.len());
        for p in &table.partitions {
            // Every listed partition lies inside the disk.
            assert!(p.start + p.size <= size);
        }
        for opts in [Some(1), Some(2), Some(5), None].map(|partition| OpenOptions { partition, ..Default::default() }) {
            if let Ok((vol_src, _)) = intake::select(Box::new(Arc::clone(&src)), &opts) {
                let _ = Volume::from_source(vol_src, opts);
            }
        }
    }
}
