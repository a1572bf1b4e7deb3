//! Saved copies of the kernel's lock-state debug files, parsed: the file
//! system's (`/sys/kernel/debug/ocfs2/<uuid>/locking_state`, what
//! debugfs.ocfs2 `fs_locks` reads) and o2dlm's
//! (`/sys/kernel/debug/o2dlm/<uuid>/locking_state`, `dlm_locks`).
//!
//! `fs_locks` lines are tab-separated: the format version (`0x3`, `0x4`), the
//! lock name, level, flags, pending action and unlock action, read-only and
//! exclusive holders, requested and blocking levels, the 64 LVB bytes, then
//! (from version 2) the statistics: PR and EX gets and failures, total and
//! maximum waits (µs from version 3), disk refreshes, and from version 4 the
//! last PR and EX unlock times and the first wait.
//!
//! o2dlm's file is one record per lock resource: `NAME:`, `LRES:`, `RMAP:`,
//! `LVBX:` and one `LOCK:` line per lock on its granted, converting or
//! blocked list.

use crate::error::{Error, InvalidKind, Result};
use crate::layout::lockname::LockName;

/// Bytes of a lock value block.
pub const LVB_LEN: usize = 64;
/// Lines longer than this are not the kernel's.
const MAX_LINE: usize = 4096;

/// `l_flags` bits (dlmglue.h), with their names as debugfs.ocfs2 prints them.
pub const FS_LOCK_FLAGS: [(u64, &str); 12] = [
    (0x1, "Attached"),
    (0x2, "Busy"),
    (0x4, "Blocked"),
    (0x8, "Local"),
    (0x10, "Needs Refresh"),
    (0x20, "Refreshing"),
    (0x40, "Initialized"),
    (0x80, "Freeing"),
    (0x100, "Queued"),
    (0x200, "NoCache"),
    (0x400, "Pending"),
    (0x800, "Upconvert Finishing"),
];
/// The `Busy` flag: a request is in flight (debugfs.ocfs2 `fs_locks -B`).
pub const FS_LOCK_BUSY: u64 = 0x2;

/// The name of a DLM mode (`l_level`, `l_requested`, `l_blocking`).
pub fn mode_name(level: i32) -> &'static str {
    match level {
        -1 => "Invalid",
        0 => "Null",
        1 => "Concurrent Read",
        2 => "Concurrent Write",
        3 => "Protected Read",
        4 => "Protected Write",
        5 => "Exclusive",
        _ => "Unknown",
    }
}

/// Lock statistics (format version 2 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FsLockStats {
    /// PR requests granted, EX requests granted, and the failures of each.
    pub pr_gets: u32,
    /// See `pr_gets`.
    pub ex_gets: u32,
    /// See `pr_gets`.
    pub pr_fails: u32,
    /// See `pr_gets`.
    pub ex_fails: u32,
    /// Total wait for PR and EX (µs from version 3, ns before); serialized as
    /// decimal strings, as totals can pass 2^53.
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serialize::exact"))]
    pub pr_total_wait: u64,
    /// See `pr_total_wait`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serialize::exact"))]
    pub ex_total_wait: u64,
    /// Longest single wait for PR and EX.
    pub pr_max_wait: u32,
    /// See `pr_max_wait`.
    pub ex_max_wait: u32,
    /// Times the inode was re-read from disk under the lock.
    pub disk_refreshes: u32,
    /// Version 4: last PR and EX unlock times, and the start of the current
    /// wait (µs since the epoch; 0 when none).
    pub pr_last: Option<u64>,
    /// See `pr_last`.
    pub ex_last: Option<u64>,
    /// See `pr_last`.
    pub wait_start: Option<u64>,
}

/// One lock resource of the file system's debug file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsLock {
    /// Format version of the line.
    pub version: u32,
    /// The name as printed.
    pub name: String,
    /// Its type and block, when the name parses.
    pub lock: Option<LockName>,
    /// Granted mode.
    pub level: i32,
    /// `l_flags`.
    pub flags: u64,
    /// Pending action and unlock action.
    pub action: u32,
    /// See `action`.
    pub unlock_action: u32,
    /// Holders in read-only and exclusive mode.
    pub ro_holders: u32,
    /// See `ro_holders`.
    pub ex_holders: u32,
    /// Mode requested, and the mode another node blocks on.
    pub requested: i32,
    /// See `requested`.
    pub blocking: i32,
    /// The lock value block.
    pub lvb: Vec<u8>,
    /// Statistics (version 2 on).
    pub stats: Option<FsLockStats>,
}

fn num<T: std::str::FromStr>(s: &str, what: &str, line: usize) -> Result<T> {
    let t = s.trim();
    let parsed = match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok().and_then(|v| v.to_string().parse().ok()),
        None => t.parse().ok(),
    };
    parsed.ok_or_else(|| Error::invalid(InvalidKind::Syntax, format!("line {line}: {what} {t:?} is not a number")))
}

