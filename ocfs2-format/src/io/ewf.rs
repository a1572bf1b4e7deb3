//! Expert Witness Format (EWF v1: `.E01`, `.E02`, ...), as EnCase, FTK Imager
//! and libewf's `ewfacquire` write it, read as the raw image it holds.
//!
//! Our own reader rather than the `ewf` crate: that crate opens its segment
//! files itself (we read every byte through a [`BlockSource`], mmap or
//! O_DIRECT, so E01 stacks under partitions and offsets like any image), and
//! its errors cannot name the segment and offset a damaged image fails at.
//!
//! A segment file is a 13-byte header (`EVF\x09\x0d\x0a\xff\x00`, 0x01, the
//! segment number, 0x0000) then a chain of sections, each behind a 76-byte
//! descriptor (type, offset of the next section, size, Adler-32). The media is
//! cut into chunks (`sectors per chunk` x `bytes per sector`, 32 KiB by
//! default); `sectors` sections hold them, zlib-compressed or raw with an
//! Adler-32 appended; each `table` section lists where its chunks start (the
//! top bit of an entry marks a compressed chunk). `volume`/`disk` gives the
//! geometry, `hash` and `digest` the MD5 and SHA-1 computed at acquisition,
//! `next` ends a segment and `done` the last.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use super::{eof, BlockSource};
use crate::error::{Error, Result};

const KIND: &str = "EWF";
/// The signature that starts every EWF v1 segment file.
pub const SIGNATURE: [u8; 8] = *b"EVF\x09\x0d\x0a\xff\x00";
const FILE_HEADER: u64 = 13;
const DESCRIPTOR: u64 = 76;
/// Chunks larger than this are refused (ewfacquire allows up to 32768 sectors
/// of 512 bytes, 16 MiB).
const MAX_CHUNK: u64 = 64 << 20;
/// Inflated chunks kept: as many as fit 8 MiB (256 of 32 KiB), at least one.
/// Direct-mapped by chunk number, so a sequential read inflates each chunk
/// once and scattered metadata reads keep their hot chunks.
const CACHE_BYTES: u64 = 8 << 20;
/// Segments beyond `.E99` continue `.EAA` to `.ZZZ`.
const MAX_SEGMENTS: usize = 99 + 22 * 26 * 26;

/// Where one chunk is stored.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    segment: u32,
    /// Byte offset in the segment file; the top bit marks a compressed chunk.
    offset: u64,
    len: u32,
}

const COMPRESSED: u64 = 1 << 63;

#[derive(Debug)]
struct Segment {
    path: PathBuf,
    src: Box<dyn BlockSource>,
}

/// The hashes an EWF image stores of the media, computed at acquisition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredHashes {
    /// MD5 (from the `hash` or `digest` section).
    pub md5: Option<[u8; 16]>,
    /// SHA-1 (from the `digest` section).
    pub sha1: Option<[u8; 20]>,
}

/// The result of [`EwfSource::verify`].
#[derive(Debug)]
pub struct Verification {
    /// What the image stores.
    pub stored: StoredHashes,
    /// MD5 of the media as read now.
    pub md5: [u8; 16],
    /// SHA-1 of the media as read now.
    pub sha1: [u8; 20],
    /// Chunks that could not be read (checksum or inflate failures), with
    /// their number. As in ewfverify, a raw chunk whose checksum fails is
    /// hashed as stored, one that does not inflate as zeros.
    pub bad_chunks: Vec<(u64, Error)>,
}

impl Verification {
    /// Whether every stored hash matches and every chunk read cleanly (and at
    /// least one hash was stored to check).
    pub fn ok(&self) -> bool {
        let md5 = self.stored.md5.is_none_or(|m| m == self.md5);
        let sha1 = self.stored.sha1.is_none_or(|s| s == self.sha1);
        md5 && sha1 && self.bad_chunks.is_empty() && (self.stored.md5.is_some() || self.stored.sha1.is_some())
    }
}

/// An EWF image's media, read as one source.
#[derive(Debug)]
pub struct EwfSource {
    media: Arc<Media>,
    /// Threads a long read inflates on, the reader's among them:
    /// [`walk_threads`](super::walk_threads), asked once (it reads the
    /// cgroup's files on every call).
    threads: usize,
    /// The other `threads - 1`, started by the first long read, long hint
    /// (more than [`HINT_START`] chunks) or [`EwfSource::verify`] (opening a volume
    /// starts none) and stopped when the source drops.
    helpers: OnceLock<Helpers>,
}

/// The segments, their chunks and the inflated ones: what readers and helper
/// threads share.
#[derive(Debug)]
struct Media {
    segments: Vec<Segment>,
    chunks: Vec<Chunk>,
    chunk_size: u64,
    size: u64,
    hashes: StoredHashes,
    cache: Vec<Mutex<Option<Slot>>>,
    ahead: Mutex<Ahead>,
    /// Wakes helpers: chunks queued, room made in `ready`, or stop.
    work: Condvar,
    /// Wakes readers waiting for a chunk a helper is inflating.
    landed: Condvar,
    /// At most this many chunks are inflating or inflated ahead of their
    /// reader: [`AHEAD_BYTES`] of them, at least one.
    window: usize,
    /// Hinted chunks helpers inflate into the cache ahead of the walk, at
    /// most: a quarter of the cache, so the walk's own chunks stay in it.
    hint_lead: usize,
}

/// Chunks handed to the helper threads. Helpers take `queue` from the front;
/// a reader takes its own chunks back from the queue's far end, so each
/// chunk is inflated once, by whoever comes to it first.
#[derive(Debug, Default)]
struct Ahead {
    /// Waiting for a helper, in the order they will be read.
    queue: VecDeque<u64>,
    /// Being inflated by a helper.
    busy: Vec<u64>,
    /// Inflated by a helper and not yet read, oldest first.
    ready: VecDeque<Cached>,
    /// Where the last long read ended: a long read starting there continues
    /// a sequential stream, which earns read-ahead.
    stream_end: u64,
    /// Hinted chunks (metadata a walk will read) waiting for a helper, which
    /// inflates them into the cache; they wait behind `queue`, which a
    /// reader may be waiting for.
    hinted: VecDeque<u64>,
    /// Hinted chunks inflated into the cache and not read yet: helpers stay
    /// at most [`Media::hint_lead`] ahead of the walk, so they do not evict
    /// what it has still to read. Counted per generation: a reader that
    /// meets a hinted chunk still queued while the helpers wait on their
    /// lead has passed the unread ones by, and starts a new generation.
    unread: usize,
    generation: u64,
    /// Helpers waiting for work and readers waiting for a chunk: a wake-up
    /// is a system call, made only when someone waits.
    idle: usize,
    waiting: usize,
    stop: bool,
}

