//! The filesystem view over a [`Volume`](crate::Volume): extent maps, directory
//! iteration, path lookup and file reads.

mod dir;
mod dx;
mod extent_map;
mod file;
mod forensics;
mod path;
mod quota;
mod refcount;
mod tree;
mod xattr;

pub use dir::{dir_blocks, prefetch_entry_inodes, read_dir, read_dir_partial, DirBlock, DirEntryInfo, DirRecord};
pub use dx::{dx_entries, dx_free_list, dx_lookup, dx_seed, read_dx_leaf, DxLeafInfo, DxRoot, FreeBlock};
pub use extent_map::{Extent, ExtentMap, Mapping};
pub(crate) use file::Contents;
pub use file::{read_symlink, FileReader, Span, MAX_READ};
pub use forensics::{
    block_owners, block_owners_with, deleted_entries, deleted_inodes, deleted_inodes_with, inode_in_use, scan_inodes,
    scan_inodes_with, BlockOwner, BlockRole, BlockUse, DeletedEntry, DeletedInode, ScannedInode,
};
pub use path::{find_paths, find_paths_of, find_paths_with, lookup, lookup_name, resolve_spec};
pub use quota::{
    quota_charge, quota_enabled, read_global_quota, read_local_quota, read_quotas, recount_usage, DataBlockInfo, Dquot,
    GlobalQuota, IdUsage, LocalChunk, LocalEntry, LocalQuota, QuotaCharge, QuotaSet,
};
pub use refcount::{read_refcount_tree, refcount_tree_of, RefcountBlockInfo, RefcountTree, SharedRun};
pub use tree::{walk_tree, NameState, TreeEntry};
pub use xattr::{read_xattr_layout, read_xattrs, BucketInfo, Xattr, XattrPlace, XattrSet};
