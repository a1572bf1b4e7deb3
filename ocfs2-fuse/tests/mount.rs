//! The kernel-written fixtures mounted through ocfs2-fuse and read with ordinary tools, against
//! the fixtures' expected lists (fixtures/README.md) and debugfs.ocfs2. Needs root and /dev/fuse:
//! without them every test fails and says so.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::containers::{ewfacquire, place, sfdisk_disk, split_image};
use common::*;

/// `find`'s view of a mounted tree: every regular file's sha256 and size, outside `lost+found`
/// and `bigdir` (the expected lists leave those out).
fn hashed_files(m: &Mounted) -> BTreeMap<String, (String, u64)> {
    let out = sh(
        m.path(),
        "find . \\( -path ./lost+found -o -path ./bigdir \\) -prune -o -type f -exec sha256sum {} + \
         && find . \\( -path ./lost+found -o -path ./bigdir \\) -prune -o -type f -printf '%s %p\\n'",
    );
    let (mut sums, mut sizes) = (BTreeMap::new(), BTreeMap::new());
    for l in out.lines() {
        if let Some((sha, p)) = l.split_once("  ./") {
            sums.insert(p.to_string(), sha.to_string());
        } else if let Some((size, p)) = l.split_once(" ./") {
            sizes.insert(p.to_string(), size.parse::<u64>().unwrap());
        }
    }
    sums.into_iter().map(|(p, s)| (p.clone(), (s, sizes[&p]))).collect()
}

/// Mounts `name`, checks every record of `expect` (all of its files, exactly, when `complete`),
/// returns the mount for more checks.
fn check_tree(name: &str, expect: &Expect, complete: bool) -> (Mounted, BTreeMap<String, (String, u64)>) {
    check_tree_of(&fixture(name), &[], name, expect, complete)
}

/// [`check_tree`] of any image or device holding fixture `name`, mounted with `args`.
fn check_tree_of(
    image: &Path,
    args: &[&str],
    name: &str,
    expect: &Expect,
    complete: bool,
) -> (Mounted, BTreeMap<String, (String, u64)>) {
    let m = Mounted::new(image, args);
    let got = hashed_files(&m);
    for (sha, size, path) in &expect.files {
        assert_eq!(got.get(path), Some(&(sha.clone(), *size)), "{name}: {path}");
    }
    if complete {
        assert_eq!(got.len(), expect.files.len(), "{name}: files beyond the expected list: {got:?}");
    }
    for (sha, len, path) in &expect.symlinks {
        let target = std::fs::read_link(m.join(path)).unwrap();
        let t = target.as_os_str().as_bytes();
        assert_eq!((sha256_hex(t), t.len() as u64), (sha.clone(), *len), "{name}: symlink {path}");
    }
    for (a, b) in &expect.hardlinks {
        let (ma, mb) = (std::fs::metadata(m.join(a)).unwrap(), std::fs::metadata(m.join(b)).unwrap());
        assert_eq!(ma.ino(), mb.ino(), "{name}: {a} and {b} are one inode");
        assert_eq!((ma.nlink(), mb.nlink()), (2, 2), "{name}: link count of {a}");
    }
    for (count, sha, path) in &expect.dirs {
        // Listed completely through readdir, and each name found again by lookup (through the
        // directory's index when it has one).
        let names = sh(m.path(), &format!("ls -f {path} | grep -v '^\\.\\.\\?$' | sort"));
        assert_eq!(names.lines().count() as u64, *count, "{name}: entries of {path}");
        assert_eq!(&sha256_hex(names.as_bytes()), sha, "{name}: names in {path}");
        let stats = sh(&m.join(path), "ls -f | grep -v '^\\.\\.\\?$' | xargs stat -c %s | sort -u");
        assert_eq!(stats, "0\n", "{name}: every entry of {path} stats as an empty file");
        assert!(!m.join(path).join("e99999").exists());
    }
    (m, got)
}

/// Mounts a fixture, checks it against its records, unmounts cleanly and checks the image is
/// unchanged.
fn fixture_reads_back(name: &str) {
    let img = fixture(name);
    let expect = expectations(name);
    let (m, _) = check_tree(name, &expect, true);
    assert!(m.unmount().success());
    let (size, sha) = expect.raw.unwrap();
    assert_eq!((std::fs::metadata(&img).unwrap().len(), sha256_file(&img)), (size, sha), "{name} unchanged");
}

