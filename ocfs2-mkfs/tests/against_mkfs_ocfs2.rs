//! ocfs2-mkfs against the real mkfs.ocfs2 1.8.7: the same dry-run report, the
//! same image block for block (random and clock fields masked), fsck-clean,
//! readable by our inspector, reproducible, and the safety and error rules.
#![allow(clippy::unwrap_used)] // test helpers: a failed step is a failed test

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::{Command, Output};

#[path = "../../ocfs2-format/tests/common/require.rs"]
mod require;
use require::require_tool;

const UUID: &str = "0123456789abcdef0123456789abcdef";

/// Makes a sparse file of `size` bytes; false (with a note) when the host
/// filesystem cannot hold a file that large (ext4 stops below 16 TiB).
fn sparse(path: &Path, size: u64) -> bool {
    match File::create(path).unwrap().set_len(size) {
        Ok(()) => true,
        Err(e) if e.raw_os_error() == Some(libc::EFBIG) => {
            eprintln!("note: skipping a {size}-byte case: the host filesystem refuses such a file");
            false
        }
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn ours(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ocfs2-mkfs"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .arg(path)
        .output()
        .unwrap()
}

fn theirs(args: &[&str], path: &Path) -> Output {
    Command::new(require_tool("mkfs.ocfs2")).args(["-x"]).args(args).arg(path).output().unwrap()
}

fn split(opts: &str) -> Vec<&str> {
    opts.split_whitespace().collect()
}

/// Byte ranges of `f` that hold data (`SEEK_DATA`/`SEEK_HOLE`), so that
/// comparing terabyte sparse images reads only what was written.
fn data_ranges(f: &File, size: u64) -> Vec<(u64, u64)> {
    let fd = f.as_raw_fd();
    let mut out = Vec::new();
    let mut off = 0i64;
    while (off as u64) < size {
        // SAFETY: lseek on a valid descriptor; all reads here are positional.
        let d = unsafe { libc::lseek(fd, off, libc::SEEK_DATA) };
        if d < 0 {
            break;
        }
        // SAFETY: as above.
        let h = unsafe { libc::lseek(fd, d, libc::SEEK_HOLE) };
        out.push((d as u64, h as u64));
        off = h;
    }
    out
}

/// Zeroes what mkfs.ocfs2 draws at random or from the clock, the checks over
/// them, and bytes it leaves undefined (the slack after directory entry names,
/// where libocfs2's `ocfs2_init_dir` leaves uninitialised memory; the cluster
/// name after its NUL, which mkfs.ocfs2 copies from past the end of a string;
/// block 0 of a global quota file after its header and info, which libocfs2's
/// `ocfs2_write_global_quota_info` writes from an uncleared buffer, and the
/// check over it).
///
/// With `stale_quota_info`, also the global quota info's `dqi_blocks`,
/// `dqi_free_blk` and `dqi_free_entry`: when mkfs.ocfs2 indexes the system
/// directories after formatting quota files (indexed-dirs without inline-data),
/// `ocfs2_dx_dir_build` reloads the quota info from disk before the updated one
/// was flushed, so mkfs.ocfs2 leaves the initial values (2 blocks, no free
/// entry) in a file that holds more. We write the values that match the file.
fn mask(b: &mut [u8], stale_quota_info: bool) {
    let n = b.len();
    let z = |b: &mut [u8], s: usize, e: usize| b[s..e].fill(0);
    let global_quota = [0x70u8, 0x71].iter().any(|&m| b[..8] == [m, 0x24, 0xf5, 0x0c, 0, 0, 0, 0]);
    if global_quota {
        if stale_quota_info {
            z(b, 20, 32);
        }
        z(b, 32, n);
        return;
    }
    if b.starts_with(b"DXDIR01") {
        z(b, 8, 16); // dr_check
        z(b, 20, 24); // dr_fs_generation
                      // Inline entries: their hashes depend on the random dx seed.
        let used = usize::from(u16::from_le_bytes([b[198], b[199]]));
        for i in 0..used.min((n - 200) / 16) {
            z(b, 200 + 16 * i, 208 + 16 * i);
        }
        return;
    }
    let trailer = &b[n - 48..n - 41] == b"DIRTRL1";
    if b.starts_with(b"INODE01") || b.starts_with(b"OCFSV2") {
        z(b, 8, 12); // i_generation
        z(b, 48, 72); // times
        z(b, 96, 112); // i_fs_generation, nsec
        z(b, 128, 136); // i_check
        if b.starts_with(b"OCFSV2") {
            z(b, 192 + 16, 192 + 24); // s_lastcheck
            z(b, 192 + 188, 192 + 200); // s_dx_seed
            let c = 192 + 168;
            if let Some(nul) = b[c..c + 16].iter().position(|&x| x == 0) {
                z(b, c + nul, c + 16);
            }
        }
    } else if b.starts_with(b"GROUP01") {
        z(b, 16, 20);
        z(b, 48, 56);
    } else if b[10] == 1 && b[11] == 2 && b[12] == b'.' {
        let end = if trailer { n - 64 } else { n };
        let mut at = 0;
        while at + 12 <= end {
            let rl = usize::from(u16::from_le_bytes([b[at + 8], b[at + 9]]));
            if rl < 12 || at + rl > end {
                break;
            }
            let name_end = at + 12 + usize::from(b[at + 10]);
            if name_end <= at + rl {
                z(b, name_end, at + rl);
            }
            at += rl;
        }
    }
    if trailer {
        z(b, n - 8, n);
    }
}

/// Blocks that differ after masking, described.
fn compare(a: &Path, b: &Path, bs: usize, stale_quota_info: bool) -> Vec<String> {
    let (fa, fb) = (File::open(a).unwrap(), File::open(b).unwrap());
    let size = fa.metadata().unwrap().len();
    assert_eq!(size, fb.metadata().unwrap().len());
    let mut ranges: Vec<(u64, u64)> = data_ranges(&fa, size);
    ranges.extend(data_ranges(&fb, size));
    ranges.sort();
    let mut diffs = Vec::new();
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut done = 0u64;
    for (s, e) in ranges {
        let mut off = (s.max(done) / bs as u64) * bs as u64;
        let e = e.div_ceil(bs as u64) * bs as u64;
        while off < e {
            let n = ((e - off) as usize).min(ba.len());
            fa.read_exact_at(&mut ba[..n], off).unwrap();
            fb.read_exact_at(&mut bb[..n], off).unwrap();
            if ba[..n] != bb[..n] {
                for (i, (x, y)) in ba[..n].chunks_mut(bs).zip(bb[..n].chunks_mut(bs)).enumerate() {
                    if x != y {
                        mask(x, stale_quota_info);
                        mask(y, stale_quota_info);
                        if x != y {
                            let first = x.iter().zip(y.iter()).position(|(p, q)| p != q).unwrap();
                            diffs.push(format!("block {} byte {first}", off / bs as u64 + i as u64));
                        }
                    }
                }
            }
            off += n as u64;
        }
        done = done.max(e);
    }
    diffs
}

fn debugfs(img: &Path, cmd: &str) -> String {
    let out = Command::new(require_tool("debugfs.ocfs2")).args(["-R", cmd]).arg(img).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// debugfs output without clock and random values.
fn normalised(s: &str) -> String {
    s.lines()
        .filter(|l| !["time:", "Generation", "Last Check", "DX Seeds", "CRC32"].iter().any(|k| l.contains(k)))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // `ls -l` lines: drop the date and time columns.
            if f.len() >= 8 && f[1].starts_with(['d', '-']) && f[6].contains('-') {
                [&f[..6], &f[8..]].concat().join(" ")
            } else {
                f.join(" ")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn block_size_of(img: &Path) -> usize {
    let f = File::open(img).unwrap();
    let mut sig = [0u8; 6];
    for bs in [512usize, 1024, 2048, 4096] {
        f.read_exact_at(&mut sig, 2 * bs as u64).unwrap();
        if &sig == b"OCFSV2" {
            return bs;
        }
    }
    panic!("no superblock in {}", img.display());
}

/// Formats `size` bytes with both tools and the same options and UUID, then
/// checks everything the issue asks for.
fn same_as_mkfs_ocfs2(size: u64, opts: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("theirs.img"), dir.path().join("ours.img"));
    sparse(&a, size);
    sparse(&b, size);
    let mut args = vec!["-q", "-F", "-U", UUID];
    args.extend(split(opts));
    let t = theirs(&args, &a);
    assert!(t.status.success(), "mkfs.ocfs2 {opts}: {}", String::from_utf8_lossy(&t.stderr));
    args.extend(["--seed", "1"]);
    let o = ours(&args, &b);
    assert!(o.status.success(), "ocfs2-mkfs {opts}: {}", String::from_utf8_lossy(&o.stderr));
    let bs = block_size_of(&a);
    let quotas = opts.contains("max-features") || opts.contains("quota");
    let diffs = compare(&a, &b, bs, quotas && opts.contains("noinline-data"));
    assert!(diffs.is_empty(), "{size} {opts}: {} blocks differ: {:?}", diffs.len(), &diffs[..diffs.len().min(10)]);
    let hb = opts.contains("-H");
    if !hb {
        let f = Command::new(require_tool("fsck.ocfs2")).arg("-fn").arg(&b).output().unwrap();
        assert!(f.status.success(), "fsck.ocfs2 -fn ({opts}): {}", String::from_utf8_lossy(&f.stdout));
        let mut cmds = vec!["stats".to_string(), "ls -l //".into(), "ls -l /".into(), "stat -t //global_bitmap".into()];
        for name in debugfs(&a, "ls //").split_whitespace().filter(|n| !n.starts_with('.')) {
            cmds.push(format!("stat //{name}"));
        }
        for c in &cmds {
            assert_eq!(normalised(&debugfs(&a, c)), normalised(&debugfs(&b, c)), "debugfs {c} ({opts})");
        }
        let vol = ocfs2_format::Volume::open(&b).unwrap();
        assert!(ocfs2_format::fs::lookup(&vol, "/lost+found").is_ok());
    }
}

#[test]
fn images_match_mkfs_ocfs2() {
    require_tool("mkfs.ocfs2");
    const M: u64 = 1 << 20;
    const G: u64 = 1 << 30;
    let cases: &[(u64, &str)] = &[
        (256 * M, "-b 4096 -C 4096 -N 4 --cluster-stack=o2cb --cluster-name=test -L lbl"),
        (300 * M, "-b 512 -C 4K -N 2"),
        (300 * M, "-b 1K -C 4K"),
        (300 * M, "-b 2K -C 8K -N 3"),
        (300 * M, "-b 4K -C 64K"),
        (300 * M, "-b 4K -C 1M -N 2"),
        (300 * M, "-N 16"),
        (300 * M, "-M local"),
        (300 * M, "--fs-features=local -M cluster"),
        (300 * M, "-T mail -N 2"),
        (64 * M, "--fs-feature-level=max-compat"),
        (64 * M, "--fs-feature-level=max-compat --fs-features=metaecc"),
        (64 * M, "--fs-features=metaecc -N 2"),
        (64 * M, "--fs-features=noinline-data,noindexed-dirs"),
        (64 * M, "--fs-features=noextended-slotmap,nodiscontig-bg"),
        (64 * M, "--cluster-stack=pcmk --cluster-name=mycl"),
        (64 * M, "--cluster-stack=o2cb --cluster-name=abc --global-heartbeat"),
        (64 * M, "--no-backup-super -J size=8M,block64"),
        (11 * M, ""),
        (8 * M, "-N 1"),
        (40 * M, "-C 1M"),
        (10 * M, "-H"),
        (10 * M, "-H --cluster-stack=o2cb --cluster-name=x --global-heartbeat"),
        (2 * G, "-T datafiles -N 2"),
        (5 * G, "-b 1K -N 2 -J size=4M"),
        (1100 * G, "-J size=4M -N 2"),
        (3 << 40, "-J size=16M -N 2 -C 64K"),
        (256 * M, "-b 4K -C 4K -N 2 --fs-feature-level=max-features -M local"),
        (256 * M, "-b 4K -C 64K -N 3 --fs-feature-level=max-features"),
        (256 * M, "-b 1K -C 4K -N 2 --fs-feature-level=max-features"),
        (300 * M, "-b 512 -C 4K -N 2 --fs-feature-level=max-features"),
        (64 * M, "--fs-features=usrquota -N 2"),
        (64 * M, "-b 2K -C 8K --fs-features=grpquota"),
        (256 * M, "-b 4K -C 4K -N 2 --fs-features=noinline-data"),
        (256 * M, "-b 1K -C 4K -N 3 --fs-features=noinline-data,metaecc"),
        (300 * M, "-b 512 -C 8K -N 2 --fs-features=noinline-data"),
        (256 * M, "-b 4K -C 4K -N 2 --fs-feature-level=max-features --fs-features=noinline-data"),
        (4 * G, "-C 8K -N 8 -T mail --fs-feature-level=max-features --fs-features=noinline-data"),
        (16 * M, "-N 1 --fs-features=noinline-data"),
        (32 * M, "-N 2 --fs-feature-level=max-features --fs-features=noinline-data"),
    ];
    for (size, opts) in cases {
        same_as_mkfs_ocfs2(*size, opts);
    }
}

#[test]
fn dry_run_matches_mkfs_ocfs2() {
    require_tool("mkfs.ocfs2");
    const M: u64 = 1 << 20;
    const G: u64 = 1 << 30;
    const T: u64 = 1 << 40;
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let cases: &[(u64, &str)] = &[
        (4 * M, ""),
        (100 * M, ""),
        (511 * M, ""),
        (512 * M, ""),
        (600 * M, ""),
        (1023 * M, ""),
        (G, ""),
        (1025 * M, ""),
        (3 * G, "-N 3"),
        (12 * G, ""),
        (20 * G, ""),
        (32 * G, ""),
        (1023 * G, ""),
        (T, ""),
        (2 * T, ""),
        (15 * T, ""),
        (20 * T, "-J block64"),
        (64 * T, "-J block64"),
        (5 * G, "-T mail"),
        (5 * G, "-T vmstore"),
        (12 * G, "-T datafiles"),
        (63 * G, "-T datafiles"),
        (64 * G, "-T datafiles"),
        (96 * G, "-T vmstore"),
        (128 * G, "-T datafiles"),
        (40 * M, "-T mail"),
        (40 * M, "-C 1M"),
        (G, "-b 3000 -C 5000"),
        (G, "-C 100k"),
        (G, "-M local"),
        (G, "-M local -N 4"),
        (G, "--fs-feature-level=max-features"),
        (G, "--fs-feature-level=max-compat --fs-features=sparse,unwritten"),
        (G, "--fs-features=nosparse"),
        (G, "-T mail --fs-feature-level=default"),
        (G, "-L hello -J size=4M"),
        (G, "-J size=100M -N 3"),
        (G, "100000"),
        (G, "-H"),
        (2 * M, "-H"),
    ];
    for (size, opts) in cases {
        if !sparse(&img, *size) {
            continue;
        }
        let mut args = vec!["-n", "-F", "-U", UUID];
        args.extend(split(opts));
        let (blocks, args): (Vec<&str>, Vec<&str>) =
            args.into_iter().partition(|a| a.bytes().all(|c| c.is_ascii_digit()) && a.len() > 5);
        let mut t = Command::new(require_tool("mkfs.ocfs2"));
        t.args(&args).arg(&img).args(&blocks);
        let t = t.output().unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_ocfs2-mkfs")).args(&args).arg(&img).args(&blocks).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&t.stdout),
            "-n {opts} on {size} bytes (stderr: {})",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.success(), t.status.success(), "-n {opts} on {size}");
    }
}

#[test]
fn reproducible_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.img"), dir.path().join("b.img"));
    for p in [&a, &b] {
        sparse(p, 128 << 20);
        let o = ours(&["-q", "-U", UUID, "--seed", "42", "--fs-features=metaecc"], p);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "two seeded runs differ");
    let vol = ocfs2_format::Volume::open(&a).unwrap();
    assert_eq!(vol.superblock().uuid_hex(), UUID.to_ascii_uppercase());
    let root = vol.inode(vol.root_blkno()).unwrap();
    let names: Vec<String> = ocfs2_format::fs::read_dir(&vol, &root)
        .unwrap()
        .iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    assert_eq!(names, [".", "..", "lost+found"]);
}

#[test]
fn refuses_existing_filesystems_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    sparse(&img, 64 << 20);
    assert!(ours(&["-q"], &img).status.success());
    let again = ours(&["-q"], &img);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("-F"), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(ours(&["-q", "-F"], &img).status.success());
    // An ext4-looking target is refused too.
    sparse(&img, 64 << 20);
    File::options().write(true).open(&img).unwrap().write_all_at(&[0x53, 0xef], 1080).unwrap();
    assert!(!ours(&["-q"], &img).status.success());
}

#[test]
fn clear_errors_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let cases: &[(u64, &[&str])] = &[
        (1 << 30, &["-L", &"x".repeat(64)]),
        (1 << 30, &["--cluster-stack=o2cb", "--cluster-name=abcdefghijklmnopq"]),
        (1 << 30, &["--cluster-stack=o2cb"]),
        (1 << 30, &["-M", "local", "--cluster-stack=o2cb", "--cluster-name=a"]),
        (1 << 30, &["-T", "datafiles"]),
        (1 << 30, &["--fs-features=unwritten,nosparse"]),
        (1 << 30, &["--fs-features=bogus"]),
        (1 << 30, &["-J", "size=2M"]),
        (1 << 30, &["-J", "size=1G"]),
        (1 << 30, &["-N", "256"]),
        (1 << 30, &["-b", "8192"]),
        (17 << 40, &["-C", "4K", "-J", "block64"]),
        (15 << 40, &["-C", "4K", "-b", "2K"]),
        (16 << 40, &["-C", "8K"]),
        (1 << 20, &[]),
    ];
    for (size, args) in cases {
        if !sparse(&img, *size) {
            continue;
        }
        let mut a = vec!["-q"];
        a.extend_from_slice(args);
        let o = ours(&a, &img);
        assert!(!o.status.success(), "{args:?} on {size} should fail");
        assert!(!o.stderr.is_empty());
        let f = File::open(&img).unwrap();
        assert!(data_ranges(&f, *size).is_empty(), "{args:?} wrote something");
    }
}

