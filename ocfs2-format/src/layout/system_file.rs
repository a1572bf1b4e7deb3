//! System files by kind and name: the entries of the system directory
//! (`//global_bitmap`, `//journal:0003`, ...). One typed name here instead of
//! string literals wherever a system file is looked up or made.

use std::fmt;

use super::dinode::flags;

/// A kind of system file, in the kernel's `ocfs2_system_inodes[]` order: the
/// first seven are global (one per volume), the rest exist once per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SystemFileKind {
    /// `bad_blocks`.
    BadBlocks,
    /// `global_inode_alloc`.
    GlobalInodeAlloc,
    /// `slot_map`.
    SlotMap,
    /// `heartbeat`.
    Heartbeat,
    /// `global_bitmap`.
    GlobalBitmap,
    /// `aquota.user`.
    UserQuota,
    /// `aquota.group`.
    GroupQuota,
    /// `orphan_dir:N`.
    OrphanDir,
    /// `extent_alloc:N`.
    ExtentAlloc,
    /// `inode_alloc:N`.
    InodeAlloc,
    /// `journal:N`.
    Journal,
    /// `local_alloc:N`.
    LocalAlloc,
    /// `truncate_log:N`.
    TruncateLog,
    /// `aquota.user:N`.
    LocalUserQuota,
    /// `aquota.group:N`.
    LocalGroupQuota,
}

impl SystemFileKind {
    /// All kinds, in `ocfs2_system_inodes[]` order (the order mkfs gives them
    /// inode numbers).
    pub const ALL: [SystemFileKind; 15] = [
        SystemFileKind::BadBlocks,
        SystemFileKind::GlobalInodeAlloc,
        SystemFileKind::SlotMap,
        SystemFileKind::Heartbeat,
        SystemFileKind::GlobalBitmap,
        SystemFileKind::UserQuota,
        SystemFileKind::GroupQuota,
        SystemFileKind::OrphanDir,
        SystemFileKind::ExtentAlloc,
        SystemFileKind::InodeAlloc,
        SystemFileKind::Journal,
        SystemFileKind::LocalAlloc,
        SystemFileKind::TruncateLog,
        SystemFileKind::LocalUserQuota,
        SystemFileKind::LocalGroupQuota,
    ];

    /// The name without the slot suffix.
    pub const fn base_name(self) -> &'static str {
        match self {
            SystemFileKind::BadBlocks => "bad_blocks",
            SystemFileKind::GlobalInodeAlloc => "global_inode_alloc",
            SystemFileKind::SlotMap => "slot_map",
            SystemFileKind::Heartbeat => "heartbeat",
            SystemFileKind::GlobalBitmap => "global_bitmap",
            SystemFileKind::UserQuota | SystemFileKind::LocalUserQuota => "aquota.user",
            SystemFileKind::GroupQuota | SystemFileKind::LocalGroupQuota => "aquota.group",
            SystemFileKind::OrphanDir => "orphan_dir",
            SystemFileKind::ExtentAlloc => "extent_alloc",
            SystemFileKind::InodeAlloc => "inode_alloc",
            SystemFileKind::Journal => "journal",
            SystemFileKind::LocalAlloc => "local_alloc",
            SystemFileKind::TruncateLog => "truncate_log",
        }
    }

    /// One per volume (else one per slot).
    pub const fn is_global(self) -> bool {
        (self as usize) < 7
    }

    /// The inode flags the file carries beyond `VALID | SYSTEM`.
    pub const fn flags(self) -> u32 {
        match self {
            SystemFileKind::Journal => flags::JOURNAL,
            SystemFileKind::LocalAlloc => flags::BITMAP | flags::LOCAL_ALLOC,
            SystemFileKind::Heartbeat => flags::HEARTBEAT,
            SystemFileKind::GlobalBitmap
            | SystemFileKind::GlobalInodeAlloc
            | SystemFileKind::ExtentAlloc
            | SystemFileKind::InodeAlloc => flags::BITMAP | flags::CHAIN,
            SystemFileKind::TruncateLog => flags::DEALLOC,
            SystemFileKind::UserQuota
            | SystemFileKind::GroupQuota
            | SystemFileKind::LocalUserQuota
            | SystemFileKind::LocalGroupQuota => flags::QUOTA,
            SystemFileKind::BadBlocks | SystemFileKind::SlotMap | SystemFileKind::OrphanDir => 0,
        }
    }

    /// Whether the file is a directory (the orphan directories).
    pub const fn is_dir(self) -> bool {
        matches!(self, SystemFileKind::OrphanDir)
    }
}