#[test]
fn a_default_reads_back() {
    fixture_reads_back("A-default");
}

#[test]
fn b_dirty_reads_back() {
    fixture_reads_back("B");
}

#[test]
fn c1_reads_back() {
    fixture_reads_back("C1");
}

#[test]
fn e_extents_deep_trees_read_back() {
    fixture_reads_back("E-extents");
}

/// M-max-1k (1 KiB blocks, META_ECC) and X-max (META_ECC, quotas, xattrs, ACLs) hold A-default's
/// tree (fixtures/README.md); X-max's other files are checked against `debugfs.ocfs2 dump`.
#[test]
fn max_feature_fixtures_read_back() {
    let a = expectations("A-default");
    for (name, raw_sha) in [
        ("M-max-1k", "82669bb08efa1cde51ca91edec387b09d365f19e5a0963f22dc60c9bd07d1c46"),
        ("X-max", "43448d97d647e3c1d6cdbbbe311bf88be5e37c58ff96d87f8b770490586d1dab"),
    ] {
        let img = fixture(name);
        let (m, got) = check_tree(name, &a, name == "M-max-1k");
        let extra: Vec<&String> = got.keys().filter(|p| !a.files.iter().any(|f| &f.2 == *p)).collect();
        let out = tempfile::tempdir().unwrap();
        let cmds: Vec<String> = extra
            .iter()
            .enumerate()
            .map(|(i, p)| format!("dump /{p} {}", out.path().join(i.to_string()).display()))
            .collect();
        debugfs_batch(&img, &cmds);
        for (i, p) in extra.iter().enumerate() {
            assert_eq!(got[*p].0, sha256_file(&out.path().join(i.to_string())), "{name}: {p} against debugfs dump");
        }
        if name == "X-max" {
            // 190 of deldir's 200 left, acl/file, acl/inherits, many, q/u1000, q/u1001, q/g101.
            assert_eq!(extra.len(), 196, "X-max's extra files: {extra:?}");
        }
        assert!(m.unmount().success());
        assert_eq!(sha256_file(&img), raw_sha, "{name} unchanged");
    }
}

/// `stat` on every name of the mount agrees with `debugfs.ocfs2 stat` (inode, links, size, mode,
/// owner, times to the nanosecond); the root is FUSE's inode 1.
#[test]
fn stat_agrees_with_debugfs() {
    for name in ["A-default", "X-max"] {
        let img = fixture(name);
        let m = Mounted::new(&img, &[]);
        let out = sh(
            m.path(),
            "find . -path './bigdir/e0*' -prune -o -exec stat -c '%n|%i %h %s %a %u %g %.9X %.9Y %.9Z' {} +",
        );
        let rows: Vec<(&str, &str)> = out.lines().map(|l| l.split_once('|').unwrap()).collect();
        assert!(rows.len() > 25, "{name}: {rows:?}");
        let cmds: Vec<String> =
            rows.iter().map(|(p, _)| format!("stat /{}", p.trim_start_matches('.').trim_start_matches('/'))).collect();
        let want = debugfs_batch(&img, &cmds);
        for ((path, got), text) in rows.iter().zip(&want) {
            let mut want = debugfs_stat_line(text);
            if *path == "." {
                want = format!("1{}", &want[want.find(' ').unwrap()..]);
            }
            assert_eq!(*got, want, "{name}: stat {path}");
        }
        assert!(m.unmount().success());
    }
}

