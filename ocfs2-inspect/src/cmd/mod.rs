//! One module per command. Commands resolve specs, call the library and build a
//! serializable report; `render` prints it.

use std::fmt;

pub mod admin;
pub mod bmap;
pub mod bug_report;
pub mod check;
pub mod common;
pub mod config;
pub mod dump;
pub mod dx;
pub mod export;
pub mod findpath;
pub mod frag;
pub mod group;
pub mod hb;
pub mod icheck;
pub mod intake;
pub mod logdump;
pub mod ls;
pub mod lsdel;
pub mod map;
pub mod meta;
pub mod mounted;
pub mod o2info;
pub mod quota;
pub mod recover;
pub mod refcount;
pub mod slotmap;
pub mod stat;
pub mod stats;
pub mod tunefs;
pub mod xattr;

/// A command's failure: the library error (or a message) with what it was about.
#[derive(Debug)]
pub struct CmdError {
    context: Option<String>,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Lib(ocfs2_format::Error),
    Msg(String),
}

impl CmdError {
    pub fn at(context: String, e: ocfs2_format::Error) -> Self {
        CmdError { context: Some(context), inner: Inner::Lib(e) }
    }
    pub fn msg(m: String) -> Self {
        CmdError { context: None, inner: Inner::Msg(m) }
    }

    /// The library's class of the error (`Other` for the inspector's own messages).
    pub fn io_kind(&self) -> std::io::ErrorKind {
        match &self.inner {
            Inner::Lib(e) => e.io_kind(),
            Inner::Msg(_) => std::io::ErrorKind::Other,
        }
    }
}

impl From<ocfs2_format::Error> for CmdError {
    fn from(e: ocfs2_format::Error) -> Self {
        CmdError { context: None, inner: Inner::Lib(e) }
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.context {
            write!(f, "{c}: ")?;
        }
        match &self.inner {
            Inner::Lib(e) => write!(f, "{e}"),
            Inner::Msg(m) => write!(f, "{m}"),
        }
    }
}

/// What every command says on stderr once its volume is open: a truncated
/// image, journals not yet replayed (or the replay's warnings), the partition
/// chosen. One call, so that commands need not call into `recover` and `intake`.
pub fn notes_at_open(image: &std::path::Path, vol: &ocfs2_format::Volume) {
    warn_if_truncated(image, vol);
    recover::announce(vol);
    intake::note_partition(vol);
}

/// Warns, once at open, when the image is cut short of the volume its superblock
/// describes: commands that read past the end will fail one by one.
pub fn warn_if_truncated(image: &std::path::Path, vol: &ocfs2_format::Volume) {
    if let Some(missing) = vol.missing_bytes() {
        let held = vol.source_size();
        eprintln!(
            "ocfs2-inspect: warning: {}: truncated image: the volume is {} bytes, the image holds {held} \
             ({missing} missing); reads past its end will fail",
            image.display(),
            held + missing
        );
    }
}

/// Resolves a file spec, naming it in the error.
pub fn resolve(vol: &ocfs2_format::Volume, spec: &str) -> Result<u64, CmdError> {
    ocfs2_format::fs::resolve_spec(vol, spec).map_err(|e| CmdError::at(spec.to_string(), e))
}

/// Parses a block number given bare (`4`), as debugfs does (`<4>`), or in hex.
pub fn parse_blkno(vol: &ocfs2_format::Volume, arg: &str) -> Result<u64, CmdError> {
    let inner = arg.strip_prefix('<').and_then(|s| s.strip_suffix('>')).unwrap_or(arg).trim();
    let n = match inner.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => inner.parse(),
    }
    .map_err(|_| CmdError::msg(format!("{arg}: not a block number")))?;
    if n >= vol.geometry().blocks {
        return Err(CmdError::msg(format!("{arg}: past the end of the volume ({} blocks)", vol.geometry().blocks)));
    }
    Ok(n)
}

/// Names of the bits set in `value`.
pub fn bit_names<T>(value: T, names: &[(T, &'static str)]) -> Vec<String>
where
    T: Copy + std::ops::BitAnd<Output = T> + PartialEq + Default,
{
    names.iter().filter(|(b, _)| value & *b != T::default()).map(|(_, n)| n.to_string()).collect()
}
