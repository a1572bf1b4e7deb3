//! The corruption sweep's CLI tier (the library tier, and what both damage:
//! ocfs2-format/tests/sweep.rs): a subset, the first flip of every field-table
//! entry on a few blocks of each kind. The damaged image is written to a file
//! and every inspector command is run on it under `prlimit --as=1GiB`, killed
//! after 20 s of CPU time (wall time would mistake a loaded machine for a hang);
//! each must exit 0 (or 4, `check`'s "problems found"), or non-zero
//! with a message on stderr, never mention "panicked" nor die by a signal; the
//! image's sha256 is unchanged afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;
#[path = "../../ocfs2-format/tests/sweep_targets/mod.rs"]
mod sweep_targets;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocfs2_format::io::{open_zst, BlockSource};
use ocfs2_format::{OpenOptions, Volume};
use sweep_targets::{field_offsets, find_blocks, mutate, sample, Kind, Rng, PLANS, WATCHDOG};

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// What one command may use. CPU time, not wall time, is what catches a loop: it
/// does not grow when other jobs load the machine, so a slow run is not taken for a
/// hang. The wall-clock bound is only a backstop for a process blocked without
/// spinning, hence generous.
struct Bounds {
    cpu_secs: u64,
    wall: Duration,
}

const COMMAND: Bounds = Bounds { cpu_secs: WATCHDOG.as_secs(), wall: Duration::from_secs(WATCHDOG.as_secs() * 15) };

/// Runs `program ARGS` under 1 GiB of address space and `bounds`; `Err` says what
/// went wrong.
fn run_bounded(program: &str, args: &[String], bounds: &Bounds) -> Result<(), String> {
    // At the soft CPU limit the kernel sends SIGXCPU, a second later SIGKILL.
    let mut child = Command::new("prlimit")
        .arg("--as=1073741824")
        .arg(format!("--cpu={}:{}", bounds.cpu_secs, bounds.cpu_secs + 1))
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        use std::io::Read;
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > bounds.wall {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{args:?}: blocked, killed after {:?} of wall time", bounds.wall));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = reader.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    if matches!(status.signal(), Some(libc::SIGXCPU | libc::SIGKILL)) {
        return Err(format!("{args:?}: killed after {} s of CPU time (a loop?)", bounds.cpu_secs));
    }
    if let Some(sig) = status.signal() {
        return Err(format!("{args:?}: killed by signal {sig}: {err}"));
    }
    if err.contains("panicked") {
        return Err(format!("{args:?}: panicked: {err}"));
    }
    // `check` exits 4 for "problems found", its report on stdout: a result.
    let is_check_report = args.first().map(String::as_str) == Some("check") && status.code() == Some(4);
    if !status.success() && !is_check_report && err.trim().is_empty() {
        return Err(format!("{args:?}: exit {status} with nothing on stderr"));
    }
    Ok(())
}

/// The bounds catch both kinds of hang: a loop by its CPU time, however loaded the
/// machine, and a blocked process by the wall clock.
#[test]
fn bounds_catch_a_loop_and_a_blocked_process() {
    let spin = run_bounded("sh", &["-c".into(), "while :; do :; done".into()], &Bounds { cpu_secs: 1, wall: WATCHDOG });
    assert!(spin.as_ref().is_err_and(|e| e.contains("of CPU time")), "{spin:?}");
    let blocked = run_bounded("sleep", &["60".into()], &Bounds { cpu_secs: 1, wall: Duration::from_secs(1) });
    assert!(blocked.as_ref().is_err_and(|e| e.contains("of wall time")), "{blocked:?}");
}