/// Parses the file system's `locking_state` (versions 1 to 4).
pub fn parse_fs_locks(text: &str) -> Result<Vec<FsLock>> {
    let mut locks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > MAX_LINE {
            return Err(Error::invalid(InvalidKind::Syntax, format!("line {n}: longer than {MAX_LINE} bytes")));
        }
        let f: Vec<&str> = line.trim_end().split('\t').collect();
        let version: u32 = num(f[0], "version", n)?;
        if !(1..=4).contains(&version) {
            return Err(Error::invalid(
                InvalidKind::Syntax,
                format!("line {n}: fs_locks format version {version} is not 1 to 4"),
            ));
        }
        let stats_fields = match version {
            1 => 0,
            2 | 3 => 9,
            _ => 12,
        };
        let want = 10 + LVB_LEN + stats_fields;
        if f.len() < want {
            return Err(Error::invalid(
                InvalidKind::Syntax,
                format!("line {n}: {} fields, version {version} has {want}", f.len()),
            ));
        }
        let lvb = f[10..10 + LVB_LEN].iter().map(|v| num::<u8>(v, "LVB byte", n)).collect::<Result<Vec<u8>>>()?;
        let s = &f[10 + LVB_LEN..];
        let stats = if stats_fields == 0 {
            None
        } else {
            Some(FsLockStats {
                pr_gets: num(s[0], "PR gets", n)?,
                ex_gets: num(s[1], "EX gets", n)?,
                pr_fails: num(s[2], "PR fails", n)?,
                ex_fails: num(s[3], "EX fails", n)?,
                pr_total_wait: num(s[4], "PR total", n)?,
                ex_total_wait: num(s[5], "EX total", n)?,
                pr_max_wait: num(s[6], "PR max", n)?,
                ex_max_wait: num(s[7], "EX max", n)?,
                disk_refreshes: num(s[8], "refreshes", n)?,
                pr_last: if version >= 4 { Some(num(s[9], "PR last", n)?) } else { None },
                ex_last: if version >= 4 { Some(num(s[10], "EX last", n)?) } else { None },
                wait_start: if version >= 4 { Some(num(s[11], "wait", n)?) } else { None },
            })
        };
        locks.push(FsLock {
            version,
            name: f[1].to_string(),
            lock: LockName::parse(f[1]).ok(),
            level: num(f[2], "level", n)?,
            flags: num(f[3], "flags", n)?,
            action: num(f[4], "action", n)?,
            unlock_action: num(f[5], "unlock action", n)?,
            ro_holders: num(f[6], "RO holders", n)?,
            ex_holders: num(f[7], "EX holders", n)?,
            requested: num(f[8], "requested", n)?,
            blocking: num(f[9], "blocking", n)?,
            lvb,
            stats,
        });
    }
    Ok(locks)
}

/// One lock on an o2dlm lock resource (a `LOCK:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlmLock {
    /// 0 granted, 1 converting, 2 blocked.
    pub list: u32,
    /// Mode held, and the mode it converts to (-1 none).
    pub mode: i32,
    /// See `mode`.
    pub convert_mode: i32,
    /// The node holding it.
    pub node: u32,
    /// Its cookie, `node:sequence`.
    pub cookie: String,
    /// On the AST and BAST lists.
    pub ast_list: bool,
    /// See `ast_list`.
    pub bast_list: bool,
    /// Pending: AST, BAST, convert, lock, cancel, unlock (in that order).
    pub pending: [bool; 6],
    /// References held on the lock.
    pub refs: u32,
}

/// One o2dlm lock resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlmLockres {
    /// The name as printed.
    pub name: String,
    /// Its type and block, when the name parses.
    pub lock: Option<LockName>,
    /// `LRES:` fields: the master node (255 unknown), state bits, last use
    /// (jiffies), on the purge, dirty and recovering lists, in-flight locks,
    /// migration pending, ASTs reserved, references.
    pub owner: u32,
    /// See `owner`.
    pub state: u32,
    /// See `owner`.
    pub last_used: u64,
    /// See `owner`.
    pub lists: [bool; 3],
    /// See `owner`.
    pub inflight: u32,
    /// See `owner`.
    pub migration_pending: bool,
    /// See `owner`.
    pub asts_reserved: u32,
    /// See `owner`.
    pub refs: u32,
    /// Nodes holding references (`RMAP:`), as printed.
    pub refmap: String,
    /// The LVB (`LVBX:`), as printed.
    pub lvb: String,
    /// Its locks.
    pub locks: Vec<DlmLock>,
}

