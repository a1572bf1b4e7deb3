//! The superblock (`ocfs2_super_block`), held in `id2` of the dinode at block 2,
//! its feature bits, and where its backups live.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{assert_size, cstr, Le16, Le32, Le64};

/// Signature of the superblock dinode (and its backups).
pub const SUPERBLOCK_SIGNATURE: &[u8; 8] = b"OCFSV2\0\0";
/// Block number of the primary superblock, in fs blocks.
pub const SUPERBLOCK_BLKNO: u64 = 2;
/// Smallest and largest `s_blocksize_bits`.
pub const BLOCKSIZE_BITS: std::ops::RangeInclusive<u32> = 9..=12;
/// Smallest and largest `s_clustersize_bits`.
pub const CLUSTERSIZE_BITS: std::ops::RangeInclusive<u32> = 12..=20;
/// The largest number of node slots.
pub const MAX_SLOTS: u16 = 255;
/// Number of backup superblock locations.
pub const NUM_BACKUPS: usize = 6;

/// Byte offset of backup superblock `n` (0-based): 1 GiB, 4 GiB, ... 1 TiB.
pub const fn backup_offset(n: usize) -> u64 {
    (1u64 << 30) << (2 * n)
}

/// Compat feature bits (`s_feature_compat`).
pub mod compat {
    /// Backup superblocks are present.
    pub const BACKUP_SB: u32 = 0x1;
    /// The journal superblock must be JBD2 (strict-journal-super).
    pub const JBD2_SB: u32 = 0x2;
    /// Every bit this crate understands.
    pub const KNOWN: u32 = BACKUP_SB | JBD2_SB;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[(BACKUP_SB, "backup-super"), (JBD2_SB, "strict-journal-super")];
}

/// Incompat feature bits (`s_feature_incompat`).
pub mod incompat {
    /// A heartbeat-only device.
    pub const HEARTBEAT_DEV: u32 = 0x2;
    /// An interrupted resize.
    pub const RESIZE_INPROG: u32 = 0x4;
    /// Local (single node) mount.
    pub const LOCAL_MOUNT: u32 = 0x8;
    /// Sparse files.
    pub const SPARSE_ALLOC: u32 = 0x10;
    /// An interrupted tunefs.
    pub const TUNEFS_INPROG: u32 = 0x20;
    /// Inline data in inodes.
    pub const INLINE_DATA: u32 = 0x40;
    /// A userspace cluster stack.
    pub const USERSPACE_STACK: u32 = 0x80;
    /// Extended slot map entries.
    pub const EXTENDED_SLOT_MAP: u32 = 0x100;
    /// Extended attributes.
    pub const XATTR: u32 = 0x200;
    /// Indexed directories.
    pub const INDEXED_DIRS: u32 = 0x400;
    /// Metadata checksums and ECC.
    pub const META_ECC: u32 = 0x800;
    /// Reflinks through refcount trees.
    pub const REFCOUNT_TREE: u32 = 0x1000;
    /// Discontiguous block groups.
    pub const DISCONTIG_BG: u32 = 0x2000;
    /// Cluster stack information in the superblock.
    pub const CLUSTERINFO: u32 = 0x4000;
    /// Append direct I/O.
    pub const APPEND_DIO: u32 = 0x8000;
    /// Every bit this crate understands.
    pub const KNOWN: u32 = 0xfffe;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (HEARTBEAT_DEV, "heartbeat-device"),
        (RESIZE_INPROG, "aborted-resize"),
        (LOCAL_MOUNT, "local"),
        (SPARSE_ALLOC, "sparse"),
        (EXTENDED_SLOT_MAP, "extended-slotmap"),
        (TUNEFS_INPROG, "aborted-tunefs"),
        (USERSPACE_STACK, "userspace-stack"),
        (INLINE_DATA, "inline-data"),
        (META_ECC, "metaecc"),
        (XATTR, "xattr"),
        (INDEXED_DIRS, "indexed-dirs"),
        (REFCOUNT_TREE, "refcount"),
        (DISCONTIG_BG, "discontig-bg"),
        (CLUSTERINFO, "clusterinfo"),
        (APPEND_DIO, "append-dio"),
    ];
}

