//! A metadata block shown although its checks fail (`Volume::read_meta_unchecked`),
//! and the marker lines that say so.
//!
//! debugfs.ocfs2 1.8.7 prints such a block and marks only a failed checksum, after
//! the stored one: `**FAILED CHECKSUM** Computed CRC32: X   ECC: Y`. It shows a
//! wrong self block number or fs generation unmarked (its reads check neither);
//! we add a marker of the same shape for each, naming what the block records.

use ocfs2_format::MetaFaults;
use serde::Serialize;

/// What the checks of a block shown anyway found.
#[derive(Debug, Serialize)]
pub struct Damage {
    /// The CRC32 computed over the block as read, when it differs from the stored
    /// one and ECC could not repair the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computed_crc32: Option<u32>,
    /// The hamming code computed over the block as read, beside `computed_crc32`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computed_ecc: Option<u16>,
    /// The block number the block records, when it is not the block read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_blkno: Option<u64>,
    /// The fs generation the block records, when it is not the volume's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_fs_generation: Option<u32>,
}

/// The damage `faults` describe, `None` for a block that passed every check.
pub fn of(faults: &MetaFaults) -> Option<Damage> {
    (!faults.is_clean()).then(|| Damage {
        computed_crc32: faults.checksum.map(|f| f.computed_crc),
        computed_ecc: faults.checksum.map(|f| f.computed_ecc),
        recorded_blkno: faults.blkno,
        recorded_fs_generation: faults.fs_generation,
    })
}

/// `rendered` with the marker lines of `damage` after its `CRC32:` line (at the
/// end when it has none), indented like that line.
pub fn mark(rendered: String, damage: Option<&Damage>) -> String {
    let Some(d) = damage else { return rendered };
    let crc_line = rendered.lines().position(|l| l.trim_start().starts_with("CRC32:"));
    let indent =
        crc_line.and_then(|i| rendered.lines().nth(i)).map_or("", |l| &l[..l.len() - l.trim_start().len()]).to_string();
    let markers: Vec<String> = markers(d).into_iter().map(|m| format!("{indent}{m}")).collect();
    let mut lines: Vec<&str> = rendered.lines().collect();
    let at = crc_line.map_or(lines.len(), |i| i + 1);
    lines.splice(at..at, markers.iter().map(String::as_str));
    let mut s = lines.join("\n");
    if rendered.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The marker lines of `d`, unindented.
pub fn markers(d: &Damage) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(crc), Some(ecc)) = (d.computed_crc32, d.computed_ecc) {
        out.push(format!("**FAILED CHECKSUM** Computed CRC32: {crc:08x}   ECC: {ecc:04x}"));
    }
    if let Some(b) = d.recorded_blkno {
        out.push(format!("**WRONG BLKNO** Recorded: {b}"));
    }
    if let Some(g) = d.recorded_fs_generation {
        out.push(format!("**WRONG FS GENERATION** Recorded: {g} ({g:#x})"));
    }
    out
}
