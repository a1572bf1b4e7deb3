//! What examiners hand on to other tools: o2image files (`image`), timelines
//! (`bodyfile`) and hash lists (`hash`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use ocfs2_format::image::{write_image, ImageFormat};
use ocfs2_format::{OpenOptions, Volume};
use serde::Serialize;

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
}

#[derive(Serialize)]
struct ImageReport {
    path: String,
    format: &'static str,
    blocks: u64,
    bytes: u64,
}

/// Runs one of these commands; each opens what it reads itself.
pub fn run(cmd: ExportCommand, out: &Out, opts: OpenOptions) -> Result<(), CmdError> {
    match cmd {
        ExportCommand::Image { src, out: path, raw } => image(&src, &path, raw, out, opts),
    }
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
