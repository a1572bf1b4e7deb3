//! Shared helpers for the side-by-side harness binaries (`src/bin/`).
//!
//! * [`run_measured`]: run one command once and measure it (wall time, CPU time and
//!   peak RSS of that one child, via `wait4`), with stdout thrown away and failures
//!   turned into errors;
//! * [`Stats`]: median, min and max of a set of samples;
//! * [`BlockMap`]: the non-zero 4 KiB blocks of an image, found once by
//!   [`BlockMap::scan`] and written back into a fresh sparse file by
//!   [`BlockMap::write_into`] (the mkfs floor, see `README.md`);
//! * small utilities: sizes with binary suffixes, dropping the page cache, free
//!   space, the sibling binaries of the running executable.
#![deny(unsafe_code)]

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The granularity of the floor: the block size of the volumes we benchmark.
pub const BLOCK: u64 = 4096;

/// One measured run of one command.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sample {
    /// Wall-clock seconds from spawn to reaping.
    pub wall_s: f64,
    /// User CPU seconds of the child and the descendants it waited for.
    pub user_s: f64,
    /// System CPU seconds, likewise.
    pub sys_s: f64,
    /// Peak resident set of the child (or its largest waited-for descendant), KiB.
    pub max_rss_kib: u64,
    /// The harness's own peak RSS when it spawned the child, KiB. Linux carries
    /// the peak of the address space a process replaces at `execve` into that
    /// process's `ru_maxrss`, and a spawned child starts out in the spawner's, so
    /// a `max_rss_kib` not above this only says "at most this much".
    pub rss_floor_kib: u64,
}

/// How a command says it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// Exit status 0 means success; stderr is informational.
    ExitZero,
    /// debugfs.ocfs2 exits 0 (or 1 with `-f`, always) whatever happened and reports
    /// errors only on stderr, so success is: exit 0 or 1 and nothing on stderr but
    /// its `debugfs.ocfs2 VERSION` banner.
    DebugfsQuietStderr,
}

/// A command to measure: the program, its arguments and how it reports failure.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// How to tell success from failure.
    pub success: Success,
}

impl Cmd {
    /// A command judged by its exit status.
    pub fn new(program: impl Into<PathBuf>, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Self {
        Cmd {
            program: program.into(),
            args: args.iter().map(|a| a.as_ref().to_os_string()).collect(),
            success: Success::ExitZero,
        }
    }

    /// The same command judged the debugfs.ocfs2 way (see [`Success::DebugfsQuietStderr`]).
    pub fn debugfs_style(mut self) -> Self {
        self.success = Success::DebugfsQuietStderr;
        self
    }

    /// The command line as a shell would show it (for messages and the JSON report).
    pub fn display(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"') {
                s.push_str(&format!(" {a:?}"));
            } else {
                s.push(' ');
                s.push_str(&a);
            }
        }
        s
    }
}

/// Runs `cmd` once with stdout to /dev/null and measures it.
///
/// The child is reaped with `wait4` so that the CPU times and peak RSS are this
/// child's alone (`getrusage(RUSAGE_CHILDREN)` would report the maximum over every
/// child so far). Stderr goes to an anonymous temporary file, read only after the
/// child is gone, so a chatty child can never block on a full pipe. A failed run is
/// an error carrying the command line, the status and the stderr text.
#[allow(unsafe_code)] // libc: wait4, sync, statvfs, SEEK_DATA
pub fn run_measured(cmd: &Cmd) -> io::Result<Sample> {
    let mut stderr = tempfile::tempfile()?;
    let rss_floor_kib = own_peak_rss_kib()?;
    let start = Instant::now();
    let child = Command::new(&cmd.program)
        .args(&cmd.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr.try_clone()?))
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", cmd.display())))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: all-zero bytes are a valid `rusage` (plain integers and timevals).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, writable and live for the call;
        // `pid` is our own child, which nothing else reaps (std's `Child` only waits
        // when asked, and we never ask).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    drop(child);

    stderr.rewind()?;
    let mut raw = Vec::new();
    stderr.read_to_end(&mut raw)?;
    // Lossy: stderr is only shown to a human, and a tool may print any bytes.
    let text = String::from_utf8_lossy(&raw);

    let exit = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
    let ok = match cmd.success {
        Success::ExitZero => exit == Some(0),
        Success::DebugfsQuietStderr => {
            matches!(exit, Some(0 | 1)) && text.lines().all(|l| l.trim().is_empty() || l.starts_with("debugfs.ocfs2 "))
        }
    };
    if !ok {
        let how = match exit {
            Some(code) => format!("exit status {code}"),
            None => format!("killed by signal {}", libc::WTERMSIG(status)),
        };
        return Err(io::Error::other(format!("{} failed ({how}); stderr:\n{}", cmd.display(), text.trim_end())));
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        wall_s,
        user_s: secs(usage.ru_utime),
        sys_s: secs(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        rss_floor_kib,
    })
}

