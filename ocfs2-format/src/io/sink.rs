//! Where mkfs writes: the one write trait of the crate and its implementations.
//!
//! Only mkfs gets a [`BlockSink`]; the inspector's path never holds one.
// The I/O module is the one place the crate calls the OS directly (see lib.rs).
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

use super::{BlockSource as _, MemSource};
use crate::error::{Error, Result};

/// A random-access byte sink: an image file, a device, or memory.
pub trait BlockSink: std::fmt::Debug {
    /// Size of the target in bytes.
    fn size(&self) -> u64;

    /// Writes `data` at `offset`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()>;

    /// Makes `len` bytes at `offset` read as zeros, as cheaply as the target
    /// allows (nothing on a target known to be all zeros, a hole punch in a file,
    /// the zero-out ioctl on a device, plain zero writes as the last resort).
    fn zero_range(&mut self, offset: u64, len: u64) -> Result<()>;

    /// Makes everything written so far durable.
    fn flush(&mut self) -> Result<()>;
}

/// `BLKZEROOUT` = `_IO(0x12, 127)`: zero a byte range of a block device.
const BLKZEROOUT: libc::c_ulong = 0x127f;

/// Size of the zero buffer used when nothing cheaper works.
const ZERO_CHUNK: usize = 1 << 20;

/// An image file or block device opened for writing.
///
/// A regular file with no data at all (new, truncated, or entirely holes) is
/// known to read as zeros, so [`BlockSink::zero_range`] does nothing on it; on a
/// file with old data it punches holes, on a device it asks the device to zero.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    size: u64,
    block_device: bool,
    all_zero: bool,
}

impl FileSink {
    /// Opens `path` for writing (it must exist) and finds out whether it already
    /// reads as all zeros.
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path).map_err(Error::open(path))?;
        let meta = file.metadata().map_err(Error::open(path))?;
        let block_device = meta.file_type().is_block_device();
        let size = if block_device { super::DirectSource::open(path)?.size() } else { meta.len() };
        let all_zero = !block_device && !has_data(&file);
        Ok(FileSink { file, size, block_device, all_zero })
    }

    /// Whether the target was found to read as all zeros (a fresh sparse file).
    pub fn was_all_zero(&self) -> bool {
        self.all_zero
    }

    fn write_zeros(&self, mut offset: u64, mut len: u64) -> Result<()> {
        let buf = vec![0u8; ZERO_CHUNK.min(len as usize)];
        while len > 0 {
            let n = (buf.len() as u64).min(len) as usize;
            self.file.write_all_at(&buf[..n], offset).map_err(|source| Error::Io { offset, source })?;
            offset += n as u64;
            len -= n as u64;
        }
        Ok(())
    }
}

/// Whether a regular file holds any data extent (`SEEK_DATA` finds one). When the
/// filesystem cannot tell, assume it does: zeroing then costs time, never
/// correctness.
fn has_data(file: &File) -> bool {
    // SAFETY: lseek on a valid descriptor; it only moves the file offset, which
    // nothing else here relies on (all I/O is positional).
    let r = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_DATA) };
    !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENXIO))
}

impl BlockSink for FileSink {
    fn size(&self) -> u64 {
        self.size
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.file.write_all_at(data, offset).map_err(|source| Error::Io { offset, source })
    }

    fn zero_range(&mut self, offset: u64, len: u64) -> Result<()> {
        if len == 0 || self.all_zero {
            return Ok(());
        }
        let fd = self.file.as_raw_fd();
        if self.block_device {
            let range: [u64; 2] = [offset, len];
            // SAFETY: BLKZEROOUT reads two u64 (start, length) through the pointer,
            // which points to a live array of two u64.
            let rc = unsafe { libc::ioctl(fd, BLKZEROOUT as _, range.as_ptr()) };
            if rc == 0 {
                return Ok(());
            }
        } else {
            let (Ok(o), Ok(l)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
                return self.write_zeros(offset, len);
            };
            // SAFETY: fallocate on a valid descriptor with plain integer arguments.
            let rc = unsafe { libc::fallocate(fd, libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE, o, l) };
            if rc == 0 {
                return Ok(());
            }
        }
        self.write_zeros(offset, len)
    }

    fn flush(&mut self) -> Result<()> {
        self.file.sync_all().map_err(|source| Error::Io { offset: 0, source })
    }
}

impl BlockSink for MemSource {
    fn size(&self) -> u64 {
        crate::io::BlockSource::size(self)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        MemSource::write_at(self, offset, data)
    }

    fn zero_range(&mut self, offset: u64, len: u64) -> Result<()> {
        MemSource::zero_range(self, offset, len)
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn fresh_file_is_all_zero_and_old_data_is_zeroed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img");
        std::fs::File::create(&p).unwrap().set_len(1 << 20).unwrap();
        let mut s = FileSink::open(&p).unwrap();
        assert!(s.was_all_zero());
        s.write_at(4096, b"hello").unwrap();
        s.flush().unwrap();
        let mut s = FileSink::open(&p).unwrap();
        assert!(!s.was_all_zero());
        s.zero_range(4096, 4096).unwrap();
        s.flush().unwrap();
        let mut buf = Vec::new();
        std::fs::File::open(&p).unwrap().read_to_end(&mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0));
    }
}
