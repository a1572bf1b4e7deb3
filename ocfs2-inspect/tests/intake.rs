//! Volumes that do not start at byte 0 of what the examiner was handed.

mod common;

use common::{fixture, inspect, inspect_json, require_tool};

/// A 1 MiB non-OCFS2 prefix (a pattern, not zeros, so a probe that ignored the
/// offset could not find the superblock by luck) in front of A-default.
fn shifted_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let mut bytes: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    bytes.extend(std::fs::read(fixture("A-default")).expect("read fixture"));
    let path = dir.join("disk.img");
    std::fs::write(&path, bytes).expect("write disk image");
    path
}

#[test]
fn offset_opens_a_volume_inside_a_larger_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = shifted_copy(dir.path());
    let disk = disk.to_str().expect("utf-8 path");
    let plain = inspect_json(&["ls", fixture("A-default").to_str().expect("utf-8"), "/"]);
    let shifted = inspect_json(&["--offset", "1048576", "ls", disk, "/"]);
    assert_eq!(plain, shifted, "the same root directory through --offset");
    let cat = inspect(&["--offset", "1048576", "cat", disk, "/small/hello.txt"]);
    assert!(cat.status.success());
    assert_eq!(cat.stdout, b"hello ocfs2 from the linux kernel\n");
    // Without the offset the prefix is all the probe sees.
    let bare = inspect(&["stats", disk]);
    assert!(!bare.status.success(), "the image does not start with a volume");
    // check honours it too (it opens on its own path).
    let check = inspect(&["--offset", "1048576", "check", disk]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    let past = inspect(&["--offset", "999999999999", "stats", disk]);
    assert!(!past.status.success());
    assert!(String::from_utf8_lossy(&past.stderr).contains("offset 999999999999"), "names the offset");
}

// ---------------------------------------------------------------------------
// Partition tables, split and EWF images: built from the fixture with the real
// tools (sfdisk, sgdisk, mkfs.ext4, split, ewfacquire), which are also the
// oracles for what we list and verify.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::containers::{blank, ewfacquire, place, run, sfdisk_disk, split_image};
use common::{expectations, sha256_file};

/// Copies the fixture A-default into `disk` at byte `at`.
fn place_fixture(disk: &Path, at: u64) {
    place(disk, &fixture("A-default"), at);
}

/// `rdump IMAGE / OUT` with `extra` global options: every file of A-default
/// comes out byte-exact. Returns stderr.
fn rdump_exact(extra: &[&str], image: &Path) -> String {
    let out = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["rdump", image.to_str().expect("utf-8"), "/", out.path().to_str().expect("utf-8")]);
    let r = inspect(&args);
    assert!(r.status.success(), "rdump {args:?}: {}", String::from_utf8_lossy(&r.stderr));
    let files = expectations("A-default").files;
    assert!(files.len() > 10, "README lists A-default's files");
    for (sha, size, path) in files {
        let p = out.path().join(&path);
        assert_eq!(std::fs::metadata(&p).map(|m| m.len()).ok(), Some(size), "{args:?}: size of {path}");
        assert_eq!(sha256_file(&p), sha, "{args:?}: sha256 of {path}");
    }
    String::from_utf8_lossy(&r.stderr).into_owned()
}

/// sfdisk's view of a table (it reads MBR and GPT): (number, start, size, type).
fn sfdisk_view(disk: &Path) -> Vec<(u64, u64, u64, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&run(Command::new("sfdisk").arg("-J").arg(disk))).expect("sfdisk -J");
    let t = &v["partitiontable"];
    let ss = t["sectorsize"].as_u64().unwrap_or(512);
    t["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| {
            let node = p["node"].as_str().expect("node");
            let n = node.rsplit(|c: char| !c.is_ascii_digit()).next().expect("number").parse().expect("number");
            let kind = p["type"].as_str().expect("type").to_uppercase();
            (n, p["start"].as_u64().expect("start") * ss, p["size"].as_u64().expect("size") * ss, kind)
        })
        .collect()
}

