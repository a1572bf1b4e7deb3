//! Timelines: every name of a tree with its inode's attributes, the live ones
//! from the facade's walk ([`Volume::walk`]) and, after them, what `ls -d` and
//! `lsdel` recover, in The Sleuth Kit's body format.

use crate::error::{Error, Result};
use crate::volume::Volume;

use super::{FileType, Follow, InoSet, Metadata};

/// How a name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameState {
    /// A live directory entry.
    Live,
    /// A deleted entry still visible in its directory's slack (`ls -d`).
    Deleted,
    /// A deleted or orphaned inode that no entry names (`lsdel`); its path is
    /// made up as `$OrphanFiles/OrphanFile-<inode>`, as The Sleuth Kit names them.
    Orphan,
}

/// One name met by [`walk_tree`].
#[derive(Debug)]
pub struct TreeEntry {
    /// The path below the walk's start: names joined by `/`, no leading `/`.
    pub path: Vec<u8>,
    /// The inode number the name gives (0 when the kernel cleared it).
    pub inode_no: u64,
    /// The type the directory entry records; for orphans, the inode's.
    pub file_type: FileType,
    /// Live, deleted or orphan.
    pub state: NameState,
    /// The inode's attributes, when its block holds an inode of this volume
    /// (for deleted names it may be freed, or in use again by another file).
    pub meta: Option<Metadata>,
    /// For a deleted name: whether the inode it gives is in use again (The
    /// Sleuth Kit's "deleted-realloc").
    pub realloc: bool,
}

impl TreeEntry {
    /// Appends this entry's line of The Sleuth Kit's 3.x body format (what
    /// `fls -r -m PREFIX` prints and `mactime -b` reads), without its newline:
    /// `MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`. `md5` is
    /// the contents' digest (`0` without one); OCFS2 keeps no creation time
    /// (0). A symlink gets ` -> target` when its target can be read; a name
    /// not live gets ` (deleted)`, or ` (deleted-realloc)` when a deleted entry
    /// names an inode in use again. Without an inode, the mode is
    /// `<type>/----------` and every number 0.
    pub fn body_line(&self, vol: &Volume, md5: Option<&[u8]>, prefix: &[u8], out: &mut Vec<u8>) {
        // Written by hand rather than with `write!`: formatting machinery was
        // most of the cost of a body file (a line per name, 5,000 per directory).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match md5 {
            Some(d) => {
                d.iter().for_each(|&b| out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]))
            }
            None => out.push(b'0'),
        }
        out.push(b'|');
        name_bytes(prefix, out);
        name_bytes(&self.path, out);
        if self.meta.as_ref().is_some_and(Metadata::is_symlink) {
            if let Ok(target) = vol.read_link_ino(self.inode_no) {
                out.extend_from_slice(b" -> ");
                name_bytes(&target, out);
            }
        }
        if self.state != NameState::Live {
            out.extend_from_slice(if self.realloc { b" (deleted-realloc)" } else { b" (deleted)" });
        }
        out.push(b'|');
        push_decimal(out, self.inode_no);
        out.extend_from_slice(&[b'|', name_type_letter(self.file_type), b'/']);
        match &self.meta {
            None => out.extend_from_slice(b"----------|0|0|0|0|0|0|0"),
            Some(m) => {
                out.extend_from_slice(&meta_mode_string(m.mode() as u16));
                // Times before the epoch print as 0, as TSK's unsigned fields would not hold them.
                let secs = |t: (i64, u32)| u64::try_from(t.0).unwrap_or(0);
                for v in
                    [u64::from(m.uid()), u64::from(m.gid()), m.len(), secs(m.atime()), secs(m.mtime()), secs(m.ctime())]
                {
                    out.push(b'|');
                    push_decimal(out, v);
                }
                out.extend_from_slice(b"|0");
            }
        }
    }
}

