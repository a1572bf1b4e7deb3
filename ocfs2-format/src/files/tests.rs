//! The facade on the kernel-written fixtures; expected values from
//! fixtures/README.md (checked there against debugfs.ocfs2).
#![allow(clippy::unwrap_used)]

use std::io::{Read, Seek, SeekFrom};

use super::*;

fn vol() -> &'static Volume {
    crate::test_util::fixture("A-default")
}

#[test]
fn read_dir_skips_dot_entries() {
    let v = vol();
    let mut names: Vec<Vec<u8>> = v.read_dir("/small").unwrap().map(|e| e.unwrap().name().to_vec()).collect();
    names.sort();
    let want: Vec<&[u8]> = vec![b"empty", b"hello.txt", b"one-byte", b"pat100", b"pat3000", b"pat5000"];
    assert_eq!(names, want);
    let e = v.read_dir("/links").unwrap().map(Result::unwrap).find(|e| e.name() == b"sym-hello").unwrap();
    assert_eq!(e.file_type(), FileType::Symlink);
    assert!(e.metadata().unwrap().is_symlink());
    assert!(matches!(v.read_dir("/small/hello.txt"), Err(Error::NotADirectory(_))));
}

#[test]
fn paths_resolve_like_std() {
    let v = vol();
    let hello = v.lookup("/small/hello.txt").unwrap();
    assert_eq!(v.lookup("small//./hello.txt").unwrap(), hello);
    assert_eq!(v.lookup("/d1/../small/hello.txt").unwrap(), hello);
    assert_eq!(v.lookup("/../small/hello.txt").unwrap(), hello);
    // metadata follows the symlink, symlink_metadata does not, lookup never.
    assert_eq!(v.metadata("/links/sym-hello").unwrap().ino(), hello);
    let link = v.symlink_metadata("/links/sym-hello").unwrap();
    assert!(link.is_symlink() && link.len() == 18);
    assert_eq!(v.lookup("/links/sym-hello").unwrap(), link.ino());
    assert_eq!(v.read_link("/links/sym-hello").unwrap(), b"../small/hello.txt");
    assert_eq!(v.canonicalize("/links/sym-hello").unwrap(), b"/small/hello.txt");
    assert_eq!(v.canonicalize("/d1/d2/..").unwrap(), b"/d1");
    assert_eq!(v.canonicalize("/").unwrap(), b"/");
    assert_eq!(v.canonicalize("//global_bitmap").unwrap(), b"//global_bitmap");
    assert_eq!(v.lookup("//global_bitmap").unwrap(), v.system_file(SystemFile::GLOBAL_BITMAP).unwrap());
    assert!(v.exists("/small/hello.txt").unwrap());
    assert!(!v.exists("/small/nope").unwrap());
    assert!(!v.exists("/small/hello.txt/x").unwrap());
    // The slow symlink points to /long/..., which does not exist.
    assert!(!v.exists("/links/sym-long").unwrap());
    assert!(matches!(v.metadata("/nope"), Err(Error::NotFound(_))));
    assert!(matches!(v.lookup("/small/hello.txt/x"), Err(Error::NotADirectory(_))));
    assert_eq!(v.lookup_in(v.lookup("/small").unwrap(), "hello.txt").unwrap(), hello);
    // Indexed directory: through the index.
    let bigdir = v.lookup("/bigdir").unwrap();
    assert_eq!(v.lookup_in(bigdir, "e04999").unwrap(), v.lookup("/bigdir/e04999").unwrap());
}

#[test]
fn files_read_and_seek() {
    let v = vol();
    assert_eq!(v.read("/links/sym-hello").unwrap(), b"hello ocfs2 from the linux kernel\n");
    let mut f = v.open_file("/small/pat5000").unwrap();
    assert_eq!(f.len(), 5000);
    f.seek(SeekFrom::End(-10)).unwrap();
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).unwrap();
    assert_eq!(tail.len(), 10);
    assert!(matches!(v.open_file("/small"), Err(Error::IsADirectory(_))));
    assert_eq!(v.open_file("/small").unwrap_err().errno(), libc::EISDIR);
}

