//! `icheck BLK...`: the inode owning each block and the block's offset in it
//! (debugfs `icheck`), plus owners debugfs does not know (dx trees, xattr
//! storage, refcount blocks) and every sharer of a reflinked cluster.

use ocfs2_format::fs::{block_owners, BlockRole};
use ocfs2_format::Volume;
use serde::Serialize;

use super::{parse_blkno, CmdError};
use crate::render::{table, Out};

#[derive(Debug, Serialize)]
struct OwnerReport {
    /// The owning inode (block number).
    inode: u64,
    /// `superblock_zone`, `inode`, `data`, `extent_block`, `group_descriptor`,
    /// `dx_root`, `dx_leaf`, `xattr_block`, `xattr_bucket`, `xattr_value`,
    /// `refcount_block`.
    role: &'static str,
    /// Logical block in the file (data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    /// Whether debugfs.ocfs2 1.8.7 would name this owner.
    known_to_debugfs: bool,
}

/// `icheck --json`.
#[derive(Debug, Serialize)]
struct Icheck {
    /// One entry per block asked about, in the order given.
    blocks: Vec<BlockReport>,
}

#[derive(Debug, Serialize)]
struct BlockReport {
    /// The block asked about.
    blkno: u64,
    /// Set in the global bitmap.
    allocated: bool,
    /// `used`, `unused` (cluster free) or `unknown` (used, no owner found).
    status: &'static str,
    /// Every owner found (a reflinked cluster has one per sharer).
    owners: Vec<OwnerReport>,
}

fn role_name(r: BlockRole) -> (&'static str, Option<u64>) {
    match r {
        BlockRole::SuperblockZone => ("superblock_zone", None),
        BlockRole::Inode => ("inode", None),
        BlockRole::Data { offset } => ("data", Some(offset)),
        BlockRole::ExtentBlock => ("extent_block", None),
        BlockRole::GroupDescriptor => ("group_descriptor", None),
        BlockRole::DxRoot => ("dx_root", None),
        BlockRole::DxLeaf => ("dx_leaf", None),
        BlockRole::XattrBlock => ("xattr_block", None),
        BlockRole::XattrBucket => ("xattr_bucket", None),
        BlockRole::XattrValue => ("xattr_value", None),
        BlockRole::RefcountBlock => ("refcount_block", None),
    }
}

pub fn run(vol: &Volume, out: &Out, args: &[String]) -> Result<(), CmdError> {
    let blocks = args.iter().map(|a| parse_blkno(vol, a)).collect::<Result<Vec<_>, _>>()?;
    let uses = block_owners(vol, &blocks)?;
    let blocks = uses
        .iter()
        .map(|u| BlockReport {
            blkno: u.blkno,
            allocated: u.allocated,
            status: if !u.owners.is_empty() {
                "used"
            } else if !u.allocated {
                "unused"
            } else {
                "unknown"
            },
            owners: u
                .owners
                .iter()
                .map(|o| {
                    let (role, offset) = role_name(o.role);
                    OwnerReport { inode: o.inode, role, offset, known_to_debugfs: o.role.known_to_debugfs() }
                })
                .collect(),
        })
        .collect();
    out.emit(&Icheck { blocks }, |r| {
        let rows = r
            .blocks
            .iter()
            .map(|b| {
                let first = b.owners.first();
                let inode = match (first, b.status) {
                    (Some(o), _) => o.inode.to_string(),
                    (None, "unused") => "Unused".to_string(),
                    _ => "Unknown".to_string(),
                };
                let off = first.and_then(|o| o.offset).map(|o| o.to_string()).unwrap_or_default();
                let what = first.map(|o| o.role.replace('_', " ")).unwrap_or_default();
                let more = b
                    .owners
                    .iter()
                    .skip(1)
                    .map(|o| format!("{} ({})", o.inode, o.role.replace('_', " ")))
                    .collect::<Vec<_>>();
                vec![b.blkno.to_string(), inode, off, what, more.join(", ")]
            })
            .collect();
        table(&["Block#", "Inode", "Block Offset", "As", "Also"], rows, &[0, 2])
    })
}
