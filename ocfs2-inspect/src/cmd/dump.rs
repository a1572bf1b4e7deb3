//! `cat`, `dump` and `rdump`: copy contents out. Only the output side is written;
//! the volume is opened read-only.
//!
//! Files stream through one [`MAX_READ`] buffer whatever their size. Copies into
//! regular files are sparse: holes and unwritten extents are skipped, not
//! written as zeros (the bytes read back the same).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::CString;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::write::EncoderWriter;
use indicatif::{ProgressBar, ProgressStyle};
use ocfs2_format::fs::MAX_READ;
use ocfs2_format::layout::dinode::DinodeHeader;
use ocfs2_format::layout::xattr::name_index;
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

fn io_err(what: &Path, e: io::Error) -> CmdError {
    CmdError::msg(format!("{}: {e}", what.display()))
}

fn read_err(inode: u64) -> impl Fn(ocfs2_format::Error) -> CmdError {
    move |e| CmdError::at(format!("inode {inode}"), e)
}

/// A read error of the inode being copied to `path`, naming both.
fn read_err_at(path: &Path, inode: u64) -> impl Fn(ocfs2_format::Error) -> CmdError + '_ {
    move |e| CmdError::at(format!("{} (inode {inode})", path.display()), e)
}

/// An open file of the volume (the library's facade).
type VolFile<'v> = ocfs2_format::File<&'v Volume>;

/// Streams a file's bytes to `w` (stdout: zero runs are written out).
fn copy_stream(r: &VolFile<'_>, w: &mut dyn Write) -> Result<u64, CmdError> {
    let inode = r.ino();
    let mut buf = vec![0u8; MAX_READ];
    let mut off = 0u64;
    loop {
        let n = r.read_at(off, &mut buf).map_err(read_err(inode))?;
        if n == 0 {
            return Ok(off);
        }
        match w.write_all(&buf[..n]) {
            Ok(()) => {}
            // The reader went away (`cat ... | head`): stop quietly, as cat(1) does.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(off),
            Err(e) => return Err(CmdError::msg(format!("writing inode {inode}: {e}"))),
        }
        off += n as u64;
    }
}

/// Copies a file's bytes into the regular file `f`, leaving holes and unwritten
/// extents as holes. With `shared`, stretches of shared (reflinked) clusters
/// that an earlier copy holds are copied from it; returns the bytes copied
/// and how many of them came from earlier copies.
fn copy_sparse(
    r: &VolFile<'_>,
    f: &File,
    path: &Path,
    buf: &mut [u8],
    shared: Option<&mut SharedCopies>,
) -> Result<(u64, u64), CmdError> {
    let runs = match shared {
        Some(_) => shared_runs(r),
        None => Vec::new(),
    };
    let mut reused = 0;
    let mut next = r.next_data(0);
    while let Some(mut off) = next {
        let end = r.next_hole(off).unwrap_or(r.len());
        while off < end {
            if let Some(n) = shared.as_deref().and_then(|s| s.copy(&runs, off, end, f)) {
                (off, reused) = (off + n, reused + n);
                continue;
            }
            // Up to the next shared run, which an earlier copy may hold.
            let next_run = runs.get(runs.partition_point(|run| run.logical <= off));
            let stop = next_run.map_or(end, |run| run.logical.min(end));
            let want = (stop - off).min(buf.len() as u64) as usize;
            let n = r.read_at(off, &mut buf[..want]).map_err(read_err_at(path, r.ino()))?;
            if n == 0 {
                break;
            }
            f.write_all_at(&buf[..n], off).map_err(|e| io_err(path, e))?;
            off += n as u64;
        }
        next = r.next_data(end);
    }
    f.set_len(r.len()).map_err(|e| io_err(path, e))?;
    if let Some(s) = shared {
        s.remember(&runs, path);
    }
    Ok((r.len(), reused))
}

/// A stretch of a file in clusters it may share with other files (a
/// reflink), within the file's size.
#[derive(Debug, Clone, Copy)]
struct SharedRun {
    logical: u64,
    physical: u64,
    len: u64,
}

