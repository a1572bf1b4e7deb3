//! The native half of the `ocfs2` Python package (`ocfs2._ocfs2`): a read-only OCFS2 volume from a
//! path or any Python file object, with an API shaped like `os` and `io`. The pure-Python half
//! (`python/ocfs2/__init__.py`) adds the `io.RawIOBase` file class and `walk`.
//!
//! Every call into the library runs with the GIL released (`Python::detach`); a volume read from a
//! Python file object takes it back only around that object's `seek` and `read`.
#![forbid(unsafe_code)]

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ocfs2_format::cluster::{JournalState as LibJournalState, Liveness, Region, SlotMap, DEFAULT_SECTOR_SIZE};
use ocfs2_format::files::{File, FileType, Metadata};
use ocfs2_format::io::Access;
use ocfs2_format::{check, forensics, OpenOptions, Volume};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFrozenSet, PyInt, PyIterator, PyList, PyString};

mod errors;
mod source;
mod types;

use errors::{err, CorruptError, NotOcfs2Error, Ocfs2Error, UnsupportedError};
use types::{AclEntry, DeletedEntry, DeletedInode, Extent, Finding, HeartbeatSlot, JournalState, StatResult, Xattr};

/// A path inside the volume, an inode number, or a `DirEntry` this volume's `scandir` made.
enum Target {
    Path {
        bytes: Vec<u8>,
        as_bytes: bool,
    },
    Ino(u64),
    /// The entry's path, and the inode its record names (a symlink's own inode).
    Entry {
        path: Vec<u8>,
        ino: u64,
        symlink: bool,
        as_bytes: bool,
    },
}

/// How a target becomes an inode: its number is known, or its path is looked up.
enum Via<'a> {
    Ino(u64),
    Path(&'a [u8]),
}

impl Target {
    /// Whether names come back as bytes.
    fn as_bytes(&self) -> bool {
        matches!(self, Target::Path { as_bytes: true, .. } | Target::Entry { as_bytes: true, .. })
    }

    /// An entry names its inode without a lookup: its record was read from the volume, which never
    /// changes while open (read-only), so looking its path up again would find the same inode. Only a
    /// symlink entry to be followed needs its path.
    fn via(&self, follow: Follow) -> Via<'_> {
        match self {
            Target::Ino(i) => Via::Ino(*i),
            Target::Path { bytes, .. } => Via::Path(bytes),
            Target::Entry { path, symlink: true, .. } if matches!(follow, Follow::Always) => Via::Path(path),
            Target::Entry { ino, .. } => Via::Ino(*ino),
        }
    }
}

/// A directory's entries (no `.` and `..`) as owned name, inode and type.
fn dir_entries(vol: &Volume, ino: u64) -> ocfs2_format::Result<Vec<(Vec<u8>, u64, FileType)>> {
    vol.read_dir_ino(ino)?.map(|e| e.map(|e| (e.name().to_vec(), e.ino(), e.file_type()))).collect()
}

/// `os.fsencode(os.fspath(obj))`, and whether the caller gave bytes (names are then returned as bytes).
fn fs_path(obj: &Bound<'_, PyAny>) -> PyResult<(Vec<u8>, bool)> {
    let os = obj.py().import("os")?;
    let p = os.call_method1("fspath", (obj,))?;
    let as_bytes = p.is_instance_of::<PyBytes>();
    let b = os.call_method1("fsencode", (p,))?;
    Ok((b.cast::<PyBytes>()?.as_bytes().to_vec(), as_bytes))
}

