//! Side-by-side timings of our binaries against ocfs2-tools, with a ratio table
//! and every raw sample as JSON (see `benches/README.md`).
//!
//! ```sh
//! cargo build --release -p ocfs2-mkfs -p ocfs2-inspect -p ocfs2-benches
//! cargo run --release -p ocfs2-benches --bin side-by-side -- --quick
//! ```
//!
//! Every operation runs as a child process on both sides, reaped with `wait4` for
//! its own CPU time and peak RSS; stdout goes to /dev/null, and a run that fails
//! (exit status, or anything on debugfs.ocfs2's stderr) stops the harness.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use comfy_table::{presets, CellAlignment, Table};
use ocfs2_benches::{
    drop_caches, free_bytes, fresh_sparse_file, human_bytes, parse_size, remove_if_present, run_measured, sibling_exe,
    size_label, sync_all, Cmd, Sample, Stats, BLOCK,
};
use serde::Serialize;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Progress on stderr, stamped with the seconds since the start: the untimed
/// parts (unlinking images on a `discard` mount above all) can take minutes, and
/// the stamps show where they went.
macro_rules! progress {
    ($($arg:tt)*) => {
        eprintln!("[{:7.1}s] {}", started().elapsed().as_secs_f64(), format_args!($($arg)*))
    };
}

/// When the harness started (the first call).
fn started() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

#[derive(Debug, Parser)]
#[command(about = "Time ocfs2-mkfs and ocfs2-inspect against mkfs.ocfs2, fsck.ocfs2 and debugfs.ocfs2")]
struct Args {
    /// Timed runs of each command (ours and theirs alternate)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Volume sizes for mkfs, check and stat, comma-separated (K, M, G, T: binary units)
    #[arg(long, value_delimiter = ',', default_value = "1T,15T", value_parser = parse_size)]
    sizes: Vec<u64>,
    /// Directory for the images (a temporary directory is made inside it and removed at the end)
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Smoke test: 1 run, 1 TiB only
    #[arg(long, conflicts_with_all = ["runs", "sizes"])]
    quick: bool,
    /// Also time the read-only commands with a cold page cache (dropped before every run; needs root)
    #[arg(long)]
    cold: bool,
    /// Write every raw sample to this file as JSON
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The options both mkfs programs get (and the floor's reference volume). `-x`: without it
/// mkfs.ocfs2 1.8.7 asks before it writes (here even on a fresh zeroed file) and aborts
/// when no one answers.
const MKFS_OPTIONS: [&str; 9] = ["-q", "-F", "-x", "-N", "4", "-b", "4K", "-C", "4K"];

/// The kernel-written fixture with a 5000-entry indexed `/bigdir` and a populated tree.
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/X-max.img.zst");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Who {
    Ours,
    Theirs,
    Floor,
}

/// The page-cache state a measurement runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Cache {
    /// A writer on a new sparse file each run: nothing to warm.
    Fresh,
    /// After one untimed run of each command.
    Warm,
    /// After dropping the page cache before every run.
    Cold,
}

impl Cache {
    fn label(self) -> &'static str {
        match self {
            Cache::Fresh => "fresh file",
            Cache::Warm => "warm",
            Cache::Cold => "cold",
        }
    }
}

/// What must be made new before every run of a command.
#[derive(Debug)]
enum Scratch {
    None,
    /// mkfs targets: a new sparse file of this size (`truncate -s`).
    SparseFile(PathBuf, u64),
    /// rdump targets: a new empty directory.
    EmptyDir(PathBuf),
}

impl Scratch {
    fn prepare(&self) -> io::Result<()> {
        match self {
            Scratch::None => Ok(()),
            Scratch::SparseFile(path, size) => {
                remove_image(path)?;
                fresh_sparse_file(path, *size)
            }
            Scratch::EmptyDir(path) => {
                remove_if_present(path)?;
                std::fs::create_dir(path)
            }
        }
    }
}

/// One side of a comparison.
#[derive(Debug)]
struct Contender {
    who: Who,
    cmd: Cmd,
    scratch: Scratch,
}

impl Contender {
    fn new(who: Who, cmd: Cmd) -> Self {
        Contender { who, cmd, scratch: Scratch::None }
    }

    fn with_scratch(mut self, scratch: Scratch) -> Self {
        self.scratch = scratch;
        self
    }
}

#[derive(Debug, Serialize)]
struct Series {
    who: Who,
    command: String,
    samples: Vec<Sample>,
}

