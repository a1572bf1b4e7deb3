//! `--replay`: journal recovery in memory. Checked against fsck.ocfs2, whose
//! `-y` replays the journals and writes them (then stops with exit 8, "Unable to
//! access cluster service", with the replay already on disk): on logs these
//! tests write into mkfs.ocfs2 volumes (a block logged, revoked by a later
//! transaction and logged again; escaped blocks; wrap-around; 32- and 64-bit
//! tags; an uncommitted tail) and on the kernel-written dirty fixtures B and C1,
//! every block of our view equals fsck's replayed copy except the journal
//! superblock, which fsck marks empty after replay. The image is never written.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;

use common::{decompress_fixture, fixture, fsck, inspect, inspect_json, mkfs, require_tool};
use ocfs2_format::journal::recovery::Recovery;
use ocfs2_format::journal::Journal;
use ocfs2_format::{OpenOptions, SystemFile, Volume};
use sha2::{Digest, Sha256};

const MAGIC: u32 = 0xC03B_3998;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sha256(p: &Path) -> String {
    let mut h = Sha256::new();
    let mut f = std::fs::File::open(p).unwrap();
    std::io::copy(&mut f, &mut h).unwrap();
    format!("{:x}", h.finalize())
}

fn open(p: &Path, replay: bool) -> Volume {
    Volume::open_with(p, OpenOptions { replay, ..OpenOptions::default() }).unwrap()
}

/// Runs `fsck.ocfs2 -y` on `img` (a copy): it replays the journals, then stops.
fn fsck_replay(img: &Path) {
    let out = Command::new("fsck.ocfs2").arg("-y").arg(img).output().expect("run fsck.ocfs2");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("journal replayed successfully"), "fsck.ocfs2 -y did not replay: {text}");
}

/// Every block of `ours` (opened with replay) equals the same block of
/// `theirs` (replayed by fsck.ocfs2), except those in `except`; returns how many
/// blocks the replay changed.
fn assert_same_blocks(ours: &Volume, theirs: &Path, except: &[u64]) -> usize {
    let theirs = open(theirs, false);
    let geo = ours.geometry();
    assert_eq!(geo, theirs.geometry());
    let chunk = 256u64;
    let mut b = 0;
    while b < geo.blocks {
        let n = chunk.min(geo.blocks - b);
        let (x, y) = (ours.read_blocks(b, n).unwrap(), theirs.read_blocks(b, n).unwrap());
        if x != y {
            for i in 0..n {
                let r = (i as usize) * ours.block_size()..(i as usize + 1) * ours.block_size();
                if x[r.clone()] != y[r] && !except.contains(&(b + i)) {
                    panic!("block {} differs between our replayed view and fsck.ocfs2's replay", b + i);
                }
            }
        }
        b += n;
    }
    ours.recovery().unwrap().blocks().count()
}

/// The volume block of journal `slot`'s log block `n`.
fn log_block(vol: &Volume, slot: u16, n: u32) -> u64 {
    Journal::open(vol, slot).unwrap().log_block_location(n).unwrap()
}

/// Writes JBD2 blocks into journal:0000 of a mkfs.ocfs2 image, the way jbd2 does.
struct LogWriter {
    img: std::fs::File,
    bs: u64,
    /// Volume block of each log block.
    map: Vec<u64>,
    wide: bool,
}

