//! fsck passes 2-4: directory entries (valid targets, file types, duplicates,
//! `.`), `..` against the parent that names the directory, connectivity, link
//! counts and orphans.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Ctx, Pass, Severity};
use crate::error::{Corruption, Result, Value};
use crate::fs::{dx_entries, dx_seed, read_dir, read_dir_partial, DirEntryInfo, DxRoot, ExtentMap, Mapping};
use crate::layout::dinode::{dyn_features, flags, mode, Id2};
use crate::layout::dir::{file_type, rec_len, DirEntryHeader};
use crate::layout::dx::{dx_hash, HashChar};
use crate::layout::superblock::incompat;
use crate::layout::system_file::SystemFile;
use crate::layout::view_at;
use crate::volume::Inode;

/// The directory-entry file type an inode's mode calls for.
fn dirent_type(m: u16) -> u8 {
    match m & mode::S_IFMT {
        mode::S_IFREG => file_type::REG,
        mode::S_IFDIR => file_type::DIR,
        mode::S_IFCHR => file_type::CHR,
        mode::S_IFBLK => file_type::BLK,
        mode::S_IFIFO => file_type::FIFO,
        mode::S_IFSOCK => file_type::SOCK,
        mode::S_IFLNK => file_type::SYMLINK,
        _ => file_type::UNKNOWN,
    }
}

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    let dirs = std::mem::take(&mut cx.dirs);
    let orphan_dirs: HashSet<u64> = (0..vol.superblock().s_max_slots.get())
        .filter_map(|s| vol.system_file(SystemFile::orphan_dir(s)).ok())
        .collect();
    let mut parent_of: HashMap<u64, u64> = HashMap::new();
    let mut dotdot: HashMap<u64, u64> = HashMap::new();
    let total = dirs.len() as u64;
    let root = vol.root_blkno();
    if let Some(f) = cx.inodes.get(&root).filter(|f| f.mode & mode::S_IFMT != mode::S_IFDIR) {
        let found = format!("{:o}", f.mode);
        cx.error(
            Some("ROOT_NOTDIR"),
            root,
            "ocfs2_dinode",
            "i_mode",
            "a directory",
            found,
            "the root is not a directory",
        );
    }
    let s = "ocfs2_dir_entry";
    // Entries naming blocks behind in-use bits that hold no valid inode.
    let mut invalid_refs: BTreeMap<u64, u32> = BTreeMap::new();
    let mut lost_found = false;
    // Directories whose entries were all read.
    let mut read = HashSet::new();
    for (n, &d) in dirs.iter().enumerate() {
        if n % 64 == 0 {
            cx.progress(Pass::Directories, n as u64, total)?;
        }
        let entries = match vol.inode(d).and_then(|ino| {
            unindexed(cx, &ino);
            read_dir(vol, &ino)
        }) {
            Ok(e) => e,
            Err(e) => {
                dot_excess(cx, d);
                // fsck.ocfs2 still judges ".." of a directory whose inode reads: as
                // inode 0 when the block holding it does not read.
                if let Ok((partial, _)) = vol.inode(d).and_then(|ino| read_dir_partial(vol, &ino)) {
                    let dots = partial.first().is_some_and(|e| e.name == b".");
                    dotdot.insert(d, partial.get(1).filter(|e| dots && e.name == b"..").map_or(0, |e| e.inode));
                }
                cx.report(e, d, &format!("directory {d}"))?;
                continue;
            }
        };
        cx.counts.directories += 1;
        read.insert(d);
        // A directory read without a second entry has ".." naming nothing.
        dotdot.insert(d, entries.get(1).map_or(0, |e| e.inode));
        if d == root {
            lost_found = entries.iter().any(|e| e.name == b"lost+found");
        }
        index(cx, d, &entries)?;
        let orphan_dir = orphan_dirs.contains(&d);
        let mut names: HashSet<&[u8]> = HashSet::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            cx.counts.entries += 1;
            let name = String::from_utf8_lossy(&e.name);
            // The first two entries are "." and ".." (fsck.ocfs2 would rename
            // them so, and so treats them as such: nothing cascades from them).
            let place: Option<&[u8]> = [&b"."[..], &b".."[..]].get(i).copied();
            if let Some(want) = place.filter(|&w| e.name != w) {
                let want = String::from_utf8_lossy(want);
                let msg = format!("entry {i} of directory {d} is {name:?}, not {want:?}");
                cx.error(Some("DIRENT_NOT_DOTTY"), d, s, "name", format!("{want:?}"), format!("{name:?}"), msg);
            }
            let dot_name = e.name == b"." || e.name == b"..";
            if place.is_none() && dot_name {
                let msg = format!("entry {i} of directory {d} is another {name:?}");
                cx.error(
                    Some("DIRENT_DOTTY_DUP"),
                    d,
                    s,
                    "name",
                    "\".\" and \"..\" first, once",
                    format!("{name:?}"),
                    msg,
                );
            }
            let dotty = place.is_some() || dot_name;
            if e.name.is_empty() {
                let msg = format!("entry for inode {} of directory {d} has an empty name", e.inode);
                cx.error(Some("DIRENT_ZERO"), d, s, "name_len", "1..255", 0, msg);
            } else if e.name.iter().any(|&c| c == 0 || c == b'/') {
                let msg = format!("entry {name:?} of directory {d} holds a NUL or '/'");
                cx.error(Some("DIRENT_NAME_CHARS"), d, s, "name", "no NUL or '/'", format!("{name:?}"), msg);
            }
            if !names.insert(&e.name) {
                cx.error(
                    Some("DIRENT_DUPLICATE"),
                    d,
                    s,
                    "name",
                    "a name used once",
                    format!("{name:?} again"),
                    format!("directory {d} holds two entries named {name:?}"),
                );
            }
            if i == 0 && e.inode != d {
                cx.error(Some("DIRENT_DOT_INODE"), d, s, "inode", d, e.inode, "\".\" does not name its directory");
            }
            let Some(f) = cx.inodes.get_mut(&e.inode) else {
                if cx.invalid_inodes.contains(&e.inode) {
                    *invalid_refs.entry(e.inode).or_default() += 1;
                    continue;
                }
                let range = e.inode == 0 || e.inode >= vol.geometry().blocks;
                cx.error(
                    Some(if range { "DIRENT_INODE_RANGE" } else { "DIRENT_INODE_FREE" }),
                    d,
                    s,
                    "inode",
                    "an in-use inode",
                    e.inode,
                    format!("entry {name:?} of directory {d} points to no valid inode"),
                );
                continue;
            };
            if orphan_dir && !dotty {
                f.orphan_entry = true;
            } else {
                f.refs = f.refs.saturating_add(1);
            }
            let (want, m) = (dirent_type(f.mode), f.mode);
            if e.file_type != want {
                cx.error(
                    Some("DIRENT_TYPE"),
                    d,
                    s,
                    "file_type",
                    want,
                    e.file_type,
                    format!("entry {name:?} of directory {d}: type differs from inode {}'s mode {m:o}", e.inode),
                );
            }
            // A "." or ".." past the first two entries names a directory
            // as any other name does (fsck.ocfs2 keeps such an entry). The
            // first directory to name it stays its parent, as fsck keeps it.
            if place.is_none() && !orphan_dir && m & mode::S_IFMT == mode::S_IFDIR {
                if let Some(&first) = parent_of.get(&e.inode) {
                    cx.error(
                        Some("DIR_PARENT_DUP"),
                        d,
                        s,
                        "inode",
                        format!("directory {} named only in {first}", e.inode),
                        format!("named in {d} too ({name:?})"),
                        "a directory with two parents",
                    );
                } else {
                    parent_of.insert(e.inode, d);
                }
            }
        }
    }
    cx.progress(Pass::Directories, total, total)?;
    // fsck.ocfs2 leaves the allocator bit of an invalid inode set, so the
    // entries naming it pass; its link count, taken as 0, then differs.
    for (ino, refs) in invalid_refs {
        let msg = "directory entries name an inode that is not valid (fsck.ocfs2 counts its links as 0)";
        cx.error(Some("INODE_COUNT"), ino, "ocfs2_dinode", "i_links_count", refs, "0 (not a valid inode)", msg);
    }
    // (Only when the root inode was checked: otherwise that is the finding.)
    if !lost_found && cx.inodes.contains_key(&root) {
        let found = if dotdot.contains_key(&root) { "none" } else { "the root directory could not be read" };
        let (want, msg) = ("an entry \"lost+found\" in the root directory", "/lost+found does not exist");
        cx.error(Some("LOSTFOUND_MISSING"), root, s, "name", want, found, msg);
    }

    let (root, sysdir) = (vol.root_blkno(), vol.system_dir_blkno());
    for &d in &dirs {
        let Some(&got) = dotdot.get(&d) else { continue };
        let want = if d == root || d == sysdir { Some(d) } else { parent_of.get(&d).copied() };
        match want {
            Some(want) if want != got => {
                cx.error(Some("DIR_DOTDOT"), d, s, "inode", want, got, format!("\"..\" of directory {d}"));
            }
            // No directory names it, yet ".." names one whose entries were
            // read as its parent (an orphan's ".." still names the directory
            // it was removed from).
            None if read.contains(&got) && !cx.inodes.get(&d).is_some_and(orphan) => {
                let msg = format!("\"..\" of directory {d}, which no directory names");
                cx.error(Some("DIR_DOTDOT"), d, s, "inode", "no parent: no entry names it", got, msg);
            }
            _ => {}
        }
    }

    let mut inodes: Vec<(u64, super::InodeFacts)> = cx.inodes.iter().map(|(&b, &f)| (b, f)).collect();
    inodes.sort_unstable_by_key(|(b, _)| *b);
    for (blkno, f) in inodes {
        let is_dir = f.mode & mode::S_IFMT == mode::S_IFDIR;
        // A directory names itself ("." and its children's ".."): it is
        // connected only when another directory names it.
        let unnamed =
            if is_dir { blkno != root && blkno != sysdir && !parent_of.contains_key(&blkno) } else { f.refs == 0 };
        if unnamed {
            if orphan(&f) {
                let at = Corruption {
                    blkno,
                    structure: "ocfs2_dinode",
                    field: "i_flags",
                    expected: "-".into(),
                    actual: Value::Hex(f.flags.into()),
                    kind: Default::default(),
                };
                // What deleting it will free: space an admin may be looking for.
                let bytes = u64::from(f.clusters) << vol.geometry().cluster_bits;
                let msg = format!("orphan awaiting deletion, still holding {} clusters ({bytes} bytes)", f.clusters);
                cx.push(Some("INODE_ORPHANED"), Severity::Info, at, msg);
                continue;
            }
            cx.error(
                Some(if is_dir { "DIR_NOT_CONNECTED" } else { "INODE_NOT_CONNECTED" }),
                blkno,
                "ocfs2_dinode",
                "i_links_count",
                "named by a directory entry",
                "no entry names it",
                "inode not connected to the tree",
            );
        }
        if f.links != f.refs {
            cx.error(
                Some("INODE_COUNT"),
                blkno,
                "ocfs2_dinode",
                "i_links_count",
                f.refs,
                f.links,
                "link count differs from the directory entries naming the inode",
            );
        }
    }
    dirs.clone_into(&mut cx.dirs);
    Ok(())
}

