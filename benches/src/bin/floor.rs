//! The floors: what a row's work costs with nothing but the unavoidable I/O.
//!
//! * mkfs: write exactly the non-zero 4 KiB blocks a volume of some geometry has,
//!   at their offsets, into a fresh sparse file, and fsync (`scan` + `write`);
//! * check, cold: read the byte ranges the library's check reads, with parallel
//!   `pread`s and nothing else (`scan-check` + `read --threads N`);
//! * logdump and replay: one sequential read of the journal, the whole of slot
//!   0's for `logdump --raw`, the blocks a replay reads for `--replay`
//!   (`scan-journal` + `read`);
//! * rdump: the same tree written from memory: directories, links and files of
//!   the same sizes with the same data runs, no OCFS2 parsing (`scan-tree` +
//!   `write-tree`).
//!
//! ```sh
//! floor scan REF.img MAP.json   # once, untimed: the non-zero blocks of an ocfs2-mkfs-made image
//! floor write MAP.json OUT.img  # the timed part: pwrite each run, then fsync
//! ```
//!
//! See `benches/README.md` for how the harness uses each.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use ocfs2_benches::{coalesce, human_bytes, read_runs, size_label, BlockMap, Recording, TreeManifest, BLOCK};
use ocfs2_format::fs::ExtentMap;
use ocfs2_format::{OpenOptions, SystemFile, Volume};

#[derive(Debug, Parser)]
#[command(about = "The floors of the side-by-side harness: each row's unavoidable I/O and nothing else")]
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
    /// Save as MAP the byte ranges the library's check of IMAGE reads
    ScanCheck {
        /// The volume `ocfs2-inspect check` is timed on
        image: PathBuf,
        /// Where to save the ranges (JSON)
        map: PathBuf,
    },
    /// Save as MAP the blocks of IMAGE's journals that a read needs: with `--replayed`, those
    /// that opening with `--replay` reads; otherwise every block of slot 0's journal
    ScanJournal {
        /// The volume
        image: PathBuf,
        /// Where to save the ranges (JSON)
        map: PathBuf,
        /// Only the journal blocks the replay reads
        #[arg(long)]
        replayed: bool,
    },
    /// Read every range of MAP from IMAGE: THREADS threads of pread (1: in map order, sequentially)
    Read {
        /// A map saved by `scan-check` or `scan-journal`
        map: PathBuf,
        /// The image the map was taken from
        image: PathBuf,
        /// Readers in parallel
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Save the shape of the tree under DIR (directories, links, file sizes and data runs) as MANIFEST
    ScanTree {
        /// A tree `rdump` wrote
        dir: PathBuf,
        /// Where to save the manifest (JSON)
        manifest: PathBuf,
    },
    /// Create MANIFEST's tree under OUT (an empty directory) from memory
    WriteTree {
        /// A manifest saved by `scan-tree`
        manifest: PathBuf,
        /// An existing empty directory
        out: PathBuf,
    },
}

fn open_recorded(image: &Path, replay: bool) -> ocfs2_format::Result<(Volume, Vec<(u64, u64)>)> {
    let (src, reads) = Recording::new(ocfs2_format::io::open(image)?);
    let vol = Volume::from_source(Box::new(src), OpenOptions { replay, ..OpenOptions::default() })?;
    let taken = std::mem::take(&mut *reads.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((vol, taken))
}

/// The byte runs of a journal file's extents, in logical order.
fn journal_runs(vol: &Volume, slot: u16) -> ocfs2_format::Result<Vec<(u64, u64)>> {
    let inode = vol.inode(vol.system_file(SystemFile::journal(slot))?)?;
    let geo = vol.geometry();
    Ok(ExtentMap::load(vol, &inode)?
        .extents()
        .iter()
        .map(|e| (geo.block_offset(e.blkno), geo.block_offset(geo.cluster_to_block(u64::from(e.clusters)))))
        .collect())
}

fn save(map: &BlockMap, path: &Path, what: &str) -> std::io::Result<()> {
    map.save(path)?;
    let bytes: u64 = map.runs.iter().map(|r| r.1).sum();
    println!("{what}: {} in {} runs", human_bytes(bytes), map.runs.len());
    Ok(())
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
        Step::ScanCheck { image, map } => {
            let (src, reads) = Recording::new(ocfs2_format::io::open(&image)?);
            let size = ocfs2_format::io::BlockSource::size(&src);
            let vol = Volume::from_source(Box::new(src), OpenOptions::default())?;
            ocfs2_format::check::check(&vol, &mut |_| {})?;
            let taken = std::mem::take(&mut *reads.lock().unwrap_or_else(|e| e.into_inner()));
            let runs = coalesce(taken);
            save(&BlockMap { size, runs }, &map, "check reads")?;
        }
        Step::ScanJournal { image, map, replayed } => {
            let (vol, reads) = open_recorded(&image, replayed)?;
            let size = std::fs::metadata(&image)?.len();
            let runs = if replayed {
                // The journals' blocks among what the replay read, in disk order.
                let slots = vol.superblock().s_max_slots.get();
                let mut journals = Vec::new();
                for slot in 0..slots {
                    journals.extend(journal_runs(&vol, slot)?);
                }
                let inside = |&(off, _): &(u64, u64)| journals.iter().any(|&(s, l)| off >= s && off < s + l);
                coalesce(reads.into_iter().filter(inside).collect())
            } else {
                journal_runs(&vol, 0)?
            };
            save(
                &BlockMap { size, runs },
                &map,
                if replayed { "journal blocks replay reads" } else { "journal:0000" },
            )?;
        }
        // Prints nothing: timed.
        Step::Read { map, image, threads } => {
            read_runs(&BlockMap::load(&map)?, &image, threads)?;
        }
        Step::ScanTree { dir, manifest } => {
            let (m, bytes) = TreeManifest::scan(&dir)?;
            m.save(&manifest)?;
            println!("{}", serde_json::to_string(&bytes)?);
        }
        // Prints nothing: timed.
        Step::WriteTree { manifest, out } => TreeManifest::load(&manifest)?.write_under(&out)?,
    }
    Ok(())
}
