//! The mkfs floor: write exactly the non-zero 4 KiB blocks a volume of some
//! geometry has, at their offsets, into a fresh sparse file, and fsync.
//!
//! What the host filesystem needs to accept and flush those scattered blocks is a
//! lower bound for any mkfs of that geometry (see `benches/README.md`):
//!
//! ```sh
//! floor scan REF.img MAP.json   # once, untimed: the non-zero blocks of an ocfs2-mkfs-made image
//! floor write MAP.json OUT.img  # the timed part: pwrite each run, then fsync
//! ```

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ocfs2_benches::{human_bytes, size_label, BlockMap, BLOCK};

#[derive(Debug, Parser)]
#[command(about = "Write just the non-zero blocks of a reference volume into a sparse file (the mkfs floor)")]
struct Args {
    #[command(subcommand)]
    command: Step,
}

#[derive(Debug, Subcommand)]
enum Step {
    /// Find the non-zero 4 KiB blocks of IMAGE (only its allocated extents are read) and save them as MAP
    Scan {
        /// A volume made by ocfs2-mkfs with the geometry to measure
        image: PathBuf,
        /// Where to save the block map (JSON)
        map: PathBuf,
    },
    /// Write a non-zero pattern over every block of MAP into OUT, then fsync OUT
    Write {
        /// A map saved by `floor scan`
        map: PathBuf,
        /// The target: normally a fresh sparse file of the map's size (created and sized if missing)
        out: PathBuf,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Args::parse().command {
        Step::Scan { image, map } => {
            let m = BlockMap::scan(&image)?;
            m.save(&map)?;
            println!(
                "{}: {} non-zero blocks of {BLOCK} bytes in {} runs, {} of a {} volume",
                image.display(),
                m.blocks(),
                m.runs.len(),
                human_bytes(m.blocks() * BLOCK),
                size_label(m.size)
            );
        }
        // Prints nothing: this is the timed step, and its stdout is thrown away.
        Step::Write { map, out } => BlockMap::load(&map)?.write_into(&out)?,
    }
    Ok(())
}
