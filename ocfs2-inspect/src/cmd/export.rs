//! What examiners hand on to other tools: o2image files (`image`), timelines
//! (`bodyfile`) and hash lists (`hash`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use md5::Md5;
use ocfs2_format::files::{walk_tree, NameState};
use ocfs2_format::fs::{resolve_spec, MAX_READ};
use ocfs2_format::image::{write_image, ImageFormat};
use ocfs2_format::{OpenOptions, Volume};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::CmdError;
use crate::render::Out;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write an o2image metadata image of a volume (`o2image SRC OUT`): what
    /// `o2image -I` restores and `debugfs.ocfs2 -i` reads. The source is only read.
    Image {
        /// Image or device to copy the metadata of.
        src: PathBuf,
        /// The image to create (it must not exist).
        out: PathBuf,
        /// Write a raw image (`o2image -r`): a sparse file with each block at its own offset.
        #[arg(long)]
        raw: bool,
    },
    /// A timeline in The Sleuth Kit's body format (`fls -r -m`), for `mactime -b`:
    /// every name under SPEC with its inode's times, then the deleted names still
    /// in directory slack (`ls -d`) and the deleted or orphaned inodes nothing
    /// names (`lsdel`, as `$OrphanFiles/OrphanFile-N`), marked ` (deleted)`.
    Bodyfile {
        /// Image or device.
        image: PathBuf,
        /// Directory to start from, as a path.
        #[arg(default_value = "/")]
        spec: String,
        /// Hash the contents of regular files (MD5, first column); costs a read of all data.
        #[arg(long)]
        md5: bool,
        /// Put in front of every path (fls's `-m` argument, the mount point).
        #[arg(long, default_value = "/")]
        prefix: String,
    },
    /// A hash list of the regular files under SPEC, in `sha256sum`'s format (or
    /// `md5sum`'s), with the paths `rdump SPEC OUTDIR` writes: `cd OUTDIR;
    /// sha256sum -c LIST` checks an extracted tree.
    Hash {
        /// Image or device.
        image: PathBuf,
        /// Directory to hash, as a path.
        #[arg(default_value = "/")]
        spec: String,
        /// MD5 instead of SHA-256.
        #[arg(long)]
        md5: bool,
    },
}

#[derive(Serialize)]
struct ImageReport {
    /// The o2image file written.
    path: String,
    /// `packed` or `raw`.
    format: &'static str,
    /// Metadata blocks copied.
    blocks: u64,
    /// Bytes of the file written.
    bytes: u64,
}

/// Runs one of these commands; each opens what it reads itself.
pub fn run(cmd: ExportCommand, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    match cmd {
        ExportCommand::Image { src, out: path, raw } => image(&src, &path, raw, out, opts),
        ExportCommand::Bodyfile { image, spec, md5, prefix } => {
            no_json(out, "bodyfile")?;
            bodyfile(&open(&image, opts)?, &spec, md5, prefix.as_bytes())
        }
        ExportCommand::Hash { image, spec, md5 } => {
            no_json(out, "hash")?;
            hash(&open(&image, opts)?, &spec, md5)
        }
    }
}

/// These commands write formats other tools read; JSON would serve no one.
fn no_json(out: &Out, what: &str) -> Result<(), CmdError> {
    if out.json() {
        return Err(CmdError::msg(format!("{what} writes a text format of its own; --json does not apply")));
    }
    Ok(())
}

/// Lines of output gathered and written in large pieces.
struct Lines(Vec<u8>);

impl Lines {
    fn line_done(&mut self) -> Result<(), CmdError> {
        self.0.push(b'\n');
        if self.0.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), CmdError> {
        crate::render::write_stdout(&self.0)?;
        self.0.clear();
        Ok(())
    }
}