/// An orphan: named from an orphan directory or flagged so, awaiting deletion.
fn orphan(f: &super::InodeFacts) -> bool {
    f.orphan_entry || f.flags & flags::ORPHANED != 0
}

/// A directory in blocks without an index on a volume with indexed directories:
/// fsck.ocfs2 offers to build one (`DX_TREE_MISSING`), but nothing is wrong. The
/// kernel indexes a directory only when it creates it or grows it out of its
/// inode, and reads an unindexed one linearly; mkfs.ocfs2 writes the system
/// directory unindexed, in blocks when it does not fit in its inode (block sizes
/// below 2 KiB, or 2 KiB with many slots). A note, then.
fn unindexed(cx: &mut Ctx<'_, '_>, ino: &Inode<'_>) {
    let h = ino.header();
    let indexed = h.has_dyn(dyn_features::INDEXED_DIR) || h.has_dyn(dyn_features::INLINE_DATA);
    if indexed || !cx.vol.superblock().has_incompat(incompat::INDEXED_DIRS) {
        return;
    }
    let at = Corruption {
        blkno: ino.blkno(),
        structure: "ocfs2_dinode",
        field: "i_dyn_features",
        expected: "INDEXED_DIR (what fsck.ocfs2 would build)".into(),
        actual: Value::Hex(h.i_dyn_features.get().into()),
        kind: Default::default(),
    };
    cx.push(Some("DX_TREE_MISSING"), Severity::Info, at, "directory without an index (valid: read linearly)");
}