#[derive(Debug, Serialize)]
struct Measurement {
    operation: String,
    size: String,
    cache: Cache,
    series: Vec<Series>,
}

impl Measurement {
    fn stats(&self, who: Who) -> Option<Stats> {
        self.series.iter().find(|s| s.who == who).and_then(|s| Stats::of(&s.samples))
    }
}

/// What the floor writes for one volume size.
#[derive(Debug, Serialize)]
struct FloorMap {
    size: String,
    /// `floor scan`'s summary: the blocks and runs it found.
    scan: String,
}

#[derive(Debug, Serialize)]
struct Report {
    started_unix: u64,
    kernel: String,
    cpus: usize,
    loadavg_at_start: String,
    runs: u32,
    cold: bool,
    floor: Vec<FloorMap>,
    measurements: Vec<Measurement>,
}

/// The programs compared.
#[derive(Debug)]
struct Tools {
    mkfs: PathBuf,
    inspect: PathBuf,
    floor: PathBuf,
    mkfs_ocfs2: PathBuf,
    fsck_ocfs2: PathBuf,
    debugfs_ocfs2: PathBuf,
    zstd: PathBuf,
}

impl Tools {
    fn find() -> io::Result<Tools> {
        Ok(Tools {
            mkfs: sibling_exe("ocfs2-mkfs")?,
            inspect: sibling_exe("ocfs2-inspect")?,
            floor: sibling_exe("floor")?,
            mkfs_ocfs2: in_path("mkfs.ocfs2")?,
            fsck_ocfs2: in_path("fsck.ocfs2")?,
            debugfs_ocfs2: in_path("debugfs.ocfs2")?,
            zstd: in_path("zstd")?,
        })
    }
}

/// Finds a program in `PATH`, or in the sbin directories where ocfs2-tools live
/// (often missing from a non-root `PATH`).
fn in_path(name: &str) -> io::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{name} not found in PATH (install ocfs2-tools and zstd)"))
        })
}

/// Refuses to time ocfs2-tools when they would do their work more than once.
/// Without `/sbin/modprobe` (Debian's kmod), libo2cb forks to exec it, the exec
/// fails and the child carries on: mkfs.ocfs2 then formats four times and every
/// ratio against it is inflated. One real format shows it: its closing line must
/// print exactly once.
fn fair_anchor(tools: &Tools, work: &Path) -> io::Result<()> {
    let image = work.join("anchor.img");
    fresh_sparse_file(&image, 256 << 20)?;
    let out = Command::new(&tools.mkfs_ocfs2).args(["-F", "-x"]).arg(&image).output()?;
    remove_image(&image)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let runs = stdout.lines().filter(|l| l.trim() == "mkfs.ocfs2 successful").count();
    if !out.status.success() || runs != 1 {
        return Err(io::Error::other(format!(
            "mkfs.ocfs2 printed its closing line {runs} times (exit {:?}): it forks copies of itself when \
             /sbin/modprobe is missing; install kmod (apt-get install kmod) so the comparison has a fair anchor",
            out.status.code()
        )));
    }
    Ok(())
}

/// The measuring loop and what it has measured so far.
#[derive(Debug)]
struct Harness {
    runs: u32,
    cold: bool,
    work: PathBuf,
    tools: Tools,
    floor: Vec<FloorMap>,
    measurements: Vec<Measurement>,
}

impl Harness {
    /// Times each contender `self.runs` times, in alternation: every round runs
    /// each contender once, and the first one rotates from round to round, so no
    /// side always follows the same other side. Before each run its scratch target
    /// is made anew and dirty pages are synced (untimed), so no run pays for
    /// another's writeback; for `Cache::Cold` the page cache is dropped too.
    fn measure(&mut self, operation: &str, size: &str, cache: Cache, contenders: &[Contender]) -> io::Result<()> {
        let mut samples: Vec<Vec<Sample>> = contenders.iter().map(|_| Vec::new()).collect();
        for round in 0..self.runs as usize {
            for k in 0..contenders.len() {
                let i = (round + k) % contenders.len();
                let c = &contenders[i];
                progress!("  {operation} {size} {}: run {}/{}, {:?}", cache.label(), round + 1, self.runs, c.who);
                c.scratch.prepare()?;
                sync_all();
                if cache == Cache::Cold {
                    drop_caches()?;
                }
                samples[i].push(run_measured(&c.cmd)?);
            }
        }
        let series = contenders
            .iter()
            .zip(samples)
            .map(|(c, samples)| Series { who: c.who, command: c.cmd.display(), samples })
            .collect();
        self.measurements.push(Measurement { operation: operation.into(), size: size.into(), cache, series });
        Ok(())
    }

