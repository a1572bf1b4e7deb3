//! What the cluster-facing commands (`hb`, `slotmap`, `mounted`, `config lint`)
//! share: their arguments, and CLI helpers (node names from cluster.conf, the o2cb
//! settings, finding a volume by UUID, ages for people, Ctrl-C). Not a command
//! module, so that no command imports another: each command imports this, and
//! `main` dispatches. What is domain logic (slot maps, journals, ages, liveness)
//! is in the library's `ocfs2_format::cluster`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ocfs2_format::cluster::NodeNum;
use ocfs2_format::config::{ClusterConf, O2cbDefaults, CLUSTER_CONF_PATH, O2CB_PATHS};
use ocfs2_format::{OpenOptions, Volume};

use crate::cmd::CmdError;

/// Commands about the cluster stack rather than files.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Heartbeat slots of a region: a snapshot, or `--watch` for liveness (debugfs `hb`).
    Hb(HbArgs),
    /// Which node holds each filesystem slot, and its journal state (debugfs `slotmap`).
    Slotmap(SlotmapArgs),
    /// OCFS2 volumes on devices or images (mounted.ocfs2 -d / -f).
    Mounted(MountedArgs),
    /// The o2cb configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `hb` options.
#[derive(Debug, Args)]
pub struct HbArgs {
    /// Image or device holding the region, or the UUID of a region (a volume found
    /// by scanning /proc/partitions).
    pub spec: String,
    /// Slot size in bytes (the device's logical sector size; default: asked of the
    /// device, 512 for images).
    #[arg(long)]
    pub sector_size: Option<u32>,
    /// cluster.conf for node names (default /etc/ocfs2/cluster.conf when present).
    #[arg(long)]
    pub cluster_conf: Option<PathBuf>,
    /// The o2cb settings file for the dead threshold (default /etc/default/o2cb or
    /// /etc/sysconfig/o2cb when present).
    #[arg(long)]
    pub o2cb: Option<PathBuf>,
    /// Show every slot, even never-written ones.
    #[arg(long)]
    pub all: bool,
    /// Sample repeatedly and apply the kernel's liveness rules.
    #[arg(long)]
    pub watch: bool,
    /// Time between samples, e.g. `2s` (the kernel's) or `200ms`.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// Unchanged samples before a live node is dead (default: the o2cb file's
    /// O2CB_HEARTBEAT_THRESHOLD, else the slots' dead_ms / 2000, else 31).
    #[arg(long)]
    pub threshold: Option<u32>,
    /// Stop after this many samples.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this long, e.g. `30s`.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
}

/// `slotmap` options.
#[derive(Debug, Args)]
pub struct SlotmapArgs {
    /// Image or device.
    pub image: PathBuf,
    /// cluster.conf for node names (default /etc/ocfs2/cluster.conf when present).
    #[arg(long)]
    pub cluster_conf: Option<PathBuf>,
    /// Show every slot, even empty ones.
    #[arg(long)]
    pub all: bool,
}

/// `mounted` options.
#[derive(Debug, Args)]
pub struct MountedArgs {
    /// Devices or images (default: every block device in /proc/partitions).
    pub devices: Vec<PathBuf>,
    /// Device, stack, cluster, flags, UUID and label (the default).
    #[arg(short = 'd', conflicts_with = "full")]
    pub detect: bool,
    /// The nodes holding slots, with their heartbeat state.
    #[arg(short = 'f', long = "full")]
    pub full: bool,
    /// Heartbeat slot size in bytes for `-f` (default: the device's sector size, 512
    /// for images).
    #[arg(long)]
    pub sector_size: Option<u32>,
    /// cluster.conf for node names (default /etc/ocfs2/cluster.conf when present).
    #[arg(long)]
    pub cluster_conf: Option<PathBuf>,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check cluster.conf and o2cb files; exits non-zero when it finds errors.
    Lint {
        /// Files (default: /etc/ocfs2/cluster.conf and /etc/default/o2cb when present).
        files: Vec<PathBuf>,
    },
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    ocfs2_format::cluster::heartbeat::parse_duration(s).map_err(|e| e.to_string())
}

