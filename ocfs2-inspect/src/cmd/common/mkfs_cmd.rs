//! What `mkfs-cmd` and `report` show: the mkfs.ocfs2 command lines that
//! recreate a volume (and the feature list, in o2info's order, that `volinfo`
//! shows too).

use ocfs2_format::journal::Journal;
use ocfs2_format::layout::jbd2;
use ocfs2_format::layout::superblock::{compat, feature_names, incompat, ro_compat};
use ocfs2_format::{SystemFile, Volume};
use serde::Serialize;

use crate::cmd::CmdError;

/// Feature names in o2info's (and debugfs's) order: compat, incompat, ro_compat.
pub fn features(vol: &Volume) -> Vec<&'static str> {
    let sb = vol.superblock();
    let mut f = feature_names(sb.s_feature_compat.get(), compat::NAMES);
    f.extend(feature_names(sb.s_feature_incompat.get(), incompat::NAMES));
    f.extend(feature_names(sb.s_feature_ro_compat.get(), ro_compat::NAMES));
    f
}

#[derive(Debug, Serialize)]
pub struct MkfsCmd {
    /// What `o2info --mkfs` prints.
    pub o2info: String,
    /// A full mkfs.ocfs2 command that recreates this geometry and these features
    /// on `DEVICE` (the label too, not the UUID).
    pub command: String,
    /// Bytes of slot 0's journal (the command's `-J size=`).
    pub journal_size: u64,
}

/// Quotes a shell word when it needs it.
fn shell_word(w: &str) -> String {
    if !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=.,:/+".contains(&b)) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The mkfs.ocfs2 command lines that recreate `vol`'s geometry and features.
pub fn mkfs_cmd(vol: &Volume) -> Result<MkfsCmd, CmdError> {
    let sb = vol.superblock();
    let geo = vol.geometry();
    let journal = vol.inode(vol.system_file(SystemFile::journal(0))?)?;
    let journal_size = journal.header().i_size.get();
    let feats = features(vol);
    let label = String::from_utf8_lossy(sb.label()).into_owned();
    // o2info's MKFS format: "-N %u -J size=%llu -b %u -C %u %s %s " (the last two
    // may be empty, leaving their spaces).
    // o2info joins the compat, incompat and ro_compat names with spaces, then
    // turns every space into a comma: empty groups leave commas behind.
    let groups = [
        feature_names(sb.s_feature_compat.get(), compat::NAMES).join(" "),
        feature_names(sb.s_feature_incompat.get(), incompat::NAMES).join(" "),
        feature_names(sb.s_feature_ro_compat.get(), ro_compat::NAMES).join(" "),
    ];
    let feat_opt = format!("--fs-features {}", groups.join(" ").replace(' ', ","));
    let label_opt = if label.is_empty() { String::new() } else { format!("-L {label}") };
    let o2info = format!(
        "-N {} -J size={} -b {} -C {} {feat_opt} {label_opt} ",
        sb.s_max_slots.get(),
        journal_size,
        geo.block_size,
        geo.cluster_size
    );
    // A journal with 64-bit block numbers is made only when asked for (or when
    // the volume needs it): say so, or the copy gets 32-bit journals.
    let jsb = *Journal::open(vol, 0)?.superblock();
    let block64 = if jsb.s_feature_incompat.get() & jbd2::incompat::BIT64 != 0 { ",block64" } else { "" };
    let mut cmd = vec![
        "mkfs.ocfs2".to_string(),
        "-b".into(),
        geo.block_size.to_string(),
        "-C".into(),
        geo.cluster_size.to_string(),
        "-N".into(),
        sb.s_max_slots.get().to_string(),
        "-J".into(),
        format!("size={}K{block64}", journal_size / 1024),
    ];
    if !label.is_empty() {
        cmd.extend(["-L".into(), shell_word(&label)]);
    }
    // Start from no optional feature, then name every one the volume has (mkfs
    // sets strict-journal-super itself and refuses the name; local, clusterinfo
    // and userspace-stack come from -M and --cluster-stack).
    let mut mkfs_feats: Vec<&str> = feats
        .iter()
        .copied()
        .filter(|f| !matches!(*f, "local" | "clusterinfo" | "userspace-stack" | "strict-journal-super"))
        .collect();
    if sb.has_incompat(incompat::LOCAL_MOUNT) {
        cmd.extend(["-M".into(), "local".into()]);
    } else if let (Some(stack), Some(name)) = (sb.cluster_stack(), sb.cluster_name()) {
        cmd.push(format!("--cluster-stack={}", shell_word(&String::from_utf8_lossy(stack))));
        cmd.push(format!("--cluster-name={}", shell_word(&String::from_utf8_lossy(name))));
        if sb.is_o2cb_stack() && sb.s_cluster_info.ci_stackflags & 1 != 0 {
            cmd.push("--global-heartbeat".into());
        }
    }
    mkfs_feats.retain(|f| *f != "unknown");
    cmd.push("--fs-feature-level=max-compat".into());
    if !mkfs_feats.is_empty() {
        cmd.push(format!("--fs-features={}", mkfs_feats.join(",")));
    }
    cmd.push("DEVICE".into());
    cmd.push(geo.blocks.to_string());
    Ok(MkfsCmd { o2info, command: cmd.join(" "), journal_size })
}