#[test]
fn runs_and_seek_data_hole() {
    let v = vol();
    let f = v.open_file("/sparse/holey").unwrap();
    let cs = u64::from(v.geometry().cluster_size);
    let mib8 = 8u64 << 20;
    let shape: Vec<(u64, u64, &str)> = f
        .runs()
        .iter()
        .map(|r| {
            let kind = match r {
                Run::Data { .. } => "data",
                Run::Unwritten { .. } => "unwritten",
                Run::Hole { .. } => "hole",
            };
            (r.logical(), r.len(), kind)
        })
        .collect();
    assert_eq!(shape, [(0, cs, "data"), (cs, mib8 - cs, "hole"), (mib8, cs, "data"), (mib8 + cs, mib8 - cs, "hole")]);
    assert_eq!(f.next_data(0), Some(0));
    assert_eq!(f.next_hole(0), Some(cs));
    assert_eq!(f.next_data(cs), Some(mib8));
    assert_eq!(f.next_hole(mib8), Some(mib8 + cs));
    assert_eq!(f.next_data(mib8 + cs), None);
    assert_eq!(f.next_hole(mib8 + cs), Some(mib8 + cs));
    assert_eq!(f.next_hole(16 << 20), None);

    let p = v.open_file("/data/prealloc").unwrap();
    assert!(matches!(p.runs()[..], [Run::Unwritten { logical: 0, len, .. }] if len == 4 << 20));
    assert_eq!(p.next_data(0), None);
    assert_eq!(p.next_hole(0), Some(0));

    let r = v.open_file("/data/pat1m").unwrap();
    assert!(r.runs().iter().all(|r| matches!(r, Run::Data { refcounted: true, .. })));
    let inline = v.open_file("/small/hello.txt").unwrap();
    let ino = inline.ino();
    assert_eq!(
        inline.runs(),
        [Run::Data { logical: 0, physical: v.geometry().block_offset(ino) + 200, len: 34, refcounted: false }]
    );
}

#[test]
fn metadata_fields() {
    let v = vol();
    let m = v.metadata("/small/pat5000").unwrap();
    assert!(m.is_file() && !m.is_inline() && !m.is_sparse());
    assert_eq!(m.mode() & 0o170000, 0o100000);
    assert_eq!(m.blocks(), u64::from(m.clusters()) * u64::from(v.geometry().cluster_size) / 512);
    assert_eq!(m.blksize(), v.geometry().cluster_size);
    assert!(v.metadata("/small/hello.txt").unwrap().is_inline());
    assert!(v.metadata("/sparse/holey").unwrap().is_sparse());
    assert!(!v.metadata("/data/prealloc").unwrap().is_sparse());
    assert_eq!(v.metadata("/data/pat1m").unwrap().nlink(), 2);
    assert!(v.metadata("/data/pat1m").unwrap().refcount_root().is_some());
    let (s, ns) = m.mtime();
    assert_eq!(m.modified().duration_since(std::time::UNIX_EPOCH).unwrap(), std::time::Duration::new(s as u64, ns));
}

