//! `hb`, `slotmap` and `mounted` against the real ocfs2-tools on kernel-written
//! fixtures and mkfs.ocfs2 images, and `hb --watch` against simulated nodes
//! (`ocfs2-hbsim`) heartbeating on one image.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{debugfs, fixture, fixture_zst, inspect_json, mkfs, require_tool};
use serde_json::Value;

/// One line of `debugfs.ocfs2 -R hb`: slot, node, seq, generation, checksum, dead_ms.
type HbLine = (u64, u64, u64, u64, u64, u64);

/// Parses `debugfs.ocfs2 -R hb` (`\t   0:    0 000000006b05d71e 2ac7e339c2083605 7f7ccb1d  62000`).
fn parse_debugfs_hb(text: &str) -> Vec<HbLine> {
    text.lines()
        .filter_map(|l| {
            let (slot, rest) = l.trim().split_once(':')?;
            let slot = slot.trim().parse().ok()?;
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.len() != 5 {
                return None;
            }
            Some((
                slot,
                f[0].parse().ok()?,
                u64::from_str_radix(f[1], 16).ok()?,
                u64::from_str_radix(f[2], 16).ok()?,
                u64::from_str_radix(f[3], 16).ok()?,
                f[4].parse().ok()?,
            ))
        })
        .collect()
}