impl LogWriter {
    fn new(path: &Path) -> LogWriter {
        let vol = open(path, false);
        let j = Journal::open(&vol, 0).unwrap();
        let map = (0..j.superblock().s_maxlen.get()).map(|n| j.log_block_location(n).unwrap()).collect();
        let wide = j.superblock().s_feature_incompat.get() & 0x2 != 0;
        let bs = vol.block_size() as u64;
        LogWriter { img: std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap(), bs, map, wide }
    }
    fn put(&self, n: u32, block: &[u8]) {
        self.img.write_all_at(block, self.map[n as usize] * self.bs).unwrap();
    }
    fn header(&self, kind: u32, seq: u32) -> Vec<u8> {
        let mut b = vec![0u8; self.bs as usize];
        b[..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&kind.to_be_bytes());
        b[8..12].copy_from_slice(&seq.to_be_bytes());
        b
    }
    /// A descriptor (the first tag with a UUID, LAST_TAG on the last) and its data.
    fn transaction(&self, at: u32, seq: u32, tags: &[(u64, &[u8])], commit: bool) -> u32 {
        let mut d = self.header(1, seq);
        let mut off = 12;
        let mut pos = at;
        let mut data = Vec::new();
        for (i, (blk, content)) in tags.iter().enumerate() {
            let mut content = content.to_vec();
            let mut flags: u32 = if i == 0 { 0 } else { 2 };
            if content[..4] == MAGIC.to_be_bytes() {
                content[..4].fill(0); // jbd2 escapes a block that starts with its magic
                flags |= 1;
            }
            if i + 1 == tags.len() {
                flags |= 8;
            }
            d[off..off + 4].copy_from_slice(&(*blk as u32).to_be_bytes());
            d[off + 4..off + 8].copy_from_slice(&flags.to_be_bytes());
            if self.wide {
                d[off + 8..off + 12].copy_from_slice(&((*blk >> 32) as u32).to_be_bytes());
            }
            off += if self.wide { 12 } else { 8 };
            if i == 0 {
                d[off..off + 16].fill(0x42);
                off += 16;
            }
            data.push(content);
        }
        self.put(pos, &d);
        for content in data {
            pos = self.next(pos);
            self.put(pos, &content);
        }
        if commit {
            pos = self.next(pos);
            self.put(pos, &self.header(2, seq));
        }
        self.next(pos)
    }
    fn revoke(&self, at: u32, seq: u32, blocks: &[u64]) -> u32 {
        let mut b = self.header(5, seq);
        let mut off = 16;
        for &blk in blocks {
            if self.wide {
                b[off..off + 8].copy_from_slice(&blk.to_be_bytes());
                off += 8;
            } else {
                b[off..off + 4].copy_from_slice(&(blk as u32).to_be_bytes());
                off += 4;
            }
        }
        b[12..16].copy_from_slice(&(off as u32).to_be_bytes());
        self.put(at, &b);
        let at = self.next(at);
        self.put(at, &self.header(2, seq));
        self.next(at)
    }
    fn next(&self, n: u32) -> u32 {
        if n + 1 >= self.map.len() as u32 {
            1
        } else {
            n + 1
        }
    }
    /// Points the JBD2 superblock at the log and sets the inode's DIRTY flag.
    fn start(&self, vol: &Volume, start: u32, sequence: u32) {
        let mut sb = vec![0u8; 1024];
        self.img.read_exact_at(&mut sb, self.map[0] * self.bs).unwrap();
        sb[0x18..0x1c].copy_from_slice(&sequence.to_be_bytes());
        sb[0x1c..0x20].copy_from_slice(&start.to_be_bytes());
        let incompat = u32::from_be_bytes(sb[0x28..0x2c].try_into().unwrap()) | 1; // REVOKE
        sb[0x28..0x2c].copy_from_slice(&incompat.to_be_bytes());
        self.img.write_all_at(&sb, self.map[0] * self.bs).unwrap();
        let inode = vol.system_file(SystemFile::journal(0)).unwrap();
        let mut flags = [0u8; 4];
        self.img.read_exact_at(&mut flags, inode * self.bs + 0xB8).unwrap();
        let f = u32::from_le_bytes(flags) | 1;
        self.img.write_all_at(&f.to_le_bytes(), inode * self.bs + 0xB8).unwrap();
    }
}

fn pattern(bs: usize, seed: u8) -> Vec<u8> {
    (0..bs).map(|i| seed.wrapping_add((i % 251) as u8)).collect()
}