    /// A read-only comparison: one untimed run of each contender (it fills the
    /// page cache and proves the command works), `check_outputs` on what those
    /// runs left behind, then the warm runs and, with `--cold`, the cold ones.
    fn read_only(
        &mut self,
        operation: &str,
        size: &str,
        contenders: &[Contender],
        check_outputs: &dyn Fn() -> io::Result<()>,
    ) -> io::Result<()> {
        progress!("  {operation} {size}: untimed warm-up");
        for c in contenders {
            c.scratch.prepare()?;
            run_measured(&c.cmd)?;
        }
        check_outputs()?;
        self.measure(operation, size, Cache::Warm, contenders)?;
        if self.cold {
            self.measure(operation, size, Cache::Cold, contenders)?;
        }
        Ok(())
    }

    /// mkfs of one size: ours, mkfs.ocfs2 and the floor, each run on a new sparse
    /// file. Returns the image mkfs.ocfs2 made last, for the read-only rows.
    fn mkfs(&mut self, size: u64) -> io::Result<PathBuf> {
        let label = size_label(size);
        let image = |who: &str| self.work.join(format!("{label}-{who}.img"));
        let (ours, theirs, floor, reference) = (image("ours"), image("theirs"), image("floor"), image("reference"));
        let map_path = self.work.join(format!("{label}-floor-map.json"));

        // The floor's definition: the non-zero blocks of a volume our mkfs makes
        // with the same options. Found once, untimed.
        progress!("  mkfs {label}: scanning an ocfs2-mkfs volume for the floor's blocks (untimed)");
        fresh_sparse_file(&reference, size)?;
        run_measured(&mkfs_cmd(&self.tools.mkfs, &reference))?;
        // In a child, not here: a process's peak RSS becomes the floor of every
        // later child's (see `Sample::rss_floor_kib`), and a 15 TiB map is megabytes.
        let summary = capture(Cmd::new(&self.tools.floor, &[&"scan", &reference, &map_path]))?;
        progress!("  mkfs {label}: floor: {}", summary.trim());
        self.floor.push(FloorMap { size: label.clone(), scan: summary.trim().into() });
        remove_image(&reference)?;

        let contenders = [
            Contender::new(Who::Ours, mkfs_cmd(&self.tools.mkfs, &ours))
                .with_scratch(Scratch::SparseFile(ours.clone(), size)),
            Contender::new(Who::Theirs, mkfs_cmd(&self.tools.mkfs_ocfs2, &theirs))
                .with_scratch(Scratch::SparseFile(theirs.clone(), size)),
            Contender::new(Who::Floor, Cmd::new(&self.tools.floor, &[&"write", &map_path, &floor]))
                .with_scratch(Scratch::SparseFile(floor.clone(), size)),
        ];
        self.measure("mkfs", &label, Cache::Fresh, &contenders)?;
        report_allocation(&[&ours, &theirs, &floor]);
        remove_image(&ours)?;
        remove_image(&floor)?;
        remove_if_present(&map_path)?;
        Ok(theirs)
    }

