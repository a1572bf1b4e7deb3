//! ocfs2-tools' o2image files, read as the volume they were taken from.
//!
//! A packed image (o2image's default format) is a header block, then the
//! filesystem blocks it holds in ascending order, then a bitmap with one bit
//! per filesystem block. [`O2ImageSource`] maps volume byte offsets through
//! the bitmap, so every command reads the image as it reads a volume; a block
//! whose bit is clear (file data, free clusters) is [`Error::NotInImage`],
//! never zeros. A raw image (`o2image -r`) is a sparse volume image and needs
//! no translation.
//!
//! [`ImageBitmap`] and [`encode_header`] serve the writer too (`crate::image`).

use super::{eof, BlockSource};
use crate::error::{Error, Result, Value};
use std::borrow::Cow;

/// `hdr_magic` of a packed image.
pub const MAGIC: u32 = 0x72A3_D45F;
/// `hdr_magic_desc`: the reader compares these 12 bytes, NUL included.
const DESC: &[u8; 12] = b"OCFS2 IMAGE\0";
/// The only `hdr_version` written so far; a reader refuses newer ones.
const VERSION: u64 = 1;
/// Bytes in one block of the trailing bitmap, whatever the filesystem block size.
pub const BITMAP_BLOCK: u64 = 4096;
const BITS_PER_BITMAP_BLOCK: u64 = BITMAP_BLOCK * 8;
/// Room for `hdr_superblocks` (the backup superblocks' image block numbers).
const MAX_BACKUPS: usize = 6;
/// Bitmap bits summed per entry of the rank table: 4096 bits (512 bytes).
const RANK_BITS: u64 = 4096;
/// Filesystem block sizes OCFS2 allows.
const BLOCK_SIZES: [u64; 4] = [512, 1024, 2048, 4096];

/// The fields of a packed image's header that a reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct O2ImageHeader {
    /// `hdr_timestamp`: when the image was made (seconds since the epoch).
    pub timestamp: u32,
    /// `hdr_fsblkcnt`: blocks in the filesystem.
    pub fs_blocks: u64,
    /// `hdr_fsblksz`: the filesystem block size, also the size of the image's blocks.
    pub block_size: u64,
    /// `hdr_imgblkcnt`: filesystem blocks stored in the image.
    pub image_blocks: u64,
}

impl O2ImageHeader {
    /// Blocks of [`BITMAP_BLOCK`] bytes in the bitmap.
    pub fn bitmap_blocks(&self) -> u64 {
        (self.fs_blocks - 1) / BITS_PER_BITMAP_BLOCK + 1
    }

    /// Byte offset of the bitmap: after the header block and the stored blocks.
    fn bitmap_offset(&self) -> Option<u64> {
        self.image_blocks.checked_add(1)?.checked_mul(self.block_size)
    }
}

/// Whether `first` (the first bytes of a file) starts like a packed o2image.
pub fn is_o2image(first: &[u8]) -> bool {
    first.len() >= 4 && first[..4] == MAGIC.to_le_bytes()
}

fn le64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap_or_else(|_| unreachable!("8 bytes")))
}

fn bad(field: &'static str, expected: impl Into<Value>, actual: impl Into<Value>) -> Error {
    Error::corrupt(0, "ocfs2_image_hdr", field, expected, actual)
}

