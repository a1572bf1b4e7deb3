//! The corruption sweep: every kind of metadata block in the kernel-written
//! fixtures, damaged at every field of its header (and a few random offsets),
//! then read the way the inspector reads. Nothing may panic, hang, allocate
//! without bound or write to the image.
//!
//! Two tiers keep the run within a couple of minutes on two cores; this is the
//! library's, the inspector's is in ocfs2-inspect/tests/sweep_cli.rs.
//!
//! * **Library tier** (most flips): each damaged copy is an in-memory overlay
//!   (the clean image plus one patched block), opened with [`Volume`] and walked
//!   in-process: every directory and file, every allocator chain, xattrs, dx
//!   indexes, refcount trees, quotas, every journal, the heartbeat region,
//!   `findpath` and `check`. Panics are caught with `catch_unwind`; a watchdog
//!   thread aborts the binary (naming the flip) when one walk takes over 20 s;
//!   the global allocator refuses any single allocation over 512 MiB and any
//!   growth past 2 GiB live, which turns an allocation sized by an unchecked
//!   on-disk number into an abort naming the flip.
//! * **CLI tier** (a subset: the first flip of every field-table entry on a few
//!   blocks of each kind): the damaged image is written to a file and every
//!   inspector command is run on it under `prlimit --as=1GiB`, killed after 20 s;
//!   each must exit 0 (or 4, `check`'s "problems found"), or non-zero with a
//!   message on stderr, never mention
//!   "panicked" nor die by a signal; the image's sha256 is unchanged afterwards.
//!
//! Blocks are found by signature (inodes, extent blocks, group descriptors,
//! directory blocks with trailers, dx roots and leaves, xattr blocks, refcount
//! blocks, the superblock, JBD2 superblocks) and sampled per kind with a fixed
//! seed, so every run damages the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;
mod sweep_targets;
// The walk the volume fuzzer does, so the sweep and the fuzzer call the same code.
#[allow(dead_code)]
#[path = "../../fuzz/fuzz_targets/shared/volume.rs"]
mod fuzz_volume;

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocfs2_format::io::{open_zst, BlockSource, MemSource};
use ocfs2_format::{OpenOptions, Volume};
use sweep_targets::{field_offsets, find_blocks, mutate, sample, Kind, Plan, Rng, PLANS, WATCHDOG};

// ---------------------------------------------------------------------------
// Memory bound for the library tier.

/// Any single allocation above this is refused (an on-disk count used as a size).
const MAX_ONE_ALLOC: usize = 512 << 20;
/// Live heap above this is refused.
const MAX_LIVE: usize = 2 << 30;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The flip being run, for the abort message: fixture index, block, offset.
static CURRENT: AtomicU64 = AtomicU64::new(u64::MAX);

struct Capped;

