//! Every block parser over arbitrary bytes: the first byte picks the block size,
//! the rest is the block. Each parser must return a value or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/blocks.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