/// The digest of inode `ino`'s contents, streamed.
fn digest<D: Digest>(vol: &Volume, ino: u64, buf: &mut [u8]) -> Result<Vec<u8>, CmdError> {
    use std::io::Read;
    let at = |e| CmdError::at(format!("inode {ino}"), e);
    let mut file = vol.open_file_ino(ino).map_err(at)?;
    let mut d = D::new();
    loop {
        match file.read(buf) {
            Ok(0) => return Ok(d.finalize().to_vec()),
            Ok(n) => d.update(&buf[..n]),
            // The library's error travels inside the io::Error; keep it typed.
            Err(e) => {
                return Err(match e.into_inner().map(|b| b.downcast::<ocfs2_format::Error>()) {
                    Some(Ok(lib)) => at(*lib),
                    Some(Err(other)) => CmdError::msg(format!("inode {ino}: {other}")),
                    None => CmdError::msg(format!("inode {ino}: read failed")),
                })
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that `spec` is a path under `/` naming a directory: the walk starts
/// from a path, and the system directory holds no files to list.
fn walk_from(vol: &Volume, spec: &str) -> Result<(), CmdError> {
    if !spec.starts_with('/') || spec.starts_with("//") {
        return Err(CmdError::msg(format!("{spec}: give a directory as a path under / (such as /data)")));
    }
    let start = resolve_spec(vol, spec).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let dir = vol.inode(start).map_err(|e| CmdError::at(spec.to_string(), e))?;
    if !dir.header().is_dir() {
        return Err(CmdError::msg(format!("{spec}: not a directory")));
    }
    Ok(())
}

fn bodyfile(vol: &Volume, spec: &str, md5: bool, prefix: &[u8]) -> Result<(), CmdError> {
    walk_from(vol, spec)?;
    let mut out = Lines(Vec::with_capacity(1 << 17));
    let mut buf = vec![0u8; if md5 { MAX_READ } else { 0 }];
    walk_tree(vol, spec.as_bytes(), true, |e| {
        let file = e.meta.as_ref().is_some_and(|m| m.is_file());
        let hash = if md5 && file && e.state == NameState::Live {
            Some(digest::<Md5>(vol, e.inode_no, &mut buf)?)
        } else {
            None
        };
        e.body_line(vol, hash.as_deref(), prefix, &mut out.0);
        out.line_done()
    })?;
    out.flush()
}

/// `sha256sum`-style lines (`HEX  PATH`) for every regular file under `spec`,
/// each path as `rdump spec OUTDIR` writes it below OUTDIR (hard links under
/// each of their names).
fn hash(vol: &Volume, spec: &str, md5: bool) -> Result<(), CmdError> {
    walk_from(vol, spec)?;
    let base = spec.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let base: &[u8] = if matches!(base, "" | "." | "..") || spec.starts_with('<') { b"" } else { base.as_bytes() };
    let mut out = Lines(Vec::with_capacity(1 << 17));
    let mut buf = vec![0u8; MAX_READ];
    walk_tree(vol, spec.as_bytes(), false, |e| {
        if !e.meta.as_ref().is_some_and(|m| m.is_file()) {
            return Ok(());
        }
        let ino = e.inode_no;
        let d = if md5 { digest::<Md5>(vol, ino, &mut buf)? } else { digest::<Sha256>(vol, ino, &mut buf)? };
        // sha256sum escapes a name holding a newline, CR or backslash and marks the line with `\`.
        let mut path = Vec::with_capacity(base.len() + 1 + e.path.len());
        if !base.is_empty() {
            path.extend_from_slice(base);
            path.push(b'/');
        }
        path.extend_from_slice(&e.path);
        let escape = path.iter().any(|&c| c == b'\n' || c == b'\\' || c == b'\r');
        if escape {
            out.0.push(b'\\');
        }
        out.0.extend_from_slice(hex(&d).as_bytes());
        out.0.extend_from_slice(b"  ");
        for c in path {
            match c {
                b'\n' if escape => out.0.extend_from_slice(b"\\n"),
                b'\r' if escape => out.0.extend_from_slice(b"\\r"),
                b'\\' if escape => out.0.extend_from_slice(b"\\\\"),
                c => out.0.push(c),
            }
        }
        out.line_done()
    })?;
    out.flush()
}

fn open(path: &Path, opts: OpenOptions) -> Result<Volume, CmdError> {
    Volume::open_with(path, opts).map_err(|e| CmdError::at(path.display().to_string(), e))
}

fn image(src: &Path, path: &Path, raw: bool, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    let vol = open(src, opts)?;
    let at = |e: std::io::Error| CmdError::msg(format!("{}: {e}", path.display()));
    let file = std::fs::File::create_new(path).map_err(at)?;
    let format = if raw { ImageFormat::Raw } else { ImageFormat::Packed };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let held = write_image(&vol, format, &file, u32::try_from(now).unwrap_or(u32::MAX))
        .map_err(|e| CmdError::at(path.display().to_string(), e))?;
    file.sync_all().map_err(at)?;
    let report = ImageReport {
        path: path.display().to_string(),
        format: if raw { "raw" } else { "packed" },
        blocks: held.count(),
        bytes: file.metadata().map_err(at)?.len(),
    };
    out.emit(&report, |r| {
        format!("{}: {} image of {} metadata blocks, {} bytes\n", r.path, r.format, r.blocks, r.bytes)
    })
}