    /// check vs `fsck.ocfs2 -fn`, and `stat -t //global_bitmap`, on a mkfs.ocfs2 volume.
    fn volume_reads(&mut self, size: u64, image: &Path) -> io::Result<()> {
        let label = size_label(size);
        let t = &self.tools;
        let check = [
            Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"check", &"--no-progress", &image])),
            Contender::new(Who::Theirs, Cmd::new(&t.fsck_ocfs2, &[&"-fn", &image])),
        ];
        let stat = [
            Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"stat", &"-t", &image, &"//global_bitmap"])),
            debugfs(t, "stat -t //global_bitmap", image),
        ];
        self.read_only("check (fsck -fn)", &label, &check, &|| Ok(()))?;
        self.read_only("stat -t //global_bitmap", &label, &stat, &|| Ok(()))
    }

    /// logdump, `ls -l` of the 5000-entry indexed directory and rdump, on the
    /// kernel-written fixture.
    fn fixture_reads(&mut self) -> io::Result<()> {
        let image = self.work.join("X-max.img");
        let fixture = Path::new(FIXTURE);
        if !fixture.is_file() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("fixture {} missing", fixture.display())));
        }
        progress!("  decompressing {}", fixture.display());
        run_measured(&Cmd::new(&self.tools.zstd, &[&"-d", &"-q", &"-f", &fixture, &"-o", &image]))?;
        let label = format!("X-max ({})", size_label(std::fs::metadata(&image)?.len()));
        let t = &self.tools;

        // Ours defaults to the replay-order walk from s_start; `--raw` is the
        // linear scan of every journal block that debugfs.ocfs2 prints.
        let logdump = [
            Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"logdump", &"--raw", &image, &"0"])),
            debugfs(t, "logdump 0", &image),
        ];
        let ls = [
            Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"ls", &"-l", &image, &"/bigdir"])),
            debugfs(t, "ls -l /bigdir", &image),
        ];

        // debugfs.ocfs2 1.8.7's `rdump / DIR` fails ("File exists while making
        // directory DIR/") and still exits 0, so it dumps each top-level entry
        // from a command file instead: the same tree, one process.
        let (ours_out, theirs_out) = (self.work.join("rdump-ours"), self.work.join("rdump-theirs"));
        let script = self.work.join("rdump.debugfs");
        let lines: Vec<String> = top_level_names(&t.inspect, &image)?
            .iter()
            .map(|n| format!("rdump /{n} {}\n", theirs_out.display()))
            .collect();
        std::fs::write(&script, lines.concat())?;
        let rdump = [
            Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"rdump", &image, &"/", &ours_out]))
                .with_scratch(Scratch::EmptyDir(ours_out.clone())),
            Contender::new(Who::Theirs, Cmd::new(&t.debugfs_ocfs2, &[&"-f", &script, &image]).debugfs_style())
                .with_scratch(Scratch::EmptyDir(theirs_out.clone())),
        ];
        // debugfs.ocfs2 reports few failures, so the warm-up's two trees must at
        // least hold the same number of entries.
        let same_tree = || {
            let (a, b) = (count_entries(&ours_out)?, count_entries(&theirs_out)?);
            if a == b && a > 0 {
                Ok(())
            } else {
                Err(io::Error::other(format!("rdump trees differ: ours has {a} entries, debugfs.ocfs2's {b}")))
            }
        };

        self.read_only("logdump --raw 0", &label, &logdump, &|| Ok(()))?;
        self.read_only("ls -l /bigdir (5000 entries)", &label, &ls, &|| Ok(()))?;
        self.read_only("rdump /", &label, &rdump, &same_tree)?;
        self.mount_reads(&image, &label, &script, &theirs_out)?;
        for p in [&ours_out, &theirs_out, &script, &image] {
            remove_if_present(p)?;
        }
        Ok(())
    }
}

impl Harness {
    /// The same reads through an `ocfs2-fuse` mount of the fixture, against debugfs.ocfs2: the
    /// whole tree (`tar | cat`, beside the rdump row above), one 20 MiB file sequentially, and
    /// `ls -l` of the 5000-entry directory. Skipped, with a message, when ocfs2-fuse was not built
    /// or /dev/fuse cannot be opened (it needs root or fuse3's fusermount3).
    fn mount_reads(&mut self, image: &Path, label: &str, rdump_script: &Path, rdump_out: &Path) -> io::Result<()> {
        let fuse = match sibling_exe("ocfs2-fuse") {
            Ok(p) => p,
            Err(e) => {
                progress!("  skipping the mount rows: {e}");
                return Ok(());
            }
        };
        if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/fuse") {
            progress!("  skipping the mount rows: /dev/fuse: {e}");
            return Ok(());
        }
        let mnt = self.work.join("mnt");
        std::fs::create_dir_all(&mnt)?;
        let _mount = FuseMount::start(&fuse, image, &mnt)?;
        let t = &self.tools;
        let sh = |script: String| Cmd::new("sh", &[&"-c", &script]);
        let tree = [
            Contender::new(Who::Ours, sh(format!("tar -C '{}' -cf - . | cat >/dev/null", mnt.display()))),
            Contender::new(Who::Theirs, Cmd::new(&t.debugfs_ocfs2, &[&"-f", &rdump_script, &image]).debugfs_style())
                .with_scratch(Scratch::EmptyDir(rdump_out.to_path_buf())),
        ];
        let big = mnt.join("data/pat20m");
        let seq = [
            Contender::new(Who::Ours, Cmd::new("dd", &[&format!("if={}", big.display()), &"of=/dev/null", &"bs=1M"])),
            debugfs(t, "cat /data/pat20m", image),
        ];
        let ls = [
            Contender::new(Who::Ours, Cmd::new("ls", &[&"-l", &mnt.join("bigdir")])),
            debugfs(t, "ls -l /bigdir", image),
        ];
        self.read_only("mount: tar of the tree", label, &tree, &|| Ok(()))?;
        self.read_only("mount: read 20 MiB file", label, &seq, &|| Ok(()))?;
        self.read_only("mount: ls -l /bigdir", label, &ls, &|| Ok(()))
    }
}

