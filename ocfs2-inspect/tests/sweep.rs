//! The corruption sweep: every kind of metadata block in the kernel-written
//! fixtures, damaged at every field of its header (and a few random offsets),
//! then read the way the inspector reads. Nothing may panic, hang, allocate
//! without bound or write to the image.
//!
//! Two tiers keep the run within a couple of minutes on two cores:
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
// The walk the volume fuzzer does, so the sweep and the fuzzer call the same code.
#[allow(dead_code)]
#[path = "../../fuzz/fuzz_targets/shared/volume.rs"]
mod fuzz_volume;

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocfs2_format::io::{open_zst, BlockSource, MemSource};
use ocfs2_format::layout::dinode::DinodeHeader;
use ocfs2_format::layout::dir::DirTrailer;
use ocfs2_format::layout::dx::{DxLeaf, DxRootBlock};
use ocfs2_format::layout::extent::{ExtentBlock, ExtentList, ExtentRec};
use ocfs2_format::layout::group::GroupDesc;
use ocfs2_format::layout::jbd2;
use ocfs2_format::layout::refcount::RefcountBlock;
use ocfs2_format::layout::superblock::SuperBlock;
use ocfs2_format::layout::xattr::{XattrBlock, XattrHeader};
use ocfs2_format::{OpenOptions, Volume};

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
// Which bytes to damage.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Superblock,
    Inode,
    ExtentBlock,
    Group,
    DirBlock,
    DxRoot,
    DxLeaf,
    XattrBlock,
    Refcount,
    Jbd2Super,
}