/// This process's peak RSS so far (`VmHWM` of `/proc/self/status`), KiB.
fn own_peak_rss_kib() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("no VmHWM in /proc/self/status"))
}

/// Median, minimum and maximum wall time and the peak RSS of a set of samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median wall seconds (the mean of the two middle ones for an even count).
    pub median: f64,
    /// Fastest run.
    pub min: f64,
    /// Slowest run.
    pub max: f64,
    /// Largest peak RSS of any run, KiB.
    pub max_rss_kib: u64,
    /// Whether that peak is only an upper bound: no run rose above the RSS it
    /// inherited from the harness (see [`Sample::rss_floor_kib`]).
    pub rss_upper_bound_only: bool,
}

impl Stats {
    /// Summarizes `samples`; `None` when there are none.
    pub fn of(samples: &[Sample]) -> Option<Stats> {
        let mut walls: Vec<f64> = samples.iter().map(|s| s.wall_s).collect();
        walls.sort_by(f64::total_cmp);
        let n = walls.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => walls[n / 2],
            _ => (walls[n / 2 - 1] + walls[n / 2]) / 2.0,
        };
        Some(Stats {
            median,
            min: walls[0],
            max: walls[n - 1],
            max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            rss_upper_bound_only: samples.iter().all(|s| s.max_rss_kib <= s.rss_floor_kib),
        })
    }
}

/// Parses `1T`, `15T`, `512G`, `64M`, `4K` or a plain byte count (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                'P' => 50,
                _ => return Err(format!("{text:?}: unknown unit {c:?} (use K, M, G, T or P)")),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits.parse().map_err(|e| format!("{text:?}: {e}"))?;
    n.checked_mul(1u64 << shift).ok_or_else(|| format!("{text:?}: too large"))
}

/// Shows a byte count the way [`parse_size`] reads it, when it is a whole number
/// of some unit (`15T`), else in bytes.
pub fn size_label(bytes: u64) -> String {
    for (shift, unit) in [(50, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}")
}

/// A byte count for people: `812 KiB`, `33.6 MiB`, `1.10 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..0x10_0000 => format!("{:.0} KiB", b / 1024.0),
        0x10_0000..0x4000_0000 => format!("{:.1} MiB", b / 1048576.0),
        _ => format!("{:.2} GiB", b / 1073741824.0),
    }
}

/// Writes every dirty page to disk (`sync(2)`), so that one run's writeback is not
/// charged to the next.
#[allow(unsafe_code)] // libc: wait4, sync, statvfs, SEEK_DATA
pub fn sync_all() {
    // SAFETY: sync() takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Drops the page cache, dentries and inodes (`sync; echo 3 > drop_caches`).
/// Needs root.
pub fn drop_caches() -> io::Result<()> {
    sync_all();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").map_err(|e| {
        io::Error::new(e.kind(), format!("dropping the page cache (/proc/sys/vm/drop_caches; needs root): {e}"))
    })
}