/// A running `ocfs2-fuse -f`, unmounted (`fusermount3 -u`) and reaped on drop.
struct FuseMount {
    child: std::process::Child,
    mnt: PathBuf,
}

impl FuseMount {
    fn start(fuse: &Path, image: &Path, mnt: &Path) -> io::Result<FuseMount> {
        let child = Command::new(fuse).arg("-f").arg(image).arg(mnt).spawn()?;
        let m = FuseMount { child, mnt: mnt.canonicalize()? };
        let want = m.mnt.to_string_lossy().into_owned();
        let start = Instant::now();
        while !std::fs::read_to_string("/proc/self/mountinfo")?.lines().any(|l| l.split(' ').nth(4) == Some(&*want)) {
            if start.elapsed().as_secs() > 30 {
                return Err(io::Error::other(format!("ocfs2-fuse did not mount {want} in 30 s")));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(m)
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        let _ = Command::new("fusermount3").arg("-u").arg(&self.mnt).status();
        let _ = self.child.wait();
    }
}

fn mkfs_cmd(program: &Path, image: &Path) -> Cmd {
    let mut cmd = Cmd::new(program, &[]);
    cmd.args.extend(MKFS_OPTIONS.iter().map(Into::into));
    cmd.args.push(image.into());
    cmd
}

/// `debugfs.ocfs2 -R REQUEST IMAGE` as the "theirs" side.
fn debugfs(t: &Tools, request: &str, image: &Path) -> Contender {
    Contender::new(Who::Theirs, Cmd::new(&t.debugfs_ocfs2, &[&"-R", &request, &image]).debugfs_style())
}

/// Runs an untimed helper command and returns its stdout.
fn capture(cmd: Cmd) -> io::Result<String> {
    let out = Command::new(&cmd.program).args(&cmd.args).output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(io::Error::other(format!("{} failed: {}", cmd.display(), err.trim_end())));
    }
    String::from_utf8(out.stdout).map_err(io::Error::other)
}

/// The names in the image's root directory, `.` and `..` left out (untimed, via
/// `ocfs2-inspect --json ls`).
fn top_level_names(inspect: &Path, image: &Path) -> io::Result<Vec<String>> {
    let out = capture(Cmd::new(inspect, &[&"--json", &"ls", &image, &"/"]))?;
    let listing: serde_json::Value = serde_json::from_str(&out).map_err(io::Error::other)?;
    Ok(listing["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .filter(|n| *n != "." && *n != "..")
        .map(String::from)
        .collect())
}

/// Files, directories and links under `dir`, not counting `dir`; links are not followed.
fn count_entries(dir: &Path) -> io::Result<u64> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        n += 1;
        if entry.file_type()?.is_dir() {
            n += count_entries(&entry.path())?;
        }
    }
    Ok(n)
}

/// Removes an image, saying so: unlinking one that holds many scattered blocks
/// takes minutes on a filesystem mounted with `discard` (one discard per extent).
fn remove_image(path: &Path) -> io::Result<()> {
    if path.exists() {
        progress!("    removing {} (untimed)", path.display());
    }
    remove_if_present(path)
}

/// Tells what the images really occupy, which is what `space_needed` estimates.
fn report_allocation(images: &[&Path]) {
    for image in images {
        if let Ok(bytes) = ocfs2_benches::allocated_bytes(image) {
            progress!("  {} occupies {}", image.display(), human_bytes(bytes));
        }
    }
}

/// Disk space the run needs at its peak, for the largest size: the kept
/// mkfs.ocfs2 volume (it writes its journals in full: 1.1 GiB at 1 TiB, about
/// 1.5 GiB at 15 TiB) next to ours and the floor's (about 34 MiB per TiB each,
/// mostly group descriptors), the fixture and two rdump copies (about 200 MiB),
/// and a margin.
fn space_needed(sizes: &[u64]) -> u64 {
    const MIB: u64 = 1 << 20;
    let tib = sizes.iter().max().copied().unwrap_or(0).div_ceil(1 << 40);
    let theirs = 1100 * MIB + 48 * MIB * tib;
    let ours_and_floor = 2 * 40 * MIB * tib;
    theirs + ours_and_floor + 256 * MIB + 1024 * MIB
}

