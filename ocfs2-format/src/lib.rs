#![deny(missing_docs)]
//! Zero-copy, validated views of the OCFS2 cluster filesystem's on-disk format.
//!
//! Open a volume (an image file, a `.zst`-compressed image, or a block device, all
//! read-only), then walk it:
//!
//! ```
//! use ocfs2_format::{fs, Volume};
//! use std::io::Read;
//!
//! // A volume written by the Linux kernel, bundled with the sources.
//! let vol = Volume::open("../fixtures/A-default.img.zst".as_ref())?;
//! println!("label {:?}", String::from_utf8_lossy(vol.superblock().label()));
//! let root = vol.inode(vol.root_blkno())?;
//! for e in fs::read_dir(&vol, &root)? {
//!     println!("{:>8} {}", e.inode, String::from_utf8_lossy(&e.name));
//! }
//! let file = vol.inode(fs::lookup(&vol, "/small/hello.txt")?)?;
//! let mut text = String::new();
//! fs::FileReader::new(&vol, &file)?.read_to_string(&mut text)?;
//! assert_eq!(text, "hello ocfs2 from the linux kernel\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layers, one direction: [`io`] (bytes) → [`Volume`] (geometry, validated
//! blocks) → [`layout`] (typed views) → [`fs`] (paths, directories, files).

pub mod alloc;
pub mod check;
pub mod config;
pub mod error;
pub mod fs;
pub mod heartbeat;
pub mod image;
pub mod io;
pub mod journal;
pub mod layout;
pub mod mkfs;
pub mod volume;

#[cfg(test)]
mod test_util;

pub use error::{Corruption, Error, Result};
pub use volume::{Geometry, Inode, MetaKind, OpenOptions, Volume};
