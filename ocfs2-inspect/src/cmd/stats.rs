//! `stats`: the superblock.

use ocfs2_format::layout::superblock::{compat, feature_names, incompat, ro_compat};
use ocfs2_format::Volume;
use serde::Serialize;

use super::stat::{inode_report, InodeReport};
use super::CmdError;
use crate::render::{fields, Out};

#[derive(Debug, Serialize)]
struct Features {
    value: u32,
    names: Vec<&'static str>,
}

fn features(value: u32, names: &[(u32, &'static str)]) -> Features {
    Features { value, names: feature_names(value, names) }
}

#[derive(Debug, Serialize)]
struct Stats {
    superblock_blkno: u64,
    revision: String,
    mount_count: u16,
    max_mount_count: u16,
    state: u16,
    errors: u16,
    check_interval: u32,
    last_check: u64,
    creator_os: u32,
    feature_compat: Features,
    feature_incompat: Features,
    tunefs_flag: u16,
    feature_ro_compat: Features,
    root_blkno: u64,
    system_dir_blkno: u64,
    first_cluster_group_blkno: u64,
    block_size_bits: u32,
    cluster_size_bits: u32,
    block_size: u32,
    cluster_size: u32,
    max_node_slots: u16,
    xattr_inline_size: u16,
    label: String,
    uuid: String,
    uuid_hash: u32,
    dx_seeds: [u32; 3],
    cluster_stack: Option<String>,
    cluster_name: Option<String>,
    cluster_flags: u8,
    blocks: u64,
    clusters: u32,
    source_bytes: u64,
    backup_superblocks: Vec<u64>,
    inode: InodeReport,
}

pub fn run(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let sb = vol.superblock();
    let geo = vol.geometry();
    let txt = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let stats = Stats {
        superblock_blkno: geo.sb_blkno,
        revision: format!("{}.{}", sb.s_major_rev_level.get(), sb.s_minor_rev_level.get()),
        mount_count: sb.s_mnt_count.get(),
        max_mount_count: sb.s_max_mnt_count.get(),
        state: sb.s_state.get(),
        errors: sb.s_errors.get(),
        check_interval: sb.s_checkinterval.get(),
        last_check: sb.s_lastcheck.get(),
        creator_os: sb.s_creator_os.get(),
        feature_compat: features(sb.s_feature_compat.get(), compat::NAMES),
        feature_incompat: features(sb.s_feature_incompat.get(), incompat::NAMES),
        tunefs_flag: sb.s_tunefs_flag.get(),
        feature_ro_compat: features(sb.s_feature_ro_compat.get(), ro_compat::NAMES),
        root_blkno: sb.s_root_blkno.get(),
        system_dir_blkno: sb.s_system_dir_blkno.get(),
        first_cluster_group_blkno: sb.s_first_cluster_group.get(),
        block_size_bits: geo.block_bits,
        cluster_size_bits: geo.cluster_bits,
        block_size: geo.block_size,
        cluster_size: geo.cluster_size,
        max_node_slots: sb.s_max_slots.get(),
        xattr_inline_size: sb.s_xattr_inline_size.get(),
        label: txt(sb.label()),
        uuid: sb.uuid_hex(),
        uuid_hash: sb.s_uuid_hash.get(),
        dx_seeds: sb.s_dx_seed.map(|s| s.get()),
        cluster_stack: sb.cluster_stack().map(txt),
        cluster_name: sb.cluster_name().map(txt),
        cluster_flags: sb.s_cluster_info.ci_stackflags,
        blocks: geo.blocks,
        clusters: geo.clusters,
        source_bytes: vol.source_size(),
        backup_superblocks: if sb.has_compat(compat::BACKUP_SB) { vol.backup_blknos() } else { Vec::new() },
        inode: inode_report(vol, &vol.superblock_inode(), false)?,
    };
    out.emit(&stats, |s| {
        let f = |v: &Features| format!("{:#x} {}", v.value, v.names.join(" "));
        let mut text = fields(vec![
            ("Superblock", format!("block {}", s.superblock_blkno)),
            ("Revision", s.revision.clone()),
            ("Mount Count", format!("{} (max {})", s.mount_count, s.max_mount_count)),
            ("State", format!("{}   Errors: {}", s.state, s.errors)),
            ("Check Interval", format!("{}   Last Check: {}", s.check_interval, crate::render::time(s.last_check, 0))),
            ("Creator OS", s.creator_os.to_string()),
            ("Feature Compat", f(&s.feature_compat)),
            ("Feature Incompat", f(&s.feature_incompat)),
            ("Tunefs Incomplete", s.tunefs_flag.to_string()),
            ("Feature RO compat", f(&s.feature_ro_compat)),
            ("Root Blknum", s.root_blkno.to_string()),
            ("System Dir Blknum", s.system_dir_blkno.to_string()),
            ("First Cluster Group Blknum", s.first_cluster_group_blkno.to_string()),
            ("Block Size", format!("{} (bits {})", s.block_size, s.block_size_bits)),
            ("Cluster Size", format!("{} (bits {})", s.cluster_size, s.cluster_size_bits)),
            ("Volume", format!("{} clusters, {} blocks", s.clusters, s.blocks)),
            ("Max Node Slots", s.max_node_slots.to_string()),
            ("Extended Attributes Inline Size", s.xattr_inline_size.to_string()),
            ("Label", s.label.clone()),
            ("UUID", s.uuid.clone()),
            ("Hash", format!("{} ({:#010x})", s.uuid_hash, s.uuid_hash)),
            (
                "DX Seeds",
                format!(
                    "{} {} {} ({:#010x} {:#010x} {:#010x})",
                    s.dx_seeds[0], s.dx_seeds[1], s.dx_seeds[2], s.dx_seeds[0], s.dx_seeds[1], s.dx_seeds[2]
                ),
            ),
            ("Cluster stack", s.cluster_stack.clone().unwrap_or_else(|| "classic o2cb".into())),
            ("Cluster name", s.cluster_name.clone().unwrap_or_default()),
            ("Cluster flags", s.cluster_flags.to_string()),
            ("Backup superblocks", format!("{:?}", s.backup_superblocks)),
        ]);
        text.push_str(&super::stat::render_inode(&s.inode));
        text
    })
}
