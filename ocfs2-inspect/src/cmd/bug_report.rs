//! `report`: one document for a bug report with what cluster tools collect in
//! several commands: the superblock, the slot map and journal states, a
//! heartbeat snapshot, the allocators, the mkfs.ocfs2 command line, the check's
//! summary and the tool's version. Nothing from file contents (no file data,
//! names or xattrs) is ever included.

use std::path::Path;

use ocfs2_format::alloc::{allocators, AllocatorKind};
use ocfs2_format::cluster::{medium_sector_size, now_secs, Region, SlotMap};
use ocfs2_format::Volume;
use serde::Serialize;

use super::CmdError;
use crate::render::{exact, fields, table, Out};

#[derive(Debug, Serialize)]
struct SlotState {
    /// The filesystem slot.
    slot: u16,
    /// The node holding it in the slot map (null: free).
    node: Option<u32>,
    /// Its journal's state, as `stats` shows it.
    journal: super::common::superblock::JournalSlot,
}

#[derive(Debug, Serialize)]
struct Beat {
    /// The heartbeat slot.
    slot: u32,
    /// `hb_node`.
    node: u32,
    /// `hb_seq` (the writer's clock, seconds); a decimal string.
    #[serde(serialize_with = "exact")]
    seq: u64,
    /// Seconds since the stamp (the writer's clock against ours).
    age_s: i64,
    /// `hb_generation`; a decimal string.
    #[serde(serialize_with = "exact")]
    generation: u64,
    /// `hb_dead_ms`: the writer's dead threshold in milliseconds.
    dead_ms: u32,
    /// The stored checksum matches.
    crc_ok: bool,
    /// A snapshot cannot prove a node alive (that needs two samples, see `hb
    /// --watch`): `recent` when the stamp is younger than the node's dead
    /// time, else `stale`.
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct Heartbeat {
    /// Bytes per heartbeat slot.
    sector_size: u32,
    /// The written slots.
    slots: Vec<Beat>,
}

#[derive(Debug, Serialize)]
struct AllocatorSummary {
    /// The system file (`global_bitmap`, `inode_alloc`, `extent_alloc`, ...).
    name: String,
    /// Its slot (null: global).
    slot: Option<u16>,
    /// What its bits count: `clusters` (the global bitmap) or `blocks`.
    unit: &'static str,
    /// Bits in all its groups.
    total: u32,
    /// Bits in use.
    used: u32,
    /// Bits free.
    free: u32,
}

#[derive(Debug, Serialize)]
struct CheckSummary {
    /// No error found (notes allowed).
    clean: bool,
    /// Findings of severity `error`.
    errors: u64,
    /// Findings per fsck code, else per `structure.field`: `[name, count]` pairs.
    by_name: Vec<(String, u64)>,
}

#[derive(Debug, Serialize)]
struct Report {
    /// `ocfs2-inspect VERSION`.
    tool: String,
    /// The image or device as given.
    image: String,
    /// What `stats` shows.
    superblock: super::common::superblock::Stats,
    /// Every filesystem slot with its node and journal.
    slots: Vec<SlotState>,
    /// A heartbeat snapshot, or why not.
    heartbeat: Part<Heartbeat>,
    /// Every chain allocator's totals.
    allocators: Vec<AllocatorSummary>,
    /// What `mkfs-cmd` shows, or why not.
    mkfs: Part<super::common::mkfs_cmd::MkfsCmd>,
    /// The check's summary, or why not.
    check: Part<CheckSummary>,
}

/// A part of the report that can fail alone, the rest still coming: its object,
/// or `{"error": {"kind", "message"}}` (no part's object has an `error` key).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Part<T> {
    /// The part, as its own command shows it.
    Read(T),
    /// Why the part could not be read.
    Failed {
        /// The failure.
        error: PartError,
    },
}

#[derive(Debug, Serialize)]
struct PartError {
    /// Its class, for scripts: the name of the `std::io::ErrorKind` the library
    /// gives it (`InvalidData` for corruption, `UnexpectedEof` for a truncated
    /// image, `NotFound`, `InvalidInput`, `Unsupported`, `Other`...).
    kind: String,
    /// The error as a command prints it on stderr.
    message: String,
}

impl<T> From<Result<T, CmdError>> for Part<T> {
    fn from(r: Result<T, CmdError>) -> Self {
        match r {
            Ok(v) => Part::Read(v),
            Err(e) => Part::Failed { error: PartError { kind: format!("{:?}", e.io_kind()), message: e.to_string() } },
        }
    }
}

fn heartbeat(vol: &Volume, image: &Path) -> Result<Heartbeat, CmdError> {
    let sector_size = medium_sector_size(image)?;
    let region = Region::locate(vol, sector_size)?;
    let now = now_secs();
    let slots = region
        .read_volume(vol)?
        .into_iter()
        .filter(|r| r.is_written())
        .map(|r| Beat {
            slot: r.slot.get(),
            node: r.node().get(),
            seq: r.seq(),
            age_s: r.age(now),
            generation: r.generation(),
            dead_ms: r.dead_ms(),
            crc_ok: r.crc_ok(),
            state: if r.is_stale(now) { "stale" } else { "recent" },
        })
        .collect();
    Ok(Heartbeat { sector_size, slots })
}

