//! Sources over what a program already holds: any `Read + Seek`, bytes in
//! memory (borrowed or shared, never copied), an open `std::fs::File`.

use std::borrow::Cow;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

use super::{eof, BlockSource};
use crate::error::{Error, Result};

/// Any `Read + Seek` (a network stream, a decrypting reader, a `Cursor`) as a
/// source. Reads take a lock and seek, so they are serialized: fine for one
/// user, slower than [`BytesSource`] or a file for many threads.
pub struct ReaderSource<R> {
    inner: Mutex<R>,
    size: u64,
}

impl<R: Read + Seek + Send> ReaderSource<R> {
    /// Wraps `r`; its size is found by seeking to its end.
    pub fn new(mut r: R) -> Result<Self> {
        let size = r.seek(SeekFrom::End(0)).map_err(|source| Error::Io { offset: 0, source })?;
        Ok(ReaderSource { inner: Mutex::new(r), size })
    }
}

impl<R> fmt::Debug for ReaderSource<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReaderSource").field("size", &self.size).finish_non_exhaustive()
    }
}

impl<R: Read + Seek + Send> BlockSource for ReaderSource<R> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if offset.checked_add(buf.len() as u64).is_none_or(|end| end > self.size) {
            return Err(eof(offset, buf.len(), self.size));
        }
        // A panic while another reader held the lock leaves the reader usable:
        // every read seeks first.
        let mut r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        r.seek(SeekFrom::Start(offset)).map_err(|source| Error::Io { offset, source })?;
        r.read_exact(buf).map_err(|source| Error::Io { offset, source })
    }
}

/// Bytes already in memory, held by whatever owns them (`Vec<u8>`,
/// `Arc<[u8]>`, `Box<[u8]>`, `&'static [u8]`, a memory map): never copied,
/// and [`BlockSource::bytes`] borrows from them.
pub struct BytesSource<B> {
    bytes: B,
}

impl<B: AsRef<[u8]>> BytesSource<B> {
    /// Wraps `bytes`.
    pub fn new(bytes: B) -> Self {
        BytesSource { bytes }
    }
    /// The bytes back.
    pub fn into_inner(self) -> B {
        self.bytes
    }
}

impl<B: AsRef<[u8]>> fmt::Debug for BytesSource<B> {
    // The contents would flood any log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytesSource").field("len", &self.bytes.as_ref().len()).finish()
    }
}

/// `len` bytes of `data` at `offset`, or the end-of-source error.
fn slice(data: &[u8], offset: u64, len: usize) -> Result<&[u8]> {
    usize::try_from(offset)
        .ok()
        .and_then(|o| data.get(o..o.checked_add(len)?))
        .ok_or_else(|| eof(offset, len, data.len() as u64))
}

impl<B: AsRef<[u8]> + Send + Sync> BlockSource for BytesSource<B> {
    fn size(&self) -> u64 {
        self.bytes.as_ref().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        buf.copy_from_slice(slice(self.bytes.as_ref(), offset, buf.len())?);
        Ok(())
    }
    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(slice(self.bytes.as_ref(), offset, len)?))
    }
}

/// A byte vector is a source (see [`BytesSource`] for other owners).
impl BlockSource for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        buf.copy_from_slice(slice(self, offset, buf.len())?);
        Ok(())
    }
    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(slice(self, offset, len)?))
    }
}

/// An open file read with `pread` (no seek, so threads share it). Its size is
/// asked of the file at each call, so a file that grows is seen growing; a
/// block device reports 0 here (open it by path for devices).
impl BlockSource for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read_exact_at(buf, offset).map_err(|source| Error::Io { offset, source })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_source_reads_the_same_and_bounds_reads() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bytes");
        std::fs::write(&path, &data).unwrap();
        let sources: Vec<Box<dyn BlockSource>> = vec![
            Box::new(ReaderSource::new(std::io::Cursor::new(data.clone())).unwrap()),
            Box::new(BytesSource::new(std::sync::Arc::<[u8]>::from(&data[..]))),
            Box::new(data.clone()),
            Box::new(std::fs::File::open(&path).unwrap()),
        ];
        for s in &sources {
            assert_eq!(s.size(), 10_000);
            let mut buf = [0u8; 100];
            s.read_at(9_900, &mut buf).unwrap();
            assert_eq!(&buf[..], &data[9_900..]);
            assert_eq!(&*s.bytes(17, 3).unwrap(), &data[17..20]);
            let e = s.read_at(9_901, &mut buf).unwrap_err();
            assert!(
                matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::UnexpectedEof),
                "{s:?}: {e:?}"
            );
        }
    }
}