#[test]
fn statfs_counts_the_global_bitmap() {
    let v = vol();
    let s = v.statfs().unwrap();
    let gb = v.inode(v.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
    let b = gb.header().bitmap1();
    assert_eq!(s.files, u64::from(b.i_total.get()));
    assert_eq!(s.blocks, s.files * v.geometry().blocks_per_cluster());
    assert!(s.blocks_free < s.blocks && s.blocks_free > 0);
    assert_eq!(s.name_max, 255);
}

#[test]
fn xattrs_have_linux_names() {
    let v = vol();
    let names: Vec<Vec<u8>> = v.xattrs("/xattr/file").unwrap().iter().map(|x| x.name().to_vec()).collect();
    assert_eq!(names, [b"user.small".to_vec(), b"user.medium".to_vec(), b"user.big".to_vec()]);
    assert_eq!(v.getxattr("/xattr/file", "user.small").unwrap(), Some(b"v1".to_vec()));
    assert_eq!(v.getxattr("/xattr/file", "user.none").unwrap(), None);
    // user.big's value lies in a value tree: read for that name alone.
    assert_eq!(v.getxattr("/xattr/file", "user.big").unwrap(), Some(vec![b'B'; 5000]));
    let ino = v.metadata("/xattr/file").unwrap().ino();
    assert_eq!(v.xattr_names_ino(ino).unwrap(), names, "the names, without the values");
}

#[test]
fn acls_convert_to_the_linux_format() {
    let stored: Vec<u8> = [(1u16, 6u16, 0u32), (2, 4, 1000), (0x20, 4, 7)]
        .iter()
        .flat_map(|&(t, p, i)| [&t.to_le_bytes()[..], &p.to_le_bytes(), &i.to_le_bytes()].concat())
        .collect();
    let linux = acl_to_linux(&stored).unwrap();
    let mut want = vec![2, 0, 0, 0];
    want.extend_from_slice(&[1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff]);
    want.extend_from_slice(&[2, 0, 4, 0, 0xe8, 0x03, 0, 0]);
    want.extend_from_slice(&[0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(linux, want);
    assert_eq!(acl_to_linux(&stored[..7]), None);
}

/// X-max's ACLs were set through the Linux xattr format (fixtures/README.md);
/// reading them back must give the same bytes.
#[test]
fn fixture_acls_read_back_as_set() {
    let v = crate::test_util::fixture("X-max");
    let linux = |entries: &[(u16, u16, u32)]| -> Vec<u8> {
        let mut out = 2u32.to_le_bytes().to_vec();
        for &(t, p, i) in entries {
            out.extend_from_slice(&[&t.to_le_bytes()[..], &p.to_le_bytes(), &i.to_le_bytes()].concat());
        }
        out
    };
    let u = u32::MAX;
    let access = v.getxattr("/extra/acl/file", "system.posix_acl_access").unwrap().unwrap();
    assert_eq!(access, linux(&[(1, 6, u), (2, 4, 1000), (4, 4, u), (0x10, 6, u), (0x20, 4, u)]));
    let x = v.xattrs("/extra/acl/file").unwrap();
    let acl = x.iter().find(|x| x.is_acl()).unwrap().acl().unwrap();
    assert_eq!(acl.to_string(), "user::rw-,user:1000:r--,group::r--,mask::rw-,other::r--");
    let default = v.getxattr("/extra/acl", "system.posix_acl_default").unwrap().unwrap();
    assert_eq!(default, linux(&[(1, 7, u), (4, 5, u), (0x20, 5, u)]));
    assert_eq!(v.getxattr("/extra/acl", "system.posix_acl_access").unwrap(), None);
}

/// The regular files of A-default outside lost+found and bigdir, from
/// fixtures/README.md's expectations.
fn expected_files(fixture: &str) -> Vec<(String, u64)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/README.md")).unwrap();
    let mut out = Vec::new();
    let mut on = false;
    for line in readme.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["fixture", name] => on = *name == fixture,
            ["file", _, size, path] if on => out.push((format!("/{path}"), size.parse().unwrap())),
            _ => {}
        }
    }
    out.sort();
    out
}

#[test]
fn walk_finds_every_file_and_marks_hard_links() {
    let v = vol();
    let mut files = Vec::new();
    let mut links_seen = Vec::new();
    for e in v.walk("/").sort_by_name(true) {
        let e = e.unwrap();
        let p = String::from_utf8(e.path().to_vec()).unwrap();
        if p.starts_with("/lost+found") || p.starts_with("/bigdir/") {
            continue;
        }
        if e.hard_link_seen() {
            links_seen.push(p.clone());
        }
        if e.file_type().is_file() {
            files.push((p, e.metadata().unwrap().len()));
        }
    }
    assert_eq!(files, expected_files("A-default"));
    // Sorted by name, /data/pat1m comes before /links/hard-pat1m.
    assert_eq!(links_seen, ["/links/hard-pat1m"]);
}