/// `getfattr -d -m -` shows every attribute the library reads (names and values: user.,
/// trusted., security.), and `getfacl` the ACLs the lab set (fixtures/README.md).
#[test]
fn xattrs_and_acls() {
    let img = fixture("X-max");
    let vol = ocfs2_format::Volume::open(&img).unwrap();
    let m = Mounted::new(&img, &[]);
    for path in ["xattr/file", "xattr/dir", "extra/many", "extra/acl/file", "extra/acl", "small/hello.txt"] {
        let inode = vol.inode(ocfs2_format::fs::lookup(&vol, &format!("/{path}")).unwrap()).unwrap();
        let set = ocfs2_format::fs::read_xattrs(&vol, &inode).unwrap();
        let mut want: Vec<String> = set
            .attrs
            .iter()
            .filter(|a| !a.full_name().starts_with(b"system."))
            .map(|a| format!("{}=0x{}", String::from_utf8_lossy(&a.full_name()), hex(&a.value)))
            .collect();
        want.sort();
        let out = sh(m.path(), &format!("getfattr -d -m - -e hex --absolute-names {path}"));
        let mut got: Vec<String> =
            out.lines().filter(|l| l.contains('=') && !l.starts_with("system.")).map(str::to_string).collect();
        got.sort();
        assert_eq!(got, want, "getfattr {path}");
    }
    assert_eq!(sh(m.path(), "getfattr -d -m - extra/many | grep -c '^user.a'"), "150\n");
    let acl = |args: &str| {
        sh(m.path(), &format!("getfacl -n -E --omit-header {args}"))
            .lines()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(acl("extra/acl/file"), "user::rw-,user:1000:r--,group::r--,mask::rw-,other::r--");
    assert_eq!(acl("-d extra/acl"), "user::rwx,group::r-x,other::r-x");
    let names = sh(m.path(), "getfattr -m - extra/acl/file extra/acl");
    assert!(names.contains("system.posix_acl_access") && names.contains("system.posix_acl_default"), "{names}");
    assert!(m.unmount().success());
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn lseek(path: &Path, offset: i64, whence: i32) -> Result<i64, i32> {
    let f = std::fs::File::open(path).unwrap();
    // SAFETY: a valid open descriptor.
    let r = unsafe { libc::lseek(std::os::fd::AsRawFd::as_raw_fd(&f), offset, whence) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap())
    } else {
        Ok(r)
    }
}

/// SEEK_DATA/SEEK_HOLE find `sparse/holey`'s two 4 KiB extents (cpos 0 and 2048,
/// fixtures/README.md) and see the unwritten `data/prealloc` as one hole; `cp --sparse=always`
/// keeps the holes.
#[test]
fn holes_seek_and_sparse_copy() {
    let m = Mounted::new(&fixture("A-default"), &[]);
    let holey = m.join("sparse/holey");
    let mib8 = 8 << 20;
    assert_eq!(lseek(&holey, 0, libc::SEEK_DATA), Ok(0));
    assert_eq!(lseek(&holey, 0, libc::SEEK_HOLE), Ok(4096));
    assert_eq!(lseek(&holey, 4096, libc::SEEK_DATA), Ok(mib8));
    assert_eq!(lseek(&holey, mib8, libc::SEEK_HOLE), Ok(mib8 + 4096));
    assert_eq!(lseek(&holey, mib8 + 4096, libc::SEEK_DATA), Err(libc::ENXIO));
    assert_eq!(lseek(&holey, mib8 + 100, libc::SEEK_HOLE), Ok(mib8 + 4096));
    assert_eq!(lseek(&holey, mib8 + 5000, libc::SEEK_HOLE), Ok(mib8 + 5000));
    assert_eq!(lseek(&holey, 16 << 20, libc::SEEK_HOLE), Err(libc::ENXIO));
    let pre = m.join("data/prealloc");
    assert_eq!(lseek(&pre, 0, libc::SEEK_DATA), Err(libc::ENXIO));
    assert_eq!(lseek(&pre, 0, libc::SEEK_HOLE), Ok(0));
    assert_eq!(lseek(&m.join("small/pat3000"), 0, libc::SEEK_HOLE), Ok(3000));
    // st_blocks: two clusters allocated of 4096 in the size.
    assert_eq!(std::fs::metadata(&holey).unwrap().blocks(), 16);

    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("holey");
    let st = Command::new("cp").arg("--sparse=always").arg(&holey).arg(&copy).status().unwrap();
    assert!(st.success());
    let meta = std::fs::metadata(&copy).unwrap();
    assert_eq!(meta.len(), 16 << 20);
    assert!(meta.blocks() * 512 <= 1 << 20, "the copy keeps its holes: {} blocks", meta.blocks());
    assert_eq!(sha256_file(&copy), "b367b640f106d36008d66ab81f74d6498cedf4d4d29834c06b529b1a22263759");
    assert!(m.unmount().success());
}

/// Every way to write fails with EROFS, and the image is unchanged after.
#[test]
fn every_write_path_is_erofs() {
    let img = fixture("A-default");
    let m = Mounted::new(&img, &[]);
    let f = |p: &str| CString::new(m.join(p).as_os_str().as_bytes()).unwrap();
    let (file, dir, link) = (f("small/hello.txt"), f("d1"), f("links/sym-hello"));
    let (new, newdir) = (f("small/new"), f("d1/d2b"));
    let errno = |r: i32| if r < 0 { std::io::Error::last_os_error().raw_os_error().unwrap() } else { 0 };
    let val = b"v";
    // SAFETY: NUL-terminated paths and valid buffers for every call.
    let cases: Vec<(&str, i32)> = unsafe {
        vec![
            ("open O_WRONLY", errno(libc::open(file.as_ptr(), libc::O_WRONLY))),
            ("open O_RDWR", errno(libc::open(file.as_ptr(), libc::O_RDWR))),
            ("open O_TRUNC", errno(libc::open(file.as_ptr(), libc::O_RDONLY | libc::O_TRUNC))),
            ("open O_CREAT", errno(libc::open(new.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644))),
            ("creat", errno(libc::creat(new.as_ptr(), 0o644))),
            ("mkdir", errno(libc::mkdir(new.as_ptr(), 0o755))),
            ("mknod fifo", errno(libc::mknod(new.as_ptr(), libc::S_IFIFO | 0o644, 0))),
            ("symlink", errno(libc::symlink(file.as_ptr(), new.as_ptr()))),
            ("link", errno(libc::link(file.as_ptr(), new.as_ptr()))),
            ("unlink", errno(libc::unlink(file.as_ptr()))),
            ("unlink symlink", errno(libc::unlink(link.as_ptr()))),
            ("rmdir", errno(libc::rmdir(newdir.as_ptr()))),
            ("rename", errno(libc::rename(file.as_ptr(), new.as_ptr()))),
            ("chmod", errno(libc::chmod(file.as_ptr(), 0o600))),
            ("chown", errno(libc::chown(file.as_ptr(), 1, 1))),
            ("utimes", errno(libc::utimes(file.as_ptr(), std::ptr::null()))),
            ("truncate", errno(libc::truncate(file.as_ptr(), 0))),
            ("setxattr", errno(libc::setxattr(file.as_ptr(), c"user.x".as_ptr(), val.as_ptr().cast(), 1, 0))),
            ("removexattr", errno(libc::removexattr(f("xattr/file").as_ptr(), c"user.small".as_ptr()))),
            ("access W_OK", errno(libc::access(dir.as_ptr(), libc::W_OK))),
        ]
    };
    for (what, e) in &cases {
        assert_eq!(*e, libc::EROFS, "{what}: {}", std::io::Error::from_raw_os_error(*e));
    }
    assert_eq!(std::fs::read(m.join("small/hello.txt")).unwrap(), b"hello ocfs2 from the linux kernel\n");
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&img), expectations("A-default").raw.unwrap().1, "image unchanged");
}