/// Offsets where each field of the kind's header starts, from the layout structs.
fn field_offsets(kind: Kind, bs: usize) -> Vec<usize> {
    macro_rules! offs {
        ($base:expr, $t:ty: $($f:ident),+ $(,)?) => { vec![$($base + offset_of!($t, $f)),+] };
    }
    let el = |base: usize| {
        let mut v = offs!(base, ExtentList: l_tree_depth, l_count, l_next_free_rec);
        let r = base + size_of::<ExtentList>();
        v.extend(offs!(r, ExtentRec: e_cpos, e_leaf_clusters, e_flags, e_blkno));
        v
    };
    let di = || {
        offs!(0, DinodeHeader: i_signature, i_generation, i_suballoc_slot, i_suballoc_bit, i_links_count_hi,
            i_xattr_inline_size, i_clusters, i_uid, i_size, i_mode, i_links_count, i_flags, i_dtime, i_blkno,
            i_last_eb_blk, i_fs_generation, i_orphaned_slot, i_dyn_features, i_xattr_loc, i_check, i_dx_root,
            i_refcount_loc, i_suballoc_loc, id1)
    };
    let id2 = size_of::<DinodeHeader>();
    match kind {
        Kind::Superblock => {
            let mut v = di();
            v.extend(offs!(id2, SuperBlock: s_major_rev_level, s_minor_rev_level, s_state, s_feature_compat,
                s_feature_incompat, s_feature_ro_compat, s_root_blkno, s_system_dir_blkno, s_blocksize_bits,
                s_clustersize_bits, s_max_slots, s_first_cluster_group, s_uuid, s_cluster_info,
                s_xattr_inline_size, s_dx_seed));
            v
        }
        Kind::Inode => {
            let mut v = di();
            v.extend(el(id2)); // the id2 union: extent list, chain list, inline data...
            v.push(id2 + 0x40);
            v
        }
        Kind::ExtentBlock => {
            let mut v = offs!(0, ExtentBlock: h_signature, h_check, h_suballoc_slot, h_suballoc_bit,
                h_fs_generation, h_blkno, h_suballoc_loc, h_next_leaf_blk);
            v.extend(el(offset_of!(ExtentBlock, h_list)));
            v
        }
        Kind::Group => offs!(0, GroupDesc: bg_signature, bg_size, bg_bits, bg_free_bits_count, bg_chain,
            bg_generation, bg_contig_free_bits, bg_next_group, bg_parent_dinode, bg_blkno, bg_check, bg_reserved2),
        Kind::DirBlock => {
            let t = bs - size_of::<DirTrailer>();
            let mut v = offs!(t, DirTrailer: db_compat_inode, db_compat_rec_len, db_compat_name_len,
                db_free_rec_len, db_signature, db_free_next, db_blkno, db_parent_dinode, db_check);
            v.extend([0, 4, 6, 7, 12, 16, 18]); // the first entries' inode, rec_len, name_len, type
            v
        }
        Kind::DxRoot => offs!(0, DxRootBlock: dr_signature, dr_check, dr_suballoc_slot, dr_suballoc_bit,
            dr_fs_generation, dr_blkno, dr_last_eb_blk, dr_clusters, dr_flags, dr_dir_blkno, dr_num_entries,
            dr_free_blk, dr_suballoc_loc, dr_reserved3),
        Kind::DxLeaf => {
            let mut v = offs!(0, DxLeaf: dl_signature, dl_check, dl_blkno, dl_fs_generation, dl_list);
            let l = offset_of!(DxLeaf, dl_list);
            v.extend([l + 4, l + 6, l + 8, l + 12]); // de_count, de_num_used, first entry
            v
        }
        Kind::XattrBlock => {
            let mut v = offs!(0, XattrBlock: xb_signature, xb_suballoc_slot, xb_suballoc_bit, xb_fs_generation,
                xb_blkno, xb_check, xb_flags, xb_suballoc_loc);
            let h = size_of::<XattrBlock>();
            v.extend(offs!(h, XattrHeader: xh_count, xh_free_start, xh_name_value_len, xh_num_buckets));
            let e = h + size_of::<XattrHeader>();
            v.extend([e, e + 4, e + 6, e + 7, e + 8]); // first entry: hash, name offset/len, type, value size
            v
        }
        Kind::Refcount => {
            let mut v = offs!(0, RefcountBlock: rf_signature, rf_suballoc_slot, rf_suballoc_bit, rf_fs_generation,
                rf_blkno, rf_parent, rf_check, rf_last_eb_blk, rf_count, rf_flags, rf_clusters, rf_cpos,
                rf_generation, rf_suballoc_loc);
            let b = size_of::<RefcountBlock>();
            v.extend([b, b + 2, b + 16, b + 24, b + 28]); // rl_count, rl_used, first record
            v
        }
        Kind::Jbd2Super => offs!(0, jbd2::Superblock: s_header, s_blocksize, s_maxlen, s_first, s_sequence,
            s_start, s_errno, s_feature_compat, s_feature_incompat, s_uuid, s_nr_users, s_checksum_type),
    }
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every metadata block of the image, by kind.
fn find_blocks(src: &MemSource, bs: usize) -> Vec<(Kind, u64)> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; bs];
    let blocks = src.size() / bs as u64;
    let tsig = size_of::<DirTrailer>() - offset_of!(DirTrailer, db_signature);
    for b in 0..blocks {
        src.read_at(b * bs as u64, &mut buf).unwrap();
        let kind = match &buf[..8] {
            b"OCFSV2\0\0" => Kind::Superblock,
            b"INODE01\0" => Kind::Inode,
            b"EXBLK01\0" => Kind::ExtentBlock,
            b"GROUP01\0" => Kind::Group,
            b"DXDIR01\0" => Kind::DxRoot,
            b"DXLEAF1\0" => Kind::DxLeaf,
            b"XATTR01\0" => Kind::XattrBlock,
            b"REFCNT1\0" => Kind::Refcount,
            _ if &buf[bs - tsig..][..8] == b"DIRTRL1\0" => Kind::DirBlock,
            _ if u32::from_be_bytes(buf[..4].try_into().unwrap()) == jbd2::MAGIC
                && matches!(u32::from_be_bytes(buf[4..8].try_into().unwrap()), 3 | 4) =>
            {
                Kind::Jbd2Super
            }
            _ => continue,
        };
        out.push((kind, b));
    }
    out
}