/// A log written by hand: the JBD2 rules decide each block, and fsck.ocfs2's
/// replay of the same log agrees with our view block for block. Then the log
/// gains revokes, which only the rules judge: fsck.ocfs2 1.8.7 reads
/// `(r_count - 16) / 8` records of 4 bytes (a pointer's size for the record's),
/// so it ignores a lone 32-bit revoke, and it hangs on a block logged again
/// after its revoke (`revoke_this_block` stops descending its tree once it finds
/// the block with an older revoke).
fn handmade_log(block64: bool) {
    require_tool("mkfs.ocfs2");
    require_tool("fsck.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("v.img");
    let jopt = if block64 { "size=4M,block64" } else { "size=4M,block32" };
    mkfs(&img, 64 << 20, &["-b", "4096", "-N", "1", "-M", "local", "-J", jopt]);
    let vol = open(&img, false);
    let bs = vol.block_size();
    let n = vol.geometry().blocks;
    let (x, y, z, w) = (n - 10, n - 11, n - 12, n - 13);
    let root = vol.root_blkno();
    let mut root_copy = vol.read_block(root).unwrap().into_owned();
    root_copy[0x38..0x40].copy_from_slice(&1_700_000_000u64.to_le_bytes()); // i_ctime
    let mut escaped = pattern(bs, 9);
    escaped[..4].copy_from_slice(&MAGIC.to_be_bytes());
    let log = LogWriter::new(&img);
    let maxlen = log.map.len() as u32;
    // Transaction 100 starts four blocks before the end and wraps.
    let start = maxlen - 4;
    let at = log.transaction(
        start,
        100,
        &[(x, &pattern(bs, 1)), (y, &pattern(bs, 2)), (root, &root_copy), (w, &escaped)],
        true,
    );
    assert!(at < start, "the log wraps");
    let tail = log.transaction(at, 101, &[(z, &pattern(bs, 3))], true);
    log.transaction(tail, 102, &[(x, &pattern(bs, 4))], false); // no commit: ignored
    log.start(&vol, start, 100);
    drop(vol);
    let home = open(&img, false);

    let before = sha256(&img);
    let ours = open(&img, true);
    let rec = ours.recovery().unwrap();
    let log0 = rec.slots()[0].log.as_ref().unwrap();
    assert_eq!(log0.transactions.iter().map(|t| t.sequence).collect::<Vec<_>>(), vec![100, 101]);
    assert_eq!((log0.end_sequence, log0.next_sequence()), (102, 103));
    assert_eq!(log0.uncommitted_blocks, 2);
    assert_eq!(&*ours.read_block(x).unwrap(), &pattern(bs, 1)[..], "the uncommitted copy is ignored");
    assert_eq!(&*ours.read_block(y).unwrap(), &pattern(bs, 2)[..]);
    assert_eq!(&*ours.read_block(z).unwrap(), &pattern(bs, 3)[..]);
    assert_eq!(&*ours.read_block(w).unwrap(), &escaped[..], "the escaped magic is restored");
    assert_eq!(&*ours.read_block(root).unwrap(), &root_copy[..]);
    let stat = inspect_json(&["--replay", "stat", s(&img), "/"]);
    assert_eq!(stat["ctime"]["sec"], 1_700_000_000u64, "{stat}");

    let copy = dir.path().join("fsck.img");
    std::fs::copy(&img, &copy).unwrap();
    fsck_replay(&copy);
    let jsb = log.map[0];
    let changed = assert_same_blocks(&ours, &copy, &[jsb]);
    assert_eq!(changed, 5, "x, y, z, w and the root inode");
    // The JBD2 superblock is what fsck rewrites: s_start 0, s_sequence the next tid.
    let fsb = open(&copy, false);
    let j = Journal::open(&fsb, 0).unwrap();
    assert_eq!((j.superblock().s_start.get(), j.superblock().s_sequence.get()), (0, 103));
    assert_eq!(sha256(&img), before, "the image is never written");

    // Transaction 102 now revokes x and y; 103 logs x again; 104 would log y
    // again but has no commit. Logged in 100 and revoked in 102, y keeps its home
    // copy; x takes 103's.
    let at = log.revoke(tail, 102, &[x, y]);
    let at = log.transaction(at, 103, &[(x, &pattern(bs, 5))], true);
    log.transaction(at, 104, &[(y, &pattern(bs, 6))], false);
    let ours = open(&img, true);
    let rec = ours.recovery().unwrap();
    assert_eq!(&*ours.read_block(x).unwrap(), &pattern(bs, 5)[..], "logged again after the revoke");
    assert_eq!(ours.read_block(y).unwrap(), home.read_block(y).unwrap(), "revoked: the home copy stays");
    assert_eq!(rec.block(x).unwrap().sequence, 103);
    assert!(rec.block(y).is_none());
    let log0 = rec.slots()[0].log.as_ref().unwrap();
    assert_eq!((log0.revoke_records(), log0.revoked(), log0.end_sequence), (2, 2, 104), "x and y in 100");
}

#[test]
fn handmade_log_32bit_follows_jbd2_and_fsck() {
    handmade_log(false);
}

#[test]
fn handmade_log_64bit_follows_jbd2_and_fsck() {
    handmade_log(true);
}

/// The dirty kernel fixtures: our view equals fsck.ocfs2's replay, block for
/// block (the kernel had also written these transactions home before the reset,
/// so the replay rewrites the same bytes, but the log is walked in full).
#[test]
fn dirty_fixtures_equal_fsck_replay() {
    require_tool("fsck.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    for (name, local) in [("B", true), ("C1", false)] {
        let copy = dir.path().join(format!("{name}.img"));
        decompress_fixture(name, &copy);
        let mut except = vec![log_block(&open(&copy, false), 0, 0)];
        if !local {
            // C1 is an o2cb volume: fsck.ocfs2 needs the cluster stack before it
            // replays. Marked local (the LOCAL_MOUNT incompat bit, no metaecc
            // here), it replays and stops as for B.
            let v = open(&copy, false);
            let at = v.geometry().block_offset(2) + 0xC0 + 0x20;
            let f = std::fs::OpenOptions::new().read(true).write(true).open(&copy).unwrap();
            let mut b = [0u8; 4];
            f.read_exact_at(&mut b, at).unwrap();
            f.write_all_at(&(u32::from_le_bytes(b) | 0x8).to_le_bytes(), at).unwrap();
            except.push(2);
        }
        fsck_replay(&copy);
        let ours = open(&fixture(name), true);
        let changed = assert_same_blocks(&ours, &copy, &except);
        let rec = ours.recovery().unwrap();
        let log = rec.slots()[0].log.as_ref().unwrap();
        match name {
            "B" => assert_eq!((log.transactions.len(), changed), (2, 38)),
            _ => assert_eq!((log.transactions.len(), changed, log.written()), (2, 11, 15)),
        }
        assert!(rec.warnings().is_empty(), "{:?}", rec.warnings());
    }
}

#[test]
fn check_with_replay_agrees_with_fsck_on_the_replayed_copy() {
    require_tool("fsck.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("B.img");
    decompress_fixture("B", &copy);
    fsck_replay(&copy);
    let (code, text) = fsck(&copy);
    assert_eq!(code, Some(0), "{text}");
    let out = inspect(&["--replay", "check", "--no-progress", s(&fixture("B"))]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_notice_without_replay_and_counts_with_it() {
    let b = fixture("B");
    let out = inspect(&["ls", s(&b), "/"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("pre-recovery state").count(), 1, "{err}");
    assert!(err.contains("slot 0"), "{err}");
    let out = inspect(&["--replay", "ls", s(&b), "/"]);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = inspect(&["ls", s(&fixture("A-default")), "/"]);
    assert!(out.stderr.is_empty(), "a clean volume needs no notice");

    let stats = inspect_json(&["--replay", "stats", s(&b)]);
    let r = &stats["journals"][0]["replayed"];
    assert_eq!((r["transactions"].as_u64(), r["distinct_blocks"].as_u64()), (Some(2), Some(38)), "{r}");
    assert!(stats["journals"][1].get("replayed").is_none());
    let c1 = fixture("C1");
    let map = inspect_json(&["--replay", "slotmap", s(&c1)]);
    let r = &map["slots"][0]["journal_replayed"];
    assert_eq!((r["transactions"].as_u64(), r["blocks_written"].as_u64()), (Some(2), Some(15)), "{r}");
}

/// C1's log holds a block in two transactions: the plan shows the first copy
/// setting an inode's atime back and the second restoring it.
#[test]
fn plan_shows_transactions_blocks_and_field_changes() {
    let c1 = fixture("C1");
    let plan = inspect_json(&["recover", "--dry-run", s(&c1)]);
    let slot = &plan["slots"][0];
    assert_eq!(slot["slot"], 0);
    let txs = slot["replay"]["transactions"].as_array().unwrap();
    assert_eq!(txs.iter().map(|t| t["sequence"].as_u64().unwrap()).collect::<Vec<_>>(), vec![2, 3]);
    let find = |t: &serde_json::Value, home: u64| -> serde_json::Value {
        t["blocks"].as_array().unwrap().iter().find(|b| b["home"] == home).unwrap().clone()
    };
    let (first, second) = (find(&txs[0], 4628), find(&txs[1], 4628));
    assert_eq!(first["kind"], "Inode");
    let atime = |b: &serde_json::Value| -> (u64, u64) {
        let c = b["changes"].as_array().unwrap().iter().find(|c| c["field"] == "atime.sec").unwrap().clone();
        (c["before"].as_u64().unwrap(), c["after"].as_u64().unwrap())
    };
    let (a, b) = atime(&first);
    assert_eq!(atime(&second), (b, a), "the second copy undoes the first");
    // Against the volume: the home block holds what the last copy holds.
    let home = open(&c1, false);
    let ours = open(&c1, true);
    assert_eq!(home.read_block(4628).unwrap(), ours.read_block(4628).unwrap());
    // B's orphan is what recovery would delete after the log.
    let plan = inspect_json(&["recover", "--dry-run", s(&fixture("B"))]);
    let orphans = plan["slots"][0]["after_replay"]["orphans"].as_array().unwrap().clone();
    assert_eq!(orphans.len(), 1);
    assert_eq!((orphans[0]["inode"].as_u64(), orphans[0]["name"].as_str()), (Some(15804), Some("0000000000003dbc")));
    assert!(!inspect(&["recover", s(&c1)]).status.success(), "--dry-run is required");
}

#[test]
fn replay_never_writes_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let b = fixture("B");
    let before = sha256(&b);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    for args in [
        vec!["--replay", "stats", s(&b)],
        vec!["--replay", "ls", "-l", s(&b), "/"],
        vec!["--replay", "stat", s(&b), "/after-sync/note.txt"],
        vec!["--replay", "cat", s(&b), "/small/hello.txt"],
        vec!["--replay", "rdump", s(&b), "/small", s(&out_dir)],
        vec!["--replay", "check", "--no-progress", s(&b)],
        vec!["--replay", "slotmap", s(&b)],
        vec!["--replay", "logdump", s(&b), "0"],
        vec!["--replay", "stat_sysdir", s(&b)],
        vec!["recover", "--dry-run", s(&b)],
    ] {
        let out = inspect(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(sha256(&b), before);
}

/// Library: opening with replay over a source that is not a file works the same.
#[test]
fn recovery_reads_from_any_source() {
    let vol = open(&common::fixture_zst("C1"), false);
    let rec = Recovery::read(&vol, false).unwrap();
    assert_eq!(rec.blocks().count(), 11);
    assert_eq!(rec.block(4628).unwrap().sequence, 3);
}

/// `KFIX-SHA` (path -> (sha256, size)) and `KFIX-LS` (directory -> names) lines
/// the guest printed after the kernel's own recovery and mount.
type Listing = (std::collections::BTreeMap<String, (String, u64)>, std::collections::BTreeMap<String, Vec<String>>);

fn kernel_listing(name: &str) -> Listing {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(format!("{name}.kernel-listing.txt")),
    )
    .unwrap();
    let (mut files, mut dirs) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("KFIX-SHA") => {
                let (sha, size, path) = (w.next().unwrap(), w.next().unwrap(), w.next().unwrap());
                files.insert(path.to_string(), (sha.to_string(), size.parse().unwrap()));
            }
            Some("KFIX-LS") => {
                let dir = w.next().unwrap().trim_start_matches('.').to_string();
                let dir = if dir.is_empty() { "/".to_string() } else { dir };
                let mut names: Vec<String> = w.map(str::to_string).collect();
                names.sort();
                dirs.insert(dir, names);
            }
            _ => {}
        }
    }
    (files, dirs)
}

/// Regular files under `root` (relative path -> (sha256, size)), lost+found left out.
fn tree(root: &Path) -> std::collections::BTreeMap<String, (String, u64)> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            if rel == "lost+found" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, (sha256(&p), std::fs::metadata(&p).unwrap().len()));
            }
        }
    }
    out
}