/// Walks the tree under the directory at `start` (a path): first every live
/// name below it, as [`Volume::walk`] meets them (depth first, on-disk order,
/// `.` and `..` left out, each directory once); then, with `deleted`, each
/// walked directory's deleted entries (`ls -d`), and when `start` is the root,
/// the deleted and orphaned inodes no deleted entry names (`lsdel`). Paths are
/// relative to `start`. The first error (an unreadable directory or inode, or
/// one `f` returns) stops the walk: `f`'s error type is the caller's, as long
/// as this crate's [`Error`] converts into it.
pub fn walk_tree<E: From<Error>>(
    vol: &Volume,
    start: &[u8],
    deleted: bool,
    mut f: impl FnMut(&TreeEntry) -> Result<(), E>,
) -> Result<(), E> {
    // The deleted-inode scan runs first, though its names come last: it reads
    // every inode group in long reads, so on a cold cache the live inodes the
    // walk then reads one at a time are already in memory (one pass over the
    // groups, not a wait per inode and a second pass). Its error, if any, waits
    // for its turn, after the live names and the deleted entries.
    let from_root = || vol.resolve(start, Follow::Always).is_ok_and(|r| r.ino == vol.root_blkno());
    let orphans = (deleted && from_root()).then(|| vol.deleted_inodes());
    let mut dirs: Vec<(u64, Vec<u8>)> = Vec::new();
    for item in vol.walk(start) {
        let w = item?;
        let (ino, file_type, depth) = (w.ino(), w.file_type(), w.depth());
        if depth == 0 {
            dirs.push((ino, Vec::new()));
            continue;
        }
        let meta = Some(w.metadata()?);
        // The walk's own path, less the start and its `/`: no copy per name.
        let mut path = w.into_path();
        let cut = if path.get(start.len()) == Some(&b'/') { start.len() + 1 } else { start.len() };
        path.drain(..cut.min(path.len()));
        let e = TreeEntry { path, inode_no: ino, file_type, state: NameState::Live, meta, realloc: false };
        f(&e)?;
        if deleted && file_type.is_dir() {
            dirs.push((ino, e.path));
        }
    }
    if !deleted {
        return Ok(());
    }
    let mut named = InoSet::default();
    for (dir, prefix) in &dirs {
        for d in vol.deleted_entries_ino(*dir)? {
            let ino = d.ino().unwrap_or(0);
            named.insert(ino);
            f(&TreeEntry {
                path: join(prefix, d.name()),
                inode_no: ino,
                file_type: d.file_type(),
                state: NameState::Deleted,
                meta: d.ino().and_then(|i| vol.metadata_ino(i).ok()),
                realloc: d.ino().is_some_and(|i| vol.inode_in_use(i)),
            })?;
        }
    }
    if let Some(orphans) = orphans {
        for d in orphans? {
            if named.contains(&d.ino()) {
                continue;
            }
            f(&TreeEntry {
                path: format!("$OrphanFiles/OrphanFile-{}", d.ino()).into_bytes(),
                inode_no: d.ino(),
                file_type: d.metadata().file_type(),
                state: NameState::Orphan,
                meta: Some(d.metadata().clone()),
                realloc: false,
            })?;
        }
    }
    Ok(())
}

/// A name as TSK prints it (control characters as `^`), with `|` and `%`
/// percent-encoded: mactime splits lines on `|` and then decodes `%XX`, so
/// every name reads back exactly.
fn name_bytes(name: &[u8], out: &mut Vec<u8>) {
    if !name.iter().any(|&c| c < 0x20 || c == 0x7f || c == b'|' || c == b'%') {
        out.extend_from_slice(name);
        return;
    }
    for &c in name {
        match c {
            b'|' => out.extend_from_slice(b"%7C"),
            b'%' => out.extend_from_slice(b"%25"),
            c if c < 0x20 || c == 0x7f => out.push(b'^'),
            c => out.push(c),
        }
    }
}

fn push_decimal(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// TSK's letter for a name's type (`tsk_fs_name_type_str`).
fn name_type_letter(t: FileType) -> u8 {
    match t {
        FileType::File => b'r',
        FileType::Dir => b'd',
        FileType::CharDevice => b'c',
        FileType::BlockDevice => b'b',
        FileType::Fifo => b'p',
        FileType::Socket => b's',
        FileType::Symlink => b'l',
        FileType::Unknown(_) => b'-',
    }
}

/// TSK's mode string (`tsk_fs_meta_make_ls`): the inode's type letter (`h` for
/// a socket, in TSK's table), then `rwx` with `s`/`S` and `t`/`T`.
fn meta_mode_string(mode: u16) -> [u8; 10] {
    let mut s = [b'-'; 10];
    s[0] = match mode & 0o170000 {
        0o100000 => b'r',
        0o040000 => b'd',
        0o010000 => b'p',
        0o020000 => b'c',
        0o060000 => b'b',
        0o120000 => b'l',
        0o140000 => b'h',
        _ => b'-',
    };
    for (i, (shift, special, set, unset)) in
        [(6, 0o4000, b's', b'S'), (3, 0o2000, b's', b'S'), (0, 0o1000, b't', b'T')].into_iter().enumerate()
    {
        let p = (mode >> shift) & 7;
        if p & 4 != 0 {
            s[1 + 3 * i] = b'r';
        }
        if p & 2 != 0 {
            s[2 + 3 * i] = b'w';
        }
        s[3 + 3 * i] = match (p & 1 != 0, mode & special != 0) {
            (true, true) => set,
            (false, true) => unset,
            (true, false) => b'x',
            (false, false) => b'-',
        };
    }
    s
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        p.extend_from_slice(prefix);
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_and_numbers_are_tsks() {
        assert_eq!(&meta_mode_string(0o100644), b"rrw-r--r--");
        assert_eq!(&meta_mode_string(0o104755), b"rrwsr-xr-x");
        assert_eq!(&meta_mode_string(0o042754), b"drwxr-sr--");
        assert_eq!(&meta_mode_string(0o041777), b"drwxrwxrwt");
        assert_eq!(&meta_mode_string(0o041776), b"drwxrwxrwT");
        assert_eq!(&meta_mode_string(0o104644), b"rrwSr--r--");
        assert_eq!(&meta_mode_string(0o140600), b"hrw-------");
        assert_eq!(&meta_mode_string(0o120777), b"lrwxrwxrwx");
        let mut v = Vec::new();
        for n in [0, 7, 10, 1_795_544_645, u64::MAX] {
            push_decimal(&mut v, n);
            v.push(b' ');
        }
        assert_eq!(v, b"0 7 10 1795544645 18446744073709551615 ");
        let mut v = Vec::new();
        name_bytes(b"a|b%c\nd", &mut v);
        assert_eq!(v, b"a%7Cb%25c^d");
    }
}