/// A "." entry longer than its name needs: fsck.ocfs2 offers to split the
/// excess into an entry of its own (`DIRENT_DOT_EXCESS`). The kernel never
/// writes one, and the excess misplaces the next entry, so it is looked for
/// only when the directory did not read.
fn dot_excess(cx: &mut Ctx<'_, '_>, d: u64) {
    let vol = cx.vol;
    let Ok(ino) = vol.inode(d) else { return };
    let block;
    let area: &[u8] = match ino.dinode().id2() {
        Ok(Id2::Inline(_, data)) => data,
        Ok(Id2::Extents(_)) => {
            let Ok(map) = ExtentMap::load(vol, &ino) else { return };
            let Mapping::Block { blkno, .. } = map.map(vol, 0) else { return };
            let Ok(b) = vol.read_block(blkno) else { return };
            block = b;
            &block
        }
        _ => return,
    };
    let Some(h) = view_at::<DirEntryHeader>(area, 0) else { return };
    let min = rec_len(1) as u16;
    let name = area.get(std::mem::size_of::<DirEntryHeader>());
    if h.name_len == 1 && name == Some(&b'.') && h.rec_len.get() != min {
        let msg = format!("\".\" of directory {d} is longer than its name needs");
        cx.error(Some("DIRENT_DOT_EXCESS"), d, "ocfs2_dir_entry", "rec_len", min, h.rec_len.get(), msg);
    }
}