/// A target too small for the options names the smallest size that works (which
/// does work, and one MiB less does not); an argument error stops the run before
/// "Overwriting existing ocfs2 partition." is printed.
#[test]
fn too_small_names_the_smallest_size_and_argument_errors_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    for opts in [&[][..], &["-N", "4"], &["-b", "4K", "-C", "64K", "-J", "size=8M"]] {
        sparse(&img, 3 << 20);
        let mut a = vec!["-q"];
        a.extend_from_slice(opts);
        let o = ours(&a, &img);
        assert!(!o.status.success(), "{opts:?} on 3 MiB");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let need: u64 = err
            .split("at least ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{opts:?}: no smallest size in {err:?}"));
        sparse(&img, need - (1 << 20));
        assert!(!ours(&a, &img).status.success(), "{opts:?}: {} bytes should be too small", need - (1 << 20));
        sparse(&img, need);
        let o = ours(&a, &img);
        assert!(o.status.success(), "{opts:?} on {need} bytes: {}", String::from_utf8_lossy(&o.stderr));
    }
    sparse(&img, 64 << 20);
    assert!(ours(&["-q"], &img).status.success());
    for bad in [&["-J", "size=1"][..], &["-L", &"x".repeat(64)], &["--cluster-stack=xx", "--cluster-name=y"]] {
        let mut a = vec!["-F"];
        a.extend_from_slice(bad);
        let o = ours(&a, &img);
        assert!(!o.status.success(), "{bad:?}");
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(!said.contains("Overwriting"), "{bad:?}: {said}");
    }
}

