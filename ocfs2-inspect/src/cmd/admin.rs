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
use ocfs2_format::{SystemFile, Volume};
use serde::Serialize;

use super::common::inode::{extent_block, render_extent_block};
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
    /// A saved copy of the file system's lock state (debugfs `fs_locks -f`;
    /// formats 1 to 4, where debugfs.ocfs2 1.8.7 stops at 3), each lock with
    /// its inode and paths when `--image` is given.
    #[command(name = "fs_locks", alias = "fs-locks")]
    FsLocks {
        /// The saved `/sys/kernel/debug/ocfs2/<uuid>/locking_state`.
        #[arg(short = 'f', long = "file", required = true)]
        file: PathBuf,
        /// Also print each lock value block.
        #[arg(short = 'l')]
        lvbs: bool,
        /// Only busy locks (a request in flight).
        #[arg(short = 'B')]
        busy: bool,
        /// Only these locks.
        locknames: Vec<String>,
        /// Image or device to name the inodes' paths from.
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// A saved copy of o2dlm's lock state (debugfs `dlm_locks -f`), each lock
    /// with its inode and paths when `--image` is given.
    #[command(name = "dlm_locks", alias = "dlm-locks")]
    DlmLocks {
        /// The saved `/sys/kernel/debug/o2dlm/<uuid>/locking_state`.
        #[arg(short = 'f', long = "file", required = true)]
        file: PathBuf,
        /// Accepted for debugfs.ocfs2's `-l`: the LVB line is always kept.
        #[arg(short = 'l', hide = true)]
        _lvbs: bool,
        /// Only these locks.
        locknames: Vec<String>,
        /// Image or device to name the inodes' paths from.
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// An extent block: header and records (debugfs `extent <blk>`).
    Extent {
        /// Image or device.
        image: PathBuf,
        /// Block number, bare or as `<blkno>`.
        blkno: String,
    },
    /// Each global-bitmap group's longest free run, counted and as the kernel
    /// recorded it in `bg_contig_free_bits` (debugfs.ocfs2 1.8.9's `gd_free_bits`,
    /// read-only: no `-s`).
    #[command(name = "gd_free_bits", alias = "gd-free-bits")]
    GdFreeBits {
        /// Image or device.
        image: PathBuf,
    },
    /// Superblock facts through a format (tunefs.ocfs2 `-Q`).
    ///
    /// `%B` block size, `%T` cluster size, `%N` slots, `%R` root, `%Y` system directory, `%P`
    /// first cluster group, `%V` label, `%U` UUID, `%M` `%H` `%O` compat,
    /// incompat and ro-compat features; `\n` `\t` and the other C escapes;
    /// `%-10V` style widths. (tunefs.ocfs2 1.8.7 rejects `%B`.)
    #[command(name = "query", alias = "tunefs-query")]
    Query {
        /// Image or device.
        image: PathBuf,
        /// The query format.
        format: String,
    },
    /// Files with holes and their hole clusters, from the root and each
    /// orphan directory (tunefs.ocfs2 `--list-sparse`).
    #[command(name = "list-sparse", alias = "list_sparse")]
    ListSparse {
        /// Image or device.
        image: PathBuf,
    },
    /// The volume's features on one wrapped line (o2info `--fs-features`).
    #[command(name = "fs-features", alias = "fs_features")]
    FsFeatures {
        /// Image or device.
        image: PathBuf,
    },
    /// A diagnostics bundle for bug reports: superblock, slot map and journals, a
    /// heartbeat snapshot, allocators, the mkfs command line, the check's
    /// summary, the tool's version; never anything from file contents.
    Report {
        /// Image or device.
        image: PathBuf,
    },
    /// The volume as an SVG picture: cells of clusters coloured by owner (free,
    /// files, system files, each slot's journal and allocators), the free-extent
    /// histogram and a legend.
    Map {
        /// Image or device.
        image: PathBuf,
        /// The SVG file to write.
        #[arg(short = 'o', long = "output", required = true)]
        output: PathBuf,
        /// Cells at most (a volume with more clusters is binned; capped so the
        /// counts stay under 256 MiB).
        #[arg(long, default_value_t = 4096)]
        cells: u64,
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
            AdminCommand::Encode { image, .. }
            | AdminCommand::Locate { image, .. }
            | AdminCommand::Extent { image, .. }
            | AdminCommand::GdFreeBits { image }
            | AdminCommand::Query { image, .. }
            | AdminCommand::ListSparse { image }
            | AdminCommand::FsFeatures { image }
            | AdminCommand::Report { image }
            | AdminCommand::Map { image, .. } => Some(image),
            // The shell's session adapts `--image` to the open device, or "" for none.
            AdminCommand::Decode { image, .. }
            | AdminCommand::FsLocks { image, .. }
            | AdminCommand::DlmLocks { image, .. } => image.as_ref().filter(|p| !p.as_os_str().is_empty()),
            AdminCommand::Shell { .. } => None,
        }
    }
}

