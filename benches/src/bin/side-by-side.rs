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
#![forbid(unsafe_code)]

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use comfy_table::{presets, CellAlignment, Table};
use ocfs2_benches::{
    drop_caches, fill_file_data, free_bytes, fresh_sparse_file, human_bytes, parse_size, remove_if_present,
    run_measured, sibling_exe, size_label, sync_all, Cmd, Sample, Stats, TreeBytes, TreeEntry, TreeManifest, BLOCK,
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
    /// Time only these rows (on the fixture; no mkfs sizes)
    #[arg(long, value_enum, conflicts_with = "sizes")]
    only: Option<Only>,
}

/// Rows `--only` times by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    /// E01: rdump of the fixture through an `ewfacquire` image against rdump of the raw image (issue #17)
    E01,
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
    /// What the table cannot say: why a row has no floor or no ocfs2-tools
    /// side, what "theirs" is when it is not ocfs2-tools, the bytes each side wrote.
    notes: Vec<String>,
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

/// One read-only comparison: ours, the other side (ocfs2-tools, or a reference
/// of ours), and the floor when one exists.
struct Row<'a> {
    operation: &'a str,
    size: &'a str,
    contenders: Vec<Contender>,
    floor: Option<Contender>,
    /// The floor is timed only with a cold cache (a warm one would be a memory copy).
    floor_cold_only: bool,
    notes: Vec<String>,
}

impl<'a> Row<'a> {
    fn new(operation: &'a str, size: &'a str, contenders: Vec<Contender>) -> Self {
        Row { operation, size, contenders, floor: None, floor_cold_only: false, notes: Vec::new() }
    }

    fn floor(mut self, floor: Contender, cold_only: bool) -> Self {
        self.floor = Some(floor);
        self.floor_cold_only = cold_only;
        self
    }

