//! Streaming reads of file contents: inline data, extents, holes and unwritten
//! extents (both read as zeros), and symlink targets.
//!
//! A [`FileReader`] holds the inode's leaf extents (a few bytes per extent), never
//! the file's data: every read goes to the medium for at most [`MAX_READ`] bytes,
//! so files of any size stream in constant memory.

use std::io::{self, Read, Seek, SeekFrom};

use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::Id2;
use crate::volume::{Inode, Volume};

use super::extent_map::{Extent, ExtentMap};

/// Largest read issued to the medium by one [`FileReader::read_at`] call.
pub const MAX_READ: usize = 1 << 20;

/// Longest symlink target (`PATH_MAX` including the NUL).
const SYMLINK_MAX: u64 = 4096;

/// What a run of a file's bytes holds, from [`FileReader::span_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// `len` bytes stored on the medium, starting in physical block `blkno`
    /// (physically contiguous); for inline files `blkno` is the inode's block.
    Data {
        /// Physical block holding the span's first byte.
        blkno: u64,
        /// Bytes in the span.
        len: u64,
    },
    /// `len` bytes that read as zeros without touching the medium: a hole (no
    /// extent) or an unwritten (preallocated) extent.
    Zeros {
        /// Bytes in the span.
        len: u64,
        /// Whether the span is an allocated but unwritten extent (false: a hole).
        unwritten: bool,
    },
}

impl Span {
    /// Bytes in the span.
    pub fn len(&self) -> u64 {
        match *self {
            Span::Data { len, .. } | Span::Zeros { len, .. } => len,
        }
    }
    /// Whether the span is empty (never returned by [`FileReader::span_at`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where the bytes of a file live.
#[derive(Debug)]
enum Body {
    /// Inline data or a fast symlink target: at most one block, copied out of the
    /// inode block.
    Inline(Vec<u8>),
    /// An extent tree (possibly empty: a file of holes).
    Extents(ExtentMap),
}

/// A file's bytes `0..i_size` and where they live, independent of how the volume
/// is held: [`FileReader`] borrows the volume, `files::File` may own an `Arc`.
#[derive(Debug)]
pub(crate) struct Contents {
    blkno: u64,
    body: Body,
    size: u64,
}

impl Contents {
    /// See [`FileReader::new`].
    pub(crate) fn new(vol: &Volume, inode: &Inode<'_>) -> Result<Self> {
        let h = inode.header();
        let mut size = h.i_size.get();
        let body = match inode.dinode().id2()? {
            Id2::Inline(_, data) => {
                if size > data.len() as u64 {
                    return Err(Error::corrupt(
                        inode.blkno(),
                        "ocfs2_dinode",
                        "i_size",
                        format!("<= id_count {} for an inline-data inode", data.len()),
                        size,
                    ));
                }
                Body::Inline(data[..size as usize].to_vec())
            }
            Id2::FastSymlink(t) => Body::Inline(t.to_vec()),
            Id2::Extents(_) => Body::Extents(ExtentMap::load(vol, inode)?),
            Id2::Empty => {
                size = 0;
                Body::Inline(Vec::new())
            }
            Id2::Super(_) | Id2::Chain(_) | Id2::LocalAlloc(..) | Id2::TruncateLog(_) => {
                return Err(Error::invalid(
                    InvalidKind::WrongType,
                    format!("inode {} holds allocator or superblock metadata, not file data (use stat)", inode.blkno()),
                ))
            }
        };
        Ok(Contents { blkno: inode.blkno(), body, size })
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn extent_map(&self) -> &ExtentMap {
        static EMPTY: ExtentMap = ExtentMap::EMPTY;
        match &self.body {
            Body::Extents(m) => m,
            Body::Inline(_) => &EMPTY,
        }
    }

    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.body, Body::Inline(_))
    }