/// Our `hb --json` slots in debugfs's terms; `scale` maps our slot index to
/// debugfs's (which always assumes 512-byte slots).
fn our_hb(json: &Value, scale: u64) -> Vec<HbLine> {
    json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["slot"].as_u64().unwrap() * scale,
                s["node"].as_u64().unwrap(),
                // 64-bit values are decimal strings in our JSON.
                s["seq"].as_str().unwrap().parse().unwrap(),
                s["generation"].as_str().unwrap().parse().unwrap(),
                s["cksum"].as_u64().unwrap(),
                s["dead_ms"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn c1_kernel_heartbeat_decodes_and_matches_debugfs() {
    // MANIFEST.md, C1: node 0 beat with this seq, generation, checksum and dead_ms.
    let want = (0, 0, 0x6b05_d71e, 0x2ac7_e339_c208_3605, 0x7f7c_cb1d, 62_000);
    let zst = fixture_zst("C1");
    let json = inspect_json(&["hb", zst.to_str().unwrap()]);
    assert_eq!(our_hb(&json, 1), vec![want]);
    let s = &json["slots"][0];
    assert_eq!(s["crc_ok"], true, "the kernel-written slot has a valid heartbeat CRC");
    assert_eq!(s["node_matches"], true);
    assert_eq!(s["fs_slot"], 0, "node 0 holds fs slot 0");
    assert_eq!(s["journal"]["dirty"], true, "journal:0000 is Dirty (reset while mounted)");
    assert_eq!(json["region"]["sector_size"], 512);
    assert_eq!(json["region"]["blkno"], 273);

    require_tool("debugfs.ocfs2");
    let raw = fixture("C1");
    let theirs = parse_debugfs_hb(&debugfs(&raw, "hb"));
    assert_eq!(theirs, vec![want]);
    assert_eq!(our_hb(&inspect_json(&["hb", raw.to_str().unwrap()]), 1), theirs);
    // Every other fixture has an unused region: nothing printed by either tool.
    for name in ["A-default", "B"] {
        let raw = fixture(name);
        assert!(parse_debugfs_hb(&debugfs(&raw, "hb")).is_empty());
        assert!(our_hb(&inspect_json(&["hb", raw.to_str().unwrap()]), 1).is_empty());
    }
}

#[test]
fn hb_watch_on_a_frozen_image_sees_no_live_node() {
    // C1's slot never changes: the liveness rules must not call node 0 live. On a
    // pipe, the first sample's state is printed at once (node 0's last beat and
    // generation, see the README), then nothing, as no node changes state.
    let zst = fixture_zst("C1");
    let out = common::inspect(&["hb", "--watch", "--interval", "10ms", "--count", "5", zst.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "the first state, then no transitions: {text}");
    assert!(lines[0].contains("node 0 ") && lines[0].contains("2ac7e339c2083605"), "{text}");
    assert!(lines[0].contains("2026-11-24 18:27:42 UTC") && !lines[0].contains("live"), "{text}");
    // JSON keeps to transitions.
    let out =
        common::inspect(&["--json", "hb", "--watch", "--interval", "10ms", "--count", "3", zst.to_str().unwrap()]);
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn sha256_file(p: &Path) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(p).unwrap(), &mut h).unwrap();
    h.finalize().to_vec()
}

/// C1 as partition 2 of a GPT disk (partition 1 an empty 8 MiB), sparse.
fn c1_in_a_gpt_disk(dir: &Path) -> PathBuf {
    let disk = dir.join("gpt.img");
    std::fs::File::create(&disk).and_then(|f| f.set_len(300 << 20)).unwrap();
    let out = Command::new("sgdisk").args(["-n", "1:2048:+8M", "-n", "2:0:+256M"]).arg(&disk).output().unwrap();
    assert!(out.status.success(), "sgdisk: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new("dd")
        .arg(format!("if={}", fixture("C1").display()))
        .arg(format!("of={}", disk.display()))
        .args(["bs=512", "seek=18432", "conv=notrunc,sparse", "status=none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "dd: {}", String::from_utf8_lossy(&out.stderr));
    disk
}

/// `hb` samples the region where the volume is, like every other command: in
/// the partition `--partition` names, in the disk's only OCFS2 partition when
/// none is named, and at `--offset`. Each reads what debugfs.ocfs2 reads from
/// the bare volume, joined with that volume's slot map and journals.
#[test]
fn hb_samples_the_region_inside_a_partition() {
    require_tool("debugfs.ocfs2");
    require_tool("sgdisk");
    let theirs = parse_debugfs_hb(&debugfs(&fixture("C1"), "hb"));
    assert_eq!(theirs.len(), 1, "C1: node 0 beat");
    let dir = tempfile::tempdir().unwrap();
    let disk = c1_in_a_gpt_disk(dir.path());
    let d = disk.to_str().unwrap();
    let before = sha256_file(&disk);
    for opts in [&["--partition", "2"][..], &[], &["--offset", "9437184"]] {
        let mut args = vec!["--json"];
        args.extend_from_slice(opts);
        args.extend(["hb", d]);
        let out = common::inspect(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(our_hb(&json, 1), theirs, "{args:?}");
        let s = &json["slots"][0];
        assert_eq!((&s["fs_slot"], &s["journal"]["dirty"]), (&Value::from(0), &Value::from(true)), "{args:?}");
        assert_eq!(opts.is_empty(), err.contains("GPT partition 2"), "{args:?}: the note names the partition: {err}");
    }
    // The watch samples the same place: the first sample's state names node 0's generation.
    let out = common::inspect(&["--partition", "2", "hb", "--watch", "--interval", "10ms", "--count", "2", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("node 0 ") && text.contains("2ac7e339c2083605"), "{text}");
    assert_eq!(sha256_file(&disk), before, "the disk image is only read");
}

/// `hb --all` marks a slot whose `hb_node` names another node, but never a slot
/// nothing has written.
#[test]
fn hb_all_marks_no_never_written_slot() {
    let zst = fixture_zst("C1");
    let out = common::inspect(&["hb", "--all", zst.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(rows.len(), 255, "{text}");
    assert!(rows.iter().all(|r| !r.contains("(!)")), "{text}");
}

/// Parses `debugfs.ocfs2 -R slotmap` (`\t    0       0`).
fn parse_debugfs_slotmap(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<u64> = l.split_whitespace().map(|w| w.parse().ok()).collect::<Option<_>>()?;
            (f.len() == 2).then(|| (f[0], f[1]))
        })
        .collect()
}

/// `slotmap --json`'s (slot, node) pairs, as [`parse_debugfs_slotmap`] reads debugfs.ocfs2's.
fn slot_nodes(json: &Value) -> Vec<(u64, u64)> {
    json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["slot"].as_u64().unwrap(), s["node"].as_u64().unwrap()))
        .collect()
}

#[test]
fn slotmap_matches_debugfs() {
    require_tool("debugfs.ocfs2");
    for (name, want) in [("B", vec![(0, 0)]), ("C1", vec![(0, 0)]), ("A-default", vec![])] {
        let raw = fixture(name);
        let theirs = parse_debugfs_slotmap(&debugfs(&raw, "slotmap"));
        assert_eq!(theirs, want, "{name}: MANIFEST slot map");
        let json = inspect_json(&["slotmap", raw.to_str().unwrap()]);
        assert_eq!(json["format"], "extended", "{name}: the fixtures use the extended slot map");
        let ours = slot_nodes(&json);
        assert_eq!(ours, theirs, "{name}");
        for s in json["slots"].as_array().unwrap() {
            assert_eq!(s["journal_dirty"], true, "{name}: a slot left filled by a crash awaits recovery");
        }
    }
}

/// Writes `nodes` into the slot map of an mkfs image through debugfs's own
/// description of where it lives, then compares with debugfs (normal and
/// extended formats).
#[test]
fn slotmap_formats_match_debugfs_on_written_maps() {
    require_tool("debugfs.ocfs2");
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    for (features, entry) in [("noextended-slotmap", 2usize), ("extended-slotmap", 8)] {
        let img = dir.path().join(format!("{features}.img"));
        mkfs(&img, 64 << 20, &["-N", "4", "-J", "size=4M", "-b", "4096", &format!("--fs-features={features}")]);
        let stat = debugfs(&img, "stat //slot_map");
        // The last line of the extent table: "0  0   1   <blkno>   0x0".
        let blkno: u64 = stat
            .lines()
            .rev()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 5 && f[4].starts_with("0x")).then(|| f[3].parse().ok()).flatten()
            })
            .expect("slot_map extent");
        let nodes = [Some(7u32), None, Some(0), Some(200)];
        let mut bytes = Vec::new();
        for n in nodes {
            match (entry, n) {
                (2, Some(n)) => bytes.extend((n as u16).to_le_bytes()),
                (2, None) => bytes.extend(0xFFFFu16.to_le_bytes()),
                (_, Some(n)) => bytes.extend([1, 0, 0, 0].into_iter().chain(n.to_le_bytes())),
                (_, None) => bytes.extend([0u8; 8]),
            }
        }
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&img).unwrap();
        f.write_all_at(&bytes, blkno * 4096).unwrap();
        drop(f);
        let theirs = parse_debugfs_slotmap(&debugfs(&img, "slotmap"));
        assert_eq!(theirs, vec![(0, 7), (2, 0), (3, 200)], "{features}");
        let json = inspect_json(&["slotmap", img.to_str().unwrap()]);
        assert_eq!(json["format"], if entry == 2 { "normal" } else { "extended" });
        let ours = slot_nodes(&json);
        assert_eq!(ours, theirs, "{features}");
    }
}

/// Splits `mounted.ocfs2` output into rows of columns, cutting each line at the
/// header's column starts (empty columns make whitespace splitting ambiguous).
/// Only the first table is taken (the tool may print it more than once).
fn parse_mounted(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let names: Vec<&str> = header.split_whitespace().collect();
    let starts: Vec<usize> = {
        let mut v = Vec::new();
        let mut from = 0;
        for n in &names {
            let at = header[from..].find(n).unwrap() + from;
            v.push(at);
            from = at + n.len();
        }
        v
    };
    lines
        .take_while(|l| !l.starts_with("Device"))
        .map(|l| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let end = if i + 1 < starts.len() { starts[i + 1].min(l.len()) } else { l.len() };
                    let cell = l.get(starts[i].min(l.len())..end).unwrap_or("").trim().to_string();
                    (n.to_string(), cell)
                })
                .collect()
        })
        .collect()
}