#[test]
fn walk_depths_and_links() {
    let v = vol();
    let shallow: Vec<(usize, Vec<u8>)> = v
        .walk("/d1")
        .sort_by_name(true)
        .max_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| (e.depth(), e.path().to_vec()))
        .collect();
    assert_eq!(shallow, [(0, b"/d1".to_vec()), (1, b"/d1/d2".to_vec()), (1, b"/d1/d2b".to_vec())]);
    let deep: Vec<Vec<u8>> = v.walk("/d1/").min_depth(3).into_iter().map(|e| e.unwrap().path().to_vec()).collect();
    assert_eq!(deep, [b"/d1/d2/d3/deep.txt".to_vec()]);
    // Following links: sym-hello is a file; sym-long dangles (an Err item).
    let items: Vec<_> = v.walk("/links").sort_by_name(true).follow_links(true).into_iter().collect();
    assert_eq!(items.len(), 4, "{items:?}");
    let hello = items[2].as_ref().unwrap();
    assert_eq!(hello.name(), b"sym-hello");
    assert!(hello.path_is_symlink() && hello.file_type().is_file());
    assert_eq!(hello.ino(), v.lookup("/small/hello.txt").unwrap());
    assert!(matches!(items[3], Err(Error::NotFound(_))));
    // Not following: the link itself.
    let plain = v.walk("/links").sort_by_name(true).into_iter().nth(2).unwrap().unwrap();
    assert!(plain.file_type().is_symlink() && !plain.path_is_symlink());
}

/// A damaged copy of A-default where `/d1/d2`'s entry `d3` names `/d1`: the walk
/// reports the directory met twice and ends.
#[test]
fn walk_survives_a_directory_cycle() {
    use crate::io::{open_zst, BlockSource};
    let v = vol();
    let (d1, d2) = (v.lookup("/d1").unwrap(), v.lookup("/d1/d2").unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/A-default.img.zst");
    let mut src = open_zst(&path).unwrap();
    let bs = v.block_size();
    let block = src.bytes(v.geometry().block_offset(d2), bs).unwrap().into_owned();
    // The inline entry: inode(8) rec_len(2) name_len(1)=2 file_type(1)=DIR, "d3".
    let at = (12..bs - 2).find(|&i| &block[i..i + 2] == b"d3" && block[i - 2] == 2 && block[i - 1] == 2).unwrap() - 12;
    src.write_at(v.geometry().block_offset(d2) + at as u64, &d1.to_le_bytes()).unwrap();
    let bad = Volume::from_source(Box::new(src), crate::OpenOptions::default()).unwrap();
    let items: Vec<_> = bad.walk("/d1").sort_by_name(true).into_iter().collect();
    let errs: Vec<&Error> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errs.len(), 1, "{items:?}");
    let c = errs[0].corruption().unwrap();
    assert_eq!((c.blkno, c.field), (d1, "inode"));
    assert!(matches!(&c.actual, crate::Value::Text(path) if path.ends_with("/d1/d2/d3")), "{c}");
    assert_eq!(items.len(), 5); // d1, d2, d3 (the cycle), d2b, sib.txt
}

/// B's orphan (fixtures/README.md: inode 15804, 64 KiB, pattern 77) opens and
/// reads whole; A-default's freed inode keeps its deletion time but no data;
/// deleted names have their inode number zeroed by the kernel.
#[test]
fn deleted_handles() {
    use sha2::{Digest, Sha256};
    let b = crate::test_util::fixture("B");
    let dead = b.deleted_inodes().unwrap();
    let o = dead.iter().find(|d| d.ino() == 15804).unwrap();
    assert!(o.allocated() && o.is_orphan() && o.has_data() && o.deleted().is_none());
    let mut data = Vec::new();
    o.open().unwrap().read_to_end(&mut data).unwrap();
    let hex: String = Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((data.len(), hex.as_str()), (65536, "f9c7a6a2374c91088808cd07acf79b6b73b8ad3b61fce87e5cd994a0ebb7cd96"));

    let a = vol();
    let freed = a.deleted_inodes().unwrap();
    assert_eq!(freed.len(), 1);
    let f = &freed[0];
    assert!(!f.allocated() && !f.is_orphan() && !f.has_data());
    let dtime = f.metadata().dtime();
    assert_eq!(f.deleted(), Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(dtime)));
    assert!(f.metadata().ctime().0 as u64 <= dtime); // dtime has no nanoseconds
    let names = a.deleted_entries("/data").unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!((names[0].name(), names[0].ino(), names[0].file_type()), (&b"deleted"[..], None, FileType::File));
    assert!(names[0].inode().is_none());

    let x = crate::test_util::fixture("X-max");
    let gone: Vec<Vec<u8>> = x.deleted_entries("/extra/deldir").unwrap().iter().map(|e| e.name().to_vec()).collect();
    let want: Vec<Vec<u8>> = (10..20).map(|i| format!("file-{i:03}").into_bytes()).collect();
    assert_eq!(gone, want);
}