/// `r`'s refcounted data runs, in file order.
fn shared_runs(r: &VolFile<'_>) -> Vec<SharedRun> {
    r.runs()
        .into_iter()
        .filter_map(|run| match run {
            ocfs2_format::Run::Data { logical, physical, len, refcounted: true } if logical < r.len() => {
                Some(SharedRun { logical, physical, len: len.min(r.len() - logical) })
            }
            _ => None,
        })
        .collect()
}

/// Shared runs an rdump remembers at most (each a path and three numbers).
const SHARED_COPIES_MAX: usize = 1 << 18;

/// The shared (reflinked) clusters an rdump has copied: volume byte offset ->
/// (bytes, the copy holding them, offset in it). A later file sharing them is
/// copied from that copy by the kernel (`copy_file_range`, which shares the
/// blocks where the output filesystem can, as btrfs and XFS do) instead of
/// being read from the volume again: reflinked VM images are read once.
#[derive(Debug, Default)]
struct SharedCopies(BTreeMap<u64, (u64, PathBuf, u64)>);

impl SharedCopies {
    /// Where an earlier copy holds the `len` bytes at volume offset `physical`.
    fn find(&self, physical: u64, len: u64) -> Option<(&Path, u64)> {
        let (&start, (have, path, at)) = self.0.range(..=physical).next_back()?;
        (physical + len <= start + have).then(|| (path.as_path(), at + (physical - start)))
    }

    /// Copies the bytes from `off` to the end of the shared run holding it
    /// (or `end`) into `f` from an earlier copy, if one holds them all;
    /// returns the count. Any failure leaves them to be read from the volume.
    fn copy(&self, runs: &[SharedRun], off: u64, end: u64, f: &File) -> Option<u64> {
        // Runs are in file order: the last starting at or before `off`.
        let run = runs[..runs.partition_point(|run| run.logical <= off)].last()?;
        if off >= run.logical + run.len {
            return None;
        }
        let n = (run.logical + run.len).min(end) - off;
        let (from, at) = self.find(run.physical + (off - run.logical), n)?;
        // O_NOATIME: reading the earlier copy must not change the atime rdump gave it.
        let src = File::options().read(true).custom_flags(libc::O_NOATIME).open(from).ok()?;
        let (mut src, mut dst) = (&src, f);
        src.seek(SeekFrom::Start(at)).ok()?;
        dst.seek(SeekFrom::Start(off)).ok()?;
        (io::copy(&mut src.take(n), &mut dst).ok()? == n).then_some(n)
    }

    /// Records that `path` now holds `runs` (those no earlier copy holds), up
    /// to [`SHARED_COPIES_MAX`] in all: past it later sharers are read from
    /// the volume again.
    fn remember(&mut self, runs: &[SharedRun], path: &Path) {
        for run in runs {
            if self.0.len() < SHARED_COPIES_MAX && self.find(run.physical, run.len).is_none() {
                self.0.insert(run.physical, (run.len, path.to_path_buf(), run.logical));
            }
        }
    }
}

/// Makes room for a new non-directory at `path`: removes a file or symlink
/// already there (a directory there is an error). Creating afresh, rather than
/// truncating, never writes through a symlink that happens to sit at `path`.
fn clear_path(path: &Path) -> Result<(), CmdError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(CmdError::msg(format!("{}: a directory is in the way", path.display()))),
        Ok(_) => fs::remove_file(path).map_err(|e| io_err(path, e)),
        Err(_) => Ok(()),
    }
}

/// Creates the regular file `path` (replacing a file already there) with `mode`
/// less the umask: 0600 until [`preserve`] runs, or 0666 as debugfs.ocfs2 `dump`
/// without `-p`.
fn create_file(path: &Path, mode: u32) -> Result<File, CmdError> {
    clear_path(path)?;
    File::options()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| io_err(path, e))
}