/// Up to `per_kind` blocks of each kind: the first ones and random others.
fn sample(blocks: &[(Kind, u64)], per_kind: usize, rng: &mut Rng) -> Vec<(Kind, u64)> {
    let mut kinds: Vec<Kind> = blocks.iter().map(|b| b.0).collect();
    kinds.sort();
    kinds.dedup();
    let mut out = Vec::new();
    for k in kinds {
        let of: Vec<u64> = blocks.iter().filter(|b| b.0 == k).map(|b| b.1).collect();
        let mut pick: Vec<u64> = of.iter().copied().take(per_kind / 2).collect();
        while pick.len() < per_kind.min(of.len()) {
            let b = of[rng.below(of.len())];
            if !pick.contains(&b) {
                pick.push(b);
            }
        }
        out.extend(pick.into_iter().map(|b| (k, b)));
    }
    out
}

/// The damage at one offset, varied so counts see huge, zero and off-by-one
/// values (the last variant saturates a whole 32-bit field).
fn mutate(block: &mut [u8], off: usize, variant: usize) {
    match variant % 5 {
        0 => block[off] ^= 0xff,
        1 => block[off] = 0,
        2 => block[off] ^= 0x01,
        3 => block[off] = 0x80,
        _ => {
            let end = (off + 4).min(block.len());
            block[off..end].fill(0xff);
        }
    }
}

// ---------------------------------------------------------------------------
// Library tier.

/// Wider than the fuzzer's: each damaged copy runs once, not thousands of times.
const LIMITS: fuzz_volume::Limits = fuzz_volume::Limits { inodes: 3000, file_bytes: 4 << 20 };
const WATCHDOG: Duration = Duration::from_secs(20);

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

struct Plan {
    fixture: &'static str,
    /// Blocks sampled per kind for the library tier.
    per_kind: usize,
    /// Blocks per kind (of those) that also go through the CLI.
    cli_per_kind: usize,
    /// Random extra offsets per block.
    random: usize,
}

const PLANS: &[Plan] = &[
    Plan { fixture: "A-default", per_kind: 4, cli_per_kind: 1, random: 3 },
    Plan { fixture: "X-max", per_kind: 3, cli_per_kind: 1, random: 2 },
    // 1 KiB blocks, max features (library tier only).
    Plan { fixture: "M-max-1k", per_kind: 2, cli_per_kind: 0, random: 2 },
    // 512-byte blocks, extent trees three levels deep (library tier only).
    Plan { fixture: "E-extents", per_kind: 3, cli_per_kind: 0, random: 2 },
];

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

