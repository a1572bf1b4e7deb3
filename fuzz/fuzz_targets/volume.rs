//! A real kernel-written volume (fixture C1) with arbitrary patches applied, then
//! every read the inspector does: superblock, directories from the root and the
//! system directory, every file's contents, every journal, the heartbeat region
//! and the allocators' chains, xattrs, dx indexes, refcount trees, quotas and
//! the read-only check. Nothing may panic, hang or allocate without bound.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ocfs2_format::io::{decompress_zst, MemSource};

#[path = "shared/volume.rs"]
mod body;

static BASE: OnceLock<MemSource> = OnceLock::new();

fn base() -> &'static MemSource {
    BASE.get_or_init(|| {
        let zst: &[u8] = include_bytes!("../../fixtures/C1.img.zst");
        decompress_zst(zst).expect("fixture C1")
    })
}

fuzz_target!(|data: &[u8]| body::run(base(), data));
