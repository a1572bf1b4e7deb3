//! [`File`]: an open regular file (or symlink body) read like `std::fs::File`,
//! and its layout as [`Run`]s.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Deref;

use crate::error::Result;
use crate::fs::{Contents, Span};
use crate::layout::dinode::ID2_OFFSET;
use crate::layout::inline_data::InlineData;
use crate::volume::Volume;

use super::metadata::Metadata;

/// A stretch of a file's logical bytes and what holds them, like one `fiemap`
/// extent. Offsets and lengths are in bytes; `physical` is the byte offset on
/// the volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// Bytes stored on the volume. `refcounted`: the clusters may be shared
    /// with other files (a reflink), read through a refcount tree. Inline data
    /// is one `Data` run at its place in the inode block.
    Data {
        /// Offset in the file.
        logical: u64,
        /// Byte offset on the volume.
        physical: u64,
        /// Bytes.
        len: u64,
        /// Whether the extent carries the REFCOUNTED flag.
        refcounted: bool,
    },
    /// Allocated but never written (preallocated): reads as zeros.
    Unwritten {
        /// Offset in the file.
        logical: u64,
        /// Byte offset on the volume.
        physical: u64,
        /// Bytes.
        len: u64,
    },
    /// Nothing allocated: reads as zeros.
    Hole {
        /// Offset in the file.
        logical: u64,
        /// Bytes.
        len: u64,
    },
}

impl Run {
    /// Offset of the run in the file.
    pub fn logical(&self) -> u64 {
        match *self {
            Run::Data { logical, .. } | Run::Unwritten { logical, .. } | Run::Hole { logical, .. } => logical,
        }
    }
    /// Bytes in the run.
    pub fn len(&self) -> u64 {
        match *self {
            Run::Data { len, .. } | Run::Unwritten { len, .. } | Run::Hole { len, .. } => len,
        }
    }
    /// Whether the run is empty (never one that [`File::runs`] returns).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An open file of a volume: [`Read`] and [`Seek`] like `std::fs::File`, and
/// [`File::read_at`] for positioned reads that several threads can share.
///
/// `V` is how the volume is held: `&Volume` ([`Volume::open_file`]) or
/// `Arc<Volume>` ([`Volume::open_file_arc`], a `'static` handle). The extent
/// map is read at open; data is read on demand, at most 1 MiB per call. Holes
/// and unwritten extents read as zeros.
///
/// Errors through [`Read`] are `std::io::Error`s made by
/// `From<ocfs2_format::Error>`: a truncated image is `UnexpectedEof`, corruption
/// `InvalidData`; the [`crate::Error`] is inside (`get_ref()`/`downcast()`).
#[derive(Debug)]
pub struct File<V: Deref<Target = Volume>> {
    vol: V,
    meta: Metadata,
    contents: Contents,
    pos: u64,
}

impl<V: Deref<Target = Volume>> File<V> {
    pub(crate) fn new(vol: V, meta: Metadata, contents: Contents) -> Self {
        File { vol, meta, contents, pos: 0 }
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        self.meta.ino()
    }
    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.contents.size()
    }
    /// Whether the size is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The attributes read at open.
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }
    /// The volume the file belongs to.
    pub fn volume(&self) -> &Volume {
        &self.vol
    }

    /// Reads up to `buf.len()` bytes at `offset` (at most 1 MiB, and never across
    /// a change between data and zeros); returns the count, 0 at or past the end.
    /// Takes `&self`: threads may read one `File` at once.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.contents.read_at(&self.vol, offset, buf)
    }

    /// Reads until `buf` is full or the file ends; returns the count.
    pub fn read_full_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.contents.read_full_at(&self.vol, offset, buf)
    }

    /// The first offset at or after `offset` that holds data (`SEEK_DATA`), or
    /// `None` when only holes follow or `offset` is at or past the end (where
    /// `lseek` gives `ENXIO`). Unwritten extents count as holes, as the kernel
    /// counts them; inline data is all data.
    pub fn next_data(&self, mut offset: u64) -> Option<u64> {
        while let Some(span) = self.contents.span_at(&self.vol, offset) {
            if let Span::Data { .. } = span {
                return Some(offset);
            }
            offset += span.len();
        }
        None
    }

    /// The first offset at or after `offset` in a hole (`SEEK_HOLE`): the end of
    /// the file counts as one. `None` when `offset` is at or past the end.
    pub fn next_hole(&self, mut offset: u64) -> Option<u64> {
        if offset >= self.len() {
            return None;
        }
        while let Some(span) = self.contents.span_at(&self.vol, offset) {
            if let Span::Zeros { .. } = span {
                return Some(offset);
            }
            offset += span.len();
        }
        Some(self.len())
    }

    /// The file's layout from byte 0, in order, without gaps: every extent as
    /// [`Run::Data`] or [`Run::Unwritten`] at cluster granularity (an extent may
    /// run past the size, as allocated), [`Run::Hole`] between extents and from
    /// the last extent to the size. Inline data is one [`Run::Data`].
    pub fn runs(&self) -> Vec<Run> {
        let size = self.len();
        if self.contents.is_inline() {
            if size == 0 {
                return Vec::new();
            }
            let geo = self.vol.geometry();
            let at = geo.block_offset(self.ino()) + (ID2_OFFSET + std::mem::size_of::<InlineData>()) as u64;
            // A fast symlink's target starts right at id2.
            let physical = if self.meta.is_symlink() { at - std::mem::size_of::<InlineData>() as u64 } else { at };
            return vec![Run::Data { logical: 0, physical, len: size, refcounted: false }];
        }
        let geo = self.vol.geometry();
        let cbits = geo.cluster_bits;
        let mut out = Vec::new();
        let mut at = 0u64;
        for e in self.contents.extent_map().extents() {
            let logical = u64::from(e.cpos) << cbits;
            let len = u64::from(e.clusters) << cbits;
            if logical > at {
                out.push(Run::Hole { logical: at, len: logical - at });
            }
            let physical = geo.block_offset(e.blkno);
            out.push(if e.is_unwritten() {
                Run::Unwritten { logical, physical, len }
            } else {
                Run::Data { logical, physical, len, refcounted: e.is_refcounted() }
            });
            at = logical + len;
        }
        if size > at {
            out.push(Run::Hole { logical: at, len: size - at });
        }
        out
    }
}

impl<V: Deref<Target = Volume>> Read for File<V> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<V: Deref<Target = Volume>> Seek for File<V> {
    /// Moves the position like `lseek`: anywhere at or after 0, past the end
    /// included (reads there return 0); before 0 is `InvalidInput`.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start or overflow"))?;
        Ok(self.pos)
    }
}