fn mounted_ocfs2(flag: &str, img: &Path) -> BTreeMap<String, String> {
    let out = Command::new("mounted.ocfs2").arg(flag).arg(img).output().expect("run mounted.ocfs2");
    assert!(out.status.success(), "mounted.ocfs2 {flag}: {}", String::from_utf8_lossy(&out.stderr));
    parse_mounted(&String::from_utf8_lossy(&out.stdout)).into_iter().next().expect("one row")
}

#[test]
fn mounted_matches_mounted_ocfs2() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let global = dir.path().join("global.img");
    mkfs(
        &global,
        64 << 20,
        &["-N", "2", "-L", "glob", "--cluster-stack=o2cb", "--cluster-name=webclu", "--global-heartbeat"],
    );
    let hbdev = dir.path().join("hbdev.img");
    mkfs(&hbdev, 64 << 20, &["-H", "-L", "hbd"]);
    let images: Vec<PathBuf> = vec![fixture("A-default"), fixture("B"), fixture("C1"), global, hbdev];
    for img in &images {
        let p = img.to_str().unwrap();
        let d = mounted_ocfs2("-d", img);
        let ours = inspect_json(&["mounted", p]);
        let v = &ours["volumes"][0];
        assert_eq!(ours["volumes"].as_array().unwrap().len(), 1);
        assert_eq!(v["stack"], d["Stack"], "{p}");
        assert_eq!(v["cluster"], d["Cluster"], "{p}");
        assert_eq!(v["flags"], d["F"], "{p}");
        assert_eq!(v["uuid"], d["UUID"], "{p}");
        assert_eq!(v["label"], d["Label"], "{p}");

        let f = mounted_ocfs2("-f", img);
        let ours = inspect_json(&["mounted", "-f", p]);
        let v = &ours["volumes"][0];
        assert_eq!((v["stack"].as_str().unwrap(), v["flags"].as_str().unwrap()), (&*f["Stack"], &*f["F"]));
        match f["Nodes"].as_str() {
            "Heartbeat device" => assert_eq!(v["heartbeat_device"], true, "{p}"),
            "Not mounted" => assert_eq!(v["nodes"].as_array().map(Vec::len), Some(0), "{p}"),
            list => {
                let theirs: Vec<u64> = list.split(',').map(|n| n.trim().parse().unwrap()).collect();
                let ours: Vec<u64> =
                    v["nodes"].as_array().unwrap().iter().map(|n| n["node"].as_u64().unwrap()).collect();
                assert_eq!(ours, theirs, "{p}");
            }
        }
    }
    // The heartbeat join: C1's node 0 has an old valid beat (stale), B's node 0 never beat.
    let c1 = inspect_json(&["mounted", "-f", fixture("C1").to_str().unwrap()]);
    assert_eq!(c1["volumes"][0]["nodes"][0]["heartbeat"], "stale");
    let b = inspect_json(&["mounted", "-f", fixture("B").to_str().unwrap()]);
    assert_eq!(b["volumes"][0]["nodes"][0]["heartbeat"], "none");
}