/// The helper threads, and the process that started them (a forked child
/// has none of its parent's threads, so it inflates alone).
#[derive(Debug)]
struct Helpers {
    pid: u32,
    threads: Vec<JoinHandle<()>>,
}

/// An inflated chunk and its number.
type Cached = (u64, Arc<Vec<u8>>);

/// A cache entry: an inflated chunk, and whether a helper inflated it on a
/// hint that no reader has used yet (the hint's generation: see
/// [`Ahead::unread`]).
#[derive(Debug)]
struct Slot {
    n: u64,
    data: Arc<Vec<u8>>,
    hint: Option<u64>,
}

/// The signature of EWF version 2 (`.Ex01`) segments, which we do not read.
const SIGNATURE_V2: [u8; 8] = *b"EVF2\x0d\x0a\x81\x00";

/// Whether `head` (the first 8 bytes of a file) starts an EWF v1 segment; an
/// EWF v2 segment is an [`Error::Unsupported`].
pub fn is_ewf(head: &[u8]) -> Result<bool> {
    if head.starts_with(&SIGNATURE_V2) {
        return Err(Error::Unsupported { what: "EWF version 2 (Ex01) image", bit: 2 });
    }
    Ok(head.starts_with(&SIGNATURE))
}

/// The name of segment `n` (1-based) beside `first`: `.E01` to `.E99`, then
/// `.EAA`, ..., `.EZZ`, `.FAA`, ... (the letter and case of the first
/// segment's extension: `.e01`, `.s01` for the SMART format).
fn segment_path(first: &Path, n: usize) -> PathBuf {
    let ext = first.extension().and_then(|e| e.to_str()).unwrap_or("E01");
    let base = ext.bytes().next().filter(u8::is_ascii_alphabetic).unwrap_or(b'E');
    let a = if base.is_ascii_lowercase() { b'a' } else { b'A' };
    let name = if n <= 99 {
        format!("{}{n:02}", base as char)
    } else {
        let k = n - 100;
        let (x, y, z) = (k / 676, k / 26 % 26, k % 26);
        format!("{}{}{}", (base + x as u8) as char, (a + y as u8) as char, (a + z as u8) as char)
    };
    first.with_extension(name)
}

/// Adler-32 (EWF's checksum), vectorised: raw chunks are checked on every load.
fn adler32(data: &[u8]) -> u32 {
    let mut a = simd_adler32::Adler32::new();
    a.write(data);
    a.finish()
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_else(|_| unreachable!("8 bytes")))
}

/// Geometry from a `volume`/`disk` section.
struct Geometry {
    chunks: u64,
    chunk_size: u64,
    size: u64,
}

/// Reads a segment's sections in order.
struct Parser<'a> {
    seg: &'a Segment,
    index: u32,
}

impl Parser<'_> {
    fn err(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::container(KIND, Some(&self.seg.path), offset, what)
    }

    fn read(&self, offset: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        let size = self.seg.src.size();
        if offset.checked_add(len).is_none_or(|end| end > size) {
            return Err(self.err(offset, format!("{len} bytes here run past the end of the segment ({size} bytes)")));
        }
        self.seg.src.bytes(offset, len as usize)
    }
}

impl EwfSource {
    /// Opens the EWF image whose first segment is `first`, reading each
    /// segment file through `open`.
    pub fn open(first: &Path, open: impl Fn(&Path) -> Result<Box<dyn BlockSource>>) -> Result<Self> {
        let mut segments = Vec::new();
        let mut chunks = Vec::new();
        let mut geo: Option<Geometry> = None;
        let mut hashes = StoredHashes::default();
        loop {
            let n = segments.len() + 1;
            let path = if n == 1 { first.to_path_buf() } else { segment_path(first, n) };
            if n > MAX_SEGMENTS {
                return Err(Error::container(KIND, Some(&path), 0, format!("more than {MAX_SEGMENTS} segments")));
            }
            let src = match open(&path) {
                Err(Error::Open { source, .. }) if n > 1 && source.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::container(
                        KIND,
                        Some(&path),
                        0,
                        format!("segment {n} is missing (segment {} ends with a \"next\" section)", n - 1),
                    ));
                }
                r => r?,
            };
            segments.push(Segment { path, src });
            let p = Parser { seg: &segments[n - 1], index: n as u32 - 1 };
            let done = p.sections(&mut geo, &mut chunks, &mut hashes)?;
            if done {
                break;
            }
        }
        let last = &segments[segments.len() - 1].path;
        let Some(geo) = geo else {
            return Err(Error::container(KIND, Some(first), FILE_HEADER, "no volume or disk section"));
        };
        if chunks.len() as u64 != geo.chunks {
            return Err(Error::container(
                KIND,
                Some(last),
                0,
                format!("the tables list {} chunks, the volume section {}", chunks.len(), geo.chunks),
            ));
        }
        let slots = (CACHE_BYTES / geo.chunk_size).max(1);
        let media = Media {
            segments,
            chunks,
            chunk_size: geo.chunk_size,
            size: geo.size,
            hashes,
            cache: (0..slots).map(|_| Mutex::new(None)).collect(),
            ahead: Mutex::default(),
            work: Condvar::new(),
            landed: Condvar::new(),
            window: (AHEAD_BYTES / geo.chunk_size).max(1) as usize,
            hint_lead: (slots / 4).max(1) as usize,
        };
        Ok(EwfSource { media: Arc::new(media), threads: super::walk_threads(), helpers: OnceLock::new() })
    }

    /// The hashes stored at acquisition.
    pub fn stored_hashes(&self) -> StoredHashes {
        self.media.hashes
    }

    /// The segment files, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.media.segments.iter().map(|s| s.path.as_path())
    }

    /// Bytes per chunk.
    pub fn chunk_size(&self) -> u64 {
        self.media.chunk_size
    }

    /// Reads every chunk and hashes the media with MD5 and SHA-1, to compare
    /// with the hashes stored at acquisition. The helper threads inflate
    /// ahead and MD5 runs on a thread of its own: the two hashes, each
    /// serial, and inflating are the cost.
    pub fn verify(&self) -> Result<Verification> {
        use md5::Digest;
        let m = &*self.media;
        let n = m.chunks.len() as u64;
        let helping = self.helping(true);
        let mut sha1 = sha1::Sha1::new();
        let mut bad_chunks = Vec::new();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(64);
        let md5 = std::thread::scope(|s| -> Result<[u8; 16]> {
            let hasher = std::thread::Builder::new().spawn_scoped(s, move || {
                let mut h = md5::Md5::new();
                rx.iter().for_each(|d| h.update(&d[..]));
                <[u8; 16]>::from(h.finalize())
            });
            // A thread that cannot be started leaves MD5 to this one.
            let mut inline = hasher.is_err().then(md5::Md5::new);
            let mut queued = 0;
            for i in 0..n {
                if helping && queued < (i + m.window as u64 / 2).min(n) {
                    let to = (i + 1 + m.window as u64).min(n);
                    let mut a = m.lock_ahead();
                    a.queue.extend(queued.max(i + 1)..to);
                    m.wake_helpers(&a);
                    queued = to;
                }
                let found = if helping { m.wait_claim(i) } else { Found::Mine };
                // A chunk a helper could not inflate is loaded here, where its error is kept.
                let (data, bad) = match found {
                    Found::Ready(data) => (data, None),
                    _ => match m.load(i) {
                        Ok((data, bad)) => (Arc::new(data), bad),
                        Err(e @ Error::Container { .. }) => (Arc::new(vec![0u8; m.chunk_len(i) as usize]), Some(e)),
                        Err(e) => return Err(e),
                    },
                };
                sha1.update(&data[..]);
                match &mut inline {
                    Some(h) => h.update(&data[..]),
                    // The hasher only stops when the sender is dropped.
                    None => drop(tx.send(data)),
                }
                bad_chunks.extend(bad.map(|e| (i, e)));
            }
            drop(tx);
            Ok(match (inline, hasher) {
                (Some(h), _) => h.finalize().into(),
                (None, Ok(h)) => h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                (None, Err(_)) => unreachable!("MD5 is inline when its thread did not start"),
            })
        })?;
        Ok(Verification { stored: m.hashes, md5, sha1: sha1.finalize().into(), bad_chunks })
    }
}