/// A name or path for Python: bytes, or str as `os.fsdecode` makes it.
fn py_name<'py>(py: Python<'py>, name: &[u8], as_bytes: bool) -> PyResult<Bound<'py, PyAny>> {
    if as_bytes {
        return Ok(PyBytes::new(py, name).into_any());
    }
    match std::str::from_utf8(name) {
        Ok(s) => Ok(PyString::new(py, s).into_any()),
        Err(_) => py.import("os")?.call_method1("fsdecode", (PyBytes::new(py, name),)),
    }
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// An open OCFS2 volume (read-only). `Volume(source, *, offset=0, backup=None, direct=False)`: `source`
/// is a path (image, `.zst` image or block device) or a file object with `seek` and `read` (or
/// `readinto`). Paths inside the volume are absolute (`/a/b`), `str` or `bytes`; `//name` is a system
/// file. Methods that take a path also take an inode number, or a `DirEntry` from `scandir` (no lookup:
/// its inode is known). A volume can be shared between threads.
#[pyclass(subclass, frozen, module = "ocfs2", name = "Volume")]
#[derive(Debug)]
struct PyVolume {
    vol: Mutex<Option<Arc<Volume>>>,
}

impl PyVolume {
    fn vol(&self) -> PyResult<Arc<Volume>> {
        self.vol
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| PyValueError::new_err("I/O operation on a closed volume"))
    }

    /// Runs `f` on the volume with the GIL released.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Arc<Volume>) -> Result<T, ocfs2_format::Error> + Send,
    ) -> PyResult<T> {
        let vol = self.vol()?;
        py.detach(|| f(&vol)).map_err(err(py))
    }

    /// What `obj` names: an `int` is an inode number, a `DirEntry` of this volume an entry (of another
    /// volume, only its path counts), anything else a path (`os.fspath`).
    fn target(&self, obj: &Bound<'_, PyAny>) -> PyResult<Target> {
        if obj.is_instance_of::<PyInt>() {
            return Ok(Target::Ino(obj.extract()?));
        }
        if let Ok(e) = obj.cast::<DirEntry>() {
            let e = e.get();
            if Arc::ptr_eq(&e.vol, &self.vol()?) {
                let (path, ino, as_bytes) = (e.path.clone(), e.ino, e.as_bytes);
                return Ok(Target::Entry { path, ino, symlink: e.file_type.is_symlink(), as_bytes });
            }
        }
        let (bytes, as_bytes) = fs_path(obj)?;
        Ok(Target::Path { bytes, as_bytes })
    }

    /// The inode a target names: through every symlink (`Always`), all but a last one (`Parents`), or
    /// none (`Never`, as the inspector's lookup).
    fn ino(&self, py: Python<'_>, target: &Target, follow: Follow) -> PyResult<u64> {
        match target.via(follow) {
            Via::Ino(i) => Ok(i),
            Via::Path(bytes) => self.run(py, |v| match follow {
                Follow::Always => Ok(v.metadata(bytes)?.ino()),
                Follow::Parents => Ok(v.symlink_metadata(bytes)?.ino()),
                Follow::Never => v.lookup(bytes),
            }),
        }
    }

    /// The attributes of what a target names (one resolution, one inode read).
    fn meta(&self, py: Python<'_>, target: &Target, follow: Follow) -> PyResult<Metadata> {
        self.run(py, |v| match target.via(follow) {
            Via::Ino(i) => v.metadata_ino(i),
            Via::Path(bytes) => match follow {
                Follow::Always => v.metadata(bytes),
                Follow::Parents => v.symlink_metadata(bytes),
                Follow::Never => v.metadata_ino(v.lookup(bytes)?),
            },
        })
    }

    fn features_set<'py>(&self, py: Python<'py>, which: &[usize]) -> PyResult<Bound<'py, PyFrozenSet>> {
        let all = self.vol()?.features();
        PyFrozenSet::new(py, which.iter().flat_map(|&i| all[i].iter()))
    }
}

/// Which symlinks a path resolution follows.
#[derive(Debug, Clone, Copy)]
enum Follow {
    Always,
    Parents,
    Never,
}

impl Follow {
    fn last(follow_symlinks: bool) -> Self {
        if follow_symlinks {
            Follow::Always
        } else {
            Follow::Parents
        }
    }
}

