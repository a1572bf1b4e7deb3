//! A directory's entries as `ls [-l] [-d]` lists them; also listed by `stat_sysdir`.

use ocfs2_format::Volume;
use serde::Serialize;

use crate::cmd::CmdError;
use crate::render::{mode_string, table, time};

/// One directory entry (with `-l`, the facts of its inode).
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The inode it names (block number); 0 for a deleted entry whose number the
    /// kernel cleared.
    pub inode: u64,
    /// The name, as UTF-8 (invalid bytes replaced by U+FFFD).
    pub name: String,
    /// The entry's file type (`OCFS2_FT_*`: 1 file, 2 directory, 7 symlink, ...).
    pub file_type: u8,
    /// Present with `-l`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long: Option<Long>,
    /// Present (with `-d`) on entries that were deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
}

/// A deleted entry found in a directory's slack.
#[derive(Debug, Serialize)]
pub struct Deleted {
    /// The block (the directory inode for inline directories) holding it.
    pub blkno: u64,
    /// Byte offset of the record there.
    pub offset: usize,
    /// Whether the inode it names is allocated (`None`: the kernel zeroed the
    /// inode number when it deleted the entry).
    pub inode_in_use: Option<bool>,
}

/// What `ls -l` shows of an entry's inode.
#[derive(Debug, Serialize)]
pub struct Long {
    /// `i_mode`: type and permission bits.
    pub mode: u16,
    /// The mode as `ls -l` prints it (`drwxr-xr-x`).
    pub mode_string: String,
    /// `i_links_count`.
    pub links: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// `i_size` in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch (UTC).
    pub mtime: u64,
}

/// The live entries of directory `dir` in on-disk order (`.` and `..`
/// included); `long` also reads each entry's inode. `what` names the directory
/// in errors.
pub fn entries(vol: &Volume, dir: u64, long: bool, what: &str) -> Result<Vec<Entry>, CmdError> {
    let at = |e| CmdError::at(what.to_string(), e);
    // Blocks whose checks fail are listed, as debugfs.ocfs2 lists them, with a
    // warning naming each (stat and dirblocks show the same markers in place).
    let mut read = vol.read_dir_ino(dir).map_err(at)?.dot_entries(true).unchecked(true);
    let list = read.by_ref().collect::<Result<Vec<_>, _>>().map_err(at)?;
    for (blkno, faults) in read.damaged_blocks() {
        for m in super::damage::of(faults).iter().flat_map(super::damage::markers) {
            eprintln!("ocfs2-inspect: warning: {what}: directory block {blkno} listed despite {m}");
        }
    }
    if long {
        vol.prefetch_metadata(&list);
    }
    let mut out = Vec::new();
    for e in list {
        let name = String::from_utf8_lossy(e.name()).into_owned();
        let long = if long {
            let m = e.metadata().map_err(|err| CmdError::at(format!("{what}: entry {name}"), err))?;
            // The mode is the on-disk u16 (`mode()` widens it); the time the
            // stored seconds, bit for bit.
            let mode = m.mode() as u16;
            Some(Long {
                mode,
                mode_string: mode_string(mode),
                links: m.nlink(),
                uid: m.uid(),
                gid: m.gid(),
                size: m.len(),
                mtime: m.mtime().0 as u64,
            })
        } else {
            None
        };
        out.push(Entry { inode: e.ino(), name, file_type: e.file_type().dirent_byte(), long, deleted: None });
    }
    Ok(out)
}

/// The `ls -l` table of `entries`.
pub fn render_long(entries: &[Entry]) -> String {
    let rows = entries
        .iter()
        .filter_map(|e| {
            let l = e.long.as_ref()?;
            Some(vec![
                e.inode.to_string(),
                l.mode_string.clone(),
                l.links.to_string(),
                l.uid.to_string(),
                l.gid.to_string(),
                l.size.to_string(),
                time(l.mtime, 0),
                e.name.clone(),
            ])
        })
        .collect();
    table(&["Inode", "Mode", "Links", "UID", "GID", "Size", "Modified", "Name"], rows, &[0, 2, 3, 4, 5])
}

/// The deleted entries of directory `dir` still readable in its blocks (`ls -d`).
pub fn deleted_entries(vol: &Volume, dir: u64, what: &str) -> Result<Vec<Entry>, CmdError> {
    let found = vol.deleted_entries_ino(dir).map_err(|e| CmdError::at(what.to_string(), e))?;
    Ok(found
        .into_iter()
        .map(|d| Entry {
            inode: d.ino().unwrap_or(0),
            name: String::from_utf8_lossy(d.name()).into_owned(),
            file_type: d.file_type().dirent_byte(),
            long: None,
            deleted: Some(Deleted {
                blkno: d.block(),
                offset: d.offset(),
                inode_in_use: d.ino().map(|ino| vol.inode_in_use(ino)),
            }),
        })
        .collect())
}
