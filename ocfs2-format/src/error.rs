//! The one error type of the crate.
//!
//! Errors separate three causes a caller treats differently: the data on disk is
//! wrong ([`Error::Corrupt`]), the data is valid but uses something this crate does
//! not understand ([`Error::Unsupported`]), or the medium failed or could not be
//! opened ([`Error::Io`], [`Error::Open`]).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// A convenient alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where and how an on-disk structure is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Corruption {
    /// Filesystem block number holding the structure (or the block the byte offset
    /// falls in when the structure is not block-aligned).
    pub blkno: u64,
    /// The on-disk structure, e.g. `"ocfs2_dinode"`.
    pub structure: &'static str,
    /// The field that is wrong, e.g. `"i_signature"`.
    pub field: &'static str,
    /// What the field should hold.
    pub expected: Value,
    /// What it holds.
    pub actual: Value,
    /// What kind of violation it is.
    pub kind: CorruptionKind,
}

/// The kind of a [`Corruption`]: a field out of its bounds, a walk that met a
/// block twice, a block that is not the structure asked for. A caller tells them apart by this, never by the message text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CorruptionKind {
    /// The field holds a value outside what the format allows.
    #[default]
    Value,
    /// The field points back to a block the walk already met (a chain loop, a
    /// tree that reaches a block twice).
    Cycle,
    /// A total over several records exceeds what their container holds.
    Excess,
    /// A total over several records falls short of what their container holds.
    Shortfall,
    /// A second record for what one record alone may describe (two quota
    /// entries for one id).
    Duplicate,
    /// The block does not carry the signature of the structure asked for: it
    /// holds something else (or nothing), so its other fields mean nothing.
    Signature,
}

/// Which way a request is an [`Error::Invalid`]: a caller tells them apart by
/// this, never by the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidKind {
    /// A value the caller gave lies outside what it may be (a slot, node or
    /// backup number, a block past the end of the volume, a window past the
    /// end of a source, mkfs options that conflict).
    Argument,
    /// Text the caller gave does not parse (a lock name, a size, a duration, a
    /// feature list, a line of an fs_locks or locking_state file).
    Syntax,
    /// The inode or structure is not of the type the operation needs (not a
    /// directory, a symlink, a chain allocator, an indexed directory).
    WrongType,
    /// The request passes a bound this crate keeps so that no walk or buffer
    /// grows without limit (a path too deep, a file too large to hold in memory).
    Limit,
    /// The volume lacks a feature the request needs (quotas).
    MissingFeature,
    /// mkfs: the target has no room for the layout asked (too small for the
    /// journals, a full group, no room for a directory).
    TooSmall,
    /// A bug in this library, not bad input: a step found its own earlier work
    /// inconsistent (mkfs's layout lacking a system file it placed itself).
    /// Worth a bug report; no change to the request avoids it.
    Internal,
}

/// How an [`Error::Invalid`]'s message starts: an [`InvalidKind::Internal`]
/// says it is a bug, so nobody changes a request that was never wrong.
fn invalid_label(kind: InvalidKind) -> &'static str {
    match kind {
        InvalidKind::Internal => "internal error (a bug in ocfs2-format)",
        _ => "invalid request",
    }
}

/// What a field of a [`Corruption`] holds or should hold, as a typed value: a
/// caller compares or reads the number, never the message text. `Display` gives
/// the text the error message shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Value {
    /// An unsigned integer (a count, size, block number), shown in decimal.
    Int(u64),
    /// A signed integer, shown in decimal.
    Signed(i64),
    /// A bit pattern (flags, a magic number, a generation), shown as `0x...`.
    Hex(u64),
    /// Any value up to this bound: `<= N`.
    AtMost(u64),
    /// Any value from this bound on: `>= N`.
    AtLeast(u64),
    /// A value in this half-open range: `in A..B`.
    Range(Range<u64>),
    /// A block number in this half-open range: `a block in A..B`.
    Block(Range<u64>),
    /// Raw bytes of a signature or name field: their text in quotes when it is
    /// printable ASCII up to the NUL padding, else each byte in hex (`02 02 ...`).
    Bytes(Vec<u8>),
    /// A description no other variant captures.
    Text(Cow<'static, str>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Signed(n) => write!(f, "{n}"),
            Value::Hex(n) => write!(f, "{n:#x}"),
            Value::AtMost(n) => write!(f, "<= {n}"),
            Value::AtLeast(n) => write!(f, ">= {n}"),
            Value::Range(r) => write!(f, "in {}..{}", r.start, r.end),
            Value::Block(r) => write!(f, "a block in {}..{}", r.start, r.end),
            Value::Bytes(b) => {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                let text = &b[..end];
                if !text.is_empty() && text.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
                    write!(f, "\"{}\"", String::from_utf8_lossy(text))
                } else {
                    let hex: Vec<String> = b.iter().map(|c| format!("{c:02x}")).collect();
                    f.write_str(&hex.join(" "))
                }
            }
            Value::Text(t) => f.write_str(t),
        }
    }
}

