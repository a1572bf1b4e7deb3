//! JBD2 recovery's three passes over an arbitrary journal region (seeded with
//! the logs of the kernel-written fixtures).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/replay.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
