//! `mounted`: OCFS2 volumes on block devices or images, as `mounted.ocfs2 -d`
//! (stack, cluster, flags, UUID, label) and `-f` (the nodes holding slots, here
//! joined with their heartbeat).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ocfs2_format::cluster::{now_secs, BeatState, NodeNum, Sampler, SlotMap, SlotReading};
use ocfs2_format::layout::superblock::{incompat, CLUSTER_O2CB_GLOBAL_HEARTBEAT};
use ocfs2_format::{OpenOptions, Volume};
use serde::Serialize;

use super::CmdError;
use crate::cli_cluster::{self, fmt_age, MountedArgs};
use crate::render::{table, Out};

#[derive(Debug, Serialize)]
struct NodeRow {
    /// The node number, from the slot map.
    node: u32,
    /// Its name from cluster.conf, when known.
    name: Option<String>,
    /// The filesystem slot it holds.
    fs_slot: u16,
    /// `beating`, `stale`, `stopped` (generation 0), `bad-crc`, `none` (never
    /// written) or `unknown` (the region could not be read).
    heartbeat: &'static str,
    /// Seconds since its last beat (null: no beat read).
    heartbeat_age_s: Option<i64>,
}

#[derive(Debug, Serialize)]
struct VolumeRow {
    /// The device or image.
    device: String,
    /// The cluster stack (`o2cb`, `pcmk`, ...; `None` for a local volume), as mounted.ocfs2 prints it.
    stack: String,
    /// The cluster name the superblock names (empty: none).
    cluster: String,
    /// `G` with global heartbeat, else empty.
    flags: String,
    /// The UUID, 32 hex digits in upper case.
    uuid: String,
    /// The volume label.
    label: String,
    /// The volume is a heartbeat device only (HEARTBEAT_DEV), no filesystem.
    heartbeat_device: bool,
    /// With `-f`: the nodes in the slot map with their heartbeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<Vec<NodeRow>>,
}

#[derive(Debug, Serialize)]
struct MountedReport {
    /// Each OCFS2 volume found, in the order given (or of /proc/partitions).
    volumes: Vec<VolumeRow>,
}

/// Runs `mounted`.
pub fn run(a: &MountedArgs, out: &Out) -> Result<(), CmdError> {
    let scanning = a.devices.is_empty();
    let devices: Vec<PathBuf> = if scanning { cli_cluster::partitions() } else { a.devices.clone() };
    let conf = cli_cluster::load_cluster_conf(a.cluster_conf.as_deref())?;
    let mut volumes = Vec::new();
    let mut failed = false;
    for dev in &devices {
        let vol = match Volume::open(dev) {
            Ok(v) => v,
            Err(e) => {
                if !scanning {
                    eprintln!("ocfs2-inspect: {}: {e}", dev.display());
                    failed = true;
                }
                continue;
            }
        };
        let mut row = describe(dev, &vol);
        if a.full && !row.heartbeat_device {
            let names = cli_cluster::node_names(conf.as_ref(), Some(&vol));
            row.nodes = Some(nodes(dev, &vol, a.sector_size, &names)?);
        }
        volumes.push(row);
    }
    let report = MountedReport { volumes };
    out.emit(&report, |r| {
        let rows = r
            .volumes
            .iter()
            .map(|v| {
                let mut row = vec![v.device.clone(), v.stack.clone(), v.cluster.clone(), v.flags.clone()];
                if a.full {
                    row.push(nodes_text(v));
                } else {
                    row.push(v.uuid.clone());
                    row.push(v.label.clone());
                }
                row
            })
            .collect();
        let header: &[&str] = if a.full {
            &["Device", "Stack", "Cluster", "F", "Nodes"]
        } else {
            &["Device", "Stack", "Cluster", "F", "UUID", "Label"]
        };
        table(header, rows, &[])
    })?;
    if failed {
        return Err(CmdError::msg("some devices are not readable OCFS2 volumes".into()));
    }
    Ok(())
}

fn describe(dev: &Path, vol: &Volume) -> VolumeRow {
    let sb = vol.superblock();
    let stack = if sb.has_incompat(incompat::LOCAL_MOUNT) {
        "None".to_string()
    } else {
        sb.cluster_stack().map_or_else(|| "o2cb".to_string(), |s| String::from_utf8_lossy(s).into_owned())
    };
    let global = sb.cluster_stack().is_some_and(|s| s == b"o2cb")
        && sb.s_cluster_info.ci_stackflags & CLUSTER_O2CB_GLOBAL_HEARTBEAT != 0;
    VolumeRow {
        device: dev.display().to_string(),
        stack,
        cluster: sb.cluster_name().map(|c| String::from_utf8_lossy(c).into_owned()).unwrap_or_default(),
        flags: if global { "G".into() } else { String::new() },
        uuid: sb.uuid_hex(),
        label: String::from_utf8_lossy(sb.label()).into_owned(),
        heartbeat_device: sb.has_incompat(incompat::HEARTBEAT_DEV),
        nodes: None,
    }
}

/// The slot map's nodes with the state of their heartbeat slot in one sample.
fn nodes(
    dev: &Path,
    vol: &Volume,
    sector_size: Option<u32>,
    names: &HashMap<NodeNum, String>,
) -> Result<Vec<NodeRow>, CmdError> {
    let at = |e| CmdError::at(dev.display().to_string(), e);
    let map = SlotMap::read(vol).map_err(at)?;
    let readings = Sampler::of_volume(vol, dev, &OpenOptions::default(), sector_size)
        .and_then(|s| s.sample())
        .map_err(|e| eprintln!("ocfs2-inspect: warning: {}: heartbeat region: {e}", dev.display()))
        .ok();
    let now = now_secs();
    Ok(map
        .used()
        .map(|(slot, node)| {
            let r = readings.as_ref().and_then(|rs| rs.get(node.heartbeat_slot()?));
            let (state, age) = match r {
                None => ("unknown", None),
                Some(r) => heartbeat_state(r, now),
            };
            NodeRow {
                node: node.get(),
                name: names.get(&node).cloned(),
                fs_slot: slot,
                heartbeat: state,
                heartbeat_age_s: age,
            }
        })
        .collect())
}

/// One slot from a single sample, in `mounted`'s words: a recent beat is
/// `beating`, a never-written slot `none`.
fn heartbeat_state(r: &SlotReading, now: i64) -> (&'static str, Option<i64>) {
    match r.state(now) {
        BeatState::Blank => ("none", None),
        BeatState::BadCrc => ("bad-crc", None),
        BeatState::Stopped => ("stopped", Some(r.age(now))),
        BeatState::Recent => ("beating", Some(r.age(now))),
        BeatState::Stale => ("stale", Some(r.age(now))),
    }
}

fn nodes_text(v: &VolumeRow) -> String {
    if v.heartbeat_device {
        return "Heartbeat device".into();
    }
    let nodes = v.nodes.as_deref().unwrap_or_default();
    if nodes.is_empty() {
        return "Not mounted".into();
    }
    nodes
        .iter()
        .map(|n| {
            let who = n.name.clone().unwrap_or_else(|| n.node.to_string());
            match n.heartbeat_age_s {
                Some(age) => format!("{who} (hb {} {})", n.heartbeat, fmt_age(age)),
                None => format!("{who} (hb {})", n.heartbeat),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
