#![deny(missing_docs)]
//! Read OCFS2 volumes (the Oracle cluster filesystem) from images, `.zst`
//! images and block devices, without the kernel, and never writing.
//!
//! Start with [`Volume`] and its `std::fs`-shaped methods (module [`files`]):
//!
//! ```
//! use ocfs2_format::Volume;
//! use std::io::Read;
//!
//! // A volume written by the Linux kernel, bundled with the sources.
//! let vol = Volume::open("../fixtures/A-default.img.zst")?;
//! println!("label {}", vol.label());
//! for entry in vol.read_dir("/")? {
//!     let entry = entry?;
//!     println!("{:>8} {:?} {:?}", entry.ino(), entry.file_type(), entry.file_name());
//! }
//! let meta = vol.metadata("/small/hello.txt")?;
//! assert_eq!(meta.len(), 34);
//! let mut text = String::new();
//! vol.open_file("/small/hello.txt")?.read_to_string(&mut text)?;
//! assert_eq!(text, "hello ocfs2 from the linux kernel\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Below the facade, layers run one way: [`io`] (bytes) → [`Volume`] (geometry,
//! validated blocks) → [`layout`] (typed views of every on-disk structure) →
//! [`fs`] (extent maps, directories, xattrs, forensic walks) → [`files`] (the
//! facade). [`check`], [`alloc`], [`journal`] and [`cluster`] answer the
//! questions fsck.ocfs2, debugfs.ocfs2 and o2cb ask. Every failure is one
//! [`Error`], typed by cause.
//!
//! The optional `serde` feature (off by default) derives `serde::Serialize` on
//! the report types a program prints (lock names and lock statistics, a file's
//! space usage and shared runs, the orphans recovery would delete, the check's
//! counts) and adds module `serialize`
//! with the rules they follow: a 64-bit value that can pass 2^53 is a decimal
//! string, a name stored as bytes is UTF-8 text. Their doc comments are the
//! schema of what they serialize to.
#![deny(unsafe_code)]

pub mod alloc;
pub mod check;
pub mod cluster;
pub mod config;
pub mod error;
pub mod files;
pub mod forensics;
pub mod fs;
pub mod image;
pub mod intake;
pub mod io;
pub mod journal;
pub mod layout;
pub mod locks;
pub mod mkfs;
pub mod progress;
pub mod quota;
#[cfg(feature = "serde")]
pub mod serialize;
pub mod volume;

#[cfg(test)]
mod test_util;

pub use error::{Corruption, CorruptionKind, Error, InvalidKind, Result, Value};
pub use files::{Acl, DirEntry, File, FileType, Metadata, ReadDir, Run, StatFs, XattrEntry};
pub use layout::system_file::SystemFile;
pub use volume::{CheckedBlock, Geometry, Inode, MetaFaults, OpenOptions, Volume};
// Low-level: kept at the root for existing users, documented in `volume`.
#[doc(hidden)]
pub use volume::MetaKind;

/// The types a program starts from, for a glob import:
/// `use ocfs2_format::prelude::*;`. Low-level views stay in their modules.
pub mod prelude {
    pub use crate::files::{
        DeletedEntry, DeletedInode, DirEntry, File, FileType, Metadata, ReadDir, Run, StatFs, Walk, WalkEntry,
        XattrEntry,
    };
    pub use crate::{Error, OpenOptions, Result, Volume};
}

/// `Volume` is shared between threads (a FUSE daemon's workers, Python threads):
/// every read takes `&self`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Volume>();
    assert_send_sync::<File<std::sync::Arc<Volume>>>();
    assert_send_sync::<ReadDir<'static>>();
};