/// Runs `report`; a part that cannot be read is reported as its error, the
/// rest still comes.
pub fn run(vol: &Volume, out: &Out, image: &Path) -> Result<(), CmdError> {
    let mut superblock = super::common::superblock::report(vol)?;
    superblock.inode = None;
    let nodes = SlotMap::read(vol).map(|m| m.nodes).unwrap_or_default();
    // The journals are listed with their slots, not twice.
    let slots = std::mem::take(&mut superblock.journals)
        .into_iter()
        .map(|j| SlotState {
            slot: j.slot,
            node: nodes.get(usize::from(j.slot)).copied().flatten().map(|n| n.get()),
            journal: j,
        })
        .collect();
    let mut allocs = Vec::new();
    for a in allocators(vol)? {
        let b = vol.inode(a.inode)?.header().bitmap1();
        let (total, used) = (b.i_total.get(), b.i_used.get());
        let unit = match a.kind {
            AllocatorKind::Clusters => "clusters",
            AllocatorKind::Blocks => "blocks",
        };
        allocs.push(AllocatorSummary {
            name: a.name,
            slot: a.slot,
            unit,
            total,
            used,
            free: total.saturating_sub(used),
        });
    }
    let check = ocfs2_format::check::check(vol, &mut |_| {})
        .map(|r| CheckSummary {
            clean: r.is_clean(),
            errors: r.errors(),
            by_name: r.by_code.iter().map(|c| (c.name.clone(), c.count)).collect(),
        })
        .map_err(CmdError::from);
    let report = Report {
        tool: format!("ocfs2-inspect {}", env!("CARGO_PKG_VERSION")),
        image: image.display().to_string(),
        superblock,
        slots,
        heartbeat: heartbeat(vol, image).into(),
        allocators: allocs,
        mkfs: super::common::mkfs_cmd::mkfs_cmd(vol).into(),
        check: check.into(),
    };
    out.emit(&report, render)
}

fn render(r: &Report) -> String {
    let mut s = format!("{} report of {}\n\n== Superblock\n", r.tool, r.image);
    s.push_str(&super::common::superblock::render(&r.superblock));
    s.push_str("\n== Slots\n");
    let rows = r
        .slots
        .iter()
        .map(|x| {
            vec![
                x.slot.to_string(),
                x.node.map_or("-".into(), |n| n.to_string()),
                super::common::superblock::render_journal(&x.journal),
            ]
        })
        .collect();
    s.push_str(&table(&["Slot", "Node", "Journal"], rows, &[0, 1]));
    s.push_str("\n== Heartbeat (one snapshot)\n");
    match &r.heartbeat {
        Part::Read(h) if h.slots.is_empty() => {
            s.push_str(&format!("no node has written (sector size {})\n", h.sector_size))
        }
        Part::Read(h) => {
            let rows = h
                .slots
                .iter()
                .map(|b| {
                    vec![
                        b.node.to_string(),
                        b.seq.to_string(),
                        format!("{}s", b.age_s),
                        format!("{:016x}", b.generation),
                        b.dead_ms.to_string(),
                        if b.crc_ok { "ok" } else { "BAD" }.to_string(),
                        b.state.to_string(),
                    ]
                })
                .collect();
            s.push_str(&table(&["Node", "Seq", "Age", "Generation", "Dead ms", "CRC", "State"], rows, &[0, 1, 2, 4]));
        }
        Part::Failed { error } => s.push_str(&format!("unreadable: {}\n", error.message)),
    }
    s.push_str("\n== Allocators\n");
    let rows = r
        .allocators
        .iter()
        .map(|a| vec![a.name.clone(), a.unit.to_string(), a.total.to_string(), a.used.to_string(), a.free.to_string()])
        .collect();
    s.push_str(&table(&["Allocator", "Unit", "Total", "Used", "Free"], rows, &[2, 3, 4]));
    s.push_str("\n== mkfs\n");
    match &r.mkfs {
        Part::Read(m) => {
            s.push_str(&fields(vec![("o2info --mkfs", m.o2info.clone()), ("mkfs.ocfs2", m.command.clone())]))
        }
        Part::Failed { error } => s.push_str(&format!("unreadable: {}\n", error.message)),
    }
    s.push_str("\n== Check (fsck.ocfs2 -fn)\n");
    match &r.check {
        Part::Read(c) => {
            s.push_str(&format!("{} ({} errors)\n", if c.clean { "clean" } else { "problems found" }, c.errors));
            for (name, n) in &c.by_name {
                s.push_str(&format!("  {name}: {n}\n"));
            }
        }
        Part::Failed { error } => s.push_str(&format!("failed: {}\n", error.message)),
    }
    s
}