/// Bytes available to an unprivileged writer on the filesystem holding `dir`.
#[allow(unsafe_code)] // libc: wait4, sync, statvfs, SEEK_DATA
pub fn free_bytes(dir: &Path) -> io::Result<u64> {
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: all-zero bytes are a valid `statvfs` (plain integers).
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` is writable for the call.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The field widths differ between targets; both are unsigned.
    #[allow(clippy::unnecessary_cast)]
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Bytes a file really occupies on disk (not its apparent size).
pub fn allocated_bytes(path: &Path) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.blocks() * 512)
}

/// The binary `name` in the directory of the running executable (`target/release/`
/// when run through `cargo run --release`), or an error saying how to build it.
pub fn sibling_exe(name: &str) -> io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me.parent().ok_or_else(|| io::Error::other("current_exe has no parent directory"))?;
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is missing: build the binaries first with \
                 `cargo build --release -p ocfs2-mkfs -p ocfs2-inspect -p ocfs2-benches`",
                path.display()
            ),
        ))
    }
}

/// Creates (or recreates) `path` as a sparse file of `size` bytes with no data,
/// like `truncate -s SIZE` on a file that did not exist.
pub fn fresh_sparse_file(path: &Path, size: u64) -> io::Result<()> {
    remove_if_present(path)?;
    File::create(path)?.set_len(size)
}

/// Removes a file, or a directory tree, if it exists.
pub fn remove_if_present(path: &Path) -> io::Result<()> {
    let r = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    r.map_err(|e| io::Error::new(e.kind(), format!("removing {}: {e}", path.display())))
}

/// The non-zero [`BLOCK`]-sized blocks of an image, as sorted, disjoint,
/// coalesced runs `(byte offset, byte length)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockMap {
    /// Apparent size of the image the map was taken from.
    pub size: u64,
    /// Runs of contiguous non-zero blocks.
    pub runs: Vec<(u64, u64)>,
}

/// How much the scan reads, and the floor writes, per system call.
const CHUNK: u64 = 1 << 20;

impl BlockMap {
    /// Finds the non-zero blocks of `image`. Only the allocated extents are read
    /// (`SEEK_DATA`/`SEEK_HOLE`), so a sparse 15 TiB image costs what its data
    /// costs; allocated blocks that hold only zeros are left out.
    pub fn scan(image: &Path) -> io::Result<BlockMap> {
        let file = File::open(image)?;
        let size = file.metadata()?.len();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut buf = vec![0u8; CHUNK as usize];
        let mut pos = 0;
        while let Some((data, hole)) = next_data_extent(&file, pos, size)? {
            // Extents start on filesystem-block boundaries; round out to ours anyway.
            let mut off = data / BLOCK * BLOCK;
            while off < hole {
                let len = (hole - off).min(CHUNK);
                let buf = &mut buf[..len as usize];
                file.read_exact_at(buf, off)?;
                for (i, block) in buf.chunks(BLOCK as usize).enumerate() {
                    if block.iter().any(|&b| b != 0) {
                        let at = off + i as u64 * BLOCK;
                        let blen = block.len() as u64;
                        match runs.last_mut() {
                            Some((start, rlen)) if *start + *rlen == at => *rlen += blen,
                            _ => runs.push((at, blen)),
                        }
                    }
                }
                off += len;
            }
            pos = hole;
        }
        Ok(BlockMap { size, runs })
    }

    /// Saves the map as JSON.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_vec(self).map_err(io::Error::other)?;
        std::fs::write(path, text)
    }

    /// Loads a map saved by [`BlockMap::save`].
    pub fn load(path: &Path) -> io::Result<BlockMap> {
        let text = std::fs::read(path)?;
        serde_json::from_slice(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// Number of non-zero blocks.
    pub fn blocks(&self) -> u64 {
        self.runs.iter().map(|&(_, len)| len.div_ceil(BLOCK)).sum()
    }

    /// Writes a non-zero pattern over exactly the mapped runs of `out` (created
    /// and sized to the map when it is missing or shorter; the harness hands it a
    /// fresh sparse file), one `pwrite` per run or per 1 MiB of a longer run, then
    /// `fsync`s. The content is a fixed pattern: the host filesystem neither
    /// compresses nor deduplicates, so what it costs to accept the blocks does not
    /// depend on their bytes.
    pub fn write_into(&self, out: &Path) -> io::Result<()> {
        let file = OpenOptions::new().write(true).create(true).truncate(false).open(out)?;
        if file.metadata()?.len() < self.size {
            file.set_len(self.size)?;
        }
        let longest = self.runs.iter().map(|&(_, len)| len).max().unwrap_or(0).min(CHUNK);
        let pattern = vec![0xA5u8; longest as usize];
        for &(start, len) in &self.runs {
            let mut off = start;
            while off < start + len {
                let n = (start + len - off).min(CHUNK);
                file.write_all_at(&pattern[..n as usize], off)?;
                off += n;
            }
        }
        file.sync_all()
    }
}

/// The next allocated extent `[data, hole)` at or after `pos`, or `None` past the
/// last one.
#[allow(unsafe_code)] // libc: wait4, sync, statvfs, SEEK_DATA
fn next_data_extent(file: &File, pos: u64, size: u64) -> io::Result<Option<(u64, u64)>> {
    if pos >= size {
        return Ok(None);
    }
    let fd = file.as_raw_fd();
    let at = libc::off_t::try_from(pos).map_err(io::Error::other)?;
    // SAFETY: lseek on a descriptor we own; it only moves the file offset.
    let data = unsafe { libc::lseek(fd, at, libc::SEEK_DATA) };
    if data < 0 {
        let err = io::Error::last_os_error();
        // ENXIO: no data at or after `pos`.
        return if err.raw_os_error() == Some(libc::ENXIO) { Ok(None) } else { Err(err) };
    }
    // SAFETY: as above.
    let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
    if hole < 0 {
        return Err(io::Error::last_os_error());
    }
    // Both are non-negative here.
    Ok(Some((data as u64, (hole as u64).min(size))))
}

/// Sorts byte ranges `(offset, length)` and merges those that overlap or touch.
pub fn coalesce(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.retain(|&(_, len)| len > 0);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (off, len) in ranges {
        match out.last_mut() {
            Some((start, rlen)) if *start + *rlen >= off => *rlen = (*rlen).max(off + len - *start),
            _ => out.push((off, len)),
        }
    }
    out
}

/// The byte ranges `(offset, length)` a [`Recording`] has seen read, shared with its owner.
pub type Reads = std::sync::Arc<std::sync::Mutex<Vec<(u64, u64)>>>;

/// A [`BlockSource`] that remembers every byte range read through it: what a
/// library operation (a check, a replay) reads, for the read floors.
///
/// [`BlockSource`]: ocfs2_format::io::BlockSource
#[derive(Debug)]
pub struct Recording {
    inner: Box<dyn ocfs2_format::io::BlockSource>,
    reads: Reads,
}

impl Recording {
    /// Wraps `inner`; the returned list fills as the source is read.
    pub fn new(inner: Box<dyn ocfs2_format::io::BlockSource>) -> (Recording, Reads) {
        let reads = Reads::default();
        (Recording { inner, reads: std::sync::Arc::clone(&reads) }, reads)
    }

    fn note(&self, offset: u64, len: u64) {
        // A poisoned lock only means another reader panicked; its ranges still count.
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).push((offset, len));
    }
}

impl ocfs2_format::io::BlockSource for Recording {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> ocfs2_format::Result<()> {
        self.note(offset, buf.len() as u64);
        self.inner.read_at(offset, buf)
    }
    fn bytes(&self, offset: u64, len: usize) -> ocfs2_format::Result<std::borrow::Cow<'_, [u8]>> {
        self.note(offset, len as u64);
        self.inner.bytes(offset, len)
    }
    fn underlying(&self) -> Option<&dyn ocfs2_format::io::BlockSource> {
        Some(&*self.inner)
    }
}

