//! An image file: memory-mapped for long reads, `pread` for block-sized ones.
//!
//! Metadata walks touch one block in each of thousands of places (a group
//! descriptor every 126 MiB at 4 KiB clusters). Through a map each such block
//! costs a page fault plus a fresh, zeroed page-table page; a `pread` into a
//! small buffer costs a third of that. Long reads (file data, journals,
//! heartbeat regions) are borrowed from the map without a copy.
// The I/O module is the one place the crate calls the OS directly (see lib.rs).
#![allow(unsafe_code)]

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use memmap2::Mmap;

use super::{eof, BlockSource};
use crate::error::{Error, Result};

/// A read-only memory map of a whole image file.
///
/// The map is taken once, at open; the size is fixed from then on. Another process
/// truncating the file while it is mapped makes later accesses fault (SIGBUS), which
/// is the usual price of mmap; use [`super::DirectSource`] for media that change.
#[derive(Debug)]
pub struct MmapSource {
    /// `None` for an empty file: mapping zero bytes is refused by some kernels.
    map: Option<Mmap>,
    file: File,
    size: u64,
}

impl MmapSource {
    /// Opens `path` read-only and maps it.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(Error::open(path))?;
        Self::from_file(file)
    }

    /// Maps an already opened file. Only read access is needed; the map is read-only
    /// even when the handle could write.
    pub fn from_file(file: File) -> Result<Self> {
        let size = file.metadata().map_err(|source| Error::Io { offset: 0, source })?.len();
        if size == 0 {
            return Ok(Self { map: None, file, size: 0 });
        }
        // SAFETY: the map is read-only and we never hand out references that outlive
        // `self`. The remaining hazard, another process changing the file underneath,
        // cannot be excluded by any mmap user; it changes bytes we read (no UB in safe
        // code reading plain `u8`s) or faults on truncation, as documented on the type.
        let map = unsafe { Mmap::map(&file) }.map_err(|source| Error::Io { offset: 0, source })?;
        // Metadata reads hop across the volume (one group descriptor per group); the
        // default readahead turns each into a large read, which made a 1 TiB bitmap
        // walk take a minute. A failed hint only costs speed.
        let _ = map.advise(memmap2::Advice::Random);
        // The same for the `pread`s of single blocks, which go through the file's
        // own readahead state: each would otherwise pull in 128 KiB or more,
        // zero-filled where the image is sparse (seconds at 15 TiB).
        // SAFETY: a valid open descriptor; the call only sets a hint.
        let _ = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
        // The map may be shorter than the metadata said if the file shrank in between.
        let size = map.len() as u64;
        Ok(Self { map: Some(map), file, size })
    }

    /// The mapped bytes `offset..offset + len`, or the EOF error.
    fn slice(&self, offset: u64, len: usize) -> Result<&[u8]> {
        let end = offset
            .checked_add(len as u64)
            .filter(|&end| end <= self.size)
            .ok_or_else(|| eof(offset, len, self.size))?;
        let map: &[u8] = self.map.as_deref().unwrap_or(&[]);
        // Both bounds are <= size == map.len(), which is a usize, so the casts are exact.
        map.get(offset as usize..end as usize).ok_or_else(|| eof(offset, len, self.size))
    }
}

impl BlockSource for MmapSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if buf.len() > SHORT {
            buf.copy_from_slice(self.slice(offset, buf.len())?);
            return Ok(());
        }
        if offset.checked_add(buf.len() as u64).is_none_or(|end| end > self.size) {
            return Err(eof(offset, buf.len(), self.size));
        }
        self.file.read_exact_at(buf, offset).map_err(|source| Error::Io { offset, source })
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        if len <= SHORT {
            let mut buf = vec![0u8; len];
            self.read_at(offset, &mut buf)?;
            return Ok(Cow::Owned(buf));
        }
        // With MADV_RANDOM each page of a long range would fault in alone, one
        // synchronous read at a time; ask for the whole range up front.
        self.prefetch(offset, len as u64);
        self.slice(offset, len).map(Cow::Borrowed)
    }

    fn is_cached(&self, offset: u64) -> bool {
        let Some(map) = &self.map else { return true };
        if offset >= self.size {
            return true;
        }
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096).max(1);
        let at = offset as usize - offset as usize % page; // offset < size == map.len()
        let mut resident = 0u8;
        // SAFETY: `at..at + 1` lies inside the mapping (at <= offset < len), so the
        // page-aligned address is mapped; mincore writes one byte per page, and
        // one page is asked for.
        let rc = unsafe { libc::mincore(map.as_ptr().add(at) as *mut libc::c_void, 1, &mut resident) };
        rc == 0 && resident & 1 != 0
    }

    fn prefetch(&self, offset: u64, len: u64) {
        let Some(map) = &self.map else { return };
        let end = offset.saturating_add(len).min(self.size);
        if offset >= end {
            return;
        }
        // MADV_WILLNEED starts asynchronous reads of the pages not yet cached. A
        // failed hint only costs speed. Both bounds are <= size == map.len().
        let _ = map.advise_range(memmap2::Advice::WillNeed, offset as usize, (end - offset) as usize);
    }
}

/// Reads up to this long use `pread`; longer ones borrow from the map.
const SHORT: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    fn temp_with(data: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(data).unwrap();
        f.flush().unwrap();
        f
    }

    #[test]
    fn reads_at_odd_offsets() {
        let data = pattern(6 * 4096 + 77);
        let f = temp_with(&data);
        let src = MmapSource::open(f.path()).unwrap();
        assert_eq!(src.size(), data.len() as u64);
        for &(off, len) in &[(0, 1), (1, 4095), (4095, 2), (777, 9000), (12288, 77), (0, 12365), (3, 20000)] {
            let mut buf = vec![0u8; len];
            src.read_at(off as u64, &mut buf).unwrap();
            assert_eq!(buf, &data[off..off + len]);
            let b = src.bytes(off as u64, len).unwrap();
            assert_eq!(matches!(b, Cow::Borrowed(_)), len > SHORT);
            assert_eq!(&*b, &data[off..off + len]);
        }
    }

    #[test]
    fn eof_errors() {
        let data = pattern(1000);
        let f = temp_with(&data);
        let src = MmapSource::open(f.path()).unwrap();
        let mut buf = [0u8; 2];
        let err = src.read_at(999, &mut buf).unwrap_err();
        assert!(
            matches!(&err, Error::Io { offset: 999, source } if source.kind() == std::io::ErrorKind::UnexpectedEof)
        );
        assert!(src.bytes(u64::MAX, 2).is_err());
        assert!(src.bytes(1000, 0).unwrap().is_empty());
        assert!(src.bytes(1001, 0).is_err());
    }

    #[test]
    fn empty_file() {
        let f = temp_with(&[]);
        let src = MmapSource::open(f.path()).unwrap();
        assert_eq!(src.size(), 0);
        assert!(src.bytes(0, 0).unwrap().is_empty());
        assert!(src.read_at(0, &mut [0u8; 1]).is_err());
    }

    #[test]
    fn missing_file_is_an_open_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope");
        let err = MmapSource::open(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Open { path: p, source } if *p == path && source.kind() == std::io::ErrorKind::NotFound)
        );
    }
}
