//! `ls [-l]`: a directory's live entries.

use ocfs2_format::fs::read_dir;
use ocfs2_format::{Inode, Volume};
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::{mode_string, table, time, Out};

/// One directory entry (with `-l`, the facts of its inode).
#[derive(Debug, Serialize)]
pub struct Entry {
    pub inode: u64,
    pub name: String,
    pub file_type: u8,
    /// Present with `-l`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long: Option<Long>,
}

/// What `ls -l` shows of an entry's inode.
#[derive(Debug, Serialize)]
pub struct Long {
    pub mode: u16,
    pub mode_string: String,
    pub links: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: u64,
}

/// The live entries of directory `dir` in on-disk order; `long` also reads each
/// entry's inode. `what` names the directory in errors.
pub fn entries(vol: &Volume, dir: &Inode<'_>, long: bool, what: &str) -> Result<Vec<Entry>, CmdError> {
    let mut out = Vec::new();
    for e in read_dir(vol, dir).map_err(|e| CmdError::at(what.to_string(), e))? {
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
        out.push(Entry { inode: e.inode, name, file_type: e.file_type, long });
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

pub fn run(vol: &Volume, out: &Out, spec: &str, long: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let dir = vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let entries = entries(vol, &dir, long, spec)?;
    out.emit(&entries, |entries| {
        if long {
            render_long(entries)
        } else {
            entries.iter().map(|e| format!("{}\t{}\n", e.inode, e.name)).collect()
        }
    })
}