#[pymethods]
impl PyVolume {
    #[new]
    #[pyo3(signature = (source, *, offset = 0, backup = None, direct = false, replay = false, partition = None))]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        offset: u64,
        backup: Option<usize>,
        direct: bool,
        replay: bool,
        partition: Option<u32>,
    ) -> PyResult<Self> {
        let opts = OpenOptions {
            backup,
            access: if direct { Access::Direct } else { Access::Auto },
            offset,
            replay,
            partition,
        };
        let is_path = source.is_instance_of::<PyString>()
            || source.is_instance_of::<PyBytes>()
            || source.hasattr("__fspath__")?;
        let vol = if is_path {
            let (p, _) = fs_path(source)?;
            let path = Path::new(std::ffi::OsStr::from_bytes(&p)).to_path_buf();
            py.detach(|| Volume::open_with(&path, opts)).map_err(err(py))?
        } else {
            let src = source::PySource::new(source)?;
            py.detach(|| Volume::from_source_at(Box::new(src), opts)).map_err(err(py))?
        };
        Ok(PyVolume { vol: Mutex::new(Some(Arc::new(vol))) })
    }

    /// Releases the volume; files opened from it stay readable until closed themselves.
    fn close(&self) {
        self.vol.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.vol.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) -> bool {
        self.close();
        false
    }

    /// The volume label.
    #[getter]
    fn label(&self) -> PyResult<String> {
        Ok(self.vol()?.label())
    }

    /// The volume UUID, as `blkid` and `uuid.UUID` spell it (lowercase, with dashes).
    #[getter]
    fn uuid(&self) -> PyResult<String> {
        Ok(self.vol()?.uuid_string())
    }

    /// Bytes per block.
    #[getter]
    fn block_size(&self) -> PyResult<u32> {
        Ok(self.vol()?.geometry().block_size)
    }

    /// Bytes per cluster.
    #[getter]
    fn cluster_size(&self) -> PyResult<u32> {
        Ok(self.vol()?.geometry().cluster_size)
    }

    /// Clusters in the volume.
    #[getter]
    fn clusters(&self) -> PyResult<u32> {
        Ok(self.vol()?.geometry().clusters)
    }

    /// Blocks in the volume.
    #[getter]
    fn blocks(&self) -> PyResult<u64> {
        Ok(self.vol()?.geometry().blocks)
    }

    /// Node slots (`s_max_slots`).
    #[getter]
    fn slots(&self) -> PyResult<u16> {
        Ok(self.vol()?.superblock().s_max_slots.get())
    }

    /// Every feature the volume has, by the names mkfs.ocfs2 and o2info use.
    #[getter]
    fn features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        self.features_set(py, &[0, 1, 2])
    }

    /// The compat features.
    #[getter]
    fn compat_features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        self.features_set(py, &[0])
    }

    /// The incompat features.
    #[getter]
    fn incompat_features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        self.features_set(py, &[1])
    }

    /// The read-only compat features.
    #[getter]
    fn ro_compat_features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        self.features_set(py, &[2])
    }

    /// Inode number of the root directory.
    #[getter]
    fn root_inode(&self) -> PyResult<u64> {
        Ok(self.vol()?.root_blkno())
    }

    /// Inode number of the system directory (`//`).
    #[getter]
    fn system_dir_inode(&self) -> PyResult<u64> {
        Ok(self.vol()?.system_dir_blkno())
    }

    /// The inode a path names, without following a symlink in its last component.
    fn lookup(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<u64> {
        self.ino(py, &self.target(path)?, Follow::Never)
    }

    /// Attributes of the file `path` names (following symlinks unless `follow_symlinks=False`).
    #[pyo3(signature = (path, *, follow_symlinks = true))]
    fn stat(&self, py: Python<'_>, path: &Bound<'_, PyAny>, follow_symlinks: bool) -> PyResult<StatResult> {
        Ok(StatResult::from(&self.meta(py, &self.target(path)?, Follow::last(follow_symlinks))?))
    }

    /// `stat(path, follow_symlinks=False)`.
    fn lstat(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<StatResult> {
        self.stat(py, path, false)
    }

    /// Whether `path` names a file (following symlinks, as `os.path.exists`). A damaged volume raises.
    fn exists(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<bool> {
        match self.target(path)?.via(Follow::Always) {
            Via::Path(bytes) => self.run(py, |v| v.exists(bytes)),
            Via::Ino(ino) => self.run(py, |v| match v.metadata_ino(ino) {
                Ok(_) => Ok(true),
                Err(ocfs2_format::Error::NotFound(_)) => Ok(false),
                Err(e) => Err(e),
            }),
        }
    }

    /// The names in directory `path` (no `.` and `..`), in on-disk order; `bytes` if `path` is bytes.
    #[pyo3(signature = (path = None))]
    fn listdir<'py>(&self, py: Python<'py>, path: Option<&Bound<'py, PyAny>>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let target = match path {
            Some(p) => self.target(p)?,
            None => Target::Path { bytes: b"/".to_vec(), as_bytes: false },
        };
        let ino = self.ino(py, &target, Follow::Always)?;
        let entries = self.run(py, |v| dir_entries(v, ino))?;
        entries.iter().map(|e| py_name(py, &e.0, target.as_bytes())).collect()
    }

    /// An iterator of `DirEntry` for directory `path` (a path or a `DirEntry`, not an inode number: an
    /// entry's `path` and a symlink's resolution need it), like `os.scandir`.
    #[pyo3(signature = (path = None))]
    fn scandir<'py>(&self, py: Python<'py>, path: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyIterator>> {
        let target = match path {
            Some(p) => self.target(p)?,
            None => Target::Path { bytes: b"/".to_vec(), as_bytes: false },
        };
        let (dir, as_bytes) = match &target {
            Target::Path { bytes, as_bytes } | Target::Entry { path: bytes, as_bytes, .. } => (bytes, *as_bytes),
            Target::Ino(_) => {
                return Err(PyTypeError::new_err("scandir takes a path or a DirEntry, not an inode number"))
            }
        };
        let ino = self.ino(py, &target, Follow::Always)?;
        let vol = self.vol()?;
        let entries = self.run(py, |v| dir_entries(v, ino))?;
        let items = entries
            .into_iter()
            .map(|(name, ino, file_type)| {
                let path = join(dir, &name);
                Py::new(
                    py,
                    DirEntry {
                        vol: Arc::clone(&vol),
                        name: py_name(py, &name, as_bytes)?.unbind(),
                        path_obj: py_name(py, &path, as_bytes)?.unbind(),
                        path,
                        as_bytes,
                        ino,
                        file_type,
                        stat: OnceLock::new(),
                        lstat: OnceLock::new(),
                    },
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)?.try_iter()
    }

    /// The target of symlink `path`.
    fn readlink<'py>(&self, py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let target = self.target(path)?;
        let ino = self.ino(py, &target, Follow::Parents)?;
        let link = self.run(py, |v| v.read_link_ino(ino))?;
        py_name(py, &link, target.as_bytes())
    }

    /// Opens file `path` (or an inode number) for reading: the native handle under `ocfs2.File`.
    fn _open_handle(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<FileHandle> {
        let target = self.target(path)?;
        let file = match target.via(Follow::Always) {
            Via::Ino(ino) => self.run(py, |v| v.open_file_ino_arc(ino))?,
            Via::Path(bytes) => self.run(py, |v| v.open_file_arc(bytes))?,
        };
        Ok(FileHandle { file })
    }

    /// The extended attributes of `path`: full names, values, ACLs decoded.
    #[pyo3(signature = (path, *, follow_symlinks = true))]
    fn xattrs(&self, py: Python<'_>, path: &Bound<'_, PyAny>, follow_symlinks: bool) -> PyResult<Vec<Xattr>> {
        let ino = self.ino(py, &self.target(path)?, Follow::last(follow_symlinks))?;
        let attrs = self.run(py, |v| v.xattrs_ino(ino))?;
        attrs
            .iter()
            .map(|a| {
                Ok(Xattr {
                    name: String::from_utf8_lossy(a.name()).into_owned(),
                    value: PyBytes::new(py, a.value()).unbind(),
                    acl: a
                        .acl()
                        .map(|acl| acl.entries.iter().map(|e| Py::new(py, AclEntry::from(e))).collect::<PyResult<_>>())
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The names of `path`'s extended attributes, like `os.listxattr`.
    #[pyo3(signature = (path, *, follow_symlinks = true))]
    fn listxattr(&self, py: Python<'_>, path: &Bound<'_, PyAny>, follow_symlinks: bool) -> PyResult<Vec<String>> {
        let ino = self.ino(py, &self.target(path)?, Follow::last(follow_symlinks))?;
        let names = self.run(py, |v| v.xattr_names_ino(ino))?;
        Ok(names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect())
    }

    /// The value of one extended attribute, like `os.getxattr` (OSError ENODATA when absent).
    #[pyo3(signature = (path, attribute, *, follow_symlinks = true))]
    fn getxattr(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        attribute: &Bound<'_, PyAny>,
        follow_symlinks: bool,
    ) -> PyResult<Py<PyBytes>> {
        let (name, _) = fs_path(attribute)?;
        let ino = self.ino(py, &self.target(path)?, Follow::last(follow_symlinks))?;
        match self.run(py, |v| v.getxattr_ino(ino, &name))? {
            Some(value) => Ok(PyBytes::new(py, &value).unbind()),
            None => {
                Err(PyOSError::new_err((libc::ENODATA, format!("no attribute {}", String::from_utf8_lossy(&name)))))
            }
        }
    }

    /// The POSIX ACL of `path` (`default=True`: a directory's default ACL), or None.
    #[pyo3(signature = (path, *, default = false))]
    fn acl(&self, py: Python<'_>, path: &Bound<'_, PyAny>, default: bool) -> PyResult<Option<Vec<Py<AclEntry>>>> {
        let want = if default { "system.posix_acl_default" } else { "system.posix_acl_access" };
        Ok(self.xattrs(py, path, true)?.into_iter().find(|x| x.name == want).and_then(|x| x.acl))
    }

    /// The byte runs of file `path`: data (with its physical byte offset), unwritten extents and holes.
    fn extent_map(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Vec<Extent>> {
        let ino = self.ino(py, &self.target(path)?, Follow::Always)?;
        let runs = self.run(py, |v| Ok(v.open_file_ino_arc(ino)?.runs()))?;
        Ok(runs.into_iter().map(Extent::from).collect())
    }

    /// Directory entries of `path` that are deleted but still readable (`ls -d`).
    fn deleted_entries(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Vec<DeletedEntry>> {
        let target = self.target(path)?;
        let ino = self.ino(py, &target, Follow::Always)?;
        let found = self.run(py, |v| forensics::deleted_entries(v, &v.inode(ino)?))?;
        found
            .into_iter()
            .map(|d| {
                Ok(DeletedEntry {
                    name: py_name(py, &d.name, target.as_bytes())?.unbind(),
                    inode: d.inode,
                    file_type: d.file_type,
                    block: d.blkno,
                    offset: d.offset,
                })
            })
            .collect()
    }

    /// Freed inodes whose blocks still hold them, and orphans (`lsdel`). Their data may still be
    /// readable with `open(inode)`.
    fn deleted_inodes(&self, py: Python<'_>) -> PyResult<Vec<DeletedInode>> {
        let found = self.run(py, |v| forensics::deleted_inodes(v))?;
        Ok(found.into_iter().map(DeletedInode).collect())
    }

    /// Runs the read-only consistency check (what `fsck.ocfs2 -fn` finds); returns its findings.
    fn check(&self, py: Python<'_>) -> PyResult<Vec<Finding>> {
        let report = self.run(py, |v| check::check(v, &mut |_| {}))?;
        Ok(report
            .findings
            .into_iter()
            .map(|f| Finding {
                code: f.code,
                severity: f.severity.name(),
                block: f.at.blkno,
                structure: f.at.structure,
                field: f.at.field,
                expected: f.at.expected.to_string(),
                actual: f.at.actual.to_string(),
                message: f.message,
            })
            .collect())
    }

    /// The node number holding each filesystem slot (None: free).
    fn slot_map(&self, py: Python<'_>) -> PyResult<Vec<Option<u32>>> {
        Ok(self.run(py, |v| SlotMap::read(v))?.nodes.into_iter().map(|n| n.map(|n| n.get())).collect())
    }

    /// Each slot's journal: dirty (needs recovery) or clean.
    fn journals(&self, py: Python<'_>) -> PyResult<Vec<JournalState>> {
        Ok(self.run(py, |v| LibJournalState::read_all(v))?.into_iter().map(JournalState).collect())
    }

    /// The heartbeat slots that hold a beat (or a bad checksum). With `samples` > 1, samples the region
    /// that many times, `interval` seconds apart, and judges each node live or dead by the kernel's
    /// rules (`dead_threshold` unchanged samples make a node dead).
    #[pyo3(signature = (*, samples = 1, interval = 2.0, dead_threshold = 31))]
    fn heartbeat(
        &self,
        py: Python<'_>,
        samples: u32,
        interval: f64,
        dead_threshold: u32,
    ) -> PyResult<Vec<HeartbeatSlot>> {
        if samples == 0 || !(0.0..=3600.0).contains(&interval) {
            return Err(PyValueError::new_err("samples must be >= 1 and interval between 0 and 3600 seconds"));
        }
        let (readings, live) = self.run(py, |v| {
            let region = Region::locate(v, DEFAULT_SECTOR_SIZE)?;
            let mut live = Liveness::new(dead_threshold)?;
            let readings = live.watch(samples, Duration::from_secs_f64(interval), || region.read_volume(v))?;
            Ok((readings, live))
        })?;
        Ok(readings
            .iter()
            .filter(|r| r.is_written() || !r.crc_ok())
            .map(|r| HeartbeatSlot {
                slot: r.slot.get(),
                node: r.node().get(),
                seq: r.seq(),
                generation: r.generation(),
                dead_ms: r.dead_ms(),
                crc_ok: r.crc_ok(),
                live: (samples > 1).then(|| live.is_live(r.slot)),
            })
            .collect())
    }

    fn __repr__(&self) -> String {
        match self.vol() {
            Ok(v) => format!("<ocfs2.Volume {:?}>", String::from_utf8_lossy(v.superblock().label())),
            Err(_) => "<ocfs2.Volume (closed)>".into(),
        }
    }
}

/// An entry of a directory, like `os.DirEntry`: `name`, `path`, `inode()`, `is_dir()`, `is_file()`,
/// `is_symlink()` from the directory record; `stat()` reads the inode (once). The volume's methods take
/// an entry as they take a path, and use its inode instead of looking the path up again.
#[pyclass(frozen, module = "ocfs2")]
#[derive(Debug)]
struct DirEntry {
    vol: Arc<Volume>,
    name: Py<PyAny>,
    path_obj: Py<PyAny>,
    path: Vec<u8>,
    /// `path_obj` is bytes.
    as_bytes: bool,
    ino: u64,
    file_type: FileType,
    stat: OnceLock<Py<StatResult>>,
    lstat: OnceLock<Py<StatResult>>,
}

impl DirEntry {
    fn stat_of(&self, py: Python<'_>, follow: bool) -> PyResult<Py<StatResult>> {
        let cell = if follow && self.file_type.is_symlink() { &self.stat } else { &self.lstat };
        if let Some(s) = cell.get() {
            return Ok(s.clone_ref(py));
        }
        let vol = &self.vol;
        let meta = py
            .detach(|| {
                if follow && self.file_type.is_symlink() {
                    vol.metadata(&self.path)
                } else {
                    vol.metadata_ino(self.ino)
                }
            })
            .map_err(err(py))?;
        let s = Py::new(py, StatResult::from(&meta))?;
        Ok(cell.get_or_init(|| s).clone_ref(py))
    }
}

#[pymethods]
impl DirEntry {
    /// The entry's name.
    #[getter]
    fn name(&self, py: Python<'_>) -> Py<PyAny> {
        self.name.clone_ref(py)
    }

    /// The directory given to `scandir` joined with the name.
    #[getter]
    fn path(&self, py: Python<'_>) -> Py<PyAny> {
        self.path_obj.clone_ref(py)
    }

    fn __fspath__(&self, py: Python<'_>) -> Py<PyAny> {
        self.path_obj.clone_ref(py)
    }

    /// The inode number.
    fn inode(&self) -> u64 {
        self.ino
    }

    /// Whether the entry is a directory (or a symlink to one, unless `follow_symlinks=False`).
    #[pyo3(signature = (*, follow_symlinks = true))]
    fn is_dir(&self, py: Python<'_>, follow_symlinks: bool) -> PyResult<bool> {
        self.is(py, follow_symlinks, FileType::Dir)
    }

    /// Whether the entry is a regular file (or a symlink to one, unless `follow_symlinks=False`).
    #[pyo3(signature = (*, follow_symlinks = true))]
    fn is_file(&self, py: Python<'_>, follow_symlinks: bool) -> PyResult<bool> {
        self.is(py, follow_symlinks, FileType::File)
    }

    /// Whether the entry is a symlink.
    fn is_symlink(&self) -> bool {
        self.file_type.is_symlink()
    }

    /// The entry's attributes (following a symlink unless `follow_symlinks=False`), read once.
    #[pyo3(signature = (*, follow_symlinks = true))]
    fn stat(&self, py: Python<'_>, follow_symlinks: bool) -> PyResult<Py<StatResult>> {
        self.stat_of(py, follow_symlinks)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("<ocfs2.DirEntry {}>", self.name.bind(py).repr()?))
    }
}

impl DirEntry {
    fn is(&self, py: Python<'_>, follow: bool, want: FileType) -> PyResult<bool> {
        if !(follow && self.file_type.is_symlink()) {
            return Ok(self.file_type == want);
        }
        match self.stat_of(py, true) {
            Ok(s) => Ok(s.get().st_mode & 0o170000 == if want.is_dir() { 0o040000 } else { 0o100000 }),
            // A dangling symlink is neither, as in `os.DirEntry`.
            Err(e) if e.is_instance_of::<PyOSError>(py) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The native handle of an open file: `read_at` from any thread. `ocfs2.File` wraps it as an
/// `io.RawIOBase`.
#[pyclass(frozen, module = "ocfs2")]
#[derive(Debug)]
struct FileHandle {
    file: File<Arc<Volume>>,
}

#[pymethods]
impl FileHandle {
    /// The file size in bytes.
    #[getter]
    fn size(&self) -> u64 {
        self.file.len()
    }

    /// The inode number.
    #[getter]
    fn inode(&self) -> u64 {
        self.file.ino()
    }

    /// Up to `size` bytes at `offset` (fewer only at the end of the file). Holes and unwritten extents
    /// read as zeros.
    fn read_at<'py>(&self, py: Python<'py>, offset: u64, size: usize) -> PyResult<Bound<'py, PyBytes>> {
        let n = usize::try_from(self.file.len().saturating_sub(offset)).unwrap_or(usize::MAX).min(size);
        let mut short = None;
        let bytes = PyBytes::new_with(py, n, |buf| {
            let got = py.detach(|| self.file.read_full_at(offset, buf)).map_err(err(py))?;
            if got < n {
                short = Some(got);
            }
            Ok(())
        })?;
        Ok(match short {
            // The medium ended early (a damaged extent map): hand back what was read.
            Some(got) => PyBytes::new(py, &bytes.as_bytes()[..got]),
            None => bytes,
        })
    }
}

/// The native module: the pure-Python package `ocfs2` re-exports it.
#[pymodule]
fn _ocfs2(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyVolume>()?;
    m.add_class::<DirEntry>()?;
    m.add_class::<FileHandle>()?;
    m.add_class::<StatResult>()?;
    m.add_class::<Xattr>()?;
    m.add_class::<AclEntry>()?;
    m.add_class::<Extent>()?;
    m.add_class::<DeletedEntry>()?;
    m.add_class::<DeletedInode>()?;
    m.add_class::<Finding>()?;
    m.add_class::<JournalState>()?;
    m.add_class::<HeartbeatSlot>()?;
    m.add("Error", py.get_type::<Ocfs2Error>())?;
    m.add("CorruptError", py.get_type::<CorruptError>())?;
    m.add("NotOcfs2Error", py.get_type::<NotOcfs2Error>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    Ok(())
}
