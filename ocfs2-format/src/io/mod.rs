//! Where the bytes come from: one small read-only trait and its implementations.
//!
//! Nothing in this module can write: the inspector's path never holds a writable
//! handle. [`open`] picks the right source for a path.

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Error, Result};

// Signals are the OS too: here, where the crate keeps its unsafe code; re-exported from `cluster`.
mod direct;
pub mod ewf;
pub(crate) mod interrupt;
mod mem;
mod mmap;
pub mod o2image;
pub mod partition;
mod range;
mod reader;
mod sink;
pub mod split;
mod zst;

pub use direct::DirectSource;
pub use ewf::EwfSource;
pub use mem::MemSource;
pub use mmap::MmapSource;
pub use o2image::O2ImageSource;
pub use range::RangeSource;
pub use reader::{BytesSource, ReaderSource};
pub use sink::{BlockSink, FileSink};
pub use split::SplitSource;
pub use zst::{decompress_zst, decompress_zst_with, open_zst, open_zst_with};

/// A read-only, random-access byte source: an image, a device, or memory.
///
/// Implementations are cheap to share across threads.
pub trait BlockSource: Send + Sync + std::fmt::Debug {
    /// Size of the source in bytes.
    fn size(&self) -> u64;

    /// Fills `buf` with the bytes starting at `offset`. Reading past the end is an
    /// [`Error::Io`] with kind `UnexpectedEof`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// Borrows `len` bytes at `offset` without copying when the source is memory
    /// resident (mmap, in-memory); otherwise reads them into a new buffer.
    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(Cow::Owned(buf))
    }

    /// A hint that `len` bytes at `offset` will be read soon, so a source that can
    /// start fetching them in the background (and in parallel with other hinted
    /// ranges) does. Scattered metadata walks hint every block they can predict
    /// before reading any: on a cold cache the reads then overlap instead of
    /// waiting one by one. The default does nothing; ranges past the end are
    /// ignored.
    fn prefetch(&self, offset: u64, len: u64) {
        if let Some(s) = self.underlying() {
            s.prefetch(offset, len);
        }
    }

    /// Whether the byte at `offset` can be read without waiting for the medium
    /// (it is in memory or the page cache). Lets a walk skip its prefetch hints
    /// when the cache is warm: at 15 TiB, 125,000 needless hints cost seconds.
    /// The default, for sources that do not prefetch, is `true`.
    fn is_cached(&self, offset: u64) -> bool {
        self.underlying().is_none_or(|s| s.is_cached(offset))
    }

    /// How many reads a walk over scattered blocks should keep in flight. The
    /// default, 1, is for sources that answer from memory: their walks are
    /// bound by the CPU and use the cores. Reads that wait on the device (O_DIRECT)
    /// gain from many at once, as the device serves them in parallel.
    fn parallel_reads(&self) -> usize {
        self.underlying().map_or(1, |s| s.parallel_reads())
    }

    /// The source this one is a layer over at the same offsets (a view that
    /// replaces some blocks, a wrapper that counts reads), which the read hints
    /// above then go to by default, so a layer does not forward each by hand.
    /// `None` (the default) for a source that reads its medium itself.
    fn underlying(&self) -> Option<&dyn BlockSource> {
        None
    }
}

/// How [`open_with`] reaches the medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Pick by kind: block devices use O_DIRECT, `.zst` files are decompressed into
    /// memory, other files are memory-mapped.
    #[default]
    Auto,
    /// Always use aligned O_DIRECT reads, bypassing the page cache (for files on a
    /// shared disk, or to see another node's latest heartbeat).
    Direct,
}

