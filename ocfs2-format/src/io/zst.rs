//! Zstandard-compressed images, decompressed into a sparse [`MemSource`].
//!
//! Test fixtures ship as `.img.zst`: a mostly empty volume compresses to a few
//! kilobytes. Decompressing into sparse memory keeps the cost at the real data.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::mem::CHUNK;
use super::MemSource;
use crate::error::{Error, Result};
use crate::progress::{self, OnProgress, Task};

/// Opens and decompresses the `.zst` image at `path`.
pub fn open_zst(path: &Path) -> Result<MemSource> {
    open_zst_with(path, &mut progress::ignore)
}

/// [`open_zst`] reporting [`Task::Decompress`] progress in compressed bytes of
/// the file's size; the callback may cancel ([`Error::Cancelled`]).
pub fn open_zst_with(path: &Path, on: &mut OnProgress<'_>) -> Result<MemSource> {
    let file = File::open(path).map_err(Error::open(path))?;
    let total = file.metadata().ok().map(|m| m.len());
    decompress_zst_with(file, total, on)
}

/// Decompresses a zstd stream (one or more frames) into a [`MemSource`] whose size
/// is the decompressed length. All-zero 4 KiB chunks are not stored, so memory is
/// bounded by the non-zero data, not by the image size.
///
/// A stream that ends inside a frame (a cut copy) is [`Error::Truncated`]
/// (`size`: the bytes decompressed; the block size being unknown yet, `blkno`
/// counts 4 KiB units); another failure is an [`Error::Io`] whose offset is the
/// decompressed position reached.
pub fn decompress_zst<R: Read>(r: R) -> Result<MemSource> {
    decompress_zst_with(r, None, &mut progress::ignore)
}

/// [`decompress_zst`] reporting [`Task::Decompress`] progress (compressed
/// bytes read, of `total` when the caller knows it) every 1 MiB of output; the
/// callback may cancel ([`Error::Cancelled`]).
pub fn decompress_zst_with<R: Read>(r: R, total: Option<u64>, on: &mut OnProgress<'_>) -> Result<MemSource> {
    let counted = Counted { inner: r, read: 0 };
    let mut decoder = zstd::stream::read::Decoder::new(counted).map_err(|source| Error::Io { offset: 0, source })?;
    let mut src = MemSource::new(0);
    let mut buf = [0u8; CHUNK];
    let mut index = 0u64;
    loop {
        let offset = index * CHUNK as u64;
        if index % REPORT_EVERY == 0 {
            progress::report(on, Task::Decompress, decoder.get_ref().get_ref().read, total)?;
        }
        let n = fill(&mut decoder, &mut buf).map_err(|source| match source.kind() {
            // The compressed stream ends inside a frame: a cut copy.
            ErrorKind::UnexpectedEof => Error::Truncated { blkno: offset / CHUNK as u64, size: offset },
            _ => Error::Io { offset, source },
        })?;
        src.store_chunk(index, &buf[..n]);
        if n < CHUNK {
            src.set_size(offset + n as u64);
            let done = decoder.get_ref().get_ref().read;
            progress::report(on, Task::Decompress, done, total.or(Some(done)))?;
            return Ok(src);
        }
        index += 1;
    }
}

/// Chunks decompressed between progress reports (1 MiB).
const REPORT_EVERY: u64 = 256;

/// A reader that counts the bytes it has given.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::BlockSource;

    /// A 256 MiB image with a few scattered non-zero regions.
    fn sparse_image() -> Vec<u8> {
        let mut img = vec![0u8; 256 << 20];
        for (i, at) in [0usize, 4096 * 3 + 17, 100 << 20, (256 << 20) - 5].into_iter().enumerate() {
            for (j, b) in img[at..].iter_mut().take(5000).enumerate() {
                *b = (i * 37 + j) as u8 | 1;
            }
        }
        img
    }

    #[test]
    fn round_trip_is_sparse() {
        let img = sparse_image();
        let packed = zstd::encode_all(&img[..], 3).unwrap();
        let src = decompress_zst(&packed[..]).unwrap();
        assert_eq!(src.size(), img.len() as u64);
        assert!(src.resident_bytes() <= 16 * 4096, "{}", src.resident_bytes());
        for &(off, len) in &[(0usize, 10_000usize), (12_300, 5000), (100 << 20, 8192), ((256 << 20) - 4097, 4097)] {
            assert_eq!(&*src.bytes(off as u64, len).unwrap(), &img[off..off + len]);
        }
        let mut piece = vec![0u8; 1 << 20];
        for (i, want) in img.chunks(piece.len()).enumerate() {
            src.read_at((i * piece.len()) as u64, &mut piece).unwrap();
            assert!(piece == want, "MiB {i}");
        }
    }

    #[test]
    fn odd_length_and_empty() {
        let data: Vec<u8> = (0..10_001u32).map(|i| (i % 251) as u8).collect();
        let src = decompress_zst(&zstd::encode_all(&data[..], 1).unwrap()[..]).unwrap();
        assert_eq!(src.size(), 10_001);
        assert_eq!(&*src.bytes(9000, 1001).unwrap(), &data[9000..]);
        assert!(src.bytes(10_000, 2).is_err());

        let empty = decompress_zst(&zstd::encode_all(&[][..], 1).unwrap()[..]).unwrap();
        assert_eq!(empty.size(), 0);
    }

    #[test]
    fn concatenated_frames() {
        let mut packed = zstd::encode_all(&[1u8; 5000][..], 1).unwrap();
        packed.extend(zstd::encode_all(&[2u8; 100][..], 1).unwrap());
        let src = decompress_zst(&packed[..]).unwrap();
        assert_eq!(src.size(), 5100);
        assert_eq!(&*src.bytes(4999, 2).unwrap(), &[1, 2]);
    }

    #[test]
    fn garbage_is_io_error() {
        let err = decompress_zst(&b"definitely not zstd"[..]).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        let mut packed = zstd::encode_all(&vec![7u8; 100_000][..], 1).unwrap();
        packed.truncate(packed.len() / 2);
        assert!(matches!(decompress_zst(&packed[..]), Err(Error::Truncated { .. })));
    }

    #[test]
    fn progress_counts_compressed_bytes_and_cancels() {
        let img = sparse_image();
        let packed = zstd::encode_all(&img[..], 3).unwrap();
        let mut seen = Vec::new();
        let src = decompress_zst_with(&packed[..], Some(packed.len() as u64), &mut |p: crate::progress::Progress| {
            seen.push((p.task, p.done, p.total));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(src.size(), img.len() as u64);
        // At the start of each MiB of output (0..=256 MiB), then at the end.
        assert_eq!(seen.len(), 257 + 1);
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(seen.last(), Some(&(Task::Decompress, packed.len() as u64, Some(packed.len() as u64))));
        let mut n = 0;
        let r = decompress_zst_with(&packed[..], None, &mut |_| {
            n += 1;
            if n == 3 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        });
        assert!(matches!(r, Err(Error::Cancelled)));
    }

    #[test]
    fn open_zst_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.img.zst");
        std::fs::write(&path, zstd::encode_all(&[9u8; 8000][..], 1).unwrap()).unwrap();
        let src = open_zst(&path).unwrap();
        assert_eq!(src.size(), 8000);
        assert_eq!(src.resident_bytes(), 8192);
        let via_open = crate::io::open(&path).unwrap();
        assert_eq!(via_open.size(), 8000);
        assert!(open_zst(&dir.path().join("missing.zst")).is_err());
    }
}