/// Our listing in sfdisk's terms: MBR ids without `0x`, as sfdisk prints them.
fn our_view(disk: &Path) -> (serde_json::Value, Vec<(u64, u64, u64, String)>) {
    let v = inspect_json(&["partitions", disk.to_str().expect("utf-8")]);
    let rows = v["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| {
            let id = p["type_id"].as_str().expect("type_id");
            let id = id.strip_prefix("0x").map_or(id.to_string(), |h| h.trim_start_matches('0').to_uppercase());
            (
                p["number"].as_u64().expect("n"),
                p["start"].as_u64().expect("start"),
                p["size"].as_u64().expect("size"),
                id,
            )
        })
        .collect();
    (v, rows)
}

/// A GPT disk: partition 1 an ext4 filesystem, partition 2 A-default.
fn gpt_disk(dir: &Path) -> PathBuf {
    let disk = dir.join("gpt.img");
    blank(&disk, 300);
    run(Command::new("sgdisk")
        .args([
            "-n",
            "1:2048:+8M",
            "-t",
            "1:8300",
            "-c",
            "1:scratch",
            "-n",
            "2:0:+256M",
            "-t",
            "2:8300",
            "-c",
            "2:cluster",
        ])
        .arg(&disk));
    run(Command::new("mkfs.ext4").args(["-q", "-F", "-L", "notocfs2", "-E", "offset=1048576"]).arg(&disk).arg("8192"));
    place_fixture(&disk, 18432 * 512);
    disk
}

#[test]
fn gpt_disk_with_ext4_and_ocfs2_lists_and_rdumps() {
    require_tool("sgdisk");
    require_tool("sfdisk");
    require_tool("mkfs.ext4");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = gpt_disk(dir.path());
    let before = sha256_file(&disk);
    // The ext4 superblock's magic, so partition 1 really holds another filesystem.
    let bytes = std::fs::read(&disk).expect("read disk");
    assert_eq!(&bytes[(1 << 20) + 1080..(1 << 20) + 1082], &[0x53, 0xef], "mkfs.ext4 wrote partition 1");
    drop(bytes);

    let (v, rows) = our_view(&disk);
    assert_eq!(v["table"], "GPT");
    assert_eq!(rows, sfdisk_view(&disk), "the same partitions as sfdisk -J");
    let p = v["partitions"].as_array().expect("rows");
    assert_eq!(
        (p[0]["name"].as_str(), p[0]["type_name"].as_str(), p[0]["ocfs2"].as_bool()),
        (Some("scratch"), Some("Linux filesystem"), Some(false))
    );
    let vol = inspect_json(&["volinfo", fixture("A-default").to_str().expect("utf-8")]);
    assert_eq!((p[1]["name"].as_str(), p[1]["ocfs2"].as_bool()), (Some("cluster"), Some(true)));
    assert_eq!((&p[1]["label"], &p[1]["uuid"]), (&vol["label"], &vol["uuid"]), "label and UUID as volinfo reads them");

    // The only OCFS2 partition opens without options, with a note saying which.
    let note = rdump_exact(&[], &disk);
    assert!(note.contains("GPT partition 2"), "stderr names the partition it chose: {note}");
    let quiet = rdump_exact(&["--partition", "2"], &disk);
    assert!(!quiet.contains("note"), "no note when the partition is named: {quiet}");
    // Partition 1 is ext4: naming it fails as "not OCFS2".
    let one = inspect(&["--partition", "1", "stats", disk.to_str().expect("utf-8")]);
    assert!(!one.status.success());
    assert_eq!(sha256_file(&disk), before, "the disk image is only read");
}

/// An MBR disk: primary 1, extended 2 holding logical 5 and 6; A-default in
/// logical 6 (and, when `twice`, in primary 1 as well).
fn mbr_disk(dir: &Path, twice: bool) -> PathBuf {
    let disk = dir.join(if twice { "mbr2.img" } else { "mbr.img" });
    let script = "label: dos\nstart=2048, size=524288, type=83\nstart=528384, type=5\n\
                  start=530432, size=16384, type=83\nstart=548864, size=524288, type=83\n";
    sfdisk_disk(&disk, 560, script);
    place_fixture(&disk, 548864 * 512);
    if twice {
        place_fixture(&disk, 2048 * 512);
    }
    disk
}