macro_rules! value_from {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value::$variant(n as _)
            }
        }
    )*};
}
value_from!(Int: u8, u16, u32, u64, usize);
value_from!(Signed: i8, i16, i32, i64, isize);

impl From<&'static str> for Value {
    fn from(t: &'static str) -> Self {
        Value::Text(Cow::Borrowed(t))
    }
}

impl From<String> for Value {
    fn from(t: String) -> Self {
        Value::Text(Cow::Owned(t))
    }
}

impl From<Cow<'static, str>> for Value {
    fn from(t: Cow<'static, str>) -> Self {
        Value::Text(t)
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "block {}: {}.{}: expected {}, found {}",
            self.blkno, self.structure, self.field, self.expected, self.actual
        )
    }
}

/// Everything that can go wrong reading an OCFS2 volume.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// On-disk data violates the format.
    #[error("corrupt {0}")]
    Corrupt(Box<Corruption>),
    /// The volume uses a feature (or a value) this crate does not support.
    #[error("unsupported: {what} (bit {bit:#x})")]
    Unsupported {
        /// What is unsupported, e.g. `"incompat feature"`.
        what: &'static str,
        /// The feature bit or value.
        bit: u64,
    },
    /// No OCFS2 superblock was found at any probe offset.
    #[error("not an OCFS2 volume: no OCFSV2 signature at byte offsets 1K, 2K, 4K or 8K")]
    NotOcfs2,
    /// A path, system file or inode that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A request that cannot apply (a file where a directory is needed, a block past
    /// the end of the volume, a lock name that does not parse, ...): `kind` says
    /// which way, for callers to act on; `message` says what, for people.
    #[error("{}: {message}", invalid_label(*.kind))]
    Invalid {
        /// Which way the request cannot apply.
        kind: InvalidKind,
        /// What was asked and why it cannot apply.
        message: String,
    },
    /// The image ends before the volume does (a truncated copy): block `blkno`
    /// would lie past its end.
    #[error("truncated image: block {blkno} lies past the end of the source ({size} bytes)")]
    Truncated {
        /// First block that cannot be read.
        blkno: u64,
        /// Size of the source in bytes.
        size: u64,
    },
    /// The image is an o2image file and does not hold filesystem block `blkno`:
    /// o2image copies metadata only, never the data of regular files.
    #[error("block {blkno} is not in the image (an o2image file holds metadata only)")]
    NotInImage {
        /// The filesystem block asked for.
        blkno: u64,
    },
    /// The image or device could not be opened or examined (it does not exist,
    /// access is denied, it is not a file or device...), before any of its bytes
    /// were read. The message leaves the path to the caller, which knows it (and
    /// usually prefixes it).
    #[error("cannot open: {source}")]
    Open {
        /// The path that was opened.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A container around the volume (a partition table, a split raw image, an
    /// EWF/E01 image) is malformed, incomplete or inconsistent.
    #[error("{container}{}: byte offset {offset}: {what}", segment_text(segment))]
    Container {
        /// The container format: `"MBR"`, `"GPT"`, `"split image"`, `"EWF"`.
        container: &'static str,
        /// The segment file the problem is in (or that is missing), for
        /// containers made of several files.
        segment: Option<std::path::PathBuf>,
        /// Byte offset of the bad structure, in the segment when one is named,
        /// else in the source the container was read from.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A disk image holds several OCFS2 partitions and none was chosen.
    #[error("the disk holds OCFS2 volumes in partitions {}; choose one", list_numbers(candidates))]
    ChoosePartition {
        /// The numbers (1-based) of the partitions holding OCFS2.
        candidates: Vec<u32>,
    },
    /// Reading or writing the medium failed.
    #[error("I/O error at byte offset {offset}: {source}")]
    Io {
        /// Byte offset of the failed access.
        offset: u64,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A path names something under a non-directory (`/file/x`), or a
    /// directory operation was asked of a non-directory (`ENOTDIR`).
    #[error("not a directory: {0}")]
    NotADirectory(String),
    /// A file operation was asked of a directory (`EISDIR`).
    #[error("is a directory: {0}")]
    IsADirectory(String),
    /// Resolving a path met more than 40 symbolic links, the kernel's limit
    /// (`ELOOP`).
    #[error("too many levels of symbolic links: {0}")]
    SymlinkLoop(String),
    /// A progress callback asked a long operation to stop (see
    /// [`crate::progress`]); `ECANCELED`.
    #[error("cancelled")]
    Cancelled,
}

fn segment_text(segment: &Option<std::path::PathBuf>) -> String {
    segment.as_ref().map(|s| format!(" segment {}", s.display())).unwrap_or_default()
}

fn list_numbers(n: &[u32]) -> String {
    n.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

impl Error {
    /// Builds an [`Error::Container`].
    pub fn container(
        container: &'static str,
        segment: Option<&std::path::Path>,
        offset: u64,
        what: impl Into<String>,
    ) -> Self {
        Error::Container { container, segment: segment.map(std::path::Path::to_path_buf), offset, what: what.into() }
    }

    /// Maps the failure to open or examine `path` to an [`Error::Open`].
    pub fn open(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Error::Open { path: path.to_path_buf(), source }
    }

    /// Builds an [`Error::Invalid`].
    pub fn invalid(kind: InvalidKind, message: impl Into<String>) -> Self {
        Error::Invalid { kind, message: message.into() }
    }

    /// The kind of an [`Error::Invalid`] (`None` for other errors).
    pub fn invalid_kind(&self) -> Option<InvalidKind> {
        match self {
            Error::Invalid { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Builds an [`Error::Corrupt`].
    pub fn corrupt(
        blkno: u64,
        structure: &'static str,
        field: &'static str,
        expected: impl Into<Value>,
        actual: impl Into<Value>,
    ) -> Self {
        Error::Corrupt(Box::new(Corruption {
            blkno,
            structure,
            field,
            expected: expected.into(),
            actual: actual.into(),
            kind: CorruptionKind::Value,
        }))
    }

    /// Builds an [`Error::Corrupt`] of kind [`CorruptionKind::Cycle`]: `field` of
    /// the structure at `blkno` points to `again`, a block the walk already met.
    pub fn cycle(
        blkno: u64,
        structure: &'static str,
        field: &'static str,
        expected: impl Into<Value>,
        again: u64,
    ) -> Self {
        Error::corrupt(blkno, structure, field, expected, again).with_kind(CorruptionKind::Cycle)
    }

    /// The same error with its corruption's kind set to `kind` (other errors
    /// unchanged).
    pub fn with_kind(mut self, kind: CorruptionKind) -> Self {
        if let Error::Corrupt(c) = &mut self {
            c.kind = kind;
        }
        self
    }

    /// The Linux `errno` value a program (a FUSE daemon, Python's `OSError`)
    /// reports for this error: `ENOENT` for [`Error::NotFound`], `ENOTDIR`,
    /// `EISDIR`, `ELOOP`, `EINVAL` for [`Error::Invalid`], [`Error::NotOcfs2`] and
    /// [`Error::ChoosePartition`], `EOPNOTSUPP` for [`Error::Unsupported`],
    /// `ECANCELED`, `EIO` for corruption, a damaged container, a truncated image and a block an o2image file
    /// lacks, and the OS error of [`Error::Io`] and [`Error::Open`]
    /// (`EIO` when there is none).
    pub fn errno(&self) -> i32 {
        match self {
            Error::NotFound(_) => libc::ENOENT,
            Error::NotADirectory(_) => libc::ENOTDIR,
            Error::IsADirectory(_) => libc::EISDIR,
            Error::SymlinkLoop(_) => libc::ELOOP,
            Error::Cancelled => libc::ECANCELED,
            Error::Invalid { .. } | Error::NotOcfs2 | Error::ChoosePartition { .. } => libc::EINVAL,
            Error::Unsupported { .. } => libc::EOPNOTSUPP,
            Error::Corrupt(_) | Error::Truncated { .. } | Error::Container { .. } | Error::NotInImage { .. } => {
                libc::EIO
            }
            Error::Io { source, .. } | Error::Open { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
        }
    }

    /// The [`std::io::ErrorKind`] that `From<Error> for std::io::Error` gives:
    /// `NotFound`, `NotADirectory`, `IsADirectory`, `InvalidInput` for
    /// [`Error::Invalid`] and [`Error::ChoosePartition`], `Other` for [`Error::Cancelled`], `InvalidData` for
    /// corruption, a damaged container, an unsupported feature and a volume that is not OCFS2, `UnexpectedEof`
    /// for a truncated image, EIO's kind for a block an o2image file lacks, and
    /// the kind of the OS error for [`Error::Io`] and [`Error::Open`].
    pub fn io_kind(&self) -> std::io::ErrorKind {
        use std::io::ErrorKind as K;
        match self {
            Error::NotFound(_) => K::NotFound,
            Error::NotADirectory(_) => K::NotADirectory,
            Error::IsADirectory(_) => K::IsADirectory,
            // The kind for ELOOP is not nameable on stable Rust.
            Error::SymlinkLoop(_) => std::io::Error::from_raw_os_error(libc::ELOOP).kind(),
            Error::Invalid { .. } | Error::ChoosePartition { .. } => K::InvalidInput,
            // Not Interrupted: std's readers retry that kind.
            Error::Cancelled => K::Other,
            Error::Corrupt(_) | Error::Unsupported { .. } | Error::NotOcfs2 | Error::Container { .. } => K::InvalidData,
            Error::Truncated { .. } => K::UnexpectedEof,
            // What ocfs2-tools' image reader answers for a block it lacks.
            Error::NotInImage { .. } => std::io::Error::from_raw_os_error(libc::EIO).kind(),
            Error::Io { source, .. } | Error::Open { source, .. } => source.kind(),
        }
    }

    /// The corruption details, when this is [`Error::Corrupt`].
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            Error::Corrupt(c) => Some(c),
            _ => None,
        }
    }
}

/// Wraps the error in a [`std::io::Error`] of kind [`Error::io_kind`]; the
/// original is kept inside (`get_ref()` and `downcast::<Error>()` give it back),
/// so a reader used through [`std::io::Read`] loses nothing.
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::new(e.io_kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, InvalidKind, Value};

    #[test]
    fn values_show_the_text_messages_always_had() {
        let shown = |v: Value| v.to_string();
        assert_eq!(shown(Value::Hex(0x1234_5678)), "0x12345678");
        assert_eq!(shown(Value::AtMost(255)), "<= 255");
        assert_eq!(shown(Value::Block(1..100)), "a block in 1..100");
        assert_eq!(shown(Value::Range(1..8)), "in 1..8");
        assert_eq!(shown(Value::Bytes(b"INODE01\0".to_vec())), "\"INODE01\"");
        assert_eq!(shown(Value::Bytes(vec![2, 0, 0xff])), "02 00 ff");
        assert_eq!(shown((-5i32).into()), "-5");
        assert_eq!(Value::from(7u16), Value::Int(7));
    }

    #[test]
    fn an_internal_error_says_it_is_a_bug_and_maps_as_invalid() {
        let e = Error::invalid(InvalidKind::Internal, "no extent_alloc:0000");
        assert_eq!(e.to_string(), "internal error (a bug in ocfs2-format): no extent_alloc:0000");
        assert_eq!(e.invalid_kind(), Some(InvalidKind::Internal));
        assert_eq!(e.errno(), libc::EINVAL);
        let io = std::io::Error::from(e);
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
        let back = io.into_inner().and_then(|b| b.downcast::<Error>().ok()).map(|e| e.invalid_kind());
        assert_eq!(back, Some(Some(InvalidKind::Internal)));
        let other = Error::invalid(InvalidKind::Argument, "slot 9");
        assert_eq!(other.to_string(), "invalid request: slot 9");
    }
}
