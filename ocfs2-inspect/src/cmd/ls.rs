//! `ls [-l]`: a directory's live entries.

use ocfs2_format::fs::read_dir;
use ocfs2_format::Volume;
use serde::Serialize;

use super::{resolve, CmdError};
use crate::render::{mode_string, table, time, Out};

#[derive(Debug, Serialize)]
struct Entry {
    inode: u64,
    name: String,
    file_type: u8,
    /// Present with `-l`.
    #[serde(skip_serializing_if = "Option::is_none")]
    long: Option<Long>,
}

#[derive(Debug, Serialize)]
struct Long {
    mode: u16,
    mode_string: String,
    links: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: u64,
}

pub fn run(vol: &Volume, out: &Out, spec: &str, long: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let dir = vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let mut entries = Vec::new();
    for e in read_dir(vol, &dir).map_err(|e| CmdError::at(spec.to_string(), e))? {
        let long = if long {
            let i = vol
                .inode(e.inode)
                .map_err(|err| CmdError::at(format!("{spec}: entry {}", String::from_utf8_lossy(&e.name)), err))?;
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
        entries.push(Entry {
            inode: e.inode,
            name: String::from_utf8_lossy(&e.name).into_owned(),
            file_type: e.file_type,
            long,
        });
    }
    out.emit(&entries, |entries| {
        if !long {
            return entries.iter().map(|e| format!("{}\t{}\n", e.inode, e.name)).collect();
        }
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
    })
}
