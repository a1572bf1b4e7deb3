//! `cat`, `dump` and `rdump`: copy contents out. Only the output side is written;
//! the volume is opened read-only.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use ocfs2_format::fs::{read_dir, read_symlink, FileReader};
use ocfs2_format::layout::dinode::DinodeHeader;
use ocfs2_format::{Inode, Volume};
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::Out;

fn io_err(what: &Path, e: io::Error) -> CmdError {
    CmdError::msg(format!("{}: {e}", what.display()))
}

fn copy_to(vol: &Volume, inode: &Inode<'_>, w: &mut dyn Write) -> Result<u64, CmdError> {
    let mut r = FileReader::new(vol, inode)?;
    io::copy(&mut r, w).map_err(|e| CmdError::msg(format!("inode {}: {e}", inode.blkno())))
}

pub fn cat(vol: &Volume, spec: &str) -> Result<(), CmdError> {
    let inode = vol.inode(resolve(vol, spec)?).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    copy_to(vol, &inode, &mut lock)?;
    lock.flush().map_err(|e| CmdError::msg(e.to_string()))
}

/// Applies mode, owner and times to a written path (owner only when permitted).
fn preserve(path: &Path, h: &DinodeHeader, symlink: bool) -> Result<(), CmdError> {
    use std::os::unix::fs::{lchown, PermissionsExt};
    // chown fails for non-root users; keeping the data matters more than the owner.
    let _ = lchown(path, Some(h.i_uid.get()), Some(h.i_gid.get()));
    if !symlink {
        fs::set_permissions(path, fs::Permissions::from_mode(u32::from(h.i_mode.get() & 0o7777)))
            .map_err(|e| io_err(path, e))?;
        let t = |s: u64, ns: u32| std::time::UNIX_EPOCH + std::time::Duration::new(s, ns.min(999_999_999));
        let f = File::options().write(true).open(path).map_err(|e| io_err(path, e))?;
        let times = fs::FileTimes::new()
            .set_accessed(t(h.i_atime.get(), h.i_atime_nsec.get()))
            .set_modified(t(h.i_mtime.get(), h.i_mtime_nsec.get()));
        f.set_times(times).map_err(|e| io_err(path, e))?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct Dumped {
    inode: u64,
    path: String,
    bytes: u64,
}

pub fn dump(vol: &Volume, out: &Out, spec: &str, path: &Path, keep: bool) -> Result<(), CmdError> {
    let inode = vol.inode(resolve(vol, spec)?).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let mut f = File::create(path).map_err(|e| io_err(path, e))?;
    let bytes = copy_to(vol, &inode, &mut f)?;
    drop(f);
    if keep {
        preserve(path, inode.header(), false)?;
    }
    out.emit(&Dumped { inode: inode.blkno(), path: path.display().to_string(), bytes }, |_| String::new())
}

#[derive(Debug, Default, Serialize)]
struct RdumpSummary {
    files: u64,
    directories: u64,
    symlinks: u64,
    hard_links: u64,
    other: u64,
    bytes: u64,
}

/// Hard links are written as links to the first copy, as a restore would expect.
struct Rdump<'v> {
    vol: &'v Volume,
    verbose: bool,
    sum: RdumpSummary,
    first_path: std::collections::HashMap<u64, std::path::PathBuf>,
    seen_dirs: std::collections::HashSet<u64>,
}

impl Rdump<'_> {
    fn entry(&mut self, blkno: u64, target: &Path) -> Result<(), CmdError> {
        let inode = self.vol.inode(blkno).map_err(|e| CmdError::at(target.display().to_string(), e))?;
        let h = *inode.header();
        if self.verbose {
            eprintln!("{}", target.display());
        }
        if h.is_dir() {
            if !self.seen_dirs.insert(blkno) {
                return Err(CmdError::msg(format!(
                    "{}: directory inode {blkno} appears twice (a cycle)",
                    target.display()
                )));
            }
            match fs::create_dir(target) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && target.is_dir() => {}
                Err(e) => return Err(io_err(target, e)),
            }
            self.sum.directories += 1;
            for e in read_dir(self.vol, &inode).map_err(|e| CmdError::at(target.display().to_string(), e))? {
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                let name = OsStr::from_bytes(&e.name);
                if name.is_empty() || e.name.contains(&b'/') {
                    return Err(CmdError::msg(format!(
                        "{}: unsafe entry name {:?}",
                        target.display(),
                        String::from_utf8_lossy(&e.name)
                    )));
                }
                self.entry(e.inode, &target.join(name))?;
            }
            preserve(target, &h, false)?;
            return Ok(());
        }
        if h.links() > 1 {
            if let Some(first) = self.first_path.get(&blkno) {
                fs::hard_link(first, target).map_err(|e| io_err(target, e))?;
                self.sum.hard_links += 1;
                return Ok(());
            }
            self.first_path.insert(blkno, target.to_path_buf());
        }
        if h.is_symlink() {
            let link = read_symlink(self.vol, &inode)?;
            std::os::unix::fs::symlink(OsStr::from_bytes(&link), target).map_err(|e| io_err(target, e))?;
            preserve(target, &h, true)?;
            self.sum.symlinks += 1;
            return Ok(());
        }
        if h.file_type() != ocfs2_format::layout::dinode::mode::S_IFREG {
            // Devices, FIFOs and sockets need privileges to recreate; report them.
            self.sum.other += 1;
            return Ok(());
        }
        let mut f = File::create(target).map_err(|e| io_err(target, e))?;
        self.sum.bytes += copy_to(self.vol, &inode, &mut f)?;
        drop(f);
        preserve(target, &h, false)?;
        self.sum.files += 1;
        Ok(())
    }
}

pub fn rdump(vol: &Volume, out: &Out, spec: &str, outdir: &Path, verbose: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    if !outdir.is_dir() {
        return Err(CmdError::msg(format!("{}: not a directory", outdir.display())));
    }
    let name =
        spec.trim_end_matches('/').rsplit('/').next().filter(|n| !n.is_empty() && !n.starts_with('<')).unwrap_or(".");
    let target = if name == "." { outdir.to_path_buf() } else { outdir.join(name) };
    let mut r = Rdump {
        vol,
        verbose,
        sum: RdumpSummary::default(),
        first_path: Default::default(),
        seen_dirs: Default::default(),
    };
    r.entry(blkno, &target)?;
    out.emit(&r.sum, |s| {
        if out.json() {
            String::new()
        } else {
            format!(
                "{} files, {} directories, {} symlinks, {} hard links, {} others skipped, {} bytes\n",
                s.files, s.directories, s.symlinks, s.hard_links, s.other, s.bytes
            )
        }
    })
}
