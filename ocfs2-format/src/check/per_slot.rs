//! Per-slot state: each journal (readable, dirty, `s_errno`), each local-alloc
//! window (bounds, used counts; its clusters are claimed) and each truncate log
//! (records inside the volume; their clusters are claimed: they stay set in the
//! global bitmap until the log is flushed).

use super::{Claim, Ctx, Owner, Pass, Severity};
use crate::alloc::{local_alloc, truncate_log};
use crate::error::{Corruption, Result, Value};
use crate::journal::Journal;
use crate::layout::system_file::SystemFile;

pub(super) fn run(cx: &mut Ctx<'_, '_>) -> Result<()> {
    let vol = cx.vol;
    let slots = vol.superblock().s_max_slots.get();
    let clusters = u64::from(vol.geometry().clusters);
    // Each readable journal's (inode, slot, [compat, incompat, ro_compat]).
    let mut features: Vec<(u64, u16, [u32; 3])> = Vec::new();
    for slot in 0..slots {
        cx.progress(Pass::Slots, u64::from(slot), u64::from(slots))?;
        // A journal the system directory cannot name is that directory's
        // finding (made already), not an invalid journal.
        if let Err(e) = vol.system_file(SystemFile::journal(slot)) {
            cx.report(e, vol.system_dir_blkno(), "system directory")?;
        } else {
            journal(cx, slot, &mut features)?;
        }
        match local_alloc(vol, slot) {
            Ok(la) => {
                let s = "ocfs2_local_alloc";
                if la.total == 0 {
                    // An unused window: nothing may be counted in it.
                    if la.used != 0 {
                        let msg = "empty local alloc with bits in use";
                        cx.error(Some("LALLOC_NZ_USED"), la.inode, s, "i_used", 0, la.used, msg);
                    }
                    if la.bm_off != 0 {
                        let msg = "empty local alloc with a window";
                        cx.error(Some("LALLOC_NZ_BM"), la.inode, s, "la_bm_off", 0, la.bm_off, msg);
                    }
                } else if la.used > la.total {
                    cx.error(
                        Some("LALLOC_USED_OVERRUN"),
                        la.inode,
                        s,
                        "i_used",
                        format!("<= i_total {}", la.total),
                        la.used,
                        "local alloc uses more bits than it has",
                    );
                } else if la.bitmap_used != la.used {
                    cx.error(
                        Some("LALLOC_USED"),
                        la.inode,
                        s,
                        "i_used",
                        la.bitmap_used,
                        la.used,
                        "local alloc used count differs from its bitmap",
                    );
                }
                if la.total != 0 {
                    let end = u64::from(la.bm_off) + u64::from(la.total);
                    if la.bm_off == 0 || end > clusters {
                        // A window starting past the end is fsck's overrun as
                        // well as its straddle (it prints both).
                        if u64::from(la.bm_off) >= clusters {
                            cx.error(
                                Some("LALLOC_BM_OVERRUN"),
                                la.inode,
                                s,
                                "la_bm_off",
                                format!("a first cluster inside the volume ({clusters} clusters)"),
                                la.bm_off,
                                "local alloc window starts past the volume",
                            );
                        }
                        cx.error(
                            Some("LALLOC_BM_STRADDLE"),
                            la.inode,
                            s,
                            "la_bm_off",
                            format!("a window inside the volume ({clusters} clusters)"),
                            format!("{} + {}", la.bm_off, la.total),
                            "local alloc window outside the volume",
                        );
                    } else if la.used <= la.total {
                        // A local alloc counting more bits in use than it
                        // has is broken to fsck.ocfs2, which then reserves
                        // nothing for its window: its clusters set in the
                        // global bitmap are owned by files or by nothing.
                        cx.claims.push(Claim {
                            start: u64::from(la.bm_off),
                            len: u64::from(la.total),
                            owner: Owner::LocalAlloc(la.inode),
                            shared: false,
                        });
                    }
                }
            }
            Err(e) => cx.report(e, 0, &SystemFile::local_alloc(slot).name())?,
        }
        match truncate_log(vol, slot) {
            Ok(tl) => {
                for (i, &(start, len)) in tl.recs.iter().enumerate() {
                    let (start, len) = (u64::from(start), u64::from(len));
                    if start >= clusters || start + len > clusters {
                        cx.error(
                            // fsck.ocfs2 names a run whose end overflows 32 bits apart.
                            Some(if start + len > u64::from(u32::MAX) {
                                "TRUNCATE_REC_WRAP"
                            } else if start >= clusters {
                                "TRUNCATE_REC_START_RANGE"
                            } else {
                                "TRUNCATE_REC_RANGE"
                            }),
                            tl.inode,
                            "ocfs2_truncate_rec",
                            "t_start",
                            format!("a run inside the volume ({clusters} clusters)"),
                            format!("record {i}: {start} + {len}"),
                            "truncate log record outside the volume",
                        );
                    } else if len != 0 {
                        cx.claims.push(Claim { start, len, owner: Owner::TruncateLog(tl.inode), shared: false });
                    }
                }
            }
            Err(e) => cx.report(e, 0, &SystemFile::truncate_log(slot).name())?,
        }
    }
    missing_features(cx, &features);
    Ok(())
}

