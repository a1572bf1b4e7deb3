//! A thin stand-in for the library facade (`ocfs2_format::files`, FACADE-CONTRACT.md) while that
//! branch lands: the same names over the existing `ocfs2_format::fs` functions, so that switching
//! is deleting this file and its `use`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocfs2_format::fs::{self, FileReader, Span};
use ocfs2_format::layout::dinode::{dyn_features, mode};
use ocfs2_format::layout::xattr::{decode_acl, name_index, AclEntry};
use ocfs2_format::{Error, Result, Volume};

/// An inode's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown(u16),
}

impl FileType {
    fn from_mode(m: u16) -> Self {
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

    fn from_dirent(t: u8) -> Self {
        use ocfs2_format::layout::dir::file_type as ft;
        match t {
            ft::REG => FileType::File,
            ft::DIR => FileType::Dir,
            ft::SYMLINK => FileType::Symlink,
            ft::CHR => FileType::CharDevice,
            ft::BLK => FileType::BlockDevice,
            ft::FIFO => FileType::Fifo,
            ft::SOCK => FileType::Socket,
            other => FileType::Unknown(u16::from(other)),
        }
    }
}

/// What `stat` shows of an inode.
#[derive(Debug, Clone)]
pub struct Metadata {
    ino: u64,
    mode: u16,
    len: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    clusters: u64,
    cluster_bits: u32,
    blksize: u32,
    generation: u32,
    times: [(i64, u32); 3],
}

fn system_time((secs, nsec): (i64, u32)) -> SystemTime {
    let ns = Duration::from_nanos(u64::from(nsec.min(999_999_999)));
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()) + ns
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + ns
    }
}

impl Metadata {
    pub fn ino(&self) -> u64 {
        self.ino
    }
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn permissions(&self) -> u32 {
        u32::from(self.mode) & 0o7777
    }
    pub fn nlink(&self) -> u32 {
        self.nlink
    }
    pub fn uid(&self) -> u32 {
        self.uid
    }
    pub fn gid(&self) -> u32 {
        self.gid
    }
    pub fn rdev(&self) -> u64 {
        self.rdev
    }
    pub fn blocks(&self) -> u64 {
        self.clusters << (self.cluster_bits - 9)
    }
    pub fn blksize(&self) -> u64 {
        u64::from(self.blksize)
    }
    pub fn generation(&self) -> u32 {
        self.generation
    }
    pub fn accessed(&self) -> SystemTime {
        system_time(self.times[0])
    }
    pub fn modified(&self) -> SystemTime {
        system_time(self.times[1])
    }
    pub fn changed(&self) -> SystemTime {
        system_time(self.times[2])
    }
}

/// One directory entry.
#[derive(Debug, Clone)]
pub struct DirEntry {
    name: Vec<u8>,
    ino: u64,
    file_type: FileType,
}

impl DirEntry {
    pub fn name(&self) -> &[u8] {
        &self.name
    }
    pub fn ino(&self) -> u64 {
        self.ino
    }
    pub fn file_type(&self) -> FileType {
        self.file_type
    }
}

/// One extended attribute with its Linux name; ACLs in the Linux xattr form.
#[derive(Debug, Clone)]
pub struct XattrEntry {
    name: Vec<u8>,
    value: Vec<u8>,
}

impl XattrEntry {
    pub fn name(&self) -> &[u8] {
        &self.name
    }
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// Volume-wide counts, as the kernel's `ocfs2_statfs` reports them.
#[derive(Debug, Clone, Copy)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub blocks_free: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u32,
}

/// A file's bytes, readable at any offset from any thread.
#[derive(Debug)]
pub struct File {
    reader: FileReader<'static>,
}

impl File {
    pub fn len(&self) -> u64 {
        self.reader.size()
    }
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.reader.read_full_at(offset, buf)
    }
    /// SEEK_DATA: the first byte at or after `offset` that is stored; unwritten extents count as
    /// holes, as in the kernel's `ocfs2_seek_data_hole_offset`.
    pub fn next_data(&self, offset: u64) -> Option<u64> {
        self.seek(offset, true)
    }
    /// SEEK_HOLE: the first byte at or after `offset` in a hole, the end of the file counting as one.
    pub fn next_hole(&self, offset: u64) -> Option<u64> {
        self.seek(offset, false)
    }
    fn seek(&self, mut offset: u64, data: bool) -> Option<u64> {
        while let Some(span) = self.reader.span_at(offset) {
            if matches!(span, Span::Data { .. }) == data {
                return Some(offset);
            }
            offset += span.len();
        }
        (!data && offset <= self.len()).then_some(self.len())
    }
}

