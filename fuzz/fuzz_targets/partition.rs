//! MBR and GPT partition tables over arbitrary disk bytes (`fuzz_targets/shared/partition.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/partition.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
