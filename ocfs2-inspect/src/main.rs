//! `ocfs2-inspect`: a strictly read-only, debugfs.ocfs2-like inspector for OCFS2
//! images and devices. Every call has the shape
//! `ocfs2-inspect [--json] <COMMAND> [OPTIONS] <IMAGE> [ARGS...]`; with no
//! command, `ocfs2-inspect IMAGE` is a shell on the opened volume and
//! `-R COMMAND` / `-f CMDFILE` run debugfs.ocfs2-style requests (see `shell`).
#![deny(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cmd::admin::AdminCommand;
use cmd::meta::MetaCommand;
use ocfs2_format::io::Access;
use ocfs2_format::{OpenOptions, Volume};

mod cli_cluster;
mod cmd;
mod render;
mod shell;

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
    /// Byte offset of the volume inside the image or device (for a volume that
    /// does not start at byte 0, such as one inside a disk image).
    #[arg(long, global = true, default_value_t = 0, value_name = "BYTES")]
    offset: u64,
    /// Show the volume as journal recovery would leave it: the committed
    /// transactions of every dirty slot's journal are replayed in memory (the
    /// image is never written).
    #[arg(long, global = true)]
    replay: bool,
    /// Run one command on IMAGE and exit (debugfs.ocfs2 `-R`).
    #[arg(short = 'R', long = "request", value_name = "COMMAND", conflicts_with = "file")]
    request: Option<String>,
    /// Run the commands of CMDFILE on IMAGE, one a line (debugfs.ocfs2 `-f`).
    #[arg(short = 'f', long = "file", value_name = "CMDFILE")]
    file: Option<PathBuf>,
    /// No prompt, and no `debugfs: ` echo of each `-f` line (debugfs.ocfs2 `-n`).
    #[arg(short = 'n', long = "noprompt")]
    noprompt: bool,
    /// Image or device for the shell, `-R` or `-f` (when no command is given).
    image: Option<PathBuf>,
    /// Partition N (1-based, as fdisk/gdisk number them) of a disk image; a
    /// disk whose only OCFS2 volume is in a partition opens it without this.
    #[arg(long, global = true, value_name = "N")]
    partition: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Superblock facts (debugfs `stats`).
    #[command(disable_help_flag = true)]
    Stats {
        /// Image or device.
        image: PathBuf,
        /// Read backup superblock N (1-based) instead of the primary.
        #[arg(long, short = 's')]
        backup: Option<usize>,
        /// The superblock only, without its inode (debugfs `stats -h`).
        #[arg(short = 'h')]
        superblock_only: bool,
        /// Print help.
        #[arg(long, action = clap::ArgAction::Help)]
        help: Option<bool>,
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
        /// Also list deleted entries still visible in the directory's slack.
        #[arg(short = 'd')]
        deleted: bool,
    },
    /// Show an inode (debugfs `stat`): with `-t` (the default) its chains and
    /// groups, extent blocks, local alloc or truncate log too; `-T` the inode only.
    Stat {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
        /// Traverse chains and extent blocks (the default).
        #[arg(short = 't', conflicts_with = "no_traverse")]
        traverse: bool,
        /// Do not traverse: the inode only.
        #[arg(short = 'T')]
        no_traverse: bool,
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
    ///
    /// Modes, owners, times and user xattrs are restored; a file with several
    /// names is copied once and hard-linked. Clusters that reflinked files share
    /// are read once: a later file sharing them is copied from the first copy
    /// (copy_file_range, which shares the blocks on btrfs and XFS).
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
        /// Accepted for debugfs.ocfs2's `logdump -T`, which ignores it too.
        #[arg(short = 'T', hide = true)]
        _summary: bool,
    },
    /// Find the paths naming an inode (debugfs `findpath`).
    Findpath {
        /// Image or device.
        image: PathBuf,
        /// Inode number, bare or as `<blkno>`.
        inode: String,
    },
    /// A group descriptor and the rest of its chain (debugfs `group <N>`).
    Group {
        /// Image or device.
        image: PathBuf,
        /// Block of the group descriptor, bare or as `<blkno>`.
        blkno: String,
    },
    /// The free extents of one group (debugfs `grpextents <N>`).
    Grpextents {
        /// Image or device.
        image: PathBuf,
        /// Block of the group descriptor, bare or as `<blkno>`.
        blkno: String,
    },
    /// Inodes allocated and free per slot (o2info `--freeinode`).
    Freeinode {
        /// Image or device.
        image: PathBuf,
    },
    /// Free-space fragmentation histogram (o2info `--freefrag`).
    Freefrag {
        /// Image or device.
        image: PathBuf,
        /// Chunk size in KiB (a power of two, at least the cluster size; default
        /// one cluster).
        chunk_kb: Option<u64>,
    },
    /// Space a file uses: blocks, shared, unwritten, holes (o2info `--space-usage`).
    #[command(name = "space-usage")]
    SpaceUsage {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
    },
    /// A file's stat, fragmentation and space (o2info `--filestat`, which needs a
    /// mounted volume: here from the inode and its extent tree).
    Filestat {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
    },
    /// Label, UUID, sizes, slots and features (o2info `--volinfo`).
    Volinfo {
        /// Image or device.
        image: PathBuf,
    },
    /// The mkfs.ocfs2 command line that recreates this volume's geometry and
    /// features (o2info `--mkfs`, and a complete command).
    #[command(name = "mkfs-cmd")]
    MkfsCmd {
        /// Image or device.
        image: PathBuf,
    },
    /// Read-only consistency check (what `fsck.ocfs2 -fn` finds); exit 0 clean,
    /// 4 problems found, 8 operational error.
    Check {
        /// Image or device.
        image: PathBuf,
        /// No progress bar (one is drawn on stderr when it is a terminal).
        #[arg(long)]
        no_progress: bool,
    },
    /// Heartbeat, slot map, mounted and o2cb configuration commands.
    #[command(flatten)]
    Cluster(cli_cluster::ClusterCommand),
    /// Indexed directories, xattrs, refcount trees, quotas and forensic listings.
    #[command(flatten)]
    Meta(cmd::meta::MetaCommand),
    /// o2image files, bodyfile timelines and hash lists.
    #[command(flatten)]
    Export(cmd::export::ExportCommand),
    /// Journal recovery, planned (never done).
    #[command(flatten)]
    Recover(cmd::recover::RecoverCommand),
    /// The shell, lock names, debugfs spellings, queries, reports and manuals.
    #[command(flatten)]
    Admin(cmd::admin::AdminCommand),
    /// Partition tables, split and EWF images.
    #[command(flatten)]
    Intake(cmd::intake::IntakeCommand),
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
            | Command::Logdump { image, .. }
            | Command::Group { image, .. }
            | Command::Grpextents { image, .. }
            | Command::Freeinode { image }
            | Command::Freefrag { image, .. }
            | Command::SpaceUsage { image, .. }
            | Command::Filestat { image, .. }
            | Command::Volinfo { image }
            | Command::MkfsCmd { image } => Some(image),
            Command::Meta(m) => Some(m.image()),
            Command::Admin(a) => a.image(),
            Command::Cluster(_)
            | Command::Intake(_)
            | Command::Check { .. }
            | Command::Recover(_)
            | Command::Export(_) => None,
        }
    }
}