// ---------------------------------------------------------------------------
// CLI tier.

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// Runs one command under the memory and time bounds; `Err` says what went wrong.
fn run_bounded(args: &[String]) -> Result<(), String> {
    let mut child = Command::new("prlimit")
        .arg("--as=1073741824")
        .arg("--")
        .arg(common::bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        use std::io::Read;
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{args:?}: killed after {WATCHDOG:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = reader.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        return Err(format!("{args:?}: killed by signal {sig}: {err}"));
    }
    if err.contains("panicked") {
        return Err(format!("{args:?}: panicked: {err}"));
    }
    // `check` exits 4 for "problems found", its report on stdout: a result.
    let is_check_report = args.first().map(String::as_str) == Some("check") && status.code() == Some(4);
    if !status.success() && !is_check_report && err.trim().is_empty() {
        return Err(format!("{args:?}: exit {status} with nothing on stderr"));
    }
    Ok(())
}

/// Every inspector command on one damaged image.
fn cli_commands(img: &Path, out: &Path, blkno: u64, kind: Kind, slots: u16) -> Vec<Vec<String>> {
    let i = img.display().to_string();
    let b = format!("<{blkno}>");
    let o = out.display().to_string();
    let svg = out.join("map.svg").display().to_string();
    let o2i = out.join("image.o2i").display().to_string();
    let mut v: Vec<Vec<&str>> = vec![
        vec!["stats", &i],
        vec!["ls", "-l", &i, "/"],
        vec!["ls", "-l", &i, "//"],
        vec!["stat", &i, &b],
        vec!["stat", &i, "/"],
        vec!["stat", &i, "/small/hello.txt"],
        vec!["stat", &i, "/data/pat1m"],
        vec!["stat_sysdir", &i],
        vec!["cat", &i, "/small/pat5000"],
        vec!["rdump", &i, "/", &o],
        vec!["bmap", &i, "/data/pat1m", "3"],
        vec!["findpath", &i, &b],
        vec!["hb", &i],
        vec!["slotmap", &i],
        vec!["check", "--no-progress", &i],
        vec!["xattr", &i, &b],
        vec!["xattr", &i, "/xattr/file"],
        vec!["xattr", &i, "/extra/many"],
        vec!["refcount", &i, "/data/pat1m"],
        vec!["dx_dump", &i, "/bigdir"],
        vec!["dx_space", &i, "/bigdir"],
        vec!["refcount", &i, &b],
        vec!["freeinode", &i],
        vec!["lsdel", &i],
        vec!["encode", "--all", &i, &b],
        vec!["locate", &i, &b, "<5>"],
        vec!["map", &i, "-o", &svg],
        vec!["list-sparse", &i],
        vec!["gd_free_bits", &i],
        vec!["query", &i, "%V %U %M %H %O\\n"],
        vec!["-R", "stat /small/hello.txt", &i],
        vec!["bodyfile", &i],
        vec!["hash", &i, "/"],
        vec!["image", &i, &o2i],
    ];
    if matches!(kind, Kind::DxRoot | Kind::DxLeaf | Kind::Inode | Kind::DirBlock) {
        v.push(vec!["dx_dump", &i, &b]);
        v.push(vec!["dirblocks", &i, &b]);
    }
    if kind == Kind::DxRoot {
        v.push(vec!["dx_root", &i, &b]);
    }
    if kind == Kind::DxLeaf {
        v.push(vec!["dx_leaf", &i, &b]);
    }
    if kind == Kind::Group {
        v.push(vec!["group", &i, &b]);
    }
    if kind == Kind::ExtentBlock {
        v.push(vec!["extent", &i, &b]);
    }
    let mut v: Vec<Vec<String>> = v.into_iter().map(|a| a.into_iter().map(String::from).collect()).collect();
    for s in 0..slots {
        v.push(vec!["logdump".into(), i.clone(), s.to_string()]);
    }
    v
}

#[test]
fn cli_sweep() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (fno, plan) in PLANS.iter().enumerate() {
        let base = open_zst(&common::fixture_zst(plan.fixture)).unwrap();
        let vol = Volume::from_source(Box::new(base.clone()), OpenOptions::default()).unwrap();
        let (bs, slots) = (vol.block_size(), vol.superblock().s_max_slots.get());
        drop(vol);
        let img = dir.path().join(format!("{}.img", plan.fixture));
        common::decompress_fixture(plan.fixture, &img);
        let mut rng = Rng(0x5eed_0000 + fno as u64);
        let all = find_blocks(&base, bs);
        let picked = sample(&all, plan.cli_per_kind, &mut rng);
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&img).unwrap();
        for (i, &(kind, blkno)) in picked.iter().enumerate() {
            // One field per block (rotating through the table), so every kind is covered.
            let offs = field_offsets(kind, bs);
            let off = offs[(i * 7 + 1) % offs.len()];
            let mut clean = vec![0u8; bs];
            base.read_at(blkno * bs as u64, &mut clean).unwrap();
            let mut block = clean.clone();
            mutate(&mut block, off, i);
            file.write_all_at(&block, blkno * bs as u64).unwrap();
            file.sync_all().unwrap();
            let before = sha256(&img);
            let out = dir.path().join(format!("rdump-{fno}-{i}"));
            std::fs::create_dir_all(&out).unwrap();
            for args in cli_commands(&img, &out, blkno, kind, slots) {
                runs += 1;
                if let Err(e) = run_bounded(&args) {
                    failures.push(format!("{} {kind:?} block {blkno} offset {off:#x}: {e}", plan.fixture));
                }
            }
            let _ = std::fs::remove_dir_all(&out);
            if sha256(&img) != before {
                failures.push(format!("{} {kind:?} block {blkno}: the image changed", plan.fixture));
            }
            file.write_all_at(&clean, blkno * bs as u64).unwrap();
        }
    }
    eprintln!("cli sweep: {runs} runs in {:?}", t0.elapsed());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