/// Runs a command that reads no volume.
pub fn run_without_volume(cmd: AdminCommand, out: &Out) -> Result<(), CmdError> {
    match cmd {
        AdminCommand::Decode { locknames, .. } => decode(None, out, &locknames),
        AdminCommand::FsLocks { file, lvbs, busy, locknames, .. } => fs_locks(None, out, &file, lvbs, busy, &locknames),
        AdminCommand::DlmLocks { file, locknames, .. } => dlm_locks(None, out, &file, &locknames),
        other => Err(CmdError::msg(format!("{other:?} needs an image"))),
    }
}

/// A lock name with what it is.
#[derive(Debug, Serialize)]
struct Lock {
    /// The lock name (`M000000000000000000020b4a0f2c5d`), as given to `decode`.
    name: String,
    /// The decoded name, as the library serializes a `LockName`: `type` (as
    /// debugfs.ocfs2 names it: `Meta`, `Dentry`, `Super`, ...), `blkno` (the
    /// block or inode it names; 0 for types without one), `generation`, and a
    /// dentry lock's `parent` directory inode.
    #[serde(flatten)]
    lock: LockName,
    /// Paths of the inode it names (with an image).
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
}

impl Lock {
    fn of(l: &LockName, paths: Option<Vec<String>>) -> Self {
        Lock { name: l.to_string(), lock: *l, paths }
    }
}

/// `encode --json`.
#[derive(Debug, Serialize)]
struct EncodeReport {
    /// One entry per spec, in the order given.
    files: Vec<Encoded>,
}

#[derive(Debug, Serialize)]
struct Encoded {
    /// The spec as given.
    spec: String,
    /// The inode it resolved to.
    blkno: u64,
    /// Its inode lock, or with `--all` every lock the kernel takes on it.
    locks: Vec<Lock>,
}

/// `decode --json`.
#[derive(Debug, Serialize)]
struct DecodeReport {
    /// One entry per lock name, in the order given.
    locks: Vec<Lock>,
}

/// `locate --json` (and `ncheck`).
#[derive(Debug, Serialize)]
struct LocateReport {
    /// Every path naming one of the inodes, in one walk's order.
    paths: Vec<Located>,
}

/// `fs_locks --json`.
#[derive(Debug, Serialize)]
struct FsLocksReport {
    /// The locks shown, in the file's order.
    locks: Vec<FsLockOut>,
}

/// `dlm_locks --json`.
#[derive(Debug, Serialize)]
struct DlmLocksReport {
    /// The lock resources shown, in the file's order.
    resources: Vec<DlmLockresOut>,
}

