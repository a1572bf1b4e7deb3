//! The plain value classes the bindings hand to Python: stat results, xattrs, extents, findings...

use pyo3::prelude::*;

use ocfs2_format::files::{Metadata, Run};

/// An inode's attributes, with the fields of `os.stat_result`.
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct StatResult {
    pub st_mode: u32,
    pub st_ino: u64,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_size: u64,
    pub st_atime: f64,
    pub st_mtime: f64,
    pub st_ctime: f64,
    pub st_atime_ns: i128,
    pub st_mtime_ns: i128,
    pub st_ctime_ns: i128,
    pub st_blocks: u64,
    pub st_blksize: u32,
    pub st_rdev: u64,
    /// The inode's generation number (`i_generation`).
    pub st_gen: u32,
}

/// An option as Python prints it.
fn py_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "None".into(), |v| v.to_string())
}

fn ns((s, n): (i64, u32)) -> i128 {
    i128::from(s) * 1_000_000_000 + i128::from(n)
}

fn secs(t: (i64, u32)) -> f64 {
    t.0 as f64 + f64::from(t.1) * 1e-9
}

impl From<&Metadata> for StatResult {
    fn from(m: &Metadata) -> Self {
        StatResult {
            st_mode: m.mode(),
            st_ino: m.ino(),
            st_nlink: m.nlink(),
            st_uid: m.uid(),
            st_gid: m.gid(),
            st_size: m.len(),
            st_atime: secs(m.atime()),
            st_mtime: secs(m.mtime()),
            st_ctime: secs(m.ctime()),
            st_atime_ns: ns(m.atime()),
            st_mtime_ns: ns(m.mtime()),
            st_ctime_ns: ns(m.ctime()),
            st_blocks: m.blocks(),
            st_blksize: m.blksize(),
            st_rdev: m.rdev(),
            st_gen: m.generation(),
        }
    }
}

#[pymethods]
impl StatResult {
    fn __repr__(&self) -> String {
        format!(
            "ocfs2.StatResult(st_mode=0o{:o}, st_ino={}, st_nlink={}, st_uid={}, st_gid={}, st_size={}, st_mtime={})",
            self.st_mode, self.st_ino, self.st_nlink, self.st_uid, self.st_gid, self.st_size, self.st_mtime
        )
    }
}

/// One POSIX ACL entry: `tag` is `user`, `group`, `mask` or `other`; `id` is set for named users and groups.
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct AclEntry {
    pub tag: &'static str,
    pub id: Option<u32>,
    pub perm: u16,
    /// The `getfacl` form: `user::rw-`, `group:100:r-x`.
    pub text: String,
}

impl From<&ocfs2_format::layout::xattr::AclEntry> for AclEntry {
    fn from(e: &ocfs2_format::layout::xattr::AclEntry) -> Self {
        use ocfs2_format::layout::xattr::acl_tag;
        let (tag, id) = match e.tag {
            acl_tag::USER_OBJ => ("user", None),
            acl_tag::USER => ("user", Some(e.id)),
            acl_tag::GROUP_OBJ => ("group", None),
            acl_tag::GROUP => ("group", Some(e.id)),
            acl_tag::MASK => ("mask", None),
            _ => ("other", None),
        };
        AclEntry { tag, id, perm: e.perm, text: e.text() }
    }
}

#[pymethods]
impl AclEntry {
    fn __repr__(&self) -> String {
        format!("ocfs2.AclEntry({:?})", self.text)
    }
}

/// One extended attribute: its full Linux name, its value (ACLs in Linux's `system.posix_acl_*`
/// format) and, for an ACL, its decoded entries.
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct Xattr {
    pub name: String,
    pub value: Py<pyo3::types::PyBytes>,
    pub acl: Option<Vec<Py<AclEntry>>>,
}

#[pymethods]
impl Xattr {
    fn __repr__(&self) -> String {
        format!("ocfs2.Xattr({:?})", self.name)
    }
}

/// A run of a file's bytes: `kind` is `data`, `unwritten` or `hole`; `physical` is a byte offset on the
/// volume (None for a hole).
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct Extent {
    pub kind: &'static str,
    pub logical: u64,
    pub physical: Option<u64>,
    pub length: u64,
    pub refcounted: bool,
}

impl From<Run> for Extent {
    fn from(r: Run) -> Self {
        match r {
            Run::Data { logical, physical, len, refcounted } => {
                Extent { kind: "data", logical, physical: Some(physical), length: len, refcounted }
            }
            Run::Unwritten { logical, physical, len } => {
                Extent { kind: "unwritten", logical, physical: Some(physical), length: len, refcounted: false }
            }
            Run::Hole { logical, len } => {
                Extent { kind: "hole", logical, physical: None, length: len, refcounted: false }
            }
        }
    }
}

