//! `ocfs2-inspect`: a strictly read-only, debugfs.ocfs2-like inspector for OCFS2
//! images and devices. Every call has the shape
//! `ocfs2-inspect [--json] <COMMAND> [OPTIONS] <IMAGE> [ARGS...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ocfs2_format::io::Access;
use ocfs2_format::{OpenOptions, Volume};

mod cmd;
mod render;

/// Read-only inspector for OCFS2 volumes (images, `.zst` images, block devices).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Print one JSON document on stdout instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Read with O_DIRECT even from a regular file (devices always use it).
    #[arg(long, global = true)]
    direct: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Superblock facts (debugfs `stats`).
    Stats {
        /// Image or device.
        image: PathBuf,
        /// Read backup superblock N (1-based) instead of the primary.
        #[arg(long, short = 's')]
        backup: Option<usize>,
    },
    /// List a directory (debugfs `ls`).
    Ls {
        /// Image or device.
        image: PathBuf,
        /// Directory: `/path`, `//system_dir_path` or `<blkno>`.
        #[arg(default_value = "/")]
        spec: String,
        /// Long listing: inode, mode, links, owner, size, mtime.
        #[arg(short = 'l')]
        long: bool,
    },
    /// Show an inode (debugfs `stat`).
    Stat {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
    },
    /// Show every system file (debugfs `stat_sysdir`).
    #[command(name = "stat_sysdir", alias = "stat-sysdir")]
    StatSysdir {
        /// Image or device.
        image: PathBuf,
    },
    /// Write a file's contents to stdout (debugfs `cat`).
    Cat {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
    },
    /// Copy a file out of the volume (debugfs `dump`).
    Dump {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
        /// Output file (created; never the image).
        out: PathBuf,
        /// Preserve mode, owner and times.
        #[arg(short = 'p')]
        preserve: bool,
    },
    /// Copy a directory tree out of the volume (debugfs `rdump`).
    Rdump {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_dir_path` or `<blkno>`.
        spec: String,
        /// Existing directory to copy into.
        outdir: PathBuf,
        /// Print each path as it is written.
        #[arg(short = 'v')]
        verbose: bool,
    },
    /// Map a logical block of a file to its physical block (debugfs `bmap`).
    Bmap {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
        /// Logical block number.
        lblk: u64,
    },
    /// A slot's journal in replay order, or every block with `--raw` (debugfs
    /// `logdump`).
    Logdump {
        /// Image or device.
        image: PathBuf,
        /// Node slot.
        slot: u16,
        /// Scan every block of the journal linearly, like debugfs.ocfs2.
        #[arg(long)]
        raw: bool,
    },
    /// Find the paths naming an inode (debugfs `findpath`).
    Findpath {
        /// Image or device.
        image: PathBuf,
        /// Inode number, bare or as `<blkno>`.
        inode: String,
    },
    /// Heartbeat, slot map, mounted and o2cb configuration commands.
    #[command(flatten)]
    Cluster(cmd::cluster::ClusterCommand),
}

impl Command {
    fn image(&self) -> Option<&PathBuf> {
        match self {
            Command::Stats { image, .. }
            | Command::Ls { image, .. }
            | Command::Stat { image, .. }
            | Command::StatSysdir { image }
            | Command::Cat { image, .. }
            | Command::Dump { image, .. }
            | Command::Rdump { image, .. }
            | Command::Bmap { image, .. }
            | Command::Findpath { image, .. }
            | Command::Logdump { image, .. } => Some(image),
            Command::Cluster(_) => None,
        }
    }
}

fn run(cli: Cli) -> Result<(), cmd::CmdError> {
    let access = if cli.direct { Access::Direct } else { Access::Auto };
    let out = render::Out::new(cli.json);
    let command = match cli.command {
        // hb, slotmap, mounted and config open what they need themselves.
        Command::Cluster(c) => return cmd::cluster::run(c, &out, access),
        other => other,
    };
    let backup = match &command {
        Command::Stats { backup, .. } => *backup,
        _ => None,
    };
    let Some(image) = command.image() else {
        return Ok(());
    };
    let vol = Volume::open_with(image, OpenOptions { backup, access })
        .map_err(|e| cmd::CmdError::at(format!("{}", image.display()), e))?;
    let result = match command {
        Command::Stats { .. } => cmd::stats::run(&vol, &out),
        Command::Ls { spec, long, .. } => cmd::ls::run(&vol, &out, &spec, long),
        Command::Stat { spec, .. } => cmd::stat::run(&vol, &out, &spec),
        Command::StatSysdir { .. } => cmd::stat::run_sysdir(&vol, &out),
        Command::Cat { spec, .. } => cmd::dump::cat(&vol, &spec),
        Command::Dump { spec, out: path, preserve, .. } => cmd::dump::dump(&vol, &out, &spec, &path, preserve),
        Command::Rdump { spec, outdir, verbose, .. } => cmd::dump::rdump(&vol, &out, &spec, &outdir, verbose),
        Command::Bmap { spec, lblk, .. } => cmd::bmap::run(&vol, &out, &spec, lblk),
        Command::Findpath { inode, .. } => cmd::findpath::run(&vol, &out, &inode),
        Command::Logdump { slot, raw, .. } => cmd::logdump::run(&vol, &out, slot, raw),
        Command::Cluster(c) => cmd::cluster::run(c, &out, access),
    };
    // Corrected bits are fixed in memory only; the medium keeps the bad copy.
    for c in vol.ecc_corrections() {
        eprintln!(
            "ocfs2-inspect: warning: block {}: metadata ECC corrected data bit {} (in memory only)",
            c.blkno, c.bit
        );
    }
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocfs2-inspect: {e}");
            ExitCode::FAILURE
        }
    }
}