/// `gd_free_bits --json`.
#[derive(Debug, Serialize)]
struct GdFreeBitsReport {
    /// Every group of the global bitmap, chain by chain.
    groups: Vec<GroupFreeBits>,
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

pub fn encode(vol: &Volume, out: &Out, specs: &[String], all: bool) -> Result<(), CmdError> {
    let mut done = Vec::new();
    for spec in specs {
        let blkno = resolve(vol, spec)?;
        let locks = locks_of(vol, spec, blkno, all)?;
        done.push(Encoded { spec: spec.clone(), blkno, locks: locks.iter().map(|l| Lock::of(l, None)).collect() });
    }
    out.emit(&EncodeReport { files: done }, |done| {
        let mut s = String::new();
        for e in &done.files {
            for l in &e.locks {
                // debugfs.ocfs2's framing, trailing space included.
                if all {
                    s.push_str(&format!("\t{} \t{}\n", l.name, l.lock.kind.label()));
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

pub fn decode(vol: Option<&Volume>, out: &Out, names: &[String]) -> Result<(), CmdError> {
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
    out.emit(&DecodeReport { locks }, |locks| {
        let mut s = String::new();
        // debugfs.ocfs2 -d's layout, then the paths.
        for l in &locks.locks {
            // debugfs.ocfs2 -d leaves out a zero block and a zero generation.
            let lock = &l.lock;
            s.push_str(&format!("Lockres:    {}\nType:       {}\n", l.name, lock.kind.label()));
            if lock.blkno != 0 {
                s.push_str(&format!("Block:      {}\n", lock.blkno));
            }
            match lock.parent {
                Some(p) => s.push_str(&format!("Parent:\t    {p}\n")),
                None if lock.generation != 0 => s.push_str(&format!("Generation: 0x{:08x}\n", lock.generation)),
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
    /// The inode.
    inode: u64,
    /// One path naming it.
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

pub fn locate(vol: &Volume, out: &Out, inodes: &[String]) -> Result<(), CmdError> {
    let targets = inodes.iter().map(|s| inode_arg(vol, s)).collect::<Result<Vec<u64>, _>>()?;
    let found: Vec<Located> =
        find_paths_of(vol, &targets)?.into_iter().map(|(inode, path)| Located { inode, path }).collect();
    out.emit(&LocateReport { paths: found }, |found| {
        found.paths.iter().map(|f| format!("\t{}\t{}\n", f.inode, f.path)).collect()
    })
}

/// The inode a lock names and its paths, when a volume is open.
#[derive(Debug, Serialize)]
struct Owner {
    /// The inode the lock names.
    inode: u64,
    /// Every path naming it (empty: none found on this volume).
    paths: Vec<String>,
}

fn owner(vol: Option<&Volume>, lock: Option<LockName>) -> Option<Owner> {
    let (vol, ino) = (vol?, lock?.inode()?);
    // A name from another volume, or a dentry inode past 32 bits, finds nothing.
    let paths = find_paths(vol, ino).unwrap_or_default();
    Some(Owner { inode: ino, paths })
}

fn render_owner(o: &Option<Owner>) -> String {
    match o {
        Some(o) if o.paths.is_empty() => format!("Inode: {}  (no path)\n", o.inode),
        Some(o) => format!("Inode: {}  Path: {}\n", o.inode, o.paths.join(" ")),
        None => String::new(),
    }
}

fn read_text(file: &std::path::Path) -> Result<String, CmdError> {
    std::fs::read_to_string(file).map_err(|e| CmdError::msg(format!("{}: {e}", file.display())))
}

/// Not the library's `FsLock`: the flags and modes are shown by name, and the
/// JSON has always had them so.
#[derive(Debug, Serialize)]
struct FsLockOut {
    /// The lock name as printed.
    name: String,
    /// The line's format version (1 to 4).
    version: u32,
    /// Granted mode (`NL`, `PR`, `EX`, or the number).
    level: &'static str,
    /// `l_flags` by name.
    flags: Vec<&'static str>,
    /// Holders in read-only mode.
    ro_holders: u32,
    /// Holders in exclusive mode.
    ex_holders: u32,
    /// Mode requested, as `level`.
    requested: &'static str,
    /// Mode another node blocks on, as `level`.
    blocking: &'static str,
    /// Pending action (0 none, 1 attach, 2 convert, 3 downconvert).
    action: u32,
    /// Pending unlock action (0 none, 1 cancel, 2 unlock).
    unlock_action: u32,
    /// The lock value block's bytes.
    lvb: Vec<u8>,
    /// Statistics (format 2 on), else null: `pr_gets`, `ex_gets`, `pr_fails`,
    /// `ex_fails`, `pr_max_wait`, `ex_max_wait`, `disk_refreshes` (numbers),
    /// `pr_total_wait`, `ex_total_wait` (decimal strings: ns before format 3,
    /// µs from it), `pr_last`, `ex_last`, `wait_start` (µs since the epoch,
    /// format 4; null before).
    #[serde(serialize_with = "sorted")]
    stats: Option<ocfs2_format::locks::FsLockStats>,
    /// With `--image`: the inode the lock names and its paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<Owner>,
}

/// `value` as the library serializes it, its keys in alphabetical order: the
/// order `stats` has always had (it was built as a serde_json map, sorted while
/// serde_json's `preserve_order` is off; tests/admin.rs checks the order).
fn sorted<T: Serialize, S: serde::Serializer>(value: &T, ser: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(value).map_err(serde::ser::Error::custom)?.serialize(ser)
}

fn wanted(filter: &[String], name: &str) -> bool {
    filter.is_empty() || filter.iter().any(|f| f.trim_matches(|c| c == '<' || c == '>') == name)
}

pub fn fs_locks(
    vol: Option<&Volume>,
    out: &Out,
    file: &std::path::Path,
    lvbs: bool,
    busy: bool,
    filter: &[String],
) -> Result<(), CmdError> {
    use ocfs2_format::locks::{mode_name, parse_fs_locks, FS_LOCK_BUSY, FS_LOCK_FLAGS};
    let locks = parse_fs_locks(&read_text(file)?).map_err(|e| CmdError::at(file.display().to_string(), e))?;
    let shown: Vec<FsLockOut> = locks
        .into_iter()
        .filter(|l| wanted(filter, &l.name) && (!busy || l.flags & FS_LOCK_BUSY != 0))
        .map(|l| FsLockOut {
            owner: owner(vol, l.lock),
            flags: FS_LOCK_FLAGS.iter().filter(|(b, _)| l.flags & b != 0).map(|(_, n)| *n).collect(),
            level: mode_name(l.level),
            requested: mode_name(l.requested),
            blocking: mode_name(l.blocking),
            name: l.name,
            version: l.version,
            ro_holders: l.ro_holders,
            ex_holders: l.ex_holders,
            action: l.action,
            unlock_action: l.unlock_action,
            lvb: l.lvb,
            stats: l.stats,
        })
        .collect();
    out.emit(&FsLocksReport { locks: shown }, |r| r.locks.iter().map(|l| render_fs_lock(l, lvbs)).collect())
}

const ACTIONS: [&str; 4] = ["None", "Attach", "Convert", "Downconvert"];
const UNLOCK_ACTIONS: [&str; 3] = ["None", "Cancel", "Unlock"];

/// debugfs.ocfs2's layout of one lock (its format 3 arithmetic kept: the
/// total wait is printed divided by 1000 and the average is total / gets).
fn render_fs_lock(l: &FsLockOut, lvbs: bool) -> String {
    let mut s = format!("Lockres: {}  Mode: {}\nFlags:", l.name, l.level);
    for f in &l.flags {
        s.push(' ');
        s.push_str(f);
    }
    // debugfs.ocfs2 prints the flags in its own order: Initialized first.
    if l.flags.contains(&"Initialized") && l.flags.contains(&"Attached") {
        let rest: Vec<&str> = l.flags.iter().copied().filter(|f| *f != "Initialized" && *f != "Attached").collect();
        s = format!("Lockres: {}  Mode: {}\nFlags: Initialized Attached", l.name, l.level);
        for f in rest {
            s.push(' ');
            s.push_str(f);
        }
    }
    let name = |table: &[&'static str], v: u32| table.get(v as usize).copied().unwrap_or("Unknown");
    s.push_str(&format!(
        "\nRO Holders: {}  EX Holders: {}\nPending Action: {}  Pending Unlock Action: {}\n\
         Requested Mode: {}  Blocking Mode: {}\n",
        l.ro_holders,
        l.ex_holders,
        name(&ACTIONS, l.action),
        name(&UNLOCK_ACTIONS, l.unlock_action),
        l.requested,
        l.blocking
    ));
    if lvbs {
        s.push_str("Raw LVB:\t");
        for (i, b) in l.lvb.iter().enumerate() {
            s.push_str(&format!("{b:02x} "));
            if i % 16 == 15 {
                s.push('\n');
                if i + 1 < l.lvb.len() {
                    s.push_str("\t\t");
                }
            }
        }
    }
    if let Some(st) = &l.stats {
        let avg = |total: u64, gets: u32| if gets == 0 { 0 } else { total / u64::from(gets) };
        s.push_str(&format!(
            "PR > Gets: {}  Fails: {}    Waits Total: {}us  Max: {}us  Avg: {}ns\n",
            st.pr_gets,
            st.pr_fails,
            st.pr_total_wait / 1000,
            st.pr_max_wait,
            avg(st.pr_total_wait, st.pr_gets)
        ));
        s.push_str(&format!(
            "EX > Gets: {}  Fails: {}    Waits Total: {}us  Max: {}us  Avg: {}ns\n",
            st.ex_gets,
            st.ex_fails,
            st.ex_total_wait / 1000,
            st.ex_max_wait,
            avg(st.ex_total_wait, st.ex_gets)
        ));
        s.push_str(&format!("Disk Refreshes: {}\n", st.disk_refreshes));
        if let (Some(pr), Some(ex), Some(w)) = (st.pr_last, st.ex_last, st.wait_start) {
            s.push_str(&format!("Last PR Unlock: {pr}us  Last EX Unlock: {ex}us  Wait Start: {w}us\n"));
        }
    }
    s.push_str(&render_owner(&l.owner));
    s.push('\n');
    s
}

/// Not the library's `DlmLock`: queue, modes and pending operations by name.
#[derive(Debug, Serialize)]
struct DlmLockOut {
    /// `Granted`, `Converting` or `Blocked`.
    queue: &'static str,
    /// The node holding it.
    node: u32,
    /// Mode held (`NL`, `PR`, `EX`, or the number).
    level: String,
    /// Mode it converts to, as `level` (`-1`: none).
    convert: String,
    /// Its cookie, `node:sequence`.
    cookie: String,
    /// References held on the lock.
    refs: u32,
    /// On the AST list.
    ast: bool,
    /// On the BAST list.
    bast: bool,
    /// Pending operations by name (`Ast`, `Bast`, `Convert`, `Lock`, `Cancel`, `Unlock`).
    pending: Vec<&'static str>,
}

/// Not the library's `DlmLockres`: state bits and lists by name, and the inode.
#[derive(Debug, Serialize)]
struct DlmLockresOut {
    /// The lock resource name as printed.
    name: String,
    /// The master node (255: unknown).
    owner: u32,
    /// State bits.
    state: u32,
    /// The state bits by name (`Ready`, `Dirty`, ...).
    state_names: Vec<&'static str>,
    /// Last use, in jiffies.
    last_used: u64,
    /// ASTs reserved.
    asts_reserved: u32,
    /// Locks in flight.
    inflight: u32,
    /// A migration is pending.
    migration_pending: bool,
    /// References to the resource.
    refs: u32,
    /// The lists it is on (`Purge`, `Dirty`, `Recovering`).
    on_lists: Vec<&'static str>,
    /// Nodes holding references (`RMAP:`), as printed.
    refmap: String,
    /// The LVB (`LVBX:`), as printed.
    lvb: String,
    /// Its locks.
    locks: Vec<DlmLockOut>,
    /// With `--image`: the inode the lock names and its paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    lock_owner: Option<Owner>,
}

/// o2dlm's lock resource state bits (dlmcommon.h).
const DLM_STATES: [(u32, &str); 10] = [
    (0x1, "Uninited"),
    (0x2, "Recovering"),
    (0x4, "Ready"),
    (0x8, "Dirty"),
    (0x10, "InProgress"),
    (0x20, "Migrating"),
    (0x40, "DroppingRef"),
    (0x1000, "BlockDirty"),
    (0x2000, "SetRefInProg"),
    (0x4000, "RecoveryWaiting"),
];

fn dlm_mode(m: i32) -> String {
    match m {
        0 => "NL".into(),
        3 => "PR".into(),
        5 => "EX".into(),
        other => other.to_string(),
    }
}

pub fn dlm_locks(vol: Option<&Volume>, out: &Out, file: &std::path::Path, filter: &[String]) -> Result<(), CmdError> {
    use ocfs2_format::locks::parse_dlm_locks;
    let res = parse_dlm_locks(&read_text(file)?).map_err(|e| CmdError::at(file.display().to_string(), e))?;
    let shown: Vec<DlmLockresOut> = res
        .into_iter()
        .filter(|r| wanted(filter, &r.name))
        .map(|r| DlmLockresOut {
            lock_owner: owner(vol, r.lock),
            state_names: DLM_STATES.iter().filter(|(b, _)| r.state & b != 0).map(|(_, n)| *n).collect(),
            on_lists: ["Purge", "Dirty", "Recovering"]
                .into_iter()
                .zip(r.lists)
                .filter_map(|(n, on)| on.then_some(n))
                .collect(),
            locks: r
                .locks
                .iter()
                .map(|l| DlmLockOut {
                    queue: ["Granted", "Converting", "Blocked"].get(l.list as usize).copied().unwrap_or("Unknown"),
                    node: l.node,
                    level: dlm_mode(l.mode),
                    convert: dlm_mode(l.convert_mode),
                    cookie: l.cookie.clone(),
                    refs: l.refs,
                    ast: l.ast_list,
                    bast: l.bast_list,
                    pending: ["Ast", "Bast", "Convert", "Lock", "Cancel", "Unlock"]
                        .into_iter()
                        .zip(l.pending)
                        .filter_map(|(n, on)| on.then_some(n))
                        .collect(),
                })
                .collect(),
            name: r.name,
            owner: r.owner,
            state: r.state,
            last_used: r.last_used,
            asts_reserved: r.asts_reserved,
            inflight: r.inflight,
            migration_pending: r.migration_pending,
            refs: r.refs,
            refmap: r.refmap,
            lvb: r.lvb,
        })
        .collect();
    out.emit(&DlmLocksReport { resources: shown }, |r| r.resources.iter().map(render_dlm_lockres).collect())
}

/// debugfs.ocfs2's layout of one o2dlm lock resource.
fn render_dlm_lockres(r: &DlmLockresOut) -> String {
    let yes = |b: bool| if b { "Yes" } else { "No" };
    let words =
        |v: &[&str]| if v.is_empty() { "None".to_string() } else { v.iter().map(|w| format!("{w} ")).collect() };
    let mut s = format!("Lockres: {:<32}  Owner: {:<4} State: 0x{:x} ", r.name, r.owner, r.state);
    for n in &r.state_names {
        s.push_str(&format!("{n} "));
    }
    s.push_str(&format!(
        "\nLast Used: {:<5}  ASTs Reserved: {:<3}  Inflight: {:<3}  Migration Pending: {}\n\
         Refs: {:<3}  Locks: {:<3}  On Lists: {}\nReference Map: {}\n Lock-Queue  Node  Level  Conv  Cookie           Refs  AST  BAST  Pending-Action\n",
        r.last_used,
        r.asts_reserved,
        r.inflight,
        yes(r.migration_pending),
        r.refs,
        r.locks.len(),
        words(&r.on_lists),
        r.refmap
    ));
    for l in &r.locks {
        s.push_str(&format!(
            " {:<10}  {:<4}  {:<5}  {:<4}  {:<15}  {:<4}  {:<3}  {:<4}  {}\n",
            l.queue,
            l.node,
            l.level,
            l.convert,
            l.cookie,
            l.refs,
            yes(l.ast),
            yes(l.bast),
            words(&l.pending)
        ));
    }
    s.push_str(&render_owner(&r.lock_owner));
    s.push('\n');
    s
}

/// A block number: `N`, `0xN` or `<N>`.
fn block_arg(s: &str) -> Result<u64, CmdError> {
    let t = s.trim();
    let t = t.strip_prefix('<').and_then(|t| t.strip_suffix('>')).unwrap_or(t).trim();
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
    .ok_or_else(|| CmdError::msg(format!("{s}: not a block number")))
}

/// Not the library's `GroupInfo`: debugfs.ocfs2's column names, the chain index
/// and the bits in use added.
#[derive(Debug, Serialize)]
struct GroupFreeBits {
    /// The chain (index in the global bitmap's chain list).
    chain: usize,
    /// The group descriptor's block.
    blkno: u64,
    /// `bg_bits`: bits (clusters) in the group.
    total: u16,
    /// Bits in use.
    used: u16,
    /// `bg_free_bits_count`.
    free: u16,
    /// The longest run of free bits, counted from the bitmap.
    contig: u32,
    /// `bg_contig_free_bits`: the longest run as the kernel recorded it.
    recorded_contig: u16,
    /// `bg_size`: bytes of bitmap.
    size: u16,
}

/// `extent <BLK>`: one extent block, as `stat` shows those under an inode.
pub fn extent(vol: &Volume, out: &Out, blkno: &str) -> Result<(), CmdError> {
    let eb = extent_block(vol, block_arg(blkno)?)?;
    out.emit(&eb, render_extent_block)
}

pub fn gd_free_bits(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let blkno = vol.system_file(SystemFile::GLOBAL_BITMAP)?;
    let inode = vol.inode(blkno).map_err(|e| CmdError::at("//global_bitmap".into(), e))?;
    let chains = ocfs2_format::alloc::allocator_groups(vol, &inode)?;
    let mut rows = Vec::new();
    let mut text = String::new();
    for (chain, groups) in chains.iter().enumerate() {
        for (i, g) in groups.iter().enumerate() {
            if i == 0 {
                text.push_str(&format!(
                    "\tGroup Chain: {}   Parent Inode: {}  Generation: {}\n\tCRC32: {:08x}   ECC: {:04x}\n",
                    g.chain, g.parent, g.generation, g.check.0, g.check.1
                ));
                text.push_str(&format!(
                    "\t##   {:<15}   {:<6}   {:<6}   {:<6}   {:<6}   {:<6}   {:<6}\n",
                    "Block#", "Total", "Used", "Free", "Contig", "Disk-contig", "Size"
                ));
            }
            let used = g.bits.saturating_sub(g.free);
            text.push_str(&format!(
                "\t{:<2}   {:<15}   {:<6}   {:<6}   {:<6}   {:<6}   {:<11}   {:<6}\n",
                i, g.blkno, g.bits, used, g.free, g.contig_free, g.recorded_contig_free, g.size
            ));
            rows.push(GroupFreeBits {
                chain,
                blkno: g.blkno,
                total: g.bits,
                used,
                free: g.free,
                contig: g.contig_free,
                recorded_contig: g.recorded_contig_free,
                size: g.size,
            });
        }
    }
    out.emit(&GdFreeBitsReport { groups: rows }, |_| text.clone())
}
