//! The commands over indexed directories, extended attributes, refcount trees,
//! quotas and forensic listings, grouped so `main.rs` only flattens them in (and
//! runs them: its `dispatch` is the one path to every command).

use std::path::PathBuf;

use clap::Subcommand;
use ocfs2_format::layout::quota::QuotaType;

use super::CmdError;

#[derive(Debug, Subcommand)]
pub enum MetaCommand {
    /// Show an indexed directory's root block (debugfs `dx_root <BLK>`).
    #[command(name = "dx_root", alias = "dx-root")]
    DxRoot {
        /// Image or device.
        image: PathBuf,
        /// Block number, bare or as `<blkno>`.
        blkno: String,
    },
    /// Show a dx leaf block (debugfs `dx_leaf <BLK>`).
    #[command(name = "dx_leaf", alias = "dx-leaf")]
    DxLeaf {
        /// Image or device.
        image: PathBuf,
        /// Block number, bare or as `<blkno>`.
        blkno: String,
    },
    /// Show a directory's index: root and every leaf (debugfs `dx_dump`).
    #[command(name = "dx_dump", alias = "dx-dump")]
    DxDump {
        /// Image or device.
        image: PathBuf,
        /// Directory: `/path`, `//system_dir_path` or `<blkno>`.
        spec: String,
    },
    /// Show the directory blocks on an indexed directory's free-space list
    /// (debugfs `dx_space`).
    #[command(name = "dx_space", alias = "dx-space")]
    DxSpace {
        /// Image or device.
        image: PathBuf,
        /// Directory: `/path`, `//system_dir_path` or `<blkno>`.
        spec: String,
    },
    /// Show every block of a directory with all its records (debugfs `dirblocks`).
    Dirblocks {
        /// Image or device.
        image: PathBuf,
        /// Directory: `/path`, `//system_dir_path` or `<blkno>`.
        spec: String,
    },
    /// List extended attributes with names and values, POSIX ACLs decoded
    /// (debugfs `xattr -v`, which shows only the layout).
    Xattr {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
        /// Accepted for debugfs.ocfs2's `xattr -v`: the layout is always shown.
        #[arg(short = 'v', hide = true)]
        _verbose: bool,
    },
    /// Show a refcount tree and the sharing of a file's extents (debugfs `refcount`).
    Refcount {
        /// Image or device.
        image: PathBuf,
        /// A file (`/path`, `<blkno>`) or a refcount block (`<blkno>`).
        spec: String,
        /// Accepted for debugfs.ocfs2's `refcount -e`: the tree's extent records
        /// are always shown.
        #[arg(short = 'e', hide = true)]
        _extent_tree: bool,
    },
    /// The inode owning each block, and its offset there (debugfs `icheck`).
    Icheck {
        /// Image or device.
        image: PathBuf,
        /// Block numbers.
        #[arg(required = true)]
        blocks: Vec<String>,
    },
    /// Deleted inodes still readable, and orphans (like ext2's `lsdel`).
    Lsdel {
        /// Image or device.
        image: PathBuf,
    },
    /// Quota usage, limits and grace per user or group id, from the global quota
    /// files and the slots' local files (`quota IMAGE [user|group]`; both kinds
    /// the volume keeps when no kind is given).
    Quota {
        /// The image or device, then `user` or `group` (optional).
        #[arg(num_args = 1..=2, required = true, value_name = "IMAGE [user|group]")]
        args: Vec<String>,
        /// Also recount usage from the inodes (as fsck.ocfs2 does, plus dx-leaf
        /// clusters, which the kernel charges) and flag the ids that differ.
        #[arg(long)]
        recount: bool,
        /// The image, split off `args` after parsing.
        #[arg(skip)]
        image: PathBuf,
    },
    /// Extents per cluster of a file (debugfs `frag`).
    Frag {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file` or `<blkno>`.
        spec: String,
    },
}

/// A quota kind word.
fn kind_word(k: &str) -> Option<QuotaType> {
    match k {
        "user" | "usr" | "u" => Some(QuotaType::User),
        "group" | "grp" | "g" => Some(QuotaType::Group),
        _ => None,
    }
}

/// The quota kind named after the image, if any.
pub fn quota_kind(args: &[String]) -> Result<Option<QuotaType>, CmdError> {
    match args {
        [_] => Ok(None),
        [_, k] => {
            kind_word(k).map(Some).ok_or_else(|| CmdError::msg(format!("quota: expected `user` or `group`, got {k:?}")))
        }
        _ => Err(CmdError::msg("quota: expected IMAGE [user|group]".to_string())),
    }
}

impl MetaCommand {
    /// Completes what clap cannot express: `quota`'s image comes first, as in
    /// every command, but the old order (`quota user IMAGE`) is still taken,
    /// with a hint.
    pub fn finish(mut self) -> Self {
        if let MetaCommand::Quota { args, image, .. } = &mut self {
            if let [k, img] = args.as_mut_slice() {
                if kind_word(k).is_some() && kind_word(img).is_none() {
                    eprintln!("ocfs2-inspect: hint: the kind goes after the image: quota {img} {k}");
                    std::mem::swap(k, img);
                }
            }
            *image = args.first().map(PathBuf::from).unwrap_or_default();
        }
        self
    }

    /// The image every one of these commands reads.
    pub fn image(&self) -> &PathBuf {
        match self {
            MetaCommand::DxRoot { image, .. }
            | MetaCommand::DxLeaf { image, .. }
            | MetaCommand::DxDump { image, .. }
            | MetaCommand::DxSpace { image, .. }
            | MetaCommand::Dirblocks { image, .. }
            | MetaCommand::Xattr { image, .. }
            | MetaCommand::Refcount { image, .. }
            | MetaCommand::Frag { image, .. }
            | MetaCommand::Icheck { image, .. }
            | MetaCommand::Quota { image, .. }
            | MetaCommand::Lsdel { image } => image,
        }
    }
}