/// Parses o2dlm's `locking_state` (record version 1).
pub fn parse_dlm_locks(text: &str) -> Result<Vec<DlmLockres>> {
    let mut res: Vec<DlmLockres> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.len() > MAX_LINE {
            return Err(Error::invalid(InvalidKind::Syntax, format!("line {n}: longer than {MAX_LINE} bytes")));
        }
        let line = line.trim_end();
        let Some((tag, rest)) = line.split_once(':') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(Error::invalid(InvalidKind::Syntax, format!("line {n}: no TAG: {line:?}")));
        };
        if tag == "NAME" {
            res.push(DlmLockres {
                name: rest.to_string(),
                lock: LockName::parse(rest).ok(),
                owner: 0,
                state: 0,
                last_used: 0,
                lists: [false; 3],
                inflight: 0,
                migration_pending: false,
                asts_reserved: 0,
                refs: 0,
                refmap: String::new(),
                lvb: String::new(),
                locks: Vec::new(),
            });
            continue;
        }
        let cur = res
            .last_mut()
            .ok_or_else(|| Error::invalid(InvalidKind::Syntax, format!("line {n}: {tag} before any NAME")))?;
        let fields = |want: usize| -> Result<Vec<&str>> {
            let f: Vec<&str> = rest.split(',').collect();
            if f.len() < want {
                return Err(Error::invalid(
                    InvalidKind::Syntax,
                    format!("line {n}: {tag} has {} fields, not {want}", f.len()),
                ));
            }
            Ok(f)
        };
        let flag = |s: &str, what: &str| -> Result<bool> { Ok(num::<u32>(s, what, n)? != 0) };
        match tag {
            "LRES" => {
                let f = fields(11)?;
                cur.owner = num(f[1], "owner", n)?;
                cur.state = num(f[2], "state", n)?;
                cur.last_used = num(f[3], "last used", n)?;
                cur.lists = [flag(f[4], "purge")?, flag(f[5], "dirty")?, flag(f[6], "recovering")?];
                cur.inflight = num(f[7], "inflight", n)?;
                cur.migration_pending = flag(f[8], "migration pending")?;
                cur.asts_reserved = num(f[9], "asts reserved", n)?;
                cur.refs = num(f[10], "refs", n)?;
            }
            "RMAP" => cur.refmap = rest.to_string(),
            "LVBX" => cur.lvb = rest.to_string(),
            "LOCK" => {
                let f = fields(15)?;
                let mut pending = [false; 6];
                for (k, p) in pending.iter_mut().enumerate() {
                    *p = flag(f[8 + k], "pending bit")?;
                }
                cur.locks.push(DlmLock {
                    list: num(f[1], "list", n)?,
                    mode: num(f[2], "mode", n)?,
                    convert_mode: num(f[3], "convert mode", n)?,
                    node: num(f[4], "node", n)?,
                    cookie: f[5].to_string(),
                    ast_list: flag(f[6], "AST list")?,
                    bast_list: flag(f[7], "BAST list")?,
                    pending,
                    refs: num(f[14], "refs", n)?,
                });
            }
            _ => {} // later versions may add lines
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs_line(version: u32, name: &str, stats: &[&str]) -> String {
        let mut f = vec![format!("0x{version:x}"), name.to_string()];
        f.extend(["3", "0x41", "0x0", "0x0", "1", "0", "3", "-1"].map(String::from));
        f.extend((0..LVB_LEN).map(|i| format!("0x{:x}", i % 7)));
        f.extend(stats.iter().map(|s| s.to_string()));
        f.join("\t") + "\t\n"
    }

    #[test]
    fn fs_locks_v3_and_v4() {
        let v3 = fs_line(3, "M000000000000000000000b6f931af3", &["12", "0", "0", "0", "40", "0", "9", "0", "1"]);
        let v4 = fs_line(
            4,
            "N000000000000000500002a18",
            &["1", "2", "0", "0", "5", "6", "3", "4", "0", "1700000000000000", "0", "0"],
        );
        let locks = parse_fs_locks(&(v3 + &v4)).expect("parses");
        assert_eq!(locks.len(), 2);
        assert_eq!(locks[0].lock.map(|l| l.blkno), Some(0xb));
        assert_eq!(locks[0].stats.map(|s| (s.pr_gets, s.pr_last)), Some((12, None)));
        assert_eq!(locks[0].flags, 0x41);
        assert_eq!(locks[1].lock.map(|l| (l.parent, l.blkno)), Some((Some(5), 0x2a18)));
        assert_eq!(locks[1].stats.and_then(|s| s.pr_last), Some(1_700_000_000_000_000));
        assert_eq!(locks[1].lvb[6], 6);
    }

    #[test]
    fn fs_locks_rejects() {
        assert!(parse_fs_locks("0x9\tM\n").is_err());
        assert!(parse_fs_locks("0x3\tM0000000000000000000005980f5f66\t3\n").is_err());
        assert!(parse_fs_locks("zz\n").is_err());
    }

    #[test]
    fn dlm_locks() {
        let text = "NAME:M0000000000000000000005980f5f66\nLRES:1,0,0,0,0,0,0,0,0,0,3\nRMAP:1\nLVBX:0\n\
                    LOCK:1,0,3,-1,0,0:11,0,0,0,0,0,0,0,0,2\nLOCK:1,1,0,5,1,1:4,0,0,0,0,0,0,0,0,2\n";
        let r = parse_dlm_locks(text).expect("parses");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lock.map(|l| l.blkno), Some(5));
        assert_eq!(r[0].locks.len(), 2);
        assert_eq!((r[0].locks[1].list, r[0].locks[1].convert_mode, r[0].locks[1].node), (1, 5, 1));
        assert_eq!((r[0].locks[1].cookie.as_str(), r[0].refs), ("1:4", 3));
        assert!(parse_dlm_locks("LOCK:1,0\n").is_err());
    }
}