/// `journal:SLOT`: readable, features, dirty, `s_errno`.
fn journal(cx: &mut Ctx<'_, '_>, slot: u16, features: &mut Vec<(u64, u16, [u32; 3])>) -> Result<()> {
    let vol = cx.vol;
    match Journal::open(vol, slot) {
        Ok(j) => {
            let sb = j.superblock();
            let at = |field: &'static str, actual: Value| Corruption {
                blkno: j.inode(),
                structure: "ocfs2_dinode (journal)",
                field,
                expected: "0".into(),
                actual,
                kind: Default::default(),
            };
            if j.dirty() {
                cx.push(
                    None,
                    Severity::Info,
                    at("ij_flags", "DIRTY".into()),
                    format!("journal:{slot:04} needs recovery (not replayed: read-only check)"),
                );
            }
            let f = [sb.s_feature_compat.get(), sb.s_feature_incompat.get(), sb.s_feature_ro_compat.get()];
            // JBD2 defines no read-only-compatible feature: any is unknown.
            if f[2] != 0 {
                cx.error(
                    Some("JOURNAL_UNKNOWN_FEATURE"),
                    j.inode(),
                    "journal_superblock_t",
                    "s_feature_ro_compat",
                    0,
                    Value::Hex(u64::from(f[2])),
                    format!("journal:{slot:04} has unknown features (fsck.ocfs2 checks journals only read-write)"),
                );
            }
            features.push((j.inode(), slot, f));
            if sb.s_errno.get() != 0 {
                cx.push(
                    None,
                    Severity::Error,
                    at("s_errno", (sb.s_errno.get() as i32).into()),
                    format!("journal:{slot:04} recorded an error"),
                );
            }
        }
        Err(e) => {
            if let crate::Error::Io { .. } | crate::Error::Open { .. } = e {
                return Err(e);
            }
            // An incompatible feature the kernel does not know is what
            // fsck.ocfs2 (read-write) offers to reset; anything else makes
            // the journal invalid.
            let (code, what) = match e {
                crate::Error::Unsupported { .. } => ("JOURNAL_UNKNOWN_FEATURE", "has unknown features"),
                _ => ("JOURNAL_FILE_INVALID", "is invalid"),
            };
            let at = Corruption {
                blkno: vol.system_file(SystemFile::journal(slot)).unwrap_or(0),
                structure: "journal",
                field: super::unreadable_kind(&e),
                expected: "a valid JBD2 journal".into(),
                actual: e.to_string().into(),
                kind: Default::default(),
            };
            cx.push(Some(code), Severity::Error, at, format!("journal:{slot:04} {what}"));
        }
    }
    Ok(())
}

/// Every journal must have the features of all the others (the kernel sets
/// them on each journal it loads; fsck.ocfs2, read-write only, sets the
/// union on the journals that lack some).
fn missing_features(cx: &mut Ctx<'_, '_>, features: &[(u64, u16, [u32; 3])]) {
    let union = features.iter().fold([0u32; 3], |u, (_, _, f)| [u[0] | f[0], u[1] | f[1], u[2] | f[2]]);
    let names = ["s_feature_compat", "s_feature_incompat", "s_feature_ro_compat"];
    for &(inode, slot, f) in features {
        if let Some(i) = (0..3).find(|&i| f[i] != union[i]) {
            cx.error(
                Some("JOURNAL_MISSING_FEATURE"),
                inode,
                "journal_superblock_t",
                names[i],
                format!("{:#x} (the features of all journals)", union[i]),
                format!("{:#x}", f[i]),
                format!(
                    "journal:{slot:04} lacks features other journals have (fsck.ocfs2 checks journals only read-write)"
                ),
            );
        }
    }
}
