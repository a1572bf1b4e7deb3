//! mkfs and check of a volume at the format's ceiling: 4 PiB with 1 MiB
//! clusters: 2^32 - 2 clusters (the most mkfs.ocfs2 and ours allow in a 32-bit
//! cluster count) in 133,153 global-bitmap groups, and 2^40 blocks (so a 64-bit
//! journal).
//!
//! No file on a host filesystem can be that large (ext4 stops at 16 TiB) and no
//! other tool can format or check it; the library can, through the sparse
//! in-memory block source, where only the blocks mkfs writes take memory. The
//! program formats the volume, checks it, walks the global bitmap as `stat -t`
//! does, and prints the time and peak memory of each step.
//!
//! `cargo run --release -p ocfs2-benches --bin ceiling [-- --json]`
#![deny(unsafe_code)]

use std::time::Instant;

use clap::Parser;
use ocfs2_format::io::MemSource;
use ocfs2_format::mkfs::{self, MkfsOptions, Randomness, Target};
use ocfs2_format::{alloc, check, OpenOptions, SystemFile, Volume};
use serde::Serialize;

/// Format and check a 4 PiB volume in memory.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Volume size in TiB (default: the ceiling, 4 PiB less two clusters).
    #[arg(long)]
    tib: Option<u64>,
}

/// One step's cost.
#[derive(Debug, Serialize)]
struct Step {
    step: &'static str,
    seconds: f64,
    /// Peak resident set of the whole process so far, MiB.
    peak_rss_mib: u64,
}

/// Peak resident set of this process so far, in MiB.
#[allow(unsafe_code)] // libc: getrusage
fn peak_rss_mib() -> u64 {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage struct.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    u64::try_from(ru.ru_maxrss).unwrap_or(0) / 1024
}

fn timed<T>(steps: &mut Vec<Step>, step: &'static str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    steps.push(Step { step, seconds: t.elapsed().as_secs_f64(), peak_rss_mib: peak_rss_mib() });
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    const CLUSTER: u64 = 1 << 20;
    let size = match args.tib {
        Some(t) => t << 40,
        None => (u64::from(u32::MAX) - 1) * CLUSTER,
    };
    let opts = MkfsOptions {
        block_size: Some(4096),
        cluster_size: Some(CLUSTER as u32),
        slots: Some(4),
        journal64: true,
        ..Default::default()
    };
    let mut steps = Vec::new();
    let lay = timed(&mut steps, "mkfs: plan and place", || -> Result<_, ocfs2_format::Error> {
        let plan = mkfs::plan(&opts, &Target { size, sector_size: 512 })?;
        mkfs::place(&plan)
    })?;
    let clusters = lay.plan.geometry.clusters;
    let mut src = MemSource::new(size);
    // Fixed random fields: every run formats the same volume.
    let rnd = Randomness::from_seed(1, [7; 16], 1_700_000_000);
    timed(&mut steps, "mkfs: write", || mkfs::write(&lay, &rnd, &mut src, &mut |_, _| {}))?;
    let resident = src.resident_bytes();
    let vol = Volume::from_source(Box::new(src), OpenOptions::default())?;
    let report = timed(&mut steps, "check", || check::check(&vol, &mut |_| {}))?;
    if !report.is_clean() {
        return Err(format!("check found {} problems: {:?}", report.errors(), report.findings).into());
    }
    let bitmap = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP)?)?;
    let groups = timed(&mut steps, "stat -t //global_bitmap (walk)", || alloc::allocator_groups(&vol, &bitmap))?;
    let groups: usize = groups.iter().map(Vec::len).sum();

    if args.json {
        let doc = serde_json::json!({
            "bytes": size,
            "clusters": clusters,
            "blocks": vol.geometry().blocks,
            "groups": groups,
            "written_bytes": resident,
            "steps": steps,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "volume: {size} bytes, {clusters} clusters of 1 MiB, {} blocks of 4 KiB, {groups} bitmap groups; \
         mkfs wrote {} MiB",
        vol.geometry().blocks,
        resident >> 20
    );
    let mut t = comfy_table::Table::new();
    t.set_header(["step", "seconds", "peak RSS (MiB)"]);
    for s in &steps {
        t.add_row([s.step.to_string(), format!("{:.2}", s.seconds), s.peak_rss_mib.to_string()]);
    }
    println!("{t}");
    Ok(())
}