impl Media {
    /// Media bytes in chunk `i` (the last one may be short).
    fn chunk_len(&self, i: u64) -> u64 {
        self.chunk_size.min(self.size - i * self.chunk_size)
    }

    fn slot(&self, i: u64) -> MutexGuard<'_, Option<Slot>> {
        self.cache[i as usize % self.cache.len()].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the cache holds chunk `i` (a look, not a read).
    fn has(&self, i: u64) -> bool {
        self.slot(i).as_ref().is_some_and(|s| s.n == i)
    }

    /// Chunk `i` if the cache holds it, for a reader.
    fn cached(&self, i: u64) -> Option<Arc<Vec<u8>>> {
        let (data, hint) = match &mut *self.slot(i) {
            Some(s) if s.n == i => (Arc::clone(&s.data), s.hint.take()),
            _ => return None,
        };
        self.hint_gone(hint);
        Some(data)
    }

    /// Caches chunk `i`; `hint`: the generation of the hint it was inflated on.
    fn cache(&self, i: u64, data: Arc<Vec<u8>>, hint: Option<u64>) {
        let old = self.slot(i).replace(Slot { n: i, data, hint });
        self.hint_gone(old.and_then(|s| s.hint));
    }

    /// A hinted chunk was read or evicted: one less unread, room for helpers.
    fn hint_gone(&self, hint: Option<u64>) {
        let Some(g) = hint else { return };
        let mut a = self.lock_ahead();
        if a.generation == g {
            a.unread = a.unread.saturating_sub(1);
            self.wake_helpers(&a);
        }
    }

    /// Chunk `i`, inflated and checked, from the cache when it is there.
    fn chunk(&self, i: u64) -> Result<Arc<Vec<u8>>> {
        if let Some(data) = self.cached(i) {
            return Ok(data);
        }
        let data = match self.load(i)? {
            (data, None) => Arc::new(data),
            (_, Some(e)) => return Err(e),
        };
        self.cache(i, Arc::clone(&data), None);
        Ok(data)
    }

    /// Chunk `i` from its segment, and the checksum error of a raw chunk
    /// whose data could still be read.
    fn load(&self, i: u64) -> Result<(Vec<u8>, Option<Error>)> {
        let mut out = vec![0u8; self.chunk_len(i) as usize];
        let bad = self.load_into(i, &mut out)?;
        Ok((out, bad))
    }

    /// [`Media::load`] into `out`, which is exactly the chunk's length.
    fn load_into(&self, i: u64, out: &mut [u8]) -> Result<Option<Error>> {
        let c = self.chunks[i as usize];
        let seg = &self.segments[c.segment as usize];
        let at = c.offset & !COMPRESSED;
        let bad = |what: String| Error::container(KIND, Some(&seg.path), at, format!("chunk {i}: {what}"));
        let raw = seg.src.bytes(at, c.len as usize)?;
        let want = out.len();
        if c.offset & COMPRESSED != 0 {
            // One inflate state per thread, reset per chunk: a fresh one costs
            // more to set up than a 32 KiB chunk takes to inflate.
            thread_local! {
                static INFLATE: std::cell::RefCell<flate2::Decompress> =
                    std::cell::RefCell::new(flate2::Decompress::new(true));
            }
            let (r, got) = INFLATE.with_borrow_mut(|z| {
                z.reset(true);
                (z.decompress(&raw, out, flate2::FlushDecompress::Finish), z.total_out())
            });
            // `out` holds exactly the chunk: a longer stream cannot reach its end.
            match r {
                Ok(flate2::Status::StreamEnd) if got == want as u64 => Ok(None),
                Ok(flate2::Status::StreamEnd) => Err(bad(format!("inflates to {got} bytes, not {want}"))),
                Ok(_) => Err(bad(format!("zlib stream incomplete or longer than {want} bytes"))),
                Err(e) => Err(bad(format!("zlib: {e}"))),
            }
        } else {
            if raw.len() != want + 4 {
                return Err(bad(format!("stored uncompressed in {} bytes, not {} plus a checksum", raw.len(), want)));
            }
            let (data, sum) = raw.split_at(want);
            let (stored, computed) = (le32(sum, 0), adler32(data));
            out.copy_from_slice(data);
            Ok((stored != computed).then(|| bad(format!("Adler-32 {stored:#010x}, computed {computed:#010x}"))))
        }
    }
}

