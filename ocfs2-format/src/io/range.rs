//! A window of another source: a partition of a disk image, or a volume that
//! starts at a byte offset (`--offset`).

use std::borrow::Cow;

use super::{eof, BlockSource};
use crate::error::{Error, InvalidKind, Result};

/// `len` bytes of `inner` starting at `start`, read as a source of their own.
/// Reads are bounded by the window, so a volume inside it can never see the
/// bytes of a neighbouring partition.
#[derive(Debug)]
pub struct RangeSource<S> {
    inner: S,
    start: u64,
    len: u64,
}

impl<S: BlockSource> RangeSource<S> {
    /// The window `start..start + len` of `inner`; it must lie inside `inner`.
    pub fn new(inner: S, start: u64, len: u64) -> Result<Self> {
        match start.checked_add(len) {
            Some(end) if end <= inner.size() => Ok(Self { inner, start, len }),
            _ => Err(Error::invalid(
                InvalidKind::Argument,
                format!(
                    "window of {len} bytes at offset {start} runs past the end of the source ({} bytes)",
                    inner.size()
                ),
            )),
        }
    }

    /// From `start` to the end of `inner`.
    pub fn from_offset(inner: S, start: u64) -> Result<Self> {
        let size = inner.size();
        if start >= size {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("offset {start} is not inside the source ({size} bytes)"),
            ));
        }
        Self::new(inner, start, size - start)
    }

    /// Where the window starts in the source underneath.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The source underneath.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn check(&self, offset: u64, len: usize) -> Result<u64> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.len => Ok(self.start + offset),
            _ => Err(eof(offset, len, self.len)),
        }
    }
}

impl<S: BlockSource> BlockSource for RangeSource<S> {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let at = self.check(offset, buf.len())?;
        self.inner.read_at(at, buf)
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let at = self.check(offset, len)?;
        self.inner.bytes(at, len)
    }

    fn prefetch(&self, offset: u64, len: u64) {
        if offset < self.len {
            self.inner.prefetch(self.start + offset, len.min(self.len - offset));
        }
    }

    fn is_cached(&self, offset: u64) -> bool {
        self.inner.is_cached(self.start.saturating_add(offset))
    }

    fn parallel_reads(&self) -> usize {
        self.inner.parallel_reads()
    }
}

/// A source behind a pointer is a source: `Box` for one owner, `Arc` for the
/// partitions of one disk, which share its source.
macro_rules! forward_block_source {
    ($($ptr:ty),*) => {$(
        impl BlockSource for $ptr {
            fn size(&self) -> u64 {
                (**self).size()
            }
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
                (**self).read_at(offset, buf)
            }
            fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
                (**self).bytes(offset, len)
            }
            fn prefetch(&self, offset: u64, len: u64) {
                (**self).prefetch(offset, len)
            }
            fn is_cached(&self, offset: u64) -> bool {
                (**self).is_cached(offset)
            }
            fn parallel_reads(&self) -> usize {
                (**self).parallel_reads()
            }
        }
    )*};
}

forward_block_source!(Box<dyn BlockSource>, std::sync::Arc<dyn BlockSource>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::MemSource;

    #[test]
    fn reads_are_shifted_and_bounded_by_the_window() {
        let data: Vec<u8> = (0..=255u8).collect();
        let r = RangeSource::new(MemSource::from_bytes(&data), 16, 32).expect("inside");
        assert_eq!(r.size(), 32);
        let mut b = [0u8; 4];
        r.read_at(0, &mut b).expect("read");
        assert_eq!(b, [16, 17, 18, 19]);
        assert_eq!(&*r.bytes(28, 4).expect("read"), &[44, 45, 46, 47]);
        assert!(r.read_at(30, &mut b).is_err(), "a read past the window must fail, not reach byte 48");
        assert!(RangeSource::new(MemSource::from_bytes(&data), 250, 7).is_err());
        assert!(RangeSource::from_offset(MemSource::from_bytes(&data), 256).is_err());
    }
}