    /// A row without a floor says why.
    fn no_floor(self, why: &str) -> Self {
        self.note(format!("floor: none: {why}"))
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
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
    fn measure(
        &mut self,
        operation: &str,
        size: &str,
        cache: Cache,
        contenders: &[&Contender],
        notes: &[String],
    ) -> io::Result<()> {
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
        self.measurements.push(Measurement {
            operation: operation.into(),
            size: size.into(),
            cache,
            series,
            notes: notes.to_vec(),
        });
        Ok(())
    }

    /// A read-only comparison: one untimed run of each contender (it fills the
    /// page cache and proves the command works), `check_outputs` on what those
    /// runs left behind, then the warm runs and, with `--cold`, the cold ones.
    fn read_only(&mut self, row: &Row, check_outputs: &dyn Fn() -> io::Result<()>) -> io::Result<()> {
        progress!("  {} {}: untimed warm-up", row.operation, row.size);
        let all: Vec<&Contender> = row.contenders.iter().chain(&row.floor).collect();
        for c in &all {
            c.scratch.prepare()?;
            run_measured(&c.cmd)?;
        }
        check_outputs()?;
        let warm: Vec<&Contender> = if row.floor_cold_only { row.contenders.iter().collect() } else { all.clone() };
        let mut warm_notes = row.notes.clone();
        if row.floor_cold_only {
            warm_notes.push("floor: cold only (warm, its reads would be copies from the page cache)".into());
        }
        self.measure(row.operation, row.size, Cache::Warm, &warm, &warm_notes)?;
        if self.cold {
            self.measure(row.operation, row.size, Cache::Cold, &all, &row.notes)?;
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
        self.measure("mkfs", &label, Cache::Fresh, &contenders.iter().collect::<Vec<_>>(), &[])?;
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
        // The check's floor: the byte ranges the library's check reads, found
        // once untimed, read back with parallel preads and nothing else.
        let map = self.work.join(format!("{label}-check-reads.json"));
        let summary = capture(Cmd::new(&t.floor, &[&"scan-check", &image, &map]))?;
        progress!("  check {label}: floor: {}", summary.trim());
        let check = Row::new(
            "check (fsck -fn)",
            &label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"check", &"--no-progress", &image])),
                Contender::new(Who::Theirs, Cmd::new(&t.fsck_ocfs2, &[&"-fn", &image])),
            ],
        )
        .floor(floor_read(t, &map, image, READ_THREADS), true)
        .note(format!("floor: {} (the ranges check reads), {READ_THREADS} threads of pread", summary.trim()));
        let stat = Row::new(
            "stat -t //global_bitmap",
            &label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"stat", &"-t", &image, &"//global_bitmap"])),
                debugfs(t, "stat -t //global_bitmap", image),
            ],
        )
        .no_floor(
            "not defined by issue #21; its cold reads are a subset of check's (the global bitmap's group \
             descriptors), and warm it is bound by formatting one line per group",
        );
        self.read_only(&check, &|| Ok(()))?;
        self.read_only(&stat, &|| Ok(()))?;
        remove_if_present(&map)
    }

    /// logdump, `ls -l` of the 5000-entry indexed directory, rdump (into the work
    /// directory's disk and into tmpfs), the mount, Python, E01 and bodyfile rows,
    /// on the kernel-written fixture; then the replay rows on R-4k and R-1k.
    fn fixture_reads(&mut self) -> io::Result<()> {
        let (image, label) = self.fixture()?;
        let t = &self.tools;

        // Ours defaults to the replay-order walk from s_start; `--raw` is the
        // linear scan of every journal block that debugfs.ocfs2 prints.
        let journal_map = self.work.join("X-max-journal.json");
        let summary = capture(Cmd::new(&t.floor, &[&"scan-journal", &image, &journal_map]))?;
        let logdump = Row::new(
            "logdump --raw 0",
            &label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"logdump", &"--raw", &image, &"0"])),
                debugfs(t, "logdump 0", &image),
            ],
        )
        .floor(floor_read(t, &journal_map, &image, 1), false)
        .note(format!("floor: one sequential read of {}", summary.trim()));
        let ls = Row::new(
            "ls -l /bigdir (5000 entries)",
            &label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"ls", &"-l", &image, &"/bigdir"])),
                debugfs(t, "ls -l /bigdir", &image),
            ],
        )
        .no_floor("not defined by issue #21 (the directory's blocks and 5,000 scattered inodes)");
        self.read_only(&logdump, &|| Ok(()))?;
        self.read_only(&ls, &|| Ok(()))?;

        // rdump into the work directory (the disk under --dir), then into tmpfs,
        // where no disk is timed. The first tree also gives the floor's manifest.
        let names = top_level_names(&self.tools.inspect, &image)?;
        let manifest = self.work.join("rdump-tree.json");
        let disk_script = self.rdump(&image, &label, &names, &self.work.clone(), "disk", &manifest)?;
        let tmpfs = tmpfs_dir()?;
        match &tmpfs {
            Some(dir) => {
                self.rdump(&image, &label, &names, dir.path(), "tmpfs", &manifest)?;
            }
            None => progress!("  skipping rdump into tmpfs: no /dev/shm"),
        }
        let sink = tmpfs.as_ref().map_or(self.work.clone(), |d| d.path().to_path_buf());
        self.mount_reads(&image, &label, &disk_script, &self.work.join("rdump-theirs"))?;
        self.python_reads(&image, &label, &sink)?;
        self.ewf_reads(&image, &label, &sink)?;
        self.bodyfile(&image, &label, &manifest)?;
        for p in [&manifest, &journal_map, &disk_script, &image] {
            remove_if_present(p)?;
        }
        self.replay_reads()
    }

    /// The E01 row alone (`--only e01`), into tmpfs where there is one.
    fn e01_only(&mut self) -> io::Result<()> {
        let (image, label) = self.fixture()?;
        let tmpfs = tmpfs_dir()?;
        let sink = tmpfs.as_ref().map_or(self.work.clone(), |d| d.path().to_path_buf());
        self.ewf_reads(&image, &label, &sink)?;
        remove_if_present(&image)
    }

    /// The kernel-written fixture decompressed into the work directory, and its row label.
    fn fixture(&self) -> io::Result<(PathBuf, String)> {
        let image = self.decompress(FIXTURE, "X-max.img")?;
        let label = format!("X-max ({})", size_label(std::fs::metadata(&image)?.len()));
        Ok((image, label))
    }

    /// Decompresses a `.zst` fixture into the work directory (untimed).
    fn decompress(&self, fixture: &str, name: &str) -> io::Result<PathBuf> {
        let image = self.work.join(name);
        let fixture = Path::new(fixture);
        if !fixture.is_file() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("fixture {} missing", fixture.display())));
        }
        progress!("  decompressing {}", fixture.display());
        run_measured(&Cmd::new(&self.tools.zstd, &[&"-d", &"-q", &"-f", &fixture, &"-o", &image]))?;
        Ok(image)
    }

    /// `rdump /` into `dir` ("disk" or "tmpfs"): ours, debugfs.ocfs2 and the
    /// floor, which writes the tree of ours from memory (its manifest is taken
    /// from the first target's warm-up). Notes the bytes each side wrote.
    /// Returns debugfs.ocfs2's command file (for the mount rows).
    fn rdump(
        &mut self,
        image: &Path,
        label: &str,
        names: &[String],
        dir: &Path,
        target: &str,
        manifest: &Path,
    ) -> io::Result<PathBuf> {
        let t = &self.tools;
        let (ours_out, theirs_out, floor_out) =
            (dir.join("rdump-ours"), dir.join("rdump-theirs"), dir.join("rdump-floor"));
        // debugfs.ocfs2 1.8.7's `rdump / DIR` fails ("File exists while making
        // directory DIR/") and still exits 0, so it dumps each top-level entry
        // from a command file instead: the same tree, one process.
        let script = self.work.join(format!("rdump-{target}.debugfs"));
        let lines: Vec<String> = names.iter().map(|n| format!("rdump /{n} {}\n", theirs_out.display())).collect();
        std::fs::write(&script, lines.concat())?;
        if !manifest.exists() {
            // The floor needs our tree's shape before its own warm-up.
            Scratch::EmptyDir(ours_out.clone()).prepare()?;
            run_measured(&Cmd::new(&t.inspect, &[&"rdump", &image, &"/", &ours_out]))?;
            capture(Cmd::new(&t.floor, &[&"scan-tree", &ours_out, &manifest]))?;
        }
        let operation = format!("rdump / (into {target})");
        let row = Row::new(
            &operation,
            label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"rdump", &image, &"/", &ours_out]))
                    .with_scratch(Scratch::EmptyDir(ours_out.clone())),
                Contender::new(Who::Theirs, Cmd::new(&t.debugfs_ocfs2, &[&"-f", &script, &image]).debugfs_style())
                    .with_scratch(Scratch::EmptyDir(theirs_out.clone())),
            ],
        )
        .floor(
            Contender::new(Who::Floor, Cmd::new(&t.floor, &[&"write-tree", &manifest, &floor_out]))
                .with_scratch(Scratch::EmptyDir(floor_out.clone())),
            false,
        )
        .note("floor: our tree written from memory (directories, links, files of the same sizes and data runs)");
        // debugfs.ocfs2 reports few failures, so the warm-up's two trees must at
        // least hold the same number of entries; what each wrote goes in the notes.
        let written = std::cell::RefCell::new(Vec::new());
        let same_tree = || {
            let (a, b) = (tree_bytes(&ours_out)?, tree_bytes(&theirs_out)?);
            if a.entries != b.entries || a.entries == 0 {
                return Err(io::Error::other(format!(
                    "rdump trees differ: ours has {} entries, debugfs.ocfs2's {}",
                    a.entries, b.entries
                )));
            }
            let f = tree_bytes(&floor_out)?;
            for (who, b) in [("ours", a), ("debugfs.ocfs2", b), ("floor", f)] {
                written.borrow_mut().push(format!(
                    "bytes written, {who}: {} of data in files of {} ({} allocated)",
                    human_bytes(b.data),
                    human_bytes(b.apparent),
                    human_bytes(b.allocated)
                ));
            }
            Ok(())
        };
        let first = self.measurements.len();
        self.read_only(&row, &same_tree)?;
        for m in &mut self.measurements[first..] {
            m.notes.extend(written.borrow().iter().cloned());
        }
        for p in [&ours_out, &theirs_out, &floor_out] {
            remove_if_present(p)?;
        }
        Ok(script)
    }

    /// The same reads through an `ocfs2-fuse` mount of the fixture, against debugfs.ocfs2: the
    /// whole tree (`tar | cat`, beside the rdump rows above), one 20 MiB file sequentially, and
    /// `ls -l` of the 5000-entry directory. Skipped, with a message, when ocfs2-fuse was not built
    /// or /dev/fuse cannot be opened (it needs root or fuse3's fusermount3).
    fn mount_reads(&mut self, image: &Path, label: &str, rdump_script: &Path, rdump_out: &Path) -> io::Result<()> {
        let fuse = match sibling_exe("ocfs2-fuse") {
            Ok(p) => p,
            Err(e) => return self.skipped("mount: every row", label, &e.to_string()),
        };
        if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/fuse") {
            return self.skipped("mount: every row", label, &format!("/dev/fuse: {e}"));
        }
        let mnt = self.work.join("mnt");
        std::fs::create_dir_all(&mnt)?;
        let _mount = FuseMount::start(&fuse, image, &mnt)?;
        let t = &self.tools;
        let sh = |script: String| Cmd::new("sh", &[&"-c", &script]);
        let tree = Row::new(
            "mount: tar of the tree",
            label,
            vec![
                Contender::new(Who::Ours, sh(format!("tar -C '{}' -cf - . | cat >/dev/null", mnt.display()))),
                Contender::new(Who::Theirs, Cmd::new(&t.debugfs_ocfs2, &[&"-f", &rdump_script, &image]).debugfs_style())
                    .with_scratch(Scratch::EmptyDir(rdump_out.to_path_buf())),
            ],
        )
        .note("theirs: debugfs.ocfs2's rdump of the tree into the disk; ours reads it and writes nothing: compare with the rdump rows")
        .no_floor("reading the tree's files from the raw image is the rdump rows' work without the writes; not measured apart");
        let big = mnt.join("data/pat20m");
        let seq = Row::new(
            "mount: read 20 MiB file",
            label,
            vec![
                Contender::new(
                    Who::Ours,
                    Cmd::new("dd", &[&format!("if={}", big.display()), &"of=/dev/null", &"bs=1M"]),
                ),
                debugfs(t, "cat /data/pat20m", image),
            ],
        )
        .no_floor("the file's 20 MiB read from the image would be one sequential read; not measured apart");
        let ls = Row::new(
            "mount: ls -l /bigdir",
            label,
            vec![
                Contender::new(Who::Ours, Cmd::new("ls", &[&"-l", &mnt.join("bigdir")])),
                debugfs(t, "ls -l /bigdir", image),
            ],
        )
        .no_floor("as for ls -l /bigdir");
        self.read_only(&tree, &|| Ok(()))?;
        let first = self.measurements.len();
        self.read_only(&seq, &|| Ok(()))?;
        // The sequential rate, which is what a reader of a mount wants to know.
        for m in &mut self.measurements[first..] {
            let rate = |who| m.stats(who).map(|s| 20.0 * 1.048576 / s.median).unwrap_or(0.0);
            let note = format!(
                "sequential rate: ours {:.0} MB/s, debugfs.ocfs2 cat {:.0} MB/s",
                rate(Who::Ours),
                rate(Who::Theirs)
            );
            m.notes.push(note);
        }
        self.read_only(&ls, &|| Ok(()))
    }

    /// A row that could not run: an empty measurement that says why, so the
    /// table shows it and the run goes on.
    fn skipped(&mut self, operation: &str, size: &str, why: &str) -> io::Result<()> {
        progress!("  skipping {operation}: {why}");
        self.measurements.push(Measurement {
            operation: operation.into(),
            size: size.into(),
            cache: Cache::Warm,
            series: Vec::new(),
            notes: vec![format!("not run: {why}")],
        });
        Ok(())
    }

    /// Python: every regular file read through the `ocfs2` package
    /// (`benches/python-read.py --child`), against our rdump of the same tree into `sink`.
    fn python_reads(&mut self, image: &Path, label: &str, sink: &Path) -> io::Result<()> {
        const OP: &str = "python: read every file";
        let Some(python) = python_with_ocfs2() else {
            let why = "no Python with the `ocfs2` package (ocfs2-py/ci.sh builds target/py-venv; or set OCFS2_PYTHON)";
            return self.skipped(OP, label, why);
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python-read.py");
        let out = sink.join("rdump-python-ref");
        let row = Row::new(
            OP,
            label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&python, &[&script, &"--child", &image])),
                Contender::new(Who::Theirs, Cmd::new(&self.tools.inspect, &[&"rdump", &image, &"/", &out]))
                    .with_scratch(Scratch::EmptyDir(out.clone())),
            ],
        )
        .note(format!("ours: {}; theirs: our rdump of the same tree into {}", python.display(), sink.display()))
        .no_floor("the rdump floor is the reference's; reading without writing has none measured apart");
        self.read_only(&row, &|| Ok(()))?;
        remove_if_present(&out)
    }

    /// E01: our rdump of the fixture through an `ewfacquire` image (zlib
    /// chunks, `deflate:fast`) against the same rdump of the raw image, both into `sink`.
    /// Both read a copy of the fixture whose file data is hex text
    /// ([`fill_file_data`]): the fixture's own patterns deflate to almost
    /// nothing, which would leave inflating out of the comparison.
    fn ewf_reads(&mut self, image: &Path, label: &str, sink: &Path) -> io::Result<()> {
        const OP: &str = "E01: rdump / (theirs: raw image)";
        let ewfacquire = match in_path("ewfacquire") {
            Ok(p) => p,
            Err(e) => return self.skipped(OP, label, &format!("{e} (Debian's ewf-tools)")),
        };
        let target = self.work.join("X-max");
        let filled = self.work.join("X-max-hex.img");
        progress!("  file data replaced by hex text, then ewfacquire (untimed)");
        std::fs::copy(image, &filled)?;
        let data = fill_file_data(&filled)?;
        capture(Cmd::new(
            &ewfacquire,
            &[&"-u", &"-q", &"-c", &"deflate:fast", &"-S", &"1GiB", &"-d", &"sha1", &"-t", &target, &filled],
        ))?;
        let e01 = target.with_extension("E01");
        let (a, b) = (sink.join("rdump-e01"), sink.join("rdump-raw"));
        let t = &self.tools;
        let row = Row::new(
            OP,
            label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"rdump", &e01, &"/", &a]))
                    .with_scratch(Scratch::EmptyDir(a.clone())),
                Contender::new(Who::Theirs, Cmd::new(&t.inspect, &[&"rdump", &filled, &"/", &b]))
                    .with_scratch(Scratch::EmptyDir(b.clone())),
            ],
        )
        .note(format!(
            "both into {}; {} of file data as hex text; E01 size {}",
            sink.display(),
            human_bytes(data),
            human_bytes(std::fs::metadata(&e01)?.len())
        ))
        .no_floor("the raw image's rdump is the reference (issue #17: at most 2x)");
        self.read_only(&row, &|| Ok(()))?;
        for p in [&a, &b, &e01, &filled] {
            remove_if_present(p)?;
        }
        Ok(())
    }

    /// bodyfile of the whole tree against our `ls -l` of every directory of the
    /// same tree in one process (`ocfs2-inspect -f`).
    fn bodyfile(&mut self, image: &Path, label: &str, manifest: &Path) -> io::Result<()> {
        let dirs: Vec<String> = std::iter::once("/".to_string())
            .chain(TreeManifest::load(manifest)?.entries.iter().filter_map(|e| match e {
                TreeEntry::Dir(p) => Some(format!("/{}", p.display())),
                _ => None,
            }))
            .collect();
        if let Some(odd) = dirs.iter().find(|d| d.contains(|c: char| c.is_whitespace() || c == '"')) {
            return self.skipped("bodyfile", label, &format!("directory {odd:?} cannot be named in a command file"));
        }
        let script = self.work.join("walk.cmds");
        std::fs::write(&script, dirs.iter().map(|d| format!("ls -l {d}\n")).collect::<String>())?;
        let t = &self.tools;
        let row = Row::new(
            "bodyfile / (theirs: our ls -l walk)",
            label,
            vec![
                Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"bodyfile", &image, &"/"])),
                Contender::new(Who::Theirs, Cmd::new(&t.inspect, &[&"-n", &"-f", &script, &image])),
            ],
        )
        .note(format!("theirs: `ocfs2-inspect -f` with `ls -l` of each of the {} directories", dirs.len()))
        .no_floor("the ls -l walk is the reference (issue #17: at most 1.5x)");
        self.read_only(&row, &|| Ok(()))?;
        remove_if_present(&script)
    }

    /// `--replay` on the crashed fixtures R-4k and R-1k (`stats`: open, replay
    /// in memory, print the superblock), against one sequential read of the
    /// journal blocks the replay reads. ocfs2-tools has no read-only replay.
    fn replay_reads(&mut self) -> io::Result<()> {
        for name in ["R-4k", "R-1k"] {
            let fixture = format!("{}/../fixtures/{name}.img.zst", env!("CARGO_MANIFEST_DIR"));
            let image = self.decompress(&fixture, &format!("{name}.img"))?;
            let map = self.work.join(format!("{name}-replayed.json"));
            let summary = capture(Cmd::new(&self.tools.floor, &[&"scan-journal", &"--replayed", &image, &map]))?;
            let label = format!("{name} ({})", size_label(std::fs::metadata(&image)?.len()));
            let t = &self.tools;
            let row = Row::new(
                "--replay stats",
                &label,
                vec![Contender::new(Who::Ours, Cmd::new(&t.inspect, &[&"--replay", &"stats", &image]))],
            )
            .floor(floor_read(t, &map, &image, 1), false)
            .note(format!("floor: one sequential read of the {}", summary.trim()))
            .note("theirs: none: ocfs2-tools replays a journal only by writing the volume (mount, fsck.ocfs2 -y)");
            self.read_only(&row, &|| Ok(()))?;
            remove_if_present(&map)?;
            remove_if_present(&image)?;
        }
        Ok(())
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

/// What the tree under `dir` holds and occupies (links not followed).
fn tree_bytes(dir: &Path) -> io::Result<TreeBytes> {
    TreeManifest::scan(dir).map(|(_, bytes)| bytes)
}

/// Readers the check floor keeps in flight: enough to keep a virtio or SSD queue
/// busy, as the check's own prefetch hints do.
const READ_THREADS: usize = 16;

/// `floor read MAP IMAGE --threads N`: the read floors' timed step.
fn floor_read(t: &Tools, map: &Path, image: &Path, threads: usize) -> Contender {
    Contender::new(Who::Floor, Cmd::new(&t.floor, &[&"read", &map, &image, &"--threads", &threads.to_string()]))
}

/// A Python interpreter that imports the `ocfs2` package: `$OCFS2_PYTHON`, the
/// virtual environment `ocfs2-py/ci.sh` makes, or `python3`.
fn python_with_ocfs2() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py-venv/bin/python");
    std::env::var_os("OCFS2_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")])
        .find(|py| Command::new(py).args(["-c", "import ocfs2"]).output().is_ok_and(|o| o.status.success()))
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

