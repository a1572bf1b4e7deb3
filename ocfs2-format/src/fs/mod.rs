//! The filesystem view over a [`Volume`](crate::Volume): extent maps, directory
//! iteration, path lookup and file reads.

mod dir;
mod dx;
mod extent_map;
mod file;
mod path;
mod refcount;
mod system;
mod xattr;

pub(crate) use dir::prefetch_inodes;
pub use dir::{
    dir_blocks, prefetch_entry_inodes, read_dir, read_dir_partial, DirBlock, DirEntryInfo, DirRecord, DirStream,
};
pub use dx::{dx_entries, dx_free_list, dx_lookup, dx_seed, read_dx_leaf, DxLeafInfo, DxRoot, FreeBlock};
pub use extent_map::{Extent, ExtentMap, Mapping};
pub(crate) use file::Contents;
pub use file::{read_symlink, FileReader, Span, MAX_READ};
pub use path::{find_paths, find_paths_of, find_paths_with, lookup, lookup_name, resolve_spec};
pub use refcount::{read_refcount_tree, refcount_tree_of, RefcountBlockInfo, RefcountTree, SharedRun};
pub use xattr::{
    read_xattr_layout, read_xattrs, read_xattrs_named, read_xattrs_unchecked, BucketInfo, Xattr, XattrPlace, XattrSet,
};
