//! A directory's entries as `ls [-l] [-d]` lists them; also listed by `stat_sysdir`.

use ocfs2_format::fs::{prefetch_entry_inodes, read_dir};
use ocfs2_format::{Inode, Volume};
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

/// The live entries of directory `dir` in on-disk order; `long` also reads each
/// entry's inode. `what` names the directory in errors.
pub fn entries(vol: &Volume, dir: &Inode<'_>, long: bool, what: &str) -> Result<Vec<Entry>, CmdError> {
    let mut out = Vec::new();
    let list = read_dir(vol, dir).map_err(|e| CmdError::at(what.to_string(), e))?;
    if long {
        prefetch_entry_inodes(vol, &list);
    }
    for e in list {
        let name = String::from_utf8_lossy(&e.name).into_owned();
        let long = if long {
            let i = vol.inode(e.inode).map_err(|err| CmdError::at(format!("{what}: entry {name}"), err))?;
            let h = i.header();
            Some(Long {
                mode: h.i_mode.get(),
                mode_string: mode_string(h.i_mode.get()),
                links: h.links(),
                uid: h.i_uid.get(),
                gid: h.i_gid.get(),
                size: h.i_size.get(),
                mtime: h.i_mtime.get(),
            })
        } else {
            None
        };
        out.push(Entry { inode: e.inode, name, file_type: e.file_type, long, deleted: None });
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

/// The deleted entries of `dir` still readable in its blocks (`ls -d`).
pub fn deleted_entries(vol: &Volume, dir: &Inode<'_>, what: &str) -> Result<Vec<Entry>, CmdError> {
    let found = ocfs2_format::fs::deleted_entries(vol, dir).map_err(|e| CmdError::at(what.to_string(), e))?;
    Ok(found
        .into_iter()
        .map(|d| Entry {
            inode: d.inode,
            name: String::from_utf8_lossy(&d.name).into_owned(),
            file_type: d.file_type,
            long: None,
            deleted: Some(Deleted {
                blkno: d.blkno,
                offset: d.offset,
                inode_in_use: (d.inode != 0).then(|| ocfs2_format::fs::inode_in_use(vol, d.inode)),
            }),
        })
        .collect())
}