#[test]
fn mbr_disk_with_ocfs2_in_a_logical_partition() {
    require_tool("sfdisk");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = mbr_disk(dir.path(), false);
    let before = sha256_file(&disk);
    let (v, rows) = our_view(&disk);
    assert_eq!(v["table"], "MBR");
    assert_eq!(rows, sfdisk_view(&disk), "the same partitions as sfdisk -J");
    let ocfs2: Vec<u64> = v["partitions"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|p| p["ocfs2"] == true)
        .map(|p| p["number"].as_u64().expect("n"))
        .collect();
    assert_eq!(ocfs2, [6]);
    let note = rdump_exact(&[], &disk);
    assert!(note.contains("MBR partition 6"), "{note}");
    rdump_exact(&["--partition", "6"], &disk);
    // The extended partition is a container, not a volume.
    let ext = inspect(&["--partition", "2", "stats", disk.to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&ext.stderr).contains("extended"), "{}", String::from_utf8_lossy(&ext.stderr));

    // Two OCFS2 partitions: none is picked; the error lists both.
    let two = mbr_disk(dir.path(), true);
    let r = inspect(&["ls", two.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("partitions 1, 6"), "{err}");
    rdump_exact(&["--partition", "1"], &two);
    assert_eq!(sha256_file(&disk), before, "the disk image is only read");
}

/// The MBR disk of `mbr_disk` embedded at byte `at` of a larger image, behind
/// a non-zero pattern (so no table or superblock is found at byte 0 by luck).
fn embedded_disk(dir: &Path, disk: &Path, at: u64) -> PathBuf {
    let outer = dir.join("outer.img");
    let prefix: Vec<u8> = (0..at).map(|i| (i % 251) as u8).collect();
    std::fs::write(&outer, prefix).expect("write prefix");
    run(Command::new("dd")
        .arg(format!("if={}", disk.display()))
        .arg(format!("of={}", outer.display()))
        .args(["bs=64K", "conv=notrunc,sparse", "oflag=seek_bytes", "status=none"])
        .arg(format!("seek={at}")));
    outer
}

#[test]
fn partitions_honours_offset_for_a_disk_inside_an_image() {
    require_tool("sfdisk");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = mbr_disk(dir.path(), false);
    // Not a multiple of any sector or block size the tables use.
    let at = (1 << 20) + 4097;
    let outer = embedded_disk(dir.path(), &disk, at);
    let before = sha256_file(&outer);
    let outer_s = outer.to_str().expect("utf-8");

    // Without the offset the pattern is all there is.
    assert_eq!(inspect_json(&["partitions", outer_s])["table"], serde_json::Value::Null);
    let v = inspect_json(&["--offset", &at.to_string(), "partitions", outer_s]);
    let (plain, plain_rows) = our_view(&disk);
    assert_eq!(plain_rows, sfdisk_view(&disk), "the plain disk as sfdisk -J reads it");
    assert_eq!((&v["table"], &v["sector_size"]), (&plain["table"], &plain["sector_size"]));
    assert_eq!(v["disk_offset"].as_u64(), Some(at));
    let rows = v["partitions"].as_array().expect("rows");
    let plain = plain["partitions"].as_array().expect("rows");
    assert_eq!(rows.len(), plain.len());
    for (ours, want) in rows.iter().zip(plain) {
        for field in ["number", "start", "size", "type_id", "ocfs2", "label", "uuid"] {
            assert_eq!(ours[field], want[field], "{field} of partition {}", want["number"]);
        }
        let start = want["start"].as_u64().expect("start");
        assert_eq!(ours["image_offset"].as_u64(), Some(at + start), "partition {}", want["number"]);
    }
    // The listed image offset opens the volume of the OCFS2 partition.
    let six = rows.iter().find(|p| p["number"] == 6).expect("partition 6");
    assert_eq!(six["ocfs2"], true);
    rdump_exact(&["--offset", &six["image_offset"].to_string()], &outer);
    // Text output says where the disk starts.
    let text = inspect(&["--offset", &at.to_string(), "partitions", outer_s]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("disk at byte {at} of the image")));
    // An offset past the end is a named error.
    let past = inspect(&["--offset", "99999999999", "partitions", outer_s]);
    let err = String::from_utf8_lossy(&past.stderr);
    assert!(!past.status.success() && err.contains("offset 99999999999"), "{err}");
    assert_eq!(sha256_file(&outer), before, "the image is only read");
}

