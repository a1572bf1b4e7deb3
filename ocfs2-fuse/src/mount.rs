//! The FUSE filesystem: each request answered from the library's read-only view of the volume.
//!
//! Inode numbers are OCFS2 inode block numbers, stable across mounts, except the root, which FUSE
//! calls 1 (block 1 never holds an inode). Nothing here can change the volume: every request that
//! would write answers EROFS, and the mount is read-only besides.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    AccessFlags, Errno, FileAttr, FileHandle, FileType as FuseType, Filesystem, FopenFlags, Generation, INodeNo,
    InitFlags, KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyLseek, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request,
    TimeOrNow, WriteFlags,
};
use ocfs2_format::fs::{read_dir_partial, DirEntryInfo};
use ocfs2_format::layout::dinode::dyn_features;
use ocfs2_format::{Error, File, FileType, Metadata, Volume};

/// How long the kernel may keep attributes and names: the volume cannot change under a read-only
/// mount of an image (a shared device written by live nodes is another matter: `-o ttl=0`).
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// Distinct damaged places logged; past this, damage is still answered with EIO but not logged.
const MAX_LOGGED: usize = 4096;

/// Inodes whose metadata the daemon keeps (a few hundred bytes each).
const MAX_CACHED: usize = 16384;

/// Mount-wide settings from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Owner shown for every inode instead of the stored one (`-o uid=`).
    pub uid: Option<u32>,
    /// Group shown for every inode instead of the stored one (`-o gid=`).
    pub gid: Option<u32>,
    /// Attribute and entry cache lifetime in the kernel.
    pub ttl: Duration,
}

/// An open file or directory.
#[derive(Debug)]
enum Handle {
    File(Arc<File<Arc<Volume>>>),
    /// The entries as read at `opendir`, so that a listing in several calls is consistent and
    /// each call does not read the directory again.
    Dir(Arc<Vec<(u64, FuseType, Vec<u8>)>>),
}