// ---- simulated nodes -------------------------------------------------------

fn hbsim() -> PathBuf {
    common::workspace_bin("ocfs2-hbsim")
}

/// A simulated node process and the generation it announced.
struct SimNode {
    child: Child,
    generation: u64,
}

fn start_node(img: &Path, node: u8, sector: u32) -> SimNode {
    let mut child = Command::new(hbsim())
        .arg(img)
        .args(["--node", &node.to_string(), "--interval", "100ms", "--threshold", "5"])
        .args(["--sector-size", &sector.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start ocfs2-hbsim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: Value = serde_json::from_str(&line).expect("hbsim start line");
    assert_eq!(v["node"], node);
    // A decimal string, as `hb` prints it (README "JSON output": 64-bit values stay exact).
    let generation = v["generation"].as_str().unwrap_or_else(|| panic!("generation not a string: {line}"));
    SimNode { child, generation: generation.parse().unwrap() }
}

fn signal(child: &Child, sig: i32) {
    let rc = Command::new("kill").arg(format!("-{sig}")).arg(child.id().to_string()).status().unwrap();
    assert!(rc.success());
}

/// Waits for the next transition line of the watch stream.
fn next(rx: &mpsc::Receiver<Value>, within: Duration) -> Value {
    rx.recv_timeout(within).unwrap_or_else(|_| panic!("no transition within {within:?}"))
}

fn simulate(sector: u32) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("sim.img");
    mkfs(&img, 64 << 20, &["-N", "4", "-J", "size=4M", "-b", "4096"]);
    let p = img.to_str().unwrap();
    let ss = sector.to_string();

    let mut nodes: BTreeMap<u8, SimNode> = [0u8, 2, 5].into_iter().map(|n| (n, start_node(&img, n, sector))).collect();
    let mut watch = Command::new(common::bin())
        .args(["--json", "hb", "--watch", "--interval", "100ms", "--threshold", "5", "--count", "200"])
        .args(["--sector-size", &ss, p])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hb --watch");
    let (tx, rx) = mpsc::channel();
    let stdout = watch.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let v: Value = serde_json::from_str(&line.unwrap()).expect("one JSON object per line");
            if tx.send(v).is_err() {
                break;
            }
        }
    });

    // 1. Exactly the running nodes come up, each with the generation it announced.
    let mut live = BTreeMap::new();
    for _ in 0..3 {
        let t = next(&rx, Duration::from_secs(3));
        assert_eq!(t["state"], "live", "{t}");
        live.insert(t["node"].as_u64().unwrap() as u8, t["generation"].as_str().unwrap().parse().unwrap());
    }
    let want: BTreeMap<u8, u64> = nodes.iter().map(|(n, s)| (*n, s.generation)).collect();
    assert_eq!(live, want, "sector {sector}: the live set");
    // ... and nothing else happens while they all beat.
    assert!(rx.recv_timeout(Duration::from_millis(800)).is_err(), "sector {sector}: spurious transition");

    // 2. A crashed node is declared dead after the threshold (5 samples of 100 ms).
    let mut n2 = nodes.remove(&2).unwrap();
    let killed = Instant::now();
    n2.child.kill().unwrap();
    n2.child.wait().unwrap();
    let t = next(&rx, Duration::from_secs(3));
    let waited = killed.elapsed();
    assert_eq!(
        (t["node"].as_u64(), t["state"].as_str(), t["reason"].as_str()),
        (Some(2), Some("dead"), Some("silent"))
    );
    assert_eq!(t["missed_samples"], 5);
    assert_eq!(t["generation"], n2.generation.to_string());
    assert!(waited >= Duration::from_millis(400), "dead too early: {waited:?}");

    // 3. Restarted, it is live again with a new generation.
    let n2b = start_node(&img, 2, sector);
    assert_ne!(n2b.generation, n2.generation);
    let t = next(&rx, Duration::from_secs(3));
    assert_eq!((t["node"].as_u64(), t["state"].as_str()), (Some(2), Some("live")), "{t}");
    assert_eq!(t["generation"], n2b.generation.to_string());
    nodes.insert(2, n2b);

    // 4. A clean stop (SIGTERM: the final generation-0 block) is dead at once.
    let mut n0 = nodes.remove(&0).unwrap();
    signal(&n0.child, 15);
    assert!(n0.child.wait().unwrap().success());
    let t = next(&rx, Duration::from_secs(2));
    assert_eq!(
        (t["node"].as_u64(), t["state"].as_str(), t["reason"].as_str()),
        (Some(0), Some("dead"), Some("left_cleanly"))
    );
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err(), "sector {sector}: spurious transition");

    // Ctrl-C ends the watch cleanly.
    signal(&watch, 2);
    assert!(watch.wait().unwrap().success(), "hb --watch exits 0 on SIGINT");
    reader.join().unwrap();
    for (_, mut n) in nodes {
        signal(&n.child, 15);
        assert!(n.child.wait().unwrap().success());
    }

    // The final image: our snapshot against debugfs.ocfs2 (which always reads
    // 512-byte slots, so node n's slot is its slot n * sector / 512).
    let ours = our_hb(&inspect_json(&["hb", "--sector-size", &ss, p]), u64::from(sector / 512));
    assert_eq!(ours.iter().map(|s| s.1).collect::<BTreeSet<_>>(), [0, 2, 5].into());
    assert!(ours.iter().all(|s| s.3 == 0), "every node stopped cleanly: generation 0");
    assert_eq!(ours, parse_debugfs_hb(&debugfs(&img, "hb")), "sector {sector}");
}