/// The long operations report through the one callback type and stop when it
/// says so.
#[test]
fn progress_and_cancellation() {
    use crate::progress::{Progress, Task};
    use std::ops::ControlFlow;
    let v = vol();
    let mut seen: Vec<Progress> = Vec::new();
    let dead = v
        .deleted_inodes_with(&mut |p| {
            seen.push(p);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(dead.len(), v.deleted_inodes().unwrap().len());
    assert!(seen.len() > 1 && seen.iter().all(|p| p.task == Task::ScanInodes));
    // The total is every inode allocator's bit count.
    let total: u64 = [SystemFile::GLOBAL_INODE_ALLOC, SystemFile::inode_alloc(0), SystemFile::inode_alloc(1)]
        .into_iter()
        .map(|n| u64::from(v.inode(v.system_file(n).unwrap()).unwrap().header().bitmap1().i_total.get()))
        .sum();
    assert!(seen.iter().all(|p| p.total == Some(total) && p.done < total));
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done));

    let stop = |_: Progress| ControlFlow::Break(());
    assert!(matches!(v.deleted_inodes_with(&mut { stop }), Err(Error::Cancelled)));
    assert!(matches!(crate::forensics::block_owners_with(v, &[100], &mut { stop }), Err(Error::Cancelled)));
    let target = v.lookup("/d1/d2/d3/deep.txt").unwrap();
    assert!(matches!(crate::fs::find_paths_with(v, target, &mut { stop }), Err(Error::Cancelled)));
    assert_eq!(Error::Cancelled.errno(), libc::ECANCELED);

    // check: every pass reports; cancelling in the inode pass stops there.
    let mut passes = Vec::new();
    let report = crate::check::check_with(v, &mut |p| {
        if let Task::Check(pass) = p.task {
            if passes.last() != Some(&pass) {
                passes.push(pass);
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(report.is_clean());
    use crate::check::Pass;
    // 256 MiB hold no backup superblock, the superblock pass's only units.
    assert_eq!(passes, [Pass::Slots, Pass::Chains, Pass::Inodes, Pass::Clusters, Pass::Directories]);
    let mut last = None;
    let r = crate::check::check_with(v, &mut |p| {
        last = Some(p.task);
        if p.task == Task::Check(Pass::Inodes) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert!(matches!(r, Err(Error::Cancelled)));
    assert_eq!(last, Some(Task::Check(Pass::Inodes)));
}

/// `.` and `..` resolve through `lookup_in`, in an indexed directory too
/// (through the index when the directory has one).
#[test]
fn dot_entries_resolve_in_every_directory_kind() {
    let v = vol();
    let root = v.root_blkno();
    for dir in ["/small", "/bigdir", "/d1/d2"] {
        let ino = v.lookup(dir).unwrap();
        assert_eq!(v.lookup_in(ino, ".").unwrap(), ino, "{dir}");
        let parent = v.lookup_in(ino, "..").unwrap();
        let want = if dir == "/d1/d2" { v.lookup("/d1").unwrap() } else { root };
        assert_eq!(parent, want, "{dir}");
    }
}

/// A source that records the offset of every read and every prefetch hint
/// (`(offset, len)`), to see what a reader touched; nothing counts as cached.
#[derive(Debug)]
struct Recording {
    inner: crate::io::MemSource,
    offsets: Arc<std::sync::Mutex<Vec<u64>>>,
    hints: Arc<std::sync::Mutex<Vec<(u64, u64)>>>,
}

impl Recording {
    /// A-default behind a recording source: the volume, the reads, the hints.
    #[allow(clippy::type_complexity)]
    fn a_default() -> (Volume, Arc<std::sync::Mutex<Vec<u64>>>, Arc<std::sync::Mutex<Vec<(u64, u64)>>>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/A-default.img.zst");
        let raw = zstd::decode_all(std::fs::File::open(path).unwrap()).unwrap();
        let rec = Recording {
            inner: crate::io::MemSource::from_vec(raw),
            offsets: Default::default(),
            hints: Default::default(),
        };
        let (offsets, hints) = (Arc::clone(&rec.offsets), Arc::clone(&rec.hints));
        (Volume::from_source(Box::new(rec), crate::OpenOptions::default()).unwrap(), offsets, hints)
    }
}

impl crate::io::BlockSource for Recording {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.offsets.lock().unwrap().push(offset);
        self.inner.read_at(offset, buf)
    }
    fn bytes(&self, offset: u64, len: usize) -> Result<std::borrow::Cow<'_, [u8]>> {
        self.offsets.lock().unwrap().push(offset);
        self.inner.bytes(offset, len)
    }
    fn prefetch(&self, offset: u64, len: u64) {
        self.hints.lock().unwrap().push((offset, len));
    }
    fn is_cached(&self, _: u64) -> bool {
        false
    }
}

/// `ReadDir` streams: the first entry of a 25-block indexed directory and of a
/// block directory arrives after reading one of its entry blocks, the rest as
/// the iteration goes; an inline directory reads no block beyond its inode.
/// Every shape lists what `fs::read_dir` lists.
#[test]
fn read_dir_streams_block_by_block() {
    let (v, offsets, _) = Recording::a_default();
    let bs = u64::from(v.geometry().block_size);
    // How many of `blocks` the reads so far touched.
    let touched = |blocks: &[u64]| -> usize {
        let offsets = offsets.lock().unwrap();
        blocks.iter().filter(|b| offsets.iter().any(|&o| o / bs == **b)).count()
    };
    for (path, want_blocks) in [("/bigdir", 25), ("//", 0), ("/d1", 0)] {
        let ino = v.lookup(path).unwrap();
        let inode = v.inode(ino).unwrap();
        let size_blocks = inode.header().i_size.get().div_ceil(bs);
        let blocks: Vec<u64> =
            crate::fs::ExtentMap::load(&v, &inode).unwrap().blocks(&v, size_blocks).map(|b| b.1).collect();
        let want: Vec<Vec<u8>> = crate::fs::read_dir(&v, &inode)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .filter(|n| n != b"." && n != b"..")
            .collect();
        offsets.lock().unwrap().clear();
        let mut it = v.read_dir(path).unwrap();
        let first = it.next().unwrap().unwrap();
        let read_first = touched(&blocks);
        let mut got = vec![first.name().to_vec()];
        got.extend(it.map(|e| e.unwrap().name().to_vec()));
        assert_eq!(got, want, "{path}");
        match want_blocks {
            0 if inode.header().has_dyn(crate::layout::dinode::dyn_features::INLINE_DATA) => {
                assert!(blocks.is_empty(), "{path}: inline");
            }
            // The system directory: a block directory of several blocks.
            0 => {
                assert!(blocks.len() > 1, "{path}: {} blocks", blocks.len());
                assert_eq!((read_first, touched(&blocks)), (1, blocks.len()), "{path}");
            }
            n => {
                assert_eq!(blocks.len(), n, "{path}");
                assert_eq!(want.len(), 5000);
                assert_eq!((read_first, touched(&blocks)), (1, n), "{path}");
            }
        }
    }
}

/// `dot_entries(true)` adds `.` and `..` where they lie (first), naming the
/// directory and its parent; the rest is the default listing.
#[test]
fn read_dir_with_dot_entries() {
    let v = vol();
    for path in ["/small", "/bigdir", "//", "/d1/d2"] {
        let ino = v.lookup(path).unwrap();
        let all: Vec<DirEntry<'_>> = v.read_dir(path).unwrap().dot_entries(true).map(Result::unwrap).collect();
        assert_eq!((all[0].name(), all[0].ino()), (&b"."[..], ino), "{path}");
        assert_eq!(all[1].name(), b"..", "{path}");
        let parent = v.lookup(format!("{path}/..")).unwrap();
        // `//..` is the system directory itself, as on disk.
        let parent = if path == "//" { ino } else { parent };
        assert_eq!(all[1].ino(), parent, "{path}");
        assert!(all[..2].iter().all(|e| e.file_type().is_dir()));
        let rest: Vec<Vec<u8>> = v.read_dir(path).unwrap().map(|e| e.unwrap().name().to_vec()).collect();
        let tail: Vec<Vec<u8>> = all[2..].iter().map(|e| e.name().to_vec()).collect();
        assert_eq!(tail, rest, "{path}");
    }
}

/// Every entry type byte survives `from_dirent` and `dirent_byte`.
#[test]
fn file_type_round_trips_the_dirent_byte() {
    for t in 0..=u8::MAX {
        assert_eq!(FileType::from_dirent(t).dirent_byte(), t);
    }
    assert_eq!(FileType::Symlink.dirent_byte(), crate::layout::dir::file_type::SYMLINK);
}

/// `prefetch_metadata` hints each entry's inode block before any is read.
#[test]
fn prefetch_metadata_hints_every_entry_inode() {
    let (v, offsets, hints) = Recording::a_default();
    let entries: Vec<DirEntry<'_>> = v.read_dir("/small").unwrap().map(Result::unwrap).collect();
    assert_eq!(entries.len(), 6);
    let bs = u64::from(v.geometry().block_size);
    offsets.lock().unwrap().clear();
    v.prefetch_metadata(&entries);
    let hints = hints.lock().unwrap();
    for e in &entries {
        let at = e.ino() * bs;
        assert!(hints.iter().any(|&(o, l)| o <= at && at + bs <= o + l), "inode {} not hinted: {hints:?}", e.ino());
    }
    assert!(offsets.lock().unwrap().is_empty(), "a hint reads nothing");
}

/// `open_raw_ino` reads a directory's stored bytes (as debugfs.ocfs2 `dump`
/// copies them): an inline directory's area, a block directory's blocks; a
/// regular file reads as through `open_file_ino`.
#[test]
fn open_raw_reads_a_directory_as_stored() {
    let v = vol();
    for path in ["/d1", "/bigdir"] {
        let ino = v.lookup(path).unwrap();
        assert!(matches!(v.open_file_ino(ino), Err(Error::IsADirectory(_))));
        let f = v.open_raw_ino(ino).unwrap();
        let inode = v.inode(ino).unwrap();
        assert_eq!(f.len(), inode.header().i_size.get(), "{path}");
        let mut first = vec![0u8; 64];
        assert_eq!(f.read_full_at(0, &mut first).unwrap(), 64);
        // The first record is `.`: this directory's own inode number, name ".".
        assert_eq!(&first[..8], &ino.to_le_bytes(), "{path}");
        assert_eq!((first[10], &first[12..13]), (1, &b"."[..]), "{path}");
    }
    let bigdir = v.lookup("/bigdir").unwrap();
    let f = v.open_raw_ino(bigdir).unwrap();
    let map = crate::fs::ExtentMap::load(v, &v.inode(bigdir).unwrap()).unwrap();
    let bs = v.block_size();
    let mut second = vec![0u8; bs];
    assert_eq!(f.read_full_at(bs as u64, &mut second).unwrap(), bs);
    let (_, blkno, _) = map.blocks(v, 2).nth(1).unwrap();
    assert_eq!(second, &*v.read_block(blkno).unwrap());
    let hello = v.lookup("/small/hello.txt").unwrap();
    assert_eq!(v.open_raw_ino(hello).unwrap().len(), v.open_file_ino(hello).unwrap().len());
}

/// Once its directories have been met, a path costs what its last name costs
/// by inode number: that name's lookup in its directory and the inode it names,
/// read once (resolution reads it to see whether it is a symlink; `metadata`
/// takes that copy). Cold, every directory on the way is read.
#[test]
fn a_known_directory_is_not_read_again_by_the_next_path() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/A-default.img.zst");
    let reads = Arc::<AtomicU64>::default();
    let src = crate::test_util::Counting(crate::io::open(&path).unwrap(), Arc::clone(&reads));
    let v = Volume::from_source(Box::new(src), crate::OpenOptions::default()).unwrap();
    let count = |f: &dyn Fn()| {
        let before = reads.load(Relaxed);
        f();
        reads.load(Relaxed) - before
    };
    let by_inode = |dir: &str, name: &str| {
        let dir = v.lookup(dir).unwrap();
        count(&|| assert!(v.metadata_ino(v.lookup_in(dir, name).unwrap()).is_ok()))
    };
    // Inline directories, then an indexed one (its index root, a leaf, an entry block).
    for (dir, first, next) in [("/d1/d2/d3", "deep.txt", "deep.txt"), ("/bigdir", "e00007", "e04242")] {
        let cold = count(&|| assert!(v.metadata(format!("{dir}/{first}")).is_ok()));
        let warm = count(&|| assert!(v.metadata(format!("{dir}/{next}")).is_ok()));
        assert_eq!(warm, by_inode(dir, next), "{dir}/{next}");
        assert!(cold > warm, "{dir}: cold {cold}, warm {warm}");
        let file = v.open_file(format!("{dir}/{next}")).unwrap();
        assert_eq!(file.ino(), v.lookup_in(v.lookup(dir).unwrap(), next).unwrap());
    }
    // Remembered by a lookup that follows nothing (not knowing whether they are
    // symlinks), directories cost a path that follows no more: the inode read to
    // see whether one is a symlink is the one its next name is looked up in.
    let sib = v.lookup("/d1/d2b/sib.txt").unwrap();
    for _ in 0..2 {
        let n = count(&|| assert_eq!(v.metadata("/d1/d2b/sib.txt").unwrap().ino(), sib));
        assert_eq!(n, by_inode("/d1/d2b", "sib.txt"));
    }
    // A symlink is followed again each time (its target is not remembered).
    let hello = v.lookup("/small/hello.txt").unwrap();
    for _ in 0..2 {
        assert_eq!(v.metadata("/links/sym-hello").unwrap().ino(), hello);
        assert_eq!(v.symlink_metadata("/links/sym-hello").unwrap().len(), 18);
    }
    assert!(v.names.len() <= 8, "only directories are remembered: {}", v.names.len());
}

/// A path method reads the inode its path names once: resolution reads it (to
/// see whether it is a symlink) and the method takes that copy, as
/// `metadata` and `open_file` do; so does a walk, for its start and for each
/// link it follows.
#[test]
fn path_methods_read_the_named_inode_once() {
    let (v, offsets, _) = Recording::a_default();
    let bs = u64::from(v.geometry().block_size);
    let reads_of = |path: &str, f: &dyn Fn()| {
        let ino = v.lookup(path).unwrap();
        offsets.lock().unwrap().clear();
        f();
        offsets.lock().unwrap().iter().filter(|&&o| o / bs == ino).count()
    };
    let file = "/xattr/file";
    assert_eq!(reads_of(file, &|| assert!(!v.xattrs(file).unwrap().is_empty())), 1, "xattrs");
    assert_eq!(reads_of(file, &|| assert!(v.getxattr(file, "user.small").unwrap().is_some())), 1, "getxattr");
    for dir in ["/d1/d2/d3", "/bigdir", "/small"] {
        assert_eq!(reads_of(dir, &|| assert!(v.read_dir(dir).unwrap().next().is_some())), 1, "read_dir {dir}");
        assert_eq!(reads_of(dir, &|| drop(v.deleted_entries(dir).unwrap())), 1, "deleted_entries {dir}");
        assert_eq!(reads_of(dir, &|| assert!(v.walk(dir).into_iter().all(|e| e.is_ok()))), 1, "walk {dir}");
    }
    // A walk that follows a link reads its target once too.
    let walk_links = || v.walk("/links").follow_links(true).into_iter().filter(Result::is_ok).count();
    assert_eq!(reads_of("/small/hello.txt", &|| assert!(walk_links() >= 3)), 1, "walk, link followed");
}