/// The filesystem served to the kernel.
#[derive(Debug)]
pub struct Ocfs2Fs {
    vol: Arc<Volume>,
    root: u64,
    settings: Settings,
    handles: Mutex<HashMap<u64, Handle>>,
    next_fh: AtomicU64,
    logged: Mutex<HashSet<(u64, &'static str)>>,
    /// Metadata by inode: `ls -l` asks each file for its attributes and then for an xattr
    /// (`security.selinux`), which the kernel does not cache; the second request then costs no
    /// read. Emptied when full; not used with `ttl=0` (a device that live nodes still write).
    cached: Mutex<HashMap<u64, Metadata>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these maps half-updated: every update is one insert or remove.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ocfs2Fs {
    /// Serves `vol`.
    pub fn new(vol: Arc<Volume>, settings: Settings) -> Self {
        Ocfs2Fs {
            root: vol.root_blkno(),
            vol,
            settings,
            handles: Mutex::new(HashMap::new()),
            next_fh: AtomicU64::new(1),
            logged: Mutex::new(HashSet::new()),
            cached: Mutex::new(HashMap::new()),
        }
    }

    /// The OCFS2 inode (block number) behind a FUSE inode number.
    fn blkno(&self, ino: INodeNo) -> u64 {
        if ino.0 == 1 {
            self.root
        } else {
            ino.0
        }
    }

    /// The FUSE inode number of an OCFS2 inode; `None` for block 1, which a damaged entry
    /// alone can name (it would alias the root).
    fn fuse_ino(&self, blkno: u64) -> Option<INodeNo> {
        match blkno {
            b if b == self.root => Some(INodeNo::ROOT),
            1 => None,
            b => Some(INodeNo(b)),
        }
    }

    /// The errno for `e`, logging damage once per block and field (and I/O errors always), with
    /// what was being done.
    fn fail(&self, what: &str, blkno: u64, e: &Error) -> Errno {
        match e {
            Error::NotFound(_) | Error::NotADirectory(_) | Error::IsADirectory(_) | Error::Invalid { .. } => {}
            Error::Corrupt(c) => {
                let mut seen = lock(&self.logged);
                if seen.len() < MAX_LOGGED && seen.insert((c.blkno, c.field)) {
                    log::error!("{what} of inode {blkno}: damaged metadata: {e}");
                }
            }
            _ => log::error!("{what} of inode {blkno}: {e}"),
        }
        Errno::from_i32(e.errno())
    }

    fn attr(&self, m: &Metadata) -> Result<FileAttr, Errno> {
        let Some(kind) = fuse_type(m.file_type()) else {
            let e = Error::corrupt(m.ino(), "ocfs2_dinode", "i_mode", "a file type", format!("{:#o}", m.mode()));
            return Err(self.fail("stat", m.ino(), &e));
        };
        // Cluster offsets are 32-bit: no file reaches past 2^32 clusters. A larger size is damage,
        // and a reader would never reach its end.
        let max = 1u64 << (32 + self.vol.geometry().cluster_bits);
        if m.len() > max {
            let e = Error::corrupt(m.ino(), "ocfs2_dinode", "i_size", format!("<= {max} (2^32 clusters)"), m.len());
            return Err(self.fail("stat", m.ino(), &e));
        }
        let ino = self.fuse_ino(m.ino()).ok_or(Errno::EIO)?;
        Ok(FileAttr {
            ino,
            size: m.len(),
            blocks: m.blocks(),
            atime: m.accessed(),
            mtime: m.modified(),
            ctime: m.changed(),
            crtime: SystemTime::UNIX_EPOCH,
            kind,
            perm: m.permissions() as u16,
            nlink: m.nlink(),
            uid: self.settings.uid.unwrap_or(m.uid()),
            gid: self.settings.gid.unwrap_or(m.gid()),
            rdev: kernel_dev(m.rdev()),
            blksize: m.blksize(),
            flags: 0,
        })
    }

    fn metadata(&self, blkno: u64) -> ocfs2_format::Result<Metadata> {
        if self.settings.ttl.is_zero() {
            return self.vol.metadata_ino(blkno);
        }
        if let Some(m) = lock(&self.cached).get(&blkno) {
            return Ok(m.clone());
        }
        let m = self.vol.metadata_ino(blkno)?;
        let mut cached = lock(&self.cached);
        if cached.len() >= MAX_CACHED {
            cached.clear();
        }
        cached.insert(blkno, m.clone());
        Ok(m)
    }

    /// `read` of the inode's extended attributes, or none (`T::default()`) without reading more
    /// than its cached metadata when it has none.
    fn xattrs_with<T: Default>(
        &self,
        blkno: u64,
        read: impl FnOnce(&Volume, u64) -> ocfs2_format::Result<T>,
    ) -> ocfs2_format::Result<T> {
        if self.metadata(blkno)?.dyn_features() & dyn_features::HAS_XATTR == 0 {
            return Ok(T::default());
        }
        read(&self.vol, blkno)
    }

    fn stat(&self, blkno: u64) -> Result<(FileAttr, Generation), Errno> {
        let m = self.metadata(blkno).map_err(|e| self.fail("stat", blkno, &e))?;
        Ok((self.attr(&m)?, Generation(u64::from(m.generation()))))
    }

    fn add_handle(&self, h: Handle) -> FileHandle {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        lock(&self.handles).insert(fh, h);
        FileHandle(fh)
    }

    fn file(&self, fh: FileHandle) -> Option<Arc<File<Arc<Volume>>>> {
        match lock(&self.handles).get(&fh.0) {
            Some(Handle::File(f)) => Some(f.clone()),
            _ => None,
        }
    }

    /// The image does not change: the kernel may keep pages and listings across opens (not with
    /// ttl=0, for a device other nodes still write).
    fn keep_cache(&self) -> FopenFlags {
        if self.settings.ttl.is_zero() {
            FopenFlags::empty()
        } else {
            FopenFlags::FOPEN_KEEP_CACHE
        }
    }

    fn kind_of(&self, e: &DirEntryInfo) -> FuseType {
        // An entry without a type (or with a bad one) gets its inode's; failing that the listing
        // still names it, and stat on it answers EIO.
        fuse_type(FileType::from_dirent(e.file_type))
            .or_else(|| self.metadata(e.inode).ok().and_then(|m| fuse_type(m.file_type())))
            .unwrap_or(FuseType::RegularFile)
    }
}

impl Filesystem for Ocfs2Fs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Large sequential reads: let the kernel read ahead as far as it will.
        let _ = config.set_max_readahead(1 << 20);
        // The kernel then checks ACLs as a kernel mount would, and caches them: `ls -l` asks each
        // file for its access ACL, which would otherwise be one request per file every time.
        let _ = config.add_capabilities(InitFlags::FUSE_POSIX_ACL);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let dir = self.blkno(parent);
        let found = match self.vol.lookup_in(dir, name.as_bytes()) {
            Ok(b) => b,
            Err(e) => return reply.error(self.fail("lookup", dir, &e)),
        };
        if self.fuse_ino(found).is_none() {
            let e = Error::corrupt(dir, "ocfs2_dir_entry", "inode", "an inode block", found);
            return reply.error(self.fail("lookup", dir, &e));
        }
        match self.stat(found) {
            Ok((attr, generation)) => reply.entry(&self.settings.ttl, &attr, generation),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.stat(self.blkno(ino)) {
            Ok((attr, _)) => reply.attr(&self.settings.ttl, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let blkno = self.blkno(ino);
        match self.vol.read_link_ino(blkno) {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(self.fail("readlink", blkno, &e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY || flags.0 & libc::O_TRUNC != 0 {
            return reply.error(Errno::EROFS);
        }
        let blkno = self.blkno(ino);
        match self.vol.open_file_ino_arc(blkno) {
            Ok(f) => reply.opened(self.add_handle(Handle::File(Arc::new(f))), self.keep_cache()),
            Err(e) => reply.error(self.fail("open", blkno, &e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let Some(f) = self.file(fh) else { return reply.error(Errno::EBADF) };
        let want = (size as u64).min(f.len().saturating_sub(offset)) as usize;
        let mut buf = vec![0u8; want];
        match f.read_full_at(offset, &mut buf) {
            Ok(n) => reply.data(&buf[..n]),
            Err(e) => reply.error(self.fail("read", self.blkno(ino), &e)),
        }
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        lock(&self.handles).remove(&fh.0);
        reply.ok();
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _owner: LockOwner, reply: ReplyEmpty) {
        reply.ok();
    }

    fn fsync(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        reply.ok();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let blkno = self.blkno(ino);
        // `..` as its entry says (the kernel answers `..` lookups itself; this is only the listing's
        // d_ino), the directory itself when that entry cannot be read.
        let parent = if blkno == self.root { self.root } else { self.vol.lookup_in(blkno, b"..").unwrap_or(blkno) };
        // Partial: a damaged block costs its own entries (and a log line), not the directory's.
        let listing = self.vol.inode(blkno).and_then(|d| read_dir_partial(&self.vol, &d));
        match listing {
            Ok((entries, errors)) => {
                for e in &errors {
                    self.fail("readdir", blkno, e);
                }
                let mut list = Vec::with_capacity(entries.len());
                list.push((ino.0, FuseType::Directory, b".".to_vec()));
                list.push((self.fuse_ino(parent).map_or(ino.0, |i| i.0), FuseType::Directory, b"..".to_vec()));
                for e in entries.iter().filter(|e| e.name != b"." && e.name != b"..") {
                    // A damaged entry naming block 1 would alias the root: listed, but its
                    // lookup answers EIO.
                    let i = self.fuse_ino(e.inode).map_or(u64::MAX, |i| i.0);
                    list.push((i, self.kind_of(e), e.name.clone()));
                }
                reply.opened(self.add_handle(Handle::Dir(Arc::new(list))), self.keep_cache())
            }
            Err(e) => reply.error(self.fail("readdir", blkno, &e)),
        }
    }

    fn readdir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let list = match lock(&self.handles).get(&fh.0) {
            Some(Handle::Dir(l)) => l.clone(),
            _ => return reply.error(Errno::EBADF),
        };
        // Offsets are positions in the listing plus one: the kernel passes back the last one it took.
        for (i, (ino, kind, name)) in list.iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(*ino), i as u64 + 1, *kind, OsStr::from_bytes(name)) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _flags: OpenFlags, reply: ReplyEmpty) {
        lock(&self.handles).remove(&fh.0);
        reply.ok();
    }

    fn fsyncdir(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        match self.vol.statfs() {
            Ok(s) => reply.statfs(
                s.blocks,
                s.blocks_free,
                s.blocks_free,
                s.files,
                s.files_free,
                s.block_size,
                s.name_max,
                s.fragment_size,
            ),
            Err(e) => reply.error(self.fail("statfs", self.root, &e)),
        }
    }

    fn getxattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        let blkno = self.blkno(ino);
        // Only the value asked for is read: one value out of reach (a block an o2image file does
        // not hold) costs that name, not the others.
        let value = match self.xattrs_with(blkno, |v, b| v.getxattr_ino(b, name.as_bytes())) {
            Ok(v) => v,
            Err(e) => return reply.error(self.fail("getxattr", blkno, &e)),
        };
        match value {
            // An unlabelled file answers as a filesystem without SELinux labels does. `ls -l` asks
            // every file for its label; on "not supported" it stops asking for the rest of the
            // device (coreutils keeps that per st_dev), which takes a listing of 5,000 names from
            // 5,000 requests to one. Labelled files still answer; getfattr lists names first.
            None if name.as_bytes() == b"security.selinux" => reply.error(Errno::EOPNOTSUPP),
            None => reply.error(Errno::NO_XATTR),
            Some(v) => sized(reply, size, &v),
        }
    }

    fn listxattr(&self, req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        let blkno = self.blkno(ino);
        match self.xattrs_with(blkno, Volume::xattr_names_ino) {
            Ok(names) => {
                let mut list = Vec::new();
                // As local filesystems list them: `trusted.` names only to root (the kernel
                // refuses their values to others anyway).
                for n in names.iter().filter(|n| req.uid() == 0 || !n.starts_with(b"trusted.")) {
                    list.extend_from_slice(n);
                    list.push(0);
                }
                sized(reply, size, &list)
            }
            Err(e) => reply.error(self.fail("listxattr", blkno, &e)),
        }
    }

    fn access(&self, _req: &Request, _ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        if mask.contains(AccessFlags::W_OK) {
            reply.error(Errno::EROFS)
        } else {
            reply.ok()
        }
    }

    fn lseek(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: i64, whence: i32, reply: ReplyLseek) {
        let Some(f) = self.file(fh) else { return reply.error(Errno::EBADF) };
        let Ok(off) = u64::try_from(offset) else { return reply.error(Errno::ENXIO) };
        let found = match whence {
            libc::SEEK_DATA => f.next_data(off),
            libc::SEEK_HOLE => f.next_hole(off),
            // The kernel answers SEEK_SET, SEEK_CUR and SEEK_END itself.
            _ => return reply.error(Errno::EINVAL),
        };
        match found {
            Some(o) => reply.offset(o as i64),
            None => reply.error(Errno::ENXIO),
        }
    }

    // Every request that would change the volume.

    fn setattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mknod(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mkdir(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, _mode: u32, _umask: u32, reply: ReplyEntry) {
        reply.error(Errno::EROFS);
    }

    fn unlink(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn rmdir(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn symlink(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, _target: &std::path::Path, reply: ReplyEntry) {
        reply.error(Errno::EROFS);
    }

    fn rename(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _newparent: INodeNo,
        _newname: &OsStr,
        _flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn link(&self, _req: &Request, _ino: INodeNo, _newparent: INodeNo, _newname: &OsStr, reply: ReplyEntry) {
        reply.error(Errno::EROFS);
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        reply.error(Errno::EROFS);
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn create(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        reply.error(Errno::EROFS);
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _length: u64,
        _mode: i32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }
}

/// FUSE's name for a file type; `None` for bits that name no type.
fn fuse_type(t: FileType) -> Option<FuseType> {
    Some(match t {
        FileType::File => FuseType::RegularFile,
        FileType::Dir => FuseType::Directory,
        FileType::Symlink => FuseType::Symlink,
        FileType::CharDevice => FuseType::CharDevice,
        FileType::BlockDevice => FuseType::BlockDevice,
        FileType::Fifo => FuseType::NamedPipe,
        FileType::Socket => FuseType::Socket,
        FileType::Unknown(_) => return None,
    })
}

/// A `st_rdev` (glibc's `makedev` encoding) in the kernel's 32-bit form, which FUSE carries.
fn kernel_dev(dev: u64) -> u32 {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// Answers a getxattr/listxattr: the size when asked for it (`size` 0), ERANGE when the caller's
/// buffer is too small.
fn sized(reply: ReplyXattr, size: u32, data: &[u8]) {
    if size == 0 {
        reply.size(data.len() as u32)
    } else if (size as usize) < data.len() {
        reply.error(Errno::ERANGE)
    } else {
        reply.data(data)
    }
}