#[test]
fn damaged_partition_tables_are_named_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.img");
    // Primary 1 at sector 2048 of 4096 sectors, then claims 8192: past the end.
    let mut d = vec![0u8; 4096 * 512];
    let entry = |d: &mut Vec<u8>, slot: usize, start: u32, count: u32| {
        let e = 446 + 16 * slot;
        d[e + 4] = 0x83;
        d[e + 8..e + 12].copy_from_slice(&start.to_le_bytes());
        d[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
        d[510] = 0x55;
        d[511] = 0xaa;
    };
    entry(&mut d, 0, 2048, 8192);
    std::fs::write(&path, &d).expect("write");
    let r = inspect(&["partitions", path.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("MBR: byte offset 446") && err.contains("past the end"), "{err}");
    // Two primaries sharing sectors.
    entry(&mut d, 0, 2048, 1024);
    entry(&mut d, 1, 3000, 100);
    std::fs::write(&path, &d).expect("write");
    let r = inspect(&["partitions", path.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains("MBR: byte offset 462") && err.contains("overlaps partition 1"),
        "{err}"
    );

    // GPT: a damaged primary header falls back to the backup in the last
    // sector, as gdisk does; both damaged is an error naming the primary's CRC.
    require_tool("sgdisk");
    blank(&path, 8);
    run(Command::new("sgdisk").args(["-n", "1:2048:+2M", "-t", "1:8300", "-c", "1:only"]).arg(&path));
    let good = our_view(&path).1;
    let len = std::fs::metadata(&path).expect("stat").len();
    flip(&path, 512 + 40); // first usable LBA, under the header CRC
    assert_eq!(our_view(&path).1, good, "read from the backup header");
    flip(&path, len - 512 + 40);
    let r = inspect(&["partitions", path.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("GPT: byte offset 528: header CRC32"), "{err}");
}

#[test]
fn split_raw_images_read_as_one() {
    require_tool("split");
    require_tool("sgdisk");
    require_tool("mkfs.ext4");
    let dir = tempfile::tempdir().expect("tempdir");
    // split's own names, an odd size that cuts blocks in two.
    let alpha = dir.path().join("alpha");
    std::fs::create_dir(&alpha).expect("mkdir");
    let parts = split_image(&fixture("A-default"), &alpha, "volume", 10_000_019, false);
    assert!(parts.len() > 20 && parts[0].ends_with("volumeaa"), "{parts:?}");
    rdump_exact(&[], &parts[0]);
    let plain = inspect_json(&["volinfo", fixture("A-default").to_str().expect("utf-8")]);
    assert_eq!(inspect_json(&["volinfo", parts[0].to_str().expect("utf-8")]), plain);

    // dd/FTK names, of a partitioned disk: split -> GPT partition, stacked.
    let num = dir.path().join("num");
    std::fs::create_dir(&num).expect("mkdir");
    let disk = gpt_disk(dir.path());
    let parts = split_image(&disk, &num, "disk.", 33_554_467, true);
    assert!(parts.len() > 5 && parts[0].ends_with("disk.001"), "{parts:?}");
    std::fs::remove_file(&disk).expect("rm disk");
    let hashes: Vec<String> = parts.iter().map(|p| sha256_file(p)).collect();
    let note = rdump_exact(&[], &parts[0]);
    assert!(note.contains("GPT partition 2"), "{note}");
    let (v, _) = our_view(&parts[0]);
    assert_eq!(v["partitions"][1]["ocfs2"], true);
    assert_eq!(parts.iter().map(|p| sha256_file(p)).collect::<Vec<_>>(), hashes, "segments are only read");

    // A truncated middle segment, then a missing one: each named.
    let second = parts[1].to_str().expect("utf-8");
    std::fs::File::options().write(true).open(&parts[1]).and_then(|f| f.set_len(1 << 20)).expect("truncate");
    let r = inspect(&["ls", parts[0].to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains(&format!("split image segment {second}: byte offset 1048576")),
        "{err}"
    );
    std::fs::remove_file(&parts[1]).expect("rm");
    let r = inspect(&["ls", parts[0].to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success() && err.contains(&format!("split image segment {second}: byte offset 0: segment missing")),
        "{err}"
    );
}

/// What ewfverify computes: (success, MD5, SHA-1, first bad sector).
fn ewfverify(first: &Path) -> (bool, String, String, Option<u64>) {
    let out = Command::new("ewfverify").args(["-q", "-d", "sha1"]).arg(first).output().expect("run ewfverify");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("ewfverify: no {key:?} in {text}"))
    };
    let sector = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("at sector(s): "))
        .map(|v| v.split(' ').next().expect("sector").parse().expect("sector"));
    (out.status.success(), field("MD5 hash calculated over data:"), field("SHA1 hash calculated over data:"), sector)
}

/// Our `verify` beside ewfverify's: the same verdict, the same damaged chunk
/// and, when `hashes`, the same hashes of the data. (A chunk that does not
/// inflate is hashed by ewfverify 20140813 from whatever its buffer held: two
/// runs over the same damage gave two MD5s. We hash zeros there.)
fn verify_agrees(first: &Path, hashes: bool, checked: &[&str]) -> bool {
    let out = inspect(&["--json", "verify", first.to_str().expect("utf-8")]);
    let ours: serde_json::Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    let (ok, md5, sha1, sector) = ewfverify(first);
    assert_eq!((out.status.success(), ours["ok"].as_bool()), (ok, Some(ok)), "verdicts: {ours}");
    assert_eq!(ours["checked"], serde_json::json!(checked), "says which hashes it checked");
    if hashes {
        let computed = (ours["md5"]["computed"].as_str(), ours["sha1"]["computed"].as_str());
        assert_eq!(computed, (Some(&*md5), Some(&*sha1)), "hashes of the data as ewfverify computes them");
    }
    let first_bad =
        ours["bad_chunks"].as_array().expect("bad_chunks").first().map(|b| b["start"].as_u64().expect("start") / 512);
    assert_eq!(first_bad, sector, "the damaged chunk, in ewfverify's sectors");
    ok
}

/// Flips one bit at `at` in `path`.
fn flip(path: &Path, at: u64) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::options().read(true).write(true).open(path).expect("open");
    let mut b = [0u8];
    f.read_exact_at(&mut b, at).expect("read");
    f.write_all_at(&[b[0] ^ 1], at).expect("write");
}

#[test]
fn ewf_images_rdump_byte_exact_and_verify_like_ewfverify() {
    require_tool("ewfacquire");
    require_tool("ewfverify");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = fixture("A-default");
    let plain = inspect_json(&["volinfo", raw.to_str().expect("utf-8")]);
    for (name, compression, segment) in [("zlib", "deflate:fast", "1MiB"), ("plain", "none", "100MiB")] {
        let segs = ewfacquire(&raw, dir.path(), name, compression, segment);
        assert!(segs.len() >= 3, "{name}: several segments: {segs:?}");
        let hashes: Vec<String> = segs.iter().map(|p| sha256_file(p)).collect();
        assert_eq!(inspect_json(&["volinfo", segs[0].to_str().expect("utf-8")]), plain, "{name}");
        rdump_exact(&[], &segs[0]);
        assert!(verify_agrees(&segs[0], true, &["md5", "sha1"]), "{name}: verifies");
        assert_eq!(segs.iter().map(|p| sha256_file(p)).collect::<Vec<_>>(), hashes, "{name}: segments are only read");

        // A flipped bit in the first chunk of the second segment (in a zlib
        // stream, among its Huffman tables: some bits further on change nothing).
        let bytes = std::fs::read(&segs[1]).expect("read");
        let sectors = bytes.windows(16).position(|w| w == b"sectors\0\0\0\0\0\0\0\0\0").expect("a sectors section");
        drop(bytes);
        flip(&segs[1], sectors as u64 + 76 + 3);
        assert!(
            !verify_agrees(&segs[0], compression == "none", &["md5", "sha1"]),
            "{name}: a flipped bit fails verification"
        );
    }
}

/// Every EWF v1 flavour ewfacquire writes: EnCase 2 to 7, FTK, linen, the
/// original EWF and SMART (chunks inside the table section, `.s01` names; in
/// 1 MiB segments it runs past `.s99` into `.saa`); MD5 stored only.
#[test]
fn ewf_flavours_open_and_verify() {
    require_tool("ewfacquire");
    require_tool("ewfverify");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = fixture("A-default");
    for (format, segment) in [
        ("encase2", "100MiB"),
        ("encase5", "100MiB"),
        ("ftk", "100MiB"),
        ("linen6", "100MiB"),
        ("ewf", "100MiB"),
        ("smart", "1MiB"),
    ] {
        let target = dir.path().join(format);
        run(Command::new("ewfacquire")
            .args(["-u", "-q", "-f", format, "-c", "deflate:fast", "-S", segment, "-t"])
            .arg(&target)
            .arg(&raw));
        let ext = if format == "smart" {
            "s01"
        } else if format == "ewf" {
            "e01"
        } else {
            "E01"
        };
        let first = target.with_extension(ext);
        let cat = inspect(&["cat", first.to_str().expect("utf-8"), "/small/hello.txt"]);
        assert_eq!(
            cat.stdout,
            b"hello ocfs2 from the linux kernel\n",
            "{format}: {}",
            String::from_utf8_lossy(&cat.stderr)
        );
        assert!(verify_agrees(&first, true, &["md5"]), "{format}: verifies");
        if format == "smart" {
            assert!(target.with_extension("saa").exists(), "the set runs past .s99");
        }
    }
}

#[test]
fn damaged_ewf_images_are_named_errors() {
    require_tool("ewfacquire");
    let dir = tempfile::tempdir().expect("tempdir");
    let segs = ewfacquire(&fixture("A-default"), dir.path(), "img", "deflate:fast", "1MiB");
    let e01 = segs[0].to_str().expect("utf-8");
    let err = |what: &str| {
        let r = inspect(&["ls", e01]);
        assert!(!r.status.success(), "{what}: must fail");
        String::from_utf8_lossy(&r.stderr).into_owned()
    };
    // A chunk table entry pointing 2 GiB past the start of its segment.
    let bytes = std::fs::read(&segs[1]).expect("read");
    let table = bytes.windows(16).position(|w| w == b"table\0\0\0\0\0\0\0\0\0\0\0").expect("a table section");
    let entry = table + 76 + 24;
    let saved = bytes[entry..entry + 4].to_vec();
    std::fs::write(&segs[1], [&bytes[..entry], &0xffff_fff0u32.to_le_bytes(), &bytes[entry + 4..]].concat())
        .expect("write");
    let e = err("table past the segment");
    assert!(
        e.contains(&format!("EWF segment {}: byte offset {entry}", segs[1].display()))
            && e.contains("does not lie in the segment"),
        "{e}"
    );
    std::fs::write(&segs[1], [&bytes[..entry], &saved[..], &bytes[entry + 4..]].concat()).expect("restore");
    assert!(inspect(&["ls", e01]).status.success(), "restored");

    // A truncated segment: its chain of sections ends early.
    std::fs::File::options().write(true).open(&segs[1]).and_then(|f| f.set_len(600_000)).expect("truncate");
    let e = err("truncated segment");
    assert!(
        e.contains(&format!("EWF segment {}: byte offset", segs[1].display()))
            && e.contains("past the end of the segment"),
        "{e}"
    );
    // A missing segment.
    std::fs::remove_file(&segs[1]).expect("rm");
    let e = err("missing segment");
    assert!(e.contains(&format!("EWF segment {}: byte offset 0: segment 2 is missing", segs[1].display())), "{e}");
}

#[test]
fn sources_stack_ewf_then_partition_or_offset() {
    require_tool("ewfacquire");
    require_tool("sfdisk");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = mbr_disk(dir.path(), false);
    let segs = ewfacquire(&disk, dir.path(), "disk", "deflate:fast", "100MiB");
    std::fs::remove_file(&disk).expect("rm disk");
    let note = rdump_exact(&[], &segs[0]);
    assert!(note.contains("MBR partition 6"), "{note}");
    let (v, _) = our_view(&segs[0]);
    assert_eq!(v["partitions"][3]["ocfs2"], true, "listed through the E01");
    // E01 -> offset: the 1 MiB prefix in front of the volume, through the E01.
    let shifted = shifted_copy(dir.path());
    let segs = ewfacquire(&shifted, dir.path(), "shifted", "deflate:fast", "100MiB");
    let cat = inspect(&["--offset", "1048576", "cat", segs[0].to_str().expect("utf-8"), "/small/hello.txt"]);
    assert_eq!(cat.stdout, b"hello ocfs2 from the linux kernel\n", "{}", String::from_utf8_lossy(&cat.stderr));
}