/// Every inspector command on one damaged image.
fn cli_commands(img: &Path, out: &Path, blkno: u64, kind: Kind, slots: u16) -> Vec<Vec<String>> {
    let i = img.display().to_string();
    let b = format!("<{blkno}>");
    let o = out.display().to_string();
    let svg = out.join("map.svg").display().to_string();
    let o2i = out.join("image.o2i").display().to_string();
    let mut v: Vec<Vec<&str>> = vec![
        vec!["stats", &i],
        vec!["ls", "-l", &i, "/"],
        vec!["ls", "-l", &i, "//"],
        vec!["stat", &i, &b],
        vec!["stat", &i, "/"],
        vec!["stat", &i, "/small/hello.txt"],
        vec!["stat", &i, "/data/pat1m"],
        vec!["stat_sysdir", &i],
        vec!["cat", &i, "/small/pat5000"],
        vec!["rdump", &i, "/", &o],
        vec!["bmap", &i, "/data/pat1m", "3"],
        vec!["findpath", &i, &b],
        vec!["hb", &i],
        vec!["slotmap", &i],
        vec!["check", "--no-progress", &i],
        vec!["xattr", &i, &b],
        vec!["xattr", &i, "/xattr/file"],
        vec!["xattr", &i, "/extra/many"],
        vec!["refcount", &i, "/data/pat1m"],
        vec!["dx_dump", &i, "/bigdir"],
        vec!["dx_space", &i, "/bigdir"],
        vec!["refcount", &i, &b],
        vec!["freeinode", &i],
        vec!["lsdel", &i],
        vec!["encode", "--all", &i, &b],
        vec!["locate", &i, &b, "<5>"],
        vec!["map", &i, "-o", &svg],
        vec!["list-sparse", &i],
        vec!["gd_free_bits", &i],
        vec!["query", &i, "%V %U %M %H %O\\n"],
        vec!["-R", "stat /small/hello.txt", &i],
        vec!["bodyfile", &i],
        vec!["hash", &i, "/"],
        vec!["image", &i, &o2i],
    ];
    if matches!(kind, Kind::DxRoot | Kind::DxLeaf | Kind::Inode | Kind::DirBlock) {
        v.push(vec!["dx_dump", &i, &b]);
        v.push(vec!["dirblocks", &i, &b]);
    }
    if kind == Kind::DxRoot {
        v.push(vec!["dx_root", &i, &b]);
    }
    if kind == Kind::DxLeaf {
        v.push(vec!["dx_leaf", &i, &b]);
    }
    if kind == Kind::Group {
        v.push(vec!["group", &i, &b]);
    }
    if kind == Kind::ExtentBlock {
        v.push(vec!["extent", &i, &b]);
    }
    let mut v: Vec<Vec<String>> = v.into_iter().map(|a| a.into_iter().map(String::from).collect()).collect();
    for s in 0..slots {
        v.push(vec!["logdump".into(), i.clone(), s.to_string()]);
    }
    v
}

#[test]
fn cli_sweep() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (fno, plan) in PLANS.iter().enumerate() {
        let base = open_zst(&common::fixture_zst(plan.fixture)).unwrap();
        let vol = Volume::from_source(Box::new(base.clone()), OpenOptions::default()).unwrap();
        let (bs, slots) = (vol.block_size(), vol.superblock().s_max_slots.get());
        drop(vol);
        let img = dir.path().join(format!("{}.img", plan.fixture));
        common::decompress_fixture(plan.fixture, &img);
        let mut rng = Rng(0x5eed_0000 + fno as u64);
        let all = find_blocks(&base, bs);
        let picked = sample(&all, plan.cli_per_kind, &mut rng);
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&img).unwrap();
        for (i, &(kind, blkno)) in picked.iter().enumerate() {
            // One field per block (rotating through the table), so every kind is covered.
            let offs = field_offsets(kind, bs);
            let off = offs[(i * 7 + 1) % offs.len()];
            let mut clean = vec![0u8; bs];
            base.read_at(blkno * bs as u64, &mut clean).unwrap();
            let mut block = clean.clone();
            mutate(&mut block, off, i);
            file.write_all_at(&block, blkno * bs as u64).unwrap();
            file.sync_all().unwrap();
            let before = sha256(&img);
            let out = dir.path().join(format!("rdump-{fno}-{i}"));
            std::fs::create_dir_all(&out).unwrap();
            for args in cli_commands(&img, &out, blkno, kind, slots) {
                runs += 1;
                if let Err(e) = run_bounded(common::bin(), &args, &COMMAND) {
                    failures.push(format!("{} {kind:?} block {blkno} offset {off:#x}: {e}", plan.fixture));
                }
            }
            let _ = std::fs::remove_dir_all(&out);
            if sha256(&img) != before {
                failures.push(format!("{} {kind:?} block {blkno}: the image changed", plan.fixture));
            }
            file.write_all_at(&clean, blkno * bs as u64).unwrap();
        }
    }
    eprintln!("cli sweep: {runs} runs in {:?}", t0.elapsed());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
