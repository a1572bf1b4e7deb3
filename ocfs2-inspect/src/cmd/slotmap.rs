//! `slotmap`: which node holds each filesystem slot (debugfs `slotmap`), with the
//! state of the slot's journal.

use ocfs2_format::cluster::SlotMap;
use ocfs2_format::OpenOptions;
use serde::Serialize;

use super::CmdError;
use crate::cli_cluster::{self, SlotmapArgs};
use crate::render::{table, Out};

#[derive(Debug, Serialize)]
struct SlotRow {
    /// The filesystem slot.
    slot: u16,
    /// The node holding it (null: free).
    node: Option<u32>,
    /// The node's name from cluster.conf, when known.
    name: Option<String>,
    /// Its journal inode (null: not found).
    journal_inode: Option<u64>,
    /// The journal's DIRTY flag (null: unreadable).
    journal_dirty: Option<bool>,
    /// `ij_recovery_generation`.
    recovery_generation: Option<u32>,
    /// `clean`, `dirty`, `error` (`s_errno` set) or `unreadable`.
    journal_state: &'static str,
    /// The JBD2 superblock's `s_start` (0: nothing to replay).
    journal_start: Option<u32>,
    /// The JBD2 superblock's `s_errno`.
    journal_errno: Option<i32>,
    /// What `--replay` replayed from this slot's journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    journal_replayed: Option<super::common::superblock::ReplaySummary>,
}

#[derive(Debug, Serialize)]
struct SlotmapReport {
    /// `normal` or `extended` (EXTENDED_SLOT_MAP).
    format: &'static str,
    /// Slots in the map.
    max_slots: u16,
    /// Every slot (with `--all`), else the occupied ones.
    slots: Vec<SlotRow>,
}

/// Runs `slotmap`.
pub fn run(a: &SlotmapArgs, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    let vol = cli_cluster::open_volume(&a.image, opts)?;
    let at = |e| CmdError::at(a.image.display().to_string(), e);
    let map = SlotMap::read(&vol).map_err(at)?;
    let journals: Vec<_> =
        (0..vol.superblock().s_max_slots.get()).map(|s| super::common::superblock::journal_slot(&vol, s)).collect();
    let conf = cli_cluster::load_cluster_conf(a.cluster_conf.as_deref())?;
    let names = cli_cluster::node_names(conf.as_ref(), Some(&vol));
    let slots = map
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| a.all || n.is_some())
        .map(|(s, n)| {
            let j = journals.iter().find(|j| usize::from(j.slot) == s);
            SlotRow {
                slot: s as u16,
                node: n.map(|n| n.get()),
                name: n.and_then(|n| names.get(&n).cloned()),
                journal_inode: j.and_then(|j| j.inode),
                journal_dirty: j.and_then(|j| j.dirty),
                recovery_generation: j.and_then(|j| j.recovery_generation),
                journal_state: j.map_or("unreadable", |j| j.state),
                journal_start: j.and_then(|j| j.start),
                journal_errno: j.and_then(|j| j.errno),
                journal_replayed: super::common::superblock::replay_summary(&vol, s as u16),
            }
        })
        .collect();
    let report = SlotmapReport { format: map.format.name(), max_slots: map.nodes.len() as u16, slots };
    out.emit(&report, |r| {
        let rows = r
            .slots
            .iter()
            .map(|s| {
                vec![
                    s.slot.to_string(),
                    s.node.map_or_else(|| "-".into(), |n| n.to_string()),
                    s.name.clone().unwrap_or_default(),
                    {
                        let state: String = match (s.journal_state, s.journal_dirty) {
                            ("error", Some(true)) => "error, dirty (needs recovery)".into(),
                            ("error", _) => "error".into(),
                            (_, Some(true)) => "dirty (needs recovery)".into(),
                            (_, Some(false)) => "clean".into(),
                            (st, None) => st.into(),
                        };
                        match &s.journal_replayed {
                            Some(r) => format!("{state}; {}", r.text()),
                            None => state,
                        }
                    },
                    s.recovery_generation.map_or_else(|| "-".into(), |g| g.to_string()),
                    s.journal_start.map_or_else(|| "-".into(), |g| g.to_string()),
                    s.journal_errno.map_or_else(|| "-".into(), |g| g.to_string()),
                ]
            })
            .collect();
        format!(
            "Slot map: {} format, {} slots\n{}",
            r.format,
            r.max_slots,
            table(&["SLOT", "NODE", "NAME", "JOURNAL", "RECOVERY GEN", "S_START", "S_ERRNO"], rows, &[0, 1, 4, 5, 6])
        )
    })
}
