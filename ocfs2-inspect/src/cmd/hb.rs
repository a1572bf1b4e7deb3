//! `hb`: the heartbeat slots of a region, joined with the slot map and the
//! journals; `hb --watch`: the kernel's liveness rules over repeated samples.

use std::collections::{HashMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ocfs2_format::cluster::heartbeat::{threshold_from_dead_ms, DEFAULT_DEAD_THRESHOLD};
use ocfs2_format::cluster::{
    medium_sector_size, now_secs, Change, DeadReason, JournalState, Liveness, NodeNum, Region, Sampler, SlotMap,
    SlotReading, Transition,
};
use ocfs2_format::io::Access;
use ocfs2_format::{Error, OpenOptions, Volume};
use serde::Serialize;

use super::CmdError;
use crate::cli_cluster::{self, fmt_age, HbArgs};
use crate::render::{exact, table, time, Out};

/// The region of one volume, ready to sample, with what to join its slots with.
struct Target {
    path: PathBuf,
    vol: Volume,
    region: Region,
    /// O_DIRECT reads of a device or image; `None` for a `.zst` image, a frozen
    /// snapshot read through the volume.
    sampler: Option<Sampler>,
    names: HashMap<NodeNum, String>,
    slots: Option<SlotMap>,
    journals: Vec<JournalState>,
}

impl Target {
    fn sample(&self) -> Result<Vec<SlotReading>, CmdError> {
        match &self.sampler {
            Some(s) => s.sample(),
            None => self.region.read_volume(&self.vol),
        }
        .map_err(|e| CmdError::at(self.path.display().to_string(), e))
    }
    fn name(&self, node: NodeNum) -> Option<String> {
        self.names.get(&node).cloned()
    }
    fn fs_slot(&self, node: NodeNum) -> Option<u16> {
        self.slots.as_ref().and_then(|m| m.slot_of(node))
    }
    fn journal(&self, slot: Option<u16>) -> Option<JournalRow> {
        let j = self.journals.iter().find(|j| Some(j.slot) == slot)?;
        Some(JournalRow { dirty: j.dirty, recovery_generation: j.recovery_generation })
    }
}

/// Not the library's `JournalState`: two of its fields (the slot is the row's).
#[derive(Debug, Serialize)]
struct JournalRow {
    /// The journal inode's DIRTY flag: the slot needs recovery.
    dirty: bool,
    /// `ij_recovery_generation`.
    recovery_generation: u32,
}

/// Not the library's `Region`: in another order, `extent_bytes` left out, the slot count added.
#[derive(Debug, Serialize)]
struct RegionRow {
    /// The heartbeat system file's inode.
    inode: u64,
    /// Its first block.
    blkno: u64,
    /// Byte offset of the region on the device.
    start: u64,
    /// Bytes per slot (one logical sector).
    sector_size: u32,
    /// Slots in the region.
    slots: usize,
}

#[derive(Debug, Serialize)]
struct SlotRow {
    /// The heartbeat slot (the node number the slot belongs to).
    slot: u32,
    /// `hb_node`: the node number written in the slot.
    node: u32,
    /// The node's name from cluster.conf, when known.
    name: Option<String>,
    /// `hb_seq`: the beat's stamp (the writer's wall clock, seconds); a decimal
    /// string.
    #[serde(serialize_with = "exact")]
    seq: u64,
    /// `seq` as a UTC time.
    last_beat: String,
    /// Seconds from the beat to now (negative: a stamp in the future).
    age_s: i64,
    /// `hb_generation`: random per mount, 0 after a clean stop; a decimal string.
    #[serde(serialize_with = "exact")]
    generation: u64,
    /// `hb_dead_ms`: the writer's dead threshold in milliseconds.
    dead_ms: u32,
    /// `hb_cksum`: the stored CRC32.
    cksum: u32,
    /// The stored checksum matches the slot's bytes.
    crc_ok: bool,
    /// `hb_node` equals the slot number.
    node_matches: bool,
    /// The filesystem slot the node holds in the slot map.
    fs_slot: Option<u16>,
    /// That filesystem slot's journal.
    journal: Option<JournalRow>,
}

/// `hb --json` (one sample).
#[derive(Debug, Serialize)]
struct HbReport {
    /// The image or device read.
    device: String,
    /// Where the heartbeat region is.
    region: RegionRow,
    /// The written slots (every slot with `--all`).
    slots: Vec<SlotRow>,
}

/// Runs `hb`.
pub fn run(a: &HbArgs, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    let path = resolve_spec(&a.spec)?;
    let at = |e: Error| CmdError::at(path.display().to_string(), e);
    let vol = cli_cluster::open_volume(&path, OpenOptions { access: Access::Auto, ..opts })?;
    let sector_size = match a.sector_size {
        Some(s) => s,
        None => medium_sector_size(&path).map_err(at)?,
    };
    let region = Region::locate(&vol, sector_size).map_err(at)?;
    let frozen = path.extension().is_some_and(|e| e == "zst");
    // Sampled where the volume was found: the same partition and offset.
    let sampler = if frozen { None } else { Some(Sampler::open_with(&path, &opts, region).map_err(at)?) };
    let conf = cli_cluster::load_cluster_conf(a.cluster_conf.as_deref())?;
    let names = cli_cluster::node_names(conf.as_ref(), Some(&vol));
    let (slots, journals) = slot_context(&vol);
    let target = Target { path, vol, region, sampler, names, slots, journals };
    if a.watch {
        watch(a, out, &target)
    } else {
        snapshot(a, out, &target)
    }
}

/// A path that exists, or a region UUID found among the block devices.
fn resolve_spec(spec: &str) -> Result<PathBuf, CmdError> {
    let p = Path::new(spec);
    if p.exists() {
        return Ok(p.to_path_buf());
    }
    let Some(want) = cli_cluster::uuid_key(spec) else {
        return Err(CmdError::msg(format!("{spec}: no such file or device, and not a region UUID")));
    };
    for dev in cli_cluster::partitions() {
        if let Ok(v) = Volume::open(&dev) {
            if v.superblock().uuid_hex() == want {
                return Ok(dev);
            }
        }
    }
    Err(CmdError::msg(format!("region {want}: no block device in /proc/partitions holds that volume")))
}

/// The slot map and journal states, when the volume has them (a heartbeat device
/// has no slots). Damage there is reported and does not stop the heartbeat view.
fn slot_context(vol: &Volume) -> (Option<SlotMap>, Vec<JournalState>) {
    if vol.superblock().s_max_slots.get() == 0 {
        return (None, Vec::new());
    }
    let map = match SlotMap::read(vol) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("ocfs2-inspect: warning: slot map: {e}");
            None
        }
    };
    let journals = match JournalState::read_all(vol) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("ocfs2-inspect: warning: journals: {e}");
            Vec::new()
        }
    };
    (map, journals)
}