/// Eight readers at once get the bytes one reader gets.
#[test]
fn parallel_readers_agree_with_serial() {
    let files = expectations("A-default").files.len() + 5000;
    let m = Mounted::new(&fixture("A-default"), &[]);
    let serial = sh(m.path(), "find . -type f -print0 | xargs -0 sha256sum | sort");
    let parallel = sh(m.path(), "find . -type f -print0 | xargs -0 -n 2 -P 8 sha256sum | sort");
    assert_eq!(serial.lines().count(), files);
    assert_eq!(parallel, serial);
    assert!(m.unmount().success());
}

/// Eight threads reading random ranges of one file (shared and copied-on-write reflinked
/// extents) each get the bytes of a serial read, whose hash is the guest's.
#[test]
fn parallel_preads_of_one_file() {
    use std::os::unix::fs::FileExt;
    let m = Mounted::new(&fixture("A-default"), &[]);
    let path = m.join("data/pat20m.reflink");
    let whole = std::fs::read(&path).unwrap();
    let (sha, size, _) = expectations("A-default").files.into_iter().find(|f| f.2 == "data/pat20m.reflink").unwrap();
    assert_eq!((sha256_hex(&whole), whole.len() as u64), (sha, size));
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (path, whole) = (&path, &whole);
            s.spawn(move || {
                let f = std::fs::File::open(path).unwrap();
                let mut x = t.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                let mut buf = vec![0u8; 200_000];
                for _ in 0..200 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let off = x % whole.len() as u64;
                    let len = (x >> 40) as usize % buf.len() + 1;
                    let n = f.read_at(&mut buf[..len], off).unwrap();
                    let end = (off as usize + len).min(whole.len());
                    assert!(n > 0 && n <= end - off as usize);
                    assert_eq!(&buf[..n], &whole[off as usize..off as usize + n], "thread {t} at {off}+{len}");
                }
            });
        }
    });
    assert!(m.unmount().success());
}