impl Parser<'_> {
    /// Reads this segment's sections; returns whether it was the last (`done`).
    fn sections(&self, geo: &mut Option<Geometry>, chunks: &mut Vec<Chunk>, hashes: &mut StoredHashes) -> Result<bool> {
        let head = self.read(0, FILE_HEADER)?;
        if !is_ewf(&head[..8])? {
            return Err(self.err(0, "no EWF signature (EVF 09 0D 0A FF 00)"));
        }
        let number = u16::from_le_bytes([head[9], head[10]]);
        if u32::from(number) != self.index + 1 {
            return Err(self.err(9, format!("segment number {number}, expected {}", self.index + 1)));
        }
        let size = self.seg.src.size();
        let mut off = FILE_HEADER;
        // The end of the last `sectors` section: where a table's last chunk ends.
        let mut sectors_end = None;
        loop {
            let d = self.read(off, DESCRIPTOR)?;
            let stored = le32(&d, 72);
            let computed = adler32(&d[..72]);
            if stored != computed {
                return Err(
                    self.err(off, format!("section descriptor Adler-32 {stored:#010x}, computed {computed:#010x}"))
                );
            }
            let kind = d[..16].split(|&b| b == 0).next().unwrap_or_default().to_vec();
            let (next, len) = (le64(&d, 16), le64(&d, 24));
            let body = off + DESCRIPTOR;
            let body_len = len.saturating_sub(DESCRIPTOR);
            match kind.as_slice() {
                b"done" => return Ok(true),
                b"next" => return Ok(false),
                b"volume" | b"disk" => {
                    let g = self.volume(body, body_len)?;
                    if geo
                        .as_ref()
                        .is_some_and(|old| (old.chunks, old.chunk_size, old.size) != (g.chunks, g.chunk_size, g.size))
                    {
                        return Err(self.err(off, "a second volume section with another geometry"));
                    }
                    *geo = Some(g);
                }
                b"sectors" => sectors_end = Some(off.saturating_add(len).min(size)),
                b"table" => {
                    let Some(g) = geo else { return Err(self.err(off, "table before any volume section")) };
                    // Chunks live in the last sectors section or, in the
                    // original EWF and SMART formats, after the table's entries.
                    let ends = (sectors_end.unwrap_or(off), off.saturating_add(len).min(size));
                    self.table(body, body_len, g, ends, chunks)?;
                }
                b"hash" if body_len >= 16 => {
                    let md5: [u8; 16] = self.read(body, 16)?[..].try_into().unwrap_or_else(|_| unreachable!("16"));
                    hashes.md5 = hashes.md5.or((md5 != [0; 16]).then_some(md5));
                }
                b"digest" if body_len >= 36 => {
                    let b = self.read(body, 36)?;
                    let md5: [u8; 16] = b[..16].try_into().unwrap_or_else(|_| unreachable!("16"));
                    let sha1: [u8; 20] = b[16..36].try_into().unwrap_or_else(|_| unreachable!("20"));
                    hashes.md5 = (md5 != [0; 16]).then_some(md5).or(hashes.md5);
                    hashes.sha1 = (sha1 != [0; 20]).then_some(sha1).or(hashes.sha1);
                }
                _ => {}
            }
            let name = String::from_utf8_lossy(&kind);
            if next >= size {
                return Err(self.err(
                    off + 16,
                    format!(
                        "section {name:?} links to byte {next}, past the end of the segment ({size} bytes): truncated"
                    ),
                ));
            }
            // Sections only move forward, so the walk ends.
            if next <= off {
                return Err(self.err(off + 16, format!("section {name:?} links back to byte {next}")));
            }
            off = next;
        }
    }

    fn volume(&self, body: u64, len: u64) -> Result<Geometry> {
        if len < 24 {
            return Err(self.err(body, format!("volume section of {len} bytes, need 24")));
        }
        let v = self.read(body, 24)?;
        let (chunks, spc, bps) = (u64::from(le32(&v, 4)), u64::from(le32(&v, 8)), u64::from(le32(&v, 12)));
        // The short (SMART, 94-byte) layout keeps a 32-bit sector count.
        let sectors = if len >= 1052 { le64(&v, 16) } else { u64::from(le32(&v, 16)) };
        if !(512..=4096).contains(&bps) || !bps.is_power_of_two() {
            return Err(self.err(body + 12, format!("bytes per sector {bps}")));
        }
        let chunk_size = spc * bps;
        if chunk_size == 0 || chunk_size > MAX_CHUNK {
            return Err(self.err(body + 8, format!("chunk of {spc} sectors ({chunk_size} bytes)")));
        }
        let size = sectors.checked_mul(bps).ok_or_else(|| self.err(body + 16, format!("{sectors} sectors")))?;
        if size.div_ceil(chunk_size) != chunks {
            return Err(self.err(body + 4, format!("{chunks} chunks of {chunk_size} bytes cannot hold {size} bytes")));
        }
        Ok(Geometry { chunks, chunk_size, size })
    }

    /// A table's entries become chunks; each must lie in this segment.
    /// `ends`: where the sectors section before the table ends, and where the
    /// table section ends (the end of its last chunk, wherever it lies).
    fn table(&self, body: u64, len: u64, geo: &Geometry, ends: (u64, u64), chunks: &mut Vec<Chunk>) -> Result<()> {
        if len < 24 {
            return Err(self.err(body, format!("table section of {len} bytes, need 24")));
        }
        let h = self.read(body, 24)?;
        let (stored, computed) = (le32(&h, 20), adler32(&h[..20]));
        if stored != computed {
            return Err(self.err(body + 20, format!("table header Adler-32 {stored:#010x}, computed {computed:#010x}")));
        }
        let count = u64::from(le32(&h, 0));
        let base = le64(&h, 8);
        if 24 + 4 * count > len {
            return Err(self.err(body, format!("{count} entries do not fit a table section of {len} bytes")));
        }
        if chunks.len() as u64 + count > geo.chunks {
            return Err(self.err(body, format!("{count} more entries than the volume's {} chunks", geo.chunks)));
        }
        let entries = self.read(body + 24, 4 * count)?;
        let size = self.seg.src.size();
        let at = |k: usize| base.saturating_add(u64::from(le32(&entries, 4 * k) & 0x7fff_ffff));
        for k in 0..count as usize {
            let start = at(k);
            let end = match k + 1 < count as usize {
                true => at(k + 1),
                false if start >= body => ends.1,
                false => ends.0,
            };
            let entry = body + 24 + 4 * k as u64;
            if start < FILE_HEADER || end <= start || end > size || end - start > 2 * geo.chunk_size + 1024 {
                return Err(self.err(
                    entry,
                    format!(
                        "chunk {} at bytes {start}..{end} does not lie in the segment ({size} bytes)",
                        chunks.len()
                    ),
                ));
            }
            let flag = if le32(&entries, 4 * k) >> 31 == 1 { COMPRESSED } else { 0 };
            chunks.push(Chunk { segment: self.index, offset: start | flag, len: (end - start) as u32 });
        }
        Ok(())
    }
}

