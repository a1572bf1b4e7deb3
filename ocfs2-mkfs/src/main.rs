//! `ocfs2-mkfs`: make an OCFS2 volume with mkfs.ocfs2's options, defaults and
//! layout. A thin CLI over [`ocfs2_format::mkfs`].
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use ocfs2_format::cluster::{self, NodeNum, Sampler};
use ocfs2_format::io::{BlockSink, FileSink};
use ocfs2_format::mkfs::{
    self, parse_c_uint, parse_size, valid_size, ClusterStack, FeatureLevel, FeatureRequest, FsType, MkfsOptions,
    Randomness, Target, BLOCK_SIZES, CLUSTER_SIZES,
};

#[derive(Parser, Debug)]
#[command(name = "ocfs2-mkfs", version, about = "Make an OCFS2 volume (mkfs.ocfs2 compatible)")]
struct Args {
    /// Block size: 512, 1K, 2K or 4K (rounded down to a power of two).
    #[arg(short = 'b', long = "block-size")]
    block_size: Option<String>,
    /// Cluster size: 4K to 1M (rounded down to a power of two).
    #[arg(short = 'C', long = "cluster-size")]
    cluster_size: Option<String>,
    /// Volume label (at most 63 bytes).
    #[arg(short = 'L', long)]
    label: Option<String>,
    /// Number of node slots (1-255).
    #[arg(short = 'N', long = "node-slots")]
    node_slots: Option<String>,
    /// Journal options: size=SIZE, (no)block32, (no)block64.
    #[arg(short = 'J', long = "journal-options")]
    journal: Vec<String>,
    /// Mount type: local or cluster.
    #[arg(short = 'M', long = "mount")]
    mount: Option<String>,
    /// Filesystem type: mail, datafiles or vmstore.
    #[arg(short = 'T')]
    fs_type: Option<String>,
    /// Volume UUID (32 hex digits, dashes allowed).
    #[arg(short = 'U')]
    uuid: Option<String>,
    /// Features to turn on or (with a "no" prefix) off; only the last counts.
    #[arg(long = "fs-features")]
    fs_features: Vec<String>,
    /// Feature level: default, max-compat or max-features.
    #[arg(long = "fs-feature-level")]
    level: Option<String>,
    /// Cluster stack: o2cb, pcmk or cman.
    #[arg(long = "cluster-stack")]
    cluster_stack: Option<String>,
    /// Cluster name.
    #[arg(long = "cluster-name")]
    cluster_name: Option<String>,
    /// o2cb global heartbeat.
    #[arg(long = "global-heartbeat")]
    global_heartbeat: bool,
    /// Deprecated: same as --fs-features=nobackup-super.
    #[arg(long = "no-backup-super")]
    no_backup_super: bool,
    /// Make a heartbeat-only device.
    #[arg(short = 'H', long = "heartbeat-device")]
    heartbeat_device: bool,
    /// Print the geometry and write nothing.
    #[arg(short = 'n', long = "dry-run")]
    dry_run: bool,
    /// Quiet.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Verbose.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Overwrite a device that holds a filesystem.
    #[arg(short = 'F', long)]
    force: bool,
    /// Also overwrite a volume whose heartbeat shows live nodes (dangerous).
    #[arg(long = "ignore-live-heartbeat")]
    ignore_live_heartbeat: bool,
    /// Non-interactive (accepted for compatibility; this tool never prompts).
    #[arg(short = 'x')]
    noninteractive: bool,
    /// Discard the device first (accepted; not done yet).
    #[arg(long)]
    discard: bool,
    /// Do not discard the device.
    #[arg(long)]
    nodiscard: bool,
    /// Seed for the random fields (generation, directory-hash seeds), for
    /// reproducible images together with -U and SOURCE_DATE_EPOCH.
    #[arg(long)]
    seed: Option<u64>,
    /// The device or image file.
    device: PathBuf,
    /// Use only this many blocks of the device.
    blocks: Option<String>,
}