/// `df` on the mount reports the global bitmap as the kernel's statfs does (blocks of the block
/// size, clusters as inodes).
#[test]
fn statfs_from_the_global_bitmap() {
    let img = fixture("A-default");
    let text = &debugfs_batch(&img, &["stat //global_bitmap".to_string()])[0];
    let num = |k: &str| -> u64 {
        let at = text.find(k).unwrap() + k.len();
        text[at..].split_whitespace().next().unwrap().parse().unwrap()
    };
    let (total, used) = (num("Bitmap Total: "), num("Used: "));
    let m = Mounted::new(&img, &[]);
    let got = sh(m.path(), "stat -f -c '%S %b %f %a %c %d %l' .");
    // 4 KiB blocks, 4 KiB clusters: one block per cluster.
    assert_eq!(got.trim(), format!("4096 {total} {} {} {total} {} 255", total - used, total - used, total - used));
    assert!(m.unmount().success());
}

/// uid=/gid= show every inode with that owner; without allow_other another user is refused,
/// with it that user reads (as modes allow).
#[test]
fn owner_overrides_and_allow_other() {
    let img = fixture("A-default");
    let m = Mounted::new(&img, &["-o", "uid=1234,gid=5678"]);
    assert_eq!(sh(m.path(), "stat -c '%u %g' . small/hello.txt"), "1234 5678\n1234 5678\n");
    let as_nobody = |m: &Mounted| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
            .arg(m.join("small/hello.txt"))
            .output()
            .unwrap()
    };
    let refused = as_nobody(&m);
    assert!(!refused.status.success(), "another user is refused without allow_other");
    assert!(m.unmount().success());
    let m = Mounted::new(&img, &["-o", "allow_other"]);
    let out = as_nobody(&m);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"hello ocfs2 from the linux kernel\n");
    assert!(m.unmount().success());
}

/// SIGTERM and SIGINT unmount and end the daemon with status 0.
#[test]
fn signals_unmount_cleanly() {
    let img = fixture("C1");
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut m = Mounted::new(&img, &[]);
        assert_eq!(std::fs::read_to_string(m.join("node0/sym")).unwrap().len(), 30);
        // SAFETY: the daemon we started.
        assert_eq!(unsafe { libc::kill(m.pid() as i32, sig) }, 0);
        let st = m.wait();
        assert!(st.success(), "signal {sig}: {st}: {}", m.log_text());
        assert!(!m.still_mounted(), "signal {sig}: unmounted");
    }
}

/// Without -f the command returns once the mount is up; `fusermount3 -u` ends it.
#[test]
fn daemon_mode() {
    require_fuse();
    let img = fixture("C1");
    let dir = tempfile::tempdir().unwrap();
    let mp = dir.path().canonicalize().unwrap();
    let st = Command::new(bin()).arg(&img).arg(&mp).status().unwrap();
    assert!(st.success());
    let mounted = || std::fs::read_to_string("/proc/self/mountinfo").unwrap().contains(&*mp.to_string_lossy());
    let guard = Unmount(&mp);
    assert!(mounted(), "mounted when the command returns");
    assert_eq!(std::fs::read(mp.join("node0/pat64k")).unwrap().len(), 65536);
    let out = Command::new("fusermount3").arg("-u").arg(&mp).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!mounted());
    drop(guard);
}

/// Unmounts a daemon-mode mount however the test ends.
struct Unmount<'a>(&'a Path);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("fusermount3").arg("-u").arg("-z").arg(self.0).output();
    }
}