/// Threads a walk shares its reads among (chain walks, prefetch hints): the
/// available cores, at most 8. Kept with I/O because it sizes the reads in
/// flight, and so that `Volume` and the allocator walks both use it without one
/// importing the other.
pub fn walk_threads() -> usize {
    // available_parallelism reads the cgroup files on each call; the walks ask often.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Opens `path` read-only with [`Access::Auto`].
pub fn open(path: &Path) -> Result<Box<dyn BlockSource>> {
    open_with(path, Access::Auto)
}

/// Opens `path` read-only with the chosen access method. The first segment of
/// a split raw image (`IMG.001`, `IMGaa`) opens the whole set; an EWF image
/// (found by its signature) opens as the media it holds, from all its segments.
pub fn open_with(path: &Path, access: Access) -> Result<Box<dyn BlockSource>> {
    open_with_progress(path, access, &mut crate::progress::ignore)
}

/// [`open_with`], reporting the decompression of a `.zst` image to `on` (which
/// may cancel it); other sources open at once.
pub fn open_with_progress(
    path: &Path,
    access: Access,
    on: &mut crate::progress::OnProgress<'_>,
) -> Result<Box<dyn BlockSource>> {
    let quiet = |p: &Path| open_file(p, access, &mut crate::progress::ignore);
    if let Some(segments) = split::segments(path)? {
        return Ok(Box::new(SplitSource::open(segments, quiet)?));
    }
    let src = open_file(path, access, on)?;
    if src.size() >= ewf::SIGNATURE.len() as u64 && ewf::is_ewf(&src.bytes(0, ewf::SIGNATURE.len())?)? {
        return Ok(Box::new(EwfSource::open(path, quiet)?));
    }
    Ok(src)
}

/// Opens the EWF image whose first segment is `path` (for what only EWF has:
/// its stored hashes).
pub fn open_ewf(path: &Path, access: Access) -> Result<EwfSource> {
    EwfSource::open(path, |p| open_file(p, access, &mut crate::progress::ignore))
}

/// Opens one file or device.
fn open_file(path: &Path, access: Access, on: &mut crate::progress::OnProgress<'_>) -> Result<Box<dyn BlockSource>> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path).map_err(Error::open(path))?;
    if meta.is_dir() {
        return Err(Error::open(path)(std::io::Error::from_raw_os_error(libc::EISDIR)));
    }
    let src: Box<dyn BlockSource> = if meta.file_type().is_block_device() || access == Access::Direct {
        Box::new(DirectSource::open(path)?)
    } else if path.extension().is_some_and(|e| e == "zst") {
        Box::new(zst::open_zst_with(path, on)?)
    } else {
        Box::new(MmapSource::open(path)?)
    };
    // Containers are recognised by their first bytes and read as the volume they hold.
    o2image::detect(src)
}

/// The error for a read that runs past the end of a source.
pub(crate) fn eof(offset: u64, len: usize, size: u64) -> Error {
    Error::Io {
        offset,
        source: std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("read of {len} bytes at {offset} runs past the end of the source ({size} bytes)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A medium with hints of its own: nothing cached, 7 reads in flight, and a
    /// record of what it was asked to prefetch.
    #[derive(Debug)]
    struct Medium(Mutex<Vec<(u64, u64)>>);

    impl BlockSource for Medium {
        fn size(&self) -> u64 {
            1 << 20
        }
        fn read_at(&self, _: u64, buf: &mut [u8]) -> Result<()> {
            buf.fill(0);
            Ok(())
        }
        fn prefetch(&self, offset: u64, len: u64) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push((offset, len));
        }
        fn is_cached(&self, _: u64) -> bool {
            false
        }
        fn parallel_reads(&self) -> usize {
            7
        }
    }

    /// A layer naming only its underlying source.
    #[derive(Debug)]
    struct Layer(Medium);

    impl BlockSource for Layer {
        fn size(&self) -> u64 {
            self.0.size()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            self.0.read_at(offset, buf)
        }
        fn underlying(&self) -> Option<&dyn BlockSource> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_layer_passes_the_read_hints_to_its_underlying_source() {
        let layer = Layer(Medium(Mutex::new(Vec::new())));
        layer.prefetch(4096, 8192);
        assert!(!layer.is_cached(0));
        assert_eq!(layer.parallel_reads(), 7);
        assert_eq!(*layer.0 .0.lock().unwrap_or_else(|e| e.into_inner()), [(4096, 8192)]);
        // Without one, the defaults: cached, one read at a time.
        let mem = MemSource::from_vec(vec![0; 4096]);
        assert!(mem.is_cached(0) && mem.parallel_reads() == 1);
    }
}