    /// See [`FileReader::span_at`].
    pub(crate) fn span_at(&self, vol: &Volume, offset: u64) -> Option<Span> {
        if offset >= self.size {
            return None;
        }
        let rest = self.size - offset;
        let map = match &self.body {
            Body::Inline(_) => return Some(Span::Data { blkno: self.blkno, len: rest }),
            Body::Extents(m) => m,
        };
        let geo = vol.geometry();
        let cbits = geo.cluster_bits;
        let cpos = offset >> cbits;
        match map.locate(cpos) {
            Ok(e) => {
                let end = extent_end(e, cbits).min(self.size);
                let len = end - offset;
                if e.is_unwritten() {
                    return Some(Span::Zeros { len, unwritten: true });
                }
                let first_blk = geo.cluster_to_block(u64::from(e.cpos));
                let blkno = e.blkno + ((offset >> geo.block_bits) - first_blk);
                Some(Span::Data { blkno, len })
            }
            Err(next) => {
                let end = next.map_or(self.size, |n| (u64::from(n.cpos) << cbits).min(self.size));
                Some(Span::Zeros { len: end - offset, unwritten: false })
            }
        }
    }

    /// See [`FileReader::read_at`].
    pub(crate) fn read_at(&self, vol: &Volume, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let Some(span) = self.span_at(vol, offset) else {
            return Ok(0);
        };
        let n = span.len().min(buf.len().min(MAX_READ) as u64) as usize;
        let out = &mut buf[..n];
        match (span, &self.body) {
            (_, Body::Inline(data)) => {
                let o = offset as usize; // < size <= one block
                out.copy_from_slice(&data[o..o + n]);
            }
            (Span::Data { blkno, .. }, Body::Extents(_)) => {
                let bs = u64::from(vol.geometry().block_size);
                let in_blk = (offset % bs) as usize;
                let count = (in_blk as u64 + n as u64).div_ceil(bs);
                let data = vol.read_blocks(blkno, count)?;
                out.copy_from_slice(&data[in_blk..in_blk + n]);
            }
            (Span::Zeros { .. }, Body::Extents(_)) => out.fill(0),
        }
        Ok(n)
    }

    /// See [`FileReader::read_full_at`].
    pub(crate) fn read_full_at(&self, vol: &Volume, mut offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            let n = self.read_at(vol, offset, &mut buf[got..])?;
            if n == 0 {
                break;
            }
            got += n;
            offset += n as u64;
        }
        Ok(got)
    }
}

/// Reads a file's bytes `0..i_size` in order ([`Read`], [`Seek`]) or at any
/// offset ([`FileReader::read_at`]).
///
/// Holes and unwritten extents read as zeros; refcounted (reflinked) extents read
/// like any other. Only the extent map is held in memory. [`Read`] reports a
/// failure as the [`std::io::Error`] that `From<Error>` makes (a truncated image
/// is `UnexpectedEof`, corruption `InvalidData`, the [`Error`] inside).
#[derive(Debug)]
pub struct FileReader<'v> {
    vol: &'v Volume,
    contents: Contents,
    pos: u64,
}

impl<'v> FileReader<'v> {
    /// Prepares to read `inode`'s contents. Inodes whose `id2` holds no file data
    /// (allocators, local alloc, truncate log, the superblock) are
    /// [`Error::Invalid`]; device nodes, FIFOs and sockets read as empty.
    pub fn new(vol: &'v Volume, inode: &Inode<'_>) -> Result<Self> {
        Ok(FileReader { vol, contents: Contents::new(vol, inode)?, pos: 0 })
    }

    /// Reads the `size` bytes that `map` maps, an extent tree that is not an
    /// inode's own (an xattr value's), kept in block `owner`.
    pub fn from_map(vol: &'v Volume, owner: u64, map: ExtentMap, size: u64) -> Self {
        FileReader { vol, contents: Contents { blkno: owner, body: Body::Extents(map), size }, pos: 0 }
    }

    /// The file size in bytes.
    pub fn size(&self) -> u64 {
        self.contents.size()
    }

    /// The extent map (empty for inline files and fast symlinks).
    pub fn extent_map(&self) -> &ExtentMap {
        self.contents.extent_map()
    }

    /// Whether the data lives in the inode block (inline data, fast symlink).
    pub fn is_inline(&self) -> bool {
        self.contents.is_inline()
    }