/// The other sources: a `.zst` image, a volume at an offset inside a bigger image (both ways of
/// saying so), and a read-only loop device (a block device: O_DIRECT reads).
#[test]
fn zst_offset_and_block_device_sources() {
    let expect = expectations("C1");
    let (m, _) = check_tree_of(&fixture_zst("C1"), &[], "C1", &expect, true);
    assert!(m.unmount().success());

    let raw = fixture("C1");
    let dir = tempfile::tempdir().unwrap();
    let shifted = dir.path().join("shifted.img");
    let st = Command::new("dd")
        .arg(format!("if={}", raw.display()))
        .arg(format!("of={}", shifted.display()))
        .args(["bs=1M", "seek=1", "conv=sparse", "status=none"])
        .status()
        .unwrap();
    assert!(st.success());
    for args in [&["--offset", "1048576"][..], &["-o", "offset=1048576"]] {
        let (m, _) = check_tree_of(&shifted, args, "C1", &expect, true);
        assert!(m.unmount().success());
    }

    let out = Command::new("losetup").args(["-r", "-f", "--show"]).arg(&raw).output().expect("losetup (util-linux)");
    assert!(out.status.success(), "a loop device is needed: {}", String::from_utf8_lossy(&out.stderr));
    let dev = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let _detach = Detach(dev.clone());
    let (m, _) = check_tree_of(Path::new(&dev), &[], "C1", &expect, true);
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&raw), expect.raw.unwrap().1, "C1 unchanged");
}

/// Detaches a loop device however the test ends.
struct Detach(String);

impl Drop for Detach {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.0).status();
    }
}

/// `--replay` (and `-o replay`) mounts the volume as journal recovery would leave it: R-4k's last
/// transactions renamed a file and added one (README's replay section, checked there against the
/// kernel's own recovery); without it the mount shows the home blocks.
#[test]
fn replay_shows_the_recovered_view() {
    let img = fixture("R-4k");
    let m = Mounted::new(&img, &[]);
    assert_eq!(sh(&m.join("base"), "ls | sort"), "gone\nkeep\nold-name.txt\n");
    assert!(m.unmount().success());
    for args in [&["--replay"][..], &["-o", "replay"]] {
        let m = Mounted::new(&img, args);
        assert_eq!(sh(&m.join("base"), "ls | sort"), "from-grow\ngone\nkeep\nnew-name.txt\n", "{args:?}");
        assert!(m.unmount().success());
    }
}

/// An MBR disk made by sfdisk: primary 1 holds C1, logical 5 (in extended 2) holds A-default.
fn two_volume_disk(dir: &Path) -> PathBuf {
    let disk = dir.join("mbr.img");
    let script =
        "label: dos\nstart=2048, size=524288, type=83\nstart=528384, type=5\nstart=530432, size=524288, type=83\n";
    sfdisk_disk(&disk, 520, script);
    for (name, sector) in [("C1", 2048), ("A-default", 530432)] {
        place(&disk, &fixture(name), sector * 512);
    }
    disk
}

/// `-o partition=N` and `--partition N` mount each partition's tree of [`two_volume_disk`]; with
/// two OCFS2 partitions and neither named, the mount is refused (naming both candidates), as the
/// inspector refuses.
#[test]
fn partition_option_mounts_that_partition() {
    let dir = tempfile::tempdir().unwrap();
    let disk = two_volume_disk(dir.path());
    let before = sha256_file(&disk);

    for (args, name) in [(&["-o", "partition=1"][..], "C1"), (&["--partition", "5"], "A-default")] {
        let (m, _) = check_tree_of(&disk, args, name, &expectations(name), true);
        assert!(m.unmount().success());
    }
    let out = Command::new(bin()).arg("-f").arg(&disk).arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "two OCFS2 partitions and none named: refused");
    assert!(err.contains("partitions 1, 5"), "names both candidates: {err}");
    assert_eq!(sha256_file(&disk), before, "the disk image is only read");
}