/// One system file: its kind and, for a per-slot kind, its slot. Built with
/// [`SystemFile::global`] or [`SystemFile::slot`], which keep the slot present
/// exactly for per-slot kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SystemFile {
    kind: SystemFileKind,
    slot: u16,
}

impl SystemFile {
    /// `bad_blocks`.
    pub const BAD_BLOCKS: SystemFile = SystemFile::global(SystemFileKind::BadBlocks);
    /// `global_inode_alloc`.
    pub const GLOBAL_INODE_ALLOC: SystemFile = SystemFile::global(SystemFileKind::GlobalInodeAlloc);
    /// `slot_map`.
    pub const SLOT_MAP: SystemFile = SystemFile::global(SystemFileKind::SlotMap);
    /// `heartbeat`.
    pub const HEARTBEAT: SystemFile = SystemFile::global(SystemFileKind::Heartbeat);
    /// `global_bitmap`.
    pub const GLOBAL_BITMAP: SystemFile = SystemFile::global(SystemFileKind::GlobalBitmap);

    /// The global system file of `kind`; a per-slot kind gets slot 0 (the
    /// constructor is `const`, so it cannot refuse).
    pub const fn global(kind: SystemFileKind) -> SystemFile {
        SystemFile { kind, slot: 0 }
    }

    /// The system file of `kind` for `slot` (a global kind ignores the slot).
    pub const fn slot(kind: SystemFileKind, slot: u16) -> SystemFile {
        SystemFile { kind, slot: if kind.is_global() { 0 } else { slot } }
    }

    /// `journal:N`.
    pub const fn journal(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::Journal, slot)
    }

    /// `orphan_dir:N`.
    pub const fn orphan_dir(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::OrphanDir, slot)
    }

    /// `inode_alloc:N`.
    pub const fn inode_alloc(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::InodeAlloc, slot)
    }

    /// `extent_alloc:N`.
    pub const fn extent_alloc(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::ExtentAlloc, slot)
    }

    /// `local_alloc:N`.
    pub const fn local_alloc(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::LocalAlloc, slot)
    }

    /// `truncate_log:N`.
    pub const fn truncate_log(slot: u16) -> SystemFile {
        SystemFile::slot(SystemFileKind::TruncateLog, slot)
    }

    /// The kind.
    pub const fn kind(self) -> SystemFileKind {
        self.kind
    }

    /// The slot of a per-slot file; `None` for a global one.
    pub const fn slot_number(self) -> Option<u16> {
        if self.kind.is_global() {
            None
        } else {
            Some(self.slot)
        }
    }

    /// The name in the system directory: the base name, and `:NNNN` (four
    /// decimal digits) for a per-slot file.
    pub fn name(self) -> String {
        self.to_string()
    }

    /// The system file a system-directory name stands for, if any.
    pub fn parse(name: &str) -> Option<SystemFile> {
        let (base, slot) = match name.rsplit_once(':') {
            Some((base, digits)) => {
                if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (base, Some(digits.parse::<u16>().ok()?))
            }
            None => (name, None),
        };
        let kind =
            SystemFileKind::ALL.into_iter().find(|k| k.base_name() == base && k.is_global() == slot.is_none())?;
        Some(SystemFile::slot(kind, slot.unwrap_or(0)))
    }
}

impl fmt::Display for SystemFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.slot_number() {
            None => f.write_str(self.kind.base_name()),
            Some(s) => write!(f, "{}:{s:04}", self.kind.base_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in SystemFileKind::ALL {
            for slot in [0, 3, 254] {
                let f = SystemFile::slot(kind, slot);
                assert_eq!(SystemFile::parse(&f.name()), Some(f), "{f}");
            }
        }
        assert_eq!(SystemFile::orphan_dir(2).name(), "orphan_dir:0002");
        assert_eq!(SystemFile::GLOBAL_BITMAP.name(), "global_bitmap");
        assert_eq!(SystemFile::slot(SystemFileKind::LocalUserQuota, 1).name(), "aquota.user:0001");
        assert_eq!(SystemFile::slot(SystemFileKind::UserQuota, 1).name(), "aquota.user");
    }

    #[test]
    fn parse_refuses_what_is_no_system_file() {
        for name in ["journal", "global_bitmap:0000", "journal:12", "journal:+123", "lost+found", "journal:99999", ""] {
            assert_eq!(SystemFile::parse(name), None, "{name}");
        }
    }

    #[test]
    fn the_first_seven_kinds_are_global() {
        let global: Vec<bool> = SystemFileKind::ALL.iter().map(|k| k.is_global()).collect();
        assert_eq!(global, [[true; 7].as_slice(), &[false; 8]].concat());
    }
}
