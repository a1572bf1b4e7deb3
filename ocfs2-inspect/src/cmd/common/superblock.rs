//! The superblock as `stats` shows it (with its journals and inode); also shown
//! by `stat_sysdir`, `report` and `slotmap`.

use ocfs2_format::journal::Journal;
use ocfs2_format::layout::superblock::{
    compat, feature_names, incompat, ro_compat, tunefs_flag, CLUSTER_O2CB_FLAG_NAMES,
};
use ocfs2_format::Volume;
use serde::Serialize;

use super::inode::{inode_report, render_inode, InodeReport};
use crate::cmd::CmdError;
use crate::render::fields;

#[derive(Debug, Serialize)]
pub struct Features {
    /// The raw feature bits.
    pub value: u32,
    /// The names of the bits set, as mkfs.ocfs2 spells them.
    pub names: Vec<&'static str>,
}

fn features(value: u32, names: &[(u32, &'static str)]) -> Features {
    Features { value, names: feature_names(value, names) }
}

/// Everything `stats` reports (debugfs.ocfs2 `stats`: the superblock, then its inode).
#[derive(Debug, Serialize)]
pub struct Stats {
    /// The block read (2, or a backup's).
    pub superblock_blkno: u64,
    /// `s_major_rev_level.s_minor_rev_level`.
    pub revision: String,
    /// `s_mnt_count`.
    pub mount_count: u16,
    /// `s_max_mnt_count`.
    pub max_mount_count: u16,
    /// `s_state`.
    pub state: u16,
    /// `s_errors`.
    pub errors: u16,
    /// `s_checkinterval`, seconds.
    pub check_interval: u32,
    /// `s_lastcheck`, seconds since the epoch.
    pub last_check: u64,
    /// `s_creator_os` (0: Linux).
    pub creator_os: u32,
    /// `s_feature_compat`.
    pub feature_compat: Features,
    /// `s_feature_incompat`.
    pub feature_incompat: Features,
    /// `s_tunefs_flag`: a tunefs.ocfs2 operation in progress.
    pub tunefs_flag: u16,
    /// Names of the `tunefs_flag` bits (`remove-slot`, `dir-trailer`, `unknown`).
    pub tunefs_flag_names: Vec<&'static str>,
    /// `s_feature_ro_compat`.
    pub feature_ro_compat: Features,
    /// `s_root_blkno`: the root directory's inode.
    pub root_blkno: u64,
    /// `s_system_dir_blkno`: the system directory's inode.
    pub system_dir_blkno: u64,
    /// `s_first_cluster_group`: the global bitmap's first group.
    pub first_cluster_group_blkno: u64,
    /// `s_blocksize_bits`.
    pub block_size_bits: u32,
    /// `s_clustersize_bits`.
    pub cluster_size_bits: u32,
    /// Block size in bytes.
    pub block_size: u32,
    /// Cluster size in bytes.
    pub cluster_size: u32,
    /// `s_max_slots`: node slots.
    pub max_node_slots: u16,
    /// `s_xattr_inline_size`: bytes new inodes keep for inline xattrs.
    pub xattr_inline_size: u16,
    /// The volume label.
    pub label: String,
    /// The UUID, 32 hex digits in upper case.
    pub uuid: String,
    /// `s_uuid_hash`.
    pub uuid_hash: u32,
    /// `s_dx_seed`: the seeds of the indexed-directory name hash.
    pub dx_seeds: [u32; 3],
    /// The stack the superblock names (`o2cb`, `pcmk`, ...), or `classic o2cb`
    /// when it names none (as debugfs.ocfs2 says, local volumes included).
    pub cluster_stack: String,
    /// The cluster the superblock names (null: none).
    pub cluster_name: Option<String>,
    /// `s_cluster_info.ci_stackflags`.
    pub cluster_flags: u8,
    /// Names of the `cluster_flags` bits; only the o2cb stack names them
    /// (`Globalheartbeat`).
    pub cluster_flag_names: Vec<&'static str>,
    /// Blocks in the volume.
    pub blocks: u64,
    /// Clusters in the volume.
    pub clusters: u32,
    /// Bytes the image or device holds (less than the volume when it is cut short).
    pub source_bytes: u64,
    /// The backup superblocks' blocks (empty without the backup-super feature).
    pub backup_superblocks: Vec<u64>,
    /// Each slot's journal: clean, dirty (needs recovery) or with `s_errno` set.
    pub journals: Vec<JournalSlot>,
    /// The superblock's inode (left out by `stats -h`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inode: Option<InodeReport>,
}

/// The state of one slot's journal, from its inode (`ij_flags`) and its JBD2
/// superblock (`s_start`, `s_errno`).
#[derive(Debug, Serialize)]
pub struct JournalSlot {
    /// The node slot.
    pub slot: u16,
    /// The journal inode (null: not found).
    pub inode: Option<u64>,
    /// `clean`, `dirty` (the inode's DIRTY flag: needs recovery), `error`
    /// (`s_errno` set) or `unreadable`.
    pub state: &'static str,
    /// The inode's DIRTY flag (null: unreadable).
    pub dirty: Option<bool>,
    /// `ij_recovery_generation`.
    pub recovery_generation: Option<u32>,
    /// `s_start`: first log block to replay (0: nothing to replay).
    pub start: Option<u32>,
    /// `s_sequence`: the first transaction expected in the log.
    pub sequence: Option<u32>,
    /// `s_errno`: an error the journal recorded (0: none).
    pub errno: Option<i32>,
    /// Why the journal could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What `--replay` replayed from this journal (absent without `--replay`,
    /// or when the slot had nothing to replay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<ReplaySummary>,
}

/// The journal state of `slot`; a journal that cannot be read is reported, not
/// fatal.
pub fn journal_slot(vol: &Volume, slot: u16) -> JournalSlot {
    match Journal::open(vol, slot) {
        Ok(j) => {
            let sb = j.superblock();
            let errno = sb.s_errno.get() as i32;
            JournalSlot {
                slot,
                inode: Some(j.inode()),
                state: if errno != 0 {
                    "error"
                } else if j.dirty() {
                    "dirty"
                } else {
                    "clean"
                },
                dirty: Some(j.dirty()),
                recovery_generation: Some(j.recovery_generation()),
                start: Some(sb.s_start.get()),
                sequence: Some(sb.s_sequence.get()),
                errno: Some(errno),
                error: None,
                replayed: replay_summary(vol, slot),
            }
        }
        Err(e) => JournalSlot {
            slot,
            inode: None,
            state: "unreadable",
            dirty: None,
            recovery_generation: None,
            start: None,
            sequence: None,
            errno: None,
            error: Some(e.to_string()),
            replayed: None,
        },
    }
}

/// One line per journal for people.
pub fn render_journal(j: &JournalSlot) -> String {
    match (&j.error, j.start, j.errno) {
        (Some(e), ..) => format!("unreadable: {e}"),
        (None, Some(start), Some(errno)) => {
            let mut s = j.state.to_string();
            if j.dirty == Some(true) && j.state == "error" {
                s.push_str(", dirty");
            }
            s.push_str(&format!(
                " (recovery gen {}, s_start {start}, s_sequence {}",
                j.recovery_generation.unwrap_or(0),
                j.sequence.unwrap_or(0)
            ));
            if errno != 0 {
                s.push_str(&format!(", s_errno {errno}"));
            }
            s.push(')');
            if let Some(r) = &j.replayed {
                s.push_str(&format!("; {}", r.text()));
            }
            s
        }
        _ => j.state.to_string(),
    }
}

/// Builds the `stats` report of the superblock `vol` was opened with.
pub fn report(vol: &Volume) -> Result<Stats, CmdError> {
    let sb = vol.superblock();
    let geo = vol.geometry();
    let txt = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let cluster_flags = sb.s_cluster_info.ci_stackflags;
    Ok(Stats {
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
        tunefs_flag_names: feature_names(u32::from(sb.s_tunefs_flag.get()), tunefs_flag::NAMES),
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
        cluster_stack: sb.cluster_stack().map_or_else(|| "classic o2cb".into(), txt),
        cluster_name: sb.cluster_name().map(txt),
        cluster_flags,
        cluster_flag_names: if sb.is_o2cb_stack() {
            feature_names(u32::from(cluster_flags), CLUSTER_O2CB_FLAG_NAMES)
        } else {
            Vec::new()
        },
        blocks: geo.blocks,
        clusters: geo.clusters,
        source_bytes: vol.source_size(),
        backup_superblocks: if sb.has_compat(compat::BACKUP_SB) { vol.backup_blknos() } else { Vec::new() },
        journals: if geo.sb_blkno == 2 {
            (0..sb.s_max_slots.get()).map(|s| journal_slot(vol, s)).collect()
        } else {
            Vec::new() // a backup superblock's system directory is the primary's
        },
        inode: Some(inode_report(vol, &vol.superblock_inode(), false)?),
    })
}

/// The human rendering of a `stats` report.
pub fn render(s: &Stats) -> String {
    let f = |v: &Features| format!("{} ({:#x}) {}", v.value, v.value, v.names.join(" "));
    let with_names = |v: u32, names: &[&str]| format!("{v} {}", names.join(" "));
    let mut rows = vec![
        ("Superblock", format!("block {}", s.superblock_blkno)),
        ("Revision", s.revision.clone()),
        ("Mount Count", format!("{}   Max Mount Count: {}", s.mount_count, s.max_mount_count)),
        ("State", format!("{}   Errors: {}", s.state, s.errors)),
        ("Check Interval", format!("{}   Last Check: {}", s.check_interval, crate::render::time(s.last_check, 0))),
        ("Creator OS", s.creator_os.to_string()),
        ("Feature Compat", f(&s.feature_compat)),
        ("Feature Incompat", f(&s.feature_incompat)),
        ("Tunefs Incomplete", with_names(u32::from(s.tunefs_flag), &s.tunefs_flag_names)),
        ("Feature RO compat", f(&s.feature_ro_compat)),
        ("Root Blknum", format!("{}   System Dir Blknum: {}", s.root_blkno, s.system_dir_blkno)),
        ("First Cluster Group Blknum", s.first_cluster_group_blkno.to_string()),
        ("Block Size", format!("{} (bits {})", s.block_size, s.block_size_bits)),
        ("Cluster Size", format!("{} (bits {})", s.cluster_size, s.cluster_size_bits)),
        ("Volume", format!("{} clusters, {} blocks", s.clusters, s.blocks)),
        ("Max Node Slots", s.max_node_slots.to_string()),
        ("Extended Attributes Inline Size", s.xattr_inline_size.to_string()),
        ("Label", s.label.clone()),
        ("UUID", s.uuid.clone()),
        ("Hash", format!("{} ({:#x})", s.uuid_hash, s.uuid_hash)),
        (
            "DX Seeds",
            format!(
                "{} {} {} ({:#010x} {:#010x} {:#010x})",
                s.dx_seeds[0], s.dx_seeds[1], s.dx_seeds[2], s.dx_seeds[0], s.dx_seeds[1], s.dx_seeds[2]
            ),
        ),
        ("Cluster stack", s.cluster_stack.clone()),
    ];
    if let Some(name) = &s.cluster_name {
        rows.push(("Cluster name", name.clone()));
    }
    rows.push(("Cluster flags", with_names(u32::from(s.cluster_flags), &s.cluster_flag_names)));
    let backups = if !s.backup_superblocks.is_empty() {
        let blocks: Vec<String> = s.backup_superblocks.iter().map(u64::to_string).collect();
        format!("blocks {}", blocks.join(", "))
    } else if s.feature_compat.value & compat::BACKUP_SB == 0 {
        "none (the backup-super feature is off)".into()
    } else {
        "none (the volume is smaller than 1 GiB, where the first one goes)".into()
    };
    rows.push(("Backup superblocks", backups));
    let journals: Vec<(String, String)> =
        s.journals.iter().map(|j| (format!("Journal {}", j.slot), render_journal(j))).collect();
    rows.extend(journals.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mut text = fields(rows);
    if let Some(inode) = &s.inode {
        text.push_str(&render_inode(inode));
    }
    text
}

/// Replay facts for `stats` and `slotmap`: the slot's replay, when the volume
/// was opened with `--replay` and the slot had a log to replay.
#[derive(Debug, Serialize)]
pub struct ReplaySummary {
    /// Committed transactions replayed.
    pub transactions: usize,
    /// Copies written (a block logged in two transactions counts twice).
    pub blocks_written: u64,
    /// Distinct home blocks the replay changes.
    pub distinct_blocks: usize,
    /// Logged copies a revoke suppressed.
    pub revoked: u64,
    /// Log blocks of the uncommitted transaction that were ignored.
    pub uncommitted_blocks: u32,
    /// The transaction the kernel starts with after recovery (the end + 1).
    pub next_sequence: u32,
}

/// The replay summary of `slot`, when `vol` was opened with `--replay` and the
/// slot had a log.
pub fn replay_summary(vol: &Volume, slot: u16) -> Option<ReplaySummary> {
    let log = vol.recovery()?.slots().iter().find(|s| s.slot == slot)?.log.as_ref()?;
    Some(ReplaySummary {
        transactions: log.transactions.len(),
        blocks_written: log.written(),
        distinct_blocks: log.blocks.len(),
        revoked: log.revoked(),
        uncommitted_blocks: log.uncommitted_blocks,
        next_sequence: log.next_sequence(),
    })
}

impl ReplaySummary {
    /// One phrase for people.
    pub fn text(&self) -> String {
        format!(
            "replayed {} transactions, {} blocks ({} distinct), {} revoked",
            self.transactions, self.blocks_written, self.distinct_blocks, self.revoked
        )
    }
}
