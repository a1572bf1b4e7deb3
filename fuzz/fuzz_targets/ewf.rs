//! EWF (E01) segment files over arbitrary bytes (`fuzz_targets/shared/ewf.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/ewf.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
