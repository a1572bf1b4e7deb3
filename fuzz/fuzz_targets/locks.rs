//! Lock names and the kernel's saved lock-state files (fs_locks, dlm_locks).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/locks.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::run(data));