impl Cli {
    /// How every command opens its image: the global options, in one place.
    fn open_options(&self) -> OpenOptions {
        let access = if self.direct { Access::Direct } else { Access::Auto };
        OpenOptions {
            access,
            offset: self.offset,
            replay: self.replay,
            partition: self.partition,
            ..OpenOptions::default()
        }
    }
}

fn run(cli: Cli, command: Command) -> Result<(), cmd::CmdError> {
    let opts = cli.open_options();
    let out = render::Out::new(cli.json);
    let command = match command {
        // hb, slotmap, mounted and config open what they need themselves.
        Command::Cluster(c) => return run_cluster(c, &out, opts),
        Command::Export(c) => return cmd::export::run(c, &out, opts),
        Command::Recover(r) => return cmd::recover::run(r, &out, opts),
        Command::Intake(c) => return cmd::intake::run(c, &out, opts),
        Command::Meta(m) => Command::Meta(m.finish()),
        other => other,
    };
    let backup = match &command {
        Command::Stats { backup, .. } => *backup,
        _ => None,
    };
    let Some(image) = command.image() else {
        // Commands that read no volume (lock names, manuals).
        return match command {
            Command::Admin(a) => cmd::admin::run_without_volume(a, &out),
            _ => Ok(()),
        };
    };
    let opts = OpenOptions { backup, ..opts };
    let vol = Volume::open_with(image, opts).map_err(|e| cmd::CmdError::at(format!("{}", image.display()), e))?;
    cmd::notes_at_open(image, &vol);
    let result = dispatch(command, &vol, &out, opts);
    warn_ecc(&vol);
    result
}