/// Read-only compat feature bits (`s_feature_ro_compat`).
pub mod ro_compat {
    /// Unwritten (preallocated) extents.
    pub const UNWRITTEN: u32 = 0x1;
    /// User quotas.
    pub const USRQUOTA: u32 = 0x2;
    /// Group quotas.
    pub const GRPQUOTA: u32 = 0x4;
    /// Every bit this crate understands.
    pub const KNOWN: u32 = UNWRITTEN | USRQUOTA | GRPQUOTA;
    /// Names in the order debugfs.ocfs2 prints them.
    pub const NAMES: &[(u32, &str)] = &[(UNWRITTEN, "unwritten"), (USRQUOTA, "usrquota"), (GRPQUOTA, "grpquota")];
}

/// Names the set bits of `value` from `names`, in table order; unnamed bits are `unknown`.
pub fn feature_names(value: u32, names: &[(u32, &'static str)]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = names.iter().filter(|(b, _)| value & b != 0).map(|(_, n)| *n).collect();
    let known = names.iter().fold(0, |acc, (b, _)| acc | b);
    if value & !known != 0 {
        out.push("unknown");
    }
    out
}

/// `s_tunefs_flag` bits.
pub mod tunefs_flag {
    /// Slot removal in progress.
    pub const REMOVE_SLOT: u16 = 0x1;
    /// Directory trailer conversion in progress.
    pub const DIR_TRAILER: u16 = 0x2;
    /// Names in the order debugfs.ocfs2 prints them (for [`super::feature_names`]).
    pub const NAMES: &[(u32, &str)] = &[(REMOVE_SLOT as u32, "remove-slot"), (DIR_TRAILER as u32, "dir-trailer")];
}

/// `ci_stackflags` bit: o2cb global heartbeat.
pub const CLUSTER_O2CB_GLOBAL_HEARTBEAT: u8 = 0x1;
/// Names of the `ci_stackflags` bits of the o2cb stack, as debugfs.ocfs2 prints
/// them (for [`feature_names`]; the bits mean nothing to other stacks).
pub const CLUSTER_O2CB_FLAG_NAMES: &[(u32, &str)] = &[(CLUSTER_O2CB_GLOBAL_HEARTBEAT as u32, "Globalheartbeat")];

/// `ocfs2_cluster_info`: the cluster stack a volume belongs to.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct ClusterInfo {
    /// Stack name, e.g. `o2cb`, `pcmk` (not NUL terminated).
    pub ci_stack: [u8; 4],
    /// Stack flags (bit 0: global heartbeat).
    pub ci_stackflags: u8,
    /// Reserved.
    pub ci_reserved: [u8; 3],
    /// Cluster name, NUL padded.
    pub ci_cluster: [u8; 16],
}
assert_size!(ClusterInfo, 24);

/// `ocfs2_super_block` (320 bytes at dinode offset 192).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct SuperBlock {
    pub s_major_rev_level: Le16,
    pub s_minor_rev_level: Le16,
    pub s_mnt_count: Le16,
    pub s_max_mnt_count: Le16,
    pub s_state: Le16,
    pub s_errors: Le16,
    pub s_checkinterval: Le32,
    pub s_lastcheck: Le64,
    pub s_creator_os: Le32,
    pub s_feature_compat: Le32,
    pub s_feature_incompat: Le32,
    pub s_feature_ro_compat: Le32,
    pub s_root_blkno: Le64,
    pub s_system_dir_blkno: Le64,
    pub s_blocksize_bits: Le32,
    pub s_clustersize_bits: Le32,
    pub s_max_slots: Le16,
    pub s_tunefs_flag: Le16,
    pub s_uuid_hash: Le32,
    pub s_first_cluster_group: Le64,
    pub s_label: [u8; 64],
    pub s_uuid: [u8; 16],
    pub s_cluster_info: ClusterInfo,
    pub s_xattr_inline_size: Le16,
    pub s_reserved0: Le16,
    pub s_dx_seed: [Le32; 3],
    pub s_reserved2: [Le64; 15],
}
assert_size!(SuperBlock, 320);