/// Reads every run of `map` from `image` in `pread`s of at most 1 MiB, shared
/// out among `threads` threads piece by piece (thread `t` takes pieces `t`,
/// `t + threads`, ...); one thread reads them in map order (sequentially when
/// the runs ascend). The read floors: the reads and nothing else.
pub fn read_runs(map: &BlockMap, image: &Path, threads: usize) -> io::Result<u64> {
    let file = File::open(image)?;
    let threads = threads.max(1);
    let pieces: Vec<(u64, u64)> = map
        .runs
        .iter()
        .flat_map(|&(start, len)| {
            (0..len.div_ceil(CHUNK)).map(move |i| (start + i * CHUNK, (len - i * CHUNK).min(CHUNK)))
        })
        .collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (file, pieces) = (&file, &pieces);
                s.spawn(move || -> io::Result<u64> {
                    let mut buf = vec![0u8; CHUNK as usize];
                    let mut sum = 0u64;
                    for &(off, len) in pieces.iter().skip(t).step_by(threads) {
                        let buf = &mut buf[..len as usize];
                        file.read_exact_at(buf, off)?;
                        // Use the data, so that no read can be optimised away.
                        sum = sum.wrapping_add(u64::from(buf[0]) + u64::from(buf[buf.len() - 1]));
                    }
                    Ok(sum)
                })
            })
            .collect();
        workers.into_iter().try_fold(0u64, |acc, w| {
            let part = w.join().map_err(|_| io::Error::other("a reader thread panicked"))??;
            Ok(acc.wrapping_add(part))
        })
    })
}