/// A new directory in tmpfs (`/dev/shm`) for rdump targets, where no disk is
/// timed; `None` without one.
fn tmpfs_dir() -> io::Result<Option<tempfile::TempDir>> {
    let shm = Path::new("/dev/shm");
    Ok(if shm.is_dir() { Some(tempfile::Builder::new().prefix("ocfs2-sbs-").tempdir_in(shm)?) } else { None })
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
        "ours/floor",
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
        let ratio = |a: Option<Stats>, b: Option<Stats>| match (a, b) {
            (Some(a), Some(b)) if b.median > 0.0 => format!("{:.2}x", a.median / b.median),
            _ => String::new(),
        };
        table.add_row([
            m.operation.clone(),
            m.size.clone(),
            m.cache.label().into(),
            time(ours),
            time(theirs),
            ratio(theirs, ours),
            time(floor),
            ratio(ours, floor),
            rss(ours),
            rss(theirs),
        ]);
    }
    for col in 3..10 {
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
    let need = space_needed(if args.only.is_some() { &[] } else { &args.sizes });
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
    match args.only {
        Some(Only::E01) => {
            progress!("kernel-written fixture, E01 row only:");
            h.e01_only()?;
        }
        None => {
            for &size in &args.sizes {
                progress!("{} volume:", size_label(size));
                let theirs = h.mkfs(size)?;
                h.volume_reads(size, &theirs)?;
                remove_image(&theirs)?;
            }
            progress!("kernel-written fixture:");
            h.fixture_reads()?;
        }
    }

    println!("{}", table(&h.measurements));
    // A note shared by a row's warm and cold measurements is printed once.
    println!("\nNotes:");
    let mut printed = std::collections::HashSet::new();
    for m in &h.measurements {
        for n in &m.notes {
            if printed.insert((&m.operation, &m.size, n)) {
                println!("- {} {}: {n}", m.operation, m.size);
            }
        }
    }
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
