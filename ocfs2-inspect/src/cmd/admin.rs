//! The administrators' commands: the shell, cluster lock names, and
//! debugfs.ocfs2's spellings of lookups, grouped so `main.rs` only flattens
//! them in.

use std::path::PathBuf;

use clap::Subcommand;
use ocfs2_format::fs::{find_paths, find_paths_of};
use ocfs2_format::layout::dinode::{dyn_features, flags};
use ocfs2_format::layout::lockname::{LockName, LockType, SUPER_LOCK_BLKNO};
use ocfs2_format::layout::refcount::RefcountBlockView;
use ocfs2_format::volume::MetaKind;
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// An interactive shell on IMAGE (also `ocfs2-inspect IMAGE`): history, tab
    /// completion, `open`/`close`/`curdev`, `cd`/`pwd`; every command inside it.
    Shell {
        /// Image or device to open first.
        image: Option<PathBuf>,
    },
    /// The cluster lock name of each file (debugfs `encode`): its inode lock
    /// (`M`), or the superblock lock (`S`) for `<2>`; `--all` lists every lock
    /// the kernel takes on it.
    Encode {
        /// Image or device.
        image: PathBuf,
        /// `/path`, `//system_file`, `<blkno>` or `<lockname>`.
        #[arg(required = true)]
        specs: Vec<String>,
        /// Every lock of the file: meta, read/write, open, flock, its dentry
        /// locks and its refcount tree's.
        #[arg(short = 'a', long)]
        all: bool,
    },
    /// Decode lock names (debugfs.ocfs2 `-d`; its `decode` command only prints
    /// a usage line): type, block, generation, and with `--image` the paths.
    Decode {
        /// Lock names, bare or in angle brackets.
        #[arg(required = true)]
        locknames: Vec<String>,
        /// An image or device to look the inodes' paths up on.
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// Every path naming each inode (debugfs `locate` and `ncheck`).
    #[command(alias = "ncheck")]
    Locate {
        /// Image or device.
        image: PathBuf,
        /// Inodes: `<blkno>`, a bare number, or `<lockname>`.
        #[arg(required = true)]
        inodes: Vec<String>,
    },
}

impl AdminCommand {
    /// The image the command reads, if it reads one.
    pub fn image(&self) -> Option<&PathBuf> {
        match self {
            AdminCommand::Encode { image, .. } | AdminCommand::Locate { image, .. } => Some(image),
            // The shell's session adapts `--image` to the open device, or "" for none.
            AdminCommand::Decode { image, .. } => image.as_ref().filter(|p| !p.as_os_str().is_empty()),
            AdminCommand::Shell { .. } => None,
        }
    }
}

/// Runs a command that reads no volume.
pub fn run_without_volume(cmd: AdminCommand, out: &Out) -> Result<(), CmdError> {
    match cmd {
        AdminCommand::Decode { locknames, .. } => decode(None, out, &locknames),
        other => Err(CmdError::msg(format!("{other:?} needs an image"))),
    }
}

/// Runs one of these commands on an opened volume.
pub fn run(cmd: AdminCommand, vol: &Volume, out: &Out) -> Result<(), CmdError> {
    match cmd {
        AdminCommand::Encode { specs, all, .. } => encode(vol, out, &specs, all),
        AdminCommand::Decode { locknames, .. } => decode(Some(vol), out, &locknames),
        AdminCommand::Locate { inodes, .. } => locate(vol, out, &inodes),
        AdminCommand::Shell { .. } => Err(CmdError::msg("shell: run it on its own".into())),
    }
}

/// A lock name with what it is.
#[derive(Debug, Serialize)]
struct Lock {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    blkno: u64,
    generation: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<u64>,
    /// Paths of the inode it names (with an image).
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
}

impl Lock {
    fn of(l: &LockName, paths: Option<Vec<String>>) -> Self {
        Lock {
            name: l.to_string(),
            kind: l.kind.label(),
            blkno: l.blkno,
            generation: l.generation,
            parent: l.parent,
            paths,
        }
    }
}

#[derive(Debug, Serialize)]
struct Encoded {
    spec: String,
    blkno: u64,
    locks: Vec<Lock>,
}