/// `bytes` is the trait's: a zeroed buffer filled by `read_at`, so the whole
/// chunks of a long read inflate straight into it, where copying out of the
/// cache would inflate each into the cache first, evicting the metadata reads
/// come back to, and copy it again.
impl BlockSource for EwfSource {
    fn size(&self) -> u64 {
        self.media.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let m = &*self.media;
        if offset.checked_add(buf.len() as u64).is_none_or(|end| end > m.size) {
            return Err(eof(offset, buf.len(), m.size));
        }
        let end = offset + buf.len() as u64;
        // The chunks the cache lacks; whole ones are inflated straight into
        // the reader's buffer, uncached: one copy less, and a long read does
        // not evict the cache's chunks, which hold the metadata reads come
        // back to.
        let mut todo: Vec<Piece<'_>> = Vec::new();
        let mut rest = buf;
        let mut at = offset;
        while !rest.is_empty() {
            let (i, within) = (at / m.chunk_size, (at % m.chunk_size) as usize);
            let n = (m.chunk_len(i) as usize - within).min(rest.len());
            let (out, tail) = rest.split_at_mut(n);
            match m.cached(i) {
                Some(data) => out.copy_from_slice(&data[within..within + n]),
                None => todo.push(Piece { i, within, out }),
            }
            (rest, at) = (tail, at + n as u64);
        }
        let compressed = todo.iter().filter(|p| m.chunks[p.i as usize].offset & COMPRESSED != 0).count();
        if compressed >= CHUNKS_PER_THREAD && self.helping(true) {
            return m.fill_shared(&mut todo, offset, end);
        }
        if self.helping(false) {
            // Hinted chunks a helper may have inflated already.
            return todo.iter_mut().try_for_each(|p| {
                let found = m.claim(&mut m.lock_ahead(), p.i);
                m.fill_claimed(p, found)
            });
        }
        todo.iter_mut().try_for_each(|p| m.fill(p))
    }

    /// Hints the stored bytes of the chunks the range covers (those not
    /// inflated) to their segments, in runs contiguous in one segment, so a
    /// cold walk reads them in parallel instead of one by one; and queues the
    /// chunks for the helper threads, which inflate them while the walk does
    /// other work (a directory's inodes while the entries before are copied).
    fn prefetch(&self, offset: u64, len: u64) {
        let m = &*self.media;
        let end = offset.saturating_add(len).min(m.size);
        if offset >= end {
            return;
        }
        let chunks = offset / m.chunk_size..=(end - 1) / m.chunk_size;
        m.prefetch(chunks.clone());
        let long = chunks.end() - chunks.start() >= HINT_START;
        if self.helping(long) {
            let mut a = m.lock_ahead();
            for i in chunks {
                if a.hinted.len() >= QUEUE_MAX {
                    break;
                }
                if !m.has(i) && !a.holds(i) {
                    a.hinted.push_back(i);
                }
            }
            m.wake_helpers(&a);
        }
    }

    /// Whether the chunk holding `offset` is inflated, or being inflated: an
    /// uninflated chunk costs a reader more than any page it is stored in.
    fn is_cached(&self, offset: u64) -> bool {
        let m = &*self.media;
        if offset >= m.size {
            return true;
        }
        let i = offset / m.chunk_size;
        m.has(i) || (self.helping(false) && m.lock_ahead().holds(i))
    }
}

/// Compressed chunks a read must lack before it is shared with the helper
/// threads: 8 chunks of 32 KiB of text take about 0.4 ms to inflate, against
/// a few microseconds to hand them over, so reads of a few chunks (metadata,
/// small files) stay on the caller's thread.
const CHUNKS_PER_THREAD: usize = 8;
/// A hint must span more chunks than this to start the helper threads (later hints of any
/// length use them once they run): opening a volume hints its first
/// megabyte or so, and starts no thread, so a program may still fork after
/// opening one (the FUSE daemon detaches after mounting).
const HINT_START: u64 = 64;
/// Inflated bytes the helpers may hold ahead of their readers (a sequential
/// read's next read, the chunks of a long read the reader has not reached,
/// hinted metadata).
const AHEAD_BYTES: u64 = 4 << 20;
/// Chunks waiting for a helper, at most, of each kind (a long read's, hinted
/// ones): hints past it are dropped.
const QUEUE_MAX: usize = 1024;

/// One chunk's part of a read: `out` starts `within` bytes into chunk `i`.
struct Piece<'b> {
    i: u64,
    within: usize,
    out: &'b mut [u8],
}

/// Where a reader finds one of its chunks among those handed to helpers.
enum Found {
    /// Inflated by a helper.
    Ready(Arc<Vec<u8>>),
    /// Being inflated by a helper.
    Busy,
    /// No helper has it (any queue entry is withdrawn): the reader's to load.
    Mine,
}

impl Ahead {
    fn holds(&self, i: u64) -> bool {
        self.queue.contains(&i)
            || self.hinted.contains(&i)
            || self.busy.contains(&i)
            || self.ready.iter().any(|(n, _)| *n == i)
    }

    /// Claims chunk `i` for a reader; `lead`: [`Media::hint_lead`].
    fn claim(&mut self, i: u64, lead: usize) -> Found {
        if let Some(k) = self.ready.iter().position(|(n, _)| *n == i) {
            return self.ready.remove(k).map_or(Found::Mine, |(_, data)| Found::Ready(data));
        }
        if self.busy.contains(&i) {
            return Found::Busy;
        }
        if let Some(k) = self.queue.iter().position(|&n| n == i) {
            self.queue.remove(k);
        } else if let Some(k) = self.hinted.iter().position(|&n| n == i) {
            self.hinted.remove(k);
            if self.unread >= lead {
                // The helpers wait on a lead of chunks this reader went past.
                (self.unread, self.generation) = (0, self.generation + 1);
            }
        }
        Found::Mine
    }
}

impl EwfSource {
    /// Whether helper threads inflate beside the reader: the source was given
    /// more than one thread and this process started them.
    /// `start`: start them if they are not running yet.
    fn helping(&self, start: bool) -> bool {
        if self.threads < 2 {
            return false;
        }
        let h = match self.helpers.get() {
            Some(h) => h,
            None if !start => return false,
            None => self.helpers.get_or_init(|| {
                // A thread that cannot be started leaves its work to the others
                // and to the readers.
                let threads = (1..self.threads)
                    .filter_map(|_| {
                        let media = Arc::clone(&self.media);
                        std::thread::Builder::new().name("ewf-inflate".into()).spawn(move || media.help()).ok()
                    })
                    .collect();
                Helpers { pid: std::process::id(), threads }
            }),
        };
        h.pid == std::process::id() && !h.threads.is_empty()
    }
}

impl Drop for EwfSource {
    fn drop(&mut self) {
        let Some(h) = self.helpers.take() else { return };
        self.media.lock_ahead().stop = true;
        self.media.work.notify_all();
        if h.pid == std::process::id() {
            // A helper that panicked has nothing left to stop.
            h.threads.into_iter().for_each(|t| drop(t.join()));
        }
    }
}