fn slot_row(t: &Target, r: &SlotReading, now: i64) -> SlotRow {
    let fs_slot = t.fs_slot(r.slot);
    SlotRow {
        slot: r.slot.get(),
        node: r.node().get(),
        name: t.name(r.slot),
        seq: r.seq(),
        last_beat: time(r.seq(), 0),
        age_s: r.age(now),
        generation: r.generation(),
        dead_ms: r.dead_ms(),
        cksum: r.stored_cksum(),
        crc_ok: r.crc_ok(),
        node_matches: r.node_matches(),
        fs_slot,
        journal: t.journal(fs_slot),
    }
}

fn snapshot(a: &HbArgs, out: &Out, t: &Target) -> Result<(), CmdError> {
    let readings = t.sample()?;
    let now = now_secs();
    let region = &t.region;
    let report = HbReport {
        device: t.path.display().to_string(),
        region: RegionRow {
            inode: region.inode,
            blkno: region.blkno,
            start: region.start,
            sector_size: region.sector_size,
            slots: readings.len(),
        },
        slots: readings
            .iter()
            .filter(|r| a.all || r.is_written() || !r.crc_ok())
            .map(|r| slot_row(t, r, now))
            .collect(),
    };
    out.emit(&report, |r| {
        let mut s = format!(
            "Heartbeat region: inode {}, block {}, {} slots of {} bytes\n",
            r.region.inode, r.region.blkno, r.region.slots, r.region.sector_size
        );
        let rows = r
            .slots
            .iter()
            .map(|s| {
                // A never-written slot (sequence 0) names node 0: nothing to flag.
                let node = if s.node_matches || s.seq == 0 { s.node.to_string() } else { format!("{} (!)", s.node) };
                vec![
                    s.slot.to_string(),
                    node,
                    s.name.clone().unwrap_or_default(),
                    if s.seq == 0 { "-".into() } else { s.last_beat.clone() },
                    if s.seq == 0 { "-".into() } else { fmt_age(s.age_s) },
                    if s.generation == 0 && s.seq != 0 {
                        "0 (stopped)".into()
                    } else {
                        format!("{:016x}", s.generation)
                    },
                    s.dead_ms.to_string(),
                    if s.crc_ok { "ok".into() } else { "BAD".into() },
                    s.fs_slot.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                    match &s.journal {
                        Some(j) if j.dirty => format!("dirty (recovery gen {})", j.recovery_generation),
                        Some(j) => format!("clean (recovery gen {})", j.recovery_generation),
                        None => "-".into(),
                    },
                ]
            })
            .collect();
        s.push_str(&table(
            &["SLOT", "NODE", "NAME", "LAST BEAT", "AGE", "GENERATION", "DEAD_MS", "CRC", "FS SLOT", "JOURNAL"],
            rows,
            &[0, 1, 6, 8],
        ));
        if r.slots.is_empty() {
            s.push_str("(no slot has ever been written)\n");
        }
        s
    })
}