/// Parses and bounds a packed image's header (the first 128 bytes or more of
/// the file) against the size of the file: the stored blocks and the bitmap
/// after them must fit in `file_size`.
pub fn parse_header(b: &[u8], file_size: u64) -> Result<O2ImageHeader> {
    const LEN: usize = 72 + 8 * MAX_BACKUPS;
    if b.len() < LEN {
        return Err(bad("hdr_magic", format!("a header of {LEN} bytes"), format!("{} bytes", b.len())));
    }
    let magic = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    if magic != MAGIC {
        return Err(bad("hdr_magic", Value::Hex(MAGIC.into()), Value::Hex(magic.into())));
    }
    if &b[8..20] != DESC {
        return Err(bad(
            "hdr_magic_desc",
            "\"OCFS2 IMAGE\"",
            String::from_utf8_lossy(&b[8..20]).escape_debug().to_string(),
        ));
    }
    let version = le64(b, 24);
    if version == 0 || version > VERSION {
        return Err(bad("hdr_version", VERSION, version));
    }
    let hdr = O2ImageHeader {
        timestamp: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        fs_blocks: le64(b, 32),
        block_size: le64(b, 40),
        image_blocks: le64(b, 48),
    };
    if !BLOCK_SIZES.contains(&hdr.block_size) {
        return Err(bad("hdr_fsblksz", "512, 1024, 2048 or 4096", hdr.block_size));
    }
    if hdr.fs_blocks == 0 || hdr.fs_blocks.checked_mul(hdr.block_size).is_none() {
        return Err(bad("hdr_fsblkcnt", "a non-zero count of addressable blocks", hdr.fs_blocks));
    }
    let bmp_block = le64(b, 56);
    if bmp_block != BITMAP_BLOCK {
        return Err(bad("hdr_bmpblksz", BITMAP_BLOCK, bmp_block));
    }
    if hdr.image_blocks > hdr.fs_blocks {
        return Err(bad("hdr_imgblkcnt", format!("at most hdr_fsblkcnt ({})", hdr.fs_blocks), hdr.image_blocks));
    }
    let end = hdr.bitmap_offset().and_then(|off| off.checked_add(hdr.bitmap_blocks() * BITMAP_BLOCK));
    match end {
        Some(end) if end <= file_size => Ok(hdr),
        _ => Err(bad(
            "hdr_imgblkcnt",
            format!(
                "{} stored blocks and a bitmap of {} bytes inside the file ({file_size} bytes)",
                hdr.image_blocks,
                hdr.bitmap_blocks() * BITMAP_BLOCK
            ),
            format!("{} bytes needed", end.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string())),
        )),
    }
}

/// The bitmap of a packed image: which filesystem blocks it holds, and where.
#[derive(Debug, Clone)]
pub struct ImageBitmap {
    bits: Vec<u64>,
    /// Set bits before each run of [`RANK_BITS`] bits.
    ranks: Vec<u64>,
    blocks: u64,
}

impl ImageBitmap {
    /// A bitmap over `blocks` filesystem blocks from its on-disk bytes (bit `n`
    /// is byte `n / 8`, mask `1 << (n % 8)`). Bits past `blocks` are ignored.
    pub fn from_bytes(bytes: &[u8], blocks: u64) -> Self {
        let words = blocks.div_ceil(64) as usize;
        let mut bits: Vec<u64> = bytes
            .chunks(8)
            .take(words)
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect();
        bits.resize(words, 0);
        if blocks % 64 != 0 {
            if let Some(last) = bits.last_mut() {
                *last &= (1u64 << (blocks % 64)) - 1;
            }
        }
        let per = (RANK_BITS / 64) as usize;
        let mut ranks = Vec::with_capacity(words.div_ceil(per));
        let mut total = 0u64;
        for chunk in bits.chunks(per) {
            ranks.push(total);
            total += chunk.iter().map(|w| u64::from(w.count_ones())).sum::<u64>();
        }
        Self { bits, ranks, blocks }
    }

    /// An empty bitmap over `blocks` blocks, for a writer to fill.
    pub fn new(blocks: u64) -> Self {
        Self { bits: vec![0; blocks.div_ceil(64) as usize], ranks: Vec::new(), blocks }
    }

    /// Marks block `blkno` as held (a writer's bitmap). Blocks past the end are ignored.
    pub fn set(&mut self, blkno: u64) {
        if blkno < self.blocks {
            self.bits[(blkno / 64) as usize] |= 1 << (blkno % 64);
            self.ranks.clear();
        }
    }

    /// Marks blocks `start..start + n` as held (those past the end are ignored).
    pub fn set_range(&mut self, start: u64, n: u64) {
        for b in start..start.saturating_add(n).min(self.blocks) {
            self.set(b);
        }
    }

    /// Whether block `blkno` is held.
    pub fn contains(&self, blkno: u64) -> bool {
        blkno < self.blocks && self.bits[(blkno / 64) as usize] & (1 << (blkno % 64)) != 0
    }