/// The forensic containers: an E01 (ewfacquire, zlib chunks, 1 MiB segments) of
/// [`two_volume_disk`] mounts each partition through the EWF layer, and a split raw image
/// (`split`, FTK's `.001` names, pieces of an odd size that cuts blocks in two) mounts from its
/// first segment; every file reads back and no segment changes.
#[test]
fn e01_of_a_partitioned_disk_and_split_raw_sources() {
    let dir = tempfile::tempdir().unwrap();
    let disk = two_volume_disk(dir.path());
    let segs = ewfacquire(&disk, dir.path(), "disk", "deflate:fast", "1MiB");
    std::fs::remove_file(&disk).unwrap();
    assert!(segs.len() >= 3 && segs[0].ends_with("disk.E01"), "several segments: {segs:?}");
    let split_dir = dir.path().join("split");
    std::fs::create_dir(&split_dir).unwrap();
    let parts = split_image(&fixture("A-default"), &split_dir, "A-default.", 10_000_019, true);
    assert!(parts.len() > 20 && parts[0].ends_with("A-default.001"), "{parts:?}");
    let all: Vec<&PathBuf> = segs.iter().chain(&parts).collect();
    let before: Vec<String> = all.iter().map(|p| sha256_file(p)).collect();

    for (image, args, name) in [
        (&segs[0], &["-o", "partition=1"][..], "C1"),
        (&segs[0], &["--partition", "5"], "A-default"),
        (&parts[0], &[], "A-default"),
    ] {
        let (m, _) = check_tree_of(image, args, name, &expectations(name), true);
        assert!(m.unmount().success(), "{}", image.display());
    }
    assert_eq!(all.iter().map(|p| sha256_file(p)).collect::<Vec<_>>(), before, "segments are only read");
}

/// `find`'s view of every name under a mount: inode, links, size, mode, owner, the three times,
/// type and path, sorted.
fn tree_stats(m: &Mounted) -> String {
    sh(m.path(), "find . -printf '%i %n %s %m %U %G %A@ %T@ %C@ %y %p\\n' | sort")
}