/// One transition as printed by `hb --watch --json` (one object per line).
#[derive(Debug, Serialize)]
struct TransitionRow {
    /// The sample that showed it (1 is the first).
    sample: u64,
    /// When it was seen, UTC.
    time: String,
    /// When it was seen, milliseconds since the epoch.
    unix_ms: u64,
    /// The heartbeat slot.
    slot: u32,
    /// The node (its slot number).
    node: u32,
    /// The node's name from cluster.conf, when known.
    name: Option<String>,
    /// `live` or `dead`.
    state: &'static str,
    /// The node's generation (for a death, the one it had); a decimal string.
    #[serde(serialize_with = "exact")]
    generation: u64,
    /// Why it is dead: `silent`, `generation_changed` or `left_cleanly`.
    reason: Option<&'static str>,
    /// For `silent`: samples without a new beat.
    missed_samples: Option<u32>,
    /// For `generation_changed` and `left_cleanly` (0): the new generation; a
    /// decimal string.
    #[serde(serialize_with = "exact")]
    new_generation: Option<u64>,
}

impl TransitionRow {
    /// `generation` is the node's last generation (what a silent death reports).
    fn new(t: &Target, tr: &Transition, sample: u64, generation: u64) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let mut row = TransitionRow {
            sample,
            time: time(now.as_secs(), 0),
            unix_ms: now.as_millis() as u64,
            slot: tr.node.get(),
            node: tr.node.get(),
            name: t.name(tr.node),
            state: "live",
            generation,
            reason: None,
            missed_samples: None,
            new_generation: None,
        };
        match tr.change {
            Change::Live { generation, .. } => row.generation = generation,
            Change::Dead { reason } => {
                row.state = "dead";
                match reason {
                    DeadReason::Silent { samples } => {
                        row.reason = Some("silent");
                        row.missed_samples = Some(samples);
                    }
                    DeadReason::GenerationChanged { from, to } => {
                        row.reason = Some("generation_changed");
                        row.generation = from;
                        row.new_generation = Some(to);
                    }
                    DeadReason::LeftCleanly { from } => {
                        row.reason = Some("left_cleanly");
                        row.generation = from;
                        row.new_generation = Some(0);
                    }
                }
            }
        }
        row
    }

    fn text(&self) -> String {
        let who = match &self.name {
            Some(n) => format!("node {} ({n})", self.node),
            None => format!("node {}", self.node),
        };
        let what = match (self.state, self.reason) {
            ("live", _) => format!("live, generation {:016x}", self.generation),
            (_, Some("silent")) => {
                format!("dead: no new heartbeat in {} samples", self.missed_samples.unwrap_or_default())
            }
            (_, Some("left_cleanly")) => "dead: stopped heartbeating cleanly".to_string(),
            _ => format!(
                "dead: generation changed from {:016x} to {:016x}",
                self.generation,
                self.new_generation.unwrap_or_default()
            ),
        };
        format!("{}  {who} {what}", self.time)
    }
}