#[test]
fn simulated_nodes_512_byte_slots() {
    simulate(512);
}

#[test]
fn simulated_nodes_4096_byte_slots() {
    simulate(4096);
}

// ---- damaged input ---------------------------------------------------------

#[test]
fn garbage_in_the_region_is_reported_not_fatal() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("junk.img");
    mkfs(&img, 64 << 20, &["-N", "2", "-J", "size=4M", "-b", "4096"]);
    let p = img.to_str().unwrap();
    let start = inspect_json(&["hb", p])["region"]["start"].as_u64().unwrap();
    // Pseudo-random bytes over the whole region, with a few extreme fields.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut junk: Vec<u8> = (0..255 * 512)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    junk[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    junk[512..520].copy_from_slice(&(1u64 << 63).to_le_bytes());
    use std::os::unix::fs::FileExt;
    std::fs::OpenOptions::new().write(true).open(&img).unwrap().write_all_at(&junk, start).unwrap();

    let json = inspect_json(&["hb", p]);
    let slots = json["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 255, "every junk slot is shown");
    assert!(slots.iter().all(|s| s["crc_ok"] == false));
    for args in [
        vec!["hb", "--all", p],
        vec!["hb", "--watch", "--interval", "1ms", "--count", "3", p],
        vec!["mounted", "-f", p],
    ] {
        let out = common::inspect(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.is_empty() || args.contains(&"--watch"));
    }
    // Bad CRCs never make a node live.
    let out = common::inspect(&["--json", "hb", "--watch", "--interval", "1ms", "--count", "5", p]);
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));

    // A region too small for 4096-byte slots (a 512-byte-block heartbeat device),
    // and slot sizes that are not sector sizes: errors, not panics.
    let hbdev = dir.path().join("hbdev.img");
    mkfs(&hbdev, 64 << 20, &["-H", "-b", "512"]);
    let h = hbdev.to_str().unwrap();
    for (ss, what) in [("4096", "e_leaf_clusters"), ("1000", "power of two"), ("8192", "power of two")] {
        let out = common::inspect(&["hb", "--sector-size", ss, h]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(what) && !err.contains("panicked"), "{ss}: {err}");
    }
}

