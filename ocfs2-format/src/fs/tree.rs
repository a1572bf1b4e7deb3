//! One walk over a directory tree, for the front-ends that list every name
//! with its inode: timelines (`bodyfile`), hash lists, and with deleted names,
//! what `ls -d` and `lsdel` recover.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::layout::dinode::flags;
use crate::layout::dir::file_type as ft;
use crate::volume::{Inode, Volume};

use super::dir::{prefetch_entry_inodes, read_dir};
use super::file::read_symlink;
use super::forensics::{deleted_entries, deleted_inodes};

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
pub struct TreeEntry<'v> {
    /// The path below the walk's start: names joined by `/`, no leading `/`.
    pub path: Vec<u8>,
    /// The inode number the name gives (0 when the kernel cleared it).
    pub inode_no: u64,
    /// The directory entry's file type (see [`crate::layout::dir::file_type`]);
    /// for orphans, derived from the inode's mode.
    pub file_type: u8,
    /// Live, deleted or orphan.
    pub state: NameState,
    /// The inode, when its block holds a valid inode of this volume (for
    /// deleted names it may be freed, or in use again by another file).
    pub inode: Option<Inode<'v>>,
}

impl TreeEntry<'_> {
    /// Whether the inode is in use (VALID): for a deleted name, that it was
    /// reallocated (The Sleuth Kit's "deleted-realloc").
    pub fn inode_in_use(&self) -> bool {
        self.inode.as_ref().is_some_and(|i| i.header().has_flag(flags::VALID))
    }

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
        if let Some(i) = self.inode.as_ref().filter(|i| i.header().is_symlink()) {
            if let Ok(target) = read_symlink(vol, i) {
                out.extend_from_slice(b" -> ");
                name_bytes(&target, out);
            }
        }
        if self.state != NameState::Live {
            out.extend_from_slice(if self.inode_in_use() && self.state == NameState::Deleted {
                b" (deleted-realloc)"
            } else {
                b" (deleted)"
            });
        }
        out.push(b'|');
        push_decimal(out, self.inode_no);
        out.extend_from_slice(&[b'|', name_type_letter(self.file_type), b'/']);
        match self.inode.as_ref().map(|i| i.header()) {
            None => out.extend_from_slice(b"----------|0|0|0|0|0|0|0"),
            Some(h) => {
                out.extend_from_slice(&meta_mode_string(h.i_mode.get()));
                for v in [
                    u64::from(h.i_uid.get()),
                    u64::from(h.i_gid.get()),
                    h.i_size.get(),
                    h.i_atime.get(),
                    h.i_mtime.get(),
                    h.i_ctime.get(),
                ] {
                    out.push(b'|');
                    push_decimal(out, v);
                }
                out.extend_from_slice(b"|0");
            }
        }
    }
}

/// Walks the tree under directory `start`, depth first, each directory's live
/// entries in on-disk order (a subdirectory's contents right after its own
/// entry), `.` and `..` left out. With `deleted`, each directory's deleted
/// entries follow its live ones, and when `start` is the root, the deleted and
/// orphaned inodes no name reaches come last. Directories are entered once
/// (hard-linked or looping directories are not walked twice); deleted
/// directories are not entered. A live entry whose inode cannot be read stops
/// the walk with that error. An error `f` returns stops it too: `f`'s error
/// type is the caller's, as long as this crate's [`Error`] converts into it.
pub fn walk_tree<E: From<Error>>(
    vol: &Volume,
    start: u64,
    deleted: bool,
    mut f: impl FnMut(&TreeEntry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let blocks = vol.geometry().blocks;
    let mut seen_dirs = HashSet::from([start]);
    let mut named = HashSet::new();
    // One level per directory being walked: its path and the names left to
    // visit. Inodes are read as each name is visited, so a directory of a
    // million names holds a million names, not a million inode blocks.
    let mut stack: Vec<(Vec<u8>, std::vec::IntoIter<Name>)> = Vec::new();
    let open = |dir: u64, named: &mut HashSet<u64>| -> Result<std::vec::IntoIter<Name>> {
        let inode = vol.inode(dir)?;
        let live = read_dir(vol, &inode)?;
        prefetch_entry_inodes(vol, &live);
        let mut out: Vec<Name> = live
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .map(|e| (e.inode, e.file_type, e.name, NameState::Live))
            .collect();
        if deleted {
            for d in deleted_entries(vol, &inode)? {
                named.insert(d.inode);
                out.push((d.inode, d.file_type, d.name, NameState::Deleted));
            }
        }
        Ok(out.into_iter())
    };
    stack.push((Vec::new(), open(start, &mut named)?));
    while let Some((prefix, names)) = stack.last_mut() {
        let Some((inode_no, file_type, name, state)) = names.next() else {
            stack.pop();
            continue;
        };
        let inode = match state {
            NameState::Live => Some(vol.inode(inode_no)?),
            _ if inode_no != 0 && inode_no < blocks => vol.inode(inode_no).ok(),
            _ => None,
        };
        let e = TreeEntry { path: join(prefix, &name), inode_no, file_type, state, inode };
        f(&e)?;
        let is_dir = e.inode.as_ref().is_some_and(|i| i.header().is_dir());
        if state == NameState::Live && is_dir && seen_dirs.insert(inode_no) {
            stack.push((e.path, open(inode_no, &mut named)?));
        }
    }
    if deleted && start == vol.superblock().s_root_blkno.get() {
        for d in deleted_inodes(vol)? {
            if named.contains(&d.blkno) {
                continue;
            }
            let inode = vol.inode(d.blkno).ok();
            f(&TreeEntry {
                path: format!("$OrphanFiles/OrphanFile-{}", d.blkno).into_bytes(),
                inode_no: d.blkno,
                file_type: type_of_mode(d.mode),
                state: NameState::Orphan,
                inode,
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
fn name_type_letter(t: u8) -> u8 {
    match t {
        ft::REG => b'r',
        ft::DIR => b'd',
        ft::CHR => b'c',
        ft::BLK => b'b',
        ft::FIFO => b'p',
        ft::SOCK => b's',
        ft::SYMLINK => b'l',
        _ => b'-',
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

/// A name met in a directory: inode, file type, name, how it was found.
type Name = (u64, u8, Vec<u8>, NameState);

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        p.extend_from_slice(prefix);
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The directory file type an inode's mode stands for.
fn type_of_mode(mode: u16) -> u8 {
    match mode & 0o170000 {
        0o100000 => ft::REG,
        0o040000 => ft::DIR,
        0o020000 => ft::CHR,
        0o060000 => ft::BLK,
        0o010000 => ft::FIFO,
        0o140000 => ft::SOCK,
        0o120000 => ft::SYMLINK,
        _ => ft::UNKNOWN,
    }
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