fn watch(a: &HbArgs, out: &Out, t: &Target) -> Result<(), CmdError> {
    ocfs2_format::cluster::catch_interrupts();
    let tty = !out.json() && std::io::stdout().is_terminal();
    let mut readings = t.sample()?;
    let threshold = match a.threshold {
        Some(n) => n,
        None => match cli_cluster::load_o2cb(a.o2cb.as_deref())?.and_then(|f| f.heartbeat_threshold()) {
            Some(n) => n,
            None => readings
                .iter()
                .filter(|r| r.is_written() && r.crc_ok() && r.generation() != 0)
                .find_map(|r| threshold_from_dead_ms(r.dead_ms()))
                .unwrap_or(DEFAULT_DEAD_THRESHOLD),
        },
    };
    let mut live = Liveness::new(threshold).map_err(|e| CmdError::at("--threshold".into(), e))?;
    let start = Instant::now();
    let mut log: VecDeque<String> = VecDeque::new();
    let mut stdout = std::io::stdout().lock();
    let mut sample = 0u64;
    loop {
        sample += 1;
        for tr in live.feed(&readings) {
            let last_generation = live.counters(tr.node).map_or(0, |c| c.last_generation);
            let row = TransitionRow::new(t, &tr, sample, last_generation);
            if out.json() {
                let line = serde_json::to_string(&row).map_err(|e| CmdError::msg(e.to_string()))?;
                writeln!(stdout, "{line}").map_err(|e| CmdError::msg(e.to_string()))?;
            } else if tty {
                log.push_back(row.text());
                if log.len() > 10 {
                    log.pop_front();
                }
            } else {
                writeln!(stdout, "{}", row.text()).map_err(|e| CmdError::msg(e.to_string()))?;
            }
        }
        if sample == 1 && !tty && !out.json() {
            // A node is live only once its beat moves: say at once what the first
            // sample holds, so a pipe does not wait in silence.
            write!(stdout, "{}", first_state(t, &live, &readings)).map_err(|e| CmdError::msg(e.to_string()))?;
        }
        if tty {
            let screen = dashboard(a, t, &live, &readings, sample, &log);
            write!(stdout, "\x1b[H\x1b[2J{screen}").map_err(|e| CmdError::msg(e.to_string()))?;
        }
        stdout.flush().map_err(|e| CmdError::msg(e.to_string()))?;
        let done = a.count.is_some_and(|c| sample >= c) || a.duration.is_some_and(|d| start.elapsed() >= d);
        let next =
            u32::try_from(sample).ok().and_then(|n| a.interval.checked_mul(n)).and_then(|d| start.checked_add(d));
        match next {
            Some(deadline) if !done && sleep_until(deadline) => {}
            _ => break,
        }
        readings = t.sample()?;
    }
    Ok(())
}

/// Sleeps until `deadline` in small steps; false when interrupted.
fn sleep_until(deadline: Instant) -> bool {
    loop {
        if ocfs2_format::cluster::interrupted() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

/// What the first sample shows, one line per node that has beaten (liveness is
/// known only from the next samples).
fn first_state(t: &Target, live: &Liveness, readings: &[SlotReading]) -> String {
    let now = now_secs();
    let stamp = time(u64::try_from(now).unwrap_or(0), 0);
    let lines: String = readings
        .iter()
        .filter_map(|r| live.counters(r.slot).filter(|c| c.last_seq != 0).map(|c| (r.slot, *c)))
        .map(|(slot, c)| {
            let who = match t.name(slot) {
                Some(n) => format!("node {slot} ({n})"),
                None => format!("node {slot}"),
            };
            format!(
                "{stamp}  {who} last beat {} ({}), generation {:016x}: watching\n",
                time(c.last_seq, 0),
                fmt_age(c.age(now)),
                c.last_generation
            )
        })
        .collect();
    if lines.is_empty() {
        format!("{stamp}  no node has beaten in this region: watching\n")
    } else {
        lines
    }
}

/// The screen `hb --watch` redraws on a terminal.
fn dashboard(
    a: &HbArgs,
    t: &Target,
    live: &Liveness,
    readings: &[SlotReading],
    sample: u64,
    log: &VecDeque<String>,
) -> String {
    let now = now_secs();
    let mut s = format!(
        "{}: sample {sample}, every {:?}, dead after {} unchanged samples (Ctrl-C to stop)\n\n",
        t.path.display(),
        a.interval,
        live.dead_threshold()
    );
    let rows = readings
        .iter()
        .filter(|r| live.counters(r.slot).is_some_and(|c| c.last_seq != 0) || live.is_live(r.slot))
        .map(|r| {
            let c = live.counters(r.slot).copied().unwrap_or_default();
            vec![
                r.slot.to_string(),
                t.name(r.slot).unwrap_or_default(),
                if c.live { "live".into() } else { "dead".into() },
                fmt_age(c.age(now)),
                format!("{:016x}", c.last_generation),
                if r.crc_ok() { "ok".into() } else { "BAD".into() },
            ]
        })
        .collect();
    s.push_str(&table(&["SLOT", "NAME", "STATE", "LAST BEAT", "GENERATION", "CRC"], rows, &[0]));
    if !log.is_empty() {
        s.push_str("\nTransitions:\n");
        for l in log {
            s.push_str(l);
            s.push('\n');
        }
    }
    s
}