/// `cat SPEC`: a regular file's bytes on stdout. Like debugfs.ocfs2, anything
/// else (directory, symlink, device) is refused; `dump` copies those. With
/// `--json`, one object `{"inode", "size", "base64"}`: the bytes are streamed
/// through the encoder, never held whole.
pub fn cat(vol: &Volume, out: &Out, spec: &str) -> Result<(), CmdError> {
    let meta = vol.metadata_ino(resolve(vol, spec)?).map_err(|e| CmdError::at(spec.to_string(), e))?;
    if !meta.is_file() {
        return Err(CmdError::msg(format!("{spec}: not a regular file (inode {})", meta.ino())));
    }
    let r = vol.open_file_ino(meta.ino()).map_err(read_err(meta.ino()))?;
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    let written = if out.json() {
        // The base64 alphabet needs no JSON escapes.
        let head = format!("{{\n  \"inode\": {},\n  \"size\": {},\n  \"base64\": \"", r.ino(), r.len());
        match lock.write_all(head.as_bytes()) {
            Ok(()) => {
                let mut enc = EncoderWriter::new(&mut lock, &STANDARD);
                copy_stream(&r, &mut enc)?;
                enc.finish().and_then(|w| w.write_all(b"\"\n}\n"))
            }
            Err(e) => Err(e),
        }
    } else {
        copy_stream(&r, &mut lock)?;
        Ok(())
    };
    match written.and_then(|()| lock.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CmdError::msg(e.to_string())),
        _ => Ok(()),
    }
}

/// Applies owner, times and mode to a written path, in that order: chown clears
/// set-id bits, so the mode comes last. The owner is set only when permitted (root).
/// Symlinks get their owner and times (their mode is fixed).
fn preserve(path: &Path, h: &DinodeHeader, symlink: bool) -> Result<(), CmdError> {
    use std::os::unix::fs::{lchown, PermissionsExt};
    // chown fails for non-root users; keeping the data matters more than the owner.
    let _ = lchown(path, Some(h.i_uid.get()), Some(h.i_gid.get()));
    if symlink {
        return symlink_times(path, h);
    }
    // A time the host cannot represent (a corrupt inode) is left unset, never a panic.
    let t = |s: u64, ns: u32| std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(s, ns.min(999_999_999)));
    // futimens needs ownership, not write access: a read-only handle works for
    // files and directories alike (O_NOFOLLOW: never touch what a symlink names).
    let f = File::options().read(true).custom_flags(libc::O_NOFOLLOW).open(path).map_err(|e| io_err(path, e))?;
    let mut times = fs::FileTimes::new();
    if let Some(a) = t(h.i_atime.get(), h.i_atime_nsec.get()) {
        times = times.set_accessed(a);
    }
    if let Some(m) = t(h.i_mtime.get(), h.i_mtime_nsec.get()) {
        times = times.set_modified(m);
    }
    f.set_times(times).map_err(|e| io_err(path, e))?;
    f.set_permissions(fs::Permissions::from_mode(u32::from(h.i_mode.get() & 0o7777))).map_err(|e| io_err(path, e))?;
    Ok(())
}

/// Sets a symlink's own atime and mtime (`utimensat` with `AT_SYMLINK_NOFOLLOW`:
/// std has no call that leaves the link unfollowed). A time the host cannot
/// represent (a corrupt inode) is left unset.
#[allow(unsafe_code)] // libc: std has no call for this
fn symlink_times(path: &Path, h: &DinodeHeader) -> Result<(), CmdError> {
    let ts = |s: u64, ns: u32| match libc::time_t::try_from(s) {
        Ok(sec) => libc::timespec { tv_sec: sec, tv_nsec: libc::c_long::from(ns.min(999_999_999)) },
        Err(_) => libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT },
    };
    let times = [ts(h.i_atime.get(), h.i_atime_nsec.get()), ts(h.i_mtime.get(), h.i_mtime_nsec.get())];
    let p = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| CmdError::msg(format!("{}: a NUL in the path", path.display())))?;
    // SAFETY: the path is NUL-terminated and `times` holds the two entries
    // utimensat reads; both live across the call.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, p.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io_err(path, io::Error::last_os_error()))
    }
}

/// Makes a symlink at `path` to `target`, replacing a file already there
/// (debugfs.ocfs2 `dump` does the same).
fn make_symlink(target: &[u8], path: &Path) -> Result<(), CmdError> {
    clear_path(path)?;
    std::os::unix::fs::symlink(OsStr::from_bytes(target), path).map_err(|e| io_err(path, e))
}

#[derive(Debug, Serialize)]
struct Dumped {
    /// The inode copied.
    inode: u64,
    /// Where it was written.
    path: String,
    /// Bytes written (a symlink: the target's length).
    bytes: u64,
    /// The copy is a symlink (the inode is one).
    symlink: bool,
}