/// Median (min-max) in one unit picked from the median.
fn fmt_time(s: Stats) -> String {
    let (scale, unit, digits) = match s.median {
        m if m >= 1.0 => (1.0, "s", 2),
        m if m >= 1e-3 => (1e3, "ms", 1),
        _ => (1e6, "µs", 0),
    };
    let f = |v: f64| format!("{:.*}", digits, v * scale);
    if s.min == s.max {
        format!("{} {unit}", f(s.median))
    } else {
        format!("{} {unit} ({}–{})", f(s.median), f(s.min), f(s.max))
    }
}

fn table(measurements: &[Measurement]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).set_header([
        "operation",
        "size",
        "cache",
        "ours median (min–max)",
        "theirs median (min–max)",
        "theirs/ours",
        "floor median (min–max)",
        "peak RSS ours",
        "peak RSS theirs",
    ]);
    for m in measurements {
        let (ours, theirs, floor) = (m.stats(Who::Ours), m.stats(Who::Theirs), m.stats(Who::Floor));
        let time = |s: Option<Stats>| s.map(fmt_time).unwrap_or_default();
        let rss = |s: Option<Stats>| {
            s.map(|s| {
                let bound = if s.rss_upper_bound_only { "≤ " } else { "" };
                format!("{bound}{}", human_bytes(s.max_rss_kib * 1024))
            })
            .unwrap_or_default()
        };
        let ratio = match (ours, theirs) {
            (Some(o), Some(t)) if o.median > 0.0 => format!("{:.2}x", t.median / o.median),
            _ => String::new(),
        };
        table.add_row([
            m.operation.clone(),
            m.size.clone(),
            m.cache.label().into(),
            time(ours),
            time(theirs),
            ratio,
            time(floor),
            rss(ours),
            rss(theirs),
        ]);
    }
    for col in 3..9 {
        if let Some(c) = table.column_mut(col) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn main() -> Res<()> {
    started();
    let mut args = Args::parse();
    if args.quick {
        args.runs = 1;
        args.sizes = vec![1 << 40];
    }
    if args.sizes.iter().any(|&s| s == 0 || s % BLOCK != 0) {
        return Err("every size must be a non-zero multiple of 4 KiB".into());
    }
    let tools = Tools::find()?;
    if args.cold {
        // Fail now rather than after minutes of warm runs.
        drop_caches()?;
    }

    let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let need = space_needed(&args.sizes);
    let free = free_bytes(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    if free < need {
        return Err(format!(
            "{} has {} free; this run needs about {} (use --dir elsewhere, or smaller --sizes)",
            base.display(),
            human_bytes(free),
            human_bytes(need)
        )
        .into());
    }
    // Everything goes in a directory of our own, removed when this returns.
    let work = tempfile::Builder::new().prefix("ocfs2-sbs-").tempdir_in(&base)?;
    fair_anchor(&tools, work.path())?;
    progress!("working in {} ({} free, about {} needed)", work.path().display(), human_bytes(free), human_bytes(need));

    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let loadavg_at_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_string();
    let mut h = Harness {
        runs: args.runs,
        cold: args.cold,
        work: work.path().to_path_buf(),
        tools,
        floor: Vec::new(),
        measurements: Vec::new(),
    };
    for &size in &args.sizes {
        progress!("{} volume:", size_label(size));
        let theirs = h.mkfs(size)?;
        h.volume_reads(size, &theirs)?;
        remove_image(&theirs)?;
    }
    progress!("kernel-written fixture:");
    h.fixture_reads()?;

    println!("{}", table(&h.measurements));
    println!(
        "{} run(s) each; theirs = mkfs.ocfs2, fsck.ocfs2 -fn, debugfs.ocfs2; load average at start: {loadavg_at_start}",
        args.runs
    );
    if let Some(path) = &args.json {
        let report = Report {
            started_unix,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string(),
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            loadavg_at_start,
            runs: args.runs,
            cold: args.cold,
            floor: h.floor,
            measurements: h.measurements,
        };
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        progress!("raw samples written to {}", path.display());
    }
    Ok(())
}