/// Overwrites the data clusters of every regular file of the volume image
/// `image` (a copy the caller made; metadata and inline data are left alone)
/// with lowercase hex text, each block's drawn from a generator seeded by its
/// offset, so a reflinked cluster gets the same bytes through every file.
/// The kernel-written fixtures' files hold patterns that deflate to almost
/// nothing; hex text (4 bits of entropy a byte) compresses about 2:1, like
/// logs and documents, so an E01 of it makes every chunk's inflate real work.
/// Returns the bytes written.
pub fn fill_file_data(image: &Path) -> io::Result<u64> {
    let other = |e: ocfs2_format::Error| io::Error::other(e.to_string());
    let mut runs: Vec<(u64, u64)> = Vec::new();
    {
        let vol = ocfs2_format::Volume::open(image).map_err(other)?;
        for w in vol.walk("/") {
            let w = w.map_err(other)?;
            if !w.file_type().is_file() || w.hard_link_seen() {
                continue;
            }
            let f = vol.open_file_ino(w.ino()).map_err(other)?;
            if f.metadata().is_inline() {
                continue;
            }
            runs.extend(f.runs().into_iter().filter_map(|r| match r {
                ocfs2_format::Run::Data { physical, len, .. } => Some((physical, len)),
                _ => None,
            }));
        }
    }
    let file = OpenOptions::new().write(true).open(image)?;
    let mut buf = vec![0u8; BLOCK as usize];
    let mut written = 0;
    for (physical, len) in coalesce(runs) {
        for off in (physical..physical + len).step_by(BLOCK as usize) {
            let n = (physical + len - off).min(BLOCK) as usize;
            let mut x = off.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1; // xorshift64, never 0
            for piece in buf[..n].chunks_mut(16) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                for (i, c) in piece.iter_mut().enumerate() {
                    *c = b"0123456789abcdef"[((x >> (4 * i)) & 15) as usize];
                }
            }
            file.write_all_at(&buf[..n], off)?;
            written += n as u64;
        }
    }
    file.sync_all()?;
    Ok(written)
}

/// One entry of a directory tree, for the rdump floor (see [`TreeManifest`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum TreeEntry {
    /// A directory.
    Dir(PathBuf),
    /// A regular file: its size and the byte runs holding data (the rest are holes).
    File { path: PathBuf, size: u64, data: Vec<(u64, u64)> },
    /// A symbolic link and its target.
    Symlink { path: PathBuf, target: PathBuf },
    /// A second name of a file listed earlier.
    HardLink { path: PathBuf, to: PathBuf },
}

/// A directory tree's shape without its contents: what `rdump` wrote, to be
/// written again from memory (the rdump floor). Paths are relative to the root.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TreeManifest {
    /// Parents before children.
    pub entries: Vec<TreeEntry>,
}

/// What a tree occupies: apparent file bytes, data bytes (holes left out) and
/// allocated bytes, each file counted once however many names it has.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct TreeBytes {
    /// Sum of the files' sizes.
    pub apparent: u64,
    /// Bytes in data extents (`SEEK_DATA`/`SEEK_HOLE`), what a writer wrote.
    pub data: u64,
    /// `st_blocks` × 512 of files, directories and links.
    pub allocated: u64,
    /// Entries under the root.
    pub entries: u64,
}

impl TreeManifest {
    /// Walks `root` (links not followed) into a manifest, with what it occupies.
    pub fn scan(root: &Path) -> io::Result<(TreeManifest, TreeBytes)> {
        use std::os::unix::fs::MetadataExt;
        let mut m = TreeManifest::default();
        let mut bytes = TreeBytes::default();
        let mut seen: std::collections::HashMap<(u64, u64), PathBuf> = std::collections::HashMap::new();
        let mut todo = vec![PathBuf::new()];
        while let Some(rel) = todo.pop() {
            let mut names: Vec<_> = std::fs::read_dir(root.join(&rel))?.collect::<Result<_, _>>()?;
            names.sort_by_key(|e| e.file_name());
            for e in names {
                let path = rel.join(e.file_name());
                let md = e.metadata()?;
                bytes.entries += 1;
                let id = (md.dev(), md.ino());
                if md.is_dir() {
                    bytes.allocated += md.blocks() * 512;
                    m.entries.push(TreeEntry::Dir(path.clone()));
                    todo.push(path);
                } else if md.file_type().is_symlink() {
                    bytes.allocated += md.blocks() * 512;
                    let target = std::fs::read_link(e.path())?;
                    m.entries.push(TreeEntry::Symlink { path, target });
                } else if md.is_file() {
                    if let Some(first) = seen.get(&id).filter(|_| md.nlink() > 1) {
                        m.entries.push(TreeEntry::HardLink { path, to: first.clone() });
                        continue;
                    }
                    seen.insert(id, path.clone());
                    let file = File::open(e.path())?;
                    let mut data = Vec::new();
                    let mut pos = 0;
                    while let Some((d, h)) = next_data_extent(&file, pos, md.len())? {
                        data.push((d, h - d));
                        pos = h;
                    }
                    bytes.apparent += md.len();
                    bytes.data += data.iter().map(|r| r.1).sum::<u64>();
                    bytes.allocated += md.blocks() * 512;
                    m.entries.push(TreeEntry::File { path, size: md.len(), data });
                }
                // Devices, FIFOs and sockets: rdump writes none.
            }
        }
        Ok((m, bytes))
    }

