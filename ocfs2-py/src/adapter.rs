//! A thin stand-in for the library facade (`ocfs2_format::files`, being built on its own branch), named
//! like its contract so that switching to it is mechanical: the bindings call only these methods.
//! To be deleted once the facade lands.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocfs2_format::fs::{self, ExtentMap, FileReader};
use ocfs2_format::layout::dinode::{dyn_features, mode, Id2};
use ocfs2_format::layout::xattr::{decode_acl, name_index, AclEntry};
use ocfs2_format::{Error, Result, Volume};

/// The type of an inode, from its mode bits.
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

    pub fn is_dir(self) -> bool {
        self == FileType::Dir
    }

    pub fn is_symlink(self) -> bool {
        self == FileType::Symlink
    }
}

/// One live directory entry.
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

/// An inode's attributes.
#[derive(Debug, Clone)]
pub struct Metadata {
    ino: u64,
    mode: u16,
    size: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    blocks: u64,
    blksize: u32,
    atime: (i64, u32),
    mtime: (i64, u32),
    ctime: (i64, u32),
    generation: u32,
    flags: u32,
    dyn_features: u16,
}

#[allow(dead_code)] // the contract's full surface; the bindings use most of it
impl Metadata {
    pub fn ino(&self) -> u64 {
        self.ino
    }
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }
    pub fn len(&self) -> u64 {
        self.size
    }
    pub fn mode(&self) -> u32 {
        u32::from(self.mode)
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
        self.blocks
    }
    pub fn blksize(&self) -> u32 {
        self.blksize
    }
    pub fn atime(&self) -> (i64, u32) {
        self.atime
    }
    pub fn mtime(&self) -> (i64, u32) {
        self.mtime
    }
    pub fn ctime(&self) -> (i64, u32) {
        self.ctime
    }
    pub fn modified(&self) -> SystemTime {
        let (s, n) = self.mtime;
        UNIX_EPOCH + Duration::new(s.max(0) as u64, n)
    }
    pub fn generation(&self) -> u32 {
        self.generation
    }
    pub fn flags(&self) -> u32 {
        self.flags
    }
    pub fn dyn_features(&self) -> u16 {
        self.dyn_features
    }
    pub fn is_inline(&self) -> bool {
        self.dyn_features & dyn_features::INLINE_DATA != 0
    }
}

/// One extended attribute, named as Linux names it.
#[derive(Debug, Clone)]
pub struct XattrEntry {
    name: Vec<u8>,
    value: Vec<u8>,
    acl: Option<Vec<AclEntry>>,
}

impl XattrEntry {
    pub fn name(&self) -> &[u8] {
        &self.name
    }
    pub fn value(&self) -> &[u8] {
        &self.value
    }
    pub fn acl(&self) -> Option<&[AclEntry]> {
        self.acl.as_deref()
    }
}

/// A run of a file's bytes.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    Data { logical: u64, physical: u64, len: u64, refcounted: bool },
    Unwritten { logical: u64, physical: u64, len: u64 },
    Hole { logical: u64, len: u64 },
}

/// An open file: reads at any offset, from any thread.
#[derive(Debug)]
pub struct File<V> {
    vol: V,
    ino: u64,
    len: u64,
}

impl File<Arc<Volume>> {
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn ino(&self) -> u64 {
        self.ino
    }
    /// Reads at `offset`; 0 at the end. The stand-in reloads the extent map per call (the facade
    /// keeps it).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.vol.inode(self.ino)?;
        FileReader::new(&self.vol, &inode)?.read_full_at(offset, buf)
    }
    pub fn runs(&self) -> Result<Vec<Run>> {
        let inode = self.vol.inode(self.ino)?;
        let geo = self.vol.geometry();
        let (cs, bs) = (u64::from(geo.cluster_size), u64::from(geo.block_size));
        let map = match inode.dinode().id2()? {
            Id2::Extents(_) => ExtentMap::load(&self.vol, &inode)?,
            _ if self.len == 0 => return Ok(Vec::new()),
            _ => {
                return Ok(vec![Run::Data {
                    logical: 0,
                    physical: inode.blkno() * bs,
                    len: self.len,
                    refcounted: false,
                }])
            }
        };
        let mut out = Vec::new();
        let mut at = 0u64;
        for e in map.extents() {
            let logical = u64::from(e.cpos) * cs;
            if logical >= self.len {
                break;
            }
            if logical > at {
                out.push(Run::Hole { logical: at, len: logical - at });
            }
            let len = (u64::from(e.clusters) * cs).min(self.len - logical);
            let physical = e.blkno * bs;
            out.push(if e.is_unwritten() {
                Run::Unwritten { logical, physical, len }
            } else {
                Run::Data { logical, physical, len, refcounted: e.flags & 0x2 != 0 }
            });
            at = logical + len;
        }
        if at < self.len {
            out.push(Run::Hole { logical: at, len: self.len - at });
        }
        Ok(out)
    }
}