/// Opens a volume read-only, naming the path in errors.
pub fn open_volume(path: &Path, opts: OpenOptions) -> Result<Volume, CmdError> {
    let vol = Volume::open_with(path, opts).map_err(|e| CmdError::at(path.display().to_string(), e))?;
    crate::cmd::notes_at_open(path, &vol);
    Ok(vol)
}

/// Reads a text file, naming it in errors.
fn read_text(path: &Path) -> Result<String, CmdError> {
    std::fs::read_to_string(path).map_err(|e| CmdError::msg(format!("{}: {e}", path.display())))
}

/// cluster.conf from `given`, else the default path when it exists.
pub fn load_cluster_conf(given: Option<&Path>) -> Result<Option<ClusterConf>, CmdError> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None if Path::new(CLUSTER_CONF_PATH).exists() => PathBuf::from(CLUSTER_CONF_PATH),
        None => return Ok(None),
    };
    Ok(Some(ClusterConf::parse(&read_text(&path)?)))
}

/// The o2cb settings from `given`, else the first default path that exists.
pub fn load_o2cb(given: Option<&Path>) -> Result<Option<O2cbDefaults>, CmdError> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => match O2CB_PATHS.iter().map(Path::new).find(|p| p.exists()) {
            Some(p) => p.to_path_buf(),
            None => return Ok(None),
        },
    };
    Ok(Some(O2cbDefaults::parse(&read_text(&path)?)))
}

/// Node number → name for the volume's cluster (its recorded cluster name, else
/// every cluster in the file).
pub fn node_names(conf: Option<&ClusterConf>, vol: Option<&Volume>) -> HashMap<NodeNum, String> {
    let Some(conf) = conf else { return HashMap::new() };
    let cluster = vol.and_then(|v| v.superblock().cluster_name().map(|c| String::from_utf8_lossy(c).into_owned()));
    match cluster {
        Some(c) if !conf.node_names(Some(&c)).is_empty() => conf.node_names(Some(&c)),
        _ => conf.node_names(None),
    }
}

/// The block devices listed in /proc/partitions.
pub fn partitions() -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/partitions").unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(3))
        .map(|name| Path::new("/dev").join(name))
        .filter(|p| p.exists())
        .collect()
}

/// Normalizes a UUID for comparison: hex digits only, upper case.
pub fn uuid_key(s: &str) -> Option<String> {
    let hex: String = s.chars().filter(|c| *c != '-').collect::<String>().to_ascii_uppercase();
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// `5s ago`, `3h 2m ago`, `in 4s` (a writer clock ahead of ours).
pub fn fmt_age(age: i64) -> String {
    let a = age.unsigned_abs();
    let s = match a {
        0..=59 => format!("{a}s"),
        60..=3599 => format!("{}m {}s", a / 60, a % 60),
        3600..=86_399 => format!("{}h {}m", a / 3600, a % 3600 / 60),
        _ => format!("{}d {}h", a / 86_400, a % 86_400 / 3600),
    };
    if age < 0 {
        format!("in {s}")
    } else {
        format!("{s} ago")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids() {
        assert_eq!(
            super::uuid_key("fca60340-c649-466f-bad6-281eaa0d05db").as_deref(),
            Some("FCA60340C649466FBAD6281EAA0D05DB")
        );
        assert_eq!(super::uuid_key("xyz"), None);
    }

    #[test]
    fn ages() {
        assert_eq!(super::fmt_age(5), "5s ago");
        assert_eq!(super::fmt_age(-5), "in 5s");
        assert_eq!(super::fmt_age(3725), "1h 2m ago");
        assert_eq!(super::fmt_age(90_000), "1d 1h ago");
    }
}