    /// Saves the manifest as JSON.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        std::fs::write(path, serde_json::to_vec(self).map_err(io::Error::other)?)
    }

    /// Loads a manifest saved by [`TreeManifest::save`].
    pub fn load(path: &Path) -> io::Result<TreeManifest> {
        serde_json::from_slice(&std::fs::read(path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// Creates the tree under `out` (an existing, empty directory): every
    /// directory, link and file, each file's data runs written with a fixed
    /// pattern and its size set, and nothing else (no modes, times or xattrs;
    /// no fsync, as rdump does none).
    pub fn write_under(&self, out: &Path) -> io::Result<()> {
        let longest = self
            .entries
            .iter()
            .filter_map(|e| match e {
                TreeEntry::File { data, .. } => data.iter().map(|r| r.1).max(),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            .min(CHUNK);
        let pattern = vec![0x5Au8; longest as usize];
        for e in &self.entries {
            match e {
                TreeEntry::Dir(p) => std::fs::create_dir(out.join(p))?,
                TreeEntry::Symlink { path, target } => std::os::unix::fs::symlink(target, out.join(path))?,
                TreeEntry::HardLink { path, to } => std::fs::hard_link(out.join(to), out.join(path))?,
                TreeEntry::File { path, size, data } => {
                    let f = File::create(out.join(path))?;
                    for &(start, len) in data {
                        let mut off = start;
                        while off < start + len {
                            let n = (start + len - off).min(CHUNK);
                            f.write_all_at(&pattern[..n as usize], off)?;
                            off += n;
                        }
                    }
                    if data.last().is_none_or(|&(s, l)| s + l < *size) {
                        f.set_len(*size)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_trip() {
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("15t"), Ok(15 << 40));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("3X").is_err());
        assert_eq!(size_label(15 << 40), "15T");
        assert_eq!(size_label(1536 << 30), "1536G");
    }

    #[test]
    fn fill_file_data_leaves_a_clean_volume_of_hex_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let img = dir.path().join("A.img");
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/A-default.img.zst");
        let st = Command::new("zstd").args(["-q", "-d", "-f", fixture, "-o"]).arg(&img).status().expect("zstd in PATH");
        assert!(st.success(), "zstd -d {fixture}");
        let written = fill_file_data(&img).expect("fill");
        assert!(written > 20 << 20, "{written} bytes");
        // The metadata is untouched: fsck.ocfs2 finds nothing to fix.
        let fsck = Command::new("fsck.ocfs2").arg("-fn").arg(&img).output().expect("fsck.ocfs2 (ocfs2-tools) in PATH");
        assert!(fsck.status.success(), "fsck.ocfs2 -fn: {}", String::from_utf8_lossy(&fsck.stdout));
        let vol = ocfs2_format::Volume::open(&img).expect("open");
        let mut files = 0;
        for w in vol.walk("/") {
            let w = w.expect("walk");
            if !w.file_type().is_file() {
                continue;
            }
            let f = vol.open_file_ino(w.ino()).expect("open");
            // Holes and unwritten (preallocated) extents read as zeros still.
            if f.metadata().is_inline() || !matches!(f.runs().first(), Some(ocfs2_format::Run::Data { .. })) {
                continue;
            }
            let mut head = vec![0u8; f.len().min(BLOCK) as usize];
            assert_eq!(f.read_at(0, &mut head).expect("read"), head.len());
            assert!(head.iter().all(u8::is_ascii_hexdigit), "{}", String::from_utf8_lossy(w.path()));
            files += 1;
        }
        assert!(files >= 5, "{files} files with extent data");
    }

    #[test]
    fn stats_median() {
        let s = |w| Sample { wall_s: w, user_s: 0.0, sys_s: 0.0, max_rss_kib: w as u64, rss_floor_kib: 2 };
        let st = Stats::of(&[s(3.0), s(1.0), s(2.0), s(10.0)]).expect("four samples");
        assert_eq!((st.median, st.min, st.max, st.max_rss_kib), (2.5, 1.0, 10.0, 10));
        assert!(!st.rss_upper_bound_only);
        assert!(Stats::of(&[s(1.0), s(2.0)]).expect("two samples").rss_upper_bound_only);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn coalesce_merges_overlapping_and_touching_ranges() {
        assert_eq!(
            coalesce(vec![(8192, 4096), (0, 4096), (4096, 100), (100, 50), (20000, 0)]),
            vec![(0, 4196), (8192, 4096)]
        );
        assert_eq!(coalesce(vec![(0, 10), (2, 3)]), vec![(0, 10)]);
    }

    #[test]
    fn read_runs_reads_every_byte_of_the_map_with_any_thread_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let img = dir.path().join("img");
        let f = File::create(&img).expect("create");
        // Distinct first and last bytes in each piece, so a skipped or doubled piece changes the sum.
        let runs = vec![(0, 3 * CHUNK + 10), (5 * CHUNK, 100)];
        let mut want = 0u64;
        for &(start, len) in &runs {
            let mut off = start;
            while off < start + len {
                let n = (start + len - off).min(CHUNK);
                let (a, b) = ((off / CHUNK + 1) as u8, (off / CHUNK + 100) as u8);
                f.write_all_at(&[a], off).expect("write");
                f.write_all_at(&[b], off + n - 1).expect("write");
                want += u64::from(a) + u64::from(b);
                off += n;
            }
        }
        let map = BlockMap { size: 6 * CHUNK, runs };
        for threads in [1, 2, 3, 16] {
            assert_eq!(read_runs(&map, &img, threads).expect("read"), want, "{threads} threads");
        }
        let past = BlockMap { size: 0, runs: vec![(7 * CHUNK, 10)] };
        assert!(read_runs(&past, &img, 2).is_err(), "a range past the end is an error");
    }

    #[test]
    fn tree_manifest_writes_the_same_shape() {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("a/b")).expect("dirs");
        std::fs::write(src.join("a/small"), b"hello").expect("file");
        let sparse = File::create(src.join("a/b/sparse")).expect("create");
        sparse.set_len(64 * BLOCK).expect("size");
        sparse.write_all_at(&[1u8; BLOCK as usize], 8 * BLOCK).expect("write");
        std::fs::hard_link(src.join("a/small"), src.join("link")).expect("hard link");
        std::os::unix::fs::symlink("a/small", src.join("sym")).expect("symlink");
        let (m, bytes) = TreeManifest::scan(&src).expect("scan");
        assert_eq!(bytes.entries, 6);
        assert_eq!(bytes.apparent, 5 + 64 * BLOCK, "the hard link counted once");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).expect("out");
        m.write_under(&out).expect("write");
        let (again, again_bytes) = TreeManifest::scan(&out).expect("rescan");
        assert_eq!(again.entries, m.entries);
        assert_eq!((again_bytes.apparent, again_bytes.data), (bytes.apparent, bytes.data));
        assert_eq!(std::fs::read(out.join("link")).expect("read"), [0x5A; 5]);
    }

    #[test]
    fn scan_then_write_reproduces_the_non_zero_blocks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = dir.path().join("src.img");
        let f = File::create(&src).expect("create");
        f.set_len(64 * BLOCK).expect("size");
        f.write_all_at(&[1u8; 2 * BLOCK as usize], 3 * BLOCK).expect("write");
        f.write_all_at(&[0u8; BLOCK as usize], 10 * BLOCK).expect("allocated zeros");
        f.write_all_at(&[7u8], 40 * BLOCK + 100).expect("write");
        let map = BlockMap::scan(&src).expect("scan");
        assert_eq!(map.runs, vec![(3 * BLOCK, 2 * BLOCK), (40 * BLOCK, BLOCK)]);
        assert_eq!(map.blocks(), 3);
        let out = dir.path().join("out.img");
        map.write_into(&out).expect("write");
        let again = BlockMap::scan(&out).expect("rescan");
        assert_eq!((again.size, again.runs), (map.size, map.runs));
    }
}
