//! ocfs2-tools' packed o2image files: the header and bitmap parser, the block
//! mapping, and the volume read through it. Nothing may panic, hang or
//! allocate beyond what the input's size bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/o2image.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