/// A packed o2image file (the real o2image 1.8.7) holds metadata only: mounted, its listing and
/// every name's stat are the volume's, inline files and fast symlinks read back, and a file whose
/// data is in clusters (or a slow symlink) answers EIO with a log line naming the missing block
/// (never zeros), where `debugfs.ocfs2 -i` answers an I/O error (or shows no fast target).
#[test]
fn o2image_file_mounts_its_metadata() {
    let img = fixture("A-default");
    let expect = expectations("A-default");
    let dir = tempfile::tempdir().unwrap();
    let packed = dir.path().join("A-default.o2i");
    let out = Command::new(require_tool("o2image")).arg(&img).arg(&packed).output().unwrap();
    assert!(out.status.success(), "o2image: {}", String::from_utf8_lossy(&out.stderr));
    let before = sha256_file(&packed);

    let m = Mounted::new(&img, &[]);
    let want = tree_stats(&m);
    let want_names = llistxattr(&m.join("xattr/file")).unwrap();
    assert!(m.unmount().success());
    let mut m = Mounted::new(&packed, &[]);
    assert_eq!(tree_stats(&m), want, "names and stat of every inode as on the volume");

    // debugfs.ocfs2 -i on the same file: stderr (an I/O error for a block the image lacks) and stdout.
    let debugfs_i = |cmd: String| {
        let out = Command::new(require_tool("debugfs.ocfs2")).arg("-i").arg("-R").arg(cmd).arg(&packed).output();
        let out = out.unwrap();
        (String::from_utf8_lossy(&out.stderr).into_owned(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // An EIO from the mount is logged with the operation, the inode and the block the image lacks.
    let logged = |op: &str, path: &str, e: std::io::Error| {
        assert_eq!(e.raw_os_error(), Some(libc::EIO), "{path}: {e}");
        let ino = std::fs::symlink_metadata(m.join(path)).unwrap().ino();
        let log = m.log_text();
        let line = log
            .lines()
            .find(|l| l.contains(&format!("{op} of inode {ino}: block ")))
            .unwrap_or_else(|| panic!("{path}: no {op} log line for inode {ino}: {log}"));
        assert!(line.contains("is not in the image (an o2image file holds metadata only)"), "{line}");
    };

    let (mut inline, mut missing) = (0, 0);
    for (sha, size, path) in &expect.files {
        let dbg_err = debugfs_i(format!("cat /{path}")).0.contains("I/O error");
        match std::fs::read(m.join(path)) {
            Ok(data) => {
                assert!(!dbg_err, "{path}: debugfs.ocfs2 -i finds no data to read, we read {} bytes", data.len());
                assert_eq!((sha256_hex(&data), data.len() as u64), (sha.clone(), *size), "{path}");
                inline += u32::from(*size > 0);
            }
            Err(e) => {
                assert!(dbg_err, "{path}: debugfs.ocfs2 -i reads it");
                logged("read", path, e);
                missing += 1;
            }
        }
    }
    // A-default's small files hold their data inline; the rest have clusters.
    assert_eq!((inline, missing), (7, 7), "non-empty files read, files whose data is not in the image");

    // A fast symlink's target is in its inode; a slow one's is in a cluster the image lacks.
    let (mut fast, mut slow) = (0, 0);
    for (sha, len, path) in &expect.symlinks {
        let is_fast = debugfs_i(format!("stat /{path}")).1.contains("Fast Symlink Destination: ");
        match std::fs::read_link(m.join(path)) {
            Ok(t) => {
                assert!(is_fast, "{path}: debugfs.ocfs2 -i sees a slow symlink, we read its target");
                let t = t.as_os_str().as_bytes();
                assert_eq!((sha256_hex(t), t.len() as u64), (sha.clone(), *len), "{path}");
                fast += 1;
            }
            Err(e) => {
                assert!(!is_fast, "{path}: a fast symlink");
                logged("readlink", path, e);
                slow += 1;
            }
        }
    }
    assert_eq!((fast, slow), (1, 1), "links/sym-hello and links/sym-long");

    // Attribute names are metadata: listed as on the volume. A value kept in its entry reads;
    // one in clusters (user.medium, user.big) costs that name alone.
    let f = m.join("xattr/file");
    assert_eq!(llistxattr(&f), Ok(want_names), "xattr/file's names");
    assert_eq!(lgetxattr(&f, "user.small"), Ok(2), "user.small, kept in its entry");
    let e = lgetxattr(&f, "user.big").expect_err("user.big's value is in a cluster");
    logged("getxattr", "xattr/file", std::io::Error::from_raw_os_error(e));
    assert!(m.alive(), "the daemon keeps running");
    assert!(m.unmount().success());
    assert_eq!(sha256_file(&packed), before, "the o2image file is only read");
}

/// The names `llistxattr(path)` gives, or its errno.
fn llistxattr(path: &Path) -> Result<Vec<String>, i32> {
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    let mut buf = vec![0u8; 4096];
    // SAFETY: `p` is NUL-terminated and `buf` is writable for its length.
    let r = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap());
    }
    let names = buf[..r as usize].split(|b| *b == 0).filter(|n| !n.is_empty());
    Ok(names.map(|n| String::from_utf8_lossy(n).into_owned()).collect())
}

/// The errno of `lgetxattr(path, name)`, or the value's length (asked with an empty buffer).
fn lgetxattr(path: &Path, name: &str) -> Result<usize, i32> {
    let (p, n) = (CString::new(path.as_os_str().as_bytes()).unwrap(), CString::new(name).unwrap());
    // SAFETY: both strings are NUL-terminated; a null buffer of size 0 asks for the length only.
    let r = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), std::ptr::null_mut(), 0) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap())
    } else {
        Ok(r as usize)
    }
}

/// An unlabelled file answers `security.selinux` with EOPNOTSUPP, as a filesystem without SELinux
/// labels does, so that `ls -l` (coreutils caches that answer per device) stops asking each of a
/// directory's files; any other missing attribute is ENODATA, and existing ones still read.
#[test]
fn missing_selinux_label_is_not_supported() {
    let img = fixture("X-max");
    let m = Mounted::new(&img, &[]);
    let plain = m.join("bigdir/e00000");
    assert_eq!(lgetxattr(&plain, "security.selinux"), Err(libc::EOPNOTSUPP));
    assert_eq!(lgetxattr(&plain, "user.none"), Err(libc::ENODATA));
    assert_eq!(lgetxattr(&m.join("xattr/file"), "security.none"), Err(libc::ENODATA));
    let names = sh(m.path(), "getfattr -m - --absolute-names xattr/file");
    let user = names.lines().find(|l| l.starts_with("user.")).expect("xattr/file has a user. attribute");
    assert!(lgetxattr(&m.join("xattr/file"), user).is_ok(), "{user} reads");
    assert!(m.unmount().success());
}