pub fn dump(vol: &Volume, out: &Out, spec: &str, path: &Path, keep: bool) -> Result<(), CmdError> {
    let meta = vol.metadata_ino(resolve(vol, spec)?).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let ino = meta.ino();
    let (bytes, symlink) = if meta.is_symlink() {
        let link = vol.read_link_ino(ino).map_err(read_err(ino))?;
        make_symlink(&link, path)?;
        (link.len() as u64, true)
    } else {
        // A directory is copied as stored, as debugfs.ocfs2 does.
        let r = vol.open_raw_ino(ino).map_err(read_err(ino))?;
        let f = create_file(path, if keep { 0o600 } else { 0o666 })?;
        let (bytes, _) = copy_sparse(&r, &f, path, &mut vec![0u8; MAX_READ], None)?;
        drop(f);
        (bytes, false)
    };
    if keep {
        preserve(path, meta.header(), symlink)?;
    }
    out.emit(&Dumped { inode: ino, path: path.display().to_string(), bytes, symlink }, |_| String::new())
}

#[derive(Debug, Default, Serialize)]
struct RdumpSummary {
    /// Where the tree was written (OUTDIR itself when the spec names the root).
    target: String,
    /// Regular files written.
    files: u64,
    /// Directories made.
    directories: u64,
    /// Symlinks made.
    symlinks: u64,
    /// Hard links made (further names of an inode already written).
    hard_links: u64,
    /// Device nodes, FIFOs and sockets, which are not recreated (as debugfs.ocfs2).
    other: u64,
    /// Bytes of file data written.
    bytes: u64,
    /// Of `bytes`, those in clusters shared with a file copied earlier (a
    /// reflink), copied from that copy instead of read from the volume again.
    shared_bytes: u64,
    /// `user.*` extended attributes set on the copies.
    xattrs_restored: u64,
    /// Attributes of other namespaces (`system.`, `trusted.`, `security.`), not
    /// restored.
    xattrs_skipped: u64,
    /// `user.*` attributes that could not be set, counted by errno name
    /// (`unreadable` when the volume's xattr storage could not be read).
    xattr_failures: BTreeMap<String, u64>,
    /// Paths that could not be copied (each named on stderr); the rest were.
    failed: u64,
}

/// The name of an errno for the failure counts.
fn errno_name(e: &io::Error) -> String {
    let n = e.raw_os_error().unwrap_or(0);
    let name = match n {
        libc::EOPNOTSUPP => "ENOTSUP",
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::ENOSPC => "ENOSPC",
        libc::EDQUOT => "EDQUOT",
        libc::E2BIG => "E2BIG",
        libc::ERANGE => "ERANGE",
        libc::EINVAL => "EINVAL",
        libc::EROFS => "EROFS",
        _ => return format!("errno {n}"),
    };
    name.to_string()
}

