//! [`Metadata`] and [`FileType`]: an inode's attributes as `stat(2)` gives them.

use std::time::{Duration, SystemTime};

use crate::layout::dinode::{dyn_features, mode, DinodeHeader};
use crate::layout::dir::file_type as dirent;
use crate::volume::{Geometry, Inode};

/// The type of an inode, from its mode or from a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// Anything else: the mode's type bits (`mode & S_IFMT`) for an inode, the
    /// entry's `file_type` byte for a directory entry (0 when the writer did not
    /// record one).
    Unknown(u16),
}

impl FileType {
    /// The type encoded in `mode`'s `S_IFMT` bits.
    pub fn from_mode(m: u16) -> Self {
        match m & mode::S_IFMT {
            mode::S_IFREG => FileType::File,
            mode::S_IFDIR => FileType::Dir,
            mode::S_IFLNK => FileType::Symlink,
            mode::S_IFCHR => FileType::CharDevice,
            mode::S_IFBLK => FileType::BlockDevice,
            mode::S_IFIFO => FileType::Fifo,
            mode::S_IFSOCK => FileType::Socket,
            other => FileType::Unknown(other),
        }
    }

    /// The type a directory entry's `file_type` byte records.
    pub fn from_dirent(t: u8) -> Self {
        match t {
            dirent::REG => FileType::File,
            dirent::DIR => FileType::Dir,
            dirent::SYMLINK => FileType::Symlink,
            dirent::CHR => FileType::CharDevice,
            dirent::BLK => FileType::BlockDevice,
            dirent::FIFO => FileType::Fifo,
            dirent::SOCK => FileType::Socket,
            other => FileType::Unknown(u16::from(other)),
        }
    }

    /// The `file_type` byte a directory entry records for this type
    /// (`OCFS2_FT_*`, the inverse of [`FileType::from_dirent`]); `Unknown(t)`
    /// gives `t`'s low byte, which is the entry's own byte when the type came
    /// from an entry.
    pub fn dirent_byte(&self) -> u8 {
        match *self {
            FileType::File => dirent::REG,
            FileType::Dir => dirent::DIR,
            FileType::Symlink => dirent::SYMLINK,
            FileType::CharDevice => dirent::CHR,
            FileType::BlockDevice => dirent::BLK,
            FileType::Fifo => dirent::FIFO,
            FileType::Socket => dirent::SOCK,
            FileType::Unknown(t) => t.to_le_bytes()[0],
        }
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        *self == FileType::File
    }
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        *self == FileType::Dir
    }
    /// Whether this is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        *self == FileType::Symlink
    }
}

/// An inode's attributes, read once: what `stat(2)` on the mounted volume shows,
/// plus the OCFS2-only facts (dynamic features, generation, where the inode was
/// allocated, where its xattrs and refcount tree live).
///
/// Values are those on disk; nothing is fetched again after the [`Metadata`] is
/// made.
#[derive(Debug, Clone)]
pub struct Metadata {
    ino: u64,
    h: DinodeHeader,
    block_size: u32,
    cluster_size: u32,
    cluster_bits: u32,
}

impl Metadata {
    pub(crate) fn new(inode: &Inode<'_>, geo: &Geometry) -> Self {
        Metadata {
            ino: inode.blkno(),
            h: *inode.header(),
            block_size: geo.block_size,
            cluster_size: geo.cluster_size,
            cluster_bits: geo.cluster_bits,
        }
    }

