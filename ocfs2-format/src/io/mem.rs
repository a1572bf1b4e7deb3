//! A sparse in-memory source: decompressed images and volumes built by tests.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use super::{eof, BlockSource};
use crate::error::{Error, InvalidKind, Result};

/// Granularity of storage. Filesystem images are mostly zeros in large runs, so
/// only chunks holding a non-zero byte are kept.
pub(super) const CHUNK: usize = 4096;

/// What every absent chunk reads as; lets `bytes` borrow even where nothing is stored.
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// Owned, sparse bytes of a given logical size, readable as a [`BlockSource`].
///
/// The logical size may be far beyond memory (a 4 PiB volume is fine): memory is
/// spent only on 4 KiB chunks that hold a non-zero byte. [`MemSource::write_at`]
/// exists to build contents; it mutates this value only, never any medium.
#[derive(Clone, Default)]
pub struct MemSource {
    size: u64,
    chunks: HashMap<u64, Box<[u8; CHUNK]>>,
}

impl fmt::Debug for MemSource {
    // The chunk contents would flood any log; their count is what matters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemSource").field("size", &self.size).field("resident_chunks", &self.chunks.len()).finish()
    }
}

impl MemSource {
    /// An all-zero source of `size` bytes; costs no chunk memory.
    pub fn new(size: u64) -> Self {
        Self { size, chunks: HashMap::new() }
    }

    /// A source holding a copy of `data`, sized to it.
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut src = Self::new(data.len() as u64);
        for (i, piece) in data.chunks(CHUNK).enumerate() {
            src.store_chunk(i as u64, piece);
        }
        src
    }

    /// A source holding `data`, sized to it.
    pub fn from_vec(data: Vec<u8>) -> Self {
        Self::from_bytes(&data)
    }

    /// Copies `data` in at `offset`. Writing past the logical size is an
    /// [`Error::Invalid`]; writing zeros where nothing is stored allocates nothing,
    /// and a chunk that becomes all zero is released.
    pub fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let end = offset.checked_add(data.len() as u64).filter(|&end| end <= self.size).ok_or_else(|| {
            Error::invalid(
                InvalidKind::Argument,
                format!(
                    "write of {} bytes at {offset} runs past the end of a {}-byte memory source",
                    data.len(),
                    self.size
                ),
            )
        })?;
        let mut pos = offset;
        let mut rest = data;
        while pos < end {
            let index = pos / CHUNK as u64;
            let within = (pos % CHUNK as u64) as usize;
            let n = rest.len().min(CHUNK - within);
            let (piece, tail) = rest.split_at(n);
            let zero = is_zero(piece);
            match self.chunks.get_mut(&index) {
                Some(chunk) => {
                    chunk[within..within + n].copy_from_slice(piece);
                    if zero && is_zero(&chunk[..]) {
                        self.chunks.remove(&index);
                    }
                }
                None if zero => {}
                None => {
                    let mut chunk = Box::new([0u8; CHUNK]);
                    chunk[within..within + n].copy_from_slice(piece);
                    self.chunks.insert(index, chunk);
                }
            }
            pos += n as u64;
            rest = tail;
        }
        Ok(())
    }

    /// Makes `len` bytes at `offset` read as zeros. Only stored chunks are
    /// touched, so zeroing a range that holds nothing costs one lookup per chunk
    /// (mkfs clears a whole cluster after every group descriptor).
    pub fn zero_range(&mut self, offset: u64, len: u64) -> Result<()> {
        let end = offset.checked_add(len).filter(|&end| end <= self.size).ok_or_else(|| {
            Error::invalid(
                InvalidKind::Argument,
                format!("zeroing {len} bytes at {offset} runs past the end of a {}-byte source", self.size),
            )
        })?;
        let c = CHUNK as u64;
        for index in offset / c..end.div_ceil(c) {
            let Some(chunk) = self.chunks.get_mut(&index) else { continue };
            let (from, to) = (offset.max(index * c) - index * c, end.min((index + 1) * c) - index * c);
            chunk[from as usize..to as usize].fill(0);
            if is_zero(&chunk[..]) {
                self.chunks.remove(&index);
            }
        }
        Ok(())
    }

    /// Memory held by stored chunks, in bytes (bookkeeping overhead excluded).
    pub fn resident_bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK as u64
    }

    /// Stores a whole chunk (or the short last one) unless it is all zero. The
    /// caller guarantees the chunk is inside the logical size and not yet stored.
    pub(super) fn store_chunk(&mut self, index: u64, data: &[u8]) {
        if is_zero(data) {
            return;
        }
        let mut chunk = Box::new([0u8; CHUNK]);
        let n = data.len().min(CHUNK);
        chunk[..n].copy_from_slice(&data[..n]);
        self.chunks.insert(index, chunk);
    }

    /// Sets the logical size; used while streaming in data of unknown length.
    pub(super) fn set_size(&mut self, size: u64) {
        self.size = size;
    }

    /// The stored chunk `index`, or the shared zero chunk.
    fn chunk(&self, index: u64) -> &[u8; CHUNK] {
        self.chunks.get(&index).map_or(&ZEROS, |c| &**c)
    }

    /// Checks `offset..offset + len` lies inside the source; returns its end.
    fn check(&self, offset: u64, len: usize) -> Result<u64> {
        offset.checked_add(len as u64).filter(|&end| end <= self.size).ok_or_else(|| eof(offset, len, self.size))
    }
}

