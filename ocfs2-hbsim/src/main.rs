//! `ocfs2-hbsim`: simulated o2cb nodes heartbeating on an OCFS2 image, in the
//! kernel's on-disk format, for tests and demonstrations of `ocfs2-inspect hb
//! --watch`. Each node is a separate process; with several `--node` options the
//! simulator starts one child process per node.
//!
//! A node writes its slot every `--interval`, reads it back and checks it (the
//! kernel's own-slot check), and on SIGINT/SIGTERM or after `--count` beats writes
//! the final generation-0 block of a clean stop (unless `--crash`). SIGKILL
//! simulates a crash: the slot just stops changing.
//!
//! This tool WRITES to the image; it refuses block devices unless `--force`.
#![deny(unsafe_code)]

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use clap::Parser;
use ocfs2_format::cluster::heartbeat::{
    medium_sector_size, parse_duration, random_generation, Region, Writer, DEFAULT_DEAD_THRESHOLD, REGION_TIMEOUT_MS,
};
use ocfs2_format::cluster::{self, NodeNum};
use ocfs2_format::io::DirectSource;
use ocfs2_format::Volume;

/// Heartbeat like o2cb nodes on an OCFS2 image (writes the image).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The image (made by mkfs.ocfs2) whose heartbeat region to write.
    image: PathBuf,
    /// Node number to simulate (0..=254); repeat for several nodes, one process each.
    #[arg(long = "node", required = true)]
    nodes: Vec<u8>,
    /// Time between beats, e.g. `2s` (the kernel's) or `100ms`.
    #[arg(long, default_value = "2s", value_parser = duration)]
    interval: Duration,
    /// Slot size in bytes (default: the medium's logical sector size, 512 for images).
    #[arg(long)]
    sector_size: Option<u32>,
    /// Dead threshold to advertise in hb_dead_ms (threshold x 2000 ms).
    #[arg(long, default_value_t = DEFAULT_DEAD_THRESHOLD)]
    threshold: u32,
    /// Heartbeat generation (hex; default: random). Only with a single node.
    #[arg(long, value_parser = hex_u64)]
    generation: Option<u64>,
    /// Stop after this many beats.
    #[arg(long)]
    count: Option<u64>,
    /// At the end, exit without the final generation-0 block (a crash).
    #[arg(long)]
    crash: bool,
    /// Allow writing to a block device.
    #[arg(long)]
    force: bool,
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

fn hex_u64(s: &str) -> Result<u64, String> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    if let Some(code) = ocfs2_docs::intercept(<Args as clap::CommandFactory>::command) {
        return code;
    }
    let args = Args::parse();
    cluster::catch_interrupts();
    let result = if args.nodes.len() == 1 { run_node(&args, args.nodes[0]) } else { run_children(&args) };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocfs2-hbsim: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One child process per node; SIGINT/SIGTERM is passed on to them.
#[allow(unsafe_code)] // libc: signals
fn run_children(args: &Args) -> Result<(), String> {
    if args.generation.is_some() {
        return Err("--generation needs a single --node".into());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut children: Vec<Child> = Vec::new();
    for &n in &args.nodes {
        let mut c = Command::new(&exe);
        c.arg(&args.image).arg("--node").arg(n.to_string());
        c.arg("--interval").arg(format!("{}us", args.interval.as_micros()));
        c.arg("--threshold").arg(args.threshold.to_string());
        if let Some(s) = args.sector_size {
            c.arg("--sector-size").arg(s.to_string());
        }
        if let Some(k) = args.count {
            c.arg("--count").arg(k.to_string());
        }
        if args.crash {
            c.arg("--crash");
        }
        if args.force {
            c.arg("--force");
        }
        children.push(c.spawn().map_err(|e| format!("start node {n}: {e}"))?);
    }
    let mut failed = false;
    loop {
        if cluster::interrupted() {
            for c in &children {
                // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
                unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
            }
        }
        let mut running = 0;
        for c in &mut children {
            match c.try_wait() {
                Ok(Some(st)) => failed |= !st.success(),
                Ok(None) => running += 1,
                Err(_) => failed = true,
            }
        }
        if running == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if failed {
        Err("a node failed".into())
    } else {
        Ok(())
    }
}

fn run_node(args: &Args, node: u8) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(&args.image).map_err(|e| format!("{}: {e}", args.image.display()))?;
    if meta.file_type().is_block_device() && !args.force {
        return Err(format!("{}: a block device; pass --force to write heartbeats to it", args.image.display()));
    }
    let vol = Volume::open(&args.image).map_err(|e| format!("{}: {e}", args.image.display()))?;
    let sector = match args.sector_size {
        Some(s) => s,
        None => medium_sector_size(&args.image).map_err(|e| e.to_string())?,
    };
    let region = Region::locate(&vol, sector).map_err(|e| e.to_string())?;
    drop(vol);
    let file = std::fs::OpenOptions::new().write(true).open(&args.image).map_err(|e| e.to_string())?;
    let generation = match args.generation {
        Some(g) => g,
        None => random_generation().map_err(|e| e.to_string())?,
    };
    let dead_ms = args.threshold.saturating_mul(REGION_TIMEOUT_MS);
    let mut w = Writer::new(file, region, NodeNum::from(node), generation, dead_ms).map_err(|e| e.to_string())?;
    let check = DirectSource::open(&args.image).map_err(|e| e.to_string())?;
    // The generation as a decimal string, exact as `ocfs2-inspect hb --json` prints it:
    // JSON readers that hold numbers as doubles would round a 64-bit value.
    println!(
        "{}",
        serde_json::json!({
            "node": node, "generation": generation.to_string(), "pid": std::process::id(), "sector_size": sector
        })
    );
    let start = Instant::now();
    let mut beats = 0u64;
    while !cluster::interrupted() {
        w.beat().map_err(|e| e.to_string())?;
        beats += 1;
        if let Some(p) = w.check_own_slot(&check).map_err(|e| e.to_string())? {
            eprintln!("ocfs2-hbsim: node {node}: own slot check: {p:?}");
        }
        if args.count.is_some_and(|c| beats >= c) {
            break;
        }
        let Some(deadline) =
            u32::try_from(beats).ok().and_then(|b| args.interval.checked_mul(b)).and_then(|d| start.checked_add(d))
        else {
            break;
        };
        while !cluster::interrupted() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
        }
    }
    if !args.crash {
        w.stop().map_err(|e| e.to_string())?;
    }
    Ok(())
}
