//! Helpers shared by the unit tests.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::Volume;

// The integration tests' rule for missing tools, shared rather than copied.
#[path = "../tests/common/require.rs"]
mod require;
pub(crate) use require::require_tool;

/// The bundled kernel-written fixture `fixtures/NAME.img.zst`, decompressed and
/// opened once per test process and shared by every test that reads it.
pub(crate) fn fixture(name: &str) -> &'static Volume {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Volume>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = cache.get(name) {
        return v;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/{name}.img.zst"));
    let vol: &'static Volume = Box::leak(Box::new(Volume::open(&path).expect("bundled fixture")));
    cache.insert(name.to_string(), vol);
    vol
}

/// Counts the reads that reach the source below a [`Volume`].
#[derive(Debug)]
pub(crate) struct Counting(pub Box<dyn crate::io::BlockSource>, pub std::sync::Arc<std::sync::atomic::AtomicU64>);

impl crate::io::BlockSource for Counting {
    fn size(&self) -> u64 {
        self.0.size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> crate::Result<()> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.read_at(offset, buf)
    }
    fn bytes(&self, offset: u64, len: usize) -> crate::Result<std::borrow::Cow<'_, [u8]>> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.bytes(offset, len)
    }
}

/// A test that needs a missing tool fails, naming it and its package; it never
/// passes silently.
#[test]
#[should_panic(expected = "needs o2nothing (apt-get install o2nothing;")]
fn a_missing_tool_fails_the_test() {
    require_tool("o2nothing");
}

#[test]
fn a_present_tool_is_found_with_its_path() {
    assert!(require_tool("sh").ends_with("sh"));
}