/// Whether every byte is zero; word-at-a-time because this runs over whole images.
fn is_zero(data: &[u8]) -> bool {
    let (words, tail) = data.split_at(data.len() - data.len() % 8);
    words.chunks_exact(8).all(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) == 0)
        && tail.iter().all(|&b| b == 0)
}

impl BlockSource for MemSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = self.check(offset, buf.len())?;
        let mut pos = offset;
        let mut filled = 0;
        while pos < end {
            let within = (pos % CHUNK as u64) as usize;
            let n = (buf.len() - filled).min(CHUNK - within);
            let chunk = self.chunk(pos / CHUNK as u64);
            buf[filled..filled + n].copy_from_slice(&chunk[within..within + n]);
            filled += n;
            pos += n as u64;
        }
        Ok(())
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        self.check(offset, len)?;
        let within = (offset % CHUNK as u64) as usize;
        if within + len <= CHUNK {
            let chunk = self.chunk(offset / CHUNK as u64);
            return Ok(Cow::Borrowed(&chunk[within..within + len]));
        }
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(Cow::Owned(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 1) as u8).collect()
    }

    #[test]
    fn sparse_huge_source() {
        const TIB: u64 = 1 << 40;
        let mut src = MemSource::new(TIB);
        assert_eq!(src.resident_bytes(), 0);
        src.write_at(TIB / 2 + 5, &[0x5A]).unwrap();
        assert_eq!(src.resident_bytes(), 4096);
        let mut buf = [0xFFu8; 3];
        src.read_at(TIB / 2 + 4, &mut buf).unwrap();
        assert_eq!(buf, [0, 0x5A, 0]);
        // A 4 PiB source is fine too, and reading its last byte works.
        let big = MemSource::new(4 << 50);
        assert_eq!(&*big.bytes((4 << 50) - 1, 1).unwrap(), &[0]);
    }

    #[test]
    fn zero_writes_do_not_allocate_and_release() {
        let mut src = MemSource::new(1 << 20);
        src.write_at(100, &vec![0u8; 50_000]).unwrap();
        assert_eq!(src.resident_bytes(), 0);
        src.write_at(8192 + 10, &[1, 2, 3]).unwrap();
        assert_eq!(src.resident_bytes(), 4096);
        src.write_at(8192 + 10, &[0, 0, 0]).unwrap();
        assert_eq!(src.resident_bytes(), 0);
    }

    #[test]
    fn zero_range_clears_only_the_range() {
        let mut src = MemSource::new(1 << 20);
        src.write_at(0, &vec![0xaa; 3 * CHUNK]).unwrap();
        src.zero_range(100, CHUNK as u64 + 50).unwrap();
        let mut buf = vec![0u8; 3 * CHUNK];
        src.read_at(0, &mut buf).unwrap();
        for (i, &b) in buf.iter().enumerate() {
            let cleared = (100..100 + CHUNK + 50).contains(&i);
            assert_eq!(b, if cleared { 0 } else { 0xaa }, "byte {i}");
        }
        src.zero_range(0, 3 * CHUNK as u64).unwrap();
        assert_eq!(src.resident_bytes(), 0, "whole zero chunks are released");
        assert!(src.zero_range(1 << 20, 1).is_err());
    }

    #[test]
    fn reads_at_odd_offsets() {
        let data = pattern(3 * 4096 + 99);
        let src = MemSource::from_bytes(&data);
        assert_eq!(src.size(), data.len() as u64);
        for &(off, len) in &[(0, 0), (1, 4095), (4095, 2), (777, 9000), (12288, 99), (0, 12387)] {
            let mut buf = vec![0u8; len];
            src.read_at(off as u64, &mut buf).unwrap();
            assert_eq!(buf, &data[off..off + len]);
            let b = src.bytes(off as u64, len).unwrap();
            assert_eq!(&*b, &data[off..off + len]);
            assert_eq!(matches!(b, Cow::Borrowed(_)), off % 4096 + len <= 4096);
        }
        // Absent chunks borrow too.
        let empty = MemSource::new(10_000);
        assert!(matches!(empty.bytes(4096, 4096).unwrap(), Cow::Borrowed(b) if b == [0; 4096]));
    }

    #[test]
    fn eof_and_write_errors() {
        let mut src = MemSource::from_vec(pattern(5000));
        assert!(matches!(src.read_at(4999, &mut [0u8; 2]), Err(Error::Io { offset: 4999, .. })));
        assert!(src.bytes(u64::MAX, 2).is_err());
        assert_eq!(src.write_at(4999, &[1, 2]).unwrap_err().invalid_kind(), Some(InvalidKind::Argument));
        assert!(src.write_at(u64::MAX, &[1]).is_err());
        src.write_at(5000, &[]).unwrap();
    }

    proptest! {
        #[test]
        fn matches_a_flat_buffer(
            writes in proptest::collection::vec((0usize..20_000, proptest::collection::vec(any::<u8>(), 0..6000)), 0..12),
            reads in proptest::collection::vec((0usize..20_000, 0usize..9000), 1..12),
        ) {
            const SIZE: usize = 20_000;
            let mut flat = vec![0u8; SIZE];
            let mut src = MemSource::new(SIZE as u64);
            for (off, data) in &writes {
                let r = src.write_at(*off as u64, data);
                if off + data.len() <= SIZE {
                    prop_assert!(r.is_ok());
                    flat[*off..off + data.len()].copy_from_slice(data);
                } else {
                    prop_assert!(r.is_err());
                }
            }
            let nonzero = flat.chunks(CHUNK).filter(|c| !is_zero(c)).count() as u64;
            prop_assert_eq!(src.resident_bytes(), nonzero * CHUNK as u64);
            for (off, len) in reads {
                let mut buf = vec![0u8; len];
                let r = src.read_at(off as u64, &mut buf);
                if off + len <= SIZE {
                    prop_assert!(r.is_ok());
                    prop_assert_eq!(&buf[..], &flat[off..off + len]);
                    prop_assert_eq!(&*src.bytes(off as u64, len).unwrap(), &flat[off..off + len]);
                } else {
                    prop_assert!(r.is_err());
                }
            }
        }
    }
}