#[pymethods]
impl Extent {
    fn __repr__(&self) -> String {
        format!(
            "ocfs2.Extent({:?}, logical={}, physical={}, length={})",
            self.kind,
            self.logical,
            py_opt(self.physical),
            self.length
        )
    }
}

/// A directory entry no longer live but still readable in a directory's slack (`ls -d`).
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct DeletedEntry {
    pub name: Py<PyAny>,
    /// The inode it named (0 when the kernel cleared it).
    pub inode: u64,
    pub file_type: u8,
    pub block: u64,
    pub offset: usize,
}

/// An inode freed (or orphaned) whose block still holds it (`lsdel`): the library's record, read-only
/// from Python (its `blkno` is `inode` here).
#[pyclass(frozen, module = "ocfs2")]
#[derive(Debug)]
pub struct DeletedInode(pub ocfs2_format::forensics::DeletedInode);

#[pymethods]
impl DeletedInode {
    #[getter]
    fn inode(&self) -> u64 {
        self.0.blkno
    }
    /// Whether its allocator bit is still set (an orphan awaiting deletion).
    #[getter]
    fn allocated(&self) -> bool {
        self.0.allocated
    }
    #[getter]
    fn flags(&self) -> u32 {
        self.0.flags
    }
    #[getter]
    fn mode(&self) -> u16 {
        self.0.mode
    }
    #[getter]
    fn uid(&self) -> u32 {
        self.0.uid
    }
    #[getter]
    fn size(&self) -> u64 {
        self.0.size
    }
    #[getter]
    fn links(&self) -> u32 {
        self.0.links
    }
    /// Deletion time, seconds since the epoch (0 if never deleted).
    #[getter]
    fn dtime(&self) -> u64 {
        self.0.dtime
    }
    #[getter]
    fn clusters(&self) -> u32 {
        self.0.clusters
    }
    fn __repr__(&self) -> String {
        format!("ocfs2.DeletedInode(inode={}, size={}, dtime={})", self.0.blkno, self.0.size, self.0.dtime)
    }
}

/// One problem `check()` found (what `fsck.ocfs2 -fn` reports).
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct Finding {
    /// fsck.ocfs2's problem code (`INODE_ORPHANED`, ...), where one exists.
    pub code: Option<&'static str>,
    /// `info` or `error`.
    pub severity: &'static str,
    pub block: u64,
    pub structure: &'static str,
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
    pub message: String,
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!("ocfs2.Finding({:?}, block={}, {:?})", self.code.unwrap_or("-"), self.block, self.message)
    }
}

/// One filesystem slot's journal: the library's state, read-only from Python.
#[pyclass(frozen, module = "ocfs2")]
#[derive(Debug)]
pub struct JournalState(pub ocfs2_format::cluster::JournalState);

#[pymethods]
impl JournalState {
    #[getter]
    fn slot(&self) -> u16 {
        self.0.slot
    }
    #[getter]
    fn inode(&self) -> u64 {
        self.0.inode
    }
    #[getter]
    fn flags(&self) -> u32 {
        self.0.flags
    }
    /// Whether the journal needs recovery.
    #[getter]
    fn dirty(&self) -> bool {
        self.0.dirty
    }
    #[getter]
    fn recovery_generation(&self) -> u32 {
        self.0.recovery_generation
    }
    fn __repr__(&self) -> String {
        format!("ocfs2.JournalState(slot={}, dirty={})", self.0.slot, if self.0.dirty { "True" } else { "False" })
    }
}

/// One heartbeat slot as last written, and (with several samples) whether its node is live by the
/// kernel's rules.
#[pyclass(frozen, get_all, module = "ocfs2")]
#[derive(Debug)]
pub struct HeartbeatSlot {
    pub slot: u32,
    pub node: u32,
    /// `hb_seq`: the writer's wall-clock seconds at its last beat.
    pub seq: u64,
    pub generation: u64,
    pub dead_ms: u32,
    pub crc_ok: bool,
    /// `None` from a single sample: liveness needs the sequence to change between samples.
    pub live: Option<bool>,
}

#[pymethods]
impl HeartbeatSlot {
    fn __repr__(&self) -> String {
        let live = self.live.map(|l| if l { "True" } else { "False" });
        format!("ocfs2.HeartbeatSlot(slot={}, seq={}, live={})", self.slot, self.seq, py_opt(live))
    }
}