/// Runs one parsed command on an open volume: the one path every front-end (one
/// command, `-R`, `-f`, the shell) takes. `opts` are those `vol` was opened
/// with; commands that open something else (a backup superblock, the
/// heartbeat sampler, `check`) reopen from the command's image path.
fn dispatch(command: Command, vol: &Volume, out: &render::Out, opts: OpenOptions) -> Result<(), cmd::CmdError> {
    match command {
        Command::Stats { backup, image, superblock_only, .. } if backup != opts.backup => {
            let other = Volume::open_with(&image, OpenOptions { backup, ..opts })
                .map_err(|e| cmd::CmdError::at(format!("{}", image.display()), e))?;
            cmd::stats::run(&other, out, superblock_only)
        }
        Command::Stats { superblock_only, .. } => cmd::stats::run(vol, out, superblock_only),
        Command::Ls { spec, long, deleted, .. } => cmd::ls::run(vol, out, &spec, long, deleted),
        Command::Stat { spec, no_traverse, .. } => cmd::stat::run(vol, out, &spec, !no_traverse),
        Command::StatSysdir { .. } => cmd::stat::run_sysdir(vol, out),
        Command::Cat { spec, .. } => cmd::dump::cat(vol, out, &spec),
        Command::Dump { spec, out: path, preserve, .. } => cmd::dump::dump(vol, out, &spec, &path, preserve),
        Command::Rdump { spec, outdir, verbose, .. } => cmd::dump::rdump(vol, out, &spec, &outdir, verbose),
        Command::Bmap { spec, lblk, .. } => cmd::bmap::run(vol, out, &spec, lblk),
        Command::Findpath { inode, .. } => cmd::findpath::run(vol, out, &inode),
        Command::Logdump { slot, raw, .. } => cmd::logdump::run(vol, out, slot, raw),
        Command::Group { blkno, .. } => cmd::group::run_group(vol, out, &blkno),
        Command::Grpextents { blkno, .. } => cmd::group::run_grpextents(vol, out, &blkno),
        Command::Freeinode { .. } => cmd::o2info::run_freeinode(vol, out),
        Command::Freefrag { chunk_kb, .. } => cmd::o2info::run_freefrag(vol, out, chunk_kb),
        Command::SpaceUsage { spec, .. } => cmd::o2info::run_space_usage(vol, out, &spec),
        Command::Filestat { spec, .. } => cmd::o2info::run_filestat(vol, out, &spec),
        Command::Volinfo { .. } => cmd::o2info::run_volinfo(vol, out),
        Command::MkfsCmd { .. } => cmd::o2info::run_mkfs_cmd(vol, out),
        Command::Meta(m) => dispatch_meta(m.finish(), vol, out),
        Command::Admin(a) => dispatch_admin(a, vol, out),
        Command::Cluster(c) => run_cluster(c, out, opts),
        Command::Recover(r) => cmd::recover::run(r, out, opts),
        Command::Intake(c) => cmd::intake::run(c, out, opts),
        Command::Export(c) => cmd::export::run(c, out, opts),
        Command::Check { image, no_progress } => {
            // Its report is the output; the exit code matters only to `main`.
            cmd::check::main(&image, out, opts, !no_progress);
            Ok(())
        }
    }
}