impl SuperBlock {
    /// The label without NUL padding.
    pub fn label(&self) -> &[u8] {
        cstr(&self.s_label)
    }

    /// The UUID as 32 upper-case hex digits, as debugfs.ocfs2 prints it.
    pub fn uuid_hex(&self) -> String {
        self.s_uuid.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// Whether an incompat bit is set.
    pub fn has_incompat(&self, bit: u32) -> bool {
        self.s_feature_incompat.get() & bit != 0
    }

    /// Whether a ro-compat bit is set.
    pub fn has_ro_compat(&self, bit: u32) -> bool {
        self.s_feature_ro_compat.get() & bit != 0
    }

    /// Whether a compat bit is set.
    pub fn has_compat(&self, bit: u32) -> bool {
        self.s_feature_compat.get() & bit != 0
    }

    /// The cluster stack name when the superblock records one
    /// (CLUSTERINFO or USERSPACE_STACK), else `None` (classic o2cb or local).
    pub fn cluster_stack(&self) -> Option<&[u8]> {
        (self.has_incompat(incompat::CLUSTERINFO) || self.has_incompat(incompat::USERSPACE_STACK))
            .then(|| cstr(&self.s_cluster_info.ci_stack))
    }

    /// Whether the recorded stack is o2cb (`ocfs2_o2cb_stack`): only then do the
    /// `ci_stackflags` bits have names.
    pub fn is_o2cb_stack(&self) -> bool {
        self.cluster_stack() == Some(b"o2cb".as_slice())
    }

    /// The cluster name when the superblock records a stack.
    pub fn cluster_name(&self) -> Option<&[u8]> {
        self.cluster_stack().map(|_| cstr(&self.s_cluster_info.ci_cluster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        // format.md §2.5, ocfs2_super_block
        assert_eq!(offset_of!(SuperBlock, s_feature_compat), 28);
        assert_eq!(offset_of!(SuperBlock, s_root_blkno), 40);
        assert_eq!(offset_of!(SuperBlock, s_system_dir_blkno), 48);
        assert_eq!(offset_of!(SuperBlock, s_blocksize_bits), 56);
        assert_eq!(offset_of!(SuperBlock, s_max_slots), 64);
        assert_eq!(offset_of!(SuperBlock, s_uuid_hash), 68);
        assert_eq!(offset_of!(SuperBlock, s_first_cluster_group), 72);
        assert_eq!(offset_of!(SuperBlock, s_label), 80);
        assert_eq!(offset_of!(SuperBlock, s_uuid), 144);
        assert_eq!(offset_of!(SuperBlock, s_cluster_info), 160);
        assert_eq!(offset_of!(SuperBlock, s_xattr_inline_size), 184);
        assert_eq!(offset_of!(SuperBlock, s_dx_seed), 188);
        assert_eq!(offset_of!(SuperBlock, s_reserved2), 200);
        assert_eq!(offset_of!(ClusterInfo, ci_stackflags), 4);
        assert_eq!(offset_of!(ClusterInfo, ci_cluster), 8);
    }

    #[test]
    fn backup_offsets() {
        let gib = 1u64 << 30;
        let want = [gib, 4 * gib, 16 * gib, 64 * gib, 256 * gib, 1024 * gib];
        for (n, w) in want.iter().enumerate() {
            assert_eq!(backup_offset(n), *w);
        }
    }
}
