//! What examiners are handed: partition tables, split and EWF images.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use ocfs2_format::intake::{self, ChosenPartition};
use ocfs2_format::io::{self, Access, BlockSource, RangeSource};
use ocfs2_format::{OpenOptions, Volume};
use serde::Serialize;

use super::CmdError;
use crate::render::{self, Out};

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// List a disk image's partitions (MBR or GPT): number, start, size, type,
    /// and the label and UUID of those holding OCFS2. With `--offset`, the disk
    /// starts at that byte of the image.
    Partitions {
        /// Disk image or device (raw, split, E01).
        image: PathBuf,
    },
    /// Check an EWF (E01) image's stored MD5 and SHA-1 against its data (as
    /// ewfverify does); exit status 1 when they differ or a chunk is damaged.
    Verify {
        /// First segment (`.E01`).
        image: PathBuf,
    },
}

pub fn run(c: IntakeCommand, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    match c {
        IntakeCommand::Partitions { image } => partitions(&image, out, opts.access, opts.offset),
        IntakeCommand::Verify { image } => verify(&image, out, opts.access),
    }
}

/// The note for a volume the library picked out of a partitioned disk.
pub fn note_partition(vol: &Volume) {
    if let Some(ChosenPartition { table, partition: p, automatic: true }) = vol.partition() {
        eprintln!(
            "ocfs2-inspect: note: opened {} partition {} (the disk's only OCFS2 volume, at byte {}; --partition N picks another)",
            table.name(),
            p.number,
            p.start
        );
    }
}

#[derive(Debug, Serialize)]
struct Partitions {
    /// Where the disk starts in the image (`--offset`); partition starts count
    /// from the disk's first byte, as partition tools on the disk alone print them.
    disk_offset: u64,
    /// `MBR` or `GPT` (null: no partition table).
    table: Option<&'static str>,
    /// Bytes per sector the table uses (null: no table).
    sector_size: Option<u32>,
    /// Every partition, in number order.
    partitions: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    /// Its number, as fdisk, gdisk and Linux number it (MBR logical partitions from 5).
    number: u32,
    /// First byte on the disk.
    start: u64,
    /// `disk_offset + start`: the `--offset` that opens this partition's volume.
    image_offset: u64,
    /// Bytes.
    size: u64,
    /// The MBR type id (`0x83`) or GPT type GUID.
    type_id: String,
    /// The type's name, when known.
    type_name: Option<&'static str>,
    /// The GPT partition name (empty for MBR).
    name: String,
    /// It holds an OCFS2 volume.
    ocfs2: bool,
    /// The OCFS2 volume's label.
    label: Option<String>,
    /// The OCFS2 volume's UUID.
    uuid: Option<String>,
}

fn partitions(image: &Path, out: &Out, access: Access, offset: u64) -> Result<(), CmdError> {
    let at = |e| CmdError::at(image.display().to_string(), e);
    let mut src: Arc<dyn BlockSource> = Arc::from(io::open_with(image, access).map_err(at)?);
    if offset != 0 {
        src = Arc::new(RangeSource::from_offset(src, offset).map_err(at)?);
    }
    let report = match intake::partitions(src).map_err(at)? {
        None => Partitions { disk_offset: offset, table: None, sector_size: None, partitions: Vec::new() },
        Some((table, parts)) => Partitions {
            disk_offset: offset,
            table: Some(table.kind.name()),
            sector_size: Some(table.sector_size),
            partitions: parts
                .into_iter()
                .map(|r| Row {
                    number: r.partition.number,
                    start: r.partition.start,
                    image_offset: offset + r.partition.start,
                    size: r.partition.size,
                    type_id: r.partition.kind.id(),
                    type_name: r.partition.kind.name(),
                    name: r.partition.name,
                    ocfs2: r.ocfs2.is_some(),
                    label: r.ocfs2.as_ref().map(|v| String::from_utf8_lossy(&v.label).into_owned()),
                    uuid: r.ocfs2.map(|v| v.uuid),
                })
                .collect(),
        },
    };
    out.emit(&report, |r| {
        let Some(kind) = r.table else { return "no partition table\n".to_string() };
        let rows = r
            .partitions
            .iter()
            .map(|p| {
                let kind = match p.type_name {
                    Some(n) => format!("{} {n}", p.type_id),
                    None => p.type_id.clone(),
                };
                let fs = match (&p.label, &p.uuid) {
                    (Some(l), Some(u)) => format!("OCFS2 label {l:?} uuid {u}"),
                    _ => String::new(),
                };
                vec![p.number.to_string(), p.start.to_string(), p.size.to_string(), kind, p.name.clone(), fs]
            })
            .collect();
        let mut s = format!("{kind} partition table, {}-byte sectors\n", r.sector_size.unwrap_or(512));
        if r.disk_offset != 0 {
            s.push_str(&format!(
                "disk at byte {} of the image: starts count from the disk; --offset {}+START opens a partition\n",
                r.disk_offset, r.disk_offset
            ));
        }
        s.push_str(&render::table(&["#", "start", "size", "type", "name", "contents"], rows, &[0, 1, 2]));
        s
    })
}