    /// Blocks held.
    pub fn count(&self) -> u64 {
        self.bits.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// The held blocks in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros();
                    w &= w - 1;
                    i as u64 * 64 + u64::from(b)
                })
            })
        })
    }

    /// The on-disk bytes, padded to whole bitmap blocks.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = ((self.blocks.max(1) - 1) / BITS_PER_BITMAP_BLOCK + 1) * BITMAP_BLOCK;
        let mut out: Vec<u8> = self.bits.iter().flat_map(|w| w.to_le_bytes()).collect();
        out.resize(len as usize, 0);
        out
    }

    /// Held blocks before `blkno` (the index of `blkno` among the stored blocks).
    /// Only for a bitmap read by [`Self::from_bytes`], whose rank table is built once.
    fn rank(&self, blkno: u64) -> u64 {
        let word = (blkno / 64) as usize;
        let per = (RANK_BITS / 64) as usize;
        let base = self.ranks[word / per];
        let full: u64 = self.bits[word / per * per..word].iter().map(|w| u64::from(w.count_ones())).sum();
        let part = self.bits[word] & ((1u64 << (blkno % 64)) - 1);
        base + full + u64::from(part.count_ones())
    }
}

/// A packed o2image file read as the volume it holds.
#[derive(Debug)]
pub struct O2ImageSource<S = Box<dyn BlockSource>> {
    inner: S,
    header: O2ImageHeader,
    bitmap: ImageBitmap,
}

impl<S: BlockSource> O2ImageSource<S> {
    /// Reads and checks the header and the bitmap of the packed image in `inner`.
    /// The bitmap must mark exactly `hdr_imgblkcnt` blocks, so every stored block
    /// lies inside the file.
    pub fn new(inner: S) -> Result<Self> {
        let size = inner.size();
        let head = inner.bytes(0, (size.min(512)) as usize)?;
        let header = parse_header(&head, size)?;
        drop(head);
        let off = header.bitmap_offset().unwrap_or_else(|| unreachable!("bounded by parse_header"));
        let len = header.bitmap_blocks() * BITMAP_BLOCK;
        let bytes = inner.bytes(off, usize::try_from(len).map_err(|_| eof(off, usize::MAX, size))?)?;
        let bitmap = ImageBitmap::from_bytes(&bytes, header.fs_blocks);
        drop(bytes);
        let held = bitmap.count();
        if held != header.image_blocks {
            return Err(bad("hdr_imgblkcnt", format!("{held} (the blocks the bitmap marks)"), header.image_blocks));
        }
        Ok(Self { inner, header, bitmap })
    }

    /// The header.
    pub fn header(&self) -> &O2ImageHeader {
        &self.header
    }

    /// Which filesystem blocks the image holds.
    pub fn bitmap(&self) -> &ImageBitmap {
        &self.bitmap
    }

    /// The file offset of filesystem block `blkno`, which must be held.
    fn image_offset(&self, blkno: u64) -> u64 {
        (1 + self.bitmap.rank(blkno)) * self.header.block_size
    }

    /// Checks `offset..offset + len` and returns the file offset of its first
    /// byte when the blocks it covers are held and stored one after another.
    fn contiguous(&self, offset: u64, len: usize) -> Result<Option<u64>> {
        let end = offset
            .checked_add(len as u64)
            .filter(|&e| e <= self.size())
            .ok_or_else(|| eof(offset, len, self.size()))?;
        if len == 0 {
            return Ok(None);
        }
        let bs = self.header.block_size;
        let (first, last) = (offset / bs, (end - 1) / bs);
        let mut contiguous = true;
        for b in first..=last {
            if !self.bitmap.contains(b) {
                return Err(Error::NotInImage { blkno: b });
            }
            contiguous &= b == first || self.bitmap.contains(b - 1);
        }
        Ok(contiguous.then(|| self.image_offset(first) + offset % bs))
    }
}