/// The facade's methods, on the existing functions.
pub trait VolumeExt {
    fn metadata_ino(&self, ino: u64) -> Result<Metadata>;
    fn read_dir_ino(&self, ino: u64) -> Result<Vec<DirEntry>>;
    fn lookup_in(&self, dir: u64, name: &[u8]) -> Result<u64>;
    fn read_link_ino(&self, ino: u64) -> Result<Vec<u8>>;
    fn xattrs_ino(&self, ino: u64) -> Result<Vec<XattrEntry>>;
    fn statfs(&self) -> Result<StatFs>;
}

/// Opens a file for reading; the volume lives as long as the daemon.
pub fn open_file_ino(vol: &'static Volume, ino: u64) -> Result<File> {
    let inode = vol.inode(ino)?;
    Ok(File { reader: FileReader::new(vol, &inode)? })
}

impl VolumeExt for Volume {
    fn metadata_ino(&self, ino: u64) -> Result<Metadata> {
        let inode = self.inode(ino)?;
        let h = inode.header();
        let geo = self.geometry();
        Ok(Metadata {
            ino,
            mode: h.i_mode.get(),
            len: h.i_size.get(),
            nlink: h.links(),
            uid: h.i_uid.get(),
            gid: h.i_gid.get(),
            rdev: h.rdev(),
            clusters: u64::from(h.i_clusters.get()),
            cluster_bits: geo.cluster_bits,
            blksize: geo.block_size,
            generation: h.i_generation.get(),
            times: [
                (h.i_atime.get() as i64, h.i_atime_nsec.get()),
                (h.i_mtime.get() as i64, h.i_mtime_nsec.get()),
                (h.i_ctime.get() as i64, h.i_ctime_nsec.get()),
            ],
        })
    }

    fn read_dir_ino(&self, ino: u64) -> Result<Vec<DirEntry>> {
        let dir = self.inode(ino)?;
        Ok(fs::read_dir(self, &dir)?
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .map(|e| DirEntry { file_type: FileType::from_dirent(e.file_type), name: e.name, ino: e.inode })
            .collect())
    }

    fn lookup_in(&self, dir: u64, name: &[u8]) -> Result<u64> {
        let d = self.inode(dir)?;
        if !d.header().is_dir() {
            return Err(Error::Invalid(format!("inode {dir} is not a directory")));
        }
        let found = if d.header().has_dyn(dyn_features::INDEXED_DIR) {
            fs::dx_lookup(self, &d, name)?
        } else {
            fs::read_dir(self, &d)?.into_iter().find(|e| e.name == name).map(|e| e.inode)
        };
        found.ok_or_else(|| Error::NotFound(String::from_utf8_lossy(name).into_owned()))
    }

    fn read_link_ino(&self, ino: u64) -> Result<Vec<u8>> {
        fs::read_symlink(self, &self.inode(ino)?)
    }

    fn xattrs_ino(&self, ino: u64) -> Result<Vec<XattrEntry>> {
        let set = fs::read_xattrs(self, &self.inode(ino)?)?;
        Ok(set
            .attrs
            .into_iter()
            .map(|a| {
                let value = match a.index {
                    name_index::POSIX_ACL_ACCESS | name_index::POSIX_ACL_DEFAULT => {
                        decode_acl(&a.value).map(|e| acl_xattr(&e)).unwrap_or(a.value.clone())
                    }
                    _ => a.value.clone(),
                };
                XattrEntry { name: a.full_name(), value }
            })
            .collect())
    }

    fn statfs(&self) -> Result<StatFs> {
        let gb = self.inode(self.system_file("global_bitmap")?)?;
        let bm = gb.header().bitmap1();
        let geo = self.geometry();
        let total = u64::from(bm.i_total.get());
        let free = total.saturating_sub(u64::from(bm.i_used.get()));
        let per = 1u64 << (geo.cluster_bits - geo.block_bits);
        Ok(StatFs {
            block_size: geo.block_size,
            blocks: total * per,
            blocks_free: free * per,
            files: total,
            files_free: free,
            name_max: 255,
        })
    }
}

/// The Linux `posix_acl_xattr` form: a le32 version 2, then `{le16 tag, le16 perm, le32 id}` with
/// id -1 (ACL_UNDEFINED_ID) on the entries that name no user or group.
fn acl_xattr(entries: &[AclEntry]) -> Vec<u8> {
    use ocfs2_format::layout::xattr::acl_tag;
    let mut out = 2u32.to_le_bytes().to_vec();
    for e in entries {
        let id = if matches!(e.tag, acl_tag::USER | acl_tag::GROUP) { e.id } else { u32::MAX };
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.perm.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// The errno a failure shows as through the mount.
pub fn errno(e: &Error) -> i32 {
    match e {
        Error::NotFound(_) => libc::ENOENT,
        Error::Invalid(_) => libc::EINVAL,
        Error::Unsupported { .. } => libc::EOPNOTSUPP,
        _ => libc::EIO,
    }
}