#[derive(Debug, Serialize)]
struct Verify {
    /// The segment files read, in order.
    segments: Vec<String>,
    /// The hashes checked: `md5`, `sha1`.
    checked: Vec<&'static str>,
    /// The MD5 stored and computed.
    md5: Hash,
    /// The SHA-1 stored and computed.
    sha1: Hash,
    /// Chunks that could not be read or failed their checksum.
    bad_chunks: Vec<BadChunk>,
    /// Every stored hash matches and no chunk is damaged.
    ok: bool,
}

#[derive(Debug, Serialize)]
struct Hash {
    /// The hash the image stores, hex (null: none).
    stored: Option<String>,
    /// The hash of the data, hex.
    computed: String,
    /// Whether they agree (null: nothing stored).
    matches: Option<bool>,
}

#[derive(Debug, Serialize)]
struct BadChunk {
    /// The chunk's index.
    chunk: u64,
    /// Media bytes `start..end` it holds.
    start: u64,
    /// End (exclusive) of its media bytes.
    end: u64,
    /// What is wrong with it.
    error: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn verify(image: &Path, out: &Out, access: Access) -> Result<(), CmdError> {
    let at = |e| CmdError::at(image.display().to_string(), e);
    let ewf = io::open_ewf(image, access).map_err(at)?;
    let v = ewf.verify().map_err(at)?;
    let hash = |stored: Option<&[u8]>, computed: &[u8]| Hash {
        stored: stored.map(hex),
        computed: hex(computed),
        matches: stored.map(|s| s == computed),
    };
    let chunk = ewf.chunk_size();
    let report = Verify {
        segments: ewf.paths().map(|p| p.display().to_string()).collect(),
        checked: [("md5", v.stored.md5.is_some()), ("sha1", v.stored.sha1.is_some())]
            .into_iter()
            .filter_map(|(n, have)| have.then_some(n))
            .collect(),
        md5: hash(v.stored.md5.as_ref().map(|h| &h[..]), &v.md5),
        sha1: hash(v.stored.sha1.as_ref().map(|h| &h[..]), &v.sha1),
        bad_chunks: v
            .bad_chunks
            .iter()
            .map(|(i, e)| BadChunk {
                chunk: *i,
                start: i * chunk,
                end: ((i + 1) * chunk).min(ewf.size()),
                error: e.to_string(),
            })
            .collect(),
        ok: v.ok(),
    };
    out.emit(&report, |r| {
        let mut s = format!("EWF image in {} segment(s)\n", r.segments.len());
        for (name, h) in [("MD5", &r.md5), ("SHA1", &r.sha1)] {
            match (&h.stored, h.matches) {
                (Some(st), Some(m)) => s.push_str(&format!(
                    "{name:<5} stored {st}\n{:<5} data   {}  {}\n",
                    "",
                    h.computed,
                    if m { "matches" } else { "MISMATCH" }
                )),
                _ => s.push_str(&format!("{name:<5} not stored (data {})\n", h.computed)),
            }
        }
        for b in &r.bad_chunks {
            s.push_str(&format!("bad chunk {} (media bytes {}..{}): {}\n", b.chunk, b.start, b.end, b.error));
        }
        let checked =
            if r.checked.is_empty() { "nothing (no hash stored)".to_string() } else { r.checked.join(" and ") };
        s.push_str(&format!("checked {checked}: {}\n", if r.ok { "OK" } else { "FAILED" }));
        s
    })?;
    if report.ok {
        Ok(())
    } else {
        Err(CmdError::msg(format!("{}: verification failed", image.display())))
    }
}