// ---- mkfs and live nodes -----------------------------------------------------

/// The volume's UUID, as the inspector reads it.
fn uuid_of(img: &Path) -> Value {
    inspect_json(&["stats", img.to_str().unwrap()])["uuid"].clone()
}

/// `ocfs2-mkfs -F` on a volume whose heartbeat shows a live node must refuse
/// (two O_DIRECT samples two seconds apart) and leave the volume alone, unless
/// `--ignore-live-heartbeat`; a node that died (its slot written but no longer
/// moving) does not block it.
#[test]
fn mkfs_refuses_a_volume_with_live_nodes() {
    require_tool("mkfs.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("live.img");
    mkfs(&img, 64 << 20, &["-N", "4", "-J", "size=4M", "-b", "4096"]);
    let ours = common::workspace_bin("ocfs2-mkfs");
    let our_mkfs = |extra: &[&str]| {
        Command::new(&ours).args(["-q", "-F", "-N", "4", "-J", "size=4M"]).args(extra).arg(&img).output().unwrap()
    };
    let before = uuid_of(&img);
    assert!(before.is_string(), "no uuid in stats: {before}");

    let mut node = start_node(&img, 3, 512);
    let out = our_mkfs(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "mkfs overwrote a volume with a live node");
    assert!(err.contains("live nodes [3]") && err.contains("--ignore-live-heartbeat"), "{err}");
    assert_eq!(uuid_of(&img), before, "the refused volume changed");

    let out = our_mkfs(&["--ignore-live-heartbeat"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_ne!(uuid_of(&img), before, "the override did not make a new volume");
    signal(&node.child, 9);
    node.child.wait().unwrap();

    // A node that crashed: written, valid, but still.
    let mut dead = Command::new(hbsim())
        .arg(&img)
        .args(["--node", "6", "--interval", "100ms", "--count", "3", "--crash", "--sector-size", "512"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(dead.wait().unwrap().success());
    let slot = inspect_json(&["hb", img.to_str().unwrap()]);
    assert!(slot.to_string().contains("\"node\":6"), "the crashed node left no slot: {slot}");
    let out = our_mkfs(&[]);
    assert!(out.status.success(), "a dead node blocked mkfs: {}", String::from_utf8_lossy(&out.stderr));
}
