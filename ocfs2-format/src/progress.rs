//! Progress and cancellation for long operations, through one callback type.
//!
//! Every long operation (opening a `.zst` image, `check`, the deleted-inode
//! scan, block-owner and path searches) has a `*_with` form taking an
//! [`OnProgress`] callback, and a plain form that reports nothing. The
//! callback gets a [`Progress`] now and then (never per block: a few thousand
//! calls at most) and returns [`ControlFlow::Break`] to cancel, after which the
//! operation returns [`Error::Cancelled`].
//!
//! ```
//! use std::ops::ControlFlow;
//! use ocfs2_format::progress::Progress;
//! use ocfs2_format::{Error, OpenOptions, Volume};
//!
//! let mut calls = 0;
//! let mut on = |p: Progress| {
//!     calls += 1;
//!     // Give up once a quarter of the image is decompressed.
//!     if p.total.is_some_and(|t| p.done * 4 > t) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
//! };
//! let r = Volume::open_with_progress("../fixtures/A-default.img.zst", OpenOptions::default(), &mut on);
//! assert!(matches!(r, Err(Error::Cancelled)));
//! assert!(calls > 1);
//! ```

use std::ops::ControlFlow;

use crate::error::{Error, Result};

/// What a long operation is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Task {
    /// Decompressing a `.zst` image; counts compressed bytes read.
    Decompress,
    /// A pass of [`crate::check::check`]; counts that pass's units.
    Check(crate::check::Pass),
    /// Scanning every inode allocator group (deleted inodes, block owners);
    /// counts allocator bits.
    ScanInodes,
    /// Walking the directory tree for the paths of an inode; counts
    /// directories (the total is unknown).
    FindPaths,
}

/// How far a long operation has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// What it is doing.
    pub task: Task,
    /// Units done.
    pub done: u64,
    /// Units in all, when known.
    pub total: Option<u64>,
}

/// The one callback type: gets each [`Progress`], returns
/// [`ControlFlow::Break`] to cancel.
pub type OnProgress<'a> = dyn FnMut(Progress) -> ControlFlow<()> + 'a;

/// A callback that ignores progress and never cancels (what the plain forms
/// pass).
pub fn ignore(_: Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Calls `on`; a cancel becomes [`Error::Cancelled`].
pub(crate) fn report(on: &mut OnProgress<'_>, task: Task, done: u64, total: Option<u64>) -> Result<()> {
    match on(Progress { task, done, total }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(Error::Cancelled),
    }
}