fn refuse(size: usize) {
    // No allocation here: write digits into a stack buffer.
    fn put(buf: &mut [u8], at: &mut usize, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut n = 0;
        loop {
            tmp[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        while n > 0 && *at < buf.len() {
            n -= 1;
            buf[*at] = tmp[n];
            *at += 1;
        }
    }
    let mut buf = [0u8; 160];
    let mut at = 0;
    for (i, b) in b"sweep: refused allocation of ".iter().enumerate() {
        buf[i] = *b;
        at = i + 1;
    }
    put(&mut buf, &mut at, size as u64);
    for b in b" bytes during flip (fixture<<56|block<<16|offset) " {
        buf[at] = *b;
        at += 1;
    }
    put(&mut buf, &mut at, CURRENT.load(Ordering::Relaxed));
    buf[at] = b'\n';
    at += 1;
    use std::io::Write;
    let _ = std::io::stderr().write_all(&buf[..at]);
}

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = layout.size();
        if size > MAX_ONE_ALLOC || LIVE.load(Ordering::Relaxed) + size > MAX_LIVE {
            refuse(size);
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(size, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ONE_ALLOC || LIVE.load(Ordering::Relaxed) + new_size.saturating_sub(layout.size()) > MAX_LIVE
        {
            refuse(new_size);
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Capped = Capped;

// ---------------------------------------------------------------------------
// The damaged copy: the clean image plus one replaced block.

#[derive(Debug)]
struct Overlay {
    base: Arc<MemSource>,
    at: u64,
    patch: Vec<u8>,
}

impl BlockSource for Overlay {
    fn size(&self) -> u64 {
        self.base.size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> ocfs2_format::Result<()> {
        self.base.read_at(offset, buf)?;
        let end = offset + buf.len() as u64;
        let pend = self.at + self.patch.len() as u64;
        if offset < pend && self.at < end {
            let lo = offset.max(self.at);
            let hi = end.min(pend);
            buf[(lo - offset) as usize..(hi - offset) as usize]
                .copy_from_slice(&self.patch[(lo - self.at) as usize..(hi - self.at) as usize]);
        }
        Ok(())
    }
    fn bytes(&self, offset: u64, len: usize) -> ocfs2_format::Result<Cow<'_, [u8]>> {
        let pend = self.at + self.patch.len() as u64;
        if offset >= pend || offset + len as u64 <= self.at {
            return self.base.bytes(offset, len);
        }
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(Cow::Owned(buf))
    }
}

// ---------------------------------------------------------------------------
// Library tier.

/// Wider than the fuzzer's: each damaged copy runs once, not thousands of times.
const LIMITS: fuzz_volume::Limits = fuzz_volume::Limits { inodes: 3000, file_bytes: 4 << 20 };

/// One damaged copy through the library; `Err` describes a panic.
fn library_flip(base: &Arc<MemSource>, bs: usize, blkno: u64, off: usize, variant: usize) -> Result<(), String> {
    let mut block = vec![0u8; bs];
    base.read_at(blkno * bs as u64, &mut block).unwrap();
    mutate(&mut block, off, variant);
    let src = Overlay { base: Arc::clone(base), at: blkno * bs as u64, patch: block };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Ok(vol) = Volume::from_source(Box::new(src), OpenOptions::default()) {
            fuzz_volume::walk(&vol, LIMITS);
        }
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Starts the watchdog: aborts the binary when one flip runs past [`WATCHDOG`].
fn watchdog() -> Arc<AtomicU64> {
    let started = Arc::new(AtomicU64::new(0)); // ms since `t0` when the current flip began, 0 = idle
    let t0 = Instant::now();
    let s = Arc::clone(&started);
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let at = s.load(Ordering::Relaxed);
        if at != 0 && t0.elapsed().as_millis() as u64 > at + WATCHDOG.as_millis() as u64 {
            let c = CURRENT.load(Ordering::Relaxed);
            eprintln!(
                "sweep: a flip ran over {WATCHDOG:?}: fixture {} block {} offset {}",
                c >> 56,
                (c >> 16) & 0xff_ffff_ffff,
                c & 0xffff
            );
            std::process::abort();
        }
    });
    started
}

/// `OCFS2_SWEEP_SCALE=N` multiplies the blocks per kind and the random offsets
/// of the library tier, for a longer hunt outside CI (default 1).
fn scale() -> usize {
    std::env::var("OCFS2_SWEEP_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1)
}

/// (kind, block, offset, variant) for every flip of a fixture.
fn flips(plan: &Plan, src: &MemSource, bs: usize, fixture_no: u64) -> Vec<(Kind, u64, usize, usize)> {
    let n = scale();
    let mut rng = Rng(0x5eed_0000 + fixture_no + 1000 * (n as u64 - 1));
    let all = find_blocks(src, bs);
    let picked = sample(&all, plan.per_kind * n, &mut rng);
    let mut out = Vec::new();
    for (i, &(kind, b)) in picked.iter().enumerate() {
        let mut offs = field_offsets(kind, bs);
        for _ in 0..plan.random * n {
            offs.push(rng.below(bs));
        }
        for (j, off) in offs.into_iter().enumerate() {
            out.push((kind, b, off, i + j));
        }
    }
    out
}

#[test]
fn library_sweep() {
    let started = watchdog();
    let t0 = Instant::now();
    let mut failures = Vec::new();
    let mut total = 0;
    for (fno, plan) in PLANS.iter().enumerate() {
        let base = Arc::new(open_zst(&common::fixture_zst(plan.fixture)).unwrap());
        let bs = Volume::from_source(Box::new(base.as_ref().clone()), OpenOptions::default()).unwrap().block_size();
        let list = flips(plan, &base, bs, fno as u64);
        let kinds: std::collections::BTreeSet<Kind> = list.iter().map(|f| f.0).collect();
        eprintln!("{}: {} flips over {:?}", plan.fixture, list.len(), kinds);
        assert!(kinds.contains(&Kind::Inode) && kinds.contains(&Kind::Superblock) && kinds.contains(&Kind::Jbd2Super));
        for (kind, blkno, off, variant) in list {
            CURRENT.store((fno as u64) << 56 | blkno << 16 | off as u64, Ordering::Relaxed);
            started.store(t0.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
            let t = Instant::now();
            if let Err(msg) = library_flip(&base, bs, blkno, off, variant) {
                failures.push(format!(
                    "{} {kind:?} block {blkno} offset {off:#x} variant {variant}: panic: {msg}",
                    plan.fixture
                ));
            }
            let took = t.elapsed();
            if took > Duration::from_secs(10) {
                failures.push(format!("{} {kind:?} block {blkno} offset {off:#x}: took {took:?}", plan.fixture));
            }
            started.store(0, Ordering::Relaxed);
            total += 1;
        }
    }
    eprintln!("library sweep: {total} flips in {:?}", t0.elapsed());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