/// The facade's methods, as an extension of [`Volume`].
pub trait Files {
    fn lookup_in(&self, dir_ino: u64, name: &[u8]) -> Result<u64>;
    fn read_dir_ino(&self, ino: u64) -> Result<Vec<DirEntry>>;
    fn metadata_ino(&self, ino: u64) -> Result<Metadata>;
    fn read_link_ino(&self, ino: u64) -> Result<Vec<u8>>;
    fn xattrs_ino(&self, ino: u64) -> Result<Vec<XattrEntry>>;
    fn open_file_ino_arc(self: &Arc<Self>, ino: u64) -> Result<File<Arc<Volume>>>;
    fn deleted_entries_ino(&self, ino: u64) -> Result<Vec<fs::DeletedEntry>>;
}

impl Files for Volume {
    fn lookup_in(&self, dir_ino: u64, name: &[u8]) -> Result<u64> {
        let dir = self.inode(dir_ino)?;
        if !dir.header().is_dir() {
            return Err(Error::Invalid(format!("inode {dir_ino} is not a directory")));
        }
        let found = if dir.header().has_dyn(dyn_features::INDEXED_DIR) {
            fs::dx_lookup(self, &dir, name)?
        } else {
            fs::read_dir(self, &dir)?.into_iter().find(|e| e.name == name).map(|e| e.inode)
        };
        found.ok_or_else(|| Error::NotFound(String::from_utf8_lossy(name).into_owned()))
    }

    fn read_dir_ino(&self, ino: u64) -> Result<Vec<DirEntry>> {
        let dir = self.inode(ino)?;
        Ok(fs::read_dir(self, &dir)?
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .map(|e| DirEntry { file_type: FileType::from_dirent(e.file_type), name: e.name, ino: e.inode })
            .collect())
    }

    fn metadata_ino(&self, ino: u64) -> Result<Metadata> {
        let inode = self.inode(ino)?;
        let h = inode.header();
        let geo = self.geometry();
        let time = |s: u64, n: u32| (s as i64, n);
        Ok(Metadata {
            ino,
            mode: h.i_mode.get(),
            size: h.i_size.get(),
            nlink: h.links(),
            uid: h.i_uid.get(),
            gid: h.i_gid.get(),
            rdev: h.rdev(),
            blocks: u64::from(h.i_clusters.get()) << (geo.cluster_bits - 9),
            blksize: geo.cluster_size,
            atime: time(h.i_atime.get(), h.i_atime_nsec.get()),
            mtime: time(h.i_mtime.get(), h.i_mtime_nsec.get()),
            ctime: time(h.i_ctime.get(), h.i_ctime_nsec.get()),
            generation: h.i_generation.get(),
            flags: h.i_flags.get(),
            dyn_features: h.i_dyn_features.get(),
        })
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
                let name = a.full_name();
                let is_acl = matches!(a.index, name_index::POSIX_ACL_ACCESS | name_index::POSIX_ACL_DEFAULT);
                let acl = if is_acl { decode_acl(&a.value) } else { None };
                // Linux's xattr form of an ACL: a version-2 header before the entries OCFS2 stores bare
                // (a bare ACL starts with its USER_OBJ entry, tag 1, so it never reads as the header).
                let value = if acl.is_some() && !a.value.starts_with(&2u32.to_le_bytes()) {
                    [&2u32.to_le_bytes()[..], &a.value].concat()
                } else {
                    a.value
                };
                XattrEntry { name, value, acl }
            })
            .collect())
    }

    fn open_file_ino_arc(self: &Arc<Self>, ino: u64) -> Result<File<Arc<Volume>>> {
        let inode = self.inode(ino)?;
        let len = FileReader::new(self, &inode)?.size();
        Ok(File { vol: Arc::clone(self), ino, len })
    }

    fn deleted_entries_ino(&self, ino: u64) -> Result<Vec<fs::DeletedEntry>> {
        fs::deleted_entries(self, &self.inode(ino)?)
    }
}