fn main() -> ExitCode {
    if let Some(code) = ocfs2_docs::intercept(<Args as clap::CommandFactory>::command) {
        return code;
    }
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocfs2-mkfs: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res<T> = Result<T, String>;

fn size_in(s: &str, range: std::ops::RangeInclusive<u64>, what: &str) -> Res<u32> {
    let n = parse_size(s).map_err(|e| e.to_string())?;
    valid_size(n, range.clone())
        .ok_or_else(|| format!("specify a {what} between {} and {} in powers of 2", range.start(), range.end()))
}

fn options(a: &Args) -> Res<MkfsOptions> {
    let mut o = MkfsOptions {
        block_size: a.block_size.as_deref().map(|s| size_in(s, BLOCK_SIZES, "block size")).transpose()?,
        cluster_size: a.cluster_size.as_deref().map(|s| size_in(s, CLUSTER_SIZES, "cluster size")).transpose()?,
        label: a.label.clone().unwrap_or_default().into_bytes(),
        no_backup_super: a.no_backup_super,
        heartbeat_device: a.heartbeat_device,
        ..Default::default()
    };
    if let Some(n) = &a.node_slots {
        let n = parse_c_uint(n).filter(|n| (1..=255).contains(n)).ok_or("node slots must be 1 to 255")?;
        o.slots = Some(n as u16);
    }
    for j in &a.journal {
        for tok in j.split(',').filter(|t| !t.is_empty()) {
            let (neg, t) = tok.strip_prefix("no").map_or((false, tok), |r| (true, r));
            match t.split_once('=') {
                Some(("size", v)) if !neg => o.journal_size = Some(parse_size(v).map_err(|e| e.to_string())?),
                None if t == "block32" => o.journal64 = neg,
                None if t == "block64" => o.journal64 = !neg,
                _ => return Err(format!("bad journal option '{tok}' (use size=SIZE, [no]block32, [no]block64)")),
            }
        }
    }
    if let Some(m) = &a.mount {
        let m = m.to_ascii_lowercase();
        o.mount_local = Some(if m.starts_with("local") {
            true
        } else if m.starts_with("cluster") {
            false
        } else {
            return Err(format!("invalid mount type '{m}'"));
        });
    }
    if let Some(t) = &a.fs_type {
        o.fs_type = FsType::parse(t).map_err(|e| e.to_string())?;
    }
    if let Some(l) = &a.level {
        o.level = FeatureLevel::parse(l).map_err(|e| e.to_string())?;
    }
    if let Some(f) = a.fs_features.last() {
        o.features = FeatureRequest::parse(f).map_err(|e| e.to_string())?;
    }
    if a.cluster_stack.is_some() || a.cluster_name.is_some() || a.global_heartbeat {
        if o.mount_local == Some(true) {
            return Err("a local mount cannot have cluster stack options".into());
        }
        let stack = a.cluster_stack.clone().ok_or("missing --cluster-stack")?;
        let name = a.cluster_name.clone().ok_or("missing --cluster-name")?;
        o.stack = Some(ClusterStack { stack, name, global_heartbeat: a.global_heartbeat });
    }
    if let Some(b) = &a.blocks {
        o.blocks = Some(parse_c_uint(b).ok_or_else(|| format!("bad block count '{b}'"))?);
    }
    Ok(o)
}

fn parse_uuid(s: &str) -> Res<[u8; 16]> {
    let hex: String = s.chars().filter(|&c| c != '-').collect();
    let ok_shape = (s.len() == 32 && hex.len() == 32)
        || (s.len() == 36 && [8, 13, 18, 23].iter().all(|&i| s.as_bytes()[i] == b'-') && hex.len() == 32);
    if !ok_shape || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid UUID '{s}'"));
    }
    let mut u = [0u8; 16];
    for (i, b) in u.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| format!("invalid UUID '{s}'"))?;
    }
    Ok(u)
}

fn urandom(buf: &mut [u8]) -> Res<()> {
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).map_err(|e| format!("/dev/urandom: {e}"))
}