    /// The run of bytes starting at `offset` that are all stored contiguously, or
    /// all zeros (hole or unwritten extent), clipped to the file size. `None` at
    /// or past the end of the file.
    ///
    /// Lets a copier skip zero runs (to write a sparse copy) without reading them.
    pub fn span_at(&self, offset: u64) -> Option<Span> {
        self.contents.span_at(self.vol, offset)
    }

    /// Reads up to `buf.len()` bytes (at most [`MAX_READ`], and never across a
    /// change between stored and zero runs) at byte `offset`. Returns the count, 0
    /// at or past the end of the file; call again for the rest.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.contents.read_at(self.vol, offset, buf)
    }

    /// Reads until `buf` is full or the file ends; returns the count.
    pub fn read_full_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.contents.read_full_at(self.vol, offset, buf)
    }
}

/// First byte past extent `e`.
fn extent_end(e: &Extent, cbits: u32) -> u64 {
    (u64::from(e.cpos) + u64::from(e.clusters)) << cbits
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let p =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start or overflow"))?;
        self.pos = p;
        Ok(p)
    }
}

/// The target of a symlink (fast, or slow: stored in an extent), up to its first
/// NUL.
pub fn read_symlink(vol: &Volume, inode: &Inode<'_>) -> Result<Vec<u8>> {
    if !inode.header().is_symlink() {
        return Err(Error::invalid(InvalidKind::WrongType, format!("inode {} is not a symlink", inode.blkno())));
    }
    let r = FileReader::new(vol, inode)?;
    let size = r.size();
    if size >= SYMLINK_MAX {
        return Err(Error::corrupt(
            inode.blkno(),
            "ocfs2_dinode",
            "i_size",
            format!("< {SYMLINK_MAX} for a symlink"),
            size,
        ));
    }
    let mut buf = vec![0u8; size as usize];
    let got = r.read_full_at(0, &mut buf)?;
    buf.truncate(got);
    if let Some(nul) = buf.iter().position(|&b| b == 0) {
        buf.truncate(nul);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    //! On the kernel-written fixture A-default; shapes from fixtures/README.md
    //! (checked there against debugfs.ocfs2 by ocfs2-inspect's tests).
    #![allow(clippy::unwrap_used)]

    use std::io::{Read, Seek, SeekFrom};

    use super::*;
    use crate::fs::lookup;
    use crate::layout::system_file::SystemFile;

    fn vol() -> &'static Volume {
        crate::test_util::fixture("A-default")
    }

    fn reader(path: &str) -> FileReader<'static> {
        let v = vol();
        FileReader::new(v, &v.inode(lookup(v, path).unwrap()).unwrap()).unwrap()
    }

    /// Byte `i` of `kfixtool pat SEED SIZE` (fixtures/README.md).
    fn pat_byte(seed: u64, i: u64) -> u8 {
        let (b, o) = (i / 4096, (i % 4096) as usize);
        let hdr = format!("kfix seed={:04} blk={b:010}\n\0\0", seed % 10000);
        if o < 32 {
            hdr.as_bytes()[o]
        } else {
            ((seed * 31 + b) & 0xff) as u8
        }
    }

    #[test]
    fn holes_are_zero_spans_between_data() {
        let r = reader("/sparse/holey");
        assert_eq!(r.size(), 16 << 20);
        let mib8 = 8u64 << 20;
        let spans: Vec<(u64, Span)> = {
            let mut v = Vec::new();
            let mut off = 0;
            while let Some(s) = r.span_at(off) {
                v.push((off, s));
                off += s.len();
            }
            v
        };
        let shape: Vec<(u64, u64, bool)> =
            spans.iter().map(|(o, s)| (*o, s.len(), matches!(s, Span::Data { .. }))).collect();
        assert_eq!(
            shape,
            [(0, 4096, true), (4096, mib8 - 4096, false), (mib8, 4096, true), (mib8 + 4096, mib8 - 4096, false)]
        );
        assert!(matches!(spans[1].1, Span::Zeros { unwritten: false, .. }));
        // A read never crosses from data into a hole, and holes read as zeros.
        let mut buf = vec![0xffu8; 10_000];
        assert_eq!(r.read_at(4000, &mut buf).unwrap(), 96);
        assert!(buf[..96].iter().enumerate().all(|(i, &b)| b == pat_byte(30, 4000 + i as u64)));
        assert_eq!(r.read_at(4096, &mut buf).unwrap(), 10_000);
        assert!(buf.iter().all(|&b| b == 0));
        assert_eq!(r.read_full_at(mib8 - 10, &mut buf[..20]).unwrap(), 20);
        assert_eq!(&buf[..10], &[0; 10]);
        assert!(buf[10..20].iter().enumerate().all(|(i, &b)| b == pat_byte(31, i as u64)));
        assert_eq!(r.read_at(16 << 20, &mut buf).unwrap(), 0);
    }

    #[test]
    fn unwritten_extent_is_a_zero_span() {
        let r = reader("/data/prealloc");
        assert_eq!(r.span_at(0), Some(Span::Zeros { len: 4 << 20, unwritten: true }));
        assert_eq!(r.extent_map().extents().len(), 1);
        assert!(r.extent_map().extents()[0].is_unwritten());
    }

    #[test]
    fn refcounted_reflink_streams_with_seek() {
        // pat20m.reflink: pattern 20 with block 3 rewritten as pattern 42 block 0.
        let mut r = reader("/data/pat20m.reflink");
        let mut buf = vec![0u8; 3 * 4096];
        r.seek(SeekFrom::Start(2 * 4096)).unwrap();
        r.read_exact(&mut buf).unwrap();
        for (i, &b) in buf.iter().enumerate() {
            let i = i as u64;
            let want = match i / 4096 {
                1 => pat_byte(42, i % 4096),
                _ => pat_byte(20, 2 * 4096 + i),
            };
            assert_eq!(b, want, "byte {}", 2 * 4096 + i);
        }
        // The shared (refcounted) part, far in, and the end of the file.
        r.seek(SeekFrom::End(-5)).unwrap();
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).unwrap();
        let end = 20u64 << 20;
        assert_eq!(tail, (end - 5..end).map(|i| pat_byte(20, i)).collect::<Vec<_>>());
        assert!(r.extent_map().extents().iter().any(|e| e.flags & crate::layout::extent::flags::REFCOUNTED != 0));
        assert!(r.seek(SeekFrom::Current(-(end as i64) - 1)).is_err());
    }

    #[test]
    fn reads_are_bounded_and_stream() {
        let r = reader("/data/pat20m");
        let mut big = vec![0u8; 3 * MAX_READ];
        assert_eq!(r.read_at(1, &mut big).unwrap(), MAX_READ);
        assert!(big[..MAX_READ].iter().enumerate().all(|(i, &b)| b == pat_byte(20, 1 + i as u64)));
    }

    #[test]
    fn inline_files_and_symlinks() {
        let r = reader("/small/pat3000");
        assert!(r.is_inline() && r.extent_map().extents().is_empty());
        let mut v = Vec::new();
        let mut rr = reader("/small/pat3000");
        rr.read_to_end(&mut v).unwrap();
        assert_eq!(v, (0..3000).map(|i| pat_byte(8, i)).collect::<Vec<_>>());
        assert_eq!(r.span_at(2999).map(|s| s.len()), Some(1));
        assert_eq!(r.span_at(3000), None);

        let v = vol();
        let fast = v.inode(lookup(v, "/links/sym-hello").unwrap()).unwrap();
        assert_eq!(read_symlink(v, &fast).unwrap(), b"../small/hello.txt");
        let slow = v.inode(lookup(v, "/links/sym-long").unwrap()).unwrap();
        let mut want = b"/long/".to_vec();
        want.resize(3996, b'L');
        assert_eq!(read_symlink(v, &slow).unwrap(), want);
        let file = v.inode(lookup(v, "/small/hello.txt").unwrap()).unwrap();
        assert_eq!(read_symlink(v, &file).unwrap_err().invalid_kind(), Some(InvalidKind::WrongType));
    }

    #[test]
    fn allocator_inodes_are_not_files() {
        let v = vol();
        let gb = v.inode(v.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
        assert_eq!(FileReader::new(v, &gb).err().and_then(|e| e.invalid_kind()), Some(InvalidKind::WrongType));
    }
}
