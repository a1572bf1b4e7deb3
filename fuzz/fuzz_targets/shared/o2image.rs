//! The body of the `o2image` fuzz target, shared with the test that replays
//! `fuzz/regressions/o2image/` (ocfs2-format/tests/fuzz_regressions.rs).

use ocfs2_format::io::{BlockSource, MemSource, O2ImageSource};
use ocfs2_format::{fs, image, OpenOptions, Volume};

/// Input: a whole packed o2image file. Parse its header and bitmap, read
/// through the mapping at a few offsets, then open the volume it holds, list
/// the root and walk what o2image would copy. Every error is fine; a panic, a
/// hang or an allocation beyond the input's size is not.
pub fn run(data: &[u8]) {
    let Ok(src) = O2ImageSource::new(MemSource::from_bytes(data)) else { return };
    let size = src.size();
    let mut buf = [0u8; 512];
    for off in [0, 1024, 2048, 4096, 8192, size / 2, size.saturating_sub(512), size] {
        let _ = src.read_at(off, &mut buf);
        let _ = src.bytes(off, 4096);
    }
    let Ok(vol) = Volume::from_source(Box::new(src), OpenOptions::default()) else { return };
    let _ = image::metadata_blocks(&vol);
    if let Ok(root) = vol.inode(vol.root_blkno()) {
        let _ = fs::read_dir(&vol, &root);
    }
}