/// The locks the kernel takes on inode `blkno` (see `layout::lockname`).
fn locks_of(vol: &Volume, spec: &str, blkno: u64, all: bool) -> Result<Vec<LockName>, CmdError> {
    if blkno == SUPER_LOCK_BLKNO {
        return Ok(vec![LockName::new(LockType::Super, blkno, 0)]);
    }
    let inode = vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let h = inode.header();
    let generation = h.i_generation.get();
    let system = h.i_flags.get() & flags::SYSTEM != 0;
    let meta_gen = if system { generation } else { 0 };
    let meta = LockName::new(LockType::Meta, blkno, meta_gen);
    if !all {
        return Ok(vec![meta]);
    }
    let mut locks = vec![
        meta,
        LockName::new(LockType::ReadWrite, blkno, generation),
        LockName::new(LockType::Open, blkno, meta_gen),
        LockName::new(LockType::Flock, blkno, generation),
    ];
    // One dentry lock per entry naming the inode: the parent's block with it.
    for p in find_paths(vol, blkno).map_err(|e| CmdError::at(spec.to_string(), e))? {
        let trimmed = p.trim_end_matches('/');
        let Some(cut) = trimmed.rfind('/') else { continue };
        if trimmed.is_empty() || trimmed == "/" {
            continue;
        }
        let parent_path = if cut == 0 { "/" } else { &trimmed[..=cut] };
        if let Ok(parent) = ocfs2_format::fs::resolve_spec(vol, parent_path) {
            locks.push(LockName::dentry(parent, blkno));
        }
    }
    if h.has_dyn(dyn_features::HAS_REFCOUNT) {
        let root = h.i_refcount_loc.get();
        let at = |e| CmdError::at(format!("refcount block {root}"), e);
        let block = vol.read_meta(root, MetaKind::REFCOUNT_BLOCK).map_err(at)?;
        let rb = RefcountBlockView::parse(&block, root).map_err(at)?;
        locks.push(LockName::new(LockType::Refcount, root, rb.header.rf_generation.get()));
    }
    Ok(locks)
}

fn encode(vol: &Volume, out: &Out, specs: &[String], all: bool) -> Result<(), CmdError> {
    let mut done = Vec::new();
    for spec in specs {
        let blkno = resolve(vol, spec)?;
        let locks = locks_of(vol, spec, blkno, all)?;
        done.push(Encoded { spec: spec.clone(), blkno, locks: locks.iter().map(|l| Lock::of(l, None)).collect() });
    }
    out.emit(&done, |done| {
        let mut s = String::new();
        for e in done {
            for l in &e.locks {
                // debugfs.ocfs2's framing, trailing space included.
                if all {
                    s.push_str(&format!("\t{} \t{}\n", l.name, l.kind));
                } else {
                    s.push_str(&format!("\t{} \n", l.name));
                }
            }
        }
        s
    })
}

/// A lock name, bare or as `<name>`.
pub fn parse_lock(s: &str) -> Result<LockName, CmdError> {
    let n = s.trim();
    let n = n.strip_prefix('<').and_then(|n| n.strip_suffix('>')).unwrap_or(n);
    LockName::parse(n).map_err(|e| CmdError::at(s.to_string(), e))
}

fn decode(vol: Option<&Volume>, out: &Out, names: &[String]) -> Result<(), CmdError> {
    let mut locks = Vec::new();
    for n in names {
        let l = parse_lock(n)?;
        let paths = match (vol, l.inode()) {
            (Some(vol), Some(ino)) => Some(find_paths(vol, ino).map_err(|e| CmdError::at(n.clone(), e))?),
            _ => None,
        };
        // Named as given (a dentry name may carry a 16-digit inode).
        let given = n.trim().trim_start_matches('<').trim_end_matches('>');
        locks.push(Lock { name: given.to_string(), ..Lock::of(&l, paths) });
    }
    out.emit(&locks, |locks| {
        let mut s = String::new();
        // debugfs.ocfs2 -d's layout, then the paths.
        for l in locks {
            // debugfs.ocfs2 -d leaves out a zero block and a zero generation.
            s.push_str(&format!("Lockres:    {}\nType:       {}\n", l.name, l.kind));
            if l.blkno != 0 {
                s.push_str(&format!("Block:      {}\n", l.blkno));
            }
            match l.parent {
                Some(p) => s.push_str(&format!("Parent:\t    {p}\n")),
                None if l.generation != 0 => s.push_str(&format!("Generation: 0x{:08x}\n", l.generation)),
                None => {}
            }
            for p in l.paths.iter().flatten() {
                s.push_str(&format!("Path:       {p}\n"));
            }
            s.push('\n');
        }
        s
    })
}

#[derive(Debug, Serialize)]
struct Located {
    inode: u64,
    path: String,
}

/// An inode given as `N`, `0xN`, `<N>` or `<lockname>`.
fn inode_arg(vol: &Volume, s: &str) -> Result<u64, CmdError> {
    let t = s.trim();
    if t.starts_with('<') {
        return resolve(vol, t);
    }
    resolve(vol, &format!("<{t}>"))
}

fn locate(vol: &Volume, out: &Out, inodes: &[String]) -> Result<(), CmdError> {
    let targets = inodes.iter().map(|s| inode_arg(vol, s)).collect::<Result<Vec<u64>, _>>()?;
    let found: Vec<Located> =
        find_paths_of(vol, &targets)?.into_iter().map(|(inode, path)| Located { inode, path }).collect();
    out.emit(&found, |found| found.iter().map(|f| format!("\t{}\t{}\n", f.inode, f.path)).collect())
}