/// The kernel-written R fixtures (fixtures/README.md): reset mid-work with the
/// work only in the journal. Home blocks alone show another tree; `--replay`
/// shows, file for file, what the kernel's own recovery and mount showed.
fn kernel_recovery(name: &str) {
    let img = fixture(name);
    let (files, dirs) = kernel_listing(name);
    let dir = tempfile::tempdir().unwrap();
    for replay in [true, false] {
        let out = dir.path().join(format!("rdump-{replay}"));
        std::fs::create_dir(&out).unwrap();
        let mut args = vec!["rdump", s(&img), "/", s(&out)];
        if replay {
            args.insert(0, "--replay");
        }
        let o = inspect(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        let ours = tree(&out);
        if replay {
            assert_eq!(ours, files, "{name}: --replay rdump against the kernel's recovered tree");
        } else {
            // Without the journal: old names, the new directories missing.
            assert!(ours.contains_key("base/old-name.txt") && !ours.contains_key("base/new-name.txt"), "{name}");
            assert!(!ours.keys().any(|p| p.starts_with("grow/") || p.starts_with("deep/")), "{name}");
            assert!(ours.contains_key("base/keep/big"), "{name}: freed in the journal only");
        }
    }
    for (d, names) in &dirs {
        let v = inspect_json(&["--replay", "ls", s(&img), d]);
        let mut ours: Vec<String> =
            v["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
        ours.sort();
        assert_eq!(&ours, names, "{name}: ls {d}");
    }
    require_tool("debugfs.ocfs2");
    require_tool("fsck.ocfs2");
    // `ls -l` of every directory against debugfs.ocfs2 on the copy the kernel
    // recovered: inode, mode, links, owner and size of each entry.
    let kernel = dir.path().join("kernel.img");
    decompress_fixture(&format!("{name}-kernel-recovered"), &kernel);
    let cmds: Vec<String> = dirs.keys().map(|d| format!("ls -l {d}")).collect();
    let theirs = common::debugfs_batch(&kernel, &cmds);
    for (d, text) in dirs.keys().zip(theirs) {
        let mut want: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.len() >= 9)
                    .then(|| format!("{} {} {} {} {} {} {}", w[0], w[1], w[2], w[3], w[4], w[5], w[8..].join(" ")))
            })
            .collect();
        let v = inspect_json(&["--replay", "ls", "-l", s(&img), d]);
        let mut got: Vec<String> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let l = &e["long"];
                format!(
                    "{} {} {} {} {} {} {}",
                    e["inode"],
                    l["mode_string"].as_str().unwrap(),
                    l["links"],
                    l["uid"],
                    l["gid"],
                    l["size"],
                    e["name"].as_str().unwrap()
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{name}: ls -l {d} against debugfs.ocfs2 on the kernel's recovered copy");
    }
    // fsck.ocfs2 -y replays the same: every block equal but the journal
    // superblock; and check --replay agrees with fsck -fn on that copy.
    let copy = dir.path().join("fsck.img");
    decompress_fixture(name, &copy);
    fsck_replay(&copy);
    let ours = open(&img, true);
    let changed = assert_same_blocks(&ours, &copy, &[log_block(&open(&img, false), 0, 0)]);
    assert!(changed > 400, "{name}: {changed} blocks replayed");
    let (code, text) = fsck(&copy);
    assert_eq!(code, Some(0), "{text}");
    let o = inspect(&["--replay", "check", "--no-progress", s(&img)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn kernel_recovery_4k_metaecc_64bit_journal() {
    kernel_recovery("R-4k");
}

#[test]
fn kernel_recovery_1k_metaecc_32bit_journal() {
    kernel_recovery("R-1k");
}

/// What recovery would do after the log in the R fixtures: the file freed last
/// sits in the truncate log, the open-unlinked one in the orphan directory.
#[test]
fn after_the_log_reports_truncate_log_orphans_and_local_alloc() {
    for (name, orphan) in [("R-4k", 19093u64), ("R-1k", 70327)] {
        let plan = inspect_json(&["recover", "--dry-run", s(&fixture(name))]);
        let a = &plan["slots"][0]["after_replay"];
        // base/keep/big: 40960 bytes, 10 clusters of 4 KiB, freed in the last transaction.
        let tl = a["truncate_log"].as_array().unwrap();
        assert_eq!((tl.len(), tl[0][1].as_u64()), (1, Some(10)), "{name}: {a}");
        let o = a["orphans"].as_array().unwrap();
        assert_eq!((o.len(), o[0]["inode"].as_u64(), o[0]["size"].as_u64()), (1, Some(orphan), Some(8192)), "{name}");
        assert!(!a["local_alloc_freed"].as_array().unwrap().is_empty(), "{name}");
        // Home blocks alone: the truncate log is empty.
        let home = open(&fixture(name), false);
        assert!(ocfs2_format::alloc::truncate_log(&home, 0).unwrap().recs.is_empty(), "{name}");
    }
}