fn randomness(a: &Args) -> Res<Randomness> {
    let uuid = match &a.uuid {
        Some(u) => parse_uuid(u)?,
        None => {
            let mut u = [0u8; 16];
            urandom(&mut u)?;
            u[6] = (u[6] & 0x0f) | 0x40; // version 4, like uuid_generate
            u[8] = (u[8] & 0x3f) | 0x80;
            u
        }
    };
    let time = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s.trim().parse().map_err(|_| format!("bad SOURCE_DATE_EPOCH '{s}'"))?,
        Err(_) => SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    };
    let seed = match a.seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            urandom(&mut b)?;
            u64::from_le_bytes(b)
        }
    };
    Ok(Randomness::from_seed(seed, uuid, time))
}

/// Known signatures at fixed byte offsets: (offset, bytes, name).
const SIGNATURES: &[(usize, &[u8], &str)] = &[
    (1024, b"OCFSV2", "ocfs2"),
    (2048, b"OCFSV2", "ocfs2"),
    (4096, b"OCFSV2", "ocfs2"),
    (8192, b"OCFSV2", "ocfs2"),
    (1080, &[0x53, 0xef], "ext2/3/4"),
    (0, b"XFSB", "xfs"),
    (65600, b"_BHRfS_M", "btrfs"),
    (0, b"LUKS\xba\xbe", "LUKS"),
    (4086, b"SWAPSPACE2", "swap"),
    (32769, b"CD001", "iso9660"),
    (0x52, b"FAT32   ", "vfat"),
    (0x36, b"FAT1", "vfat"),
    (512, b"EFI PART", "GPT partition table"),
];

/// The filesystem signature the target carries, if any.
fn existing_signature(path: &Path) -> Res<Option<&'static str>> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = vec![0u8; 72 << 10];
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let buf = &buf[..got];
    Ok(SIGNATURES.iter().find(|(at, sig, _)| buf.get(*at..*at + sig.len()) == Some(*sig)).map(|(_, _, name)| *name))
}

/// The nodes heartbeating on the OCFS2 volume at `path` (the library's
/// two-sample test, read with O_DIRECT); none for a local-mount volume, which
/// does not heartbeat.
fn live_nodes(path: &Path) -> Res<Vec<NodeNum>> {
    let e = |e: ocfs2_format::Error| e.to_string();
    let opts = ocfs2_format::OpenOptions { access: ocfs2_format::io::Access::Direct, ..Default::default() };
    let vol = ocfs2_format::Volume::open_with(path, opts).map_err(e)?;
    if vol.superblock().has_incompat(ocfs2_format::layout::superblock::incompat::LOCAL_MOUNT) {
        return Ok(Vec::new());
    }
    cluster::live_nodes(&Sampler::of_volume(&vol, path, &opts, None).map_err(e)?).map_err(e)
}