    /// The inode number (the block holding the inode), `st_ino`.
    pub fn ino(&self) -> u64 {
        self.ino
    }
    /// The type, from the mode.
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.h.i_mode.get())
    }
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type().is_dir()
    }
    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.file_type().is_file()
    }
    /// Whether this is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.file_type().is_symlink()
    }
    /// The size in bytes (`i_size`, `st_size`); a symlink's is its target's length.
    pub fn len(&self) -> u64 {
        self.h.i_size.get()
    }
    /// Whether the size is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `st_mode`: the type bits and the permission bits.
    pub fn mode(&self) -> u32 {
        u32::from(self.h.i_mode.get())
    }
    /// The permission bits (`mode & 0o7777`: rwx for owner, group, others, and
    /// setuid, setgid, sticky).
    pub fn permissions(&self) -> u32 {
        self.mode() & 0o7777
    }
    /// The link count (`i_links_count` with its high 16 bits), `st_nlink`.
    pub fn nlink(&self) -> u32 {
        self.h.links()
    }
    /// The owner, `st_uid`.
    pub fn uid(&self) -> u32 {
        self.h.i_uid.get()
    }
    /// The group, `st_gid`.
    pub fn gid(&self) -> u32 {
        self.h.i_gid.get()
    }
    /// The device number of a character or block device, in the encoding of
    /// glibc's `makedev` (`st_rdev`); 0 for other types. OCFS2 stores the
    /// kernel's 32-bit form (`huge_encode_dev`).
    pub fn rdev(&self) -> u64 {
        if !matches!(self.file_type(), FileType::CharDevice | FileType::BlockDevice) {
            return 0;
        }
        let dev = self.h.rdev() as u32; // huge_decode_dev keeps the low 32 bits
        let major = u64::from((dev & 0xfff00) >> 8);
        let minor = u64::from((dev & 0xff) | ((dev >> 12) & 0xfff00));
        ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12)
    }
    /// Space allocated to the data, in 512-byte units (`st_blocks`): the kernel
    /// counts `i_clusters` only, so inline files, fast symlinks and xattr storage
    /// count 0.
    pub fn blocks(&self) -> u64 {
        u64::from(self.h.i_clusters.get()) << (self.cluster_bits - 9)
    }
    /// The preferred I/O size, `st_blksize`: the cluster size, as the kernel
    /// reports it.
    pub fn blksize(&self) -> u32 {
        self.cluster_size
    }
    /// Clusters allocated to the data (`i_clusters`).
    pub fn clusters(&self) -> u32 {
        self.h.i_clusters.get()
    }
    /// The volume's block size (the unit of [`Metadata::ino`]).
    pub fn block_size(&self) -> u32 {
        self.block_size
    }
    /// Last access, `st_atime` (with nanoseconds).
    pub fn accessed(&self) -> SystemTime {
        time(self.atime())
    }
    /// Last data change, `st_mtime` (with nanoseconds).
    pub fn modified(&self) -> SystemTime {
        time(self.mtime())
    }
    /// Last inode change, `st_ctime` (with nanoseconds).
    pub fn changed(&self) -> SystemTime {
        time(self.ctime())
    }
    /// `i_atime` and `i_atime_nsec` as stored (seconds since the epoch).
    pub fn atime(&self) -> (i64, u32) {
        (self.h.i_atime.get() as i64, self.h.i_atime_nsec.get())
    }
    /// `i_mtime` and `i_mtime_nsec` as stored.
    pub fn mtime(&self) -> (i64, u32) {
        (self.h.i_mtime.get() as i64, self.h.i_mtime_nsec.get())
    }
    /// `i_ctime` and `i_ctime_nsec` as stored.
    pub fn ctime(&self) -> (i64, u32) {
        (self.h.i_ctime.get() as i64, self.h.i_ctime_nsec.get())
    }
    /// Deletion time (`i_dtime`, seconds; OCFS2 keeps no nanoseconds for it), 0
    /// on a live inode.
    pub fn dtime(&self) -> u64 {
        self.h.i_dtime.get()
    }
    /// Whether the data lives in the inode block: inline data (dynamic feature
    /// `InlineData`), or a fast symlink's target.
    pub fn is_inline(&self) -> bool {
        self.h.has_dyn(dyn_features::INLINE_DATA) || (self.is_symlink() && self.h.i_clusters.get() == 0)
    }
    /// Whether the file has holes: fewer clusters allocated than its size
    /// spans (unwritten extents are allocated, so they are not holes). Never true
    /// for inline data.
    pub fn is_sparse(&self) -> bool {
        if self.is_inline() {
            return false;
        }
        let spanned = self.len().div_ceil(u64::from(self.cluster_size));
        u64::from(self.h.i_clusters.get()) < spanned
    }
    /// `i_generation`: the NFS generation of this inode number.
    pub fn generation(&self) -> u32 {
        self.h.i_generation.get()
    }
    /// `i_dyn_features` (see [`crate::layout::dinode::dyn_features`]).
    pub fn dyn_features(&self) -> u16 {
        self.h.i_dyn_features.get()
    }
    /// `i_flags` (see [`crate::layout::dinode::flags`]).
    pub fn flags(&self) -> u32 {
        self.h.i_flags.get()
    }
    /// `i_attr`: the chattr flags (immutable, append-only, ...).
    pub fn attr(&self) -> u32 {
        self.h.i_attr.get()
    }
    /// Bytes at the end of the inode block holding inline xattrs, when the inode
    /// has them (dynamic feature `InlineXattr`).
    pub fn xattr_inline(&self) -> Option<u16> {
        self.h.has_dyn(dyn_features::INLINE_XATTR).then(|| self.h.i_xattr_inline_size.get())
    }
    /// The xattr block (`i_xattr_loc`), if any.
    pub fn xattr_block(&self) -> Option<u64> {
        Some(self.h.i_xattr_loc.get()).filter(|&b| b != 0)
    }
    /// The refcount tree's root block (`i_refcount_loc`) of a reflinked file.
    pub fn refcount_root(&self) -> Option<u64> {
        Some(self.h.i_refcount_loc.get()).filter(|&b| self.h.has_dyn(dyn_features::HAS_REFCOUNT) && b != 0)
    }
    /// The slot whose inode allocator holds this inode (`i_suballoc_slot`);
    /// `None` for the global allocator (0xffff).
    pub fn suballoc_slot(&self) -> Option<u16> {
        Some(self.h.i_suballoc_slot.get()).filter(|&s| s != crate::layout::dinode::SUBALLOC_GLOBAL)
    }
    /// The inode's bit in its allocator group (`i_suballoc_bit`).
    pub fn suballoc_bit(&self) -> u16 {
        self.h.i_suballoc_bit.get()
    }
    /// The whole on-disk header, for what the accessors leave out.
    pub fn header(&self) -> &DinodeHeader {
        &self.h
    }
}

/// A time pair as [`SystemTime`]; nanoseconds past a second carry into it, and
/// a value the platform cannot hold is the epoch (on Linux any 64-bit second
/// count fits).
pub(crate) fn time((secs, nsec): (i64, u32)) -> SystemTime {
    let base = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    base.and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nsec)))).unwrap_or(SystemTime::UNIX_EPOCH)
}
