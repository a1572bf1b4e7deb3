//! `ls [-l] [-d]`: a directory's live entries (and with `-d` its deleted ones).

use ocfs2_format::Volume;
use serde::Serialize;

use super::common::listing::{deleted_entries, entries, render_long, Entry};
use super::{resolve, CmdError};
use crate::render::Out;

/// `ls --json`: one directory's entries.
#[derive(Debug, Serialize)]
struct Listing<'a> {
    /// The directory's inode (block number).
    inode: u64,
    /// Its live entries in on-disk order (`.` and `..` included), then with `-d`
    /// the deleted ones.
    entries: &'a [Entry],
}

pub fn run(vol: &Volume, out: &Out, spec: &str, long: bool, deleted: bool) -> Result<(), CmdError> {
    let blkno = resolve(vol, spec)?;
    let mut entries = entries(vol, blkno, long, spec)?;
    if deleted {
        entries.extend(deleted_entries(vol, blkno, spec)?);
    }
    out.emit(&Listing { inode: blkno, entries: &entries }, |l| {
        let entries = l.entries;
        let (live, gone): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| e.deleted.is_none());
        let mut s = if long {
            render_long(entries)
        } else {
            live.iter().map(|e| format!("{}\t{}\n", e.inode, e.name)).collect()
        };
        for e in gone {
            let Some(d) = &e.deleted else { continue };
            let ino = if e.inode == 0 { "?".to_string() } else { e.inode.to_string() };
            let state = match d.inode_in_use {
                None => "inode number cleared",
                Some(true) => "inode in use",
                Some(false) => "inode free",
            };
            s.push_str(&format!("{ino}\t{}\t<deleted: block {} offset {}, {state}>\n", e.name, d.blkno, d.offset));
        }
        s
    })
}