impl Media {
    fn lock_ahead(&self) -> MutexGuard<'_, Ahead> {
        self.ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Ahead::claim`]; taking an inflated chunk, or forgetting unread
    /// hinted ones, makes room for helpers.
    fn claim(&self, a: &mut Ahead, i: u64) -> Found {
        let generation = a.generation;
        let found = a.claim(i, self.hint_lead);
        if matches!(found, Found::Ready(_)) || a.generation != generation {
            self.wake_helpers(a);
        }
        found
    }

    /// [`Media::claim`], waiting while a helper inflates the chunk: never
    /// [`Found::Busy`].
    fn wait_claim(&self, i: u64) -> Found {
        let mut a = self.lock_ahead();
        while a.busy.contains(&i) {
            a.waiting += 1;
            a = self.landed.wait(a).unwrap_or_else(|e| e.into_inner());
            a.waiting -= 1;
        }
        self.claim(&mut a, i)
    }

    /// Wakes the idle helpers (`a` is the locked state): work was queued or
    /// room made.
    fn wake_helpers(&self, a: &Ahead) {
        if a.idle > 0 {
            self.work.notify_all();
        }
    }

    /// A helper thread: inflates queued chunks into `ready` while fewer than
    /// `window` are ahead of their readers. A chunk that fails is left for
    /// its reader, who meets the error in order.
    fn help(&self) {
        let mut a = self.lock_ahead();
        while !a.stop {
            // A queued chunk while there is room in `ready`, else a hinted one
            // while the lead allows; neither is taken off its queue otherwise.
            let room = a.ready.len() + a.busy.len() < self.window;
            let lead = a.unread + a.busy.len() < self.hint_lead;
            let next = match (room, lead) {
                (true, _) if !a.queue.is_empty() => a.queue.pop_front().map(|i| (i, None)),
                (_, true) => a.hinted.pop_front().map(|i| (i, Some(a.generation))),
                _ => None,
            };
            let Some((i, hint)) = next else {
                a.idle += 1;
                a = self.work.wait(a).unwrap_or_else(|e| e.into_inner());
                a.idle -= 1;
                continue;
            };
            if hint.is_some() && self.has(i) {
                continue;
            }
            a.busy.push(i);
            drop(a);
            let data = match self.load(i) {
                Ok((data, None)) => Some(Arc::new(data)),
                _ => None,
            };
            a = self.lock_ahead();
            a.busy.retain(|&n| n != i);
            match (data, hint) {
                (Some(d), None) => a.ready.push_back((i, d)),
                (Some(d), Some(g)) => {
                    let current = (a.generation == g).then_some(g);
                    a.unread += usize::from(current.is_some());
                    drop(a);
                    self.cache(i, d, current);
                    a = self.lock_ahead();
                }
                (None, _) => {}
            }
            if a.waiting > 0 {
                self.landed.notify_all();
            }
        }
    }

    /// Fills one piece on the reader's thread: a whole chunk straight into
    /// it, part of one through the cache.
    fn fill(&self, p: &mut Piece<'_>) -> Result<()> {
        if p.within == 0 && p.out.len() as u64 == self.chunk_len(p.i) && !self.has(p.i) {
            return self.load_into(p.i, p.out)?.map_or(Ok(()), Err);
        }
        let n = p.out.len();
        p.out.copy_from_slice(&self.chunk(p.i)?[p.within..p.within + n]);
        Ok(())
    }

    /// Fills a piece from a chunk a helper inflated; part of one is also
    /// cached, as [`Media::fill`] would.
    fn fill_from(&self, p: &mut Piece<'_>, data: Arc<Vec<u8>>) {
        let n = p.out.len();
        p.out.copy_from_slice(&data[p.within..p.within + n]);
        if n < data.len() {
            self.cache(p.i, data, None);
        }
    }

    /// Fills `p` with the chunk a reader found among the helpers' (waiting
    /// for one a helper is inflating), or on this thread.
    fn fill_claimed(&self, p: &mut Piece<'_>, found: Found) -> Result<()> {
        match found {
            Found::Ready(data) => {
                self.fill_from(p, data);
                Ok(())
            }
            Found::Busy => {
                let found = self.wait_claim(p.i);
                self.fill_claimed(p, found)
            }
            Found::Mine => self.fill(p),
        }
    }

    /// Fills `todo` (the read `offset..end`'s chunks the cache lacks, in
    /// order) with the helpers: its compressed chunks go to the front of the
    /// queue, which helpers take from while the reader inflates from the
    /// back; a read continuing the last one also queues as many chunks past
    /// its end, inflated while the caller uses this one. zlib inflates on one
    /// core and is most of an E01 read's cost. The first failure in order is
    /// the answer.
    fn fill_shared(&self, todo: &mut [Piece<'_>], offset: u64, end: u64) -> Result<()> {
        let (first, last) = (todo[0].i, todo[todo.len() - 1].i);
        let mut a = self.lock_ahead();
        let continues = a.stream_end == offset;
        if !continues {
            // Read ahead for another stream, which has moved on.
            a.queue.clear();
            a.ready.retain(|(i, _)| (first..=last).contains(i));
        }
        a.stream_end = end;
        // Looked up once: a long read's chunks against a long queue.
        let held: HashSet<u64> = a.queue.iter().chain(&a.busy).chain(a.ready.iter().map(|(i, _)| i)).copied().collect();
        let share = todo.iter().filter(|p| self.chunks[p.i as usize].offset & COMPRESSED != 0 && !held.contains(&p.i));
        let share: Vec<u64> = share.map(|p| p.i).take(QUEUE_MAX.saturating_sub(a.queue.len())).collect();
        share.iter().rev().for_each(|&i| a.queue.push_front(i));
        if continues {
            let stop = (last + 1).saturating_add(todo.len().min(self.window) as u64).min(self.chunks.len() as u64);
            let next: Vec<u64> = (last + 1..stop).filter(|&j| !self.has(j) && !held.contains(&j)).collect();
            if let (Some(&from), Some(&to)) = (next.first(), next.last()) {
                self.prefetch(from..=to);
            }
            a.queue.extend(next);
        }
        self.wake_helpers(&a);
        drop(a);
        // From the back, leaving chunks a helper is inflating for the end.
        let mut failed: Option<(usize, Error)> = None;
        let mut waiting = Vec::new();
        for k in (0..todo.len()).rev() {
            let found = self.claim(&mut self.lock_ahead(), todo[k].i);
            match found {
                Found::Busy => waiting.push(k),
                found => {
                    if let Err(e) = self.fill_claimed(&mut todo[k], found) {
                        failed = Some((k, e));
                    }
                }
            }
        }
        for k in waiting.into_iter().rev() {
            if let Err(e) = self.fill_claimed(&mut todo[k], Found::Busy) {
                if failed.as_ref().is_none_or(|(f, _)| k < *f) {
                    failed = Some((k, e));
                }
            }
        }
        failed.map_or(Ok(()), |(_, e)| Err(e))
    }

    /// Hints the stored bytes of `chunks` (those not inflated) to their
    /// segments, in runs contiguous in one segment.
    fn prefetch(&self, chunks: std::ops::RangeInclusive<u64>) {
        let hint = |(seg, start, stop): (u32, u64, u64)| self.segments[seg as usize].src.prefetch(start, stop - start);
        let mut run: Option<(u32, u64, u64)> = None;
        for i in chunks {
            if self.has(i) {
                continue;
            }
            let c = self.chunks[i as usize];
            let start = c.offset & !COMPRESSED;
            let stop = start + u64::from(c.len);
            match &mut run {
                Some((seg, _, e)) if *seg == c.segment && *e == start => *e = stop,
                _ => run.replace((c.segment, start, stop)).into_iter().for_each(hint),
            }
        }
        run.into_iter().for_each(hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_follow_libewf() {
        let p = Path::new("/x/disk.E01");
        let names: Vec<PathBuf> = [2, 99, 100, 101, 775, 776].iter().map(|&n| segment_path(p, n)).collect();
        let want = ["disk.E02", "disk.E99", "disk.EAA", "disk.EAB", "disk.EZZ", "disk.FAA"];
        assert_eq!(names, want.iter().map(|w| Path::new("/x").join(w)).collect::<Vec<_>>());
        assert_eq!(segment_path(Path::new("d.e01"), 3), Path::new("d.e03"));
        assert_eq!(segment_path(Path::new("d.s01"), 100), Path::new("d.saa"));
    }

    /// `len` bytes of hex text: deflates about 2:1, so every chunk is stored
    /// compressed and inflating it is real work.
    fn hex(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"0123456789abcdef"[(x & 15) as usize]
            })
            .collect()
    }

    /// Flips one bit at `at` in `path`.
    fn flip(path: &Path, at: u64) {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::options().read(true).write(true).open(path).expect("open");
        let mut b = [0u8];
        f.read_exact_at(&mut b, at).expect("read");
        f.write_all_at(&[b[0] ^ 1], at).expect("write");
    }

    /// Where the first chunk of a segment file starts: behind the descriptor
    /// of its `sectors` section.
    fn first_chunk(path: &Path) -> u64 {
        let bytes = std::fs::read(path).expect("read");
        let at = bytes.windows(16).position(|w| w == b"sectors\0\0\0\0\0\0\0\0\0").expect("a sectors section");
        at as u64 + DESCRIPTOR
    }

    /// Opens `first` with `threads` threads for long reads, whatever the
    /// machine's cores, so the shared path is what is tested.
    fn open(first: &Path, threads: usize) -> EwfSource {
        let mut ewf = crate::io::open_ewf(first, crate::io::Access::Auto).expect("open the E01");
        ewf.threads = threads;
        ewf
    }

    /// `ewfacquire` of `media` into `dir/t.E01...`: zlib chunks of 32 KiB in
    /// segments of 1 MiB. Returns the segments.
    fn acquire(dir: &Path, media: &[u8]) -> Vec<PathBuf> {
        let tool = crate::test_util::require_tool("ewfacquire");
        let raw = dir.join("media.raw");
        std::fs::write(&raw, media).expect("write");
        let target = dir.join("t");
        let out = std::process::Command::new(tool)
            .args(["-u", "-q", "-c", "deflate:fast", "-S", "1MiB", "-t"])
            .arg(&target)
            .arg(&raw)
            .output()
            .expect("run ewfacquire");
        assert!(out.status.success(), "ewfacquire: {}", String::from_utf8_lossy(&out.stderr));
        (1..10).map(|n| target.with_extension(format!("E0{n}"))).take_while(|p| p.exists()).collect()
    }

    #[test]
    fn long_reads_inflate_on_several_threads_and_fail_at_the_first_bad_chunk() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 192 chunks of 32 KiB, 3 MiB compressed: four segments of 1 MiB.
        let media = hex(6 << 20);
        let segs = acquire(dir.path(), &media);
        assert!(segs.len() >= 3, "{segs:?}");

        for threads in [1, 2, 3] {
            let ewf = open(&segs[0], threads);
            assert_eq!(ewf.size(), media.len() as u64);
            assert!(ewf.media.chunks.iter().all(|c| c.offset & COMPRESSED != 0), "every chunk compressed");
            // Whole chunks only; partial chunks at one end or both (through
            // the cache, which the second pass then hits).
            for _ in 0..2 {
                for (at, len) in [(0, media.len()), (12_345, 3 << 20), (32 << 10, 40 << 15), (100, 5 << 20)] {
                    let mut buf = vec![0u8; len];
                    ewf.read_at(at as u64, &mut buf).expect("read");
                    assert!(buf == media[at..at + len], "{threads} threads: {len} bytes at {at}");
                }
            }
        }

        // Break the first chunk of segments 2 and 3 (a bit among the zlib
        // stream's Huffman tables).
        let bad = [first_chunk(&segs[1]), first_chunk(&segs[2])];
        flip(&segs[1], bad[0] + 3);
        flip(&segs[2], bad[1] + 3);
        for threads in [1, 3] {
            let ewf = open(&segs[0], threads);
            let first_of = |seg: u32| ewf.media.chunks.iter().position(|c| c.segment == seg).expect("chunks") as u64;
            let (two, three) = (first_of(1), first_of(2));
            let cs = ewf.media.chunk_size;
            // A read over both names the first in order, wherever a thread met it;
            // one that starts past it names the second.
            for (at, seg, offset) in [(0, &segs[1], bad[0]), ((two + 1) * cs, &segs[2], bad[1])] {
                let mut buf = vec![0u8; (ewf.media.size - at) as usize];
                match ewf.read_at(at, &mut buf) {
                    Err(Error::Container { container: "EWF", segment: Some(s), offset: o, .. }) => {
                        assert_eq!((&s, o), (seg, offset), "{threads} threads, read at {at}");
                    }
                    r => panic!("{threads} threads, read at {at}: {r:?}"),
                }
            }
            // verify names both, wherever a helper met them.
            let bad: Vec<u64> = ewf.verify().expect("verify").bad_chunks.iter().map(|(i, _)| *i).collect();
            assert_eq!(bad, [two, three], "{threads} threads");
            // The chunks around the damage still read.
            let mut buf = vec![0u8; ((three - two - 1) * cs) as usize];
            ewf.read_at((two + 1) * cs, &mut buf).expect("read between");
            assert!(buf[..] == media[((two + 1) * cs) as usize..((three) * cs) as usize]);
        }
    }

    /// Segment `.2` that records every read (segment, offset) and the thread
    /// that made it.
    #[derive(Debug)]
    struct Traced(crate::io::MemSource, usize, Reads);

    type Reads = Arc<Mutex<Vec<((usize, u64), std::thread::ThreadId)>>>;

    impl BlockSource for Traced {
        fn size(&self) -> u64 {
            self.0.size()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            self.2.lock().unwrap_or_else(|e| e.into_inner()).push(((self.1, offset), std::thread::current().id()));
            self.0.read_at(offset, buf)
        }
    }

    /// A sequential stream of long reads and a hinted walk of short ones read
    /// the media exactly and inflate each chunk once, helpers taking part.
    #[test]
    fn helpers_inflate_each_chunk_once_ahead_of_the_reader() {
        let dir = tempfile::tempdir().expect("tempdir");
        let media = hex(6 << 20);
        let segs = acquire(dir.path(), &media);
        let log = Reads::default();
        let open = || {
            let mut ewf = EwfSource::open(&segs[0], |p| {
                let n = segs.iter().position(|s| s == p).expect("a segment ewfacquire wrote");
                let bytes = std::fs::read(p).map_err(Error::open(p))?;
                Ok(Box::new(Traced(crate::io::MemSource::from_vec(bytes), n, Arc::clone(&log))))
            })
            .expect("open");
            ewf.threads = 2;
            log.lock().unwrap_or_else(|e| e.into_inner()).clear();
            ewf
        };
        let reader = std::thread::current().id();
        let check = |what: &str, chunks: usize| {
            let reads = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
            let mut offsets: Vec<(usize, u64)> = reads.iter().map(|(o, _)| *o).collect();
            offsets.sort_unstable();

            offsets.dedup();
            assert_eq!((offsets.len(), reads.len()), (chunks, chunks), "{what}: each chunk read and inflated once");
            assert!(reads.iter().any(|(_, t)| *t != reader), "{what}: helpers inflated none");
        };

        // 1 MiB reads from an odd offset: chunk boundaries fall inside reads.
        let ewf = open();
        let mut at = 12_345;
        while at < media.len() {
            let mut buf = vec![0u8; (1 << 20).min(media.len() - at)];
            ewf.read_at(at as u64, &mut buf).expect("read");
            assert!(buf == media[at..at + buf.len()], "{} bytes at {at}", buf.len());
            at += buf.len();
        }
        check("stream", ewf.media.chunks.len());

        // Blocks of 4 KiB over hinted chunks, as a walk reads inodes; the hint
        // is long enough to start the helpers.
        let ewf = open();
        let cs = ewf.media.chunk_size;
        let hinted = HINT_START + 16;
        ewf.prefetch(10 * cs, hinted * cs);
        for at in (10 * cs..(10 + hinted) * cs).step_by(4096) {
            let mut buf = [0u8; 4096];
            ewf.read_at(at, &mut buf).expect("read");
            assert!(buf[..] == media[at as usize..at as usize + 4096], "block at {at}");
        }
        check("hinted", hinted as usize);

        // verify: a pass over every chunk, hashing what the media holds.
        use md5::Digest;
        let ewf = open();
        let v = ewf.verify().expect("verify");
        assert_eq!(v.md5, <[u8; 16]>::from(md5::Md5::digest(&media)));
        assert_eq!(v.sha1, <[u8; 20]>::from(sha1::Sha1::digest(&media)));
        assert!(v.bad_chunks.is_empty(), "{:?}", v.bad_chunks);
        check("verify", ewf.media.chunks.len());
    }

    /// A segment whose pages are never in memory, and that records the
    /// ranges it is asked to prefetch.
    #[derive(Debug)]
    struct Cold(crate::io::MemSource, Hints);

    /// The `(offset, len)` ranges a segment was asked to prefetch.
    type Hints = Arc<Mutex<Vec<(u64, u64)>>>;

    impl BlockSource for Cold {
        fn size(&self) -> u64 {
            self.0.size()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            self.0.read_at(offset, buf)
        }
        fn prefetch(&self, offset: u64, len: u64) {
            self.1.lock().unwrap_or_else(|e| e.into_inner()).push((offset, len));
        }
        fn is_cached(&self, _: u64) -> bool {
            false
        }
    }

    #[test]
    fn read_hints_go_to_the_stored_chunks_the_cache_lacks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let segs = acquire(dir.path(), &hex(6 << 20));
        let hints: Vec<Hints> = segs.iter().map(|_| Hints::default()).collect();
        let ewf = EwfSource::open(&segs[0], |p| {
            let n = segs
                .iter()
                .position(|s| s == p)
                .unwrap_or_else(|| panic!("{}: not a segment ewfacquire wrote", p.display()));
            let bytes = std::fs::read(p).map_err(Error::open(p))?;
            Ok(Box::new(Cold(crate::io::MemSource::from_vec(bytes), Arc::clone(&hints[n]))))
        })
        .expect("open");
        let taken = |n: usize| std::mem::take(&mut *hints[n].lock().unwrap_or_else(|e| e.into_inner()));
        let stored = |i: usize| {
            let c = ewf.media.chunks[i];
            (c.offset & !COMPRESSED, u64::from(c.len))
        };
        let cs = ewf.media.chunk_size;

        // Nothing cached: cold. A read of one block caches its chunk.
        assert!(!ewf.is_cached(100));
        ewf.read_at(4096, &mut [0u8; 4096]).expect("read");
        assert!(ewf.is_cached(100) && !ewf.is_cached(cs));
        assert!(ewf.is_cached(ewf.size()), "past the end: nothing to wait for");

        // Chunks 0 (cached: no hint) to 2: one run, chunks 1 and 2.
        ewf.prefetch(10, 3 * cs - 20);
        let (one, two) = (stored(1), stored(2));
        assert_eq!(one.0 + one.1, two.0, "chunks 1 and 2 lie end to end");
        assert_eq!(taken(0), [(one.0, one.1 + two.1)]);

        // Across the end of segment 1: a run in each segment.
        let first2 = ewf.media.chunks.iter().position(|c| c.segment == 1).expect("segment 2 chunks");
        ewf.prefetch((first2 as u64 - 1) * cs, 2 * cs);
        assert_eq!((taken(0), taken(1)), (vec![stored(first2 - 1)], vec![stored(first2)]));
        // Past the end: nothing.
        ewf.prefetch(ewf.size(), cs);
        assert!(taken(0).is_empty() && taken(1).is_empty() && taken(2).is_empty());
    }
}
