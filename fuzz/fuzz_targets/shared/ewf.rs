//! The body of the `ewf` fuzz target, shared with the test that replays
//! `fuzz/regressions/ewf/` (ocfs2-format/tests/fuzz_regressions.rs).

use std::path::Path;

use ocfs2_format::io::{BlockSource, EwfSource, MemSource};
use ocfs2_format::Error;

/// Runs one input: the first two bytes say where the first segment file ends
/// and the second begins (a third is missing). Opening, reading and verifying
/// must return a value or a typed error.
pub fn run(data: &[u8]) {
    let Some((cut, rest)) = data.split_first_chunk::<2>() else { return };
    let cut = usize::from(u16::from_le_bytes(*cut)).min(rest.len());
    let (one, two) = rest.split_at(cut);
    let open = |p: &Path| -> ocfs2_format::Result<Box<dyn BlockSource>> {
        match p.extension().and_then(|e| e.to_str()) {
            Some("E01") => Ok(Box::new(MemSource::from_bytes(one))),
            Some("E02") => Ok(Box::new(MemSource::from_bytes(two))),
            _ => Err(Error::Open { path: p.to_path_buf(), source: std::io::ErrorKind::NotFound.into() }),
        }
    };
    let Ok(ewf) = EwfSource::open(Path::new("fuzz.E01"), open) else { return };
    let size = ewf.size();
    let mut buf = vec![0u8; 4096];
    for at in [0, size / 2, size.saturating_sub(4096)] {
        let n = (size - at.min(size)).min(4096) as usize;
        let _ = ewf.read_at(at, &mut buf[..n]);
    }
    // Verifying reads every chunk, and so does one read of the whole media (a
    // long read's chunks inflate on several threads): only for small media
    // (each chunk may inflate to 64 MiB).
    if size <= 16 << 20 {
        let _ = ewf.verify();
        let _ = ewf.read_at(0, &mut vec![0u8; size as usize]);
    }
}