/// The message for options that cannot be laid out on `target`: when a larger
/// target takes them, the smallest that does (to the MiB), else the error itself.
fn plan_error(opts: &MkfsOptions, target: &Target, e: ocfs2_format::Error) -> String {
    const MIB: u64 = 1 << 20;
    // Beyond 1 TiB a failure is not about the size.
    const LIMIT_MIB: u64 = 1 << 20;
    if opts.blocks.is_some() {
        return e.to_string(); // the size is the one asked for, not the target's
    }
    let fits = |mib: u64| {
        let t = Target { size: mib * MIB, ..*target };
        mkfs::plan(opts, &t).and_then(|p| mkfs::place(&p)).is_ok()
    };
    // `lo` MiB does not fit (the target, rounded down, did not); `hi` MiB does.
    let mut lo = target.size / MIB;
    let mut hi = (lo * 2).max(lo + 1);
    while !fits(hi) {
        if hi >= LIMIT_MIB {
            return e.to_string();
        }
        (lo, hi) = (hi, hi * 2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    format!("{} bytes is too small for these options: they need at least {} bytes ({hi} MiB)", target.size, hi * MIB)
}

fn run(a: &Args) -> Res<()> {
    let opts = options(a)?;
    if !a.quiet {
        eprintln!("ocfs2-mkfs {}", env!("CARGO_PKG_VERSION"));
    }
    let say = |s: &str| {
        if !a.quiet {
            print!("{s}");
            let _ = std::io::stdout().flush();
        }
    };
    let meta = std::fs::metadata(&a.device).map_err(|e| format!("{}: {e}", a.device.display()))?;
    let (size, sector_size) = if std::os::unix::fs::FileTypeExt::is_block_device(&meta.file_type()) {
        let src = ocfs2_format::io::DirectSource::open(&a.device).map_err(|e| e.to_string())?;
        (ocfs2_format::io::BlockSource::size(&src), src.logical_sector_size())
    } else {
        (meta.len(), 512)
    };
    let rnd = randomness(a)?;
    if a.uuid.is_some() && !a.quiet {
        println!("\nWARNING!!! OCFS2 uses the UUID to uniquely identify a file system.\nHaving two OCFS2 file systems with the same UUID could, in the least,\ncause erratic behavior, and if unlucky, cause file system damage.\nPlease choose the UUID with care.\n");
    }
    if a.dry_run {
        println!("Dry run");
        let p = mkfs::plan(&opts, &Target { size, sector_size }).map_err(|e| e.to_string())?;
        say(&p.report());
        return Ok(());
    }
    // Every argument and the size are checked before anything is said about the target.
    let target = Target { size, sector_size };
    let planned = mkfs::plan(&opts, &target).and_then(|p| Ok((mkfs::place(&p)?, p)));
    let (lay, p) = planned.map_err(|e| plan_error(&opts, &target, e))?;
    if let Some(fs) = existing_signature(&a.device)? {
        if !a.force {
            return Err(format!(
                "{} holds a{} {fs} filesystem; use -F to overwrite it",
                a.device.display(),
                if fs.starts_with(['a', 'e', 'i', 'o', 'u']) { "n" } else { "" }
            ));
        }
        if fs == "ocfs2" {
            println!("Overwriting existing ocfs2 partition.");
            let live = live_nodes(&a.device)?;
            if !live.is_empty() && !a.ignore_live_heartbeat {
                let live: Vec<String> = live.iter().map(NodeNum::to_string).collect();
                return Err(format!(
                    "the heartbeat of {} shows live nodes [{}]: the volume is in use; \
                     --ignore-live-heartbeat overrides this",
                    a.device.display(),
                    live.join(", ")
                ));
            }
        }
    }
    if let Some(s) = &opts.stack {
        say(&format!("Cluster stack: {}\nCluster name: {}\nStack Flags: {:#x}\n", s.stack, s.name, s.flags()));
    }
    say(&p.report());
    let mut sink = FileSink::open(&a.device).map_err(|e| e.to_string())?;
    if sink.size() < p.bytes() {
        return Err(format!("{} is smaller than the planned volume", a.device.display()));
    }
    say("Writing volume: ");
    // A percentage on stderr, only on a terminal, without -q, and only once the
    // write has taken more than a moment (small volumes finish without one).
    let bar = !a.quiet && std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let (mut last, mut shown) = (0u64, false);
    let mut progress = |done: u64, total: u64| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if bar && pct != last && (shown || started.elapsed() >= std::time::Duration::from_millis(500)) {
            last = pct;
            shown = true;
            eprint!("\r{pct:3}%");
        }
    };
    mkfs::write(&lay, &rnd, &mut sink, &mut progress).map_err(|e| e.to_string())?;
    if shown {
        eprint!("\r    \r");
    }
    say("done\n");
    if !lay.backups.is_empty() || p.backup_super {
        say(&format!("Backup superblocks: {} block(s)\n", lay.backups.len()));
    }
    say("ocfs2-mkfs successful\n\n");
    Ok(())
}