#[test]
fn quota_files_and_dx_roots_read_back() {
    use ocfs2_format::layout::quota::QuotaType;
    use ocfs2_format::quota::{read_global_quota, read_local_quota};
    const CLUSTER: u64 = 4096;
    let dir = tempfile::tempdir().unwrap();
    for (bs, extra) in [("4096", ""), ("1024", "--fs-features=noinline-data"), ("512", "--fs-features=noinline-data")] {
        let img = dir.path().join(format!("q{bs}.img"));
        sparse(&img, 256 << 20);
        let mut args =
            vec!["-q", "-U", UUID, "--seed", "3", "-b", bs, "-C", "4K", "-N", "2", "--fs-feature-level=max-features"];
        args.extend(split(extra));
        let o = ours(&args, &img);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let vol = ocfs2_format::Volume::open(&img).unwrap();
        let root = vol.inode(vol.root_blkno()).unwrap();
        for ty in QuotaType::ALL {
            let g = read_global_quota(&vol, ty).unwrap();
            assert!(g.ecc_corrections.is_empty(), "{bs} {ty:?}");
            assert_eq!(g.dquots.len(), 1, "{bs} {ty:?}");
            let d = g.get(0).unwrap();
            // Root only: mkfs counts before it makes lost+found.
            assert_eq!((d.inodes(), d.space()), (1, u64::from(root.header().i_clusters.get()) * CLUSTER), "{bs}");
            assert_eq!(u64::from(g.info.dqi_blocks.get()), g.file_blocks, "{bs} {ty:?}");
            for slot in 0..2 {
                assert!(read_local_quota(&vol, ty, slot).unwrap().is_clean(), "{bs} {ty:?} slot {slot}");
            }
        }
        assert!(ocfs2_format::fs::lookup(&vol, "/lost+found").is_ok());
    }
}