/// Sets one extended attribute on `path` itself (never through a symlink).
#[allow(unsafe_code)] // libc: std has no call for this
fn set_xattr(path: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    let invalid = || io::Error::from_raw_os_error(libc::EINVAL);
    let p = CString::new(path.as_os_str().as_bytes()).map_err(|_| invalid())?;
    let n = CString::new(name).map_err(|_| invalid())?;
    // SAFETY: both strings are NUL-terminated and live across the call; the value
    // pointer and length describe one live slice.
    let rc = unsafe { libc::lsetxattr(p.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[derive(Debug, Clone, Copy)]
enum Verbose {
    Stdout,
    Stderr,
}

/// A recursive copy. Inodes with more than one link are copied once and every
/// further name becomes a hard link to that copy, as a restore would expect.
struct Rdump<'v> {
    vol: &'v Volume,
    /// Print each path as it is written: on stdout like debugfs.ocfs2, or on
    /// stderr when stdout carries the JSON document.
    verbose: Option<Verbose>,
    sum: RdumpSummary,
    first_path: HashMap<u64, PathBuf>,
    seen_dirs: HashSet<u64>,
    /// The one copy buffer ([`MAX_READ`] bytes).
    buf: Vec<u8>,
    shared: SharedCopies,
    /// The target refused user xattrs (ENOTSUP): warned once, no further tries.
    xattrs_unsupported: bool,
    /// Files and bytes so far, on a terminal's stderr.
    progress: Option<ProgressBar>,
}

impl Rdump<'_> {
    /// Restores `inode`'s `user.*` attributes on the copy at `target` (a regular
    /// file or a directory: Linux allows user xattrs on nothing else). Runs before
    /// [`preserve`], whose mode may forbid writing. Failures are counted, not
    /// fatal: the data matters more.
    fn xattrs(&mut self, ino: u64, target: &Path) {
        let attrs = match self.vol.xattrs_ino(ino) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ocfs2-inspect: warning: {}: xattrs not read: {e}", target.display());
                *self.sum.xattr_failures.entry("unreadable".to_string()).or_default() += 1;
                return;
            }
        };
        for x in &attrs {
            if x.name_index() != name_index::USER {
                self.sum.xattrs_skipped += 1;
                continue;
            }
            if self.xattrs_unsupported {
                *self.sum.xattr_failures.entry("ENOTSUP".to_string()).or_default() += 1;
                continue;
            }
            match set_xattr(target, x.name(), x.value()) {
                Ok(()) => self.sum.xattrs_restored += 1,
                Err(e) => {
                    let name = errno_name(&e);
                    if name == "ENOTSUP" {
                        self.xattrs_unsupported = true;
                        eprintln!(
                            "ocfs2-inspect: warning: {}: the target filesystem does not support user xattrs; \
                             they are not restored",
                            target.display()
                        );
                    }
                    *self.sum.xattr_failures.entry(name).or_default() += 1;
                }
            }
        }
    }

    fn entry(&mut self, blkno: u64, target: &Path) -> Result<(), CmdError> {
        let meta = self.vol.metadata_ino(blkno).map_err(|e| CmdError::at(target.display().to_string(), e))?;
        match self.verbose {
            Some(Verbose::Stdout) => println!("{}", target.display()),
            Some(Verbose::Stderr) => eprintln!("{}", target.display()),
            None => {}
        }
        if meta.is_dir() {
            match fs::DirBuilder::new().mode(0o700).create(target) {
                Ok(()) => {}
                // Merge into a directory that is already there, never through a symlink.
                Err(e)
                    if e.kind() == io::ErrorKind::AlreadyExists
                        && fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) => {}
                Err(e) => return Err(io_err(target, e)),
            }
            self.contents(blkno, target)?;
            self.xattrs(blkno, target);
            return preserve(target, meta.header(), false);
        }
        if meta.nlink() > 1 {
            if let Some(first) = self.first_path.get(&blkno) {
                clear_path(target)?;
                fs::hard_link(first, target).map_err(|e| io_err(target, e))?;
                self.sum.hard_links += 1;
                return Ok(());
            }
            self.first_path.insert(blkno, target.to_path_buf());
        }
        if meta.is_symlink() {
            let link = self.vol.read_link_ino(blkno).map_err(read_err_at(target, blkno))?;
            make_symlink(&link, target)?;
            preserve(target, meta.header(), true)?;
            self.sum.symlinks += 1;
            return Ok(());
        }
        if !meta.is_file() {
            // Devices, FIFOs and sockets need privileges to recreate; count them.
            self.sum.other += 1;
            return Ok(());
        }
        let r = self.vol.open_file_ino(blkno).map_err(read_err_at(target, blkno))?;
        let f = create_file(target, 0o600)?;
        let (bytes, reused) = copy_sparse(&r, &f, target, &mut self.buf, Some(&mut self.shared))?;
        self.sum.bytes += bytes;
        self.sum.shared_bytes += reused;
        drop(f);
        self.xattrs(blkno, target);
        preserve(target, meta.header(), false)?;
        self.sum.files += 1;
        if let Some(p) = &self.progress {
            p.set_message(format!("{} files copied, {} bytes", self.sum.files, self.sum.bytes));
        }
        Ok(())
    }

    /// Copies the entries of directory `dir` into the existing directory `target`.
    fn contents(&mut self, dir: u64, target: &Path) -> Result<(), CmdError> {
        if !self.seen_dirs.insert(dir) {
            return Err(CmdError::msg(format!("{}: directory inode {dir} appears twice (a cycle)", target.display())));
        }
        self.sum.directories += 1;
        let at = |e| CmdError::at(target.display().to_string(), e);
        // Read whole before copying: a directory that fails part-way copies nothing.
        let list = self.vol.read_dir_ino(dir).map_err(at)?.collect::<Result<Vec<_>, _>>().map_err(at)?;
        self.vol.prefetch_metadata(&list);
        for e in list {
            let name = e.name();
            if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
                self.failed(CmdError::msg(format!(
                    "{}: unsafe entry name {:?}",
                    target.display(),
                    String::from_utf8_lossy(name)
                )));
                continue;
            }
            if let Err(err) = self.entry(e.ino(), &target.join(e.file_name())) {
                self.failed(err);
            }
        }
        Ok(())
    }

    /// A path that could not be copied (its error names it): said now, counted,
    /// and the copy goes on.
    fn failed(&mut self, e: CmdError) {
        let say = || eprintln!("ocfs2-inspect: {e} (not copied)");
        match &self.progress {
            Some(p) => p.suspend(say),
            None => say(),
        }
        self.sum.failed += 1;
    }
}