/// fsck's pass-2 lookup: in an indexed directory, every entry but `.` and `..`
/// must be found through the index (an index entry with the name's hash naming
/// the block that holds it).
fn index(cx: &mut Ctx<'_, '_>, d: u64, entries: &[DirEntryInfo]) -> Result<()> {
    let vol = cx.vol;
    let root = match vol.inode(d).and_then(|ino| DxRoot::of_dir(vol, &ino)) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(()),
        Err(e) => return cx.report(e, d, &format!("directory {d}'s index root")),
    };
    let leaves = match dx_entries(vol, &root) {
        Ok(l) => l,
        Err(e) => return cx.report(e, root.blkno(), &format!("directory {d}'s index")),
    };
    let mut indexed: HashSet<(u32, u32, u64)> = HashSet::new();
    for leaf in &leaves {
        indexed
            .extend(leaf.entries.iter().map(|e| (e.dx_major_hash.get(), e.dx_minor_hash.get(), e.dx_dirent_blk.get())));
    }
    let seed = dx_seed(vol);
    for e in entries.iter().filter(|e| e.name != b"." && e.name != b"..") {
        // Which `char` the writer's compiler had is unknown; ASCII names hash alike.
        let found = [HashChar::Signed, HashChar::Unsigned].into_iter().any(|ch| {
            let h = dx_hash(&e.name, &seed, ch);
            indexed.contains(&(h.major, h.minor, e.block))
        });
        if !found {
            let name = String::from_utf8_lossy(&e.name);
            cx.error(
                Some("DX_LOOKUP_FAILED"),
                d,
                "ocfs2_dx_entry",
                "dx_dirent_blk",
                format!("an index entry for {name:?} naming block {}", e.block),
                "none",
                format!("entry {name:?} (inode {}) of directory {d} is missing from its index", e.inode),
            );
        }
    }
    Ok(())
}
