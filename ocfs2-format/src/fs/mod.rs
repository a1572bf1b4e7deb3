//! The filesystem view over a [`Volume`](crate::Volume): extent maps, directory
//! iteration, path lookup and file reads.

mod dir;
mod extent_map;
mod file;
mod path;

pub use dir::{read_dir, DirEntryInfo};
pub use extent_map::{Extent, ExtentMap, Mapping};
pub use file::{read_symlink, FileReader, Span, MAX_READ};
pub use path::{find_paths, lookup, resolve_spec};