impl<S: BlockSource> BlockSource for O2ImageSource<S> {
    fn size(&self) -> u64 {
        self.header.fs_blocks * self.header.block_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if let Some(at) = self.contiguous(offset, buf.len())? {
            return self.inner.read_at(at, buf);
        }
        let bs = self.header.block_size;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let n = ((bs - pos % bs) as usize).min(buf.len() - done);
            let at = self.image_offset(pos / bs) + pos % bs;
            self.inner.read_at(at, &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        match self.contiguous(offset, len)? {
            Some(at) => self.inner.bytes(at, len),
            None => {
                let mut buf = vec![0u8; len];
                self.read_at(offset, &mut buf)?;
                Ok(Cow::Owned(buf))
            }
        }
    }
}

/// Wraps `src` in an [`O2ImageSource`] when it starts with the packed image
/// magic; returns it unchanged otherwise.
pub fn detect(src: Box<dyn BlockSource>) -> Result<Box<dyn BlockSource>> {
    let mut magic = [0u8; 4];
    if src.size() < 4 || src.read_at(0, &mut magic).is_err() || !is_o2image(&magic) {
        return Ok(src);
    }
    Ok(Box::new(O2ImageSource::new(src)?))
}

/// The header block of a packed image (`block_size` bytes) for a volume of
/// `held`'s length holding the blocks `held` marks. `backups` are the backup
/// superblocks' filesystem block numbers that the volume's size allows; each is
/// recorded by its image block number, or `u64::MAX` when it is not held.
pub fn encode_header(block_size: u64, held: &ImageBitmap, backups: &[u64], timestamp: u32) -> Vec<u8> {
    let mut hdr = vec![0u8; block_size as usize];
    hdr[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    hdr[4..8].copy_from_slice(&timestamp.to_le_bytes());
    hdr[8..20].copy_from_slice(DESC);
    let backups = &backups[..backups.len().min(MAX_BACKUPS)];
    let image_blkno = |b: u64| {
        if held.contains(b) {
            1 + held.iter().take_while(|&x| x < b).count() as u64
        } else {
            u64::MAX
        }
    };
    let fields = [VERSION, held.blocks, block_size, held.count(), BITMAP_BLOCK, backups.len() as u64];
    for (i, v) in fields.into_iter().chain(backups.iter().map(|&b| image_blkno(b))).enumerate() {
        hdr[24 + 8 * i..32 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    hdr
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::MemSource;

    /// A packed image of an 8-block volume of 512-byte blocks holding blocks 1, 2 and 5.
    fn image() -> Vec<u8> {
        let mut vol = vec![0u8; 8 * 512];
        for b in 0..8 {
            vol[b * 512..(b + 1) * 512].fill(b as u8 + 0x41);
        }
        let mut held = ImageBitmap::new(8);
        for b in [1, 2, 5] {
            held.set(b);
        }
        let mut out = encode_header(512, &held, &[5], 7);
        for b in held.iter() {
            out.extend_from_slice(&vol[b as usize * 512..][..512]);
        }
        out.extend(held.to_bytes());
        out
    }

    #[test]
    fn held_blocks_map_through_the_bitmap_and_others_are_not_in_the_image() {
        let img = image();
        assert_eq!(img.len(), 4 * 512 + 4096);
        let src = O2ImageSource::new(MemSource::from_bytes(&img)).expect("parse");
        assert_eq!(src.size(), 8 * 512);
        assert_eq!(le64(&img, 64), 1, "one backup");
        assert_eq!(le64(&img, 72), 3, "block 5 is image block 3");
        let mut buf = [0u8; 1024];
        src.read_at(512, &mut buf).expect("blocks 1 and 2");
        assert!(buf[..512].iter().all(|&x| x == 0x42) && buf[512..].iter().all(|&x| x == 0x43));
        assert_eq!(&*src.bytes(5 * 512 + 10, 4).expect("block 5"), &[0x46; 4]);
        assert!(matches!(src.read_at(3 * 512, &mut [0u8; 16]), Err(Error::NotInImage { blkno: 3 })));
        assert!(matches!(src.bytes(2 * 512, 1024), Err(Error::NotInImage { blkno: 3 })));
        assert!(matches!(src.read_at(8 * 512, &mut [0u8; 1]), Err(Error::Io { .. })));
    }

    #[test]
    fn a_header_that_lies_is_refused_with_the_field() {
        let img = image();
        let field = |img: &[u8]| match O2ImageSource::new(MemSource::from_bytes(img)) {
            Err(Error::Corrupt(c)) => c.field,
            other => panic!("expected a corrupt header, got {other:?}"),
        };
        let mut short = img.clone();
        short.truncate(img.len() - 1);
        assert_eq!(field(&short), "hdr_imgblkcnt", "a short bitmap");
        let mut more = img.clone();
        more[48] = 2;
        assert_eq!(field(&more), "hdr_imgblkcnt", "a count the bitmap does not match");
        let mut huge = img.clone();
        huge[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(field(&huge), "hdr_fsblkcnt");
        let mut bs = img.clone();
        bs[40] = 3;
        assert_eq!(field(&bs), "hdr_fsblksz");
        let mut ver = img;
        ver[24] = 2;
        assert_eq!(field(&ver), "hdr_version");
    }
}
