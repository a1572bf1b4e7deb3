//! The superblock and its backups: every backup the volume's size allows (with
//! BACKUP_SB) must be a valid superblock agreeing with the primary on geometry,
//! features and identity.

use super::{Ctx, Pass, Severity};
use crate::error::{Corruption, Result};
use crate::layout::blockcheck::{self, CheckOutcome};
use crate::layout::dinode::{DinodeHeader, ID2_OFFSET};
use crate::layout::superblock::{compat, SuperBlock, SUPERBLOCK_SIGNATURE};
use crate::layout::view_at;

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    let sb = *vol.superblock();
    let hdr = *vol.superblock_inode().header();
    if sb.s_state.get() & 1 != 0 {
        let at = Corruption {
            blkno: vol.geometry().sb_blkno,
            structure: "ocfs2_super_block",
            field: "s_state",
            expected: "0".into(),
            actual: "ERROR_FS (0x1)".into(),
            kind: Default::default(),
        };
        cx.push(None, Severity::Error, at, "the kernel marked the volume as having errors");
    }
    if !sb.has_compat(compat::BACKUP_SB) {
        return Ok(());
    }
    let backups = vol.backup_blknos();
    let total = backups.len() as u64;
    for (i, blkno) in backups.into_iter().enumerate() {
        cx.progress(Pass::Superblock, i as u64, total)?;
        let s = "ocfs2_super_block (backup)";
        let mut block = match vol.read_block(blkno) {
            Ok(b) => b.into_owned(),
            Err(e) => {
                cx.report(e, blkno, "backup superblock")?;
                continue;
            }
        };
        if &block[..8] != SUPERBLOCK_SIGNATURE {
            let found = crate::layout::signature_text(&block[..8]);
            cx.error(
                Some("RECOVER_BACKUP_SUPERBLOCK"),
                blkno,
                s,
                "signature",
                "OCFSV2",
                found,
                "backup superblock missing",
            );
            continue;
        }
        if vol.has_meta_ecc() {
            match blockcheck::verify(&mut block, 128) {
                Ok(CheckOutcome::Clean) => {}
                Ok(CheckOutcome::Corrected { bit }) => cx.error(
                    Some("BAD_CRC32"),
                    blkno,
                    s,
                    "i_check",
                    "a matching crc32e",
                    format!("data bit {bit} flipped"),
                    "backup superblock has a single-bit error",
                ),
                Err(f) => {
                    cx.error(
                        Some("BAD_CRC32"),
                        blkno,
                        s,
                        "bc_crc32e",
                        format!("{:#010x} (computed)", f.computed_crc),
                        format!("{:#010x}", f.stored.crc32e.get()),
                        "backup superblock checksum mismatch",
                    );
                    continue;
                }
            }
        }
        let (Some(bh), Some(bsb)) = (view_at::<DinodeHeader>(&block, 0), view_at::<SuperBlock>(&block, ID2_OFFSET))
        else {
            continue;
        };
        if bh.i_blkno.get() != blkno {
            cx.error(None, blkno, s, "i_blkno", blkno, bh.i_blkno.get(), "backup superblock names another block");
        }
        let pairs: [(&'static str, u64, u64); 12] = [
            ("i_fs_generation", hdr.i_fs_generation.get().into(), bh.i_fs_generation.get().into()),
            ("i_clusters", hdr.i_clusters.get().into(), bh.i_clusters.get().into()),
            ("s_blocksize_bits", sb.s_blocksize_bits.get().into(), bsb.s_blocksize_bits.get().into()),
            ("s_clustersize_bits", sb.s_clustersize_bits.get().into(), bsb.s_clustersize_bits.get().into()),
            ("s_max_slots", sb.s_max_slots.get().into(), bsb.s_max_slots.get().into()),
            ("s_feature_compat", sb.s_feature_compat.get().into(), bsb.s_feature_compat.get().into()),
            ("s_feature_incompat", sb.s_feature_incompat.get().into(), bsb.s_feature_incompat.get().into()),
            ("s_feature_ro_compat", sb.s_feature_ro_compat.get().into(), bsb.s_feature_ro_compat.get().into()),
            ("s_root_blkno", sb.s_root_blkno.get(), bsb.s_root_blkno.get()),
            ("s_system_dir_blkno", sb.s_system_dir_blkno.get(), bsb.s_system_dir_blkno.get()),
            ("s_first_cluster_group", sb.s_first_cluster_group.get(), bsb.s_first_cluster_group.get()),
            ("s_uuid_hash", sb.s_uuid_hash.get().into(), bsb.s_uuid_hash.get().into()),
        ];
        for (field, want, got) in pairs {
            if want != got {
                cx.error(None, blkno, s, field, want, got, "backup superblock disagrees with the primary");
            }
        }
        if bsb.s_uuid != sb.s_uuid {
            cx.error(None, blkno, s, "s_uuid", sb.uuid_hex(), bsb.uuid_hex(), "backup superblock disagrees");
        }
        if bsb.s_label != sb.s_label {
            let l = |x: &SuperBlock| String::from_utf8_lossy(x.label()).into_owned();
            cx.error(None, blkno, s, "s_label", l(&sb), l(bsb), "backup superblock disagrees");
        }
    }
    Ok(())
}
