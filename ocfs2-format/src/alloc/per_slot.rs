//! Per-slot allocation state: the local-alloc window (`local_alloc:N`), the
//! truncate log (`truncate_log:N`) and the orphan directory (`orphan_dir:N`).

use crate::error::{Error, Result};
use crate::fs::read_dir;
use crate::layout::dinode::Id2;
use crate::layout::system_file::SystemFile;
use crate::volume::Volume;

/// A slot's local-alloc window: global-bitmap clusters the slot reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAllocInfo {
    /// The slot.
    pub slot: u16,
    /// The `local_alloc:N` inode.
    pub inode: u64,
    /// `la_bm_off`: first cluster of the window.
    pub bm_off: u32,
    /// `la_size`: bitmap bytes.
    pub size: u16,
    /// `i_total`: clusters in the window (0: no window).
    pub total: u32,
    /// `i_used`: clusters of the window in use.
    pub used: u32,
    /// Set bits in the first `i_total` bits of the local bitmap.
    pub bitmap_used: u32,
}

/// Reads `local_alloc:SLOT`. The window's bit count must fit its bitmap.
pub fn local_alloc(vol: &Volume, slot: u16) -> Result<LocalAllocInfo> {
    let ino = vol.system_file(SystemFile::local_alloc(slot))?;
    let inode = vol.inode(ino)?;
    let h = inode.header();
    let Id2::LocalAlloc(la, bitmap) = inode.dinode().id2()? else {
        return Err(Error::corrupt(ino, "ocfs2_dinode", "i_flags", "LOCAL_ALLOC", format!("{:#x}", h.i_flags.get())));
    };
    let b = h.bitmap1();
    let total = b.i_total.get();
    if total as usize > bitmap.len() * 8 {
        return Err(Error::corrupt(
            ino,
            "ocfs2_dinode",
            "id1.bitmap1.i_total",
            format!("<= la_size*8 = {}", bitmap.len() * 8),
            total,
        ));
    }
    let bitmap_used = crate::layout::group::count_set(bitmap, total as usize);
    Ok(LocalAllocInfo {
        slot,
        inode: ino,
        bm_off: la.la_bm_off.get(),
        size: la.la_size.get(),
        total,
        used: b.i_used.get(),
        bitmap_used,
    })
}

/// A slot's truncate log: clusters freed but not yet returned to the global
/// bitmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncateLogInfo {
    /// The slot.
    pub slot: u16,
    /// The `truncate_log:N` inode.
    pub inode: u64,
    /// `tl_count`.
    pub count: u16,
    /// The used records, `(t_start, t_clusters)`.
    pub recs: Vec<(u32, u32)>,
}

/// Reads `truncate_log:SLOT`.
pub fn truncate_log(vol: &Volume, slot: u16) -> Result<TruncateLogInfo> {
    let ino = vol.system_file(SystemFile::truncate_log(slot))?;
    let inode = vol.inode(ino)?;
    let Id2::TruncateLog(tl) = inode.dinode().id2()? else {
        let f = inode.header().i_flags.get();
        return Err(Error::corrupt(ino, "ocfs2_dinode", "i_flags", "DEALLOC", format!("{f:#x}")));
    };
    Ok(TruncateLogInfo {
        slot,
        inode: ino,
        count: tl.log.tl_count.get(),
        recs: tl.recs.iter().map(|r| (r.t_start.get(), r.t_clusters.get())).collect(),
    })
}

/// An inode waiting in an orphan directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanEntry {
    /// The slot whose orphan directory holds it.
    pub slot: u16,
    /// The inode.
    pub inode: u64,
    /// The entry's name (the inode number in hex).
    pub name: Vec<u8>,
}

/// The inodes in `orphan_dir:SLOT` (without `.` and `..`).
pub fn orphans(vol: &Volume, slot: u16) -> Result<Vec<OrphanEntry>> {
    let ino = vol.system_file(SystemFile::orphan_dir(slot))?;
    let dir = vol.inode(ino)?;
    Ok(read_dir(vol, &dir)?
        .into_iter()
        .filter(|e| e.name != b"." && e.name != b"..")
        .map(|e| OrphanEntry { slot, inode: e.inode, name: e.name })
        .collect())
}