/// `rdump SPEC OUTDIR`, as debugfs.ocfs2: the inode SPEC names is copied to
/// `OUTDIR/<last component of SPEC>` (`<N>` specs keep that text as the name). When
/// SPEC has no last component (`/`, `//`, `.`, `..`), the directory's entries are
/// copied straight into OUTDIR, whose own mode and times are left alone.
/// (debugfs.ocfs2 1.8.7 fails on `rdump / OUTDIR` with "File exists while making
/// directory OUTDIR/".)
pub fn rdump(vol: &Volume, out: &Out, spec: &str, outdir: &Path, verbose: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    match fs::metadata(outdir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(CmdError::msg(format!("{}: not a directory", outdir.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CmdError::msg(format!("{}: the output directory does not exist", outdir.display())))
        }
        Err(e) => return Err(io_err(outdir, e)),
    }
    let name = spec.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    // Progress only on a terminal, never beside JSON or the -v listing.
    let progress = (!verbose && !out.json() && io::stderr().is_terminal()).then(|| {
        let p = ProgressBar::new_spinner();
        p.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        p.enable_steady_tick(std::time::Duration::from_millis(200));
        p
    });
    let verbose = verbose.then_some(if out.json() { Verbose::Stderr } else { Verbose::Stdout });
    let mut r = Rdump {
        vol,
        verbose,
        sum: RdumpSummary::default(),
        first_path: HashMap::new(),
        seen_dirs: HashSet::new(),
        buf: vec![0u8; MAX_READ],
        shared: SharedCopies::default(),
        xattrs_unsupported: false,
        progress,
    };
    if matches!(name, "" | "." | "..") {
        let meta = vol.metadata_ino(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
        if !meta.is_dir() {
            return Err(CmdError::msg(format!("{spec}: not a directory")));
        }
        r.sum.target = outdir.display().to_string();
        r.contents(blkno, outdir)?;
        // OUTDIR's own mode and times are left alone, but the root's attributes
        // belong to the tree.
        r.xattrs(blkno, outdir);
    } else {
        let target = outdir.join(name);
        r.sum.target = target.display().to_string();
        r.entry(blkno, &target)?;
    }
    if let Some(p) = &r.progress {
        p.finish_and_clear();
    }
    out.emit(&r.sum, |s| {
        let mut t = format!(
            "{}: {} files, {} directories, {} symlinks, {} hard links, {} others skipped, {} bytes, \
             {} user xattrs restored",
            s.target, s.files, s.directories, s.symlinks, s.hard_links, s.other, s.bytes, s.xattrs_restored
        );
        if s.xattrs_skipped > 0 {
            t.push_str(&format!(", {} system/trusted/security xattrs not restored", s.xattrs_skipped));
        }
        if s.shared_bytes > 0 {
            t.push_str(&format!(", {} bytes of shared extents copied from their first copy", s.shared_bytes));
        }
        if !s.xattr_failures.is_empty() {
            let f: Vec<String> = s.xattr_failures.iter().map(|(k, v)| format!("{k} x{v}")).collect();
            t.push_str(&format!(", xattr failures: {}", f.join(", ")));
        }
        if s.failed > 0 {
            t.push_str(&format!(", {} not copied", s.failed));
        }
        t.push('\n');
        t
    })?;
    match r.sum.failed {
        0 => Ok(()),
        n => Err(CmdError::msg(format!("{n} paths could not be copied (named above)"))),
    }
}