/// Runs one of the `meta` group's commands (see [`dispatch`]).
fn dispatch_meta(command: MetaCommand, vol: &Volume, out: &render::Out) -> Result<(), cmd::CmdError> {
    match command {
        MetaCommand::DxRoot { blkno, .. } => cmd::dx::run_root(vol, out, &blkno),
        MetaCommand::DxLeaf { blkno, .. } => cmd::dx::run_leaf(vol, out, &blkno),
        MetaCommand::DxDump { spec, .. } => cmd::dx::run_dump(vol, out, &spec),
        MetaCommand::DxSpace { spec, .. } => cmd::dx::run_space(vol, out, &spec),
        MetaCommand::Dirblocks { spec, .. } => cmd::dx::run_dirblocks(vol, out, &spec),
        MetaCommand::Xattr { spec, .. } => cmd::xattr::run(vol, out, &spec),
        MetaCommand::Refcount { spec, .. } => cmd::refcount::run(vol, out, &spec),
        MetaCommand::Frag { spec, .. } => cmd::frag::run(vol, out, &spec),
        MetaCommand::Icheck { blocks, .. } => cmd::icheck::run(vol, out, &blocks),
        MetaCommand::Lsdel { .. } => cmd::lsdel::run(vol, out),
        MetaCommand::Quota { args, recount, .. } => cmd::quota::run(vol, out, cmd::meta::quota_kind(&args)?, recount),
    }
}

/// Runs one of the `admin` group's commands on an opened volume (see [`dispatch`]).
fn dispatch_admin(command: AdminCommand, vol: &Volume, out: &render::Out) -> Result<(), cmd::CmdError> {
    match command {
        AdminCommand::Encode { specs, all, .. } => cmd::admin::encode(vol, out, &specs, all),
        AdminCommand::Decode { locknames, .. } => cmd::admin::decode(Some(vol), out, &locknames),
        AdminCommand::FsLocks { file, lvbs, busy, locknames, .. } => {
            cmd::admin::fs_locks(Some(vol), out, &file, lvbs, busy, &locknames)
        }
        AdminCommand::DlmLocks { file, locknames, .. } => cmd::admin::dlm_locks(Some(vol), out, &file, &locknames),
        AdminCommand::Locate { inodes, .. } => cmd::admin::locate(vol, out, &inodes),
        AdminCommand::Extent { blkno, .. } => cmd::admin::extent(vol, out, &blkno),
        AdminCommand::GdFreeBits { .. } => cmd::admin::gd_free_bits(vol, out),
        AdminCommand::Query { format, .. } => cmd::tunefs::run_query(vol, out, &format),
        AdminCommand::ListSparse { .. } => cmd::tunefs::run_list_sparse(vol, out),
        AdminCommand::FsFeatures { .. } => cmd::tunefs::run_fs_features(vol, out),
        AdminCommand::Report { image } => cmd::bug_report::run(vol, out, &image),
        AdminCommand::Map { output, cells, .. } => cmd::map::run(vol, out, &output, cells),
        AdminCommand::Shell { .. } => Err(cmd::CmdError::msg("shell: run it on its own".into())),
    }
}

/// Runs one of the cluster commands (each opens what it needs itself).
fn run_cluster(c: cli_cluster::ClusterCommand, out: &render::Out, opts: OpenOptions) -> Result<(), cmd::CmdError> {
    use cli_cluster::{ClusterCommand, ConfigCommand};
    match c {
        ClusterCommand::Hb(a) => cmd::hb::run(&a, out, opts),
        ClusterCommand::Slotmap(a) => cmd::slotmap::run(&a, out, opts),
        ClusterCommand::Mounted(a) => cmd::mounted::run(&a, out),
        ClusterCommand::Config(ConfigCommand::Lint { files }) => cmd::config::lint(&files, out),
    }
}

/// Corrected bits are fixed in memory only; the medium keeps the bad copy.
fn warn_ecc(vol: &Volume) {
    for c in vol.ecc_corrections() {
        eprintln!(
            "ocfs2-inspect: warning: block {}: metadata ECC corrected data bit {} (in memory only)",
            c.blkno, c.bit
        );
    }
}

fn main() -> ExitCode {
    if let Some(code) = ocfs2_docs::intercept(<Cli as clap::CommandFactory>::command) {
        return code;
    }
    let mut cli = Cli::parse();
    let Some(command) = cli.command.take() else {
        return shell::main(&cli);
    };
    match command {
        Command::Check { image, no_progress } => {
            return cmd::check::main(&image, &render::Out::new(cli.json), cli.open_options(), !no_progress);
        }
        Command::Admin(cmd::admin::AdminCommand::Shell { image }) => {
            cli.image = image;
            return shell::main(&cli);
        }
        _ => {}
    }
    match run(cli, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocfs2-inspect: {e}");
            ExitCode::FAILURE
        }
    }
}
